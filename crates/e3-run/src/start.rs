//! How a run's parties start, and e3's one default for it.
//!
//! Warm: one Python per machine loads numpy, gmpy2 and asyncio once, then
//! forks every party ([`crate::warm`]). Cold: every party is a Python of its
//! own, as MPyC's own `-M` launcher starts them. Runs and experiments ask
//! [`Start::choose`], so both start the same way unless told otherwise.

use std::fmt;

/// How the parties start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    Warm,
    Cold,
}

/// Where the parties run, as far as the default cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Every party on this machine.
    Local,
    /// On hosts over SSH, this many parties on each.
    PerHost(usize),
}

/// From this many parties on a host, a run on hosts starts warm unless
/// told `--cold`. Below it a warm start costs each host one more ssh
/// connection and a copy of `warm.py`, which its few parties do not repay.
pub const WARM_FROM_PER_HOST: usize = 16;

impl Start {
    /// What was asked (`--warm`, `--cold`, an experiment's `start`), else
    /// e3's default: warm for local runs at every party count (6 warm
    /// parties of secretsanta take about half the wall time of MPyC's own
    /// `-M6`; see docs/benchmarks.md), and on hosts from
    /// [`WARM_FROM_PER_HOST`] parties per host.
    pub fn choose(asked: Option<Start>, placement: Placement) -> Start {
        match (asked, placement) {
            (Some(start), _) => start,
            (None, Placement::Local) => Start::Warm,
            (None, Placement::PerHost(k)) if k >= WARM_FROM_PER_HOST => Start::Warm,
            (None, Placement::PerHost(_)) => Start::Cold,
        }
    }

    /// `--warm`/`--cold` as flags: at most one is set.
    pub fn from_flags(warm: bool, cold: bool) -> Option<Start> {
        match (warm, cold) {
            (true, _) => Some(Start::Warm),
            (_, true) => Some(Start::Cold),
            _ => None,
        }
    }

    pub fn is_warm(self) -> bool {
        self == Start::Warm
    }

    /// `warm` or `cold`, as in summaries and results.
    pub fn name(self) -> &'static str {
        match self {
            Start::Warm => "warm",
            Start::Cold => "cold",
        }
    }
}

impl fmt::Display for Start {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_runs_start_warm_at_every_count_unless_asked() {
        assert_eq!(Start::choose(None, Placement::Local), Start::Warm);
        assert_eq!(
            Start::choose(Some(Start::Cold), Placement::Local),
            Start::Cold
        );
    }

    #[test]
    fn runs_on_hosts_start_warm_from_the_threshold_unless_asked() {
        assert_eq!(Start::choose(None, Placement::PerHost(1)), Start::Cold);
        assert_eq!(Start::choose(None, Placement::PerHost(15)), Start::Cold);
        assert_eq!(Start::choose(None, Placement::PerHost(16)), Start::Warm);
        assert_eq!(
            Start::choose(Some(Start::Warm), Placement::PerHost(1)),
            Start::Warm
        );
        assert_eq!(
            Start::choose(Some(Start::Cold), Placement::PerHost(64)),
            Start::Cold
        );
    }

    #[test]
    fn flags() {
        assert_eq!(Start::from_flags(false, false), None);
        assert_eq!(Start::from_flags(true, false), Some(Start::Warm));
        assert_eq!(Start::from_flags(false, true), Some(Start::Cold));
    }
}
