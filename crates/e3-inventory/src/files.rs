//! The two host files of a testbed, as e3 writes them at the workspace
//! root: `hosts.pssh` (party order) and Colmena's `hosts.json`, made from
//! Terraform's output and any hosts Terraform does not manage.

use crate::{Inventory, InventoryError, PLATFORMS, is_machine_name};

pub const HOSTS_JSON: &str = "hosts.json";
pub const HOSTS_PSSH: &str = "hosts.pssh";

/// The two files' contents and the inventory they describe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostFiles {
    pub inventory: Inventory,
    pub json: String,
    pub pssh: String,
}

/// Terraform's `output -json` document (named `source` in errors) and the
/// extra hosts (with the name their errors give them) to the files'
/// contents. No IO. Refuses a host twice (by identity), and what the hive
/// could not make a node of: a platform e3 has no image for, a host whose
/// machine name it cannot tell (an address without `hostName`), two hosts
/// that would have one machine name.
pub fn host_files(
    document: &str,
    source: &str,
    extra: Option<(Inventory, &str)>,
) -> Result<HostFiles, InventoryError> {
    let provisioned = Inventory::from_terraform_output(document, source)?;
    let from_terraform = provisioned.hosts.len();
    let (inventory, extra_source) = match extra {
        Some((extra, extra_source)) => (
            provisioned.merge(extra, source, extra_source)?,
            extra_source,
        ),
        None => (provisioned, source),
    };
    if inventory.hosts.is_empty() {
        return Err(InventoryError::new(
            source,
            None,
            "no hosts (are the node counts all zero?)",
        ));
    }
    let source_of = |i: usize| {
        if i < from_terraform {
            source
        } else {
            extra_source
        }
    };
    check_for_hive(&inventory, &source_of)?;
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

/// What the hive needs of every host (nix/hive.nix): a platform with an
/// image, and a machine name of its own.
fn check_for_hive<'a>(
    inventory: &Inventory,
    source_of: &dyn Fn(usize) -> &'a str,
) -> Result<(), InventoryError> {
    let error = |i: usize, message: String| {
        InventoryError::new(source_of(i), inventory.hosts[i].line, message)
    };
    let mut names: Vec<(String, usize)> = Vec::new();
    for (i, host) in inventory.hosts.iter().enumerate() {
        if let Some(platform) = &host.platform
            && !PLATFORMS.iter().any(|(p, _)| p == platform)
        {
            let known: Vec<String> = PLATFORMS
                .iter()
                .map(|(p, what)| format!("{p} ({what})"))
                .collect();
            return Err(error(
                i,
                format!(
                    "`{}` has platform `{platform}`, which e3 has no image for",
                    host.pssh_line()
                ),
            )
            .hint(format!("e3's images are for {}", known.join(" and "))));
        }
        let Some(name) = host.machine_name() else {
            return Err(error(
                i,
                format!(
                    "`{}` is an address: hosts.json needs the machine's name",
                    host.pssh_line()
                ),
            )
            .hint("add `hostName=NAME` after it in the hosts file (one DNS label, the name the machine is to have)"));
        };
        if !is_machine_name(&name) {
            return Err(error(
                i,
                format!(
                    "`{}` would be named `{name}`, which is not one DNS label NixOS takes",
                    host.pssh_line()
                ),
            )
            .hint("add `hostName=NAME` after it in the hosts file"));
        }
        if let Some((_, j)) = names.iter().find(|(n, _)| *n == name) {
            let other = &inventory.hosts[*j];
            let place = match (other.line, source_of(*j) == source_of(i)) {
                (Some(line), true) => format!("line {line}"),
                (Some(line), false) => format!("{}:{line}", source_of(*j)),
                (None, _) => source_of(*j).to_string(),
            };
            return Err(error(
                i,
                format!(
                    "`{}` and `{}` on {place} would both be machines named `{name}`",
                    host.pssh_line(),
                    other.pssh_line()
                ),
            )
            .hint(
                "give them names of their own with `hostName=NAME` after each in the hosts file",
            ));
        }
        names.push((name, i));
    }
    Ok(())
}

/// index, host, user, port, region, platform: one line per host.
pub fn host_table(inventory: &Inventory) -> String {
    e3_plan::columns(&HOST_HEADER, &host_rows(inventory), &[])
}

/// The same table in Markdown, for a CI job's summary.
pub fn host_markdown(inventory: &Inventory) -> String {
    e3_plan::markdown_table(&HOST_HEADER, &host_rows(inventory), &[])
}

const HOST_HEADER: [&str; 6] = ["#", "host", "user", "ssh port", "region", "platform"];

fn host_rows(inventory: &Inventory) -> Vec<Vec<String>> {
    let dash = || "-".to_string();
    inventory
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            vec![
                i.to_string(),
                h.name.clone(),
                h.user.clone().unwrap_or_else(dash),
                h.port.map_or_else(dash, |p| p.to_string()),
                h.region.clone().unwrap_or_else(dash),
                h.platform.clone().unwrap_or_else(dash),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = include_str!("../tests/fixtures/hosts/terraform-output.json");
    const EXTRA: &str = include_str!("../tests/fixtures/hosts/extra.pssh");

    #[test]
    fn files_from_a_realistic_terraform_output() {
        let extra = Inventory::from_pssh(EXTRA, "extra.pssh").unwrap();
        let files = host_files(DOC, "terraform-output.json", Some((extra, "--extra"))).unwrap();
        insta::assert_snapshot!("hosts.pssh", files.pssh);
        insta::assert_snapshot!("hosts.json", files.json);
        insta::assert_snapshot!("host_table", host_table(&files.inventory));
    }

    #[test]
    fn no_hosts_is_an_error() {
        let doc = r#"{"hosts-pssh": {"sensitive": false, "type": "string", "value": ""}}"#;
        let err = host_files(doc, "out.json", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "out.json: no hosts (are the node counts all zero?)"
        );
    }
}
