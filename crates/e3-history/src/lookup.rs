//! One entry of the history, by what a person types: an id, a prefix of
//! one, `latest`, or a folder (`logs/<id>`, `results/<id>`, the links
//! `logs/latest` and `results/latest`).

use std::fmt;

use camino::Utf8PathBuf;

use crate::entry::{Entry, Kind, Latest};
use crate::read::History;
use crate::{LOGS, RESULTS};

/// Why no one entry answers a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookupError {
    /// No id starts with it.
    NotFound { query: String },
    /// Several do: their folders.
    Ambiguous {
        query: String,
        matches: Vec<Utf8PathBuf>,
    },
    /// The link is missing, or points at no folder there.
    NoLatest { link: &'static str },
}

/// How many of an ambiguous query's folders the message names.
const SHOWN: usize = 6;

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::NotFound { query } => {
                write!(f, "no run or experiment `{query}` in logs/ or results/")
            }
            LookupError::Ambiguous { query, matches } => {
                let mut shown: Vec<&str> = matches.iter().take(SHOWN).map(|m| m.as_str()).collect();
                let more = matches.len().saturating_sub(SHOWN);
                let more = format!("{more} more");
                if matches.len() > SHOWN {
                    shown.push(&more);
                }
                write!(
                    f,
                    "`{query}` could be {} folders: {}",
                    matches.len(),
                    shown.join(", ")
                )
            }
            LookupError::NoLatest { link } => {
                write!(f, "{link} is missing, or names a folder that is gone")
            }
        }
    }
}

impl std::error::Error for LookupError {}

impl History {
    /// The entry `query` names:
    /// - `latest`: the newest run or experiment that stands on its own (an
    ///   experiment's own runs count as the experiment);
    /// - `logs/latest`, `results/latest`: what the link points at;
    /// - an id, or a prefix of exactly one; `logs/<id>` or `results/<id>`
    ///   (a trailing `/` is fine) looks only there, which tells a run from
    ///   an experiment of the same id.
    pub fn find(&self, query: &str) -> Result<&Entry, LookupError> {
        let q = query.trim_start_matches("./").trim_end_matches('/');
        let (parent, id) = match q.split_once('/') {
            Some((p, id)) if p == LOGS || p == RESULTS => (Some(p), id),
            _ => (None, q),
        };
        if id == "latest" {
            return match parent {
                None => self.top_level().next().ok_or(LookupError::NotFound {
                    query: query.to_string(),
                }),
                Some(p) => {
                    let link = if p == LOGS {
                        Latest::Logs
                    } else {
                        Latest::Results
                    };
                    self.entries
                        .iter()
                        .find(|e| e.latest == Some(link))
                        .ok_or(LookupError::NoLatest { link: link.link() })
                }
            };
        }
        let not_found = || LookupError::NotFound {
            query: query.to_string(),
        };
        if id.is_empty() || id.contains('/') {
            return Err(not_found());
        }
        let here: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| parent.is_none_or(|p| e.dir.parent().is_some_and(|d| d == p)))
            .collect();
        let exact: Vec<&Entry> = here.iter().copied().filter(|e| e.id == id).collect();
        let matches = if exact.is_empty() {
            here.into_iter().filter(|e| e.id.starts_with(id)).collect()
        } else {
            exact
        };
        match matches.as_slice() {
            [] => Err(not_found()),
            [one] => Ok(one),
            many => {
                let mut matches: Vec<Utf8PathBuf> = many.iter().map(|e| e.dir.clone()).collect();
                matches.sort();
                Err(LookupError::Ambiguous {
                    query: query.to_string(),
                    matches,
                })
            }
        }
    }

    /// The ids of the newest `n` runs and experiments that stand on their
    /// own: what to suggest when a query finds nothing.
    pub fn newest_ids(&self, n: usize) -> Vec<&str> {
        self.top_level()
            .filter(|e| e.kind() != Kind::Unknown)
            .take(n)
            .map(|e| e.id.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{ExperimentFiles, experiment_entry, run_entry};

    fn history() -> History {
        let run = |id: &str| run_entry(id, r#"{"ok": true, "parties": []}"#);
        let exp = |id: &str, runs: &str| {
            experiment_entry(
                id,
                &ExperimentFiles {
                    runs_jsonl: runs,
                    ..Default::default()
                },
            )
        };
        History::new(
            vec![
                run("20261130-110000-secretsanta"),
                exp("20261130-110000-secretsanta", ""),
                run("20261130-120000-helloworld"),
                run("20261130-120000-helloworld-2"),
                exp(
                    "20261130-130000-small",
                    r#"{"run": 1, "rep": 1, "parties": 2, "args": [], "status": "ok", "log_dir": "logs/20261130-130001-helloworld"}"#,
                ),
                run("20261130-130001-helloworld"),
                run("20261130-140000-x"),
            ],
            Some("20261130-130001-helloworld".into()),
            None,
        )
    }

    fn found(h: &History, q: &str) -> String {
        h.find(q)
            .map(|e| e.dir.to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn ids_prefixes_folders_and_links() {
        let h = history();
        assert_eq!(
            found(&h, "20261130-120000-helloworld"),
            "logs/20261130-120000-helloworld"
        );
        assert_eq!(
            found(&h, "20261130-120000-helloworld-"),
            "logs/20261130-120000-helloworld-2"
        );
        assert_eq!(
            found(&h, "20261130-13"),
            "`20261130-13` could be 2 folders: logs/20261130-130001-helloworld, results/20261130-130000-small"
        );
        assert_eq!(
            found(&h, "20261130-130000"),
            "results/20261130-130000-small"
        );
        // The same id in logs/ and results/: the folder tells them apart.
        assert_eq!(
            found(&h, "20261130-110000-secretsanta"),
            "`20261130-110000-secretsanta` could be 2 folders: logs/20261130-110000-secretsanta, results/20261130-110000-secretsanta"
        );
        assert_eq!(
            found(&h, "results/20261130-110000-secretsanta/"),
            "results/20261130-110000-secretsanta"
        );
        assert_eq!(
            found(&h, "./logs/20261130-110000"),
            "logs/20261130-110000-secretsanta"
        );
        assert_eq!(found(&h, "logs/latest"), "logs/20261130-130001-helloworld");
        assert_eq!(
            found(&h, "results/latest"),
            "results/latest is missing, or names a folder that is gone"
        );
        assert_eq!(
            found(&h, "nothing"),
            "no run or experiment `nothing` in logs/ or results/"
        );
        assert_eq!(
            found(&h, "logs/20261130-1300"),
            "logs/20261130-130001-helloworld"
        );
        assert_eq!(
            found(&h, "other/20261130"),
            "no run or experiment `other/20261130` in logs/ or results/"
        );
    }

    #[test]
    fn latest_is_the_newest_that_stands_on_its_own() {
        // The newest folder is the experiment's run: `latest` is the experiment.
        let mut h = history();
        h.entries.retain(|e| e.id != "20261130-140000-x");
        assert_eq!(found(&h, "latest"), "results/20261130-130000-small");
        assert_eq!(
            h.newest_ids(2),
            ["20261130-130000-small", "20261130-120000-helloworld-2"]
        );
        assert_eq!(
            found(&History::default(), "latest"),
            "no run or experiment `latest` in logs/ or results/"
        );
    }
}
