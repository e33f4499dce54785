//! The schema walker, rule by rule: for every rule of the "Properties" table of RULES.md a pair
//! that triggers it and a near pair that does not; then the invariants (nothing silently
//! dropped, one edit one finding, order-insensitivity, defaults equal absence), paths, depth.

use nexus::compare::path::schema_root_path;
use nexus::compare::schema::{SchemaCtx, compare_schemas};
use nexus::report::{Change, Severity};
use serde_json::{Map, Value, json};

const BASE: &str = "/spec/versions/name=v1/schema/openAPIV3Schema";

fn ctx() -> SchemaCtx<'static> {
    SchemaCtx {
        crd: "widgets.example.com",
        version: "v1",
        base_path: schema_root_path("v1"),
    }
}

fn diff(old: &Value, new: &Value) -> Vec<Change> {
    compare_schemas(&ctx(), old, new)
}

fn ids(changes: &[Change]) -> Vec<&'static str> {
    let mut ids: Vec<&str> = changes.iter().map(|c| c.rule.as_str()).collect();
    ids.sort_unstable();
    ids
}

/// A root schema whose `.spec.x` is `leaf`.
fn at_x(leaf: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {"x": leaf}}
        }
    })
}

/// One row of the rule table: `old -> new` fires exactly `expect` on `.spec.x`; `near_old ->
/// near_new` does not fire `rule`.
struct Case {
    rule: &'static str,
    old: Value,
    new: Value,
    expect: &'static [&'static str],
    near_old: Value,
    near_new: Value,
}

fn case(
    rule: &'static str,
    old: Value,
    new: Value,
    expect: &'static [&'static str],
    near: (Value, Value),
) -> Case {
    Case {
        rule,
        old,
        new,
        expect,
        near_old: near.0,
        near_new: near.1,
    }
}

fn obj(props: Value) -> Value {
    json!({"type": "object", "properties": props})
}

