//! `prun`: run one MPyC party on this host, as the original `prun.sh` did.
//!
//! Every host runs the same command; each finds its own entry in the hosts
//! file (by its addresses, its tailnet name, then its hostname) and
//! replaces itself (exec) with
//! `<program> [args...] -I <i> -P host0:port ... -P hostN-1:port`.

use std::error::Error as _;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ColorChoice, Parser};
use e3_inventory::Inventory;
use prun::{Layout, Machine, MatchedBy, Settings, find_own_index, plan_parties};

/// Runs this host's MPyC party: finds this machine in FILE (one
/// [user@]host[:port] a line, default hosts.pssh), then execs
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
    after_help = "This machine's entry is found by, in order: its own addresses (for entries\n\
                  that are addresses), its tailnet name (`tailscale status`, when tailscale is\n\
                  on PATH), its hostname without case (whole, then the first labels:\n\
                  DESKTOP-K3J9Q2A matches desktop-k3j9q2a.tail1234.ts.net). No match, or two\n\
                  at one level, is an error: say which party it is with --index.\n\
                  An entry beyond the first N does not participate: prun says so and exits 0.",
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

    /// The port every party listens on (the next ones for entries that share an address)
    #[arg(
        long,
        value_name = "P",
        allow_hyphen_values = true,
        value_parser = port_number,
        default_value_t = prun::DEFAULT_PORT
    )]
    port: u16,

    /// Match NAME (a hostname or address) instead of looking at this machine (not with --index)
    #[arg(
        long,
        value_name = "NAME",
        allow_hyphen_values = true,
        conflicts_with = "index"
    )]
    hostname: Option<String>,

    /// Be party I (counting entries from 0); do not look for this machine
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

/// A mistake prun can name, and how to fix it.
struct Failure {
    message: String,
    hint: Option<String>,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure {
            message,
            hint: None,
        }
    }
}

/// This machine's hostname.
fn this_hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into `buf`.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).trim().to_string();
    (!name.is_empty()).then_some(name)
}

/// Every address of this machine's interfaces.
fn own_addresses() -> Vec<IpAddr> {
    let mut found = Vec::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs makes a linked list that is read, then freed once,
    // below; each address is read as the struct its family says it is.
    unsafe {
        if libc::getifaddrs(&mut list) != 0 {
            return found;
        }
        let mut item = list;
        while !item.is_null() {
            let addr = (*item).ifa_addr;
            if !addr.is_null() {
                match i32::from((*addr).sa_family) {
                    libc::AF_INET => {
                        let v4 = &*(addr as *const libc::sockaddr_in);
                        found.push(IpAddr::V4(Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr))));
                    }
                    libc::AF_INET6 => {
                        let v6 = &*(addr as *const libc::sockaddr_in6);
                        found.push(IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.s6_addr)));
                    }
                    _ => {}
                }
            }
            item = (*item).ifa_next;
        }
        libc::freeifaddrs(list);
    }
    found
}

/// `tailscale status --json`'s `Self.DNSName` and `Self.TailscaleIPs`,
/// when `tailscale` is on PATH and answers within a few seconds.
fn tailnet_self() -> (Option<String>, Vec<IpAddr>) {
    let Ok(mut child) = Command::new("tailscale")
        .args(["status", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return (None, Vec::new());
    };
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    let ok = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.success(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break false;
            }
        }
    };
    let text = reader.join().unwrap_or_default();
    if !ok {
        return (None, Vec::new());
    }
    let Ok(status) = serde_json::from_str::<serde_json::Value>(&text) else {
        return (None, Vec::new());
    };
    let me = &status["Self"];
    let name = me["DNSName"]
        .as_str()
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    let ips = me["TailscaleIPs"]
        .as_array()
        .map(|ips| {
            ips.iter()
                .filter_map(|ip| ip.as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    (name, ips)
}

/// How this machine is known: its addresses, tailnet name and hostname.
fn this_machine() -> Machine {
    let mut addresses = own_addresses();
    let (tailnet_name, tailnet_ips) = tailnet_self();
    for ip in tailnet_ips {
        if !addresses.contains(&ip) {
            addresses.push(ip);
        }
    }
    Machine {
        addresses,
        tailnet_name,
        hostname: this_hostname(),
    }
}

/// `--hostname NAME`: a machine known only by NAME (an address, if it is one).
fn named_machine(name: &str) -> Machine {
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    Machine {
        addresses: bare.parse().ok().into_iter().collect(),
        tailnet_name: None,
        hostname: Some(name.to_string()),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("prun: error: {}", failure.message);
            if let Some(hint) = failure.hint {
                eprintln!("prun: hint: {hint}");
            }
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, Failure> {
    let args = match parse_args(std::env::args_os())? {
        Parsed::Args(args) => args,
        Parsed::Help(help) => {
            print!("{help}");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let text = std::fs::read_to_string(&args.hosts)
        .map_err(|e| format!("cannot read hosts file {}: {e}", args.hosts))?;
    let inventory = Inventory::from_pssh(&text, &args.hosts).map_err(|e| Failure {
        message: e.to_string(),
        hint: e.hint.clone(),
    })?;
    if inventory.hosts.is_empty() {
        return Err(format!("{} lists no hosts", args.hosts).into());
    }
    let parties = args.parties.unwrap_or(inventory.hosts.len());
    let (index, found_by) = match args.index {
        Some(i) => (i, None),
        None => {
            let machine = match &args.hostname {
                Some(name) => named_machine(name),
                None => this_machine(),
            };
            let (i, by) = find_own_index(&inventory, &machine).map_err(|e| Failure {
                message: format!("{}: {e}", args.hosts),
                hint: Some(
                    "say which party this machine is with --index I (its entry's place in the file, from 0)"
                        .into(),
                ),
            })?;
            (i, Some(by))
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
            return Err(
                format!("--index {index} is out of range: the run has {parties} parties").into(),
            );
        }
        println!(
            "prun: host `{}` is entry {index} of {}, but the run has {parties} parties; it does not participate",
            inventory.hosts[index].pssh_line(),
            args.hosts
        );
        return Ok(ExitCode::SUCCESS);
    };
    let how = match found_by {
        None => String::new(),
        Some(MatchedBy::Address) => " (found by its address)".into(),
        Some(MatchedBy::TailnetName) => " (found by its tailnet name)".into(),
        Some(MatchedBy::Hostname | MatchedBy::ShortHostname) => " (found by its hostname)".into(),
    };
    eprintln!(
        "prun: party {index} of {parties} on {}{how}",
        mine.host.pssh_line()
    );
    let err = Command::new(&mine.argv[0]).args(&mine.argv[1..]).exec();
    Err(format!("cannot run `{}`: {err}", mine.argv[0]).into())
}
