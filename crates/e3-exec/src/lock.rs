//! Advisory file locks (flock), released when dropped or when e3 dies.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;

use camino::{Utf8Path, Utf8PathBuf};

use crate::ExecError;

/// An exclusive lock on a file, held until dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
    path: Utf8PathBuf,
}

impl FileLock {
    /// Waits until the lock is ours.
    pub fn acquire(path: &Utf8Path) -> Result<FileLock, ExecError> {
        Self::lock(path, true, false)?.ok_or_else(|| ExecError {
            message: format!("cannot lock {path}"),
        })
    }

    /// Waits until the lock is ours to share (with others who share it:
    /// only an exclusive holder keeps it from us, and we from it).
    pub fn acquire_shared(path: &Utf8Path) -> Result<FileLock, ExecError> {
        Self::lock(path, true, true)?.ok_or_else(|| ExecError {
            message: format!("cannot lock {path}"),
        })
    }

    /// Takes the lock if nobody holds it; `None` when somebody does.
    pub fn try_acquire(path: &Utf8Path) -> Result<Option<FileLock>, ExecError> {
        Self::lock(path, false, false)
    }

    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    fn lock(path: &Utf8Path, wait: bool, shared: bool) -> Result<Option<FileLock>, ExecError> {
        let fail = |e: io::Error| ExecError {
            message: format!("cannot lock {path}: {e}"),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(fail)?;
        let kind = if shared { libc::LOCK_SH } else { libc::LOCK_EX };
        let flags = if wait { kind } else { kind | libc::LOCK_NB };
        loop {
            // SAFETY: flock on a file descriptor we own.
            if unsafe { libc::flock(file.as_raw_fd(), flags) } == 0 {
                return Ok(Some(FileLock {
                    _file: file,
                    path: path.to_path_buf(),
                }));
            }
            let err = io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EWOULDBLOCK) if !wait => return Ok(None),
                _ => return Err(fail(err)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_waits() {
        let dir = std::env::temp_dir().join(format!("e3-lock-test-{}", std::process::id()));
        let path = Utf8PathBuf::from_path_buf(dir.join("x.lock")).unwrap();
        let first = FileLock::acquire(&path).unwrap();
        assert!(FileLock::try_acquire(&path).unwrap().is_none());
        drop(first);
        // Shared by two, it is nobody's alone.
        let (a, b) = (
            FileLock::acquire_shared(&path).unwrap(),
            FileLock::acquire_shared(&path).unwrap(),
        );
        assert!(FileLock::try_acquire(&path).unwrap().is_none());
        drop((a, b));
        // A process forked by another test at that moment holds a copy of the
        // descriptor until it execs (the file is close-on-exec): retry until
        // it has (the deadline only ends a test that would otherwise hang).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while FileLock::try_acquire(&path).unwrap().is_none() {
            assert!(
                std::time::Instant::now() < deadline,
                "the lock was not released"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
