//! A schema compiled once for validation: keywords read, formats resolved, patterns compiled.
//!
//! Compiling is lenient on purpose: a keyword with the wrong JSON type is ignored here (the CRD
//! checks in `structural` report it), so the validator never fails on a schema, it only judges
//! values.

use super::format::{self, Format, FormatHost};
use super::pattern::compile_go;
use super::{MAX_DEPTH, needs_deep_stack, on_deep_stack};
use regex::Regex;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The `type` keyword.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
    /// `type: null` (the API server rejects it in a CRD; the validator treats it literally).
    Null,
    /// A type name OpenAPI does not have: no value has it.
    Other(String),
}

impl Ty {
    fn parse(name: &str) -> Ty {
        match name {
            "object" => Ty::Object,
            "array" => Ty::Array,
            "string" => Ty::String,
            "integer" => Ty::Integer,
            "number" => Ty::Number,
            "boolean" => Ty::Boolean,
            "null" => Ty::Null,
            other => Ty::Other(other.to_string()),
        }
    }

    pub(crate) fn name(&self) -> &str {
        match self {
            Ty::Object => "object",
            Ty::Array => "array",
            Ty::String => "string",
            Ty::Integer => "integer",
            Ty::Number => "number",
            Ty::Boolean => "boolean",
            Ty::Null => "null",
            Ty::Other(name) => name,
        }
    }
}

/// `additionalProperties`.
#[derive(Debug, Clone, Default)]
pub(crate) enum Additional {
    /// Not set: keys outside `properties` are unknown fields.
    #[default]
    Absent,
    /// `true`: any value is kept, but nothing below it has a schema (objects in it are emptied
    /// by pruning).
    Allowed,
    /// `false`: keys outside `properties` are rejected.
    Forbidden,
    /// A schema for every map value.
    Schema(Box<Node>),
}

/// `x-kubernetes-list-type` (with its `x-kubernetes-list-map-keys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ListType {
    Atomic,
    Set,
    Map(Vec<String>),
}

/// A `pattern` with its compiled form, or why it does not compile.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub source: String,
    pub regex: Result<Arc<Regex>, String>,
}

/// One schema node, ready to validate values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub ty: Option<Ty>,
    pub int_or_string: bool,
    pub nullable: bool,
    /// The format objects are checked against: the server strips formats its type does not
    /// support (any on object, array and boolean; all but int32/int64 on integer, float/double
    /// on number) before validating objects.
    pub format: Option<(String, Format)>,
    /// The schema names a `format`, known or not (kube-openapi's type check looks at it where
    /// nothing stripped it: in a `default`).
    pub has_format: bool,
    /// The string format as written, whatever the type: what a string `default` is checked
    /// against (the default check does not strip formats).
    pub written_format: Option<(String, Format)>,
    pub enumeration: Option<Vec<Value>>,
    pub pattern: Option<Pattern>,
    /// Maxima are signed: kube-openapi compares the length with a negative maximum too, so
    /// `maxLength: -1` refuses every string (even `""`).
    pub max_length: Option<i64>,
    pub min_length: Option<u64>,
    pub maximum: Option<f64>,
    pub exclusive_maximum: bool,
    pub minimum: Option<f64>,
    pub exclusive_minimum: bool,
    pub multiple_of: Option<f64>,
    pub max_items: Option<i64>,
    pub min_items: Option<u64>,
    pub unique_items: bool,
    pub max_properties: Option<i64>,
    pub min_properties: Option<u64>,
    pub required: Vec<String>,
    pub properties: BTreeMap<String, Node>,
    pub additional: Additional,
    pub items: Option<Box<Node>>,
    pub all_of: Vec<Node>,
    pub any_of: Vec<Node>,
    pub one_of: Vec<Node>,
    pub not: Option<Box<Node>>,
    pub preserve_unknown: bool,
    pub embedded: bool,
    pub list_type: Option<ListType>,
    pub default: Option<Value>,
    /// The schema nests deeper than [`MAX_DEPTH`] here; values reaching it are reported.
    pub too_deep: bool,
}

/// Compiled patterns shared between nodes with the same pattern text.
pub(crate) type PatternCache = HashMap<String, Result<Arc<Regex>, String>>;

fn uint(v: Option<&Value>) -> Option<u64> {
    let n = v?.as_number()?;
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    })
}

fn int(v: Option<&Value>) -> Option<i64> {
    let n = v?.as_number()?;
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
            .map(|f| f as i64)
    })
}

fn float(v: Option<&Value>) -> Option<f64> {
    v?.as_f64()
}

