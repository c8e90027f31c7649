//! `runs.jsonl`: one run a line, appended as runs end; read tolerantly.
//! docs/experiments.md describes its fields: the schema read here.

use std::collections::BTreeMap;

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
    /// Its region, when the run was under a network profile.
    pub region: Option<String>,
}

/// A run's cell: every key the experiment sweeps or sets for it, in the
/// experiment's order, with its value (`parties` first). Runs with equal
/// cells are reps of one cell.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cell(pub Vec<(String, Value)>);

impl Cell {
    /// The value of `key`, when the cell has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Its key names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    /// The value of `key` as people read it ([`value_text`]).
    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key).map(|v| value_text(key, v))
    }

    /// The cell as people read it: `parties = 6, n = 16, net = e3-4regions`.
    pub fn name(&self) -> String {
        self.name_of(|_| true)
    }

    /// [`Cell::name`] over the keys `keep` keeps; `all runs` when it keeps
    /// none.
    pub fn name_of(&self, keep: impl Fn(&str) -> bool) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| match (k.as_str(), v) {
                ("args", Value::Array(a)) if a.is_empty() => "no args".to_string(),
                _ => format!("{k} = {}", value_text(k, v)),
            })
            .collect();
        if parts.is_empty() {
            "all runs".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// A cell key's value as people read it: a string as it is, a number or a
/// boolean as JSON writes it, a list (`args`) joined by spaces (`no args`
/// for an empty `args`).
pub fn value_text(key: &str, value: &Value) -> String {
    match value {
        Value::Array(a) if a.is_empty() && key == "args" => "no args".to_string(),
        v => plain(v),
    }
}

/// A value as plain text: strings unquoted, lists joined by spaces.
pub(crate) fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(a) => a.iter().map(plain).collect::<Vec<_>>().join(" "),
        v => v.to_string(),
    }
}

/// What the experiment file says of one of its named variables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Label {
    /// `input size n`.
    pub label: Option<String>,
    /// `people`.
    pub unit: Option<String>,
}

impl Label {
    /// The heading of `key`'s column: `input size n (people)`, `n
    /// (people)`, `input size n`, or the key itself.
    pub fn heading(&self, key: &str) -> String {
        let name = self.label.as_deref().unwrap_or(key);
        match &self.unit {
            Some(unit) => format!("{name} ({unit})"),
            None => name.to_string(),
        }
    }
}

/// One line of `runs.jsonl`.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The run's number in the experiment.
    pub run: u64,
    /// Which repetition of its cell it is.
    pub rep: u64,
    pub parties: usize,
    /// The program's arguments (without MPyC's `-T`).
    pub args: Vec<String>,
    /// The network profile it ran under (`net` in the experiment file).
    pub net: Option<String>,
    /// Where that profile's figures come from (an estimate says so); only
    /// when the run started under it.
    pub net_source: Option<String>,
    /// Its cell. A line written before `cell` was (schema 1): `parties`,
    /// `args` and `net` when there.
    pub cell: Cell,
    /// Labels and units of the file's named variables, by key.
    pub labels: BTreeMap<String, Label>,
    /// `warm` or `cold`.
    pub start: Option<String>,
    /// MPyC's `-T`, when the experiment sets one.
    pub threshold: Option<u64>,
    pub run_id: String,
    /// `ok` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub started_at: String,
    pub wall_secs: Option<f64>,
    /// Its folder of logs; `None` when it failed before it started (then
    /// there are none).
    pub log_dir: Option<String>,
    pub party: Vec<PartyRun>,
}

/// How a run without logs (it failed before it started) reads where its
/// logs would be named.
pub const NO_LOGS: &str = "— (did not start)";

impl Run {
    pub fn ok(&self) -> bool {
        self.status == "ok"
    }

