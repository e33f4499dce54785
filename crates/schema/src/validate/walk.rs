//! The two passes over a value, in the API server's order:
//!
//! 1. [`Walker::normalize`] does what happens to an object before it is validated: unknown
//!    fields are pruned, `null`s of non-nullable fields without a default are dropped, defaults
//!    are filled in. It reports the first two as [`ViolationKind::Pruned`] and returns the
//!    changed value (only where something changed: unchanged subtrees are not copied).
//! 2. [`Walker::check`] validates the result like kube-openapi does (types, formats, bounds,
//!    `required`, `enum`, `allOf`/`anyOf`/`oneOf`/`not`, ...), plus the list-type and
//!    embedded-resource checks the API server runs next to it.

use super::json::{self, Num};
use super::schema::{Additional, ListType, Node, Ty};
use super::{MAX_DEPTH, ServerCause, Violation, ViolationKind, needs_deep_stack, on_deep_stack};
use crate::path;
use crate::validate::format::Format;
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::collections::HashMap;

/// `apiVersion`, `kind` and `metadata`: never pruned at a resource root or embedded resource.
fn is_meta_field(key: &str) -> bool {
    matches!(key, "apiVersion" | "kind" | "metadata")
}

/// The fields of `ObjectMeta` (k8s.io/apimachinery `metav1.ObjectMeta`): the API server's
/// decoding drops every other field of `metadata` at a resource root and in embedded resources.
pub const OBJECT_META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// One walk over one value. Keeps the current path in one buffer.
pub(crate) struct Walker {
    pub out: Vec<Violation>,
    path: String,
    depth: usize,
    depth_reported: bool,
    /// Checking a schema's `default`: the server validates it through the structural schema,
    /// where `x-kubernetes-int-or-string` is only an extension and a `type` beside it decides,
    /// and where no format was stripped; objects go through the converted schema, where
    /// int-or-string replaces the `type` and formats the type does not support are dropped.
    pub type_decides_int_or_string: bool,
    /// Checking a schema's `default`: the server runs the OpenAPI validator and CEL on it, not
    /// the uniqueness of `set` and `map` lists (which it checks on objects only).
    pub skip_list_uniqueness: bool,
}

impl Walker {
    pub(crate) fn new() -> Walker {
        Walker {
            out: Vec::new(),
            path: String::new(),
            depth: 0,
            depth_reported: false,
            type_decides_int_or_string: false,
            skip_list_uniqueness: false,
        }
    }

    fn report(&mut self, kind: ViolationKind, message: String) {
        let path = if self.path.is_empty() {
            ".".to_string()
        } else {
            self.path.clone()
        };
        self.out.push(Violation {
            kind,
            path,
            message,
            cause: None,
        });
    }

    fn invalid(&mut self, message: String) {
        self.report(ViolationKind::Invalid, message);
    }

    /// An [`ViolationKind::Invalid`] violation with the server's form of it.
    fn invalid_as(&mut self, cause: ServerCause, message: String) {
        self.invalid(message);
        if let Some(last) = self.out.last_mut() {
            last.cause = Some(cause);
        }
    }

