//! `spec.names`: plural and kind (breaking), singular and listKind (warning), short names and
//! categories (sets: an entry removed is a warning, an entry added is compatible).

use super::findings::Findings;
use super::value::{object_of, present, show, string_set, to_value};
use crate::compare::path;
use crate::rules::RuleId;
use serde_json::{Map, Value};

const PATH: &str = "/spec/names";
const CLAIMED: &[&str] = &[
    "plural",
    "singular",
    "kind",
    "listKind",
    "shortNames",
    "categories",
];

/// Compares `spec.names` of the old and new CRD.
pub(super) fn compare(out: &mut Findings<'_>, old: Option<&Value>, new: Option<&Value>) {
    let (Some(o), Some(n)) = (object_of(old), object_of(new)) else {
        out.unhandled_if_different(None, PATH.into(), old, new, "names is not an object");
        return;
    };
    identity(out, RuleId::CrdPluralChanged, o, n, "plural", "plural name");
    identity(out, RuleId::CrdKindChanged, o, n, "kind", "kind");
    defaulted(out, o, n, "singular", |kind| kind.to_lowercase());
    defaulted(out, o, n, "listKind", |kind| format!("{kind}List"));
    entries(out, o, n, "shortNames", "short name");
    entries(out, o, n, "categories", "category");
    out.unclaimed(None, PATH, o, n, CLAIMED);
}

/// plural and kind: part of every client's request, so any change breaks them.
fn identity(
    out: &mut Findings<'_>,
    rule: RuleId,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    key: &str,
    what: &str,
) {
    let (old, new) = (present(o.get(key)), present(n.get(key)));
    if old == new {
        return;
    }
    out.add(
        rule,
        None,
        path::child(PATH, key),
        format!(
            "{what} changed from {} to {}: clients and stored objects that use the old {what} break",
            show(old),
            show(new)
        ),
        to_value(old),
        to_value(new),
    );
}

/// singular and listKind: the API server fills them from `kind` when absent, so an absent value
/// equals the value derived from that side's kind. When both are absent any change follows from
/// a kind change, which is reported on its own.
fn defaulted(
    out: &mut Findings<'_>,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    key: &str,
    derive: impl Fn(&str) -> String,
) {
    let (old, new) = (present(o.get(key)), present(n.get(key)));
    if old.is_none() && new.is_none() {
        return;
    }
    let effective = |explicit: Option<&Value>, names: &Map<String, Value>| -> Option<Value> {
        explicit.cloned().or_else(|| {
            names
                .get("kind")
                .and_then(Value::as_str)
                .map(|kind| Value::String(derive(kind)))
        })
    };
    let (old_eff, new_eff) = (effective(old, o), effective(new, n));
    if old_eff == new_eff {
        return;
    }
    out.add(
        RuleId::CrdNamesChanged,
        None,
        path::child(PATH, key),
        format!(
            "{key} changed from {} to {}",
            show(old_eff.as_ref()),
            show(new_eff.as_ref())
        ),
        old_eff.unwrap_or(Value::Null),
        new_eff.unwrap_or(Value::Null),
    );
}

/// shortNames and categories: sets of strings, one change per entry.
fn entries(
    out: &mut Findings<'_>,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    key: &str,
    what: &str,
) {
    let path = path::child(PATH, key);
    let (Some(old), Some(new)) = (string_set(o.get(key)), string_set(n.get(key))) else {
        out.unhandled_if_different(None, path, o.get(key), n.get(key), "not a list of strings");
        return;
    };
    for gone in old.difference(&new) {
        let consequence = match key {
            "categories" => format!("`kubectl get {gone}` no longer lists this resource"),
            _ => format!("`kubectl get {gone}` no longer works"),
        };
        out.add(
            RuleId::CrdNamesChanged,
            None,
            path.clone(),
            format!("{what} {gone} removed: {consequence}"),
            Value::String((*gone).to_string()),
            Value::Null,
        );
    }
    for added in new.difference(&old) {
        out.add(
            RuleId::CrdNamesAdded,
            None,
            path.clone(),
            format!("{what} {added} added"),
            Value::Null,
            Value::String((*added).to_string()),
        );
    }
}
