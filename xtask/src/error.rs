//! Errors that reach the user: a message, optional hints, and an exit code.
//!
//! A user mistake (bad flag, unknown program, missing tool or secret) exits
//! with 2; a run that started and failed exits with 1.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The user can fix it by changing what they asked for or installed.
    Usage,
    /// The run itself failed.
    Failure,
}

#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub hints: Vec<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            Kind::Usage => 2,
            Kind::Failure => 1,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hints.push(hint.into());
        self
    }
}

/// A mistake in what the user asked for: exit code 2.
pub fn usage(message: impl Into<String>) -> Error {
    Error {
        kind: Kind::Usage,
        message: message.into(),
        hints: Vec::new(),
    }
}

/// The work itself failed: exit code 1.
pub fn failure(message: impl Into<String>) -> Error {
    Error {
        kind: Kind::Failure,
        message: message.into(),
        hints: Vec::new(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        for hint in &self.hints {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

impl From<e3_exec::ExecError> for Error {
    fn from(err: e3_exec::ExecError) -> Error {
        failure(err.message)
    }
}

/// Hosts that could not be reached or synced: the work failed.
impl From<e3_ssh::SessionError> for Error {
    fn from(err: e3_ssh::SessionError) -> Error {
        with_host_key_hint(failure(err.to_string()))
    }
}

/// A run that could not be made or watched: the work failed.
impl From<e3_run::RunError> for Error {
    fn from(err: e3_run::RunError) -> Error {
        with_host_key_hint(failure(err.to_string()))
    }
}

/// A host whose SSH host key is not the one known (ssh refused it): what
/// to do, named. e3 never turns host key checking off.
fn with_host_key_hint(err: Error) -> Error {
    let Some(host) = e3_ssh::known_hosts::changed_key(&err.message) else {
        return err;
    };
    let host = if host.is_empty() {
        "the host".to_string()
    } else {
        format!("`{host}`")
    };
    err.hint(format!(
        "the SSH host key of {host} is not the one known: a droplet that deploy or destroy replaced is forgotten by e3 itself (.e3/deploy/known_hosts); otherwise make sure the host is the one you mean, then forget its old key: `ssh-keygen -R HOST -f FILE` (FILE: --known-hosts, .e3/deploy/known_hosts, or ~/.ssh/known_hosts)"
    ))
}

/// Adds what was being done to an IO error.
pub trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Context<T> for std::io::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|err| failure(format!("{}: {err}", what())))
    }
}
