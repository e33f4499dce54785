//! `nexus datamodel install` with pending migration steps, against the in-process fake API
//! server: objects are read before the CRD changes (the server prunes on read), migrated,
//! backed up, written after the CRD, and everything is put back when a write fails.

mod install_support;

use install_support::*;
use nexus_fakeapi::{Fault, FaultOn};
use serde_json::{Value, json};
use std::fs;
use std::path::PathBuf;

const CRD: &str = "employees.role.orgchart.org";
const NAMESPACES: [&str; 3] = ["ns-a", "ns-b", "ns-c"];

fn old_crd() -> Value {
    employees_crd(&[("name", "string"), ("location", "string")], &["name"])
}

fn new_crd() -> Value {
    employees_crd(
        &[("name", "string"), ("office", "string")],
        &["name", "office"],
    )
}

/// The old CRD installed with 200 employees, a workspace whose build renamed `location` to
/// `office` (breaking, so installed with --force) with the step that moves the values.
struct Setup {
    cluster: Cluster,
    root: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let cluster = Cluster::start();
        // Installed by nexus, so that the next install owns every field of the schema.
        let old = cluster.crds("old", &[old_crd()]);
        cluster.install(&old, &[]).success();
        for i in 0..200 {
            cluster
                .server
                .seed_object(&json!({
                    "apiVersion": "role.orgchart.org/v1",
                    "kind": "Employee",
                    "metadata": {"name": format!("emp-{i:03}"), "namespace": NAMESPACES[i % 3]},
                    "spec": {"name": format!("E{i}"), "location": format!("room-{i}")}
                }))
                .unwrap();
        }
        let root = cluster.dir.path().join("dm");
        fs::create_dir_all(root.join("migrations")).unwrap();
        fs::write(
            root.join("nexus.yaml"),
            "version: 1\ngroupName: orgchart.org\ndatamodelName: orgchart\n",
        )
        .unwrap();
        fs::write(root.join("migrations/20260101000000_rename.yaml"), RENAME).unwrap();
        write_crds(&root.join("build/crds"), &[new_crd()]);
        Setup { cluster, root }
    }

    fn install(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        nexus_in(&self.root)
            .args(["datamodel", "install", "--force", "--kubeconfig"])
            .arg(&self.cluster.kubeconfig)
            .args(args)
            .assert()
    }

    fn objects(&self) -> Vec<Value> {
        self.cluster.server.stored_objects(CRD)
    }

    fn schema_fields(&self) -> Vec<String> {
        let crd = self.cluster.server.crd(CRD).unwrap();
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    fn recorded(&self) -> bool {
        self.cluster
            .server
            .stored_objects("configmaps")
            .iter()
            .any(|c| c["data"].get("20260101000000").is_some())
    }
}

#[test]
fn install_moves_every_value_across_a_rename() {
    let setup = Setup::new();
    let out = setup.install(&[]).success();
    let text = stdout(&out);
    assert!(
        text.contains("read 200 objects before changing any CRD"),
        "{text}"
    );
    assert!(text.contains("rewrote 200 objects"), "{text}");
    assert_eq!(setup.schema_fields(), ["name", "office"]);
    for o in setup.objects() {
        let i: usize = o["metadata"]["name"].as_str().unwrap()[4..]
            .parse()
            .unwrap();
        assert_eq!(
            o["spec"],
            json!({"name": format!("E{i}"), "office": format!("room-{i}")})
        );
    }
    assert!(setup.recorded());
    // Nothing pending any more: a second install writes no object.
    let again = setup.install(&[]).success();
    assert!(!stdout(&again).contains("rewrote"), "{}", stdout(&again));
}

#[test]
fn a_failing_object_stops_the_install_before_the_crd_changes() {
    let setup = Setup::new();
    setup
        .cluster
        .server
        .seed_object(&json!({
            "apiVersion": "role.orgchart.org/v1", "kind": "Employee",
            "metadata": {"name": "nobody", "namespace": "ns-a"},
            "spec": {"name": "No location"}
        }))
        .unwrap();
    let writes = setup.cluster.writes();
    let out = setup.install(&[]).code(1);
    assert!(
        stdout(&out).contains("install stopped before any change"),
        "{}",
        stdout(&out)
    );
    assert_eq!(setup.cluster.writes(), writes);
    assert_eq!(setup.schema_fields(), ["location", "name"]);
}

