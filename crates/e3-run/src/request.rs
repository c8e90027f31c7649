//! One description of a run: everything that makes it what it is (the
//! program and its arguments, how many parties, where they run and how
//! e3 reaches them, warm or cold, the network profile, the timeout), built
//! by `run`'s flags or by an experiment's cell, checked here, and turned
//! into the plan that `--dry-run` prints and the engine runs. The record in
//! `summary.json` comes from the same value.

use std::fmt;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use e3_inventory::Inventory;
use e3_plan::Plan;
use e3_ssh::Ssh;
use prun::{Layout, LayoutError, PartyCommand, Settings};

use crate::engine::{Outcome, RemotePlan, RemoteSettings, RunError, RunEvent, RunSpec};
use crate::net::NetRun;
use crate::ports::{self, PortsError};
use crate::program::Program;
use crate::provenance::Provenance;
use crate::python::Python;
use crate::start::{Placement, Start};
use crate::warm::{RemoteWarm, Warm};

/// How long parties may take to connect before a run is stopped, unless
/// asked otherwise: generous (a 64-host testbed took minutes before its
/// neighbour tables were fixed), and far below the run's timeout.
pub const DEFAULT_START_TIMEOUT_SECS: u64 = 300;

/// Parties of a local run when none is asked.
pub const DEFAULT_LOCAL_PARTIES: usize = 3;

/// More files than this in a program's folder is surely not what the user
/// meant to copy to every host.
pub const MAX_SYNC_FILES: usize = 2000;

/// A run, completely.
#[derive(Clone, Debug)]
pub struct RunRequest {
    pub program: Program,
    /// The program's own arguments as every party gets them (MPyC's `-T`
    /// among them), before e3's `-I` and `-P`.
    pub args: Vec<String>,
    /// `None`: [`DEFAULT_LOCAL_PARTIES`] locally; on hosts, every host's share.
    pub parties: Option<usize>,
    /// What was asked; `None`: e3's default for where the parties run.
    pub start: Option<Start>,
    pub timeout: Duration,
    /// Locally the first port tried; on hosts exactly the first port.
    pub base_port: u16,
    /// TLS between the parties (MPyC's `--ssl`), with material e3 makes
    /// for this run ([`crate::tls`]).
    pub tls: bool,
    /// The parties must all have connected within this; `None`: no limit
    /// but `timeout` (for programs that are not MPyC's).
    pub start_timeout: Option<Duration>,
    pub place: Place,
}

/// Where the parties run.
#[derive(Clone, Debug)]
pub enum Place {
    Local(Local),
    Hosts(Hosts),
}

/// Parties as processes of this machine.
#[derive(Clone, Debug)]
pub struct Local {
    pub python: Python,
    /// The network profile (`--net`), its placement (`--placement`) applied.
    pub net: Option<e3_net::Profile>,
    /// The program that launches warm parties and runs relay shards (e3's
    /// own binary).
    pub launcher: Utf8PathBuf,
}

/// Parties on hosts over SSH, and everything about reaching them.
#[derive(Clone, Debug)]
pub struct Hosts {
    /// The hosts file as the user named it (for messages).
    pub file: String,
    pub inventory: Inventory,
    pub ssh: Ssh,
    pub per_host: usize,
    /// The Python command on the hosts.
    pub remote_python: String,
    /// The program's folder on each host, relative to the ssh user's home.
    pub remote_dir: String,
    /// Hosts connected and synced at a time.
    pub parallel: usize,
    /// Copy the program's folder to every host first.
    pub sync: bool,
    /// rsync on this machine: for the sync and for a warm start's script.
    pub rsync: Option<Utf8PathBuf>,
}

/// Why a run cannot be made as described: the user's to fix (except
/// [`RequestError::Ports`] of kind `NoneFree`/`Lock`, which are this
/// machine's state).
#[derive(Debug)]
pub enum RequestError {
    /// The party count is out of MPyC's range.
    Parties { parties: usize, error: LayoutError },
    /// The program's arguments are not for this run.
    ProgramArgs(prun::mpyc::ArgsError),
    /// The network profile's placement does not hold the parties.
    Placement(e3_net::ProfileError),
    /// No local ports for the parties (and relays).
    Ports(PortsError),
    /// The parties do not fit on the hosts.
    Layout { file: String, error: LayoutError },
    /// The program's folder is too big to copy to every host.
    TooManyFiles { dir: Utf8PathBuf },
    /// rsync is needed (to sync, for a warm start, or for TLS keys) and
    /// was not found: `for_what` says what it would copy.
    NoRsync { for_what: &'static str },
    /// TLS material could not be made or written.
    Tls(crate::tls::TlsError),
    /// A party's TLS material would fail its handshake.
    TlsUnfit(crate::tls::Unfit),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Parties { parties, error } => write!(f, "{parties} parties: {error}"),
            RequestError::ProgramArgs(err) => write!(f, "{err}"),
            RequestError::Placement(err) => write!(f, "{err}"),
            RequestError::Ports(err) => write!(f, "{err}"),
            RequestError::Layout { file, error } => write!(f, "{file}: {error}"),
            RequestError::TooManyFiles { dir } => write!(
                f,
                "the program's folder {dir} holds more than {MAX_SYNC_FILES} files, and a run copies all of it to every host"
            ),
            RequestError::NoRsync { for_what } => {
                write!(f, "rsync is needed to copy {for_what} to the hosts")
            }
            RequestError::Tls(err) => write!(f, "{err}"),
            RequestError::TlsUnfit(unfit) => write!(f, "{unfit}: its handshake would fail"),
        }
    }
}

