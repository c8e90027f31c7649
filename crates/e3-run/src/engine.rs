//! Planning a run of N MPyC parties — local processes, or one or more per
//! host over SSH — and running it: every party started at once and watched
//! together, each one's log kept, a failed party stopping the rest, and a
//! summary at the end.

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use e3_exec::{End, Event, ExecError, GroupOptions, Observer, StopReason, Verdict};
use e3_inventory::Host;
use e3_plan::{Cmd, Job, Plan, Step, relative_to};
use e3_ssh::{FirstLine, HostEvent, SessionError, Ssh};
use prun::mpyc::{StopLine, is_connected_line, parse_stop_line};
use prun::{Party, PartyCommand};

use crate::logs;
use crate::net::NetRun;
use crate::program::Program;
use crate::python::{self, Python};
use crate::summary::NetSummary;
use crate::summary::{PartySummary, Status, Summary};
use crate::warm::{self, RemoteWarm, Warm};

/// What every party of a run shares.
#[derive(Clone, Copy, Debug)]
pub struct RunSpec<'a> {
    /// The workspace root: `logs/` is here, and paths in the summary are
    /// relative to it.
    pub root: &'a Utf8Path,
    pub program: &'a Program,
    /// The program's own arguments (before e3's `-I` and `-P`).
    pub args: &'a [String],
    /// Every party is stopped when the run takes longer.
    pub timeout: Duration,
    /// A local run under a network profile: the relays run with it.
    pub net: Option<&'a NetRun>,
    /// Warm or cold: recorded in the summary (the plan carries the how).
    pub start: crate::Start,
    /// e3's commit and command line, for the summary's `environment`
    /// (`None`: no environment is recorded).
    pub provenance: Option<&'a crate::provenance::Provenance>,
    /// A run on hosts: the Python command there (its versions are asked).
    pub remote_python: Option<&'a str>,
    /// The parties spoke TLS (`--tls`).
    pub tls: bool,
    /// Stop the run when the parties have not all connected within this
    /// (`--start-timeout`): names those that never did. `None`: only the
    /// run's timeout (a program that is not MPyC's says nothing of it).
    pub start_timeout: Option<Duration>,
}

/// A party of a run and, for remote runs, the host it runs on.
#[derive(Clone, Debug)]
pub struct RunParty {
    pub party: Party,
    pub host: Option<Host>,
}

/// What happened in a run, as it happens, for the caller to show.
#[derive(Clone, Copy, Debug)]
pub enum RunEvent<'a> {
    /// e3's Python environment is being made (the first run does it).
    MakingEnv,
    /// A command that makes the environment runs now.
    EnvCommand(&'a Cmd),
    /// The environment is ready, after `took`.
    EnvReady { took: Duration },
    /// A host connected or synced, or failed to (remote runs).
    Host(HostEvent<'a>),
    /// The warm start has loaded what the parties import, after `took`.
    WarmReady { took: Duration, starts: usize },
    /// The run's TLS keys could not be removed from `hosts` (no answer at
    /// the end): they are in `path` there.
    TlsKeysLeft { hosts: &'a [String], path: &'a str },
    /// The relays run in `shards` processes of their own: they need about
    /// `needed` open files, more than e3's own `limit`.
    RelayShards {
        shards: usize,
        needed: u64,
        limit: u64,
    },
    /// The parties are about to start; `log_dir` is relative to the root.
    Starting {
        parties: &'a [Party],
        program: &'a Program,
        log_dir: &'a Utf8Path,
        start: crate::Start,
    },
    /// One line a party printed (stdout and stderr merged).
    Line { party: usize, line: &'a str },
    /// The party said MPyC's "All n parties connected"; `connected` of
    /// `total` have now.
    Connected {
        party: usize,
        connected: usize,
        total: usize,
    },
    /// Every party has connected, `after` the start.
    AllConnected { total: usize, after: Duration },
    /// The party ended well.
    Done { party: usize, after: Duration },
    /// e3 stopped the party (because of another, a timeout or Ctrl-C).
    Stopped { party: usize, end: &'a PartyEnd },
    /// The party ended badly on its own: the run stops.
    Failed {
        party: usize,
        end: &'a PartyEnd,
        after: Duration,
    },
    /// Every party still running is being stopped.
    Stopping { reason: &'a StopReason },
    /// The parties on a host could not be stopped there.
    CouldNotStop { host: &'a str, why: &'a str },
}

/// A run that ran: what each party did, and where its logs are.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub summary: Summary,
    /// `logs/<run-id>/`.
    pub dir: Utf8PathBuf,
    /// The last lines each party printed, by party index.
    pub tails: Vec<Vec<String>>,
    /// Remote runs: what each party's first line stamped (by party index;
    /// `None`: nothing, or a local run).
    pub stamps: Vec<Option<String>>,
}

impl Outcome {
    /// `summary.json`'s text, as e3 wrote it.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(&self.summary.to_json()).expect("a json value serialises")
    }

    /// Writes (again, after the summary gained something) the run's
    /// `summary.json`.
    pub fn write_summary(&self) -> Result<(), RunError> {
        let path = self.dir.join("summary.json");
        std::fs::write(&path, format!("{}\n", self.json()))
            .map_err(|e| RunError::io(format!("cannot write {path}"), e))
    }
}

/// Why a run could not be made or watched (a party failing is not one of
/// these: that is in the [`Outcome`]).
#[derive(Debug)]
pub enum RunError {
    /// Making e3's Python environment failed.
    PythonEnv(ExecError),
    /// The parties could not be started or watched.
    Exec(ExecError),
    /// Connecting to or syncing the hosts failed.
    Session(SessionError),
    /// A file of the run (a log, the summary) could not be written.
    Io {
        what: String,
        source: std::io::Error,
    },
}

impl RunError {
    pub(crate) fn io(what: String, source: std::io::Error) -> RunError {
        RunError::Io { what, source }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::PythonEnv(err) => write!(f, "making the python env failed: {err}"),
            RunError::Exec(err) => write!(f, "{err}"),
            RunError::Session(err) => write!(f, "{err}"),
            RunError::Io { what, source } => write!(f, "{what}: {source}"),
        }
    }
}

impl std::error::Error for RunError {}

impl From<ExecError> for RunError {
    fn from(err: ExecError) -> RunError {
        RunError::Exec(err)
    }
}

impl From<SessionError> for RunError {
    fn from(err: SessionError) -> RunError {
        RunError::Session(err)
    }
}

/// The plan of a local run: make the Python environment if needed, then
/// start party i as `python PROGRAM ARGS -I i -P 127.0.0.1:port_0 ...`.
/// With `warm`, the parties are forked by one Python that loaded the heavy
/// modules once ([`crate::warm`]): the plan writes its script, starts it in
/// the background, and starts each party through a launcher.
/// How a local run's parties start and reach each other.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalOptions<'a> {
    /// Forked by a warm start.
    pub warm: Option<&'a Warm>,
    /// Under a network profile: through its relays.
    pub net: Option<&'a NetRun>,
    /// Each party's own working folder (TLS: the program's folder mirrored,
    /// plus its `.config/`), by index; `None`: the program's folder.
    pub party_dirs: Option<&'a [Utf8PathBuf]>,
}

