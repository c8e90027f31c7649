//! What e3 knows of MPyC's command line and log lines.

pub mod options;

use std::fmt;

use options::{ReadError, Reading, Set, Stop, Unsure};

/// A party's figures from MPyC's last log line,
/// `Stop MPyC -- elapsed time: 0:00:00.967|bytes sent: 31563`.
#[derive(Clone, Debug, PartialEq)]
pub struct StopLine {
    /// As MPyC printed it (`H:MM:SS.fff`).
    pub elapsed: String,
    pub elapsed_secs: f64,
    pub bytes_sent: u64,
}

/// Reads a `Stop MPyC` line, wherever it stands in a log line (MPyC puts a
/// timestamp before it).
pub fn parse_stop_line(line: &str) -> Option<StopLine> {
    let rest =
        &line[line.find("Stop MPyC -- elapsed time: ")? + "Stop MPyC -- elapsed time: ".len()..];
    let (elapsed, rest) = rest.split_once("|bytes sent: ")?;
    let bytes_sent = rest.trim().parse().ok()?;
    let elapsed = elapsed.trim();
    Some(StopLine {
        elapsed: elapsed.to_string(),
        elapsed_secs: parse_elapsed(elapsed)?,
        bytes_sent,
    })
}

/// `H:MM:SS[.ffffff]`, or with a day count as Python's timedelta prints
/// it (`1 day, 2:00:00`), in seconds.
fn parse_elapsed(text: &str) -> Option<f64> {
    let (days, clock) = match text.split_once(", ") {
        Some((days, clock)) => (days.split_whitespace().next()?.parse::<f64>().ok()?, clock),
        None => (0.0, text),
    };
    let mut parts = clock.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some(days * 86400.0 + h * 3600.0 + m * 60.0 + s)
}

/// MPyC's `All m parties connected.` (or `... connected via SSL.`).
pub fn is_connected_line(line: &str) -> bool {
    line.contains(" parties connected") && line.contains("All ")
}

/// Where program arguments were given, for hints that name e3's own way
/// of saying the same: a flag of `run`, or a key of an experiment file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Said {
    Flags,
    ExperimentFile,
}

/// The run program arguments are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunShape {
    pub parties: usize,
    /// Parties reach each other through relays (`run --net`).
    pub net: bool,
    pub said: Said,
}

/// Why e3 refuses program arguments: what MPyC would make of them, and
/// what to do instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgsError {
    pub message: String,
    pub hint: String,
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ArgsError {}

/// Checks the program arguments of a run as MPyC 0.11 will read them
/// (whatever the spelling: see [`options`]): MPyC must not stop at them,
/// they must not set what e3 gives every party (its index, the party
/// list, the ports) nor end MPyC's options before e3's own, and a
/// threshold must suit the party count. Returns MPyC's reading.
pub fn check_program_args(args: &[String], run: &RunShape) -> Result<Reading, ArgsError> {
    let reading = options::read(args).map_err(|err| refuse_reading(args, &err))?;
    for set in &reading.sets {
        if let Some((what, hint)) = owned(set, run, &written(&args[set.args.clone()])) {
            return Err(ArgsError {
                message: format!("{}: {what}", is_mpycs(args, &reading, set)),
                hint,
            });
        }
    }
    if let Some(at) = reading.end_of_options {
        return Err(ArgsError {
            message: format!(
                "program argument `{}` ends MPyC's options: MPyC would not read the -I and -P that e3 puts after the program arguments, and every party would run alone",
                args[at]
            ),
            hint: "remove it: MPyC leaves the options it does not know to the program".into(),
        });
    }
    if let Some(set) = reading.last("threshold") {
        check_threshold_set(args, &reading, set, run)?;
    }
    Ok(reading)
}

/// Whether MPyC, given `args`, logs the info lines e3 reads (`All m
/// parties connected.`): see [`options::Reading::logs_info`]. Arguments MPyC
/// would not read are refused elsewhere; here they count as logging.
pub fn logs_connections(args: &[String]) -> bool {
    options::read(args).map_or(true, |r| r.logs_info())
}

/// The experiment file's `threshold = t` against `m` parties.
pub fn check_threshold(t: usize, m: usize) -> Result<(), String> {
    match t.checked_mul(2).is_some_and(|twice| twice < m) {
        true => Ok(()),
        false => Err(format!(
            "MPyC threshold {t} is too high for {m} parties: it must be below half the parties (at most {})",
            max_threshold(m)
        )),
    }
}

