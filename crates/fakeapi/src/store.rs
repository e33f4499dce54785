//! The fake API server's state and the REST semantics of its resources, independent of HTTP:
//! CustomResourceDefinitions (with their status subresource) and the custom resources of the
//! CRDs it serves.
//!
//! Every write goes one way: build the candidate object (create, update with a resourceVersion
//! precondition, merge or JSON patch, server-side apply), record field ownership, default and
//! validate, drop it if nothing changed, answer without storing for `dryRun=All`, else store it
//! under a new resourceVersion and emit a watch event. The controllers of the real server (naming,
//! establishing) run at store time; `Established` can be held back for a number of reads so that
//! clients have something to wait for.

use super::crd;
use super::faults::{Admission, Faults, Injection};
pub use super::faults::{Fault, FaultOn};
use super::fields::{self, ApplyOutcome, ApplyRequest, TooDeep};
use super::names;
use super::query::{Query, Selector};
use super::status::{ApiError, FieldError, GroupResource};
use nexus_schema::object::{Problem, VersionChecker};
use nexus_schema::validate::ServerCause;
use nexus_schema::validate::Validator;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Compiled checks by (CRD name, version), with the CRD resourceVersion they came from.
type CheckerCache = HashMap<(String, String), (String, Arc<VersionChecker>)>;

/// How many watch events are kept for watches that resume from a resourceVersion.
const EVENT_HISTORY: usize = 10_000;

/// Who is calling, after authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user: String,
    /// The verbs this user may use on every resource; `None`: all of them.
    pub verbs: Option<BTreeSet<String>>,
}

impl Identity {
    /// The caller when the server requires no token: may do everything.
    pub fn admin() -> Identity {
        Identity {
            user: "admin".to_string(),
            verbs: None,
        }
    }

    fn authorize(
        &self,
        verb: &str,
        gr: &GroupResource,
        name: Option<&str>,
        namespace: Option<&str>,
    ) -> Result<(), ApiError> {
        match &self.verbs {
            Some(verbs) if !verbs.contains(verb) => {
                Err(ApiError::forbidden(gr, name, &self.user, verb, namespace))
            }
            _ => Ok(()),
        }
    }
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Version,
    CoreApi,
    CoreV1,
    Groups,
    Group(String),
    GroupVersion(String, String),
    OpenApiRoot,
    OpenApiGroupVersion(String, String),
    Health,
    Crds {
        name: Option<String>,
        status: bool,
    },
    Objects {
        /// The CRD that serves them.
        crd: String,
        version: String,
        namespace: Option<String>,
        name: Option<String>,
        /// The `status` subresource of the named object.
        status: bool,
    },
    NotFound,
}

/// What the server has been asked to do, for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Writes that changed the stored state (client writes only, not the controllers').
    pub writes: u64,
    /// Create, update, patch and delete requests that were not dry runs, whatever their outcome.
    pub write_requests: u64,
    /// Dry-run writes.
    pub dry_runs: u64,
}

/// A watch event (`ADDED`, `MODIFIED`, `DELETED`).
#[derive(Debug, Clone)]
struct Event {
    rv: u64,
    collection: Collection,
    kind: &'static str,
    object: Value,
}

/// A collection that can be watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collection {
    Crds,
    /// Objects of the named CRD, in one namespace or all.
    Objects {
        crd: String,
        version: String,
        namespace: Option<String>,
    },
}

/// One request as the store sees it.
pub struct Call<'a> {
    pub method: &'a str,
    pub route: &'a Route,
    pub query: &'a Query,
    pub content_type: &'a str,
    pub body: &'a [u8],
    pub user_agent: &'a str,
    pub identity: &'a Identity,
    pub now: &'a str,
}

/// The state of the fake API server.
#[derive(Debug)]
pub struct Store {
    established_after_reads: u32,
    rv: u64,
    uid_seq: u64,
    /// Names made of `generateName` so far.
    names_generated: u64,
    crds: BTreeMap<String, Value>,
    /// CRDs waiting to become Established: reads left before they are.
    pending: BTreeMap<String, u32>,
    /// Custom resources per CRD name, keyed by (namespace, name).
    objects: BTreeMap<String, BTreeMap<(String, String), Value>>,
    events: VecDeque<Event>,
    counters: Counters,
    faults: Faults,
    /// Objects (CRD name, namespace, name) that someone else rewrites just before the next
    /// client write reaches them, so that write fails its resourceVersion precondition once.
    races: BTreeSet<(String, String, String)>,
    /// Built-in resources served like custom resources, described by CRD-shaped documents
    /// (named by their plural, which no CRD name can be): ConfigMaps, where tools such as
    /// nexus keep state.
    builtins: BTreeMap<String, Value>,
    /// Compiled schema and CEL checks per (CRD name, version), with the CRD resourceVersion
    /// they were compiled from: compiling on every write would dominate bulk creates.
    checkers: Mutex<CheckerCache>,
    /// While seeding (tests putting objects into storage as if written under an older schema),
    /// custom resources are pruned and defaulted but not refused.
    pub(crate) seeding: bool,
}

fn crd_resource() -> GroupResource {
    GroupResource::new(crd::GROUP, "customresourcedefinitions")
}

fn meta_str<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(key))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn metadata_mut(obj: &mut Value) -> Option<&mut Map<String, Value>> {
    let map = obj.as_object_mut()?;
    let meta = map.entry("metadata").or_insert_with(|| json!({}));
    if !meta.is_object() {
        *meta = json!({});
    }
    meta.as_object_mut()
}

/// Parses a request body: JSON, or YAML for apply patches and YAML content types.
pub fn parse_body(body: &[u8], content_type: &str) -> Result<Value, ApiError> {
    if content_type.contains("yaml") {
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::bad_request("the request body is not valid UTF-8"))?;
        let mut options = serde_saphyr::Options::default();
        let mut budget = serde_saphyr::Budget::default();
        budget.max_depth = 1_000;
        budget.max_nodes = 5_000_000;
        budget.max_events = 20_000_000;
        options.budget = Some(budget);
        serde_saphyr::from_str_with_options::<Value>(text, options)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
        })
    }
}

fn too_deep(_: TooDeep) -> ApiError {
    ApiError::bad_request(format!(
        "the object is nested deeper than {} levels",
        fields::MAX_DEPTH
    ))
}

/// The patch types the server accepts on these resources.
const PATCH_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
];

/// The four kinds of write that build a new object from a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Create,
    Update,
    MergePatch,
    JsonPatch,
    Apply,
}

/// What a write is about: a CRD, or an object of one (with the CRD's document).
enum Target<'a> {
    Crd,
    Object {
        crd: &'a Value,
        version: &'a str,
        namespace: Option<&'a str>,
    },
}

impl Target<'_> {
    /// The version objects are served at (empty for CRDs).
    fn version(&self) -> &str {
        match self {
            Target::Crd => "",
            Target::Object { version, .. } => version,
        }
    }

    fn resource(&self) -> GroupResource {
        match self {
            Target::Crd => crd_resource(),
            Target::Object { crd: c, .. } => GroupResource::new(crd::group(c), crd::plural(c)),
        }
    }

    fn api_version(&self) -> String {
        match self {
            Target::Crd => crd::API_VERSION.to_string(),
            Target::Object {
                crd: c, version, ..
            } => api_version_of(crd::group(c), version),
        }
    }

    fn kind(&self) -> String {
        match self {
            Target::Crd => crd::KIND.to_string(),
            Target::Object { crd: c, .. } => crd::kind(c).to_string(),
        }
    }
}

impl Store {
    /// An empty server; CRDs become Established after `established_after_reads` reads.
    pub fn new(established_after_reads: u32) -> Store {
        Store {
            established_after_reads,
            rv: 1000,
            uid_seq: 0,
            names_generated: 0,
            crds: BTreeMap::new(),
            pending: BTreeMap::new(),
            objects: BTreeMap::new(),
            events: VecDeque::new(),
            counters: Counters::default(),
            faults: Faults::default(),
            races: BTreeSet::new(),
            builtins: builtin_definitions(),
            checkers: Mutex::new(HashMap::new()),
            seeding: false,
        }
    }

    /// The current resourceVersion (of the last write).
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Arms a failure.
    pub fn add_fault(&mut self, fault: Fault) {
        self.faults.arm(fault.into());
    }

    /// Arms a fault of any kind.
    pub fn inject(&mut self, injection: Injection) {
        self.faults.arm(injection);
    }

    /// Disarms every fault.
    pub fn clear_faults(&mut self) {
        self.faults = Faults::default();
    }

    /// A stored CRD, as a client would read it (without counting as a read).
    pub fn crd(&self, name: &str) -> Option<Value> {
        self.crds.get(name).cloned()
    }

    /// Names of the stored CRDs.
    pub fn crd_names(&self) -> Vec<String> {
        self.crds.keys().cloned().collect()
    }

    /// Number of stored objects of a CRD.
    pub fn object_count(&self, crd_name: &str) -> usize {
        self.objects.get(crd_name).map_or(0, BTreeMap::len)
    }

    /// Replaces `status.storedVersions` of a CRD (what a storage-version migration does at its
    /// end, or what a cluster that stored objects in an old version looks like).
    pub fn set_stored_versions(&mut self, name: &str, versions: &[&str]) -> bool {
        let Some(mut obj) = self.crds.get(name).cloned() else {
            return false;
        };
        obj["status"]["storedVersions"] = json!(versions);
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.emit(Collection::Crds, "MODIFIED", obj.clone());
        self.crds.insert(name.to_string(), obj);
        true
    }

