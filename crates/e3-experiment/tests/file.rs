//! The experiment file: the examples in experiments/, the sweep's order,
//! and every mistake worded with its line and key.

use std::path::Path;

use e3_experiment::file::{self, Args, Cell, Experiment, Hosts};
use e3_run::Start;

fn example(name: &str) -> Experiment {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../experiments")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    file::parse(&text, name).unwrap_or_else(|err| panic!("{err}"))
}

fn lists(lists: &[&[&str]]) -> Args {
    Args::Lists(
        lists
            .iter()
            .map(|l| l.iter().map(|s| s.to_string()).collect())
            .collect(),
    )
}

#[test]
fn examples_parse() {
    let local = example("local-secretsanta.toml");
    assert_eq!(local.program, "secretsanta");
    assert_eq!(local.parties, [3, 6]);
    assert_eq!(local.args, lists(&[&["4"], &["8"]]));
    assert_eq!(
        (local.repeat, local.timeout_secs, local.hosts.clone()),
        (3, 600, None)
    );
    assert_eq!(local.cells().len(), 4);
    let regions = example("e3-regions.toml");
    assert_eq!(regions.parties, [6]);
    assert_eq!(regions.threshold, [Some(1)]);
    assert_eq!(regions.vars.len(), 1);
    assert_eq!(regions.vars[0].name, "n");
    assert_eq!(regions.args, Args::Template(vec!["{n}".into()]));
    assert_eq!(
        regions.hosts,
        Some(Hosts {
            file: "hosts.pssh".into(),
            parties_per_host: Some(1),
            ..Hosts::default()
        })
    );
    let cells = regions.cells();
    let args: Vec<Vec<String>> = cells.iter().map(Cell::program_args).collect();
    assert_eq!(
        args,
        [["8", "-T", "1"], ["16", "-T", "1"], ["32", "-T", "1"]]
            .map(|a| a.map(String::from).to_vec())
    );
}

#[test]
fn every_key() {
    let text = r#"
program = "demos/helloworld.py"
demos = "elsewhere"
name = "hello sizes"
parties = [1, 0x3, 5]
size = { values = [8, "big"], label = "input size", unit = "people" }
args = ["--no-log", "{size}"]
repeat = 2
threshold = [0]
start = ["cold", "warm"]
timeout = 1_000
[hosts]
file = "h.pssh"
parties_per_host = 2
ssh_config = ".e3/testnet/e3t/ssh_config"
ssh_user = "root"
connect_timeout = 5
remote_python = "/opt/venv/bin/python"
remote_dir = "work/e3"
parallel = 4
keep_connections = 0
no_sync = true
"#;
    let exp = file::parse(text, "all.toml").unwrap();
    assert_eq!(exp.program, "demos/helloworld.py");
    assert_eq!(exp.demos.as_deref(), Some("elsewhere"));
    assert_eq!(exp.name.as_deref(), Some("hello sizes"));
    assert_eq!(exp.parties, [1, 3, 5]);
    assert_eq!(
        exp.vars[0].values,
        [serde_json::json!(8), serde_json::json!("big")]
    );
    assert_eq!(exp.vars[0].label.as_deref(), Some("input size"));
    assert_eq!(exp.vars[0].unit.as_deref(), Some("people"));
    assert_eq!(
        (exp.repeat, exp.threshold.clone(), exp.timeout_secs),
        (2, vec![Some(0)], 1000)
    );
    assert_eq!(exp.start, [Some(Start::Cold), Some(Start::Warm)]);
    assert_eq!(
        exp.hosts,
        Some(Hosts {
            file: "h.pssh".into(),
            parties_per_host: Some(2),
            ssh_config: Some(".e3/testnet/e3t/ssh_config".into()),
            ssh_user: Some("root".into()),
            connect_timeout: Some(5),
            remote_python: Some("/opt/venv/bin/python".into()),
            remote_dir: Some("work/e3".into()),
            parallel: Some(4),
            keep_connections: Some(0),
            no_sync: true,
        })
    );
    // 3 party counts × 2 sizes × 2 starts.
    let cells = exp.cells();
    assert_eq!(cells.len(), 12);
    assert_eq!(cells[1].args, ["--no-log", "8"]);
    assert_eq!(cells[2].args, ["--no-log", "big"]);
    assert_eq!(
        cells[3].describe(&exp),
        "parties=1 size=big threshold=0 start=warm"
    );
    assert_eq!(exp.lines["hosts.ssh_config"], 15);
    assert_eq!(exp.lines["parties"], 5);
}

