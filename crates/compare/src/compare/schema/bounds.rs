//! Value constraints: bounds (`maximum`, `maxLength`, ..., `exclusiveMaximum`), `multipleOf`,
//! `pattern`, `nullable` and `uniqueItems`.

use super::equal::{num_cmp, opt_json_eq};
use super::keyword::Kw;
use super::node::NodeCx;
use super::show::{finding_value, json, word};
use super::types::bool_pair;
use crate::rules::RuleId;
use serde_json::Value;
use std::cmp::Ordering;

pub(crate) fn check(n: &mut NodeCx<'_, '_, '_>) {
    for kw in [Kw::Maximum, Kw::MaxLength, Kw::MaxItems, Kw::MaxProperties] {
        bound(n, kw, Direction::Upper);
    }
    for kw in [Kw::Minimum, Kw::MinLength, Kw::MinItems, Kw::MinProperties] {
        bound(n, kw, Direction::Lower);
    }
    for kw in [Kw::ExclusiveMaximum, Kw::ExclusiveMinimum] {
        exclusive(n, kw);
    }
    multiple_of(n);
    pattern(n);
    nullable(n);
    unique_items(n);
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Upper,
    Lower,
}

fn bound(n: &mut NodeCx<'_, '_, '_>, kw: Kw, dir: Direction) {
    let (old, new) = n.get(kw);
    let (old_num, new_num) = (old.map(Value::as_number), new.map(Value::as_number));
    if matches!(old_num, Some(None)) || matches!(new_num, Some(None)) {
        return; // not a number: left for the unhandled-change pass
    }
    n.claim(kw);
    let subject = n.subject();
    let name = kw.name();
    let (rule, message) = match (old_num.flatten(), new_num.flatten()) {
        (None, None) => return,
        (None, Some(v)) => match dir {
            Direction::Upper => (
                RuleId::MaxAdded,
                format!("{name} {v} added to {subject}: larger values are rejected"),
            ),
            Direction::Lower => (
                RuleId::MinAdded,
                format!("{name} {v} added to {subject}: smaller values are rejected"),
            ),
        },
        (Some(o), None) => match dir {
            Direction::Upper => (
                RuleId::MaxRelaxed,
                format!("{name} {o} removed from {subject}: clients may see larger values"),
            ),
            Direction::Lower => (
                RuleId::MinRelaxed,
                format!("{name} {o} removed from {subject}: clients may see smaller values"),
            ),
        },
        (Some(o), Some(v)) => match (num_cmp(o, v), dir) {
            (Some(Ordering::Equal), _) => return,
            (Some(Ordering::Greater), Direction::Upper) => (
                RuleId::MaxDecreased,
                format!(
                    "{name} of {subject} decreased from {o} to {v}: values above {v} are rejected"
                ),
            ),
            (Some(Ordering::Less), Direction::Upper) => (
                RuleId::MaxRelaxed,
                format!(
                    "{name} of {subject} increased from {o} to {v}: clients may see larger values"
                ),
            ),
            (Some(Ordering::Less), Direction::Lower) => (
                RuleId::MinIncreased,
                format!(
                    "{name} of {subject} increased from {o} to {v}: values below {v} are rejected"
                ),
            ),
            (Some(Ordering::Greater), Direction::Lower) => (
                RuleId::MinRelaxed,
                format!(
                    "{name} of {subject} decreased from {o} to {v}: clients may see smaller values"
                ),
            ),
            // Unordered numbers cannot occur in JSON; should they, the difference is not lost.
            (None, _) => (
                RuleId::UnhandledChange,
                format!("{name} of {subject} changed from {o} to {v}: review it by hand"),
            ),
        },
    };
    n.emit(rule, kw, message, finding_value(old), finding_value(new));
}

fn exclusive(n: &mut NodeCx<'_, '_, '_>, kw: Kw) {
    let (Some(old), Some(new)) = bool_pair(n.get(kw)) else {
        return;
    };
    n.claim(kw);
    if old == new {
        return;
    }
    let subject = n.subject();
    let name = kw.name();
    let bound = if kw == Kw::ExclusiveMaximum {
        "maximum"
    } else {
        "minimum"
    };
    let (rule, message) = if new {
        (
            RuleId::ExclusiveBoundEnabled,
            format!("{name} enabled on {subject}: a value equal to the {bound} is rejected now"),
        )
    } else {
        (
            RuleId::ExclusiveBoundDisabled,
            format!("{name} disabled on {subject}: a value equal to the {bound} is accepted now"),
        )
    };
    n.emit(rule, kw, message, Value::Bool(old), Value::Bool(new));
}