/// The highest threshold `m` parties allow (2t < m).
fn max_threshold(m: usize) -> usize {
    m.saturating_sub(1) / 2
}

fn check_threshold_set(
    args: &[String],
    reading: &Reading,
    set: &Set,
    run: &RunShape,
) -> Result<(), ArgsError> {
    let m = run.parties;
    let max = max_threshold(m);
    let more = match run.said {
        Said::Flags => "more --parties",
        Said::ExperimentFile => "more parties",
    };
    let lower = format!("give `-T {max}` or lower, or run {more}");
    let text = match &set.value {
        options::Value::Int(text) => text,
        other => unreachable!("the threshold is a whole number, not {other:?}"),
    };
    let verb = if set.args.len() == 1 { "sets" } else { "set" };
    let sets = format!(
        "{} {verb} MPyC's threshold to {text}",
        in_program_args(args, reading, set)
    );
    if text.starts_with('-') {
        return Err(ArgsError {
            message: format!("{sets}: it must be 0 or more"),
            hint: format!("give a threshold from 0 to {max} (`-T {max}`) for {m} parties"),
        });
    }
    let fits = set
        .value
        .as_int()
        .and_then(|t| usize::try_from(t).ok())
        .is_some_and(|t| check_threshold(t, m).is_ok());
    match fits {
        true => Ok(()),
        false => Err(ArgsError {
            message: format!(
                "{sets}: too high for {m} parties, it must be below half the parties (at most {max})"
            ),
            hint: lower,
        }),
    }
}

/// What a list's option contradicts in e3's party table (or, for
/// MPyC's launcher's own options, cannot do under e3), and the hint.
fn owned(set: &Set, run: &RunShape, written: &str) -> Option<(&'static str, String)> {
    let flags = run.said == Said::Flags;
    let remove = format!("remove `{written}`");
    let the_list = match flags {
        true => format!("{remove}: e3 makes the party list from --parties N (and --hosts FILE)"),
        false => format!("{remove}: e3 makes the party list from `parties` (and [hosts])"),
    };
    Some(match set.opt.dest {
        "index" => ("e3 gives every party its own index", remove),
        "parties" => ("e3 gives every party the whole party list", the_list),
        "config" => (
            "an ini file lists all the parties, and e3 gives every party the party list itself",
            the_list,
        ),
        "M" => (
            "that is MPyC's own launcher, and e3 starts the parties itself",
            match flags {
                true => "give e3 `--parties N` instead".into(),
                false => "list the party counts in `parties` instead".into(),
            },
        ),
        "base_port" => (
            match run.net {
                true => {
                    "MPyC would give every party port b+i instead of e3's, so under a network profile the parties would connect to each other directly, bypassing the relays that give the links their delays"
                }
                false => "MPyC would give every party port b+i instead of the ports e3 reserved",
            },
            match flags {
                true => "give e3 `--base-port PORT` instead".into(),
                false => format!("{remove}: e3 chooses the ports"),
            },
        ),
        "ssl" => (
            "its TLS wants a certificate and key per party and a CA in .config/, which e3 makes fresh for every run",
            match flags {
                true => format!("{remove} and give e3 `--tls` instead"),
                false => {
                    format!("{remove} and set `tls = true` (or `tls = [false, true]`) instead")
                }
            },
        ),
        "output_windows" | "output_file" => (
            "it works only with MPyC's own launcher (-M), and e3 starts the parties itself",
            format!("{remove}: every party's output is in logs/<run-id>/party-<i>.log"),
        ),
        _ => return None,
    })
}

/// "program arguments `--ind 0` (read as `--index 0`) are MPyC's -I/--index".
fn is_mpycs(args: &[String], reading: &Reading, set: &Set) -> String {
    let verb = if set.args.len() == 1 { "is" } else { "are" };
    format!(
        "{} {verb} MPyC's {}",
        in_program_args(args, reading, set),
        set.opt.name()
    )
}

