//! The Tailscale API v2: the tailnet's devices, deleting one, and pruning
//! the devices e3 made (by hostname prefix and tag).
//!
//! Credentials as the Terraform provider takes them: an API key
//! (`TAILSCALE_API_KEY`, sent as a Bearer token) or an OAuth client
//! (`TAILSCALE_OAUTH_CLIENT_ID`, `TAILSCALE_OAUTH_CLIENT_SECRET`), whose
//! access token comes from `POST /api/v2/oauth/token` (client credentials
//! grant) before the first call.

use std::fmt;
use std::sync::Mutex;

use serde_json::Value;

use crate::http::{Call, Http, Method, encode};
use crate::{Error, Retry, Secret};

pub const API_KEY: &str = "TAILSCALE_API_KEY";
pub const OAUTH_CLIENT_ID: &str = "TAILSCALE_OAUTH_CLIENT_ID";
pub const OAUTH_CLIENT_SECRET: &str = "TAILSCALE_OAUTH_CLIENT_SECRET";
pub const TAILNET: &str = "TAILSCALE_TAILNET";
pub const BASE_URL: &str = "TAILSCALE_BASE_URL";

pub const DEFAULT_BASE_URL: &str = "https://api.tailscale.com";
/// The tailnet of the key (or OAuth client) itself.
pub const DEFAULT_TAILNET: &str = "-";

const OAUTH_PAIR: &str = "TAILSCALE_OAUTH_CLIENT_ID and TAILSCALE_OAUTH_CLIENT_SECRET";

#[derive(Clone, Debug, PartialEq)]
pub enum Credentials {
    ApiKey(Secret),
    OAuth {
        client_id: Secret,
        client_secret: Secret,
    },
}

impl Credentials {
    /// The variable(s) these credentials come from, to name when refused.
    pub fn variable(&self) -> &'static str {
        match self {
            Credentials::ApiKey(_) => API_KEY,
            Credentials::OAuth { .. } => OAUTH_PAIR,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub credentials: Credentials,
    pub tailnet: String,
    pub base_url: String,
    pub retry: Retry,
}

impl Config {
    /// The default tailnet (`-`), base URL and retries.
    pub fn new(credentials: Credentials) -> Config {
        Config {
            credentials,
            tailnet: DEFAULT_TAILNET.to_string(),
            base_url: DEFAULT_BASE_URL.to_string(),
            retry: Retry::default(),
        }
    }

    /// From the variables `get` returns (the environment, or a map in
    /// tests); empty values count as unset. An API key wins over an OAuth
    /// client.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let get = |name: &str| get(name).filter(|v| !v.is_empty());
        let credentials = match (get(API_KEY), get(OAUTH_CLIENT_ID), get(OAUTH_CLIENT_SECRET)) {
            (Some(key), _, _) => Credentials::ApiKey(Secret::new(key)),
            (None, Some(id), Some(secret)) => Credentials::OAuth {
                client_id: Secret::new(id),
                client_secret: Secret::new(secret),
            },
            (None, Some(_), None) => {
                return Err(Error::IncompleteCredentials {
                    set: OAUTH_CLIENT_ID,
                    missing: OAUTH_CLIENT_SECRET,
                });
            }
            (None, None, Some(_)) => {
                return Err(Error::IncompleteCredentials {
                    set: OAUTH_CLIENT_SECRET,
                    missing: OAUTH_CLIENT_ID,
                });
            }
            (None, None, None) => {
                return Err(Error::MissingCredentials {
                    service: "Tailscale",
                    set: "TAILSCALE_API_KEY, or TAILSCALE_OAUTH_CLIENT_ID and \
                          TAILSCALE_OAUTH_CLIENT_SECRET",
                });
            }
        };
        let mut config = Config::new(credentials);
        if let Some(tailnet) = get(TAILNET) {
            config.tailnet = tailnet;
        }
        if let Some(base) = get(BASE_URL) {
            config.base_url = base;
        }
        Ok(config)
    }
}

