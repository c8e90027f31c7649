//! Paths as the user gave them (relative to where they ran `cargo xtask`)
//! and as e3 shows them (relative to the workspace root when inside it).

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::{Context, Result, usage};

/// Where the user ran the command; relative paths in flags start here.
pub fn current_dir() -> Result<Utf8PathBuf> {
    let dir =
        std::env::current_dir().context(|| "cannot read the current directory".to_string())?;
    Utf8PathBuf::from_path_buf(dir).map_err(|p| {
        usage(format!(
            "the current directory {} is not UTF-8",
            p.display()
        ))
    })
}

/// `path` relative to `root` when it is inside it.
pub fn relative_to(root: &Utf8Path, path: &Utf8Path) -> Utf8PathBuf {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_str().is_empty() => ".".into(),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => path.to_path_buf(),
    }
}
