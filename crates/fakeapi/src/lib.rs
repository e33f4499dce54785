//! An in-process Kubernetes API server for CustomResourceDefinitions and their custom resources.
//!
//! No Kubernetes API server can be installed where nexus is developed and tested, so this one
//! follows the real REST semantics closely enough for kube-rs and kubectl: discovery, get, list
//! (with resourceVersion, selectors, limit/continue), watch, create (201, 409 AlreadyExists),
//! update with resourceVersion preconditions (409 Conflict), JSON and merge patches, server-side
//! apply (`application/apply-patch+yaml`, fieldManager, force, field ownership and conflicts),
//! `dryRun=All`, delete with preconditions, 404/401/403 as `metav1.Status`, CRD validation and
//! defaulting, `status.storedVersions`, the `NamesAccepted` and `Established` conditions, and
//! custom resources of established CRDs, pruned and defaulted by the served version's schema on
//! write and again on read (as the API server does once a schema drops a field).
//!
//! It runs on 127.0.0.1 over plain HTTP, in a thread of its own ([`FakeApiServer::start`]), or
//! standalone (the `nexus-fake-apiserver` binary, [`run_standalone`]), and prints or writes the kubeconfig
//! that reaches it. Tests drive it through its handle: seed CRDs and objects, inject faults
//! ([`faults`]: the Nth write answered with an error, a burst of 429/503, a write carried out
//! whose answer is lost with the connection, a delay; a concurrent writer racing one object),
//! count writes.

pub mod clock;
mod connection;
pub mod crd;
pub mod discovery;
pub mod faults;
pub mod fields;
mod http;
pub mod names;
pub mod query;
pub mod status;
pub mod store;

pub use faults::{Effect, Fault, FaultOn, Injection};
pub use status::ApiError;
pub use store::Counters;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use connection::{Cut, CuttableListener};
use http::Shared;
use query::Query;
use serde_json::Value;
use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use store::{Call, Identity, Route, Store};
use tokio::sync::{oneshot, watch};

/// A user that authenticates with a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub token: String,
    /// The verbs the user may use (`get`, `list`, `watch`, `create`, `update`, `patch`,
    /// `delete`); `None`: all of them.
    pub verbs: Option<Vec<String>>,
}

/// How the server behaves.
#[derive(Debug, Clone, Default)]
pub struct FakeConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// How many reads of a new CRD see it not yet Established (0: established at once).
    pub established_after_reads: u32,
    /// Token users. Empty: no authentication, every request may do everything.
    pub users: Vec<User>,
    /// Print one line per request to stderr.
    pub verbose: bool,
}

/// One request the server answered, for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: String,
    /// The HTTP code; 0 when the connection was closed without an answer (a lost response).
    pub code: u16,
}

