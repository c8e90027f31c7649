//! The executor: the only code in e3 that starts processes.
//!
//! Plans are built elsewhere, as values ([`e3_plan::Plan`]); this crate runs
//! them. Sequential steps inherit the terminal; they, pipelines and the
//! captured one-shot commands run through `duct`. A [`Step::Together`] group is
//! started at once, each member in its own process group with its output
//! (stdout and stderr, merged) read line by line and handed to an
//! [`Observer`], which decides when to stop. Stopping is always the same:
//! SIGTERM to every member's process group, then SIGKILL after a grace period,
//! and every member is reaped before [`run_together`] returns. Members also
//! die with e3 itself (`PR_SET_PDEATHSIG`), so no process outlives a killed e3.

mod interrupt;
mod lock;

use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::{Cmd, Job, Pipeline, Plan, Step};

pub use interrupt::{
    die_of_sigpipe, install_interrupt_handler, interrupted, interrupted_by_reader, stop_everything,
};
pub use lock::FileLock;

/// A failure to start or finish a command, naming it.
#[derive(Debug)]
pub struct ExecError {
    pub message: String,
}

impl ExecError {
    fn new(message: impl Into<String>) -> ExecError {
        ExecError {
            message: message.into(),
        }
    }

    fn io(what: impl fmt::Display, err: io::Error) -> ExecError {
        ExecError::new(format!("{what}: {err}"))
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExecError {}

pub type Result<T, E = ExecError> = std::result::Result<T, E>;

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Code(i32),
    Signal(i32),
}

impl End {
    pub fn success(self) -> bool {
        self == End::Code(0)
    }

    fn from_status(status: ExitStatus) -> End {
        match (status.code(), status.signal()) {
            (Some(code), _) => End::Code(code),
            (None, Some(sig)) => End::Signal(sig),
            (None, None) => End::Code(-1),
        }
    }
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Code(code) => write!(f, "exit code {code}"),
            End::Signal(sig) => write!(f, "killed by {}", signal_name(*sig)),
        }
    }
}

pub fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGINT => "SIGINT".into(),
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGHUP => "SIGHUP".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGABRT => "SIGABRT".into(),
        libc::SIGPIPE => "SIGPIPE".into(),
        other => format!("signal {other}"),
    }
}

/// Where a command runs: its own `cwd`, relative to the plan's workdir.
fn resolve_dir(workdir: Option<&Utf8Path>, cmd: &Cmd) -> Option<Utf8PathBuf> {
    match (workdir, &cmd.cwd) {
        (_, Some(dir)) if dir.is_absolute() => Some(dir.clone()),
        (Some(base), Some(dir)) => Some(base.join(dir)),
        (None, Some(dir)) => Some(dir.clone()),
        (Some(base), None) => Some(base.to_path_buf()),
        (None, None) => None,
    }
}

/// The duct expression for a one-shot command: argv, environment and working
/// directory as `cmd` says, secrets exposed to the process only.
///
/// The directory is set in a `before_spawn` hook rather than with duct's
/// `dir`: with `dir`, duct resolves a relative program path that has a slash
/// (`.e3/venv/bin/python`) against e3's own working directory and
/// canonicalizes it, which follows the venv's symlink to the base interpreter.
/// Here, as with `std::process` and in the rendered script, it is relative to
/// the command's directory and run as written.
fn expression(workdir: Option<&Utf8Path>, cmd: &Cmd) -> duct::Expression {
    let argv = cmd.argv();
    let mut expr = duct::cmd(argv[0], &argv[1..]);
    for (key, value) in &cmd.env {
        expr = expr.env(key, value.expose());
    }
    if let Some(dir) = resolve_dir(workdir, cmd) {
        expr = expr.before_spawn(move |command| {
            command.current_dir(&dir);
            Ok(())
        });
    }
    if cmd.private {
        expr = expr.before_spawn(|command| {
            private_child(command);
            Ok(())
        });
    }
    expr
}

/// The child's files its owner's alone (umask 077).
fn private_child(command: &mut Command) {
    // SAFETY: umask is async-signal-safe and cannot fail.
    unsafe {
        command.pre_exec(|| {
            libc::umask(0o077);
            Ok(())
        });
    }
}

/// Runs `expr` to its end; a non-zero exit is a value, not an error.
/// `what` names it in the error when it cannot start.
fn finish(expr: duct::Expression, what: impl fmt::Display) -> Result<std::process::Output> {
    expr.unchecked()
        .run()
        .map_err(|e| ExecError::io(format_args!("cannot start `{what}`"), e))
}

