//! `type`, `format` and `x-kubernetes-int-or-string`: what kind of value a field holds.

use super::equal::opt_json_eq;
use super::keyword::Kw;
use super::node::NodeCx;
use super::show::{finding_value, word};
use crate::rules::RuleId;
use serde_json::Value;

pub(crate) fn check(n: &mut NodeCx<'_, '_, '_>) {
    int_or_string(n);
    type_(n);
    if n.is_stopped() {
        return;
    }
    format(n);
}

fn int_or_string(n: &mut NodeCx<'_, '_, '_>) {
    let (Some(old), Some(new)) = bool_pair(n.get(Kw::IntOrString)) else {
        return;
    };
    n.claim(Kw::IntOrString);
    if old == new {
        return;
    }
    // The `anyOf: [integer, string]` and the `type` that go with the toggle are the same edit.
    n.claim(Kw::Type);
    n.claim(Kw::AnyOf);
    let subject = n.subject();
    let message = if new {
        format!(
            "{subject} now accepts an integer or a string: clients reading one type may get the other"
        )
    } else {
        format!(
            "{subject} no longer accepts both an integer and a string: stored values of the other type no longer validate"
        )
    };
    n.emit(
        RuleId::IntOrStringChanged,
        Kw::IntOrString,
        message,
        Value::Bool(old),
        Value::Bool(new),
    );
}

/// A boolean keyword as `(old, new)`, absent meaning `false`; `None` on a side that is not a
/// boolean (left for the unhandled-change pass).
pub(crate) fn bool_pair(pair: (Option<&Value>, Option<&Value>)) -> (Option<bool>, Option<bool>) {
    let side = |v: Option<&Value>| match v {
        None => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => None,
    };
    (side(pair.0), side(pair.1))
}

fn type_(n: &mut NodeCx<'_, '_, '_>) {
    if n.is_claimed(Kw::Type) {
        return;
    }
    n.claim(Kw::Type);
    let (old, new) = n.get(Kw::Type);
    if opt_json_eq(old, new) {
        return;
    }
    let subject = n.subject();
    let (o, v) = (finding_value(old), finding_value(new));
    if old.and_then(Value::as_str) == Some("integer")
        && new.and_then(Value::as_str) == Some("number")
    {
        let message = format!(
            "type of {subject} widened from integer to number: clients decoding it as an integer may fail on fractions"
        );
        n.emit(RuleId::TypeWidened, Kw::Type, message, o, v);
        return;
    }
    let message = format!(
        "type of {subject} changed from {} to {}: stored values and clients of the old type break",
        word(old),
        word(new)
    );
    n.emit(RuleId::TypeChanged, Kw::Type, message, o, v);
    n.stop();
}

/// Format pairs where every value valid before stays valid and only gets a wider range.
const WIDENINGS: &[(&str, &str)] = &[
    ("int32", "int64"),
    ("float", "double"),
    ("date", "date-time"),
];

fn format(n: &mut NodeCx<'_, '_, '_>) {
    let (old, new) = n.get(Kw::Format);
    if !old.is_none_or(Value::is_string) || !new.is_none_or(Value::is_string) {
        return;
    }
    n.claim(Kw::Format);
    if opt_json_eq(old, new) {
        return;
    }
    let subject = n.subject();
    let (rule, message) = match (old.and_then(Value::as_str), new.and_then(Value::as_str)) {
        (Some(o), None) => (
            RuleId::FormatRemoved,
            format!(
                "format {o} removed from {subject}: clients relying on it may get other values"
            ),
        ),
        (Some(o), Some(v)) if WIDENINGS.contains(&(o, v)) => (
            RuleId::FormatWidened,
            format!(
                "format of {subject} widened from {o} to {v}: clients using the narrower type may fail"
            ),
        ),
        (None, Some(v)) => (
            RuleId::FormatChanged,
            format!("format {v} added to {subject}: values that do not match it are rejected"),
        ),
        (o, v) => (
            RuleId::FormatChanged,
            format!(
                "format of {subject} changed from {} to {}: stored values may no longer validate",
                o.unwrap_or("(none)"),
                v.unwrap_or("(none)")
            ),
        ),
    };
    n.emit(
        rule,
        Kw::Format,
        message,
        finding_value(old),
        finding_value(new),
    );
}
