//! Before anything is created: every tool, secret, file and setting deploy
//! needs, checked at once, each problem named with how to fix it; and what
//! the droplets will cost.

use camino::{Utf8Path, Utf8PathBuf};

use crate::Settings;

/// How preflight sees this machine.
pub trait Env {
    /// The tool's path on PATH.
    fn find(&self, tool: &str) -> Option<Utf8PathBuf>;
    /// Whether the variable is set and not empty (its value is never read
    /// into a message).
    fn is_set(&self, name: &str) -> bool;
}

/// Something deploy cannot do without, and how to get it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub what: String,
    pub fix: String,
}

/// The sizes and regions DigitalOcean offers: from its API when it
/// answers, else from e3's own table (`source` says which).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalogue {
    pub source: String,
    pub regions: Vec<String>,
    pub sizes: Vec<SizeInfo>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SizeInfo {
    pub slug: String,
    /// US dollars.
    pub price_hourly: f64,
    pub price_monthly: f64,
    /// Where it can be had; empty: not known (e3's table).
    pub regions: Vec<String>,
}

/// What `deploy` will run with, found by preflight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub terraform: Option<Utf8PathBuf>,
    pub colmena: Option<Utf8PathBuf>,
    pub git: Option<Utf8PathBuf>,
    pub ssh: Option<Utf8PathBuf>,
}

/// The secrets deploy and destroy read, by the variables that hold them:
/// each entry is satisfied by any one of its alternatives (each a set of
/// variables that must all be set).
pub const SECRETS: &[(&[&[&str]], &str)] = &[
    (
        &[&["DIGITALOCEAN_TOKEN"], &["DIGITALOCEAN_ACCESS_TOKEN"]],
        "a DigitalOcean API token with write scope: `export DIGITALOCEAN_TOKEN=...`",
    ),
    (
        &[&["SPACES_ACCESS_KEY_ID", "SPACES_SECRET_ACCESS_KEY"]],
        "a DigitalOcean Spaces key, for the image and remote state: `export SPACES_ACCESS_KEY_ID=... SPACES_SECRET_ACCESS_KEY=...`",
    ),
    (
        &[
            &["TAILSCALE_API_KEY"],
            &["TAILSCALE_OAUTH_CLIENT_ID", "TAILSCALE_OAUTH_CLIENT_SECRET"],
        ],
        "a Tailscale API key (`export TAILSCALE_API_KEY=...`) or an OAuth client (TAILSCALE_OAUTH_CLIENT_ID and TAILSCALE_OAUTH_CLIENT_SECRET)",
    ),
];

