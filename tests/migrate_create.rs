//! End-to-end tests of `nexus datamodel migrate create`: from a real build of the orgchart
//! datamodel, and from a hand-written last-build record (the datamodel cannot express schema
//! defaults, so the `add … ifMissing` of a default needs a CRD written by hand), then `plan` on
//! the completed step.

use assert_cmd::Command;
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};

const ORGCHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/datamodels/orgchart");
const MIGRATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/migrate");

fn nexus(root: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("nexus")
        .unwrap()
        .env("NO_COLOR", "1")
        .current_dir(root)
        .args(["datamodel"])
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// The step files in `root/migrations`, by name.
fn steps(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root.join("migrations"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn assert_step_name(name: &str, slug: &str) {
    let (version, rest) = name.split_once('_').unwrap();
    assert_eq!(version.len(), 14, "{name}: a UTC YYYYMMDDhhmmss version");
    assert!(version.bytes().all(|b| b.is_ascii_digit()), "{name}");
    assert_eq!(rest, format!("{slug}.yaml"));
}

#[test]
fn after_a_real_forced_build_the_step_waits_for_a_person() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("orgchart");
    fs::create_dir_all(&root).unwrap();
    for f in ["go.mod", "nexus.yaml", "root.go"] {
        fs::copy(Path::new(ORGCHART).join(f), root.join(f)).unwrap();
    }
    assert_eq!(nexus(&root, &["build"]).status.code(), Some(0));
    // A required field without a default: no step can invent its value.
    let src = fs::read_to_string(root.join("root.go")).unwrap();
    let src = src.replacen(
        "\tLocation      string  `json:\"location,omitempty\"`",
        "\tLocation      string  `json:\"location,omitempty\"`\n\tAge int",
        1,
    );
    fs::write(root.join("root.go"), src).unwrap();
    let build = nexus(&root, &["build", "--force", "--format", "json"]);
    assert_eq!(build.status.code(), Some(0), "{}", text(&build.stderr));
    let report: Value = serde_json::from_slice(&build.stdout).unwrap();
    let changes = report["changes"].as_array().unwrap();
    let record = root.join("build/.nexus-last-build.json");
    // The build records its report exactly when it changed the CRDs.
    assert_eq!(record.exists(), !changes.is_empty());
    if record.exists() {
        let recorded: Value = serde_json::from_str(&fs::read_to_string(&record).unwrap()).unwrap();
        assert_eq!(recorded["report"], report);
        assert_eq!(recorded["crds"], "build/crds");
    }

    let out = nexus(
        &root,
        &[
            "migrate",
            "create",
            "add-age",
            "--crd",
            "leaders.root.orgchart.org",
        ],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let names = steps(&root);
    assert_eq!(names.len(), 1);
    assert_step_name(&names[0], "add-age");
    assert!(
        stdout.starts_with(&format!(
            "created migrations/{} for leaders.root.orgchart.org: 0 ops filled",
            names[0]
        )),
        "{stdout}"
    );
    // Every breaking change of the CRD is handed to the person, on stderr and in the file.
    let file = fs::read_to_string(root.join("migrations").join(&names[0])).unwrap();
    for change in changes
        .iter()
        .filter(|c| c["crd"] == "leaders.root.orgchart.org" && c["severity"] == "breaking")
    {
        let field = change["field"].as_str().unwrap();
        assert!(stderr.contains(field), "{field} in {stderr}");
        assert!(file.contains(field), "{field} in {file}");
    }
    assert!(stderr.contains("not filled: "), "{stderr}");
    assert!(file.contains("incomplete:"), "{file}");

    // `plan` refuses the step until the person completes it.
    fs::create_dir_all(root.join("objects")).unwrap();
    let out = nexus(&root, &["migrate", "plan", "--objects", "objects"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("error: migrations/{}:", names[0])),
        "{err}"
    );
    assert!(err.contains("this step is not complete"), "{err}");
}

/// A workspace with the hand-written Employee CRD (which has a default) and a last-build record
/// of the change that produced it.
fn recorded_workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dm");
    fs::create_dir_all(root.join("build/crds")).unwrap();
    fs::write(
        root.join("nexus.yaml"),
        "version: 1\ngroupName: orgchart.org\n",
    )
    .unwrap();
    fs::copy(
        Path::new(MIGRATE).join("crds/role_employee.yaml"),
        root.join("build/crds/role_employee.yaml"),
    )
    .unwrap();
    fs::copy(
        Path::new(MIGRATE).join("last-build.json"),
        root.join("build/.nexus-last-build.json"),
    )
    .unwrap();
    (dir, root)
}

#[test]
fn from_a_recorded_report_the_step_is_filled_and_runs_once_completed() {
    let (_dir, root) = recorded_workspace();
    let out = nexus(&root, &["migrate", "create", "office"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let names = steps(&root);
    assert_step_name(&names[0], "office");
    assert_eq!(
        stdout,
        format!(
            "created migrations/{} for employees.role.orgchart.org: 3 ops filled from the last build (baseline: build/crds at main (3f2a1c9))\n",
            names[0]
        )
    );
    assert_eq!(
        stderr,
        format!(
            "not filled: min-added .spec.level: minimum 1 added to .spec.level: stored values below it are rejected on update; decide what stored objects need (a patch op or a program)\ncomplete migrations/{} and delete its `incomplete` entries: `migrate plan` refuses the step until then\n",
            names[0]
        )
    );
    let path = root.join("migrations").join(&names[0]);
    let file = fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!(file);

    // The person checks the levels (all stored levels are >= 1) and completes the step.
    let completed = file
        .split("# Complete the step")
        .next()
        .unwrap()
        .to_string();
    fs::write(&path, completed).unwrap();
    fs::create_dir_all(root.join("objects")).unwrap();
    let objects: Vec<Value> = (0..30)
        .map(|i| {
            let mut spec = json!({"name": format!("E{i}"), "location": format!("room {i}"), "legacy": i % 2 == 0});
            if i % 3 == 0 {
                spec["level"] = json!(2);
            }
            json!({"apiVersion": "role.orgchart.org/v1", "kind": "Employee",
                   "metadata": {"name": format!("e{i}"), "namespace": "staff"}, "spec": spec})
        })
        .collect();
    let docs: Vec<String> = objects
        .iter()
        .map(|o| serde_json::to_string(o).unwrap())
        .collect();
    fs::write(root.join("objects/all.yaml"), docs.join("\n---\n")).unwrap();
    let out = nexus(
        &root,
        &[
            "migrate",
            "plan",
            "--objects",
            "objects",
            "--output",
            "migrated",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results["changed"], 30);
    assert_eq!(
        results["steps"][0]["pruned"], 0,
        "legacy is removed, not left to pruning"
    );
    let migrated: Value = serde_saphyr::from_str(
        &fs::read_to_string(root.join("migrated/employees.role.orgchart.org_staff_e3.yaml"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        migrated["spec"],
        json!({"name": "E3", "office": "room 3", "level": 2})
    );
    let migrated: Value = serde_saphyr::from_str(
        &fs::read_to_string(root.join("migrated/employees.role.orgchart.org_staff_e4.yaml"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        migrated["spec"],
        json!({"name": "E4", "office": "room 4", "level": 1})
    );
}

#[test]
fn consecutive_creates_get_increasing_versions() {
    let (_dir, root) = recorded_workspace();
    for slug in ["first", "second"] {
        let out = nexus(&root, &["migrate", "create", slug]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let names = steps(&root);
    assert_eq!(names.len(), 2);
    let version = |n: &str| n.split('_').next().unwrap().parse::<u64>().unwrap();
    let (a, b) = (&names[0], &names[1]);
    assert!(
        a.ends_with("_first.yaml") && b.ends_with("_second.yaml"),
        "{names:?}"
    );
    assert!(version(a) < version(b));
}

#[test]
fn what_create_refuses() {
    let (_dir, root) = recorded_workspace();
    for (args, expected) in [
        (
            &["migrate", "create", "Add Office"][..],
            "slug `Add Office` may hold only lower-case letters",
        ),
        (
            &["migrate", "create", "x", "--crd", "nope.example.com"][..],
            "CRD nope.example.com is not among the built CRDs",
        ),
    ] {
        let out = nexus(&root, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(expected), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    fs::remove_file(root.join("build/.nexus-last-build.json")).unwrap();
    let out = nexus(&root, &["migrate", "create", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no build is recorded"),
        "{}",
        text(&out.stderr)
    );
    assert!(steps(&root).is_empty(), "nothing written");
    // With --crd and no record, a skeleton that waits for a person.
    let out = nexus(
        &root,
        &[
            "migrate",
            "create",
            "x",
            "--crd",
            "employees.role.orgchart.org",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("no build was recorded to fill this step from"),
        "{}",
        text(&out.stderr)
    );
}