pub fn plan_local(
    root: &Utf8Path,
    program: &Program,
    args: &[String],
    python: &Python,
    table: &[Party],
    options: LocalOptions<'_>,
) -> Plan {
    let LocalOptions {
        warm,
        net,
        party_dirs,
    } = options;
    let mut plan = Plan::new(root);
    plan.steps.extend(python.setup_steps());
    let interpreter = python.interpreter();
    if let Some(warm) = warm {
        plan.push(Step::WriteFile {
            path: warm::SCRIPT_PATH.into(),
            contents: warm::SCRIPT.to_string(),
        });
        plan.push(Step::Background {
            what: "the warm start: loads numpy, gmpy2, asyncio and MPyC (but its runtime) once, then forks every party"
                .into(),
            cmd: warm.zygote(&interpreter, &program.file, args),
            ready: warm::READY.into(),
        });
    }
    let jobs = table
        .iter()
        .map(|party| {
            let who = match net {
                Some(net) => net.mpyc_args(party.index),
                None => prun::mpyc_args(table, party.index),
            };
            let argv: Vec<String> = std::iter::once(program.file.clone())
                .chain(args.iter().cloned())
                .chain(who)
                .collect();
            let cmd = match warm {
                Some(warm) => warm.launcher(argv),
                None => Cmd::new(&interpreter).args(argv),
            };
            let dir = match party_dirs.and_then(|d| d.get(party.index)) {
                Some(dir) => dir.clone(),
                None => relative_to(root, &program.dir),
            };
            Job {
                label: format!("party {}", party.index),
                cmd: cmd.env("PYTHONUNBUFFERED", "1").cwd(dir),
            }
        })
        .collect();
    if let Some(net) = net {
        plan.push(Step::Note(net.describe()));
    }
    if let Some(dirs) = party_dirs
        && let Some(base) = dirs.first().and_then(|d| d.parent())
    {
        plan.push(Step::Note(format!(
            "TLS: e3 makes each party's working folder in {base} (the program's folder mirrored by symlinks, and .config/ with that party's fresh key and certificate) when the run starts, and removes it when the run ends"
        )));
    }
    plan.push(Step::Together {
        what: format!(
            "{} parties of {}, started together{}",
            table.len(),
            program.file,
            if warm.is_some() { " (forked warm)" } else { "" }
        ),
        jobs,
    });
    plan
}

/// Runs a local plan (from [`plan_local`]): makes the Python environment
/// if its steps say so, then starts and watches the parties of `table`.
pub fn run_local(
    spec: &RunSpec<'_>,
    python: &Python,
    plan: Plan,
    table: Vec<Party>,
    progress: &dyn Fn(RunEvent<'_>),
) -> Result<Outcome, RunError> {
    // The plan is the environment's steps (run only when it needs making,
    // under a lock), then what every run does before the parties (writing
    // the warm start's script), the warm start, and the parties.
    let mut setup = plan;
    let rest = setup.steps.split_off(python.setup_steps().len());
    let mut every_run = Plan {
        workdir: setup.workdir.clone(),
        steps: Vec::new(),
    };
    let (mut jobs, mut zygotes) = (Vec::new(), Vec::new());
    for step in rest {
        match step {
            Step::Together { jobs: group, .. } => jobs = group,
            Step::Background { cmd, .. } => zygotes.push(Job {
                label: "the warm start".into(),
                cmd,
            }),
            other => every_run.steps.push(other),
        }
    }
    let made = python::prepare(spec.root, python, &setup, &|making| match making {
        python::Making::Start => progress(RunEvent::MakingEnv),
        python::Making::Command(cmd) => progress(RunEvent::EnvCommand(cmd)),
    })
    .map_err(RunError::PythonEnv)?;
    if let Some(took) = made {
        progress(RunEvent::EnvReady { took });
    }
    // The warm start's script, then the warm start itself, until the run ends.
    e3_exec::run_plan(&every_run, |_| {})?;
    let _zygotes = start_warm(spec.root, &zygotes, progress)?;
    // The relays, until the parties have ended: dropping them closes every
    // socket they hold.
    let _relays = match spec.net {
        Some(net) => Some(start_relays(spec.root, net, progress)?),
        None => None,
    };
    let parties: Vec<RunParty> = table
        .into_iter()
        .map(|party| RunParty { party, host: None })
        .collect();
    let places = spec.provenance.map(|_| crate::provenance::Places {
        versions: vec![crate::provenance::PlaceVersions {
            place: "local".into(),
            versions: crate::provenance::local_versions(python),
            asked_at: None,
        }],
        hosts: Vec::new(),
    });
    execute(spec, &parties, &jobs, None, places, progress)
}

/// Hosts that run at least one party, in inventory order.
pub(crate) fn used_hosts(commands: &[PartyCommand]) -> Vec<Host> {
    let mut hosts: Vec<Host> = Vec::new();
    for c in commands {
        if !hosts.iter().any(|h| h.same_endpoint(&c.host)) {
            hosts.push(c.host.clone());
        }
    }
    hosts
}

/// How a remote run reaches its hosts and runs there.
#[derive(Clone, Copy, Debug)]
pub struct RemoteSettings<'a> {
    /// The folder on each host that holds the program, relative to the ssh
    /// user's home.
    pub remote_dir: &'a str,
    /// The Python command on the hosts.
    pub remote_python: &'a str,
    /// Hosts connected and synced at a time.
    pub parallel: usize,
    /// Start each host's parties warm: forked by one warm start per host.
    pub warm: Option<&'a RemoteWarm>,
    /// TLS: each host's share of the material, copied before the parties
    /// start and removed after.
    pub tls: Option<&'a RemoteTls>,
    /// Each host's versions as last asked: a host found here stamps what
    /// they were read from in its first party's first line, and is not
    /// asked again when the stamp is unchanged.
    pub known: Option<&'a crate::provenance::KnownVersions>,
}

/// TLS on hosts: where each host's material is staged here (by host, in
/// the plan's order), the folder it goes to on every host, and rsync.
#[derive(Clone, Debug)]
pub struct RemoteTls {
    pub rsync: Utf8PathBuf,
    /// On each host: `<remote_base>/party-<i>/.config/`.
    pub remote_base: String,
    pub staging: Vec<Utf8PathBuf>,
}

