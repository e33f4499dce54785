//! Differential test: nexus's object validation (`nexus_schema::object`, used by `migrate plan`,
//! `install --dry-run` and the fake API server) against the API server's own handling of custom
//! resources (`$NEXUS_APISERVER_ORACLES/bin/cr-apiserver-validate`, built from
//! apiextensions-apiserver).
//!
//! Inputs: the CRDs of `testdata/apiserver_objects/` (real CRDs with enums, patterns, formats,
//! int-or-string, list-maps, CEL rules, defaults, embedded resources; a hand-written one with
//! nullable fields, floats and the CEL library functions; a hand-written one with the IP and
//! CIDR libraries; one with two-variable comprehensions; one with the lists, regex and semver
//! libraries), and objects a seeded generator builds from their schemas, inside and outside them
//! (`NEXUS_OBJECT_DIFF_COUNT=N` objects per CRD and operation, default 120). A string field whose
//! description names IPs or CIDRs gets addresses: valid and invalid, IPv4 and IPv6, canonical or
//! not; one that names a semver gets versions (valid, normalizable or not), one that names text
//! words, numbers and patterns that do not compile. Each object goes through both on create, and
//! as an update of another
//! generated object (possibly invalid, as if stored under an older schema: ratcheting applies).
//! Both must agree on accept/reject, on the fields pruned and on the object after defaulting.
//! The same objects then go over HTTP through the fake API server (`nexus_fakeapi`, one server
//! per CRD): a create as a dry-run POST, an update as a PUT over the old object seeded into
//! storage; it must agree with the oracle on accept/reject and on the stored object (pruned and
//! defaulted). Measured with the default count: 4,320 verdicts (2,160 objects, each through
//! object validation and the fake server), 0 disagreements, nothing in [`KNOWN`]; about 5 s.
//! With `NEXUS_OBJECT_DIFF_COUNT=500`: 18,000 verdicts, 0 disagreements; about 12 s.
//! Disagreements that are the oracle's limitation are in [`KNOWN`] with a reason; anything else
//! fails the test. `NEXUS_DIFF_REPORT=FILE` writes every disagreement with both sides' answers.
//!
//! Skipped, saying so, when `NEXUS_APISERVER_ORACLES` is unset.

