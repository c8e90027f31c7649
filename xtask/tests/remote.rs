//! Runs on real hosts: each test makes its own testbed (`cargo xtask testnet
//! up`: network namespaces with their own hostname, /root and sshd, on a
//! private bridge), on a name and subnet claimed for it alone, and takes it
//! down afterwards, whatever happens (common/testbed.rs).
//!
//! Needs root, sshd, rsync and iproute2. Outside CI a machine without them
//! skips these tests with a printed reason; in CI (CI=true) that is a failure.

mod common;

use std::io::BufReader;
use std::path::Path;
use std::process::{Command, Stdio};

use common::testbed::{Testbed, can_make_testbeds};
use common::*;
use serde_json::json;
use xshell::cmd;

#[test]
fn four_hosts_run_secretsanta() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(4);
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
    let bed = Testbed::up(2);
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

/// How many times each host's sshd let a client in.
fn logins(bed: &Testbed) -> Vec<usize> {
    (1..=bed.hosts)
        .map(|i| {
            std::fs::read_to_string(bed.dir.join("hosts").join(bed.host(i)).join("sshd.log"))
                .unwrap()
                .matches("Accepted publickey")
                .count()
        })
        .collect()
}

/// A run leaves each host's master connection open (600 s by default), so
/// the next run to the same hosts logs in nowhere; a run with
/// `--keep-connections 0` opens and closes its own; `testnet down` closes
/// the kept ones, their ssh processes gone when it returns.
#[test]
fn the_next_run_reuses_the_kept_connections_until_testnet_down() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(2);
    let connections = |extra: &[&str]| {
        let out = bed
            .run("helloworld", &[&["--json"], extra].concat())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        summary_of(&out)["ssh_connections"].clone()
    };
    assert_eq!(connections(&[]), json!({"opened": 2, "reused": 0}));
    assert_eq!(connections(&[]), json!({"opened": 0, "reused": 2}));
    assert_eq!(logins(&bed), [1, 1], "one login a host for two runs");
    // Said to people too.
    let out = bed.run("helloworld", &[]).output().unwrap();
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        said.contains(
            "e3: 2 of 2 hosts over ssh connections kept open by an earlier run (no key exchange)"
        ),
        "{said}"
    );
    // The kept folder is the one that says it is for this testbed's config.
    let config = format!("config {}\n", bed.ssh_config());
    let kept: Vec<_> = std::fs::read_dir(e3_ssh::kept::root().as_std_path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|d| {
            std::fs::read_to_string(d.join(e3_ssh::kept::FOR_FILE))
                .is_ok_and(|t| t.lines().any(|l| format!("{l}\n") == config))
        })
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let masters = processes_mentioning(&kept[0].to_string_lossy());
    assert_eq!(masters.len(), 2, "{masters:#?}");
    assert!(
        masters.iter().all(|m| m.contains("ControlPersist=600")),
        "{masters:#?}"
    );

    assert_eq!(
        connections(&["--keep-connections", "0"]),
        json!({"opened": 2, "reused": 0})
    );
    assert_eq!(logins(&bed), [2, 2], "a connection of its own");
    assert_eq!(
        processes_mentioning(&kept[0].to_string_lossy()),
        masters,
        "the kept ones untouched"
    );

    drop(bed);
    assert!(!kept[0].exists());
    assert_eq!(
        processes_mentioning(&kept[0].to_string_lossy()),
        Vec::<String>::new()
    );
}

/// `disconnect` leaves the connections a run is using (the run goes on to
/// its end), and closes them once it has ended; `--ssh-config` keeps it to
/// this testbed's, so other tests' kept connections are not touched.
#[test]
fn disconnect_leaves_the_connections_of_a_run_in_progress() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(2);
    let scratch = Scratch::new("disconnect");
    let config = bed.ssh_config();
    let disconnect = || {
        let out = xtask(&["disconnect", "--ssh-config", &config])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let out = bed.run("helloworld", &[]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));

    let release = scratch.path("release");
    let mut run = bed
        .run(&program("wait_for.py"), &["--", &release])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(run.stdout.take().unwrap());
    read_until(&mut stdout, "2 of 2 hosts over ssh connections kept open");
    let said = disconnect();
    assert!(
        said.contains("e3: left 2 connections open: a run is using them"),
        "{said}"
    );
    std::fs::write(&release, "").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(run.wait().unwrap().success(), "{rest}");
    assert!(rest.contains("2 of 2 parties ok"), "{rest}");
    assert_eq!(disconnect(), "e3: closed 2 ssh connections kept open\n");
    assert_eq!(disconnect(), "e3: no ssh connection was kept open\n");
}

