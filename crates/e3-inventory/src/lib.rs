//! The hosts of a testbed, in the three forms the original system used:
//!
//! - `hosts.pssh`: one `[user@]host[:port]` a line, in party order (e3
//!   also reads `key=value` fields after the host: [`FIELDS`]);
//! - Colmena's `hosts.json`: an object keyed by hostname, values per-node
//!   settings (`{}` when none);
//! - Terraform's `terraform output -json` document, whose outputs
//!   `hosts-pssh` and `hosts-colmena` hold the two above.
//!
//! Every host has one identity ([`HostId`]: its name or address and ssh
//! port, see [`identity`]), by which hosts are compared everywhere, and a
//! rendering of its address for each consumer (ssh, rsync, MPyC, people).
//!
//! Everything here is pure: text in, values or text out. Errors name the
//! file and the line. [`files`] makes the two files e3 writes from
//! Terraform's output.

pub mod files;
pub mod identity;

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value, json};

pub use identity::{Address, HostId, SSH_PORT};

/// The platforms e3 builds a NixOS image for (nix/hive.nix's
/// `platformModules`): a host of another platform cannot join the hive.
pub const PLATFORMS: [(&str, &str); 2] = [
    ("x86_64-linux", "DigitalOcean droplets"),
    ("aarch64-linux", "Raspberry Pi 4"),
];

/// The `key=value` fields a hosts file line may carry after its host, each
/// what the hive reads from `hosts.json` under the same name.
pub const FIELDS: [&str; 3] = ["platform", "region", "hostName"];

/// One machine that can run parties.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Host {
    /// The ssh user, when the file gives one (`root@...`).
    pub user: Option<String>,
    /// DNS name as written, MagicDNS name or IP address (canonical, no
    /// brackets).
    pub name: String,
    /// The ssh port, when the entry gives one (even 22).
    pub port: Option<u16>,
    /// Where it runs (`ams3`), when known.
    pub region: Option<String>,
    /// What it is (`x86_64-linux`, `aarch64-linux`), when known.
    pub platform: Option<String>,
    /// The machine's own name (NixOS's `networking.hostName`), when given.
    pub host_name: Option<String>,
    /// The line of its file it was read from, for messages.
    pub line: Option<usize>,
}

impl Host {
    pub fn new(name: impl Into<String>) -> Host {
        Host {
            name: name.into(),
            ..Host::default()
        }
    }

    /// The name or address, as compared.
    pub fn address(&self) -> Address {
        Address::of(&self.name)
    }

    /// The host's identity: address and ssh port, 22 when not given.
    pub fn id(&self) -> HostId {
        HostId {
            address: self.address(),
            ssh_port: self.port.unwrap_or(SSH_PORT),
        }
    }

    /// `[user@]host` as ssh takes it: an IPv6 address bare (`root@::1`);
    /// the port goes in `-p`.
    pub fn ssh_target(&self) -> String {
        match &self.user {
            Some(user) => format!("{user}@{}", self.name),
            None => self.name.clone(),
        }
    }

    /// `[user@]host` as rsync takes it before `:path`: an IPv6 address in
    /// brackets (`root@[::1]`).
    pub fn rsync_target(&self) -> String {
        let host = self.address().bracketed_or(&self.name);
        match &self.user {
            Some(user) => format!("{user}@{host}"),
            None => host,
        }
    }

    /// The line of `hosts.pssh` for this host, also how people are shown
    /// it: `[user@]host[:port]`, an IPv6 address in brackets.
    pub fn pssh_line(&self) -> String {
        let target = self.rsync_target();
        match self.port {
            Some(port) => format!("{target}:{port}"),
            None => target,
        }
    }

    /// Whether two entries reach the same sshd: the same identity (users
    /// aside). One such entry is one host.
    pub fn same_endpoint(&self, other: &Host) -> bool {
        self.id() == other.id()
    }

    /// The part of the name before the first dot (`node-1` of
    /// `node-1.tailnet.ts.net`); an IP address is its own short name.
    pub fn short_name(&self) -> &str {
        short_name(&self.name)
    }

