//! e3's history: the runs (`logs/<run-id>/`) and experiments
//! (`results/<id>/`) under a root folder, read into values; one found by
//! its id; and what a prune removes and keeps, and why.
//!
//! - [`entry`]: an [`Entry`] is one folder: a run (its `summary.json`), an
//!   experiment (its `runs.jsonl`, file and environment, and how far it
//!   got) or a folder that is not e3's;
//! - [`read`]: the folders under a root as a [`History`], newest first,
//!   each run tied to the experiments that name it and the `latest` links
//!   marked;
//! - [`lookup`]: one entry by id, id prefix, `latest` or `logs/<id>`;
//! - [`prune`]: the rules (`keep`, `older_than`) as a pure function of the
//!   history and the time now, and removing what they chose.
//!
//! Nothing here reads the clock: the time is the caller's argument.

pub mod entry;
pub mod lookup;
pub mod prune;
pub mod read;

pub use entry::{
    Entry, ExperimentRecord, ExperimentStatus, Kind, Latest, NetRecord, PartyRecord, RunRecord,
    RunStatus, What,
};
pub use lookup::LookupError;
pub use prune::{Plan, Removal, Rules, Spared, Why};
pub use read::{History, ReadError};

/// Where runs keep their folders, under the root.
pub const LOGS: &str = "logs";
/// Where experiments keep theirs (as `e3-experiment` makes them).
pub const RESULTS: &str = e3_experiment::results::RESULTS_DIR;
/// A run's record in its folder.
pub const SUMMARY: &str = "summary.json";
