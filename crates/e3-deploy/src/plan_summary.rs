//! What a saved Terraform plan will do, read from `terraform show -json`:
//! per resource kind how many are created, updated, replaced and
//! destroyed, and every droplet replaced or destroyed, by name, with what
//! forces it (the plan's `replace_paths`, followed to the custom image when
//! it is the image's replacement that replaces the droplet). Deploy and
//! destroy show it before anything changes, and ask before a running
//! droplet goes.
//!
//! The plan's JSON holds the planned values, secrets among them (the
//! tailnet key): it is read here from memory and never written anywhere.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

/// How many resources of one kind each action touches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
}

/// What happens to a droplet that exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Destroyed and made again: a new machine, its disk and host key gone.
    Replaced,
    /// Destroyed.
    Destroyed,
}

/// A running droplet the plan replaces or destroys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropletChange {
    /// Its address in the plan, e.g. `digitalocean_droplet.node["ams3-0"]`.
    pub address: String,
    /// Its name (and hostname), e.g. `e3--ams3-0-0badcafe`.
    pub name: String,
    pub fate: Fate,
    /// Why, in words: what changed that the provider cannot update in
    /// place (``its `ssh_keys` changed``), followed to the custom image when
    /// that is what replaces it, or that its node left `nodes`.
    pub because: String,
}

/// A plan, summarised.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanSummary {
    /// Per resource type (e.g. `digitalocean_droplet`), in name order;
    /// kinds the plan leaves alone are left out.
    pub kinds: BTreeMap<String, Counts>,
    /// Every existing droplet replaced or destroyed, in address order.
    pub droplets: Vec<DropletChange>,
    /// Other resources replaced, with what forces it.
    pub replaced: Vec<(String, String)>,
}

/// A plan JSON that is not one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAPlan(pub String);

impl std::fmt::Display for NotAPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a plan from `terraform show -json`: {}", self.0)
    }
}

impl std::error::Error for NotAPlan {}

/// The kind of droplet e3's module makes.
const DROPLET: &str = "digitalocean_droplet";

/// Summarises `terraform show -json PLANFILE`'s output.
pub fn summarise(plan_json: &str) -> Result<PlanSummary, NotAPlan> {
    let plan: Value = serde_json::from_str(plan_json).map_err(|e| NotAPlan(e.to_string()))?;
    if !plan["format_version"].is_string() {
        return Err(NotAPlan("no `format_version`".into()));
    }
    let changes: &[Value] = match &plan["resource_changes"] {
        Value::Array(changes) => changes,
        Value::Null => &[],
        _ => return Err(NotAPlan("`resource_changes` is not a list".into())),
    };
    // What forces each replaced resource, by address: to say why a droplet
    // whose `image` forces it is replaced.
    let mut forced: BTreeMap<&str, String> = BTreeMap::new();
    for rc in changes {
        if is_replace(&actions(rc)) {
            forced.insert(rc["address"].as_str().unwrap_or("?"), paths(rc));
        }
    }
    let image_replaced = changes
        .iter()
        .find(|rc| rc["type"] == "digitalocean_custom_image" && is_replace(&actions(rc)));
    let mut summary = PlanSummary::default();
    for rc in changes {
        let acts = actions(rc);
        let kind = rc["type"].as_str().unwrap_or("?").to_string();
        let address = rc["address"].as_str().unwrap_or("?").to_string();
        let counts = || Counts::default();
        let bump = |summary: &mut PlanSummary, f: fn(&mut Counts)| {
            f(summary.kinds.entry(kind.clone()).or_insert_with(counts));
        };
        match acts.as_slice() {
            ["create"] => bump(&mut summary, |c| c.create += 1),
            ["update"] => bump(&mut summary, |c| c.update += 1),
            ["delete"] => bump(&mut summary, |c| c.delete += 1),
            a if is_replace(a) => bump(&mut summary, |c| c.replace += 1),
            _ => continue,
        }
        let name = rc["change"]["before"]["name"]
            .as_str()
            .or_else(|| rc["name"].as_str())
            .unwrap_or("?")
            .to_string();
        if is_replace(&acts) {
            let mut because = forced.get(address.as_str()).cloned().unwrap_or_default();
            if kind == DROPLET
                && because == "its `image` changed"
                && let Some(image) = image_replaced
            {
                because = format!(
                    "its image: the custom image `{}` is replaced ({})",
                    image["change"]["before"]["name"].as_str().unwrap_or("?"),
                    paths(image)
                );
            }
            if kind == DROPLET {
                summary.droplets.push(DropletChange {
                    address,
                    name,
                    fate: Fate::Replaced,
                    because,
                });
            } else {
                summary.replaced.push((address, because));
            }
        } else if acts == ["delete"] && kind == DROPLET {
            let because = match rc["action_reason"].as_str() {
                Some("delete_because_each_key") | Some("delete_because_count_index") => {
                    "its node is no longer in nodes".to_string()
                }
                Some("delete_because_no_resource_config") => {
                    "it is no longer in the configuration".to_string()
                }
                _ => "the plan destroys it".to_string(),
            };
            summary.droplets.push(DropletChange {
                address,
                name,
                fate: Fate::Destroyed,
                because,
            });
        }
    }
    summary.droplets.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(summary)
}

