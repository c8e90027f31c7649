//! `cargo xtask sync --hosts FILE`: copy the program's folder to every host,
//! and the per-host watching that `run --hosts` shares for its connect, sync
//! and close steps.

use std::time::Instant;

use camino::Utf8Path;
use e3_exec::{End, Event, GroupOptions, Observer, Verdict};
use e3_plan::{Cmd, Plan, Step};

use crate::cli::SyncArgs;
use crate::error::{Result, failure, usage};
use crate::paths::{current_dir, relative_to};
use crate::remote;
use crate::tools;
use crate::ui::Ui;

pub fn run(root: &Utf8Path, dry_run: bool, args: &SyncArgs) -> Result<()> {
    let cwd = current_dir()?;
    let dir = match &args.demos {
        Some(dir) => {
            let full = cwd.join(dir);
            if !full.is_dir() {
                return Err(usage(format!("--demos folder `{dir}` does not exist")));
            }
            full.canonicalize_utf8()
                .map_err(|e| usage(format!("cannot resolve `{dir}`: {e}")))?
        }
        None => root.join("demos"),
    };
    let (ssh, inventory) = remote::resolve(&args.remote, &args.hosts)?;
    let rsync = tools::require(
        "rsync",
        "install rsync (Debian/Ubuntu: `apt-get install rsync`)",
    )?;
    let hosts = inventory.hosts;
    let parallel = args.remote.parallel();
    let steps = SyncPlan {
        prepare: Cmd::new("mkdir")
            .args(["-p", "-m", "700"])
            .arg(&ssh.control_dir),
        connect: remote::connect_step(&ssh, &hosts, parallel),
        sync: remote::sync_step(
            &ssh,
            &rsync,
            &hosts,
            &dir,
            args.remote.remote_dir(),
            parallel,
        ),
        close: remote::close_step(&ssh, &hosts),
        cleanup: Cmd::new("rm").args(["-rf"]).arg(&ssh.control_dir),
    };
    if dry_run {
        print!("{}", steps.to_plan(root).render());
        return Ok(());
    }
    let ui = Ui::new(false);
    ui.say(&format!(
        "e3: syncing {}/ to {} on {} hosts",
        relative_to(root, &dir),
        args.remote.remote_dir(),
        hosts.len()
    ));
    let started = Instant::now();
    e3_exec::run(Some(root), &steps.prepare)?;
    let result = run_host_group(root, &steps.connect, parallel, "connected to", &Ui::quiet())
        .and_then(|()| run_host_group(root, &steps.sync, parallel, "synced to", &ui));
    let _ = run_host_group(root, &steps.close, parallel, "", &Ui::quiet());
    let _ = e3_exec::run(Some(root), &steps.cleanup);
    result?;
    ui.say(&format!(
        "e3: synced to {} hosts in {:.2}s",
        hosts.len(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

struct SyncPlan {
    prepare: Cmd,
    connect: Step,
    sync: Step,
    close: Step,
    cleanup: Cmd,
}

impl SyncPlan {
    fn to_plan(&self, root: &Utf8Path) -> Plan {
        let mut plan = Plan::new(root);
        plan.push(Step::Run(self.prepare.clone()));
        plan.push(self.connect.clone());
        plan.push(self.sync.clone());
        plan.push(self.close.clone());
        plan.push(Step::Run(self.cleanup.clone()));
        plan
    }
}

/// Watches one command per host: a line per host as it ends, and at the
/// end an error naming every host that failed, with what its command said.
struct HostGroup<'a> {
    ui: &'a Ui,
    verb: &'a str,
    labels: Vec<String>,
    last_lines: Vec<Vec<String>>,
    started: Instant,
    failed: Vec<(String, End, String)>,
}

impl Observer for HostGroup<'_> {
    fn event(&mut self, event: Event<'_>) -> Verdict {
        match event {
            Event::Line { job, line } => {
                let lines = &mut self.last_lines[job];
                if lines.len() == 3 {
                    lines.remove(0);
                }
                lines.push(line.to_string());
            }
            Event::Exited { job, end, .. } => {
                let label = &self.labels[job];
                let secs = self.started.elapsed().as_secs_f64();
                if end.success() {
                    if !self.verb.is_empty() {
                        self.ui
                            .say(&format!("e3: {} {label} ({secs:.2}s)", self.verb));
                    }
                } else {
                    let said = self.last_lines[job].join(" / ");
                    self.ui.say(&format!("e3: FAILED {label} ({end}): {said}"));
                    self.failed.push((label.clone(), end, said));
                }
            }
            Event::Started { .. } => {}
        }
        Verdict::Continue
    }
}

/// Runs a [`Step::Together`] of per-host commands, `parallel` at a time.
pub fn run_host_group(
    root: &Utf8Path,
    step: &Step,
    parallel: usize,
    verb: &str,
    ui: &Ui,
) -> Result<()> {
    let Step::Together { what, jobs } = step else {
        return Err(failure(format!("internal: not a group of hosts: {step:?}")));
    };
    let mut observer = HostGroup {
        ui,
        verb,
        labels: jobs.iter().map(|j| j.label.clone()).collect(),
        last_lines: vec![Vec::new(); jobs.len()],
        started: Instant::now(),
        failed: Vec::new(),
    };
    let options = GroupOptions {
        max_parallel: Some(parallel),
        ..GroupOptions::default()
    };
    let report = e3_exec::run_together(Some(root), jobs, &options, &mut observer)?;
    if let Some(reason) = report.stopped {
        return Err(failure(format!("{what}: {reason}")));
    }
    if observer.failed.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = observer
        .failed
        .iter()
        .map(|(label, _, _)| label.as_str())
        .collect();
    let mut message = format!(
        "{what}: failed on {} of {} hosts: {}",
        names.len(),
        jobs.len(),
        names.join(", ")
    );
    for (label, end, said) in &observer.failed {
        message.push_str(&format!("\n  {label} ({end}): {said}"));
    }
    Err(failure(message))
}
