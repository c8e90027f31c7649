//! Master connections kept between runs (ssh's `ControlPersist`, as Ansible
//! keeps its own): a run to hosts that an earlier run reached within the
//! last minutes skips the key exchange with each of them (66 ms of CPU a
//! host with OpenSSH 9's default `sntrup761x25519`, on both ends).
//!
//! The masters of one way of reaching hosts (the ssh program, its config
//! file and what it says, the user, the known_hosts file) share a folder,
//! [`dir_for`]: `/tmp/e3-ssh-<uid>/<key>/`, a socket per host (`%C`, ssh's
//! own hash of host, port and user). Another config, key or known_hosts
//! file is another folder, so a master is only reused by a run that would
//! have opened the same one. Each folder says what it is for in a file
//! ([`KeptFor`]), so that `testnet down`, `deploy` and `destroy` close the
//! masters to the hosts they take away, and `disconnect` those no run is
//! using ([`close`]; a run holds [`USE_FILE`] shared until it ends).
//!
//! A master closes itself once it has been unused for its `ControlPersist`
//! seconds, or when its host stops answering (ssh's keepalives).

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::Cmd;
use sha2::{Digest, Sha256};

/// The file in a kept folder that says what its masters are for.
pub const FOR_FILE: &str = "for";
/// The lock a run holds while it opens masters in a kept folder: two runs
/// that open the same host's master at once would leave the loser's ssh
/// running without multiplexing.
pub const LOCK_FILE: &str = "lock";
/// The lock every run using a kept folder's masters holds, shared, from
/// its connect to its end: `disconnect` leaves such a folder open.
pub const USE_FILE: &str = "use";

/// `/tmp/e3-ssh-<uid>`: every kept folder of this user. Short, as sockets'
/// paths must be (about 100 bytes).
pub fn root() -> Utf8PathBuf {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    Utf8PathBuf::from(format!("/tmp/e3-ssh-{uid}"))
}

/// What a kept folder's masters were opened with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeptFor {
    pub config: Option<Utf8PathBuf>,
    pub known_hosts: Option<Utf8PathBuf>,
}

impl KeptFor {
    fn render(&self) -> String {
        let line = |key: &str, path: &Option<Utf8PathBuf>| {
            path.as_ref()
                .map_or(String::new(), |p| format!("{key} {p}\n"))
        };
        format!(
            "{}{}",
            line("config", &self.config),
            line("known_hosts", &self.known_hosts)
        )
    }

    fn parse(text: &str) -> KeptFor {
        let mut kept = KeptFor::default();
        for line in text.lines() {
            match line.split_once(' ') {
                Some(("config", path)) => kept.config = Some(path.into()),
                Some(("known_hosts", path)) => kept.known_hosts = Some(path.into()),
                _ => {}
            }
        }
        kept
    }

    /// Writes the folder's [`FOR_FILE`].
    pub fn write(&self, dir: &Utf8Path) -> std::io::Result<()> {
        std::fs::write(dir.join(FOR_FILE), self.render())
    }
}

/// Why masters cannot be kept.
#[derive(Debug, PartialEq, Eq)]
pub struct KeptError {
    pub message: String,
}

/// The kept folder for masters opened by `ssh` with `config` (`-F`),
/// `user` and `known_hosts`; under [`root`], which must be this user's
/// alone if it is there (a folder another user made could hand e3 their
/// sockets). Reads the config files, makes nothing.
pub fn dir_for(
    ssh: &Utf8Path,
    config: Option<&Utf8Path>,
    user: Option<&str>,
    known_hosts: Option<&Utf8Path>,
) -> Result<Utf8PathBuf, KeptError> {
    let root = root();
    check_root(&root)?;
    Ok(root.join(key(ssh, config, user, known_hosts)))
}

/// Makes `dir` (and [`root`]) as `mkdir -p -m 700` would.
pub fn make_dir(dir: &Utf8Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Refuses a [`root`] that is not this user's alone: a folder another user
/// made could hand e3 their sockets.
pub fn check_root(root: &Utf8Path) -> Result<(), KeptError> {
    let meta = match std::fs::symlink_metadata(root) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(KeptError {
                message: format!("cannot read {root}: {e}"),
            });
        }
    };
    // SAFETY: as in `root`.
    let uid = unsafe { libc::getuid() };
    let mode = meta.permissions().mode();
    if !meta.is_dir() || meta.uid() != uid || mode & 0o077 != 0 {
        return Err(KeptError {
            message: format!(
                "{root} is not a folder of this user's alone (owner {}, mode {:o}): \
                 e3 keeps its ssh connections there",
                meta.uid(),
                mode & 0o7777
            ),
        });
    }
    Ok(())
}