/// The secrets that are missing, each with how to set it.
pub fn missing_secrets(env: &dyn Env) -> Vec<Problem> {
    SECRETS
        .iter()
        .filter(|(alternatives, _)| {
            !alternatives
                .iter()
                .any(|all| all.iter().all(|name| env.is_set(name)))
        })
        .map(|(alternatives, fix)| Problem {
            what: format!(
                "not set: {}",
                alternatives
                    .iter()
                    .map(|all| all.join(" and "))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            fix: fix.to_string(),
        })
        .collect()
}

/// Every problem deploy would meet with these settings, and the tools found.
pub fn check(
    env: &dyn Env,
    settings: &Settings,
    catalogue: &Catalogue,
    with_colmena: bool,
) -> (Found, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut tool = |names: &[&str], fix: &str| {
        let found = names.iter().find_map(|n| env.find(n));
        if found.is_none() {
            problems.push(Problem {
                what: format!("`{}` was not found on PATH", names.join("` or `")),
                fix: fix.to_string(),
            });
        }
        found
    };
    let found = Found {
        terraform: tool(
            &["terraform", "tofu"],
            "`nix develop` (terraform with e3's providers), or https://developer.hashicorp.com/terraform/install",
        ),
        colmena: if with_colmena {
            tool(
                &["colmena"],
                "`nix develop` (nixpkgs' colmena), or pass --no-colmena",
            )
        } else {
            None
        },
        git: if with_colmena {
            tool(
                &["git"],
                "install git (Debian/Ubuntu: `apt-get install git`)",
            )
        } else {
            None
        },
        ssh: tool(
            &["ssh"],
            "install OpenSSH's client (Debian/Ubuntu: `apt-get install openssh-client`)",
        ),
    };
    problems.extend(missing_secrets(env));
    problems.extend(check_settings(settings, catalogue));
    (found, problems)
}

/// The settings themselves: nodes, regions, size, image, keys, bucket.
pub fn check_settings(settings: &Settings, catalogue: &Catalogue) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut problem = |what: String, fix: &str| {
        problems.push(Problem {
            what,
            fix: fix.to_string(),
        })
    };
    if settings.node_count() == 0 {
        problem(
            "no nodes to deploy".into(),
            "give --nodes, e.g. --nodes ams3=3,sfo3=1,nyc3=1,sgp1=1",
        );
    }
    if !catalogue.regions.is_empty() {
        for region in settings.nodes.keys() {
            if !catalogue.regions.contains(region) {
                // The API's list is DigitalOcean's word; e3's own table is
                // only what e3 knew when it was written.
                let what = if catalogue.source.starts_with("DigitalOcean's API") {
                    format!("region `{region}` is not one DigitalOcean's API lists as available")
                } else {
                    format!(
                        "region `{region}` is not in {} (DigitalOcean may have added it since: with DIGITALOCEAN_TOKEN set, e3 asks its API)",
                        catalogue.source
                    )
                };
                problem(
                    what,
                    &format!("choose among {}", catalogue.regions.join(", ")),
                );
            }
        }
    }
    if let Some(why) = prefix_problem(&settings.prefix) {
        problem(
            format!("name prefix `{}` {why}", settings.prefix),
            "give --prefix of 1 to 20 lowercase letters, digits or hyphens, starting with a letter, e.g. `my-lab`",
        );
    }
    if !SPACES_REGIONS.contains(&settings.spaces_region.as_str()) {
        problem(
            format!(
                "`{}` is not a region a Spaces bucket can be in (the DigitalOcean provider {PROVIDER_VERSION} accepts {})",
                settings.spaces_region,
                SPACES_REGIONS.join(", ")
            ),
            "give --spaces-region, one of those",
        );
    }
    if !catalogue.sizes.is_empty() {
        match catalogue.sizes.iter().find(|s| s.slug == settings.size) {
            None => {
                let slugs: Vec<&str> = catalogue.sizes.iter().map(|s| s.slug.as_str()).collect();
                let what = if catalogue.source.starts_with("DigitalOcean's API") {
                    format!(
                        "droplet size `{}` is not one DigitalOcean's API lists as available",
                        settings.size
                    )
                } else {
                    format!(
                        "droplet size `{}` is not in {} (with DIGITALOCEAN_TOKEN set, e3 asks DigitalOcean's API)",
                        settings.size, catalogue.source
                    )
                };
                problem(what, &format!("choose among {}", slugs.join(", ")));
            }
            Some(size) if !size.regions.is_empty() => {
                for region in settings.regions_in_use() {
                    if !size.regions.iter().any(|r| r == region) {
                        problem(
                            format!("size `{}` is not available in `{region}`", size.slug),
                            "choose another --size or region",
                        );
                    }
                }
            }
            Some(_) => {}
        }
    }
    if !settings.image_file.is_file() {
        problem(
            format!("the image file `{}` does not exist", settings.image_file),
            "build it with `cargo xtask image --do`, or give --image FILE",
        );
    }
    if settings.ssh_public_keys.is_empty() {
        problem(
            "nix/authorized_keys lists no SSH public key".into(),
            "add yours (e.g. the line of ~/.ssh/id_ed25519.pub): droplets from a custom image need one, and e3 logs in with it",
        );
    }
    if !valid_bucket(&settings.bucket) {
        problem(
            match settings.bucket.is_empty() {
                true => "no Spaces bucket is named for the image".to_string(),
                false => format!("`{}` is not a Spaces bucket name", settings.bucket),
            },
            "give --bucket NAME (or E3_SPACES_BUCKET): 3 to 63 of a-z, 0-9 and -, starting with a letter or digit; bucket names are shared by every DigitalOcean user, so make it yours",
        );
    }
    problems
}

