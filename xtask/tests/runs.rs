//! `cargo xtask runs`, `runs show`, `runs prune` on a fixture folder of runs
//! and experiments (`tests/fixtures/history`), copied to a folder of the
//! test's own before anything is pruned.
//!
//! The fixture holds: a local run, a run on three hosts (a party failed), a
//! run under a network profile (stopped by its timeout), an unfinished
//! experiment (1 of 2 runs), a finished one with a failed run and a report
//! (`results/latest`), one whose file a newer e3 wrote (a key this e3 does
//! not know), a results folder that never got to its first run, a run killed
//! before its summary, the newest run (`logs/latest`) and a folder of notes.
//! Its dates are in March 2025, so `--older-than 1` chooses every one.

mod common;

use std::path::Path;
use std::process::Output;

use common::{Scratch, root, text};
use serde_json::Value;

/// A copy of the fixture (links kept as links) in a folder of the test's own.
fn fixture() -> Scratch {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            let (src, dst) = (entry.path(), to.join(entry.file_name()));
            let kind = entry.file_type().unwrap();
            if kind.is_symlink() {
                std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
            } else if kind.is_dir() {
                copy(&src, &dst);
            } else {
                std::fs::copy(&src, &dst).unwrap();
            }
        }
    }
    let scratch = Scratch::new("runs");
    copy(&root().join("xtask/tests/fixtures/history"), &scratch.0);
    scratch
}

