//! The host-side `prun` binary, really exec'd, with `echo` as the program.

use std::path::PathBuf;
use std::process::Output;

use xshell::{Shell, cmd};

/// A hosts file in the temp folder, removed when dropped.
struct HostsFile(PathBuf);

impl HostsFile {
    fn to_str(&self) -> Option<&str> {
        self.0.to_str()
    }
}

impl Drop for HostsFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn hosts_file(name: &str, contents: &str) -> HostsFile {
    // Tests run at once: every file gets its own name.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("e3-prun-{}-{n}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    HostsFile(path)
}

fn prun(args: &[&str]) -> Output {
    let sh = Shell::new().unwrap();
    let prun = env!("CARGO_BIN_EXE_prun");
    cmd!(sh, "{prun} {args...}")
        .ignore_status()
        .quiet()
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const HOSTS: &str = "\
# testbed
root@node-0.tail.ts.net
node-1

root@node-2.tail.ts.net   # blank lines and comments are fine anywhere
me@node-3.example.org
node-4
";

fn party_of(hostname: &str) -> Output {
    let file = hosts_file("hosts.pssh", HOSTS);
    prun(&[
        "--hosts",
        file.to_str().unwrap(),
        "--hostname",
        hostname,
        "--",
        "echo",
        "demo.py",
        "3",
    ])
}

const P_LIST: &str = "-P node-0.tail.ts.net:11599 -P node-1:11599 -P node-2.tail.ts.net:11599 -P node-3.example.org:11599 -P node-4:11599";

#[test]
fn start_middle_and_end_of_the_file() {
    for (hostname, index) in [("node-0", 0), ("node-2.tail.ts.net", 2), ("node-4", 4)] {
        let out = party_of(hostname);
        assert!(out.status.success(), "{hostname}: {}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            format!("demo.py 3 -I {index} {P_LIST}\n"),
            "{hostname}"
        );
        assert!(text(&out.stderr).contains(&format!("prun: party {index} of 5")));
    }
}

#[test]
fn a_user_at_host_domain_entry_matches_its_short_name() {
    let out = party_of("node-3");
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), format!("demo.py 3 -I 3 {P_LIST}\n"));
}

/// A machine that is not in the file says so and fails, never silently
/// (the other parties would wait for it forever).
#[test]
fn a_machine_not_in_the_file_is_an_error() {
    let out = party_of("laptop");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(": this machine (hostname `laptop`; no tailnet name; no addresses) matches none of the 5 entries (0: root@node-0.tail.ts.net, 1: node-1, 2: root@node-2.tail.ts.net, 3: me@node-3.example.org, 4: node-4)\n"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("prun: hint: say which party this machine is with --index I (its entry's place in the file, from 0)\n"),
        "{stderr}"
    );
}

/// A folder with a fake `tailscale` that prints `status` (or fails when
/// `None`), to put first on PATH.
struct FakeTailscale(PathBuf);

impl FakeTailscale {
    fn new(status: Option<&str>) -> FakeTailscale {
        use std::os::unix::fs::PermissionsExt;
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("e3-prun-ts-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = match status {
            Some(json) => format!(
                "#!/bin/sh\n[ \"$1 $2\" = \"status --json\" ] || exit 2\ncat <<'EOF'\n{json}\nEOF\n"
            ),
            None => "#!/bin/sh\necho 'failed to connect to local tailscaled' >&2\nexit 1\n".into(),
        };
        let path = dir.join("tailscale");
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        FakeTailscale(dir)
    }