use nexus_fakeapi::{FakeApiServer, FakeConfig};
use nexus_schema::object::{Checked, CrdChecker};
use nexus_schema::validate::pattern::compile_go;
use rayon::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Disagreements accepted on purpose: (a substring of the case label or of the oracle's first
/// error, why nexus differs).
const KNOWN: &[(&str, &str)] = &[];

fn oracle_bin() -> Option<PathBuf> {
    let dir = std::env::var_os("NEXUS_APISERVER_ORACLES")?;
    Some(Path::new(&dir).join("bin/cr-apiserver-validate"))
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/apiserver_objects")
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
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Strings tried, in order, against a `pattern`; the first that matches is used.
const PATTERN_CANDIDATES: &[&str] = &[
    "abc",
    "example.com",
    "example.com/controller",
    "foo-bar",
    "Ready",
    "A",
    "a1",
    "10s",
    "5m",
    "1h0m0s",
    "https://example.com/x",
    "ssh://git@example.com/repo",
    "0",
    "123",
    "ABC_123",
    "x.y/z",
    "/path",
    "sha256:abc",
    "v1.2.3",
];

const BAD_STRINGS: &[&str] = &[
    "",
    "Not Valid!",
    "ten",
    "http://insecure.example.com",
    "bad-duration",
    "2024-13-45",
    "1.2.3.4.5",
    "::ffff:10.0.0.1",
    "10.0.0.0/33",
    "very-long-value-that-goes-on-and-on-and-on-well-past-any-reasonable-maximum-length-of-sixty-three-or-so-characters-and-beyond-two-hundred-and-fifty-three-characters-with-some-more-padding-here-to-be-sure-it-is-really-long-enough-for-every-limit",
];

/// Strings for a field whose description says it holds an IP address: IPv4 and IPv6, canonical or
/// not, of every kind the IP library tells apart, and strings the API server's `ip()` refuses
/// (IPv4-mapped, zoned, leading zeros, out of range, a CIDR).
const IP_SAMPLES: &[&str] = &[
    "10.0.0.1",
    "192.168.1.10",
    "127.0.0.1",
    "0.0.0.0",
    "169.254.1.1",
    "224.0.0.251",
    "255.255.255.255",
    "::1",
    "::",
    "2001:db8::1",
    "2001:DB8::1",
    "2001:db8:0:0:0:0:0:1",
    "fe80::1",
    "ff02::1",
    "fd00::10",
    "::ffff:10.0.0.1",
    "fe80::1%eth0",
    "010.0.0.1",
    "10.0.0.256",
    "10.0.0",
    "1::2::3",
    "not-an-ip",
    "10.0.0.0/8",
];

/// Strings for a field whose description says it holds a CIDR: masked or not, IPv4 and IPv6, and
/// strings `cidr()` refuses.
const CIDR_SAMPLES: &[&str] = &[
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.0.0.1/8",
    "192.168.0.0/24",
    "192.168.0.0/30",
    "0.0.0.0/0",
    "2001:db8::/32",
    "2001:DB8::/48",
    "fd00::/8",
    "::/0",
    "10.0.0.0/33",
    "10.0.0.0",
    "::ffff:10.0.0.0/104",
    "10.0.0.0/08",
    "fe80::/10",
    "224.0.0.0/24",
];

/// Strings for a field whose description names a semver: valid versions (with pre-release and
/// build metadata, ordered differently), versions only `semver(s, true)` normalizes, and
/// strings blang/semver refuses.
const SEMVER_SAMPLES: &[&str] = &[
    "1.0.0",
    "1.2.3",
    "1.2.2",
    "0.1.0-alpha.1",
    "1.0.0-alpha",
    "1.0.0-beta.11",
    "1.0.0+build.5",
    "2.0.0",
    "v1.2.3",
    "1.2",
    "01.02.03",
    "1.0.0-01",
    "1.0.0+",
    "1.2-rc",
    "hello",
    "",
];

/// Strings for a field whose description says it holds text: words and numbers for the regex
/// library's `find`/`findAll`, and, for a field holding a pattern, patterns that do not compile.
const TEXT_SAMPLES: &[&str] = &[
    "abc 123",
    "123 abc 456",
    "x13y",
    "a b c",
    "1234",
    "",
    "[0-9]+",
    "[a-",
    "(x",
    "b*",
];

/// The samples of a string field whose description names what it holds (other than
/// addresses, see [`address_hint`]).
fn sample_hint(schema: &Value) -> Option<&'static [&'static str]> {
    let description = schema.get("description")?.as_str()?;
    let words: Vec<&str> = description
        .split(|c: char| !c.is_ascii_alphanumeric())
        .collect();
    if words.contains(&"semver") {
        Some(SEMVER_SAMPLES)
    } else if words
        .iter()
        .any(|w| matches!(*w, "text" | "Text" | "expression"))
    {
        Some(TEXT_SAMPLES)
    } else {
        None
    }
}

/// What a string field's description says it holds: `Some(true)` an IP address, `Some(false)` a
/// CIDR.
fn address_hint(schema: &Value) -> Option<bool> {
    let description = schema.get("description")?.as_str()?;
    let words: Vec<&str> = description
        .split(|c: char| !c.is_ascii_alphanumeric())
        .collect();
    if words.contains(&"CIDR") || words.contains(&"CIDRs") {
        Some(false)
    } else if words
        .iter()
        .any(|w| matches!(*w, "IP" | "IPs" | "IPv4" | "IPv6"))
    {
        Some(true)
    } else {
        None
    }
}

/// Values of the wrong type (or in no schema at all) put anywhere.
fn odd_values() -> Vec<Value> {
    vec![
        json!("ten"),
        json!(10),
        json!(2.0),
        json!(2.5),
        json!(-1),
        json!(true),
        json!([]),
        json!({}),
        json!(null),
        json!(["a", "a"]),
        json!({"unknownField": 1}),
    ]
}

fn format_sample(format: &str, rng: &mut Rng) -> Option<&'static str> {
    Some(match format {
        "date-time" => *rng.pick(&["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.5+01:00"]),
        "date" => "2024-01-02",
        "duration" => *rng.pick(&["5m", "1h30m", "10s"]),
        "ipv4" | "ip" => "10.0.0.1",
        "ipv6" => "::1",
        "uri" => "https://example.com/x",
        "hostname" => "example.com",
        "email" => "a@example.com",
        "uuid" => "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "byte" => "aGVsbG8=",
        "int-or-string" => "25%",
        "cidr" => "10.0.0.0/8",
        "mac" => "01:23:45:67:89:ab",
        _ => return None,
    })
}