/// The process leads a process group of its own (so e3 stops it and what
/// it started together) and gets SIGKILL when e3 dies.
fn own_group_dead_with_e3(command: &mut Command) {
    command.process_group(0);
    // SAFETY: prctl is async-signal-safe; nothing is allocated.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// For [`run_together`] and [`Background`]: what duct does not do.
fn command(workdir: Option<&Utf8Path>, cmd: &Cmd) -> Command {
    let argv = cmd.argv();
    let mut command = Command::new(argv[0]);
    command.args(&argv[1..]);
    for (key, value) in &cmd.env {
        command.env(key, value.expose());
    }
    if let Some(dir) = resolve_dir(workdir, cmd) {
        command.current_dir(dir);
    }
    if cmd.private {
        private_child(&mut command);
    }
    command
}

/// Runs a command to completion with e3's own stdin, stdout and stderr.
pub fn run(workdir: Option<&Utf8Path>, cmd: &Cmd) -> Result<()> {
    let out = finish(expression(workdir, cmd), cmd)?;
    succeeded(End::from_status(out.status), cmd)
}

/// `what` ended well, or the error naming it and how it ended.
fn succeeded(end: End, what: impl fmt::Display) -> Result<()> {
    if end.success() {
        Ok(())
    } else {
        Err(ExecError::new(format!("`{what}` failed ({end})")))
    }
}

/// What a finished probe printed.
pub struct Captured {
    pub end: End,
    pub stdout: String,
    pub stderr: String,
}

fn captured(out: std::process::Output) -> Captured {
    Captured {
        end: End::from_status(out.status),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs a short, read-only command (a version check, say) and captures its
/// output, whatever its exit status.
pub fn capture(cmd: &Cmd) -> Result<Captured> {
    capture_in(None, cmd)
}

/// Like [`capture`], in the plan's working directory.
pub fn capture_in(workdir: Option<&Utf8Path>, cmd: &Cmd) -> Result<Captured> {
    let expr = expression(workdir, cmd)
        .stdin_null()
        .stdout_capture()
        .stderr_capture();
    let out = finish(expr, cmd)?;
    Ok(captured(out))
}

/// Runs a command whose output is the result (`terraform output -json`);
/// a failure is an error with the end of what it printed on stderr.
pub fn output_of(workdir: Option<&Utf8Path>, cmd: &Cmd) -> Result<String> {
    let out = capture_in(workdir, cmd)?;
    if out.end.success() {
        return Ok(out.stdout);
    }
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let tail = lines[lines.len().saturating_sub(8)..].join("\n");
    Err(ExecError::new(format!(
        "`{cmd}` failed ({}){}{tail}",
        out.end,
        if tail.is_empty() { "" } else { ":\n" }
    )))
}

/// A pipeline's members joined by duct's `pipe`, and which member was being
/// started last (`usize::MAX`: none yet), to name it if it cannot start.
fn pipe_expression(
    workdir: Option<&Utf8Path>,
    pipeline: &Pipeline,
) -> (duct::Expression, Arc<AtomicUsize>) {
    let starting = Arc::new(AtomicUsize::new(usize::MAX));
    let mut members = pipeline.cmds().iter().enumerate().map(|(i, cmd)| {
        let starting = Arc::clone(&starting);
        expression(workdir, cmd).before_spawn(move |_| {
            starting.store(i, Ordering::SeqCst);
            Ok(())
        })
    });
    let first = members.next().expect("a pipeline has a first member");
    (
        members.fold(first, |left, right| left.pipe(right)),
        starting,
    )
}

/// Runs a pipeline; a non-zero end is a value. Duct reports the end of the
/// last member that failed (success only when all succeeded), as with
/// `set -o pipefail`, and starts the members in order.
fn finish_pipe(
    workdir: Option<&Utf8Path>,
    pipeline: &Pipeline,
    io: impl FnOnce(duct::Expression) -> duct::Expression,
) -> Result<std::process::Output> {
    let (expr, starting) = pipe_expression(workdir, pipeline);
    io(expr).unchecked().run().map_err(|e| {
        match pipeline.cmds().get(starting.load(Ordering::SeqCst)) {
            Some(cmd) if pipeline.cmds().len() > 1 => {
                ExecError::io(format_args!("cannot start `{cmd}` in `{pipeline}`"), e)
            }
            _ => ExecError::io(format_args!("cannot start `{pipeline}`"), e),
        }
    })
}

/// Runs a pipeline to completion: its first member reads e3's stdin, its last
/// writes to e3's stdout, all write to e3's stderr. It fails, naming the
/// pipeline, when any member fails (see [`Pipeline`]).
pub fn run_pipe(workdir: Option<&Utf8Path>, pipeline: &Pipeline) -> Result<()> {
    let out = finish_pipe(workdir, pipeline, |expr| expr)?;
    succeeded(End::from_status(out.status), pipeline)
}

/// Like [`capture_in`] for a pipeline: the first member's stdin is empty,
/// `stdout` is the last member's, `stderr` all members' as they wrote it,
/// and `end` is that of the last member that failed, if any did.
pub fn capture_pipe(workdir: Option<&Utf8Path>, pipeline: &Pipeline) -> Result<Captured> {
    let out = finish_pipe(workdir, pipeline, |expr| {
        expr.stdin_null().stdout_capture().stderr_capture()
    })?;
    Ok(captured(out))
}

/// Runs a command to its end with stdin from /dev/null, stdout discarded
/// and stderr kept, calling `watch` with its pid about every `every` while
/// it runs (to sample what its process tree uses, say).
pub fn run_watched(
    workdir: Option<&Utf8Path>,
    cmd: &Cmd,
    every: Duration,
    watch: &mut dyn FnMut(u32),
) -> Result<Captured> {
    let mut child = command(workdir, cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ExecError::io(format_args!("cannot start `{cmd}`"), e))?;
    // Read stderr aside, so a chatty command cannot block on a full pipe.
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let status = loop {
        watch(child.id());
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => thread::sleep(every),
            Err(e) => return Err(ExecError::io(format_args!("cannot wait for `{cmd}`"), e)),
        }
    };
    Ok(Captured {
        end: End::from_status(status),
        stdout: String::new(),
        stderr: reader.join().unwrap_or_default(),
    })
}

/// A helper process that serves a group while it runs (the warm start's
/// Python, say): in a process group of its own, dead with e3, its stdout
/// read line by line, and killed with its group when dropped.
pub struct Background {
    child: Child,
    lines: mpsc::Receiver<String>,
    label: String,
}

impl Background {
    /// Starts `cmd` with stdin from /dev/null, stdout to read, stderr to
    /// e3's own (a helper's complaints reach the person).
    pub fn start(workdir: Option<&Utf8Path>, label: &str, cmd: &Cmd) -> Result<Background> {
        let mut command = command(workdir, cmd);
        command.stdin(Stdio::null()).stdout(Stdio::piped());
        own_group_dead_with_e3(&mut command);
        let mut child = command
            .spawn()
            .map_err(|e| ExecError::io(format_args!("cannot start {label} (`{cmd}`)"), e))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Background {
            child,
            lines,
            label: label.to_string(),
        })
    }

    /// Waits for a line that starts with `prefix` and returns it; an error
    /// when the helper ends first or `limit` passes, with the last lines it
    /// said instead.
    pub fn wait_for(&mut self, prefix: &str, limit: Duration) -> Result<String> {
        let deadline = Instant::now() + limit;
        let mut said: Vec<String> = Vec::new();
        let said_text = |said: &[String]| match said.is_empty() {
            true => String::new(),
            false => format!(": {}", said.join(" / ")),
        };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                // A helper behind `ssh -tt` ends its lines with \r\n.
                Ok(line) if line.trim_end().starts_with(prefix) => {
                    return Ok(line.trim_end().to_string());
                }
                Ok(line) => {
                    if said.len() == 3 {
                        said.remove(0);
                    }
                    said.push(line.trim_end().to_string());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(ExecError::new(format!(
                        "{} did not say `{prefix}` within {}s{}",
                        self.label,
                        limit.as_secs(),
                        said_text(&said)
                    )));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let end = self.child.wait().map(End::from_status);
                    return Err(ExecError::new(format!(
                        "{} ended before it was ready ({}){}",
                        self.label,
                        end.map_or_else(|e| e.to_string(), |e| e.to_string()),
                        said_text(&said)
                    )));
                }
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        signal_group(&self.child, libc::SIGKILL);
        let _ = self.child.wait();
    }
}

/// Runs the sequential steps of a plan. A [`Step::Together`] group needs an
/// observer: use [`run_together`] for it; here it is an error.
pub fn run_plan(plan: &Plan, mut announce: impl FnMut(&Step)) -> Result<()> {
    let workdir = plan.workdir.as_deref();
    for step in &plan.steps {
        announce(step);
        match step {
            Step::Run(cmd) => run(workdir, cmd)?,
            Step::Pipe(pipeline) => run_pipe(workdir, pipeline)?,
            Step::WriteFile { path, contents } => {
                let path = match workdir {
                    Some(base) if path.is_relative() => base.join(path),
                    _ => path.clone(),
                };
                write_whole(&path, contents)
                    .map_err(|e| ExecError::io(format_args!("cannot write {path}"), e))?;
            }
            Step::Note(_) => {}
            Step::Together { what, .. } | Step::Background { what, .. } => {
                return Err(ExecError::new(format!(
                    "internal: `{what}` needs the group it serves (run_together)"
                )));
            }
        }
    }
    Ok(())
}

/// Something that happened to a member of a group.
#[derive(Debug)]
pub enum Event<'a> {
    Started {
        job: usize,
        pid: u32,
    },
    /// One line of the member's output (stdout and stderr merged), without
    /// its newline.
    Line {
        job: usize,
        line: &'a str,
    },
    /// The member has ended and all its output was delivered.
    Exited {
        job: usize,
        end: End,
        stopped: bool,
    },
}