fn multiple_of(n: &mut NodeCx<'_, '_, '_>) {
    let (old, new) = n.get(Kw::MultipleOf);
    if !old.is_none_or(Value::is_number) || !new.is_none_or(Value::is_number) {
        return;
    }
    n.claim(Kw::MultipleOf);
    if opt_json_eq(old, new) {
        return;
    }
    let subject = n.subject();
    let (rule, message) = match (old, new) {
        (Some(o), None) => (
            RuleId::MultipleOfRemoved,
            format!("multipleOf {o} removed from {subject}: clients may see other values"),
        ),
        (None, Some(v)) => (
            RuleId::MultipleOfChanged,
            format!(
                "multipleOf {v} added to {subject}: values that are not multiples of {v} are rejected"
            ),
        ),
        _ => (
            RuleId::MultipleOfChanged,
            format!(
                "multipleOf of {subject} changed from {} to {}: stored values may no longer validate",
                word(old),
                word(new)
            ),
        ),
    };
    n.emit(
        rule,
        Kw::MultipleOf,
        message,
        finding_value(old),
        finding_value(new),
    );
}

fn pattern(n: &mut NodeCx<'_, '_, '_>) {
    let (old, new) = n.get(Kw::Pattern);
    if !old.is_none_or(Value::is_string) || !new.is_none_or(Value::is_string) {
        return;
    }
    n.claim(Kw::Pattern);
    if opt_json_eq(old, new) {
        return;
    }
    let subject = n.subject();
    let (rule, message) = match (old, new) {
        (None, Some(v)) => (
            RuleId::PatternAdded,
            format!(
                "pattern {} added to {subject}: values that do not match are rejected",
                json(v)
            ),
        ),
        (Some(o), None) => (
            RuleId::PatternRemoved,
            format!(
                "pattern {} removed from {subject}: clients may see values that do not match it",
                json(o)
            ),
        ),
        _ => (
            RuleId::PatternChanged,
            format!(
                "pattern of {subject} changed from {} to {}: stored values may no longer match",
                word(old),
                word(new)
            ),
        ),
    };
    n.emit(
        rule,
        Kw::Pattern,
        message,
        finding_value(old),
        finding_value(new),
    );
}

fn nullable(n: &mut NodeCx<'_, '_, '_>) {
    let (Some(old), Some(new)) = bool_pair(n.get(Kw::Nullable)) else {
        return;
    };
    n.claim(Kw::Nullable);
    if old == new {
        return;
    }
    let subject = n.subject();
    let (rule, message) = if new {
        (
            RuleId::NullableAdded,
            format!("{subject} is nullable now: clients may read null"),
        )
    } else {
        (
            RuleId::NullableRemoved,
            format!(
                "{subject} is no longer nullable: objects that set it to null are rejected or lose it"
            ),
        )
    };
    n.emit(
        rule,
        Kw::Nullable,
        message,
        Value::Bool(old),
        Value::Bool(new),
    );
}

fn unique_items(n: &mut NodeCx<'_, '_, '_>) {
    let (Some(old), Some(new)) = bool_pair(n.get(Kw::UniqueItems)) else {
        return;
    };
    n.claim(Kw::UniqueItems);
    if old == new {
        return;
    }
    let subject = n.subject();
    // No rule id covers true -> false (a loosening); it is reported, never dropped, as
    // unhandled-change, so that a user can ignore or re-rate it in the config.
    let (rule, message) = if new {
        (
            RuleId::UniqueItemsEnabled,
            format!("uniqueItems enabled on {subject}: lists with duplicate items are rejected"),
        )
    } else {
        (
            RuleId::UnhandledChange,
            format!(
                "uniqueItems disabled on {subject}: lists with duplicate items are accepted now (a loosening no rule covers; review it)"
            ),
        )
    };
    n.emit(
        rule,
        Kw::UniqueItems,
        message,
        Value::Bool(old),
        Value::Bool(new),
    );
}
