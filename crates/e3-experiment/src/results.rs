//! An experiment's results folder, `results/<id>/`: a copy of the
//! experiment file, `runs.jsonl` with one line per finished run (appended
//! and flushed to disk as the run ends, so a Ctrl-C, a crash or a killed
//! machine loses at most the run in flight), and `environment.json`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::relative_to;
use e3_run::Outcome;
use e3_run::summary::Status;
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::file::{Cell, Experiment};
use crate::sweep::Planned;

pub const RESULTS_DIR: &str = "results";
pub const EXPERIMENT_COPY: &str = "experiment.toml";
pub const RUNS: &str = "runs.jsonl";
pub const ENVIRONMENT: &str = "environment.json";
/// The cells `skip_unfit` left out, with why: written when the experiment
/// starts (and again when it resumes), so that its history counts only the
/// runs it scheduled.
pub const SKIPPED: &str = "skipped.json";

/// A new, empty results folder: `results/20261124-071500-<name>` (with
/// `-2`, ... when two start in the same second). Returns its id and path.
pub fn new_results_dir(
    root: &Utf8Path,
    started: Timestamp,
    name: &str,
) -> io::Result<(String, Utf8PathBuf)> {
    e3_run::logs::new_dated_dir(&root.join(RESULTS_DIR), started, name)
        .map_err(|(dir, e)| io::Error::new(e.kind(), format!("{dir}: {e}")))
}

/// Points `results/latest` at the experiment `id` (as `logs/latest` points
/// at the newest run), replacing the old link in one step.
pub fn link_latest(root: &Utf8Path, id: &str) -> io::Result<()> {
    e3_run::logs::link_latest_in(&root.join(RESULTS_DIR), id)
        .map_err(|(what, e)| io::Error::new(e.kind(), format!("{what}: {e}")))
}

/// The runs `runs.jsonl` already holds: each line's cell (its recorded
/// keys) and repetition.
#[derive(Clone, Debug, Default)]
pub struct Done {
    runs: Vec<(BTreeMap<String, Value>, usize)>,
}

impl Done {
    /// Whether repetition `rep` of the cell with `keys` ([`Cell::keys`]) is
    /// done. A line matches when every key both name has the same value:
    /// lines written before a key was recorded (`start`, `threshold`) still
    /// count, and so do cells asked about without e3's default start.
    pub fn contains(&self, keys: &[(String, Value)], rep: usize) -> bool {
        self.runs
            .iter()
            .any(|(recorded, r)| *r == rep && same_cell(recorded, keys))
    }

    pub fn len(&self) -> usize {
        self.runs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
}

/// `skipped.json`: a JSON array of `{"cell": {key: value}, "why": "..."}`,
/// one per cell `skip_unfit` left out (their keys as [`Cell::keys`] gives
/// them, as in `runs.jsonl`).
pub fn skipped_json(exp: &Experiment, skipped: &[(Cell, String)]) -> String {
    let cells: Vec<Value> = skipped
        .iter()
        .map(|(cell, why)| {
            let keys: serde_json::Map<String, Value> = cell.keys(exp).into_iter().collect();
            json!({ "cell": keys, "why": why })
        })
        .collect();
    format!(
        "{}\n",
        serde_json::to_string_pretty(&cells).expect("json serialises")
    )
}

/// The cells a `skipped.json` names (none when it cannot be read).
#[derive(Clone, Debug, Default)]
pub struct Skipped {
    cells: Vec<BTreeMap<String, Value>>,
}

impl Skipped {
    pub fn read(text: &str) -> Skipped {
        let cells = serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|entry| entry["cell"].as_object().cloned())
            .map(|cell| cell.into_iter().collect())
            .collect();
        Skipped { cells }
    }

    /// Whether the cell with `keys` was skipped: every key both name has
    /// the same value, as [`Done::contains`] matches.
    pub fn contains(&self, keys: &[(String, Value)]) -> bool {
        self.cells.iter().any(|recorded| same_cell(recorded, keys))
    }
}

/// Whether a recorded cell is the cell with `keys`: every key both name
/// has the same value (a key one of them lacks, recorded before e3 wrote
/// it or asked without e3's default, does not tell them apart).
fn same_cell(recorded: &BTreeMap<String, Value>, keys: &[(String, Value)]) -> bool {
    keys.iter()
        .all(|(k, v)| recorded.get(k).is_none_or(|value| value == v))
}

