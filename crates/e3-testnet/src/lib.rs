//! A local testbed: real hosts on this machine, for tests and for
//! rehearsing a multi-host run before paying for droplets (`cargo xtask
//! testnet up N` / `down`).
//!
//! Each host is a network namespace on a private bridge with its own
//! address, its own hostname (UTS namespace), its own `/root` (mount
//! namespace, with `/root/.pyenv` kept visible), an `/etc/hosts` naming every
//! test host, and its own sshd. The testbed's folder holds the client key,
//! an ssh config and `hosts.pssh`. Every address is in one private /24 that
//! the bridge owns; nothing is routed anywhere else.
//!
//! Making and removing one needs root; [`plan_up`] and [`plan_down`] say
//! what [`up`] and [`down`] do, as plans. [`testbeds`] lists those on this
//! machine; [`claim`] hands a name and subnet no one else uses to tests
//! (or anything else) that make testbeds next to others.

pub mod claim;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use e3_exec::ExecError;
use e3_plan::{Cmd, Plan, Step, quote};
use serde_json::json;

/// A testbed's names and addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Testnet {
    pub name: String,
    /// The /24's first three octets.
    pub subnet: [u8; 3],
    pub hosts: usize,
    pub dir: Utf8PathBuf,
}

impl Testnet {
    /// Host `i` (from 1): its hostname, which is also its namespace's name.
    pub fn host(&self, i: usize) -> String {
        format!("{}-h{i}", self.name)
    }

    /// The bridge every host's link is on.
    pub fn bridge(&self) -> String {
        format!("{}-br", self.name)
    }

    fn veth(&self, i: usize) -> String {
        format!("{}-v{i}", self.name)
    }

    /// The bridge is `.1`; host `i` is `.(i + 1)`.
    pub fn address(&self, i: usize) -> Ipv4Addr {
        let [a, b, c] = self.subnet;
        Ipv4Addr::new(a, b, c, (i + 1) as u8)
    }

    /// Host `i`'s link-layer address (its `eth0`), fixed so that every
    /// other host can know it before any packet flows: locally administered
    /// (02:...), from the subnet and the host's number. Host 0 is the
    /// bridge.
    pub fn mac(&self, i: usize) -> String {
        let [_, b, c] = self.subnet;
        format!("02:e3:{b:02x}:{c:02x}:{:02x}:{:02x}", i >> 8, i & 0xff)
    }

    /// The neighbour table of host `i` (`0`: this machine, on the bridge):
    /// every other host, and the bridge, as permanent entries, so that no
    /// host asks for an address by ARP (with dozens of hosts asking all at
    /// once, the broadcasts flood the bridge and overflow the kernel's
    /// backlog: SYNs are lost and TCP waits 1, 3, 7 s to send them again).
    pub fn neighbours(&self, i: usize) -> String {
        let dev = if i == 0 {
            self.bridge()
        } else {
            "eth0".to_string()
        };
        let mut batch = String::new();
        let [a, b, c] = self.subnet;
        let bridge_ip = Ipv4Addr::new(a, b, c, 1);
        if i != 0 {
            batch.push_str(&format!(
                "neigh replace {bridge_ip} lladdr {} dev {dev} nud permanent\n",
                self.mac(0)
            ));
        }
        for j in (1..=self.hosts).filter(|j| *j != i) {
            batch.push_str(&format!(
                "neigh replace {} lladdr {} dev {dev} nud permanent\n",
                self.address(j),
                self.mac(j)
            ));
        }
        batch
    }

    fn host_dir(&self, i: usize) -> Utf8PathBuf {
        self.dir.join("hosts").join(self.host(i))
    }

    pub fn ssh_config_path(&self) -> Utf8PathBuf {
        self.dir.join("ssh_config")
    }

    pub fn hosts_path(&self) -> Utf8PathBuf {
        self.dir.join("hosts.pssh")
    }
}

/// Programs the testbed runs, found before anything is made.
pub struct Tools {
    pub ip: Utf8PathBuf,
    pub sshd: Utf8PathBuf,
    pub ssh_keygen: Utf8PathBuf,
    pub unshare: Utf8PathBuf,
}

/// Why a testbed could not be made or removed.
#[derive(Debug)]
pub enum TestnetError {
    /// Not a testbed name: 1 to 8 of a-z and 0-9, starting with a letter.
    BadName { name: String },
    /// Not the first three octets of a private /24.
    BadSubnet { text: String },
    /// Another interface of this machine has an address in the /24 (or in
    /// a larger network that covers it): `address` (with its prefix) on
    /// `iface`, which is testbed `testbed`'s bridge if it is one.
    SubnetInUse {
        subnet: [u8; 3],
        iface: String,
        address: String,
        testbed: Option<String>,
    },
    /// A testbed of this name exists.
    AlreadyUp { name: String },
    /// No testbed of this name is on this machine; `existing` are those
    /// that are.
    NoTestbed { name: String, existing: Vec<Found> },
    /// Every name of a claimer's pool is in use or claimed.
    NoneFree { first: String, last: String },
    /// A step of making it failed; `sshd_said` is the first host's sshd log.
    Making {
        name: String,
        message: String,
        sshd_said: Option<String>,
    },
    /// A host's sshd did not listen in time.
    SshdDidNotStart {
        host: String,
        addr: SocketAddrV4,
        sshd_said: Option<String>,
    },
    /// Taking it down left these things behind.
    LeftBehind { name: String, failed: Vec<String> },
    /// A look at this machine's state (`ip ...`) failed.
    Exec(ExecError),
}