/// What the observer wants after an event.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Continue,
    /// Stop every member still running, for this reason.
    Stop(String),
}

pub trait Observer {
    fn event(&mut self, event: Event<'_>) -> Verdict;
    /// Called a few times a second, to show progress or decide on time.
    fn tick(&mut self) -> Verdict {
        Verdict::Continue
    }
    /// The group is about to be stopped: members still running get SIGTERM
    /// right after this returns. For work that must come first, such as
    /// stopping what members started on other machines.
    fn stopping(&mut self, _reason: &StopReason) {}
}

#[derive(Clone, Debug)]
pub struct GroupOptions {
    /// Stop everything when the group runs longer than this.
    pub timeout: Option<Duration>,
    /// Between SIGTERM and SIGKILL when stopping.
    pub grace: Duration,
    /// Run at most this many members at a time (`None`: all at once).
    pub max_parallel: Option<usize>,
    /// Start the members from the last to the first (their numbers stay).
    pub last_first: bool,
}

impl Default for GroupOptions {
    fn default() -> GroupOptions {
        GroupOptions {
            timeout: None,
            grace: Duration::from_secs(3),
            max_parallel: None,
            last_first: false,
        }
    }
}

/// Why a group was stopped before every member ended on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    Observer(String),
    Timeout(Duration),
    Interrupted,
    /// e3's stdout or stderr was a pipe whose reader went away.
    ReaderGone,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Observer(why) => f.write_str(why),
            StopReason::Timeout(limit) => write!(f, "timed out after {}s", limit.as_secs()),
            StopReason::Interrupted => f.write_str("interrupted"),
            StopReason::ReaderGone => f.write_str("the reader of e3's output went away"),
        }
    }
}

/// How one member of a group ended.
#[derive(Clone, Debug)]
pub struct JobEnd {
    /// `None`: never started (the group was stopped first).
    pub end: Option<End>,
    /// e3 signalled it before it ended on its own.
    pub stopped: bool,
    /// From its start until its end was seen.
    pub wall: Duration,
}

#[derive(Clone, Debug)]
pub struct GroupReport {
    /// `None` when every member ended on its own.
    pub stopped: Option<StopReason>,
    pub jobs: Vec<JobEnd>,
    pub wall: Duration,
}

enum Msg {
    Line(usize, String),
    Eof(usize),
}

struct Member {
    child: Child,
    started: Instant,
    status: Option<(End, Instant)>,
    eof: bool,
    signalled: bool,
    done: Option<JobEnd>,
}

