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
    /// Where each CRD's nodes are in its file, by CRD name; absent where the loader did not
    /// record them (see `spans`).
    pub spans: BTreeMap<String, crate::spans::Spans>,
    /// The files the set was read from, where their bytes were hashed.
    pub files: Vec<FileRecord>,
}

/// One file of a set: the digest of its bytes and what it held, so that a byte-identical file of
/// the other side need not be parsed (see `gate::check_file_by_file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    pub len: usize,
    /// SHA-256 of the bytes.
    pub digest: [u8; 32],
    /// `metadata.name` of each CRD the file holds, in file order.
    pub crds: Vec<String>,
    /// Documents of the file that are not CRDs.
    pub skipped: usize,
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

    /// Keeps only the CRDs named in `names`; returns how many were left out.
    pub fn retain_names<'a>(&mut self, names: impl IntoIterator<Item = &'a String>) -> usize {
        let keep: std::collections::BTreeSet<&String> = names.into_iter().collect();
        let before = self.crds.len();
        self.crds.retain(|name, _| keep.contains(name));
        before - self.crds.len()
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
