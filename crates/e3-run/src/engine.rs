//! `cargo xtask run PROGRAM`: N MPyC parties at once — local processes, or
//! one per host over SSH with `--hosts FILE` — watched together, each one's
//! log kept, and a summary at the end.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use e3_exec::{Event, GroupOptions, Observer, StopReason, Verdict};
use e3_inventory::Host;
use e3_plan::{Cmd, Job, Plan, Step};
use prun::mpyc::{StopLine, is_connected_line, parse_stop_line};
use prun::{Layout, Party, PartyCommand, Settings};

use crate::cli::RunArgs;
use crate::error::{Context, Result, failure, usage};
use crate::paths::{current_dir, given, relative_to};
use crate::python::{self, Python};
use crate::remote::{self, PARTY_MARKER, Ssh};
use crate::summary::{PartySummary, Status, Summary};
use crate::{logs, ports, tools, ui::Ui};

/// The program the parties run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The folder it runs in (MPyC demos read files next to them); a remote
    /// run copies this folder to the hosts.
    pub dir: Utf8PathBuf,
    /// Its file name within `dir`.
    pub file: String,
}

impl Program {
    pub fn name(&self) -> &str {
        self.file.strip_suffix(".py").unwrap_or(&self.file)
    }
}

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

fn check_parties(parties: usize, program_args: &[String]) -> Result<()> {
    prun::check_party_count(parties).map_err(|e| usage(format!("--parties {parties}: {e}")))?;
    prun::mpyc::check_program_args(program_args, parties).map_err(usage)
}

fn run_local(root: &Utf8Path, dry_run: bool, args: &RunArgs, program: &Program) -> Result<()> {
    if let Some(flag) = args.remote_flags_given().first() {
        return Err(usage(format!("{flag} is for runs on hosts"))
            .hint("add --hosts FILE, or drop the flag"));
    }
    let parties = args.parties.unwrap_or(3);
    check_parties(parties, &args.args)?;
    let python = python::resolve(root, args.python.as_deref())?;
    let ports = ports::reserve(args.base_port, parties)?;
    let layout = Layout {
        parties,
        per_host: parties,
        base_port: ports.first,
    };
    let table =
        prun::party_table(&["127.0.0.1".to_string()], &layout).map_err(|e| usage(e.to_string()))?;
    let plan = plan_local(root, program, &args.args, &python, &table);
    if dry_run {
        print!("{}", plan.render());
        return Ok(());
    }
    let ui = Ui::new(args.json);
    let mut jobs = Vec::new();
    let mut setup = Plan {
        workdir: plan.workdir.clone(),
        steps: Vec::new(),
    };
    for step in plan.steps {
        match step {
            Step::Together { jobs: group, .. } => jobs = group,
            other => setup.steps.push(other),
        }
    }
    prepare_python(root, &python, &setup, &ui)?;
    let parties: Vec<RunParty> = table
        .into_iter()
        .map(|party| RunParty { party, host: None })
        .collect();
    PartyRun::new(root, program, args, &ui).execute(&parties, &jobs, None)
}

/// Finds PROGRAM: a path to a `.py` file, or a name in the demos folder.
pub fn resolve_program(
    root: &Utf8Path,
    cwd: &Utf8Path,
    spec: &str,
    demos: Option<&str>,
) -> Result<Program> {
    let demos_dir = given(cwd, demos, "--demos", true)?.unwrap_or_else(|| root.join("demos"));
    if spec.contains('/') || spec.ends_with(".py") {
        let path = cwd.join(spec);
        if !path.is_file() {
            return Err(usage(format!("program file `{spec}` does not exist")));
        }
        let path = path
            .canonicalize_utf8()
            .context(|| format!("cannot resolve {path}"))?;
        let (Some(dir), Some(file)) = (path.parent(), path.file_name()) else {
            return Err(usage(format!("`{spec}` is not a program file")));
        };
        return Ok(Program {
            dir: dir.to_path_buf(),
            file: file.to_string(),
        });
    }
    let file = format!("{spec}.py");
    if demos_dir.join(&file).is_file() {
        let dir = demos_dir
            .canonicalize_utf8()
            .context(|| format!("cannot resolve {demos_dir}"))?;
        return Ok(Program { dir, file });
    }
    let available = list_programs(&demos_dir);
    let shown = relative_to(root, &demos_dir);
    Err(usage(format!(
        "unknown program `{spec}`: there is no {file} in {shown}/"
    ))
    .hint(if available.is_empty() {
        format!("{shown}/ has no .py programs; give a path to a .py file or another --demos DIR")
    } else {
        format!("available in {shown}/: {}", available.join(", "))
    }))
}

