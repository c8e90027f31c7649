//! `runs.jsonl`: one run a line, appended as runs end; read tolerantly.

use serde_json::Value;

/// One party's figures in a run; any may be missing when the run failed.
#[derive(Clone, Debug, PartialEq)]
pub struct PartyRun {
    pub index: usize,
    pub status: String,
    pub mpyc_elapsed_secs: Option<f64>,
    pub bytes_sent: Option<u64>,
    pub wall_secs: Option<f64>,
    pub connected_after_secs: Option<f64>,
}

/// One line of `runs.jsonl`.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The run's number in the experiment.
    pub run: u64,
    /// Which repetition of its cell it is.
    pub rep: u64,
    pub parties: usize,
    pub args: Vec<String>,
    /// The network profile it ran under (`net` in the experiment file).
    pub net: Option<String>,
    /// Where that profile's figures come from (an estimate says so).
    pub net_source: Option<String>,
    pub run_id: String,
    /// `ok` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub started_at: String,
    pub wall_secs: Option<f64>,
    pub log_dir: String,
    pub party: Vec<PartyRun>,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.status == "ok"
    }

    /// The run's MPyC time: the slowest party's `mpyc_elapsed_secs`, when
    /// every party has one.
    pub fn mpyc_secs(&self) -> Option<f64> {
        all_of(self.party.iter().map(|p| p.mpyc_elapsed_secs))
            .map(|v| v.into_iter().fold(f64::NEG_INFINITY, f64::max))
    }

    /// Bytes sent per party: the mean over the run's parties, when every
    /// party has a figure.
    pub fn bytes_per_party(&self) -> Option<f64> {
        all_of(self.party.iter().map(|p| p.bytes_sent.map(|b| b as f64)))
            .map(|v| v.iter().sum::<f64>() / v.len() as f64)
    }
}

fn all_of(values: impl Iterator<Item = Option<f64>>) -> Option<Vec<f64>> {
    let v: Option<Vec<f64>> = values.collect();
    v.filter(|v| !v.is_empty())
}

/// The runs in `jsonl` and warnings about lines that are not runs: a cut
/// last line (a writer killed mid-line) or a line missing a field is
/// skipped, never an error. Runs come in the file's order.
pub fn read_runs(jsonl: &str) -> (Vec<Run>, Vec<String>) {
    let lines: Vec<(usize, &str)> = jsonl
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l))
        .collect();
    let last = lines.last().map(|(n, _)| *n);
    let mut runs = Vec::new();
    let mut warnings = Vec::new();
    for (n, line) in lines {
        match serde_json::from_str::<Value>(line) {
            Err(_) if Some(n) == last && !jsonl.ends_with('\n') => warnings.push(format!(
                "runs.jsonl line {n} is cut short (its writer stopped mid-line); skipped"
            )),
            Err(e) => warnings.push(format!("runs.jsonl line {n} is not JSON ({e}); skipped")),
            Ok(value) => match run_of(&value) {
                Ok(run) => runs.push(run),
                Err(field) => warnings.push(format!(
                    "runs.jsonl line {n} has no valid `{field}`; skipped"
                )),
            },
        }
    }
    (runs, warnings)
}

fn run_of(v: &Value) -> Result<Run, &'static str> {
    let u = |k: &'static str| v[k].as_u64().ok_or(k);
    let s = |k: &'static str| v[k].as_str().map(str::to_string).ok_or(k);
    let args = v["args"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or("args")?;
    let party = match &v["party"] {
        Value::Null => Vec::new(),
        Value::Array(parties) => parties
            .iter()
            .map(party_of)
            .collect::<Option<Vec<_>>>()
            .ok_or("party")?,
        _ => return Err("party"),
    };
    Ok(Run {
        run: u("run")?,
        rep: u("rep")?,
        parties: u("parties")? as usize,
        args,
        net: v["net"].as_str().map(str::to_string),
        net_source: v["net_source"].as_str().map(str::to_string),
        run_id: s("run_id").unwrap_or_default(),
        status: s("status")?,
        error: v["error"].as_str().map(str::to_string),
        started_at: s("started_at").unwrap_or_default(),
        wall_secs: v["wall_secs"].as_f64(),
        log_dir: s("log_dir").unwrap_or_default(),
        party,
    })
}

fn party_of(v: &Value) -> Option<PartyRun> {
    Some(PartyRun {
        index: v["index"].as_u64()? as usize,
        status: v["status"].as_str().unwrap_or("").to_string(),
        mpyc_elapsed_secs: v["mpyc_elapsed_secs"].as_f64(),
        bytes_sent: v["bytes_sent"].as_u64(),
        wall_secs: v["wall_secs"].as_f64(),
        connected_after_secs: v["connected_after_secs"].as_f64(),
    })
}

