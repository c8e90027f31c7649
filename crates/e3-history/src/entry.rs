//! One folder of the history, read: a run, an experiment, or a folder that
//! is not e3's. The readers here take the files' text, so they are pure;
//! [`crate::read`] finds the folders and reads the files.

use std::collections::BTreeSet;

use camino::Utf8PathBuf;
use e3_experiment::results::{EXPERIMENT_COPY, RUNS};
use e3_report::Run;
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::{LOGS, RESULTS, SUMMARY};

/// What a folder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Run,
    Experiment,
    /// Not e3's (or not readable as e3's): never removed.
    Unknown,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Experiment => "experiment",
            Kind::Unknown => "unknown",
        }
    }
}

/// A `latest` link, which points at the newest run (`logs/latest`) or the
/// experiment last at work (`results/latest`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latest {
    Logs,
    Results,
}

impl Latest {
    /// The link's path under the root.
    pub fn link(self) -> &'static str {
        match self {
            Latest::Logs => "logs/latest",
            Latest::Results => "results/latest",
        }
    }
}

/// One folder of `logs/` or `results/`.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The folder's name: `20261123-195300-secretsanta`.
    pub id: String,
    /// Relative to the root: `logs/<id>` or `results/<id>`.
    pub dir: Utf8PathBuf,
    /// When it started: as its record says, else the time in its id;
    /// `None` when neither tells.
    pub started: Option<Timestamp>,
    /// The `latest` link that points at it.
    pub latest: Option<Latest>,
    pub what: What,
}

#[derive(Clone, Debug, PartialEq)]
pub enum What {
    Run(Box<RunRecord>),
    Experiment(Box<ExperimentRecord>),
    /// No `summary.json` (in `logs/`) or `runs.jsonl` (in `results/`), or
    /// one that cannot be read: why.
    Unknown {
        why: String,
    },
}

impl Entry {
    pub fn kind(&self) -> Kind {
        match self.what {
            What::Run(_) => Kind::Run,
            What::Experiment(_) => Kind::Experiment,
            What::Unknown { .. } => Kind::Unknown,
        }
    }

    pub fn run(&self) -> Option<&RunRecord> {
        match &self.what {
            What::Run(run) => Some(run),
            _ => None,
        }
    }

    pub fn experiment(&self) -> Option<&ExperimentRecord> {
        match &self.what {
            What::Experiment(exp) => Some(exp),
            _ => None,
        }
    }

    /// A run that an experiment's `runs.jsonl` names: it belongs to that
    /// experiment, is kept while it is and goes with it.
    pub fn in_experiment(&self) -> bool {
        self.run().is_some_and(|r| !r.experiments.is_empty())
    }

    /// Its last sign of life: an experiment's newest run (it may have been
    /// resumed long after it started), else when it started.
    pub fn last_active(&self) -> Option<Timestamp> {
        let last = self.experiment().and_then(|e| e.last_run);
        match (self.started, last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// The program's short name: `secretsanta` for `demos/secretsanta.py`.
    pub fn program(&self) -> Option<&str> {
        let program = match &self.what {
            What::Run(run) => run.program.as_str(),
            What::Experiment(exp) => exp.program.as_deref()?,
            What::Unknown { .. } => return None,
        };
        let name = program.rsplit('/').next().unwrap_or(program);
        Some(name.strip_suffix(".py").unwrap_or(name))
    }

    /// As `cargo xtask runs --json` prints it: the fields every kind has
    /// (`id`, `kind`, `dir`, `started`, `latest`), then the kind's own. A
    /// field that runs and experiments share has one type in both:
    /// `parties`, `net` and `hosts` are lists (a run's: one party count, at
    /// most one profile).
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "kind": self.kind().name(),
            "dir": self.dir.as_str(),
            "started": self.started.map(|t| t.to_string()),
            "latest": self.latest.map(Latest::link),
        });
        let program = self.program();
        match &self.what {
            What::Run(run) => {
                let fields = json!({
                    "program": program,
                    "program_path": run.program,
                    "args": run.args,
                    "parties": [run.parties.len()],
                    "where": if run.remote { "hosts" } else { "local" },
                    "hosts": run.hosts(),
                    "net": run.net.iter().map(|n| n.profile.as_str()).collect::<Vec<_>>(),
                    "start": run.start,
                    "status": run.status.name(),
                    "error": run.error,
                    "wall_secs": run.wall_secs,
                    "experiments": run.experiments,
                });
                extend(&mut v, fields);
            }
            What::Experiment(exp) => {
                let fields = json!({
                    "program": program,
                    "parties": exp.parties,
                    "where": if exp.hosts_file.is_some() || !exp.hosts.is_empty() { "hosts" } else { "local" },
                    "hosts": exp.hosts,
                    "hosts_file": exp.hosts_file,
                    "net": exp.net,
                    "status": exp.status().name(),
                    "resumable": exp.resumable(),
                    "runs": {
                        "scheduled": exp.scheduled,
                        "done": exp.done,
                        "ok": exp.ok(),
                        "failed": exp.failed(),
                        "unreadable_lines": exp.unreadable,
                    },
                    "last_run": exp.last_run.map(|t| t.to_string()),
                    "run_dirs": exp.run_dirs,
                    "report": exp.report,
                    "file_error": exp.file_error,
                });
                extend(&mut v, fields);
            }
            What::Unknown { why } => {
                v["why"] = json!(why);
            }
        }
        v
    }
}

