//! e3's cloud clients (crate `e3-cloud`) made from the environment, and
//! their errors in the CLI's words: credentials the user must fix are
//! usage errors (exit 2); a service that fails is a failure (exit 1).

use std::time::Duration;

use e3_cloud::{Error as CloudError, Retry, digitalocean, tailscale};
use e3_deploy::preflight::{Catalogue, SizeInfo};

use crate::error::{Error, failure, usage};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub fn error(err: CloudError) -> Error {
    match &err {
        CloudError::MissingCredentials { .. }
        | CloudError::IncompleteCredentials { .. }
        | CloudError::Unauthorized { .. }
        | CloudError::EmptyPrefix => usage(err.to_string()),
        _ => failure(err.to_string()),
    }
}

/// The Tailscale API client, from `TAILSCALE_*`.
pub fn tailscale() -> Result<tailscale::Client, Error> {
    let config = tailscale::Config::from_env(env).map_err(error)?;
    tailscale::Client::new(config).map_err(error)
}

/// The DigitalOcean API client, from `DIGITALOCEAN_TOKEN` (or
/// `DIGITALOCEAN_ACCESS_TOKEN`).
pub fn digitalocean() -> Result<digitalocean::Client, Error> {
    let config = digitalocean::Config::from_env(env).map_err(error)?;
    digitalocean::Client::new(config).map_err(error)
}

/// DigitalOcean's regions and sizes with their prices: from its API when a
/// token is set and it answers at once, else from e3's table (dated).
pub fn catalogue() -> Catalogue {
    let fallback = |why: &str| Catalogue {
        source: format!(
            "e3's table of {} ({why})",
            digitalocean::FALLBACK_PRICES_AS_OF
        ),
        regions: digitalocean::FALLBACK_REGIONS
            .iter()
            .map(|r| r.to_string())
            .collect(),
        sizes: digitalocean::FALLBACK_SIZES
            .iter()
            .map(|s| SizeInfo {
                slug: s.slug.to_string(),
                price_hourly: s.price_hourly,
                price_monthly: s.price_monthly,
                regions: Vec::new(),
            })
            .collect(),
    };
    let Ok(mut config) = digitalocean::Config::from_env(env) else {
        return fallback("no DigitalOcean token to ask its API");
    };
    // A look-up before anything is created: quick, or not at all.
    config.retry = Retry {
        timeout: Duration::from_secs(5),
        max_attempts: 1,
        ..Retry::default()
    };
    let Ok(client) = digitalocean::Client::new(config) else {
        return fallback("DigitalOcean's API could not be asked");
    };
    match (client.sizes(), client.regions()) {
        (Ok(sizes), Ok(regions)) => Catalogue {
            source: "DigitalOcean's API".into(),
            regions: regions
                .into_iter()
                .filter(|r| r.available)
                .map(|r| r.slug)
                .collect(),
            sizes: sizes
                .into_iter()
                .filter(|s| s.available)
                .map(|s| SizeInfo {
                    slug: s.slug,
                    price_hourly: s.price_hourly,
                    price_monthly: s.price_monthly,
                    regions: s.regions,
                })
                .collect(),
        },
        (Err(err), _) | (_, Err(err)) => fallback(&format!("DigitalOcean's API: {err}")),
    }
}
