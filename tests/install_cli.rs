//! `nexus datamodel install` end to end: the built binary against the fake API server, started
//! in-process on a random port.

mod install_support;

use install_support::*;
use nexus_fakeapi::{FakeConfig, Fault, FaultOn, User};
use serde_json::json;

const GROUP: &str = "shop.example.com";

fn widgets_v1() -> serde_json::Value {
    crd(
        "widgets",
        GROUP,
        "Widget",
        &[version("v1", true, &[("size", "integer")])],
    )
}

fn gadgets_v1() -> serde_json::Value {
    crd(
        "gadgets",
        GROUP,
        "Gadget",
        &[version("v1", true, &[("color", "string")])],
    )
}

#[test]
fn first_install_creates_every_crd_and_waits_for_it() {
    let cluster = Cluster::with(
        FakeConfig {
            established_after_reads: 2,
            ..FakeConfig::default()
        },
        None,
    );
    let dir = cluster.crds("v1", &[widgets_v1(), gadgets_v1()]);
    let out = cluster.install(&dir, &[]).success();
    let text = stdout(&out);
    assert!(text.contains("created  gadgets.shop.example.com"), "{text}");
    assert!(text.contains("created  widgets.shop.example.com"), "{text}");
    assert!(
        text.contains("2 created, 0 updated, 0 unchanged, 0 pruned"),
        "{text}"
    );
    for name in ["widgets.shop.example.com", "gadgets.shop.example.com"] {
        let stored = cluster.server.crd(name).expect("the CRD is stored");
        assert_eq!(stored_versions(&stored), vec!["v1"]);
        assert_eq!(stored["metadata"]["managedFields"][0]["manager"], "nexus");
        assert_eq!(stored["metadata"]["managedFields"][0]["operation"], "Apply");
    }
    // Waiting meant reading each CRD until the server reported it Established.
    let gets = cluster
        .server
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/widgets.shop.example.com"))
        .count();
    assert!(gets >= 3, "{gets} reads of widgets");
}

#[test]
fn every_crd_is_dry_run_before_the_first_write() {
    let cluster = Cluster::start();
    let dir = cluster.crds("v1", &[widgets_v1(), gadgets_v1()]);
    cluster.install(&dir, &[]).success();
    let patches: Vec<bool> = cluster
        .server
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.query.contains("dryRun=All"))
        .collect();
    assert_eq!(patches, vec![true, true, false, false]);
    let applied = cluster
        .server
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .expect("an apply");
    assert!(
        applied.query.contains("fieldManager=nexus"),
        "{}",
        applied.query
    );
    assert!(applied.query.contains("force=true"), "{}", applied.query);
}

#[test]
fn running_twice_changes_nothing_the_second_time() {
    let cluster = Cluster::start();
    let dir = cluster.crds("v1", &[widgets_v1(), gadgets_v1()]);
    cluster.install(&dir, &[]).success();
    let before = cluster
        .server
        .crd("widgets.shop.example.com")
        .expect("stored");
    let (writes, requests) = (cluster.writes(), cluster.write_requests());
    let out = cluster.install(&dir, &[]).success();
    let text = stdout(&out);
    assert!(
        text.contains("unchanged  gadgets.shop.example.com"),
        "{text}"
    );
    assert!(
        text.contains("unchanged  widgets.shop.example.com"),
        "{text}"
    );
    assert!(text.contains("0 created, 0 updated, 2 unchanged"), "{text}");
    assert_eq!(cluster.writes(), writes, "no stored change");
    assert_eq!(
        cluster.write_requests(),
        requests,
        "not even a write request"
    );
    let after = cluster
        .server
        .crd("widgets.shop.example.com")
        .expect("stored");
    assert_eq!(
        before["metadata"]["resourceVersion"],
        after["metadata"]["resourceVersion"]
    );
}

#[test]
fn a_compatible_upgrade_updates_in_place() {
    let cluster = Cluster::start();
    cluster
        .install(&cluster.crds("v1", &[widgets_v1()]), &[])
        .success();
    let upgraded = crd(
        "widgets",
        GROUP,
        "Widget",
        &[version(
            "v1",
            true,
            &[("size", "integer"), ("label", "string")],
        )],
    );
    let out = cluster
        .install(&cluster.crds("v2", &[upgraded]), &[])
        .success();
    assert!(
        stdout(&out).contains("updated  widgets.shop.example.com"),
        "{}",
        stdout(&out)
    );
    let stored = cluster
        .server
        .crd("widgets.shop.example.com")
        .expect("stored");
    let props = &stored["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"];
    assert_eq!(props["label"], json!({"type": "string"}));
    assert_eq!(stored["metadata"]["generation"], 2);
    assert_eq!(stored_versions(&stored), vec!["v1"]);
}

