//! Where stored objects come from and go back to. Migrations read every object of a CRD with its
//! `resourceVersion` and replace each one with that version as the precondition, so the one
//! interface is [`ObjectStore`]: the kube client and the fake API server implement it for
//! `install` and `migrate apply`; [`MemoryStore`] holds objects read from files
//! (`plan --objects`) and serves the tests.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

/// A namespaced object's namespace and name (no namespace for a cluster-scoped one).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectId {
    /// The id in `object.metadata`; `None` without a string `metadata.name`.
    pub fn of(object: &Value) -> Option<ObjectId> {
        let metadata = object.get("metadata")?;
        let name = metadata.get("name")?.as_str()?.to_string();
        let namespace = metadata
            .get("namespace")
            .and_then(Value::as_str)
            .filter(|ns| !ns.is_empty())
            .map(str::to_string);
        Some(ObjectId { namespace, name })
    }
}

/// `namespace/name`, or `name` for a cluster-scoped object.
impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{ns}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The REST resource of a CRD at the version objects are read and written at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Resource {
    /// `metadata.name` of the CRD (`employees.role.orgchart.org`).
    pub crd: String,
    pub group: String,
    pub version: String,
    pub plural: String,
    pub kind: String,
    pub namespaced: bool,
    /// Whether `version` has the status subresource: a replace then keeps the stored status,
    /// and status is written with [`ObjectStore::replace_status`].
    pub status_subresource: bool,
}

impl Resource {
    /// The resource of a CRD document at its storage version (the first served version when
    /// none is marked as storage); `None` when the document lacks the names.
    pub fn of_crd(doc: &Value) -> Option<Resource> {
        let spec = doc.get("spec")?;
        let versions = spec.get("versions")?.as_array()?;
        let storage = versions
            .iter()
            .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
            .or_else(|| {
                versions
                    .iter()
                    .find(|v| v.get("served").and_then(Value::as_bool) == Some(true))
            })?;
        let names = spec.get("names")?;
        Some(Resource {
            crd: doc.get("metadata")?.get("name")?.as_str()?.to_string(),
            group: spec.get("group")?.as_str()?.to_string(),
            version: storage.get("name")?.as_str()?.to_string(),
            plural: names.get("plural")?.as_str()?.to_string(),
            kind: names.get("kind")?.as_str()?.to_string(),
            namespaced: spec.get("scope").and_then(Value::as_str) != Some("Cluster"),
            status_subresource: storage.pointer("/subresources/status").is_some(),
        })
    }

    /// `group/version`, the `apiVersion` of the objects (`version` alone in the core group).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// An object as read, with the `resourceVersion` that a replace must name.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObject {
    pub object: Value,
    pub resource_version: String,
}

impl StoredObject {
    /// The object's id; objects from a store always have one.
    pub fn id(&self) -> ObjectId {
        ObjectId::of(&self.object).unwrap_or(ObjectId {
            namespace: None,
            name: String::new(),
        })
    }
}

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The object changed since it was read (HTTP 409): read it again and retry.
    #[error("{id} changed since it was read (resourceVersion {expected} is stale)")]
    Conflict { id: ObjectId, expected: String },
    /// The object is gone.
    #[error("{id} no longer exists")]
    NotFound { id: ObjectId },
    /// A write whose answer was lost (the connection broke, no answer in time): it may or may
    /// not have been done; read the object back to learn which. The message is the whole
    /// sentence.
    #[error("{reason}")]
    OutcomeUnknown { id: ObjectId, reason: String },
    /// Anything else; the message is the whole sentence.
    #[error("{0}")]
    Other(String),
}

/// Stored objects of custom resources, read and replaced with optimistic concurrency.
pub trait ObjectStore: Send + Sync {
    /// Every object of `resource` in every namespace, as served at `resource.version`, sorted by
    /// id.
    fn list(&self, resource: &Resource) -> Result<Vec<StoredObject>, StoreError>;

