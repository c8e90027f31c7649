//! `cargo xtask doctor`: one table of what e3 needs on this machine (crate
//! `e3-doctor` decides what is checked), found by `which`, versions asked
//! through the executor. Exit 0 when local runs can work, else 1.

use camino::{Utf8Path, Utf8PathBuf};
use e3_doctor::{Probe, PythonEnv};
use e3_plan::Cmd;
use e3_run::python::{self, Python};

use crate::cli::DoctorArgs;
use crate::error::{Result, failure};
use crate::tasks::image::aarch64_verdict;
use crate::tools;

/// This machine, as the doctor sees it.
struct Machine;

impl Probe for Machine {
    fn find(&self, name: &str) -> Option<Utf8PathBuf> {
        tools::find(name).ok()
    }

    fn version(&self, program: &Utf8Path, args: &[&str]) -> Option<String> {
        let out = e3_exec::capture(&Cmd::new(program).args(args.iter().copied())).ok()?;
        // ssh -V answers on stderr; most others on stdout.
        [out.stdout, out.stderr]
            .iter()
            .flat_map(|text| text.lines())
            .map(str::trim)
            .find(|line| !line.is_empty())
            .map(str::to_string)
    }

    fn is_set(&self, name: &str) -> bool {
        std::env::var_os(name).is_some_and(|v| !v.is_empty())
    }
}

pub fn run(root: &Utf8Path, dry_run: bool, args: &DoctorArgs) -> Result<()> {
    if dry_run {
        for command in e3_doctor::version_commands(&Machine) {
            crate::out::outln!("{command}");
        }
        crate::out::outln!(
            "# then read /proc/sys/fs/binfmt_misc and nix.conf, and which secrets are set"
        );
        return Ok(());
    }
    let python_env = match tools::find("python3") {
        Err(_) => PythonEnv::CannotBeMade,
        Ok(base) => match python::managed(root, base) {
            Ok(Python::Managed(m)) if m.up_to_date => PythonEnv::UpToDate,
            Ok(_) => PythonEnv::WillBeMade,
            Err(_) => PythonEnv::CannotBeMade,
        },
    };
    let checks = e3_doctor::examine(&Machine, &aarch64_verdict(), python_env);
    // Files that can hold secrets (Terraform's state, saved plans, deploy
    // records) and that others can read: deploy and destroy repair them;
    // the doctor says so now.
    let exposed = e3_deploy::secrets_at_rest::survey(root);
    if args.json {
        let mut json = e3_doctor::to_json(&checks);
        json["exposed_secrets"] = serde_json::json!(
            exposed
                .iter()
                .map(|f| serde_json::json!({"path": f.shown.as_str(), "mode": format!("{:04o}", f.mode), "fix": f.fix()}))
                .collect::<Vec<_>>()
        );
        let json = serde_json::to_string_pretty(&json).expect("a json value serialises");
        crate::out::outln!("{json}");
    } else {
        crate::out::outln!("{}", e3_doctor::table(&checks));
        for f in &exposed {
            crate::out::outln!("warning: {}; fix: `{}`", f.problem(), f.fix());
        }
    }
    if e3_doctor::ready_for_local_runs(&checks) {
        return Ok(());
    }
    let missing: Vec<&str> = checks
        .iter()
        .filter(|c| c.local && !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    Err(failure(format!(
        "not ready for local runs: {} missing",
        missing.join(", ")
    )))
}