#[test]
fn cells_run_parties_outer_args_inner() {
    let exp = file::parse(
        "program = \"p\"\nparties = [6, 3]\nargs = [[\"8\"], [\"16\"], []]\nrepeat = 1\n",
        "x.toml",
    )
    .unwrap();
    let cell = |parties: usize, args: &[&str]| Cell {
        parties,
        args: args.iter().map(|s| s.to_string()).collect(),
        vars: Vec::new(),
        threshold: None,
        net: None,
        placement: None,
        start: None,
        tls: None,
    };
    assert_eq!(
        exp.cells(),
        [
            cell(6, &["8"]),
            cell(6, &["16"]),
            cell(6, &[]),
            cell(3, &["8"]),
            cell(3, &["16"]),
            cell(3, &[]),
        ]
    );
    // With `net`, every cell once per profile, in the file's order.
    let exp = file::parse(
        "program = \"p\"\nparties = [2]\nrepeat = 1\nnet = [\"lan\", \"e3-4regions\"]\n",
        "x.toml",
    )
    .unwrap();
    let cells = exp.cells();
    let nets: Vec<Option<&str>> = cells.iter().map(|c| c.net.as_deref()).collect();
    assert_eq!(nets, [Some("lan"), Some("e3-4regions")]);
    // Without `args`, one cell per party count, with no arguments.
    let exp = file::parse("program = \"p\"\nparties = [2, 4]\nrepeat = 1\n", "x.toml").unwrap();
    assert_eq!(exp.args, Args::Lists(vec![Vec::new()]));
    assert_eq!(exp.cells(), [cell(2, &[]), cell(4, &[])]);
}

#[test]
fn named_arguments_sweep_the_first_outermost() {
    let exp = file::parse(
        "program = \"p\"\nparties = [3]\nn = [8, 16]\nmode = [\"a\", \"b\"]\nargs = [\"-n{n}\", \"{mode}\", \"--x={n}{mode}\"]\nrepeat = 1\n",
        "x.toml",
    )
    .unwrap();
    let args: Vec<String> = exp.cells().iter().map(|c| c.args.join(" ")).collect();
    assert_eq!(
        args,
        [
            "-n8 a --x=8a",
            "-n8 b --x=8b",
            "-n16 a --x=16a",
            "-n16 b --x=16b"
        ]
    );
    assert_eq!(
        exp.cells()[3].keys(&exp),
        [
            ("parties".to_string(), serde_json::json!(3)),
            ("n".to_string(), serde_json::json!(16)),
            ("mode".to_string(), serde_json::json!("b")),
        ]
    );
}

#[test]
fn thresholds_that_do_not_fit_are_refused_or_skipped_as_the_file_says() {
    check(
        "program = \"p\"\nparties = [3, 5]\nrepeat = 1\nthreshold = [0, 2]\n",
        "e.toml:4: `threshold`: MPyC threshold 2 is too high for 3 parties: it must be below half the parties (at most 1); or set `skip_unfit = true` to skip the cells it does not fit",
    );
    let exp = file::parse(
        "program = \"p\"\nparties = [3, 5]\nrepeat = 1\nthreshold = [0, 2]\nskip_unfit = true\n",
        "x.toml",
    )
    .unwrap();
    let cells: Vec<(usize, Option<usize>)> = exp
        .cells()
        .iter()
        .map(|c| (c.parties, c.threshold))
        .collect();
    assert_eq!(cells, [(3, Some(0)), (5, Some(0)), (5, Some(2))]);
    check(
        "program = \"p\"\nparties = [3, 4]\nrepeat = 1\nthreshold = [0, 2]\nskip_unfit = true\n",
        "e.toml:4: `threshold`: MPyC threshold 2 is too high for 3 parties: it must be below half the parties (at most 1); it fits none of the party counts",
    );
}

/// `body`, read as `e.toml`, fails with exactly `expect`.
fn check(body: &str, expect: &str) {
    let err = match file::parse(body, "e.toml") {
        Ok(exp) => panic!("parsed, expected an error:\n{body}\n{exp:?}"),
        Err(err) => err,
    };
    assert_eq!(err.to_string(), expect, "\n{body}");
}

