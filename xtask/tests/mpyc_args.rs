//! Program arguments as MPyC reads them: e3's model of MPyC 0.11's option
//! table (`prun::mpyc::options`) row by row against MPyC's own parser in
//! e3's Python environment; the refusals in every way of running (local,
//! `--net`, `--hosts`, experiment files; also `--dry-run` on a machine
//! with no Python); and real runs through `--net`, where an abbreviation
//! of an option e3 owns is refused and harmless ones reach MPyC as e3 read
//! them.

mod common;

use std::process::{Command, Output, Stdio};

use common::*;
use prun::mpyc::options::{self, Argparse, ReadError, Reading};
use serde_json::{Value, json};

/// Argument lists for both parsers: every spelling argparse has, on every
/// kind of option MPyC has, and what it leaves to the program.
const ROWS: &[&[&str]] = &[
    &[],
    &["3"],
    // Exact option strings, each kind: flags, whole numbers, text, append.
    &["-V", "-H", "-h", "--ssl", "--no-log", "--mix32-64bit"],
    &[
        "--VERSION",
        "--HELP",
        "--help",
        "--output-windows",
        "--output-file",
    ],
    &[
        "--no-async",
        "--no-barrier",
        "--no-gmpy2",
        "--no-numpy",
        "--no-uvloop",
        "--no-prss",
    ],
    &[
        "-C", "p.ini", "-M", "3", "-I", "1", "-T", "1", "-B", "12000", "-W", "2",
    ],
    &[
        "--config",
        "p.ini",
        "--index",
        "1",
        "--threshold",
        "1",
        "--base-port",
        "9",
    ],
    &[
        "-L",
        "64",
        "-K",
        "40",
        "--log-level",
        "debug",
        "-f",
        "kernel.json",
    ],
    &["--workers", "2", "--bit-length", "64", "--sec-param", "40"],
    &["-P", "a:1", "-P", "b:2", "-P", "::1:3"],
    // The last value counts; -P keeps them all.
    &[
        "-T",
        "0",
        "-T",
        "2",
        "--log-level",
        "info",
        "--log-level",
        "warning",
    ],
    // Unambiguous prefixes of long options (allow_abbrev).
    &["--base", "12000"],
    &["--thr", "2", "8"],
    &["--ind", "0"],
    &["--conf", "x.ini"],
    &[
        "--i", "2", "--c", "x", "--t", "1", "--w", "3", "--l", "debug",
    ],
    &[
        "--bi", "16", "--se", "20", "--ss", "--m", "--V", "--H", "--he",
    ],
    &[
        "--no-l", "--no-a", "--no-b", "--no-g", "--no-n", "--no-u", "--no-p",
    ],
    &["--output-w", "--output-f", "--ba", "1", "--bas", "2"],
    // Ambiguous prefixes stop MPyC.
    &["--b", "1"],
    &["--s"],
    &["--no"],
    &["--output"],
    &["--o", "x"],
    &["--=x"],
    // --opt=value, for long options and their prefixes, and for flags.
    &[
        "--threshold=1",
        "--index=0",
        "--log-level=debug",
        "--base-port=12000",
    ],
    &["--thr=1", "--ind=2", "--log=a=b", "--conf="],
    &["--ssl=1"],
    &["--no-log="],
    &["--threshold="],
    // -Xvalue, -X=value and -X value.
    &["-T1", "-I0", "-B12000", "-Lx"],
    &["-T2", "-M3", "-Pa:1", "-Cx.ini", "-fjson", "-W=4"],
    &["-T=1", "-I=0", "-P=a:1", "-f=x"],
    &["-T", "1", "-I", "0"],
    // Short flags run together, and a value after them.
    &["-VH"],
    &["-VHh"],
    &["-VI3", "8"],
    &["-hT2"],
    &["-Vf", "x"],
    &["-VT"],
    &["-V-H"],
    &["-HIx"],
    // Values that look like options: negative numbers are values, the
    // rest are options (which leaves the option before without a value).
    &["-T", "-1"],
    &["-T", "-1.5"],
    &["-T", "-.5"],
    &["-L", "-x"],
    &["-T", "--ssl"],
    &["-T", "-I", "1"],
    &["--log-level", "-1e3"],
    &["-f", "-"],
    &["-T"],
    &["--index"],
    // Whole numbers as Python's int() reads them.
    &["-T", " 1 ", "-L", "+64", "-K", "1_0", "-W", "007"],
    &["-T", "1__0"],
    &["-T", "_1"],
    &["-T", "1.0"],
    &["-T", ""],
    &["-B", "99999999999999999999999999"],
    // `--` ends the options; the rest is the program's, `--` included.
    &["--", "-I", "1"],
    &["3", "--", "--thr", "2", "--"],
    &["-T", "1", "--", "-T", "2"],
    &["-T", "--", "1"],
    // What MPyC does not know is the program's, in order.
    &[
        "--size",
        "3",
        "-x",
        "-n",
        "4",
        "-",
        "-1",
        "-1e3",
        "--no-such",
        "a b",
    ],
    &["-xyz", "-1x", "---x", "-a b", "--a b", "-é", "-=", "-1\n"],
    &["8", "--log", "debug", "16", "-T", "1", "32"],
    &["--thr 2"],
    // Spellings Python 3.13 reads differently from 3.10-3.12: e3 refuses
    // them; MPyC's parser must give one of the two readings.
    &["-Vx"],
    &["-V=H"],
    &["-VT=2"],
    &["--log-level=--"],
    &["-T=--"],
];

