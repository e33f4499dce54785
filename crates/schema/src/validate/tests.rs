//! Table tests: every keyword with a value that passes and one that fails; pruning, nulls and
//! defaults on whole objects; the depth guard.

use super::*;
use serde_json::json;

fn as_written(schema: &Value, value: &Value) -> Vec<Violation> {
    Validator::new(schema).validate_as_written(value)
}

struct Case {
    keyword: &'static str,
    schema: Value,
    good: Value,
    bad: Value,
    /// Path of the expected violation and a part of its message.
    path: &'static str,
    message: &'static str,
}

fn case(
    keyword: &'static str,
    schema: Value,
    good: Value,
    bad: Value,
    path: &'static str,
    message: &'static str,
) -> Case {
    Case {
        keyword,
        schema,
        good,
        bad,
        path,
        message,
    }
}

fn keyword_cases() -> Vec<Case> {
    let ports = json!({
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        "items": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "port": {"type": "integer"}}}
    });
    vec![
        case(
            "type object",
            json!({"type": "object"}),
            json!({}),
            json!("x"),
            ".",
            "must be of type object, not string",
        ),
        case(
            "type array",
            json!({"type": "array", "items": {}}),
            json!([]),
            json!({}),
            ".",
            "must be of type array",
        ),
        case(
            "type string",
            json!({"type": "string"}),
            json!("a"),
            json!(1),
            ".",
            "must be of type string, not integer",
        ),
        case(
            "type integer",
            json!({"type": "integer"}),
            json!(3.0),
            json!(3.5),
            ".",
            "must be of type integer (a whole number",
        ),
        case(
            "type integer beyond int64",
            json!({"type": "integer"}),
            json!(i64::MAX),
            json!(u64::MAX),
            ".",
            "must be of type integer",
        ),
        case(
            "type number",
            json!({"type": "number"}),
            json!(3.5),
            json!("3"),
            ".",
            "must be of type number",
        ),
        case(
            "type boolean",
            json!({"type": "boolean"}),
            json!(false),
            json!("true"),
            ".",
            "must be of type boolean",
        ),
        case(
            "nullable",
            json!({"type": "string", "nullable": true}),
            json!(null),
            json!(7),
            ".",
            "must be of type string",
        ),
        case(
            "not nullable",
            json!({"type": "string"}),
            json!("x"),
            json!(null),
            ".",
            "must not be null",
        ),
        case(
            "format int32",
            json!({"type": "integer", "format": "int32"}),
            json!(2_147_483_647),
            json!(2_147_483_648_i64),
            ".",
            "32-bit integer",
        ),
        case(
            "format float",
            json!({"type": "number", "format": "float"}),
            json!(3.4e38),
            json!(3.5e38),
            ".",
            "32-bit float",
        ),
        case(
            "format date",
            json!({"type": "string", "format": "date"}),
            json!("2024-01-31"),
            json!("2024-01-32"),
            ".",
            "(format date)",
        ),
        case(
            "format date-time",
            json!({"type": "string", "format": "date-time"}),
            json!("2024-01-31T10:00:00Z"),
            json!("yesterday"),
            ".",
            "(format date-time)",
        ),
        case(
            "format byte",
            json!({"type": "string", "format": "byte"}),
            json!("aGVsbG8="),
            json!("hello!"),
            ".",
            "base64",
        ),
        case(
            "format duration",
            json!({"type": "string", "format": "duration"}),
            json!("1h30m"),
            json!("soon"),
            ".",
            "(format duration)",
        ),
        case(
            "format uuid",
            json!({"type": "string", "format": "uuid"}),
            json!("123e4567-e89b-12d3-a456-426614174000"),
            json!("123"),
            ".",
            "(format uuid)",
        ),
        case(
            "format email",
            json!({"type": "string", "format": "email"}),
            json!("a@example.com"),
            json!("a@"),
            ".",
            "(format email)",
        ),
        case(
            "format hostname",
            json!({"type": "string", "format": "hostname"}),
            json!("example.com"),
            json!("-bad-"),
            ".",
            "(format hostname)",
        ),
        case(
            "format ipv4",
            json!({"type": "string", "format": "ipv4"}),
            json!("10.0.0.1"),
            json!("10.0.0.256"),
            ".",
            "(format ipv4)",
        ),
        case(
            "format ipv6",
            json!({"type": "string", "format": "ipv6"}),
            json!("fe80::1"),
            json!("fe80::g"),
            ".",
            "(format ipv6)",
        ),
        case(
            "format cidr",
            json!({"type": "string", "format": "cidr"}),
            json!("10.0.0.0/8"),
            json!("10.0.0.0/40"),
            ".",
            "(format cidr)",
        ),
        case(
            "format mac",
            json!({"type": "string", "format": "mac"}),
            json!("00:00:5e:00:53:01"),
            json!("00:00:5e"),
            ".",
            "(format mac)",
        ),
        case(
            "format uri",
            json!({"type": "string", "format": "uri"}),
            json!("https://example.com/x"),
            json!("example.com"),
            ".",
            "(format uri)",
        ),
        case(
            "required",
            json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}),
            json!({"a": "x"}),
            json!({}),
            ".a",
            "required field is missing",
        ),
        case(
            "enum",
            json!({"type": "string", "enum": ["a", "b"]}),
            json!("b"),
            json!("c"),
            ".",
            "must be one of \"a\", \"b\", not \"c\"",
        ),
        case(
            "enum numbers by value",
            json!({"type": "number", "enum": [1, 2.5]}),
            json!(1.0),
            json!(2),
            ".",
            "must be one of 1, 2.5",
        ),
        case(
            "pattern",
            json!({"type": "string", "pattern": "^[a-z]+$"}),
            json!("abc"),
            json!("ABC"),
            ".",
            "must match the pattern ^[a-z]+$",
        ),
        case(
            "pattern is Go RE2",
            json!({"type": "string", "pattern": "^\\d+$"}),
            json!("42"),
            json!("٤٢"),
            ".",
            "must match the pattern",
        ),
        case(
            "maxLength counts code points",
            json!({"type": "string", "maxLength": 3}),
            json!("äöü"),
            json!("abcd"),
            ".",
            "may not be longer than 3 characters (is 4)",
        ),
        case(
            "minLength",
            json!({"type": "string", "minLength": 2}),
            json!("ab"),
            json!("a"),
            ".",
            "at least 2 characters",
        ),
        case(
            "maximum",
            json!({"type": "integer", "maximum": 10}),
            json!(10),
            json!(11),
            ".",
            "less than or equal to 10",
        ),
        case(
            "exclusiveMaximum",
            json!({"type": "integer", "maximum": 10, "exclusiveMaximum": true}),
            json!(9),
            json!(10),
            ".",
            "must be less than 10",
        ),
        case(
            "minimum",
            json!({"type": "number", "minimum": 0.5}),
            json!(0.5),
            json!(0.25),
            ".",
            "greater than or equal to 0.5",
        ),
        case(
            "exclusiveMinimum",
            json!({"type": "integer", "minimum": 1, "exclusiveMinimum": true}),
            json!(2),
            json!(1),
            ".",
            "must be greater than 1",
        ),
        case(
            "multipleOf",
            json!({"type": "integer", "multipleOf": 5}),
            json!(10),
            json!(11),
            ".",
            "multiple of 5",
        ),
        case(
            "multipleOf fraction",
            json!({"type": "number", "multipleOf": 0.1}),
            json!(0.3),
            json!(0.35),
            ".",
            "multiple of 0.1",
        ),
        case(
            "maxItems",
            json!({"type": "array", "maxItems": 1, "items": {"type": "string"}}),
            json!(["a"]),
            json!(["a", "b"]),
            ".",
            "at most 1 items (has 2)",
        ),
        case(
            "minItems",
            json!({"type": "array", "minItems": 1, "items": {"type": "string"}}),
            json!(["a"]),
            json!([]),
            ".",
            "at least 1 items (has 0)",
        ),
        case(
            "uniqueItems",
            json!({"type": "array", "uniqueItems": true, "items": {"type": "number"}}),
            json!([1, 2]),
            json!([1, 2, 1.0]),
            "[2]",
            "duplicate of item [0]",
        ),
        case(
            "maxProperties",
            json!({"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}}),
            json!({"a": "x"}),
            json!({"a": "x", "b": "y"}),
            ".",
            "at most 1 properties",
        ),
        case(
            "minProperties",
            json!({"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"}}),
            json!({"a": "x"}),
            json!({}),
            ".",
            "at least 1 properties",
        ),
        case(
            "int-or-string",
            json!({"x-kubernetes-int-or-string": true}),
            json!("50%"),
            json!(1.5),
            ".",
            "must be of type integer or string, not number",
        ),
        case(
            "int-or-string anyOf form",
            json!({"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}),
            json!(80),
            json!(true),
            ".",
            "integer or string",
        ),
        case(
            "list-type set",
            json!({"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}),
            json!(["a", "b"]),
            json!(["a", "b", "a"]),
            "[2]",
            "list-type: set must be unique",
        ),
        case(
            "list-type map",
            ports.clone(),
            json!([{"name": "a", "port": 1}, {"name": "b", "port": 1}]),
            json!([{"name": "a"}, {"name": "a", "port": 2}]),
            "[1]",
            "duplicate entry (name=\"a\") of item [0]",
        ),
        case(
            "list-type map items are objects",
            json!({"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"], "items": {"x-kubernetes-preserve-unknown-fields": true}}),
            json!([{"name": "a"}, null]),
            json!(["a"]),
            "[0]",
            "must be an object",
        ),
        case(
            "list-type map typed items",
            ports,
            json!([]),
            json!(["a"]),
            "[0]",
            "must be of type object",
        ),
        case(
            "list-type map, two keys",
            json!({"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port", "protocol"], "items": {"type": "object", "properties": {"port": {"type": "integer"}, "protocol": {"type": "string"}}}}),
            json!([{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]),
            json!([{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "UDP"}]),
            "[1]",
            "port=53, protocol=\"UDP\"",
        ),
        case(
            "additionalProperties schema",
            json!({"type": "object", "additionalProperties": {"type": "integer"}}),
            json!({"a": 1}),
            json!({"a": "x"}),
            ".a",
            "must be of type integer",
        ),
        case(
            "additionalProperties false",
            json!({"type": "object", "additionalProperties": false}),
            json!({}),
            json!({"a": 1}),
            ".a",
            "additionalProperties: false",
        ),
        case(
            "properties recursion",
            json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {"ports": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 3}}}}}}}}),
            json!({"spec": {"ports": [{"name": "web"}]}}),
            json!({"spec": {"ports": [{"name": "web"}, {"name": "metrics"}]}}),
            ".spec.ports[1].name",
            "may not be longer than 3",
        ),
        case(
            "non-identifier keys",
            json!({"type": "object", "additionalProperties": {"type": "string"}}),
            json!({"app.kubernetes.io/name": "x"}),
            json!({"app.kubernetes.io/name": 1}),
            "[\"app.kubernetes.io/name\"]",
            "must be of type string",
        ),
        case(
            "allOf",
            json!({"type": "string", "allOf": [{"minLength": 2}, {"maxLength": 3}]}),
            json!("abc"),
            json!("abcd"),
            ".",
            "may not be longer than 3",
        ),
        case(
            "anyOf",
            json!({"type": "string", "anyOf": [{"pattern": "^a"}, {"pattern": "^b"}]}),
            json!("bcd"),
            json!("cde"),
            ".",
            "must match at least one schema of anyOf (first schema: must match the pattern ^a)",
        ),
        case(
            "oneOf",
            json!({"type": "integer", "oneOf": [{"minimum": 5}, {"maximum": 10}]}),
            json!(3),
            json!(7),
            ".",
            "must match exactly one schema of oneOf, matches 2",
        ),
        case(
            "not",
            json!({"type": "string", "not": {"enum": ["forbidden"]}}),
            json!("fine"),
            json!("forbidden"),
            ".",
            "must not match the schema under not",
        ),
        case(
            "embedded resource",
            json!({"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true}),
            json!({"apiVersion": "v1", "kind": "Pod", "spec": {}}),
            json!({"kind": "Pod"}),
            ".apiVersion",
            "needs apiVersion",
        ),
        case(
            "embedded resource kind",
            json!({"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment"}),
            json!({"apiVersion": "apps/v1", "kind": "Not_A_Kind"}),
            ".kind",
            "is not a valid kind",
        ),
    ]
}

