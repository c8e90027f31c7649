//! Testbeds for tests (`cargo xtask testnet up`: network namespaces with
//! their own hostname, /root and sshd, on a private bridge). Each is made
//! on a name and subnet claimed for it alone (`e3_testnet::claim`: testbeds
//! `e3c0`..`e3c254` on 10.214.0-254.0/24, held by an flock in
//! /run/e3-testnet), so tests in other binaries, another clone's suite and
//! a person's own testbeds are never taken, nor taken down. A test takes
//! down only the testbed it made, when its `Testbed` is dropped (also when
//! the test fails); one left by a test process that died is removed by the
//! next test that claims its slot.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use camino::Utf8PathBuf;
use e3_testnet::claim::{Claim, Pool, REGISTRY};
use xshell::cmd;

use super::*;

/// `ip`, as [`can_make_testbeds`] requires it.
const IP: &str = "/usr/sbin/ip";

/// Whether this machine can make testbeds; `false` (after saying why) when
/// it cannot and this is not CI. In CI (CI=true) it cannot be skipped.
pub fn can_make_testbeds() -> bool {
    root_with(
        "testbeds",
        &[
            "/usr/sbin/sshd",
            "/usr/bin/rsync",
            "/usr/bin/ssh",
            IP,
            "/usr/bin/unshare",
        ],
    )
}

/// Whether this process is root and `tools` are there, for `what`; `false`
/// (after saying why) when not and this is not CI, where it is a failure.
pub fn root_with(what: &str, tools: &[&str]) -> bool {
    let mut missing = Vec::new();
    if std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(1)
        != 0
    {
        missing.push("root".to_string());
    }
    for tool in tools {
        if !Path::new(tool).exists() {
            missing.push(tool.to_string());
        }
    }
    if missing.is_empty() {
        return true;
    }
    let reason = format!("{what} need {}", missing.join(", "));
    assert!(
        std::env::var_os("CI").is_none(),
        "{reason}; .ci/run installs them"
    );
    eprintln!("skipped: {reason} (run as root with openssh-server and rsync installed)");
    false
}

/// A testbed name, subnet and folder for this test alone, until released
/// (or until this process dies).
pub fn claim() -> Claim {
    claim_from("e3c", [10, 214])
}

/// A claim from the pool `{prefix}0..254` on `{subnet}.0-254.0/24`, for
/// tests that name their namespaces `{name}-h1`, ... their own way.
pub fn claim_from(prefix: &str, subnet: [u8; 2]) -> Claim {
    let dirs = Utf8PathBuf::from_path_buf(std::env::temp_dir()).expect("a UTF-8 temp folder");
    let pool = Pool {
        prefix,
        subnet,
        slots: 0..=254,
        dirs: &dirs,
    };
    let claimed = e3_testnet::claim::claim(IP.into(), REGISTRY.into(), &pool)
        .unwrap_or_else(|err| panic!("no testbed could be claimed: {err}"));
    for name in &claimed.removed {
        eprintln!("removed testbed {name}, left by a test process that died");
    }
    for why in &claimed.left {
        eprintln!("could not remove a testbed left by a test process that died: {why}");
    }
    claimed.claim
}

/// `A.B.C`, as `--subnet` takes it.
pub fn subnet_flag([a, b, c]: [u8; 3]) -> String {
    format!("{a}.{b}.{c}")
}

/// A testbed of this test's own, taken down (and its claim released) when
/// dropped.
pub struct Testbed {
    pub name: String,
    pub subnet: [u8; 3],
    pub dir: PathBuf,
    pub hosts: usize,
    claim: Option<Claim>,
}

impl Testbed {
    /// Makes a testbed of `hosts` hosts on a claim of its own.
    pub fn up(hosts: usize) -> Testbed {
        let claim = claim();
        let out = xtask(&[
            "testnet",
            "up",
            &hosts.to_string(),
            "--name",
            &claim.name,
            "--subnet",
            &subnet_flag(claim.subnet),
            "--dir",
            claim.dir.as_str(),
        ])
        .output()
        .unwrap();
        // Made now, so that a failed `up` is cleaned up as well.
        let bed = Testbed {
            name: claim.name.clone(),
            subnet: claim.subnet,
            dir: claim.dir.clone().into_std_path_buf(),
            hosts,
            claim: Some(claim),
        };
        assert!(
            out.status.success(),
            "testnet up failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        bed
    }

    pub fn hosts_file(&self) -> String {
        self.dir.join("hosts.pssh").to_string_lossy().into_owned()
    }

    pub fn ssh_config(&self) -> String {
        self.dir.join("ssh_config").to_string_lossy().into_owned()
    }

    pub fn host(&self, i: usize) -> String {
        format!("{}-h{i}", self.name)
    }

    /// `run PROGRAM --hosts ... --ssh-config ... --remote-python ... EXTRA`
    pub fn run(&self, program: &str, extra: &[&str]) -> Command {
        let (hosts, config, python) = (self.hosts_file(), self.ssh_config(), python_env());
        let mut args = vec![
            "run",
            program,
            "--hosts",
            &hosts,
            "--ssh-config",
            &config,
            "--remote-python",
            &python,
        ];
        args.extend(extra);
        xtask(&args)
    }

    /// Command lines of the python processes on the testbed's hosts.
    pub fn pythons(&self) -> Vec<String> {
        let sh = shell();
        let mut found = Vec::new();
        for i in 1..=self.hosts {
            let host = self.host(i);
            let pids = cmd!(sh, "ip netns pids {host}").quiet().read().unwrap();
            for pid in pids.split_whitespace() {
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
                    .map(|b| text(&b).replace('\0', " "));
                if let Ok(cmdline) = cmdline
                    && cmdline.contains("python")
                {
                    found.push(format!("{}: {pid} {cmdline}", self.host(i)));
                }
            }
        }
        found
    }

    pub fn assert_no_pythons(&self) {
        assert_none_left("python processes on the hosts", || self.pythons());
    }

    /// Where host `i`'s private /root lives on this machine.
    pub fn home(&self, i: usize) -> PathBuf {
        self.dir.join("hosts").join(self.host(i)).join("root")
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        let out = xtask(&[
            "testnet",
            "down",
            "--name",
            &self.name,
            "--dir",
            &self.dir.to_string_lossy(),
        ])
        .output()
        .unwrap();
        let stderr = text(&out.stderr);
        // Nothing there (a failed `up` removes what it made) is down too.
        let nothing = out.status.code() == Some(2)
            && stderr.contains(&format!("there is no testbed named `{}`", self.name));
        if out.status.success() || nothing {
            if let Some(claim) = self.claim.take() {
                claim.release();
            }
        } else if !std::thread::panicking() {
            // The claim is kept: the next test to claim its slot tries again.
            panic!("testnet down failed: {stderr}");
        }
    }
}
