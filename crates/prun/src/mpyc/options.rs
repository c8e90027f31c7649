//! MPyC 0.11's command-line options and how MPyC reads an argument list
//! with them, without Python.
//!
//! [`OPTIONS`] is `mpyc._get_arg_parser()` row by row, as `mpyc/__init__.py`
//! declares it at the tag v0.11 of lschoe/mpyc (the same file as PyPI's
//! `mpyc==0.11`). [`read`] is argparse's `parse_known_args` over that table:
//! exact option strings, unambiguous prefixes of the long ones
//! (`allow_abbrev`, on by default), `--opt=value`, `-Xvalue`, `-X=value` and
//! `-X value`, short flags run together (`-VH`, `-VI3`), values that look
//! like options (a negative number is a value, anything else starting with
//! `-` is not), `--` ending the options, and what MPyC does not know left
//! to the program.
//!
//! argparse changed its reading of a few rare spellings in Python 3.13
//! (also in late 3.12 releases): [`Argparse`] names the two, and [`read`]
//! gives a reading only where both agree. The integration test
//! `xtask/tests/mpyc_args.rs` checks every row of a table against MPyC's
//! own parser in e3's Python environment.

use std::fmt;

/// What an option does with its value, as argparse's `action` and `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `action='store_true'`: no value.
    Flag,
    /// `type=int`: one value, a whole number (the last one given counts).
    Int,
    /// One value, kept as text (the last one given counts).
    Text,
    /// `action='append'`: one value each time, all kept (`-P`).
    Append,
}

/// An option's value when the list does not set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Default {
    None,
    False,
    Int(i64),
    Text(&'static str),
}

/// One row of MPyC's option table.
#[derive(Debug, PartialEq, Eq)]
pub struct Opt {
    /// The attribute argparse sets (`options.base_port`).
    pub dest: &'static str,
    /// Its option strings, in MPyC's order (`-B`, `--base-port`).
    pub names: &'static [&'static str],
    pub kind: Kind,
    pub default: Default,
}

impl Opt {
    /// As argparse names it in its messages: `-B/--base-port`.
    pub fn name(&self) -> String {
        self.names.join("/")
    }

    /// Whether it takes a value.
    pub fn takes_value(&self) -> bool {
        self.kind != Kind::Flag
    }

    /// Its longest option string (`--base-port`, or `-P`).
    pub fn long(&self) -> &'static str {
        self.names.last().expect("every option has a name")
    }
}

const fn opt(
    dest: &'static str,
    names: &'static [&'static str],
    kind: Kind,
    default: Default,
) -> Opt {
    Opt {
        dest,
        names,
        kind,
        default,
    }
}

/// `mpyc._get_arg_parser()` of MPyC 0.11, in its order (`add_help=False`,
/// so `-h` is MPyC's own; `parser.set_defaults` gives `bit_length=32`,
/// `sec_param=30`, `log_level='info'`).
pub const OPTIONS: &[Opt] = &[
    // MPyC help
    opt("VERSION", &["-V", "--VERSION"], Kind::Flag, Default::False),
    opt("HELP", &["-H", "--HELP"], Kind::Flag, Default::False),
    opt("help", &["-h", "--help"], Kind::Flag, Default::False),
    // MPyC configuration
    opt("config", &["-C", "--config"], Kind::Text, Default::None),
    opt("parties", &["-P"], Kind::Append, Default::None),
    opt("M", &["-M"], Kind::Int, Default::None),
    opt("index", &["-I", "--index"], Kind::Int, Default::None),
    opt(
        "threshold",
        &["-T", "--threshold"],
        Kind::Int,
        Default::None,
    ),
    opt(
        "base_port",
        &["-B", "--base-port"],
        Kind::Int,
        Default::None,
    ),
    opt("ssl", &["--ssl"], Kind::Flag, Default::False),
    opt("workers", &["-W", "--workers"], Kind::Int, Default::None),
    // MPyC parameters
    opt(
        "bit_length",
        &["-L", "--bit-length"],
        Kind::Int,
        Default::Int(32),
    ),
    opt(
        "sec_param",
        &["-K", "--sec-param"],
        Kind::Int,
        Default::Int(30),
    ),
    opt(
        "log_level",
        &["--log-level"],
        Kind::Text,
        Default::Text("info"),
    ),
    opt("no_log", &["--no-log"], Kind::Flag, Default::False),
    opt("no_async", &["--no-async"], Kind::Flag, Default::False),
    opt("no_barrier", &["--no-barrier"], Kind::Flag, Default::False),
    opt("no_gmpy2", &["--no-gmpy2"], Kind::Flag, Default::False),
    opt("no_numpy", &["--no-numpy"], Kind::Flag, Default::False),
    opt("no_uvloop", &["--no-uvloop"], Kind::Flag, Default::False),
    opt("no_prss", &["--no-prss"], Kind::Flag, Default::False),
    opt(
        "mix32_64bit",
        &["--mix32-64bit"],
        Kind::Flag,
        Default::False,
    ),
    // MPyC misc
    opt(
        "output_windows",
        &["--output-windows"],
        Kind::Flag,
        Default::False,
    ),
    opt(
        "output_file",
        &["--output-file"],
        Kind::Flag,
        Default::False,
    ),
    opt("f", &["-f"], Kind::Text, Default::Text("")),
];

