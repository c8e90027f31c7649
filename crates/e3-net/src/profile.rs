//! Network profiles: `net/<name>.toml`, the round trips, bandwidth and
//! jitter between cloud regions, and where the parties are.
//!
//! ```toml
//! source = "estimate: great-circle distance"
//! placement = { ams3 = 3, sfo3 = 1 }   # parties per region, in party order
//! [rtt_ms]            # symmetric; "intra" for two parties in one region
//! intra = 1.0
//! "ams3-sfo3" = 140.0
//! [bandwidth_mbit]    # optional; "default" and per region pair
//! default = 1000
//! [jitter_ms]         # optional; never reorders bytes
//! default = 0
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};

use e3_toml::{DeTable, DeValue, Spanned};
use sha2::{Digest, Sha256};

/// A profile, checked: every pair of its regions has a round trip.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Its name: the file's stem.
    pub name: String,
    /// Where its figures come from (an estimate, or a measurement).
    pub source: String,
    /// Parties per region, in party order.
    pub placement: Vec<(String, usize)>,
    /// Round trip between two parties in one region, ms.
    pub intra_rtt_ms: f64,
    /// Round trips between regions, ms, by (region, region) in name order.
    pub rtt_ms: BTreeMap<(String, String), f64>,
    /// Bandwidth of a link, Mbit/s: per pair, else the default (`None`: no cap).
    pub bandwidth_mbit: BTreeMap<(String, String), f64>,
    pub default_bandwidth_mbit: Option<f64>,
    /// Jitter of a link, ms: per pair, else the default.
    pub jitter_ms: BTreeMap<(String, String), f64>,
    pub default_jitter_ms: f64,
    /// sha256 of the file's text, hex: which figures a result was made with.
    pub hash: String,
}

/// What one direction of a link between two parties gets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// Half the pair's round trip.
    pub one_way: Duration,
    /// `None`: no cap.
    pub bits_per_sec: Option<u64>,
    /// Up to this much more delay, drawn per chunk (order kept).
    pub jitter: Duration,
}

impl Link {
    /// No delay, no cap, no jitter: what `lan` gives.
    pub fn is_direct(&self) -> bool {
        self.one_way.is_zero() && self.bits_per_sec.is_none() && self.jitter.is_zero()
    }
}

/// The key of a region pair, in name order.
fn pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

impl Profile {
    /// The region of each party, in party order.
    pub fn regions_of_parties(&self) -> Vec<String> {
        self.placement
            .iter()
            .flat_map(|(region, n)| std::iter::repeat_n(region.clone(), *n))
            .collect()
    }

    pub fn parties(&self) -> usize {
        self.placement.iter().map(|(_, n)| n).sum()
    }

    /// The regions, in placement order.
    pub fn regions(&self) -> Vec<&str> {
        self.placement.iter().map(|(r, _)| r.as_str()).collect()
    }

    /// The round trip between two regions (the intra one within a region), ms.
    pub fn rtt(&self, a: &str, b: &str) -> f64 {
        if a == b {
            return self.intra_rtt_ms;
        }
        self.rtt_ms.get(&pair(a, b)).copied().unwrap_or(0.0)
    }

    /// One direction of the link from a party in `from` to one in `to`.
    pub fn link(&self, from: &str, to: &str) -> Link {
        let key = pair(from, to);
        let mbit = self
            .bandwidth_mbit
            .get(&key)
            .copied()
            .or(self.default_bandwidth_mbit);
        let jitter = self
            .jitter_ms
            .get(&key)
            .copied()
            .unwrap_or(self.default_jitter_ms);
        Link {
            one_way: Duration::from_secs_f64(self.rtt(from, to) / 2.0 / 1000.0),
            bits_per_sec: mbit.map(|m| (m * 1_000_000.0) as u64),
            jitter: Duration::from_secs_f64(jitter / 1000.0),
        }
    }