#[test]
fn a_failed_write_restores_the_crd_and_the_objects() {
    let setup = Setup::new();
    let before = setup.objects();
    setup.cluster.server.fail(Fault {
        on: FaultOn::ObjectWrite,
        nth: 51,
        code: 500,
        message: "etcd is unavailable".into(),
    });
    let out = setup.install(&[]).code(2);
    let err = stderr(&out);
    assert!(err.contains("restored 1 CRDs"), "{err}");
    assert!(err.contains("restored 50 objects"), "{err}");
    assert_eq!(setup.schema_fields(), ["location", "name"]);
    for (b, a) in before.iter().zip(setup.objects()) {
        assert_eq!(a["spec"], b["spec"]);
    }
    assert!(!setup.recorded());
    // The cause gone, a re-run finishes the job.
    setup.install(&[]).success();
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["spec"].get("office").is_some())
    );
}

#[test]
fn a_restore_that_cannot_finish_says_so_on_the_first_line() {
    let setup = Setup::new();
    setup.cluster.server.fail_times(
        FaultOn::ObjectWrite,
        51,
        u64::MAX,
        500,
        "etcd is unavailable",
    );
    let backup = setup.cluster.dir.path().join("backup");
    let backup_arg = backup.to_str().unwrap();
    let out = setup.install(&["--backup", backup_arg]).code(2);
    let err = stderr(&out);
    assert_eq!(
        err.lines().next().unwrap_or_default(),
        format!(
            "restore incomplete: 50 objects not restored; the backup of the objects is in {backup_arg}; finish the restore with `nexus datamodel migrate restore {backup_arg}`"
        ),
        "{err}"
    );
    // The CRD went back; the objects wait for `migrate restore`.
    assert_eq!(setup.schema_fields(), ["location", "name"]);
    assert!(err.contains("restored 1 CRDs"), "{err}");
}

#[test]
fn a_write_whose_answer_is_lost_is_read_back_during_install() {
    let setup = Setup::new();
    setup
        .cluster
        .server
        .lose_response(FaultOn::ObjectWrite, 100);
    let out = setup.install(&[]).success();
    assert!(
        stdout(&out).contains("migrations: rewrote 200 objects"),
        "{}",
        stdout(&out)
    );
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["spec"].get("office").is_some() && o["spec"].get("location").is_none())
    );
    assert!(setup.recorded());
}

#[test]
fn skip_migrations_leaves_the_steps_pending_and_says_so() {
    let setup = Setup::new();
    let out = setup.install(&["--skip-migrations"]).success();
    assert!(
        stdout(&out).contains("--skip-migrations: 1 step left pending (20260101000000)"),
        "{}",
        stdout(&out)
    );
    // The values the step would move are pruned as soon as the new CRD is in: say so.
    assert!(
        stderr(&out).contains("warning: --skip-migrations: once the new CRDs are installed, the API server prunes the fields they no longer define from every stored object of employees.role.orgchart.org"),
        "{}",
        stderr(&out)
    );
    assert!(!setup.recorded());
    assert_eq!(setup.schema_fields(), ["name", "office"]);
}

#[test]
fn dry_run_plans_the_migration_and_writes_nothing() {
    let setup = Setup::new();
    let writes = setup.cluster.writes();
    let out = setup.install(&["--dry-run"]).success();
    assert!(
        stdout(&out).contains("would change 200"),
        "{}",
        stdout(&out)
    );
    assert_eq!(setup.cluster.writes(), writes);
    assert!(!setup.root.join("build/migration-backup").exists());
}

#[test]
fn a_first_install_records_the_steps_with_nothing_to_migrate() {
    let cluster = Cluster::start();
    let root = cluster.dir.path().join("dm");
    fs::create_dir_all(root.join("migrations")).unwrap();
    fs::write(
        root.join("nexus.yaml"),
        "version: 1\ngroupName: orgchart.org\ndatamodelName: orgchart\n",
    )
    .unwrap();
    fs::write(root.join("migrations/20260101000000_rename.yaml"), RENAME).unwrap();
    write_crds(&root.join("build/crds"), &[new_crd()]);
    let out = nexus_in(&root)
        .args(["datamodel", "install", "--kubeconfig"])
        .arg(&cluster.kubeconfig)
        .assert()
        .success();
    let text = stdout(&out);
    assert!(
        text.contains("read 0 objects before changing any CRD"),
        "{text}"
    );
    assert!(text.contains("recorded 1 step"), "{text}");
    assert!(cluster.server.crd(CRD).is_some());
}