impl fmt::Display for TestnetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TestnetError::BadName { name } => write!(
                f,
                "testbed name `{name}`: use 1 to 8 of a-z and 0-9, starting with a letter"
            ),
            TestnetError::BadSubnet { text } => write!(
                f,
                "`{text}` is not the first three octets of a private /24, like 10.213.7"
            ),
            TestnetError::SubnetInUse {
                subnet: [a, b, c],
                iface,
                address,
                testbed,
            } => match testbed {
                Some(testbed) => write!(
                    f,
                    "subnet {a}.{b}.{c}.0/24 is already in use by testbed `{testbed}` (its bridge {iface} has {address})"
                ),
                None => write!(
                    f,
                    "subnet {a}.{b}.{c}.0/24 is already in use: {iface} has {address}"
                ),
            },
            TestnetError::AlreadyUp { name } => write!(f, "a testbed named `{name}` is already up"),
            TestnetError::NoTestbed { name, .. } => {
                write!(f, "there is no testbed named `{name}` on this machine")
            }
            TestnetError::NoneFree { first, last } => write!(
                f,
                "every testbed name from {first} to {last} is in use or claimed"
            ),
            TestnetError::Making { name, message, .. } => {
                write!(f, "making testbed `{name}` failed: {message}")
            }
            TestnetError::SshdDidNotStart { host, addr, .. } => {
                write!(f, "sshd on {host} ({addr}) did not start")
            }
            TestnetError::LeftBehind { name, failed } => write!(
                f,
                "taking testbed `{name}` down left things behind:\n  {}",
                failed.join("\n  ")
            ),
            TestnetError::Exec(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for TestnetError {}

impl From<ExecError> for TestnetError {
    fn from(err: ExecError) -> TestnetError {
        TestnetError::Exec(err)
    }
}

/// A testbed's name: 1 to 8 of a-z and 0-9, starting with a letter (it
/// prefixes namespaces and links, whose names are short).
pub fn check_name(name: &str) -> Result<String, TestnetError> {
    let ok = (1..=8).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if ok {
        Ok(name.to_string())
    } else {
        Err(TestnetError::BadName {
            name: name.to_string(),
        })
    }
}

/// `10.213.7`: the first three octets of a private /24.
pub fn parse_subnet(text: &str) -> Result<[u8; 3], TestnetError> {
    let bad = || TestnetError::BadSubnet {
        text: text.to_string(),
    };
    let parts: Vec<u8> = text
        .split('.')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let [a, b, c] = parts[..] else {
        return Err(bad());
    };
    let private = a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168);
    if !private {
        return Err(bad());
    }
    Ok([a, b, c])
}

/// Whether e3 runs as root, as making network namespaces needs.
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Makes the testbed of [`plan_up`] and waits until every host's sshd
/// listens. On failure the caller takes down what was made ([`down`]); the
/// error carries what sshd logged, which goes with the testbed's folder.
pub fn up(testnet: &Testnet, tools: &Tools, keep_pyenv: bool) -> Result<(), TestnetError> {
    if !survey(&tools.ip, &testnet.name).is_empty() {
        return Err(TestnetError::AlreadyUp {
            name: testnet.name.clone(),
        });
    }
    check_subnet_free(&tools.ip, testnet.subnet)?;
    let sshd_said = || {
        (1..=testnet.hosts)
            .filter_map(|i| std::fs::read_to_string(testnet.host_dir(i).join("sshd.log")).ok())
            .map(|log| log.trim().to_string())
            .find(|log| !log.is_empty())
    };
    let plan = plan_up(testnet, tools, keep_pyenv);
    if let Err(err) = e3_exec::run_plan(&plan, |_| {}) {
        return Err(TestnetError::Making {
            name: testnet.name.clone(),
            message: err.message,
            sshd_said: sshd_said(),
        });
    }
    wait_for_sshd(testnet).map_err(|(host, addr)| TestnetError::SshdDidNotStart {
        host,
        addr,
        sshd_said: sshd_said(),
    })
}

/// The addresses of this machine's interfaces: `ip -o -4 addr show`.
fn addresses(ip: &Utf8Path) -> Result<String, TestnetError> {
    Ok(e3_exec::output_of(
        None,
        &Cmd::new(ip).args(["-o", "-4", "addr", "show"]),
    )?)
}

/// An error naming who uses `subnet`, if anyone does.
fn check_subnet_free(ip: &Utf8Path, subnet: [u8; 3]) -> Result<(), TestnetError> {
    match subnet_user(&addresses(ip)?, subnet) {
        Some((iface, address)) => Err(TestnetError::SubnetInUse {
            subnet,
            testbed: testbed_of_link(&iface),
            iface,
            address,
        }),
        None => Ok(()),
    }
}