/// The original workflow: every host runs the same command and finds its own
/// party index by its hostname.
#[test]
fn prun_on_every_host_at_once() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(3);
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
    let bed = Testbed::up(3);
    let pid =
        std::fs::read_to_string(bed.dir.join("hosts").join(bed.host(2)).join("sshd.pid")).unwrap();
    let (sh, pid) = (shell(), pid.trim());
    cmd!(sh, "kill {pid}").run().unwrap();
    // Gone, or a zombie until init reaps it: either way it listens no more.
    wait_until("host 2's sshd to end", || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|r| r.trim().starts_with('Z'))
        })
    });
    let out = bed.run("helloworld", &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
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
    let bed = Testbed::up(4);
    let program = program("sleeper.py");
    let mut child = bed
        .run(&program, mode)
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
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    // The run ends (the default timeout, 600 s, would say `stopped`), and
    // party 1 is the one failed party: the sleepers never end on their own,
    // so only party 1's end can have stopped the run.
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: the run failed: party 1 on root@{} (",
            bed.host(2)
        )),
        "{stderr}"
    );
    bed.assert_no_pythons();
}

/// Runs `sleeper.py` with `args` on a 3-host `bed`, takes the second
/// party's host off the network once all parties connected, and returns
/// that host, what e3 said on stderr and its stdout, after checking that
/// the run failed (exit 1). The host is back on the network after.
fn lose_the_second_host(bed: &Testbed, args: &[&str]) -> (String, String, String) {
    let mut child = bed
        .run(&program("sleeper.py"), args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = read_until(&mut stderr, "all 3 parties connected");
    let lost = bed.host(2);
    let sh = shell();
    cmd!(sh, "ip -n {lost} link set dev eth0 down")
        .run()
        .unwrap();
    // ssh gives up after 15 s of silence; nothing here bounds how long.
    std::io::Read::read_to_string(&mut stderr, &mut seen).unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let status = child.wait().unwrap();
    cmd!(sh, "ip -n {lost} link set dev eth0 up").run().unwrap();
    assert_eq!(status.code(), Some(1), "{seen}");
    (lost, seen, stdout)
}

/// A host that stops answering mid-run (its link taken down) is named as
/// lost, from what ssh's master connection said, not as ssh's exit code
/// 255; the other parties show the SIGTERM e3 stopped them with.
#[test]
fn a_host_that_stops_answering_is_named_lost() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(3);
    let (lost, seen, stdout) = lose_the_second_host(&bed, &["--json"]);
    let why = format!("lost the connection to root@{lost} (no answer for 15 s)");
    assert!(
        seen.contains(&format!("error: the run failed: party 1 {why}")),
        "{seen}"
    );
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let party = |i: usize| summary["parties"][i].clone();
    assert_eq!(party(1)["status"], "failed");
    assert_eq!(party(1)["lost"], why.as_str());
    assert_eq!(party(1)["exit_code"], serde_json::Value::Null);
    for i in [0, 2] {
        assert_eq!(party(i)["status"], "stopped", "{summary:#}");
        assert_eq!(party(i)["signal"], "SIGTERM", "{summary:#}");
    }
}

