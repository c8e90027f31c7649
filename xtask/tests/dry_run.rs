//! `--dry-run` shows every task's plan on a machine that has none of what
//! the real run needs, and e3 ends quietly when its reader goes away.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use common::{
    Scratch, assert_none_left, bare, processes_mentioning, program, python_env, read_until, root,
    text, unique, xtask,
};
use serde_json::Value;

/// Every task: exit 0, its plan on stdout (with `expect` in it), what the
/// machine lacks as warnings on stderr (with `warned` in them).
#[test]
fn every_task_shows_its_plan_on_a_machine_without_its_tools() {
    let home = Scratch::new("dry-run-home");
    let hosts = home.path("hosts.pssh");
    std::fs::write(&hosts, "h1\nalice@h2:2222\nh3\n").unwrap();
    let run_dir = home.path("run");
    std::fs::create_dir_all(&run_dir).unwrap();
    // Each task as a newcomer types it, what its plan shows, and what the
    // warnings name.
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["run", "secretsanta", "--parties", "6"],
            "secretsanta.py",
            "`python3` was not found",
        ),
        (
            &["run", "secretsanta", "--parties", "6", "--cold"],
            "-I 5",
            "`python3` was not found",
        ),
        (
            &["run", "secretsanta", "--hosts", &hosts],
            "secretsanta.py",
            "`ssh` was not found",
        ),
        (
            &["sync", "--hosts", &hosts],
            "rsync",
            "`rsync` was not found",
        ),
        (
            &["netprobe", "--hosts", &hosts],
            "pingpong",
            "`ssh` was not found",
        ),
        (&["disconnect"], "ssh -O exit", "`ssh` was not found"),
        (&["testnet", "up", "3"], "netns", "`ip` was not found"),
        (&["hosts"], "output -json", "`terraform` was not found"),
        (&["image", "--do"], "nix", "`nix` was not found"),
        (&["image", "--pi4"], "nix", "aarch64"),
        (
            &["deploy", "--nodes", "ams3=1"],
            "terraform",
            "`terraform` or `tofu` was not found",
        ),
        (
            &["destroy"],
            "terraform",
            "no deploy was made from this checkout",
        ),
        (
            &["leftovers"],
            "e3--",
            "no deploy was made from this checkout",
        ),
        (
            &["experiment", "experiments/local-secretsanta.toml"],
            "secretsanta.py",
            "`python3` was not found",
        ),
        (&["doctor"], "binfmt_misc", ""),
        (&["tailnet", "devices"], "devices", ""),
        (&["tailnet", "prune", "--prefix", "e3"], "devices", ""),
        (
            &["runs", "prune", "--keep", "100000"],
            "nothing to remove",
            "",
        ),
        (&["bench", "run-overhead"], "-M6", "`cargo` was not found"),
        (
            &["bench", "many-parties"],
            "--cold",
            "`python3` was not found",
        ),
        (&["bench", "net"], "--net", ""),
        (&["bench", "cold-build"], "git clone", "`git` was not found"),
        (
            &["bench", "remote"],
            "testnet up",
            "`parallel-ssh` was not found",
        ),
    ];
    let mut wrong = Vec::new();
    for (args, expect, warned) in cases {
        let mut argv = vec!["--dry-run"];
        argv.extend(args.iter());
        let out = bare(&argv, &home);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        let shown = format!("$ cargo xtask {}\n{stdout}{stderr}", argv.join(" "));
        if out.status.code() != Some(0) {
            wrong.push(format!("exit {:?}:\n{shown}", out.status.code()));
        } else if !stdout.contains(expect) {
            wrong.push(format!("no `{expect}` in the plan:\n{shown}"));
        } else if !warned.is_empty() && !stderr.contains("warning: ") {
            wrong.push(format!("no warning:\n{shown}"));
        } else if !stderr.contains(warned) {
            wrong.push(format!("no warning naming `{warned}`:\n{shown}"));
        } else if stderr.contains("panicked") || stderr.contains("error:") {
            wrong.push(format!("an error or a panic:\n{shown}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// What the user wrote wrong is still an error with a dry run.
#[test]
fn a_dry_run_still_refuses_what_the_user_wrote_wrong() {
    let home = Scratch::new("dry-run-wrong");
    for args in [
        &["--dry-run", "run", "secretsanta", "--parties", "0"][..],
        &["--dry-run", "run", "no-such-program"],
        &[
            "--dry-run",
            "run",
            "secretsanta",
            "--hosts",
            "/nonexistent/hosts.pssh",
        ],
        &["--dry-run", "deploy", "--nodes", "ams3"],
        &["--dry-run", "experiment", "/nonexistent/sweep.toml"],
    ] {
        let out = bare(args, &home);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert!(text(&out.stderr).contains("error: "), "{args:?}");
    }
}

/// Reads `child`'s stdout as `read` does, then goes away; returns what
/// was read, how the child ended and what it said on stderr.
fn read_then_leave(
    args: &[&str],
    read: impl FnOnce(&mut BufReader<std::process::ChildStdout>) -> String,
) -> (String, std::process::ExitStatus, String) {
    let mut child = xtask(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let seen = read(&mut stdout);
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    (seen, status, stderr)
}

/// `... --dry-run | head -1` with a plan much larger than a pipe's buffer:
/// e3 ends as killed by SIGPIPE, with no panic and nothing on stderr.
#[test]
fn a_dry_run_whose_reader_goes_away_ends_quietly() {
    let scratch = Scratch::new("dry-run-pipe");
    // An experiment of 9000 runs: its plan is far beyond 64 KiB too.
    let sweep = scratch.path("sweep.toml");
    std::fs::write(
        &sweep,
        "program = \"helloworld\"\nparties = [3, 4, 5]\nrepeat = 3000\n",
    )
    .unwrap();
    for args in [
        &[
            "--dry-run",
            "run",
            "helloworld",
            "--parties",
            "200",
            "--cold",
        ][..],
        &["--dry-run", "run", "helloworld", "--parties", "200"],
        &["--dry-run", "experiment", &sweep],
    ] {
        // Larger than a pipe's buffer, or the test would prove nothing.
        let whole = xtask(args).output().unwrap();
        assert!(whole.stdout.len() > 1 << 17, "{args:?}: a small plan");
        let (seen, status, stderr) = read_then_leave(args, |out| {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            line
        });
        assert!(!seen.is_empty(), "{args:?}: nothing read");
        assert_eq!(
            status.signal(),
            Some(libc_sigpipe()),
            "{args:?}: {status:?}\n{stderr}"
        );
        assert_eq!(stderr, "", "{args:?}");
    }
}

/// A live run whose reader goes away stops its parties, writes its summary
/// and logs, and then ends as killed by SIGPIPE.
#[test]
fn a_live_run_whose_reader_goes_away_stops_and_keeps_its_logs() {
    python_env();
    let sleeper = program("sleeper.py");
    for mode in ["--warm", "--cold"] {
        let marker = unique("reader-gone");
        let args = ["run", &sleeper, "--parties", "3", mode, "--", &marker];
        let (seen, status, stderr) =
            read_then_leave(&args, |out| read_until(out, "party 0 sleeping"));
        assert_eq!(
            status.signal(),
            Some(libc_sigpipe()),
            "{status:?}\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        // The run's folder, from its first line.
        let logs = seen
            .split("logs in ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no log folder in:\n{seen}"));
        let summary: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join(logs).join("summary.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(summary["ok"], false);
        assert!(
            summary["error"].as_str().unwrap().contains("went away"),
            "{summary:#}"
        );
        for party in summary["parties"].as_array().unwrap() {
            assert_eq!(party["status"], "stopped", "{party:#}");
        }
        assert_none_left("parties", || processes_mentioning(&marker));
    }
}

fn libc_sigpipe() -> i32 {
    13
}
