//! Where a run's numbers come from: e3's commit (and whether the tree was
//! dirty), the command line, this machine, and the parties' Python, MPyC,
//! numpy and gmpy2, per place the parties ran. One record, one shape: a
//! run's `summary.json` holds it as `environment`, an experiment's
//! `environment.json` is it. The probes are commands (values); what they
//! print is read here; a probe that fails leaves its field null.

use camino::Utf8Path;
use e3_inventory::Host;
use e3_plan::Cmd;
use e3_ssh::Ssh;
use serde_json::{Value, json};

use crate::python::Python;

/// Prints the parties' versions as one JSON line (a missing module: null).
/// A package's version is read from the name of the `NAME-VERSION.dist-info`
/// folder beside it, which imports nothing (`importlib.metadata` alone
/// costs 30 ms of CPU, numpy's import ten times that: on a testbed of 128
/// hosts sharing two cores, seconds added to every run); a module without
/// one (a source checkout on `PYTHONPATH`, an editable install) is
/// imported for its `__version__`. One line of Python: nothing to lose in
/// quoting for a remote shell.
pub const VERSIONS_SCRIPT: &str = "import json, os, sys, importlib, importlib.util as u; \
i = lambda m, s: next((f[len(m) + 1:-10] for f in sorted(os.listdir(os.path.dirname(os.path.dirname(s.origin) if s.submodule_search_locations else s.origin))) if f.endswith('.dist-info') and f.lower().startswith(m + '-')), None) if s and s.origin else None; \
v = lambda m: (lambda s: None if s is None else i(m, s) or getattr(importlib.import_module(m), '__version__', None))(u.find_spec(m)); \
print(json.dumps({'python': '%d.%d.%d' % sys.version_info[:3], 'mpyc': v('mpyc'), 'numpy': v('numpy'), 'gmpy2': v('gmpy2')}))";

/// The versions of the interpreter `python`.
pub fn versions_cmd(python: &Utf8Path) -> Cmd {
    Cmd::new(python).args(["-c", VERSIONS_SCRIPT])
}

/// The same, as a command line for a host's shell.
pub fn remote_versions_script(remote_python: &str) -> String {
    format!("{remote_python} -c {}", e3_plan::quote(VERSIONS_SCRIPT))
}

/// What [`versions_cmd`] printed, as a JSON value (null when unreadable).
pub fn parse_versions(stdout: &str) -> Value {
    stdout
        .lines()
        .rev()
        .find_map(|l| {
            serde_json::from_str::<Value>(l.trim())
                .ok()
                .filter(Value::is_object)
        })
        .unwrap_or(Value::Null)
}

/// `git rev-parse HEAD` and `git status --porcelain` in the workspace.
pub fn git_cmds(git: &Utf8Path) -> (Cmd, Cmd) {
    (
        Cmd::new(git).args(["rev-parse", "HEAD"]),
        Cmd::new(git).args(["status", "--porcelain", "--untracked-files=no"]),
    )
}

/// What is known before the parties run: e3 itself and how it was asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    /// e3's commit, when the workspace is a git checkout.
    pub commit: Option<String>,
    /// `git status --porcelain` printed something (tracked files changed).
    pub dirty: Option<bool>,
    /// The command line, as e3 was started (its first word as typed).
    pub command: Vec<String>,
}

impl Provenance {
    /// e3's commit and tree in `root`, with `git` (none: both unknown).
    pub fn of_workspace(root: &Utf8Path, git: Option<&Utf8Path>, command: Vec<String>) -> Self {
        let mut found = Provenance {
            command,
            ..Provenance::default()
        };
        let Some(git) = git else {
            return found;
        };
        let (rev, status) = git_cmds(git);
        if let Ok(out) = e3_exec::capture_in(Some(root), &rev)
            && out.end.success()
        {
            found.commit = Some(out.stdout.trim().to_string());
        }
        if let Ok(out) = e3_exec::capture_in(Some(root), &status)
            && out.end.success()
        {
            found.dirty = Some(!out.stdout.trim().is_empty());
        }
        found
    }
}

/// Where the parties ran and what they ran with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Places {
    /// Per place (`local`, or a host as e3 reached it): its versions.
    pub versions: Vec<(String, Value)>,
    /// The hosts (as e3 reached them, and their region when known); empty
    /// for local runs.
    pub hosts: Vec<(String, Option<String>)>,
}

/// The record: the same shape in `summary.json` (`environment`) and in
/// an experiment's `environment.json`.
pub fn record(provenance: &Provenance, places: &Places, recorded_at: &str) -> Value {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    json!({
        "recorded_at": recorded_at,
        "e3": { "commit": provenance.commit, "dirty": provenance.dirty },
        "command": provenance.command,
        "machine": {
            "cores": cores,
            "os": std::env::consts::OS,
            "arch": std::env::consts::ARCH,
        },
        "parties": places
            .versions
            .iter()
            .map(|(place, v)| json!({ "where": place, "versions": v }))
            .collect::<Vec<_>>(),
        "hosts": places
            .hosts
            .iter()
            .map(|(name, region)| json!({ "host": name, "region": region }))
            .collect::<Vec<_>>(),
    })
}

