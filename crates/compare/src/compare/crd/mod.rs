//! Rules about the CRD as a whole: added and removed CRDs, group, scope, names, versions (served,
//! storage, deprecation, subresources, printer columns, selectable fields), conversion, and the
//! served-versions check inside the new CRD. Each version's schema is handed to the schema walker.
//!
//! What is compared is the CRD's `spec` and, for stored versions, the old `status.storedVersions`;
//! the nexus annotation has its own module. The rest of `metadata` and `status` is not schema.

mod columns;
mod conversion;
pub(in crate::compare) mod findings;
mod names;
mod schema_equiv;
mod served;
mod subresources;
pub(in crate::compare) mod value;
pub mod version_order;
mod versions;

use super::{Options, invalid, nexus, path};
use crate::report::Change;
use crate::rules::RuleId;
use findings::Findings;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use value::{flag, object_of, present, show, to_value};

/// Keys of `spec` that a rule judges; any other key that differs is `unhandled-change`.
const SPEC_CLAIMED: &[&str] = &[
    "group",
    "scope",
    "names",
    "versions",
    "conversion",
    "preserveUnknownFields",
];

/// Compares one CRD (`None` where it is absent from that set). Every CRD present in the new set
/// is also checked as the API server checks it on create, or as an update of the old one
/// (`crd-invalid`).
pub fn compare_crd(
    name: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    opts: &Options,
) -> Vec<Change> {
    let mut out = Findings::new(name);
    match (old, new) {
        (None, None) => {}
        (None, Some(new)) => out.add(
            RuleId::CrdAdded,
            None,
            "/".into(),
            format!("CRD {name} added{}", describe(new)),
            Value::Null,
            Value::Null,
        ),
        (Some(old), None) => out.add(
            RuleId::CrdRemoved,
            None,
            "/".into(),
            format!(
                "CRD {name} removed{}: its API and every stored object are gone",
                describe(old)
            ),
            Value::Null,
            Value::Null,
        ),
        (Some(old), Some(new)) => {
            compare_spec(&mut out, old, new, opts);
            out.extend(nexus::compare_annotation(name, old, new));
        }
    }
    match (old, new) {
        (Some(old), Some(new)) => out.extend(invalid::check_invalid_update(name, old, new)),
        (None, Some(new)) => out.extend(invalid::check_invalid(name, new)),
        _ => {}
    }
    out.into_changes()
}

/// ` (kind K, versions a, b)` for added/removed messages; empty when the CRD has neither.
fn describe(doc: &Value) -> String {
    let kind = doc.pointer("/spec/names/kind").and_then(Value::as_str);
    let versions: Vec<&str> = doc
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| vs.iter().filter_map(|v| v.get("name")?.as_str()).collect())
        .unwrap_or_default();
    let mut parts = Vec::new();
    if let Some(kind) = kind {
        parts.push(format!("kind {kind}"));
    }
    if !versions.is_empty() {
        parts.push(format!("versions {}", versions.join(", ")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn compare_spec(out: &mut Findings<'_>, old_doc: &Value, new_doc: &Value, opts: &Options) {
    let (old, new) = (old_doc.get("spec"), new_doc.get("spec"));
    let (Some(o), Some(n)) = (object_of(old), object_of(new)) else {
        out.unhandled_if_different(None, "/spec".into(), old, new, "spec is not an object");
        return;
    };
    identity(
        out,
        RuleId::CrdGroupChanged,
        o,
        n,
        "group",
        "every client's apiVersion and the REST path change",
    );
    identity(
        out,
        RuleId::CrdScopeChanged,
        o,
        n,
        "scope",
        "object URLs change and existing objects do not fit the new scope",
    );
    names::compare(out, o.get("names"), n.get("names"));
    versions::compare(
        out,
        o.get("versions"),
        n.get("versions"),
        &stored_versions(old_doc),
    );
    conversion::compare(out, o, n);
    preserve_unknown_fields(out, o, n);
    out.unclaimed(None, "/spec", o, n, SPEC_CLAIMED);
    served::check(out, o, n, opts);
}

/// group and scope: any difference is the rule's finding.
fn identity(
    out: &mut Findings<'_>,
    rule: RuleId,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    key: &str,
    consequence: &str,
) {
    let (old, new) = (present(o.get(key)), present(n.get(key)));
    if old == new {
        return;
    }
    out.add(
        rule,
        None,
        path::child("/spec", key),
        format!(
            "{key} changed from {} to {}: {consequence}",
            show(old),
            show(new)
        ),
        to_value(old),
        to_value(new),
    );
}

/// `spec.preserveUnknownFields` (a v1beta1 leftover): `false` is the default and equals absent.
/// No rule judges a real change of it.
fn preserve_unknown_fields(out: &mut Findings<'_>, o: &Map<String, Value>, n: &Map<String, Value>) {
    let key = "preserveUnknownFields";
    let (old, new) = (o.get(key), n.get(key));
    let same = match (flag(old), flag(new)) {
        (Some(a), Some(b)) => a == b,
        _ => present(old) == present(new),
    };
    if !same {
        out.unhandled(
            None,
            path::child("/spec", key),
            old,
            new,
            "pruning of unknown fields is switched for the whole CRD",
        );
    }
}

/// The old CRD's `status.storedVersions` (empty for CRDs read from files, which carry no status).
fn stored_versions(doc: &Value) -> BTreeSet<&str> {
    doc.pointer("/status/storedVersions")
        .and_then(Value::as_array)
        .map(|vs| vs.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}
