//! Differential test: nexus's `crd-invalid` against the API server's own CRD validation
//! (`$NEXUS_APISERVER_ORACLES/bin/crd-apiserver-validate`, built from apiextensions-apiserver).
//!
//! Inputs: every CRD of `$NEXUS_CORPUS` (created on its own, and each corpus pair as an update),
//! a fixed-seed sample of the large provider-aws set, and seeded mutants of a few real CRDs
//! (`NEXUS_DIFF_MUTANTS=N` runs N of them, default 2,000). Both sides must agree on accept/reject,
//! on create and on update. Disagreements that are deliberate or the oracle's limitation are in
//! [`KNOWN`] with a reason; anything else fails the test. `NEXUS_DIFF_REPORT=FILE` writes every
//! disagreement with both sides' reasons.
//!
//! The mutation operators cover the classes of issue 13: labels and annotations, unknown
//! keywords, Go regexps, root defaults, selectable fields, types and defaults, bounds, list and
//! map types, CEL rules (syntax errors, unknown fields and methods, type errors, `fieldPath`s,
//! `messageExpression`s, `optionalOldSelf`, transition rules below every list type, two-variable
//! comprehensions), rules whose
//! estimated cost sits on both sides of the per-rule and per-schema limits, defaults that fail
//! their own rules, and the IP and CIDR libraries (rules that compile or not, defaults of valid
//! and invalid addresses that fail them, their costs over bounded and unbounded lists; half of
//! these mutants also probe the lists, regex and semver libraries the same way), and
//! updates from old CRDs that break a rule the server ratchets (among them a version without a
//! schema, a schema that is not structural with `preserveUnknownFields: true`).
//! Measured on the 2,000 default mutants (3,960 verdicts, create and update): 0 disagreements
//! besides the 25 listed in [`KNOWN`], all the oracle's limitations (its case-insensitive keys;
//! its panics, which the default seed does not hit); with `NEXUS_DIFF_MUTANTS=4000`: 7,920
//! verdicts, 0 besides 52 in [`KNOWN`]; the corpus (1,008 verdicts): 0. About 130–290 s on a
//! shared 2-core machine (170 s with 4,000 mutants), most of it the oracle (one process per
//! mutant, 40–100 ms each): under 120 s of CPU, so about a minute on two free cores
//! (BENCHMARKS.md). `corrupted_ca_bundles_agree_with_the_api_server` compares webhook CA
//! bundles (`NEXUS_DIFF_CA_BUNDLES=N`, default 300) the same way, and
//! `two_variable_rules_agree_with_the_api_server` rules with cel-go's two-variable
//! comprehensions on the seed CRDs (`NEXUS_DIFF_TWO_VAR=N`, default 200 CRDs, create and update;
//! 1,000: 2,000 verdicts, 0 disagreements, about 35 s).
//!
//! Skipped, saying so, when `NEXUS_APISERVER_ORACLES` is unset; the corpus part is skipped when
//! `NEXUS_CORPUS` is unset (the mutants still run).

use nexus::compare::invalid::{check_invalid, check_invalid_update};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Disagreements accepted on purpose: (a substring of the case label, of the oracle's first
/// error or of nexus's first finding, why nexus differs).
const KNOWN: &[(&str, &str)] = &[
    (
        "keyword Type ",
        "the oracle decodes through sigs.k8s.io/yaml into encoding/json, which matches keys \
         case-insensitively (`Type` as `type`); the API server's decoder, sigs.k8s.io/json, is \
         case-sensitive, so kubectl's strict field validation refuses the key",
    ),
    (
        "keyword minlength ",
        "as above: `minlength` is `minLength` only to a case-insensitive decoder",
    ),
    (
        "panic: ",
        "the oracle's limitation: the API server's code panics (seen: x-kubernetes-int-or-string \
         on an array); the real server answers 500",
    ),
];

fn oracle_bin() -> Option<PathBuf> {
    let dir = std::env::var_os("NEXUS_APISERVER_ORACLES")?;
    Some(Path::new(&dir).join("bin/crd-apiserver-validate"))
}

/// What the oracle said about one (old, new) pair.
#[derive(Debug, Default, Clone)]
struct Verdict {
    old_create: Vec<String>,
    new_create: Vec<String>,
    update: Vec<String>,
    /// `decode:`/`convert:` output or a panic: the file cannot be read as a CRD at all.
    fatal: Option<String>,
}

fn run_oracle(bin: &Path, dir: &Path, old: &Value, new: &Value) -> Verdict {
    let old_file = dir.join("old.json");
    let new_file = dir.join("new.json");
    std::fs::write(&old_file, serde_json::to_vec(old).expect("json")).expect("write old");
    std::fs::write(&new_file, serde_json::to_vec(new).expect("json")).expect("write new");
    let out = Command::new(bin)
        .arg(&old_file)
        .arg(&new_file)
        .output()
        .expect("run crd-apiserver-validate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut v = Verdict::default();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        v.fatal = Some(format!("{} {}", stdout.trim(), first).trim().to_string());
        return v;
    }
    for line in stdout.lines() {
        if let Some(e) = line.strip_prefix("old-create: ") {
            v.old_create.push(e.to_string());
        } else if let Some(e) = line.strip_prefix("new-create: ") {
            v.new_create.push(e.to_string());
        } else if let Some(e) = line.strip_prefix("update: ") {
            v.update.push(e.to_string());
        }
    }
    v
}

/// One comparison: `old` is `None` for a create.
struct Case {
    label: String,
    old: Option<Value>,
    new: Value,
}

#[derive(Debug)]
struct Disagreement {
    label: String,
    operation: &'static str,
    /// The API server rejects and nexus accepts.
    missed: bool,
    oracle: Vec<String>,
    nexus: Vec<String>,
}

impl Disagreement {
    fn known(&self) -> Option<&'static str> {
        KNOWN.iter().find_map(|(needle, reason)| {
            (self.label.contains(needle)
                || self.oracle.first().is_some_and(|e| e.contains(needle))
                || self.nexus.first().is_some_and(|e| e.contains(needle)))
            .then_some(*reason)
        })
    }
}

fn name_of(crd: &Value) -> String {
    crd.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn messages(changes: &[nexus::report::Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| format!("{}: {}", c.path, c.message))
        .collect()
}

/// Runs both sides on every case; returns the disagreements and how many verdicts were compared.
fn compare_all(bin: &Path, cases: &[Case]) -> (Vec<Disagreement>, usize) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let results: Vec<(Vec<Disagreement>, usize)> = pool.install(|| {
        cases
            .par_iter()
            .map_init(
                || tempfile::tempdir().expect("tempdir"),
                |dir, case| compare_one(bin, dir.path(), case),
            )
            .collect()
    });
    let compared = results.iter().map(|(_, n)| n).sum();
    (results.into_iter().flat_map(|(d, _)| d).collect(), compared)
}

fn compare_one(bin: &Path, dir: &Path, case: &Case) -> (Vec<Disagreement>, usize) {
    let name = name_of(&case.new);
    let old = case.old.as_ref().unwrap_or(&case.new);
    let verdict = run_oracle(bin, dir, old, &case.new);
    let mut out = Vec::new();
    let mut compared = 0;
    let mut judge = |operation: &'static str, oracle: Vec<String>, nexus: Vec<String>| {
        compared += 1;
        if oracle.is_empty() != nexus.is_empty() {
            out.push(Disagreement {
                label: case.label.clone(),
                operation,
                missed: !oracle.is_empty(),
                oracle,
                nexus,
            });
        }
    };
    let create = messages(&check_invalid(&name, &case.new));
    if let Some(fatal) = verdict.fatal {
        // Which file failed is not said: ask about the new one alone.
        let alone = if case.old.is_some() {
            run_oracle(bin, dir, &case.new, &case.new)
        } else {
            Verdict {
                fatal: Some(fatal.clone()),
                ..Verdict::default()
            }
        };
        match alone.fatal {
            Some(f) => judge("create", vec![f], create),
            None => judge("create", alone.new_create, create),
        }
        // An old CRD that cannot be decoded was never live: there is no update to judge.
        return (out, compared);
    }
    judge("create", verdict.new_create, create);
    if let Some(old) = &case.old {
        let update = messages(&check_invalid_update(&name, old, &case.new));
        judge("update", verdict.update, update);
    }
    (out, compared)
}

// ---------------------------------------------------------------------------------------------
// Inputs

fn load_dir(dir: &Path) -> Vec<Value> {
    let set = nexus::source::load_path(dir, "corpus")
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    set.crds.into_values().map(|c| c.doc).collect()
}

/// Every corpus pair (old and new present) as an update; CRDs in no pair as creates.
fn corpus_cases(corpus: &Path) -> Vec<Case> {
    let pairs = std::fs::read_to_string(corpus.join("pairs.tsv")).expect("pairs.tsv");
    let mut cases = Vec::new();
    let mut covered = std::collections::HashSet::new();
    let mut all_dirs = std::collections::BTreeSet::new();
    for line in pairs.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 5 || cols[3].starts_with("large/") {
            continue;
        }
        let (old_dir, new_dir) = (cols[3], cols[4]);
        all_dirs.insert(old_dir.to_string());
        all_dirs.insert(new_dir.to_string());
        let old: std::collections::BTreeMap<String, Value> = load_dir(&corpus.join(old_dir))
            .into_iter()
            .map(|c| (name_of(&c), c))
            .collect();
        for new in load_dir(&corpus.join(new_dir)) {
            let name = name_of(&new);
            if let Some(old) = old.get(&name) {
                covered.insert((old_dir.to_string(), name.clone()));
                covered.insert((new_dir.to_string(), name.clone()));
                cases.push(Case {
                    label: format!("corpus {old_dir} -> {new_dir} {name}"),
                    old: Some(old.clone()),
                    new,
                });
            }
        }
    }
    for dir in all_dirs {
        for crd in load_dir(&corpus.join(&dir)) {
            let name = name_of(&crd);
            if !covered.contains(&(dir.clone(), name.clone())) {
                cases.push(Case {
                    label: format!("corpus {dir} {name}"),
                    old: None,
                    new: crd,
                });
            }
        }
    }
    cases
}

