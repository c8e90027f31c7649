//! `cargo xtask testnet up N` / `down`: real hosts on this machine, for tests
//! and for rehearsing a multi-host run before paying for droplets.
//!
//! Each host is a network namespace on a private bridge with its own
//! address, its own hostname (UTS namespace), its own `/root` (mount
//! namespace, with `/root/.pyenv` kept visible), an `/etc/hosts` naming every
//! test host, and its own sshd. The testbed's folder holds the client key,
//! an ssh config and `hosts.pssh`. Every address is in one private /24 that
//! the bridge owns; nothing is routed anywhere else.

use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::{Cmd, Plan, Step, quote};
use serde_json::json;

use crate::cli::{TestnetAction, TestnetArgs};
use crate::error::{Result, failure, usage};
use crate::paths::{current_dir, relative_to};
use crate::tools;

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

    fn bridge(&self) -> String {
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

pub fn run(root: &Utf8Path, dry_run: bool, args: &TestnetArgs) -> Result<()> {
    match &args.action {
        TestnetAction::Up {
            hosts,
            name,
            subnet,
            dir,
        } => {
            let testnet = Testnet {
                name: check_name(name)?,
                subnet: parse_subnet(subnet)?,
                hosts: *hosts,
                dir: testnet_dir(root, name, dir.as_deref())?,
            };
            if !(1..=250).contains(hosts) {
                return Err(usage(format!("a testbed has 1 to 250 hosts, not {hosts}")));
            }
            up(root, dry_run, &testnet)
        }
        TestnetAction::Down { name, dir } => {
            let name = check_name(name)?;
            down(
                root,
                dry_run,
                &name,
                &testnet_dir(root, &name, dir.as_deref())?,
            )
        }
    }
}

fn testnet_dir(root: &Utf8Path, name: &str, dir: Option<&str>) -> Result<Utf8PathBuf> {
    Ok(match dir {
        Some(dir) => current_dir()?.join(dir),
        None => root.join(".e3/testnet").join(name),
    })
}

fn check_name(name: &str) -> Result<String> {
    let ok = (1..=8).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if ok {
        Ok(name.to_string())
    } else {
        Err(usage(format!(
            "testbed name `{name}`: use 1 to 8 of a-z and 0-9, starting with a letter"
        )))
    }
}

fn parse_subnet(text: &str) -> Result<[u8; 3]> {
    let bad = || {
        usage(format!(
            "--subnet `{text}`: give the first three octets of a private /24, like 10.213.7"
        ))
    };
    let parts: Vec<u8> = text
        .split('.')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_>>()?;
    let [a, b, c] = parts[..] else {
        return Err(bad());
    };
    let private = a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168);
    if !private {
        return Err(bad());
    }
    Ok([a, b, c])
}

fn require_root(what: &str) -> Result<()> {
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX);
    if uid == 0 {
        Ok(())
    } else {
        Err(usage(format!(
            "`testnet {what}` needs root: it creates network namespaces"
        ))
        .hint("run it with sudo"))
    }
}

fn find_tools() -> Result<Tools> {
    Ok(Tools {
        ip: tools::require(
            "ip",
            "install iproute2 (Debian/Ubuntu: `apt-get install iproute2`)",
        )?,
        sshd: tools::find("sshd")
            .or_else(|_| tools::find("/usr/sbin/sshd"))
            .map_err(|_| {
                usage("`sshd` was not found").hint(
                    "install OpenSSH's server (Debian/Ubuntu: `apt-get install openssh-server`)",
                )
            })?,
        ssh_keygen: tools::require(
            "ssh-keygen",
            "install OpenSSH (Debian/Ubuntu: `apt-get install openssh-client`)",
        )?,
        unshare: tools::require(
            "unshare",
            "install util-linux (Debian/Ubuntu: `apt-get install util-linux`)",
        )?,
    })
}

fn up(root: &Utf8Path, dry_run: bool, testnet: &Testnet) -> Result<()> {
    let tools = find_tools()?;
    let keep_pyenv = Utf8Path::new("/root/.pyenv").is_dir();
    let plan = plan_up(testnet, &tools, keep_pyenv);
    if dry_run {
        print!("{}", plan.render());
        return Ok(());
    }
    require_root("up")?;
    let [a, b, c] = testnet.subnet;
    let in_use = e3_exec::output_of(
        None,
        &Cmd::new(&tools.ip).args(["-o", "-4", "addr", "show"]),
    )?;
    if let Some(line) = in_use
        .lines()
        .find(|l| l.contains(&format!(" {a}.{b}.{c}.")))
    {
        let iface = line.split_whitespace().nth(1).unwrap_or("?");
        return Err(usage(format!(
            "subnet {a}.{b}.{c}.0/24 is already in use (on {iface})"
        ))
        .hint("choose another --subnet, or `cargo xtask testnet down` the testbed that has it"));
    }
    let namespaces = e3_exec::output_of(None, &Cmd::new(&tools.ip).args(["netns", "list"]))?;
    if namespaces
        .lines()
        .any(|l| l.split_whitespace().next() == Some(&testnet.host(1)))
    {
        return Err(
            usage(format!("a testbed named `{}` is already up", testnet.name)).hint(format!(
                "`cargo xtask testnet down --name {}` first, or choose another --name",
                testnet.name
            )),
        );
    }
    let made = e3_exec::run_plan(&plan, |_| {})
        .map_err(|err| {
            failure(format!(
                "making testbed `{}` failed: {}",
                testnet.name, err.message
            ))
        })
        .and_then(|()| wait_for_sshd(testnet));
    if let Err(err) = made {
        // Leave nothing half-made behind; the sshd log goes with it, so say what it said.
        let log = (1..=testnet.hosts)
            .filter_map(|i| std::fs::read_to_string(testnet.host_dir(i).join("sshd.log")).ok())
            .find(|log| !log.trim().is_empty());
        let _ = down(root, false, &testnet.name, &testnet.dir);
        return Err(match log {
            Some(log) => err.hint(format!("sshd said: {}", log.trim())),
            None => err,
        });
    }
    let rel = |p: Utf8PathBuf| relative_to(root, &p);
    println!(
        "testnet {}: {} hosts ({}-h1 .. {}) on {}.0/24, bridge {}",
        testnet.name,
        testnet.hosts,
        testnet.name,
        testnet.host(testnet.hosts),
        format_args!("{a}.{b}.{c}"),
        testnet.bridge()
    );
    println!("  hosts file: {}", rel(testnet.hosts_path()));
    println!("  ssh config: {}", rel(testnet.ssh_config_path()));
    println!(
        "try:  cargo xtask run secretsanta --hosts {} --ssh-config {} --remote-python {}",
        rel(testnet.hosts_path()),
        rel(testnet.ssh_config_path()),
        root.join(e3_run::python::VENV_DIR).join("bin/python")
    );
    println!("down: cargo xtask testnet down --name {}", testnet.name);
    Ok(())
}

