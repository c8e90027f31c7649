//! Everything e3 prints goes through here.
//!
//! Rust's `println!` panics when its reader has gone away (`cargo xtask ...
//! | head`), with a backtrace and exit code 101. Here a broken pipe is
//! remembered instead: nothing more is written, a live run stops its parties
//! as for Ctrl-C (and still writes its summary and logs), and e3 then ends
//! as any Unix program whose reader went away: killed by SIGPIPE (a shell
//! shows 141), with nothing more said.

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

static READER_GONE: AtomicBool = AtomicBool::new(false);

/// `text` on stdout, as it is.
pub fn print(text: &str) {
    write_to(&mut io::stdout().lock(), text);
}

/// `text` and a newline on stdout.
pub fn line(text: &str) {
    write_to(&mut io::stdout().lock(), &format!("{text}\n"));
}

/// `text` and a newline on stderr.
pub fn err_line(text: &str) {
    write_to(&mut io::stderr().lock(), &format!("{text}\n"));
}

/// Whether stdout's or stderr's reader went away.
pub fn reader_gone() -> bool {
    READER_GONE.load(Ordering::SeqCst) || e3_exec::interrupted_by_reader()
}

fn write_to(stream: &mut dyn Write, text: &str) {
    if !READER_GONE.load(Ordering::SeqCst) && pipe_broke(stream, text) {
        // The reader went away, which stops a live run (see the module's doc).
        READER_GONE.store(true, Ordering::SeqCst);
        e3_exec::stop_everything();
    }
}

/// Writes `text`; true when the reader has gone. Other errors (a full disk
/// behind a redirect, say) lose the text and nothing else.
fn pipe_broke(stream: &mut dyn Write, text: &str) -> bool {
    match stream
        .write_all(text.as_bytes())
        .and_then(|()| stream.flush())
    {
        Ok(()) => false,
        Err(err) => err.kind() == io::ErrorKind::BrokenPipe,
    }
}

/// How e3 ends: `code`, unless the reader went away, when e3 ends as a
/// program killed by SIGPIPE.
pub fn exit(code: ExitCode) -> ExitCode {
    if reader_gone() {
        e3_exec::die_of_sigpipe();
    }
    code
}

/// `code` as a process's exit status, unless the reader went away (see
/// [`exit`]).
pub fn exit_status(code: i32) -> i32 {
    if reader_gone() {
        e3_exec::die_of_sigpipe();
    }
    code
}

/// `println!` for e3: a line on stdout, through [`line`].
macro_rules! outln {
    () => { $crate::out::line("") };
    ($($arg:tt)*) => { $crate::out::line(&format!($($arg)*)) };
}

/// `eprintln!` for e3: a line on stderr, through [`err_line`].
macro_rules! errln {
    ($($arg:tt)*) => { $crate::out::err_line(&format!($($arg)*)) };
}

pub(crate) use {errln, outln};

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader has gone.
    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A full disk behind a redirect is not a reader that went away.
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::StorageFull.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn only_a_broken_pipe_means_the_reader_went_away() {
        assert!(pipe_broke(&mut Closed, "gone\n"));
        assert!(!pipe_broke(&mut Full, "lost\n"));
        assert!(!pipe_broke(&mut Vec::new(), "kept\n"));
    }
}
