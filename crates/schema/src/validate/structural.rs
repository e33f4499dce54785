//! The rules the API server applies to a version's `openAPIV3Schema` when a CRD is created
//! (apiextensions-apiserver `ValidateStructural`, `ValidateCustomResourceDefinitionOpenAPISchema`
//! and `ValidateDefaults`):
//!
//! - keyword shapes (what the decoder accepts) and unsupported keywords (`$ref`, `definitions`,
//!   `dependencies`, `patternProperties`, `additionalItems`, `id`, `$schema`, an `items` array,
//!   `type: null`, `uniqueItems: true`);
//! - structural schemas: a `type` on every specified node (unless
//!   `x-kubernetes-int-or-string` or `x-kubernetes-preserve-unknown-fields`), an `object` root,
//!   `properties` xor an `additionalProperties` schema, `items` on arrays, only value validations
//!   inside `allOf`/`anyOf`/`oneOf`/`not` (and only about fields the schema defines), `metadata`
//!   at the root restricting nothing but `name` and `generateName`, embedded resources;
//! - `x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`;
//! - `pattern`s that do not compile, simple `x-kubernetes-validations` rules (CEL expressions
//!   themselves are compiled elsewhere);
//! - defaults: forbidden where the server forbids them, and valid against their own node
//!   (checked, like the server does, only when the schema is structural).
//!
//! Each problem is reported once, at the keyword that causes it.
//!
//! On update the server ratchets some of these against the old CRD ([`SchemaContext`],
//! [`OldSchemas`]); where it does not require structural schemas at all
//! ([`structural_schema_required`]), the rules that are `ValidateStructural`'s
//! (`Checker::structural_rule`) are dropped and those of
//! `ValidateCustomResourceDefinitionOpenAPISchema` stay.

use super::pattern::compile_go;
use super::{MAX_DEPTH, Validator, ViolationKind, needs_deep_stack, on_deep_stack};
use crate::path::{FIELD_ITEMS, FIELD_MAP_VALUES, push_field, push_token};
use serde_json::{Map, Value};
use std::fmt::Write;

/// One reason the API server would reject a schema.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaProblem {
    /// JSON-pointer path below the schema root (`/properties/spec/x-kubernetes-list-type`);
    /// empty for the root itself.
    pub path: String,
    /// Field path of the object the node describes (`.spec.ports[*].name`); `None` at the root.
    pub field: Option<String>,
    /// What the API server rejects and how to fix it.
    pub message: String,
    /// The offending value.
    pub value: Value,
}

/// Facts about the version that change the rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct SchemaContext<'a> {
    /// The version enables the status subresource: the root may then only use a few keywords.
    pub status_subresource: bool,
    /// On update, the schemas of the CRD in the cluster: what they already broke is ratcheted.
    pub old: Option<&'a OldSchemas<'a>>,
    /// On update, the server does not require structural schemas (`requireStructuralSchema`
    /// ratcheted: see [`structural_schema_required`]): the rules of `ValidateStructural` (a
    /// `type` everywhere, `items` on arrays, value validations only in `allOf`/`anyOf`/...,
    /// `metadata` at the root, patterns) are not checked, nor defaults.
    pub structural_not_required: bool,
}

impl SchemaContext<'_> {
    /// On update, the old CRD already had a `set` list of non-atomic items somewhere: the
    /// server then drops the atomic-items check (`requireAtomicSetType` ratchets).
    fn allow_non_atomic_set_items(&self) -> bool {
        self.old.is_some_and(OldSchemas::have_non_atomic_set_type)
    }

    /// On update, the old CRD already had a default with fields its schema does not define:
    /// the server then drops the pruned-defaults check (`requirePrunedDefaults` ratchets).
    fn allow_unpruned_defaults(&self) -> bool {
        self.old.is_some_and(OldSchemas::have_unpruned_defaults)
    }

    /// On update, the old CRD already had nullable `set`/`map` items, or a list-map key that is
    /// nullable or neither required nor defaulted: the server then drops those checks
    /// (`requireMapListKeysMapSetValidation` ratchets).
    fn allow_loose_list_keys(&self) -> bool {
        self.old.is_some_and(OldSchemas::have_loose_list_keys)
    }

    /// On update, the old CRD already had a `type` that is not an OpenAPI type (`null`
    /// included): the server then accepts any type name (`requireValidPropertyType` ratchets;
    /// `type: null` stays refused by its own check).
    fn allow_invalid_types(&self) -> bool {
        self.old.is_some_and(OldSchemas::have_invalid_types)
    }
}

/// The schemas of the CRD being updated, asked only where the new schema breaks a rule the
/// server ratchets: walking them costs as much as checking the new CRD, and almost every update
/// breaks none of those rules. Each answer is computed once per CRD.
#[derive(Debug)]
pub struct OldSchemas<'a> {
    schemas: Vec<&'a Value>,
    non_atomic_set_type: std::sync::OnceLock<bool>,
    unpruned_defaults: std::sync::OnceLock<bool>,
    loose_list_keys: std::sync::OnceLock<bool>,
    invalid_types: std::sync::OnceLock<bool>,
    non_structural: std::sync::OnceLock<bool>,
}

impl<'a> OldSchemas<'a> {
    pub fn new(schemas: impl IntoIterator<Item = &'a Value>) -> OldSchemas<'a> {
        OldSchemas {
            schemas: schemas.into_iter().collect(),
            non_atomic_set_type: Default::default(),
            unpruned_defaults: Default::default(),
            loose_list_keys: Default::default(),
            invalid_types: Default::default(),
            non_structural: Default::default(),
        }
    }

    fn have_non_atomic_set_type(&self) -> bool {
        *self
            .non_atomic_set_type
            .get_or_init(|| self.schemas.iter().any(|s| has_non_atomic_set_type(s)))
    }

    fn have_unpruned_defaults(&self) -> bool {
        *self
            .unpruned_defaults
            .get_or_init(|| self.schemas.iter().any(|s| has_unpruned_defaults(s)))
    }

    fn have_loose_list_keys(&self) -> bool {
        *self
            .loose_list_keys
            .get_or_init(|| self.schemas.iter().any(|s| has_loose_list_keys(s)))
    }

    fn have_invalid_types(&self) -> bool {
        *self
            .invalid_types
            .get_or_init(|| self.schemas.iter().any(|s| has_invalid_types(s)))
    }

    /// Whether any old schema is not structural (apiextensions-apiserver's
    /// `specHasNonStructuralSchema`).
    pub fn have_non_structural(&self) -> bool {
        *self
            .non_structural
            .get_or_init(|| self.schemas.iter().any(|s| is_non_structural(s)))
    }
}

/// Whether the server requires the schemas of a new CRD to be structural, on update
/// (`ValidateCustomResourceDefinitionUpdate`'s `requireStructuralSchema`, then
/// `validateCustomResourceDefinitionSpec`): always, unless the old CRD already had a
/// non-structural schema and the new one keeps `spec.preserveUnknownFields: true` and has no
/// default and no `x-kubernetes-*` extension in any schema (pruning, defaulting and the
/// extensions need a structural schema). `new_schemas` are the new CRD's schemas.
pub fn structural_schema_required<'a>(
    old: &OldSchemas<'_>,
    preserve_unknown_fields: bool,
    mut new_schemas: impl Iterator<Item = &'a Value>,
) -> bool {
    !preserve_unknown_fields
        || new_schemas.any(|s| schema_has(s, &|n| has_default(n) || has_kubernetes_extension(n)))
        || !old.have_non_structural()
}

