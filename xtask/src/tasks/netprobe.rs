//! `cargo xtask netprobe --hosts FILE [--out net/NAME.toml]`: the real round
//! trips and bandwidth between the hosts' regions, measured once on the
//! hosts (droplets, a testbed), written as a network profile that
//! `run --net` replays locally as often as wanted.
//!
//! It runs e3's ping-pong program (`crates/e3-net/pingpong.py`, Python, not
//! MPyC) as a run on the hosts, one party per host, over the same SSH
//! sessions as `run`: every pair of hosts times round trips and a bulk
//! transfer; the profile holds the medians by region pair.

use std::time::Duration;

use camino::Utf8Path;
use e3_net::probe::{self, Measurements};
use e3_run::request::Place;
use e3_run::{Program, RunRequest, Start};

use crate::cli::NetprobeArgs;
use crate::error::{Result, failure, usage};
use crate::paths::{current_dir, relative_to};
use crate::request::{self, HostsAsked};
use crate::ui::Ui;

/// Where the program is written before it is synced to the hosts.
const PROBE_DIR: &str = ".e3/netprobe";

pub fn run(root: &Utf8Path, dry_run: bool, args: &NetprobeArgs) -> Result<()> {
    if args.pings == 0 {
        return Err(usage("--pings must be at least 1"));
    }
    let asked = HostsAsked {
        file: args.hosts.clone(),
        remote: args.remote.clone(),
        per_host: Some(1),
        remote_python: args.remote_python.clone(),
        no_sync: false,
    };
    let hosts = request::hosts(&asked, false)?;
    if hosts.inventory.hosts.len() < 2 {
        return Err(usage(format!(
            "{} lists one host: a round trip needs two",
            args.hosts
        )));
    }
    let inventory = hosts.inventory.clone();
    let dir = root.join(PROBE_DIR);
    let program = Program {
        dir: dir.clone(),
        file: "pingpong.py".into(),
    };
    let request = RunRequest {
        program,
        args: vec![
            "--pings".to_string(),
            args.pings.to_string(),
            "--bulk-all".to_string(),
            (args.bulk_mb * 1_000_000).to_string(),
        ],
        parties: None,
        start: Some(Start::Cold),
        timeout: Duration::from_secs(args.timeout),
        base_port: args.base_port,
        tls: false,
        // The ping-pong program is not MPyC's: it says nothing of connecting.
        start_timeout: None,
        place: Place::Hosts(hosts),
    };
    let prepared = request.prepare(root).map_err(request::word)?;
    let regions: Vec<String> = inventory
        .hosts
        .iter()
        .map(|h| probe::region_of(&h.name, h.region.as_deref()))
        .collect();
    let out = match &args.out {
        Some(out) => current_dir()?.join(out),
        None => root.join("net").join(format!(
            "netprobe-{}.toml",
            jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S")
        )),
    };
    if dry_run {
        crate::out::outln!("# write {PROBE_DIR}/pingpong.py (e3-net's ping-pong program), then:");
        crate::out::print(&prepared.plan(root).render());
        let mut distinct: Vec<&str> = Vec::new();
        for region in &regions {
            if !distinct.contains(&region.as_str()) {
                distinct.push(region);
            }
        }
        crate::out::outln!(
            "# then the medians of every pair's round trips and transfers, by region pair (regions {}), into {}",
            distinct.join(", "),
            relative_to(root, &out)
        );
        return Ok(());
    }
    std::fs::create_dir_all(&dir).map_err(|e| failure(format!("cannot make {dir}: {e}")))?;
    std::fs::write(dir.join("pingpong.py"), e3_net::PINGPONG)
        .map_err(|e| failure(format!("cannot write {dir}/pingpong.py: {e}")))?;
    let ui = Ui::new(false);
    ui.say(&format!(
        "e3: measuring round trips and transfers between {} hosts ({} pings and {} MB a pair)",
        inventory.hosts.len(),
        args.pings,
        args.bulk_mb
    ));
    let provenance = request::provenance(root);
    let outcome = prepared.run(root, &request, &provenance, &|e| match e {
        // Party 0's own lines are measurements: shown at the end instead.
        e3_run::RunEvent::Line { .. } => {}
        e => ui.run_event(e),
    })?;
    if let Some(error) = outcome.summary.failure() {
        return Err(failure(format!("the measurement failed: {error}")));
    }
    let mut measured = Measurements::default();
    for party in &outcome.summary.parties {
        let log = root.join(&party.log);
        let text = std::fs::read_to_string(&log)
            .map_err(|e| failure(format!("cannot read {log}: {e}")))?;
        measured.read(&text);
    }
    let hosts: Vec<&str> = inventory.hosts.iter().map(|h| h.name.as_str()).collect();
    let source = format!(
        "measured by netprobe, {}, between {}",
        jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        hosts.join(", ")
    );
    let toml = probe::profile_toml(&regions, &measured, &source);
    // What is written is a profile `run --net` takes.
    let name = out.file_stem().unwrap_or("netprobe");
    e3_net::profile::parse(&toml, name, out.as_str())
        .map_err(|e| failure(format!("the measured profile does not read back: {e}")))?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| failure(format!("cannot make {parent}: {e}")))?;
    }
    std::fs::write(&out, &toml).map_err(|e| failure(format!("cannot write {out}: {e}")))?;
    ui.say(&toml);
    ui.say(&format!(
        "e3: wrote {}; replay it: cargo xtask run PROGRAM --parties {} --net {}",
        relative_to(root, &out),
        regions.len(),
        relative_to(root, &out)
    ));
    Ok(())
}
