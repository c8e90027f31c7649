//! What `deploy` and `destroy` share: a Terraform change made as Terraform
//! users expect it (plan to a file, show what it does, ask before a
//! running droplet goes, apply exactly that plan), the deployment's own
//! SSH host keys, and its files kept private.

use camino::{Utf8Path, Utf8PathBuf};
use e3_deploy::plan_summary::{self, PlanSummary};
use e3_deploy::{ChangePlan, DEPLOY_DIR};
use e3_plan::{Plan, Step};

use crate::error::{Result, failure};
use crate::ui::{Ui, confirm};

/// Runs a plan's steps, saying each command.
pub fn run_steps(ui: &Ui, plan: &Plan) -> Result<()> {
    e3_exec::run_plan(plan, |step| {
        if let Step::Run(cmd) = step {
            ui.say(&format!("e3: $ {cmd}"));
        }
    })
    .map_err(|e| failure(e.message))
}

/// How a change is confirmed.
pub struct Asking<'a> {
    /// `--yes`.
    pub yes: bool,
    /// `--plan-only`: stop after the summary.
    pub plan_only: bool,
    /// The question when the plan replaces or destroys a droplet (or
    /// creates one, with `ask_on_create`).
    pub question: &'a str,
    /// Ask when droplets are created, too (deploy: they cost money).
    pub ask_on_create: bool,
    /// A second question, always asked (`destroy --all --bucket`: the
    /// bucket holds the image every future deploy boots).
    pub and_then: Option<&'a str>,
}

/// What came of a change.
pub enum Changed {
    /// Applied, as summarised.
    Applied(PlanSummary),
    /// `--plan-only`, or a plan with no change: nothing applied.
    NotApplied,
}

/// Makes `change`: prepares, plans to a file, shows the summary (on the
/// terminal, and in a CI job's step summary), asks when a running droplet
/// is replaced or destroyed (in a pipeline without `--yes` that is a
/// refusal, after the summary), then applies exactly that plan.
pub fn make_change(ui: &Ui, change: &ChangePlan, asking: &Asking<'_>) -> Result<Changed> {
    run_steps(ui, &change.prepare)?;
    // Where the prepared steps ran (the workspace): `-chdir=terraform` is
    // relative to it, wherever e3 was started.
    let workdir = change.prepare.workdir.as_deref();
    ui.say(&format!("e3: $ {}", change.plan));
    e3_exec::run(workdir, &change.plan).map_err(|e| failure(e.message))?;
    // The plan's JSON holds its planned values, secrets among them: read
    // from the pipe, never written.
    let shown = e3_exec::capture_in(workdir, &change.show)?;
    if !shown.end.success() {
        return Err(failure(format!(
            "`{}` failed: {}",
            change.show,
            shown.stderr.trim()
        )));
    }
    let summary = plan_summary::summarise(&shown.stdout).map_err(|e| failure(e.to_string()))?;
    ui.say(summary.text().trim_end());
    crate::pipeline::append_summary(&format!(
        "### e3: Terraform's plan\n\n{}",
        summary.markdown()
    ));
    if asking.plan_only {
        ui.say(&format!(
            "e3: --plan-only: nothing changed; the plan is {DEPLOY_DIR}/{}",
            e3_deploy::PLAN_FILE
        ));
        return Ok(Changed::NotApplied);
    }
    if summary.is_empty() {
        // The settings planned are the ones in effect.
        e3_exec::run(workdir, &change.record).map_err(|e| failure(e.message))?;
        ui.say("e3: nothing to change");
        return Ok(Changed::NotApplied);
    }
    let creates = asking.ask_on_create && summary.creates_droplets();
    if (summary.needs_confirmation() || creates) && !confirm(asking.question, asking.yes)? {
        return Err(failure("not confirmed: nothing was changed"));
    }
    if let Some(again) = asking.and_then
        && !confirm(again, asking.yes)?
    {
        return Err(failure("not confirmed: nothing was changed"));
    }
    ui.say(&format!("e3: $ {}", change.apply));
    e3_exec::run(workdir, &change.apply).map_err(|e| failure(e.message))?;
    e3_exec::run(workdir, &change.record).map_err(|e| failure(e.message))?;
    Ok(Changed::Applied(summary))
}

/// The deployment's own known_hosts: every task that reaches its nodes
/// checks their host keys against it (StrictHostKeyChecking=accept-new:
/// a new node's key is learnt, a changed one refused), and deploy and
/// destroy forget the keys of the droplets they replace or destroy.
pub fn known_hosts(root: &Utf8Path) -> Utf8PathBuf {
    root.join(DEPLOY_DIR).join(KNOWN_HOSTS)
}

/// Its file name in [`DEPLOY_DIR`].
pub const KNOWN_HOSTS: &str = "known_hosts";

/// Forgets the host keys of `hosts` in the deployment's known_hosts (a
/// replaced droplet keeps its name with a new key; a destroyed one's name
/// may come back). Says which it forgot.
pub fn forget_hosts(root: &Utf8Path, hosts: &[&str], ui: &Ui) -> Result<()> {
    let path = known_hosts(root);
    if !hosts.is_empty() {
        let closed = close_kept_connections("the deployment's droplets", |kept| {
            kept.known_hosts
                .as_deref()
                .is_some_and(|k| e3_ssh::kept::same_file(k, &path))
        });
        if let Some(said) = closed {
            ui.say(&said);
        }
    }
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let (kept, forgotten) = e3_ssh::known_hosts::forget(&text, hosts);
    if forgotten.is_empty() {
        return Ok(());
    }
    e3_exec::write_whole(&path, &kept).map_err(|e| failure(format!("cannot write {path}: {e}")))?;
    ui.say(&format!(
        "e3: forgot the SSH host keys of {} (replaced or destroyed): {}",
        e3_plan::count(forgotten.len(), "host", "hosts"),
        forgotten.join(", ")
    ));
    Ok(())
}

/// Closes the ssh connections that runs kept open ([`e3_ssh::kept`]) to
/// hosts that are going away, those of the kept folders `closes` picks,
/// runs using them or not (they fail with their hosts anyway): a host
/// replaced under the same name must not be reached through its
/// predecessor's connection. Says how many it closed, as to `to`. Kept
/// folders that are not this user's alone are not touched.
pub fn close_kept_connections(
    to: &str,
    closes: impl Fn(&e3_ssh::kept::KeptFor) -> bool,
) -> Option<String> {
    let ssh = crate::tools::find("ssh").ok()?;
    let done = e3_ssh::kept::close(&ssh, closes, true).ok()?;
    (done.closed > 0).then(|| {
        format!(
            "e3: closed {} kept open to {to}",
            e3_plan::count(done.closed, "ssh connection", "ssh connections"),
        )
    })
}

/// Makes every file and folder this process (and the tools it runs)
/// creates from now on its owner's alone (umask 077), and repairs or
/// refuses what is already there: Terraform's state and its backups, saved
/// plans and `.terraform/` hold secrets. A dry run only warns.
pub fn private_files(root: &Utf8Path, dry_run: bool) -> Result<()> {
    e3_exec::private_umask();
    for found in e3_deploy::secrets_at_rest::survey(root) {
        if dry_run {
            crate::tools::warn(&found.problem(), &found.fix());
            continue;
        }
        found.repair().map_err(|e| {
            crate::error::usage(format!("{}: {e}", found.problem())).hint(found.fix())
        })?;
    }
    Ok(())
}
