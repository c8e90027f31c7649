//! Where a run's numbers come from: e3's commit (and whether the tree was
//! dirty), the command line, this machine, and the parties' Python, MPyC,
//! numpy and gmpy2, per place the parties ran. One record, one shape: a
//! run's `summary.json` holds it as `environment`, an experiment's
//! `environment.json` is it. The probes are commands (values); what they
//! print is read here; a probe that fails leaves its field null.

use camino::Utf8Path;
use e3_plan::{Cmd, Job};
use serde_json::{Value, json};

use crate::python::Python;

/// Prints the parties' versions as one JSON line (a missing module: null),
/// with what they were read from (`read`: the interpreter, the folders on
/// its path, a module's own file when its version came from importing it)
/// and a `stamp` of those (inode and change time of each, as
/// [`stamp_shell`] prints them, after `PYTHONPATH`): installing, removing
/// or upgrading a package changes its folder's, so an unchanged stamp is
/// unchanged versions. A package's version is read from the name of the
/// `NAME-VERSION.dist-info` folder beside it, which imports nothing
/// (`importlib.metadata` alone costs 30 ms of CPU, numpy's import ten
/// times that: on a testbed of 128 hosts sharing two cores, seconds added
/// to every run); a module without one (a source checkout on
/// `PYTHONPATH`, an editable install) is imported for its `__version__`.
/// One line of Python: nothing to lose in quoting for a remote shell.
pub const VERSIONS_SCRIPT: &str = "import json, os, sys, importlib, importlib.util as u; \
d = lambda s: os.path.dirname(os.path.dirname(s.origin) if s.submodule_search_locations else s.origin); \
i = lambda m, s: next((f[len(m) + 1:-10] for f in sorted(os.listdir(d(s))) if f.endswith('.dist-info') and f.lower().startswith(m + '-')), None) if s and s.origin else None; \
r = [os.path.realpath(sys.executable)] + [p for p in sys.path if p and os.path.isdir(p)]; \
v = lambda m: (lambda s: None if s is None else i(m, s) or (r.append(s.origin) if s.origin else None, getattr(importlib.import_module(m), '__version__', None))[1])(u.find_spec(m)); \
w = {m: v(m) for m in ('mpyc', 'numpy', 'gmpy2')}; \
t = lambda p: (lambda s: '%d:%d.%09d' % (s.st_ino, s.st_ctime_ns // 10**9, s.st_ctime_ns % 10**9))(os.stat(p)) if os.path.exists(p) else '-'; \
print(json.dumps({'versions': dict(python='%d.%d.%d' % sys.version_info[:3], **w), 'read': r, 'stamp': 'PYTHONPATH=' + os.environ.get('PYTHONPATH', '') + ''.join(' ' + t(p) for p in r)}))";

/// A shell expansion that prints the stamp of `read` the way
/// [`VERSIONS_SCRIPT`] prints it, with no Python: `stat` (GNU's, as on
/// NixOS and Debian) for each path, `-` for one that is gone. A host whose
/// `stat` prints otherwise never matches, and is asked every time.
pub fn stamp_shell(read: &[String]) -> String {
    let paths: Vec<String> = read.iter().map(|p| e3_plan::quote(p)).collect();
    format!(
        "PYTHONPATH=$PYTHONPATH$(for p in {}; do s=$(stat -L -c %i:%.9Z -- \"$p\" 2>/dev/null) || s=-; printf ' %s' \"$s\"; done)",
        paths.join(" ")
    )
}

/// The versions of the interpreter `python`.
pub fn versions_cmd(python: &Utf8Path) -> Cmd {
    Cmd::new(python).args(["-c", VERSIONS_SCRIPT])
}

/// The same, as a command line for a host's shell, after the host's name
/// for itself (a line of its own, after [`UNAME_MARKER`]: whatever the
/// login shell prints first does not take its place).
pub fn remote_versions_script(remote_python: &str) -> String {
    format!(
        "echo \"{UNAME_MARKER}$(uname -n)\"; {remote_python} -c {}",
        e3_plan::quote(VERSIONS_SCRIPT)
    )
}

/// What the host's name follows in [`remote_versions_script`]'s output.
pub const UNAME_MARKER: &str = "e3-uname ";

/// The host's name in what [`remote_versions_script`] printed (empty: none).
pub fn parse_uname(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(UNAME_MARKER))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// What [`versions_cmd`] printed, as a JSON value (null when unreadable).
pub fn parse_versions(stdout: &str) -> Value {
    parse_probe(stdout).map_or(Value::Null, |p| p.versions)
}

/// What [`VERSIONS_SCRIPT`] printed: the versions and what they were read
/// from (`None`: nothing readable).
#[derive(Clone, Debug, PartialEq)]
pub struct Probed {
    pub versions: Value,
    pub read: Vec<String>,
    pub stamp: String,
}

