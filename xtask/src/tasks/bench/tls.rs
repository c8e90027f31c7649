//! `bench tls`: what `run --tls` costs. Local parties of helloworld `-T1`,
//! e3 plain against e3 with TLS (fresh keys and certificates per run, each
//! party in its own working folder), interleaved; the run's wall time, the
//! time until every party had connected (the handshakes), and MPyC's own
//! time, from each run's summary.

use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::Cmd;

use super::report::{self, Section};
use super::stats::{enough_runs, median};
use super::timing::{RunSummary, Testbed, capture};
use crate::error::{Result, failure, usage};

pub const SECTION: Section = Section {
    name: "tls",
    title: "TLS between parties: what `run --tls` costs against plain TCP",
    before: "cargo build -p xtask && ",
    needs: "",
};

/// The fewest `--runs` it takes.
pub const LEAST_RUNS: usize = 3;

pub fn options(runs: usize, counts: &[usize], testbed: usize) -> Vec<String> {
    let counts: Vec<String> = counts.iter().map(usize::to_string).collect();
    vec![
        "--parties".into(),
        counts.join(","),
        "--testbed".into(),
        testbed.to_string(),
        "--runs".into(),
        runs.to_string(),
    ]
}

/// The testbed the benchmark makes for its row on hosts.
const BED: &str = "e3btls";
const BED_SUBNET: &str = "10.213.249";

/// `run helloworld --parties m --json [--tls] -- -T1`.
fn command(xtask: &Utf8Path, m: usize, tls: bool) -> Cmd {
    let count = m.to_string();
    let mut cmd = Cmd::new(xtask).args(["run", "helloworld", "--parties", &count, "--json"]);
    if tls {
        cmd = cmd.arg("--tls");
    }
    cmd.args(["--", "-T1"])
}

/// The same on the testbed in `bed`: one party a host.
fn testbed_command(
    root: &Utf8Path,
    xtask: &Utf8Path,
    bed: &Utf8Path,
    hosts: usize,
    tls: bool,
) -> Cmd {
    let python = root.join(e3_run::python::VENV_DIR).join("bin/python");
    let mut cmd = Cmd::new(xtask)
        .args([
            "run",
            "helloworld",
            "--json",
            "--parallel",
            &hosts.to_string(),
        ])
        .arg("--hosts")
        .arg(bed.join("hosts.pssh"))
        .arg("--ssh-config")
        .arg(bed.join("ssh_config"))
        .arg("--remote-python")
        .arg(&python);
    if tls {
        cmd = cmd.arg("--tls");
    }
    cmd.args(["--", "-T1"])
}

/// A run's figures from its summary: (time to connect, MPyC time), each
/// its slowest party's.
fn figures(summary_json: &str) -> Result<(f64, f64)> {
    let run = RunSummary::parse(0.0, summary_json, "the run")?;
    Ok((
        run.slowest("connected_after_secs"),
        run.slowest("mpyc_elapsed_secs"),
    ))
}