#[test]
fn each_keyword_passes_and_fails() {
    for c in keyword_cases() {
        let good = as_written(&c.schema, &c.good);
        assert!(
            good.is_empty(),
            "{}: {} should pass, got {good:?}",
            c.keyword,
            c.good
        );
        let bad = as_written(&c.schema, &c.bad);
        assert!(
            bad.iter().any(|v| v.kind == ViolationKind::Invalid
                && v.path == c.path
                && v.message.contains(c.message)),
            "{}: {} should fail at {} with {:?}, got {bad:?}",
            c.keyword,
            c.bad,
            c.path,
            c.message
        );
        assert_eq!(
            bad.len(),
            1,
            "{}: one problem, one violation: {bad:?}",
            c.keyword
        );
    }
}

#[test]
fn invalid_pattern_is_reported_not_matched() {
    let v = as_written(
        &json!({"type": "string", "pattern": "(unclosed"}),
        &json!("x"),
    );
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].message.contains("is not a valid regular expression"),
        "{v:?}"
    );
}

#[test]
fn unknown_and_foreign_formats_are_not_checked() {
    for schema in [
        json!({"type": "string", "format": "no-such-format"}),
        json!({"type": "string", "format": "int32"}),
        json!({"type": "string", "format": "binary"}),
    ] {
        assert!(
            as_written(&schema, &json!("anything at all")).is_empty(),
            "{schema}"
        );
    }
    assert!(as_written(&json!({"type": "integer", "format": "date"}), &json!(5)).is_empty());
}

