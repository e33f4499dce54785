//! Stored custom resources of a live cluster as an [`ObjectStore`]: list across all namespaces
//! (paged), get, and replace (PUT) with the resourceVersion read as the precondition, a 409
//! becoming [`StoreError::Conflict`], a write whose answer was lost
//! [`StoreError::OutcomeUnknown`]. The same requests reach the fake API server and a real
//! cluster.
//!
//! [`ObjectStore`] is synchronous (migrations are a loop over objects); the store owns a
//! current-thread runtime and blocks on it for each request, so it must not be used from inside
//! another tokio runtime.

use super::call::call;
use super::connect::{ClusterTarget, Connection, connect};
use super::errors::{Attempt, Failure, describe};
use crate::error::Result;
use crate::migrate::store::{ObjectId, ObjectStore, Resource, StoreError, StoredObject};
use kube::api::{ListParams, PostParams};
use kube::core::Request;
use serde_json::Value;

/// Objects listed per request.
const PAGE: u32 = 500;

/// A cluster's custom resources, read and replaced with optimistic concurrency.
pub struct KubeStore {
    runtime: tokio::runtime::Runtime,
    conn: Connection,
}

impl KubeStore {
    /// Connects the way kubectl does (kubeconfig, context).
    pub fn connect(target: &ClusterTarget) -> Result<KubeStore> {
        let runtime = super::runtime()?;
        let conn = runtime.block_on(connect(target))?;
        Ok(KubeStore { runtime, conn })
    }

    /// `context (server)`, for messages.
    pub fn describe(&self) -> String {
        self.conn.describe()
    }

    /// The connection and the runtime it runs on, for other requests of the same command.
    pub fn connection(&self) -> (&tokio::runtime::Runtime, &Connection) {
        (&self.runtime, &self.conn)
    }

    fn failure(&self, failure: &Failure, attempt: &Attempt) -> StoreError {
        StoreError::Other(describe(failure, attempt, &self.conn).to_string())
    }
}

/// `/apis/GROUP/VERSION[/namespaces/NS]/PLURAL`; the core group has no `apis` prefix.
fn collection_path(resource: &Resource, namespace: Option<&str>) -> String {
    let base = if resource.group.is_empty() {
        format!("/api/{}", resource.version)
    } else {
        format!("/apis/{}/{}", resource.group, resource.version)
    };
    match namespace {
        Some(ns) => format!("{base}/namespaces/{ns}/{}", resource.plural),
        None => format!("{base}/{}", resource.plural),
    }
}

fn qualified(resource: &Resource) -> String {
    if resource.group.is_empty() {
        resource.plural.clone()
    } else {
        format!("{}.{}", resource.plural, resource.group)
    }
}

fn build_error(e: kube::core::request::Error) -> StoreError {
    StoreError::Other(format!("cannot build a request to the cluster: {e}"))
}

/// The object with the version it was read at.
fn stored(object: Value) -> StoredObject {
    let resource_version = object
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    StoredObject {
        object,
        resource_version,
    }
}

impl ObjectStore for KubeStore {
    fn list(&self, resource: &Resource) -> std::result::Result<Vec<StoredObject>, StoreError> {
        let attempt = Attempt::new("list", qualified(resource), None);
        let request = Request::new(collection_path(resource, None));
        let mut items = Vec::new();
        let mut continue_token: Option<String> = None;
        let phase = crate::progress::Phase::start(
            format!("reading the stored objects of {}", qualified(resource)),
            None,
        );
        loop {
            let mut params = ListParams::default().limit(PAGE);
            if let Some(token) = continue_token.take() {
                params = params.continue_token(&token);
            }
            let req = request.list(&params).map_err(build_error)?;
            let page = self
                .runtime
                .block_on(call(&self.conn, req, &attempt))
                .map_err(|f| self.failure(&f, &attempt))?;
            // Items of a list carry no apiVersion and kind; the list names them once.
            let kind = resource.kind.clone();
            if let Some(list) = page.get("items").and_then(Value::as_array) {
                for item in list {
                    let mut item = item.clone();
                    if let Some(map) = item.as_object_mut() {
                        map.insert("apiVersion".into(), Value::String(resource.api_version()));
                        map.insert("kind".into(), Value::String(kind.clone()));
                    }
                    items.push(stored(item));
                }
            }
            phase.set(items.len() as u64);
            match page.pointer("/metadata/continue").and_then(Value::as_str) {
                Some(token) if !token.is_empty() => continue_token = Some(token.to_string()),
                _ => break,
            }
        }
        phase.finish(&format!("{} read", items.len()));
        items.sort_by_key(StoredObject::id);
        Ok(items)
    }