fn list_programs(dir: &Utf8Path) -> Vec<String> {
    let mut names: Vec<String> = dir
        .read_dir_utf8()
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().strip_suffix(".py").map(str::to_string))
        .filter(|n| !n.starts_with('_'))
        .collect();
    names.sort();
    names
}

/// The plan of a local run: make the Python environment if needed, then
/// start party i as `python PROGRAM ARGS -I i -P 127.0.0.1:port_0 ...`.
pub fn plan_local(
    root: &Utf8Path,
    program: &Program,
    args: &[String],
    python: &Python,
    table: &[Party],
) -> Plan {
    let mut plan = Plan::new(root);
    plan.steps.extend(python.setup_steps());
    let interpreter = python.interpreter();
    let jobs = table
        .iter()
        .map(|party| Job {
            label: format!("party {}", party.index),
            cmd: Cmd::new(&interpreter)
                .arg(&program.file)
                .args(args)
                .args(prun::mpyc_args(table, party.index))
                .env("PYTHONUNBUFFERED", "1")
                .cwd(relative_to(root, &program.dir)),
        })
        .collect();
    plan.push(Step::Together {
        what: format!(
            "{} parties of {}, started together",
            table.len(),
            program.file
        ),
        jobs,
    });
    plan
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
    let (ssh, inventory) = remote::resolve(&args.remote, hosts_file)?;
    let per_host = args.parties_per_host();
    let parties = args.parties.unwrap_or(inventory.hosts.len() * per_host);
    check_parties(parties, &args.args)?;
    let settings = Settings {
        layout: Layout {
            parties,
            per_host,
            base_port: args.base_port,
        },
        log_level: None,
        program: std::iter::once(program.file.clone())
            .chain(args.args.iter().cloned())
            .collect(),
    };
    let commands = prun::plan_parties(&inventory, &settings)
        .map_err(|e| usage(format!("{hosts_file}: {e}")))?;
    // Sync copies the program's whole folder to every host: not a home folder by mistake.
    if !args.no_sync && crate::paths::count_files(&program.dir, MAX_SYNC_FILES) > MAX_SYNC_FILES {
        return Err(usage(format!(
            "the program's folder {} holds more than {MAX_SYNC_FILES} files, and a run copies all of it to every host",
            program.dir
        ))
        .hint("put the program in a folder of its own (or use --demos DIR), or pass --no-sync"));
    }
    let rsync = match args.no_sync {
        true => None,
        false => Some(tools::require(
            "rsync",
            "install rsync (Debian/Ubuntu: `apt-get install rsync`), or pass --no-sync",
        )?),
    };
    let plan = RemotePlan::new(&ssh, rsync.as_deref(), program, &commands, args);
    if dry_run {
        print!("{}", plan.to_plan(root).render());
        return Ok(());
    }
    let ui = Ui::new(args.json);
    ui.say(&format!(
        "e3: {} parties on {} hosts from {hosts_file}",
        commands.len(),
        plan.hosts.len()
    ));
    ui.say(
        &prun::render_party_table(&commands)
            .trim_end()
            .lines()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    plan.session.run(root, &ui, || {
        let parties: Vec<RunParty> = commands
            .iter()
            .map(|c| RunParty {
                party: c.party.clone(),
                host: Some(c.host.clone()),
            })
            .collect();
        PartyRun::new(root, program, args, &ui).execute(&parties, &plan.parties, Some(&ssh))
    })
}

/// More files than this in a program's folder is surely not what the user
/// meant to copy to every host.
const MAX_SYNC_FILES: usize = 2000;

/// Hosts that run at least one party, in inventory order.
fn used_hosts(commands: &[PartyCommand]) -> Vec<Host> {
    let mut hosts: Vec<Host> = Vec::new();
    for c in commands {
        if !hosts.iter().any(|h| h.same_endpoint(&c.host)) {
            hosts.push(c.host.clone());
        }
    }
    hosts
}

/// A run on hosts: a [`remote::Session`] (connect, sync, close) around the
/// parties; [`RemotePlan::to_plan`] is what `--dry-run` prints.
pub struct RemotePlan {
    /// The hosts that run at least one party, in inventory order.
    pub hosts: Vec<Host>,
    pub session: remote::Session,
    pub parties: Vec<Job>,
}

impl RemotePlan {
    pub fn new(
        ssh: &Ssh,
        rsync: Option<&Utf8Path>,
        program: &Program,
        commands: &[PartyCommand],
        args: &RunArgs,
    ) -> RemotePlan {
        let remote_dir = args.remote.remote_dir();
        let hosts = used_hosts(commands);
        let source = rsync.map(|rsync| remote::SyncSource {
            rsync,
            local_dir: &program.dir,
            remote_dir,
        });
        RemotePlan {
            session: remote::Session::new(ssh, &hosts, args.remote.parallel(), source),
            parties: commands
                .iter()
                .map(|c| Job {
                    label: format!("party {}", c.party.index),
                    cmd: ssh.remote(
                        &c.host,
                        true,
                        remote::party_command(remote_dir, args.remote_python(), &c.argv),
                    ),
                })
                .collect(),
            hosts,
        }
    }

    pub fn to_plan(&self, root: &Utf8Path) -> Plan {
        let parties = Step::Together {
            what: format!("{} parties, started together", self.parties.len()),
            jobs: self.parties.clone(),
        };
        self.session.to_plan(root, Some(parties))
    }
}

/// Runs the setup steps (making `.e3/venv`) under a lock, so that two runs
/// at once do not build the environment twice.
fn prepare_python(root: &Utf8Path, python: &Python, setup: &Plan, ui: &Ui) -> Result<()> {
    let Python::Managed(managed) = python else {
        return Ok(());
    };
    if managed.up_to_date {
        return Ok(());
    }
    let _lock = e3_exec::FileLock::acquire(&root.join(".e3/venv.lock"))?;
    if python::is_up_to_date(&managed.venv, &managed.stamp) {
        return Ok(());
    }
    ui.say(&format!(
        "e3: making the python env {} from {} (first run only; takes a minute)",
        python::VENV_DIR,
        python::REQUIREMENTS
    ));
    let started = Instant::now();
    e3_exec::run_plan(setup, |step| {
        if let Step::Run(cmd) = step {
            ui.say(&format!("e3: $ {cmd}"));
        }
    })
    .map_err(|e| failure(format!("making the python env failed: {}", e.message)))?;
    ui.say(&format!(
        "e3: python env ready in {:.1}s",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// A party of a run and, for remote runs, the host it runs on.
pub struct RunParty {
    pub party: Party,
    pub host: Option<Host>,
}

/// What every party of a run shares, for [`PartyRun::execute`].
struct PartyRun<'a> {
    root: &'a Utf8Path,
    program: &'a Program,
    args: &'a [String],
    timeout: Duration,
    ui: &'a Ui,
}

struct PartyState {
    log: BufWriter<File>,
    log_path: Utf8PathBuf,
    connected_after: Option<Duration>,
    stop: Option<StopLine>,
    tail: VecDeque<String>,
    exited: bool,
    /// Remote runs: the party's process (and process group) on its host, and
    /// the host's own name for itself, from the party's first line.
    remote_pid: Option<u32>,
    ran_on: Option<String>,
}

const TAIL_LINES: usize = 15;

struct RunObserver<'a> {
    ui: &'a Ui,
    parties: Vec<PartyState>,
    started: Instant,
    connected: usize,
    /// Who runs where (for a remote run: on which host).
    runs: &'a [RunParty],
    /// Remote runs: how to reach the hosts, to stop what runs there.
    ssh: Option<&'a Ssh>,
}

impl Observer for RunObserver<'_> {
    fn event(&mut self, event: Event<'_>) -> Verdict {
        match event {
            Event::Started { .. } => Verdict::Continue,
            Event::Line { job, line } => {
                self.line(job, line);
                Verdict::Continue
            }
            Event::Exited { job, end, stopped } => {
                let party = &mut self.parties[job];
                party.exited = true;
                let _ = party.log.flush();
                let after = self.started.elapsed().as_secs_f64();
                if end.success() {
                    self.ui
                        .say(&format!("e3: party {job} done after {after:.2}s"));
                    Verdict::Continue
                } else if stopped {
                    self.ui.say(&format!("e3: party {job} stopped ({end})"));
                    Verdict::Continue
                } else {
                    self.ui
                        .say(&format!("e3: party {job} FAILED ({end}) after {after:.2}s"));
                    Verdict::Stop(format!("party {job} failed ({end})"))
                }
            }
        }
    }

    /// Remote processes do not die with their ssh client: stop them on
    /// their hosts first, through the master connections, all hosts at once.
    fn stopping(&mut self, reason: &StopReason) {
        self.ui.say(&format!("e3: stopping every party: {reason}"));
        let Some(ssh) = self.ssh else {
            return;
        };
        // One kill command per host, naming every party still running there.
        let mut by_host: Vec<(&Host, Vec<u32>)> = Vec::new();
        for (party, run) in self.parties.iter().zip(self.runs) {
            let (false, Some(pid), Some(host)) = (party.exited, party.remote_pid, &run.host) else {
                continue;
            };
            match by_host.iter_mut().find(|(h, _)| h.same_endpoint(host)) {
                Some((_, pids)) => pids.push(pid),
                None => by_host.push((host, vec![pid])),
            }
        }
        let kills: Vec<(String, Cmd)> = by_host
            .into_iter()
            .map(|(host, pids)| {
                (
                    ssh.target(host),
                    ssh.remote(host, false, remote::kill_command(&pids)),
                )
            })
            .collect();
        let results: Vec<(String, e3_exec::Result<e3_exec::Captured>)> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = kills
                    .iter()
                    .map(|(target, cmd)| {
                        (target.clone(), scope.spawn(move || e3_exec::capture(cmd)))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|(t, h)| (t, h.join().expect("kill thread")))
                    .collect()
            });
        for (target, result) in results {
            match result {
                Ok(out) if out.end.success() => {}
                Ok(out) => self.ui.say(&format!(
                    "e3: could not stop the parties on {target}: {}",
                    out.stderr.trim()
                )),
                Err(err) => self.ui.say(&format!(
                    "e3: could not stop the parties on {target}: {err}"
                )),
            }
        }
    }
}