#[test]
fn null_never_matches_an_enum() {
    // kube-openapi's enum check skips null even when the field is nullable.
    let schema = json!({"type": "string", "nullable": true, "enum": ["a", null]});
    let v = as_written(&schema, &json!(null));
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].message.contains("null is not accepted"));
}

fn crd_root(spec: Value) -> Value {
    json!({"type": "object", "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": spec}})
}

fn object(spec: Value) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Thing",
           "metadata": {"name": "t", "namespace": "default", "labels": {"a": "b"}},
           "spec": spec})
}

fn kinds(v: &[Violation]) -> Vec<(ViolationKind, &str)> {
    v.iter().map(|v| (v.kind, v.path.as_str())).collect()
}

#[test]
fn unknown_fields_are_pruned_not_rejected() {
    let schema = crd_root(json!({"type": "object", "properties": {"a": {"type": "string"}}}));
    let v = validate(&object(json!({"a": "x", "b": {"deep": 1}})), &schema);
    assert_eq!(
        kinds(&v),
        [(ViolationKind::Pruned, ".spec.b")],
        "metadata is kept: {v:?}"
    );
    assert!(validate(&object(json!({"a": "x"})), &schema).is_empty());
}

#[test]
fn preserve_unknown_fields_keeps_them() {
    let schema = crd_root(json!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
        "properties": {"known": {"type": "object", "properties": {"k": {"type": "string"}}}}
    }));
    let v = validate(
        &object(json!({"other": {"x": 1}, "known": {"k": "v", "z": 1}})),
        &schema,
    );
    // Below a known property the property's own schema applies again.
    assert_eq!(kinds(&v), [(ViolationKind::Pruned, ".spec.known.z")]);
}

