//! `bench run-overhead`: the wall time of a 6-party secretsanta run, e3
//! against MPyC's own `-M6` launcher, the same interpreter for all.
//!
//! e3 is timed as a person types it (`cargo xtask run ...`, which starts as
//! e3 decides by default), with `--cold`, and as the built binary (what
//! cargo's own start adds is the difference).

use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::Cmd;
use e3_run::python::{self, Python};

use super::contender::{Contender, Start, Warmth, e3_run};
use super::report::{self, Section};
use super::stats::{enough_runs, max, median, min};
use super::timing::{capture, time};
use crate::error::{Result, failure};
use crate::tools;

pub const SECTION: Section = Section {
    name: "run-overhead",
    title: "Run overhead: e3 against MPyC's own launcher",
    before: "cargo build -p xtask && ",
    needs: "",
};

/// The fewest `--runs` it takes (its help says so).
pub const LEAST_RUNS: usize = 5;

/// Refuses options it cannot measure with: usage errors naming the flag.
pub fn check(runs: usize) -> Result<()> {
    enough_runs(runs, LEAST_RUNS)
}

/// Its options as typed, for the Reproduce line.
pub fn options(runs: usize) -> Vec<String> {
    vec!["--runs".into(), runs.to_string()]
}

/// What e3 is asked to run: `run secretsanta --parties 6 ... -- 3`.
const RUN_ARGS: [&str; 3] = ["secretsanta", "--parties", "6"];
const PROGRAM_ARGS: [&str; 1] = ["3"];

/// What the contenders are run with.
pub struct Tools {
    pub xtask: Utf8PathBuf,
    pub cargo: Utf8PathBuf,
    pub python: Utf8PathBuf,
}

/// The contenders, the baseline first; `default` is how e3 starts a run
/// that names neither `--warm` nor `--cold` (see [`probe`]).
pub fn contenders(root: &Utf8Path, tools: &Tools, default: Warmth) -> Vec<Contender> {
    let cargo = || Cmd::new(&tools.cargo).arg("xtask");
    let e3 = |label: String, start: Start, launcher: Cmd| {
        Contender::e3(label, start, launcher, &RUN_ARGS, &PROGRAM_ARGS)
    };
    let word = default.word();
    vec![
        Contender::other(
            "MPyC's own launcher (baseline)",
            Cmd::new(&tools.python)
                .args(["secretsanta.py", "3", "-M6"])
                .cwd(root.join("demos")),
        ),
        e3(
            format!("e3 default ({word}) through cargo, as typed"),
            Start::Default(default),
            cargo(),
        )
        .target(0.70),
        e3("e3 cold through cargo".to_string(), Start::Cold, cargo()).target(1.10),
        e3(
            format!("e3 default ({word}), the built binary"),
            Start::Default(default),
            Cmd::new(&tools.xtask),
        ),
    ]
}

/// e3's own dry run of the default contender's command: its parties go
/// through `xtask warm-party` when the run starts warm.
pub fn probe(tools: &Tools) -> Cmd {
    let xtask = Cmd::new(&tools.xtask).arg("--dry-run");
    e3_run(
        xtask,
        &RUN_ARGS,
        Start::Default(Warmth::Warm),
        &PROGRAM_ARGS,
    )
}

/// What `--dry-run` prints: the probe, then every contender's command.
pub fn dry_run(root: &Utf8Path, tools: &Tools) -> String {
    let mut text = format!(
        "{}  # asks e3 whether its default start is warm; the default's labels say what it answers\n",
        probe(tools)
    );
    for c in contenders(root, tools, Warmth::Warm) {
        for line in c.dry_run_lines() {
            let _ = writeln!(text, "{line}");
        }
    }
    text
}

