//! A profile from measurements (`cargo xtask netprobe`): the ping-pong
//! program's round trips and bulk transfers between hosts, summed up by
//! region pair (the median over the pairs of hosts), as a profile's TOML.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What the ping-pong program printed, by party (= host) index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measurements {
    /// (i, j, median round trip in ms).
    pub round_trips: Vec<(usize, usize, f64)>,
    /// (i, j, Mbit/s).
    pub transfers: Vec<(usize, usize, f64)>,
}

impl Measurements {
    /// The `pingpong i j MS` and `bulk i j MBIT` lines of `text`.
    pub fn read(&mut self, text: &str) {
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let [kind, i, j, figure] = words[..] else {
                continue;
            };
            let (Ok(i), Ok(j), Ok(figure)) = (i.parse(), j.parse(), figure.parse::<f64>()) else {
                continue;
            };
            match kind {
                "pingpong" => self.round_trips.push((i, j, figure)),
                "bulk" => self.transfers.push((i, j, figure)),
                _ => {}
            }
        }
    }
}

/// A region name for a host: its own region when known, else the region
/// in an e3 node's name (`e3--ams3-0-1a2b3c4d`), else the host's name made
/// into one (lowercase letters and digits).
pub fn region_of(name: &str, known: Option<&str>) -> String {
    if let Some(region) = known {
        return region.to_string();
    }
    if let Some((_, rest)) = name.split_once("--")
        && let Some(region) = rest.split('-').next()
        && !region.is_empty()
    {
        return region.to_ascii_lowercase();
    }
    let cleaned: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match cleaned.chars().next() {
        Some(c) if c.is_ascii_lowercase() => cleaned,
        _ => format!("h{cleaned}"),
    }
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(xs[n / 2]),
        _ => Some((xs[n / 2 - 1] + xs[n / 2]) / 2.0),
    }
}

fn pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

/// The profile's TOML: `regions[i]` is host i's region (hosts in party
/// order), `source` says when and between which hosts it was measured.
/// Round trips and caps per region pair are the medians over the pairs of
/// hosts between the two regions; "intra" over pairs within one region.
pub fn profile_toml(regions: &[String], measured: &Measurements, source: &str) -> String {
    let mut placement: Vec<(String, usize)> = Vec::new();
    for region in regions {
        match placement.iter_mut().find(|(r, _)| r == region) {
            Some((_, n)) => *n += 1,
            None => placement.push((region.clone(), 1)),
        }
    }
    let by_pair = |figures: &[(usize, usize, f64)]| {
        let mut pairs: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
        let mut intra = Vec::new();
        for &(i, j, x) in figures {
            let (Some(a), Some(b)) = (regions.get(i), regions.get(j)) else {
                continue;
            };
            if a == b {
                intra.push(x);
            } else {
                pairs.entry(pair(a, b)).or_default().push(x);
            }
        }
        let pairs: BTreeMap<(String, String), f64> = pairs
            .into_iter()
            .filter_map(|(k, v)| median(v).map(|m| (k, m)))
            .collect();
        (median(intra), pairs)
    };
    let (intra, rtts) = by_pair(&measured.round_trips);
    let (intra_cap, caps) = by_pair(&measured.transfers);
    let mut toml = String::new();
    let _ = writeln!(
        toml,
        "# Written by `cargo xtask netprobe`: medians of round trips (and transfers)\n# measured between the hosts, by region pair. Replay: cargo xtask run ... --net FILE"
    );
    let _ = writeln!(toml, "source = {}", quoted(source));
    let _ = writeln!(
        toml,
        "placement = {{ {} }}",
        placement
            .iter()
            .map(|(r, n)| format!("{r} = {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(toml, "\n[rtt_ms]");
    match intra {
        Some(ms) => {
            let _ = writeln!(toml, "intra = {ms:.3}");
        }
        None => {
            let _ = writeln!(toml, "intra = 1.0  # not measured: no region had two hosts");
        }
    }
    for ((a, b), ms) in &rtts {
        let _ = writeln!(toml, "\"{a}-{b}\" = {ms:.3}");
    }
    if intra_cap.is_some() || !caps.is_empty() {
        let _ = writeln!(toml, "\n[bandwidth_mbit]");
        let all: Vec<f64> = caps.values().copied().chain(intra_cap).collect();
        if let Some(default) = median(all) {
            let _ = writeln!(toml, "default = {default:.1}");
        }
        for ((a, b), mbit) in &caps {
            let _ = writeln!(toml, "\"{a}-{b}\" = {mbit:.1}");
        }
    }
    let _ = writeln!(toml, "\n[jitter_ms]\ndefault = 0  # not measured");
    toml
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_come_from_the_hosts() {
        assert_eq!(region_of("e3--ams3-0-1a2b3c4d", None), "ams3");
        assert_eq!(region_of("anything", Some("sgp1")), "sgp1");
        assert_eq!(region_of("e3ra-h2", None), "e3rah2");
        assert_eq!(region_of("10.0.0.7", None), "h10007");
    }

    #[test]
    fn medians_by_region_pair_make_a_profile_run_net_accepts() {
        let regions: Vec<String> = ["ams3", "ams3", "sgp1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut m = Measurements::default();
        m.read("pingpong 0 1 1.2\npingpong 0 2 160.0\nbulk 0 1 900\nnoise\n");
        m.read("pingpong 1 2 162.0\nbulk 1 2 80.5\nbulk 0 2 79.5\n");
        let toml = profile_toml(
            &regions,
            &m,
            "measured by netprobe, 2026-11-24, between a, b, c",
        );
        let profile = crate::profile::parse(&toml, "probe", "probe.toml").unwrap();
        assert_eq!(profile.regions_of_parties(), regions);
        assert_eq!(profile.rtt("ams3", "ams3"), 1.2);
        assert_eq!(profile.rtt("sgp1", "ams3"), 161.0);
        assert_eq!(profile.link("ams3", "sgp1").bits_per_sec, Some(80_000_000));
        assert!(profile.source.starts_with("measured by netprobe"));
    }
}
