//! Runs on real hosts: each test makes its own testbed (`cargo xtask testnet
//! up`: network namespaces with their own hostname, /root and sshd, on a
//! private bridge) and takes it down afterwards, whatever happens.
//!
//! Needs root, sshd, rsync and iproute2. Outside CI a machine without them
//! skips these tests with a printed reason; in CI (CI=true) that is a failure.

mod common;

use std::io::BufReader;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use xshell::cmd;

/// Whether this machine can make testbeds; `false` (after saying why) when
/// it cannot and this is not CI.
fn can_make_testbeds() -> bool {
    let mut missing = Vec::new();
    if std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(1)
        != 0
    {
        missing.push("root".to_string());
    }
    for tool in [
        "/usr/sbin/sshd",
        "/usr/bin/rsync",
        "/usr/bin/ssh",
        "/usr/sbin/ip",
        "/usr/bin/unshare",
    ] {
        if !Path::new(tool).exists() {
            missing.push(tool.to_string());
        }
    }
    if missing.is_empty() {
        return true;
    }
    let reason = format!("multi-host tests need {}", missing.join(", "));
    assert!(
        std::env::var_os("CI").is_none(),
        "{reason}; .ci/run installs them"
    );
    eprintln!("skipped: {reason} (run as root with openssh-server and rsync installed)");
    false
}

/// A testbed for one test, taken down on drop (also when the test fails).
struct Testbed {
    name: String,
    dir: PathBuf,
    hosts: usize,
}

impl Testbed {
    /// A testbed for a test that runs both ways (`mode`: `--warm` or
    /// nothing): the warm one gets a name and subnet of its own, so both
    /// can run at once.
    fn up_for(mode: &[&str], name: &str, subnet: u8, hosts: usize) -> Testbed {
        match mode.contains(&"--warm") {
            true => Testbed::up(&format!("{name}w"), subnet + 50, hosts),
            false => Testbed::up(name, subnet, hosts),
        }
    }

    fn up(name: &str, subnet: u8, hosts: usize) -> Testbed {
        let dir = std::env::temp_dir().join(format!("e3-testbed-{name}-{}", std::process::id()));
        let dir_s = dir.to_string_lossy().into_owned();
        // A testbed left by an earlier, killed run of this test goes first.
        let _ = xtask(&["testnet", "down", "--name", name]).output();
        let out = xtask(&[
            "testnet",
            "up",
            &hosts.to_string(),
            "--name",
            name,
            "--subnet",
            &format!("10.213.{subnet}"),
            "--dir",
            &dir_s,
        ])
        .output()
        .unwrap();
        assert!(
            out.status.success(),
            "testnet up failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        Testbed {
            name: name.to_string(),
            dir,
            hosts,
        }
    }

    fn hosts_file(&self) -> String {
        self.dir.join("hosts.pssh").to_string_lossy().into_owned()
    }

    fn ssh_config(&self) -> String {
        self.dir.join("ssh_config").to_string_lossy().into_owned()
    }

    fn host(&self, i: usize) -> String {
        format!("{}-h{i}", self.name)
    }

