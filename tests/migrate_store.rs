//! The kube-backed object store against the in-process fake API server: listing across
//! namespaces (paged), replace with resourceVersion preconditions, conflicts, injected write
//! failures, and pruning of fields the installed schema does not know, on write and on read.

mod install_support;

use install_support::*;
use nexus::cluster::objects::KubeStore;
use nexus::cluster::{ClusterTarget, api, connect, runtime};
use nexus::migrate::store::{ObjectId, ObjectStore, Resource, StoreError};
use nexus_fakeapi::{Fault, FaultOn};
use serde_json::{Value, json};

const CRD: &str = "employees.role.orgchart.org";

fn employees(spec: &[(&str, &str)]) -> Value {
    crd(
        "employees",
        "role.orgchart.org",
        "Employee",
        &[version("v1", true, spec)],
    )
}

fn employee(ns: &str, name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "role.orgchart.org/v1",
        "kind": "Employee",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec
    })
}

fn target(cluster: &Cluster) -> ClusterTarget {
    ClusterTarget {
        kubeconfig: Some(cluster.kubeconfig.clone()),
        context: None,
        ..Default::default()
    }
}

fn setup(spec: &[(&str, &str)]) -> (Cluster, KubeStore, Resource) {
    let cluster = Cluster::start();
    let doc = employees(spec);
    cluster.server.seed_crd(&doc).unwrap();
    let store = KubeStore::connect(&target(&cluster)).unwrap();
    let resource = Resource::of_crd(&doc).unwrap();
    (cluster, store, resource)
}

fn id(ns: &str, name: &str) -> ObjectId {
    ObjectId {
        namespace: Some(ns.into()),
        name: name.into(),
    }
}