fn cases() -> Vec<Case> {
    let s = || json!({"type": "string"});
    let int = || json!({"type": "integer"});
    let with = |mut base: Value, extra: Value| {
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        base
    };
    vec![
        case(
            "field-added",
            obj(json!({"a": s()})),
            obj(json!({"a": s(), "b": s()})),
            &["field-added"],
            (
                obj(json!({"a": s()})),
                with(obj(json!({"a": s(), "b": s()})), json!({"required": ["b"]})),
            ),
        ),
        case(
            "field-removed",
            obj(json!({"a": s(), "b": s()})),
            obj(json!({"a": s()})),
            &["field-removed"],
            (
                obj(json!({"a": s(), "b": s()})),
                obj(json!({"a": s(), "b": with(s(), json!({"description": "d"}))})),
            ),
        ),
        case(
            "required-added",
            obj(json!({"a": s()})),
            with(obj(json!({"a": s()})), json!({"required": ["a"]})),
            &["required-added"],
            (
                with(
                    obj(json!({"a": s(), "b": s()})),
                    json!({"required": ["a", "b"]}),
                ),
                with(
                    obj(json!({"a": s(), "b": s()})),
                    json!({"required": ["b", "a"]}),
                ),
            ),
        ),
        case(
            "required-removed",
            with(obj(json!({"a": s()})), json!({"required": ["a"]})),
            obj(json!({"a": s()})),
            &["required-removed"],
            (
                obj(json!({"a": s()})),
                with(obj(json!({"a": s()})), json!({"required": []})),
            ),
        ),
        case(
            "type-changed",
            s(),
            int(),
            &["type-changed"],
            (s(), with(s(), json!({"nullable": false}))),
        ),
        case(
            "type-widened",
            int(),
            json!({"type": "number"}),
            &["type-widened"],
            (json!({"type": "number"}), json!({"type": "number"})),
        ),
        case(
            "format-changed",
            s(),
            with(s(), json!({"format": "uuid"})),
            &["format-changed"],
            (
                with(int(), json!({"format": "int32"})),
                with(int(), json!({"format": "int64"})),
            ),
        ),
        case(
            "format-widened",
            with(json!({"type": "number"}), json!({"format": "float"})),
            with(json!({"type": "number"}), json!({"format": "double"})),
            &["format-widened"],
            (
                with(int(), json!({"format": "int64"})),
                with(int(), json!({"format": "int32"})),
            ),
        ),
        case(
            "format-removed",
            with(s(), json!({"format": "date-time"})),
            s(),
            &["format-removed"],
            (s(), with(s(), json!({"format": "date-time"}))),
        ),
        case(
            "int-or-string-changed",
            int(),
            json!({"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}),
            &["int-or-string-changed"],
            (
                int(),
                with(int(), json!({"x-kubernetes-int-or-string": false})),
            ),
        ),
        case(
            "enum-added",
            s(),
            with(s(), json!({"enum": ["a", "b"]})),
            &["enum-added"],
            (s(), with(s(), json!({"enum": []}))),
        ),
        case(
            "enum-value-removed",
            with(s(), json!({"enum": ["a", "b"]})),
            with(s(), json!({"enum": ["a"]})),
            &["enum-value-removed"],
            (
                with(s(), json!({"enum": ["a", "b"]})),
                with(s(), json!({"enum": ["b", "a"]})),
            ),
        ),
        case(
            "enum-value-added",
            with(s(), json!({"enum": ["a"]})),
            with(s(), json!({"enum": ["a", "b"]})),
            &["enum-value-added"],
            (
                with(int(), json!({"enum": [1]})),
                with(int(), json!({"enum": [1.0]})),
            ),
        ),
        case(
            "enum-removed",
            with(s(), json!({"enum": ["a"]})),
            s(),
            &["enum-removed"],
            (
                with(s(), json!({"enum": ["a"]})),
                with(s(), json!({"enum": ["a", "a"]})),
            ),
        ),
        case(
            "default-added",
            int(),
            with(int(), json!({"default": 1})),
            &["default-added"],
            (
                with(int(), json!({"default": 1})),
                with(int(), json!({"default": 1.0})),
            ),
        ),
        case(
            "default-changed",
            with(int(), json!({"default": 1})),
            with(int(), json!({"default": 2})),
            &["default-changed"],
            (
                json!({"type": "object", "default": {"a": 1, "b": [1, 2]}}),
                serde_json::from_str(r#"{"default": {"b": [1, 2], "a": 1.0}, "type": "object"}"#)
                    .unwrap(),
            ),
        ),
        case(
            "default-removed",
            with(s(), json!({"default": ""})),
            s(),
            &["default-removed"],
            (s(), with(s(), json!({"default": null}))),
        ),
        case(
            "max-added",
            s(),
            with(s(), json!({"maxLength": 10})),
            &["max-added"],
            (
                with(s(), json!({"maxLength": 10})),
                with(s(), json!({"maxLength": 10.0})),
            ),
        ),
        case(
            "max-decreased",
            with(int(), json!({"maximum": 10})),
            with(int(), json!({"maximum": 5})),
            &["max-decreased"],
            (
                with(int(), json!({"maximum": 10})),
                with(int(), json!({"maximum": 20})),
            ),
        ),
        case(
            "max-relaxed",
            json!({"type": "array", "items": s(), "maxItems": 5}),
            json!({"type": "array", "items": s()}),
            &["max-relaxed"],
            (
                json!({"type": "array", "items": s(), "maxItems": 5}),
                json!({"type": "array", "items": s(), "maxItems": 3}),
            ),
        ),
        case(
            "min-added",
            json!({"type": "object"}),
            json!({"type": "object", "minProperties": 1}),
            &["min-added"],
            (
                json!({"type": "object"}),
                json!({"type": "object", "maxProperties": 1}),
            ),
        ),
        case(
            "min-increased",
            with(s(), json!({"minLength": 1})),
            with(s(), json!({"minLength": 2})),
            &["min-increased"],
            (
                with(s(), json!({"minLength": 2})),
                with(s(), json!({"minLength": 1})),
            ),
        ),
        case(
            "min-relaxed",
            with(int(), json!({"minimum": -1})),
            with(int(), json!({"minimum": -5.5})),
            &["min-relaxed"],
            (
                with(int(), json!({"minimum": -5})),
                with(int(), json!({"minimum": -1})),
            ),
        ),
        case(
            "exclusive-bound-enabled",
            with(int(), json!({"maximum": 5})),
            with(int(), json!({"maximum": 5, "exclusiveMaximum": true})),
            &["exclusive-bound-enabled"],
            (
                with(int(), json!({"maximum": 5})),
                with(int(), json!({"maximum": 5, "exclusiveMaximum": false})),
            ),
        ),
        case(
            "exclusive-bound-disabled",
            with(int(), json!({"minimum": 0, "exclusiveMinimum": true})),
            with(int(), json!({"minimum": 0, "exclusiveMinimum": false})),
            &["exclusive-bound-disabled"],
            (
                with(int(), json!({"minimum": 0})),
                with(int(), json!({"minimum": 0, "exclusiveMinimum": true})),
            ),
        ),
        case(
            "multiple-of-changed",
            int(),
            with(int(), json!({"multipleOf": 2})),
            &["multiple-of-changed"],
            (
                with(int(), json!({"multipleOf": 2})),
                with(int(), json!({"multipleOf": 2.0})),
            ),
        ),
        case(
            "multiple-of-removed",
            with(int(), json!({"multipleOf": 2})),
            int(),
            &["multiple-of-removed"],
            (int(), with(int(), json!({"multipleOf": 2}))),
        ),
        case(
            "pattern-added",
            s(),
            with(s(), json!({"pattern": "^[a-z]+$"})),
            &["pattern-added"],
            (
                with(s(), json!({"pattern": "^[a-z]+$"})),
                with(s(), json!({"pattern": "^[a-z0-9]+$"})),
            ),
        ),
        case(
            "pattern-changed",
            with(s(), json!({"pattern": "^[a-z]+$"})),
            with(s(), json!({"pattern": "^[a-z0-9]+$"})),
            &["pattern-changed"],
            (
                with(s(), json!({"pattern": "^a$"})),
                with(s(), json!({"pattern": "^a$"})),
            ),
        ),
        case(
            "pattern-removed",
            with(s(), json!({"pattern": "^a$"})),
            s(),
            &["pattern-removed"],
            (s(), with(s(), json!({"pattern": "^a$"}))),
        ),
        case(
            "nullable-added",
            s(),
            with(s(), json!({"nullable": true})),
            &["nullable-added"],
            (s(), with(s(), json!({"nullable": false}))),
        ),
        case(
            "nullable-removed",
            with(s(), json!({"nullable": true})),
            with(s(), json!({"nullable": false})),
            &["nullable-removed"],
            (s(), with(s(), json!({"nullable": true}))),
        ),
        case(
            "unique-items-enabled",
            json!({"type": "array", "items": s()}),
            json!({"type": "array", "items": s(), "uniqueItems": true}),
            &["unique-items-enabled"],
            (
                json!({"type": "array", "items": s(), "uniqueItems": true}),
                json!({"type": "array", "items": s()}),
            ),
        ),
        case(
            "one-of-changed",
            json!({"type": "object"}),
            json!({"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b"]}]}),
            &["one-of-changed"],
            (
                json!({"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b", "c"]}]}),
                json!({"type": "object", "oneOf": [{"required": ["c", "b"]}, {"required": ["a"]}]}),
            ),
        ),
        case(
            "any-of-changed",
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
            json!({"anyOf": [{"type": "string"}, {"type": "boolean"}]}),
            &["any-of-changed"],
            (
                json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
                json!({"anyOf": [{"type": "integer"}, {"type": "string"}]}),
            ),
        ),
        case(
            "all-of-branch-added",
            json!({"type": "object", "allOf": [{"required": ["a"]}]}),
            json!({"type": "object", "allOf": [{"required": ["a"]}, {"required": ["b"]}]}),
            &["all-of-branch-added"],
            (
                json!({"type": "object", "allOf": [{"required": ["a"]}, {"required": ["b"]}]}),
                json!({"type": "object", "allOf": [{"required": ["b"]}]}),
            ),
        ),
        case(
            "all-of-branch-removed",
            json!({"type": "object", "allOf": [{"required": ["a"]}, {"required": ["b"]}]}),
            json!({"type": "object", "allOf": [{"required": ["b"]}]}),
            &["all-of-branch-removed"],
            (
                json!({"type": "object", "allOf": [{"required": ["a"]}, {"required": ["b"]}]}),
                json!({"type": "object", "allOf": [{"required": ["b"]}, {"required": ["a"]}]}),
            ),
        ),
        case(
            "not-changed",
            json!({"type": "object"}),
            json!({"type": "object", "not": {"required": ["a"]}}),
            &["not-changed"],
            (
                json!({"type": "object", "not": {"required": ["a"]}}),
                json!({"type": "object"}),
            ),
        ),
        case(
            "not-removed",
            json!({"type": "object", "not": {"required": ["a", "b"]}}),
            json!({"type": "object"}),
            &["not-removed"],
            (
                json!({"type": "object", "not": {"required": ["a", "b"]}}),
                json!({"type": "object", "not": {"required": ["b", "a"]}}),
            ),
        ),
        case(
            "cel-rule-added",
            int(),
            with(
                int(),
                json!({"x-kubernetes-validations": [{"rule": "self > 0"}]}),
            ),
            &["cel-rule-added"],
            (
                with(
                    int(),
                    json!({"x-kubernetes-validations": [{"rule": "self > 0"}]}),
                ),
                with(
                    int(),
                    json!({"x-kubernetes-validations": [{"rule": "self > 0", "reason": "FieldValueInvalid", "optionalOldSelf": false}]}),
                ),
            ),
        ),
        case(
            "cel-rule-removed",
            with(
                int(),
                json!({"x-kubernetes-validations": [{"rule": "self > 0"}, {"rule": "self < 9"}]}),
            ),
            with(
                int(),
                json!({"x-kubernetes-validations": [{"rule": "self < 9"}]}),
            ),
            &["cel-rule-removed"],
            (
                with(
                    int(),
                    json!({"x-kubernetes-validations": [{"rule": "self > 0"}, {"rule": "self < 9"}]}),
                ),
                with(
                    int(),
                    json!({"x-kubernetes-validations": [{"rule": "self < 9"}, {"rule": "self > 0"}]}),
                ),
            ),
        ),
        case(
            "cel-rule-changed",
            with(
                int(),
                json!({"x-kubernetes-validations": [{"rule": "self > 0", "message": "must be positive"}]}),
            ),
            with(
                int(),
                json!({"x-kubernetes-validations": [{"rule": "self > 1", "message": "must be positive"}]}),
            ),
            &["cel-rule-changed"],
            (
                with(
                    int(),
                    json!({"x-kubernetes-validations": [{"rule": "self > 0", "message": "must be positive"}]}),
                ),
                with(
                    int(),
                    json!({"x-kubernetes-validations": [{"rule": "self > 0", "message": "must be > 0"}]}),
                ),
            ),
        ),
        case(
            "cel-message-changed",
            with(
                int(),
                json!({"x-kubernetes-validations": [{"rule": "self > 0", "fieldPath": ".a"}]}),
            ),
            with(
                int(),
                json!({"x-kubernetes-validations": [{"rule": "self > 0", "fieldPath": ".b"}]}),
            ),
            &["cel-message-changed"],
            (
                with(
                    int(),
                    json!({"x-kubernetes-validations": [{"rule": "self > 0", "message": "m"}]}),
                ),
                with(
                    int(),
                    json!({"x-kubernetes-validations": [{"rule": "self > 0", "message": "m", "reason": "FieldValueForbidden"}]}),
                ),
            ),
        ),
        case(
            "list-type-changed",
            json!({"type": "array", "items": s()}),
            json!({"type": "array", "items": s(), "x-kubernetes-list-type": "set"}),
            &["list-type-changed"],
            (
                json!({"type": "array", "items": s()}),
                json!({"type": "array", "items": s(), "x-kubernetes-list-type": "atomic"}),
            ),
        ),
        case(
            "list-map-keys-changed",
            json!({"type": "array", "items": obj(json!({"name": s(), "port": int()})), "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
            json!({"type": "array", "items": obj(json!({"name": s(), "port": int()})), "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "port"]}),
            &["list-map-keys-changed"],
            (
                json!({"type": "array", "items": obj(json!({"name": s(), "port": int()})), "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port", "name"]}),
                json!({"type": "array", "items": obj(json!({"name": s(), "port": int()})), "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "port"]}),
            ),
        ),
        case(
            "map-type-changed",
            json!({"type": "object", "additionalProperties": s()}),
            json!({"type": "object", "additionalProperties": s(), "x-kubernetes-map-type": "atomic"}),
            &["map-type-changed"],
            (
                json!({"type": "object", "additionalProperties": s()}),
                json!({"type": "object", "additionalProperties": s(), "x-kubernetes-map-type": "granular"}),
            ),
        ),
        case(
            "preserve-unknown-fields-removed",
            json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
            json!({"type": "object"}),
            &["preserve-unknown-fields-removed"],
            (
                json!({"type": "object", "x-kubernetes-preserve-unknown-fields": false}),
                json!({"type": "object"}),
            ),
        ),
        case(
            "preserve-unknown-fields-added",
            json!({"type": "object", "x-kubernetes-preserve-unknown-fields": false}),
            json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
            &["preserve-unknown-fields-added"],
            (
                json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
                json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
            ),
        ),
        case(
            "embedded-resource-changed",
            json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
            json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true, "x-kubernetes-embedded-resource": true}),
            &["embedded-resource-changed"],
            (
                json!({"type": "object", "x-kubernetes-embedded-resource": false}),
                json!({"type": "object"}),
            ),
        ),
        case(
            "additional-properties-changed",
            json!({"type": "object", "additionalProperties": s()}),
            json!({"type": "object"}),
            &["additional-properties-changed"],
            (
                json!({"type": "object"}),
                json!({"type": "object", "additionalProperties": true}),
            ),
        ),
        case(
            "description-changed",
            with(s(), json!({"description": "old words"})),
            with(s(), json!({"description": "new words"})),
            &["description-changed"],
            (
                with(s(), json!({"description": "same"})),
                with(s(), json!({"description": "same"})),
            ),
        ),
        case(
            "annotation-changed",
            with(s(), json!({"title": "A"})),
            with(s(), json!({"title": "B", "example": "x"})),
            &["annotation-changed", "annotation-changed"],
            (
                with(s(), json!({"example": {"a": 1}})),
                with(s(), json!({"example": {"a": 1.0}})),
            ),
        ),
        case(
            "unhandled-change",
            with(s(), json!({"x-acme-foo": 1})),
            with(s(), json!({"x-acme-foo": 2})),
            &["unhandled-change"],
            (with(s(), json!({"x-acme-foo": []})), s()),
        ),
    ]
}

#[test]
fn every_property_rule_has_a_case() {
    let covered: std::collections::BTreeSet<&str> = cases().iter().map(|c| c.rule).collect();
    for row in nexus::rules::CATALOGUE {
        if row.family == nexus::rules::Family::Property {
            assert!(covered.contains(row.id.as_str()), "no case for {}", row.id);
        }
    }
}

#[test]
fn each_rule_fires_on_its_pair_and_not_on_the_near_pair() {
    for c in cases() {
        let changes = diff(&at_x(c.old.clone()), &at_x(c.new.clone()));
        assert_eq!(ids(&changes), c.expect, "{}: {changes:#?}", c.rule);
        for change in &changes {
            assert_eq!(change.crd, "widgets.example.com");
            assert_eq!(change.version.as_deref(), Some("v1"));
            assert_eq!(
                change.severity,
                change.rule.default_severity(),
                "{}",
                c.rule
            );
            assert!(
                change
                    .path
                    .starts_with(&format!("{BASE}/properties/spec/properties/x")),
                "{}: {}",
                c.rule,
                change.path
            );
            assert!(
                change
                    .field
                    .as_deref()
                    .is_some_and(|f| f.starts_with(".spec.x")),
                "{}: {:?}",
                c.rule,
                change.field
            );
            assert!(!change.message.is_empty(), "{}", c.rule);
        }
        let near = diff(&at_x(c.near_old), &at_x(c.near_new));
        assert!(
            near.iter().all(|ch| ch.rule.as_str() != c.rule),
            "{} fired on its near pair: {near:#?}",
            c.rule
        );
    }
}

fn find<'c>(changes: &'c [Change], rule: &str) -> &'c Change {
    match changes.iter().find(|c| c.rule.as_str() == rule) {
        Some(c) => c,
        None => panic!("no {rule} in {changes:#?}"),
    }
}

