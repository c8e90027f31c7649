//! `cargo xtask`: e3's tasks. One module per task; this file only dispatches.

#[macro_use]
mod out;
mod cli;
mod cloud;
mod error;
mod paths;
mod pipeline;
mod provision;
mod remote;
mod request;
mod tasks;
#[cfg(test)]
mod tests;
mod tools;
mod ui;

use std::process::ExitCode;

use camino::Utf8PathBuf;
use clap::Parser;

use crate::cli::{Cli, Task};
use crate::tasks::{
    bench, deploy, destroy, doctor, experiment, hosts, image, leftovers, netprobe, report, run,
    runs, sync, tailnet, testnet,
};

fn main() -> ExitCode {
    let cli = Cli::try_parse().unwrap_or_else(|err| bad_command_line(err));
    tools::set_dry_run(cli.dry_run);
    let root = workspace_root();
    let result = match &cli.task {
        Task::Run(args) => run::run(&root, cli.dry_run, args),
        Task::Sync(args) => sync::run(&root, cli.dry_run, args),
        Task::Disconnect(args) => remote::disconnect(cli.dry_run, args),
        Task::Testnet(args) => testnet::run(&root, cli.dry_run, args),
        Task::Hosts(args) => hosts::run(&root, cli.dry_run, args),
        Task::Image(args) => image::run(&root, cli.dry_run, args),
        Task::Doctor(args) => doctor::run(&root, cli.dry_run, args),
        Task::Deploy(args) => deploy::run(&root, cli.dry_run, args),
        Task::Destroy(args) => destroy::run(&root, cli.dry_run, args),
        Task::Tailnet(args) => tailnet::run(cli.dry_run, args),
        Task::Leftovers(args) => leftovers::run(&root, cli.dry_run, args),
        Task::Netprobe(args) => netprobe::run(&root, cli.dry_run, args),
        Task::Experiment(args) => experiment::run(&root, cli.dry_run, args),
        Task::Report(args) => report::run(&root, cli.dry_run, args),
        Task::Runs(args) => runs::run(&root, cli.dry_run, args),
        Task::WarmParty { socket, argv } => warm_party(socket, argv),
        Task::RelayShard { routes } => relay_shard(routes),
        Task::Bench(args) => bench::run(&root, cli.dry_run, args),
    };
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away: e3 ends as killed by SIGPIPE, saying nothing.
        Err(_) if out::reader_gone() => ExitCode::FAILURE,
        Err(err) => {
            crate::out::errln!("{err}");
            // The step's own failure, as GitHub shows it (its first line).
            let message = err.to_string();
            let first = message.lines().next().unwrap_or_default();
            pipeline::annotate_error(
                &format!("cargo xtask {}", task_name(&cli.task)),
                first.strip_prefix("error: ").unwrap_or(first),
            );
            ExitCode::from(err.exit_code() as u8)
        }
    };
    out::exit(code)
}

/// clap's own message (and exit code 2 for a mistake, 0 for `--help`), with
/// a hint where people often go wrong: a program argument without `--`.
fn bad_command_line(err: clap::Error) -> ! {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let stray = match (err.kind(), err.get(ContextKind::InvalidArg)) {
        (ErrorKind::UnknownArgument, Some(ContextValue::String(arg))) => Some(arg.clone()),
        _ => None,
    };
    // The task is the first word that is not a flag (`--dry-run run ...`).
    let task = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    let text = err.render().to_string();
    match stray {
        Some(arg) if !arg.starts_with('-') && ["run", "experiment"].contains(&task.as_str()) => {
            let hint = match task.as_str() {
                "run" => format!(
                    "the program's own arguments go after `--`: `cargo xtask {}`",
                    with_after_dashes(std::env::args().skip(1).collect(), &arg)
                ),
                _ => "an experiment's program arguments go in its file: `args = [[...]]`".into(),
            };
            out::err_line(&format!("{}\nhint: {hint}", text.trim_end()));
            std::process::exit(out::exit_status(2))
        }
        _ => {
            let code = err.exit_code();
            if code == 0 {
                out::print(&text);
            } else {
                out::err_line(text.trim_end());
            }
            std::process::exit(out::exit_status(code))
        }
    }
}

/// The command line with `arg` moved behind `--`.
fn with_after_dashes(mut args: Vec<String>, arg: &str) -> String {
    if let Some(at) = args.iter().position(|a| a == arg) {
        args.remove(at);
    }
    match args.iter().position(|a| a == "--") {
        Some(dashes) => args.insert(dashes + 1, arg.to_string()),
        None => args.extend(["--".to_string(), arg.to_string()]),
    }
    args.iter()
        .map(|a| e3_plan::quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The task's name on the command line.
fn task_name(task: &Task) -> &'static str {
    match task {
        Task::Run(_) => "run",
        Task::Sync(_) => "sync",
        Task::Disconnect(_) => "disconnect",
        Task::Testnet(_) => "testnet",
        Task::Hosts(_) => "hosts",
        Task::Image(_) => "image",
        Task::Doctor(_) => "doctor",
        Task::Deploy(_) => "deploy",
        Task::Destroy(_) => "destroy",
        Task::Tailnet(_) => "tailnet",
        Task::Leftovers(_) => "leftovers",
        Task::Netprobe(_) => "netprobe",
        Task::Experiment(_) => "experiment",
        Task::Report(_) => "report",
        Task::Runs(_) => "runs",
        Task::WarmParty { .. } => "warm-party",
        Task::RelayShard { .. } => "relay-shard",
        Task::Bench(_) => "bench",
    }
}

/// A share of the relays: serves its routes until e3 ends it (it dies with
/// e3, and e3 kills it when the run ends).
fn relay_shard(routes_file: &str) -> error::Result<()> {
    let text = std::fs::read_to_string(routes_file)
        .map_err(|e| error::failure(format!("cannot read {routes_file}: {e}")))?;
    let _ = std::fs::remove_file(routes_file);
    let routes: Vec<e3_net::Route> = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.as_array()
                .map(|a| a.iter().filter_map(e3_net::Route::from_json).collect())
        })
        .ok_or_else(|| error::failure(format!("{routes_file} holds no routes")))?;
    e3_net::open_files_limit();
    let _relays = e3_net::Relays::start(&routes)
        .map_err(|e| error::failure(format!("cannot start the relays: {e}")))?;
    crate::out::outln!("{}", e3_run::net::SHARD_READY);
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}

/// A warm party's launcher: its end is the party's own.
fn warm_party(socket: &str, argv: &[String]) -> ! {
    match e3_run::warm::launch(socket.into(), argv) {
        Ok(end) => e3_run::warm::end_as(end),
        Err(err) => {
            // This process's stderr is the party's: the message lands in its log.
            crate::out::errln!("e3: {err}");
            std::process::exit(1)
        }
    }
}

/// The e3 checkout this xtask was built from.
pub fn workspace_root() -> Utf8PathBuf {
    // Another workspace than the checkout e3 was built from (tests run
    // deploy against a folder of their own).
    if let Some(root) = std::env::var_os("E3_ROOT").filter(|r| !r.is_empty())
        && let Ok(root) = Utf8PathBuf::from_path_buf(root.into())
    {
        return root;
    }
    let manifest_dir = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Into::into)
        .unwrap_or(manifest_dir)
}
