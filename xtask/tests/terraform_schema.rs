//! The Terraform module (terraform/) checked against the DigitalOcean
//! provider's real schema, offline: every resource, data source and
//! provider block of the provider, read with hcl-rs's parser (`hcl::edit`,
//! which keeps each item's place in the file), against the facts in
//! `xtask/tests/fixtures/digitalocean-2.99.1-schema.json`: each argument and
//! nested block exists, the required ones are set, nothing deprecated or
//! computed-only is set, literals have the schema's type, and references
//! to a DigitalOcean resource's attributes name attributes it has.
//!
//! The fixture is the part of the provider's `terraform providers schema
//! -json` that the module uses. When that full schema is there
//! (`../shared/providers/`, beside the workspace), the fixture is checked
//! against it entry by entry, so it cannot drift; elsewhere (GitHub's
//! checkout has no `../shared`) that one test says it skipped and why.
//!
//! Literals are held to the schema's type more strictly than Terraform,
//! which would convert `true` to "true" or "7" to 7: a literal of another
//! type is taken for a mistake. Not checked (not in the schema's JSON):
//! which changes force a new resource, the provider's own validation of
//! values (region slugs and such), and arguments that exclude each other.
//!
//! Blocks of other providers are skipped, each named with the reason:
//! tailscale's and random's providers cannot be built on these machines,
//! so there is no schema of them here; `terraform_data` is Terraform's own.
//!
//! To make the fixture again (a new provider version: change VERSION and
//! the names below, and versions.tf's pin, with it):
//! `E3_UPDATE_SCHEMA_FIXTURE=1 cargo test -p xtask --test terraform_schema the_fixture_matches_the_full_schema`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use common::{Scratch, copy_tree, files_ending, root};
use hcl::edit::Span;
use hcl::edit::expr::{Expression, ObjectKey, Traversal, TraversalOperator, UnaryOperator};
use hcl::edit::structure::{Block, BlockLabel, Body};
use hcl::edit::visit::{self, Visit};
use serde_json::{Map, Value, json};

/// The provider version the fixture describes, and the only one
/// terraform/versions.tf admits.
const VERSION: &str = "2.99.1";
/// The provider's address, as `terraform providers schema -json` keys it.
const DIGITALOCEAN: &str = "registry.terraform.io/digitalocean/digitalocean";
/// The facts this test reads, relative to the workspace root.
const FIXTURE: &str = "xtask/tests/fixtures/digitalocean-2.99.1-schema.json";
/// The provider's whole schema, relative to the workspace root: on this
/// workplace's machines only.
const FULL_SCHEMA: &str = "../shared/providers/digitalocean-2.99.1.schema.json";
/// How the full schema was made (from ../shared/providers/README.md).
const FULL_SCHEMA_MADE: &str = "2026-11-30, with `terraform providers schema -json` (terraform 1.11.4) from the provider built from its tag v2.99.1 (digitalocean/terraform-provider-digitalocean); see ../shared/providers/README.md";
/// Set to write the fixture from the full schema instead of checking it.
const UPDATE: &str = "E3_UPDATE_SCHEMA_FIXTURE";

/// Providers the module uses whose blocks are not checked here, and why.
const UNCHECKED: &[(&str, &str)] = &[
    (
        "registry.terraform.io/tailscale/tailscale",
        "the tailscale provider cannot be built on these machines, so there is no schema of it here (it is checked by reading its source, separately)",
    ),
    (
        "registry.terraform.io/hashicorp/random",
        "the random provider cannot be built on these machines, so there is no schema of it here (it is checked by reading its source, separately)",
    ),
    (
        "terraform.io/builtin/terraform",
        "built into Terraform (terraform_data), not a provider with a schema file",
    ),
];

// What Terraform itself reads in a block, not the provider.
const RESOURCE_META: Meta = Meta {
    attributes: &["count", "for_each", "depends_on", "provider"],
    blocks: &["lifecycle", "provisioner", "connection"],
};
const DATA_META: Meta = Meta {
    attributes: &["count", "for_each", "depends_on", "provider"],
    blocks: &["lifecycle"],
};
const PROVIDER_META: Meta = Meta {
    attributes: &["alias"],
    blocks: &[],
};
const NO_META: Meta = Meta {
    attributes: &[],
    blocks: &[],
};

/// Terraform's meta-arguments of one kind of block.
#[derive(Clone, Copy)]
struct Meta {
    attributes: &'static [&'static str],
    blocks: &'static [&'static str],
}

/// One mismatch between the module and the schema.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    /// The file, as `terraform/nodes.tf`.
    file: String,
    /// 1-based.
    line: usize,
    /// The block: `digitalocean_droplet.node`, `provider "digitalocean"`.
    address: String,
    message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.address, self.message
        )
    }
}

/// What a check of the module found and did.
#[derive(Debug, Default)]
struct Report {
    findings: Vec<Finding>,
    /// The blocks checked against the schema.
    checked: Vec<String>,
    /// The blocks not checked, each with its provider and why.
    skipped: Vec<String>,
    /// The DigitalOcean resource and data source types the module uses.
    resources: BTreeSet<String>,
    data_sources: BTreeSet<String>,
}

/// The provider's schema: the fixture, or the provider's entry in the full
/// schema (the same shape, with descriptions).
struct Schema<'a> {
    provider: &'a Value,
    resources: &'a Map<String, Value>,
    data_sources: &'a Map<String, Value>,
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> Schema<'a> {
    fn of(entry: &'a Value) -> Schema<'a> {
        Schema {
            provider: &entry["provider"],
            resources: entry["resource_schemas"].as_object().unwrap_or(&EMPTY),
            data_sources: entry["data_source_schemas"].as_object().unwrap_or(&EMPTY),
        }
    }
}

/// A schema block's attributes.
fn attributes(block: &Value) -> &Map<String, Value> {
    block["attributes"].as_object().unwrap_or(&EMPTY)
}

/// A schema block's nested block types.
fn block_types(block: &Value) -> &Map<String, Value> {
    block["block_types"].as_object().unwrap_or(&EMPTY)
}

fn flag(value: &Value, name: &str) -> bool {
    value[name].as_bool() == Some(true)
}

