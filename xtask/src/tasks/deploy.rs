//! `cargo xtask deploy`: from nothing to a testbed of droplets in several
//! DigitalOcean regions on the researcher's tailnet, with the host files
//! written and the NixOS configuration applied. `e3-deploy` plans it; this
//! task checks everything first, shows the cost, asks, runs the plan, and
//! waits until every node can run parties.

use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use e3_deploy::preflight::{self, Env, Problem};
use e3_deploy::{
    DEPLOY_DIR, PlanInputs, Secrets, Settings, SettingsFile, State, TERRAFORM_DIR, TFVARS, Tools,
};
use e3_inventory::Inventory;
use e3_inventory::files::{HOSTS_PSSH, host_files, host_markdown, host_table};
use e3_plan::{Cmd, relative_to};

use crate::cli::DeployArgs;
use crate::error::{Error, Result, failure, usage};
use crate::paths::current_dir;
use crate::provision::{Asking, Changed, forget_hosts, make_change, run_steps};
use crate::tasks::hosts;
use crate::tools;
use crate::ui::Ui;

/// This machine, as preflight sees it.
pub struct Machine;

impl Env for Machine {
    fn find(&self, tool: &str) -> Option<Utf8PathBuf> {
        tools::find(tool).ok()
    }

    fn is_set(&self, name: &str) -> bool {
        env_var(name).is_some()
    }
}

/// A variable's value, when it is set and not empty.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The settings of the last deploy made from this checkout, if any.
pub fn last_settings(root: &Utf8Path) -> Result<Option<Settings>> {
    let path = root.join(DEPLOY_DIR).join(TFVARS);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    Settings::from_tfvars(&text).map(Some).map_err(|e| {
        usage(format!("{}: {e}", relative_to(root, &path)))
            .hint("it is written by `cargo xtask deploy`; delete it to start from the flags alone")
    })
}

/// Where Terraform's state is: Spaces when a state bucket is given.
pub fn state(flag: Option<&str>, spaces_region: &str) -> State {
    match flag
        .map(str::to_string)
        .or_else(|| env_var("E3_STATE_BUCKET"))
    {
        Some(bucket) => State::Spaces {
            bucket,
            region: spaces_region.to_string(),
            key: "e3/terraform.tfstate".into(),
        },
        None => State::Local,
    }
}

/// The secrets the plans hand on: Spaces' keys (for Terraform's s3
/// backend), and the image's presigned URL (from the image file's md5:
/// the one `cargo xtask image` recorded, when it is of this file) when the
/// keys and the file are there.
pub fn secrets(root: &Utf8Path, settings: &Settings) -> Result<Secrets> {
    let (id, secret) = (
        env_var("SPACES_ACCESS_KEY_ID"),
        env_var("SPACES_SECRET_ACCESS_KEY"),
    );
    let image_url = match (&id, &secret) {
        (Some(id), Some(secret)) if settings.image_file.is_file() => {
            let recorded = std::fs::metadata(&settings.image_file)
                .ok()
                .and_then(|meta| {
                    let record = std::fs::read_to_string(image_record_path(root)).ok()?;
                    preflight::md5_from_record(&record, &settings.image_file, meta.len())
                });
            let md5 = match recorded {
                Some(md5) => md5,
                None => {
                    e3_nix::image::digest(&settings.image_file)
                        .map_err(|e| failure(e.to_string()))?
                        .md5
                }
            };
            let url = e3_deploy::image_url(settings, &md5, id, secret)
                .map_err(|e| usage(format!("cannot presign the image's URL: {e}")))?;
            Some(url)
        }
        _ => None,
    };
    Ok(Secrets {
        spaces_access_key_id: id,
        spaces_secret_access_key: secret,
        image_url,
    })
}

