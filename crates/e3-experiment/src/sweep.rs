//! The runs of an experiment, in the order they run: repetition 1 of every
//! cell, then repetition 2, ... so that drift in the machine (a warming
//! CPU, a busy neighbour) spreads over the cells instead of falling on one.

use std::time::Duration;

use crate::file::Cell;

/// One run of the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    /// From 1, in the order of the schedule.
    pub number: usize,
    pub cell: Cell,
    /// Which repetition of its cell, from 1.
    pub rep: usize,
}

/// The runs of `cells`, `repeat` times each, interleaved.
pub fn schedule(cells: &[Cell], repeat: usize) -> Vec<Planned> {
    let mut runs = Vec::with_capacity(cells.len() * repeat);
    for rep in 1..=repeat {
        for cell in cells {
            runs.push(Planned {
                number: runs.len() + 1,
                cell: cell.clone(),
                rep,
            });
        }
    }
    runs
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
