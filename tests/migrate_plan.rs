//! End-to-end tests of `nexus datamodel migrate plan --objects DIR`: the built binary on a
//! workspace with the Employee CRD of testdata/migrate and 200 generated stored objects across
//! three namespaces (one multi-document file, one `kind: List`, one file per object).

use assert_cmd::Command;
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};

const CRDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/migrate/crds");
const NAMESPACES: [&str; 3] = ["ns-a", "ns-b", "ns-c"];

const RENAME: &str = "title: Rename location to office
crd: employees.role.orgchart.org
up:
  - op: move
    from: /spec/location
    path: /spec/office
    ifPresent: true
down:
  - op: move
    from: /spec/office
    path: /spec/location
";

struct Workspace {
    _dir: tempfile::TempDir,
    root: PathBuf,
    objects: PathBuf,
    output: PathBuf,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("dm");
        fs::create_dir_all(root.join("build/crds")).unwrap();
        fs::create_dir_all(root.join("migrations")).unwrap();
        fs::write(
            root.join("nexus.yaml"),
            "version: 1\ngroupName: orgchart.org\n",
        )
        .unwrap();
        fs::copy(
            Path::new(CRDS).join("role_employee.yaml"),
            root.join("build/crds/role_employee.yaml"),
        )
        .unwrap();
        let objects = dir.path().join("objects");
        let output = dir.path().join("migrated");
        Workspace {
            _dir: dir,
            root,
            objects,
            output,
        }
    }

    fn step(&self, file: &str, text: &str) {
        fs::write(self.root.join("migrations").join(file), text).unwrap();
    }

    /// Writes the objects the way people keep them: ns-a as one multi-document file, ns-b as a
    /// `kind: List`, ns-c one file per object.
    fn store(&self, objects: &[Value]) {
        fs::create_dir_all(self.objects.join("c")).unwrap();
        let of = |ns: &'static str| {
            objects
                .iter()
                .filter(move |o| o["metadata"]["namespace"] == ns)
        };
        let docs: Vec<String> = of("ns-a")
            .map(|o| serde_json::to_string(o).unwrap())
            .collect();
        fs::write(self.objects.join("a.yaml"), docs.join("\n---\n")).unwrap();
        let list =
            json!({"apiVersion": "v1", "kind": "List", "items": of("ns-b").collect::<Vec<_>>()});
        fs::write(
            self.objects.join("b.json"),
            serde_json::to_string_pretty(&list).unwrap(),
        )
        .unwrap();
        for o in of("ns-c") {
            let name = o["metadata"]["name"].as_str().unwrap();
            fs::write(
                self.objects.join("c").join(format!("{name}.yaml")),
                serde_json::to_string(o).unwrap(),
            )
            .unwrap();
        }
    }

    fn plan(&self, extra: &[&str]) -> std::process::Output {
        Command::cargo_bin("nexus")
            .unwrap()
            .env("NO_COLOR", "1")
            .current_dir(&self.root)
            .args(["datamodel", "migrate", "plan", "--objects"])
            .arg(&self.objects)
            .args(extra)
            .output()
            .unwrap()
    }

    fn plan_json(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["--format", "json"];
        args.extend_from_slice(extra);
        let out = self.plan(&args);
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{e}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap(), json)
    }

    fn migrated(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = fs::read_dir(&self.output)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| serde_saphyr::from_str(&fs::read_to_string(f).unwrap()).unwrap())
            .collect()
    }
}

/// 200 employees in the shape before the change (`location`, no `office`); every tenth one is
/// labelled `tier: gold`.
fn employees() -> Vec<Value> {
    (0..200)
        .map(|i| {
            let mut o = json!({
                "apiVersion": "role.orgchart.org/v1",
                "kind": "Employee",
                "metadata": {"name": format!("emp-{i:03}"), "namespace": NAMESPACES[i % 3]},
                "spec": {"name": format!("Employee {i}"), "location": format!("office-{}", i * 7 % 13), "level": 1 + i % 4},
                "status": {"reviewed": i % 2 == 0}
            });
            if i % 10 == 0 {
                o["metadata"]["labels"] = json!({"tier": "gold"});
            }
            o
        })
        .collect()
}