    fn get(
        &self,
        resource: &Resource,
        id: &ObjectId,
    ) -> std::result::Result<Option<StoredObject>, StoreError> {
        let attempt = Attempt::new("get", qualified(resource), Some(&id.name));
        let req = Request::new(collection_path(resource, id.namespace.as_deref()))
            .get(&id.name, &Default::default())
            .map_err(build_error)?;
        match self.runtime.block_on(call(&self.conn, req, &attempt)) {
            Ok(object) => Ok(Some(stored(object))),
            Err(Failure::Api { code: 404, .. }) => Ok(None),
            Err(f) => Err(self.failure(&f, &attempt)),
        }
    }

    fn create(
        &self,
        resource: &Resource,
        object: &Value,
    ) -> std::result::Result<StoredObject, StoreError> {
        let id = ObjectId::of(object)
            .ok_or_else(|| StoreError::Other("the object has no metadata.name".into()))?;
        let attempt = Attempt::new("create", qualified(resource), Some(&id.name));
        let mut body = object.clone();
        if let Some(map) = body.as_object_mut() {
            map.insert("apiVersion".into(), Value::String(resource.api_version()));
            map.insert("kind".into(), Value::String(resource.kind.clone()));
        }
        let bytes = serde_json::to_vec(&body)
            .map_err(|e| StoreError::Other(format!("cannot encode {id}: {e}")))?;
        let params = PostParams {
            field_manager: Some(super::api::FIELD_MANAGER.to_string()),
            ..PostParams::default()
        };
        let req = Request::new(collection_path(resource, id.namespace.as_deref()))
            .create(&params, bytes)
            .map_err(build_error)?;
        match self.runtime.block_on(call(&self.conn, req, &attempt)) {
            Ok(object) => Ok(stored(object)),
            Err(Failure::Api { code: 409, .. }) => Err(StoreError::Conflict {
                id,
                expected: String::new(),
            }),
            Err(f) => Err(self.write_failure(f, &attempt, id)),
        }
    }

    fn replace(
        &self,
        resource: &Resource,
        object: &Value,
        resource_version: &str,
    ) -> std::result::Result<StoredObject, StoreError> {
        self.put(resource, object, resource_version, None)
    }

    fn replace_status(
        &self,
        resource: &Resource,
        object: &Value,
        resource_version: &str,
    ) -> std::result::Result<StoredObject, StoreError> {
        self.put(resource, object, resource_version, Some("status"))
    }
}

