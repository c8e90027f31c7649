//! `cargo xtask report DIR`: `report.md` and its figures from an
//! experiment's results folder (`results/<id>`), or from one run's logs
//! (`logs/<run-id>`); `--vs OTHER` compares two experiments in a folder of
//! its own. Crate `e3-report` makes the text and the SVG figures; the
//! `e3-render` binary (built by cargo on first use, so that its renderers
//! do not weigh on every `cargo xtask`) turns each SVG into PDF and PNG.

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::Cmd;
use e3_report::{Band, FigureOptions, Size};

use crate::cli::ReportArgs;
use crate::error::{Result, failure, usage};
use crate::paths::{current_dir, relative_to};
use crate::tools;

pub fn run(root: &Utf8Path, dry_run: bool, args: &ReportArgs) -> Result<()> {
    let cwd = current_dir()?;
    let dir = cwd.join(&args.dir);
    if !dir.is_dir() {
        return Err(not_a_folder(&dir, &args.dir).hint(
            "give an experiment's results folder (results/<id>) or a run's logs folder (logs/<run-id>)",
        ));
    }
    let opts = options(args)?;
    let read = |path: Utf8PathBuf| std::fs::read_to_string(path).ok();
    let name = dir.file_name().unwrap_or("results").to_string();
    let (report, out_dir) = if let Some(runs) = read(dir.join("runs.jsonl")) {
        let a = Files::of(&dir, runs);
        match &args.vs {
            None => {
                if !args.label.is_empty() || args.out.is_some() {
                    return Err(
                        usage("--label and --out are for comparisons").hint("add --vs OTHER_DIR")
                    );
                }
                let report = e3_report::experiment_report(&a.experiment(&name), &opts);
                (report, dir.clone())
            }
            Some(other) => {
                let other_dir = cwd.join(other);
                if !other_dir.is_dir() {
                    return Err(not_a_folder(&other_dir, other)
                        .hint("--vs takes another experiment's results folder (results/<id>)"));
                }
                let runs = read(other_dir.join("runs.jsonl")).ok_or_else(|| {
                    usage(format!(
                        "--vs `{other}` holds no runs.jsonl: it is not an experiment's results folder"
                    ))
                })?;
                let b = Files::of(&other_dir, runs);
                let other_name = other_dir.file_name().unwrap_or("other").to_string();
                let (la, lb) = labels(&args.label, &a, &b, &name, &other_name)?;
                let out = match &args.out {
                    Some(out) => cwd.join(out),
                    None => {
                        root.join("results")
                            .join(format!("compare-{}-vs-{}", safe(&la), safe(&lb)))
                    }
                };
                if out == dir || out == other_dir {
                    return Err(usage("--out is one of the experiments compared")
                        .hint("a comparison leaves both as they are: give another folder"));
                }
                let report = e3_report::comparison_report(
                    (&la, &a.experiment(&name)),
                    (&lb, &b.experiment(&other_name)),
                    &opts,
                );
                (report, out)
            }
        }
    } else if let Some(summary) = read(dir.join("summary.json")) {
        if args.vs.is_some() {
            return Err(usage(
                "--vs compares experiments, and this is one run's logs",
            ));
        }
        (e3_report::run_report(&summary), dir.clone())
    } else {
        return Err(usage(format!(
            "{} holds neither runs.jsonl (an experiment) nor summary.json (a run)",
            relative_to(root, &dir)
        )));
    };
    let report = report.map_err(|e| match e {
        e3_report::Error::Option(_) => usage(e.to_string()),
        e3_report::Error::NothingInCommon { .. } => failure(e.to_string()).hint(
            "cells match when every key matches (parties, arguments, profile, start...): compare experiments of the same sweep; \
             one run by an e3 from before a key was recorded (`start`, `threshold`) lacks that key: run it again with this e3",
        ),
        e => failure(e.to_string()),
    })?;
    let files: Vec<&(String, String)> = report
        .files
        .iter()
        .filter(|(name, _)| args.csv || name != e3_report::RUNS_CSV)
        .collect();
    let svgs: Vec<Utf8PathBuf> = files
        .iter()
        .filter(|(name, _)| name.ends_with(".svg"))
        .map(|(name, _)| out_dir.join(name))
        .collect();
    let render = (!args.svg_only).then(|| render_cmds(root, &svgs, args.dpi));
    let report_path = out_dir.join("report.md");
    if dry_run {
        crate::out::outln!("# would write {}", relative_to(root, &report_path));
        for (name, _) in &files {
            crate::out::outln!("# would write {}", relative_to(root, &out_dir.join(name)));
        }
        if let Some(render) = &render {
            let plan = e3_plan::Plan {
                workdir: Some(root.to_path_buf()),
                steps: render.iter().cloned().map(e3_plan::Step::Run).collect(),
            };
            crate::out::print(&plan.render());
        }
        return Ok(());
    }
    for warning in &report.warnings {
        crate::out::errln!("warning: {warning}");
    }
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| failure(format!("cannot make {out_dir}: {e}")))?;
    let write = |path: &Utf8Path, text: &str| {
        std::fs::write(path, text).map_err(|e| failure(format!("cannot write {path}: {e}")))
    };
    write(&report_path, &report.markdown)?;
    for (name, text) in &files {
        write(&out_dir.join(name), text)?;
    }
    let mut written: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    if let Some(render) = &render {
        crate::out::errln!(
            "e3: rendering {} figures as PDF and PNG (e3-render)",
            svgs.len()
        );
        for cmd in render {
            e3_exec::run(Some(root), cmd)
                .map_err(|e| failure(format!("rendering the figures failed: {e}")))?;
        }
        for svg in &svgs {
            for ext in ["pdf", "png"] {
                written.push(
                    svg.with_extension(ext)
                        .file_name()
                        .unwrap_or("?")
                        .to_string(),
                );
            }
        }
    }
    crate::out::outln!(
        "e3: wrote {} and {}",
        relative_to(root, &report_path),
        written.join(", ")
    );
    if args.open {
        let opener = tools::find("xdg-open")
            .or_else(|_| tools::find("open"))
            .map_err(|_| {
                usage("--open needs `xdg-open` (Linux) or `open` (macOS)")
                    .hint(format!("open {report_path} yourself"))
            })?;
        e3_exec::run(None, &Cmd::new(opener).arg(&report_path))?;
    }
    Ok(())
}