/// 16 hex digits of a hash of everything that makes a master what it is,
/// config files' contents included (a changed `IdentityFile` is another
/// master). Without `-F`, ssh reads the user's and the system's config.
fn key(
    ssh: &Utf8Path,
    config: Option<&Utf8Path>,
    user: Option<&str>,
    known_hosts: Option<&Utf8Path>,
) -> String {
    let mut hash = Sha256::new();
    let mut part = |name: &str, value: &[u8]| {
        hash.update(name.as_bytes());
        hash.update((value.len() as u64).to_le_bytes());
        hash.update(value);
    };
    part("ssh", ssh.as_str().as_bytes());
    let files: Vec<Utf8PathBuf> = match config {
        Some(config) => vec![config.to_path_buf()],
        None => {
            let home = std::env::var("HOME").unwrap_or_default();
            vec![
                Utf8PathBuf::from(home).join(".ssh/config"),
                "/etc/ssh/ssh_config".into(),
            ]
        }
    };
    for file in &files {
        part("config", file.as_str().as_bytes());
        part("text", &std::fs::read(file).unwrap_or_default());
    }
    part("user", user.unwrap_or("").as_bytes());
    part(
        "known_hosts",
        known_hosts.map_or("", |k| k.as_str()).as_bytes(),
    );
    hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A kept folder found on this machine: what it is for, its sockets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folder {
    pub dir: Utf8PathBuf,
    pub kept_for: KeptFor,
    pub sockets: Vec<Utf8PathBuf>,
}

/// The kept folders under [`root`] (refused, as [`dir_for`] refuses it, if
/// it is not this user's alone), in name order.
pub fn folders() -> Result<Vec<Folder>, KeptError> {
    let root = root();
    check_root(&root)?;
    Ok(folders_under(&root))
}

fn folders_under(root: &Utf8Path) -> Vec<Folder> {
    let mut found: Vec<Folder> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let dir = Utf8PathBuf::from_path_buf(entry.path()).ok()?;
            let text = std::fs::read_to_string(dir.join(FOR_FILE)).ok()?;
            let mut sockets: Vec<Utf8PathBuf> = self::sockets(&dir)
                .into_iter()
                .map(|(path, _)| path)
                .collect();
            sockets.sort();
            Some(Folder {
                dir,
                kept_for: KeptFor::parse(&text),
                sockets,
            })
        })
        .collect();
    found.sort_by(|a, b| a.dir.cmp(&b.dir));
    found
}

/// What [`close`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Closed {
    /// Masters asked to exit (and gone).
    pub closed: usize,
    /// Folders left open because a run was using their masters (only
    /// without `force`).
    pub in_use: Vec<Folder>,
}

/// Closes every kept master of the folders `closes` picks (`ssh -O exit`
/// on each socket: the master says goodbye to its host, and is waited for),
/// and removes those folders. A folder whose masters a run is using (it
/// holds [`USE_FILE`] shared) is left alone, unless `force` (its hosts are
/// going away: the run fails with them anyway). What cannot be closed
/// closes itself (unused, or its host gone).
pub fn close(
    ssh: &Utf8Path,
    closes: impl Fn(&KeptFor) -> bool,
    force: bool,
) -> Result<Closed, KeptError> {
    let root = root();
    check_root(&root)?;
    Ok(close_under(&root, ssh, closes, force))
}

