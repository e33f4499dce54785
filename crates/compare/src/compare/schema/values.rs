//! `enum` and `default`: which values a field may hold and what it holds when unset.

use super::equal::{opt_json_eq, set_minus};
use super::keyword::Kw;
use super::node::NodeCx;
use super::show::{finding_list, finding_value, json, json_list};
use crate::report::plural as count;
use crate::rules::RuleId;
use serde_json::Value;

pub(crate) fn check(n: &mut NodeCx<'_, '_, '_>) {
    enum_(n);
    default(n);
}

fn enum_(n: &mut NodeCx<'_, '_, '_>) {
    let (old, new) = n.get(Kw::Enum);
    let (old, new) = match (old, new) {
        (None, None) => return n.claim(Kw::Enum),
        (Some(Value::Array(o)), Some(Value::Array(v))) => (Some(o), Some(v)),
        (Some(Value::Array(o)), None) => (Some(o), None),
        (None, Some(Value::Array(v))) => (None, Some(v)),
        // Not a list: left for the unhandled-change pass.
        _ => return,
    };
    n.claim(Kw::Enum);
    let subject = n.subject();
    match (old, new) {
        (Some(old), Some(new)) => {
            let removed = set_minus(old, new);
            if !removed.is_empty() {
                let message = format!(
                    "enum {} {} removed from {subject}: objects using {} are rejected",
                    plural(removed.len(), "value", "values"),
                    json_list(&removed),
                    plural(removed.len(), "it", "them"),
                );
                n.emit(
                    RuleId::EnumValueRemoved,
                    Kw::Enum,
                    message,
                    finding_list(&removed),
                    Value::Null,
                );
            }
            let added = set_minus(new, old);
            if !added.is_empty() {
                let message = format!(
                    "enum {} {} added to {subject}: clients that handle every value may not know {}",
                    plural(added.len(), "value", "values"),
                    json_list(&added),
                    plural(added.len(), "it", "them"),
                );
                n.emit(
                    RuleId::EnumValueAdded,
                    Kw::Enum,
                    message,
                    Value::Null,
                    finding_list(&added),
                );
            }
        }
        (None, Some(new)) => {
            let values: Vec<&Value> = new.iter().collect();
            let message = format!(
                "enum added to {subject}: only {} ({}) accepted, objects with other values are rejected",
                count(new.len(), "value", "values"),
                json_list(&values)
            );
            n.emit(
                RuleId::EnumAdded,
                Kw::Enum,
                message,
                Value::Null,
                finding_list(&values),
            );
        }
        (Some(old), None) => {
            let values: Vec<&Value> = old.iter().collect();
            let message = format!(
                "enum removed from {subject}: any value is accepted now, clients that handle every value may see new ones"
            );
            n.emit(
                RuleId::EnumRemoved,
                Kw::Enum,
                message,
                finding_list(&values),
                Value::Null,
            );
        }
        (None, None) => {}
    }
}

fn plural<'s>(n: usize, one: &'s str, many: &'s str) -> &'s str {
    if n == 1 { one } else { many }
}

fn default(n: &mut NodeCx<'_, '_, '_>) {
    n.claim(Kw::Default);
    let (old, new) = n.get(Kw::Default);
    if opt_json_eq(old, new) {
        return;
    }
    let subject = n.subject();
    let (rule, message) = match (old, new) {
        (None, Some(v)) => (
            RuleId::DefaultAdded,
            format!(
                "default {} added to {subject}: stored objects without it read back with it",
                json(v)
            ),
        ),
        (Some(o), None) => (
            RuleId::DefaultRemoved,
            format!(
                "default {} removed from {subject}: objects that omit it no longer get it",
                json(o)
            ),
        ),
        (Some(o), Some(v)) => (
            RuleId::DefaultChanged,
            format!(
                "default of {subject} changed from {} to {}: objects that omit it change meaning",
                json(o),
                json(v)
            ),
        ),
        (None, None) => return,
    };
    n.emit(
        rule,
        Kw::Default,
        message,
        finding_value(old),
        finding_value(new),
    );
}
