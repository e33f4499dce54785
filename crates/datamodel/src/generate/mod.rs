//! Model graph → CustomResourceDefinitions: one CRD per node, as `serde_json::Value` and as YAML
//! text, deterministic to the byte (keys sorted, files sorted by name, no dependence on thread
//! or file-system order).

pub mod annotation;
pub mod naming;
pub mod schema;
pub use crate::output::yaml;

use crate::datamodel::{Datamodel, NodeId};
use crate::error::{Error, Result};
use naming::CrdNames;
use rayon::prelude::*;
use schema::{SchemaBuilder, object};
use serde_json::{Value, json};
use std::collections::HashMap;

/// One generated CRD.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedCrd {
    /// `<package>_<lower(T)>.yaml`.
    pub file_name: String,
    /// The CRD's `metadata.name` (`plural.package.group`).
    pub name: String,
    /// The whole CustomResourceDefinition document.
    pub doc: Value,
    /// `doc` as YAML.
    pub yaml: String,
}

/// Generates the CRD of every node, sorted by file name.
pub fn generate(dm: &Datamodel) -> Result<Vec<GeneratedCrd>> {
    let names: Vec<CrdNames> = dm.nodes.iter().map(|n| CrdNames::of(dm, n)).collect();
    check_names(dm, &names)?;
    let mut crds = (0..dm.nodes.len())
        .into_par_iter()
        .map(|id| crd(dm, id, &names))
        .collect::<Result<Vec<_>>>()?;
    crds.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    Ok(crds)
}

/// Refuses names Kubernetes would reject and two nodes that would share a CRD or a file.
fn check_names(dm: &Datamodel, names: &[CrdNames]) -> Result<()> {
    let mut crd_names: HashMap<&str, NodeId> = HashMap::new();
    let mut file_names: HashMap<&str, NodeId> = HashMap::new();
    for (id, (node, n)) in dm.nodes.iter().zip(names).enumerate() {
        if let Some(problem) = naming::label_problem(&n.plural) {
            return Err(Error::Parse {
                location: node.pos.to_string(),
                message: format!(
                    "type name `{}` gives the CRD plural `{}`, which {problem} in Kubernetes; rename the type",
                    node.name, n.plural
                ),
            });
        }
        if n.crd_name.len() > 253 {
            return Err(Error::Parse {
                location: node.pos.to_string(),
                message: format!(
                    "the CRD name `{}` is longer than Kubernetes' 253 characters; shorten the type, package or group name",
                    n.crd_name
                ),
            });
        }
        for (map, key, what) in [
            (&mut crd_names, n.crd_name.as_str(), "CRD name"),
            (&mut file_names, n.file_name.as_str(), "file name"),
        ] {
            if let Some(other) = map.insert(key, id) {
                let other = &dm.nodes[other];
                return Err(Error::Parse {
                    location: node.pos.to_string(),
                    message: format!(
                        "nodes `{}` and `{}` (at {}) both get the {what} `{key}`; rename one of them",
                        node.name, other.name, other.pos
                    ),
                });
            }
        }
    }
    Ok(())
}

fn crd(dm: &Datamodel, id: NodeId, names: &[CrdNames]) -> Result<GeneratedCrd> {
    let node = &dm.nodes[id];
    let n = &names[id];
    let schema = SchemaBuilder::new(dm).node_schema(node, n)?;
    // The original compiler wrote the annotation as a YAML literal block, so it ends in "\n".
    let annotation = format!("{}\n", annotation::nexus_annotation(dm, id, names));
    let version = object([
        ("name", json!("v1")),
        ("served", json!(true)),
        ("storage", json!(true)),
        ("schema", object([("openAPIV3Schema", schema)])),
        ("subresources", json!({"status": {}})),
    ]);
    let mut doc = object([
        ("apiVersion", json!("apiextensions.k8s.io/v1")),
        ("kind", json!("CustomResourceDefinition")),
        (
            "metadata",
            json!({
                "name": n.crd_name,
                "annotations": {"nexus": annotation},
            }),
        ),
        (
            "spec",
            object([
                ("group", json!(n.group)),
                (
                    "names",
                    json!({
                        "kind": n.kind,
                        "listKind": n.list_kind,
                        "plural": n.plural,
                        "singular": n.singular,
                        "shortNames": [n.singular],
                    }),
                ),
                ("scope", json!("Cluster")),
                ("conversion", json!({"strategy": "None"})),
                ("versions", Value::Array(vec![version])),
            ]),
        ),
    ]);
    // Every mapping sorted by key: the order kubectl and the original compiler write.
    doc.sort_all_objects();
    let yaml = yaml::to_yaml(&doc);
    Ok(GeneratedCrd {
        file_name: n.file_name.clone(),
        name: n.crd_name.clone(),
        doc,
        yaml,
    })
}
