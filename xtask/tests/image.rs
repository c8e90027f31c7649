//! `cargo xtask image` and `cargo xtask doctor` through the built binary.
//! A real image build needs Nix with nixpkgs (not reachable here): a fake
//! `nix` on PATH stands in for it, making the out link to a "store" folder
//! with an image in it, so everything around the build runs for real.

mod common;

use std::os::unix::fs::PermissionsExt;

use camino::Utf8Path;
use common::*;
use e3_nix::binfmt::check_aarch64;
use e3_nix::settings::NixSettings;
use serde_json::Value;

/// A folder with a fake `nix`: `build ATTR --out-link LINK` makes LINK point
/// at a "store" folder holding an image named as nixpkgs names it, and logs
/// its arguments.
fn fake_nix(scratch: &Scratch) -> String {
    let bin = scratch.0.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = r#"#!/bin/sh
if [ "$1" = --version ]; then echo "nix (Nix) 2.24.9"; exit 0; fi
echo "$@" >> "$(dirname "$0")/../nix-calls"
link=""; attr=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out-link) link="$2"; shift ;;
    .#*) attr="$1" ;;
  esac
  shift
done
store="$(dirname "$0")/../store-$(echo "$attr" | tr -c 'a-zA-Z0-9\n' -)"
case "$attr" in
  *digitalOceanImage) mkdir -p "$store" && printf 'qcow2' > "$store/nixos-image-digital-ocean-26.05.x86_64-linux.qcow2.gz" ;;
  *raspberryPi4Image) mkdir -p "$store/sd-image" && printf 'sd' > "$store/sd-image/nixos-image-sd-card-26.05.aarch64-linux.img.zst" ;;
  *) echo "error: flake has no attribute $attr" >&2; exit 1 ;;
esac
ln -sfn "$store" "$link"
"#;
    let nix = bin.join("nix");
    std::fs::write(&nix, script).unwrap();
    std::fs::set_permissions(&nix, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!("{}:/usr/bin:/bin", bin.display())
}

#[test]
fn the_digitalocean_image_is_found_hashed_and_recorded() {
    let scratch = Scratch::new("do");
    let path = fake_nix(&scratch);
    let out_dir = scratch.path("images");
    let out = xtask(&["image", "--do", "--out", &out_dir])
        .env("PATH", &path)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let calls = std::fs::read_to_string(scratch.0.join("nix-calls")).unwrap();
    assert_eq!(
        calls.trim(),
        format!(
            "--extra-experimental-features nix-command flakes build .#packages.x86_64-linux.digitalOceanImage --out-link {out_dir}/digitalocean"
        )
    );
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(scratch.0.join("images/digitalocean.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["target"], "digitalocean");
    assert_eq!(record["size"], 5);
    // md5 and sha256 of "qcow2"
    assert_eq!(record["md5"], "947f13878c6bd4981c91c790c5d83ff5");
    assert_eq!(
        record["sha256"],
        "bddbfd77c2fbc6cdf3061d9f3d53d9de47343e139277c662463425c078626f4f"
    );
    assert_eq!(
        record["file"],
        format!("{out_dir}/digitalocean/nixos-image-digital-ocean-26.05.x86_64-linux.qcow2.gz")
    );
    // The pin the flake builds with.
    let lock: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("flake.lock")).unwrap()).unwrap();
    assert_eq!(
        record["nixpkgs_rev"],
        lock["nodes"]["nixpkgs"]["locked"]["rev"]
    );
    assert!(stdout.contains("sha256 bddbfd77"), "{stdout}");
}

#[test]
fn dry_run_prints_the_plan_and_builds_nothing() {
    let scratch = Scratch::new("dry");
    let path = fake_nix(&scratch);
    let out = xtask(&[
        "--dry-run",
        "image",
        "--do",
        "-v",
        "--out",
        &scratch.path("images"),
    ])
    .env("PATH", &path)
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout).replace(&scratch.0.to_string_lossy().into_owned(), "[SCRATCH]");
    let stdout = stdout.replace(&root().to_string_lossy().into_owned(), "[ROOT]");
    insta::assert_snapshot!(stdout, @r"
    cd [ROOT]
    mkdir -p [SCRATCH]/images
    [SCRATCH]/bin/nix --extra-experimental-features 'nix-command flakes' build '.#packages.x86_64-linux.digitalOceanImage' --out-link [SCRATCH]/images/digitalocean --print-build-logs
    # then find the image in [SCRATCH]/images/digitalocean, hash it, and write [SCRATCH]/images/digitalocean.json
    ");
    assert!(!scratch.0.join("nix-calls").exists(), "nix ran");
}

