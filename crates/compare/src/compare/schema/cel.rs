//! `x-kubernetes-validations`: CEL rules.
//!
//! A rule's identity is its expression, `reason` and `optionalOldSelf`: rules with the same
//! identity are the same rule wherever they sit in the list, and only their wording
//! (`message`, `messageExpression`, `fieldPath`) can differ. Rules left over on both sides are
//! paired (same `message` first, then in order) and reported as changed; the rest are added or
//! removed.

use super::equal::{json_eq, opt_json_eq};
use super::keyword::Kw;
use super::node::NodeCx;
use super::show::{finding_value, snippet};
use crate::rules::RuleId;
use serde_json::{Map, Value};

/// What an absent `reason` means to the API server.
const DEFAULT_REASON: &str = "FieldValueInvalid";

/// Keys that make a rule's identity.
const IDENTITY: &[&str] = &["rule", "reason", "optionalOldSelf"];

/// Keys that only word the error of a rule.
const WORDING: &[&str] = &["message", "messageExpression", "fieldPath"];

/// One rule of the list.
#[derive(Clone, Copy)]
struct Rule<'a> {
    value: &'a Value,
    map: &'a Map<String, Value>,
}

pub(crate) fn check(n: &mut NodeCx<'_, '_, '_>) {
    let (old, new) = n.get(Kw::Validations);
    let (Some(old), Some(new)) = (rules(old), rules(new)) else {
        return; // not a list of objects: left for the unhandled-change pass
    };
    n.claim(Kw::Validations);
    if old.is_empty() && new.is_empty() {
        return;
    }

    let mut new_slots: Vec<Option<Rule<'_>>> = new.into_iter().map(Some).collect();
    let mut old_left: Vec<Rule<'_>> = Vec::new();
    for o in old {
        let same = new_slots
            .iter_mut()
            .find(|slot| slot.is_some_and(|v| same_identity(o, v)));
        match same.and_then(Option::take) {
            Some(v) => same_rule(n, o, v),
            None => old_left.push(o),
        }
    }
    let mut new_left: Vec<Rule<'_>> = new_slots.into_iter().flatten().collect();

    // Pair leftovers with the same message first: an edited expression usually keeps its message.
    let mut pairs = Vec::new();
    old_left.retain(|o| {
        let found = o.map.get("message").and_then(|m| {
            new_left
                .iter()
                .position(|v| v.map.get("message").is_some_and(|vm| json_eq(m, vm)))
        });
        match found {
            Some(i) => {
                pairs.push((*o, new_left.remove(i)));
                false
            }
            None => true,
        }
    });
    let by_order = old_left.len().min(new_left.len());
    pairs.extend(old_left.drain(..by_order).zip(new_left.drain(..by_order)));

    for (o, v) in pairs {
        changed_rule(n, o, v);
    }
    let subject = n.subject();
    for v in new_left {
        let message = format!(
            "validation rule {} added to {subject}: objects that fail it are rejected",
            rule_text(v)
        );
        n.emit(
            RuleId::CelRuleAdded,
            Kw::Validations,
            message,
            Value::Null,
            finding_value(Some(v.value)),
        );
    }
    for o in old_left {
        let message = format!(
            "validation rule {} removed from {subject}: clients may see values it used to reject",
            rule_text(o)
        );
        n.emit(
            RuleId::CelRuleRemoved,
            Kw::Validations,
            message,
            finding_value(Some(o.value)),
            Value::Null,
        );
    }
}

/// The rules of one side; absent is no rules; `None` if it is not a list of objects.
fn rules(v: Option<&Value>) -> Option<Vec<Rule<'_>>> {
    match v {
        None => Some(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .map(|value| value.as_object().map(|map| Rule { value, map }))
            .collect(),
        Some(_) => None,
    }
}

/// A key of a rule, `None` where it is absent or set to what absence means.
fn key_of<'a>(rule: Rule<'a>, key: &str) -> Option<&'a Value> {
    match (key, rule.map.get(key)?) {
        (_, Value::Null) => None,
        ("optionalOldSelf", Value::Bool(false)) => None,
        ("reason", Value::String(s)) if s == DEFAULT_REASON => None,
        (_, v) => Some(v),
    }
}

fn keys_eq(a: Rule<'_>, b: Rule<'_>, key: &str) -> bool {
    opt_json_eq(key_of(a, key), key_of(b, key))
}

fn same_identity(a: Rule<'_>, b: Rule<'_>) -> bool {
    IDENTITY.iter().all(|k| keys_eq(a, b, k))
}

/// The rule's expression as shown in messages.
fn rule_text(rule: Rule<'_>) -> String {
    match rule.map.get("rule") {
        Some(Value::String(s)) => format!("`{}`", snippet(s)),
        Some(v) => format!("`{}`", snippet(&v.to_string())),
        None => "(without an expression)".to_string(),
    }
}

/// Two rules with the same identity: only their wording, or keys no rule knows, can differ.
fn same_rule(n: &mut NodeCx<'_, '_, '_>, old: Rule<'_>, new: Rule<'_>) {
    let subject = n.subject();
    let (o, v) = (
        finding_value(Some(old.value)),
        finding_value(Some(new.value)),
    );
    let reworded: Vec<&str> = WORDING
        .iter()
        .copied()
        .filter(|k| !keys_eq(old, new, k))
        .collect();
    if !reworded.is_empty() {
        let message = format!(
            "{} of validation rule {} on {subject} changed",
            reworded.join(" and "),
            rule_text(new)
        );
        n.emit(
            RuleId::CelMessageChanged,
            Kw::Validations,
            message,
            o.clone(),
            v.clone(),
        );
    }
    let known = |k: &str| IDENTITY.contains(&k) || WORDING.contains(&k);
    let unknown: Vec<&str> = old
        .map
        .keys()
        .chain(new.map.keys().filter(|k| !old.map.contains_key(*k)))
        .map(String::as_str)
        .filter(|k| !known(k) && !keys_eq(old, new, k))
        .collect();
    if !unknown.is_empty() {
        let message = format!(
            "{} of validation rule {} on {subject} changed: no rule judges it, review it by hand",
            unknown.join(" and "),
            rule_text(new)
        );
        n.emit(RuleId::UnhandledChange, Kw::Validations, message, o, v);
    }
}

/// A rule whose identity changed (paired by message or position).
fn changed_rule(n: &mut NodeCx<'_, '_, '_>, old: Rule<'_>, new: Rule<'_>) {
    let subject = n.subject();
    let what = if keys_eq(old, new, "rule") {
        let parts: Vec<&str> = IDENTITY
            .iter()
            .copied()
            .filter(|k| !keys_eq(old, new, k))
            .collect();
        format!(
            "{} of validation rule {} on {subject} changed",
            parts.join(" and "),
            rule_text(old)
        )
    } else {
        format!(
            "validation rule on {subject} changed from {} to {}",
            rule_text(old),
            rule_text(new)
        )
    };
    let message = format!("{what}: objects valid before may be rejected");
    let (o, v) = (
        finding_value(Some(old.value)),
        finding_value(Some(new.value)),
    );
    n.emit(RuleId::CelRuleChanged, Kw::Validations, message, o, v);
}
