//! The flags that say how to reach hosts (shared by `run --hosts` and
//! `sync`), checked and turned into an [`e3_ssh::Ssh`], with the hosts file.

use camino::Utf8Path;
use camino::Utf8PathBuf;
use e3_inventory::Inventory;
use e3_ssh::Ssh;

use crate::cli::RemoteArgs;
use crate::error::{Error, Result, usage};
use crate::paths::{current_dir, given};
use crate::tools;

/// Checks the flags shared by `run --hosts` and `sync`, and reads the hosts.
pub fn resolve(args: &RemoteArgs, hosts_file: &str) -> Result<(Ssh, Inventory)> {
    let cwd = current_dir()?;
    let config = given(&cwd, args.ssh_config.as_deref(), "--ssh-config", false)?;
    if args.connect_timeout() == 0 {
        return Err(usage("--connect-timeout must be at least 1 second"));
    }
    if args.parallel() == 0 {
        return Err(usage("--parallel must be at least 1"));
    }
    if let Some(user) = &args.ssh_user
        && (user.is_empty()
            || !user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)))
    {
        return Err(usage(format!("--ssh-user `{user}` is not a user name")));
    }
    let inventory = read_inventory_file(&cwd.join(hosts_file), hosts_file)?;
    if inventory.hosts.is_empty() {
        return Err(usage(format!("hosts file `{hosts_file}` lists no hosts")));
    }
    let ssh = tools::require(
        "ssh",
        "install OpenSSH's client (Debian/Ubuntu: `apt-get install openssh-client`)",
    )?;
    let known_hosts = match &args.known_hosts {
        Some(file) => Some(cwd.join(file)),
        None => deployment_known_hosts(&cwd.join(hosts_file)),
    };
    let keep_secs = args.keep_connections();
    let control_dir = if keep_secs > 0 {
        e3_ssh::kept::dir_for(
            &ssh,
            config.as_deref(),
            args.ssh_user.as_deref(),
            known_hosts.as_deref(),
        )
        .map_err(kept_error)?
    } else {
        // Not `/tmp/e3-ssh-<pid>`: that could be another user's kept root
        // (`/tmp/e3-ssh-<uid>`), which this run's end would remove.
        Utf8PathBuf::from(format!("/tmp/e3-ssh-run-{}", std::process::id()))
    };
    Ok((
        Ssh {
            ssh,
            config,
            user: args.ssh_user.clone(),
            connect_timeout: args.connect_timeout(),
            control_dir,
            known_hosts,
            keep_secs,
        },
        inventory,
    ))
}

/// `cargo xtask disconnect`: closes every ssh connection that this user's
/// runs keep open ([`e3_ssh::kept`]) and no run is using, and says how
/// many (and which folders it left to the runs using them).
pub fn disconnect(dry_run: bool, args: &crate::cli::DisconnectArgs) -> Result<()> {
    let ssh = tools::require(
        "ssh",
        "install OpenSSH's client (Debian/Ubuntu: `apt-get install openssh-client`)",
    );
    let config = given(
        &current_dir()?,
        args.ssh_config.as_deref(),
        "--ssh-config",
        false,
    )?;
    let picked = |kept: &e3_ssh::kept::KeptFor| match (&config, &kept.config) {
        (None, _) => true,
        (Some(wanted), Some(was)) => e3_ssh::kept::same_file(wanted, was),
        (Some(_), None) => false,
    };
    let folders: Vec<_> = e3_ssh::kept::folders()
        .map_err(kept_error)?
        .into_iter()
        .filter(|f| picked(&f.kept_for))
        .collect();
    if dry_run {
        let ssh = ssh.unwrap_or_else(|_| "ssh".into());
        crate::out::outln!(
            "# close the ssh connections that runs keep open in {}/*/ (`ssh -O exit` on each; a folder a run is using is left open)",
            e3_ssh::kept::root()
        );
        for folder in &folders {
            crate::out::outln!(
                "# {}: {} (for {})",
                folder.dir,
                e3_plan::count(folder.sockets.len(), "connection", "connections"),
                kept_for_words(&folder.kept_for)
            );
            for socket in &folder.sockets {
                for cmd in e3_ssh::kept::close_commands(&ssh, socket) {
                    crate::out::outln!("{cmd}");
                }
            }
        }
        return Ok(());
    }
    if folders.is_empty() {
        crate::out::outln!("e3: no ssh connection was kept open");
        return Ok(());
    }
    let done = e3_ssh::kept::close(&ssh?, picked, false).map_err(kept_error)?;
    if done.closed > 0 || done.in_use.is_empty() {
        crate::out::outln!(
            "e3: closed {} kept open",
            e3_plan::count(done.closed, "ssh connection", "ssh connections")
        );
    }
    for folder in &done.in_use {
        crate::out::outln!(
            "e3: left {} open: a run is using them (for {}); run `cargo xtask disconnect` again after it",
            e3_plan::count(folder.sockets.len(), "connection", "connections"),
            kept_for_words(&folder.kept_for)
        );
    }
    Ok(())
}

/// What a kept folder's connections are for, for people.
fn kept_for_words(kept: &e3_ssh::kept::KeptFor) -> String {
    let mut words = Vec::new();
    if let Some(config) = &kept.config {
        words.push(format!("--ssh-config {config}"));
    }
    if let Some(known) = &kept.known_hosts {
        words.push(format!("known_hosts {known}"));
    }
    if words.is_empty() {
        "your own ssh config".into()
    } else {
        words.join(", ")
    }
}

/// The kept connections' folder is not this user's alone.
fn kept_error(e: e3_ssh::kept::KeptError) -> Error {
    usage(e.message).hint(format!(
        "if it is yours, `chmod 700 {}` (removing it would leave the connections in it \
         running); otherwise pass --keep-connections 0 (each run then opens and closes its own)",
        e3_ssh::kept::root()
    ))
}

/// The deployment's own known_hosts, when `hosts_file` is the hosts.pssh a
/// deploy from this checkout wrote: its droplets' host keys are checked
/// there, and forgotten when a deploy replaces or destroys them.
fn deployment_known_hosts(hosts_file: &Utf8Path) -> Option<Utf8PathBuf> {
    let root = crate::workspace_root();
    let deployed = root.join(e3_inventory::files::HOSTS_PSSH);
    let same = match (hosts_file.canonicalize_utf8(), deployed.canonicalize_utf8()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let dir = root.join(e3_deploy::DEPLOY_DIR);
    (same && dir.is_dir()).then(|| crate::provision::known_hosts(&root))
}

/// Reads a hosts file (`hosts.pssh` format); `shown` is how errors name it.
pub fn read_inventory_file(path: &Utf8Path, shown: &str) -> Result<Inventory> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let error = usage(format!("cannot read hosts file `{shown}`: {e}"));
        match e.kind() {
            std::io::ErrorKind::NotFound => error.hint(
                "`cargo xtask deploy` writes hosts.pssh for its droplets, and `cargo xtask \
                 testnet up` writes .e3/testnet/<name>/hosts.pssh for a testbed on this \
                 machine; or write one `[user@]host[:port]` a line yourself",
            ),
            _ => error,
        }
    })?;
    Inventory::from_pssh(&text, shown).map_err(inventory_error)
}

/// A mistake in a hosts file: its file and line, and the hint.
pub fn inventory_error(err: e3_inventory::InventoryError) -> Error {
    let hint = err.hint.clone();
    let error = usage(err.to_string());
    match hint {
        Some(hint) => error.hint(hint),
        None => error,
    }
}
