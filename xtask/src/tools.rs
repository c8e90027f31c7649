//! External tools: found with `which` before any plan runs.

use camino::Utf8PathBuf;

use crate::error::{Result, usage};

/// The absolute path of a program name on PATH (or of a path, checked).
pub fn find(name: &str) -> Result<Utf8PathBuf, which::Error> {
    let path = which::which(name)?;
    Utf8PathBuf::from_path_buf(path).map_err(|_| which::Error::CannotCanonicalize)
}

/// Like [`find`], but a missing tool is a usage error saying how to install it.
pub fn require(name: &str, install: &str) -> Result<Utf8PathBuf> {
    find(name)
        .map_err(|_| usage(format!("`{name}` was not found on PATH")).hint(install.to_string()))
}