/// The interface (and its address, with the prefix) whose network overlaps
/// `subnet`'s /24, in `ip -o -4 addr show`'s output: an address in the
/// /24, or in a larger network that covers it.
pub fn subnet_user(addresses: &str, subnet: [u8; 3]) -> Option<(String, String)> {
    let [a, b, c] = subnet;
    let ours = u32::from(Ipv4Addr::new(a, b, c, 0));
    addresses.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        let iface = words.nth(1)?;
        let address = words.skip_while(|w| *w != "inet").nth(1)?;
        let (addr, prefix) = address.split_once('/')?;
        let addr = u32::from(addr.parse::<Ipv4Addr>().ok()?);
        let prefix: u32 = prefix.parse().ok().filter(|p| *p <= 32)?;
        let mask = u32::MAX.checked_shl(32 - prefix.min(24)).unwrap_or(0);
        (addr & mask == ours & mask).then(|| {
            let iface = iface.split('@').next().unwrap_or(iface);
            (iface.to_string(), address.to_string())
        })
    })
}

/// The testbed whose bridge `iface` is (`NAME-br`), if it is one.
pub fn testbed_of_link(iface: &str) -> Option<String> {
    iface
        .strip_suffix("-br")
        .and_then(|name| check_name(name).ok())
}

/// A testbed on this machine: its name, how many hosts it has, and its
/// subnet (its bridge's), when it has a bridge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    pub hosts: usize,
    pub subnet: Option<[u8; 3]>,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts = match self.hosts {
            1 => "1 host".to_string(),
            n => format!("{n} hosts"),
        };
        match self.subnet {
            Some([a, b, c]) => write!(f, "{} ({hosts} on {a}.{b}.{c}.0/24)", self.name),
            None => write!(f, "{} ({hosts}, no bridge)", self.name),
        }
    }
}

/// The testbeds on this machine, by name: every `NAME-hN` namespace and
/// `NAME-br` bridge. Nothing found (or `ip` failing) is an empty list.
pub fn testbeds(ip: &Utf8Path) -> Vec<Found> {
    let namespaces =
        e3_exec::output_of(None, &Cmd::new(ip).args(["netns", "list"])).unwrap_or_default();
    let links: Vec<String> = std::fs::read_dir("/sys/class/net")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let addresses = addresses(ip).unwrap_or_default();
    found_testbeds(&namespaces, &links, &addresses)
}

/// [`testbeds`] from `ip netns list`, the names of the links and `ip -o -4
/// addr show`, sorted by name.
pub fn found_testbeds(namespaces: &str, links: &[String], addresses: &str) -> Vec<Found> {
    fn entry<'a>(found: &'a mut Vec<Found>, name: &str) -> &'a mut Found {
        let at = match found.iter().position(|f| f.name == name) {
            Some(at) => at,
            None => {
                found.push(Found {
                    name: name.to_string(),
                    hosts: 0,
                    subnet: None,
                });
                found.len() - 1
            }
        };
        &mut found[at]
    }
    let mut found: Vec<Found> = Vec::new();
    for ns in namespaces
        .lines()
        .filter_map(|l| l.split_whitespace().next())
    {
        let Some((name, n)) = ns.rsplit_once("-h") else {
            continue;
        };
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && check_name(name).is_ok() {
            entry(&mut found, name).hosts += 1;
        }
    }
    for link in links {
        if let Some(name) = testbed_of_link(link) {
            entry(&mut found, &name);
        }
    }
    for line in addresses.lines() {
        let mut words = line.split_whitespace();
        let (Some(iface), Some(address)) =
            (words.nth(1), words.skip_while(|w| *w != "inet").nth(1))
        else {
            continue;
        };
        let Some(name) = testbed_of_link(iface.split('@').next().unwrap_or(iface)) else {
            continue;
        };
        let octets: Vec<u8> = address
            .split('/')
            .next()
            .unwrap_or("")
            .split('.')
            .filter_map(|o| o.parse().ok())
            .collect();
        if let [a, b, c, _] = octets[..] {
            entry(&mut found, &name).subnet = Some([a, b, c]);
        }
    }
    found.sort_by(|x, y| x.name.cmp(&y.name));
    found
}

