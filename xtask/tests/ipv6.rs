//! IPv6 hosts for real: `run --hosts` on `[::1]` and `[::1]:2222`, two
//! sshds on the IPv6 loopback of a network namespace the test makes, each
//! with a /root of its own (two machines behind one address, as with port
//! forwarding). e3 itself runs in that namespace too, so ssh, rsync and
//! MPyC's traffic stays on its loopback and its ports collide with nobody.
//! And MPyC's own parser, asked what it makes of e3's `-P` values.
//!
//! Needs root, sshd, ssh, ssh-keygen, rsync, ip and unshare. Outside CI a
//! machine without them skips these tests with a printed reason; in CI
//! (CI=true) that is a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;
use xshell::cmd;

const TOOLS: [&str; 6] = [
    "/usr/sbin/sshd",
    "/usr/bin/ssh",
    "/usr/bin/ssh-keygen",
    "/usr/bin/rsync",
    "/usr/sbin/ip",
    "/usr/bin/unshare",
];

/// Whether this machine can make the namespace; `false` (after saying
/// why) when it cannot and this is not CI.
fn can_make_namespaces() -> bool {
    common::testbed::root_with("the IPv6 host tests", &TOOLS)
}

/// Kills every process in the namespace, then removes it.
fn remove_namespace(name: &str) {
    let sh = shell();
    let pids = cmd!(sh, "ip netns pids {name}")
        .quiet()
        .read()
        .unwrap_or_default();
    for pid in pids.split_whitespace() {
        let _ = cmd!(sh, "kill -KILL {pid}").quiet().ignore_status().run();
    }
    let _ = cmd!(sh, "ip netns del {name}")
        .quiet()
        .ignore_status()
        .run();
}

/// A network namespace with only its loopback, and in it one sshd per ssh
/// port on `::1`, each with a /root of its own; all gone on drop.
struct Loopback6 {
    name: String,
    dir: Scratch,
    ports: Vec<u16>,
    /// The namespace's name is `{claim}-h1`: a name no other test (of this
    /// binary, another, or another clone) uses, and one that the next
    /// claimer of the slot cleans up if this test dies.
    claim: Option<e3_testnet::claim::Claim>,
}

impl Loopback6 {
    fn up(ports: &[u16]) -> Loopback6 {
        let claim = common::testbed::claim_from("e3v", [10, 215]);
        let name = format!("{}-h1", claim.name);
        let dir = Scratch::new(&name);
        let bed = Loopback6 {
            name: name.clone(),
            dir,
            ports: ports.to_vec(),
            claim: Some(claim),
        };
        let sh = shell();
        let d = bed.dir.0.clone();
        let key = d.join("id_ed25519");
        cmd!(
            sh,
            "ssh-keygen -q -t ed25519 -N '' -C e3-ipv6-test -f {key}"
        )
        .quiet()
        .run()
        .unwrap();
        std::fs::copy(d.join("id_ed25519.pub"), d.join("authorized_keys")).unwrap();
        std::fs::write(
            d.join("ssh_config"),
            format!(
                "Host *\n  User root\n  IdentityFile {d}/id_ed25519\n  IdentitiesOnly yes\n  \
                 UserKnownHostsFile {d}/known_hosts\n  StrictHostKeyChecking accept-new\n  \
                 BatchMode yes\n  LogLevel ERROR\n",
                d = d.display()
            ),
        )
        .unwrap();
        cmd!(sh, "ip netns add {name}").quiet().run().unwrap();
        cmd!(sh, "ip -n {name} link set lo up")
            .quiet()
            .run()
            .unwrap();
        for &port in ports {
            let host = d.join(format!("sshd-{port}"));
            let home = host.join("root");
            std::fs::create_dir_all(home.join(".pyenv")).unwrap();
            let hostkey = host.join("ssh_host_ed25519_key");
            cmd!(sh, "ssh-keygen -q -t ed25519 -N '' -f {hostkey}")
                .quiet()
                .run()
                .unwrap();
            std::fs::write(
                host.join("sshd_config"),
                format!(
                    "ListenAddress ::1\nPort {port}\nHostKey {h}/ssh_host_ed25519_key\nPidFile {h}/sshd.pid\n\
                     AuthorizedKeysFile {d}/authorized_keys\nPermitRootLogin prohibit-password\n\
                     PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                     UsePAM no\nStrictModes no\nPrintMotd no\nPrintLastLog no\nX11Forwarding no\n\
                     Subsystem sftp internal-sftp\n",
                    h = host.display(),
                    d = d.display()
                ),
            )
            .unwrap();
            // Its own /root (with this machine's pyenv visible, where the
            // test's Python lives), then sshd, which daemonizes in it.
            let script = format!(
                "set -e; mount --bind /root/.pyenv {home}/.pyenv 2>/dev/null || true; \
                 mount --rbind {home} /root; exec /usr/sbin/sshd -f {h}/sshd_config -E {h}/sshd.log",
                home = home.display(),
                h = host.display()
            );
            cmd!(
                sh,
                "ip netns exec {name} unshare --mount --propagation private sh -c {script}"
            )
            .quiet()
            .run()
            .unwrap();
        }
        bed.wait_for_sshd();
        bed
    }