/// From now on, every file and folder this process and the programs it
/// starts create is its owner's alone (umask 077): for tasks whose tools
/// write secrets to disk (Terraform's state, saved plans).
pub fn private_umask() {
    // SAFETY: umask sets this process's file creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Writes `contents` to `path` so that a reader sees the old file or the
/// new one, never a part: another run may be starting a program from the
/// same file (two warm runs at once both write `.e3/warm.py`).
pub fn write_whole(path: &Utf8Path, contents: &str) -> std::io::Result<()> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let name = path.file_name().unwrap_or("file");
    let temp = path.with_file_name(format!(".{name}.{}-{n}.tmp", std::process::id()));
    let written = std::fs::write(&temp, contents)
        .and_then(|()| match std::fs::metadata(path) {
            // The file keeps its mode (a private file stays private).
            Ok(old) => std::fs::set_permissions(&temp, old.permissions()),
            // A new file in a folder only its owner may enter is its
            // owner's alone too, whatever the umask.
            Err(_) if private_folder(path) => {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o600))
            }
            Err(_) => Ok(()),
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Whether `path`'s folder is its owner's alone (no group or other bits).
fn private_folder(path: &Utf8Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(d) if !d.as_str().is_empty() => d,
        _ => Utf8Path::new("."),
    };
    std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
}

/// How long a member's output may take to end once its process group was
/// killed: only a writer that left the group can hold it open that long.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// Starts the jobs (all at once, or at most `max_parallel` at a time) and
/// watches them until all have ended.
///
/// Returns when every member has been reaped. A member that cannot be started
/// stops the ones already running and is an error.
pub fn run_together(
    workdir: Option<&Utf8Path>,
    jobs: &[Job],
    options: &GroupOptions,
    observer: &mut dyn Observer,
) -> Result<GroupReport> {
    install_interrupt_handler();
    let begin = Instant::now();
    let limit = options.max_parallel.unwrap_or(usize::MAX).max(1);
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut members: Vec<Option<Member>> = (0..jobs.len()).map(|_| None).collect();
    // The `next`-th member to start is member `order(next)`.
    let order = |n: usize| {
        if options.last_first {
            jobs.len() - 1 - n
        } else {
            n
        }
    };
    let mut next = 0;
    let mut stopping: Option<(StopReason, Instant)> = None;
    let mut killed = false;
    // Output left behind by a member's own children must not hold us forever.
    let eof_grace = Duration::from_secs(1);
    loop {
        let mut verdicts = Vec::new();
        // Start what the limit allows (nothing more once stopping).
        let running = members
            .iter()
            .flatten()
            .filter(|m| m.done.is_none())
            .count();
        let room = limit.saturating_sub(running);
        for _ in 0..room {
            if next >= jobs.len() || stopping.is_some() {
                break;
            }
            let job = order(next);
            match spawn_member(workdir, job, &jobs[job], tx.clone()) {
                Ok(child) => {
                    verdicts.push(observer.event(Event::Started {
                        job,
                        pid: child.id(),
                    }));
                    members[job] = Some(Member {
                        child,
                        started: Instant::now(),
                        status: None,
                        eof: false,
                        signalled: false,
                        done: None,
                    });
                }
                Err(err) => {
                    for member in members.iter_mut().flatten().filter(|m| m.status.is_none()) {
                        signal_group(&member.child, libc::SIGKILL);
                        let _ = member.child.wait();
                    }
                    return Err(err);
                }
            }
            next += 1;
        }
        if stopping.is_some() {
            // What has not started by now never will.
            next = jobs.len();
        }
        if next >= jobs.len() && members.iter().flatten().all(|m| m.done.is_some()) {
            break;
        }

        // Wait a little for output, then take all that is there: a chatty
        // member must not cost a round of try_wait per line.
        let first = rx.recv_timeout(Duration::from_millis(50)).ok();
        for msg in first
            .into_iter()
            .chain(std::iter::from_fn(|| rx.try_recv().ok()))
        {
            deliver(msg, &mut members, observer, &mut verdicts);
        }
        for job in 0..members.len() {
            let Some(member) = members[job].as_mut() else {
                continue;
            };
            if member.done.is_some() {
                continue;
            }
            if member.status.is_none() {
                match member.child.try_wait() {
                    Ok(Some(status)) => {
                        member.status = Some((End::from_status(status), Instant::now()))
                    }
                    Ok(None) => {}
                    Err(err) => {
                        return Err(ExecError::io(
                            format_args!("cannot wait for {}", jobs[job].label),
                            err,
                        ));
                    }
                }
            }
            let Some((end, at)) = member.status else {
                continue;
            };
            if !member.eof && at.elapsed() < eof_grace {
                continue;
            }
            if !member.eof {
                // Leftover children of the member keep its output open.
                signal_group(&member.child, libc::SIGKILL);
                // Its group is gone, so its output ends: read it to the end
                // (on a starved machine its reader thread may lag behind),
                // bounded for a writer that left the group.
                let deadline = Instant::now() + DRAIN_LIMIT;
                while members[job].as_ref().is_some_and(|m| !m.eof) {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match rx.recv_timeout(left) {
                        Ok(msg) => deliver(msg, &mut members, observer, &mut verdicts),
                        Err(_) => break,
                    }
                }
            }
            // Deliver what is already buffered before the end.
            while let Ok(msg) = rx.try_recv() {
                deliver(msg, &mut members, observer, &mut verdicts);
            }
            let member = members[job].as_mut().expect("member exists");
            let stopped = member.signalled;
            member.done = Some(JobEnd {
                end: Some(end),
                stopped,
                wall: at - member.started,
            });
            verdicts.push(observer.event(Event::Exited { job, end, stopped }));
        }
        verdicts.push(observer.tick());
        if stopping.is_none() {
            let reason = if interrupted() {
                Some(StopReason::Interrupted)
            } else if interrupted_by_reader() {
                Some(StopReason::ReaderGone)
            } else if let Some(limit) = options.timeout.filter(|t| begin.elapsed() > *t) {
                Some(StopReason::Timeout(limit))
            } else {
                verdicts.into_iter().find_map(|v| match v {
                    Verdict::Stop(why) => Some(StopReason::Observer(why)),
                    Verdict::Continue => None,
                })
            };
            if let Some(reason) = reason {
                // The observer first (remote processes, say), then our own.
                observer.stopping(&reason);
                for member in members.iter_mut().flatten().filter(|m| m.status.is_none()) {
                    member.signalled = true;
                    signal_group(&member.child, libc::SIGTERM);
                }
                stopping = Some((reason, Instant::now()));
            }
        } else if let Some((_, since)) = &stopping
            && !killed
            && since.elapsed() > options.grace
        {
            for member in members.iter_mut().flatten().filter(|m| m.status.is_none()) {
                signal_group(&member.child, libc::SIGKILL);
            }
            killed = true;
        }
    }
    // Whatever a member started in its process group goes with it.
    for member in members.iter().flatten() {
        signal_group(&member.child, libc::SIGKILL);
    }
    let ends = members
        .into_iter()
        .map(|member| match member {
            Some(m) => m.done.expect("every started member is done"),
            None => JobEnd {
                end: None,
                stopped: true,
                wall: Duration::ZERO,
            },
        })
        .collect();
    Ok(GroupReport {
        stopped: stopping.map(|(reason, _)| reason),
        jobs: ends,
        wall: begin.elapsed(),
    })
}

