//! The documentation cannot drift from the code: docs/rules.md is rendered from the rule table
//! (crates/compare/src/rules.rs) and from examples that the built binary checks right here; the
//! CLI reference names every flag of every `--help`; every relative link of the docs resolves
//! inside the repository. `UPDATE_DOCS=1 cargo test --test docs` rewrites docs/rules.md.

use assert_cmd::Command;
use nexus::rules::{CATALOGUE, Family, RuleInfo};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const RULES_DOC: &str = "docs/rules.md";
const EXAMPLES: &str = "testdata/docs/rule-examples.yaml";
const REFRESH: &str = "run `UPDATE_DOCS=1 cargo test --test docs` to refresh";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn nexus(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("nexus").expect("binary");
    cmd.env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .current_dir(dir);
    cmd
}

fn read(rel: &str) -> String {
    fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The rule reference

fn base_schema() -> Value {
    json!({"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {}}
    }}})
}

fn base_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": base_schema()}]
        }
    })
}

/// Maps merge key by key; anything else (lists included) replaces.
fn merge(base: &mut Value, fragment: &Value) {
    match (base, fragment) {
        (Value::Object(b), Value::Object(f)) => {
            for (k, v) in f {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, f) => *b = f.clone(),
    }
}

/// How an example is written, and the two CRD documents (None: no CRD) it stands for.
enum Example {
    Field(Option<Value>, Option<Value>),
    Crd(Option<Value>, Option<Value>),
    Nexus(Value, Value),
}

impl Example {
    fn parse(id: &str, entry: &Value) -> Example {
        let side = |kind: &Value, key: &str| kind.get(key).filter(|v| !v.is_null()).cloned();
        if let Some(f) = entry.get("field") {
            Example::Field(side(f, "old"), side(f, "new"))
        } else if let Some(c) = entry.get("crd") {
            Example::Crd(side(c, "old"), side(c, "new"))
        } else if let Some(n) = entry.get("nexus") {
            let annotation = |key| {
                let mut a = json!({"name": "example.Widget"});
                merge(&mut a, &side(n, key).unwrap_or_else(|| json!({})));
                a
            };
            Example::Nexus(annotation("old"), annotation("new"))
        } else {
            panic!("{EXAMPLES}: {id} has none of field, crd, nexus");
        }
    }

    fn documents(&self) -> (Option<Value>, Option<Value>) {
        match self {
            Example::Field(old, new) => (Some(with_field(old)), Some(with_field(new))),
            Example::Crd(old, new) => (
                old.as_ref().map(with_fragment),
                new.as_ref().map(with_fragment),
            ),
            Example::Nexus(old, new) => (Some(with_annotation(old)), Some(with_annotation(new))),
        }
    }

    /// The before/after snippets shown in the reference.
    fn snippets(&self) -> (String, String) {
        let yaml = |v: &Option<Value>, absent: &str| match v {
            Some(v) => to_yaml(v),
            None => format!("# {absent}\n"),
        };
        match self {
            Example::Field(old, new) => {
                let show = |v: &Option<Value>| {
                    let field = v.as_ref().map(|s| json!({"field": s}));
                    yaml(&field, "no property `field`")
                };
                (show(old), show(new))
            }
            Example::Crd(old, new) => (yaml(old, "no CRD"), yaml(new, "no CRD")),
            Example::Nexus(old, new) => {
                let show = |a: &Value| format!("nexus: '{a}'\n");
                (show(old), show(new))
            }
        }
    }

    fn shape(&self) -> &'static str {
        match self {
            Example::Field(..) => {
                "the property `spec.field` of version `v1` (`properties.spec.properties`)"
            }
            Example::Crd(..) => "merged into the base CRD",
            Example::Nexus(..) => "the annotation `metadata.annotations.nexus`",
        }
    }
}

fn with_field(schema: &Option<Value>) -> Value {
    let mut crd = base_crd();
    if let Some(schema) = schema {
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            ["field"] = schema.clone();
    }
    crd
}

