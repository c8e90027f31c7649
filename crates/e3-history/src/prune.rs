//! What a prune removes and keeps, as a pure function of the history, the
//! rules and the time now; then removing it.
//!
//! The rules choose among the runs and experiments that stand on their own
//! (an experiment's runs go with it): `keep` spares the newest N,
//! `older_than` chooses those whose last sign of life is older than that;
//! both given, an entry must be chosen by both. Of what they choose, these
//! stay, each with its reason ([`Why`]):
//! - what `logs/latest` or `results/latest` points at, and an experiment
//!   whose run `logs/latest` points at;
//! - an unfinished experiment (fewer runs than its file schedules, which
//!   `experiment --resume` would finish), or one whose file this e3 cannot
//!   read, unless [`Rules::unfinished`] says to remove those too;
//! - an entry whose time is not known.
//!
//! A removed experiment takes with it the run folders its `runs.jsonl`
//! names (unless an experiment that stays names them too). Folders that
//! are not e3's are never removed.

use std::collections::BTreeSet;

use camino::{Utf8Path, Utf8PathBuf};
use jiff::{SignedDuration, Timestamp};

use crate::entry::{Entry, ExperimentStatus, Kind, Latest};
use crate::read::History;

/// What to prune.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rules {
    /// Keep the newest N runs and experiments that stand on their own.
    pub keep: Option<usize>,
    /// Remove those whose last sign of life is older than this.
    pub older_than: Option<SignedDuration>,
    /// Remove unfinished experiments too (and those whose progress this e3
    /// cannot tell).
    pub unfinished: bool,
}

/// Why an entry the rules chose stays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// A `latest` link points at it.
    Latest(Latest),
    /// `logs/latest` points at this run of the experiment.
    RunIsLatest { run: String },
    /// Fewer runs done than scheduled: `--resume` would finish it.
    Unfinished { done: usize, scheduled: usize },
    /// This e3 cannot read its experiment file: how far it got is unknown.
    ProgressUnknown,
    /// Its time is unknown, so its age is.
    NoTime,
    /// A run of an experiment that is removed, which an experiment that
    /// stays names too.
    AlsoIn { experiment: String },
}

/// An entry the rules chose that stays, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Spared<'a> {
    pub entry: &'a Entry,
    pub why: Why,
}

/// A run or experiment to remove; an experiment with its runs' folders.
#[derive(Clone, Debug, PartialEq)]
pub struct Removal<'a> {
    pub entry: &'a Entry,
    pub with: Vec<&'a Entry>,
}

impl Removal<'_> {
    /// The folders to remove, relative to the root: the entry's first (an
    /// experiment stops naming its runs before they go).
    pub fn dirs(&self) -> impl Iterator<Item = &Utf8Path> {
        std::iter::once(self.entry.dir.as_path()).chain(self.with.iter().map(|e| e.dir.as_path()))
    }
}

/// What a prune does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan<'a> {
    /// Newest first.
    pub remove: Vec<Removal<'a>>,
    /// What the rules chose that stays, newest first.
    pub spared: Vec<Spared<'a>>,
    /// Folders that are not e3's: never removed.
    pub unknown: Vec<&'a Entry>,
    /// The runs and experiments that stay (spared or not chosen), standing
    /// on their own.
    pub kept: usize,
}

impl Plan<'_> {
    /// Every folder to remove.
    pub fn dirs(&self) -> Vec<&Utf8Path> {
        self.remove.iter().flat_map(Removal::dirs).collect()
    }
}

