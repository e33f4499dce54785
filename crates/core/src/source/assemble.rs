//! Turning parsed documents into a [`CrdSet`]: CRDs are kept by `metadata.name`, other documents
//! are counted, and a name that appears twice is refused (which one would be compared?).

use super::workers::ParsedFile;
use super::yaml::printable;
use crate::crd::{Crd, CrdSet, FileRecord, Origin, is_crd};
use crate::error::{Error, Result};
use crate::spans::Spans;
use serde_json::Value;
use std::collections::btree_map::Entry;

/// Builds the set from the documents of every file, in the order given.
pub fn assemble(label: &str, files: Vec<ParsedFile>) -> Result<CrdSet> {
    let mut set = CrdSet::new(label);
    for file in files {
        set.skipped_documents += file.skipped;
        let (crds_before, skipped_before) = (set.crds.len(), set.skipped_documents);
        let mut names = Vec::new();
        for doc in file.documents {
            let origin = Origin {
                file: file.name.clone(),
                line: Some(doc.line),
            };
            if is_list(&doc.value) {
                let mut item_spans = doc
                    .spans
                    .items_of(&doc.value, "items")
                    .unwrap_or_default()
                    .into_iter();
                for item in into_items(doc.value) {
                    names.extend(add(
                        &mut set,
                        item,
                        item_spans.next().unwrap_or_default(),
                        &origin,
                    )?);
                }
            } else {
                names.extend(add(&mut set, doc.value, doc.spans, &origin)?);
            }
        }
        if let Some((len, digest)) = file.content {
            debug_assert_eq!(set.crds.len() - crds_before, names.len());
            set.files.push(FileRecord {
                len,
                digest,
                crds: names,
                skipped: set.skipped_documents - skipped_before,
            });
        }
    }
    Ok(set)
}

/// Whether a document is a list of objects: `kubectl get crd -o yaml` writes a `v1` `List`, and
/// the typed `CustomResourceDefinitionList` occurs too. kubectl applies the items of such lists one
/// by one, so nexus reads them the same way.
fn is_list(doc: &Value) -> bool {
    let api_version = doc.get("apiVersion").and_then(Value::as_str);
    let list_kind = match doc.get("kind").and_then(Value::as_str) {
        Some("List") => api_version == Some("v1"),
        Some("CustomResourceDefinitionList") => {
            api_version.is_some_and(|v| v.starts_with("apiextensions.k8s.io/"))
        }
        _ => false,
    };
    list_kind && doc.get("items").is_some_and(Value::is_array)
}