fn widgets_two_versions() -> serde_json::Value {
    crd(
        "widgets",
        GROUP,
        "Widget",
        &[
            version("v1alpha1", false, &[("size", "integer")]),
            version("v1", true, &[("size", "integer")]),
        ],
    )
}

/// Needs the engine: `crd-version-removed` is breaking (RULES.md).
#[test]
fn a_breaking_upgrade_is_refused_and_changes_nothing() {
    let cluster = Cluster::start();
    cluster
        .install(&cluster.crds("v1", &[widgets_two_versions()]), &[])
        .success();
    let requests = cluster.write_requests();
    let out = cluster
        .install(&cluster.crds("v2", &[widgets_v1()]), &[])
        .code(1);
    let text = stdout(&out);
    assert!(text.contains("crd-version-removed"), "{text}");
    assert!(text.contains("install refused"), "{text}");
    assert_eq!(cluster.write_requests(), requests);
    let stored = cluster
        .server
        .crd("widgets.shop.example.com")
        .expect("stored");
    assert_eq!(version_names(&stored), vec!["v1alpha1", "v1"]);
}

#[test]
fn force_installs_a_breaking_upgrade() {
    let cluster = Cluster::start();
    cluster
        .install(&cluster.crds("v1", &[widgets_two_versions()]), &[])
        .success();
    let out = cluster
        .install(&cluster.crds("v2", &[widgets_v1()]), &["--force"])
        .success();
    assert!(
        stdout(&out).contains("updated  widgets.shop.example.com"),
        "{}",
        stdout(&out)
    );
    let stored = cluster
        .server
        .crd("widgets.shop.example.com")
        .expect("stored");
    // Server-side apply removed the version nexus no longer applies.
    assert_eq!(version_names(&stored), vec!["v1"]);
    // The boolean also takes a value.
    cluster
        .install(&cluster.crds("v2", &[widgets_v1()]), &["--force=true"])
        .success();
}

#[test]
fn a_stored_version_is_never_dropped_even_with_force() {
    let cluster = Cluster::start();
    let alpha = crd(
        "widgets",
        GROUP,
        "Widget",
        &[version("v1alpha1", true, &[("size", "integer")])],
    );
    cluster.install(&cluster.crds("a", &[alpha]), &[]).success();
    // v1 becomes the storage version; v1alpha1 stays listed as stored.
    cluster
        .install(&cluster.crds("b", &[widgets_two_versions()]), &["--force"])
        .success();
    let stored = cluster
        .server
        .crd("widgets.shop.example.com")
        .expect("stored");
    assert_eq!(stored_versions(&stored), vec!["v1alpha1", "v1"]);

    let requests = cluster.write_requests();
    let only_v1 = cluster.crds("c", &[widgets_v1()]);
    for flags in [&[][..], &["--force"][..]] {
        let out = cluster.install(&only_v1, flags).code(2);
        let err = stderr(&out);
        assert!(
            err.contains("cannot remove version v1alpha1 from CRD widgets.shop.example.com: the cluster still lists v1alpha1 in status.storedVersions"),
            "{err}"
        );
        assert!(err.contains("--subresource=status"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    assert_eq!(cluster.write_requests(), requests, "nothing was sent");

    // After the migration removed v1alpha1 from the stored versions, the install goes through.
    assert!(
        cluster
            .server
            .set_stored_versions("widgets.shop.example.com", &["v1"])
    );
    cluster.install(&only_v1, &["--force"]).success();
    let stored = cluster
        .server
        .crd("widgets.shop.example.com")
        .expect("stored");
    assert_eq!(version_names(&stored), vec!["v1"]);
}

#[test]
fn real_crds_upgrade_across_flux_releases_and_keep_their_stored_versions() {
    let cluster = Cluster::start();
    let name = "gitrepositories.source.toolkit.fluxcd.io";
    cluster
        .install(&testdata("install/flux/v0.36.1"), &[])
        .success();
    // Flux 2.0 tightened v1beta2 (breaking), and made v1 the storage version.
    cluster
        .install(&testdata("install/flux/v1.0.0"), &["--force"])
        .success();
    let stored = cluster.server.crd(name).expect("stored");
    assert_eq!(stored_versions(&stored), vec!["v1beta2", "v1"]);
    // 1.7 drops v1beta1, which never stored an object: allowed with --force.
    cluster
        .install(&testdata("install/flux/v1.7.0"), &["--force"])
        .success();
    // 1.8 drops v1beta2, which did.
    let out = cluster
        .install(&testdata("install/flux/v1.8.0"), &["--force"])
        .code(2);
    assert!(stderr(&out).contains(
        "cannot remove version v1beta2 from CRD gitrepositories.source.toolkit.fluxcd.io"
    ));
    let stored = cluster.server.crd(name).expect("stored");
    assert_eq!(version_names(&stored), vec!["v1", "v1beta2"]);
}

#[test]
fn nexus_takes_over_crds_that_kubectl_installed_so_removals_happen() {
    let cluster = Cluster::start();
    cluster
        .server
        .seed_crd_by(&widgets_two_versions(), "kubectl-client-side-apply")
        .expect("seeded");
    let out = cluster
        .install(&cluster.crds("v2", &[widgets_v1()]), &["--force"])
        .success();
    let text = stdout(&out);
    assert!(
        text.contains("updated  widgets.shop.example.com (taking over its spec from kubectl-client-side-apply)"),
        "{text}"
    );
    let stored = cluster
        .server
        .crd("widgets.shop.example.com")
        .expect("stored");
    // Without the hand-over, server-side apply would have kept v1alpha1 for its other owner.
    assert_eq!(version_names(&stored), vec!["v1"]);
    let owners: Vec<(&str, bool)> = stored["metadata"]["managedFields"]
        .as_array()
        .expect("managed fields")
        .iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap_or_default(),
                e["fieldsV1"].get("f:spec").is_some(),
            )
        })
        .collect();
    assert!(owners.contains(&("nexus", true)), "{owners:?}");
    assert!(
        !owners.contains(&("kubectl-client-side-apply", true)),
        "{owners:?}"
    );
    // From now on nexus alone owns the spec: a second run has nothing to do.
    let out = cluster
        .install(&cluster.crds("v2", &[widgets_v1()]), &[])
        .success();
    assert!(
        stdout(&out).contains("unchanged  widgets.shop.example.com"),
        "{}",
        stdout(&out)
    );
}