#[test]
fn required_added_reads_like_the_cli_example() {
    let old =
        json!({"type": "object", "properties": {"spec": obj(json!({"a": {"type": "string"}}))}});
    let new = json!({"type": "object", "properties": {"spec": {
        "type": "object",
        "properties": {"a": {"type": "string"}, "additionalField": {"type": "string"}},
        "required": ["additionalField"]
    }}});
    let changes = diff(&old, &new);
    assert_eq!(ids(&changes), ["required-added"], "{changes:#?}");
    let c = &changes[0];
    assert_eq!(c.path, format!("{BASE}/properties/spec/required"));
    assert_eq!(c.field.as_deref(), Some(".spec.additionalField"));
    assert_eq!(c.message, "required field additionalField added to .spec");
    assert_eq!((&c.old, &c.new), (&Value::Null, &json!("additionalField")));
    assert_eq!(c.severity, Severity::Breaking);
}

#[test]
fn removing_a_required_field_is_field_removed_and_required_removed() {
    let old = at_x(with_required(
        obj(json!({"a": {"type": "string"}, "b": {"type": "string"}})),
        &["a"],
    ));
    let new = at_x(obj(json!({"b": {"type": "string"}})));
    let changes = diff(&old, &new);
    assert_eq!(ids(&changes), ["field-removed", "required-removed"]);
    let removed = find(&changes, "field-removed");
    assert_eq!(
        removed.path,
        format!("{BASE}/properties/spec/properties/x/properties/a")
    );
    assert_eq!(removed.field.as_deref(), Some(".spec.x.a"));
    assert_eq!(removed.old, json!({"type": "string"}));
    let unrequired = find(&changes, "required-removed");
    assert_eq!(
        unrequired.path,
        format!("{BASE}/properties/spec/properties/x/required")
    );
    assert_eq!(unrequired.field.as_deref(), Some(".spec.x.a"));
}