/// A small deterministic generator (xorshift64*), so the test needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// `count` files of each large archive, chosen with a fixed seed.
fn large_cases(corpus: &Path, count: usize, scratch: &Path) -> Vec<Case> {
    let mut rng = Rng(0x5eed_1a76e);
    let mut cases = Vec::new();
    let Ok(entries) = std::fs::read_dir(corpus.join("large")) else {
        return cases;
    };
    let mut archives: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".tar.xz"))
        .collect();
    archives.sort();
    for archive in archives {
        let list = Command::new("tar")
            .arg("-tJf")
            .arg(&archive)
            .output()
            .expect("tar -t");
        let mut names: Vec<String> = String::from_utf8_lossy(&list.stdout)
            .lines()
            .filter(|l| l.ends_with(".yaml"))
            .map(str::to_string)
            .collect();
        names.sort();
        let mut chosen = Vec::new();
        for _ in 0..count.min(names.len()) {
            let i = rng.below(names.len());
            chosen.push(names.swap_remove(i));
        }
        let status = Command::new("tar")
            .arg("-xJf")
            .arg(&archive)
            .arg("-C")
            .arg(scratch)
            .args(&chosen)
            .status()
            .expect("tar -x");
        assert!(status.success(), "unpacking {}", archive.display());
        for file in chosen {
            for crd in load_dir(&scratch.join(&file)) {
                cases.push(Case {
                    label: format!("large {file}"),
                    old: None,
                    new: crd,
                });
            }
        }
    }
    cases
}

fn seed_crds() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/validate");
    let mut seeds = load_dir(&dir);
    seeds.extend(load_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/apiserver/seeds"),
    ));
    seeds
}

