//! Reaching hosts over SSH: the ssh and rsync commands e3 runs, as values.
//!
//! e3 uses the system's OpenSSH and rsync, so users' ssh config, agent, keys
//! and Tailscale SSH keep working. One master connection per host
//! (`ControlMaster`) carries every command for that host: sshd refuses bursts
//! of new connections (MaxStartups), and several parties per host must still
//! start together.
//!
//! Commands are values ([`Cmd`]) that the executor runs; a [`Session`] is a
//! visit to a set of hosts (connect, sync, the caller's work, then close, or
//! keep the connections for the next run: [`kept`]) that reports each
//! host's progress as [`HostEvent`]s and says nothing itself.

pub mod kept;
pub mod known_hosts;

use std::fmt;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use e3_exec::{End, Event, ExecError, GroupOptions, Observer, StopReason, Verdict};
use e3_inventory::Host;
use e3_plan::{Cmd, Job, Plan, Step, quote};

/// How every ssh of a run is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ssh {
    pub ssh: Utf8PathBuf,
    pub config: Option<Utf8PathBuf>,
    pub user: Option<String>,
    pub connect_timeout: u64,
    /// Folder of the master connections' sockets (short: sockets have a
    /// path limit of about 100 bytes).
    pub control_dir: Utf8PathBuf,
    /// A known_hosts file of e3's own (a deployment's, or `--known-hosts`):
    /// host keys are checked against it and new ones learnt into it, over
    /// the user's own ([`known_hosts`]).
    pub known_hosts: Option<Utf8PathBuf>,
    /// Seconds a master connection stays open unused after the run, for
    /// the next run to the host ([`kept`]; `control_dir` is then a kept
    /// folder, [`kept::dir_for`]); 0: the run closes its masters at its
    /// end, and `control_dir` is its own.
    pub keep_secs: u64,
}

impl Ssh {
    /// The host with `--ssh-user` applied.
    fn as_reached(&self, host: &Host) -> Host {
        match &self.user {
            Some(user) => Host {
                user: Some(user.clone()),
                ..host.clone()
            },
            None => host.clone(),
        }
    }

    /// `[user@]host` for ssh: an IPv6 address bare (`root@::1`); the port
    /// goes in `-p`.
    pub fn target(&self, host: &Host) -> String {
        self.as_reached(host).ssh_target()
    }

    /// `[user@]host` for rsync, before `:path`: an IPv6 address in
    /// brackets (`root@[::1]`).
    pub fn rsync_target(&self, host: &Host) -> String {
        self.as_reached(host).rsync_target()
    }

    /// The host as people are shown it: `[user@]host[:port]`, an IPv6
    /// address in brackets (`root@[::1]:2222`), so that two hosts of one
    /// address are told apart.
    pub fn label(&self, host: &Host) -> String {
        self.as_reached(host).pssh_line()
    }

    /// The options every ssh of a run shares (without the program name).
    pub fn options(&self, host: &Host) -> Vec<String> {
        let mut opts = Vec::new();
        if let Some(config) = &self.config {
            opts.extend(["-F".to_string(), config.to_string()]);
        }
        for option in [
            "BatchMode=yes".to_string(),
            format!("ConnectTimeout={}", self.connect_timeout),
            "StrictHostKeyChecking=accept-new".to_string(),
        ] {
            opts.extend(["-o".to_string(), option]);
        }
        if let Some(file) = &self.known_hosts {
            opts.extend([
                "-o".to_string(),
                format!("UserKnownHostsFile={file}"),
                "-o".to_string(),
                "HashKnownHosts=no".to_string(),
            ]);
        }
        for option in [
            format!("ServerAliveInterval={}", ALIVE_INTERVAL_SECS),
            format!("ServerAliveCountMax={}", ALIVE_COUNT_MAX),
            format!("ControlPath={}/%C", self.control_dir),
        ] {
            opts.extend(["-o".to_string(), option]);
        }
        if let Some(port) = host.port {
            opts.extend(["-p".to_string(), port.to_string()]);
        }
        opts
    }

    fn base(&self, host: &Host) -> Cmd {
        Cmd::new(&self.ssh).args(self.options(host))
    }