/// A run on hosts: a [`e3_ssh::Session`] (connect, sync, close) around the
/// parties; [`RemotePlan::to_plan`] is what `--dry-run` prints.
pub struct RemotePlan {
    /// The hosts that run at least one party, in inventory order.
    pub hosts: Vec<Host>,
    /// Warm runs: the warm start's script, written here before it is
    /// copied to the hosts.
    pub script: Option<Step>,
    pub session: e3_ssh::Session,
    /// Warm runs: each host's warm start, in the order of `hosts`.
    pub zygotes: Vec<Job>,
    /// Warm runs: what removes each host's socket when the run ends (a
    /// warm start removes its own, unless it was killed).
    pub cleanup: Vec<Cmd>,
    /// Who runs where, in party order.
    pub runs: Vec<RunParty>,
    pub parties: Vec<Job>,
    /// TLS: each host's material copied there, before anything starts.
    pub tls_copy: Vec<Cmd>,
    /// TLS: each host's material removed, whatever happened (by host label).
    pub tls_cleanup: Vec<(String, Cmd)>,
    /// TLS: the folder on every host that holds the run's keys.
    pub tls_base: Option<String>,
    /// Each host's first party (an index into `runs`, in the order of
    /// `hosts`): the one that stamps what the host's versions were read from.
    pub first_parties: Vec<usize>,
    /// The hosts' versions as last asked, as this plan read them.
    pub known: crate::provenance::KnownVersions,
    /// What asks each host's versions after the run (in the order of
    /// `hosts`, labelled as e3 reaches the host), for those not known or
    /// whose stamp changed.
    pub versions_asks: Vec<Job>,
    /// The Python command on the hosts.
    pub python: String,
}

impl RemotePlan {
    /// `rsync`: copy the program's folder to every host first (`None`: do not).
    pub fn new(
        ssh: &Ssh,
        rsync: Option<&Utf8Path>,
        program: &Program,
        commands: &[PartyCommand],
        settings: &RemoteSettings<'_>,
    ) -> RemotePlan {
        let remote_dir = settings.remote_dir;
        let hosts = used_hosts(commands);
        let source = rsync.map(|rsync| e3_ssh::SyncSource {
            rsync,
            local_dir: &program.dir,
            remote_dir,
        });
        let host_of = |host: &Host| hosts.iter().position(|h| h.same_endpoint(host));
        let first_parties: Vec<usize> = hosts
            .iter()
            .filter_map(|h| commands.iter().position(|c| c.host.same_endpoint(h)))
            .collect();
        let copy = settings.warm.map(|warm| e3_ssh::FileCopy {
            rsync: &warm.rsync,
            local_file: Utf8Path::new(warm::SCRIPT_PATH),
            remote_path: warm::REMOTE_SCRIPT,
            what: "the warm start",
        });
        let python = settings.remote_python;
        RemotePlan {
            script: settings.warm.map(|_| Step::WriteFile {
                path: warm::SCRIPT_PATH.into(),
                contents: warm::SCRIPT.to_string(),
            }),
            session: e3_ssh::Session::new(ssh, &hosts, settings.parallel, source, copy),
            zygotes: match settings.warm {
                Some(warm) => hosts
                    .iter()
                    .enumerate()
                    .map(|(i, host)| Job {
                        label: format!("the warm start on {}", ssh.label(host)),
                        cmd: ssh.remote(host, true, warm.zygote(i, python, &program.file)),
                    })
                    .collect(),
                None => Vec::new(),
            },
            cleanup: match settings.warm {
                Some(warm) => hosts
                    .iter()
                    .enumerate()
                    .map(|(i, host)| {
                        ssh.remote(
                            host,
                            false,
                            format!("rm -f {}", e3_plan::quote(&warm.socket(i))),
                        )
                    })
                    .collect(),
                None => Vec::new(),
            },
            runs: commands
                .iter()
                .map(|c| RunParty {
                    party: c.party.clone(),
                    host: Some(c.host.clone()),
                })
                .collect(),
            parties: commands
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let stamp = settings
                        .known
                        .filter(|_| first_parties.contains(&k))
                        .and_then(|known| known.read_on(&ssh.label(&c.host), python))
                        .map(crate::provenance::stamp_shell);
                    let runner = match (settings.warm, host_of(&c.host)) {
                        (Some(warm), Some(i)) => warm.launcher(i, python),
                        _ => python.to_string(),
                    };
                    let command = match settings.tls {
                        Some(tls) => e3_ssh::party_command_in(
                            remote_dir,
                            &format!("{}/party-{}", tls.remote_base, c.party.index),
                            &runner,
                            &c.argv,
                            stamp.as_deref(),
                        ),
                        None => {
                            e3_ssh::party_command(remote_dir, &runner, &c.argv, stamp.as_deref())
                        }
                    };
                    Job {
                        label: format!("party {}", c.party.index),
                        cmd: ssh.remote(&c.host, true, command),
                    }
                })
                .collect(),
            tls_copy: match settings.tls {
                Some(tls) => hosts
                    .iter()
                    .zip(&tls.staging)
                    .map(|(host, staged)| {
                        ssh.rsync_private_dir(&tls.rsync, host, staged, &tls.remote_base)
                    })
                    .collect(),
                None => Vec::new(),
            },
            tls_base: settings.tls.map(|tls| tls.remote_base.clone()),
            known: settings.known.cloned().unwrap_or_default(),
            python: python.to_string(),
            versions_asks: hosts
                .iter()
                .map(|host| Job {
                    label: ssh.label(host),
                    cmd: ssh.remote(
                        host,
                        false,
                        crate::provenance::remote_versions_script(python),
                    ),
                })
                .collect(),
            tls_cleanup: match settings.tls {
                Some(tls) => hosts
                    .iter()
                    .map(|host| {
                        (
                            ssh.label(host),
                            ssh.remote(
                                host,
                                false,
                                format!("rm -rf {}", e3_plan::quote(&tls.remote_base)),
                            ),
                        )
                    })
                    .collect(),
                None => Vec::new(),
            },
            first_parties,
            hosts,
        }
    }

    pub fn to_plan(&self, root: &Utf8Path) -> Plan {
        let mut work: Vec<Step> = Vec::new();
        if !self.tls_copy.is_empty() {
            work.push(Step::Note(
                "TLS: e3 stages each host's parties' fresh keys and certificates (and the CA's certificate) in the folders below when the run starts, copies them, and removes them here and there when the run ends".into(),
            ));
        }
        work.extend(self.tls_copy.iter().cloned().map(Step::Run));
        work.extend(self.zygotes.iter().map(|zygote| Step::Background {
            what: zygote.label.clone(),
            cmd: zygote.cmd.clone(),
            ready: warm::READY.into(),
        }));
        let warm = if self.zygotes.is_empty() {
            ""
        } else {
            " (forked warm)"
        };
        work.push(Step::Together {
            what: format!("{} parties, started together{warm}", self.parties.len()),
            jobs: self.parties.clone(),
        });
        work.extend(self.cleanup.iter().cloned().map(Step::Run));
        work.extend(self.tls_cleanup.iter().map(|(_, c)| Step::Run(c.clone())));
        let known = self
            .versions_asks
            .iter()
            .filter(|ask| self.known.read_on(&ask.label, &self.python).is_some())
            .count();
        work.push(Step::Together {
            what: format!(
                "the Python and package versions of each host not known here or whose first party's stamp changed ({known} of {} known here)",
                self.hosts.len()
            ),
            jobs: self.versions_asks.clone(),
        });
        let mut plan = self.session.to_plan(root, work);
        plan.steps.splice(0..0, self.script.clone());
        plan
    }
}

