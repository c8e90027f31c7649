//! `run --net`: real parties through the relays. MPyC under `lan` and
//! under a two-region profile, which takes at least its round trip; a
//! ping-pong program (not MPyC) whose round trips are never shorter than
//! the profile's; bad profiles; and no relay left after a run, a failed
//! party or Ctrl-C. Only lower bounds on delays are checked: how close the
//! relays come to the profile is measured by `cargo xtask bench net`.

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

/// `args` run to its end as `token`'s (see [`owned_by`]).
fn run_owned(args: &[&str], token: &str) -> std::process::Output {
    owned_by(xtask(args), token).output().unwrap()
}

#[test]
fn mpyc_under_two_regions_takes_at_least_a_round_trip() {
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
    let token = unique("net-mpyc");
    let lan = run_owned(
        &[&base[..], &["--net", "lan", "--placement", "lan=3"]].concat(),
        &token,
    );
    assert!(lan.status.success(), "{}", text(&lan.stderr));
    let far = run_owned(&[&base[..], &["--net", &two]].concat(), &token);
    assert!(far.status.success(), "{}", text(&far.stderr));
    let (lan, far) = (summary_of(&lan), summary_of(&far));
    assert_parties_agree(&lan);
    assert_parties_agree(&far);
    // Every message between the regions waits 60 ms each way; the parties
    // exchange many, in turns: at least one round trip's worth, whatever
    // the machine's load (which can only add to it).
    assert!(
        mpyc_secs(&far) >= 0.120,
        "two regions 120 ms apart, yet MPyC took {} s",
        mpyc_secs(&far)
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
    assert_nothing_left(&token);
}

/// Nothing the runs marked with `token` started is left: not e3, no
/// party, no relay process. (The relays in e3's own process end with it;
/// a relay's socket could only outlive e3 in a process that inherited it.)
/// Ports are not probed: once a run has ended, another run, of another
/// test or another clone's suite, may take them at once.
fn assert_nothing_left(token: &str) {
    assert_none_left("processes of the run", || processes_owned_by(token));
}

/// The first local port of the run whose output `seen` holds (from
/// `e3: starting N parties of P on 127.0.0.1:FIRST-LAST; ...`).
fn first_port(seen: &str) -> u16 {
    let at = seen
        .find(" on 127.0.0.1:")
        .unwrap_or_else(|| panic!("no starting line in:\n{seen}"));
    seen[at + " on 127.0.0.1:".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

/// The round trip of every pair of parties, as the ping-pong program
/// measured it, is never shorter than the profile's: the relays hold each
/// chunk for the link's one-way delay in each direction, and a busy
/// machine can only add to that. (How close they come to it is measured
/// by `cargo xtask bench net`.)
#[test]
fn ping_pong_round_trips_are_at_least_the_profiles() {
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
            // The median, printed to the microsecond.
            let measured: f64 = words[2].parse().unwrap();
            let want = expected(region(a), region(b));
            assert!(
                measured >= want - 0.001,
                "parties {a} ({}) and {b} ({}): {measured} ms, shorter than the profile's {want} ms",
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
    let token = unique("net-failed");
    let out = run_owned(
        &[
            "run",
            &program("fail_in_party1.py"),
            "--parties",
            "3",
            "--net",
            &two,
            "--base-port",
            "24300",
        ],
        &token,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_nothing_left(&token);

    // Ctrl-C while the parties run through the relays.
    let token = unique("net-ctrl-c");
    let mut child = owned_by(
        xtask(&[
            "run",
            &program("sleeper.py"),
            "--parties",
            "3",
            "--net",
            &two,
            "--base-port",
            "24400",
        ]),
        &token,
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let seen = read_until(&mut stdout, "all 3 parties connected");
    // The relays are up while the run is: the first listens just past the
    // parties' ports, which the run holds (no one else can bind them).
    let relay = first_port(&seen) + 3;
    assert!(
        TcpListener::bind(("127.0.0.1", relay)).is_err(),
        "no relay listens on {relay}:\n{seen}"
    );
    // What the check below looks for is there to be found: e3 and its
    // three parties.
    let running = processes_owned_by(&token);
    assert!(running.len() >= 4, "{running:#?}");
    // SAFETY: kill(2) of our own child, as a terminal's Ctrl-C would.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert_nothing_left(&token);
}

/// With an open-file limit too low for every relay in e3's process (four
/// files a link), the relays run in a few processes of their own, and
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
    let token = unique("net-shards");
    let child = owned_by(cmd, &token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("more than e3's limit of 400: they run in 3 processes of their own"),
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
    assert_nothing_left(&token);
}
