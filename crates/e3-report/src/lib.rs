//! Reports of experiments and runs, as file contents the caller writes.
//!
//! - An experiment's results folder (`results/<id>/`: `runs.jsonl`,
//!   `experiment.toml`, `environment.json`) becomes `report.md` with a table
//!   of its cells (a cell is every key the experiment sweeps or sets:
//!   parties, a variable, the network profile...; its runs are its reps),
//!   four figures (MPyC time, wall time, time to connect, bytes sent) as
//!   SVG against the swept key (see `figure`), and the per-run figures as
//!   CSV (`runs.csv`); given a second experiment, the
//!   same cells side by side with the ratio of their medians, and both on
//!   each plot. docs/experiments.md describes `runs.jsonl`.
//! - A single run's `summary.json` becomes a small `report.md` with a bar
//!   chart per party of MPyC time and of bytes sent.
//!
//! Everything here is pure: text in, text out, warnings as values.

mod figure;
mod markdown;
mod plot;
mod runs;
mod stats;

use std::fmt;

use serde_json::Value;

pub use figure::{FigureOptions, Layout, Metric, Size, layout};
pub use runs::{
    Cell, Label, NO_LOGS, PartyRun, Run, csv, csv_header, csv_key_columns, read_runs, value_text,
};
pub use stats::{
    BOOTSTRAP_RESAMPLES, Band, CellStats, KeyColumn, MIN_RUNS_FOR_CI, Slowest, Stats, cells,
    key_columns, varying_keys,
};

use figure::{Side, with_interval};
use markdown::{Table, cell_text, float};
use plot::YUnit;

/// A report: `report.md` and the files it links to, to be written beside
/// it, and what was skipped on the way.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The contents of `report.md`.
    pub markdown: String,
    /// Other files: (file name, contents).
    pub files: Vec<(String, String)>,
    /// Lines of the input that were skipped, and why.
    pub warnings: Vec<String>,
}

