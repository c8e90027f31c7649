//! Can this machine build for aarch64 (a Raspberry Pi 4's image) through
//! emulation? The kernel's binfmt_misc must run aarch64 binaries with qemu,
//! and Nix must accept `aarch64-linux` builds.
//!
//! The reader takes a root folder (`/` on a real machine, a fixture tree in
//! tests) and finds `proc/sys/fs/binfmt_misc` under it: its `status`, and an
//! entry named `aarch64-linux` (NixOS's `boot.binfmt.emulatedSystems`) or
//! `qemu-aarch64` (Debian/Ubuntu's qemu-user-static). An entry reads:
//!
//! ```text
//! enabled
//! interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
//! flags: POF
//! offset 0
//! magic 7f454c460201010000000000000000000200b700
//! mask ffffffffffffff00fffffffffffffffffeffffff
//! ```
//!
//! With the `F` flag the kernel opens the interpreter once, when the entry
//! is registered, so it works inside Nix's build sandbox; without it the
//! interpreter must be visible in the sandbox (`extra-sandbox-paths`).
//! With `F` the interpreter need not be on this machine's disk at all: `docker
//! run --privileged tonistiigi/binfmt` registers `/usr/bin/qemu-aarch64`
//! from inside its container, which is gone once it ends. That works, but
//! nothing registers it again at boot: the verdict says so in a note.

use std::fmt;

use camino::{Utf8Path, Utf8PathBuf};

use crate::settings::NixSettings;

/// Where binfmt_misc lives, relative to the root folder.
pub const BINFMT_DIR: &str = "proc/sys/fs/binfmt_misc";

/// The entry names that run aarch64 binaries: NixOS's, then Debian's.
pub const ENTRY_NAMES: [&str; 2] = ["aarch64-linux", "qemu-aarch64"];

/// One binfmt_misc entry, as its file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub enabled: bool,
    pub interpreter: Utf8PathBuf,
    pub flags: String,
    /// The interpreter exists under the root folder.
    pub interpreter_present: bool,
}

impl Entry {
    /// Reads `proc/sys/fs/binfmt_misc/<name>` under `root`.
    pub fn read(root: &Utf8Path, name: &str) -> Option<Entry> {
        let text = std::fs::read_to_string(root.join(BINFMT_DIR).join(name)).ok()?;
        let mut entry = Entry {
            name: name.to_string(),
            enabled: false,
            interpreter: Utf8PathBuf::new(),
            flags: String::new(),
            interpreter_present: false,
        };
        for line in text.lines() {
            let line = line.trim();
            if line == "enabled" {
                entry.enabled = true;
            } else if let Some(path) = line.strip_prefix("interpreter ") {
                entry.interpreter = path.trim().into();
            } else if let Some(flags) = line.strip_prefix("flags:") {
                entry.flags = flags.trim().to_string();
            }
        }
        let inside = entry.interpreter.as_str().trim_start_matches('/');
        entry.interpreter_present = !inside.is_empty() && root.join(inside).exists();
        Some(entry)
    }

    /// The kernel keeps the interpreter open (flag `F`).
    pub fn fixed(&self) -> bool {
        self.flags.contains('F')
    }

    /// Only the kernel holds the interpreter: it has the `F` flag and its
    /// file is not on this machine's disk (registered from a container).
    pub fn held_by_kernel_only(&self) -> bool {
        self.fixed() && !self.interpreter_present
    }
}

/// Something that keeps aarch64 builds from working, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub what: String,
    /// The fix on NixOS.
    pub nixos: String,
    /// The fix on Debian or Ubuntu.
    pub debian: String,
}

/// What was found, and what is missing, for building aarch64 on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// This machine is aarch64 itself: nothing to emulate.
    pub native: bool,
    pub mounted: bool,
    /// The entry that runs aarch64 binaries, when there is one.
    pub entry: Option<Entry>,
    /// Nix accepts `aarch64-linux` builds.
    pub nix_accepts: bool,
    /// Empty when aarch64 builds can run.
    pub problems: Vec<Problem>,
    /// What works now but is worth knowing (it will not last).
    pub notes: Vec<String>,
}

const NIXOS_FIX: &str = "add `boot.binfmt.emulatedSystems = [ \"aarch64-linux\" ];` to your configuration and run `nixos-rebuild switch` (it registers the entry, the sandbox paths and nix's extra-platforms)";
const RESTART: &str = "then `systemctl restart nix-daemon`";