fn shop_with_orphan() -> Cluster {
    let cluster = Cluster::start();
    cluster
        .install(&cluster.crds("v1", &[widgets_v1(), gadgets_v1()]), &[])
        .success();
    // Someone else's CRD in another group is never ours to prune.
    let foreign = crd(
        "things",
        "other.example.org",
        "Thing",
        &[version("v1", true, &[])],
    );
    cluster.server.seed_crd(&foreign).expect("seeded");
    cluster
}

#[test]
fn crds_no_longer_in_the_datamodel_are_reported_and_kept() {
    let cluster = shop_with_orphan();
    let out = cluster
        .install(&cluster.crds("v2", &[widgets_v1()]), &[])
        .success();
    let text = stdout(&out);
    assert!(
        text.contains(
            "kept       gadgets.shop.example.com (no longer in the datamodel; --prune deletes it)"
        ),
        "{text}"
    );
    assert!(!text.contains("things.other.example.org"), "{text}");
    assert!(cluster.server.crd("gadgets.shop.example.com").is_some());
}

#[test]
fn prune_deletes_crds_without_objects() {
    let cluster = shop_with_orphan();
    let out = cluster
        .install(&cluster.crds("v2", &[widgets_v1()]), &["--prune"])
        .success();
    let text = stdout(&out);
    assert!(
        text.contains("pruned     gadgets.shop.example.com"),
        "{text}"
    );
    assert!(text.contains("1 pruned"), "{text}");
    assert!(cluster.server.crd("gadgets.shop.example.com").is_none());
    assert!(cluster.server.crd("things.other.example.org").is_some());
    assert!(cluster.server.crd("widgets.shop.example.com").is_some());
    let delete = cluster
        .server
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .expect("a delete");
    assert_eq!(
        delete.path,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.shop.example.com"
    );
}

#[test]
fn prune_refuses_while_objects_exist() {
    let cluster = shop_with_orphan();
    cluster
        .server
        .seed_object(&json!({
            "apiVersion": "shop.example.com/v1",
            "kind": "Gadget",
            "metadata": {"name": "blue", "namespace": "team-a"},
            "spec": {"color": "blue"}
        }))
        .expect("an object");
    let requests = cluster.write_requests();
    let out = cluster
        .install(&cluster.crds("v2", &[widgets_v1()]), &["--prune"])
        .code(2);
    let err = stderr(&out);
    assert!(
        err.contains("cannot prune gadgets.shop.example.com (objects: team-a/blue)"),
        "{err}"
    );
    assert_eq!(cluster.write_requests(), requests, "nothing was written");
    assert_eq!(cluster.server.object_count("gadgets.shop.example.com"), 1);
}