/// Pointers of every schema node (object, array, scalar) below each version's root.
fn schema_nodes(crd: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    for i in 0..versions {
        let root = format!("/spec/versions/{i}/schema/openAPIV3Schema");
        let mut stack = vec![root];
        while let Some(p) = stack.pop() {
            let Some(node) = crd.pointer(&p) else {
                continue;
            };
            if let Some(props) = node.get("properties").and_then(Value::as_object) {
                for k in props.keys() {
                    stack.push(format!(
                        "{p}/properties/{}",
                        k.replace('~', "~0").replace('/', "~1")
                    ));
                }
            }
            if node.get("items").is_some_and(Value::is_object) {
                stack.push(format!("{p}/items"));
            }
            if node
                .get("additionalProperties")
                .is_some_and(Value::is_object)
            {
                stack.push(format!("{p}/additionalProperties"));
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

fn nodes_of_type(crd: &Value, t: &str) -> Vec<String> {
    schema_nodes(crd)
        .into_iter()
        .filter(|p| crd.pointer(p).and_then(|n| n.get("type")) == Some(&json!(t)))
        .collect()
}

fn obj_mut<'a>(
    crd: &'a mut Value,
    pointer: &str,
) -> Option<&'a mut serde_json::Map<String, Value>> {
    crd.pointer_mut(pointer).and_then(Value::as_object_mut)
}

fn push_rule(crd: &mut Value, pointer: &str, rule: Value) {
    if let Some(node) = obj_mut(crd, pointer) {
        let rules = node
            .entry("x-kubernetes-validations")
            .or_insert_with(|| json!([]));
        if let Some(list) = rules.as_array_mut() {
            list.push(rule);
        }
    }
}

const LABEL_KEYS: &[&str] = &[
    "app.kubernetes.io/name",
    "helm.sh/chart",
    "{{ .Values.label }}",
    "-bad",
    "a/b/c",
    "example.com/",
    "Example.COM/x",
    "/x",
    "x_y.z",
    "app.kubernetes.io/this-name-part-is-far-too-long-for-a-label-key-because-it-has-64-chars",
];
const LABEL_VALUES: &[&str] = &["ok", "", "{{ .Chart.Version }}", "a b", "v1.2.3", "-x"];
const PATTERNS: &[&str] = &[
    "^[a-z]+$",
    "\\u0041",
    "\\x{41}",
    "\\x{10FFFF}",
    "\\p{Greek}",
    "\\pN",
    "\\x41",
    "(?i)abc",
    "(?P<n>x)",
    "(?<n>x)",
    "(?=a)",
    "a\\1",
    "\\C",
    "[[:alpha:]]",
    "\\Qa.b\\E",
    "a{1001}",
    "\\z",
    "\\Z",
    "[a-",
    "\\d+\\.\\d+",
    "^\\w+@\\S+$",
    "(?s).",
    "\\b",
    "\\e",
    "\\cA",
    "\\0",
    "\\400",
    "\\07",
    "[\\d-z]",
    "\\pL+",
    "\\p{Latin}",
    "\\p{Han}",
    "\\PL",
    "[^\\x00-\\x7F]",
    "\\x{110000}",
    "x*?",
    "x**",
    "(?U)a+",
];
const UNKNOWN_KEYWORDS: &[&str] = &["foo", "x-kubernetes-foo", "minlength", "Type", "const"];
const TYPES_ALL: &[&str] = &["string", "integer", "number", "boolean", "object", "array"];

/// One random edit of the kinds the API server's CRD validation is sensitive to.
fn mutate(crd: &mut Value, rng: &mut Rng) -> String {
    let kind = rng.below(20);
    if schema_nodes(crd).is_empty() {
        // The only schema was removed (`ratchet_break`): only a metadata edit applies.
        let (k, v) = (*rng.pick(LABEL_KEYS), *rng.pick(LABEL_VALUES));
        crd["metadata"]["labels"] = json!({k: v});
        return format!("label {k:?}={v:?} (no schema)");
    }
    match kind {
        19 => {
            let ip = ip_mutation(crd, rng);
            // Half of them also probe the lists, regex and semver libraries, drawn from a
            // stream of their own so that the other mutants stay what they were.
            if rng.0 % 2 == 0 {
                let mut own = Rng(rng.0 ^ 0x0001_1b5e_ed00);
                format!("{ip}; {}", library_mutation(crd, &mut own))
            } else {
                ip
            }
        }
        16 => cost_mutation(crd, rng),
        17 => default_mutation(crd, rng),
        18 => transition_mutation(crd, rng),
        0 => {
            let (k, v) = (*rng.pick(LABEL_KEYS), *rng.pick(LABEL_VALUES));
            crd["metadata"]["labels"] = json!({k: v});
            format!("label {k:?}={v:?}")
        }
        1 => {
            let k = *rng.pick(LABEL_KEYS);
            crd["metadata"]["annotations"] = json!({k: "x"});
            format!("annotation {k:?}")
        }
        2 => {
            let nodes = schema_nodes(crd);
            let p = rng.pick(&nodes).clone();
            let k = *rng.pick(UNKNOWN_KEYWORDS);
            if let Some(n) = obj_mut(crd, &p) {
                n.insert(k.to_string(), json!(1));
            }
            format!("keyword {k} at {p}")
        }
        3 => {
            let nodes = nodes_of_type(crd, "string");
            let Some(p) = (!nodes.is_empty()).then(|| rng.pick(&nodes).clone()) else {
                return "no string node".into();
            };
            let pat = *rng.pick(PATTERNS);
            if let Some(n) = obj_mut(crd, &p) {
                n.insert("pattern".into(), json!(pat));
            }
            format!("pattern {pat:?} at {p}")
        }
        4 => {
            let d = rng
                .pick(&[
                    json!({}),
                    json!({"apiVersion": "x/v1", "kind": "K"}),
                    json!({"spec": {}}),
                    json!({"metadata": {"name": "x"}}),
                ])
                .clone();
            let root = "/spec/versions/0/schema/openAPIV3Schema";
            if let Some(n) = obj_mut(crd, root) {
                n.insert("default".into(), d.clone());
            }
            format!("root default {d}")
        }
        5..=8 => cel_mutation(crd, rng),
        9 => {
            // A string field selectable on one version only.
            let nodes: Vec<String> = nodes_of_type(crd, "string")
                .into_iter()
                .filter(|p| p.contains("/properties/spec/"))
                .collect();
            let Some(p) = (!nodes.is_empty()).then(|| rng.pick(&nodes).clone()) else {
                return "no spec string".into();
            };
            let Some(rest) = p.split("/schema/openAPIV3Schema").nth(1) else {
                return "no path".into();
            };
            if rest.contains("/items") || rest.contains("/additionalProperties") {
                return "string inside a list".into();
            }
            let json_path: String = rest
                .split("/properties/")
                .filter(|s| !s.is_empty())
                .map(|s| format!(".{}", s.replace("~1", "/").replace("~0", "~")))
                .collect();
            let version = p.split('/').nth(3).unwrap_or("0").to_string();
            crd["spec"]["versions"][version.parse::<usize>().unwrap_or(0)]["selectableFields"] =
                json!([{"jsonPath": json_path}]);
            format!("selectableFields {json_path} on version #{version}")
        }
        10 => {
            let nodes = schema_nodes(crd);
            let p = rng.pick(&nodes).clone();
            let t = *rng.pick(TYPES_ALL);
            let d = rng
                .pick(&[
                    json!(1),
                    json!("x"),
                    json!(true),
                    json!({}),
                    json!([]),
                    json!(null),
                ])
                .clone();
            if let Some(n) = obj_mut(crd, &p) {
                n.insert("type".into(), json!(t));
                n.insert("default".into(), d.clone());
            }
            format!("type {t} default {d} at {p}")
        }
        11 => {
            // Bounds that matter to the cost estimator.
            let nodes = schema_nodes(crd);
            let p = rng.pick(&nodes).clone();
            let (k, v) = *rng.pick(&[
                ("maxLength", 10),
                ("maxItems", 5),
                ("maxProperties", 3),
                ("minLength", 1),
                ("maxLength", -1),
            ]);
            if let Some(n) = obj_mut(crd, &p) {
                n.insert(k.into(), json!(v));
            }
            format!("{k} {v} at {p}")
        }
        12 => {
            let nodes = schema_nodes(crd);
            let p = rng.pick(&nodes).clone();
            let lt = *rng.pick(&["atomic", "set", "map", "granular", "bogus"]);
            if let Some(n) = obj_mut(crd, &p) {
                n.insert("x-kubernetes-list-type".into(), json!(lt));
            }
            format!("list-type {lt} at {p}")
        }
        13 => {
            let nodes = schema_nodes(crd);
            let p = rng.pick(&nodes).clone();
            let (k, v) = rng
                .pick(&[
                    ("nullable", json!(true)),
                    ("x-kubernetes-preserve-unknown-fields", json!(true)),
                    ("x-kubernetes-embedded-resource", json!(true)),
                    ("x-kubernetes-int-or-string", json!(true)),
                    ("x-kubernetes-map-type", json!("atomic")),
                    ("format", json!("date-time")),
                    ("enum", json!(["a", 1])),
                    ("uniqueItems", json!(true)),
                ])
                .clone();
            if let Some(n) = obj_mut(crd, &p) {
                n.insert(k.into(), v.clone());
            }
            format!("{k}: {v} at {p}")
        }
        14 => {
            let names = ["widget", "Widget", "w_x", "wídget", "w.x"];
            let n = *rng.pick(&names);
            crd["spec"]["names"]["shortNames"] = json!([n]);
            format!("shortName {n}")
        }
        _ => {
            // A property removed (update of a valid CRD).
            let nodes: Vec<String> = schema_nodes(crd)
                .into_iter()
                .filter(|p| p.ends_with("/properties/spec") || p.contains("/properties/spec/"))
                .collect();
            let Some(p) = (!nodes.is_empty()).then(|| rng.pick(&nodes).clone()) else {
                return "no spec".into();
            };
            let (parent, key) = p.rsplit_once('/').unwrap_or(("", ""));
            if let Some(n) = obj_mut(crd, parent) {
                n.remove(key);
            }
            format!("removed {p}")
        }
    }
}

/// Breaks one of the rules the API server drops on update when the old CRD already broke it
/// (the `validationOptions` of `ValidateCustomResourceDefinitionUpdate`).
fn ratchet_break(crd: &mut Value, rng: &mut Rng) -> String {
    let object_lists: Vec<String> = nodes_of_type(crd, "array")
        .into_iter()
        .filter(|p| {
            crd.pointer(&format!("{p}/items/properties"))
                .and_then(Value::as_object)
                .is_some_and(|props| !props.is_empty())
        })
        .collect();
    match rng.below(8) {
        0 => {
            let versions = rng.pick(&[json!(["v2"]), json!(["v1alpha1", "x"])]).clone();
            crd["spec"]["conversion"] = json!({"strategy": "Webhook", "webhook": {
                "clientConfig": {"url": "https://convert.example.com/convert"},
                "conversionReviewVersions": versions}});
            format!("conversionReviewVersions {versions}")
        }
        1 => {
            let nodes = schema_nodes(crd);
            let p = rng.pick(&nodes).clone();
            let t = *rng.pick(&["text", "int", "null"]);
            if let Some(n) = obj_mut(crd, &p) {
                n.insert("type".into(), json!(t));
            }
            format!("type {t} at {p}")
        }
        2 => {
            // Not structural (a field without a type), as v1beta1 allowed with
            // preserveUnknownFields: true (requireStructuralSchema ratchets).
            let nodes: Vec<String> = schema_nodes(crd)
                .into_iter()
                .filter(|p| p.contains("/properties/"))
                .collect();
            let Some(p) = (!nodes.is_empty()).then(|| rng.pick(&nodes).clone()) else {
                return "no field".into();
            };
            if let Some(n) = obj_mut(crd, &p) {
                n.remove("type");
            }
            crd["spec"]["preserveUnknownFields"] = json!(true);
            format!("no type at {p}, preserveUnknownFields")
        }
        3 => {
            // A version without a schema, as v1beta1 allowed (requireOpenAPISchema ratchets).
            let count = crd["spec"]["versions"].as_array().map_or(0, Vec::len);
            let i = rng.below(count.max(1));
            if let Some(version) = obj_mut(crd, &format!("/spec/versions/{i}")) {
                version.remove("schema");
            }
            let preserve = rng.below(2) == 0;
            if preserve {
                crd["spec"]["preserveUnknownFields"] = json!(true);
            }
            format!("no schema on version #{i}, preserveUnknownFields {preserve}")
        }
        4 => {
            // Established, with a conversion webhook whose bundle may be invalid
            // (allowInvalidCABundle); `mutant_cases` then gives the new CRD another bundle.
            crd["status"] = json!({"conditions": [{"type": "Established", "status": "True"}]});
            format!("established, {}", set_ca_bundle(crd, rng))
        }
        k if object_lists.is_empty() => format!("no list of objects ({k})"),
        5 => {
            let p = rng.pick(&object_lists).clone();
            let key = crd
                .pointer(&format!("{p}/items/properties"))
                .and_then(Value::as_object)
                .and_then(|props| props.keys().next().cloned())
                .unwrap_or_default();
            if let Some(items) = obj_mut(crd, &format!("{p}/items")) {
                items.remove("required");
            }
            if let Some(n) = obj_mut(crd, &p) {
                n.insert("x-kubernetes-list-type".into(), json!("map"));
                n.insert("x-kubernetes-list-map-keys".into(), json!([key]));
            }
            format!("list-map key {key} neither required nor defaulted at {p}")
        }
        6 => {
            let p = rng.pick(&object_lists).clone();
            if let Some(n) = obj_mut(crd, &p) {
                n.insert("x-kubernetes-list-type".into(), json!("set"));
            }
            if let Some(items) = obj_mut(crd, &format!("{p}/items")) {
                items.insert("nullable".into(), json!(true));
                items.remove("x-kubernetes-map-type");
            }
            format!("set of nullable, granular objects at {p}")
        }
        _ => {
            let p = rng.pick(&object_lists).clone();
            if let Some(n) = obj_mut(crd, &p) {
                n.insert("default".into(), json!([{"undeclared-field": "x"}]));
            }
            format!("default with an undeclared field at {p}")
        }
    }
}

/// A conversion webhook with a `caBundle`: a certificate, one cut short, text that is no PEM,
/// a certificate after junk, or an empty bundle.
fn set_ca_bundle(crd: &mut Value, rng: &mut Rng) -> String {
    let bundle_of = |file: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(e2e(file));
        let text = std::fs::read_to_string(&path).expect("e2e file");
        let crd: Value = serde_json::from_str(&text).expect("JSON");
        crd.pointer("/spec/conversion/webhook/clientConfig/caBundle")
            .and_then(Value::as_str)
            .expect("a caBundle")
            .to_string()
    };
    let valid = bundle_of("ca-bundle-established-old.json");
    let cut = bundle_of("ca-bundle-cut.json");
    let (what, bundle) = rng
        .pick(&[
            ("a certificate", valid.clone()),
            ("a certificate cut short", cut),
            ("text", "aGVsbG8=".to_string()),
            ("junk and a certificate", format!("eHgK{valid}")),
            ("empty", String::new()),
        ])
        .clone();
    crd["spec"]["conversion"] = json!({"strategy": "Webhook", "webhook": {
        "clientConfig": {"url": "https://convert.example.com/convert", "caBundle": bundle},
        "conversionReviewVersions": ["v1"]}});
    format!("caBundle {what}")
}

/// A CEL rule somewhere: valid ones, ones that do not compile, transition rules, costs.
fn cel_mutation(crd: &mut Value, rng: &mut Rng) -> String {
    let objects: Vec<String> = nodes_of_type(crd, "object")
        .into_iter()
        .filter(|p| {
            crd.pointer(p)
                .and_then(|n| n.get("properties"))
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty())
        })
        .collect();
    let Some(p) = (!objects.is_empty()).then(|| rng.pick(&objects).clone()) else {
        return "no object".into();
    };
    let props: Vec<(String, String)> = crd
        .pointer(&p)
        .and_then(|n| n.get("properties"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.get("type")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let (f, ft) = rng.pick(&props).clone();
    let templates: &[(&str, Option<&str>, bool)] = &[
        ("has(self.{f})", None, false),
        ("self.{f} == self.{f}", None, false),
        ("self.nosuchfield == 1", None, false),
        ("self.{f} ==", None, false),
        ("self.{f}.size() >= 0", None, false),
        ("size(self) >= 0", None, false),
        ("self == oldSelf", None, false),
        ("oldSelf.hasValue()", None, true),
        ("self == self", None, true),
        ("has(self.{f})", Some(".{f}"), false),
        ("has(self.{f})", Some(".nosuchfield"), false),
        ("has(self.{f})", Some("{f}"), false),
        ("has(self.{f})", Some(".{f}[0]"), false),
        ("self.{f} > 0", None, false),
        ("self.{f}.startsWith('a')", None, false),
        ("self.{f}.matches('[')", None, false),
        ("self.{f}.all(x, x != '')", None, false),
        ("self.{f}.all(x, self.{f}.all(y, x == y))", None, false),
        (
            "self.{f}.map(x, self.{f}.map(y, self.{f}.filter(z, z == x + y))).size() > 0",
            None,
            false,
        ),
        ("quantity(self.{f}).isInteger()", None, false),
        ("isURL(self.{f})", None, false),
        ("url(self.{f}).getHost() != ''", None, false),
        ("self.{f}.lowerAscii() == 'a'", None, false),
        ("self.{f}.split(',').size() < 3", None, false),
        (
            "format.dns1123Label().validate(self.{f}).hasValue()",
            None,
            false,
        ),
        ("int(self.{f}) > 0", None, false),
        ("duration(self.{f}) > duration('1s')", None, false),
        ("self.?{f}.orValue('') != ''", None, false),
        ("!has(self.{f}) || self.{f} != null", None, false),
        ("1 +", None, false),
        ("self.{f}.exists_one(x, true)", None, false),
        ("dyn(self).foo == 1", None, false),
        ("ip(self.{f}).family() == 4", None, false),
        ("cidr(self.{f}).prefixLength() > 0", None, false),
        ("self.{f} in ['a', 'b']", None, false),
        ("type(self.{f}) == string", None, false),
        // cel-go's two-variable comprehensions.
        ("self.{f}.all(i, v, true)", None, false),
        ("self.{f}.exists(k, v, k == 'a')", None, false),
        ("self.{f}.transformList(i, v, v).size() >= 0", None, false),
        (
            "self.{f}.transformMapEntry(i, v, {v: i}).size() >= 0",
            None,
            false,
        ),
    ];
    let (rule, field_path, optional) = *rng.pick(templates);
    let rule = rule.replace("{f}", &f);
    let mut entry = json!({"rule": rule});
    if let Some(fp) = field_path {
        entry["fieldPath"] = json!(fp.replace("{f}", &f));
    }
    if optional {
        entry["optionalOldSelf"] = json!(true);
    }
    match rng.below(6) {
        0 => entry["messageExpression"] = json!(format!("'bad: ' + string(self.{f})")),
        1 => entry["messageExpression"] = json!("self.nosuch"),
        2 => {
            entry["reason"] =
                json!(*rng.pick(&["FieldValueForbidden", "Bogus", "FieldValueRequired"]))
        }
        3 => entry["message"] = json!(*rng.pick(&["", "ok", "line\nbreak"])),
        _ => {}
    }
    push_rule(crd, &p, entry.clone());
    format!("cel {entry} at {p} (field {f}: {ft})")
}

/// Object nodes with properties: where the probes below add a property.
fn object_nodes(crd: &Value) -> Vec<String> {
    nodes_of_type(crd, "object")
        .into_iter()
        .filter(|p| {
            crd.pointer(p)
                .and_then(|n| n.get("properties"))
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty())
        })
        .collect()
}

fn add_property(crd: &mut Value, rng: &mut Rng, name: &str, schema: Value) -> Option<String> {
    let nodes = object_nodes(crd);
    let p = (!nodes.is_empty()).then(|| rng.pick(&nodes).clone())?;
    let props = obj_mut(crd, &p)?.get_mut("properties")?.as_object_mut()?;
    props.insert(name.to_string(), schema);
    Some(p)
}

/// Rules over a list of strings whose estimated cost grows with the list's and the strings'
/// bounds, with bounds on both sides of the server's limits (10,000,000 per rule, 100,000,000
/// per schema), sometimes below a list of objects (cardinality) and repeated (the total).
fn cost_mutation(crd: &mut Value, rng: &mut Rng) -> String {
    const RULES: &[&str] = &[
        "self.all(x, x.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'))",
        "self.map(x, x.lowerAscii()).exists(x, x == 'a')",
        "self.all(x, self.exists_one(y, x == y))",
        "self.filter(x, x.startsWith('a')).size() < 5",
        "self.exists(x, x.contains('gpu'))",
        "self == oldSelf",
        "self.all(x, x.split('/').size() <= 2)",
        "size(self) < 10",
        "self.all(x, isURL(x) && url(x).getScheme() == 'https')",
        "self.all(x, !x.contains('.') || x.substring(0, 1) != '.')",
    ];
    const MESSAGES: &[&str] = &[
        "'bad: ' + self.join(',')",
        "'too many: ' + string(size(self))",
    ];
    if rng.below(3) == 0 {
        // On the limit, as measured with the server: 178,571 strings of 63 characters cost
        // 9,999,978; one more string costs 10,000,034.
        let max_items = *rng.pick(&[178_571, 178_572]);
        let list = json!({"type": "array", "maxItems": max_items,
            "items": {"type": "string", "maxLength": 63},
            "x-kubernetes-validations": [{"rule": "self.all(x, x.matches('^[a-z]+$'))"}]});
        let at = add_property(crd, rng, "costProbe", list).unwrap_or_default();
        return format!("cost on the limit: maxItems {max_items} at {at}");
    }
    let max_items = *rng.pick(&[
        None,
        Some(1),
        Some(10),
        Some(100),
        Some(1_000),
        Some(10_000),
        Some(100_000),
        Some(178_571),
        Some(178_572),
        Some(1_000_000),
    ]);
    let max_length = *rng.pick(&[
        None,
        Some(1),
        Some(16),
        Some(63),
        Some(253),
        Some(1_024),
        Some(65_536),
    ]);
    let rule = *rng.pick(RULES);
    let mut entry = json!({"rule": rule});
    if rng.below(4) == 0 {
        entry["messageExpression"] = json!(*rng.pick(MESSAGES));
    }
    let copies = *rng.pick(&[1usize, 1, 1, 5, 12]);
    let mut list = json!({"type": "array", "items": {"type": "string"},
        "x-kubernetes-validations": vec![entry.clone(); copies]});
    if let Some(n) = max_items {
        list["maxItems"] = json!(n);
    }
    if let Some(n) = max_length {
        list["items"]["maxLength"] = json!(n);
    }
    let outer = *rng.pick(&[None, None, Some(None), Some(Some(10)), Some(Some(1_000))]);
    let schema = match outer {
        None => list,
        Some(bound) => {
            let mut wrapper = json!({"type": "array", "items": {"type": "object",
                "properties": {"names": list}}});
            if let Some(n) = bound {
                wrapper["maxItems"] = json!(n);
            }
            wrapper
        }
    };
    let at = add_property(crd, rng, "costProbe", schema).unwrap_or_default();
    format!(
        "cost rule {entry} ×{copies} maxItems {max_items:?} maxLength {max_length:?} outer          {outer:?} at {at}"
    )
}

/// A default and a rule on the same node: the server runs the rule on the default.
fn default_mutation(crd: &mut Value, rng: &mut Rng) -> String {
    let schema = rng
        .pick(&[
            json!({"type": "integer", "default": 0,
                "x-kubernetes-validations": [{"rule": "self > 0", "message": "must be positive"}]}),
            json!({"type": "integer", "default": 3,
                "x-kubernetes-validations": [{"rule": "self > 0"}]}),
            json!({"type": "string", "default": "x",
                "x-kubernetes-validations": [{"rule": "self == oldSelf"}]}),
            json!({"type": "string", "default": "x",
                "x-kubernetes-validations": [{"rule": "!oldSelf.hasValue() || self == 'y'",
                    "optionalOldSelf": true}]}),
            json!({"type": "string", "default": "x",
                "x-kubernetes-validations": [{"rule": "oldSelf.hasValue() || self == 'y'",
                    "optionalOldSelf": true}]}),
            json!({"type": "object", "default": {"a": "x"},
                "properties": {"a": {"type": "string",
                    "x-kubernetes-validations": [{"rule": "self.startsWith('y')",
                        "messageExpression": "'a must start with y, not ' + self"}]}}}),
            json!({"type": "object", "default": {"a": "yes"},
                "properties": {"a": {"type": "string"}},
                "x-kubernetes-validations": [{"rule": "has(self.a) && self.a.size() > 2"}]}),
            json!({"type": "array", "default": ["a", "b"], "items": {"type": "string"},
                "x-kubernetes-validations": [{"rule": "self.all(x, x != 'b')"}]}),
            json!({"type": "string", "default": "10Gi",
                "x-kubernetes-validations": [{"rule": "self.size() < 3", "message": "short"}]}),
        ])
        .clone();
    let shown = schema.to_string();
    let at = add_property(crd, rng, "defaultProbe", schema).unwrap_or_default();
    format!("default probe {shown} at {at}")
}

/// The IP and CIDR libraries: rules that compile or not (types, overloads, methods on the wrong
/// type), defaults that fail them (valid and invalid addresses, v4 and v6, canonical or not), and
/// their costs over lists of strings on both sides of the limits.
fn ip_mutation(crd: &mut Value, rng: &mut Rng) -> String {
    const RULES: &[&str] = &[
        "ip(self).family() == 4",
        "isIP(self) && ip(self).isGlobalUnicast()",
        "ip.isCanonical(self)",
        "!isIP(self) || ip(self) == ip('::1') || ip(self).isLoopback()",
        "ip(self) != ip('10.0.0.1')",
        "string(ip(self)) == self",
        "cidr(self).prefixLength() >= 8",
        "isCIDR(self) && cidr(self) == cidr(self).masked()",
        "cidr('10.0.0.0/8').containsIP(self)",
        "cidr('10.0.0.0/8').containsCIDR(self)",
        "cidr(self).containsIP(cidr(self).ip())",
        "cidr(self).ip().isLinkLocalUnicast() || cidr(self).ip().isUnspecified()",
        "type(ip(self)) == net.IP",
        // Refused by the server's type checker.
        "self.family() == 4",
        "ip(self) == self",
        "ip(self).prefixLength() > 0",
        "cidr(self).family() == 4",
        "cidr(self).containsIP(1)",
        "cidr(self).containsCIDR(ip(self))",
        "ip(self) < ip('10.0.0.1')",
        "size(ip(self)) > 0",
        "ip.isCanonical(1)",
        "ip(self)",
        "ip(self).isLoopback(true)",
    ];
    const VALUES: &[&str] = &[
        "Same",
        "10.0.0.1",
        "10.0.0.0/8",
        "10.0.0.1/8",
        "::1",
        "2001:DB8::1",
        "2001:db8::1",
        "::ffff:10.0.0.1",
        "fe80::1%eth0",
        "010.0.0.1",
        "fe80::/10",
        "0.0.0.0",
    ];
    let rule = *rng.pick(RULES);
    let mut entry = json!({"rule": rule});
    match rng.below(5) {
        0 => entry["messageExpression"] = json!("'bad address: ' + self"),
        1 => entry["messageExpression"] = json!("'bad address: ' + string(ip(self))"),
        _ => {}
    }
    let mut schema = json!({"type": "string", "x-kubernetes-validations": [entry.clone()]});
    if rng.below(2) == 0 {
        schema["default"] = json!(*rng.pick(VALUES));
    }
    let max_length = *rng.pick(&[None, Some(15), Some(45), Some(64)]);
    if let Some(n) = max_length {
        schema["maxLength"] = json!(n);
    }
    // On the items of a list, its bounds decide the cost.
    let max_items = *rng.pick(&[
        None,
        None,
        Some(Some(16)),
        Some(None),
        Some(Some(100_000)),
        Some(Some(1_000_000)),
    ]);
    let shown = schema.to_string();
    let schema = match max_items {
        None => schema,
        Some(bound) => {
            let mut list = json!({"type": "array", "items": schema});
            if let Some(n) = bound {
                list["maxItems"] = json!(n);
            }
            list
        }
    };
    let at = add_property(crd, rng, "netProbe", schema).unwrap_or_default();
    format!("ip probe {shown} in list {max_items:?} at {at}")
}

/// The lists, regex and semver libraries: rules that compile or not (element types, argument
/// types, methods on the wrong type, constant patterns that do not compile, semver comparisons),
/// defaults that fail them (also at run time: `min()` of an empty list, `semver()` of a string
/// that is not one), and the cost of `find`/`findAll` and of semver inequality.
fn library_mutation(crd: &mut Value, rng: &mut Rng) -> String {
    let (items, rules, defaults): (Option<Value>, &[&str], &[Value]) = match rng.below(4) {
        0 => (
            Some(json!({"type": "integer"})),
            &[
                "self.isSorted()",
                "self.sum() < 10",
                "self.min() >= 0",
                "self.max() <= 5",
                "self.indexOf(1) <= 0 && self.lastIndexOf(1) >= -1",
                // Refused by the server's type checker.
                "self.sum() == 1.0",
                "self.indexOf('a') >= 0",
                "self.isSorted(1)",
                "self.sum() != ''",
            ],
            &[json!([1, 2]), json!([2, 1]), json!([]), json!([7, 8])],
        ),
        1 => (
            Some(json!({"type": "string", "maxLength": 16})),
            &[
                "self.isSorted() && self.min() != ''",
                "self.max().size() < 3",
                "self.indexOf('a') == 0",
                "self.sum() != ''",
                "self.min() > 1",
            ],
            &[json!(["a", "b"]), json!(["b", "a"]), json!([])],
        ),
        2 => (
            Some(json!({"type": "string", "format": "duration", "maxLength": 16})),
            &[
                "self.sum() < duration('1h')",
                "self.min() > duration('1s')",
                "self.sum() < 10",
            ],
            &[json!(["1m", "2m"]), json!(["2h"]), json!([])],
        ),
        _ => (
            None,
            &[
                "self.find('[0-9]+') != ''",
                "self.findAll('[a-z]+', 2).size() <= 1",
                "self.find(self) == ''",
                "isSemver(self)",
                "isSemver(self, true)",
                "semver(self).major() >= 1",
                "semver(self, true).isGreaterThan(semver('1.0.0'))",
                "semver(self) == semver('1.0.0')",
                "semver(self).compareTo(semver('1.0.0')) == 0",
                // Refused: types, constant patterns, comparisons, the cost of `!=`.
                "self.find('[a-') == ''",
                "self.findAll('(x').size() == 0",
                "self.find(1) == ''",
                "self.findAll('x', 'y').size() == 0",
                "isSemver(1)",
                "semver(self) < semver('1.0.0')",
                "semver(self).compareTo('1.0.0') == 0",
                "semver(self) != semver('1.0.0')",
                "self.isSorted()",
            ],
            &[
                json!("1.0.0"),
                json!("v1.0"),
                json!("abc 123"),
                json!("[a-"),
                json!("2.0.0-rc.1"),
            ],
        ),
    };
    let rule = *rng.pick(rules);
    let mut schema = match &items {
        Some(items) => json!({"type": "array", "items": items}),
        None => json!({"type": "string"}),
    };
    schema["x-kubernetes-validations"] = json!([{"rule": rule}]);
    if rng.below(3) == 0 {
        schema["default"] = rng.pick(defaults).clone();
    }
    // The bounds decide the cost: of the list, or of the string `find` searches.
    let bound = *rng.pick(&[None, Some(4), Some(64), Some(100_000)]);
    if let Some(n) = bound {
        let key = if items.is_some() {
            "maxItems"
        } else {
            "maxLength"
        };
        schema[key] = json!(n);
    }
    let shown = schema.to_string();
    let at = add_property(crd, rng, "libraryProbe", schema).unwrap_or_default();
    format!("library probe {shown} at {at}")
}

/// Transition rules and `fieldPath`s on the items of lists of every list type.
fn transition_mutation(crd: &mut Value, rng: &mut Rng) -> String {
    let list_type = *rng.pick(&[None, Some("atomic"), Some("map"), Some("set")]);
    let rule = rng
        .pick(&[
            json!({"rule": "self.v == oldSelf.v"}),
            json!({"rule": "oldSelf.hasValue()", "optionalOldSelf": true}),
            json!({"rule": "self.v != ''", "fieldPath": ".v"}),
            json!({"rule": "self.v != ''", "fieldPath": "['v']"}),
            json!({"rule": "self.v != ''", "fieldPath": ".nosuch"}),
            json!({"rule": "self.v != ''", "fieldPath": ".v.w"}),
            json!({"rule": "self.v != ''", "fieldPath": "v"}),
            json!({"rule": "self.v != ''", "messageExpression": "'v is ' + self.v"}),
            json!({"rule": "self.v != ''", "messageExpression": "self.v.size()"}),
            json!({"rule": "self.v.exists(x,"}),
            json!({"rule": "self.v == 'a"}),
            json!({"rule": "has(self)"}),
            json!({"rule": "self.v + 1 == 2"}),
            json!({"rule": "self.v.nosuchmethod()"}),
        ])
        .clone();
    let mut list = json!({"type": "array", "items": {"type": "object", "required": ["k"],
        "properties": {"k": {"type": "string"}, "v": {"type": "string", "maxLength": 64}},
        "x-kubernetes-validations": [rule.clone()]}, "maxItems": 16});
    match list_type {
        Some("map") => {
            list["x-kubernetes-list-type"] = json!("map");
            list["x-kubernetes-list-map-keys"] = json!(["k"]);
        }
        Some(t) => list["x-kubernetes-list-type"] = json!(t),
        None => {}
    }
    let at = add_property(crd, rng, "transitionProbe", list).unwrap_or_default();
    format!("transition probe {rule} on list type {list_type:?} at {at}")
}

/// Seeded mutants: (seed, mutant) as create and update, and a third of them as an update of the
/// mutant by an unrelated edit (ratcheting).
fn mutant_cases(count: usize) -> Vec<Case> {
    let seeds = seed_crds();
    assert!(!seeds.is_empty(), "seed CRDs");
    let mut rng = Rng(0x00c0_ffee_d00d);
    let mut cases = Vec::new();
    for i in 0..count {
        let seed = rng.pick(&seeds).clone();
        let mut mutant = seed.clone();
        let mut what = vec![mutate(&mut mutant, &mut rng)];
        if rng.below(4) == 0 {
            what.push(mutate(&mut mutant, &mut rng));
        }
        let label = format!("mutant #{i} {} {}", name_of(&seed), what.join("; "));
        if rng.below(6) == 0 {
            // An update from an old CRD that already breaks a rule the server ratchets: the
            // old CRD gets the break, the new one that and the mutation.
            let mut old = seed.clone();
            let broken = ratchet_break(&mut old, &mut rng);
            let mut new = old.clone();
            let mut edit = mutate(&mut new, &mut rng);
            if broken.starts_with("established") {
                edit = format!("{edit}; {}", set_ca_bundle(&mut new, &mut rng));
            }
            cases.push(Case {
                label: format!(
                    "mutant #{i} {} (old breaks: {broken}) {edit}",
                    name_of(&seed)
                ),
                old: Some(old),
                new,
            });
        } else if rng.below(3) == 0 {
            let mut edited = mutant.clone();
            edited["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["description"] =
                json!("edited");
            cases.push(Case {
                label: format!("{label} (then edited)"),
                old: Some(mutant),
                new: edited,
            });
        } else {
            cases.push(Case {
                label,
                old: Some(seed),
                new: mutant,
            });
        }
    }
    cases
}

fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn report(name: &str, disagreements: &[Disagreement], compared: usize) {
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for d in disagreements {
        match d.known() {
            Some(reason) => known.push((d, reason)),
            None => unknown.push(d),
        }
    }
    let missed = unknown.iter().filter(|d| d.missed).count();
    let summary = format!(
        "{name}: {compared} verdicts compared, {} disagreements ({missed} missed, {} wrongly \
         rejected), {} known",
        unknown.len(),
        unknown.len() - missed,
        known.len()
    );
    println!("{summary}");
    for (d, reason) in &known {
        println!("known: {} {}: {reason}", d.operation, d.label);
    }
    if let Ok(file) = std::env::var("NEXUS_DIFF_REPORT") {
        let mut text = String::new();
        for d in disagreements {
            text.push_str(&format!(
                "{} {} {}\n  oracle: {}\n  nexus: {}\n",
                if d.missed {
                    "MISSED"
                } else {
                    "WRONGLY-REJECTED"
                },
                d.operation,
                d.label,
                d.oracle.join(" | "),
                d.nexus.join(" | ")
            ));
        }
        std::fs::write(format!("{file}.{name}"), text).expect("write report");
    }
    let shown: Vec<String> = unknown
        .iter()
        .take(20)
        .map(|d| {
            format!(
                "{} {} {}\n  oracle: {}\n  nexus: {}",
                if d.missed {
                    "missed"
                } else {
                    "wrongly rejected"
                },
                d.operation,
                d.label,
                d.oracle.first().map_or("", String::as_str),
                d.nexus.first().map_or("", String::as_str)
            )
        })
        .collect();
    assert!(unknown.is_empty(), "{summary}\n{}", shown.join("\n"));
}

#[test]
fn corpus_agrees_with_the_api_server() {
    let Some(bin) = oracle_bin() else {
        println!("skipped: NEXUS_APISERVER_ORACLES is not set");
        return;
    };
    let Some(corpus) = std::env::var_os("NEXUS_CORPUS").map(PathBuf::from) else {
        println!("skipped: NEXUS_CORPUS is not set");
        return;
    };
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut cases = corpus_cases(&corpus);
    cases.extend(large_cases(
        &corpus,
        env_count("NEXUS_DIFF_LARGE", 40),
        scratch.path(),
    ));
    let (disagreements, compared) = compare_all(&bin, &cases);
    report("corpus", &disagreements, compared);
}

#[test]
fn mutants_agree_with_the_api_server() {
    let Some(bin) = oracle_bin() else {
        println!("skipped: NEXUS_APISERVER_ORACLES is not set");
        return;
    };
    let cases = mutant_cases(env_count("NEXUS_DIFF_MUTANTS", 2_000));
    let (disagreements, compared) = compare_all(&bin, &cases);
    report("mutants", &disagreements, compared);
}

/// Certificates in a webhook `caBundle`, each corrupted in one byte (flipped bit, replaced,
/// deleted) or, one in four, its PEM text edited, as an update of an established CRD: nexus and client-go (in the oracle) must agree
/// on which still hold a certificate. Certificates of every key type Go reads
/// (`testdata/apiserver/ca-bundles`); `NEXUS_DIFF_CA_BUNDLES=N` cases, default 300.
#[test]
fn corrupted_ca_bundles_agree_with_the_api_server() {
    let Some(bin) = oracle_bin() else {
        println!("skipped: NEXUS_APISERVER_ORACLES is not set");
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).expect("testdata");
    let old: Value = serde_json::from_str(&read(&e2e("established.json"))).expect("JSON");
    let template: Value =
        serde_json::from_str(&read(&e2e("ca-bundle-established-old.json"))).expect("JSON");
    let mut certificates: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in std::fs::read_dir(root.join("testdata/apiserver/ca-bundles")).expect("dir") {
        let path = entry.expect("entry").path();
        let pem = std::fs::read_to_string(&path).expect("pem");
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        certificates.push((name, base64_decode(&body)));
    }
    certificates.sort();
    let mut rng = Rng(0x0ca_b0d1e);
    let mut cases = Vec::new();
    for i in 0..env_count("NEXUS_DIFF_CA_BUNDLES", 300) {
        let (name, der) = rng.pick(&certificates).clone();
        let mut der = der.clone();
        let at = rng.below(der.len());
        let text_edit = rng.below(4) == 0;
        let what = match rng.below(3) {
            _ if text_edit => "",
            0 => {
                der[at] ^= 1 << rng.below(8);
                "bit flipped"
            }
            1 => {
                der[at] = rng.below(256) as u8;
                "byte replaced"
            }
            _ => {
                der.remove(at);
                "byte deleted"
            }
        };
        let encoded = base64_encode(&der);
        let lines: Vec<&str> = encoded
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).expect("ascii"))
            .collect();
        let mut pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        );
        let what = if text_edit {
            // An edit of the PEM text instead: pem.Decode's rules for BEGIN/END lines, headers,
            // line breaks and junk around blocks.
            const PIECES: &[&str] = &[
                "-----BEGIN CERTIFICATE-----\n",
                "-----END CERTIFICATE-----\n",
                "\n",
                "\r\n",
                " ",
                "\t",
                "Key: value\n",
                "junk",
                "-----",
                "=",
            ];
            let at = rng.below(pem.len() + 1);
            if rng.below(2) == 0 {
                let piece = *rng.pick(PIECES);
                pem.insert_str(at, piece);
                format!("PEM text: {piece:?} inserted at {at}")
            } else {
                let end = (at + 1 + rng.below(5)).min(pem.len());
                pem.replace_range(at.min(end)..end, "");
                format!("PEM text: {at}..{end} deleted")
            }
        } else {
            format!("{what} at byte {at}")
        };
        let mut new = template.clone();
        new["spec"]["conversion"]["webhook"]["clientConfig"]["caBundle"] =
            json!(base64_encode(pem.as_bytes()));
        cases.push(Case {
            label: format!("ca bundle #{i} {name}: {what}"),
            old: Some(old.clone()),
            new,
        });
    }
    let (disagreements, compared) = compare_all(&bin, &cases);
    report("ca bundles", &disagreements, compared);
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut bits, mut count) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = BASE64.iter().position(|b| *b == c).expect("base64") as u32;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// End to end on the built binary: one small CRD per disagreement class (testdata/apiserver/e2e),
// as an update of base.json and, where the oracle is present, checked against it too.