/// Hands one message from a member's output reader to the observer.
fn deliver(
    msg: Msg,
    members: &mut [Option<Member>],
    observer: &mut dyn Observer,
    verdicts: &mut Vec<Verdict>,
) {
    match msg {
        Msg::Line(job, line) => verdicts.push(observer.event(Event::Line { job, line: &line })),
        Msg::Eof(job) => {
            if let Some(member) = members[job].as_mut() {
                member.eof = true;
            }
        }
    }
}

fn spawn_member(
    workdir: Option<&Utf8Path>,
    index: usize,
    job: &Job,
    tx: mpsc::Sender<Msg>,
) -> Result<Child> {
    let (reader, writer) = io::pipe()
        .map_err(|e| ExecError::io(format_args!("cannot make a pipe for {}", job.label), e))?;
    let writer2 = writer
        .try_clone()
        .map_err(|e| ExecError::io(format_args!("cannot make a pipe for {}", job.label), e))?;
    // std::process here, not duct, by choice: a member leads its own process
    // group, dies with e3 (PR_SET_PDEATHSIG) and is stopped by SIGTERM, then
    // SIGKILL, to that group. duct manages no process groups or parent-death
    // signals and its handles can only SIGKILL the one child; the loop in
    // run_together works on the plain Child.
    let mut command = command(workdir, &job.cmd);
    command.stdin(Stdio::null()).stdout(writer).stderr(writer2);
    own_group_dead_with_e3(&mut command);
    let child = command.spawn().map_err(|e| {
        ExecError::io(
            format_args!("cannot start {} (`{}`)", job.label, job.cmd),
            e,
        )
    })?;
    // Our copies of the pipe's write end must close, or the reader never ends.
    drop(command);
    thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        buf.pop();
                    }
                    let line = String::from_utf8_lossy(&buf).into_owned();
                    if tx.send(Msg::Line(index, line)).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = tx.send(Msg::Eof(index));
    });
    Ok(child)
}

/// Signals the process group a member leads (it was started with
/// `process_group(0)`, so its group id is its pid).
fn signal_group(child: &Child, sig: i32) {
    let Ok(pgid) = i32::try_from(child.id()) else {
        return;
    };
    // SAFETY: kill has no memory-safety preconditions. ESRCH (no such group) is fine.
    unsafe {
        libc::kill(-pgid, sig);
    }
}

#[cfg(test)]
mod tests {

