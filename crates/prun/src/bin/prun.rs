//! `prun`: run one MPyC party on this host, as the original `prun.sh` did.
//!
//! Every host runs the same command; each finds its own party index by its
//! hostname's position in the hosts file, then replaces itself (exec) with
//! `<program> [args...] -I <i> -P host0:port ... -P hostN-1:port`.

use std::error::Error as _;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ColorChoice, Parser};
use e3_inventory::Inventory;
use prun::{Layout, Settings, find_own_index, plan_parties};

/// Runs this host's MPyC party: finds this host in FILE (one [user@]host[:port]
/// a line, default hosts.pssh) by its hostname, then execs
///   <program> [args...] [--log-level L] -I <index> -P host0:P ... -P hostN-1:P
//
// One paragraph, so there is no long help: -h and --help print the same.
// Every option takes the next argument as its value even when it starts with
// `-` (allow_hyphen_values), as the hand-written parser did: `--index -1` is
// a bad number, not an unknown option.
#[derive(Parser, Debug)]
#[command(
    name = "prun",
    verbatim_doc_comment,
    after_help = "A host that is not in the file (or beyond the first N) does not participate:\n\
                  prun says so and exits 0.",
    // Runs over ssh, into logs: no escape codes.
    color = ColorChoice::Never,
    // As before clap: a flag given twice counts the last time.
    args_override_self = true
)]
struct Args {
    /// The hosts file
    #[arg(
        long,
        value_name = "FILE",
        allow_hyphen_values = true,
        default_value = "hosts.pssh"
    )]
    hosts: String,

    /// The port every party listens on
    #[arg(
        long,
        value_name = "P",
        allow_hyphen_values = true,
        value_parser = port_number,
        default_value_t = prun::DEFAULT_PORT
    )]
    port: u16,

    /// Match NAME instead of this machine's hostname (not with --index)
    #[arg(
        long,
        value_name = "NAME",
        allow_hyphen_values = true,
        conflicts_with = "index"
    )]
    hostname: Option<String>,

    /// Be party I; do not look at hostnames
    #[arg(long, value_name = "I", allow_hyphen_values = true, value_parser = whole_number)]
    index: Option<usize>,

    /// Run with the first N hosts only [default: all]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = whole_number)]
    parties: Option<usize>,

    /// MPyC's log level for the party
    #[arg(long, value_name = "L", allow_hyphen_values = true)]
    log_level: Option<String>,

    /// The program to run, then its arguments: passed on as they are
    #[arg(last = true, required = true, value_names = ["program", "args"])]
    program: Vec<String>,
}

/// `--index` and `--parties`; the message follows the flag's name.
fn whole_number(value: &str) -> Result<usize, String> {
    value
        .parse()
        .map_err(|_| format!("takes a whole number, not `{value}`"))
}

/// `--port`: 1 to 65535; the message follows the flag's name.
fn port_number(value: &str) -> Result<u16, String> {
    value
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("takes a port number, not `{value}`"))
}

/// What the command line asks for: a run, or the help (print it, exit 0).
/// A usage error is `Err` with prun's one-line message.
enum Parsed {
    Args(Args),
    Help(String),
}

fn parse_args(argv: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Parsed, String> {
    match Args::try_parse_from(argv) {
        Ok(args) => Ok(Parsed::Args(args)),
        Err(err) if err.kind() == ErrorKind::DisplayHelp => Ok(Parsed::Help(err.to_string())),
        Err(err) => Err(message(&err)),
    }
}

/// clap's error in prun's words, on one line.
fn message(err: &clap::Error) -> String {
    let context = |kind| match err.get(kind) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        Some(ContextValue::Strings(v)) => v.first().map(String::as_str),
        _ => None,
    };
    // clap names an option with its value, as in `--index <I>`.
    let flag =
        context(ContextKind::InvalidArg).map(|arg| arg.split([' ', '=']).next().unwrap_or(arg));
    match (err.kind(), flag) {
        (ErrorKind::UnknownArgument, Some(arg)) => {
            format!("unknown option `{arg}` (the program goes after `--`)")
        }
        (ErrorKind::ValueValidation, Some(flag)) => match err.source() {
            Some(why) => format!("{flag} {why}"),
            None => format!(
                "{flag} does not take `{}`",
                context(ContextKind::InvalidValue).unwrap_or("")
            ),
        },
        (ErrorKind::InvalidValue, Some(flag)) => format!("{flag} needs a value"),
        // The program is the only required argument.
        (ErrorKind::MissingRequiredArgument, _) => "no program given: put it after `--`".into(),
        (ErrorKind::ArgumentConflict, Some("--hostname" | "--index")) => {
            "give --hostname or --index, not both".into()
        }
        _ => {
            // Anything else: clap's own first line, without its `error: `.
            let text = err.render().to_string();
            let line = text.lines().next().unwrap_or("bad arguments");
            line.strip_prefix("error: ").unwrap_or(line).to_string()
        }
    }
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
    let args = match parse_args(std::env::args_os())? {
        Parsed::Args(args) => args,
        Parsed::Help(help) => {
            print!("{help}");
            return Ok(ExitCode::SUCCESS);
        }
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