fn e2e(file: &str) -> String {
    format!("testdata/apiserver/e2e/{file}")
}

/// `crd-invalid` messages of `nexus datamodel diff OLD NEW --format json`, and the exit code.
fn nexus_crd_invalid(old: &str, new: &str) -> (i32, Vec<String>) {
    let out = assert_cmd::Command::cargo_bin("nexus")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["datamodel", "diff", old, new, "--format", "json"])
        .output()
        .expect("run nexus");
    let code = out.status.code().expect("exit code");
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let found = json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["rule"] == "crd-invalid")
        .map(|c| c["message"].as_str().unwrap_or_default().to_string())
        .collect();
    (code, found)
}

/// The oracle's update errors for (old, new) when it is available.
fn oracle_update(old: &str, new: &str) -> Option<Vec<String>> {
    oracle_lines(old, new, "update: ")
}

/// The oracle's errors for `file` created from nothing, when it is available.
fn oracle_create(file: &str) -> Option<Vec<String>> {
    oracle_lines(file, file, "new-create: ")
}

/// The oracle's lines for (old, new) that start with `prefix`, without it; says so on stdout
/// when the oracle is not available.
fn oracle_lines(old: &str, new: &str, prefix: &str) -> Option<Vec<String>> {
    let Some(bin) = oracle_bin() else {
        println!("oracle part skipped: NEXUS_APISERVER_ORACLES is not set");
        return None;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(bin)
        .arg(root.join(old))
        .arg(root.join(new))
        .output()
        .expect("run oracle");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        return Some(vec![text]);
    }
    Some(
        text.lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .map(str::to_string)
            .collect(),
    )
}

