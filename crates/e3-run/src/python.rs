//! The Python that runs the parties.
//!
//! By default e3 keeps its own virtual environment in `.e3/venv`, made from
//! `python/requirements.txt` on first use and rebuilt only when the pins (or
//! the base interpreter) change. A given interpreter (`--python PATH`) is
//! used as it is, and must already have MPyC.
//!
//! Finding interpreters on PATH is the caller's part; this module checks
//! them and knows the environment.

use std::fmt;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use e3_exec::{Captured, ExecError};
use e3_plan::{Cmd, Plan, Step};

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

/// Why an interpreter cannot run the parties.
#[derive(Debug)]
pub enum PythonError {
    /// The given interpreter cannot `import mpyc`.
    NoMpyc { python: Utf8PathBuf },
    /// The base interpreter is older than MPyC needs (`None`: it did not say).
    TooOld {
        base: Utf8PathBuf,
        version: Option<String>,
    },
    /// The base interpreter cannot make virtual environments (no `venv` or
    /// `ensurepip` module).
    NoVenv { base: Utf8PathBuf, version: String },
    /// The pins could not be read.
    Requirements(std::io::Error),
    /// The check itself could not run.
    Probe {
        python: Utf8PathBuf,
        source: ExecError,
    },
}

impl fmt::Display for PythonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PythonError::NoMpyc { python } => write!(f, "`{python}` cannot import mpyc"),
            PythonError::TooOld { base, version } => write!(
                f,
                "`{base}` is Python {}; MPyC needs {}.{} or newer",
                version.as_deref().unwrap_or("of an unknown version"),
                MIN_VERSION.0,
                MIN_VERSION.1
            ),
            PythonError::NoVenv { base, version } => write!(
                f,
                "`{base}` (Python {version}) cannot make virtual environments"
            ),
            PythonError::Requirements(err) => write!(f, "cannot read {REQUIREMENTS}: {err}"),
            PythonError::Probe { python, source } => {
                write!(f, "cannot check `{python}`: {}", source.message)
            }
        }
    }
}

impl std::error::Error for PythonError {}

/// An interpreter the user gave: used as it is, once it shows it has MPyC.
pub fn given(python: Utf8PathBuf) -> Result<Python, PythonError> {
    let probe = probe(&python, &["-c", "import mpyc"])?;
    if !probe.end.success() {
        return Err(PythonError::NoMpyc { python });
    }
    Ok(Python::Given(python))
}

/// e3's own environment, made with the interpreter `base` (`python3` on
/// PATH); reads whether `.e3/venv` is current.
///
/// The environment is current when its pins are the requirements' and the
/// interpreter it was made from is still the same file: the real file
/// behind its `bin/python`, not the word `python3` on PATH, which differs
/// between shells (pyenv's shim, or the version's own folder first on PATH
/// under a pyenv Python) and made two e3s rebuild each other's environment,
/// under each other's running parties.
pub fn managed(root: &Utf8Path, base: Utf8PathBuf) -> Result<Python, PythonError> {
    let requirements =
        std::fs::read_to_string(root.join(REQUIREMENTS)).map_err(PythonError::Requirements)?;
    let venv = root.join(VENV_DIR);
    // The common case costs no process: the environment is what the stamp says.
    if let Ok(made_from) = venv.join("bin/python").canonicalize_utf8() {
        let stamp = stamp_text(&fingerprint(&made_from), &requirements);
        if is_up_to_date(&venv, &stamp) {
            return Ok(Python::Managed(Managed {
                base,
                venv,
                stamp,
                up_to_date: true,
            }));
        }
    }
    let real = check_base(&base)?;
    Ok(Python::Managed(Managed {
        stamp: stamp_text(&fingerprint(&real), &requirements),
        base,
        venv,
        up_to_date: false,
    }))
}

/// The base interpreter can make the environment: recent enough, with
/// venv. Returns the real file it runs as (what the environment's
/// `bin/python` will lead to).
fn check_base(base: &Utf8Path) -> Result<Utf8PathBuf, PythonError> {
    let probe = probe(
        base,
        &[
            "-c",
            "import os, sys; print('%d.%d.%d' % sys.version_info[:3]); \
             print(os.path.realpath(sys.executable)); import venv, ensurepip",
        ],
    )?;
    let mut said = probe.stdout.lines();
    let version = said.next().unwrap_or_default().trim().to_string();
    let real = said
        .next()
        .map(|l| Utf8PathBuf::from(l.trim()))
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| base.to_path_buf());
    if !is_recent_enough(&version) {
        return Err(PythonError::TooOld {
            base: base.to_path_buf(),
            version: (!version.is_empty()).then_some(version),
        });
    }
    if !probe.end.success() {
        return Err(PythonError::NoVenv {
            base: base.to_path_buf(),
            version,
        });
    }
    Ok(real)
}

