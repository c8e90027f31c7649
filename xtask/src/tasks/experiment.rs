//! `cargo xtask experiment FILE`: a sweep of runs (every key a run takes,
//! each a value or a list, × repetitions, interleaved), each an
//! [`e3_run::RunRequest`] filled from its cell and run through the same
//! engine as `cargo xtask run`, every result appended to
//! `results/<id>/runs.jsonl` as its run ends. Everything that can be
//! checked is checked before the first run (and by `--dry-run`), worded
//! with the file's line and key. `--resume results/<id>` goes on where it
//! stopped.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use camino::Utf8Path;
use e3_experiment::file::{Cell, Experiment, FileError};
use e3_experiment::results::{self, ENVIRONMENT, EXPERIMENT_COPY, RUNS, RunsFile, SKIPPED};
use e3_experiment::sweep::{self, Eta, Planned};
use e3_run::request::{Hosts, Local, Place, RequestError};
use e3_run::{Outcome, Placement, RunEvent, RunRequest, Start};

use crate::cli::ExperimentArgs;
use crate::error::{Error, Result, failure, usage};
use crate::paths::{current_dir, relative_to};
use crate::request::{self, HostsAsked};
use crate::ui::Ui;

pub fn run(root: &Utf8Path, dry_run: bool, args: &ExperimentArgs) -> Result<()> {
    let cwd = current_dir()?;
    let resume_dir = args.resume.as_deref().map(|d| cwd.join(d));
    let (text, source) = read_file(root, &cwd, args, resume_dir.as_deref())?;
    let exp = e3_experiment::file::parse(&text, &source).map_err(file_error)?;
    let sweep = Sweep::new(root, &cwd, &exp, args)?;
    let schedule = sweep::schedule(&sweep.cells, exp.repeat);
    if dry_run {
        return print_plan(root, &exp, &sweep, &schedule);
    }

    let ui = Ui::new(false);
    for (cell, why) in &sweep.skipped {
        ui.say(&format!(
            "e3: skipping cell {} (skip_unfit): {why}",
            cell.describe(&exp)
        ));
    }
    let (id, dir) = match &resume_dir {
        Some(dir) => (
            dir.file_name().unwrap_or("results").to_string(),
            dir.clone(),
        ),
        None => {
            let name = args
                .name
                .clone()
                .or_else(|| exp.name.clone())
                .unwrap_or_else(|| {
                    Utf8Path::new(&source)
                        .file_stem()
                        .unwrap_or(sweep.program_name())
                        .to_string()
                });
            let (id, dir) = results::new_results_dir(root, jiff::Timestamp::now(), &name)
                .map_err(|e| failure(format!("cannot make a results folder: {e}")))?;
            std::fs::write(dir.join(EXPERIMENT_COPY), &text)
                .map_err(|e| failure(format!("cannot write {EXPERIMENT_COPY}: {e}")))?;
            (id, dir)
        }
    };
    // `results/latest` names the experiment at work, as `logs/latest` the
    // newest run (a folder resumed from elsewhere is not in results/).
    if dir.parent() == Some(root.join(results::RESULTS_DIR).as_path()) {
        results::link_latest(root, &id)
            .map_err(|e| failure(format!("cannot point results/latest at {id}: {e}")))?;
    }
    // What skip_unfit left out, for the history's count of what is
    // scheduled (written again on resume: the hosts may have changed).
    let skipped_path = dir.join(SKIPPED);
    if sweep.skipped.is_empty() {
        let _ = std::fs::remove_file(&skipped_path);
    } else {
        std::fs::write(&skipped_path, results::skipped_json(&exp, &sweep.skipped))
            .map_err(|e| failure(format!("cannot write {skipped_path}: {e}")))?;
    }
    let runs_path = dir.join(RUNS);
    let (done, unreadable) =
        results::done_runs(&std::fs::read_to_string(&runs_path).unwrap_or_default());
    if unreadable > 0 {
        ui.say(&format!(
            "e3: {unreadable} line(s) of {RUNS} could not be read (cut short?): their runs run again"
        ));
    }
    let todo: Vec<&Planned> = schedule
        .iter()
        .filter(|p| !done.contains(&p.cell.keys(&exp), p.rep))
        .collect();
    ui.say(&format!(
        "e3: experiment {id}: {} ({} × {}){}; results in {}/",
        e3_plan::count(schedule.len(), "run", "runs"),
        e3_plan::count(sweep.cells.len(), "cell", "cells"),
        e3_plan::count(exp.repeat, "rep", "reps"),
        if done.is_empty() {
            String::new()
        } else {
            format!(", {} done before", schedule.len() - todo.len())
        },
        relative_to(root, &dir)
    ));
    let mut runs_file =
        RunsFile::open(&runs_path).map_err(|e| failure(format!("cannot open {runs_path}: {e}")))?;
    let provenance = request::provenance(root);
    let mut environment_written = dir.join(ENVIRONMENT).exists();
    let (mut eta, mut sweep) = (Eta::default(), sweep);
    for (i, planned) in todo.iter().enumerate() {
        if e3_exec::interrupted() || e3_exec::interrupted_by_reader() {
            return Err(interrupted(root, &dir));
        }
        let started = Instant::now();
        let outcome = sweep.one_run(root, &planned.cell, &provenance, args.verbose, &ui);
        if e3_exec::interrupted() || e3_exec::interrupted_by_reader() {
            // The run in flight is not a result: it runs again on resume.
            return Err(interrupted(root, &dir));
        }
        let line = match &outcome {
            Ok(outcome) => results::run_line(root, planned, &exp, outcome),
            Err(err) => results::failed_line(planned, &exp, &err.message),
        };
        runs_file
            .append(&line)
            .map_err(|e| failure(format!("cannot append to {runs_path}: {e}")))?;
        // What the parties ran with, from the first run that started: the
        // same record as every run's summary.json holds.
        if !environment_written
            && let Ok(Outcome {
                summary:
                    e3_run::summary::Summary {
                        environment: Some(environment),
                        ..
                    },
                ..
            }) = &outcome
        {
            let text = format!(
                "{}\n",
                serde_json::to_string_pretty(environment).expect("json serialises")
            );
            std::fs::write(dir.join(ENVIRONMENT), text)
                .map_err(|e| failure(format!("cannot write {ENVIRONMENT}: {e}")))?;
            environment_written = true;
        }
        let took = started.elapsed();
        eta.record(took);
        let ok = line["status"] == "ok";
        let left = todo.len() - i - 1;
        ui.say(&progress(
            &exp,
            planned,
            schedule.len(),
            ok,
            took,
            left,
            eta.left(left),
        ));
        if !ok {
            if let Some(error) = line["error"].as_str() {
                let logs = match line["log_dir"].as_str() {
                    Some(dir) => format!("logs: {dir}"),
                    None => "no logs: the run did not start".to_string(),
                };
                crate::pipeline::annotate_error(
                    &format!("experiment run {} failed", planned.number),
                    &format!("run {} ({error}); {logs}", planned.number),
                );
                ui.say(&format!("    {error} ({logs})"));
            }
            if args.fail_fast {
                return Err(failure(format!(
                    "run {} failed; stopped (--fail-fast). Resume: cargo xtask experiment --resume {}",
                    planned.number,
                    relative_to(root, &dir)
                )));
            }
        }
    }
    // Counted from runs.jsonl: runs of an earlier session count too.
    let text = std::fs::read_to_string(&runs_path).unwrap_or_default();
    let statuses: Vec<bool> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| v["status"] == "ok")
        .collect();
    let ok = statuses.iter().filter(|ok| **ok).count();
    let rel = relative_to(root, &dir);
    crate::pipeline::append_summary(&format!(
        "### e3 experiment `{id}`\n\n{ok} of {} ok; results in `{rel}/`\n\n{}",
        e3_plan::count(schedule.len(), "run", "runs"),
        e3_report::results_markdown(&text)
    ));
    ui.say(&format!(
        "e3: {ok} of {} ok; results in {rel}/ (report: cargo xtask report {rel})",
        e3_plan::count(schedule.len(), "run", "runs")
    ));
    if ok < statuses.len() {
        return Err(failure(format!(
            "{} failed; see {rel}/{RUNS}",
            e3_plan::count(statuses.len() - ok, "run", "runs")
        )));
    }
    Ok(())
}

