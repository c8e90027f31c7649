//! DigitalOcean's API v2, read only: droplet sizes with their prices, and
//! regions. [`FALLBACK_SIZES`] and [`FALLBACK_REGIONS`] stand in when the
//! API cannot be asked (no token, no network).

use std::fmt;

use serde_json::Value;

use crate::http::{Call, Http, Method};
use crate::{Error, Retry, Secret};

pub const TOKEN: &str = "DIGITALOCEAN_TOKEN";
/// The Terraform provider's other name for the token.
pub const ACCESS_TOKEN: &str = "DIGITALOCEAN_ACCESS_TOKEN";
pub const BASE_URL: &str = "DIGITALOCEAN_BASE_URL";
pub const DEFAULT_BASE_URL: &str = "https://api.digitalocean.com";

/// More pages than this is a listing that never ends.
const MAX_PAGES: usize = 50;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub token: Secret,
    /// The variable the token came from, to name when it is refused.
    pub token_variable: &'static str,
    pub base_url: String,
    pub retry: Retry,
}

impl Config {
    pub fn new(token: Secret) -> Config {
        Config {
            token,
            token_variable: TOKEN,
            base_url: DEFAULT_BASE_URL.to_string(),
            retry: Retry::default(),
        }
    }

    /// `DIGITALOCEAN_TOKEN` (else `DIGITALOCEAN_ACCESS_TOKEN`) and
    /// `DIGITALOCEAN_BASE_URL`; empty values count as unset.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let get = |name: &str| get(name).filter(|v| !v.is_empty());
        let (token, variable) = match (get(TOKEN), get(ACCESS_TOKEN)) {
            (Some(t), _) => (t, TOKEN),
            (None, Some(t)) => (t, ACCESS_TOKEN),
            (None, None) => {
                return Err(Error::MissingCredentials {
                    service: "DigitalOcean",
                    set: "DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN)",
                });
            }
        };
        let mut config = Config::new(Secret::new(token));
        config.token_variable = variable;
        if let Some(base) = get(BASE_URL) {
            config.base_url = base;
        }
        Ok(config)
    }
}

/// A droplet size (plan) as `GET /v2/sizes` lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Size {
    pub slug: String,
    /// US dollars.
    pub price_hourly: f64,
    /// US dollars.
    pub price_monthly: f64,
    pub vcpus: u32,
    pub memory_mb: u64,
    /// Slugs of the regions that offer it.
    pub regions: Vec<String>,
    pub available: bool,
}

/// A region as `GET /v2/regions` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub slug: String,
    pub name: String,
    pub available: bool,
    /// Slugs of the sizes it offers.
    pub sizes: Vec<String>,
}

/// A droplet, as a leftover check needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Droplet {
    pub id: u64,
    pub name: String,
    /// `new`, `active`, `off` or `archive`.
    pub status: String,
    /// Its region's slug.
    pub region: String,
}

/// A size with its list price, for when the API cannot be asked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FallbackSize {
    pub slug: &'static str,
    pub vcpus: u32,
    pub memory_mb: u64,
    /// US dollars.
    pub price_monthly: f64,
    /// US dollars.
    pub price_hourly: f64,
}

/// When [`FALLBACK_SIZES`]' prices were taken from public documentation.
pub const FALLBACK_PRICES_AS_OF: &str = "2026-11-24";

/// Basic (shared CPU, regular SSD) droplets, the sizes e3 uses.
///
/// Monthly prices: DigitalOcean's list prices since its July 2022 change,
/// as a summary of that change lists them
/// (gist.github.com/colinwilson/cd31bde012f6727b24b2fc4ebee749c0) and a
/// guide published 2026-03-14 quotes them with their slugs
/// (cloudtoolstack.com/learn/do-droplets-guide); `s-1vcpu-1gb` at about
/// $6/month also in e3's docs/reference.md. Hourly prices: the monthly
/// price over 672 hours, the monthly cap DigitalOcean documents (a
/// droplet kept longer is billed the monthly price); the API answers
/// 0.00893 for `s-1vcpu-1gb`. Larger sizes (s-1vcpu-2gb and up) are left
/// out: only one source for their prices was found. Ask the API
/// ([`Client::sizes`]) for current prices.
pub const FALLBACK_SIZES: &[FallbackSize] = &[
    FallbackSize {
        slug: "s-1vcpu-512mb-10gb",
        vcpus: 1,
        memory_mb: 512,
        price_monthly: 4.0,
        price_hourly: 0.00595,
    },
    FallbackSize {
        slug: "s-1vcpu-1gb",
        vcpus: 1,
        memory_mb: 1024,
        price_monthly: 6.0,
        price_hourly: 0.00893,
    },
];

/// Region slugs with droplets and Spaces (docs/reference.md's list of
/// Spaces regions, where e3's images are uploaded and imported).
pub const FALLBACK_REGIONS: &[&str] = &[
    "ams3", "atl1", "blr1", "fra1", "lon1", "nyc3", "sfo2", "sfo3", "sgp1", "syd1", "tor1",
];