fn with_fragment(fragment: &Value) -> Value {
    let mut crd = base_crd();
    merge(&mut crd, fragment);
    if let Some(versions) = crd["spec"]["versions"].as_array_mut() {
        for v in versions {
            if v.get("schema").is_none() {
                v["schema"] = base_schema();
            }
        }
    }
    crd
}

fn with_annotation(annotation: &Value) -> Value {
    let mut crd = base_crd();
    crd["metadata"]["annotations"] = json!({"nexus": annotation.to_string()});
    crd
}

fn to_yaml(v: &Value) -> String {
    serde_saphyr::to_string(v).expect("yaml")
}

fn examples() -> Map<String, Value> {
    let text = read(EXAMPLES);
    match serde_saphyr::from_str::<Value>(&text).expect(EXAMPLES) {
        Value::Object(m) => m,
        _ => panic!("{EXAMPLES} is not a map"),
    }
}

/// Runs `diff old.yaml new.yaml` on an example: the text report and the rule ids of the JSON one.
fn run_example(example: &Example) -> (String, BTreeSet<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (old, new) = example.documents();
    for (name, doc) in [("old.yaml", old), ("new.yaml", new)] {
        let text = doc.map(|d| to_yaml(&d)).unwrap_or_default();
        fs::write(dir.path().join(name), text).expect("write");
    }
    let run = |format: &str| {
        let out = nexus(dir.path())
            .args([
                "datamodel",
                "diff",
                "old.yaml",
                "new.yaml",
                "-v",
                "--format",
                format,
            ])
            .output()
            .expect("run");
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "diff failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let report: Value = serde_json::from_str(&run("json")).expect("json report");
    let rules = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["rule"].as_str().expect("rule").to_string())
        .collect();
    (run("text"), rules)
}

fn family_title(family: Family) -> &'static str {
    match family {
        Family::Crd => "Whole CRD",
        Family::Property => "Properties",
        Family::Nexus => "Nexus annotation",
    }
}