/// The experiment file's text and its name for messages: FILE, or the copy
/// in the folder resumed (FILE, when given too, must be that copy).
fn read_file(
    root: &Utf8Path,
    cwd: &Utf8Path,
    args: &ExperimentArgs,
    resume_dir: Option<&Utf8Path>,
) -> Result<(String, String)> {
    let copy = |dir: &Utf8Path| {
        std::fs::read_to_string(dir.join(EXPERIMENT_COPY)).map_err(|e| {
            usage(format!(
                "{} is not an experiment's results folder: {e}",
                relative_to(root, dir)
            ))
        })
    };
    match (&args.file, resume_dir) {
        (Some(file), resume) => {
            let text = std::fs::read_to_string(cwd.join(file))
                .map_err(|e| usage(format!("cannot read experiment file `{file}`: {e}")))?;
            if let Some(dir) = resume
                && copy(dir)? != text
            {
                return Err(usage(format!(
                    "`{file}` is not the experiment {} was started with",
                    relative_to(root, dir)
                ))
                .hint("resume with the file it was started with (or without FILE: the copy in the folder is used), or start a new experiment"));
            }
            Ok((text, file.clone()))
        }
        (None, Some(dir)) => Ok((
            copy(dir)?,
            relative_to(root, &dir.join(EXPERIMENT_COPY)).to_string(),
        )),
        (None, None) => Err(usage("give an experiment FILE, or --resume DIR")),
    }
}