fn with_required(mut schema: Value, names: &[&str]) -> Value {
    if let Some(m) = schema.as_object_mut() {
        m.insert("required".into(), json!(names));
    }
    schema
}

#[test]
fn enum_findings_carry_the_values() {
    let changes = diff(
        &at_x(json!({"type": "string", "enum": ["leader", "hypervisor", "worker"]})),
        &at_x(json!({"type": "string", "enum": ["worker", "leader", "spare"]})),
    );
    assert_eq!(ids(&changes), ["enum-value-added", "enum-value-removed"]);
    let removed = find(&changes, "enum-value-removed");
    assert_eq!(
        removed.path,
        format!("{BASE}/properties/spec/properties/x/enum")
    );
    assert_eq!(removed.old, json!(["hypervisor"]));
    assert_eq!(
        removed.message,
        "enum value \"hypervisor\" removed from .spec.x: objects using it are rejected"
    );
    assert_eq!(find(&changes, "enum-value-added").new, json!(["spare"]));
}

#[test]
fn unknown_keyword_is_exactly_one_unhandled_change() {
    let changes = diff(
        &at_x(json!({"type": "string", "x-acme-foo": {"a": 1}})),
        &at_x(json!({"type": "string", "x-acme-foo": {"a": 2}})),
    );
    assert_eq!(ids(&changes), ["unhandled-change"]);
    assert_eq!(
        changes[0].path,
        format!("{BASE}/properties/spec/properties/x/x-acme-foo")
    );
    assert_eq!(
        (&changes[0].old, &changes[0].new),
        (&json!({"a": 1}), &json!({"a": 2}))
    );
    assert!(
        changes[0].message.contains("x-acme-foo"),
        "{}",
        changes[0].message
    );

    // Keywords the walker knows but no rule judges are unhandled too, never dropped.
    for (key, old, new) in [
        ("$ref", json!("#/a"), json!("#/b")),
        (
            "patternProperties",
            json!({"^a": {"type": "string"}}),
            json!({"^b": {"type": "string"}}),
        ),
        ("deprecated", json!(false), json!(true)),
    ] {
        let o = at_x(json!({"type": "object", key: old}));
        let n = at_x(json!({"type": "object", key: new}));
        let changes = diff(&o, &n);
        assert_eq!(ids(&changes), ["unhandled-change"], "{key}");
        assert!(
            changes[0]
                .path
                .ends_with(&format!("/{}", key.replace('/', "~1")))
        );
    }
}

