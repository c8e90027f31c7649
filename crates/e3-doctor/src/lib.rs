//! What e3 needs on this machine, checked: every tool it drives (found or
//! not, and its version), aarch64 emulation for the Raspberry Pi image,
//! e3's Python environment, and which secrets are set (by name only: a
//! value is never read into the report). For each missing piece: which
//! tasks it blocks and how to get it.
//!
//! [`examine`] is pure over a [`Probe`] (which finds tools, asks their
//! versions and looks at the environment), so tests feed it fakes.

use camino::{Utf8Path, Utf8PathBuf};
use e3_nix::binfmt::Verdict;
use serde_json::json;

/// How the doctor learns about this machine.
pub trait Probe {
    /// The tool's path on PATH.
    fn find(&self, name: &str) -> Option<Utf8PathBuf>;
    /// The first line the program printed for `args` (stdout, else stderr).
    fn version(&self, program: &Utf8Path, args: &[&str]) -> Option<String>;
    /// Whether the environment variable is set and not empty.
    fn is_set(&self, name: &str) -> bool;
}

/// e3's own Python environment (`.e3/venv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PythonEnv {
    UpToDate,
    /// Made (again) by the next local run: the pins or the interpreter changed.
    WillBeMade,
    /// It cannot be made: python3 is missing or unfit.
    CannotBeMade,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Tool,
    Setting,
    Secret,
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub kind: Kind,
    pub ok: bool,
    /// The version, the state, or what is wrong.
    pub detail: String,
    /// The tasks that cannot work without it.
    pub blocks: Vec<&'static str>,
    /// How to get it, when it is missing.
    pub fix: Option<String>,
    /// Local runs (`cargo xtask run`) need it.
    pub local: bool,
    /// What works now but is worth knowing (it will not last).
    pub note: Option<String>,
}

/// A tool e3 drives: its names on PATH (the first found counts), how to
/// ask its version, what it blocks and how to get it.
struct Tool {
    name: &'static str,
    commands: &'static [&'static str],
    version_args: &'static [&'static str],
    blocks: &'static [&'static str],
    local: bool,
    install: &'static str,
    /// A found tool may still be unfit: what is wrong, from its version line.
    unfit: Option<fn(&str) -> Option<String>>,
    /// How to get a fit one.
    upgrade: &'static str,
}

const TOOLS: &[Tool] = &[
    Tool {
        name: "python3",
        commands: &["python3"],
        version_args: &["--version"],
        blocks: &["run", "bench"],
        local: true,
        install: "install Python 3.10 or newer with its venv module (Debian/Ubuntu: `apt-get install python3 python3-venv`)",
        unfit: None,
        upgrade: "",
    },
    Tool {
        name: "nix",
        commands: &["nix"],
        version_args: &["--version"],
        blocks: &["image", "deploy"],
        local: false,
        install: e3_nix::INSTALL_NIX,
        unfit: Some(e3_nix::nix_too_old),
        upgrade: e3_nix::UPGRADE_NIX,
    },
    Tool {
        name: "terraform or tofu",
        commands: &["terraform", "tofu"],
        version_args: &["version"],
        blocks: &["hosts", "deploy", "destroy"],
        local: false,
        install: "`nix develop` (terraform with e3's providers), or https://developer.hashicorp.com/terraform/install",
        unfit: None,
        upgrade: "",
    },
    Tool {
        name: "colmena",
        commands: &["colmena"],
        version_args: &["--version"],
        blocks: &["deploy"],
        local: false,
        install: "`nix develop` (nixpkgs' colmena; the crates.io crate of that name is another project)",
        unfit: None,
        upgrade: "",
    },
    Tool {
        name: "ssh",
        commands: &["ssh"],
        version_args: &["-V"],
        blocks: &["run --hosts", "sync", "deploy"],
        local: false,
        install: "install OpenSSH's client (Debian/Ubuntu: `apt-get install openssh-client`)",
        unfit: None,
        upgrade: "",
    },
    Tool {
        name: "rsync",
        commands: &["rsync"],
        version_args: &["--version"],
        blocks: &["run --hosts", "sync"],
        local: false,
        install: "install rsync (Debian/Ubuntu: `apt-get install rsync`)",
        unfit: None,
        upgrade: "",
    },
    // The local testbed: every test host runs its own sshd in a network
    // namespace made with ip and unshare.
    Tool {
        name: "sshd",
        commands: &["sshd", "/usr/sbin/sshd"],
        version_args: &["-V"],
        blocks: &["testnet", "bench remote"],
        local: false,
        install: "install OpenSSH's server (Debian/Ubuntu: `apt-get install openssh-server`)",
        unfit: None,
        upgrade: "",
    },
    Tool {
        name: "ip",
        commands: &["ip"],
        version_args: &["-V"],
        blocks: &["testnet", "bench remote"],
        local: false,
        install: "install iproute2 (Debian/Ubuntu: `apt-get install iproute2`)",
        unfit: None,
        upgrade: "",
    },
    Tool {
        name: "unshare",
        commands: &["unshare"],
        version_args: &["--version"],
        blocks: &["testnet", "bench remote"],
        local: false,
        install: "install util-linux (Debian/Ubuntu: `apt-get install util-linux`)",
        unfit: None,
        upgrade: "",
    },
];

