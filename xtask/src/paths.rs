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

/// How many files are under `dir` (skipping what sync skips), counting no
/// further than `limit`.
pub fn count_files(dir: &Utf8Path, limit: usize) -> usize {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = dir.read_dir_utf8() else {
            continue;
        };
        for entry in entries.flatten() {
            if matches!(entry.file_name(), "__pycache__" | ".git" | "logs") {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path().to_path_buf()),
                _ => count += 1,
            }
            if count > limit {
                return count;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_files_up_to_a_limit_skipping_caches() {
        let dir = std::env::temp_dir().join(format!("e3-count-{}", std::process::id()));
        let dir = Utf8PathBuf::from_path_buf(dir).unwrap();
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::create_dir_all(dir.join("__pycache__")).unwrap();
        for name in [
            "a.py",
            "b.py",
            "sub/c.py",
            "sub/d.txt",
            "__pycache__/a.pyc",
            "__pycache__/b.pyc",
        ] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        assert_eq!(count_files(&dir, 100), 4);
        assert_eq!(count_files(&dir, 2), 3, "stops counting past the limit");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