    /// Opens the host's master connection and leaves it in the background;
    /// it closes itself 30 s after its last command if e3 cannot close it.
    /// When masters are kept ([`Ssh::keep_secs`]), a master that an earlier
    /// run left open is used instead (`ControlMaster=auto`: this ssh then
    /// returns at once; a socket whose master died is replaced), and a new
    /// one stays open for `keep_secs` after its last command.
    /// (Not `-M` as well: `-M` on top of `ControlMaster=yes` means "ask".)
    /// What the master says goes to [`Ssh::master_log`]: when it gives up
    /// on a silent host, its commands end with 255 and say nothing.
    pub fn open_master(&self, host: &Host) -> Cmd {
        let (master, persist) = if self.keep_secs > 0 {
            ("ControlMaster=auto", self.keep_secs)
        } else {
            ("ControlMaster=yes", 30)
        };
        self.base(host)
            .args(["-o", master, "-o"])
            .arg(format!("ControlPersist={persist}"))
            .args([
                "-N",
                "-f",
                // A master in the background logs its giving up on a silent
                // host ("Timeout, server ... not responding") only from
                // VERBOSE on.
                "-o",
                "LogLevel=VERBOSE",
                "-E",
            ])
            .arg(self.master_log(host))
            .arg(self.target(host))
    }

    /// Where the host's master connection writes what it says, in the
    /// run's control folder.
    pub fn master_log(&self, host: &Host) -> Utf8PathBuf {
        let name: String = self
            .target(host)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let port = host.port.map_or(String::new(), |p| format!("-{p}"));
        self.control_dir.join(format!("{name}{port}.log"))
    }

    pub fn close_master(&self, host: &Host) -> Cmd {
        self.base(host).args(["-O", "exit"]).arg(self.target(host))
    }

    /// A command on the host, through its master connection. `tty` gives the
    /// remote command a terminal, so it is hung up when this ssh goes away.
    pub fn remote(&self, host: &Host, tty: bool, command: String) -> Cmd {
        let cmd = self.base(host).args(["-o", "ControlMaster=no"]);
        let cmd = if tty { cmd.arg("-tt") } else { cmd };
        cmd.arg(self.target(host)).arg(command)
    }

    /// Copies `local_dir`'s contents to `remote_dir` on the host (what a
    /// program's folder holds that the parties do not need left out).
    pub fn rsync(
        &self,
        rsync: &Utf8Path,
        host: &Host,
        local_dir: &Utf8Path,
        remote_dir: &str,
    ) -> Cmd {
        self.copy_dir(
            rsync,
            host,
            local_dir,
            remote_dir,
            &["--exclude=__pycache__", "--exclude=.git", "--exclude=logs"],
        )
    }

    /// Copies one file to `remote_path` on the host (its folders made).
    pub fn rsync_file(
        &self,
        rsync: &Utf8Path,
        host: &Host,
        local_file: &Utf8Path,
        remote_path: &str,
    ) -> Cmd {
        Self::rsync_base(rsync)
            .args(["-e".to_string(), self.rsync_shell(host)])
            .arg(local_file)
            .arg(format!("{}:{remote_path}", self.rsync_target(host)))
    }

    /// Copies a private folder to `remote_dir` on the host as it is: its
    /// modes kept (`-a`: 0700 folders, 0600 files), nothing left out.
    pub fn rsync_private_dir(
        &self,
        rsync: &Utf8Path,
        host: &Host,
        local_dir: &Utf8Path,
        remote_dir: &str,
    ) -> Cmd {
        self.copy_dir(rsync, host, local_dir, remote_dir, &[])
    }

    fn copy_dir(
        &self,
        rsync: &Utf8Path,
        host: &Host,
        local_dir: &Utf8Path,
        remote_dir: &str,
        excludes: &[&str],
    ) -> Cmd {
        Self::rsync_base(rsync)
            .args(excludes.iter().copied())
            .args(["-e".to_string(), self.rsync_shell(host)])
            .arg(format!("{}/", local_dir.as_str().trim_end_matches('/')))
            .arg(format!(
                "{}:{}/",
                self.rsync_target(host),
                remote_dir.trim_end_matches('/')
            ))
    }

    fn rsync_base(rsync: &Utf8Path) -> Cmd {
        Cmd::new(rsync).args(["-az", "--mkpath"])
    }

    /// rsync's `-e`: this run's ssh, through the host's master connection.
    fn rsync_shell(&self, host: &Host) -> String {
        let mut shell: Vec<String> = vec![quote(self.ssh.as_str())];
        shell.extend(self.options(host).iter().map(|o| quote(o)));
        shell.extend(["-o".to_string(), "ControlMaster=no".to_string()]);
        shell.join(" ")
    }
}

/// The first line every remote party prints, so e3 knows its process (to
/// stop it) and where it ran: `e3-party <pid> <hostname>`.
pub const PARTY_MARKER: &str = "e3-party ";