impl Entry {
    /// [`Entry::to_json`] with the details `runs show --json` prints: a
    /// run's parties (`party`), an experiment's runs (`lines`, as
    /// `runs.jsonl` holds them).
    pub fn to_json_detailed(&self) -> Value {
        let mut v = self.to_json();
        match &self.what {
            What::Run(run) => {
                v["party"] = run
                    .parties
                    .iter()
                    .map(|p| {
                        json!({
                            "index": p.index,
                            "address": p.address,
                            "ssh": p.ssh,
                            "region": p.region,
                            "status": p.status,
                            "exit": p.exit,
                            "mpyc_elapsed": p.mpyc_elapsed,
                            "bytes_sent": p.bytes_sent,
                            "wall_secs": p.wall_secs,
                            "log": p.log,
                        })
                    })
                    .collect();
            }
            What::Experiment(exp) => {
                v["lines"] = exp
                    .runs
                    .iter()
                    .map(|r| {
                        json!({
                            "run": r.run,
                            "rep": r.rep,
                            "parties": r.parties,
                            "args": r.args,
                            "net": r.net,
                            "status": r.status,
                            "error": r.error,
                            "started_at": r.started_at,
                            "wall_secs": r.wall_secs,
                            "log_dir": r.log_dir,
                        })
                    })
                    .collect();
            }
            What::Unknown { .. } => {}
        }
        v
    }
}

fn extend(v: &mut Value, fields: Value) {
    if let (Some(v), Value::Object(fields)) = (v.as_object_mut(), fields) {
        v.extend(fields);
    }
}

/// How a run came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Ok,
    /// A party failed.
    Failed,
    /// e3 stopped it: a timeout, Ctrl-C.
    Stopped,
}

impl RunStatus {
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
            RunStatus::Stopped => "stopped",
        }
    }
}

/// A run's `summary.json`, as far as the history shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// As recorded: `demos/secretsanta.py`.
    pub program: String,
    pub args: Vec<String>,
    /// On hosts over ssh (else local processes).
    pub remote: bool,
    /// `warm` or `cold`, when recorded.
    pub start: Option<String>,
    pub net: Option<NetRecord>,
    pub status: RunStatus,
    pub error: Option<String>,
    pub stopped: Option<String>,
    pub wall_secs: Option<f64>,
    pub parties: Vec<PartyRecord>,
    /// The experiments whose `runs.jsonl` names this run's folder.
    pub experiments: Vec<String>,
    /// Where it came from (`environment` in `summary.json`), when recorded:
    /// e3's commit and whether the tree was dirty.
    pub commit: Option<String>,
    pub dirty: Option<bool>,
    /// Per place the parties ran: `Python 3.11.7, MPyC 0.11, ...`.
    pub versions: Vec<(String, String)>,
}

