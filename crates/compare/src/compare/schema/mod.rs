//! The schema walker: compares two OpenAPI v3 schemas of one CRD version, node by node.
//!
//! The two trees are walked together, once, with an explicit work stack (schemas can nest
//! deeper than any thread stack). At each node pair every rule family judges the keywords it
//! owns and claims them; whatever keyword still differs is `unhandled-change`. Equal subtrees
//! are skipped without being looked at keyword by keyword (the equality check is depth-bounded,
//! so the walk stays linear in the size of the schemas however deep they nest).
//!
//! Decisions this module implements (see RULES.md for the rule table):
//! - `properties` are matched by key, `items` is walked as `[*]`, a map's value schema
//!   (`additionalProperties`) as `.*`; composition branches (`oneOf`/`anyOf`/`allOf`/`not`) are
//!   compared as wholes, never walked.
//! - A property only in old is one `field-removed` and nothing below it; a property only in new
//!   is one `field-added`, or only `required-added` when the new parent requires it.
//! - A type change covers its whole node: nothing else is reported on it or below it.

mod bounds;
mod cel;
mod composition;
mod docs;
mod equal;
mod keyword;
mod kubernetes;
mod node;
mod show;
mod structure;
mod types;
mod values;

use crate::compare::path::{FIELD_ITEMS, FIELD_MAP_VALUES, push_field, push_token};
use crate::report::Change;
use crate::rules::RuleId;
use equal::{json_eq, json_eq_within};
use node::{Child, NodeCx, Seg, Sink};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// Where the two schemas sit.
#[derive(Debug, Clone)]
pub struct SchemaCtx<'a> {
    /// `metadata.name` of the CRD.
    pub crd: &'a str,
    /// The version name (`v1`).
    pub version: &'a str,
    /// CRD path of the schema root, e.g. `/spec/versions/name=v1/schema/openAPIV3Schema`
    /// (see [`crate::compare::path::schema_root_path`]).
    pub base_path: String,
}

/// Compares the `openAPIV3Schema` of one version in the old and new CRD: one [`Change`] per
/// finding, in walk order. Never panics and needs no more stack for deep schemas than for
/// shallow ones.
pub fn compare_schemas(ctx: &SchemaCtx<'_>, old: &Value, new: &Value) -> Vec<Change> {
    if json_eq_within(old, new, node::SKIP_CHECK_DEPTH) == Some(true) {
        return Vec::new();
    }
    let mut sink = Sink {
        crd: ctx.crd,
        version: ctx.version,
        path: ctx.base_path.clone(),
        field: String::new(),
        changes: Vec::new(),
    };
    walk(&mut sink, old, new);
    sink.changes
}

/// One step of the walk.
enum Task<'a> {
    /// Judge a node pair below the current node.
    Visit(Child<'a>),
    /// Return to the parent: cut the paths back to these lengths.
    Leave { path_len: usize, field_len: usize },
}

fn walk<'a>(sink: &mut Sink<'_>, old: &'a Value, new: &'a Value) {
    let mut stack = vec![Task::Visit(Child {
        seg: Seg::Root,
        old,
        new,
    })];
    let mut children: Vec<Child<'a>> = Vec::new();
    while let Some(task) = stack.pop() {
        match task {
            Task::Leave {
                path_len,
                field_len,
            } => {
                sink.path.truncate(path_len);
                sink.field.truncate(field_len);
            }
            Task::Visit(child) => {
                stack.push(Task::Leave {
                    path_len: sink.path.len(),
                    field_len: sink.field.len(),
                });
                enter(sink, child.seg);
                judge_node(sink, child.old, child.new, &mut children);
                // Reversed so that children are judged in document order.
                stack.extend(children.drain(..).rev().map(Task::Visit));
            }
        }
    }
}

/// Appends a child's segment to the current paths.
fn enter(sink: &mut Sink<'_>, seg: Seg<'_>) {
    match seg {
        Seg::Root => {}
        Seg::Property(key) => {
            sink.path.push_str("/properties");
            push_token(&mut sink.path, key);
            push_field(&mut sink.field, key);
        }
        Seg::Items => {
            sink.path.push_str("/items");
            sink.field.push_str(FIELD_ITEMS);
        }
        Seg::MapValues => {
            sink.path.push_str("/additionalProperties");
            sink.field.push_str(FIELD_MAP_VALUES);
        }
    }
}

/// An empty schema: what `null` in place of a schema means.
pub(crate) fn empty_schema() -> &'static Map<String, Value> {
    static EMPTY: OnceLock<Map<String, Value>> = OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

fn as_schema(v: &Value) -> Option<&Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        Value::Null => Some(empty_schema()),
        _ => None,
    }
}

/// Runs every rule family on one node pair, then the unhandled-change pass.
fn judge_node<'a>(
    sink: &mut Sink<'_>,
    old: &'a Value,
    new: &'a Value,
    children: &mut Vec<Child<'a>>,
) {
    let (Some(old_map), Some(new_map)) = (as_schema(old), as_schema(new)) else {
        // Not a schema object (`true`, a string, ...): only a whole-value comparison is possible.
        if !json_eq(old, new) {
            let mut n = NodeCx::new(empty_schema(), empty_schema(), sink, children);
            let message = format!(
                "the schema of {} is not an object and changed: no rule judges it, review it by hand",
                n.subject()
            );
            let (o, v) = (
                show::finding_value(Some(old)),
                show::finding_value(Some(new)),
            );
            n.emit_at(RuleId::UnhandledChange, &[], None, message, o, v);
        }
        return;
    };
    let mut n = NodeCx::new(old_map, new_map, sink, children);
    // int-or-string first: when it toggles it claims the type/anyOf change that goes with it.
    types::check(&mut n);
    if n.is_stopped() {
        return;
    }
    values::check(&mut n);
    bounds::check(&mut n);
    composition::check(&mut n);
    cel::check(&mut n);
    kubernetes::check(&mut n);
    docs::check(&mut n);
    structure::check(&mut n);
    n.judge_unclaimed();
}