/// The items of a document for which [`is_list`] holds.
fn into_items(doc: Value) -> Vec<Value> {
    match doc {
        Value::Object(mut map) => match map.remove("items") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Adds one document; returns the CRD's name when it is one.
fn add(set: &mut CrdSet, doc: Value, spans: Spans, origin: &Origin) -> Result<Option<String>> {
    if !is_crd(&doc) {
        set.skipped_documents += 1;
        return Ok(None);
    }
    let name = match doc.pointer("/metadata/name") {
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        Some(Value::String(_)) | Some(Value::Null) | None => {
            return Err(Error::Parse {
                location: origin.to_string(),
                message: "CustomResourceDefinition without metadata.name; name it <plural>.<group>"
                    .to_string(),
            });
        }
        Some(other) => {
            return Err(Error::Parse {
                location: origin.to_string(),
                message: format!(
                    "metadata.name of a CustomResourceDefinition must be a string, not {other}; \
                     name it <plural>.<group>"
                ),
            });
        }
    };
    match set.crds.entry(name) {
        Entry::Occupied(first) => Err(duplicate_error(first.key(), &first.get().origin, origin)),
        Entry::Vacant(slot) => {
            let name = slot.key().clone();
            if !spans.is_empty() {
                set.spans.insert(name.clone(), spans);
            }
            slot.insert(Crd {
                name: name.clone(),
                doc,
                origin: origin.clone(),
            });
            Ok(Some(name))
        }
    }
}

/// Two CRDs with one name in one set: which one would be compared?
pub fn duplicate_error(name: &str, first: &Origin, second: &Origin) -> Error {
    Error::input(format!(
        "two CRDs named {} in one set: {first} and {second}; keep one",
        printable(name)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::yaml::Document;
    use serde_json::json;

    fn crd(name: &str) -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": name},
        })
    }

    fn file(name: &str, docs: Vec<(usize, Value)>) -> ParsedFile {
        ParsedFile {
            name: name.to_string(),
            documents: docs
                .into_iter()
                .map(|(line, value)| Document {
                    value,
                    line,
                    spans: Default::default(),
                })
                .collect(),
            skipped: 0,
            content: None,
        }
    }

    #[test]
    fn keeps_crds_by_name_and_counts_the_rest() {
        let set = assemble(
            "crds",
            vec![
                file(
                    "a.yaml",
                    vec![(1, crd("foos.x.io")), (20, json!({"kind": "ConfigMap"}))],
                ),
                file(
                    "b.yaml",
                    vec![(1, json!("just a string")), (3, crd("bars.x.io"))],
                ),
            ],
        )
        .unwrap();
        assert_eq!(set.label, "crds");
        assert_eq!(
            set.crds.keys().collect::<Vec<_>>(),
            ["bars.x.io", "foos.x.io"]
        );
        assert_eq!(set.skipped_documents, 2);
        assert_eq!(set.crds["bars.x.io"].origin.to_string(), "b.yaml:3");
        assert_eq!(set.crds["bars.x.io"].name, "bars.x.io");
    }

    #[test]
    fn duplicate_names_name_both_places() {
        let err = assemble(
            "crds",
            vec![
                file("a.yaml", vec![(1, crd("foos.example.com"))]),
                file("b.yaml", vec![(12, crd("foos.example.com"))]),
            ],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "two CRDs named foos.example.com in one set: a.yaml:1 and b.yaml:12; keep one"
        );
    }

    #[test]
    fn missing_or_odd_names_are_errors() {
        let mut no_name = crd("x");
        no_name["metadata"] = json!({});
        let err = assemble("s", vec![file("a.yaml", vec![(7, no_name)])]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.yaml:7: CustomResourceDefinition without metadata.name; name it <plural>.<group>"
        );
        let mut no_metadata = crd("x");
        no_metadata.as_object_mut().unwrap().remove("metadata");
        assert!(assemble("s", vec![file("a.yaml", vec![(1, no_metadata)])]).is_err());
        let err = assemble("s", vec![file("a.yaml", vec![(2, crd(""))])]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("a.yaml:2: CustomResourceDefinition without")
        );
        let mut number = crd("x");
        number["metadata"]["name"] = json!(5);
        let err = assemble("s", vec![file("a.yaml", vec![(3, number)])]).unwrap_err();
        assert!(err.to_string().contains("must be a string, not 5"), "{err}");
    }

    #[test]
    fn lists_contribute_their_items() {
        let list = json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": [crd("a.x.io"), {"kind": "Service"}, crd("b.x.io")],
        });
        let typed = json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinitionList",
            "items": [crd("c.x.io")],
        });
        let not_a_list =
            json!({"apiVersion": "example.com/v1", "kind": "List", "items": [crd("d.x.io")]});
        let set = assemble(
            "s",
            vec![file(
                "l.yaml",
                vec![(1, list), (30, typed), (40, not_a_list)],
            )],
        )
        .unwrap();
        assert_eq!(
            set.crds.keys().collect::<Vec<_>>(),
            ["a.x.io", "b.x.io", "c.x.io"]
        );
        assert_eq!(set.crds["c.x.io"].origin.to_string(), "l.yaml:30");
        assert_eq!(set.skipped_documents, 2);
    }
}