#[test]
fn dry_run_prints_the_plan_and_touches_nothing() {
    let cluster = shop_with_orphan();
    let upgraded = crd(
        "widgets",
        GROUP,
        "Widget",
        &[version(
            "v1",
            true,
            &[("size", "integer"), ("label", "string")],
        )],
    );
    let sprockets = crd("sprockets", GROUP, "Sprocket", &[version("v1", true, &[])]);
    let dir = cluster.crds("v2", &[upgraded, sprockets]);
    let requests = cluster.write_requests();
    let out = cluster.install(&dir, &["--dry-run", "--prune"]).success();
    let text = stdout(&out);
    assert!(
        text.contains("would create  sprockets.shop.example.com"),
        "{text}"
    );
    assert!(
        text.contains("would update  widgets.shop.example.com"),
        "{text}"
    );
    assert!(
        text.contains("would prune   gadgets.shop.example.com"),
        "{text}"
    );
    assert!(text.contains("dry run, nothing was changed"), "{text}");
    assert_eq!(cluster.write_requests(), requests);
    assert!(cluster.server.crd("sprockets.shop.example.com").is_none());
    assert!(cluster.server.crd("gadgets.shop.example.com").is_some());
}

#[test]
fn a_crd_the_server_rejects_in_the_dry_run_leaves_the_cluster_untouched() {
    let cluster = Cluster::start();
    let mut wrong_name = gadgets_v1();
    wrong_name["metadata"]["name"] = json!("gadget.shop.example.com");
    let dir = cluster.crds("bad", &[widgets_v1(), wrong_name]);
    // The engine sees the bad name first (crd-invalid is breaking) and refuses with exit 1 ...
    let out = cluster.install(&dir, &[]).code(1);
    assert!(stdout(&out).contains("crd-invalid"), "{}", stdout(&out));
    assert_eq!(cluster.write_requests(), 0);
    // ... and with --force the server's dry run is what refuses it, before any write.
    let out = cluster.install(&dir, &["--force"]).code(2);
    let err = stderr(&out);
    assert!(
        err.contains(r#"(422 Invalid): CustomResourceDefinition.apiextensions.k8s.io "gadget.shop.example.com" is invalid: metadata.name: Invalid value: "gadget.shop.example.com": must be spec.names.plural+"."+spec.group"#),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(cluster.server.crd_names().is_empty());
    assert_eq!(cluster.write_requests(), 0);
}

#[test]
fn names_the_server_does_not_accept_are_an_error_with_its_reason() {
    let cluster = Cluster::start();
    cluster.server.seed_crd(&widgets_v1()).expect("seeded");
    // Another CRD of the group claims the kind Widget.
    let clash = crd("widgetries", GROUP, "Widget", &[version("v1", true, &[])]);
    let out = cluster
        .install(&cluster.crds("clash", &[widgets_v1(), clash]), &[])
        .code(2);
    let err = stderr(&out);
    assert!(err.contains(r#"did not accept the names of CRD "widgetries.shop.example.com" (NamesAccepted is False, ListKindConflict): "WidgetList" is already in use"#), "{err}");
}

#[test]
fn waiting_for_established_times_out() {
    let cluster = Cluster::with(
        FakeConfig {
            established_after_reads: u32::MAX,
            ..FakeConfig::default()
        },
        None,
    );
    let out = cluster
        .install(
            &cluster.crds("v1", &[widgets_v1()]),
            &["--timeout", "300ms"],
        )
        .code(2);
    let err = stderr(&out);
    assert!(
        err.contains(r#"CRD "widgets.shop.example.com" did not become Established within 300ms (Established is False: Installing the initial names have been accepted)"#),
        "{err}"
    );
    assert!(
        err.contains("(already done before this failure: created widgets.shop.example.com)"),
        "{err}"
    );
}

#[test]
fn an_unreachable_cluster_is_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = format!("http://127.0.0.1:{}", closed_port());
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, nexus_fakeapi::kubeconfig(&server, None)).expect("written");
    let crds = write_crds(&dir.path().join("crds"), &[widgets_v1()]);
    let out = nexus_in(dir.path())
        .args(["datamodel", "install", "--crds"])
        .arg(&crds)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["--timeout", "1s"])
        .assert()
        .code(2);
    let err = stderr(&out);
    // Reads are retried within --timeout; the wait is said once, the error is one line.
    let (waiting, error) = err.trim().split_once('\n').expect("two lines");
    assert!(waiting.starts_with("waiting for the cluster at"), "{err}");
    assert!(
        error.starts_with(&format!(
            "error: cannot reach the cluster at {server} (context \"nexus-fake\"): "
        )),
        "{err}"
    );
    assert!(
        error.contains("retried until the deadline (1s after the start, --timeout)"),
        "{err}"
    );
    assert!(
        error.contains("check that the API server is running"),
        "{err}"
    );
    assert!(!error.contains('\n'), "{err}");
}

#[test]
fn a_tls_failure_is_named_as_such() {
    let cluster = Cluster::start();
    // The fake speaks plain HTTP; a client that expects TLS fails the handshake.
    let https = cluster.server.url().replace("http://", "https://");
    std::fs::write(&cluster.kubeconfig, nexus_fakeapi::kubeconfig(&https, None)).expect("written");
    let out = cluster
        .install(&cluster.crds("v1", &[widgets_v1()]), &[])
        .code(2);
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("error: TLS handshake with the cluster at {https}")),
        "{err}"
    );
}

