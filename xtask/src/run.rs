//! `cargo xtask run PROGRAM --parties N`: N MPyC parties at once, watched
//! together, each one's log kept, and a summary at the end.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::time::{Duration, Instant, SystemTime};

use camino::{Utf8Path, Utf8PathBuf};
use e3_exec::{End, Event, GroupOptions, GroupReport, Observer, Verdict};
use e3_plan::{Cmd, Job, Plan, Step};
use prun::mpyc::{StopLine, is_connected_line, parse_stop_line};
use prun::{Layout, Party};
use serde_json::json;

use crate::cli::RunArgs;
use crate::error::{Context, Result, failure, usage};
use crate::paths::{current_dir, relative_to};
use crate::python::{self, Python};
use crate::{logs, ports, time, ui::Ui};

/// The program the parties run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The folder it runs in (MPyC demos read files next to them).
    pub dir: Utf8PathBuf,
    /// Its file name within `dir`.
    pub file: String,
}

impl Program {
    pub fn name(&self) -> &str {
        self.file.strip_suffix(".py").unwrap_or(&self.file)
    }
}

pub fn run(root: &Utf8Path, dry_run: bool, args: &RunArgs) -> Result<()> {
    let cwd = current_dir()?;
    let program = resolve_program(root, &cwd, &args.program, args.demos.as_deref())?;
    prun::check_party_count(args.parties)
        .map_err(|e| usage(format!("--parties {}: {e}", args.parties)))?;
    prun::mpyc::check_program_args(&args.args, args.parties).map_err(usage)?;
    if args.timeout == 0 {
        return Err(usage("--timeout must be at least 1 second"));
    }
    let python = python::resolve(root, args.python.as_deref())?;
    let ports = ports::reserve(args.base_port, args.parties)?;
    let layout = Layout {
        parties: args.parties,
        per_host: args.parties,
        base_port: ports.first,
    };
    let table =
        prun::party_table(&["127.0.0.1".to_string()], &layout).map_err(|e| usage(e.to_string()))?;
    let plan = plan_local(root, &program, &args.args, &python, &table);
    if dry_run {
        print!("{}", plan.render());
        return Ok(());
    }
    let ui = Ui::new(args.json);
    let mut group = None;
    let mut setup = Plan {
        workdir: plan.workdir.clone(),
        steps: Vec::new(),
    };
    for step in plan.steps {
        match step {
            Step::Together { jobs, .. } => group = Some(jobs),
            other => setup.steps.push(other),
        }
    }
    prepare_python(root, &python, &setup, &ui)?;
    let jobs = group.expect("a run plan has a group of parties");
    let timeout = Duration::from_secs(args.timeout);
    run_parties(root, &program, &args.args, &table, &jobs, timeout, &ui)
}

/// Finds PROGRAM: a path to a `.py` file, or a name in the demos folder.
pub fn resolve_program(
    root: &Utf8Path,
    cwd: &Utf8Path,
    spec: &str,
    demos: Option<&str>,
) -> Result<Program> {
    let demos_dir = match demos {
        Some(dir) => {
            let dir = cwd.join(dir);
            if !dir.is_dir() {
                return Err(usage(format!("--demos folder `{dir}` does not exist")));
            }
            dir
        }
        None => root.join("demos"),
    };
    if spec.contains('/') || spec.ends_with(".py") {
        let path = cwd.join(spec);
        if !path.is_file() {
            return Err(usage(format!("program file `{spec}` does not exist")));
        }
        let path = path
            .canonicalize_utf8()
            .context(|| format!("cannot resolve {path}"))?;
        let (Some(dir), Some(file)) = (path.parent(), path.file_name()) else {
            return Err(usage(format!("`{spec}` is not a program file")));
        };
        return Ok(Program {
            dir: dir.to_path_buf(),
            file: file.to_string(),
        });
    }
    let file = format!("{spec}.py");
    if demos_dir.join(&file).is_file() {
        let dir = demos_dir
            .canonicalize_utf8()
            .context(|| format!("cannot resolve {demos_dir}"))?;
        return Ok(Program { dir, file });
    }
    let available = list_programs(&demos_dir);
    let shown = relative_to(root, &demos_dir);
    Err(usage(format!(
        "unknown program `{spec}`: there is no {file} in {shown}/"
    ))
    .hint(if available.is_empty() {
        format!("{shown}/ has no .py programs; give a path to a .py file or another --demos DIR")
    } else {
        format!("available in {shown}/: {}", available.join(", "))
    }))
}

