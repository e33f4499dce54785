//! Validation of a JSON value against a structural OpenAPI v3 schema, as the Kubernetes API
//! server does it for custom resources (apiextensions-apiserver with kube-openapi's validator).
//! Used for `crd-invalid` (a default must validate against its own schema) and for migrated
//! objects.
//!
//! What happens to an object on the server, and here, in this order:
//! 1. unknown fields are pruned unless `x-kubernetes-preserve-unknown-fields` keeps them
//!    (reported as [`ViolationKind::Pruned`]: the object is accepted, the data is lost);
//! 2. `null` in a field that is not `nullable` and has no default is dropped (also `Pruned`);
//! 3. defaults are filled in;
//! 4. the result is validated: `type`, `nullable`, `format`, `enum`, `pattern`, lengths,
//!    bounds, `multipleOf`, item and property counts, `uniqueItems`, `required`,
//!    `additionalProperties`, `allOf`/`anyOf`/`oneOf`/`not`, `x-kubernetes-int-or-string`,
//!    `x-kubernetes-list-type` `set`/`map` uniqueness and embedded resources' `apiVersion`/`kind`
//!    ([`ViolationKind::Invalid`]: the server rejects the object).
//!
//! `x-kubernetes-validations` (CEL rules) are not evaluated here; migrations evaluate them on
//! the stored form that [`Validator::validate_stored`] returns (in the CLI crate, `migrate::cel`).
//! Neither are the ObjectMeta rules of `metadata` (name and label syntax), which the server
//! checks apart from the schema.
//!
//! Patterns are Go regular expressions (RE2); they are translated for the `regex` crate so that
//! `\d`, `\w`, `\s`, `\b` stay ASCII like in Go. Values and schemas nested deeper than
//! [`MAX_DEPTH`] levels are reported, not followed, so no input can exhaust the stack.

mod format;
mod json;
pub mod names;
pub mod pattern;
mod schema;
pub mod structural;
mod walk;

pub use format::is_request_uri;

use schema::{Node, PatternCache};
use serde_json::Value;
use walk::Walker;
pub use walk::{OBJECT_META_FIELDS, is_dns1035_label};

/// How deep values and schemas are followed; deeper levels give one violation.
pub const MAX_DEPTH: usize = 1000;

/// Recursion deeper than this continues on a thread of its own with [`DEEP_STACK`] bytes of
/// stack, so that [`MAX_DEPTH`] levels fit whatever thread the caller runs on (2 MiB for
/// spawned threads; an unoptimized build uses several KiB per level). Real schemas and objects
/// are far shallower and never pay for it.
const GROW_AT: usize = 64;

/// Stack for the levels below [`GROW_AT`]: reserved address space, used only as deep as the
/// input goes.
const DEEP_STACK: usize = 64 << 20;

/// Runs `f` on a scoped thread with a [`DEEP_STACK`] stack; `None` when no thread can be
/// started (the caller then reports the input as too deep). A panic in `f` propagates.
pub(crate) fn on_deep_stack<R: Send>(f: impl FnOnce() -> R + Send) -> Option<R> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("nexus-deep-schema".to_string())
            .stack_size(DEEP_STACK)
            .spawn_scoped(scope, f)
            .ok()?;
        match handle.join() {
            Ok(r) => Some(r),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Whether recursion at `depth` should move to a deep stack (exactly once per path).
pub(crate) fn needs_deep_stack(depth: usize) -> bool {
    depth == GROW_AT
}

/// What a violation means for the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViolationKind {
    /// The API server rejects the object.
    Invalid,
    /// The API server accepts the object but drops this part of it (an unknown field, or a
    /// `null` where the field is not nullable).
    Pruned,
}

/// One reason a value does not validate (or loses data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub kind: ViolationKind,
    /// Path inside the value: `.spec.ports[0].name`, `.metadata.labels["app.kubernetes.io/name"]`;
    /// `.` for the value itself.
    pub path: String,
    pub message: String,
    /// The API server's own form of this violation where it has a fixed one (the fake API
    /// server answers with it); `None` for the rest.
    pub cause: Option<ServerCause>,
}