#[test]
fn a_refused_install_leaves_no_backup() {
    let setup = Setup::new();
    let out = nexus_in(&setup.root)
        .args(["datamodel", "install", "--kubeconfig"])
        .arg(&setup.cluster.kubeconfig)
        .assert()
        .code(1);
    // The step exists: --force is the one thing missing.
    assert!(
        stdout(&out).contains("\nthe pending migration steps for employees.role.orgchart.org carry their stored objects across: install with --force=true to apply the new CRDs and run the steps\n"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("migrate create"), "{}", stdout(&out));
    let backups = setup.root.join("build/migration-backup");
    assert!(
        fs::read_dir(&backups).map_or(true, |mut d| d.next().is_none()),
        "a backup was left behind"
    );
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["spec"].get("location").is_some())
    );
}

#[test]
fn objects_are_read_at_a_version_the_live_crd_serves() {
    let setup = Setup::new();
    // The build adds v2 as the storage version; the cluster serves v1 only until install.
    let mut v2 = new_crd();
    let mut second = v2["spec"]["versions"][0].clone();
    second["name"] = json!("v2");
    v2["spec"]["versions"][0]["storage"] = json!(false);
    v2["spec"]["versions"].as_array_mut().unwrap().push(second);
    write_crds(&setup.root.join("build/crds"), &[v2]);
    setup.install(&[]).success();
    for o in setup.objects() {
        assert!(
            o["spec"]["office"].as_str().unwrap().starts_with("room-"),
            "{o}"
        );
    }
}

#[test]
fn a_rejection_before_the_first_write_changes_no_crd() {
    // A second CRD that the API server rejects in the dry run: install stops before writing
    // anything, so there is nothing to restore, and the live CRD must not be rewritten by a
    // "restore".
    let setup = Setup::new();
    let mut bad = crd(
        "gadgets",
        "role.orgchart.org",
        "Gadget",
        &[version("v1", true, &[])],
    );
    bad["metadata"]["name"] = json!("gadget.role.orgchart.org");
    write_crds(&setup.root.join("build/crds"), &[new_crd(), bad]);
    let before = setup.cluster.server.crd(CRD).unwrap();
    let out = setup.install(&[]).code(2);
    let err = stderr(&out);
    assert!(!err.contains("restored"), "{err}");
    let after = setup.cluster.server.crd(CRD).unwrap();
    assert_eq!(
        after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"],
        "the live CRD was rewritten"
    );
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["spec"].get("location").is_some())
    );
}

#[test]
fn a_dry_run_without_steps_says_which_stored_objects_the_new_crd_rejects() {
    // No migration step: the stored objects stay as they are, and the new CRD requires `office`.
    let setup = Setup::new();
    fs::remove_file(setup.root.join("migrations/20260101000000_rename.yaml")).unwrap();
    let out = setup.install(&["--dry-run"]).success();
    let text = stdout(&out);
    assert!(
        text.contains("stored objects of employees.role.orgchart.org: 200 of 200 would be rejected by the new CRD"),
        "{text}"
    );
    assert!(text.contains("ns-a/emp-000"), "{text}");
    assert!(text.contains("... and 190 more"), "{text}");
    assert!(
        text.contains("  to carry them across, write a migration step: nexus datamodel migrate create <slug> --crd employees.role.orgchart.org; then install with --force=true, which migrates them as part of the upgrade\n"),
        "{text}"
    );
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["spec"]["location"].is_string())
    );
}

#[test]
fn a_refused_install_without_a_step_names_migrate_create() {
    let setup = Setup::new();
    fs::remove_file(setup.root.join("migrations/20260101000000_rename.yaml")).unwrap();
    let out = nexus_in(&setup.root)
        .args(["datamodel", "install", "--kubeconfig"])
        .arg(&setup.cluster.kubeconfig)
        .assert()
        .code(1);
    let text = stdout(&out);
    assert!(
        text.contains("install refused: 2 breaking, 0 warnings in 1 CRD; nothing was changed in"),
        "{text}"
    );
    assert!(
        text.contains("\nto carry the stored objects of employees.role.orgchart.org across, write a migration step first: nexus datamodel migrate create <slug> --crd employees.role.orgchart.org, then install with --force=true (install runs pending steps as part of the upgrade)\nor use --force=true to install anyway and leave the stored objects as they are (install --dry-run lists the ones the new CRDs would reject)\n"),
        "{text}"
    );
}
