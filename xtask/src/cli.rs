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
    /// Run an MPyC program with N parties: local processes, or one per host over SSH
    Run(RunArgs),
    /// Copy the program's folder to every host (rsync over SSH, in parallel)
    Sync(SyncArgs),
    /// Close the ssh connections that runs keep open to their hosts (each also closes itself after `--keep-connections` seconds unused)
    Disconnect(DisconnectArgs),
    /// A local testbed of N hosts (network namespaces with sshd; needs root)
    Testnet(TestnetArgs),
    /// Write hosts.json and hosts.pssh from Terraform's output (and extra hosts)
    Hosts(HostsArgs),
    /// Build a NixOS image: x86_64 for DigitalOcean (--do) or aarch64 for a Raspberry Pi 4 (--pi4)
    Image(ImageArgs),
    /// Check every tool, setting and secret e3 uses, and say what each missing one blocks
    Doctor(DoctorArgs),
    /// Create droplets per region on your tailnet (Terraform), write the host files, configure them (Colmena)
    Deploy(DeployArgs),
    /// Take every droplet down (the bucket and image stay), empty the host files, remove their tailnet devices
    Destroy(DestroyArgs),
    /// The tailnet's devices: list them, or delete those whose hostname starts with a prefix
    Tailnet(TailnetArgs),
    /// Measure the round trips and bandwidth between the hosts' regions and write them as a network profile for `run --net`
    Netprobe(NetprobeArgs),
    /// After destroy: fail if a droplet or tailnet device of the deploy is left (what a pipeline checks last)
    Leftovers(LeftoversArgs),
    /// Run a sweep of party runs from an experiment file, keeping every result as it comes
    Experiment(ExperimentArgs),
    /// Write report.md and SVG plots from an experiment's results (or one run's logs)
    Report(ReportArgs),
    /// Past runs and experiments, newest first; `runs show ID` shows one, `runs prune` removes old ones
    Runs(RunsArgs),
    /// Measure e3 against a baseline and write the figures to target/bench/benchmarks.md (--out DIR, --write-docs)
    Bench(BenchArgs),
    /// A share of run --net's relays in a process of its own (started by e3 itself when its own open-file limit is too low)
    #[command(hide = true)]
    RelayShard {
        /// The routes to serve, as JSON
        #[arg(long)]
        routes: String,
    },
    /// A warm party's launcher (started by e3 itself, one per party of a --warm run)
    #[command(hide = true)]
    WarmParty {
        /// The warm start's socket
        #[arg(long)]
        socket: String,
        /// The party's argv as MPyC sees it
        #[arg(last = true)]
        argv: Vec<String>,
    },
}

#[derive(Args, Debug)]
pub struct DisconnectArgs {
    /// Only the connections runs made with this ssh config (`--ssh-config`: a testbed's, say)
    #[arg(long, value_name = "FILE")]
    pub ssh_config: Option<String>,
}

/// Where the parties run when not on this machine, and how e3 reaches
/// them: `run`'s flags, and an experiment's over its file's `[hosts]`.
#[derive(Args, Clone, Debug, Default)]
pub struct OnHostsArgs {
    /// Run one party per host of this hosts file ([user@]host[:port] a line) over SSH
    #[arg(long, value_name = "FILE")]
    pub hosts: Option<String>,

    /// With --hosts: parties per host; a host's k-th party listens on base port + k [default: 1]
    #[arg(long, value_name = "K")]
    pub parties_per_host: Option<usize>,

    /// With --hosts: do not sync the program's folder first
    #[arg(long)]
    pub no_sync: bool,

    /// With --hosts: the Python command on the hosts [default: python3]
    #[arg(long, value_name = "CMD")]
    pub remote_python: Option<String>,

    #[command(flatten)]
    pub remote: RemoteArgs,
}