/// Whether a schema has a `default` anywhere (apiextensions-apiserver's `schemaHasDefaults`).
pub fn has_defaults(schema: &Value) -> bool {
    schema_has(schema, &has_default)
}

/// `schemaHasDefaults` on one node.
fn has_default(node: &Value) -> bool {
    node.as_object()
        .is_some_and(|n| get(n, "default").is_some())
}

/// `schemaHasKubernetesExtensions` on one node (`x-kubernetes-map-type` is not among them).
fn has_kubernetes_extension(node: &Value) -> bool {
    let Some(n) = node.as_object() else {
        return false;
    };
    get_flag(n, "x-kubernetes-embedded-resource")
        || get(n, "x-kubernetes-preserve-unknown-fields").is_some()
        || get_flag(n, "x-kubernetes-int-or-string")
        || get(n, "x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .is_some_and(|k| !k.is_empty())
        || get(n, "x-kubernetes-list-type").is_some()
        || get(n, "x-kubernetes-validations")
            .and_then(Value::as_array)
            .is_some_and(|r| !r.is_empty())
}

/// Whether the server would call a schema non-structural: `NewStructural` fails (`$ref`,
/// `definitions`, an `items` list, ...) or `ValidateStructural` finds a problem (a missing
/// `type`, an array without `items`, a bad pattern, ...). A `type` that is `null` or not an
/// OpenAPI type does not count, as there.
pub fn is_non_structural(schema: &Value) -> bool {
    let mut checker = Checker {
        out: Vec::new(),
        structural: true,
        non_structural: false,
        depth_reported: false,
        context: SchemaContext::default(),
    };
    checker.node(schema, &mut At::root(), Ctx::root(), 0);
    checker.non_structural
}

/// Whether a schema has, anywhere, a `type` that is not an OpenAPI type (apiextensions-apiserver's
/// `SchemaHasInvalidTypes`: `null` counts, the empty string does not).
pub fn has_invalid_types(schema: &Value) -> bool {
    schema_has(schema, &|node| {
        node.as_object()
            .and_then(|node| get_str(node, "type"))
            .is_some_and(|ty| !ty.is_empty() && !TYPES.contains(&ty))
    })
}

/// Whether a schema has, anywhere, a `set` or `map` list with nullable items, or a list-map key
/// property that is nullable or neither required nor defaulted (apiextensions-apiserver's
/// `hasInvalidMapListKeysMapSet`; keys that name no property do not count, as there).
pub fn has_loose_list_keys(schema: &Value) -> bool {
    schema_has(schema, &|node| {
        let Some(node) = node.as_object() else {
            return false;
        };
        let list_type = get_str(node, "x-kubernetes-list-type");
        if !matches!(list_type, Some("set" | "map")) {
            return false;
        }
        let Some(items) = get(node, "items").and_then(Value::as_object) else {
            return false;
        };
        if get_flag(items, "nullable") {
            return true;
        }
        if list_type != Some("map") {
            return false;
        }
        let required: Vec<&str> = get(items, "required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let props = get_object(items, "properties");
        get(node, "x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|key| {
                props
                    .and_then(|p| p.get(key))
                    .and_then(Value::as_object)
                    .is_some_and(|prop| {
                        get_flag(prop, "nullable")
                            || (!required.contains(&key) && get(prop, "default").is_none())
                    })
            })
    })
}

/// Whether a schema has, anywhere, an `x-kubernetes-list-type: set` whose items are not atomic
/// (apiextensions-apiserver's `hasNonAtomicSetType`).
pub fn has_non_atomic_set_type(schema: &Value) -> bool {
    schema_has(schema, &|node| {
        let Some(node) = node.as_object() else {
            return false;
        };
        if get_str(node, "x-kubernetes-list-type") != Some("set") {
            return false;
        }
        let Some(items) = get(node, "items").and_then(Value::as_object) else {
            return false;
        };
        match get_str(items, "type") {
            Some("array") => {
                get_str(items, "x-kubernetes-list-type").is_some_and(|t| t != "atomic")
            }
            Some("object") => get_str(items, "x-kubernetes-map-type") != Some("atomic"),
            _ => false,
        }
    })
}

/// Whether a structural schema has a default with fields the schema does not define
/// (apiextensions-apiserver's `schemaHasUnprunedDefaults`; false for a schema that is not
/// structural, as there).
pub fn has_unpruned_defaults(schema: &Value) -> bool {
    let mut checker = Checker {
        out: Vec::new(),
        structural: true,
        non_structural: false,
        depth_reported: false,
        context: SchemaContext::default(),
    };
    checker.node(schema, &mut At::root(), Ctx::root(), 0);
    if !checker.structural {
        return false;
    }
    checker.defaults(schema, &mut At::root(), false, 0);
    checker
        .out
        .iter()
        .any(|p| p.message.starts_with(UNPRUNED_DEFAULT))
}

const UNPRUNED_DEFAULT: &str = "default has fields the schema does not define";

/// `pred` on the schema and every schema below it (apiextensions-apiserver's `SchemaHas`).
fn schema_has(schema: &Value, pred: &dyn Fn(&Value) -> bool) -> bool {
    let Some(obj) = schema.as_object() else {
        return false;
    };
    if pred(schema) {
        return true;
    }
    obj.iter().any(|(key, value)| match key.as_str() {
        "properties" | "patternProperties" | "definitions" | "dependencies" => value
            .as_object()
            .is_some_and(|m| m.values().any(|v| schema_has(v, pred))),
        "items" | "additionalItems" | "additionalProperties" | "not" => match value {
            Value::Array(all) => all.iter().any(|v| schema_has(v, pred)),
            other => schema_has(other, pred),
        },
        "allOf" | "anyOf" | "oneOf" => value
            .as_array()
            .is_some_and(|all| all.iter().any(|v| schema_has(v, pred))),
        _ => false,
    })
}

/// Checks a version's `openAPIV3Schema`.
pub fn check_schema(schema: &Value, context: SchemaContext<'_>) -> Vec<SchemaProblem> {
    let mut checker = Checker {
        out: Vec::new(),
        structural: true,
        non_structural: false,
        depth_reported: false,
        context,
    };
    let mut at = At::root();
    checker.node(schema, &mut at, Ctx::root(), 0);
    if checker.structural && !context.structural_not_required {
        // The server validates defaults only once the schema is structural, and only where it
        // requires structural schemas.
        checker.defaults(schema, &mut At::root(), false, 0);
    }
    checker.out
}

/// Where the walk is: the schema path and the object field path, as growing buffers.
struct At {
    path: String,
    field: String,
}

impl At {
    fn root() -> At {
        At {
            path: String::new(),
            field: String::new(),
        }
    }

    /// Runs `f` one schema token further down, and optionally one field segment.
    fn with<R>(
        &mut self,
        token: &str,
        field: Option<FieldStep<'_>>,
        f: impl FnOnce(&mut At) -> R,
    ) -> R {
        let (path_len, field_len) = (self.path.len(), self.field.len());
        push_token(&mut self.path, token);
        match field {
            Some(FieldStep::Key(k)) => push_field(&mut self.field, k),
            Some(FieldStep::Items) => self.field.push_str(FIELD_ITEMS),
            Some(FieldStep::MapValues) => self.field.push_str(FIELD_MAP_VALUES),
            None => {}
        }
        let r = f(self);
        self.path.truncate(path_len);
        self.field.truncate(field_len);
        r
    }

    fn keyword(&self, keyword: &str) -> String {
        let mut p = self.path.clone();
        push_token(&mut p, keyword);
        p
    }

    fn field(&self) -> Option<String> {
        (!self.field.is_empty()).then(|| self.field.clone())
    }
}

enum FieldStep<'a> {
    Key(&'a str),
    Items,
    MapValues,
}

/// Which kind of node a structural schema node is, for the "type must not be empty" rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Items,
    Field,
}