/// A value for `schema`, meant to be inside it (CEL rules and cross-field constraints aside).
fn generate(schema: &Value, rng: &mut Rng, depth: usize) -> Value {
    let s = |k: &str| schema.get(k);
    if let Some(values) = s("enum")
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
    {
        return rng.pick(values).clone();
    }
    if s("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
        return if rng.chance(2) {
            json!(rng.below(5) + 1)
        } else {
            json!("25%")
        };
    }
    match s("type").and_then(Value::as_str).unwrap_or("") {
        "object" => generate_object(schema, rng, depth),
        "array" => generate_array(schema, rng, depth),
        "string" => generate_string(schema, rng),
        "integer" => {
            let min = s("minimum")
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
                .max(-5.0) as i64;
            let max = s("maximum").and_then(Value::as_f64).unwrap_or(1e6) as i64;
            json!((min + rng.below(3) as i64).min(max))
        }
        "number" => {
            let v = *rng.pick(&[1.5, 2.0, 0.25, 3.0]);
            let min = s("minimum").and_then(Value::as_f64).unwrap_or(f64::MIN);
            json!(if v < min { min } else { v })
        }
        "boolean" => json!(rng.chance(2)),
        _ => {
            if rng.chance(2) {
                json!({"free": "form", "n": 1})
            } else {
                json!("anything")
            }
        }
    }
}

fn generate_string(schema: &Value, rng: &mut Rng) -> Value {
    let mut out = match address_hint(schema) {
        Some(true) => rng.pick(IP_SAMPLES).to_string(),
        Some(false) => rng.pick(CIDR_SAMPLES).to_string(),
        None => match sample_hint(schema) {
            Some(samples) => rng.pick(samples).to_string(),
            None => String::from("abc"),
        },
    };
    if let Some(f) = schema.get("format").and_then(Value::as_str)
        && let Some(sample) = format_sample(f, rng)
    {
        out = sample.to_string();
    }
    if let Some(p) = schema.get("pattern").and_then(Value::as_str)
        && let Ok(re) = compile_go(p)
        && let Some(c) = PATTERN_CANDIDATES.iter().find(|c| re.is_match(c))
    {
        out = c.to_string();
    }
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    while out.chars().count() < min {
        out.push('a');
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
        out = out.chars().take(max as usize).collect();
    }
    json!(out)
}

fn generate_object(schema: &Value, rng: &mut Rng, depth: usize) -> Value {
    let mut out = Map::new();
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (key, prop) in props {
            if required.contains(key.as_str()) || (depth < 6 && rng.chance(2)) {
                out.insert(key.clone(), generate(prop, rng, depth + 1));
            }
        }
    }
    if let Some(additional) = schema.get("additionalProperties").filter(|a| a.is_object())
        && depth < 6
    {
        for i in 0..rng.below(3) {
            out.insert(format!("k{i}"), generate(additional, rng, depth + 1));
        }
    }
    if schema
        .get("x-kubernetes-embedded-resource")
        .and_then(Value::as_bool)
        == Some(true)
    {
        out.insert("apiVersion".into(), json!("v1"));
        out.insert("kind".into(), json!("ConfigMap"));
        out.insert("metadata".into(), json!({"name": "embedded"}));
    } else if out.is_empty()
        && schema.get("properties").is_none()
        && schema
            .get("x-kubernetes-preserve-unknown-fields")
            .and_then(Value::as_bool)
            == Some(true)
    {
        out.insert("free".into(), json!({"form": [1, 2.0]}));
    }
    Value::Object(out)
}

fn generate_array(schema: &Value, rng: &mut Rng, depth: usize) -> Value {
    let Some(items) = schema.get("items") else {
        return json!([]);
    };
    let max = schema.get("maxItems").and_then(Value::as_u64).unwrap_or(3) as usize;
    let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
    let count = (min + rng.below(3)).min(max).max(min);
    let mut out: Vec<Value> = (0..count)
        .map(|_| generate(items, rng, depth + 1))
        .collect();
    match schema.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("map") => {
            let keys: Vec<&str> = schema
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .map(|k| k.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (i, item) in out.iter_mut().enumerate() {
                for key in &keys {
                    if let Some(obj) = item.as_object_mut() {
                        let key_schema = items.pointer(&format!("/properties/{key}"));
                        let distinct = match key_schema.and_then(|k| k.get("type")) {
                            Some(t) if t == "integer" => json!(i + 1),
                            _ => {
                                let base = key_schema
                                    .map(|k| generate_string(k, rng))
                                    .and_then(|v| v.as_str().map(String::from))
                                    .unwrap_or_default();
                                // Keep enum and pattern values valid where the index alone is
                                // what distinguishes them (the first item keeps the value).
                                if i == 0 {
                                    json!(base)
                                } else {
                                    json!(format!("{base}{i}"))
                                }
                            }
                        };
                        obj.insert((*key).to_string(), distinct);
                    }
                }
            }
        }
        Some("set") => {
            let mut seen = BTreeSet::new();
            out.retain(|v| seen.insert(v.to_string()));
        }
        _ => {}
    }
    Value::Array(out)
}

