//! `spec.versions`, matched by name: versions added and removed, served, storage, deprecation,
//! and per version its schema, subresources, printer columns and selectable fields.

use super::findings::Findings;
use super::value::{flag, non_empty, present, same_multiset, show, to_value};
use super::{columns, subresources};
use crate::compare::path;
use crate::compare::schema::{SchemaCtx, compare_schemas};
use crate::rules::RuleId;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

const PATH: &str = "/spec/versions";
const CLAIMED: &[&str] = &[
    "name",
    "served",
    "storage",
    "deprecated",
    "deprecationWarning",
    "schema",
    "subresources",
    "additionalPrinterColumns",
    "selectableFields",
];

/// The entries of `spec.versions`, indexed by name.
pub(super) struct VersionList<'a> {
    /// Entries with a string `name`, first occurrence of each name, in document order.
    pub(super) named: Vec<(&'a str, &'a Map<String, Value>)>,
    /// Entries that cannot be matched by name: not objects, no name, or a repeated name.
    unmatched: Vec<Value>,
}

impl<'a> VersionList<'a> {
    /// Reads `spec.versions`; absent and `null` are an empty list, another shape is `None`.
    pub(super) fn read(versions: Option<&'a Value>) -> Option<VersionList<'a>> {
        let mut list = VersionList {
            named: Vec::new(),
            unmatched: Vec::new(),
        };
        let entries = match present(versions) {
            None => return Some(list),
            Some(Value::Array(entries)) => entries,
            Some(_) => return None,
        };
        for entry in entries {
            let named = entry
                .as_object()
                .and_then(|o| Some((o.get("name")?.as_str()?, o)));
            match named {
                Some((name, o)) if list.get(name).is_none() => list.named.push((name, o)),
                _ => list.unmatched.push(entry.clone()),
            }
        }
        Some(list)
    }

    pub(super) fn get(&self, name: &str) -> Option<&'a Map<String, Value>> {
        self.named.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// Names of the versions with `storage: true`.
    fn storage(&self) -> BTreeSet<&'a str> {
        self.named
            .iter()
            .filter(|(_, v)| flag(v.get("storage")) == Some(true))
            .map(|(n, _)| *n)
            .collect()
    }

    /// The served versions and their `openAPIV3Schema` (`None` when a version has none).
    pub(super) fn served(&self) -> Vec<(&'a str, Option<&'a Value>)> {
        self.named
            .iter()
            .filter(|(_, v)| flag(v.get("served")) == Some(true))
            .map(|(n, v)| (*n, openapi_schema(v)))
            .collect()
    }
}

/// `schema.openAPIV3Schema` of a version entry.
pub(super) fn openapi_schema(version: &Map<String, Value>) -> Option<&Value> {
    present(version.get("schema")?.get("openAPIV3Schema"))
}

/// Compares `spec.versions`; `stored` is the old CRD's `status.storedVersions`.
pub(super) fn compare(
    out: &mut Findings<'_>,
    old: Option<&Value>,
    new: Option<&Value>,
    stored: &BTreeSet<&str>,
) {
    let (Some(o), Some(n)) = (VersionList::read(old), VersionList::read(new)) else {
        out.unhandled_if_different(None, PATH.into(), old, new, "versions is not a list");
        return;
    };
    if !same_multiset(&o.unmatched, &n.unmatched) {
        out.unhandled(
            None,
            PATH.into(),
            Some(&Value::Array(o.unmatched.clone())),
            Some(&Value::Array(n.unmatched.clone())),
            "version entries without a unique name changed",
        );
    }
    for (name, old_version) in &o.named {
        match n.get(name) {
            Some(new_version) => compare_version(out, name, old_version, new_version),
            None => removed(out, name, old_version, stored),
        }
    }
    for (name, new_version) in &n.named {
        if o.get(name).is_none() {
            let unserved = if flag(new_version.get("served")) == Some(true) {
                ""
            } else {
                " (not served)"
            };
            out.add(
                RuleId::CrdVersionAdded,
                Some(name),
                path::version_path(name),
                format!("version {name} added{unserved}"),
                Value::Null,
                Value::String((*name).to_string()),
            );
        }
    }
    storage_moved(out, &o, &n);
}

