//! One module per subcommand, named as it: `run` is `cargo xtask run`.
//! Each reads its flags (from `crate::cli`), calls the libraries and prints.

pub mod bench;
pub mod deploy;
pub mod destroy;
pub mod doctor;
pub mod experiment;
pub mod hosts;
pub mod image;
pub mod leftovers;
pub mod netprobe;
pub mod report;
pub mod run;
pub mod runs;
pub mod sync;
pub mod tailnet;
pub mod testnet;
