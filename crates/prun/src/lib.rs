//! Who is which MPyC party, and what each one runs.
//!
//! The original system decided this in `prun.sh` on every host: party `i` is
//! the `i`-th line of `hosts.pssh`, and every party gets `-I i` plus the same
//! ordered `-P host:port` list. This crate is that logic as pure functions,
//! shared by `cargo xtask run` (local and remote) and the host-side `prun`
//! binary.

pub mod mpyc;

use std::fmt;
use std::net::IpAddr;

use e3_inventory::{Host, Inventory};

/// MPyC refuses more parties than this.
pub const MAX_PARTIES: usize = 256;

/// The port the original prun.sh used for every party.
pub const DEFAULT_PORT: u16 = 11599;

/// How the parties are laid out over the hosts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// How many parties in all (`--parties`).
    pub parties: usize,
    /// How many parties one host may run (`--parties-per-host`): a host's
    /// `k`-th party listens on `base_port + k`.
    pub per_host: usize,
    pub base_port: u16,
}

/// One party of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    pub index: usize,
    /// Position of its host in the inventory.
    pub host_index: usize,
    /// The address other parties use for it.
    pub host: String,
    pub port: u16,
}

impl Party {
    /// `host:port` as people read it: an IPv6 address in brackets
    /// (`[::1]:11599`).
    pub fn address(&self) -> String {
        format!(
            "{}:{}",
            e3_inventory::Address::of(&self.host).bracketed_or(&self.host),
            self.port
        )
    }

    /// `host:port` as MPyC's `-P` takes it. MPyC 0.11 splits it at the
    /// last `:` (`mpyc/runtime.py`, `setup`: `party.rsplit(':', maxsplit=1)`)
    /// and hands the host to asyncio as it is, so an IPv6 address goes
    /// bare (`::1:11599`): in brackets it is no host name, and the party
    /// retries its connection forever.
    pub fn mpyc_address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Why no party table can be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutError {
    NoParties,
    TooManyParties(usize),
    NoHosts,
    NotEnoughHosts {
        parties: usize,
        hosts: usize,
        per_host: usize,
    },
    PerHostZero,
    PortsOverflow {
        base: u16,
        needed: usize,
    },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::NoParties => write!(f, "the number of parties must be at least 1"),
            LayoutError::TooManyParties(n) => {
                write!(
                    f,
                    "{n} parties is more than MPyC supports (at most {MAX_PARTIES})"
                )
            }
            LayoutError::NoHosts => write!(f, "the host list is empty"),
            LayoutError::NotEnoughHosts {
                parties,
                hosts,
                per_host: 1,
            } => write!(
                f,
                "{parties} parties need {parties} hosts, but the host list has {hosts}; \
                 use fewer parties or --parties-per-host"
            ),
            LayoutError::NotEnoughHosts {
                parties,
                hosts,
                per_host,
            } => write!(
                f,
                "{parties} parties do not fit on {hosts} hosts with {per_host} parties per host"
            ),
            LayoutError::PerHostZero => write!(f, "parties per host must be at least 1"),
            LayoutError::PortsOverflow { base, needed } => {
                write!(
                    f,
                    "base port {base} leaves no room for {needed} ports below 65536"
                )
            }
        }
    }
}

impl std::error::Error for LayoutError {}

/// Checks MPyC's limit on the number of parties.
pub fn check_party_count(parties: usize) -> Result<(), LayoutError> {
    match parties {
        0 => Err(LayoutError::NoParties),
        n if n > MAX_PARTIES => Err(LayoutError::TooManyParties(n)),
        _ => Ok(()),
    }
}