impl KubeStore {
    /// PUT of the object, or of its `subresource`, with `resource_version` as the precondition.
    fn put(
        &self,
        resource: &Resource,
        object: &Value,
        resource_version: &str,
        subresource: Option<&str>,
    ) -> std::result::Result<StoredObject, StoreError> {
        let id = ObjectId::of(object)
            .ok_or_else(|| StoreError::Other("the object has no metadata.name".into()))?;
        let what = match subresource {
            Some(sub) => format!("{}/{sub}", qualified(resource)),
            None => qualified(resource),
        };
        let attempt = Attempt::new("update", what, Some(&id.name));
        let mut body = object.clone();
        if let Some(map) = body.as_object_mut() {
            map.insert("apiVersion".into(), Value::String(resource.api_version()));
            map.insert("kind".into(), Value::String(resource.kind.clone()));
        }
        if let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert(
                "resourceVersion".into(),
                Value::String(resource_version.to_string()),
            );
        }
        let bytes = serde_json::to_vec(&body)
            .map_err(|e| StoreError::Other(format!("cannot encode {id}: {e}")))?;
        // A CRD is replaced only to restore it after a failed install; under a manager of its
        // own, so the next install's apply takes its fields over (see `plan::INSTALLERS`).
        let manager = if resource.group == "apiextensions.k8s.io" {
            super::plan::RESTORE_MANAGER
        } else {
            super::api::FIELD_MANAGER
        };
        let params = PostParams {
            field_manager: Some(manager.to_string()),
            ..PostParams::default()
        };
        let request = Request::new(collection_path(resource, id.namespace.as_deref()));
        let req = match subresource {
            Some(sub) => request.replace_subresource(sub, &id.name, &params, bytes),
            None => request.replace(&id.name, &params, bytes),
        }
        .map_err(build_error)?;
        match self.runtime.block_on(call(&self.conn, req, &attempt)) {
            Ok(object) => Ok(stored(object)),
            Err(Failure::Api { code: 409, .. }) => Err(StoreError::Conflict {
                id,
                expected: resource_version.to_string(),
            }),
            Err(Failure::Api { code: 404, .. }) => Err(StoreError::NotFound { id }),
            Err(f) => Err(self.write_failure(f, &attempt, id)),
        }
    }

    /// A failed write: [`StoreError::OutcomeUnknown`] when the server may have done it.
    fn write_failure(&self, failure: Failure, attempt: &Attempt, id: ObjectId) -> StoreError {
        if outcome_unknown(&failure) {
            StoreError::OutcomeUnknown {
                id,
                reason: describe(&failure, attempt, &self.conn).to_string(),
            }
        } else {
            self.failure(&failure, attempt)
        }
    }
}

/// Whether a write that failed this way may still have been done: no answer (a broken
/// connection, no answer in time), a 504 (the server may still be doing it), or a success
/// answer nexus could not read. Other answers say the server did not do it; refused
/// connections and 429/503 were retried by [`call`] and surface only as nothing done.
fn outcome_unknown(failure: &Failure) -> bool {
    match failure {
        Failure::Unreachable(_) | Failure::Other(_) | Failure::TooLarge { .. } => true,
        Failure::Api { code, .. } => *code == 504,
        Failure::Tls(_) | Failure::Auth(_) | Failure::GaveUp { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(group: &str) -> Resource {
        Resource {
            crd: "employees.role.orgchart.org".into(),
            group: group.into(),
            version: "v1".into(),
            plural: "employees".into(),
            kind: "Employee".into(),
            namespaced: true,
            status_subresource: false,
        }
    }

    #[test]
    fn only_writes_the_server_may_have_done_are_of_unknown_outcome() {
        let api = |code| Failure::Api {
            code,
            reason: String::new(),
            message: String::new(),
        };
        assert!(outcome_unknown(&Failure::Unreachable(
            "connection closed".into()
        )));
        assert!(outcome_unknown(&api(504)));
        assert!(outcome_unknown(&Failure::Other(
            "the answer is not JSON".into()
        )));
        for definite in [
            api(500),
            api(422),
            api(403),
            Failure::GaveUp {
                last: "503".into(),
                timeout: std::time::Duration::from_secs(1),
            },
            Failure::Tls("bad certificate".into()),
        ] {
            assert!(!outcome_unknown(&definite), "{definite:?}");
        }
    }

    #[test]
    fn paths_follow_the_rest_layout() {
        let r = resource("role.orgchart.org");
        assert_eq!(
            collection_path(&r, None),
            "/apis/role.orgchart.org/v1/employees"
        );
        assert_eq!(
            collection_path(&r, Some("ns-a")),
            "/apis/role.orgchart.org/v1/namespaces/ns-a/employees"
        );
        assert_eq!(collection_path(&resource(""), None), "/api/v1/employees");
        assert_eq!(qualified(&r), "employees.role.orgchart.org");
    }
}