impl OnHostsArgs {
    /// The flags given on the command line that only a run on hosts uses.
    pub fn given(&self) -> Vec<&'static str> {
        let mut given = given_flags(&[
            ("--parties-per-host", self.parties_per_host.is_some()),
            ("--no-sync", self.no_sync),
            ("--remote-python", self.remote_python.is_some()),
        ]);
        given.extend(self.remote.given());
        given
    }
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The MPyC program: a name in demos/ (or in --demos DIR), or a path to a .py file
    pub program: String,

    /// How many parties, 1 to 256 (default: 3 locally; with --hosts, every host)
    #[arg(long, short = 'n', value_name = "N")]
    pub parties: Option<usize>,

    #[command(flatten)]
    pub on_hosts: OnHostsArgs,

    /// Folder of programs to resolve PROGRAM in, e.g. a checkout of MPyC's demos/
    #[arg(long, value_name = "DIR")]
    pub demos: Option<String>,

    /// Party ports: locally a free range found from here; with --hosts, exactly this
    #[arg(long, value_name = "PORT", default_value_t = prun::DEFAULT_PORT)]
    pub base_port: u16,

    /// Python interpreter with MPyC installed, instead of e3's own environment (.e3/venv)
    #[arg(long, value_name = "PATH")]
    pub python: Option<String>,

    /// Start the parties warm: one Python (per host, with --hosts) loads numpy, gmpy2 and asyncio once, then forks every party [default for local runs, and on hosts from 16 parties a host]
    #[arg(long, conflicts_with = "cold")]
    pub warm: bool,

    /// Start every party with a Python of its own [default on hosts with fewer than 16 parties a host]
    #[arg(long)]
    pub cold: bool,

    /// Give every link between local parties the round trip, bandwidth and jitter between their regions, from a network profile: a name in net/ (lan, e3-4regions) or a TOML file
    #[arg(long, value_name = "PROFILE")]
    pub net: Option<String>,

    /// TLS between the parties (MPyC's --ssl), with a CA and a key and certificate per party made fresh for this run and removed after it
    #[arg(long)]
    pub tls: bool,

    /// With --net: parties per region, in party order, instead of the profile's (e.g. ams3=3,sfo3=1)
    #[arg(long, value_name = "REGION=N,...", requires = "net")]
    pub placement: Option<String>,

    /// Stop every party and fail when the run takes longer than this
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub timeout: u64,

    /// Stop every party and fail, naming those that never connected, when the parties have not all connected within this (not ssh's --connect-timeout)
    #[arg(long, value_name = "SECS", default_value_t = e3_run::request::DEFAULT_START_TIMEOUT_SECS)]
    pub start_timeout: u64,

    /// Print the summary as JSON on stdout (progress goes to stderr)
    #[arg(long)]
    pub json: bool,

    /// Arguments for the program, after `--` (e.g. `-- 3` for secretsanta's size)
    #[arg(last = true, value_name = "PROGRAM ARGS")]
    pub args: Vec<String>,
}

/// How e3 reaches hosts: shared by `run --hosts` and `sync`. No defaults
/// here (see the methods), so a local run can tell which were given.
#[derive(Args, Clone, Debug, Default)]
pub struct RemoteArgs {
    /// The folder on each host that holds the program, relative to the ssh user's home [default: e3]
    #[arg(long, value_name = "DIR")]
    pub remote_dir: Option<String>,

    /// ssh config file (passed to ssh as -F, also for rsync)
    #[arg(long, value_name = "FILE")]
    pub ssh_config: Option<String>,

    /// ssh user for every host (default: the hosts file's user@, else ssh's own default)
    #[arg(long, value_name = "USER")]
    pub ssh_user: Option<String>,

    /// Seconds to wait for an SSH connection [default: 10]
    #[arg(long, value_name = "SECS")]
    pub connect_timeout: Option<u64>,

    /// Hosts to connect to and sync at a time [default: 16]
    #[arg(long, value_name = "N")]
    pub parallel: Option<usize>,

    /// A known_hosts file to check the hosts' keys against and learn new ones into [default: the deployment's own (.e3/deploy/known_hosts) for the hosts.pssh deploy wrote, else ssh's]
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<String>,

