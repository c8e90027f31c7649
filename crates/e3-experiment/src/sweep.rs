//! The runs of an experiment, in the order they run: repetition 1 of every
//! cell, then repetition 2, ... so that drift in the machine (a warming
//! CPU, a busy neighbour) spreads over the cells instead of falling on one.

use std::time::Duration;

use crate::file::Experiment;
use crate::results::RunKey;

/// One run of the sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    /// From 1, in the order of the schedule.
    pub number: usize,
    pub key: RunKey,
}

pub fn schedule(exp: &Experiment) -> Vec<Planned> {
    let cells = exp.cells();
    let mut runs = Vec::with_capacity(cells.len() * exp.repeat);
    for rep in 1..=exp.repeat {
        for cell in &cells {
            runs.push(Planned {
                number: runs.len() + 1,
                key: RunKey {
                    parties: cell.parties,
                    args: cell.args.clone(),
                    net: cell.net.clone(),
                    rep,
                },
            });
        }
    }
    runs
}

/// The program's arguments for a cell: its own, then MPyC's `-T t` when the
/// experiment sets a threshold.
pub fn program_args(exp: &Experiment, cell_args: &[String]) -> Vec<String> {
    let mut args = cell_args.to_vec();
    if let Some(t) = exp.threshold {
        args.extend(["-T".to_string(), t.to_string()]);
    }
    args
}

/// Time left, from the runs of this session so far.
#[derive(Clone, Debug, Default)]
pub struct Eta {
    took: Vec<Duration>,
}

impl Eta {
    pub fn record(&mut self, took: Duration) {
        self.took.push(took);
    }

    /// The mean run so far times the runs left; `None` before the first.
    pub fn left(&self, runs_left: usize) -> Option<Duration> {
        if self.took.is_empty() {
            return None;
        }
        let total: Duration = self.took.iter().sum();
        Some(total / self.took.len() as u32 * runs_left as u32)
    }
}