/// What `rules` remove from `history` at time `now`, and what they spare.
/// With no rule given, nothing is chosen.
pub fn plan<'a>(history: &'a History, now: Timestamp, rules: &Rules) -> Plan<'a> {
    let mut plan = Plan {
        unknown: history
            .entries
            .iter()
            .filter(|e| e.kind() == Kind::Unknown)
            .collect(),
        ..Plan::default()
    };
    let any_rule = rules.keep.is_some() || rules.older_than.is_some();
    for (i, entry) in history.top_level().enumerate() {
        let beyond_keep = rules.keep.is_none_or(|n| i >= n);
        let old = match rules.older_than {
            None => Some(true),
            Some(age) => entry.last_active().map(|t| now.duration_since(t) > age),
        };
        let chosen = any_rule && beyond_keep && old != Some(false);
        if !chosen {
            plan.kept += 1;
            continue;
        }
        match spare(history, entry, rules, old.is_none()) {
            Some(why) => {
                plan.kept += 1;
                plan.spared.push(Spared { entry, why });
            }
            None => plan.remove.push(Removal {
                entry,
                with: Vec::new(),
            }),
        }
    }
    // An experiment's runs go with it, unless an experiment that stays
    // names them too.
    let removed: BTreeSet<&str> = plan
        .remove
        .iter()
        .filter(|r| r.entry.kind() == Kind::Experiment)
        .map(|r| r.entry.id.as_str())
        .collect();
    for removal in &mut plan.remove {
        if removal.entry.kind() != Kind::Experiment {
            continue;
        }
        for run in history.runs_of(removal.entry) {
            let experiments = &run.run().map(|r| r.experiments.clone()).unwrap_or_default();
            match experiments.iter().find(|x| !removed.contains(x.as_str())) {
                None => removal.with.push(run),
                Some(other) => plan.spared.push(Spared {
                    entry: run,
                    why: Why::AlsoIn {
                        experiment: other.clone(),
                    },
                }),
            }
        }
    }
    plan
}

/// Why `entry`, chosen by the rules, stays (`None`: it goes).
fn spare(history: &History, entry: &Entry, rules: &Rules, no_time: bool) -> Option<Why> {
    if let Some(link) = entry.latest {
        return Some(Why::Latest(link));
    }
    if let Some(run) = history
        .runs_of(entry)
        .find(|r| r.latest == Some(Latest::Logs))
    {
        return Some(Why::RunIsLatest {
            run: run.id.clone(),
        });
    }
    if let Some(exp) = entry.experiment()
        && !rules.unfinished
    {
        match (exp.status(), exp.scheduled) {
            (ExperimentStatus::Resumable, Some(scheduled)) => {
                return Some(Why::Unfinished {
                    done: exp.done,
                    scheduled,
                });
            }
            (ExperimentStatus::Unknown, _) => return Some(Why::ProgressUnknown),
            _ => {}
        }
    }
    if no_time || entry.started.is_none() {
        return Some(Why::NoTime);
    }
    None
}

/// A folder that could not be removed, and why.
#[derive(Debug)]
pub struct RemoveError {
    pub dir: Utf8PathBuf,
    pub why: String,
}