/// A mistake in the file: exit 2, with its line and key.
fn file_error(err: FileError) -> Error {
    usage(err.to_string()).hint("docs/experiments.md describes every key of an experiment file")
}

/// The checked sweep: what every run shares, the network profiles with
/// their placements, and the cells that run (and those skipped, why).
struct Sweep {
    program: e3_run::Program,
    timeout: Duration,
    start_timeout: Duration,
    place: Place,
    /// By (net, placement) as the file names them.
    profiles: BTreeMap<(String, Option<String>), e3_net::Profile>,
    cells: Vec<Cell>,
    skipped: Vec<(Cell, String)>,
    /// On hosts: how many of the first hosts have the program's folder
    /// (a run syncs only when it uses one that has not).
    synced: usize,
}

impl Sweep {
    /// Reads and checks everything the experiment's runs need, before any
    /// of them: the program, where the parties run, every profile and
    /// placement, and every cell as a run (party counts, arguments,
    /// placements, the hosts); a refusal names the file's line and key.
    fn new(
        root: &Utf8Path,
        cwd: &Utf8Path,
        exp: &Experiment,
        args: &ExperimentArgs,
    ) -> Result<Sweep> {
        let program =
            request::program(root, cwd, &exp.program, exp.demos.as_deref()).map_err(|err| {
                let at = if err.message.contains("--demos") {
                    "demos"
                } else {
                    "program"
                };
                let mut e = usage(exp.error(at, at, err.message.clone()).to_string());
                e.hints = err.hints;
                e
            })?;
        let asked = hosts_asked(exp, args)?;
        let starts: Vec<Option<Start>> = exp.start.clone();
        let place = match &asked {
            Some(asked) => {
                let warm = starts.iter().any(|s| asked.start(*s).is_warm());
                Place::Hosts(
                    request::hosts(asked, warm).map_err(|err| hosts_error(exp, asked, err))?,
                )
            }
            None => Place::Local(Local {
                python: request::python(root, None)?,
                net: None,
                launcher: request::launcher()?,
            }),
        };
        let default_start = Start::choose(
            None,
            match &place {
                Place::Local(_) => Placement::Local,
                Place::Hosts(h) => Placement::PerHost(h.per_host),
            },
        );
        // Every profile, and every placement in it.
        let mut profiles = BTreeMap::new();
        for (i, net) in exp.net.iter().enumerate() {
            let Some(net) = net else { continue };
            let at = format!("net[{i}]");
            let profile = e3_net::profile::load(root, cwd, net).map_err(|err| {
                let message = match &err {
                    e3_net::profile::LoadError::Unreadable { known, .. } => format!(
                        "`{net}`: {err}; the profiles in net/ are {}, or give a path to a .toml file",
                        known.join(", ")
                    ),
                    e3_net::profile::LoadError::Invalid(_) => format!("`{net}`: {err}"),
                };
                usage(exp.error(&at, "net", message).to_string())
            })?;
            for (j, placement) in exp.placement.iter().enumerate() {
                let placed = match placement {
                    None => profile.clone(),
                    Some(p) => profile.with_placement(p).map_err(|err| {
                        usage(
                            exp.error(
                                &format!("placement[{j}]"),
                                "placement",
                                format!("`{p}` in `{net}`: {}", err.message),
                            )
                            .to_string(),
                        )
                    })?,
                };
                profiles.insert((net.clone(), placement.clone()), placed);
            }
        }
        let mut sweep = Sweep {
            program,
            timeout: Duration::from_secs(exp.timeout_secs),
            start_timeout: Duration::from_secs(exp.start_timeout_secs),
            place,
            profiles,
            cells: Vec::new(),
            skipped: Vec::new(),
            synced: 0,
        };
        // Every cell as the run it will be: what does not fit is refused
        // (or, with skip_unfit, skipped when it is the placement).
        for cell in exp.cells() {
            let cell = cell.settle(default_start);
            match sweep.request(&cell).check() {
                Ok(()) => sweep.cells.push(cell),
                Err(RequestError::Placement(err)) if exp.skip_unfit => {
                    sweep.skipped.push((cell, err.message))
                }
                Err(err) => return Err(sweep.cell_error(exp, &cell, err)),
            }
        }
        // Skipping is for cells a profile does not fit, not for a profile
        // or placement that fits no cell at all.
        for (cell, why) in &sweep.skipped {
            let fits_some = sweep
                .cells
                .iter()
                .any(|c| c.net == cell.net && c.placement == cell.placement);
            if !fits_some {
                return Err(sweep.cell_error(
                    exp,
                    cell,
                    RequestError::Placement(e3_net::ProfileError {
                        source: String::new(),
                        line: None,
                        key: None,
                        message: format!("{why}; it fits none of the party counts"),
                    }),
                ));
            }
        }
        if sweep.cells.is_empty() {
            return Err(usage(
                exp.error(
                    "skip_unfit",
                    "skip_unfit",
                    "every cell is skipped: nothing would run",
                )
                .to_string(),
            ));
        }
        Ok(sweep)
    }

