//! `bench cold-build`: how long a fresh clone of the committed tree takes to
//! build `cargo xtask --help`, with an empty target folder.

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::Cmd;

use super::contender::Contender;
use super::report::{self, Section};
use super::timing::{time, time_once};
use crate::error::{Result, failure};
use crate::tools;

pub const SECTION: Section = Section {
    name: "cold-build",
    title: "Cold build of the xtask binary",
    before: "",
    needs: "",
};

/// Its options as typed, for the Reproduce line: none.
pub fn options() -> Vec<String> {
    Vec::new()
}

/// The clone into `tmp`, then the contender: the build in it.
pub fn plan(root: &Utf8Path, git: &Utf8Path, cargo: &Utf8Path, tmp: &Utf8Path) -> (Cmd, Contender) {
    let clone = Cmd::new(git).args(["clone", "--quiet", root.as_str(), tmp.as_str()]);
    let build = Cmd::new(cargo)
        .args(["xtask", "--help"])
        .env("CARGO_TARGET_DIR", tmp.join("target"))
        .cwd(tmp);
    (
        clone,
        Contender::other("`cargo xtask --help` in a fresh clone", build),
    )
}

/// What `--dry-run` prints: the clone, the build, the clean-up.
pub fn dry_run(clone: &Cmd, build: &Contender, tmp: &Utf8Path) -> String {
    let mut text = format!("{clone}\n");
    for line in build.dry_run_lines() {
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str(&format!("rm -rf {tmp}\n"));
    text
}

pub fn run(root: &Utf8Path, dry_run: bool) -> Result<Option<String>> {
    let git = tools::require("git", "install git (Debian/Ubuntu: `apt-get install git`)")?;
    let cargo = tools::require("cargo", "install Rust with rustup (https://rustup.rs)")?;
    let tmp = std::env::temp_dir().join(format!("e3-cold-build-{}", std::process::id()));
    let tmp =
        Utf8PathBuf::from_path_buf(tmp).map_err(|_| failure("the temp folder is not UTF-8"))?;
    let (clone, build) = plan(root, &git, &cargo, &tmp);
    if dry_run {
        crate::out::print(&self::dry_run(&clone, &build, &tmp));
        return Ok(None);
    }
    let result = time_once(root, &clone).and_then(|_| time(root, &build));
    let _ = std::fs::remove_dir_all(&tmp);
    let secs = result?;
    Ok(Some(format!(
        "Measured {} on this machine ({} cores): a fresh clone of the committed tree, an empty target \
         folder, crates already in cargo's download cache.\n\n\
         | command | wall | target |\n|---|---|---|\n| {} | {secs:.1} s | < 60 s |\n",
        report::now_utc(),
        report::cores(),
        build.label,
    )))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn plan_in_tmp() -> (Cmd, Contender) {
        let tmp = Utf8Path::new("/tmp/e3-cold-build");
        plan(
            "/e3".into(),
            "/usr/bin/git".into(),
            "/usr/bin/cargo".into(),
            tmp,
        )
    }

    #[test]
    fn dry_run_prints_the_clone_the_build_and_the_clean_up() {
        let (clone, build) = plan_in_tmp();
        insta::assert_snapshot!(dry_run(&clone, &build, "/tmp/e3-cold-build".into()));
    }
}