    /// `run PROGRAM --hosts ... --ssh-config ... --remote-python ... EXTRA`
    fn run(&self, program: &str, extra: &[&str]) -> Command {
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
    fn pythons(&self) -> Vec<String> {
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

    fn assert_no_pythons(&self) {
        assert_none_left("python processes on the hosts", || self.pythons());
    }

    /// Where host `i`'s private /root lives on this machine.
    fn home(&self, i: usize) -> PathBuf {
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
        if !out.status.success() && !std::thread::panicking() {
            panic!("testnet down failed: {}", text(&out.stderr));
        }
    }
}

#[test]
fn four_hosts_run_secretsanta() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up("e3ra", 101, 4);
    let out = bed
        .run("secretsanta", &["--parties", "4", "--json", "--", "4"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = summary_of(&out);
    assert_eq!(summary["mode"], "ssh");
    assert_parties_agree(&summary);
    for i in 0..4 {
        let party = &summary["parties"][i];
        let host = bed.host(i + 1);
        assert_eq!(party["status"], "ok", "{party:#}");
        assert!(party["bytes_sent"].as_u64().unwrap() > 0);
        // Each party ran on its own host: the host's own name for itself.
        assert_eq!(party["ran_on"], host.as_str());
        assert_eq!(party["ssh"], format!("root@{host}"));
        let log = log_of(&summary, i);
        assert!(
            log.contains(&format!("# e3: party {i} runs on {host} as pid ")),
            "{log}"
        );
        // The program's folder was synced to the host's own home.
        assert!(
            bed.home(i + 1).join("e3/secretsanta.py").is_file(),
            "not synced to {host}"
        );
        assert!(!bed.home(i + 1).join("e3/__pycache__").exists());
    }
    bed.assert_no_pythons();
}

both_ways!(
    two_hosts_three_parties_each,
    a_party_killed_mid_run_stops_every_host,
    a_timeout_stops_the_parties_on_their_hosts,
);

fn two_hosts_three_parties_each(mode: &[&str]) {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up_for(mode, "e3rb", 102, 2);
    let out = bed
        .run(
            "helloworld",
            &[&["--parties-per-host", "3", "--json"], mode].concat(),
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = summary_of(&out);
    let parties = summary["parties"].as_array().unwrap();
    assert_eq!(parties.len(), 6);
    for (i, party) in parties.iter().enumerate() {
        let host = bed.host(i / 3 + 1);
        assert_eq!(party["ran_on"], host.as_str(), "{party:#}");
        assert_eq!(party["address"], format!("{host}:{}", 11599 + i % 3));
        let log = log_of(&summary, i);
        assert!(
            log.contains("Sum of all party indices: 15 (expected 15)"),
            "{log}"
        );
        // Warm: the party ran through its host's warm start, copied there.
        let warm = mode.contains(&"--warm");
        assert_eq!(
            log.contains("warm.py --launch /tmp/e3-warm-"),
            warm,
            "{log}"
        );
        assert_eq!(bed.home(i / 3 + 1).join(".e3/warm.py").is_file(), warm);
    }
    // Three parties per host shared one master connection: one login each.
    for i in 1..=2 {
        let log = std::fs::read_to_string(bed.dir.join("hosts").join(bed.host(i)).join("sshd.log"))
            .unwrap();
        assert_eq!(log.matches("Accepted publickey").count(), 1, "{log}");
    }
    bed.assert_no_pythons();
}

/// The original workflow: every host runs the same command and finds its own
/// party index by its hostname.
#[test]
fn prun_on_every_host_at_once() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up("e3rc", 103, 3);
    let (hosts, config) = (bed.hosts_file(), bed.ssh_config());
    let out = xtask(&["sync", "--hosts", &hosts, "--ssh-config", &config])
        .output()
        .unwrap();
    assert!(out.status.success(), "sync failed: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("e3: synced to 3 hosts"),
        "{}",
        text(&out.stdout)
    );
    // The host-side binary, built as the images will carry it.
    let sh = shell();
    let cargo = env!("CARGO");
    cmd!(sh, "{cargo} build --quiet -p prun").run().unwrap();
    let prun = Path::new(env!("CARGO_BIN_EXE_xtask")).with_file_name("prun");
    let command = format!(
        "cd e3 && {} --hosts {hosts} -- {} helloworld.py",
        prun.display(),
        python_env()
    );
    let children: Vec<_> = (1..=3)
        .map(|i| {
            let host = bed.host(i);
            Command::from(cmd!(sh, "ssh -F {config} {host} {command}"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        let stdout = text(&out.stdout);
        assert!(
            out.status.success(),
            "host {}: {}{}",
            i + 1,
            stdout,
            text(&out.stderr)
        );
        // Each found its entry by its own hostname.
        assert!(
            text(&out.stderr).contains(&format!(
                "prun: party {i} of 3 on root@{} (found by its hostname)",
                bed.host(i + 1)
            )),
            "{}",
            text(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("Hello world from party {i} of 3")),
            "{stdout}"
        );
        assert!(
            stdout.contains("Sum of all party indices: 3 (expected 3)"),
            "{stdout}"
        );
    }
    bed.assert_no_pythons();
}

#[test]
fn a_host_without_sshd_fails_before_any_party_starts() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up("e3rd", 104, 3);
    let pid =
        std::fs::read_to_string(bed.dir.join("hosts").join(bed.host(2)).join("sshd.pid")).unwrap();
    let (sh, pid) = (shell(), pid.trim());
    cmd!(sh, "kill {pid}").run().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // Building the command may make the shared Python env first (on a fresh
    // clone, while other tests wait for it): not part of what is timed.
    let mut run = bed.run("helloworld", &[]);
    let start = Instant::now();
    let out = run.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "took {:?}",
        start.elapsed()
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("failed on 1 of 3 hosts: root@{}", bed.host(2))),
        "{stderr}"
    );
    assert!(
        !text(&out.stdout).contains("starting"),
        "no party may start: {}",
        text(&out.stdout)
    );
    bed.assert_no_pythons();
}

fn a_party_killed_mid_run_stops_every_host(mode: &[&str]) {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up_for(mode, "e3re", 105, 4);
    let program = program("sleeper.py");
    let mut child = bed
        .run(&program, &[&["--timeout", "60"], mode].concat())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    read_until(&mut stdout, "all 4 parties connected");
    // Kill party 1's python on its host, as a crash would.
    let pythons = bed.pythons();
    let victim = pythons
        .iter()
        .find(|p| p.starts_with(&format!("{}: ", bed.host(2))))
        .expect("a python on host 2");
    let pid = victim.split_whitespace().nth(1).unwrap();
    let sh = shell();
    cmd!(sh, "kill -KILL {pid}").run().unwrap();
    let start = Instant::now();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "stopping took {:?}",
        start.elapsed()
    );
    assert!(
        stderr.contains(&format!("party 1 on root@{}", bed.host(2))),
        "{stderr}"
    );
    bed.assert_no_pythons();
}

fn a_timeout_stops_the_parties_on_their_hosts(mode: &[&str]) {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up_for(mode, "e3rf", 106, 2);
    let program = program("sleeper.py");
    // --no-sync copies nothing, so the program is not there and every party fails.
    let out = bed
        .run(&program, &[&["--timeout", "4", "--no-sync"], mode].concat())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!bed.home(1).join("e3").exists());
    let out = bed
        .run(&program, &[&["--timeout", "4"], mode].concat())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("the run was stopped: timed out after 4s"),
        "{}",
        text(&out.stderr)
    );
    bed.assert_no_pythons();
}

