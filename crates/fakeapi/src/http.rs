//! The HTTP face of the fake API server (axum): authentication by bearer token, routing to the
//! store, Status bodies for failures, `Table` answers for clients that ask for them (`kubectl
//! get`), and streaming watches.

use super::connection::Cut;
use super::discovery;
use super::query::{Query, Selector};
use super::status::ApiError;
use super::store::{Call, Collection, Identity, Route, Store};
use super::{RequestRecord, User, clock};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Everything the handlers share.
pub struct Shared {
    pub store: Mutex<Store>,
    /// Bumped after every request that may have changed the store, to wake watches.
    pub changed: watch::Sender<u64>,
    pub users: Vec<User>,
    pub log: Mutex<Vec<RequestRecord>>,
    /// `host:port`, for `/api`'s serverAddressByClientCIDRs.
    pub address: String,
    /// Print one line per request to stderr.
    pub verbose: bool,
}

impl Shared {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves consistent data (every mutation is completed
        // before the next statement), so a poisoned lock is still usable.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn notify(&self) {
        let rv = self.store().resource_version();
        self.changed.send_replace(rv);
    }
}

/// The one handler: every path goes through here.
pub async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<Cut>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let raw_query = uri.query().unwrap_or_default().to_string();
    let (code, response) =
        match dispatch(&shared, &method, &path, &raw_query, &headers, &body).await {
            Ok(Reply::Json(code, value)) => (code, json_response(code, &value)),
            Ok(Reply::Text(code, text)) => (
                code,
                (StatusCode::from_u16(code).unwrap_or(StatusCode::OK), text).into_response(),
            ),
            Ok(Reply::Watch(body)) => {
                let mut response = Response::new(body);
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                (200, response)
            }
            Ok(Reply::Lost) => {
                connection.cut();
                (0, Response::new(Body::empty()))
            }
            Err(err) => (err.code, error_response(&err)),
        };
    if shared.verbose {
        // Not `eprintln!`: a closed stderr must not panic a request handler.
        let _ = writeln!(
            std::io::stderr(),
            "{method} {path}{}{raw_query} -> {}",
            if raw_query.is_empty() { "" } else { "?" },
            if code == 0 {
                "connection closed without an answer".to_string()
            } else {
                code.to_string()
            }
        );
    }
    if let Ok(mut log) = shared.log.lock() {
        log.push(RequestRecord {
            method: method.to_string(),
            path,
            query: raw_query,
            code,
        });
    }
    shared.notify();
    response
}

