//! The shape of objects and lists: `properties`, `required`, `items` and `additionalProperties`.
//! This family is the one that queues child nodes for the walker.

use super::empty_schema;
use super::keyword::Kw;
use super::node::{NodeCx, Seg};
use super::show::finding_value;
use crate::rules::RuleId;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

pub(crate) fn check(n: &mut NodeCx<'_, '_, '_>) {
    // First: an object <-> map switch claims `properties` (one edit, one finding).
    additional_properties(n);
    properties(n);
    required(n);
    items(n);
}

/// The `properties` of one side: `Some(None)` when absent, `None` when not an object.
fn property_map(v: Option<&Value>) -> Option<Option<&Map<String, Value>>> {
    match v {
        None => Some(None),
        Some(Value::Object(m)) => Some(Some(m)),
        Some(_) => None,
    }
}

/// The `required` names of one side, `None` when it is not a list of strings.
fn required_names(v: Option<&Value>) -> Option<Vec<&str>> {
    match v {
        None => Some(Vec::new()),
        Some(Value::Array(list)) => list.iter().map(Value::as_str).collect(),
        Some(_) => None,
    }
}

fn properties(n: &mut NodeCx<'_, '_, '_>) {
    if n.is_claimed(Kw::Properties) {
        return;
    }
    let (old, new) = n.get(Kw::Properties);
    let (Some(old), Some(new)) = (property_map(old), property_map(new)) else {
        return; // not an object: left for the unhandled-change pass
    };
    n.claim(Kw::Properties);
    let (old, new) = (old.unwrap_or(empty_schema()), new.unwrap_or(empty_schema()));
    let required_old = required_names(n.get(Kw::Required).0).unwrap_or_default();
    let required_new = required_names(n.get(Kw::Required).1).unwrap_or_default();

    for (key, old_schema) in old {
        match new.get(key) {
            Some(new_schema) => n.push_child(Seg::Property(key), old_schema, new_schema),
            None => {
                let message = format!(
                    "field {}{} removed: stored values are pruned and clients that set or read it break",
                    n.child_field(key),
                    type_note(old_schema)
                );
                n.emit_at(
                    RuleId::FieldRemoved,
                    &["properties", key],
                    Some(key),
                    message,
                    finding_value(Some(old_schema)),
                    Value::Null,
                );
            }
        }
    }
    for (key, new_schema) in new {
        if old.contains_key(key) {
            continue;
        }
        let required = required_new.contains(&key.as_str());
        let was_required = required_old.contains(&key.as_str());
        // A new property that is newly required is reported once, as required-added.
        if required && !was_required {
            continue;
        }
        // Required before it was declared: no rule of RULES.md judges declaring it.
        if required {
            let message = format!(
                "field {}{} declared; it was already required without a schema, so values \
                 stored under it were not checked before: make sure they fit",
                n.child_field(key),
                type_note(new_schema)
            );
            n.emit_at(
                RuleId::UnhandledChange,
                &["properties", key],
                Some(key),
                message,
                Value::Null,
                finding_value(Some(new_schema)),
            );
            continue;
        }
        let message = format!(
            "optional field {}{} added",
            n.child_field(key),
            type_note(new_schema)
        );
        n.emit_at(
            RuleId::FieldAdded,
            &["properties", key],
            Some(key),
            message,
            Value::Null,
            finding_value(Some(new_schema)),
        );
    }
}

/// ` (string)` for a schema with a type, else nothing.
fn type_note(schema: &Value) -> String {
    match schema.get("type").and_then(Value::as_str) {
        Some(t) => format!(" ({t})"),
        None => String::new(),
    }
}

