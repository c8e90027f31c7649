//! The DigitalOcean client against a local server that speaks the API's
//! shapes, pages included.

mod common;

use std::time::Duration;

use common::{Reply, Server};
use e3_cloud::digitalocean::{Client, Config, FALLBACK_REGIONS, FALLBACK_SIZES};
use e3_cloud::{Error, Retry, Secret};
use serde_json::{Value, json};

const TOKEN: &str = "dop_v1_0123456789abcdef0123456789abcdef";

fn size(slug: &str, vcpus: u32, memory: u64, monthly: f64, hourly: f64) -> Value {
    json!({
        "slug": slug, "memory": memory, "vcpus": vcpus, "disk": 25, "transfer": 1.0,
        "price_monthly": monthly, "price_hourly": hourly,
        "regions": ["ams3", "fra1", "nyc3"], "available": true, "description": "Basic",
    })
}

fn region(slug: &str, name: &str) -> Value {
    json!({
        "slug": slug, "name": name, "available": true,
        "sizes": ["s-1vcpu-1gb", "s-2vcpu-4gb"], "features": ["metadata"],
    })
}

fn droplet(id: u64, name: &str, status: &str, region: &str) -> Value {
    json!({
        "id": id, "name": name, "status": status, "memory": 1024, "vcpus": 1,
        "region": {"slug": region, "name": region, "available": true},
        "tags": ["e3:ci"], "networks": {"v4": [], "v6": []},
    })
}

/// Two pages of sizes and two of regions. `next` links are absolute and
/// name DigitalOcean's own host, as the API writes them.
fn api() -> Server {
    Server::start(|r| {
        if r.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return Reply::json(
                401,
                json!({"id": "unauthorized", "message": "Unable to authenticate you"}),
            );
        }
        let next =
            |path: &str| json!({"pages": {"next": format!("https://api.digitalocean.com{path}")}});
        let body = match r.path.as_str() {
            "/v2/sizes?per_page=200" => json!({
                "sizes": [size("s-1vcpu-1gb", 1, 1024, 6.0, 0.00893)],
                "links": next("/v2/sizes?page=2&per_page=200"),
                "meta": {"total": 2},
            }),
            "/v2/sizes?page=2&per_page=200" => json!({
                "sizes": [size("s-2vcpu-4gb", 2, 4096, 24.0, 0.03571)],
                "links": {"pages": {"prev": "https://api.digitalocean.com/v2/sizes?page=1&per_page=200"}},
                "meta": {"total": 2},
            }),
            "/v2/regions?per_page=200" => json!({
                "regions": [region("nyc3", "New York 3")],
                "links": next("/v2/regions?page=2&per_page=200"),
                "meta": {"total": 2},
            }),
            "/v2/regions?page=2&per_page=200" => json!({
                "regions": [region("fra1", "Frankfurt 1")],
                "links": {},
                "meta": {"total": 2},
            }),
            // Droplets by tag: DigitalOcean's shape (id, name, status, region object).
            "/v2/droplets?tag_name=e3%3Aci&per_page=200" => json!({
                "droplets": [droplet(101, "ci7--ams3-0-ab12", "active", "ams3")],
                "links": next("/v2/droplets?page=2&per_page=200&tag_name=e3%3Aci"),
                "meta": {"total": 2},
            }),
            "/v2/droplets?page=2&per_page=200&tag_name=e3%3Aci" => json!({
                "droplets": [droplet(102, "ci7--sfo3-0-cd34", "new", "sfo3")],
                "links": {},
                "meta": {"total": 2},
            }),
            "/v2/droplets?tag_name=e3&per_page=200" => json!({
                "droplets": [], "links": {}, "meta": {"total": 0},
            }),
            _ => return Reply::json(404, json!({"id": "not_found"})),
        };
        Reply::json(200, body)
    })
}

fn client(server: &Server, token: &str) -> Client {
    let mut config = Config::new(Secret::new(token));
    config.base_url = server.url().to_string();
    config.retry = Retry {
        // Only keeps a broken test from hanging: the local server answers at once.
        timeout: Duration::from_secs(60),
        backoff: Duration::from_millis(10),
        ..Retry::default()
    };
    Client::new(config).unwrap()
}

#[test]
fn sizes_and_regions_follow_the_pages() {
    let server = api();
    let client = client(&server, TOKEN);

    let sizes = client.sizes().unwrap();
    let slugs: Vec<&str> = sizes.iter().map(|s| s.slug.as_str()).collect();
    assert_eq!(slugs, ["s-1vcpu-1gb", "s-2vcpu-4gb"]);
    let big = &sizes[1];
    assert_eq!((big.vcpus, big.memory_mb, big.available), (2, 4096, true));
    assert_eq!((big.price_monthly, big.price_hourly), (24.0, 0.03571));
    assert_eq!(big.regions, ["ams3", "fra1", "nyc3"]);

    let regions = client.regions().unwrap();
    let slugs: Vec<&str> = regions.iter().map(|r| r.slug.as_str()).collect();
    assert_eq!(slugs, ["nyc3", "fra1"]);
    assert_eq!(regions[1].name, "Frankfurt 1");
    assert_eq!(regions[1].sizes, ["s-1vcpu-1gb", "s-2vcpu-4gb"]);

    // The next links were followed on the configured base, token and all.
    assert_eq!(
        server.lines(),
        [
            "GET /v2/sizes?per_page=200",
            "GET /v2/sizes?page=2&per_page=200",
            "GET /v2/regions?per_page=200",
            "GET /v2/regions?page=2&per_page=200",
        ]
    );
}

#[test]
fn droplets_by_tag_follow_the_pages() {
    let server = api();
    let client = client(&server, TOKEN);
    let found = client.droplets("e3:ci").unwrap();
    let names: Vec<(&str, &str, &str)> = found
        .iter()
        .map(|d| (d.name.as_str(), d.status.as_str(), d.region.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("ci7--ams3-0-ab12", "active", "ams3"),
            ("ci7--sfo3-0-cd34", "new", "sfo3")
        ]
    );
    assert_eq!(found[1].id, 102);
    assert!(client.droplets("e3").unwrap().is_empty());
}

#[test]
fn a_refused_token_names_its_variable() {
    let server = api();
    let err = client(&server, "dop_v1_WRONG").sizes().unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /v2/sizes?per_page=200: the API answered 401 Unauthorized: check DIGITALOCEAN_TOKEN"
    );
    assert!(matches!(err, Error::Unauthorized { .. }));
}

#[test]
fn the_fallbacks_are_there() {
    assert!(FALLBACK_SIZES.iter().any(|s| s.slug == "s-1vcpu-1gb"));
    assert!(FALLBACK_REGIONS.contains(&"fra1"));
}
