//! The experiment file: one TOML file naming a program and the sweep to run
//! it over — every key a run takes, each one a value or a list of values to
//! sweep — and how many times each cell runs. docs/experiments.md describes
//! every key; in short:
//!
//! ```toml
//! program = "secretsanta"      # resolved as `cargo xtask run` resolves PROGRAM
//! demos = "path/to/demos"      # optional, as --demos
//! name = "santa-sizes"         # optional: results/<date>-<name> (default: the file's stem)
//! parties = [3, 6, 12]         # the party counts to sweep
//! n = { values = [8, 16], label = "input size n", unit = "people" }  # a named argument
//! args = ["{n}"]               # the program's arguments, with named ones in braces
//! #   or lists to sweep as they are: args = [["8"], ["16"]]
//! threshold = [0, 1]           # MPyC's -T (a value or a list)
//! start = ["warm", "cold"]     # how the parties start (a value or a list)
//! net = ["lan", "e3-4regions"] # network profiles (local runs)
//! placement = ["ams3=2,sfo3=1"]  # parties per region, over the profile's own
//! skip_unfit = true            # skip cells whose threshold or placement does not fit
//! repeat = 3                   # runs per cell
//! timeout = 600                # seconds per run (default 600)
//! [hosts]                      # optional: run on hosts, as run --hosts (and its flags)
//! file = "hosts.pssh"
//! parties_per_host = 1
//! ssh_config = ".e3/testnet/e3t/ssh_config"
//! remote_python = "python3"
//! ```
//!
//! [`parse`] checks everything that can be checked without the machine:
//! every mistake is a [`FileError`] naming the file, the line and the key.
//! What needs the machine (network profiles, the hosts file, the program)
//! is checked by the caller before the first run, worded with the lines
//! kept in [`Experiment::lines`].

use std::collections::BTreeMap;
use std::ops::Range;

use e3_run::Start;
use e3_toml::{DeArray, DeTable, DeValue, Spanned, kind};
use serde_json::Value;

/// Seconds per run when the file gives no `timeout` (as `run --timeout`).
pub const DEFAULT_TIMEOUT_SECS: u64 = 600;

/// An experiment file, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// The file's name, as errors name it.
    pub source: String,
    /// As `cargo xtask run` takes PROGRAM (a name in the demos folder or a
    /// path to a `.py` file); resolved by the caller.
    pub program: String,
    /// As `--demos DIR`.
    pub demos: Option<String>,
    /// The results folder's name (after its date).
    pub name: Option<String>,
    /// The party counts to sweep, in the file's order, each in MPyC's range.
    pub parties: Vec<usize>,
    /// The program's arguments: lists swept as they are, or one template.
    pub args: Args,
    /// Named arguments, swept (the template's `{name}`s), in the file's order.
    pub vars: Vec<Var>,
    /// MPyC's `-T` values to sweep; one `None` when the file sets none.
    pub threshold: Vec<Option<usize>>,
    /// Network profiles to sweep (`run --net`), as names or paths; one
    /// `None` (no profile) when the file gives none.
    pub net: Vec<Option<String>>,
    /// Placements (`run --placement`) to sweep; one `None` (each profile's
    /// own) when the file gives none.
    pub placement: Vec<Option<String>>,
    /// Start modes to sweep; one `None` (e3's default) when the file gives none.
    pub start: Vec<Option<Start>>,
    /// TLS or not (`tls = [false, true]`); one `None` (plain) when the
    /// file gives none.
    pub tls: Vec<Option<bool>>,
    /// Cells whose threshold or placement does not fit their party count
    /// are skipped (and said so) instead of refused.
    pub skip_unfit: bool,
    /// Runs per cell, at least 1.
    pub repeat: usize,
    /// Seconds per run, at least 1.
    pub timeout_secs: u64,
    /// Seconds the parties of a run may take to connect (`start_timeout`,
    /// as `run --start-timeout`).
    pub start_timeout_secs: u64,
    /// Run on hosts (as `run --hosts`) rather than on this machine.
    pub hosts: Option<Hosts>,
    /// The line of each key (`parties`, `hosts.file`) and of each item of a
    /// swept list (`net[1]`), for refusals found after parsing.
    pub lines: BTreeMap<String, usize>,
}

/// The program's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Args {
    /// `args = [["8"], ["16"]]`: each list a cell (one empty list when the
    /// file gives no `args`).
    Lists(Vec<Vec<String>>),
    /// `args = ["--no-log", "{n}"]`: one list, the named arguments put in.
    Template(Vec<String>),
}

/// A named argument: `n = [8, 16]`, or `n = { values = [8, 16], label =
/// "input size n", unit = "people" }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    pub name: String,
    /// Numbers or strings, as the file gives them.
    pub values: Vec<Value>,
    pub label: Option<String>,
    pub unit: Option<String>,
}

