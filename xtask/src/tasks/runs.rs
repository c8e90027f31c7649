//! `cargo xtask runs [show ID | prune]`: past runs (`logs/<run-id>/`) and
//! experiments (`results/<id>/`), newest first; one shown; old ones
//! removed. Crate `e3-history` reads the folders and chooses what a prune
//! removes; this task words it.

use camino::Utf8Path;
use e3_history::prune::{self, Plan, Rules, Why};
use e3_history::{Entry, ExperimentStatus, History, Kind, LookupError, What};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::cli::{RunsAction, RunsArgs};
use crate::error::{Result, failure, usage};
use crate::paths::current_dir;
use crate::ui::confirm;

pub fn run(root: &Utf8Path, dry_run: bool, args: &RunsArgs) -> Result<()> {
    let base = match &args.root {
        None => root.to_path_buf(),
        Some(dir) => {
            let base = current_dir()?.join(dir);
            if !base.join(e3_history::LOGS).is_dir() && !base.join(e3_history::RESULTS).is_dir() {
                return Err(
                    usage(format!("--root `{dir}` holds neither logs/ nor results/")).hint(
                        "give the folder that holds them (the workspace root, or a CI artifact's)",
                    ),
                );
            }
            base
        }
    };
    let history = e3_history::read::read(&base).map_err(|e| failure(e.to_string()))?;
    match &args.action {
        None => list(&history, args.json),
        Some(RunsAction::Show { id }) => show(&history, id, args.json),
        Some(RunsAction::Prune {
            keep,
            older_than,
            include_unfinished,
            yes,
        }) => {
            if args.json {
                return Err(usage("runs prune prints no JSON").hint(
                    "`cargo xtask runs --json` lists the runs as JSON; prune without --json",
                ));
            }
            if keep.is_none() && older_than.is_none() {
                return Err(usage("runs prune needs a rule: --keep N or --older-than DAYS")
                    .hint("`cargo xtask runs prune --keep 20` lists what would go (the newest 20 stay) and asks before removing it"));
            }
            let rules = Rules {
                keep: *keep,
                older_than: older_than.map(|d| SignedDuration::from_hours(24 * i64::from(d))),
                unfinished: *include_unfinished,
            };
            prune(&base, &history, &rules, dry_run, *yes)
        }
    }
}

/// One line per run and experiment, newest first, and a count.
fn list(history: &History, json: bool) -> Result<()> {
    if json {
        let all: Vec<Value> = history.entries.iter().map(Entry::to_json).collect();
        crate::out::outln!(
            "{}",
            serde_json::to_string_pretty(&all).expect("json serialises")
        );
        return Ok(());
    }
    if history.entries.is_empty() {
        crate::out::outln!(
            "e3: no runs or experiments yet (`cargo xtask run secretsanta` makes one)"
        );
        return Ok(());
    }
    let rows: Vec<Vec<String>> = history.entries.iter().map(row).collect();
    crate::out::outln!(
        "{}",
        e3_plan::columns(
            &[
                "id",
                "kind",
                "program",
                "parties",
                "where",
                "net",
                "runs",
                "status",
                "started (UTC)",
                "note",
            ],
            &rows,
            &[false, false, false, true],
        )
    );
    crate::out::outln!("\n{}", counts(history));
    Ok(())
}

