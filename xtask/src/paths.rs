//! Paths as the user gave them (relative to where they ran `cargo xtask`)
//! and as e3 shows them (relative to the workspace root when inside it).

use camino::{Utf8Path, Utf8PathBuf};
pub use e3_plan::relative_to;

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

/// A folder or file the user named with `flag`, relative to `cwd`; a usage
/// error naming the flag when it is not there (or not of that kind).
pub fn given(
    cwd: &Utf8Path,
    path: Option<&str>,
    flag: &str,
    want_dir: bool,
) -> Result<Option<Utf8PathBuf>> {
    let Some(path) = path else { return Ok(None) };
    let full = cwd.join(path);
    let (found, kind) = if want_dir {
        (full.is_dir(), "folder")
    } else {
        (full.is_file(), "file")
    };
    if !found {
        return Err(usage(format!("{flag} {kind} `{path}` does not exist")));
    }
    Ok(Some(full))
}