fn a_timeout_stops_the_parties_on_their_hosts(mode: &[&str]) {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(2);
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
    let bed = Testbed::up(3);
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

/// An experiment rehearsed on the testbed, as the README says to before
/// renting droplets: its hosts settings in the file (ssh config, the hosts'
/// Python, parties per host), swept over party counts and start modes, to
/// its report; the command line's flags go over the file's.
#[test]
fn an_experiment_on_the_testbed_runs_to_its_report() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(2);
    let scratch = Scratch::new("testbed-experiment");
    let (hosts, config, python) = (bed.hosts_file(), bed.ssh_config(), python_env());
    let file = scratch.path("rehearse.toml");
    let name = format!("rehearse-{}", bed.name);
    std::fs::write(
        &file,
        format!(
            "program = \"helloworld\"\nname = \"{name}\"\nparties = [2, 4]\nstart = [\"cold\", \"warm\"]\nrepeat = 1\ntimeout = 120\n\
             [hosts]\nfile = \"{hosts}\"\nssh_config = \"{config}\"\nremote_python = \"{python}\"\nparties_per_host = 2\n"
        ),
    )
    .unwrap();
    let out = xtask(&["experiment", &file]).output().unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("e3: 4 of 4 runs ok"), "{stdout}");
    let at = stdout.find("results in results/").unwrap();
    let dir = root().join(
        stdout[at + "results in ".len()..]
            .split('/')
            .take(2)
            .collect::<Vec<_>>()
            .join("/"),
    );
    assert!(dir.ends_with(&name) || dir.to_string_lossy().contains(&name));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(dir.join("runs.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let cells: Vec<String> = lines
        .iter()
        .map(|l| format!("{}/{}", l["cell"]["parties"], l["cell"]["start"]))
        .collect();
    assert_eq!(
        cells,
        ["2/\"cold\"", "2/\"warm\"", "4/\"cold\"", "4/\"warm\""]
    );
    // The first run opened the connections; the others reused them. (The
    // 2-party runs reach the first host only.)
    let connections: Vec<&serde_json::Value> =
        lines.iter().map(|l| &l["ssh_connections"]).collect();
    assert_eq!(
        connections,
        [
            &json!({"opened": 1, "reused": 0}),
            &json!({"opened": 0, "reused": 1}),
            &json!({"opened": 1, "reused": 1}),
            &json!({"opened": 0, "reused": 2}),
        ]
    );
    let mut asked = std::collections::BTreeMap::new();
    for line in &lines {
        assert_eq!(line["status"], "ok", "{line:#}");
        // Two parties a host: parties 2 and 3 ran on the second host.
        let summary: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                root()
                    .join(line["log_dir"].as_str().unwrap())
                    .join("summary.json"),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(summary["start"], line["cell"]["start"], "{summary:#}");
        for party in summary["parties"].as_array().unwrap() {
            let host = bed.host(party["index"].as_u64().unwrap() as usize / 2 + 1);
            assert_eq!(party["ran_on"], host.as_str(), "{party:#}");
        }
        // Each host's Python, asked on the host itself, once: later runs
        // find it unchanged by its stamp and keep when it was asked.
        let versions = &summary["environment"]["parties"];
        assert_eq!(versions[0]["versions"]["mpyc"], "0.11", "{summary:#}");
        for place in versions.as_array().unwrap() {
            let at = place["asked_at"].as_str().expect("asked_at").to_string();
            let host = place["where"].as_str().unwrap().to_string();
            let first = asked.entry(host).or_insert_with(|| at.clone());
            assert_eq!(*first, at, "{summary:#}");
        }
    }
    assert_eq!(asked.len(), 2, "{asked:?}");
    let env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("environment.json")).unwrap())
            .unwrap();
    assert_eq!(env["hosts"].as_array().unwrap().len(), 1, "{env:#}");
    // The report, and the per-run CSV.
    let out = xtask(&["report", dir.to_str().unwrap(), "--csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(report.contains("4 of 4 runs ok"), "{report}");
    assert!(dir.join("runs.csv").is_file());
    bed.assert_no_pythons();
    let _ = std::fs::remove_dir_all(&dir);

    // The command line over the file: another ssh config ...
    let other = scratch.path("other_config");
    std::fs::copy(&config, &other).unwrap();
    let out = xtask(&["--dry-run", "experiment", &file, "--ssh-config", &other])
        .output()
        .unwrap();
    let plan = text(&out.stdout);
    assert!(out.status.success(), "{plan}{}", text(&out.stderr));
    assert!(plan.contains(&format!("-F {other}")), "{plan}");
    assert!(!plan.contains(&format!("-F {config}")), "{plan}");
    // ... and one party a host: four parties no longer fit on two hosts.
    let out = xtask(&["experiment", &file, "--parties-per-host", "1"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("rehearse.toml:3: `parties`: in cell parties=4 start=cold"),
        "{stderr}"
    );
}

/// Host keys follow the hosts: a host whose SSH key changes (as a droplet
/// that deploy replaced does) is refused, with a message naming it, as long
/// as its old key is known; once e3 forgets it (what deploy does for every
/// droplet an applied plan replaced), it is reached again. Host key
/// checking is never switched off.
#[test]
fn a_host_whose_key_changed_is_refused_until_e3_forgets_it() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(1);
    let scratch = Scratch::new("known-hosts");
    let known = scratch.path("known_hosts");
    // Each run connects anew, as a run to a replaced droplet does: the
    // droplet's old connection went with it (here the old sshd session
    // would live on, and a kept connection would bypass the new key).
    let run = || {
        bed.run(
            "helloworld",
            &["--known-hosts", &known, "--keep-connections", "0"],
        )
        .output()
        .unwrap()
    };
    let out = run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let learnt = std::fs::read_to_string(&known).unwrap();
    let address = format!("{}.{}.{}.2", bed.subnet[0], bed.subnet[1], bed.subnet[2]);
    assert!(
        learnt.starts_with(&format!("{address} ssh-ed25519 ")),
        "{learnt}"
    );

    // The host "is replaced": a new host key, the same name and address.
    let key = bed
        .dir
        .join("hosts")
        .join(bed.host(1))
        .join("ssh_host_ed25519_key");
    std::fs::remove_file(&key).unwrap();
    std::fs::remove_file(key.with_extension("pub")).unwrap();
    let sh = shell();
    cmd!(sh, "ssh-keygen -q -t ed25519 -N '' -C replaced -f {key}")
        .quiet()
        .run()
        .unwrap();
    let out = run();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "hint: the SSH host key of `{address}` is not the one known"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("Host key verification failed"), "{stderr}");

    // Forgotten as deploy forgets a replaced droplet: reached again, and
    // the new key learnt.
    let (kept, forgotten) = e3_ssh::known_hosts::forget(&learnt, &[address.as_str()]);
    assert_eq!(forgotten, std::slice::from_ref(&address));
    std::fs::write(&known, kept).unwrap();
    let out = run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let relearnt = std::fs::read_to_string(&known).unwrap();
    assert!(relearnt.starts_with(&format!("{address} ssh-ed25519 ")));
    assert_ne!(relearnt, learnt, "the new key, not the old one");
    bed.assert_no_pythons();
}