/// MPyC's own verdicts: `sys.argv = ['x']`, `import mpyc`, then
/// `mpyc._get_arg_parser().parse_known_args(row)` for every row, each as
/// `{"ns": {dest: repr(value)}, "rest": [...]}` or `{"error": message}`.
const MPYC_VERDICTS: &str = r#"
import json, sys
rows = json.load(sys.stdin)
sys.argv = ['x']
import mpyc

class Stop(Exception):
    pass

def stop(message):
    raise Stop(message)

verdicts = []
for row in rows:
    parser = mpyc._get_arg_parser()
    parser.error = stop
    try:
        ns, rest = parser.parse_known_args(row)
        verdicts.append({'ns': {k: repr(v) for k, v in vars(ns).items()}, 'rest': rest})
    except Stop as e:
        verdicts.append({'error': str(e)})
print('E3-VERDICTS ' + json.dumps(verdicts))
print('E3-PYTHON ' + sys.version.split()[0] + ' mpyc ' + mpyc.__version__)
"#;

fn namespace_json(reading: &Reading) -> serde_json::Map<String, Value> {
    reading
        .namespace()
        .into_iter()
        .map(|(dest, repr)| (dest.to_string(), Value::String(repr)))
        .collect()
}

/// e3's verdict (by one argparse, or where both agree), in the shape the
/// snippet prints.
fn model(args: &[String], argparse: Option<Argparse>) -> Value {
    let reading = match argparse {
        Some(argparse) => options::read_as(args, argparse),
        None => options::read(args),
    };
    match reading {
        Ok(reading) => json!({ "ns": namespace_json(&reading), "rest": reading.rest }),
        Err(ReadError::Stops { at, stop }) => json!({ "error": stop.message(&args[at]) }),
        Err(ReadError::Unsure { .. }) => json!({ "unsure": true }),
    }
}

#[test]
fn e3s_model_reads_every_row_as_mpycs_own_parser() {
    let python = python_env();
    let rows: Vec<Vec<String>> = ROWS
        .iter()
        .map(|row| row.iter().map(|s| s.to_string()).collect())
        .collect();
    let mut child = Command::new(&python)
        .args(["-c", MPYC_VERDICTS])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("e3's python starts");
    serde_json::to_writer(child.stdin.take().unwrap(), &rows).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let line = |tag: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(tag))
            .unwrap_or_else(|| panic!("no {tag} line in:\n{stdout}"))
            .to_string()
    };
    let versions = line("E3-PYTHON ");
    assert!(versions.ends_with("mpyc 0.11"), "{versions}");
    let verdicts: Vec<Value> = serde_json::from_str(&line("E3-VERDICTS ")).unwrap();
    assert_eq!(verdicts.len(), rows.len());

    let mut unsure = 0;
    for (row, mpyc) in rows.iter().zip(&verdicts) {
        let e3 = model(row, None);
        if e3.get("unsure").is_some() {
            // e3 refuses these; MPyC's parser reads them as one of the
            // two argparses does, depending on the Python version.
            unsure += 1;
            let readings = Argparse::BOTH.map(|a| model(row, Some(a)));
            assert!(
                readings.contains(mpyc),
                "{row:?} under {versions}:\n  MPyC: {mpyc}\n  e3's two readings: {}\n  {}",
                readings[0],
                readings[1]
            );
            assert_ne!(readings[0], readings[1], "{row:?}");
            continue;
        }
        assert_eq!(
            &e3, mpyc,
            "{row:?} under {versions}: e3 (left), MPyC (right)"
        );
    }
    assert_eq!(unsure, 5, "the rows that Python versions read apart");
    eprintln!(
        "{} rows read alike by e3 and MPyC's parser under Python {versions}",
        rows.len()
    );
}

