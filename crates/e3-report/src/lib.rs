//! Reports of experiments and runs, as file contents the caller writes.
//!
//! - An experiment's results folder (`results/<id>/`: `runs.jsonl`,
//!   `experiment.toml`, `environment.json`) becomes `report.md` with a table
//!   of its cells (a cell is every key the experiment sweeps or sets:
//!   parties, a variable, the network profile...; its runs are its reps),
//!   two SVG plots against parties (`time.svg`, `bytes.svg`) and the
//!   per-run figures as CSV (`runs.csv`); given a second experiment, the
//!   same cells side by side with the ratio of their medians, and both on
//!   each plot. docs/experiments.md describes `runs.jsonl`.
//! - A single run's `summary.json` becomes a small `report.md` with a bar
//!   chart per party of MPyC time and of bytes sent.
//!
//! Everything here is pure: text in, text out, warnings as values.

mod markdown;
mod plot;
mod runs;
mod stats;

use std::fmt;

use serde_json::Value;

pub use runs::{
    Cell, Label, NO_LOGS, PartyRun, Run, csv, csv_header, csv_key_columns, read_runs, value_text,
};
pub use stats::{CellStats, KeyColumn, Stats, cells, key_columns, varying_keys};

use markdown::{Table, cell_text, float};
use plot::{Line, Unit};

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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoRuns { name } => write!(f, "{name}: runs.jsonl holds no run"),
            Error::BadSummary(why) => write!(f, "not a run's summary.json: {why}"),
            Error::Plot(why) => write!(f, "could not draw a plot: {why}"),
        }
    }
}

impl std::error::Error for Error {}

/// The file names of an experiment report's files.
pub const TIME_SVG: &str = "time.svg";
pub const BYTES_SVG: &str = "bytes.svg";
pub const RUNS_CSV: &str = "runs.csv";

