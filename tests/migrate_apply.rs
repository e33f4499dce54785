//! `nexus datamodel migrate apply|status|plan|restore` end to end: the built binary against the
//! in-process fake API server, with 200 stored employees across three namespaces.

mod install_support;

use install_support::*;
use nexus_fakeapi::{Fault, FaultOn};
use serde_json::{Value, json};
use std::fs;
use std::path::PathBuf;

const CRD: &str = "employees.role.orgchart.org";
const MARKER: &str = "nexus.vmware.com/migration";
const NAMESPACES: [&str; 3] = ["ns-a", "ns-b", "ns-c"];

const ADD_OFFICE: &str = "title: Give every employee an office
crd: employees.role.orgchart.org
up:
  - op: add
    path: /spec/office
    value: headquarters
    ifMissing: true
down:
  - op: remove
    path: /spec/office
";

fn employee(i: usize, spec: Value) -> Value {
    json!({
        "apiVersion": "role.orgchart.org/v1",
        "kind": "Employee",
        "metadata": {"name": format!("emp-{i:03}"), "namespace": NAMESPACES[i % 3]},
        "spec": spec
    })
}

/// A fake cluster with the CRD `installed` and a workspace whose build holds `built`.
struct Setup {
    cluster: Cluster,
    root: PathBuf,
}

impl Setup {
    fn new(installed: &Value, built: &Value) -> Setup {
        let cluster = Cluster::start();
        cluster.server.seed_crd(installed).unwrap();
        let root = cluster.dir.path().join("dm");
        fs::create_dir_all(root.join("migrations")).unwrap();
        fs::write(
            root.join("nexus.yaml"),
            "version: 1\ngroupName: orgchart.org\ndatamodelName: orgchart\n",
        )
        .unwrap();
        write_crds(&root.join("build/crds"), std::slice::from_ref(built));
        Setup { cluster, root }
    }

    fn seed(&self, objects: impl IntoIterator<Item = Value>) {
        for o in objects {
            self.cluster.server.seed_object(&o).unwrap();
        }
    }

    fn step(&self, file: &str, text: &str) {
        fs::write(self.root.join("migrations").join(file), text).unwrap();
    }

    fn migrate(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        nexus_in(&self.root)
            .args(["datamodel", "migrate"])
            .args(args)
            .arg("--kubeconfig")
            .arg(&self.cluster.kubeconfig)
            .assert()
    }

    fn objects(&self) -> Vec<Value> {
        self.cluster.server.stored_objects(CRD)
    }

    /// Replace requests sent for employees.
    fn object_writes(&self) -> usize {
        self.cluster
            .server
            .requests()
            .iter()
            .filter(|r| r.method == "PUT" && r.path.contains("/employees/"))
            .count()
    }

    fn state(&self) -> Option<Value> {
        self.cluster
            .server
            .stored_objects("configmaps")
            .into_iter()
            .find(|c| c["metadata"]["name"] == "nexus-migrations-orgchart")
    }
}

/// The office case: `office` became required (built with --force); the cluster serves the
/// schema with `office` still optional, the stored objects lack the field. (Were `office` already
/// required there, the API server, and so the fake one, would refuse to restore or take back the
/// objects without it.)
fn office_setup() -> Setup {
    let new = employees_crd(
        &[("name", "string"), ("office", "string")],
        &["name", "office"],
    );
    let installed = employees_crd(&[("name", "string"), ("office", "string")], &["name"]);
    let setup = Setup::new(&installed, &new);
    setup.seed((0..200).map(|i| employee(i, json!({"name": format!("Employee {i}")}))));
    setup.step("20260101000000_add-office.yaml", ADD_OFFICE);
    setup
}

fn results(assert: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_str(&stdout(assert)).unwrap_or_else(|e| {
        panic!(
            "{e}\nstdout: {}\nstderr: {}",
            stdout(assert),
            stderr(assert)
        )
    })
}