/// The `[hosts]` table: every setting of `run --hosts`, named as its flag
/// (`--ssh-config` is `ssh_config`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hosts {
    /// The hosts file, as given (relative paths are the caller's to resolve).
    pub file: String,
    /// At least 1; `None`: 1.
    pub parties_per_host: Option<usize>,
    pub ssh_config: Option<String>,
    pub ssh_user: Option<String>,
    pub connect_timeout: Option<u64>,
    pub remote_python: Option<String>,
    pub remote_dir: Option<String>,
    pub parallel: Option<usize>,
    /// Seconds; 0 closes the connections at the end of each run.
    pub keep_connections: Option<u64>,
    pub no_sync: bool,
}

/// One cell of the sweep: one value of every key, run `repeat` times.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub parties: usize,
    /// The program's own arguments (named ones put in; without `-T`).
    pub args: Vec<String>,
    /// The named arguments' values, in the file's order.
    pub vars: Vec<(String, Value)>,
    pub threshold: Option<usize>,
    pub net: Option<String>,
    pub placement: Option<String>,
    /// `None`: e3's default (the caller settles it with [`Cell::settle`]).
    pub start: Option<Start>,
    /// `None`: the file does not say (plain).
    pub tls: Option<bool>,
}

impl Cell {
    /// The arguments every party gets: the cell's own, then MPyC's `-T t`.
    pub fn program_args(&self) -> Vec<String> {
        let mut args = self.args.clone();
        if let Some(t) = self.threshold {
            args.extend(["-T".to_string(), t.to_string()]);
        }
        args
    }

    /// The cell with e3's default start filled in.
    pub fn settle(mut self, default: Start) -> Cell {
        self.start = Some(self.start.unwrap_or(default));
        self
    }

    /// The cell as `runs.jsonl` records it: every key the experiment sweeps
    /// or sets, in sweep order, with this cell's value (`parties` and
    /// `start` always; `args` only when swept as lists).
    pub fn keys(&self, exp: &Experiment) -> Vec<(String, Value)> {
        let mut keys = vec![("parties".to_string(), Value::from(self.parties))];
        match &exp.args {
            // A file without `args` sweeps none.
            Args::Lists(lists) if lists == &[Vec::<String>::new()] => {}
            Args::Lists(_) => keys.push(("args".into(), Value::from(self.args.clone()))),
            Args::Template(_) => keys.extend(self.vars.iter().cloned()),
        }
        if let Some(t) = self.threshold {
            keys.push(("threshold".into(), Value::from(t)));
        }
        if let Some(net) = &self.net {
            keys.push(("net".into(), Value::from(net.as_str())));
        }
        if let Some(placement) = &self.placement {
            keys.push(("placement".into(), Value::from(placement.as_str())));
        }
        if let Some(start) = self.start {
            keys.push(("start".into(), Value::from(start.name())));
        }
        if let Some(tls) = self.tls {
            keys.push(("tls".into(), Value::from(tls)));
        }
        keys
    }

