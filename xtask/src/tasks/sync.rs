//! `cargo xtask sync --hosts FILE`: copy the program's folder to every host.

use std::time::Instant;

use camino::Utf8Path;

use crate::cli::SyncArgs;
use crate::error::{Result, usage};
use crate::paths::{current_dir, given, relative_to};
use crate::remote;
use crate::tools;
use crate::ui::Ui;

pub fn run(root: &Utf8Path, dry_run: bool, args: &SyncArgs) -> Result<()> {
    let cwd = current_dir()?;
    let dir = match given(&cwd, args.demos.as_deref(), "--demos", true)? {
        Some(dir) => dir
            .canonicalize_utf8()
            .map_err(|e| usage(format!("cannot resolve `{dir}`: {e}")))?,
        None => root.join("demos"),
    };
    let (ssh, inventory) = remote::resolve(&args.remote, &args.hosts)?;
    let rsync = tools::require(
        "rsync",
        "install rsync (Debian/Ubuntu: `apt-get install rsync`)",
    )?;
    let hosts = inventory.hosts;
    let source = e3_ssh::SyncSource {
        rsync: &rsync,
        local_dir: &dir,
        remote_dir: args.remote.remote_dir(),
    };
    let session = e3_ssh::Session::new(&ssh, &hosts, args.remote.parallel(), Some(source), None);
    if dry_run {
        crate::out::print(&session.to_plan(root, Vec::new()).render());
        return Ok(());
    }
    let ui = Ui::new(false);
    ui.say(&format!(
        "e3: syncing {}/ to {} on {}",
        relative_to(root, &dir),
        args.remote.remote_dir(),
        e3_plan::count(hosts.len(), "host", "hosts")
    ));
    let started = Instant::now();
    session.run(root, &|e| ui.host_event(e), |_| {
        Ok::<_, e3_ssh::SessionError>(())
    })?;
    ui.say(&format!(
        "e3: synced to {} in {:.2}s",
        e3_plan::count(hosts.len(), "host", "hosts"),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}