fn removed(
    out: &mut Findings<'_>,
    name: &str,
    version: &Map<String, Value>,
    stored: &BTreeSet<&str>,
) {
    let (rule, message) = if stored.contains(name) {
        (
            RuleId::CrdStoredVersionRemoved,
            format!(
                "version {name} removed while the old CRD's status.storedVersions lists it: objects stored as {name} can no longer be read; migrate them and update storedVersions first"
            ),
        )
    } else if flag(version.get("served")) == Some(true) {
        (
            RuleId::CrdVersionRemoved,
            format!("version {name} removed: clients that use {name} fail"),
        )
    } else {
        (
            RuleId::CrdVersionRemoved,
            format!(
                "version {name} removed (it was already unserved): objects still stored as {name}, if any, can no longer be read"
            ),
        )
    };
    out.add(
        rule,
        Some(name),
        path::version_path(name),
        message,
        Value::String(name.to_string()),
        Value::Null,
    );
}

/// `crd-storage-version-changed`, once per CRD when the set of storage versions differs.
fn storage_moved(out: &mut Findings<'_>, o: &VersionList<'_>, n: &VersionList<'_>) {
    let (was, is) = (o.storage(), n.storage());
    if was == is {
        return;
    }
    let one_or_many = |set: &BTreeSet<&str>| -> Value {
        match set.len() {
            0 => Value::Null,
            1 => set
                .iter()
                .map(|s| Value::String((*s).to_string()))
                .next()
                .unwrap_or(Value::Null),
            _ => Value::Array(
                set.iter()
                    .map(|s| Value::String((*s).to_string()))
                    .collect(),
            ),
        }
    };
    let (old, new) = (one_or_many(&was), one_or_many(&is));
    let version = is.iter().next().copied();
    let path = match version {
        Some(v) => path::child(&path::version_path(v), "storage"),
        None => PATH.to_string(),
    };
    out.add(
        RuleId::CrdStorageVersionChanged,
        version,
        path,
        format!(
            "storage version changed from {} to {}: new writes are stored as {}, existing objects keep their stored version until rewritten",
            show(Some(&old)),
            show(Some(&new)),
            show(Some(&new))
        ),
        old,
        new,
    );
}

/// Compares one version present in both CRDs.
fn compare_version(
    out: &mut Findings<'_>,
    name: &str,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
) {
    let base = path::version_path(name);
    served(out, name, &base, o.get("served"), n.get("served"));
    // storage: true moving between versions is judged once per CRD (`storage_moved`); only
    // values that are not booleans are left to report here.
    if flag(o.get("storage")).is_none() || flag(n.get("storage")).is_none() {
        out.unhandled_if_different(
            Some(name),
            path::child(&base, "storage"),
            o.get("storage"),
            n.get("storage"),
            "storage is not a boolean",
        );
    }
    deprecation(out, name, &base, o, n);
    schema(out, name, &base, o.get("schema"), n.get("schema"));
    subresources::compare(
        out,
        name,
        &base,
        o.get("subresources"),
        n.get("subresources"),
    );
    columns::printer_columns(
        out,
        name,
        &base,
        o.get("additionalPrinterColumns"),
        n.get("additionalPrinterColumns"),
    );
    columns::selectable_fields(
        out,
        name,
        &base,
        o.get("selectableFields"),
        n.get("selectableFields"),
    );
    out.unclaimed(Some(name), &base, o, n, CLAIMED);
}

fn served(
    out: &mut Findings<'_>,
    name: &str,
    base: &str,
    old: Option<&Value>,
    new: Option<&Value>,
) {
    let path = path::child(base, "served");
    match (flag(old), flag(new)) {
        (Some(true), Some(false)) => out.add(
            RuleId::CrdVersionUnserved,
            Some(name),
            path,
            format!("version {name} is no longer served: clients that use {name} fail"),
            Value::Bool(true),
            Value::Bool(false),
        ),
        (Some(false), Some(true)) => out.add(
            RuleId::CrdVersionServed,
            Some(name),
            path,
            format!("version {name} is now served"),
            Value::Bool(false),
            Value::Bool(true),
        ),
        (Some(_), Some(_)) => {}
        _ => {
            out.unhandled_if_different(Some(name), path, old, new, "served is not a boolean");
        }
    }
}