    /// The machine's own name, as the hive sets it: the `hostName` field,
    /// else the first label of the name in lower case; `None` for an
    /// address without a `hostName`.
    pub fn machine_name(&self) -> Option<String> {
        if let Some(name) = &self.host_name {
            return Some(name.clone());
        }
        match self.address() {
            Address::Name(_) => Some(self.address().short()),
            Address::Ip(_) => None,
        }
    }
}

/// The part of a hostname before the first dot; IP addresses stay whole.
pub fn short_name(name: &str) -> &str {
    if Address::of(name).is_ip() {
        name
    } else {
        name.split('.').next().unwrap_or(name)
    }
}

/// Whether NixOS takes `name` as `networking.hostName`: one DNS label of
/// letters, digits, `-` and `_`, at most 63 characters, starting and ending
/// with a letter or digit.
pub fn is_machine_name(name: &str) -> bool {
    let ok_end = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    (1..=63).contains(&name.len())
        && ok_end(name.chars().next())
        && ok_end(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Hosts in party order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    pub hosts: Vec<Host>,
}

/// A problem in an inventory file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryError {
    /// The file (or Terraform output) it came from.
    pub source: String,
    pub line: Option<usize>,
    pub message: String,
    /// How to fix it, when there is more to say than the message.
    pub hint: Option<String>,
}