impl RunRecord {
    /// The hosts it ran on (`[user@]host`, each once, in party order);
    /// empty for a local run.
    pub fn hosts(&self) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        self.parties
            .iter()
            .filter_map(|p| p.ssh.as_deref())
            .filter(|h| seen.insert(*h))
            .collect()
    }
}

/// The network profile a run was under.
#[derive(Clone, Debug, PartialEq)]
pub struct NetRecord {
    pub profile: String,
    pub source: String,
    pub hash: String,
}

/// One party's line of a run's summary.
#[derive(Clone, Debug, PartialEq)]
pub struct PartyRecord {
    pub index: usize,
    /// `host:port` as the other parties reached it.
    pub address: String,
    /// `[user@]host` it was reached at over ssh (runs on hosts).
    pub ssh: Option<String>,
    /// Under a network profile.
    pub region: Option<String>,
    /// `ok`, `failed` or `stopped`.
    pub status: String,
    /// An exit code, a signal's name, `lost` or `-`.
    pub exit: String,
    /// MPyC's own elapsed time, as it printed it.
    pub mpyc_elapsed: Option<String>,
    pub bytes_sent: Option<u64>,
    pub wall_secs: Option<f64>,
    /// Its log, relative to the root.
    pub log: Option<String>,
}

/// A run's folder from its `summary.json` text; a folder whose summary
/// cannot be read is [`What::Unknown`], saying why.
pub fn run_entry(id: &str, summary_json: &str) -> Entry {
    let dir = Utf8PathBuf::from(LOGS).join(id);
    let (what, recorded) = match serde_json::from_str::<Value>(summary_json) {
        Err(e) => (
            What::Unknown {
                why: format!("{SUMMARY} is not JSON ({e})"),
            },
            None,
        ),
        Ok(v) if !v.is_object() || !v["parties"].is_array() => (
            What::Unknown {
                why: format!("{SUMMARY} is not a run's summary (no `parties`)"),
            },
            None,
        ),
        Ok(v) => (
            What::Run(Box::new(run_record(&v))),
            timestamp(&v["started_at"]),
        ),
    };
    let started = recorded.or_else(|| id_time(id));
    Entry {
        id: id.to_string(),
        dir,
        started,
        latest: None,
        what,
    }
}

fn run_record(v: &Value) -> RunRecord {
    let text = |v: &Value| v.as_str().map(str::to_string);
    let parties: Vec<PartyRecord> = v["parties"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, p)| PartyRecord {
            index: p["index"].as_u64().map_or(i, |x| x as usize),
            address: text(&p["address"]).unwrap_or_else(|| {
                format!(
                    "{}:{}",
                    p["host"].as_str().unwrap_or("?"),
                    p["port"]
                        .as_u64()
                        .map_or("?".to_string(), |x| x.to_string())
                )
            }),
            ssh: text(&p["ssh"]),
            region: text(&p["region"]),
            status: text(&p["status"]).unwrap_or_else(|| "?".into()),
            exit: match (&p["lost"], p["exit_code"].as_i64(), p["signal"].as_str()) {
                (Value::String(_), _, _) => "lost".into(),
                (_, Some(code), _) => code.to_string(),
                (_, None, Some(signal)) => signal.to_string(),
                _ => "-".into(),
            },
            mpyc_elapsed: text(&p["mpyc_elapsed"]),
            bytes_sent: p["bytes_sent"].as_u64(),
            wall_secs: p["wall_secs"].as_f64(),
            log: text(&p["log"]),
        })
        .collect();
    let status = if v["ok"].as_bool() == Some(true) {
        RunStatus::Ok
    } else if parties.iter().all(|p| p.status != "failed") && v["stopped"].is_string() {
        RunStatus::Stopped
    } else {
        RunStatus::Failed
    };
    RunRecord {
        program: text(&v["program"]).unwrap_or_else(|| "?".into()),
        args: strings(&v["args"]),
        remote: v["mode"] == "ssh",
        start: text(&v["start"]),
        net: v["net"].is_object().then(|| NetRecord {
            profile: text(&v["net"]["profile"]).unwrap_or_else(|| "?".into()),
            source: text(&v["net"]["source"]).unwrap_or_default(),
            hash: text(&v["net"]["hash"]).unwrap_or_default(),
        }),
        status,
        error: text(&v["error"]),
        stopped: text(&v["stopped"]),
        wall_secs: v["wall_secs"].as_f64(),
        commit: text(&v["environment"]["e3"]["commit"]),
        dirty: v["environment"]["e3"]["dirty"].as_bool(),
        versions: v["environment"]["parties"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|place| {
                let v = &place["versions"];
                let shown: Vec<String> = [
                    ("Python", "python"),
                    ("MPyC", "mpyc"),
                    ("numpy", "numpy"),
                    ("gmpy2", "gmpy2"),
                ]
                .iter()
                .map(|(name, key)| {
                    format!("{name} {}", text(&v[*key]).unwrap_or_else(|| "?".into()))
                })
                .collect();
                (
                    text(&place["where"]).unwrap_or_else(|| "?".into()),
                    if v.is_object() {
                        shown.join(", ")
                    } else {
                        "unknown".into()
                    },
                )
            })
            .collect(),
        parties,
        experiments: Vec::new(),
    }
}

