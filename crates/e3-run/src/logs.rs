//! `logs/<run-id>/` folders and the `logs/latest` link.

use std::io::ErrorKind;

use camino::{Utf8Path, Utf8PathBuf};
use jiff::Timestamp;

use crate::engine::RunError;

/// A new, empty folder for one run's logs: `logs/20261123-195300-secretsanta`
/// (with `-2`, `-3`, ... when two runs start in the same second).
pub fn new_run_dir(
    root: &Utf8Path,
    started: Timestamp,
    program: &str,
) -> Result<(String, Utf8PathBuf), RunError> {
    new_dated_dir(&root.join("logs"), started, program)
        .map_err(|(dir, e)| RunError::io(format!("cannot create {dir}"), e))
}

/// A new, empty folder `<parent>/<UTC time>-<name>`, the name made safe
/// for paths (with `-2`, `-3`, ... when two start in the same second), and
/// `parent` made if need be. Returns its id and path, or the folder it could
/// not make and why. UTC, so ids sort by time wherever they were made.
pub fn new_dated_dir(
    parent: &Utf8Path,
    started: Timestamp,
    name: &str,
) -> Result<(String, Utf8PathBuf), (Utf8PathBuf, std::io::Error)> {
    std::fs::create_dir_all(parent).map_err(|e| (parent.to_path_buf(), e))?;
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let base = format!("{}-{stem}", started.strftime("%Y%m%d-%H%M%S"));
    for n in 1.. {
        let id = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let dir = parent.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((id, dir)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err((dir, e)),
        }
    }
    unreachable!("some id is free")
}

/// Points `logs/latest` at the run, replacing the old link in one step.
pub fn link_latest(root: &Utf8Path, id: &str) -> Result<(), RunError> {
    link_latest_in(&root.join("logs"), id).map_err(|(what, e)| RunError::io(what, e))
}

/// Points `<parent>/latest` at `<parent>/<id>` (a relative link, so the
/// folder can move), replacing the old link in one step. Returns what it
/// could not do and why.
pub fn link_latest_in(parent: &Utf8Path, id: &str) -> Result<(), (String, std::io::Error)> {
    let tmp = parent.join(format!(".latest-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(id, &tmp).map_err(|e| (format!("cannot create {tmp}"), e))?;
    std::fs::rename(&tmp, parent.join("latest"))
        .map_err(|e| (format!("cannot update {parent}/latest"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_latest_follows() {
        let root = Utf8PathBuf::from_path_buf(
            std::env::temp_dir().join(format!("e3-logs-{}", std::process::id())),
        )
        .unwrap();
        let at = Timestamp::from_second(1_795_463_580).unwrap();
        let (a, _) = new_run_dir(&root, at, "my prog.py").unwrap();
        let (b, _) = new_run_dir(&root, at, "my prog.py").unwrap();
        assert_eq!(a, "20261123-195300-my_prog_py");
        assert_eq!(b, "20261123-195300-my_prog_py-2");
        link_latest(&root, &a).unwrap();
        link_latest(&root, &b).unwrap();
        assert_eq!(
            std::fs::read_link(root.join("logs/latest"))
                .unwrap()
                .to_str(),
            Some(b.as_str())
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
