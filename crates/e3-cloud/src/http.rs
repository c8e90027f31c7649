//! One HTTP client on its own current-thread runtime: blocking calls for
//! callers, a timeout on every attempt, retries on 429 and 5xx.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};

use crate::{Error, Secret};

/// How long a request may take and how failures are retried.
#[derive(Clone, Debug, PartialEq)]
pub struct Retry {
    /// Each attempt, from sending to the last byte of the answer.
    pub timeout: Duration,
    /// Attempts in all (1 = no retry).
    pub max_attempts: u32,
    /// The wait before the second attempt, doubled for each further one,
    /// unless the answer says `Retry-After` (seconds).
    pub backoff: Duration,
    /// No wait is longer, `Retry-After` included.
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            timeout: Duration::from_secs(10),
            max_attempts: 3,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(30),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }

    fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// One request: `path` starts with `/` and may carry a query.
pub(crate) struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub bearer: Option<&'a Secret>,
    /// An `application/x-www-form-urlencoded` body (it may hold secrets).
    pub form: Option<&'a Secret>,
    /// The variable(s) to name when the API refuses the credentials.
    pub auth_variable: &'static str,
}

/// A final answer that is neither 401/403 nor a retryable failure.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body of a 2xx answer, else an [`Error::Status`].
    pub(crate) fn success(self, call: &Call) -> Result<Vec<u8>, Error> {
        if (200..300).contains(&self.status) {
            Ok(self.body)
        } else {
            Err(Error::Status {
                method: call.method.as_str(),
                path: call.path.to_string(),
                status: self.status,
                attempts: 1,
            })
        }
    }
}

pub(crate) struct Http {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    base: String,
    retry: Retry,
}

impl Http {
    pub(crate) fn new(base_url: &str, retry: Retry) -> Result<Http, Error> {
        // reqwest is built without a crypto provider of its own: ring is
        // ours. Already installed (by an earlier client) is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Setup {
                detail: e.to_string(),
            })?;
        let client = {
            let _inside = rt.enter();
            reqwest::Client::builder()
                .timeout(retry.timeout)
                .user_agent(concat!("e3-cloud/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| Error::Setup {
                    detail: describe(&e),
                })?
        };
        Ok(Http {
            rt,
            client,
            base: base_url.trim_end_matches('/').to_string(),
            retry,
        })
    }

    pub(crate) fn send(&self, call: &Call) -> Result<Reply, Error> {
        self.rt.block_on(self.send_async(call))
    }

    async fn send_async(&self, call: &Call<'_>) -> Result<Reply, Error> {
        let url = format!("{}{}", self.base, call.path);
        let method = call.method.as_str();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.client.request(call.method.to_reqwest(), &url);
            if let Some(token) = call.bearer {
                // Marked sensitive by reqwest: never in its Debug output.
                request = request.bearer_auth(token.expose());
            }
            if let Some(form) = call.form {
                request = request
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(form.expose().to_string());
            }
            let answer = async {
                let response = request.send().await?;
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let body = response.bytes().await?.to_vec();
                Ok::<_, reqwest::Error>((status, retry_after, body))
            }
            .await;
            let (status, retry_after, body) = match answer {
                Ok(answer) => answer,
                Err(e) if e.is_timeout() => {
                    return Err(Error::Timeout {
                        method,
                        path: call.path.to_string(),
                        after: self.retry.timeout,
                    });
                }
                Err(e) => {
                    return Err(Error::Transport {
                        method,
                        path: call.path.to_string(),
                        detail: describe(&e),
                    });
                }
            };
            if status == 401 || status == 403 {
                return Err(Error::Unauthorized {
                    variable: call.auth_variable,
                    status,
                    method,
                    path: call.path.to_string(),
                });
            }
            let retryable = status == 429 || (500..600).contains(&status);
            if !retryable {
                return Ok(Reply { status, body });
            }
            if attempt >= self.retry.max_attempts {
                return Err(Error::Status {
                    method,
                    path: call.path.to_string(),
                    status,
                    attempts: attempt,
                });
            }
            let backoff = self
                .retry
                .backoff
                .saturating_mul(1 << (attempt - 1).min(16));
            let wait = retry_after.unwrap_or(backoff).min(self.retry.max_wait);
            tokio::time::sleep(wait).await;
        }
    }
}

/// A reqwest error and its causes, without the URL (the path is named
/// beside it already).
fn describe(e: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cause {
        let piece = match c.downcast_ref::<reqwest::Error>() {
            Some(r) if r.url().is_some() => {
                // Display of a reqwest error names its URL; say the kind only.
                if r.is_connect() {
                    "cannot connect".to_string()
                } else if r.is_request() {
                    "error sending the request".to_string()
                } else if r.is_body() || r.is_decode() {
                    "error reading the answer".to_string()
                } else {
                    "request failed".to_string()
                }
            }
            _ => c.to_string(),
        };
        if !text.contains(&piece) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&piece);
        }
        cause = c.source();
    }
    text
}

/// `s` percent-encoded, keeping only RFC 3986's unreserved characters: for
/// path segments and form fields alike.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn encodes_all_but_unreserved() {
        assert_eq!(encode("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(encode("me@example.com"), "me%40example.com");
        assert_eq!(encode("a b/c&d=é"), "a%20b%2Fc%26d%3D%C3%A9");
    }
}
