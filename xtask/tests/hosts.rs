//! `cargo xtask hosts` through the built binary, against checked-in fixtures.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{root, text};

/// e3-inventory's fixtures: a Terraform output, extra hosts, and the files
/// e3 makes from them.
const FIXTURES: &str = "crates/e3-inventory/tests/fixtures/hosts";

fn xtask(args: &[&str]) -> Output {
    common::run(args)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("e3-hosts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The checked-in hosts.json and hosts.pssh are what e3 generates from the
/// checked-in Terraform output: a generated-file check, as `--check` in CI.
#[test]
fn checked_in_host_files_are_up_to_date() {
    let out = xtask(&[
        "hosts",
        "--terraform-output",
        &format!("{FIXTURES}/terraform-output.json"),
        "--extra",
        &format!("{FIXTURES}/extra.pssh"),
        "--out",
        FIXTURES,
        "--check",
    ]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("hosts.json and hosts.pssh are up to date (7 hosts)"));
}

/// `--check` refuses, as writing does, what the hive cannot make a node
/// of: exit 2, the file and line, a hint; nothing is written.
#[test]
fn check_refuses_a_platform_without_an_image() {
    let dir = scratch("riscv");
    let extra = dir.join("extra.pssh");
    std::fs::write(&extra, "# boards\nroot@board platform=riscv64-linux\n").unwrap();
    let (extra, out_dir) = (extra.to_string_lossy(), dir.to_string_lossy());
    let tf = format!("{FIXTURES}/terraform-output.json");
    let out = xtask(&[
        "hosts",
        "--terraform-output",
        &tf,
        "--extra",
        &extra,
        "--out",
        &out_dir,
        "--check",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {extra}:2: `root@board` has platform `riscv64-linux`, which e3 has no image for\n\
             hint: e3's images are for x86_64-linux (DigitalOcean droplets) and aarch64-linux (Raspberry Pi 4)\n"
        )
    );
    assert!(!dir.join("hosts.json").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn writes_then_checks_then_notices_a_change() {
    let dir = scratch("write");
    let dir_s = dir.to_string_lossy().into_owned();
    let tf = format!("{FIXTURES}/terraform-output.json");
    let out = xtask(&["hosts", "--terraform-output", &tf, "--out", &dir_s]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("5  mpyc-demo--sgp1-0-7f3c2d19  root  -         sgp1"),
        "{stdout}"
    );
    let pssh = std::fs::read_to_string(dir.join("hosts.pssh")).unwrap();
    assert_eq!(pssh.lines().filter(|l| !l.starts_with('#')).count(), 6);
    assert!(
        xtask(&[
            "hosts",
            "--terraform-output",
            &tf,
            "--out",
            &dir_s,
            "--check"
        ])
        .status
        .success()
    );

    std::fs::write(dir.join("hosts.pssh"), pssh.replace("ams3-1", "ams3-9")).unwrap();
    let out = xtask(&[
        "hosts",
        "--terraform-output",
        &tf,
        "--out",
        &dir_s,
        "--check",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: out of date: ") && stderr.contains("hosts.pssh"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("hosts.json"),
        "only hosts.pssh changed: {stderr}"
    );
    assert!(
        stderr.contains("hint: run `cargo xtask hosts --terraform-output"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn dry_run_writes_nothing() {
    let dir = scratch("dry");
    let out = xtask(&[
        "--dry-run",
        "hosts",
        "--terraform-output",
        &format!("{FIXTURES}/terraform-output.json"),
        "--out",
        &dir.to_string_lossy(),
    ]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("cat > hosts.pssh <<'EOF'\n# Written by"));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Each bad input: exit 2 and a message naming the file and line.
#[test]
fn bad_inputs() {
    let dir = scratch("bad");
    let good_tf = root().join(FIXTURES).join("terraform-output.json");
    let cases: &[(&str, &str, &str, &str)] = &[
        // (file name, contents, which flag it goes to, expected fragment)
        (
            "dup.pssh",
            "root@pi\n\nPI.:22\n",
            "--extra",
            "dup.pssh:3: `PI.:22` is the same host as `root@pi` on line 1 (pi:22)\nhint: a host is its name",
        ),
        (
            "port.pssh",
            "pi:99999\n",
            "--extra",
            "port.pssh:1: bad port `99999` in `pi:99999`",
        ),
        (
            "empty-user.pssh",
            "# ok\n@pi\n",
            "--extra",
            "empty-user.pssh:2: empty user name in `@pi`",
        ),
        (
            "stray.pssh",
            "pi;rm\n",
            "--extra",
            "stray.pssh:1: stray character `;` in host name `pi;rm`",
        ),
        (
            "twice.pssh",
            "root@mpyc-demo--ams3-0-15e53f39\n",
            "--extra",
            "twice.pssh:1: `root@mpyc-demo--ams3-0-15e53f39` is the same host as `root@mpyc-demo--ams3-0-15e53f39` on ",
        ),
        (
            "broken.json",
            "{\"hosts-pssh\": ",
            "--terraform-output",
            "broken.json:1: not valid JSON",
        ),
        (
            "none.json",
            "{\"x\": {\"value\": 1}}",
            "--terraform-output",
            "none.json: no `hosts-pssh` or `hosts-colmena` output (outputs found: x)",
        ),
        (
            "disagree.json",
            r#"{"hosts-pssh": {"value": "a\nb"}, "hosts-colmena": {"value": {"a": {}}}}"#,
            "--terraform-output",
            "disagree: only in hosts-pssh: b; only in hosts-colmena: none",
        ),
        (
            "badline.json",
            r#"{"hosts-pssh": {"value": "a\nb c"}}"#,
            "--terraform-output",
            "badline.json (hosts-pssh):2: stray field `c` after `b` (fields are `key=value`)",
        ),
    ];
    for (name, contents, flag, expect) in cases {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        let path = path.to_string_lossy().into_owned();
        let mut args = vec!["hosts", "--out"];
        let out_dir = dir.to_string_lossy().into_owned();
        args.push(&out_dir);
        let tf = good_tf.to_string_lossy().into_owned();
        if *flag == "--extra" {
            args.extend(["--terraform-output", &tf, "--extra", &path]);
        } else {
            args.extend(["--terraform-output", &path]);
        }
        let out = xtask(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(expect),
            "{name}: expected {expect:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    for (args, expect) in [
        (
            vec!["hosts", "--terraform-output", "no/such.json"],
            "cannot read --terraform-output file `no/such.json`",
        ),
        (vec!["hosts", "--out", "no/such/dir"], "--out folder"),
    ] {
        let out = xtask(&args);
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains(expect), "{}", text(&out.stderr));
    }
    std::fs::remove_dir_all(dir).unwrap();
}
