//! Rules about the nexus annotation (`metadata.annotations.nexus`) written by `datamodel build`:
//! one JSON object with `name`, `hierarchy`, `children`, `links`, `is_singleton`,
//! `nexus-rest-api-gen` and `description` (see DATAMODEL.md). An annotation present on one side
//! only is compared against an empty object.

use super::crd::findings::Findings;
use super::crd::value::{flag, non_empty, object_of, present, show, to_value};
use crate::compare::path;
use crate::report::Change;
use crate::rules::RuleId;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

const PATH: &str = "/metadata/annotations/nexus";
const CLAIMED: &[&str] = &[
    "hierarchy",
    "children",
    "links",
    "is_singleton",
    "nexus-rest-api-gen",
    "description",
];
/// Keys of a child or link entry that name its field: they change together when the Go field is
/// renamed, so they are judged together.
const EDGE_FIELD_NAMES: &[&str] = &["fieldName", "fieldNameGvk", "goFieldNameGvk"];
const EDGE_CLAIMED: &[&str] = &["fieldName", "fieldNameGvk", "goFieldNameGvk", "isNamed"];

/// Compares the nexus annotation of two versions of one CRD document.
pub fn compare_annotation(crd: &str, old_doc: &Value, new_doc: &Value) -> Vec<Change> {
    let (old_raw, new_raw) = (raw(old_doc), raw(new_doc));
    if old_raw == new_raw {
        return Vec::new();
    }
    let mut out = Findings::new(crd);
    match (parse(old_raw), parse(new_raw)) {
        (Ok(o), Ok(n)) => compare_parsed(&mut out, &o, &n),
        (o, n) => {
            let side = match (o.err(), n.err()) {
                (_, Some(why)) => format!("the new annotation {why}"),
                (Some(why), None) => format!("the old annotation {why}"),
                (None, None) => String::new(),
            };
            out.unhandled(None, PATH.into(), old_raw, new_raw, &side);
        }
    }
    out.into_changes()
}

fn raw(doc: &Value) -> Option<&Value> {
    present(doc.pointer(PATH))
}

/// The annotation as an object; absent reads as empty. The error says what is wrong with it.
fn parse(raw: Option<&Value>) -> Result<Map<String, Value>, String> {
    let Some(raw) = raw else {
        return Ok(Map::new());
    };
    let Value::String(text) = raw else {
        return Err("is not a string".into());
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err("is JSON but not an object".into()),
        Err(e) => Err(format!("is not JSON ({e})")),
    }
}

fn compare_parsed(out: &mut Findings<'_>, o: &Map<String, Value>, n: &Map<String, Value>) {
    edges(
        out,
        o.get("children"),
        n.get("children"),
        "children",
        "child",
    );
    edges(out, o.get("links"), n.get("links"), "links", "link");
    hierarchy(out, o.get("hierarchy"), n.get("hierarchy"));
    singleton(out, o.get("is_singleton"), n.get("is_singleton"));
    rest_api(
        out,
        o.get("nexus-rest-api-gen"),
        n.get("nexus-rest-api-gen"),
    );
    let key = "description";
    let (was, is) = (non_empty(o.get(key)), non_empty(n.get(key)));
    if was != is {
        out.add(
            RuleId::NexusDescriptionChanged,
            None,
            path::child(PATH, key),
            format!("description changed from {} to {}", show(was), show(is)),
            to_value(was),
            to_value(is),
        );
    }
    out.unclaimed(None, PATH, o, n, CLAIMED);
}

/// `children` (keyed by child CRD name) or `links` (keyed by Go field name).
fn edges(out: &mut Findings<'_>, old: Option<&Value>, new: Option<&Value>, key: &str, noun: &str) {
    let path = path::child(PATH, key);
    let (Some(o), Some(n)) = (object_of(old), object_of(new)) else {
        out.unhandled_if_different(None, path, old, new, "not an object");
        return;
    };
    let names: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    for name in names {
        let entry_path = path::child(&path, name);
        match (present(o.get(name)), present(n.get(name))) {
            (None, None) => {}
            (Some(was), None) => out.add(
                RuleId::NexusChildRemoved,
                None,
                entry_path,
                format!("{noun} {name}{} removed", field_note(was)),
                was.clone(),
                Value::Null,
            ),
            (None, Some(is)) => out.add(
                RuleId::NexusChildAdded,
                None,
                entry_path,
                format!("{noun} {name}{} added", field_note(is)),
                Value::Null,
                is.clone(),
            ),
            (Some(was), Some(is)) => edge(out, entry_path, noun, name, was, is),
        }
    }
}

/// ` (field F)` when the entry names its field.
fn field_note(entry: &Value) -> String {
    entry
        .get("fieldName")
        .and_then(Value::as_str)
        .map(|f| format!(" (field {f})"))
        .unwrap_or_default()
}