/// Times the contenders, interleaved, and words the figures (`None` when
/// dry: the commands printed instead).
pub fn run(root: &Utf8Path, dry_run: bool, runs: usize) -> Result<Option<String>> {
    check(runs)?;
    let cargo = tools::require("cargo", "install Rust with rustup (https://rustup.rs)")?;
    let python = crate::request::python(root, None)?;
    let tools = Tools {
        xtask: crate::request::launcher()?,
        cargo,
        python: python.interpreter(),
    };
    if dry_run {
        crate::out::print(&self::dry_run(root, &tools));
        return Ok(None);
    }
    let (_, asked) = capture(root, &probe(&tools))?;
    let default = match asked.stdout.contains(" warm-party ") {
        true => Warmth::Warm,
        false => Warmth::Cold,
    };
    let contenders = contenders(root, &tools, default);
    if default != Warmth::Warm {
        crate::out::errln!("bench: e3 starts 6 local parties cold by default; the rows say so");
    }
    if let Python::Managed(m) = &python
        && !m.up_to_date
    {
        crate::out::errln!("bench: making the python env first");
    }
    // One untimed run of each, warming the caches; e3's first, as the
    // first of them makes the Python environment the baseline runs in.
    for c in contenders.iter().rev() {
        time(root, c)?;
    }
    let mut times = vec![Vec::new(); contenders.len()];
    for round in 1..=runs {
        for (c, t) in contenders.iter().zip(&mut times) {
            t.push(time(root, c)?);
        }
        crate::out::errln!(
            "bench: round {round}/{runs}: {}",
            times
                .iter()
                .map(|t| format!("{:.3}s", t[round - 1]))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let base = median(&times[0]);
    if base <= 0.0 {
        return Err(failure("the baseline took no time: no ratio to give"));
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Measured {} on this machine ({} cores), {runs} interleaved runs each after one warm-up run; \
         6 parties of `demos/secretsanta.py 3`, the same interpreter (`{}`) for all.\n",
        report::now_utc(),
        report::cores(),
        python::VENV_DIR
    );
    let _ = writeln!(
        text,
        "| command | median wall | min | max | ratio to baseline | target |"
    );
    let _ = writeln!(text, "|---|---|---|---|---|---|");
    let mut missed = Vec::new();
    for (c, t) in contenders.iter().zip(&times) {
        let m = median(t);
        let ratio = m / base;
        let target = c.target.map_or("-".to_string(), |t| format!("≤ {t:.2}"));
        if c.target.is_some_and(|t| ratio > t) {
            missed.push(c.label.as_str());
        }
        let _ = writeln!(
            text,
            "| {}: `{}` | {m:.3} s | {:.3} s | {:.3} s | {ratio:.3} | {target} |",
            c.label,
            c.shown(root),
            min(t),
            max(t),
        );
    }
    if !missed.is_empty() {
        crate::out::errln!("bench: target missed by: {}", missed.join("; "));
    }
    Ok(Some(text))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn tools() -> Tools {
        Tools {
            xtask: "/e3/target/debug/xtask".into(),
            cargo: "/usr/bin/cargo".into(),
            python: "/e3/.e3/venv/bin/python".into(),
        }
    }

    /// The commands and their labels, as the figures show them.
    fn shown(default: Warmth) -> String {
        contenders("/e3".into(), &tools(), default)
            .iter()
            .map(|c| {
                let target = c
                    .target
                    .map_or(String::new(), |t| format!(" (target ≤ {t:.2})"));
                format!("{}{target}: {}\n", c.label, c.shown("/e3".into()))
            })
            .collect()
    }

    #[test]
    fn contenders_when_e3_starts_warm_by_default() {
        insta::assert_snapshot!(shown(Warmth::Warm));
    }

    #[test]
    fn contenders_when_e3_starts_cold_by_default() {
        insta::assert_snapshot!(shown(Warmth::Cold));
    }

    #[test]
    fn dry_run_prints_the_probe_and_every_command() {
        insta::assert_snapshot!(dry_run("/e3".into(), &tools()));
    }

    /// The probe asks about the very command the default contenders run.
    #[test]
    fn the_probe_is_the_default_contenders_command_dry() {
        let default = &contenders("/e3".into(), &tools(), Warmth::Warm)[3];
        let mut probe = probe(&tools());
        probe.args.remove(0);
        assert_eq!(default.steps, vec![probe]);
    }
}