impl RunObserver<'_> {
    fn line(&mut self, job: usize, line: &str) {
        let total = self.parties.len();
        let remote = self.ssh.is_some();
        let party = &mut self.parties[job];
        if remote && party.remote_pid.is_none() && line.starts_with(PARTY_MARKER) {
            let mut words = line[PARTY_MARKER.len()..].split_whitespace();
            party.remote_pid = words.next().and_then(|p| p.parse().ok());
            party.ran_on = words.next().map(str::to_string);
            let _ = writeln!(
                party.log,
                "# e3: party {job} runs on {} as pid {}",
                party.ran_on.as_deref().unwrap_or("?"),
                party.remote_pid.map_or("?".to_string(), |p| p.to_string())
            );
            return;
        }
        let _ = writeln!(party.log, "{line}");
        if party.tail.len() == TAIL_LINES {
            party.tail.pop_front();
        }
        party.tail.push_back(line.to_string());
        if job == 0 {
            self.ui.say(&format!("party 0 | {line}"));
        }
        if party.connected_after.is_none() && is_connected_line(line) {
            party.connected_after = Some(self.started.elapsed());
            self.connected += 1;
            self.ui.say(&format!(
                "e3: party {job} connected ({}/{total})",
                self.connected
            ));
            if self.connected == total {
                self.ui.say(&format!(
                    "e3: all {total} parties connected after {:.2}s",
                    self.started.elapsed().as_secs_f64()
                ));
            }
        } else if let Some(stop) = parse_stop_line(line) {
            party.stop = Some(stop);
        }
    }
}