const TOKEN: &str = "tok-9f3c1e7a-do-not-print";

#[test]
fn wrong_credentials_are_401_and_never_printed() {
    let cluster = Cluster::with(
        FakeConfig {
            users: vec![User {
                name: "admin".into(),
                token: "the-right-one".into(),
                verbs: None,
            }],
            ..FakeConfig::default()
        },
        Some(TOKEN),
    );
    let out = cluster
        .install(&cluster.crds("v1", &[widgets_v1()]), &[])
        .code(2);
    let err = stderr(&out);
    assert!(
        err.contains("rejected the credentials (401 Unauthorized) when nexus tried to list customresourcedefinitions.apiextensions.k8s.io"),
        "{err}"
    );
    assert!(!err.contains(TOKEN) && !stdout(&out).contains(TOKEN));
}

#[test]
fn missing_rights_are_403_with_the_verb_and_resource() {
    let cluster = Cluster::with(
        FakeConfig {
            users: vec![User {
                name: "reader".into(),
                token: TOKEN.into(),
                verbs: Some(vec!["get".into(), "list".into(), "watch".into()]),
            }],
            ..FakeConfig::default()
        },
        Some(TOKEN),
    );
    let out = cluster
        .install(&cluster.crds("v1", &[widgets_v1()]), &[])
        .code(2);
    let err = stderr(&out);
    assert!(
        err.contains(r#"refused to let nexus patch customresourcedefinitions.apiextensions.k8s.io "widgets.shop.example.com" (403 Forbidden): customresourcedefinitions.apiextensions.k8s.io "widgets.shop.example.com" is forbidden: User "reader" cannot patch resource "customresourcedefinitions" in API group "apiextensions.k8s.io" at the cluster scope"#),
        "{err}"
    );
    assert!(!err.contains(TOKEN) && !stdout(&out).contains(TOKEN));
    assert!(cluster.server.crd_names().is_empty());
}

#[test]
fn a_conflict_on_write_is_reported_with_what_was_already_done() {
    let cluster = Cluster::start();
    // The first real write goes through; the second meets a concurrent change.
    cluster.server.fail(Fault {
        on: FaultOn::Write,
        nth: 2,
        code: 409,
        message: r#"Operation cannot be fulfilled on customresourcedefinitions.apiextensions.k8s.io "widgets.shop.example.com": the object has been modified; please apply your changes to the latest version and try again"#.into(),
    });
    let out = cluster
        .install(&cluster.crds("v1", &[widgets_v1(), gadgets_v1()]), &[])
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("conflict when nexus tried to patch customresourcedefinitions.apiextensions.k8s.io \"widgets.shop.example.com\""), "{err}");
    assert!(err.contains("the object has been modified"), "{err}");
    assert!(
        err.contains("(already done before this failure: created gadgets.shop.example.com)"),
        "{err}"
    );
}

#[test]
fn a_server_error_names_the_request() {
    let cluster = Cluster::start();
    cluster.server.fail(Fault {
        on: FaultOn::DryRun,
        nth: 1,
        code: 500,
        message: "etcdserver: request timed out".into(),
    });
    let out = cluster
        .install(&cluster.crds("v1", &[widgets_v1()]), &[])
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("failed to patch customresourcedefinitions.apiextensions.k8s.io \"widgets.shop.example.com\" (500 InternalError): etcdserver: request timed out"), "{err}");
    assert_eq!(cluster.write_requests(), 0);
}

