//! The experiment file: one TOML file naming a program and the sweep to run
//! it over (party counts × program argument lists, each `repeat` times).
//!
//! ```toml
//! program = "secretsanta"      # resolved as `cargo xtask run` resolves PROGRAM
//! demos = "path/to/demos"      # optional, as --demos
//! parties = [3, 6, 12]         # the party counts to sweep
//! args = [["8"], ["16"]]       # optional: program argument lists (default: one empty list)
//! repeat = 3                   # runs per cell
//! threshold = 1                # optional: MPyC's -T for every cell
//! timeout = 600                # optional: seconds per run (default 600)
//! [hosts]                      # optional: run on hosts, as run --hosts
//! file = "hosts.pssh"
//! parties_per_host = 1         # optional, default 1
//! ```
//!
//! [`parse`] checks everything that can be checked without the machine:
//! every mistake is a [`FileError`] naming the file, the line and the key.

use std::ops::Range;

use e3_toml::{DeArray, DeTable, DeValue, Spanned, kind};

/// Seconds per run when the file gives no `timeout` (as `run --timeout`).
pub const DEFAULT_TIMEOUT_SECS: u64 = 600;

/// An experiment file, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Experiment {
    /// As `cargo xtask run` takes PROGRAM (a name in the demos folder or a
    /// path to a `.py` file); resolved by the caller.
    pub program: String,
    /// As `--demos DIR`.
    pub demos: Option<String>,
    /// The party counts to sweep, in the file's order, each in MPyC's range.
    pub parties: Vec<usize>,
    /// The program argument lists to sweep; one empty list when the file
    /// gives none.
    pub args: Vec<Vec<String>>,
    /// Runs per cell, at least 1.
    pub repeat: usize,
    /// MPyC's `-T` for every cell; below half of every party count.
    pub threshold: Option<usize>,
    /// Seconds per run, at least 1.
    pub timeout_secs: u64,
    /// Run on hosts (as `run --hosts`) rather than on this machine.
    pub hosts: Option<Hosts>,
    /// Network profiles to sweep (`run --net`), as names or paths; one
    /// `None` (no profile) when the file gives none.
    pub net: Vec<Option<String>>,
}

/// The `[hosts]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hosts {
    /// The hosts file, as given (relative paths are the caller's to resolve).
    pub file: String,
    /// At least 1.
    pub parties_per_host: usize,
}

/// One cell of the sweep: a party count and a program argument list, run
/// `repeat` times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub parties: usize,
    pub args: Vec<String>,
    /// The network profile, if the experiment sweeps them.
    pub net: Option<String>,
}

impl Experiment {
    /// Every cell, in the file's order: party counts outer, then argument
    /// lists, then network profiles.
    pub fn cells(&self) -> Vec<Cell> {
        let mut cells = Vec::new();
        for &parties in &self.parties {
            for args in &self.args {
                for net in &self.net {
                    cells.push(Cell {
                        parties,
                        args: args.clone(),
                        net: net.clone(),
                    });
                }
            }
        }
        cells
    }
}

/// A mistake in an experiment file: the file, line and key, and why.
/// Shown as `{source}:{line}: `{key}`: {message}`.
pub type FileError = e3_toml::KeyError;

const TOP_KEYS: &[&str] = &[
    "program",
    "demos",
    "parties",
    "args",
    "repeat",
    "threshold",
    "timeout",
    "net",
    "hosts",
];
const HOSTS_KEYS: &[&str] = &["file", "parties_per_host"];

