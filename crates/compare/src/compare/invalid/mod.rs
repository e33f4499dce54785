//! `crd-invalid`: a new CRD that the API server would reject, on create or as an update of the
//! CRD in the cluster.
//!
//! The checks follow apiextensions-apiserver's `ValidateCustomResourceDefinition` (and
//! `…Update`) for the v1 API: strict decoding ([`strict`]), metadata labels and annotations,
//! names, versions (exactly one storage version, unique names, a schema for each), per-version
//! schemas (see [`crate::validate::structural`]: structural schemas, list and map types,
//! defaults valid against their own schema, a default at the root), CEL rules ([`cel`]: parse,
//! type-check, `fieldPath`, `optionalOldSelf`, `oldSelf` below lists; [`cost`]: the estimated
//! cost per rule and per schema; [`defaults`]: defaults that fail their own rules), subresources, printer
//! columns, selectable fields, conversion and the API-approval annotation of `*.k8s.io` groups.
//! On update the server's ratcheting is kept: an unchanged approval state and
//! `preserveUnknownFields: true` already set pass; a `set` of non-atomic items, a default
//! with undefined fields, nullable `set`/`map` items or loose list-map keys, and a `type` that
//! is not an OpenAPI type pass when any schema of the old CRD already had one
//! (`requireAtomicSetType`, `requirePrunedDefaults`, `requireMapListKeysMapSetValidation`,
//! `requireValidPropertyType`); unknown ConversionReview versions pass when the old webhook
//! listed only such versions; more than 8 selectable fields pass when the old CRD had the same
//! list; every stored version must stay listed. Old CRDs that no v1 create accepts (created
//! through v1beta1) ratchet two more: with a version without a schema, only served versions
//! need one, and none while `spec.preserveUnknownFields` is true (`requireOpenAPISchema`); with
//! a schema that is not structural, the structural rules are dropped while the new CRD keeps
//! `spec.preserveUnknownFields: true` and has no default and no `x-kubernetes-*` extension
//! (`requireStructuralSchema`). `spec.preserveUnknownFields: true` itself forbids defaults and
//! a conversion webhook.
//!
//! An established old CRD (its `Established` condition) keeps its scope and kind, and a new
//! conversion webhook `caBundle` must hold a certificate client-go can load unless the old
//! bundle already did not (`ca_bundle`, `allowInvalidCABundle`); on create and before the
//! CRD is established the server does not look at the bundle, only decodes its base64.
//!
//! `preexistingExpressions` (expressions of the old CRD compiled in the stored-expression
//! environment) is not modelled because it changes nothing in the server version followed:
//! both environments hold the same libraries there (ARCHITECTURE.md).

mod ca_bundle;
mod cel;
mod cost;
mod defaults;
mod ec_point;
mod parsed;
mod strict;

use crate::compare::path;
use crate::report::Change;
use crate::rules::RuleId;
use crate::validate::names::{self, MetaProblem};
use crate::validate::structural::{
    OldSchemas, SchemaContext, check_schema, has_defaults, structural_schema_required,
};
use crate::validate::{is_dns1035_label, is_request_uri};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Checks the new CRD on its own; one [`RuleId::CrdInvalid`] change per problem.
pub fn check_invalid(name: &str, new: &Value) -> Vec<Change> {
    let mut f = Findings {
        crd: name,
        old: None,
        old_schemas: None,
        many_selectable_fields: Vec::new(),
        old_lacks_schema: false,
        preserve_unknown_fields: false,
        structural_not_required: false,
        out: Vec::new(),
        seen: HashSet::new(),
    };
    check_crd(&mut f, new);
    f.out
}

/// Checks the new CRD as an update of `old` (the CRD in the cluster): the API server relaxes
/// some checks for what the old CRD already had (ratcheting).
pub fn check_invalid_update(name: &str, old: &Value, new: &Value) -> Vec<Change> {
    let mut f = Findings {
        crd: name,
        old: Some(old),
        old_schemas: Some(OldSchemas::new(version_schemas(old))),
        many_selectable_fields: unchanged_many_selectable_fields(old, new),
        old_lacks_schema: lacks_a_schema(old),
        preserve_unknown_fields: false,
        structural_not_required: false,
        out: Vec::new(),
        seen: HashSet::new(),
    };
    check_crd(&mut f, new);
    check_stored_versions(&mut f, old, new);
    check_immutable_names(&mut f, old, new);
    f.out
}

/// Once the old CRD is established (its `Established` condition is `True`: a CRD read from a
/// cluster says so, a file usually has no status), its scope and kind are fixed: objects are
/// stored under them (`requireImmutableNames`).
fn check_immutable_names(f: &mut Findings<'_>, old: &Value, new: &Value) {
    if !is_established(old) {
        return;
    }
    for (pointer, field) in [
        ("/spec/scope", "spec.scope"),
        ("/spec/names/kind", "spec.names.kind"),
    ] {
        let text = |crd: &Value| {
            crd.pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let value = text(new).unwrap_or_default();
        if value != text(old).unwrap_or_default() {
            f.crd(
                pointer,
                format!(
                    "{field}: Invalid value: {value:?}: field is immutable: the CRD is \
                     established and its objects are stored under it; keep it, or create a new \
                     CRD and migrate the objects"
                ),
                Value::from(value),
            );
        }
    }
}

/// Whether the CRD's `Established` condition is `True` (a CRD read from a cluster says so, a
/// file usually has no status).
fn is_established(crd: &Value) -> bool {
    crd.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| get_str(c, "type") == Some("Established") && get_str(c, "status") == Some("True"))
}

/// Collects changes, each problem once.
struct Findings<'a> {
    crd: &'a str,
    /// The CRD in the cluster, on update: what it already had is ratcheted as the server does.
    old: Option<&'a Value>,
    /// The old CRD's schemas, for the ratchets of the structural rules (asked lazily).
    old_schemas: Option<OldSchemas<'a>>,
    /// On update, the versions whose more than 8 selectable fields the old CRD already had.
    many_selectable_fields: Vec<String>,
    /// On update, a version of the old CRD had no schema: the server then requires one only
    /// of served versions, and of none while `spec.preserveUnknownFields` is true
    /// (`requireOpenAPISchema` ratchets).
    old_lacks_schema: bool,
    /// The new CRD sets `spec.preserveUnknownFields: true`.
    preserve_unknown_fields: bool,
    /// On update, the server does not require structural schemas (`requireStructuralSchema`
    /// ratchets; see [`structural_schema_required`]).
    structural_not_required: bool,
    out: Vec<Change>,
    seen: HashSet<(Option<String>, String, String)>,
}