fn flag(obj: &Map<String, Value>, key: &str) -> bool {
    obj.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Dropping a deep tree recursively could exhaust the stack: children are moved to a list and
/// dropped one by one instead.
impl Drop for Node {
    fn drop(&mut self) {
        let mut pending: Vec<Node> = Vec::new();
        self.take_children(&mut pending);
        while let Some(mut node) = pending.pop() {
            node.take_children(&mut pending);
        }
    }
}

impl Node {
    fn take_children(&mut self, into: &mut Vec<Node>) {
        into.extend(std::mem::take(&mut self.properties).into_values());
        if let Additional::Schema(n) = std::mem::take(&mut self.additional) {
            into.push(*n);
        }
        if let Some(n) = self.items.take() {
            into.push(*n);
        }
        if let Some(n) = self.not.take() {
            into.push(*n);
        }
        into.append(&mut self.all_of);
        into.append(&mut self.any_of);
        into.append(&mut self.one_of);
    }

    /// Compiles `schema`; `depth` counts the schema nodes above it.
    pub(crate) fn compile(schema: &Value, cache: &mut PatternCache, depth: usize) -> Node {
        let too_deep = || {
            let mut node = Node::default();
            node.too_deep = true;
            node
        };
        if depth > MAX_DEPTH {
            return too_deep();
        }
        if needs_deep_stack(depth) {
            return on_deep_stack(|| Node::compile_here(schema, cache, depth))
                .unwrap_or_else(too_deep);
        }
        Node::compile_here(schema, cache, depth)
    }

    fn compile_here(schema: &Value, cache: &mut PatternCache, depth: usize) -> Node {
        let Some(obj) = schema.as_object() else {
            return Node::default();
        };
        let child = |v: &Value, cache: &mut PatternCache| Node::compile(v, cache, depth + 1);
        let branches = |key: &str, cache: &mut PatternCache| -> Vec<Node> {
            obj.get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|b| child(b, cache)).collect())
                .unwrap_or_default()
        };

        let ty = obj
            .get("type")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(Ty::parse);
        let int_or_string = flag(obj, "x-kubernetes-int-or-string");
        let host = match (&ty, int_or_string) {
            (_, true) | (None, false) | (Some(Ty::String), false) => FormatHost::StringLike,
            (Some(Ty::Integer), false) => FormatHost::Integer,
            (Some(Ty::Number), false) => FormatHost::Number,
            (Some(_), false) => FormatHost::Other,
        };
        let has_format = obj
            .get("format")
            .and_then(Value::as_str)
            .is_some_and(|f| !f.is_empty());
        let format = obj
            .get("format")
            .and_then(Value::as_str)
            .and_then(|name| format::resolve(name, host).map(|f| (name.to_string(), f)));
        let written_format = obj.get("format").and_then(Value::as_str).and_then(|name| {
            format::resolve(name, format::FormatHost::StringLike).map(|f| (name.to_string(), f))
        });
        let pattern = obj
            .get("pattern")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
            .map(|p| Pattern {
                source: p.to_string(),
                regex: cache
                    .entry(p.to_string())
                    .or_insert_with(|| compile_go(p).map(Arc::new))
                    .clone(),
            });
        let properties = obj
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .map(|(k, v)| (k.clone(), child(v, cache)))
                    .collect()
            })
            .unwrap_or_default();
        let additional = match obj.get("additionalProperties") {
            Some(Value::Bool(true)) => Additional::Allowed,
            Some(Value::Bool(false)) => Additional::Forbidden,
            Some(v @ Value::Object(_)) => Additional::Schema(Box::new(child(v, cache))),
            _ => Additional::Absent,
        };
        let items = obj
            .get("items")
            .filter(|v| v.is_object())
            .map(|v| Box::new(child(v, cache)));
        let list_type = match obj.get("x-kubernetes-list-type").and_then(Value::as_str) {
            Some("set") => Some(ListType::Set),
            Some("map") => Some(ListType::Map(strings(
                obj.get("x-kubernetes-list-map-keys"),
            ))),
            Some(_) => Some(ListType::Atomic),
            None => None,
        };

        Node {
            ty,
            int_or_string,
            has_format,
            nullable: flag(obj, "nullable"),
            format,
            written_format,
            enumeration: obj.get("enum").and_then(Value::as_array).cloned(),
            pattern,
            max_length: int(obj.get("maxLength")),
            min_length: uint(obj.get("minLength")),
            maximum: float(obj.get("maximum")),
            exclusive_maximum: flag(obj, "exclusiveMaximum"),
            minimum: float(obj.get("minimum")),
            exclusive_minimum: flag(obj, "exclusiveMinimum"),
            multiple_of: float(obj.get("multipleOf")),
            max_items: int(obj.get("maxItems")),
            min_items: uint(obj.get("minItems")),
            unique_items: flag(obj, "uniqueItems"),
            max_properties: int(obj.get("maxProperties")),
            min_properties: uint(obj.get("minProperties")),
            required: strings(obj.get("required")),
            properties,
            additional,
            items,
            all_of: branches("allOf", cache),
            any_of: branches("anyOf", cache),
            one_of: branches("oneOf", cache),
            not: obj.get("not").map(|v| Box::new(child(v, cache))),
            preserve_unknown: flag(obj, "x-kubernetes-preserve-unknown-fields"),
            embedded: flag(obj, "x-kubernetes-embedded-resource"),
            list_type,
            default: obj.get("default").cloned(),
            too_deep: false,
        }
    }

    /// The node's own schema for the value under `key` of an object, if the key is known.
    pub(crate) fn field(&self, key: &str) -> Option<&Node> {
        match self.properties.get(key) {
            Some(n) => Some(n),
            None => match &self.additional {
                Additional::Schema(n) => Some(n),
                _ => None,
            },
        }
    }
}
