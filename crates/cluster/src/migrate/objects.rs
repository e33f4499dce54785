//! Stored objects read from YAML files instead of a cluster (`migrate plan --objects DIR`): every
//! `*.yaml`, `*.yml` and `*.json` file below a directory (or one file), multi-document files and
//! `kind: List` documents (what `kubectl get -o yaml` prints) included. CRDs found there are
//! skipped; every other document must be an object with `apiVersion`, `kind` and a
//! `metadata.name` the API server would accept in a path.

use super::store::{MemoryStore, ObjectId};
use crate::error::{Error, Result};
use crate::source::yaml;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// What was read.
#[derive(Debug, Default)]
pub struct Loaded {
    pub store: MemoryStore,
    /// Objects read (CRDs not counted).
    pub objects: usize,
    /// CRD documents skipped.
    pub skipped_crds: usize,
}

/// Reads the objects under `path` into a [`MemoryStore`]. Two documents for one object (same
/// group, kind, namespace and name) are an error naming both places.
pub fn load(path: &Path) -> Result<Loaded> {
    let files = manifest_files(path)?;
    // A file named on the command line may be a pipe (`<(kubectl get …)`); one found in a
    // directory must be a regular file. Both are read up to the input limit.
    let named = !path.is_dir();
    let mut loaded = Loaded::default();
    let mut seen: BTreeMap<(String, String, ObjectId), String> = BTreeMap::new();
    for file in files {
        let shown = file.display().to_string();
        let bytes = if named {
            crate::input::read_named(&file)?
        } else {
            crate::input::read_regular(&file)?
        };
        for doc in yaml::parse_documents(&bytes, &shown)? {
            let place = format!("{shown}:{}", doc.line);
            let items = match doc.value {
                Value::Object(mut map) if is_list(&map) => match map.remove("items") {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                },
                other => vec![other],
            };
            for object in items {
                if crate::crd::is_crd(&object) {
                    loaded.skipped_crds += 1;
                    continue;
                }
                let key = identity(&object, &place)?;
                if let Some(first) = seen.get(&key) {
                    return Err(Error::input(format!(
                        "{place}: {} {} is also defined at {first}; keep one document per object",
                        key.1, key.2
                    )));
                }
                seen.insert(key, place.clone());
                loaded
                    .store
                    .insert(object)
                    .map_err(|e| Error::input(format!("{place}: {e}")))?;
                loaded.objects += 1;
            }
        }
    }
    Ok(loaded)
}

/// `kind: List` (or any `*List`) with `items`: what `kubectl get -o yaml` prints.
fn is_list(map: &serde_json::Map<String, Value>) -> bool {
    map.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && map.get("items").is_some_and(Value::is_array)
}

/// Group, kind and id of an object, checked.
fn identity(object: &Value, place: &str) -> Result<(String, String, ObjectId)> {
    let what = |problem: &str| {
        Error::input(format!(
            "{place}: {problem}; every document must be a Kubernetes object with apiVersion, kind and metadata.name"
        ))
    };
    if !object.is_object() {
        return Err(what("the document is not a mapping"));
    }
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| what("the object has no apiVersion"))?;
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| what("the object has no kind"))?;
    let id = ObjectId::of(object).ok_or_else(|| what("the object has no metadata.name"))?;
    for (label, value) in [
        ("metadata.name", Some(&id.name)),
        ("metadata.namespace", id.namespace.as_ref()),
    ] {
        if let Some(value) = value
            && let Some(problem) = path_segment_problem(value)
        {
            return Err(what(&format!(
                "{label} `{}` {problem}",
                yaml::printable(value)
            )));
        }
    }
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    Ok((group.to_string(), kind.to_string(), id))
}

/// Why a name cannot be a path segment of the API (the server's own check), if it cannot.
fn path_segment_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name == "." || name == ".." {
        Some("may not be `.` or `..`")
    } else if name.contains(['/', '%']) {
        Some("may not contain `/` or `%`")
    } else {
        None
    }
}

