//! Turning parsed documents into a [`CrdSet`]: CRDs are kept by `metadata.name`, other documents
//! are counted, and a name that appears twice is refused (which one would be compared?).

use super::workers::ParsedFile;
use super::yaml::printable;
use crate::crd::{Crd, CrdSet, FileRecord, Origin, is_crd};
use crate::error::{Error, Result};
use crate::spans::Spans;
use serde_json::Value;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};

/// Builds the set from the documents of every file, in the order given: each file is assembled
/// on its own ([`assemble_file`]) and the files are merged in order ([`merge`]), so a set loaded
/// whole and one loaded file by file (`load_paired`) fail on the same problem.
pub fn assemble(label: &str, files: Vec<ParsedFile>) -> Result<CrdSet> {
    let mut records = Vec::new();
    let mut assembled = Vec::new();
    for file in files {
        let content = file.content;
        let file = assemble_file(file);
        records.push(content.map(|(len, digest)| FileRecord {
            len,
            digest,
            crds: file.crds.iter().map(|c| c.crd.name.clone()).collect(),
            skipped: file.skipped,
        }));
        assembled.push(file);
    }
    merge(assembled.iter_mut().map(FileCrds::names).collect())?;
    let mut set = CrdSet::new(label);
    set.files = records.into_iter().flatten().collect();
    for file in assembled {
        set.skipped_documents += file.skipped;
        for located in file.crds {
            let name = located.crd.name.clone();
            if let Some(spans) = located.spans {
                set.spans.insert(name.clone(), spans);
            }
            set.crds.insert(name, located.crd);
        }
    }
    Ok(set)
}

/// A CRD and where its nodes are in its file (`None` where the loader did not record them).
#[derive(Debug)]
pub struct Located {
    pub crd: Crd,
    pub spans: Option<Spans>,
}

/// One file's CRDs in file order, up to its first problem.
#[derive(Debug)]
pub struct FileCrds {
    pub crds: Vec<Located>,
    /// Documents that are not CRDs.
    pub skipped: usize,
    /// The first document the set cannot take: a CRD without a usable name, or a name already
    /// used earlier in the file.
    pub error: Option<Error>,
}

impl FileCrds {
    /// What [`merge`] needs of the file; takes its error.
    pub fn names(&mut self) -> FileNames {
        FileNames {
            crds: self
                .crds
                .iter()
                .map(|c| (c.crd.name.clone(), c.crd.origin.clone()))
                .collect(),
            skipped: self.skipped,
            error: self.error.take(),
        }
    }
}

/// What is left of a file once its CRDs were compared: their names and origins in file order,
/// and its problem (see [`FileCrds::error`]).
#[derive(Debug, Default)]
pub struct FileNames {
    pub crds: Vec<(String, Origin)>,
    pub skipped: usize,
    pub error: Option<Error>,
}

/// Assembles one file's documents: CRDs in file order (items of lists expanded), other documents
/// counted, stopping at the first CRD without a usable name or with a name used before in the
/// file.
pub fn assemble_file(file: ParsedFile) -> FileCrds {
    let mut out = FileCrds {
        crds: Vec::new(),
        skipped: file.skipped,
        error: None,
    };
    let mut seen = HashMap::new();
    for doc in file.documents {
        let origin = Origin {
            file: file.name.clone(),
            line: Some(doc.line),
        };
        let added = if is_list(&doc.value) {
            let mut item_spans = doc
                .spans
                .items_of(&doc.value, "items")
                .unwrap_or_default()
                .into_iter();
            into_items(doc.value).into_iter().try_for_each(|item| {
                add(
                    &mut out,
                    &mut seen,
                    item,
                    item_spans.next().unwrap_or_default(),
                    &origin,
                )
            })
        } else {
            add(&mut out, &mut seen, doc.value, doc.spans, &origin)
        };
        if let Err(e) = added {
            out.error = Some(e);
            break;
        }
    }
    out
}

/// The files of one set, merged in order: the first problem of a whole-set load, which is the
/// first file that could not be read or parsed, else the first CRD (in file order) whose name is
/// unusable or taken. Returns where each CRD is defined and how many documents were skipped.
pub fn merge(files: Vec<FileNames>) -> Result<(BTreeMap<String, Origin>, usize)> {
    let mut origins: BTreeMap<String, Origin> = BTreeMap::new();
    let mut skipped = 0;
    for file in files {
        skipped += file.skipped;
        for (name, origin) in file.crds {
            match origins.entry(name) {
                Entry::Occupied(first) => {
                    return Err(duplicate_error(first.key(), first.get(), &origin));
                }
                Entry::Vacant(slot) => {
                    slot.insert(origin);
                }
            }
        }
        if let Some(error) = file.error {
            return Err(error);
        }
    }
    Ok((origins, skipped))
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

/// Adds one document to the file's CRDs.
fn add(
    out: &mut FileCrds,
    seen: &mut HashMap<String, usize>,
    doc: Value,
    spans: Spans,
    origin: &Origin,
) -> Result<()> {
    if !is_crd(&doc) {
        out.skipped += 1;
        return Ok(());
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
    if let Some(&first) = seen.get(&name) {
        let first: &Located = &out.crds[first];
        return Err(duplicate_error(&name, &first.crd.origin, origin));
    }
    seen.insert(name.clone(), out.crds.len());
    out.crds.push(Located {
        crd: Crd {
            name,
            doc,
            origin: origin.clone(),
        },
        spans: (!spans.is_empty()).then_some(spans),
    });
    Ok(())
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
