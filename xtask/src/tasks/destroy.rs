//! `cargo xtask destroy`: every droplet of the last deploy to zero (the
//! bucket and the image stay, as E3's DESTROY_NODES did; `--all` removes
//! the image too; `--all --bucket`, asked twice, the bucket as well), the
//! host files emptied, and the nodes' tailnet devices deleted, with a check
//! that none is left.

use camino::Utf8Path;
use e3_deploy::preflight::{self, Env, Problem};
use e3_deploy::{PlanInputs, Tools};
use e3_inventory::files::{HOSTS_JSON, HOSTS_PSSH};
use e3_plan::Step;

use crate::cli::DestroyArgs;
use crate::error::{Result, failure, usage};
use crate::provision::{Asking, Changed, forget_hosts, make_change};
use crate::tasks::deploy::{
    self, Machine, last_settings, needs_init, refuse, secrets, state, warn,
};
use crate::tools;
use crate::ui::Ui;

pub fn run(root: &Utf8Path, dry_run: bool, args: &DestroyArgs) -> Result<()> {
    crate::provision::private_files(root, dry_run)?;
    let settings = match last_settings(root)? {
        Some(settings) => settings,
        None => {
            tools::lacking(Err(usage("nothing to destroy from here: no deploy was made from this checkout (.e3/deploy/e3.tfvars.json is missing)")
                .hint("destroy a testbed where it was deployed; stale tailnet devices: `cargo xtask tailnet prune --prefix P`")))?;
            tools::warn(
                &format!(
                    "the plan below assumes a deploy with e3's defaults (prefix `{}`)",
                    deploy::DEFAULT_PREFIX
                ),
                "",
            );
            deploy::assumed_settings(root)
        }
    };
    let mut problems = preflight::missing_secrets(&Machine);
    let terraform = ["terraform", "tofu"].iter().find_map(|t| Machine.find(t));
    if terraform.is_none() {
        problems.push(Problem {
            what: "`terraform` or `tofu` was not found on PATH".into(),
            fix: "`nix develop`, or https://developer.hashicorp.com/terraform/install".into(),
        });
    }
    let state = state(args.state_bucket.as_deref(), &settings.spaces_region);
    let (needs_init, state_problem) = needs_init(root, &state);
    problems.extend(state_problem);
    let secrets = secrets(root, &settings)?;
    let tools = Tools {
        terraform: terraform.unwrap_or_else(|| "terraform".into()),
        colmena: None,
        git: "git".into(),
    };
    let inputs = PlanInputs {
        root,
        settings: &settings,
        state: &state,
        secrets: &secrets,
        tools: &tools,
        needs_init,
    };
    let plan = if args.bucket {
        e3_deploy::destroy_everything_plan(&inputs)
    } else {
        e3_deploy::destroy_plan(&inputs, !args.all)
    };
    if dry_run {
        warn(&problems);
        let mut shown = plan.to_plan();
        shown.push(Step::Note(e3_deploy::DESTROY_AFTER.into()));
        crate::out::print(&shown.render());
        return Ok(());
    }
    if !problems.is_empty() {
        return Err(refuse("destroy", &problems));
    }
    let ui = Ui::new(false);
    let bucket = if args.bucket {
        format!("the bucket `{}` too", settings.bucket)
    } else {
        format!("the bucket `{}` stays", settings.bucket)
    };
    let image = if args.all {
        " and the image"
    } else {
        ", keeping the image"
    };
    let question = format!(
        "Destroy the {} droplets named `{}--...`{image} ({bucket})?",
        settings.node_count(),
        settings.prefix,
    );
    // The bucket holds the image every future deploy boots: asked again.
    let again = format!(
        "Delete the bucket `{}` ({}) and everything in it? This cannot be undone.",
        settings.bucket, settings.spaces_region
    );
    let asking = Asking {
        yes: args.yes,
        plan_only: args.plan_only,
        question: &question,
        ask_on_create: false,
        and_then: args.bucket.then_some(again.as_str()),
    };
    match make_change(&ui, &plan, &asking)? {
        Changed::Applied(summary) => forget_hosts(root, &summary.stale_hosts(), &ui)?,
        Changed::NotApplied if args.plan_only => return Ok(()),
        Changed::NotApplied => {}
    }
    write_empty_host_files(root)?;
    ui.say(&format!("e3: emptied {HOSTS_JSON} and {HOSTS_PSSH}"));
    let client = crate::cloud::tailscale()?;
    let pruned = crate::tasks::tailnet::prune(&client, &format!("{}--", settings.prefix), &ui);
    crate::pipeline::append_summary(&format!(
        "### e3 destroy: `{}--...`\n\n{} droplets destroyed{image}; {bucket}; host files emptied; tailnet devices `{}--*`: {}",
        settings.prefix,
        settings.node_count(),
        settings.prefix,
        match &pruned {
            Ok(()) => "none left".to_string(),
            Err(err) => format!("**{}**", err.message),
        }
    ));
    pruned
}

/// No nodes: hosts.json `{}`, hosts.pssh only its header.
fn write_empty_host_files(root: &Utf8Path) -> Result<()> {
    let write = |name: &str, text: &str| {
        std::fs::write(root.join(name), text)
            .map_err(|e| failure(format!("cannot write {name}: {e}")))
    };
    write(HOSTS_JSON, "{}\n")?;
    write(
        HOSTS_PSSH,
        "# Written by `cargo xtask destroy`: the testbed has no hosts now.\n",
    )
}