    fn program_name(&self) -> &str {
        self.program.name()
    }

    /// The run of a cell, as `run`'s flags would describe it.
    fn request(&self, cell: &Cell) -> RunRequest {
        self.request_synced(cell, self.synced)
    }

    /// The same, when the first `synced` hosts have the program's folder.
    fn request_synced(&self, cell: &Cell, synced: usize) -> RunRequest {
        let place = match &self.place {
            Place::Local(local) => Place::Local(Local {
                net: cell
                    .net
                    .as_ref()
                    .map(|net| self.profiles[&(net.clone(), cell.placement.clone())].clone()),
                ..local.clone()
            }),
            Place::Hosts(hosts) => Place::Hosts(Hosts {
                // The program's folder goes to each host once, by the
                // first run that uses it.
                sync: hosts.sync && hosts_used(hosts, cell.parties) > synced,
                ..hosts.clone()
            }),
        };
        RunRequest {
            program: self.program.clone(),
            args: cell.program_args(),
            parties: Some(cell.parties),
            start: cell.start,
            timeout: self.timeout,
            base_port: prun::DEFAULT_PORT,
            tls: cell.tls.unwrap_or(false),
            start_timeout: Some(self.start_timeout),
            place,
        }
    }

    /// Why a cell cannot run, at the line of the key that decides it.
    fn cell_error(&self, exp: &Experiment, cell: &Cell, err: RequestError) -> Error {
        let in_cell = format!("in cell {}", cell.describe(exp));
        let net_at = |exp: &Experiment| {
            let i = exp.net.iter().position(|n| *n == cell.net).unwrap_or(0);
            match &cell.placement {
                Some(p) => {
                    let j = exp.placement.iter().position(|x| x.as_ref() == Some(p));
                    (format!("placement[{}]", j.unwrap_or(0)), "placement")
                }
                None => (format!("net[{i}]"), "net"),
            }
        };
        let (at, key, message, hint): (String, &str, String, Option<String>) = match &err {
            RequestError::Placement(e) => {
                let (at, key) = net_at(exp);
                (
                    at,
                    key,
                    format!(
                        "{in_cell}: `{}` {}",
                        cell.net.as_deref().unwrap_or_default(),
                        e.message.replace("; change --parties, or give --placement", "")
                    ),
                    Some(
                        "add a `placement` that holds every party count, drop the party count, or set `skip_unfit = true` to skip such cells"
                            .into(),
                    ),
                )
            }
            RequestError::Layout { file, error } => (
                "parties".into(),
                "parties",
                format!("{in_cell}: the hosts file `{file}`: {error}"),
                Some("add hosts, raise `parties_per_host` in [hosts] (or --parties-per-host), or drop the party count".into()),
            ),
            RequestError::ProgramArgs(e) => (
                "args".into(),
                "args",
                format!("{in_cell}: {}", e.message),
                Some(e.hint.clone()),
            ),
            RequestError::Parties { .. } => ("parties".into(), "parties", format!("{in_cell}: {err}"), None),
            _ => return request::word(err),
        };
        let mut error = usage(exp.error(&at, key, message).to_string());
        if let Some(hint) = hint {
            error = error.hint(hint);
        }
        error
    }

