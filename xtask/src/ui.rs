//! What people see: lines on stdout, or on stderr when stdout carries JSON.
//! The libraries report events; this module words them.

use std::collections::BTreeSet;
use std::io::BufRead as _;

use e3_run::RunEvent;
use e3_run::python::{REQUIREMENTS, VENV_DIR};
use e3_ssh::{HostEvent, HostStep};
use prun::Party;

pub struct Ui {
    /// stdout is reserved for a JSON document.
    pub json: bool,
}

impl Ui {
    pub fn new(json: bool) -> Ui {
        Ui { json }
    }

    /// One line (or several) for the reader.
    pub fn say(&self, text: &str) {
        if self.json {
            crate::out::err_line(text);
        } else {
            crate::out::line(text);
        }
    }

    /// A run's progress: party 0's output live, a line for every party's
    /// connection and end, and what stopping did.
    pub fn run_event(&self, event: RunEvent<'_>) {
        let line = match event {
            RunEvent::MakingEnv => format!(
                "e3: making the python env {VENV_DIR} from {REQUIREMENTS} (first run only; takes a minute)"
            ),
            RunEvent::EnvCommand(cmd) => format!("e3: $ {cmd}"),
            RunEvent::EnvReady { took } => {
                format!("e3: python env ready in {:.1}s", took.as_secs_f64())
            }
            RunEvent::Host(event) => return self.host_event(event),
            RunEvent::TlsKeysLeft { hosts, path } => format!(
                "warning: the run's TLS keys could not be removed from {} (no answer at the end): remove {path} there",
                hosts.join(", ")
            ),
            RunEvent::RelayShards {
                shards,
                needed,
                limit,
            } => format!(
                "e3: the relays need about {needed} open files, more than e3's limit of {limit}: they run in {shards} processes of their own"
            ),
            RunEvent::WarmReady { took, starts: 1 } => format!(
                "e3: warm start ready in {:.2}s (numpy, gmpy2, asyncio and MPyC loaded once)",
                took.as_secs_f64()
            ),
            RunEvent::WarmReady { took, starts } => format!(
                "e3: warm starts ready on {starts} hosts in {:.2}s (numpy, gmpy2 and asyncio loaded once per host)",
                took.as_secs_f64()
            ),
            RunEvent::Starting {
                parties,
                program,
                log_dir,
                start,
            } => format!(
                "e3: starting {} of {} {start} on {}; logs in {log_dir}/",
                e3_plan::count(parties.len(), "party", "parties"),
                program.file,
                describe_addresses(parties)
            ),
            RunEvent::Line { party: 0, line } => format!("party 0 | {line}"),
            RunEvent::Line { .. } => return,
            RunEvent::Connected {
                party,
                connected,
                total,
            } => format!("e3: party {party} connected ({connected}/{total})"),
            RunEvent::AllConnected { total, after } => format!(
                "e3: all {total} parties connected after {:.2}s",
                after.as_secs_f64()
            ),
            RunEvent::Done { party, after } => {
                format!("e3: party {party} done after {:.2}s", after.as_secs_f64())
            }
            RunEvent::Stopped { party, end } => format!("e3: party {party} stopped ({end})"),
            RunEvent::Failed { party, end, after } => format!(
                "e3: party {party} FAILED ({end}) after {:.2}s",
                after.as_secs_f64()
            ),
            RunEvent::Stopping { reason } => format!("e3: stopping every party: {reason}"),
            RunEvent::CouldNotStop { host, why } => {
                format!("e3: could not stop the parties on {host}: {why}")
            }
        };
        self.say(&line);
    }

    /// A host connected or synced (or failed to).
    pub fn host_event(&self, event: HostEvent<'_>) {
        match event {
            HostEvent::Done { step, host, after } => {
                let verb = match step {
                    HostStep::Connect => "connected to",
                    HostStep::Sync => "synced to",
                };
                self.say(&format!("e3: {verb} {host} ({:.2}s)", after.as_secs_f64()));
            }
            HostEvent::Failed {
                step,
                host,
                end,
                said,
            } => {
                let step = match step {
                    HostStep::Connect => "connect",
                    HostStep::Sync => "sync",
                };
                crate::pipeline::annotate_error(
                    &format!("host {host} failed to {step}"),
                    &format!("{host} ({end}): {said}"),
                );
                self.say(&format!("e3: FAILED {host} ({end}): {said}"))
            }
            HostEvent::Reused { reused, hosts } => self.say(&format!(
                "e3: {reused} of {} over ssh connections kept open by an earlier run (no key exchange)",
                e3_plan::count(hosts, "host", "hosts")
            )),
        }
    }
}

/// Asks the person at the terminal `question` (yes or no). With `yes` (the
/// task's `--yes`) the answer is yes; with no one at a terminal (or in CI)
/// there is no one to ask, which is a usage error naming the flag.
pub fn confirm(question: &str, yes: bool) -> crate::error::Result<bool> {
    if yes {
        return Ok(true);
    }
    if crate::pipeline::unattended() {
        return Err(crate::error::usage(format!(
            "{question} needs a yes, and no one is at a terminal to give it"
        ))
        .hint("pass --yes"));
    }
    crate::out::print(&format!("{question} [y/N] "));
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// `127.0.0.1:11599-11604`, or `4 hosts` for a remote run.
fn describe_addresses(table: &[Party]) -> String {
    let distinct: BTreeSet<&str> = table.iter().map(|p| p.host.as_str()).collect();
    match (table.first(), table.last()) {
        (Some(a), Some(b)) if distinct.len() == 1 && table.len() > 1 => {
            format!("{}-{}", a.address(), b.port)
        }
        (Some(a), _) if table.len() == 1 => a.address(),
        _ => format!("{} hosts", distinct.len()),
    }
}
