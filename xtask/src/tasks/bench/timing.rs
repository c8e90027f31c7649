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