/// `--tls` on hosts, two parties a host, cold and warm: each host gets only
/// its own parties' keys (and the CA's certificate), MPyC says its parties
/// connected via SSL, and the keys are gone from every host after the run;
/// the program's folder on the hosts is as it was.
#[test]
fn tls_on_the_testbed_with_two_parties_a_host() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(2);
    for mode in ["--cold", "--warm"] {
        let out = bed
            .run(
                "secretsanta",
                &[
                    "--parties-per-host",
                    "2",
                    "--tls",
                    mode,
                    "--json",
                    "--",
                    "4",
                ],
            )
            .output()
            .unwrap();
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        let summary = summary_of(&out);
        assert_eq!(summary["tls"], true);
        let mut remote_base = None;
        for i in 0..4 {
            let log = log_of(&summary, i);
            assert!(log.contains("All 4 parties connected via SSL."), "{log}");
            // The party's working folder on its host, from its command.
            let at = log.find("/tmp/e3-tls-").expect("the party's TLS folder");
            // `/tmp/e3-tls-` and a 16-digit hex tag.
            remote_base = Some(log[at..at + "/tmp/e3-tls-".len() + 16].to_string());
        }
        // Gone from the hosts (their /tmp is this machine's).
        let base = remote_base.unwrap();
        assert!(base.starts_with("/tmp/e3-tls-"), "{base}");
        assert!(
            !std::path::Path::new(&base).exists(),
            "{mode}: {base} left on the hosts"
        );
        for h in 1..=2 {
            let mut names: Vec<String> = std::fs::read_dir(bed.home(h).join("e3"))
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            assert!(!names.iter().any(|n| n == ".config"), "{names:?}");
        }
    }
    bed.assert_no_pythons();
}

/// TLS keys go from the hosts however a run ends: a party that fails, a
/// timeout; and a host that stops answering is named in the summary as
/// one the keys could not be removed from.
#[test]
fn tls_keys_leave_the_hosts_however_the_run_ends() {
    if !can_make_testbeds() {
        return;
    }
    let bed = Testbed::up(3);
    // The party's TLS folder on its host, from the command in its log.
    let remote_base = |summary: &serde_json::Value| {
        let log = log_of(summary, 0);
        let at = log.find("/tmp/e3-tls-").expect("the party's TLS folder");
        log[at..at + "/tmp/e3-tls-".len() + 16].to_string()
    };
    // A party that fails.
    let out = bed
        .run(&program("fail_in_party1.py"), &["--tls", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let summary = summary_of(&out);
    let base = remote_base(&summary);
    assert!(
        !std::path::Path::new(&base).exists(),
        "{base} left after a failure"
    );
    // A timeout.
    let out = bed
        .run(
            &program("sleeper.py"),
            &["--tls", "--timeout", "5", "--json"],
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let summary = summary_of(&out);
    let base = remote_base(&summary);
    assert!(
        !std::path::Path::new(&base).exists(),
        "{base} left after a timeout"
    );
    assert!(summary.get("tls_keys_left_on").is_none(), "{summary:#}");
    // Interrupted (Ctrl-C) once every party is up.
    let mut child = bed
        .run(&program("sleeper.py"), &["--tls", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    read_until(&mut stderr, "all 3 parties connected");
    // SAFETY: signalling the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(!child.wait().unwrap().success());
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let base = remote_base(&summary);
    assert!(
        !std::path::Path::new(&base).exists(),
        "{base} left after Ctrl-C"
    );
    // A host that stops answering: named as one that keeps the keys.
    let (lost, seen, stdout) = lose_the_second_host(&bed, &["--tls", "--json"]);
    assert!(
        seen.contains(&format!(
            "warning: the run's TLS keys could not be removed from root@{lost} (no answer at the end): remove /tmp/e3-tls-"
        )),
        "{seen}"
    );
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        summary["tls_keys_left_on"],
        serde_json::json!([format!("root@{lost}")]),
        "{summary:#}"
    );
    bed.assert_no_pythons();
}