/// Every path under `dir` (links not followed), sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(base).unwrap().display().to_string());
            if entry.file_type().unwrap().is_dir() {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The folders directly under `logs/` and `results/`.
fn folders(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_iter()
        .filter(|p| p.matches('/').count() == 1)
        .collect()
}

/// `cargo xtask runs --root <the copy> ARGS`, with no one at a terminal.
fn runs(history: &Scratch, args: &[&str], ci: bool) -> Output {
    let root = history.path("");
    let mut all = vec!["runs", "--root", root.as_str()];
    all.extend(args);
    let mut cmd = common::xtask(&all);
    cmd.env_remove("GITHUB_ACTIONS");
    if ci {
        cmd.env("CI", "true");
    } else {
        cmd.env_remove("CI");
    }
    cmd.output().expect("xtask starts")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn the_list_is_newest_first_with_what_prune_would_spare_marked() {
    let history = fixture();
    let out = runs(&history, &[], false);
    insta::assert_snapshot!("list", ok(&out));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn the_list_as_json_gives_every_kind_the_same_fields() {
    let history = fixture();
    let list: Vec<Value> = serde_json::from_str(&ok(&runs(&history, &["--json"], false))).unwrap();
    assert_eq!(list.len(), 14);
    for entry in &list {
        for key in ["id", "kind", "dir", "started", "latest"] {
            assert!(entry.get(key).is_some(), "{key} missing in {entry}");
        }
        if entry["kind"] != "unknown" {
            // One type for both kinds: lists.
            for key in ["parties", "net", "hosts"] {
                assert!(entry[key].is_array(), "{key} of {}", entry["id"]);
            }
        }
    }
    let by_id = |id: &str| list.iter().find(|e| e["id"] == id).unwrap().clone();
    let half = by_id("20250304-120000-half");
    assert_eq!(half["status"], "resumable");
    assert_eq!(half["resumable"], true);
    assert_eq!(half["runs"]["done"], 1);
    assert_eq!(half["runs"]["scheduled"], 2);
    let small = by_id("20250305-080000-small");
    assert_eq!(small["latest"], "results/latest");
    assert_eq!(small["runs"]["failed"], 1);
    assert_eq!(
        small["run_dirs"],
        serde_json::json!([
            "logs/20250305-080001-helloworld",
            "logs/20250305-080002-helloworld"
        ])
    );
    let hosts = by_id("20250302-100000-sleeper");
    assert_eq!(hosts["where"], "hosts");
    assert_eq!(
        hosts["hosts"],
        serde_json::json!(["root@h1", "root@h2", "root@h3"])
    );
    assert_eq!(
        by_id("20250305-080002-helloworld")["experiments"][0],
        "20250305-080000-small"
    );
    assert_eq!(by_id("20250306-090000-future")["status"], "unknown");
    assert_eq!(by_id("notes")["started"], Value::Null);
}

#[test]
fn show_gives_a_runs_parties_and_an_experiments_cells_and_runs() {
    let history = fixture();
    for (name, query) in [
        // A prefix; regions under a network profile; stopped by its timeout.
        ("show_run_under_a_profile", "20250303"),
        // A host column; the failed party.
        ("show_run_on_hosts", "logs/20250302-100000-sleeper/"),
        // The newest run or experiment.
        ("show_latest", "latest"),
        // A link, and a finished experiment with a failed run.
        ("show_experiment", "results/latest"),
        ("show_unfinished_experiment", "20250304-120000"),
        ("show_experiment_file_unreadable", "20250306-090000"),
        ("show_run_of_an_experiment", "20250305-080002"),
        ("show_unknown", "notes"),
    ] {
        // The keys e3 knows grow: the snapshot claims only that the
        // unknown one is named.
        insta::with_settings!({filters => vec![(r"; the keys are [^\n]*", "; the keys are [...]")]}, {
            insta::assert_snapshot!(name, ok(&runs(&history, &["show", query], false)));
        });
    }
    let json: Value = serde_json::from_str(&ok(&runs(
        &history,
        &["show", "20250302-1", "--json"],
        false,
    )))
    .unwrap();
    assert_eq!(json["party"][2]["status"], "failed");
    assert_eq!(json["party"][2]["exit"], "1");
}

#[test]
fn an_id_that_names_nothing_or_several_is_exit_2_with_what_there_is() {
    let history = fixture();
    let out = runs(&history, &["show", "20240101"], false);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: no run or experiment `20240101` in logs/ or results/\n\
         hint: the newest: 20250308-110000-helloworld, 20250306-090000-future, 20250305-080000-small, \
         20250304-120000-half, 20250303-110000-secretsanta; `cargo xtask runs` lists them all\n"
    );
    let out = runs(&history, &["show", "20250305"], false);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: `20250305` could be 3 folders: logs/20250305-080001-helloworld, \
         logs/20250305-080002-helloworld, results/20250305-080000-small\n\
         hint: give more of the id (`cargo xtask runs` lists them all)\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_prune_in_a_pipeline_lists_what_it_would_remove_and_needs_yes() {
    let history = fixture();
    let before = tree(&history.0);
    let out = runs(&history, &["prune", "--keep", "2"], true);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: `cargo xtask runs prune` needs a yes, and no one is at a terminal to give it (CI is set)\n\
         hint: pass --yes\n"
    );
    insta::assert_snapshot!("prune_keep_2", text(&out.stdout));
    assert_eq!(tree(&history.0), before, "nothing was removed");
}

#[test]
fn a_dry_run_removes_nothing_even_with_yes() {
    let history = fixture();
    let before = tree(&history.0);
    let out = runs(
        &history,
        &["prune", "--older-than", "1", "--yes", "--dry-run"],
        true,
    );
    let stdout = ok(&out);
    assert!(
        stdout.ends_with("e3: removed nothing (--dry-run)\n"),
        "{stdout}"
    );
    assert_eq!(tree(&history.0), before);
}

#[test]
fn prune_keeps_the_newest_what_latest_points_at_unfinished_and_unknown_folders() {
    let history = fixture();
    let out = runs(&history, &["prune", "--keep", "2", "--yes"], true);
    let stdout = ok(&out);
    assert!(
        stdout.ends_with("e3: removed 3 folders; 4 runs and experiments stay\n"),
        "{stdout}"
    );
    assert_eq!(
        folders(&history.0),
        [
            "logs/20250304-120001-helloworld",
            "logs/20250305-080001-helloworld",
            "logs/20250305-080002-helloworld",
            "logs/20250306-090001-helloworld",
            "logs/20250307-100000-cnnmnist",
            "logs/20250308-110000-helloworld",
            "logs/latest",
            "logs/notes",
            "results/20250302-000000-crashed",
            "results/20250304-120000-half",
            "results/20250305-080000-small",
            "results/20250306-090000-future",
            "results/latest",
        ]
    );
    for link in ["logs/latest", "results/latest"] {
        assert!(
            history.0.join(link).is_dir(),
            "{link} still points at a folder"
        );
    }
}

#[test]
fn include_unfinished_removes_experiments_with_their_runs_but_not_what_latest_names() {
    let history = fixture();
    let out = runs(
        &history,
        &[
            "prune",
            "--older-than",
            "1",
            "--include-unfinished",
            "--yes",
        ],
        true,
    );
    let stdout = ok(&out);
    assert!(
        stdout.contains("  logs/20250304-120001-helloworld  its run"),
        "{stdout}"
    );
    assert_eq!(
        folders(&history.0),
        [
            "logs/20250305-080001-helloworld",
            "logs/20250305-080002-helloworld",
            "logs/20250307-100000-cnnmnist",
            "logs/20250308-110000-helloworld",
            "logs/latest",
            "logs/notes",
            "results/20250302-000000-crashed",
            "results/20250305-080000-small",
            "results/latest",
        ]
    );
    // What is left still reads as a history: the experiment with its runs.
    let list: Vec<Value> = serde_json::from_str(&ok(&runs(&history, &["--json"], false))).unwrap();
    assert_eq!(list.len(), 7);
}

#[test]
fn prune_without_a_rule_and_a_root_without_history_are_usage_errors() {
    let history = fixture();
    let out = runs(&history, &["prune", "--yes"], true);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .starts_with("error: runs prune needs a rule: --keep N or --older-than DAYS\nhint: "),
        "{}",
        text(&out.stderr)
    );
    let empty = Scratch::new("runs-empty");
    let out = runs(&empty, &[], false);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("holds neither logs/ nor results/"),
        "{}",
        text(&out.stderr)
    );
}

