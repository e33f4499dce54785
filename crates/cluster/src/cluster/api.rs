//! The requests nexus sends: list and get CRDs, server-side apply (dry run or for real), delete
//! with preconditions, look for objects of a CRD, wait for Established. Documents stay
//! `serde_json::Value`, so that nothing the server sends is lost on the way to the checker.

use super::call::{HttpRequest, call};
use super::connect::Connection;
use super::errors::{Attempt, Failure, describe};
use super::plan::{Readiness, readiness};
use crate::error::{Error, Result};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, Preconditions};
use kube::core::Request;
use serde_json::Value;
use std::time::Duration;

/// The field manager of every nexus write.
pub const FIELD_MANAGER: &str = "nexus";

const CRDS_PATH: &str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const CRDS: &str = "customresourcedefinitions.apiextensions.k8s.io";

fn build_error(e: kube::core::request::Error) -> Error {
    Error::Cluster(format!("cannot build a request to the cluster: {e}"))
}

async fn send(conn: &Connection, req: HttpRequest, attempt: &Attempt) -> Result<Value> {
    call(conn, req, attempt)
        .await
        .map_err(|f| describe(&f, attempt, conn))
}

/// Every CRD in the cluster (paged).
pub async fn list_crds(conn: &Connection) -> Result<Vec<Value>> {
    let attempt = Attempt::new("list", CRDS, None);
    let mut items = Vec::new();
    let mut continue_token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(500);
        if let Some(token) = continue_token.take() {
            params = params.continue_token(&token);
        }
        let req = Request::new(CRDS_PATH).list(&params).map_err(build_error)?;
        let page = send(conn, req, &attempt).await?;
        if let Some(list) = page.get("items").and_then(Value::as_array) {
            items.extend(list.iter().cloned());
        }
        match page.pointer("/metadata/continue").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => continue_token = Some(token.to_string()),
            _ => return Ok(items),
        }
    }
}

/// One CRD, `None` if it does not exist.
pub async fn get_crd(conn: &Connection, name: &str) -> Result<Option<Value>> {
    let attempt = Attempt::new("get", CRDS, Some(name));
    let req = Request::new(CRDS_PATH)
        .get(name, &Default::default())
        .map_err(build_error)?;
    match call(conn, req, &attempt).await {
        Ok(v) => Ok(Some(v)),
        Err(Failure::Api { code: 404, .. }) => Ok(None),
        Err(f) => Err(describe(&f, &attempt, conn)),
    }
}

/// Server-side apply of a CRD with field manager `nexus` and `force` (see `plan::apply_body`
/// for why forcing is safe here); `dry_run` sends `dryRun=All`.
pub async fn apply_crd(conn: &Connection, body: &Value, dry_run: bool) -> Result<Value> {
    let name = body
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let attempt = Attempt::new("patch", CRDS, Some(name));
    let mut params = PatchParams::apply(FIELD_MANAGER).force();
    if dry_run {
        params = params.dry_run();
    }
    let req = Request::new(CRDS_PATH)
        .patch(name, &params, &Patch::Apply(body))
        .map_err(build_error)?;
    send(conn, req, &attempt).await
}

/// A merge patch of a CRD (the ownership hand-over of `plan::adoption_patch`).
pub async fn merge_patch_crd(conn: &Connection, name: &str, patch: &Value) -> Result<Value> {
    let attempt = Attempt::new("patch", CRDS, Some(name));
    let req = Request::new(CRDS_PATH)
        .patch(name, &PatchParams::default(), &Patch::Merge(patch))
        .map_err(build_error)?;
    send(conn, req, &attempt).await
}

/// Deletes a CRD, provided it is still the object that was checked (same uid and
/// resourceVersion).
pub async fn delete_crd(
    conn: &Connection,
    name: &str,
    uid: &str,
    resource_version: &str,
) -> Result<()> {
    let attempt = Attempt::new("delete", CRDS, Some(name));
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: Some(uid.to_string()).filter(|u| !u.is_empty()),
            resource_version: Some(resource_version.to_string()).filter(|r| !r.is_empty()),
        }),
        ..DeleteParams::default()
    };
    let req = Request::new(CRDS_PATH)
        .delete(name, &params)
        .map_err(build_error)?;
    send(conn, req, &attempt).await.map(|_| ())
}

/// Up to `limit` objects of a CRD, across all namespaces, as `namespace/name` (or `name`).
/// `None` when the CRD serves no version, so that nobody can tell.
pub async fn sample_objects(
    conn: &Connection,
    crd: &Value,
    limit: u32,
) -> Result<Option<Vec<String>>> {
    let group = crd
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let plural = crd
        .pointer("/spec/names/plural")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let versions = crd.pointer("/spec/versions").and_then(Value::as_array);
    // Any served version lists every object: they share one storage.
    let Some(version) = versions
        .into_iter()
        .flatten()
        .find(|v| v.get("served").and_then(Value::as_bool) == Some(true))
        .and_then(|v| v.get("name").and_then(Value::as_str))
    else {
        return Ok(None);
    };
    let attempt = Attempt::new("list", format!("{plural}.{group}"), None);
    let req = Request::new(format!("/apis/{group}/{version}/{plural}"))
        .list(&ListParams::default().limit(limit))
        .map_err(build_error)?;
    let list = send(conn, req, &attempt).await?;
    let names = list
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|item| {
            let name = item
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match item.pointer("/metadata/namespace").and_then(Value::as_str) {
                Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
                _ => name.to_string(),
            }
        })
        .collect();
    Ok(Some(names))
}

/// Polls a CRD until it is Established. Names the server refused are an error at once; so is
/// reaching the command's deadline (`--timeout`). Past the deadline it checks once.
pub async fn wait_established(conn: &Connection, name: &str) -> Result<()> {
    let timeout = conn.deadline.timeout;
    let mut pause = Duration::from_millis(25);
    let phase = crate::progress::Phase::start(
        format!("waiting for CRD {name:?} to become Established"),
        None,
    );
    loop {
        let Some(crd) = get_crd(conn, name).await? else {
            return Err(Error::Cluster(format!(
                "CRD {name:?} disappeared from {} while nexus waited for it to become Established",
                conn.describe()
            )));
        };
        match readiness(&crd) {
            Readiness::Established => {
                phase.finish("Established");
                return Ok(());
            }
            Readiness::NamesRefused { reason, message } => {
                return Err(Error::Cluster(format!(
                    "{} did not accept the names of CRD {name:?} (NamesAccepted is False, {reason}): {message}; choose names that no other CRD of the group uses",
                    conn.describe()
                )));
            }
            Readiness::Pending(state) => {
                let left = conn.deadline.remaining();
                if left.is_zero() {
                    return Err(Error::Cluster(format!(
                        "CRD {name:?} did not become Established within {} ({state}); the --timeout deadline counts from the start of the command: wait longer with --timeout, or look at `kubectl get crd {name} -o yaml`",
                        super::duration::format_duration(timeout)
                    )));
                }
                tokio::time::sleep(pause.min(left)).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
        }
    }
}
