//! Nix's settings that decide whether it builds for another platform:
//! `system`, `extra-platforms`, `sandbox` and `extra-sandbox-paths`, read
//! from `nix.conf` files under a root folder (`/` on a real machine, a
//! fixture tree in tests).
//!
//! nix.conf: `name = value` lines, `#` comments, `include PATH` and
//! `!include PATH` (the latter silent when the file is missing), and a
//! setting `extra-NAME` appending to `NAME`.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

/// The settings, as the files under a root folder give them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NixSettings {
    /// The files that were read, relative to the root.
    pub files: Vec<Utf8PathBuf>,
    values: BTreeMap<String, Vec<String>>,
}

/// Where Nix reads its settings, system-wide then for the user.
pub const SYSTEM_CONF: &str = "etc/nix/nix.conf";

impl NixSettings {
    /// Reads `etc/nix/nix.conf` under `root`, then each of `user_confs`
    /// (relative to `root`, such as `root/.config/nix/nix.conf`), then
    /// `nix_config` (the `NIX_CONFIG` variable's text), each overriding the
    /// one before. A missing file counts as empty.
    pub fn read(
        root: &Utf8Path,
        user_confs: &[Utf8PathBuf],
        nix_config: Option<&str>,
    ) -> NixSettings {
        let mut settings = NixSettings::default();
        settings.read_file(root, &root.join(SYSTEM_CONF), 0);
        for conf in user_confs {
            settings.read_file(root, &root.join(conf), 0);
        }
        if let Some(text) = nix_config {
            settings.apply(root, text, root, 0);
        }
        settings
    }

    /// Settings from one text, as if it were a nix.conf at the root.
    pub fn parse(text: &str) -> NixSettings {
        let mut settings = NixSettings::default();
        settings.apply(Utf8Path::new("/"), text, Utf8Path::new("/"), 0);
        settings
    }

    fn read_file(&mut self, root: &Utf8Path, path: &Utf8Path, depth: usize) {
        // Includes nest; a cycle must not loop.
        if depth > 8 {
            return;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        self.files
            .push(path.strip_prefix(root).unwrap_or(path).to_path_buf());
        let dir = path.parent().unwrap_or(root);
        self.apply(root, &text, dir, depth);
    }

    fn apply(&mut self, root: &Utf8Path, text: &str, dir: &Utf8Path, depth: usize) {
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let included = line
                .strip_prefix("!include ")
                .or_else(|| line.strip_prefix("include "));
            if let Some(file) = included {
                let file = file.trim();
                // Absolute paths are under the root; relative ones next to the file.
                let path = match file.strip_prefix('/') {
                    Some(abs) => root.join(abs),
                    None => dir.join(file),
                };
                self.read_file(root, &path, depth + 1);
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            let words: Vec<String> = value.split_whitespace().map(str::to_string).collect();
            let name = name.trim();
            match name.strip_prefix("extra-") {
                Some(base) => self
                    .values
                    .entry(base.to_string())
                    .or_default()
                    .extend(words),
                None => {
                    self.values.insert(name.to_string(), words);
                }
            }
        }
    }

    /// A setting's words, if any file set it.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.values.get(name).map(Vec::as_slice)
    }

    /// Whether Nix builds for `system` here: its own `system` (default: this
    /// machine's, `native`) or one of `extra-platforms`.
    pub fn accepts(&self, system: &str, native: &str) -> bool {
        let own = self
            .get("system")
            .and_then(|w| w.first().map(String::as_str))
            .unwrap_or(native);
        own == system
            || self
                .get("platforms")
                .is_some_and(|p| p.iter().any(|x| x == system))
    }

    /// Whether builds run in a sandbox (Nix's default on Linux).
    pub fn sandboxed(&self) -> bool {
        !matches!(
            self.get("sandbox")
                .and_then(|w| w.first())
                .map(String::as_str),
            Some("false")
        )
    }

    /// Whether `path` is visible inside the build sandbox: listed in
    /// `sandbox-paths` (or `extra-sandbox-paths`), itself or a folder above
    /// it (an entry may be `target=source`, or end in `?`).
    pub fn in_sandbox(&self, path: &Utf8Path) -> bool {
        self.get("sandbox-paths").is_some_and(|paths| {
            paths.iter().any(|entry| {
                let inside = entry
                    .split('=')
                    .next()
                    .unwrap_or(entry)
                    .trim_end_matches('?');
                path.starts_with(inside)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_settings_append_and_later_ones_override() {
        let s = NixSettings::parse(
            "# a comment\nsystem = x86_64-linux\nextra-platforms = aarch64-linux i686-linux # both\n\
             extra-platforms = armv7l-linux\nsandbox = true\nsandbox = false\n",
        );
        assert_eq!(
            s.get("platforms").unwrap(),
            ["aarch64-linux", "i686-linux", "armv7l-linux"]
        );
        assert!(s.accepts("aarch64-linux", "x86_64-linux"));
        assert!(s.accepts("x86_64-linux", "x86_64-linux"));
        assert!(!s.accepts("riscv64-linux", "x86_64-linux"));
        assert!(!s.sandboxed());
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let s = NixSettings::parse("");
        assert!(s.accepts("x86_64-linux", "x86_64-linux"));
        assert!(!s.accepts("aarch64-linux", "x86_64-linux"));
        assert!(s.sandboxed());
        assert!(!s.in_sandbox("/run/binfmt/aarch64-linux".into()));
    }

    #[test]
    fn sandbox_paths_cover_folders_below_them() {
        let s = NixSettings::parse(
            "extra-sandbox-paths = /run/binfmt /nix/store/x-qemu=/usr/bin/qemu /opt/q?\n",
        );
        assert!(s.in_sandbox("/run/binfmt/aarch64-linux".into()));
        assert!(s.in_sandbox("/nix/store/x-qemu/bin/qemu-aarch64".into()));
        assert!(s.in_sandbox("/opt/q".into()));
        assert!(!s.in_sandbox("/run/binfmtx".into()));
    }
}
