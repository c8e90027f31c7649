//! An experiment's results folder, `results/<id>/`: a copy of the
//! experiment file, `runs.jsonl` with one line per finished run (appended
//! and flushed to disk as the run ends, so a Ctrl-C, a crash or a killed
//! machine loses at most the run in flight), and `environment.json`.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::relative_to;
use e3_run::Outcome;
use e3_run::summary::Status;
use jiff::Timestamp;
use serde_json::{Value, json};

pub const RESULTS_DIR: &str = "results";
pub const EXPERIMENT_COPY: &str = "experiment.toml";
pub const RUNS: &str = "runs.jsonl";
pub const ENVIRONMENT: &str = "environment.json";

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

/// Which run of the sweep a line is: its cell and repetition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunKey {
    pub parties: usize,
    pub args: Vec<String>,
    /// The network profile's name, when the experiment sweeps them.
    pub net: Option<String>,
    /// From 1.
    pub rep: usize,
}

/// The runs `runs.jsonl` already holds, and how many of its lines could
/// not be read (a line cut short by a killed writer: that run is run again).
pub fn done_runs(runs_jsonl: &str) -> (BTreeSet<RunKey>, usize) {
    let mut done = BTreeSet::new();
    let mut unreadable = 0;
    for line in runs_jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let key = serde_json::from_str::<Value>(line).ok().and_then(|v| {
            Some(RunKey {
                parties: usize::try_from(v["parties"].as_u64()?).ok()?,
                args: v["args"]
                    .as_array()?
                    .iter()
                    .map(|a| a.as_str().map(str::to_string))
                    .collect::<Option<_>>()?,
                net: v["net"].as_str().map(str::to_string),
                rep: usize::try_from(v["rep"].as_u64()?).ok()?,
            })
        });
        match key {
            Some(key) => {
                done.insert(key);
            }
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

/// The line of a run that ran (ok or failed), from the engine's outcome.
pub fn run_line(root: &Utf8Path, number: usize, key: &RunKey, outcome: &Outcome) -> Value {
    let summary = &outcome.summary;
    let party: Vec<Value> = summary
        .parties
        .iter()
        .map(|p| {
            json!({
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
            })
        })
        .collect();
    let error = summary.failure();
    let mut line = json!({
        "run": number,
        "rep": key.rep,
        "parties": key.parties,
        "args": key.args,
        "run_id": summary.run_id,
        "status": if error.is_none() { "ok" } else { "failed" },
        "error": error,
        "started_at": summary.started_at,
        "wall_secs": round3(summary.wall.as_secs_f64()),
        "log_dir": relative_to(root, &outcome.dir).as_str(),
        "party": party,
    });
    // Under a network profile: as the file names it (the run's key), which
    // one exactly (its hash), and where its figures come from (an
    // estimate says so).
    if let Some(net) = &key.net {
        line["net"] = json!(net);
    }
    if let Some(net) = &summary.net {
        line["net_hash"] = json!(net.hash);
        line["net_source"] = json!(net.source);
    }
    line
}

/// The line of a run that could not start at all (its error says why).
pub fn failed_line(number: usize, key: &RunKey, error: &str) -> Value {
    let mut line = json!({
        "run": number,
        "rep": key.rep,
        "parties": key.parties,
        "args": key.args,
        "run_id": null,
        "status": "failed",
        "error": error,
        "started_at": Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "wall_secs": null,
        "log_dir": null,
        "party": [],
    });
    if let Some(net) = &key.net {
        line["net"] = json!(net);
    }
    line
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_runs_skip_a_cut_line() {
        let text = concat!(
            r#"{"parties": 3, "args": ["8"], "rep": 1, "status": "ok"}"#,
            "\n",
            r#"{"parties": 3, "args": [], "rep": 2, "status": "failed"}"#,
            "\n",
            r#"{"parties": 6, "args": ["8"], "re"#,
        );
        let (done, unreadable) = done_runs(text);
        assert_eq!(unreadable, 1);
        assert!(done.contains(&RunKey {
            parties: 3,
            args: vec!["8".into()],
            net: None,
            rep: 1
        }));
        assert!(done.contains(&RunKey {
            parties: 3,
            args: vec![],
            net: None,
            rep: 2
        }));
        assert_eq!(done.len(), 2);
    }

    #[test]
    fn lines_are_appended_whole() {
        let dir = std::env::temp_dir().join(format!("e3-runs-{}", std::process::id()));
        let dir = Utf8PathBuf::from_path_buf(dir).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(RUNS);
        let key = RunKey {
            parties: 2,
            args: vec!["x".into()],
            net: None,
            rep: 1,
        };
        let mut file = RunsFile::open(&path).unwrap();
        file.append(&failed_line(1, &key, "could not start"))
            .unwrap();
        drop(file);
        let mut again = RunsFile::open(&path).unwrap();
        again
            .append(&failed_line(
                2,
                &RunKey {
                    rep: 2,
                    ..key.clone()
                },
                "again",
            ))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        let (done, unreadable) = done_runs(&text);
        assert_eq!((done.len(), unreadable), (2, 0));
        std::fs::remove_dir_all(&dir).unwrap();
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
