//! Ctrl-C (and SIGTERM, SIGHUP) while a group runs: remember it, so the
//! executor can stop every member cleanly instead of dying and leaving them.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static READER_GONE: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// From now on SIGINT, SIGTERM and SIGHUP set a flag instead of ending e3.
/// Members of groups run in their own process groups, so a terminal's Ctrl-C
/// reaches only e3, which then stops them.
pub fn install_interrupt_handler() {
    INSTALL.call_once(|| {
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: the handler only stores to an atomic, which is
            // async-signal-safe; the sigaction struct is fully initialised.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(sig, &action, std::ptr::null_mut());
            }
        }
    });
}

/// Whether a stop signal arrived since the handler was installed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The reader of e3's output went away (`cargo xtask run ... | head`): stop
/// what runs as for Ctrl-C, so that no party is left and the summary and
/// logs are still written.
pub fn stop_everything() {
    READER_GONE.store(true, Ordering::SeqCst);
}

/// Whether the reader of e3's output went away: [`stop_everything`] was
/// called (a write failed), or stdout or stderr is a pipe that nobody reads
/// any more (seen without writing, so that a run whose parties are quiet
/// stops too).
pub fn interrupted_by_reader() -> bool {
    if !READER_GONE.load(Ordering::SeqCst) && [1, 2].into_iter().any(pipe_has_no_reader) {
        READER_GONE.store(true, Ordering::SeqCst);
    }
    READER_GONE.load(Ordering::SeqCst)
}

/// A pipe's write end whose read end is closed polls as an error at once;
/// a terminal, a file or a pipe still read does not.
fn pipe_has_no_reader(fd: libc::c_int) -> bool {
    let mut poll = libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    };
    // SAFETY: one initialised pollfd, a zero timeout.
    let ready = unsafe { libc::poll(&mut poll, 1, 0) };
    ready == 1 && poll.revents & libc::POLLERR != 0
}

/// Ends e3 as a program whose reader went away ends: killed by SIGPIPE (a
/// shell shows 141). Rust ignores SIGPIPE, so that a write fails instead of
/// killing the process; e3 restores the default action once it has stopped
/// what it ran and written what it keeps.
pub fn die_of_sigpipe() -> ! {
    // SAFETY: restores the default action of one signal and raises it; no
    // handler of e3's is involved.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    // Only if SIGPIPE is blocked: the status a shell would show.
    std::process::exit(128 + libc::SIGPIPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_without_a_reader_is_seen_without_writing() {
        let mut fds = [0; 2];
        // SAFETY: a fresh pipe; both ends are closed below.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let [read, write] = fds;
        assert!(!pipe_has_no_reader(write), "read end still open");
        // SAFETY: closing fds this test opened.
        unsafe { libc::close(read) };
        assert!(pipe_has_no_reader(write), "read end closed");
        unsafe { libc::close(write) };
        // A closed fd is not a pipe without a reader.
        assert!(!pipe_has_no_reader(write));
    }
}