#[test]
fn each_class_is_refused_by_the_binary_with_the_servers_reason() {
    let cases = [
        (
            "label-key.json",
            "name part must consist of alphanumeric characters",
        ),
        (
            "unknown-keyword.json",
            "strict decoding error: unknown field",
        ),
        ("cel-undefined-field.json", "undefined field 'nosuch'"),
        ("cel-syntax.json", "compilation failed: ERROR"),
        ("cel-range.json", "cannot be range of a comprehension"),
        ("cel-field-path.json", "must be a valid path"),
        (
            "cel-optional-old-self.json",
            "may not be set if oldSelf is not used in rule",
        ),
        (
            "cel-old-self-atomic-list.json",
            "oldSelf cannot be used on the uncorrelatable portion",
        ),
        ("root-default.json", "default.apiVersion: Required value"),
        ("pattern-u-escape.json", "invalid escape sequence"),
        (
            "cel-cost.json",
            "estimated rule cost exceeds budget by factor of more than 100x",
        ),
        (
            "cel-cost-total.json",
            "estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of \
             1.144800x",
        ),
        ("default-fails-rule.json", "replicas must be positive"),
    ];
    let base = e2e("base.json");
    for (file, reason) in cases {
        let new = e2e(file);
        let (code, found) = nexus_crd_invalid(&base, &new);
        assert_eq!(code, 1, "{file}: {found:?}");
        assert!(
            found.iter().any(|m| m.contains(reason)),
            "{file}: {found:?}"
        );
        if let Some(oracle) = oracle_update(&base, &new) {
            assert!(!oracle.is_empty(), "{file}: the API server accepts it");
        }
    }
}