    /// Steps one level down; false (and one violation per walk) beyond [`MAX_DEPTH`].
    fn enter(&mut self) -> bool {
        if self.depth >= MAX_DEPTH {
            if !self.depth_reported {
                self.depth_reported = true;
                self.invalid(format!(
                    "nested deeper than {MAX_DEPTH} levels: not validated below this point"
                ));
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Runs `f`, on a deep stack when the walk has reached [`needs_deep_stack`] depth; `None`
    /// (reported) when no deep stack can be had.
    fn descend<R: Send>(&mut self, f: impl FnOnce(&mut Walker) -> R + Send) -> Option<R> {
        if !needs_deep_stack(self.depth) {
            return Some(f(self));
        }
        let r = on_deep_stack(|| f(self));
        if r.is_none() && !self.depth_reported {
            self.depth_reported = true;
            self.invalid("nested too deep to validate below this point".to_string());
        }
        r
    }

    fn with_key<R>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        let len = self.path.len();
        path::push_field(&mut self.path, key);
        let r = f(self);
        self.path.truncate(len);
        r
    }

    fn with_index<R>(&mut self, index: usize, f: impl FnOnce(&mut Self) -> R) -> R {
        let len = self.path.len();
        path::push_index(&mut self.path, index);
        let r = f(self);
        self.path.truncate(len);
        r
    }

    /// Pass 1. `node` is `None` below `additionalProperties: true` (no schema: objects there are
    /// emptied). `meta_kept` is true at a resource root or embedded resource. With `defaulting`
    /// off only pruning is looked at (how a `default` is checked); with `report` off nothing is
    /// reported (used on filled-in defaults).
    pub(crate) fn normalize(
        &mut self,
        value: &Value,
        node: Option<&Node>,
        meta_kept: bool,
        defaulting: bool,
        report: bool,
    ) -> Option<Value> {
        if !self.enter() {
            return None;
        }
        let r = self
            .descend(|w| match value {
                Value::Object(map) => w.normalize_object(map, node, meta_kept, defaulting, report),
                Value::Array(items) => w.normalize_array(items, node, defaulting, report),
                _ => None,
            })
            .flatten();
        self.leave();
        r
    }

    fn normalize_object(
        &mut self,
        map: &Map<String, Value>,
        node: Option<&Node>,
        meta_kept: bool,
        defaulting: bool,
        report: bool,
    ) -> Option<Value> {
        let Some(node) = node else {
            if map.is_empty() {
                return None;
            }
            if report {
                for key in map.keys() {
                    self.with_key(key, |w| {
                        w.report(
                            ViolationKind::Pruned,
                            "unknown field: the API server drops it (its parent allows any \
                             value with additionalProperties: true but gives no schema for \
                             the fields inside it)"
                                .to_string(),
                        );
                    });
                }
            }
            return Some(Value::Object(Map::new()));
        };
        if node.too_deep {
            return None;
        }
        // A value of the wrong type is still pruned (the server prunes by the schema's fields
        // whatever the type; pass 2 reports the type): an object where a string belongs loses
        // all its fields.
        let mut changed: Option<Map<String, Value>> = None;
        for (key, child) in map {
            if meta_kept && is_meta_field(key) {
                if key == "metadata"
                    && let Some(meta) = self.with_key(key, |w| w.prune_object_meta(child, report))
                {
                    changed
                        .get_or_insert_with(|| map.clone())
                        .insert(key.clone(), meta);
                }
                continue;
            }
            let child_node = node.field(key);
            let known = child_node.is_some() || !matches!(node.additional, Additional::Absent);
            if !known {
                if node.preserve_unknown {
                    continue;
                }
                if report {
                    self.with_key(key, |w| {
                        w.report(
                            ViolationKind::Pruned,
                            "unknown field: the API server drops it (it is not in the schema \
                             and x-kubernetes-preserve-unknown-fields is not set)"
                                .to_string(),
                        );
                    });
                }
                changed.get_or_insert_with(|| map.clone()).remove(key);
                continue;
            }
            if defaulting
                && child.is_null()
                && let Some(cn) = child_node
                && !cn.nullable
            {
                match &cn.default {
                    Some(default) => {
                        let filled = self
                            .with_key(key, |w| {
                                w.normalize(default, Some(cn), cn.embedded, true, false)
                            })
                            .unwrap_or_else(|| default.clone());
                        changed
                            .get_or_insert_with(|| map.clone())
                            .insert(key.clone(), filled);
                    }
                    None => {
                        if report {
                            self.with_key(key, |w| {
                                w.report(
                                    ViolationKind::Pruned,
                                    "null is dropped by the API server: the field is not \
                                     nullable and has no default"
                                        .to_string(),
                                );
                            });
                        }
                        changed.get_or_insert_with(|| map.clone()).remove(key);
                    }
                }
                continue;
            }
            let embedded = child_node.is_some_and(|c| c.embedded);
            if let Some(new) = self.with_key(key, |w| {
                w.normalize(child, child_node, embedded, defaulting, report)
            }) {
                changed
                    .get_or_insert_with(|| map.clone())
                    .insert(key.clone(), new);
            }
        }
        if defaulting {
            for (key, prop) in &node.properties {
                if let Some(default) = &prop.default
                    && !map.contains_key(key)
                {
                    let filled = self
                        .with_key(key, |w| {
                            w.normalize(default, Some(prop), prop.embedded, true, false)
                        })
                        .unwrap_or_else(|| default.clone());
                    changed
                        .get_or_insert_with(|| map.clone())
                        .insert(key.clone(), filled);
                }
            }
        }
        changed.map(Value::Object)
    }

    /// Drops the fields of a resource's `metadata` that `ObjectMeta` does not have, as the
    /// server's decoding does; `None` when there are none.
    fn prune_object_meta(&mut self, meta: &Value, report: bool) -> Option<Value> {
        let map = meta.as_object()?;
        let unknown: Vec<&String> = map
            .keys()
            .filter(|k| !OBJECT_META_FIELDS.contains(&k.as_str()))
            .collect();
        // Decoding into ObjectMeta and encoding again drops what its `omitempty` fields hold
        // empty: nulls, "", 0, {} and [] (not reported: nothing is lost).
        let empty: Vec<&String> = map
            .iter()
            .filter(|(k, v)| {
                OBJECT_META_FIELDS.contains(&k.as_str())
                    && *k != "creationTimestamp"
                    && match v {
                        Value::Null => true,
                        Value::String(s) => s.is_empty(),
                        Value::Number(n) => n.as_f64() == Some(0.0),
                        Value::Object(m) => m.is_empty(),
                        Value::Array(a) => a.is_empty(),
                        Value::Bool(_) => false,
                    }
            })
            .map(|(k, _)| k)
            .collect();
        if unknown.is_empty() && empty.is_empty() {
            return None;
        }
        let mut kept = map.clone();
        for key in empty {
            kept.remove(key);
        }
        for key in unknown {
            if report {
                self.with_key(key, |w| {
                    w.report(
                        ViolationKind::Pruned,
                        "unknown metadata field: the API server drops it (ObjectMeta has no \
                         such field)"
                            .to_string(),
                    );
                });
            }
            kept.remove(key);
        }
        Some(Value::Object(kept))
    }

    fn normalize_array(
        &mut self,
        items: &[Value],
        node: Option<&Node>,
        defaulting: bool,
        report: bool,
    ) -> Option<Value> {
        // As for objects, a list where the schema wants another type is still pruned: its
        // items have no schema.
        if node.is_some_and(|n| n.too_deep) {
            return None;
        }
        let item_node = node.and_then(|n| n.items.as_deref());
        let embedded = item_node.is_some_and(|n| n.embedded);
        let mut changed: Option<Vec<Value>> = None;
        for (i, item) in items.iter().enumerate() {
            let new = if defaulting
                && item.is_null()
                && let Some(n) = item_node
                && !n.nullable
                && let Some(default) = &n.default
            {
                Some(
                    self.with_index(i, |w| w.normalize(default, Some(n), embedded, true, false))
                        .unwrap_or_else(|| default.clone()),
                )
            } else {
                self.with_index(i, |w| {
                    w.normalize(item, item_node, embedded, defaulting, report)
                })
            };
            if let Some(new) = new
                && let Some(slot) = changed.get_or_insert_with(|| items.to_vec()).get_mut(i)
            {
                *slot = new;
            }
        }
        changed.map(Value::Array)
    }

    /// Pass 2: validates `value` against `node`. `resource_root` is true for a whole custom
    /// resource, whose `apiVersion`/`kind` the request machinery checks, not the schema.
    pub(crate) fn check(&mut self, value: &Value, node: &Node, resource_root: bool) {
        if !self.enter() {
            return;
        }
        self.descend(|w| w.check_node(value, node, resource_root));
        self.leave();
    }

    fn check_node(&mut self, value: &Value, node: &Node, resource_root: bool) {
        if node.too_deep {
            self.invalid(format!(
                "the schema nests deeper than {MAX_DEPTH} levels: not validated below this point"
            ));
            return;
        }
        if value.is_null() {
            let typed = node.ty.is_some() || node.int_or_string;
            if typed && !node.nullable && node.ty != Some(Ty::Null) {
                self.invalid(
                    "must not be null: the schema does not set nullable: true".to_string(),
                );
            }
            if let Some(values) = node.enumeration.as_ref().filter(|e| !e.is_empty()) {
                // kube-openapi never matches null against an enum, even one that lists null.
                self.invalid(format!(
                    "null is not accepted: the value must be one of {}",
                    list_values(values)
                ));
            }
            return;
        }
        if !self.check_type(value, node) {
            return;
        }
        if let Some(values) = &node.enumeration
            && !values.iter().any(|e| json::json_eq(e, value))
        {
            self.invalid_as(
                ServerCause::NotSupported {
                    value: value.to_string(),
                    supported: values
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect(),
                },
                format!(
                    "must be one of {}, not {}",
                    list_values(values),
                    json::brief(value)
                ),
            );
        }
        match value {
            Value::String(s) => self.check_string(s, node),
            Value::Number(n) => self.check_number(Num::of(n), node),
            Value::Array(items) => self.check_array(items, node),
            Value::Object(map) => self.check_object(map, node, resource_root),
            Value::Bool(_) | Value::Null => {}
        }
        self.check_combinators(value, node);
    }

    /// The `type` (and `x-kubernetes-int-or-string`) check; false when the value has the wrong
    /// type and nothing else is worth checking.
    fn check_type(&mut self, value: &Value, node: &Node) -> bool {
        let is_integer = || match value {
            Value::Number(n) => Num::of(n).as_integer().is_some(),
            _ => false,
        };
        let int_or_string =
            node.int_or_string && !(self.type_decides_int_or_string && node.ty.is_some());
        // kube-openapi's type check skips a string or a list when the schema has a `format` and
        // a type that is neither number nor integer (in a default, `type: boolean, format:
        // int64` takes `[]`; on objects the server strips that format first).
        let has_format = if self.type_decides_int_or_string {
            node.has_format
        } else {
            node.format.is_some()
        };
        if !int_or_string
            && has_format
            && !matches!(node.ty, Some(Ty::Integer | Ty::Number))
            && (value.is_string() || value.is_array())
        {
            return true;
        }
        let (ok, expected) = if int_or_string {
            (
                value.is_string() || is_integer(),
                "integer or string".to_string(),
            )
        } else {
            match &node.ty {
                None => return true,
                Some(ty) => {
                    let ok = match ty {
                        Ty::Object => value.is_object(),
                        Ty::Array => value.is_array(),
                        Ty::String => value.is_string(),
                        Ty::Integer => is_integer(),
                        Ty::Number => value.is_number(),
                        Ty::Boolean => value.is_boolean(),
                        Ty::Null | Ty::Other(_) => false,
                    };
                    (ok, ty.name().to_string())
                }
            }
        };
        if !ok {
            let got = json::kind(value);
            let extra = if expected == "integer" && got == "number" {
                " (a whole number within the int64 range)"
            } else {
                ""
            };
            let message = format!("must be of type {expected}{extra}, not {got}");
            if int_or_string {
                self.invalid(message);
            } else {
                self.invalid_as(ServerCause::WrongType { got, expected }, message);
            }
        }
        ok
    }

    fn check_string(&mut self, s: &str, node: &Node) {
        // kube-openapi stops at the first failing string rule.
        if node.max_length.is_some() || node.min_length.is_some() {
            let len = s.chars().count() as u64;
            if let Some(max) = node.max_length
                && i64::try_from(len).unwrap_or(i64::MAX) > max
            {
                self.invalid(format!(
                    "may not be longer than {max} characters (is {len})"
                ));
                return;
            }
            if let Some(min) = node.min_length
                && len < min
            {
                self.invalid(format!("must be at least {min} characters long (is {len})"));
                return;
            }
        }
        if let Some(pattern) = &node.pattern {
            match &pattern.regex {
                Ok(re) => {
                    if !re.is_match(s) {
                        self.invalid(format!("must match the pattern {}", pattern.source));
                        return;
                    }
                }
                Err(e) => {
                    self.invalid(format!(
                        "cannot be checked: the schema's pattern {} is not a valid regular \
                         expression ({e})",
                        pattern.source
                    ));
                    return;
                }
            }
        }
        let format = if self.type_decides_int_or_string {
            node.written_format.as_ref()
        } else {
            node.format.as_ref()
        };
        if let Some((name, Format::Str(f))) = format
            && !f.check(s)
        {
            self.invalid(format!("must be {} (format {name})", f.describe()));
        }
    }

    fn check_number(&mut self, n: Num, node: &Node) {
        if !node.int_or_string {
            match (&node.ty, node.format.as_ref().map(|(_, f)| *f)) {
                (Some(Ty::Integer), Some(Format::Int32))
                    if n.as_integer().is_some_and(|i| i32::try_from(i).is_err()) =>
                {
                    self.invalid(format!(
                        "must fit in a 32-bit integer (format int32), not {}",
                        n.as_f64()
                    ));
                }
                (Some(Ty::Number), Some(Format::Float)) if !(n.as_f64() as f32).is_finite() => {
                    self.invalid("must fit in a 32-bit float (format float)".to_string());
                }
                _ => {}
            }
        }
        if let Some(factor) = node.multiple_of {
            if factor <= 0.0 {
                self.invalid(format!(
                    "cannot be checked: the schema's multipleOf {factor} is not positive"
                ));
            } else if !json::is_multiple_of(n, factor) {
                self.invalid(format!("must be a multiple of {factor}"));
            }
        }
        if let Some(max) = node.maximum {
            let ord = n.cmp_bound(max);
            if ord == Ordering::Greater || (node.exclusive_maximum && ord == Ordering::Equal) {
                let rel = if node.exclusive_maximum {
                    "less than"
                } else {
                    "less than or equal to"
                };
                self.invalid(format!("must be {rel} {max}"));
            }
        }
        if let Some(min) = node.minimum {
            let ord = n.cmp_bound(min);
            if ord == Ordering::Less || (node.exclusive_minimum && ord == Ordering::Equal) {
                let rel = if node.exclusive_minimum {
                    "greater than"
                } else {
                    "greater than or equal to"
                };
                self.invalid(format!("must be {rel} {min}"));
            }
        }
    }

    fn check_array(&mut self, items: &[Value], node: &Node) {
        let len = items.len() as u64;
        if let Some(max) = node.max_items
            && i64::try_from(len).unwrap_or(i64::MAX) > max
        {
            self.invalid(format!("must have at most {max} items (has {len})"));
        }
        if let Some(min) = node.min_items
            && len < min
        {
            self.invalid(format!("must have at least {min} items (has {len})"));
        }
        if node.unique_items {
            self.report_duplicates(
                items.iter().map(json::canonical),
                "items must be unique (uniqueItems)",
            );
        }
        match &node.list_type {
            _ if self.skip_list_uniqueness => {}
            Some(ListType::Set) => self.report_duplicates(
                items.iter().map(json::canonical),
                "entries of an x-kubernetes-list-type: set must be unique",
            ),
            Some(ListType::Map(keys)) => {
                let items_typed = node
                    .items
                    .as_ref()
                    .is_some_and(|n| n.ty == Some(Ty::Object));
                self.check_list_map(items, keys, items_typed);
            }
            Some(ListType::Atomic) | None => {}
        }
        if let Some(item_node) = &node.items {
            for (i, item) in items.iter().enumerate() {
                self.with_index(i, |w| w.check(item, item_node, false));
            }
        }
    }

    /// Reports the first repetition of each value, at its index.
    fn report_duplicates(&mut self, keys: impl Iterator<Item = String>, what: &str) {
        let mut seen: HashMap<String, (usize, bool)> = HashMap::new();
        for (i, key) in keys.enumerate() {
            match seen.get_mut(&key) {
                None => {
                    seen.insert(key, (i, false));
                }
                Some((first, reported)) => {
                    if !*reported {
                        *reported = true;
                        let first = *first;
                        self.with_index(i, |w| {
                            w.invalid(format!("duplicate of item [{first}]: {what}"));
                        });
                    }
                }
            }
        }
    }

    /// `x-kubernetes-list-type: map`: entries are objects (or null), unique by their keys; a
    /// missing key is a value of its own. When the item schema says `type: object` its type
    /// check reports a non-object entry already.
    fn check_list_map(&mut self, items: &[Value], keys: &[String], items_typed: bool) {
        if let Some(i) = items.iter().position(|x| !x.is_object() && !x.is_null()) {
            if !items_typed {
                self.with_index(i, |w| {
                    w.invalid(
                        "must be an object: the list has x-kubernetes-list-type: map".to_string(),
                    );
                });
            }
            return;
        }
        let mut seen: HashMap<String, (usize, bool)> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let mut key = String::new();
            let mut shown = Vec::new();
            for k in keys {
                match item.get(k) {
                    Some(v) => {
                        key.push_str(&json::canonical(v));
                        shown.push(format!("{k}={}", json::brief(v)));
                    }
                    None => key.push('\u{1}'),
                }
                key.push('\u{0}');
            }
            match seen.get_mut(&key) {
                None => {
                    seen.insert(key, (i, false));
                }
                Some((first, reported)) => {
                    if !*reported {
                        *reported = true;
                        let first = *first;
                        let shown = if shown.is_empty() {
                            "no key fields set".to_string()
                        } else {
                            shown.join(", ")
                        };
                        self.with_index(i, |w| {
                            w.invalid(format!(
                                "duplicate entry ({shown}) of item [{first}]: entries of an \
                                 x-kubernetes-list-type: map must be unique by {}",
                                keys.join(", ")
                            ));
                        });
                    }
                }
            }
        }
    }

    fn check_object(&mut self, map: &Map<String, Value>, node: &Node, resource_root: bool) {
        let len = map.len() as u64;
        if let Some(max) = node.max_properties
            && i64::try_from(len).unwrap_or(i64::MAX) > max
        {
            self.invalid(format!("must have at most {max} properties (has {len})"));
        }
        if let Some(min) = node.min_properties
            && len < min
        {
            self.invalid(format!("must have at least {min} properties (has {len})"));
        }
        for name in &node.required {
            if !map.contains_key(name) {
                self.with_key(name, |w| {
                    w.invalid_as(
                        ServerCause::Required,
                        "required field is missing".to_string(),
                    )
                });
            }
        }
        for (key, child) in map {
            if let Some(prop) = node.properties.get(key) {
                self.with_key(key, |w| w.check(child, prop, false));
            } else {
                match &node.additional {
                    Additional::Schema(values) => {
                        self.with_key(key, |w| w.check(child, values, false));
                    }
                    Additional::Forbidden => self.with_key(key, |w| {
                        w.invalid(
                            "field is not allowed: the schema sets additionalProperties: false"
                                .to_string(),
                        );
                    }),
                    Additional::Allowed | Additional::Absent => {}
                }
            }
        }
        if node.embedded && !resource_root {
            self.check_embedded(map);
        }
    }

    /// An embedded resource needs `apiVersion` and `kind` like a top-level object, and
    /// metadata that decodes as ObjectMeta. Every message says "embedded resource" (the server
    /// runs these checks apart from the schema and never ratchets them).
    fn check_embedded(&mut self, map: &Map<String, Value>) {
        let from = self.out.len();
        self.check_embedded_fields(map);
        for v in &mut self.out[from..] {
            if !v.message.contains("embedded resource") {
                v.message.push_str(" (in an embedded resource)");
            }
        }
    }

    fn check_embedded_fields(&mut self, map: &Map<String, Value>) {
        match map.get("apiVersion") {
            None => self.with_key("apiVersion", |w| {
                w.invalid(
                    "required field is missing: an embedded resource needs apiVersion".to_string(),
                );
            }),
            Some(Value::String(v)) if v.is_empty() => {
                self.with_key("apiVersion", |w| w.invalid("must not be empty".to_string()));
            }
            Some(Value::String(v)) if v.matches('/').count() > 1 => {
                self.with_key("apiVersion", |w| {
                    w.invalid(format!("must be group/version or version, not {v:?}"));
                });
            }
            Some(Value::String(_)) => {}
            Some(_) => self.with_key("apiVersion", |w| w.invalid("must be a string".to_string())),
        }
        match map.get("kind") {
            None => self.with_key("kind", |w| {
                w.invalid("required field is missing: an embedded resource needs kind".to_string());
            }),
            Some(Value::String(k)) if k.is_empty() => {
                self.with_key("kind", |w| w.invalid("must not be empty".to_string()));
            }
            Some(Value::String(k)) if !is_dns1035_label(&k.to_ascii_lowercase()) => {
                self.with_key("kind", |w| {
                    w.invalid(format!(
                        "{k:?} is not a valid kind: letters, digits and '-', starting with a \
                         letter, at most 63 characters"
                    ));
                });
            }
            Some(Value::String(_)) => {}
            Some(_) => self.with_key("kind", |w| w.invalid("must be a string".to_string())),
        }
        // Its metadata decodes into ObjectMeta: anything but an object (or null) is refused, and
        // so are its string fields holding something else. Then the server's ObjectMeta rules
        // for embedded resources: the name a path segment, labels and annotations valid.
        if let Some(meta_value @ Value::Object(meta)) = map.get("metadata") {
            if let Some(Value::String(name)) = meta.get("name") {
                let problem = match name.as_str() {
                    "." | ".." => Some(format!("may not be '{name}'")),
                    _ if name.contains('/') => Some("may not contain '/'".to_string()),
                    _ if name.contains('%') => Some("may not contain '%'".to_string()),
                    _ => None,
                };
                if let Some(problem) = problem {
                    self.with_key("metadata", |w| {
                        w.with_key("name", |w| w.invalid(format!("{name:?}: {problem}")));
                    });
                }
            }
            for problem in super::names::labels_and_annotations(meta_value) {
                self.with_key("metadata", |w| w.invalid(problem.to_string()));
            }
            for key in [
                "name",
                "generateName",
                "namespace",
                "selfLink",
                "uid",
                "resourceVersion",
            ] {
                if let Some(v) = meta.get(key)
                    && !v.is_string()
                    && !v.is_null()
                {
                    self.with_key("metadata", |w| {
                        w.invalid(format!(
                            "cannot be decoded as ObjectMeta: {key} must be a string, not {}",
                            json::kind(v)
                        ));
                    });
                }
            }
        }
        if let Some(meta) = map.get("metadata")
            && !meta.is_object()
            && !meta.is_null()
        {
            self.with_key("metadata", |w| {
                w.invalid(format!(
                    "cannot be decoded as ObjectMeta: must be an object, not {}",
                    json::kind(meta)
                ));
            });
        }
    }

    /// Runs `check` into a separate list; true when the value is valid against `node`.
    fn passes(&mut self, value: &Value, node: &Node) -> (bool, Vec<Violation>) {
        let outer = std::mem::take(&mut self.out);
        self.check(value, node, false);
        let inner = std::mem::replace(&mut self.out, outer);
        (inner.is_empty(), inner)
    }

    fn check_combinators(&mut self, value: &Value, node: &Node) {
        for branch in &node.all_of {
            self.check(value, branch, false);
        }
        if !node.any_of.is_empty() {
            let mut first_reason = None;
            let mut matched = false;
            for branch in &node.any_of {
                let (ok, errors) = self.passes(value, branch);
                if ok {
                    matched = true;
                    break;
                }
                if first_reason.is_none() {
                    first_reason = errors.into_iter().next();
                }
            }
            if !matched {
                self.invalid(format!(
                    "must match at least one schema of anyOf{}",
                    reason_suffix(first_reason.as_ref())
                ));
            }
        }
        if !node.one_of.is_empty() {
            let mut matching = 0;
            let mut first_reason = None;
            for branch in &node.one_of {
                let (ok, errors) = self.passes(value, branch);
                if ok {
                    matching += 1;
                } else if first_reason.is_none() {
                    first_reason = errors.into_iter().next();
                }
            }
            match matching {
                1 => {}
                0 => self.invalid(format!(
                    "must match exactly one schema of oneOf, matches none{}",
                    reason_suffix(first_reason.as_ref())
                )),
                n => self.invalid(format!(
                    "must match exactly one schema of oneOf, matches {n}"
                )),
            }
        }
        if let Some(not) = &node.not {
            let (ok, _) = self.passes(value, not);
            if ok {
                self.invalid("must not match the schema under not".to_string());
            }
        }
    }
}

fn reason_suffix(reason: Option<&Violation>) -> String {
    match reason {
        Some(v) if v.path.is_empty() || v.path == "." => format!(" (first schema: {})", v.message),
        Some(v) => format!(" (first schema: {}: {})", v.path, v.message),
        None => String::new(),
    }
}

fn list_values(values: &[Value]) -> String {
    const SHOWN: usize = 12;
    let mut parts: Vec<String> = values.iter().take(SHOWN).map(json::brief).collect();
    if values.len() > SHOWN {
        parts.push(format!("... ({} values)", values.len()));
    }
    parts.join(", ")
}

/// RFC 1035 label: a lowercase letter first, then lowercase letters, digits or `-`, not ending
/// in `-`, at most 63 characters.
pub fn is_dns1035_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.last() != Some(&b'-')
}