    /// One run of a cell through the run engine, as `cargo xtask run` makes it.
    fn one_run(
        &mut self,
        root: &Utf8Path,
        cell: &Cell,
        provenance: &e3_run::Provenance,
        verbose: bool,
        ui: &Ui,
    ) -> Result<Outcome> {
        let request = self.request(cell);
        let prepared = request.prepare(root).map_err(request::word)?;
        // Party 0's output and e3's own lines only when asked: one line a run.
        let progress = |event: RunEvent<'_>| {
            if verbose || matches!(event, RunEvent::MakingEnv | RunEvent::EnvReady { .. }) {
                ui.run_event(event);
            }
        };
        let outcome = prepared.run(root, &request, provenance, &progress)?;
        // The program's folder is on these hosts now.
        if let Place::Hosts(hosts) = &self.place {
            self.synced = self.synced.max(hosts_used(hosts, cell.parties));
        }
        Ok(outcome)
    }
}

/// How many of the hosts (the first ones) a run of `parties` uses.
fn hosts_used(hosts: &Hosts, parties: usize) -> usize {
    parties.div_ceil(hosts.per_host.max(1))
}

/// The file's `[hosts]`, with the command line's flags over it; `None`:
/// the parties run on this machine.
fn hosts_asked(exp: &Experiment, args: &ExperimentArgs) -> Result<Option<HostsAsked>> {
    let flags = &args.on_hosts;
    let Some(file) = flags
        .hosts
        .clone()
        .or_else(|| exp.hosts.as_ref().map(|h| h.file.clone()))
    else {
        if let Some(flag) = flags.given().first() {
            return Err(usage(format!("{flag} is for experiments on hosts")).hint(
                "add --hosts FILE, or a [hosts] table with `file = \"hosts.pssh\"` to the experiment file",
            ));
        }
        return Ok(None);
    };
    if exp.net.iter().any(Option::is_some) {
        return Err(usage(
            exp.error(
                "net",
                "net",
                "network profiles emulate regions for local runs; with --hosts the network is real: drop one of them",
            )
            .to_string(),
        ));
    }
    let from_file = exp.hosts.clone().unwrap_or_default();
    let remote = &flags.remote;
    Ok(Some(HostsAsked {
        file,
        remote: crate::cli::RemoteArgs {
            remote_dir: remote.remote_dir.clone().or(from_file.remote_dir),
            ssh_config: remote.ssh_config.clone().or(from_file.ssh_config),
            ssh_user: remote.ssh_user.clone().or(from_file.ssh_user),
            connect_timeout: remote.connect_timeout.or(from_file.connect_timeout),
            parallel: remote.parallel.or(from_file.parallel),
            known_hosts: remote.known_hosts.clone(),
            keep_connections: remote.keep_connections.or(from_file.keep_connections),
        },
        per_host: flags.parties_per_host.or(from_file.parties_per_host),
        remote_python: flags.remote_python.clone().or(from_file.remote_python),
        no_sync: flags.no_sync || from_file.no_sync,
    }))
}