fn wait_for_sshd(testnet: &Testnet) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    for i in 1..=testnet.hosts {
        let addr = SocketAddrV4::new(testnet.address(i), 22);
        while TcpStream::connect_timeout(&addr.into(), Duration::from_millis(200)).is_err() {
            if Instant::now() > deadline {
                return Err(failure(format!(
                    "sshd on {} ({addr}) did not start",
                    testnet.host(i)
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}

/// Everything `up` does, in order.
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
    plan.push(ip(&["link", "add", &bridge, "type", "bridge"]));
    plan.push(ip(&[
        "addr",
        "add",
        &format!("{a}.{b}.{c}.1/24"),
        "dev",
        &bridge,
    ]));
    plan.push(ip(&["link", "set", &bridge, "up"]));
    for i in 1..=t.hosts {
        let (host, veth, dir) = (t.host(i), t.veth(i), t.host_dir(i));
        plan.push(Step::Run(keygen(tools, &dir.join("ssh_host_ed25519_key"))));
        plan.push(Step::WriteFile {
            path: dir.join("sshd_config"),
            contents: sshd_config(t, i),
        });
        plan.push(ip(&["netns", "add", &host]));
        plan.push(ip(&[
            "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &host,
        ]));
        plan.push(ip(&["link", "set", &veth, "master", &bridge, "up"]));
        plan.push(ip(&[
            "-n",
            &host,
            "addr",
            "add",
            &format!("{}/24", t.address(i)),
            "dev",
            "eth0",
        ]));
        plan.push(ip(&["-n", &host, "link", "set", "eth0", "up"]));
        plan.push(ip(&["-n", &host, "link", "set", "lo", "up"]));
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

/// Removes everything `up` made: processes in the hosts' namespaces, the
/// namespaces (and with them their links), the bridge, the folder. Goes on
/// past what is already gone.
fn down(root: &Utf8Path, dry_run: bool, name: &str, dir: &Utf8Path) -> Result<()> {
    let ip = tools::require(
        "ip",
        "install iproute2 (Debian/Ubuntu: `apt-get install iproute2`)",
    )?;
    if !dry_run {
        require_root("down")?;
    }
    let prefix = format!("{name}-h");
    let listed =
        e3_exec::output_of(None, &Cmd::new(&ip).args(["netns", "list"])).unwrap_or_default();
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
        let out = e3_exec::output_of(None, &Cmd::new(&ip).args(["netns", "pids", ns]))
            .unwrap_or_default();
        pids.extend(out.split_whitespace().map(str::to_string));
    }
    let bridge_exists = Utf8Path::new("/sys/class/net")
        .join(format!("{name}-br"))
        .exists();
    let plan = plan_down(&ip, name, &namespaces, &pids, bridge_exists, dir);
    if dry_run {
        print!("{}", plan.render());
        return Ok(());
    }
    let mut failed = Vec::new();
    for step in &plan.steps {
        if let Step::Run(cmd) = step
            && let Err(err) = e3_exec::run(None, cmd)
        {
            failed.push(err.message);
        }
    }
    if failed.is_empty() {
        println!(
            "testnet {name}: down ({} namespaces, {} processes removed; {} deleted)",
            namespaces.len(),
            pids.len(),
            relative_to(root, dir)
        );
        Ok(())
    } else {
        Err(failure(format!(
            "taking testbed `{name}` down left things behind:\n  {}",
            failed.join("\n  ")
        )))
    }
}

pub fn plan_down(
    ip: &Utf8Path,
    name: &str,
    namespaces: &[String],
    pids: &[String],
    bridge_exists: bool,
    dir: &Utf8Path,
) -> Plan {
    let mut plan = Plan::default();
    if !pids.is_empty() {
        plan.push(Step::Run(Cmd::new("kill").arg("-KILL").args(pids)));
    }
    for ns in namespaces {
        plan.push(Step::Run(Cmd::new(ip).args(["netns", "del", ns])));
    }
    if bridge_exists {
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
        let pids = ["101".to_string(), "102".into()];
        let namespaces = ["e3t-h1".to_string(), "e3t-h2".into()];
        let plan = plan_down(
            "/usr/sbin/ip".into(),
            "e3t",
            &namespaces,
            &pids,
            true,
            "/e3/.e3/testnet/e3t".into(),
        );
        insta::assert_snapshot!(plan.render(), @r"
        kill -KILL 101 102
        /usr/sbin/ip netns del e3t-h1
        /usr/sbin/ip netns del e3t-h2
        /usr/sbin/ip link del e3t-br
        rm -rf /e3/.e3/testnet/e3t
        ");
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