#[test]
fn what_the_server_accepts_the_binary_accepts() {
    let cases = [
        // RE2 escapes that the regex crate spells differently.
        ("base.json", "pattern-go-escapes.json"),
        // The rule of cel-cost.json within budget: bounded list and strings.
        ("base.json", "cel-cost-bounded.json"),
        // Defaults with duplicate entries of a set and a map list: the server does not check
        // list uniqueness in defaults.
        ("base.json", "default-duplicate-list-entries.json"),
        // A protected group without approval, already live: the server ratchets it.
        ("unapproved-old.json", "unapproved-new.json"),
        // A webhook that only speaks an unknown ConversionReview version, already live.
        (
            "review-version-unknown-old.json",
            "review-version-unknown-new.json",
        ),
        // A list-map key neither required nor defaulted, already live: the server then also
        // accepts new nullable items of a set.
        ("list-map-key-loose-old.json", "list-map-key-loose-new.json"),
        // A type that is not an OpenAPI type, already live.
        ("invalid-type-old.json", "invalid-type-new.json"),
        // Nine selectable fields, already live and unchanged.
        (
            "selectable-fields-many-old.json",
            "selectable-fields-many-new.json",
        ),
    ];
    for (old, new) in cases {
        let (old, new) = (e2e(old), e2e(new));
        let (code, found) = nexus_crd_invalid(&old, &new);
        assert!(found.is_empty(), "{new}: {found:?}");
        assert_ne!(code, 2, "{new}");
        if let Some(oracle) = oracle_update(&old, &new) {
            assert!(
                oracle.is_empty(),
                "{new}: the API server refuses it: {oracle:?}"
            );
        }
    }
    // The same unapproved CRD created from nothing is refused.
    let empty = tempfile::tempdir().expect("tempdir");
    let empty = empty.path().to_str().expect("utf-8 path");
    let (code, found) = nexus_crd_invalid(empty, &e2e("unapproved-new.json"));
    assert_eq!(code, 1);
    assert!(
        found
            .iter()
            .any(|m| m.contains("api-approved.kubernetes.io")),
        "{found:?}"
    );
    // What those old CRDs already broke is refused on create, and on an update of a CRD that
    // kept the rule.
    let base = e2e("base.json");
    let refused = [
        (
            "review-version-unknown-new.json",
            "must include v1 or v1beta1",
        ),
        (
            "list-map-key-loose-new.json",
            "so it must be required or have a default",
        ),
        ("list-map-key-loose-new.json", "must not be nullable"),
        ("invalid-type-new.json", "is not an OpenAPI type"),
        (
            "selectable-fields-many-new.json",
            "at most 8 selectable fields",
        ),
    ];
    for (file, reason) in refused {
        let new = e2e(file);
        for old in [empty, base.as_str()] {
            let (code, found) = nexus_crd_invalid(old, &new);
            assert_eq!(code, 1, "{old} -> {file}: {found:?}");
            assert!(
                found.iter().any(|m| m.contains(reason)),
                "{old} -> {file}: {found:?}"
            );
        }
        if let Some(oracle) = oracle_update(&base, &new) {
            assert!(!oracle.is_empty(), "the API server accepts {file}");
        }
    }
}

