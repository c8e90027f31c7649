//! The Terraform side of e3 (terraform/), checked offline: every file is
//! formatted as `terraform fmt` formats it; the topology module (names,
//! party order, the host files e3 reads) passes its `terraform test` runs,
//! every one of them; and so do the root module's variables
//! (terraform/variable-checks, run against a copy of variables.tf alone).
//!
//! The root module itself cannot be initialised or validated here: its
//! providers come from a registry these machines do not reach. The topology
//! module has no providers, so `terraform init` and `terraform test` work
//! on it with no network.
//!
//! Needs `terraform` on PATH. Outside CI a machine without it skips these
//! tests with a printed reason; in CI (CI=true) that is a failure.

mod common;

use common::Scratch;

use std::path::{Path, PathBuf};

use xshell::{Shell, cmd};

use common::{copy_tree, root, text};

const TOPOLOGY: &str = "terraform/modules/topology";
const VARIABLE_CHECKS: &str = "terraform/variable-checks";

/// Whether terraform is there; `false` (after saying why) when it is not
/// and this is not CI.
fn have_terraform() -> bool {
    if which::which("terraform").is_ok() {
        return true;
    }
    let reason = "the Terraform tests need `terraform` on PATH";
    assert!(
        std::env::var_os("CI").is_none(),
        "{reason} (CI must run them: install Terraform >= 1.6)"
    );
    eprintln!("skipped: {reason} (install Terraform >= 1.6, or use `nix develop`)");
    false
}

/// A shell at the workspace root that keeps Terraform off the network (no
/// version check) and out of interactive prompts.
fn terraform_shell() -> Shell {
    let sh = common::shell();
    sh.set_var("CHECKPOINT_DISABLE", "1");
    sh.set_var("TF_IN_AUTOMATION", "1");
    sh.set_var("TF_INPUT", "0");
    sh
}

