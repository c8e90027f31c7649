//! The Python that runs the parties.
//!
//! By default e3 keeps its own virtual environment in `.e3/venv`, made from
//! `python/requirements.txt` on first use and rebuilt only when the pins (or
//! the base interpreter) change. `--python PATH` uses another interpreter,
//! which must already have MPyC.

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::{Cmd, Step};

use crate::error::{Result, usage};
use crate::tools;

pub const VENV_DIR: &str = ".e3/venv";
pub const REQUIREMENTS: &str = "python/requirements.txt";
const STAMP: &str = "e3-stamp.txt";
const MIN_VERSION: (u32, u32) = (3, 10);

/// The interpreter the parties use, and what must happen before it can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Python {
    /// e3's own environment.
    Managed(Managed),
    /// `--python`: used as it is.
    Given(Utf8PathBuf),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Managed {
    /// The base interpreter the environment is made with (`python3` on PATH).
    pub base: Utf8PathBuf,
    /// Absolute path of the environment.
    pub venv: Utf8PathBuf,
    /// What the stamp must say for the environment to be up to date.
    pub stamp: String,
    pub up_to_date: bool,
}

impl Python {
    /// The interpreter for the parties' command lines.
    pub fn interpreter(&self) -> Utf8PathBuf {
        match self {
            Python::Managed(m) => m.venv.join("bin/python"),
            Python::Given(path) => path.clone(),
        }
    }

    /// Steps that make the environment ready (none when it is).
    pub fn setup_steps(&self) -> Vec<Step> {
        let Python::Managed(m) = self else {
            return Vec::new();
        };
        if m.up_to_date {
            return vec![Step::Note(format!(
                "python env {VENV_DIR} is up to date with {REQUIREMENTS}"
            ))];
        }
        vec![
            Step::Run(Cmd::new(&m.base).args(["-m", "venv", "--clear", VENV_DIR])),
            Step::Run(Cmd::new(format!("{VENV_DIR}/bin/python")).args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--quiet",
                "--requirement",
                REQUIREMENTS,
            ])),
            Step::WriteFile {
                path: format!("{VENV_DIR}/{STAMP}").into(),
                contents: m.stamp.clone(),
            },
        ]
    }
}

/// Finds and checks the interpreter; reads whether `.e3/venv` is current.
pub fn resolve(root: &Utf8Path, given: Option<&str>) -> Result<Python> {
    if let Some(given) = given {
        let path = tools::find(given).map_err(|_| {
            usage(format!("python interpreter `{given}` (from --python) was not found"))
                .hint("give a path to an interpreter or a name on PATH, or drop --python to use e3's own environment")
        })?;
        let probe = tools::probe(&path, &["-c", "import mpyc"])?;
        if !probe.end.success() {
            return Err(usage(format!("`{path}` (from --python) cannot import mpyc"))
                .hint(format!("install it with `{path} -m pip install mpyc`, or drop --python to use e3's own environment")));
        }
        return Ok(Python::Given(path));
    }
    let base = tools::find("python3").map_err(|_| {
        usage("`python3` was not found on PATH; e3 needs Python 3.10 or newer to run MPyC")
            .hint("install it (Debian/Ubuntu: `apt-get install python3 python3-venv`), or pass --python PATH")
    })?;
    let requirements = std::fs::read_to_string(root.join(REQUIREMENTS))
        .map_err(|e| usage(format!("cannot read {REQUIREMENTS}: {e}")))?;
    let venv = root.join(VENV_DIR);
    let stamp = stamp_text(&base, &fingerprint(&base), &requirements);
    // The common case costs no process: the environment is what the stamp says.
    if is_up_to_date(&venv, &stamp) {
        return Ok(Python::Managed(Managed {
            base,
            venv,
            stamp,
            up_to_date: true,
        }));
    }
    check_base(&base)?;
    Ok(Python::Managed(Managed {
        base,
        venv,
        stamp,
        up_to_date: false,
    }))
}