impl Findings<'_> {
    fn add(
        &mut self,
        version: Option<&str>,
        path: String,
        field: Option<String>,
        message: String,
        value: Value,
    ) {
        let key = (version.map(str::to_string), path.clone(), message.clone());
        if !self.seen.insert(key) {
            return;
        }
        let mut change = Change::new(RuleId::CrdInvalid, self.crd, version, path)
            .message(message)
            .values(Value::Null, value);
        if let Some(field) = field {
            change = change.field(field);
        }
        self.out.push(change);
    }

    /// A problem with the CRD as a whole.
    fn crd(&mut self, path: &str, message: String, value: Value) {
        self.add(None, path.to_string(), None, message, value);
    }
}

/// The value that names a list entry in a CRD path (`name=<it>`): the key's string, the raw
/// JSON of a value that is not a string, empty when the key is missing. Paths never fall back to
/// the entry's index: the message says which entry is meant.
fn entry_name(entry: &Value, key: &str) -> String {
    match get(entry, key) {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    nexus_schema::lookup::member(v, key).filter(|v| !v.is_null())
}

fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, key).and_then(Value::as_str)
}

/// RFC 1123 subdomain: dot-separated lowercase labels, at most 253 characters.
fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b.first().is_some_and(u8::is_ascii_alphanumeric)
                && b.last().is_some_and(u8::is_ascii_alphanumeric)
        })
}

const LABEL_RULE: &str =
    "lowercase letters, digits and '-', starting with a letter, at most 63 characters";

fn check_crd(f: &mut Findings<'_>, crd: &Value) {
    match get_str(crd, "apiVersion") {
        Some("apiextensions.k8s.io/v1") => {}
        Some("apiextensions.k8s.io/v1beta1") => {
            f.crd(
                "/apiVersion",
                "apiextensions.k8s.io/v1beta1 is no longer served (removed in Kubernetes 1.22): \
                 convert the CRD to apiextensions.k8s.io/v1"
                    .to_string(),
                Value::from("apiextensions.k8s.io/v1beta1"),
            );
            return;
        }
        other => {
            f.crd(
                "/apiVersion",
                format!(
                    "apiVersion must be apiextensions.k8s.io/v1, not {}",
                    other.map_or_else(|| "missing".to_string(), |v| format!("{v:?}"))
                ),
                other.map_or(Value::Null, Value::from),
            );
            return;
        }
    }
    let Some(spec) = get(crd, "spec").filter(|s| s.is_object()) else {
        f.crd(
            "/spec",
            "spec is missing or not an object".to_string(),
            Value::Null,
        );
        return;
    };
    for unknown in strict::unknown_fields(crd) {
        f.crd(
            &unknown.path,
            format!(
                "strict decoding error: unknown field \"{}\": the API server (and kubectl, \
                 which validates fields strictly) refuses it; remove it or fix its spelling",
                unknown.field
            ),
            Value::Null,
        );
    }
    check_metadata(f, crd);
    let group = check_group(f, spec);
    let plural = check_names(f, spec);
    check_name(f, crd, plural, group);
    if let Some(group) = group {
        check_api_approval(f, crd, group);
    }
    match get_str(spec, "scope") {
        Some("Namespaced" | "Cluster") => {}
        other => f.crd(
            "/spec/scope",
            format!(
                "spec.scope must be Namespaced or Cluster, not {}",
                other.map_or_else(|| "missing".to_string(), |s| format!("{s:?}"))
            ),
            other.map_or(Value::Null, Value::from),
        ),
    }
    let old_preserved = f
        .old
        .and_then(|o| o.pointer("/spec/preserveUnknownFields"))
        .and_then(Value::as_bool)
        == Some(true);
    if get(spec, "preserveUnknownFields").and_then(Value::as_bool) == Some(true) && !old_preserved {
        f.crd(
            "/spec/preserveUnknownFields",
            "spec.preserveUnknownFields: true is not allowed in apiextensions.k8s.io/v1: remove \
             it and set x-kubernetes-preserve-unknown-fields: true in the version schemas where \
             unknown fields must be kept"
                .to_string(),
            Value::Bool(true),
        );
    }
    f.preserve_unknown_fields = preserve_unknown_fields(crd);
    if f.preserve_unknown_fields && old_preserved {
        // Refused as such otherwise: one finding for the one problem.
        check_preserved_unknown_fields(f, crd, spec);
    }
    let preserve = f.preserve_unknown_fields;
    f.structural_not_required = f
        .old_schemas
        .as_ref()
        .is_some_and(|old| !structural_schema_required(old, preserve, version_schemas(crd)));
    check_versions(f, spec);
    check_conversion(f, spec);
}

fn preserve_unknown_fields(crd: &Value) -> bool {
    crd.pointer("/spec/preserveUnknownFields")
        .and_then(Value::as_bool)
        == Some(true)
}

/// With `spec.preserveUnknownFields: true`, kept on update from an old CRD that had it, the
/// server allows no defaults and no conversion webhook: both need pruned objects. (On create
/// the server lists these too, beside refusing `true` itself.)
fn check_preserved_unknown_fields(f: &mut Findings<'_>, crd: &Value, spec: &Value) {
    if version_schemas(crd).any(has_defaults) {
        f.crd(
            "/spec/preserveUnknownFields",
            "spec.preserveUnknownFields: Invalid value: true: must be false in order to use \
             defaults in the schema; set it to false (and x-kubernetes-preserve-unknown-fields: \
             true where unknown fields must be kept) or remove the defaults"
                .to_string(),
            Value::Bool(true),
        );
    }
    let strategy = get(spec, "conversion")
        .and_then(|c| get_str(c, "strategy"))
        .unwrap_or("None");
    if strategy != "None" {
        f.crd(
            "/spec/conversion/strategy",
            format!(
                "spec.conversion.strategy: Invalid value: {strategy:?}: must be None if \
                 spec.preserveUnknownFields is true; set preserveUnknownFields to false first"
            ),
            Value::from(strategy),
        );
    }
}