/// The DigitalOcean provider these facts are from (terraform/versions.tf
/// pins it).
pub const PROVIDER_VERSION: &str = "v2.99.1";

/// The regions `digitalocean_spaces_bucket.region` accepts in the provider
/// [`PROVIDER_VERSION`] (checked by it at plan time, not at validate).
pub const SPACES_REGIONS: &[&str] = &[
    "ams3", "atl1", "blr1", "fra1", "lon1", "nyc3", "sfo2", "sfo3", "sgp1", "syd1", "tor1",
];

/// The longest name prefix: a node's name adds `--<region>-<index>-<8 hex>`
/// (up to 18 characters), and stays a short hostname on the tailnet.
pub const MAX_PREFIX: usize = 20;

/// Why `prefix` cannot start droplet names that are also hostnames, if it
/// cannot: droplet names allow letters, digits, `.` and `-`; the tailnet's
/// hostnames are lower case, and a `.` would split the name in DNS.
pub fn prefix_problem(prefix: &str) -> Option<String> {
    if prefix.is_empty() {
        return Some("is empty".into());
    }
    if prefix.len() > MAX_PREFIX {
        return Some(format!(
            "is {} characters: at most {MAX_PREFIX}, since each node's name adds `--ams3-0-1a2b3c4d` to it",
            prefix.len()
        ));
    }
    if let Some(c) = prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.' || *c == '_'))
    {
        return Some(format!(
            "holds `{c}`: droplet names are letters, digits, `.` and `-`"
        ));
    }
    if prefix.contains('_') {
        return Some("holds `_`: droplet names are letters, digits, `.` and `-`".into());
    }
    if prefix.contains('.') {
        return Some(
            "holds `.`: a droplet's name is its hostname, and a `.` would split it in DNS".into(),
        );
    }
    if prefix.chars().any(|c| c.is_ascii_uppercase()) {
        return Some(format!(
            "has capitals: hostnames on the tailnet are lower case (`{}`)",
            prefix.to_ascii_lowercase()
        ));
    }
    if !prefix.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("does not start with a letter".into());
    }
    None
}

fn valid_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().next().is_some_and(|b| b != b'-')
}

/// What the droplets cost while they run.
#[derive(Clone, Debug, PartialEq)]
pub struct Cost {
    pub nodes: u32,
    pub size: String,
    pub hourly: f64,
    pub monthly: f64,
    pub source: String,
}

impl Cost {
    /// `6 droplets of s-1vcpu-1gb: $0.054 an hour ($36.00 a month), prices from ...`
    pub fn describe(&self) -> String {
        format!(
            "{} droplet{} of {}: ${:.3} an hour (${:.2} a month), prices from {}",
            self.nodes,
            if self.nodes == 1 { "" } else { "s" },
            self.size,
            self.hourly,
            self.monthly,
            self.source
        )
    }
}

/// The cost of the settings' droplets, when the catalogue knows the size.
pub fn cost(settings: &Settings, catalogue: &Catalogue) -> Option<Cost> {
    let size = catalogue.sizes.iter().find(|s| s.slug == settings.size)?;
    let nodes = settings.node_count();
    Some(Cost {
        nodes,
        size: size.slug.clone(),
        hourly: size.price_hourly * f64::from(nodes),
        monthly: size.price_monthly * f64::from(nodes),
        source: catalogue.source.clone(),
    })
}