/// Where the first line goes on, on a host whose versions e3 has asked
/// before: what their stamp is now (see `e3_run::provenance`).
pub const STAMP_MARKER: &str = " e3-stamp ";

/// What a party runs on its host (one string: ssh hands it to the login
/// shell). It reports its pid, then becomes `runner` (shell words, as given:
/// `python3`, say) with `argv` (same pid, which is also its process group:
/// sshd starts every session in its own). `stamp`: see [`STAMP_MARKER`].
pub fn party_command(
    remote_dir: &str,
    runner: &str,
    argv: &[String],
    stamp: Option<&str>,
) -> String {
    let words: Vec<String> = argv.iter().map(|a| quote(a)).collect();
    format!(
        "{}; cd {} && exec env PYTHONUNBUFFERED=1 {runner} {}",
        first_line(stamp),
        quote(remote_dir),
        words.join(" ")
    )
}

/// The same, in a working folder of its own (`party_dir`, holding the
/// party's `.config/`), which first mirrors the program's folder by
/// symlinks (all but its own `.config`): the program, its `data/` and what
/// it writes through them land where they would.
pub fn party_command_in(
    remote_dir: &str,
    party_dir: &str,
    runner: &str,
    argv: &[String],
    stamp: Option<&str>,
) -> String {
    let words: Vec<String> = argv.iter().map(|a| quote(a)).collect();
    format!(
        "{}; src=\"$(cd {} && pwd)\" && cd {} && \
         for f in \"$src\"/* \"$src\"/.[!.]*; do [ -e \"$f\" ] || continue; case \"${{f##*/}}\" in .config) ;; *) ln -sfn \"$f\" . ;; esac; done && \
         exec env PYTHONUNBUFFERED=1 {runner} {}",
        first_line(stamp),
        quote(remote_dir),
        quote(party_dir),
        words.join(" ")
    )
}

/// What a party says first: [`PARTY_MARKER`], its pid (its process group's)
/// and the host's name for itself, then, when `stamp` (a shell expansion)
/// is given, [`STAMP_MARKER`] and what it expands to. Read back with
/// [`FirstLine::parse`].
fn first_line(stamp: Option<&str>) -> String {
    let stamp = stamp.map_or(String::new(), |s| format!("{STAMP_MARKER}{s}"));
    format!("echo \"{PARTY_MARKER}$$ $(uname -n){stamp}\"")
}

/// A remote party's first line, as [`party_command`] has it printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstLine {
    pub pid: Option<u32>,
    /// The host's name for itself.
    pub host: Option<String>,
    /// What the stamp expanded to, when the party was given one.
    pub stamp: Option<String>,
}

impl FirstLine {
    /// `None`: not a party's first line.
    pub fn parse(line: &str) -> Option<FirstLine> {
        let said = line.strip_prefix(PARTY_MARKER)?;
        let (said, stamp) = match said.split_once(STAMP_MARKER) {
            Some((said, stamp)) => (said, Some(stamp.to_string())),
            None => (said, None),
        };
        let mut words = said.split_whitespace();
        Some(FirstLine {
            pid: words.next().and_then(|p| p.parse().ok()),
            host: words.next().map(str::to_string),
            stamp,
        })
    }
}

/// Stops process groups on a host: TERM, a moment, then KILL.
/// ssh asks a silent host every this many seconds whether it is there...
pub const ALIVE_INTERVAL_SECS: u64 = 5;
/// ...and gives up after this many unanswered questions.
pub const ALIVE_COUNT_MAX: u64 = 3;

/// How long a host may stay silent before ssh gives up on it.
pub fn silence_limit() -> std::time::Duration {
    std::time::Duration::from_secs(ALIVE_INTERVAL_SECS * ALIVE_COUNT_MAX)
}

/// What ssh's own last words (merged into a party's output) say of a lost
/// connection to `host`: `None` when they say nothing of one, so that a
/// program's own exit code 255 is not taken for ssh's.
pub fn lost_connection(host: &str, last_lines: &[&str]) -> Option<String> {
    let said = |needle: &str| last_lines.iter().any(|l| l.contains(needle));
    if said("not responding") && said("Timeout, server") {
        Some(format!(
            "lost the connection to {host} (no answer for {} s)",
            silence_limit().as_secs()
        ))
    } else if said("closed by remote host") {
        Some(format!(
            "lost the connection to {host} (closed by the host)"
        ))
    } else if said("Connection reset") || said("Broken pipe") {
        Some(format!("lost the connection to {host} (reset)"))
    } else {
        None
    }
}