impl InventoryError {
    pub(crate) fn new(
        source: &str,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> InventoryError {
        InventoryError {
            source: source.to_string(),
            line,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> InventoryError {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for InventoryError {
    /// One line: `file:line: message` (the hint apart).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.source, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for InventoryError {}

type Result<T> = std::result::Result<T, InventoryError>;

/// What a hosts file line is, for hints.
const LINE_SYNTAX: &str = "a line is `[user@]host[:port]` (an IPv6 address as `[ADDRESS]` or `[ADDRESS]:PORT`), then optional `platform=`, `region=`, `hostName=` fields";

impl Inventory {
    /// Reads `hosts.pssh` text (with e3's `key=value` fields). `source`
    /// names it in errors. Two entries of one host are refused.
    pub fn from_pssh(text: &str, source: &str) -> Result<Inventory> {
        let mut inventory = Inventory::default();
        for (i, raw) in text.lines().enumerate() {
            let lineno = i + 1;
            let line = match raw.find('#') {
                Some(at) => &raw[..at],
                None => raw,
            }
            .trim();
            if line.is_empty() {
                continue;
            }
            let mut host = parse_line(line)
                .map_err(|m| InventoryError::new(source, Some(lineno), m).hint(LINE_SYNTAX))?;
            host.line = Some(lineno);
            if let Some(first) = inventory.hosts.iter().find(|h| h.same_endpoint(&host)) {
                return Err(duplicate(source, &host, first, source));
            }
            inventory.hosts.push(host);
        }
        Ok(inventory)
    }

    /// `hosts.pssh` text: one host a line, in party order, without fields
    /// (pssh reads a second field as a user name).
    pub fn to_pssh(&self) -> String {
        self.hosts.iter().map(|h| h.pssh_line() + "\n").collect()
    }

    /// Reads Colmena's `hosts.json`. Keys are hostnames; the order is the
    /// object's (sorted), so party order should come from `hosts.pssh`.
    pub fn from_colmena_json(text: &str, source: &str) -> Result<Inventory> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            InventoryError::new(source, Some(e.line()), format!("not valid JSON: {e}"))
        })?;
        hosts_from_colmena_value(&value, source)
    }

    /// The node name of each host in `hosts.json`: its name (an IPv6
    /// address bare), or, for hosts that share an address with another
    /// (two ssh ports of one address), `name:port` (`[v6]:port`).
    pub fn colmena_keys(&self) -> Vec<String> {
        self.hosts
            .iter()
            .map(|host| {
                let shared = self
                    .hosts
                    .iter()
                    .filter(|h| h.address() == host.address())
                    .count()
                    > 1;
                if shared {
                    format!(
                        "{}:{}",
                        host.rsync_target_without_user(),
                        host.id().ssh_port
                    )
                } else {
                    host.name.clone()
                }
            })
            .collect()
    }

    /// Colmena's `hosts.json`: `{"host": {settings}}`, keys sorted, with
    /// `targetUser`/`targetPort` (and `targetHost` when the key is not the
    /// name) and the fields the hive reads as settings.
    pub fn to_colmena_json(&self) -> String {
        let mut nodes = Map::new();
        for (host, key) in self.hosts.iter().zip(self.colmena_keys()) {
            let mut settings = Map::new();
            if key != host.name {
                settings.insert("targetHost".into(), json!(host.name));
            }
            if let Some(user) = &host.user {
                settings.insert("targetUser".into(), json!(user));
            }
            if let Some(port) = host.port {
                settings.insert("targetPort".into(), json!(port));
            }
            if let Some(region) = &host.region {
                settings.insert("region".into(), json!(region));
            }
            if let Some(platform) = &host.platform {
                settings.insert("platform".into(), json!(platform));
            }
            if let Some(name) = &host.host_name {
                settings.insert("hostName".into(), json!(name));
            }
            nodes.insert(key, Value::Object(settings));
        }
        let mut text =
            serde_json::to_string_pretty(&Value::Object(nodes)).expect("json serialises");
        text.push('\n');
        text
    }

    /// Reads a `terraform output -json` document: the outputs `hosts-pssh`
    /// (party order) and `hosts-colmena` (per-node settings); either will do,
    /// and when both are there they must name the same hosts.
    pub fn from_terraform_output(text: &str, source: &str) -> Result<Inventory> {
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            InventoryError::new(source, Some(e.line()), format!("not valid JSON: {e}"))
        })?;
        let Some(outputs) = doc.as_object() else {
            return Err(InventoryError::new(
                source,
                None,
                "expected an object of outputs (from `terraform output -json`)",
            ));
        };
        let value_of = |name: &str| -> Result<Option<&Value>> {
            match outputs.get(name) {
                None => Ok(None),
                Some(output) => output.get("value").map(Some).ok_or_else(|| {
                    InventoryError::new(source, None, format!("output `{name}` has no `value`"))
                }),
            }
        };
        let pssh = match value_of("hosts-pssh")? {
            None => None,
            Some(Value::String(text)) => Some(Inventory::from_pssh(
                text,
                &format!("{source} (hosts-pssh)"),
            )?),
            Some(Value::Array(items)) => {
                let mut lines = String::new();
                for item in items {
                    let Some(line) = item.as_str() else {
                        return Err(InventoryError::new(
                            source,
                            None,
                            "output `hosts-pssh` must hold strings",
                        ));
                    };
                    lines.push_str(line);
                    lines.push('\n');
                }
                Some(Inventory::from_pssh(
                    &lines,
                    &format!("{source} (hosts-pssh)"),
                )?)
            }
            Some(_) => {
                return Err(InventoryError::new(
                    source,
                    None,
                    "output `hosts-pssh` must be a string of lines",
                ));
            }
        };
        let colmena = match value_of("hosts-colmena")? {
            None => None,
            Some(value) => Some(hosts_from_colmena_value(
                value,
                &format!("{source} (hosts-colmena)"),
            )?),
        };
        match (pssh, colmena) {
            (None, None) => {
                let found: Vec<&str> = outputs.keys().map(String::as_str).collect();
                Err(InventoryError::new(
                    source,
                    None,
                    format!(
                        "no `hosts-pssh` or `hosts-colmena` output (outputs found: {})",
                        if found.is_empty() {
                            "none".to_string()
                        } else {
                            found.join(", ")
                        }
                    ),
                ))
            }
            (Some(pssh), None) => Ok(pssh.with_inferred_regions()),
            (None, Some(colmena)) => Ok(colmena.with_inferred_regions()),
            (Some(mut pssh), Some(colmena)) => {
                let a: BTreeSet<Address> = pssh.hosts.iter().map(Host::address).collect();
                let b: BTreeSet<Address> = colmena.hosts.iter().map(Host::address).collect();
                if a != b {
                    let only = |x: &BTreeSet<Address>, y: &BTreeSet<Address>| {
                        let v: Vec<String> = x.difference(y).map(ToString::to_string).collect();
                        if v.is_empty() {
                            "none".to_string()
                        } else {
                            v.join(", ")
                        }
                    };
                    return Err(InventoryError::new(
                        source,
                        None,
                        format!(
                            "outputs `hosts-pssh` and `hosts-colmena` disagree: only in hosts-pssh: {}; only in hosts-colmena: {}",
                            only(&a, &b),
                            only(&b, &a)
                        ),
                    ));
                }
                // Party order from hosts-pssh, settings from hosts-colmena.
                for host in &mut pssh.hosts {
                    let node = colmena
                        .hosts
                        .iter()
                        .find(|h| h.address() == host.address())
                        .expect("same addresses");
                    host.user = host.user.take().or_else(|| node.user.clone());
                    host.port = host.port.or(node.port);
                    host.region = node.region.clone().or(host.region.take());
                    host.platform = node.platform.clone().or(host.platform.take());
                    host.host_name = node.host_name.clone().or(host.host_name.take());
                }
                Ok(pssh.with_inferred_regions())
            }
        }
    }

    /// Appends hosts Terraform does not manage (a Pi, a laptop). A host in
    /// both (by identity) is an error naming both.
    pub fn merge(
        mut self,
        extra: Inventory,
        source: &str,
        extra_source: &str,
    ) -> Result<Inventory> {
        for host in extra.hosts {
            if let Some(first) = self.hosts.iter().find(|h| h.same_endpoint(&host)) {
                return Err(duplicate(extra_source, &host, first, source));
            }
            self.hosts.push(host);
        }
        Ok(self)
    }

    /// Fills in the region from names e3's Terraform gives droplets:
    /// `<prefix>--<region>-<index>-<suffix>` (`mpyc-demo--ams3-0-15e53f39`).
    fn with_inferred_regions(mut self) -> Inventory {
        for host in &mut self.hosts {
            if host.region.is_none() {
                host.region = region_from_name(&host.name);
            }
        }
        self
    }
}

impl Host {
    /// `host` as rsync (and `hosts.pssh`) writes it, without the user.
    fn rsync_target_without_user(&self) -> String {
        self.address().bracketed_or(&self.name)
    }
}

/// `host` (in `source`) is the same as `first` (in `first_source`).
fn duplicate(source: &str, host: &Host, first: &Host, first_source: &str) -> InventoryError {
    let place = match (first.line, first_source == source) {
        (Some(line), true) => format!("line {line}"),
        (Some(line), false) => format!("{first_source}:{line}"),
        (None, _) => first_source.to_string(),
    };
    InventoryError::new(
        source,
        host.line,
        format!(
            "`{}` is the same host as `{}` on {place} ({})",
            host.pssh_line(),
            first.pssh_line(),
            host.id()
        ),
    )
    .hint("a host is its name (any case, no trailing dot) or address, and its ssh port (22 when none is given); list it once")
}

fn region_from_name(name: &str) -> Option<String> {
    let (_, rest) = short_name(name).split_once("--")?;
    let mut parts = rest.split('-');
    let region = parts.next()?;
    let index = parts.next()?;
    let ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && !index.is_empty()
        && index.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| region.to_string())
}