    fn path(&self) -> String {
        format!(
            "{}:{}",
            self.0.display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }
}

impl Drop for FakeTailscale {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// prun as on a host, looking at this machine, with `path` as PATH.
fn prun_here(file: &HostsFile, path: &str) -> Output {
    let sh = Shell::new().unwrap();
    sh.set_var("PATH", path);
    let prun = env!("CARGO_BIN_EXE_prun");
    let hosts = file.to_str().unwrap();
    cmd!(sh, "{prun} --hosts {hosts} -- echo")
        .ignore_status()
        .quiet()
        .output()
        .unwrap()
}

/// Two Raspberry Pis both called `raspberrypi`: the tailnet named the
/// second `raspberrypi-1`, and prun asks Tailscale before the hostname.
#[test]
fn the_tailnet_name_tells_two_pis_apart() {
    let file = hosts_file(
        "pis.pssh",
        "root@raspberrypi.tail1234.ts.net\nroot@raspberrypi-1.tail1234.ts.net\n",
    );
    let fake = FakeTailscale::new(Some(
        r#"{"Version": "1.80.0", "Self": {"HostName": "raspberrypi", "DNSName": "raspberrypi-1.tail1234.ts.net.", "TailscaleIPs": ["100.64.0.2", "fd7a:115c:a1e0::2"]}}"#,
    ));
    let out = prun_here(&file, &fake.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "-I 1 -P raspberrypi.tail1234.ts.net:11599 -P raspberrypi-1.tail1234.ts.net:11599\n"
    );
    assert!(
        text(&out.stderr).contains(
            "prun: party 1 of 2 on root@raspberrypi-1.tail1234.ts.net (found by its tailnet name)"
        ),
        "{}",
        text(&out.stderr)
    );
    // Its tailnet addresses are its own too.
    let file = hosts_file("pi-ips.pssh", "100.64.0.1\n[fd7a:115c:a1e0::2]\n");
    let out = prun_here(&file, &fake.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "-I 1 -P 100.64.0.1:11599 -P fd7a:115c:a1e0::2:11599\n"
    );
}

/// The OS hostname in any case matches its entry (MagicDNS lowercases);
/// a tailscale that fails is no tailnet name.
#[test]
fn this_machines_hostname_matches_without_case() {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string();
    let entry = format!("{}.tail1234.ts.net", hostname.to_uppercase());
    let file = hosts_file("me.pssh", &format!("not-me-e3\n{entry}\n"));
    let fake = FakeTailscale::new(None);
    let out = prun_here(&file, &fake.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("-I 1 -P not-me-e3:11599 -P {entry}:11599\n")
    );
    assert!(text(&out.stderr).contains("(found by its hostname)"));
}

/// An entry that is one of this machine's addresses comes first; two of
/// them (two ssh ports of ::1) are an error naming both.
#[test]
fn this_machines_addresses_come_first() {
    let fake = FakeTailscale::new(None);
    let file = hosts_file("lo.pssh", "not-me-e3\n127.0.0.1\n");
    let out = prun_here(&file, &fake.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "-I 1 -P not-me-e3:11599 -P 127.0.0.1:11599\n"
    );
    assert!(text(&out.stderr).contains("(found by its address)"));

    let file = hosts_file("lo6.pssh", "127.0.0.1\n127.0.0.1:2222\n");
    let out = prun_here(&file, &fake.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(
            "this machine's address `127.0.0.1` matches 2 entries (0: 127.0.0.1, 1: 127.0.0.1:2222)"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn options_reach_the_argv() {
    let file = hosts_file("two.pssh", "a\nb\nc\n");
    let out = prun(&[
        "--hosts",
        file.to_str().unwrap(),
        "--index",
        "1",
        "--parties",
        "2",
        "--port",
        "20000",
        "--log-level",
        "debug",
        "--",
        "echo",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "--log-level debug -I 1 -P a:20000 -P b:20000\n"
    );
    let out = prun(&[
        "--hosts",
        file.to_str().unwrap(),
        "--hostname",
        "c",
        "--parties",
        "2",
        "--",
        "echo",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("is entry 2 of"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_inputs_exit_2_with_a_message() {
    let dup = hosts_file("dup.pssh", "a\nb\na\n");
    let twice = hosts_file("twice.pssh", "n.x.net\nn.y.net\n");
    let good = hosts_file("good.pssh", "a\nb\n");
    let (dup, twice, good) = (
        dup.to_str().unwrap(),
        twice.to_str().unwrap(),
        good.to_str().unwrap(),
    );
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--hosts", dup, "--", "echo"],
            format!("{dup}:3: `a` is the same host as `a` on line 1 (a:22)"),
        ),
        (
            vec!["--hosts", twice, "--hostname", "n", "--", "echo"],
            "this machine's short hostname `n` matches 2 entries (0: n.x.net, 1: n.y.net)".into(),
        ),
        (
            vec!["--hosts", "/no/such/file", "--", "echo"],
            "cannot read hosts file /no/such/file".into(),
        ),
        (
            vec!["--hosts", good, "--hostname", "a"],
            "no program given: put it after `--`".into(),
        ),
        (
            vec!["--hosts", good, "--index", "x", "--", "echo"],
            "--index takes a whole number, not `x`".into(),
        ),
        (
            vec!["--hosts", good, "--index", "5", "--", "echo"],
            "--index 5 is out of range: the run has 2 parties".into(),
        ),
        (
            vec!["--hosts", good, "--port", "0", "--", "echo"],
            "--port takes a port number, not `0`".into(),
        ),
        (
            vec![
                "--hosts",
                good,
                "--parties",
                "3",
                "--index",
                "0",
                "--",
                "echo",
            ],
            "3 parties need 3 hosts, but the host list has 2".into(),
        ),
        (
            vec![
                "--hosts",
                good,
                "--index",
                "0",
                "--hostname",
                "a",
                "--",
                "echo",
            ],
            "give --hostname or --index, not both".into(),
        ),
        (vec!["--bogus"], "unknown option `--bogus`".into()),
        (
            vec!["--hosts", good, "--index", "0", "--", "/no/such/program"],
            "cannot run `/no/such/program`".into(),
        ),
    ];
    for (args, expect) in cases {
        let out = prun(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&expect),
            "{args:?}: expected {expect:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"));
    }
}

#[test]
fn help_says_what_prun_does_and_every_flag() {
    let out = prun(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), "");
    insta::assert_snapshot!(text(&out.stdout));
}

#[test]
fn dash_h_prints_the_same_help() {
    let out = prun(&["-h"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), text(&prun(&["--help"]).stdout));
}

#[test]
fn after_the_double_dash_everything_is_the_programs() {
    let file = hosts_file("flags.pssh", "a\nb\n");
    let out = prun(&[
        "--hosts",
        file.to_str().unwrap(),
        "--index",
        "0",
        "--",
        "echo",
        "--log-level",
        "x",
        "--bogus",
        "-h",
        "--",
        "--index=3",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "--log-level x --bogus -h -- --index=3 -I 0 -P a:11599 -P b:11599\n"
    );
}

#[test]
fn flag_equals_value_works() {
    let file = hosts_file("equals.pssh", "a\nb\n");
    let hosts = format!("--hosts={}", file.to_str().unwrap());
    let out = prun(&[&hosts, "--index=1", "--port=20000", "--", "echo"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "-I 1 -P a:20000 -P b:20000\n");
}

#[test]
fn usage_errors_are_one_line_in_prun_words() {
    let cases: &[(&[&str], &str)] = &[
        (&["--port"], "--port needs a value"),
        (
            &["--index", "-1", "--", "echo"],
            "--index takes a whole number, not `-1`",
        ),
        (
            &["--parties=x", "--", "echo"],
            "--parties takes a whole number, not `x`",
        ),
        (
            &["--port", "65536", "--", "echo"],
            "--port takes a port number, not `65536`",
        ),
        (&["-x"], "unknown option `-x` (the program goes after `--`)"),
        (
            &["echo"],
            "unknown option `echo` (the program goes after `--`)",
        ),
        (&["--"], "no program given: put it after `--`"),
    ];
    for (args, expect) in cases {
        let out = prun(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            text(&out.stderr),
            format!("prun: error: {expect}\n"),
            "{args:?}"
        );
        assert_eq!(text(&out.stdout), "", "{args:?}");
    }
}
