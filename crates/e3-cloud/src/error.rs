use std::fmt;
use std::time::Duration;

/// What went wrong, worded without secrets: requests are named by method
/// and path (never a header or a key), credentials by the variable that
/// holds them.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// None of the service's credentials are set.
    MissingCredentials {
        service: &'static str,
        /// What to set, e.g. "TAILSCALE_API_KEY, or TAILSCALE_OAUTH_CLIENT_ID
        /// and TAILSCALE_OAUTH_CLIENT_SECRET".
        set: &'static str,
    },
    /// One of a pair of variables is set without the other.
    IncompleteCredentials {
        set: &'static str,
        missing: &'static str,
    },
    /// Pruning with an empty prefix would delete every device of the tailnet.
    EmptyPrefix,
    /// The API refused the credentials (401 or 403).
    Unauthorized {
        /// The variable(s) to fix.
        variable: &'static str,
        status: u16,
        method: &'static str,
        path: String,
    },
    /// An answer other than success: a 4xx at once, a 429 or 5xx after the
    /// last attempt.
    Status {
        method: &'static str,
        path: String,
        status: u16,
        attempts: u32,
    },
    /// No answer within the timeout.
    Timeout {
        method: &'static str,
        path: String,
        after: Duration,
    },
    /// The request could not be sent or its answer not read.
    Transport {
        method: &'static str,
        path: String,
        detail: String,
    },
    /// A success whose body is not what the API documents.
    Response {
        method: &'static str,
        path: String,
        problem: String,
    },
    /// The HTTP client or its runtime could not be made.
    Setup { detail: String },
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => " Bad Request",
        401 => " Unauthorized",
        403 => " Forbidden",
        404 => " Not Found",
        429 => " Too Many Requests",
        500 => " Internal Server Error",
        502 => " Bad Gateway",
        503 => " Service Unavailable",
        504 => " Gateway Timeout",
        _ => "",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingCredentials { service, set } => {
                write!(f, "no {service} credentials: set {set}")
            }
            Error::IncompleteCredentials { set, missing } => {
                write!(f, "{set} is set but {missing} is not: set both")
            }
            Error::EmptyPrefix => f.write_str(
                "refusing to prune with an empty hostname prefix: it would delete every device",
            ),
            Error::Unauthorized {
                variable,
                status,
                method,
                path,
            } => write!(
                f,
                "{method} {path}: the API answered {status}{}: check {variable}",
                reason(*status)
            ),
            Error::Status {
                method,
                path,
                status,
                attempts,
            } => {
                write!(
                    f,
                    "{method} {path}: the API answered {status}{}",
                    reason(*status)
                )?;
                if *attempts > 1 {
                    write!(f, " (gave up after {attempts} attempts)")?;
                }
                Ok(())
            }
            Error::Timeout {
                method,
                path,
                after,
            } => write!(f, "{method} {path}: no answer within {after:?}"),
            Error::Transport {
                method,
                path,
                detail,
            } => write!(f, "{method} {path}: {detail}"),
            Error::Response {
                method,
                path,
                problem,
            } => write!(f, "{method} {path}: unexpected answer: {problem}"),
            Error::Setup { detail } => write!(f, "cannot make the HTTP client: {detail}"),
        }
    }
}

impl std::error::Error for Error {}
