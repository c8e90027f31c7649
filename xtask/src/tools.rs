//! External tools: found with `which` before any plan runs.
//!
//! With `--dry-run`, what this machine lacks for the real run (a tool, a
//! current Nix, root, a deploy record, the Python environment) is a warning
//! above the plan, not an error: the plan is what a newcomer wants to see,
//! on the machine they have. What the user wrote wrong stays an error.

use std::sync::atomic::{AtomicBool, Ordering};

use camino::Utf8PathBuf;

use crate::error::{Result, usage};

static DRY_RUN: AtomicBool = AtomicBool::new(false);

/// Set once by `main` from the global `--dry-run`.
pub fn set_dry_run(on: bool) {
    DRY_RUN.store(on, Ordering::SeqCst);
}

/// Whether this is a `--dry-run`.
pub fn dry_run() -> bool {
    DRY_RUN.load(Ordering::SeqCst)
}

/// The absolute path of a program name on PATH (or of a path, checked).
pub fn find(name: &str) -> Result<Utf8PathBuf, which::Error> {
    let path = which::which(name)?;
    Utf8PathBuf::from_path_buf(path).map_err(|_| which::Error::CannotCanonicalize)
}

/// Like [`find`], but a missing tool is a usage error saying how to install
/// it; with `--dry-run`, a warning, and the plan names the tool by its name.
pub fn require(name: &str, install: &str) -> Result<Utf8PathBuf> {
    match find(name) {
        Ok(path) => Ok(path),
        Err(_) => {
            lacking(Err(
                usage(format!("`{name}` was not found on PATH")).hint(install.to_string())
            ))?;
            Ok(Utf8PathBuf::from(name))
        }
    }
}

/// A check of something this machine may lack for the real run: its error,
/// or with `--dry-run` a warning (and `Ok`, so that the plan is still shown).
pub fn lacking(check: Result<()>) -> Result<()> {
    match check {
        Err(err) if dry_run() => {
            warn(&err.message, &err.hints.join("; "));
            Ok(())
        }
        other => other,
    }
}

/// One warning line on stderr, above the plan on stdout.
pub fn warn(what: &str, fix: &str) {
    if fix.is_empty() {
        crate::out::errln!("warning: {what}");
    } else {
        crate::out::errln!("warning: {what} (fix: {fix})");
    }
}