/// The base interpreter can make the environment: recent enough, with venv.
fn check_base(base: &Utf8Path) -> Result<()> {
    let probe = tools::probe(
        base,
        &[
            "-c",
            "import sys; print('%d.%d.%d' % sys.version_info[:3]); import venv, ensurepip",
        ],
    )?;
    let version = probe.stdout.trim().to_string();
    if !is_recent_enough(&version) {
        let shown = if version.is_empty() {
            "of an unknown version"
        } else {
            &version
        };
        return Err(usage(format!(
            "`{base}` is Python {shown}; MPyC needs {}.{} or newer",
            MIN_VERSION.0, MIN_VERSION.1
        ))
        .hint("put a newer python3 first on PATH, or pass --python PATH"));
    }
    if !probe.end.success() {
        return Err(usage(format!("`{base}` (Python {version}) cannot make virtual environments"))
            .hint("install its venv module (Debian/Ubuntu: `apt-get install python3-venv`), or pass --python PATH"));
    }
    Ok(())
}

/// Identifies the base interpreter's file without running it: an upgrade in
/// place (say 3.11 to 3.12 at /usr/bin/python3) changes it.
fn fingerprint(base: &Utf8Path) -> String {
    let real = base
        .canonicalize_utf8()
        .unwrap_or_else(|_| base.to_path_buf());
    match real.metadata() {
        Ok(meta) => {
            use std::os::unix::fs::MetadataExt;
            format!("{real} ({} bytes, modified {})", meta.size(), meta.mtime())
        }
        Err(_) => real.to_string(),
    }
}

/// Whether the environment at `venv` was made from exactly `stamp`.
pub fn is_up_to_date(venv: &Utf8Path, stamp: &str) -> bool {
    venv.join("bin/python").exists()
        && std::fs::read_to_string(venv.join(STAMP)).is_ok_and(|s| s == stamp)
}

fn stamp_text(base: &Utf8Path, fingerprint: &str, requirements: &str) -> String {
    format!(
        "# written by e3 after the environment was made; do not edit\n# python: {base} = {fingerprint}\n{requirements}"
    )
}

fn is_recent_enough(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= MIN_VERSION,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(is_recent_enough("3.11.7"));
        assert!(is_recent_enough("3.10.0"));
        assert!(is_recent_enough("4.0.0"));
        assert!(!is_recent_enough("3.9.18"));
        assert!(!is_recent_enough("2.7.18"));
        assert!(!is_recent_enough(""));
    }

    fn managed(up_to_date: bool) -> Python {
        Python::Managed(Managed {
            base: "/usr/bin/python3".into(),
            venv: "/e3/.e3/venv".into(),
            stamp: stamp_text(
                "/usr/bin/python3".into(),
                "/usr/bin/python3.11 (6831736 bytes, modified 1700000000)",
                "mpyc==0.11\n",
            ),
            up_to_date,
        })
    }

    #[test]
    fn setup_only_when_stale() {
        let render = |p: &Python| {
            e3_plan::Plan {
                workdir: None,
                steps: p.setup_steps(),
            }
            .render()
        };
        insta::assert_snapshot!(render(&managed(false)), @r"
        /usr/bin/python3 -m venv --clear .e3/venv
        .e3/venv/bin/python -m pip install --disable-pip-version-check --no-input --quiet --requirement python/requirements.txt
        cat > .e3/venv/e3-stamp.txt <<'EOF'
        # written by e3 after the environment was made; do not edit
        # python: /usr/bin/python3 = /usr/bin/python3.11 (6831736 bytes, modified 1700000000)
        mpyc==0.11
        EOF
        ");
        insta::assert_snapshot!(render(&managed(true)), @"# python env .e3/venv is up to date with python/requirements.txt");
        assert!(Python::Given("/opt/py".into()).setup_steps().is_empty());
        assert_eq!(managed(true).interpreter(), "/e3/.e3/venv/bin/python");
    }
}