/// Party `i` goes to the host at `i / per_host`: hosts are filled in file
/// order, one after another. Each party listens on `base_port` plus the
/// number of parties before it at the same network address (the name or
/// address, compared as [`e3_inventory::Address`]): a host's `k`-th party
/// on `base_port + k`, and hosts that share an address (two ssh ports of
/// one address, port forwarding) on ports after one another's.
pub fn party_table(hosts: &[String], layout: &Layout) -> Result<Vec<Party>, LayoutError> {
    check_party_count(layout.parties)?;
    if layout.per_host == 0 {
        return Err(LayoutError::PerHostZero);
    }
    if hosts.is_empty() {
        return Err(LayoutError::NoHosts);
    }
    if layout.parties > hosts.len() * layout.per_host {
        return Err(LayoutError::NotEnoughHosts {
            parties: layout.parties,
            hosts: hosts.len(),
            per_host: layout.per_host,
        });
    }
    let addresses: Vec<e3_inventory::Address> =
        hosts.iter().map(|h| e3_inventory::Address::of(h)).collect();
    let slots: Vec<usize> = (0..layout.parties)
        .map(|index| {
            let address = &addresses[index / layout.per_host];
            (0..index)
                .filter(|&j| &addresses[j / layout.per_host] == address)
                .count()
        })
        .collect();
    let needed = slots.iter().max().map_or(0, |s| s + 1);
    if usize::from(layout.base_port) + needed - 1 > usize::from(u16::MAX) {
        return Err(LayoutError::PortsOverflow {
            base: layout.base_port,
            needed,
        });
    }
    Ok((0..layout.parties)
        .map(|index| {
            let host_index = index / layout.per_host;
            Party {
                index,
                host_index,
                host: hosts[host_index].clone(),
                port: layout.base_port + slots[index] as u16,
            }
        })
        .collect())
}

/// MPyC's own arguments for party `index`: `-I index -P addr0 -P addr1 ...`.
pub fn mpyc_args(table: &[Party], index: usize) -> Vec<String> {
    let mut args = vec!["-I".to_string(), index.to_string()];
    for party in table {
        args.push("-P".to_string());
        args.push(party.mpyc_address());
    }
    args
}

/// What every party runs, apart from who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub layout: Layout,
    /// MPyC's `--log-level` for every party, when set.
    pub log_level: Option<String>,
    /// The program and its own arguments (`python3 secretsanta.py 3`).
    pub program: Vec<String>,
}

/// One party of a run on an inventory: where it runs and its full argv.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyCommand {
    pub party: Party,
    pub host: Host,
    /// `program args... [--log-level L] -I i -P addr0 -P addr1 ...`
    pub argv: Vec<String>,
}

/// The party table for an inventory (party `i` on the `i / per_host`-th
/// host, in file order) and every party's argv.
pub fn plan_parties(
    inventory: &Inventory,
    settings: &Settings,
) -> Result<Vec<PartyCommand>, LayoutError> {
    let names: Vec<String> = inventory.hosts.iter().map(|h| h.name.clone()).collect();
    let table = party_table(&names, &settings.layout)?;
    Ok(table
        .iter()
        .map(|party| {
            let mut argv = settings.program.clone();
            if let Some(level) = &settings.log_level {
                argv.extend(["--log-level".to_string(), level.clone()]);
            }
            argv.extend(mpyc_args(&table, party.index));
            PartyCommand {
                party: party.clone(),
                host: inventory.hosts[party.host_index].clone(),
                argv,
            }
        })
        .collect())
}

/// The party table as text: index, host, address, and the party's command.
pub fn render_party_table(commands: &[PartyCommand]) -> String {
    let width = |f: &dyn Fn(&PartyCommand) -> usize, min: usize| {
        commands.iter().map(f).max().unwrap_or(0).max(min)
    };
    let wi = width(&|c| c.party.index.to_string().len(), 5);
    let wh = width(&|c| c.host.pssh_line().len(), 4);
    let wa = width(&|c| c.party.address().len(), 7);
    let mut out = format!(
        "{:<wi$}  {:<wh$}  {:<wa$}  command\n",
        "party", "host", "address"
    );
    for c in commands {
        let argv: Vec<String> = c.argv.iter().map(|a| e3_plan::quote(a)).collect();
        out.push_str(&format!(
            "{:<wi$}  {:<wh$}  {:<wa$}  {}\n",
            c.party.index,
            c.host.pssh_line(),
            c.party.address(),
            argv.join(" ")
        ));
    }
    out
}

