//! The hosts of a testbed, in the three forms the original system used:
//!
//! - `hosts.pssh`: one `[user@]host[:port]` a line, in party order;
//! - Colmena's `hosts.json`: an object keyed by hostname, values per-node
//!   settings (`{}` when none);
//! - Terraform's `terraform output -json` document, whose outputs
//!   `hosts-pssh` and `hosts-colmena` hold the two above.
//!
//! Everything here is pure: text in, values or text out. Errors name the
//! file and the line. [`files`] makes the two files e3 writes from
//! Terraform's output.

pub mod files;

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value, json};

/// One machine that can run parties.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Host {
    /// The ssh user, when the file gives one (`root@...`).
    pub user: Option<String>,
    /// DNS name, MagicDNS name or IP address.
    pub name: String,
    /// The ssh port, when not ssh's default.
    pub port: Option<u16>,
    /// Where it runs (`ams3`), when known.
    pub region: Option<String>,
    /// What it is (`x86_64-linux`, `aarch64-linux`), when known.
    pub platform: Option<String>,
}

impl Host {
    pub fn new(name: impl Into<String>) -> Host {
        Host {
            name: name.into(),
            ..Host::default()
        }
    }

    /// `[user@]host`, as ssh takes it.
    pub fn ssh_target(&self) -> String {
        match &self.user {
            Some(user) => format!("{user}@{}", self.name_for_address()),
            None => self.name_for_address(),
        }
    }

    /// The line of `hosts.pssh` for this host.
    pub fn pssh_line(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.ssh_target()),
            None => self.ssh_target(),
        }
    }

    fn name_for_address(&self) -> String {
        if self.name.contains(':') {
            format!("[{}]", self.name)
        } else {
            self.name.clone()
        }
    }

    /// Whether two entries reach the same sshd: the same name and ssh port
    /// (users aside). One such entry is one host.
    pub fn same_endpoint(&self, other: &Host) -> bool {
        self.name == other.name && self.port == other.port
    }

    /// The part of the name before the first dot (`node-1` of
    /// `node-1.tailnet.ts.net`); an IP address is its own short name.
    pub fn short_name(&self) -> &str {
        short_name(&self.name)
    }
}

/// The part of a hostname before the first dot; IP addresses stay whole.
pub fn short_name(name: &str) -> &str {
    let is_ip = name.contains(':')
        || name
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if is_ip {
        name
    } else {
        name.split('.').next().unwrap_or(name)
    }
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
        }
    }
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.source, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for InventoryError {}

type Result<T> = std::result::Result<T, InventoryError>;

impl Inventory {
    /// Reads `hosts.pssh` text. `source` names it in errors.
    pub fn from_pssh(text: &str, source: &str) -> Result<Inventory> {
        let mut inventory = Inventory::default();
        let mut lines_of: Vec<usize> = Vec::new();
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
            let host =
                parse_pssh_entry(line).map_err(|m| InventoryError::new(source, Some(lineno), m))?;
            if let Some(j) = inventory.hosts.iter().position(|h| h.same_endpoint(&host)) {
                return Err(InventoryError::new(
                    source,
                    Some(lineno),
                    format!(
                        "duplicate host `{}` (also on line {})",
                        host.name, lines_of[j]
                    ),
                ));
            }
            inventory.hosts.push(host);
            lines_of.push(lineno);
        }
        Ok(inventory)
    }

    /// `hosts.pssh` text: one host a line, in party order.
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

    /// Colmena's `hosts.json`: `{"host": {settings}}`, keys sorted, with
    /// `targetUser`/`targetPort` and known metadata as settings.
    pub fn to_colmena_json(&self) -> String {
        let mut nodes = Map::new();
        for host in &self.hosts {
            let mut settings = Map::new();
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
            nodes.insert(host.name.clone(), Value::Object(settings));
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
                let a: BTreeSet<&str> = pssh.hosts.iter().map(|h| h.name.as_str()).collect();
                let b: BTreeSet<&str> = colmena.hosts.iter().map(|h| h.name.as_str()).collect();
                if a != b {
                    let only = |x: &BTreeSet<&str>, y: &BTreeSet<&str>| {
                        let v: Vec<&str> = x.difference(y).copied().collect();
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
                        .find(|h| h.name == host.name)
                        .expect("same names");
                    host.user = host.user.take().or_else(|| node.user.clone());
                    host.port = host.port.or(node.port);
                    host.region = node.region.clone();
                    host.platform = node.platform.clone();
                }
                Ok(pssh.with_inferred_regions())
            }
        }
    }

    /// Appends hosts Terraform does not manage (a Pi, a laptop). A host in
    /// both is an error.
    pub fn merge(mut self, extra: Inventory, extra_source: &str) -> Result<Inventory> {
        for host in extra.hosts {
            if self.hosts.iter().any(|h| h.same_endpoint(&host)) {
                return Err(InventoryError::new(
                    extra_source,
                    None,
                    format!("host `{}` is already in the provisioned hosts", host.name),
                ));
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
        let mut host = parse_pssh_entry(name)
            .ok()
            .filter(|h| h.user.is_none() && h.port.is_none())
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
        host.user = text("targetUser")?;
        host.region = text("region")?;
        host.platform = text("platform")?;
        host.port = match settings.get("targetPort") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
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
            ),
        };
        inventory.hosts.push(host);
    }
    Ok(inventory)
}