fn list_programs(dir: &Utf8Path) -> Vec<String> {
    let mut names: Vec<String> = dir
        .read_dir_utf8()
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().strip_suffix(".py").map(str::to_string))
        .filter(|n| !n.starts_with('_'))
        .collect();
    names.sort();
    names
}

/// The plan of a local run: make the Python environment if needed, then
/// start party i as `python PROGRAM ARGS -I i -P 127.0.0.1:port_0 ...`.
pub fn plan_local(
    root: &Utf8Path,
    program: &Program,
    args: &[String],
    python: &Python,
    table: &[Party],
) -> Plan {
    let mut plan = Plan::new(root);
    plan.steps.extend(python.setup_steps());
    let interpreter = python.interpreter();
    let jobs = table
        .iter()
        .map(|party| Job {
            label: format!("party {}", party.index),
            cmd: Cmd::new(&interpreter)
                .arg(&program.file)
                .args(args)
                .args(prun::mpyc_args(table, party.index))
                .env("PYTHONUNBUFFERED", "1")
                .cwd(relative_to(root, &program.dir)),
        })
        .collect();
    plan.push(Step::Together {
        what: format!("{} parties of {}", table.len(), program.file),
        jobs,
    });
    plan
}

/// Runs the setup steps (making `.e3/venv`) under a lock, so that two runs
/// at once do not build the environment twice.
fn prepare_python(root: &Utf8Path, python: &Python, setup: &Plan, ui: &Ui) -> Result<()> {
    let Python::Managed(managed) = python else {
        return Ok(());
    };
    if managed.up_to_date {
        return Ok(());
    }
    let _lock = e3_exec::FileLock::acquire(&root.join(".e3/venv.lock"))?;
    if python::is_up_to_date(&managed.venv, &managed.stamp) {
        return Ok(());
    }
    ui.say(&format!(
        "e3: making the python env {} from {} (first run only; takes a minute)",
        python::VENV_DIR,
        python::REQUIREMENTS
    ));
    let started = Instant::now();
    e3_exec::run_plan(setup, |step| {
        if let Step::Run(cmd) = step {
            ui.say(&format!("e3: $ {cmd}"));
        }
    })
    .map_err(|e| failure(format!("making the python env failed: {}", e.message)))?;
    ui.say(&format!(
        "e3: python env ready in {:.1}s",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// How a party came out of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Ended on its own with an error: a culprit.
    Failed,
    /// e3 stopped it because of another party, a timeout or Ctrl-C.
    Stopped,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Stopped => "stopped",
        }
    }
}

struct PartyState {
    log: BufWriter<File>,
    log_path: Utf8PathBuf,
    connected_after: Option<Duration>,
    stop: Option<StopLine>,
    tail: VecDeque<String>,
}

const TAIL_LINES: usize = 15;

struct RunObserver<'a> {
    ui: &'a Ui,
    parties: Vec<PartyState>,
    started: Instant,
    connected: usize,
    announced_all: bool,
}

