//! `cargo xtask image --do | --pi4`: builds a NixOS image with the flake
//! (crate `e3-nix` plans it), finds the image in the result, and writes the
//! record `deploy` reads to upload it.

use camino::{Utf8Path, Utf8PathBuf};
use e3_nix::binfmt::{self, Verdict};
use e3_nix::image::{self, ImageError, ImageRecord, Target};
use e3_nix::settings::NixSettings;
use e3_plan::Step;

use crate::cli::ImageArgs;
use crate::error::{Error, Result, failure, usage};
use crate::paths::{current_dir, relative_to};
use crate::tools;
use crate::ui::Ui;

/// Where images and their records go unless `--out` says otherwise.
pub const IMAGES_DIR: &str = ".e3/images";

pub fn run(root: &Utf8Path, dry_run: bool, args: &ImageArgs) -> Result<()> {
    let target = if args.pi4 {
        Target::RaspberryPi4
    } else {
        Target::DigitalOcean
    };
    let nix = tools::require("nix", e3_nix::INSTALL_NIX)?;
    if nix.is_absolute() {
        tools::lacking(check_nix_version(&nix))?;
    }
    if target == Target::RaspberryPi4 {
        let verdict = aarch64_verdict();
        if !verdict.ok() {
            tools::lacking(Err(cannot_emulate(&verdict)))?;
        }
        // It works, but not for long (an F entry registered from a container).
        for note in &verdict.notes {
            crate::out::errln!("note: {note}");
        }
    }
    let out_dir = match &args.out {
        Some(dir) => current_dir()?.join(dir),
        None => root.join(IMAGES_DIR),
    };
    let plan = image::build_plan(root, &nix, target, &out_dir, args.verbose);
    let result = out_dir.join(target.name());
    let record_path = ImageRecord::path(&out_dir, target);
    if dry_run {
        crate::out::print(&plan.render());
        crate::out::outln!(
            "# then find the image in {result}, hash it, and write {record_path}",
            result = relative_to(root, &result),
            record_path = relative_to(root, &record_path)
        );
        return Ok(());
    }
    let ui = Ui::new(false);
    ui.say(&format!(
        "e3: building the {} image ({}) with nix; the first build takes long",
        target.name(),
        target.system()
    ));
    e3_exec::run_plan(&plan, |step| {
        if let Step::Run(cmd) = step {
            ui.say(&format!("e3: $ {cmd}"));
        }
    })
    .map_err(|e| {
        failure(format!(
            "building the {} image failed: {}",
            target.name(),
            e.message
        ))
    })?;
    let file = image::find_image(&result, target).map_err(image_error)?;
    let digest = image::digest(&file).map_err(image_error)?;
    let record = ImageRecord {
        target,
        file: file.clone(),
        digest,
        nixpkgs_rev: image::nixpkgs_rev(&root.join("flake.lock")).map_err(image_error)?,
        built_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    };
    let json = serde_json::to_string_pretty(&record.to_json()).expect("a json value serialises");
    std::fs::write(&record_path, format!("{json}\n"))
        .map_err(|e| failure(format!("cannot write {record_path}: {e}")))?;
    ui.say(&format!("e3: image  {}", relative_to(root, &file)));
    ui.say(&format!(
        "    size   {} ({} bytes)",
        human_size(record.digest.size),
        record.digest.size
    ));
    ui.say(&format!("    sha256 {}", record.digest.sha256));
    ui.say(&format!(
        "    record {} (read by `cargo xtask deploy`)",
        relative_to(root, &record_path)
    ));
    Ok(())
}

/// A Nix too old to evaluate the pinned nixpkgs fails late and obscurely:
/// say so before anything runs.
fn check_nix_version(nix: &Utf8Path) -> Result<()> {
    let out = e3_exec::capture(&e3_plan::Cmd::new(nix).arg("--version"))?;
    let line = out.stdout.lines().next().unwrap_or("").trim().to_string();
    match e3_nix::nix_too_old(&line) {
        Some(why) => Err(usage(format!("`{nix}`: {why}")).hint(e3_nix::UPGRADE_NIX)),
        None => Ok(()),
    }
}

/// Whether this machine can build for aarch64, from `/` and Nix's own
/// configuration files.
pub fn aarch64_verdict() -> Verdict {
    let root = Utf8Path::new("/");
    let mut user_confs = Vec::new();
    let config_home = std::env::var("XDG_CONFIG_HOME")
        .ok()
        .filter(|d| !d.is_empty())
        .or_else(|| std::env::var("HOME").ok().map(|h| format!("{h}/.config")));
    if let Some(dir) = config_home {
        user_confs.push(Utf8PathBuf::from(dir.trim_start_matches('/')).join("nix/nix.conf"));
    }
    let nix_config = std::env::var("NIX_CONFIG").ok();
    let settings = NixSettings::read(root, &user_confs, nix_config.as_deref());
    binfmt::check_aarch64(root, std::env::consts::ARCH, &settings)
}

fn cannot_emulate(verdict: &Verdict) -> Error {
    let mut message =
        String::from("this machine cannot build the Raspberry Pi 4 image (aarch64-linux) yet:");
    for p in &verdict.problems {
        message.push_str(&format!(
            "\n- {}\n  NixOS: {}\n  Debian/Ubuntu: {}",
            p.what, p.nixos, p.debian
        ));
    }
    usage(message).hint("`cargo xtask doctor` shows the state of every piece")
}

fn image_error(err: ImageError) -> Error {
    failure(err.to_string())
}

/// `1.4 GiB`
fn human_size(bytes: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < units.len() {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{size:.1} {}", units[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024 / 2), "1.5 GiB");
    }
}