#[test]
fn two_hundred_objects_get_the_required_field_and_the_step_is_recorded() {
    let setup = office_setup();
    let output = setup.cluster.dir.path().join("migrated");
    let plan = setup
        .migrate(&["plan", "--output", output.to_str().unwrap()])
        .success();
    assert_eq!(fs::read_dir(&output).unwrap().count(), 200);
    assert!(
        stdout(&plan).contains("would change 200"),
        "{}",
        stdout(&plan)
    );
    assert_eq!(setup.object_writes(), 0);

    let out = setup.migrate(&["apply", "--format", "json"]).success();
    let json = results(&out);
    assert_eq!(json["dryRun"], false);
    assert_eq!(json["appliedSteps"], 1);
    assert_eq!(json["changed"], 200);
    assert_eq!(json["failed"], 0);
    let objects = setup.objects();
    assert_eq!(objects.len(), 200);
    for o in &objects {
        assert_eq!(o["spec"]["office"], "headquarters", "{o}");
        assert_eq!(o["metadata"]["annotations"][MARKER], "20260101000000");
    }
    let state = setup.state().expect("the state ConfigMap");
    assert_eq!(state["metadata"]["namespace"], "default");
    let record: Value =
        serde_json::from_str(state["data"]["20260101000000"].as_str().unwrap()).unwrap();
    assert_eq!(record["changed"], 200);
    assert_eq!(record["title"], "Give every employee an office");
    assert!(record["checksum"].as_str().unwrap().starts_with("sha256:"));
    // One backup file per object read.
    let backups: Vec<_> = fs::read_dir(setup.root.join("build/migration-backup"))
        .unwrap()
        .collect();
    assert_eq!(backups.len(), 1);
    let dir = backups[0].as_ref().unwrap().path();
    assert_eq!(fs::read_dir(dir).unwrap().count(), 200);

    let status = setup.migrate(&["status"]).success();
    let text = stdout(&status);
    assert!(
        text.contains("applied  20260101000000 add-office"),
        "{text}"
    );
    let again = setup.migrate(&["apply"]).success();
    assert!(
        stdout(&again).contains("nothing to apply"),
        "{}",
        stdout(&again)
    );
    assert_eq!(setup.object_writes(), 200);
}

#[test]
fn a_rename_keeps_every_value() {
    // The cluster serves a schema that knows both fields while objects move over.
    let both = employees_crd(
        &[
            ("name", "string"),
            ("location", "string"),
            ("office", "string"),
        ],
        &["name"],
    );
    let new = employees_crd(
        &[("name", "string"), ("office", "string")],
        &["name", "office"],
    );
    let setup = Setup::new(&both, &new);
    setup.seed((0..200).map(|i| {
        employee(
            i,
            json!({"name": format!("E{i}"), "location": format!("room-{i}")}),
        )
    }));
    setup.step("20260101000000_rename.yaml", RENAME);
    let out = setup.migrate(&["apply"]).success();
    let text = stdout(&out);
    assert!(
        text.contains("applied 1 step (version none -> 20260101000000)"),
        "{text}"
    );
    assert!(
        text.contains("  changed 200, unchanged 0, skipped 0, failed 0"),
        "{text}"
    );
    for o in setup.objects() {
        let name = o["metadata"]["name"].as_str().unwrap();
        let i: usize = name.trim_start_matches("emp-").parse().unwrap();
        assert_eq!(
            o["spec"],
            json!({"name": format!("E{i}"), "office": format!("room-{i}")})
        );
    }
}

#[test]
fn an_object_that_would_fail_stops_everything_before_the_first_write() {
    let setup = office_setup();
    // emp-200 has no name, which the new schema requires.
    setup.seed([employee(200, json!({}))]);
    let out = setup.migrate(&["apply"]).code(1);
    let text = stdout(&out);
    assert!(
        text.contains("nothing written: 1 object would fail"),
        "{text}"
    );
    assert!(text.contains("emp-200"), "{text}");
    assert_eq!(setup.object_writes(), 0);
    assert!(setup.state().is_none());
    assert!(!setup.root.join("build/migration-backup").exists());
}

#[test]
fn a_failure_after_fifty_writes_restores_all_fifty() {
    let setup = office_setup();
    let before = setup.objects();
    setup.cluster.server.fail(Fault {
        on: FaultOn::ObjectWrite,
        nth: 51,
        code: 500,
        message: "etcd is unavailable".into(),
    });
    let backup = setup.cluster.dir.path().join("backup");
    let out = setup
        .migrate(&["apply", "--backup", backup.to_str().unwrap()])
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("restored 50 objects from"), "{err}");
    assert!(
        err.contains("employees.role.orgchart.org ns-a/emp-000"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("etcd is unavailable"),
        "{}",
        stdout(&out)
    );
    let after = setup.objects();
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a["spec"], b["spec"]);
        assert_eq!(
            a["metadata"].get("annotations"),
            b["metadata"].get("annotations")
        );
    }
    assert!(setup.state().is_none());
    assert_eq!(fs::read_dir(&backup).unwrap().count(), 200);
}

#[test]
fn conflicts_are_retried_on_a_fresh_read() {
    let setup = office_setup();
    for (ns, name) in [
        ("ns-a", "emp-000"),
        ("ns-b", "emp-001"),
        ("ns-c", "emp-002"),
    ] {
        setup.cluster.server.race_next_write(CRD, ns, name);
    }
    let out = setup.migrate(&["apply", "--format", "json"]).success();
    let json = results(&out);
    assert_eq!(json["retried"], 3);
    assert_eq!(json["changed"], 200);
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["spec"]["office"] == "headquarters")
    );
    assert_eq!(setup.object_writes(), 203);
}

