//! `cargo xtask bench ...`: performance figures, measured against the
//! baseline each one names, written to `docs/benchmarks.md`.

use std::fmt::Write as _;
use std::time::Instant;

use camino::Utf8Path;
use e3_plan::Cmd;

use crate::cli::{Bench, BenchArgs};
use crate::error::{Context, Result, failure, usage};
use crate::python::{self, Python};
use crate::{time, tools};

const DOC: &str = "docs/benchmarks.md";

pub fn run(root: &Utf8Path, dry_run: bool, args: &BenchArgs) -> Result<()> {
    match args.which {
        Bench::RunOverhead { runs } => run_overhead(root, dry_run, runs),
        Bench::ColdBuild => cold_build(root, dry_run),
    }
}

/// A command to time, and what it stands for.
struct Contender {
    name: &'static str,
    cmd: Cmd,
    target: Option<f64>,
    times: Vec<f64>,
}

fn run_overhead(root: &Utf8Path, dry_run: bool, runs: usize) -> Result<()> {
    if runs < 5 {
        return Err(usage(
            "--runs must be at least 5 for a median worth reporting",
        ));
    }
    let xtask = std::env::current_exe().context(|| "cannot find the xtask binary".to_string())?;
    let xtask = xtask.to_string_lossy().into_owned();
    let cargo = tools::require("cargo", "install Rust with rustup (https://rustup.rs)")?;
    let python = python::resolve(root, None)?;
    let interpreter = python.interpreter();
    let e3_args = ["run", "secretsanta", "--parties", "6", "--", "3"];
    let mut contenders = vec![
        Contender {
            name: "MPyC's own launcher: `python secretsanta.py 3 -M6` (baseline)",
            cmd: Cmd::new(&interpreter)
                .args(["secretsanta.py", "3", "-M6"])
                .cwd(root.join("demos")),
            target: None,
            times: vec![],
        },
        Contender {
            name: "e3, the built xtask binary: `xtask run secretsanta --parties 6 -- 3`",
            cmd: Cmd::new(&xtask).args(e3_args),
            target: Some(1.05),
            times: vec![],
        },
        Contender {
            name: "e3 through cargo: `cargo xtask run secretsanta --parties 6 -- 3`",
            cmd: Cmd::new(&cargo).arg("xtask").args(e3_args).cwd(root),
            target: Some(1.10),
            times: vec![],
        },
    ];
    if dry_run {
        for c in &contenders {
            println!("{}  # {}", c.cmd, c.name);
        }
        return Ok(());
    }
    if let Python::Managed(m) = &python
        && !m.up_to_date
    {
        eprintln!("bench: making the python env first");
    }
    // One untimed run of each: builds the environment, warms the caches.
    for c in &contenders {
        time_once(&c.cmd)?;
    }
    for round in 1..=runs {
        for c in &mut contenders {
            c.times.push(time_once(&c.cmd)?);
        }
        eprintln!(
            "bench: round {round}/{runs}: {}",
            contenders
                .iter()
                .map(|c| format!("{:.3}s", c.times[round - 1]))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let base = median(&contenders[0].times);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Measured {} on this machine ({} cores), {runs} interleaved runs each after one warm-up run; \
         6 parties of `demos/secretsanta.py 3`, the same interpreter (`{}`) for all.\n",
        time::rfc3339(std::time::SystemTime::now()),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        python::VENV_DIR
    );
    let _ = writeln!(
        text,
        "| command | median wall | min | max | ratio to baseline | target |"
    );
    let _ = writeln!(text, "|---|---|---|---|---|---|");
    let mut missed = Vec::new();
    for c in &contenders {
        let m = median(&c.times);
        let ratio = m / base;
        let target = c.target.map_or("-".to_string(), |t| format!("≤ {t:.2}"));
        if c.target.is_some_and(|t| ratio > t) {
            missed.push(c.name);
        }
        let _ = writeln!(
            text,
            "| {} | {m:.3} s | {:.3} s | {:.3} s | {ratio:.3} | {target} |",
            c.name,
            c.times.iter().cloned().fold(f64::INFINITY, f64::min),
            c.times.iter().cloned().fold(0.0, f64::max),
        );
    }
    let _ = writeln!(
        text,
        "\nReproduce: `cargo build -p xtask && cargo xtask bench run-overhead --runs {runs}`."
    );
    print!("{text}");
    write_section(
        root,
        "run-overhead",
        "Run overhead: e3 against MPyC's own launcher",
        &text,
    )?;
    eprintln!("bench: wrote {DOC}");
    if !missed.is_empty() {
        eprintln!("bench: target missed by: {}", missed.join("; "));
    }
    Ok(())
}

fn cold_build(root: &Utf8Path, dry_run: bool) -> Result<()> {
    let git = tools::require("git", "install git (Debian/Ubuntu: `apt-get install git`)")?;
    let cargo = tools::require("cargo", "install Rust with rustup (https://rustup.rs)")?;
    let tmp = std::env::temp_dir().join(format!("e3-cold-build-{}", std::process::id()));
    let tmp = camino::Utf8PathBuf::from_path_buf(tmp)
        .map_err(|_| failure("the temp folder is not UTF-8"))?;
    let clone = Cmd::new(&git).args(["clone", "--quiet", root.as_str(), tmp.as_str()]);
    let build = Cmd::new(&cargo)
        .args(["xtask", "--help"])
        .cwd(&tmp)
        .env("CARGO_TARGET_DIR", tmp.join("target"));
    if dry_run {
        println!("{clone}\n{build}\nrm -rf {tmp}");
        return Ok(());
    }
    let result = (|| {
        time_once(&clone)?;
        time_once(&build)
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    let secs = result?;
    let text = format!(
        "Measured {} on this machine ({} cores): a fresh clone of the committed tree, an empty target \
         folder, crates already in cargo's download cache.\n\n\
         | command | wall | target |\n|---|---|---|\n| `cargo xtask --help`, cold | {secs:.1} s | < 60 s |\n\n\
         Reproduce: `cargo xtask bench cold-build`.\n",
        time::rfc3339(std::time::SystemTime::now()),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    print!("{text}");
    write_section(root, "cold-build", "Cold build of the xtask binary", &text)?;
    eprintln!("bench: wrote {DOC}");
    Ok(())
}

/// Wall time of one run; a failed run is an error (it would skew the figures).
fn time_once(cmd: &Cmd) -> Result<f64> {
    let start = Instant::now();
    let out = e3_exec::capture(cmd)?;
    let secs = start.elapsed().as_secs_f64();
    if !out.end.success() {
        let tail: Vec<&str> = out.stderr.lines().rev().take(10).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(failure(format!(
            "`{cmd}` failed ({}):\n{}",
            out.end,
            tail.join("\n")
        )));
    }
    Ok(secs)
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Replaces (or appends) the section between `<!-- bench:NAME -->` markers.
fn write_section(root: &Utf8Path, name: &str, title: &str, body: &str) -> Result<()> {
    let path = root.join(DOC);
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        "# Benchmarks\n\nFigures written by `cargo xtask bench ...`; each section says how to reproduce it.\n".into()
    });
    let new = replace_section(&old, name, &format!("## {title}\n\n{body}"));
    std::fs::write(&path, new).context(|| format!("cannot write {path}"))
}

fn replace_section(doc: &str, name: &str, content: &str) -> String {
    let begin = format!("<!-- bench:{name} -->");
    let end = format!("<!-- /bench:{name} -->");
    let block = format!("{begin}\n{content}{end}");
    match (doc.find(&begin), doc.find(&end)) {
        (Some(b), Some(e)) if e > b => format!("{}{block}{}", &doc[..b], &doc[e + end.len()..]),
        _ => format!("{}\n{block}\n", doc.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn sections_are_replaced_in_place() {
        let doc = replace_section("# B\n", "x", "one\n");
        assert_eq!(doc, "# B\n<!-- bench:x -->\none\n<!-- /bench:x -->\n");
        let doc = replace_section(&format!("{doc}tail\n"), "x", "two\n");
        assert_eq!(doc, "# B\n<!-- bench:x -->\ntwo\n<!-- /bench:x -->\ntail\n");
    }
}
