//! The folders under a root (`logs/<run-id>/`, `results/<id>/`) as a
//! [`History`]: one [`Entry`] each, newest first.

use std::collections::HashMap;
use std::fmt;
use std::io::ErrorKind;

use camino::{Utf8Path, Utf8PathBuf};
use e3_experiment::results::{ENVIRONMENT, EXPERIMENT_COPY, RUNS, SKIPPED};

use crate::entry::{
    Entry, ExperimentFiles, Latest, What, experiment_entry, missing_record, run_entry,
    unknown_entry,
};
use crate::{LOGS, RESULTS, SUMMARY};

/// Every run and experiment under a root, newest first (by when each
/// started; those with no time last), with the `latest` links marked and
/// each run tied to the experiments whose `runs.jsonl` names it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    pub entries: Vec<Entry>,
}

/// A folder that could not be listed.
#[derive(Debug)]
pub struct ReadError {
    pub path: Utf8PathBuf,
    pub source: std::io::Error,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read {}: {}", self.path, self.source)
    }
}

impl std::error::Error for ReadError {}

/// Reads `root/logs/` and `root/results/` (either may be missing). Only
/// folders count: the `latest` links, hidden names and stray files are no
/// entries. A folder without its record is an entry of [`What::Unknown`].
pub fn read(root: &Utf8Path) -> Result<History, ReadError> {
    let mut entries = Vec::new();
    for parent in [LOGS, RESULTS] {
        let dir = root.join(parent);
        let error = |source| ReadError {
            path: dir.clone(),
            source,
        };
        let list = match dir.read_dir_utf8() {
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(error(e)),
            Ok(list) => list,
        };
        for item in list {
            let item = match item {
                // A name that is not UTF-8 is not e3's: passed over.
                Err(e) if e.kind() == ErrorKind::InvalidData => continue,
                Err(e) => return Err(error(e)),
                Ok(item) => item,
            };
            let name = item.file_name();
            // file_type does not follow links: `latest` is not a folder here.
            let is_dir = item.file_type().map_err(error)?.is_dir();
            if name.starts_with('.') || !is_dir {
                continue;
            }
            entries.push(read_folder(parent, name, item.path()));
        }
    }
    let target = |link: &str| {
        let target = std::fs::read_link(root.join(link)).ok()?;
        let target = Utf8PathBuf::from_path_buf(target).ok()?;
        target.file_name().map(str::to_string)
    };
    Ok(History::new(
        entries,
        target(Latest::Logs.link()),
        target(Latest::Results.link()),
    ))
}

fn read_folder(parent: &str, id: &str, path: &Utf8Path) -> Entry {
    let record = if parent == LOGS { SUMMARY } else { RUNS };
    let text = match std::fs::read_to_string(path.join(record)) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return unknown_entry(parent, id, missing_record(parent));
        }
        Err(e) => return unknown_entry(parent, id, format!("cannot read {record}: {e}")),
    };
    if parent == LOGS {
        return run_entry(id, &text);
    }
    let experiment_toml = std::fs::read_to_string(path.join(EXPERIMENT_COPY)).ok();
    let environment_json = std::fs::read_to_string(path.join(ENVIRONMENT)).ok();
    let skipped_json = std::fs::read_to_string(path.join(SKIPPED)).ok();
    experiment_entry(
        id,
        &ExperimentFiles {
            runs_jsonl: &text,
            experiment_toml: experiment_toml.as_deref(),
            environment_json: environment_json.as_deref(),
            skipped_json: skipped_json.as_deref(),
            report: path.join("report.md").is_file(),
        },
    )
}

