//! The warm start (docs/warm-start.md): one Python process, started before
//! the parties, loads numpy, gmpy2, asyncio and the standard library once
//! (`warm.py`), then forks every party. Each party still looks like a
//! process of its own to the executor: e3 starts a tiny launcher per party
//! (a hidden subcommand of the xtask binary), which asks the warm start for
//! its party, lends it its stdin, stdout and stderr, forwards stop signals
//! to it, and ends as it ends. So a party's output, exit status, stopping,
//! timeout and Ctrl-C work as for a cold party.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::Cmd;
use serde_json::json;

/// The warm start's Python: written to [`SCRIPT_PATH`] before it starts.
pub const SCRIPT: &str = include_str!("warm.py");
/// Where the script goes, relative to the workspace root.
pub const SCRIPT_PATH: &str = ".e3/warm.py";
/// The line the warm start prints once it has loaded everything.
pub const READY: &str = "e3-warm ready";
/// The launcher's subcommand of the xtask binary.
pub const LAUNCHER_SUBCOMMAND: &str = "warm-party";

/// How a run starts its parties warm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warm {
    /// The program that runs [`launch`] as [`LAUNCHER_SUBCOMMAND`].
    pub launcher: Utf8PathBuf,
    /// Where the warm start listens.
    pub socket: Utf8PathBuf,
}

impl Warm {
    /// A socket path of its own for each run (short: such paths are
    /// limited to about 100 bytes). Sockets left by e3 runs that were
    /// killed (and so could not remove theirs) are removed.
    pub fn new(launcher: Utf8PathBuf) -> Warm {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = Utf8PathBuf::from_path_buf(std::env::temp_dir())
            .unwrap_or_else(|_| Utf8PathBuf::from("/tmp"));
        for entry in dir.read_dir_utf8().into_iter().flatten().flatten() {
            let stale = entry
                .file_name()
                .strip_prefix("e3-warm-")
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| !Utf8Path::new("/proc").join(pid.to_string()).exists());
            if stale && entry.file_name().ends_with(".sock") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Warm {
            launcher,
            socket: dir.join(format!("e3-warm-{}-{n}.sock", std::process::id())),
        }
    }

    /// `python -u .e3/warm.py SOCKET PROGRAM ARGS`: the program and its
    /// arguments say in `ps` what the process serves, and, every party of a
    /// local run having the same, let it load MPyC as they would
    /// (`E3_WARM_PRELOAD`; all but `mpyc.runtime`, which is each party's).
    pub fn zygote(&self, python: &Utf8Path, program: &str, args: &[String]) -> Cmd {
        Cmd::new(python)
            .env("E3_WARM_PRELOAD", "1")
            .args(["-u", SCRIPT_PATH])
            .arg(&self.socket)
            .arg(program)
            .args(args)
    }

    /// A party's launcher: `xtask warm-party --socket SOCKET -- ARGV`.
    pub fn launcher(&self, argv: Vec<String>) -> Cmd {
        Cmd::new(&self.launcher)
            .args([LAUNCHER_SUBCOMMAND, "--socket"])
            .arg(&self.socket)
            .arg("--")
            .args(argv)
    }
}

/// Where the warm start's script goes on a host, relative to the ssh
/// user's home (the same path as [`SCRIPT_PATH`] in the workspace).
pub const REMOTE_SCRIPT: &str = SCRIPT_PATH;

/// How a run on hosts starts its parties warm: one warm start per host
/// (its script copied there first), and each party's launcher is that same
/// script in its light mode (`--launch`), since hosts have no e3 binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteWarm {
    /// The rsync that copies the script to the hosts.
    pub rsync: Utf8PathBuf,
    /// The sockets' common start: host `i` listens at `{base}-{i}.sock`
    /// (hosts may share a /tmp: several testbed hosts on one machine do).
    pub base: String,
}

/// A name of its own for a run's folder on hosts that runs from other
/// machines (or other e3 processes) may share: random, 16 hex digits.
pub(crate) fn unique_tag() -> String {
    use std::hash::{BuildHasher, Hasher};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_usize(NEXT.fetch_add(1, Ordering::SeqCst));
    format!("{:016x}", hasher.finish())
}

impl RemoteWarm {
    /// A name of its own for each run: runs from two machines at one host
    /// do not take each other's sockets.
    pub fn new(rsync: Utf8PathBuf) -> RemoteWarm {
        RemoteWarm {
            rsync,
            base: format!("/tmp/e3-warm-{}", unique_tag()),
        }
    }

    /// Host `host`'s socket (`host`: its place among the run's hosts).
    pub fn socket(&self, host: usize) -> String {
        format!("{}-{host}.sock", self.base)
    }

    /// The warm start on host `host`, as a command for its login shell
    /// (which starts in the ssh user's home, where the script is). The
    /// program is only there for `ps`.
    pub fn zygote(&self, host: usize, remote_python: &str, program: &str) -> String {
        let words: Vec<String> = [REMOTE_SCRIPT, &self.socket(host), program]
            .iter()
            .map(|a| e3_plan::quote(a))
            .collect();
        format!("exec {remote_python} -u {}", words.join(" "))
    }

    /// What runs a party on host `host` instead of `remote_python`: the
    /// script's launcher, from any folder (`~`: the shell expands it).
    pub fn launcher(&self, host: usize, remote_python: &str) -> String {
        format!(
            "{remote_python} ~/{REMOTE_SCRIPT} --launch {} --",
            e3_plan::quote(&self.socket(host))
        )
    }
}

/// How a warm party ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaunchEnd {
    Exit(i32),
    Signal(i32),
}