impl std::error::Error for RequestError {}

impl RunRequest {
    /// How many parties run.
    pub fn parties(&self) -> usize {
        match (&self.parties, &self.place) {
            (Some(n), _) => *n,
            (None, Place::Local(_)) => DEFAULT_LOCAL_PARTIES,
            (None, Place::Hosts(h)) => h.inventory.hosts.len() * h.per_host,
        }
    }

    /// Warm or cold: as asked, else e3's default for the placement.
    pub fn start(&self) -> Start {
        let placement = match &self.place {
            Place::Local(_) => Placement::Local,
            Place::Hosts(h) => Placement::PerHost(h.per_host),
        };
        Start::choose(self.start, placement)
    }

    /// The network profile, fitted to the party count.
    pub fn net(&self) -> Option<e3_net::Profile> {
        match &self.place {
            Place::Local(local) => local.net.clone().map(|p| p.fitted(self.parties())),
            Place::Hosts(_) => None,
        }
    }

    /// Everything that can be checked without starting anything: the
    /// party count, the program's arguments for it, the placement, whether
    /// the parties fit on the hosts, the folder to sync, rsync.
    pub fn check(&self) -> Result<(), RequestError> {
        let parties = self.parties();
        prun::check_party_count(parties)
            .map_err(|error| RequestError::Parties { parties, error })?;
        let net = self.net();
        let shape = prun::mpyc::RunShape {
            parties,
            net: net.is_some(),
            said: prun::mpyc::Said::Flags,
        };
        prun::mpyc::check_program_args(&self.args, &shape).map_err(RequestError::ProgramArgs)?;
        if let Some(profile) = &net {
            profile
                .check_parties(parties)
                .map_err(RequestError::Placement)?;
        }
        if let Place::Hosts(hosts) = &self.place {
            self.party_commands(hosts)?;
            if hosts.sync && count_files(&self.program.dir, MAX_SYNC_FILES) > MAX_SYNC_FILES {
                return Err(RequestError::TooManyFiles {
                    dir: self.program.dir.clone(),
                });
            }
            let needs = [
                (hosts.sync, "the program's folder"),
                (self.start().is_warm(), "the warm start"),
                (self.tls, "each party's TLS keys"),
            ];
            if hosts.rsync.is_none()
                && let Some((_, for_what)) = needs.iter().find(|(needed, _)| *needed)
            {
                return Err(RequestError::NoRsync { for_what });
            }
        }
        Ok(())
    }

    /// Every party's host and argv on the hosts.
    fn party_commands(&self, hosts: &Hosts) -> Result<Vec<PartyCommand>, RequestError> {
        self.party_commands_with(hosts, false)
    }

    /// The same, with MPyC's `--ssl` after the program's arguments.
    fn party_commands_with(
        &self,
        hosts: &Hosts,
        ssl: bool,
    ) -> Result<Vec<PartyCommand>, RequestError> {
        let settings = Settings {
            layout: Layout {
                parties: self.parties(),
                per_host: hosts.per_host,
                base_port: self.base_port,
            },
            log_level: None,
            program: std::iter::once(self.program.file.clone())
                .chain(self.args.iter().cloned())
                .chain(ssl.then(|| "--ssl".to_string()))
                .collect(),
        };
        prun::plan_parties(&hosts.inventory, &settings).map_err(|error| RequestError::Layout {
            file: hosts.file.clone(),
            error,
        })
    }

    /// Checks the run, reserves its local ports (held until the prepared
    /// run is dropped, so that no other e3 run takes them), and plans it;
    /// with TLS, makes and checks its material and stages it.
    pub fn prepare(&self, root: &Utf8Path) -> Result<Prepared, RequestError> {
        self.prepare_as(root, false)
    }

    /// The same plan for `--dry-run`: with TLS, the folders are named but
    /// no key is made or written.
    pub fn prepare_dry(&self, root: &Utf8Path) -> Result<Prepared, RequestError> {
        self.prepare_as(root, true)
    }