pub fn kill_command(pgids: &[u32]) -> String {
    let groups: Vec<String> = pgids.iter().map(|p| format!("-{p}")).collect();
    let groups = groups.join(" ");
    format!("kill -TERM -- {groups} 2>/dev/null; sleep 1; kill -KILL -- {groups} 2>/dev/null; true")
}

/// What to copy to every host before the work: `local_dir`'s contents to
/// `remote_dir` (relative to the ssh user's home), with `rsync`.
pub struct SyncSource<'a> {
    pub rsync: &'a Utf8Path,
    pub local_dir: &'a Utf8Path,
    pub remote_dir: &'a str,
}

/// One file to copy to every host before the work (`remote_path` relative
/// to the ssh user's home), with `rsync`; `what` names it.
pub struct FileCopy<'a> {
    pub rsync: &'a Utf8Path,
    pub local_file: &'a Utf8Path,
    pub remote_path: &'a str,
    pub what: &'a str,
}

/// A visit to a set of hosts, as `run --hosts` and `sync` make it: one master
/// connection per host, an optional sync and file copy, the work, then the
/// connections closed whatever happened.
pub struct Session {
    parallel: usize,
    prepare: Cmd,
    connect: PerHost,
    sync: Option<PerHost>,
    copy: Option<PerHost>,
    ending: Ending,
}

/// How a [`Session`] ends.
enum Ending {
    /// Its masters closed, its own control folder removed.
    Close { close: PerHost, cleanup: Cmd },
    /// Its masters left open in a kept folder ([`kept`]), each closing
    /// itself after `secs` unused.
    Keep {
        dir: Utf8PathBuf,
        secs: u64,
        kept_for: kept::KeptFor,
    },
}

/// A master's log past this size is emptied before the next run's connect
/// (kept masters append to theirs run after run).
const MASTER_LOG_MAX: u64 = 256 * 1024;

/// One command per host, run `parallel` at a time.
#[derive(Clone, Debug)]
struct PerHost {
    what: String,
    jobs: Vec<Job>,
    /// Where each job's ssh writes what it says instead of its output (the
    /// master connections' `-E` logs), if anywhere.
    said_in: Vec<Utf8PathBuf>,
}

impl PerHost {
    fn to_step(&self) -> Step {
        Step::Together {
            what: self.what.clone(),
            jobs: self.jobs.clone(),
        }
    }
}

impl Session {
    /// `hosts`: distinct, in inventory order.
    pub fn new(
        ssh: &Ssh,
        hosts: &[Host],
        parallel: usize,
        sync: Option<SyncSource<'_>>,
        copy: Option<FileCopy<'_>>,
    ) -> Session {
        let per_host = |what: String, cmd: &dyn Fn(&Host) -> Cmd| PerHost {
            what,
            jobs: hosts
                .iter()
                .map(|h| Job {
                    label: ssh.label(h),
                    cmd: cmd(h),
                })
                .collect(),
            said_in: Vec::new(),
        };
        let n = hosts.len();
        let ending = if ssh.keep_secs > 0 {
            Ending::Keep {
                dir: ssh.control_dir.clone(),
                secs: ssh.keep_secs,
                kept_for: kept::KeptFor {
                    config: ssh.config.clone(),
                    known_hosts: ssh.known_hosts.clone(),
                },
            }
        } else {
            Ending::Close {
                close: per_host(format!("close the connections to {n} hosts"), &|h| {
                    ssh.close_master(h)
                }),
                cleanup: Cmd::new("rm").args(["-rf"]).arg(&ssh.control_dir),
            }
        };
        // A kept folder's parent is made private too (`-m` applies to each
        // folder named, not to those `-p` makes on the way).
        let mut prepare = Cmd::new("mkdir").args(["-p", "-m", "700"]);
        if ssh.keep_secs > 0
            && let Some(parent) = ssh.control_dir.parent()
        {
            prepare = prepare.arg(parent);
        }
        Session {
            parallel,
            prepare: prepare.arg(&ssh.control_dir),
            connect: PerHost {
                said_in: hosts.iter().map(|h| ssh.master_log(h)).collect(),
                ..per_host(
                    format!("connect to {n} hosts ({parallel} at a time)"),
                    &|h| ssh.open_master(h),
                )
            },
            sync: sync.map(|s| {
                per_host(
                    format!("sync {}/ to {n} hosts ({parallel} at a time)", s.local_dir),
                    &|h| ssh.rsync(s.rsync, h, s.local_dir, s.remote_dir),
                )
            }),
            copy: copy.map(|c| {
                per_host(format!("copy {} to {n} hosts", c.what), &|h| {
                    ssh.rsync_file(c.rsync, h, c.local_file, c.remote_path)
                })
            }),
            ending,
        }
    }

