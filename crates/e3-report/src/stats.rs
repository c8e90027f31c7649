//! Cells of an experiment (parties × args) and their figures over reps.

use std::cmp::Ordering;

use crate::runs::Run;

/// Median, least and greatest of some figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
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
        })
    }
}

/// One cell: the runs with the same parties and args (its reps). Figures
/// are over its `ok` runs only; `None` when it has none.
#[derive(Clone, Debug, PartialEq)]
pub struct CellStats {
    pub parties: usize,
    pub args: Vec<String>,
    /// The network profile, when the experiment sweeps them.
    pub net: Option<String>,
    pub runs: usize,
    pub ok: usize,
    /// MPyC time of a run: its slowest party's `mpyc_elapsed_secs`.
    pub mpyc_secs: Option<Stats>,
    /// The run's wall time (e3's, start to end).
    pub wall_secs: Option<Stats>,
    /// Bytes sent per party: the mean over a run's parties.
    pub bytes_per_party: Option<Stats>,
}

impl CellStats {
    /// The args as a label: joined by spaces, or `no args`.
    pub fn args_label(&self) -> String {
        args_label(&self.args)
    }

    /// The series it belongs to in a plot: `args 8`, `net lan`,
    /// `args 8, net lan`, or `no args`.
    pub fn series_label(&self) -> String {
        series_label(&self.args, self.net.as_deref())
    }
}

pub(crate) fn series_label(args: &[String], net: Option<&str>) -> String {
    match (args.is_empty(), net) {
        (true, None) => args_label(args),
        (true, Some(net)) => format!("net {net}"),
        (false, None) => format!("args {}", args_label(args)),
        (false, Some(net)) => format!("args {}, net {net}", args_label(args)),
    }
}

pub(crate) fn args_label(args: &[String]) -> String {
    if args.is_empty() {
        "no args".to_string()
    } else {
        args.join(" ")
    }
}

/// The cells of `runs`, by parties, then args (numbers as numbers), then
/// network profile.
pub fn cells(runs: &[Run]) -> Vec<CellStats> {
    let mut keys: Vec<(usize, &[String], Option<&str>)> = runs
        .iter()
        .map(|r| (r.parties, r.args.as_slice(), r.net.as_deref()))
        .collect();
    keys.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| cmp_args(a.1, b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    keys.dedup();
    keys.into_iter()
        .map(|(parties, args, net)| {
            let reps: Vec<&Run> = runs
                .iter()
                .filter(|r| r.parties == parties && r.args == args && r.net.as_deref() == net)
                .collect();
            let ok: Vec<&Run> = reps.iter().copied().filter(|r| r.ok()).collect();
            CellStats {
                parties,
                args: args.to_vec(),
                net: net.map(str::to_string),
                runs: reps.len(),
                ok: ok.len(),
                mpyc_secs: Stats::of(ok.iter().filter_map(|r| r.mpyc_secs())),
                wall_secs: Stats::of(ok.iter().filter_map(|r| r.wall_secs)),
                bytes_per_party: Stats::of(ok.iter().filter_map(|r| r.bytes_per_party())),
            }
        })
        .collect()
}

/// Args in a natural order: `8` before `16`, then as text.
pub(crate) fn cmp_args(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x.parse::<f64>(), y.parse::<f64>()) {
            (Ok(x), Ok(y)) => x.total_cmp(&y),
            _ => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(Stats::of([]), None);
        assert_eq!(Stats::of([3.0, 1.0, 2.0]).unwrap().median, 2.0);
        let s = Stats::of([4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 4.0));
    }

    #[test]
    fn args_in_natural_order() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(cmp_args(&a(&["8"]), &a(&["16"])), Ordering::Less);
        assert_eq!(cmp_args(&a(&[]), &a(&["1"])), Ordering::Less);
        assert_eq!(cmp_args(&a(&["b"]), &a(&["a"])), Ordering::Greater);
    }
}