/// The row of `dest`.
pub fn by_dest(dest: &str) -> &'static Opt {
    OPTIONS
        .iter()
        .find(|o| o.dest == dest)
        .unwrap_or_else(|| panic!("MPyC has no option with dest {dest}"))
}

/// Every option string with its row, in the order argparse keeps them
/// (which orders its "could match" lists).
fn option_strings() -> impl Iterator<Item = (&'static str, &'static Opt)> {
    OPTIONS
        .iter()
        .flat_map(|o| o.names.iter().map(move |&n| (n, o)))
}

fn exact(name: &str) -> Option<(&'static str, &'static Opt)> {
    option_strings().find(|&(n, _)| n == name)
}

/// argparse's two readings of the rare spellings it changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Argparse {
    /// Python 3.10 to 3.12 (3.10.13, 3.11.7 and 3.12.1 tried): `-V=H` is
    /// `-V -H`; after a run of short flags, `-VT=2` gives `-T` the value
    /// `=2`, and an unknown letter (`-Vx`) stops MPyC; `--threshold=--`
    /// is an empty list.
    Before313,
    /// Python 3.13 (3.13.0 tried; later releases and late 3.12 ones read
    /// the same): `-V=H` stops MPyC; `-VT=2` is `-V -T 2`; `-Vx` is `-V`
    /// with `-x` left to the program; `--threshold=--` is the text `--`.
    From313,
}

impl Argparse {
    pub const BOTH: [Argparse; 2] = [Argparse::Before313, Argparse::From313];
}

/// A value as argparse stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A flag's `True`.
    True,
    /// A whole number in decimal, as Python's `int()` read it (any size).
    Int(String),
    Text(String),
    /// What argparse before 3.13 makes of `--opt=--`: it drops the `--`
    /// and stores an empty list.
    EmptyList,
}

impl Value {
    /// As Python's `repr()` shows it.
    pub fn repr(&self) -> String {
        match self {
            Value::True => "True".into(),
            Value::Int(n) => n.clone(),
            Value::Text(text) => py_repr(text),
            Value::EmptyList => "[]".into(),
        }
    }

    /// The number, when it is one that fits.
    pub fn as_int(&self) -> Option<i128> {
        match self {
            Value::Int(n) => n.parse().ok(),
            _ => None,
        }
    }
}

/// One option MPyC takes from the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Set {
    pub opt: &'static Opt,
    /// The option string MPyC matched (`--base-port` for `--base`).
    pub option: &'static str,
    pub value: Value,
    /// The arguments it came from: one (shared with others in `-VI3`),
    /// or the option and its value.
    pub args: std::ops::Range<usize>,
}