/// One `.tf` file, parsed.
struct TfFile {
    /// As shown in findings: `terraform/nodes.tf`.
    shown: String,
    text: String,
    body: Body,
}

impl TfFile {
    fn line(&self, span: Option<Range<usize>>) -> usize {
        span.map_or(0, |s| self.text[..s.start].matches('\n').count() + 1)
    }
}

fn label(label: &BlockLabel) -> &str {
    match label {
        BlockLabel::Ident(ident) => ident.as_str(),
        BlockLabel::String(string) => string.as_str(),
    }
}

/// `digitalocean/digitalocean` as Terraform spells it in full.
fn full_source(source: &str) -> String {
    let source = source.to_ascii_lowercase();
    match source.matches('/').count() {
        1 => format!("registry.terraform.io/{source}"),
        _ => source,
    }
}

/// A module's `required_providers`: local name => full source address.
fn required_providers(files: &[TfFile]) -> BTreeMap<String, String> {
    let mut providers = BTreeMap::new();
    for file in files {
        for terraform in file.body.get_blocks("terraform") {
            for required in terraform.body.get_blocks("required_providers") {
                for attr in required.body.attributes() {
                    let name = attr.key.as_str().to_string();
                    let source = match &attr.value {
                        Expression::Object(object) => object.iter().find_map(|(key, value)| {
                            let is_source = match key {
                                ObjectKey::Ident(ident) => ident.as_str() == "source",
                                ObjectKey::Expression(Expression::String(s)) => {
                                    s.as_str() == "source"
                                }
                                ObjectKey::Expression(_) => false,
                            };
                            match value.expr() {
                                Expression::String(s) if is_source => Some(full_source(s)),
                                _ => None,
                            }
                        }),
                        _ => None,
                    };
                    let source =
                        source.unwrap_or_else(|| format!("registry.terraform.io/hashicorp/{name}"));
                    providers.insert(name, source);
                }
            }
        }
    }
    providers
}

/// Reads the `.tf` files under `dir` (hidden folders such as `.terraform`
/// left out), shown as under `shown_as`, and checks every module among
/// them (each folder is one) against `schema`.
fn check_tree(dir: &Path, shown_as: &str, schema: &Schema) -> Report {
    let files: Vec<(String, String)> = files_ending(dir, "tf")
        .into_iter()
        .map(|path| {
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            (format!("{shown_as}/{rel}"), text)
        })
        .collect();
    assert!(!files.is_empty(), "no .tf files under {}", dir.display());
    check_files(&files, schema)
}

/// Checks `.tf` files given as (shown path, text): the files of one folder
/// make one module.
fn check_files(files: &[(String, String)], schema: &Schema) -> Report {
    let mut report = Report::default();
    let mut modules: BTreeMap<String, Vec<TfFile>> = BTreeMap::new();
    for (shown, text) in files {
        let folder = Path::new(shown)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        match hcl::edit::parser::parse_body(text) {
            Ok(body) => modules.entry(folder).or_default().push(TfFile {
                shown: shown.clone(),
                text: text.clone(),
                body,
            }),
            Err(e) => report.findings.push(Finding {
                file: shown.clone(),
                line: e.location().line(),
                address: "(file)".into(),
                message: format!("does not parse: {}", e.message()),
            }),
        }
    }
    for files in modules.values() {
        let providers = required_providers(files);
        for file in files {
            for block in file.body.blocks() {
                check_top_block(file, block, &providers, schema, &mut report);
            }
        }
    }
    report.findings.sort();
    report
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Resource,
    Data,
    Provider,
}

/// One top-level block: a resource, data source or provider of the
/// DigitalOcean provider is checked against its schema; references to
/// DigitalOcean resources' attributes are checked in every block.
fn check_top_block(
    file: &TfFile,
    block: &Block,
    providers: &BTreeMap<String, String>,
    schema: &Schema,
    report: &mut Report,
) {
    let kind = match block.ident.as_str() {
        "resource" => Kind::Resource,
        "data" => Kind::Data,
        "provider" => Kind::Provider,
        _ => {
            check_references(file, block, None, "", schema, report);
            return;
        }
    };
    let labels: Vec<&str> = block.labels.iter().map(label).collect();
    let line = file.line(block.ident.span());
    let wanted = if kind == Kind::Provider { 1 } else { 2 };
    if labels.len() != wanted {
        report.findings.push(Finding {
            file: file.shown.clone(),
            line,
            address: block.ident.as_str().into(),
            message: format!("needs {wanted} label(s), has {}", labels.len()),
        });
        return;
    }
    let ty = labels[0];
    let address = match kind {
        Kind::Resource => format!("{ty}.{}", labels[1]),
        Kind::Data => format!("data.{ty}.{}", labels[1]),
        Kind::Provider => format!("provider \"{ty}\""),
    };

    // Which provider: `provider = <name>[.alias]`, else the type's prefix.
    let chosen = block
        .body
        .get_attribute("provider")
        .filter(|_| kind != Kind::Provider)
        .and_then(|attr| match &attr.value {
            Expression::Variable(v) => Some(v.as_str().to_string()),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => Some(v.as_str().to_string()),
                _ => None,
            },
            _ => None,
        });
    let local = match kind {
        Kind::Provider => ty.to_string(),
        _ => chosen.unwrap_or_else(|| ty.split('_').next().unwrap_or(ty).to_string()),
    };
    let declared = providers.get(&local).cloned();
    let source = match (&declared, kind, ty) {
        (None, Kind::Resource, "terraform_data") => "terraform.io/builtin/terraform".to_string(),
        (Some(source), _, _) => source.clone(),
        (None, _, _) => format!("registry.terraform.io/hashicorp/{local}"),
    };

    let finding = |report: &mut Report, message: String| {
        report.findings.push(Finding {
            file: file.shown.clone(),
            line,
            address: address.clone(),
            message,
        })
    };

    if source != DIGITALOCEAN {
        check_references(file, block, None, &address, schema, report);
        if let Some((_, why)) = UNCHECKED.iter().find(|(s, _)| *s == source) {
            report.skipped.push(format!("{address} ({source}): {why}"));
        } else if declared.is_none() {
            finding(
                report,
                format!(
                    "provider `{local}` is not in this module's required_providers, so Terraform \
                     takes {source}, which is not checked here (DigitalOcean's is \
                     `{local} = {{ source = \"digitalocean/digitalocean\" }}`)"
                ),
            );
        } else {
            finding(
                report,
                format!(
                    "no schema of {source} here, and it is not among the providers known to be left unchecked"
                ),
            );
        }
        return;
    }

    let (entry, meta, what) = match kind {
        Kind::Resource => {
            report.resources.insert(ty.to_string());
            (schema.resources.get(ty), RESOURCE_META, ty.to_string())
        }
        Kind::Data => {
            report.data_sources.insert(ty.to_string());
            (
                schema.data_sources.get(ty),
                DATA_META,
                format!("data source {ty}"),
            )
        }
        Kind::Provider => (
            Some(schema.provider).filter(|p| p.is_object()),
            PROVIDER_META,
            "the digitalocean provider".to_string(),
        ),
    };
    let Some(entry) = entry else {
        let noun = if kind == Kind::Data {
            "data source"
        } else {
            "resource"
        };
        finding(
            report,
            format!(
                "`{ty}` is not a {noun} type of the DigitalOcean provider {VERSION} in {FIXTURE} \
                 (misspelled, or the fixture needs it: see this test's header)"
            ),
        );
        return;
    };
    let schema_block = &entry["block"];
    if flag(schema_block, "deprecated") {
        finding(report, format!("{what} is deprecated in the provider"));
    }
    let mut ctx = Ctx {
        file,
        address: address.clone(),
        what,
        findings: &mut report.findings,
    };
    check_body(&mut ctx, &block.body, schema_block, "", meta, line);
    let self_block = (kind != Kind::Provider).then_some(schema_block);
    check_references(file, block, self_block, &address, schema, report);
    report.checked.push(address);
}

