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