    /// Maps a URL path to a route.
    pub fn route(&self, path: &str) -> Route {
        let segments: Vec<&str> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        match segments.as_slice() {
            ["version"] => Route::Version,
            ["healthz" | "livez" | "readyz"] => Route::Health,
            ["api"] => Route::CoreApi,
            ["api", "v1"] => Route::CoreV1,
            ["api", "v1", rest @ ..] => self.object_route("", "v1", rest),
            ["apis"] => Route::Groups,
            ["openapi", "v3"] => Route::OpenApiRoot,
            ["openapi", "v3", "apis", g, v] => {
                Route::OpenApiGroupVersion(g.to_string(), v.to_string())
            }
            ["apis", g] => Route::Group(g.to_string()),
            ["apis", g, v] => Route::GroupVersion(g.to_string(), v.to_string()),
            [
                "apis",
                crd::GROUP,
                "v1",
                "customresourcedefinitions",
                rest @ ..,
            ] => match rest {
                [] => Route::Crds {
                    name: None,
                    status: false,
                },
                [name] => Route::Crds {
                    name: Some(name.to_string()),
                    status: false,
                },
                [name, "status"] => Route::Crds {
                    name: Some(name.to_string()),
                    status: true,
                },
                _ => Route::NotFound,
            },
            ["apis", g, v, rest @ ..] => self.object_route(g, v, rest),
            _ => Route::NotFound,
        }
    }