/// A device of the tailnet, as the API lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// The id the API's device calls take (`id`).
    pub id: String,
    /// `nodeId`.
    pub node_id: String,
    /// The MagicDNS name (FQDN), e.g. `e3-p0.tail1234.ts.net`.
    pub name: String,
    /// The machine's own hostname.
    pub hostname: String,
    /// Its Tailscale IPs.
    pub addresses: Vec<String>,
    /// `lastSeen` (RFC 3339), absent for a device connected now.
    pub last_seen: Option<String>,
    /// Its ACL tags, e.g. `tag:e3`.
    pub tags: Vec<String>,
}

impl Device {
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.contains(&tag_name(tag))
    }
}

/// `e3` and `tag:e3` name the same tag.
fn tag_name(tag: &str) -> String {
    if tag.starts_with("tag:") {
        tag.to_string()
    } else {
        format!("tag:{tag}")
    }
}

/// What a delete found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    /// 404: it went between the listing and the delete (an ephemeral node
    /// that logged out, say). Not a failure.
    AlreadyGone,
}

/// What [`Client::prune`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub deleted: Vec<Device>,
    pub already_gone: Vec<Device>,
    /// Devices matching the selection in the listing after the deletes: a
    /// deleted one that came back, or a new one. The caller treats any as
    /// a failure.
    pub still_there: Vec<Device>,
}

pub struct Client {
    http: Http,
    config: Config,
    /// The OAuth access token, fetched on first use.
    token: Mutex<Option<Secret>>,
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
            token: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `GET /api/v2/tailnet/{tailnet}/devices`.
    pub fn devices(&self) -> Result<Vec<Device>, Error> {
        let path = format!("/api/v2/tailnet/{}/devices", encode(&self.config.tailnet));
        let token = self.bearer()?;
        let call = self.call(Method::Get, &path, &token);
        let body = self.http.send(&call)?.success(&call)?;
        parse_devices(&body).map_err(|problem| Error::Response {
            method: call.method.as_str(),
            path: path.clone(),
            problem,
        })
    }

    /// `DELETE /api/v2/device/{id}`.
    pub fn delete_device(&self, id: &str) -> Result<Deletion, Error> {
        let path = format!("/api/v2/device/{}", encode(id));
        let token = self.bearer()?;
        let call = self.call(Method::Delete, &path, &token);
        let reply = self.http.send(&call)?;
        if reply.status == 404 {
            return Ok(Deletion::AlreadyGone);
        }
        reply.success(&call)?;
        Ok(Deletion::Deleted)
    }

    /// Deletes every device whose hostname starts with `prefix` (and, when
    /// given, carries `tag`: `e3` or `tag:e3`), then lists again to see
    /// that they are gone. An empty prefix is refused.
    pub fn prune(&self, prefix: &str, tag: Option<&str>) -> Result<PruneReport, Error> {
        if prefix.is_empty() {
            return Err(Error::EmptyPrefix);
        }
        let selected =
            |d: &Device| d.hostname.starts_with(prefix) && tag.is_none_or(|t| d.has_tag(t));
        let mut report = PruneReport::default();
        for device in self.devices()?.into_iter().filter(selected) {
            match self.delete_device(&device.id)? {
                Deletion::Deleted => report.deleted.push(device),
                Deletion::AlreadyGone => report.already_gone.push(device),
            }
        }
        report.still_there = self.devices()?.into_iter().filter(selected).collect();
        let back = |d: &Device| report.still_there.iter().any(|s| s.id == d.id);
        let (deleted, already_gone) = (
            report
                .deleted
                .iter()
                .filter(|d| !back(d))
                .cloned()
                .collect(),
            report
                .already_gone
                .iter()
                .filter(|d| !back(d))
                .cloned()
                .collect(),
        );
        report.deleted = deleted;
        report.already_gone = already_gone;
        Ok(report)
    }

    fn call<'a>(&self, method: Method, path: &'a str, token: &'a Secret) -> Call<'a> {
        Call {
            method,
            path,
            bearer: Some(token),
            form: None,
            auth_variable: self.config.credentials.variable(),
        }
    }