fn row(e: &Entry) -> Vec<String> {
    let dash = || "-".to_string();
    let mut notes: Vec<String> = Vec::new();
    if let Some(link) = e.latest {
        notes.push(link.link().to_string());
    }
    let cells = match &e.what {
        What::Run(run) => {
            if let Some(exp) = run.experiments.first() {
                notes.push(format!("in experiment {exp}"));
            }
            vec![
                run.parties.len().to_string(),
                hosts_or_local(&run.hosts(), None),
                run.net.as_ref().map_or_else(dash, |n| n.profile.clone()),
                dash(),
                run.status.name().to_string(),
            ]
        }
        What::Experiment(exp) => {
            if exp.file_error.is_some() {
                notes.push("this e3 cannot read its experiment.toml (runs show says why)".into());
            }
            let hosts: Vec<&str> = exp.hosts.iter().map(String::as_str).collect();
            vec![
                join(&exp.parties),
                hosts_or_local(&hosts, exp.hosts_file.as_deref()),
                if exp.net.is_empty() {
                    dash()
                } else {
                    exp.net.join(",")
                },
                format!(
                    "{}/{}",
                    exp.done,
                    exp.scheduled.map_or("?".to_string(), |s| s.to_string())
                ),
                match exp.status() {
                    ExperimentStatus::Failed => format!("{} failed", exp.failed()),
                    status => status.name().to_string(),
                },
            ]
        }
        What::Unknown { why } => {
            notes.push(why.clone());
            vec![dash(), dash(), dash(), dash(), dash()]
        }
    };
    let mut row = vec![
        e.id.clone(),
        e.kind().name().to_string(),
        e.program().map_or_else(dash, str::to_string),
    ];
    row.extend(cells);
    row.push(when(e.started));
    row.push(notes.join("; "));
    row
}

/// `local`, the one host, `4 hosts`, or the hosts file when no host is
/// recorded.
fn hosts_or_local(hosts: &[&str], file: Option<&str>) -> String {
    match (hosts, file) {
        ([], None) => "local".to_string(),
        ([], Some(file)) => file.to_string(),
        ([one], _) => one.to_string(),
        (many, _) => format!("{} hosts", many.len()),
    }
}

/// `12 runs (4 in experiments), 2 experiments, 1 unknown folder`
fn counts(history: &History) -> String {
    let of = |kind: Kind| history.entries.iter().filter(|e| e.kind() == kind).count();
    let within = history.entries.iter().filter(|e| e.in_experiment()).count();
    let mut text = e3_plan::count(of(Kind::Run), "run", "runs");
    if within > 0 {
        text.push_str(&format!(" ({within} in experiments)"));
    }
    text.push_str(&format!(
        ", {}",
        e3_plan::count(of(Kind::Experiment), "experiment", "experiments")
    ));
    let unknown = of(Kind::Unknown);
    if unknown > 0 {
        text.push_str(&format!(
            ", {} (never pruned)",
            e3_plan::count(unknown, "unknown folder", "unknown folders")
        ));
    }
    format!("{text}; `cargo xtask runs show ID` shows one")
}

