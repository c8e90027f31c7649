//! `cargo xtask testnet up N` / `down`: a local testbed of real hosts
//! (crate `e3-testnet`): this task reads the flags, finds the tools, checks
//! for root and says what was made.

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
        TestnetError::SubnetInUse { .. } => usage(err.to_string())
            .hint("choose another --subnet, or `cargo xtask testnet down` the testbed that has it"),
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
        TestnetError::LeftBehind { .. } | TestnetError::Exec(_) => failure(err.to_string()),
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
        "try:  cargo xtask run secretsanta --hosts {} --ssh-config {} --remote-python {}",
        rel(testnet.hosts_path()),
        rel(testnet.ssh_config_path()),
        root.join(e3_run::python::VENV_DIR).join("bin/python")
    );
    crate::out::outln!("down: cargo xtask testnet down --name {}", testnet.name);
    Ok(())
}

/// Removes every namespace, link, process and file of testbed `name`.
fn down(root: &Utf8Path, dry_run: bool, name: &str, dir: &Utf8Path) -> Result<()> {
    let ip = find_ip()?;
    if !dry_run {
        require_root("down")?;
    }
    let survey = e3_testnet::survey(&ip, name);
    let plan = e3_testnet::plan_down(&ip, name, &survey, dir);
    if dry_run {
        crate::out::print(&plan.render());
        return Ok(());
    }
    e3_testnet::down(name, &plan).map_err(word)?;
    crate::out::outln!(
        "testnet {name}: down ({} namespaces, {} processes removed; {} deleted)",
        survey.namespaces.len(),
        survey.pids.len(),
        relative_to(root, dir)
    );
    Ok(())
}