    /// A reader never sees a part of the file, and the file keeps its mode.
    #[test]
    fn files_are_written_whole_and_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("e3-exec-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = Utf8PathBuf::from_path_buf(dir.join("script.py")).unwrap();
        let big = "x = 1\n".repeat(100_000);
        write_whole(&path, &big).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let reader = {
            let path = path.clone();
            let big = big.clone();
            std::thread::spawn(move || {
                for _ in 0..200 {
                    let seen = std::fs::read_to_string(&path).unwrap();
                    assert_eq!(seen.len(), big.len(), "a part of the file was seen");
                }
            })
        };
        for _ in 0..50 {
            write_whole(&path, &big).unwrap();
        }
        reader.join().unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "no temporary file is left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
    use super::*;

    struct Recorder {
        lines: Vec<(usize, String)>,
        exits: Vec<(usize, End, bool)>,
        /// For each end: the job and how many of its lines had arrived.
        lines_at_exit: Vec<(usize, usize)>,
        stop_on_failure: bool,
    }

    impl Observer for Recorder {
        fn event(&mut self, event: Event<'_>) -> Verdict {
            match event {
                Event::Started { .. } => {}
                Event::Line { job, line } => self.lines.push((job, line.to_string())),
                Event::Exited { job, end, stopped } => {
                    self.exits.push((job, end, stopped));
                    let seen = self.lines.iter().filter(|(j, _)| *j == job).count();
                    self.lines_at_exit.push((job, seen));
                    if self.stop_on_failure && !end.success() {
                        return Verdict::Stop(format!("job {job} failed"));
                    }
                }
            }
            Verdict::Continue
        }
    }

    fn sh(script: &str) -> Job {
        Job {
            label: "sh".into(),
            cmd: Cmd::new("sh").arg("-c").arg(script),
        }
    }

    fn recorder(stop_on_failure: bool) -> Recorder {
        Recorder {
            lines: vec![],
            exits: vec![],
            lines_at_exit: vec![],
            stop_on_failure,
        }
    }

    #[test]
    fn collects_merged_output_and_ends() {
        let jobs = [
            sh("echo out; echo err >&2; exit 3"),
            sh("printf 'no newline'"),
        ];
        let mut rec = recorder(false);
        let report = run_together(None, &jobs, &GroupOptions::default(), &mut rec).unwrap();
        assert_eq!(report.stopped, None);
        assert_eq!(report.jobs[0].end, Some(End::Code(3)));
        assert_eq!(report.jobs[1].end, Some(End::Code(0)));
        let job0: Vec<_> = rec
            .lines
            .iter()
            .filter(|(j, _)| *j == 0)
            .map(|(_, l)| l.as_str())
            .collect();
        assert_eq!(job0, ["out", "err"]);
        assert!(rec.lines.contains(&(1, "no newline".to_string())));
    }

    #[test]
    fn every_line_of_a_chatty_member_arrives_in_order() {
        let jobs = [sh("seq 1 20000"), sh("seq 1 3")];
        let mut rec = recorder(false);
        run_together(None, &jobs, &GroupOptions::default(), &mut rec).unwrap();
        let job0: Vec<usize> = rec
            .lines
            .iter()
            .filter(|(j, _)| *j == 0)
            .map(|(_, l)| l.parse().unwrap())
            .collect();
        assert_eq!(job0, (1..=20000).collect::<Vec<_>>());
        // Each member's end comes after all its lines.
        let mut at_exit = rec.lines_at_exit.clone();
        at_exit.sort();
        assert_eq!(at_exit, [(0, 20000), (1, 3)]);
    }

    #[test]
    fn a_failure_stops_the_rest_and_their_children() {
        // Job 0 (and its child) would outlive any test: only the stop ends it.
        let jobs = [
            sh("sleep 600 & sleep 600; echo never"),
            sh("sleep 0.2; exit 1"),
        ];
        let mut rec = recorder(true);
        let options = GroupOptions {
            timeout: None,
            grace: Duration::from_secs(2),
            max_parallel: None,
            last_first: false,
        };
        let report = run_together(None, &jobs, &options, &mut rec).unwrap();
        assert_eq!(
            report.stopped,
            Some(StopReason::Observer("job 1 failed".into()))
        );
        assert!(report.jobs[0].stopped);
        assert_eq!(report.jobs[0].end, Some(End::Signal(libc::SIGTERM)));
        assert!(!report.jobs[1].stopped);
    }

    #[test]
    fn timeout_stops_the_group() {
        let jobs = [sh("exec sleep 30")];
        let options = GroupOptions {
            timeout: Some(Duration::from_millis(300)),
            grace: Duration::from_secs(1),
            max_parallel: None,
            last_first: false,
        };
        let report = run_together(None, &jobs, &options, &mut recorder(false)).unwrap();
        assert_eq!(
            report.stopped,
            Some(StopReason::Timeout(Duration::from_millis(300)))
        );
        assert!(report.jobs[0].stopped);
    }

    /// Stops the group when a member prints `line`.
    struct StopOnLine(&'static str);

    impl Observer for StopOnLine {
        fn event(&mut self, event: Event<'_>) -> Verdict {
            match event {
                Event::Line { line, .. } if line == self.0 => Verdict::Stop(line.to_string()),
                _ => Verdict::Continue,
            }
        }
    }

    #[test]
    fn sigterm_ignored_means_sigkill() {
        // Stopped once it says it ignores SIGTERM, not after a time in
        // which it may not have got that far.
        let jobs = [sh("trap '' TERM; echo ignoring; sleep 600 & wait; wait")];
        let options = GroupOptions {
            timeout: None,
            grace: Duration::from_millis(300),
            max_parallel: None,
            last_first: false,
        };
        let report = run_together(None, &jobs, &options, &mut StopOnLine("ignoring")).unwrap();
        assert_eq!(
            report.stopped,
            Some(StopReason::Observer("ignoring".into()))
        );
        assert_eq!(report.jobs[0].end, Some(End::Signal(libc::SIGKILL)));
    }

    #[test]
    fn a_missing_program_is_an_error_naming_it() {
        let jobs = [
            sh("exec sleep 30"),
            Job {
                label: "party 1".into(),
                cmd: Cmd::new("/nonexistent/python"),
            },
        ];
        let err =
            run_together(None, &jobs, &GroupOptions::default(), &mut recorder(false)).unwrap_err();
        assert!(err.message.contains("party 1"), "{err}");
        assert!(err.message.contains("/nonexistent/python"), "{err}");
    }

    #[test]
    fn a_watched_command_is_watched_until_it_ends() {
        let mut seen = Vec::new();
        let out = run_watched(
            None,
            &Cmd::new("sh")
                .arg("-c")
                .arg("echo oops >&2; sleep 0.2; exit 3"),
            Duration::from_millis(20),
            &mut |pid| seen.push(pid),
        )
        .unwrap();
        assert_eq!(out.end, End::Code(3));
        assert_eq!(out.stderr, "oops\n");
        assert!(!seen.is_empty() && seen.iter().all(|p| *p == seen[0]));
    }

    #[test]
    fn a_background_helper_says_it_is_ready_and_dies_with_its_group() {
        let cmd = Cmd::new("sh")
            .arg("-c")
            .arg("sleep 30 & echo noise; echo ready $$ $!; wait");
        let mut helper = Background::start(None, "helper", &cmd).unwrap();
        let line = helper.wait_for("ready", Duration::from_secs(10)).unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[1], helper.pid().to_string());
        let sleeper = words[2].to_string();
        drop(helper);
        // The helper's own child went with its group: gone, or a zombie
        // until init reaps it (a moment later, not at once).
        let state = || {
            std::fs::read_to_string(format!("/proc/{sleeper}/stat"))
                .ok()
                .and_then(|s| s.rsplit(')').next().map(|r| r.trim().chars().next()))
                .flatten()
        };
        // A deadline only so that a failure ends the test: not a claim of speed.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !matches!(state(), None | Some('Z')) {
            assert!(Instant::now() < deadline, "still running: {:?}", state());
            thread::sleep(Duration::from_millis(10));
        }
        let early = Cmd::new("sh").arg("-c").arg("exit 3");
        let err = Background::start(None, "helper", &early)
            .unwrap()
            .wait_for("ready", Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(
            err.message,
            "helper ended before it was ready (exit code 3)"
        );
    }

    #[test]
    fn sequential_failure_names_the_command() {
        let mut plan = Plan::default();
        plan.push(Step::Run(Cmd::new("sh").arg("-c").arg("exit 4")));
        let err = run_plan(&plan, |_| {}).unwrap_err();
        assert_eq!(err.message, "`sh -c 'exit 4'` failed (exit code 4)");
    }

    fn shell(script: &str) -> Cmd {
        Cmd::new("sh").arg("-c").arg(script)
    }

    #[test]
    fn capture_keeps_a_non_zero_exit_and_both_outputs() {
        let out = capture(&shell("echo out; echo err >&2; exit 3")).unwrap();
        assert_eq!(out.end, End::Code(3));
        assert_eq!(out.stdout, "out\n");
        assert_eq!(out.stderr, "err\n");
    }

    #[test]
    fn capture_of_a_killed_command_is_its_signal() {
        let out = capture(&shell("kill -KILL $$")).unwrap();
        assert_eq!(out.end, End::Signal(libc::SIGKILL));
        assert!(!out.end.success());
    }

    #[test]
    fn capture_gives_stdin_as_empty() {
        let out = capture(&Cmd::new("cat")).unwrap();
        assert_eq!((out.end, out.stdout.as_str()), (End::Code(0), ""));
    }

    /// A directory of its own for a test, removed when dropped.
    struct Scratch(Utf8PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("e3-exec-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(Utf8PathBuf::try_from(dir).unwrap())
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn env_and_cwd_reach_a_captured_command() {
        // A relative program is found from the command's own directory and
        // run as written, not through its symlink (a venv's bin/python is one).
        let scratch = Scratch::new("cwd");
        let sub = scratch.0.join("sub");
        std::fs::create_dir(&sub).unwrap();
        let script = sub.join("show");
        std::fs::write(
            &script,
            "#!/bin/sh\necho \"$0\"; pwd -P; echo \"$E3_TEST\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        std::os::unix::fs::symlink("show", sub.join("link")).unwrap();
        let cmd = Cmd::new("./link")
            .cwd("sub")
            .env("E3_TEST", e3_plan::Value::secret("a secret"));
        let out = capture_in(Some(&scratch.0), &cmd).unwrap();
        let real = sub.canonicalize_utf8().unwrap();
        assert_eq!(out.stdout, format!("./link\n{real}\na secret\n"));
        assert_eq!(out.end, End::Code(0));
    }

    #[test]
    fn a_missing_program_is_an_error_naming_it_but_no_secret() {
        let cmd = Cmd::new("/nonexistent/prog").arg(e3_plan::Value::secret("hunter2"));
        for err in [capture(&cmd).err().unwrap(), run(None, &cmd).unwrap_err()] {
            assert!(
                err.message
                    .starts_with("cannot start `/nonexistent/prog ***`: "),
                "{err}"
            );
            assert!(!err.message.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn output_of_a_failure_is_the_end_of_its_stderr() {
        let ok = output_of(None, &shell("echo result")).unwrap();
        assert_eq!(ok, "result\n");
        let err = output_of(
            None,
            &shell("echo out; echo first >&2; echo last >&2; exit 2"),
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "`sh -c 'echo out; echo first >&2; echo last >&2; exit 2'` failed (exit code 2):\nfirst\nlast"
        );
    }

    #[test]
    fn a_pipeline_runs_each_output_into_the_next() {
        let pipeline = Cmd::new("printf").arg("b\\na\\n").pipe(Cmd::new("sort"));
        let out = capture_pipe(None, &pipeline).unwrap();
        assert_eq!((out.end, out.stdout.as_str()), (End::Code(0), "a\nb\n"));
        // Three members, each reading the one before.
        let out = capture_pipe(None, &pipeline.pipe(Cmd::new("tr").args(["ab", "AB"]))).unwrap();
        assert_eq!(out.stdout, "A\nB\n");
    }

    #[test]
    fn a_pipeline_whose_first_member_fails_is_an_error_naming_it() {
        let pipeline = shell("exit 3").pipe(Cmd::new("cat"));
        let mut plan = Plan::default();
        plan.push(Step::Pipe(pipeline.clone()));
        let err = run_plan(&plan, |_| {}).unwrap_err();
        assert_eq!(err.message, "`sh -c 'exit 3' | cat` failed (exit code 3)");
        assert_eq!(capture_pipe(None, &pipeline).unwrap().end, End::Code(3));
    }

    #[test]
    fn a_pipeline_ends_as_its_last_failing_member() {
        // As under `set -o pipefail`.
        let pipeline = shell("exit 2")
            .pipe(shell("cat; exit 5"))
            .pipe(Cmd::new("cat"));
        assert_eq!(capture_pipe(None, &pipeline).unwrap().end, End::Code(5));
        // A writer whose reader stopped early dies of SIGPIPE: a failure.
        let out = capture_pipe(
            None,
            &Cmd::new("yes").pipe(Cmd::new("head").args(["-n", "1"])),
        )
        .unwrap();
        assert_eq!(out.stdout, "y\n");
        assert_eq!(out.end, End::Signal(libc::SIGPIPE));
    }

    #[test]
    fn a_pipeline_member_that_cannot_start_is_named() {
        let secret = || e3_plan::Value::secret("hunter2");
        let last = Cmd::new("printf")
            .arg("x")
            .pipe(Cmd::new("/nonexistent/prog").arg(secret()));
        let err = capture_pipe(None, &last).err().unwrap();
        assert!(
            err.message.starts_with(
                "cannot start `/nonexistent/prog ***` in `printf x | /nonexistent/prog ***`: "
            ),
            "{err}"
        );
        assert!(!err.message.contains("hunter2"), "{err}");
        let first = Cmd::new("/nonexistent/prog")
            .arg(secret())
            .pipe(Cmd::new("cat"));
        let err = run_pipe(None, &first).unwrap_err();
        assert!(
            err.message.starts_with(
                "cannot start `/nonexistent/prog ***` in `/nonexistent/prog *** | cat`: "
            ),
            "{err}"
        );
    }

    #[test]
    fn a_pipeline_runs_as_its_rendering_reads() {
        // Each member in its own directory with its own environment; what
        // e3 runs and what the pasted script does print the same.
        let scratch = Scratch::new("pipe");
        std::fs::create_dir(scratch.0.join("sub")).unwrap();
        let pipeline = shell("echo \"$E3_PIPE_X\"; pwd -P")
            .cwd("sub")
            .env("E3_PIPE_X", "first")
            .pipe(shell("cat; echo \"${E3_PIPE_X-unset}\"; pwd -P"));
        let mut plan = Plan::new(&scratch.0);
        plan.push(Step::Pipe(pipeline.clone()));
        let ran = capture_pipe(Some(&scratch.0), &pipeline).unwrap();
        let pasted = capture(&shell(&plan.render())).unwrap();
        let real = scratch.0.canonicalize_utf8().unwrap();
        assert_eq!(ran.stdout, format!("first\n{real}/sub\nunset\n{real}\n"));
        assert_eq!((pasted.end, pasted.stdout), (ran.end, ran.stdout));
    }

    struct Bounded {
        running: usize,
        most: usize,
        stopping_called: usize,
        said_stop: bool,
        started_after_stop: Vec<usize>,
    }

    impl Observer for Bounded {
        fn event(&mut self, event: Event<'_>) -> Verdict {
            match event {
                Event::Started { job, .. } => {
                    self.running += 1;
                    self.most = self.most.max(self.running);
                    if self.said_stop {
                        self.started_after_stop.push(job);
                    }
                }
                Event::Exited { job, .. } => {
                    self.running -= 1;
                    if job == 2 {
                        self.said_stop = true;
                        return Verdict::Stop("job 2 ended".into());
                    }
                }
                Event::Line { .. } => {}
            }
            Verdict::Continue
        }
        fn stopping(&mut self, _: &StopReason) {
            self.stopping_called += 1;
        }
    }

    /// Members started last first keep their numbers.
    #[test]
    fn members_can_start_from_the_last() {
        struct Starts(Vec<usize>);
        impl Observer for Starts {
            fn event(&mut self, event: Event<'_>) -> Verdict {
                if let Event::Started { job, .. } = event {
                    self.0.push(job);
                }
                Verdict::Continue
            }
        }
        let jobs: Vec<Job> = (0..4).map(|i| sh(&format!("exit {i}"))).collect();
        let options = GroupOptions {
            last_first: true,
            ..GroupOptions::default()
        };
        let mut starts = Starts(Vec::new());
        let report = run_together(None, &jobs, &options, &mut starts).unwrap();
        assert_eq!(starts.0, [3, 2, 1, 0]);
        let ends: Vec<_> = report.jobs.iter().map(|j| j.end).collect();
        assert_eq!(ends, (0..4).map(|i| Some(End::Code(i))).collect::<Vec<_>>());
    }

    #[test]
    fn at_most_max_parallel_at_once_and_none_after_a_stop() {
        // Job 2 takes job 0's slot and ends while job 1 still holds the
        // other (job 1 ends only when stopped), so no slot is free for jobs
        // 3-5 before the stop.
        let jobs: Vec<Job> = [
            "sleep 0.1",
            "sleep 600",
            "sleep 0.1",
            "true",
            "true",
            "true",
        ]
        .into_iter()
        .map(sh)
        .collect();
        let mut obs = Bounded {
            running: 0,
            most: 0,
            stopping_called: 0,
            said_stop: false,
            started_after_stop: Vec::new(),
        };
        let options = GroupOptions {
            max_parallel: Some(2),
            ..GroupOptions::default()
        };
        let report = run_together(None, &jobs, &options, &mut obs).unwrap();
        assert_eq!(obs.most, 2);
        assert_eq!(obs.stopping_called, 1);
        assert_eq!(
            report.stopped,
            Some(StopReason::Observer("job 2 ended".into()))
        );
        assert_eq!(obs.started_after_stop, Vec::<usize>::new());
        // Jobs 0-2 ran (job 1 until it was stopped); 3-5 never started.
        assert!(report.jobs[..3].iter().all(|j| j.end.is_some()));
        assert!(report.jobs[1].stopped);
        assert!(
            report.jobs[3..]
                .iter()
                .all(|j| j.end.is_none() && j.stopped)
        );
    }
}
