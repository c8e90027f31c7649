//! `cargo xtask testnet` itself: the mistakes it names (exit 2), with the
//! testbeds it lists. Each test looks only at names and subnets claimed for
//! it (common/testbed.rs), and makes and takes down only its own testbed.
//!
//! Needs root (claims and testbeds live in /run and in the kernel), sshd,
//! rsync and iproute2: outside CI a machine without them skips these tests
//! with a printed reason; in CI (CI=true) that is a failure.

mod common;

use common::testbed::{Testbed, can_make_testbeds, claim, subnet_flag};
use common::*;

/// `testnet down` of a name that has no testbed (claimed, so no one else
/// makes one meanwhile): exit 2, naming it, listing the testbeds there are
/// (this test's own among them).
#[test]
fn down_with_no_testbed_of_that_name_says_so_and_lists_those_there_are() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(1);
    let unused = claim();
    let out = xtask(&[
        "testnet",
        "down",
        "--name",
        &unused.name,
        "--dir",
        unused.dir.as_str(),
    ])
    .output()
    .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: there is no testbed named `{}` on this machine\nhint: testbeds on this machine: ",
            unused.name
        )),
        "{stderr}"
    );
    let [a, b, c] = bed.subnet;
    assert!(
        stderr.contains(&format!("{} (1 host on {a}.{b}.{c}.0/24)", bed.name)),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    unused.release();
}

/// `testnet up` on a subnet a testbed has: exit 2; the error and its hint
/// name that testbed.
#[test]
fn up_on_a_subnet_in_use_names_the_testbed_that_has_it() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(1);
    let other = claim();
    let out = xtask(&[
        "testnet",
        "up",
        "1",
        "--name",
        &other.name,
        "--subnet",
        &subnet_flag(bed.subnet),
        "--dir",
        other.dir.as_str(),
    ])
    .output()
    .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let [a, b, c] = bed.subnet;
    let name = &bed.name;
    assert!(
        stderr.contains(&format!(
            "error: subnet {a}.{b}.{c}.0/24 is already in use by testbed `{name}` (its bridge {name}-br has {a}.{b}.{c}.1/24)\n\
             hint: choose another --subnet, or take testbed `{name}` down: `cargo xtask testnet down --name {name}`"
        )),
        "{stderr}"
    );
    // Nothing of the refused testbed was made.
    assert!(!other.dir.exists());
    let down = xtask(&["testnet", "down", "--name", &other.name])
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(2), "{}", text(&down.stderr));
    other.release();
}

/// Link and TCP counters the testbed owns: its veths' and bridge's drops
/// (this machine's side), and in each host's namespace its eth0's drops
/// and nstat's SYN retransmissions and listen drops.
fn drops(bed: &Testbed) -> Vec<(String, u64)> {
    let sh = shell();
    let link = |ns: Option<&str>, dev: &str| -> u64 {
        let json = match ns {
            Some(ns) => xshell::cmd!(sh, "ip -n {ns} -s -j link show dev {dev}")
                .quiet()
                .read(),
            None => xshell::cmd!(sh, "ip -s -j link show dev {dev}")
                .quiet()
                .read(),
        }
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let stats = &v[0]["stats64"];
        stats["rx"]["dropped"].as_u64().unwrap() + stats["tx"]["dropped"].as_u64().unwrap()
    };
    let mut found = vec![(
        format!("{}-br", bed.name),
        link(None, &format!("{}-br", bed.name)),
    )];
    for i in 1..=bed.hosts {
        let host = bed.host(i);
        found.push((
            format!("{}-v{i}", bed.name),
            link(None, &format!("{}-v{i}", bed.name)),
        ));
        found.push((format!("{host} eth0"), link(Some(&host), "eth0")));
        let nstat = xshell::cmd!(
            sh,
            "ip netns exec {host} nstat -az TcpExtTCPSynRetrans TcpExtListenDrops TcpExtListenOverflows"
        )
        .quiet()
        .read()
        .unwrap();
        for line in nstat.lines().filter(|l| l.starts_with("Tcp")) {
            let mut words = line.split_whitespace();
            let (name, value) = (words.next().unwrap(), words.next().unwrap());
            found.push((format!("{host} {name}"), value.parse().unwrap()));
        }
    }
    found
}

/// A testbed of 48 hosts connects every party, and its own counters saw
/// no drop and no SYN sent twice during the run: every host knows every
/// other's link-layer address from the start (no ARP storm). Counters, not
/// times. Then `down` leaves no neighbour entry, link or namespace behind.
#[test]
fn forty_eight_hosts_connect_without_a_drop_and_leave_nothing_behind() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(48);
    // The testbed came up without losing a packet of its own (its links
    // carry no IPv6 chatter, its bridge is up only with its ports), so
    // that `up` has nothing to warn of and a run's growth is the run's.
    let before = drops(&bed);
    let lost: Vec<_> = before.iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(lost, Vec::<&(String, u64)>::new(), "lost while coming up");
    let out = bed
        .run("helloworld", &["--parallel", "48", "--json", "--", "-T1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = summary_of(&out);
    let parties = summary["parties"].as_array().unwrap();
    assert_eq!(parties.len(), 48);
    for p in parties {
        assert_eq!(p["status"], "ok", "{p:#}");
        assert!(p["connected_after_secs"].is_number(), "{p:#}");
    }
    let after = drops(&bed);
    assert_eq!(before.len(), after.len());
    let grew: Vec<(String, u64, u64)> = before
        .iter()
        .zip(&after)
        .filter(|((_, b), (_, a))| a > b)
        .map(|((name, b), (_, a))| (name.clone(), *b, *a))
        .collect();
    assert_eq!(grew, [], "drops or SYN retransmissions during the run");

    // Down, read back while this test still holds the name and subnet.
    let out = xtask(&[
        "testnet",
        "down",
        "--name",
        &bed.name,
        "--dir",
        &bed.dir.to_string_lossy(),
    ])
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sh = shell();
    let [a, b, c] = bed.subnet;
    let prefix = format!("{a}.{b}.{c}.");
    let neigh = xshell::cmd!(sh, "ip neigh show").quiet().read().unwrap();
    assert!(
        !neigh.lines().any(|l| l.starts_with(&prefix)),
        "neighbour entries left: {neigh}"
    );
    let links = xshell::cmd!(sh, "ip -o link show").quiet().read().unwrap();
    assert!(
        !links.contains(&format!(" {}-", bed.name)),
        "links left: {links}"
    );
    let namespaces = xshell::cmd!(sh, "ip netns list").quiet().read().unwrap();
    assert!(
        !namespaces
            .lines()
            .any(|l| l.starts_with(&format!("{}-h", bed.name))),
        "namespaces left: {namespaces}"
    );
}