/// "program arguments `--ind 0`", with how MPyC reads them when that is
/// spelled otherwise: " (read as `--index 0`)".
fn in_program_args(args: &[String], reading: &Reading, set: &Set) -> String {
    let written = written(&args[set.args.clone()]);
    let read_as: Vec<String> = reading
        .sets
        .iter()
        .filter(|s| s.args == set.args)
        .map(Set::read_as)
        .collect();
    let read_as = read_as.join(" ");
    let note = match read_as == written {
        true => String::new(),
        false => format!(" (read as `{read_as}`)"),
    };
    let noun = match set.args.len() {
        1 => "argument",
        _ => "arguments",
    };
    format!("program {noun} `{written}`{note}")
}

fn written(args: &[String]) -> String {
    args.iter()
        .map(|a| options::shell_word(a))
        .collect::<Vec<_>>()
        .join(" ")
}

fn refuse_reading(args: &[String], err: &ReadError) -> ArgsError {
    match err {
        ReadError::Stops { at, stop } => {
            let arg = &args[*at];
            let hint = match stop {
                Stop::Ambiguous { matches } => {
                    let mut quoted: Vec<String> = matches.iter().map(|m| format!("`{m}`")).collect();
                    let last = quoted.pop().unwrap_or_default();
                    match quoted.is_empty() {
                        true => format!("write the option you mean in full: {last}"),
                        false => format!(
                            "write the option you mean in full: {} or {last}",
                            quoted.join(", ")
                        ),
                    }
                }
                Stop::ExpectedOne { opt } => format!(
                    "give {} its value in the next argument (`{} VALUE`)",
                    opt.name(),
                    opt.names[0]
                ),
                Stop::IgnoredExplicit { opt, .. } => format!(
                    "{} takes no value: write it as an argument of its own",
                    opt.name()
                ),
                Stop::InvalidInt { opt, .. } => format!("give {} a whole number", opt.name()),
            };
            ArgsError {
                message: format!(
                    "MPyC would stop at program argument `{}`: {}",
                    options::shell_word(arg),
                    stop.message(arg)
                ),
                hint,
            }
        }
        ReadError::Unsure { at, why } => ArgsError {
            message: format!(
                "e3 cannot tell how MPyC reads program argument `{}`: {why}",
                options::shell_word(&args[*at])
            ),
            hint: match why {
                Unsure::Versions => "write every MPyC option as an argument of its own, its value in the next one (`-V -H`, `-T 2`)",
                Unsure::Digits => "write numbers with the digits 0-9",
            }
            .into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_line() {
        let line =
            "2026-11-23 19:52:51,577 Stop MPyC -- elapsed time: 0:00:00.288|bytes sent: 18042";
        let stop = parse_stop_line(line).unwrap();
        assert_eq!(stop.elapsed, "0:00:00.288");
        assert!((stop.elapsed_secs - 0.288).abs() < 1e-9);
        assert_eq!(stop.bytes_sent, 18042);
        let long =
            parse_stop_line("Stop MPyC -- elapsed time: 1 day, 1:02:03.5|bytes sent: 7").unwrap();
        assert!((long.elapsed_secs - (86400.0 + 3723.5)).abs() < 1e-9);
        assert_eq!(parse_stop_line("Start MPyC runtime v0.11"), None);
        assert_eq!(
            parse_stop_line("Stop MPyC -- elapsed time: x|bytes sent: 1"),
            None
        );
    }

    #[test]
    fn connected_line() {
        assert!(is_connected_line(
            "2026-11-23 19:52:51,288 All 3 parties connected."
        ));
        assert!(is_connected_line("All 3 parties connected via SSL."));
        assert!(!is_connected_line("Start MPyC runtime v0.11"));
    }

    /// Every row: program arguments, the party count (and `net` under a
    /// network profile), and e3's verdict: MPyC's reading, or the refusal
    /// with its hint.
    #[test]
    fn program_args_table() {
        use std::fmt::Write;
        let rows: &[(&[&str], usize, bool, Said)] = &[
            // Accepted: the program's own arguments, MPyC's harmless options.
            (&["3"], 3, false, Said::Flags),
            (
                &["3", "--log-level", "debug", "--no-prss"],
                6,
                false,
                Said::Flags,
            ),
            (
                &["--log", "debug", "--no-pr", "--ss", "8"],
                6,
                true,
                Said::Flags,
            ),
            (&["--size", "3", "-x", "-1", "-1e3"], 3, false, Said::Flags),
            (&["-f", "kernel.json", "8"], 3, false, Said::Flags),
            (&["-V", "-h"], 3, false, Said::Flags),
            // The threshold in every spelling, against the party count.
            (&["-T", "2"], 6, false, Said::Flags),
            (&["-T2"], 5, false, Said::Flags),
            (&["-T=1"], 3, false, Said::Flags),
            (&["--threshold=1"], 3, false, Said::Flags),
            (&["--thr", "2"], 3, false, Said::Flags),
            (&["--thr=2"], 3, true, Said::ExperimentFile),
            (&["-T", "3"], 6, false, Said::Flags),
            (&["-T1"], 2, false, Said::Flags),
            (&["-T", "0", "-T", "1"], 2, false, Said::Flags),
            (&["-T", "-1"], 3, false, Said::Flags),
            (&["-T", "99999999999999999999999"], 3, false, Said::Flags),
            (&["-T", "x"], 6, false, Said::Flags),
            (&["-T"], 6, false, Said::Flags),
            // What e3 gives every party, in every spelling.
            (&["-I", "1"], 3, false, Said::Flags),
            (&["--ind", "0"], 3, false, Said::Flags),
            (&["--index=0"], 3, false, Said::Flags),
            (&["-I0"], 3, false, Said::Flags),
            (&["-VI3", "8"], 3, false, Said::Flags),
            (&["8", "-I", "0"], 3, false, Said::ExperimentFile),
            (&["-P", "a:1"], 3, false, Said::Flags),
            (&["-Pa:1"], 3, false, Said::ExperimentFile),
            (&["-M3"], 3, false, Said::Flags),
            (&["-M", "3"], 3, false, Said::ExperimentFile),
            (&["--base", "12000"], 3, true, Said::Flags),
            (&["--base", "12000"], 3, false, Said::Flags),
            (&["--base-port=9"], 3, false, Said::ExperimentFile),
            (&["-B12000"], 3, true, Said::Flags),
            (&["--conf", "parties.ini"], 3, false, Said::Flags),
            (&["-C", "parties.ini"], 3, false, Said::ExperimentFile),
            (&["--output-f"], 3, false, Said::Flags),
            (&["--output-windows"], 3, false, Said::Flags),
            // `--` hides e3's -I and -P from MPyC.
            (&["--", "3"], 3, false, Said::Flags),
            (&["3", "--", "-I", "1"], 3, false, Said::Flags),
            // MPyC would stop.
            (&["--b", "1"], 3, false, Said::Flags),
            (&["--no", "3"], 3, false, Said::Flags),
            (&["--log-level"], 3, false, Said::Flags),
            (&["-L", "--no-log"], 3, false, Said::Flags),
            (&["--ssl=yes"], 3, false, Said::Flags),
            (&["-K", "ten"], 3, false, Said::Flags),
            // Python versions disagree.
            (&["-Vx"], 3, false, Said::Flags),
            (&["-V=H"], 3, false, Said::Flags),
            (&["-VT=2"], 3, false, Said::Flags),
            (&["--log-level=--"], 3, false, Said::Flags),
        ];
        let mut out = String::new();
        for &(list, parties, net, said) in rows {
            let args: Vec<String> = list.iter().map(|s| s.to_string()).collect();
            let run = RunShape { parties, net, said };
            let net = if net { " --net" } else { "" };
            let said = match said {
                Said::Flags => "",
                Said::ExperimentFile => " (file)",
            };
            writeln!(out, "{list:?}, {parties} parties{net}{said}").unwrap();
            match check_program_args(&args, &run) {
                Ok(reading) => {
                    let sets: Vec<String> = reading.sets.iter().map(Set::read_as).collect();
                    writeln!(
                        out,
                        "  ok: MPyC reads [{}], leaves {:?}",
                        sets.join(", "),
                        reading.rest
                    )
                    .unwrap();
                }
                Err(err) => {
                    writeln!(out, "  error: {}\n  hint: {}", err.message, err.hint).unwrap();
                }
            }
        }
        insta::assert_snapshot!(out);
    }

    #[test]
    fn threshold_key() {
        assert_eq!(check_threshold(2, 5), Ok(()));
        assert_eq!(check_threshold(0, 1), Ok(()));
        assert_eq!(
            check_threshold(1, 2),
            Err("MPyC threshold 1 is too high for 2 parties: it must be below half the parties (at most 0)".into())
        );
        assert!(check_threshold(usize::MAX, 256).is_err());
    }
}