/// One entry: what it was, how it went, where its files are.
fn show(history: &History, query: &str, json: bool) -> Result<()> {
    let entry = history.find(query).map_err(|e| not_found(history, e))?;
    if json {
        crate::out::outln!(
            "{}",
            serde_json::to_string_pretty(&entry.to_json_detailed()).expect("json serialises")
        );
        return Ok(());
    }
    let mut lines: Vec<(&str, String)> = Vec::new();
    let started = when(entry.started);
    let cells = match &entry.what {
        What::Experiment(exp) => ExperimentCells::of(exp),
        _ => ExperimentCells::default(),
    };
    match &entry.what {
        What::Run(run) => {
            let mut program = run.program.clone();
            for arg in &run.args {
                program.push(' ');
                program.push_str(&e3_plan::quote(arg));
            }
            lines.push(("program", program));
            let mut parties = format!(
                "{}, {}",
                run.parties.len(),
                hosts_or_local(&run.hosts(), None)
            );
            if let Some(start) = &run.start {
                parties.push_str(&format!(", started {start}"));
            }
            lines.push(("parties", parties));
            if let Some(net) = &run.net {
                lines.push((
                    "net",
                    format!("{} ({}; sha256 {})", net.profile, net.source, net.hash),
                ));
            }
            let took = run
                .wall_secs
                .map_or(String::new(), |w| format!(", took {w:.2} s"));
            lines.push(("started", format!("{started} UTC{took}")));
            if let Some(commit) = &run.commit {
                let dirty = match run.dirty {
                    Some(true) => " (with changes not committed)",
                    _ => "",
                };
                lines.push((
                    "e3",
                    format!("commit {}{dirty}", &commit[..commit.len().min(12)]),
                ));
            }
            for (place, versions) in &run.versions {
                lines.push(("python", format!("{place}: {versions}")));
            }
            if let Some(error) = &run.error {
                lines.push(("error", error.clone()));
            }
            lines.push((
                "logs",
                format!(
                    "{}/ (summary.json, {})",
                    entry.dir,
                    e3_plan::count(run.parties.len(), "party log", "party logs")
                ),
            ));
            for exp in &run.experiments {
                lines.push((
                    "part of",
                    format!("experiment {exp} (results/{exp}/): pruned with it"),
                ));
            }
        }
        What::Experiment(exp) => {
            lines.push(("program", exp.program.clone().unwrap_or_else(|| "?".into())));
            let mut sweep = swept(exp, &cells);
            let hosts: Vec<&str> = exp.hosts.iter().map(String::as_str).collect();
            sweep.push_str(&format!(
                "; {}",
                hosts_or_local(&hosts, exp.hosts_file.as_deref())
            ));
            lines.push(("sweep", sweep));
            let mut runs = match exp.scheduled {
                Some(scheduled) => format!("{} of {scheduled} done, {} ok", exp.done, exp.ok()),
                None => format!(
                    "{} done (how many are scheduled is unknown), {} ok",
                    exp.done,
                    exp.ok()
                ),
            };
            if exp.resumable() {
                runs.push_str(&format!(
                    "; resumable: cargo xtask experiment --resume {}",
                    entry.dir
                ));
            }
            lines.push(("runs", runs));
            if let Some(why) = &exp.file_error {
                lines.push(("file", format!("this e3 cannot read it: {why}")));
            }
            if exp.resumable() || exp.file_error.is_some() {
                lines.push((
                    "prune",
                    "keeps it unless given --include-unfinished".to_string(),
                ));
            }
            let last = exp.last_run.map_or(String::new(), |t| {
                format!(", last run {} UTC", when(Some(t)))
            });
            lines.push(("started", format!("{started} UTC{last}")));
            let report = if exp.report {
                "report.md written".to_string()
            } else {
                format!("no report yet: cargo xtask report {}", entry.dir)
            };
            lines.push(("results", format!("{}/ ({report})", entry.dir)));
            let present = history.runs_of(entry).count();
            lines.push((
                "logs",
                format!(
                    "{} of its {} in logs/ (below)",
                    present,
                    e3_plan::count(exp.run_dirs.len(), "run folder", "run folders")
                ),
            ));
        }
        What::Unknown { why } => {
            lines.push(("why", why.clone()));
            lines.push(("prune", "never removes it".to_string()));
        }
    }
    if let Some(link) = entry.latest {
        lines.push(("latest", format!("{} points here", link.link())));
    }
    match &entry.what {
        What::Run(run) => crate::out::outln!("run {}: {}", entry.id, run.status.name()),
        What::Experiment(exp) => {
            crate::out::outln!("experiment {}: {}", entry.id, exp.status().name())
        }
        What::Unknown { .. } => crate::out::outln!("unknown folder {}/", entry.dir),
    }
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in &lines {
        crate::out::outln!("  {key:<width$}  {value}");
    }
    match &entry.what {
        What::Run(run) if !run.parties.is_empty() => {
            crate::out::outln!("\n{}", party_table(run));
        }
        What::Experiment(exp) if !exp.runs.is_empty() => {
            crate::out::outln!("\n{}", cell_table(&cells));
            crate::out::outln!("\n{}", run_table(history, exp, &cells));
        }
        _ => {}
    }
    Ok(())
}

