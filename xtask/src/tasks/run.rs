//! `cargo xtask run PROGRAM`: N MPyC parties at once — local processes, or
//! one per host over SSH with `--hosts FILE` — through the run engine
//! (`e3-run`), which watches them and keeps their logs; this task reads the
//! flags, words the errors and prints the outcome.

use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use e3_inventory::Inventory;
use e3_run::net::NetRun;
use e3_run::ports::{self, PortsError};
use e3_run::python::{self, Python, PythonError};
use e3_run::summary::Status;
use e3_run::{
    Outcome, Placement, Program, ProgramError, RemotePlan, RemoteSettings, RunSpec, Start,
};
use e3_ssh::Ssh;
use prun::{Layout, PartyCommand, Settings};

use crate::cli::RunArgs;
use crate::error::{Error, Result, failure, usage};
use crate::paths::{count_files, current_dir, given, relative_to};
use crate::pipeline;
use crate::ui::Ui;
use crate::{remote, tools};

pub fn run(root: &Utf8Path, dry_run: bool, args: &RunArgs) -> Result<()> {
    let cwd = current_dir()?;
    let program = resolve_program(root, &cwd, &args.program, args.demos.as_deref())?;
    if args.timeout == 0 {
        return Err(usage("--timeout must be at least 1 second"));
    }
    if args.parties_per_host() == 0 {
        return Err(usage("--parties-per-host must be at least 1"));
    }
    match args.hosts.as_deref() {
        None => run_local(root, dry_run, args, &program),
        Some(file) => run_remote(root, dry_run, args, &program, file),
    }
}

/// PROGRAM (and `--demos DIR`) as a program to run.
pub fn resolve_program(
    root: &Utf8Path,
    cwd: &Utf8Path,
    spec: &str,
    demos: Option<&str>,
) -> Result<Program> {
    let demos = given(cwd, demos, "--demos", true)?;
    e3_run::resolve_program(root, cwd, spec, demos.as_deref()).map_err(|err| match &err {
        ProgramError::Unknown { dir, available, .. } => {
            let hint = if available.is_empty() {
                format!(
                    "{dir}/ has no .py programs; give a path to a .py file or another --demos DIR"
                )
            } else {
                format!("available in {dir}/: {}", available.join(", "))
            };
            usage(err.to_string()).hint(hint)
        }
        ProgramError::NoSuchFile { .. } | ProgramError::NotAFile { .. } => usage(err.to_string()),
        ProgramError::Io { .. } => failure(err.to_string()),
    })
}

/// The interpreter for local parties: `--python PATH`, or e3's own
/// environment made with `python3` from PATH.
pub fn resolve_python(root: &Utf8Path, given: Option<&str>) -> Result<Python> {
    let found = find_python(root, given);
    match found {
        // --dry-run on a machine without a usable python3: the plan still
        // shows the environment e3 would make, with the base named by name.
        Err(err) if given.is_none() && tools::dry_run() => {
            tools::lacking(Err(err))?;
            Ok(Python::Managed(python::Managed {
                base: "python3".into(),
                venv: root.join(python::VENV_DIR),
                stamp: String::new(),
                up_to_date: false,
            }))
        }
        found => found,
    }
}

fn find_python(root: &Utf8Path, given: Option<&str>) -> Result<Python> {
    let python = match given {
        Some(given) => {
            let path = tools::find(given).map_err(|_| {
                usage(format!("python interpreter `{given}` (from --python) was not found"))
                    .hint("give a path to an interpreter or a name on PATH, or drop --python to use e3's own environment")
            })?;
            python::given(path)
        }
        None => {
            let base = tools::find("python3").map_err(|_| {
                usage("`python3` was not found on PATH; e3 needs Python 3.10 or newer to run MPyC")
                    .hint("install it (Debian/Ubuntu: `apt-get install python3 python3-venv`), or pass --python PATH")
            })?;
            python::managed(root, base)
        }
    };
    python.map_err(|err| match &err {
        PythonError::NoMpyc { python } => {
            usage(format!("`{python}` (from --python) cannot import mpyc")).hint(format!(
                "install it with `{python} -m pip install mpyc`, or drop --python to use e3's own environment"
            ))
        }
        PythonError::TooOld { .. } => usage(err.to_string())
            .hint("put a newer python3 first on PATH, or pass --python PATH"),
        PythonError::NoVenv { .. } => usage(err.to_string()).hint(
            "install its venv module (Debian/Ubuntu: `apt-get install python3-venv`), or pass --python PATH",
        ),
        PythonError::Requirements(_) => usage(err.to_string()),
        PythonError::Probe { .. } => failure(err.to_string()),
    })
}

