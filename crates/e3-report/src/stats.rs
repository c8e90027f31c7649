//! Cells of an experiment (runs with the same cell: every key it sweeps
//! or sets) and their figures over reps.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::runs::{Cell, Label, Run};

/// Median, least and greatest of some figures, and how many there are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Stats {
    /// `None` for no figures.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Stats> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Stats {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }
}

/// The interval drawn around a median, and written beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Band {
    /// A 95 % percentile bootstrap confidence interval of the median
    /// ([`BOOTSTRAP_RESAMPLES`] resamples, seeded: the same runs give the
    /// same interval), from [`MIN_RUNS_FOR_CI`] runs.
    #[default]
    Ci95,
    /// From the least to the greatest run, from 2 runs.
    MinMax,
    /// None: medians only.
    None,
}

/// Resamples of a bootstrap interval.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;
/// The bootstrap's seed: fixed, so a report is the same every time.
pub const BOOTSTRAP_SEED: u64 = 0xE3_2026;
/// Below this many ok runs a cell gets no confidence interval: its median
/// is drawn alone (and the caption says so).
pub const MIN_RUNS_FOR_CI: usize = 5;

impl Band {
    /// The fewest values that get an interval of this kind.
    pub fn min_runs(self) -> usize {
        match self {
            Band::Ci95 => MIN_RUNS_FOR_CI,
            Band::MinMax => 2,
            Band::None => usize::MAX,
        }
    }

    /// What the band is, as a caption says it.
    pub fn describe(self) -> String {
        match self {
            Band::Ci95 => format!(
                "a 95 % bootstrap confidence interval of the median (percentile method, {BOOTSTRAP_RESAMPLES} resamples, fixed seed)"
            ),
            Band::MinMax => "the range from the least to the greatest run".to_string(),
            Band::None => "no interval".to_string(),
        }
    }

    /// What the band is around a ratio of two medians.
    pub fn describe_ratio(self) -> String {
        match self {
            Band::Ci95 => format!(
                "a 95 % bootstrap confidence interval of that ratio (percentile method, {BOOTSTRAP_RESAMPLES} resamples, each side resampled on its own, fixed seed)"
            ),
            Band::MinMax => {
                "the range from the least to the greatest ratio of a run of B to a run of A"
                    .to_string()
            }
            Band::None => "no interval".to_string(),
        }
    }

    /// The interval of `values` (`None` below [`Band::min_runs`]).
    pub fn interval(self, values: &[f64]) -> Option<(f64, f64)> {
        let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.len() < self.min_runs() {
            return None;
        }
        match self {
            Band::None => None,
            Band::MinMax => Stats::of(v).map(|s| (s.min, s.max)),
            Band::Ci95 => {
                let mut rng = fastrand::Rng::with_seed(BOOTSTRAP_SEED);
                let mut medians: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
                    .map(|_| {
                        let sample = (0..v.len()).map(|_| v[rng.usize(..v.len())]);
                        Stats::of(sample).map_or(f64::NAN, |s| s.median)
                    })
                    .collect();
                medians.sort_by(f64::total_cmp);
                Some((percentile(&medians, 0.025), percentile(&medians, 0.975)))
            }
        }
    }

    /// The interval of the ratio of two medians, `b / a`: each side
    /// resampled on its own (`None` when either has too few values).
    pub fn ratio_interval(self, a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
        let min = self.min_runs();
        if a.len() < min || b.len() < min {
            return None;
        }
        match self {
            Band::None => None,
            Band::MinMax => {
                let (a, b) = (Stats::of(a.iter().copied())?, Stats::of(b.iter().copied())?);
                (a.min > 0.0 && a.max > 0.0).then(|| (b.min / a.max, b.max / a.min))
            }
            Band::Ci95 => {
                let mut rng = fastrand::Rng::with_seed(BOOTSTRAP_SEED);
                let median = |v: &[f64], rng: &mut fastrand::Rng| {
                    Stats::of((0..v.len()).map(|_| v[rng.usize(..v.len())]))
                        .map_or(f64::NAN, |s| s.median)
                };
                let mut ratios: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
                    .map(|_| {
                        let (ma, mb) = (median(a, &mut rng), median(b, &mut rng));
                        if ma == 0.0 { f64::NAN } else { mb / ma }
                    })
                    .filter(|r| r.is_finite())
                    .collect();
                if ratios.is_empty() {
                    return None;
                }
                ratios.sort_by(f64::total_cmp);
                Some((percentile(&ratios, 0.025), percentile(&ratios, 0.975)))
            }
        }
    }
}