/// Runs a quick read-only check of an interpreter.
fn probe(python: &Utf8Path, args: &[&str]) -> Result<Captured, PythonError> {
    e3_exec::capture(&Cmd::new(python).args(args.iter().copied())).map_err(|source| {
        PythonError::Probe {
            python: python.to_path_buf(),
            source,
        }
    })
}

/// Makes e3's environment when it is not up to date, by running `setup`
/// (its [`Python::setup_steps`] in a plan), under a lock so that two runs at
/// once do not make it twice. `making` is told before the work starts, with
/// each command as it runs; returns how long the making took (`None`: there
/// was nothing to do).
pub fn prepare(
    root: &Utf8Path,
    python: &Python,
    setup: &Plan,
    making: &dyn Fn(Making<'_>),
) -> Result<Option<Duration>, ExecError> {
    let Python::Managed(managed) = python else {
        return Ok(None);
    };
    if managed.up_to_date {
        return Ok(None);
    }
    let _lock = e3_exec::FileLock::acquire(&root.join(".e3/venv.lock"))?;
    if is_up_to_date(&managed.venv, &managed.stamp) {
        return Ok(None);
    }
    making(Making::Start);
    let started = Instant::now();
    e3_exec::run_plan(setup, |step| {
        if let Step::Run(cmd) = step {
            making(Making::Command(cmd));
        }
    })?;
    Ok(Some(started.elapsed()))
}

/// Progress of [`prepare`].
#[derive(Clone, Copy, Debug)]
pub enum Making<'a> {
    /// The environment is about to be made (the first run does it).
    Start,
    /// This command runs now.
    Command(&'a Cmd),
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

fn stamp_text(fingerprint: &str, requirements: &str) -> String {
    format!(
        "# written by e3 after the environment was made; do not edit\n# python: {fingerprint}\n{requirements}"
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
        # python: /usr/bin/python3.11 (6831736 bytes, modified 1700000000)
        mpyc==0.11
        EOF
        ");
        insta::assert_snapshot!(render(&managed(true)), @"# python env .e3/venv is up to date with python/requirements.txt");
        assert!(Python::Given("/opt/py".into()).setup_steps().is_empty());
        assert_eq!(managed(true).interpreter(), "/e3/.e3/venv/bin/python");
    }

    /// The environment is current whatever word finds its interpreter:
    /// pyenv's shim in one shell, the version's own folder in another.
    #[test]
    fn the_stamp_follows_the_environments_interpreter_not_path() {
        let dir = std::env::temp_dir().join(format!("e3-venv-stamp-{}", std::process::id()));
        let root = Utf8PathBuf::from_path_buf(dir.clone()).unwrap();
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join(".e3/venv/bin")).unwrap();
        std::fs::create_dir_all(root.join("python")).unwrap();
        std::fs::write(root.join(REQUIREMENTS), "mpyc==0.11\n").unwrap();
        // The "real" interpreter and the environment's link to it.
        let real = root.join("real-python3.11");
        std::fs::write(&real, "#!/bin/sh\n").unwrap();
        std::os::unix::fs::symlink(&real, root.join(".e3/venv/bin/python")).unwrap();
        let real = real.canonicalize_utf8().unwrap();
        let stamp = stamp_text(&fingerprint(&real), "mpyc==0.11\n");
        std::fs::write(root.join(".e3/venv").join(STAMP), &stamp).unwrap();
        // Two different words for python3 (neither is even run): current.
        for word in ["/root/.pyenv/shims/python3", "/somewhere/else/python3"] {
            let Ok(Python::Managed(m)) = managed_at(&root, word) else {
                panic!("managed")
            };
            assert!(m.up_to_date, "{word}");
        }
        // A changed pin is not.
        std::fs::write(root.join(REQUIREMENTS), "mpyc==0.12\n").unwrap();
        assert!(matches!(
            managed_at(&root, "/nonexistent/python3"),
            Err(PythonError::Probe { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn managed_at(root: &Utf8Path, word: &str) -> Result<Python, PythonError> {
        super::managed(root, word.into())
    }
}