impl Set {
    /// How MPyC reads it, spelled out: `--base-port 12000`, `-V`.
    pub fn read_as(&self) -> String {
        match &self.value {
            Value::True => self.option.to_string(),
            Value::Int(n) => format!("{} {n}", self.option),
            Value::Text(text) => format!("{} {}", self.option, shell_word(text)),
            Value::EmptyList => format!("{} []", self.option),
        }
    }
}

/// MPyC's reading of an argument list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    /// The options MPyC takes, in order.
    pub sets: Vec<Set>,
    /// What MPyC leaves to the program, in order (`sys.argv[1:]` after
    /// `mpyc.runtime` has read its options).
    pub rest: Vec<String>,
    /// Where the first `--` is: MPyC reads no option after it.
    pub end_of_options: Option<usize>,
}

impl Reading {
    /// The last value given to `dest` (what argparse keeps), if any.
    pub fn last(&self, dest: &str) -> Option<&Set> {
        self.sets.iter().rev().find(|s| s.opt.dest == dest)
    }

    /// Whether MPyC logs at info level, where it says `All m parties
    /// connected.` (and its start and stop lines): not with `--no-log`,
    /// `-V` or `-H`, nor with a `--log-level` above info, read as
    /// `mpyc/__init__.py` reads it (its first character: N, D, I, W, E, C
    /// or a digit 0-5; anything else is 0, everything logged).
    pub fn logs_info(&self) -> bool {
        let set = |dest: &str| self.last(dest).is_some_and(|s| s.value == Value::True);
        if set("no_log") || set("VERSION") || set("HELP") {
            return false;
        }
        let level = match self.last("log_level").map(|s| &s.value) {
            Some(Value::Text(text)) => text.chars().next().map(|c| c.to_ascii_uppercase()),
            Some(Value::Int(digits)) => digits.chars().next(),
            _ => Some('I'),
        };
        let level = match level {
            Some('N') | Some('D') | Some('I') => 0,
            Some('W') | Some('E') | Some('C') => 3,
            Some(c @ '0'..='5') => c as u8 - b'0',
            _ => 0,
        };
        level <= 2
    }

    /// argparse's namespace: every dest of [`OPTIONS`] with its value as
    /// Python's `repr()` shows it, defaults included.
    pub fn namespace(&self) -> Vec<(&'static str, String)> {
        OPTIONS
            .iter()
            .map(|opt| {
                let given: Vec<&Set> = self.sets.iter().filter(|s| s.opt == opt).collect();
                let repr = match (opt.kind, given.last()) {
                    (Kind::Append, Some(_)) => format!(
                        "[{}]",
                        given
                            .iter()
                            .map(|s| s.value.repr())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    (_, Some(last)) => last.value.repr(),
                    (_, None) => match opt.default {
                        Default::None => "None".into(),
                        Default::False => "False".into(),
                        Default::Int(n) => n.to_string(),
                        Default::Text(text) => py_repr(text),
                    },
                };
                (opt.dest, repr)
            })
            .collect()
    }
}

/// Why MPyC would stop at once (argparse's error, exit status 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `--b` could be `--base-port` or `--bit-length`.
    Ambiguous { matches: Vec<&'static str> },
    /// An option that takes a value has none after it.
    ExpectedOne { opt: &'static Opt },
    /// A flag given a value (`--ssl=1`, or `-Vx` before Python 3.13).
    IgnoredExplicit { opt: &'static Opt, value: String },
    /// `-T two`.
    InvalidInt { opt: &'static Opt, value: String },
}

/// Where MPyC's reading of a list stops being e3's to tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// MPyC (every Python version) stops at the argument `at`.
    Stops { at: usize, stop: Stop },
    /// e3 cannot tell how MPyC reads the argument `at`.
    Unsure { at: usize, why: Unsure },
}

/// Why e3 cannot tell how MPyC reads an argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsure {
    /// argparse reads it one way before Python 3.13 and another from 3.13
    /// on (see [`Argparse`]).
    Versions,
    /// It has digits other than 0-9, which Python reads as numbers
    /// (`int()`, and `\d` in argparse's test for a negative number).
    Digits,
}

impl fmt::Display for Unsure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unsure::Versions => {
                "Python's argparse reads it one way before Python 3.13 and another from 3.13 on"
            }
            Unsure::Digits => "it has digits other than 0-9, which Python may read as a number",
        })
    }
}