/// Whether a version of the CRD has no `schema.openAPIV3Schema`
/// (`!allVersionsSpecifyOpenAPISchema`).
fn lacks_a_schema(crd: &Value) -> bool {
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|v| {
            v.pointer("/schema/openAPIV3Schema")
                .is_none_or(Value::is_null)
        })
}

fn check_group<'a>(f: &mut Findings<'_>, spec: &'a Value) -> Option<&'a str> {
    let Some(group) = get_str(spec, "group").filter(|g| !g.is_empty()) else {
        f.crd(
            "/spec/group",
            "spec.group is required: set the API group, e.g. example.com".to_string(),
            Value::Null,
        );
        return None;
    };
    if !is_dns1123_subdomain(group) {
        f.crd(
            "/spec/group",
            format!(
                "spec.group {group:?} is not a DNS subdomain: use lowercase letters, digits, '-' \
                 and '.'"
            ),
            Value::from(group),
        );
    } else if !group.contains('.') {
        f.crd(
            "/spec/group",
            format!("spec.group {group:?} must be a domain with at least one dot"),
            Value::from(group),
        );
    }
    Some(group)
}

/// `spec.names`; returns the plural for the name check.
fn check_names<'a>(f: &mut Findings<'_>, spec: &'a Value) -> Option<&'a str> {
    let names = get(spec, "names").unwrap_or(&Value::Null);
    let plural = get_str(names, "plural").filter(|p| !p.is_empty());
    let kind = get_str(names, "kind").filter(|k| !k.is_empty());
    if plural.is_none() {
        f.crd(
            "/spec/names/plural",
            "spec.names.plural is required".to_string(),
            Value::Null,
        );
    }
    if kind.is_none() {
        f.crd(
            "/spec/names/kind",
            "spec.names.kind is required".to_string(),
            Value::Null,
        );
    }
    // singular and listKind are defaulted from kind by the API server.
    for (key, lowercase) in [
        ("plural", false),
        ("singular", false),
        ("kind", true),
        ("listKind", true),
    ] {
        if let Some(v) = get_str(names, key).filter(|v| !v.is_empty()) {
            let checked = if lowercase {
                v.to_ascii_lowercase()
            } else {
                v.to_string()
            };
            if !is_dns1035_label(&checked) {
                let case = if lowercase {
                    " (mixed case allowed)"
                } else {
                    ""
                };
                f.crd(
                    &format!("/spec/names/{key}"),
                    format!("spec.names.{key} {v:?} is not valid: use {LABEL_RULE}{case}"),
                    Value::from(v),
                );
            }
        }
    }
    if let (Some(kind), Some(list_kind)) = (kind, get_str(names, "listKind"))
        && kind == list_kind
    {
        f.crd(
            "/spec/names/listKind",
            format!("spec.names.listKind must differ from kind ({kind:?}): use {kind}List"),
            Value::from(list_kind),
        );
    }
    for key in ["shortNames", "categories"] {
        for entry in get(names, key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let valid = entry.as_str().is_some_and(is_dns1035_label);
            if !valid {
                f.crd(
                    &format!("/spec/names/{key}"),
                    format!("spec.names.{key} entry {entry} is not valid: use {LABEL_RULE}"),
                    entry.clone(),
                );
            }
        }
    }
    plural
}

/// `metadata.name` must be `<plural>.<group>`.
fn check_name(f: &mut Findings<'_>, crd: &Value, plural: Option<&str>, group: Option<&str>) {
    let name = get(crd, "metadata").and_then(|m| get_str(m, "name"));
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        f.crd(
            "/metadata/name",
            "metadata.name is required".to_string(),
            Value::Null,
        );
        return;
    };
    if let (Some(plural), Some(group)) = (plural, group) {
        let expected = format!("{plural}.{group}");
        if name != expected {
            f.crd(
                "/metadata/name",
                format!(
                    "metadata.name must be spec.names.plural + \".\" + spec.group ({expected:?}), \
                     not {name:?}: rename the CRD or fix the plural or group"
                ),
                Value::from(name),
            );
        }
    }
}

/// CRDs in `*.k8s.io` and `*.kubernetes.io` groups need the `api-approved.kubernetes.io`
/// annotation (a URL, or a reason starting with `unapproved`).
fn check_api_approval(f: &mut Findings<'_>, crd: &Value, group: &str) {
    let protected = ["k8s.io", "kubernetes.io"]
        .iter()
        .any(|d| group == *d || group.ends_with(&format!(".{d}")));
    if !protected {
        return;
    }
    let annotation = approval_annotation(crd);
    let state = approval_state(annotation);
    // The server never fails an update that leaves the approval state as it was.
    if f.old
        .is_some_and(|old| approval_state(approval_annotation(old)) == state)
    {
        return;
    }
    if matches!(state, Approval::Approved | Approval::Bypassed) {
        return;
    }
    let annotation = annotation.unwrap_or("");
    let path = path::child("/metadata/annotations", APPROVAL_KEY);
    let message = if annotation.is_empty() {
        format!(
            "group {group} is protected: the CRD needs the annotation {APPROVAL_KEY} with the URL of the \
             approving pull request, or a value starting with \"unapproved\""
        )
    } else {
        format!(
            "annotation {APPROVAL_KEY} must be a URL (the approving pull request) or start with \
             \"unapproved\", not {annotation:?}"
        )
    };
    f.crd(&path, message, Value::from(annotation));
}

const APPROVAL_KEY: &str = "api-approved.kubernetes.io";

/// `apihelpers.APIApprovalState`.
#[derive(Debug, PartialEq, Eq)]
enum Approval {
    Missing,
    Invalid,
    Approved,
    Bypassed,
}

fn approval_annotation(crd: &Value) -> Option<&str> {
    get(crd, "metadata")
        .and_then(|m| get(m, "annotations"))
        .and_then(|a| get_str(a, APPROVAL_KEY))
}

fn approval_state(annotation: Option<&str>) -> Approval {
    let Some(annotation) = annotation else {
        return Approval::Missing;
    };
    let approved_url = is_request_uri(annotation)
        && annotation.split_once("://").is_some_and(|(scheme, rest)| {
            !scheme.is_empty() && !rest.starts_with('/') && !rest.is_empty()
        });
    if annotation.starts_with("unapproved") {
        Approval::Bypassed
    } else if approved_url {
        Approval::Approved
    } else {
        Approval::Invalid
    }
}

