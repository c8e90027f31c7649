//! `prun`: run one MPyC party on this host, as the original `prun.sh` did.
//!
//! Every host runs the same command; each finds its own party index by its
//! hostname's position in the hosts file, then replaces itself (exec) with
//! `<program> [args...] -I <i> -P host0:port ... -P hostN-1:port`.

use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use e3_inventory::Inventory;
use prun::{Layout, Settings, find_own_index, plan_parties};

const USAGE: &str = "\
usage: prun [--hosts FILE] [--port P] [--hostname NAME | --index I]
            [--parties N] [--log-level L] -- <program> [args...]

Runs this host's MPyC party: finds this host in FILE (one [user@]host[:port]
a line, default hosts.pssh) by its hostname, then execs
  <program> [args...] [--log-level L] -I <index> -P host0:P ... -P hostN-1:P

  --hosts FILE     the hosts file (default: hosts.pssh)
  --port P         the port every party listens on (default: 11599)
  --hostname NAME  match NAME instead of this machine's hostname
  --index I        be party I; do not look at hostnames
  --parties N      run with the first N hosts only (default: all)
  --log-level L    MPyC's log level for the party
A host that is not in the file (or beyond the first N) does not participate:
prun says so and exits 0.";

struct Args {
    hosts: String,
    port: u16,
    hostname: Option<String>,
    index: Option<usize>,
    parties: Option<usize>,
    log_level: Option<String>,
    program: Vec<String>,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut args = Args {
        hosts: "hosts.pssh".into(),
        port: prun::DEFAULT_PORT,
        hostname: None,
        index: None,
        parties: None,
        log_level: None,
        program: Vec::new(),
    };
    while let Some(arg) = argv.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| argv.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |name: &str, v: String| -> Result<usize, String> {
            v.parse()
                .map_err(|_| format!("{name} takes a whole number, not `{v}`"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--hosts" => args.hosts = value("--hosts")?,
            "--port" => {
                let v = value("--port")?;
                args.port = v
                    .parse()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or(format!("--port takes a port number, not `{v}`"))?
            }
            "--hostname" => args.hostname = Some(value("--hostname")?),
            "--index" => args.index = Some(number("--index", value("--index")?)?),
            "--parties" => args.parties = Some(number("--parties", value("--parties")?)?),
            "--log-level" => args.log_level = Some(value("--log-level")?),
            "--" => {
                args.program = argv.by_ref().collect();
                break;
            }
            other => {
                return Err(format!(
                    "unknown option `{other}` (the program goes after `--`)"
                ));
            }
        }
    }
    if args.program.is_empty() {
        return Err("no program given: put it after `--`".into());
    }
    if args.index.is_some() && args.hostname.is_some() {
        return Err("give --hostname or --index, not both".into());
    }
    Ok(Some(args))
}

fn this_hostname() -> Result<String, String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .ok_or_else(|| "cannot tell this machine's hostname; pass --hostname or --index".into())
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("prun: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let Some(args) = parse_args(std::env::args().skip(1))? else {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    };
    let text = std::fs::read_to_string(&args.hosts)
        .map_err(|e| format!("cannot read hosts file {}: {e}", args.hosts))?;
    let inventory = Inventory::from_pssh(&text, &args.hosts).map_err(|e| e.to_string())?;
    if inventory.hosts.is_empty() {
        return Err(format!("{} lists no hosts", args.hosts));
    }
    let parties = args.parties.unwrap_or(inventory.hosts.len());
    let index = match args.index {
        Some(i) => i,
        None => {
            let hostname = match &args.hostname {
                Some(name) => name.clone(),
                None => this_hostname()?,
            };
            match find_own_index(&inventory, &hostname)? {
                Some(i) => i,
                None => {
                    println!(
                        "prun: host `{hostname}` is not in {} ({} hosts); it does not participate",
                        args.hosts,
                        inventory.hosts.len()
                    );
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    };
    let settings = Settings {
        layout: Layout {
            parties,
            per_host: 1,
            base_port: args.port,
        },
        log_level: args.log_level,
        program: args.program,
    };
    let commands =
        plan_parties(&inventory, &settings).map_err(|e| format!("{}: {e}", args.hosts))?;
    let Some(mine) = commands.get(index) else {
        if args.index.is_some() {
            return Err(format!(
                "--index {index} is out of range: the run has {parties} parties"
            ));
        }
        println!(
            "prun: host `{}` is entry {index} of {}, but the run has {parties} parties; it does not participate",
            inventory.hosts[index].name, args.hosts
        );
        return Ok(ExitCode::SUCCESS);
    };
    eprintln!("prun: party {index} of {parties} on {}", mine.host.name);
    let err = Command::new(&mine.argv[0]).args(&mine.argv[1..]).exec();
    Err(format!("cannot run `{}`: {err}", mine.argv[0]))
}