#[test]
fn additional_properties_true_keeps_keys_but_empties_objects() {
    let schema = crd_root(json!({"type": "object", "additionalProperties": true}));
    let v = validate(&object(json!({"k": "v", "m": {"n": 1}})), &schema);
    assert_eq!(kinds(&v), [(ViolationKind::Pruned, ".spec.m.n")]);
}

#[test]
fn nulls_are_dropped_defaulted_or_kept() {
    let spec = json!({"type": "object", "properties": {
        "plain": {"type": "string"},
        "defaulted": {"type": "string", "default": "d"},
        "nullable": {"type": "string", "nullable": true},
        "list": {"type": "array", "items": {"type": "string"}}}});
    let schema = crd_root(spec);
    let v = validate(
        &object(json!({"plain": null, "defaulted": null, "nullable": null, "list": ["a", null]})),
        &schema,
    );
    assert_eq!(
        kinds(&v),
        [
            (ViolationKind::Pruned, ".spec.plain"),
            (ViolationKind::Invalid, ".spec.list[1]")
        ],
        "{v:?}"
    );
}

#[test]
fn dropped_null_of_a_required_field_is_missing() {
    let schema = crd_root(
        json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}),
    );
    let v = validate(&object(json!({"a": null})), &schema);
    assert_eq!(
        kinds(&v),
        [
            (ViolationKind::Pruned, ".spec.a"),
            (ViolationKind::Invalid, ".spec.a")
        ]
    );
}

#[test]
fn defaults_are_filled_before_validation() {
    let schema = crd_root(
        json!({"type": "object", "required": ["mode", "limits"], "properties": {
        "mode": {"type": "string", "default": "auto"},
        "limits": {"type": "object", "default": {}, "required": ["cpu"], "properties": {
            "cpu": {"type": "integer", "default": 1}}}}}),
    );
    assert!(validate(&object(json!({})), &schema).is_empty());
    // As written, the same empty spec misses both required fields.
    let spec_node = &schema["properties"]["spec"];
    assert_eq!(as_written(spec_node, &json!({})).len(), 2);
}

