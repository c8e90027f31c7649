//! Reaching hosts over SSH: the ssh and rsync commands e3 runs, as values.
//!
//! e3 uses the system's OpenSSH and rsync, so users' ssh config, agent, keys
//! and Tailscale SSH keep working. One master connection per host
//! (`ControlMaster`) carries every command for that host: sshd refuses bursts
//! of new connections (MaxStartups), and several parties per host must still
//! start together.

use camino::{Utf8Path, Utf8PathBuf};
use e3_inventory::{Host, Inventory};
use e3_plan::{Cmd, Job, Step, quote};

use crate::cli::RemoteArgs;
use crate::error::{Result, usage};
use crate::paths::current_dir;
use crate::tools;

/// How every ssh of a run is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ssh {
    pub ssh: Utf8PathBuf,
    pub config: Option<Utf8PathBuf>,
    pub user: Option<String>,
    pub connect_timeout: u64,
    /// Folder of the master connections' sockets (short: sockets have a
    /// path limit of about 100 bytes).
    pub control_dir: Utf8PathBuf,
}

/// Checks the flags shared by `run --hosts` and `sync`, and reads the hosts.
pub fn resolve(args: &RemoteArgs, hosts_file: &str) -> Result<(Ssh, Inventory)> {
    let cwd = current_dir()?;
    let config = match &args.ssh_config {
        Some(path) => {
            let full = cwd.join(path);
            if !full.is_file() {
                return Err(usage(format!("--ssh-config file `{path}` does not exist")));
            }
            Some(full)
        }
        None => None,
    };
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
    let text = std::fs::read_to_string(cwd.join(hosts_file))
        .map_err(|e| usage(format!("cannot read hosts file `{hosts_file}`: {e}")))?;
    let inventory = Inventory::from_pssh(&text, hosts_file).map_err(|e| usage(e.to_string()))?;
    if inventory.hosts.is_empty() {
        return Err(usage(format!("hosts file `{hosts_file}` lists no hosts")));
    }
    let ssh = tools::require(
        "ssh",
        "install OpenSSH's client (Debian/Ubuntu: `apt-get install openssh-client`)",
    )?;
    let control_dir = Utf8PathBuf::from(format!("/tmp/e3-ssh-{}", std::process::id()));
    Ok((
        Ssh {
            ssh,
            config,
            user: args.ssh_user.clone(),
            connect_timeout: args.connect_timeout(),
            control_dir,
        },
        inventory,
    ))
}

impl Ssh {
    /// `[user@]host` for ssh and rsync.
    pub fn target(&self, host: &Host) -> String {
        match &self.user {
            Some(user) => Host {
                user: Some(user.clone()),
                ..host.clone()
            }
            .ssh_target(),
            None => host.ssh_target(),
        }
    }

    /// The options every ssh of a run shares (without the program name).
    pub fn options(&self, host: &Host) -> Vec<String> {
        let mut opts = Vec::new();
        if let Some(config) = &self.config {
            opts.extend(["-F".to_string(), config.to_string()]);
        }
        for option in [
            "BatchMode=yes".to_string(),
            format!("ConnectTimeout={}", self.connect_timeout),
            "StrictHostKeyChecking=accept-new".to_string(),
            "ServerAliveInterval=5".to_string(),
            "ServerAliveCountMax=3".to_string(),
            format!("ControlPath={}/%C", self.control_dir),
        ] {
            opts.extend(["-o".to_string(), option]);
        }
        if let Some(port) = host.port {
            opts.extend(["-p".to_string(), port.to_string()]);
        }
        opts
    }

    fn base(&self, host: &Host) -> Cmd {
        Cmd::new(&self.ssh).args(self.options(host))
    }

    /// Opens the host's master connection and leaves it in the background;
    /// it closes itself 30 s after its last command if e3 cannot close it.
    /// (Not `-M` as well: `-M` on top of `ControlMaster=yes` means "ask".)
    pub fn open_master(&self, host: &Host) -> Cmd {
        self.base(host)
            .args([
                "-o",
                "ControlMaster=yes",
                "-o",
                "ControlPersist=30",
                "-N",
                "-f",
            ])
            .arg(self.target(host))
    }

    pub fn close_master(&self, host: &Host) -> Cmd {
        self.base(host).args(["-O", "exit"]).arg(self.target(host))
    }

    /// A command on the host, through its master connection. `tty` gives the
    /// remote command a terminal, so it is hung up when this ssh goes away.
    pub fn remote(&self, host: &Host, tty: bool, command: String) -> Cmd {
        let cmd = self.base(host).args(["-o", "ControlMaster=no"]);
        let cmd = if tty { cmd.arg("-tt") } else { cmd };
        cmd.arg(self.target(host)).arg(command)
    }