/// After a prune, `results/latest` may name a folder that is gone: `report`
/// says so, with where the link points, as it says a missing folder or a
/// file is not one, for the folder and for `--vs` (exit 2 each).
#[test]
fn report_names_a_dangling_link_a_missing_folder_and_a_file() {
    let scratch = Scratch::new("report-dangling");
    let link = scratch.path("latest");
    std::os::unix::fs::symlink(scratch.path("pruned"), &link).unwrap();
    std::fs::write(scratch.path("file"), "").unwrap();
    let experiment = scratch.path("experiment");
    std::fs::create_dir(&experiment).unwrap();
    std::fs::write(scratch.path("experiment/runs.jsonl"), "").unwrap();
    let (nothing, file) = (scratch.path("nothing"), scratch.path("file"));
    let cases = [
        (
            vec!["report", link.as_str()],
            format!(
                "error: `{link}` is a link to `{}`, which no longer exists",
                scratch.path("pruned")
            ),
        ),
        (
            vec!["report", experiment.as_str(), "--vs", link.as_str()],
            format!(
                "error: `{link}` is a link to `{}`, which no longer exists",
                scratch.path("pruned")
            ),
        ),
        (
            vec!["report", nothing.as_str()],
            format!("error: `{nothing}` does not exist"),
        ),
        (
            vec!["report", file.as_str()],
            format!("error: `{file}` is a file, not a folder"),
        ),
    ];
    for (args, first_line) in cases {
        let out = common::run(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().next(), Some(first_line.as_str()), "{args:?}");
        assert!(stderr.contains("\nhint: "), "{args:?}: {stderr}");
    }
}

/// An experiment that sweeps a named variable and the start mode: `show`
/// names what varies, with the variable's label and unit, and gives each
/// run its cell's values (a run's argument list alone would not say which
/// cell it was).
#[test]
fn show_names_an_experiments_swept_keys_in_its_runs() {
    let history = Scratch::new("runs-swept");
    let dir = history.0.join("results/20250307-100000-swept");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("experiment.toml"),
        "program = \"secretsanta\"\nparties = [3]\n\
         n = { values = [8, 16], label = \"input size n\", unit = \"people\" }\n\
         args = [\"{n}\"]\nstart = [\"warm\", \"cold\"]\nrepeat = 1\n",
    )
    .unwrap();
    let line = |run: u32, n: u32, start: &str| {
        format!(
            r#"{{"args":["{n}"],"cell":{{"n":{n},"parties":3,"start":"{start}"}},"cell_keys":["parties","n","start"],"error":null,"labels":{{"n":{{"label":"input size n","unit":"people"}}}},"log_dir":null,"parties":3,"party":[],"rep":1,"run":{run},"run_id":null,"start":"{start}","started_at":"2025-03-07T10:00:0{run}Z","status":"failed","wall_secs":null}}"#
        )
    };
    let lines = [
        line(1, 8, "warm"),
        line(2, 8, "cold"),
        line(3, 16, "warm"),
        line(4, 16, "cold"),
    ];
    std::fs::write(dir.join("runs.jsonl"), lines.join("\n") + "\n").unwrap();
    insta::assert_snapshot!(ok(&runs(&history, &["show", "20250307"], false)));
}