#[test]
fn a_rerun_after_a_kill_finishes_without_rewriting_what_is_done() {
    // A run killed after 70 writes left these objects migrated and marked, nothing recorded.
    let new = employees_crd(
        &[("name", "string"), ("office", "string")],
        &["name", "office"],
    );
    let half = Setup::new(&new, &new);
    half.seed((0..70).map(|i| {
        let mut o = employee(
            i,
            json!({"name": format!("Employee {i}"), "office": "headquarters"}),
        );
        o["metadata"]["annotations"] = json!({MARKER: "20260101000000"});
        o
    }));
    half.seed((70..200).map(|i| employee(i, json!({"name": format!("Employee {i}")}))));
    half.step("20260101000000_add-office.yaml", ADD_OFFICE);
    let out = half.migrate(&["apply", "--format", "json"]).success();
    let json = results(&out);
    assert_eq!(json["changed"], 130);
    assert_eq!(json["skipped"], 70);
    assert_eq!(half.object_writes(), 130);
    assert!(
        half.objects()
            .iter()
            .all(|o| o["spec"]["office"] == "headquarters")
    );
}

#[test]
fn a_step_file_changed_after_it_was_applied_is_refused() {
    let setup = office_setup();
    setup.migrate(&["apply"]).success();
    setup.step(
        "20260101000000_add-office.yaml",
        &ADD_OFFICE.replace("headquarters", "branch"),
    );
    let out = setup.migrate(&["apply"]).code(2);
    let err = stderr(&out);
    assert!(err.contains("changed after it was applied"), "{err}");
    assert!(err.contains("20260101000000_add-office.yaml"), "{err}");
    let status = setup.migrate(&["status"]).success();
    assert!(
        stdout(&status).contains("changed since applied"),
        "{}",
        stdout(&status)
    );
}

#[test]
fn restore_puts_a_backup_back() {
    let setup = office_setup();
    let before = setup.objects();
    let backup = setup.cluster.dir.path().join("backup");
    setup
        .migrate(&["apply", "--backup", backup.to_str().unwrap()])
        .success();
    let out = setup
        .migrate(&["restore", backup.to_str().unwrap()])
        .success();
    assert!(
        stdout(&out).contains("restored 200 objects of 200"),
        "{}",
        stdout(&out)
    );
    for (b, a) in before.iter().zip(setup.objects()) {
        assert_eq!(a["spec"], b["spec"]);
        assert_eq!(
            a["metadata"].get("annotations"),
            b["metadata"].get("annotations")
        );
    }
}

#[test]
fn status_lists_pending_and_missing_steps() {
    let setup = office_setup();
    setup.migrate(&["apply"]).success();
    fs::remove_file(setup.root.join("migrations/20260101000000_add-office.yaml")).unwrap();
    setup.step("20260201000000_rename.yaml", RENAME);
    let text = stdout(&setup.migrate(&["status"]).success());
    assert!(text.contains("missing  20260101000000 (applied"), "{text}");
    assert!(text.contains("pending  20260201000000 rename"), "{text}");
}

/// The office case with `office` optional in the live CRD, so that `down` (which removes it
/// again) writes objects the live CRD accepts.
fn optional_office_setup() -> Setup {
    let crd = employees_crd(&[("name", "string"), ("office", "string")], &["name"]);
    let setup = Setup::new(&crd, &crd);
    setup.seed((0..200).map(|i| employee(i, json!({"name": format!("Employee {i}")}))));
    setup.step("20260101000000_add-office.yaml", ADD_OFFICE);
    setup
}

#[test]
fn down_refuses_results_the_live_crd_would_reject() {
    // The live CRD requires `office`; the step's down removes it: every write would be refused
    // by the API server, so nothing is written. (`office_setup` serves `office` as optional.)
    let new = employees_crd(
        &[("name", "string"), ("office", "string")],
        &["name", "office"],
    );
    let setup = Setup::new(&new, &new);
    setup.seed((0..200).map(|i| employee(i, json!({"name": format!("Employee {i}")}))));
    setup.step("20260101000000_add-office.yaml", ADD_OFFICE);
    setup.migrate(&["apply"]).success();
    let writes = setup.object_writes();
    let out = setup.migrate(&["down"]).code(1);
    let text = stdout(&out);
    assert!(
        text.contains("the live CRD employees.role.orgchart.org would reject the result:"),
        "{text}"
    );
    assert!(
        text.contains("nothing written: 200 objects cannot be taken back"),
        "{text}"
    );
    assert_eq!(setup.object_writes(), writes, "nothing may be written");
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["spec"]["office"] == "headquarters")
    );
}