impl Stop {
    /// argparse's own message (after `error: `).
    pub fn message(&self, arg: &str) -> String {
        match self {
            Stop::Ambiguous { matches } => {
                format!("ambiguous option: {arg} could match {}", matches.join(", "))
            }
            Stop::ExpectedOne { opt } => format!("argument {}: expected one argument", opt.name()),
            Stop::IgnoredExplicit { opt, value } => format!(
                "argument {}: ignored explicit argument {}",
                opt.name(),
                py_repr(value)
            ),
            Stop::InvalidInt { opt, value } => format!(
                "argument {}: invalid int value: {}",
                opt.name(),
                py_repr(value)
            ),
        }
    }
}

/// MPyC's reading of `args`, when every Python version MPyC 0.11 runs on
/// reads it the same way.
pub fn read(args: &[String]) -> Result<Reading, ReadError> {
    let old = read_as(args, Argparse::Before313);
    let new = read_as(args, Argparse::From313);
    if old == new {
        return old;
    }
    // Where they part: the shortest start of the list they read apart.
    let at = (1..=args.len())
        .find(|&k| {
            read_as(&args[..k], Argparse::Before313) != read_as(&args[..k], Argparse::From313)
        })
        .map_or(0, |k| k - 1);
    Err(ReadError::Unsure {
        at,
        why: Unsure::Versions,
    })
}

/// The part of an argument after its option, and how it was joined.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Explicit {
    /// `--opt=value` or `-X=value` (not `-Xvalue`).
    eq: bool,
    text: String,
}

/// argparse's first look at an argument.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Class {
    /// A value, or something for the program (`A`).
    Value,
    /// An option MPyC knows, as matched (`O`).
    Known {
        opt: &'static Opt,
        option: &'static str,
        explicit: Option<Explicit>,
    },
    /// An option MPyC does not know (`O`): left to the program.
    Unknown,
}

/// MPyC's reading of `args` by one version of argparse.
pub fn read_as(args: &[String], argparse: Argparse) -> Result<Reading, ReadError> {
    // argparse classifies every argument before `--` first, and stops at
    // an ambiguous prefix there.
    let mut classes = Vec::with_capacity(args.len());
    let mut end_of_options = None;
    for (i, arg) in args.iter().enumerate() {
        if arg == "--" {
            end_of_options = Some(i);
            break;
        }
        classes.push(classify(arg).map_err(|stop| match stop {
            Classify::Stop(stop) => ReadError::Stops { at: i, stop },
            Classify::Unsure(why) => ReadError::Unsure { at: i, why },
        })?);
    }
    let mut reading = Reading {
        end_of_options,
        ..Reading::default()
    };
    let mut i = 0;
    while i < classes.len() {
        match &classes[i] {
            Class::Value | Class::Unknown => {
                reading.rest.push(args[i].clone());
                i += 1;
            }
            Class::Known {
                opt,
                option,
                explicit,
            } => {
                i = consume(
                    args,
                    &classes,
                    i,
                    (opt, option, explicit.clone()),
                    argparse,
                    &mut reading,
                )?;
            }
        }
    }
    reading.rest.extend(args[classes.len()..].iter().cloned());
    Ok(reading)
}

enum Classify {
    Stop(Stop),
    Unsure(Unsure),
}

