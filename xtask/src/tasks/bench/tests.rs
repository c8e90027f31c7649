//! Checks across every benchmark.

use super::contender::{Contender, Warmth, claims_hold};
use super::{cold_build, many_parties, net, remote, run_overhead};

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