/// JSON pointers of every value below the root (metadata, apiVersion and kind excluded).
fn value_paths(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if at.is_empty() && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                    continue;
                }
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                value_paths(child, &p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                value_paths(child, &p, out);
            }
        }
        _ => {}
    }
}

/// One change that may take the object outside its schema; returns what it did.
fn mutate(object: &mut Value, rng: &mut Rng) -> String {
    let mut paths = Vec::new();
    value_paths(object, "", &mut paths);
    match rng.below(12) {
        0 => {
            let long = "x".repeat(254);
            let bad = rng
                .pick(&["Bad_Name", "-a", "a..b", long.as_str()])
                .to_string();
            object["metadata"]["name"] = json!(bad);
            format!("name {bad}")
        }
        1 => {
            let (k, v) = *rng.pick(&[
                ("bad key!", "v"),
                ("ok", "bad value!"),
                ("example.com/ok", "ok"),
                ("-x", "y"),
                ("a/b/c", "d"),
            ]);
            object["metadata"]["labels"] = json!({ k: v });
            format!("label {k}={v}")
        }
        2 => {
            object["metadata"]["unknownMeta"] = json!(1);
            "unknown metadata field".into()
        }
        _ if paths.is_empty() => "nothing to mutate".into(),
        3 | 4 => {
            let p = rng.pick(&paths).clone();
            let v = rng.pick(&odd_values()).clone();
            let label = format!("{p} = {v}");
            *object.pointer_mut(&p).expect("path") = v;
            label
        }
        5 => {
            let p = rng.pick(&paths).clone();
            let (parent, key) = p.rsplit_once('/').expect("path");
            let parent = if parent.is_empty() {
                &mut *object
            } else {
                object.pointer_mut(parent).expect("parent")
            };
            match parent {
                Value::Object(m) => {
                    m.remove(key);
                }
                Value::Array(items) => {
                    items.remove(key.parse::<usize>().expect("index"));
                }
                _ => {}
            }
            format!("remove {p}")
        }
        6 => {
            let objects: Vec<&String> = paths
                .iter()
                .filter(|p| object.pointer(p).is_some_and(Value::is_object))
                .collect();
            match objects.as_slice() {
                [] => {
                    object["unknownTop"] = json!("x");
                    "unknown top-level field".into()
                }
                some => {
                    let p = (*rng.pick(some)).clone();
                    object.pointer_mut(&p).expect("path")["unknownField"] = json!({"x": 1});
                    format!("unknown field under {p}")
                }
            }
        }
        7 | 8 => {
            let strings: Vec<&String> = paths
                .iter()
                .filter(|p| object.pointer(p).is_some_and(Value::is_string))
                .collect();
            if strings.is_empty() {
                return "no strings".into();
            }
            let p = (*rng.pick(&strings)).clone();
            let bad = *rng.pick(BAD_STRINGS);
            *object.pointer_mut(&p).expect("path") = json!(bad);
            format!("{p} = {bad:?}")
        }
        9 => {
            let numbers: Vec<&String> = paths
                .iter()
                .filter(|p| object.pointer(p).is_some_and(Value::is_number))
                .collect();
            if numbers.is_empty() {
                return "no numbers".into();
            }
            let p = (*rng.pick(&numbers)).clone();
            let v = rng
                .pick(&[json!(-1), json!(1_000_000_000), json!(3.0), json!(0.5)])
                .clone();
            let label = format!("{p} = {v}");
            *object.pointer_mut(&p).expect("path") = v;
            label
        }
        10 => {
            let arrays: Vec<&String> = paths
                .iter()
                .filter(|p| {
                    object
                        .pointer(p)
                        .and_then(Value::as_array)
                        .is_some_and(|a| !a.is_empty())
                })
                .collect();
            if arrays.is_empty() {
                return "no lists".into();
            }
            let p = (*rng.pick(&arrays)).clone();
            let items = object
                .pointer_mut(&p)
                .and_then(Value::as_array_mut)
                .expect("list");
            let first = items[0].clone();
            items.push(first);
            format!("duplicate first item of {p}")
        }
        _ => {
            let embedded: Vec<&String> = paths
                .iter()
                .filter(|p| {
                    object.pointer(p).is_some_and(|v| {
                        v.get("apiVersion").is_some()
                            && v.get("metadata").is_some_and(Value::is_object)
                    })
                })
                .collect();
            if embedded.is_empty() {
                return "no embedded resource".into();
            }
            let p = (*rng.pick(&embedded)).clone();
            object.pointer_mut(&p).expect("path")["metadata"]["junk"] = json!(1);
            format!("unknown field in embedded metadata {p}")
        }
    }
}