/// Removes the plan's folders under `root`, each experiment's own before
/// its runs'. Goes on past a folder it cannot remove; returns the folders
/// removed and those it could not. A folder that is a link, or not where
/// the history read it, is not touched.
pub fn remove(root: &Utf8Path, plan: &Plan<'_>) -> (Vec<Utf8PathBuf>, Vec<RemoveError>) {
    let (mut removed, mut failed) = (Vec::new(), Vec::new());
    for dir in plan.dirs() {
        let path = root.join(dir);
        let fail = |why: String| RemoveError {
            dir: dir.to_path_buf(),
            why,
        };
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => match std::fs::remove_dir_all(&path) {
                Ok(()) => removed.push(dir.to_path_buf()),
                Err(e) => failed.push(fail(e.to_string())),
            },
            Ok(_) => failed.push(fail("not a folder now: left alone".into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => removed.push(dir.to_path_buf()),
            Err(e) => failed.push(fail(e.to_string())),
        }
    }
    (removed, failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{
        ExperimentFiles, experiment_entry, missing_record, run_entry, unknown_entry,
    };

    const DAY: SignedDuration = SignedDuration::from_hours(24);

    fn now() -> Timestamp {
        "2026-12-10T00:00:00Z".parse().unwrap()
    }

    fn run(id: &str) -> Entry {
        run_entry(id, r#"{"ok": true, "parties": []}"#)
    }

    /// An experiment of `scheduled` runs (parties 2..) with `done` done,
    /// its runs' folders named `<id>-r<n>`.
    fn experiment(id: &str, scheduled: usize, done: usize) -> (Entry, Vec<Entry>) {
        let parties: Vec<String> = (2..2 + scheduled).map(|p| p.to_string()).collect();
        let toml = format!(
            "program = \"helloworld\"\nparties = [{}]\nrepeat = 1\n",
            parties.join(", ")
        );
        let runs: Vec<String> = (0..done)
            .map(|i| {
                format!(
                    r#"{{"run": {}, "rep": 1, "parties": {}, "args": [], "status": "ok", "log_dir": "logs/{id}-r{}"}}"#,
                    i + 1,
                    i + 2,
                    i + 1
                )
            })
            .collect();
        let entry = experiment_entry(
            id,
            &ExperimentFiles {
                runs_jsonl: &runs.join("\n"),
                experiment_toml: Some(&toml),
                ..Default::default()
            },
        );
        let own = (0..done)
            .map(|i| run(&format!("{id}-r{}", i + 1)))
            .collect();
        (entry, own)
    }

    fn history(latest_run: Option<&str>, latest_experiment: Option<&str>) -> History {
        let (done, done_runs) = experiment("20261101-000000-done", 2, 2);
        let (half, half_runs) = experiment("20261102-000000-half", 2, 1);
        let mut entries = vec![
            run("20261001-000000-old"),
            done,
            half,
            run("20261205-000000-recent"),
            run("20261209-000000-newest"),
            unknown_entry("logs", "20260101-000000-killed", missing_record("logs")),
        ];
        entries.extend(done_runs);
        entries.extend(half_runs);
        History::new(
            entries,
            latest_run.map(str::to_string),
            latest_experiment.map(str::to_string),
        )
    }

    fn removed(plan: &Plan<'_>) -> Vec<String> {
        plan.dirs().iter().map(|d| d.to_string()).collect()
    }

    fn spared(plan: &Plan<'_>) -> Vec<(String, Why)> {
        plan.spared
            .iter()
            .map(|s| (s.entry.id.clone(), s.why.clone()))
            .collect()
    }

    #[test]
    fn keep_spares_the_newest_and_an_experiment_goes_with_its_runs() {
        let h = history(Some("20261209-000000-newest"), None);
        let rules = Rules {
            keep: Some(2),
            ..Rules::default()
        };
        let plan = plan(&h, now(), &rules);
        assert_eq!(
            removed(&plan),
            [
                "results/20261101-000000-done",
                "logs/20261101-000000-done-r2",
                "logs/20261101-000000-done-r1",
                "logs/20261001-000000-old",
            ]
        );
        assert_eq!(
            spared(&plan),
            [(
                "20261102-000000-half".to_string(),
                Why::Unfinished {
                    done: 1,
                    scheduled: 2
                }
            )]
        );
        assert_eq!(plan.kept, 3);
        // Not e3's: listed, never removed.
        assert_eq!(plan.unknown.len(), 1);
    }

    #[test]
    fn unfinished_experiments_go_only_when_asked() {
        let h = history(None, None);
        let rules = Rules {
            keep: Some(2),
            unfinished: true,
            ..Rules::default()
        };
        let plan = plan(&h, now(), &rules);
        assert_eq!(
            removed(&plan),
            [
                "results/20261102-000000-half",
                "logs/20261102-000000-half-r1",
                "results/20261101-000000-done",
                "logs/20261101-000000-done-r2",
                "logs/20261101-000000-done-r1",
                "logs/20261001-000000-old",
            ]
        );
        assert!(plan.spared.is_empty());
    }

    #[test]
    fn older_than_counts_from_the_last_sign_of_life() {
        let h = history(None, None);
        let rules = Rules {
            older_than: Some(DAY * 3),
            ..Rules::default()
        };
        let plan = plan(&h, now(), &rules);
        assert_eq!(
            removed(&plan),
            [
                "logs/20261205-000000-recent",
                "results/20261101-000000-done",
                "logs/20261101-000000-done-r2",
                "logs/20261101-000000-done-r1",
                "logs/20261001-000000-old",
            ]
        );
        // Both rules: chosen by both.
        let both = Rules {
            keep: Some(1),
            older_than: Some(DAY * 60),
            ..Rules::default()
        };
        assert_eq!(
            removed(&super::plan(&h, now(), &both)),
            ["logs/20261001-000000-old"]
        );
        // No rule: nothing.
        assert!(super::plan(&h, now(), &Rules::default()).remove.is_empty());
    }

    #[test]
    fn what_latest_points_at_stays_and_so_does_its_experiment() {
        let h = history(
            Some("20261101-000000-done-r2"),
            Some("20261102-000000-half"),
        );
        let rules = Rules {
            keep: Some(0),
            unfinished: true,
            ..Rules::default()
        };
        let plan = plan(&h, now(), &rules);
        assert_eq!(
            spared(&plan),
            [
                (
                    "20261102-000000-half".to_string(),
                    Why::Latest(Latest::Results)
                ),
                (
                    "20261101-000000-done".to_string(),
                    Why::RunIsLatest {
                        run: "20261101-000000-done-r2".into()
                    }
                ),
            ]
        );
        assert_eq!(
            removed(&plan),
            [
                "logs/20261209-000000-newest",
                "logs/20261205-000000-recent",
                "logs/20261001-000000-old",
            ]
        );
    }

    #[test]
    fn a_run_two_experiments_name_stays_with_the_one_that_stays() {
        let (a, runs) = experiment("20261101-000000-a", 1, 1);
        let shared = runs[0].id.clone();
        let b = experiment_entry(
            "20261120-000000-b",
            &ExperimentFiles {
                runs_jsonl: &format!(
                    r#"{{"run": 1, "rep": 1, "parties": 2, "args": [], "status": "ok", "log_dir": "logs/{shared}"}}"#
                ),
                experiment_toml: Some("program = \"x\"\nparties = [2]\nrepeat = 1\n"),
                ..Default::default()
            },
        );
        let mut entries = vec![a, b];
        entries.extend(runs);
        let h = History::new(entries, None, None);
        let plan = plan(
            &h,
            now(),
            &Rules {
                keep: Some(1),
                ..Rules::default()
            },
        );
        assert_eq!(removed(&plan), ["results/20261101-000000-a"]);
        assert_eq!(
            spared(&plan),
            [(
                shared,
                Why::AlsoIn {
                    experiment: "20261120-000000-b".into()
                }
            )]
        );
    }

    #[test]
    fn removing_goes_past_what_it_cannot_remove_and_never_follows_a_link() {
        let root = std::env::temp_dir().join(format!("e3-history-rm-{}", std::process::id()));
        let root = Utf8PathBuf::from_path_buf(root).unwrap();
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("logs/20261001-000000-old")).unwrap();
        std::fs::write(root.join("logs/20261001-000000-old/summary.json"), "{}").unwrap();
        std::fs::create_dir_all(root.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink("../elsewhere", root.join("logs/20261002-000000-link")).unwrap();
        let (old, link, gone) = (
            run("20261001-000000-old"),
            run("20261002-000000-link"),
            run("20261003-000000-gone"),
        );
        let plan = Plan {
            remove: [&old, &link, &gone]
                .into_iter()
                .map(|entry| Removal {
                    entry,
                    with: Vec::new(),
                })
                .collect(),
            ..Plan::default()
        };
        let (removed, failed) = remove(&root, &plan);
        assert_eq!(
            removed,
            ["logs/20261001-000000-old", "logs/20261003-000000-gone"]
        );
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].dir, "logs/20261002-000000-link");
        assert!(root.join("elsewhere").is_dir(), "a link is never followed");
        assert!(!root.join("logs/20261001-000000-old").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn an_entry_with_no_time_stays() {
        let h = History::new(vec![run("notes-with-a-summary")], None, None);
        let plan = plan(
            &h,
            now(),
            &Rules {
                keep: Some(0),
                ..Rules::default()
            },
        );
        assert!(plan.remove.is_empty());
        assert_eq!(spared(&plan)[0].1, Why::NoTime);
    }
}