/// A valid file's keys, for mistakes added after them (line 4 on).
const OK: &str = "program = \"secretsanta\"\nparties = [3, 6]\nrepeat = 3\n";

#[test]
fn mistakes() {
    // Syntax: toml's own words, with the line.
    check(
        "program = \"secretsanta\nparties = [3]\nrepeat = 1\n",
        "e.toml:1: invalid basic string, expected `\"`",
    );
    check(
        &format!("{OK}repeat = 4\n"),
        "e.toml:4: `repeat`: duplicate key",
    );
    // Unknown keys, with the nearest known one.
    check(
        &format!("{OK}repeats = 4\n"),
        "e.toml:4: `repeats`: unknown key; did you mean `repeat`?",
    );
    check(
        &format!("{OK}colour = \"red\"\n"),
        "e.toml:4: `colour`: unknown key; the keys are `program`, `demos`, `name`, `parties`, `args`, `threshold`, `start`, `net`, `placement`, `skip_unfit`, `tls`, `repeat`, `timeout`, `start_timeout`, `hosts`",
    );
    // Network profiles: a list of distinct names, for local runs only.
    check(
        &format!("{OK}net = 4\n"),
        "e.toml:4: `net`: expected a profile (a string), found an integer",
    );
    check(
        &format!("{OK}net = [\"lan\", \"lan\"]\n"),
        "e.toml:4: `net`: `lan` is listed twice",
    );
    check(
        &format!("{OK}net = [\"lan\"]\n[hosts]\nfile = \"hosts.pssh\"\n"),
        "e.toml:4: `net`: network profiles emulate regions for local runs; with [hosts] the network is real: drop one of them",
    );
    check(
        &format!("{OK}parties_per_host = 2\n"),
        "e.toml:4: `parties_per_host`: unknown key; `parties_per_host` belongs in the [hosts] table",
    );
    check(
        &format!("{OK}[hosts]\nfile = \"h\"\nper_host = 2\n"),
        "e.toml:6: `hosts.per_host`: unknown key; did you mean `parties_per_host`?",
    );
    check(
        &format!("{OK}[hosts]\nfile = \"h\"\ntimeout = 60\n"),
        "e.toml:6: `hosts.timeout`: unknown key in [hosts]; every key after a [hosts] header belongs to it: move `timeout` above it",
    );
    // Missing keys.
    check(
        "parties = [3]\nrepeat = 1\n",
        "e.toml: `program`: missing; name the program to run, e.g. `program = \"secretsanta\"`",
    );
    check(
        "program = \"p\"\nrepeat = 1\n",
        "e.toml: `parties`: missing; list the party counts to sweep, e.g. `parties = [3, 6]`",
    );
    check(
        "program = \"p\"\nparties = [3]\n",
        "e.toml: `repeat`: missing; say how many runs each cell gets, e.g. `repeat = 3`",
    );
    check(
        &format!("{OK}[hosts]\nparties_per_host = 2\n"),
        "e.toml: `hosts.file`: missing; name the hosts file, e.g. `file = \"hosts.pssh\"`",
    );
    // Wrong types.
    check(
        "program = \"p\"\nparties = 3\nrepeat = 1\n",
        "e.toml:2: `parties`: expected a list of party counts, e.g. `[3, 6]`, found an integer",
    );
    check(
        "program = \"p\"\nparties = [3, \"6\"]\nrepeat = 1\n",
        "e.toml:2: `parties`: expected a party count (a whole number), found a string",
    );
    check(
        "program = \"p\"\nparties = [\n  3,\n  6.0,\n]\nrepeat = 1\n",
        "e.toml:4: `parties`: expected a party count (a whole number), found a float",
    );
    check(
        &format!("{OK}args = [\"8\", \"16\"]\n"),
        "e.toml:4: `args`: a list of strings is one argument list with named arguments in braces, and this one names none; to sweep these as cells write `[[\"8\"], [\"16\"]]`, or for one cell `[[\"8\", \"16\"]]`",
    );
    check(
        &format!("{OK}args = [[\"8\"], \"16\"]\n"),
        "e.toml:4: `args`: expected a list of program arguments, found a string; `args` is a list of lists, e.g. `[[\"8\"], [\"16\"]]`",
    );
    check(
        &format!("{OK}args = [[8]]\n"),
        "e.toml:4: `args`: expected a string (program arguments are quoted, e.g. `\"8\"`), found an integer",
    );
    check(
        &format!("{OK}args = \"8\"\n"),
        "e.toml:4: `args`: expected a list of program argument lists, e.g. `[[\"8\"], [\"16\"]]`, or one list with named arguments, e.g. `[\"{n}\"]`, found a string",
    );
    check(
        "program = \"p\"\nparties = [3]\nrepeat = \"3\"\n",
        "e.toml:3: `repeat`: expected a whole number, found a string",
    );
    check(
        "program = 7\nparties = [3]\nrepeat = 1\n",
        "e.toml:1: `program`: expected a string, found an integer",
    );
    check(
        &format!("{OK}hosts = \"hosts.pssh\"\n"),
        "e.toml:4: `hosts`: expected a table (a [hosts] header with `file = \"hosts.pssh\"` below it), found a string",
    );
    check(
        &format!("{OK}threshold = 1.5\n"),
        "e.toml:4: `threshold`: expected a whole number, found a float",
    );
    // Empty sweeps and zeros.
    check(
        "program = \"p\"\nparties = []\nrepeat = 1\n",
        "e.toml:2: `parties`: empty; list at least one party count",
    );
    check(
        &format!("{OK}args = []\n"),
        "e.toml:4: `args`: empty; leave `args` out to run the program without arguments, or write `args = [[]]`",
    );
    check(
        "program = \"p\"\nparties = [3]\nrepeat = 0\n",
        "e.toml:3: `repeat`: must be at least 1 (found 0)",
    );
    check(
        &format!("{OK}timeout = 0\n"),
        "e.toml:4: `timeout`: must be at least 1 second (found 0)",
    );
    check(
        &format!("{OK}[hosts]\nfile = \"h\"\nparties_per_host = 0\n"),
        "e.toml:6: `hosts.parties_per_host`: parties per host must be at least 1 (found 0)",
    );
    check(
        "program = \"\"\nparties = [3]\nrepeat = 1\n",
        "e.toml:1: `program`: empty; give a value",
    );
    // Party counts: duplicates, MPyC's range.
    check(
        "program = \"p\"\nparties = [3, 6, 3]\nrepeat = 1\n",
        "e.toml:2: `parties`: 3 is listed twice; each party count is one cell",
    );
    check(
        "program = \"p\"\nparties = [3,\n 0]\nrepeat = 1\n",
        "e.toml:3: `parties`: the number of parties must be at least 1 (found 0)",
    );
    check(
        "program = \"p\"\nparties = [-2]\nrepeat = 1\n",
        "e.toml:2: `parties`: the number of parties must be at least 1 (found -2)",
    );
    check(
        "program = \"p\"\nparties = [3, 300]\nrepeat = 1\n",
        "e.toml:2: `parties`: 300 parties is more than MPyC supports (at most 256)",
    );
    // Threshold: below half of every party count, the smallest named.
    check(
        "program = \"p\"\nparties = [6, 2, 4]\nrepeat = 1\nthreshold = 1\n",
        "e.toml:4: `threshold`: MPyC threshold 1 is too high for 2 parties: it must be below half the parties (at most 0); or set `skip_unfit = true` to skip the cells it does not fit",
    );
    check(
        &format!("{OK}threshold = -1\n"),
        "e.toml:4: `threshold`: must be 0 or more (found -1)",
    );
    // Arguments e3 sets itself, or that contradict the file, as MPyC reads
    // them: in every spelling (the whole table is prun's `mpyc` tests).
    check(
        &format!("{OK}args = [\n  [\"8\"],\n  [\"8\", \"-I\", \"0\"],\n]\n"),
        "e.toml:6: `args`: program arguments `-I 0` are MPyC's -I/--index: e3 gives every party its own index; remove `-I 0`",
    );
    check(
        &format!("{OK}args = [[\"8\", \"--ind\", \"0\"]]\n"),
        "e.toml:4: `args`: program arguments `--ind 0` (read as `--index 0`) are MPyC's -I/--index: e3 gives every party its own index; remove `--ind 0`",
    );
    check(
        &format!("{OK}args = [[\"-M3\"]]\n"),
        "e.toml:4: `args`: program argument `-M3` (read as `-M 3`) is MPyC's -M: that is MPyC's own launcher, and e3 starts the parties itself; list the party counts in `parties` instead",
    );
    check(
        &format!("{OK}args = [[\"--conf\", \"p.ini\"]]\n"),
        "e.toml:4: `args`: program arguments `--conf p.ini` (read as `--config p.ini`) are MPyC's -C/--config: an ini file lists all the parties, and e3 gives every party the party list itself; remove `--conf p.ini`: e3 makes the party list from `parties` (and [hosts])",
    );
    check(
        &format!("{OK}net = [\"lan\"]\nargs = [[\"--base\", \"12000\"]]\n"),
        "e.toml:5: `args`: program arguments `--base 12000` (read as `--base-port 12000`) are MPyC's -B/--base-port: MPyC would give every party port b+i instead of e3's, so under a network profile the parties would connect to each other directly, bypassing the relays that give the links their delays; remove `--base 12000`: e3 chooses the ports",
    );
    check(
        &format!("{OK}args = [[\"-T\", \"2\"]]\n"),
        "e.toml:4: `args`: program arguments `-T 2` set MPyC's threshold to 2: too high for 3 parties, it must be below half the parties (at most 1); give `-T 1` or lower, or run more parties",
    );
    check(
        &format!("{OK}args = [[\"4\"], [\"--thr=2\"]]\n"),
        "e.toml:4: `args`: program argument `--thr=2` (read as `--threshold 2`) sets MPyC's threshold to 2: too high for 3 parties, it must be below half the parties (at most 1); give `-T 1` or lower, or run more parties",
    );
    check(
        &format!("{OK}threshold = 1\nargs = [[\"-T1\"]]\n"),
        "e.toml:5: `args`: `-T1` sets MPyC's -T/--threshold, and so does `threshold`; keep one",
    );
    check(
        &format!("{OK}threshold = 1\nargs = [[\"8\", \"--thresh\", \"1\"]]\n"),
        "e.toml:5: `args`: `--thresh 1` sets MPyC's -T/--threshold, and so does `threshold`; keep one",
    );
    // `threshold`'s -T goes after the list: a `--` in it would hide it
    // and e3's own -I and -P.
    check(
        &format!("{OK}threshold = 1\nargs = [[\"--\", \"8\"]]\n"),
        "e.toml:5: `args`: program argument `--` ends MPyC's options: MPyC would not read the -I and -P that e3 puts after the program arguments, and every party would run alone; remove it: MPyC leaves the options it does not know to the program",
    );
    check(
        &format!("{OK}args = [[\"--b\", \"1\"]]\n"),
        "e.toml:4: `args`: MPyC would stop at program argument `--b`: ambiguous option: --b could match --base-port, --bit-length; write the option you mean in full: `--base-port` or `--bit-length`",
    );
    // Very large numbers are errors, not panics.
    check(
        &format!("{OK}timeout = 99999999999999999999\n"),
        "e.toml:4: `timeout`: 99999999999999999999 is too large",
    );
    check(
        "",
        "e.toml: `program`: missing; name the program to run, e.g. `program = \"secretsanta\"`",
    );
    check(
        &format!("{OK}[[hosts]]\nfile = \"h\"\n"),
        "e.toml:4: `hosts`: expected a table (a [hosts] header with `file = \"hosts.pssh\"` below it), found a list",
    );
}

