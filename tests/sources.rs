//! Loading file and directory sources from `testdata/sources/`.

use nexus::crd::CrdSet;
use nexus::source::{SourceSpec, load, load_path};
use serde_json::json;
use std::path::{Path, PathBuf};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/sources")
        .join(rel)
}

fn load_data(rel: &str) -> CrdSet {
    let path = data(rel);
    load_path(&path, rel).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The error for a testdata path, with the directory prefix cut so expectations stay short.
fn load_error(rel: &str) -> String {
    let path = data(rel);
    let err = load_path(&path, rel).expect_err(rel).to_string();
    let prefix = format!("{}/", data("").display().to_string().trim_end_matches('/'));
    err.replace(&prefix, "")
}

fn names(set: &CrdSet) -> Vec<&str> {
    set.crds.keys().map(String::as_str).collect()
}

#[test]
fn directory_with_multi_document_yaml_nested_dirs_and_json() {
    let set = load_data("multi");
    assert_eq!(set.label, "multi");
    assert_eq!(
        names(&set),
        [
            "bars.example.com",
            "bazs.example.com",
            "foos.example.com",
            "quxes.example.com"
        ]
    );
    // The ConfigMap; the empty and comment-only documents are not counted.
    assert_eq!(set.skipped_documents, 1);
    let origin = |name: &str| {
        let o = &set.crds[name].origin;
        let file = Path::new(&o.file).strip_prefix(data("multi")).unwrap();
        format!("{}:{}", file.display(), o.line.unwrap())
    };
    assert_eq!(origin("foos.example.com"), "bundle.yaml:4");
    assert_eq!(origin("bars.example.com"), "bundle.yaml:43");
    assert_eq!(origin("bazs.example.com"), "nested/more.yml:1");
    assert_eq!(origin("quxes.example.com"), "c.json:1");
}

#[test]
fn numbers_stay_faithful() {
    let set = load_data("multi");
    let foo = &set.crds["foos.example.com"].doc;
    let props = &foo["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"];
    assert_eq!(props["replicas"]["maximum"], json!(5));
    assert!(props["replicas"]["maximum"].is_u64(), "5 stays an integer");
    assert_eq!(props["ratio"]["maximum"], json!(1.5));
    assert_eq!(
        serde_json::to_string(&props["replicas"]["default"]).unwrap(),
        "1"
    );

    let qux = &set.crds["quxes.example.com"].doc;
    let props = &qux["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"];
    // Above 2^53: a float would lose the last digit.
    assert_eq!(
        props["size"]["maximum"].as_u64(),
        Some(9_007_199_254_740_993)
    );
    assert_eq!(props["size"]["minimum"].as_i64(), Some(-5));
    assert_eq!(props["ratio"]["multipleOf"], json!(0.25));
    // Quoted JSON strings stay strings, escapes decoded.
    assert_eq!(props["mode"]["enum"], json!(["on", "off", "yes", "="]));
    assert_eq!(
        props["mode"]["description"],
        json!("caf\u{e9} \u{2713} \"quoted\" \\ / \u{1}")
    );
}

#[test]
fn json_file_matches_serde_json() {
    let path = data("multi/c.json");
    let set = load_path(&path, "c.json").unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(set.crds["quxes.example.com"].doc, expected);
}

#[test]
fn a_real_crd_loads_whole() {
    let set = load_data("real/source.toolkit.fluxcd.io_externalartifacts.yaml");
    assert_eq!(names(&set), ["externalartifacts.source.toolkit.fluxcd.io"]);
    let doc = &set.crds["externalartifacts.source.toolkit.fluxcd.io"].doc;
    assert_eq!(doc["spec"]["names"]["kind"], json!("ExternalArtifact"));
    assert_eq!(
        doc["spec"]["versions"][0]["additionalPrinterColumns"][1]["jsonPath"],
        json!(".status.conditions[?(@.type==\"Ready\")].status")
    );
}

#[test]
fn a_plain_equals_sign_is_a_string() {
    let set = load_data("matchers");
    let doc = &set.crds["alertmanagerconfigs.monitoring.coreos.com"].doc;
    let enum_values = doc.pointer(
        "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/inhibitRules/items/properties/sourceMatch/items/properties/matchType/enum",
    );
    assert_eq!(enum_values, Some(&json!(["!=", "=", "=~", "!~"])));
}

#[test]
fn only_other_kinds_is_an_empty_set() {
    let set = load_data("only-others");
    assert!(set.is_empty());
    assert_eq!(set.skipped_documents, 3);
}

#[test]
fn an_empty_directory_is_an_empty_set() {
    let dir = tempfile::tempdir().unwrap();
    let set = load_path(dir.path(), "empty").unwrap();
    assert!(set.is_empty());
    assert_eq!(set.skipped_documents, 0);
}

#[test]
fn an_empty_file_is_an_empty_set() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.yaml");
    std::fs::write(&path, "").unwrap();
    assert!(load_path(&path, "empty").unwrap().is_empty());
}