/// The names of the `run` blocks in the module's test files
/// (`*.tftest.hcl` in the module and in its `tests/`), in file order.
fn run_names(module: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = [module.to_path_buf(), module.join("tests")]
        .iter()
        .filter(|dir| dir.is_dir())
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().flatten())
        .map(|entry| entry.path())
        .filter(|path| path.to_string_lossy().ends_with(".tftest.hcl"))
        .collect();
    files.sort();
    let mut names = Vec::new();
    for file in files {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            // `run "name" {`, at the start of a line as terraform fmt puts it.
            if let Some(rest) = line.strip_prefix("run \"")
                && let Some((name, _)) = rest.split_once('"')
            {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// The counts in terraform test's summary line, e.g. "Success! 10 passed,
/// 0 failed." or "Failure! 5 passed, 2 failed, 3 skipped.".
fn summary(output: &str) -> Option<(usize, usize, usize)> {
    let line = output.lines().rev().find(|l| l.contains(" passed, "))?;
    let count = |word: &str| -> usize {
        line.split(',')
            .find(|part| part.contains(word))
            .and_then(|part| part.split_whitespace().rev().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Some((count("passed"), count("failed"), count("skipped")))
}

#[test]
fn terraform_files_are_formatted() {
    if !have_terraform() {
        return;
    }
    let sh = terraform_shell();
    let out = cmd!(
        sh,
        "terraform fmt -check -recursive -diff -no-color terraform"
    )
    .ignore_status()
    .quiet()
    .output()
    .expect("terraform starts");
    assert!(
        out.status.success(),
        "`terraform fmt -recursive terraform` would change these files:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Runs `terraform test` in `dir` (a scratch copy) and checks that every
/// run in its test files ran and passed: a test file terraform did not pick
/// up, or a run it skipped, would otherwise go unnoticed.
fn terraform_test_passes(dir: &Path, what: &str) {
    let expected = run_names(dir);
    assert!(
        !expected.is_empty(),
        "no `run` blocks in {what}'s test files"
    );
    let sh = terraform_shell();

    // No providers, so init needs no network.
    let init = cmd!(
        sh,
        "terraform -chdir={dir} init -backend=false -input=false -no-color"
    )
    .ignore_status()
    .quiet()
    .output()
    .expect("terraform starts");
    assert!(
        init.status.success(),
        "terraform init of {what} failed:\n{}\n{}",
        text(&init.stdout),
        text(&init.stderr)
    );

    let test = cmd!(sh, "terraform -chdir={dir} test -no-color")
        .ignore_status()
        .quiet()
        .output()
        .expect("terraform starts");
    let stdout = text(&test.stdout);
    let report = format!("{stdout}\n{}", text(&test.stderr));
    assert!(
        test.status.success(),
        "terraform test of {what} failed:\n{report}"
    );

    let (passed, failed, skipped) =
        summary(&stdout).unwrap_or_else(|| panic!("no summary line in:\n{report}"));
    assert_eq!(
        (passed, failed, skipped),
        (expected.len(), 0, 0),
        "{what}: expected {} passing runs ({expected:?}):\n{report}",
        expected.len()
    );
    for name in &expected {
        assert!(
            stdout.contains(&format!("run \"{name}\"... pass")),
            "{what}: run `{name}` did not pass:\n{report}"
        );
    }
}

#[test]
fn topology_module_passes_its_terraform_tests() {
    if !have_terraform() {
        return;
    }
    // A copy, so that init's .terraform folder lands in the scratch folder
    // and not in the work tree.
    let scratch = Scratch::new("topology");
    let dir = scratch.0.join("topology");
    copy_tree(&root().join(TOPOLOGY), &dir);
    terraform_test_passes(&dir, TOPOLOGY);
}

/// The root module's variables and their validations, on their own (the
/// root module needs providers to plan; its variables do not).
#[test]
fn root_variables_pass_their_checks() {
    if !have_terraform() {
        return;
    }
    let scratch = Scratch::new("variables");
    let dir = scratch.0.join("variables");
    copy_tree(&root().join(VARIABLE_CHECKS), &dir);
    std::fs::copy(
        root().join("terraform/variables.tf"),
        dir.join("variables.tf"),
    )
    .unwrap();
    terraform_test_passes(&dir, VARIABLE_CHECKS);
}

#[test]
fn summary_line_is_read() {
    assert_eq!(
        summary("x\nSuccess! 10 passed, 0 failed.\n"),
        Some((10, 0, 0))
    );
    assert_eq!(
        summary("Failure! 5 passed, 2 failed, 3 skipped.\n"),
        Some((5, 2, 3))
    );
    assert_eq!(summary("Error: no tests\n"), None);
}

/// Secrets at rest: a provider-less module whose built-in `terraform_data`
/// holds a canary (given as the image's presigned URL, the way deploy
/// hands Terraform a secret), planned, shown and applied through
/// e3-deploy's own plan and e3-exec, exactly as deploy runs Terraform,
/// from a process whose umask is 022: every file left that holds the
/// canary is 0600, and its folder 0700.
#[test]
fn terraform_files_that_hold_a_secret_are_private() {
    use std::os::unix::fs::PermissionsExt;
    if !have_terraform() {
        return;
    }
    // SAFETY: umask sets this test process's file creation mask.
    unsafe {
        libc::umask(0o022);
    }
    let scratch = Scratch::new("secrets-at-rest");
    let root = camino::Utf8PathBuf::from_path_buf(scratch.0.clone()).unwrap();
    std::fs::create_dir_all(root.join("terraform")).unwrap();
    std::fs::write(
        root.join("terraform/main.tf"),
        "variable \"image_url\" {\n  type      = string\n  sensitive = true\n}\n\n\
         resource \"terraform_data\" \"canary\" {\n  input = var.image_url\n}\n",
    )
    .unwrap();
    const CANARY: &str = "https://canary.example/e3-canary-Zq9xY7";
    const NEXT: &str = "https://canary.example/e3-canary-Wv4pK2";
    let settings = e3_deploy::Settings {
        nodes: [("ams3".to_string(), 1)].into(),
        size: "s-1vcpu-1gb".into(),
        prefix: "e3".into(),
        image_file: "nixos.qcow2.gz".into(),
        bucket: "e3-images".into(),
        spaces_region: "ams3".into(),
        ssh_public_keys: vec![],
        tags: vec!["e3".into()],
    };
    let secrets = e3_deploy::Secrets {
        image_url: Some(CANARY.into()),
        ..e3_deploy::Secrets::default()
    };
    let tools = e3_deploy::Tools {
        terraform: which::which("terraform").unwrap().try_into().unwrap(),
        colmena: None,
        git: "git".into(),
    };
    let inputs = e3_deploy::PlanInputs {
        root: &root,
        settings: &settings,
        state: &e3_deploy::State::Local,
        secrets: &secrets,
        tools: &tools,
        needs_init: true,
    };
    let change = e3_deploy::deploy_plan(&inputs).provision;
    e3_exec::run_plan(&change.prepare, |_| {}).unwrap();
    e3_exec::run(Some(&root), &change.plan).unwrap();
    let shown = e3_exec::capture_in(Some(&root), &change.show).unwrap();
    assert!(shown.end.success(), "{}", shown.stderr);
    assert!(
        shown.stdout.contains(CANARY),
        "the plan's JSON holds the secret"
    );
    e3_exec::run(Some(&root), &change.apply).unwrap();
    // A second deploy with another secret: the state's backup keeps the first.
    let next = e3_deploy::Secrets {
        image_url: Some(NEXT.into()),
        ..e3_deploy::Secrets::default()
    };
    let change = e3_deploy::deploy_plan(&e3_deploy::PlanInputs {
        secrets: &next,
        needs_init: false,
        ..inputs.clone()
    })
    .provision;
    e3_exec::run_plan(&change.prepare, |_| {}).unwrap();
    e3_exec::run(Some(&root), &change.plan).unwrap();
    e3_exec::run(Some(&root), &change.apply).unwrap();
    // The saved plan embeds every planned value, compressed (a zip): it
    // must be private whatever it shows to a byte search.
    let plan_file = root.join(".e3/deploy/e3.tfplan");

    let mut holding = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in dir.read_dir_utf8().unwrap().flatten() {
            let path = entry.path().to_path_buf();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                let holds = |c: &str| bytes.windows(c.len()).any(|w| w == c.as_bytes());
                if holds(CANARY) || holds(NEXT) || path == plan_file {
                    holding.push(path);
                }
            }
        }
    }
    holding.sort();
    let names: Vec<&str> = holding
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().as_str())
        .collect();
    // The state, its backup and the saved plan hold it; nothing else does.
    assert_eq!(
        names,
        [
            ".e3/deploy/e3.tfplan",
            "terraform/terraform.tfstate",
            "terraform/terraform.tfstate.backup",
        ],
        "{names:?}"
    );
    for path in &holding {
        let mode =
            |p: &camino::Utf8Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(path), 0o600, "{path}");
        assert_eq!(mode(path.parent().unwrap()), 0o700, "{path}'s folder");
    }
    // .terraform/, when init made one (a module with providers or modules).
    if let Ok(dot_terraform) = std::fs::metadata(root.join("terraform/.terraform")) {
        assert_eq!(dot_terraform.permissions().mode() & 0o777, 0o700);
    }
    // And e3 finds nothing to repair.
    assert!(e3_deploy::secrets_at_rest::survey(&root).is_empty());
}

/// A state file found readable by others is named with the chmod that
/// fixes it, and repaired.
#[test]
fn a_state_file_readable_by_others_is_repaired() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new("exposed-state");
    let root = camino::Utf8PathBuf::from_path_buf(scratch.0.clone()).unwrap();
    std::fs::create_dir_all(root.join("terraform")).unwrap();
    let state = root.join("terraform/terraform.tfstate");
    std::fs::write(&state, "{}").unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(
        root.join("terraform"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let found = e3_deploy::secrets_at_rest::survey(&root);
    let fixes: Vec<String> = found.iter().map(|f| f.fix()).collect();
    assert_eq!(
        fixes,
        [
            "chmod 700 terraform",
            "chmod 600 terraform/terraform.tfstate"
        ]
    );
    for f in &found {
        f.repair().unwrap();
    }
    assert_eq!(
        std::fs::metadata(&state).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(e3_deploy::secrets_at_rest::survey(&root).is_empty());
}
