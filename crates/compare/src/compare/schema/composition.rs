//! `oneOf`, `anyOf`, `allOf` and `not`. Branches are compared as wholes (by meaning, see
//! [`schema_eq`]), never walked: a branch is a constraint, not a place where fields live.

use super::equal::schema_eq;
use super::keyword::Kw;
use super::node::NodeCx;
use super::show::{finding_list, finding_value};
use crate::report::plural as count;
use crate::rules::RuleId;
use serde_json::Value;

pub(crate) fn check(n: &mut NodeCx<'_, '_, '_>) {
    one_of(n);
    any_of(n);
    all_of(n);
    not(n);
}

/// The branches of a composition keyword; `None` when a side is not a list (left for the
/// unhandled-change pass). Absent is no branches.
fn branches<'a>(n: &NodeCx<'a, '_, '_>, kw: Kw) -> Option<(&'a [Value], &'a [Value])> {
    let side = |v: Option<&'a Value>| match v {
        None => Some(&[][..]),
        Some(Value::Array(a)) => Some(a.as_slice()),
        Some(_) => None,
    };
    let (old, new) = n.get(kw);
    Some((side(old)?, side(new)?))
}

/// Branches of `from` with no branch of the same meaning in `to`.
fn missing<'a>(from: &'a [Value], to: &[Value]) -> Vec<&'a Value> {
    from.iter()
        .filter(|f| !to.iter().any(|t| schema_eq(f, t)))
        .collect()
}

fn one_of(n: &mut NodeCx<'_, '_, '_>) {
    branch_set(
        n,
        Kw::OneOf,
        RuleId::OneOfChanged,
        "exactly one of",
        "objects valid before may match no branch or several",
    );
}

fn any_of(n: &mut NodeCx<'_, '_, '_>) {
    // Claimed already when it came with an x-kubernetes-int-or-string toggle.
    if n.is_claimed(Kw::AnyOf) {
        return;
    }
    branch_set(
        n,
        Kw::AnyOf,
        RuleId::AnyOfChanged,
        "one of",
        "objects valid before may match no branch",
    );
}

/// `oneOf` / `anyOf`: the branches compared as a set (by meaning), one finding when they differ.
fn branch_set(n: &mut NodeCx<'_, '_, '_>, kw: Kw, rule: RuleId, must_match: &str, risk: &str) {
    let Some((old, new)) = branches(n, kw) else {
        return;
    };
    n.claim(kw);
    let (removed, added) = (missing(old, new), missing(new, old));
    if removed.is_empty() && added.is_empty() {
        return;
    }
    let (subject, name) = (n.subject(), kw.name());
    let message = if old.is_empty() {
        format!(
            "{name} added to {subject}: objects must match {must_match} its {}",
            count(new.len(), "branch", "branches")
        )
    } else if new.is_empty() {
        format!(
            "{name} removed from {subject}: clients relying on its branches may see other shapes"
        )
    } else {
        format!(
            "{name} of {subject} changed ({} added, {} removed): {risk}",
            count(added.len(), "branch", "branches"),
            count(removed.len(), "branch", "branches")
        )
    };
    let (o, v) = n.get(kw);
    n.emit(rule, kw, message, finding_value(o), finding_value(v));
}

fn all_of(n: &mut NodeCx<'_, '_, '_>) {
    let Some((old, new)) = branches(n, Kw::AllOf) else {
        return;
    };
    n.claim(Kw::AllOf);
    let subject = n.subject();
    let added = missing(new, old);
    if !added.is_empty() {
        let message = format!(
            "{} added to allOf of {subject}: objects must match {} too",
            count(added.len(), "branch", "branches"),
            if added.len() == 1 { "it" } else { "them" }
        );
        n.emit(
            RuleId::AllOfBranchAdded,
            Kw::AllOf,
            message,
            Value::Null,
            finding_list(&added),
        );
    }
    let removed = missing(old, new);
    if !removed.is_empty() {
        let message = format!(
            "{} removed from allOf of {subject}: clients may see values it used to exclude",
            count(removed.len(), "branch", "branches")
        );
        n.emit(
            RuleId::AllOfBranchRemoved,
            Kw::AllOf,
            message,
            finding_list(&removed),
            Value::Null,
        );
    }
}

fn not(n: &mut NodeCx<'_, '_, '_>) {
    n.claim(Kw::Not);
    let (old, new) = n.get(Kw::Not);
    let subject = n.subject();
    let (rule, message) = match (old, new) {
        (None, None) => return,
        (Some(o), Some(v)) if schema_eq(o, v) => return,
        (Some(_), None) => (
            RuleId::NotRemoved,
            format!("not removed from {subject}: values it excluded are accepted now"),
        ),
        (None, Some(_)) => (
            RuleId::NotChanged,
            format!("not added to {subject}: values matching it are rejected"),
        ),
        (Some(_), Some(_)) => (
            RuleId::NotChanged,
            format!("not of {subject} changed: values valid before may be rejected"),
        ),
    };
    n.emit(
        rule,
        Kw::Not,
        message,
        finding_value(old),
        finding_value(new),
    );
}