/// `ValidateObjectMeta`'s label and annotation checks, with the server's words.
fn check_metadata(f: &mut Findings<'_>, crd: &Value) {
    let Some(meta) = get(crd, "metadata") else {
        return;
    };
    for problem in names::labels_and_annotations(meta) {
        let (path, value) = match &problem {
            MetaProblem::Invalid { field, value, .. } => (
                path::child(
                    if *field == "metadata.labels" {
                        "/metadata/labels"
                    } else {
                        "/metadata/annotations"
                    },
                    value,
                ),
                Value::from(value.as_str()),
            ),
            MetaProblem::AnnotationsTooLong => ("/metadata/annotations".to_string(), Value::Null),
        };
        f.crd(
            &path,
            format!("the API server refuses the CRD's metadata: {problem}"),
            value,
        );
    }
}

/// On update: every version in the old `status.storedVersions`, and the new storage version,
/// must stay in `spec.versions` (`ValidateCustomResourceDefinitionStoredVersions`).
fn check_stored_versions(f: &mut Findings<'_>, old: &Value, new: &Value) {
    let mut stored: Vec<&str> = old
        .pointer("/status/storedVersions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    // A CRD without storedVersions (a file, not read from a cluster) has stored in its storage
    // version: the server's defaulting fills it in so.
    if stored.is_empty() {
        stored.extend(
            old.pointer("/spec/versions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|v| get(v, "storage").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| get_str(v, "name")),
        );
    }
    let versions: Vec<&Value> = new
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    for v in &versions {
        if get(v, "storage").and_then(Value::as_bool) == Some(true)
            && let Some(name) = get_str(v, "name")
            && !stored.contains(&name)
        {
            stored.push(name);
        }
    }
    for (i, s) in stored.iter().enumerate() {
        if !versions.iter().any(|v| get_str(v, "name") == Some(s)) {
            f.crd(
                "/spec/versions",
                format!(
                    "status.storedVersions[{i}]: Invalid value: {s:?}: missing from \
                     spec.versions; {s} was previously a storage version, and must remain in \
                     spec.versions until a storage migration ensures no data remains persisted \
                     in {s} and removes {s} from status.storedVersions"
                ),
                Value::from(*s),
            );
        }
    }
}

fn check_versions(f: &mut Findings<'_>, spec: &Value) {
    let Some(versions) = get(spec, "versions")
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
    else {
        f.crd(
            "/spec/versions",
            "spec.versions must list at least one version".to_string(),
            Value::Null,
        );
        return;
    };
    let mut names: Vec<&str> = Vec::new();
    let mut duplicates: Vec<&str> = Vec::new();
    let mut storage: Vec<&str> = Vec::new();
    for version in versions {
        let name = get_str(version, "name").filter(|n| !n.is_empty());
        match name {
            Some(n) if names.contains(&n) => {
                if !duplicates.contains(&n) {
                    duplicates.push(n);
                }
            }
            Some(n) => names.push(n),
            None => f.crd(
                &path::child(&path::version_path(&entry_name(version, "name")), "name"),
                "every version needs a name".to_string(),
                Value::Null,
            ),
        }
        if get(version, "storage").and_then(Value::as_bool) == Some(true) {
            storage.push(name.unwrap_or("(unnamed)"));
        }
    }
    if !duplicates.is_empty() {
        f.crd(
            "/spec/versions",
            format!(
                "version names must be unique: {} listed more than once",
                duplicates.join(", ")
            ),
            Value::from(duplicates.clone()),
        );
    }
    match storage.len() {
        1 => {}
        0 => f.crd(
            "/spec/versions",
            "exactly one version must have storage: true, none has: mark the version objects \
             are stored in"
                .to_string(),
            Value::Null,
        ),
        _ => f.crd(
            "/spec/versions",
            format!(
                "exactly one version must have storage: true, not {} ({}): keep it on one",
                storage.len(),
                storage.join(", ")
            ),
            Value::from(storage.clone()),
        ),
    }
    // A duplicated name cannot be addressed by name: check each name once.
    let mut checked: HashSet<&str> = HashSet::new();
    for version in versions {
        let name = get_str(version, "name").filter(|n| !n.is_empty());
        if let Some(n) = name
            && !checked.insert(n)
        {
            continue;
        }
        check_version(f, version, name);
    }
}

/// Every version's `openAPIV3Schema` of a CRD: the server derives its update ratchets from all
/// of the old CRD's schemas.
fn version_schemas(crd: &Value) -> impl Iterator<Item = &Value> {
    get(crd, "spec")
        .and_then(|s| get(s, "versions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| get(v, "schema").and_then(|s| get(s, "openAPIV3Schema")))
}

fn check_version(f: &mut Findings<'_>, version: &Value, name: Option<&str>) {
    let base = path::version_path(&entry_name(version, "name"));
    let v = name;
    if let Some(n) = name
        && !is_dns1035_label(n)
    {
        f.add(
            v,
            format!("{base}/name"),
            None,
            format!("version name {n:?} is not valid: use {LABEL_RULE}"),
            Value::from(n),
        );
    }
    check_deprecation(f, version, v, &base);
    let status = get(version, "subresources")
        .and_then(|s| get(s, "status"))
        .is_some();
    let schema = get(version, "schema").and_then(|s| get(s, "openAPIV3Schema"));
    match schema {
        None if !f.old_lacks_schema => f.add(
            v,
            format!("{base}/schema/openAPIV3Schema"),
            None,
            "every version needs schema.openAPIV3Schema: add a schema (type: object with \
             x-kubernetes-preserve-unknown-fields: true keeps everything)"
                .to_string(),
            Value::Null,
        ),
        // The old CRD already had a version without a schema: the server then wants one only
        // where objects would be pruned, on served versions without preserveUnknownFields.
        None => {
            if get(version, "selectableFields")
                .and_then(Value::as_array)
                .is_some_and(|l| !l.is_empty())
            {
                f.add(
                    v,
                    format!("{base}/selectableFields"),
                    None,
                    "selectableFields may only be set when the version has \
                     schema.openAPIV3Schema: add a schema declaring the fields, or remove them"
                        .to_string(),
                    Value::Null,
                );
            }
            let served = get(version, "served").and_then(Value::as_bool) == Some(true);
            if served && !f.preserve_unknown_fields {
                f.add(
                    v,
                    format!("{base}/schema/openAPIV3Schema"),
                    None,
                    "schema.openAPIV3Schema: Required value: because otherwise all fields are \
                     pruned; add a schema (type: object with \
                     x-kubernetes-preserve-unknown-fields: true keeps everything)"
                        .to_string(),
                    Value::Null,
                );
            }
        }
        Some(schema) => {
            let schema_base = format!("{base}/schema/openAPIV3Schema");
            check_root_default(f, schema, status, v, &schema_base);
            let context = SchemaContext {
                status_subresource: status,
                old: f.old_schemas.as_ref(),
                structural_not_required: f.structural_not_required,
            };
            let problems = check_schema(schema, context);
            // As the server: CEL is compiled only where the schema itself is sound.
            let sound = problems.is_empty();
            for p in problems {
                f.add(
                    v,
                    format!("{schema_base}{}", p.path),
                    p.field,
                    p.message,
                    p.value,
                );
            }
            if sound {
                // On update the server ratchets the per-rule limit for an unchanged schema.
                let unchanged = f
                    .old
                    .is_some_and(|old| old_version_schema(old, name) == Some(schema));
                let compiles =
                    |root: &Value, node: &Value, rule: &Value| cel::compiles(root, node, rule);
                for p in cost::check_costs(schema, !unchanged, &compiles) {
                    f.add(
                        v,
                        format!("{schema_base}{}", p.pointer),
                        None,
                        format!("x-kubernetes-validations: {}", p.message),
                        Value::Null,
                    );
                }
                for p in defaults::check_defaults(schema) {
                    f.add(
                        v,
                        format!("{schema_base}{}", p.pointer),
                        None,
                        format!(
                            "the default fails the schema's x-kubernetes-validations (the API \
                             server validates defaults with them): Invalid value: {}",
                            p.message
                        ),
                        p.value,
                    );
                }
                for p in cel::check_rules(schema) {
                    f.add(
                        v,
                        format!("{schema_base}{}", p.pointer),
                        None,
                        format!(
                            "x-kubernetes-validations: the API server refuses the rule: {}",
                            p.message
                        ),
                        Value::Null,
                    );
                }
            }
            check_selectable_fields(f, version, schema, v, &base);
        }
    }
    check_scale(f, version, v, &base);
    check_printer_columns(f, version, v, &base);
}

/// The schema of version `name` in the old CRD.
fn old_version_schema<'a>(old: &'a Value, name: Option<&str>) -> Option<&'a Value> {
    old.pointer("/spec/versions")?
        .as_array()?
        .iter()
        .find(|v| get_str(v, "name") == name)?
        .pointer("/schema/openAPIV3Schema")
}

/// A `default` on the schema root, even `{}` (which other checks treat as no default): with the
/// status subresource the server allows no default there; without it, the default is a whole
/// object and needs `apiVersion` and `kind`.
fn check_root_default(
    f: &mut Findings<'_>,
    schema: &Value,
    status: bool,
    v: Option<&str>,
    schema_base: &str,
) {
    let Some(default) = get(schema, "default") else {
        return;
    };
    let path = format!("{schema_base}/default");
    if status {
        f.add(
            v,
            path,
            None,
            "only [Description Type Format Title Maximum ExclusiveMaximum Minimum \
             ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf \
             Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] \
             fields are allowed at the root of the schema if the status subresource is enabled: \
             remove the default"
                .to_string(),
            default.clone(),
        );
        return;
    }
    let Some(object) = default.as_object() else {
        return;
    };
    let missing: Vec<&str> = ["apiVersion", "kind"]
        .into_iter()
        .filter(|k| {
            object
                .get(*k)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        })
        .collect();
    if !missing.is_empty() {
        let listed: Vec<String> = missing
            .iter()
            .map(|k| format!("default.{k}: Required value"))
            .collect();
        f.add(
            v,
            path,
            None,
            format!(
                "a default at the schema root is a whole object: {}",
                listed.join(", ")
            ),
            default.clone(),
        );
    }
}

fn check_deprecation(f: &mut Findings<'_>, version: &Value, v: Option<&str>, base: &str) {
    let Some(warning) = get(version, "deprecationWarning") else {
        return;
    };
    let path = format!("{base}/deprecationWarning");
    let deprecated = get(version, "deprecated").and_then(Value::as_bool) == Some(true);
    let text = warning.as_str().unwrap_or("");
    let problem = if !deprecated {
        Some("deprecationWarning is only allowed on a version with deprecated: true".to_string())
    } else if text.is_empty() {
        Some("deprecationWarning must not be empty: remove it or write the warning".to_string())
    } else if text.len() > 256 {
        Some(format!(
            "deprecationWarning must be at most 256 bytes, not {}",
            text.len()
        ))
    } else if text.chars().any(char::is_control) {
        Some("deprecationWarning must be printable text without control characters".to_string())
    } else {
        None
    };
    if let Some(message) = problem {
        f.add(v, path, None, message, warning.clone());
    }
}

/// A JSON path the server accepts for scale and printer columns: starts with `.`.
fn simple_path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        Some("must not be empty")
    } else if !path.starts_with('.') {
        Some("must be a simple JSON path starting with '.'")
    } else {
        None
    }
}

