//! Provisioning e3's testbed with Terraform (`terraform/`): what the
//! researcher asked for ([`Settings`]), the variables e3 hands Terraform
//! ([`Settings::tfvars`]), where Terraform keeps its state ([`State`]), and
//! the plans of `deploy` and `destroy` ([`deploy_plan`], [`destroy_plan`]).
//! Pure: nothing here runs or prints; secrets stay [`Value::secret`]s.

pub mod plan_summary;
pub mod preflight;
pub mod secrets_at_rest;

use std::collections::BTreeMap;
use std::fmt;

use camino::{Utf8Path, Utf8PathBuf};
use e3_plan::{Cmd, Plan, Step, Value};
use serde_json::json;

/// Where e3's Terraform module lives, relative to the workspace root.
pub const TERRAFORM_DIR: &str = "terraform";
/// Where deploy keeps what it hands Terraform, relative to the root.
pub const DEPLOY_DIR: &str = ".e3/deploy";
/// The variables file, in [`DEPLOY_DIR`]; destroy reuses it.
pub const TFVARS: &str = "e3.tfvars.json";
/// The variables of the plan being made: they become [`TFVARS`] (the last
/// deploy's settings, which the next deploy starts from) only once applied,
/// so a plan not confirmed, or `--plan-only`, changes no setting.
pub const PLAN_TFVARS: &str = "e3.plan.tfvars.json";
/// The backend file e3 writes into `terraform/` for remote state.
pub const BACKEND_FILE: &str = "e3_backend.tf";

/// E3's own experiment: the documented example of `--nodes`.
pub const EXAMPLE_NODES: &str = "ams3=3,sfo3=1,nyc3=1,sgp1=1";

/// What the researcher asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Droplets per region slug.
    pub nodes: BTreeMap<String, u32>,
    pub size: String,
    /// Starts every node's name: `e3--ams3-0-15e53f39`.
    pub prefix: String,
    pub image_file: Utf8PathBuf,
    pub bucket: String,
    pub spaces_region: String,
    pub ssh_public_keys: Vec<String>,
    pub tags: Vec<String>,
}

/// A `--nodes` value that is not `REGION=COUNT,...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodesError(pub String);

impl fmt::Display for NodesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `ams3=3,sfo3=1` to a map; a region given twice, a bad slug or count is
/// an error naming it.
pub fn parse_nodes(text: &str) -> Result<BTreeMap<String, u32>, NodesError> {
    let mut nodes = BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((region, count)) = item.split_once('=') else {
            return Err(NodesError(format!("`{item}` is not REGION=COUNT")));
        };
        let region = region.trim();
        let slug_ok = region.len() == 4
            && region[..3].bytes().all(|b| b.is_ascii_lowercase())
            && region[3..].bytes().all(|b| b.is_ascii_digit());
        if !slug_ok {
            return Err(NodesError(format!(
                "`{region}` is not a DigitalOcean region slug (like ams3)"
            )));
        }
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| NodesError(format!("`{item}`: the count must be a whole number")))?;
        if count > 50 {
            return Err(NodesError(format!("`{item}`: at most 50 nodes per region")));
        }
        if nodes.insert(region.to_string(), count).is_some() {
            return Err(NodesError(format!("region `{region}` is given twice")));
        }
    }
    Ok(nodes)
}