    /// One object, `None` when it does not exist.
    fn get(&self, resource: &Resource, id: &ObjectId) -> Result<Option<StoredObject>, StoreError>;

    /// Creates an object; [`StoreError::Conflict`] when it exists already.
    fn create(&self, resource: &Resource, object: &Value) -> Result<StoredObject, StoreError>;

    /// Replaces the object named by `object.metadata` if its current `resourceVersion` is still
    /// `resource_version`; returns the object as stored with its new `resourceVersion`. With
    /// [`Resource::status_subresource`] the stored status stays (the API server ignores it).
    fn replace(
        &self,
        resource: &Resource,
        object: &Value,
        resource_version: &str,
    ) -> Result<StoredObject, StoreError>;

    /// Replaces only the status of the object named by `object.metadata` (`PUT .../status`; no
    /// `status` removes it) if its current `resourceVersion` is still `resource_version`; only
    /// for a resource with [`Resource::status_subresource`].
    fn replace_status(
        &self,
        resource: &Resource,
        object: &Value,
        resource_version: &str,
    ) -> Result<StoredObject, StoreError>;
}

/// Objects kept in memory, keyed by group and kind: the behaviour of the API server that
/// migrations rely on (resourceVersion preconditions, conversion strategy `None`), nothing more.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<MemoryState>,
}