/// Where findings in one block go.
struct Ctx<'a> {
    file: &'a TfFile,
    address: String,
    /// The block's type, for messages: `digitalocean_droplet`.
    what: String,
    findings: &'a mut Vec<Finding>,
}

impl Ctx<'_> {
    fn find(&mut self, line: usize, message: String) {
        self.findings.push(Finding {
            file: self.file.shown.clone(),
            line,
            address: self.address.clone(),
            message,
        });
    }
}

/// Checks a block's body against a schema block. `path` is the nested
/// blocks' names so far (`lifecycle_rule.`); `header` the block's line.
fn check_body(ctx: &mut Ctx, body: &Body, schema: &Value, path: &str, meta: Meta, header: usize) {
    let attrs = attributes(schema);
    let types = block_types(schema);
    let what = ctx.what.clone();

    for attr in body.attributes() {
        let name = attr.key.as_str();
        if meta.attributes.contains(&name) {
            continue;
        }
        let full = format!("{path}{name}");
        let line = ctx.file.line(attr.key.span());
        let Some(def) = attrs.get(name) else {
            if types.contains_key(name) {
                ctx.find(
                    line,
                    format!("`{full}` is a block of {what}: write `{name} {{ ... }}`, not `{name} = ...`"),
                );
            } else {
                let hint = suggestion(name, attrs.keys().chain(types.keys()));
                ctx.find(line, format!("`{full}` is not an argument of {what}{hint}"));
            }
            continue;
        };
        if flag(def, "deprecated") {
            ctx.find(line, format!("`{full}` is deprecated in {what}"));
        }
        if flag(def, "computed") && !flag(def, "optional") && !flag(def, "required") {
            ctx.find(
                line,
                format!(
                    "`{full}` is computed by the provider (read-only in {what}): it cannot be set"
                ),
            );
        }
        if flag(def, "required") && matches!(attr.value, Expression::Null(_)) {
            ctx.find(
                line,
                format!("`{full}` is required by {what}, and null leaves it unset"),
            );
        }
        if let Some(problem) = literal_problem(&attr.value, &def["type"]) {
            ctx.find(
                line,
                format!("`{full}` takes {}: {problem}", type_name(&def["type"])),
            );
        }
    }

    // Static blocks counted per type; a dynamic one makes any count possible.
    let mut counts: BTreeMap<String, (usize, bool)> = BTreeMap::new();
    for block in body.blocks() {
        let ident = block.ident.as_str();
        let line = ctx.file.line(block.ident.span());
        if meta.blocks.contains(&ident) {
            if ident == "lifecycle" {
                check_ignore_changes(ctx, block, schema);
            }
            continue;
        }
        let dynamic = ident == "dynamic";
        let (name, inner) = if dynamic {
            let Some(name) = block.labels.first().map(label) else {
                ctx.find(
                    line,
                    "a `dynamic` block needs the block type as its label".into(),
                );
                continue;
            };
            let Some(content) = block.body.get_blocks("content").next() else {
                ctx.find(line, format!("`dynamic \"{name}\"` has no `content` block"));
                continue;
            };
            (name, &content.body)
        } else {
            (ident, &block.body)
        };
        let full = format!("{path}{name}");
        let Some(def) = types.get(name) else {
            if attrs.contains_key(name) {
                ctx.find(
                    line,
                    format!("`{full}` is an argument of {what}: write `{name} = ...`, not a block"),
                );
            } else {
                let hint = suggestion(name, types.keys().chain(attrs.keys()));
                ctx.find(
                    line,
                    format!("`{full}` is not a block type of {what}{hint}"),
                );
            }
            continue;
        };
        if flag(&def["block"], "deprecated") || flag(def, "deprecated") {
            ctx.find(line, format!("the `{full}` block is deprecated in {what}"));
        }
        if !dynamic {
            let labels = if def["nesting_mode"] == "map" { 1 } else { 0 };
            if block.labels.len() != labels {
                ctx.find(
                    line,
                    format!(
                        "a `{full}` block takes {labels} label(s), this one has {}",
                        block.labels.len()
                    ),
                );
            }
        }
        let count = counts.entry(name.to_string()).or_default();
        if dynamic {
            count.1 = true;
        } else {
            count.0 += 1;
        }
        check_body(
            ctx,
            inner,
            &def["block"],
            &format!("{full}."),
            NO_META,
            line,
        );
    }

    // What must be there.
    for (name, def) in attrs {
        if flag(def, "required") && body.get_attribute(name).is_none() {
            ctx.find(
                header,
                format!("`{path}{name}` is required by {what} and not set"),
            );
        }
    }
    for (name, def) in types {
        let (count, dynamic) = counts.get(name).copied().unwrap_or_default();
        if dynamic {
            continue;
        }
        let min = def["min_items"].as_u64().unwrap_or(0) as usize;
        let max = match def["nesting_mode"].as_str() {
            Some("single" | "group") => 1,
            _ => def["max_items"].as_u64().unwrap_or(0) as usize,
        };
        if count < min {
            ctx.find(
                header,
                format!("{what} needs at least {min} `{path}{name}` block(s), has {count}"),
            );
        }
        if max > 0 && count > max {
            ctx.find(
                header,
                format!("{what} takes at most {max} `{path}{name}` block(s), has {count}"),
            );
        }
    }
}