    fn object_route(&self, group: &str, version: &str, rest: &[&str]) -> Route {
        let (namespace, plural, name, status) = match rest {
            [plural] => (None, *plural, None, false),
            [plural, name] => (None, *plural, Some(*name), false),
            [plural, name, "status"] => (None, *plural, Some(*name), true),
            ["namespaces", ns, plural] => (Some(*ns), *plural, None, false),
            ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name), false),
            ["namespaces", ns, plural, name, "status"] => (Some(*ns), *plural, Some(*name), true),
            _ => return Route::NotFound,
        };
        let Some(def) = self.crds.values().chain(self.builtins.values()).find(|c| {
            crd::group(c) == group
                && crd::plural(c) == plural
                && crd::condition_true(c, "Established")
                && crd::served_versions(c).contains(&version)
        }) else {
            return Route::NotFound;
        };
        let namespaced = crd::namespaced(def);
        // Namespaced objects are addressed in their namespace (listing across all is allowed);
        // cluster-scoped ones never are.
        if (namespace.is_some() && !namespaced)
            || (namespaced && namespace.is_none() && name.is_some())
        {
            return Route::NotFound;
        }
        // The real server registers `/status` only for versions with the status subresource.
        if status && !has_status_subresource(def, version) {
            return Route::NotFound;
        }
        Route::Objects {
            crd: meta_str(def, "name").to_string(),
            version: version.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
            status,
        }
    }

    /// The served CRDs (Established), for discovery.
    pub fn established_crds(&self) -> Vec<&Value> {
        self.crds
            .values()
            .filter(|c| crd::condition_true(c, "Established"))
            .collect()
    }

    /// The definition of a CRD or of a built-in resource.
    fn definition(&self, name: &str) -> Option<&Value> {
        self.crds.get(name).or_else(|| self.builtins.get(name))
    }

    /// Objects of a CRD as stored, sorted by namespace and name.
    pub fn stored_objects(&self, crd_name: &str) -> Vec<Value> {
        self.objects
            .get(crd_name)
            .map(|objs| objs.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Arms a concurrent write: just before the next client write of the object (CRD
    /// `crd_name`, `namespace` empty for a cluster-scoped one), another writer bumps its
    /// resourceVersion, so a write that names the version it read fails with 409 once.
    pub fn race_next_write(&mut self, crd_name: &str, namespace: &str, name: &str) {
        self.races.insert((
            crd_name.to_string(),
            namespace.to_string(),
            name.to_string(),
        ));
    }

    /// Fires an armed race on an object: the stored copy gets a new resourceVersion, as if
    /// another client had written it.
    fn run_race(&mut self, crd_name: &str, namespace: &str, name: &str) {
        let key = (
            crd_name.to_string(),
            namespace.to_string(),
            name.to_string(),
        );
        if !self.races.remove(&key) {
            return;
        }
        let Some(mut obj) = self
            .objects
            .get(crd_name)
            .and_then(|objs| objs.get(&(key.1.clone(), key.2.clone())))
            .cloned()
        else {
            return;
        };
        self.rv += 1;
        if let Some(meta) = metadata_mut(&mut obj) {
            meta.insert("resourceVersion".to_string(), json!(self.rv.to_string()));
        }
        if let Some(objs) = self.objects.get_mut(crd_name) {
            objs.insert((key.1, key.2), obj);
        }
    }

    /// Checks that the caller may watch the collection of a route and says what the armed
    /// faults do to the watch (a read).
    pub fn admit_watch(&mut self, route: &Route, who: &Identity) -> Result<Admission, ApiError> {
        self.authorize_watch(route, who)?;
        let custom = match route {
            Route::Objects { crd, .. } => !self.builtins.contains_key(crd),
            _ => false,
        };
        Ok(self.faults.admit(FaultOn::Read, custom))
    }

    /// Checks that the caller may watch the collection of a route.
    pub fn authorize_watch(&self, route: &Route, who: &Identity) -> Result<(), ApiError> {
        match route {
            Route::Crds { .. } => who.authorize("watch", &crd_resource(), None, None),
            Route::Objects {
                crd: crd_name,
                namespace,
                ..
            } => {
                let def = self
                    .definition(crd_name)
                    .ok_or_else(ApiError::no_such_resource)?;
                let gr = GroupResource::new(crd::group(def), crd::plural(def));
                who.authorize("watch", &gr, None, namespace.as_deref())
            }
            _ => Err(ApiError::no_such_resource()),
        }
    }

    /// Marks a CRD Established at once (the state of a cluster before a test starts).
    pub fn establish_now(&mut self, name: &str, now: &str) {
        self.pending.remove(name);
        if let Some(mut obj) = self.crds.get(name).cloned()
            && crd::condition_true(&obj, "NamesAccepted")
            && !crd::condition_true(&obj, "Established")
        {
            crd::establish(&mut obj, now);
            self.store_controller_write(obj);
        }
    }

    /// Handles a request to a resource (not watch, not discovery) at once: an armed answer
    /// fault answers instead; delays and lost responses are for the HTTP layer and ignored here.
    pub fn handle(&mut self, call: &Call<'_>) -> Result<(u16, Value), ApiError> {
        let admission = self.admit(call)?;
        if let Some(err) = admission.answer {
            return Err(err);
        }
        self.carry_out(call)
    }

    /// The first half of a request: counts it, checks the verb and the caller's rights, and
    /// says what the armed faults do to it. [`Store::carry_out`] is the second half.
    pub fn admit(&mut self, call: &Call<'_>) -> Result<Admission, ApiError> {
        let category = category_of(call);
        match category {
            FaultOn::Write => self.counters.write_requests += 1,
            FaultOn::DryRun => self.counters.dry_runs += 1,
            _ => {}
        }
        match call.route {
            Route::Crds { name, .. } => {
                let verb = verb_of(call.method, name.is_some())?;
                call.identity
                    .authorize(verb, &crd_resource(), name.as_deref(), None)?;
                Ok(self.faults.admit(category, false))
            }
            Route::Objects {
                crd: crd_name,
                namespace,
                name,
                ..
            } => {
                let def = self
                    .definition(crd_name)
                    .ok_or_else(ApiError::no_such_resource)?;
                let gr = GroupResource::new(crd::group(def), crd::plural(def));
                let verb = verb_of(call.method, name.is_some())?;
                call.identity
                    .authorize(verb, &gr, name.as_deref(), namespace.as_deref())?;
                let custom = !self.builtins.contains_key(crd_name);
                Ok(self.faults.admit(category, custom))
            }
            _ => Err(ApiError::no_such_resource()),
        }
    }

    /// The second half of a request [`Store::admit`] let through: carries it out.
    pub fn carry_out(&mut self, call: &Call<'_>) -> Result<(u16, Value), ApiError> {
        match call.route {
            Route::Crds { name, status } => {
                let verb = verb_of(call.method, name.is_some())?;
                self.handle_crds(call, verb, name.as_deref(), *status)
            }
            Route::Objects {
                crd: crd_name,
                version,
                namespace,
                name,
                status,
            } => {
                // Looked up again: a delayed request may find its CRD gone.
                let def = self
                    .definition(crd_name)
                    .cloned()
                    .ok_or_else(ApiError::no_such_resource)?;
                let verb = verb_of(call.method, name.is_some())?;
                if category_of(call) == FaultOn::Write
                    && let Some(name) = name
                {
                    self.run_race(crd_name, namespace.as_deref().unwrap_or_default(), name);
                }
                let target = Target::Object {
                    crd: &def,
                    version,
                    namespace: namespace.as_deref(),
                };
                match name {
                    Some(name) if *status => self.handle_object_status(call, verb, &target, name),
                    _ => self.handle_objects(call, verb, &target, name.as_deref()),
                }
            }
            _ => Err(ApiError::no_such_resource()),
        }
    }

    fn handle_crds(
        &mut self,
        call: &Call<'_>,
        verb: &str,
        name: Option<&str>,
        status: bool,
    ) -> Result<(u16, Value), ApiError> {
        match (verb, name) {
            ("get", Some(name)) => {
                self.observe(&[name.to_string()], call.now);
                self.crds
                    .get(name)
                    .cloned()
                    .map(|c| (200, c))
                    .ok_or_else(|| ApiError::not_found(&crd_resource(), name))
            }
            ("list", None) => {
                let names: Vec<String> = self.pending.keys().cloned().collect();
                self.observe(&names, call.now);
                let selector = Selector::from_query(call.query)?;
                let items: Vec<Value> = self
                    .crds
                    .values()
                    .filter(|c| selector.matches(c))
                    .cloned()
                    .collect();
                Ok((
                    200,
                    self.list_document(
                        crd::API_VERSION,
                        "CustomResourceDefinitionList",
                        items,
                        call.query,
                    )?,
                ))
            }
            ("delete", Some(name)) => self.delete(call, &Target::Crd, name),
            (_, Some(name)) if status => self.write_crd_status(call, verb, name),
            ("create", None) => self.write(call, Write::Create, &Target::Crd, None),
            ("update", Some(name)) => self.write(call, Write::Update, &Target::Crd, Some(name)),
            ("patch", Some(name)) => {
                let kind = patch_kind(call)?;
                self.write(call, kind, &Target::Crd, Some(name))
            }
            _ => Err(ApiError::method_not_supported(&crd_resource(), verb)),
        }
    }

    fn handle_objects(
        &mut self,
        call: &Call<'_>,
        verb: &str,
        target: &Target<'_>,
        name: Option<&str>,
    ) -> Result<(u16, Value), ApiError> {
        let Target::Object {
            crd: def,
            namespace,
            ..
        } = target
        else {
            return Err(ApiError::no_such_resource());
        };
        let crd_name = meta_str(def, "name").to_string();
        match (verb, name) {
            ("get", Some(name)) => {
                let key = (namespace.unwrap_or_default().to_string(), name.to_string());
                self.objects
                    .get(&crd_name)
                    .and_then(|objs| objs.get(&key))
                    .map(|o| (200, View::new(def, target.version()).show(o)))
                    .ok_or_else(|| ApiError::not_found(&target.resource(), name))
            }
            ("list", None) => {
                let selector = Selector::from_query(call.query)?;
                let api_version = target.api_version();
                let view = View::new(def, target.version());
                let items: Vec<Value> = self
                    .objects
                    .get(&crd_name)
                    .into_iter()
                    .flat_map(|objs| objs.values())
                    .filter(|o| namespace.is_none_or(|ns| meta_str(o, "namespace") == ns))
                    .filter(|o| selector.matches(o))
                    .map(|o| view.show(o))
                    .collect();
                let list_kind = format!("{}List", crd::kind(def));
                Ok((
                    200,
                    self.list_document(&api_version, &list_kind, items, call.query)?,
                ))
            }
            ("delete", Some(name)) => self.delete(call, target, name),
            // Namespaced objects are created in a namespace, never across all of them.
            ("create", None) if crd::namespaced(def) && namespace.is_none() => {
                Err(ApiError::no_such_resource())
            }
            ("create", None) => self.write(call, Write::Create, target, None),
            ("update", Some(name)) => self.write(call, Write::Update, target, Some(name)),
            ("patch", Some(name)) => {
                let kind = patch_kind(call)?;
                self.write(call, kind, target, Some(name))
            }
            _ => Err(ApiError::method_not_supported(&target.resource(), verb)),
        }
    }

    /// `.../<name>/status` of an object whose version has the status subresource: a get reads
    /// the whole object; an update replaces `.status` only (metadata and spec of the body are
    /// ignored, as the apiextensions `statusStrategy` copies the old object and sets the new
    /// status), with the body's resourceVersion as the precondition.
    fn handle_object_status(
        &mut self,
        call: &Call<'_>,
        verb: &str,
        target: &Target<'_>,
        name: &str,
    ) -> Result<(u16, Value), ApiError> {
        let Target::Object { crd: def, .. } = target else {
            return Err(ApiError::no_such_resource());
        };
        let gr = target.resource();
        let old = self
            .existing(target, name)
            .ok_or_else(|| ApiError::not_found(&gr, name))?;
        match verb {
            "get" => Ok((200, self.present(target, old))),
            "update" => {
                let body = parse_body(call.body, call.content_type)?;
                check_type(&body, &target.api_version(), &target.kind())?;
                let body_name = meta_str(&body, "name");
                if body_name != name {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({body_name}) does not match the name on the URL ({name})"
                    )));
                }
                let rv = meta_str(&body, "resourceVersion");
                if rv.is_empty() {
                    return Err(ApiError::invalid(
                        &target.kind(),
                        &gr.group,
                        name,
                        &[FieldError::invalid(
                            "metadata.resourceVersion",
                            json!(0),
                            "must be specified for an update",
                        )],
                    ));
                }
                if rv != meta_str(&old, "resourceVersion") {
                    return Err(ApiError::modified(&gr, name));
                }
                let mut candidate = old.clone();
                set_status(&mut candidate, body.get("status").cloned());
                let (errors, _, stored) =
                    self.validate_object(def, target.version(), &candidate, Some(&old));
                if !errors.is_empty() && !self.seeding {
                    return Err(ApiError::invalid(&target.kind(), &gr.group, name, &errors));
                }
                let candidate = stored.unwrap_or(candidate);
                if unchanged(&old, &candidate) {
                    return Ok((200, self.present(target, old)));
                }
                if call.query.dry_run {
                    return Ok((200, self.present(target, candidate)));
                }
                self.persist(target, name, candidate.clone(), false, call.now);
                let stored = self.existing(target, name).unwrap_or(candidate);
                Ok((200, self.present(target, stored)))
            }
            _ => Err(ApiError::method_not_supported(&gr, verb)),
        }
    }

    fn list_document(
        &self,
        api_version: &str,
        kind: &str,
        items: Vec<Value>,
        query: &Query,
    ) -> Result<Value, ApiError> {
        let start: usize = match &query.continue_token {
            Some(token) => token
                .parse()
                .map_err(|_| ApiError::bad_request(format!("invalid continue token {token:?}")))?,
            None => 0,
        };
        let total = items.len();
        let end = query
            .limit
            .map_or(total, |l| start.saturating_add(l).min(total));
        let page: Vec<Value> = items
            .into_iter()
            .skip(start)
            .take(end.saturating_sub(start))
            .collect();
        let mut metadata = json!({ "resourceVersion": self.rv.to_string() });
        if end < total {
            metadata["continue"] = json!(end.to_string());
            metadata["remainingItemCount"] = json!(total - end);
        }
        Ok(json!({ "kind": kind, "apiVersion": api_version, "metadata": metadata, "items": page }))
    }

    /// Reads of CRDs drive the establishing controller (see [`Store::new`]).
    fn observe(&mut self, names: &[String], now: &str) {
        for name in names {
            let Some(left) = self.pending.get_mut(name) else {
                continue;
            };
            if *left > 0 {
                *left -= 1;
                continue;
            }
            self.pending.remove(name);
            if let Some(mut obj) = self.crds.get(name).cloned() {
                crd::establish(&mut obj, now);
                self.store_controller_write(obj);
            }
        }
    }

    /// A status write by one of the server's own controllers.
    fn store_controller_write(&mut self, mut obj: Value) {
        self.rv += 1;
        if let Some(meta) = metadata_mut(&mut obj) {
            meta.insert("resourceVersion".to_string(), json!(self.rv.to_string()));
        }
        let name = meta_str(&obj, "name").to_string();
        self.emit(Collection::Crds, "MODIFIED", obj.clone());
        self.crds.insert(name, obj);
    }

    fn emit(&mut self, collection: Collection, kind: &'static str, object: Value) {
        self.events.push_back(Event {
            rv: self.rv,
            collection,
            kind,
            object,
        });
        while self.events.len() > EVENT_HISTORY {
            self.events.pop_front();
        }
    }

    fn manager_of(call: &Call<'_>) -> String {
        if let Some(m) = call
            .query
            .field_manager
            .as_deref()
            .filter(|m| !m.is_empty())
        {
            return m.to_string();
        }
        // As the API server: the user agent up to the first '/'.
        let ua = call.user_agent.split('/').next().unwrap_or_default();
        if ua.is_empty() {
            "unknown".to_string()
        } else {
            ua.to_string()
        }
    }

    fn existing(&self, target: &Target<'_>, name: &str) -> Option<Value> {
        match target {
            Target::Crd => self.crds.get(name).cloned(),
            Target::Object {
                crd: def,
                namespace,
                ..
            } => self
                .objects
                .get(meta_str(def, "name"))
                .and_then(|objs| {
                    objs.get(&(namespace.unwrap_or_default().to_string(), name.to_string()))
                })
                .cloned(),
        }
    }

    /// The one write path: builds the candidate, validates, then stores or answers.
    fn write(
        &mut self,
        call: &Call<'_>,
        kind: Write,
        target: &Target<'_>,
        url_name: Option<&str>,
    ) -> Result<(u16, Value), ApiError> {
        let gr = target.resource();
        let api_version = target.api_version();
        let expected_kind = target.kind();
        if kind != Write::Apply && call.query.force.is_some() {
            return Err(ApiError::invalid(
                "PatchOptions",
                "meta.k8s.io",
                "",
                &[FieldError::invalid(
                    "force",
                    json!(true),
                    "may not be specified for non-apply patch",
                )],
            ));
        }

        let parsed = match kind {
            Write::MergePatch | Write::JsonPatch => None,
            _ => Some(parse_body(call.body, call.content_type)?),
        };
        let name = match (&parsed, url_name) {
            (_, Some(n)) => n.to_string(),
            (Some(body), None)
                if kind == Write::Create
                    && meta_str(body, "name").is_empty()
                    && !meta_str(body, "generateName").is_empty() =>
            {
                self.unused_name(target, meta_str(body, "generateName"))
            }
            (Some(body), None) => meta_str(body, "name").to_string(),
            (None, None) => String::new(),
        };
        if name.is_empty() {
            return Err(ApiError::invalid(
                &expected_kind,
                &gr.group,
                "",
                &[FieldError::required(
                    "metadata.name",
                    "name or generateName is required",
                )],
            ));
        }
        if let Some(body) = &parsed {
            check_type(body, &api_version, &expected_kind)?;
            let body_name = meta_str(body, "name");
            if url_name.is_some() && body_name != name {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({body_name}) does not match the name on the URL ({name})"
                )));
            }
            if let Target::Object {
                namespace: Some(ns),
                ..
            } = target
            {
                let body_ns = meta_str(body, "namespace");
                if !body_ns.is_empty() && body_ns != *ns {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
            }
        }

        let old = self.existing(target, &name);
        let manager = Self::manager_of(call);
        let mut candidate = match kind {
            Write::Create => {
                if old.is_some() {
                    return Err(ApiError::already_exists(&gr, &name));
                }
                let mut new = parsed.unwrap_or_default();
                fields::record_update(None, &mut new, &manager, &api_version, call.now)
                    .map_err(too_deep)?;
                new
            }
            Write::Update => {
                let old = old
                    .as_ref()
                    .ok_or_else(|| ApiError::not_found(&gr, &name))?;
                let mut new = parsed.unwrap_or_default();
                let rv = meta_str(&new, "resourceVersion");
                if rv.is_empty() {
                    return Err(ApiError::invalid(
                        &expected_kind,
                        &gr.group,
                        &name,
                        &[FieldError::invalid(
                            "metadata.resourceVersion",
                            json!(0),
                            "must be specified for an update",
                        )],
                    ));
                }
                if rv != meta_str(old, "resourceVersion") {
                    return Err(ApiError::modified(&gr, &name));
                }
                record_or_keep_owners(old, &mut new, &manager, &api_version, call.now)?;
                new
            }
            Write::MergePatch | Write::JsonPatch => {
                let old = old
                    .as_ref()
                    .ok_or_else(|| ApiError::not_found(&gr, &name))?;
                let patch: Value = serde_json::from_slice(call.body)
                    .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
                let mut new = old.clone();
                if kind == Write::MergePatch {
                    json_patch::merge(&mut new, &patch);
                } else {
                    let ops: json_patch::Patch = serde_json::from_value(patch)
                        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
                    json_patch::patch(&mut new, &ops)
                        .map_err(|e| ApiError::injected(422, e.to_string()))?;
                }
                if meta_str(&new, "resourceVersion") != meta_str(old, "resourceVersion") {
                    return Err(ApiError::modified(&gr, &name));
                }
                record_or_keep_owners(old, &mut new, &manager, &api_version, call.now)?;
                new
            }
            Write::Apply => {
                if call
                    .query
                    .field_manager
                    .as_deref()
                    .is_none_or(str::is_empty)
                {
                    return Err(ApiError::invalid(
                        "PatchOptions",
                        "meta.k8s.io",
                        "",
                        &[FieldError::required(
                            "fieldManager",
                            "is required for apply patch",
                        )],
                    ));
                }
                let config = parsed.unwrap_or_default();
                let precondition = meta_str(&config, "resourceVersion");
                if !precondition.is_empty()
                    && old
                        .as_ref()
                        .is_none_or(|o| meta_str(o, "resourceVersion") != precondition)
                {
                    return Err(ApiError::modified(&gr, &name));
                }
                let req = ApplyRequest {
                    manager: &manager,
                    api_version: &api_version,
                    force: call.query.force.unwrap_or(false),
                    now: call.now,
                };
                match fields::apply(old.as_ref(), &config, &req).map_err(too_deep)? {
                    ApplyOutcome::Applied(obj) => obj,
                    ApplyOutcome::Conflicts(conflicts) => {
                        return Err(ApiError::apply_conflicts(
                            &gr,
                            &name,
                            &api_version,
                            &conflicts,
                        ));
                    }
                }
            }
        };
        if old.is_none() && kind == Write::Apply {
            call.identity
                .authorize("create", &gr, Some(&name), namespace_of(target))?;
        }

        self.server_metadata(&mut candidate, old.as_ref(), target, &name, call.now);
        match target {
            Target::Crd => {
                crd::set_defaults(&mut candidate);
                match &old {
                    Some(old) => set_status(&mut candidate, old.get("status").cloned()),
                    None => crd::initial_status(&mut candidate),
                }
                let errors = crd::validate(&candidate, old.as_ref());
                if !errors.is_empty() {
                    return Err(ApiError::invalid(crd::KIND, crd::GROUP, &name, &errors));
                }
                crd::record_storage_version(&mut candidate);
            }
            Target::Object {
                crd: def, version, ..
            } => {
                if has_status_subresource(def, version) {
                    set_status(
                        &mut candidate,
                        old.as_ref().and_then(|o| o.get("status").cloned()),
                    );
                }
                let mut errors = {
                    let meta = candidate.get("metadata").unwrap_or(&Value::Null);
                    match old {
                        None => names::validate_create(meta, crd::namespaced(def)),
                        Some(_) => names::validate_update(meta),
                    }
                };
                let (schema_errors, unknown, stored) =
                    self.validate_object(def, version, &candidate, old.as_ref());
                if call.query.strict_fields && !unknown.is_empty() {
                    return Err(strict_decoding_error(&expected_kind, version, &unknown));
                }
                if !self.seeding {
                    errors.extend(schema_errors);
                }
                candidate = stored.unwrap_or(candidate);
                if !errors.is_empty() {
                    return Err(ApiError::invalid(&expected_kind, &gr.group, &name, &errors));
                }
            }
        }
        bump_generation(&mut candidate, old.as_ref());

        if let Some(old) = &old
            && unchanged(old, &candidate)
        {
            return Ok((200, self.present(target, old.clone())));
        }
        let code = if old.is_none() { 201 } else { 200 };
        if call.query.dry_run {
            return Ok((code, self.present(target, candidate)));
        }
        self.persist(target, &name, candidate.clone(), old.is_none(), call.now);
        let stored = self.existing(target, &name).unwrap_or(candidate);
        Ok((code, self.present(target, stored)))
    }

    /// The schema half of a custom resource write, with the code `migrate plan` uses
    /// (`nexus_schema::object`): pruned, defaulted, validated against the version's schema and CEL
    /// rules, ratcheted on update. Returns the server's field errors, the unknown fields it pruned
    /// (`spec.extra`) and the object to store (`None`: as given).
    fn validate_object(
        &self,
        def: &Value,
        version: &str,
        candidate: &Value,
        old: Option<&Value>,
    ) -> (Vec<FieldError>, Vec<String>, Option<Value>) {
        let Some(checker) = self.checker(def, version) else {
            return (Vec::new(), Vec::new(), None);
        };
        let (checked, stored) = checker.validate_write(candidate, old);
        let shown = stored.as_ref().unwrap_or(candidate);
        let errors = checked
            .invalid
            .into_iter()
            .map(|problem| field_error(shown, problem))
            .collect();
        // Nulls dropped from non-nullable fields are not unknown fields: strict decoding keeps quiet.
        let unknown = checked
            .pruned
            .into_iter()
            .filter(|p| p.reason.starts_with("unknown"))
            .map(|p| p.path.trim_start_matches('.').to_string())
            .collect();
        (errors, unknown, stored)
    }

    /// The compiled checks of a CRD version, compiled again only when the CRD changed.
    fn checker(&self, def: &Value, version: &str) -> Option<Arc<VersionChecker>> {
        let schema = version_schema(def, version)?;
        let key = (meta_str(def, "name").to_string(), version.to_string());
        let rv = meta_str(def, "resourceVersion").to_string();
        let mut cache = self.checkers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((seen, checker)) = cache.get(&key)
            && *seen == rv
        {
            return Some(Arc::clone(checker));
        }
        let checker = Arc::new(VersionChecker::new(schema));
        cache.insert(key, (rv, Arc::clone(&checker)));
        Some(checker)
    }

    /// A name made of `generateName` that no object of the target has.
    fn unused_name(&mut self, target: &Target<'_>, base: &str) -> String {
        loop {
            self.names_generated += 1;
            let name = names::generate_name(base, self.names_generated);
            if self.existing(target, &name).is_none() {
                return name;
            }
        }
    }

    fn present(&self, target: &Target<'_>, obj: Value) -> Value {
        match target {
            Target::Crd => obj,
            Target::Object { crd: def, .. } => View::new(def, target.version()).show(&obj),
        }
    }

    /// Fields the server owns: identity, timestamps, generation; `resourceVersion` comes at store.
    fn server_metadata(
        &mut self,
        obj: &mut Value,
        old: Option<&Value>,
        target: &Target<'_>,
        name: &str,
        now: &str,
    ) {
        let uid = match old {
            Some(old) => meta_str(old, "uid").to_string(),
            None => {
                self.uid_seq += 1;
                format!("00000000-0000-4000-8000-{:012x}", self.uid_seq)
            }
        };
        let created = old.map_or(now.to_string(), |o| {
            meta_str(o, "creationTimestamp").to_string()
        });
        let resource_version = old.map(|o| meta_str(o, "resourceVersion").to_string());
        let Some(meta) = metadata_mut(obj) else {
            return;
        };
        meta.insert("name".to_string(), json!(name));
        // The request's namespace wins; cluster-scoped objects lose theirs, as on the server.
        match target {
            Target::Object {
                namespace: Some(ns),
                ..
            } => meta.insert("namespace".to_string(), json!(ns)),
            _ => meta.remove("namespace"),
        };
        meta.insert("uid".to_string(), json!(uid));
        meta.insert("creationTimestamp".to_string(), json!(created));
        match resource_version {
            Some(rv) => meta.insert("resourceVersion".to_string(), json!(rv)),
            None => meta.remove("resourceVersion"),
        };
        for key in [
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ] {
            meta.remove(key);
        }
    }

    fn persist(
        &mut self,
        target: &Target<'_>,
        name: &str,
        mut obj: Value,
        created: bool,
        now: &str,
    ) {
        self.rv += 1;
        self.counters.writes += 1;
        if let Some(meta) = metadata_mut(&mut obj) {
            meta.insert("resourceVersion".to_string(), json!(self.rv.to_string()));
        }
        let kind = if created { "ADDED" } else { "MODIFIED" };
        match target {
            Target::Crd => {
                self.run_naming(&mut obj, now);
                self.emit(Collection::Crds, kind, obj.clone());
                self.crds.insert(name.to_string(), obj);
            }
            Target::Object {
                crd: def,
                version,
                namespace,
            } => {
                let crd_name = meta_str(def, "name").to_string();
                let collection = Collection::Objects {
                    crd: crd_name.clone(),
                    version: version.to_string(),
                    namespace: namespace.map(str::to_string),
                };
                self.emit(collection, kind, obj.clone());
                self.objects.entry(crd_name).or_default().insert(
                    (namespace.unwrap_or_default().to_string(), name.to_string()),
                    obj,
                );
            }
        }
    }

    /// The naming controller, and the establishing one when it need not wait.
    fn run_naming(&mut self, obj: &mut Value, now: &str) {
        let name = meta_str(obj, "name").to_string();
        let group = crd::group(obj).to_string();
        let peers: Vec<Value> = self
            .crds
            .values()
            .filter(|c| crd::group(c) == group)
            .cloned()
            .collect();
        let refs: Vec<&Value> = peers.iter().collect();
        let accepted = crd::accept_names(obj, &refs, now);
        if crd::condition_true(obj, "Established") {
            return;
        }
        if !accepted {
            self.pending.remove(&name);
        } else if self.established_after_reads == 0 {
            crd::establish(obj, now);
        } else {
            let delay = self.established_after_reads;
            self.pending.entry(name).or_insert(delay);
        }
    }

    fn write_crd_status(
        &mut self,
        call: &Call<'_>,
        verb: &str,
        name: &str,
    ) -> Result<(u16, Value), ApiError> {
        let gr = crd_resource();
        let old = self
            .crds
            .get(name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&gr, name))?;
        let new_status = match verb {
            "update" => {
                let body = parse_body(call.body, call.content_type)?;
                let rv = meta_str(&body, "resourceVersion");
                if !rv.is_empty() && rv != meta_str(&old, "resourceVersion") {
                    return Err(ApiError::modified(&gr, name));
                }
                body.get("status").cloned()
            }
            "patch" => {
                let mut patched = old.clone();
                match patch_kind(call)? {
                    Write::MergePatch => {
                        let patch: Value = serde_json::from_slice(call.body).map_err(|e| {
                            ApiError::bad_request(format!("error decoding patch: {e}"))
                        })?;
                        json_patch::merge(&mut patched, &patch);
                    }
                    Write::JsonPatch => {
                        let ops: json_patch::Patch =
                            serde_json::from_slice(call.body).map_err(|e| {
                                ApiError::bad_request(format!("error decoding patch: {e}"))
                            })?;
                        json_patch::patch(&mut patched, &ops)
                            .map_err(|e| ApiError::injected(422, e.to_string()))?;
                    }
                    _ => {
                        // Apply to the status subresource: the applied status replaces what it names.
                        let config = parse_body(call.body, call.content_type)?;
                        if let Some(status) = config.get("status") {
                            json_patch::merge(&mut patched, &json!({ "status": status }));
                        }
                    }
                }
                patched.get("status").cloned()
            }
            _ => return Err(ApiError::method_not_supported(&gr, verb)),
        };
        let mut candidate = old.clone();
        set_status(&mut candidate, new_status);
        let errors = crd::validate_status(&candidate);
        if !errors.is_empty() {
            return Err(ApiError::invalid(crd::KIND, crd::GROUP, name, &errors));
        }
        if unchanged(&old, &candidate) {
            return Ok((200, old));
        }
        if call.query.dry_run {
            return Ok((200, candidate));
        }
        self.rv += 1;
        self.counters.writes += 1;
        candidate["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.emit(Collection::Crds, "MODIFIED", candidate.clone());
        self.crds.insert(name.to_string(), candidate.clone());
        Ok((200, candidate))
    }

    fn delete(
        &mut self,
        call: &Call<'_>,
        target: &Target<'_>,
        name: &str,
    ) -> Result<(u16, Value), ApiError> {
        let gr = target.resource();
        let old = self
            .existing(target, name)
            .ok_or_else(|| ApiError::not_found(&gr, name))?;
        let options: Value = if call.body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(call.body)
                .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?
        };
        let dry_run = call.query.dry_run
            || options
                .get("dryRun")
                .and_then(Value::as_array)
                .is_some_and(|d| d.iter().any(|v| v == "All"));
        if let Some(uid) = options
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
        {
            let actual = meta_str(&old, "uid");
            if uid != actual {
                return Err(ApiError::conflict(
                    &gr,
                    name,
                    &format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {actual}"
                    ),
                ));
            }
        }
        if let Some(rv) = options
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
        {
            let actual = meta_str(&old, "resourceVersion");
            if rv != actual {
                return Err(ApiError::conflict(
                    &gr,
                    name,
                    &format!(
                        "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in meta: {actual}"
                    ),
                ));
            }
        }
        let mut gone = self.present(target, old.clone());
        if let Some(meta) = metadata_mut(&mut gone) {
            meta.insert("deletionTimestamp".to_string(), json!(call.now));
        }
        if dry_run {
            return Ok((200, gone));
        }
        self.rv += 1;
        self.counters.writes += 1;
        match target {
            Target::Crd => {
                // Deleting a CRD deletes every object of it (the real server does it behind a
                // finalizer, which this fake finishes at once).
                let objects = self.objects.remove(name).unwrap_or_default();
                for ((ns, _), obj) in objects {
                    let collection = Collection::Objects {
                        crd: name.to_string(),
                        version: String::new(),
                        namespace: (!ns.is_empty()).then_some(ns),
                    };
                    self.emit(collection, "DELETED", obj);
                }
                self.crds.remove(name);
                self.pending.remove(name);
                self.emit(Collection::Crds, "DELETED", gone.clone());
                self.rename_group_peers(crd::group(&old), call.now);
            }
            Target::Object {
                crd: def,
                version,
                namespace,
            } => {
                let crd_name = meta_str(def, "name").to_string();
                if let Some(objs) = self.objects.get_mut(&crd_name) {
                    objs.remove(&(namespace.unwrap_or_default().to_string(), name.to_string()));
                }
                let collection = Collection::Objects {
                    crd: crd_name,
                    version: version.to_string(),
                    namespace: namespace.map(str::to_string),
                };
                self.emit(collection, "DELETED", gone.clone());
            }
        }
        Ok((200, gone))
    }

    /// A deleted CRD frees its names: CRDs of the group that were refused may now be accepted.
    fn rename_group_peers(&mut self, group: &str, now: &str) {
        let refused: Vec<Value> = self
            .crds
            .values()
            .filter(|c| crd::group(c) == group && !crd::condition_true(c, "NamesAccepted"))
            .cloned()
            .collect();
        for mut obj in refused {
            let before = obj.clone();
            self.run_naming(&mut obj, now);
            if obj != before {
                self.store_controller_write(obj);
            }
        }
    }

    /// Starts a watch: the events to send first, and the resourceVersion to continue from.
    pub fn watch_start(
        &mut self,
        collection: &Collection,
        selector: &Selector,
        since: Option<&str>,
        now: &str,
    ) -> Result<(Vec<Value>, u64), ApiError> {
        if *collection == Collection::Crds {
            let names: Vec<String> = self.pending.keys().cloned().collect();
            self.observe(&names, now);
        }
        match since.and_then(|s| (s != "0").then_some(s)) {
            None => {
                let current: Vec<Value> = match collection {
                    Collection::Crds => self
                        .crds
                        .values()
                        .filter(|c| selector.matches(c))
                        .cloned()
                        .collect(),
                    Collection::Objects {
                        crd: crd_name,
                        version,
                        namespace,
                    } => {
                        let view = self.definition(crd_name).map(|c| View::new(c, version));
                        self.objects
                            .get(crd_name)
                            .into_iter()
                            .flat_map(|o| o.values())
                            .filter(|o| {
                                namespace
                                    .as_deref()
                                    .is_none_or(|ns| meta_str(o, "namespace") == ns)
                            })
                            .filter(|o| selector.matches(o))
                            .map(|o| view.as_ref().map_or_else(|| o.clone(), |v| v.show(o)))
                            .collect()
                    }
                };
                let events = current
                    .into_iter()
                    .map(|object| json!({ "type": "ADDED", "object": object }))
                    .collect();
                Ok((events, self.rv))
            }
            Some(rv) => {
                let from: u64 = rv.parse().map_err(|_| {
                    ApiError::bad_request(format!("invalid resource version {rv:?}"))
                })?;
                let oldest = self
                    .events
                    .front()
                    .map_or(self.rv, |e| e.rv.saturating_sub(1));
                if from < oldest {
                    return Err(ApiError::expired(rv));
                }
                Ok(self.events_after(from, collection, selector))
            }
        }
    }

    /// Events after a resourceVersion, and the resourceVersion they reach.
    pub fn events_after(
        &self,
        from: u64,
        collection: &Collection,
        selector: &Selector,
    ) -> (Vec<Value>, u64) {
        let mut out = Vec::new();
        for e in self.events.iter().filter(|e| e.rv > from) {
            let matches = match (&e.collection, collection) {
                (Collection::Crds, Collection::Crds) => true,
                (
                    Collection::Objects {
                        crd: a,
                        namespace: ans,
                        ..
                    },
                    Collection::Objects {
                        crd: b,
                        namespace: bns,
                        ..
                    },
                ) => a == b && (bns.is_none() || ans == bns),
                _ => false,
            };
            if !matches || !selector.matches(&e.object) {
                continue;
            }
            let object = match collection {
                Collection::Crds => e.object.clone(),
                Collection::Objects {
                    crd: crd_name,
                    version,
                    ..
                } => match self.definition(crd_name) {
                    Some(def) => View::new(def, version).show(&e.object),
                    None => e.object.clone(),
                },
            };
            out.push(json!({ "type": e.kind, "object": object }));
        }
        (out, self.rv)
    }
}