/// What stops a report.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// The experiment's `runs.jsonl` holds no run (yet).
    NoRuns { name: String },
    /// A `summary.json` that is not one.
    BadSummary(String),
    /// plotters could not draw a plot.
    Plot(String),
    /// A figure option that does not fit the experiment (`--x` naming no key).
    Option(String),
    /// Two experiments compared have no cell in common; `only_a` and
    /// `only_b` are the keys one side's cells have and the other's never
    /// do (an experiment from before a key was recorded, say `start`).
    NothingInCommon {
        a: String,
        b: String,
        only_a: Vec<String>,
        only_b: Vec<String>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoRuns { name } => write!(f, "{name}: runs.jsonl holds no run"),
            Error::BadSummary(why) => write!(f, "not a run's summary.json: {why}"),
            Error::Plot(why) => write!(f, "could not draw a plot: {why}"),
            Error::Option(why) => write!(f, "{why}"),
            Error::NothingInCommon {
                a,
                b,
                only_a,
                only_b,
            } => {
                write!(
                    f,
                    "{a} and {b} have no cell in common (every key of a cell must match): nothing to compare"
                )?;
                for (name, keys) in [(a, only_a), (b, only_b)] {
                    if !keys.is_empty() {
                        let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
                        write!(f, "; keys only {name} has: {}", keys.join(", "))?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

/// The file names of a report's files: each figure as `<stem>.svg` (the
/// caller renders PDF and PNG beside it), and the CSV.
pub const TIME_SVG: &str = "time.svg";
pub const BYTES_SVG: &str = "bytes.svg";
pub const RUNS_CSV: &str = "runs.csv";

/// One experiment, as its results folder holds it.
#[derive(Clone, Copy, Debug)]
pub struct Experiment<'a> {
    /// The results folder's name (its id).
    pub name: &'a str,
    pub experiment_toml: Option<&'a str>,
    pub environment_json: Option<&'a str>,
    pub runs_jsonl: &'a str,
}

/// The report of an experiment: `report.md`, a figure per [`Metric`]
/// against what was swept ([`layout`]), and the per-run CSV.
pub fn experiment_report(exp: &Experiment<'_>, opts: &FigureOptions) -> Result<Report, Error> {
    let (runs, mut warnings) = read_runs(exp.runs_jsonl);
    if runs.is_empty() {
        return Err(Error::NoRuns {
            name: exp.name.to_string(),
        });
    }
    let these = cells(&runs);
    let layout = layout(&these, opts)?;
    let dir_name = exp.name;

    let mut md = String::new();
    let program = exp.experiment_toml.and_then(program_of);
    match &program {
        Some(p) => md.push_str(&format!("# {p}: experiment {dir_name}\n\n")),
        None => md.push_str(&format!("# Experiment {dir_name}\n\n")),
    }
    let ok = runs.iter().filter(|r| r.ok()).count();
    let first = runs
        .iter()
        .map(|r| r.started_at.as_str())
        .min()
        .unwrap_or("");
    let last = runs
        .iter()
        .map(|r| r.started_at.as_str())
        .max()
        .unwrap_or("");
    // What tells the cells apart: the keys whose values differ.
    let varying = varying_keys(&these.iter().map(|c| &c.cell).collect::<Vec<_>>());
    let over = if varying.is_empty() {
        String::new()
    } else {
        format!(" ({})", cell_text(&varying.join(" × ")))
    };
    md.push_str(&format!(
        "{ok} of {} ok, in {}{over}, started from {first} to {last}.\n\n",
        e3_plan::count(runs.len(), "run", "runs"),
        e3_plan::count(these.len(), "cell", "cells")
    ));

    md.push_str("## What was measured\n\n");
    md.push_str(&environment(exp.environment_json, &mut warnings));
    md.push('\n');
    md.push_str(&profiles_text(&runs));

    md.push_str("## Results\n\n");
    md.push_str(&format!(
        "Each cell's figures are over its ok runs: the median{}. A run's MPyC \
         time is its slowest party's; run wall time is e3's, from start to end; \
         time to connect runs until the last party said all were connected; \
         bytes sent per party is the mean over a run's parties. The slowest \
         party is the one slowest (by MPyC time) in most of the cell's runs.\n\n",
        match opts.band {
            Band::None => String::new(),
            band => format!(
                ", and in brackets {}; a cell with fewer than {} ok runs has its median alone",
                band.describe(),
                band.min_runs()
            ),
        }
    ));
    md.push_str(&results_table(&these, opts.band).render());
    md.push('\n');
    md.push_str(&failed_text(&runs, &varying));

    let figures = figures(
        &[Side {
            label: None,
            cells: &these,
        }],
        &layout,
        opts,
    )?;
    md.push_str(&figures_text(&figures, &layout));
    md.push_str(&format!(
        "Every run's figures, one line per run and party: [{RUNS_CSV}]({RUNS_CSV}).\n"
    ));
    push_warnings(&mut md, &warnings);

    let mut files: Vec<(String, String)> = figures
        .into_iter()
        .map(|f| (format!("{}.svg", f.metric.stem()), f.svg))
        .collect();
    files.push((RUNS_CSV.to_string(), csv(&runs)));
    Ok(Report {
        markdown: md,
        files,
        warnings,
    })
}

/// Every figure of `sides`.
fn figures(
    sides: &[Side<'_>],
    layout: &Layout,
    opts: &FigureOptions,
) -> Result<Vec<figure::Figure>, Error> {
    Metric::ALL
        .iter()
        .map(|m| figure::figure(*m, sides, layout, opts))
        .collect()
}

/// The figures' section of `report.md`: the rule that chose the axis,
/// then each figure with its caption and where its PDF and PNG are.
fn figures_text(figures: &[figure::Figure], layout: &Layout) -> String {
    let mut md = String::from("## Figures\n\n");
    md.push_str(&format!("{}\n\n", layout.rule));
    for (i, f) in figures.iter().enumerate() {
        let stem = f.metric.stem();
        md.push_str(&format!(
            "![{}]({stem}.svg)\n\n*Figure {}.* {} ([PDF]({stem}.pdf), [PNG]({stem}.png))\n\n",
            f.metric.what(),
            i + 1,
            f.caption
        ));
    }
    md
}

fn push_warnings(md: &mut String, warnings: &[String]) {
    if !warnings.is_empty() {
        md.push_str("\n## Warnings\n\n");
        for w in warnings {
            md.push_str(&format!("- {w}\n"));
        }
    }
}

/// The failed runs, each named by parties and the keys that tell cells
/// apart, with its logs (or that it never started).
fn failed_text(runs: &[Run], varying: &[String]) -> String {
    let mut failed: Vec<&Run> = runs.iter().filter(|r| !r.ok()).collect();
    if failed.is_empty() {
        return String::new();
    }
    failed.sort_by_key(|r| r.run);
    let mut md = String::from("Failed runs:\n\n");
    for r in failed {
        let name = r
            .cell
            .name_of(|k| k == "parties" || varying.iter().any(|v| v == k));
        let logs = match &r.log_dir {
            Some(dir) => format!("— `{dir}`"),
            None => NO_LOGS.to_string(),
        };
        md.push_str(&format!(
            "- run {} ({}): {} {logs}\n",
            r.run,
            cell_text(&name),
            cell_text(r.error.as_deref().unwrap_or(&r.status)),
        ));
    }
    md.push('\n');
    md
}

/// The network profiles the runs were under, each with where its figures
/// come from (an estimate is labelled one).
fn profiles_text(runs: &[Run]) -> String {
    let profiles = profiles(runs);
    if profiles.is_empty() {
        return String::new();
    }
    let mut md = String::from(
        "Network profiles (`run --net`: the parties ran on one machine, every link delayed as between their regions):\n\n",
    );
    for (name, sources) in &profiles {
        if sources.is_empty() {
            md.push_str(&format!(
                "- `{name}`: where its figures come from is not recorded (no run under it started)\n"
            ));
        }
        for source in sources {
            let estimate = if source.starts_with("estimate") {
                " **(an estimate, not a measurement)**"
            } else {
                ""
            };
            md.push_str(&format!("- `{name}`: {}{estimate}\n", cell_text(source)));
        }
    }
    md.push('\n');
    md
}

/// Two experiments side by side, A and B, each named by its label: both
/// environments and where they differ, the cells both have with B/A per
/// figure and its interval, and every figure with both (B dashed). No
/// cell in common is an error.
pub fn comparison_report(
    a: (&str, &Experiment<'_>),
    b: (&str, &Experiment<'_>),
    opts: &FigureOptions,
) -> Result<Report, Error> {
    let ((la, ea), (lb, eb)) = (a, b);
    let (runs_a, wa) = read_runs(ea.runs_jsonl);
    let mut warnings: Vec<String> = wa
        .into_iter()
        .map(|w| format!("{}: {w}", ea.name))
        .collect();
    let (runs_b, wb) = read_runs(eb.runs_jsonl);
    warnings.extend(wb.into_iter().map(|w| format!("{}: {w}", eb.name)));
    for (runs, e) in [(&runs_a, ea), (&runs_b, eb)] {
        if runs.is_empty() {
            return Err(Error::NoRuns {
                name: e.name.to_string(),
            });
        }
    }
    let (cells_a, cells_b) = (cells(&runs_a), cells(&runs_b));
    let common: Vec<&CellStats> = cells_a
        .iter()
        .filter(|c| cells_b.iter().any(|o| o.cell == c.cell))
        .collect();
    if common.is_empty() {
        let keys_a = stats::all_keys(cells_a.iter().map(|c| &c.cell));
        let keys_b = stats::all_keys(cells_b.iter().map(|c| &c.cell));
        let only = |x: &[String], y: &[String]| -> Vec<String> {
            x.iter().filter(|k| !y.contains(k)).cloned().collect()
        };
        return Err(Error::NothingInCommon {
            a: ea.name.to_string(),
            b: eb.name.to_string(),
            only_a: only(&keys_a, &keys_b),
            only_b: only(&keys_b, &keys_a),
        });
    }
    let both: Vec<CellStats> = cells_a
        .iter()
        .chain(
            cells_b
                .iter()
                .filter(|o| !cells_a.iter().any(|c| c.cell == o.cell)),
        )
        .cloned()
        .collect();
    let layout = layout(&both, opts)?;
    let mut md = format!("# {la} vs {lb}\n\n");
    md.push_str(&format!(
        "A = {la}: `results/{}`, {} in {}.  \nB = {lb}: `results/{}`, {} in {}.  \n{} in common; ratios are B / A.\n\n",
        ea.name,
        e3_plan::count(runs_a.len(), "run", "runs"),
        e3_plan::count(cells_a.len(), "cell", "cells"),
        eb.name,
        e3_plan::count(runs_b.len(), "run", "runs"),
        e3_plan::count(cells_b.len(), "cell", "cells"),
        e3_plan::count(common.len(), "cell", "cells"),
    ));
    md.push_str("## What was measured\n\n");
    md.push_str(&format!("A ({la}):\n\n"));
    md.push_str(&environment(ea.environment_json, &mut warnings));
    md.push_str(&format!("\nB ({lb}):\n\n"));
    md.push_str(&environment(eb.environment_json, &mut warnings));
    md.push('\n');
    md.push_str(&environment_diff(ea.environment_json, eb.environment_json));
    md.push_str(&profiles_text(&[runs_a.clone(), runs_b.clone()].concat()));
    md.push_str("## B / A\n\n");
    md.push_str(&format!(
        "Per cell both have: each side's median, and the ratio of B's median to A's{}.\n\n",
        match opts.band {
            Band::None => String::new(),
            band => format!(
                ", with in brackets {} (from {} ok runs a side)",
                band.describe_ratio(),
                band.min_runs()
            ),
        }
    ));
    md.push_str(&ratio_table(&common, &cells_b, la, lb, opts.band).render());
    md.push('\n');
    let only: Vec<String> = both
        .iter()
        .filter(|c| !common.iter().any(|x| x.cell == c.cell))
        .map(|c| {
            let side = if cells_a.iter().any(|x| x.cell == c.cell) {
                la
            } else {
                lb
            };
            format!("- only in {side}: {}\n", cell_text(&c.name()))
        })
        .collect();
    if !only.is_empty() {
        md.push_str("Cells only one side has (not compared):\n\n");
        md.push_str(&only.concat());
        md.push('\n');
    }
    let figures = figures(
        &[
            Side {
                label: Some(la),
                cells: &cells_a,
            },
            Side {
                label: Some(lb),
                cells: &cells_b,
            },
        ],
        &layout,
        opts,
    )?;
    md.push_str(&figures_text(&figures, &layout));
    md.push_str(&format!("{lb} is drawn dashed, with hollow markers.\n"));
    push_warnings(&mut md, &warnings);
    Ok(Report {
        markdown: md,
        files: figures
            .into_iter()
            .map(|f| (format!("{}.svg", f.metric.stem()), f.svg))
            .collect(),
        warnings,
    })
}

/// Where two environments differ: e3's commit, the parties' versions, the
/// machine, the hosts.
fn environment_diff(a: Option<&str>, b: Option<&str>) -> String {
    let parse = |t: Option<&str>| t.and_then(|t| serde_json::from_str::<Value>(t).ok());
    let (Some(a), Some(b)) = (parse(a), parse(b)) else {
        return "Where they differ: unknown (an environment.json is missing).\n\n".to_string();
    };
    let mut diffs = Vec::new();
    for (what, path) in [
        ("e3's commit", &["e3", "commit"][..]),
        ("uncommitted changes", &["e3", "dirty"][..]),
        ("cores", &["machine", "cores"][..]),
        ("os", &["machine", "os"][..]),
        ("arch", &["machine", "arch"][..]),
        ("hosts", &["hosts"][..]),
    ] {
        let get = |v: &Value| path.iter().fold(v.clone(), |v, k| v[*k].clone());
        let (x, y) = (get(&a), get(&b));
        if x != y {
            diffs.push(format!("- {what}: {} vs {}", short(&x), short(&y)));
        }
    }
    let versions = |v: &Value| -> Vec<(String, Value)> {
        v["parties"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["where"].as_str().unwrap_or("?").to_string(),
                    p["versions"].clone(),
                )
            })
            .collect()
    };
    let (va, vb) = (versions(&a), versions(&b));
    for package in ["python", "mpyc", "numpy", "gmpy2"] {
        let set = |v: &[(String, Value)]| {
            let mut s: Vec<String> = v.iter().map(|(_, x)| short(&x[package])).collect();
            s.dedup();
            s.join(", ")
        };
        let (x, y) = (set(&va), set(&vb));
        if x != y {
            diffs.push(format!("- {package}: {x} vs {y}"));
        }
    }
    if diffs.is_empty() {
        "Where they differ: nowhere e3 records (same commit, versions, machine and hosts).\n\n"
            .to_string()
    } else {
        format!("Where they differ (A vs B):\n\n{}\n\n", diffs.join("\n"))
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) if s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit()) => {
            format!("`{}`", &s[..12])
        }
        Value::String(s) => format!("`{}`", cell_text(s)),
        Value::Null => "unknown".into(),
        Value::Array(a) => format!("{} entries", a.len()),
        other => format!("`{other}`"),
    }
}

/// The cells both sides have: medians and B/A with its interval.
fn ratio_table(
    common: &[&CellStats],
    others: &[CellStats],
    la: &str,
    lb: &str,
    band: Band,
) -> Table {
    let cells_a: Vec<CellStats> = common.iter().map(|c| (*c).clone()).collect();
    let keys = key_columns(&cells_a);
    let mut header: Vec<(String, bool)> = keys
        .iter()
        .map(|k| (k.heading.clone(), k.numeric))
        .collect();
    header.push((format!("runs ok ({la} / {lb})"), true));
    for m in Metric::ALL {
        header.push((format!("{} ({la} / {lb})", m.what()), true));
        header.push(("B / A".to_string(), true));
    }
    let header_refs: Vec<(&str, bool)> = header.iter().map(|(h, n)| (h.as_str(), *n)).collect();
    let mut t = Table::new(&header_refs);
    for a in common {
        let Some(b) = others.iter().find(|o| o.cell == a.cell) else {
            continue;
        };
        let mut row = key_values(&keys, &a.cell);
        row.push(format!("{}/{} / {}/{}", a.ok, a.runs, b.ok, b.runs));
        for m in Metric::ALL {
            let f = if matches!(m, Metric::Bytes) {
                bytes
            } else {
                secs
            };
            let med = |c: &CellStats| m.stats(c).map_or("—".to_string(), |s| f(s.median));
            row.push(format!("{} / {}", med(a), med(b)));
            let ratio = match (m.stats(a), m.stats(b)) {
                (Some(x), Some(y)) if x.median != 0.0 => {
                    let r = format!("{:.2}", y.median / x.median);
                    match band.ratio_interval(m.values(&a.values), m.values(&b.values)) {
                        Some((lo, hi)) => format!("{r} [{lo:.2}, {hi:.2}]"),
                        None => r,
                    }
                }
                _ => "—".to_string(),
            };
            row.push(ratio);
        }
        t.row(row);
    }
    t
}

/// The network profiles of `runs`, in the order they first appear (by run
/// number), each with the sources its runs give (none when no run under
/// it started).
fn profiles(runs: &[Run]) -> Vec<(&str, Vec<&str>)> {
    let mut profiles: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in runs::by_number(runs) {
        let Some(net) = r.net.as_deref() else {
            continue;
        };
        let i = match profiles.iter().position(|(n, _)| *n == net) {
            Some(i) => i,
            None => {
                profiles.push((net, Vec::new()));
                profiles.len() - 1
            }
        };
        if let Some(source) = r.net_source.as_deref()
            && !profiles[i].1.contains(&source)
        {
            profiles[i].1.push(source);
        }
    }
    profiles
}

/// `program = "..."` from an experiment file, without a TOML parser: the
/// first such line before any table header.
fn program_of(toml: &str) -> Option<String> {
    for line in toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            return None;
        }
        let Some(rest) = line.strip_prefix("program") else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim();
        let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let inner = &value[1..];
        return inner.find(quote).map(|end| inner[..end].to_string());
    }
    None
}