fn close_under(
    root: &Utf8Path,
    ssh: &Utf8Path,
    closes: impl Fn(&KeptFor) -> bool,
    force: bool,
) -> Closed {
    let mut done = Closed::default();
    for folder in folders_under(root) {
        if !closes(&folder.kept_for) {
            continue;
        }
        // Held while closing, so that no run opens a master here meanwhile.
        let _lock = e3_exec::FileLock::acquire(&folder.dir.join(LOCK_FILE));
        let unused = e3_exec::FileLock::try_acquire(&folder.dir.join(USE_FILE))
            .ok()
            .flatten();
        if unused.is_none() && !force {
            done.in_use.push(folder);
            continue;
        }
        for socket in &folder.sockets {
            let pid = e3_exec::capture(&master_cmd(ssh, socket, "check"))
                .ok()
                .and_then(|said| master_pid(&said.stderr));
            // Captured: ssh says "Exit request sent." for each.
            if e3_exec::capture(&master_cmd(ssh, socket, "exit")).is_ok_and(|o| o.end.success()) {
                done.closed += 1;
                // The master answers, then ends: gone when this returns.
                if let Some(pid) = pid {
                    wait_gone(pid, std::time::Duration::from_secs(30));
                }
            }
        }
        let _ = std::fs::remove_dir_all(&folder.dir);
    }
    done
}

/// The commands [`close`] runs for a socket, for `--dry-run`.
pub fn close_commands(ssh: &Utf8Path, socket: &Utf8Path) -> [Cmd; 2] {
    [
        master_cmd(ssh, socket, "check"),
        master_cmd(ssh, socket, "exit"),
    ]
}

/// `ssh -O <what>` (`check`, `exit`) to the master listening on `socket`
/// (the host name is ssh's syntax only: `-S` says where the master is).
fn master_cmd(ssh: &Utf8Path, socket: &Utf8Path, what: &str) -> Cmd {
    Cmd::new(ssh)
        .arg("-S")
        .arg(socket)
        .args(["-O", what, "e3-kept"])
}

/// The master's pid, from what `ssh -O check` says: `Master running
/// (pid=4242)`.
fn master_pid(said: &str) -> Option<u32> {
    let rest = &said[said.find("Master running (pid=")? + "Master running (pid=".len()..];
    rest[..rest.find(')')?].parse().ok()
}

/// Waits until process `pid` (not a child of ours) has ended, or `limit`
/// has passed: a pidfd becomes readable when its process ends.
fn wait_gone(pid: u32, limit: std::time::Duration) {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd (or -1).
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return; // gone already (ESRCH), or no pidfds here.
    }
    let fd = fd as libc::c_int;
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(limit.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: one pollfd that lives across the call; the fd is ours to close.
    unsafe {
        while libc::poll(&mut poll, 1, ms) < 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
        {}
        libc::close(fd);
    }
}

/// The sockets in a kept folder, by path and inode (a socket made anew
/// for a dead master's has the same path, not the same inode).
pub fn sockets(dir: &Utf8Path) -> std::collections::HashSet<(Utf8PathBuf, u64)> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let meta = entry.metadata().ok()?;
            let path = Utf8PathBuf::from_path_buf(entry.path()).ok()?;
            meta.file_type().is_socket().then(|| (path, meta.ino()))
        })
        .collect()
}