    /// TLS material for the run, fresh and checked; none for a dry run.
    fn tls_material(&self, dry: bool) -> Result<Option<crate::tls::Material>, RequestError> {
        if dry {
            return Ok(None);
        }
        let material = crate::tls::Material::make(self.parties()).map_err(RequestError::Tls)?;
        crate::tls::check(&material).map_err(RequestError::TlsUnfit)?;
        Ok(Some(material))
    }

    fn prepare_as(&self, root: &Utf8Path, dry: bool) -> Result<Prepared, RequestError> {
        self.check()?;
        let start = self.start();
        match &self.place {
            Place::Local(local) => self.prepare_local(root, local, start, dry),
            Place::Hosts(hosts) => {
                let commands = self.party_commands_with(hosts, self.tls)?;
                let warm = start
                    .is_warm()
                    .then(|| RemoteWarm::new(hosts.rsync.clone().unwrap_or_default()));
                // TLS: fresh material, checked, staged per host (each host
                // only its own parties' keys).
                let (staging, remote_tls) = match self.tls {
                    false => (None, None),
                    true => {
                        let material = self.tls_material(dry)?;
                        let used = crate::engine::used_hosts(&commands);
                        let parties_of_host: Vec<Vec<usize>> = used
                            .iter()
                            .map(|h| {
                                commands
                                    .iter()
                                    .filter(|c| c.host.same_endpoint(h))
                                    .map(|c| c.party.index)
                                    .collect()
                            })
                            .collect();
                        let staged = crate::tls::host_staging(material.as_ref(), &parties_of_host)
                            .map_err(RequestError::Tls)?;
                        let remote = crate::engine::RemoteTls {
                            rsync: hosts.rsync.clone().unwrap_or_default(),
                            remote_base: format!("/tmp/e3-tls-{}", crate::warm::unique_tag()),
                            staging: staged.dirs.clone(),
                        };
                        (Some(staged), Some(remote))
                    }
                };
                let known = crate::provenance::KnownVersions::load(
                    &root.join(crate::provenance::KNOWN_VERSIONS),
                );
                let settings = RemoteSettings {
                    remote_dir: &hosts.remote_dir,
                    remote_python: &hosts.remote_python,
                    parallel: hosts.parallel,
                    warm: warm.as_ref(),
                    tls: remote_tls.as_ref(),
                    known: Some(&known),
                };
                let rsync = hosts.rsync.as_deref().filter(|_| hosts.sync);
                let plan = RemotePlan::new(&hosts.ssh, rsync, &self.program, &commands, &settings);
                Ok(Prepared::Hosts(Box::new(PreparedHosts {
                    plan,
                    commands,
                    start,
                    _tls: staging,
                })))
            }
        }
    }

    fn prepare_local(
        &self,
        root: &Utf8Path,
        local: &Local,
        start: Start,
        dry: bool,
    ) -> Result<Prepared, RequestError> {
        let parties = self.parties();
        let profile = self.net();
        let warm = start.is_warm().then(|| Warm::new(local.launcher.clone()));
        // The parties' own ports, then (under a profile) the relays'.
        let relay_ports = profile
            .as_ref()
            .map_or(0, |p| NetRun::relay_ports(p, parties));
        let ports =
            ports::reserve(self.base_port, parties + relay_ports).map_err(RequestError::Ports)?;
        let layout = Layout {
            parties,
            per_host: parties,
            base_port: ports.first,
        };
        let table = prun::party_table(&["127.0.0.1".to_string()], &layout)
            .map_err(|error| RequestError::Parties { parties, error })?;
        // TLS: fresh material, checked, in each party's own working folder.
        let tls = match self.tls {
            false => None,
            true => {
                let material = self.tls_material(dry)?;
                Some(
                    crate::tls::party_dirs(&self.program.dir, material.as_ref(), parties)
                        .map_err(RequestError::Tls)?,
                )
            }
        };
        let mut args = self.args.clone();
        if tls.is_some() {
            args.push("--ssl".into());
        }
        let net = profile.map(|p| {
            let mut net = NetRun::new(p, &table, ports.first + parties as u16);
            // Whether e3's own open-file limit holds every relay, or they
            // run in processes of their own (the plan says which).
            net.open_files = e3_net::open_files_limit();
            net.shard_program = Some(local.launcher.clone());
            net
        });
        let plan = crate::engine::plan_local(
            root,
            &self.program,
            &args,
            &local.python,
            &table,
            crate::engine::LocalOptions {
                warm: warm.as_ref(),
                net: net.as_ref(),
                party_dirs: tls.as_ref().map(|t| t.dirs.as_slice()),
            },
        );
        Ok(Prepared::Local(Box::new(PreparedLocal {
            _ports: ports,
            table,
            plan,
            net,
            start,
            warm: WarmSocket(warm),
            tls,
        })))
    }
}