#[test]
fn contexts_and_kubeconfig_sources() {
    let cluster = Cluster::start();
    let crds = cluster.crds("v1", &[widgets_v1()]);
    // Two contexts: the current one points nowhere, "fake" at the server.
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: broken\nclusters:\n- name: fake\n  cluster:\n    server: {}\n- name: nowhere\n  cluster:\n    server: http://127.0.0.1:{}\ncontexts:\n- name: fake\n  context: {{cluster: fake, user: u}}\n- name: broken\n  context: {{cluster: nowhere, user: u}}\nusers:\n- name: u\n  user: {{}}\n",
        cluster.server.url(),
        closed_port()
    );
    std::fs::write(&cluster.kubeconfig, text).expect("written");
    let out = cluster.install(&crds, &["--timeout", "1s"]).code(2);
    assert!(
        stderr(&out).contains(r#"(context "broken")"#),
        "{}",
        stderr(&out)
    );
    cluster.install(&crds, &["--context", "fake"]).success();
    let out = cluster.install(&crds, &["--context", "missing"]).code(2);
    assert!(
        stderr(&out).contains(r#"context "missing" is not in kubeconfig"#),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("it has fake, broken"),
        "{}",
        stderr(&out)
    );

    // KUBECONFIG is used when --kubeconfig is not given.
    let out = nexus_in(cluster.dir.path())
        .env("KUBECONFIG", &cluster.kubeconfig)
        .args(["datamodel", "install", "--context", "fake", "--crds"])
        .arg(&crds)
        .assert()
        .success();
    assert!(stdout(&out).contains("unchanged  widgets.shop.example.com"));

    // Neither a kubeconfig nor a pod around nexus.
    let out = nexus_in(cluster.dir.path())
        .args(["datamodel", "install", "--crds"])
        .arg(&crds)
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("no kubeconfig found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_input_is_exit_2() {
    let cluster = Cluster::start();
    let out = cluster
        .install(&cluster.dir.path().join("missing"), &[])
        .code(2);
    assert!(stderr(&out).contains("missing"), "{}", stderr(&out));
    let empty = cluster.dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    let out = cluster.install(&empty, &[]).code(2);
    assert!(stderr(&out).contains("holds no CRD"), "{}", stderr(&out));
    let out = cluster.install(&empty, &["--timeout", "soon"]).code(2);
    assert!(
        stderr(&out).contains("invalid duration"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_cluster_source_reads_live_crds() {
    let cluster = Cluster::start();
    cluster
        .install(&cluster.crds("v1", &[widgets_v1(), gadgets_v1()]), &[])
        .success();
    let all =
        nexus::cluster::load_cluster(None, Some(&cluster.kubeconfig), None).expect("all CRDs");
    assert_eq!(all.label, "cluster:");
    assert_eq!(
        all.crds.keys().collect::<Vec<_>>(),
        vec!["gadgets.shop.example.com", "widgets.shop.example.com"]
    );
    let one = nexus::cluster::load_cluster(
        Some("widgets.shop.example.com"),
        Some(&cluster.kubeconfig),
        Some("nexus-fake"),
    )
    .expect("one CRD");
    let doc = &one.crds["widgets.shop.example.com"].doc;
    assert_eq!(doc["status"]["storedVersions"], json!(["v1"]));
    assert!(doc["metadata"].get("managedFields").is_none());
    let err = nexus::cluster::load_cluster(
        Some("nope.shop.example.com"),
        Some(&cluster.kubeconfig),
        None,
    )
    .expect_err("missing CRD");
    assert!(
        err.to_string()
            .contains(r#"CRD "nope.shop.example.com" does not exist"#),
        "{err}"
    );
}

#[test]
fn a_broken_kubeconfig_is_reported_without_its_contents() {
    let cluster = Cluster::start();
    std::fs::write(
        &cluster.kubeconfig,
        format!("apiVersion: v1\nusers:\n- name: u\n  user:\n    token: {TOKEN}\n  - [unclosed\n"),
    )
    .expect("written");
    let out = cluster
        .install(&cluster.crds("v1", &[widgets_v1()]), &[])
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("cannot parse kubeconfig"), "{err}");
    assert!(err.contains("at line"), "{err}");
    assert!(!err.contains(TOKEN), "{err}");
}