/// One CRD's served versions with their schemas.
struct Crd {
    file: PathBuf,
    doc: Value,
    group: String,
    kind: String,
    versions: Vec<(String, Value)>,
}

fn load_crd(file: &Path) -> Crd {
    let text = std::fs::read_to_string(file).expect("read crd");
    let doc: Value = serde_saphyr::from_str(&text).expect("parse crd");
    let versions = doc["spec"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter(|v| v["served"] == json!(true))
        .map(|v| {
            (
                v["name"].as_str().expect("name").to_string(),
                v.pointer("/schema/openAPIV3Schema")
                    .cloned()
                    .unwrap_or(json!({})),
            )
        })
        .collect();
    Crd {
        file: file.to_path_buf(),
        group: doc["spec"]["group"].as_str().expect("group").to_string(),
        kind: doc["spec"]["names"]["kind"]
            .as_str()
            .expect("kind")
            .to_string(),
        doc,
        versions,
    }
}

/// A generated object: `new` (and `old` for an update), with what was done to it.
struct Case {
    label: String,
    new: Value,
    old: Option<Value>,
}

fn base_object(crd: &Crd, rng: &mut Rng, name: &str) -> Value {
    let (version, schema) = rng.pick(&crd.versions);
    let mut object = json!({
        "apiVersion": format!("{}/{version}", crd.group),
        "kind": crd.kind,
        "metadata": {"name": name},
    });
    if let Value::Object(generated) = generate(schema, rng, 0)
        && let Value::Object(out) = &mut object
    {
        for (k, v) in generated {
            // Status is the status subresource's, dropped on create: not generated.
            if !matches!(k.as_str(), "apiVersion" | "kind" | "metadata" | "status") {
                out.insert(k, v);
            }
        }
    }
    object
}

fn cases(crd: &Crd, count: usize, seed: u64) -> (Vec<Case>, Vec<Case>) {
    let mut rng = Rng(seed);
    let mut creates = Vec::new();
    for i in 0..count {
        let mut new = base_object(crd, &mut rng, &format!("obj-{i}"));
        let mut label = Vec::new();
        for _ in 0..rng.below(3) {
            label.push(mutate(&mut new, &mut rng));
        }
        creates.push(Case {
            label: format!("create obj-{i} [{}]", label.join("; ")),
            new,
            old: None,
        });
    }
    let mut updates = Vec::new();
    for i in 0..count {
        let name = format!("upd-{i}");
        let mut old = base_object(crd, &mut rng, &name);
        let mut label = Vec::new();
        // Half of the old objects break the schema (stored under an older one): unchanged,
        // their problems are ratcheted.
        if rng.chance(2) {
            // Storage holds no embedded resource whose apiVersion, kind or metadata cannot be
            // decoded (the oracle refuses such an old object): those mutations are redrawn.
            for _ in 0..8 {
                let mut candidate = old.clone();
                let m = mutate(&mut candidate, &mut rng);
                if !["/apiVersion", "/kind", "/metadata"]
                    .iter()
                    .any(|p| m.contains(p))
                {
                    old = candidate;
                    label.push(format!("old: {m}"));
                    break;
                }
            }
        }
        old["metadata"]["name"] = json!(name);
        let mut new = old.clone();
        for _ in 0..rng.below(2) + 1 {
            label.push(mutate(&mut new, &mut rng));
        }
        new["metadata"]["name"] = json!(name);
        updates.push(Case {
            label: format!("update {name} [{}]", label.join("; ")),
            new,
            old: Some(old),
        });
    }
    (creates, updates)
}

/// The oracle's answer for one object.
#[derive(Debug, Default)]
struct Oracle {
    accepted: bool,
    errors: Vec<String>,
    pruned: BTreeSet<String>,
    request_object: Option<Value>,
}

fn run_oracle(bin: &Path, dir: &Path, crd: &Crd, cases: &[Case]) -> Vec<Oracle> {
    let join = |values: Vec<&Value>| -> String {
        values
            .iter()
            .map(|v| serde_json::to_string(v).expect("json"))
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    let new_file = dir.join("new.json");
    std::fs::write(&new_file, join(cases.iter().map(|c| &c.new).collect())).expect("write");
    let mut cmd = Command::new(bin);
    cmd.arg("-quiet");
    let olds: Vec<&Value> = cases.iter().filter_map(|c| c.old.as_ref()).collect();
    if !olds.is_empty() {
        let old_file = dir.join("old.json");
        std::fs::write(&old_file, join(olds)).expect("write");
        cmd.arg("-old").arg(old_file);
    }
    let out = cmd
        .arg(&crd.file)
        .arg(&new_file)
        .output()
        .expect("run oracle");
    assert!(
        out.status.success(),
        "cr-apiserver-validate failed on {}: {}",
        crd.file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<Oracle> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("oracle json");
            let list = |key: &str| -> Vec<String> {
                v[key]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let mut pruned: BTreeSet<String> = list("pruned").into_iter().collect();
            pruned.extend(list("nulls_dropped"));
            Oracle {
                accepted: v["accepted"] == json!(true),
                errors: list("errors"),
                pruned,
                request_object: v.get("request_object").cloned(),
            }
        })
        .collect();
    assert_eq!(answers.len(), cases.len(), "one oracle line per object");
    answers
}

/// Nexus's answer for one object: what `migrate plan`, `install --dry-run` and the fake server
/// run.
fn nexus(checker: &CrdChecker, case: &Case) -> (Checked, Option<Value>) {
    let version = case.new["apiVersion"]
        .as_str()
        .and_then(|v| v.rsplit_once('/'))
        .map_or("", |(_, v)| v);
    let Some(check) = checker.version(version) else {
        panic!("generated object of an unknown version: {}", case.label);
    };
    check.admit(&case.new, case.old.as_ref())
}

/// Object fields compared for defaults: everything but metadata (the server adds namespace and
/// its own fields there) and status (dropped or kept by the status subresource).
fn comparable(object: &Value) -> Value {
    let mut object = object.clone();
    if let Value::Object(m) = &mut object {
        m.remove("metadata");
        m.remove("status");
    }
    normalize_numbers(&object)
}

/// The server's JSON prints `2.0` as `2`: numbers are compared by value.
fn normalize_numbers(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(items) => Value::Array(items.iter().map(normalize_numbers).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), normalize_numbers(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[derive(Debug)]
struct Disagreement {
    crd: String,
    label: String,
    what: &'static str,
    oracle: String,
    nexus: String,
}

impl Disagreement {
    /// A disagreement on `case` of `crd`; `who` prefixes the label ("fake-apiserver " for the
    /// fake server's answers).
    fn new(
        crd: &Crd,
        case: &Case,
        who: &str,
        what: &'static str,
        oracle: String,
        nexus: String,
    ) -> Disagreement {
        let label = match &case.old {
            Some(old) => format!("{who}{} {} old: {old}", case.label, case.new),
            None => format!("{who}{} {}", case.label, case.new),
        };
        Disagreement {
            crd: crd.doc["metadata"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            label,
            what,
            oracle,
            nexus,
        }
    }

    fn known(&self) -> Option<&'static str> {
        KNOWN
            .iter()
            .find(|(needle, _)| {
                self.label.contains(needle)
                    || self.oracle.contains(needle)
                    || self.nexus.contains(needle)
            })
            .map(|(_, reason)| *reason)
    }
}

fn compare(crd: &Crd, cases: &[Case], answers: &[Oracle]) -> Vec<Disagreement> {
    let checker = CrdChecker::new(&crd.doc);
    let mut out = Vec::new();
    for (case, oracle) in cases.iter().zip(answers) {
        let (checked, stored) = nexus(&checker, case);
        let mut push =
            |what, oracle, nexus| out.push(Disagreement::new(crd, case, "", what, oracle, nexus));
        let nexus_errors: Vec<String> = checked
            .invalid
            .iter()
            .map(|p| format!("{}: {}", p.path, p.reason))
            .collect();
        if !checked.not_checked.is_empty() {
            push(
                "not checked",
                format!("accepted={} {}", oracle.accepted, oracle.errors.join(" | ")),
                checked
                    .not_checked
                    .iter()
                    .map(|u| format!("{}: `{}`: {}", u.path, u.rule, u.reason))
                    .collect::<Vec<_>>()
                    .join(" | "),
            );
        }
        let accepted = checked.invalid.is_empty();
        if accepted != oracle.accepted {
            push(
                if oracle.accepted {
                    "wrongly rejected"
                } else {
                    "missed"
                },
                oracle.errors.join(" | "),
                nexus_errors.join(" | "),
            );
            continue;
        }
        // What a rejected request would have dropped is not stored anyway: compared for
        // accepted objects.
        if !accepted {
            continue;
        }
        let pruned: BTreeSet<String> = checked
            .pruned
            .iter()
            .map(|p| p.path.trim_start_matches('.').to_string())
            .collect();
        if pruned != oracle.pruned {
            push(
                "pruned",
                format!("{:?}", oracle.pruned),
                format!("{pruned:?}"),
            );
        }
        if let Some(seen) = &oracle.request_object {
            let ours = comparable(stored.as_ref().unwrap_or(&case.new));
            if ours != comparable(seen) {
                push("defaults", comparable(seen).to_string(), ours.to_string());
            }
        }
    }
    out
}

/// The fake API server's answer for one object: accepted, and the object it would store.
struct FakeAnswer {
    accepted: bool,
    errors: String,
    stored: Option<Value>,
}

/// Sends one request to the fake server; its status code and JSON answer.
fn http(server: &FakeApiServer, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let body = body.to_string();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut tcp = TcpStream::connect(server.addr()).expect("connects");
    tcp.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    tcp.write_all(request.as_bytes()).expect("request sent");
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).expect("answer read");
    let code = answer[9..12].parse().expect("a status code");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    (code, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// The collection path of the CRD's objects of `version` (namespace `ns1` when namespaced).
fn collection(crd: &Crd, version: &str) -> String {
    let plural = crd.doc["spec"]["names"]["plural"].as_str().expect("plural");
    if crd.doc["spec"]["scope"] == json!("Namespaced") {
        format!("/apis/{}/{version}/namespaces/ns1/{plural}", crd.group)
    } else {
        format!("/apis/{}/{version}/{plural}", crd.group)
    }
}

fn version_of(object: &Value) -> String {
    object["apiVersion"]
        .as_str()
        .and_then(|v| v.rsplit_once('/'))
        .map_or("", |(_, v)| v)
        .to_string()
}

/// Runs every case through the fake API server over HTTP, as `kubectl create` and `kubectl
/// replace` would: a create as a dry-run POST (nothing stored, so generated names never
/// collide); an update as a PUT over the old object seeded into storage without the schema's
/// verdict (as if written under an older schema).
fn run_fake(server: &FakeApiServer, crd: &Crd, cases: &[Case]) -> Vec<FakeAnswer> {
    let namespaced = crd.doc["spec"]["scope"] == json!("Namespaced");
    let placed = |object: &Value| {
        let mut object = object.clone();
        if namespaced && object["metadata"].is_object() {
            object["metadata"]["namespace"] = json!("ns1");
        }
        object
    };
    cases
        .iter()
        .map(|case| {
            let new = placed(&case.new);
            let (code, answer) = match &case.old {
                None => {
                    let path = format!("{}?dryRun=All", collection(crd, &version_of(&new)));
                    http(server, "POST", &path, &new)
                }
                Some(old) => {
                    // Storage cannot hold labels the server refuses (metadata is validated on
                    // every write, never ratcheted): such an old object is seeded without them;
                    // the update still carries its own labels.
                    let seeded = server.seed_object(&placed(old)).or_else(|_| {
                        let mut unlabelled = placed(old);
                        if let Some(meta) = unlabelled["metadata"].as_object_mut() {
                            meta.remove("labels");
                        }
                        server.seed_object(&unlabelled)
                    });
                    let seeded = seeded.unwrap_or_else(|e| panic!("seeding {}: {e:?}", case.label));
                    let mut new = new;
                    new["metadata"]["resourceVersion"] =
                        seeded["metadata"]["resourceVersion"].clone();
                    let name = new["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    let path = format!("{}/{name}", collection(crd, &version_of(&new)));
                    http(server, "PUT", &path, &new)
                }
            };
            let accepted = matches!(code, 200 | 201);
            FakeAnswer {
                accepted,
                errors: if accepted {
                    String::new()
                } else {
                    format!("{code} {}", answer["message"].as_str().unwrap_or_default())
                },
                stored: accepted.then_some(answer),
            }
        })
        .collect()
}

/// The fake API server against the oracle: accept/reject, and the stored object (pruned and
/// defaulted) of what both accept.
fn compare_fake(
    crd: &Crd,
    cases: &[Case],
    answers: &[Oracle],
    fake: &[FakeAnswer],
) -> Vec<Disagreement> {
    let mut out = Vec::new();
    for ((case, oracle), fake) in cases.iter().zip(answers).zip(fake) {
        let mut push = |what, oracle, nexus| {
            out.push(Disagreement::new(
                crd,
                case,
                "fake-apiserver ",
                what,
                oracle,
                nexus,
            ))
        };
        if fake.accepted != oracle.accepted {
            push(
                if oracle.accepted {
                    "wrongly rejected"
                } else {
                    "missed"
                },
                oracle.errors.join(" | "),
                fake.errors.clone(),
            );
            continue;
        }
        if let (Some(seen), Some(stored)) = (&oracle.request_object, &fake.stored)
            && comparable(stored) != comparable(seen)
        {
            push(
                "stored object",
                comparable(seen).to_string(),
                comparable(stored).to_string(),
            );
        }
    }
    out
}

fn report(disagreements: &[Disagreement], compared: usize) {
    let unknown: Vec<&Disagreement> = disagreements
        .iter()
        .filter(|d| d.known().is_none())
        .collect();
    let known = disagreements.len() - unknown.len();
    let summary = format!(
        "{compared} objects compared, {} disagreements, {known} known",
        unknown.len()
    );
    println!("{summary}");
    for d in disagreements {
        if let Some(reason) = d.known() {
            println!("known: {} {}: {reason}", d.crd, d.label);
        }
    }
    let text = |d: &Disagreement| {
        format!(
            "{} {} {}\n  oracle: {}\n  nexus: {}",
            d.what, d.crd, d.label, d.oracle, d.nexus
        )
    };
    if let Ok(file) = std::env::var("NEXUS_DIFF_REPORT") {
        let all: Vec<String> = disagreements.iter().map(text).collect();
        std::fs::write(format!("{file}.objects"), all.join("\n")).expect("write report");
    }
    let shown: Vec<String> = unknown.iter().take(15).map(|d| text(d)).collect();
    assert!(unknown.is_empty(), "{summary}\n{}", shown.join("\n"));
}

#[test]
fn generated_objects_agree_with_the_api_server() {
    let Some(bin) = oracle_bin() else {
        println!("skipped: NEXUS_APISERVER_ORACLES is not set");
        return;
    };
    let count: usize = std::env::var("NEXUS_OBJECT_DIFF_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata())
        .expect("testdata/apiserver_objects")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "the rich CRDs are in testdata/apiserver_objects"
    );
    let results: Vec<(Vec<Disagreement>, usize)> = files
        .par_iter()
        .enumerate()
        .map(|(i, file)| {
            let crd = load_crd(file);
            let scratch = tempfile::tempdir().expect("tempdir");
            let (creates, updates) = cases(&crd, count, 0x000b_1ec7 + i as u64);
            let server = FakeApiServer::start(FakeConfig::default()).expect("the server starts");
            server.seed_crd(&crd.doc).expect("the CRD is seeded");
            let mut found = Vec::new();
            for batch in [&creates, &updates] {
                let answers = run_oracle(&bin, scratch.path(), &crd, batch);
                found.extend(compare(&crd, batch, &answers));
                let fake = run_fake(&server, &crd, batch);
                found.extend(compare_fake(&crd, batch, &answers, &fake));
            }
            // Each object is compared twice: object validation and the fake API server.
            (found, 2 * (creates.len() + updates.len()))
        })
        .collect();
    let compared = results.iter().map(|(_, n)| n).sum();
    let all: Vec<Disagreement> = results.into_iter().flat_map(|(d, _)| d).collect();
    report(&all, compared);
}