/// A running fake API server; stops when dropped.
pub struct FakeApiServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeApiServer {
    /// Binds 127.0.0.1 and serves in a background thread.
    pub fn start(config: FakeConfig) -> io::Result<FakeApiServer> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (changed, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new(config.established_after_reads)),
            changed,
            users: config.users,
            log: Mutex::new(Vec::new()),
            address: addr.to_string(),
            verbose: config.verbose,
        });
        let app = Router::new()
            .fallback(http::handle)
            .with_state(Arc::clone(&shared))
            // CRD bundles can be large; the API server's own limit is 3 MiB per object, but a
            // list or a generous test should not trip over axum's 2 MiB default.
            .layer(DefaultBodyLimit::max(64 * 1024 * 1024));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fake-apiserver")
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fake-apiserver".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let app = app.into_make_service_with_connect_info::<Cut>();
                    tokio::select! {
                        _ = axum::serve(CuttableListener(listener), app) => {}
                        _ = stopped => {}
                    }
                });
                // Open watches and keep-alive connections end with the runtime.
                runtime.shutdown_background();
            })?;
        Ok(FakeApiServer {
            shared,
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig whose current context reaches this server (with a bearer token if given).
    pub fn kubeconfig(&self, token: Option<&str>) -> String {
        kubeconfig(&self.url(), token)
    }

    /// Writes [`FakeApiServer::kubeconfig`] to a file only its owner can read.
    pub fn write_kubeconfig(&self, path: &Path, token: Option<&str>) -> io::Result<()> {
        write_private(path, &self.kubeconfig(token))
    }

    pub fn counters(&self) -> Counters {
        self.shared.store().counters()
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared
            .log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// A stored CRD.
    pub fn crd(&self, name: &str) -> Option<Value> {
        self.shared.store().crd(name)
    }

    pub fn crd_names(&self) -> Vec<String> {
        self.shared.store().crd_names()
    }

    /// Number of stored objects of a CRD.
    pub fn object_count(&self, crd_name: &str) -> usize {
        self.shared.store().object_count(crd_name)
    }

    /// Stores a CRD as if someone had created it (field manager `seed`) and the cluster had long
    /// established it.
    pub fn seed_crd(&self, doc: &Value) -> Result<Value, ApiError> {
        self.seed_crd_by(doc, "seed")
    }

    /// Stores a CRD as `manager` would have created it (an update, as `kubectl create` or a
    /// client-side `kubectl apply` does), established at once.
    pub fn seed_crd_by(&self, doc: &Value, manager: &str) -> Result<Value, ApiError> {
        let name = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let query = Query {
            field_manager: Some(manager.to_string()),
            ..Query::default()
        };
        let now = clock::now();
        let mut store = self.shared.store();
        let route = store.route("/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
        let body = serde_json::to_vec(doc).map_err(|e| ApiError::bad_request(e.to_string()))?;
        store.handle(&Call {
            method: "POST",
            route: &route,
            query: &query,
            content_type: "application/json",
            body: &body,
            user_agent: manager,
            identity: &Identity::admin(),
            now: &now,
        })?;
        store.establish_now(&name, &now);
        drop(store);
        self.shared.changed.send_replace(0);
        self.crd(&name).ok_or_else(ApiError::no_such_resource)
    }

    /// Creates a custom resource of an established CRD (found by the object's apiVersion and
    /// kind), with its `status` even behind a status subresource (written through `/status`, as
    /// a controller would).
    pub fn seed_object(&self, doc: &Value) -> Result<Value, ApiError> {
        let api_version = doc
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
        let namespace = doc.pointer("/metadata/namespace").and_then(Value::as_str);
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let mut store = self.shared.store();
        let plural = store
            .established_crds()
            .into_iter()
            .find(|c| crd::group(c) == group && crd::kind(c) == kind)
            .map(|c| crd::plural(c).to_string())
            .ok_or_else(ApiError::no_such_resource)?;
        let path = match namespace {
            Some(ns) => format!("/apis/{group}/{version}/namespaces/{ns}/{plural}"),
            None => format!("/apis/{group}/{version}/{plural}"),
        };
        let route = store.route(&path);
        let body = serde_json::to_vec(doc).map_err(|e| ApiError::bad_request(e.to_string()))?;
        let now = clock::now();
        // Seeded objects are what storage holds, possibly written under an older schema: they
        // are stored without the schema's verdict (names are still checked).
        store.seeding = true;
        let mut seed = || -> Result<Value, ApiError> {
            let (_, created) = store.handle(&Call {
                method: "POST",
                route: &route,
                query: &Query::default(),
                content_type: "application/json",
                body: &body,
                user_agent: "seed",
                identity: &Identity::admin(),
                now: &now,
            })?;
            // Behind a status subresource the create dropped the status; a controller would write
            // it next, through `/status`.
            let name = created
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let status_route = store.route(&format!("{path}/{name}/status"));
            let created = match doc.get("status") {
                Some(status)
                    if created.get("status").is_none() && status_route != Route::NotFound =>
                {
                    let route = status_route;
                    let mut with_status = created.clone();
                    with_status["status"] = status.clone();
                    let body = serde_json::to_vec(&with_status)
                        .map_err(|e| ApiError::bad_request(e.to_string()))?;
                    store
                        .handle(&Call {
                            method: "PUT",
                            route: &route,
                            query: &Query::default(),
                            content_type: "application/json",
                            body: &body,
                            user_agent: "seed",
                            identity: &Identity::admin(),
                            now: &now,
                        })?
                        .1
                }
                _ => created,
            };
            Ok(created)
        };
        let seeded = seed();
        store.seeding = false;
        let created = seeded?;
        drop(store);
        self.shared.changed.send_replace(0);
        Ok(created)
    }

    /// Replaces `status.storedVersions` of a CRD; false if there is no such CRD.
    pub fn set_stored_versions(&self, name: &str, versions: &[&str]) -> bool {
        let done = self.shared.store().set_stored_versions(name, versions);
        self.shared.changed.send_replace(0);
        done
    }

    /// Objects of a CRD exactly as stored (before read-time pruning), sorted by namespace and
    /// name.
    pub fn stored_objects(&self, crd_name: &str) -> Vec<Value> {
        self.shared.store().stored_objects(crd_name)
    }

    /// Makes the next write of one object fail its resourceVersion precondition (409), as if
    /// another client had written the object just before; `namespace` is empty for a
    /// cluster-scoped object.
    pub fn race_next_write(&self, crd_name: &str, namespace: &str, name: &str) {
        self.shared
            .store()
            .race_next_write(crd_name, namespace, name);
    }

    /// Arms an injected failure.
    pub fn fail(&self, fault: Fault) {
        self.shared.store().add_fault(fault);
    }

    /// The `nth` matching request is carried out (a write is stored), then its connection is
    /// closed without an answer, as when the network dies after the server committed.
    pub fn lose_response(&self, on: FaultOn, nth: u64) {
        self.inject(Injection {
            on,
            from_nth: nth,
            times: 1,
            effect: Effect::LoseResponse,
        });
    }

    /// `times` consecutive matching requests from the `from_nth`th on (`u64::MAX`: all of them)
    /// are answered `code` with a `metav1.Status` carrying `message`, and not carried out; 429
    /// and 503 answers carry `Retry-After: 1`.
    pub fn fail_times(&self, on: FaultOn, from_nth: u64, times: u64, code: u16, message: &str) {
        self.inject(Injection {
            on,
            from_nth,
            times,
            effect: Effect::Answer {
                code,
                message: message.to_string(),
            },
        });
    }

    /// The `nth` matching request waits `ms` milliseconds before it is handled.
    pub fn delay(&self, on: FaultOn, nth: u64, ms: u64) {
        self.inject(Injection {
            on,
            from_nth: nth,
            times: 1,
            effect: Effect::Delay { ms },
        });
    }

    /// Arms a fault of any kind.
    pub fn inject(&self, injection: Injection) {
        self.shared.store().inject(injection);
    }

    /// Disarms every fault not fired yet (a test's re-run on a healthy cluster).
    pub fn clear_faults(&self) {
        self.shared.store().clear_faults();
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Writes a file that may hold a token: a new file created with mode 0600 next to `path`, then
/// renamed over it, so the text is never readable by others, even for a moment, and a file
/// that was there (whatever its mode) is replaced rather than rewritten.
pub fn write_private(path: &Path, text: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = dir.join(temp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temp, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    renamed
}

/// Quotes a string for YAML (JSON strings are valid YAML scalars).
fn quote(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// A kubeconfig with one cluster, user and context, all named `nexus-fake`.
pub fn kubeconfig(server: &str, token: Option<&str>) -> String {
    let user = match token {
        Some(token) => format!("  user:\n    token: {}\n", quote(token)),
        None => "  user: {}\n".to_string(),
    };
    format!(
        "# nexus fake API server at {server} (stop it with Ctrl-C)\n\
         apiVersion: v1\n\
         kind: Config\n\
         clusters:\n\
         - name: nexus-fake\n  cluster:\n    server: {}\n\
         contexts:\n\
         - name: nexus-fake\n  context:\n    cluster: nexus-fake\n    user: nexus-fake\n\
         current-context: nexus-fake\n\
         preferences: {{}}\n\
         users:\n\
         - name: nexus-fake\n{user}",
        quote(server)
    )
}

/// Runs the server until SIGINT or SIGTERM, with `faults` armed: writes the kubeconfig to
/// `kubeconfig_out` (if given) first, then prints it to stdout (its first line names the URL).
pub fn run_standalone(
    config: FakeConfig,
    kubeconfig_out: Option<&Path>,
    faults: &[Injection],
) -> io::Result<()> {
    let token = config.users.first().map(|u| u.token.clone());
    let server = FakeApiServer::start(config)?;
    for fault in faults {
        server.inject(fault.clone());
    }
    let text = server.kubeconfig(token.as_deref());
    if let Some(path) = kubeconfig_out {
        write_private(path, &text)?;
    }
    let mut stdout = io::stdout().lock();
    // A closed pipe (`| head -1`) is no reason to stop serving: the kubeconfig is in the file.
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e),
        _ => {}
    }
    drop(stdout);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                r = tokio::signal::ctrl_c() => r,
                _ = term.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await
        }
    })?;
    drop(server);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_is_valid_yaml_with_the_server() {
        let text = kubeconfig("http://127.0.0.1:1234", Some("s3cr\"t"));
        let parsed: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(
            parsed["clusters"][0]["cluster"]["server"],
            "http://127.0.0.1:1234"
        );
        assert_eq!(parsed["users"][0]["user"]["token"], "s3cr\"t");
        assert_eq!(parsed["current-context"], "nexus-fake");
        let anonymous: Value = serde_saphyr::from_str(&kubeconfig("http://x", None)).unwrap();
        assert!(
            anonymous["users"][0]["user"]
                .as_object()
                .unwrap()
                .is_empty()
        );
    }
}
