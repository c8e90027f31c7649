//! Checks across every benchmark.

use clap::{CommandFactory, Parser};

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

/// The help of a benchmark's flag, as `cargo xtask bench NAME --help` says it.
fn help(bench: &str, flag: &str) -> String {
    let cli = Cli::command();
    let sub = cli
        .find_subcommand("bench")
        .and_then(|b| b.find_subcommand(bench))
        .unwrap_or_else(|| panic!("no bench {bench}"));
    sub.get_arguments()
        .find(|a| a.get_long() == Some(flag))
        .and_then(|a| a.get_help())
        .map(|h| h.to_string())
        .unwrap_or_else(|| panic!("no help for {bench} --{flag}"))
}

/// A benchmark's check of its options, at a number of runs.
type RunsCheck = dyn Fn(usize) -> crate::error::Result<()>;

/// Each --runs says its limit, and the benchmark holds to it: one run fewer
/// is a usage error (exit 2) naming --runs, with a hint.
#[test]
fn runs_help_states_the_limit_the_benchmark_keeps() {
    let checks: [(&str, usize, &RunsCheck); 4] = [
        (
            "run-overhead",
            run_overhead::LEAST_RUNS,
            &run_overhead::check,
        ),
        ("many-parties", many_parties::LEAST_RUNS, &|runs| {
            many_parties::check(runs, &[16])
        }),
        ("net", net::LEAST_RUNS, &net::check),
        ("remote", remote::LEAST_RUNS, &|runs| {
            remote::check(&[16], runs, 0)
        }),
    ];
    for (bench, least, check) in checks {
        let text = help(bench, "runs");
        assert!(
            text.ends_with(&format!("; at least {least}")),
            "{bench}: {text}"
        );
        assert!(check(least).is_ok(), "{bench}");
        let err = check(least - 1).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{bench}");
        assert!(err.message.starts_with("--runs "), "{bench}: {err}");
        assert_eq!(err.hints.len(), 1, "{bench}: {err}");
    }
}

#[test]
fn parties_and_hosts_help_state_their_limits_and_refusals_name_them() {
    let (least, most) = (many_parties::PARTIES.start(), many_parties::PARTIES.end());
    assert!(help("many-parties", "parties").ends_with(&format!("from {least} to {most}")));
    for counts in [&[][..], &[16, most + 1], &[least - 1]] {
        let err = many_parties::check(3, counts).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.message.starts_with("--parties"), "{err}");
        assert_eq!(err.hints.len(), 1);
    }
    assert!(many_parties::check(3, &[*least, *most]).is_ok());
    let (least, most) = (remote::HOSTS.start(), remote::HOSTS.end());
    assert!(help("remote", "hosts").ends_with(&format!("{least} to {most} each")));
    for hosts in [least - 1, most + 1] {
        let err = remote::check(&[16, hosts], 5, 0).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.message.starts_with(&format!("--hosts {hosts}")),
            "{err}"
        );
        assert_eq!(err.hints.len(), 1);
        let err = remote::check(&[16], 5, hosts).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.message.starts_with(&format!("--packed {hosts}")),
            "{err}"
        );
    }
    assert!(remote::check(&[16], 5, 0).is_ok());
    assert!(remote::check(&[16], 5, *most).is_ok());
}