fn hosts_from_colmena_value(value: &Value, source: &str) -> Result<Inventory> {
    let Some(nodes) = value.as_object() else {
        return Err(InventoryError::new(
            source,
            None,
            "expected an object keyed by hostname",
        ));
    };
    let mut inventory = Inventory::default();
    for (name, settings) in nodes {
        let entry = identity::parse_entry(name)
            .ok()
            .filter(|e| e.user.is_none())
            .ok_or_else(|| {
                InventoryError::new(source, None, format!("`{name}` is not a hostname"))
            })?;
        let Some(settings) = settings.as_object() else {
            return Err(InventoryError::new(
                source,
                None,
                format!("settings of `{name}` must be an object"),
            ));
        };
        let text = |key: &str| -> Result<Option<String>> {
            match settings.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(InventoryError::new(
                    source,
                    None,
                    format!("`{key}` of `{name}` must be a string"),
                )),
            }
        };
        let mut host = Host {
            name: entry.name,
            port: entry.port,
            ..Host::default()
        };
        if let Some(target) = text("targetHost")? {
            host.name = identity::parse_entry(&target)
                .ok()
                .filter(|e| e.user.is_none() && e.port.is_none())
                .ok_or_else(|| {
                    InventoryError::new(
                        source,
                        None,
                        format!("`targetHost` of `{name}` is not a hostname"),
                    )
                })?
                .name;
        }
        host.user = text("targetUser")?;
        host.region = text("region")?;
        host.platform = text("platform")?;
        host.host_name = text("hostName")?;
        match settings.get("targetPort") {
            None | Some(Value::Null) => {}
            Some(v) => {
                host.port = Some(
                    v.as_u64()
                        .and_then(|p| u16::try_from(p).ok())
                        .filter(|p| *p > 0)
                        .ok_or_else(|| {
                            InventoryError::new(
                                source,
                                None,
                                format!("`targetPort` of `{name}` must be a port number"),
                            )
                        })?,
                )
            }
        }
        if let Some(first) = inventory.hosts.iter().find(|h| h.same_endpoint(&host)) {
            return Err(InventoryError::new(
                source,
                None,
                format!(
                    "`{name}` is the same host as `{}` ({})",
                    first.pssh_line(),
                    host.id()
                ),
            ));
        }
        inventory.hosts.push(host);
    }
    Ok(inventory)
}

