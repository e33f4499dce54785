//! End-to-end: the built binary refuses a nexus.yaml it would otherwise misread (issue 9): an
//! unknown key, a datamodelName that is not a module path, ignoredDirs that leave the root. Each
//! is one line naming file:line:column, exit 2, and nothing written.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

const ORGCHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/datamodels/orgchart");

/// A copy of the orgchart datamodel with `nexus_yaml` as its nexus.yaml; builds it.
fn build_with(nexus_yaml: &str) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    for f in ["go.mod", "root.go"] {
        fs::copy(Path::new(ORGCHART).join(f), dir.path().join(f)).unwrap();
    }
    fs::write(dir.path().join("nexus.yaml"), nexus_yaml).unwrap();
    let out = Command::cargo_bin("nexus")
        .unwrap()
        .current_dir(dir.path())
        .args(["datamodel", "build"])
        .output()
        .unwrap();
    (dir, out)
}

fn refused(nexus_yaml: &str, expected: &str) {
    let (dir, out) = build_with(nexus_yaml);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(expected), "{expected}\n{stderr}");
    assert!(!dir.path().join("build").exists(), "nothing written");
}

#[test]
fn unknown_key() {
    refused(
        "groupName: orgchart.org\nignoreDirs: [legacy]\n",
        "nexus.yaml:2:1: unknown key `ignoreDirs`; nexus.yaml holds only `version`, `groupName`, `datamodelName` and `ignoredDirs`",
    );
}

#[test]
fn datamodel_name_that_is_a_path_out_of_the_root() {
    refused(
        "groupName: orgchart.org\ndatamodelName: \"../../etc/x y\"\n",
        "nexus.yaml:2:16: datamodelName `../../etc/x y` may hold only letters, digits and `.-_~/`",
    );
    refused(
        "groupName: orgchart.org\ndatamodelName: ../../etc/x\n",
        "nexus.yaml:2:16: datamodelName `../../etc/x` has a path element that starts or ends with `.`",
    );
}

#[test]
fn ignored_dirs_outside_the_root() {
    refused(
        "groupName: orgchart.org\nignoredDirs: [\"../..\", \"/\"]\n",
        "nexus.yaml:2:15: ignoredDirs entry `../..` leaves the datamodel root",
    );
    refused(
        "groupName: orgchart.org\nignoredDirs:\n  - legacy\n  - /\n",
        "nexus.yaml:4:5: ignoredDirs entry `/` is an absolute path",
    );
}

#[test]
fn a_valid_nexus_yaml_still_builds() {
    let (dir, out) = build_with(
        "version: 1\ngroupName: \"orgchart.org\"\ndatamodelName: example.com/org-chart\nignoredDirs: [\"./legacy/\"]\n",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("build/crds").is_dir());
}