#[test]
fn unique_items_disabled_is_reported_not_dropped() {
    let changes = diff(
        &at_x(json!({"type": "array", "items": {"type": "string"}, "uniqueItems": true})),
        &at_x(json!({"type": "array", "items": {"type": "string"}, "uniqueItems": false})),
    );
    assert_eq!(ids(&changes), ["unhandled-change"]);
    assert!(changes[0].message.contains("uniqueItems disabled"));
    assert!(changes[0].path.ends_with("/uniqueItems"));
}

#[test]
fn removed_subtree_is_one_field_removed() {
    let old = at_x(json!({
        "type": "object",
        "properties": {
            "deep": {
                "type": "object",
                "required": ["mode"],
                "properties": {
                    "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
                    "list": {"type": "array", "items": {"type": "integer", "maximum": 3}}
                },
                "x-kubernetes-validations": [{"rule": "has(self.mode)"}]
            }
        }
    }));
    let new = at_x(json!({"type": "object"}));
    let changes = diff(&old, &new);
    assert_eq!(ids(&changes), ["field-removed"], "{changes:#?}");
    assert_eq!(changes[0].field.as_deref(), Some(".spec.x.deep"));
}

#[test]
fn new_required_property_is_only_required_added() {
    let old = at_x(obj(json!({"a": {"type": "string"}})));
    let new = at_x(with_required(
        obj(json!({"a": {"type": "string"}, "b": {"type": "string", "enum": ["z"]}})),
        &["b"],
    ));
    let changes = diff(&old, &new);
    assert_eq!(ids(&changes), ["required-added"]);
    assert_eq!(changes[0].field.as_deref(), Some(".spec.x.b"));
}

/// Issue 13 item 4: `b` was required before it was declared; declaring it was reported by no
/// rule at all. It is now an `unhandled-change` naming the field.
#[test]
fn declaring_a_property_that_was_already_required_is_not_dropped() {
    let old = at_x(with_required(
        obj(json!({"a": {"type": "string"}})),
        &["a", "b"],
    ));
    let new = at_x(with_required(
        obj(json!({"a": {"type": "string"}, "b": {"type": "string"}})),
        &["a", "b"],
    ));
    let changes = diff(&old, &new);
    assert_eq!(ids(&changes), ["unhandled-change"], "{changes:#?}");
    assert_eq!(changes[0].field.as_deref(), Some(".spec.x.b"));
    assert!(
        changes[0].path.ends_with("/properties/b"),
        "{}",
        changes[0].path
    );
    // The way back is a removal, as always.
    let back = diff(&new, &old);
    assert!(ids(&back).contains(&"field-removed"), "{back:#?}");
}

#[test]
fn required_inside_a_new_optional_parent_is_only_field_added() {
    let old = at_x(obj(json!({})));
    let new = at_x(obj(
        json!({"parent": with_required(obj(json!({"must": {"type": "string"}})), &["must"])}),
    ));
    assert_eq!(ids(&diff(&old, &new)), ["field-added"]);
}

#[test]
fn type_change_covers_its_whole_node() {
    let old = at_x(json!({
        "type": "object",
        "enum": [{"a": "1"}],
        "description": "old",
        "properties": {"a": {"type": "string"}}
    }));
    let new = at_x(json!({
        "type": "string",
        "enum": ["b"],
        "description": "new",
        "maxLength": 3
    }));
    let changes = diff(&old, &new);
    assert_eq!(ids(&changes), ["type-changed"], "{changes:#?}");
    assert_eq!(
        changes[0].path,
        format!("{BASE}/properties/spec/properties/x/type")
    );
    assert_eq!(
        (&changes[0].old, &changes[0].new),
        (&json!("object"), &json!("string"))
    );

    // A type appearing where there was none is a type change too.
    let changes = diff(
        &at_x(json!({"description": "d"})),
        &at_x(json!({"type": "string"})),
    );
    assert_eq!(ids(&changes), ["type-changed"]);
}