/// How far an experiment got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExperimentStatus {
    /// Every scheduled run done, every one ok.
    Ok,
    /// Every scheduled run done, some failed.
    Failed,
    /// Fewer runs done than scheduled: `--resume` would go on.
    Resumable,
    /// This e3 cannot read its experiment file, so cannot tell.
    Unknown,
}

impl ExperimentStatus {
    pub fn name(self) -> &'static str {
        match self {
            ExperimentStatus::Ok => "ok",
            ExperimentStatus::Failed => "failed",
            ExperimentStatus::Resumable => "resumable",
            ExperimentStatus::Unknown => "unknown",
        }
    }
}

/// An experiment's results folder, as far as the history shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentRecord {
    /// As its file names it (when this e3 can read the file).
    pub program: Option<String>,
    /// The party counts it sweeps.
    pub parties: Vec<usize>,
    /// The network profiles it sweeps (none: no profile).
    pub net: Vec<String>,
    /// Its `[hosts]` file, when it runs on hosts.
    pub hosts_file: Option<String>,
    /// The hosts `environment.json` names.
    pub hosts: Vec<String>,
    /// Why this e3 cannot read its `experiment.toml`: then how many runs
    /// it schedules is unknown.
    pub file_error: Option<String>,
    /// The runs its file schedules, as `experiment --resume` counts them.
    pub scheduled: Option<usize>,
    /// Of those, the runs `runs.jsonl` records (ok or failed): what
    /// `--resume` skips. Without a schedule, the runs it records.
    pub done: usize,
    /// Lines of `runs.jsonl` that cannot be read (a cut last line).
    pub unreadable: usize,
    /// Its runs, in the file's order.
    pub runs: Vec<Run>,
    /// The run folders its lines name (`log_dir`), relative to the root.
    pub run_dirs: Vec<String>,
    /// When its newest run started.
    pub last_run: Option<Timestamp>,
    /// `report.md` is there.
    pub report: bool,
}

impl ExperimentRecord {
    pub fn ok(&self) -> usize {
        self.runs.iter().filter(|r| r.ok()).count()
    }

    pub fn failed(&self) -> usize {
        self.runs.len() - self.ok()
    }

    /// Fewer runs done than its file schedules.
    pub fn resumable(&self) -> bool {
        self.scheduled.is_some_and(|s| self.done < s)
    }

    pub fn status(&self) -> ExperimentStatus {
        match self.scheduled {
            None => ExperimentStatus::Unknown,
            Some(_) if self.resumable() => ExperimentStatus::Resumable,
            Some(_) if self.failed() > 0 => ExperimentStatus::Failed,
            Some(_) => ExperimentStatus::Ok,
        }
    }
}

/// The contents of an experiment's results folder: `runs.jsonl` (what
/// makes it one), and the files beside it when they are there.
#[derive(Clone, Debug, Default)]
pub struct ExperimentFiles<'a> {
    pub runs_jsonl: &'a str,
    pub experiment_toml: Option<&'a str>,
    pub environment_json: Option<&'a str>,
    /// The cells `skip_unfit` left out (`skipped.json`).
    pub skipped_json: Option<&'a str>,
    pub report: bool,
}