/// An update either changes `managedFields` itself (the client writes ownership, as when a tool
/// takes over fields; `[{}]` clears them), which the server takes as given, or it does not (the
/// same entries, or none in the body), and the server records who changed what.
fn record_or_keep_owners(
    old: &Value,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    now: &str,
) -> Result<(), ApiError> {
    let given = new.pointer("/metadata/managedFields").cloned();
    // Left out of the body: unchanged, as the API server takes it.
    if given.is_none() || given.as_ref() == old.pointer("/metadata/managedFields") {
        return fields::record_update(Some(old), new, manager, api_version, now).map_err(too_deep);
    }
    let entries = given
        .as_ref()
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let cleared = entries.is_empty()
        || (entries.len() == 1 && entries[0].as_object().is_some_and(Map::is_empty));
    let mut errors = Vec::new();
    if !cleared {
        for (i, entry) in entries.iter().enumerate() {
            let operation = entry
                .get("operation")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if entry.get("manager").and_then(Value::as_str).is_none() {
                errors.push(FieldError::required(
                    format!("metadata.managedFields[{i}].manager"),
                    "",
                ));
            }
            if operation != "Apply" && operation != "Update" {
                errors.push(FieldError::unsupported(
                    format!("metadata.managedFields[{i}].operation"),
                    json!(operation),
                    &["Apply", "Update"],
                ));
            }
            if !entry.get("fieldsV1").is_some_and(Value::is_object) {
                errors.push(FieldError::required(
                    format!("metadata.managedFields[{i}].fieldsV1"),
                    "",
                ));
            }
        }
    }
    if !errors.is_empty() {
        let kind = new
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let group = new
            .get("apiVersion")
            .and_then(Value::as_str)
            .and_then(|v| v.split_once('/'))
            .map(|(g, _)| g.to_string())
            .unwrap_or_default();
        return Err(ApiError::invalid(
            &kind,
            &group,
            meta_str(new, "name"),
            &errors,
        ));
    }
    if cleared && let Some(meta) = metadata_mut(new) {
        meta.remove("managedFields");
    }
    Ok(())
}

