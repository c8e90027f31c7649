//! `bench run-overhead`: the wall time of a 6-party secretsanta run, e3
//! against MPyC's own `-M6` launcher, the same interpreter for all.

use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::Cmd;
use e3_run::python::{self, Python};

use super::contender::Contender;
use super::report::{self, Section};
use super::stats::{max, median, min};
use super::timing::time;
use crate::error::{Result, usage};
use crate::tools;

pub const SECTION: Section = Section {
    name: "run-overhead",
    title: "Run overhead: e3 against MPyC's own launcher",
};

/// What the contenders are run with.
pub struct Tools {
    pub xtask: Utf8PathBuf,
    pub cargo: Utf8PathBuf,
    pub python: Utf8PathBuf,
}

/// The contenders, the baseline first.
pub fn contenders(root: &Utf8Path, tools: &Tools) -> Vec<Contender> {
    let e3_args = ["run", "secretsanta", "--parties", "6", "--", "3"];
    vec![
        Contender::new(
            "MPyC's own launcher: `python secretsanta.py 3 -M6` (baseline)",
            Cmd::new(&tools.python)
                .args(["secretsanta.py", "3", "-M6"])
                .cwd(root.join("demos")),
        ),
        Contender::new(
            "e3, the built xtask binary: `xtask run secretsanta --parties 6 -- 3`",
            Cmd::new(&tools.xtask).args(e3_args),
        )
        .target(1.05),
        Contender::new(
            "e3 through cargo: `cargo xtask run secretsanta --parties 6 -- 3`",
            Cmd::new(&tools.cargo).arg("xtask").args(e3_args),
        )
        .target(1.10),
    ]
}

/// Times the contenders, interleaved, and words the figures (`None` when
/// dry: the commands printed instead).
pub fn run(root: &Utf8Path, dry_run: bool, runs: usize) -> Result<Option<String>> {
    if runs < 5 {
        return Err(usage(
            "--runs must be at least 5 for a median worth reporting",
        ));
    }
    let python = super::super::run::resolve_python(root, None)?;
    let tools = Tools {
        xtask: super::super::run::launcher()?,
        cargo: tools::require("cargo", "install Rust with rustup (https://rustup.rs)")?,
        python: python.interpreter(),
    };
    let contenders = contenders(root, &tools);
    if dry_run {
        for c in &contenders {
            for line in c.dry_run_lines() {
                println!("{line}");
            }
        }
        return Ok(None);
    }
    if let Python::Managed(m) = &python
        && !m.up_to_date
    {
        eprintln!("bench: making the python env first");
    }
    // One untimed run of each: builds the environment, warms the caches.
    for c in &contenders {
        time(root, c)?;
    }
    let mut times = vec![Vec::new(); contenders.len()];
    for round in 1..=runs {
        for (c, t) in contenders.iter().zip(&mut times) {
            t.push(time(root, c)?);
        }
        eprintln!(
            "bench: round {round}/{runs}: {}",
            times
                .iter()
                .map(|t| format!("{:.3}s", t[round - 1]))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let base = median(&times[0]);
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
            "| {} | {m:.3} s | {:.3} s | {:.3} s | {ratio:.3} | {target} |",
            c.label,
            min(t),
            max(t),
        );
    }
    let _ = writeln!(
        text,
        "\nReproduce: `cargo build -p xtask && cargo xtask bench run-overhead --runs {runs}`."
    );
    if !missed.is_empty() {
        eprintln!("bench: target missed by: {}", missed.join("; "));
    }
    Ok(Some(text))
}