/// What the API server's `field.Error` says for the most common violations.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServerCause {
    /// `Required value`.
    Required,
    /// `Invalid value: "<got>": <field> in body must be of type <expected>: "<got>"`.
    WrongType { got: &'static str, expected: String },
    /// `Unsupported value: <value>: supported values: "a", "b"`: the value as JSON, the
    /// supported values as Go prints them (`%v`: strings bare).
    NotSupported {
        value: String,
        supported: Vec<String>,
    },
    /// The CEL rules were skipped because of one of the errors above (the server's
    /// `<nil>: Invalid value: null: some validation rules were not checked ...`).
    RulesNotChecked,
}

impl ServerCause {
    /// Whether the server skips the CEL rules of an object with this error.
    pub fn blocks_rules(&self) -> bool {
        matches!(
            self,
            ServerCause::Required
                | ServerCause::WrongType { .. }
                | ServerCause::NotSupported { .. }
        )
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A schema compiled once (formats resolved, each distinct `pattern` compiled once) to validate
/// many values. Cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Validator {
    root: Node,
}

impl Validator {
    /// Compiles `schema` (a version's `openAPIV3Schema`, or any node of it). Never fails: a
    /// keyword with the wrong JSON type is ignored, an invalid `pattern` is reported on every
    /// string it should check.
    pub fn new(schema: &Value) -> Validator {
        let mut cache = PatternCache::new();
        Validator {
            root: Node::compile(schema, &mut cache, 0),
        }
    }

    /// Validates a whole custom resource the way the API server handles a create: prune,
    /// drop non-nullable nulls, fill defaults, then validate. `apiVersion`, `kind` and
    /// `metadata` at the root are left to the request machinery.
    pub fn validate(&self, object: &Value) -> Vec<Violation> {
        let mut walker = Walker::new();
        let normalized = walker.normalize(object, Some(&self.root), true, true, true);
        walker.check(normalized.as_ref().unwrap_or(object), &self.root, true);
        walker.out
    }

    /// [`Validator::validate`], and the object as the API server would store it (pruned, nulls
    /// of non-nullable fields dropped, defaults filled; `None` when that changes nothing). CEL
    /// rules see this form on the server, so migrations evaluate them on it.
    pub fn validate_stored(&self, object: &Value) -> (Vec<Violation>, Option<Value>) {
        let mut walker = Walker::new();
        let normalized = walker.normalize(object, Some(&self.root), true, true, true);
        walker.check(normalized.as_ref().unwrap_or(object), &self.root, true);
        (walker.out, normalized)
    }

    /// The object as the API server stores and serves it (unknown fields pruned, nulls of
    /// non-nullable fields dropped, defaults filled), without validating it; `None` when that
    /// changes nothing. The fake API server prunes with it on write and on read.
    pub fn stored_form(&self, object: &Value) -> Option<Value> {
        Walker::new().normalize(object, Some(&self.root), true, true, false)
    }

    /// Validates a value exactly as written: nothing is dropped or defaulted first, and the
    /// root is not a resource. Unknown fields are still reported as [`ViolationKind::Pruned`].
    /// This is how the API server checks a schema's `default` against its own node.
    pub fn validate_as_written(&self, value: &Value) -> Vec<Violation> {
        self.as_written(value, false)
    }

    /// Validates a schema's `default` against its node as the API server does (as written,
    /// and through the structural schema: a `type` beside `x-kubernetes-int-or-string`
    /// decides).
    pub fn validate_default(&self, value: &Value) -> Vec<Violation> {
        self.as_written(value, true)
    }

    /// `default`: as a default (`validate_default`), else as an object written by a client.
    fn as_written(&self, value: &Value, default: bool) -> Vec<Violation> {
        let mut walker = Walker::new();
        walker.type_decides_int_or_string = default;
        walker.skip_list_uniqueness = default;
        walker.normalize(value, Some(&self.root), self.root.embedded, false, true);
        walker.check(value, &self.root, false);
        walker.out
    }
}

/// Validates a custom resource `value` against `schema`: [`Validator::validate`] for one value.
/// Compile a [`Validator`] once to check many.
pub fn validate(value: &Value, schema: &Value) -> Vec<Violation> {
    Validator::new(schema).validate(value)
}

#[cfg(test)]
mod tests;