    /// Where its logs are, as people read it: the folder, or [`NO_LOGS`].
    pub fn logs_text(&self) -> &str {
        self.log_dir.as_deref().unwrap_or(NO_LOGS)
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

    /// Time until every party was connected: the last party's
    /// `connected_after_secs`, when every party has one.
    pub fn connected_secs(&self) -> Option<f64> {
        all_of(self.party.iter().map(|p| p.connected_after_secs))
            .map(|v| v.into_iter().fold(f64::NEG_INFINITY, f64::max))
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
    let args = strings(&v["args"]).ok_or("args")?;
    let party = match &v["party"] {
        Value::Null => Vec::new(),
        Value::Array(parties) => parties
            .iter()
            .map(party_of)
            .collect::<Option<Vec<_>>>()
            .ok_or("party")?,
        _ => return Err("party"),
    };
    let parties = u("parties")? as usize;
    let net = v["net"].as_str().map(str::to_string);
    let cell = match &v["cell"] {
        Value::Null => {
            // Schema 1: the cell was parties, args and the profile.
            let mut cell = vec![
                ("parties".to_string(), Value::from(parties)),
                ("args".to_string(), v["args"].clone()),
            ];
            if let Some(net) = &net {
                cell.push(("net".to_string(), Value::from(net.as_str())));
            }
            Cell(cell)
        }
        Value::Object(map) => {
            let order = strings(&v["cell_keys"]).unwrap_or_default();
            cell_of(map, &order, parties)
        }
        _ => return Err("cell"),
    };
    let labels = match &v["labels"] {
        Value::Object(map) => map
            .iter()
            .map(|(k, l)| {
                let text = |f: &str| l[f].as_str().map(str::to_string);
                let label = Label {
                    label: text("label"),
                    unit: text("unit"),
                };
                (k.clone(), label)
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    let start = v["start"]
        .as_str()
        .or_else(|| cell.get("start").and_then(Value::as_str))
        .map(str::to_string);
    let threshold = v["threshold"]
        .as_u64()
        .or_else(|| cell.get("threshold").and_then(Value::as_u64));
    Ok(Run {
        run: u("run")?,
        rep: u("rep")?,
        parties,
        args,
        net,
        net_source: v["net_source"].as_str().map(str::to_string),
        cell,
        labels,
        start,
        threshold,
        run_id: s("run_id").unwrap_or_default(),
        status: s("status")?,
        error: v["error"].as_str().map(str::to_string),
        started_at: s("started_at").unwrap_or_default(),
        wall_secs: v["wall_secs"].as_f64(),
        // Lines of older e3s wrote "" for a run that never started.
        log_dir: s("log_dir").ok().filter(|d| !d.is_empty()),
        party,
    })
}

/// A list of strings.
fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// The keys e3 sets itself, in the order an experiment gives them, for a
/// line whose `cell_keys` is missing (its object's order is lost on
/// reading: serde_json here sorts keys).
const KNOWN_ORDER: [&str; 7] = [
    "parties",
    "args",
    "threshold",
    "net",
    "placement",
    "start",
    "tls",
];

/// `cell`, in the order `cell_keys` gives; keys it does not list follow
/// (e3's own keys in their usual order, named variables by name after
/// `args`). `parties` is always there, first when `cell_keys` says
/// nothing else.
fn cell_of(map: &serde_json::Map<String, Value>, order: &[String], parties: usize) -> Cell {
    let mut keys: Vec<&str> = order
        .iter()
        .map(String::as_str)
        .filter(|k| map.contains_key(*k))
        .collect();
    keys.dedup();
    // Named variables (any other key) go between `args` and `threshold`.
    let rank = |k: &str| match KNOWN_ORDER.iter().position(|x| *x == k) {
        Some(i) if i < 2 => i,
        Some(i) => i + 1,
        None => 2,
    };
    let mut rest: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !keys.contains(k))
        .collect();
    rest.sort_by_key(|k| rank(k));
    keys.extend(rest);
    let mut cell: Vec<(String, Value)> = keys
        .into_iter()
        .map(|k| (k.to_string(), map[k].clone()))
        .collect();
    if !map.contains_key("parties") {
        cell.insert(0, ("parties".to_string(), Value::from(parties)));
    }
    Cell(cell)
}

fn party_of(v: &Value) -> Option<PartyRun> {
    Some(PartyRun {
        index: v["index"].as_u64()? as usize,
        status: v["status"].as_str().unwrap_or("").to_string(),
        mpyc_elapsed_secs: v["mpyc_elapsed_secs"].as_f64(),
        bytes_sent: v["bytes_sent"].as_u64(),
        wall_secs: v["wall_secs"].as_f64(),
        connected_after_secs: v["connected_after_secs"].as_f64(),
        region: v["region"].as_str().map(str::to_string),
    })
}

/// The CSV's columns before the cell's keys.
const CSV_FIRST: [&str; 2] = ["run", "rep"];

/// Its columns after them: the run's own, then a party's.
const CSV_REST: [&str; 15] = [
    "parties",
    "args",
    "run_id",
    "status",
    "error",
    "started_at",
    "run_wall_secs",
    "run_mpyc_secs",
    "run_bytes_per_party",
    "party",
    "party_status",
    "mpyc_elapsed_secs",
    "bytes_sent",
    "party_wall_secs",
    "connected_after_secs",
];

/// The cell keys that get a column of their own in [`csv`]: every key of
/// the runs' cells but `parties` and `args` (fixed columns), in the order
/// they first appear (by run number).
pub fn csv_key_columns(runs: &[Run]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for r in by_number(runs) {
        for k in r.cell.keys() {
            if k != "parties" && k != "args" && !keys.iter().any(|x| x == k) {
                keys.push(k.to_string());
            }
        }
    }
    keys
}

/// The CSV header of [`csv`]: `run,rep`, the key columns
/// ([`csv_key_columns`]), then `parties,args,run_id,...`.
pub fn csv_header(runs: &[Run]) -> String {
    let keys = csv_key_columns(runs);
    CSV_FIRST
        .iter()
        .map(|k| k.to_string())
        .chain(keys.iter().map(|k| csv_field(k)))
        .chain(CSV_REST.iter().map(|k| k.to_string()))
        .collect::<Vec<_>>()
        .join(",")
}

/// `runs` sorted by run number (stable: equal numbers keep the file's order).
pub(crate) fn by_number(runs: &[Run]) -> Vec<&Run> {
    let mut sorted: Vec<&Run> = runs.iter().collect();
    sorted.sort_by_key(|r| r.run);
    sorted
}

/// The runs as CSV, long form: one line per run and party (a run with no
/// party figures gets one line with the party columns empty), sorted by
/// run number. The run's own columns repeat on each of its lines, so a
/// spreadsheet or `pandas.read_csv` can group by `run` or by cell: after
/// `run` and `rep`, a column per key of the cell ([`csv_key_columns`]:
/// `n`, `net`, `start`, ...; empty when a run's cell lacks it), then
/// `parties` and `args` (the program's arguments joined by spaces).
/// Values are plain: text unquoted unless CSV needs quotes; missing
/// figures are empty.
pub fn csv(runs: &[Run]) -> String {
    let keys = csv_key_columns(runs);
    let mut out = csv_header(runs);
    out.push('\n');
    for r in by_number(runs) {
        let mut head = vec![r.run.to_string(), r.rep.to_string()];
        head.extend(keys.iter().map(|k| {
            r.cell
                .get(k)
                .map_or(String::new(), |v| csv_field(&plain(v)))
        }));
        head.extend([
            r.parties.to_string(),
            csv_field(&r.args.join(" ")),
            csv_field(&r.run_id),
            csv_field(&r.status),
            csv_field(r.error.as_deref().unwrap_or("")),
            csv_field(&r.started_at),
            opt(r.wall_secs),
            opt(r.mpyc_secs()),
            opt(r.bytes_per_party()),
        ]);
        let head = head.join(",");
        let parties: Vec<String> = if r.party.is_empty() {
            vec![",,,,,".to_string()]
        } else {
            r.party
                .iter()
                .map(|p| {
                    [
                        p.index.to_string(),
                        csv_field(&p.status),
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
pub(crate) fn csv_field(s: &str) -> String {
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

    /// A line as e3 writes it since cells name every key (schema 2):
    /// serde_json sorts the object's keys, `cell_keys` keeps their order.
    const V2: &str = r#"{"args":["16"],"cell":{"n":16,"net":"e3-4regions","parties":6,"placement":"ams3=2,sfo3=1","start":"cold","threshold":1,"who":"alice"},"cell_keys":["parties","who","n","threshold","net","placement","start"],"error":"could not start: no such profile","labels":{"n":{"label":"input size n","unit":"people"},"who":{"label":"who asks"}},"log_dir":null,"net":"e3-4regions","parties":6,"party":[],"rep":1,"run":4,"run_id":null,"start":"cold","started_at":"2026-12-01T09:00:00Z","status":"failed","threshold":1,"wall_secs":null}"#;

    #[test]
    fn a_line_with_its_cell() {
        let (runs, warnings) = read_runs(V2);
        assert!(warnings.is_empty(), "{warnings:?}");
        let r = &runs[0];
        let keys: Vec<&str> = r.cell.keys().collect();
        assert_eq!(
            keys,
            [
                "parties",
                "who",
                "n",
                "threshold",
                "net",
                "placement",
                "start"
            ]
        );
        assert_eq!(r.cell.get("n"), Some(&Value::from(16)));
        assert_eq!(
            r.cell.name(),
            "parties = 6, who = alice, n = 16, threshold = 1, net = e3-4regions, \
             placement = ams3=2,sfo3=1, start = cold"
        );
        assert_eq!(r.start.as_deref(), Some("cold"));
        assert_eq!(r.threshold, Some(1));
        assert_eq!(r.labels["n"].heading("n"), "input size n (people)");
        assert_eq!(r.labels["who"].heading("who"), "who asks");
        assert_eq!(Label::default().heading("who"), "who");
        // It never started: no logs, and no empty path for them.
        assert_eq!(r.log_dir, None);
        assert_eq!(r.logs_text(), "— (did not start)");
        assert_eq!((r.run_id.as_str(), r.party.len()), ("", 0));
    }

    #[test]
    fn without_cell_keys_e3s_keys_keep_their_usual_order() {
        let line = V2.replace(
            r#""cell_keys":["parties","who","n","threshold","net","placement","start"],"#,
            "",
        );
        let (runs, _) = read_runs(&line);
        let keys: Vec<&str> = runs[0].cell.keys().collect();
        assert_eq!(
            keys,
            [
                "parties",
                "n",
                "who",
                "threshold",
                "net",
                "placement",
                "start"
            ]
        );
    }

    #[test]
    fn an_older_line_has_parties_args_and_net_as_its_cell() {
        let (runs, _) = read_runs(LINE);
        assert_eq!(runs[0].cell.name(), "parties = 2, args = 8");
        assert_eq!((runs[0].start.as_deref(), runs[0].threshold), (None, None));
        assert_eq!(runs[0].log_dir.as_deref(), Some("logs/r3"));
        let with_net = LINE.replace(r#""run_id""#, r#""net": "lan", "run_id""#);
        let (runs, _) = read_runs(&with_net);
        assert_eq!(runs[0].cell.name(), "parties = 2, args = 8, net = lan");
        let no_args = LINE.replace(r#"["8"]"#, "[]");
        let (runs, _) = read_runs(&no_args);
        assert_eq!(runs[0].cell.name(), "parties = 2, no args");
        // Older e3s wrote "" for a run that never started.
        let never = LINE.replace(r#""logs/r3""#, r#""""#);
        assert_eq!(read_runs(&never).0[0].log_dir, None);
    }

    #[test]
    fn the_csv_has_a_column_per_key_after_rep() {
        let (mut runs, _) = read_runs(&format!("{LINE}\n{V2}\n"));
        let header = csv_header(&runs);
        assert!(
            header.starts_with("run,rep,who,n,threshold,net,placement,start,parties,args,run_id,"),
            "{header}"
        );
        let csv = csv(&runs);
        let lines: Vec<&str> = csv.lines().collect();
        // The older line lacks those keys: empty. Text plain, quoted only
        // when CSV needs it.
        assert!(lines[1].starts_with("3,2,,,,,,,2,8,r3,ok,"), "{}", lines[1]);
        assert_eq!(
            lines[3],
            "4,1,alice,16,1,e3-4regions,\"ams3=2,sfo3=1\",cold,6,16,,failed,\
             could not start: no such profile,2026-12-01T09:00:00Z,,,,,,,,,"
        );
        runs.remove(1);
        assert_eq!(csv_key_columns(&runs), Vec::<String>::new());
    }
}