/// An id that names nothing, or several: exit 2, with what there is.
fn not_found(history: &History, err: LookupError) -> crate::error::Error {
    let hint = match &err {
        // A run and an experiment of one id: their folders tell them apart.
        LookupError::Ambiguous { matches, .. }
            if matches.len() == 2 && matches[0].file_name() == matches[1].file_name() =>
        {
            format!(
                "name the folder: `cargo xtask runs show {}` or `... {}`",
                matches[0], matches[1]
            )
        }
        LookupError::Ambiguous { .. } => {
            "give more of the id (`cargo xtask runs` lists them all)".to_string()
        }
        LookupError::NotFound { .. } | LookupError::NoLatest { .. } => {
            let newest = history.newest_ids(5);
            if newest.is_empty() {
                "there are no runs or experiments yet: `cargo xtask run secretsanta` makes one"
                    .to_string()
            } else {
                format!(
                    "the newest: {}; `cargo xtask runs` lists them all",
                    newest.join(", ")
                )
            }
        }
    };
    usage(err.to_string()).hint(hint)
}

/// A run's parties, as the run's own table shows them.
fn party_table(run: &e3_history::RunRecord) -> String {
    let rows: Vec<e3_run::summary::PartyRow> = run
        .parties
        .iter()
        .map(|p| e3_run::summary::PartyRow {
            index: p.index,
            ssh: p.ssh.clone(),
            region: p.region.clone(),
            address: p.address.clone(),
            status: p.status.clone(),
            exit: p.exit.clone(),
            mpyc_time: p.mpyc_elapsed.clone(),
            bytes_sent: p.bytes_sent,
            wall_secs: p.wall_secs,
        })
        .collect();
    let (header, rows, right) = e3_run::summary::party_grid(&rows);
    e3_plan::columns(&header, &rows, &right)
}

/// An experiment's runs grouped by cell, with a column per key of its
/// cells: what the sweep line and both tables read.
#[derive(Default)]
struct ExperimentCells {
    cells: Vec<e3_report::CellStats>,
    keys: Vec<e3_report::KeyColumn>,
}

impl ExperimentCells {
    fn of(exp: &e3_history::ExperimentRecord) -> ExperimentCells {
        let cells = e3_report::cells(&exp.runs);
        let keys = e3_report::key_columns(&cells);
        ExperimentCells { cells, keys }
    }
}

/// What an experiment varies: the parties and profiles its file names,
/// then every other key whose values differ across the cells of its runs
/// so far, with its label and unit (`parties 3, 5; input size n (people)
/// 8, 16; start warm, cold`; keys with one value are left to the cells'
/// table).
fn swept(exp: &e3_history::ExperimentRecord, cells: &ExperimentCells) -> String {
    let ExperimentCells { cells, keys } = cells;
    let mut parts = vec![format!("parties {}", join(&exp.parties))];
    if !exp.net.is_empty() {
        parts.push(format!("net {}", exp.net.join(", ")));
    }
    for key in keys {
        if key.key == "parties" || key.key == "net" {
            continue;
        }
        let mut values: Vec<String> = Vec::new();
        for value in cells.iter().filter_map(|c| c.cell.text(&key.key)) {
            if !values.contains(&value) {
                values.push(value);
            }
        }
        if values.len() > 1 {
            parts.push(format!("{} {}", key.heading, values.join(", ")));
        }
    }
    parts.join("; ")
}

