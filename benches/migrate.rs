//! `cargo bench --bench migrate`: plan + apply of one migration step over 10,000 stored objects.
//!
//! Issue target: migrating and validating the objects in memory is under 20 % of the whole run;
//! the rest is reading them from and writing them to the API server. Results: BENCHMARKS.md.
//!
//! Each run starts the in-process fake API server, installs a CRD and seeds the objects across
//! five namespaces (not timed), then runs the phases `migrate apply` runs, through the same
//! library calls and the same kube-backed store:
//! - read: [`plan::read`] lists every object (paged) through [`KubeStore`];
//! - migrate + validate: [`plan::plan`] applies the step to each object in memory and checks the
//!   result against the new CRD (structural schema and CEL rules);
//! - write: [`apply::write_backup`] saves every object read, then [`apply::write`] replaces each
//!   migrated object with its resourceVersion as the precondition.
//!
//! The state ConfigMap (one read, one write) is left out. A run takes seconds, so this is a plain
//! timing harness like `benches/diff.rs`: `NEXUS_BENCH_RUNS` runs (3), the median of each phase.
//! Without `--bench` (what `cargo bench` passes; `cargo test --benches` does not) one run over 200
//! objects proves it works.

use nexus::cluster::ClusterTarget;
use nexus::cluster::objects::KubeStore;
use nexus::crd::{Crd, CrdSet, Origin};
use nexus::migrate::apply;
use nexus::migrate::file::{self, MigrationFile};
use nexus::migrate::plan::{self, CrdMigration};
use nexus::migrate::program;
use nexus::migrate::step::Runner;
use nexus::migrate::store::Resource;
use nexus_fakeapi::{FakeApiServer, FakeConfig};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

const CRD: &str = "employees.role.orgchart.org";
const NAMESPACES: [&str; 5] = ["hr", "sales", "engineering", "finance", "legal"];
const DEPARTMENTS: [&str; 4] = ["hr", "sales", "engineering", "finance"];

/// The step: every employee gets a location unless it has one, and `team` becomes `department`.
const STEP: &str = "title: Give every employee a location and rename team to department
crd: employees.role.orgchart.org
up:
  - op: add
    path: /spec/location
    value: headquarters
    ifMissing: true
  - op: move
    from: /spec/team
    path: /spec/department
";

/// The Employee CRD with this `spec` schema.
fn employees_crd(spec: Value) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": CRD},
        "spec": {
            "group": "role.orgchart.org",
            "names": {"kind": "Employee", "listKind": "EmployeeList", "plural": "employees", "singular": "employee"},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1",
                "served": true,
                "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "spec": spec,
                        "status": {"type": "object", "properties": {"phase": {"type": "string"}}}
                    }
                }}
            }]
        }
    })
}

/// What the cluster serves while the objects are migrated: old and new fields, all optional.
fn installed_crd() -> Value {
    employees_crd(json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "email": {"type": "string"},
            "level": {"type": "integer"},
            "team": {"type": "string"},
            "department": {"type": "string"},
            "location": {"type": "string"},
            "skills": {"type": "array", "items": {"type": "string"}}
        }
    }))
}

/// What the migrated objects are checked against: `team` is gone, `department` and `location`
/// are required, with the kinds of checks real CRDs carry (enum, pattern, bounds, CEL).
fn new_crd() -> Value {
    employees_crd(json!({
        "type": "object",
        "required": ["name", "department", "location"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 100},
            "email": {"type": "string", "pattern": "^[a-z0-9.]+@[a-z0-9.]+$"},
            "level": {"type": "integer", "minimum": 1, "maximum": 10},
            "department": {"type": "string", "enum": DEPARTMENTS},
            "location": {"type": "string", "minLength": 1},
            "skills": {"type": "array", "maxItems": 20, "items": {"type": "string"}}
        },
        "x-kubernetes-validations": [{
            "rule": "self.level <= 5 || self.department != 'hr'",
            "message": "hr has no level above 5"
        }]
    }))
}

fn employee(i: usize) -> Value {
    let mut spec = json!({
        "name": format!("Employee {i}"),
        "email": format!("employee.{i}@orgchart.org"),
        "level": 1 + i % 5,
        "team": DEPARTMENTS[i % DEPARTMENTS.len()],
        "skills": ["go", "rust", "kubernetes"]
    });
    // A quarter already has a location: `ifMissing` leaves it.
    if i % 4 == 0 {
        spec["location"] = json!("remote");
    }
    json!({
        "apiVersion": "role.orgchart.org/v1",
        "kind": "Employee",
        "metadata": {
            "name": format!("emp-{i:05}"),
            "namespace": NAMESPACES[i % NAMESPACES.len()],
            "labels": {"orgchart.org/team": DEPARTMENTS[i % DEPARTMENTS.len()]}
        },
        "spec": spec
    })
}