    /// Until every sshd answers ssh (10 s at most).
    fn wait_for_sshd(&self) {
        let config = self.path("ssh_config");
        let name = &self.name;
        let sh = shell();
        for port in &self.ports {
            let port = port.to_string();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                let ok = cmd!(
                    sh,
                    "ip netns exec {name} ssh -F {config} -o ConnectTimeout=2 -p {port} ::1 true"
                )
                .quiet()
                .ignore_status()
                .output()
                .unwrap()
                .status
                .success();
                if ok {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "sshd on [::1]:{port} did not answer: {}",
                    std::fs::read_to_string(self.dir.0.join(format!("sshd-{port}/sshd.log")))
                        .unwrap_or_default()
                );
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }

    fn path(&self, rel: &str) -> String {
        self.dir.path(rel)
    }

    /// The /root the sshd on `port` gives its sessions.
    fn home(&self, port: u16) -> PathBuf {
        self.dir.0.join(format!("sshd-{port}/root"))
    }

    /// `cargo xtask ARGS` inside the namespace, from the workspace root.
    fn xtask(&self, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name, env!("CARGO_BIN_EXE_xtask")])
            .args(args)
            .current_dir(root())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Command lines of the processes left in the namespace, sshds aside.
    fn left(&self) -> Vec<String> {
        let sh = shell();
        let name = &self.name;
        let pids = cmd!(sh, "ip netns pids {name}")
            .quiet()
            .read()
            .unwrap_or_default();
        pids.split_whitespace()
            .filter_map(|pid| {
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
                let cmdline = text(&cmdline).replace('\0', " ");
                (!cmdline.starts_with("sshd") && !cmdline.starts_with("/usr/sbin/sshd"))
                    .then(|| format!("{pid} {cmdline}"))
            })
            .collect()
    }
}

impl Drop for Loopback6 {
    fn drop(&mut self) {
        remove_namespace(&self.name);
        if let Some(claim) = self.claim.take() {
            claim.release();
        }
    }
}

both_ways!(parties_on_ipv6_loopback_hosts);

/// Three parties on `root@[::1]` (two) and `root@[::1]:2222` (one): ssh
/// reaches `::1` with `-p`, rsync copies to `[::1]:e3/`, MPyC gets `-P
/// ::1:PORT`, and the three parties, all at one address, listen on three
/// ports.
fn parties_on_ipv6_loopback_hosts(mode: &[&str]) {
    if !can_make_namespaces() {
        return;
    }
    let python = python_env();
    let bed = Loopback6::up(&[22, 2222]);
    std::fs::write(
        bed.dir.0.join("hosts.pssh"),
        "root@[::1]\nroot@[::1]:2222\n",
    )
    .unwrap();
    let (hosts, config) = (bed.path("hosts.pssh"), bed.path("ssh_config"));
    let mut args = vec![
        "run",
        "secretsanta",
        "--hosts",
        &hosts,
        "--ssh-config",
        &config,
        "--remote-python",
        &python,
        "--parties",
        "3",
        "--parties-per-host",
        "2",
        "--json",
        // Closed at the end, so that nothing is left in the namespace
        // (kept ones are the testbed test's).
        "--keep-connections",
        "0",
    ];
    args.extend(mode);
    args.extend(["--", "3"]);
    let out = bed.xtask(&args);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let summary = summary_of(&out);
    assert_parties_agree(&summary);
    let shown: Vec<(String, String)> = (0..3)
        .map(|i| {
            let party = &summary["parties"][i];
            assert_eq!(party["status"], "ok", "{party:#}");
            (
                party["ssh"].as_str().unwrap().to_string(),
                party["address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("root@[::1]".into(), "[::1]:11599".into()),
            ("root@[::1]".into(), "[::1]:11600".into()),
            ("root@[::1]:2222".into(), "[::1]:11601".into()),
        ]
    );
    for i in 0..3 {
        let log = log_of(&summary, i);
        assert!(
            log.contains(&format!("-I {i} -P ::1:11599 -P ::1:11600 -P ::1:11601")),
            "{log}"
        );
        assert!(log.contains("All 3 parties connected"), "{log}");
    }
    // Each sshd's own /root got the program.
    for port in [22, 2222] {
        assert!(
            bed.home(port).join("e3/secretsanta.py").exists(),
            "nothing synced to [::1]:{port}"
        );
    }
    assert_none_left("processes in the namespace", || bed.left());
}

/// MPyC 0.11's own parser on the `-P` values e3 writes: each host and port
/// as e3 meant them (it splits at the last `:`). In brackets, the host
/// keeps them, which no resolver takes: why e3 writes IPv6 bare.
#[test]
fn mpyc_reads_the_addresses_e3_writes() {
    if !Path::new("/usr/bin/python3").exists() && std::env::var_os("CI").is_none() {
        eprintln!("skipped: no python3");
        return;
    }
    let python = python_env();
    let hosts = [
        "::1",
        "fd7a:115c:a1e0::5",
        "pc.example",
        "pc.example",
        "10.0.0.1",
    ];
    let table = prun::party_table(
        &hosts.map(String::from),
        &prun::Layout {
            parties: 5,
            per_host: 1,
            base_port: 11599,
        },
    )
    .unwrap();
    let mut argv = prun::mpyc_args(&table, 0);
    argv.extend(["-P".to_string(), "[::1]:11604".to_string()]);
    argv.push("--no-log".into());
    let sh = shell();
    let script =
        "from mpyc.runtime import mpc; print(' '.join(f'{p.host}={p.port}' for p in mpc.parties))";
    let out = cmd!(sh, "{python} -c {script} {argv...}")
        .quiet()
        .read()
        .unwrap();
    assert_eq!(
        out,
        "::1=11599 fd7a:115c:a1e0::5=11599 pc.example=11599 pc.example=11600 10.0.0.1=11599 [::1]=11604"
    );
}