/// What `environment.json` says, as `cargo xtask experiment` writes it: e3's
/// commit, this machine, the parties' Python and MPyC wherever they ran,
/// and the hosts. Missing parts are left out.
fn environment(json: Option<&str>, warnings: &mut Vec<String>) -> String {
    let Some(json) = json else {
        return "No environment.json.\n".to_string();
    };
    let value: Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            warnings.push(format!("environment.json is not JSON ({e}); left out"));
            return "environment.json could not be read.\n".to_string();
        }
    };
    let text = |v: &Value| plain(v).unwrap_or_else(|| "?".to_string());
    let mut out = String::new();
    let e3 = &value["e3"];
    if let Some(commit) = e3["commit"].as_str() {
        let short: String = commit.chars().take(12).collect();
        let dirty = match e3["dirty"].as_bool() {
            Some(true) => " (with uncommitted changes)",
            Some(false) => "",
            None => " (clean or not: unknown)",
        };
        out.push_str(&format!("- e3: commit {}{dirty}\n", cell_text(&short)));
    }
    if let Some(command) = value["command"].as_array() {
        // e3 as it was typed (`cargo xtask`), then its arguments, quoted
        // as a shell would need them.
        let words: Vec<String> = command
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let w = w.as_str().unwrap_or("?");
                if i == 0 {
                    w.to_string()
                } else {
                    e3_plan::quote(w)
                }
            })
            .collect();
        let line = words.join(" ");
        // A code span holds a backtick when fenced by two.
        let fence = if line.contains('`') { "`` " } else { "`" };
        let close: String = fence.chars().rev().collect();
        out.push_str(&format!("- command: {fence}{line}{close}\n"));
    }
    let machine = &value["machine"];
    if machine.is_object() {
        out.push_str(&format!(
            "- this machine: {} cores, {} {}\n",
            text(&machine["cores"]),
            text(&machine["os"]),
            text(&machine["arch"])
        ));
    }
    for place in value["parties"].as_array().into_iter().flatten() {
        let v = &place["versions"];
        if v.is_null() {
            out.push_str(&format!(
                "- parties on {}: versions unknown\n",
                text(&place["where"])
            ));
            continue;
        }
        out.push_str(&format!(
            "- parties on {}: Python {}, MPyC {}, numpy {}, gmpy2 {}\n",
            text(&place["where"]),
            text(&v["python"]),
            text(&v["mpyc"]),
            text(&v["numpy"]),
            text(&v["gmpy2"])
        ));
    }
    if let Some(hosts) = value["hosts"].as_array() {
        if hosts.is_empty() {
            out.push_str("- hosts: none (local runs)\n");
        } else {
            let names: Vec<String> = hosts
                .iter()
                .map(|h| match h["region"].as_str() {
                    Some(region) => format!("{} ({})", text(&h["host"]), cell_text(region)),
                    None => text(&h["host"]),
                })
                .collect();
            out.push_str(&format!("- hosts: {}\n", names.join(", ")));
        }
    }
    if let Some(at) = value["recorded_at"].as_str() {
        out.push_str(&format!("- recorded: {}\n", cell_text(at)));
    }
    if out.is_empty() {
        out.push_str("environment.json says nothing this report knows how to show.\n");
    }
    out
}