    /// The API key, or the OAuth access token (fetched once).
    fn bearer(&self) -> Result<Secret, Error> {
        let (client_id, client_secret) = match &self.config.credentials {
            Credentials::ApiKey(key) => return Ok(key.clone()),
            Credentials::OAuth {
                client_id,
                client_secret,
            } => (client_id, client_secret),
        };
        let mut cached = self.token.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(token) = &*cached {
            return Ok(token.clone());
        }
        let form = Secret::new(format!(
            "client_id={}&client_secret={}&grant_type=client_credentials",
            encode(client_id.expose()),
            encode(client_secret.expose()),
        ));
        let call = Call {
            method: Method::Post,
            path: "/api/v2/oauth/token",
            bearer: None,
            form: Some(&form),
            auth_variable: OAUTH_PAIR,
        };
        let body = self.http.send(&call)?.success(&call)?;
        let token = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("access_token")?.as_str().map(Secret::new))
            .ok_or_else(|| Error::Response {
                method: call.method.as_str(),
                path: call.path.to_string(),
                problem: "no `access_token` string in the JSON".to_string(),
            })?;
        *cached = Some(token.clone());
        Ok(token)
    }
}

/// The `devices` of a listing; a problem names the device and field.
fn parse_devices(body: &[u8]) -> Result<Vec<Device>, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let list = v
        .get("devices")
        .and_then(Value::as_array)
        .ok_or("no `devices` list")?;
    list.iter()
        .enumerate()
        .map(|(i, d)| {
            let text = |field: &str| {
                d.get(field)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| format!("devices[{i}] has no `{field}` string"))
            };
            let texts = |field: &str, required: bool| match d.get(field) {
                None | Some(Value::Null) if !required => Ok(Vec::new()),
                value => value
                    .and_then(Value::as_array)
                    .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_string)).collect())
                    .ok_or_else(|| format!("devices[{i}] has no `{field}` list of strings")),
            };
            Ok(Device {
                id: text("id")?,
                node_id: text("nodeId")?,
                name: text("name")?,
                hostname: text("hostname")?,
                addresses: texts("addresses", true)?,
                last_seen: d
                    .get("lastSeen")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                tags: texts("tags", false)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn config_from_env() {
        let c = Config::from_env(env(&[(API_KEY, "k"), (TAILNET, "example.com")])).unwrap();
        assert_eq!(c.credentials, Credentials::ApiKey(Secret::new("k")));
        assert_eq!(
            (c.tailnet.as_str(), c.base_url.as_str()),
            ("example.com", DEFAULT_BASE_URL)
        );

        let c =
            Config::from_env(env(&[(OAUTH_CLIENT_ID, "i"), (OAUTH_CLIENT_SECRET, "s")])).unwrap();
        assert_eq!(c.credentials.variable(), OAUTH_PAIR);
        assert_eq!(c.tailnet, "-");

        let e = Config::from_env(env(&[(API_KEY, "")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("TAILSCALE_API_KEY") && e.contains("TAILSCALE_OAUTH_CLIENT_SECRET"),
            "{e}"
        );
        let e = Config::from_env(env(&[(OAUTH_CLIENT_ID, "i")]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "TAILSCALE_OAUTH_CLIENT_ID is set but TAILSCALE_OAUTH_CLIENT_SECRET is not: set both"
        );
    }

    #[test]
    fn devices_parse_tolerantly_and_name_what_is_missing() {
        let body = br#"{"devices": [
            {"id": "1", "nodeId": "n1", "name": "a.ts.net", "hostname": "a",
             "addresses": ["100.64.0.1"], "lastSeen": "2026-01-01T00:00:00Z",
             "tags": ["tag:e3"], "os": "linux", "extra": {"x": 1}},
            {"id": "2", "nodeId": "n2", "name": "b.ts.net", "hostname": "b", "addresses": []}
        ]}"#;
        let d = parse_devices(body).unwrap();
        assert_eq!(d[0].tags, ["tag:e3"]);
        assert!(d[0].has_tag("e3") && d[0].has_tag("tag:e3"));
        assert_eq!((d[1].last_seen.as_deref(), d[1].tags.len()), (None, 0));

        let e = parse_devices(br#"{"devices": [{"id": "1", "nodeId": "n", "name": "a"}]}"#);
        assert_eq!(e.unwrap_err(), "devices[0] has no `hostname` string");
        assert_eq!(parse_devices(b"{}").unwrap_err(), "no `devices` list");
    }
}
