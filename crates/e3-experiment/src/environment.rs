//! What an experiment ran on, for `environment.json`: e3's commit (and
//! whether the tree was dirty), the parties' Python, MPyC, numpy and gmpy2,
//! the hosts and their regions, this machine's cores. The commands are
//! values; the caller runs them and hands back what they printed.

use camino::Utf8Path;
use e3_plan::Cmd;
use serde_json::{Value, json};

/// Prints the parties' versions as one JSON line (a missing module: null).
/// One line of Python: no indentation to lose in quoting.
pub const VERSIONS_SCRIPT: &str = "import json, sys, importlib, importlib.util; \
v = lambda m: getattr(importlib.import_module(m), '__version__', None) if importlib.util.find_spec(m) else None; \
print(json.dumps({'python': '%d.%d.%d' % sys.version_info[:3], 'mpyc': v('mpyc'), 'numpy': v('numpy'), 'gmpy2': v('gmpy2')}))";

/// The versions of the interpreter `python`.
pub fn versions_cmd(python: &Utf8Path) -> Cmd {
    Cmd::new(python).args(["-c", VERSIONS_SCRIPT])
}

/// What [`versions_cmd`] printed, as a JSON value (null when unreadable).
pub fn parse_versions(stdout: &str) -> Value {
    stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .unwrap_or(Value::Null)
}

/// `git rev-parse HEAD` and `git status --porcelain` in the workspace.
pub fn git_cmds(git: &Utf8Path) -> (Cmd, Cmd) {
    (
        Cmd::new(git).args(["rev-parse", "HEAD"]),
        Cmd::new(git).args(["status", "--porcelain", "--untracked-files=no"]),
    )
}

/// The record, from what was found.
pub struct Found<'a> {
    pub commit: Option<&'a str>,
    /// `git status --porcelain` printed something.
    pub dirty: Option<bool>,
    /// Per place the parties ran (`local`, or a host's name): its versions.
    pub versions: Vec<(String, Value)>,
    /// The hosts (name, region when known); empty for local runs.
    pub hosts: Vec<(String, Option<String>)>,
    pub recorded_at: &'a str,
}

pub fn record(found: &Found<'_>) -> Value {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    json!({
        "recorded_at": found.recorded_at,
        "e3": { "commit": found.commit, "dirty": found.dirty },
        "machine": {
            "cores": cores,
            "os": std::env::consts::OS,
            "arch": std::env::consts::ARCH,
        },
        "parties": found
            .versions
            .iter()
            .map(|(place, v)| json!({ "where": place, "versions": v }))
            .collect::<Vec<_>>(),
        "hosts": found
            .hosts
            .iter()
            .map(|(name, region)| json!({ "host": name, "region": region }))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_one_line_of_python() {
        assert!(!VERSIONS_SCRIPT.contains('\n'));
        assert!(
            VERSIONS_SCRIPT.contains("import json, sys, importlib, importlib.util; v = lambda m:")
        );
    }

    #[test]
    fn versions_from_what_python_printed() {
        let v = parse_versions(
            "warning: something\n{\"python\": \"3.11.7\", \"mpyc\": \"0.11\", \"numpy\": \"2.4.6\", \"gmpy2\": null}\n",
        );
        assert_eq!(v["mpyc"], "0.11");
        assert!(v["gmpy2"].is_null());
        assert!(parse_versions("Traceback ...").is_null());
    }
}