pub fn run(
    root: &Utf8Path,
    dry_run: bool,
    runs: usize,
    counts: &[usize],
    testbed: usize,
) -> Result<Option<String>> {
    enough_runs(runs, LEAST_RUNS)?;
    if counts.is_empty() || counts.iter().any(|m| !(3..=256).contains(m)) {
        return Err(usage(
            "--parties: give counts from 3 to 256, comma-separated",
        ));
    }
    if testbed == 1 || testbed > 250 {
        return Err(usage(format!(
            "--testbed {testbed}: give 2 to 250 hosts, or 0 for no testbed row"
        )));
    }
    let xtask = crate::request::launcher()?;
    let bed_dir = Utf8PathBuf::from_path_buf(std::env::temp_dir())
        .map_err(|_| failure("the temp folder is not UTF-8"))?
        .join("e3-bench-tls-testnet");
    let up = Cmd::new(&xtask)
        .args([
            "testnet",
            "up",
            &testbed.to_string(),
            "--name",
            BED,
            "--subnet",
            BED_SUBNET,
        ])
        .arg("--dir")
        .arg(&bed_dir);
    let down = Cmd::new(&xtask)
        .args(["testnet", "down", "--name", BED])
        .arg("--dir")
        .arg(&bed_dir);
    if dry_run {
        for &m in counts {
            for tls in [false, true] {
                crate::out::outln!("{}", command(&xtask, m, tls));
            }
        }
        if testbed > 0 {
            crate::out::outln!("{up}");
            for tls in [false, true] {
                crate::out::outln!("{}", testbed_command(root, &xtask, &bed_dir, testbed, tls));
            }
            crate::out::outln!("{down}");
        }
        return Ok(None);
    }
    if testbed > 0 && !e3_testnet::is_root() {
        return Err(usage("the testbed row needs root (network namespaces)")
            .hint("run as root, or pass --testbed 0 for local parties only"));
    }
    // One untimed run of each: the Python environment, the caches.
    for tls in [false, true] {
        capture(root, &command(&xtask, 3, tls))?;
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Measured {} on this machine ({} cores): parties of `demos/helloworld.py -T1` on this machine and (the last row) on a testbed of network namespaces, one party a host, each start as e3 chooses it, {runs} interleaved runs of each, plain and with `--tls` (a fresh CA and one key and certificate per party, checked, each party in a working folder of its own on tmpfs; MPyC's `--ssl`). Medians; ratios are TLS / plain.\n",
        report::now_utc(),
        report::cores(),
    );
    let _ = writeln!(
        text,
        "| parties | wall, plain | wall, TLS | ratio | all connected after, plain | TLS | ratio | MPyC time, plain | TLS | ratio |"
    );
    let _ = writeln!(text, "|---|---|---|---|---|---|---|---|---|---|");
    // The local sizes, then (`--testbed N`) N hosts on a testbed.
    let mut rows: Vec<(String, usize)> = counts.iter().map(|m| (m.to_string(), *m)).collect();
    // Down again however the rows end.
    let bed = match testbed {
        0 => None,
        _ => {
            rows.push((format!("{testbed} on a testbed (one a host)"), testbed));
            Some(Testbed::up(root, &up, &down)?)
        }
    };
    for (i_row, (label, m)) in rows.iter().enumerate() {
        let on_bed = testbed > 0 && i_row == rows.len() - 1;
        let cmd = |tls: bool| match on_bed {
            true => testbed_command(root, &xtask, &bed_dir, *m, tls),
            false => command(&xtask, *m, tls),
        };
        if on_bed {
            for tls in [false, true] {
                capture(root, &cmd(tls))?;
            }
        }
        // [plain, tls] × (wall, connect, mpyc)
        let mut got = [
            [Vec::new(), Vec::new(), Vec::new()],
            [Vec::new(), Vec::new(), Vec::new()],
        ];
        for round in 1..=runs {
            for (i, tls) in [false, true].into_iter().enumerate() {
                let (wall, out) = capture(root, &cmd(tls))?;
                let (connect, mpyc) = figures(&out.stdout)?;
                got[i][0].push(wall);
                got[i][1].push(connect);
                got[i][2].push(mpyc);
            }
            crate::out::errln!(
                "bench: {label} parties, round {round}/{runs}: plain {:.2}s, TLS {:.2}s",
                got[0][0][round - 1],
                got[1][0][round - 1]
            );
        }
        let cell = |k: usize| {
            let (a, b) = (median(&got[0][k]), median(&got[1][k]));
            format!("{a:.3} s | {b:.3} s | {:.2}", b / a)
        };
        let _ = writeln!(
            text,
            "| {label} | {} | {} | {} |",
            cell(0),
            cell(1),
            cell(2)
        );
    }
    drop(bed);
    let _ = writeln!(
        text,
        "\nThe time to connect is where TLS costs: every pair of parties makes a TLS handshake (client certificates both ways, ECDSA P-256), m(m-1)/2 of them (2016 at 64 parties), in Python's ssl inside MPyC's event loop, all on this machine's cores. MPyC's own time, which starts once its party has connected (mpyc 0.11, `runtime.py`, `start()`), grows too: every message is encrypted and decrypted through asyncio's SSL transport, by every party's process on these cores."
    );
    let _ = write!(
        text,
        "\nCommands, at {} parties: `{}` and `{}`.\n",
        counts[0],
        command(Utf8Path::new("xtask"), counts[0], false),
        command(Utf8Path::new("xtask"), counts[0], true)
    );
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_the_slowest_partys() {
        let json = r#"{"parties": [{"connected_after_secs": 0.2, "mpyc_elapsed_secs": 0.01}, {"connected_after_secs": 0.5, "mpyc_elapsed_secs": 0.03}]}"#;
        assert_eq!(figures(json).unwrap(), (0.5, 0.03));
        assert!(figures("nope").is_err());
        assert_eq!(
            command("/x".into(), 6, true).to_string(),
            "/x run helloworld --parties 6 --json --tls -- -T1"
        );
    }
}