fn namespace_of<'a>(target: &'a Target<'_>) -> Option<&'a str> {
    match target {
        Target::Object { namespace, .. } => *namespace,
        Target::Crd => None,
    }
}

/// Whether a request writes (for real or as a dry run) or reads.
fn category_of(call: &Call<'_>) -> FaultOn {
    let is_write = matches!(call.method, "POST" | "PUT" | "PATCH" | "DELETE");
    match (is_write, call.query.dry_run) {
        (true, true) => FaultOn::DryRun,
        (true, false) => FaultOn::Write,
        (false, _) => FaultOn::Read,
    }
}

/// The verb of a request, as RBAC names it.
fn verb_of(method: &str, named: bool) -> Result<&'static str, ApiError> {
    Ok(match (method, named) {
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", false) => "create",
        ("PUT", true) => "update",
        ("PATCH", true) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => return Err(ApiError::no_such_resource()),
    })
}

fn patch_kind(call: &Call<'_>) -> Result<Write, ApiError> {
    let base = call
        .content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim();
    match base {
        "application/merge-patch+json" => Ok(Write::MergePatch),
        "application/json-patch+json" => Ok(Write::JsonPatch),
        "application/apply-patch+yaml" => Ok(Write::Apply),
        other => Err(ApiError::unsupported_media_type(other, PATCH_TYPES)),
    }
}

