//! One identity per host, and the entry syntax it is read from.
//!
//! A hosts file names a host as `[user@]host[:port]`, with IPv6 literals
//! written bracketed (`[::1]`, `user@[fd7a:115c:a1e0::5]:22`) or bare
//! (`::1`, `fd7a:115c:a1e0::5`; a bare literal has no port: bracket it to
//! give one). Two entries are one host when they reach the same sshd: the
//! same name or address, compared without case and without a trailing dot
//! (IP addresses by value), and the same ssh port, 22 when none is given.
//! The user is not part of it, and nothing is looked up (no DNS, no ssh
//! config): `node-a`, `root@NODE-A.` and `node-a:22` are one host.
//!
//! Each consumer gets its own rendering of an address: ssh takes it bare
//! (`-p PORT` apart), rsync bracketed (`[::1]:path`), MPyC's `-P` bare
//! again (MPyC splits `host:port` at the last colon), people and
//! `hosts.pssh` bracketed with the port after it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// ssh's port when an entry gives none.
pub const SSH_PORT: u16 = 22;

/// What an entry's host part names, as compared: a DNS name (lower case,
/// without a trailing dot) or an IP address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Address {
    Name(String),
    Ip(IpAddr),
}

impl Address {
    /// The canonical form of a host name or address as written (brackets
    /// around an IPv6 literal allowed). Anything that is not an IP address
    /// is taken as a name.
    pub fn of(text: &str) -> Address {
        let bare = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(text);
        match bare.parse::<IpAddr>() {
            Ok(ip) => Address::Ip(ip),
            Err(_) => Address::Name(bare.trim_end_matches('.').to_ascii_lowercase()),
        }
    }

    pub fn is_ip(&self) -> bool {
        matches!(self, Address::Ip(_))
    }

    /// The first DNS label of a name (`node-1` of `node-1.tail.ts.net`); an
    /// address is its own short name.
    pub fn short(&self) -> String {
        match self {
            Address::Name(name) => name.split('.').next().unwrap_or(name).to_string(),
            Address::Ip(ip) => ip.to_string(),
        }
    }

    /// As people read it, and as rsync and `hosts.pssh` take it before a
    /// `:`: IPv6 in brackets.
    pub fn bracketed(&self) -> String {
        match self {
            Address::Ip(IpAddr::V6(v6)) => format!("[{v6}]"),
            other => other.to_string(),
        }
    }
}

impl Address {
    /// `name` (as written), or in brackets when it is an IPv6 address.
    pub fn bracketed_or(&self, name: &str) -> String {
        match self {
            Address::Ip(IpAddr::V6(_)) => format!("[{name}]"),
            _ => name.to_string(),
        }
    }
}

impl fmt::Display for Address {
    /// Bare: a name, or an address as ssh and MPyC take it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Name(name) => f.write_str(name),
            Address::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// A host as compared: its address and ssh port (22 made explicit).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostId {
    pub address: Address,
    pub ssh_port: u16,
}

impl fmt::Display for HostId {
    /// `node-a:22`, `[::1]:2222`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.address.bracketed(), self.ssh_port)
    }
}

/// An entry's parts: `[user@]host[:port]` with the host as written (brackets
/// dropped; an IP address in its canonical form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub user: Option<String>,
    pub name: String,
    pub port: Option<u16>,
}

fn user_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-".contains(c)
}

/// Reads `[user@]host[:port]`; the message says what is wrong with it.
pub(crate) fn parse_entry(entry: &str) -> Result<Entry, String> {
    let (user, rest) = match entry.rsplit_once('@') {
        Some((user, rest)) => {
            if user.is_empty() {
                return Err(format!("empty user name in `{entry}`"));
            }
            if let Some(bad) = user.chars().find(|c| !user_char(*c)) {
                return Err(format!("stray character `{bad}` in user name `{user}`"));
            }
            (Some(user.to_string()), rest)
        }
        None => (None, entry),
    };
    let (name, port) = if let Some(inside) = rest.strip_prefix('[') {
        let Some((addr, after)) = inside.split_once(']') else {
            return Err(format!("unclosed `[` in `{entry}`"));
        };
        let v6 = parse_v6(addr)?;
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return Err(format!("stray text `{after}` after `[{addr}]`")),
            },
        };
        (v6.to_string(), port)
    } else if rest.matches(':').count() >= 2 {
        // A bare IPv6 literal: all of it is the address.
        (parse_v6(rest)?.to_string(), None)
    } else {
        let (name, port) = match rest.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (rest, None),
        };
        (check_name(name, entry)?, port)
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(format!("bad port `{p}` in `{entry}` (expected 1 to 65535)")),
        },
    };
    Ok(Entry { user, name, port })
}