/// `[user@]host[:port]`, with `[v6addr]` for IPv6 literals.
fn parse_pssh_entry(entry: &str) -> std::result::Result<Host, String> {
    if entry.contains(char::is_whitespace) {
        return Err(format!(
            "`{entry}` has more than one field; write one `[user@]host[:port]` a line"
        ));
    }
    let (user, rest) = match entry.rsplit_once('@') {
        Some((user, rest)) => {
            if user.is_empty() {
                return Err(format!("empty user name in `{entry}`"));
            }
            if let Some(bad) = user
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c)))
            {
                return Err(format!("stray character `{bad}` in user name `{user}`"));
            }
            (Some(user.to_string()), rest)
        }
        None => (None, entry),
    };
    let (name, port) = if let Some(v6) = rest.strip_prefix('[') {
        let Some((addr, after)) = v6.split_once(']') else {
            return Err(format!("unclosed `[` in `{entry}`"));
        };
        if addr.is_empty()
            || !addr
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(format!("`{addr}` is not an IPv6 address"));
        }
        match after {
            "" => (addr, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (addr, Some(port)),
                None => return Err(format!("stray text `{after}` after `[{addr}]`")),
            },
        }
    } else {
        match rest.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (rest, None),
        }
    };
    if name.is_empty() {
        return Err(format!("empty host name in `{entry}`"));
    }
    if !rest.starts_with('[') {
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c)))
        {
            return Err(format!("stray character `{bad}` in host name `{name}`"));
        }
        if name.starts_with(['.', '-']) || name.ends_with('-') || name.contains("..") {
            return Err(format!("`{name}` is not a valid host name"));
        }
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(format!("bad port `{p}` in `{entry}` (expected 1 to 65535)")),
        },
    };
    Ok(Host {
        user,
        name: name.to_string(),
        port,
        region: None,
        platform: None,
    })
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
            inv.to_pssh(),
            "root@a.ts.net\nb:2222\nme@[::1]:22\n10.0.0.1\n"
        );
        assert_eq!(Inventory::from_pssh(&inv.to_pssh(), "x").unwrap(), inv);
    }

    #[test]
    fn pssh_errors_name_file_and_line() {
        let check = |text: &str, expect: &str| {
            assert_eq!(
                Inventory::from_pssh(text, "hosts.pssh")
                    .unwrap_err()
                    .to_string(),
                expect,
                "{text:?}"
            );
        };
        check(
            "a\nb\na\n",
            "hosts.pssh:3: duplicate host `a` (also on line 1)",
        );
        check("a\n@b\n", "hosts.pssh:2: empty user name in `@b`");
        check("root@\n", "hosts.pssh:1: empty host name in `root@`");
        check(
            "a:0\n",
            "hosts.pssh:1: bad port `0` in `a:0` (expected 1 to 65535)",
        );
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
            "hosts.pssh:1: `a b` has more than one field; write one `[user@]host[:port]` a line",
        );
        check(
            "a/b\n",
            "hosts.pssh:1: stray character `/` in host name `a/b`",
        );
        check(
            "r$t@a\n",
            "hosts.pssh:1: stray character `$` in user name `r$t`",
        );
        check("-a\n", "hosts.pssh:1: `-a` is not a valid host name");
        check("[::1\n", "hosts.pssh:1: unclosed `[` in `[::1`");
    }

    #[test]
    fn short_names() {
        assert_eq!(short_name("node-1.tailnet.ts.net"), "node-1");
        assert_eq!(short_name("node-1"), "node-1");
        assert_eq!(short_name("10.0.0.1"), "10.0.0.1");
        assert_eq!(short_name("::1"), "::1");
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
        let mut inv = Inventory::from_pssh("root@b\na:2222\n", "x").unwrap();
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
          }
        }
        "#);
        let back = Inventory::from_colmena_json(&text, "hosts.json").unwrap();
        assert_eq!(names(&back), ["a:2222", "root@b"]);
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
            names(&a.clone().merge(extra, "extra.pssh").unwrap()),
            ["a", "b", "pi"]
        );
        let dup = Inventory::from_pssh("b\n", "extra.pssh").unwrap();
        assert_eq!(
            a.merge(dup, "extra.pssh").unwrap_err().to_string(),
            "extra.pssh: host `b` is already in the provisioned hosts"
        );
    }
}