/// Medians of each phase of one run.
#[derive(Default)]
struct Phases {
    read: Vec<Duration>,
    migrate: Vec<Duration>,
    write: Vec<Duration>,
    backup: Vec<Duration>,
}

/// One run against a fresh fake cluster with `objects` seeded: the phase times.
fn run(objects: usize, step: &[MigrationFile], crds: &CrdSet, phases: &mut Phases) {
    let server = FakeApiServer::start(FakeConfig::default()).expect("the fake API server starts");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let kubeconfig = dir.path().join("kubeconfig");
    server
        .write_kubeconfig(&kubeconfig, None)
        .expect("the kubeconfig is written");
    server.seed_crd(&installed_crd()).expect("the CRD installs");
    for i in 0..objects {
        server
            .seed_object(&employee(i))
            .expect("the object is stored");
    }
    let store = KubeStore::connect(&ClusterTarget {
        kubeconfig: Some(kubeconfig),
        context: None,
        ..Default::default()
    })
    .expect("the store connects");
    let migrations = CrdMigration::group(step, crds).expect("the step's CRD is in the set");
    let runner = Runner {
        root: dir.path(),
        timeout: program::TIMEOUT,
    };

    let start = Instant::now();
    let read = plan::read(&store, &migrations).expect("the objects are read");
    phases.read.push(start.elapsed());
    assert_eq!(read.values().map(Vec::len).sum::<usize>(), objects);

    let start = Instant::now();
    let plan = plan::plan(&migrations, &read, runner, None).expect("the step runs");
    phases.migrate.push(start.elapsed());
    assert!(!plan.fails(), "no object fails: {:?}", plan.results);
    assert_eq!(
        plan.objects.iter().filter(|o| o.after.is_some()).count(),
        objects
    );

    let start = Instant::now();
    let saved = nexus::migrate::backup::write(&dir.path().join("backup"), &plan.objects)
        .expect("the backup is written");
    let backup = start.elapsed();
    let resources: Vec<&Resource> = migrations.iter().map(|m| &m.resource).collect();
    let redo = apply::redo_up(&migrations, runner);
    let written = apply::write(&store, &resources, &plan.objects, &*redo, 3);
    phases.write.push(start.elapsed());
    phases.backup.push(backup);
    assert_eq!(saved, objects);
    assert!(written.failure.is_none(), "{:?}", written.failure);
    assert_eq!(written.rewritten.len(), objects);

    let stored = server.stored_objects(CRD);
    assert_eq!(stored.len(), objects);
    assert!(stored.iter().all(|o| {
        o.pointer("/spec/department").is_some()
            && o.pointer("/spec/team").is_none()
            && o.pointer("/spec/location").is_some()
    }));
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing (or `--test` when
    // asked for): then one quick, small run proves the bench works.
    let timed =
        std::env::args().any(|a| a == "--bench") && !std::env::args().any(|a| a == "--test");
    let (runs, objects) = if !timed {
        (1, 200)
    } else {
        let runs = std::env::var("NEXUS_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3);
        (runs, 10_000)
    };
    let step = vec![
        file::parse(
            STEP.as_bytes(),
            "migrations/20260101000000_location-department.yaml",
            20260101000000,
            "location-department",
            Path::new("."),
        )
        .expect("the step parses"),
    ];
    let mut crds = CrdSet::new("bench");
    crds.crds.insert(
        CRD.to_string(),
        Crd {
            name: CRD.to_string(),
            doc: new_crd(),
            origin: Origin {
                file: "bench".to_string(),
                line: None,
            },
        },
    );

    let mut phases = Phases::default();
    for _ in 0..runs.max(1) {
        run(objects, &step, &crds, &mut phases);
    }
    let (read, migrate, write, backup) = (
        median(phases.read),
        median(phases.migrate),
        median(phases.write),
        median(phases.backup),
    );
    let whole = read + migrate + write;
    let share = |d: Duration| 100.0 * d.as_secs_f64() / whole.as_secs_f64().max(f64::EPSILON);
    println!("plan + apply of {objects} stored objects, median of {runs} runs:");
    let line = |label: &str, d: Duration| println!("  {label:<28} {d:>10.2?}  {:5.1} %", share(d));
    line("read (list, paged)", read);
    line("migrate + validate", migrate);
    line("write (backup + replace)", write);
    line("  of which the backup", backup);
    println!("  {:<28} {whole:>10.2?}", "whole");
    let ok = share(migrate) < 20.0;
    println!(
        "  migrate + validate is {:.1} % of the whole (target < 20 %): {}",
        share(migrate),
        if ok { "met" } else { "NOT met" }
    );
}