/// One child or link in both annotations.
fn edge(out: &mut Findings<'_>, path: String, noun: &str, name: &str, was: &Value, is: &Value) {
    let (Some(o), Some(n)) = (was.as_object(), is.as_object()) else {
        out.unhandled_if_different(
            None,
            path,
            Some(was),
            Some(is),
            "the entry is not an object",
        );
        return;
    };
    let mut reasons = Vec::new();
    match (flag(o.get("isNamed")), flag(n.get("isNamed"))) {
        (Some(a), Some(b)) if a != b => reasons.push(if b {
            "a single child became named children".to_string()
        } else {
            "named children became a single child".to_string()
        }),
        (Some(_), Some(_)) => {}
        _ => {
            if present(o.get("isNamed")) != present(n.get("isNamed")) {
                reasons.push(format!(
                    "isNamed changed from {} to {}",
                    show(o.get("isNamed")),
                    show(n.get("isNamed"))
                ));
            }
        }
    }
    let renamed = EDGE_FIELD_NAMES
        .iter()
        .any(|k| present(o.get(*k)) != present(n.get(*k)));
    if renamed {
        reasons.push(format!(
            "field name changed from {} to {}",
            show(o.get("fieldName")),
            show(n.get("fieldName"))
        ));
    }
    if !reasons.is_empty() {
        out.add(
            RuleId::NexusChildChanged,
            None,
            path.clone(),
            format!("{noun} {name}: {}", reasons.join("; ")),
            was.clone(),
            is.clone(),
        );
    }
    out.unclaimed(None, &path, o, n, EDGE_CLAIMED);
}

/// The parent chain, root first; roots omit it, so absent equals empty.
fn hierarchy(out: &mut Findings<'_>, old: Option<&Value>, new: Option<&Value>) {
    let (was, is) = (non_empty(old), non_empty(new));
    if was == is {
        return;
    }
    let chain = |v: Option<&Value>| match v {
        None => "(root)".to_string(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| show(Some(i)))
            .collect::<Vec<_>>()
            .join(" > "),
        Some(other) => other.to_string(),
    };
    out.add(
        RuleId::NexusHierarchyChanged,
        None,
        path::child(PATH, "hierarchy"),
        format!(
            "parent chain changed from {} to {}: objects are addressed through their parents",
            chain(was),
            chain(is)
        ),
        to_value(was),
        to_value(is),
    );
}

fn singleton(out: &mut Findings<'_>, old: Option<&Value>, new: Option<&Value>) {
    let path = path::child(PATH, "is_singleton");
    match (flag(old), flag(new)) {
        (Some(false), Some(true)) => out.add(
            RuleId::NexusSingletonEnabled,
            None,
            path,
            "the node became a singleton: existing objects with other names are no longer valid"
                .into(),
            Value::Bool(false),
            Value::Bool(true),
        ),
        (Some(true), Some(false)) => out.add(
            RuleId::NexusSingletonDisabled,
            None,
            path,
            "the node is no longer a singleton".into(),
            Value::Bool(true),
            Value::Bool(false),
        ),
        (Some(_), Some(_)) => {}
        _ => {
            out.unhandled_if_different(None, path, old, new, "is_singleton is not a boolean");
        }
    }
}

/// `nexus-rest-api-gen`: `{"uris": null}` is what build writes for a node without REST API, so it
/// equals absent.
fn rest_api(out: &mut Findings<'_>, old: Option<&Value>, new: Option<&Value>) {
    let normalized = |v: Option<&Value>| -> Option<Value> {
        let v = present(v)?;
        match v.as_object() {
            Some(o)
                if o.iter()
                    .all(|(k, val)| k == "uris" && non_empty(Some(val)).is_none()) =>
            {
                None
            }
            _ => Some(v.clone()),
        }
    };
    let (was, is) = (normalized(old), normalized(new));
    if was == is {
        return;
    }
    let (old_uris, new_uris) = (uris(was.as_ref()), uris(is.as_ref()));
    let added: Vec<&str> = new_uris.difference(&old_uris).copied().collect();
    let removed: Vec<&str> = old_uris.difference(&new_uris).copied().collect();
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("added {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed {}", removed.join(", ")));
    }
    let detail = if parts.is_empty() {
        String::new()
    } else {
        format!(": URIs {}", parts.join("; "))
    };
    out.add(
        RuleId::NexusRestApiChanged,
        None,
        path::child(PATH, "nexus-rest-api-gen"),
        format!("REST API spec changed{detail}"),
        was.unwrap_or(Value::Null),
        is.unwrap_or(Value::Null),
    );
}

/// The `uri` of every entry of `uris`.
fn uris(spec: Option<&Value>) -> BTreeSet<&str> {
    spec.and_then(|s| s.get("uris"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("uri").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}
