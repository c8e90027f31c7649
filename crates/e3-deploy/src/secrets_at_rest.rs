//! Files that can hold a secret, kept readable by their owner only:
//! Terraform's local state and its backups (the tailnet key that
//! `terraform/tailnet.tf` makes is in them, in clear), saved plans (they
//! embed every planned value), `.terraform/` (the backend's settings), and
//! e3's deploy records in `.e3/deploy/`. [`survey`] finds the ones others
//! can read (or write); each can be repaired (0600 files, 0700 folders).

use std::os::unix::fs::PermissionsExt;

use camino::{Utf8Path, Utf8PathBuf};

use crate::{DEPLOY_DIR, TERRAFORM_DIR};

/// A file or folder with a secret that others can reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exposed {
    pub path: Utf8PathBuf,
    /// Relative to the workspace, for messages.
    pub shown: Utf8PathBuf,
    pub mode: u32,
    pub is_dir: bool,
}

impl Exposed {
    /// The mode it must have.
    pub fn wanted(&self) -> u32 {
        if self.is_dir { 0o700 } else { 0o600 }
    }

    pub fn problem(&self) -> String {
        format!(
            "{} can hold secrets and is {} by others (mode {:04o})",
            self.shown,
            if self.mode & 0o002 != 0 {
                "writable"
            } else {
                "readable"
            },
            self.mode & 0o7777
        )
    }

    /// The command that fixes it.
    pub fn fix(&self) -> String {
        format!("chmod {:o} {}", self.wanted(), self.shown)
    }

    /// Makes it its owner's alone.
    pub fn repair(&self) -> std::io::Result<()> {
        std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(self.wanted()))
    }
}

/// Whether `name` (in `terraform/`) is Terraform's state, a backup of it,
/// or a saved plan.
fn is_secret_file(name: &str) -> bool {
    name.contains(".tfstate") || name.ends_with(".tfplan") || name == "tfplan"
}

/// Every file and folder under `root` that can hold a secret and that
/// others can read or write.
pub fn survey(root: &Utf8Path) -> Vec<Exposed> {
    let mut found = Vec::new();
    let mut check = |path: Utf8PathBuf| {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return;
        };
        if meta.file_type().is_symlink() {
            return;
        }
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            found.push(Exposed {
                shown: path
                    .strip_prefix(root)
                    .map_or_else(|_| path.clone(), Utf8Path::to_path_buf),
                path,
                mode,
                is_dir: meta.is_dir(),
            });
        }
    };
    let terraform = root.join(TERRAFORM_DIR);
    let entries = read_dir(&terraform);
    // The module's folder holds local state beside it: private when it does.
    if entries
        .iter()
        .any(|p| p.file_name().is_some_and(|n| n.contains(".tfstate")))
    {
        check(terraform.clone());
    }
    // Its secret files (the workspaces' folder is checked below, once).
    for entry in entries.into_iter().filter(|e| !e.is_dir()) {
        if is_secret_file(entry.file_name().unwrap_or("")) {
            check(entry);
        }
    }
    // Workspaces keep their state in terraform.tfstate.d/<name>/.
    let workspaces = terraform.join("terraform.tfstate.d");
    if workspaces.is_dir() {
        check(workspaces.clone());
        walk(&workspaces, &mut check);
    }
    for dir in [terraform.join(".terraform"), root.join(DEPLOY_DIR)] {
        if dir.is_dir() {
            check(dir.clone());
            // .terraform/ holds provider binaries too: only its state (the
            // backend's settings) is a secret's place.
            if dir.ends_with(".terraform") {
                check(dir.join("terraform.tfstate"));
            } else {
                walk(&dir, &mut check);
            }
        }
    }
    found
}

fn read_dir(dir: &Utf8Path) -> Vec<Utf8PathBuf> {
    let Ok(entries) = dir.read_dir_utf8() else {
        return Vec::new();
    };
    let mut paths: Vec<Utf8PathBuf> = entries.flatten().map(|e| e.path().to_path_buf()).collect();
    paths.sort();
    paths
}

fn walk(dir: &Utf8Path, check: &mut impl FnMut(Utf8PathBuf)) {
    for path in read_dir(dir) {
        let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        check(path.clone());
        if is_dir {
            walk(&path, check);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_repairs_what_others_can_read() {
        let root = Utf8PathBuf::from_path_buf(std::env::temp_dir())
            .unwrap()
            .join(format!("e3-secrets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mode = |p: &Utf8Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        std::fs::create_dir_all(root.join("terraform/.terraform/providers")).unwrap();
        std::fs::create_dir_all(root.join(".e3/deploy")).unwrap();
        for (file, m) in [
            ("terraform/terraform.tfstate", 0o644),
            ("terraform/terraform.tfstate.backup", 0o600),
            ("terraform/main.tf", 0o644),
            ("terraform/.terraform/terraform.tfstate", 0o640),
            ("terraform/.terraform/providers/binary", 0o755),
            (".e3/deploy/e3.tfplan", 0o666),
            (".e3/deploy/known_hosts", 0o600),
        ] {
            std::fs::write(root.join(file), "x").unwrap();
            mode(&root.join(file), m);
        }
        mode(&root.join("terraform/.terraform"), 0o755);
        mode(&root.join("terraform"), 0o700);
        mode(&root.join(".e3/deploy"), 0o700);
        let found = survey(&root);
        let shown: Vec<(String, u32)> = found
            .iter()
            .map(|f| (f.shown.to_string(), f.mode))
            .collect();
        assert_eq!(
            shown,
            [
                ("terraform/terraform.tfstate".to_string(), 0o644),
                ("terraform/.terraform".to_string(), 0o755),
                ("terraform/.terraform/terraform.tfstate".to_string(), 0o640),
                (".e3/deploy/e3.tfplan".to_string(), 0o666),
            ]
        );
        assert_eq!(
            found[0].problem(),
            "terraform/terraform.tfstate can hold secrets and is readable by others (mode 0644)"
        );
        assert_eq!(found[0].fix(), "chmod 600 terraform/terraform.tfstate");
        assert_eq!(found[1].fix(), "chmod 700 terraform/.terraform");
        assert!(
            found[3]
                .problem()
                .contains("writable by others (mode 0666)")
        );
        for f in &found {
            f.repair().unwrap();
        }
        assert!(survey(&root).is_empty());
        // The module's folder, once state is in it.
        mode(&root.join("terraform"), 0o755);
        assert_eq!(survey(&root)[0].fix(), "chmod 700 terraform");
        mode(&root.join("terraform"), 0o700);
        // A workspace's state folder open to others: named once.
        std::fs::create_dir_all(root.join("terraform/terraform.tfstate.d/dev")).unwrap();
        mode(&root.join("terraform/terraform.tfstate.d"), 0o755);
        mode(&root.join("terraform/terraform.tfstate.d/dev"), 0o700);
        let shown: Vec<String> = survey(&root).iter().map(|f| f.shown.to_string()).collect();
        assert_eq!(shown, ["terraform/terraform.tfstate.d"]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