#[test]
fn widening_still_judges_the_rest_of_the_node() {
    let changes = diff(
        &at_x(json!({"type": "integer", "format": "int32"})),
        &at_x(json!({"type": "number", "format": "double"})),
    );
    assert_eq!(ids(&changes), ["format-changed", "type-widened"]);
}

#[test]
fn int_or_string_claims_its_any_of_and_type() {
    let changes = diff(
        &at_x(
            json!({"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": true}),
        ),
        &at_x(json!({"type": "string"})),
    );
    assert_eq!(ids(&changes), ["int-or-string-changed"]);
}

#[test]
fn list_type_change_claims_the_map_keys() {
    let items = obj(json!({"name": {"type": "string"}}));
    let changes = diff(
        &at_x(json!({"type": "array", "items": items})),
        &at_x(
            json!({"type": "array", "items": items, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
        ),
    );
    assert_eq!(ids(&changes), ["list-type-changed"]);
}

#[test]
fn object_map_switch_is_one_finding() {
    let object =
        json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}});
    let map = json!({"type": "object", "additionalProperties": {"type": "string"}});
    for (old, new) in [(&object, &map), (&map, &object)] {
        let changes = diff(&at_x(old.clone()), &at_x(new.clone()));
        assert_eq!(
            ids(&changes),
            ["additional-properties-changed"],
            "{changes:#?}"
        );
        assert_eq!(
            changes[0].path,
            format!("{BASE}/properties/spec/properties/x/additionalProperties")
        );
    }
    let closed = json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false});
    let open = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    assert_eq!(
        ids(&diff(&at_x(open.clone()), &at_x(closed))),
        ["additional-properties-changed"]
    );
}

#[test]
fn map_value_schemas_are_walked() {
    let old = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}}
    }}}});
    let new = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 10}}
    }}}});
    let changes = diff(&old, &new);
    assert_eq!(ids(&changes), ["max-decreased"]);
    assert_eq!(changes[0].field.as_deref(), Some(".spec.labels.*"));
    assert_eq!(
        changes[0].path,
        format!("{BASE}/properties/spec/properties/labels/additionalProperties/maxLength")
    );
}

#[test]
fn items_are_walked_as_star() {
    let list = |x: Value| {
        json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "list": {"type": "array", "items": {"type": "object", "properties": {"x": x}}}
        }}}})
    };
    let changes = diff(
        &list(json!({"type": "string"})),
        &list(json!({"type": "integer"})),
    );
    assert_eq!(ids(&changes), ["type-changed"]);
    assert_eq!(changes[0].field.as_deref(), Some(".spec.list[*].x"));
    assert_eq!(
        changes[0].path,
        format!("{BASE}/properties/spec/properties/list/items/properties/x/type")
    );
}

#[test]
fn odd_keys_are_escaped_in_both_paths() {
    let old = at_x(obj(json!({"app.kubernetes.io/name": {"type": "string"}})));
    let new = at_x(obj(json!({})));
    let changes = diff(&old, &new);
    assert_eq!(
        changes[0].path,
        format!("{BASE}/properties/spec/properties/x/properties/app.kubernetes.io~1name")
    );
    assert_eq!(
        changes[0].field.as_deref(),
        Some(r#".spec.x["app.kubernetes.io/name"]"#)
    );
}

#[test]
fn root_findings_name_the_root() {
    let changes = diff(
        &json!({"type": "object", "description": "a"}),
        &json!({"type": "object", "description": "b"}),
    );
    assert_eq!(changes[0].path, format!("{BASE}/description"));
    assert_eq!(changes[0].field.as_deref(), Some("."));
    assert!(changes[0].message.contains("the root object"));
}

#[test]
fn non_object_schemas_are_compared_whole() {
    let changes = diff(&at_x(json!(true)), &at_x(json!("string")));
    assert_eq!(ids(&changes), ["unhandled-change"]);
    assert_eq!(
        changes[0].path,
        format!("{BASE}/properties/spec/properties/x")
    );
    // null in place of a schema is an empty schema
    assert!(diff(&at_x(json!(null)), &at_x(json!({}))).is_empty());
}

#[test]
fn reordering_is_not_a_change() {
    let old: Value = serde_json::from_str(
        r#"{"type": "object", "required": ["a", "b"], "properties": {
            "a": {"type": "string", "enum": ["x", "y", "z"]},
            "b": {"type": "integer", "x-kubernetes-validations": [
                {"rule": "self > 0", "message": "positive"},
                {"rule": "self < 10"}
            ]},
            "c": {"type": "object", "allOf": [{"required": ["a"]}, {"required": ["b"]}]}
        }}"#,
    )
    .unwrap();
    let new: Value = serde_json::from_str(
        r#"{"properties": {
            "c": {"allOf": [{"required": ["b"]}, {"required": ["a"]}], "type": "object"},
            "b": {"x-kubernetes-validations": [
                {"rule": "self < 10"},
                {"message": "positive", "rule": "self > 0"}
            ], "type": "integer"},
            "a": {"enum": ["z", "x", "y"], "type": "string"}
        }, "required": ["b", "a"], "type": "object"}"#,
    )
    .unwrap();
    assert_eq!(diff(&old, &new), vec![]);
}