const INTRO: &str = "\
Every difference between an old and a new CRD is reported as a change with one rule id. The ids are
public interface: the JSON report, the config file's severity overrides and its ignore list use them.
The severity is the default; `.nexus-compat.yaml` can change it per rule (see the
[CLI reference](cli.md#the-config-file)).

- **breaking**: an object or client that worked against the old CRD can fail, be rejected, lose data
  or change meaning against the new one. Fails `build`, `diff` and `install` unless `--force`.
- **warning**: usually safe, but some readers or writers may notice. Reported; fails only with
  `--fail-on warning`.
- **compatible**: reported (JSON lists it, text shows it with `--verbose`), never fails.

Judged as a writer of stored objects feels it: a rule that rejects or rewrites an object the old
schema accepted is breaking; loosening is compatible or a warning. A change that no rule claims is
never dropped: it is `unhandled-change`. A keyword set to its default (`nullable: false`,
`uniqueItems: false`, `x-kubernetes-list-type: atomic`, `x-kubernetes-map-type: granular`,
`x-kubernetes-preserve-unknown-fields: false`, `deprecated: false`, an empty list) is the same as the
keyword absent, and so are the defaults the API server fills in (`spec.preserveUnknownFields: false`,
`spec.conversion.strategy: None`). Only the CRD's `spec` is compared (and, for
`crd-stored-version-removed`, the old `status.storedVersions`); labels, other annotations and the
rest of `status` are not. One edit gives one finding: a removed field is `field-removed` once, not
also a type or enum change on the same path. List entries are named by their key in paths
(`versions/name=v1`), never by index.

`nexus datamodel rules` prints the same table.

## The examples

Each example below was produced by running `nexus datamodel diff old.yaml new.yaml -v` on two copies
of this CRD, each changed as the example shows (the test `tests/docs.rs` runs them again on every
`cargo test`, so they cannot drift):
";

fn render_rules_doc() -> String {
    let mut examples = examples();
    let mut out = String::new();
    out.push_str(
        "<!-- GENERATED by tests/docs.rs from crates/compare/src/rules.rs and testdata/docs/rule-examples.yaml. \
         Do not edit: run `UPDATE_DOCS=1 cargo test --test docs`. -->\n\n# Rule reference\n\n",
    );
    out.push_str(INTRO);
    out.push_str(&format!("\n```yaml\n{}```\n", to_yaml(&base_crd())));

    let families = [Family::Crd, Family::Property, Family::Nexus];
    out.push_str("\n## Index\n\n| id | default severity | family | what |\n|---|---|---|---|\n");
    for rule in CATALOGUE {
        let id = rule.id.as_str();
        out.push_str(&format!(
            "| [`{id}`](#{id}) | {} | {} | {} |\n",
            rule.default_severity.as_str(),
            family_title(rule.family),
            rule.summary.replace('|', "\\|")
        ));
    }
    let mut failures = Vec::new();
    for family in families {
        out.push_str(&format!("\n## {}\n", family_title(family)));
        for rule in CATALOGUE.iter().filter(|r| r.family == family) {
            let entry = examples
                .remove(rule.id.as_str())
                .unwrap_or_else(|| panic!("{EXAMPLES} has no example for {}", rule.id.as_str()));
            match render_rule(rule, &entry) {
                Ok(text) => out.push_str(&text),
                Err(why) => failures.push(why),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        examples.is_empty(),
        "{EXAMPLES} has examples for ids that are not rules: {:?}",
        examples.keys().collect::<Vec<_>>()
    );
    out
}

fn render_rule(rule: &RuleInfo, entry: &Value) -> Result<String, String> {
    let id = rule.id.as_str();
    let example = Example::parse(id, entry);
    let (report, fired) = run_example(&example);
    if !fired.contains(id) {
        return Err(format!(
            "the example of {id} in {EXAMPLES} does not produce {id} but {fired:?}:\n{report}"
        ));
    }
    let (old, new) = example.snippets();
    Ok(format!(
        "\n### `{id}`\n\n**{}** · {} — {}.\n\nBefore ({}):\n\n```yaml\n{old}```\n\nAfter:\n\n\
         ```yaml\n{new}```\n\nReport:\n\n```text\n{report}```\n",
        rule.default_severity.as_str(),
        family_title(rule.family).to_lowercase(),
        rule.summary,
        example.shape(),
    ))
}

#[test]
fn rule_reference_is_generated_from_the_rule_table() {
    let rendered = render_rules_doc();
    let path = repo().join(RULES_DOC);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        fs::write(&path, &rendered).expect("write docs/rules.md");
        return;
    }
    let current = fs::read_to_string(&path).unwrap_or_default();
    if current != rendered {
        let first = current
            .lines()
            .zip(rendered.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(rendered.lines().count()));
        panic!(
            "{RULES_DOC} is out of date (first difference at line {}): {REFRESH}",
            first + 1
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The CLI reference

const COMMANDS: &[&[&str]] = &[
    &["version"],
    &["completion"],
    &["datamodel", "init"],
    &["datamodel", "diff"],
    &["datamodel", "build"],
    &["datamodel", "rules"],
    &["datamodel", "install"],
    &["datamodel", "migrate", "create"],
    &["datamodel", "migrate", "plan"],
    &["datamodel", "migrate", "apply"],
    &["datamodel", "migrate", "status"],
    &["datamodel", "migrate", "restore"],
    &["datamodel", "migrate", "down"],
];

/// The subcommands a `--help` lists, without `help`.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect()
}

fn help(args: &[&str]) -> String {
    let out = nexus(&repo())
        .args(args)
        .arg("--help")
        .output()
        .expect("run");
    assert!(out.status.success(), "{args:?} --help failed");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn cli_reference_covers_every_command_and_flag() {
    let parents = ["datamodel", "datamodel migrate"];
    let listed: BTreeSet<Vec<String>> = parents
        .iter()
        .flat_map(|parent| {
            let args: Vec<&str> = parent.split(' ').collect();
            let leaves = subcommands(&help(&args))
                .into_iter()
                .filter(move |c| !parents.contains(&format!("{parent} {c}").as_str()));
            leaves.map(move |c| {
                let mut path: Vec<String> = parent.split(' ').map(str::to_string).collect();
                path.push(c);
                path
            })
        })
        .collect();
    let known: BTreeSet<Vec<String>> = COMMANDS
        .iter()
        .map(|c| c.iter().map(|s| s.to_string()).collect())
        .collect();
    let mut missing = Vec::new();
    for command in &listed {
        if !known.contains(command) {
            missing.push(format!(
                "{}: add it to COMMANDS in tests/docs.rs",
                command.join(" ")
            ));
        }
    }
    let doc = read("docs/cli.md");
    let flag = regex::Regex::new(r"--[a-z][a-z0-9-]+").expect("regex");
    for command in COMMANDS {
        let name = command.join(" ");
        if !doc.contains(&format!("nexus {name}")) {
            missing.push(format!("docs/cli.md does not show `nexus {name}`"));
        }
        for m in flag.find_iter(&help(command)) {
            let f = m.as_str();
            if f != "--help" && !doc.contains(f) {
                missing.push(format!(
                    "docs/cli.md does not mention {f} of `nexus {name}`"
                ));
            }
        }
    }
    missing.dedup();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Links

fn doc_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md", "BENCHMARKS.md"]
        .iter()
        .map(|f| repo().join(f))
        .collect();
    for entry in fs::read_dir(repo().join("docs")).expect("docs/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.insert(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

/// Markdown link targets outside code blocks and code spans.
fn link_targets(text: &str) -> Vec<String> {
    let link = regex::Regex::new(r"\]\(([^)\s]+)\)").expect("regex");
    let span = regex::Regex::new(r"`[^`]*`").expect("regex");
    let mut in_code = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            let prose = span.replace_all(line, "");
            out.extend(link.captures_iter(&prose).map(|c| c[1].to_string()));
        }
    }
    out
}

#[test]
fn every_relative_link_resolves_inside_the_repository() {
    let root = repo().canonicalize().expect("repo");
    let mut broken = Vec::new();
    for file in doc_files() {
        let text = fs::read_to_string(&file).expect("read");
        let name = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        if text.contains("../shared") {
            broken.push(format!("{name} points outside the repository (../shared)"));
        }
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let resolved = if path.is_empty() {
                file.clone()
            } else {
                file.parent().expect("dir").join(path)
            };
            match resolved.canonicalize() {
                Ok(p) if !p.starts_with(&root) => {
                    broken.push(format!("{name}: {target} leaves the repository"))
                }
                Ok(p) => {
                    if !fragment.is_empty() && p.extension().is_some_and(|e| e == "md") {
                        let headings = anchors(&fs::read_to_string(&p).expect("read"));
                        if !headings.contains(fragment) {
                            broken.push(format!("{name}: {target}: no heading #{fragment}"));
                        }
                    }
                }
                Err(_) => broken.push(format!("{name}: {target} does not exist")),
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn readme_links_every_guide() {
    let readme = read("README.md");
    for guide in [
        "docs/datamodel.md",
        "docs/migrations.md",
        "docs/rules.md",
        "docs/cli.md",
        "docs/ci.md",
    ] {
        assert!(
            readme.contains(&format!("]({guide})")),
            "README.md does not link {guide}"
        );
    }
}

#[test]
fn anchors_follow_github() {
    assert_eq!(anchor(" The config file"), "the-config-file");
    assert_eq!(anchor("`crd-added`"), "crd-added");
    assert_eq!(
        anchor("Exit codes (every command)"),
        "exit-codes-every-command"
    );
}
