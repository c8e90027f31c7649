//! `cargo xtask bench ...`: performance figures, each measured against the
//! baseline it names.
//!
//! One file per benchmark: its contenders made as values from its options
//! (a pure function), timed by `timing`, worded as a section of the figures
//! document that `report` writes (target/bench/benchmarks.md unless `--out`
//! or `--write-docs` say otherwise). This file only dispatches.

mod cold_build;
mod contender;
mod delays;
mod many_parties;
mod net;
mod remote;
mod report;
mod run_overhead;
mod stats;
#[cfg(test)]
mod tests;
mod timing;
mod tls;

use camino::Utf8Path;
use e3_plan::relative_to;

use crate::cli::{Bench, BenchArgs};
use crate::error::Result;
use crate::paths::current_dir;

pub fn run(root: &Utf8Path, dry_run: bool, args: &BenchArgs) -> Result<()> {
    let doc = report::document(root, &current_dir()?, args)?;
    let shown = relative_to(root, &doc);
    let (section, options) = describe(&args.which);
    let body = match &args.which {
        Bench::RunOverhead { runs } => run_overhead::run(root, dry_run, *runs)?,
        Bench::ManyParties { runs, parties } => many_parties::run(root, dry_run, *runs, parties)?,
        Bench::Net { runs } => net::run(root, dry_run, *runs)?,
        Bench::ColdBuild => cold_build::run(root, dry_run)?,
        Bench::Remote {
            hosts,
            runs,
            packed,
        } => remote::run(root, dry_run, hosts, *runs, *packed)?,
        Bench::Tls {
            runs,
            parties,
            testbed,
        } => tls::run(root, dry_run, *runs, parties, *testbed)?,
    };
    // A dry run printed its commands, measured nothing and writes nothing.
    let Some(body) = body else {
        crate::out::outln!(
            "# the figures would go to {shown}, section `{}`",
            section.name
        );
        return Ok(());
    };
    let text = report::section_text(&body, &report::reproduce(&section, &options));
    crate::out::print(&text);
    report::write(&doc, &section, &text)?;
    crate::out::errln!(
        "bench: wrote the figures to {shown}, section `{}`",
        section.name
    );
    Ok(())
}

/// The benchmark's section, and its options as typed (for the Reproduce line).
fn describe(which: &Bench) -> (report::Section, Vec<String>) {
    match which {
        Bench::RunOverhead { runs } => (run_overhead::SECTION, run_overhead::options(*runs)),
        Bench::ManyParties { runs, parties } => {
            (many_parties::SECTION, many_parties::options(*runs, parties))
        }
        Bench::Net { runs } => (net::SECTION, net::options(*runs)),
        Bench::ColdBuild => (cold_build::SECTION, cold_build::options()),
        Bench::Remote {
            hosts,
            runs,
            packed,
        } => (remote::SECTION, remote::options(hosts, *runs, *packed)),
        Bench::Tls {
            runs,
            parties,
            testbed,
        } => (tls::SECTION, tls::options(*runs, parties, *testbed)),
    }
}