/// The `q` quantile of sorted `v`, linearly interpolated.
fn percentile(v: &[f64], q: f64) -> f64 {
    let at = q * (v.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (at - lo as f64)
}

/// One cell: the runs with the same cell (its reps). Figures are over its
/// `ok` runs only; `None` when it has none.
#[derive(Clone, Debug, PartialEq)]
pub struct CellStats {
    /// Its keys and values, in the experiment's order.
    pub cell: Cell,
    pub parties: usize,
    /// The program's arguments (its first run's).
    pub args: Vec<String>,
    /// The network profile, when the experiment sweeps them.
    pub net: Option<String>,
    /// Where the profile's figures come from: from any of its runs that
    /// started under it (a run that failed before it started has none).
    pub net_source: Option<String>,
    /// Labels and units of its named variables, from its runs.
    pub labels: BTreeMap<String, Label>,
    pub runs: usize,
    pub ok: usize,
    /// MPyC time of a run: its slowest party's `mpyc_elapsed_secs`.
    pub mpyc_secs: Option<Stats>,
    /// The run's wall time (e3's, start to end).
    pub wall_secs: Option<Stats>,
    /// Bytes sent per party: the mean over a run's parties.
    pub bytes_per_party: Option<Stats>,
    /// Time until every party was connected: a run's last party's
    /// `connected_after_secs`.
    pub connect_secs: Option<Stats>,
    /// Each figure's values over the ok runs, for intervals.
    pub values: Values,
    /// The party slowest most often (by MPyC time), how often, and its
    /// region when the runs were under a profile.
    pub slowest: Option<Slowest>,
}

/// A cell's figures, one value per ok run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Values {
    pub mpyc_secs: Vec<f64>,
    pub wall_secs: Vec<f64>,
    pub bytes_per_party: Vec<f64>,
    pub connect_secs: Vec<f64>,
}

/// The party that was slowest in most of a cell's runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Slowest {
    pub index: usize,
    /// In how many of the runs that say.
    pub times: usize,
    pub of: usize,
    pub region: Option<String>,
}

impl CellStats {
    /// The args as a label: joined by spaces, or `no args`.
    pub fn args_label(&self) -> String {
        if self.args.is_empty() {
            "no args".to_string()
        } else {
            self.args.join(" ")
        }
    }

    /// The cell as people read it: `parties = 6, n = 16, net = e3-4regions`.
    pub fn name(&self) -> String {
        self.cell.name()
    }
}

/// The cells of `runs`, in the order they first appear (by run number):
/// the experiment's order. Runs are in one cell when every key of their
/// cells is equal.
pub fn cells(runs: &[Run]) -> Vec<CellStats> {
    let mut groups: Vec<(&Cell, Vec<&Run>)> = Vec::new();
    for r in crate::runs::by_number(runs) {
        match groups.iter_mut().find(|(c, _)| **c == r.cell) {
            Some((_, reps)) => reps.push(r),
            None => groups.push((&r.cell, vec![r])),
        }
    }
    groups
        .into_iter()
        .map(|(cell, reps)| {
            let first = reps[0];
            let ok: Vec<&Run> = reps.iter().copied().filter(|r| r.ok()).collect();
            let values = Values {
                mpyc_secs: ok.iter().filter_map(|r| r.mpyc_secs()).collect(),
                wall_secs: ok.iter().filter_map(|r| r.wall_secs).collect(),
                bytes_per_party: ok.iter().filter_map(|r| r.bytes_per_party()).collect(),
                connect_secs: ok.iter().filter_map(|r| r.connected_secs()).collect(),
            };
            let mut labels = BTreeMap::new();
            for r in &reps {
                for (k, l) in &r.labels {
                    labels.entry(k.clone()).or_insert_with(|| l.clone());
                }
            }
            CellStats {
                cell: cell.clone(),
                parties: first.parties,
                args: first.args.clone(),
                net: first.net.clone(),
                net_source: reps.iter().find_map(|r| r.net_source.clone()),
                labels,
                runs: reps.len(),
                ok: ok.len(),
                mpyc_secs: Stats::of(values.mpyc_secs.iter().copied()),
                wall_secs: Stats::of(values.wall_secs.iter().copied()),
                bytes_per_party: Stats::of(values.bytes_per_party.iter().copied()),
                connect_secs: Stats::of(values.connect_secs.iter().copied()),
                slowest: slowest(&ok),
                values,
            }
        })
        .collect()
}