pub fn parse_probe(stdout: &str) -> Option<Probed> {
    let said = stdout.lines().rev().find_map(|l| {
        serde_json::from_str::<Value>(l.trim())
            .ok()
            .filter(|v| v["versions"].is_object())
    })?;
    Some(Probed {
        versions: said["versions"].clone(),
        read: said["read"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|p| p.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        stamp: said["stamp"].as_str().unwrap_or_default().to_string(),
    })
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
    pub versions: Vec<PlaceVersions>,
    /// The hosts (as e3 reached them, and their region when known); empty
    /// for local runs.
    pub hosts: Vec<(String, Option<String>)>,
}

/// One place's versions, and when they were asked there (`None`: not
/// known; a host's kept versions keep the time they were asked).
#[derive(Clone, Debug, PartialEq)]
pub struct PlaceVersions {
    pub place: String,
    pub versions: Value,
    pub asked_at: Option<String>,
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
            .map(|p| json!({ "where": p.place, "versions": p.versions, "asked_at": p.asked_at }))
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

/// Where [`KnownVersions`] are kept, under the workspace root.
pub const KNOWN_VERSIONS: &str = ".e3/versions/hosts.json";

/// Each host's versions as e3 last asked them (per host as e3 reached it
/// and Python command there), with what they were read from and its
/// stamp. A run stamps those again in its first line on the host (a
/// `stat`, no Python); only a host whose stamp changed, or that is not
/// known, is asked again after the run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KnownVersions {
    pub hosts: Vec<Known>,
}

/// One host's versions, as [`KnownVersions`] keeps them.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Known {
    /// The host as e3 reached it (`user@host`, with `:port`).
    pub host: String,
    /// The Python command there.
    pub python: String,
    /// The host's name for itself when asked.
    pub uname: String,
    pub read: Vec<String>,
    pub stamp: String,
    pub versions: Value,
    pub asked_at: String,
}

impl KnownVersions {
    /// The file at `path` (missing or unreadable: nothing known).
    pub fn load(path: &Utf8Path) -> KnownVersions {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    fn find(&self, host: &str, python: &str) -> Option<&Known> {
        self.hosts
            .iter()
            .find(|k| k.host == host && k.python == python)
    }

    /// What to stamp on `host` (as e3 reaches it) for `python` there.
    pub fn read_on(&self, host: &str, python: &str) -> Option<&[String]> {
        self.find(host, python).map(|k| k.read.as_slice())
    }

    /// The versions kept for `host`, if it said it is `uname` and stamped
    /// exactly what was kept (an empty stamp matches nothing).
    pub fn unchanged(&self, host: &str, python: &str, uname: &str, stamp: &str) -> Option<&Known> {
        self.find(host, python)
            .filter(|k| !stamp.is_empty() && k.uname == uname && k.stamp == stamp)
    }

    /// Keeps `known` in place of what was kept for its host and Python,
    /// and at most [`KnownVersions::LIMIT`] hosts, the latest asked (every
    /// testbed has hosts of its own name).
    pub fn put(&mut self, known: Known) {
        self.hosts
            .retain(|k| !(k.host == known.host && k.python == known.python));
        self.hosts.push(known);
        if self.hosts.len() > Self::LIMIT {
            self.hosts.sort_by(|a, b| b.asked_at.cmp(&a.asked_at));
            self.hosts.truncate(Self::LIMIT);
        }
    }

    pub const LIMIT: usize = 1024;

    /// Adds `asked` to the file at `path`, read again under a lock (beside
    /// it): runs that end at the same moment each keep what they asked.
    pub fn keep(path: &Utf8Path, asked: Vec<Known>) -> std::io::Result<()> {
        if asked.is_empty() {
            return Ok(());
        }
        let _lock = e3_exec::FileLock::acquire(&path.with_extension("lock"))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let mut known = KnownVersions::load(path);
        for k in asked {
            known.put(k);
        }
        known.save(path)
    }

    /// Writes the file whole (another run may be reading it).
    pub fn save(&self, path: &Utf8Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self).expect("known versions serialise");
        e3_exec::write_whole(path, &format!("{text}\n"))
    }
}

