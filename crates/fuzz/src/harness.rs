//! What each fuzz target runs and the laws it checks, shared with `tests/fuzz_props.rs` (which
//! includes this file by path). A law that does not hold panics: libFuzzer records the input as
//! a crash, proptest shrinks it.

use nexus::config::Config;
use nexus::crd::CrdSet;
use nexus::report::text::{Mode, TextOptions};
use nexus::report::{FailOn, github, json, junit, markdown, text};
use serde_json::Value;

/// The `nexus.yaml` of the fuzzed datamodels.
pub const NEXUS_YAML: &str = "groupName: fuzz.example.org\ndatamodelName: fuzz\n";
/// The `go.mod` of the fuzzed datamodels.
pub const GO_MOD: &str = "module example.org/fuzz\n\ngo 1.21\n";

/// Real CRDs to mutate: small, medium, and one with several versions and CEL rules.
pub const SEED_CRDS: &[(&str, &str)] = &[
    (
        "root_leader.yaml",
        include_str!("../../../testdata/diff/orgchart/base/root_leader.yaml"),
    ),
    (
        "role_employee.yaml",
        include_str!("../../../testdata/migrate/crds/role_employee.yaml"),
    ),
    (
        "referencegrants.yaml",
        include_str!(
            "../../../testdata/corpus/gateway-standard-v1.4.0-v1.5.0-referencegrants/new/gateway.networking.k8s.io_referencegrants.yaml"
        ),
    ),
    (
        "resolutionrequest.yaml",
        include_str!(
            "../../../testdata/corpus/tekton-v1.0.0-v1.13.0-resolutionrequest/old/300-resolutionrequest.yaml"
        ),
    ),
];

/// The CRD documents of [`SEED_CRDS`].
pub fn seed_crds() -> Vec<Value> {
    SEED_CRDS
        .iter()
        .flat_map(|(name, text)| {
            let set = nexus::source::load_bytes(name, text.as_bytes().to_vec(), name)
                .unwrap_or_else(|e| panic!("seed {name} does not load: {e}"));
            set.crds.into_values().map(|c| c.doc)
        })
        .collect()
}

/// An error as users see it: one line, not empty.
pub fn assert_one_line(err: &str) {
    assert!(
        !err.trim().is_empty() && !err.contains(['\n', '\r']),
        "an error must be one line: {err:?}"
    );
}

/// Loads one file's bytes as a CRD source; `None` (after checking the error is one line) when the
/// loader refuses them.
pub fn load(name: &str, bytes: &[u8]) -> Option<CrdSet> {
    match nexus::source::load_bytes(name, bytes.to_vec(), name) {
        Ok(set) => Some(set),
        Err(e) => {
            assert_one_line(&e.to_string());
            None
        }
    }
}

/// Compares two sets with the checker `diff` uses and renders the report in every format;
/// returns the exit code the report gives (0 or 1).
pub fn compare_and_render(old: &CrdSet, new: &CrdSet) -> i32 {
    let report = nexus::gate::check(old, new, &Config::default(), FailOn::Warning, false);
    let plain = text::render(
        &report,
        &TextOptions {
            color: false,
            verbose: true,
            mode: Mode::Diff,
        },
    );
    let bad: Vec<char> = plain
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        .collect();
    assert!(
        bad.is_empty(),
        "control characters {bad:?} in the text report"
    );
    text::render(
        &report,
        &TextOptions {
            color: true,
            verbose: false,
            mode: Mode::Build {
                baseline: "fuzz".to_string(),
            },
        },
    );
    let rendered = json::render(&report);
    match serde_json::from_str::<Value>(&rendered) {
        Ok(parsed) => assert_eq!(
            parsed["changes"].as_array().map(Vec::len),
            Some(report.changes.len()),
            "the JSON report lists every change"
        ),
        // serde_json stops at 128 levels; a report quoting a deeply nested schema is still JSON,
        // which nexus's own loader (1,000 levels) checks.
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {
            let loaded = nexus::source::load_bytes("report.json", rendered.into_bytes(), "report")
                .unwrap_or_else(|e| panic!("the JSON report is not JSON: {e}"));
            assert_eq!(loaded.skipped_documents, 1);
        }
        Err(e) => panic!("the JSON report is not JSON: {e}"),
    }
    markdown::render(&report);
    assert!(!github::render(&report).contains('\r'));
    assert!(junit::render(&report).ends_with("</testsuites>\n"));
    report.exit_code()
}

/// Writes a datamodel (the fixed `nexus.yaml` and `go.mod` unless `files` has its own) into a
/// temporary directory, loads it and generates its CRDs. The generated YAML must load back as
/// the generated values, and the CRDs go through the checker as a first build's do. Returns the
/// number of CRDs, `None` when the reader refuses the datamodel (its error checked to be one
/// line).
pub fn datamodel(files: &[(&str, &[u8])]) -> Option<usize> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    std::fs::write(root.join("nexus.yaml"), NEXUS_YAML).expect("write nexus.yaml");
    std::fs::write(root.join("go.mod"), GO_MOD).expect("write go.mod");
    for (rel, bytes) in files {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create a package directory");
        }
        std::fs::write(&path, bytes).expect("write a datamodel file");
    }
    let refused = |e: nexus::error::Error| assert_one_line(&e.to_string());
    let dm = nexus::datamodel::load(root).map_err(refused).ok()?;
    let crds = nexus::generate::generate(&dm).map_err(refused).ok()?;
    let mut new = CrdSet::new("datamodel");
    for crd in &crds {
        let set = nexus::source::load_bytes(&crd.file_name, crd.yaml.as_bytes().to_vec(), "x")
            .unwrap_or_else(|e| panic!("generated YAML does not load: {e}\n{}", crd.yaml));
        let loaded = set.crds.get(&crd.name).map(|c| &c.doc);
        assert_eq!(
            loaded,
            Some(&crd.doc),
            "generated YAML reads back differently:\n{}",
            crd.yaml
        );
        new.crds.extend(set.crds);
    }
    compare_and_render(&CrdSet::new("none"), &new);
    Some(crds.len())
}
