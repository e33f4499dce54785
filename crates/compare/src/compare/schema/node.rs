//! One schema node pair under judgement: the keywords of both sides, which keywords a rule family
//! has already judged (claimed), and where findings and child nodes go.

use super::equal::{json_eq_within, opt_json_eq};
use super::keyword::{Kw, effective};
use super::show::{finding_value, word};
use crate::compare::path::{display_field, push_field, push_token};
use crate::report::Change;
use crate::rules::RuleId;
use nexus_schema::lookup::field;
use serde_json::{Map, Value};

/// How deep the "is this subtree unchanged?" check looks before the walker just walks the
/// subtree: 64 JSON levels are about 32 schema levels, deeper than real CRDs nest.
pub(crate) const SKIP_CHECK_DEPTH: usize = 64;

/// Where findings go, and the paths of the node being judged.
pub(crate) struct Sink<'c> {
    pub crd: &'c str,
    pub version: &'c str,
    /// CRD path of the current node (named-key form).
    pub path: String,
    /// Field path of the current node, `""` at the object root.
    pub field: String,
    pub changes: Vec<Change>,
}

/// How a child node hangs below its parent.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg<'a> {
    /// The schema root.
    Root,
    /// `properties/<key>`, field `.key`.
    Property(&'a str),
    /// `items`, field `[*]`.
    Items,
    /// `additionalProperties` (a map's value schema), field `.*`.
    MapValues,
}

/// A child node pair to walk after the current node.
pub(crate) struct Child<'a> {
    pub seg: Seg<'a>,
    pub old: &'a Value,
    pub new: &'a Value,
}

/// The node pair being judged.
pub(crate) struct NodeCx<'a, 's, 'c> {
    old: &'a Map<String, Value>,
    new: &'a Map<String, Value>,
    claimed: u64,
    stopped: bool,
    sink: &'s mut Sink<'c>,
    children: &'s mut Vec<Child<'a>>,
}

impl<'a, 's, 'c> NodeCx<'a, 's, 'c> {
    pub fn new(
        old: &'a Map<String, Value>,
        new: &'a Map<String, Value>,
        sink: &'s mut Sink<'c>,
        children: &'s mut Vec<Child<'a>>,
    ) -> Self {
        NodeCx {
            old,
            new,
            claimed: 0,
            stopped: false,
            sink,
            children,
        }
    }

    /// The effective old and new values of a keyword (see [`effective`]).
    pub fn get(&self, kw: Kw) -> (Option<&'a Value>, Option<&'a Value>) {
        let name = kw.name();
        (
            field(self.old, name).and_then(|v| effective(name, v)),
            field(self.new, name).and_then(|v| effective(name, v)),
        )
    }

    /// Marks a keyword judged: the unhandled-change pass skips it.
    pub fn claim(&mut self, kw: Kw) {
        self.claimed |= kw.bit();
    }

    pub fn is_claimed(&self, kw: Kw) -> bool {
        self.claimed & kw.bit() != 0
    }

    /// Ends the judgement of this node after a finding that covers all of it (a type change):
    /// no other finding on this node or below it.
    pub fn stop(&mut self) {
        self.stopped = true;
        self.children.clear();
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The node as named in messages.
    pub fn subject(&self) -> String {
        if self.sink.field.is_empty() {
            "the root object".to_string()
        } else {
            self.sink.field.clone()
        }
    }

    /// The field path of property `key` of this node.
    pub fn child_field(&self, key: &str) -> String {
        let mut f = self.sink.field.clone();
        push_field(&mut f, key);
        f
    }

    /// Queues a child pair for walking, unless the two are equal.
    pub fn push_child(&mut self, seg: Seg<'a>, old: &'a Value, new: &'a Value) {
        if json_eq_within(old, new, SKIP_CHECK_DEPTH) != Some(true) {
            self.children.push(Child { seg, old, new });
        }
    }

    /// Reports a finding about keyword `kw` of this node (path `<node>/<kw>`).
    pub fn emit(&mut self, rule: RuleId, kw: Kw, message: String, old: Value, new: Value) {
        self.emit_at(rule, &[kw.name()], None, message, old, new);
    }

    /// Reports a finding at `<node>/<tokens...>`, about property `field_key` of this node when
    /// given, else about the node itself.
    pub fn emit_at(
        &mut self,
        rule: RuleId,
        tokens: &[&str],
        field_key: Option<&str>,
        message: String,
        old: Value,
        new: Value,
    ) {
        let mut path = self.sink.path.clone();
        for t in tokens {
            push_token(&mut path, t);
        }
        let field = match field_key {
            Some(key) => self.child_field(key),
            None => display_field(&self.sink.field).to_string(),
        };
        let change = Change::new(rule, self.sink.crd, Some(self.sink.version), path)
            .field(field)
            .message(message)
            .values(old, new);
        self.sink.changes.push(change);
    }

    /// The last step at every node: each keyword that differs and that no family claimed is an
    /// `unhandled-change`, including keywords this code has never heard of.
    pub fn judge_unclaimed(&mut self) {
        if self.stopped {
            return;
        }
        let (old, new) = (self.old, self.new);
        for (key, value) in old {
            let other = new.get(key);
            if !self.claimed_key(key) {
                self.judge_raw(key, Some(value), other);
            }
        }
        for (key, value) in new {
            if !old.contains_key(key) && !self.claimed_key(key) {
                self.judge_raw(key, None, Some(value));
            }
        }
    }

    fn claimed_key(&self, key: &str) -> bool {
        Kw::from_name(key).is_some_and(|kw| self.is_claimed(kw))
    }

    fn judge_raw(&mut self, key: &str, old: Option<&Value>, new: Option<&Value>) {
        let old = old.and_then(|v| effective(key, v));
        let new = new.and_then(|v| effective(key, v));
        if opt_json_eq(old, new) {
            return;
        }
        let what = match (old, new) {
            (None, _) => format!("added ({})", word(new)),
            (_, None) => format!("removed (was {})", word(old)),
            _ => format!("changed from {} to {}", word(old), word(new)),
        };
        let message = format!(
            "{key} of {} {what}: no rule judges this keyword, review it by hand",
            self.subject()
        );
        let (old, new) = (finding_value(old), finding_value(new));
        self.emit_at(RuleId::UnhandledChange, &[key], None, message, old, new);
    }
}