#[test]
fn explicit_defaults_are_not_a_change() {
    let bare = at_x(json!({"type": "array", "items": {"type": "string"}}));
    let explicit = at_x(json!({
        "type": "array",
        "items": {"type": "string", "nullable": false, "enum": []},
        "nullable": false,
        "uniqueItems": false,
        "x-kubernetes-list-type": "atomic",
        "x-kubernetes-map-type": "granular",
        "x-kubernetes-preserve-unknown-fields": false,
        "x-kubernetes-embedded-resource": false,
        "x-kubernetes-int-or-string": false,
        "exclusiveMaximum": false,
        "exclusiveMinimum": false,
        "deprecated": false,
        "required": [],
        "properties": {},
        "x-kubernetes-validations": [],
        "allOf": [],
        "additionalProperties": true,
        "description": null
    }));
    assert_eq!(diff(&bare, &explicit), vec![]);
    assert_eq!(diff(&explicit, &bare), vec![]);
}

#[test]
fn cel_rules_pair_leftovers_by_message_then_order() {
    let rules = |r: Value| at_x(json!({"type": "integer", "x-kubernetes-validations": r}));
    let changes = diff(
        &rules(json!([
            {"rule": "self > 0", "message": "positive"},
            {"rule": "self < 10", "message": "small"},
            {"rule": "self != 5"}
        ])),
        &rules(json!([
            {"rule": "self < 100", "message": "small"},
            {"rule": "self >= 1", "message": "positive"},
            {"rule": "self != 5", "messageExpression": "'not five'"},
            {"rule": "self != 7"}
        ])),
    );
    assert_eq!(
        ids(&changes),
        [
            "cel-message-changed",
            "cel-rule-added",
            "cel-rule-changed",
            "cel-rule-changed"
        ]
    );
    let changed: Vec<(&Value, &Value)> = changes
        .iter()
        .filter(|c| c.rule.as_str() == "cel-rule-changed")
        .map(|c| (&c.old["rule"], &c.new["rule"]))
        .collect();
    assert!(
        changed.contains(&(&json!("self > 0"), &json!("self >= 1"))),
        "{changed:?}"
    );
    assert!(
        changed.contains(&(&json!("self < 10"), &json!("self < 100"))),
        "{changed:?}"
    );
    assert_eq!(
        find(&changes, "cel-rule-added").new["rule"],
        json!("self != 7")
    );
}

#[test]
fn composition_branches_are_not_walked() {
    // A change inside a oneOf branch is one-of-changed, not a property finding inside it.
    let changes = diff(
        &at_x(json!({"type": "object", "oneOf": [{"properties": {"a": {"type": "string"}}}]})),
        &at_x(json!({"type": "object", "oneOf": [{"properties": {"a": {"type": "integer"}}}]})),
    );
    assert_eq!(ids(&changes), ["one-of-changed"]);
    assert!(changes[0].path.ends_with("/x/oneOf"));
}

/// `{"properties": {"a": {"properties": {"a": ... leaf}}}}`, `depth` levels, built without
/// recursion.
fn nested(depth: usize, leaf: Value) -> Value {
    let mut v = leaf;
    for _ in 0..depth {
        let mut props = Map::new();
        props.insert("a".into(), v);
        let mut node = Map::new();
        node.insert("type".into(), json!("object"));
        node.insert("properties".into(), Value::Object(props));
        v = Value::Object(node);
    }
    v
}

#[test]
fn deep_schemas_need_no_deep_stack() {
    const DEPTH: usize = 10_000;
    // The walker runs on a small stack; only dropping the deep inputs recurses, so they are
    // leaked on purpose.
    let outcome = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let old = nested(DEPTH, json!({"type": "string", "maxLength": 5}));
            let new = nested(DEPTH, json!({"type": "string", "maxLength": 3}));
            let leaf = diff(&old, &new);
            let mut trimmed = nested(1, json!({"type": "string"}));
            if let Some(props) = trimmed.pointer_mut("/properties") {
                *props = json!({});
            }
            let removed = diff(&old, &trimmed);
            let same = diff(&old, &old);
            std::mem::forget((old, new, trimmed));
            (leaf, removed, same)
        })
        .unwrap()
        .join()
        .unwrap();
    let (leaf, removed, same) = outcome;
    assert_eq!(ids(&leaf), ["max-decreased"]);
    assert_eq!(leaf[0].field.as_deref().map(str::len), Some(2 * DEPTH));
    assert!(leaf[0].path.ends_with("/properties/a/maxLength"));
    assert_eq!(ids(&removed), ["field-removed"]);
    assert!(
        removed[0]
            .old
            .as_str()
            .is_some_and(|s| s.contains("not copied"))
    );
    assert!(same.is_empty());
}

mod laws {
    //! Properties that hold for every schema.

    use super::*;
    use proptest::prelude::*;

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            (
                prop::option::of(prop::sample::select(vec!["int32", "uuid", "date-time"])),
                prop::collection::vec("[a-c]{1,2}", 0..4),
                prop::option::of(0u32..20),
                any::<bool>(),
            )
                .prop_map(|(format, values, max, nullable)| {
                    let mut m = Map::new();
                    m.insert("type".into(), json!("string"));
                    if let Some(f) = format {
                        m.insert("format".into(), json!(f));
                    }
                    if !values.is_empty() {
                        m.insert("enum".into(), json!(values));
                    }
                    if let Some(max) = max {
                        m.insert("maxLength".into(), json!(max));
                    }
                    m.insert("nullable".into(), json!(nullable));
                    Value::Object(m)
                }),
            (prop::option::of(-5i64..5), prop::option::of(-5i64..5)).prop_map(|(min, default)| {
                let mut m = Map::new();
                m.insert("type".into(), json!("integer"));
                if let Some(min) = min {
                    m.insert("minimum".into(), json!(min));
                }
                if let Some(d) = default {
                    m.insert("default".into(), json!(d));
                }
                Value::Object(m)
            }),
            Just(json!({"type": "boolean", "description": "a flag"})),
            Just(
                json!({"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]})
            ),
        ]
    }