/// Sets of variables, any one of which (all its variables set) will do.
type Alternatives = &'static [&'static [&'static str]];

/// The secrets e3 reads, by the variables that hold them: each is set when
/// every variable of one of its alternatives is; the first alternative is
/// the one to set.
const SECRETS: &[(Alternatives, &[&str], &str)] = &[
    (
        &[&["DIGITALOCEAN_TOKEN"], &["DIGITALOCEAN_ACCESS_TOKEN"]],
        &["deploy", "destroy", "leftovers"],
        "a DigitalOcean API token with write scope (cloud.digitalocean.com > API)",
    ),
    (
        &[&["SPACES_ACCESS_KEY_ID"]],
        &["deploy", "destroy"],
        "a DigitalOcean Spaces access key, to upload the image",
    ),
    (
        &[&["SPACES_SECRET_ACCESS_KEY"]],
        &["deploy", "destroy"],
        "the Spaces access key's secret",
    ),
    (
        &[
            &["TAILSCALE_API_KEY"],
            &["TAILSCALE_OAUTH_CLIENT_ID", "TAILSCALE_OAUTH_CLIENT_SECRET"],
        ],
        &["deploy", "destroy", "tailnet", "leftovers"],
        "a Tailscale API key (admin console > Settings > Keys), or an OAuth client's ID and secret",
    ),
];

/// The other variables e3 reads, none of them needed: what each does, and
/// what holds when it is unset.
const SETTINGS: &[(&str, &str, &str)] = &[
    (
        "E3_ROOT",
        "the workspace e3 works in: its logs/, results/, .e3/, terraform/ and host files (tests)",
        "the checkout e3 was built from",
    ),
    (
        "E3_SPACES_BUCKET",
        "deploy's image bucket (or --bucket)",
        "deploy needs --bucket",
    ),
    (
        "E3_STATE_BUCKET",
        "keep Terraform's state in this private Spaces bucket (or --state-bucket)",
        "local state",
    ),
    (
        "TAILSCALE_TAILNET",
        "the tailnet the Tailscale key acts on",
        "`-`, the key's own",
    ),
    (
        "DIGITALOCEAN_BASE_URL",
        "another address for DigitalOcean's API (tests)",
        "api.digitalocean.com",
    ),
    (
        "TAILSCALE_BASE_URL",
        "another address for Tailscale's API (tests)",
        "api.tailscale.com",
    ),
    (
        "CI",
        "nothing waits for a person (--yes is needed), plain progress lines",
        "ask at a terminal",
    ),
    (
        "GITHUB_ACTIONS",
        "`true`: failures are also ::error annotations",
        "no annotations",
    ),
    (
        "GITHUB_STEP_SUMMARY",
        "a file: run, experiment, deploy, destroy and leftovers append their table",
        "no job summary",
    ),
    (
        "NIX_CONFIG",
        "more nix.conf settings, read by the aarch64 check",
        "nix.conf files only",
    ),
    (
        "XDG_CONFIG_HOME",
        "where the user's nix.conf is looked for",
        "~/.config",
    ),
];

/// The commands the doctor runs to ask versions: what `--dry-run` shows.
pub fn version_commands(probe: &dyn Probe) -> Vec<String> {
    TOOLS
        .iter()
        .filter_map(|tool| {
            let (_, path) = find_first(probe, tool.commands)?;
            Some(format!("{path} {}", tool.version_args.join(" ")))
        })
        .collect()
}

/// The first of `commands` found on PATH, with its path.
fn find_first(
    probe: &dyn Probe,
    commands: &'static [&'static str],
) -> Option<(&'static str, Utf8PathBuf)> {
    commands
        .iter()
        .find_map(|c| probe.find(c).map(|path| (*c, path)))
}