/// The party count, and the program arguments as MPyC will read them for
/// that many parties (under a network profile with `net`).
pub fn check_parties(parties: usize, program_args: &[String], net: bool) -> Result<()> {
    prun::check_party_count(parties).map_err(|e| usage(format!("--parties {parties}: {e}")))?;
    let run = prun::mpyc::RunShape {
        parties,
        net,
        said: prun::mpyc::Said::Flags,
    };
    prun::mpyc::check_program_args(program_args, &run)
        .map(drop)
        .map_err(|e| usage(e.message).hint(e.hint))
}

fn spec<'a>(
    root: &'a Utf8Path,
    program: &'a Program,
    args: &'a RunArgs,
    net: Option<&'a NetRun>,
    start: Start,
) -> RunSpec<'a> {
    RunSpec {
        root,
        program,
        args: &args.args,
        timeout: Duration::from_secs(args.timeout),
        net,
        start,
    }
}

/// The network profile of `--net NAME|FILE` (a name is `net/NAME.toml`),
/// with `--placement` over its own.
pub fn resolve_profile(
    root: &Utf8Path,
    given: &str,
    placement: Option<&str>,
) -> Result<e3_net::Profile> {
    let as_path = given.contains('/') || given.ends_with(".toml");
    let path = match as_path {
        true => current_dir()?.join(given),
        false => root.join("net").join(format!("{given}.toml")),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let known: Vec<String> = std::fs::read_dir(root.join("net"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".toml"))
                    .map(str::to_string)
            })
            .collect();
        usage(format!(
            "--net `{given}`: cannot read {}: {e}",
            relative_to(root, &path)
        ))
        .hint(format!(
            "profiles in net/: {}; or give a path to a .toml file",
            known.join(", ")
        ))
    })?;
    let name = path.file_stem().unwrap_or(given).to_string();
    let shown = relative_to(root, &path).to_string();
    let profile = e3_net::profile::parse(&text, &name, &shown)
        .map_err(|e| usage(e.to_string()).hint("docs/net-profiles.md says what a profile holds"))?;
    match placement {
        Some(placement) => profile
            .with_placement(placement)
            .map_err(|e| usage(e.to_string())),
        None => Ok(profile),
    }
}

fn run_local(root: &Utf8Path, dry_run: bool, args: &RunArgs, program: &Program) -> Result<()> {
    if let Some(flag) = args.remote_flags_given().first() {
        return Err(usage(format!("{flag} is for runs on hosts"))
            .hint("add --hosts FILE, or drop the flag"));
    }
    let parties = args.parties.unwrap_or(3);
    // The flags before the interpreter, as always: the first error is theirs.
    check_parties(parties, &args.args, args.net.is_some())?;
    let python = resolve_python(root, args.python.as_deref())?;
    let start = Start::choose(Start::from_flags(args.warm, args.cold), Placement::Local);
    let profile = match &args.net {
        Some(net) => Some(resolve_profile(root, net, args.placement.as_deref())?),
        None => None,
    };
    let local = prepare_local(
        root,
        program,
        &args.args,
        parties,
        &python,
        args.base_port,
        LocalStart {
            start,
            net: profile,
        },
    )?;
    if dry_run {
        crate::out::print(&local.plan.render());
        return Ok(());
    }
    let ui = Ui::new(args.json);
    let LocalRun {
        ports: _held,
        table,
        plan,
        net,
        start,
        warm: _socket,
    } = local;
    let outcome = e3_run::run_local(
        &spec(root, program, args, net.as_ref(), start),
        &python,
        plan,
        table,
        &|e| ui.run_event(e),
    );
    report(root, &ui, &outcome?)
}