#[test]
fn list_map_keys_are_compared_after_defaulting() {
    let schema = crd_root(json!({"type": "object", "properties": {"ports": {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["port", "protocol"],
        "items": {"type": "object", "required": ["port"], "properties": {
            "port": {"type": "integer"},
            "protocol": {"type": "string", "default": "TCP"}}}}}}));
    let v = validate(
        &object(json!({"ports": [{"port": 80}, {"port": 80, "protocol": "TCP"}]})),
        &schema,
    );
    assert_eq!(
        kinds(&v),
        [(ViolationKind::Invalid, ".spec.ports[1]")],
        "{v:?}"
    );
    let v = validate(
        &object(json!({"ports": [{"port": 80}, {"port": 80, "protocol": "UDP"}]})),
        &schema,
    );
    assert!(v.is_empty(), "{v:?}");
}

#[test]
fn embedded_resources_keep_their_metadata() {
    let schema = crd_root(json!({"type": "object", "properties": {"template": {
        "type": "object",
        "x-kubernetes-embedded-resource": true,
        "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}));
    let v = validate(
        &object(json!({"template": {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "anything": 1}, "spec": {"x": 1}, "extra": 1}})),
        &schema,
    );
    // Unknown fields of the embedded ObjectMeta are dropped too, as the server's decoding does.
    assert_eq!(
        kinds(&v),
        [
            (ViolationKind::Pruned, ".spec.template.metadata.anything"),
            (ViolationKind::Pruned, ".spec.template.extra")
        ],
        "{v:?}"
    );
}

#[test]
fn as_written_reports_unknown_fields_of_a_default() {
    let node = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    let v = as_written(&node, &json!({"a": "x", "typo": 1}));
    assert_eq!(kinds(&v), [(ViolationKind::Pruned, ".typo")]);
}

/// A value and a schema `levels` deep: `{"a": {"a": ...}}` and
/// `{"type": "object", "properties": {"a": ...}}`.
fn nested(levels: usize) -> (Value, Value) {
    // Built by hand: `json!` would serialize the inner value, recursively.
    let wrap = |key: &str, inner: Value| {
        let mut map = serde_json::Map::new();
        map.insert(key.to_string(), inner);
        Value::Object(map)
    };
    let mut value = json!("leaf");
    let mut schema = json!({"type": "string"});
    for _ in 0..levels {
        value = wrap("a", value);
        let mut node = wrap("properties", wrap("a", schema));
        if let Some(obj) = node.as_object_mut() {
            obj.insert("type".to_string(), json!("object"));
        }
        schema = node;
    }
    (value, schema)
}

/// Runs `check` on a thread with a small stack (the guard must hold there), while the deep
/// input is built and dropped on a thread with a large one (serde_json drops values
/// recursively).
fn on_small_stack<T: Send + Sync>(
    build: impl FnOnce() -> T + Send,
    check: impl Fn(&T) + Send + Sync,
) {
    std::thread::scope(|outer| {
        let job = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn_scoped(outer, || {
                let input = build();
                std::thread::scope(|inner| {
                    let small = std::thread::Builder::new()
                        .stack_size(512 << 10)
                        .spawn_scoped(inner, || check(&input));
                    match small {
                        Ok(handle) => assert!(handle.join().is_ok(), "validation thread failed"),
                        Err(e) => panic!("cannot start the small-stack thread: {e}"),
                    }
                });
            });
        match job {
            Ok(handle) => assert!(handle.join().is_ok(), "deep input thread failed"),
            Err(e) => panic!("cannot start the big-stack thread: {e}"),
        }
    });
}

#[test]
fn deep_values_and_schemas_are_cut_off_not_overflowing() {
    on_small_stack(
        || nested(5 * MAX_DEPTH),
        |(value, schema)| {
            let validator = Validator::new(schema);
            for v in [
                validator.validate_as_written(value),
                validator.validate(value),
            ] {
                assert_eq!(v.len(), 1, "one violation for the cut-off: {v:?}");
                assert!(v[0].message.contains("deeper than 1000 levels"), "{v:?}");
            }
        },
    );
    on_small_stack(
        || nested(MAX_DEPTH - 2),
        |(value, schema)| {
            let v = Validator::new(schema).validate(value);
            assert!(v.is_empty(), "{v:?}");
        },
    );
    // Equality checks on deep items stop at the limit too.
    on_small_stack(
        || Value::Array(vec![nested(5 * MAX_DEPTH).0, nested(5 * MAX_DEPTH).0]),
        |items| {
            let schema = json!({"type": "array", "uniqueItems": true,
                                "items": {"x-kubernetes-preserve-unknown-fields": true}});
            let v = as_written(&schema, items);
            assert_eq!(kinds(&v), [(ViolationKind::Invalid, "[1]")]);
        },
    );
}

#[test]
fn validator_is_reusable_and_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Validator>();
    let validator = Validator::new(&json!({"type": "string", "pattern": "^a"}));
    assert!(validator.validate_as_written(&json!("abc")).is_empty());
    assert_eq!(validator.validate_as_written(&json!("xyz")).len(), 1);
}

#[test]
fn negative_maxima_refuse_every_value_as_kube_openapi_does() {
    assert_eq!(
        as_written(&json!({"type": "string", "maxLength": -1}), &json!("")).len(),
        1
    );
    assert_eq!(
        as_written(&json!({"type": "array", "maxItems": -1}), &json!([])).len(),
        1
    );
    assert!(as_written(&json!({"type": "string", "minLength": -1}), &json!("")).is_empty());
}

#[test]
fn list_uniqueness_is_not_checked_in_defaults() {
    // The server validates a default with the OpenAPI validator and CEL; list-type uniqueness
    // is checked on objects only.
    let set =
        json!({"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}});
    let map = json!({"type": "array", "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["k"],
        "items": {"type": "object", "required": ["k"], "properties": {"k": {"type": "string"}}}});
    for (schema, value) in [
        (set, json!(["a", "a"])),
        (map, json!([{"k": "a"}, {"k": "a"}])),
    ] {
        let validator = Validator::new(&schema);
        assert!(validator.validate_default(&value).is_empty(), "{schema}");
        assert_eq!(validator.validate_as_written(&value).len(), 1, "{schema}");
    }
}

#[test]
fn a_type_beside_int_or_string_decides_for_defaults_only() {
    let schema = json!({"type": "string", "x-kubernetes-int-or-string": true});
    let validator = Validator::new(&schema);
    assert!(validator.validate_as_written(&json!(3)).is_empty());
    assert_eq!(validator.validate_default(&json!(3)).len(), 1);
    assert!(validator.validate_default(&json!("3")).is_empty());
}

#[test]
fn a_format_lets_strings_and_lists_past_a_non_numeric_type_in_defaults_only() {
    // kube-openapi's type check: `type: boolean, format: int64` takes `[]` and `"x"` where the
    // format is kept (a schema's default, checked through the structural schema)...
    let schema = json!({"type": "boolean", "format": "int64"});
    let validator = Validator::new(&schema);
    assert!(validator.validate_default(&json!([])).is_empty());
    assert!(validator.validate_default(&json!("x")).is_empty());
    assert_eq!(validator.validate_default(&json!({})).len(), 1);
    // ...and a string is then held to the format as written, whatever the type (seen: a
    // boolean with `format: date-time` and the default "x").
    let dated = Validator::new(&json!({"type": "boolean", "format": "date-time"}));
    assert_eq!(dated.validate_default(&json!("x")).len(), 1);
    assert!(dated.validate_default(&json!(true)).is_empty());
    assert!(
        Validator::new(&json!({"type": "string", "format": "binary"}))
            .validate_default(&json!(["x"]))
            .is_empty()
    );
    // On objects the server strips formats the type does not support first: the type decides.
    assert_eq!(as_written(&schema, &json!([])).len(), 1);
    assert_eq!(as_written(&schema, &json!("x")).len(), 1);
    assert_eq!(
        as_written(
            &json!({"type": "string", "format": "binary"}),
            &json!(["x"])
        )
        .len(),
        1
    );
    // A supported string format is kept: a list gets past `type: string`.
    assert!(
        as_written(
            &json!({"type": "string", "format": "date-time"}),
            &json!(["x"])
        )
        .is_empty()
    );
    // Not for numeric types, nor without a format.
    assert_eq!(
        as_written(&json!({"type": "integer", "format": "int64"}), &json!([])).len(),
        1
    );
    assert_eq!(as_written(&json!({"type": "boolean"}), &json!([])).len(), 1);
}
