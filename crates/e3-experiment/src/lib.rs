//! Experiments: sweeps of party runs over every key a run takes (party
//! counts, program arguments, thresholds, network profiles, start modes), with repetitions, described in an experiment file (TOML) and
//! checked before anything runs; each run goes through e3's run engine
//! (`e3-run`), and results are kept as they come (`runs.jsonl`), so an
//! interrupted experiment resumes.
//!
//! - [`file`]: the experiment file, checked with lines and keys;
//! - [`sweep`]: the runs in the order they run, and the time left;
//! - [`results`]: the results folder, appended run by run (what the
//!   experiment ran on is `e3_run::provenance`'s record, as for a run).

pub mod file;
pub mod results;
pub mod sweep;