    /// Copies `local_dir`'s contents to `remote_dir` on the host.
    pub fn rsync(
        &self,
        rsync: &Utf8Path,
        host: &Host,
        local_dir: &Utf8Path,
        remote_dir: &str,
    ) -> Cmd {
        let mut shell: Vec<String> = vec![quote(self.ssh.as_str())];
        shell.extend(self.options(host).iter().map(|o| quote(o)));
        shell.extend(["-o".to_string(), "ControlMaster=no".to_string()]);
        Cmd::new(rsync)
            .args([
                "-az",
                "--mkpath",
                "--exclude=__pycache__",
                "--exclude=.git",
                "--exclude=logs",
                "-e",
            ])
            .arg(shell.join(" "))
            .arg(format!("{}/", local_dir.as_str().trim_end_matches('/')))
            .arg(format!(
                "{}:{}/",
                self.target(host),
                remote_dir.trim_end_matches('/')
            ))
    }
}

/// The first line every remote party prints, so e3 knows its process (to
/// stop it) and where it ran: `e3-party <pid> <hostname>`.
pub const PARTY_MARKER: &str = "e3-party ";

/// What a party runs on its host (one string: ssh hands it to the login
/// shell). It reports its pid, then becomes the program (same pid, which is
/// also its process group: sshd starts every session in its own).
pub fn party_command(remote_dir: &str, remote_python: &str, argv: &[String]) -> String {
    let words: Vec<String> = argv.iter().map(|a| quote(a)).collect();
    format!(
        "echo \"{PARTY_MARKER}$$ $(uname -n)\"; cd {} && exec env PYTHONUNBUFFERED=1 {remote_python} {}",
        quote(remote_dir),
        words.join(" ")
    )
}

/// Stops process groups on a host: TERM, a moment, then KILL.
pub fn kill_command(pgids: &[u32]) -> String {
    let groups: Vec<String> = pgids.iter().map(|p| format!("-{p}")).collect();
    let groups = groups.join(" ");
    format!("kill -TERM -- {groups} 2>/dev/null; sleep 1; kill -KILL -- {groups} 2>/dev/null; true")
}

/// Distinct hosts in inventory order, with their jobs' labels.
pub fn connect_step(ssh: &Ssh, hosts: &[Host], parallel: usize) -> Step {
    Step::Together {
        what: format!("connect to {} hosts ({parallel} at a time)", hosts.len()),
        jobs: hosts
            .iter()
            .map(|h| Job {
                label: ssh.target(h),
                cmd: ssh.open_master(h),
            })
            .collect(),
    }
}

pub fn sync_step(
    ssh: &Ssh,
    rsync: &Utf8Path,
    hosts: &[Host],
    local_dir: &Utf8Path,
    remote_dir: &str,
    parallel: usize,
) -> Step {
    Step::Together {
        what: format!(
            "sync {local_dir}/ to {} hosts ({parallel} at a time)",
            hosts.len()
        ),
        jobs: hosts
            .iter()
            .map(|h| Job {
                label: ssh.target(h),
                cmd: ssh.rsync(rsync, h, local_dir, remote_dir),
            })
            .collect(),
    }
}

pub fn close_step(ssh: &Ssh, hosts: &[Host]) -> Step {
    Step::Together {
        what: format!("close the connections to {} hosts", hosts.len()),
        jobs: hosts
            .iter()
            .map(|h| Job {
                label: ssh.target(h),
                cmd: ssh.close_master(h),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssh() -> Ssh {
        Ssh {
            ssh: "/usr/bin/ssh".into(),
            config: Some("/home/me/testnet/ssh_config".into()),
            user: None,
            connect_timeout: 10,
            control_dir: "/tmp/e3-ssh-1234".into(),
        }
    }

    #[test]
    fn commands_for_one_host() {
        let host = Host {
            user: Some("root".into()),
            port: Some(2222),
            ..Host::new("node-1.tail.ts.net")
        };
        let ssh = ssh();
        let argv: Vec<String> = [
            "secretsanta.py",
            "3",
            "-I",
            "0",
            "-P",
            "node-1.tail.ts.net:11599",
        ]
        .map(String::from)
        .to_vec();
        let lines = [
            ssh.open_master(&host).render(),
            ssh.remote(&host, true, party_command("e3", "python3", &argv))
                .render(),
            ssh.rsync("/usr/bin/rsync".into(), &host, "/e3/demos".into(), "e3")
                .render(),
            ssh.remote(&host, false, kill_command(&[41, 42])).render(),
            ssh.close_master(&host).render(),
        ];
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn ssh_user_overrides_the_file() {
        let host = Host {
            user: Some("root".into()),
            ..Host::new("a")
        };
        let ssh = Ssh {
            user: Some("me".into()),
            ..ssh()
        };
        assert_eq!(ssh.target(&host), "me@a");
        assert_eq!(Ssh { user: None, ..ssh }.target(&Host::new("a")), "a");
    }
}