/// Every check, in a fixed order: tools, settings, secrets.
pub fn examine(probe: &dyn Probe, aarch64: &Verdict, python_env: PythonEnv) -> Vec<Check> {
    let mut checks = Vec::new();
    for tool in TOOLS {
        let found = find_first(probe, tool.commands);
        let (ok, detail, fix) = match &found {
            Some((command, path)) => {
                let version = probe
                    .version(path, tool.version_args)
                    .unwrap_or_else(|| "version unknown".into());
                let which = if *command != tool.name {
                    format!("{command}: ")
                } else {
                    String::new()
                };
                match tool.unfit.and_then(|unfit| unfit(&version)) {
                    Some(why) => (
                        false,
                        format!("{which}{why}"),
                        Some(tool.upgrade.to_string()),
                    ),
                    None => (true, format!("{which}{version}"), None),
                }
            }
            None => (
                false,
                "not found on PATH".into(),
                Some(tool.install.to_string()),
            ),
        };
        checks.push(Check {
            name: tool.name.into(),
            kind: Kind::Tool,
            ok,
            detail,
            blocks: tool.blocks.to_vec(),
            fix,
            local: tool.local,
            note: None,
        });
    }
    let (ok, detail, fix) = match python_env {
        PythonEnv::UpToDate => (true, "up to date with python/requirements.txt", None),
        PythonEnv::WillBeMade => (true, "made on the next local run (about a minute)", None),
        PythonEnv::CannotBeMade => (
            false,
            "cannot be made without a fit python3",
            Some("get python3 (above); the next `cargo xtask run` makes it".to_string()),
        ),
    };
    checks.push(Check {
        name: "python env .e3/venv".into(),
        kind: Kind::Setting,
        ok,
        detail: detail.into(),
        blocks: vec!["run"],
        fix,
        local: true,
        note: None,
    });
    checks.push(Check {
        name: "aarch64 emulation".into(),
        kind: Kind::Setting,
        ok: aarch64.ok(),
        detail: aarch64.summary(),
        blocks: vec!["image --pi4"],
        fix: (!aarch64.ok()).then(|| {
            aarch64
                .problems
                .iter()
                .map(|p| {
                    format!(
                        "{}: NixOS: {}; Debian/Ubuntu: {}",
                        p.what, p.nixos, p.debian
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        }),
        local: false,
        note: (!aarch64.notes.is_empty()).then(|| aarch64.notes.join("\n")),
    });
    for (alternatives, blocks, what) in SECRETS {
        let set = alternatives
            .iter()
            .find(|names| names.iter().all(|n| probe.is_set(n)));
        let first = alternatives[0][0];
        checks.push(Check {
            name: first.into(),
            kind: Kind::Secret,
            ok: set.is_some(),
            detail: match set {
                Some(names) if names[0] != first => format!("set (as {})", names.join(" and ")),
                Some(_) => "set".into(),
                None => "not set".into(),
            },
            blocks: blocks.to_vec(),
            fix: set
                .is_none()
                .then(|| format!("export {first}=... : {what}")),
            local: false,
            note: None,
        });
    }
    for (name, what, unset) in SETTINGS {
        checks.push(Check {
            name: (*name).into(),
            kind: Kind::Setting,
            ok: true,
            detail: if probe.is_set(name) {
                format!("set: {what}")
            } else {
                format!("not set ({unset})")
            },
            blocks: Vec::new(),
            fix: None,
            local: false,
            note: None,
        });
    }
    checks
}

/// Everything local runs need is there.
pub fn ready_for_local_runs(checks: &[Check]) -> bool {
    checks.iter().filter(|c| c.local).all(|c| c.ok)
}

/// The table people read, then how to get each missing piece.
pub fn table(checks: &[Check]) -> String {
    let rows: Vec<Vec<String>> = checks
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                if c.ok { "ok" } else { "MISSING" }.to_string(),
                c.detail.clone(),
                c.blocks.join(", "),
            ]
        })
        .collect();
    let mut out = e3_plan::columns(
        &["check", "state", "version / detail", "needed by"],
        &rows,
        &[],
    );
    let missing: Vec<&Check> = checks.iter().filter(|c| !c.ok).collect();
    if !missing.is_empty() {
        out.push_str("\n\nto get what is missing:");
        for c in missing {
            let fix = c.fix.as_deref().unwrap_or("-");
            out.push_str(&format!(
                "\n- {} (blocks {}): {}",
                c.name,
                c.blocks.join(", "),
                fix.replace('\n', "\n    ")
            ));
        }
    }
    let noted: Vec<&Check> = checks.iter().filter(|c| c.note.is_some()).collect();
    if !noted.is_empty() {
        out.push_str("\n\nworth knowing:");
        for c in noted {
            let note = c.note.as_deref().unwrap_or_default();
            out.push_str(&format!("\n- {}: {}", c.name, note.replace('\n', "\n    ")));
        }
    }
    out
}