    /// The same profile with another placement (`--placement ams3=3,sfo3=1`):
    /// every region of it must have its round trips in the file.
    pub fn with_placement(&self, text: &str) -> Result<Profile, ProfileError> {
        let error = |message: String| ProfileError {
            source: "--placement".into(),
            line: None,
            key: None,
            message,
        };
        let mut placement: Vec<(String, usize)> = Vec::new();
        for item in text.split(',').filter(|s| !s.trim().is_empty()) {
            let (region, n) = item
                .split_once('=')
                .ok_or_else(|| error(format!("`{item}` is not REGION=COUNT")))?;
            let n: usize = n
                .trim()
                .parse()
                .map_err(|_| error(format!("`{item}`: the count is not a whole number")))?;
            if placement.iter().any(|(r, _)| r == region.trim()) {
                return Err(error(format!("region `{}` is named twice", region.trim())));
            }
            placement.push((region.trim().to_string(), n));
        }
        if placement.is_empty() {
            return Err(error("empty; give REGION=COUNT,...".into()));
        }
        let mut profile = self.clone();
        profile.placement = placement;
        for (i, (a, _)) in profile.placement.iter().enumerate() {
            for (b, _) in &profile.placement[i + 1..] {
                if !profile.rtt_ms.contains_key(&pair(a, b)) {
                    return Err(ProfileError {
                        source: self.name.clone(),
                        line: None,
                        key: Some(format!("rtt_ms.\"{a}-{b}\"")),
                        message: format!(
                            "missing: --placement puts parties in {a} and {b}, and the profile has no round trip between them"
                        ),
                    });
                }
            }
        }
        Ok(profile)
    }

    /// A profile of one region (`lan`) holds any number of parties: its
    /// placement becomes that region with `parties`. Others are unchanged.
    pub fn fitted(mut self, parties: usize) -> Profile {
        if let [(_, n)] = self.placement.as_mut_slice() {
            *n = parties;
        }
        self
    }