/// The versions of a local interpreter. e3's own environment is what its
/// stamp says, so its versions are asked once per stamp and kept beside
/// it (a run pays no Python start for them); a given interpreter is asked
/// every time (it may have changed since).
pub fn local_versions(python: &Python) -> Value {
    let ask = || {
        e3_exec::capture(&versions_cmd(&python.interpreter()))
            .map_or(Value::Null, |out| parse_versions(&out.stdout))
    };
    let Python::Managed(managed) = python else {
        return ask();
    };
    let cache = managed.venv.join(VERSIONS_CACHE);
    if let Ok(text) = std::fs::read_to_string(&cache)
        && let Ok(kept) = serde_json::from_str::<Value>(&text)
        && kept["stamp"] == managed.stamp.as_str()
        && kept["versions"].is_object()
    {
        return kept["versions"].clone();
    }
    let versions = ask();
    if versions.is_object() {
        let kept = json!({ "stamp": managed.stamp, "versions": versions });
        // Written whole: another run may read it at the same moment.
        let _ = e3_exec::write_whole(&cache, &format!("{kept}\n"));
    }
    versions
}

/// Where [`local_versions`] keeps e3's environment's versions.
pub const VERSIONS_CACHE: &str = "e3-versions.json";

/// Each host's versions, asked over `ssh` (through its master connection
/// when one is open), all hosts at once.
pub fn host_versions(ssh: &Ssh, hosts: &[Host], remote_python: &str) -> Vec<(String, Value)> {
    let script = remote_versions_script(remote_python);
    std::thread::scope(|scope| {
        let asks: Vec<_> = hosts
            .iter()
            .map(|host| {
                let cmd = ssh.remote(host, false, script.clone());
                (
                    ssh.label(host),
                    scope.spawn(move || {
                        e3_exec::capture(&cmd).map_or(Value::Null, |o| parse_versions(&o.stdout))
                    }),
                )
            })
            .collect();
        asks.into_iter()
            .map(|(label, ask)| (label, ask.join().unwrap_or(Value::Null)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_one_line_of_python() {
        assert!(!VERSIONS_SCRIPT.contains('\n'));
        assert!(VERSIONS_SCRIPT.contains(".dist-info"));
        let remote = remote_versions_script("/opt/py/bin/python");
        assert!(remote.starts_with("/opt/py/bin/python -c '"), "{remote}");
    }

    /// The probe on a real Python: a version from a `.dist-info` folder
    /// without importing the package (this numpy fails when imported), a
    /// source checkout's from its `__version__`, a missing module null.
    #[test]
    fn the_script_reads_versions_without_importing() {
        let Ok(python) = which::which("python3") else {
            assert!(std::env::var_os("CI").is_none(), "CI has python3");
            eprintln!("skipped: no python3 on PATH (CI installs it)");
            return;
        };
        let dir = std::env::temp_dir().join(format!("e3-versions-probe-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let site = dir.join("site");
        let src = dir.join("src");
        for d in [
            site.join("numpy"),
            site.join("numpy-1.2.3.dist-info"),
            src.join("mpyc"),
        ] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(
            site.join("numpy/__init__.py"),
            "raise ImportError('imported')\n",
        )
        .unwrap();
        std::fs::write(src.join("mpyc/__init__.py"), "__version__ = '0.12.dev0'\n").unwrap();
        let out = std::process::Command::new(python)
            .args(["-c", VERSIONS_SCRIPT])
            .env(
                "PYTHONPATH",
                format!("{}:{}", site.display(), src.display()),
            )
            .env("PYTHONNOUSERSITE", "1")
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let v = parse_versions(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(
            v["numpy"],
            "1.2.3",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(v["mpyc"], "0.12.dev0");
        assert!(v["python"].as_str().is_some_and(|p| p.starts_with('3')));
    }

    #[test]
    fn versions_from_what_python_printed() {
        let v = parse_versions(
            "warning: something\n{\"python\": \"3.11.7\", \"mpyc\": \"0.11\", \"numpy\": \"2.4.6\", \"gmpy2\": null}\n",
        );
        assert_eq!(v["mpyc"], "0.11");
        assert!(v["gmpy2"].is_null());
        assert!(parse_versions("Traceback ...").is_null());
        assert!(parse_versions("42").is_null());
    }

    #[test]
    fn one_shape_for_runs_and_experiments() {
        let provenance = Provenance {
            commit: Some("abc".into()),
            dirty: Some(false),
            command: vec!["cargo xtask".into(), "run".into(), "secretsanta".into()],
        };
        let places = Places {
            versions: vec![("h1".into(), json!({"python": "3.11.7"}))],
            hosts: vec![("h1".into(), Some("ams3".into()))],
        };
        let r = record(&provenance, &places, "2026-11-30T12:00:00Z");
        assert_eq!(r["e3"]["commit"], "abc");
        assert_eq!(r["command"][1], "run");
        assert_eq!(r["parties"][0]["where"], "h1");
        assert_eq!(r["hosts"][0]["region"], "ams3");
    }
}