/// Whether `terraform init` must run first, and a problem when the state's
/// place changed under an initialised module.
pub fn needs_init(root: &Utf8Path, state: &State) -> (bool, Option<Problem>) {
    let initialised = root.join(TERRAFORM_DIR).join(".terraform").is_dir();
    let backend_file = root.join(TERRAFORM_DIR).join(e3_deploy::BACKEND_FILE);
    match (state, backend_file.exists()) {
        (State::Local, true) => (
            !initialised,
            Some(Problem {
                what: format!(
                    "{} says Terraform's state is on Spaces, but no state bucket is given",
                    relative_to(root, &backend_file)
                ),
                fix: "pass --state-bucket (or set E3_STATE_BUCKET); to move the state back here, delete that file and run `terraform -chdir=terraform init -migrate-state`".into(),
            }),
        ),
        (State::Spaces { .. }, false) => (true, None),
        _ => (!initialised, None),
    }
}

/// Every problem, at once, as one usage error (exit 2).
pub fn refuse(task: &str, problems: &[Problem]) -> Error {
    let mut message = format!(
        "{task} cannot start: {} problem{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        message.push_str(&format!("\n- {}\n  fix: {}", p.what, p.fix));
    }
    usage(message)
}

/// With `--dry-run` the plan is shown even where something is missing.
pub fn warn(problems: &[Problem]) {
    for p in problems {
        crate::tools::warn(&p.what, &p.fix);
    }
}

/// e3's defaults for what a deploy's flags leave out.
pub const DEFAULT_SIZE: &str = "s-1vcpu-1gb";
pub const DEFAULT_PREFIX: &str = "e3";
pub const DEFAULT_SPACES_REGION: &str = "ams3";
pub const DEFAULT_TAG: &str = "e3";

/// What `destroy --dry-run` and `leftovers --dry-run` show on a checkout no
/// deploy was made from: a deploy with e3's defaults and no nodes.
pub fn assumed_settings(root: &Utf8Path) -> Settings {
    Settings {
        nodes: Default::default(),
        size: DEFAULT_SIZE.into(),
        prefix: DEFAULT_PREFIX.into(),
        image_file: root
            .join(crate::tasks::image::IMAGES_DIR)
            .join("digitalocean"),
        bucket: env_var("E3_SPACES_BUCKET").unwrap_or_default(),
        spaces_region: DEFAULT_SPACES_REGION.into(),
        ssh_public_keys: Vec::new(),
        tags: vec![DEFAULT_TAG.into()],
    }
}

/// The settings: each from its flag, else the settings file, else the last
/// deploy's, else e3's default.
fn settings(root: &Utf8Path, args: &DeployArgs, last: Option<&Settings>) -> Result<Settings> {
    let cwd = current_dir()?;
    let file = match &args.settings {
        Some(path) => {
            let text = std::fs::read_to_string(cwd.join(path))
                .map_err(|e| usage(format!("cannot read --settings file `{path}`: {e}")))?;
            SettingsFile::parse(&text)
                .map_err(|e| usage(format!("--settings file `{path}`: {e}")))?
        }
        None => SettingsFile::default(),
    };
    let nodes = match (&args.nodes, &file.nodes, last) {
        (Some(text), _, _) => e3_deploy::parse_nodes(text).map_err(|e| {
            usage(format!("--nodes: {e}")).hint(format!(
                "give REGION=COUNT pairs, e.g. --nodes {}",
                e3_deploy::EXAMPLE_NODES
            ))
        })?,
        (None, Some(nodes), _) => nodes.clone(),
        (None, None, Some(last)) => last.nodes.clone(),
        (None, None, None) => {
            return Err(
                usage("--nodes (or --settings FILE) is needed for a first deploy").hint(format!(
                    "e.g. --nodes {} (E3's own experiment)",
                    e3_deploy::EXAMPLE_NODES
                )),
            );
        }
    };
    let image_file = match (&args.image, &file.image_file) {
        (Some(path), _) => cwd.join(path),
        (None, Some(path)) => cwd.join(path),
        (None, None) => recorded_image(root)
            .or_else(|| last.map(|l| l.image_file.clone()))
            .unwrap_or_else(|| {
                root.join(crate::tasks::image::IMAGES_DIR)
                    .join("digitalocean")
            }),
    };
    let keys_text = std::fs::read_to_string(root.join("nix/authorized_keys")).unwrap_or_default();
    let pick = |flag: &Option<String>,
                from_file: &Option<String>,
                from_last: Option<&String>,
                default: &str| {
        flag.clone()
            .or_else(|| from_file.clone())
            .or_else(|| from_last.cloned())
            .unwrap_or_else(|| default.to_string())
    };
    let settings = Settings {
        nodes,
        size: pick(&args.size, &file.size, last.map(|l| &l.size), DEFAULT_SIZE),
        prefix: pick(
            &args.prefix,
            &file.prefix,
            last.map(|l| &l.prefix),
            DEFAULT_PREFIX,
        ),
        image_file,
        bucket: pick(
            &args.bucket.clone().or_else(|| env_var("E3_SPACES_BUCKET")),
            &file.bucket,
            last.map(|l| &l.bucket),
            "",
        ),
        spaces_region: pick(
            &args.spaces_region,
            &file.spaces_region,
            last.map(|l| &l.spaces_region),
            DEFAULT_SPACES_REGION,
        ),
        ssh_public_keys: e3_deploy::authorized_keys(&keys_text),
        tags: file
            .tags
            .clone()
            .or_else(|| last.map(|l| l.tags.clone()))
            .unwrap_or_else(|| vec![DEFAULT_TAG.to_string()]),
    };
    // Regions deployed to before stay, at 0 nodes: the image keeps them.
    Ok(match last {
        Some(last) => settings.keeping_regions_of(last),
        None => settings,
    })
}