/// An experiment's cells: a column per key of its cells (parties, args,
/// a variable, net, ...), runs ok of all and the median figures.
fn cell_table(cells: &ExperimentCells) -> String {
    let ExperimentCells { cells, keys } = cells;
    let mut header: Vec<&str> = keys.iter().map(|k| k.heading.as_str()).collect();
    let mut right: Vec<bool> = keys.iter().map(|k| k.numeric).collect();
    header.extend(["runs ok", "mpyc time (s)", "wall (s)", "bytes sent/party"]);
    right.extend([true, true, true, true]);
    let median = |s: Option<e3_report::Stats>, digits: usize| {
        s.map_or("-".to_string(), |s| format!("{:.digits$}", s.median))
    };
    let rows: Vec<Vec<String>> = cells
        .iter()
        .map(|c| {
            let mut row: Vec<String> = keys
                .iter()
                .map(|k| c.cell.text(&k.key).unwrap_or_else(|| "-".into()))
                .collect();
            row.extend([
                format!("{}/{}", c.ok, c.runs),
                median(c.mpyc_secs, 3),
                median(c.wall_secs, 3),
                median(c.bytes_per_party, 0),
            ]);
            row
        })
        .collect();
    e3_plan::columns(&header, &rows, &right)
}

/// An experiment's runs, each with its folder (`gone` when it is no longer
/// in logs/): a column per key of its cells, as in [`cell_table`] (the
/// arguments too when they are not a key, since a named variable's value
/// is not the whole argument list).
fn run_table(
    history: &History,
    exp: &e3_history::ExperimentRecord,
    cells: &ExperimentCells,
) -> String {
    let keys = &cells.keys;
    let with_args =
        !keys.iter().any(|k| k.key == "args") && exp.runs.iter().any(|r| !r.args.is_empty());
    let mut header = vec!["run"];
    let mut right = vec![true];
    header.extend(keys.iter().map(|k| k.heading.as_str()));
    right.extend(keys.iter().map(|k| k.numeric));
    if with_args {
        header.push("args");
        right.push(false);
    }
    header.extend(["rep", "status", "logs"]);
    right.extend([true, false, false]);
    let there = |dir: &str| {
        history
            .entries
            .iter()
            .any(|e| e.dir.as_str() == dir.trim_end_matches('/'))
    };
    let rows: Vec<Vec<String>> = exp
        .runs
        .iter()
        .map(|r| {
            let mut row = vec![r.run.to_string()];
            row.extend(
                keys.iter()
                    .map(|k| r.cell.text(&k.key).unwrap_or_else(|| "-".into())),
            );
            if with_args {
                row.push(match r.args.is_empty() {
                    true => "-".to_string(),
                    false => r.args.join(" "),
                });
            }
            row.extend([
                r.rep.to_string(),
                r.status.clone(),
                match r.log_dir.as_deref() {
                    None => e3_report::NO_LOGS.to_string(),
                    Some(dir) if there(dir) => dir.to_string(),
                    Some(dir) => format!("{dir} (gone)"),
                },
            ]);
            row
        })
        .collect();
    e3_plan::columns(&header, &rows, &right)
}

/// Lists what the rules remove and spare, then removes it: only with
/// `--yes` or a yes at the terminal, never under `--dry-run`.
fn prune(
    base: &Utf8Path,
    history: &History,
    rules: &Rules,
    dry_run: bool,
    yes: bool,
) -> Result<()> {
    let plan = prune::plan(history, Timestamp::now(), rules);
    let dirs = plan.dirs();
    if plan.remove.is_empty() {
        crate::out::outln!(
            "e3: nothing to remove: {} stay",
            e3_plan::count(plan.kept, "run or experiment", "runs and experiments")
        );
    } else {
        crate::out::outln!("{}", removal_table(&plan));
    }
    let kept = kept_table(&plan);
    if !kept.is_empty() {
        crate::out::outln!("\n{kept}");
    }
    if plan.remove.is_empty() {
        return Ok(());
    }
    let what = e3_plan::count(dirs.len(), "folder", "folders");
    crate::out::outln!(
        "\ne3: {} go ({what}), {} stay",
        e3_plan::count(
            plan.remove.len(),
            "run or experiment",
            "runs and experiments"
        ),
        plan.kept
    );
    if dry_run {
        crate::out::outln!("e3: removed nothing (--dry-run)");
        return Ok(());
    }
    crate::pipeline::require_yes("runs prune", yes)?;
    if !confirm(&format!("Remove these {what}?"), yes)? {
        return Err(failure("not confirmed: nothing was removed"));
    }
    let (removed, failed) = prune::remove(base, &plan);
    if !failed.is_empty() {
        let list: Vec<String> = failed
            .iter()
            .map(|f| format!("{} ({})", f.dir, f.why))
            .collect();
        return Err(failure(format!(
            "removed {} of {}; could not remove {}",
            removed.len(),
            dirs.len(),
            list.join(", ")
        )));
    }
    crate::out::outln!(
        "e3: removed {}; {} stay",
        e3_plan::count(removed.len(), "folder", "folders"),
        e3_plan::count(plan.kept, "run or experiment", "runs and experiments")
    );
    Ok(())
}

