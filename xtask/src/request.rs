//! What `run` and `experiment` share: the program, the interpreter, the
//! network profile and the hosts, read from what the user gave (flags, or
//! an experiment file's keys) into the parts of an [`e3_run::RunRequest`],
//! and the engine's refusals worded for people. No task calls another
//! task's functions: both call these.

use camino::{Utf8Path, Utf8PathBuf};
use e3_net::profile::LoadError;
use e3_run::python::{self, Python, PythonError};
use e3_run::request::{Hosts, RequestError};
use e3_run::{Placement, Program, ProgramError, Provenance, Start};

use crate::cli::{OnHostsArgs, RemoteArgs};
use crate::error::{Error, Result, failure, usage};
use crate::paths::{current_dir, given};
use crate::{remote, tools};

/// PROGRAM (and `--demos DIR`) as a program to run.
pub fn program(
    root: &Utf8Path,
    cwd: &Utf8Path,
    spec: &str,
    demos: Option<&str>,
) -> Result<Program> {
    let demos = given(cwd, demos, "--demos", true)?;
    e3_run::resolve_program(root, cwd, spec, demos.as_deref()).map_err(|err| match &err {
        ProgramError::Unknown { dir, available, .. } => {
            let hint = if available.is_empty() {
                format!(
                    "{dir}/ has no .py programs; give a path to a .py file or another --demos DIR"
                )
            } else {
                format!("available in {dir}/: {}", available.join(", "))
            };
            usage(err.to_string()).hint(hint)
        }
        ProgramError::NoSuchFile { .. } | ProgramError::NotAFile { .. } => usage(err.to_string()),
        ProgramError::Io { .. } => failure(err.to_string()),
    })
}

/// The interpreter for local parties: `--python PATH`, or e3's own
/// environment made with `python3` from PATH.
pub fn python(root: &Utf8Path, given: Option<&str>) -> Result<Python> {
    let found = find_python(root, given);
    match found {
        // --dry-run on a machine without a usable python3: the plan still
        // shows the environment e3 would make, with the base named by name.
        Err(err) if given.is_none() && tools::dry_run() => {
            tools::lacking(Err(err))?;
            Ok(Python::Managed(python::Managed {
                base: "python3".into(),
                venv: root.join(python::VENV_DIR),
                stamp: String::new(),
                up_to_date: false,
            }))
        }
        found => found,
    }
}

fn find_python(root: &Utf8Path, given: Option<&str>) -> Result<Python> {
    let python = match given {
        Some(given) => {
            let path = tools::find(given).map_err(|_| {
                usage(format!("python interpreter `{given}` (from --python) was not found"))
                    .hint("give a path to an interpreter or a name on PATH, or drop --python to use e3's own environment")
            })?;
            python::given(path)
        }
        None => {
            let base = tools::find("python3").map_err(|_| {
                usage("`python3` was not found on PATH; e3 needs Python 3.10 or newer to run MPyC")
                    .hint("install it (Debian/Ubuntu: `apt-get install python3 python3-venv`), or pass --python PATH")
            })?;
            python::managed(root, base)
        }
    };
    python.map_err(|err| match &err {
        PythonError::NoMpyc { python } => {
            usage(format!("`{python}` (from --python) cannot import mpyc")).hint(format!(
                "install it with `{python} -m pip install mpyc`, or drop --python to use e3's own environment"
            ))
        }
        PythonError::TooOld { .. } => usage(err.to_string())
            .hint("put a newer python3 first on PATH, or pass --python PATH"),
        PythonError::NoVenv { .. } => usage(err.to_string()).hint(
            "install its venv module (Debian/Ubuntu: `apt-get install python3-venv`), or pass --python PATH",
        ),
        PythonError::Requirements(_) => usage(err.to_string()),
        PythonError::Probe { .. } => failure(err.to_string()),
    })
}

/// The network profile `given` (a name is `net/NAME.toml`, a path is
/// relative to the current folder), with `placement` over its own;
/// `flag` names where they came from in messages.
pub fn profile(
    root: &Utf8Path,
    given: &str,
    placement: Option<&str>,
    flag: &str,
) -> Result<e3_net::Profile> {
    let profile =
        e3_net::profile::load(root, &current_dir()?, given).map_err(|err| match &err {
            LoadError::Unreadable { known, .. } => {
                usage(format!("{flag} `{given}`: {err}")).hint(format!(
                    "profiles in net/: {}; or give a path to a .toml file",
                    known.join(", ")
                ))
            }
            LoadError::Invalid(_) => {
                usage(err.to_string()).hint("docs/net-profiles.md says what a profile holds")
            }
        })?;
    match placement {
        Some(placement) => profile
            .with_placement(placement)
            .map_err(|e| usage(e.to_string())),
        None => Ok(profile),
    }
}

