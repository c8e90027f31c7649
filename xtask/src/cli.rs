//! Every flag of every task, in one place.

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "e3: run MPyC programs on many machines with one command",
    version,
    after_help = "Start with `cargo xtask run secretsanta --parties 6`: six local MPyC parties."
)]
pub struct Cli {
    /// Print the commands that would run (secrets as ***) and run nothing
    #[arg(long, global = true)]
    pub dry_run: bool,

    #[command(subcommand)]
    pub task: Task,
}

#[derive(Subcommand, Debug)]
pub enum Task {
    /// Run an MPyC program with N parties, as local processes
    Run(RunArgs),
    /// Write hosts.json and hosts.pssh from Terraform's output (and extra hosts)
    Hosts(HostsArgs),
    /// Measure e3 against a baseline and write the figures to docs/benchmarks.md
    Bench(BenchArgs),
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The MPyC program: a name in demos/ (or in --demos DIR), or a path to a .py file
    pub program: String,

    /// How many parties (MPyC allows 1 to 256)
    #[arg(long, short = 'n', value_name = "N", default_value_t = 3)]
    pub parties: usize,

    /// Folder of programs to resolve PROGRAM in, e.g. a checkout of MPyC's demos/
    #[arg(long, value_name = "DIR")]
    pub demos: Option<String>,

    /// First port to try; party i listens on a free port range found from here
    #[arg(long, value_name = "PORT", default_value_t = prun::DEFAULT_PORT)]
    pub base_port: u16,

    /// Python interpreter with MPyC installed, instead of e3's own environment (.e3/venv)
    #[arg(long, value_name = "PATH")]
    pub python: Option<String>,

    /// Stop every party and fail when the run takes longer than this
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub timeout: u64,

    /// Print the summary as JSON on stdout (progress goes to stderr)
    #[arg(long)]
    pub json: bool,

    /// Arguments for the program, after `--` (e.g. `-- 3` for secretsanta's size)
    #[arg(last = true, value_name = "PROGRAM ARGS")]
    pub args: Vec<String>,
}

#[derive(Args, Debug)]
pub struct HostsArgs {
    /// Read a saved `terraform output -json` document instead of running terraform
    #[arg(long, value_name = "FILE")]
    pub terraform_output: Option<String>,

    /// Hosts Terraform does not manage (a Raspberry Pi, a laptop), in hosts.pssh format
    #[arg(long, value_name = "FILE")]
    pub extra: Option<String>,

    /// Folder to write hosts.json and hosts.pssh in (default: the workspace root)
    #[arg(long, value_name = "DIR")]
    pub out: Option<String>,

    /// Write nothing; fail if the files on disk differ from what would be written
    #[arg(long)]
    pub check: bool,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub which: Bench,
}

#[derive(Subcommand, Debug)]
pub enum Bench {
    /// Wall time of a 6-party secretsanta run: e3 against MPyC's own -M launcher
    RunOverhead {
        /// Runs of each contender, interleaved
        #[arg(long, default_value_t = 7)]
        runs: usize,
    },
    /// Time a cold build of `cargo xtask --help` in a fresh clone
    ColdBuild,
}