fn check_scale(f: &mut Findings<'_>, version: &Value, v: Option<&str>, base: &str) {
    let Some(scale) = get(version, "subresources").and_then(|s| get(s, "scale")) else {
        return;
    };
    let rules: [(&str, bool, &[&str]); 3] = [
        ("specReplicasPath", true, &[".spec."]),
        ("statusReplicasPath", true, &[".status."]),
        ("labelSelectorPath", false, &[".spec.", ".status."]),
    ];
    for (key, required, prefixes) in rules {
        let path = format!("{base}/subresources/scale/{key}");
        match get_str(scale, key).filter(|p| !p.is_empty()) {
            None if required => f.add(
                v,
                path,
                None,
                format!("subresources.scale.{key} is required"),
                Value::Null,
            ),
            None => {}
            Some(p) => {
                let problem = simple_path_problem(p).map(str::to_string).or_else(|| {
                    (!prefixes.iter().any(|pre| p.starts_with(pre)))
                        .then(|| format!("must be a JSON path under {}", prefixes.join(" or ")))
                });
                if let Some(problem) = problem {
                    f.add(
                        v,
                        path,
                        None,
                        format!("subresources.scale.{key} {p:?} {problem}"),
                        Value::from(p),
                    );
                }
            }
        }
    }
}