/// Every manifest file at or below `path`, sorted; a file is read whatever its name. The walk
/// keeps its own stack and visits each real directory once; FIFOs, sockets and devices in a
/// directory are skipped (a FIFO nobody writes to would block the read forever).
fn manifest_files(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::read(path, &e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let real = std::fs::canonicalize(&dir).map_err(|e| Error::read(&dir, &e))?;
        if !seen.insert(real) {
            continue;
        }
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::read(&dir, &e))? {
            let entry = entry.map_err(|e| Error::read(&dir, &e))?;
            let child = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            match std::fs::metadata(&child) {
                Ok(m) if m.is_dir() => {
                    if !name.starts_with('.') {
                        pending.push(child);
                    }
                }
                Ok(m) if !m.is_file() => {}
                _ => {
                    let manifest = name.rsplit_once('.').is_some_and(|(_, ext)| {
                        ["yaml", "yml", "json"]
                            .iter()
                            .any(|e| ext.eq_ignore_ascii_case(e))
                    });
                    if manifest && !name.starts_with('.') {
                        found.push(child);
                    }
                }
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The file name of an object of the CRD `crd` (`<plural>.<group>`) when objects are written one
/// per file: `<crd>_<namespace>_<name>.yaml` (`<crd>_<name>.yaml` when cluster-scoped). The CRD
/// name, not the kind, so that objects of two CRDs with one kind never share a file; Kubernetes
/// names never hold `_`, so the name is unambiguous.
pub fn file_name(crd: &str, object: &Value) -> String {
    match ObjectId::of(object) {
        Some(ObjectId {
            namespace: Some(ns),
            name,
        }) => format!("{crd}_{ns}_{name}.yaml"),
        Some(ObjectId {
            namespace: None,
            name,
        }) => format!("{crd}_{name}.yaml"),
        None => format!("{crd}.yaml"),
    }
}

/// Writes every object of the affected CRDs in its migrated form, one file per object; the
/// directory appears complete or not at all.
pub fn write_migrated(dir: &Path, plan: &super::plan::Plan) -> Result<usize> {
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(Error::input(format!(
            "--output {} is not empty; name a new or empty directory (migrated objects never overwrite files)",
            dir.display()
        )));
    }
    let files: Vec<(String, String)> = plan
        .objects
        .iter()
        .map(|o| {
            let mut object = o.after.clone().unwrap_or_else(|| o.before.clone());
            // Read from files, the objects carry the resourceVersion of the in-memory store,
            // which means nothing to any cluster.
            if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("resourceVersion");
            }
            (
                file_name(&o.crd, &object),
                crate::output::yaml::to_yaml(&object),
            )
        })
        .collect();
    crate::output::replace_dir(dir, &files)?;
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::store::{ObjectStore, Resource};
    use serde_json::json;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    const EMPLOYEE: &str = "apiVersion: role.orgchart.org/v1\nkind: Employee\nmetadata:\n  name: alice\n  namespace: ns-a\nspec:\n  location: hq\n";

    #[test]
    fn reads_files_documents_and_lists() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.yaml", EMPLOYEE);
        write(
            dir.path(),
            "sub/more.yml",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: role.orgchart.org/v1\n  kind: Employee\n  metadata: {name: bob, namespace: ns-b}\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x}\nspec: {}\n",
        );
        write(dir.path(), "notes.txt", "not yaml: [");
        let loaded = load(dir.path()).unwrap();
        assert_eq!((loaded.objects, loaded.skipped_crds), (2, 1));
        let resource = Resource {
            crd: "employees.role.orgchart.org".into(),
            group: "role.orgchart.org".into(),
            version: "v1".into(),
            plural: "employees".into(),
            kind: "Employee".into(),
            namespaced: true,
            status_subresource: false,
        };
        let names: Vec<String> = loaded
            .store
            .list(&resource)
            .unwrap()
            .iter()
            .map(|o| o.id().to_string())
            .collect();
        assert_eq!(names, ["ns-a/alice", "ns-b/bob"]);
    }

    #[test]
    fn bad_documents_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.yaml", &format!("{EMPLOYEE}---\n{EMPLOYEE}"));
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("a.yaml:9: Employee ns-a/alice is also defined at"),
            "{err}"
        );
        assert!(err.contains("a.yaml:1"), "{err}");
        write(
            dir.path(),
            "a.yaml",
            "kind: Employee\nmetadata: {name: x}\n",
        );
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("a.yaml:1: the object has no apiVersion"),
            "{err}"
        );
        write(
            dir.path(),
            "a.yaml",
            "apiVersion: a/v1\nkind: E\nmetadata: {name: a/b}\n",
        );
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("metadata.name `a/b` may not contain"), "{err}");
        write(dir.path(), "a.yaml", "spec: [\n");
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("a.yaml:"), "{err}");
        assert!(load(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn file_names_are_unambiguous() {
        let o = json!({"kind": "Employee", "metadata": {"name": "a.b", "namespace": "ns"}});
        assert_eq!(
            file_name("employees.role.orgchart.org", &o),
            "employees.role.orgchart.org_ns_a.b.yaml"
        );
        let o = json!({"kind": "Leader", "metadata": {"name": "root"}});
        assert_eq!(
            file_name("leaders.mgmt.orgchart.org", &o),
            "leaders.mgmt.orgchart.org_root.yaml"
        );
    }
}