/// What the walk knows about the position of a node.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    level: Level,
    /// Inside `allOf`/`anyOf`/`oneOf`/`not`: value validations only.
    nested: bool,
    /// Inside `apiVersion`/`kind`/`metadata` of the root or of an embedded resource.
    inside_meta: bool,
    /// Why a default is not allowed here, if it is not.
    no_defaults: Option<&'static str>,
}

impl Ctx {
    fn root() -> Ctx {
        Ctx {
            level: Level::Root,
            nested: false,
            inside_meta: false,
            no_defaults: None,
        }
    }
}

const TYPES: [&str; 6] = ["array", "boolean", "integer", "number", "object", "string"];

/// Keywords the API server refuses outright: the keyword, whether it is refused even when
/// empty (the decoder keeps an empty `dependencies` or `additionalItems: false` as set), and the
/// reason.
const UNSUPPORTED: [(&str, bool, &str); 7] = [
    (
        "$ref",
        true,
        "$ref is not supported: inline the referenced schema",
    ),
    (
        "dependencies",
        true,
        "dependencies is not supported: use x-kubernetes-validations instead",
    ),
    (
        "additionalItems",
        true,
        "additionalItems is not supported: remove it",
    ),
    (
        "definitions",
        false,
        "definitions is not supported: inline the schemas where they are used",
    ),
    (
        "patternProperties",
        false,
        "patternProperties is not supported: use additionalProperties with a pattern on the \
         values, or x-kubernetes-validations",
    ),
    ("id", false, "id is not supported: remove it"),
    ("$schema", false, "$schema is not supported: remove it"),
];

/// Keywords not allowed inside `allOf`/`anyOf`/`oneOf`/`not`, which may hold value validations
/// only.
const NOT_IN_VALUE_VALIDATIONS: [&str; 12] = [
    "type",
    "title",
    "description",
    "default",
    "nullable",
    "additionalProperties",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-list-type",
    "x-kubernetes-map-type",
];

/// Root keywords allowed when the status subresource is enabled.
const ROOT_WITH_STATUS: [&str; 22] = [
    "description",
    "type",
    "format",
    "title",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
    "required",
    "items",
    "properties",
    "externalDocs",
    "example",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-validations",
];

const VALIDATION_REASONS: [&str; 4] = [
    "FieldValueDuplicate",
    "FieldValueForbidden",
    "FieldValueInvalid",
    "FieldValueRequired",
];

/// The JSON shape a keyword must have for the decoder.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Str,
    Bool,
    Number,
    Integer,
    Array,
    StrArray,
    Object,
    ObjectMap,
    SchemaArray,
    SchemaOrBool,
    SchemaOrArray,
}

const SHAPES: [(&str, Shape); 40] = [
    ("id", Shape::Str),
    ("$schema", Shape::Str),
    ("$ref", Shape::Str),
    ("description", Shape::Str),
    ("type", Shape::Str),
    ("format", Shape::Str),
    ("title", Shape::Str),
    ("maximum", Shape::Number),
    ("exclusiveMaximum", Shape::Bool),
    ("minimum", Shape::Number),
    ("exclusiveMinimum", Shape::Bool),
    ("maxLength", Shape::Integer),
    ("minLength", Shape::Integer),
    ("pattern", Shape::Str),
    ("maxItems", Shape::Integer),
    ("minItems", Shape::Integer),
    ("uniqueItems", Shape::Bool),
    ("multipleOf", Shape::Number),
    ("enum", Shape::Array),
    ("maxProperties", Shape::Integer),
    ("minProperties", Shape::Integer),
    ("required", Shape::StrArray),
    ("items", Shape::SchemaOrArray),
    ("allOf", Shape::SchemaArray),
    ("oneOf", Shape::SchemaArray),
    ("anyOf", Shape::SchemaArray),
    ("not", Shape::Object),
    ("properties", Shape::ObjectMap),
    ("additionalProperties", Shape::SchemaOrBool),
    ("patternProperties", Shape::ObjectMap),
    ("additionalItems", Shape::SchemaOrBool),
    ("definitions", Shape::ObjectMap),
    ("externalDocs", Shape::Object),
    ("nullable", Shape::Bool),
    ("x-kubernetes-preserve-unknown-fields", Shape::Bool),
    ("x-kubernetes-embedded-resource", Shape::Bool),
    ("x-kubernetes-int-or-string", Shape::Bool),
    ("x-kubernetes-list-map-keys", Shape::StrArray),
    ("x-kubernetes-list-type", Shape::Str),
    ("x-kubernetes-map-type", Shape::Str),
];

impl Shape {
    fn accepts(self, v: &Value) -> bool {
        match self {
            Shape::Str => v.is_string(),
            Shape::Bool => v.is_boolean(),
            Shape::Number => v.is_number(),
            Shape::Integer => v.as_i64().is_some(),
            Shape::Array => v.is_array(),
            Shape::StrArray => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            Shape::Object => v.is_object(),
            Shape::ObjectMap => v
                .as_object()
                .is_some_and(|m| m.values().all(Value::is_object)),
            Shape::SchemaArray => v.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
            Shape::SchemaOrBool => v.is_boolean() || v.is_object(),
            Shape::SchemaOrArray => {
                v.is_object() || v.as_array().is_some_and(|a| a.iter().all(Value::is_object))
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Shape::Str => "a string",
            Shape::Bool => "true or false",
            Shape::Number => "a number",
            Shape::Integer => "an integer",
            Shape::Array => "a list",
            Shape::StrArray => "a list of strings",
            Shape::Object => "an object",
            Shape::ObjectMap => "a map of schemas",
            Shape::SchemaArray => "a list of schemas",
            Shape::SchemaOrBool => "a schema or true/false",
            Shape::SchemaOrArray => "a schema",
        }
    }
}

/// The value of a keyword, treating JSON `null` as absent (the decoder does).
fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    crate::lookup::field(obj, key).filter(|v| !v.is_null())
}

fn get_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    get(obj, key).and_then(Value::as_str)
}

fn get_flag(obj: &Map<String, Value>, key: &str) -> bool {
    get(obj, key).and_then(Value::as_bool).unwrap_or(false)
}

fn get_object<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    get(obj, key).and_then(Value::as_object)
}

/// The type of a schema node, `""` when unset.
fn type_of(obj: &Map<String, Value>) -> &str {
    get_str(obj, "type").unwrap_or("")
}

/// Whether a value is the Go zero value of its field (what "not set" means to the server).
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
    }
}

/// `anyOf: [{type: integer}, {type: string}]` exactly: the int-or-string form the structural
/// rules accept with types inside.
fn is_int_or_string_any_of(any_of: Option<&Value>) -> bool {
    any_of.and_then(Value::as_array).is_some_and(|branches| {
        branches.len() == 2
            && branches.first() == Some(&serde_json::json!({"type": "integer"}))
            && branches.get(1) == Some(&serde_json::json!({"type": "string"}))
    })
}