fn parse_v6(text: &str) -> Result<Ipv6Addr, String> {
    if text.contains('%') {
        return Err(format!(
            "`{text}`: IPv6 addresses with a zone (`%`) are not supported; use a global or unique local address"
        ));
    }
    text.parse::<Ipv6Addr>().map_err(|_| {
        format!("`{text}` is not an IPv6 address (write `[ADDRESS]:PORT` to give an ssh port)")
    })
}

/// A DNS name (kept as written) or an IPv4 address (canonical).
fn check_name(name: &str, entry: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err(format!("empty host name in `{entry}`"));
    }
    if let Ok(v4) = name.parse::<Ipv4Addr>() {
        return Ok(v4.to_string());
    }
    if let Some(bad) = name.chars().find(|c| !user_char(*c)) {
        return Err(format!("stray character `{bad}` in host name `{name}`"));
    }
    let labels: Vec<&str> = name.strip_suffix('.').unwrap_or(name).split('.').collect();
    if labels
        .iter()
        .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
    {
        return Err(format!("`{name}` is not a valid host name"));
    }
    if labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit())) {
        return Err(format!("`{name}` is not an IPv4 address"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every written form of a host: its identity, or the refusal.
    #[test]
    fn entries_and_their_identity() {
        let rows: &[(&str, &str)] = &[
            ("node-a", "node-a:22"),
            ("root@node-a", "node-a:22"),
            ("root@node-a:22", "node-a:22"),
            ("NODE-A.", "node-a:22"),
            ("alice@pc.example:2222", "pc.example:2222"),
            ("10.0.0.1", "10.0.0.1:22"),
            ("10.0.0.1:2200", "10.0.0.1:2200"),
            ("[::1]", "[::1]:22"),
            ("[::1]:2222", "[::1]:2222"),
            ("::1", "[::1]:22"),
            ("me@::1", "[::1]:22"),
            ("user@[fd7a:115c:a1e0::5]:22", "[fd7a:115c:a1e0::5]:22"),
            ("fd7a:115c:a1e0::5", "[fd7a:115c:a1e0::5]:22"),
            ("FD7A:115C:A1E0:0::5", "[fd7a:115c:a1e0::5]:22"),
            ("[::ffff:10.0.0.1]", "[::ffff:10.0.0.1]:22"),
            ("", "error: empty host name in ``"),
            ("root@", "error: empty host name in `root@`"),
            ("@b", "error: empty user name in `@b`"),
            ("a:0", "error: bad port `0` in `a:0` (expected 1 to 65535)"),
            ("a:", "error: bad port `` in `a:` (expected 1 to 65535)"),
            (
                "[::1]:x",
                "error: bad port `x` in `[::1]:x` (expected 1 to 65535)",
            ),
            ("[::1", "error: unclosed `[` in `[::1`"),
            ("[::1]22", "error: stray text `22` after `[::1]`"),
            (
                "[10.0.0.1]",
                "error: `10.0.0.1` is not an IPv6 address (write `[ADDRESS]:PORT` to give an ssh port)",
            ),
            (
                "fd7a:115c:zz::5",
                "error: `fd7a:115c:zz::5` is not an IPv6 address (write `[ADDRESS]:PORT` to give an ssh port)",
            ),
            (
                "fe80::1%eth0",
                "error: `fe80::1%eth0`: IPv6 addresses with a zone (`%`) are not supported; use a global or unique local address",
            ),
            ("10.0.0", "error: `10.0.0` is not an IPv4 address"),
            ("10.0.0.256", "error: `10.0.0.256` is not an IPv4 address"),
            ("a..b", "error: `a..b` is not a valid host name"),
            ("-a", "error: `-a` is not a valid host name"),
            ("a/b", "error: stray character `/` in host name `a/b`"),
            ("r$t@a", "error: stray character `$` in user name `r$t`"),
        ];
        for (entry, expect) in rows {
            let got = match parse_entry(entry) {
                Ok(e) => HostId {
                    address: Address::of(&e.name),
                    ssh_port: e.port.unwrap_or(SSH_PORT),
                }
                .to_string(),
                Err(message) => format!("error: {message}"),
            };
            assert_eq!(&got, expect, "{entry:?}");
        }
    }

    #[test]
    fn addresses_compare_without_case_or_trailing_dot() {
        assert_eq!(
            Address::of("Node-1.Tail.TS.net."),
            Address::of("node-1.tail.ts.net")
        );
        assert_eq!(Address::of("[::1]"), Address::of("0:0::1"));
        assert_ne!(Address::of("10.0.0.1"), Address::of("10.0.0.2"));
        assert_eq!(Address::of("node-1.tail.ts.net").short(), "node-1");
        assert_eq!(Address::of("::1").short(), "::1");
        assert_eq!(Address::of("10.0.0.1").short(), "10.0.0.1");
        assert_eq!(Address::of("::1").bracketed(), "[::1]");
        assert_eq!(Address::of("::1").to_string(), "::1");
    }
}