fn check_type(body: &Value, api_version: &str, kind: &str) -> Result<(), ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request("the request body is not an object"));
    }
    let got_version = body
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let got_kind = body.get("kind").and_then(Value::as_str).unwrap_or_default();
    if got_kind.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Object 'Kind' is missing in '{body}'"
        )));
    }
    if got_version != api_version || got_kind != kind {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({got_version}) does not match the expected API version ({api_version})"
        )));
    }
    Ok(())
}

fn set_status(obj: &mut Value, status: Option<Value>) {
    if let Some(map) = obj.as_object_mut() {
        match status {
            Some(s) => map.insert("status".to_string(), s),
            None => map.remove("status"),
        };
    }
}

fn has_status_subresource(def: &Value, version: &str) -> bool {
    def.pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
        .is_some_and(|v| v.pointer("/subresources/status").is_some())
}

fn bump_generation(obj: &mut Value, old: Option<&Value>) {
    let generation = match old {
        None => 1,
        Some(old) => {
            let before = old
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            if old.get("spec") != obj.get("spec") {
                before + 1
            } else {
                before
            }
        }
    };
    if let Some(meta) = metadata_mut(obj) {
        meta.insert("generation".to_string(), json!(generation));
    }
}

/// Whether a write changes nothing: same content and same field ownership.
fn unchanged(old: &Value, new: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
            meta.remove("resourceVersion");
        }
        v
    };
    strip(old) == strip(new) && fields::ownership(old) == fields::ownership(new)
}

/// 400 for `fieldValidation=Strict` with unknown fields, the server's words.
fn strict_decoding_error(kind: &str, version: &str, unknown: &[String]) -> ApiError {
    let fields: Vec<String> = unknown
        .iter()
        .map(|f| format!("unknown field {f:?}"))
        .collect();
    ApiError::bad_request(format!(
        "{kind} in version {version:?} cannot be handled as a {kind}: strict decoding error: {}",
        fields.join(", ")
    ))
}

/// A problem at a value path (`.spec.ports[0].name`) as the server's `field.Error`: the field
/// without the leading dot, in the server's words where the problem has a fixed form, else the
/// offending value (its type for objects and lists) and nexus's reason.
fn field_error(object: &Value, problem: Problem) -> FieldError {
    let field = problem.path.strip_prefix('.').unwrap_or(&problem.path);
    let field = if field.is_empty() { "<root>" } else { field };
    match problem.cause {
        Some(ServerCause::Required) => return FieldError::required(field, String::new()),
        Some(ServerCause::WrongType { got, expected }) => {
            return FieldError::invalid(
                field,
                json!(got),
                format!("{field} in body must be of type {expected}: {got:?}"),
            );
        }
        Some(ServerCause::NotSupported { value, supported }) => {
            let supported: Vec<&str> = supported.iter().map(String::as_str).collect();
            let value = serde_json::from_str(&value).unwrap_or(Value::String(value));
            return FieldError::unsupported(field, value, &supported);
        }
        Some(ServerCause::RulesNotChecked) => {
            return FieldError::invalid("<nil>", Value::Null, problem.reason);
        }
        None => {}
    }
    let shown = match value_at(object, &problem.path) {
        Some(Value::Object(_)) => json!("object"),
        Some(Value::Array(_)) => json!("array"),
        Some(other) => other.clone(),
        None => Value::Null,
    };
    FieldError::invalid(field, shown, problem.reason)
}

/// The value at a value path built by `nexus_schema::path` (`.a.b[0]["c.d"]`), if any.
fn value_at<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = object;
    let mut rest = path.strip_prefix('.').unwrap_or(path);
    if path == "." {
        return Some(object);
    }
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix("[\"") {
            let end = tail.find("\"]")?;
            let key: String = serde_json::from_str(&format!("\"{}\"", &tail[..end])).ok()?;
            at = at.get(key.as_str())?;
            rest = &tail[end + 2..];
        } else if let Some(tail) = rest.strip_prefix('[') {
            let end = tail.find(']')?;
            at = at.get(tail[..end].parse::<usize>().ok()?)?;
            rest = &tail[end + 1..];
        } else {
            let tail = rest.strip_prefix('.').unwrap_or(rest);
            let end = tail.find(['.', '[']).unwrap_or(tail.len());
            at = at.get(&tail[..end])?;
            rest = &tail[end..];
        }
    }
    Some(at)
}

fn version_schema<'a>(def: &'a Value, version: &str) -> Option<&'a Value> {
    def.pointer("/spec/versions")
        .and_then(Value::as_array)
        .and_then(|vs| {
            vs.iter()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
        })
        .and_then(|v| v.pointer("/schema/openAPIV3Schema"))
}

/// An object as served at an API version (conversion `None`: only apiVersion changes).
/// How the objects of one CRD version are served: at its `apiVersion`, pruned and defaulted by
/// that version's schema as it is now (the API server prunes on read too, so a field the
/// installed schema no longer knows is gone even from objects stored before it changed).
struct View {
    api_version: String,
    schema: Option<Validator>,
}

impl View {
    fn new(def: &Value, version: &str) -> View {
        let schema = def
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .and_then(|vs| {
                vs.iter()
                    .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
            })
            .and_then(|v| v.pointer("/schema/openAPIV3Schema"))
            .map(Validator::new);
        View {
            api_version: api_version_of(crd::group(def), version),
            schema,
        }
    }

    fn show(&self, obj: &Value) -> Value {
        let obj = match &self.schema {
            Some(schema) => schema.stored_form(obj).unwrap_or_else(|| obj.clone()),
            None => obj.clone(),
        };
        render(&obj, &self.api_version)
    }
}

/// `group/version`, or `version` for the core group.
fn api_version_of(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// The built-in resources the server serves, as CRD-shaped definitions.
fn builtin_definitions() -> BTreeMap<String, Value> {
    let config_maps = json!({
        "metadata": {"name": "configmaps"},
        "spec": {
            "group": "",
            "scope": "Namespaced",
            "names": {"plural": "configmaps", "singular": "configmap", "kind": "ConfigMap", "listKind": "ConfigMapList"},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "data": {"type": "object", "additionalProperties": {"type": "string"}},
                        "binaryData": {"type": "object", "additionalProperties": {"type": "string"}},
                        "immutable": {"type": "boolean"}
                    }
                }}
            }]
        },
        "status": {"conditions": [{"type": "Established", "status": "True"}]}
    });
    BTreeMap::from([("configmaps".to_string(), config_maps)])
}

