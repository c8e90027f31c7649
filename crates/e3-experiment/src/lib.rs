//! Experiments: sweeps of party runs over party counts and program
//! arguments, with repetitions, described in an experiment file (TOML) and
//! checked before anything runs; each run goes through e3's run engine
//! (`e3-run`), and results are kept as they come (`runs.jsonl`), so an
//! interrupted experiment resumes.
//!
//! - [`file`]: the experiment file, checked with lines and keys;
//! - [`sweep`]: the runs in the order they run, and the time left;
//! - [`results`]: the results folder, appended run by run;
//! - [`environment`]: what the experiment ran on.

pub mod environment;
pub mod file;
pub mod results;
pub mod sweep;