#[test]
fn down_refuses_to_write_a_field_the_live_crd_would_drop() {
    // location renamed to office, applied while the cluster served both, then the office-only
    // CRD installed: moving the values back into `location` would have the API server prune
    // every one of them.
    let both = employees_crd(
        &[
            ("name", "string"),
            ("location", "string"),
            ("office", "string"),
        ],
        &["name"],
    );
    let office_only = employees_crd(&[("name", "string"), ("office", "string")], &["name"]);
    // Installed by nexus, so that the next install owns every field of the schema.
    let cluster = Cluster::start();
    cluster
        .install(&cluster.crds("both", &[both]), &[])
        .success();
    let root = cluster.dir.path().join("dm");
    fs::create_dir_all(root.join("migrations")).unwrap();
    fs::write(
        root.join("nexus.yaml"),
        "version: 1\ngroupName: orgchart.org\ndatamodelName: orgchart\n",
    )
    .unwrap();
    write_crds(&root.join("build/crds"), &[office_only]);
    let setup = Setup { cluster, root };
    setup.seed((0..3).map(|i| employee(i, json!({"name": "E", "location": "x"}))));
    let mut rename = RENAME.to_string();
    rename.push_str("down:\n  - op: move\n    from: /spec/office\n    path: /spec/location\n");
    setup.step("20260101000000_rename.yaml", &rename);
    setup.migrate(&["apply"]).success();
    nexus_in(&setup.root)
        .args(["datamodel", "install", "--force", "--kubeconfig"])
        .arg(&setup.cluster.kubeconfig)
        .assert()
        .success();
    let live = setup.cluster.server.crd(CRD).unwrap();
    assert_eq!(
        live["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["name", "office"]
    );
    let writes = setup.object_writes();
    let text = stdout(&setup.migrate(&["down"]).code(1));
    assert!(
        text.contains("the live CRD employees.role.orgchart.org does not define .spec.location, which the down patch writes: the API server would drop it"),
        "{text}"
    );
    assert_eq!(setup.object_writes(), writes, "nothing may be written");
    assert!(setup.objects().iter().all(|o| o["spec"]["office"] == "x"));
}

#[test]
fn status_as_json_names_each_step_and_its_state() {
    let setup = office_setup();
    setup.migrate(&["apply"]).success();
    setup.step("20260201000000_rename.yaml", RENAME);
    let json = results(&setup.migrate(&["status", "-o", "json"]).success());
    assert_eq!(json["datamodel"], "orgchart");
    assert_eq!(json["stateConfigMap"]["name"], "nexus-migrations-orgchart");
    assert_eq!(json["stateConfigMap"]["namespace"], "default");
    let steps = json["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 2, "{json}");
    assert_eq!(steps[0]["version"], 20260101000000u64);
    assert_eq!(steps[0]["status"], "applied");
    assert_eq!(steps[0]["slug"], "add-office");
    assert_eq!(steps[0]["changed"], 200);
    assert_eq!(steps[0]["changedSinceApplied"], false);
    assert!(steps[0]["appliedAt"].is_string(), "{json}");
    assert_eq!(steps[1]["status"], "pending");
    assert_eq!(steps[1]["slug"], "rename");
    assert!(steps[1].get("appliedAt").is_none(), "{json}");
}

#[test]
fn down_brings_the_objects_back() {
    let setup = optional_office_setup();
    let before = setup.objects();
    setup.migrate(&["apply"]).success();
    let out = setup.migrate(&["down", "--format", "json"]).success();
    let json = results(&out);
    assert_eq!(json["changed"], 200);
    assert_eq!(json["targetVersion"], Value::Null);
    for (b, a) in before.iter().zip(setup.objects()) {
        assert_eq!(a["spec"], b["spec"]);
        assert_eq!(
            a["metadata"].get("annotations"),
            b["metadata"].get("annotations")
        );
    }
    let state = setup.state().expect("the state ConfigMap");
    assert!(
        state["data"].as_object().is_none_or(|d| d.is_empty()),
        "{state}"
    );
    let status = stdout(&setup.migrate(&["status"]).success());
    assert!(status.contains("pending  20260101000000"), "{status}");
    // Up again: every object is rewritten once more.
    let again = results(&setup.migrate(&["apply", "--format", "json"]).success());
    assert_eq!(again["changed"], 200);
}

#[test]
fn down_refuses_a_step_without_down() {
    let both = employees_crd(
        &[
            ("name", "string"),
            ("location", "string"),
            ("office", "string"),
        ],
        &["name"],
    );
    let setup = Setup::new(&both, &both);
    setup.seed((0..3).map(|i| employee(i, json!({"name": "E", "location": "x"}))));
    setup.step("20260101000000_rename.yaml", RENAME);
    setup.migrate(&["apply"]).success();
    let out = setup.migrate(&["down"]).code(2);
    // The way out is a new step: editing the applied file is refused by its checksum.
    let err = stderr(&out);
    assert!(
        err.contains("has no `down`") && err.contains("reverse it with a new step instead: nexus datamodel migrate create <slug> --crd employees.role.orgchart.org"),
        "{err}"
    );
    assert!(!err.contains("add a `down` patch"), "{err}");
    let mut with_down = RENAME.to_string();
    with_down.push_str("down:\n  - op: move\n    from: /spec/office\n    path: /spec/location\n");
    setup.step("20260101000000_rename.yaml", &with_down);
    let err = stderr(&setup.migrate(&["down"]).code(2));
    assert!(
        err.contains("changed after it was applied")
            && err.contains("put the change (a fix, or a way back) in a new step"),
        "{err}"
    );
    assert!(setup.objects().iter().all(|o| o["spec"]["office"] == "x"));
}

#[test]
fn down_to_a_version_undoes_the_later_steps_only() {
    let setup = office_setup();
    setup.step(
        "20260102000000_level.yaml",
        "title: Level\ncrd: employees.role.orgchart.org\nup:\n  - op: add\n    path: /spec/name\n    value: renamed\ndown:\n  - op: replace\n    path: /spec/name\n    value: restored\n",
    );
    setup.migrate(&["apply"]).success();
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["spec"]["name"] == "renamed")
    );
    setup.migrate(&["down", "--to", "20260101000000"]).success();
    for o in setup.objects() {
        assert_eq!(o["spec"]["name"], "restored");
        assert_eq!(o["spec"]["office"], "headquarters");
        assert_eq!(o["metadata"]["annotations"][MARKER], "20260101000000");
    }
    let status = stdout(&setup.migrate(&["status"]).success());
    assert!(status.contains("applied  20260101000000"), "{status}");
    assert!(status.contains("pending  20260102000000"), "{status}");
}