/// The public keys in `nix/authorized_keys` (the one list both the images
/// and new droplets use): one a line, `#` comments and blank lines skipped.
pub fn authorized_keys(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

impl Settings {
    /// Every node in every region.
    pub fn node_count(&self) -> u32 {
        self.nodes.values().sum()
    }

    /// The regions that have nodes.
    pub fn regions_in_use(&self) -> Vec<&str> {
        self.nodes
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(r, _)| r.as_str())
            .collect()
    }

    /// The variables of `terraform/variables.tf`, as a `-var-file` JSON.
    pub fn tfvars(&self) -> serde_json::Value {
        json!({
            "nodes": self.nodes,
            "droplet_size": self.size,
            "name_prefix": self.prefix,
            "image_file": self.image_file.as_str(),
            "spaces_bucket": self.bucket,
            "spaces_region": self.spaces_region,
            "ssh_public_keys": self.ssh_public_keys,
            "tags": self.tags,
        })
    }

    /// Settings back from the variables file a deploy wrote (what
    /// `destroy`, and `deploy` without `--nodes`, start from).
    pub fn from_tfvars(text: &str) -> Result<Settings, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let string = |key: &str| {
            v[key]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("`{key}` is missing or not a string"))
        };
        let strings = |key: &str| -> Result<Vec<String>, String> {
            v[key]
                .as_array()
                .ok_or_else(|| format!("`{key}` is missing or not a list"))?
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("`{key}` holds a non-string"))
                })
                .collect()
        };
        let nodes = v["nodes"]
            .as_object()
            .ok_or("`nodes` is missing or not an object")?
            .iter()
            .map(|(region, n)| {
                n.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .map(|n| (region.clone(), n))
                    .ok_or_else(|| format!("`nodes.{region}` is not a count"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Settings {
            nodes,
            size: string("droplet_size")?,
            prefix: string("name_prefix")?,
            image_file: string("image_file")?.into(),
            bucket: string("spaces_bucket")?,
            spaces_region: string("spaces_region")?,
            ssh_public_keys: strings("ssh_public_keys")?,
            tags: strings("tags")?,
        })
    }

    /// The same settings, with every region of `last` (the deploy before)
    /// that these leave out kept at 0 nodes: the custom image stays in every
    /// region it was ever in (`terraform/image.tf`), since the provider
    /// cannot take an image out of a region and replaces it instead, and
    /// every droplet made from it with it. So dropping a region, or scaling
    /// one to 0, leaves the other droplets running.
    pub fn keeping_regions_of(mut self, last: &Settings) -> Settings {
        for region in last.nodes.keys() {
            self.nodes.entry(region.clone()).or_insert(0);
        }
        self
    }

    /// The same settings with no node anywhere: what `destroy` applies, so
    /// the bucket and the image stay.
    pub fn without_nodes(&self) -> Settings {
        Settings {
            nodes: self.nodes.keys().map(|r| (r.clone(), 0)).collect(),
            ..self.clone()
        }
    }
}

/// A settings file: the keys of the variables file e3 writes (so a past
/// deploy's `.e3/deploy/e3.tfvars.json` will do), every one optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsFile {
    pub nodes: Option<BTreeMap<String, u32>>,
    pub size: Option<String>,
    pub prefix: Option<String>,
    pub image_file: Option<Utf8PathBuf>,
    pub bucket: Option<String>,
    pub spaces_region: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// The keys a settings file may hold.
pub const SETTINGS_KEYS: [&str; 9] = [
    "nodes",
    "droplet_size",
    "name_prefix",
    "image_file",
    "spaces_bucket",
    "spaces_region",
    "tags",
    // Written by e3 itself; read, not used: the keys come from
    // nix/authorized_keys, and keep_image is destroy's.
    "ssh_public_keys",
    "keep_image",
];

impl SettingsFile {
    /// Reads one; an unknown key or a wrong type is an error naming it.
    pub fn parse(text: &str) -> Result<SettingsFile, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let object = v.as_object().ok_or("expected a JSON object")?;
        if let Some(key) = object.keys().find(|k| !SETTINGS_KEYS.contains(&k.as_str())) {
            return Err(format!(
                "unknown key `{key}` (known: {})",
                SETTINGS_KEYS[..7].join(", ")
            ));
        }
        let string = |key: &str| -> Result<Option<String>, String> {
            match &v[key] {
                serde_json::Value::Null => Ok(None),
                serde_json::Value::String(s) => Ok(Some(s.clone())),
                _ => Err(format!("`{key}` must be a string")),
            }
        };
        let nodes = match &v["nodes"] {
            serde_json::Value::Null => None,
            serde_json::Value::Object(map) => {
                let pairs: Vec<String> = map
                    .iter()
                    .map(|(region, n)| format!("{region}={n}"))
                    .collect();
                Some(parse_nodes(&pairs.join(",")).map_err(|e| format!("`nodes`: {e}"))?)
            }
            _ => return Err("`nodes` must be an object of region: count".into()),
        };
        let tags = match &v["tags"] {
            serde_json::Value::Null => None,
            serde_json::Value::Array(items) => Some(
                items
                    .iter()
                    .map(|t| {
                        t.as_str()
                            .map(str::to_string)
                            .ok_or("`tags` must hold strings")
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            _ => return Err("`tags` must be a list of strings".into()),
        };
        Ok(SettingsFile {
            nodes,
            size: string("droplet_size")?,
            prefix: string("name_prefix")?,
            image_file: string("image_file")?.map(Utf8PathBuf::from),
            bucket: string("spaces_bucket")?,
            spaces_region: string("spaces_region")?,
            tags,
        })
    }
}

/// Where Terraform keeps its state (which holds the tailnet key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// `terraform/terraform.tfstate` on this machine.
    Local,
    /// A private Spaces bucket, through Terraform's s3 backend.
    Spaces {
        bucket: String,
        region: String,
        key: String,
    },
}

impl State {
    /// The backend configuration e3 writes for `terraform init
    /// -backend-config=FILE` (no secret in it: the keys come from the
    /// environment as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
    pub fn backend_config(&self) -> Option<String> {
        let State::Spaces {
            bucket,
            region,
            key,
        } = self
        else {
            return None;
        };
        Some(format!(
            "# Written by `cargo xtask deploy`: Terraform's state on DigitalOcean Spaces.\n\
             bucket = \"{bucket}\"\n\
             key = \"{key}\"\n\
             # Spaces ignores the region; the s3 backend wants one.\n\
             region = \"us-east-1\"\n\
             endpoints = {{ s3 = \"https://{region}.digitaloceanspaces.com\" }}\n\
             skip_credentials_validation = true\n\
             skip_requesting_account_id = true\n\
             skip_metadata_api_check = true\n\
             skip_region_validation = true\n\
             skip_s3_checksum = true\n"
        ))
    }
}

/// How long DigitalOcean has to fetch the image from its presigned URL.
pub const IMAGE_URL_EXPIRES: std::time::Duration = std::time::Duration::from_secs(3600);

/// The image object's key in the bucket, as `terraform/image.tf` names it:
/// `PREFIX/MD5/FILE NAME` (the md5 makes a new file a new object).
pub fn image_object_key(prefix: &str, md5_hex: &str, image_file: &Utf8Path) -> String {
    format!(
        "{prefix}/{md5_hex}/{}",
        image_file.file_name().unwrap_or_default()
    )
}

/// A presigned GET URL of the (private) image object, valid for
/// [`IMAGE_URL_EXPIRES`]: what DigitalOcean imports the custom image from.
/// Terraform gets it as `TF_VAR_image_url`, and reads it only when it
/// creates the image.
pub fn image_url(
    settings: &Settings,
    md5_hex: &str,
    key_id: &str,
    secret: &str,
) -> Result<String, String> {
    let key = image_object_key(&settings.prefix, md5_hex, &settings.image_file);
    let endpoint = format!("https://{}.digitaloceanspaces.com", settings.spaces_region);
    let bucket = (settings.bucket.as_str(), settings.spaces_region.as_str());
    sign_get(&endpoint, bucket, &key, (key_id, secret), |get| {
        use rusty_s3::S3Action as _;
        get.sign(IMAGE_URL_EXPIRES)
    })
}

/// The GET of `key` in the bucket (name, region), virtual-host style as
/// Spaces serves it, signed by `sign`.
fn sign_get(
    endpoint: &str,
    (bucket, region): (&str, &str),
    key: &str,
    (key_id, secret): (&str, &str),
    sign: impl FnOnce(&rusty_s3::actions::GetObject<'_>) -> url::Url,
) -> Result<String, String> {
    let endpoint = url::Url::parse(endpoint).map_err(|e| format!("{endpoint}: {e}"))?;
    let bucket = rusty_s3::Bucket::new(
        endpoint,
        rusty_s3::UrlStyle::VirtualHost,
        bucket.to_string(),
        region.to_string(),
    )
    .map_err(|e| format!("the bucket `{bucket}` in {region}: {e}"))?;
    let credentials = rusty_s3::Credentials::new(key_id, secret);
    Ok(sign(&bucket.get_object(Some(&credentials), key)).to_string())
}

/// The secrets a plan hands on, by value: rendered as `***`.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    pub spaces_access_key_id: Option<String>,
    pub spaces_secret_access_key: Option<String>,
    /// The image's presigned URL ([`image_url`]): a credential for an hour.
    pub image_url: Option<String>,
}

/// Tools the plans run.
#[derive(Clone, Debug)]
pub struct Tools {
    /// terraform or tofu.
    pub terraform: Utf8PathBuf,
    pub colmena: Option<Utf8PathBuf>,
    pub git: Utf8PathBuf,
}

/// What deploy does, and what destroy does.
#[derive(Clone, Debug)]
pub struct PlanInputs<'a> {
    pub root: &'a Utf8Path,
    pub settings: &'a Settings,
    pub state: &'a State,
    pub secrets: &'a Secrets,
    pub tools: &'a Tools,
    /// `terraform init` has not run yet (no `terraform/.terraform`), or
    /// the backend changed.
    pub needs_init: bool,
}

/// Terraform, private: its state, backups, saved plans and `.terraform/`
/// hold secrets, and are its owner's alone whatever the user's umask.
fn terraform(inputs: &PlanInputs<'_>) -> Cmd {
    let mut cmd = Cmd::new(&inputs.tools.terraform)
        .arg(format!("-chdir={TERRAFORM_DIR}"))
        .private();
    // The s3 backend reads Spaces' keys under AWS's names.
    if let State::Spaces { .. } = inputs.state {
        if let Some(id) = &inputs.secrets.spaces_access_key_id {
            cmd = cmd.env("AWS_ACCESS_KEY_ID", Value::secret(id));
        }
        if let Some(secret) = &inputs.secrets.spaces_secret_access_key {
            cmd = cmd.env("AWS_SECRET_ACCESS_KEY", Value::secret(secret));
        }
    }
    cmd
}

/// The saved plan, in [`DEPLOY_DIR`]: what `terraform apply` carries out,
/// exactly as shown. It holds the planned values, secrets among them: it
/// is private to its owner, and replaced by the next plan.
pub const PLAN_FILE: &str = "e3.tfplan";

/// A change made through Terraform, as deploy and destroy make it: the
/// variables file, backend and init ([`ChangePlan::prepare`]), a plan
/// saved to [`PLAN_FILE`], that plan shown as JSON (read by e3 from
/// memory: it holds secrets), and then, once it is confirmed, exactly that
/// plan applied.
#[derive(Clone, Debug)]
pub struct ChangePlan {
    pub prepare: Plan,
    /// `terraform plan -out=PLAN_FILE` (with `-destroy` for `destroy --all
    /// --bucket`).
    pub plan: Cmd,
    /// `terraform show -json PLAN_FILE`.
    pub show: Cmd,
    /// `terraform apply PLAN_FILE`.
    pub apply: Cmd,
    /// Once applied: the plan's variables become the last deploy's
    /// ([`PLAN_TFVARS`] moved to [`TFVARS`]).
    pub record: Cmd,
}

impl ChangePlan {
    /// The whole change, as `--dry-run` prints it.
    pub fn to_plan(&self) -> Plan {
        let mut plan = self.prepare.clone();
        plan.push(Step::Run(self.plan.clone()));
        plan.push(Step::Run(self.show.clone()));
        plan.push(Step::Note(
            "e3 reads that JSON (it is never written to a file), shows what is created, updated, replaced and destroyed, and asks before a running droplet is replaced or destroyed (--yes in pipelines); --plan-only stops here".into(),
        ));
        plan.push(Step::Run(self.apply.clone()));
        plan.push(Step::Run(self.record.clone()));
        plan
    }
}

/// The plan, show and apply of a change with the variables file, and the
/// image's presigned URL as `TF_VAR_image_url` for the plan (so it is in
/// no file, and renders as `***`; the saved plan carries it to apply).
fn change_plan(
    inputs: &PlanInputs<'_>,
    prepare: Plan,
    tfvars: &Utf8Path,
    destroy: bool,
) -> ChangePlan {
    let plan_file = inputs.root.join(DEPLOY_DIR).join(PLAN_FILE);
    let mut plan = terraform(inputs);
    if let Some(url) = &inputs.secrets.image_url {
        plan = plan.env("TF_VAR_image_url", Value::secret(url));
    }
    plan = plan.args(["plan", "-input=false"]);
    if destroy {
        plan = plan.arg("-destroy");
    }
    plan = plan
        .arg(format!("-out={plan_file}"))
        .arg(format!("-var-file={tfvars}"));
    ChangePlan {
        prepare,
        plan,
        show: terraform(inputs).args(["show", "-json"]).arg(&plan_file),
        apply: terraform(inputs)
            .args(["apply", "-input=false"])
            .arg(&plan_file),
        record: Cmd::new("mv")
            .arg(tfvars)
            .arg(inputs.root.join(DEPLOY_DIR).join(TFVARS)),
    }
}

/// The steps both plans start with: the variables file, the backend, init.
fn prepare_steps(
    plan: &mut Plan,
    inputs: &PlanInputs<'_>,
    tfvars_json: serde_json::Value,
) -> Utf8PathBuf {
    let deploy_dir = inputs.root.join(DEPLOY_DIR);
    let tfvars = deploy_dir.join(PLAN_TFVARS);
    plan.push(Step::Run(
        Cmd::new("mkdir").arg("-p").arg(&deploy_dir).private(),
    ));
    // Local state (terraform.tfstate and its backup) is written beside the
    // module: that folder is its owner's alone too.
    plan.push(Step::Run(
        Cmd::new("chmod")
            .arg("700")
            .arg(inputs.root.join(TERRAFORM_DIR)),
    ));
    plan.push(Step::WriteFile {
        path: tfvars.clone(),
        contents: format!(
            "{}\n",
            serde_json::to_string_pretty(&tfvars_json).expect("json serialises")
        ),
    });
    let backend_file = inputs.root.join(TERRAFORM_DIR).join(BACKEND_FILE);
    let mut init = terraform(inputs).args(["init", "-input=false"]);
    if let Some(config) = inputs.state.backend_config() {
        let config_path = deploy_dir.join("backend.hcl");
        plan.push(Step::WriteFile {
            path: backend_file,
            contents: "# Written by `cargo xtask deploy` for remote state; the values are in .e3/deploy/backend.hcl.\nterraform {\n  backend \"s3\" {}\n}\n".into(),
        });
        plan.push(Step::WriteFile {
            path: config_path.clone(),
            contents: config,
        });
        init = init.arg(format!("-backend-config={config_path}"));
    }
    if inputs.needs_init {
        plan.push(Step::Run(init));
    } else {
        plan.push(Step::Note(
            "terraform/.terraform exists: no `terraform init` needed".into(),
        ));
    }
    tfvars
}

/// `deploy`, in the order it runs: Terraform provisions (plan, shown and
/// confirmed, then applied); e3 writes the host files from its output (as
/// `cargo xtask hosts`); Colmena configures the nodes (unless left out);
/// e3 waits until every node can run parties.
#[derive(Clone, Debug)]
pub struct DeployPlan {
    pub provision: ChangePlan,
    /// `None` with `--no-colmena`.
    pub configure: Option<Plan>,
}

impl DeployPlan {
    /// The whole plan, as `--dry-run` prints it.
    pub fn to_plan(&self) -> Plan {
        let mut plan = self.provision.to_plan();
        plan.push(Step::Note(
            "then forget the SSH host keys of every droplet the plan replaced or destroyed (.e3/deploy/known_hosts), and write hosts.json and hosts.pssh from `terraform output -json` (as `cargo xtask hosts`)".into(),
        ));
        if let Some(configure) = &self.configure {
            plan.steps.extend(configure.steps.iter().cloned());
        }
        plan.push(Step::Note(
            "then wait until every node answers ssh and imports mpyc".into(),
        ));
        plan
    }
}

pub fn deploy_plan(inputs: &PlanInputs<'_>) -> DeployPlan {
    let mut prepare = Plan::new(inputs.root);
    let tfvars = prepare_steps(&mut prepare, inputs, inputs.settings.tfvars());
    let configure = inputs.tools.colmena.as_ref().map(|colmena| {
        let mut plan = Plan::new(inputs.root);
        // A flake sees only files git tracks.
        plan.push(Step::Run(Cmd::new(&inputs.tools.git).args([
            "add",
            "--intent-to-add",
            "hosts.json",
        ])));
        plan.push(Step::Run(Cmd::new(colmena).arg("apply")));
        plan
    });
    DeployPlan {
        provision: change_plan(inputs, prepare, &tfvars, false),
        configure,
    }
}

/// `destroy`: every node to zero; the bucket stays, and so does the image
/// unless `keep_image` is false (`--all`). Then e3 empties the host files and
/// deletes the tailnet's devices of the prefix.
pub fn destroy_plan(inputs: &PlanInputs<'_>, keep_image: bool) -> ChangePlan {
    let mut prepare = Plan::new(inputs.root);
    let mut tfvars_json = inputs.settings.without_nodes().tfvars();
    if !keep_image {
        tfvars_json["keep_image"] = json!(false);
    }
    let tfvars = prepare_steps(&mut prepare, inputs, tfvars_json);
    change_plan(inputs, prepare, &tfvars, false)
}

/// `destroy --all --bucket`: everything Terraform made, the bucket too.
pub fn destroy_everything_plan(inputs: &PlanInputs<'_>) -> ChangePlan {
    let mut prepare = Plan::new(inputs.root);
    let mut tfvars_json = inputs.settings.without_nodes().tfvars();
    tfvars_json["keep_image"] = json!(false);
    let tfvars = prepare_steps(&mut prepare, inputs, tfvars_json);
    change_plan(inputs, prepare, &tfvars, true)
}

/// A change of the bucket's name or region from the last deploy's. A new
/// region makes Terraform replace the bucket, deleting the old one with the
/// image in it; a new name is an update in place that the provider does
/// not carry out (the bucket keeps its old name while Terraform's state
/// says the new one). Either way: refused.
pub fn bucket_change(last: &Settings, next: &Settings) -> Option<preflight::Problem> {
    let what = match (
        last.bucket != next.bucket,
        last.spaces_region != next.spaces_region,
    ) {
        (false, false) => return None,
        (_, true) => format!(
            "the image bucket would move from `{}` ({}) to `{}` ({}): Terraform would replace it, deleting the old one with the image in it",
            last.bucket, last.spaces_region, next.bucket, next.spaces_region
        ),
        (true, false) => format!(
            "the image bucket would be renamed from `{}` to `{}`: the DigitalOcean provider plans that as an update in place and does not carry it out, so the bucket would keep its old name while Terraform's state says the new one",
            last.bucket, next.bucket
        ),
    };
    Some(preflight::Problem {
        what,
        fix: "keep the bucket and its region as before (--bucket, --spaces-region), or remove the old one first with `cargo xtask destroy --all --bucket`".into(),
    })
}

/// What destroy does after Terraform, as `--dry-run` shows it.
pub const DESTROY_AFTER: &str = "then forget the SSH host keys of the droplets destroyed (.e3/deploy/known_hosts), write empty hosts.json and hosts.pssh, and delete the tailnet devices whose hostname starts with the prefix";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_once_deployed_stay_at_zero() {
        let with = |nodes: &str| Settings {
            nodes: parse_nodes(nodes).unwrap(),
            size: "s-1vcpu-1gb".into(),
            prefix: "e3".into(),
            image_file: "i.qcow2".into(),
            bucket: "b".into(),
            spaces_region: "ams3".into(),
            ssh_public_keys: vec![],
            tags: vec![],
        };
        let last = with("ams3=1,sfo3=1");
        // Dropping sfo3: it stays at 0, so the image keeps it.
        let next = with("ams3=1").keeping_regions_of(&last);
        assert_eq!(next.nodes, parse_nodes("ams3=1,sfo3=0").unwrap());
        // Adding nyc3 after that: the set only grows.
        let later = with("ams3=2,nyc3=1").keeping_regions_of(&next);
        assert_eq!(later.nodes, parse_nodes("ams3=2,nyc3=1,sfo3=0").unwrap());
        assert_eq!(later.regions_in_use(), ["ams3", "nyc3"]);
    }

    /// AWS's documented example of a presigned GET (S3 API reference,
    /// "Authenticating Requests: Using Query Parameters"): signed the way
    /// e3 signs, at the example's time, it gives the example's signature.
    #[test]
    fn presigning_matches_aws_documented_example() {
        let url = sign_get(
            "https://s3.amazonaws.com",
            ("examplebucket", "us-east-1"),
            "test.txt",
            (
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            |get| {
                use rusty_s3::S3Action as _;
                let at: jiff02::Timestamp = "2013-05-24T00:00:00Z".parse().unwrap();
                get.sign_with_time(std::time::Duration::from_secs(86400), &at)
            },
        )
        .unwrap();
        assert_eq!(
            url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    /// The image's URL: the object Terraform uploads (same key), on the
    /// bucket's Spaces host, for an hour, without the secret in it.
    #[test]
    fn the_image_url_is_presigned_for_an_hour() {
        let url = image_url(
            &settings(),
            "0123456789abcdef0123456789abcdef",
            "DO00KEYID",
            "spaces/secret+key",
        )
        .unwrap();
        let (base, query) = url.split_once('?').unwrap();
        assert_eq!(
            base,
            "https://e3-images.ams3.digitaloceanspaces.com/e3/0123456789abcdef0123456789abcdef/nixos-image-digital-ocean.qcow2.gz"
        );
        assert!(query.contains("X-Amz-Expires=3600&"), "{query}");
        assert!(
            query.contains("X-Amz-Credential=DO00KEYID%2F")
                && query.contains("%2Fams3%2Fs3%2Faws4_request"),
            "{query}"
        );
        assert!(!url.contains("spaces/secret") && !url.contains("spaces%2Fsecret"));
        // The key terraform/image.tf gives the object.
        let tf = include_str!("../../../terraform/image.tf");
        assert!(
            tf.contains(r#"key    = "${var.name_prefix}/${filemd5(var.image_file)}/${basename(var.image_file)}""#),
            "image.tf's object key changed: change image_object_key with it"
        );
    }

    fn settings() -> Settings {
        Settings {
            nodes: parse_nodes(EXAMPLE_NODES).unwrap(),
            size: "s-1vcpu-1gb".into(),
            prefix: "e3".into(),
            image_file: "/e3/.e3/images/digitalocean/nixos-image-digital-ocean.qcow2.gz".into(),
            bucket: "e3-images".into(),
            spaces_region: "ams3".into(),
            ssh_public_keys: vec!["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE3 me@laptop".into()],
            tags: vec!["e3".into()],
        }
    }

    fn tools(colmena: bool) -> Tools {
        Tools {
            terraform: "/usr/bin/terraform".into(),
            colmena: colmena.then(|| "/usr/bin/colmena".into()),
            git: "/usr/bin/git".into(),
        }
    }

    fn inputs<'a>(
        settings: &'a Settings,
        state: &'a State,
        secrets: &'a Secrets,
        tools: &'a Tools,
    ) -> PlanInputs<'a> {
        PlanInputs {
            root: "/e3".into(),
            settings,
            state,
            secrets,
            tools,
            needs_init: true,
        }
    }

    #[test]
    fn nodes_parse() {
        let nodes = parse_nodes(EXAMPLE_NODES).unwrap();
        assert_eq!(nodes.values().sum::<u32>(), 6);
        assert_eq!(nodes["ams3"], 3);
        for (bad, why) in [
            ("ams3", "`ams3` is not REGION=COUNT"),
            (
                "amsterdam=3",
                "`amsterdam` is not a DigitalOcean region slug (like ams3)",
            ),
            ("ams3=x", "`ams3=x`: the count must be a whole number"),
            ("ams3=-1", "`ams3=-1`: the count must be a whole number"),
            ("ams3=51", "`ams3=51`: at most 50 nodes per region"),
            ("ams3=1,ams3=2", "region `ams3` is given twice"),
        ] {
            assert_eq!(parse_nodes(bad).unwrap_err().0, why, "{bad}");
        }
        assert!(parse_nodes("").unwrap().is_empty());
    }

    #[test]
    fn settings_files() {
        let file = SettingsFile::parse(
            r#"{"nodes": {"ams3": 3, "sgp1": 1}, "droplet_size": "s-1vcpu-2gb", "tags": ["e3", "lab"]}"#,
        )
        .unwrap();
        assert_eq!(file.nodes.unwrap()["ams3"], 3);
        assert_eq!(file.size.as_deref(), Some("s-1vcpu-2gb"));
        assert_eq!(file.prefix, None);
        // What a deploy wrote is a settings file too.
        let written = serde_json::to_string(&settings().tfvars()).unwrap();
        assert_eq!(
            SettingsFile::parse(&written).unwrap().bucket.as_deref(),
            Some("e3-images")
        );
        for (bad, why) in [
            (r#"{"node": {}}"#, "unknown key `node`"),
            (
                r#"{"nodes": {"amsterdam": 1}}"#,
                "`nodes`: `amsterdam` is not a DigitalOcean region slug",
            ),
            (r#"{"droplet_size": 2}"#, "`droplet_size` must be a string"),
            (r#"{"tags": "e3"}"#, "`tags` must be a list of strings"),
            ("[]", "expected a JSON object"),
        ] {
            let err = SettingsFile::parse(bad).unwrap_err();
            assert!(err.starts_with(why), "{bad}: {err}");
        }
    }

    #[test]
    fn keys_from_the_one_list() {
        let text = "# comment\n\nssh-ed25519 AAAA a@b\n  ssh-rsa BBBB c@d  \n";
        assert_eq!(
            authorized_keys(text),
            ["ssh-ed25519 AAAA a@b", "ssh-rsa BBBB c@d"]
        );
    }

    #[test]
    fn the_tfvars_e3_writes() {
        let s = settings();
        insta::assert_snapshot!(serde_json::to_string_pretty(&s.tfvars()).unwrap());
        assert_eq!(s.regions_in_use(), ["ams3", "nyc3", "sfo3", "sgp1"]);
        let text = serde_json::to_string_pretty(&s.tfvars()).unwrap();
        assert_eq!(Settings::from_tfvars(&text).unwrap(), s);
        assert_eq!(
            Settings::from_tfvars(r#"{"nodes": {"ams3": -1}}"#).unwrap_err(),
            "`nodes.ams3` is not a count"
        );
        let none = s.without_nodes();
        assert_eq!(none.node_count(), 0);
        assert!(none.regions_in_use().is_empty());
    }

    #[test]
    fn deploy_plans() {
        let (s, secrets) = (
            settings(),
            Secrets {
                spaces_access_key_id: Some("DO00FAKEKEYID".into()),
                spaces_secret_access_key: Some("fake-secret-value".into()),
                image_url: Some(
                    "https://e3-images.ams3.digitaloceanspaces.com/e3/x?X-Amz-Signature=fake"
                        .into(),
                ),
            },
        );
        let local = deploy_plan(&inputs(&s, &State::Local, &secrets, &tools(true)))
            .to_plan()
            .render();
        insta::assert_snapshot!("deploy_local_state", local);
        let spaces = State::Spaces {
            bucket: "e3-state".into(),
            region: "ams3".into(),
            key: "e3/terraform.tfstate".into(),
        };
        let remote = deploy_plan(&inputs(&s, &spaces, &secrets, &tools(false)))
            .to_plan()
            .render();
        insta::assert_snapshot!("deploy_remote_state_no_colmena", remote);
        for text in [&local, &remote] {
            assert!(!text.contains("fake-secret-value") && !text.contains("DO00FAKEKEYID"));
        }
        let with_colmena = tools(true);
        let mut warm = inputs(&s, &State::Local, &secrets, &with_colmena);
        warm.needs_init = false;
        assert!(!deploy_plan(&warm).to_plan().render().contains(" init "));
    }

    #[test]
    fn destroy_plans_keep_the_bucket_and_the_image_unless_all() {
        let s = settings();
        let (secrets, tools) = (Secrets::default(), tools(true));
        let inputs = inputs(&s, &State::Local, &secrets, &tools);
        let mut plan = destroy_plan(&inputs, true).to_plan();
        plan.push(Step::Note(DESTROY_AFTER.into()));
        insta::assert_snapshot!("destroy_local_state", plan.render());
        let secrets = Secrets {
            spaces_access_key_id: Some("DO00FAKEKEYID".into()),
            spaces_secret_access_key: Some("fake-secret-value".into()),
            image_url: Some(
                "https://e3-images.ams3.digitaloceanspaces.com/e3/x?X-Amz-Signature=fake".into(),
            ),
        };
        let spaces = State::Spaces {
            bucket: "e3-state".into(),
            region: "ams3".into(),
            key: "e3/terraform.tfstate".into(),
        };
        let remote = destroy_plan(&self::inputs(&s, &spaces, &secrets, &tools), false)
            .to_plan()
            .render();
        insta::assert_snapshot!("destroy_all_remote_state", remote);
        assert!(remote.contains("AWS_SECRET_ACCESS_KEY=***"), "{remote}");
        assert!(!remote.contains("fake-secret-value") && !remote.contains("DO00FAKEKEYID"));
        let everything = destroy_everything_plan(&inputs).to_plan().render();
        assert!(everything.contains("terraform -chdir=terraform plan -input=false -destroy -out="));
        assert!(everything.contains("terraform -chdir=terraform apply -input=false /"));
        assert!(!everything.contains("-auto-approve"));
        assert!(everything.contains("\"keep_image\": false"));
        let moved = Settings {
            spaces_region: "fra1".into(),
            ..s.clone()
        };
        assert!(bucket_change(&s, &s).is_none());
        assert!(bucket_change(&s, &moved).unwrap().what.starts_with(
            "the image bucket would move from `e3-images` (ams3) to `e3-images` (fra1): Terraform would replace it"
        ));
        let renamed = Settings {
            bucket: "other".into(),
            ..s.clone()
        };
        assert!(
            bucket_change(&s, &renamed)
                .unwrap()
                .what
                .contains("update in place and does not carry it out")
        );
        let all = destroy_plan(&inputs, false).to_plan().render();
        assert!(all.contains("\"keep_image\": false"), "{all}");
        assert!(!plan.render().contains("keep_image"));
    }
}