#[derive(Debug, Default)]
struct MemoryState {
    last_version: u64,
    objects: BTreeMap<(String, String), BTreeMap<ObjectId, (Value, u64)>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Adds (or overwrites) an object; it gets a fresh `resourceVersion`. Fails without
    /// `apiVersion`, `kind` or `metadata.name`.
    pub fn insert(&self, object: Value) -> Result<StoredObject, StoreError> {
        let (group, kind) = group_kind(&object)
            .ok_or_else(|| StoreError::Other("the object has no apiVersion or kind".into()))?;
        let id = ObjectId::of(&object)
            .ok_or_else(|| StoreError::Other("the object has no metadata.name".into()))?;
        let mut state = self.lock();
        state.last_version += 1;
        let version = state.last_version;
        let object = with_resource_version(object, version);
        state
            .objects
            .entry((group, kind))
            .or_default()
            .insert(id, (object.clone(), version));
        Ok(StoredObject {
            object,
            resource_version: version.to_string(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        // A panic while holding the lock leaves consistent maps: every update is one insert.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ObjectStore for MemoryStore {
    fn list(&self, resource: &Resource) -> Result<Vec<StoredObject>, StoreError> {
        let state = self.lock();
        let key = (resource.group.clone(), resource.kind.clone());
        Ok(state
            .objects
            .get(&key)
            .into_iter()
            .flat_map(|objects| objects.values())
            .map(|(object, version)| served(resource, object, *version))
            .collect())
    }

    fn get(&self, resource: &Resource, id: &ObjectId) -> Result<Option<StoredObject>, StoreError> {
        let state = self.lock();
        let key = (resource.group.clone(), resource.kind.clone());
        Ok(state
            .objects
            .get(&key)
            .and_then(|objects| objects.get(id))
            .map(|(object, version)| served(resource, object, *version)))
    }

    fn create(&self, resource: &Resource, object: &Value) -> Result<StoredObject, StoreError> {
        let id = ObjectId::of(object)
            .ok_or_else(|| StoreError::Other("the object has no metadata.name".into()))?;
        if self.get(resource, &id)?.is_some() {
            return Err(StoreError::Conflict {
                id,
                expected: String::new(),
            });
        }
        let mut object = object.clone();
        if let Some(map) = object.as_object_mut() {
            map.insert("apiVersion".into(), Value::String(resource.api_version()));
            map.insert("kind".into(), Value::String(resource.kind.clone()));
        }
        let created = self.insert(object)?;
        Ok(served(
            resource,
            &created.object,
            created.resource_version.parse().unwrap_or(0),
        ))
    }

    fn replace(
        &self,
        resource: &Resource,
        object: &Value,
        resource_version: &str,
    ) -> Result<StoredObject, StoreError> {
        self.write(resource, object, resource_version, Part::Main)
    }

    fn replace_status(
        &self,
        resource: &Resource,
        object: &Value,
        resource_version: &str,
    ) -> Result<StoredObject, StoreError> {
        if !resource.status_subresource {
            return Err(StoreError::Other(format!(
                "{} has no status subresource",
                resource.crd
            )));
        }
        self.write(resource, object, resource_version, Part::Status)
    }
}

/// Which part of an object a write replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Everything, except the status behind a status subresource.
    Main,
    /// The status only.
    Status,
}

impl MemoryStore {
    fn write(
        &self,
        resource: &Resource,
        object: &Value,
        resource_version: &str,
        part: Part,
    ) -> Result<StoredObject, StoreError> {
        let id = ObjectId::of(object)
            .ok_or_else(|| StoreError::Other("the object has no metadata.name".into()))?;
        let mut state = self.lock();
        state.last_version += 1;
        let next = state.last_version;
        let key = (resource.group.clone(), resource.kind.clone());
        let Some(slot) = state.objects.get_mut(&key).and_then(|o| o.get_mut(&id)) else {
            return Err(StoreError::NotFound { id });
        };
        if slot.1.to_string() != resource_version {
            return Err(StoreError::Conflict {
                id,
                expected: resource_version.to_string(),
            });
        }
        // As the API server: the main resource keeps the stored status, `/status` keeps all
        // but the status.
        let (mut base, status) = match part {
            Part::Main if resource.status_subresource => {
                (object.clone(), slot.0.get("status").cloned())
            }
            Part::Main => (object.clone(), object.get("status").cloned()),
            Part::Status => (slot.0.clone(), object.get("status").cloned()),
        };
        if let Some(map) = base.as_object_mut() {
            match status {
                Some(status) => map.insert("status".to_string(), status),
                None => map.remove("status"),
            };
        }
        let mut stored = with_resource_version(base, next);
        if let Some(map) = stored.as_object_mut() {
            map.insert(
                "apiVersion".to_string(),
                Value::String(resource.api_version()),
            );
        }
        *slot = (stored, next);
        Ok(served(resource, &slot.0, next))
    }
}

/// The object as the API server serves it at `resource.version`: with conversion strategy
/// `None` only `apiVersion` changes.
fn served(resource: &Resource, object: &Value, version: u64) -> StoredObject {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.insert(
            "apiVersion".to_string(),
            Value::String(resource.api_version()),
        );
    }
    StoredObject {
        object,
        resource_version: version.to_string(),
    }
}

fn group_kind(object: &Value) -> Option<(String, String)> {
    let api_version = object.get("apiVersion")?.as_str()?;
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = object.get("kind")?.as_str()?;
    Some((group.to_string(), kind.to_string()))
}

fn with_resource_version(mut object: Value, version: u64) -> Value {
    if let Some(map) = object.as_object_mut() {
        let metadata = map
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(metadata) = metadata.as_object_mut() {
            metadata.insert(
                "resourceVersion".to_string(),
                Value::String(version.to_string()),
            );
        }
    }
    object
}

/// The version part of an object's `apiVersion` (`v1` of `role.orgchart.org/v1`), `""` when it
/// has none.
pub fn object_version(object: &Value) -> &str {
    object
        .get("apiVersion")
        .and_then(Value::as_str)
        .and_then(|v| v.rsplit('/').next())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crd() -> Value {
        json!({
            "metadata": {"name": "employees.role.orgchart.org"},
            "spec": {
                "group": "role.orgchart.org",
                "scope": "Namespaced",
                "names": {"plural": "employees", "kind": "Employee"},
                "versions": [
                    {"name": "v1", "served": true, "storage": false},
                    {"name": "v2", "served": true, "storage": true}
                ]
            }
        })
    }

    fn employee(ns: &str, name: &str) -> Value {
        json!({
            "apiVersion": "role.orgchart.org/v1",
            "kind": "Employee",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"location": "hq"}
        })
    }

    #[test]
    fn resource_is_read_at_the_storage_version() {
        let r = Resource::of_crd(&crd()).unwrap();
        assert_eq!(r.version, "v2");
        assert_eq!(r.api_version(), "role.orgchart.org/v2");
        assert!(r.namespaced);
        assert_eq!(Resource::of_crd(&json!({"spec": {}})), None);
    }

    #[test]
    fn ids_print_like_kubectl() {
        let id = ObjectId::of(&employee("ns-a", "alice")).unwrap();
        assert_eq!(id.to_string(), "ns-a/alice");
        let id = ObjectId::of(&json!({"metadata": {"name": "root"}})).unwrap();
        assert_eq!(id.to_string(), "root");
        assert_eq!(ObjectId::of(&json!({"metadata": {}})), None);
    }

    #[test]
    fn list_serves_the_requested_version_sorted() {
        let store = MemoryStore::new();
        store.insert(employee("b", "x")).unwrap();
        store.insert(employee("a", "y")).unwrap();
        store
            .insert(json!({"apiVersion": "other.org/v1", "kind": "Employee", "metadata": {"name": "z"}}))
            .unwrap();
        let r = Resource::of_crd(&crd()).unwrap();
        let listed = store.list(&r).unwrap();
        let ids: Vec<String> = listed.iter().map(|o| o.id().to_string()).collect();
        assert_eq!(ids, ["a/y", "b/x"]);
        assert_eq!(listed[0].object["apiVersion"], "role.orgchart.org/v2");
        assert_eq!(
            listed[0].object["metadata"]["resourceVersion"],
            listed[0].resource_version.as_str()
        );
    }

    #[test]
    fn replace_needs_the_current_resource_version() {
        let store = MemoryStore::new();
        let r = Resource::of_crd(&crd()).unwrap();
        let first = store.insert(employee("a", "x")).unwrap();
        let mut changed = first.object.clone();
        changed["spec"]["location"] = json!("branch");
        let second = store
            .replace(&r, &changed, &first.resource_version)
            .unwrap();
        assert_ne!(second.resource_version, first.resource_version);
        let err = store
            .replace(&r, &changed, &first.resource_version)
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        let now = store.get(&r, &first.id()).unwrap().unwrap();
        assert_eq!(now.object["spec"]["location"], "branch");
        let missing = employee("a", "nobody");
        assert!(matches!(
            store.replace(&r, &missing, "1"),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn behind_a_status_subresource_replace_keeps_status_and_replace_status_keeps_the_rest() {
        let store = MemoryStore::new();
        let mut doc = crd();
        doc["spec"]["versions"][1]["subresources"] = json!({"status": {}});
        let r = Resource::of_crd(&doc).unwrap();
        assert!(r.status_subresource);
        let mut e = employee("a", "x");
        e["status"] = json!({"ready": false});
        let first = store.insert(e).unwrap();
        let mut changed = first.object.clone();
        changed["spec"]["location"] = json!("branch");
        changed["status"] = json!({"ready": true});
        let second = store
            .replace(&r, &changed, &first.resource_version)
            .unwrap();
        assert_eq!(second.object["status"], json!({"ready": false}));
        assert_eq!(second.object["spec"]["location"], "branch");
        let mut stale = changed.clone();
        stale["spec"]["location"] = json!("ignored");
        assert!(matches!(
            store.replace_status(&r, &stale, &first.resource_version),
            Err(StoreError::Conflict { .. })
        ));
        let third = store
            .replace_status(&r, &stale, &second.resource_version)
            .unwrap();
        assert_eq!(third.object["status"], json!({"ready": true}));
        assert_eq!(third.object["spec"]["location"], "branch");
        let plain = Resource::of_crd(&crd()).unwrap();
        assert!(!plain.status_subresource);
        assert!(
            store
                .replace_status(&plain, &stale, &third.resource_version)
                .is_err()
        );
    }
}
