//! Real upgrades of public projects (copied from ../shared/corpus into testdata/corpus): the changes
//! that the corpus README documents must come out with the right rule and severity.

use assert_cmd::Command;
use serde_json::Value;

fn diff(pair: &str) -> (i32, Vec<Value>) {
    let dir = format!("{}/testdata/corpus/{pair}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::cargo_bin("nexus")
        .unwrap()
        .args([
            "datamodel",
            "diff",
            &format!("{dir}/old"),
            &format!("{dir}/new"),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    (
        out.status.code().unwrap(),
        json["changes"].as_array().unwrap().clone(),
    )
}

fn has(
    changes: &[Value],
    rule: &str,
    severity: &str,
    version: Option<&str>,
    path_end: &str,
) -> bool {
    changes.iter().any(|c| {
        c["rule"] == rule
            && c["severity"] == severity
            && c["version"].as_str() == version
            && c["path"].as_str().is_some_and(|p| p.ends_with(path_end))
    })
}

#[test]
fn prometheus_operator_0_79_1_renamed_a_field() {
    // CHANGELOG 0.79.1 #7199: scrapeFallbackProtocol -> fallbackScrapeProtocol.
    let (code, changes) = diff("prometheus-v0.79.0-v0.79.1");
    assert_eq!(code, 1);
    assert!(has(
        &changes,
        "field-removed",
        "breaking",
        Some("v1"),
        "/properties/spec/properties/scrapeFallbackProtocol"
    ));
    assert!(has(
        &changes,
        "field-added",
        "compatible",
        Some("v1"),
        "/properties/spec/properties/fallbackScrapeProtocol"
    ));
}

#[test]
fn flux_helm_controller_1_4_removed_a_served_version() {
    // CHANGELOG 1.4.0: the v2beta1 APIs were removed.
    let (code, changes) = diff("flux-helm-v1.3.0-v1.4.0");
    assert_eq!(code, 1);
    assert!(has(
        &changes,
        "crd-version-removed",
        "breaking",
        Some("v2beta1"),
        "/spec/versions/name=v2beta1"
    ));
    // chartRef.kind gained ExternalArtifact; kubeConfig.secretRef is no longer required.
    assert!(has(
        &changes,
        "enum-value-added",
        "warning",
        Some("v2"),
        "/properties/chartRef/properties/kind/enum"
    ));
    assert!(has(
        &changes,
        "required-removed",
        "warning",
        Some("v2"),
        "/properties/kubeConfig/required"
    ));
}

#[test]
fn external_secrets_0_17_stopped_serving_v1beta1() {
    let (code, changes) = diff("external-secrets-v0.16.0-v0.17.0");
    assert_eq!(code, 1);
    assert!(has(
        &changes,
        "crd-version-unserved",
        "breaking",
        Some("v1beta1"),
        "/spec/versions/name=v1beta1/served"
    ));
}

#[test]
fn gateway_api_1_5_added_reference_grant_v1() {
    let (code, changes) = diff("gateway-standard-v1.4.0-v1.5.0-referencegrants");
    assert_eq!(code, 0);
    assert!(has(
        &changes,
        "crd-version-added",
        "compatible",
        Some("v1"),
        "/spec/versions/name=v1"
    ));
    assert!(
        changes.iter().all(|c| c["severity"] == "compatible"),
        "{changes:?}"
    );
}

#[test]
fn tekton_1_13_dropped_short_names_which_is_a_warning() {
    // RULES.md: a removed shortNames entry is crd-names-changed (warning): kubectl shortcuts
    // break, stored objects and API clients do not.
    let (code, changes) = diff("tekton-v1.0.0-v1.13.0-resolutionrequest");
    assert_eq!(code, 0);
    let removed: Vec<&Value> = changes
        .iter()
        .filter(|c| c["rule"] == "crd-names-changed")
        .collect();
    assert_eq!(removed.len(), 2, "{changes:?}");
    assert!(
        removed
            .iter()
            .all(|c| c["severity"] == "warning" && c["path"] == "/spec/names/shortNames")
    );
    let old: Vec<&str> = removed.iter().filter_map(|c| c["old"].as_str()).collect();
    assert_eq!(old, ["resolutionrequest", "resolutionrequests"]);
}