#[test]
fn the_pi_image_needs_aarch64_emulation_first() {
    let scratch = Scratch::new("pi");
    let path = fake_nix(&scratch);
    let out = xtask(&["image", "--pi4", "--out", &scratch.path("images")])
        .env("PATH", &path)
        .output()
        .unwrap();
    // What this machine can do decides the outcome: check it the same way.
    let root = Utf8Path::new("/");
    let verdict = check_aarch64(
        root,
        std::env::consts::ARCH,
        &NixSettings::read(root, &[], std::env::var("NIX_CONFIG").ok().as_deref()),
    );
    let stderr = text(&out.stderr);
    if verdict.ok() {
        assert!(out.status.success(), "{stderr}");
        assert!(scratch.0.join("images/raspberry-pi-4.json").is_file());
    } else {
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(
                "this machine cannot build the Raspberry Pi 4 image (aarch64-linux) yet:"
            ),
            "{stderr}"
        );
        for problem in &verdict.problems {
            assert!(stderr.contains(&problem.what), "{stderr}");
        }
        assert!(
            stderr.contains("NixOS: add `boot.binfmt.emulatedSystems"),
            "{stderr}"
        );
        assert!(
            !scratch.0.join("nix-calls").exists(),
            "nix ran before the check"
        );
    }
}

#[test]
fn no_nix_is_a_usage_error_saying_how_to_get_it() {
    let empty = Scratch::new("nonix");
    let out = xtask(&["image", "--do"])
        .env("PATH", empty.0.as_os_str())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: `nix` was not found on PATH"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: install Nix (https://nixos.org/download"),
        "{stderr}"
    );
}

#[test]
fn a_nix_too_old_for_the_pinned_nixpkgs_is_refused_before_anything_runs() {
    let scratch = Scratch::new("oldnix");
    let path = fake_nix(&scratch);
    let nix = scratch.0.join("bin/nix");
    let script = std::fs::read_to_string(&nix)
        .unwrap()
        .replace("2.24.9", "2.8.0");
    std::fs::write(&nix, script).unwrap();
    let out = xtask(&["image", "--do", "--out", &scratch.path("images")])
        .env("PATH", &path)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("Nix 2.8.0 is too old for the pinned nixpkgs, which needs 2.18 or newer"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: install a current Nix"), "{stderr}");
    assert!(!scratch.0.join("nix-calls").exists(), "nix built anyway");
}

#[test]
fn doctor_reports_tools_and_secrets_by_name_only() {
    let secret = "dop_v1_e3-doctor-test-not-a-real-token";
    let out = xtask(&["doctor", "--json"])
        .env("DIGITALOCEAN_TOKEN", secret)
        .env_remove("SPACES_ACCESS_KEY_ID")
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!stdout.contains(secret) && !stderr.contains(secret));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let check = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no check {name}: {report:#}"))
            .clone()
    };
    assert_eq!(check("DIGITALOCEAN_TOKEN")["ok"], true);
    assert_eq!(check("SPACES_ACCESS_KEY_ID")["ok"], false);
    assert_eq!(
        check("SPACES_ACCESS_KEY_ID")["blocks"],
        serde_json::json!(["deploy", "destroy"])
    );
    // Every variable e3 reads is listed, set or not, never with its value.
    assert_eq!(check("E3_STATE_BUCKET")["kind"], "setting");
    assert_eq!(check("sshd")["kind"], "tool");
    // This machine runs the local tests, so local runs are ready here.
    assert_eq!(check("python3")["ok"], true);
    assert_eq!(report["ready_for_local_runs"], true);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn doctor_without_python_says_local_runs_cannot_work() {
    let empty = Scratch::new("nopython");
    let out = xtask(&["doctor"])
        .env("PATH", empty.0.as_os_str())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("python3                   MISSING"),
        "{stdout}"
    );
    assert!(
        text(&out.stderr)
            .contains("error: not ready for local runs: python3, python env .e3/venv missing"),
        "{}",
        text(&out.stderr)
    );
}