impl Observer for RunObserver<'_> {
    fn event(&mut self, event: Event<'_>) -> Verdict {
        match event {
            Event::Started { .. } => Verdict::Continue,
            Event::Line { job, line } => {
                let total = self.parties.len();
                let party = &mut self.parties[job];
                let _ = writeln!(party.log, "{line}");
                if party.tail.len() == TAIL_LINES {
                    party.tail.pop_front();
                }
                party.tail.push_back(line.to_string());
                if job == 0 {
                    self.ui.say(&format!("party 0 | {line}"));
                }
                if party.connected_after.is_none() && is_connected_line(line) {
                    party.connected_after = Some(self.started.elapsed());
                    self.connected += 1;
                    self.ui.say(&format!(
                        "e3: party {job} connected ({}/{total})",
                        self.connected
                    ));
                    if self.connected == total && !self.announced_all {
                        self.announced_all = true;
                        self.ui.say(&format!(
                            "e3: all {total} parties connected after {:.2}s",
                            self.started.elapsed().as_secs_f64()
                        ));
                    }
                } else if let Some(stop) = parse_stop_line(line) {
                    party.stop = Some(stop);
                }
                Verdict::Continue
            }
            Event::Exited { job, end, stopped } => {
                let party = &mut self.parties[job];
                let _ = party.log.flush();
                let after = self.started.elapsed().as_secs_f64();
                if end.success() {
                    self.ui
                        .say(&format!("e3: party {job} done after {after:.2}s"));
                    Verdict::Continue
                } else if stopped {
                    self.ui.say(&format!("e3: party {job} stopped ({end})"));
                    Verdict::Continue
                } else {
                    self.ui
                        .say(&format!("e3: party {job} FAILED ({end}) after {after:.2}s"));
                    Verdict::Stop(format!("party {job} failed ({end})"))
                }
            }
        }
    }
}

/// Starts every party, watches them, and writes the logs and the summary.
fn run_parties(
    root: &Utf8Path,
    program: &Program,
    args: &[String],
    table: &[Party],
    jobs: &[Job],
    timeout: Duration,
    ui: &Ui,
) -> Result<()> {
    let started_at = SystemTime::now();
    let (run_id, dir) = logs::new_run_dir(root, started_at, program.name())?;
    let mut parties = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        let log_path = dir.join(format!("party-{i}.log"));
        let file = File::create(&log_path).context(|| format!("cannot create {log_path}"))?;
        let mut log = BufWriter::new(file);
        writeln!(log, "$ {}", job.cmd).context(|| format!("cannot write {log_path}"))?;
        parties.push(PartyState {
            log,
            log_path,
            connected_after: None,
            stop: None,
            tail: VecDeque::new(),
        });
    }
    logs::link_latest(root, &run_id)?;
    let rel_dir = relative_to(root, &dir);
    ui.say(&format!(
        "e3: starting {} parties of {} on {}; logs in {rel_dir}/",
        jobs.len(),
        program.file,
        port_range(table)
    ));
    let mut observer = RunObserver {
        ui,
        parties,
        started: Instant::now(),
        connected: 0,
        announced_all: false,
    };
    let options = GroupOptions {
        timeout: Some(timeout),
        grace: Duration::from_secs(3),
    };
    let report = e3_exec::run_together(Some(root), jobs, &options, &mut observer)?;
    for party in &mut observer.parties {
        let _ = party.log.flush();
    }

    let summary = Summary::new(
        &run_id, started_at, program, args, table, &observer, &report, root,
    );
    let summary_path = dir.join("summary.json");
    let json = serde_json::to_string_pretty(&summary.to_json()).expect("a json value serialises");
    std::fs::write(&summary_path, format!("{json}\n"))
        .context(|| format!("cannot write {summary_path}"))?;
    if ui.json {
        println!("{json}");
    } else {
        ui.say("");
        ui.say(&summary.table());
    }
    let ok = summary
        .parties
        .iter()
        .filter(|p| p.status == Status::Ok)
        .count();
    if let Some(error) = summary.failure() {
        for culprit in summary
            .parties
            .iter()
            .filter(|p| p.status == Status::Failed)
        {
            ui.say(&format!("\n--- last lines of {} ---", culprit.log));
            for line in &observer.parties[culprit.index].tail {
                ui.say(line);
            }
        }
        ui.say(&format!(
            "\ne3: {ok} of {} parties ok; logs in {rel_dir}/ (logs/latest)",
            table.len()
        ));
        return Err(failure(error));
    }
    ui.say(&format!(
        "e3: {ok} of {} parties ok in {:.2}s; logs in {rel_dir}/ (logs/latest)",
        table.len(),
        report.wall.as_secs_f64()
    ));
    Ok(())
}