    /// `parties=6 n=16 net=lan`, as progress lines show a cell.
    pub fn describe(&self, exp: &Experiment) -> String {
        self.keys(exp)
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                Value::Array(a) if a.is_empty() => format!("{k}=-"),
                Value::Array(a) => format!(
                    "{k}={}",
                    a.iter()
                        .map(|x| x.as_str().unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                v => format!("{k}={v}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Experiment {
    /// Every cell, in the file's order: party counts outer, then the
    /// argument lists (or the named arguments, the first outermost), then
    /// thresholds, network profiles, placements and start modes. Cells
    /// whose threshold does not fit their party count are left out (the
    /// file said `skip_unfit`, or [`parse`] refused it).
    pub fn cells(&self) -> Vec<Cell> {
        let arg_choices: Vec<(Vec<String>, NamedValues)> = match &self.args {
            Args::Lists(lists) => lists.iter().map(|l| (l.clone(), Vec::new())).collect(),
            Args::Template(template) => combinations(&self.vars)
                .into_iter()
                .map(|vars| (fill(template, &vars), vars))
                .collect(),
        };
        let mut cells = Vec::new();
        for &parties in &self.parties {
            for (args, vars) in &arg_choices {
                for &threshold in &self.threshold {
                    if threshold.is_some_and(|t| prun::mpyc::check_threshold(t, parties).is_err()) {
                        continue;
                    }
                    for net in &self.net {
                        for placement in &self.placement {
                            for &start in &self.start {
                                for &tls in &self.tls {
                                    cells.push(Cell {
                                        parties,
                                        args: args.clone(),
                                        vars: vars.clone(),
                                        threshold,
                                        net: net.clone(),
                                        placement: placement.clone(),
                                        start,
                                        tls,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        cells
    }

    /// Labels and units of the named arguments that have them, for
    /// `runs.jsonl`'s `labels`.
    pub fn labels(&self) -> Value {
        let mut labels = serde_json::Map::new();
        for var in &self.vars {
            let mut entry = serde_json::Map::new();
            if let Some(label) = &var.label {
                entry.insert("label".into(), Value::from(label.as_str()));
            }
            if let Some(unit) = &var.unit {
                entry.insert("unit".into(), Value::from(unit.as_str()));
            }
            if !entry.is_empty() {
                labels.insert(var.name.clone(), Value::Object(entry));
            }
        }
        Value::Object(labels)
    }

    /// A refusal about `key`, at the line kept for `at` (a key, or a list
    /// item such as `net[1]`; its key's line when the item has none).
    pub fn error(&self, at: &str, key: &str, message: impl Into<String>) -> FileError {
        let line = self
            .lines
            .get(at)
            .or_else(|| self.lines.get(at.split('[').next().unwrap_or(at)))
            .copied();
        FileError {
            source: self.source.clone(),
            line,
            key: Some(key.to_string()),
            message: message.into(),
        }
    }
}

/// Named arguments and their values, in the file's order.
type NamedValues = Vec<(String, Value)>;

/// Every combination of the named arguments' values, the first varying slowest.
fn combinations(vars: &[Var]) -> Vec<NamedValues> {
    let mut all = vec![Vec::new()];
    for var in vars {
        let mut next = Vec::new();
        for done in &all {
            for value in &var.values {
                let mut with = done.clone();
                with.push((var.name.clone(), value.clone()));
                next.push(with);
            }
        }
        all = next;
    }
    all
}

/// A named argument's value as a program argument.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The template with every `{name}` put in.
fn fill(template: &[String], vars: &[(String, Value)]) -> Vec<String> {
    template
        .iter()
        .map(|arg| {
            let mut arg = arg.clone();
            for (name, value) in vars {
                arg = arg.replace(&format!("{{{name}}}"), &value_text(value));
            }
            arg
        })
        .collect()
}

/// The `{name}`s of a template argument.
fn placeholders(arg: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        names.push(&after[..close]);
        rest = &after[close + 1..];
    }
    names
}

/// A mistake in an experiment file: the file, line and key, and why.
/// Shown as `{source}:{line}: `{key}`: {message}`.
pub type FileError = e3_toml::KeyError;

const TOP_KEYS: &[&str] = &[
    "program",
    "demos",
    "name",
    "parties",
    "args",
    "threshold",
    "start",
    "net",
    "placement",
    "skip_unfit",
    "tls",
    "repeat",
    "timeout",
    "start_timeout",
    "hosts",
];
const HOSTS_KEYS: &[&str] = &[
    "file",
    "parties_per_host",
    "ssh_config",
    "ssh_user",
    "connect_timeout",
    "remote_python",
    "remote_dir",
    "parallel",
    "keep_connections",
    "no_sync",
];
/// The most seconds `hosts.keep_connections` takes: ssh's `ControlPersist`
/// is a C int.
const KEEP_SECS_MAX: u64 = i32::MAX as u64;

/// Names a named argument cannot take: `runs.jsonl`'s own fields.
const RESERVED: &[&str] = &[
    "run",
    "rep",
    "run_id",
    "status",
    "error",
    "started_at",
    "wall_secs",
    "log_dir",
    "party",
    "cell",
    "cell_keys",
    "labels",
    "net_hash",
    "net_source",
];

/// Reads and checks an experiment file; `source` names it in errors.
pub fn parse(text: &str, source: &str) -> Result<Experiment, FileError> {
    let doc = Doc(e3_toml::Doc { text, source });
    let root = doc.parse()?;
    let root = root.get_ref();
    let mut lines = BTreeMap::new();
    for (key, _) in e3_toml::entries(root) {
        lines.insert(key.get_ref().to_string(), doc.line(key.span().start));
    }

    let program = doc.required(
        doc.string(root, "program", "program")?,
        "program",
        "name the program to run, e.g. `program = \"secretsanta\"`",
    )?;
    let demos = doc.string(root, "demos", "demos")?;
    let name = doc.string(root, "name", "name")?;
    let parties = doc.required(
        doc.parties(root)?,
        "parties",
        "list the party counts to sweep, e.g. `parties = [3, 6]`",
    )?;
    let (args, args_spans) = doc.args(root)?;
    let vars = doc.vars(root, &args)?;
    let repeat = doc.required(
        e3_toml::get(root, "repeat")
            .map(|value| doc.count(value, "repeat", "must be at least 1"))
            .transpose()?,
        "repeat",
        "say how many runs each cell gets, e.g. `repeat = 3`",
    )?;
    let skip_unfit = match e3_toml::get(root, "skip_unfit") {
        Some(value) => value.get_ref().as_bool().ok_or_else(|| {
            doc.error(
                Some(value.span()),
                "skip_unfit",
                format!("expected true or false, found {}", kind(value.get_ref())),
            )
        })?,
        None => false,
    };
    let threshold = doc.thresholds(root, &parties, skip_unfit)?;
    let timeout_secs = match e3_toml::get(root, "timeout") {
        Some(value) => doc.count(value, "timeout", "must be at least 1 second")? as u64,
        None => DEFAULT_TIMEOUT_SECS,
    };
    let start_timeout_secs = match e3_toml::get(root, "start_timeout") {
        Some(value) => doc.count(value, "start_timeout", "must be at least 1 second")? as u64,
        None => e3_run::request::DEFAULT_START_TIMEOUT_SECS,
    };
    let hosts = doc.hosts(root, &mut lines)?;
    let net = doc.names(root, "net", "profile", &mut lines)?;
    if hosts.is_some()
        && let Some(value) = e3_toml::get(root, "net")
    {
        return Err(doc.error(
            Some(value.span()),
            "net",
            "network profiles emulate regions for local runs; with [hosts] the network is real: drop one of them",
        ));
    }
    let placement = doc.names(root, "placement", "placement", &mut lines)?;
    if let Some(value) = e3_toml::get(root, "placement")
        && net.iter().all(Option::is_none)
    {
        return Err(doc.error(
            Some(value.span()),
            "placement",
            "places parties in a network profile's regions: add `net`, or drop `placement`",
        ));
    }
    let start = doc.starts(root)?;
    let tls = doc.tls(root)?;

    let exp = Experiment {
        source: source.to_string(),
        program,
        demos,
        name,
        parties,
        args,
        vars,
        threshold,
        net,
        placement,
        start,
        tls,
        skip_unfit,
        repeat,
        timeout_secs,
        start_timeout_secs,
        hosts,
        lines,
    };
    // Every cell's arguments, as MPyC will read them, the smallest party
    // count first; a mistake points at its argument list.
    let under_profile = exp.net.iter().any(Option::is_some);
    let mut cells = exp.cells();
    cells.sort_by_key(|c| c.parties);
    for cell in &cells {
        let span = match &exp.args {
            Args::Lists(lists) => lists
                .iter()
                .position(|l| *l == cell.args)
                .and_then(|i| args_spans.get(i).cloned()),
            Args::Template(_) => args_spans.first().cloned(),
        };
        doc.check_args(cell, span, under_profile)?;
    }
    Ok(exp)
}

/// The file, for errors that point into it, and the experiment's own readers.
struct Doc<'a>(e3_toml::Doc<'a>);

impl<'a> std::ops::Deref for Doc<'a> {
    type Target = e3_toml::Doc<'a>;

    fn deref(&self) -> &e3_toml::Doc<'a> {
        &self.0
    }
}

impl Doc<'_> {
    /// The first key (in the file's order) that is not one of `known`.
    fn known_keys(
        &self,
        table: &DeTable<'_>,
        prefix: &str,
        known: &[&str],
    ) -> Result<(), FileError> {
        for (key, _) in e3_toml::entries(table) {
            let name = key.get_ref().as_ref();
            if known.contains(&name) {
                continue;
            }
            let message = if prefix.is_empty() {
                if HOSTS_KEYS.contains(&name) {
                    format!("unknown key; `{name}` belongs in the [hosts] table")
                } else {
                    unknown(name, known)
                }
            } else if TOP_KEYS.contains(&name) {
                format!(
                    "unknown key in [{}]; every key after a [{0}] header belongs to it: move `{name}` above it",
                    prefix.trim_end_matches('.')
                )
            } else {
                unknown(name, known)
            };
            return Err(self.error(Some(key.span()), &format!("{prefix}{name}"), message));
        }
        Ok(())
    }

    fn required<T>(&self, value: Option<T>, key: &str, how: &str) -> Result<T, FileError> {
        value.ok_or_else(|| self.error(None, key, format!("missing; {how}")))
    }

    /// A non-empty string, if `name` is there; `key` names it in errors.
    fn string(
        &self,
        table: &DeTable<'_>,
        name: &str,
        key: &str,
    ) -> Result<Option<String>, FileError> {
        let Some(value) = e3_toml::get(table, name) else {
            return Ok(None);
        };
        let Some(text) = value.get_ref().as_str() else {
            return Err(self.error(
                Some(value.span()),
                key,
                format!("expected a string, found {}", kind(value.get_ref())),
            ));
        };
        if text.is_empty() {
            return Err(self.error(Some(value.span()), key, "empty; give a value"));
        }
        Ok(Some(text.to_string()))
    }

    /// An integer value, whatever its sign and size.
    fn integer(
        &self,
        value: &Spanned<DeValue<'_>>,
        key: &str,
        what: &str,
    ) -> Result<i128, FileError> {
        let Some(int) = value.get_ref().as_integer() else {
            return Err(self.error(
                Some(value.span()),
                key,
                format!("expected {what}, found {}", kind(value.get_ref())),
            ));
        };
        i128::from_str_radix(int.as_str(), int.radix())
            .map_err(|_| self.error(Some(value.span()), key, format!("{int} is too large")))
    }

    /// A whole number of at least 1; `below_one` words the mistake.
    fn count(
        &self,
        value: &Spanned<DeValue<'_>>,
        key: &str,
        below_one: &str,
    ) -> Result<usize, FileError> {
        let n = self.integer(value, key, "a whole number")?;
        if n < 1 {
            return Err(self.error(Some(value.span()), key, format!("{below_one} (found {n})")));
        }
        usize::try_from(n)
            .ok()
            .filter(|&n| u64::try_from(n).is_ok())
            .ok_or_else(|| self.error(Some(value.span()), key, format!("{n} is too large")))
    }

    fn array<'t, 'i>(
        &self,
        value: &'t Spanned<DeValue<'i>>,
        key: &str,
        what: &str,
    ) -> Result<&'t DeArray<'i>, FileError> {
        match value.get_ref() {
            DeValue::Array(array) => Ok(array),
            other => Err(self.error(
                Some(value.span()),
                key,
                format!("expected {what}, found {}", kind(other)),
            )),
        }
    }

    /// `parties`: a non-empty list of distinct party counts in MPyC's range.
    fn parties(&self, table: &DeTable<'_>) -> Result<Option<Vec<usize>>, FileError> {
        let Some(value) = e3_toml::get(table, "parties") else {
            return Ok(None);
        };
        let array = self.array(value, "parties", "a list of party counts, e.g. `[3, 6]`")?;
        if array.is_empty() {
            return Err(self.error(
                Some(value.span()),
                "parties",
                "empty; list at least one party count",
            ));
        }
        let mut parties: Vec<usize> = Vec::new();
        for item in array.iter() {
            let n = self.integer(item, "parties", "a party count (a whole number)")?;
            let at = Some(item.span());
            if n < 1 {
                return Err(self.error(
                    at,
                    "parties",
                    format!("{} (found {n})", prun::LayoutError::NoParties),
                ));
            }
            let m = usize::try_from(n)
                .map_err(|_| self.error(at.clone(), "parties", format!("{n} is too large")))?;
            prun::check_party_count(m)
                .map_err(|err| self.error(at.clone(), "parties", err.to_string()))?;
            if parties.contains(&m) {
                return Err(self.error(
                    at,
                    "parties",
                    format!("{m} is listed twice; each party count is one cell"),
                ));
            }
            parties.push(m);
        }
        Ok(Some(parties))
    }

    /// `args`: a list of argument lists (each a cell), or one list of
    /// arguments with named ones in braces (a template); with its span.
    fn args(&self, table: &DeTable<'_>) -> Result<(Args, Vec<Range<usize>>), FileError> {
        let Some(value) = e3_toml::get(table, "args") else {
            return Ok((Args::Lists(vec![Vec::new()]), Vec::new()));
        };
        let what = "a list of program argument lists, e.g. `[[\"8\"], [\"16\"]]`, or one list with named arguments, e.g. `[\"{n}\"]`";
        let array = self.array(value, "args", what)?;
        if array.is_empty() {
            return Err(self.error(
                Some(value.span()),
                "args",
                "empty; leave `args` out to run the program without arguments, or write `args = [[]]`",
            ));
        }
        let span = Some(value.span());
        let strings = |list: &DeArray<'_>| -> Result<Vec<String>, FileError> {
            list.iter()
                .map(|arg| match arg.get_ref().as_str() {
                    Some(text) => Ok(text.to_string()),
                    None => Err(self.error(
                        Some(arg.span()),
                        "args",
                        format!(
                            "expected a string (program arguments are quoted, e.g. `\"8\"`), found {}",
                            kind(arg.get_ref())
                        ),
                    )),
                })
                .collect()
        };
        // A template: every item a string, at least one naming an argument.
        if array
            .iter()
            .all(|item| !matches!(item.get_ref(), DeValue::Array(_)))
        {
            let template = strings(array)?;
            if !template.iter().any(|a| !placeholders(a).is_empty()) {
                return Err(self.error(
                    span,
                    "args",
                    format!(
                        "a list of strings is one argument list with named arguments in braces, and this one names none; to sweep these as cells write `[{}]`, or for one cell `[[{}]]`",
                        template
                            .iter()
                            .map(|a| format!("[\"{a}\"]"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        template
                            .iter()
                            .map(|a| format!("\"{a}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            return Ok((Args::Template(template), vec![value.span()]));
        }
        let mut lists: Vec<Vec<String>> = Vec::new();
        let mut spans = Vec::new();
        for item in array.iter() {
            let DeValue::Array(list) = item.get_ref() else {
                return Err(self.error(
                    Some(item.span()),
                    "args",
                    format!(
                        "expected a list of program arguments, found {}; `args` is a list of lists, e.g. `[[\"8\"], [\"16\"]]`",
                        kind(item.get_ref())
                    ),
                ));
            };
            let list = strings(list)?;
            if let Some(named) = list.iter().find(|a| !placeholders(a).is_empty()) {
                return Err(self.error(
                    Some(item.span()),
                    "args",
                    format!(
                        "`{named}`: named arguments go in one list, e.g. `args = [\"{named}\"]`, not in a list of lists"
                    ),
                ));
            }
            if lists.contains(&list) {
                return Err(self.error(
                    Some(item.span()),
                    "args",
                    format!(
                        "[{}] is listed twice; each list is one cell",
                        list.join(", ")
                    ),
                ));
            }
            lists.push(list);
            spans.push(item.span());
        }
        Ok((Args::Lists(lists), spans))
    }

    /// The keys that are not e3's: named arguments when the template names
    /// them, else unknown keys. Every name in the template must be one.
    fn vars(&self, table: &DeTable<'_>, args: &Args) -> Result<Vec<Var>, FileError> {
        let named: Vec<&str> = match args {
            Args::Template(template) => template.iter().flat_map(|a| placeholders(a)).collect(),
            Args::Lists(_) => Vec::new(),
        };
        let mut vars: Vec<Var> = Vec::new();
        for (key, value) in e3_toml::entries(table) {
            let name = key.get_ref().as_ref();
            if TOP_KEYS.contains(&name) {
                continue;
            }
            if !named.contains(&name) {
                let message = if HOSTS_KEYS.contains(&name) {
                    format!("unknown key; `{name}` belongs in the [hosts] table")
                } else if let Some(near) = nearest(name, TOP_KEYS) {
                    format!("unknown key; did you mean `{near}`?")
                } else if matches!(value.get_ref(), DeValue::Array(_)) {
                    format!(
                        "unknown key; to sweep it as a program argument, name it in `args`, e.g. `args = [\"{{{name}}}\"]`"
                    )
                } else {
                    unknown(name, TOP_KEYS)
                };
                return Err(self.error(Some(key.span()), name, message));
            }
            if RESERVED.contains(&name) {
                return Err(self.error(
                    Some(key.span()),
                    name,
                    format!(
                        "`{name}` is a field of runs.jsonl; give the named argument another name"
                    ),
                ));
            }
            vars.push(self.var(name, value)?);
        }
        if let Some(missing) = named.iter().find(|n| !vars.iter().any(|v| v.name == **n)) {
            let at = e3_toml::get(table, "args").map(|v| v.span());
            let message = if missing.is_empty()
                || !missing
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                format!(
                    "`{{{missing}}}` is not a name; named arguments are letters, digits and `_`, e.g. `{{n}}`"
                )
            } else {
                format!(
                    "`{{{missing}}}` names no key; add e.g. `{missing} = [8, 16]` above any [table]"
                )
            };
            return Err(self.error(at, "args", message));
        }
        Ok(vars)
    }

    /// One named argument: a list of values, or `{ values, label, unit }`.
    fn var(&self, name: &str, value: &Spanned<DeValue<'_>>) -> Result<Var, FileError> {
        let (list, label, unit) = match value.get_ref() {
            DeValue::Table(t) => {
                self.known_keys(t, &format!("{name}."), &["values", "label", "unit"])?;
                let values = self.required(
                    e3_toml::get(t, "values"),
                    &format!("{name}.values"),
                    &format!("list the values to sweep, e.g. `{name} = {{ values = [8, 16] }}`"),
                )?;
                (
                    values,
                    self.string(t, "label", &format!("{name}.label"))?,
                    self.string(t, "unit", &format!("{name}.unit"))?,
                )
            }
            _ => (value, None, None),
        };
        let array = self.array(
            list,
            name,
            &format!("a list of values to sweep, e.g. `{name} = [8, 16]`"),
        )?;
        if array.is_empty() {
            return Err(self.error(Some(list.span()), name, "empty; list at least one value"));
        }
        let mut values: Vec<Value> = Vec::new();
        for item in array.iter() {
            let v = match item.get_ref() {
                DeValue::String(s) => Value::from(s.as_ref()),
                DeValue::Integer(_) => Value::from(self.integer(item, name, "a number")? as i64),
                DeValue::Float(f) => f
                    .as_str()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| {
                        self.error(
                            Some(item.span()),
                            name,
                            format!("{f} is not a finite number"),
                        )
                    })?,
                other => {
                    return Err(self.error(
                        Some(item.span()),
                        name,
                        format!("expected a number or a string, found {}", kind(other)),
                    ));
                }
            };
            if values.contains(&v) {
                return Err(self.error(
                    Some(item.span()),
                    name,
                    format!("{v} is listed twice; each value is one cell"),
                ));
            }
            values.push(v);
        }
        Ok(Var {
            name: name.to_string(),
            values,
            label,
            unit,
        })
    }

    /// A key that takes one value or a list of them: its items with spans.
    fn one_or_list<'t, 'i>(
        &self,
        value: &'t Spanned<DeValue<'i>>,
        key: &str,
    ) -> Result<Vec<&'t Spanned<DeValue<'i>>>, FileError> {
        match value.get_ref() {
            DeValue::Array(items) if items.is_empty() => Err(self.error(
                Some(value.span()),
                key,
                "empty; give at least one value, or leave the key out",
            )),
            DeValue::Array(items) => Ok(items.iter().collect()),
            _ => Ok(vec![value]),
        }
    }

    /// `net` or `placement`: distinct names, one or a list; each item's
    /// line is kept as `key[i]`.
    fn names(
        &self,
        table: &DeTable<'_>,
        key: &str,
        what: &str,
        lines: &mut BTreeMap<String, usize>,
    ) -> Result<Vec<Option<String>>, FileError> {
        let Some(value) = e3_toml::get(table, key) else {
            return Ok(vec![None]);
        };
        let mut names: Vec<Option<String>> = Vec::new();
        for (i, item) in self.one_or_list(value, key)?.into_iter().enumerate() {
            let Some(name) = item.get_ref().as_str().filter(|n| !n.trim().is_empty()) else {
                return Err(self.error(
                    Some(item.span()),
                    key,
                    format!(
                        "expected a {what} (a string), found {}",
                        kind(item.get_ref())
                    ),
                ));
            };
            if names.contains(&Some(name.to_string())) {
                return Err(self.error(
                    Some(item.span()),
                    key,
                    format!("`{name}` is listed twice"),
                ));
            }
            lines.insert(format!("{key}[{i}]"), self.line(item.span().start));
            names.push(Some(name.to_string()));
        }
        Ok(names)
    }

    /// `start`: `"warm"`, `"cold"`, or a list of them.
    fn starts(&self, table: &DeTable<'_>) -> Result<Vec<Option<Start>>, FileError> {
        let Some(value) = e3_toml::get(table, "start") else {
            return Ok(vec![None]);
        };
        let mut starts = Vec::new();
        for item in self.one_or_list(value, "start")? {
            let start = match item.get_ref().as_str() {
                Some("warm") => Start::Warm,
                Some("cold") => Start::Cold,
                _ => {
                    return Err(self.error(
                        Some(item.span()),
                        "start",
                        format!(
                            "expected \"warm\" or \"cold\", found {}",
                            item.get_ref()
                                .as_str()
                                .map_or(kind(item.get_ref()).to_string(), |s| format!("\"{s}\""))
                        ),
                    ));
                }
            };
            if starts.contains(&Some(start)) {
                return Err(self.error(
                    Some(item.span()),
                    "start",
                    format!("`{start}` is listed twice"),
                ));
            }
            starts.push(Some(start));
        }
        Ok(starts)
    }

    /// `tls`: `true`, `false`, or a list of them.
    fn tls(&self, table: &DeTable<'_>) -> Result<Vec<Option<bool>>, FileError> {
        let Some(value) = e3_toml::get(table, "tls") else {
            return Ok(vec![None]);
        };
        let mut values = Vec::new();
        for item in self.one_or_list(value, "tls")? {
            let Some(b) = item.get_ref().as_bool() else {
                return Err(self.error(
                    Some(item.span()),
                    "tls",
                    format!("expected true or false, found {}", kind(item.get_ref())),
                ));
            };
            if values.contains(&Some(b)) {
                return Err(self.error(Some(item.span()), "tls", format!("`{b}` is listed twice")));
            }
            values.push(Some(b));
        }
        Ok(values)
    }

    /// `threshold`: MPyC's `-T`, one or a list, each checked against every
    /// party count as `run` checks `-T` among the program arguments; with
    /// `skip_unfit`, a value need only fit one party count.
    fn thresholds(
        &self,
        table: &DeTable<'_>,
        parties: &[usize],
        skip_unfit: bool,
    ) -> Result<Vec<Option<usize>>, FileError> {
        let Some(value) = e3_toml::get(table, "threshold") else {
            return Ok(vec![None]);
        };
        let mut sorted = parties.to_vec();
        sorted.sort_unstable();
        let mut thresholds = Vec::new();
        for item in self.one_or_list(value, "threshold")? {
            let at = Some(item.span());
            let t = self.integer(item, "threshold", "a whole number")?;
            if t < 0 {
                return Err(self.error(at, "threshold", format!("must be 0 or more (found {t})")));
            }
            let t = usize::try_from(t)
                .ok()
                .filter(|t| t.checked_mul(2).is_some())
                .ok_or_else(|| self.error(at.clone(), "threshold", format!("{t} is too large")))?;
            let unfit: Vec<(usize, String)> = sorted
                .iter()
                .filter_map(|&m| prun::mpyc::check_threshold(t, m).err().map(|e| (m, e)))
                .collect();
            if let Some((_, message)) = unfit.first()
                && (!skip_unfit || unfit.len() == sorted.len())
            {
                let how = if skip_unfit {
                    "; it fits none of the party counts".to_string()
                } else {
                    "; or set `skip_unfit = true` to skip the cells it does not fit".to_string()
                };
                return Err(self.error(at, "threshold", format!("{message}{how}")));
            }
            if thresholds.contains(&Some(t)) {
                return Err(self.error(at, "threshold", format!("{t} is listed twice")));
            }
            thresholds.push(Some(t));
        }
        Ok(thresholds)
    }

    /// `[hosts]`: every setting of `run --hosts`.
    fn hosts(
        &self,
        table: &DeTable<'_>,
        lines: &mut BTreeMap<String, usize>,
    ) -> Result<Option<Hosts>, FileError> {
        let Some(value) = e3_toml::get(table, "hosts") else {
            return Ok(None);
        };
        let DeValue::Table(hosts) = value.get_ref() else {
            return Err(self.error(
                Some(value.span()),
                "hosts",
                format!(
                    "expected a table (a [hosts] header with `file = \"hosts.pssh\"` below it), found {}",
                    kind(value.get_ref())
                ),
            ));
        };
        self.known_keys(hosts, "hosts.", HOSTS_KEYS)?;
        for (key, _) in e3_toml::entries(hosts) {
            lines.insert(
                format!("hosts.{}", key.get_ref()),
                self.line(key.span().start),
            );
        }
        let file = self.required(
            self.string(hosts, "file", "hosts.file")?,
            "hosts.file",
            "name the hosts file, e.g. `file = \"hosts.pssh\"`",
        )?;
        let count = |name: &str, below_one: &str| -> Result<Option<usize>, FileError> {
            e3_toml::get(hosts, name)
                .map(|value| self.count(value, &format!("hosts.{name}"), below_one))
                .transpose()
        };
        let no_sync = match e3_toml::get(hosts, "no_sync") {
            Some(value) => value.get_ref().as_bool().ok_or_else(|| {
                self.error(
                    Some(value.span()),
                    "hosts.no_sync",
                    format!("expected true or false, found {}", kind(value.get_ref())),
                )
            })?,
            None => false,
        };
        Ok(Some(Hosts {
            file,
            parties_per_host: count(
                "parties_per_host",
                &prun::LayoutError::PerHostZero.to_string(),
            )?,
            ssh_config: self.string(hosts, "ssh_config", "hosts.ssh_config")?,
            ssh_user: self.string(hosts, "ssh_user", "hosts.ssh_user")?,
            connect_timeout: count("connect_timeout", "must be at least 1 second")?
                .map(|n| n as u64),
            remote_python: self.string(hosts, "remote_python", "hosts.remote_python")?,
            remote_dir: self.string(hosts, "remote_dir", "hosts.remote_dir")?,
            parallel: count("parallel", "must be at least 1")?,
            keep_connections: e3_toml::get(hosts, "keep_connections")
                .map(|value| {
                    let n =
                        self.integer(value, "hosts.keep_connections", "a whole number of seconds")?;
                    u64::try_from(n)
                        .ok()
                        .filter(|&n| n <= KEEP_SECS_MAX)
                        .ok_or_else(|| {
                            self.error(
                                Some(value.span()),
                                "hosts.keep_connections",
                                format!(
                                    "must be 0 (close at the end) to {KEEP_SECS_MAX} seconds, ssh's limit (found {n})"
                                ),
                            )
                        })
                })
                .transpose()?,
            no_sync,
        }))
    }

    /// A cell's arguments, checked as `run` checks its program arguments
    /// (with `threshold`'s `-T t` after them, as the runs get them); `net`
    /// when the sweep has a network profile.
    fn check_args(
        &self,
        cell: &Cell,
        span: Option<Range<usize>>,
        net: bool,
    ) -> Result<(), FileError> {
        let list = &cell.args;
        // Whether the list sets the threshold (in any spelling) as well.
        if cell.threshold.is_some()
            && let Ok(reading) = prun::mpyc::options::read(list)
            && let Some(set) = reading.last("threshold")
        {
            return Err(self.error(
                span,
                "args",
                format!(
                    "`{}` sets MPyC's -T/--threshold, and so does `threshold`; keep one",
                    list[set.args.clone()].join(" ")
                ),
            ));
        }
        let run = prun::mpyc::RunShape {
            parties: cell.parties,
            net,
            said: prun::mpyc::Said::ExperimentFile,
        };
        let named = if cell.vars.is_empty() {
            String::new()
        } else {
            format!(
                " (with {})",
                cell.vars
                    .iter()
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        prun::mpyc::check_program_args(&cell.program_args(), &run)
            .map_err(|e| self.error(span, "args", format!("{}{named}; {}", e.message, e.hint)))?;
        Ok(())
    }
}

/// "unknown key", with the nearest known key when it is close.
fn unknown(name: &str, known: &[&str]) -> String {
    match nearest(name, known) {
        Some(near) => format!("unknown key; did you mean `{near}`?"),
        None => format!(
            "unknown key; the keys are {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The known key closest to `name`: within a few edits (fewer for short
/// keys), or one containing the other.
fn nearest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let name = name.to_ascii_lowercase();
    known
        .iter()
        .map(|&k| (strsim::levenshtein(&name, k), k))
        .filter(|&(d, k)| {
            d <= (k.len() / 2).clamp(1, 3)
                || (name.len() >= 3 && (k.contains(&*name) || name.contains(k)))
        })
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(nearest("repeats", TOP_KEYS), Some("repeat"));
        assert_eq!(nearest("party", TOP_KEYS), Some("parties"));
        assert_eq!(nearest("timeout_secs", TOP_KEYS), Some("timeout"));
        assert_eq!(nearest("arg", TOP_KEYS), Some("args"));
        assert_eq!(nearest("colour", TOP_KEYS), None);
        assert_eq!(nearest("per_host", HOSTS_KEYS), Some("parties_per_host"));
    }
}