/// netprobe on the testbed (small, real round trips over its bridge)
/// writes a profile that `run --net` replays locally.
#[test]
fn netprobe_writes_a_profile_that_run_net_replays() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up("e3rg", 107, 3);
    let scratch = Scratch::new("netprobe");
    let out_file = scratch.path("testbed.toml");
    let (hosts, config, python) = (bed.hosts_file(), bed.ssh_config(), python_env());
    let out = xtask(&[
        "netprobe",
        "--hosts",
        &hosts,
        "--ssh-config",
        &config,
        "--remote-python",
        &python,
        "--out",
        &out_file,
        "--pings",
        "10",
        "--bulk-mb",
        "2",
    ])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let profile = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        profile.contains("source = \"measured by netprobe, "),
        "{profile}"
    );
    for i in 1..=3 {
        assert!(profile.contains(&bed.host(i)), "{profile}");
    }
    bed.assert_no_pythons();
    let replay = run(&[
        "run",
        "secretsanta",
        "--parties",
        "3",
        "--net",
        &out_file,
        "--json",
    ]);
    assert!(replay.status.success(), "{}", text(&replay.stderr));
    let summary = summary_of(&replay);
    assert!(
        summary["net"]["source"]
            .as_str()
            .unwrap()
            .starts_with("measured by netprobe"),
        "{summary:#}"
    );
}