/// The image `cargo xtask image --do` recorded.
fn recorded_image(root: &Utf8Path) -> Option<Utf8PathBuf> {
    preflight::image_from_record(&std::fs::read_to_string(image_record_path(root)).ok()?)
}

/// Where `cargo xtask image --do` records the image it built.
fn image_record_path(root: &Utf8Path) -> Utf8PathBuf {
    e3_nix::image::ImageRecord::path(
        &root.join(crate::tasks::image::IMAGES_DIR),
        e3_nix::image::Target::DigitalOcean,
    )
}

pub fn run(root: &Utf8Path, dry_run: bool, args: &DeployArgs) -> Result<()> {
    // Terraform's state, its backups, the saved plan and .terraform/ hold
    // secrets (the tailnet key): whatever deploy or Terraform makes is its
    // owner's alone, whatever the user's umask.
    crate::provision::private_files(root, dry_run)?;
    let last = last_settings(root)?;
    let settings = settings(root, args, last.as_ref())?;
    let catalogue = crate::cloud::catalogue();
    let (found, mut problems) = preflight::check(&Machine, &settings, &catalogue, !args.no_colmena);
    problems.extend(
        last.as_ref()
            .and_then(|last| e3_deploy::bucket_change(last, &settings)),
    );
    let state = state(args.state_bucket.as_deref(), &settings.spaces_region);
    let (needs_init, state_problem) = needs_init(root, &state);
    problems.extend(state_problem);
    let secrets = secrets(root, &settings)?;
    let tools = Tools {
        terraform: found
            .terraform
            .clone()
            .unwrap_or_else(|| "terraform".into()),
        colmena: (!args.no_colmena)
            .then(|| found.colmena.clone().unwrap_or_else(|| "colmena".into())),
        git: found.git.clone().unwrap_or_else(|| "git".into()),
    };
    let plan = e3_deploy::deploy_plan(&PlanInputs {
        root,
        settings: &settings,
        state: &state,
        secrets: &secrets,
        tools: &tools,
        needs_init,
    });
    if dry_run {
        warn(&problems);
        crate::out::print(&plan.to_plan().render());
        return Ok(());
    }
    if !problems.is_empty() {
        return Err(refuse("deploy", &problems));
    }
    let ui = Ui::new(false);
    let cost = match preflight::cost(&settings, &catalogue) {
        Some(cost) => cost.describe(),
        None => format!(
            "the price of `{}` is not known to {}; see https://www.digitalocean.com/pricing/droplets",
            settings.size, catalogue.source
        ),
    };
    ui.say(&format!("e3: {cost}"));
    let question = format!(
        "Apply this plan ({} droplets in {} when it is done)?",
        settings.node_count(),
        settings.regions_in_use().join(", ")
    );
    let started = Instant::now();
    let asking = Asking {
        yes: args.yes,
        plan_only: args.plan_only,
        question: &question,
        ask_on_create: true,
        and_then: None,
    };
    match make_change(&ui, &plan.provision, &asking)? {
        Changed::Applied(summary) => forget_hosts(root, &summary.stale_hosts(), &ui)?,
        Changed::NotApplied if args.plan_only => return Ok(()),
        Changed::NotApplied => {}
    }
    let inventory = write_host_files(root, &tools.terraform, &ui)?;
    if let Some(configure) = &plan.configure {
        run_steps(&ui, configure)?;
    }
    let ssh = found
        .ssh
        .ok_or_else(|| failure("`ssh` disappeared from PATH"))?;
    wait_for_nodes(
        &ssh,
        &crate::provision::known_hosts(root),
        &inventory,
        &ui,
        Duration::from_secs(600),
    )?;
    ui.say(&format!(
        "e3: {} nodes ready after {:.0}s",
        inventory.hosts.len(),
        started.elapsed().as_secs_f64()
    ));
    ui.say(&host_table(&inventory));
    crate::pipeline::append_summary(&format!(
        "### e3 deploy: {} nodes ready after {:.0}s\n\n{cost}\n\n{}",
        inventory.hosts.len(),
        started.elapsed().as_secs_f64(),
        host_markdown(&inventory)
    ));
    ui.say(&format!(
        "next: cargo xtask run secretsanta --hosts {HOSTS_PSSH}\nwhen done: cargo xtask destroy"
    ));
    Ok(())
}