    /// The whole session as a plan, with `work` between the copies and the close.
    pub fn to_plan(&self, root: &Utf8Path, work: Vec<Step>) -> Plan {
        let mut plan = Plan::new(root);
        plan.push(Step::Run(self.prepare.clone()));
        plan.push(self.connect.to_step());
        plan.steps.extend(self.sync.as_ref().map(PerHost::to_step));
        plan.steps.extend(self.copy.as_ref().map(PerHost::to_step));
        plan.steps.extend(work);
        match &self.ending {
            Ending::Close { close, cleanup } => {
                plan.push(close.to_step());
                plan.push(Step::Run(cleanup.clone()));
            }
            Ending::Keep { secs, .. } => plan.push(Step::Note(format!(
                "leave the connections to {} hosts open for the next run: each closes itself after {secs} s unused",
                self.connect.jobs.len()
            ))),
        }
        plan
    }

    /// Connects (and syncs, and copies); `work` runs only if every host
    /// did, told how they were connected. The connections are closed (or
    /// kept) afterwards, whatever happened.
    pub fn run<T, E: From<SessionError>>(
        &self,
        root: &Utf8Path,
        report: &dyn Fn(HostEvent<'_>),
        work: impl FnOnce(Connections) -> Result<T, E>,
    ) -> Result<T, E> {
        e3_exec::run(Some(root), &self.prepare).map_err(SessionError::Exec)?;
        let mut connections = Connections::default();
        // Held until the work is done: `disconnect` leaves these open.
        let mut _using = None;
        let result = self
            .connect(root, report)
            .map(|(c, using)| {
                connections = c;
                _using = using;
            })
            .and_then(|()| match &self.sync {
                Some(sync) => {
                    run_host_group(root, sync, self.parallel, Some(HostStep::Sync), report)
                }
                None => Ok(()),
            })
            .and_then(|()| match &self.copy {
                // A copy's failures are reported with the error, not one by one.
                Some(copy) => run_host_group(root, copy, self.parallel, None, &|_| {}),
                None => Ok(()),
            })
            .map_err(E::from)
            .and_then(|()| work(connections));
        if let Ending::Close { close, cleanup } = &self.ending {
            // A failure to close changes nothing: the masters end on their own.
            let _ = run_host_group(root, close, self.parallel, None, &|_| {});
            let _ = e3_exec::run(Some(root), cleanup);
        }
        result
    }

    /// Opens the masters; in a kept folder, under its lock, after saying
    /// what the folder is for and emptying logs grown too long. A master
    /// opened is a socket that was not there before (by name and inode: a
    /// dead master's socket is replaced); every other host reused one. In
    /// a kept folder, also returns the shared lock that says the folder's
    /// masters are in use ([`kept::USE_FILE`]).
    fn connect(
        &self,
        root: &Utf8Path,
        report: &dyn Fn(HostEvent<'_>),
    ) -> Result<(Connections, Option<e3_exec::FileLock>), SessionError> {
        let hosts = self.connect.jobs.len();
        let (_lock, before) = match &self.ending {
            Ending::Close { .. } => (None, None),
            Ending::Keep { dir, kept_for, .. } => {
                let io = |e: std::io::Error| {
                    SessionError::Exec(ExecError {
                        message: format!("cannot prepare {dir}: {e}"),
                    })
                };
                // Made by `prepare`, but checked again now that it is there
                // (another user could have made the parent meanwhile).
                kept::check_root(dir.parent().unwrap_or(dir))
                    .map_err(|e| SessionError::Exec(ExecError { message: e.message }))?;
                let lock_file = dir.join(kept::LOCK_FILE);
                let lock = loop {
                    kept::make_dir(dir).map_err(io)?;
                    let lock = e3_exec::FileLock::acquire(&lock_file)?;
                    // `disconnect` removes the folder under this lock: if
                    // it did while this run waited, the folder is made anew.
                    if lock_file.exists() {
                        break lock;
                    }
                };
                kept_for.write(dir).map_err(io)?;
                for log in &self.connect.said_in {
                    if std::fs::metadata(log).is_ok_and(|m| m.len() > MASTER_LOG_MAX) {
                        std::fs::File::create(log).map_err(io)?;
                    }
                }
                let using = e3_exec::FileLock::acquire_shared(&dir.join(kept::USE_FILE))?;
                (Some(lock), Some((dir, kept::sockets(dir), using)))
            }
        };
        run_host_group(
            root,
            &self.connect,
            self.parallel,
            Some(HostStep::Connect),
            report,
        )?;
        let Some((dir, before, using)) = before else {
            let opened = Connections {
                opened: hosts,
                reused: 0,
            };
            return Ok((opened, None));
        };
        let opened = kept::sockets(dir).difference(&before).count().min(hosts);
        let reused = hosts - opened;
        if reused > 0 {
            report(HostEvent::Reused { reused, hosts });
        }
        Ok((Connections { opened, reused }, Some(using)))
    }
}

/// A step of a [`Session`] that each host goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostStep {
    Connect,
    Sync,
}

/// What a [`Session`] has to say about a host, as it happens.
#[derive(Clone, Copy, Debug)]
pub enum HostEvent<'a> {
    /// The host finished the step; `after` counts from the step's start.
    Done {
        step: HostStep,
        host: &'a str,
        after: Duration,
    },
    /// The host's command for the step failed; `said` is the end of its output.
    Failed {
        step: HostStep,
        host: &'a str,
        end: End,
        said: &'a str,
    },
    /// Every host is connected: `reused` of them over connections an
    /// earlier run kept open (said only when there are any).
    Reused { reused: usize, hosts: usize },
}