    /// Seconds each host's ssh connection stays open after the run, unused, so that the next run to it skips the key exchange; 0 closes them at the end [default: 600]
    #[arg(long, value_name = "SECS", allow_negative_numbers = true, value_parser = keep_secs)]
    pub keep_connections: Option<u64>,
}

impl RemoteArgs {
    pub fn remote_dir(&self) -> &str {
        self.remote_dir.as_deref().unwrap_or("e3")
    }

    pub fn connect_timeout(&self) -> u64 {
        self.connect_timeout.unwrap_or(10)
    }

    pub fn parallel(&self) -> usize {
        self.parallel.unwrap_or(16)
    }

    pub fn keep_connections(&self) -> u64 {
        self.keep_connections.unwrap_or(600)
    }

    /// The flags given on the command line.
    pub fn given(&self) -> Vec<&'static str> {
        given_flags(&[
            ("--remote-dir", self.remote_dir.is_some()),
            ("--ssh-config", self.ssh_config.is_some()),
            ("--ssh-user", self.ssh_user.is_some()),
            ("--connect-timeout", self.connect_timeout.is_some()),
            ("--parallel", self.parallel.is_some()),
            ("--known-hosts", self.known_hosts.is_some()),
            ("--keep-connections", self.keep_connections.is_some()),
        ])
    }
}

/// The most seconds ssh's `ControlPersist` takes (a C int).
pub const KEEP_SECS_MAX: u64 = i32::MAX as u64;

/// `--keep-connections`: whole seconds from 0 to [`KEEP_SECS_MAX`].
fn keep_secs(text: &str) -> Result<u64, String> {
    let range = format!("0 (close them at the end) to {KEEP_SECS_MAX} seconds (ssh's limit)");
    match text.trim().parse::<i128>() {
        Ok(n) if (0..=KEEP_SECS_MAX as i128).contains(&n) => Ok(n as u64),
        Ok(n) => Err(format!("{n} is out of range: give {range}")),
        Err(_) => Err(format!("expected a whole number of seconds, {range}")),
    }
}

