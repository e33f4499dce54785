//! Real CRDs from the corpus (copied to `testdata/validate/`): the API server accepts them, so
//! `crd-invalid` must find nothing; and objects validate against their schemas as the server
//! would treat them.

use nexus::compare::invalid::check_invalid;
use nexus::validate::{Validator, ViolationKind};
use serde_json::{Value, json};

const FILES: [&str; 3] = [
    "gateway.networking.k8s.io_listenersets.yaml",
    "cluster.x-k8s.io_machinehealthchecks.yaml",
    "source.toolkit.fluxcd.io_gitrepositories.yaml",
];

fn load(file: &str) -> Value {
    let path = format!("{}/testdata/validate/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    // Real CRDs nest deeper than serde-saphyr's default budget allows.
    let mut options = serde_saphyr::Options::default();
    options.budget = None;
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(&text, options)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(docs.len(), 1, "{path}: one CRD per file");
    docs.into_iter().next().unwrap_or_default()
}

#[test]
fn accepted_crds_are_not_invalid() {
    for file in FILES {
        let crd = load(file);
        assert!(nexus::crd::is_crd(&crd), "{file}");
        let name = crd["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let changes = check_invalid(&name, &crd);
        assert!(changes.is_empty(), "{file}: {changes:#?}");
    }
}

fn git_repository_validator() -> Validator {
    let crd = load("source.toolkit.fluxcd.io_gitrepositories.yaml");
    let versions = crd["spec"]["versions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let v1 = versions
        .iter()
        .find(|v| v["name"] == "v1")
        .expect("GitRepository has a v1");
    Validator::new(&v1["schema"]["openAPIV3Schema"])
}

fn git_repository(spec: Value) -> Value {
    json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": "podinfo", "namespace": "flux-system"},
        "spec": spec
    })
}

#[test]
fn a_valid_object_passes() {
    let validator = git_repository_validator();
    let object = git_repository(json!({
        "interval": "5m0s",
        "url": "https://github.com/stefanprodan/podinfo",
        "ref": {"branch": "master"}
    }));
    let violations = validator.validate(&object);
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn a_broken_object_is_rejected_and_unknown_fields_pruned() {
    let validator = git_repository_validator();
    let object = git_repository(json!({
        "interval": "5 minutes",
        "url": "ftp://example.com/repo",
        "provider": "gitlab",
        "refs": {"branch": "main"}
    }));
    let violations = validator.validate(&object);
    let mut found: Vec<(ViolationKind, &str)> = violations
        .iter()
        .map(|v| (v.kind, v.path.as_str()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (ViolationKind::Invalid, ".spec.interval"),
            (ViolationKind::Invalid, ".spec.provider"),
            (ViolationKind::Invalid, ".spec.url"),
            (ViolationKind::Pruned, ".spec.refs"),
        ],
        "{violations:#?}"
    );
}
