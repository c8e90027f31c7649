//! `cargo xtask experiment` for real: sweeps of real MPyC parties on this
//! machine, results appended run by run, an interrupted experiment resumed.

mod common;

use std::collections::BTreeSet;
use std::io::BufReader;
use std::process::Stdio;

use common::*;
use serde_json::Value;

/// A 2 × 2 sweep with 2 repetitions of a quick program (8 runs).
const SWEEP: &str = r#"
program = "helloworld"
parties = [2, 3]
args = [["a"], ["b"]]
repeat = 2
timeout = 120
"#;

/// The results folder an experiment's output names, removed when dropped.
struct Results(std::path::PathBuf);

impl Results {
    fn from_output(text: &str) -> Results {
        let at = text
            .find("results in results/")
            .expect("the output names its results folder");
        let rest = &text[at + "results in ".len()..];
        let dir = rest.split('/').take(2).collect::<Vec<_>>().join("/");
        Results(root().join(dir))
    }

    fn lines(&self) -> Vec<Value> {
        std::fs::read_to_string(self.0.join("runs.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("every line is whole JSON"))
            .collect()
    }
}

impl Drop for Results {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn key(line: &Value) -> (u64, String, u64) {
    (
        line["parties"].as_u64().unwrap(),
        line["args"].to_string(),
        line["rep"].as_u64().unwrap(),
    )
}

#[test]
fn a_sweep_records_every_run_with_its_figures() {
    python_env();
    let scratch = Scratch::new("sweep");
    std::fs::write(scratch.0.join("sweep.toml"), SWEEP).unwrap();
    let out = run(&["experiment", &scratch.path("sweep.toml")]);
    let stdout = text(&out.stdout);
    let results = Results::from_output(&stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let lines = results.lines();
    assert_eq!(lines.len(), 8, "{lines:#?}");
    // Interleaved: repetition 1 of every cell before any repetition 2.
    let reps: Vec<u64> = lines.iter().map(|l| l["rep"].as_u64().unwrap()).collect();
    assert_eq!(reps, [1, 1, 1, 1, 2, 2, 2, 2]);
    let keys: BTreeSet<_> = lines.iter().map(key).collect();
    assert_eq!(keys.len(), 8, "a run twice: {lines:#?}");
    for line in &lines {
        assert_eq!(line["status"], "ok", "{line:#}");
        let parties = line["party"].as_array().unwrap();
        assert_eq!(parties.len() as u64, line["parties"].as_u64().unwrap());
        for p in parties {
            for figure in ["mpyc_elapsed_secs", "wall_secs", "connected_after_secs"] {
                assert!(p[figure].as_f64().is_some(), "no {figure}: {line:#}");
            }
            assert!(p["bytes_sent"].as_u64().unwrap() > 0, "{line:#}");
        }
        let log_dir = root().join(line["log_dir"].as_str().unwrap());
        assert!(log_dir.is_dir());
        // Each line names its cell; each run's summary where it came from.
        assert_eq!(line["cell"]["parties"], line["parties"], "{line:#}");
        assert_eq!(line["cell"]["args"], line["args"], "{line:#}");
        assert_eq!(line["cell"]["start"], "warm", "{line:#}");
        let summary: Value =
            serde_json::from_str(&std::fs::read_to_string(log_dir.join("summary.json")).unwrap())
                .unwrap();
        let env = &summary["environment"];
        assert_eq!(env["command"][1], "experiment", "{summary:#}");
        assert_eq!(env["parties"][0]["versions"]["mpyc"], "0.11", "{summary:#}");
        assert_eq!(
            env["e3"]["commit"].as_str().map(str::len),
            Some(40),
            "{summary:#}"
        );
        assert_eq!(summary["start"], "warm");
    }
    assert!(
        stdout.contains("run 8/8 parties=3 args=b start=warm rep 2/2 ok"),
        "{stdout}"
    );
    assert!(stdout.contains("e3: 8 of 8 runs ok"), "{stdout}");
    let env: Value =
        serde_json::from_str(&std::fs::read_to_string(results.0.join("environment.json")).unwrap())
            .unwrap();
    assert_eq!(env["parties"][0]["versions"]["mpyc"], "0.11");
    assert!(env["machine"]["cores"].as_u64().unwrap() > 0);
    // The whole record, what varies from machine to machine filtered (the
    // versions are python/requirements.txt's pins).
    let mut shown = env.clone();
    shown["recorded_at"] = "[time]".into();
    shown["e3"]["commit"] = "[commit]".into();
    shown["e3"]["dirty"] = "[dirty]".into();
    shown["machine"]["cores"] = "[cores]".into();
    shown["command"][2] = "[scratch]/sweep.toml".into();
    shown["parties"][0]["versions"]["python"] = "[python3 on PATH]".into();
    insta::assert_snapshot!(serde_json::to_string_pretty(&shown).unwrap());
    assert_eq!(
        std::fs::read_to_string(results.0.join("experiment.toml")).unwrap(),
        SWEEP
    );

    // The report of what was just measured, and of one of its runs.
    let dir = results.0.to_string_lossy().into_owned();
    let out = run(&["report", &dir, "--csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = std::fs::read_to_string(results.0.join("report.md")).unwrap();
    assert!(report.contains("8 of 8 runs ok, in 4 cells"), "{report}");
    assert!(report.contains("MPyC 0.11"), "{report}");
    for file in [
        "time.svg",
        "time.pdf",
        "time.png",
        "bytes.svg",
        "wall.png",
        "connect.pdf",
        "runs.csv",
    ] {
        assert!(results.0.join(file).is_file(), "no {file}");
    }
    let csv = std::fs::read_to_string(results.0.join("runs.csv")).unwrap();
    // A header, then a line per run and party: 2 runs × (2 + 3) parties × 2 args.
    assert_eq!(csv.lines().count(), 1 + 20, "{csv}");
    let one_run = root().join(lines[0]["log_dir"].as_str().unwrap());
    let out = run(&["report", one_run.to_str().unwrap(), "--csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(one_run.join("time.svg").is_file() && one_run.join("report.md").is_file());
    assert!(one_run.join("time.pdf").is_file() && one_run.join("bytes.png").is_file());
    // One run's CSV: a line per party.
    let csv = std::fs::read_to_string(one_run.join("runs.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2, "{csv}");

    // Compared with itself under labels: a folder of its own, both inputs
    // untouched; with nothing in common, refused.
    let before = std::fs::read(results.0.join("runs.jsonl")).unwrap();
    let report_before = std::fs::read(results.0.join("report.md")).unwrap();
    let time_before = std::fs::read(results.0.join("time.pdf")).unwrap();
    let out_dir = results.0.join("vs-itself");
    let out = run(&[
        "report",
        &dir,
        "--vs",
        &dir,
        "--label",
        "A=first",
        "--label",
        "B=again",
        "--out",
        out_dir.to_str().unwrap(),
        "--svg-only",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(md.starts_with("# first vs again\n"), "{md}");
    assert!(md.contains("4 cells in common; ratios are B / A."), "{md}");
    assert_eq!(std::fs::read(results.0.join("runs.jsonl")).unwrap(), before);
    assert_eq!(
        std::fs::read(results.0.join("report.md")).unwrap(),
        report_before
    );
    assert_eq!(
        std::fs::read(results.0.join("time.pdf")).unwrap(),
        time_before
    );
    let other = Scratch::new("sweep-other");
    std::fs::write(
        other.0.join("runs.jsonl"),
        lines[0]
            .to_string()
            .replace("\"parties\":2", "\"parties\":7")
            + "\n",
    )
    .unwrap();
    let out = run(&[
        "report",
        &dir,
        "--vs",
        &other.path(""),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no cell in common"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_interrupted_experiment_resumes_without_running_anything_twice() {
    python_env();
    let scratch = Scratch::new("resume");
    // The sweep of SWEEP, with a program whose 4th and later runs wait
    // while `hold` exists: Ctrl-C comes while the 4th runs, whatever the
    // machine's speed.
    let gate = scratch.path("gate");
    std::fs::create_dir(&gate).unwrap();
    std::fs::write(scratch.0.join("gate/hold"), "").unwrap();
    let sweep = SWEEP
        .replace(
            "program = \"helloworld\"",
            &format!("program = \"{}\"", program("gate.py")),
        )
        .replace(
            "args = [[\"a\"], [\"b\"]]",
            &format!("args = [[\"{gate}\", \"a\"], [\"{gate}\", \"b\"]]"),
        );
    let file = scratch.path("resume.toml");
    std::fs::write(&file, &sweep).unwrap();
    let mut child = xtask(&["experiment", &file])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let seen = read_until(&mut stdout, "run 3/8");
    let results = Results::from_output(&seen);
    // The 4th run has started and waits at the gate.
    wait_until("the 4th run at the gate", || {
        scratch.0.join("gate/run-4").exists()
    });
    // SAFETY: kill(2) of our own child, as a terminal's Ctrl-C would.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let before = results.lines();
    // The run in flight when Ctrl-C came is not kept; every ended one is.
    assert_eq!(before.len(), 3, "{before:#?}");
    std::fs::remove_file(scratch.0.join("gate/hold")).unwrap();

    // A changed experiment file is refused.
    let changed = scratch.path("changed.toml");
    std::fs::write(&changed, sweep.replace("repeat = 2", "repeat = 3")).unwrap();
    let dir = results.0.to_string_lossy().into_owned();
    let out = run(&["experiment", &changed, "--resume", &dir]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is not the experiment"),
        "{}",
        text(&out.stderr)
    );

    let out = run(&["experiment", &file, "--resume", &dir]);
    let text_out = text(&out.stdout);
    assert!(out.status.success(), "{text_out}{}", text(&out.stderr));
    assert!(
        text_out.contains(&format!("{} done before", before.len())),
        "{text_out}"
    );
    let after = results.lines();
    assert_eq!(after.len(), 8, "{after:#?}");
    assert_eq!(&after[..before.len()], &before[..], "earlier lines changed");
    let keys: BTreeSet<_> = after.iter().map(key).collect();
    assert_eq!(keys.len(), 8, "a run twice, or one lost: {after:#?}");
    let run_ids: BTreeSet<_> = after.iter().map(|l| l["run_id"].to_string()).collect();
    assert_eq!(run_ids.len(), 8);
}

/// Every mistake an experiment file can hold is refused before any run:
/// exit 2, the file's line and key, no results folder; `--dry-run` says
/// the same.
#[test]
fn bad_experiment_files_are_refused_before_any_run_with_line_and_key() {
    let scratch = Scratch::new("bad");
    std::fs::write(scratch.0.join("two.pssh"), "10.99.0.1\n10.99.0.2\n").unwrap();
    let two = scratch.path("two.pssh");
    let cases: Vec<(String, &str, &str)> = vec![
        (
            "program = \"helloworld\"\nparties = [2]\nrepeat = 1\nrepat = 2\n".into(),
            ":4: `repat`",
            "did you mean `repeat`",
        ),
        (
            "program = \"helloworld\"\nparties = []\nrepeat = 1\n".into(),
            ":2: `parties`",
            "empty",
        ),
        (
            "program = \"helloworld\"\nparties = [300]\nrepeat = 1\n".into(),
            ":2: `parties`",
            "more than MPyC supports",
        ),
        // An unknown program.
        (
            "parties = [2]\nprogram = \"nosuch\"\nrepeat = 1\n".into(),
            ":2: `program`",
            "unknown program `nosuch`",
        ),
        // An unknown network profile.
        (
            "program = \"helloworld\"\nparties = [2]\nrepeat = 1\nnet = [\n  \"lan\",\n  \"e3-9regions\",\n]\n".into(),
            ":6: `net`",
            "`e3-9regions`: cannot read net/e3-9regions.toml",
        ),
        // A profile whose placement does not hold a party count.
        (
            "program = \"helloworld\"\nparties = [3, 6]\nrepeat = 1\nnet = [\"lan\", \"e3-4regions\"]\n".into(),
            ":4: `net`",
            "in cell parties=3 net=e3-4regions start=warm: `e3-4regions` places 6 parties",
        ),
        // A placement that fits no party count, even with skip_unfit.
        (
            "program = \"helloworld\"\nparties = [3, 6]\nrepeat = 1\nnet = \"e3-4regions\"\nplacement = [\"ams3=3,sfo3=3\", \"ams3=2,sfo3=2\"]\nskip_unfit = true\n".into(),
            ":5: `placement`",
            "places 4 parties (ams3=2,sfo3=2), and the run has 3; it fits none of the party counts",
        ),
        // A placement naming a region the profile has not.
        (
            "program = \"helloworld\"\nparties = [3]\nrepeat = 1\nnet = \"e3-4regions\"\nplacement = \"ams3=2,mars1=1\"\n".into(),
            ":5: `placement`",
            "`ams3=2,mars1=1` in `e3-4regions`",
        ),
        // A threshold too high for a party count.
        (
            "program = \"helloworld\"\nparties = [2, 6]\nrepeat = 1\nthreshold = 1\n".into(),
            ":4: `threshold`",
            "too high for 2 parties",
        ),
        // Too few hosts for the largest cell.
        (
            format!("program = \"helloworld\"\nparties = [2, 3]\nrepeat = 1\n[hosts]\nfile = \"{two}\"\n"),
            ":2: `parties`",
            "in cell parties=3 start=cold: the hosts file",
        ),
        // MPyC's own options, in a named argument's value.
        (
            "program = \"helloworld\"\nparties = [2]\nrepeat = 1\nx = [\"a\", \"-I1\"]\nargs = [\"{x}\"]\n".into(),
            ":5: `args`",
            "MPyC's -I/--index",
        ),
    ];
    for (i, (contents, at, says)) in cases.iter().enumerate() {
        let path = scratch.path(&format!("bad{i}.toml"));
        std::fs::write(&path, contents).unwrap();
        // A results folder of its own name: none must appear.
        let name = format!("bad-{}-{i}", std::process::id());
        let mut verdicts = Vec::new();
        for dry in [false, true] {
            let mut argv = vec!["experiment", &path, "--name", &name];
            if dry {
                argv.insert(0, "--dry-run");
            }
            let out = run(&argv);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{contents}: {stderr}");
            let error = stderr
                .lines()
                .find(|l| l.starts_with("error: "))
                .unwrap_or_else(|| panic!("no error line: {stderr}"))
                .to_string();
            assert!(
                error.contains(&format!("bad{i}.toml{at}")) && error.contains(says),
                "{contents}\nexpected {at} ... {says}\n{stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert!(
                !std::fs::read_dir(root().join("results"))
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(&name)),
                "{contents}: a results folder was made"
            );
            verdicts.push(error);
        }
        assert_eq!(verdicts[0], verdicts[1], "--dry-run says otherwise");
    }
}

/// `net = [...]`: every cell under each profile, recorded with the
/// profile's name and hash; the report has a line per profile and labels
/// an estimated profile as one.
#[test]
fn a_sweep_over_network_profiles() {
    python_env();
    let scratch = Scratch::new("sweep-net");
    let far = scratch.path("far.toml");
    std::fs::write(
        &far,
        "source = \"estimate: two regions, 60 ms\"\nplacement = { near = 2, far = 1 }\n[rtt_ms]\nintra = 1\n\"near-far\" = 60\n",
    )
    .unwrap();
    let file = scratch.path("net.toml");
    std::fs::write(
        &file,
        format!("program = \"helloworld\"\nparties = [3]\nrepeat = 1\ntimeout = 120\nnet = [\"lan\", \"{far}\"]\n"),
    )
    .unwrap();
    let out = run(&["experiment", &file]);
    let stdout = text(&out.stdout);
    let results = Results::from_output(&stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let lines = results.lines();
    // As the file names them: the key a resumed experiment skips by.
    let nets: Vec<&str> = lines.iter().map(|l| l["net"].as_str().unwrap()).collect();
    assert_eq!(nets, ["lan", far.as_str()]);
    for line in &lines {
        assert_eq!(line["status"], "ok", "{line:#}");
        assert_eq!(line["net_hash"].as_str().unwrap().len(), 64);
    }
    assert!(stdout.contains(&format!("net={far}")), "{stdout}");
    let dir = results.0.to_string_lossy().into_owned();
    let out = run(&["report", &dir]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = std::fs::read_to_string(results.0.join("report.md")).unwrap();
    // A column per key of the cells: the profile's is `net`.
    assert!(report.contains("| net "), "{report}");
    assert!(
        report.contains(&format!(
            "- `{far}`: estimate: two regions, 60 ms **(an estimate, not a measurement)**"
        )),
        "{report}"
    );
    // One cell per profile: the profiles on the x-axis, a path by its stem.
    assert!(
        report.contains("x-axis: `net`, the first key swept; one line."),
        "{report}"
    );
    let svg = std::fs::read_to_string(results.0.join("time.svg")).unwrap();
    assert!(svg.contains("\nlan\n") && svg.contains("\nfar\n"), "{svg}");
    for figure in ["time", "wall", "connect", "bytes"] {
        for ext in ["svg", "pdf", "png"] {
            assert!(
                results.0.join(format!("{figure}.{ext}")).is_file(),
                "no {figure}.{ext}"
            );
        }
    }
}

/// `tls = [false, true]`: every cell plain and over TLS, recorded by key;
/// the TLS runs' parties connected via SSL.
#[test]
fn a_sweep_over_tls() {
    python_env();
    let scratch = Scratch::new("sweep-tls");
    let file = scratch.path("tls.toml");
    std::fs::write(
        &file,
        "program = \"helloworld\"\nparties = [2]\ntls = [false, true]\nrepeat = 1\ntimeout = 120\n",
    )
    .unwrap();
    let out = run(&["experiment", &file]);
    let stdout = text(&out.stdout);
    let results = Results::from_output(&stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let lines = results.lines();
    let tls: Vec<bool> = lines
        .iter()
        .map(|l| l["cell"]["tls"].as_bool().unwrap())
        .collect();
    assert_eq!(tls, [false, true]);
    for line in &lines {
        let summary: Value = serde_json::from_str(
            &std::fs::read_to_string(
                root()
                    .join(line["log_dir"].as_str().unwrap())
                    .join("summary.json"),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(summary["tls"], line["cell"]["tls"]);
        let log =
            std::fs::read_to_string(root().join(summary["parties"][0]["log"].as_str().unwrap()))
                .unwrap();
        assert_eq!(
            log.contains("connected via SSL"),
            line["cell"]["tls"] == true,
            "{log}"
        );
    }
}

/// A cell that `skip_unfit` leaves out is named when the experiment starts,
/// recorded in `skipped.json`, and not counted as waiting to run: the
/// history calls the experiment finished, not resumable.
#[test]
fn cells_skip_unfit_leaves_out_are_not_waiting_to_run() {
    python_env();
    let scratch = Scratch::new("skip-unfit");
    let file = scratch.path("skips.toml");
    std::fs::write(
        &file,
        "program = \"helloworld\"\nparties = [2, 3]\nrepeat = 1\ntimeout = 120\n\
         net = \"e3-4regions\"\nplacement = \"ams3=1,sfo3=1\"\nskip_unfit = true\n",
    )
    .unwrap();
    let out = run(&["experiment", &file]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    let results = Results::from_output(&stdout);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("skipping cell parties=3"),
        "{stdout}{stderr}"
    );
    assert_eq!(results.lines().len(), 1);
    let skipped: Value =
        serde_json::from_str(&std::fs::read_to_string(results.0.join("skipped.json")).unwrap())
            .unwrap();
    assert_eq!(skipped[0]["cell"]["parties"], 3, "{skipped:#}");
    let id = results
        .0
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let out = run(&["runs", "show", &id, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(shown["runs"]["scheduled"], 1, "{shown:#}");
    assert_eq!(shown["runs"]["done"], 1, "{shown:#}");
    assert_eq!(shown["status"], "ok", "{shown:#}");
    assert_eq!(shown["resumable"], false, "{shown:#}");
}