struct Checker<'a> {
    out: Vec<SchemaProblem>,
    /// No structural-schema rule is broken so far.
    structural: bool,
    /// The server would call the schema non-structural (`NewStructural` or
    /// `ValidateStructural` fails): what lets an update keep non-structural schemas.
    non_structural: bool,
    depth_reported: bool,
    context: SchemaContext<'a>,
}

impl Checker<'_> {
    fn problem(&mut self, path: String, field: Option<String>, message: String, value: Value) {
        self.out.push(SchemaProblem {
            path,
            field,
            message,
            value,
        });
    }

    /// A problem at `keyword` of the current node.
    fn at(&mut self, at: &At, keyword: &str, message: impl Into<String>, value: Value) {
        self.problem(at.keyword(keyword), at.field(), message.into(), value);
    }

    /// A problem the server reports on its own that also makes the schema non-structural
    /// (the decoder or `NewStructural` fails on it).
    fn structural_at(&mut self, at: &At, keyword: &str, message: impl Into<String>, value: Value) {
        self.structural = false;
        self.non_structural = true;
        self.at(at, keyword, message, value);
    }

    /// A `type` the server refuses (`null`, not an OpenAPI type): not a structural rule
    /// (`ValidateStructural` passes it), but nothing below it is checked further here.
    fn refused_type_at(
        &mut self,
        at: &At,
        keyword: &str,
        message: impl Into<String>,
        value: Value,
    ) {
        self.structural = false;
        self.at(at, keyword, message, value);
    }

    /// A rule of `ValidateStructural`: the schema is not structural, and the problem is
    /// reported unless the update does not require a structural schema.
    fn structural_rule(
        &mut self,
        at: &At,
        keyword: &str,
        message: impl Into<String>,
        value: Value,
    ) {
        self.structural_rule_problem(at.keyword(keyword), at.field(), message.into(), value);
    }

    fn structural_rule_problem(
        &mut self,
        path: String,
        field: Option<String>,
        message: String,
        value: Value,
    ) {
        self.structural = false;
        self.non_structural = true;
        if !self.context.structural_not_required {
            self.problem(path, field, message, value);
        }
    }

    fn node(&mut self, schema: &Value, at: &mut At, ctx: Ctx, depth: usize) {
        if depth > MAX_DEPTH {
            if !self.depth_reported {
                self.depth_reported = true;
                self.structural = false;
                self.problem(
                    at.path.clone(),
                    at.field(),
                    format!(
                        "the schema nests deeper than {MAX_DEPTH} levels: not checked below \
                        this point"
                    ),
                    Value::Null,
                );
            }
            return;
        }
        if needs_deep_stack(depth) {
            let done = on_deep_stack(|| self.node_here(schema, at, ctx, depth)).is_some();
            if !done && !self.depth_reported {
                self.depth_reported = true;
                self.problem(
                    at.path.clone(),
                    at.field(),
                    "the schema nests too deep to check below this point".to_string(),
                    Value::Null,
                );
            }
            return;
        }
        self.node_here(schema, at, ctx, depth);
    }

    fn node_here(&mut self, schema: &Value, at: &mut At, ctx: Ctx, depth: usize) {
        let Some(obj) = schema.as_object() else {
            self.structural = false;
            self.problem(
                at.path.clone(),
                at.field(),
                format!("must be a schema object, not {}", short(schema)),
                schema.clone(),
            );
            return;
        };
        self.shapes(obj, at);
        self.common(obj, at, ctx);
        if ctx.nested {
            self.value_validation(obj, at);
        } else {
            self.structural_node(obj, at, ctx);
            self.lists_and_maps(obj, at);
            self.cel_rules(obj, at);
        }
        self.children(obj, at, ctx, depth);
    }

    /// Keywords with a JSON type the decoder cannot read, and keywords the server refuses.
    fn shapes(&mut self, obj: &Map<String, Value>, at: &At) {
        for (key, shape) in SHAPES {
            if let Some(v) = get(obj, key)
                && !shape.accepts(v)
            {
                self.structural_at(
                    at,
                    key,
                    format!(
                        "{key} must be {}, not {}: the API server cannot read it",
                        shape.describe(),
                        short(v)
                    ),
                    v.clone(),
                );
            }
        }
        if let Some(items) = get(obj, "items")
            && items.is_array()
        {
            self.structural_at(
                at,
                "items",
                "items must be one schema, not a list of schemas: Kubernetes does not support \
                    tuple validation",
                items.clone(),
            );
        }
        for (key, even_empty, reason) in UNSUPPORTED {
            if let Some(v) = get(obj, key)
                && (even_empty || !is_zero(v))
            {
                self.structural_at(at, key, reason, v.clone());
            }
        }
    }

    /// Rules that hold for every node, in value validations too.
    fn common(&mut self, obj: &Map<String, Value>, at: &At, ctx: Ctx) {
        if let Some(ty) = get_str(obj, "type") {
            if ty == "null" {
                self.refused_type_at(
                    at,
                    "type",
                    "type: null is not allowed: use nullable: true on the field's real type",
                    Value::from(ty),
                );
            } else if !ty.is_empty() && !TYPES.contains(&ty) && !self.context.allow_invalid_types()
            {
                self.refused_type_at(
                    at,
                    "type",
                    format!(
                        "type {ty:?} is not an OpenAPI type: use one of {}",
                        TYPES.join(", ")
                    ),
                    Value::from(ty),
                );
            }
        }
        if get_flag(obj, "uniqueItems") {
            self.at(
                at,
                "uniqueItems",
                "uniqueItems: true is not allowed (its cost is quadratic): use \
                    x-kubernetes-list-type: set or map instead",
                Value::Bool(true),
            );
        }
        if let Some(Value::Bool(false)) = obj.get("x-kubernetes-preserve-unknown-fields") {
            // `NewStructural` fails on it too.
            self.non_structural = true;
            self.at(
                at,
                "x-kubernetes-preserve-unknown-fields",
                "x-kubernetes-preserve-unknown-fields must be true or left out, not false",
                Value::Bool(false),
            );
        }
        if let Some(pattern) = get_str(obj, "pattern")
            && let Err(e) = compile_go(pattern)
        {
            // `ValidateStructural` compiles patterns: a structural rule, though nothing else
            // here depends on it.
            self.non_structural = true;
            if !self.context.structural_not_required {
                self.at(
                    at,
                    "pattern",
                    format!(
                        "pattern is not a valid Go regular expression ({e}): fix the expression"
                    ),
                    Value::from(pattern),
                );
            }
        }
        if !ctx.nested
            && let Some(reason) = ctx.no_defaults
            && let Some(default) = get(obj, "default")
        {
            self.at(
                at,
                "default",
                format!("default must not be set {reason}: remove it"),
                default.clone(),
            );
        }
        if ctx.inside_meta && get_flag(obj, "x-kubernetes-embedded-resource") {
            self.at(
                at,
                "x-kubernetes-embedded-resource",
                "x-kubernetes-embedded-resource must not be used inside apiVersion, kind or \
                    metadata",
                Value::Bool(true),
            );
        }
    }

    /// A node inside `allOf`/`anyOf`/`oneOf`/`not`.
    fn value_validation(&mut self, obj: &Map<String, Value>, at: &At) {
        for key in NOT_IN_VALUE_VALIDATIONS {
            let Some(v) = get(obj, key) else {
                continue;
            };
            // The decoder's zero values count as unset (`nullable: false`, `type: ""`,
            // `additionalProperties: false`); any default, even `false`, is a default, and
            // `additionalProperties: {}` is a schema.
            let unset = match key {
                "default" => false,
                "additionalProperties" => *v == Value::Bool(false),
                _ => is_zero(v),
            };
            if unset {
                continue;
            }
            self.structural_rule(
                at,
                key,
                format!(
                    "{key} is not allowed inside allOf, anyOf, oneOf or not: they may only hold \
                        value validations (structural schema); move it to the enclosing schema"
                ),
                v.clone(),
            );
        }
        if let Some(rules) = get(obj, "x-kubernetes-validations")
            && !is_zero(rules)
        {
            self.structural_rule(
                at,
                "x-kubernetes-validations",
                "x-kubernetes-validations is not allowed inside allOf, anyOf, oneOf or not: move \
                    the rules to the enclosing schema",
                rules.clone(),
            );
        }
        if let Some(props) = get_object(obj, "properties")
            && let Some(meta) = props.get("metadata")
        {
            at_owned(at, &["properties", "metadata"], |path| {
                self.structural_rule_problem(
                    path,
                    at.field(),
                    "metadata must not be restricted inside allOf, anyOf, oneOf or not".to_string(),
                    meta.clone(),
                );
            });
        }
    }

    /// Structural-schema invariants of a node outside value validations.
    fn structural_node(&mut self, obj: &Map<String, Value>, at: &At, ctx: Ctx) {
        let ty = type_of(obj);
        let embedded = get_flag(obj, "x-kubernetes-embedded-resource");
        let preserve = get_flag(obj, "x-kubernetes-preserve-unknown-fields");
        let int_or_string = get_flag(obj, "x-kubernetes-int-or-string");
        let properties = get_object(obj, "properties");
        let additional = get(obj, "additionalProperties");
        let has_properties = properties.is_some_and(|p| !p.is_empty());

        if let Some(additional) = additional {
            let restricts = matches!(additional, Value::Bool(false) | Value::Object(_));
            if has_properties && restricts {
                self.at(
                    at,
                    "additionalProperties",
                    "properties and additionalProperties are mutually exclusive: use properties \
                        for a struct, additionalProperties for a map",
                    additional.clone(),
                );
            }
            if ctx.level == Level::Root {
                self.structural_rule(
                    at,
                    "additionalProperties",
                    "additionalProperties must not be used at the root of the schema",
                    additional.clone(),
                );
            } else if embedded {
                self.structural_rule(
                    at,
                    "additionalProperties",
                    "additionalProperties must not be used with x-kubernetes-embedded-resource",
                    additional.clone(),
                );
            }
        }

        if embedded && ty != "object" {
            self.structural_rule(
                at,
                "type",
                "type must be object when x-kubernetes-embedded-resource is true",
                Value::from(ty),
            );
        } else if ty.is_empty() && !int_or_string && !preserve {
            let place = match ctx.level {
                Level::Root => "at the root",
                Level::Items => "for array items",
                Level::Field => "for object fields",
            };
            self.structural_rule(
                at,
                "type",
                format!(
                    "type must not be empty {place} (structural schema): set a type, or \
                     x-kubernetes-int-or-string: true or \
                     x-kubernetes-preserve-unknown-fields: true"
                ),
                Value::Null,
            );
        }
        if ctx.level == Level::Root && !ty.is_empty() && ty != "object" {
            self.structural_rule(
                at,
                "type",
                format!("type must be object at the root, not {ty}"),
                Value::from(ty),
            );
        }
        if ctx.level == Level::Root && get_flag(obj, "nullable") {
            self.at(
                at,
                "nullable",
                "nullable must not be true at the root",
                Value::Bool(true),
            );
        }
        if ty == "array" && get(obj, "items").is_none() {
            self.structural_rule(
                at,
                "items",
                "items must be set on an array (structural schema)",
                Value::Null,
            );
        }
        if embedded && !preserve && !has_properties {
            self.structural_rule(
                at,
                "properties",
                "properties must not be empty when x-kubernetes-embedded-resource is true \
                    without x-kubernetes-preserve-unknown-fields",
                Value::Null,
            );
        }
        if int_or_string && preserve {
            self.structural_rule(
                at,
                "x-kubernetes-preserve-unknown-fields",
                "x-kubernetes-preserve-unknown-fields must not be set with \
                    x-kubernetes-int-or-string",
                Value::Bool(true),
            );
        }
        if int_or_string && embedded {
            self.structural_rule(
                at,
                "x-kubernetes-embedded-resource",
                "x-kubernetes-embedded-resource must not be set with x-kubernetes-int-or-string",
                Value::Bool(true),
            );
        }

        let resource = ctx.level == Level::Root || embedded;
        if let Some(props) = properties {
            if resource {
                for key in ["kind", "apiVersion"] {
                    if let Some(p) = props.get(key).and_then(Value::as_object)
                        && type_of(p) != "string"
                    {
                        at_owned(at, &["properties", key, "type"], |path| {
                            self.structural_rule_problem(
                                path,
                                at.field(),
                                format!("{key} must be of type string"),
                                Value::from(type_of(p)),
                            );
                        });
                    }
                }
            }
            if let Some(meta) = props.get("metadata").and_then(Value::as_object) {
                if resource && type_of(meta) != "object" {
                    at_owned(at, &["properties", "metadata", "type"], |path| {
                        self.structural_rule_problem(
                            path,
                            at.field(),
                            "metadata must be of type object".to_string(),
                            Value::from(type_of(meta)),
                        );
                    });
                }
                if ctx.level == Level::Root {
                    self.root_metadata(meta, at);
                }
            }
        }

        if ctx.level == Level::Root && self.context.status_subresource {
            self.root_with_status(obj, at);
        }
        if ctx.level == Level::Root {
            self.completeness(obj, at);
        }
    }

    /// `metadata` at the root may only restrict `name` and `generateName`.
    fn root_metadata(&mut self, meta: &Map<String, Value>, at: &At) {
        let props = get_object(meta, "properties");
        let other_props: Vec<&String> = props
            .map(|p| {
                p.keys()
                    .filter(|k| *k != "name" && *k != "generateName")
                    .collect()
            })
            .unwrap_or_default();
        // `type` is checked above and `default` is forbidden on its own.
        let other_keywords: Vec<&String> = meta
            .iter()
            .filter(|(k, v)| {
                !matches!(k.as_str(), "type" | "default" | "properties") && !is_zero(v)
            })
            .map(|(k, _)| k)
            .collect();
        if other_props.is_empty() && other_keywords.is_empty() {
            return;
        }
        let mut what: Vec<String> = other_keywords.iter().map(|k| k.to_string()).collect();
        what.extend(other_props.iter().map(|k| format!("properties.{k}")));
        at_owned(at, &["properties", "metadata"], |path| {
            self.structural_rule_problem(
                path,
                Some(".metadata".to_string()),
                format!(
                    "metadata at the root may only restrict name and generateName, not {}: \
                        remove them (the API server validates metadata itself)",
                    what.join(", ")
                ),
                Value::Object(meta.clone()),
            );
        });
    }

    /// With the status subresource, the root may only use keywords that survive extracting
    /// `properties.status`.
    fn root_with_status(&mut self, obj: &Map<String, Value>, at: &At) {
        let extra: Vec<&String> = obj
            .iter()
            .filter(|(k, v)| {
                // Keywords the root may never use are reported on their own.
                let reported = UNSUPPORTED.iter().any(|(u, _, _)| u == k)
                    || k.as_str() == "additionalProperties"
                    || k.as_str() == "nullable";
                !ROOT_WITH_STATUS.contains(&k.as_str()) && !is_zero(v) && !reported
            })
            .map(|(k, _)| k)
            .collect();
        if !extra.is_empty() {
            let list: Vec<&str> = extra.iter().map(|k| k.as_str()).collect();
            self.problem(
                at.path.clone(),
                None,
                format!(
                    "with the status subresource enabled the root of the schema may only use {}; \
                        remove {}",
                    ROOT_WITH_STATUS.join(", "),
                    list.join(", ")
                ),
                Value::Null,
            );
        }
    }

    /// Value validations at the root may only talk about fields and items the schema itself
    /// defines. (The API server checks this for the root's `allOf`/`anyOf`/`oneOf`/`not` only.)
    fn completeness(&mut self, root: &Map<String, Value>, at: &At) {
        for (key, branches) in branch_lists(root) {
            for (i, branch) in branches {
                let mut v_path = at.keyword(key);
                if let Some(i) = i {
                    let _ = write!(v_path, "/{i}");
                }
                self.complete(branch, root, at.path.clone(), v_path, at.field.clone(), 0);
            }
        }
    }

    fn complete(
        &mut self,
        v: &Map<String, Value>,
        s: &Map<String, Value>,
        s_path: String,
        v_path: String,
        field: String,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        for (key, branches) in branch_lists(v) {
            for (i, branch) in branches {
                let mut p = v_path.clone();
                push_token(&mut p, key);
                if let Some(i) = i {
                    let _ = write!(p, "/{i}");
                }
                self.complete(branch, s, s_path.clone(), p, field.clone(), depth + 1);
            }
        }
        if let Some(items) = get_object(v, "items") {
            let mut sp = s_path.clone();
            push_token(&mut sp, "items");
            let mut vp = v_path.clone();
            push_token(&mut vp, "items");
            match get_object(s, "items") {
                Some(s_items) => {
                    self.complete(items, s_items, sp, vp, format!("{field}[*]"), depth + 1)
                }
                None => {
                    self.structural_rule_problem(
                        sp,
                        (!field.is_empty()).then(|| field.clone()),
                        format!(
                            "items must be defined in the schema because {vp} validates it: \
                            value validations may only refer to what the schema defines"
                        ),
                        Value::Null,
                    );
                }
            }
        }
        if let Some(props) = get_object(v, "properties") {
            for (k, vp_node) in props {
                let Some(vp_node) = vp_node.as_object() else {
                    continue;
                };
                let mut sp = s_path.clone();
                push_token(&mut sp, "properties");
                push_token(&mut sp, k);
                let mut vp = v_path.clone();
                push_token(&mut vp, "properties");
                push_token(&mut vp, k);
                let mut f = field.clone();
                push_field(&mut f, k);
                match get_object(s, "properties")
                    .and_then(|p| p.get(k))
                    .and_then(Value::as_object)
                {
                    Some(s_node) => self.complete(vp_node, s_node, sp, vp, f, depth + 1),
                    None => {
                        self.structural_rule_problem(
                            sp,
                            Some(f),
                            format!(
                                "property {k:?} must be defined in the schema because {vp} \
                                 validates it: value validations may only refer to fields the \
                                 schema defines"
                            ),
                            Value::Null,
                        );
                    }
                }
            }
        }
    }

    /// `x-kubernetes-map-type`, `x-kubernetes-list-type` and `x-kubernetes-list-map-keys`.
    fn lists_and_maps(&mut self, obj: &Map<String, Value>, at: &At) {
        let ty = type_of(obj);
        // A missing type is reported once, by the structural rules (where the update requires
        // them).
        let type_reported = !self.context.structural_not_required && type_missing_is_reported(obj);
        if let Some(map_type) = get_str(obj, "x-kubernetes-map-type") {
            if ty != "object" && !type_reported {
                self.at(
                    at,
                    "type",
                    format!(
                        "type must be object when x-kubernetes-map-type is set, {}",
                        type_desc(ty)
                    ),
                    Value::from(ty),
                );
            }
            if map_type != "atomic" && map_type != "granular" {
                self.at(
                    at,
                    "x-kubernetes-map-type",
                    format!("x-kubernetes-map-type must be atomic or granular, not {map_type:?}"),
                    Value::from(map_type),
                );
            }
        }
        let list_type = get_str(obj, "x-kubernetes-list-type");
        let keys: Vec<&str> = get(obj, "x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let items = get_object(obj, "items");
        if let Some(list_type) = list_type {
            if ty != "array" && !type_reported {
                self.at(
                    at,
                    "type",
                    format!(
                        "type must be array when x-kubernetes-list-type is set, {}",
                        type_desc(ty)
                    ),
                    Value::from(ty),
                );
            } else if ty == "array"
                && list_type == "set"
                && let Some(items) = items
            {
                match type_of(items) {
                    "array"
                        if get_str(items, "x-kubernetes-list-type")
                            .is_some_and(|t| t != "atomic")
                            && !self.context.allow_non_atomic_set_items() =>
                    {
                        at_owned(at, &["items", "x-kubernetes-list-type"], |path| {
                            self.problem(
                                path,
                                at.field(),
                                "items of an x-kubernetes-list-type: set must be atomic: set \
                                 x-kubernetes-list-type: atomic on the inner list"
                                    .to_string(),
                                items
                                    .get("x-kubernetes-list-type")
                                    .cloned()
                                    .unwrap_or_default(),
                            );
                        });
                    }
                    "object"
                        if get_str(items, "x-kubernetes-map-type") != Some("atomic")
                            && !self.context.allow_non_atomic_set_items() =>
                    {
                        at_owned(at, &["items", "x-kubernetes-map-type"], |path| {
                            self.problem(
                                path,
                                at.field(),
                                "object items of an x-kubernetes-list-type: set must be atomic: \
                                 set x-kubernetes-map-type: atomic on the items, or use \
                                 x-kubernetes-list-type: map with key fields"
                                    .to_string(),
                                items
                                    .get("x-kubernetes-map-type")
                                    .cloned()
                                    .unwrap_or_default(),
                            );
                        });
                    }
                    _ => {}
                }
            }
            if !matches!(list_type, "atomic" | "set" | "map") {
                self.at(
                    at,
                    "x-kubernetes-list-type",
                    format!("x-kubernetes-list-type must be atomic, set or map, not {list_type:?}"),
                    Value::from(list_type),
                );
            }
        }
        if !keys.is_empty() && list_type != Some("map") {
            self.at(
                at,
                "x-kubernetes-list-map-keys",
                "x-kubernetes-list-map-keys is set but x-kubernetes-list-type is not map: set \
                    x-kubernetes-list-type: map, or remove the keys",
                get(obj, "x-kubernetes-list-map-keys")
                    .cloned()
                    .unwrap_or(Value::Null),
            );
        }
        if matches!(list_type, Some("set" | "map"))
            && let Some(items) = items
            && get_flag(items, "nullable")
            && !self.context.allow_loose_list_keys()
        {
            at_owned(at, &["items", "nullable"], |path| {
                self.problem(
                    path,
                    at.field(),
                    format!(
                        "items of an x-kubernetes-list-type: {} must not be nullable",
                        list_type.unwrap_or("")
                    ),
                    Value::Bool(true),
                );
            });
        }
        if list_type == Some("map") {
            self.list_map(obj, &keys, items, at);
        }
    }

    fn list_map(
        &mut self,
        obj: &Map<String, Value>,
        keys: &[&str],
        items: Option<&Map<String, Value>>,
        at: &At,
    ) {
        let keys_value = get(obj, "x-kubernetes-list-map-keys")
            .cloned()
            .unwrap_or(Value::Null);
        if keys.is_empty() {
            self.at(
                at,
                "x-kubernetes-list-map-keys",
                "x-kubernetes-list-map-keys must name the \
                key fields when x-kubernetes-list-type is map",
                keys_value.clone(),
            );
        }
        let Some(items) = items else {
            // `items must be set on an array` is reported by the structural rules.
            return;
        };
        if type_of(items) != "object" {
            if type_missing_is_reported(items) {
                return;
            }
            at_owned(at, &["items", "type"], |path| {
                self.problem(
                    path,
                    at.field(),
                    "items of an x-kubernetes-list-type: map must be of type object".to_string(),
                    Value::from(type_of(items)),
                );
            });
            return;
        }
        let props = get_object(items, "properties");
        let required: Vec<&str> = get(items, "required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut seen: Vec<&str> = Vec::new();
        let mut missing: Vec<&str> = Vec::new();
        for key in keys {
            if seen.contains(key) {
                self.at(
                    at,
                    "x-kubernetes-list-map-keys",
                    format!("x-kubernetes-list-map-keys names {key:?} twice: list each key once"),
                    keys_value.clone(),
                );
                continue;
            }
            seen.push(key);
            let Some(prop) = props.and_then(|p| p.get(*key)).and_then(Value::as_object) else {
                missing.push(key);
                continue;
            };
            let mut field = at.field.clone();
            field.push_str(FIELD_ITEMS);
            push_field(&mut field, key);
            let prop_type = type_of(prop);
            if prop_type == "array" || prop_type == "object" {
                at_owned(at, &["items", "properties", key, "type"], |path| {
                    self.problem(
                        path,
                        Some(field.clone()),
                        format!(
                            "{key} is a key of an x-kubernetes-list-type: map, so it must be a \
                             scalar (string, integer, number or boolean), not {prop_type}"
                        ),
                        Value::from(prop_type),
                    );
                });
            }
            if !required.contains(key)
                && get(prop, "default").is_none()
                && !self.context.allow_loose_list_keys()
            {
                at_owned(at, &["items", "properties", key], |path| {
                    self.problem(
                        path,
                        Some(field.clone()),
                        format!(
                            "{key} is in x-kubernetes-list-map-keys, so it must be required or \
                             have a default: add it to the items' required list or give it a \
                             default"
                        ),
                        Value::Null,
                    );
                });
            }
            if get_flag(prop, "nullable") && !self.context.allow_loose_list_keys() {
                at_owned(at, &["items", "properties", key, "nullable"], |path| {
                    self.problem(
                        path,
                        Some(field.clone()),
                        format!(
                            "{key} is in x-kubernetes-list-map-keys, so it must not be nullable"
                        ),
                        Value::Bool(true),
                    );
                });
            }
        }
        if !missing.is_empty() {
            self.at(
                at,
                "x-kubernetes-list-map-keys",
                format!(
                    "x-kubernetes-list-map-keys must name properties of the items; {} {} \
                    not: define {} in items.properties or fix the key list",
                    missing.join(", "),
                    if missing.len() == 1 { "is" } else { "are" },
                    if missing.len() == 1 { "it" } else { "them" }
                ),
                keys_value,
            );
        }
    }

    /// The parts of `x-kubernetes-validations` checked without compiling CEL.
    fn cel_rules(&mut self, obj: &Map<String, Value>, at: &At) {
        let Some(rules) = get(obj, "x-kubernetes-validations").and_then(Value::as_array) else {
            if let Some(v) = get(obj, "x-kubernetes-validations") {
                self.at(
                    at,
                    "x-kubernetes-validations",
                    format!(
                        "x-kubernetes-validations must be a list of rules, not {}",
                        short(v)
                    ),
                    v.clone(),
                );
            }
            return;
        };
        for (i, rule) in rules.iter().enumerate() {
            let path = format!("{}/{i}", at.keyword("x-kubernetes-validations"));
            let Some(rule) = rule.as_object() else {
                self.problem(
                    path,
                    at.field(),
                    "each x-kubernetes-validations entry must be an object with a rule".to_string(),
                    rule.clone(),
                );
                continue;
            };
            let text = get_str(rule, "rule").unwrap_or("").trim();
            let message = get_str(rule, "message");
            let trimmed_message = message.unwrap_or("").trim();
            let has_newline = |s: &str| s.contains(['\n', '\r']);
            let problem = if text.is_empty() {
                Some("rule must be set".to_string())
            } else if message.is_some_and(|m| !m.is_empty()) && trimmed_message.is_empty() {
                Some("message must not be blank when it is set".to_string())
            } else if has_newline(trimmed_message) {
                Some("message must not contain line breaks".to_string())
            } else if has_newline(text) && trimmed_message.is_empty() {
                Some("a rule with line breaks needs a message".to_string())
            } else {
                None
            };
            if let Some(p) = problem {
                self.problem(path.clone(), at.field(), p, Value::Object(rule.clone()));
            }
            if let Some(expr) = get_str(rule, "messageExpression")
                && !expr.is_empty()
                && expr.trim().is_empty()
            {
                self.problem(
                    path.clone(),
                    at.field(),
                    "messageExpression must not be blank when it is set".to_string(),
                    Value::from(expr),
                );
            }
            if let Some(reason) = get_str(rule, "reason")
                && !VALIDATION_REASONS.contains(&reason)
            {
                self.problem(
                    path.clone(),
                    at.field(),
                    format!(
                        "reason must be one of {}, not {reason:?}",
                        VALIDATION_REASONS.join(", ")
                    ),
                    Value::from(reason),
                );
            }
            if let Some(fp) = get_str(rule, "fieldPath")
                && !fp.is_empty()
                && (fp.trim().is_empty() || has_newline(fp))
            {
                self.problem(
                    path,
                    at.field(),
                    "fieldPath must be a single-line, non-blank path".to_string(),
                    Value::from(fp),
                );
            }
        }
    }

    /// Recurses into sub-schemas.
    fn children(&mut self, obj: &Map<String, Value>, at: &mut At, ctx: Ctx, depth: usize) {
        let embedded = get_flag(obj, "x-kubernetes-embedded-resource");
        let resource = !ctx.nested && (ctx.level == Level::Root || embedded);
        if let Some(props) = get_object(obj, "properties") {
            for (key, child) in props {
                let mut c = Ctx {
                    level: Level::Field,
                    ..ctx
                };
                if resource && matches!(key.as_str(), "metadata" | "kind" | "apiVersion") {
                    c.inside_meta = true;
                    if ctx.level == Level::Root {
                        c.no_defaults = Some(match key.as_str() {
                            "metadata" => "in top-level metadata",
                            "kind" => "in top-level kind",
                            _ => "in top-level apiVersion",
                        });
                    }
                }
                at.with("properties", None, |at| {
                    at.with(key, Some(FieldStep::Key(key)), |at| {
                        self.node(child, at, c, depth + 1)
                    });
                });
            }
        }
        if let Some(additional) = get(obj, "additionalProperties")
            && additional.is_object()
        {
            let mut c = Ctx {
                level: Level::Field,
                ..ctx
            };
            if ctx.inside_meta {
                c.no_defaults = Some("inside additionalProperties applying to object metadata");
            }
            at.with("additionalProperties", Some(FieldStep::MapValues), |at| {
                self.node(additional, at, c, depth + 1);
            });
        }
        if let Some(items) = get(obj, "items")
            && items.is_object()
        {
            let c = Ctx {
                level: Level::Items,
                ..ctx
            };
            at.with("items", Some(FieldStep::Items), |at| {
                self.node(items, at, c, depth + 1)
            });
        }
        // The int-or-string forms may carry types inside anyOf (not checked as value
        // validations), but they are still schemas that must be well formed.
        let skip_any_of = is_int_or_string_any_of(get(obj, "anyOf"));
        let first_all_of_any_of = get(obj, "allOf")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_object)
            .is_some_and(|first| is_int_or_string_any_of(get(first, "anyOf")));
        let nested = Ctx {
            nested: true,
            ..ctx
        };
        for key in ["allOf", "anyOf", "oneOf"] {
            let Some(branches) = get(obj, key).and_then(Value::as_array) else {
                continue;
            };
            for (i, branch) in branches.iter().enumerate() {
                let int_or_string_form = (key == "anyOf" && skip_any_of)
                    || (key == "allOf" && i == 0 && first_all_of_any_of);
                at.with(key, None, |at| {
                    at.with(&i.to_string(), None, |at| match branch.as_object() {
                        Some(form) if int_or_string_form => {
                            self.int_or_string_branch(form, at, nested, key, depth);
                        }
                        _ => self.node(branch, at, nested, depth + 1),
                    });
                });
            }
        }
        if let Some(not) = get(obj, "not") {
            at.with("not", None, |at| self.node(not, at, nested, depth + 1));
        }
    }

    /// A branch that holds the int-or-string `anyOf` form: the two typed branches of that `anyOf`
    /// are exempt from the value-validation rules.
    fn int_or_string_branch(
        &mut self,
        branch: &Map<String, Value>,
        at: &mut At,
        ctx: Ctx,
        key: &str,
        depth: usize,
    ) {
        if key == "anyOf" {
            // `{type: integer}` or `{type: string}` itself.
            self.shapes(branch, at);
            self.common(branch, at, ctx);
            return;
        }
        // allOf[0] whose anyOf is the int-or-string form: check the rest as a value validation.
        let mut rest = branch.clone();
        let any_of = rest.remove("anyOf");
        self.node(&Value::Object(rest), at, ctx, depth + 1);
        if let Some(Value::Array(forms)) = any_of {
            for (i, form) in forms.iter().enumerate() {
                if let Some(form) = form.as_object() {
                    at.with("anyOf", None, |at| {
                        at.with(&i.to_string(), None, |at| {
                            self.shapes(form, at);
                            self.common(form, at, ctx);
                        });
                    });
                }
            }
        }
    }

    /// Defaults must validate against their own node and have no unknown fields. Like the API
    /// server, this follows `properties` and `items` only (defaults are forbidden in value
    /// validations, and not checked below `additionalProperties`).
    fn defaults(&mut self, schema: &Value, at: &mut At, inside_meta: bool, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        if needs_deep_stack(depth) {
            on_deep_stack(|| self.defaults_here(schema, at, inside_meta, depth));
            return;
        }
        self.defaults_here(schema, at, inside_meta, depth);
    }

    fn defaults_here(&mut self, schema: &Value, at: &mut At, inside_meta: bool, depth: usize) {
        let Some(obj) = schema.as_object() else {
            return;
        };
        let embedded = get_flag(obj, "x-kubernetes-embedded-resource");
        let inside_meta = inside_meta && !embedded;
        if let Some(default) = get(obj, "default")
            && !inside_meta
        {
            self.check_default(schema, default, at);
        }
        let resource = at.path.is_empty() || embedded;
        if let Some(props) = get_object(obj, "properties") {
            for (key, child) in props {
                let meta = inside_meta
                    || (resource && matches!(key.as_str(), "metadata" | "kind" | "apiVersion"));
                at.with("properties", None, |at| {
                    at.with(key, Some(FieldStep::Key(key)), |at| {
                        self.defaults(child, at, meta, depth + 1)
                    });
                });
            }
        }
        if let Some(items) = get(obj, "items") {
            at.with("items", Some(FieldStep::Items), |at| {
                self.defaults(items, at, inside_meta, depth + 1)
            });
        }
    }

    fn check_default(&mut self, node: &Value, default: &Value, at: &At) {
        let violations = Validator::new(node).validate_default(default);
        let (pruned, invalid): (Vec<_>, Vec<_>) = violations
            .into_iter()
            .partition(|v| v.kind == ViolationKind::Pruned);
        if !invalid.is_empty() {
            let shown: Vec<String> = invalid
                .iter()
                .take(3)
                .map(|v| {
                    if v.path == "." {
                        v.message.clone()
                    } else {
                        format!("{}: {}", v.path, v.message)
                    }
                })
                .collect();
            let more = if invalid.len() > 3 {
                format!(" (and {} more)", invalid.len() - 3)
            } else {
                String::new()
            };
            self.at(
                at,
                "default",
                format!(
                    "default does not validate against its own schema: {}{more}; fix the \
                    default or the schema",
                    shown.join("; ")
                ),
                default.clone(),
            );
        }
        if !pruned.is_empty() && !self.context.allow_unpruned_defaults() {
            let paths: Vec<&str> = pruned.iter().map(|v| v.path.as_str()).collect();
            self.at(
                at,
                "default",
                format!(
                    "{UNPRUNED_DEFAULT} ({}): the API server \
                    requires defaults to be pruned; remove them or add them to the schema",
                    paths.join(", ")
                ),
                default.clone(),
            );
        }
    }
}