pub struct Client {
    http: Http,
    config: Config,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: Config) -> Result<Client, Error> {
        Ok(Client {
            http: Http::new(&config.base_url, config.retry.clone())?,
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `GET /v2/sizes`, every page.
    pub fn sizes(&self) -> Result<Vec<Size>, Error> {
        self.list("/v2/sizes?per_page=200", "sizes", |i, s| {
            let f = Fields {
                i,
                v: s,
                list: "sizes",
            };
            Ok(Size {
                slug: f.text("slug")?,
                price_hourly: f.number("price_hourly")?,
                price_monthly: f.number("price_monthly")?,
                vcpus: f.count("vcpus")? as u32,
                memory_mb: f.count("memory")?,
                regions: f.texts("regions")?,
                available: f.flag("available")?,
            })
        })
    }

    /// `GET /v2/droplets?tag_name=TAG`, every page: the droplets with the tag.
    pub fn droplets(&self, tag: &str) -> Result<Vec<Droplet>, Error> {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("tag_name", tag)
            .append_pair("per_page", "200")
            .finish();
        let first = format!("/v2/droplets?{query}");
        self.list(&first, "droplets", |i, d| {
            let f = Fields {
                i,
                v: d,
                list: "droplets",
            };
            Ok(Droplet {
                id: f.count("id")?,
                name: f.text("name")?,
                status: f.text("status")?,
                region: d
                    .pointer("/region/slug")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| f.missing("region", "object with a `slug`"))?,
            })
        })
    }

    /// `GET /v2/regions`, every page.
    pub fn regions(&self) -> Result<Vec<Region>, Error> {
        self.list("/v2/regions?per_page=200", "regions", |i, r| {
            let f = Fields {
                i,
                v: r,
                list: "regions",
            };
            Ok(Region {
                slug: f.text("slug")?,
                name: f.text("name")?,
                available: f.flag("available")?,
                sizes: f.texts("sizes")?,
            })
        })
    }

    /// The items under `key` of `first` and of each `links.pages.next`.
    fn list<T>(
        &self,
        first: &str,
        key: &str,
        item: impl Fn(usize, &Value) -> Result<T, String>,
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        let mut path = first.to_string();
        for _ in 0..MAX_PAGES {
            let call = Call {
                method: Method::Get,
                path: &path,
                bearer: Some(&self.config.token),
                form: None,
                auth_variable: self.config.token_variable,
            };
            let problem = |problem: String| Error::Response {
                method: "GET",
                path: path.clone(),
                problem,
            };
            let body = self.http.send(&call)?.success(&call)?;
            let page: Value =
                serde_json::from_slice(&body).map_err(|e| problem(format!("not JSON: {e}")))?;
            let list = page
                .get(key)
                .and_then(Value::as_array)
                .ok_or_else(|| problem(format!("no `{key}` list")))?;
            for v in list {
                let parsed = item(items.len(), v).map_err(&problem)?;
                items.push(parsed);
            }
            let next = page
                .pointer("/links/pages/next")
                .and_then(Value::as_str)
                .map(path_of);
            match next {
                Some(next) if next != path => path = next,
                _ => return Ok(items),
            }
        }
        Err(Error::Response {
            method: "GET",
            path: first.to_string(),
            problem: format!("more than {MAX_PAGES} pages"),
        })
    }
}

/// The path and query of a `next` link. The link is absolute; only its
/// path is followed, on the configured base, so the token never goes to
/// another host.
fn path_of(link: &str) -> String {
    match link.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(slash) => rest[slash..].to_string(),
            None => "/".to_string(),
        },
        None if link.starts_with('/') => link.to_string(),
        None => format!("/{link}"),
    }
}

/// One item of a listing, its fields read with errors naming them.
struct Fields<'a> {
    i: usize,
    v: &'a Value,
    list: &'a str,
}

impl Fields<'_> {
    fn missing(&self, field: &str, what: &str) -> String {
        format!("{}[{}] has no `{field}` {what}", self.list, self.i)
    }

    fn text(&self, field: &str) -> Result<String, String> {
        self.v
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| self.missing(field, "string"))
    }

    fn number(&self, field: &str) -> Result<f64, String> {
        self.v
            .get(field)
            .and_then(Value::as_f64)
            .ok_or_else(|| self.missing(field, "number"))
    }

    fn count(&self, field: &str) -> Result<u64, String> {
        self.v
            .get(field)
            .and_then(Value::as_u64)
            .ok_or_else(|| self.missing(field, "count"))
    }

    fn flag(&self, field: &str) -> Result<bool, String> {
        self.v
            .get(field)
            .and_then(Value::as_bool)
            .ok_or_else(|| self.missing(field, "true/false"))
    }

    fn texts(&self, field: &str) -> Result<Vec<String>, String> {
        self.v
            .get(field)
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_string)).collect())
            .ok_or_else(|| self.missing(field, "list of strings"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_are_followed_on_the_base() {
        assert_eq!(
            path_of("https://api.digitalocean.com/v2/sizes?page=2&per_page=200"),
            "/v2/sizes?page=2&per_page=200"
        );
        assert_eq!(
            path_of("http://evil.example:81/v2/sizes?page=3"),
            "/v2/sizes?page=3"
        );
        assert_eq!(path_of("/v2/sizes?page=2"), "/v2/sizes?page=2");
    }

    #[test]
    fn config_from_env() {
        let get = |k: &str| (k == ACCESS_TOKEN).then(|| "t".to_string());
        let c = Config::from_env(get).unwrap();
        assert_eq!((c.token.expose(), c.token_variable), ("t", ACCESS_TOKEN));
        let e = Config::from_env(|_| None).unwrap_err().to_string();
        assert!(e.contains("DIGITALOCEAN_TOKEN"), "{e}");
    }

    #[test]
    fn fallback_prices_agree_with_the_672_hour_cap() {
        for s in FALLBACK_SIZES {
            let derived = s.price_monthly / 672.0;
            assert!((derived - s.price_hourly).abs() < 0.000_01, "{}", s.slug);
        }
    }
}