/// `lifecycle { ignore_changes = [...] }` names the resource's own
/// arguments.
fn check_ignore_changes(ctx: &mut Ctx, lifecycle: &Block, schema: &Value) {
    let Some(attr) = lifecycle.body.get_attribute("ignore_changes") else {
        return;
    };
    let Expression::Array(items) = &attr.value else {
        return; // `all`
    };
    for item in items.iter() {
        let root = match item {
            Expression::Variable(v) => v,
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => v,
                _ => continue,
            },
            _ => continue,
        };
        let name = root.as_str();
        if !attributes(schema).contains_key(name) && !block_types(schema).contains_key(name) {
            let what = ctx.what.clone();
            let line = ctx.file.line(root.span());
            ctx.find(
                line,
                format!(
                    "lifecycle.ignore_changes names `{name}`, which is not an argument of {what}"
                ),
            );
        }
    }
}

/// References to a DigitalOcean resource's or data source's attributes
/// (`digitalocean_droplet.node[k].ipv4_address`, `self.ipv4_address`)
/// name attributes the schema has.
fn check_references(
    file: &TfFile,
    block: &Block,
    self_schema: Option<&Value>,
    address: &str,
    schema: &Schema,
    report: &mut Report,
) {
    struct References<'s> {
        schema: &'s Schema<'s>,
        self_schema: Option<&'s Value>,
        found: Vec<(Option<Range<usize>>, String)>,
    }
    impl References<'_> {
        fn check(&mut self, traversal: &Traversal) {
            let Expression::Variable(root) = &traversal.expr else {
                return;
            };
            let ops: Vec<&TraversalOperator> =
                traversal.operators.iter().map(|op| op.value()).collect();
            let get = |i: usize| match ops.get(i) {
                Some(TraversalOperator::GetAttr(ident)) => Some(ident.as_str()),
                _ => None,
            };
            let (block, what, rest) = match root.as_str() {
                "self" => match self.self_schema {
                    Some(block) => (block, "self".to_string(), 0),
                    None => return,
                },
                "data" => match get(0).and_then(|ty| Some((ty, self.schema.data_sources.get(ty)?)))
                {
                    Some((ty, entry)) => (&entry["block"], format!("data source {ty}"), 2),
                    None => return,
                },
                ty => match self.schema.resources.get(ty) {
                    Some(entry) => (&entry["block"], ty.to_string(), 1),
                    None => return,
                },
            };
            // Past the instance keys and splats, the first attribute.
            for op in traversal.operators.iter().skip(rest) {
                match op.value() {
                    TraversalOperator::GetAttr(ident) => {
                        let name = ident.as_str();
                        if !attributes(block).contains_key(name)
                            && !block_types(block).contains_key(name)
                        {
                            let hint = suggestion(name, attributes(block).keys());
                            self.found.push((
                                ident.span(),
                                format!("refers to `{name}`, which {what} does not have{hint}"),
                            ));
                        }
                        return;
                    }
                    _ => continue,
                }
            }
        }
    }
    impl Visit for References<'_> {
        fn visit_traversal(&mut self, node: &Traversal) {
            self.check(node);
            visit::visit_traversal(self, node);
        }
    }

    let mut refs = References {
        schema,
        self_schema,
        found: Vec::new(),
    };
    refs.visit_block(block);
    for (span, message) in refs.found {
        let address = if address.is_empty() {
            let labels: Vec<&str> = block.labels.iter().map(label).collect();
            format!("{} {}", block.ident.as_str(), labels.join("."))
                .trim()
                .to_string()
        } else {
            address.to_string()
        };
        report.findings.push(Finding {
            file: file.shown.clone(),
            line: file.line(span),
            address,
            message,
        });
    }
}

/// What is wrong with `expr` as a value of type `ty`, when it is a literal
/// (a string, number, bool, or a list or object of them). Expressions are
/// not checked: only a plan knows their values. Stricter than Terraform,
/// which converts `true` to "true" and "5" to 5: a literal of another type
/// is taken for a mistake.
fn literal_problem(expr: &Expression, ty: &Value) -> Option<String> {
    let kind = match ty {
        Value::String(s) => s.as_str(),
        Value::Array(parts) => parts.first()?.as_str()?,
        _ => return None,
    };
    if kind == "dynamic" {
        return None;
    }
    let element = || ty.get(1).unwrap_or(&Value::Null);
    let (given, shown) = match expr {
        Expression::Null(_) => return None,
        Expression::Bool(b) => ("bool", b.value().to_string()),
        Expression::Number(n) => ("number", n.value().to_string()),
        Expression::String(s) => ("string", format!("{:?}", s.value())),
        Expression::Parenthesis(p) => return literal_problem(p.inner(), ty),
        Expression::UnaryOp(op) => match (op.operator.value(), &op.expr) {
            (UnaryOperator::Neg, Expression::Number(n)) => ("number", format!("-{}", n.value())),
            (UnaryOperator::Not, Expression::Bool(b)) => ("bool", format!("!{}", b.value())),
            _ => return None,
        },
        Expression::Array(items) => match kind {
            "list" | "set" => {
                return items.iter().enumerate().find_map(|(i, item)| {
                    literal_problem(item, element()).map(|p| format!("item {i}: {p}"))
                });
            }
            "tuple" => {
                let types = element().as_array()?;
                if types.len() != items.len() {
                    return Some(format!(
                        "the list literal has {} items, the tuple {}",
                        items.len(),
                        types.len()
                    ));
                }
                return items
                    .iter()
                    .zip(types)
                    .enumerate()
                    .find_map(|(i, (item, ty))| {
                        literal_problem(item, ty).map(|p| format!("item {i}: {p}"))
                    });
            }
            _ => ("list", "a list literal".to_string()),
        },
        Expression::Object(object) => match kind {
            "map" | "object" => {
                return object.iter().find_map(|(key, value)| {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                        ObjectKey::Expression(_) => return None,
                    };
                    let ty = if kind == "map" {
                        element()
                    } else {
                        element().get(&key)?
                    };
                    literal_problem(value.expr(), ty).map(|p| format!("key `{key}`: {p}"))
                });
            }
            _ => ("object", "an object literal".to_string()),
        },
        _ => return None,
    };
    (given != kind).then(|| format!("the literal {shown} is a {given}"))
}