/// Schemas under one combinator keyword, with their index (`not` has none).
type Branches<'a> = Vec<(Option<usize>, &'a Map<String, Value>)>;

/// The `allOf`/`anyOf`/`oneOf` branches (with their index) and `not` (no index) of a node.
fn branch_lists(obj: &Map<String, Value>) -> Vec<(&'static str, Branches<'_>)> {
    let mut out = Vec::new();
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(branches) = get(obj, key).and_then(Value::as_array) {
            let list = branches
                .iter()
                .enumerate()
                .filter_map(|(i, b)| b.as_object().map(|b| (Some(i), b)))
                .collect();
            out.push((key, list));
        }
    }
    if let Some(not) = get_object(obj, "not") {
        out.push(("not", vec![(None, not)]));
    }
    out
}

/// Calls `f` with the current path extended by `tokens`.
fn at_owned(at: &At, tokens: &[&str], f: impl FnOnce(String)) {
    let mut path = at.path.clone();
    for t in tokens {
        push_token(&mut path, t);
    }
    f(path);
}

/// Whether the structural rules report this node for having no type.
fn type_missing_is_reported(obj: &Map<String, Value>) -> bool {
    type_of(obj).is_empty()
        && !get_flag(obj, "x-kubernetes-int-or-string")
        && !get_flag(obj, "x-kubernetes-preserve-unknown-fields")
        && !get_flag(obj, "x-kubernetes-embedded-resource")
}

/// "not string", or "but it is missing".
fn type_desc(ty: &str) -> String {
    if ty.is_empty() {
        "but it is missing".to_string()
    } else {
        format!("not {ty}")
    }
}

/// A value rendered briefly for messages.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        s.chars().take(37).collect::<String>() + "..."
    } else {
        s
    }
}