const COLUMN_TYPES: [&str; 5] = ["integer", "number", "string", "boolean", "date"];
const COLUMN_FORMATS: [&str; 8] = [
    "int32",
    "int64",
    "float",
    "double",
    "byte",
    "date",
    "date-time",
    "password",
];

fn check_printer_columns(f: &mut Findings<'_>, version: &Value, v: Option<&str>, base: &str) {
    let Some(columns) = get(version, "additionalPrinterColumns").and_then(Value::as_array) else {
        return;
    };
    for (i, column) in columns.iter().enumerate() {
        let name = get_str(column, "name").filter(|n| !n.is_empty());
        let path = path::entry(
            &format!("{base}/additionalPrinterColumns"),
            "name",
            &entry_name(column, "name"),
        );
        let label = name.map_or_else(|| format!("#{}", i + 1), |n| format!("{n:?}"));
        let mut problems: Vec<String> = Vec::new();
        if name.is_none() {
            problems.push("name is required".to_string());
        }
        match get_str(column, "type") {
            Some(t) if COLUMN_TYPES.contains(&t) => {}
            t => problems.push(format!(
                "type must be one of {}, not {}",
                COLUMN_TYPES.join(", "),
                t.map_or_else(|| "missing".to_string(), |t| format!("{t:?}"))
            )),
        }
        if let Some(fmt) = get_str(column, "format").filter(|s| !s.is_empty())
            && !COLUMN_FORMATS.contains(&fmt)
        {
            problems.push(format!(
                "format must be one of {}, not {fmt:?}",
                COLUMN_FORMATS.join(", ")
            ));
        }
        match get_str(column, "jsonPath").map(simple_path_problem) {
            None => problems.push("jsonPath is required".to_string()),
            Some(Some(p)) => problems.push(format!("jsonPath {p}")),
            Some(None) => {}
        }
        if !problems.is_empty() {
            f.add(
                v,
                path,
                None,
                format!("printer column {label}: {}", problems.join("; ")),
                column.clone(),
            );
        }
    }
}

/// The server's limit on selectable fields per version.
const MAX_SELECTABLE_FIELDS: usize = 8;