/// Why a launcher could not run its party.
#[derive(Debug)]
pub enum LaunchError {
    Connect {
        socket: Utf8PathBuf,
        source: std::io::Error,
    },
    /// The warm start answered something else, or went away.
    Protocol(String),
}

impl std::fmt::Display for LaunchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaunchError::Connect { socket, source } => {
                write!(f, "cannot reach the warm start at {socket}: {source}")
            }
            LaunchError::Protocol(what) => write!(f, "the warm start {what}"),
        }
    }
}

impl std::error::Error for LaunchError {}

static PENDING: AtomicI32 = AtomicI32::new(0);

extern "C" fn remember(sig: libc::c_int) {
    PENDING.store(sig, Ordering::SeqCst);
}

/// What the launcher does: asks the warm start at `socket` for a party
/// running `argv` in this process's directory and environment, with this
/// process's stdin, stdout and stderr; forwards SIGTERM, SIGINT and SIGHUP
/// to it; returns how it ended.
pub fn launch(socket: &Utf8Path, argv: &[String]) -> Result<LaunchEnd, LaunchError> {
    let connect = |source| LaunchError::Connect {
        socket: socket.to_path_buf(),
        source,
    };
    let mut stream = UnixStream::connect(socket).map_err(connect)?;
    let cwd = std::env::current_dir().map_err(connect)?;
    let env: serde_json::Map<String, serde_json::Value> = std::env::vars()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    let request = json!({
        "pid": std::process::id(),
        "cwd": cwd.to_string_lossy(),
        "env": env,
        "argv": argv,
    });
    // Signals first: a stop that comes while the party starts is not lost.
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic; the struct is zeroed
        // and its mask emptied before use.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = remember as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
    writeln!(stream, "{request}").map_err(connect)?;
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(connect)?;
    let mut reader = BufReader::new(stream);
    let mut party: Option<i32> = None;
    let mut line = String::new();
    loop {
        let sig = PENDING.swap(0, Ordering::SeqCst);
        if sig != 0
            && let Some(pid) = party
        {
            // SAFETY: kill(2) of the party the warm start forked for us.
            unsafe { libc::kill(pid, sig) };
        }
        match reader.read_line(&mut line) {
            Ok(0) => {
                return Err(LaunchError::Protocol(
                    "went away before the party ended".into(),
                ));
            }
            Ok(_) if line.ends_with('\n') => {
                let answer = std::mem::take(&mut line);
                let mut words = answer.split_whitespace();
                let (word, number) = (words.next(), words.next().and_then(|n| n.parse().ok()));
                match (word, number) {
                    (Some("started"), Some(pid)) => party = Some(pid),
                    (Some("exit"), Some(code)) => return Ok(LaunchEnd::Exit(code)),
                    (Some("signal"), Some(sig)) => return Ok(LaunchEnd::Signal(sig)),
                    _ => {
                        return Err(LaunchError::Protocol(format!(
                            "answered `{}`",
                            answer.trim()
                        )));
                    }
                }
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(LaunchError::Protocol(format!("could not be read: {e}"))),
        }
    }
}

/// Ends this process as the party ended: the same exit code, or the same
/// signal (so the executor sees the party's own end).
pub fn end_as(end: LaunchEnd) -> ! {
    match end {
        LaunchEnd::Exit(code) => std::process::exit(code),
        LaunchEnd::Signal(sig) => {
            // SAFETY: the default action, then the signal to ourselves.
            unsafe {
                libc::signal(sig, libc::SIG_DFL);
                libc::kill(libc::getpid(), sig);
            }
            std::process::exit(128 + sig)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The launcher's light mode loads nothing heavy (it runs once per
    /// party on a host) and names the socket it could not reach.
    #[test]
    fn the_light_launcher_imports_nothing_heavy() {
        let script = std::env::temp_dir().join(format!("e3-warm-light-{}.py", std::process::id()));
        std::fs::write(&script, SCRIPT).unwrap();
        let out = std::process::Command::new("python3")
            .args(["-X", "importtime"])
            .arg(&script)
            .args(["--launch", "/nonexistent/e3.sock", "--", "x.py"])
            .output()
            .unwrap();
        std::fs::remove_file(&script).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("e3: cannot reach the warm start at /nonexistent/e3.sock"),
            "{stderr}"
        );
        let imported: Vec<&str> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("import time:"))
            .filter_map(|l| l.rsplit('|').next())
            .map(str::trim)
            .collect();
        assert!(imported.contains(&"socket"), "{imported:?}");
        for heavy in ["numpy", "gmpy2", "asyncio", "ssl", "mpyc"] {
            assert!(!imported.contains(&heavy), "{heavy} imported: {imported:?}");
        }
    }

    #[test]
    fn remote_warm_commands() {
        let warm = RemoteWarm {
            rsync: "/usr/bin/rsync".into(),
            base: "/tmp/e3-warm-00ff".into(),
        };
        assert_eq!(warm.socket(2), "/tmp/e3-warm-00ff-2.sock");
        assert_eq!(
            warm.zygote(1, "/opt/py/bin/python", "my demo.py"),
            "exec /opt/py/bin/python -u .e3/warm.py /tmp/e3-warm-00ff-1.sock 'my demo.py'"
        );
        assert_eq!(
            warm.launcher(0, "python3"),
            "python3 ~/.e3/warm.py --launch /tmp/e3-warm-00ff-0.sock --"
        );
        // Two runs never share a socket.
        let (a, b) = (
            RemoteWarm::new("rsync".into()),
            RemoteWarm::new("rsync".into()),
        );
        assert_ne!(a.base, b.base);
    }
}
