//! The collector the whole-CRD and nexus rules write into, with the `unhandled-change` fallback
//! that keeps the checker's first invariant: a difference no rule judged is never dropped.

use super::value::{present, to_value};
use crate::compare::path;
use crate::report::Change;
use crate::rules::RuleId;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Changes found so far for one CRD.
pub(in crate::compare) struct Findings<'a> {
    crd: &'a str,
    changes: Vec<Change>,
}

impl<'a> Findings<'a> {
    pub(in crate::compare) fn new(crd: &'a str) -> Findings<'a> {
        Findings {
            crd,
            changes: Vec::new(),
        }
    }

    /// `metadata.name` of the CRD.
    pub(in crate::compare) fn crd(&self) -> &'a str {
        self.crd
    }

    /// Records a change of `rule` with its default severity.
    pub(in crate::compare) fn add(
        &mut self,
        rule: RuleId,
        version: Option<&str>,
        path: String,
        message: String,
        old: Value,
        new: Value,
    ) {
        let change = Change::new(rule, self.crd, version, path)
            .message(message)
            .values(old, new);
        self.changes.push(change);
    }

    /// Records changes another part of the checker built.
    pub(in crate::compare) fn extend(&mut self, changes: impl IntoIterator<Item = Change>) {
        self.changes.extend(changes);
    }

    pub(in crate::compare) fn into_changes(self) -> Vec<Change> {
        self.changes
    }

    /// `unhandled-change` at `path` (absent and `null` are the same value).
    pub(in crate::compare) fn unhandled(
        &mut self,
        version: Option<&str>,
        path: String,
        old: Option<&Value>,
        new: Option<&Value>,
        why: &str,
    ) {
        let message = format!("{path} changed and no rule judges it: {why}");
        self.add(
            RuleId::UnhandledChange,
            version,
            path,
            message,
            to_value(present(old)),
            to_value(present(new)),
        );
    }

    /// `unhandled-change` at `path` when the two values differ; returns whether they did.
    pub(in crate::compare) fn unhandled_if_different(
        &mut self,
        version: Option<&str>,
        path: String,
        old: Option<&Value>,
        new: Option<&Value>,
        why: &str,
    ) -> bool {
        let differ = present(old) != present(new);
        if differ {
            self.unhandled(version, path, old, new, why);
        }
        differ
    }

    /// `unhandled-change` for every key of the two objects that no rule claims and whose values
    /// differ: keys this code has never heard of are reported, not skipped.
    pub(in crate::compare) fn unclaimed(
        &mut self,
        version: Option<&str>,
        base: &str,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        claimed: &[&str],
    ) {
        let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for key in keys {
            if claimed.contains(&key.as_str()) {
                continue;
            }
            self.unhandled_if_different(
                version,
                path::child(base, key),
                old.get(key),
                new.get(key),
                "the key is not one the checker knows",
            );
        }
    }
}
