//! `run --net`: real parties through the relays. MPyC under a two-region
//! profile against the same run under `lan`; a ping-pong program (not
//! MPyC) whose round trips must match the profile; bad profiles; and no
//! relay left after a run, a failed party or Ctrl-C.

mod common;

use std::io::BufReader;
use std::net::TcpListener;
use std::process::Stdio;

use common::*;
use serde_json::Value;

/// A profile file in a scratch folder.
fn profile(scratch: &Scratch, name: &str, text: &str) -> String {
    let path = scratch.path(&format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

const TWO_REGIONS: &str = r#"
source = "test: two regions 120 ms apart"
placement = { near = 2, far = 1 }
[rtt_ms]
intra = 2
"near-far" = 120
"#;

/// The slowest party's MPyC time.
fn mpyc_secs(summary: &Value) -> f64 {
    summary["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["mpyc_elapsed_secs"].as_f64().unwrap())
        .fold(0.0, f64::max)
}

#[test]
fn mpyc_under_two_regions_takes_at_least_a_round_trip_longer() {
    python_env();
    let scratch = Scratch::new("net-mpyc");
    let two = profile(&scratch, "two", TWO_REGIONS);
    let base = [
        "run",
        "secretsanta",
        "--parties",
        "3",
        "--json",
        "--base-port",
        "24100",
    ];
    let lan = run(&[&base[..], &["--net", "lan", "--placement", "lan=3"]].concat());
    assert!(lan.status.success(), "{}", text(&lan.stderr));
    let far = run(&[&base[..], &["--net", &two]].concat());
    assert!(far.status.success(), "{}", text(&far.stderr));
    let (lan, far) = (summary_of(&lan), summary_of(&far));
    assert_parties_agree(&far);
    assert!(
        mpyc_secs(&far) >= mpyc_secs(&lan) + 0.120,
        "two regions: {} s, lan: {} s",
        mpyc_secs(&far),
        mpyc_secs(&lan)
    );
    // The summary names the profile, its source and each party's region.
    assert_eq!(far["net"]["profile"], "two");
    assert_eq!(far["net"]["source"], "test: two regions 120 ms apart");
    assert_eq!(far["net"]["hash"].as_str().unwrap().len(), 64);
    let regions: Vec<&str> = far["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["near", "near", "far"]);
    assert_relays_gone(24103, 6);
}

/// The relays of a run whose parties start at `first_relay - parties`:
/// none listens once e3 has ended.
fn assert_relays_gone(first_relay: u16, count: u16) {
    // Bound by no one: nothing listens there (std's listeners reuse
    // addresses, so closed connections' TIME_WAIT does not stand in the way).
    for port in first_relay..first_relay + count {
        assert!(
            TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "a relay still listens on {port}"
        );
    }
}

/// The round trip of every pair of parties, as the ping-pong program
/// measured it, matches the profile: within 5 % or 1 ms, whichever is
/// larger.
#[test]
fn ping_pong_round_trips_match_the_profile() {
    python_env();
    let scratch = Scratch::new("net-ping");
    let three = profile(
        &scratch,
        "three",
        r#"
source = "test: three regions"
placement = { a = 2, b = 2, c = 2 }
[rtt_ms]
intra = 4
"a-b" = 40
"a-c" = 80
"b-c" = 60
"#,
    );
    let out = run(&[
        "run",
        &root().join("crates/e3-net/pingpong.py").to_string_lossy(),
        "--parties",
        "6",
        "--net",
        &three,
        "--base-port",
        "24200",
        "--json",
        "--",
        "--pings",
        "15",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = summary_of(&out);
    let region = |i: usize| ["a", "a", "b", "b", "c", "c"][i];
    let expected = |a: &str, b: &str| -> f64 {
        match (a, b) {
            _ if a == b => 4.0,
            ("a", "b") | ("b", "a") => 40.0,
            ("a", "c") | ("c", "a") => 80.0,
            _ => 60.0,
        }
    };
    let mut pairs = 0;
    for i in 0..6 {
        for line in log_of(&summary, i).lines() {
            let Some(rest) = line.strip_prefix("pingpong ") else {
                continue;
            };
            let words: Vec<&str> = rest.split_whitespace().collect();
            let (a, b): (usize, usize) = (words[0].parse().unwrap(), words[1].parse().unwrap());
            let measured: f64 = words[2].parse().unwrap();
            let want = expected(region(a), region(b));
            let tolerance = (want * 0.05).max(1.0);
            assert!(
                (measured - want).abs() <= tolerance,
                "parties {a} ({}) and {b} ({}): {measured} ms, the profile says {want} ms",
                region(a),
                region(b)
            );
            pairs += 1;
        }
    }
    assert_eq!(pairs, 15, "every pair measured once");
}

#[test]
fn bad_profiles_and_flags_exit_2_naming_the_key() {
    let scratch = Scratch::new("net-bad");
    let cases: Vec<(String, &str)> = vec![
        (
            profile(
                &scratch,
                "missing-pair",
                &TWO_REGIONS.replace("\"near-far\" = 120\n", ""),
            ),
            "`rtt_ms.\"near-far\"`: missing",
        ),
        (
            profile(&scratch, "negative", &TWO_REGIONS.replace("= 120", "= -5")),
            "`rtt_ms.\"near-far\"`: must be 0 or more",
        ),
        (
            profile(&scratch, "unknown", &format!("colour = 1\n{TWO_REGIONS}")),
            "`colour`: unknown key",
        ),
        (
            profile(
                &scratch,
                "badcap",
                &format!("{TWO_REGIONS}\n[bandwidth_mbit]\ndefault = 0\n"),
            ),
            "`bandwidth_mbit.default`: must be above 0",
        ),
        (
            profile(
                &scratch,
                "count",
                &TWO_REGIONS.replace("far = 1", "far = 2"),
            ),
            "`placement`: places 4 parties",
        ),
        (
            "no-such-profile".to_string(),
            "--net `no-such-profile`: cannot read net/no-such-profile.toml",
        ),
    ];
    for (net, expect) in &cases {
        let out = run(&["run", "secretsanta", "--parties", "3", "--net", net]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{net}: {stderr}");
        assert!(
            stderr.contains(expect),
            "{net}: expected {expect:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let two = profile(&scratch, "two", TWO_REGIONS);
    for (args, expect) in [
        (
            vec![
                "run",
                "secretsanta",
                "--parties",
                "3",
                "--net",
                &two,
                "--placement",
                "near=2,moon=1",
            ],
            "`rtt_ms.\"near-moon\"`: missing",
        ),
        (
            vec![
                "run",
                "secretsanta",
                "--parties",
                "3",
                "--net",
                &two,
                "--placement",
                "near",
            ],
            "`near` is not REGION=COUNT",
        ),
        (
            vec!["run", "secretsanta", "--placement", "near=3"],
            "--net <PROFILE>",
        ),
        (
            vec![
                "run",
                "secretsanta",
                "--hosts",
                "crates/prun/tests/fixtures/six-regions.pssh",
                "--net",
                "lan",
            ],
            "--net emulates the regions' network for local runs",
        ),
    ] {
        let out = run(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expect),
            "{args:?}: expected {expect:?} in {stderr}"
        );
    }
}

#[test]
fn no_relay_outlives_a_failed_party_or_ctrl_c() {
    python_env();
    let scratch = Scratch::new("net-stop");
    let two = profile(&scratch, "two", TWO_REGIONS);
    // A party fails: the run stops, and with it the relays.
    let out = run(&[
        "run",
        &program("fail_in_party1.py"),
        "--parties",
        "3",
        "--net",
        &two,
        "--base-port",
        "24300",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_relays_gone(24303, 6);

    // Ctrl-C while the parties run through the relays.
    let mut child = xtask(&[
        "run",
        &program("sleeper.py"),
        "--parties",
        "3",
        "--net",
        &two,
        "--base-port",
        "24400",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    read_until(&mut stdout, "all 3 parties connected");
    // The relays are up while the run is.
    assert!(TcpListener::bind(("127.0.0.1", 24403)).is_err());
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert_relays_gone(24403, 6);
}

/// With an open-file limit too low for every relay in e3's process (two
/// sockets a link), the relays run in a few processes of their own, and
/// none is left when the run ends.
#[test]
fn relays_split_over_processes_when_the_open_file_limit_is_low() {
    use std::os::unix::process::CommandExt;
    python_env();
    let scratch = Scratch::new("net-shards");
    let two = profile(&scratch, "two", TWO_REGIONS);
    let mut cmd = xtask(&[
        "run",
        "helloworld",
        "--parties",
        "12",
        "--net",
        &two,
        "--placement",
        "near=8,far=4",
        "--base-port",
        "24500",
        "--json",
    ]);
    // SAFETY: setrlimit only, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 400,
                rlim_max: 400,
            };
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            Ok(())
        });
    }
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("more than e3's limit of 400: they run in 2 processes of their own"),
        "{stderr}"
    );
    let summary = summary_of(&out);
    assert_eq!(summary["parties"].as_array().unwrap().len(), 12);
    // The shards were started with e3's pid in their routes file's name.
    let fragment = format!(".e3/relays/{pid}-");
    assert_none_left("relay shards", || {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .map(|c| text(&c).replace('\0', " "))
            .filter(|c| c.contains(&fragment))
            .collect()
    });
    assert_relays_gone(24512, 24);
}