/// Waits up to 60 s for every host's sshd to listen; the first that does
/// not, with its address. (It starts in well under a second; a machine
/// busy with other work may take many.)
fn wait_for_sshd(testnet: &Testnet) -> Result<(), (String, SocketAddrV4)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    for i in 1..=testnet.hosts {
        let addr = SocketAddrV4::new(testnet.address(i), 22);
        while TcpStream::connect_timeout(&addr.into(), Duration::from_millis(200)).is_err() {
            if Instant::now() > deadline {
                return Err((testnet.host(i), addr));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}

/// Everything `up` does, in order.
/// The testbed a hosts file is of, when it is one `testnet up` wrote
/// (`<dir>/hosts.pssh` beside its `testnet.json`): its name and host count.
pub fn of_hosts_file(path: &Utf8Path) -> Option<(String, usize)> {
    let state = std::fs::read_to_string(path.parent()?.join("testnet.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&state).ok()?;
    let hosts = usize::try_from(v["hosts"].as_u64()?).ok()?;
    (path.file_name() == Some("hosts.pssh")).then_some(())?;
    Some((v["name"].as_str()?.to_string(), hosts))
}

/// The counters testbed `name` owns that a lost packet shows in: its
/// bridge's and links' drops (this machine's side), each host's `eth0`
/// drops, and in each host's namespace TCP's SYN retransmissions and
/// listen drops and overflows. Read before and after a run, their growth
/// says the testbed (not the protocol) lost packets. A counter that cannot
/// be read is left out.
///
/// Read from `/proc` (this process's `net/dev`, and each host's sshd's
/// `net/dev` and `net/netstat`, which are its namespace's), so that a
/// reading starts no process: at 128 hosts, starting `ip` and `nstat` in
/// every namespace took seconds of the run being measured. A host whose
/// sshd's pid (in `dir`, the testbed's folder) cannot be read is asked
/// with `ip` and `nstat` as before.
pub fn counters(ip: &Utf8Path, name: &str, hosts: usize, dir: &Utf8Path) -> Vec<(String, u64)> {
    let mut found = Vec::new();
    let prefix = format!("{name}-");
    if let Ok(dev) = std::fs::read_to_string("/proc/self/net/dev") {
        for (ifname, drops) in dev_drops(&dev) {
            if ifname.starts_with(&prefix) {
                found.push((format!("{ifname} drops"), drops));
            }
        }
    }
    for i in 1..=hosts {
        let host = format!("{name}-h{i}");
        let from_proc = std::fs::read_to_string(dir.join("hosts").join(&host).join("sshd.pid"))
            .ok()
            .and_then(|pid| pid.trim().parse::<u32>().ok())
            .and_then(|pid| {
                let dev = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).ok()?;
                let netstat = std::fs::read_to_string(format!("/proc/{pid}/net/netstat")).ok()?;
                Some((dev, netstat))
            });
        match from_proc {
            Some((dev, netstat)) => {
                if let Some((_, drops)) = dev_drops(&dev).into_iter().find(|(n, _)| n == "eth0") {
                    found.push((format!("{host} eth0 drops"), drops));
                }
                for (counter, value) in tcp_ext(&netstat) {
                    found.push((format!("{host} {counter}"), value));
                }
            }
            None => found.extend(asked_with_ip(ip, &host)),
        }
    }
    found
}

/// The TCP counters [`counters`] reads, as nstat names them.
const TCP_COUNTERS: [&str; 3] = ["TCPSynRetrans", "ListenDrops", "ListenOverflows"];

/// Each interface's dropped packets, received and sent, from a
/// `/proc/net/dev` table.
fn dev_drops(table: &str) -> Vec<(String, u64)> {
    table
        .lines()
        .filter_map(|line| {
            let (name, fields) = line.split_once(':')?;
            let fields: Vec<u64> = fields
                .split_whitespace()
                .map(|f| f.parse().ok())
                .collect::<Option<_>>()?;
            // rx: bytes packets errs drop ...; tx from the 9th: bytes packets errs drop ...
            Some((name.trim().to_string(), fields.get(3)? + fields.get(11)?))
        })
        .collect()
}

/// [`TCP_COUNTERS`] from a `/proc/net/netstat` table (a `TcpExt:` line of
/// names, then one of values), named as nstat names them (`TcpExt...`).
fn tcp_ext(table: &str) -> Vec<(String, u64)> {
    let mut lines = table.lines().filter(|l| l.starts_with("TcpExt:"));
    let (Some(names), Some(values)) = (lines.next(), lines.next()) else {
        return Vec::new();
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .skip(1)
        .filter(|(n, _)| TCP_COUNTERS.contains(n))
        .filter_map(|(n, v)| Some((format!("TcpExt{n}"), v.parse().ok()?)))
        .collect()
}

/// A host's counters asked with `ip` and `nstat` in its namespace.
fn asked_with_ip(ip: &Utf8Path, host: &str) -> Vec<(String, u64)> {
    let dropped = |v: &serde_json::Value| {
        let s = &v["stats64"];
        s["rx"]["dropped"].as_u64().unwrap_or(0) + s["tx"]["dropped"].as_u64().unwrap_or(0)
    };
    let mut found = Vec::new();
    if let Ok(out) = e3_exec::capture(
        &Cmd::new(ip).args(["-n", host, "-s", "-j", "link", "show", "dev", "eth0"]),
    ) && let Ok(v) = serde_json::from_str::<serde_json::Value>(&out.stdout)
    {
        found.push((format!("{host} eth0 drops"), dropped(&v[0])));
    }
    let names: Vec<String> = TCP_COUNTERS.iter().map(|c| format!("TcpExt{c}")).collect();
    let nstat = Cmd::new(ip)
        .args(["netns", "exec", host, "nstat", "-asz"])
        .args(&names);
    if let Ok(out) = e3_exec::capture(&nstat) {
        for line in out.stdout.lines().filter(|l| l.starts_with("Tcp")) {
            let mut words = line.split_whitespace();
            if let (Some(counter), Some(Ok(value))) =
                (words.next(), words.next().map(str::parse::<u64>))
            {
                found.push((format!("{host} {counter}"), value));
            }
        }
    }
    found
}

/// What grew between two readings of [`counters`]: (counter, by how much).
pub fn grown(before: &[(String, u64)], after: &[(String, u64)]) -> Vec<(String, u64)> {
    after
        .iter()
        .filter_map(|(name, a)| {
            let b = before
                .iter()
                .find(|(n, _)| n == name)
                .map_or(0, |(_, b)| *b);
            (*a > b).then(|| (name.clone(), a - b))
        })
        .collect()
}

pub fn plan_up(t: &Testnet, tools: &Tools, keep_pyenv: bool) -> Plan {
    let mut plan = Plan::default();
    let ip = |args: &[&str]| Step::Run(Cmd::new(&tools.ip).args(args.iter().copied()));
    let [a, b, c] = t.subnet;
    let dirs: Vec<String> = (1..=t.hosts)
        .map(|i| t.host_dir(i).join("root").to_string())
        .collect();
    plan.push(Step::Run(
        Cmd::new("mkdir").arg("-p").args(dirs).arg("/run/sshd"),
    ));
    plan.push(Step::Run(keygen(tools, &t.dir.join("id_ed25519"))));
    plan.push(Step::Run(
        Cmd::new("cp")
            .arg(t.dir.join("id_ed25519.pub"))
            .arg(t.dir.join("authorized_keys")),
    ));
    plan.push(Step::WriteFile {
        path: t.ssh_config_path(),
        contents: ssh_config(t),
    });
    plan.push(Step::WriteFile {
        path: t.hosts_path(),
        contents: (1..=t.hosts)
            .map(|i| format!("root@{}\n", t.host(i)))
            .collect(),
    });
    let mut etc_hosts = "127.0.0.1 localhost\n::1 localhost\n".to_string();
    for i in 1..=t.hosts {
        etc_hosts.push_str(&format!("{} {}\n", t.address(i), t.host(i)));
    }
    plan.push(Step::WriteFile {
        path: t.dir.join("etc-hosts"),
        contents: etc_hosts,
    });
    let state = json!({"name": t.name, "subnet": format!("{a}.{b}.{c}"), "hosts": t.hosts});
    plan.push(Step::WriteFile {
        path: t.dir.join("testnet.json"),
        contents: format!("{state}\n"),
    });
    let bridge = t.bridge();
    let bridge_mac = t.mac(0);
    plan.push(ip(&[
        "link",
        "add",
        &bridge,
        "address",
        &bridge_mac,
        "type",
        "bridge",
    ]));
    plan.push(ip(&[
        "addr",
        "add",
        &format!("{a}.{b}.{c}.1/24"),
        "dev",
        &bridge,
    ]));
    // This machine's side of the bridge knows every host too.
    let batch = t.dir.join("neighbours");
    plan.push(Step::WriteFile {
        path: batch.clone(),
        contents: t.neighbours(0),
    });
    for i in 1..=t.hosts {
        let (host, veth, dir) = (t.host(i), t.veth(i), t.host_dir(i));
        plan.push(Step::Run(keygen(tools, &dir.join("ssh_host_ed25519_key"))));
        plan.push(Step::WriteFile {
            path: dir.join("sshd_config"),
            contents: sshd_config(t, i),
        });
        plan.push(ip(&["netns", "add", &host]));
        let mac = t.mac(i);
        plan.push(ip(&[
            "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "address", &mac, "netns",
            &host,
        ]));
        plan.push(ip(&[
            "link",
            "set",
            &veth,
            "master",
            &bridge,
            "addrgenmode",
            "none",
            "up",
        ]));
        plan.push(ip(&[
            "-n",
            &host,
            "addr",
            "add",
            &format!("{}/24", t.address(i)),
            "dev",
            "eth0",
        ]));
        plan.push(ip(&[
            "-n",
            &host,
            "link",
            "set",
            "eth0",
            "addrgenmode",
            "none",
            "up",
        ]));
        plan.push(ip(&["-n", &host, "link", "set", "lo", "up"]));
        // Every other host (and the bridge) as a permanent neighbour: no
        // ARP storm when dozens of hosts connect to each other at once.
        let batch = dir.join("neighbours");
        plan.push(Step::WriteFile {
            path: batch.clone(),
            contents: t.neighbours(i),
        });
        plan.push(ip(&["-n", &host, "-batch", batch.as_str()]));
        // In the host's own UTS and mount namespaces: its name, /etc/hosts
        // and /root, then sshd (which daemonizes and keeps them alive).
        let home = dir.join("root");
        let mut script = vec![
            "set -e".to_string(),
            format!("echo {host} > /proc/sys/kernel/hostname"),
            format!(
                "mount --bind {} /etc/hosts",
                quote(t.dir.join("etc-hosts").as_str())
            ),
        ];
        if keep_pyenv {
            let pyenv = home.join(".pyenv");
            script.push(format!("mkdir -p {}", quote(pyenv.as_str())));
            script.push(format!(
                "mount --bind /root/.pyenv {}",
                quote(pyenv.as_str())
            ));
        }
        script.push(format!("mount --rbind {} /root", quote(home.as_str())));
        script.push(format!(
            "exec {} -f {} -E {}",
            quote(tools.sshd.as_str()),
            quote(dir.join("sshd_config").as_str()),
            quote(dir.join("sshd.log").as_str())
        ));
        plan.push(Step::Run(
            Cmd::new(&tools.ip)
                .args(["netns", "exec", &host])
                .arg(&tools.unshare)
                .args(["--uts", "--mount", "--propagation", "private", "sh", "-c"])
                .arg(script.join("; ")),
        ));
    }
    // No IPv6 on the testbed's links (`addrgenmode none`: no link-local
    // address, so no duplicate address detection, router solicitations or
    // multicast reports), and the bridge up only once it has its ports
    // (what it sent with none, it would count as dropped): the testbed's
    // own chatter is not counted as packets a run lost. Settings of these
    // links only, gone with them.
    plan.push(ip(&["link", "set", &bridge, "addrgenmode", "none", "up"]));
    plan.push(ip(&["-batch", batch.as_str()]));
    plan
}

fn keygen(tools: &Tools, path: &Utf8Path) -> Cmd {
    Cmd::new(&tools.ssh_keygen)
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "e3-testnet", "-f"])
        .arg(path)
}

fn ssh_config(t: &Testnet) -> String {
    let mut out = format!(
        "# ssh config for e3 testbed `{name}`: use with ssh -F, or e3's --ssh-config\n\
         Host {name}-h*\n  User root\n  IdentityFile {dir}/id_ed25519\n  IdentitiesOnly yes\n  \
         UserKnownHostsFile {dir}/known_hosts\n  StrictHostKeyChecking accept-new\n  BatchMode yes\n  LogLevel ERROR\n",
        name = t.name,
        dir = t.dir
    );
    for i in 1..=t.hosts {
        out.push_str(&format!(
            "Host {}\n  HostName {}\n",
            t.host(i),
            t.address(i)
        ));
    }
    out
}

fn sshd_config(t: &Testnet, i: usize) -> String {
    let dir = t.host_dir(i);
    format!(
        "# sshd of e3 test host {host}\n\
         ListenAddress {addr}\nPort 22\nHostKey {dir}/ssh_host_ed25519_key\nPidFile {dir}/sshd.pid\n\
         AuthorizedKeysFile {top}/authorized_keys\nPermitRootLogin prohibit-password\nPubkeyAuthentication yes\n\
         PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
         PrintMotd no\nPrintLastLog no\nX11Forwarding no\nSubsystem sftp internal-sftp\n",
        host = t.host(i),
        addr = t.address(i),
        top = t.dir,
    )
}

/// What a testbed has on this machine now: its namespaces, the processes
/// in them, and whether its bridge exists. Nothing found is an empty survey.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Survey {
    pub namespaces: Vec<String>,
    pub pids: Vec<String>,
    pub bridge_exists: bool,
    /// The hosts' links on this side (`NAME-v1`, ...). A namespace that is
    /// gone from `ip netns list` can still live on, and its link with it,
    /// while the kernel holds it (orphaned TCP connections, for minutes).
    pub links: Vec<String>,
}

impl Survey {
    /// Nothing of the testbed is on this machine.
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty()
            && self.pids.is_empty()
            && !self.bridge_exists
            && self.links.is_empty()
    }
}

