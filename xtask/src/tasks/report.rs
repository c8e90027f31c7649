//! `cargo xtask report DIR`: `report.md` and SVG plots from an experiment's
//! results folder (`results/<id>`), or from one run's logs (`logs/<run-id>`);
//! crate `e3-report` makes them, this task reads and writes the files.

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::Cmd;

use crate::cli::ReportArgs;
use crate::error::{Result, failure, usage};
use crate::paths::{current_dir, relative_to};
use crate::tools;

pub fn run(root: &Utf8Path, dry_run: bool, args: &ReportArgs) -> Result<()> {
    let cwd = current_dir()?;
    let dir = cwd.join(&args.dir);
    if !dir.is_dir() {
        return Err(usage(format!("`{}` is not a folder", args.dir)).hint(
            "give an experiment's results folder (results/<id>) or a run's logs folder (logs/<run-id>)",
        ));
    }
    let read = |path: Utf8PathBuf| std::fs::read_to_string(path).ok();
    let name = dir.file_name().unwrap_or("results").to_string();
    let report = if let Some(runs) = read(dir.join("runs.jsonl")) {
        let other = match &args.vs {
            Some(other) => {
                let other_dir = cwd.join(other);
                let runs = read(other_dir.join("runs.jsonl")).ok_or_else(|| {
                    usage(format!("--vs `{other}` holds no runs.jsonl: it is not an experiment's results folder"))
                })?;
                Some((other_dir.file_name().unwrap_or("other").to_string(), runs))
            }
            None => None,
        };
        e3_report::experiment_report(
            &name,
            read(dir.join("experiment.toml")).as_deref(),
            read(dir.join("environment.json")).as_deref(),
            &runs,
            other.as_ref().map(|(n, r)| (n.as_str(), r.as_str())),
        )
    } else if let Some(summary) = read(dir.join("summary.json")) {
        if args.vs.is_some() {
            return Err(usage("--vs compares experiments, and this is one run's logs"));
        }
        e3_report::run_report(&summary)
    } else {
        return Err(usage(format!(
            "{} holds neither runs.jsonl (an experiment) nor summary.json (a run)",
            relative_to(root, &dir)
        )));
    }
    .map_err(|e| failure(e.to_string()))?;
    let files: Vec<&(String, String)> = report
        .files
        .iter()
        .filter(|(name, _)| args.csv || name != e3_report::RUNS_CSV)
        .collect();
    let report_path = dir.join("report.md");
    if dry_run {
        crate::out::outln!("# would write {}", relative_to(root, &report_path));
        for (name, _) in &files {
            crate::out::outln!("# would write {}", relative_to(root, &dir.join(name)));
        }
        return Ok(());
    }
    for warning in &report.warnings {
        crate::out::errln!("warning: {warning}");
    }
    let write = |path: &Utf8Path, text: &str| {
        std::fs::write(path, text).map_err(|e| failure(format!("cannot write {path}: {e}")))
    };
    write(&report_path, &report.markdown)?;
    for (name, text) in &files {
        write(&dir.join(name), text)?;
    }
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    crate::out::outln!(
        "e3: wrote {} and {}",
        relative_to(root, &report_path),
        names.join(", ")
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
