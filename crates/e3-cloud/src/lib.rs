//! e3's cloud APIs over HTTPS: the Tailscale device list and its pruning
//! ([`tailscale`]), DigitalOcean's sizes, prices and regions
//! ([`digitalocean`]).
//!
//! The API is blocking for its callers: each client owns a current-thread
//! tokio runtime and runs its requests on it. Every request has a timeout
//! and is retried with backoff on 429 and 5xx ([`Retry`]). Keys and tokens
//! are [`Secret`]s: no `Debug`, `Display` or [`Error`] shows them.

mod error;
mod http;
mod secret;

pub mod digitalocean;
pub mod tailscale;

pub use error::Error;
pub use http::Retry;
pub use secret::Secret;