fn port_range(table: &[Party]) -> String {
    match (table.first(), table.last()) {
        (Some(a), Some(b)) if table.len() > 1 => format!("{}-{}", a.address(), b.port),
        (Some(a), _) => a.address(),
        _ => String::new(),
    }
}

/// One party's line of the summary.
#[derive(Clone, Debug)]
pub struct PartySummary {
    pub index: usize,
    pub host: String,
    pub port: u16,
    pub status: Status,
    pub end: End,
    pub wall: Duration,
    pub connected_after: Option<Duration>,
    pub stop: Option<StopLine>,
    /// Relative to the workspace root.
    pub log: Utf8PathBuf,
}

#[derive(Clone, Debug)]
pub struct Summary {
    pub run_id: String,
    pub started_at: String,
    pub program: String,
    pub args: Vec<String>,
    pub parties: Vec<PartySummary>,
    pub stopped: Option<String>,
    pub wall: Duration,
}

impl Summary {
    #[allow(clippy::too_many_arguments)]
    fn new(
        run_id: &str,
        started_at: SystemTime,
        program: &Program,
        args: &[String],
        table: &[Party],
        observer: &RunObserver<'_>,
        report: &GroupReport,
        root: &Utf8Path,
    ) -> Summary {
        let parties = table
            .iter()
            .zip(&report.jobs)
            .zip(&observer.parties)
            .map(|((party, end), state)| PartySummary {
                index: party.index,
                host: party.host.clone(),
                port: party.port,
                status: if end.end.success() {
                    Status::Ok
                } else if end.stopped {
                    Status::Stopped
                } else {
                    Status::Failed
                },
                end: end.end,
                wall: end.wall,
                connected_after: state.connected_after,
                stop: state.stop.clone(),
                log: relative_to(root, &state.log_path),
            })
            .collect();
        Summary {
            run_id: run_id.to_string(),
            started_at: time::rfc3339(started_at),
            program: relative_to(root, &program.dir.join(&program.file)).to_string(),
            args: args.to_vec(),
            parties,
            stopped: report.stopped.as_ref().map(ToString::to_string),
            wall: report.wall,
        }
    }

