//! `bench many-parties`: many local parties of helloworld `-T1`, e3 warm and
//! cold against MPyC's own `-M m` launcher, the same interpreter for all,
//! interleaved; wall time and the peak memory of the whole run (PSS summed
//! over its process tree).

use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::Cmd;
use e3_run::python;

use super::contender::{Contender, Start};
use super::report::{self, Section};
use super::stats::{enough_runs, median};
use super::timing::{time_once, time_with_memory};
use crate::error::{Result, usage};

pub const SECTION: Section = Section {
    name: "many-parties",
    title: "Many parties on one machine: warm and cold starts against MPyC's own launcher",
    before: "cargo build -p xtask && ",
    needs: "",
};

/// The fewest `--runs` it takes (its help says so).
pub const LEAST_RUNS: usize = 3;
/// The party counts it takes (`--parties`; its help says so).
pub const PARTIES: std::ops::RangeInclusive<usize> = 2..=256;

/// Refuses options it cannot measure with: usage errors naming the flag.
pub fn check(runs: usize, counts: &[usize]) -> Result<()> {
    let (least, most) = (PARTIES.start(), PARTIES.end());
    let hint = format!("give counts from {least} to {most}, comma-separated: --parties 16,64,128");
    if counts.is_empty() {
        return Err(usage("--parties: no party count given").hint(hint));
    }
    if let Some(m) = counts.iter().find(|m| !PARTIES.contains(m)) {
        return Err(usage(format!(
            "--parties: {m} is not a count from {least} to {most}"
        ))
        .hint(hint));
    }
    enough_runs(runs, LEAST_RUNS)
}

/// Its options as typed, for the Reproduce line.
pub fn options(runs: usize, counts: &[usize]) -> Vec<String> {
    let counts: Vec<String> = counts.iter().map(usize::to_string).collect();
    vec![
        "--parties".into(),
        counts.join(","),
        "--runs".into(),
        runs.to_string(),
    ]
}

/// The contenders at `m` parties: the baseline, e3 warm, e3 cold.
pub fn contenders(
    root: &Utf8Path,
    xtask: &Utf8Path,
    python: &Utf8Path,
    m: usize,
) -> Vec<Contender> {
    let count = m.to_string();
    let run_args = ["helloworld", "--parties", &count, "--json"];
    let e3 = |label: &str, start: Start| {
        Contender::e3(label, start, Cmd::new(xtask), &run_args, &["-T1"])
    };
    vec![
        Contender::other(
            "MPyC `-M m` (baseline)",
            Cmd::new(python)
                .args(["helloworld.py", &format!("-M{m}"), "-T1"])
                .cwd(root.join("demos")),
        ),
        e3("e3 warm", Start::Warm),
        e3("e3 cold", Start::Cold),
    ]
}

/// What `--dry-run` prints: every contender's command at every count.
pub fn dry_run(root: &Utf8Path, xtask: &Utf8Path, python: &Utf8Path, counts: &[usize]) -> String {
    let mut text = String::new();
    for &m in counts {
        for c in contenders(root, xtask, python, m) {
            for line in c.dry_run_lines() {
                let _ = writeln!(text, "{line}");
            }
        }
    }
    text
}

pub fn run(
    root: &Utf8Path,
    dry_run: bool,
    runs: usize,
    counts: &[usize],
) -> Result<Option<String>> {
    check(runs, counts)?;
    let xtask: Utf8PathBuf = crate::request::launcher()?;
    let python = crate::request::python(root, None)?.interpreter();
    if dry_run {
        crate::out::print(&self::dry_run(root, &xtask, &python, counts));
        return Ok(None);
    }
    // One untimed run: makes the Python environment, warms the caches.
    time_once(
        root,
        &Cmd::new(&xtask).args(["run", "helloworld", "--parties", "2"]),
    )?;
    let mut rows = Vec::new();
    for &m in counts {
        let list = contenders(root, &xtask, &python, m);
        let mut times = vec![Vec::new(); list.len()];
        let mut peaks = vec![0u64; list.len()];
        for round in 1..=runs {
            for (i, c) in list.iter().enumerate() {
                let (secs, peak_kb) = time_with_memory(root, &c.steps[0])?;
                times[i].push(secs);
                peaks[i] = peaks[i].max(peak_kb);
            }
            crate::out::errln!(
                "bench: {m} parties, round {round}/{runs}: {}",
                times
                    .iter()
                    .map(|t| format!("{:.2}s", t[round - 1]))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        rows.push((m, times, peaks));
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Measured {} on this machine ({} cores): local parties of e3's `demos/helloworld.py` with `-T1` \
         (every party says hello, then they securely add up their indices: the work of MPyC's own \
         helloworld, which its PyPI package does not ship), {runs} interleaved runs of each, the same \
         interpreter (`{}`) for all. Peak memory is the most the whole run held at once: the PSS of \
         every process in its tree, summed, sampled every 50 ms.\n",
        report::now_utc(),
        report::cores(),
        python::VENV_DIR
    );
    let first = contenders(root, &xtask, &python, counts[0]);
    let _ = writeln!(
        text,
        "| parties | {} | {} | ratio | {} | ratio | peak memory: MPyC / warm / cold |",
        first[0].label, first[1].label, first[2].label,
    );
    let _ = writeln!(text, "|---|---|---|---|---|---|---|");
    for (m, times, peaks) in &rows {
        let base = median(&times[0]);
        let (warm, cold) = (median(&times[1]), median(&times[2]));
        let target = if *m == 64 { " (target ≤ 0.35)" } else { "" };
        let _ = writeln!(
            text,
            "| {m} | {base:.2} s | {warm:.2} s | {:.2}{target} | {cold:.2} s | {:.2} | {} / {} / {} MB |",
            warm / base,
            cold / base,
            peaks[0] / 1024,
            peaks[1] / 1024,
            peaks[2] / 1024,
        );
    }
    let _ = write!(
        text,
        "\nCommands, at {} parties:\n\n{}",
        counts[0],
        report::commands(root, &first)
    );
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_run_prints_every_contender_at_every_count() {
        let text = dry_run(
            "/e3".into(),
            "/e3/target/debug/xtask".into(),
            "/e3/.e3/venv/bin/python".into(),
            &[16, 64],
        );
        insta::assert_snapshot!(text);
    }
}