/// argparse's `_parse_optional`: a value, an option it knows (and how it
/// was written), or one it does not.
fn classify(arg: &str) -> Result<Class, Classify> {
    if !arg.starts_with('-') {
        return Ok(Class::Value);
    }
    if let Some((option, opt)) = exact(arg) {
        return Ok(Class::Known {
            opt,
            option,
            explicit: None,
        });
    }
    if arg == "-" {
        return Ok(Class::Value);
    }
    if let Some((before, after)) = arg.split_once('=')
        && let Some((option, opt)) = exact(before)
    {
        return Ok(Class::Known {
            opt,
            option,
            explicit: Some(Explicit {
                eq: true,
                text: after.to_string(),
            }),
        });
    }
    let mut matches = option_tuples(arg);
    if matches.len() > 1 {
        return Err(Classify::Stop(Stop::Ambiguous {
            matches: matches.iter().map(|m| m.1).collect(),
        }));
    }
    if let Some((opt, option, explicit)) = matches.pop() {
        return Ok(Class::Known {
            opt,
            option,
            explicit,
        });
    }
    match negative_number(arg) {
        Some(true) => return Ok(Class::Value),
        None => {
            return Err(Classify::Unsure(Unsure::Digits));
        }
        Some(false) => {}
    }
    if arg.contains(' ') {
        return Ok(Class::Value);
    }
    Ok(Class::Unknown)
}

type Tuple = (&'static Opt, &'static str, Option<Explicit>);

/// argparse's `_get_option_tuples`: the options `arg` may mean.
fn option_tuples(arg: &str) -> Vec<Tuple> {
    if let Some(long) = arg.strip_prefix("--") {
        // A prefix of a long option, with `=value` split off.
        let (prefix, explicit) = match long.split_once('=') {
            Some((prefix, value)) => (
                prefix,
                Some(Explicit {
                    eq: true,
                    text: value.to_string(),
                }),
            ),
            None => (long, None),
        };
        let prefix = format!("--{prefix}");
        option_strings()
            .filter(|(name, _)| name.starts_with(&prefix))
            .map(|(name, opt)| (opt, name, explicit.clone()))
            .collect()
    } else {
        // `-Xrest`: the short option `-X` with `rest` after it. (argparse
        // also tries `arg` as a prefix of longer single-dash options,
        // which MPyC has none of.)
        let mut chars = arg.char_indices();
        chars.next();
        let Some((_, _)) = chars.next() else {
            return Vec::new();
        };
        let split = chars.next().map_or(arg.len(), |(at, _)| at);
        let (short, rest) = arg.split_at(split);
        option_strings()
            .filter(|(name, _)| *name == short)
            .map(|(name, opt)| {
                (
                    opt,
                    name,
                    Some(Explicit {
                        eq: false,
                        text: rest.to_string(),
                    }),
                )
            })
            .collect()
    }
}

/// Python's `^-\d+$|^-\d*\.\d+$` (where `$` also matches before a last
/// newline); `None` when the digits are not all ASCII, which `\d` reads
/// too and this model does not.
fn negative_number(arg: &str) -> Option<bool> {
    let body = arg.strip_prefix('-').unwrap_or(arg);
    let body = body.strip_suffix('\n').unwrap_or(body);
    if body.chars().any(|c| !c.is_ascii() && c.is_numeric()) {
        return None;
    }
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    Some(match body.split_once('.') {
        None => !body.is_empty() && digits(body),
        Some((whole, fraction)) => digits(whole) && !fraction.is_empty() && digits(fraction),
    })
}

