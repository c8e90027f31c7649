//! `cargo xtask testnet up N` / `down`: a local testbed of real hosts
//! (crate `e3-testnet`): this task reads the flags, finds the tools, checks
//! for root and says what was made (or that there is no such testbed, and
//! which there are).

use camino::{Utf8Path, Utf8PathBuf};
use e3_testnet::{Testnet, TestnetError, Tools};

use crate::cli::{TestnetAction, TestnetArgs};
use crate::error::{Error, Result, failure, usage};
use crate::paths::{current_dir, relative_to};
use crate::tools;

pub fn run(root: &Utf8Path, dry_run: bool, args: &TestnetArgs) -> Result<()> {
    match &args.action {
        TestnetAction::Up {
            hosts,
            name,
            subnet,
            dir,
        } => {
            let testnet = Testnet {
                name: e3_testnet::check_name(name).map_err(word)?,
                subnet: e3_testnet::parse_subnet(subnet).map_err(word)?,
                hosts: *hosts,
                dir: testnet_dir(root, name, dir.as_deref())?,
            };
            if !(1..=250).contains(hosts) {
                return Err(usage(format!("a testbed has 1 to 250 hosts, not {hosts}")));
            }
            up(root, dry_run, &testnet)
        }
        TestnetAction::Down { name, dir } => {
            let name = e3_testnet::check_name(name).map_err(word)?;
            down(
                root,
                dry_run,
                &name,
                &testnet_dir(root, &name, dir.as_deref())?,
            )
        }
    }
}