#[test]
fn mistakes_in_the_new_keys() {
    check(
        &format!("{OK}args = [\"{{n}}\"]\n"),
        "e.toml:4: `args`: `{n}` names no key; add e.g. `n = [8, 16]` above any [table]",
    );
    check(
        &format!("{OK}n = [8, 16]\n"),
        "e.toml:4: `n`: unknown key; to sweep it as a program argument, name it in `args`, e.g. `args = [\"{n}\"]`",
    );
    check(
        &format!("{OK}n = []\nargs = [\"{{n}}\"]\n"),
        "e.toml:4: `n`: empty; list at least one value",
    );
    check(
        &format!("{OK}n = [8, 8]\nargs = [\"{{n}}\"]\n"),
        "e.toml:4: `n`: 8 is listed twice; each value is one cell",
    );
    check(
        &format!("{OK}n = {{ values = [8], units = \"x\" }}\nargs = [\"{{n}}\"]\n"),
        "e.toml:4: `n.units`: unknown key; did you mean `unit`?",
    );
    check(
        &format!("{OK}n = [true]\nargs = [\"{{n}}\"]\n"),
        "e.toml:4: `n`: expected a number or a string, found a boolean",
    );
    check(
        &format!("{OK}status = [1]\nargs = [\"{{status}}\"]\n"),
        "e.toml:4: `status`: `status` is a field of runs.jsonl; give the named argument another name",
    );
    check(
        &format!("{OK}args = [[\"{{n}}\"]]\nn = [1]\n"),
        "e.toml:4: `args`: `{n}`: named arguments go in one list, e.g. `args = [\"{n}\"]`, not in a list of lists",
    );
    check(
        &format!("{OK}args = [[\"8\"], [\"8\"]]\n"),
        "e.toml:4: `args`: [8] is listed twice; each list is one cell",
    );
    check(
        &format!("{OK}start = \"hot\"\n"),
        "e.toml:4: `start`: expected \"warm\" or \"cold\", found \"hot\"",
    );
    check(
        &format!("{OK}start = [\"warm\", \"warm\"]\n"),
        "e.toml:4: `start`: `warm` is listed twice",
    );
    check(
        &format!("{OK}placement = \"ams3=3\"\n"),
        "e.toml:4: `placement`: places parties in a network profile's regions: add `net`, or drop `placement`",
    );
    check(
        &format!("{OK}skip_unfit = 1\n"),
        "e.toml:4: `skip_unfit`: expected true or false, found an integer",
    );
    check(
        &format!("{OK}threshold = []\n"),
        "e.toml:4: `threshold`: empty; give at least one value, or leave the key out",
    );
    check(
        &format!("{OK}[hosts]\nfile = \"h\"\nno_sync = \"yes\"\n"),
        "e.toml:6: `hosts.no_sync`: expected true or false, found a string",
    );
    check(
        &format!("{OK}[hosts]\nfile = \"h\"\nssh-config = \"c\"\n"),
        "e.toml:6: `hosts.ssh-config`: unknown key; did you mean `ssh_config`?",
    );
    check(
        &format!("{OK}[hosts]\nfile = \"h\"\nconnect_timeout = 0\n"),
        "e.toml:6: `hosts.connect_timeout`: must be at least 1 second (found 0)",
    );
    check(
        &format!("{OK}[hosts]\nfile = \"h\"\nkeep_connections = -1\n"),
        "e.toml:6: `hosts.keep_connections`: must be 0 (close at the end) to 2147483647 seconds, ssh's limit (found -1)",
    );
    check(
        &format!("{OK}[hosts]\nfile = \"h\"\nkeep_connections = 4294967296\n"),
        "e.toml:6: `hosts.keep_connections`: must be 0 (close at the end) to 2147483647 seconds, ssh's limit (found 4294967296)",
    );
    // A named argument's value, as MPyC reads the arguments, names the cell.
    check(
        &format!("{OK}m = [\"4\", \"-M3\"]\nargs = [\"{{m}}\"]\n"),
        "e.toml:5: `args`: program argument `-M3` (read as `-M 3`) is MPyC's -M: that is MPyC's own launcher, and e3 starts the parties itself (with m = \"-M3\"); list the party counts in `parties` instead",
    );
}

#[test]
fn hosts_as_inline_or_dotted_tables() {
    for hosts in ["hosts = { file = \"h\" }", "hosts.file = \"h\""] {
        let exp = file::parse(&format!("{OK}{hosts}\n"), "x.toml").unwrap();
        assert_eq!(
            exp.hosts,
            Some(Hosts {
                file: "h".into(),
                ..Hosts::default()
            }),
            "{hosts}"
        );
    }
}

/// Every prefix of the examples (cut at each character) is parsed or
/// refused, never a panic.
#[test]
fn cut_files_do_not_panic() {
    for name in ["local-secretsanta.toml", "e3-regions.toml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../experiments")
            .join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        for end in (0..=text.len()).filter(|&end| text.is_char_boundary(end)) {
            let _ = file::parse(&text[..end], name);
        }
    }
}