fn render(obj: &Value, api_version: &str) -> Value {
    let mut out = obj.clone();
    if let Some(map) = out.as_object_mut() {
        map.insert("apiVersion".to_string(), json!(api_version));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-01-01T00:00:00Z";

    fn sample(name: &str, plural: &str, kind: &str, versions: &[(&str, bool)]) -> Value {
        let versions: Vec<Value> = versions
            .iter()
            .map(|(v, storage)| {
                json!({"name": v, "served": true, "storage": storage,
                       "schema": {"openAPIV3Schema": {"type": "object"}}})
            })
            .collect();
        json!({
            "apiVersion": crd::API_VERSION,
            "kind": crd::KIND,
            "metadata": {"name": name},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": plural, "kind": kind}, "versions": versions}
        })
    }

    struct Req<'a> {
        method: &'a str,
        path: &'a str,
        query: &'a str,
        content_type: &'a str,
        body: Value,
    }

    fn call(store: &mut Store, r: Req<'_>, who: &Identity) -> Result<(u16, Value), ApiError> {
        let route = store.route(r.path);
        let query = Query::parse(r.query)?;
        let body = serde_json::to_vec(&r.body).unwrap();
        let body: &[u8] = if r.body.is_null() { b"" } else { &body };
        store.handle(&Call {
            method: r.method,
            route: &route,
            query: &query,
            content_type: r.content_type,
            body,
            user_agent: "test/1.0",
            identity: who,
            now: NOW,
        })
    }

    const CRDS: &str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

    fn apply(store: &mut Store, doc: &Value, query: &str) -> Result<(u16, Value), ApiError> {
        let path = format!("{CRDS}/{}", meta_str(doc, "name"));
        call(
            store,
            Req {
                method: "PATCH",
                path: &path,
                query,
                content_type: "application/apply-patch+yaml",
                body: doc.clone(),
            },
            &Identity::admin(),
        )
    }

    fn get(store: &mut Store, name: &str) -> Result<(u16, Value), ApiError> {
        let path = format!("{CRDS}/{name}");
        call(
            store,
            Req {
                method: "GET",
                path: &path,
                query: "",
                content_type: "",
                body: Value::Null,
            },
            &Identity::admin(),
        )
    }

    #[test]
    fn apply_creates_then_is_a_no_op() {
        let mut store = Store::new(0);
        let doc = sample("foos.example.com", "foos", "Foo", &[("v1", true)]);
        let (code, created) = apply(&mut store, &doc, "fieldManager=nexus&force=true").unwrap();
        assert_eq!(code, 201);
        assert_eq!(crd::stored_versions(&created), vec!["v1"]);
        assert!(crd::condition_true(&created, "Established"));
        assert_eq!(created["metadata"]["managedFields"][0]["manager"], "nexus");
        let rv = meta_str(&created, "resourceVersion").to_string();
        let (code, again) = apply(&mut store, &doc, "fieldManager=nexus&force=true").unwrap();
        assert_eq!(code, 200);
        assert_eq!(meta_str(&again, "resourceVersion"), rv);
        assert_eq!(store.counters().writes, 1);
        assert_eq!(store.counters().write_requests, 2);
    }

    #[test]
    fn dry_run_validates_and_stores_nothing() {
        let mut store = Store::new(0);
        let bad = sample("foo.example.com", "foos", "Foo", &[("v1", true)]);
        let err = apply(&mut store, &bad, "fieldManager=nexus&dryRun=All").unwrap_err();
        assert_eq!(err.code, 422);
        let good = sample("foos.example.com", "foos", "Foo", &[("v1", true)]);
        let (code, _) = apply(&mut store, &good, "fieldManager=nexus&dryRun=All").unwrap();
        assert_eq!(code, 201);
        assert!(store.crd_names().is_empty());
        assert_eq!(store.counters().dry_runs, 2);
        assert_eq!(store.counters().writes, 0);
    }

    #[test]
    fn apply_needs_a_field_manager() {
        let mut store = Store::new(0);
        let doc = sample("foos.example.com", "foos", "Foo", &[("v1", true)]);
        let err = apply(&mut store, &doc, "").unwrap_err();
        assert_eq!(err.code, 422);
        assert!(
            err.message
                .contains("fieldManager: Required value: is required for apply patch")
        );
    }

    #[test]
    fn stale_resource_version_conflicts() {
        let mut store = Store::new(0);
        let doc = sample("foos.example.com", "foos", "Foo", &[("v1", true)]);
        apply(&mut store, &doc, "fieldManager=nexus").unwrap();
        let mut stale = doc.clone();
        stale["metadata"]["resourceVersion"] = json!("1");
        stale["spec"]["names"]["shortNames"] = json!(["fo"]);
        let err = apply(&mut store, &stale, "fieldManager=nexus").unwrap_err();
        assert_eq!(err.code, 409);
        assert_eq!(err.reason, "Conflict");
        let (_, current) = get(&mut store, "foos.example.com").unwrap();
        let mut put = current.clone();
        put["metadata"]["resourceVersion"] = json!("7");
        let path = format!("{CRDS}/foos.example.com");
        let err = call(
            &mut store,
            Req {
                method: "PUT",
                path: &path,
                query: "",
                content_type: "application/json",
                body: put,
            },
            &Identity::admin(),
        )
        .unwrap_err();
        assert_eq!(err.code, 409);
    }

    #[test]
    fn stored_versions_are_kept_and_guarded() {
        let mut store = Store::new(0);
        apply(
            &mut store,
            &sample("foos.example.com", "foos", "Foo", &[("v1", true)]),
            "fieldManager=nexus",
        )
        .unwrap();
        let two = sample(
            "foos.example.com",
            "foos",
            "Foo",
            &[("v1", false), ("v2", true)],
        );
        let (_, updated) = apply(&mut store, &two, "fieldManager=nexus").unwrap();
        assert_eq!(crd::stored_versions(&updated), vec!["v1", "v2"]);
        let only_v2 = sample("foos.example.com", "foos", "Foo", &[("v2", true)]);
        let err = apply(&mut store, &only_v2, "fieldManager=nexus").unwrap_err();
        assert_eq!(err.code, 422);
        assert!(err.message.contains(
            r#"status.storedVersions[0]: Invalid value: "v1": must appear in spec.versions"#
        ));
    }

    #[test]
    fn established_waits_for_reads() {
        let mut store = Store::new(2);
        let doc = sample("foos.example.com", "foos", "Foo", &[("v1", true)]);
        let (_, created) = apply(&mut store, &doc, "fieldManager=nexus").unwrap();
        assert_eq!(
            crd::condition(&created, "Established").unwrap()["reason"],
            "Installing"
        );
        for _ in 0..2 {
            let (_, seen) = get(&mut store, "foos.example.com").unwrap();
            assert!(!crd::condition_true(&seen, "Established"));
        }
        let (_, seen) = get(&mut store, "foos.example.com").unwrap();
        assert!(crd::condition_true(&seen, "Established"));
    }

    #[test]
    fn objects_are_served_once_established_and_go_with_their_crd() {
        let mut store = Store::new(0);
        apply(
            &mut store,
            &sample("foos.example.com", "foos", "Foo", &[("v1", true)]),
            "fieldManager=nexus",
        )
        .unwrap();
        let obj = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "a"}});
        let (code, _) = call(
            &mut store,
            Req {
                method: "POST",
                path: "/apis/example.com/v1/namespaces/ns1/foos",
                query: "",
                content_type: "application/json",
                body: obj,
            },
            &Identity::admin(),
        )
        .unwrap();
        assert_eq!(code, 201);
        let (_, list) = call(
            &mut store,
            Req {
                method: "GET",
                path: "/apis/example.com/v1/foos",
                query: "limit=1",
                content_type: "",
                body: Value::Null,
            },
            &Identity::admin(),
        )
        .unwrap();
        assert_eq!(list["kind"], "FooList");
        assert_eq!(list["items"][0]["metadata"]["namespace"], "ns1");
        let path = format!("{CRDS}/foos.example.com");
        call(
            &mut store,
            Req {
                method: "DELETE",
                path: &path,
                query: "",
                content_type: "",
                body: Value::Null,
            },
            &Identity::admin(),
        )
        .unwrap();
        assert_eq!(store.object_count("foos.example.com"), 0);
        assert_eq!(store.route("/apis/example.com/v1/foos"), Route::NotFound);
    }

    /// A CRD with a schema, CEL rules and a status subresource, and a way to send it objects.
    fn priced_store() -> Store {
        let mut store = Store::new(0);
        let mut doc = sample("items.example.com", "items", "Item", &[("v1", true)]);
        doc["spec"]["versions"][0]["subresources"] = json!({"status": {}});
        doc["spec"]["versions"][0]["schema"] = json!({"openAPIV3Schema": {"type": "object", "properties": {
            "spec": {"type": "object", "required": ["price"],
                "x-kubernetes-validations": [{"rule": "!has(oldSelf.price) || self.price >= oldSelf.price", "message": "no discounts"}],
                "properties": {
                    "price": {"type": "integer", "minimum": 0},
                    "currency": {"type": "string", "default": "EUR"}}},
            "status": {"type": "object", "properties": {"sold": {"type": "integer"}}}}}});
        apply(&mut store, &doc, "fieldManager=nexus").unwrap();
        store
    }

    fn send(
        store: &mut Store,
        method: &str,
        path: &str,
        content_type: &str,
        body: Value,
    ) -> Result<(u16, Value), ApiError> {
        call(
            store,
            Req {
                method,
                path,
                query: "fieldManager=t",
                content_type,
                body,
            },
            &Identity::admin(),
        )
    }

    const ITEMS: &str = "/apis/example.com/v1/namespaces/ns1/items";

    fn item(spec: Value) -> Value {
        json!({"apiVersion": "example.com/v1", "kind": "Item", "metadata": {"name": "a"}, "spec": spec})
    }

    #[test]
    fn every_write_of_an_object_is_validated_and_defaulted() {
        let mut store = priced_store();
        let err = send(
            &mut store,
            "POST",
            ITEMS,
            "application/json",
            item(json!({"price": "ten"})),
        )
        .unwrap_err();
        assert_eq!(err.code, 422, "{err:?}");
        assert_eq!(err.details["causes"][0]["field"], "spec.price", "{err:?}");
        // The API server's words, and its note that the CEL rules were skipped.
        assert_eq!(
            err.message,
            "Item.example.com \"a\" is invalid: [spec.price: Invalid value: \"string\": spec.price in body must be of type integer: \"string\", <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]",
            "{}",
            err.message
        );
        let err = send(
            &mut store,
            "POST",
            ITEMS,
            "application/json",
            item(json!({})),
        )
        .unwrap_err();
        assert_eq!(
            err.details["causes"][0]["reason"], "FieldValueRequired",
            "{err:?}"
        );
        assert_eq!(store.object_count("items.example.com"), 0);

        let (code, created) = send(
            &mut store,
            "POST",
            ITEMS,
            "application/json",
            item(json!({"price": 5, "color": "red"})),
        )
        .unwrap();
        assert_eq!(code, 201);
        assert_eq!(
            created["spec"],
            json!({"price": 5, "currency": "EUR"}),
            "pruned and defaulted"
        );

        // Merge patch, JSON patch, server-side apply and update go through the same checks,
        // with the stored object as oldSelf.
        let one = format!("{ITEMS}/a");
        let err = send(
            &mut store,
            "PATCH",
            &one,
            "application/merge-patch+json",
            json!({"spec": {"price": 3}}),
        )
        .unwrap_err();
        assert!(err.message.contains("no discounts"), "{}", err.message);
        let err = send(
            &mut store,
            "PATCH",
            &one,
            "application/json-patch+json",
            json!([{"op": "replace", "path": "/spec/price", "value": -1}]),
        )
        .unwrap_err();
        assert_eq!(err.code, 422, "{err:?}");
        let err = send(
            &mut store,
            "PATCH",
            &one,
            "application/apply-patch+yaml",
            item(json!({"price": "x"})),
        )
        .unwrap_err();
        assert_eq!(err.code, 422, "{err:?}");
        let (code, _) = send(
            &mut store,
            "PATCH",
            &one,
            "application/merge-patch+json",
            json!({"spec": {"price": 7}}),
        )
        .unwrap();
        assert_eq!(code, 200);

        // The status subresource validates status.
        let mut current = store.stored_objects("items.example.com")[0].clone();
        current["status"] = json!({"sold": "many"});
        let err = send(
            &mut store,
            "PUT",
            &format!("{one}/status"),
            "application/json",
            current,
        )
        .unwrap_err();
        assert_eq!(err.details["causes"][0]["field"], "status.sold", "{err:?}");
    }

    #[test]
    fn the_status_endpoint_replaces_only_status_with_a_precondition() {
        let mut store = Store::new(0);
        let schema = json!({"openAPIV3Schema": {"type": "object", "properties": {
            "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
            "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
        }}});
        let mut def = sample(
            "foos.example.com",
            "foos",
            "Foo",
            &[("v1", true), ("v2", false)],
        );
        def["spec"]["versions"][0]["schema"] = schema.clone();
        def["spec"]["versions"][0]["subresources"] = json!({"status": {}});
        def["spec"]["versions"][1]["schema"] = schema;
        apply(&mut store, &def, "fieldManager=nexus").unwrap();
        let put = |store: &mut Store, path: &str, body: Value| {
            call(
                store,
                Req {
                    method: if path.ends_with("/foos") {
                        "POST"
                    } else {
                        "PUT"
                    },
                    path,
                    query: "",
                    content_type: "application/json",
                    body,
                },
                &Identity::admin(),
            )
        };
        let base = "/apis/example.com/v1/namespaces/ns1/foos";
        let (_, created) = put(
            &mut store,
            base,
            json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "a"},
                   "spec": {"size": 1}, "status": {"ready": false}}),
        )
        .unwrap();
        // The main resource ignores status on create too.
        assert_eq!(created.get("status"), None);
        let rv = meta_str(&created, "resourceVersion").to_string();
        let mut body = created.clone();
        body["spec"]["size"] = json!(99);
        body["metadata"]["labels"] = json!({"x": "y"});
        body["status"] = json!({"ready": true, "unknown": 1});
        let status_path = format!("{base}/a/status");
        let (code, written) = put(&mut store, &status_path, body.clone()).unwrap();
        assert_eq!(code, 200);
        assert_eq!(
            written["status"],
            json!({"ready": true}),
            "pruned by the schema"
        );
        assert_eq!(
            written["spec"],
            json!({"size": 1}),
            "spec of the body ignored"
        );
        assert_eq!(written["metadata"].get("labels"), None);
        assert_eq!(written["metadata"]["generation"], 1);
        let new_rv = meta_str(&written, "resourceVersion").to_string();
        assert_ne!(new_rv, rv);
        // The stale resourceVersion conflicts, as a Status.
        let err = put(&mut store, &status_path, body.clone()).unwrap_err();
        assert_eq!(err.code, 409);
        let status = err.to_status();
        assert_eq!(status["kind"], "Status");
        assert_eq!(status["reason"], "Conflict");
        assert_eq!(
            store.stored_objects("foos.example.com")[0]["status"],
            json!({"ready": true})
        );
        // A replace of the main resource keeps the stored status.
        let mut main = written.clone();
        main["status"] = json!({"ready": false});
        main["spec"]["size"] = json!(2);
        let (_, replaced) = put(&mut store, &format!("{base}/a"), main).unwrap();
        assert_eq!(replaced["status"], json!({"ready": true}));
        assert_eq!(replaced["spec"]["size"], 2);
        // No status subresource at v2: no /status endpoint.
        assert_eq!(
            store.route("/apis/example.com/v2/namespaces/ns1/foos/a/status"),
            Route::NotFound
        );
        assert!(matches!(
            store.route(&status_path),
            Route::Objects { status: true, .. }
        ));
    }

    #[test]
    fn rbac_denies_verbs_not_granted() {
        let mut store = Store::new(0);
        let reader = Identity {
            user: "ro".into(),
            verbs: Some(["get", "list"].iter().map(|s| s.to_string()).collect()),
        };
        let doc = sample("foos.example.com", "foos", "Foo", &[("v1", true)]);
        let path = format!("{CRDS}/foos.example.com");
        let err = call(
            &mut store,
            Req {
                method: "PATCH",
                path: &path,
                query: "fieldManager=nexus",
                content_type: "application/apply-patch+yaml",
                body: doc,
            },
            &reader,
        )
        .unwrap_err();
        assert_eq!(err.code, 403);
        assert!(
            err.message
                .contains(r#"User "ro" cannot patch resource "customresourcedefinitions""#)
        );
    }

    #[test]
    fn faults_fire_on_the_nth_matching_request() {
        let mut store = Store::new(0);
        store.add_fault(Fault {
            on: FaultOn::Write,
            nth: 2,
            code: 500,
            message: "etcd is down".into(),
        });
        apply(
            &mut store,
            &sample("foos.example.com", "foos", "Foo", &[("v1", true)]),
            "fieldManager=nexus&dryRun=All",
        )
        .unwrap();
        apply(
            &mut store,
            &sample("foos.example.com", "foos", "Foo", &[("v1", true)]),
            "fieldManager=nexus",
        )
        .unwrap();
        let err = apply(
            &mut store,
            &sample("bars.example.com", "bars", "Bar", &[("v1", true)]),
            "fieldManager=nexus",
        )
        .unwrap_err();
        assert_eq!((err.code, err.message.as_str()), (500, "etcd is down"));
        apply(
            &mut store,
            &sample("bars.example.com", "bars", "Bar", &[("v1", true)]),
            "fieldManager=nexus",
        )
        .unwrap();
    }

    #[test]
    fn clients_may_rewrite_ownership_with_a_patch() {
        let mut store = Store::new(0);
        apply(
            &mut store,
            &sample("foos.example.com", "foos", "Foo", &[("v1", true)]),
            "fieldManager=helm",
        )
        .unwrap();
        let (_, live) = get(&mut store, "foos.example.com").unwrap();
        let mut entries = live["metadata"]["managedFields"].clone();
        entries[0]["manager"] = json!("nexus");
        let patch = json!({"metadata": {"resourceVersion": live["metadata"]["resourceVersion"], "managedFields": entries}});
        let path = format!("{CRDS}/foos.example.com");
        let (_, patched) = call(
            &mut store,
            Req {
                method: "PATCH",
                path: &path,
                query: "",
                content_type: "application/merge-patch+json",
                body: patch,
            },
            &Identity::admin(),
        )
        .unwrap();
        assert_eq!(patched["metadata"]["managedFields"][0]["manager"], "nexus");
        // `[{}]` clears ownership.
        let clear = json!({"metadata": {"managedFields": [{}]}});
        let (_, cleared) = call(
            &mut store,
            Req {
                method: "PATCH",
                path: &path,
                query: "",
                content_type: "application/merge-patch+json",
                body: clear,
            },
            &Identity::admin(),
        )
        .unwrap();
        assert!(cleared["metadata"].get("managedFields").is_none());
        let bad = json!({"metadata": {"managedFields": [{"manager": "x", "operation": "Delete", "fieldsV1": {}}]}});
        let err = call(
            &mut store,
            Req {
                method: "PATCH",
                path: &path,
                query: "",
                content_type: "application/merge-patch+json",
                body: bad,
            },
            &Identity::admin(),
        )
        .unwrap_err();
        assert_eq!(err.code, 422);
    }

    #[test]
    fn delete_honours_preconditions() {
        let mut store = Store::new(0);
        apply(
            &mut store,
            &sample("foos.example.com", "foos", "Foo", &[("v1", true)]),
            "fieldManager=nexus",
        )
        .unwrap();
        let path = format!("{CRDS}/foos.example.com");
        let err = call(
            &mut store,
            Req {
                method: "DELETE",
                path: &path,
                query: "",
                content_type: "application/json",
                body: json!({"preconditions": {"uid": "nope"}}),
            },
            &Identity::admin(),
        )
        .unwrap_err();
        assert_eq!(err.code, 409);
        assert!(store.crd("foos.example.com").is_some());
    }

    #[test]
    fn watch_resumes_from_a_resource_version() {
        let mut store = Store::new(0);
        let (initial, rv) = store
            .watch_start(&Collection::Crds, &Selector::default(), None, NOW)
            .unwrap();
        assert!(initial.is_empty());
        apply(
            &mut store,
            &sample("foos.example.com", "foos", "Foo", &[("v1", true)]),
            "fieldManager=nexus",
        )
        .unwrap();
        let (events, _) = store.events_after(rv, &Collection::Crds, &Selector::default());
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["type"], "ADDED");
    }
}