/// Runs a remote plan: connects to (and syncs) every host, starts and
/// watches the parties, and closes the connections whatever happened.
pub fn run_remote(
    spec: &RunSpec<'_>,
    plan: &RemotePlan,
    ssh: &Ssh,
    progress: &dyn Fn(RunEvent<'_>),
) -> Result<Outcome, RunError> {
    if let Some(script) = &plan.script {
        e3_exec::run_plan(
            &Plan {
                workdir: Some(spec.root.to_path_buf()),
                steps: vec![script.clone()],
            },
            |_| {},
        )?;
    }
    plan.session.run(
        spec.root,
        &|event| progress(RunEvent::Host(event)),
        |connections| {
            // TLS: each host's own parties' material, before anything starts.
            let copied = plan.tls_copy.iter().try_for_each(|cmd| {
                let out = e3_exec::capture(cmd)?;
                match out.end.success() {
                    true => Ok(()),
                    false => Err(RunError::io(
                        format!(
                            "copying the run's TLS material failed: {}",
                            out.stderr.trim()
                        ),
                        std::io::Error::other("rsync failed"),
                    )),
                }
            });
            // Each host's warm start, until the parties have ended: dropping
            // its ssh hangs it up, which ends it (and any party left).
            let outcome = copied.and_then(|()| {
                start_warm(spec.root, &plan.zygotes, progress).and_then(|_zygotes| {
                    execute(spec, &plan.runs, &plan.parties, Some(ssh), None, progress)
                })
            });
            // Sockets of warm starts that were killed (and so could not
            // remove their own), through the still open connections.
            for cmd in &plan.cleanup {
                let _ = e3_exec::capture(cmd);
            }
            // TLS: the keys go from every host, however the run ended; a
            // host that does not answer is named as one that keeps them.
            let kept: Vec<String> = plan
                .tls_cleanup
                .iter()
                .filter(|(_, cmd)| !e3_exec::capture(cmd).is_ok_and(|o| o.end.success()))
                .map(|(host, _)| host.clone())
                .collect();
            // Said however the run ended (an error has no summary to say it).
            if let (false, Some(path)) = (kept.is_empty(), &plan.tls_base) {
                progress(RunEvent::TlsKeysLeft { hosts: &kept, path });
            }
            let mut outcome = outcome?;
            outcome.summary.tls_keys_left_on = kept;
            outcome.summary.ssh_connections = Some(connections);
            // What each host ran the parties with, asked through its
            // connection once they are done: the probe (a Python on every
            // host) takes nothing from the run it describes.
            if let Some(provenance) = spec.provenance {
                // A host's first party stamped what its versions were read
                // from: unchanged since they were last asked, they are
                // not asked again.
                let stamps: Vec<Option<(String, String)>> = plan
                    .first_parties
                    .iter()
                    .map(|&first| {
                        let ran_on = outcome.summary.parties.get(first)?.ran_on.clone()?;
                        Some((ran_on, outcome.stamps.get(first)?.clone()?))
                    })
                    .collect();
                let places = crate::provenance::Places {
                    versions: crate::provenance::host_versions(
                        &plan.versions_asks,
                        &plan.python,
                        &stamps,
                        &plan.known,
                        &spec.root.join(crate::provenance::KNOWN_VERSIONS),
                    ),
                    hosts: plan
                        .hosts
                        .iter()
                        .map(|h| (ssh.label(h), h.region.clone()))
                        .collect(),
                };
                outcome.summary.environment = Some(crate::provenance::record(
                    provenance,
                    &places,
                    &outcome.summary.started_at,
                ));
            }
            outcome.write_summary()?;
            Ok(outcome)
        },
    )
}

/// The relays of a run under a network profile, held while they serve it
/// (dropping them closes their sockets, or ends their processes).
enum RelayHandle {
    InProcess {
        _relays: e3_net::Relays,
    },
    Shards {
        _processes: Vec<e3_exec::Background>,
    },
}

/// Starts the relays: in e3's own process when its open-file limit allows
/// (two sockets a link), else split over a few processes of their own
/// (the xtask binary's `relay-shard`), each within the limit.
fn start_relays(
    root: &Utf8Path,
    net: &NetRun,
    progress: &dyn Fn(RunEvent<'_>),
) -> Result<RelayHandle, RunError> {
    let routes = net.routes();
    let count = net.relay_processes();
    if count == 1 {
        return e3_net::Relays::start(&routes)
            .map(|relays| RelayHandle::InProcess { _relays: relays })
            .map_err(|e| RunError::io("cannot start the network profile's relays".into(), e));
    }
    let needed = e3_net::files_needed(net.regions.len(), net.profile.placement.len());
    let Some(program) = &net.shard_program else {
        return Err(RunError::io(
            format!(
                "the relays need about {needed} open files and the limit is {}; raise it (`ulimit -n`)",
                net.open_files
            ),
            std::io::Error::other("too many open files"),
        ));
    };
    let dir = root.join(".e3/relays");
    std::fs::create_dir_all(&dir).map_err(|e| RunError::io(format!("cannot make {dir}"), e))?;
    let shards = e3_net::shards(&routes, count);
    let mut started = Vec::with_capacity(shards.len());
    for (k, shard) in shards.iter().enumerate() {
        let file = dir.join(format!("{}-{k}.json", std::process::id()));
        let json: Vec<serde_json::Value> = shard.iter().map(e3_net::Route::to_json).collect();
        std::fs::write(&file, serde_json::Value::Array(json).to_string())
            .map_err(|e| RunError::io(format!("cannot write {file}"), e))?;
        let cmd = Cmd::new(program)
            .arg(crate::net::SHARD_SUBCOMMAND)
            .arg("--routes")
            .arg(&file);
        started.push(e3_exec::Background::start(
            Some(root),
            &format!("relay process {}/{}", k + 1, shards.len()),
            &cmd,
        )?);
    }
    for shard in &mut started {
        shard.wait_for(crate::net::SHARD_READY, Duration::from_secs(60))?;
    }
    progress(RunEvent::RelayShards {
        shards: started.len(),
        needed,
        limit: net.open_files,
    });
    Ok(RelayHandle::Shards {
        _processes: started,
    })
}

/// Starts every warm start at once and waits until each is ready.
fn start_warm(
    root: &Utf8Path,
    zygotes: &[Job],
    progress: &dyn Fn(RunEvent<'_>),
) -> Result<Vec<e3_exec::Background>, RunError> {
    if zygotes.is_empty() {
        return Ok(Vec::new());
    }
    let started = Instant::now();
    let mut running = zygotes
        .iter()
        .map(|z| e3_exec::Background::start(Some(root), &z.label, &z.cmd))
        .collect::<Result<Vec<_>, _>>()?;
    for zygote in &mut running {
        zygote.wait_for(warm::READY, Duration::from_secs(120))?;
    }
    progress(RunEvent::WarmReady {
        took: started.elapsed(),
        starts: running.len(),
    });
    Ok(running)
}

struct PartyState {
    log: BufWriter<File>,
    log_path: Utf8PathBuf,
    connected_after: Option<Duration>,
    stop: Option<StopLine>,
    tail: VecDeque<String>,
    exited: bool,
    /// Remote runs: the party's process (and process group) on its host, and
    /// the host's own name for itself, from the party's first line.
    remote_pid: Option<u32>,
    ran_on: Option<String>,
    /// Remote runs: the stamp of what the host's versions were read from,
    /// as the party's first line gave it (see [`crate::provenance`]).
    stamp: Option<String>,
    /// How it ended, as people read it (see [`PartyEnd`]).
    end: Option<PartyEnd>,
}

/// How a party ended, as people read it. For a remote party, ssh's exit
/// code 255 is ssh's, not the party's: the party was stopped by e3's signal
/// on its host, or ssh lost the host ([`e3_ssh::lost_connection`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartyEnd {
    Ended(End),
    Lost(String),
}

impl PartyEnd {
    pub fn success(&self) -> bool {
        matches!(self, PartyEnd::Ended(end) if end.success())
    }

    /// The exit code or signal to record (ssh's own for a lost party).
    fn recorded(&self, raw: End) -> End {
        match self {
            PartyEnd::Ended(end) => *end,
            PartyEnd::Lost(_) => raw,
        }
    }
}

impl fmt::Display for PartyEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartyEnd::Ended(end) => end.fmt(f),
            PartyEnd::Lost(why) => f.write_str(why),
        }
    }
}