/// argparse's `consume_optional` from argument `i`: the option there, run
/// together with others or with its value, or taking the next argument.
fn consume(
    args: &[String],
    classes: &[Class],
    i: usize,
    first: (&'static Opt, &'static str, Option<Explicit>),
    argparse: Argparse,
    reading: &mut Reading,
) -> Result<usize, ReadError> {
    let (mut opt, mut option, mut explicit) = first;
    let stops = |stop: Stop| ReadError::Stops { at: i, stop };
    // Options taken from this argument, with their raw values.
    let mut taken: Vec<(&'static Opt, &'static str, Option<String>)> = Vec::new();
    let stop = loop {
        match explicit.take() {
            Some(value) => {
                let single_dash = !option.starts_with("--");
                if !opt.takes_value() && single_dash && !value.text.is_empty() {
                    // Short flags run together: `-VH`, `-VI3`.
                    if argparse == Argparse::From313 && (value.eq || value.text.starts_with('-')) {
                        return Err(stops(Stop::IgnoredExplicit {
                            opt,
                            value: value.text,
                        }));
                    }
                    taken.push((opt, option, None));
                    let mut rest = value.text.chars();
                    let next = format!("-{}", rest.next().expect("not empty"));
                    let rest = rest.as_str();
                    match exact(&next) {
                        Some((name, next_opt)) => {
                            opt = next_opt;
                            option = name;
                            explicit = match argparse {
                                _ if rest.is_empty() => None,
                                Argparse::Before313 => Some(Explicit {
                                    eq: false,
                                    text: rest.to_string(),
                                }),
                                Argparse::From313 => Some(match rest.strip_prefix('=') {
                                    Some(after) => Explicit {
                                        eq: true,
                                        text: after.to_string(),
                                    },
                                    None => Explicit {
                                        eq: false,
                                        text: rest.to_string(),
                                    },
                                }),
                            };
                        }
                        None => match argparse {
                            Argparse::Before313 => {
                                return Err(stops(Stop::IgnoredExplicit {
                                    opt,
                                    value: value.text,
                                }));
                            }
                            Argparse::From313 => {
                                reading.rest.push(format!("-{}", value.text));
                                break i + 1;
                            }
                        },
                    }
                } else if opt.takes_value() {
                    taken.push((opt, option, Some(value.text)));
                    break i + 1;
                } else {
                    return Err(stops(Stop::IgnoredExplicit {
                        opt,
                        value: value.text,
                    }));
                }
            }
            None if !opt.takes_value() => {
                taken.push((opt, option, None));
                break i + 1;
            }
            None => match classes.get(i + 1) {
                Some(Class::Value) => {
                    taken.push((opt, option, Some(args[i + 1].clone())));
                    break i + 2;
                }
                // Another option, `--` or the end: no value for it.
                _ => return Err(stops(Stop::ExpectedOne { opt })),
            },
        }
    };
    for (opt, option, raw) in taken {
        let value = match raw {
            None => Value::True,
            // Before 3.13 argparse drops a `--` from an option's values.
            Some(raw) if raw == "--" && argparse == Argparse::Before313 => Value::EmptyList,
            Some(raw) if opt.kind == Kind::Int => match python_int(&raw) {
                Ok(n) => Value::Int(n),
                Err(IntError::Invalid) => {
                    return Err(stops(Stop::InvalidInt { opt, value: raw }));
                }
                Err(IntError::Unsure) => {
                    return Err(ReadError::Unsure {
                        at: i,
                        why: Unsure::Digits,
                    });
                }
            },
            Some(raw) => Value::Text(raw),
        };
        reading.sets.push(Set {
            opt,
            option,
            value,
            args: i..stop,
        });
    }
    Ok(stop)
}

enum IntError {
    Invalid,
    Unsure,
}

/// Python's `int(text)`: blanks around, a sign, decimal digits with single
/// underscores between them; the number in plain decimal.
fn python_int(text: &str) -> Result<String, IntError> {
    let blank = |c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c);
    let text = text.trim_matches(blank);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.chars().any(|c| !c.is_ascii() && c.is_numeric()) {
        return Err(IntError::Unsure);
    }
    let well_formed = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(IntError::Invalid);
    }
    let plain: String = digits.chars().filter(|c| c.is_ascii_digit()).collect();
    let plain = plain.trim_start_matches('0');
    Ok(match (plain.is_empty(), negative) {
        (true, _) => "0".to_string(),
        (false, true) => format!("-{plain}"),
        (false, false) => plain.to_string(),
    })
}

