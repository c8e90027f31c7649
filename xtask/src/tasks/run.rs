//! `cargo xtask run PROGRAM`: N MPyC parties at once — local processes, or
//! one per host over SSH with `--hosts FILE` — through the run engine
//! (`e3-run`), which watches them and keeps their logs. This task fills an
//! [`e3_run::RunRequest`] from the flags, words the errors and prints the
//! outcome.

use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use e3_run::request::{Local, Place, Prepared};
use e3_run::summary::Status;
use e3_run::{Outcome, RunRequest, Start};

use crate::cli::RunArgs;
use crate::error::{Result, failure, usage};
use crate::paths::{current_dir, relative_to};
use crate::pipeline;
use crate::request::{self, HostsAsked};
use crate::ui::Ui;

pub fn run(root: &Utf8Path, dry_run: bool, args: &RunArgs) -> Result<()> {
    let cwd = current_dir()?;
    let program = request::program(root, &cwd, &args.program, args.demos.as_deref())?;
    if args.timeout == 0 {
        return Err(usage("--timeout must be at least 1 second"));
    }
    if args.start_timeout == 0 {
        return Err(usage("--start-timeout must be at least 1 second"));
    }
    let asked_start = Start::from_flags(args.warm, args.cold);
    let place = match args.on_hosts.hosts.as_deref() {
        None => local_place(root, args)?,
        Some(file) => {
            if args.python.is_some() {
                return Err(usage("--python is for local runs")
                    .hint("with --hosts, use --remote-python CMD"));
            }
            if args.net.is_some() {
                return Err(usage(
                    "--net emulates the regions' network for local runs; on hosts the network is real",
                )
                .hint("drop --net; to measure the hosts' network as a profile: `cargo xtask netprobe --hosts FILE`"));
            }
            let asked = HostsAsked {
                file: file.to_string(),
                ..args.on_hosts.clone().into()
            };
            Place::Hosts(request::hosts(&asked, asked.start(asked_start).is_warm())?)
        }
    };
    let request = RunRequest {
        program,
        args: args.args.clone(),
        parties: args.parties,
        start: asked_start,
        timeout: Duration::from_secs(args.timeout),
        base_port: args.base_port,
        tls: args.tls,
        start_timeout: Some(Duration::from_secs(args.start_timeout)),
        place,
    };
    if dry_run {
        let prepared = request.prepare_dry(root).map_err(request::word)?;
        crate::out::print(&prepared.plan(root).render());
        return Ok(());
    }
    let prepared = request.prepare(root).map_err(request::word)?;
    let ui = Ui::new(args.json);
    if let (Place::Hosts(hosts), Prepared::Hosts(on_hosts)) = (&request.place, &prepared) {
        ui.say(&format!(
            "e3: {} on {} from {}",
            e3_plan::count(on_hosts.commands.len(), "party", "parties"),
            e3_plan::count(on_hosts.plan.hosts.len(), "host", "hosts"),
            hosts.file
        ));
        ui.say(
            &prun::render_party_table(&on_hosts.commands)
                .trim_end()
                .lines()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    let provenance = request::provenance(root);
    // On a testbed, its own counters before and after: lost packets make a
    // slow run the testbed's, not the protocol's.
    let testbed = args
        .on_hosts
        .hosts
        .as_deref()
        .map(|f| cwd.join(f))
        .and_then(|f| Some((e3_testnet::of_hosts_file(&f)?, f.parent()?.to_path_buf())))
        .and_then(|bed| Some((bed, crate::tools::find("ip").ok()?)));
    let before = testbed
        .as_ref()
        .map(|(((name, hosts), dir), ip)| e3_testnet::counters(ip, name, *hosts, dir));
    let mut outcome = prepared.run(root, &request, &provenance, &|e| ui.run_event(e))?;
    if let (Some((((name, hosts), dir), ip)), Some(before)) = (&testbed, &before) {
        let grown = e3_testnet::grown(before, &e3_testnet::counters(ip, name, *hosts, dir));
        if !grown.is_empty() {
            outcome
                .summary
                .warnings
                .push(lost_packets_warning(name, &grown));
            outcome
                .write_summary()
                .map_err(|e| failure(e.to_string()))?;
        }
    }
    report(root, &ui, &outcome)
}

/// What a run on testbed `name` says when its counters grew: whose the
/// loss is. A listen queue that overflowed is a party's own (MPyC listens
/// with asyncio's default backlog of 100, so a party that more than 100
/// others connect to at once can drop some of their SYNs); lost frames and
/// SYNs sent again otherwise are the testbed's.
fn lost_packets_warning(name: &str, grown: &[(String, u64)]) -> String {
    let list: Vec<String> = grown.iter().map(|(c, n)| format!("{c} +{n}")).collect();
    let listen = grown
        .iter()
        .any(|(c, _)| c.ends_with("TcpExtListenOverflows") || c.ends_with("TcpExtListenDrops"));
    let whose = match listen {
        true => {
            "a party's listen queue overflowed: MPyC listens with asyncio's default backlog of 100, so a party that more than 100 others connect to at once drops some of their SYNs, which TCP sends again a second later. That is MPyC's, not the testbed's; timings include it"
        }
        false => "its timings may be the testbed's, not the protocol's",
    };
    format!(
        "testbed `{name}` lost packets during the run ({}): {whose}",
        list.join(", ")
    )
}

/// This machine, with `--python`, `--net` and `--placement`; the flags
/// for hosts are refused without `--hosts`.
fn local_place(root: &Utf8Path, args: &RunArgs) -> Result<Place> {
    if let Some(flag) = args.on_hosts.given().first() {
        return Err(usage(format!("{flag} is for runs on hosts"))
            .hint("add --hosts FILE, or drop the flag"));
    }
    // The flags before the interpreter, as always: the first error is theirs.
    let parties = args
        .parties
        .unwrap_or(e3_run::request::DEFAULT_LOCAL_PARTIES);
    prun::check_party_count(parties).map_err(|e| usage(format!("--parties {parties}: {e}")))?;
    let shape = prun::mpyc::RunShape {
        parties,
        net: args.net.is_some(),
        said: prun::mpyc::Said::Flags,
    };
    prun::mpyc::check_program_args(&args.args, &shape)
        .map_err(|e| usage(e.message).hint(e.hint))?;
    let python = request::python(root, args.python.as_deref())?;
    let net = match &args.net {
        Some(net) => Some(request::profile(
            root,
            net,
            args.placement.as_deref(),
            "--net",
        )?),
        None => None,
    };
    Ok(Place::Local(Local {
        python,
        net,
        launcher: request::launcher()?,
    }))
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
    for warning in &summary.warnings {
        ui.say(&format!("warning: {warning}"));
    }
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
        "e3: {ok} of {} ok in {:.2}s{}; logs in {rel_dir}/ (logs/latest)",
        e3_plan::count(total, "party", "parties"),
        summary.wall.as_secs_f64(),
        if summary.tls { ", over TLS" } else { "" }
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

    #[test]
    fn lost_packets_are_named_as_the_testbeds_or_mpycs() {
        let testbed = lost_packets_warning(
            "bq",
            &[
                ("bq-br drops".into(), 3),
                ("bq-h2 TcpExtTCPSynRetrans".into(), 2),
            ],
        );
        assert!(testbed.contains("(bq-br drops +3, bq-h2 TcpExtTCPSynRetrans +2)"));
        assert!(
            testbed.ends_with("the testbed's, not the protocol's"),
            "{testbed}"
        );
        let mpyc = lost_packets_warning("bq", &[("bq-h200 TcpExtListenOverflows".into(), 7)]);
        assert!(mpyc.contains("MPyC's, not the testbed's"), "{mpyc}");
        assert!(mpyc.contains("backlog of 100"), "{mpyc}");
    }
    use crate::cli::{Cli, Task};
    use clap::Parser;
    use e3_run::Program;

    fn program() -> Program {
        Program {
            dir: "/e3/demos".into(),
            file: "secretsanta.py".into(),
        }
    }

    /// The plan of `cargo xtask run secretsanta --hosts six-regions.pssh EXTRA`.
    fn remote_plan_for(extra: &[&str]) -> String {
        let request = remote_request_for(extra);
        let plan = request.prepare("/e3".into()).unwrap().plan("/e3".into());
        // The warm start's folder is made per run.
        regex_free_replace(&plan.render(), "/tmp/e3-warm-", 16)
    }

    /// A dry run with TLS names each host's staging folder and makes none:
    /// no key is made or written to print a plan. The real preparation
    /// stages them (and removes them when dropped).
    #[test]
    fn a_dry_run_with_tls_writes_no_key() {
        let request = remote_request_for(&["--tls"]);
        let staged = |plan: &str| -> Vec<camino::Utf8PathBuf> {
            plan.split_whitespace()
                .filter(|w| w.contains("/e3-tls-hosts-"))
                .map(|w| w.trim_matches(|c| c == '\'' || c == '/').into())
                .map(|w: camino::Utf8PathBuf| camino::Utf8PathBuf::from(format!("/{w}")))
                .collect()
        };
        let dry = request.prepare_dry("/e3".into()).unwrap();
        let rendered = dry.plan("/e3".into()).render();
        assert!(
            rendered.contains("# TLS: e3 stages each host's parties' fresh keys"),
            "{rendered}"
        );
        let folders = staged(&rendered);
        assert!(!folders.is_empty());
        for folder in &folders {
            assert!(!folder.exists(), "{folder} made by a dry run");
        }
        let real = request.prepare("/e3".into()).unwrap();
        let folders = staged(&real.plan("/e3".into()).render());
        assert!(folders.iter().all(|f| f.is_dir()), "{folders:?}");
        drop(real);
        assert!(folders.iter().all(|f| !f.exists()), "{folders:?}");
    }

    fn remote_request_for(extra: &[&str]) -> RunRequest {
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
        let asked = HostsAsked::from(args.on_hosts.clone());
        let ssh = e3_ssh::Ssh {
            ssh: "/usr/bin/ssh".into(),
            config: None,
            user: asked.remote.ssh_user.clone(),
            connect_timeout: asked.remote.connect_timeout(),
            control_dir: "/tmp/e3-ssh-1234".into(),
            known_hosts: None,
            keep_secs: 0,
        };
        let hosts = e3_run::request::Hosts {
            file: "six-regions.pssh".into(),
            inventory,
            ssh,
            per_host: asked.per_host(),
            remote_python: asked.remote_python.clone().unwrap_or("python3".into()),
            remote_dir: asked.remote.remote_dir().into(),
            parallel: asked.remote.parallel(),
            sync: !asked.no_sync,
            rsync: Some("/usr/bin/rsync".into()),
        };
        RunRequest {
            program: program(),
            args: args.args.clone(),
            parties: args.parties,
            start: Start::from_flags(args.warm, args.cold),
            timeout: Duration::from_secs(args.timeout),
            base_port: args.base_port,
            tls: args.tls,
            start_timeout: None,
            place: Place::Hosts(hosts),
        }
    }

    /// `text` with the `len` characters after each `prefix` as `0123...`.
    fn regex_free_replace(text: &str, prefix: &str, len: usize) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(prefix) {
            out.push_str(&rest[..at + prefix.len()]);
            out.push_str(&"0123456789abcdef"[..len]);
            rest = &rest[(at + prefix.len() + len).min(rest.len())..];
        }
        out.push_str(rest);
        out
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
        let err = request::program(root, root, "nosuch", None).unwrap_err();
        assert_eq!(
            err.message,
            "unknown program `nosuch`: there is no nosuch.py in demos/"
        );
        assert_eq!(err.hints, ["available in demos/: helloworld, secretsanta"]);
        assert_eq!(err.exit_code(), 2);
        let err = request::program(root, root, "x", Some("xtask/src")).unwrap_err();
        assert_eq!(
            err.hints,
            ["xtask/src/ has no .py programs; give a path to a .py file or another --demos DIR"]
        );
        let err = request::program(root, root, "x", Some("no/such/dir")).unwrap_err();
        assert!(err.message.contains("--demos folder"), "{}", err.message);
        let err = request::program(root, root, "demos/nosuch.py", None).unwrap_err();
        assert_eq!(err.message, "program file `demos/nosuch.py` does not exist");
    }
}
