//! Checks of the tree itself, run with every `cargo test`.

mod common;

use std::path::{Path, PathBuf};

use common::{root, shell};
use xshell::cmd;

/// The Rust files under `dir`, each with its path relative to the
/// workspace root and its code before any `#[cfg(test)]` (unit tests at the
/// end of a file may do what the code may not).
fn code_under(dir: &Path) -> Vec<(String, String)> {
    let root = root();
    common::files_ending(dir, "rs")
        .into_iter()
        .map(|file| {
            let rel = file
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap().to_string();
            (rel, code)
        })
        .collect()
}

/// Planning is pure: only the executor (crates/e3-exec) starts processes.
/// Tests and the host-side `prun` binary (which execs its program) may too.
#[test]
fn only_the_executor_starts_processes() {
    let mut offenders = Vec::new();
    for (rel, code) in code_under(&root()) {
        let allowed = rel.starts_with("crates/e3-exec/")
            || rel.contains("/tests/")
            || rel.starts_with("crates/prun/src/bin/");
        if allowed {
            continue;
        }
        for needle in ["process::Command", "Command::new(", "duct::", "xshell::"] {
            if code.contains(needle) {
                offenders.push(format!("{rel}: {needle}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "start processes through e3-exec instead: {offenders:#?}"
    );
}

/// Ways of printing straight to the terminal.
const PRINTING: [&str; 6] = [
    "println!",
    "eprintln!",
    "print!(",
    "eprint!(",
    "io::stdout",
    "io::stderr",
];

/// `file: needle` for every needle in the code under `dir` (files that
/// `skip` accepts left out).
fn offenders(dir: &str, skip: impl Fn(&str) -> bool, needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (rel, code) in code_under(&root().join(dir)) {
        if skip(&rel) {
            continue;
        }
        for needle in needles {
            if code.contains(needle) {
                found.push(format!("{rel}: {needle}"));
            }
        }
    }
    found
}

/// The libraries (crates/*) return values, errors and events; only the
/// tasks in xtask/ read flags and decide what people see. The host-side
/// `prun` binary is a command-line program of its own.
#[test]
fn libraries_know_no_flags_and_print_nothing() {
    let needles: Vec<&str> = std::iter::once("clap::").chain(PRINTING).collect();
    let found = offenders(
        "crates",
        |rel| rel.contains("/tests/") || rel.contains("/src/bin/"),
        &needles,
    );
    assert!(
        found.is_empty(),
        "report events or return values, and let the task print: {found:#?}"
    );
}

/// xtask prints only through `xtask/src/out.rs`, which ends e3 quietly when
/// its reader goes away (`println!` panics on a broken pipe).
#[test]
fn the_tasks_print_only_through_out() {
    let found = offenders(
        "xtask/src",
        |rel| rel == "xtask/src/out.rs" || rel.contains("/tests/"),
        &PRINTING,
    );
    assert!(
        found.is_empty(),
        "print with crate::out (outln!, errln!, out::print): {found:#?}"
    );
}

/// CI runs the README's test command, word for word, and that command runs
/// every test binary even when one fails.
#[test]
fn ci_runs_the_readme_test_command() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let after = readme
        .split("Run the whole test suite")
        .nth(1)
        .expect("the README says how to run the whole test suite");
    let command = after
        .split("```sh\n")
        .nth(1)
        .and_then(|block| block.lines().next())
        .expect("a sh block with the command")
        .trim()
        .to_string();
    assert!(command.starts_with("cargo test"), "{command}");
    assert!(command.contains("--no-fail-fast"), "{command}");
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|line| line.trim() == command),
        ".ci/run does not run the README's `{command}`"
    );
}

#[test]
fn formatting() {
    let sh = shell();
    let cargo = env!("CARGO");
    let out = cmd!(sh, "{cargo} fmt --all -- --check")
        .ignore_status()
        .quiet()
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "code is not formatted; run `cargo fmt --all`:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The layers of docs/design.md: a crate depends only on crates in lower
/// layers, so the arrows between them point one way.
#[test]
fn crates_depend_only_on_lower_layers() {
    let layers: &[(&str, u32)] = &[
        ("e3-plan", 0),
        ("e3-toml", 0),
        ("e3-render", 0),
        ("e3-inventory", 1),
        ("e3-exec", 1),
        ("e3-nix", 1),
        ("e3-deploy", 1),
        ("e3-cloud", 1),
        ("e3-report", 1),
        ("e3-net", 1),
        ("e3-testnet", 2),
        ("e3-doctor", 2),
        ("e3-ssh", 2),
        ("prun", 2),
        ("e3-run", 3),
        ("e3-experiment", 4),
        ("e3-history", 5),
        ("xtask", 6),
    ];
    let layer = |name: &str| layers.iter().find(|(n, _)| *n == name).map(|(_, l)| *l);
    let root = root();
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("Cargo.toml"))
        .collect();
    manifests.push(root.join("xtask/Cargo.toml"));
    let mut wrong = Vec::new();
    for manifest in manifests {
        let text = std::fs::read_to_string(&manifest).unwrap();
        let name = text
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .unwrap()
            .trim_matches('"');
        let Some(own) = layer(name) else {
            wrong.push(format!("{name}: not in docs/design.md's layers"));
            continue;
        };
        // The [dependencies] section only: tests may use anything.
        let deps = text
            .split("[dependencies]")
            .nth(1)
            .unwrap_or("")
            .split("\n[")
            .next()
            .unwrap();
        for dep in deps.lines().filter_map(|l| l.split('.').next()) {
            if let Some(theirs) = layer(dep.trim())
                && theirs >= own
            {
                wrong.push(format!("{name} (layer {own}) uses {dep} (layer {theirs})"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