impl<'a> PartyRun<'a> {
    fn new(
        root: &'a Utf8Path,
        program: &'a Program,
        args: &'a RunArgs,
        ui: &'a Ui,
    ) -> PartyRun<'a> {
        PartyRun {
            root,
            program,
            args: &args.args,
            timeout: Duration::from_secs(args.timeout),
            ui,
        }
    }

    /// Starts every party, watches them, and writes the logs and the summary.
    fn execute(&self, parties: &[RunParty], jobs: &[Job], ssh: Option<&Ssh>) -> Result<()> {
        let (root, ui) = (self.root, self.ui);
        let started_at = jiff::Timestamp::now();
        let (run_id, dir) = logs::new_run_dir(root, started_at, self.program.name())?;
        let mut states = Vec::with_capacity(jobs.len());
        for (i, job) in jobs.iter().enumerate() {
            let log_path = dir.join(format!("party-{i}.log"));
            let file = File::create(&log_path).context(|| format!("cannot create {log_path}"))?;
            let mut log = BufWriter::new(file);
            writeln!(log, "$ {}", job.cmd).context(|| format!("cannot write {log_path}"))?;
            states.push(PartyState {
                log,
                log_path,
                connected_after: None,
                stop: None,
                tail: VecDeque::new(),
                exited: false,
                remote_pid: None,
                ran_on: None,
            });
        }
        logs::link_latest(root, &run_id)?;
        let rel_dir = relative_to(root, &dir);
        let table: Vec<Party> = parties.iter().map(|p| p.party.clone()).collect();
        ui.say(&format!(
            "e3: starting {} parties of {} on {}; logs in {rel_dir}/",
            jobs.len(),
            self.program.file,
            describe_addresses(&table)
        ));
        let mut observer = RunObserver {
            ui,
            parties: states,
            started: Instant::now(),
            connected: 0,
            runs: parties,
            ssh,
        };
        let options = GroupOptions {
            timeout: Some(self.timeout),
            grace: Duration::from_secs(3),
            max_parallel: None,
        };
        let report = e3_exec::run_together(Some(root), jobs, &options, &mut observer)?;
        for party in &mut observer.parties {
            let _ = party.log.flush();
        }

        let summary = Summary {
            run_id: run_id.clone(),
            started_at: started_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            mode: if ssh.is_some() { "ssh" } else { "local" },
            program: relative_to(root, &self.program.dir.join(&self.program.file)).to_string(),
            args: self.args.to_vec(),
            parties: parties
                .iter()
                .zip(&report.jobs)
                .zip(&observer.parties)
                .map(|((p, end), state)| PartySummary {
                    index: p.party.index,
                    host: p.party.host.clone(),
                    port: p.party.port,
                    ssh: ssh.zip(p.host.as_ref()).map(|(ssh, host)| ssh.target(host)),
                    ran_on: state.ran_on.clone(),
                    status: Status::of(end.end, end.stopped),
                    end: end.end,
                    wall: end.wall,
                    connected_after: state.connected_after,
                    stop: state.stop.clone(),
                    log: relative_to(root, &state.log_path),
                })
                .collect(),
            stopped: report.stopped.as_ref().map(ToString::to_string),
            wall: report.wall,
        };
        let summary_path = dir.join("summary.json");
        let json =
            serde_json::to_string_pretty(&summary.to_json()).expect("a json value serialises");
        std::fs::write(&summary_path, format!("{json}\n"))
            .context(|| format!("cannot write {summary_path}"))?;
        if ui.json {
            println!("{json}");
        } else {
            ui.say("");
            ui.say(&summary.table());
        }
        let total = parties.len();
        let ok = summary.ok_count();
        if let Some(error) = summary.failure() {
            for culprit in summary
                .parties
                .iter()
                .filter(|p| p.status == Status::Failed)
            {
                ui.say(&format!("\n--- last lines of {} ---", culprit.log));
                for line in &observer.parties[culprit.index].tail {
                    ui.say(line);
                }
            }
            ui.say(&format!(
                "\ne3: {ok} of {total} parties ok; logs in {rel_dir}/ (logs/latest)"
            ));
            return Err(failure(error));
        }
        ui.say(&format!(
            "e3: {ok} of {total} parties ok in {:.2}s; logs in {rel_dir}/ (logs/latest)",
            report.wall.as_secs_f64()
        ));
        Ok(())
    }
}