const STATUS_RENAME: &str = "title: Rename status.old to status.new
crd: employees.role.orgchart.org
up:
  - op: move
    from: /status/old
    path: /status/new
";

/// Employees behind a status subresource whose status names its field `old`; the step renames
/// it to `new`.
fn status_setup() -> Setup {
    let mut new = employees_crd(&[("name", "string")], &["name"]);
    new["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"] = json!({
        "type": "object",
        "properties": {"old": {"type": "string"}, "new": {"type": "string"}}
    });
    assert!(new["spec"]["versions"][0]["subresources"]["status"].is_object());
    let setup = Setup::new(&new, &new);
    setup.seed((0..60).map(|i| {
        let mut o = employee(i, json!({"name": format!("Employee {i}")}));
        o["status"] = json!({"old": format!("state {i}")});
        o
    }));
    setup.step("20260101000000_status.yaml", STATUS_RENAME);
    setup
}

/// Replace requests sent to the status subresource of employees.
fn status_writes(setup: &Setup) -> usize {
    setup
        .cluster
        .server
        .requests()
        .iter()
        .filter(|r| {
            r.method == "PUT" && r.path.contains("/employees/") && r.path.ends_with("/status")
        })
        .count()
}

#[test]
fn a_step_that_renames_a_status_field_behind_the_status_subresource_rewrites_every_status() {
    let setup = status_setup();
    let before = setup.objects();
    assert!(before.iter().all(|o| o["status"]["old"].is_string()));
    let json = results(&setup.migrate(&["apply", "--format", "json"]).success());
    assert_eq!(json["changed"], 60);
    assert_eq!(json["failed"], 0);
    let after = setup.objects();
    assert_eq!(after.len(), 60);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a["metadata"]["name"], b["metadata"]["name"]);
        assert_eq!(a["status"], json!({"new": b["status"]["old"]}));
        assert_eq!(a["spec"], b["spec"]);
        assert_eq!(a["metadata"]["annotations"][MARKER], "20260101000000");
    }
    // One main write and one status write per object.
    assert_eq!(status_writes(&setup), 60);
    assert_eq!(setup.object_writes(), 120);
    assert!(setup.state().is_some());
}

#[test]
fn a_failed_status_write_restores_spec_and_status_from_the_backup() {
    let setup = status_setup();
    let before = setup.objects();
    // Writes alternate main, status: the 52nd is the status write of the 26th object, whose
    // main write (with the marker) went through.
    setup.cluster.server.fail(Fault {
        on: FaultOn::ObjectWrite,
        nth: 52,
        code: 500,
        message: "etcd is unavailable".into(),
    });
    let backup = setup.cluster.dir.path().join("backup");
    let out = setup
        .migrate(&["apply", "--backup", backup.to_str().unwrap()])
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("restored 26 objects from"), "{err}");
    assert!(
        stdout(&out).contains("etcd is unavailable"),
        "{}",
        stdout(&out)
    );
    let after = setup.objects();
    assert_eq!(after.len(), before.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a["spec"], b["spec"]);
        assert_eq!(a["status"], b["status"], "{}", a["metadata"]["name"]);
        assert_eq!(
            a["metadata"].get("annotations"),
            b["metadata"].get("annotations")
        );
    }
    assert!(setup.state().is_none());
    // The cause gone, a re-run finishes the job.
    let json = results(&setup.migrate(&["apply", "--format", "json"]).success());
    assert_eq!(json["changed"], 60);
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["status"]["new"].is_string() && o["status"].get("old").is_none())
    );
}

