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
        .map_err(|e| {
            usage(e.message).hint(format!(
                "remove it (`rm -r {}`) if it is yours, or pass --keep-connections 0 \
                 (every run then opens and closes its own connections)",
                e3_ssh::kept::root()
            ))
        })?
    } else {
        Utf8PathBuf::from(format!("/tmp/e3-ssh-{}", std::process::id()))
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
/// runs keep open ([`e3_ssh::kept`]), and says how many.
pub fn disconnect(dry_run: bool) -> Result<()> {
    let root = e3_ssh::kept::root();
    if dry_run {
        crate::out::outln!(
            "# close the ssh connections that runs keep open ({root}/*/): `ssh -O exit` on each socket"
        );
        return Ok(());
    }
    let said = crate::provision::close_kept_connections("hosts", |_| true);
    crate::out::outln!(
        "{}",
        said.unwrap_or_else(|| "e3: no ssh connection was kept open".into())
    );
    Ok(())
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