/// How this machine is known: what `prun` looks for in the hosts file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Machine {
    /// Its own addresses (every interface's, and its tailnet addresses).
    pub addresses: Vec<IpAddr>,
    /// Its tailnet DNS name (`tailscale status --json`: `Self.DNSName`),
    /// when Tailscale is there.
    pub tailnet_name: Option<String>,
    /// Its hostname.
    pub hostname: Option<String>,
}

/// The ways an entry can match this machine, in order of precedence: the
/// first that matches any entry decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    /// An entry that is an address of this machine.
    Address,
    /// The tailnet DNS name, whole or its first label for a short entry.
    TailnetName,
    /// The hostname, without case: the whole name, or an entry's
    /// `hostName` field.
    Hostname,
    /// The hostname's first label and an entry's, without case
    /// (`DESKTOP-K3J9Q2A` and `desktop-k3j9q2a.tail1234.ts.net`).
    ShortHostname,
}

impl MatchedBy {
    fn what(self) -> &'static str {
        match self {
            MatchedBy::Address => "address",
            MatchedBy::TailnetName => "tailnet name",
            MatchedBy::Hostname => "hostname",
            MatchedBy::ShortHostname => "short hostname",
        }
    }
}

/// Why `prun` cannot tell which party this machine is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindError {
    /// No entry matches: how the machine is known, and the entries.
    NoMatch {
        machine: Machine,
        entries: Vec<String>,
    },
    /// Two or more entries match at one level: the value they matched and
    /// the candidates (index, entry).
    Ambiguous {
        by: MatchedBy,
        value: String,
        candidates: Vec<(usize, String)>,
    },
}

