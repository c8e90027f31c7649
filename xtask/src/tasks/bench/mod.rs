//! `cargo xtask bench ...`: performance figures, each measured against the
//! baseline it names.
//!
//! One file per benchmark: its contenders made as values from its options
//! (a pure function), timed by `timing`, worded as a section of the figures
//! document that `report` writes. This file only dispatches.

mod cold_build;
mod contender;
mod many_parties;
mod net;
mod remote;
mod report;
mod run_overhead;
mod stats;
mod timing;

use camino::Utf8Path;

use crate::cli::{Bench, BenchArgs};
use crate::error::Result;

pub fn run(root: &Utf8Path, dry_run: bool, args: &BenchArgs) -> Result<()> {
    let (section, body) = match &args.which {
        Bench::RunOverhead { runs } => (
            run_overhead::SECTION,
            run_overhead::run(root, dry_run, *runs)?,
        ),
        Bench::ManyParties { runs, parties } => (
            many_parties::SECTION,
            many_parties::run(root, dry_run, *runs, parties)?,
        ),
        Bench::Net { runs } => (net::SECTION, net::run(root, dry_run, *runs)?),
        Bench::ColdBuild => (cold_build::SECTION, cold_build::run(root, dry_run)?),
        Bench::Remote { hosts, runs } => {
            (remote::SECTION, remote::run(root, dry_run, *hosts, *runs)?)
        }
    };
    // A dry run printed its commands and measured nothing.
    let Some(body) = body else { return Ok(()) };
    print!("{body}");
    report::write(root, &section, &body)?;
    eprintln!("bench: wrote {}", report::DOC);
    Ok(())
}