/// How a [`Session`]'s hosts were connected: `opened` anew, `reused` (kept
/// open by an earlier run, [`kept`]). What a run's figures include: each
/// opened connection is a key exchange.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Connections {
    pub opened: usize,
    pub reused: usize,
}

/// Why a [`Session`] could not do its part.
#[derive(Debug)]
pub enum SessionError {
    /// A local command of the session (making the sockets' folder) failed.
    Exec(ExecError),
    /// Some hosts failed a step, each with how its command ended and the
    /// end of what it said.
    Hosts {
        what: String,
        total: usize,
        failed: Vec<(String, End, String)>,
    },
    /// The step was stopped before every host was done (Ctrl-C, say).
    Stopped { what: String, reason: StopReason },
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Exec(err) => write!(f, "{err}"),
            SessionError::Stopped { what, reason } => write!(f, "{what}: {reason}"),
            SessionError::Hosts {
                what,
                total,
                failed,
            } => {
                let names: Vec<&str> = failed.iter().map(|(host, _, _)| host.as_str()).collect();
                write!(
                    f,
                    "{what}: failed on {} of {total} hosts: {}",
                    names.len(),
                    names.join(", ")
                )?;
                for (host, end, said) in failed {
                    write!(f, "\n  {host} ({end}): {said}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for SessionError {}

impl From<ExecError> for SessionError {
    fn from(err: ExecError) -> SessionError {
        SessionError::Exec(err)
    }
}

/// Watches one command per host: an event per host as it ends, and at the
/// end every host that failed, with what its command said.
struct HostGroup<'a> {
    report: &'a dyn Fn(HostEvent<'_>),
    /// `None`: a step nobody needs to hear about (closing).
    step: Option<HostStep>,
    labels: Vec<String>,
    last_lines: Vec<Vec<String>>,
    said_in: &'a [Utf8PathBuf],
    /// How long each of those was when the group started: a kept master's
    /// log holds earlier runs' lines before that.
    said_from: Vec<u64>,
    started: Instant,
    failed: Vec<(String, End, String)>,
}

impl Observer for HostGroup<'_> {
    fn event(&mut self, event: Event<'_>) -> Verdict {
        match event {
            Event::Line { job, line } => {
                let lines = &mut self.last_lines[job];
                if lines.len() == 3 {
                    lines.remove(0);
                }
                lines.push(line.to_string());
            }
            Event::Exited { job, end, .. } => {
                let host = &self.labels[job];
                let mut said = self.last_lines[job].clone();
                if !end.success()
                    && let Some(text) = self.said_in.get(job).and_then(|log| {
                        let bytes = std::fs::read(log).ok()?;
                        let from = usize::try_from(self.said_from[job]).unwrap_or(0);
                        // Emptied meanwhile (too long): all of it is new.
                        let from = if from > bytes.len() { 0 } else { from };
                        Some(String::from_utf8_lossy(&bytes[from..]).into_owned())
                    })
                {
                    let lines: Vec<&str> = text.lines().collect();
                    let from = lines.len().saturating_sub(3);
                    said.extend(lines[from..].iter().map(|l| l.to_string()));
                }
                let said = said.join(" / ");
                if let Some(step) = self.step {
                    (self.report)(if end.success() {
                        HostEvent::Done {
                            step,
                            host,
                            after: self.started.elapsed(),
                        }
                    } else {
                        HostEvent::Failed {
                            step,
                            host,
                            end,
                            said: &said,
                        }
                    });
                }
                if !end.success() {
                    self.failed.push((host.clone(), end, said));
                }
            }
            Event::Started { .. } => {}
        }
        Verdict::Continue
    }
}

/// Runs one command per host, `parallel` at a time.
fn run_host_group(
    root: &Utf8Path,
    group: &PerHost,
    parallel: usize,
    host_step: Option<HostStep>,
    report: &dyn Fn(HostEvent<'_>),
) -> Result<(), SessionError> {
    let PerHost {
        what,
        jobs,
        said_in,
    } = group;
    let mut observer = HostGroup {
        report,
        step: host_step,
        labels: jobs.iter().map(|j| j.label.clone()).collect(),
        last_lines: vec![Vec::new(); jobs.len()],
        said_in,
        said_from: said_in
            .iter()
            .map(|log| std::fs::metadata(log).map_or(0, |m| m.len()))
            .collect(),
        started: Instant::now(),
        failed: Vec::new(),
    };
    let options = GroupOptions {
        max_parallel: Some(parallel),
        ..GroupOptions::default()
    };
    let report = e3_exec::run_together(Some(root), jobs, &options, &mut observer)?;
    if let Some(reason) = report.stopped {
        return Err(SessionError::Stopped {
            what: what.clone(),
            reason,
        });
    }
    if observer.failed.is_empty() {
        return Ok(());
    }
    Err(SessionError::Hosts {
        what: what.clone(),
        total: jobs.len(),
        failed: observer.failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssh() -> Ssh {
        Ssh {
            ssh: "/usr/bin/ssh".into(),
            config: Some("/home/me/testnet/ssh_config".into()),
            user: None,
            connect_timeout: 10,
            control_dir: "/tmp/e3-ssh-1234".into(),
            known_hosts: None,
            keep_secs: 0,
        }
    }

    /// ssh's own words for a lost connection, as OpenSSH prints them; a
    /// program's own output (or an exit code 255 with nothing said) is not one.
    #[test]
    fn lost_connections_are_read_from_what_ssh_said() {
        let lost = |lines: &[&str]| lost_connection("node-1", lines);
        assert_eq!(
            lost(&["party 1 sleeping", "Timeout, server node-1 not responding."]).as_deref(),
            Some("lost the connection to node-1 (no answer for 15 s)")
        );
        assert_eq!(
            lost(&["Connection to node-1 closed by remote host."]).as_deref(),
            Some("lost the connection to node-1 (closed by the host)")
        );
        assert_eq!(
            lost(&["client_loop: send disconnect: Broken pipe"]).as_deref(),
            Some("lost the connection to node-1 (reset)")
        );
        assert_eq!(lost(&["Traceback (most recent call last):"]), None);
        assert_eq!(lost(&[]), None);
    }

    #[test]
    fn commands_for_one_host() {
        let host = Host {
            user: Some("root".into()),
            port: Some(2222),
            ..Host::new("node-1.tail.ts.net")
        };
        let ssh = ssh();
        let argv: Vec<String> = [
            "secretsanta.py",
            "3",
            "-I",
            "0",
            "-P",
            "node-1.tail.ts.net:11599",
        ]
        .map(String::from)
        .to_vec();
        let lines = [
            ssh.open_master(&host).render(),
            ssh.remote(&host, true, party_command("e3", "python3", &argv, None))
                .render(),
            ssh.rsync("/usr/bin/rsync".into(), &host, "/e3/demos".into(), "e3")
                .render(),
            ssh.remote(&host, false, kill_command(&[41, 42])).render(),
            ssh.close_master(&host).render(),
        ];
        insta::assert_snapshot!(lines.join("\n"));
    }

    /// A party's first line, run by a real shell: its pid, the host's name,
    /// and (when asked) the stamp after its marker, in one line.
    #[test]
    fn a_party_says_its_pid_host_and_stamp_first() {
        let argv = ["-c".to_string(), "pass".to_string()];
        for (stamp, expect_stamp) in [
            (None, None),
            (
                Some("PYTHONPATH=$PYTHONPATH$(printf ' %s' 1:2.0)"),
                Some("PYTHONPATH=/x 1:2.0"),
            ),
        ] {
            let command = party_command("/nonexistent-e3", "true", &argv, stamp);
            let out = std::process::Command::new("sh")
                .args(["-c", &command])
                .env("PYTHONPATH", "/x")
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&out.stdout);
            let line = said.lines().next().unwrap();
            let first = FirstLine::parse(line).expect("a party's first line");
            assert!(first.pid.is_some(), "{line}");
            assert!(first.host.is_some_and(|h| !h.is_empty()), "{line}");
            assert_eq!(first.stamp.as_deref(), expect_stamp, "{line}");
        }
    }

    /// Per written form of a host: what ssh (destination and `-p`), rsync
    /// (`HOST:path`) and people are given.
    #[test]
    fn each_address_as_ssh_and_rsync_take_it() {
        let ssh = ssh();
        let rows: &[(&str, &str, &str, &str)] = &[
            // (entry, ssh's last words, rsync's destination, label)
            (
                "root@node-1",
                "root@node-1 true",
                "root@node-1:e3/",
                "root@node-1",
            ),
            ("[::1]", "::1 true", "[::1]:e3/", "[::1]"),
            (
                "root@[::1]:2222",
                "-p 2222 -o ControlMaster=no root@::1 true",
                "root@[::1]:e3/",
                "root@[::1]:2222",
            ),
            (
                "user@[fd7a:115c:a1e0::5]:22",
                "-p 22 -o ControlMaster=no user@fd7a:115c:a1e0::5 true",
                "user@[fd7a:115c:a1e0::5]:e3/",
                "user@[fd7a:115c:a1e0::5]:22",
            ),
            (
                "fd7a:115c:a1e0::5",
                "fd7a:115c:a1e0::5 true",
                "[fd7a:115c:a1e0::5]:e3/",
                "[fd7a:115c:a1e0::5]",
            ),
            (
                "10.0.0.1:2200",
                "-p 2200 -o ControlMaster=no 10.0.0.1 true",
                "10.0.0.1:e3/",
                "10.0.0.1:2200",
            ),
        ];
        for (entry, ssh_end, rsync_dest, label) in rows {
            let host = e3_inventory::Inventory::from_pssh(entry, "h")
                .unwrap()
                .hosts[0]
                .clone();
            let remote = ssh.remote(&host, false, "true".into()).render();
            assert!(remote.ends_with(ssh_end), "{entry}: {remote}");
            assert!(!remote.contains('['), "{entry}: {remote}");
            let rsync = ssh.rsync("/usr/bin/rsync".into(), &host, "/e3/demos".into(), "e3");
            assert_eq!(rsync.argv().last(), Some(rsync_dest), "{entry}");
            assert_eq!(ssh.label(&host), *label, "{entry}");
        }
    }

    #[test]
    fn ssh_user_overrides_the_file() {
        let host = Host {
            user: Some("root".into()),
            ..Host::new("a")
        };
        let ssh = Ssh {
            user: Some("me".into()),
            ..ssh()
        };
        assert_eq!(ssh.target(&host), "me@a");
        assert_eq!(Ssh { user: None, ..ssh }.target(&Host::new("a")), "a");
    }

    /// A session whose masters are kept: its folder's parent made private
    /// too, masters opened with `ControlMaster=auto` (an open one is used)
    /// and `ControlPersist` of the kept seconds, and nothing closed at the
    /// end, which the plan says. Without keeping: closed and removed.
    #[test]
    fn a_kept_session_opens_or_reuses_and_leaves_open() {
        let hosts = [Host::new("a"), Host::new("b")];
        let kept = Ssh {
            control_dir: "/tmp/e3-ssh-0/0123456789abcdef".into(),
            keep_secs: 600,
            ..ssh()
        };
        let render = |ssh: &Ssh| {
            Session::new(ssh, &hosts, 2, None, None)
                .to_plan("/e3".into(), Vec::new())
                .render()
        };
        let text = render(&kept);
        assert!(
            text.contains("mkdir -p -m 700 /tmp/e3-ssh-0 /tmp/e3-ssh-0/0123456789abcdef"),
            "{text}"
        );
        assert!(
            text.contains("-o ControlMaster=auto -o ControlPersist=600 -N -f"),
            "{text}"
        );
        assert!(
            text.contains(
                "# leave the connections to 2 hosts open for the next run: each closes itself after 600 s unused"
            ),
            "{text}"
        );
        assert!(
            !text.contains("-O exit") && !text.contains("rm -rf"),
            "{text}"
        );

        let text = render(&ssh());
        assert!(
            text.contains("mkdir -p -m 700 /tmp/e3-ssh-1234\n"),
            "{text}"
        );
        assert!(
            text.contains("-o ControlMaster=yes -o ControlPersist=30 -N -f"),
            "{text}"
        );
        assert!(
            text.contains("-O exit a") && text.contains("rm -rf /tmp/e3-ssh-1234"),
            "{text}"
        );
    }
}