/// The CSV header of [`csv`].
pub const CSV_HEADER: &str = "run,rep,parties,args,run_id,status,error,started_at,run_wall_secs,\
run_mpyc_secs,run_bytes_per_party,party,party_status,mpyc_elapsed_secs,bytes_sent,party_wall_secs,\
connected_after_secs";

/// The runs as CSV, long form: one line per run and party (a run with no
/// party figures gets one line with the party columns empty), sorted by
/// run number. The run's own columns repeat on each of its lines, so a
/// spreadsheet or `pandas.read_csv` can group by `run` or by cell
/// (`parties`, `args`). `args` is the program's arguments joined by spaces;
/// missing figures are empty.
pub fn csv(runs: &[Run]) -> String {
    let mut sorted: Vec<&Run> = runs.iter().collect();
    sorted.sort_by_key(|r| r.run);
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for r in sorted {
        let head = [
            r.run.to_string(),
            r.rep.to_string(),
            r.parties.to_string(),
            field(&r.args.join(" ")),
            field(&r.run_id),
            field(&r.status),
            field(r.error.as_deref().unwrap_or("")),
            field(&r.started_at),
            opt(r.wall_secs),
            opt(r.mpyc_secs()),
            opt(r.bytes_per_party()),
        ]
        .join(",");
        let parties: Vec<String> = if r.party.is_empty() {
            vec![",,,,,".to_string()]
        } else {
            r.party
                .iter()
                .map(|p| {
                    [
                        p.index.to_string(),
                        field(&p.status),
                        opt(p.mpyc_elapsed_secs),
                        p.bytes_sent.map_or(String::new(), |b| b.to_string()),
                        opt(p.wall_secs),
                        opt(p.connected_after_secs),
                    ]
                    .join(",")
                })
                .collect()
        };
        for p in parties {
            out.push_str(&head);
            out.push(',');
            out.push_str(&p);
            out.push('\n');
        }
    }
    out
}

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), |x| x.to_string())
}

/// A CSV field, quoted when it must be (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"run": 3, "rep": 2, "parties": 2, "args": ["8"], "run_id": "r3", "status": "ok", "error": null, "started_at": "2026-11-24T07:15:00Z", "wall_secs": 1.234, "log_dir": "logs/r3", "party": [{"index": 0, "status": "ok", "mpyc_elapsed_secs": 0.5, "bytes_sent": 100, "wall_secs": 1.1, "connected_after_secs": 0.4}, {"index": 1, "status": "ok", "mpyc_elapsed_secs": 0.6, "bytes_sent": 300, "wall_secs": 1.2, "connected_after_secs": 0.3}]}"#;

    #[test]
    fn a_run_and_its_figures() {
        let (runs, warnings) = read_runs(&format!("{LINE}\n"));
        assert!(warnings.is_empty());
        assert_eq!(runs[0].mpyc_secs(), Some(0.6));
        assert_eq!(runs[0].bytes_per_party(), Some(200.0));
    }

    #[test]
    fn a_cut_last_line_is_a_warning() {
        let text = format!("{LINE}\n{}", &LINE[..40]);
        let (runs, warnings) = read_runs(&text);
        assert_eq!(runs.len(), 1);
        assert_eq!(
            warnings,
            ["runs.jsonl line 2 is cut short (its writer stopped mid-line); skipped"]
        );
    }

    #[test]
    fn a_failed_run_has_no_figures() {
        let line = r#"{"run": 1, "rep": 1, "parties": 2, "args": [], "run_id": "r1", "status": "failed", "error": "party 1 failed, with \"quotes\"", "started_at": "", "wall_secs": 2.0, "log_dir": "", "party": [{"index": 0, "status": "stopped", "mpyc_elapsed_secs": null, "bytes_sent": null, "wall_secs": 2.0, "connected_after_secs": null}]}"#;
        let (runs, _) = read_runs(line);
        assert_eq!(runs[0].mpyc_secs(), None);
        assert_eq!(
            csv(&runs).lines().nth(1).unwrap(),
            r#"1,1,2,,r1,failed,"party 1 failed, with ""quotes""",,2,,,0,stopped,,,2,"#
        );
    }

    #[test]
    fn a_line_without_a_field_is_skipped() {
        let (runs, warnings) = read_runs("{\"run\": 1}\n");
        assert!(runs.is_empty());
        assert_eq!(warnings, ["runs.jsonl line 1 has no valid `args`; skipped"]);
    }
}