/// One line of a hosts file: `[user@]host[:port]`, then `key=value` fields.
fn parse_line(line: &str) -> std::result::Result<Host, String> {
    let mut words = line.split_whitespace();
    let entry = words.next().unwrap_or("");
    let parts = identity::parse_entry(entry)?;
    let mut host = Host {
        user: parts.user,
        name: parts.name,
        port: parts.port,
        ..Host::default()
    };
    for field in words {
        let Some((key, value)) = field.split_once('=') else {
            return Err(format!(
                "stray field `{field}` after `{entry}` (fields are `key=value`)"
            ));
        };
        let slot = match key {
            "platform" => &mut host.platform,
            "region" => &mut host.region,
            "hostName" => &mut host.host_name,
            _ => {
                return Err(format!(
                    "unknown field `{key}` after `{entry}` (known: {})",
                    FIELDS.join(", ")
                ));
            }
        };
        if slot.is_some() {
            return Err(format!("field `{key}` given twice after `{entry}`"));
        }
        let ok = match key {
            "hostName" => is_machine_name(value),
            "platform" => value.split_once('-').is_some_and(|(arch, os)| {
                !arch.is_empty()
                    && !os.is_empty()
                    && value
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-".contains(c))
            }),
            _ => {
                !value.is_empty()
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
            }
        };
        if !ok {
            let what = match key {
                "hostName" => {
                    "one DNS label: letters, digits, `-` and `_`, at most 63, starting and ending with a letter or digit"
                }
                "platform" => "a Nix system such as `aarch64-linux`",
                _ => "letters, digits, `-` and `_`",
            };
            return Err(format!(
                "bad {key} `{value}` after `{entry}` (expected {what})"
            ));
        }
        *slot = Some(value.to_string());
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(inv: &Inventory) -> Vec<String> {
        inv.hosts.iter().map(Host::pssh_line).collect()
    }

    #[test]
    fn pssh_reads_comments_blanks_users_and_ports() {
        let text = "# testbed\nroot@a.ts.net\n\n  b:2222  # the Pi\nme@[::1]:22\n10.0.0.1\n";
        let inv = Inventory::from_pssh(text, "hosts.pssh").unwrap();
        assert_eq!(
            names(&inv),
            ["root@a.ts.net", "b:2222", "me@[::1]:22", "10.0.0.1"]
        );
        assert_eq!(inv.hosts[2].name, "::1");
        assert_eq!(
            inv.hosts.iter().map(|h| h.line).collect::<Vec<_>>(),
            [Some(2), Some(4), Some(5), Some(6)]
        );
        assert_eq!(
            inv.to_pssh(),
            "root@a.ts.net\nb:2222\nme@[::1]:22\n10.0.0.1\n"
        );
        let again = Inventory::from_pssh(&inv.to_pssh(), "x").unwrap();
        assert_eq!(names(&again), names(&inv));
    }

    /// One host entry per row: what ssh, rsync, hosts.pssh (and people)
    /// and hosts.json are given for it.
    #[test]
    fn each_consumer_gets_its_rendering() {
        let rows: &[(&str, [&str; 4])] = &[
            // entry: [ssh target (+ -p), rsync target, hosts.pssh line, hosts.json key]
            (
                "root@node-a",
                ["root@node-a", "root@node-a", "root@node-a", "node-a"],
            ),
            (
                "Node-A.:2222",
                ["Node-A. -p 2222", "Node-A.", "Node-A.:2222", "Node-A."],
            ),
            ("10.0.0.1", ["10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.1"]),
            ("[::1]", ["::1", "[::1]", "[::1]", "::1"]),
            ("::1", ["::1", "[::1]", "[::1]", "::1"]),
            (
                "me@[::1]:2222",
                ["me@::1 -p 2222", "me@[::1]", "me@[::1]:2222", "::1"],
            ),
            (
                "user@[fd7a:115c:a1e0::5]:22",
                [
                    "user@fd7a:115c:a1e0::5 -p 22",
                    "user@[fd7a:115c:a1e0::5]",
                    "user@[fd7a:115c:a1e0::5]:22",
                    "fd7a:115c:a1e0::5",
                ],
            ),
            (
                "FD7A:115C:A1E0::5",
                [
                    "fd7a:115c:a1e0::5",
                    "[fd7a:115c:a1e0::5]",
                    "[fd7a:115c:a1e0::5]",
                    "fd7a:115c:a1e0::5",
                ],
            ),
        ];
        for (entry, expect) in rows {
            let inv = Inventory::from_pssh(entry, "h").unwrap();
            let host = &inv.hosts[0];
            let ssh = match host.port {
                Some(p) => format!("{} -p {p}", host.ssh_target()),
                None => host.ssh_target(),
            };
            let got = [
                ssh,
                host.rsync_target(),
                host.pssh_line(),
                inv.colmena_keys()[0].clone(),
            ];
            assert_eq!(got, expect.map(String::from), "{entry}");
        }
    }

    /// A file per row: its refusal (file, both lines, hint), or `ok`.
    #[test]
    fn one_host_once() {
        let rows: &[(&str, &str)] = &[
            (
                "root@node-a\nroot@node-a:22\n",
                "hosts.pssh:2: `root@node-a:22` is the same host as `root@node-a` on line 1 (node-a:22)",
            ),
            (
                "a\nb\nalice@A.\n",
                "hosts.pssh:3: `alice@A.` is the same host as `a` on line 1 (a:22)",
            ),
            (
                "[::1]\n::1:\n",
                "hosts.pssh:2: `::1:` is not an IPv6 address (write `[ADDRESS]:PORT` to give an ssh port)",
            ),
            (
                "[::1]\n0::1\n",
                "hosts.pssh:2: `[::1]` is the same host as `[::1]` on line 1 ([::1]:22)",
            ),
            (
                "user@[fd7a:115c:a1e0::5]:22\n# the same, bare\nfd7a:115c:a1e0::5\n",
                "hosts.pssh:3: `[fd7a:115c:a1e0::5]` is the same host as `user@[fd7a:115c:a1e0::5]:22` on line 1 ([fd7a:115c:a1e0::5]:22)",
            ),
            // Two machines behind one address (port forwarding): two hosts.
            ("alice@pc.example:22\nalice@pc.example:2222\n", "ok"),
            ("[::1]\n[::1]:2222\n", "ok"),
            ("10.0.0.1\n[::ffff:10.0.0.1]\n", "ok"),
        ];
        for (text, expect) in rows {
            let got = match Inventory::from_pssh(text, "hosts.pssh") {
                Ok(_) => "ok".to_string(),
                Err(e) => {
                    assert!(e.hint.is_some(), "{text:?}: no hint");
                    e.to_string()
                }
            };
            assert_eq!(&got, expect, "{text:?}");
        }
        let err = Inventory::from_pssh("a\na:22\n", "hosts.pssh").unwrap_err();
        assert_eq!(
            err.hint.as_deref(),
            Some(
                "a host is its name (any case, no trailing dot) or address, and its ssh port (22 when none is given); list it once"
            )
        );
    }

    #[test]
    fn fields_after_the_host() {
        let text = "root@pi4-lab platform=aarch64-linux region=home hostName=pi4\n10.0.0.7\thostName=desk\n";
        let inv = Inventory::from_pssh(text, "extra.pssh").unwrap();
        let pi = &inv.hosts[0];
        assert_eq!(
            (
                pi.platform.as_deref(),
                pi.region.as_deref(),
                pi.host_name.as_deref()
            ),
            (Some("aarch64-linux"), Some("home"), Some("pi4"))
        );
        assert_eq!(inv.hosts[1].machine_name().as_deref(), Some("desk"));
        // hosts.pssh stays plain: pssh reads a second field as a user.
        assert_eq!(inv.to_pssh(), "root@pi4-lab\n10.0.0.7\n");
    }

    #[test]
    fn pssh_errors_name_file_and_line() {
        let check = |text: &str, expect: &str| {
            let err = Inventory::from_pssh(text, "hosts.pssh").unwrap_err();
            assert_eq!(err.to_string(), expect, "{text:?}");
            assert_eq!(err.hint.as_deref(), Some(LINE_SYNTAX), "{text:?}");
        };
        check("a\n@b\n", "hosts.pssh:2: empty user name in `@b`");
        check("root@\n", "hosts.pssh:1: empty host name in `root@`");
        check(
            "a:99999\n",
            "hosts.pssh:1: bad port `99999` in `a:99999` (expected 1 to 65535)",
        );
        check(
            "a:ssh\n",
            "hosts.pssh:1: bad port `ssh` in `a:ssh` (expected 1 to 65535)",
        );
        check(
            "a b\n",
            "hosts.pssh:1: stray field `b` after `a` (fields are `key=value`)",
        );
        check(
            "a platfrom=x86_64-linux\n",
            "hosts.pssh:1: unknown field `platfrom` after `a` (known: platform, region, hostName)",
        );
        check(
            "a region=x region=y\n",
            "hosts.pssh:1: field `region` given twice after `a`",
        );
        check(
            "a hostName=pi.lab\n",
            "hosts.pssh:1: bad hostName `pi.lab` after `a` (expected one DNS label: letters, digits, `-` and `_`, at most 63, starting and ending with a letter or digit)",
        );
        check(
            "a platform=arm\n",
            "hosts.pssh:1: bad platform `arm` after `a` (expected a Nix system such as `aarch64-linux`)",
        );
        check(
            "a/b\n",
            "hosts.pssh:1: stray character `/` in host name `a/b`",
        );
        check("[::1\n", "hosts.pssh:1: unclosed `[` in `[::1`");
    }

    #[test]
    fn short_names() {
        assert_eq!(short_name("node-1.tailnet.ts.net"), "node-1");
        assert_eq!(short_name("node-1"), "node-1");
        assert_eq!(short_name("10.0.0.1"), "10.0.0.1");
        assert_eq!(short_name("::1"), "::1");
        assert_eq!(short_name("fd7a:115c:a1e0::5"), "fd7a:115c:a1e0::5");
    }

    #[test]
    fn machine_names() {
        let name = |entry: &str| Inventory::from_pssh(entry, "h").unwrap().hosts[0].machine_name();
        assert_eq!(
            name("DESKTOP-K3J9Q2A.tail1234.ts.net.").as_deref(),
            Some("desktop-k3j9q2a")
        );
        assert_eq!(name("root@raspberrypi-1").as_deref(), Some("raspberrypi-1"));
        assert_eq!(name("10.0.0.7"), None);
        assert_eq!(name("[::1]:2222"), None);
        assert_eq!(name("10.0.0.7 hostName=desk").as_deref(), Some("desk"));
        assert!(is_machine_name("pi4_lab-2"));
        assert!(!is_machine_name("-pi"));
        assert!(!is_machine_name(&"a".repeat(64)));
    }

    #[test]
    fn regions_from_droplet_names() {
        assert_eq!(
            region_from_name("mpyc-demo--ams3-0-15e53f39").as_deref(),
            Some("ams3")
        );
        assert_eq!(
            region_from_name("mpyc-demo--sgp1-12-aa.tail.ts.net").as_deref(),
            Some("sgp1")
        );
        assert_eq!(region_from_name("raspberrypi"), None);
        assert_eq!(region_from_name("a--b-c"), None);
    }

    #[test]
    fn colmena_round_trip() {
        let mut inv = Inventory::from_pssh(
            "root@b\na:2222\n[fd7a::5] hostName=v6\nalice@pc.example:22 hostName=left\nalice@pc.example:2222 hostName=right platform=aarch64-linux\n",
            "x",
        )
        .unwrap();
        inv.hosts[1].region = Some("ams3".into());
        let text = inv.to_colmena_json();
        insta::assert_snapshot!(text, @r#"
        {
          "a": {
            "region": "ams3",
            "targetPort": 2222
          },
          "b": {
            "targetUser": "root"
          },
          "fd7a::5": {
            "hostName": "v6"
          },
          "pc.example:22": {
            "hostName": "left",
            "targetHost": "pc.example",
            "targetPort": 22,
            "targetUser": "alice"
          },
          "pc.example:2222": {
            "hostName": "right",
            "platform": "aarch64-linux",
            "targetHost": "pc.example",
            "targetPort": 2222,
            "targetUser": "alice"
          }
        }
        "#);
        let back = Inventory::from_colmena_json(&text, "hosts.json").unwrap();
        assert_eq!(
            names(&back),
            [
                "a:2222",
                "root@b",
                "[fd7a::5]",
                "alice@pc.example:22",
                "alice@pc.example:2222"
            ]
        );
        assert_eq!(back.hosts[4].host_name.as_deref(), Some("right"));
        let err = Inventory::from_colmena_json("[1]", "hosts.json").unwrap_err();
        assert_eq!(
            err.to_string(),
            "hosts.json: expected an object keyed by hostname"
        );
        let err = Inventory::from_colmena_json("{\"a\": {\"targetPort\": \"x\"}}", "hosts.json")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "hosts.json: `targetPort` of `a` must be a port number"
        );
        let err =
            Inventory::from_colmena_json("{\"a\": {\"targetPort\": 22}, \"A.\": {}}", "hosts.json")
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "hosts.json: `a` is the same host as `A.` (a:22)"
        );
    }

    #[test]
    fn terraform_outputs_must_agree() {
        let doc = r#"{
          "hosts-colmena": {"sensitive": false, "type": ["object", {"a": ["object", {}]}], "value": {"a": {}}},
          "hosts-pssh": {"sensitive": false, "type": "string", "value": "root@a\nroot@b\n"}
        }"#;
        let err = Inventory::from_terraform_output(doc, "out.json").unwrap_err();
        assert_eq!(
            err.to_string(),
            "out.json: outputs `hosts-pssh` and `hosts-colmena` disagree: only in hosts-pssh: b; only in hosts-colmena: none"
        );
        // Names are compared as identities: case and a trailing dot aside.
        let doc = r#"{
          "hosts-colmena": {"value": {"A.": {"region": "ams3"}}},
          "hosts-pssh": {"value": "root@a\n"}
        }"#;
        let inv = Inventory::from_terraform_output(doc, "out.json").unwrap();
        assert_eq!(inv.hosts[0].region.as_deref(), Some("ams3"));
        let err =
            Inventory::from_terraform_output(r#"{"other": {"value": 1}}"#, "out.json").unwrap_err();
        assert_eq!(
            err.to_string(),
            "out.json: no `hosts-pssh` or `hosts-colmena` output (outputs found: other)"
        );
        let err = Inventory::from_terraform_output("{", "out.json").unwrap_err();
        assert!(
            err.to_string().starts_with("out.json:1: not valid JSON"),
            "{err}"
        );
        let tuple = r#"{"hosts-pssh": {"sensitive": false, "type": ["tuple", ["string"]], "value": ["root@x"]}}"#;
        assert_eq!(
            names(&Inventory::from_terraform_output(tuple, "t").unwrap()),
            ["root@x"]
        );
    }

    #[test]
    fn merge_rejects_a_host_twice() {
        let a = Inventory::from_pssh("a\nb\n", "p").unwrap();
        let extra = Inventory::from_pssh("pi\n", "extra.pssh").unwrap();
        assert_eq!(
            names(&a.clone().merge(extra, "p", "extra.pssh").unwrap()),
            ["a", "b", "pi"]
        );
        let dup = Inventory::from_pssh("# mine\nroot@B:22\n", "extra.pssh").unwrap();
        let err = a.merge(dup, "p", "extra.pssh").unwrap_err();
        assert_eq!(
            err.to_string(),
            "extra.pssh:2: `root@B:22` is the same host as `b` on p:2 (b:22)"
        );
        assert!(err.hint.is_some());
    }
}