/// Python's `repr()` of a string (printable ASCII and other letters as
/// they are, the rest escaped).
pub fn py_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || (c.is_whitespace() && c != ' ') => {
                let n = c as u32;
                match n {
                    0..=0xff => out.push_str(&format!("\\x{n:02x}")),
                    0x100..=0xffff => out.push_str(&format!("\\u{n:04x}")),
                    _ => out.push_str(&format!("\\U{n:08x}")),
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A value as one would type it in a shell (quoted when it needs it).
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/=+@%".contains(c));
    match plain {
        true => text.to_string(),
        false => format!("'{}'", text.replace('\'', "'\\''")),
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// Which arguments leave MPyC's info lines (`All m parties
    /// connected.`) in the log, as mpyc/__init__.py sets its level.
    #[test]
    fn which_arguments_log_at_info() {
        for (list, logs) in [
            (&[][..], true),
            (&["8"][..], true),
            (&["--log-level", "debug"][..], true),
            (&["--log-level=info"][..], true),
            (&["--log-level", "2"][..], true),
            (&["--log-level", "quiet"][..], true),
            (&["--log-level", "warning"][..], false),
            (&["--log-level", "Error"][..], false),
            (&["--log-level", "3"][..], false),
            (&["--log-l", "w"][..], false),
            (&["--no-log"][..], false),
            (&["--no-log", "--log-level", "debug"][..], false),
            (&["-V"][..], false),
        ] {
            assert_eq!(read(&args(list)).unwrap().logs_info(), logs, "{list:?}");
        }
    }

    /// A reading as `dest=value` pairs and what is left.
    fn short(list: &[&str]) -> String {
        match read(&args(list)) {
            Ok(r) => {
                let sets: Vec<String> = r
                    .sets
                    .iter()
                    .map(|s| format!("{}={}", s.opt.dest, s.value.repr()))
                    .collect();
                format!("{} | {:?}", sets.join(" "), r.rest)
            }
            Err(ReadError::Stops { at, stop }) => {
                format!("stops at {at}: {}", stop.message(list[at]))
            }
            Err(ReadError::Unsure { at, .. }) => format!("unsure at {at}"),
        }
    }

    #[test]
    fn the_table_is_mpycs() {
        // 25 options; every option string once; dests as MPyC names them.
        assert_eq!(OPTIONS.len(), 25);
        let mut names: Vec<&str> = option_strings().map(|(n, _)| n).collect();
        assert_eq!(names.len(), 35);
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 35);
        assert_eq!(by_dest("base_port").name(), "-B/--base-port");
        assert_eq!(by_dest("parties").kind, Kind::Append);
    }

    #[test]
    fn spellings() {
        assert_eq!(short(&["--base", "12000"]), "base_port=12000 | []");
        assert_eq!(short(&["--thr=2", "x"]), "threshold=2 | [\"x\"]");
        assert_eq!(short(&["-T2"]), "threshold=2 | []");
        assert_eq!(short(&["-T=2"]), "threshold=2 | []");
        assert_eq!(short(&["-VI3", "x"]), "VERSION=True index=3 | [\"x\"]");
        assert_eq!(short(&["-T", "-1"]), "threshold=-1 | []");
        assert_eq!(short(&["-T", " +0_1 "]), "threshold=1 | []");
        assert_eq!(
            short(&["3", "--", "-I", "1"]),
            " | [\"3\", \"--\", \"-I\", \"1\"]"
        );
        assert_eq!(
            short(&["--size", "3", "-x", "-1e3"]),
            " | [\"--size\", \"3\", \"-x\", \"-1e3\"]"
        );
        assert_eq!(
            short(&["--b", "1"]),
            "stops at 0: ambiguous option: --b could match --base-port, --bit-length"
        );
        assert_eq!(
            short(&["-T", "-I"]),
            "stops at 0: argument -T/--threshold: expected one argument"
        );
        assert_eq!(
            short(&["--ssl=1"]),
            "stops at 0: argument --ssl: ignored explicit argument '1'"
        );
        assert_eq!(
            short(&["-L", "1__0"]),
            "stops at 0: argument -L/--bit-length: invalid int value: '1__0'"
        );
        // Read differently before and from Python 3.13.
        assert_eq!(short(&["-Vx"]), "unsure at 0");
        assert_eq!(short(&["1", "-V=H"]), "unsure at 1");
        assert_eq!(short(&["-VT=2"]), "unsure at 0");
        assert_eq!(short(&["-T=--"]), "unsure at 0");
    }

    #[test]
    fn repr_as_python() {
        assert_eq!(py_repr("x"), "'x'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(py_repr("\t\u{1}é"), "'\\t\\x01é'");
    }
}