#[test]
fn a_restore_that_fails_names_the_backup_and_the_command_that_finishes_it() {
    let setup = office_setup();
    let before = setup.objects();
    for nth in [51, 52] {
        // The 51st write fails, then the first write of the restore.
        setup.cluster.server.fail(Fault {
            on: FaultOn::ObjectWrite,
            nth,
            code: 500,
            message: "etcd is unavailable".into(),
        });
    }
    let backup = setup.cluster.dir.path().join("backup");
    let backup_arg = backup.to_str().unwrap();
    let out = setup.migrate(&["apply", "--backup", backup_arg]).code(2);
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "restore incomplete: 1 object not restored; the backup is in {backup_arg}; finish the restore with `nexus datamodel migrate restore {backup_arg}`\n"
        )),
        "{err}"
    );
    assert!(err.contains("restored 49 objects"), "{err}");
    assert!(err.contains("could not restore 1 object"), "{err}");
    assert!(
        err.contains(&format!("nexus datamodel migrate restore {backup_arg}")),
        "{err}"
    );
    setup.migrate(&["restore", backup_arg]).success();
    for (b, a) in before.iter().zip(setup.objects()) {
        assert_eq!(a["spec"], b["spec"]);
    }
    // The cause gone, a re-run finishes the job.
    let json = results(&setup.migrate(&["apply", "--format", "json"]).success());
    assert_eq!(json["changed"], 200);
    assert!(setup.state().is_some());
}

#[test]
fn apply_to_a_version_stops_there() {
    let setup = office_setup();
    setup.step(
        "20260102000000_rename.yaml",
        "title: Name\ncrd: employees.role.orgchart.org\nup:\n  - op: replace\n    path: /spec/name\n    value: x\n",
    );
    setup
        .migrate(&["apply", "--to", "20260101000000"])
        .success();
    let status = stdout(&setup.migrate(&["status"]).success());
    assert!(status.contains("applied  20260101000000"), "{status}");
    assert!(status.contains("pending  20260102000000"), "{status}");
    assert!(setup.objects().iter().all(|o| o["spec"]["name"] != "x"));
    let json = results(&setup.migrate(&["apply", "--format", "json"]).success());
    assert_eq!(json["initialVersion"], 20260101000000u64);
    assert_eq!(json["changed"], 200);
    assert!(setup.objects().iter().all(|o| o["spec"]["name"] == "x"));
}

#[test]
fn down_leaves_alone_what_up_did_not_change() {
    // The MIGRATE.md example: `add /spec/office ifMissing`, `down: remove /spec/office`. An
    // object that already had an office was not changed by `up`, so `down` must keep its office.
    // `office` optional in the live CRD: the objects `down` takes it from stay valid.
    let new = employees_crd(&[("name", "string"), ("office", "string")], &["name"]);
    let setup = Setup::new(&new, &new);
    setup.seed((0..4).map(|i| {
        let spec = if i % 2 == 0 {
            json!({"name": format!("Employee {i}"), "office": "Paris"})
        } else {
            json!({"name": format!("Employee {i}")})
        };
        employee(i, spec)
    }));
    setup.step("20260101000000_add-office.yaml", ADD_OFFICE);
    let applied = results(&setup.migrate(&["apply", "--format", "json"]).success());
    assert_eq!(applied["changed"], 2);
    let down = results(&setup.migrate(&["down", "--format", "json"]).success());
    assert_eq!(down["changed"], 2);
    let offices: Vec<Value> = setup
        .objects()
        .iter()
        .map(|o| o["spec"]["office"].clone())
        .collect();
    assert_eq!(
        offices.iter().filter(|o| **o == "Paris").count(),
        2,
        "{offices:?}"
    );
    assert_eq!(
        offices.iter().filter(|o| o.is_null()).count(),
        2,
        "{offices:?}"
    );
}

#[test]
fn a_step_older_than_an_applied_one_is_refused() {
    // Two branches each ran `migrate create`; the merged older step would be skipped everywhere.
    let setup = office_setup();
    setup.migrate(&["apply"]).success();
    setup.step(
        "20251231000000_older.yaml",
        "title: Older\ncrd: employees.role.orgchart.org\nup:\n  - op: add\n    path: /spec/name\n    value: renamed\n",
    );
    let out = setup.migrate(&["apply"]).code(2);
    let err = stderr(&out);
    assert!(
        err.contains("20251231000000_older.yaml") && err.contains("below 20260101000000"),
        "{err}"
    );
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["spec"]["name"] != "renamed")
    );
}