/// What ssh's exit code 255 means for a remote party: e3's stop (its kill
/// command sends SIGTERM to the party's process group on the host, and ssh
/// reports a remote death by signal as 255), or a lost host, when ssh said
/// so; otherwise the code stands (a program may exit 255 itself).
/// ssh's own words are the party's last lines, or its master connection's
/// (which carries the party's session).
fn remote_end(
    end: End,
    stopped: bool,
    target: &str,
    tail: &VecDeque<String>,
    master_said: &str,
) -> PartyEnd {
    const SSH_FAILED: End = End::Code(255);
    if end != SSH_FAILED {
        return PartyEnd::Ended(end);
    }
    if stopped {
        return PartyEnd::Ended(End::Signal(libc::SIGTERM));
    }
    let last: Vec<&str> = tail
        .iter()
        .rev()
        .take(3)
        .map(String::as_str)
        .chain(master_said.lines().rev().take(3))
        .collect();
    match e3_ssh::lost_connection(target, &last) {
        Some(why) => PartyEnd::Lost(why),
        None => PartyEnd::Ended(end),
    }
}

const TAIL_LINES: usize = 15;

struct RunObserver<'a> {
    progress: &'a dyn Fn(RunEvent<'_>),
    parties: Vec<PartyState>,
    started: Instant,
    connected: usize,
    /// Who runs where (for a remote run: on which host).
    runs: &'a [RunParty],
    /// Remote runs: how to reach the hosts, to stop what runs there.
    ssh: Option<&'a Ssh>,
    start_timeout: Option<Duration>,
}

impl Observer for RunObserver<'_> {
    /// The start timeout: every party must have said it connected (or
    /// ended) by then.
    fn tick(&mut self) -> Verdict {
        let Some(limit) = self.start_timeout else {
            return Verdict::Continue;
        };
        if self.started.elapsed() < limit {
            return Verdict::Continue;
        }
        let waiting: Vec<String> = self
            .parties
            .iter()
            .enumerate()
            .filter(|(_, p)| p.connected_after.is_none() && !p.exited)
            .map(|(i, _)| i.to_string())
            .collect();
        if waiting.is_empty() {
            self.start_timeout = None;
            return Verdict::Continue;
        }
        Verdict::Stop(format!(
            "not every party connected within {}s (--start-timeout): {} never said {} connected (an address that does not answer, a firewall, or a TLS handshake that fails)",
            limit.as_secs(),
            match waiting.as_slice() {
                [one] => format!("party {one}"),
                many => format!("parties {}", many.join(", ")),
            },
            if waiting.len() == 1 {
                "it was"
            } else {
                "they were"
            },
        ))
    }

    fn event(&mut self, event: Event<'_>) -> Verdict {
        match event {
            Event::Started { .. } => Verdict::Continue,
            Event::Line { job, line } => {
                self.line(job, line);
                Verdict::Continue
            }
            Event::Exited { job, end, stopped } => {
                let end = self.party_end(job, end, stopped);
                let party = &mut self.parties[job];
                party.exited = true;
                let _ = party.log.flush();
                let after = self.started.elapsed();
                if end.success() {
                    (self.progress)(RunEvent::Done { party: job, after });
                    Verdict::Continue
                } else if stopped {
                    (self.progress)(RunEvent::Stopped {
                        party: job,
                        end: &end,
                    });
                    Verdict::Continue
                } else {
                    let why = match &end {
                        PartyEnd::Lost(lost) => format!("party {job} {lost}"),
                        PartyEnd::Ended(end) => format!("party {job} failed ({end})"),
                    };
                    (self.progress)(RunEvent::Failed {
                        party: job,
                        end: &end,
                        after,
                    });
                    Verdict::Stop(why)
                }
            }
        }
    }

    /// Remote processes do not die with their ssh client: stop them on
    /// their hosts first, through the master connections, all hosts at once.
    fn stopping(&mut self, reason: &StopReason) {
        (self.progress)(RunEvent::Stopping { reason });
        let Some(ssh) = self.ssh else {
            return;
        };
        // One kill command per host, naming every party still running there.
        let mut by_host: Vec<(&Host, Vec<u32>)> = Vec::new();
        for (party, run) in self.parties.iter().zip(self.runs) {
            let (false, Some(pid), Some(host)) = (party.exited, party.remote_pid, &run.host) else {
                continue;
            };
            match by_host.iter_mut().find(|(h, _)| h.same_endpoint(host)) {
                Some((_, pids)) => pids.push(pid),
                None => by_host.push((host, vec![pid])),
            }
        }
        let kills: Vec<(String, Cmd)> = by_host
            .into_iter()
            .map(|(host, pids)| {
                (
                    ssh.label(host),
                    ssh.remote(host, false, e3_ssh::kill_command(&pids)),
                )
            })
            .collect();
        let results: Vec<(String, e3_exec::Result<e3_exec::Captured>)> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = kills
                    .iter()
                    .map(|(target, cmd)| {
                        (target.clone(), scope.spawn(move || e3_exec::capture(cmd)))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|(target, handle)| {
                        let result = handle.join().unwrap_or_else(|_| {
                            Err(ExecError {
                                message: "the kill command's thread panicked".into(),
                            })
                        });
                        (target, result)
                    })
                    .collect()
            });
        for (target, result) in results {
            let why = match result {
                Ok(out) if out.end.success() => continue,
                Ok(out) => out.stderr.trim().to_string(),
                Err(err) => err.to_string(),
            };
            (self.progress)(RunEvent::CouldNotStop {
                host: &target,
                why: &why,
            });
        }
    }
}