fn given_flags(flags: &[(&'static str, bool)]) -> Vec<&'static str> {
    flags
        .iter()
        .filter(|(_, given)| *given)
        .map(|(flag, _)| *flag)
        .collect()
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// The hosts file: one [user@]host[:port] a line
    #[arg(long, value_name = "FILE")]
    pub hosts: String,

    /// Folder to copy (default: e3's demos/)
    #[arg(long, value_name = "DIR")]
    pub demos: Option<String>,

    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Args, Debug)]
pub struct TestnetArgs {
    #[command(subcommand)]
    pub action: TestnetAction,
}

#[derive(Subcommand, Debug)]
pub enum TestnetAction {
    /// Create N hosts, each a network namespace with its own hostname, /root and sshd
    Up {
        /// How many hosts (1 to 250)
        hosts: usize,
        /// Testbed name: prefixes hosts (NAME-h1), namespaces and links; up to 8 of [a-z0-9], starting with a letter
        #[arg(long, default_value = "e3t")]
        name: String,
        /// The private /24 the testbed's bridge owns, as its first three octets
        #[arg(long, value_name = "A.B.C", default_value = "10.213.7")]
        subnet: String,
        /// Folder for keys, configs and hosts.pssh (default: .e3/testnet/NAME)
        #[arg(long, value_name = "DIR")]
        dir: Option<String>,
    },
    /// Remove every namespace, link, process and file of a testbed
    Down {
        /// The name given to `up --name`: up to 8 of [a-z0-9], starting with a letter
        #[arg(long, default_value = "e3t")]
        name: String,
        /// The folder given to `up`, if any
        #[arg(long, value_name = "DIR")]
        dir: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct HostsArgs {
    /// Read a saved `terraform output -json` document instead of running terraform
    #[arg(long, value_name = "FILE")]
    pub terraform_output: Option<String>,

    /// Hosts Terraform does not manage (a Raspberry Pi, a laptop): hosts.pssh lines, each optionally followed by platform=, region=, hostName= fields
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
#[command(group(clap::ArgGroup::new("target").required(true).args(["digital_ocean", "pi4"])))]
pub struct ImageArgs {
    /// The x86_64 qcow2 image for DigitalOcean droplets
    #[arg(long = "do")]
    pub digital_ocean: bool,

    /// The aarch64 SD-card image for a Raspberry Pi 4 (on x86_64: through binfmt/qemu emulation)
    #[arg(long)]
    pub pi4: bool,

    /// Folder for the result link and the image record [default: .e3/images]
    #[arg(long, value_name = "DIR")]
    pub out: Option<String>,

    /// Show nix's build logs
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Print the checks as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DeployArgs {
    /// Droplets per region, e.g. ams3=3,sfo3=1,nyc3=1,sgp1=1 [default: the settings file's, else the last deploy's]
    #[arg(long, value_name = "REGION=N,...")]
    pub nodes: Option<String>,

    /// Settings from a JSON file with the keys of .e3/deploy/e3.tfvars.json (nodes, droplet_size, name_prefix, image_file, spaces_bucket, spaces_region, tags); flags win
    #[arg(long, value_name = "FILE")]
    pub settings: Option<String>,

    /// Droplet size [default: the last deploy's, else s-1vcpu-1gb]
    #[arg(long, value_name = "SLUG")]
    pub size: Option<String>,

    /// The image file to boot [default: the one `cargo xtask image --do` recorded]
    #[arg(long, value_name = "FILE")]
    pub image: Option<String>,

    /// Starts every node's name (and tailnet hostname) [default: the last deploy's, else e3]
    #[arg(long, value_name = "NAME")]
    pub prefix: Option<String>,

    /// The Spaces bucket for the image (kept by destroy) [default: $E3_SPACES_BUCKET, else the last deploy's]
    #[arg(long, value_name = "NAME")]
    pub bucket: Option<String>,

    /// The Spaces region of the bucket [default: the last deploy's, else ams3]
    #[arg(long, value_name = "SLUG")]
    pub spaces_region: Option<String>,

    /// Keep Terraform's state in this private Spaces bucket [default: $E3_STATE_BUCKET; unset: local state]
    #[arg(long, value_name = "NAME")]
    pub state_bucket: Option<String>,

    /// Do not push the NixOS configuration with Colmena
    #[arg(long)]
    pub no_colmena: bool,

    /// Create the droplets without asking (needed when no one is at a terminal)
    #[arg(long)]
    pub yes: bool,

    /// Show what Terraform's plan would change, and stop there
    #[arg(long)]
    pub plan_only: bool,
}

#[derive(Args, Debug)]
pub struct DestroyArgs {
    /// Remove the image too (the bucket stays unless --bucket)
    #[arg(long)]
    pub all: bool,

    /// With --all: remove the image bucket too (`terraform destroy`; asked twice)
    #[arg(long, requires = "all")]
    pub bucket: bool,

    /// Keep Terraform's state in this private Spaces bucket [default: $E3_STATE_BUCKET; unset: local state]
    #[arg(long, value_name = "NAME")]
    pub state_bucket: Option<String>,

    /// Destroy without asking (needed when no one is at a terminal)
    #[arg(long)]
    pub yes: bool,

    /// Show what Terraform's plan would change, and stop there
    #[arg(long)]
    pub plan_only: bool,
}

#[derive(Args, Debug)]
pub struct NetprobeArgs {
    /// The hosts file (`[user@]host[:port]` a line, as hosts.pssh)
    #[arg(long, value_name = "FILE")]
    pub hosts: String,

    /// The profile to write [default: net/netprobe-<date>.toml]
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,

    /// Round trips timed per pair of hosts (the median is kept)
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub pings: usize,

    /// Megabytes sent between every pair of hosts to measure bandwidth
    #[arg(long, value_name = "MB", default_value_t = 4)]
    pub bulk_mb: u64,

    /// The Python command on the hosts [default: python3]
    #[arg(long, value_name = "CMD")]
    pub remote_python: Option<String>,

    /// First port of the probe on each host
    #[arg(long, value_name = "PORT", default_value_t = 11599)]
    pub base_port: u16,

    /// Give up after this many seconds
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub timeout: u64,

    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Args, Debug)]
pub struct LeftoversArgs {
    /// The deploy's name prefix [default: the last deploy's]
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,
    /// The droplets' tag [default: the last deploy's first tag, else e3]
    #[arg(long, value_name = "T")]
    pub tag: Option<String>,
}

#[derive(Args, Debug)]
pub struct TailnetArgs {
    #[command(subcommand)]
    pub action: TailnetAction,
}

#[derive(Subcommand, Debug)]
pub enum TailnetAction {
    /// List the tailnet's devices: name, hostname, addresses, last seen, tags
    Devices {
        /// Only devices whose hostname starts with this
        #[arg(long, value_name = "P")]
        prefix: Option<String>,
        /// Print them as JSON on stdout
        #[arg(long)]
        json: bool,
    },
    /// Delete the devices whose hostname starts with a prefix, then check none is left
    Prune {
        /// The hostname prefix (an empty one is refused)
        #[arg(long, value_name = "P")]
        prefix: String,
        /// Delete without asking (needed when no one is at a terminal)
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Args, Debug)]
pub struct ExperimentArgs {
    /// The experiment file (TOML; see experiments/ and docs/experiments.md); with --resume, optional
    #[arg(value_name = "FILE", required_unless_present = "resume")]
    pub file: Option<String>,

    /// The results folder's name, after the date: results/<date>-<NAME> [default: the file's `name`, else its stem]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Over the file's [hosts]: run on these hosts, reached this way (each flag as `run --hosts` takes it)
    #[command(flatten)]
    pub on_hosts: OnHostsArgs,

    /// Continue an interrupted experiment in this results folder, skipping what is done
    #[arg(long, value_name = "DIR")]
    pub resume: Option<String>,

    /// Stop at the first failed run (default: record it and go on)
    #[arg(long)]
    pub fail_fast: bool,

    /// Show party 0's output of every run
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// An experiment's results folder (results/<id>), or one run's logs folder (logs/<run-id>)
    #[arg(value_name = "DIR")]
    pub dir: String,

    /// Compare with another experiment's results folder (B against DIR, A); the report goes to a folder of its own (--out)
    #[arg(long, value_name = "OTHER_DIR")]
    pub vs: Option<String>,

    /// With --vs: name a side in the report and figures, e.g. --label A=before --label B=after [default: each side's e3 commit, short]
    #[arg(long, value_name = "A=TEXT|B=TEXT")]
    pub label: Vec<String>,

    /// With --vs: the folder for the comparison [default: results/compare-<A>-vs-<B>]
    #[arg(long, value_name = "DIR")]
    pub out: Option<String>,

    /// The key on the figures' x-axis [default: the swept key with numbers for values that has the most of them]
    #[arg(long, value_name = "KEY")]
    pub x: Option<String>,

    /// A key whose values make the figures' lines, first the one that picks colours (again for more) [default: every other swept key]
    #[arg(long, value_name = "KEY")]
    pub by: Vec<String>,

    /// The interval around each median: ci (a 95 % bootstrap confidence interval of the median), minmax, or none
    #[arg(long, value_name = "KIND", default_value = "ci")]
    pub band: String,

    /// A logarithmic x-axis
    #[arg(long)]
    pub log_x: bool,

    /// A logarithmic y-axis
    #[arg(long)]
    pub log_y: bool,

    /// The figures' size: single (3.5 in, one column of a paper) or double (7 in, across both)
    #[arg(long, value_name = "SIZE", default_value = "single")]
    pub size: String,

    /// PNG resolution, dots per inch
    #[arg(long, value_name = "DPI", default_value_t = 300)]
    pub dpi: u32,

    /// Write the figures as SVG only (no PDF or PNG)
    #[arg(long)]
    pub svg_only: bool,

    /// Write the per-run table as CSV too (runs.csv)
    #[arg(long)]
    pub csv: bool,

    /// Open report.md with the system's viewer afterwards
    #[arg(long)]
    pub open: bool,
}

#[derive(Args, Debug)]
pub struct RunsArgs {
    /// The folder that holds logs/ and results/, e.g. a CI artifact's [default: the workspace root]
    #[arg(long, value_name = "DIR", global = true)]
    pub root: Option<String>,

    /// Print the list (or `show`'s entry) as JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub action: Option<RunsAction>,
}

#[derive(Subcommand, Debug)]
pub enum RunsAction {
    /// One run (its party table) or experiment (its runs and cells), and where its files are
    Show {
        /// An id or the start of one, `latest` (the newest), or a folder: logs/<id>, results/<id>, logs/latest, results/latest
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Remove old runs and experiments (an experiment with its runs), after listing them; never what logs/latest or results/latest points at, nor a folder that is not e3's
    Prune {
        /// Keep the newest N runs and experiments
        #[arg(long, value_name = "N")]
        keep: Option<usize>,

        /// Remove those last active more than DAYS days ago (with --keep: only those beyond the newest N)
        #[arg(long, value_name = "DAYS")]
        older_than: Option<u32>,

        /// Remove unfinished experiments too (fewer runs than scheduled, which `experiment --resume` would finish)
        #[arg(long)]
        include_unfinished: bool,

        /// Remove without asking (needed when no one is at a terminal)
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Write the figures to DIR/benchmarks.md (made if missing) instead of target/bench/benchmarks.md
    #[arg(long, value_name = "DIR", global = true, conflicts_with = "write_docs")]
    pub out: Option<String>,

    /// Write the figures into the tracked docs/benchmarks.md, replacing only this benchmark's section
    #[arg(long, global = true)]
    pub write_docs: bool,

    #[command(subcommand)]
    pub which: Bench,
}

#[derive(Subcommand, Debug, PartialEq)]
pub enum Bench {
    /// Wall time of a 6-party secretsanta run: e3 against MPyC's own -M launcher
    RunOverhead {
        /// Runs of each contender, interleaved, after one untimed run of each; at least 5
        #[arg(long, default_value_t = 7)]
        runs: usize,
    },
    /// Many local parties of helloworld -T1: e3 warm and cold against MPyC's own -M launcher
    ManyParties {
        /// Runs of each contender at each party count, interleaved; at least 3
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Party counts, comma-separated, each from 2 to 256
        #[arg(long, value_delimiter = ',', default_values_t = [16, 64, 128])]
        parties: Vec<usize>,
    },
    /// run --net's accuracy: ping-pong round trips against the profile (6 and 64 parties), a capped bulk transfer, and secretsanta through the relays under lan against without --net
    Net {
        /// Runs of each contender in the lan comparison, interleaved; at least 5
        #[arg(long, default_value_t = 7)]
        runs: usize,
    },
    /// Time a cold build of `cargo xtask --help` in a fresh clone
    ColdBuild,
    /// What `run --tls` costs: local parties of helloworld -T1, plain against TLS
    Tls {
        /// Runs of each, interleaved; at least 3
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Party counts, comma-separated, each from 3 to 256
        #[arg(long, value_delimiter = ',', default_values_t = [6, 64])]
        parties: Vec<usize>,
        /// Also this many hosts on a testbed, one party each (needs root); 0: none
        #[arg(long, default_value_t = 16)]
        testbed: usize,
    },
    /// On a local testbed (needs root): `run --hosts` against parallel-rsync + parallel-ssh + a prun.sh
    Remote {
        /// Testbed sizes, comma-separated, one party a host: 2 to 250 each
        #[arg(long, value_delimiter = ',', default_values_t = [16, 64, 128])]
        hosts: Vec<usize>,
        /// Runs of each contender, interleaved, after one untimed round; at least 5
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Also 4 parties on each of this many hosts (which prun.sh cannot do), cold and warm, against e3's own one a host; 0: none
        #[arg(long, default_value_t = 64)]
        packed: usize,
    },
}
