//! The Terraform module and the variables e3 hands it agree: every `.tf`
//! file read with an HCL parser, against the tfvars e3 writes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use camino::Utf8PathBuf;
use e3_deploy::{EXAMPLE_NODES, Settings, parse_nodes};

fn terraform_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../terraform")
}

/// The root module's variables (name → has a default) and outputs.
fn declared() -> (BTreeMap<String, bool>, BTreeSet<String>) {
    let (mut variables, mut outputs) = (BTreeMap::new(), BTreeSet::new());
    let mut files: Vec<PathBuf> = std::fs::read_dir(terraform_dir())
        .expect("terraform/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .tf files in terraform/");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let body: hcl::Body = hcl::from_str(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()));
        for block in body.blocks() {
            let name = || {
                block
                    .labels()
                    .first()
                    .map(|l| l.as_str().to_string())
                    .unwrap_or_default()
            };
            match block.identifier() {
                "variable" => {
                    let has_default = block.body().attributes().any(|a| a.key() == "default");
                    variables.insert(name(), has_default);
                }
                "output" => {
                    outputs.insert(name());
                }
                _ => {}
            }
        }
    }
    (variables, outputs)
}

fn settings() -> Settings {
    Settings {
        nodes: parse_nodes(EXAMPLE_NODES).unwrap(),
        size: "s-1vcpu-1gb".into(),
        prefix: "e3".into(),
        image_file: Utf8PathBuf::from("/e3/.e3/images/digitalocean/nixos.qcow2.gz"),
        bucket: "my-e3-images".into(),
        spaces_region: "ams3".into(),
        ssh_public_keys: vec!["ssh-ed25519 AAAA me@laptop".into()],
        tags: vec!["e3".into()],
    }
}

#[test]
fn the_tfvars_set_only_declared_variables_and_every_required_one() {
    let (variables, _) = declared();
    let tfvars = settings().tfvars();
    let given: BTreeSet<&str> = tfvars
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let undeclared: Vec<&&str> = given
        .iter()
        .filter(|name| !variables.contains_key(**name))
        .collect();
    assert!(
        undeclared.is_empty(),
        "e3 sets variables terraform/ does not declare: {undeclared:?} (declared: {variables:?})"
    );
    let unset: Vec<&String> = variables
        .iter()
        .filter(|(name, has_default)| !**has_default && !given.contains(name.as_str()))
        .map(|(name, _)| name)
        .collect();
    assert!(
        unset.is_empty(),
        "terraform/ requires variables e3 does not set: {unset:?}"
    );
}

#[test]
fn the_outputs_the_inventory_reads_exist() {
    let (_, outputs) = declared();
    for name in ["hosts-pssh", "hosts-colmena"] {
        assert!(
            outputs.contains(name),
            "no output `{name}` in terraform/: {outputs:?}"
        );
    }
}