/// hosts.json and hosts.pssh from Terraform's output, as `cargo xtask hosts`.
fn write_host_files(root: &Utf8Path, terraform: &Utf8Path, ui: &Ui) -> Result<Inventory> {
    let cmd = hosts::terraform_output_cmd(terraform);
    ui.say(&format!("e3: $ {cmd}"));
    let document = e3_exec::output_of(Some(root), &cmd)?;
    let files =
        host_files(&document, "terraform output", None).map_err(|e| failure(e.to_string()))?;
    e3_exec::run_plan(&hosts::write_plan(root, &files), |_| {})?;
    ui.say(&format!(
        "e3: wrote hosts.json and {HOSTS_PSSH} ({} hosts)",
        files.inventory.hosts.len()
    ));
    Ok(files.inventory)
}

/// Waits until every node answers ssh and its `python3` imports MPyC.
fn wait_for_nodes(
    ssh: &Utf8Path,
    known_hosts: &Utf8Path,
    inventory: &Inventory,
    ui: &Ui,
    limit: Duration,
) -> Result<()> {
    let started = Instant::now();
    let mut waiting: Vec<&e3_inventory::Host> = inventory.hosts.iter().collect();
    while !waiting.is_empty() {
        waiting.retain(|host| {
            let port = host.port.map(|p| ["-p".to_string(), p.to_string()]);
            let cmd = Cmd::new(ssh)
                .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"])
                .args(["-o", "StrictHostKeyChecking=accept-new"])
                .args(["-o", "HashKnownHosts=no"])
                .arg("-o")
                .arg(format!("UserKnownHostsFile={known_hosts}"))
                .args(port.into_iter().flatten())
                .arg(host.ssh_target())
                .args(["python3", "-c", "'import mpyc'"]);
            let ready = e3_exec::capture(&cmd).is_ok_and(|out| out.end.success());
            if ready {
                ui.say(&format!(
                    "e3: {} ready ({:.0}s)",
                    host.pssh_line(),
                    started.elapsed().as_secs_f64()
                ));
            }
            !ready
        });
        if waiting.is_empty() {
            break;
        }
        if started.elapsed() > limit {
            let names: Vec<String> = waiting.iter().map(|h| h.pssh_line()).collect();
            return Err(failure(format!(
                "not ready after {}s (ssh, or python3 with MPyC): {}",
                limit.as_secs(),
                names.join(", ")
            )));
        }
        // A node boots, joins the tailnet and is configured at its own pace.
        std::thread::sleep(Duration::from_secs(5));
    }
    Ok(())
}