impl RunObserver<'_> {
    /// How party `job` ended, as people read it; kept for the summary.
    fn party_end(&mut self, job: usize, end: End, stopped: bool) -> PartyEnd {
        let party = &mut self.parties[job];
        let how = match (self.ssh, &self.runs[job].host) {
            (Some(ssh), Some(host)) => {
                let master_said = std::fs::read_to_string(ssh.master_log(host)).unwrap_or_default();
                remote_end(end, stopped, &ssh.label(host), &party.tail, &master_said)
            }
            _ => PartyEnd::Ended(end),
        };
        party.end = Some(how.clone());
        how
    }

    fn line(&mut self, job: usize, line: &str) {
        let total = self.parties.len();
        let remote = self.ssh.is_some();
        let party = &mut self.parties[job];
        if remote
            && party.remote_pid.is_none()
            && let Some(first) = FirstLine::parse(line)
        {
            party.remote_pid = first.pid;
            party.ran_on = first.host;
            party.stamp = first.stamp;
            let _ = writeln!(
                party.log,
                "# e3: party {job} runs on {} as pid {}",
                party.ran_on.as_deref().unwrap_or("?"),
                party.remote_pid.map_or("?".to_string(), |p| p.to_string())
            );
            return;
        }
        let _ = writeln!(party.log, "{line}");
        if party.tail.len() == TAIL_LINES {
            party.tail.pop_front();
        }
        party.tail.push_back(line.to_string());
        (self.progress)(RunEvent::Line { party: job, line });
        if party.connected_after.is_none() && is_connected_line(line) {
            party.connected_after = Some(self.started.elapsed());
            self.connected += 1;
            (self.progress)(RunEvent::Connected {
                party: job,
                connected: self.connected,
                total,
            });
            if self.connected == total {
                (self.progress)(RunEvent::AllConnected {
                    total,
                    after: self.started.elapsed(),
                });
            }
        } else if let Some(stop) = parse_stop_line(line) {
            party.stop = Some(stop);
        }
    }
}