#[test]
fn a_ratcheted_invalid_type_leaves_its_field_out_of_cel() {
    // The update keeps `type: text` and adds `type: int` on `replicas`; the server accepts both
    // types but declares neither field in CEL, so the rule on `self.replicas` no longer compiles.
    let (old, new) = (
        e2e("invalid-type-old.json"),
        e2e("invalid-type-cel-field.json"),
    );
    let (code, found) = nexus_crd_invalid(&old, &new);
    assert_eq!(code, 1, "{found:?}");
    assert!(
        found
            .iter()
            .any(|m| m.contains("undefined field 'replicas'")),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|m| m.contains("is not an OpenAPI type")),
        "{found:?}"
    );
    if let Some(oracle) = oracle_update(&old, &new) {
        assert!(
            oracle
                .iter()
                .any(|m| m.contains("undefined field 'replicas'")),
            "{oracle:?}"
        );
    }
}

#[test]
fn rules_on_a_ratcheted_invalid_type_cannot_be_compiled() {
    // The update keeps `type: text` on `name` and gives it a rule: the server has no CEL type
    // for the node and refuses the rules with an internal error (seen in the mutant test).
    let (old, new) = (e2e("invalid-type-old.json"), e2e("invalid-type-rule.json"));
    let reason = "unable to convert structural schema to CEL declarations";
    let (code, found) = nexus_crd_invalid(&old, &new);
    assert_eq!(code, 1, "{found:?}");
    assert!(found.iter().any(|m| m.contains(reason)), "{found:?}");
    if let Some(oracle) = oracle_update(&old, &new) {
        assert!(oracle.iter().any(|m| m.contains(reason)), "{oracle:?}");
    }
}

#[test]
fn too_many_selectable_fields_are_forgiven_only_unchanged() {
    // The old CRD's nine selectable fields, reordered: the server compares the lists as they
    // are, so the limit applies again.
    let (old, new) = (
        e2e("selectable-fields-many-old.json"),
        e2e("selectable-fields-many-reordered.json"),
    );
    let (code, found) = nexus_crd_invalid(&old, &new);
    assert_eq!(code, 1, "{found:?}");
    assert!(
        found
            .iter()
            .any(|m| m.contains("at most 8 selectable fields")),
        "{found:?}"
    );
    if let Some(oracle) = oracle_update(&old, &new) {
        assert!(
            oracle
                .iter()
                .any(|m| m.contains("must have at most 8 items")),
            "{oracle:?}"
        );
    }
}

#[test]
fn dropping_a_stored_version_is_refused_on_update() {
    let (old, new) = (e2e("two-versions.json"), e2e("stored-version-dropped.json"));
    let (code, found) = nexus_crd_invalid(&old, &new);
    assert_eq!(code, 1);
    assert!(
        found
            .iter()
            .any(|m| m.contains("v1 was previously a storage version")),
        "{found:?}"
    );
    if let Some(oracle) = oracle_update(&old, &new) {
        assert!(!oracle.is_empty());
    }
}

/// Issue 13 item 4 on the binary: declaring a property that was already required is reported.
#[test]
fn declaring_an_already_required_property_is_reported() {
    let dir = "testdata/apiserver/required-before-declared";
    let out = assert_cmd::Command::cargo_bin("nexus")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "datamodel",
            "diff",
            &format!("{dir}/old.yaml"),
            &format!("{dir}/new.yaml"),
            "--format",
            "json",
        ])
        .output()
        .expect("run nexus");
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    let rules: Vec<(&str, &str)> = json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["rule"].as_str().unwrap_or_default(),
                c["field"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(rules, [("unhandled-change", ".spec.b")], "{json:#}");
    assert_eq!(out.status.code(), Some(1));
}

/// Once the old CRD is established (a CRD read from a cluster carries the condition), its scope
/// and kind cannot change; a file without status is not established, and the server takes the
/// same change (`requireImmutableNames`).
#[test]
fn an_established_crd_keeps_its_scope_and_kind() {
    let new = e2e("scope-kind-changed.json");
    let (established, unestablished) = (e2e("established.json"), e2e("base.json"));
    let (_, found) = nexus_crd_invalid(&established, &new);
    let immutable: Vec<&String> = found
        .iter()
        .filter(|m| m.contains("field is immutable"))
        .collect();
    assert_eq!(immutable.len(), 2, "{found:?}");
    assert!(
        immutable[0].starts_with("spec.names.kind: Invalid value: \"Gadget\"")
            || immutable[1].starts_with("spec.names.kind: Invalid value: \"Gadget\""),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|m| m.starts_with("spec.scope: Invalid value: \"Cluster\": field is immutable")),
        "{found:?}"
    );
    let (_, found) = nexus_crd_invalid(&unestablished, &new);
    assert!(
        found.iter().all(|m| !m.contains("field is immutable")),
        "{found:?}"
    );
    if let Some(oracle) = oracle_update(&established, &new) {
        assert_eq!(
            oracle,
            [
                "spec.scope: Invalid value: \"Cluster\": field is immutable",
                "spec.names.kind: Invalid value: \"Gadget\": field is immutable",
            ]
        );
        assert_eq!(oracle_update(&unestablished, &new), Some(Vec::new()));
    }
}

/// `requireStructuralSchema` and `requireOpenAPISchema`: an old CRD (created through v1beta1)
/// with a schema that is not structural, or a version without a schema, lets an update keep
/// that; where the new CRD prunes, defaults or uses extensions the server wants structural
/// schemas again, and a schema on every served version.
#[test]
fn schemas_an_old_crd_already_lacked_are_ratcheted() {
    let accepted = [
        // Not structural, with spec.preserveUnknownFields: true: more of it stays accepted.
        ("non-structural-old.json", "non-structural-new.json"),
        // A version without a schema: one that is not served may stay so.
        ("schemaless-old.json", "schemaless-new.json"),
    ];
    for (old, new) in accepted {
        let (old, new) = (e2e(old), e2e(new));
        let (code, found) = nexus_crd_invalid(&old, &new);
        assert!(found.is_empty(), "{old} -> {new}: {found:?}");
        assert_ne!(code, 2, "{new}");
        if let Some(oracle) = oracle_update(&old, &new) {
            assert!(
                oracle.is_empty(),
                "{old} -> {new}: the API server refuses: {oracle:?}"
            );
        }
    }
    // (old, new, nexus's reason, the server's reason)
    let refused = [
        // Pruning needs a structural schema.
        (
            "non-structural-old.json",
            "non-structural-pruned.json",
            "type must not be empty",
            "must not be empty for specified object fields",
        ),
        // So do defaults, which also need preserveUnknownFields: false.
        (
            "non-structural-old.json",
            "non-structural-default.json",
            "type must not be empty",
            "must not be empty for specified object fields",
        ),
        (
            "non-structural-old.json",
            "non-structural-default.json",
            "must be false in order to use defaults",
            "must be false in order to use defaults in the schema",
        ),
        // An old CRD whose schemas were structural ratchets nothing.
        (
            "preserved-structural-old.json",
            "non-structural-new.json",
            "items must be set on an array",
            "items: Required value: must be specified",
        ),
        (
            "preserved-structural-old.json",
            "preserved-default.json",
            "must be false in order to use defaults",
            "must be false in order to use defaults in the schema",
        ),
        (
            "preserved-structural-old.json",
            "preserved-webhook.json",
            "must be None if spec.preserveUnknownFields is true",
            "must be None if spec.preserveUnknownFields is true",
        ),
        // A served version without a schema would prune everything.
        (
            "schemaless-old.json",
            "schemaless-served.json",
            "because otherwise all fields are pruned",
            "Required value: because otherwise all fields are pruned",
        ),
        // Selectable fields need a schema, ratchet or not.
        (
            "schemaless-old.json",
            "schemaless-selectable.json",
            "selectableFields may only be set when the version has schema.openAPIV3Schema",
            "selectableFields: Invalid value: \"\": may only be set when",
        ),
        // An old CRD with a schema on every version ratchets nothing.
        (
            "base.json",
            "schemaless-new.json",
            "every version needs schema.openAPIV3Schema",
            "spec.versions[1].schema.openAPIV3Schema: Required value",
        ),
    ];
    for (old, new, reason, server_reason) in refused {
        let (old, new) = (e2e(old), e2e(new));
        let (code, found) = nexus_crd_invalid(&old, &new);
        assert_eq!(code, 1, "{old} -> {new}: {found:?}");
        assert!(
            found.iter().any(|m| m.contains(reason)),
            "{old} -> {new}: {found:?}"
        );
        if let Some(oracle) = oracle_update(&old, &new) {
            assert!(
                oracle.iter().any(|m| m.contains(server_reason)),
                "{old} -> {new}: {oracle:?}"
            );
        }
    }
    // What the old CRDs lacked is refused on create.
    let empty = tempfile::tempdir().expect("tempdir");
    let empty = empty.path().to_str().expect("utf-8 path");
    for (file, reason, server_reason) in [
        (
            "non-structural-new.json",
            "type must not be empty",
            "must not be empty for specified object fields",
        ),
        (
            "schemaless-new.json",
            "every version needs schema.openAPIV3Schema",
            "schema.openAPIV3Schema: Required value",
        ),
    ] {
        let new = e2e(file);
        let (code, found) = nexus_crd_invalid(empty, &new);
        assert_eq!(code, 1, "{file}: {found:?}");
        assert!(
            found.iter().any(|m| m.contains(reason)),
            "{file}: {found:?}"
        );
        if let Some(oracle) = oracle_create(&new) {
            assert!(
                oracle.iter().any(|m| m.contains(server_reason)),
                "{file}: {oracle:?}"
            );
        }
    }
}