/// Checks aarch64 emulation under `root` for a machine of architecture
/// `arch` (`std::env::consts::ARCH`) whose Nix has `settings`.
pub fn check_aarch64(root: &Utf8Path, arch: &str, settings: &NixSettings) -> Verdict {
    let native_system = match arch {
        "aarch64" => "aarch64-linux",
        "x86_64" => "x86_64-linux",
        other => other,
    };
    let nix_accepts = settings.accepts("aarch64-linux", native_system);
    if arch == "aarch64" {
        return Verdict {
            native: true,
            mounted: true,
            entry: None,
            nix_accepts,
            problems: Vec::new(),
            notes: Vec::new(),
        };
    }
    let dir = root.join(BINFMT_DIR);
    let mounted = dir.join("register").exists() || dir.join("status").exists();
    let entries: Vec<Entry> = ENTRY_NAMES
        .iter()
        .filter_map(|name| Entry::read(root, name))
        .collect();
    // The enabled one if any, else the first found.
    let entry = entries
        .iter()
        .find(|e| e.enabled)
        .or(entries.first())
        .cloned();
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
    if !mounted {
        problems.push(Problem {
            what: format!("binfmt_misc is not mounted at /{BINFMT_DIR}"),
            nixos: NIXOS_FIX.into(),
            debian: format!(
                "`mount -t binfmt_misc binfmt_misc /{BINFMT_DIR}` (systemd does it at boot with `apt-get install binfmt-support`)"
            ),
        });
    } else if status.trim() == "disabled" {
        problems.push(Problem {
            what: "binfmt_misc is turned off (`status` reads `disabled`)".into(),
            nixos: NIXOS_FIX.into(),
            debian: format!("`echo 1 > /{BINFMT_DIR}/status`"),
        });
    }
    match &entry {
        None if mounted => problems.push(Problem {
            what: format!(
                "no binfmt_misc entry runs aarch64 binaries (looked for {})",
                ENTRY_NAMES.join(" and ")
            ),
            nixos: NIXOS_FIX.into(),
            debian:
                "`apt-get install qemu-user-static` (it registers `qemu-aarch64` with the F flag)"
                    .into(),
        }),
        None => {}
        Some(entry) => {
            if !entry.enabled {
                problems.push(Problem {
                    what: format!("the binfmt_misc entry `{}` is disabled", entry.name),
                    nixos: NIXOS_FIX.into(),
                    debian: format!("`echo 1 > /{BINFMT_DIR}/{}`", entry.name),
                });
            }
            if entry.held_by_kernel_only() {
                notes.push(format!(
                    "`{}` has the F flag: the kernel opened its interpreter `{}` when the entry was registered (as `docker run --privileged tonistiigi/binfmt` does), and that file is not on this machine's disk, so the entry will not survive a reboot: register it again after one, or make it lasting (NixOS: `boot.binfmt.emulatedSystems = [ \"aarch64-linux\" ];`, Debian/Ubuntu: `apt-get install qemu-user-static`)",
                    entry.name, entry.interpreter
                ));
            } else if !entry.interpreter_present {
                problems.push(Problem {
                    what: format!(
                        "the interpreter of `{}`, `{}`, does not exist",
                        entry.name, entry.interpreter
                    ),
                    nixos: NIXOS_FIX.into(),
                    debian: "`apt-get install --reinstall qemu-user-static`".into(),
                });
            } else if !entry.fixed()
                && settings.sandboxed()
                && !settings.in_sandbox(&entry.interpreter)
            {
                problems.push(Problem {
                    what: format!(
                        "`{}` has no F flag, so nix's build sandbox must see its interpreter `{}`, and `extra-sandbox-paths` does not list it",
                        entry.name, entry.interpreter
                    ),
                    nixos: NIXOS_FIX.into(),
                    debian: format!(
                        "add `extra-sandbox-paths = {}` to /etc/nix/nix.conf, {RESTART} (or use qemu-user-static's entry, which has the F flag)",
                        entry.interpreter
                    ),
                });
            }
        }
    }
    if !nix_accepts {
        problems.push(Problem {
            what: "nix does not build for aarch64-linux (neither `system` nor `extra-platforms` names it)"
                .into(),
            nixos: NIXOS_FIX.into(),
            debian: format!("add `extra-platforms = aarch64-linux` to /etc/nix/nix.conf, {RESTART}"),
        });
    }
    Verdict {
        native: false,
        mounted,
        entry,
        nix_accepts,
        problems,
        notes,
    }
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// One line: what runs aarch64 binaries here.
    pub fn summary(&self) -> String {
        if self.native {
            return "native (this machine is aarch64)".into();
        }
        match (&self.entry, self.ok()) {
            (Some(e), true) if e.held_by_kernel_only() => format!(
                "`{}` via {} (flags {}; held by the kernel only, until the next reboot)",
                e.name, e.interpreter, e.flags
            ),
            (Some(e), true) => format!("`{}` via {} (flags {})", e.name, e.interpreter, e.flags),
            (_, _) => format!(
                "{} problem{}",
                self.problems.len(),
                if self.problems.len() == 1 { "" } else { "s" }
            ),
        }
    }
}