/// This binary: it is the warm parties' launcher too.
pub fn launcher() -> Result<Utf8PathBuf> {
    let exe = std::env::current_exe()
        .map_err(|e| failure(format!("cannot find the xtask binary: {e}")))?;
    Utf8PathBuf::from_path_buf(exe).map_err(|_| failure("the xtask binary's path is not UTF-8"))
}

/// How a local run's parties start: warm or cold, and under which
/// network profile (`None`: straight to each other).
pub struct LocalStart {
    pub start: Start,
    pub net: Option<e3_net::Profile>,
}

/// A warm run's socket, removed when the run is over (a warm start removes
/// its own, unless it was killed).
pub struct WarmSocket(pub Option<e3_run::warm::Warm>);

impl Drop for WarmSocket {
    fn drop(&mut self) {
        if let Some(warm) = &self.0 {
            let _ = std::fs::remove_file(&warm.socket);
        }
    }
}

/// A local run ready to start: its ports are held until it is dropped, so
/// that no other e3 run takes them.
pub struct LocalRun {
    pub ports: ports::Reservation,
    pub table: Vec<prun::Party>,
    pub plan: e3_plan::Plan,
    /// Under a network profile: the relays' routes and each party's list.
    pub net: Option<NetRun>,
    pub start: Start,
    pub warm: WarmSocket,
}

/// Checks the party count and the program's arguments, reserves ports from
/// `base_port`, and plans `parties` local parties of `program`.
pub fn prepare_local(
    root: &Utf8Path,
    program: &Program,
    program_args: &[String],
    parties: usize,
    python: &Python,
    base_port: u16,
    how: LocalStart,
) -> Result<LocalRun> {
    let LocalStart {
        start,
        net: profile,
    } = how;
    let warm = match start {
        Start::Warm => Some(e3_run::warm::Warm::new(launcher()?)),
        Start::Cold => None,
    };
    check_parties(parties, program_args, profile.is_some())?;
    let profile = profile.map(|p| p.fitted(parties));
    if let Some(profile) = &profile {
        profile
            .check_parties(parties)
            .map_err(|e| usage(e.to_string()))?;
    }
    // The parties' own ports, then (under a profile) the relays'.
    let relay_ports = profile
        .as_ref()
        .map_or(0, |p| NetRun::relay_ports(p, parties));
    let ports = ports::reserve(base_port, parties + relay_ports).map_err(|err| match err {
        PortsError::NoRoom { base, count } => usage(format!(
            "--base-port {base} leaves no room for {count} ports below 65536"
        ))
        .hint("choose a lower --base-port"),
        PortsError::NoneFree { .. } => failure(err.to_string()).hint("try another --base-port"),
        PortsError::Lock(err) => Error::from(err),
    })?;
    let layout = Layout {
        parties,
        per_host: parties,
        base_port: ports.first,
    };
    let table =
        prun::party_table(&["127.0.0.1".to_string()], &layout).map_err(|e| usage(e.to_string()))?;
    let net = match profile {
        Some(p) => {
            let mut net = NetRun::new(p, &table, ports.first + parties as u16);
            // Whether e3's own open-file limit holds every relay, or they
            // run in processes of their own (the plan says which).
            net.open_files = e3_net::open_files_limit();
            net.shard_program = Some(launcher()?);
            Some(net)
        }
        None => None,
    };
    let plan = e3_run::plan_local(
        root,
        program,
        program_args,
        python,
        &table,
        warm.as_ref(),
        net.as_ref(),
    );
    Ok(LocalRun {
        ports,
        table,
        plan,
        net,
        start,
        warm: WarmSocket(warm),
    })
}