/// An experiment's folder from its files' text. How many runs it
/// schedules and how many are done are counted as `experiment --resume`
/// counts them (`e3-experiment`'s schedule, less the cells `skipped.json`
/// names, and `done_runs`).
pub fn experiment_entry(id: &str, files: &ExperimentFiles<'_>) -> Entry {
    let dir = Utf8PathBuf::from(RESULTS).join(id);
    let (runs, _) = e3_report::read_runs(files.runs_jsonl);
    let lines: Vec<Value> = files
        .runs_jsonl
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    let run_dirs: Vec<String> = lines
        .iter()
        .filter_map(|l| l["log_dir"].as_str())
        .map(|d| d.trim_start_matches("./").trim_end_matches('/').to_string())
        .collect();
    let (done, unreadable) = e3_experiment::results::done_runs(files.runs_jsonl);
    let source = dir.join(EXPERIMENT_COPY);
    let parsed = match files.experiment_toml {
        None => Err(format!("{source} is missing")),
        Some(text) => e3_experiment::file::parse(text, source.as_str()).map_err(|e| e.to_string()),
    };
    let (program, parties, net, hosts_file, scheduled, done_count, file_error) = match parsed {
        Ok(exp) => {
            // The runs it scheduled: its file's, less the cells skip_unfit
            // left out when it started.
            let skipped = e3_experiment::results::Skipped::read(files.skipped_json.unwrap_or("[]"));
            let mut schedule = e3_experiment::sweep::schedule(&exp.cells(), exp.repeat);
            schedule.retain(|p| !skipped.contains(&p.cell.keys(&exp)));
            let done_count = schedule
                .iter()
                .filter(|p| done.contains(&p.cell.keys(&exp), p.rep))
                .count();
            (
                Some(exp.program.clone()),
                exp.parties.clone(),
                exp.net.iter().flatten().cloned().collect(),
                exp.hosts.as_ref().map(|h| h.file.clone()),
                Some(schedule.len()),
                done_count,
                None,
            )
        }
        Err(why) => {
            // The program, as far as the file still says it.
            let program = files.experiment_toml.and_then(|text| {
                let doc = e3_toml::Doc {
                    text,
                    source: source.as_str(),
                };
                let root = doc.parse().ok()?;
                let program = e3_toml::get(root.get_ref(), "program")?;
                program.get_ref().as_str().map(str::to_string)
            });
            let mut parties: Vec<usize> = runs.iter().map(|r| r.parties).collect();
            parties.sort_unstable();
            parties.dedup();
            let mut net: Vec<String> = runs.iter().filter_map(|r| r.net.clone()).collect();
            net.sort();
            net.dedup();
            (program, parties, net, None, None, done.len(), Some(why))
        }
    };
    let environment = files
        .environment_json
        .and_then(|t| serde_json::from_str::<Value>(t).ok());
    let hosts = environment
        .as_ref()
        .and_then(|e| e["hosts"].as_array())
        .map(|hosts| {
            hosts
                .iter()
                .filter_map(|h| h["host"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let last_run = lines
        .iter()
        .filter_map(|l| timestamp(&l["started_at"]))
        .max();
    let started = environment
        .as_ref()
        .and_then(|e| timestamp(&e["recorded_at"]))
        .or_else(|| id_time(id))
        .or_else(|| {
            lines
                .iter()
                .filter_map(|l| timestamp(&l["started_at"]))
                .min()
        });
    Entry {
        id: id.to_string(),
        dir,
        started,
        latest: None,
        what: What::Experiment(Box::new(ExperimentRecord {
            program,
            parties,
            net,
            hosts_file,
            hosts,
            file_error,
            scheduled,
            done: done_count,
            unreadable,
            runs,
            run_dirs,
            last_run,
            report: files.report,
        })),
    }
}

/// A folder that is not e3's, with why (its time from its id, if any).
pub fn unknown_entry(parent: &str, id: &str, why: String) -> Entry {
    Entry {
        id: id.to_string(),
        dir: Utf8PathBuf::from(parent).join(id),
        started: id_time(id),
        latest: None,
        what: What::Unknown { why },
    }
}

/// Why a folder of `parent` is not e3's: the file it lacks.
pub fn missing_record(parent: &str) -> String {
    match parent {
        LOGS => format!("no {SUMMARY} (a run still running, or killed before it ended)"),
        _ => format!(
            "no {RUNS} (not an experiment's results, or one that ended before its first run)"
        ),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

fn timestamp(v: &Value) -> Option<Timestamp> {
    v.as_str()?.parse().ok()
}

/// The UTC time an id starts with (`20261123-195300-...`, as e3 makes
/// them).
pub fn id_time(id: &str) -> Option<Timestamp> {
    let stamp = id.get(..15)?;
    let civil = jiff::civil::DateTime::strptime("%Y%m%d-%H%M%S", stamp).ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY_OK: &str = r#"{
        "run_id": "20261130-114715-secretsanta", "started_at": "2026-11-30T11:47:16Z",
        "mode": "local", "start": "warm", "program": "demos/secretsanta.py", "args": ["4"],
        "ok": true, "error": null, "stopped": null, "wall_secs": 1.162,
        "net": {"profile": "lan", "source": "loopback", "hash": "43e5"},
        "parties": [
            {"index": 0, "host": "127.0.0.1", "port": 24300, "address": "127.0.0.1:24300",
             "ssh": null, "status": "ok", "exit_code": 0, "signal": null, "lost": null,
             "mpyc_elapsed": "0:00:00.512", "bytes_sent": 7392, "wall_secs": 1.157,
             "log": "logs/20261130-114715-secretsanta/party-0.log", "region": "lan"}
        ]
    }"#;

    #[test]
    fn a_run_from_its_summary() {
        let e = run_entry("20261130-114715-secretsanta", SUMMARY_OK);
        assert_eq!(e.kind(), Kind::Run);
        assert_eq!(e.dir, "logs/20261130-114715-secretsanta");
        // The summary's time wins over the id's.
        assert_eq!(e.started.unwrap().to_string(), "2026-11-30T11:47:16Z");
        assert_eq!(e.program(), Some("secretsanta"));
        let run = e.run().unwrap();
        assert_eq!(run.status, RunStatus::Ok);
        assert_eq!(run.net.as_ref().unwrap().profile, "lan");
        assert_eq!(run.parties[0].exit, "0");
        assert!(run.hosts().is_empty());
    }

    #[test]
    fn a_stopped_run_and_a_failed_one() {
        let stopped = SUMMARY_OK
            .replace(r#""ok": true"#, r#""ok": false"#)
            .replace(r#""stopped": null"#, r#""stopped": "timed out after 5s""#)
            .replace(r#""status": "ok""#, r#""status": "stopped""#);
        let e = run_entry("x", &stopped);
        assert_eq!(e.run().unwrap().status, RunStatus::Stopped);
        let failed = stopped.replace(r#""status": "stopped""#, r#""status": "failed""#);
        assert_eq!(
            run_entry("x", &failed).run().unwrap().status,
            RunStatus::Failed
        );
    }

    #[test]
    fn a_summary_that_is_not_one_is_unknown() {
        let e = run_entry("20261130-114715-secretsanta", "{\"run_id\": ");
        assert_eq!(e.kind(), Kind::Unknown);
        // Its id still dates it.
        assert_eq!(e.started.unwrap().to_string(), "2026-11-30T11:47:15Z");
        assert_eq!(run_entry("notes", "[1, 2]").kind(), Kind::Unknown);
        assert_eq!(run_entry("notes", "[1, 2]").started, None);
    }

    fn line(run: usize, parties: usize, rep: usize, status: &str, dir: &str) -> String {
        format!(
            r#"{{"run": {run}, "rep": {rep}, "parties": {parties}, "args": [], "run_id": "{dir}", "status": "{status}", "error": null, "started_at": "2026-11-30T11:0{run}:00Z", "wall_secs": 0.2, "log_dir": "logs/{dir}", "party": []}}"#
        )
    }

    #[test]
    fn an_experiment_counts_its_runs_as_resume_does() {
        let toml = "program = \"helloworld\"\nparties = [2, 3]\nrepeat = 2\n";
        let runs = [
            line(1, 2, 1, "ok", "a"),
            line(2, 3, 1, "failed", "b"),
            line(3, 2, 2, "ok", "c"),
        ]
        .join("\n");
        let files = ExperimentFiles {
            runs_jsonl: &runs,
            experiment_toml: Some(toml),
            environment_json: Some(r#"{"recorded_at": "2026-11-30T10:59:59Z", "hosts": []}"#),
            skipped_json: None,
            report: false,
        };
        let e = experiment_entry("20261130-110000-small", &files);
        let exp = e.experiment().unwrap();
        assert_eq!((exp.scheduled, exp.done), (Some(4), 3));
        assert_eq!((exp.ok(), exp.failed()), (2, 1));
        assert!(exp.resumable());
        assert_eq!(exp.status(), ExperimentStatus::Resumable);
        assert_eq!(exp.run_dirs, ["logs/a", "logs/b", "logs/c"]);
        assert_eq!(e.started.unwrap().to_string(), "2026-11-30T10:59:59Z");
        assert_eq!(
            e.last_active().unwrap().to_string(),
            "2026-11-30T11:03:00Z",
            "an experiment is as young as its newest run"
        );

        let all = format!("{runs}\n{}\n", line(4, 3, 2, "ok", "d"));
        let done = experiment_entry(
            "20261130-110000-small",
            &ExperimentFiles {
                runs_jsonl: &all,
                ..files.clone()
            },
        );
        assert_eq!(
            done.experiment().unwrap().status(),
            ExperimentStatus::Failed
        );
    }

    /// Cells that `skip_unfit` left out are not waiting to run: an
    /// experiment that ran every other cell is finished, not resumable.
    #[test]
    fn cells_skipped_when_it_started_are_not_scheduled() {
        let toml = "program = \"helloworld\"\nparties = [2, 3]\nrepeat = 2\n";
        let runs = [line(1, 3, 1, "ok", "a"), line(2, 3, 2, "ok", "b")].join("\n");
        let skipped =
            r#"[{"cell": {"parties": 2, "start": "warm"}, "why": "the placement holds 3"}]"#;
        let files = ExperimentFiles {
            runs_jsonl: &runs,
            experiment_toml: Some(toml),
            skipped_json: Some(skipped),
            ..Default::default()
        };
        let e = experiment_entry("20261130-110000-skips", &files);
        let exp = e.experiment().unwrap();
        assert_eq!((exp.scheduled, exp.done), (Some(2), 2));
        assert_eq!(exp.status(), ExperimentStatus::Ok);
        let without = ExperimentFiles {
            skipped_json: None,
            ..files
        };
        let e = experiment_entry("20261130-110000-skips", &without);
        assert_eq!(
            e.experiment().unwrap().status(),
            ExperimentStatus::Resumable
        );
    }

    #[test]
    fn an_experiment_file_this_e3_cannot_read_leaves_its_progress_unknown() {
        let runs = line(1, 2, 1, "ok", "a");
        let files = ExperimentFiles {
            runs_jsonl: &runs,
            experiment_toml: Some(
                "program = \"helloworld\"\nparties = [2]\nrepeat = 1\nfuture_key = 1\n",
            ),
            environment_json: None,
            skipped_json: None,
            report: true,
        };
        let e = experiment_entry("20261130-110000-small", &files);
        let exp = e.experiment().unwrap();
        assert_eq!(exp.status(), ExperimentStatus::Unknown);
        assert!(!exp.resumable());
        assert!(exp.file_error.as_deref().unwrap().contains("future_key"));
        assert_eq!((exp.parties.clone(), exp.done), (vec![2], 1));
        assert_eq!(
            e.program(),
            Some("helloworld"),
            "the program, as far as the file says it"
        );
        // No environment.json: the id dates it.
        assert_eq!(e.started.unwrap().to_string(), "2026-11-30T11:00:00Z");
    }

    #[test]
    fn ids_date_their_folders() {
        assert_eq!(
            id_time("20261123-195300-secretsanta-2")
                .unwrap()
                .to_string(),
            "2026-11-23T19:53:00Z"
        );
        assert_eq!(id_time("20261323-195300-x"), None);
        assert_eq!(id_time("notes"), None);
    }
}