fn id(o: &Value) -> String {
    format!(
        "{}/{}",
        o["metadata"]["namespace"].as_str().unwrap(),
        o["metadata"]["name"].as_str().unwrap()
    )
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn a_rename_keeps_every_value_of_200_objects() {
    let ws = Workspace::new();
    ws.step("20260101000000_rename-location.yaml", RENAME);
    let before = employees();
    ws.store(&before);
    let output = ws.output.to_str().unwrap().to_string();
    let (code, results) = ws.plan_json(&["--output", &output]);
    assert_eq!(code, 0, "{results}");
    assert_eq!(results["plannedSteps"], 1);
    assert_eq!(results["targetVersion"], 20260101000000u64);
    assert_eq!(results["appliedSteps"], 0);
    assert_eq!(
        (
            results["changed"].as_u64(),
            results["unchanged"].as_u64(),
            results["skipped"].as_u64(),
            results["failed"].as_u64()
        ),
        (Some(200), Some(0), Some(0), Some(0))
    );
    let after = ws.migrated();
    assert_eq!(after.len(), 200);
    let mut by_id: std::collections::BTreeMap<String, &Value> =
        before.iter().map(|o| (id(o), o)).collect();
    for migrated in &after {
        let original = by_id
            .remove(&id(migrated))
            .expect("one output per input object");
        let mut expected = original.clone();
        let location = expected["spec"]
            .as_object_mut()
            .unwrap()
            .remove("location")
            .unwrap();
        expected["spec"]["office"] = location;
        expected["metadata"]["annotations"] = json!({
            "nexus.vmware.com/migration": "20260101000000",
            "nexus.vmware.com/migration-changed": "20260101000000",
        });
        assert_eq!(migrated, &expected, "{}", id(original));
    }
    assert!(by_id.is_empty());
}

#[test]
fn an_object_that_would_fail_stops_everything_and_is_named() {
    let ws = Workspace::new();
    ws.step("20260101000000_rename-location.yaml", RENAME);
    let mut objects = employees();
    objects[117]["spec"]
        .as_object_mut()
        .unwrap()
        .remove("location");
    objects[42]["spec"]["location"] = json!("closed");
    ws.store(&objects);
    let out = ws.plan(&["--output", ws.output.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("would change 198, unchanged 0, skipped 0, would fail 2"),
        "{text}"
    );
    assert!(
        text.contains("ns-a/emp-042 .spec: an employee cannot sit in a closed office"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} .spec.office:", id(&objects[117]))),
        "{text}"
    );
    assert!(
        text.contains("nothing would be written: 2 objects would fail"),
        "{text}"
    );
    assert!(
        !ws.output.exists(),
        "nothing is written when an object would fail"
    );
}

#[test]
fn a_failed_test_skips_the_object() {
    let ws = Workspace::new();
    ws.step("20260101000000_rename-location.yaml", RENAME);
    ws.step(
        "20260102000000_promote-gold.yaml",
        "title: Promote gold employees\ncrd: employees.role.orgchart.org\nup:\n  - op: test\n    path: /metadata/labels/tier\n    value: gold\n  - op: replace\n    path: /spec/level\n    value: 9\n",
    );
    ws.store(&employees());
    let (code, results) = ws.plan_json(&[]);
    assert_eq!(code, 0, "{results}");
    let steps = results["steps"].as_array().unwrap();
    assert_eq!(steps[0]["changed"], 200);
    assert_eq!(
        (steps[1]["changed"].as_u64(), steps[1]["skipped"].as_u64()),
        (Some(20), Some(180))
    );
    assert_eq!(results["targetVersion"], 20260102000000u64);
    // --to stops early.
    let (code, results) = ws.plan_json(&["--to", "20260101000000"]);
    assert_eq!(code, 0);
    assert_eq!(results["plannedSteps"], 1);
}

#[test]
fn a_program_step_runs_once_per_object() {
    let ws = Workspace::new();
    ws.step(
        "20260101000000_rename-location.yaml",
        "title: Rename by program\ncrd: employees.role.orgchart.org\nup:\n  command: [sed, 's/\"location\":/\"office\":/']\n",
    );
    ws.store(&employees());
    let (code, results) = ws.plan_json(&[]);
    assert_eq!(code, 0, "{results}");
    assert_eq!(results["changed"], 200);
}

/// What is wrong, the step files (name, text), and what the one-line error must say.
type BadInput<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);

#[test]
fn bad_input_is_one_line_naming_the_file_and_the_object() {
    let cases: &[BadInput] = &[
        (
            "malformed file",
            &[(
                "5_x.yaml",
                "title: t\ncrd: employees.role.orgchart.org\nup: [\n",
            )],
            &["migrations/5_x.yaml:"],
        ),
        (
            "two files with one version",
            &[("5_a.yaml", RENAME), ("0005_b.yaml", RENAME)],
            &["migrations/0005_b.yaml and migrations/5_a.yaml both have version 5"],
        ),
        (
            "unknown op",
            &[(
                "5_x.yaml",
                "title: t\ncrd: employees.role.orgchart.org\nup:\n  - op: rename\n    path: /spec/office\n",
            )],
            &["migrations/5_x.yaml:4:9: unknown op `rename`"],
        ),
        (
            "path that is not a JSON pointer",
            &[(
                "5_x.yaml",
                "title: t\ncrd: employees.role.orgchart.org\nup:\n  - op: remove\n    path: spec.location\n",
            )],
            &["migrations/5_x.yaml:5:11: `spec.location` is not a JSON pointer"],
        ),
        (
            "missing program",
            &[(
                "5_x.yaml",
                "title: t\ncrd: employees.role.orgchart.org\nup:\n  command: [./migrations/split.sh]\n",
            )],
            &["migrations/5_x.yaml:4:12: program `./migrations/split.sh` not found"],
        ),
        (
            "step left incomplete by create",
            &[(
                "5_x.yaml",
                "title: t\ncrd: employees.role.orgchart.org\nup: []\nincomplete:\n  - required-added .spec.office\n",
            )],
            &["migrations/5_x.yaml:5:5: this step is not complete: required-added .spec.office"],
        ),
        (
            "step for a CRD that is not built",
            &[(
                "5_x.yaml",
                "title: t\ncrd: managers.role.orgchart.org\nup: []\n",
            )],
            &[
                "migrations/5_x.yaml:1:1: the step rewrites objects of CRD managers.role.orgchart.org",
            ],
        ),
    ];
    for (what, files, expected) in cases {
        let ws = Workspace::new();
        for (name, text) in *files {
            ws.step(name, text);
        }
        ws.store(&employees());
        let out = ws.plan(&["--output", ws.output.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{what}: {err}{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{what}: one line: {err}");
        assert!(err.starts_with("error: "), "{what}: {err}");
        for fragment in *expected {
            assert!(err.contains(fragment), "{what}: `{fragment}` in {err}");
        }
        assert!(out.stdout.is_empty(), "{what}: no results on stdout");
        assert!(!ws.output.exists(), "{what}: nothing written");
    }
}

#[test]
fn a_program_that_fails_an_object_fails_that_object_and_the_plan_goes_on() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "exits non-zero",
            "[sh, -c, 'echo cannot split >&2; exit 3']",
            &["exited with status 3 (stderr: cannot split)"],
        ),
        (
            "prints something that is not JSON",
            "[echo, done]",
            &["printed something that is not JSON", "`done`"],
        ),
        (
            "renames the object",
            "[sed, -e, 's/\"location\"/\"office\"/', -e, 's/\"name\":\"emp-004\"/\"name\":\"someone-else\"/']",
            &["the step changed metadata.name; a step may change spec and status only"],
        ),
    ];
    for (what, command, expected) in cases {
        let ws = Workspace::new();
        ws.step(
            "5_x.yaml",
            &format!("title: t\ncrd: employees.role.orgchart.org\nup:\n  command: {command}\n"),
        );
        ws.store(&employees());
        let out = ws.plan(&["--output", ws.output.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{what}: {text}{}", stderr(&out));
        assert!(text.contains("nothing would be written"), "{what}: {text}");
        for fragment in *expected {
            assert!(text.contains(fragment), "{what}: `{fragment}` in {text}");
        }
        assert!(
            text.contains("(migrations/5_x.yaml:4:12)"),
            "{what}: {text}"
        );
        assert!(!ws.output.exists(), "{what}: nothing written");
    }
    // Only emp-004 was renamed: one object fails, the others are fine.
    let ws = Workspace::new();
    ws.step(
        "5_x.yaml",
        &format!(
            "title: t\ncrd: employees.role.orgchart.org\nup:\n  command: {}\n",
            cases[2].1
        ),
    );
    ws.store(&employees());
    let (code, results) = ws.plan_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(results["failed"], 1, "{results}");
    assert_eq!(results["steps"][0]["failures"][0]["object"], "ns-b/emp-004");
}

#[test]
fn a_workspace_of_a_newer_format_is_refused() {
    let ws = Workspace::new();
    fs::write(
        ws.root.join("nexus.yaml"),
        "version: 2\ngroupName: orgchart.org\n",
    )
    .unwrap();
    ws.store(&employees());
    let out = ws.plan(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("nexus.yaml:1:10: this workspace's nexus.yaml is format version 2, but this nexus reads format version 1 at most"),
        "{err}"
    );
}

#[test]
fn an_unknown_to_version_and_an_unbuilt_workspace_are_errors() {
    let ws = Workspace::new();
    ws.step("20260101000000_rename-location.yaml", RENAME);
    ws.store(&employees());
    let out = ws.plan(&["--to", "7"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--to 7: no step has that version (the steps are 20260101000000)"),
        "{}",
        stderr(&out)
    );
    fs::remove_dir_all(ws.root.join("build")).unwrap();
    let out = ws.plan(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("run `nexus datamodel build` first"),
        "{}",
        stderr(&out)
    );
}