/// The runs `runs.jsonl` already holds, and how many of its lines could
/// not be read (a line cut short by a killed writer: that run is run again).
pub fn done_runs(runs_jsonl: &str) -> (Done, usize) {
    let mut done = Done::default();
    let mut unreadable = 0;
    for line in runs_jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let key = serde_json::from_str::<Value>(line).ok().and_then(|v| {
            let rep = usize::try_from(v["rep"].as_u64()?).ok()?;
            let keys: BTreeMap<String, Value> = match v["cell"].as_object() {
                Some(cell) => cell.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                // Lines of e3 before cells were recorded whole.
                None => {
                    let mut keys = BTreeMap::new();
                    keys.insert("parties".into(), Value::from(v["parties"].as_u64()?));
                    keys.insert("args".into(), v["args"].as_array()?.clone().into());
                    if let Some(net) = v["net"].as_str() {
                        keys.insert("net".into(), Value::from(net));
                    }
                    keys
                }
            };
            Some((keys, rep))
        });
        match key {
            Some(key) => done.runs.push(key),
            None => unreadable += 1,
        }
    }
    (done, unreadable)
}

/// `runs.jsonl`, opened to append whole lines, each on disk before
/// [`RunsFile::append`] returns.
pub struct RunsFile {
    file: File,
}

impl RunsFile {
    pub fn open(path: &Utf8Path) -> io::Result<RunsFile> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(RunsFile { file })
    }

    pub fn append(&mut self, line: &Value) -> io::Result<()> {
        // One write of the whole line: a crash leaves it whole or cut, and
        // a cut last line is skipped (and its run done again) on resume.
        let text = format!("{line}\n");
        self.file.write_all(text.as_bytes())?;
        self.file.flush()?;
        self.file.sync_data()
    }
}

/// What every line of a run says of its cell: `cell` (every key, as
/// [`Cell::keys`]), `cell_keys` (their order), `labels`, and the fields the
/// report reads without them (`parties`, `args`, `net`, `threshold`,
/// `start`). docs/experiments.md is the schema.
fn cell_fields(line: &mut Value, exp: &Experiment, cell: &Cell) {
    let keys = cell.keys(exp);
    line["cell_keys"] = json!(keys.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>());
    line["cell"] = Value::Object(keys.into_iter().collect());
    line["labels"] = exp.labels();
    line["parties"] = json!(cell.parties);
    line["args"] = json!(cell.args);
    line["threshold"] = json!(cell.threshold);
    line["start"] = json!(cell.start.map(|s| s.name()));
    if let Some(net) = &cell.net {
        line["net"] = json!(net);
    }
}

/// The line of a run that ran (ok or failed), from the engine's outcome.
pub fn run_line(root: &Utf8Path, planned: &Planned, exp: &Experiment, outcome: &Outcome) -> Value {
    let summary = &outcome.summary;
    let party: Vec<Value> = summary
        .parties
        .iter()
        .map(|p| {
            let mut party = json!({
                "index": p.index,
                "status": match p.status {
                    Status::Ok => "ok",
                    Status::Failed => "failed",
                    Status::Stopped => "stopped",
                },
                "mpyc_elapsed_secs": p.stop.as_ref().map(|s| s.elapsed_secs),
                "bytes_sent": p.stop.as_ref().map(|s| s.bytes_sent),
                "wall_secs": round3(p.wall.as_secs_f64()),
                "connected_after_secs": p.connected_after.map(|d| round3(d.as_secs_f64())),
            });
            // Under a network profile: where the party was.
            if let Some(region) = &p.region {
                party["region"] = json!(region);
            }
            party
        })
        .collect();
    let error = summary.failure();
    let mut line = json!({
        "run": planned.number,
        "rep": planned.rep,
        "run_id": summary.run_id,
        "status": if error.is_none() { "ok" } else { "failed" },
        "error": error,
        "started_at": summary.started_at,
        "wall_secs": round3(summary.wall.as_secs_f64()),
        "log_dir": relative_to(root, &outcome.dir).as_str(),
        "party": party,
    });
    cell_fields(&mut line, exp, &planned.cell);
    // The start the run really had.
    line["start"] = json!(summary.start.name());
    // Under a network profile: which one exactly (its hash), and where its
    // figures come from (an estimate says so).
    if let Some(net) = &summary.net {
        line["net_hash"] = json!(net.hash);
        line["net_source"] = json!(net.source);
    }
    // On hosts: how many connections the run opened (a key exchange each,
    // inside its wall time) and how many an earlier run had kept open.
    if let Some(c) = &summary.ssh_connections {
        line["ssh_connections"] = json!({"opened": c.opened, "reused": c.reused});
    }
    line
}