fn required(n: &mut NodeCx<'_, '_, '_>) {
    let (old, new) = n.get(Kw::Required);
    let (Some(old), Some(new)) = (required_names(old), required_names(new)) else {
        return;
    };
    n.claim(Kw::Required);
    let old: BTreeSet<&str> = old.into_iter().collect();
    let new: BTreeSet<&str> = new.into_iter().collect();
    let subject = n.subject();
    for name in new.difference(&old) {
        let message = format!("required field {name} added to {subject}");
        n.emit_at(
            RuleId::RequiredAdded,
            &[Kw::Required.name()],
            Some(name),
            message,
            Value::Null,
            Value::String((*name).to_string()),
        );
    }
    for name in old.difference(&new) {
        let message = format!(
            "field {name} of {subject} is no longer required: clients may see objects without it"
        );
        n.emit_at(
            RuleId::RequiredRemoved,
            &[Kw::Required.name()],
            Some(name),
            message,
            Value::String((*name).to_string()),
            Value::Null,
        );
    }
}

fn items(n: &mut NodeCx<'_, '_, '_>) {
    match n.get(Kw::Items) {
        (None, None) => n.claim(Kw::Items),
        (Some(old @ Value::Object(_)), Some(new @ Value::Object(_))) => {
            n.claim(Kw::Items);
            n.push_child(Seg::Items, old, new);
        }
        // Items appearing, disappearing or written as a tuple: left for the unhandled-change pass.
        _ => {}
    }
}

/// What `additionalProperties` allows.
#[derive(Clone, Copy)]
enum Extra<'a> {
    /// Absent or `true`: no map value schema.
    Open,
    /// `false`.
    Closed,
    /// A map value schema.
    Schema(&'a Value),
}

fn extra(v: Option<&Value>) -> Option<Extra<'_>> {
    match v {
        None => Some(Extra::Open),
        Some(Value::Bool(false)) => Some(Extra::Closed),
        Some(s @ Value::Object(_)) => Some(Extra::Schema(s)),
        Some(_) => None,
    }
}

fn additional_properties(n: &mut NodeCx<'_, '_, '_>) {
    let (old_raw, new_raw) = n.get(Kw::AdditionalProperties);
    let (Some(old), Some(new)) = (extra(old_raw), extra(new_raw)) else {
        return;
    };
    n.claim(Kw::AdditionalProperties);
    let subject = n.subject();
    let (props_old, props_new) = n.get(Kw::Properties);
    let message = match (old, new) {
        (Extra::Schema(o), Extra::Schema(v)) => return n.push_child(Seg::MapValues, o, v),
        (Extra::Open, Extra::Open) | (Extra::Closed, Extra::Closed) => return,
        (Extra::Schema(_), _) if props_old.is_none() && props_new.is_some() => {
            n.claim(Kw::Properties);
            format!(
                "{subject} changed from a map to an object with fixed properties: stored keys that are not properties are pruned"
            )
        }
        (_, Extra::Schema(_)) if props_old.is_some() && props_new.is_none() => {
            n.claim(Kw::Properties);
            format!(
                "{subject} changed from an object with fixed properties to a map: clients reading its properties break"
            )
        }
        (Extra::Schema(_), Extra::Closed) => format!(
            "map value schema of {subject} replaced by additionalProperties: false: stored maps with keys are rejected"
        ),
        (Extra::Schema(_), Extra::Open) => {
            format!("map value schema of {subject} removed: stored map values are pruned")
        }
        (_, Extra::Schema(_)) => {
            format!(
                "map value schema added to {subject}: stored values that do not match it no longer validate"
            )
        }
        (Extra::Open, Extra::Closed) => {
            format!(
                "additionalProperties: false added to {subject}: objects with fields outside its properties are rejected"
            )
        }
        (Extra::Closed, Extra::Open) => {
            format!(
                "additionalProperties: false removed from {subject}: fields outside its properties are no longer rejected"
            )
        }
    };
    n.emit(
        RuleId::AdditionalPropertiesChanged,
        Kw::AdditionalProperties,
        message,
        finding_value(old_raw),
        finding_value(new_raw),
    );
}
