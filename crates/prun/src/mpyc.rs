//! What e3 knows of MPyC's command line and log lines.

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

/// MPyC options that contradict the party table e3 gives every party, and
/// what to do instead.
const RESERVED: &[(&str, &str, &str)] = &[
    (
        "-I",
        "--index",
        "e3 gives every party its own -I; remove it",
    ),
    ("-P", "", "e3 gives every party the full -P list; remove it"),
    (
        "-M",
        "",
        "that is MPyC's own launcher, and e3 starts the parties itself: give e3 `--parties N` instead",
    ),
    ("-B", "--base-port", "give e3 `--base-port PORT` instead"),
    (
        "-C",
        "--config",
        "e3 gives every party the party list itself; remove it",
    ),
];

/// A problem with the program arguments for an `m`-party run.
pub fn check_program_args(args: &[String], m: usize) -> Result<(), String> {
    let mut iter = args.iter().peekable();
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        for (short, long, instead) in RESERVED {
            let hit = arg == short
                || (arg.starts_with(short) && arg.len() > 2 && !arg.starts_with("--"))
                || (!long.is_empty() && (arg == long || arg.starts_with(&format!("{long}="))));
            if hit {
                let name = if long.is_empty() {
                    short.to_string()
                } else {
                    format!("{short}/{long}")
                };
                return Err(format!(
                    "program argument `{arg}` sets MPyC's {name}: {instead}"
                ));
            }
        }
        let threshold = if let Some(value) = arg.strip_prefix("--threshold=") {
            Some(value.to_string())
        } else if arg == "-T" || arg == "--threshold" {
            Some(iter.peek().map(|s| s.to_string()).unwrap_or_default())
        } else {
            arg.strip_prefix("-T")
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        if let Some(value) = threshold {
            let t: usize = value.parse().map_err(|_| {
                format!("MPyC threshold `{value}` is not a whole number (in `{arg}`)")
            })?;
            if 2 * t >= m {
                return Err(format!(
                    "MPyC threshold {t} is too high for {m} parties: it must be below half the parties (at most {})",
                    m.saturating_sub(1) / 2
                ));
            }
        }
    }
    Ok(())
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

    #[test]
    fn program_args() {
        let check = |args: &[&str], m: usize, expect: Result<(), &str>| {
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            assert_eq!(
                check_program_args(&args, m),
                expect.map_err(str::to_string),
                "{args:?}"
            );
        };
        check(&["3", "--log-level", "debug"], 6, Ok(()));
        check(&["-T", "2"], 6, Ok(()));
        check(&["-T2"], 5, Ok(()));
        check(&["--threshold=1"], 3, Ok(()));
        check(
            &["-T", "3"],
            6,
            Err(
                "MPyC threshold 3 is too high for 6 parties: it must be below half the parties (at most 2)",
            ),
        );
        check(
            &["-T1"],
            2,
            Err(
                "MPyC threshold 1 is too high for 2 parties: it must be below half the parties (at most 0)",
            ),
        );
        check(
            &["-T", "x"],
            6,
            Err("MPyC threshold `x` is not a whole number (in `-T`)"),
        );
        check(
            &["-I", "1"],
            3,
            Err(
                "program argument `-I` sets MPyC's -I/--index: e3 gives every party its own -I; remove it",
            ),
        );
        check(
            &["-M3"],
            3,
            Err(
                "program argument `-M3` sets MPyC's -M: that is MPyC's own launcher, and e3 starts the parties itself: give e3 `--parties N` instead",
            ),
        );
        check(
            &["--base-port=9"],
            3,
            Err(
                "program argument `--base-port=9` sets MPyC's -B/--base-port: give e3 `--base-port PORT` instead",
            ),
        );
        check(&["--", "-I"], 3, Ok(()));
    }
}