impl fmt::Display for Verdict {
    /// What was found, then each problem with its two fixes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.native {
            return writeln!(f, "aarch64: native, nothing to emulate");
        }
        writeln!(f, "binfmt_misc mounted: {}", yes(self.mounted))?;
        match &self.entry {
            Some(e) => writeln!(
                f,
                "entry: {} ({}), interpreter {} ({}), flags {}",
                e.name,
                if e.enabled { "enabled" } else { "disabled" },
                e.interpreter,
                match (e.interpreter_present, e.fixed()) {
                    (true, _) => "present",
                    (false, true) => "not on disk, held open by the kernel",
                    (false, false) => "missing",
                },
                if e.flags.is_empty() { "none" } else { &e.flags }
            )?,
            None => writeln!(f, "entry: none")?,
        }
        writeln!(f, "nix builds aarch64-linux: {}", yes(self.nix_accepts))?;
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        for p in &self.problems {
            writeln!(f, "- {}", p.what)?;
            writeln!(f, "  NixOS: {}", p.nixos)?;
            writeln!(f, "  Debian/Ubuntu: {}", p.debian)?;
        }
        Ok(())
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verdict on fixture tree `case` (under tests/fixtures/binfmt) for
    /// an x86_64 machine, as the image task and the doctor see it.
    fn check(case: &str) -> Verdict {
        let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/binfmt")
            .join(case);
        let settings = NixSettings::read(&root, &[], None);
        check_aarch64(&root, "x86_64", &settings)
    }

    #[test]
    fn nixos_with_emulated_systems_is_ready() {
        let v = check("nixos");
        assert!(v.ok(), "{v}");
        insta::assert_snapshot!(v.to_string(), @r"
        binfmt_misc mounted: yes
        entry: aarch64-linux (enabled), interpreter /run/binfmt/aarch64-linux (present), flags P
        nix builds aarch64-linux: yes
        ");
    }

    #[test]
    fn debian_qemu_user_static_with_pof_is_ready() {
        // nix.conf reaches extra-platforms through an !include.
        let v = check("debian-pof");
        assert!(v.ok(), "{v}");
        assert_eq!(
            v.summary(),
            "`qemu-aarch64` via /usr/libexec/qemu-binfmt/aarch64-binfmt-P (flags POF)"
        );
    }

    #[test]
    fn an_f_flag_entry_registered_from_a_container_works_until_the_next_reboot() {
        // `docker run --privileged tonistiigi/binfmt --install arm64`: the
        // interpreter was the container's /usr/bin/qemu-aarch64, and the
        // kernel holds it open (F); the sandbox needs no path for it.
        let v = check("docker-binfmt");
        assert!(v.ok(), "{v}");
        insta::assert_snapshot!(v.to_string(), @r#"
        binfmt_misc mounted: yes
        entry: qemu-aarch64 (enabled), interpreter /usr/bin/qemu-aarch64 (not on disk, held open by the kernel), flags OCF
        nix builds aarch64-linux: yes
        note: `qemu-aarch64` has the F flag: the kernel opened its interpreter `/usr/bin/qemu-aarch64` when the entry was registered (as `docker run --privileged tonistiigi/binfmt` does), and that file is not on this machine's disk, so the entry will not survive a reboot: register it again after one, or make it lasting (NixOS: `boot.binfmt.emulatedSystems = [ "aarch64-linux" ];`, Debian/Ubuntu: `apt-get install qemu-user-static`)
        "#);
    }

    /// Every fixture machine: whether aarch64 builds can run, the one-line
    /// summary the doctor shows, and how many notes come with it.
    #[test]
    fn verdict_table() {
        let rows: &[(&str, bool, &str, usize)] = &[
            (
                "nixos",
                true,
                "`aarch64-linux` via /run/binfmt/aarch64-linux (flags P)",
                0,
            ),
            (
                "debian-pof",
                true,
                "`qemu-aarch64` via /usr/libexec/qemu-binfmt/aarch64-binfmt-P (flags POF)",
                0,
            ),
            (
                "docker-binfmt",
                true,
                "`qemu-aarch64` via /usr/bin/qemu-aarch64 (flags OCF; held by the kernel only, until the next reboot)",
                1,
            ),
            // Turned off: the problem to fix, and still the note.
            ("docker-binfmt-disabled", false, "1 problem", 1),
            // Without F a missing interpreter is one.
            ("interpreter-missing", false, "1 problem", 0),
            ("no-f-flag", false, "1 problem", 0),
            ("disabled", false, "1 problem", 0),
            ("not-mounted", false, "2 problems", 0),
            ("no-extra-platforms", false, "1 problem", 0),
        ];
        for &(case, ok, summary, notes) in rows {
            let v = check(case);
            assert_eq!(
                (v.ok(), v.summary().as_str(), v.notes.len()),
                (ok, summary, notes),
                "{case}:\n{v}"
            );
        }
    }

    #[test]
    fn what_is_missing_and_how_to_fix_it() {
        for case in [
            "no-f-flag",
            "disabled",
            "not-mounted",
            "no-extra-platforms",
            "interpreter-missing",
            "docker-binfmt-disabled",
        ] {
            let v = check(case);
            assert!(!v.ok(), "{case} passed:\n{v}");
            insta::assert_snapshot!(case, v.to_string());
        }
    }

    #[test]
    fn an_aarch64_machine_needs_no_emulation() {
        let root =
            Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/binfmt/not-mounted");
        let v = check_aarch64(&root, "aarch64", &NixSettings::read(&root, &[], None));
        assert!(v.ok() && v.native && v.nix_accepts);
    }
}
