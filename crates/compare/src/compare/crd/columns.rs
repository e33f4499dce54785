//! Per-version lists read by clients: `additionalPrinterColumns` (one change per version, order
//! ignored) and `selectableFields` (a set keyed by `jsonPath`).

use super::findings::Findings;
use super::value::{list_of, present, same_multiset, to_value};
use crate::compare::path;
use crate::rules::RuleId;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Compares `additionalPrinterColumns` of one version; `base` is the version's path.
pub(super) fn printer_columns(
    out: &mut Findings<'_>,
    version: &str,
    base: &str,
    old: Option<&Value>,
    new: Option<&Value>,
) {
    let path = path::child(base, "additionalPrinterColumns");
    let (Some(o), Some(n)) = (list_of(old), list_of(new)) else {
        out.unhandled_if_different(Some(version), path, old, new, "not a list");
        return;
    };
    let normalize = |cols: &[&Value]| {
        cols.iter()
            .map(|c| normalized_column(c))
            .collect::<Vec<_>>()
    };
    let (o_norm, n_norm) = (normalize(&o), normalize(&n));
    if same_multiset(&o_norm, &n_norm) {
        return;
    }
    let by_name = |cols: &[Value]| -> BTreeMap<String, Value> {
        cols.iter()
            .filter_map(|c| Some((c.get("name")?.as_str()?.to_string(), c.clone())))
            .collect()
    };
    let (o_named, n_named) = (by_name(&o_norm), by_name(&n_norm));
    let mut parts = Vec::new();
    let removed: Vec<&str> = o_named
        .keys()
        .filter(|k| !n_named.contains_key(*k))
        .map(String::as_str)
        .collect();
    let added: Vec<&str> = n_named
        .keys()
        .filter(|k| !o_named.contains_key(*k))
        .map(String::as_str)
        .collect();
    let changed: Vec<&str> = o_named
        .iter()
        .filter(|(k, v)| n_named.get(*k).is_some_and(|w| w != *v))
        .map(|(k, _)| k.as_str())
        .collect();
    for (label, names) in [("added", added), ("removed", removed), ("changed", changed)] {
        if !names.is_empty() {
            parts.push(format!("{label} {}", names.join(", ")));
        }
    }
    let detail = if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join("; "))
    };
    out.add(
        RuleId::CrdPrinterColumnsChanged,
        Some(version),
        path,
        format!("printer columns of version {version} changed{detail}"),
        to_value(present(old)),
        to_value(present(new)),
    );
}

/// A column with its defaults dropped (`priority: 0`, `null` values), so that making a default
/// explicit is no change.
fn normalized_column(col: &Value) -> Value {
    match col {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(k, v)| !is_default(k, v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}

/// `null`, or the default priority 0.
fn is_default(key: &str, value: &Value) -> bool {
    value.is_null() || (key == "priority" && value.as_i64() == Some(0))
}

/// Compares `selectableFields` of one version; `base` is the version's path.
pub(super) fn selectable_fields(
    out: &mut Findings<'_>,
    version: &str,
    base: &str,
    old: Option<&Value>,
    new: Option<&Value>,
) {
    let path = path::child(base, "selectableFields");
    let (Some(o), Some(n)) = (list_of(old), list_of(new)) else {
        out.unhandled_if_different(Some(version), path, old, new, "not a list");
        return;
    };
    let (o_keyed, o_rest) = keyed_by_json_path(&o);
    let (n_keyed, n_rest) = keyed_by_json_path(&n);
    for (json_path, entry) in &o_keyed {
        let entry_path = path::entry(&path, "jsonPath", json_path);
        match n_keyed.get(json_path) {
            None => out.add(
                RuleId::CrdSelectableFieldRemoved,
                Some(version),
                entry_path,
                format!(
                    "selectable field {json_path} removed from version {version}: field selectors on it are now rejected"
                ),
                Value::String((*json_path).to_string()),
                Value::Null,
            ),
            Some(other) if other != entry => {
                out.unhandled(
                    Some(version),
                    entry_path,
                    Some(entry),
                    Some(other),
                    "a selectable field entry changed beyond its jsonPath",
                );
            }
            Some(_) => {}
        }
    }
    for json_path in n_keyed.keys().filter(|k| !o_keyed.contains_key(*k)) {
        out.add(
            RuleId::CrdSelectableFieldAdded,
            Some(version),
            path::entry(&path, "jsonPath", json_path),
            format!("selectable field {json_path} added to version {version}"),
            Value::Null,
            Value::String((*json_path).to_string()),
        );
    }
    if !same_multiset(&o_rest, &n_rest) {
        out.unhandled(
            Some(version),
            path,
            Some(&Value::Array(o_rest)),
            Some(&Value::Array(n_rest)),
            "selectable field entries without a usable jsonPath changed",
        );
    }
}

/// Entries keyed by their `jsonPath` (first occurrence), and the rest (duplicates, entries
/// without a string `jsonPath`), which are compared as a whole.
fn keyed_by_json_path<'v>(entries: &[&'v Value]) -> (BTreeMap<&'v str, &'v Value>, Vec<Value>) {
    let mut keyed = BTreeMap::new();
    let mut rest = Vec::new();
    for entry in entries {
        match entry.get("jsonPath").and_then(Value::as_str) {
            Some(key) if !keyed.contains_key(key) => {
                keyed.insert(key, *entry);
            }
            _ => rest.push((*entry).clone()),
        }
    }
    (keyed, rest)
}