    /// Why the run failed, naming the culprits; `None` when it succeeded.
    pub fn failure(&self) -> Option<String> {
        let culprits: Vec<String> = self
            .parties
            .iter()
            .filter(|p| p.status == Status::Failed)
            .map(|p| format!("party {} ({})", p.index, p.end))
            .collect();
        let any_not_ok = self.parties.iter().any(|p| p.status != Status::Ok);
        match (culprits.is_empty(), &self.stopped) {
            (false, _) => Some(format!("the run failed: {} failed", culprits.join(", "))),
            (true, Some(reason)) => Some(format!("the run was stopped: {reason}")),
            (true, None) if any_not_ok => Some("the run failed".to_string()),
            (true, None) => None,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        let parties: Vec<_> = self
            .parties
            .iter()
            .map(|p| {
                let (exit_code, signal) = match p.end {
                    End::Code(c) => (Some(c), None),
                    End::Signal(s) => (None, Some(e3_exec::signal_name(s))),
                };
                json!({
                    "index": p.index,
                    "host": p.host,
                    "port": p.port,
                    "address": format!("{}:{}", p.host, p.port),
                    "status": p.status.as_str(),
                    "exit_code": exit_code,
                    "signal": signal,
                    "wall_secs": round3(p.wall.as_secs_f64()),
                    "connected_after_secs": p.connected_after.map(|d| round3(d.as_secs_f64())),
                    "mpyc_elapsed": p.stop.as_ref().map(|s| s.elapsed.clone()),
                    "mpyc_elapsed_secs": p.stop.as_ref().map(|s| s.elapsed_secs),
                    "bytes_sent": p.stop.as_ref().map(|s| s.bytes_sent),
                    "log": p.log.as_str(),
                })
            })
            .collect();
        json!({
            "run_id": self.run_id,
            "started_at": self.started_at,
            "mode": "local",
            "program": self.program,
            "args": self.args,
            "parties": parties,
            "ok": self.failure().is_none(),
            "error": self.failure(),
            "stopped": self.stopped,
            "wall_secs": round3(self.wall.as_secs_f64()),
        })
    }

    /// The table people read at the end of a run.
    pub fn table(&self) -> String {
        let header = [
            "party",
            "address",
            "status",
            "exit",
            "mpyc time",
            "bytes sent",
            "wall",
        ];
        let rows: Vec<[String; 7]> = self
            .parties
            .iter()
            .map(|p| {
                [
                    p.index.to_string(),
                    format!("{}:{}", p.host, p.port),
                    p.status.as_str().to_string(),
                    match p.end {
                        End::Code(c) => c.to_string(),
                        End::Signal(s) => e3_exec::signal_name(s),
                    },
                    p.stop.as_ref().map_or("-".into(), |s| s.elapsed.clone()),
                    p.stop
                        .as_ref()
                        .map_or("-".into(), |s| s.bytes_sent.to_string()),
                    format!("{:.2}s", p.wall.as_secs_f64()),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        // Numbers align right, words left.
        let right = [true, false, false, true, true, true, true];
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    out.push_str("  ");
                }
                if right[i] {
                    out.push_str(&format!("{cell:>w$}", w = widths[i]));
                } else {
                    out.push_str(&format!("{cell:<w$}", w = widths[i]));
                }
            }
            out.trim_end().to_string()
        };
        let mut out = line(&header.map(String::from));
        for row in &rows {
            out.push('\n');
            out.push_str(&line(row));
        }
        out
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::Managed;

    fn six_parties(base_port: u16) -> Vec<Party> {
        let layout = Layout {
            parties: 6,
            per_host: 6,
            base_port,
        };
        prun::party_table(&["127.0.0.1".to_string()], &layout).unwrap()
    }

    fn program() -> Program {
        Program {
            dir: "/e3/demos".into(),
            file: "secretsanta.py".into(),
        }
    }

    #[test]
    fn six_party_plan_with_a_fresh_environment() {
        let python = Python::Managed(Managed {
            base: "/usr/bin/python3".into(),
            venv: "/e3/.e3/venv".into(),
            stamp: "# stamp\nmpyc==0.11\n".into(),
            up_to_date: false,
        });
        let plan = plan_local(
            "/e3".into(),
            &program(),
            &["3".into()],
            &python,
            &six_parties(11599),
        );
        insta::assert_snapshot!(plan.render());
    }

    #[test]
    fn given_interpreter_and_program_outside_the_workspace() {
        let program = Program {
            dir: "/home/me/mpyc/demos".into(),
            file: "np_lpsolver.py".into(),
        };
        let table = prun::party_table(
            &["127.0.0.1".into()],
            &Layout {
                parties: 2,
                per_host: 2,
                base_port: 20000,
            },
        )
        .unwrap();
        let args = ["--log-level".to_string(), "debug".into(), "it's".into()];
        let plan = plan_local(
            "/e3".into(),
            &program,
            &args,
            &Python::Given("/opt/py 3/bin/python".into()),
            &table,
        );
        insta::assert_snapshot!(plan.render(), @r"
        cd /e3
        # 2 parties of np_lpsolver.py: 2 started together
        cd /home/me/mpyc/demos && PYTHONUNBUFFERED=1 '/opt/py 3/bin/python' np_lpsolver.py --log-level debug 'it'\''s' -I 0 -P 127.0.0.1:20000 -P 127.0.0.1:20001 &  # party 0
        cd /home/me/mpyc/demos && PYTHONUNBUFFERED=1 '/opt/py 3/bin/python' np_lpsolver.py --log-level debug 'it'\''s' -I 1 -P 127.0.0.1:20000 -P 127.0.0.1:20001 &  # party 1
        wait
        ");
    }

    fn summary(statuses: &[(Status, End)], stopped: Option<&str>) -> Summary {
        let table = six_parties(11599);
        Summary {
            run_id: "20261123-195300-secretsanta".into(),
            started_at: "2026-11-23T19:53:00Z".into(),
            program: "demos/secretsanta.py".into(),
            args: vec!["3".into()],
            parties: statuses
                .iter()
                .enumerate()
                .map(|(i, (status, end))| PartySummary {
                    index: i,
                    host: table[i].host.clone(),
                    port: table[i].port,
                    status: *status,
                    end: *end,
                    wall: Duration::from_millis(1500 + 10 * i as u64),
                    connected_after: Some(Duration::from_millis(800)),
                    stop: (*status == Status::Ok).then(|| StopLine {
                        elapsed: "0:00:00.232".into(),
                        elapsed_secs: 0.232,
                        bytes_sent: 5312 + i as u64,
                    }),
                    log: format!("logs/20261123-195300-secretsanta/party-{i}.log").into(),
                })
                .collect(),
            stopped: stopped.map(str::to_string),
            wall: Duration::from_millis(1620),
        }
    }

    #[test]
    fn summary_of_a_good_run() {
        let s = summary(&[(Status::Ok, End::Code(0)); 3], None);
        assert_eq!(s.failure(), None);
        insta::assert_snapshot!(s.table(), @r"
        party  address          status  exit    mpyc time  bytes sent   wall
            0  127.0.0.1:11599  ok         0  0:00:00.232        5312  1.50s
            1  127.0.0.1:11600  ok         0  0:00:00.232        5313  1.51s
            2  127.0.0.1:11601  ok         0  0:00:00.232        5314  1.52s
        ");
        insta::assert_snapshot!(serde_json::to_string_pretty(&s.to_json()["parties"][1]).unwrap(), @r#"
        {
          "address": "127.0.0.1:11600",
          "bytes_sent": 5313,
          "connected_after_secs": 0.8,
          "exit_code": 0,
          "host": "127.0.0.1",
          "index": 1,
          "log": "logs/20261123-195300-secretsanta/party-1.log",
          "mpyc_elapsed": "0:00:00.232",
          "mpyc_elapsed_secs": 0.232,
          "port": 11600,
          "signal": null,
          "status": "ok",
          "wall_secs": 1.51
        }
        "#);
    }

    #[test]
    fn summary_of_a_failed_run_names_the_culprit() {
        let s = summary(
            &[
                (Status::Stopped, End::Signal(15)),
                (Status::Failed, End::Code(1)),
                (Status::Stopped, End::Signal(15)),
            ],
            Some("party 1 failed (exit code 1)"),
        );
        assert_eq!(
            s.failure().unwrap(),
            "the run failed: party 1 (exit code 1) failed"
        );
        insta::assert_snapshot!(s.table(), @r"
        party  address          status      exit  mpyc time  bytes sent   wall
            0  127.0.0.1:11599  stopped  SIGTERM          -           -  1.50s
            1  127.0.0.1:11600  failed         1          -           -  1.51s
            2  127.0.0.1:11601  stopped  SIGTERM          -           -  1.52s
        ");
        let timed_out = summary(
            &[(Status::Stopped, End::Signal(15))],
            Some("timed out after 5s"),
        );
        assert_eq!(
            timed_out.failure().unwrap(),
            "the run was stopped: timed out after 5s"
        );
    }

    #[test]
    fn programs_resolve_by_name_or_path() {
        let root = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let p = resolve_program(root, root, "secretsanta", None).unwrap();
        assert_eq!(
            (p.dir.as_path(), p.file.as_str()),
            (root.join("demos").as_path(), "secretsanta.py")
        );
        let p = resolve_program(root, &root.join("xtask"), "../demos/helloworld.py", None).unwrap();
        assert_eq!(p.file, "helloworld.py");
        let err = resolve_program(root, root, "nosuch", None).unwrap_err();
        assert_eq!(
            err.message,
            "unknown program `nosuch`: there is no nosuch.py in demos/"
        );
        assert_eq!(err.hints, ["available in demos/: helloworld, secretsanta"]);
        let err = resolve_program(root, root, "x", Some("no/such/dir")).unwrap_err();
        assert!(err.message.contains("--demos folder"), "{}", err.message);
        let err = resolve_program(root, root, "demos/nosuch.py", None).unwrap_err();
        assert_eq!(err.message, "program file `demos/nosuch.py` does not exist");
    }
}