/// The party slowest (by MPyC time) in most of `runs`, lowest index on a tie.
fn slowest(runs: &[&Run]) -> Option<Slowest> {
    let mut counts: BTreeMap<usize, (usize, Option<String>)> = BTreeMap::new();
    let mut of = 0;
    for r in runs {
        let slowest = r
            .party
            .iter()
            .filter_map(|p| p.mpyc_elapsed_secs.map(|t| (p, t)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.index.cmp(&a.0.index)));
        if let Some((p, _)) = slowest {
            of += 1;
            let entry = counts.entry(p.index).or_insert((0, p.region.clone()));
            entry.0 += 1;
        }
    }
    let (index, (times, region)) = counts
        .into_iter()
        .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.0.cmp(&a.0)))?;
    Some(Slowest {
        index,
        times,
        of,
        region,
    })
}

/// A column of cells' key values: the key, its heading and whether its
/// values are numbers (right-aligned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyColumn {
    pub key: String,
    /// The key's label with its unit when the file gave them (`input size
    /// n (people)`), else the key.
    pub heading: String,
    /// Every cell that has the key has a number.
    pub numeric: bool,
}

/// One column per key of `cells`, in the order the keys first appear.
pub fn key_columns(cells: &[CellStats]) -> Vec<KeyColumn> {
    let keys = all_keys(cells.iter().map(|c| &c.cell));
    keys.into_iter()
        .map(|key| {
            let label = cells.iter().find_map(|c| c.labels.get(&key));
            let heading = label.map_or(key.clone(), |l| l.heading(&key));
            let numeric = cells
                .iter()
                .filter_map(|c| c.cell.get(&key))
                .all(Value::is_number);
            KeyColumn {
                key,
                heading,
                numeric,
            }
        })
        .collect()
}

/// Every key of `cells`, in the order they first appear.
pub(crate) fn all_keys<'a>(cells: impl IntoIterator<Item = &'a Cell>) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for c in cells {
        for k in c.keys() {
            if !keys.iter().any(|x| x == k) {
                keys.push(k.to_string());
            }
        }
    }
    keys
}