#[test]
fn apply_refuses_to_write_fields_the_live_crd_would_drop() {
    // The new CRD (office) is built but not installed: the cluster still serves location only.
    // Writing the renamed objects would lose every value, so nothing is written.
    let old = employees_crd(&[("name", "string"), ("location", "string")], &["name"]);
    let new = employees_crd(&[("name", "string"), ("office", "string")], &["name"]);
    let setup = Setup::new(&old, &new);
    setup.seed((0..5).map(|i| {
        employee(
            i,
            json!({"name": format!("E{i}"), "location": format!("room-{i}")}),
        )
    }));
    setup.step("20260101000000_rename.yaml", RENAME);
    let out = setup.migrate(&["apply"]).code(2);
    let err = stderr(&out);
    assert!(
        err.contains("does not know") && err.contains("run `nexus datamodel install --force=true` instead: install refuses the breaking change even once its step exists"),
        "{err}"
    );
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["spec"]["location"].is_string())
    );
}

/// `root.Leader` and `mgmt.Leader`: two CRDs of one kind, each with an object `ns-a/default`,
/// and one step per CRD giving the leaders a title.
fn two_leaders_setup() -> Setup {
    let leaders = |group: &str| {
        crd(
            "leaders",
            group,
            "Leader",
            &[version(
                "v1",
                true,
                &[("name", "string"), ("title", "string")],
            )],
        )
    };
    let (root, mgmt) = (leaders("root.orgchart.org"), leaders("mgmt.orgchart.org"));
    let setup = Setup::new(&root, &root);
    setup.cluster.server.seed_crd(&mgmt).unwrap();
    write_crds(&setup.root.join("build/crds"), &[root, mgmt]);
    for group in ["root.orgchart.org", "mgmt.orgchart.org"] {
        setup.seed([json!({
            "apiVersion": format!("{group}/v1"),
            "kind": "Leader",
            "metadata": {"name": "default", "namespace": "ns-a"},
            "spec": {"name": format!("the {group} leader")}
        })]);
    }
    for (version, group) in [(1, "root.orgchart.org"), (2, "mgmt.orgchart.org")] {
        setup.step(
            &format!("{version}_title.yaml"),
            &format!(
                "title: Give leaders a title\ncrd: leaders.{group}\nup:\n  - op: add\n    path: /spec/title\n    value: boss\n"
            ),
        );
    }
    setup
}

#[test]
fn two_crds_of_one_kind_are_backed_up_apart_and_both_restored() {
    let setup = two_leaders_setup();
    let stored = |group: &str| {
        setup
            .cluster
            .server
            .stored_objects(&format!("leaders.{group}"))
    };
    let backup = setup.cluster.dir.path().join("backups/run");
    let out = setup
        .migrate(&["apply", "--backup", backup.to_str().unwrap()])
        .success();
    assert!(
        stdout(&out).contains("backed up 2 objects"),
        "{}",
        stdout(&out)
    );
    let mut files: Vec<String> = fs::read_dir(&backup)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "leaders.mgmt.orgchart.org_ns-a_default.yaml",
            "leaders.root.orgchart.org_ns-a_default.yaml"
        ]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&backup), 0o700);
        assert_eq!(mode(backup.parent().unwrap()), 0o700);
        for f in &files {
            assert_eq!(mode(&backup.join(f)), 0o600, "{f}");
        }
    }
    for group in ["root.orgchart.org", "mgmt.orgchart.org"] {
        assert_eq!(stored(group)[0]["spec"]["title"], "boss");
    }

    setup
        .migrate(&["restore", backup.to_str().unwrap()])
        .success();
    for group in ["root.orgchart.org", "mgmt.orgchart.org"] {
        let leader = &stored(group)[0];
        assert_eq!(
            leader["spec"],
            json!({"name": format!("the {group} leader")})
        );
        assert!(leader["metadata"].get("annotations").is_none(), "{leader}");
    }
}

/// A program that gives every employee an office, and fails for those whose number ends in 7.
const OFFICE_PROGRAM: &str = r#"#!/bin/sh
o=$(cat)
if printf %s "$o" | grep -Eq '"name":"Employee [0-9]*7"'; then
  echo "no office for this one" >&2
  exit 3
fi
printf %s "$o" | sed 's/"spec":{/"spec":{"office":"headquarters",/'
"#;