#[test]
fn load_dispatches_on_the_spec() {
    let spec = SourceSpec::parse(data("multi").to_str().unwrap());
    assert_eq!(load(&spec, "m").unwrap().crds.len(), 4);
    let err = load(&SourceSpec::parse("git:main"), "g")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "git:main is neither a file nor a git source: a git source is git:REV:PATH, e.g. git:main:build/crds"
    );
}

#[test]
fn errors() {
    let cases = [
        (
            "dup",
            "two CRDs named foos.example.com in one set: dup/a.yaml:1 and dup/b.yaml:12; keep one",
        ),
        (
            "malformed",
            "malformed/bad.yaml:8:8: while parsing a flow mapping, did not find expected ',' or '}'; fix the YAML there",
        ),
        (
            "noname/crd.yaml",
            "noname/crd.yaml:7: CustomResourceDefinition without metadata.name; name it <plural>.<group>",
        ),
        (
            "duplicate-key.yaml",
            "duplicate-key.yaml:8:3: duplicate key 'group' in one mapping; keep only one of them",
        ),
        (
            "latin1.yaml",
            "latin1.yaml:4:12: invalid UTF-8 (byte offset 52); nexus reads YAML and JSON as UTF-8: convert the file to UTF-8",
        ),
        (
            "too-deep.json",
            "too-deep.json:1:6001: nested deeper than 1000 levels of mappings and sequences; nexus refuses documents this deep (real CRDs nest fewer than 64 levels): check how the file was generated",
        ),
        (
            "no-such-dir",
            "cannot read no-such-dir: no such file or directory",
        ),
    ];
    for (rel, want) in cases {
        assert_eq!(load_error(rel), want, "{rel}");
    }
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let started = std::time::Instant::now();
    let err = load_error("bomb.yaml");
    assert!(err.starts_with("bomb.yaml:"), "{err}");
    assert!(err.contains("as an alias bomb does"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100_000;
    let cases = [
        ("flow.yaml", "[".repeat(n) + &"]".repeat(n)),
        ("block.yaml", "- ".repeat(n) + "x\n"),
        ("keys.yaml", "? ".repeat(n) + "x\n"),
        ("json.json", "{\"a\":".repeat(n) + "1" + &"}".repeat(n)),
    ];
    for (name, text) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let err = load_path(&path, name).unwrap_err().to_string();
        assert!(
            err.contains("nested deeper than 1000 levels"),
            "{name}: {err}"
        );
    }
}

#[test]
fn the_first_error_in_file_order_is_reported() {
    // Many good files and two bad ones: parallel parsing must not change which error is shown.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        std::fs::write(dir.path().join(format!("f{i:02}.yaml")), "a: 1\n").unwrap();
    }
    std::fs::write(dir.path().join("f13.yaml"), "a: [\n").unwrap();
    std::fs::write(dir.path().join("f27.yaml"), "a: {\n").unwrap();
    for _ in 0..5 {
        let err = load_path(dir.path(), "d").unwrap_err().to_string();
        assert!(err.contains("f13.yaml:"), "{err}");
    }
}