/// Every folder a prune removes: each experiment with its runs beneath it.
fn removal_table(plan: &Plan<'_>) -> String {
    let mut rows = Vec::new();
    for removal in &plan.remove {
        let e = removal.entry;
        rows.push(vec![
            e.dir.to_string(),
            e.kind().name().to_string(),
            e.program().unwrap_or("-").to_string(),
            when(e.started),
            match e.experiment().map(|x| x.status()) {
                Some(ExperimentStatus::Resumable) => "unfinished (--include-unfinished)".into(),
                Some(ExperimentStatus::Unknown) => "progress unknown (--include-unfinished)".into(),
                _ if removal.with.is_empty() => String::new(),
                _ => format!(
                    "with its {}",
                    e3_plan::count(removal.with.len(), "run", "runs")
                ),
            },
        ]);
        for run in &removal.with {
            rows.push(vec![
                format!("  {}", run.dir),
                "its run".to_string(),
                run.program().unwrap_or("-").to_string(),
                when(run.started),
                String::new(),
            ]);
        }
    }
    e3_plan::columns(
        &["remove", "kind", "program", "started (UTC)", "note"],
        &rows,
        &[],
    )
}

/// What stays although the rules chose it, and the folders that are not
/// e3's, each with why.
fn kept_table(plan: &Plan<'_>) -> String {
    let mut rows: Vec<Vec<String>> = plan
        .spared
        .iter()
        .map(|s| vec![s.entry.dir.to_string(), why(&s.why, s.entry)])
        .collect();
    for e in &plan.unknown {
        let why = match &e.what {
            What::Unknown { why } => why.as_str(),
            _ => "",
        };
        rows.push(vec![
            e.dir.to_string(),
            format!("unknown, never pruned: {why}"),
        ]);
    }
    if rows.is_empty() {
        return String::new();
    }
    e3_plan::columns(&["keep", "why"], &rows, &[])
}

fn why(why: &Why, entry: &Entry) -> String {
    match why {
        Why::Latest(link) => format!("{} points at it", link.link()),
        Why::RunIsLatest { run } => format!("its run {run} is logs/latest"),
        Why::Unfinished { done, scheduled } => format!(
            "unfinished ({done} of {scheduled} runs): `cargo xtask experiment --resume {}` finishes it, --include-unfinished removes it",
            entry.dir
        ),
        Why::ProgressUnknown => {
            "this e3 cannot read its experiment.toml, so cannot tell whether it is finished; --include-unfinished removes it".to_string()
        }
        Why::NoTime => "its time is unknown (no date in its record or id)".to_string(),
        Why::AlsoIn { experiment } => {
            format!("experiment {experiment}, which stays, names it too")
        }
    }
}

/// `2026-11-30 11:08:23` (UTC), or `-`.
fn when(t: Option<Timestamp>) -> String {
    t.map_or("-".to_string(), |t| {
        t.strftime("%Y-%m-%d %H:%M:%S").to_string()
    })
}

fn join(values: &[usize]) -> String {
    values
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
