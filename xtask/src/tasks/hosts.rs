//! `cargo xtask hosts`: `hosts.json` (Colmena) and `hosts.pssh` (party
//! order) from Terraform's output, plus hosts Terraform does not manage.

use camino::{Utf8Path, Utf8PathBuf};
use e3_inventory::files::{HOSTS_JSON, HOSTS_PSSH, HostFiles, host_files, host_table};
use e3_plan::{Cmd, Plan, Step};

use crate::cli::HostsArgs;
use crate::error::{Result, failure, usage};
use crate::paths::{current_dir, given, relative_to};
use crate::tools;

/// Where e3's Terraform module lives, relative to the workspace root.
pub const TERRAFORM_DIR: &str = "terraform";

pub fn run(root: &Utf8Path, dry_run: bool, args: &HostsArgs) -> Result<()> {
    let cwd = current_dir()?;
    let out_dir =
        given(&cwd, args.out.as_deref(), "--out", true)?.unwrap_or_else(|| root.to_path_buf());
    let extra = match &args.extra {
        Some(path) => Some(crate::remote::read_inventory_file(&cwd.join(path), path)?),
        None => None,
    };
    let (document, source) = match &args.terraform_output {
        Some(path) => {
            let text = std::fs::read_to_string(cwd.join(path))
                .map_err(|e| usage(format!("cannot read --terraform-output file `{path}`: {e}")))?;
            (text, path.clone())
        }
        None => {
            let terraform = tools::require(
                "terraform",
                "install Terraform (https://developer.hashicorp.com/terraform/install), or `nix develop`, \
                 or pass --terraform-output FILE with a saved `terraform output -json`",
            )?;
            let cmd = terraform_output_cmd(&terraform);
            if dry_run {
                crate::out::outln!("cd {}", e3_plan::quote(root.as_str()));
                crate::out::outln!("{cmd}");
                crate::out::outln!(
                    "# then write {HOSTS_JSON} and {HOSTS_PSSH} in {out_dir} from its output"
                );
                return Ok(());
            }
            let text = e3_exec::output_of(Some(root), &cmd)?;
            (text, "terraform output".to_string())
        }
    };
    let extra_source = args.extra.as_deref().unwrap_or("--extra");
    let mut files = host_files(&document, &source, extra.map(|e| (e, extra_source)))
        .map_err(crate::remote::inventory_error);
    if args.terraform_output.is_none() {
        files = files.map_err(|e| {
            e.hint("has the testbed been provisioned (`terraform apply` in terraform/)?")
        });
    }
    let files = files?;
    let plan = write_plan(&out_dir, &files);
    if dry_run {
        crate::out::print(&plan.render());
        return Ok(());
    }
    if args.check {
        return check(root, &out_dir, &files, args);
    }
    e3_exec::run_plan(&plan, |_| {})?;
    crate::out::outln!("{}", host_table(&files.inventory));
    crate::out::outln!(
        "wrote {} and {} ({})",
        relative_to(root, &out_dir.join(HOSTS_JSON)),
        relative_to(root, &out_dir.join(HOSTS_PSSH)),
        e3_plan::count(files.inventory.hosts.len(), "host", "hosts")
    );
    Ok(())
}

/// `terraform -chdir=terraform output -json`
pub fn terraform_output_cmd(terraform: &Utf8Path) -> Cmd {
    Cmd::new(terraform)
        .arg(format!("-chdir={TERRAFORM_DIR}"))
        .args(["output", "-json"])
}

pub fn write_plan(out_dir: &Utf8Path, files: &HostFiles) -> Plan {
    let mut plan = Plan::new(out_dir);
    plan.push(Step::WriteFile {
        path: HOSTS_JSON.into(),
        contents: files.json.clone(),
    });
    plan.push(Step::WriteFile {
        path: HOSTS_PSSH.into(),
        contents: files.pssh.clone(),
    });
    plan
}

fn check(root: &Utf8Path, out_dir: &Utf8Path, files: &HostFiles, args: &HostsArgs) -> Result<()> {
    let stale: Vec<Utf8PathBuf> = [(HOSTS_JSON, &files.json), (HOSTS_PSSH, &files.pssh)]
        .into_iter()
        .map(|(name, want)| (out_dir.join(name), want))
        .filter(|(path, want)| std::fs::read_to_string(path).ok().as_deref() != Some(want.as_str()))
        .map(|(path, _)| relative_to(root, &path))
        .collect();
    if stale.is_empty() {
        crate::out::outln!(
            "{HOSTS_JSON} and {HOSTS_PSSH} are up to date ({})",
            e3_plan::count(files.inventory.hosts.len(), "host", "hosts")
        );
        return Ok(());
    }
    let mut again = vec!["cargo xtask hosts".to_string()];
    for (flag, value) in [
        ("--terraform-output", &args.terraform_output),
        ("--extra", &args.extra),
        ("--out", &args.out),
    ] {
        if let Some(v) = value {
            again.push(format!("{flag} {}", e3_plan::quote(v)));
        }
    }
    let list: Vec<String> = stale.iter().map(ToString::to_string).collect();
    Err(failure(format!("out of date: {}", list.join(", ")))
        .hint(format!("run `{}` to update", again.join(" "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terraform_command() {
        assert_eq!(
            terraform_output_cmd("terraform".into()).render(),
            "terraform -chdir=terraform output -json"
        );
    }
}
