//! The party table and every party's command for the original topology.

use e3_inventory::Inventory;
use prun::{Layout, Settings, plan_parties, render_party_table};

fn six_regions() -> Inventory {
    Inventory::from_pssh(
        include_str!("fixtures/six-regions.pssh"),
        "six-regions.pssh",
    )
    .unwrap()
}

fn settings(parties: usize, per_host: usize) -> Settings {
    Settings {
        layout: Layout {
            parties,
            per_host,
            base_port: prun::DEFAULT_PORT,
        },
        log_level: Some("debug".into()),
        program: ["python3", "./demos/secretsanta.py", "3"]
            .map(String::from)
            .to_vec(),
    }
}

#[test]
fn one_party_per_host() {
    let commands = plan_parties(&six_regions(), &settings(6, 1)).unwrap();
    insta::assert_snapshot!(render_party_table(&commands));
}

#[test]
fn two_parties_per_host() {
    let commands = plan_parties(&six_regions(), &settings(12, 2)).unwrap();
    insta::assert_snapshot!(render_party_table(&commands));
}

#[test]
fn fewer_parties_than_hosts_use_the_first_hosts() {
    let commands = plan_parties(&six_regions(), &settings(4, 1)).unwrap();
    let hosts: Vec<&str> = commands.iter().map(|c| c.host.short_name()).collect();
    assert_eq!(
        hosts,
        [
            "mpyc-demo--ams3-0-15e53f39",
            "mpyc-demo--ams3-1-0b6a2c11",
            "mpyc-demo--ams3-2-9d4e7f02",
            "mpyc-demo--sfo3-0-e2a95b30"
        ]
    );
    assert!(
        commands
            .iter()
            .all(|c| c.argv.iter().filter(|a| *a == "-P").count() == 4)
    );
}

#[test]
fn too_many_parties() {
    let err = plan_parties(&six_regions(), &settings(7, 1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "7 parties need 7 hosts, but the host list has 6; use fewer parties or --parties-per-host"
    );
    let err = plan_parties(&six_regions(), &settings(257, 50)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "257 parties is more than MPyC supports (at most 256)"
    );
}
