//! `cargo xtask tailnet devices | prune`: the tailnet's devices through
//! Tailscale's API (crate `e3-cloud`), and the clean-up `destroy` also runs.

use e3_cloud::tailscale::Device;
use serde_json::json;

use crate::cli::{TailnetAction, TailnetArgs};
use crate::error::{Result, failure, usage};
use crate::ui::{Ui, confirm};

pub fn run(dry_run: bool, args: &TailnetArgs) -> Result<()> {
    match &args.action {
        TailnetAction::Devices { prefix, json } => devices(dry_run, prefix.as_deref(), *json),
        TailnetAction::Prune { prefix, yes } => {
            if prefix.is_empty() {
                return Err(usage(
                    "--prefix is empty, which would delete every device of the tailnet",
                )
                .hint("give the prefix of the hostnames to delete, e.g. --prefix e3"));
            }
            if dry_run {
                crate::out::outln!(
                    "# list the tailnet's devices, delete those whose hostname starts with `{prefix}`, list again"
                );
                return Ok(());
            }
            crate::pipeline::require_yes("tailnet prune", *yes)?;
            let client = crate::cloud::tailscale()?;
            let all = client.devices().map_err(crate::cloud::error)?;
            let chosen: Vec<&Device> = all
                .iter()
                .filter(|d| d.hostname.starts_with(prefix.as_str()))
                .collect();
            let ui = Ui::new(false);
            if chosen.is_empty() {
                ui.say(&format!("e3: no device's hostname starts with `{prefix}`"));
                return Ok(());
            }
            ui.say(&table(&chosen));
            if !confirm(&format!("Delete these {} devices?", chosen.len()), *yes)? {
                return Err(failure("not confirmed: nothing was deleted"));
            }
            prune(&client, prefix, &ui)
        }
    }
}

/// Deletes the devices whose hostname starts with `prefix`, lists again,
/// and says what it did; any left is a failure.
pub fn prune(client: &e3_cloud::tailscale::Client, prefix: &str, ui: &Ui) -> Result<()> {
    let report = client.prune(prefix, None).map_err(crate::cloud::error)?;
    for d in &report.deleted {
        ui.say(&format!(
            "e3: deleted tailnet device {} ({})",
            d.hostname, d.name
        ));
    }
    for d in &report.already_gone {
        ui.say(&format!(
            "e3: tailnet device {} was already gone",
            d.hostname
        ));
    }
    if !report.still_there.is_empty() {
        let names: Vec<&str> = report
            .still_there
            .iter()
            .map(|d| d.hostname.as_str())
            .collect();
        return Err(failure(format!(
            "tailnet devices with the prefix `{prefix}` are still there after deleting: {}",
            names.join(", ")
        ))
        .hint("a node still running re-joins: destroy it first, then `cargo xtask tailnet prune --prefix ...` again"));
    }
    ui.say(&format!(
        "e3: no tailnet device's hostname starts with `{prefix}` now ({} deleted, {} already gone)",
        report.deleted.len(),
        report.already_gone.len()
    ));
    Ok(())
}

fn devices(dry_run: bool, prefix: Option<&str>, as_json: bool) -> Result<()> {
    if dry_run {
        crate::out::outln!("# list the tailnet's devices");
        return Ok(());
    }
    let client = crate::cloud::tailscale()?;
    let all = client.devices().map_err(crate::cloud::error)?;
    let chosen: Vec<&Device> = all
        .iter()
        .filter(|d| prefix.is_none_or(|p| d.hostname.starts_with(p)))
        .collect();
    if as_json {
        let list: Vec<_> = chosen
            .iter()
            .map(|d| {
                json!({
                    "id": d.id, "name": d.name, "hostname": d.hostname,
                    "addresses": d.addresses, "last_seen": d.last_seen, "tags": d.tags,
                })
            })
            .collect();
        crate::out::outln!(
            "{}",
            serde_json::to_string_pretty(&list).expect("json serialises")
        );
    } else {
        crate::out::outln!("{}", table(&chosen));
    }
    Ok(())
}

/// name, hostname, addresses, last seen, tags: one line per device.
fn table(devices: &[&Device]) -> String {
    let rows: Vec<Vec<String>> = devices
        .iter()
        .map(|d| {
            vec![
                d.hostname.clone(),
                d.name.clone(),
                d.addresses.join(" "),
                d.last_seen.clone().unwrap_or_else(|| "connected".into()),
                d.tags.join(" "),
            ]
        })
        .collect();
    e3_plan::columns(
        &["hostname", "name", "addresses", "last seen", "tags"],
        &rows,
        &[],
    )
}
