//! `cargo xtask hosts`: `hosts.json` (Colmena) and `hosts.pssh` (party
//! order) from Terraform's output, plus hosts Terraform does not manage.

use camino::{Utf8Path, Utf8PathBuf};
use e3_inventory::Inventory;
use e3_plan::{Cmd, Plan, Step};

use crate::cli::HostsArgs;
use crate::error::{Result, failure, usage};
use crate::paths::{current_dir, given, relative_to};
use crate::tools;

pub const HOSTS_JSON: &str = "hosts.json";
pub const HOSTS_PSSH: &str = "hosts.pssh";
/// Where e3's Terraform module lives, relative to the workspace root.
pub const TERRAFORM_DIR: &str = "terraform";

pub fn run(root: &Utf8Path, dry_run: bool, args: &HostsArgs) -> Result<()> {
    let cwd = current_dir()?;
    let out_dir =
        given(&cwd, args.out.as_deref(), "--out", true)?.unwrap_or_else(|| root.to_path_buf());
    let extra = match &args.extra {
        Some(path) => Some(read_inventory_file(&cwd.join(path), path)?),
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
                println!("cd {}", e3_plan::quote(root.as_str()));
                println!("{cmd}");
                println!("# then write {HOSTS_JSON} and {HOSTS_PSSH} in {out_dir} from its output");
                return Ok(());
            }
            let text = e3_exec::output_of(Some(root), &cmd)?;
            (text, "terraform output".to_string())
        }
    };
    let mut files = generate(&document, &source, extra);
    if args.terraform_output.is_none() {
        files = files.map_err(|e| {
            e.hint("has the testbed been provisioned (`terraform apply` in terraform/)?")
        });
    }
    let files = files?;
    let plan = write_plan(&out_dir, &files);
    if dry_run {
        print!("{}", plan.render());
        return Ok(());
    }
    if args.check {
        return check(root, &out_dir, &files, args);
    }
    e3_exec::run_plan(&plan, |_| {})?;
    println!("{}", host_table(&files.inventory));
    println!(
        "wrote {} and {} ({} hosts)",
        relative_to(root, &out_dir.join(HOSTS_JSON)),
        relative_to(root, &out_dir.join(HOSTS_PSSH)),
        files.inventory.hosts.len()
    );
    Ok(())
}

/// `terraform -chdir=terraform output -json`
pub fn terraform_output_cmd(terraform: &Utf8Path) -> Cmd {
    Cmd::new(terraform)
        .arg(format!("-chdir={TERRAFORM_DIR}"))
        .args(["output", "-json"])
}

/// Reads a hosts file (`hosts.pssh` format); `shown` is how errors name it.
pub fn read_inventory_file(path: &Utf8Path, shown: &str) -> Result<Inventory> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read hosts file `{shown}`: {e}")))?;
    Inventory::from_pssh(&text, shown).map_err(|e| usage(e.to_string()))
}

/// The two files' contents and the inventory they describe.
pub struct HostFiles {
    pub inventory: Inventory,
    pub json: String,
    pub pssh: String,
}

/// Terraform's document (and extra hosts) to file contents; no IO.
pub fn generate(document: &str, source: &str, extra: Option<Inventory>) -> Result<HostFiles> {
    let provisioned =
        Inventory::from_terraform_output(document, source).map_err(|e| usage(e.to_string()))?;
    let inventory = match extra {
        Some(extra) => provisioned
            .merge(extra, "--extra")
            .map_err(|e| usage(e.to_string()))?,
        None => provisioned,
    };
    if inventory.hosts.is_empty() {
        return Err(usage(format!(
            "{source}: no hosts (are the node counts all zero?)"
        )));
    }
    let pssh = format!(
        "# Written by `cargo xtask hosts` from Terraform's output; party i is the i-th host.\n\
         # Edit the extra hosts file (--extra) instead of this one.\n{}",
        inventory.to_pssh()
    );
    Ok(HostFiles {
        json: inventory.to_colmena_json(),
        pssh,
        inventory,
    })
}

fn write_plan(out_dir: &Utf8Path, files: &HostFiles) -> Plan {
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
        println!(
            "{HOSTS_JSON} and {HOSTS_PSSH} are up to date ({} hosts)",
            files.inventory.hosts.len()
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

/// index, host, user, port, region, platform: one line per host.
pub fn host_table(inventory: &Inventory) -> String {
    let header = ["#", "host", "user", "ssh port", "region", "platform"];
    let dash = || "-".to_string();
    let rows: Vec<[String; 6]> = inventory
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            [
                i.to_string(),
                h.name.clone(),
                h.user.clone().unwrap_or_else(dash),
                h.port.map_or_else(dash, |p| p.to_string()),
                h.region.clone().unwrap_or_else(dash),
                h.platform.clone().unwrap_or_else(dash),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = line(&header.map(String::from));
    for row in &rows {
        out.push('\n');
        out.push_str(&line(row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = include_str!("../../tests/fixtures/hosts/terraform-output.json");
    const EXTRA: &str = include_str!("../../tests/fixtures/hosts/extra.pssh");

    #[test]
    fn files_from_a_realistic_terraform_output() {
        let extra = Inventory::from_pssh(EXTRA, "extra.pssh").unwrap();
        let files = generate(DOC, "terraform-output.json", Some(extra)).unwrap();
        insta::assert_snapshot!("hosts.pssh", files.pssh);
        insta::assert_snapshot!("hosts.json", files.json);
        insta::assert_snapshot!("host_table", host_table(&files.inventory));
    }

    #[test]
    fn the_terraform_command() {
        assert_eq!(
            terraform_output_cmd("terraform".into()).render(),
            "terraform -chdir=terraform output -json"
        );
    }

    #[test]
    fn no_hosts_is_an_error() {
        let doc = r#"{"hosts-pssh": {"sensitive": false, "type": "string", "value": ""}}"#;
        let err = generate(doc, "out.json", None).err().unwrap();
        assert_eq!(
            err.message,
            "out.json: no hosts (are the node counts all zero?)"
        );
    }
}