/// The library's error in the CLI's words: flags, hints, exit codes.
fn word(err: TestnetError) -> Error {
    match &err {
        TestnetError::BadName { .. } => usage(err.to_string()),
        TestnetError::BadSubnet { text } => usage(format!(
            "--subnet `{text}`: give the first three octets of a private /24, like 10.213.7"
        )),
        TestnetError::SubnetInUse {
            testbed: Some(testbed),
            ..
        } => usage(err.to_string()).hint(format!(
            "choose another --subnet, or take testbed `{testbed}` down: `cargo xtask testnet down --name {testbed}`"
        )),
        TestnetError::SubnetInUse {
            iface,
            testbed: None,
            ..
        } => usage(err.to_string()).hint(format!(
            "choose another --subnet ({iface} is not an e3 testbed's bridge)"
        )),
        TestnetError::NoTestbed { existing, .. } => {
            let hint = match existing.as_slice() {
                [] => "there are no testbeds on this machine".to_string(),
                found => format!(
                    "testbeds on this machine: {}; give one to --name",
                    found
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            usage(err.to_string()).hint(hint)
        }
        TestnetError::AlreadyUp { name } => usage(err.to_string()).hint(format!(
            "`cargo xtask testnet down --name {name}` first, or choose another --name"
        )),
        TestnetError::Making { sshd_said, .. }
        | TestnetError::SshdDidNotStart { sshd_said, .. } => {
            let error = failure(err.to_string());
            match sshd_said {
                Some(log) => error.hint(format!("sshd said: {log}")),
                None => error,
            }
        }
        TestnetError::LeftBehind { .. } | TestnetError::NoneFree { .. } | TestnetError::Exec(_) => {
            failure(err.to_string())
        }
    }
}

fn testnet_dir(root: &Utf8Path, name: &str, dir: Option<&str>) -> Result<Utf8PathBuf> {
    Ok(match dir {
        Some(dir) => current_dir()?.join(dir),
        None => root.join(".e3/testnet").join(name),
    })
}

fn require_root(what: &str) -> Result<()> {
    if e3_testnet::is_root() {
        Ok(())
    } else {
        Err(usage(format!(
            "`testnet {what}` needs root: it creates network namespaces"
        ))
        .hint("run it with sudo"))
    }
}

fn find_tools() -> Result<Tools> {
    Ok(Tools {
        ip: find_ip()?,
        sshd: tools::find("sshd")
            .or_else(|_| tools::find("/usr/sbin/sshd"))
            .map_err(|_| {
                usage("`sshd` was not found").hint(
                    "install OpenSSH's server (Debian/Ubuntu: `apt-get install openssh-server`)",
                )
            })?,
        ssh_keygen: tools::require(
            "ssh-keygen",
            "install OpenSSH (Debian/Ubuntu: `apt-get install openssh-client`)",
        )?,
        unshare: tools::require(
            "unshare",
            "install util-linux (Debian/Ubuntu: `apt-get install util-linux`)",
        )?,
    })
}

fn find_ip() -> Result<Utf8PathBuf> {
    tools::require(
        "ip",
        "install iproute2 (Debian/Ubuntu: `apt-get install iproute2`)",
    )
}

fn up(root: &Utf8Path, dry_run: bool, testnet: &Testnet) -> Result<()> {
    let tools = find_tools()?;
    let keep_pyenv = Utf8Path::new("/root/.pyenv").is_dir();
    if dry_run {
        crate::out::print(&e3_testnet::plan_up(testnet, &tools, keep_pyenv).render());
        return Ok(());
    }
    require_root("up")?;
    if let Err(err) = e3_testnet::up(testnet, &tools, keep_pyenv) {
        // Leave nothing half-made behind (the error keeps what sshd said).
        if matches!(
            err,
            TestnetError::Making { .. } | TestnetError::SshdDidNotStart { .. }
        ) {
            let _ = down(root, false, &testnet.name, &testnet.dir);
        }
        return Err(word(err));
    }
    let [a, b, c] = testnet.subnet;
    let rel = |p: Utf8PathBuf| relative_to(root, &p);
    crate::out::outln!(
        "testnet {}: {} hosts ({}-h1 .. {}) on {}.0/24, bridge {}",
        testnet.name,
        testnet.hosts,
        testnet.name,
        testnet.host(testnet.hosts),
        format_args!("{a}.{b}.{c}"),
        testnet.bridge()
    );
    crate::out::outln!("  hosts file: {}", rel(testnet.hosts_path()));
    crate::out::outln!("  ssh config: {}", rel(testnet.ssh_config_path()));
    crate::out::outln!(
        "try:  cargo xtask run secretsanta --hosts {} --ssh-config {} --remote-python {}\n      (the same flags after `cargo xtask experiment FILE` run an experiment there)",
        rel(testnet.hosts_path()),
        rel(testnet.ssh_config_path()),
        root.join(e3_run::python::VENV_DIR).join("bin/python")
    );
    // `--dir` when the folder is not the name's own (else down looks there).
    let dir = match testnet.dir == root.join(".e3/testnet").join(&testnet.name) {
        true => String::new(),
        false => format!(" --dir {}", e3_plan::quote(testnet.dir.as_str())),
    };
    crate::out::outln!(
        "down: cargo xtask testnet down --name {}{dir}",
        testnet.name
    );
    // Its counters start at zero with its links and namespaces: anything
    // counted already was lost while it came up (e.g. by a machine too
    // busy to carry it), and would be lost again under a run.
    let lost = e3_testnet::grown(
        &[],
        &e3_testnet::counters(&tools.ip, &testnet.name, testnet.hosts, &testnet.dir),
    );
    if !lost.is_empty() {
        let list: Vec<String> = lost.iter().map(|(c, n)| format!("{c} {n}")).collect();
        crate::out::errln!(
            "warning: testnet {} lost packets while it came up ({}): runs on it may be slowed by the testbed, not the protocol; `run` says so after each run",
            testnet.name,
            list.join(", ")
        );
    }
    Ok(())
}

/// Removes every namespace, link, process and file of testbed `name`. A
/// name with none of them (and no folder) is a mistake: the error lists
/// the testbeds there are.
fn down(root: &Utf8Path, dry_run: bool, name: &str, dir: &Utf8Path) -> Result<()> {
    let ip = find_ip()?;
    let survey = e3_testnet::survey(&ip, name);
    if survey.is_empty() && !dir.exists() {
        return Err(word(TestnetError::NoTestbed {
            name: name.to_string(),
            existing: e3_testnet::testbeds(&ip),
        }));
    }
    if !dry_run {
        require_root("down")?;
    }
    let plan = e3_testnet::plan_down(&ip, name, &survey, dir);
    if dry_run {
        crate::out::outln!(
            "# close the ssh connections that runs kept open to the testbed's hosts, if any"
        );
        crate::out::print(&plan.render());
        return Ok(());
    }
    // First, while the hosts still answer: a later testbed of the same
    // name and addresses must not be reached through these. (The hosts'
    // end of each goes with it: `down` takes a process already gone as gone.)
    let config = dir.join("ssh_config");
    let closed = crate::provision::close_kept_connections(&format!("testbed {name}"), |kept| {
        kept.config
            .as_deref()
            .is_some_and(|c| e3_ssh::kept::same_file(c, &config))
    });
    if let Some(said) = closed {
        crate::out::outln!("{said}");
    }
    e3_testnet::down(&ip, name, dir, &plan).map_err(word)?;
    crate::out::outln!(
        "testnet {name}: down ({} namespaces, {} processes removed; {} deleted)",
        survey.namespaces.len(),
        survey.pids.len(),
        relative_to(root, dir)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use e3_testnet::Found;

    #[test]
    fn a_name_with_no_testbed_lists_those_there_are() {
        let none = word(TestnetError::NoTestbed {
            name: "e3x".into(),
            existing: vec![],
        });
        assert_eq!(none.exit_code(), 2);
        assert_eq!(
            none.to_string(),
            "error: there is no testbed named `e3x` on this machine\n\
             hint: there are no testbeds on this machine"
        );
        let some = word(TestnetError::NoTestbed {
            name: "e3x".into(),
            existing: vec![
                Found {
                    name: "e3c4".into(),
                    hosts: 1,
                    subnet: Some([10, 214, 4]),
                },
                Found {
                    name: "e3t".into(),
                    hosts: 4,
                    subnet: Some([10, 213, 7]),
                },
            ],
        });
        assert_eq!(some.exit_code(), 2);
        assert_eq!(
            some.hints,
            [
                "testbeds on this machine: e3c4 (1 host on 10.214.4.0/24), e3t (4 hosts on 10.213.7.0/24); give one to --name"
            ]
        );
    }

    #[test]
    fn a_subnet_in_use_names_the_testbed_that_has_it() {
        let err = word(TestnetError::SubnetInUse {
            subnet: [10, 213, 7],
            iface: "e3t-br".into(),
            address: "10.213.7.1/24".into(),
            testbed: Some("e3t".into()),
        });
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            err.hints,
            [
                "choose another --subnet, or take testbed `e3t` down: `cargo xtask testnet down --name e3t`"
            ]
        );
        let err = word(TestnetError::SubnetInUse {
            subnet: [192, 168, 1],
            iface: "wlan0".into(),
            address: "192.168.1.20/24".into(),
            testbed: None,
        });
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            err.hints,
            ["choose another --subnet (wlan0 is not an e3 testbed's bridge)"]
        );
    }

    /// `down --name` says what a name may be, as `up --name` does.
    #[test]
    fn down_name_has_a_help_text_with_its_limits() {
        use clap::CommandFactory;
        let mut cli = crate::cli::Cli::command();
        let down = cli
            .find_subcommand_mut("testnet")
            .and_then(|t| t.find_subcommand_mut("down"))
            .unwrap();
        let help = down.render_help().to_string();
        assert!(
            help.contains("up to 8 of [a-z0-9], starting with a letter"),
            "{help}"
        );
    }
}