impl History {
    /// The history of `entries`, with `logs/latest` pointing at the run
    /// `latest_run` and `results/latest` at the experiment
    /// `latest_experiment` (ids, when the links are there).
    pub fn new(
        mut entries: Vec<Entry>,
        latest_run: Option<String>,
        latest_experiment: Option<String>,
    ) -> History {
        let logs = Utf8Path::new(LOGS);
        let results = Utf8Path::new(RESULTS);
        for entry in &mut entries {
            let parent = entry.dir.parent();
            if parent == Some(logs) && latest_run.as_deref() == Some(entry.id.as_str()) {
                entry.latest = Some(Latest::Logs);
            }
            if parent == Some(results) && latest_experiment.as_deref() == Some(entry.id.as_str()) {
                entry.latest = Some(Latest::Results);
            }
        }
        // Each run, tied to the experiments whose runs.jsonl names it.
        let at: HashMap<Utf8PathBuf, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.dir.clone(), i))
            .collect();
        let claims: Vec<(usize, String)> = entries
            .iter()
            .filter_map(|e| Some((e.experiment()?, e.id.clone())))
            .flat_map(|(exp, id)| {
                exp.run_dirs
                    .iter()
                    .filter_map(|d| at.get(Utf8Path::new(d)).copied())
                    .map(move |i| (i, id.clone()))
            })
            .collect();
        for (i, experiment) in claims {
            if let What::Run(run) = &mut entries[i].what
                && !run.experiments.contains(&experiment)
            {
                run.experiments.push(experiment);
            }
        }
        entries.sort_by(|a, b| {
            b.started
                .is_some()
                .cmp(&a.started.is_some())
                .then_with(|| b.started.cmp(&a.started))
                .then_with(|| b.id.cmp(&a.id))
                .then_with(|| a.kind().cmp(&b.kind()))
        });
        History { entries }
    }

    /// The runs and experiments that stand on their own: every experiment,
    /// and every run no experiment names. Newest first.
    pub fn top_level(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.kind() != crate::Kind::Unknown && !e.in_experiment())
    }

    /// The runs an experiment's `runs.jsonl` names that are in `logs/`.
    pub fn runs_of<'a>(&'a self, experiment: &'a Entry) -> impl Iterator<Item = &'a Entry> {
        let id = experiment.experiment().map(|_| experiment.id.as_str());
        self.entries.iter().filter(move |e| {
            e.run()
                .is_some_and(|r| r.experiments.iter().any(|x| Some(x.as_str()) == id))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kind;

    fn run(id: &str, started: &str) -> Entry {
        run_entry(
            id,
            &format!(r#"{{"started_at": "{started}", "ok": true, "parties": []}}"#),
        )
    }

    fn experiment(id: &str, runs: &[&str]) -> Entry {
        let lines: Vec<String> = runs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                format!(
                    r#"{{"run": {}, "rep": 1, "parties": 2, "args": [], "status": "ok", "started_at": "", "log_dir": "logs/{r}"}}"#,
                    i + 1
                )
            })
            .collect();
        experiment_entry(
            id,
            &ExperimentFiles {
                runs_jsonl: &lines.join("\n"),
                ..Default::default()
            },
        )
    }

    #[test]
    fn newest_first_runs_tied_to_their_experiments() {
        let h = History::new(
            vec![
                run("20261130-110000-a", "2026-11-30T11:00:00Z"),
                experiment("20261130-120000-exp", &["20261130-120001-b", "missing"]),
                run("20261130-120001-b", "2026-11-30T12:00:01Z"),
                unknown_entry(LOGS, "notes", missing_record(LOGS)),
                run("20261130-130000-c", "2026-11-30T13:00:00Z"),
            ],
            Some("20261130-130000-c".into()),
            Some("20261130-120000-exp".into()),
        );
        let ids: Vec<&str> = h.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "20261130-130000-c",
                "20261130-120001-b",
                "20261130-120000-exp",
                "20261130-110000-a",
                "notes"
            ]
        );
        assert_eq!(h.entries[0].latest, Some(Latest::Logs));
        assert_eq!(h.entries[2].latest, Some(Latest::Results));
        assert_eq!(
            h.entries[1].run().unwrap().experiments,
            ["20261130-120000-exp"]
        );
        let top: Vec<&str> = h.top_level().map(|e| e.id.as_str()).collect();
        assert_eq!(
            top,
            [
                "20261130-130000-c",
                "20261130-120000-exp",
                "20261130-110000-a"
            ]
        );
        let runs: Vec<&str> = h.runs_of(&h.entries[2]).map(|e| e.id.as_str()).collect();
        assert_eq!(runs, ["20261130-120001-b"]);
        assert_eq!(h.entries[4].kind(), Kind::Unknown);
    }

    #[test]
    fn a_latest_link_names_a_folder_of_its_own_kind() {
        // logs/latest names a run: an experiment of the same name is not it.
        let h = History::new(
            vec![
                run("20261130-110000-x", "2026-11-30T11:00:00Z"),
                experiment("20261130-110000-x", &[]),
            ],
            Some("20261130-110000-x".into()),
            None,
        );
        for e in &h.entries {
            let want = (e.kind() == Kind::Run).then_some(Latest::Logs);
            assert_eq!(e.latest, want, "{}", e.dir);
        }
    }
}