/// The line of a run that could not start at all (its error says why; it
/// has no logs).
pub fn failed_line(planned: &Planned, exp: &Experiment, error: &str) -> Value {
    let mut line = json!({
        "run": planned.number,
        "rep": planned.rep,
        "run_id": null,
        "status": "failed",
        "error": error,
        "started_at": Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "wall_secs": null,
        "log_dir": null,
        "party": [],
    });
    cell_fields(&mut line, exp, &planned.cell);
    line
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(text: &str) -> Experiment {
        crate::file::parse(text, "x.toml").unwrap()
    }

    #[test]
    fn done_runs_skip_a_cut_line_and_read_old_lines() {
        let text = concat!(
            r#"{"parties": 3, "args": ["8"], "rep": 1, "status": "ok"}"#,
            "\n",
            r#"{"parties": 3, "args": [], "rep": 2, "status": "failed", "cell": {"parties": 3, "args": [], "start": "warm"}}"#,
            "\n",
            r#"{"parties": 6, "args": ["8"], "re"#,
        );
        let (done, unreadable) = done_runs(text);
        assert_eq!((done.len(), unreadable), (2, 1));
        let keys = |args: &[&str], start: &str| {
            vec![
                ("parties".to_string(), json!(3)),
                ("args".to_string(), json!(args)),
                ("start".to_string(), json!(start)),
            ]
        };
        // An old line (no cell) matches on what it recorded.
        assert!(done.contains(&keys(&["8"], "cold"), 1));
        assert!(!done.contains(&keys(&["8"], "cold"), 2));
        assert!(done.contains(&keys(&[], "warm"), 2));
        assert!(
            !done.contains(&keys(&[], "cold"), 2),
            "another start is another cell"
        );
    }

    #[test]
    fn lines_are_appended_whole_and_name_their_cell() {
        let dir = std::env::temp_dir().join(format!("e3-runs-{}", std::process::id()));
        let dir = Utf8PathBuf::from_path_buf(dir).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(RUNS);
        let exp = exp(
            "program = \"p\"\nparties = [4]\nn = { values = [8, 16], label = \"input size n\", unit = \"people\" }\nargs = [\"{n}\"]\nthreshold = [0, 1]\nstart = \"cold\"\nrepeat = 2\n",
        );
        let schedule = crate::sweep::schedule(&exp.cells(), exp.repeat);
        assert_eq!(schedule.len(), 8);
        let mut file = RunsFile::open(&path).unwrap();
        file.append(&failed_line(&schedule[0], &exp, "could not start"))
            .unwrap();
        drop(file);
        let mut again = RunsFile::open(&path).unwrap();
        again
            .append(&failed_line(&schedule[5], &exp, "again"))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(
            first["cell"],
            json!({"parties": 4, "n": 8, "threshold": 0, "start": "cold"})
        );
        assert_eq!(
            first["cell_keys"],
            json!(["parties", "n", "threshold", "start"])
        );
        assert_eq!(
            first["labels"],
            json!({"n": {"label": "input size n", "unit": "people"}})
        );
        assert_eq!(first["args"], json!(["8"]));
        assert!(first["log_dir"].is_null());
        let (done, unreadable) = done_runs(&text);
        assert_eq!((done.len(), unreadable), (2, 0));
        for (i, planned) in schedule.iter().enumerate() {
            let keys = planned.cell.keys(&exp);
            assert_eq!(done.contains(&keys, planned.rep), i == 0 || i == 5, "{i}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// What `skip_unfit` left out is read back as the same cells, and only
    /// those, whether or not the cell asked about names its start.
    #[test]
    fn skipped_cells_are_read_back_as_written() {
        let exp =
            exp("program = \"p\"\nparties = [2, 3, 4]\nargs = [[\"a\"], [\"b\"]]\nrepeat = 1\n");
        let cells = exp.cells();
        let skipped: Vec<(Cell, String)> = cells
            .iter()
            .filter(|c| c.parties == 2)
            .map(|c| (c.clone(), "does not fit".to_string()))
            .collect();
        let text = skipped_json(&exp, &skipped);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value[0],
            json!({"cell": {"parties": 2, "args": ["a"]}, "why": "does not fit"})
        );
        let read = Skipped::read(&text);
        for cell in &cells {
            assert_eq!(
                read.contains(&cell.keys(&exp)),
                cell.parties == 2,
                "{cell:?}"
            );
        }
        let mut with_start = cells[0].keys(&exp);
        with_start.push(("start".into(), json!("warm")));
        assert!(read.contains(&with_start));
        assert!(!Skipped::read("not json").contains(&cells[0].keys(&exp)));
    }

    #[test]
    fn results_ids_are_unique() {
        let root = std::env::temp_dir().join(format!("e3-results-{}", std::process::id()));
        let root = Utf8PathBuf::from_path_buf(root).unwrap();
        let at = Timestamp::from_second(1_795_463_580).unwrap();
        let (a, _) = new_results_dir(&root, at, "local secretsanta").unwrap();
        let (b, _) = new_results_dir(&root, at, "local secretsanta").unwrap();
        assert_eq!(a, "20261123-195300-local_secretsanta");
        assert_eq!(b, "20261123-195300-local_secretsanta-2");
        link_latest(&root, &a).unwrap();
        link_latest(&root, &b).unwrap();
        let target = std::fs::read_link(root.join("results/latest")).unwrap();
        assert_eq!(target.to_str(), Some(b.as_str()));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
