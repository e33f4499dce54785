//! Parity with the original nexus compiler (vmware-tanzu/graph-framework-for-microservices,
//! `compiler/`) on its own datamodels, copied into testdata/parity (see its README): the built
//! binary refuses the ones the original's tests expect to fail, with an error pointing at the
//! source; builds the others; and, where the original has golden CRDs, `nexus datamodel diff
//! golden ours` reports only the deliberate differences listed in ARCHITECTURE.md.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

const PARITY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/parity");

/// A copy of `testdata/parity/datamodels/<name>` in a fresh directory (builds write into it).
struct Copy {
    dir: tempfile::TempDir,
    name: &'static str,
}

impl Copy {
    fn new(name: &'static str) -> Copy {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(
            &Path::new(PARITY).join("datamodels").join(name),
            &dir.path().join(name),
        );
        Copy { dir, name }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join(self.name)
    }

    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.root().join(file);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from} not in {file}");
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    /// `nexus datamodel build --datamodel <name>` run from the copy's parent directory.
    fn build(&self) -> std::process::Output {
        nexus()
            .current_dir(self.dir.path())
            .args(["datamodel", "build", "--datamodel", self.name])
            .output()
            .unwrap()
    }

    #[track_caller]
    fn builds(&self) -> Vec<String> {
        let out = self.build();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}{}",
            self.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut files: Vec<String> = fs::read_dir(self.root().join("build/crds"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".yaml"))
            .collect();
        files.sort();
        files
    }

    /// The build fails with exit 2 and one line `error: <name>/<at>…` containing `needle`.
    #[track_caller]
    fn fails_at(&self, at: &str, needle: &str) -> String {
        let out = self.build();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{}: {err}", self.name);
        let location = format!("error: {}/{at}", self.name);
        assert!(
            err.starts_with(&location),
            "expected {location}…, got {err}"
        );
        assert!(err.contains(needle), "expected …{needle}…, got {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(
            !self.root().join("build/crds").exists(),
            "nothing written: {}",
            self.name
        );
        err
    }

    fn crd(&self, file: &str) -> Value {
        let text = fs::read_to_string(self.root().join("build/crds").join(file)).unwrap();
        serde_saphyr::from_str(&text).unwrap()
    }
}

