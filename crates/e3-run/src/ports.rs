//! Free local ports for a run, reserved so that two e3 runs at once on this
//! machine never pick the same ones.
//!
//! A port is taken when a listener can bind it (nobody else uses it) and e3
//! holds a lock file for it in the temp folder (no other e3 run has it). The
//! locks go with the returned [`Reservation`], or with e3's process.

use std::fmt;
use std::net::{Ipv4Addr, TcpListener};

use camino::{Utf8Path, Utf8PathBuf};
use e3_exec::{ExecError, FileLock};

/// Ports `first..first + count`, held until dropped.
#[derive(Debug)]
pub struct Reservation {
    pub first: u16,
    _locks: Vec<FileLock>,
}

/// Why no ports could be reserved.
#[derive(Debug)]
pub enum PortsError {
    /// `base + count` goes past the last port.
    NoRoom { base: u16, count: usize },
    /// Every range from `base` up is taken somewhere.
    NoneFree { base: u16, count: usize },
    /// A lock file could not be made.
    Lock(ExecError),
}

impl fmt::Display for PortsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortsError::NoRoom { base, count } => write!(
                f,
                "port {base} leaves no room for {count} ports below 65536"
            ),
            PortsError::NoneFree { base, count } => write!(
                f,
                "no {count} consecutive free ports between {base} and 65535"
            ),
            PortsError::Lock(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for PortsError {}

/// Finds `count` consecutive free ports, starting the search at `base`.
pub fn reserve(base: u16, count: usize) -> Result<Reservation, PortsError> {
    let last_possible = usize::from(u16::MAX) + 1 - count;
    if usize::from(base) > last_possible {
        return Err(PortsError::NoRoom { base, count });
    }
    let lock_dir = Utf8PathBuf::from_path_buf(std::env::temp_dir())
        .unwrap_or_else(|_| Utf8PathBuf::from("/tmp"))
        .join("e3-ports");
    let mut first = usize::from(base);
    while first <= last_possible {
        match try_range(&lock_dir, first, count).map_err(PortsError::Lock)? {
            Ok(locks) => {
                return Ok(Reservation {
                    first: first as u16,
                    _locks: locks,
                });
            }
            // Start again past the port that is taken.
            Err(taken) => first = taken + 1,
        }
    }
    Err(PortsError::NoneFree { base, count })
}

/// Locks for every port of `first..first + count`, or the first taken port.
fn try_range(
    lock_dir: &Utf8Path,
    first: usize,
    count: usize,
) -> Result<Result<Vec<FileLock>, usize>, ExecError> {
    let mut locks = Vec::with_capacity(count);
    for port in first..first + count {
        match FileLock::try_acquire(&lock_dir.join(format!("{port}.lock")))? {
            Some(lock) if is_free(port as u16) => locks.push(lock),
            _ => return Ok(Err(port)),
        }
    }
    Ok(Ok(locks))
}

/// Whether a listener could bind the port on every interface, as MPyC does.
fn is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_taken_ports_and_other_reservations() {
        let first = reserve(20000, 3).unwrap();
        // The same range is held by `first`, so the next run gets another.
        let second = reserve(first.first, 3).unwrap();
        assert!(
            second.first >= first.first + 3,
            "{} overlaps {}",
            second.first,
            first.first
        );
        // A port some other program listens on is skipped too.
        let taken = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
        let port = taken.local_addr().unwrap().port();
        if port < 65000 {
            let third = reserve(port, 2).unwrap();
            assert!(third.first > port);
        }
        assert!(matches!(
            reserve(65535, 2),
            Err(PortsError::NoRoom {
                base: 65535,
                count: 2
            })
        ));
    }
}
