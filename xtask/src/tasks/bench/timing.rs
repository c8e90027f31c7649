//! Timing whole commands as a person would at a shell: wall time from start
//! to end, through e3-exec (stdin from /dev/null, output captured).

use std::time::{Duration, Instant};

use camino::Utf8Path;
use e3_exec::Captured;
use e3_plan::Cmd;

use super::contender::Contender;
use crate::error::{Result, failure};

/// Wall time of one run of the contender's commands, one after the other.
pub fn time(root: &Utf8Path, contender: &Contender) -> Result<f64> {
    let mut secs = 0.0;
    for cmd in &contender.steps {
        secs += time_once(root, cmd)?;
    }
    Ok(secs)
}

/// Wall time of one run; a failed run is an error (it would skew the
/// figures), with the end of what it printed on stderr.
pub fn time_once(root: &Utf8Path, cmd: &Cmd) -> Result<f64> {
    Ok(capture(root, cmd)?.0)
}

/// A bench's testbed, up while this lives: taken down when dropped,
/// however the measurement ends (an error, a failed `up` half-way).
pub struct Testbed<'a> {
    root: &'a Utf8Path,
    down: Cmd,
}

impl<'a> Testbed<'a> {
    /// Takes down what a killed bench may have left under the name, then
    /// brings the testbed up.
    pub fn up(root: &'a Utf8Path, up: &Cmd, down: &Cmd) -> Result<Testbed<'a>> {
        let _ = e3_exec::capture_in(Some(root), down);
        let bed = Testbed {
            root,
            down: down.clone(),
        };
        time_once(root, up)?;
        Ok(bed)
    }
}

impl Drop for Testbed<'_> {
    fn drop(&mut self) {
        let _ = e3_exec::capture_in(Some(self.root), &self.down);
    }
}

/// Wall time of one run and what it printed; a failed run is an error.
pub fn capture(root: &Utf8Path, cmd: &Cmd) -> Result<(f64, Captured)> {
    let start = Instant::now();
    let out = e3_exec::capture_in(Some(root), cmd)?;
    let secs = start.elapsed().as_secs_f64();
    if !out.end.success() {
        return Err(failed(cmd, &out));
    }
    Ok((secs, out))
}

/// Wall time of one run and the most memory its process tree held at once
/// (kB of PSS, summed, sampled every 50 ms); a failed run is an error.
pub fn time_with_memory(root: &Utf8Path, cmd: &Cmd) -> Result<(f64, u64)> {
    let start = Instant::now();
    let mut peak = 0;
    let out = e3_exec::run_watched(Some(root), cmd, Duration::from_millis(50), &mut |pid| {
        peak = peak.max(tree_pss_kb(pid))
    })?;
    let secs = start.elapsed().as_secs_f64();
    if !out.end.success() {
        return Err(failed(cmd, &out));
    }
    Ok((secs, peak))
}

/// What one `run --json` printed: its summary, and how long it took.
pub struct RunSummary {
    pub secs: f64,
    pub summary: serde_json::Value,
}

impl RunSummary {
    /// `stdout` of a run (`what` names it in the error when it is no JSON).
    pub fn parse(secs: f64, stdout: &str, what: &str) -> Result<RunSummary> {
        let summary = serde_json::from_str(stdout)
            .map_err(|e| failure(format!("{what} printed no summary: {e}")))?;
        Ok(RunSummary { secs, summary })
    }

    /// The slowest party's figure `key` (0 when none has it).
    pub fn slowest(&self, key: &str) -> f64 {
        self.parties()
            .filter_map(|p| p[key].as_f64())
            .fold(0.0, f64::max)
    }

    /// Each party's log (paths relative to `root`), read now; one that
    /// cannot be read is left out.
    pub fn logs(&self, root: &Utf8Path) -> Vec<String> {
        self.parties()
            .filter_map(|p| std::fs::read_to_string(root.join(p["log"].as_str()?)).ok())
            .collect()
    }

    /// The words after `prefix` of every line of every party's log that
    /// starts with it.
    pub fn lines(&self, root: &Utf8Path, prefix: &str) -> Vec<Vec<String>> {
        self.logs(root)
            .iter()
            .flat_map(|text| {
                text.lines()
                    .filter_map(|l| l.strip_prefix(prefix))
                    .map(|l| l.split_whitespace().map(str::to_string).collect())
                    .collect::<Vec<Vec<String>>>()
            })
            .collect()
    }

    fn parties(&self) -> impl Iterator<Item = &serde_json::Value> {
        self.summary["parties"].as_array().into_iter().flatten()
    }
}

/// One `run --json`, timed; a failed run is an error.
pub fn run_summary(root: &Utf8Path, cmd: &Cmd) -> Result<RunSummary> {
    let (secs, out) = capture(root, cmd)?;
    RunSummary::parse(secs, &out.stdout, &format!("`{cmd}`"))
}

fn failed(cmd: &Cmd, out: &Captured) -> crate::error::Error {
    let tail: Vec<&str> = out.stderr.lines().rev().take(10).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    failure(format!(
        "`{cmd}` failed ({}):\n{}",
        out.end,
        tail.join("\n")
    ))
}

/// The PSS of `pid` and every process below it, in kB.
fn tree_pss_kb(pid: u32) -> u64 {
    let mut parent_of = std::collections::HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The fields after the command name, which may hold spaces.
        let ppid = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parent_of.insert(p, ppid);
        }
    }
    let in_tree = |mut p: u32| loop {
        if p == pid {
            return true;
        }
        match parent_of.get(&p) {
            Some(&pp) if pp != 0 && pp != p => p = pp,
            _ => return false,
        }
    };
    parent_of
        .keys()
        .filter(|p| in_tree(**p))
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok())
        .filter_map(|text| {
            text.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run's summary: the slowest party's figure, and the words of its
    /// parties' log lines after a prefix (a log that is gone left out).
    #[test]
    fn a_run_summary_reads_its_figures_and_logs() {
        let dir = std::env::temp_dir().join(format!("e3-run-summary-{}", std::process::id()));
        let root = Utf8Path::from_path(&dir).unwrap();
        std::fs::create_dir_all(root).unwrap();
        std::fs::write(root.join("p0.log"), "hello\npingpong 0 1 2.5\n").unwrap();
        std::fs::write(root.join("p1.log"), "pingpong 1 2 20.1\n").unwrap();
        let json = r#"{"parties": [
            {"log": "p0.log", "mpyc_elapsed_secs": 0.2},
            {"log": "p1.log", "mpyc_elapsed_secs": 0.5},
            {"log": "gone.log"}
        ]}"#;
        let run = RunSummary::parse(1.5, json, "the run").unwrap();
        let lines = run.lines(root, "pingpong ");
        let logs = run.logs(root);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(run.slowest("mpyc_elapsed_secs"), 0.5);
        assert_eq!(run.slowest("nothing"), 0.0);
        assert_eq!(logs.len(), 2);
        assert_eq!(lines, [["0", "1", "2.5"], ["1", "2", "20.1"]]);
        let err = RunSummary::parse(0.0, "Traceback", "`xtask run`")
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("`xtask run` printed no summary"),
            "{err}"
        );
    }
}