impl fmt::Display for FindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindError::NoMatch { machine, entries } => {
                let mut known = Vec::new();
                if let Some(name) = &machine.hostname {
                    known.push(format!("hostname `{name}`"));
                }
                match &machine.tailnet_name {
                    Some(name) => known.push(format!("tailnet name `{name}`")),
                    None => known.push("no tailnet name".into()),
                }
                let addresses: Vec<String> =
                    machine.addresses.iter().map(ToString::to_string).collect();
                known.push(match addresses.is_empty() {
                    true => "no addresses".into(),
                    false => format!("addresses {}", addresses.join(", ")),
                });
                const SHOWN: usize = 8;
                let mut listed: Vec<String> = entries
                    .iter()
                    .take(SHOWN)
                    .enumerate()
                    .map(|(i, e)| format!("{i}: {e}"))
                    .collect();
                if entries.len() > SHOWN {
                    listed.push(format!("and {} more", entries.len() - SHOWN));
                }
                write!(
                    f,
                    "this machine ({}) matches none of the {} entries ({})",
                    known.join("; "),
                    entries.len(),
                    listed.join(", ")
                )
            }
            FindError::Ambiguous {
                by,
                value,
                candidates,
            } => {
                let listed: Vec<String> = candidates
                    .iter()
                    .map(|(i, e)| format!("{i}: {e}"))
                    .collect();
                write!(
                    f,
                    "this machine's {} `{value}` matches {} entries ({})",
                    by.what(),
                    candidates.len(),
                    listed.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for FindError {}

/// Which entry of the inventory is this machine, and how it was found:
/// by its own addresses (entries that are addresses), then its tailnet
/// DNS name, then its hostname without case (whole, then first labels).
/// Names are compared as [`e3_inventory::Address`]es: without case and
/// without a trailing dot. No match, or two at the level that decides,
/// is an error naming the candidates.
pub fn find_own_index(
    inventory: &Inventory,
    machine: &Machine,
) -> Result<(usize, MatchedBy), FindError> {
    use e3_inventory::Address;
    let hosts = &inventory.hosts;
    let name_of = |i: usize| match hosts[i].address() {
        Address::Name(name) => Some(name),
        Address::Ip(_) => None,
    };
    let first_label = |name: &str| name.split('.').next().unwrap_or(name).to_string();
    let canonical = |name: &str| match Address::of(name) {
        Address::Name(name) => name,
        Address::Ip(ip) => ip.to_string(),
    };
    let mut levels: Vec<(MatchedBy, String, Vec<usize>)> = Vec::new();
    levels.push((
        MatchedBy::Address,
        String::new(),
        (0..hosts.len())
            .filter(|&i| match hosts[i].address() {
                Address::Ip(ip) => machine.addresses.contains(&ip),
                Address::Name(_) => false,
            })
            .collect(),
    ));
    if let Some(tailnet) = &machine.tailnet_name {
        let full = canonical(tailnet);
        let short = first_label(&full);
        levels.push((
            MatchedBy::TailnetName,
            tailnet.clone(),
            (0..hosts.len())
                .filter(|&i| {
                    name_of(i).is_some_and(|n| n == full || (!n.contains('.') && n == short))
                })
                .collect(),
        ));
    }
    if let Some(hostname) = &machine.hostname {
        let full = canonical(hostname);
        let short = first_label(&full);
        levels.push((
            MatchedBy::Hostname,
            hostname.clone(),
            (0..hosts.len())
                .filter(|&i| {
                    name_of(i).is_some_and(|n| n == full)
                        || hosts[i]
                            .host_name
                            .as_ref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(&full))
                })
                .collect(),
        ));
        levels.push((
            MatchedBy::ShortHostname,
            hostname.clone(),
            (0..hosts.len())
                .filter(|&i| name_of(i).is_some_and(|n| first_label(&n) == short))
                .collect(),
        ));
    }
    for (by, value, matches) in levels {
        match matches.as_slice() {
            [] => continue,
            [one] => return Ok((*one, by)),
            many => {
                let value = match by {
                    MatchedBy::Address => {
                        let mut names: Vec<String> = Vec::new();
                        for &i in many {
                            let name = hosts[i].address().to_string();
                            if !names.contains(&name) {
                                names.push(name);
                            }
                        }
                        names.join(", ")
                    }
                    _ => value,
                };
                return Err(FindError::Ambiguous {
                    by,
                    value,
                    candidates: many.iter().map(|&i| (i, hosts[i].pssh_line())).collect(),
                });
            }
        }
    }
    Err(FindError::NoMatch {
        machine: machine.clone(),
        entries: hosts.iter().map(Host::pssh_line).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn layout(parties: usize, per_host: usize) -> Layout {
        Layout {
            parties,
            per_host,
            base_port: DEFAULT_PORT,
        }
    }

    #[test]
    fn one_party_per_host_in_file_order() {
        let table = party_table(&hosts(&["a", "b", "c"]), &layout(2, 1)).unwrap();
        let addrs: Vec<_> = table.iter().map(Party::address).collect();
        assert_eq!(addrs, ["a:11599", "b:11599"]);
        assert_eq!(
            mpyc_args(&table, 1),
            ["-I", "1", "-P", "a:11599", "-P", "b:11599"]
        );
    }

    #[test]
    fn several_parties_per_host_take_consecutive_ports() {
        let table = party_table(&hosts(&["a", "b"]), &layout(3, 2)).unwrap();
        let addrs: Vec<_> = table.iter().map(|p| (p.host_index, p.address())).collect();
        assert_eq!(
            addrs,
            [
                (0, "a:11599".into()),
                (0, "a:11600".into()),
                (1, "b:11599".into())
            ]
        );
    }

    /// A hosts file and a layout per row: the `-P` list every party gets
    /// (what MPyC parses), and the addresses as people are shown them.
    #[test]
    fn mpyc_addresses_for_every_written_form() {
        let rows: &[(&str, (usize, usize), &str, &str)] = &[
            // (hosts file, (parties, per host), -P values, addresses shown)
            ("a\nb", (2, 1), "a:11599 b:11599", "a:11599 b:11599"),
            ("[::1]", (1, 1), "::1:11599", "[::1]:11599"),
            (
                "root@::1",
                (2, 2),
                "::1:11599 ::1:11600",
                "[::1]:11599 [::1]:11600",
            ),
            (
                "user@[fd7a:115c:a1e0::5]:22\nfd7a:115c:a1e0::6",
                (2, 1),
                "fd7a:115c:a1e0::5:11599 fd7a:115c:a1e0::6:11599",
                "[fd7a:115c:a1e0::5]:11599 [fd7a:115c:a1e0::6]:11599",
            ),
            // Two machines behind one address: ports after one another's,
            // whatever ssh port reaches them.
            (
                "alice@pc.example:22\nalice@pc.example:2222",
                (2, 1),
                "pc.example:11599 pc.example:11600",
                "pc.example:11599 pc.example:11600",
            ),
            (
                "[::1]\n[::1]:2222\nother",
                (5, 2),
                "::1:11599 ::1:11600 ::1:11601 ::1:11602 other:11599",
                "[::1]:11599 [::1]:11600 [::1]:11601 [::1]:11602 other:11599",
            ),
            // One address in any case or with a trailing dot.
            (
                "pc.example:22\nPC.Example.:2222",
                (2, 1),
                "pc.example:11599 PC.Example.:11600",
                "pc.example:11599 PC.Example.:11600",
            ),
            (
                "10.0.0.1\n10.0.0.1:2200",
                (2, 1),
                "10.0.0.1:11599 10.0.0.1:11600",
                "10.0.0.1:11599 10.0.0.1:11600",
            ),
        ];
        for (file, (parties, per_host), mpyc, shown) in rows {
            let inventory = Inventory::from_pssh(file, "h").unwrap();
            let settings = Settings {
                layout: layout(*parties, *per_host),
                log_level: None,
                program: vec!["demo.py".into()],
            };
            let commands = plan_parties(&inventory, &settings).unwrap();
            let p_list: Vec<&str> = commands[0]
                .argv
                .windows(2)
                .filter(|w| w[0] == "-P")
                .map(|w| w[1].as_str())
                .collect();
            assert_eq!(p_list.join(" "), *mpyc, "{file:?}");
            let addresses: Vec<String> = commands.iter().map(|c| c.party.address()).collect();
            assert_eq!(addresses.join(" "), *shown, "{file:?}");
        }
    }

    #[test]
    fn shared_addresses_count_toward_the_port_limit() {
        let err = party_table(
            &hosts(&["pc", "pc"]),
            &Layout {
                parties: 2,
                per_host: 1,
                base_port: 65535,
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "base port 65535 leaves no room for 2 ports below 65536"
        );
    }

    #[test]
    fn limits() {
        let check = |h: &[&str], l: Layout, expect: &str| {
            assert_eq!(party_table(&hosts(h), &l).unwrap_err().to_string(), expect);
        };
        check(
            &["a"],
            layout(0, 1),
            "the number of parties must be at least 1",
        );
        check(
            &["a"],
            layout(300, 300),
            "300 parties is more than MPyC supports (at most 256)",
        );
        check(&[], layout(1, 1), "the host list is empty");
        check(
            &["a", "b"],
            layout(3, 1),
            "3 parties need 3 hosts, but the host list has 2; use fewer parties or --parties-per-host",
        );
        check(
            &["a"],
            layout(3, 2),
            "3 parties do not fit on 1 hosts with 2 parties per host",
        );
        check(
            &["a"],
            Layout {
                parties: 3,
                per_host: 3,
                base_port: 65534,
            },
            "base port 65534 leaves no room for 3 ports below 65536",
        );
    }

    /// A hosts file and how the machine is known, per row: the index
    /// prun takes and how it found it, or its error.
    #[test]
    fn which_party_am_i() {
        const FILE: &str = "root@node-0.tail.ts.net\nnode-1\nroot@10.0.0.7\nnode-3.a.net\nnode-3.b.net\n[fd7a:115c:a1e0::5]:2222\n";
        let pis = "raspberrypi.tail1234.ts.net\nraspberrypi-1.tail1234.ts.net\n";
        let desk = "desktop-k3j9q2a.tail1234.ts.net\nother\n";
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let host = |name: &str| Machine {
            hostname: Some(name.into()),
            ..Machine::default()
        };
        let rows: Vec<(&str, Machine, &str)> = vec![
            (FILE, host("node-0"), "0 by ShortHostname"),
            (FILE, host("node-0.tail.ts.net"), "0 by Hostname"),
            (FILE, host("NODE-1.tail.ts.net."), "1 by ShortHostname"),
            (FILE, host("node-3.a.net"), "3 by Hostname"),
            (
                FILE,
                host("node-3"),
                "error: this machine's short hostname `node-3` matches 2 entries (3: node-3.a.net, 4: node-3.b.net)",
            ),
            // The machine's own addresses come first.
            (
                FILE,
                Machine {
                    addresses: vec![ip("127.0.0.1"), ip("10.0.0.7")],
                    hostname: Some("node-1".into()),
                    ..Machine::default()
                },
                "2 by Address",
            ),
            (
                FILE,
                Machine {
                    addresses: vec![ip("::1"), ip("fd7a:115c:a1e0:0::5")],
                    ..Machine::default()
                },
                "5 by Address",
            ),
            // MagicDNS lowercases the OS hostname.
            (desk, host("DESKTOP-K3J9Q2A"), "0 by ShortHostname"),
            // Two Pis called raspberrypi: the tailnet tells them apart.
            (
                pis,
                Machine {
                    tailnet_name: Some("raspberrypi-1.tail1234.ts.net.".into()),
                    hostname: Some("raspberrypi".into()),
                    ..Machine::default()
                },
                "1 by TailnetName",
            ),
            (
                pis,
                Machine {
                    tailnet_name: Some("raspberrypi.tail1234.ts.net.".into()),
                    hostname: Some("raspberrypi".into()),
                    ..Machine::default()
                },
                "0 by TailnetName",
            ),
            (
                "raspberrypi\nraspberrypi-1\n",
                Machine {
                    tailnet_name: Some("raspberrypi-1.tail1234.ts.net.".into()),
                    hostname: Some("raspberrypi".into()),
                    ..Machine::default()
                },
                "1 by TailnetName",
            ),
            // The hive's hostName field names the machine too.
            (
                "10.0.0.7 hostName=desk\n10.0.0.8 hostName=lab\n",
                host("LAB"),
                "1 by Hostname",
            ),
            (
                "[::1]\n[::1]:2222\n",
                Machine {
                    addresses: vec![ip("::1")],
                    ..Machine::default()
                },
                "error: this machine's address `::1` matches 2 entries (0: [::1], 1: [::1]:2222)",
            ),
            (
                FILE,
                Machine {
                    addresses: vec![ip("192.0.2.1")],
                    tailnet_name: Some("laptop.tail.ts.net.".into()),
                    hostname: Some("laptop".into()),
                },
                "error: this machine (hostname `laptop`; tailnet name `laptop.tail.ts.net.`; addresses 192.0.2.1) matches none of the 6 entries (0: root@node-0.tail.ts.net, 1: node-1, 2: root@10.0.0.7, 3: node-3.a.net, 4: node-3.b.net, 5: [fd7a:115c:a1e0::5]:2222)",
            ),
            (
                FILE,
                Machine::default(),
                "error: this machine (no tailnet name; no addresses) matches none of the 6 entries (0: root@node-0.tail.ts.net, 1: node-1, 2: root@10.0.0.7, 3: node-3.a.net, 4: node-3.b.net, 5: [fd7a:115c:a1e0::5]:2222)",
            ),
        ];
        for (file, machine, expect) in rows {
            let inventory = Inventory::from_pssh(file, "h").unwrap();
            let got = match find_own_index(&inventory, &machine) {
                Ok((i, by)) => format!("{i} by {by:?}"),
                Err(e) => format!("error: {e}"),
            };
            assert_eq!(got, expect, "{machine:?}");
        }
    }

    #[test]
    fn long_files_are_listed_in_part() {
        let file: String = (0..12).map(|i| format!("n{i}\n")).collect();
        let inventory = Inventory::from_pssh(&file, "h").unwrap();
        let err = find_own_index(&inventory, &Machine::default()).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("matches none of the 12 entries (0: n0, 1: n1, 2: n2, 3: n3, 4: n4, 5: n5, 6: n6, 7: n7, and 4 more)"),
            "{err}"
        );
    }
}
