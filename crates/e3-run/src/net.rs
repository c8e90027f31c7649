//! A local run under a network profile (`run --net`): which relay each
//! party reaches each other party through, and the relays' routes.
//!
//! Party i listens on its own `-P` entry, as always, and its entry j (for
//! every other party j) is the relay for (party i's region, party j): a
//! loopback listener that forwards to party j's own port with the link
//! between the two regions. So every party is given a `-P` list of its
//! own, and the relays need regions × parties listeners, not one per link.

use std::net::{Ipv4Addr, SocketAddr};

use e3_net::{Profile, Route};
use prun::Party;

/// The routes of a run under a profile, and each party's addresses.
#[derive(Clone, Debug)]
pub struct NetRun {
    pub profile: Profile,
    /// Each party's region, in party order.
    pub regions: Vec<String>,
    /// The profile's regions, in placement order.
    region_names: Vec<String>,
    /// The first relay port: the relay for (region r, party j) listens on
    /// `relay_base + r * parties + j`.
    relay_base: u16,
    /// The parties' own addresses.
    own: Vec<String>,
    /// The program that runs a share of the relays in a process of its
    /// own ([`SHARD_SUBCOMMAND`]), when e3's process may not hold them all.
    pub shard_program: Option<camino::Utf8PathBuf>,
    /// e3's open-file limit (raised as far as allowed), which decides
    /// whether the relays run in e3's process or in several.
    pub open_files: u64,
}

/// The subcommand (of the xtask binary) that serves a share of the relays:
/// `relay-shard --routes FILE`; it prints [`SHARD_READY`] once listening.
pub const SHARD_SUBCOMMAND: &str = "relay-shard";
pub const SHARD_READY: &str = "e3-relays ready";

impl NetRun {
    /// How many relay ports a run of `parties` under `profile` needs.
    pub fn relay_ports(profile: &Profile, parties: usize) -> usize {
        profile.placement.len() * parties
    }

    /// `profile` must place exactly `table.len()` parties; the relays take
    /// [`NetRun::relay_ports`] ports from `relay_base` (reserved by the
    /// caller).
    pub fn new(profile: Profile, table: &[Party], relay_base: u16) -> NetRun {
        NetRun {
            regions: profile.regions_of_parties(),
            region_names: profile.regions().iter().map(|r| r.to_string()).collect(),
            relay_base,
            own: table.iter().map(Party::address).collect(),
            profile,
            shard_program: None,
            open_files: u64::MAX,
        }
    }

    /// How many processes the relays run in: 1 is e3's own.
    pub fn relay_processes(&self) -> usize {
        e3_net::relay_processes(self.own.len(), self.region_names.len(), self.open_files)
    }

    fn region_index(&self, region: &str) -> usize {
        self.region_names
            .iter()
            .position(|r| r == region)
            .expect("every party's region is in the placement")
    }

    fn relay_port(&self, from_region: &str, to: usize) -> u16 {
        let r = self.region_index(from_region);
        self.relay_base + (r * self.own.len() + to) as u16
    }

    /// Party `i`'s `-P` list: its own address at `i`, the relay from its
    /// region to party j at every `j`.
    pub fn addresses_for(&self, i: usize) -> Vec<String> {
        (0..self.own.len())
            .map(|j| match j == i {
                true => self.own[i].clone(),
                false => format!("127.0.0.1:{}", self.relay_port(&self.regions[i], j)),
            })
            .collect()
    }

    /// `-I i -P ...` for party `i`.
    pub fn mpyc_args(&self, i: usize) -> Vec<String> {
        let mut args = vec!["-I".to_string(), i.to_string()];
        for address in self.addresses_for(i) {
            args.push("-P".to_string());
            args.push(address);
        }
        args
    }

    /// Every relay: from each region to each party.
    pub fn routes(&self) -> Vec<Route> {
        let mut routes = Vec::with_capacity(self.region_names.len() * self.own.len());
        for from in &self.region_names {
            for (j, target) in self.own.iter().enumerate() {
                routes.push(Route {
                    listen: SocketAddr::from((Ipv4Addr::LOCALHOST, self.relay_port(from, j))),
                    target: target.parse().expect("a local party's address is ip:port"),
                    link: self.profile.link(from, &self.regions[j]),
                });
            }
        }
        routes
    }

    /// What the plan says about the relays (they run in e3's process).
    pub fn describe(&self) -> String {
        let parties = self.own.len();
        let first = self.relay_base;
        let last = first as usize + self.region_names.len() * parties - 1;
        let mut lines = vec![format!(
            "network profile `{}` ({}): parties in {}",
            self.profile.name,
            self.profile.source,
            self.profile
                .placement
                .iter()
                .map(|(r, n)| format!("{r}={n}"))
                .collect::<Vec<_>>()
                .join(",")
        )];
        let place = match self.relay_processes() {
            1 => "in its own process".to_string(),
            n => format!(
                "in {n} processes of their own (`{SHARD_SUBCOMMAND}`: about {} open files, over e3's limit of {})",
                e3_net::files_needed(self.own.len(), self.region_names.len()),
                self.open_files
            ),
        };
        lines.push(format!(
            "e3 relays every link, {place}: 127.0.0.1:{first}-{last}, one per (source region, target party); party i's entry j is the relay from i's region to j"
        ));
        let regions = self.profile.regions();
        for (i, a) in regions.iter().enumerate() {
            for b in &regions[i..] {
                let link = self.profile.link(a, b);
                let cap = link.bits_per_sec.map_or("no cap".to_string(), |b| {
                    format!("{} Mbit/s", b as f64 / 1e6)
                });
                lines.push(format!(
                    "  {a} <-> {b}: round trip {} ms, {cap}, jitter {} ms",
                    self.profile.rtt(a, b),
                    link.jitter.as_secs_f64() * 1000.0
                ));
            }
        }
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_party_reaches_the_others_through_its_regions_relays() {
        let profile = e3_net::profile::parse(
            "source = \"t\"\nplacement = { ams3 = 2, sgp1 = 1 }\n[rtt_ms]\nintra = 2\n\"ams3-sgp1\" = 160\n",
            "t",
            "t.toml",
        )
        .unwrap();
        let table = prun::party_table(
            &["127.0.0.1".to_string()],
            &prun::Layout {
                parties: 3,
                per_host: 3,
                base_port: 11599,
            },
        )
        .unwrap();
        let net = NetRun::new(profile, &table, 11602);
        assert_eq!(NetRun::relay_ports(&net.profile, 3), 6);
        // Party 0 (ams3): itself, then the ams3 relays to parties 1 and 2.
        assert_eq!(
            net.addresses_for(0),
            ["127.0.0.1:11599", "127.0.0.1:11603", "127.0.0.1:11604"]
        );
        // Party 2 (sgp1): the sgp1 relays to 0 and 1, then itself.
        assert_eq!(
            net.addresses_for(2),
            ["127.0.0.1:11605", "127.0.0.1:11606", "127.0.0.1:11601"]
        );
        let routes = net.routes();
        assert_eq!(routes.len(), 6);
        // sgp1 -> party 0 (ams3): half of 160 ms.
        assert_eq!(routes[3].listen.port(), 11605);
        assert_eq!(routes[3].target.port(), 11599);
        assert_eq!(routes[3].link.one_way.as_millis(), 80);
        // ams3 -> party 1 (ams3): half of the intra round trip.
        assert_eq!(routes[1].link.one_way.as_millis(), 1);
    }
}