/// Reads and checks an experiment file; `source` names it in errors.
pub fn parse(text: &str, source: &str) -> Result<Experiment, FileError> {
    let doc = Doc(e3_toml::Doc { text, source });
    let root = doc.parse()?;
    let root = root.get_ref();
    doc.known_keys(root, "", TOP_KEYS)?;

    let program = doc.required(
        doc.string(root, "program", "program")?,
        "program",
        "name the program to run, e.g. `program = \"secretsanta\"`",
    )?;
    let demos = doc.string(root, "demos", "demos")?;
    let parties = doc.required(
        doc.parties(root)?,
        "parties",
        "list the party counts to sweep, e.g. `parties = [3, 6]`",
    )?;
    let args = doc.args(root)?;
    let repeat = doc.required(
        e3_toml::get(root, "repeat")
            .map(|value| doc.count(value, "repeat", "must be at least 1"))
            .transpose()?,
        "repeat",
        "say how many runs each cell gets, e.g. `repeat = 3`",
    )?;
    let threshold = doc.threshold(root, &parties)?;
    let timeout_secs = match e3_toml::get(root, "timeout") {
        Some(value) => doc.count(value, "timeout", "must be at least 1 second")? as u64,
        None => DEFAULT_TIMEOUT_SECS,
    };
    let hosts = doc.hosts(root)?;
    let net = doc.net(root, hosts.is_some())?;

    let under_profile = net.iter().any(Option::is_some);
    for list in &args {
        doc.check_args(
            list.get_ref(),
            list.span(),
            &parties,
            threshold,
            under_profile,
        )?;
    }
    Ok(Experiment {
        program,
        demos,
        parties,
        args: if args.is_empty() {
            vec![Vec::new()]
        } else {
            args.into_iter().map(Spanned::into_inner).collect()
        },
        repeat,
        threshold,
        timeout_secs,
        hosts,
        net,
    })
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

    /// `net = ["lan", "e3-4regions"]`: distinct profile names (or paths),
    /// for local runs only.
    fn net(&self, table: &DeTable<'_>, on_hosts: bool) -> Result<Vec<Option<String>>, FileError> {
        let Some(value) = e3_toml::get(table, "net") else {
            return Ok(vec![None]);
        };
        if on_hosts {
            return Err(self.error(
                Some(value.span()),
                "net",
                "network profiles emulate regions for local runs; with [hosts] the network is real: drop one of them",
            ));
        }
        let list = self.array(
            value,
            "net",
            "a list of profile names, e.g. [\"lan\", \"e3-4regions\"]",
        )?;
        let mut names: Vec<Option<String>> = Vec::new();
        for item in list.iter() {
            let Some(name) = item.get_ref().as_str().filter(|n| !n.trim().is_empty()) else {
                return Err(self.error(
                    Some(item.span()),
                    "net",
                    format!("expected a profile name, found {}", kind(item.get_ref())),
                ));
            };
            if names.contains(&Some(name.to_string())) {
                return Err(self.error(
                    Some(item.span()),
                    "net",
                    format!("`{name}` is listed twice"),
                ));
            }
            names.push(Some(name.to_string()));
        }
        if names.is_empty() {
            return Err(self.error(
                Some(value.span()),
                "net",
                "empty; name at least one profile, or leave the key out",
            ));
        }
        Ok(names)
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

    /// `args`: a non-empty list of lists of strings, each with its span.
    fn args(&self, table: &DeTable<'_>) -> Result<Vec<Spanned<Vec<String>>>, FileError> {
        let Some(value) = e3_toml::get(table, "args") else {
            return Ok(Vec::new());
        };
        let what = "a list of program argument lists, e.g. `[[\"8\"], [\"16\"]]`";
        let array = self.array(value, "args", what)?;
        if array.is_empty() {
            return Err(self.error(
                Some(value.span()),
                "args",
                "empty; leave `args` out to run the program without arguments, or write `args = [[]]`",
            ));
        }
        let mut lists = Vec::new();
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
            let mut strings = Vec::new();
            for arg in list.iter() {
                match arg.get_ref().as_str() {
                    Some(text) => strings.push(text.to_string()),
                    None => {
                        return Err(self.error(
                            Some(arg.span()),
                            "args",
                            format!(
                                "expected a string (program arguments are quoted, e.g. `\"8\"`), found {}",
                                kind(arg.get_ref())
                            ),
                        ));
                    }
                }
            }
            lists.push(Spanned::new(item.span(), strings));
        }
        Ok(lists)
    }

    /// `threshold`: MPyC's `-T`, checked against every party count as
    /// `run` checks `-T` among the program arguments.
    fn threshold(
        &self,
        table: &DeTable<'_>,
        parties: &[usize],
    ) -> Result<Option<usize>, FileError> {
        let Some(value) = e3_toml::get(table, "threshold") else {
            return Ok(None);
        };
        let at = Some(value.span());
        let t = self.integer(value, "threshold", "a whole number")?;
        if t < 0 {
            return Err(self.error(at, "threshold", format!("must be 0 or more (found {t})")));
        }
        let t = usize::try_from(t)
            .ok()
            .filter(|t| t.checked_mul(2).is_some())
            .ok_or_else(|| self.error(at.clone(), "threshold", format!("{t} is too large")))?;
        let mut sorted = parties.to_vec();
        sorted.sort_unstable();
        for &m in &sorted {
            prun::mpyc::check_threshold(t, m)
                .map_err(|message| self.error(at.clone(), "threshold", message))?;
        }
        Ok(Some(t))
    }

    /// `[hosts]`.
    fn hosts(&self, table: &DeTable<'_>) -> Result<Option<Hosts>, FileError> {
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
        let file = self.required(
            self.string(hosts, "file", "hosts.file")?,
            "hosts.file",
            "name the hosts file, e.g. `file = \"hosts.pssh\"`",
        )?;
        let parties_per_host = match e3_toml::get(hosts, "parties_per_host") {
            Some(value) => self.count(
                value,
                "hosts.parties_per_host",
                &prun::LayoutError::PerHostZero.to_string(),
            )?,
            None => 1,
        };
        Ok(Some(Hosts {
            file,
            parties_per_host,
        }))
    }

    /// One argument list, checked as `run` checks its program arguments
    /// (with `threshold`'s `-T t` after them, as the runs get them), for
    /// every party count (smallest first); `net` when the sweep has a
    /// network profile.
    fn check_args(
        &self,
        list: &[String],
        span: Range<usize>,
        parties: &[usize],
        threshold: Option<usize>,
        net: bool,
    ) -> Result<(), FileError> {
        let at = Some(span);
        // Whether the list sets the threshold (in any spelling) as well.
        if threshold.is_some()
            && let Ok(reading) = prun::mpyc::options::read(list)
            && let Some(set) = reading.last("threshold")
        {
            return Err(self.error(
                at,
                "args",
                format!(
                    "`{}` sets MPyC's -T/--threshold, and so does `threshold`; keep one",
                    list[set.args.clone()].join(" ")
                ),
            ));
        }
        let mut full = list.to_vec();
        if let Some(t) = threshold {
            full.extend(["-T".to_string(), t.to_string()]);
        }
        let mut sorted = parties.to_vec();
        sorted.sort_unstable();
        for &m in &sorted {
            let run = prun::mpyc::RunShape {
                parties: m,
                net,
                said: prun::mpyc::Said::ExperimentFile,
            };
            prun::mpyc::check_program_args(&full, &run).map_err(|e| {
                self.error(at.clone(), "args", format!("{}; {}", e.message, e.hint))
            })?;
        }
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
        .map(|&k| (edit_distance(&name, k), k))
        .filter(|&(d, k)| {
            d <= (k.len() / 2).clamp(1, 3)
                || (name.len() >= 3 && (k.contains(&*name) || name.contains(k)))
        })
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("repeat", "repeat"), 0);
        assert_eq!(nearest("repeats", TOP_KEYS), Some("repeat"));
        assert_eq!(nearest("party", TOP_KEYS), Some("parties"));
        assert_eq!(nearest("timeout_secs", TOP_KEYS), Some("timeout"));
        assert_eq!(nearest("arg", TOP_KEYS), Some("args"));
        assert_eq!(nearest("colour", TOP_KEYS), None);
        assert_eq!(nearest("per_host", HOSTS_KEYS), Some("parties_per_host"));
    }
}
