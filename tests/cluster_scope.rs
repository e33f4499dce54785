//! `cluster:` means what a user expects: a whole-cluster side of `diff` is narrowed to the CRD
//! names of the other side (a cluster's unrelated CRDs are not "removed"), `cluster:NAME` is one
//! CRD, and the report says how the cluster was narrowed (text and JSON). Also what install says
//! when warnings alone refuse it. The built binary against the in-process fake API server.

mod install_support;

use install_support::*;
use serde_json::{Value, json};

fn widgets(fields: &[(&str, &str)]) -> Value {
    crd(
        "widgets",
        "shop.example.com",
        "Widget",
        &[version("v1", true, fields)],
    )
}

/// A cluster with widgets and two CRDs that have nothing to do with them.
fn cluster() -> Cluster {
    let cluster = Cluster::start();
    for doc in [
        widgets(&[("size", "integer")]),
        crd(
            "gadgets",
            "shop.example.com",
            "Gadget",
            &[version("v1", true, &[("color", "string")])],
        ),
        crd(
            "certificates",
            "cert-manager.io",
            "Certificate",
            &[version("v1", true, &[("dnsName", "string")])],
        ),
    ] {
        cluster.server.seed_crd(&doc).expect("seeded");
    }
    cluster
}

/// `nexus datamodel diff OLD NEW --kubeconfig ... ARGS`: exit code and stdout.
fn diff(cluster: &Cluster, old: &str, new: &str, args: &[&str]) -> (i32, String) {
    let out = nexus_in(cluster.dir.path())
        .args(["datamodel", "diff", old, new, "--kubeconfig"])
        .arg(&cluster.kubeconfig)
        .args(args)
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let code = out.status.code().expect("exit code");
    assert_ne!(code, 2, "{text}{}", String::from_utf8_lossy(&out.stderr));
    (code, text)
}

fn rules(json: &Value) -> Vec<String> {
    json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["rule"].as_str().unwrap(),
                c["crd"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_whole_cluster_old_side_is_narrowed_to_the_crds_of_the_new_side() {
    let cluster = cluster();
    cluster.crds(
        "build",
        &[widgets(&[("size", "integer"), ("label", "string")])],
    );
    let (code, out) = diff(&cluster, "cluster:", "build", &["--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let json: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(
        rules(&json),
        ["field-added widgets.shop.example.com"],
        "unrelated CRDs must not be removed"
    );
    assert_eq!(
        json["scope"],
        json!({"side": "old", "source": "cluster:", "to": "the CRD names of build",
               "compared": 1, "skipped": 2})
    );
    let (code, out) = diff(&cluster, "cluster:", "build", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "comparing cluster: (1 CRD) -> build (1 CRD)\ncluster: scoped to the CRD names of build: 1 CRD compared, 2 other CRDs of the cluster left out\n"
        ),
        "{out}"
    );
}

#[test]
fn a_whole_cluster_new_side_is_narrowed_to_the_crds_of_the_old_side() {
    let cluster = cluster();
    cluster.crds(
        "build",
        &[widgets(&[("size", "integer"), ("label", "string")])],
    );
    let (code, out) = diff(&cluster, "build", "cluster:", &["--format", "json"]);
    // The cluster lacks `label`: removed, breaking; nothing is "added" from the rest.
    assert_eq!(code, 1, "{out}");
    let json: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(rules(&json), ["field-removed widgets.shop.example.com"]);
    assert_eq!(json["scope"]["side"], "new");
    assert_eq!(json["scope"]["skipped"], 2);
}

#[test]
fn a_crd_missing_from_the_cluster_is_still_added() {
    let cluster = cluster();
    let extra = crd(
        "sprockets",
        "shop.example.com",
        "Sprocket",
        &[version("v1", true, &[("teeth", "integer")])],
    );
    cluster.crds("build", &[widgets(&[("size", "integer")]), extra]);
    let (_, out) = diff(&cluster, "cluster:", "build", &["--format", "json"]);
    let json: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(rules(&json), ["crd-added sprockets.shop.example.com"]);
    assert_eq!(json["scope"]["compared"], 1);
}

#[test]
fn cluster_name_is_one_crd_and_is_not_narrowed() {
    let cluster = cluster();
    cluster.crds("build", &[widgets(&[("size", "integer")])]);
    let (code, out) = diff(
        &cluster,
        "cluster:widgets.shop.example.com",
        "build",
        &["--format", "json"],
    );
    assert_eq!(code, 0, "{out}");
    let json: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(json["changes"], json!([]));
    assert_eq!(json["scope"], Value::Null);
}

#[test]
fn install_says_which_live_crds_it_compared_with() {
    let cluster = cluster();
    let build = cluster.crds(
        "build",
        &[widgets(&[("size", "integer"), ("label", "string")])],
    );
    let out = cluster.install(&build, &["--dry-run"]).success();
    let text = stdout(&out);
    assert!(
        text.contains(" scoped to the CRD names of ")
            && text.contains(": 1 CRD compared, 2 other CRDs of the cluster left out\n"),
        "{text}"
    );
}

#[test]
fn an_install_refused_by_warnings_alone_points_to_fail_on() {
    let cluster = Cluster::start();
    let with_modes = |modes: &[&str]| {
        let mut doc = widgets(&[("mode", "string")]);
        doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            ["mode"]["enum"] = json!(modes);
        doc
    };
    cluster
        .install(&cluster.crds("v1", &[with_modes(&["fast", "safe"])]), &[])
        .success();
    let next = cluster.crds("v2", &[with_modes(&["fast", "safe", "auto"])]);
    let out = cluster.install(&next, &["--fail-on", "warning"]).code(1);
    let text = stdout(&out);
    assert!(
        text.contains("datamodel upgrade stopped by warnings: 0 breaking, 1 warning"),
        "{text}"
    );
    assert!(
        text.contains("\n--fail-on warning makes warnings refuse the install; review them, or use --fail-on breaking to install anyway\n"),
        "{text}"
    );
    assert!(!text.contains("migrate create"), "{text}");
    assert!(!text.contains("incompatible"), "{text}");
    cluster.install(&next, &[]).success();
}