/// A run ready to start.
pub enum Prepared {
    Local(Box<PreparedLocal>),
    Hosts(Box<PreparedHosts>),
}

/// A local run: its ports are held until it is dropped.
pub struct PreparedLocal {
    _ports: ports::Reservation,
    pub table: Vec<prun::Party>,
    pub plan: Plan,
    /// Under a network profile: the relays' routes and each party's list.
    pub net: Option<NetRun>,
    pub start: Start,
    warm: WarmSocket,
    /// With TLS: each party's working folder and material, removed when
    /// the run is over (however it ended).
    tls: Option<crate::tls::PartyDirs>,
}

/// A run on hosts.
pub struct PreparedHosts {
    pub plan: RemotePlan,
    /// Who runs where, with which argv.
    pub commands: Vec<PartyCommand>,
    pub start: Start,
    /// TLS: each host's material, staged here until the run is over.
    _tls: Option<crate::tls::HostStaging>,
}

/// A warm run's socket, removed when the run is over (a warm start removes
/// its own, unless it was killed).
struct WarmSocket(Option<Warm>);

impl Drop for WarmSocket {
    fn drop(&mut self) {
        if let Some(warm) = &self.0 {
            let _ = std::fs::remove_file(&warm.socket);
        }
    }
}

impl Prepared {
    /// What `--dry-run` prints: the very plan that runs.
    pub fn plan(&self, root: &Utf8Path) -> Plan {
        match self {
            Prepared::Local(local) => local.plan.clone(),
            Prepared::Hosts(hosts) => hosts.plan.to_plan(root),
        }
    }

    pub fn start(&self) -> Start {
        match self {
            Prepared::Local(local) => local.start,
            Prepared::Hosts(hosts) => hosts.start,
        }
    }

    /// Runs it through the engine: `request` is what it was prepared from,
    /// `provenance` goes into its summary.
    pub fn run(
        self,
        root: &Utf8Path,
        request: &RunRequest,
        provenance: &Provenance,
        progress: &dyn Fn(RunEvent<'_>),
    ) -> Result<Outcome, RunError> {
        let start = self.start();
        match (self, &request.place) {
            (Prepared::Local(local), Place::Local(place)) => {
                let PreparedLocal {
                    table,
                    plan,
                    net,
                    _ports,
                    warm,
                    tls,
                    ..
                } = *local;
                let spec = spec(root, request, net.as_ref(), start, provenance);
                let outcome = crate::engine::run_local(&spec, &place.python, plan, table, progress);
                drop(warm);
                // The keys go with the run, however it ended.
                drop(tls);
                outcome
            }
            (Prepared::Hosts(hosts), Place::Hosts(place)) => {
                let spec = spec(root, request, None, start, provenance);
                crate::engine::run_remote(&spec, &hosts.plan, &place.ssh, progress)
            }
            _ => unreachable!("a run is prepared from its own request"),
        }
    }
}

fn spec<'a>(
    root: &'a Utf8Path,
    request: &'a RunRequest,
    net: Option<&'a NetRun>,
    start: Start,
    provenance: &'a Provenance,
) -> RunSpec<'a> {
    let remote_python = match &request.place {
        Place::Hosts(h) => Some(h.remote_python.as_str()),
        Place::Local(_) => None,
    };
    RunSpec {
        root,
        program: &request.program,
        args: &request.args,
        timeout: request.timeout,
        net,
        start,
        provenance: Some(provenance),
        remote_python,
        tls: request.tls,
        // Connections are seen in MPyC's info lines: with those turned off
        // (`--no-log`, `--log-level warning`) there is nothing to wait for.
        start_timeout: request
            .start_timeout
            .filter(|_| prun::mpyc::logs_connections(&request.args)),
    }
}

/// How many files are under `dir` (skipping what sync skips), counting no
/// further than `limit`.
pub fn count_files(dir: &Utf8Path, limit: usize) -> usize {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = dir.read_dir_utf8() else {
            continue;
        };
        for entry in entries.flatten() {
            if matches!(entry.file_name(), "__pycache__" | ".git" | "logs") {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path().to_path_buf()),
                _ => count += 1,
            }
            if count > limit {
                return count;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use camino::Utf8PathBuf;

    #[test]
    fn counts_files_up_to_a_limit_skipping_caches() {
        let dir = std::env::temp_dir().join(format!("e3-count-{}", std::process::id()));
        let dir = Utf8PathBuf::from_path_buf(dir).unwrap();
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::create_dir_all(dir.join("__pycache__")).unwrap();
        for name in [
            "a.py",
            "b.py",
            "sub/c.py",
            "sub/d.txt",
            "__pycache__/a.pyc",
            "__pycache__/b.pyc",
        ] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        assert_eq!(count_files(&dir, 100), 4);
        assert_eq!(count_files(&dir, 2), 3, "stops counting past the limit");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