fn plain(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(cell_text(s)),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn secs(x: f64) -> String {
    float(x, 3)
}

fn bytes(x: f64) -> String {
    format!("{:.0}", x)
}

/// An experiment's results table, one row per cell (as in `report.md`),
/// from its `runs.jsonl`: what a CI job's summary shows.
pub fn results_markdown(runs_jsonl: &str) -> String {
    let (runs, _) = runs::read_runs(runs_jsonl);
    results_table(&stats::cells(&runs), Band::default()).render()
}

fn results_table(cells: &[CellStats], band: Band) -> Table {
    let keys = key_columns(cells);
    let mut header: Vec<(&str, bool)> = keys
        .iter()
        .map(|k| (k.heading.as_str(), k.numeric))
        .collect();
    header.extend([
        ("runs ok", true),
        ("MPyC time (s)", true),
        ("run wall time (s)", true),
        ("time to connect (s)", true),
        ("bytes sent per party", true),
        ("slowest party", false),
    ]);
    let mut t = Table::new(&header);
    for c in cells {
        let mut row = key_values(&keys, &c.cell);
        let v = &c.values;
        row.extend([
            format!("{}/{}", c.ok, c.runs),
            with_interval(c.mpyc_secs, &v.mpyc_secs, band, secs),
            with_interval(c.wall_secs, &v.wall_secs, band, secs),
            with_interval(c.connect_secs, &v.connect_secs, band, secs),
            with_interval(c.bytes_per_party, &v.bytes_per_party, band, bytes),
            c.slowest.as_ref().map_or("—".to_string(), |s| {
                let region = s
                    .region
                    .as_ref()
                    .map_or(String::new(), |r| format!(" ({})", cell_text(r)));
                format!("{}{region} in {} of {} runs", s.index, s.times, s.of)
            }),
        ]);
        t.row(row);
    }
    t
}

/// A cell's values in `keys`' columns; `-` for a key it lacks.
fn key_values(keys: &[KeyColumn], cell: &Cell) -> Vec<String> {
    keys.iter()
        .map(|k| cell.text(&k.key).map_or("-".to_string(), |v| cell_text(&v)))
        .collect()
}

/// The report of one run, from its `logs/<run-id>/summary.json`: what
/// ran, under which network profile (and each party's region), a table of
/// its parties, a bar chart per party of MPyC time ([`TIME_SVG`]) and of
/// bytes sent ([`BYTES_SVG`]), and its parties as CSV ([`RUNS_CSV`]).
pub fn run_report(summary_json: &str) -> Result<Report, Error> {
    let v: Value =
        serde_json::from_str(summary_json).map_err(|e| Error::BadSummary(e.to_string()))?;
    let run_id = v["run_id"]
        .as_str()
        .ok_or_else(|| Error::BadSummary("no `run_id`".to_string()))?;
    let parties = v["parties"]
        .as_array()
        .ok_or_else(|| Error::BadSummary("no `parties`".to_string()))?;
    let program = v["program"].as_str().unwrap_or("?");
    let args: Vec<String> = v["args"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut md = format!("# Run {run_id}\n\n");
    md.push_str(&format!(
        "`{program}` {}, {} parties ({}{}), started {}; ",
        if args.is_empty() {
            "with no args".to_string()
        } else {
            format!("with args `{}`", args.join(" "))
        },
        parties.len(),
        v["mode"].as_str().unwrap_or("?"),
        v["start"]
            .as_str()
            .map_or(String::new(), |s| format!(", started {s}")),
        v["started_at"].as_str().unwrap_or("?"),
    ));
    let wall = v["wall_secs"].as_f64().map_or("?".to_string(), secs);
    match v["error"].as_str() {
        None => md.push_str(&format!("ok in {wall} s.\n\n")),
        Some(e) => md.push_str(&format!("{} after {wall} s.\n\n", cell_text(e))),
    }
    let net = &v["net"];
    if net.is_object() {
        let placement: Vec<String> = net["placement"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                format!(
                    "{}={}",
                    p["region"].as_str().unwrap_or("?"),
                    p["parties"].as_u64().unwrap_or(0)
                )
            })
            .collect();
        let source = net["source"].as_str().unwrap_or("?");
        md.push_str(&format!(
            "Under network profile `{}` ({}{}; sha256 `{}`): parties per region {}.\n\n",
            cell_text(net["profile"].as_str().unwrap_or("?")),
            cell_text(source),
            if source.starts_with("estimate") {
                ", **an estimate, not a measurement**"
            } else {
                ""
            },
            net["hash"].as_str().map_or("?", |h| &h[..h.len().min(12)]),
            placement.join(", ")
        ));
    }
    if v["environment"].is_object() {
        let mut warnings = Vec::new();
        md.push_str(&environment(
            Some(&v["environment"].to_string()),
            &mut warnings,
        ));
        md.push('\n');
    }
    let regions = parties.iter().any(|p| p["region"].is_string());
    let mut header = vec![("party", true), ("host", false)];
    if regions {
        header.push(("region", false));
    }
    header.extend([
        ("status", false),
        ("MPyC time (s)", true),
        ("bytes sent", true),
        ("connected after (s)", true),
        ("wall (s)", true),
    ]);
    let mut t = Table::new(&header);
    let mut time_bars = Vec::new();
    let mut byte_bars = Vec::new();
    let mut csv_text = String::from(
        "run_id,party,host,region,status,mpyc_elapsed_secs,bytes_sent,connected_after_secs,wall_secs\n",
    );
    for (i, p) in parties.iter().enumerate() {
        let index = p["index"].as_u64().map_or(i, |x| x as usize);
        let host = ["ran_on", "ssh", "address"]
            .iter()
            .find_map(|k| p[*k].as_str())
            .unwrap_or("");
        let time = p["mpyc_elapsed_secs"].as_f64();
        let sent = p["bytes_sent"].as_u64();
        let region = p["region"].as_str().unwrap_or("");
        let mut row = vec![index.to_string(), cell_text(host)];
        if regions {
            row.push(cell_text(region));
        }
        let connected = p["connected_after_secs"].as_f64();
        row.extend([
            cell_text(p["status"].as_str().unwrap_or("?")),
            time.map_or("—".to_string(), secs),
            sent.map_or("—".to_string(), |b| b.to_string()),
            connected.map_or("—".to_string(), secs),
            p["wall_secs"].as_f64().map_or("—".to_string(), secs),
        ]);
        t.row(row);
        let num = |x: Option<f64>| x.map_or(String::new(), |x| x.to_string());
        csv_text.push_str(&format!(
            "{},{index},{},{},{},{},{},{},{}\n",
            runs::csv_field(run_id),
            runs::csv_field(host),
            runs::csv_field(region),
            runs::csv_field(p["status"].as_str().unwrap_or("")),
            num(time),
            sent.map_or(String::new(), |b| b.to_string()),
            num(connected),
            num(p["wall_secs"].as_f64()),
        ));
        time_bars.push((index, time));
        byte_bars.push((index, sent.map(|b| b as f64)));
    }
    md.push_str(&t.render());
    md.push_str(&format!(
        "\n![MPyC time per party]({TIME_SVG})\n\n*Figure 1.* MPyC time per party, from its `Stop MPyC` line ([PDF](time.pdf), [PNG](time.png)).\n\n\
         ![bytes sent per party]({BYTES_SVG})\n\n*Figure 2.* Bytes sent per party, from the same line ([PDF](bytes.pdf), [PNG](bytes.png)).\n\n\
         Every party's figures: [{RUNS_CSV}]({RUNS_CSV}).\n"
    ));
    let time = plot::bars_plot("MPyC time", YUnit::Seconds, &time_bars, 0)?;
    let bytes = plot::bars_plot("bytes sent", YUnit::Bytes, &byte_bars, 1)?;
    Ok(Report {
        markdown: md,
        files: vec![
            (TIME_SVG.to_string(), time),
            (BYTES_SVG.to_string(), bytes),
            (RUNS_CSV.to_string(), csv_text),
        ],
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_from_the_experiment_file() {
        assert_eq!(
            program_of("# sweep\nprogram = \"secretsanta\"\nparties = [3]\n").as_deref(),
            Some("secretsanta")
        );
        assert_eq!(program_of("program='a.py'").as_deref(), Some("a.py"));
        assert_eq!(program_of("[sweep]\nprogram = \"x\"\n"), None);
        assert_eq!(program_of("programs = 3\n"), None);
    }

    #[test]
    fn environment_as_e3_writes_it() {
        let mut w = Vec::new();
        let env = environment(
            Some(
                r#"{"recorded_at": "2026-11-24T07:25:23Z", "e3": {"commit": "42d126ee34b525c008ec", "dirty": true},
                    "command": ["cargo xtask", "experiment", "my sweep.toml"],
                    "machine": {"cores": 2, "os": "linux", "arch": "x86_64"},
                    "parties": [{"where": "e3--ams3-0", "versions": {"python": "3.13.5", "mpyc": "0.11", "numpy": "2.3.1", "gmpy2": null}},
                                {"where": "pi4-lab", "versions": null}],
                    "hosts": [{"host": "e3--ams3-0", "region": "ams3"}, {"host": "pi4-lab", "region": null}]}"#,
            ),
            &mut w,
        );
        assert_eq!(
            env,
            "- e3: commit 42d126ee34b5 (with uncommitted changes)\n\
             - command: `cargo xtask experiment 'my sweep.toml'`\n\
             - this machine: 2 cores, linux x86_64\n\
             - parties on e3--ams3-0: Python 3.13.5, MPyC 0.11, numpy 2.3.1, gmpy2 ?\n\
             - parties on pi4-lab: versions unknown\n\
             - hosts: e3--ams3-0 (ams3), pi4-lab\n\
             - recorded: 2026-11-24T07:25:23Z\n"
        );
        assert!(w.is_empty());
        assert_eq!(environment(None, &mut w), "No environment.json.\n");
        environment(Some("{"), &mut w);
        assert_eq!(w.len(), 1);
    }
}