#[test]
fn lists_every_namespace_page_by_page_sorted() {
    let (cluster, store, resource) = setup(&[("name", "string")]);
    for i in 0..620 {
        let ns = ["ns-a", "ns-b", "ns-c"][i % 3];
        cluster
            .server
            .seed_object(&employee(ns, &format!("e{i:04}"), json!({"name": "x"})))
            .unwrap();
    }
    let listed = store.list(&resource).unwrap();
    assert_eq!(listed.len(), 620);
    let ids: Vec<ObjectId> = listed.iter().map(|o| o.id()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert_eq!(ids[0], id("ns-a", "e0000"));
    for o in &listed {
        assert_eq!(o.object["kind"], "Employee");
        assert_eq!(o.object["apiVersion"], "role.orgchart.org/v1");
        assert_eq!(
            o.object["metadata"]["resourceVersion"],
            o.resource_version.as_str()
        );
    }
    // 620 objects take two pages of 500.
    let lists = cluster
        .server
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/apis/role.orgchart.org/v1/employees")
        .count();
    assert_eq!(lists, 2);
}

#[test]
fn replace_needs_the_version_that_was_read() {
    let (cluster, store, resource) = setup(&[("name", "string")]);
    cluster
        .server
        .seed_object(&employee("ns-a", "alice", json!({"name": "Alice"})))
        .unwrap();
    let read = store.get(&resource, &id("ns-a", "alice")).unwrap().unwrap();
    let mut changed = read.object.clone();
    changed["spec"]["name"] = json!("Alice B.");
    let written = store
        .replace(&resource, &changed, &read.resource_version)
        .unwrap();
    assert_ne!(written.resource_version, read.resource_version);
    assert_eq!(written.object["spec"]["name"], "Alice B.");
    let stale = store
        .replace(&resource, &changed, &read.resource_version)
        .unwrap_err();
    assert!(matches!(stale, StoreError::Conflict { .. }), "{stale}");
    assert_eq!(store.get(&resource, &id("ns-a", "nobody")).unwrap(), None);
    let missing = employee("ns-a", "nobody", json!({}));
    assert!(matches!(
        store.replace(&resource, &missing, "1"),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn a_race_fails_one_write_and_a_fresh_read_succeeds() {
    let (cluster, store, resource) = setup(&[("name", "string")]);
    cluster
        .server
        .seed_object(&employee("ns-a", "bob", json!({"name": "Bob"})))
        .unwrap();
    cluster.server.race_next_write(CRD, "ns-a", "bob");
    let read = store.get(&resource, &id("ns-a", "bob")).unwrap().unwrap();
    let err = store
        .replace(&resource, &read.object, &read.resource_version)
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    let fresh = store.get(&resource, &id("ns-a", "bob")).unwrap().unwrap();
    assert_ne!(fresh.resource_version, read.resource_version);
    store
        .replace(&resource, &fresh.object, &fresh.resource_version)
        .unwrap();
}

#[test]
fn the_nth_object_write_fails_and_crd_writes_do_not_count() {
    let (cluster, store, resource) = setup(&[("name", "string")]);
    for name in ["a", "b", "c"] {
        cluster
            .server
            .seed_object(&employee("ns-a", name, json!({"name": name})))
            .unwrap();
    }
    cluster.server.fail(Fault {
        on: FaultOn::ObjectWrite,
        nth: 2,
        code: 500,
        message: "etcd is down".into(),
    });
    // A CRD write in between is not an object write.
    let rt = runtime().unwrap();
    rt.block_on(async {
        let conn = connect(&target(&cluster)).await.unwrap();
        api::apply_crd(&conn, &employees(&[("name", "string")]), false)
            .await
            .unwrap();
    });
    let objects = store.list(&resource).unwrap();
    store
        .replace(&resource, &objects[0].object, &objects[0].resource_version)
        .unwrap();
    let err = store
        .replace(&resource, &objects[1].object, &objects[1].resource_version)
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Other(m) if m.contains("etcd is down")),
        "{err}"
    );
    store
        .replace(&resource, &objects[2].object, &objects[2].resource_version)
        .unwrap();
}

#[test]
fn unknown_fields_are_pruned_on_write_and_on_read() {
    let (cluster, store, resource) = setup(&[("name", "string"), ("title", "string")]);
    cluster
        .server
        .seed_object(&employee(
            "ns-a",
            "carol",
            json!({"name": "Carol", "title": "CTO", "typo": 1}),
        ))
        .unwrap();
    let stored = cluster.server.stored_objects(CRD);
    assert_eq!(stored[0]["spec"], json!({"name": "Carol", "title": "CTO"}));

    let read = store.get(&resource, &id("ns-a", "carol")).unwrap().unwrap();
    let mut changed = read.object.clone();
    changed["spec"]["extra"] = json!("dropped");
    let written = store
        .replace(&resource, &changed, &read.resource_version)
        .unwrap();
    assert_eq!(written.object["spec"].get("extra"), None);

    // The schema loses `title` (a merge patch replaces the versions list whoever owns it):
    // the stored data is still there, but no read shows it.
    let rt = runtime().unwrap();
    rt.block_on(async {
        let conn = connect(&target(&cluster)).await.unwrap();
        let versions = employees(&[("name", "string")])["spec"]["versions"].clone();
        api::merge_patch_crd(&conn, CRD, &json!({"spec": {"versions": versions}}))
            .await
            .unwrap();
    });
    assert_eq!(
        cluster.server.stored_objects(CRD)[0]["spec"]["title"],
        "CTO"
    );
    let listed = store.list(&resource).unwrap();
    assert_eq!(listed[0].object["spec"], json!({"name": "Carol"}));
    let got = store.get(&resource, &id("ns-a", "carol")).unwrap().unwrap();
    assert_eq!(got.object["spec"], json!({"name": "Carol"}));
}

#[test]
fn the_state_config_map_is_kept_in_the_cluster() {
    use nexus::migrate::state::{Applied, State};
    let (cluster, store, _) = setup(&[("name", "string")]);
    let mut state = State::load(&store, "orgchart", "default").unwrap();
    assert!(state.applied.is_empty());
    let record = Applied {
        title: "Add location".into(),
        applied_at: "2026-01-01T00:00:00Z".into(),
        checksum: "sha256:00".into(),
        changed: 200,
        unchanged: 0,
        skipped: 0,
        failed: 0,
        retried: 2,
    };
    state.applied.insert(20260101000000, record.clone());
    state.save(&store).unwrap();
    state.save(&store).unwrap();
    let again = State::load(&store, "orgchart", "default").unwrap();
    assert_eq!(again.applied.get(&20260101000000), Some(&record));
    let stored = cluster.server.stored_objects("configmaps");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["metadata"]["name"], "nexus-migrations-orgchart");
    assert_eq!(stored[0]["metadata"]["namespace"], "default");
    let text = stored[0]["data"]["20260101000000"].as_str().unwrap();
    let value: Value = serde_json::from_str(text).unwrap();
    assert_eq!(value["checksum"], "sha256:00");
    assert_eq!(value["changed"], 200);
    // ConfigMap writes are not custom-resource writes.
    cluster.server.fail(Fault {
        on: FaultOn::ObjectWrite,
        nth: 1,
        code: 500,
        message: "boom".into(),
    });
    let mut again = State::load(&store, "orgchart", "default").unwrap();
    again.save(&store).unwrap();
}
