//! `metav1.Status` failures, worded as the real API server words them, so that clients (kubectl,
//! kube-rs, nexus) see the same messages, reasons and codes against the fake as against a cluster.

use serde_json::{Value, json};

/// A failed request: the HTTP code and the `Status` body the API server would send.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    /// `details` of the Status (name, group, kind, causes), `Null` when there are none.
    pub details: Value,
}

/// The group and resource a request is about, as the API server names them in messages
/// (`customresourcedefinitions.apiextensions.k8s.io`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupResource {
    pub group: String,
    pub resource: String,
}

impl GroupResource {
    pub fn new(group: &str, resource: &str) -> GroupResource {
        GroupResource {
            group: group.to_string(),
            resource: resource.to_string(),
        }
    }

    /// `resource.group`, or just `resource` for the core group.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }
}

/// One field error of an `Invalid` (422) answer, in the form of `k8s.io/apimachinery`'s
/// `field.Error`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Dotted field path with indices: `spec.versions[0].name`.
    pub field: String,
    pub kind: FieldErrorKind,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldErrorKind {
    Required,
    Invalid(Value),
    Unsupported {
        value: Value,
        supported: Vec<String>,
    },
    Forbidden,
    TooLong,
}

impl FieldError {
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Required,
            detail: detail.into(),
        }
    }

    pub fn invalid(
        field: impl Into<String>,
        value: Value,
        detail: impl Into<String>,
    ) -> FieldError {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Invalid(value),
            detail: detail.into(),
        }
    }

    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Forbidden,
            detail: detail.into(),
        }
    }

    /// `Too long: may not be more than N bytes` (the value is never shown).
    pub fn too_long(field: impl Into<String>, max_bytes: usize) -> FieldError {
        let unit = if max_bytes == 1 { "byte" } else { "bytes" };
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::TooLong,
            detail: format!("may not be more than {max_bytes} {unit}"),
        }
    }

    pub fn unsupported(field: impl Into<String>, value: Value, supported: &[&str]) -> FieldError {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Unsupported {
                value,
                supported: supported.iter().map(|s| s.to_string()).collect(),
            },
            detail: String::new(),
        }
    }

    fn reason(&self) -> &'static str {
        match self.kind {
            FieldErrorKind::Required => "FieldValueRequired",
            FieldErrorKind::Invalid(_) => "FieldValueInvalid",
            FieldErrorKind::Unsupported { .. } => "FieldValueNotSupported",
            FieldErrorKind::Forbidden => "FieldValueForbidden",
            FieldErrorKind::TooLong => "FieldValueTooLong",
        }
    }

    /// The message without the field path: `Invalid value: "x": must be ...`.
    fn body(&self) -> String {
        match &self.kind {
            FieldErrorKind::Required if self.detail.is_empty() => "Required value".to_string(),
            FieldErrorKind::Required => format!("Required value: {}", self.detail),
            FieldErrorKind::Forbidden => format!("Forbidden: {}", self.detail),
            FieldErrorKind::TooLong => format!("Too long: {}", self.detail),
            FieldErrorKind::Invalid(value) => format!("Invalid value: {value}: {}", self.detail),
            FieldErrorKind::Unsupported { value, supported } => {
                let quoted: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
                format!(
                    "Unsupported value: {value}: supported values: {}",
                    quoted.join(", ")
                )
            }
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: Value::Null,
        }
    }

    fn with_details(mut self, gr: &GroupResource, name: Option<&str>) -> ApiError {
        let mut details = json!({ "group": gr.group, "kind": gr.resource });
        if let Some(name) = name {
            details["name"] = json!(name);
        }
        self.details = details;
        self
    }

    /// 404: `customresourcedefinitions.apiextensions.k8s.io "x" not found`.
    pub fn not_found(gr: &GroupResource, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} {name:?} not found", gr.qualified()),
        )
        .with_details(gr, Some(name))
    }

    /// 404 for a path that names no resource the server serves.
    pub fn no_such_resource() -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    /// 409: `... "x" already exists`.
    pub fn already_exists(gr: &GroupResource, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} {name:?} already exists", gr.qualified()),
        )
        .with_details(gr, Some(name))
    }

    /// 409: an optimistic-concurrency failure (`resourceVersion` or delete precondition).
    pub fn conflict(gr: &GroupResource, name: &str, why: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} {name:?}: {why}",
                gr.qualified()
            ),
        )
        .with_details(gr, Some(name))
    }

    /// 409: the `resourceVersion` the client sent is not the stored one.
    pub fn modified(gr: &GroupResource, name: &str) -> ApiError {
        ApiError::conflict(
            gr,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 409: server-side apply found fields owned by other managers (`force` not set).
    /// `conflicts` holds (manager, field path) pairs.
    pub fn apply_conflicts(
        gr: &GroupResource,
        name: &str,
        api_version: &str,
        conflicts: &[(String, String)],
    ) -> ApiError {
        // The apiserver's wording: one conflict inline, several grouped by manager.
        let message = match conflicts {
            [(manager, field)] => format!(
                "Apply failed with 1 conflict: conflict with {manager:?} using {api_version}: {field}"
            ),
            _ => {
                let managers: std::collections::BTreeSet<&String> =
                    conflicts.iter().map(|(m, _)| m).collect();
                let mut lines = Vec::new();
                for manager in managers {
                    lines.push(format!("conflicts with {manager:?} using {api_version}:"));
                    for (_, field) in conflicts.iter().filter(|(m, _)| m == manager) {
                        lines.push(format!("- {field}"));
                    }
                }
                format!(
                    "Apply failed with {} conflicts: {}",
                    conflicts.len(),
                    lines.join("\n")
                )
            }
        };
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|(manager, field)| {
                json!({
                    "reason": "FieldManagerConflict",
                    "message": format!("conflict with {manager:?} using {api_version}"),
                    "field": field,
                })
            })
            .collect();
        let mut err = ApiError::new(409, "Conflict", message).with_details(gr, Some(name));
        err.details["causes"] = Value::Array(causes);
        err
    }

    /// 422: `Kind.group "name" is invalid: field: Invalid value: ...`.
    pub fn invalid(kind: &str, group: &str, name: &str, errors: &[FieldError]) -> ApiError {
        let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let joined = match listed.as_slice() {
            [one] => one.clone(),
            _ => format!("[{}]", listed.join(", ")),
        };
        let qualified = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        let causes: Vec<Value> = errors
            .iter()
            .map(|e| json!({ "reason": e.reason(), "message": e.body(), "field": e.field }))
            .collect();
        let mut err = ApiError::new(
            422,
            "Invalid",
            format!("{qualified} {name:?} is invalid: {joined}"),
        );
        err.details = json!({ "name": name, "group": group, "kind": kind, "causes": causes });
        err
    }

    /// 400 with the message as given.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    /// 401: the real server says exactly `Unauthorized`.
    pub fn unauthorized() -> ApiError {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    /// 403 in the RBAC authorizer's words.
    pub fn forbidden(
        gr: &GroupResource,
        name: Option<&str>,
        user: &str,
        verb: &str,
        namespace: Option<&str>,
    ) -> ApiError {
        let subject = match name {
            Some(name) => format!("{} {name:?}", gr.qualified()),
            None => gr.qualified(),
        };
        let scope = match namespace {
            Some(ns) => format!("in the namespace {ns:?}"),
            None => "at the cluster scope".to_string(),
        };
        ApiError::new(
            403,
            "Forbidden",
            format!(
                "{subject} is forbidden: User {user:?} cannot {verb} resource {:?} in API group {:?} {scope}",
                gr.resource, gr.group
            ),
        )
        .with_details(gr, name)
    }

    /// 405 for a verb the path does not support.
    pub fn method_not_supported(gr: &GroupResource, verb: &str) -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            format!(
                "{verb} is not supported on resources of kind {:?}",
                gr.qualified()
            ),
        )
        .with_details(gr, None)
    }

    /// 415 for a patch content type the server does not accept.
    pub fn unsupported_media_type(content_type: &str, accepted: &[&str]) -> ApiError {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format ({content_type:?}) - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
    }

    /// 500 (failure injection, or a body the server cannot encode).
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "InternalError", message)
    }

    /// 410: a watch from a resourceVersion the server no longer remembers.
    pub fn expired(rv: &str) -> ApiError {
        ApiError::new(410, "Expired", format!("too old resource version: {rv}"))
    }

    /// An injected failure with an arbitrary code.
    pub fn injected(code: u16, message: impl Into<String>) -> ApiError {
        let reason = match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            422 => "Invalid",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        let mut err = ApiError::new(code, reason, message);
        // As the API server's throttling answers: the client may retry after a second
        // (`Retry-After`, from `details.retryAfterSeconds`).
        if code == 429 || code == 503 {
            err.details = json!({ "retryAfterSeconds": 1 });
        }
        err
    }

    /// Seconds the client should wait before retrying (`Retry-After`), if the answer says.
    pub fn retry_after(&self) -> Option<u64> {
        self.details
            .get("retryAfterSeconds")
            .and_then(Value::as_u64)
    }

    /// The `metav1.Status` body.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !self.details.is_null() {
            status["details"] = self.details.clone();
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crds() -> GroupResource {
        GroupResource::new("apiextensions.k8s.io", "customresourcedefinitions")
    }

    #[test]
    fn messages_match_the_api_server() {
        assert_eq!(
            ApiError::not_found(&crds(), "foos.example.com").message,
            r#"customresourcedefinitions.apiextensions.k8s.io "foos.example.com" not found"#
        );
        assert_eq!(
            ApiError::forbidden(&crds(), Some("foos.example.com"), "dev", "patch", None).message,
            r#"customresourcedefinitions.apiextensions.k8s.io "foos.example.com" is forbidden: User "dev" cannot patch resource "customresourcedefinitions" in API group "apiextensions.k8s.io" at the cluster scope"#
        );
        assert_eq!(
            ApiError::forbidden(
                &GroupResource::new("example.com", "foos"),
                None,
                "dev",
                "list",
                Some("ns1")
            )
            .message,
            r#"foos.example.com is forbidden: User "dev" cannot list resource "foos" in API group "example.com" in the namespace "ns1""#
        );
        assert_eq!(
            ApiError::modified(&crds(), "a.b.c").message,
            r#"Operation cannot be fulfilled on customresourcedefinitions.apiextensions.k8s.io "a.b.c": the object has been modified; please apply your changes to the latest version and try again"#
        );
    }

    #[test]
    fn invalid_lists_one_or_many_errors() {
        let one = FieldError::invalid(
            "metadata.name",
            json!("x"),
            r#"must be spec.names.plural+"."+spec.group"#,
        );
        let err = ApiError::invalid(
            "CustomResourceDefinition",
            "apiextensions.k8s.io",
            "x",
            std::slice::from_ref(&one),
        );
        assert_eq!(
            err.message,
            r#"CustomResourceDefinition.apiextensions.k8s.io "x" is invalid: metadata.name: Invalid value: "x": must be spec.names.plural+"."+spec.group"#
        );
        assert_eq!(err.details["causes"][0]["reason"], "FieldValueInvalid");
        let two =
            FieldError::unsupported("spec.scope", json!("Global"), &["Cluster", "Namespaced"]);
        let err = ApiError::invalid(
            "CustomResourceDefinition",
            "apiextensions.k8s.io",
            "x",
            &[one, two],
        );
        assert!(err.message.ends_with(
            r#"is invalid: [metadata.name: Invalid value: "x": must be spec.names.plural+"."+spec.group, spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"]"#
        ));
    }

    #[test]
    fn apply_conflict_counts() {
        let err = ApiError::apply_conflicts(
            &crds(),
            "a.b.c",
            "apiextensions.k8s.io/v1",
            &[("helm".to_string(), ".spec.scope".to_string())],
        );
        assert_eq!(
            err.message,
            r#"Apply failed with 1 conflict: conflict with "helm" using apiextensions.k8s.io/v1: .spec.scope"#
        );
        assert_eq!(err.code, 409);
        assert_eq!(
            err.to_status()["details"]["causes"][0]["field"],
            ".spec.scope"
        );
    }
}