/// The checks for CI pipelines: the same facts, never a secret's value.
pub fn to_json(checks: &[Check]) -> serde_json::Value {
    let list: Vec<serde_json::Value> = checks
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "kind": match c.kind {
                    Kind::Tool => "tool",
                    Kind::Setting => "setting",
                    Kind::Secret => "secret",
                },
                "ok": c.ok,
                "detail": c.detail,
                "blocks": c.blocks,
                "fix": c.fix,
                "note": c.note,
                "needed_for_local_runs": c.local,
            })
        })
        .collect();
    json!({
        "ready_for_local_runs": ready_for_local_runs(checks),
        "checks": list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use e3_nix::binfmt::check_aarch64;
    use e3_nix::settings::NixSettings;

    /// A machine with these tools (name, version) and variables set.
    struct Fake {
        tools: Vec<(&'static str, &'static str)>,
        set: Vec<&'static str>,
    }

    impl Probe for Fake {
        fn find(&self, name: &str) -> Option<Utf8PathBuf> {
            self.tools
                .iter()
                .any(|(n, _)| *n == name)
                .then(|| Utf8PathBuf::from(format!("/usr/bin/{name}")))
        }
        fn version(&self, program: &Utf8Path, _args: &[&str]) -> Option<String> {
            let name = program.file_name()?;
            self.tools
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
        fn is_set(&self, name: &str) -> bool {
            self.set.contains(&name)
        }
    }

    fn verdict(case: &str) -> Verdict {
        let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../e3-nix/tests/fixtures/binfmt")
            .join(case);
        check_aarch64(&root, "x86_64", &NixSettings::read(&root, &[], None))
    }

    #[test]
    fn everything_there() {
        let fake = Fake {
            tools: vec![
                ("python3", "Python 3.11.7"),
                ("nix", "nix (Nix) 2.24.9"),
                ("tofu", "OpenTofu v1.9.0"),
                ("colmena", "colmena 0.4.0"),
                (
                    "ssh",
                    "OpenSSH_9.2p1 Debian-2+deb12u7, OpenSSL 3.0.17 1 Jul 2025",
                ),
                ("rsync", "rsync  version 3.2.7  protocol version 31"),
                ("sshd", "OpenSSH_9.2, OpenSSL 3.0.19 27 Jan 2026"),
                ("ip", "ip utility, iproute2-6.1.0, libbpf 1.1.2"),
                ("unshare", "unshare from util-linux 2.38.1"),
            ],
            set: vec![
                "DIGITALOCEAN_ACCESS_TOKEN",
                "SPACES_ACCESS_KEY_ID",
                "SPACES_SECRET_ACCESS_KEY",
                "TAILSCALE_OAUTH_CLIENT_ID",
                "TAILSCALE_OAUTH_CLIENT_SECRET",
                "E3_STATE_BUCKET",
                "CI",
            ],
        };
        let checks = examine(&fake, &verdict("debian-pof"), PythonEnv::UpToDate);
        assert!(ready_for_local_runs(&checks));
        assert!(checks.iter().all(|c| c.ok));
        insta::assert_snapshot!(table(&checks));
        assert_eq!(
            version_commands(&fake),
            [
                "/usr/bin/python3 --version",
                "/usr/bin/nix --version",
                "/usr/bin/tofu version",
                "/usr/bin/colmena --version",
                "/usr/bin/ssh -V",
                "/usr/bin/rsync --version",
                "/usr/bin/sshd -V",
                "/usr/bin/ip -V",
                "/usr/bin/unshare --version",
            ]
        );
    }

    /// `docker run --privileged tonistiigi/binfmt`'s entry: aarch64 builds
    /// work, and the doctor says until when.
    #[test]
    fn emulation_registered_from_a_container_is_ok_until_the_next_reboot() {
        let fake = Fake {
            tools: vec![("python3", "Python 3.11.7")],
            set: vec![],
        };
        let checks = examine(&fake, &verdict("docker-binfmt"), PythonEnv::UpToDate);
        let aarch64 = checks
            .iter()
            .find(|c| c.name == "aarch64 emulation")
            .unwrap();
        assert!(aarch64.ok && aarch64.fix.is_none());
        assert!(
            aarch64
                .note
                .as_deref()
                .is_some_and(|n| n.contains("will not survive a reboot")),
            "{aarch64:?}"
        );
        let table = table(&checks);
        let worth = &table[table.find("worth knowing:").expect("a notes section")..];
        insta::assert_snapshot!(worth, @r#"
        worth knowing:
        - aarch64 emulation: `qemu-aarch64` has the F flag: the kernel opened its interpreter `/usr/bin/qemu-aarch64` when the entry was registered (as `docker run --privileged tonistiigi/binfmt` does), and that file is not on this machine's disk, so the entry will not survive a reboot: register it again after one, or make it lasting (NixOS: `boot.binfmt.emulatedSystems = [ "aarch64-linux" ];`, Debian/Ubuntu: `apt-get install qemu-user-static`)
        "#);
        let json = to_json(&checks);
        let row = json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "aarch64 emulation")
            .unwrap();
        assert_eq!(row["note"], aarch64.note.as_deref().unwrap());
    }

    #[test]
    fn a_fresh_laptop() {
        let fake = Fake {
            tools: vec![("python3", "Python 3.12.3"), ("ssh", "OpenSSH_9.6p1")],
            set: vec!["TAILSCALE_API_KEY"],
        };
        let checks = examine(&fake, &verdict("not-mounted"), PythonEnv::WillBeMade);
        // A Nix too old for the pinned nixpkgs is found, and still missing.
        let old = Fake {
            tools: vec![("nix", "nix (Nix) 2.8.0")],
            set: vec![],
        };
        let nix = &examine(&old, &verdict("not-mounted"), PythonEnv::WillBeMade)[1];
        assert!(!nix.ok);
        assert_eq!(
            nix.detail,
            "Nix 2.8.0 is too old for the pinned nixpkgs, which needs 2.18 or newer"
        );
        assert_eq!(nix.fix.as_deref(), Some(e3_nix::UPGRADE_NIX));
        // Local runs need python3 and the env it makes: they are ready.
        assert!(ready_for_local_runs(&checks));
        insta::assert_snapshot!(table(&checks));
        let json = to_json(&checks);
        assert_eq!(json["ready_for_local_runs"], true);
        insta::assert_snapshot!(serde_json::to_string_pretty(&json["checks"][1]).unwrap(), @r#"
        {
          "blocks": [
            "image",
            "deploy"
          ],
          "detail": "not found on PATH",
          "fix": "install Nix (https://nixos.org/download; Debian/Ubuntu: `apt-get install nix-bin`)",
          "kind": "tool",
          "name": "nix",
          "needed_for_local_runs": false,
          "note": null,
          "ok": false
        }
        "#);
    }

    /// Half an OAuth client is not a Tailscale key.
    #[test]
    fn a_secret_with_alternatives_is_set_by_one_whole_alternative() {
        let tailscale = |set: Vec<&'static str>| {
            let fake = Fake { tools: vec![], set };
            examine(&fake, &verdict("not-mounted"), PythonEnv::WillBeMade)
                .into_iter()
                .find(|c| c.name == "TAILSCALE_API_KEY")
                .unwrap()
        };
        assert!(!tailscale(vec!["TAILSCALE_OAUTH_CLIENT_ID"]).ok);
        assert!(tailscale(vec!["TAILSCALE_API_KEY"]).ok);
        let oauth = tailscale(vec![
            "TAILSCALE_OAUTH_CLIENT_ID",
            "TAILSCALE_OAUTH_CLIENT_SECRET",
        ]);
        assert!(oauth.ok);
        assert_eq!(
            oauth.detail,
            "set (as TAILSCALE_OAUTH_CLIENT_ID and TAILSCALE_OAUTH_CLIENT_SECRET)"
        );
    }

    #[test]
    fn no_python_means_no_local_runs() {
        let fake = Fake {
            tools: vec![],
            set: vec![],
        };
        let checks = examine(&fake, &verdict("debian-pof"), PythonEnv::CannotBeMade);
        assert!(!ready_for_local_runs(&checks));
        let missing: Vec<&str> = checks
            .iter()
            .filter(|c| c.local && !c.ok)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(missing, ["python3", "python env .e3/venv"]);
    }
}