/// A hosts setting that is not right: at its line in [hosts] when it came
/// from the file (the flags' own words otherwise).
fn hosts_error(exp: &Experiment, asked: &HostsAsked, err: Error) -> Error {
    let Some(hosts) = &exp.hosts else {
        return err;
    };
    let from_file = [
        ("--ssh-config", "ssh_config", hosts.ssh_config.as_deref()),
        ("--ssh-user", "ssh_user", hosts.ssh_user.as_deref()),
        ("--remote-dir", "remote_dir", hosts.remote_dir.as_deref()),
    ];
    for (flag, key, value) in from_file {
        if err.message.contains(flag) && value.is_some() {
            let message = err.message.replace(&format!("{flag} "), "");
            let mut e = usage(
                exp.error(&format!("hosts.{key}"), &format!("hosts.{key}"), message)
                    .to_string(),
            );
            e.hints = err.hints;
            return e;
        }
    }
    if err.message.contains(&format!("`{}`", asked.file)) && hosts.file == asked.file {
        let mut e = usage(
            exp.error("hosts.file", "hosts.file", err.message.clone())
                .to_string(),
        );
        e.hints = err.hints;
        return e;
    }
    err
}

fn interrupted(root: &Utf8Path, dir: &Utf8Path) -> Error {
    failure(format!(
        "interrupted; the runs that ended are kept. Resume: cargo xtask experiment --resume {}",
        relative_to(root, dir)
    ))
}

/// `run 7/24 parties=12 n=16 start=warm rep 2/3 ok 1.84 s; about 40 s left`
fn progress(
    exp: &Experiment,
    planned: &Planned,
    total: usize,
    ok: bool,
    took: Duration,
    runs_left: usize,
    left: Option<Duration>,
) -> String {
    let left = match (runs_left, left) {
        (0, _) => "; done".to_string(),
        (_, Some(d)) if d.as_secs() > 0 => format!("; about {} s left", d.as_secs()),
        (_, Some(_)) => "; about a second left".to_string(),
        (_, None) => String::new(),
    };
    format!(
        "run {}/{total} {} rep {}/{} {} {:.2} s{left}",
        planned.number,
        planned.cell.describe(exp),
        planned.rep,
        exp.repeat,
        if ok { "ok" } else { "FAILED" },
        took.as_secs_f64()
    )
}

/// What the sweep would do: its verdict (every check ran), the runs in
/// order, and each cell's plan, as the real sweep would run it.
fn print_plan(
    root: &Utf8Path,
    exp: &Experiment,
    sweep: &Sweep,
    schedule: &[Planned],
) -> Result<()> {
    crate::out::outln!(
        "# experiment {}: {} ({} × {}), every cell checked",
        exp.source,
        e3_plan::count(schedule.len(), "run", "runs"),
        e3_plan::count(sweep.cells.len(), "cell", "cells"),
        e3_plan::count(exp.repeat, "rep", "reps"),
    );
    for (cell, why) in &sweep.skipped {
        crate::out::outln!("# skipped (skip_unfit): {}: {why}", cell.describe(exp));
    }
    for planned in schedule {
        crate::out::outln!(
            "# run {}/{}: {} rep {}/{}",
            planned.number,
            schedule.len(),
            planned.cell.describe(exp),
            planned.rep,
            exp.repeat
        );
    }
    // Every repetition of a cell runs the same commands: each cell once,
    // in the order the sweep first runs it (and syncs as it would).
    let mut synced = 0;
    for cell in &sweep.cells {
        crate::out::outln!("\n# cell {}", cell.describe(exp));
        let request = sweep.request_synced(cell, synced);
        let prepared = request.prepare_dry(root).map_err(request::word)?;
        crate::out::print(&prepared.plan(root).render());
        if let Place::Hosts(hosts) = &sweep.place {
            synced = synced.max(hosts_used(hosts, cell.parties));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_names_every_key_of_the_cell() {
        let exp = e3_experiment::file::parse(
            "program = \"p\"\nparties = [4]\nn = [8, 16]\nargs = [\"{n}\"]\nstart = [\"warm\", \"cold\"]\nrepeat = 2\n",
            "x.toml",
        )
        .unwrap();
        let cells: Vec<Cell> = exp.cells();
        let schedule = sweep::schedule(&cells, exp.repeat);
        let line = progress(
            &exp,
            &schedule[5],
            schedule.len(),
            true,
            Duration::from_millis(1840),
            2,
            Some(Duration::from_secs(4)),
        );
        assert_eq!(
            line,
            "run 6/8 parties=4 n=8 start=cold rep 2/2 ok 1.84 s; about 4 s left"
        );
    }
}
