//! The size target of issue 4 at full scale: a datamodel of 1,000 nodes in 20 packages with 20
//! fields each loads and generates correctly. Its speed is measured by `cargo bench --bench build`
//! (BENCHMARKS.md), not here.

#[path = "../benches/support/datamodel.rs"]
mod datamodel_gen;

use datamodel_gen::{NODES_PER_PACKAGE, PACKAGES, write_datamodel};

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