enum Reply {
    Json(u16, Value),
    Text(u16, &'static str),
    Watch(Body),
    /// Carried out; the answer is lost with the connection (fault injection).
    Lost,
}

/// A `metav1.Status` answer, with `Retry-After` when the Status says when to retry.
fn error_response(err: &ApiError) -> Response {
    let mut response = json_response(err.code, &err.to_status());
    if let Some(seconds) = err.retry_after()
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn json_response(code: u16, value: &Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Identity, ApiError> {
    if shared.users.is_empty() {
        return Ok(Identity::admin());
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(ApiError::unauthorized)?;
    shared
        .users
        .iter()
        .find(|u| u.token == token)
        .map(|u| Identity {
            user: u.name.clone(),
            verbs: u.verbs.as_ref().map(|v| v.iter().cloned().collect()),
        })
        .ok_or_else(ApiError::unauthorized)
}

async fn dispatch(
    shared: &Arc<Shared>,
    method: &Method,
    path: &str,
    raw_query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let route = shared.store().route(path);
    if route == Route::Health {
        return Ok(Reply::Text(200, "ok"));
    }
    if route == Route::Version {
        return Ok(Reply::Json(200, discovery::version()));
    }
    let identity = authenticate(shared, headers)?;
    let query = Query::parse(raw_query)?;
    let is_get = method == Method::GET;
    match &route {
        Route::CoreApi if is_get => Ok(Reply::Json(200, discovery::core_versions(&shared.address))),
        Route::CoreV1 if is_get => Ok(Reply::Json(200, discovery::core_resources())),
        Route::Groups if is_get => {
            let store = shared.store();
            Ok(Reply::Json(
                200,
                discovery::group_list(&store.established_crds()),
            ))
        }
        Route::Group(g) if is_get => {
            let store = shared.store();
            discovery::group(&store.established_crds(), g)
                .map(|v| Reply::Json(200, v))
                .ok_or_else(ApiError::no_such_resource)
        }
        Route::GroupVersion(g, v) if is_get => {
            let store = shared.store();
            discovery::resources(&store.established_crds(), g, v)
                .map(|doc| Reply::Json(200, doc))
                .ok_or_else(ApiError::no_such_resource)
        }
        Route::OpenApiRoot if is_get => {
            let store = shared.store();
            Ok(Reply::Json(
                200,
                discovery::openapi_v3_root(&store.established_crds()),
            ))
        }
        Route::OpenApiGroupVersion(g, v) if is_get => {
            let store = shared.store();
            discovery::openapi_v3_group(&store.established_crds(), g, v)
                .map(|doc| Reply::Json(200, doc))
                .ok_or_else(ApiError::no_such_resource)
        }
        Route::Crds { name: None, .. } | Route::Objects { name: None, .. }
            if is_get && query.watch =>
        {
            let admission = shared.store().admit_watch(&route, &identity)?;
            if !admission.delay.is_zero() {
                tokio::time::sleep(admission.delay).await;
            }
            if let Some(err) = admission.answer {
                return Err(err);
            }
            if admission.lose_response {
                return Ok(Reply::Lost);
            }
            start_watch(shared, &route, &query, &identity)
        }
        Route::Crds { .. } | Route::Objects { .. } => {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("application/json");
            let user_agent = headers
                .get(header::USER_AGENT)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            let now = clock::now();
            let call = Call {
                method: method.as_str(),
                route: &route,
                query: &query,
                content_type,
                body,
                user_agent,
                identity: &identity,
                now: &now,
            };
            let admission = shared.store().admit(&call)?;
            if !admission.delay.is_zero() {
                // Without the lock: other requests go on meanwhile.
                tokio::time::sleep(admission.delay).await;
            }
            if let Some(err) = admission.answer {
                return Err(err);
            }
            let carried_out = shared.store().carry_out(&call);
            if admission.lose_response {
                return Ok(Reply::Lost);
            }
            let (code, value) = carried_out?;
            let wants_table = headers
                .get(header::ACCEPT)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|a| a.contains("as=Table"));
            if wants_table && is_get {
                return Ok(Reply::Json(
                    code,
                    to_table(&value, matches!(route, Route::Crds { .. })),
                ));
            }
            Ok(Reply::Json(code, value))
        }
        _ => Err(ApiError::no_such_resource()),
    }
}

/// `meta.k8s.io/v1` Table of one object or a list, with the columns the real server prints for
/// CRDs (`Name`, `Created At`) and for custom resources without printer columns (`Name`, `Age`).
fn to_table(value: &Value, crds: bool) -> Value {
    let items: Vec<&Value> = match value.get("items").and_then(Value::as_array) {
        Some(items) => items.iter().collect(),
        None => vec![value],
    };
    let (second, description) = if crds {
        (
            "Created At",
            "Timestamp is a timestamp representing the server time when this object was created.",
        )
    } else {
        (
            "Age",
            "CreationTimestamp is a timestamp representing the server time when this object was created.",
        )
    };
    let rows: Vec<Value> = items
        .iter()
        .map(|item| {
            let meta = item.get("metadata").cloned().unwrap_or(json!({}));
            let created = meta
                .get("creationTimestamp")
                .and_then(Value::as_str)
                .unwrap_or_default();
            // CRDs show the timestamp, custom resources their age (as the real table converters).
            let when = if crds {
                json!(created)
            } else {
                let now = clock::parse_unix(&clock::now()).unwrap_or(0);
                let age = clock::parse_unix(created).map(|t| now.saturating_sub(t));
                json!(age.map_or_else(|| "<unknown>".to_string(), clock::human_duration))
            };
            json!({
                "cells": [meta.get("name").cloned().unwrap_or(json!("")), when],
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": meta,
                }
            })
        })
        .collect();
    // The list's paging (`continue`, `remainingItemCount`) goes with the table: kubectl asks
    // for 500 rows at a time and follows `continue` until it is gone.
    let mut metadata = json!({ "resourceVersion": "" });
    if let Some(list_meta) = value.get("metadata").and_then(Value::as_object) {
        for key in ["resourceVersion", "continue", "remainingItemCount"] {
            if let Some(v) = list_meta.get(key) {
                metadata[key] = v.clone();
            }
        }
    }
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": [
            { "name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0 },
            { "name": second, "type": "date", "format": "", "description": description, "priority": 0 },
        ],
        "rows": rows,
    })
}

/// A stream of watch events fed by a task.
struct EventStream(mpsc::Receiver<Bytes>);

impl futures_core::Stream for EventStream {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|next| next.map(Ok))
    }
}

fn encode_events(events: &[Value]) -> Bytes {
    let mut out = Vec::new();
    for e in events {
        if let Ok(line) = serde_json::to_vec(e) {
            out.extend_from_slice(&line);
            out.push(b'\n');
        }
    }
    Bytes::from(out)
}

fn start_watch(
    shared: &Arc<Shared>,
    route: &Route,
    query: &Query,
    identity: &Identity,
) -> Result<Reply, ApiError> {
    let collection = match route {
        Route::Crds { .. } => Collection::Crds,
        Route::Objects {
            crd,
            version,
            namespace,
            ..
        } => Collection::Objects {
            crd: crd.clone(),
            version: version.clone(),
            namespace: namespace.clone(),
        },
        _ => return Err(ApiError::no_such_resource()),
    };
    let selector = Selector::from_query(query)?;
    let now = clock::now();
    // Authorization and the initial events happen under the lock, and the change subscription
    // before it is released, so no event falls between the two.
    let (initial, mut cursor, mut changes) = {
        let mut store = shared.store();
        store.authorize_watch(route, identity)?;
        let (initial, cursor) = store.watch_start(
            &collection,
            &selector,
            query.resource_version.as_deref(),
            &now,
        )?;
        (initial, cursor, shared.changed.subscribe())
    };
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let timeout = Duration::from_secs(query.timeout_seconds.unwrap_or(1800).min(3600));
    let task_shared = Arc::clone(shared);
    tokio::spawn(async move {
        if !initial.is_empty() && tx.send(encode_events(&initial)).await.is_err() {
            return;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let (events, next) = task_shared.store().events_after(cursor, &collection, &selector);
                    cursor = next;
                    if !events.is_empty() && tx.send(encode_events(&events)).await.is_err() {
                        return;
                    }
                }
                _ = tx.closed() => return,
            }
        }
    });
    Ok(Reply::Watch(Body::from_stream(EventStream(rx))))
}