/// `allowInvalidCABundle`: the server looks at a conversion webhook's `caBundle` only on an
/// update of an established CRD whose own bundle was valid (or absent); then it must hold a
/// certificate client-go can load. Not on create, not before the CRD is established.
#[test]
fn a_ca_bundle_is_checked_once_the_crd_is_established() {
    let accepted = [
        // Not established yet.
        ("base.json", "ca-bundle-invalid.json"),
        ("base.json", "ca-bundle-cut.json"),
        // Established, with an invalid bundle already.
        (
            "ca-bundle-invalid-established-old.json",
            "ca-bundle-invalid.json",
        ),
        // Established, a valid bundle added.
        ("established.json", "ca-bundle-established-old.json"),
    ];
    for (old, new) in accepted {
        let (old, new) = (e2e(old), e2e(new));
        let (code, found) = nexus_crd_invalid(&old, &new);
        assert!(found.is_empty(), "{old} -> {new}: {found:?}");
        assert_ne!(code, 2, "{new}");
        if let Some(oracle) = oracle_update(&old, &new) {
            assert!(
                oracle.is_empty(),
                "{old} -> {new}: the API server refuses: {oracle:?}"
            );
        }
    }
    // (old, new, the reason both give)
    let refused = [
        (
            "established.json",
            "ca-bundle-invalid.json",
            "unable to load root certificates: unable to parse bytes as PEM block",
        ),
        (
            "ca-bundle-established-old.json",
            "ca-bundle-invalid.json",
            "unable to load root certificates: unable to parse bytes as PEM block",
        ),
        (
            "ca-bundle-established-old.json",
            "ca-bundle-cut.json",
            "unable to load root certificates: failed to parse certificate: x509: malformed \
             certificate",
        ),
    ];
    for (old, new, reason) in refused {
        let (old, new) = (e2e(old), e2e(new));
        let (code, found) = nexus_crd_invalid(&old, &new);
        assert_eq!(code, 1, "{old} -> {new}: {found:?}");
        assert!(
            found.iter().any(|m| m.contains(reason)),
            "{old} -> {new}: {found:?}"
        );
        if let Some(oracle) = oracle_update(&old, &new) {
            assert!(
                oracle.iter().any(|m| m.contains(reason)),
                "{old} -> {new}: {oracle:?}"
            );
        }
    }
    // On create the bundle is not looked at; one that is not base64 cannot even be decoded.
    let empty = tempfile::tempdir().expect("tempdir");
    let empty = empty.path().to_str().expect("utf-8 path");
    let (code, found) = nexus_crd_invalid(empty, &e2e("ca-bundle-invalid.json"));
    assert!(found.is_empty(), "{found:?}");
    assert_ne!(code, 2);
    if let Some(oracle) = oracle_create(&e2e("ca-bundle-invalid.json")) {
        assert!(oracle.is_empty(), "{oracle:?}");
    }
    let not_base64 = e2e("ca-bundle-not-base64.json");
    let (code, found) = nexus_crd_invalid(empty, &not_base64);
    assert_eq!(code, 1, "{found:?}");
    assert!(
        found.iter().any(|m| m.contains("caBundle is not base64")),
        "{found:?}"
    );
    if let Some(oracle) = oracle_create(&not_base64) {
        assert!(
            oracle.iter().any(|m| m.contains("illegal base64 data")),
            "{oracle:?}"
        );
    }
}

/// `preexistingExpressions` changes nothing in this server version (its stored-expression CEL
/// environment equals the new-expression one, see ARCHITECTURE.md), and an expression already
/// in the old CRD is not exempt from the per-expression cost limit for that: only a version
/// whose schema is unchanged is (`suppressPerExpressionCost`).
#[test]
fn an_expression_over_the_rule_cost_passes_only_with_its_schema_unchanged() {
    let old = e2e("cel-cost-rule.json");
    // The same schema, the CRD relabelled: accepted.
    let relabelled = e2e("cel-cost-rule-relabelled.json");
    let (code, found) = nexus_crd_invalid(&old, &relabelled);
    assert!(found.is_empty(), "{found:?}");
    assert_ne!(code, 2);
    if let Some(oracle) = oracle_update(&old, &relabelled) {
        assert!(oracle.is_empty(), "{oracle:?}");
    }
    // The same expression, another field of the schema described: refused, as on create.
    let reason = "estimated rule cost exceeds budget by factor of 3.2x";
    for old in [old.as_str(), &e2e("base.json")] {
        let described = e2e("cel-cost-rule-described.json");
        let (code, found) = nexus_crd_invalid(old, &described);
        assert_eq!(code, 1, "{old}: {found:?}");
        assert!(found.iter().any(|m| m.contains(reason)), "{old}: {found:?}");
        if let Some(oracle) = oracle_update(old, &described) {
            assert!(
                oracle.iter().any(|m| m.contains(reason)),
                "{old}: {oracle:?}"
            );
        }
    }
}

/// Rules with cel-go's two-variable comprehensions (`all`, `exists`, `existsOne`, `exists_one`,
/// `transformList`, `transformMap`, `transformMapEntry`, with and without a filter) on a
/// property of a seed CRD: typed and costed by both sides. Among them the forms cel-go refuses
/// (non-identifier variables, a name twice, the accumulator's name, wrong types, ranges that are
/// not lists or maps) and nested comprehensions whose cost depends on the bounds.
fn two_variable_rule(crd: &mut Value, rng: &mut Rng) -> String {
    let objects: Vec<String> = nodes_of_type(crd, "object")
        .into_iter()
        .filter(|p| {
            crd.pointer(p)
                .and_then(|n| n.get("properties"))
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty())
        })
        .collect();
    let Some(p) = (!objects.is_empty()).then(|| rng.pick(&objects).clone()) else {
        return "no object".into();
    };
    let props: Vec<String> = crd
        .pointer(&p)
        .and_then(|n| n.get("properties"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let f = rng.pick(&props).clone();
    let templates: &[&str] = &[
        "self.{f}.all(i, v, true)",
        "self.{f}.all(i, v, v == v)",
        "self.{f}.exists(i, v, i == 0)",
        "self.{f}.exists(k, v, k == 'a')",
        "self.{f}.existsOne(i, v, v != null)",
        "self.{f}.exists_one(i, v, has(v.name))",
        "self.{f}.exists_one(i, i, true)",
        "self.{f}.all(i, v.x, true)",
        "self.{f}.all(__result__, v, true)",
        "self.{f}.all(i, v, i)",
        "self.{f}.all(i, v, true) == 1",
        "self.{f}.transformList(i, v, v).size() >= 0",
        "self.{f}.transformList(i, v, i > 0, v) == self.{f}",
        "self.{f}.transformList(i, v, v) == 1",
        "self.{f}.transformMap(i, v, v).size() >= 0",
        "self.{f}.transformMap(i, v, true, [v]).size() >= 0",
        "self.{f}.transformMapEntry(i, v, {v: i}).size() >= 0",
        "self.{f}.transformMapEntry(i, v, i != '', {'k': v}).size() >= 0",
        "self.{f}.transformMapEntry(i, v, v).size() >= 0",
        "self.{f}.all(i, v, self.{f}.exists(j, w, w == v))",
        "self.{f}.transformList(i, v, self.{f}.transformList(j, w, w)).size() > 0",
        "dyn(self.{f}).all(i, v, true)",
        "dyn(self.{f}).reverse().size() >= 0",
        "dyn(self.{f}).reverse() == 'a'",
        "self.{f}.map(x, x).all(i, v, v == v)",
    ];
    let rule = rng.pick(templates).replace("{f}", &f);
    let mut entry = json!({"rule": rule});
    if rng.below(4) == 0 {
        entry["messageExpression"] = json!(format!(
            "'found ' + (self.{f}.transformList(i, v, v).size() > 1 ? 'several' : 'one')"
        ));
    }
    push_rule(crd, &p, entry.clone());
    format!("two-variable cel {entry} at {p}")
}

#[test]
fn two_variable_rules_agree_with_the_api_server() {
    let Some(bin) = oracle_bin() else {
        println!("skipped: NEXUS_APISERVER_ORACLES is not set");
        return;
    };
    let seeds = seed_crds();
    let mut rng = Rng(0x0000_020b_a5e5_eed5);
    let cases: Vec<Case> = (0..env_count("NEXUS_DIFF_TWO_VAR", 200))
        .map(|i| {
            let seed = rng.pick(&seeds).clone();
            let mut new = seed.clone();
            let what = two_variable_rule(&mut new, &mut rng);
            Case {
                label: format!("two-variable #{i} {} {what}", name_of(&seed)),
                old: Some(seed),
                new,
            }
        })
        .collect();
    let (disagreements, compared) = compare_all(&bin, &cases);
    report("two-variable", &disagreements, compared);
}