    /// Checks that the placement holds exactly `parties` parties.
    pub fn check_parties(&self, parties: usize) -> Result<(), ProfileError> {
        let placed = self.parties();
        if placed == parties {
            return Ok(());
        }
        Err(ProfileError {
            source: self.name.clone(),
            line: None,
            key: Some("placement".into()),
            message: format!(
                "places {placed} parties ({}), and the run has {parties}; change --parties, or give --placement",
                self.placement
                    .iter()
                    .map(|(r, n)| format!("{r}={n}"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        })
    }
}

/// A profile that is not one: the file (or flag), line and key, and why.
pub type ProfileError = e3_toml::KeyError;

const TOP_KEYS: &[&str] = &[
    "source",
    "placement",
    "rtt_ms",
    "bandwidth_mbit",
    "jitter_ms",
];

/// Why a profile could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file cannot be read; `known` are the profiles in `net/`.
    Unreadable {
        shown: String,
        error: std::io::Error,
        known: Vec<String>,
    },
    Invalid(ProfileError),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Unreadable { shown, error, .. } => write!(f, "cannot read {shown}: {error}"),
            LoadError::Invalid(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// The profiles in `root/net/`, by name, sorted.
pub fn known(root: &Utf8Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join(PROFILES_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".toml"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

/// Where profiles are found by name: `net/NAME.toml` under the root.
pub const PROFILES_DIR: &str = "net";

/// The profile `given`: a name (`net/NAME.toml` under `root`), or a path
/// (one with a `/` or ending in `.toml`) relative to `cwd`.
pub fn load(root: &Utf8Path, cwd: &Utf8Path, given: &str) -> Result<Profile, LoadError> {
    let as_path = given.contains('/') || given.ends_with(".toml");
    let path: Utf8PathBuf = match as_path {
        true => cwd.join(given),
        false => root.join(PROFILES_DIR).join(format!("{given}.toml")),
    };
    let shown = path
        .strip_prefix(root)
        .map_or_else(|_| path.to_string(), |p| p.to_string());
    let text = std::fs::read_to_string(&path).map_err(|error| LoadError::Unreadable {
        shown: shown.clone(),
        error,
        known: known(root),
    })?;
    let name = path.file_stem().unwrap_or(given);
    parse(&text, name, &shown).map_err(LoadError::Invalid)
}

/// Reads and checks a profile; `name` is what it is called (the file's
/// stem), `source` names the file in errors.
pub fn parse(text: &str, name: &str, source: &str) -> Result<Profile, ProfileError> {
    let doc = Doc(e3_toml::Doc { text, source });
    let root = doc.parse()?;
    let root = root.get_ref();
    for (key, _) in e3_toml::entries(root) {
        let key_name = key.get_ref().as_ref();
        if !TOP_KEYS.contains(&key_name) {
            return Err(doc.error(
                Some(key.span()),
                key_name,
                format!(
                    "unknown key; the keys are {}",
                    TOP_KEYS
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let source_text = match e3_toml::get(root, "source") {
        Some(value) => match value.get_ref().as_str() {
            Some(s) if !s.trim().is_empty() => s.to_string(),
            _ => {
                return Err(doc.error(
                    Some(value.span()),
                    "source",
                    "expected a non-empty string: where the figures come from",
                ));
            }
        },
        None => {
            return Err(doc.error(
                None,
                "source",
                "missing; say where the figures come from, e.g. `source = \"estimate: great-circle distance\"`",
            ));
        }
    };
    let placement = doc.placement(root)?;
    let regions: Vec<&str> = placement.iter().map(|(r, _)| r.as_str()).collect();

    let Some(rtt) = e3_toml::get(root, "rtt_ms") else {
        return Err(doc.error(
            None,
            "rtt_ms",
            "missing; a [rtt_ms] table with `intra` and every pair of regions",
        ));
    };
    let (intra, rtt_ms) = doc.pairs(rtt, "rtt_ms", "intra", &regions, false)?;
    let Some(intra_rtt_ms) = intra else {
        return Err(doc.error(
            Some(rtt.span()),
            "rtt_ms.intra",
            "missing; the round trip between two parties in one region",
        ));
    };
    for (i, a) in regions.iter().enumerate() {
        for b in &regions[i + 1..] {
            if !rtt_ms.contains_key(&pair(a, b)) {
                return Err(doc.error(
                    Some(rtt.span()),
                    &format!("rtt_ms.\"{a}-{b}\""),
                    format!("missing; the round trip between {a} and {b}"),
                ));
            }
        }
    }
    let (default_bandwidth_mbit, bandwidth_mbit) = match e3_toml::get(root, "bandwidth_mbit") {
        Some(value) => doc.pairs(value, "bandwidth_mbit", "default", &regions, true)?,
        None => (None, BTreeMap::new()),
    };
    let (default_jitter, jitter_ms) = match e3_toml::get(root, "jitter_ms") {
        Some(value) => doc.pairs(value, "jitter_ms", "default", &regions, false)?,
        None => (None, BTreeMap::new()),
    };
    Ok(Profile {
        name: name.to_string(),
        source: source_text,
        placement,
        intra_rtt_ms,
        rtt_ms,
        bandwidth_mbit,
        default_bandwidth_mbit,
        jitter_ms,
        default_jitter_ms: default_jitter.unwrap_or(0.0),
        hash: Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    })
}

/// Figures by region pair (in name order).
type PairFigures = BTreeMap<(String, String), f64>;

/// The file, for errors that point into it, and the profile's own readers.
struct Doc<'a>(e3_toml::Doc<'a>);

impl<'a> std::ops::Deref for Doc<'a> {
    type Target = e3_toml::Doc<'a>;

    fn deref(&self) -> &e3_toml::Doc<'a> {
        &self.0
    }
}

impl Doc<'_> {
    fn table<'t, 'i>(
        &self,
        value: &'t Spanned<DeValue<'i>>,
        key: &str,
    ) -> Result<&'t DeTable<'i>, ProfileError> {
        match value.get_ref() {
            DeValue::Table(table) => Ok(table),
            _ => Err(self.error(Some(value.span()), key, "expected a table")),
        }
    }

    /// A number (integer or float) of at least 0 (above 0 with `positive`).
    fn number(
        &self,
        value: &Spanned<DeValue<'_>>,
        key: &str,
        positive: bool,
    ) -> Result<f64, ProfileError> {
        let x = match value.get_ref() {
            DeValue::Integer(int) => i64::from_str_radix(int.as_str(), int.radix())
                .map(|i| i as f64)
                .map_err(|_| self.error(Some(value.span()), key, "too large"))?,
            DeValue::Float(float) => float
                .as_str()
                .replace('_', "")
                .parse::<f64>()
                .map_err(|_| self.error(Some(value.span()), key, "not a number"))?,
            _ => return Err(self.error(Some(value.span()), key, "expected a number")),
        };
        if !x.is_finite() || x < 0.0 || (positive && x == 0.0) {
            let want = if positive { "above 0" } else { "0 or more" };
            return Err(self.error(
                Some(value.span()),
                key,
                format!("must be {want} (found {x})"),
            ));
        }
        Ok(x)
    }

    /// `placement = { ams3 = 3, sfo3 = 1 }`, in the file's order.
    fn placement(&self, root: &DeTable<'_>) -> Result<Vec<(String, usize)>, ProfileError> {
        let Some(value) = e3_toml::get(root, "placement") else {
            return Err(self.error(
                None,
                "placement",
                "missing; parties per region in party order, e.g. `placement = { ams3 = 3, sfo3 = 1 }`",
            ));
        };
        let table = self.table(value, "placement")?;
        let mut placement = Vec::new();
        for (key, count) in e3_toml::entries(table) {
            let region = key.get_ref().as_ref();
            let dotted = format!("placement.{region}");
            if !is_region(region) {
                return Err(self.error(
                    Some(key.span()),
                    &dotted,
                    "not a region name: lowercase letters and digits, like ams3",
                ));
            }
            let n = self.number(count, &dotted, true)?;
            if n.fract() != 0.0 {
                return Err(self.error(Some(count.span()), &dotted, "a whole number of parties"));
            }
            placement.push((region.to_string(), n as usize));
        }
        if placement.is_empty() {
            return Err(self.error(
                Some(value.span()),
                "placement",
                "empty; name at least one region",
            ));
        }
        Ok(placement)
    }

    /// A table of `special` (intra or default) and `"a-b"` region pairs.
    fn pairs(
        &self,
        value: &Spanned<DeValue<'_>>,
        name: &str,
        special: &str,
        regions: &[&str],
        positive: bool,
    ) -> Result<(Option<f64>, PairFigures), ProfileError> {
        let table = self.table(value, name)?;
        let mut special_value = None;
        let mut pairs = BTreeMap::new();
        for (key, figure) in e3_toml::entries(table) {
            let key_name = key.get_ref().as_ref();
            let dotted = format!("{name}.\"{key_name}\"");
            if key_name == special {
                special_value =
                    Some(self.number(figure, &format!("{name}.{special}"), positive)?);
                continue;
            }
            let Some((a, b)) = key_name.split_once('-') else {
                return Err(self.error(
                    Some(key.span()),
                    &dotted,
                    format!(
                        "unknown key; the keys are `{special}` and region pairs like \"ams3-sfo3\""
                    ),
                ));
            };
            for region in [a, b] {
                if !regions.contains(&region) {
                    return Err(self.error(
                        Some(key.span()),
                        &dotted,
                        format!(
                            "`{region}` is not in the placement ({})",
                            regions.join(", ")
                        ),
                    ));
                }
            }
            if a == b {
                return Err(self.error(
                    Some(key.span()),
                    &dotted,
                    format!("a pair of one region; within a region, use `{special}`"),
                ));
            }
            if pairs
                .insert(pair(a, b), self.number(figure, &dotted, positive)?)
                .is_some()
            {
                return Err(self.error(
                    Some(key.span()),
                    &dotted,
                    format!("given twice (as \"{a}-{b}\" and \"{b}-{a}\"): links are symmetric"),
                ));
            }
        }
        Ok((special_value, pairs))
    }
}

fn is_region(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
source = "test"
placement = { ams3 = 2, sfo3 = 1 }
[rtt_ms]
intra = 1
"sfo3-ams3" = 140.5
[bandwidth_mbit]
default = 1000
"ams3-sfo3" = 100
[jitter_ms]
default = 0.5
"#;

    #[test]
    fn a_profile_reads_in_party_order() {
        let p = parse(TWO, "two", "net/two.toml").unwrap();
        assert_eq!(p.regions_of_parties(), ["ams3", "ams3", "sfo3"]);
        assert_eq!(p.rtt("ams3", "sfo3"), 140.5);
        assert_eq!(p.rtt("sfo3", "ams3"), 140.5);
        assert_eq!(p.rtt("ams3", "ams3"), 1.0);
        let link = p.link("sfo3", "ams3");
        assert_eq!(link.one_way, Duration::from_micros(70_250));
        assert_eq!(link.bits_per_sec, Some(100_000_000));
        assert_eq!(link.jitter, Duration::from_micros(500));
        assert_eq!(p.link("ams3", "ams3").bits_per_sec, Some(1_000_000_000));
        assert_eq!(p.hash.len(), 64);
        p.check_parties(3).unwrap();
        // One region fits any count; several do not.
        assert_eq!(p.clone().fitted(7).parties(), 3);
        let lan = parse(
            "source = \"l\"\nplacement = { lan = 6 }\n[rtt_ms]\nintra = 0\n",
            "lan",
            "lan.toml",
        )
        .unwrap();
        assert_eq!(lan.fitted(9).regions_of_parties().len(), 9);
        let err = p.check_parties(6).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("placement"));
        let moved = p.with_placement("sfo3=4,ams3=2").unwrap();
        assert_eq!(moved.regions_of_parties()[..2], ["sfo3", "sfo3"]);
        let err = p.with_placement("ams3=1,nyc3=1").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("rtt_ms.\"ams3-nyc3\""));
    }

    #[test]
    fn bad_profiles_name_their_key() {
        let base = |replace: &str, with: &str| TWO.replace(replace, with);
        let cases: Vec<(String, &str, &str)> = vec![
            (base("source = \"test\"\n", ""), "source", "missing"),
            (
                base("source = \"test\"", "source = \"test\"\ncolour = 1"),
                "colour",
                "unknown key",
            ),
            (
                base("\"sfo3-ams3\" = 140.5\n", ""),
                "rtt_ms.\"ams3-sfo3\"",
                "missing",
            ),
            (base("intra = 1\n", ""), "rtt_ms.intra", "missing"),
            (
                base("140.5", "-3"),
                "rtt_ms.\"sfo3-ams3\"",
                "must be 0 or more",
            ),
            (
                base("\"ams3-sfo3\" = 100", "\"ams3-sfo3\" = 0"),
                "bandwidth_mbit.\"ams3-sfo3\"",
                "above 0",
            ),
            (
                base("default = 0.5", "default = -1"),
                "jitter_ms.default",
                "0 or more",
            ),
            (
                base("\"ams3-sfo3\" = 100", "\"ams3-nyc3\" = 100"),
                "bandwidth_mbit.\"ams3-nyc3\"",
                "not in the placement",
            ),
            (base("ams3 = 2", "ams3 = 0"), "placement.ams3", "above 0"),
            (
                base("ams3 = 2", "ams3 = 1.5"),
                "placement.ams3",
                "whole number",
            ),
            (
                base("placement = { ams3 = 2, sfo3 = 1 }\n", ""),
                "placement",
                "missing",
            ),
            (
                base("[rtt_ms]", "[rtt_ms]\nams3 = 1"),
                "rtt_ms.\"ams3\"",
                "unknown key",
            ),
            (
                base("140.5", "\"slow\""),
                "rtt_ms.\"sfo3-ams3\"",
                "expected a number",
            ),
        ];
        for (text, key, message) in cases {
            let err = parse(&text, "bad", "net/bad.toml").unwrap_err();
            assert_eq!(err.key.as_deref(), Some(key), "{err}\n{text}");
            assert!(err.message.contains(message), "{err}");
        }
    }
}