/// The image file a deploy uses: the one given, else the one
/// `cargo xtask image --do` recorded.
/// The md5 `cargo xtask image` recorded for `file`, when the record is of
/// that very file (its path and size), so that deploy need not read the
/// whole image again to name its object.
pub fn md5_from_record(record_text: &str, file: &Utf8Path, size: u64) -> Option<String> {
    let record: serde_json::Value = serde_json::from_str(record_text).ok()?;
    let same =
        record["file"].as_str() == Some(file.as_str()) && record["size"].as_u64() == Some(size);
    same.then(|| record["md5"].as_str().map(str::to_string))
        .flatten()
}

pub fn image_from_record(record_text: &str) -> Option<Utf8PathBuf> {
    let record: serde_json::Value = serde_json::from_str(record_text).ok()?;
    record["file"].as_str().map(Utf8PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EXAMPLE_NODES, parse_nodes};
    use camino::Utf8Path;

    #[test]
    fn the_recorded_md5_is_used_only_for_the_recorded_file() {
        let record = r#"{"file": "/e3/.e3/images/digitalocean/nixos.qcow2.gz", "size": 3, "md5": "900150983cd24fb0d6963f7d28e17f72"}"#;
        let file = Utf8Path::new("/e3/.e3/images/digitalocean/nixos.qcow2.gz");
        assert_eq!(
            md5_from_record(record, file, 3).as_deref(),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(md5_from_record(record, file, 4), None);
        assert_eq!(
            md5_from_record(record, Utf8Path::new("/other.qcow2.gz"), 3),
            None
        );
        assert_eq!(md5_from_record("not json", file, 3), None);
    }

    struct Fake {
        tools: Vec<&'static str>,
        set: Vec<&'static str>,
    }

    impl Env for Fake {
        fn find(&self, tool: &str) -> Option<Utf8PathBuf> {
            self.tools
                .contains(&tool)
                .then(|| format!("/usr/bin/{tool}").into())
        }
        fn is_set(&self, name: &str) -> bool {
            self.set.contains(&name)
        }
    }

    fn catalogue() -> Catalogue {
        Catalogue {
            source: "e3's table of 2026-11".into(),
            regions: ["ams3", "nyc3", "sfo3", "sgp1", "fra1"]
                .map(String::from)
                .to_vec(),
            sizes: vec![SizeInfo {
                slug: "s-1vcpu-1gb".into(),
                price_hourly: 0.00893,
                price_monthly: 6.0,
                regions: vec![],
            }],
        }
    }

    fn settings(image: &str) -> Settings {
        Settings {
            nodes: parse_nodes(EXAMPLE_NODES).unwrap(),
            size: "s-1vcpu-1gb".into(),
            prefix: "e3".into(),
            image_file: image.into(),
            bucket: "my-e3-images".into(),
            spaces_region: "ams3".into(),
            ssh_public_keys: vec!["ssh-ed25519 AAAA me@laptop".into()],
            tags: vec!["e3".into()],
        }
    }

    #[test]
    fn all_there() {
        let env = Fake {
            tools: vec!["tofu", "colmena", "git", "ssh"],
            set: vec![
                "DIGITALOCEAN_ACCESS_TOKEN",
                "SPACES_ACCESS_KEY_ID",
                "SPACES_SECRET_ACCESS_KEY",
                "TAILSCALE_OAUTH_CLIENT_ID",
                "TAILSCALE_OAUTH_CLIENT_SECRET",
            ],
        };
        let (found, problems) = check(&env, &settings("/etc/hostname"), &catalogue(), true);
        assert_eq!(problems, []);
        assert_eq!(
            found.terraform.as_deref(),
            Some(Utf8Path::new("/usr/bin/tofu"))
        );
        let cost = cost(&settings("/etc/hostname"), &catalogue()).unwrap();
        assert_eq!(
            cost.describe(),
            "6 droplets of s-1vcpu-1gb: $0.054 an hour ($36.00 a month), prices from e3's table of 2026-11"
        );
    }

    #[test]
    fn everything_missing_is_said_at_once() {
        let env = Fake {
            tools: vec![],
            set: vec!["TAILSCALE_OAUTH_CLIENT_ID"],
        };
        let mut s = settings("/no/such/image.qcow2.gz");
        s.nodes = parse_nodes("ams3=2,xyz9=1").unwrap();
        s.size = "m-huge".into();
        s.ssh_public_keys.clear();
        s.bucket = "E3".into();
        let (_, problems) = check(&env, &s, &catalogue(), true);
        let text: Vec<String> = problems
            .iter()
            .map(|p| format!("- {}\n  fix: {}", p.what, p.fix))
            .collect();
        insta::assert_snapshot!(text.join("\n"));
        let (_, without) = check(&env, &s, &catalogue(), false);
        assert!(!without.iter().any(|p| p.what.contains("colmena")));
        // No bucket at all (an empty --bucket or E3_SPACES_BUCKET) is said so.
        s.bucket.clear();
        let (_, problems) = check(&env, &s, &catalogue(), true);
        assert!(
            problems
                .iter()
                .any(|p| p.what == "no Spaces bucket is named for the image"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_size_not_in_a_region() {
        let mut cat = catalogue();
        cat.sizes[0].regions = vec!["ams3".into()];
        let mut s = settings("/etc/hostname");
        s.nodes = parse_nodes("ams3=1,sgp1=1").unwrap();
        let problems = check_settings(&s, &cat);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0].what,
            "size `s-1vcpu-1gb` is not available in `sgp1`"
        );
    }

    /// Preflight knows what the provider knows: the prefix makes droplet
    /// names that are hostnames, and the bucket's region is one of the
    /// provider's.
    #[test]
    fn prefixes_and_bucket_regions() {
        let table: &[(&str, Option<&str>)] = &[
            ("e3", None),
            ("my-lab", None),
            ("lab2", None),
            (
                "My_Lab",
                Some("holds `_`: droplet names are letters, digits, `.` and `-`"),
            ),
            (
                "MyLab",
                Some("has capitals: hostnames on the tailnet are lower case (`mylab`)"),
            ),
            (
                "my.lab",
                Some(
                    "holds `.`: a droplet's name is its hostname, and a `.` would split it in DNS",
                ),
            ),
            ("2lab", Some("does not start with a letter")),
            ("-lab", Some("does not start with a letter")),
            (
                "lab!",
                Some("holds `!`: droplet names are letters, digits, `.` and `-`"),
            ),
            ("", Some("is empty")),
            (
                "a-very-long-prefix-indeed",
                Some(
                    "is 25 characters: at most 20, since each node's name adds `--ams3-0-1a2b3c4d` to it",
                ),
            ),
        ];
        for (prefix, want) in table {
            assert_eq!(prefix_problem(prefix).as_deref(), *want, "{prefix}");
        }
        let mut s = settings("/etc/hostname");
        s.prefix = "My_Lab".into();
        s.spaces_region = "nyc1".into();
        let problems = check_settings(&s, &catalogue());
        let whats: Vec<&str> = problems.iter().map(|p| p.what.as_str()).collect();
        assert_eq!(
            whats,
            [
                "name prefix `My_Lab` holds `_`: droplet names are letters, digits, `.` and `-`",
                "`nyc1` is not a region a Spaces bucket can be in (the DigitalOcean provider v2.99.1 accepts ams3, atl1, blr1, fra1, lon1, nyc3, sfo2, sfo3, sgp1, syd1, tor1)",
            ]
        );
        for region in SPACES_REGIONS {
            s.spaces_region = region.to_string();
            s.prefix = "e3".into();
            assert!(check_settings(&s, &catalogue()).is_empty(), "{region}");
        }
    }

    #[test]
    fn the_recorded_image() {
        let record =
            r#"{"target": "digitalocean", "file": "/e3/.e3/images/digitalocean/nixos.qcow2.gz"}"#;
        assert_eq!(
            image_from_record(record).unwrap(),
            "/e3/.e3/images/digitalocean/nixos.qcow2.gz"
        );
        assert_eq!(image_from_record("{}"), None);
    }
}
