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
    // Where each host was read, for messages: a line of the hosts-pssh
    // output, of the extra file, or Terraform's output as a whole.
    let pssh_source = format!("{source} (hosts-pssh)");
    let mut sources: Vec<&str> = provisioned
        .hosts
        .iter()
        .map(|h| match h.line {
            Some(_) => pssh_source.as_str(),
            None => source,
        })
        .collect();
    let inventory = match extra {
        Some((extra, extra_source)) => {
            sources.extend(extra.hosts.iter().map(|_| extra_source));
            provisioned.merge(extra, &pssh_source, extra_source)?
        }
        None => provisioned,
    };
    if inventory.hosts.is_empty() {
        return Err(InventoryError::new(
            source,
            None,
            "no hosts (are the node counts all zero?)",
        ));
    }
    check_for_hive(&inventory, &|i| sources[i])?;
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

    /// Extra hosts per row (after the realistic Terraform output): the
    /// refusal with its hint, or the extra hosts' part of hosts.json.
    #[test]
    fn what_the_hive_needs_of_every_host() {
        let rows: &[(&str, &str)] = &[
            (
                "root@pi4-lab platform=aarch64-linux\n",
                r#""pi4-lab":{"platform":"aarch64-linux","targetUser":"root"}"#,
            ),
            (
                "# the board\nroot@board platform=riscv64-linux\n",
                "extra.pssh:2: `root@board` has platform `riscv64-linux`, which e3 has no image for\n\
                 hint: e3's images are for x86_64-linux (DigitalOcean droplets) and aarch64-linux (Raspberry Pi 4)",
            ),
            (
                "10.0.0.7\n",
                "extra.pssh:1: `10.0.0.7` is an address: hosts.json needs the machine's name\n\
                 hint: add `hostName=NAME` after it in the hosts file (one DNS label, the name the machine is to have)",
            ),
            (
                "10.0.0.7 hostName=desk\n[fd7a:115c:a1e0::5] hostName=pi platform=aarch64-linux\n",
                r#""10.0.0.7":{"hostName":"desk"},"fd7a:115c:a1e0::5":{"hostName":"pi","platform":"aarch64-linux"}"#,
            ),
            (
                "alice@pc.example:22\nalice@pc.example:2222\n",
                "extra.pssh:2: `alice@pc.example:2222` and `alice@pc.example:22` on line 1 would both be machines named `pc`\n\
                 hint: give them names of their own with `hostName=NAME` after each in the hosts file",
            ),
            (
                "alice@pc.example:22 hostName=left\nalice@pc.example:2222 hostName=right\n",
                r#""pc.example:22":{"hostName":"left","targetHost":"pc.example","targetPort":22,"targetUser":"alice"},"pc.example:2222":{"hostName":"right","targetHost":"pc.example","targetPort":2222,"targetUser":"alice"}"#,
            ),
            // Another name of a droplet (no DNS is asked): another host,
            // but the same machine name.
            (
                "mpyc-demo--ams3-0-15e53f39.tail1234.ts.net\n",
                "extra.pssh:1: `mpyc-demo--ams3-0-15e53f39.tail1234.ts.net` and `root@mpyc-demo--ams3-0-15e53f39` on terraform-output.json (hosts-pssh):1 would both be machines named `mpyc-demo--ams3-0-15e53f39`\n\
                 hint: give them names of their own with `hostName=NAME` after each in the hosts file",
            ),
            (
                "MPYC-DEMO--AMS3-0-15E53F39.:22\n",
                "extra.pssh:1: `MPYC-DEMO--AMS3-0-15E53F39.:22` is the same host as `root@mpyc-demo--ams3-0-15e53f39` on terraform-output.json (hosts-pssh):1 (mpyc-demo--ams3-0-15e53f39:22)\n\
                 hint: a host is its name (any case, no trailing dot) or address, and its ssh port (22 when none is given); list it once",
            ),
        ];
        for (extra, expect) in rows {
            let extra_hosts = Inventory::from_pssh(extra, "extra.pssh").unwrap();
            let got = match host_files(
                DOC,
                "terraform-output.json",
                Some((extra_hosts, "extra.pssh")),
            ) {
                Ok(files) => {
                    let json: serde_json::Value = serde_json::from_str(&files.json).unwrap();
                    let all = json.as_object().unwrap();
                    all.iter()
                        .filter(|(k, _)| !k.starts_with("mpyc-demo--"))
                        .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k.as_str())))
                        .collect::<Vec<_>>()
                        .join(",")
                }
                Err(e) => match &e.hint {
                    Some(hint) => format!("{e}\nhint: {hint}"),
                    None => e.to_string(),
                },
            };
            assert_eq!(&got, expect, "{extra:?}");
        }
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