/// Exit 2 with one `error:` line holding `error` and a `hint:` line
/// holding `hint`.
fn assert_refused(what: &str, out: &Output, error: &str, hint: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what} exits 2:\n{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{what}: one error line:\n{stderr}");
    assert!(errors[0].contains(error), "{what}:\n{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("hint:") && l.contains(hint)),
        "{what}: a hint with {hint:?}:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn every_way_of_running_refuses_before_anything_runs_even_without_python() {
    let home = Scratch::new("mpyc-args");
    let hosts = home.path("hosts.pssh");
    std::fs::write(&hosts, "h1\nh2\nh3\n").unwrap();
    let ways: &[(&str, &[&str])] = &[
        ("local", &["run", "secretsanta", "--parties", "3"]),
        (
            "--net",
            &["run", "secretsanta", "--parties", "3", "--net", "lan"],
        ),
        ("--hosts", &["run", "secretsanta", "--hosts", &hosts]),
    ];
    let refusals: &[(&[&str], &str, &str)] = &[
        (
            &["--ind", "0"],
            "program arguments `--ind 0` (read as `--index 0`) are MPyC's -I/--index",
            "remove `--ind 0`",
        ),
        (
            &["--thr", "2"],
            "program arguments `--thr 2` (read as `--threshold 2`) set MPyC's threshold to 2: too high for 3 parties",
            "give `-T 1` or lower, or run more --parties",
        ),
        (
            &["--conf", "x.ini"],
            "program arguments `--conf x.ini` (read as `--config x.ini`) are MPyC's -C/--config",
            "remove `--conf x.ini`",
        ),
        (
            &["--base=12000"],
            "program argument `--base=12000` (read as `--base-port 12000`) is MPyC's -B/--base-port",
            "give e3 `--base-port PORT` instead",
        ),
        (
            &["-VM3"],
            "program argument `-VM3` (read as `-V -M 3`) is MPyC's -M",
            "give e3 `--parties N` instead",
        ),
        (
            &["8", "--", "3"],
            "program argument `--` ends MPyC's options",
            "remove it",
        ),
        (
            &["--b", "1"],
            "MPyC would stop at program argument `--b`: ambiguous option: --b could match --base-port, --bit-length",
            "`--base-port` or `--bit-length`",
        ),
    ];
    for (way, command) in ways {
        for (args, error, hint) in refusals {
            let argv = [command, &["--"][..], args].concat();
            // A dry run with nothing installed, and the real thing, which
            // stops before it makes the Python env or reaches a host.
            let dry = bare(&[&["--dry-run"][..], &argv].concat(), &home);
            assert_refused(&format!("{way} {args:?} (dry run)"), &dry, error, hint);
            assert_refused(&format!("{way} {args:?}"), &run(&argv), error, hint);
        }
    }
    // Under a network profile, -B says why it matters.
    let out = bare(
        &["run", "secretsanta", "--net", "lan", "--", "-B12000"],
        &home,
    );
    assert_refused(
        "--net -B12000",
        &out,
        "bypassing the relays",
        "give e3 `--base-port PORT` instead",
    );
    // An experiment file names the key and the line.
    let sweep = home.path("sweep.toml");
    std::fs::write(
        &sweep,
        "program = \"secretsanta\"\nparties = [3]\nrepeat = 1\nnet = [\"lan\"]\nargs = [\n  [\"4\"],\n  [\"4\", \"--base\", \"12000\"],\n]\n",
    )
    .unwrap();
    for out in [
        bare(&["--dry-run", "experiment", &sweep], &home),
        run(&["experiment", &sweep]),
    ] {
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(
                "sweep.toml:7: `args`: program arguments `--base 12000` (read as `--base-port 12000`) are MPyC's -B/--base-port"
            ) && stderr.contains("bypassing the relays"),
            "{stderr}"
        );
    }
}

#[test]
fn a_net_run_refuses_an_abbreviation_of_an_option_e3_owns_and_passes_harmless_ones() {
    python_env();
    let base = [
        "run",
        "secretsanta",
        "--parties",
        "3",
        "--net",
        "lan",
        "--placement",
        "lan=3",
        "--base-port",
        "24300",
        "--json",
    ];
    // `--base` is MPyC's --base-port: the parties would bypass the relays.
    let out = run(&[&base[..], &["--", "4", "--base", "12000"]].concat());
    assert_refused(
        "--net -- --base 12000",
        &out,
        "program arguments `--base 12000` (read as `--base-port 12000`) are MPyC's -B/--base-port",
        "give e3 `--base-port PORT` instead",
    );
    assert!(out.stdout.is_empty(), "nothing ran: {}", text(&out.stdout));
    // `--thr 1` and `--no-pr` are MPyC's --threshold 1 and --no-prss, as
    // e3 read them: the run goes through the relays and MPyC says so.
    let out = run(&[&base[..], &["--", "4", "--thr", "1", "--no-pr"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = summary_of(&out);
    assert_parties_agree(&summary);
    assert_eq!(summary["net"]["profile"], "lan");
    for i in 0..3 {
        let log = log_of(&summary, i);
        assert!(
            log.contains("Use of PRSS (pseudorandom secret sharing) disabled."),
            "party {i} read --no-pr as --no-prss:\n{log}"
        );
        assert!(
            log.contains("Secret Santa for 4 people"),
            "party {i} got 4 as the program's:\n{log}"
        );
    }
}