/// Whether two paths name one file (either may be gone: then by name).
pub fn same_file(a: &Utf8Path, b: &Utf8Path) -> bool {
    match (a.canonicalize_utf8(), b.canonicalize_utf8()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> Utf8PathBuf {
        let dir = std::env::temp_dir().join(format!("e3-kept-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Utf8PathBuf::from_path_buf(dir).unwrap()
    }

    /// A master is reused only by runs that would open the same one: the
    /// same ssh, config text, user and known_hosts file. A config whose
    /// text changes (a new IdentityFile) is another folder.
    #[test]
    fn the_folder_follows_everything_a_master_is_made_of() {
        let dir = scratch("key");
        let config = dir.join("ssh_config");
        std::fs::write(&config, "Host *\n  IdentityFile /k1\n").unwrap();
        let ssh = Utf8Path::new("/usr/bin/ssh");
        let known = dir.join("known_hosts");
        let base = key(ssh, Some(&config), None, None);
        assert_eq!(base.len(), 16);
        assert!(base.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(base, key(ssh, Some(&config), None, None), "stable");
        let others = [
            key("/usr/local/bin/ssh".into(), Some(&config), None, None),
            key(ssh, Some(&config), Some("alice"), None),
            key(ssh, Some(&config), None, Some(&known)),
            key(ssh, None, None, None),
        ];
        for other in &others {
            assert_ne!(&base, other);
        }
        std::fs::write(&config, "Host *\n  IdentityFile /k2\n").unwrap();
        assert_ne!(base, key(ssh, Some(&config), None, None), "new text");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn what_a_folder_is_for_reads_back() {
        for kept in [
            KeptFor::default(),
            KeptFor {
                config: Some("/tmp/bed/ssh_config".into()),
                known_hosts: None,
            },
            KeptFor {
                config: Some("/a b/ssh_config".into()),
                known_hosts: Some("/w/.e3/deploy/known_hosts".into()),
            },
        ] {
            assert_eq!(KeptFor::parse(&kept.render()), kept);
        }
    }

    /// A root that is not this user's alone is refused, naming it; one that
    /// is, or none yet, is taken.
    #[test]
    fn a_root_open_to_others_is_refused() {
        let dir = scratch("root");
        assert_eq!(check_root(&dir.join("none")), Ok(()));
        let root = dir.join("root");
        std::fs::create_dir(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(check_root(&root), Ok(()));
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = check_root(&root).unwrap_err();
        assert!(err.message.contains(root.as_str()), "{}", err.message);
        assert!(err.message.contains("mode 777"), "{}", err.message);
        let file = dir.join("file");
        std::fs::write(&file, "").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(check_root(&file).is_err(), "a file is not a folder");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn closing_a_master_is_ssh_o_exit_on_its_socket() {
        assert_eq!(
            master_cmd("/usr/bin/ssh".into(), "/tmp/e3-ssh-0/ab/cd".into(), "exit").render(),
            "/usr/bin/ssh -S /tmp/e3-ssh-0/ab/cd -O exit e3-kept"
        );
        assert_eq!(master_pid("Master running (pid=4242)\r\n"), Some(4242));
        assert_eq!(master_pid("Control socket connect(/x): No such file"), None);
    }

    /// `close` picks folders by what they are for, leaves one a run is
    /// using (unless forced), asks each socket's master to exit (here
    /// `true` stands in for ssh and says yes), counts those, and removes
    /// the folders it closed, and only those.
    #[test]
    fn closing_picks_folders_by_what_they_are_for() {
        let root = scratch("close");
        let folder = |name: &str, config: &str| {
            let dir = root.join(name);
            std::fs::create_dir(&dir).unwrap();
            KeptFor {
                config: Some(config.into()),
                known_hosts: None,
            }
            .write(&dir)
            .unwrap();
            // A socket file, as a master's (nobody listens: `true` answers).
            drop(std::os::unix::net::UnixListener::bind(dir.join("c0ffee")).unwrap());
            std::fs::write(dir.join("root_a.log"), "").unwrap();
            dir
        };
        let (a, b) = (
            folder("a", "/bed-a/ssh_config"),
            folder("b", "/bed-b/ssh_config"),
        );
        assert_eq!(
            folders_under(&root)
                .iter()
                .map(|f| (f.dir.clone(), f.sockets.len()))
                .collect::<Vec<_>>(),
            [(a.clone(), 1), (b.clone(), 1)],
            "the log and the `for` file are no sockets"
        );
        let bed_a =
            |kept: &KeptFor| kept.config.as_deref() == Some(Utf8Path::new("/bed-a/ssh_config"));
        // In use by a run: left open, unless forced.
        let run = e3_exec::FileLock::acquire_shared(&a.join(USE_FILE)).unwrap();
        let done = close_under(&root, "/bin/true".into(), bed_a, false);
        assert_eq!((done.closed, done.in_use.len()), (0, 1));
        assert!(a.exists());
        let done = close_under(&root, "/bin/true".into(), bed_a, true);
        drop(run);
        assert_eq!(
            done,
            Closed {
                closed: 1,
                in_use: Vec::new()
            }
        );
        assert!(!a.exists());
        assert!(b.join("c0ffee").exists());
        assert_eq!(
            close_under(&root, "/bin/false".into(), |_| true, false).closed,
            0
        );
        assert!(
            !b.exists(),
            "removed even when its master could not be asked"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// `wait_gone` returns once a process that is not its child has ended
    /// (here: a grandchild, through a shell that does not wait for it).
    #[test]
    fn waiting_for_a_process_that_is_not_a_child() {
        let out = std::process::Command::new("sh")
            .args(["-c", "sleep 0.3 & echo $!"])
            .output()
            .unwrap();
        let pid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        wait_gone(pid, std::time::Duration::from_secs(600));
        // Ended: gone, or a zombie until whoever adopted it reaps it.
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]);
        assert!(matches!(state, None | Some("Z" | "X")), "{stat}");
    }
}
