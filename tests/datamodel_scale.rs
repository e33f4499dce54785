//! The size targets at full scale: a datamodel of 1,000 nodes in 20 packages with 20 fields each
//! (issue 4), and one struct of 120,000 fields (issue 9), load and generate correctly. Their
//! speed is measured by `cargo bench --bench build` (BENCHMARKS.md), not here.

#[path = "../benches/support/datamodel.rs"]
mod datamodel_gen;

use datamodel_gen::{NODES_PER_PACKAGE, PACKAGES, write_datamodel, write_wide_datamodel};

#[test]
fn a_thousand_nodes_generate() {
    let temp = tempfile::tempdir().unwrap();
    write_datamodel(temp.path());
    let dm = nexus::datamodel::load(temp.path()).unwrap();
    let crds = nexus::generate::generate(&dm).unwrap();
    assert_eq!(crds.len(), PACKAGES * NODES_PER_PACKAGE + 1);
    let deepest = crds
        .iter()
        .find(|c| c.name == "node49s.pkg19.scale.example.com")
        .expect("last node");
    let annotation: serde_json::Value = serde_json::from_str(
        deepest.doc["metadata"]["annotations"]["nexus"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(annotation["hierarchy"].as_array().unwrap().len(), 6);
}

/// The built binary on a struct of 120,000 fields. The timeout only keeps a regression to a
/// quadratic compiler (minutes here) from hanging the suite; a linear one takes seconds.
#[test]
fn a_struct_of_120_000_fields_builds() {
    const FIELDS: usize = 120_000;
    let temp = tempfile::tempdir().unwrap();
    write_wide_datamodel(temp.path(), FIELDS);
    let out = assert_cmd::Command::cargo_bin("nexus")
        .unwrap()
        .current_dir(temp.path())
        .args(["datamodel", "build", "--format", "json"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let set = nexus::source::load_path(&temp.path().join("build/crds"), "built").unwrap();
    let crd = &set.crds["roots.root.wide.example.com"].doc;
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let properties = spec["properties"].as_object().unwrap();
    // Every direct field, plus Base's `extra`; Base's `field0` is hidden by the direct one.
    assert_eq!(properties.len(), FIELDS + 1);
    assert_eq!(properties["field0"]["type"], "string");
    assert_eq!(properties["extra"]["type"], "string");
    for i in [1, 59_999, 60_000, FIELDS - 1] {
        assert_eq!(
            properties[&format!("field{i}")]["type"],
            "string",
            "field{i}"
        );
    }
    // Only `extra` has no omitempty.
    assert_eq!(spec["required"], serde_json::json!(["extra"]));
}