/// Looks for what testbed `name` has on this machine.
pub fn survey(ip: &Utf8Path, name: &str) -> Survey {
    let prefix = format!("{name}-h");
    let listed =
        e3_exec::output_of(None, &Cmd::new(ip).args(["netns", "list"])).unwrap_or_default();
    let namespaces: Vec<String> = listed
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|ns| {
            ns.strip_prefix(&prefix)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_string)
        .collect();
    let mut pids = Vec::new();
    for ns in &namespaces {
        let out =
            e3_exec::output_of(None, &Cmd::new(ip).args(["netns", "pids", ns])).unwrap_or_default();
        pids.extend(out.split_whitespace().map(str::to_string));
    }
    let bridge_exists = Utf8Path::new("/sys/class/net")
        .join(format!("{name}-br"))
        .exists();
    let link_prefix = format!("{name}-v");
    let mut links: Vec<String> = std::fs::read_dir("/sys/class/net")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|l| {
            l.strip_prefix(&link_prefix)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    links.sort();
    Survey {
        namespaces,
        pids,
        bridge_exists,
        links,
    }
}

/// Removes everything `up` made, by running [`plan_down`]'s plan: processes
/// in the hosts' namespaces, the namespaces (and with them their links), the
/// bridge, the folder. Goes on past a step that fails, then judges by what
/// is left (a step may fail on what went by itself meanwhile: a process
/// that ended before its `kill`), and says what is still there and which
/// steps failed.
pub fn down(ip: &Utf8Path, name: &str, dir: &Utf8Path, plan: &Plan) -> Result<(), TestnetError> {
    let mut failed = Vec::new();
    for step in &plan.steps {
        // What a step says is kept for the verdict, not printed: a kill of
        // a process that ended meanwhile says so, and is no failure.
        if let Step::Run(cmd) = step
            && let Err(err) = e3_exec::output_of(None, cmd)
        {
            failed.push(err.message);
        }
    }
    let left = survey(ip, name);
    let mut there = Vec::new();
    if !left.namespaces.is_empty() {
        there.push(format!("namespaces {}", left.namespaces.join(" ")));
    }
    if !left.pids.is_empty() {
        there.push(format!("processes {}", left.pids.join(" ")));
    }
    if !left.links.is_empty() {
        there.push(format!("links {}", left.links.join(" ")));
    }
    if left.bridge_exists {
        there.push(format!("the bridge {name}-br"));
    }
    if dir.exists() {
        there.push(format!("the folder {dir}"));
    }
    if there.is_empty() {
        return Ok(());
    }
    there.extend(failed);
    Err(TestnetError::LeftBehind {
        name: name.to_string(),
        failed: there,
    })
}

/// What [`down`] runs for a testbed of which `survey` found what is left.
pub fn plan_down(ip: &Utf8Path, name: &str, survey: &Survey, dir: &Utf8Path) -> Plan {
    let mut plan = Plan::default();
    if !survey.pids.is_empty() {
        plan.push(Step::Run(Cmd::new("kill").arg("-KILL").args(&survey.pids)));
    }
    // A link goes with both its ends at once, even while the kernel still
    // holds its namespace.
    for link in &survey.links {
        plan.push(Step::Run(Cmd::new(ip).args(["link", "del", link])));
    }
    for ns in &survey.namespaces {
        plan.push(Step::Run(Cmd::new(ip).args(["netns", "del", ns])));
    }
    if survey.bridge_exists {
        plan.push(Step::Run(Cmd::new(ip).args([
            "link",
            "del",
            &format!("{name}-br"),
        ])));
    }
    plan.push(Step::Run(Cmd::new("rm").arg("-rf").arg(dir)));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `down` judges by what is left: a kill of a process that is already
    /// gone (the race that once failed a CI run) fails as a step, but
    /// nothing is left; a folder still there is named, with the failed
    /// step. The pid is above the kernel's largest pid_max (2^22): no
    /// process has it, so nothing is signalled.
    #[test]
    fn down_judges_by_what_is_left() {
        let Ok(ip) = which::which("ip") else {
            assert!(std::env::var_os("CI").is_none(), "CI has ip");
            eprintln!("skipped: no `ip` on PATH (CI installs iproute2)");
            return;
        };
        let ip = Utf8PathBuf::from_path_buf(ip).unwrap();
        let dir = Utf8PathBuf::from_path_buf(std::env::temp_dir())
            .unwrap()
            .join(format!("e3-down-judged-{}", std::process::id()));
        let name = format!("e3u{}", std::process::id() % 100_000);
        let mut plan = Plan::default();
        plan.push(Step::Run(Cmd::new("kill").arg("-KILL").arg("4194305")));
        down(&ip, &name, &dir, &plan).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let err = down(&ip, &name, &dir, &plan).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        let text = err.to_string();
        assert!(text.contains(&format!("the folder {dir}")), "{text}");
        assert!(text.contains("kill -KILL 4194305"), "{text}");
    }

    #[test]
    fn counters_from_proc_tables() {
        let dev = "Inter-|   Receive                                                |  Transmit\n \
face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0\n  \
eth0:  5000      50    0    2    0     0          0         0     6000      60    0    3    0     0       0          0\n";
        assert_eq!(
            dev_drops(dev),
            [("lo".to_string(), 0), ("eth0".to_string(), 5)]
        );
        let netstat = "TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPSynRetrans\n\
TcpExt: 0 7 9 4\nIpExt: InNoRoutes\nIpExt: 0\n";
        assert_eq!(
            tcp_ext(netstat),
            [
                ("TcpExtListenOverflows".to_string(), 7),
                ("TcpExtListenDrops".to_string(), 9),
                ("TcpExtTCPSynRetrans".to_string(), 4)
            ]
        );
        assert_eq!(tcp_ext("IpExt: a\nIpExt: 1\n"), []);
    }

    #[test]
    fn counters_that_grew_during_a_run() {
        let before = vec![
            ("t-br drops".to_string(), 1),
            ("t-h1 TcpExtTCPSynRetrans".to_string(), 0),
        ];
        let after = vec![
            ("t-br drops".to_string(), 1),
            ("t-h1 TcpExtTCPSynRetrans".to_string(), 3),
            ("t-h2 eth0 drops".to_string(), 2),
        ];
        assert_eq!(
            grown(&before, &after),
            [
                ("t-h1 TcpExtTCPSynRetrans".to_string(), 3),
                ("t-h2 eth0 drops".to_string(), 2)
            ]
        );
    }

    #[test]
    fn a_hosts_file_beside_testnet_json_is_a_testbeds() {
        let dir = Utf8PathBuf::from_path_buf(std::env::temp_dir())
            .unwrap()
            .join(format!("e3-testbed-of-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("hosts.pssh"), "root@t-h1\n").unwrap();
        assert_eq!(of_hosts_file(&dir.join("hosts.pssh")), None);
        std::fs::write(
            dir.join("testnet.json"),
            r#"{"name": "t", "subnet": "10.213.7", "hosts": 4}"#,
        )
        .unwrap();
        assert_eq!(
            of_hosts_file(&dir.join("hosts.pssh")),
            Some(("t".into(), 4))
        );
        assert_eq!(of_hosts_file(&dir.join("other.pssh")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tools() -> Tools {
        Tools {
            ip: "/usr/sbin/ip".into(),
            sshd: "/usr/sbin/sshd".into(),
            ssh_keygen: "/usr/bin/ssh-keygen".into(),
            unshare: "/usr/bin/unshare".into(),
        }
    }

    #[test]
    fn two_host_testbed() {
        let t = Testnet {
            name: "e3t".into(),
            subnet: [10, 213, 7],
            hosts: 2,
            dir: "/e3/.e3/testnet/e3t".into(),
        };
        insta::assert_snapshot!(plan_up(&t, &tools(), true).render());
    }

    #[test]
    fn down_plan() {
        let survey = Survey {
            namespaces: vec!["e3t-h1".to_string(), "e3t-h2".into()],
            pids: vec!["101".to_string(), "102".into()],
            bridge_exists: true,
            links: vec!["e3t-v1".to_string(), "e3t-v2".into()],
        };
        let plan = plan_down(
            "/usr/sbin/ip".into(),
            "e3t",
            &survey,
            "/e3/.e3/testnet/e3t".into(),
        );
        insta::assert_snapshot!(plan.render(), @r"
        kill -KILL 101 102
        /usr/sbin/ip link del e3t-v1
        /usr/sbin/ip link del e3t-v2
        /usr/sbin/ip netns del e3t-h1
        /usr/sbin/ip netns del e3t-h2
        /usr/sbin/ip link del e3t-br
        rm -rf /e3/.e3/testnet/e3t
        ");
    }

    const ADDRESSES: &str = "\
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever
7: e3t-br    inet 10.213.7.1/24 scope global e3t-br\\       valid_lft forever preferred_lft forever
9: e3c4-br    inet 10.214.4.1/24 scope global e3c4-br\\       valid_lft forever preferred_lft forever
12: tun0    inet 172.20.0.5/16 scope global tun0\\       valid_lft forever preferred_lft forever
";

    #[test]
    fn who_uses_a_subnet() {
        let user = |subnet| subnet_user(ADDRESSES, subnet);
        assert_eq!(
            user([10, 213, 7]),
            Some(("e3t-br".to_string(), "10.213.7.1/24".to_string()))
        );
        assert_eq!(user([10, 213, 8]), None);
        // Inside a larger network: its routes would be shadowed.
        assert_eq!(
            user([172, 20, 99]),
            Some(("tun0".to_string(), "172.20.0.5/16".to_string()))
        );
        assert_eq!(user([172, 21, 0]), None);
        assert_eq!(testbed_of_link("e3t-br").as_deref(), Some("e3t"));
        assert_eq!(testbed_of_link("e3t-v1"), None);
        assert_eq!(testbed_of_link("docker0"), None);
        assert_eq!(testbed_of_link("Bad-br"), None);
    }

    #[test]
    fn testbeds_found_by_namespace_bridge_and_address() {
        let namespaces = "e3t-h2 (id: 1)\ne3t-h1 (id: 0)\ne3c4-h1\nmy-own-ns\ne3x-hz\n";
        let links: Vec<String> = ["lo", "eth0", "e3t-br", "e3t-v1", "e3c4-br", "gone-br"]
            .map(String::from)
            .to_vec();
        let found = found_testbeds(namespaces, &links, ADDRESSES);
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "e3c4 (1 host on 10.214.4.0/24)",
                "e3t (2 hosts on 10.213.7.0/24)",
                "gone (0 hosts, no bridge)",
            ]
        );
        assert!(found_testbeds("", &[], "").is_empty());
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let in_use = TestnetError::SubnetInUse {
            subnet: [10, 213, 7],
            iface: "e3t-br".into(),
            address: "10.213.7.1/24".into(),
            testbed: Some("e3t".into()),
        };
        assert_eq!(
            in_use.to_string(),
            "subnet 10.213.7.0/24 is already in use by testbed `e3t` (its bridge e3t-br has 10.213.7.1/24)"
        );
        let in_use = TestnetError::SubnetInUse {
            subnet: [172, 20, 9],
            iface: "tun0".into(),
            address: "172.20.0.5/16".into(),
            testbed: None,
        };
        assert_eq!(
            in_use.to_string(),
            "subnet 172.20.9.0/24 is already in use: tun0 has 172.20.0.5/16"
        );
        let none = TestnetError::NoTestbed {
            name: "e3x".into(),
            existing: vec![],
        };
        assert_eq!(
            none.to_string(),
            "there is no testbed named `e3x` on this machine"
        );
        assert!(Survey::default().is_empty());
        assert!(
            !Survey {
                bridge_exists: true,
                ..Survey::default()
            }
            .is_empty()
        );
        // A host's link left while the kernel holds its namespace is still
        // the testbed's: its name is not free.
        assert!(
            !Survey {
                links: vec!["e3x-v1".into()],
                ..Survey::default()
            }
            .is_empty()
        );
    }

    #[test]
    fn names_and_subnets() {
        assert!(check_name("e3t").is_ok());
        assert!(check_name("toolongname").is_err());
        assert!(check_name("E3").is_err());
        assert!(check_name("3a").is_err());
        assert_eq!(parse_subnet("10.213.7").unwrap(), [10, 213, 7]);
        assert_eq!(parse_subnet("192.168.77").unwrap(), [192, 168, 77]);
        assert!(parse_subnet("8.8.8").is_err());
        assert!(parse_subnet("10.1").is_err());
        assert!(parse_subnet("10.1.300").is_err());
    }
}