/// The figures' options from the flags.
/// The refusal of `given` (at `path`) that is not a folder: a link whose
/// folder is gone (`results/latest` after its experiment was pruned) is
/// named as such, with where it pointed.
fn not_a_folder(path: &Utf8Path, given: &str) -> crate::error::Error {
    match std::fs::read_link(path) {
        Ok(target) if !path.exists() => usage(format!(
            "`{given}` is a link to `{}`, which no longer exists",
            target.display()
        )),
        _ if path.exists() => usage(format!("`{given}` is a file, not a folder")),
        _ => usage(format!("`{given}` does not exist")),
    }
}

fn options(args: &ReportArgs) -> Result<FigureOptions> {
    let band = match args.band.as_str() {
        "ci" => Band::Ci95,
        "minmax" => Band::MinMax,
        "none" => Band::None,
        other => {
            return Err(
                usage(format!("--band `{other}`: not a kind of interval")).hint(
                    "give ci (a 95 % bootstrap confidence interval of the median), minmax or none",
                ),
            );
        }
    };
    let size = match args.size.as_str() {
        "single" => Size::Single,
        "double" => Size::Double,
        other => {
            return Err(usage(format!("--size `{other}`: not a size"))
                .hint("give single (3.5 in, one column) or double (7 in, both columns)"));
        }
    };
    if !(36..=2400).contains(&args.dpi) {
        return Err(usage(format!("--dpi {}: give 36 to 2400", args.dpi)));
    }
    Ok(FigureOptions {
        x: args.x.clone(),
        by: args.by.clone(),
        band,
        log_x: args.log_x,
        log_y: args.log_y,
        size,
    })
}

/// An experiment's files.
struct Files {
    toml: Option<String>,
    environment: Option<String>,
    runs: String,
}

impl Files {
    fn of(dir: &Utf8Path, runs: String) -> Files {
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
        Files {
            toml: read("experiment.toml"),
            environment: read("environment.json"),
            runs,
        }
    }

    fn experiment<'a>(&'a self, name: &'a str) -> e3_report::Experiment<'a> {
        e3_report::Experiment {
            name,
            experiment_toml: self.toml.as_deref(),
            environment_json: self.environment.as_deref(),
            runs_jsonl: &self.runs,
        }
    }

    /// Its e3 commit, short, from environment.json.
    fn commit(&self) -> Option<String> {
        let env: serde_json::Value = serde_json::from_str(self.environment.as_deref()?).ok()?;
        let commit = env["e3"]["commit"].as_str()?;
        let dirty = if env["e3"]["dirty"] == true { "+" } else { "" };
        Some(format!("{}{dirty}", &commit[..commit.len().min(8)]))
    }
}

/// The two sides' labels: `--label A=...`/`B=...`, else each side's short
/// commit, else its folder's name (also when both commits are the same).
fn labels(
    given: &[String],
    a: &Files,
    b: &Files,
    name_a: &str,
    name_b: &str,
) -> Result<(String, String)> {
    let (mut la, mut lb) = (None, None);
    for label in given {
        let (side, text) = label
            .split_once('=')
            .ok_or_else(|| usage(format!("--label `{label}`: give A=TEXT or B=TEXT")))?;
        if text.trim().is_empty() {
            return Err(usage(format!("--label `{label}`: the text is empty")));
        }
        match side {
            "A" | "a" => la = Some(text.to_string()),
            "B" | "b" => lb = Some(text.to_string()),
            _ => {
                return Err(usage(format!(
                    "--label `{label}`: the side is A (the folder given first) or B (--vs)"
                )));
            }
        }
    }
    let (ca, cb) = (a.commit(), b.commit());
    let distinct = ca.is_some() && ca != cb;
    let la = la.unwrap_or_else(|| {
        ca.filter(|_| distinct)
            .unwrap_or_else(|| name_a.to_string())
    });
    let lb = lb.unwrap_or_else(|| {
        cb.filter(|_| distinct)
            .unwrap_or_else(|| name_b.to_string())
    });
    if la == lb {
        return Err(usage(format!("both sides are labelled `{la}`"))
            .hint("give them labels of their own: --label A=... --label B=..."));
    }
    Ok((la, lb))
}

/// A label as part of a folder's name.
fn safe(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What turns the SVGs into PDF and PNG: cargo builds `e3-render` (a
/// no-op once built), which then renders every file.
fn render_cmds(root: &Utf8Path, svgs: &[Utf8PathBuf], dpi: u32) -> Vec<Cmd> {
    let cargo = std::env::var("CARGO")
        .ok()
        .map(Utf8PathBuf::from)
        .or_else(|| tools::find("cargo").ok())
        .unwrap_or_else(|| "cargo".into());
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(Utf8PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let build =
        Cmd::new(&cargo).args(["build", "--quiet", "-p", "e3-render", "--bin", "e3-render"]);
    let render = Cmd::new(target.join("debug/e3-render"))
        .args(["--dpi", &dpi.to_string()])
        .args(svgs.iter().map(|s| s.as_str().to_string()));
    vec![build, render]
}