/// A schema type as people write it: `set(string)`.
fn type_name(ty: &Value) -> String {
    match ty {
        Value::String(s) => s.clone(),
        Value::Array(parts) => match (parts.first().and_then(Value::as_str), parts.get(1)) {
            (Some(kind @ ("list" | "set" | "map")), Some(inner)) => {
                format!("{kind}({})", type_name(inner))
            }
            (Some("object"), Some(Value::Object(fields))) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", type_name(v)))
                    .collect();
                format!("object({{{}}})", fields.join(", "))
            }
            (Some("tuple"), Some(Value::Array(items))) => {
                let items: Vec<String> = items.iter().map(type_name).collect();
                format!("tuple([{}])", items.join(", "))
            }
            _ => ty.to_string(),
        },
        _ => ty.to_string(),
    }
}

/// ` (did you mean `image`?)`: the shortest name that starts with `name_`,
/// else the nearest within two edits.
fn suggestion<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> String {
    let candidates: Vec<&String> = candidates.collect();
    let longer = candidates
        .iter()
        .filter(|c| c.starts_with(&format!("{name}_")))
        .min_by_key(|c| (c.len(), c.as_str()));
    let near = || {
        candidates
            .iter()
            .map(|c| (strsim::levenshtein(name, c), *c))
            .filter(|(d, _)| *d <= 2)
            .min()
            .map(|(_, c)| c)
    };
    longer
        .copied()
        .or_else(near)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

// The fixture.

fn fixture_path() -> PathBuf {
    root().join(FIXTURE)
}

fn fixture() -> Value {
    let path = fixture_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (see this test's header)", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A schema block's facts: the full schema's without `description` and
/// `description_kind`, at every level. (Only where they are schema
/// fields: an attribute may be called `description`.)
fn block_facts(block: &Value) -> Value {
    let Some(fields) = block.as_object() else {
        return block.clone();
    };
    let mut out = Map::new();
    for (key, value) in fields {
        let value = match key.as_str() {
            "description" | "description_kind" => continue,
            "attributes" => Value::Object(
                attributes(block)
                    .iter()
                    .map(|(name, def)| (name.clone(), without_descriptions(def)))
                    .collect(),
            ),
            "block_types" => Value::Object(
                block_types(block)
                    .iter()
                    .map(|(name, def)| {
                        let mut def = without_descriptions(def);
                        def["block"] = block_facts(&def["block"]);
                        (name.clone(), def)
                    })
                    .collect(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

fn without_descriptions(def: &Value) -> Value {
    let mut def = def.clone();
    if let Some(fields) = def.as_object_mut() {
        fields.remove("description");
        fields.remove("description_kind");
    }
    def
}

/// A resource's, data source's or the provider's entry, as the fixture
/// holds it: `version` and `block`, without descriptions.
fn entry_facts(entry: &Value) -> Value {
    let mut facts = without_descriptions(entry);
    if entry.get("block").is_some() {
        facts["block"] = block_facts(&entry["block"]);
    }
    facts
}

/// The paths at which two JSON values differ, for a readable failure.
fn differences(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let here = format!("{path}.{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => differences(&here, x, y, out),
                    (Some(x), None) => out.push(format!("{here}: fixture {x}, schema has none")),
                    (None, Some(y)) => out.push(format!("{here}: fixture has none, schema {y}")),
                    (None, None) => {}
                }
            }
        }
        _ if a != b => out.push(format!("{path}: fixture {a}, schema {b}")),
        _ => {}
    }
}

fn full_schema_path() -> PathBuf {
    root().join(FULL_SCHEMA)
}

/// The DigitalOcean provider's entry in the full schema.
fn full_schema_entry(full: &Value) -> &Value {
    assert_eq!(full["format_version"], "1.0", "{FULL_SCHEMA}: format");
    let entry = &full["provider_schemas"][DIGITALOCEAN];
    assert!(entry.is_object(), "{FULL_SCHEMA} has no {DIGITALOCEAN}");
    entry
}

/// Writes the fixture from the full schema: the provider block's schema
/// and the types the module uses.
fn write_fixture(entry: &Value) {
    let report = check_tree(&root().join("terraform"), "terraform", &Schema::of(entry));
    let pick = |section: &str, names: &BTreeSet<String>| -> Value {
        Value::Object(
            names
                .iter()
                .map(|name| {
                    let found = &entry[section][name];
                    assert!(
                        found.is_object(),
                        "{name} is not in the full schema's {section}"
                    );
                    (name.clone(), entry_facts(found))
                })
                .collect(),
        )
    };
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let fixture = json!({
        "_source": {
            "file": FULL_SCHEMA,
            "provider": DIGITALOCEAN,
            "version": VERSION,
            "schema_made": FULL_SCHEMA_MADE,
            "extracted": today,
            "how": format!(
                "`{UPDATE}=1 cargo test -p xtask --test terraform_schema the_fixture_matches_the_full_schema`: \
                 the provider block's schema and each resource and data source type that terraform/ uses, \
                 copied from the full schema without `description` and `description_kind`"
            ),
            "checked_by": "xtask/tests/terraform_schema.rs: terraform/ against this file on every run; this file against the full schema whenever ../shared is there",
        },
        "provider": entry_facts(&entry["provider"]),
        "resource_schemas": pick("resource_schemas", &report.resources),
        "data_source_schemas": pick("data_source_schemas", &report.data_sources),
    });
    let text = serde_json::to_string_pretty(&fixture).unwrap() + "\n";
    std::fs::write(fixture_path(), text).unwrap();
    eprintln!(
        "wrote {FIXTURE}: the provider, resources {:?}, data sources {:?}",
        report.resources, report.data_sources
    );
}

// The tests.

#[test]
fn the_module_matches_the_provider_schema() {
    let fixture = fixture();
    let report = check_tree(
        &root().join("terraform"),
        "terraform",
        &Schema::of(&fixture),
    );
    for address in &report.checked {
        eprintln!("checked against DigitalOcean {VERSION}: {address}");
    }
    for skipped in &report.skipped {
        eprintln!("skipped: {skipped}");
    }
    let findings: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert!(
        findings.is_empty(),
        "terraform/ does not match the DigitalOcean provider {VERSION}'s schema ({FIXTURE}):\n{}",
        findings.join("\n")
    );
    assert!(
        !report.checked.is_empty(),
        "no DigitalOcean block in terraform/ was checked"
    );
}

/// The fixture holds exactly what the module uses, so that no check reads
/// a type the fixture lacks and the fixture carries nothing unused.
#[test]
fn the_fixture_holds_what_the_module_uses() {
    let fixture = fixture();
    assert_eq!(fixture["_source"]["version"], VERSION, "{FIXTURE}");
    assert_eq!(fixture["_source"]["provider"], DIGITALOCEAN, "{FIXTURE}");
    assert!(
        fixture["provider"]["block"].is_object(),
        "{FIXTURE}: provider"
    );
    let report = check_tree(
        &root().join("terraform"),
        "terraform",
        &Schema::of(&fixture),
    );
    let keys = |section: &str| -> BTreeSet<String> {
        fixture[section]
            .as_object()
            .unwrap_or_else(|| panic!("{FIXTURE}: no {section}"))
            .keys()
            .cloned()
            .collect()
    };
    let update = format!("make it again (`{UPDATE}=1`, see this test's header)");
    assert_eq!(
        keys("resource_schemas"),
        report.resources,
        "{FIXTURE}'s resources are not the ones terraform/ uses: {update}"
    );
    assert_eq!(
        keys("data_source_schemas"),
        report.data_sources,
        "{FIXTURE}'s data sources are not the ones terraform/ uses: {update}"
    );
}

/// Every fixture entry equals the full schema's (without descriptions),
/// when the full schema is there.
#[test]
fn the_fixture_matches_the_full_schema() {
    let path = full_schema_path();
    if !path.is_file() {
        eprintln!(
            "skipped: {} is not there (only this workplace's machines have ../shared; \
             a GitHub checkout has not), so the fixture is not compared with the full schema",
            path.display()
        );
        assert!(
            std::env::var_os(UPDATE).is_none(),
            "{UPDATE} needs the full schema"
        );
        return;
    }
    let full: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let entry = full_schema_entry(&full);
    if std::env::var_os(UPDATE).is_some() {
        write_fixture(entry);
        return;
    }

    let fixture = fixture();
    let mut wrong = Vec::new();
    differences(
        "provider",
        &fixture["provider"],
        &entry_facts(&entry["provider"]),
        &mut wrong,
    );
    let mut compared = 0;
    for section in ["resource_schemas", "data_source_schemas"] {
        for (name, facts) in fixture[section].as_object().unwrap() {
            let real = &entry[section][name];
            if !real.is_object() {
                wrong.push(format!("{section}.{name}: not in the full schema"));
                continue;
            }
            differences(
                &format!("{section}.{name}"),
                facts,
                &entry_facts(real),
                &mut wrong,
            );
            compared += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "{FIXTURE} differs from {}:\n{}\n(make it again: see this test's header)",
        path.display(),
        wrong.join("\n")
    );
    assert!(compared > 0, "{FIXTURE} holds no resource");
    eprintln!("{FIXTURE}: the provider and {compared} types equal the full schema's");
}

/// terraform/versions.tf admits exactly the version the fixture describes.
#[test]
fn versions_tf_pins_the_version_the_fixture_describes() {
    let path = root().join("terraform/versions.tf");
    let body = hcl::edit::parser::parse_body(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let version = body
        .get_blocks("terraform")
        .flat_map(|t| t.body.get_blocks("required_providers"))
        .find_map(|r| r.body.get_attribute("digitalocean"))
        .and_then(|attr| match &attr.value {
            Expression::Object(object) => {
                object
                    .iter()
                    .find_map(|(key, value)| match (key, value.expr()) {
                        (ObjectKey::Ident(k), Expression::String(v)) if k.as_str() == "version" => {
                            Some(v.value().clone())
                        }
                        _ => None,
                    })
            }
            _ => None,
        })
        .expect("versions.tf: required_providers.digitalocean.version");
    let exact = version.trim().trim_start_matches('=').trim();
    assert!(
        exact == VERSION && !exact.contains([',', '~', '>', '<', '!']),
        "versions.tf pins digitalocean to `{version}`, but the schema fixture (and the plans in \
         ../shared/providers) describe {VERSION} only: pin `version = \"{VERSION}\"`, or check \
         the module against the other version's schema first"
    );
    assert_eq!(fixture()["_source"]["version"], VERSION);
}

/// The first `resource "<ty>" "<name>"` under `dir` with attribute
/// `attr`: its file, its name, the attribute's span (whole and key) and
/// the block's line.
struct Located {
    path: PathBuf,
    name: String,
    attr: Range<usize>,
    key: Range<usize>,
    block_line: usize,
    key_line: usize,
}

fn locate(dir: &Path, ty: &str, attr: &str) -> Located {
    for path in files_ending(dir, "tf") {
        let text = std::fs::read_to_string(&path).unwrap();
        let body = hcl::edit::parser::parse_body(&text).unwrap();
        let line = |at: usize| text[..at].matches('\n').count() + 1;
        for block in body.get_blocks("resource") {
            let labels: Vec<&str> = block.labels.iter().map(label).collect();
            if labels.first() != Some(&ty) {
                continue;
            }
            if let Some(found) = block.body.get_attribute(attr) {
                let key = found.key.span().unwrap();
                return Located {
                    name: labels[1].to_string(),
                    attr: found.span().unwrap(),
                    block_line: line(block.ident.span().unwrap().start),
                    key_line: line(key.start),
                    key,
                    path,
                };
            }
        }
    }
    panic!("no resource {ty} with `{attr}` under {}", dir.display());
}

/// The proof that the check fails: a copy of the module with the
/// droplet's `image` misspelled and the SSH key's `public_key` removed.
#[test]
fn a_misspelled_and_a_missing_attribute_are_caught() {
    let fixture = fixture();
    let schema = Schema::of(&fixture);
    let scratch = Scratch::new("terraform-schema");
    let copy = scratch.0.join("terraform");
    copy_tree(&root().join("terraform"), &copy);
    let before = check_tree(&copy, "terraform", &schema).findings;
    let shown = |path: &Path| format!("terraform/{}", path.strip_prefix(&copy).unwrap().display());

    // `image` → `imagee` in the droplet.
    let image = locate(&copy, "digitalocean_droplet", "image");
    let mut text = std::fs::read_to_string(&image.path).unwrap();
    text.replace_range(image.key.clone(), "imagee");
    std::fs::write(&image.path, text).unwrap();

    // The SSH key's `public_key` line, gone.
    let key = locate(&copy, "digitalocean_ssh_key", "public_key");
    let mut text = std::fs::read_to_string(&key.path).unwrap();
    let start = text[..key.attr.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[key.attr.end..]
        .find('\n')
        .map_or(text.len(), |i| key.attr.end + i + 1);
    text.replace_range(start..end, "");
    std::fs::write(&key.path, text).unwrap();

    let after = check_tree(&copy, "terraform", &schema).findings;
    let new: Vec<&Finding> = after.iter().filter(|f| !before.contains(f)).collect();
    let droplet = format!("digitalocean_droplet.{}", image.name);
    let ssh_key = format!("digitalocean_ssh_key.{}", key.name);
    let expected = [
        (
            shown(&image.path),
            image.key_line,
            droplet.clone(),
            "`imagee` is not an argument of digitalocean_droplet (did you mean `image`?)",
        ),
        (
            shown(&image.path),
            image.block_line,
            droplet,
            "`image` is required by digitalocean_droplet and not set",
        ),
        (
            shown(&key.path),
            key.block_line,
            ssh_key,
            "`public_key` is required by digitalocean_ssh_key and not set",
        ),
    ];
    let listed: Vec<String> = new.iter().map(ToString::to_string).collect();
    for (file, line, address, message) in &expected {
        assert!(
            new.iter().any(|f| f.file == *file
                && f.line == *line
                && f.address == *address
                && f.message == *message),
            "not reported: {file}:{line}: {address}: {message}\nreported:\n{}",
            listed.join("\n")
        );
    }
    assert_eq!(new.len(), expected.len(), "{}", listed.join("\n"));
}

// The checks one by one, on small modules.

const HEADER: &str = r#"
terraform {
  required_providers {
    digitalocean = { source = "digitalocean/digitalocean" }
    random       = { source = "hashicorp/random" }
    aws          = { source = "hashicorp/aws" }
  }
}
"#;

/// The findings for one file `t/main.tf` holding HEADER and `text`, as
/// `line: address: message`, lines counted in `text`.
fn findings_in(text: &str) -> Vec<String> {
    let offset = HEADER.lines().count();
    let fixture = fixture();
    let report = check_files(
        &[("t/main.tf".into(), format!("{HEADER}{text}"))],
        &Schema::of(&fixture),
    );
    report
        .findings
        .iter()
        .map(|f| format!("{}: {}: {}", f.line - offset, f.address, f.message))
        .collect()
}

#[test]
fn a_correct_module_has_no_findings() {
    let text = r#"
provider "digitalocean" {
  token             = var.token
  http_retry_max    = 4
  spaces_access_id  = "id"
}

resource "digitalocean_spaces_bucket" "b" {
  name   = "bucket"
  region = var.region
  acl    = var.private ? "private" : "public-read"

  versioning {
    enabled = true
  }

  lifecycle_rule {
    enabled = var.on
    expiration {
      days = 7
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.rules
    content {
      enabled = lifecycle_rule.value
    }
  }
}

resource "digitalocean_droplet" "d" {
  count    = 2
  name     = "d-${count.index}"
  region   = "ams3"
  size     = "s-1vcpu-1gb"
  image    = "12345"
  ssh_keys = [digitalocean_ssh_key.k.fingerprint, "aa:bb"]
  tags     = ["e3", var.tag]
  backups  = false
  resize_disk = !false

  depends_on = [digitalocean_ssh_key.k]

  lifecycle {
    ignore_changes = [tags, ssh_keys]
  }

  connection {
    host = self.ipv4_address
  }
}

resource "digitalocean_ssh_key" "k" {
  name       = "k"
  public_key = file("k.pub")
}

resource "random_id" "r" {
  byte_length = 4
}

resource "terraform_data" "t" {
  input = digitalocean_droplet.d[0].ipv4_address
}

output "ips" {
  value = digitalocean_droplet.d[*].ipv4_address
}
"#;
    assert_eq!(findings_in(text), Vec::<String>::new());
}

#[test]
fn other_providers_are_skipped_with_the_reason() {
    let fixture = fixture();
    let report = check_files(
        &[(
            "t/main.tf".into(),
            format!(
                "{HEADER}{}",
                r#"
resource "random_id" "r" {
  nonsense = 1
}
resource "terraform_data" "t" {}
"#
            ),
        )],
        &Schema::of(&fixture),
    );
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
    assert!(
        report.skipped[0].starts_with("random_id.r (registry.terraform.io/hashicorp/random): ")
            && report.skipped[0].contains("cannot be built"),
        "{:?}",
        report.skipped
    );
    assert!(
        report.skipped[1].starts_with("terraform_data.t (terraform.io/builtin/terraform): "),
        "{:?}",
        report.skipped
    );
}

#[test]
fn unknown_deprecated_and_computed_arguments_are_found() {
    let text = r#"
resource "digitalocean_droplet" "d" {
  name               = "d"
  size               = "s"
  image              = "i"
  regoin             = "ams3"
  private_networking = true
  ipv4_address       = "10.0.0.1"
  backups {
  }
}
"#;
    assert_eq!(
        findings_in(text),
        [
            "6: digitalocean_droplet.d: `regoin` is not an argument of digitalocean_droplet (did you mean `region`?)",
            "7: digitalocean_droplet.d: `private_networking` is deprecated in digitalocean_droplet",
            "8: digitalocean_droplet.d: `ipv4_address` is computed by the provider (read-only in digitalocean_droplet): it cannot be set",
            "9: digitalocean_droplet.d: `backups` is an argument of digitalocean_droplet: write `backups = ...`, not a block",
        ]
    );
}

#[test]
fn blocks_are_checked_like_attributes() {
    let text = r#"
resource "digitalocean_spaces_bucket" "b" {
  name       = "b"
  versioning = { enabled = true }

  cors_rule {
    allowed_methods = ["GET"]
    allowed_origins = ["*"]
  }

  versioning {
    enabled = true
  }
  versioning {
    enabled = false
  }

  lifecycle_rule {
    prefix = "x/"
    expiration "x" {
      days = "7"
    }
    noncurrent_version {
    }
  }
}
"#;
    assert_eq!(
        findings_in(text),
        [
            "2: digitalocean_spaces_bucket.b: digitalocean_spaces_bucket takes at most 1 `versioning` block(s), has 2",
            "4: digitalocean_spaces_bucket.b: `versioning` is a block of digitalocean_spaces_bucket: write `versioning { ... }`, not `versioning = ...`",
            "6: digitalocean_spaces_bucket.b: the `cors_rule` block is deprecated in digitalocean_spaces_bucket",
            "18: digitalocean_spaces_bucket.b: `lifecycle_rule.enabled` is required by digitalocean_spaces_bucket and not set",
            "20: digitalocean_spaces_bucket.b: a `lifecycle_rule.expiration` block takes 0 label(s), this one has 1",
            "21: digitalocean_spaces_bucket.b: `lifecycle_rule.expiration.days` takes number: the literal \"7\" is a string",
            "23: digitalocean_spaces_bucket.b: `lifecycle_rule.noncurrent_version` is not a block type of digitalocean_spaces_bucket (did you mean `noncurrent_version_expiration`?)",
        ]
    );
}

#[test]
fn literals_have_the_schema_type() {
    let text = r#"
resource "digitalocean_droplet" "d" {
  name       = null
  size       = true
  image      = "i"
  ssh_keys   = "aa:bb"
  tags       = ["e3", 7]
  monitoring = "true"
  backups    = -1
  user_data  = var.on ? 1 : "x"
  ipv6       = "${var.on}"
}
"#;
    assert_eq!(
        findings_in(text),
        [
            "3: digitalocean_droplet.d: `name` is required by digitalocean_droplet, and null leaves it unset",
            "4: digitalocean_droplet.d: `size` takes string: the literal true is a bool",
            "6: digitalocean_droplet.d: `ssh_keys` takes set(string): the literal \"aa:bb\" is a string",
            "7: digitalocean_droplet.d: `tags` takes set(string): item 1: the literal 7 is a number",
            "8: digitalocean_droplet.d: `monitoring` takes bool: the literal \"true\" is a string",
            "9: digitalocean_droplet.d: `backups` takes bool: the literal -1 is a number",
        ]
    );
}

#[test]
fn references_and_ignore_changes_name_real_attributes() {
    let text = r#"
resource "digitalocean_droplet" "d" {
  for_each = var.nodes
  name     = each.key
  size     = "s"
  image    = one(digitalocean_custom_image.i[*].image_id)
  ssh_keys = [for k in digitalocean_ssh_key.k : k.fingerprint]
  tags     = [digitalocean_ssh_key.k["a"].fingerprnt]

  lifecycle {
    ignore_changes = [imagee, tags]
  }

  connection {
    host = self.ipv4
  }
}

output "ip" {
  value = "${digitalocean_droplet.d["a"].ipv4_address}:${digitalocean_droplet.d["a"].ipv6_adress}"
}
"#;
    assert_eq!(
        findings_in(text),
        [
            "8: digitalocean_droplet.d: refers to `fingerprnt`, which digitalocean_ssh_key does not have (did you mean `fingerprint`?)",
            "11: digitalocean_droplet.d: lifecycle.ignore_changes names `imagee`, which is not an argument of digitalocean_droplet",
            "15: digitalocean_droplet.d: refers to `ipv4`, which self does not have (did you mean `ipv4_address`?)",
            "20: output ip: refers to `ipv6_adress`, which digitalocean_droplet does not have (did you mean `ipv6_address`?)",
        ]
    );
}

#[test]
fn providers_and_resource_types_are_checked() {
    let text = r#"
provider "digitalocean" {
  tokn = var.token
}

resource "digitalocean_dropplet" "d" {
  name = "d"
}

resource "aws_instance" "a" {
}
"#;
    assert_eq!(
        findings_in(text),
        [
            "3: provider \"digitalocean\": `tokn` is not an argument of the digitalocean provider (did you mean `token`?)",
            "6: digitalocean_dropplet.d: `digitalocean_dropplet` is not a resource type of the DigitalOcean provider 2.99.1 in xtask/tests/fixtures/digitalocean-2.99.1-schema.json (misspelled, or the fixture needs it: see this test's header)",
            "10: aws_instance.a: no schema of registry.terraform.io/hashicorp/aws here, and it is not among the providers known to be left unchecked",
        ]
    );

    // A module that does not say where `digitalocean` comes from gets
    // hashicorp/digitalocean from Terraform.
    let fixture = fixture();
    let report = check_files(
        &[(
            "t/modules/m/main.tf".into(),
            "resource \"digitalocean_ssh_key\" \"k\" {\n  name = \"k\"\n  public_key = \"x\"\n}\n"
                .into(),
        )],
        &Schema::of(&fixture),
    );
    let findings: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert_eq!(
        findings,
        [
            "t/modules/m/main.tf:1: digitalocean_ssh_key.k: provider `digitalocean` is not in this module's required_providers, so Terraform takes registry.terraform.io/hashicorp/digitalocean, which is not checked here (DigitalOcean's is `digitalocean = { source = \"digitalocean/digitalocean\" }`)"
        ]
    );
}