/// `deprecated` and `deprecationWarning` together: deprecating a version with a warning is one
/// edit, so it is one change.
fn deprecation(
    out: &mut Findings<'_>,
    name: &str,
    base: &str,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
) {
    let (was, is) = (flag(o.get("deprecated")), flag(n.get("deprecated")));
    let (old_warning, new_warning) = (
        present(o.get("deprecationWarning")),
        present(n.get("deprecationWarning")),
    );
    let warning_note = new_warning
        .map(|w| format!(" (warning: {})", show(Some(w))))
        .unwrap_or_default();
    match (was, is) {
        (Some(false), Some(true)) => out.add(
            RuleId::CrdVersionDeprecated,
            Some(name),
            path::child(base, "deprecated"),
            format!("version {name} deprecated{warning_note}"),
            Value::Bool(false),
            Value::Bool(true),
        ),
        (Some(true), Some(false)) => out.add(
            RuleId::CrdVersionDeprecated,
            Some(name),
            path::child(base, "deprecated"),
            format!("version {name} is no longer deprecated"),
            Value::Bool(true),
            Value::Bool(false),
        ),
        (Some(_), Some(_)) => {
            if old_warning != new_warning {
                out.add(
                    RuleId::CrdVersionDeprecated,
                    Some(name),
                    path::child(base, "deprecationWarning"),
                    format!(
                        "deprecation warning of version {name} changed from {} to {}",
                        show(old_warning),
                        show(new_warning)
                    ),
                    to_value(old_warning),
                    to_value(new_warning),
                );
            }
        }
        _ => {
            out.unhandled_if_different(
                Some(name),
                path::child(base, "deprecated"),
                o.get("deprecated"),
                n.get("deprecated"),
                "deprecated is not a boolean",
            );
            out.unhandled_if_different(
                Some(name),
                path::child(base, "deprecationWarning"),
                old_warning,
                new_warning,
                "deprecated is not a boolean, so the warning cannot be judged",
            );
        }
    }
}

/// `schema.openAPIV3Schema`, handed to the schema walker. A schema present on one side only is a
/// difference no property rule can judge.
fn schema(
    out: &mut Findings<'_>,
    name: &str,
    base: &str,
    old: Option<&Value>,
    new: Option<&Value>,
) {
    let path = path::child(base, "schema");
    let (o, n) = match (non_empty(old), non_empty(new)) {
        (None, None) => return,
        (Some(Value::Object(o)), Some(Value::Object(n))) => (o, n),
        (o, n) => {
            out.unhandled(
                Some(name),
                path,
                o,
                n,
                "the schema exists on one side only (or is not an object)",
            );
            return;
        }
    };
    let key = "openAPIV3Schema";
    match (present(o.get(key)), present(n.get(key))) {
        (None, None) => {}
        (Some(old_schema), Some(new_schema)) => {
            let ctx = SchemaCtx {
                crd: out.crd(),
                version: name,
                base_path: path::schema_root_path(name),
            };
            out.extend(compare_schemas(&ctx, old_schema, new_schema));
        }
        (was, is) => out.unhandled(
            Some(name),
            path::child(&path, key),
            was,
            is,
            "openAPIV3Schema exists on one side only",
        ),
    }
    out.unclaimed(Some(name), &path, o, n, &[key]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeated_and_nameless_entries_are_unmatched() {
        let versions = json!([{"name": "v1"}, {"name": "v1", "served": true}, {"served": true}, 3]);
        let list = VersionList::read(Some(&versions)).expect("a list");
        assert_eq!(list.named.len(), 1);
        assert_eq!(list.unmatched.len(), 3);
        assert!(VersionList::read(Some(&json!("v1"))).is_none());
        assert!(VersionList::read(None).is_some_and(|l| l.named.is_empty()));
    }
}