/// The report of the experiment in the results folder named `dir_name`,
/// from its files' contents (`experiment.toml` and `environment.json` when
/// there). `vs` is a second experiment's (name, `runs.jsonl`) to compare
/// with. Files: [`TIME_SVG`], [`BYTES_SVG`], [`RUNS_CSV`].
pub fn experiment_report(
    dir_name: &str,
    experiment_toml: Option<&str>,
    environment_json: Option<&str>,
    runs_jsonl: &str,
    vs: Option<(&str, &str)>,
) -> Result<Report, Error> {
    let (runs, mut warnings) = read_runs(runs_jsonl);
    if runs.is_empty() {
        return Err(Error::NoRuns {
            name: dir_name.to_string(),
        });
    }
    let these = cells(&runs);
    let other = match vs {
        Some((name, jsonl)) => {
            let (other_runs, other_warnings) = read_runs(jsonl);
            warnings.extend(other_warnings.into_iter().map(|w| format!("{name}: {w}")));
            if other_runs.is_empty() {
                return Err(Error::NoRuns {
                    name: name.to_string(),
                });
            }
            Some((name, cells(&other_runs)))
        }
        None => None,
    };

    let mut md = String::new();
    let program = experiment_toml.and_then(program_of);
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
    md.push_str(&environment(environment_json, &mut warnings));
    md.push('\n');
    // The network profiles, each with where its figures come from (an
    // estimate is labelled one), as the runs that started under it say:
    // a run that failed before it started has no source.
    let profiles = profiles(&runs);
    if !profiles.is_empty() {
        md.push_str("Network profiles (`run --net`: the parties ran on one machine, every link delayed as between their regions):\n\n");
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
    }

    md.push_str("## Results\n\n");
    md.push_str(
        "Each cell's figures are over its ok runs: median (min–max). A run's MPyC \
         time is its slowest party's; bytes sent per party is the mean over a run's \
         parties; run wall time is e3's, from start to end.\n\n",
    );
    md.push_str(&results_table(&these).render());
    md.push('\n');

    let failed: Vec<&Run> = runs.iter().filter(|r| !r.ok()).collect();
    if !failed.is_empty() {
        md.push_str("Failed runs:\n\n");
        let mut failed = failed;
        failed.sort_by_key(|r| r.run);
        // Each named by parties and the keys that tell cells apart.
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
    }

    if let Some((name, other)) = &other {
        md.push_str(&format!("## Compared with {name}\n\n"));
        md.push_str(&format!(
            "Medians of {dir_name} vs {name}, and their ratio ({dir_name} / {name}).\n\n"
        ));
        md.push_str(&vs_table(&these, other, dir_name, name).render());
        md.push('\n');
    }

    md.push_str("## Plots\n\n");
    md.push_str(&format!(
        "Medians, with a band from min to max.\n\n![MPyC time against parties]({TIME_SVG})\n\n\
         ![bytes sent per party against parties]({BYTES_SVG})\n\n"
    ));
    md.push_str(&format!(
        "Every run's figures, one line per run and party: [{RUNS_CSV}]({RUNS_CSV}).\n"
    ));
    if !warnings.is_empty() {
        md.push_str("\n## Warnings\n\n");
        for w in &warnings {
            md.push_str(&format!("- {w}\n"));
        }
    }

    let mut title_name = program.as_deref().unwrap_or(dir_name).to_string();
    if let Some((name, _)) = &other {
        title_name = format!("{title_name}, {dir_name} vs {name}");
    }
    let other_ref = other.as_ref().map(|(n, c)| (*n, c.as_slice()));
    let time = plot::lines_plot(
        &format!("{title_name}: MPyC time"),
        "MPyC time (s)",
        Unit::Seconds,
        &plot_lines(dir_name, &these, other_ref, |c| c.mpyc_secs),
    )?;
    let bytes = plot::lines_plot(
        &format!("{title_name}: bytes sent per party"),
        "bytes sent per party",
        Unit::Bytes,
        &plot_lines(dir_name, &these, other_ref, |c| c.bytes_per_party),
    )?;
    Ok(Report {
        markdown: md,
        files: vec![
            (TIME_SVG.to_string(), time),
            (BYTES_SVG.to_string(), bytes),
            (RUNS_CSV.to_string(), csv(&runs)),
        ],
        warnings,
    })
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

fn stat_text(s: Option<Stats>, f: impl Fn(f64) -> String) -> String {
    match s {
        Some(s) => format!("{} ({}–{})", f(s.median), f(s.min), f(s.max)),
        None => "—".to_string(),
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
    results_table(&stats::cells(&runs)).render()
}

fn results_table(cells: &[CellStats]) -> Table {
    let keys = key_columns(cells);
    let mut header: Vec<(&str, bool)> = keys
        .iter()
        .map(|k| (k.heading.as_str(), k.numeric))
        .collect();
    header.extend([
        ("runs ok", true),
        ("MPyC time (s)", true),
        ("run wall time (s)", true),
        ("bytes sent per party", true),
    ]);
    let mut t = Table::new(&header);
    for c in cells {
        let mut row = key_values(&keys, &c.cell);
        row.extend([
            format!("{}/{}", c.ok, c.runs),
            stat_text(c.mpyc_secs, secs),
            stat_text(c.wall_secs, secs),
            stat_text(c.bytes_per_party, bytes),
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

/// The ratio of two medians, `this / other`, as text.
fn ratio(this: Option<Stats>, other: Option<Stats>) -> String {
    match (this, other) {
        (Some(a), Some(b)) if b.median != 0.0 => format!("{:.2}", a.median / b.median),
        _ => "—".to_string(),
    }
}

fn vs_table(these: &[CellStats], others: &[CellStats], this: &str, other: &str) -> Table {
    // Every cell of either, matched by the whole cell: this experiment's
    // in its order, then those only the other has.
    let mut both: Vec<CellStats> = these.to_vec();
    both.extend(
        others
            .iter()
            .filter(|o| !these.iter().any(|c| c.cell == o.cell))
            .cloned(),
    );
    let keys = key_columns(&both);
    let mut header: Vec<(&str, bool)> = keys
        .iter()
        .map(|k| (k.heading.as_str(), k.numeric))
        .collect();
    header.extend([
        ("runs ok", true),
        ("MPyC time (s)", true),
        ("ratio", true),
        ("run wall time (s)", true),
        ("ratio", true),
        ("bytes sent per party", true),
        ("ratio", true),
    ]);
    let mut t = Table::new(&header);
    let find = |cells: &[CellStats], cell: &Cell| cells.iter().find(|c| c.cell == *cell).cloned();
    for cell in both.iter().map(|c| &c.cell) {
        let a = find(these, cell);
        let b = find(others, cell);
        let median =
            |c: &Option<CellStats>, f: fn(&CellStats) -> Option<Stats>, t: fn(f64) -> String| {
                c.as_ref()
                    .and_then(f)
                    .map_or("—".to_string(), |s| t(s.median))
            };
        let pair = |f: fn(&CellStats) -> Option<Stats>, t: fn(f64) -> String| {
            format!("{} vs {}", median(&a, f, t), median(&b, f, t))
        };
        let only = match (&a, &b) {
            (Some(_), None) => Some(format!("only in {this}")),
            (None, Some(_)) => Some(format!("only in {other}")),
            _ => None,
        };
        let r = |f: fn(&CellStats) -> Option<Stats>| {
            only.clone()
                .unwrap_or_else(|| ratio(a.as_ref().and_then(f), b.as_ref().and_then(f)))
        };
        let runs = |c: &Option<CellStats>| {
            c.as_ref()
                .map_or("—".to_string(), |c| format!("{}/{}", c.ok, c.runs))
        };
        let mut row = key_values(&keys, cell);
        row.extend([
            format!("{} vs {}", runs(&a), runs(&b)),
            pair(|c| c.mpyc_secs, secs),
            r(|c| c.mpyc_secs),
            pair(|c| c.wall_secs, secs),
            r(|c| c.wall_secs),
            pair(|c| c.bytes_per_party, bytes),
            r(|c| c.bytes_per_party),
        ]);
        t.row(row);
    }
    t
}

/// A cell without its `parties`: what a line of a plot against parties
/// joins.
fn series_of(cell: &Cell) -> Cell {
    Cell(
        cell.0
            .iter()
            .filter(|(k, _)| k != "parties")
            .cloned()
            .collect(),
    )
}

/// One line per series (the cells' keys but parties, and per experiment
/// with `other`), its points the cells that have the figure.
fn plot_lines(
    this: &str,
    these: &[CellStats],
    other: Option<(&str, &[CellStats])>,
    figure: fn(&CellStats) -> Option<Stats>,
) -> Vec<Line> {
    let all: Vec<&CellStats> = these
        .iter()
        .chain(other.map_or(&[][..], |(_, c)| c))
        .collect();
    let mut series: Vec<Cell> = Vec::new();
    for c in &all {
        let s = series_of(&c.cell);
        if !series.contains(&s) {
            series.push(s);
        }
    }
    // A legend entry names the keys that tell the lines apart, as a cell's
    // name does (`n = 16, net = lan`); all of them when one line is all.
    let varying = varying_keys(&series.iter().collect::<Vec<_>>());
    let line = |cells: &[CellStats], s: &Cell, colour: usize, label: String, dashed| {
        let points: Vec<(f64, Stats)> = cells
            .iter()
            .filter(|c| series_of(&c.cell) == *s)
            .filter_map(|c| figure(c).map(|st| (c.parties as f64, st)))
            .collect();
        (!points.is_empty()).then_some(Line {
            label,
            points,
            colour,
            dashed,
        })
    };
    let mut lines = Vec::new();
    for (i, s) in series.iter().enumerate() {
        let label = if varying.is_empty() {
            s.name()
        } else {
            s.name_of(|k| varying.iter().any(|v| v == k))
        };
        match other {
            None => lines.extend(line(these, s, i, label, false)),
            Some((name, cells)) => {
                lines.extend(line(these, s, i, format!("{this}: {label}"), false));
                lines.extend(line(cells, s, i, format!("{name}: {label}"), true));
            }
        }
    }
    lines
}

/// The report of one run, from its `logs/<run-id>/summary.json`: a table
/// of its parties and a bar chart per party of MPyC time ([`TIME_SVG`])
/// and of bytes sent ([`BYTES_SVG`]).
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
        "`{program}` {}, {} parties ({}), started {}; ",
        if args.is_empty() {
            "with no args".to_string()
        } else {
            format!("with args `{}`", args.join(" "))
        },
        parties.len(),
        v["mode"].as_str().unwrap_or("?"),
        v["started_at"].as_str().unwrap_or("?"),
    ));
    let wall = v["wall_secs"].as_f64().map_or("?".to_string(), secs);
    match v["error"].as_str() {
        None => md.push_str(&format!("ok in {wall} s.\n\n")),
        Some(e) => md.push_str(&format!("{} after {wall} s.\n\n", cell_text(e))),
    }
    let mut t = Table::new(&[
        ("party", true),
        ("host", false),
        ("status", false),
        ("MPyC time (s)", true),
        ("bytes sent", true),
        ("wall (s)", true),
    ]);
    let mut time_bars = Vec::new();
    let mut byte_bars = Vec::new();
    for (i, p) in parties.iter().enumerate() {
        let index = p["index"].as_u64().map_or(i, |x| x as usize);
        let host = ["ran_on", "ssh", "address"]
            .iter()
            .find_map(|k| p[*k].as_str())
            .unwrap_or("");
        let time = p["mpyc_elapsed_secs"].as_f64();
        let sent = p["bytes_sent"].as_u64();
        t.row(vec![
            index.to_string(),
            cell_text(host),
            cell_text(p["status"].as_str().unwrap_or("?")),
            time.map_or("—".to_string(), secs),
            sent.map_or("—".to_string(), |b| b.to_string()),
            p["wall_secs"].as_f64().map_or("—".to_string(), secs),
        ]);
        time_bars.push((index, time));
        byte_bars.push((index, sent.map(|b| b as f64)));
    }
    md.push_str(&t.render());
    md.push_str(&format!(
        "\n![MPyC time per party]({TIME_SVG})\n\n![bytes sent per party]({BYTES_SVG})\n"
    ));
    let time = plot::bars_plot(
        &format!("MPyC time per party, run {run_id}"),
        "MPyC time (s)",
        Unit::Seconds,
        &time_bars,
        0,
    )?;
    let bytes = plot::bars_plot(
        &format!("bytes sent per party, run {run_id}"),
        "bytes sent",
        Unit::Bytes,
        &byte_bars,
        1,
    )?;
    Ok(Report {
        markdown: md,
        files: vec![(TIME_SVG.to_string(), time), (BYTES_SVG.to_string(), bytes)],
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

    #[test]
    fn a_legend_names_the_keys_that_tell_lines_apart() {
        use stats::tests::run;
        let runs = [
            run(1, 3, 8, "lan", true),
            run(2, 3, 8, "wan", true),
            run(3, 3, 16, "lan", true),
            run(4, 6, 8, "lan", true),
        ];
        let these = cells(&runs);
        let labels =
            |lines: Vec<Line>| -> Vec<String> { lines.into_iter().map(|l| l.label).collect() };
        assert_eq!(
            labels(plot_lines("a", &these, None, |c| c.mpyc_secs)),
            ["n = 8, net = lan", "n = 8, net = wan", "n = 16, net = lan"]
        );
        // One line: every key but parties names it.
        let one = cells(&runs[..1]);
        assert_eq!(
            labels(plot_lines("a", &one, Some(("b", &one)), |c| c.mpyc_secs)),
            [
                "a: n = 8, net = lan, start = warm",
                "b: n = 8, net = lan, start = warm"
            ]
        );
    }
}