/// The keys whose values differ between `cells` (a key some cells lack
/// differs), in the order they first appear: what tells the cells apart.
pub fn varying_keys(cells: &[&Cell]) -> Vec<String> {
    all_keys(cells.iter().copied())
        .into_iter()
        .filter(|k| {
            let mut values = cells.iter().map(|c| c.get(k));
            let first = values.next().flatten();
            values.any(|v| v != first)
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn intervals() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        let (lo, hi) = Band::Ci95.interval(&v).unwrap();
        assert!(lo < 5.5 && 5.5 < hi && lo >= 1.0 && hi <= 10.0, "{lo} {hi}");
        // Seeded: the same values, the same interval.
        assert_eq!(Band::Ci95.interval(&v), Some((lo, hi)));
        assert_eq!(Band::Ci95.interval(&v[..4]), None, "below the minimum");
        assert_eq!(Band::MinMax.interval(&v[..2]), Some((1.0, 2.0)));
        assert_eq!(Band::MinMax.interval(&v[..1]), None);
        assert_eq!(Band::None.interval(&v), None);
        // All alike: the interval is the value.
        assert_eq!(Band::Ci95.interval(&[2.0; 6]), Some((2.0, 2.0)));
        let (lo, hi) = Band::Ci95.ratio_interval(&v, &v.map(|x| 2.0 * x)).unwrap();
        assert!(lo <= 2.0 && 2.0 <= hi && lo > 0.5 && hi < 5.0, "{lo} {hi}");
        assert_eq!(Band::Ci95.ratio_interval(&v[..3], &v), None);
    }

    #[test]
    fn medians() {
        assert_eq!(Stats::of([]), None);
        assert_eq!(Stats::of([3.0, 1.0, 2.0]).unwrap().median, 2.0);
        let s = Stats::of([4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 4.0));
    }

    /// A run of cell `(parties, n, net)`; `started` says whether it ran
    /// (then under its profile, with a source) or failed before it started.
    pub(crate) fn run(number: u64, parties: usize, n: u64, net: &str, started: bool) -> Run {
        let cell = format!(
            r#""cell": {{"parties": {parties}, "n": {n}, "net": "{net}", "start": "warm"}}, "cell_keys": ["parties", "n", "net", "start"], "labels": {{"n": {{"label": "input size n", "unit": "people"}}}}"#
        );
        let line = if started {
            format!(
                r#"{{"run": {number}, "rep": 1, "parties": {parties}, "args": ["{n}"], "net": "{net}", "net_source": "measured: {net}", {cell}, "run_id": "r{number}", "status": "ok", "started_at": "", "wall_secs": 1.0, "log_dir": "logs/r{number}", "party": [{{"index": 0, "status": "ok", "mpyc_elapsed_secs": 0.5, "bytes_sent": 10}}]}}"#
            )
        } else {
            format!(
                r#"{{"run": {number}, "rep": 1, "parties": {parties}, "args": ["{n}"], "net": "{net}", {cell}, "run_id": null, "status": "failed", "error": "could not start", "started_at": "", "wall_secs": null, "log_dir": null, "party": []}}"#
            )
        };
        let (mut runs, warnings) = crate::read_runs(&line);
        assert!(warnings.is_empty(), "{warnings:?}");
        runs.remove(0)
    }

    #[test]
    fn a_cell_is_every_key_and_a_run_that_never_started_does_not_split_it() {
        // In the file's order, not the runs': run 5 ran before run 1 was
        // done again.
        let runs = [
            run(5, 3, 16, "e3-4regions", true),
            run(1, 3, 16, "lan", true),
            run(2, 3, 16, "e3-4regions", false),
            run(3, 6, 16, "lan", true),
            run(4, 6, 16, "e3-4regions", true),
        ];
        let cells = cells(&runs);
        let summary: Vec<(String, usize, usize, Option<&str>)> = cells
            .iter()
            .map(|c| (c.name(), c.ok, c.runs, c.net_source.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "parties = 3, n = 16, net = lan, start = warm".into(),
                    1,
                    1,
                    Some("measured: lan")
                ),
                (
                    "parties = 3, n = 16, net = e3-4regions, start = warm".into(),
                    1,
                    2,
                    Some("measured: e3-4regions")
                ),
                (
                    "parties = 6, n = 16, net = lan, start = warm".into(),
                    1,
                    1,
                    Some("measured: lan")
                ),
                (
                    "parties = 6, n = 16, net = e3-4regions, start = warm".into(),
                    1,
                    1,
                    Some("measured: e3-4regions")
                ),
            ]
        );
        // The never-started run alone is a cell still, with no source.
        let alone = super::cells(&runs[2..3]);
        assert_eq!((alone.len(), alone[0].net_source.as_deref()), (1, None));

        let columns: Vec<(String, String, bool)> = key_columns(&cells)
            .into_iter()
            .map(|k| (k.key, k.heading, k.numeric))
            .collect();
        assert_eq!(
            columns,
            [
                ("parties".into(), "parties".into(), true),
                ("n".into(), "input size n (people)".into(), true),
                ("net".into(), "net".into(), false),
                ("start".into(), "start".into(), false),
            ]
        );
        let all: Vec<&Cell> = cells.iter().map(|c| &c.cell).collect();
        assert_eq!(varying_keys(&all), ["parties", "net"]);
        assert_eq!(varying_keys(&all[..1]), Vec::<String>::new());
    }

    #[test]
    fn a_key_some_cells_lack_varies() {
        let a = Cell(vec![("parties".into(), Value::from(2))]);
        let b = Cell(vec![
            ("parties".into(), Value::from(2)),
            ("net".into(), Value::from("lan")),
        ]);
        assert_eq!(varying_keys(&[&a, &b]), ["net"]);
    }
}