fn run_remote(
    root: &Utf8Path,
    dry_run: bool,
    args: &RunArgs,
    program: &Program,
    hosts_file: &str,
) -> Result<()> {
    if args.python.is_some() {
        return Err(
            usage("--python is for local runs").hint("with --hosts, use --remote-python CMD")
        );
    }
    if args.net.is_some() {
        return Err(usage(
            "--net emulates the regions' network for local runs; on hosts the network is real",
        )
        .hint("drop --net; to measure the hosts' network as a profile: `cargo xtask netprobe --hosts FILE`"));
    }
    let (ssh, inventory) = remote::resolve(&args.remote, hosts_file)?;
    let commands = party_commands(
        &inventory,
        hosts_file,
        program,
        args.parties,
        args.parties_per_host(),
        args.base_port,
        &args.args,
    )?;
    // Sync copies the program's whole folder to every host: not a home folder by mistake.
    if !args.no_sync && count_files(&program.dir, MAX_SYNC_FILES) > MAX_SYNC_FILES {
        return Err(usage(format!(
            "the program's folder {} holds more than {MAX_SYNC_FILES} files, and a run copies all of it to every host",
            program.dir
        ))
        .hint("put the program in a folder of its own (or use --demos DIR), or pass --no-sync"));
    }
    let warm = warm_on_hosts(args);
    let rsync = match (args.no_sync, warm) {
        (true, false) => None,
        (true, true) => Some(tools::require(
            "rsync",
            "install rsync (Debian/Ubuntu: `apt-get install rsync`): a warm run copies its warm start to the hosts; or pass --cold",
        )?),
        (false, _) => Some(tools::require(
            "rsync",
            "install rsync (Debian/Ubuntu: `apt-get install rsync`), or pass --no-sync",
        )?),
    };
    let warm = warm.then(|| e3_run::warm::RemoteWarm::new(rsync.clone().unwrap_or_default()));
    let plan = remote_plan(
        &ssh,
        rsync.as_deref().filter(|_| !args.no_sync),
        program,
        &commands,
        &args.remote,
        args.remote_python(),
        warm.as_ref(),
    );
    if dry_run {
        crate::out::print(&plan.to_plan(root).render());
        return Ok(());
    }
    let ui = Ui::new(args.json);
    ui.say(&format!(
        "e3: {} on {} from {hosts_file}",
        e3_plan::count(commands.len(), "party", "parties"),
        e3_plan::count(plan.hosts.len(), "host", "hosts")
    ));
    ui.say(
        &prun::render_party_table(&commands)
            .trim_end()
            .lines()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let start = start_on_hosts(args);
    let outcome = e3_run::run_remote(&spec(root, program, args, None, start), &plan, &ssh, &|e| {
        ui.run_event(e)
    })?;
    report(root, &ui, &outcome)
}

/// How a run on hosts starts: as asked, else e3's default for its parties
/// per host.
fn start_on_hosts(args: &RunArgs) -> Start {
    Start::choose(
        Start::from_flags(args.warm, args.cold),
        Placement::PerHost(args.parties_per_host()),
    )
}

fn warm_on_hosts(args: &RunArgs) -> bool {
    start_on_hosts(args).is_warm()
}

/// More files than this in a program's folder is surely not what the user
/// meant to copy to every host.
const MAX_SYNC_FILES: usize = 2000;

/// Every party's host and argv: `--parties` (default: every host's share)
/// laid out `--parties-per-host` to a host over the hosts of `hosts_file`.
pub fn party_commands(
    inventory: &Inventory,
    hosts_file: &str,
    program: &Program,
    parties: Option<usize>,
    per_host: usize,
    base_port: u16,
    program_args: &[String],
) -> Result<Vec<PartyCommand>> {
    let parties = parties.unwrap_or(inventory.hosts.len() * per_host);
    check_parties(parties, program_args, false)?;
    let settings = Settings {
        layout: Layout {
            parties,
            per_host,
            base_port,
        },
        log_level: None,
        program: std::iter::once(program.file.clone())
            .chain(program_args.iter().cloned())
            .collect(),
    };
    prun::plan_parties(inventory, &settings).map_err(|e| usage(format!("{hosts_file}: {e}")))
}

pub fn remote_plan(
    ssh: &Ssh,
    rsync: Option<&Utf8Path>,
    program: &Program,
    commands: &[PartyCommand],
    remote: &crate::cli::RemoteArgs,
    remote_python: &str,
    warm: Option<&e3_run::warm::RemoteWarm>,
) -> RemotePlan {
    let settings = RemoteSettings {
        remote_dir: remote.remote_dir(),
        remote_python,
        parallel: remote.parallel(),
        warm,
    };
    RemotePlan::new(ssh, rsync, program, commands, &settings)
}

/// The end of a run: the summary (a table, or JSON on stdout with
/// `--json`), the last lines of every failed party, and one line saying how
/// it went. A run in which not every party was ok is an error (exit 1).
fn report(root: &Utf8Path, ui: &Ui, outcome: &Outcome) -> Result<()> {
    let summary = &outcome.summary;
    if ui.json {
        crate::out::outln!("{}", outcome.json());
    } else {
        ui.say("");
        ui.say(&summary.table());
    }
    let rel_dir: Utf8PathBuf = relative_to(root, &outcome.dir);
    let (ok, total) = (summary.ok_count(), summary.parties.len());
    if let Some(line) = net_line(summary) {
        ui.say(&line);
    }
    pipeline::append_summary(&markdown_summary(summary, &rel_dir));
    if let Some(error) = summary.failure() {
        for culprit in summary
            .parties
            .iter()
            .filter(|p| p.status == Status::Failed)
        {
            let place = culprit
                .ssh
                .as_ref()
                .map_or(String::new(), |ssh| format!(" on {ssh}"));
            pipeline::annotate_error(
                &format!("party {} failed", culprit.index),
                &format!(
                    "party {}{place} failed ({}); its log: {}",
                    culprit.index,
                    culprit
                        .end
                        .map_or("no exit status".into(), |e| e.to_string()),
                    culprit.log
                ),
            );
            ui.say(&format!("\n--- last lines of {} ---", culprit.log));
            for line in &outcome.tails[culprit.index] {
                ui.say(line);
            }
        }
        ui.say(&format!(
            "\ne3: {ok} of {} ok; logs in {rel_dir}/ (logs/latest)",
            e3_plan::count(total, "party", "parties")
        ));
        return Err(failure(error));
    }
    ui.say(&format!(
        "e3: {ok} of {} ok in {:.2}s; logs in {rel_dir}/ (logs/latest)",
        e3_plan::count(total, "party", "parties"),
        summary.wall.as_secs_f64()
    ));
    Ok(())
}

/// Which network profile the run was under, and where it put the parties.
fn net_line(summary: &e3_run::summary::Summary) -> Option<String> {
    let net = summary.net.as_ref()?;
    let placement: Vec<String> = net
        .placement
        .iter()
        .map(|(r, n)| format!("{r}={n}"))
        .collect();
    Some(format!(
        "e3: under network profile `{}` ({}): {}",
        net.profile,
        net.source,
        placement.join(",")
    ))
}

/// A run for a CI job's summary: what ran, how it went, and the table.
fn markdown_summary(summary: &e3_run::summary::Summary, log_dir: &Utf8Path) -> String {
    let (ok, total) = (summary.ok_count(), summary.parties.len());
    let how = match summary.failure() {
        Some(error) => format!("**failed**: {error}"),
        None => format!("{ok} of {} ok", e3_plan::count(total, "party", "parties")),
    };
    let net = net_line(summary).map_or(String::new(), |l| {
        format!("\n\n{}", l.trim_start_matches("e3: "))
    });
    format!(
        "### e3 run: `{}` ({}, {total} parties)\n\n{how}, in {:.2}s; logs in `{log_dir}/`{net}\n\n{}",
        summary.program,
        summary.mode,
        summary.wall.as_secs_f64(),
        summary.markdown_table()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Task};
    use clap::Parser;

    fn program() -> Program {
        Program {
            dir: "/e3/demos".into(),
            file: "secretsanta.py".into(),
        }
    }

    /// The plan of `cargo xtask run secretsanta --hosts six-regions.pssh EXTRA`.
    fn remote_plan_for(extra: &[&str]) -> String {
        let hosts = include_str!("../../../crates/prun/tests/fixtures/six-regions.pssh");
        let inventory = Inventory::from_pssh(hosts, "six-regions.pssh").unwrap();
        let mut argv = vec![
            "cargo xtask",
            "run",
            "secretsanta",
            "--hosts",
            "six-regions.pssh",
        ];
        argv.extend(extra);
        let Task::Run(args) = Cli::try_parse_from(argv).unwrap().task else {
            unreachable!()
        };
        let ssh = Ssh {
            ssh: "/usr/bin/ssh".into(),
            config: None,
            user: args.remote.ssh_user.clone(),
            connect_timeout: args.remote.connect_timeout(),
            control_dir: "/tmp/e3-ssh-1234".into(),
        };
        let commands = party_commands(
            &inventory,
            "six-regions.pssh",
            &program(),
            args.parties,
            args.parties_per_host(),
            args.base_port,
            &args.args,
        )
        .unwrap();
        let rsync = (!args.no_sync).then(|| Utf8PathBuf::from("/usr/bin/rsync"));
        let warm = warm_on_hosts(&args).then(|| e3_run::warm::RemoteWarm {
            rsync: "/usr/bin/rsync".into(),
            base: "/tmp/e3-warm-0123456789abcdef".into(),
        });
        remote_plan(
            &ssh,
            rsync.as_deref(),
            &program(),
            &commands,
            &args.remote,
            args.remote_python(),
            warm.as_ref(),
        )
        .to_plan("/e3".into())
        .render()
    }

    #[test]
    fn six_hosts_sync_and_run() {
        insta::assert_snapshot!(remote_plan_for(&["--", "3"]));
    }

    #[test]
    fn six_hosts_two_parties_each_no_sync() {
        insta::assert_snapshot!(remote_plan_for(&[
            "--parties-per-host",
            "2",
            "--no-sync",
            "--remote-python",
            "/opt/mpyc/bin/python",
            "--ssh-user",
            "me",
        ]));
    }

    /// Two warm starts (one per host of the first two), each waited for,
    /// then three parties per host, each through its host's launcher.
    #[test]
    fn two_hosts_three_warm_parties_each() {
        let plan = remote_plan_for(&["--parties", "6", "--parties-per-host", "3", "--warm"]);
        let plan = plan.replace(e3_run::warm::SCRIPT, "<warm.py>\n");
        insta::assert_snapshot!(plan);
    }

    /// From WARM_FROM_PER_HOST parties on a host, warm unless --cold.
    #[test]
    fn many_parties_per_host_start_warm_unless_cold() {
        let per_host = e3_run::start::WARM_FROM_PER_HOST.to_string();
        let warm = remote_plan_for(&["--parties-per-host", &per_host, "--parties", &per_host]);
        assert!(warm.contains("(forked warm)"), "{warm}");
        let cold = remote_plan_for(&[
            "--parties-per-host",
            &per_host,
            "--parties",
            &per_host,
            "--cold",
        ]);
        assert!(!cold.contains("warm"), "{cold}");
    }

    /// Resolving is the engine's (and tested there); the wording is this task's.
    #[test]
    fn program_errors_name_the_flag_and_what_is_there() {
        let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let err = resolve_program(root, root, "nosuch", None).unwrap_err();
        assert_eq!(
            err.message,
            "unknown program `nosuch`: there is no nosuch.py in demos/"
        );
        assert_eq!(err.hints, ["available in demos/: helloworld, secretsanta"]);
        assert_eq!(err.exit_code(), 2);
        let err = resolve_program(root, root, "x", Some("xtask/src")).unwrap_err();
        assert_eq!(
            err.hints,
            ["xtask/src/ has no .py programs; give a path to a .py file or another --demos DIR"]
        );
        let err = resolve_program(root, root, "x", Some("no/such/dir")).unwrap_err();
        assert!(err.message.contains("--demos folder"), "{}", err.message);
        let err = resolve_program(root, root, "demos/nosuch.py", None).unwrap_err();
        assert_eq!(err.message, "program file `demos/nosuch.py` does not exist");
    }
}