fn actions(rc: &Value) -> Vec<&str> {
    rc["change"]["actions"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn is_replace(actions: &[&str]) -> bool {
    matches!(actions, ["delete", "create"] | ["create", "delete"])
}

/// `replace_paths` in words: ``its `regions` changed``.
fn paths(rc: &Value) -> String {
    let paths: Vec<String> = rc["change"]["replace_paths"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let parts: Vec<String> = p
                .as_array()?
                .iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join("."))
        })
        .collect();
    match paths.as_slice() {
        [] => match rc["action_reason"].as_str() {
            Some("replace_by_triggers") => "a replace_triggered_by reference changed".into(),
            Some("replace_by_request") => "asked for (-replace)".into(),
            Some("replace_because_tainted") => "it is tainted".into(),
            _ => "the plan replaces it".into(),
        },
        [one] => format!("its `{one}` changed"),
        many => format!(
            "its {} changed",
            many.iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl PlanSummary {
    /// Something that exists goes: a running droplet, or any other resource
    /// (the image, its object, a key) replaced or destroyed. Someone must
    /// say yes.
    pub fn needs_confirmation(&self) -> bool {
        !self.droplets.is_empty() || self.kinds.values().any(|c| c.replace + c.delete > 0)
    }

    /// New droplets are made (which cost money).
    pub fn creates_droplets(&self) -> bool {
        self.kinds.get(DROPLET).is_some_and(|c| c.create > 0)
    }

    /// Nothing changes.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// The hosts whose SSH host keys the applied plan makes stale: every
    /// droplet replaced or destroyed (a replaced one keeps its name).
    pub fn stale_hosts(&self) -> Vec<&str> {
        self.droplets.iter().map(|d| d.name.as_str()).collect()
    }

    /// For people: one line per kind, then each droplet that goes.
    pub fn text(&self) -> String {
        if self.is_empty() {
            return "Terraform's plan: no changes.\n".to_string();
        }
        let mut out = String::from("Terraform's plan:\n");
        for (kind, c) in &self.kinds {
            let _ = writeln!(out, "  {kind}: {}", counts_text(c));
        }
        for d in &self.droplets {
            let _ = writeln!(
                out,
                "  {} droplet {}: {}",
                match d.fate {
                    Fate::Replaced => "REPLACED",
                    Fate::Destroyed => "DESTROYED",
                },
                d.name,
                d.because
            );
        }
        for (address, because) in &self.replaced {
            let _ = writeln!(out, "  replaced {address}: {because}");
        }
        out
    }

    /// For a CI job's step summary.
    pub fn markdown(&self) -> String {
        if self.is_empty() {
            return "Terraform's plan: no changes.\n".to_string();
        }
        let mut out = String::from(
            "| resource | created | updated | replaced | destroyed |\n|---|---:|---:|---:|---:|\n",
        );
        for (kind, c) in &self.kinds {
            let _ = writeln!(
                out,
                "| `{kind}` | {} | {} | {} | {} |",
                c.create, c.update, c.replace, c.delete
            );
        }
        if !self.droplets.is_empty() {
            out.push_str("\nDroplets that go:\n\n");
            for d in &self.droplets {
                let _ = writeln!(
                    out,
                    "- **{}** `{}`: {}",
                    match d.fate {
                        Fate::Replaced => "replaced",
                        Fate::Destroyed => "destroyed",
                    },
                    d.name,
                    d.because
                );
            }
        }
        out
    }
}

fn counts_text(c: &Counts) -> String {
    let parts: Vec<String> = [
        (c.create, "created"),
        (c.update, "updated in place"),
        (c.replace, "replaced"),
        (c.delete, "destroyed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan shaped like the real provider's (format 1.2): one resource
    /// change per entry of `changes` (address, type, actions, before name,
    /// replace_paths, action_reason).
    /// A resource change: address, type, actions, name before, replace
    /// paths, action reason.
    type Change<'a> = (
        &'a str,
        &'a str,
        &'a [&'a str],
        Option<&'a str>,
        &'a [&'a [&'a str]],
        Option<&'a str>,
    );

    fn plan(changes: &[Change<'_>]) -> String {
        let rcs: Vec<Value> = changes
            .iter()
            .map(|(address, kind, actions, name, paths, reason)| {
                let mut change = serde_json::json!({
                    "actions": actions,
                    "before": name.map(|n| serde_json::json!({"name": n})),
                    "after": {"name": name},
                });
                if !paths.is_empty() {
                    change["replace_paths"] = serde_json::json!(paths);
                }
                let mut rc = serde_json::json!({
                    "address": address, "type": kind, "name": "x", "change": change,
                });
                if let Some(reason) = reason {
                    rc["action_reason"] = serde_json::json!(reason);
                }
                rc
            })
            .collect();
        serde_json::json!({"format_version": "1.2", "resource_changes": rcs}).to_string()
    }

    #[test]
    fn dropping_a_region_the_old_way_replaces_the_droplet_that_stays() {
        let s = summarise(&plan(&[
            (
                "digitalocean_custom_image.nixos[0]",
                "digitalocean_custom_image",
                &["delete", "create"],
                Some("e3-nixos-a6f7"),
                &[&["regions"]],
                Some("replace_because_cannot_update"),
            ),
            (
                "digitalocean_droplet.node[\"ams3-0\"]",
                DROPLET,
                &["delete", "create"],
                Some("e3--ams3-0-0badcafe"),
                &[&["image"]],
                Some("replace_because_cannot_update"),
            ),
            (
                "digitalocean_droplet.node[\"sfo3-0\"]",
                DROPLET,
                &["delete"],
                Some("e3--sfo3-0-0badcafe"),
                &[],
                Some("delete_because_each_key"),
            ),
            (
                "digitalocean_spaces_bucket.images",
                "digitalocean_spaces_bucket",
                &["no-op"],
                Some("b"),
                &[],
                None,
            ),
        ]))
        .unwrap();
        assert!(s.needs_confirmation());
        assert_eq!(
            s.stale_hosts(),
            ["e3--ams3-0-0badcafe", "e3--sfo3-0-0badcafe"]
        );
        insta::assert_snapshot!(s.text(), @r#"
        Terraform's plan:
          digitalocean_custom_image: 1 replaced
          digitalocean_droplet: 1 replaced, 1 destroyed
          REPLACED droplet e3--ams3-0-0badcafe: its image: the custom image `e3-nixos-a6f7` is replaced (its `regions` changed)
          DESTROYED droplet e3--sfo3-0-0badcafe: its node is no longer in nodes
          replaced digitalocean_custom_image.nixos[0]: its `regions` changed
        "#);
        insta::assert_snapshot!(s.markdown(), @r"
        | resource | created | updated | replaced | destroyed |
        |---|---:|---:|---:|---:|
        | `digitalocean_custom_image` | 0 | 0 | 1 | 0 |
        | `digitalocean_droplet` | 0 | 0 | 1 | 1 |

        Droplets that go:

        - **replaced** `e3--ams3-0-0badcafe`: its image: the custom image `e3-nixos-a6f7` is replaced (its `regions` changed)
        - **destroyed** `e3--sfo3-0-0badcafe`: its node is no longer in nodes
        ");
    }

    #[test]
    fn a_new_key_replaces_every_droplet_and_growing_replaces_none() {
        let s = summarise(&plan(&[
            (
                "digitalocean_droplet.node[\"ams3-0\"]",
                DROPLET,
                &["delete", "create"],
                Some("e3--ams3-0-1"),
                &[&["ssh_keys"]],
                None,
            ),
            (
                "digitalocean_ssh_key.root[\"k2\"]",
                "digitalocean_ssh_key",
                &["create"],
                None,
                &[],
                None,
            ),
        ]))
        .unwrap();
        assert_eq!(s.droplets[0].because, "its `ssh_keys` changed");
        assert_eq!(s.droplets[0].fate, Fate::Replaced);
        let grow = summarise(&plan(&[
            (
                "digitalocean_custom_image.nixos[0]",
                "digitalocean_custom_image",
                &["update"],
                Some("img"),
                &[],
                None,
            ),
            (
                "digitalocean_droplet.node[\"nyc3-0\"]",
                DROPLET,
                &["create"],
                None,
                &[],
                None,
            ),
            (
                "digitalocean_droplet.node[\"ams3-0\"]",
                DROPLET,
                &["no-op"],
                Some("a"),
                &[],
                None,
            ),
        ]))
        .unwrap();
        assert!(!grow.needs_confirmation());
        assert_eq!(
            grow.text(),
            "Terraform's plan:\n  digitalocean_custom_image: 1 updated in place\n  digitalocean_droplet: 1 created\n"
        );
        let same = summarise(&plan(&[])).unwrap();
        assert!(same.is_empty() && !same.needs_confirmation());
        // `destroy --all` when no droplet is left: the image goes, asked.
        let image_only = summarise(&plan(&[(
            "digitalocean_custom_image.e3",
            "digitalocean_custom_image",
            &["delete"],
            Some("img"),
            &[],
            None,
        )]))
        .unwrap();
        assert!(image_only.droplets.is_empty() && image_only.needs_confirmation());
        assert!(summarise("{}").is_err());
        assert!(summarise("not json").is_err());
    }

    /// The four real plans of e3's module by the real provider v2.99.1
    /// (../shared/providers/plans, in this workplace's CI; GitHub's
    /// checkout has none, and there the test says it skipped them).
    #[test]
    fn the_real_providers_plans() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/providers/plans");
        if !dir.is_dir() {
            eprintln!(
                "skipped: {} is not here (it is in this workplace's CI, not in GitHub's checkout)",
                dir.display()
            );
            return;
        }
        let read =
            |name: &str| summarise(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap();
        let same = read("same.json");
        assert!(same.is_empty(), "{}", same.text());
        let grow = read("grow.json");
        assert!(!grow.needs_confirmation(), "{}", grow.text());
        assert_eq!(grow.kinds["digitalocean_droplet"].create, 1);
        assert_eq!(grow.kinds["digitalocean_custom_image"].update, 1);
        let shrink = read("shrink.json");
        assert_eq!(
            shrink.stale_hosts(),
            ["e3--ams3-0-0badcafe", "e3--sfo3-0-0badcafe"]
        );
        assert_eq!(shrink.droplets[0].fate, Fate::Replaced);
        assert!(
            shrink.droplets[0].because.contains("its `regions` changed"),
            "{}",
            shrink.text()
        );
        assert_eq!(shrink.droplets[1].fate, Fate::Destroyed);
        let addkey = read("addkey.json");
        assert_eq!(addkey.droplets.len(), 2);
        assert!(
            addkey
                .droplets
                .iter()
                .all(|d| d.because == "its `ssh_keys` changed"),
            "{}",
            addkey.text()
        );
        assert_eq!(addkey.kinds["digitalocean_ssh_key"].create, 1);
    }
}