/// Each host's versions: kept ones where `stamps` (per host: the name it
/// gave and what its first party stamped) match what `known` (as the plan
/// read it) kept for `remote_python` there; the rest asked with `asks`
/// (per host, labelled as e3 reaches it: [`remote_versions_script`] over
/// its master connection), all at once, and added to the file at `keep_in`.
pub fn host_versions(
    asks: &[Job],
    remote_python: &str,
    stamps: &[Option<(String, String)>],
    known: &KnownVersions,
    keep_in: &Utf8Path,
) -> Vec<PlaceVersions> {
    let kept: Vec<Option<&Known>> = asks
        .iter()
        .enumerate()
        .map(|(i, ask)| {
            let (uname, stamp) = stamps.get(i)?.as_ref()?;
            known.unchanged(&ask.label, remote_python, uname, stamp)
        })
        .collect();
    let asked: Vec<Option<(Probed, String)>> = std::thread::scope(|scope| {
        let asks: Vec<_> = asks
            .iter()
            .zip(&kept)
            .map(|(job, kept)| {
                let cmd = &job.cmd;
                let ask = move || {
                    let out = e3_exec::capture(cmd).ok()?;
                    Some((parse_probe(&out.stdout)?, parse_uname(&out.stdout)))
                };
                kept.is_none().then(|| scope.spawn(ask))
            })
            .collect();
        asks.into_iter()
            .map(|ask| ask.and_then(|a| a.join().ok().flatten()))
            .collect()
    });
    let asked_at = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let mut asked_now = Vec::new();
    let found = asks
        .iter()
        .zip(kept.into_iter().zip(asked))
        .map(|(job, answer)| {
            let place = job.label.clone();
            let (versions, asked_at) = match answer {
                (Some(k), _) => (k.versions.clone(), Some(k.asked_at.clone())),
                (None, Some((probed, uname))) => {
                    if !probed.read.is_empty() && !uname.is_empty() {
                        asked_now.push(Known {
                            host: place.clone(),
                            python: remote_python.to_string(),
                            uname,
                            read: probed.read,
                            stamp: probed.stamp,
                            versions: probed.versions.clone(),
                            asked_at: asked_at.clone(),
                        });
                    }
                    (probed.versions, Some(asked_at.clone()))
                }
                (None, None) => (Value::Null, None),
            };
            PlaceVersions {
                place,
                versions,
                asked_at,
            }
        })
        .collect();
    // Not kept: the next run asks again, which is all it costs.
    let _ = KnownVersions::keep(keep_in, asked_now);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use camino::Utf8PathBuf;

    #[test]
    fn the_script_is_one_line_of_python() {
        assert!(!VERSIONS_SCRIPT.contains('\n'));
        assert!(VERSIONS_SCRIPT.contains(".dist-info"));
        let remote = remote_versions_script("/opt/py/bin/python");
        assert!(
            remote.starts_with("echo \"e3-uname $(uname -n)\"; /opt/py/bin/python -c '"),
            "{remote}"
        );
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

    /// The stamp that the probe prints and the one a host's shell prints
    /// for the same paths are the same text; a package installed into a
    /// folder on the path changes it.
    #[test]
    fn the_shell_stamps_what_python_stamped() {
        let Ok(python) = which::which("python3") else {
            assert!(std::env::var_os("CI").is_none(), "CI has python3");
            eprintln!("skipped: no python3 on PATH (CI installs it)");
            return;
        };
        let dir = std::env::temp_dir().join(format!("e3-versions-stamp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("mpyc-0.11.dist-info")).unwrap();
        std::fs::create_dir_all(dir.join("mpyc")).unwrap();
        std::fs::write(dir.join("mpyc/__init__.py"), "").unwrap();
        let site = dir.to_str().unwrap().to_string();
        let shell = |read: &[String]| {
            let out = std::process::Command::new("sh")
                .args(["-c", &format!("echo \"{}\"", stamp_shell(read))])
                .env("PYTHONPATH", &site)
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let out = std::process::Command::new(python)
            .args(["-c", VERSIONS_SCRIPT])
            .env("PYTHONPATH", &site)
            .output()
            .unwrap();
        let probed = parse_probe(&String::from_utf8_lossy(&out.stdout)).expect("the probe printed");
        assert_eq!(probed.versions["mpyc"], "0.11");
        assert!(probed.read.contains(&site), "{probed:?}");
        assert_eq!(shell(&probed.read), probed.stamp);
        // An upgrade: one version's folder goes, another comes.
        std::fs::remove_dir(dir.join("mpyc-0.11.dist-info")).unwrap();
        std::fs::create_dir(dir.join("mpyc-0.12.dist-info")).unwrap();
        let now = shell(&probed.read);
        let _ = std::fs::remove_dir_all(&dir);
        assert_ne!(now, probed.stamp);
        // A path that is gone stamps as `-`, as in Python.
        assert_eq!(
            shell(std::slice::from_ref(&site)),
            format!("PYTHONPATH={site} -")
        );
    }

    fn known(host: &str, stamp: &str, asked_at: &str) -> Known {
        Known {
            host: host.into(),
            python: "python3".into(),
            uname: "h1".into(),
            read: vec!["/usr/bin/python3".into()],
            stamp: stamp.into(),
            versions: json!({"python": "3.11.7", "mpyc": "0.11"}),
            asked_at: asked_at.into(),
        }
    }

    #[test]
    fn kept_versions_hold_only_for_the_same_host_python_and_stamp() {
        let mut kept = KnownVersions::default();
        kept.put(known(
            "root@h1",
            "PYTHONPATH= 1:2.0",
            "2026-11-30T10:00:00.000Z",
        ));
        assert!(
            kept.unchanged("root@h1", "python3", "h1", "PYTHONPATH= 1:2.0")
                .is_some()
        );
        // Changed, another machine behind the name, another Python, or
        // nothing stamped: asked again.
        assert!(
            kept.unchanged("root@h1", "python3", "h1", "PYTHONPATH= 1:3.0")
                .is_none()
        );
        assert!(
            kept.unchanged("root@h1", "python3", "h9", "PYTHONPATH= 1:2.0")
                .is_none()
        );
        assert!(
            kept.unchanged("root@h1", "python3.12", "h1", "PYTHONPATH= 1:2.0")
                .is_none()
        );
        assert!(kept.unchanged("root@h1", "python3", "h1", "").is_none());
        assert_eq!(
            kept.read_on("root@h1", "python3").unwrap(),
            ["/usr/bin/python3"]
        );
        assert!(kept.read_on("root@h2", "python3").is_none());
        // Asked again: replaced, not added.
        kept.put(known(
            "root@h1",
            "PYTHONPATH= 1:3.0",
            "2026-11-30T11:00:00.000Z",
        ));
        assert_eq!(kept.hosts.len(), 1);
        // Kept in a file, read back the same.
        let path = Utf8PathBuf::from_path_buf(std::env::temp_dir())
            .unwrap()
            .join(format!("e3-known-{}/hosts.json", std::process::id()));
        kept.save(&path).unwrap();
        let back = KnownVersions::load(&path);
        assert_eq!(back, kept);
        // Another run's hosts join what is in the file, whatever this one
        // read before.
        KnownVersions::keep(
            &path,
            vec![known("root@h2", "s", "2026-11-30T12:00:00.000Z")],
        )
        .unwrap();
        let both = KnownVersions::load(&path);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
        assert!(both.read_on("root@h1", "python3").is_some());
        assert!(both.read_on("root@h2", "python3").is_some());
        assert_eq!(
            KnownVersions::load(Utf8Path::new("/nonexistent/e3")),
            KnownVersions::default()
        );
        // At most LIMIT hosts, the latest asked.
        for i in 0..KnownVersions::LIMIT + 5 {
            kept.put(known(
                &format!("root@t{i}"),
                "s",
                &format!("2026-12-01T00:00:00.{i:04}Z"),
            ));
        }
        assert_eq!(kept.hosts.len(), KnownVersions::LIMIT);
        assert!(kept.read_on("root@h1", "python3").is_none());
        assert!(
            kept.read_on(&format!("root@t{}", KnownVersions::LIMIT + 4), "python3")
                .is_some()
        );
    }

    #[test]
    fn versions_from_what_python_printed() {
        let v = parse_versions(
            "warning: something\n{\"versions\": {\"python\": \"3.11.7\", \"mpyc\": \"0.11\", \"numpy\": \"2.4.6\", \"gmpy2\": null}, \"read\": [\"/usr/bin/python3\"], \"stamp\": \"PYTHONPATH= 1:2.000000000\"}\n",
        );
        assert_eq!(v["mpyc"], "0.11");
        assert!(v["gmpy2"].is_null());
        assert!(parse_versions("Traceback ...").is_null());
        assert!(parse_versions("42").is_null());
        assert!(parse_versions("{\"python\": \"3.11.7\"}").is_null());
        // The host's name, wherever the login shell's own lines put it.
        assert_eq!(parse_uname("Welcome!\ne3-uname node-1\n{}\n"), "node-1");
        assert_eq!(parse_uname("node-1\n"), "");
    }

    #[test]
    fn one_shape_for_runs_and_experiments() {
        let provenance = Provenance {
            commit: Some("abc".into()),
            dirty: Some(false),
            command: vec!["cargo xtask".into(), "run".into(), "secretsanta".into()],
        };
        let places = Places {
            versions: vec![PlaceVersions {
                place: "h1".into(),
                versions: json!({"python": "3.11.7"}),
                asked_at: Some("2026-11-30T11:00:00Z".into()),
            }],
            hosts: vec![("h1".into(), Some("ams3".into()))],
        };
        let r = record(&provenance, &places, "2026-11-30T12:00:00Z");
        assert_eq!(r["e3"]["commit"], "abc");
        assert_eq!(r["command"][1], "run");
        assert_eq!(r["parties"][0]["where"], "h1");
        assert_eq!(r["hosts"][0]["region"], "ams3");
    }
}
