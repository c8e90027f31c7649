//! `cargo xtask leftovers`: what a testbed left behind, after `destroy`.
//! Droplets with e3's tag named `<prefix>--...` and tailnet devices whose
//! hostname starts with `<prefix>--`, listed; any at all is a failure
//! (exit 1), so a pipeline's last step can say nothing stays billed.

use camino::Utf8Path;

use crate::cli::LeftoversArgs;
use crate::error::{Result, failure, usage};
use crate::tasks::deploy::last_settings;
use crate::ui::Ui;

pub fn run(root: &Utf8Path, dry_run: bool, args: &LeftoversArgs) -> Result<()> {
    let last = last_settings(root)?;
    let prefix = match (&args.prefix, &last) {
        (Some(prefix), _) => prefix.clone(),
        (None, Some(settings)) => settings.prefix.clone(),
        (None, None) => {
            crate::tools::lacking(Err(usage(
                "no prefix to look for: no deploy was made from this checkout",
            )
            .hint("give --prefix P (the deploy's --prefix)")))?;
            crate::tools::warn(
                &format!(
                    "the plan below assumes a deploy with e3's defaults (prefix `{}`)",
                    crate::tasks::deploy::DEFAULT_PREFIX
                ),
                "",
            );
            crate::tasks::deploy::DEFAULT_PREFIX.to_string()
        }
    };
    if prefix.is_empty() {
        return Err(usage("--prefix is empty, which would match every node")
            .hint("give the deploy's --prefix"));
    }
    // The tag every droplet of the deploy carries: its first.
    let tag = match (&args.tag, &last) {
        (Some(tag), _) => tag.clone(),
        (None, Some(settings)) if !settings.tags.is_empty() => settings.tags[0].clone(),
        _ => crate::tasks::deploy::DEFAULT_TAG.to_string(),
    };
    let names = format!("{prefix}--");
    if dry_run {
        crate::out::outln!(
            "# list DigitalOcean's droplets tagged `{tag}` and the tailnet's devices; fail if a name starts with `{names}`"
        );
        return Ok(());
    }
    let droplets: Vec<_> = crate::cloud::digitalocean()?
        .droplets(&tag)
        .map_err(crate::cloud::error)?
        .into_iter()
        .filter(|d| d.name.starts_with(&names))
        .collect();
    let devices: Vec<_> = crate::cloud::tailscale()?
        .devices()
        .map_err(crate::cloud::error)?
        .into_iter()
        .filter(|d| d.hostname.starts_with(&names))
        .collect();
    let ui = Ui::new(false);
    let mut rows: Vec<Vec<String>> = droplets
        .iter()
        .map(|d| {
            vec![
                "droplet".to_string(),
                d.name.clone(),
                format!("{} in {} (id {})", d.status, d.region, d.id),
            ]
        })
        .collect();
    rows.extend(devices.iter().map(|d| {
        vec![
            "tailnet device".to_string(),
            d.hostname.clone(),
            match &d.last_seen {
                Some(seen) => format!("last seen {seen}"),
                None => "connected now".to_string(),
            },
        ]
    }));
    let header = ["what", "name", "state"];
    let what =
        format!("droplets tagged `{tag}` named `{names}...` and tailnet devices `{names}...`");
    if rows.is_empty() {
        ui.say(&format!("e3: nothing left: no {what}"));
        crate::pipeline::append_summary(&format!("### e3 leftovers\n\nNothing left: no {what}."));
        return Ok(());
    }
    ui.say(&e3_plan::columns(&header, &rows, &[]));
    crate::pipeline::append_summary(&format!(
        "### e3 leftovers: **{} left**\n\n{}",
        rows.len(),
        e3_plan::markdown_table(&header, &rows, &[])
    ));
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    Err(failure(format!(
        "left of `{prefix}`: {}, {}",
        count(droplets.len(), "droplet"),
        count(devices.len(), "tailnet device")
    ))
    .hint(format!(
        "`cargo xtask destroy --yes` (droplets), `cargo xtask tailnet prune --prefix {names} --yes` (devices)"
    )))
}