#[test]
fn a_program_failing_for_some_objects_reports_each_in_order_and_writes_nothing() {
    let setup = office_setup();
    fs::remove_file(setup.root.join("migrations/20260101000000_add-office.yaml")).unwrap();
    let script = setup.root.join("migrations/office.sh");
    fs::write(&script, OFFICE_PROGRAM).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    }
    setup.step(
        "20260101000000_office.yaml",
        "title: Offices\ncrd: employees.role.orgchart.org\nup:\n  command: [./migrations/office.sh]\n",
    );
    let out = setup.migrate(&["apply", "--format", "json"]).code(1);
    let json = results(&out);
    assert_eq!(json["failed"], 20, "{json}");
    assert_eq!(json["changed"], 180);
    // The objects in the order they are read (namespace, then name): every one whose number
    // ends in 7, the first ten listed.
    let mut failing: Vec<(String, String)> = (0..200)
        .filter(|i| i % 10 == 7)
        .map(|i| (NAMESPACES[i % 3].to_string(), format!("emp-{i:03}")))
        .collect();
    failing.sort();
    let expected: Vec<String> = failing
        .iter()
        .take(10)
        .map(|(ns, name)| format!("{ns}/{name}"))
        .collect();
    let listed: Vec<&str> = json["steps"][0]["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["object"].as_str().unwrap())
        .collect();
    assert_eq!(listed, expected);
    let reason = json["steps"][0]["failures"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("exited with status 3 (stderr: no office for this one)")
            && reason.contains("migrations/20260101000000_office.yaml:4:"),
        "{reason}"
    );
    assert_eq!(setup.object_writes(), 0);
    assert!(setup.state().is_none());
    assert!(!setup.root.join("build/migration-backup").exists());

    let text = stdout(&setup.migrate(&["apply"]).code(1));
    assert!(text.contains("failures (first 10 of 20)"), "{text}");
    assert!(
        text.contains("nothing written: 20 objects would fail"),
        "{text}"
    );
}

/// Object specs and migration annotations, to compare a cluster with itself before a run.
fn contents(objects: &[Value]) -> Vec<(Value, Value, Option<Value>, Option<Value>)> {
    objects
        .iter()
        .map(|o| {
            (
                o["metadata"]["name"].clone(),
                o["spec"].clone(),
                o.get("status").cloned(),
                o["metadata"].get("annotations").cloned(),
            )
        })
        .collect()
}

#[test]
fn a_write_whose_answer_is_lost_is_read_back_and_counted() {
    let setup = office_setup();
    // The 30th object write is stored, then its connection closes without an answer.
    setup.cluster.server.lose_response(FaultOn::ObjectWrite, 30);
    let json = results(&setup.migrate(&["apply", "--format", "json"]).success());
    assert_eq!(json["changed"], 200, "{json}");
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["spec"]["office"] == "headquarters"
                && o["metadata"]["annotations"][MARKER] == "20260101000000")
    );
    // Read back, not sent again: it was done.
    assert_eq!(setup.object_writes(), 200);
    assert!(setup.state().is_some());
}

#[test]
fn a_write_whose_answer_is_lost_is_restored_when_a_later_write_fails() {
    let setup = office_setup();
    let before = contents(&setup.objects());
    setup.cluster.server.lose_response(FaultOn::ObjectWrite, 30);
    setup.cluster.server.fail(Fault {
        on: FaultOn::ObjectWrite,
        nth: 51,
        code: 500,
        message: "etcd is unavailable".into(),
    });
    let out = setup.migrate(&["apply"]).code(2);
    let err = stderr(&out);
    assert!(err.contains("restored 50 objects from"), "{err}");
    assert_eq!(contents(&setup.objects()), before, "{err}");
    assert!(setup.state().is_none());
}

#[test]
fn a_status_write_whose_answer_is_lost_is_read_back() {
    let setup = status_setup();
    // Writes alternate main, status: the 4th is the status write of the second object.
    setup.cluster.server.lose_response(FaultOn::ObjectWrite, 4);
    let json = results(&setup.migrate(&["apply", "--format", "json"]).success());
    assert_eq!(json["changed"], 60, "{json}");
    assert!(
        setup
            .objects()
            .iter()
            .all(|o| o["status"]["new"].is_string() && o["status"].get("old").is_none())
    );
    assert_eq!(status_writes(&setup), 60);
}

#[test]
fn a_restore_that_cannot_finish_says_so_on_its_first_line() {
    let setup = office_setup();
    // From the 51st object write on, every write fails: the run stops, and so does each
    // write of the restore.
    setup.cluster.server.fail_times(
        FaultOn::ObjectWrite,
        51,
        u64::MAX,
        500,
        "etcd is unavailable",
    );
    let backup = setup.cluster.dir.path().join("backup");
    let backup_arg = backup.to_str().unwrap();
    let out = setup.migrate(&["apply", "--backup", backup_arg]).code(2);
    let err = stderr(&out);
    let first = err.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!(
            "restore incomplete: 50 objects not restored; the backup is in {backup_arg}; finish the restore with `nexus datamodel migrate restore {backup_arg}`"
        ),
        "{err}"
    );
    assert!(!err.contains("nothing to restore"), "{err}");
    assert!(err.contains("could not restore 50 objects"), "{err}");
}

#[test]
fn a_state_record_whose_answer_is_lost_is_read_back() {
    let setup = office_setup();
    // 200 object writes, then the state ConfigMap's create: done, its answer lost.
    setup.cluster.server.lose_response(FaultOn::Write, 201);
    let out = setup.migrate(&["apply"]).success();
    assert!(
        stdout(&out).contains("recorded 1 step in ConfigMap default/nexus-migrations-orgchart"),
        "{}",
        stdout(&out)
    );
    assert!(setup.state().is_some());
}
