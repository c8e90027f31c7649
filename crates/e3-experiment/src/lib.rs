//! Experiments: sweeps of party runs over party counts, program arguments
//! and repeats, described in an experiment file (TOML) and checked before
//! anything runs.

pub mod file;