fn nexus() -> Command {
    let mut cmd = Command::cargo_bin("nexus").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `nexus datamodel diff <golden> <ours>`: (crd, path below the version's schema, rule).
fn diff_with_golden(golden: &str, ours: &Path) -> Vec<(String, String, String)> {
    let out = nexus()
        .args(["datamodel", "diff", "--format", "json"])
        .arg(Path::new(PARITY).join("golden").join(golden))
        .arg(ours)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let path = c["path"].as_str().unwrap();
            let path = path
                .strip_prefix("/spec/versions/name=v1/schema")
                .unwrap_or(path);
            (
                c["crd"].as_str().unwrap().to_string(),
                path.to_string(),
                c["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn triple(crd: &str, path: &str, rule: &str) -> (String, String, String) {
    (crd.to_string(), path.to_string(), rule.to_string())
}

const MY_SLICE: &str =
    "/openAPIV3Schema/properties/spec/properties/testValMarkers/properties/mySlice";

#[test]
fn what_the_original_refuses_exits_2_pointing_at_the_source() {
    // The cases of compiler/pkg/parser/node_parser_test.go and rest/rest_test.go.
    let cases: [(&str, &str, &str); 8] = [
        ("array-type-child", "root.go:10:9:", "its type is a slice"),
        ("map-type-child", "root.go:10:9:", "its type is a map"),
        (
            "pointer-type-datamodel",
            "root.go:10:9:",
            "its type is a pointer",
        ),
        ("invalid-singleton-child", "root.go:10:2:", "is a singleton"),
        (
            "invalid-type-name-datamodel",
            "config/config.go:13:6:",
            "type name `Resource` is reserved",
        ),
        (
            "nexus-rest-api-gen-wrong-name",
            "root.go:16:23:",
            "nexus-rest-api-gen names `LeaderRestAPI`",
        ),
        (
            "invalid-pkg-name-datamodel",
            "root/root.go:1:9:",
            "package name `root` is also used by the root directory",
        ),
        (
            "duplicated-uris-datamodel",
            "project/project.go:11:13:",
            "is the same route as",
        ),
    ];
    for (name, at, needle) in cases {
        Copy::new(name).fails_at(at, needle);
    }
}

#[test]
fn what_the_original_builds_builds() {
    let expect: [(&str, &[&str]); 5] = [
        (
            "global-package",
            &[
                "global_config.yaml",
                "global_project.yaml",
                "root_root.yaml",
            ],
        ),
        (
            "group-name-with-hyphen-datamodel",
            &[
                "config_config.yaml",
                "project_project.yaml",
                "root_root.yaml",
            ],
        ),
        (
            "non-singleton-root",
            &[
                "config_config.yaml",
                "project_project.yaml",
                "root_root.yaml",
            ],
        ),
        (
            "helloworld",
            &[
                "config_config.yaml",
                "inventory_inventory.yaml",
                "root_root.yaml",
                "runtime_runtime.yaml",
            ],
        ),
        ("template", &["root_root.yaml"]),
    ];
    for (name, files) in expect {
        assert_eq!(Copy::new(name).builds(), files, "{name}");
    }
}

#[test]
fn packages_sharing_a_name_are_one_package() {
    // config/ and project/ are both `package global`; project.go imports config/ as `global`.
    let copy = Copy::new("global-package");
    copy.builds();
    let project = copy.crd("global_project.yaml");
    assert_eq!(
        project["metadata"]["name"],
        "projects.global.tsm.tanzu.vmware.com"
    );
    let annotation: Value = serde_json::from_str(
        project["metadata"]["annotations"]["nexus"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert!(
        annotation["children"]
            .get("configs.global.tsm.tanzu.vmware.com")
            .is_some(),
        "{annotation}"
    );
    let config = copy.crd("global_config.yaml");
    assert_eq!(config["spec"]["group"], "global.tsm.tanzu.vmware.com");
}

#[test]
fn unique_items_points_at_the_marker_and_says_to_use_list_type_set() {
    let copy = Copy::new("example");
    let err = copy.fails_at(
        "config/config.go:106:22:",
        "UniqueItems=true makes a CRD the API server rejects",
    );
    assert!(err.contains("ListType=set"), "{err}");
    // Following the advice builds, with the list type the API server accepts.
    copy.edit(
        "config/config.go",
        "//nexus-validation: UniqueItems=true",
        "//nexus-validation: ListType=set",
    );
    copy.builds();
    let config = copy.crd("config_config.yaml");
    let my_slice = &config["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
        ["properties"]["testValMarkers"]["properties"]["mySlice"];
    assert_eq!(my_slice["x-kubernetes-list-type"], "set");
    assert!(my_slice.get("uniqueItems").is_none(), "{my_slice}");
}

#[test]
fn json_encoded_fields_are_optional() {
    let copy = Copy::new("example");
    copy.edit(
        "config/config.go",
        "//nexus-validation: UniqueItems=true",
        "//nexus-validation: ListType=set",
    );
    copy.builds();
    let gns = copy.crd("gns_gns.yaml");
    let spec = &gns["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    assert_eq!(
        spec["properties"]["annotations"],
        serde_json::json!({"x-kubernetes-preserve-unknown-fields": true})
    );
    let required: Vec<&str> = spec["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!required.contains(&"annotations"), "{required:?}");
    assert!(required.contains(&"domain"), "{required:?}");
}

#[test]
fn example_matches_the_golden_crds_but_for_the_listed_differences() {
    // ARCHITECTURE.md, "Deliberate differences from the original compiler": the golden's
    // `uniqueItems: true` (which the API server rejects) is `x-kubernetes-list-type: set` here.
    let copy = Copy::new("example");
    copy.edit(
        "config/config.go",
        "//nexus-validation: UniqueItems=true",
        "//nexus-validation: ListType=set",
    );
    assert_eq!(copy.builds().len(), 14);
    let config = "configs.config.tsm.tanzu.vmware.com";
    assert_eq!(
        diff_with_golden("example", &copy.root().join("build/crds")),
        [
            triple(
                config,
                &format!("{MY_SLICE}/uniqueItems"),
                "unhandled-change"
            ),
            triple(
                config,
                &format!("{MY_SLICE}/x-kubernetes-list-type"),
                "list-type-changed"
            ),
        ]
    );
}

#[test]
fn group_name_with_hyphen_matches_its_golden_but_for_the_schema() {
    // The original's golden here is its template stage: CRDs without a schema (controller-gen
    // adds it later). Everything else (names, groups, the nexus annotation) is the same.
    let copy = Copy::new("group-name-with-hyphen-datamodel");
    copy.builds();
    let findings = diff_with_golden(
        "group-name-with-hyphen-datamodel",
        &copy.root().join("build/crds"),
    );
    assert_eq!(
        findings,
        [
            triple(
                "configs.config.tsm-tanzu.vmware.com",
                "",
                "unhandled-change"
            ),
            triple(
                "projects.project.tsm-tanzu.vmware.com",
                "",
                "unhandled-change"
            ),
            triple("roots.root.tsm-tanzu.vmware.com", "", "unhandled-change"),
        ]
    );
}