/// The versions of `new` whose selectable fields the server lets exceed the limit on this
/// update (its `findTooManySelectableFieldsAllowed`): the old CRD had more than the limit and
/// the list is unchanged. The server compares the internal form, where lists identical on every
/// version become one CRD-wide list: a CRD-wide list is compared with the old CRD-wide list,
/// a per-version list with the old per-version list of the same name.
fn unchanged_many_selectable_fields(old: &Value, new: &Value) -> Vec<String> {
    let versions = |crd: &Value| -> Vec<(Option<String>, Value)> {
        get(crd, "spec")
            .and_then(|spec| get(spec, "versions"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|v| {
                let fields = get(v, "selectableFields")
                    .filter(|f| f.as_array().is_some_and(|a| !a.is_empty()))
                    .cloned()
                    .unwrap_or(Value::Null);
                (get_str(v, "name").map(str::to_string), fields)
            })
            .collect()
    };
    let (old, new) = (versions(old), versions(new));
    let crd_wide = |versions: &[(Option<String>, Value)]| -> Option<Value> {
        let first = versions.first()?.1.clone();
        versions.iter().all(|(_, f)| *f == first).then_some(first)
    };
    let too_many = |fields: &Value| {
        fields
            .as_array()
            .is_some_and(|a| a.len() > MAX_SELECTABLE_FIELDS)
    };
    let (old_wide, new_wide) = (crd_wide(&old), crd_wide(&new));
    new.iter()
        .filter(|(name, fields)| match (&new_wide, &old_wide) {
            (Some(_), Some(old_fields)) => too_many(old_fields) && old_fields == fields,
            (Some(_), None) | (None, Some(_)) => false,
            (None, None) => old
                .iter()
                .any(|(n, f)| n == name && too_many(f) && f == fields),
        })
        .filter_map(|(name, _)| name.clone())
        .collect()
}

fn check_selectable_fields(
    f: &mut Findings<'_>,
    version: &Value,
    schema: &Value,
    v: Option<&str>,
    base: &str,
) {
    let Some(fields) = get(version, "selectableFields").and_then(Value::as_array) else {
        return;
    };
    let mut seen: Vec<&str> = Vec::new();
    for entry in fields {
        let json_path = get_str(entry, "jsonPath").filter(|p| !p.is_empty());
        let path = path::entry(
            &format!("{base}/selectableFields"),
            "jsonPath",
            &entry_name(entry, "jsonPath"),
        );
        let Some(json_path) = json_path else {
            f.add(
                v,
                path,
                None,
                "selectableFields entry needs a jsonPath".to_string(),
                entry.clone(),
            );
            continue;
        };
        let problem = if seen.contains(&json_path) {
            Some("is listed twice".to_string())
        } else {
            seen.push(json_path);
            selectable_field_problem(schema, json_path)
        };
        if let Some(problem) = problem {
            f.add(
                v,
                path,
                Some(json_path.to_string()),
                format!("selectable field {json_path:?} {problem}"),
                Value::from(json_path),
            );
        }
    }
    let forgiven = v.is_some_and(|v| f.many_selectable_fields.iter().any(|m| m == v));
    if seen.len() > MAX_SELECTABLE_FIELDS && !forgiven {
        f.add(
            v,
            format!("{base}/selectableFields"),
            None,
            format!(
                "at most {MAX_SELECTABLE_FIELDS} selectable fields are allowed per version, not {}",
                seen.len()
            ),
            Value::Null,
        );
    }
}

/// Resolves `.a.b` through the schema's properties; the field must be a string, integer or
/// boolean outside `metadata`.
fn selectable_field_problem(schema: &Value, json_path: &str) -> Option<String> {
    let Some(rest) = json_path.strip_prefix('.') else {
        return Some("must start with '.'".to_string());
    };
    let segments: Vec<&str> = rest.split('.').collect();
    if segments.first() == Some(&"metadata") {
        return Some("must not point to a field in metadata".to_string());
    }
    let mut node = schema;
    for segment in &segments {
        let props: Option<&Map<String, Value>> = get(node, "properties").and_then(Value::as_object);
        match props.and_then(|p| p.get(*segment)) {
            Some(next) if !segment.is_empty() => node = next,
            _ => return Some("is not a field of the schema".to_string()),
        }
    }
    match get_str(node, "type") {
        Some("string" | "integer" | "boolean") => None,
        t => Some(format!(
            "must be a string, integer or boolean field, not {}",
            t.unwrap_or("a field without a type")
        )),
    }
}

fn check_conversion(f: &mut Findings<'_>, spec: &Value) {
    let Some(conversion) = get(spec, "conversion") else {
        return;
    };
    if let Some(ca_bundle) = conversion.pointer("/webhook/clientConfig/caBundle")
        && !ca_bundle.is_null()
        && ca_bundle
            .as_str()
            .and_then(ca_bundle::decode_base64)
            .is_none()
    {
        f.crd(
            CA_BUNDLE,
            "conversion.webhook.clientConfig.caBundle is not base64: the API server cannot \
             decode the CRD (illegal base64 data); base64-encode the PEM certificates"
                .to_string(),
            ca_bundle.clone(),
        );
    }
    let strategy = get_str(conversion, "strategy").unwrap_or("None");
    let webhook = get(conversion, "webhook");
    match strategy {
        "None" => {
            if let Some(w) = webhook {
                f.crd(
                    "/spec/conversion/webhook",
                    "conversion.webhook must not be set when the strategy is None: remove it or \
                     set strategy: Webhook"
                        .to_string(),
                    w.clone(),
                );
            }
        }
        "Webhook" => check_webhook(f, webhook),
        other => f.crd(
            "/spec/conversion/strategy",
            format!("conversion.strategy must be None or Webhook, not {other:?}"),
            Value::from(other),
        ),
    }
}

fn check_webhook(f: &mut Findings<'_>, webhook: Option<&Value>) {
    let Some(webhook) = webhook else {
        f.crd(
            "/spec/conversion/webhook",
            "conversion.webhook is required when the strategy is Webhook".to_string(),
            Value::Null,
        );
        return;
    };
    match get(webhook, "clientConfig") {
        None => f.crd(
            "/spec/conversion/webhook/clientConfig",
            "conversion.webhook.clientConfig is required when the strategy is Webhook".to_string(),
            Value::Null,
        ),
        Some(cc) => check_client_config(f, cc),
    }
    let versions: Vec<&Value> = get(webhook, "conversionReviewVersions")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let path = "/spec/conversion/webhook/conversionReviewVersions";
    let list = Value::from(versions.iter().map(|v| (*v).clone()).collect::<Vec<_>>());
    if versions.is_empty() {
        f.crd(
            path,
            "conversion.webhook.conversionReviewVersions is required: list the ConversionReview \
             versions the webhook understands, e.g. [v1]"
                .to_string(),
            Value::Null,
        );
        return;
    }
    let names: Vec<&str> = versions.iter().filter_map(|v| v.as_str()).collect();
    let mut problems: Vec<String> = Vec::new();
    if names.len() != versions.len() || names.iter().any(|n| !is_dns1035_label(n)) {
        problems.push(format!("entries must be version names ({LABEL_RULE})"));
    }
    let unique: HashSet<&str> = names.iter().copied().collect();
    if unique.len() != names.len() {
        problems.push("entries must be unique".to_string());
    }
    if !names.iter().any(|n| is_recognized_review_version(n))
        && requires_recognized_review_version(f.old)
    {
        problems.push("must include v1 or v1beta1".to_string());
    }
    if !problems.is_empty() {
        f.crd(
            path,
            format!(
                "conversion.webhook.conversionReviewVersions: {}",
                problems.join("; ")
            ),
            list,
        );
    }
}

/// A ConversionReview version the API server can send.
fn is_recognized_review_version(version: &str) -> bool {
    version == "v1" || version == "v1beta1"
}

/// Whether the update must list a recognized ConversionReview version: always on create; on
/// update only when the old CRD listed none, or one the server recognizes (the server's
/// `requireRecognizedConversionReviewVersion`, derived from the old CRD: an old list of only
/// unknown versions is kept working).
fn requires_recognized_review_version(old: Option<&Value>) -> bool {
    let Some(old) = old else {
        return true;
    };
    let versions = get(old, "spec")
        .and_then(|spec| get(spec, "conversion"))
        .and_then(|conversion| get(conversion, "webhook"))
        .and_then(|webhook| get(webhook, "conversionReviewVersions"))
        .and_then(Value::as_array);
    match versions {
        None => true,
        Some(list) => {
            list.is_empty()
                || list
                    .iter()
                    .any(|v| v.as_str().is_some_and(is_recognized_review_version))
        }
    }
}

const CA_BUNDLE: &str = "/spec/conversion/webhook/clientConfig/caBundle";

/// Once the old CRD is established, a new `caBundle` must hold a certificate client-go can
/// load, unless the old one already did not (`allowInvalidCABundle`); on create, and while the
/// old CRD is not established, the server does not look at it.
fn check_ca_bundle(f: &mut Findings<'_>, cc: &Value) {
    let Some(old) = f.old else {
        return;
    };
    let Some(data) = get_str(cc, "caBundle").and_then(ca_bundle::decode_base64) else {
        return;
    };
    if data.is_empty() || !is_established(old) {
        return;
    }
    // An old bundle that was already invalid (or that the server could not even decode)
    // leaves the new one unchecked; none, or an empty one, does not.
    let old_bundle = old
        .pointer("/spec/conversion/webhook/clientConfig/caBundle")
        .and_then(Value::as_str)
        .unwrap_or("");
    let old_was_invalid = match ca_bundle::decode_base64(old_bundle) {
        None => true,
        Some(d) => !d.is_empty() && ca_bundle::ca_bundle_problem(&d).is_some(),
    };
    if old_was_invalid {
        return;
    }
    if let Some(problem) = ca_bundle::ca_bundle_problem(&data) {
        f.crd(
            CA_BUNDLE,
            format!(
                "conversion.webhook.clientConfig.caBundle: unable to load root certificates: \
                 {problem}; the CRD is established, so the API server checks the bundle: put \
                 the PEM certificate of the CA that signed the webhook's serving certificate \
                 in it, base64-encoded"
            ),
            Value::Null,
        );
    }
}

fn check_client_config(f: &mut Findings<'_>, cc: &Value) {
    check_ca_bundle(f, cc);
    let base = "/spec/conversion/webhook/clientConfig";
    let url = get(cc, "url");
    let service = get(cc, "service");
    match (url, service) {
        (Some(_), Some(_)) | (None, None) => f.crd(
            base,
            "conversion.webhook.clientConfig needs exactly one of url or service".to_string(),
            cc.clone(),
        ),
        (Some(url), None) => {
            let text = url.as_str().unwrap_or("");
            if let Some(problem) = webhook_url_problem(text) {
                f.crd(
                    &format!("{base}/url"),
                    format!("conversion webhook url {text:?} {problem}; use https://host[/path]"),
                    url.clone(),
                );
            }
        }
        (None, Some(service)) => {
            let mut problems: Vec<String> = Vec::new();
            for key in ["name", "namespace"] {
                match get_str(service, key) {
                    Some(v) if is_dns1123_subdomain(v) => {}
                    Some(v) => problems.push(format!("{key} {v:?} is not a valid name")),
                    None => problems.push(format!("{key} is required")),
                }
            }
            if let Some(p) = get_str(service, "path")
                && !p.is_empty()
                && !p.starts_with('/')
            {
                problems.push(format!("path {p:?} must start with '/'"));
            }
            if let Some(port) = get(service, "port")
                && !port.as_i64().is_some_and(|p| (1..=65535).contains(&p))
            {
                problems.push(format!("port {port} must be between 1 and 65535"));
            }
            if !problems.is_empty() {
                f.crd(
                    &format!("{base}/service"),
                    format!("conversion webhook service: {}", problems.join("; ")),
                    service.clone(),
                );
            }
        }
    }
}

/// What the server's `ValidateWebhookURL` (https only) finds wrong with a webhook URL.
fn webhook_url_problem(url: &str) -> Option<&'static str> {
    let Some(rest) = url
        .get(..8)
        .filter(|s| s.eq_ignore_ascii_case("https://"))
        .map(|_| &url[8..])
    else {
        return Some("must use the https scheme");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        Some("must name a host")
    } else if authority.contains('@') {
        Some("must not contain user information")
    } else if url.contains('#') {
        Some("must not contain a fragment")
    } else if url.contains('?') {
        Some("must not contain query parameters")
    } else if !is_request_uri(url) {
        Some("is not a valid URL")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crd_with_versions(versions: Value) -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                          "listKind": "WidgetList"},
                "scope": "Namespaced",
                "versions": versions
            }
        })
    }

    fn paths(crd: &Value) -> Vec<String> {
        check_invalid("widgets.example.com", crd)
            .into_iter()
            .map(|c| c.path)
            .collect()
    }

    #[test]
    fn entries_without_a_name_are_addressed_by_an_empty_name_not_an_index() {
        let schema = json!({"openAPIV3Schema": {"type": "object"}});
        let crd = crd_with_versions(json!([
            {"name": "v1", "served": true, "storage": true, "schema": schema,
             "additionalPrinterColumns": [{"type": "string"}],
             "selectableFields": [{}]},
            {"served": true, "storage": false},
        ]));
        let found = paths(&crd);
        for expected in [
            "/spec/versions/name=/name",
            "/spec/versions/name=/schema/openAPIV3Schema",
            "/spec/versions/name=v1/additionalPrinterColumns/name=",
            "/spec/versions/name=v1/selectableFields/jsonPath=",
        ] {
            assert!(
                found.iter().any(|p| p == expected),
                "{expected} in {found:?}"
            );
        }
        assert!(
            !found
                .iter()
                .any(|p| p.split('/').any(|t| t.parse::<usize>().is_ok())),
            "{found:?}"
        );
    }

    /// A schema with a `set` of (non-atomic) objects at `.spec.s` and a default with a field
    /// the schema lacks at `.spec.d`, as the server refuses both on create.
    fn ratcheted_schema(set: bool, unpruned: bool) -> Value {
        let mut spec = json!({"type": "object", "properties": {
            "s": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}},
            "d": {"type": "object", "properties": {"a": {"type": "string"}}, "default": {"a": "x"}}
        }});
        if set {
            spec["properties"]["s"]["x-kubernetes-list-type"] = json!("set");
        }
        if unpruned {
            spec["properties"]["d"]["default"]["b"] = json!("y");
        }
        json!({"openAPIV3Schema": {"type": "object", "properties": {"spec": spec}}})
    }

    #[test]
    fn the_update_ratchets_atomic_sets_and_pruned_defaults_from_the_old_crd() {
        let crd = |set, unpruned| {
            crd_with_versions(json!([{"name": "v1", "served": true, "storage": true,
                "schema": ratcheted_schema(set, unpruned)}]))
        };
        let messages = |changes: Vec<Change>| -> Vec<String> {
            changes.into_iter().map(|c| c.message).collect()
        };
        let new = crd(true, true);
        let created = messages(check_invalid("widgets.example.com", &new));
        assert_eq!(created.len(), 2, "{created:?}");
        // The old CRD already broke both: the server drops both checks for the update.
        let ratcheted = messages(check_invalid_update("widgets.example.com", &new, &new));
        assert!(ratcheted.is_empty(), "{ratcheted:?}");
        // An old CRD that broke neither keeps both.
        let strict = messages(check_invalid_update(
            "widgets.example.com",
            &crd(false, false),
            &new,
        ));
        assert_eq!(strict.len(), 2, "{strict:?}");
    }

    #[test]
    fn a_name_that_is_not_a_string_is_shown_raw() {
        let crd = crd_with_versions(json!([{"name": 3, "served": true, "storage": true}]));
        let found = paths(&crd);
        assert!(
            found
                .iter()
                .any(|p| p == "/spec/versions/name=3/schema/openAPIV3Schema"),
            "{found:?}"
        );
    }
}