/// `127.0.0.1:11599-11604`, or `4 hosts` for a remote run.
fn describe_addresses(table: &[Party]) -> String {
    let distinct: std::collections::BTreeSet<&str> =
        table.iter().map(|p| p.host.as_str()).collect();
    match (table.first(), table.last()) {
        (Some(a), Some(b)) if distinct.len() == 1 && table.len() > 1 => {
            format!("{}-{}", a.address(), b.port)
        }
        (Some(a), _) if table.len() == 1 => a.address(),
        _ => format!("{} hosts", distinct.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Task};
    use crate::python::Managed;
    use clap::Parser;

    fn six_parties(base_port: u16) -> Vec<Party> {
        let layout = Layout {
            parties: 6,
            per_host: 6,
            base_port,
        };
        prun::party_table(&["127.0.0.1".to_string()], &layout).unwrap()
    }

    fn program() -> Program {
        Program {
            dir: "/e3/demos".into(),
            file: "secretsanta.py".into(),
        }
    }

    #[test]
    fn six_party_plan_with_a_fresh_environment() {
        let python = Python::Managed(Managed {
            base: "/usr/bin/python3".into(),
            venv: "/e3/.e3/venv".into(),
            stamp: "# stamp\nmpyc==0.11\n".into(),
            up_to_date: false,
        });
        let plan = plan_local(
            "/e3".into(),
            &program(),
            &["3".into()],
            &python,
            &six_parties(11599),
        );
        insta::assert_snapshot!(plan.render());
    }

    #[test]
    fn given_interpreter_and_program_outside_the_workspace() {
        let program = Program {
            dir: "/home/me/mpyc/demos".into(),
            file: "np_lpsolver.py".into(),
        };
        let table = prun::party_table(
            &["127.0.0.1".into()],
            &Layout {
                parties: 2,
                per_host: 2,
                base_port: 20000,
            },
        )
        .unwrap();
        let args = ["--log-level".to_string(), "debug".into(), "it's".into()];
        let plan = plan_local(
            "/e3".into(),
            &program,
            &args,
            &Python::Given("/opt/py 3/bin/python".into()),
            &table,
        );
        insta::assert_snapshot!(plan.render(), @r"
        cd /e3
        # 2 parties of np_lpsolver.py, started together
        cd /home/me/mpyc/demos && PYTHONUNBUFFERED=1 '/opt/py 3/bin/python' np_lpsolver.py --log-level debug 'it'\''s' -I 0 -P 127.0.0.1:20000 -P 127.0.0.1:20001 &  # party 0
        cd /home/me/mpyc/demos && PYTHONUNBUFFERED=1 '/opt/py 3/bin/python' np_lpsolver.py --log-level debug 'it'\''s' -I 1 -P 127.0.0.1:20000 -P 127.0.0.1:20001 &  # party 1
        wait
        ");
    }

    fn remote_plan(extra: &[&str]) -> String {
        let hosts = include_str!("../../../crates/prun/tests/fixtures/six-regions.pssh");
        let inventory = e3_inventory::Inventory::from_pssh(hosts, "six-regions.pssh").unwrap();
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
        let parties = args.parties.unwrap_or(6 * args.parties_per_host());
        let settings = Settings {
            layout: Layout {
                parties,
                per_host: args.parties_per_host(),
                base_port: args.base_port,
            },
            log_level: None,
            program: std::iter::once("secretsanta.py".to_string())
                .chain(args.args.iter().cloned())
                .collect(),
        };
        let commands = prun::plan_parties(&inventory, &settings).unwrap();
        let rsync = (!args.no_sync).then(|| Utf8PathBuf::from("/usr/bin/rsync"));
        RemotePlan::new(&ssh, rsync.as_deref(), &program(), &commands, &args)
            .to_plan("/e3".into())
            .render()
    }

    #[test]
    fn six_hosts_sync_and_run() {
        insta::assert_snapshot!(remote_plan(&["--", "3"]));
    }

    #[test]
    fn six_hosts_two_parties_each_no_sync() {
        insta::assert_snapshot!(remote_plan(&[
            "--parties-per-host",
            "2",
            "--no-sync",
            "--remote-python",
            "/opt/mpyc/bin/python",
            "--ssh-user",
            "me",
        ]));
    }

    #[test]
    fn programs_resolve_by_name_or_path() {
        let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let p = resolve_program(root, root, "secretsanta", None).unwrap();
        assert_eq!(
            (p.dir.as_path(), p.file.as_str()),
            (root.join("demos").as_path(), "secretsanta.py")
        );
        let p = resolve_program(root, &root.join("xtask"), "../demos/helloworld.py", None).unwrap();
        assert_eq!(p.file, "helloworld.py");
        let err = resolve_program(root, root, "nosuch", None).unwrap_err();
        assert_eq!(
            err.message,
            "unknown program `nosuch`: there is no nosuch.py in demos/"
        );
        assert_eq!(err.hints, ["available in demos/: helloworld, secretsanta"]);
        let err = resolve_program(root, root, "x", Some("no/such/dir")).unwrap_err();
        assert!(err.message.contains("--demos folder"), "{}", err.message);
        let err = resolve_program(root, root, "demos/nosuch.py", None).unwrap_err();
        assert_eq!(err.message, "program file `demos/nosuch.py` does not exist");
    }
}