/// Starts every party, watches them, and writes the logs and the summary.
fn execute(
    spec: &RunSpec<'_>,
    parties: &[RunParty],
    jobs: &[Job],
    ssh: Option<&Ssh>,
    places: Option<crate::provenance::Places>,
    progress: &dyn Fn(RunEvent<'_>),
) -> Result<Outcome, RunError> {
    let root = spec.root;
    let started_at = jiff::Timestamp::now();
    let environment = spec.provenance.zip(places).map(|(provenance, places)| {
        crate::provenance::record(
            provenance,
            &places,
            &started_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
    });
    let (run_id, dir) = logs::new_run_dir(root, started_at, spec.program.name())?;
    let mut states = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        let log_path = dir.join(format!("party-{i}.log"));
        let file = File::create(&log_path)
            .map_err(|e| RunError::io(format!("cannot create {log_path}"), e))?;
        let mut log = BufWriter::new(file);
        writeln!(log, "$ {}", job.cmd)
            .map_err(|e| RunError::io(format!("cannot write {log_path}"), e))?;
        states.push(PartyState {
            log,
            log_path,
            connected_after: None,
            stop: None,
            tail: VecDeque::new(),
            exited: false,
            remote_pid: None,
            ran_on: None,
            stamp: None,
            end: None,
        });
    }
    logs::link_latest(root, &run_id)?;
    let table: Vec<Party> = parties.iter().map(|p| p.party.clone()).collect();
    progress(RunEvent::Starting {
        parties: &table,
        program: spec.program,
        log_dir: &relative_to(root, &dir),
        start: spec.start,
    });
    let mut observer = RunObserver {
        progress,
        parties: states,
        started: Instant::now(),
        connected: 0,
        runs: parties,
        ssh,
        // One party has no one to connect to.
        start_timeout: spec.start_timeout.filter(|_| parties.len() > 1),
    };
    let options = GroupOptions {
        timeout: Some(spec.timeout),
        grace: Duration::from_secs(3),
        max_parallel: None,
        // An MPyC party connects to every party numbered above it, and
        // waits 0.1 s before it tries again one that is not listening yet:
        // started from the last, each finds the ones it calls listening.
        last_first: true,
    };
    let report = e3_exec::run_together(Some(root), jobs, &options, &mut observer)?;
    for party in &mut observer.parties {
        let _ = party.log.flush();
    }

    let summary = Summary {
        run_id,
        started_at: started_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        mode: if ssh.is_some() { "ssh" } else { "local" },
        start: spec.start,
        tls: spec.tls,
        tls_keys_left_on: Vec::new(),
        warnings: Vec::new(),
        program: relative_to(root, &spec.program.dir.join(&spec.program.file)).to_string(),
        args: spec.args.to_vec(),
        parties: parties
            .iter()
            .zip(&report.jobs)
            .zip(&observer.parties)
            .map(|((p, end), state)| PartySummary {
                index: p.party.index,
                host: p.party.host.clone(),
                port: p.party.port,
                ssh: ssh.zip(p.host.as_ref()).map(|(ssh, host)| ssh.label(host)),
                ran_on: state.ran_on.clone(),
                status: Status::of(end.end, end.stopped),
                end: end
                    .end
                    .map(|raw| state.end.as_ref().map_or(raw, |e| e.recorded(raw))),
                lost: match &state.end {
                    Some(PartyEnd::Lost(why)) => Some(why.clone()),
                    _ => None,
                },
                wall: end.wall,
                connected_after: state.connected_after,
                stop: state.stop.clone(),
                log: relative_to(root, &state.log_path),
                region: spec.net.map(|net| net.regions[p.party.index].clone()),
            })
            .collect(),
        stopped: report.stopped.as_ref().map(ToString::to_string),
        wall: report.wall,
        net: spec.net.map(|net| NetSummary {
            profile: net.profile.name.clone(),
            source: net.profile.source.clone(),
            hash: net.profile.hash.clone(),
            placement: net.profile.placement.clone(),
        }),
        environment,
        // Said by `run_remote`, which knows how the hosts were connected.
        ssh_connections: None,
    };
    let stamps = observer.parties.iter().map(|p| p.stamp.clone()).collect();
    let outcome = Outcome {
        summary,
        tails: observer
            .parties
            .into_iter()
            .map(|p| p.tail.into_iter().collect())
            .collect(),
        stamps,
        dir,
    };
    outcome.write_summary()?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::Managed;
    use prun::Layout;

    /// `parties` local parties from `base_port`.
    fn local_parties(parties: usize, base_port: u16) -> Vec<Party> {
        let layout = Layout {
            parties,
            per_host: parties,
            base_port,
        };
        prun::party_table(&["127.0.0.1".to_string()], &layout).unwrap()
    }

    fn program() -> Program {
        Program {
            dir: "/e3/demos".into(),
            file: "secretsanta.py".into(),
        }
    }

    #[test]
    fn six_party_plan_with_a_fresh_environment() {
        let python = Python::Managed(Managed {
            base: "/usr/bin/python3".into(),
            venv: "/e3/.e3/venv".into(),
            stamp: "# stamp\nmpyc==0.11\n".into(),
            up_to_date: false,
        });
        let plan = plan_local(
            "/e3".into(),
            &program(),
            &["3".into()],
            &python,
            &local_parties(6, 11599),
            LocalOptions::default(),
        );
        insta::assert_snapshot!(plan.render());
    }

    #[test]
    fn warm_plan_writes_and_starts_the_warm_start_then_launches_each_party() {
        let warm = Warm {
            launcher: "/e3/target/debug/xtask".into(),
            socket: "/tmp/e3-warm-1-0.sock".into(),
        };
        let table = local_parties(2, 11599);
        let plan = plan_local(
            "/e3".into(),
            &program(),
            &["3".into()],
            &Python::Given("/usr/bin/python3".into()),
            &table,
            LocalOptions {
                warm: Some(&warm),
                ..LocalOptions::default()
            },
        );
        // The script itself is warm.py, word for word.
        let rendered = plan.render().replace(warm::SCRIPT, "<warm.py>\n");
        insta::assert_snapshot!(rendered, @r"
        cd /e3
        cat > .e3/warm.py <<'EOF'
        <warm.py>
        EOF
        E3_WARM_PRELOAD=1 /usr/bin/python3 -u .e3/warm.py /tmp/e3-warm-1-0.sock secretsanta.py 3 &  # the warm start: loads numpy, gmpy2, asyncio and MPyC (but its runtime) once, then forks every party
        # wait until it prints `e3-warm ready`
        # 2 parties of secretsanta.py, started together (forked warm)
        cd demos && PYTHONUNBUFFERED=1 /e3/target/debug/xtask warm-party --socket /tmp/e3-warm-1-0.sock -- secretsanta.py 3 -I 0 -P 127.0.0.1:11599 -P 127.0.0.1:11600 &  # party 0
        cd demos && PYTHONUNBUFFERED=1 /e3/target/debug/xtask warm-party --socket /tmp/e3-warm-1-0.sock -- secretsanta.py 3 -I 1 -P 127.0.0.1:11599 -P 127.0.0.1:11600 &  # party 1
        wait
        ");
    }

    /// Under a profile: the relays are described, and each party's `-P`
    /// list names itself and, for every other party, its region's relay.
    #[test]
    fn net_plan_gives_each_party_its_regions_relays() {
        let profile = e3_net::profile::parse(
            "source = \"test\"\nplacement = { ams3 = 2, sgp1 = 1 }\n[rtt_ms]\nintra = 2\n\"ams3-sgp1\" = 160\n",
            "two",
            "net/two.toml",
        )
        .unwrap();
        let table = local_parties(3, 11599);
        let net = NetRun::new(profile, &table, 11602);
        let plan = plan_local(
            "/e3".into(),
            &program(),
            &["3".into()],
            &Python::Given("/usr/bin/python3".into()),
            &table,
            LocalOptions {
                net: Some(&net),
                ..LocalOptions::default()
            },
        );
        insta::assert_snapshot!(plan.render(), @r"
        cd /e3
        # network profile `two` (test): parties in ams3=2,sgp1=1
        # e3 relays every link, in its own process: 127.0.0.1:11602-11607, one per (source region, target party); party i's entry j is the relay from i's region to j
        #   ams3 <-> ams3: round trip 2 ms, no cap, jitter 0 ms
        #   ams3 <-> sgp1: round trip 160 ms, no cap, jitter 0 ms
        #   sgp1 <-> sgp1: round trip 2 ms, no cap, jitter 0 ms
        # 3 parties of secretsanta.py, started together
        cd demos && PYTHONUNBUFFERED=1 /usr/bin/python3 secretsanta.py 3 -I 0 -P 127.0.0.1:11599 -P 127.0.0.1:11603 -P 127.0.0.1:11604 &  # party 0
        cd demos && PYTHONUNBUFFERED=1 /usr/bin/python3 secretsanta.py 3 -I 1 -P 127.0.0.1:11602 -P 127.0.0.1:11600 -P 127.0.0.1:11604 &  # party 1
        cd demos && PYTHONUNBUFFERED=1 /usr/bin/python3 secretsanta.py 3 -I 2 -P 127.0.0.1:11605 -P 127.0.0.1:11606 -P 127.0.0.1:11601 &  # party 2
        wait
        ");
    }

    /// A run on IPv6 hosts, two of them behind one address: ssh gets the
    /// address bare with `-p`, rsync in brackets, MPyC's `-P` bare, and
    /// the parties of one address take ports after one another's.
    #[test]
    fn remote_plan_on_ipv6_hosts() {
        let inventory =
            e3_inventory::Inventory::from_pssh("root@[::1]\nroot@[::1]:2222\n", "hosts.pssh")
                .unwrap();
        let settings = prun::Settings {
            layout: Layout {
                parties: 3,
                per_host: 2,
                base_port: 11599,
            },
            log_level: None,
            program: vec!["secretsanta.py".into()],
        };
        let commands = prun::plan_parties(&inventory, &settings).unwrap();
        let ssh = Ssh {
            ssh: "/usr/bin/ssh".into(),
            config: None,
            user: None,
            connect_timeout: 10,
            control_dir: "/tmp/e3-ssh-1".into(),
            known_hosts: None,
            keep_secs: 0,
        };
        // The first host's versions were asked before (with this Python):
        // its first party stamps what they were read from; the other's not.
        let known = crate::provenance::KnownVersions {
            hosts: vec![crate::provenance::Known {
                host: "root@[::1]".into(),
                python: "python3".into(),
                uname: "node-1".into(),
                read: vec!["/usr/bin/python3.11".into()],
                stamp: "PYTHONPATH= 1:2.000000000".into(),
                versions: serde_json::json!({"python": "3.11.7"}),
                asked_at: "2026-11-30T12:00:00.000Z".into(),
            }],
        };
        let plan = RemotePlan::new(
            &ssh,
            Some(Utf8Path::new("/usr/bin/rsync")),
            &program(),
            &commands,
            &RemoteSettings {
                remote_dir: "e3",
                remote_python: "python3",
                parallel: 16,
                warm: None,
                tls: None,
                known: Some(&known),
            },
        );
        assert_eq!(plan.hosts.len(), 2);
        assert_eq!(plan.first_parties, [0, 2]);
        let opts = "-o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=accept-new -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -o ControlPath=/tmp/e3-ssh-1/%C";
        let ask = e3_plan::quote(&crate::provenance::remote_versions_script("python3"));
        let rendered = plan.to_plan("/e3".into()).render();
        insta::assert_snapshot!(rendered.replace(opts, "$OPTS").replace(&ask, "$ASK_VERSIONS"), @r#"
        cd /e3
        mkdir -p -m 700 /tmp/e3-ssh-1
        # connect to 2 hosts (16 at a time)
        /usr/bin/ssh $OPTS -o ControlMaster=yes -o ControlPersist=30 -N -f -o LogLevel=VERBOSE -E /tmp/e3-ssh-1/root___1.log root@::1 &  # root@[::1]
        /usr/bin/ssh $OPTS -p 2222 -o ControlMaster=yes -o ControlPersist=30 -N -f -o LogLevel=VERBOSE -E /tmp/e3-ssh-1/root___1-2222.log root@::1 &  # root@[::1]:2222
        wait
        # sync /e3/demos/ to 2 hosts (16 at a time)
        /usr/bin/rsync -az --mkpath --exclude=__pycache__ --exclude=.git --exclude=logs -e '/usr/bin/ssh $OPTS -o ControlMaster=no' /e3/demos/ 'root@[::1]:e3/' &  # root@[::1]
        /usr/bin/rsync -az --mkpath --exclude=__pycache__ --exclude=.git --exclude=logs -e '/usr/bin/ssh $OPTS -p 2222 -o ControlMaster=no' /e3/demos/ 'root@[::1]:e3/' &  # root@[::1]:2222
        wait
        # 3 parties, started together
        /usr/bin/ssh $OPTS -o ControlMaster=no -tt root@::1 'echo "e3-party $$ $(uname -n) e3-stamp PYTHONPATH=$PYTHONPATH$(for p in /usr/bin/python3.11; do s=$(stat -L -c %i:%.9Z -- "$p" 2>/dev/null) || s=-; printf '\'' %s'\'' "$s"; done)"; cd e3 && exec env PYTHONUNBUFFERED=1 python3 secretsanta.py -I 0 -P ::1:11599 -P ::1:11600 -P ::1:11601' &  # party 0
        /usr/bin/ssh $OPTS -o ControlMaster=no -tt root@::1 'echo "e3-party $$ $(uname -n)"; cd e3 && exec env PYTHONUNBUFFERED=1 python3 secretsanta.py -I 1 -P ::1:11599 -P ::1:11600 -P ::1:11601' &  # party 1
        /usr/bin/ssh $OPTS -p 2222 -o ControlMaster=no -tt root@::1 'echo "e3-party $$ $(uname -n)"; cd e3 && exec env PYTHONUNBUFFERED=1 python3 secretsanta.py -I 2 -P ::1:11599 -P ::1:11600 -P ::1:11601' &  # party 2
        wait
        # the Python and package versions of each host not known here or whose first party's stamp changed (1 of 2 known here)
        /usr/bin/ssh $OPTS -o ControlMaster=no root@::1 $ASK_VERSIONS &  # root@[::1]
        /usr/bin/ssh $OPTS -p 2222 -o ControlMaster=no root@::1 $ASK_VERSIONS &  # root@[::1]:2222
        wait
        # close the connections to 2 hosts
        /usr/bin/ssh $OPTS -O exit root@::1 &  # root@[::1]
        /usr/bin/ssh $OPTS -p 2222 -O exit root@::1 &  # root@[::1]:2222
        wait
        rm -rf /tmp/e3-ssh-1
        "#);
    }

    #[test]
    fn given_interpreter_and_program_outside_the_workspace() {
        let program = Program {
            dir: "/home/me/mpyc/demos".into(),
            file: "np_lpsolver.py".into(),
        };
        let table = local_parties(2, 20000);
        let args = ["--log-level".to_string(), "debug".into(), "it's".into()];
        let plan = plan_local(
            "/e3".into(),
            &program,
            &args,
            &Python::Given("/opt/py 3/bin/python".into()),
            &table,
            LocalOptions::default(),
        );
        insta::assert_snapshot!(plan.render(), @r"
        cd /e3
        # 2 parties of np_lpsolver.py, started together
        cd /home/me/mpyc/demos && PYTHONUNBUFFERED=1 '/opt/py 3/bin/python' np_lpsolver.py --log-level debug 'it'\''s' -I 0 -P 127.0.0.1:20000 -P 127.0.0.1:20001 &  # party 0
        cd /home/me/mpyc/demos && PYTHONUNBUFFERED=1 '/opt/py 3/bin/python' np_lpsolver.py --log-level debug 'it'\''s' -I 1 -P 127.0.0.1:20000 -P 127.0.0.1:20001 &  # party 1
        wait
        ");
    }
}
