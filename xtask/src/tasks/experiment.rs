//! `cargo xtask experiment FILE`: a sweep of runs (party counts × program
//! arguments × repetitions, interleaved), each through the same engine as
//! `cargo xtask run`, every result appended to `results/<id>/runs.jsonl`
//! as its run ends. `--resume results/<id>` goes on where it stopped.

use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use e3_experiment::environment::{self, Found};
use e3_experiment::file::{Cell, Experiment};
use e3_experiment::results::{self, ENVIRONMENT, EXPERIMENT_COPY, RUNS, RunKey, RunsFile};
use e3_experiment::sweep::{self, Eta, Planned};
use e3_inventory::Inventory;
use e3_run::python::Python;
use e3_run::warm::RemoteWarm;
use e3_run::{Outcome, Placement, Program, RemotePlan, RunEvent, RunSpec, Start};
use e3_ssh::Ssh;

use crate::cli::{ExperimentArgs, RemoteArgs};
use crate::error::{Error, Result, failure, usage};
use crate::paths::{current_dir, relative_to};
use crate::tasks::run::{
    LocalRun, LocalStart, party_commands, prepare_local, remote_plan, resolve_profile,
    resolve_program, resolve_python,
};
use crate::ui::Ui;
use crate::{remote, tools};

/// Where the parties run.
enum Place {
    Local(Python),
    Hosts {
        file: String,
        per_host: usize,
        ssh: Ssh,
        inventory: Inventory,
        rsync: Option<Utf8PathBuf>,
    },
}

