//! A loaded set of CRDs. The checker compares `serde_json::Value` trees, not typed structs: a round
//! trip through k8s-openapi's JSONSchemaProps would drop unknown keywords and explicit nulls, and
//! the checker must see every keyword to report what it does not understand.

use serde_json::Value;
use std::collections::BTreeMap;

/// Where a document came from, for error messages that name both files of a duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file as the user would name it (a path, `git:REV:PATH`, `<stdin>`, `cluster`).
    pub file: String,
    /// 1-based line of the document's first line in that file, where known.
    pub line: Option<usize>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.file, line),
            None => f.write_str(&self.file),
        }
    }
}

/// One CustomResourceDefinition document.
#[derive(Debug, Clone)]
pub struct Crd {
    /// `metadata.name`.
    pub name: String,
    /// The whole document.
    pub doc: Value,
    pub origin: Origin,
}

/// A set of CRDs matched by name.
#[derive(Debug, Clone, Default)]
pub struct CrdSet {
    /// How the user named the source.
    pub label: String,
    pub crds: BTreeMap<String, Crd>,
    /// Documents that were read but are not CRDs.
    pub skipped_documents: usize,
}

impl CrdSet {
    pub fn new(label: impl Into<String>) -> CrdSet {
        CrdSet {
            label: label.into(),
            ..CrdSet::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.crds.is_empty()
    }
}

/// Whether a document is a CustomResourceDefinition (any apiextensions version).
pub fn is_crd(doc: &Value) -> bool {
    doc.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
        && doc
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|v| v.starts_with("apiextensions.k8s.io/"))
}
