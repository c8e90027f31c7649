//! Checks across every benchmark.

use clap::Parser;

use super::contender::{Contender, Warmth, claims_hold};
use super::{cold_build, describe, many_parties, net, remote, report, run_overhead};
use crate::cli::{Bench, Cli, Task};

fn bench(line: &str) -> Bench {
    let argv = std::iter::once("cargo xtask").chain(line.split_whitespace());
    match Cli::try_parse_from(argv).unwrap().task {
        Task::Bench(args) => args.which,
        other => panic!("not bench: {other:?}"),
    }
}

/// The Reproduce line of `cargo xtask LINE`.
fn reproduce(line: &str) -> String {
    let (section, options) = describe(&bench(line));
    report::reproduce(&section, &options)
}

const GIVEN: [&str; 11] = [
    "bench run-overhead",
    "bench run-overhead --runs 9",
    "bench many-parties",
    "bench many-parties --parties 16,64 --runs 5",
    "bench many-parties --runs 4 --parties 2",
    "bench net --runs 11",
    "bench cold-build",
    "bench remote",
    "bench remote --hosts 8 --runs 6",
    "bench --out /tmp/figures run-overhead --runs 5",
    "bench net --write-docs",
];

/// The Reproduce line, run again, asks for the very benchmark that was
/// given: every option, given or left to its default, is on it. (Where the
/// figures went, --out or --write-docs, is not a measurement's option.)
#[test]
fn reproduce_asks_again_for_what_was_given() {
    for line in GIVEN {
        let again = reproduce(line);
        let command = again
            .split('`')
            .nth(1)
            .and_then(|c| c.rsplit("cargo xtask ").next())
            .unwrap();
        assert_eq!(bench(command), bench(line), "{again}");
    }
}

#[test]
fn reproduce_lines() {
    let lines: Vec<String> = GIVEN
        .iter()
        .map(|line| format!("{line}\n  {}", reproduce(line)))
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

/// Every benchmark's contenders, made with made-up tools in `/e3`.
fn every_contender() -> Vec<Contender> {
    let root = "/e3".into();
    let xtask = "/e3/target/debug/xtask".into();
    let python = "/e3/.e3/venv/bin/python".into();
    let mut all = Vec::new();
    for default in [Warmth::Warm, Warmth::Cold] {
        all.extend(run_overhead::contenders(
            root,
            &run_overhead::tests::tools(),
            default,
        ));
    }
    for m in [2, 16, 64, 128] {
        all.extend(many_parties::contenders(root, xtask, python, m));
    }
    let net = net::tests::plan_in_e3();
    all.extend([net.direct, net.lan]);
    let remote = remote::tests::plan_of_four();
    all.extend([remote.e3, remote.baseline]);
    all.push(cold_build::tests::plan_in_tmp().1);
    all
}

/// A contender labelled warm carries `--warm`, cold `--cold`, a default
/// neither; a flag on the line is in the label.
#[test]
fn every_contender_is_what_its_label_says() {
    let wrong: Vec<String> = every_contender()
        .iter()
        .filter_map(|c| claims_hold(c).err())
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The bug this guards against: many-parties labelled a run "cold" that
/// e3 started warm from 16 parties on.
#[test]
fn many_parties_cold_is_cold_at_every_count() {
    for m in [2, 16, 64, 128] {
        let list = many_parties::contenders(
            "/e3".into(),
            "/e3/target/debug/xtask".into(),
            "/e3/.e3/venv/bin/python".into(),
            m,
        );
        let cold: Vec<&Contender> = list.iter().filter(|c| c.label.contains("cold")).collect();
        assert_eq!(cold.len(), 1);
        let argv = cold[0].steps[0].argv();
        assert!(argv.contains(&"--cold"), "{argv:?}");
    }
}