pub fn run(root: &Utf8Path, dry_run: bool, args: &ExperimentArgs) -> Result<()> {
    let cwd = current_dir()?;
    let resume_dir = args.resume.as_deref().map(|d| cwd.join(d));
    let (text, source) = match (&args.file, &resume_dir) {
        (Some(file), _) => (
            std::fs::read_to_string(cwd.join(file))
                .map_err(|e| usage(format!("cannot read experiment file `{file}`: {e}")))?,
            file.clone(),
        ),
        (None, Some(dir)) => (
            std::fs::read_to_string(dir.join(EXPERIMENT_COPY)).map_err(|e| {
                usage(format!(
                    "{} is not an experiment's results folder: {e}",
                    relative_to(root, dir)
                ))
            })?,
            relative_to(root, &dir.join(EXPERIMENT_COPY)).to_string(),
        ),
        (None, None) => return Err(usage("give an experiment FILE, or --resume DIR")),
    };
    let exp = e3_experiment::file::parse(&text, &source).map_err(|e| usage(e.to_string()))?;
    if let (Some(dir), Some(file)) = (&resume_dir, &args.file) {
        let copy = std::fs::read_to_string(dir.join(EXPERIMENT_COPY)).map_err(|e| {
            usage(format!(
                "{} is not an experiment's results folder: {e}",
                relative_to(root, dir)
            ))
        })?;
        if copy != text {
            return Err(usage(format!(
                "`{file}` is not the experiment {} was started with",
                relative_to(root, dir)
            ))
            .hint("resume with the file it was started with (or without FILE: the copy in the folder is used), or start a new experiment"));
        }
    }
    let program = resolve_program(root, &cwd, &exp.program, exp.demos.as_deref())?;
    let schedule = sweep::schedule(&exp);
    let mut place = place(root, &exp)?;
    if dry_run {
        return print_plan(root, &exp, &program, &mut place, &schedule);
    }

    let ui = Ui::new(false);
    let (id, dir) = match &resume_dir {
        Some(dir) => (
            dir.file_name().unwrap_or("results").to_string(),
            dir.clone(),
        ),
        None => {
            let name = Utf8Path::new(&source)
                .file_stem()
                .unwrap_or(program.name())
                .to_string();
            let (id, dir) = results::new_results_dir(root, jiff::Timestamp::now(), &name)
                .map_err(|e| failure(format!("cannot make a results folder: {e}")))?;
            std::fs::write(dir.join(EXPERIMENT_COPY), &text)
                .map_err(|e| failure(format!("cannot write {EXPERIMENT_COPY}: {e}")))?;
            let env = environment_record(root, &place);
            std::fs::write(
                dir.join(ENVIRONMENT),
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&env).expect("json serialises")
                ),
            )
            .map_err(|e| failure(format!("cannot write {ENVIRONMENT}: {e}")))?;
            (id, dir)
        }
    };
    // `results/latest` names the experiment at work, as `logs/latest` the
    // newest run (a folder resumed from elsewhere is not in results/).
    if dir.parent() == Some(root.join(results::RESULTS_DIR).as_path()) {
        results::link_latest(root, &id)
            .map_err(|e| failure(format!("cannot point results/latest at {id}: {e}")))?;
    }
    let runs_path = dir.join(RUNS);
    let (done, unreadable) =
        results::done_runs(&std::fs::read_to_string(&runs_path).unwrap_or_default());
    if unreadable > 0 {
        ui.say(&format!(
            "e3: {unreadable} line(s) of {RUNS} could not be read (cut short?): their runs run again"
        ));
    }
    let todo: Vec<&Planned> = schedule.iter().filter(|p| !done.contains(&p.key)).collect();
    ui.say(&format!(
        "e3: experiment {id}: {} ({} × {}){}; results in {}/",
        e3_plan::count(schedule.len(), "run", "runs"),
        e3_plan::count(exp.cells().len(), "cell", "cells"),
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
    let (mut eta, mut place) = (Eta::default(), place);
    for (i, planned) in todo.iter().enumerate() {
        if e3_exec::interrupted() || e3_exec::interrupted_by_reader() {
            return Err(interrupted(root, &dir));
        }
        let started = Instant::now();
        let outcome = one_run(
            root,
            &exp,
            &program,
            &mut place,
            &planned.key,
            args.verbose,
            &ui,
        );
        if e3_exec::interrupted() || e3_exec::interrupted_by_reader() {
            // The run in flight is not a result: it runs again on resume.
            return Err(interrupted(root, &dir));
        }
        let line = match &outcome {
            Ok(outcome) => results::run_line(root, planned.number, &planned.key, outcome),
            Err(err) => results::failed_line(planned.number, &planned.key, &err.message),
        };
        runs_file
            .append(&line)
            .map_err(|e| failure(format!("cannot append to {runs_path}: {e}")))?;
        let took = started.elapsed();
        eta.record(took);
        let ok = line["status"] == "ok";
        ui.say(&progress(
            planned,
            schedule.len(),
            exp.repeat,
            ok,
            took,
            todo.len() - i - 1,
            eta.left(todo.len() - i - 1),
        ));
        if !ok {
            if let Some(error) = line["error"].as_str() {
                let logs = line["log_dir"].as_str().unwrap_or("-");
                crate::pipeline::annotate_error(
                    &format!("experiment run {} failed", planned.number),
                    &format!("run {} ({error}); its logs: {logs}", planned.number),
                );
                ui.say(&format!("    {error} (logs: {logs})"));
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

fn interrupted(root: &Utf8Path, dir: &Utf8Path) -> Error {
    failure(format!(
        "interrupted; the runs that ended are kept. Resume: cargo xtask experiment --resume {}",
        relative_to(root, dir)
    ))
}

/// `run 7/24 parties=12 args=16 rep 2/3 ok 1.84 s; about 40 s left`
fn progress(
    planned: &Planned,
    total: usize,
    reps: usize,
    ok: bool,
    took: Duration,
    runs_left: usize,
    left: Option<Duration>,
) -> String {
    let args = if planned.key.args.is_empty() {
        "-".to_string()
    } else {
        planned.key.args.join(" ")
    };
    let left = match (runs_left, left) {
        (0, _) => "; done".to_string(),
        (_, Some(d)) if d.as_secs() > 0 => format!("; about {} s left", d.as_secs()),
        (_, Some(_)) => "; about a second left".to_string(),
        (_, None) => String::new(),
    };
    let net = planned
        .key
        .net
        .as_ref()
        .map_or(String::new(), |n| format!(" net={n}"));
    format!(
        "run {}/{total} parties={} args={args}{net} rep {}/{reps} {} {:.2} s{left}",
        planned.number,
        planned.key.parties,
        planned.key.rep,
        if ok { "ok" } else { "FAILED" },
        took.as_secs_f64()
    )
}

fn place(root: &Utf8Path, exp: &Experiment) -> Result<Place> {
    match &exp.hosts {
        None => Ok(Place::Local(resolve_python(root, None)?)),
        Some(hosts) => {
            let (ssh, inventory) = remote::resolve(&no_remote_flags(), &hosts.file)?;
            let rsync = Some(tools::require(
                "rsync",
                "install rsync (Debian/Ubuntu: `apt-get install rsync`)",
            )?);
            Ok(Place::Hosts {
                file: hosts.file.clone(),
                per_host: hosts.parties_per_host,
                ssh,
                inventory,
                rsync,
            })
        }
    }
}

/// e3's defaults for reaching hosts (an experiment file sets none of them).
fn no_remote_flags() -> RemoteArgs {
    RemoteArgs {
        remote_dir: None,
        ssh_config: None,
        ssh_user: None,
        connect_timeout: None,
        parallel: None,
    }
}

/// One run through the run engine, as `cargo xtask run` makes it.
fn one_run(
    root: &Utf8Path,
    exp: &Experiment,
    program: &Program,
    place: &mut Place,
    key: &RunKey,
    verbose: bool,
    ui: &Ui,
) -> Result<Outcome> {
    let program_args = sweep::program_args(exp, &key.args);
    let cell = Cell {
        parties: key.parties,
        args: key.args.clone(),
        net: key.net.clone(),
    };
    let run = cell_run(root, program, place, &cell, &program_args)?;
    let net = match &run {
        CellRun::Local(local) => local.net.as_ref(),
        CellRun::Hosts(_) => None,
    };
    let start = match &run {
        CellRun::Local(local) => local.start,
        CellRun::Hosts(plan) if plan.zygotes.is_empty() => Start::Cold,
        CellRun::Hosts(_) => Start::Warm,
    };
    let spec = RunSpec {
        root,
        program,
        args: &program_args,
        timeout: Duration::from_secs(exp.timeout_secs),
        net,
        start,
    };
    // Party 0's output and e3's own lines only when asked: one line a run.
    let progress = |event: RunEvent<'_>| {
        if verbose || matches!(event, RunEvent::MakingEnv | RunEvent::EnvReady { .. }) {
            ui.run_event(event);
        }
    };
    match (&run, place) {
        (CellRun::Local(run), Place::Local(python)) => Ok(e3_run::run_local(
            &spec,
            python,
            run.plan.clone(),
            run.table.clone(),
            &progress,
        )?),
        (CellRun::Hosts(plan), Place::Hosts { ssh, rsync, .. }) => {
            let outcome = e3_run::run_remote(&spec, plan, ssh, &progress)?;
            // The program's folder is on the hosts now: no sync for later runs.
            *rsync = None;
            Ok(outcome)
        }
        _ => unreachable!("cell_run makes a run of the place's kind"),
    }
}

/// What one run of a cell is made of; `--dry-run` prints the very same.
enum CellRun {
    Local(Box<LocalRun>),
    Hosts(Box<RemotePlan>),
}

fn cell_run(
    root: &Utf8Path,
    program: &Program,
    place: &Place,
    cell: &Cell,
    program_args: &[String],
) -> Result<CellRun> {
    let parties = cell.parties;
    Ok(match place {
        Place::Local(python) => {
            let net = match &cell.net {
                Some(name) => Some(resolve_profile(root, name, None)?),
                None => None,
            };
            CellRun::Local(Box::new(prepare_local(
                root,
                program,
                program_args,
                parties,
                python,
                prun::DEFAULT_PORT,
                LocalStart {
                    start: Start::choose(None, Placement::Local),
                    net,
                },
            )?))
        }
        Place::Hosts {
            file,
            per_host,
            ssh,
            inventory,
            rsync,
        } => {
            let commands = party_commands(
                inventory,
                file,
                program,
                Some(parties),
                *per_host,
                prun::DEFAULT_PORT,
                program_args,
            )?;
            CellRun::Hosts(Box::new(remote_plan(
                ssh,
                rsync.as_deref(),
                program,
                &commands,
                &no_remote_flags(),
                "python3",
                Start::choose(None, Placement::PerHost(*per_host))
                    .is_warm()
                    .then(|| RemoteWarm::new(rsync.clone().unwrap_or_default()))
                    .as_ref(),
            )))
        }
    })
}

fn print_plan(
    root: &Utf8Path,
    exp: &Experiment,
    program: &Program,
    place: &mut Place,
    schedule: &[Planned],
) -> Result<()> {
    for planned in schedule {
        crate::out::outln!(
            "# run {}/{}: parties={} args={}{} rep {}/{}",
            planned.number,
            schedule.len(),
            planned.key.parties,
            planned.key.args.join(" "),
            planned
                .key
                .net
                .as_ref()
                .map_or(String::new(), |n| format!(" net={n}")),
            planned.key.rep,
            exp.repeat
        );
    }
    // Every repetition of a cell runs the same commands: each cell once.
    for cell in exp.cells() {
        let program_args = sweep::program_args(exp, &cell.args);
        crate::out::outln!(
            "\n# cell parties={} args={}{}",
            cell.parties,
            cell.args.join(" "),
            cell.net
                .as_ref()
                .map_or(String::new(), |n| format!(" net={n}"))
        );
        match cell_run(root, program, place, &cell, &program_args)? {
            CellRun::Local(local) => crate::out::print(&local.plan.render()),
            CellRun::Hosts(plan) => crate::out::print(&plan.to_plan(root).render()),
        }
        // As in the real sweep: the program's folder is synced once, first.
        if let Place::Hosts { rsync, .. } = place {
            *rsync = None;
        }
    }
    Ok(())
}

/// What the experiment runs on; a probe that fails leaves its field null.
fn environment_record(root: &Utf8Path, place: &Place) -> serde_json::Value {
    let (mut commit, mut dirty) = (None, None);
    if let Ok(git) = tools::find("git") {
        let (rev, status) = environment::git_cmds(&git);
        if let Ok(out) = e3_exec::capture_in(Some(root), &rev)
            && out.end.success()
        {
            commit = Some(out.stdout.trim().to_string());
        }
        if let Ok(out) = e3_exec::capture_in(Some(root), &status)
            && out.end.success()
        {
            dirty = Some(!out.stdout.trim().is_empty());
        }
    }
    let (versions, hosts) = match place {
        Place::Local(python) => {
            let out = e3_exec::capture(&environment::versions_cmd(&python.interpreter()));
            let v = out.map_or(serde_json::Value::Null, |o| {
                environment::parse_versions(&o.stdout)
            });
            (vec![("local".to_string(), v)], Vec::new())
        }
        Place::Hosts { ssh, inventory, .. } => {
            let script = format!(
                "python3 -c {}",
                e3_plan::quote(environment::VERSIONS_SCRIPT)
            );
            let versions = inventory
                .hosts
                .iter()
                .map(|host| {
                    let out = e3_exec::capture(&ssh.remote(host, false, script.clone()));
                    let v = out.map_or(serde_json::Value::Null, |o| {
                        environment::parse_versions(&o.stdout)
                    });
                    (host.name.clone(), v)
                })
                .collect();
            let hosts = inventory
                .hosts
                .iter()
                .map(|h| (h.name.clone(), h.region.clone()))
                .collect();
            (versions, hosts)
        }
    };
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    environment::record(&Found {
        commit: commit.as_deref(),
        dirty,
        versions,
        hosts,
        recorded_at: &now,
    })
}