/// This binary: it is the warm parties' launcher and runs relay shards.
pub fn launcher() -> Result<Utf8PathBuf> {
    let exe = std::env::current_exe()
        .map_err(|e| failure(format!("cannot find the xtask binary: {e}")))?;
    Utf8PathBuf::from_path_buf(exe).map_err(|_| failure("the xtask binary's path is not UTF-8"))
}

/// How to reach hosts, as `run --hosts`'s flags or an experiment's
/// `[hosts]` table (with the command line over it) say.
#[derive(Clone, Debug, Default)]
pub struct HostsAsked {
    pub file: String,
    pub remote: RemoteArgs,
    pub per_host: Option<usize>,
    pub remote_python: Option<String>,
    pub no_sync: bool,
}

impl HostsAsked {
    pub fn per_host(&self) -> usize {
        self.per_host.unwrap_or(1)
    }

    /// Warm or cold on these hosts, for a run that asks `asked`.
    pub fn start(&self, asked: Option<Start>) -> Start {
        Start::choose(asked, Placement::PerHost(self.per_host()))
    }
}

impl From<OnHostsArgs> for HostsAsked {
    fn from(flags: OnHostsArgs) -> HostsAsked {
        HostsAsked {
            file: flags.hosts.unwrap_or_default(),
            remote: flags.remote,
            per_host: flags.parties_per_host,
            remote_python: flags.remote_python,
            no_sync: flags.no_sync,
        }
    }
}

/// The hosts of `asked`, read and checked, with ssh found; rsync is
/// required when the program's folder is synced or a run starts warm
/// (`warm`), and taken when it is there otherwise.
pub fn hosts(asked: &HostsAsked, warm: bool) -> Result<Hosts> {
    if asked.per_host() == 0 {
        return Err(usage("--parties-per-host must be at least 1"));
    }
    let (ssh, inventory) = remote::resolve(&asked.remote, &asked.file)?;
    let rsync = match (asked.no_sync, warm) {
        (true, false) => tools::find("rsync").ok(),
        (true, true) => Some(tools::require(
            "rsync",
            "install rsync (Debian/Ubuntu: `apt-get install rsync`): a warm run copies its warm start to the hosts; or pass --cold",
        )?),
        (false, _) => Some(tools::require(
            "rsync",
            "install rsync (Debian/Ubuntu: `apt-get install rsync`), or pass --no-sync",
        )?),
    };
    Ok(Hosts {
        file: asked.file.clone(),
        inventory,
        ssh,
        per_host: asked.per_host(),
        remote_python: asked
            .remote_python
            .clone()
            .unwrap_or_else(|| "python3".into()),
        remote_dir: asked.remote.remote_dir().to_string(),
        parallel: asked.remote.parallel(),
        sync: !asked.no_sync,
        rsync,
    })
}

/// A refusal of the engine, for people: what to change, named as `run`'s
/// flags name it (an experiment words its own before asking the engine).
pub fn word(err: RequestError) -> Error {
    match err {
        RequestError::Parties { parties, error } => usage(format!("--parties {parties}: {error}")),
        RequestError::ProgramArgs(err) => usage(err.message).hint(err.hint),
        RequestError::Placement(err) => usage(err.to_string()),
        RequestError::Ports(e3_run::ports::PortsError::NoRoom { base, count }) => usage(format!(
            "--base-port {base} leaves no room for {count} ports below 65536"
        ))
        .hint("choose a lower --base-port"),
        RequestError::Ports(e3_run::ports::PortsError::Lock(err)) => Error::from(err),
        RequestError::Ports(err) => failure(err.to_string()).hint("try another --base-port"),
        RequestError::Layout { .. } => usage(err.to_string()),
        RequestError::TooManyFiles { .. } => usage(err.to_string())
            .hint("put the program in a folder of its own (or use --demos DIR), or pass --no-sync"),
        RequestError::NoRsync { .. } => {
            usage(err.to_string()).hint("install rsync (Debian/Ubuntu: `apt-get install rsync`)")
        }
        RequestError::TlsUnfit(_) | RequestError::Tls(_) => failure(err.to_string()),
    }
}

/// e3's commit and this command line, for the record of a run.
pub fn provenance(root: &Utf8Path) -> Provenance {
    let git = tools::find("git").ok();
    let mut command: Vec<String> = std::env::args().skip(1).collect();
    command.insert(0, "cargo xtask".into());
    Provenance::of_workspace(root, git.as_deref(), command)
}