    fn schema() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(4, 48, 4, |inner| {
            prop_oneof![
                (
                    prop::collection::btree_map("[a-e]{1,3}", inner.clone(), 0..5),
                    prop::collection::vec(0usize..5, 0..3),
                    prop::collection::vec("self\\.[a-e] > [0-9]", 0..3),
                )
                    .prop_map(|(props, req, rules)| {
                        let names: Vec<&String> = props.keys().collect();
                        let required: Vec<&String> =
                            req.iter().filter_map(|i| names.get(*i).copied()).collect();
                        let rules: Vec<Value> = rules.iter().map(|r| json!({"rule": r, "message": "m"})).collect();
                        json!({
                            "type": "object",
                            "properties": props,
                            "required": required,
                            "x-kubernetes-validations": rules,
                        })
                    }),
                (inner.clone(), any::<bool>()).prop_map(|(items, set)| {
                    json!({
                        "type": "array",
                        "items": items,
                        "x-kubernetes-list-type": if set { "set" } else { "atomic" },
                    })
                }),
                inner.clone().prop_map(|values| {
                    json!({"type": "object", "additionalProperties": values, "x-kubernetes-map-type": "granular"})
                }),
                prop::collection::vec(inner, 1..3)
                    .prop_map(|branches| json!({"type": "object", "oneOf": branches, "allOf": [{"required": ["a", "b"]}, {"minProperties": 1}]})),
            ]
        })
    }

    /// The same schema with every object's keys re-inserted in reverse order and every list
    /// that Kubernetes treats as a set rotated and reversed.
    fn shuffle(v: &Value, seed: usize) -> Value {
        const SETS: &[&str] = &[
            "required",
            "enum",
            "oneOf",
            "anyOf",
            "allOf",
            "x-kubernetes-validations",
            "x-kubernetes-list-map-keys",
        ];
        match v {
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, x) in m.iter().rev() {
                    let mut x = shuffle(x, seed);
                    if SETS.contains(&k.as_str())
                        && let Value::Array(list) = &mut x
                        && !list.is_empty()
                    {
                        let by = seed % list.len();
                        list.rotate_left(by);
                        if seed % 2 == 1 {
                            list.reverse();
                        }
                    }
                    out.insert(k.clone(), x);
                }
                Value::Object(out)
            }
            Value::Array(list) => Value::Array(list.iter().map(|x| shuffle(x, seed)).collect()),
            other => other.clone(),
        }
    }

    /// Every object node of a schema reached through properties/items/additionalProperties.
    fn walkable_nodes(v: &Value, out: &mut Vec<String>, at: String) {
        if !v.is_object() {
            return;
        }
        out.push(at.clone());
        if let Some(props) = v.get("properties").and_then(Value::as_object) {
            for (k, child) in props {
                walkable_nodes(child, out, format!("{at}/properties/{k}"));
            }
        }
        if let Some(items) = v.get("items") {
            walkable_nodes(items, out, format!("{at}/items"));
        }
        if let Some(values) = v.get("additionalProperties") {
            walkable_nodes(values, out, format!("{at}/additionalProperties"));
        }
    }

    proptest! {
        #[test]
        fn a_schema_equals_itself(s in schema()) {
            prop_assert_eq!(diff(&s, &s.clone()), vec![]);
        }

        #[test]
        fn order_of_keys_and_sets_does_not_matter(s in schema(), seed in 0usize..16) {
            let shuffled = shuffle(&s, seed);
            prop_assert_eq!(diff(&s, &shuffled), vec![]);
            prop_assert_eq!(diff(&shuffled, &s), vec![]);
        }

        #[test]
        fn an_unknown_keyword_is_one_unhandled_change(s in schema(), pick in any::<prop::sample::Index>()) {
            let mut nodes = Vec::new();
            walkable_nodes(&s, &mut nodes, String::new());
            let at = pick.get(&nodes).clone();
            let mut changed = s.clone();
            if let Some(Value::Object(node)) = changed.pointer_mut(&at) {
                node.insert("x-acme-foo".into(), json!("bar"));
            }
            let changes = diff(&s, &changed);
            prop_assert_eq!(ids(&changes), vec!["unhandled-change"]);
            prop_assert_eq!(&changes[0].path, &format!("{BASE}{at}/x-acme-foo"));
        }

        #[test]
        fn a_removed_property_is_one_field_removed(s in schema(), pick in any::<prop::sample::Index>()) {
            // Pick a property of some node and drop it (and its required entry): exactly
            // field-removed (+ required-removed when it was required), nothing below it.
            let mut nodes = Vec::new();
            walkable_nodes(&s, &mut nodes, String::new());
            let with_props: Vec<&String> = nodes
                .iter()
                .filter(|at| s.pointer(&format!("{at}/properties")).and_then(Value::as_object).is_some_and(|m| !m.is_empty()))
                .collect();
            prop_assume!(!with_props.is_empty());
            let at = pick.get(&with_props).to_string();
            let mut changed = s.clone();
            let mut was_required = false;
            if let Some(Value::Object(node)) = changed.pointer_mut(&at) {
                let key = node.get("properties").and_then(Value::as_object).and_then(|p| p.keys().next().cloned());
                if let (Some(key), Some(Value::Object(props))) = (key.clone(), node.get_mut("properties")) {
                    props.remove(&key);
                }
                if let (Some(key), Some(Value::Array(req))) = (key, node.get_mut("required")) {
                    let before = req.len();
                    req.retain(|r| r.as_str() != Some(key.as_str()));
                    was_required = req.len() != before;
                }
            }
            let changes = diff(&s, &changed);
            let expected: Vec<&str> = if was_required {
                vec!["field-removed", "required-removed"]
            } else {
                vec!["field-removed"]
            };
            prop_assert_eq!(ids(&changes), expected);
        }
    }
}
