//! `crd-invalid`: for each check, a CRD that triggers it (exactly one finding, at the expected
//! path) and a near CRD that does not.

use nexus::compare::invalid::check_invalid;
use nexus::report::Severity;
use nexus::rules::RuleId;
use serde_json::{Map, Value, json};

/// Schema root inside the document, and its path in findings.
const S: &str = "/spec/versions/0/schema/openAPIV3Schema";
const P: &str = "/spec/versions/name=v1/schema/openAPIV3Schema";
/// The `spec` property of the schema.
const SPEC: &str = "/spec/versions/0/schema/openAPIV3Schema/properties/spec";

fn base() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1",
                "served": true,
                "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "metadata": {"type": "object"},
                        "spec": {
                            "type": "object",
                            "properties": {
                                "ports": {
                                    "type": "array",
                                    "x-kubernetes-list-type": "map",
                                    "x-kubernetes-list-map-keys": ["name"],
                                    "items": {
                                        "type": "object",
                                        "required": ["name"],
                                        "properties": {
                                            "name": {"type": "string"},
                                            "port": {"type": "integer", "format": "int32"}
                                        }
                                    }
                                },
                                "replicas": {"type": "integer", "default": 1, "minimum": 0},
                                "mode": {"type": "string", "enum": ["auto", "manual"]}
                            }
                        },
                        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                    }
                }}
            }]
        }
    })
}

/// Sets the value at a JSON pointer (the parent must exist); `-` appends to a list.
fn set(doc: &mut Value, pointer: &str, value: Value) {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer has a parent");
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(last.to_string(), value);
        }
        Some(Value::Array(items)) if last == "-" => items.push(value),
        Some(Value::Array(items)) => items[last.parse::<usize>().expect("index")] = value,
        _ => panic!("no parent at {pointer}"),
    }
}

fn remove(doc: &mut Value, pointer: &str) {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer has a parent");
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(last);
        }
        _ => panic!("no object at {parent}"),
    }
}

type Edit = Box<dyn Fn(&mut Value)>;

struct Case {
    name: &'static str,
    trigger: Edit,
    near: Edit,
    /// Path of the finding and a part of its message.
    path: String,
    message: &'static str,
}

fn case(
    name: &'static str,
    trigger: impl Fn(&mut Value) + 'static,
    near: impl Fn(&mut Value) + 'static,
    path: impl Into<String>,
    message: &'static str,
) -> Case {
    Case {
        name,
        trigger: Box::new(trigger),
        near: Box::new(near),
        path: path.into(),
        message,
    }
}

fn no_status(doc: &mut Value) {
    remove(doc, "/spec/versions/0/subresources");
}

fn second_version(storage: bool, name: &str) -> impl Fn(&mut Value) {
    let name = name.to_string();
    move |doc: &mut Value| {
        let mut v = doc["spec"]["versions"][0].clone();
        v["name"] = json!(name);
        v["storage"] = json!(storage);
        set(doc, "/spec/versions/-", v);
    }
}

fn cases() -> Vec<Case> {
    let ports = format!("{SPEC}/properties/ports");
    let ports_p = format!("{P}/properties/spec/properties/ports");
    let replicas = format!("{SPEC}/properties/replicas");
    let replicas_p = format!("{P}/properties/spec/properties/replicas");
    vec![
        // (a) structural schemas
        case(
            "field without type",
            {
                let r = replicas.clone();
                move |d| remove(d, &format!("{r}/type"))
            },
            {
                let r = replicas.clone();
                move |d| {
                    remove(d, &format!("{r}/type"));
                    set(d, &format!("{r}/x-kubernetes-int-or-string"), json!(true));
                }
            },
            format!("{replicas_p}/type"),
            "type must not be empty for object fields",
        ),
        case(
            "array items without type",
            {
                let p = ports.clone();
                move |d| remove(d, &format!("{p}/items/type"))
            },
            {
                let p = ports.clone();
                move |d| {
                    set(
                        d,
                        &format!("{p}/items/x-kubernetes-map-type"),
                        json!("granular"),
                    )
                }
            },
            format!("{ports_p}/items/type"),
            "type must not be empty for array items",
        ),
        case(
            "properties and an additionalProperties schema",
            |d| {
                set(
                    d,
                    &format!("{SPEC}/additionalProperties"),
                    json!({"type": "string"}),
                )
            },
            |d| set(d, &format!("{SPEC}/additionalProperties"), json!(true)),
            format!("{P}/properties/spec/additionalProperties"),
            "mutually exclusive",
        ),
        case(
            "type inside anyOf",
            {
                let r = replicas.clone();
                move |d| {
                    set(
                        d,
                        &format!("{r}/anyOf"),
                        json!([{"type": "integer", "minimum": 1}, {"maximum": 0}]),
                    )
                }
            },
            {
                let r = replicas.clone();
                move |d| {
                    set(
                        d,
                        &format!("{r}/anyOf"),
                        json!([{"minimum": 1}, {"maximum": 0}]),
                    )
                }
            },
            format!("{replicas_p}/anyOf/0/type"),
            "not allowed inside allOf, anyOf, oneOf or not",
        ),
        case(
            "description inside allOf",
            {
                let r = replicas.clone();
                move |d| {
                    set(
                        d,
                        &format!("{r}/allOf"),
                        json!([{"description": "why", "maximum": 9}]),
                    )
                }
            },
            {
                let r = replicas.clone();
                move |d| set(d, &format!("{r}/allOf"), json!([{"maximum": 9}]))
            },
            format!("{replicas_p}/allOf/0/description"),
            "description is not allowed inside",
        ),
        case(
            "default inside not",
            {
                let r = replicas.clone();
                move |d| set(d, &format!("{r}/not"), json!({"default": 3, "enum": [3]}))
            },
            {
                let r = replicas.clone();
                move |d| set(d, &format!("{r}/not"), json!({"enum": [3]}))
            },
            format!("{replicas_p}/not/default"),
            "default is not allowed inside",
        ),
        case(
            "value validation about a field the schema lacks",
            |d| {
                no_status(d);
                set(
                    d,
                    &format!("{S}/anyOf"),
                    json!([{"properties": {"extra": {"minLength": 1}}}, {"required": ["spec"]}]),
                );
            },
            |d| {
                no_status(d);
                set(
                    d,
                    &format!("{S}/anyOf"),
                    json!([{"properties": {"spec": {"required": ["mode"]}}}, {"required": ["spec"]}]),
                );
            },
            format!("{P}/properties/extra"),
            "must be defined in the schema because",
        ),
        case(
            "items as a list",
            {
                let p = ports.clone();
                move |d| {
                    let items = d
                        .pointer(&format!("{p}/items"))
                        .cloned()
                        .unwrap_or_default();
                    set(d, &format!("{p}/items"), json!([items]));
                }
            },
            |_| {},
            format!("{ports_p}/items"),
            "items must be one schema",
        ),
        case(
            "$ref",
            {
                let r = replicas.clone();
                move |d| set(d, &format!("{r}/$ref"), json!("#/definitions/x"))
            },
            |_| {},
            format!("{replicas_p}/$ref"),
            "$ref is not supported",
        ),
        case(
            "definitions",
            |d| {
                set(
                    d,
                    &format!("{SPEC}/definitions"),
                    json!({"x": {"type": "string"}}),
                )
            },
            |_| {},
            format!("{P}/properties/spec/definitions"),
            "definitions is not supported",
        ),
        case(
            "patternProperties",
            |d| {
                set(
                    d,
                    &format!("{SPEC}/patternProperties"),
                    json!({"^x": {"type": "string"}}),
                )
            },
            |_| {},
            format!("{P}/properties/spec/patternProperties"),
            "patternProperties is not supported",
        ),
        case(
            "dependencies",
            |d| {
                set(
                    d,
                    &format!("{SPEC}/dependencies"),
                    json!({"mode": ["replicas"]}),
                )
            },
            |_| {},
            format!("{P}/properties/spec/dependencies"),
            "dependencies is not supported",
        ),
        case(
            "additionalItems",
            {
                let p = ports.clone();
                move |d| set(d, &format!("{p}/additionalItems"), json!(false))
            },
            |_| {},
            format!("{ports_p}/additionalItems"),
            "additionalItems is not supported",
        ),
        case(
            "id",
            |d| set(d, &format!("{SPEC}/id"), json!("spec")),
            |d| set(d, &format!("{SPEC}/id"), json!("")),
            format!("{P}/properties/spec/id"),
            "id is not supported",
        ),
        case(
            "$schema",
            |d| {
                set(
                    d,
                    &format!("{S}/$schema"),
                    json!("http://json-schema.org/draft-04/schema#"),
                )
            },
            |_| {},
            format!("{P}/$schema"),
            "$schema is not supported",
        ),
        case(
            "uniqueItems: true",
            {
                let p = ports.clone();
                move |d| set(d, &format!("{p}/uniqueItems"), json!(true))
            },
            {
                let p = ports.clone();
                move |d| set(d, &format!("{p}/uniqueItems"), json!(false))
            },
            format!("{ports_p}/uniqueItems"),
            "uniqueItems: true is not allowed",
        ),
        case(
            "root not an object",
            |d| {
                no_status(d);
                set(d, &format!("{S}/type"), json!("string"));
            },
            no_status,
            format!("{P}/type"),
            "type must be object at the root",
        ),
        case(
            "additionalProperties at the root",
            |d| {
                no_status(d);
                set(d, &format!("{S}/additionalProperties"), json!(true));
            },
            no_status,
            format!("{P}/additionalProperties"),
            "must not be used at the root",
        ),
        case(
            "nullable root",
            |d| {
                no_status(d);
                set(d, &format!("{S}/nullable"), json!(true));
            },
            |d| {
                no_status(d);
                set(d, &format!("{S}/nullable"), json!(false));
            },
            format!("{P}/nullable"),
            "nullable must not be true at the root",
        ),
        case(
            "metadata restricting more than name",
            |d| {
                set(
                    d,
                    &format!("{S}/properties/metadata/properties"),
                    json!({"labels": {"type": "object"}}),
                )
            },
            |d| {
                set(
                    d,
                    &format!("{S}/properties/metadata/properties"),
                    json!({"name": {"type": "string", "maxLength": 40}, "generateName": {"type": "string"}}),
                )
            },
            format!("{P}/properties/metadata"),
            "may only restrict name and generateName, not properties.labels",
        ),
        case(
            "metadata not an object",
            |d| set(d, &format!("{S}/properties/metadata/type"), json!("string")),
            |_| {},
            format!("{P}/properties/metadata/type"),
            "metadata must be of type object",
        ),
        case(
            "int-or-string with typed anyOf branches not in the int/string form",
            {
                let r = replicas.clone();
                move |d| {
                    set(
                        d,
                        &r,
                        json!({"x-kubernetes-int-or-string": true,
                        "anyOf": [{"type": "integer"}, {"pattern": "^[0-9]+%$"}]}),
                    );
                }
            },
            {
                let r = replicas.clone();
                move |d| {
                    set(
                        d,
                        &r,
                        json!({"x-kubernetes-int-or-string": true, "pattern": "^[0-9]+%?$",
                        "anyOf": [{"type": "integer"}, {"type": "string"}]}),
                    );
                }
            },
            format!("{replicas_p}/anyOf/0/type"),
            "type is not allowed inside",
        ),
        case(
            "int-or-string allOf form",
            {
                let r = replicas.clone();
                move |d| {
                    set(
                        d,
                        &r,
                        json!({"x-kubernetes-int-or-string": true,
                        "allOf": [{"anyOf": [{"type": "integer"}, {"type": "string"}]}, {"type": "string"}]}),
                    );
                }
            },
            {
                let r = replicas.clone();
                move |d| {
                    set(
                        d,
                        &r,
                        json!({"x-kubernetes-int-or-string": true,
                        "allOf": [{"anyOf": [{"type": "integer"}, {"type": "string"}]}, {"maxLength": 5}]}),
                    );
                }
            },
            format!("{replicas_p}/allOf/1/type"),
            "type is not allowed inside",
        ),
        case(
            "int-or-string with preserve-unknown-fields",
            {
                let r = replicas.clone();
                move |d| {
                    set(
                        d,
                        &r,
                        json!({"x-kubernetes-int-or-string": true, "x-kubernetes-preserve-unknown-fields": true}),
                    )
                }
            },
            {
                let r = replicas.clone();
                move |d| set(d, &r, json!({"x-kubernetes-int-or-string": true}))
            },
            format!("{replicas_p}/x-kubernetes-preserve-unknown-fields"),
            "must not be set with x-kubernetes-int-or-string",
        ),
        case(
            "preserve-unknown-fields: false",
            |d| {
                set(
                    d,
                    &format!("{SPEC}/x-kubernetes-preserve-unknown-fields"),
                    json!(false),
                )
            },
            |d| {
                set(
                    d,
                    &format!("{SPEC}/x-kubernetes-preserve-unknown-fields"),
                    json!(true),
                )
            },
            format!("{P}/properties/spec/x-kubernetes-preserve-unknown-fields"),
            "must be true or left out",
        ),
        case(
            "array without items",
            {
                let p = ports.clone();
                move |d| {
                    set(d, &p, json!({"type": "array"}));
                }
            },
            {
                let p = ports.clone();
                move |d| set(d, &p, json!({"type": "array", "items": {"type": "string"}}))
            },
            format!("{ports_p}/items"),
            "items must be set on an array",
        ),
        case(
            "embedded resource without fields",
            |d| {
                set(
                    d,
                    &format!("{SPEC}/properties/template"),
                    json!({"type": "object", "x-kubernetes-embedded-resource": true}),
                )
            },
            |d| {
                set(
                    d,
                    &format!("{SPEC}/properties/template"),
                    json!({"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true}),
                )
            },
            format!("{P}/properties/spec/properties/template/properties"),
            "properties must not be empty",
        ),
        case(
            "unsupported type",
            {
                let r = replicas.clone();
                move |d| set(d, &format!("{r}/type"), json!("int"))
            },
            |_| {},
            format!("{replicas_p}/type"),
            "is not an OpenAPI type",
        ),
        case(
            "keyword the decoder cannot read",
            {
                let r = replicas.clone();
                move |d| set(d, &format!("{r}/minimum"), json!("0"))
            },
            {
                let r = replicas.clone();
                move |d| set(d, &format!("{r}/minimum"), json!(0.5))
            },
            format!("{replicas_p}/minimum"),
            "minimum must be a number",
        ),
        case(
            "pattern that does not compile",
            |d| {
                set(
                    d,
                    &format!("{SPEC}/properties/mode/pattern"),
                    json!("^(auto|manual$"),
                )
            },
            |d| {
                set(
                    d,
                    &format!("{SPEC}/properties/mode/pattern"),
                    json!("^(auto|manual)$"),
                )
            },
            format!("{P}/properties/spec/properties/mode/pattern"),
            "not a valid Go regular expression",
        ),
        case(
            "status subresource with a root keyword it does not allow",
            |d| {
                set(
                    d,
                    &format!("{S}/anyOf"),
                    json!([{"required": ["spec"]}, {"required": ["status"]}]),
                )
            },
            |d| {
                no_status(d);
                set(
                    d,
                    &format!("{S}/anyOf"),
                    json!([{"required": ["spec"]}, {"required": ["status"]}]),
                );
            },
            P.to_string(),
            "with the status subresource enabled the root of the schema may only use",
        ),
        case(
            "CEL rule without an expression",
            |d| {
                set(
                    d,
                    &format!("{SPEC}/x-kubernetes-validations"),
                    json!([{"rule": " ", "message": "m"}]),
                )
            },
            |d| {
                set(
                    d,
                    &format!("{SPEC}/x-kubernetes-validations"),
                    json!([{"rule": "self.replicas >= 0", "message": "m"}]),
                )
            },
            format!("{P}/properties/spec/x-kubernetes-validations/0"),
            "rule must be set",
        ),
        case(
            "CEL rule inside a value validation",
            {
                let r = replicas.clone();
                move |d| {
                    set(
                        d,
                        &format!("{r}/allOf"),
                        json!([{"x-kubernetes-validations": [{"rule": "self > 0"}]}]),
                    )
                }
            },
            {
                let r = replicas.clone();
                move |d| {
                    set(
                        d,
                        &format!("{r}/x-kubernetes-validations"),
                        json!([{"rule": "self > 0"}]),
                    )
                }
            },
            format!("{replicas_p}/allOf/0/x-kubernetes-validations"),
            "x-kubernetes-validations is not allowed inside",
        ),
        // (b) versions
        case(
            "no storage version",
            |d| set(d, "/spec/versions/0/storage", json!(false)),
            |_| {},
            "/spec/versions",
            "exactly one version must have storage: true, none has",
        ),
        case(
            "two storage versions",
            second_version(true, "v2"),
            second_version(false, "v2"),
            "/spec/versions",
            "not 2 (v1, v2)",
        ),
        case(
            "duplicate version names",
            second_version(false, "v1"),
            second_version(false, "v1beta1"),
            "/spec/versions",
            "v1 listed more than once",
        ),
        case(
            "version without a schema",
            |d| remove(d, "/spec/versions/0/schema"),
            |_| {},
            P.to_string(),
            "every version needs schema.openAPIV3Schema",
        ),
        case(
            "invalid version name",
            |d| {
                set(d, "/spec/versions/0/name", json!("V1"));
            },
            |d| set(d, "/spec/versions/0/name", json!("v1alpha1")),
            "/spec/versions/name=V1/name",
            "version name \"V1\" is not valid",
        ),
        // (c) list types
        case(
            "list-type map without keys",
            {
                let p = ports.clone();
                move |d| remove(d, &format!("{p}/x-kubernetes-list-map-keys"))
            },
            |_| {},
            format!("{ports_p}/x-kubernetes-list-map-keys"),
            "must name the key fields",
        ),
        case(
            "list-map key that is not a property",
            {
                let p = ports.clone();
                move |d| set(d, &format!("{p}/x-kubernetes-list-map-keys"), json!(["id"]))
            },
            {
                let p = ports.clone();
                move |d| {
                    set(
                        d,
                        &format!("{p}/x-kubernetes-list-map-keys"),
                        json!(["name", "port"]),
                    );
                    set(d, &format!("{p}/items/properties/port/default"), json!(80));
                }
            },
            format!("{ports_p}/x-kubernetes-list-map-keys"),
            "id is not",
        ),
        case(
            "list-map key that is not a scalar",
            {
                let p = ports.clone();
                move |d| {
                    set(
                        d,
                        &format!("{p}/items/properties/name"),
                        json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
                    )
                }
            },
            {
                let p = ports.clone();
                move |d| {
                    set(
                        d,
                        &format!("{p}/items/properties/name"),
                        json!({"type": "string", "maxLength": 15}),
                    )
                }
            },
            format!("{ports_p}/items/properties/name/type"),
            "must be a scalar",
        ),
        case(
            "list-map key neither required nor defaulted",
            {
                let p = ports.clone();
                move |d| remove(d, &format!("{p}/items/required"))
            },
            {
                let p = ports.clone();
                move |d| {
                    remove(d, &format!("{p}/items/required"));
                    set(
                        d,
                        &format!("{p}/items/properties/name/default"),
                        json!("http"),
                    );
                }
            },
            format!("{ports_p}/items/properties/name"),
            "must be required or have a default",
        ),
        case(
            "list-map keys without list-type map",
            {
                let p = ports.clone();
                move |d| set(d, &format!("{p}/x-kubernetes-list-type"), json!("atomic"))
            },
            {
                let p = ports.clone();
                move |d| {
                    set(d, &format!("{p}/x-kubernetes-list-type"), json!("atomic"));
                    remove(d, &format!("{p}/x-kubernetes-list-map-keys"));
                }
            },
            format!("{ports_p}/x-kubernetes-list-map-keys"),
            "x-kubernetes-list-type is not map",
        ),
        case(
            "list-type set of non-atomic objects",
            {
                let p = ports.clone();
                move |d| {
                    set(d, &format!("{p}/x-kubernetes-list-type"), json!("set"));
                    remove(d, &format!("{p}/x-kubernetes-list-map-keys"));
                }
            },
            {
                let p = ports.clone();
                move |d| {
                    set(d, &format!("{p}/x-kubernetes-list-type"), json!("set"));
                    remove(d, &format!("{p}/x-kubernetes-list-map-keys"));
                    set(
                        d,
                        &format!("{p}/items/x-kubernetes-map-type"),
                        json!("atomic"),
                    );
                }
            },
            format!("{ports_p}/items/x-kubernetes-map-type"),
            "must be atomic",
        ),
        case(
            "list-type on a non-array",
            |d| {
                set(
                    d,
                    &format!("{SPEC}/properties/mode/x-kubernetes-list-type"),
                    json!("set"),
                )
            },
            |_| {},
            format!("{P}/properties/spec/properties/mode/type"),
            "type must be array when x-kubernetes-list-type is set, not string",
        ),
        // (d) defaults
        case(
            "default of the wrong type",
            {
                let r = replicas.clone();
                move |d| set(d, &format!("{r}/default"), json!("one"))
            },
            {
                let r = replicas.clone();
                move |d| set(d, &format!("{r}/default"), json!(3))
            },
            format!("{replicas_p}/default"),
            "default does not validate against its own schema: must be of type integer, not string",
        ),
        case(
            "default outside the enum",
            |d| set(d, &format!("{SPEC}/properties/mode/default"), json!("fast")),
            |d| set(d, &format!("{SPEC}/properties/mode/default"), json!("auto")),
            format!("{P}/properties/spec/properties/mode/default"),
            "must be one of \"auto\", \"manual\"",
        ),
        case(
            "default with unknown fields",
            |d| {
                set(
                    d,
                    &format!("{SPEC}/default"),
                    json!({"replicas": 2, "typo": true}),
                )
            },
            |d| set(d, &format!("{SPEC}/default"), json!({"replicas": 2})),
            format!("{P}/properties/spec/default"),
            "default has fields the schema does not define (.typo)",
        ),
        case(
            "default is validated as written, without nested defaults",
            |d| {
                set(d, &format!("{SPEC}/required"), json!(["replicas"]));
                set(d, &format!("{SPEC}/default"), json!({}));
            },
            |d| {
                set(d, &format!("{SPEC}/required"), json!(["replicas"]));
                set(d, &format!("{SPEC}/default"), json!({"replicas": 1}));
            },
            format!("{P}/properties/spec/default"),
            ".replicas: required field is missing",
        ),
        case(
            "unknown fields of a default are fine under preserve-unknown-fields",
            |d| {
                set(
                    d,
                    &format!("{S}/properties/status"),
                    json!({"type": "object", "default": {"phase": "New"}}),
                )
            },
            |d| {
                set(
                    d,
                    &format!("{S}/properties/status"),
                    json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true, "default": {"phase": "New"}}),
                )
            },
            format!("{P}/properties/status/default"),
            "(.phase)",
        ),
        case(
            "default in top-level metadata",
            |d| {
                set(
                    d,
                    &format!("{S}/properties/metadata/default"),
                    json!({"name": "x"}),
                )
            },
            |_| {},
            format!("{P}/properties/metadata/default"),
            "default must not be set in top-level metadata",
        ),
        // (e) and the rest of the CRD
        case(
            "name is not plural.group",
            |d| set(d, "/metadata/name", json!("widget.example.com")),
            |_| {},
            "/metadata/name",
            "(\"widgets.example.com\")",
        ),
        case(
            "apiextensions v1beta1",
            |d| set(d, "/apiVersion", json!("apiextensions.k8s.io/v1beta1")),
            |_| {},
            "/apiVersion",
            "no longer served",
        ),
        case(
            "spec.preserveUnknownFields",
            |d| set(d, "/spec/preserveUnknownFields", json!(true)),
            |d| set(d, "/spec/preserveUnknownFields", json!(false)),
            "/spec/preserveUnknownFields",
            "not allowed in apiextensions.k8s.io/v1",
        ),
        case(
            "scope",
            |d| set(d, "/spec/scope", json!("Global")),
            |d| set(d, "/spec/scope", json!("Cluster")),
            "/spec/scope",
            "must be Namespaced or Cluster",
        ),
        case(
            "group without a dot",
            |d| {
                set(d, "/spec/group", json!("example"));
                set(d, "/metadata/name", json!("widgets.example"));
            },
            |_| {},
            "/spec/group",
            "at least one dot",
        ),
        case(
            "kind that is not a name",
            |d| set(d, "/spec/names/kind", json!("My Widget")),
            |d| set(d, "/spec/names/kind", json!("MyWidget")),
            "/spec/names/kind",
            "spec.names.kind \"My Widget\" is not valid",
        ),
        case(
            "protected group without approval",
            |d| {
                set(d, "/spec/group", json!("widgets.k8s.io"));
                set(d, "/metadata/name", json!("widgets.widgets.k8s.io"));
            },
            |d| {
                set(d, "/spec/group", json!("widgets.k8s.io"));
                set(d, "/metadata/name", json!("widgets.widgets.k8s.io"));
                set(
                    d,
                    "/metadata/annotations",
                    json!({"api-approved.kubernetes.io": "https://github.com/kubernetes/enhancements/pull/1111"}),
                );
            },
            "/metadata/annotations/api-approved.kubernetes.io",
            "group widgets.k8s.io is protected",
        ),
        case(
            "conversion webhook with url and service",
            |d| {
                set(
                    d,
                    "/spec/conversion",
                    json!({"strategy": "Webhook", "webhook": {
                "conversionReviewVersions": ["v1"],
                "clientConfig": {"url": "https://conv.example.com/convert", "service": {"name": "conv", "namespace": "system"}}}}),
                )
            },
            |d| {
                set(
                    d,
                    "/spec/conversion",
                    json!({"strategy": "Webhook", "webhook": {
                "conversionReviewVersions": ["v1"],
                "clientConfig": {"service": {"name": "conv", "namespace": "system", "path": "/convert", "port": 443}}}}),
                )
            },
            "/spec/conversion/webhook/clientConfig",
            "exactly one of url or service",
        ),
        case(
            "conversion webhook over http",
            |d| {
                set(
                    d,
                    "/spec/conversion",
                    json!({"strategy": "Webhook", "webhook": {
                "conversionReviewVersions": ["v1"], "clientConfig": {"url": "http://conv.example.com/convert"}}}),
                )
            },
            |d| {
                set(
                    d,
                    "/spec/conversion",
                    json!({"strategy": "Webhook", "webhook": {
                "conversionReviewVersions": ["v1"], "clientConfig": {"url": "https://conv.example.com/convert"}}}),
                )
            },
            "/spec/conversion/webhook/clientConfig/url",
            "must use the https scheme",
        ),
        case(
            "conversion review versions the server does not speak",
            |d| {
                set(
                    d,
                    "/spec/conversion",
                    json!({"strategy": "Webhook", "webhook": {
                "conversionReviewVersions": ["v2"], "clientConfig": {"url": "https://conv.example.com"}}}),
                )
            },
            |d| {
                set(
                    d,
                    "/spec/conversion",
                    json!({"strategy": "Webhook", "webhook": {
                "conversionReviewVersions": ["v2", "v1"], "clientConfig": {"url": "https://conv.example.com"}}}),
                )
            },
            "/spec/conversion/webhook/conversionReviewVersions",
            "must include v1 or v1beta1",
        ),
        case(
            "printer column type",
            |d| {
                set(
                    d,
                    "/spec/versions/0/additionalPrinterColumns",
                    json!([{"name": "Replicas", "type": "int", "jsonPath": ".spec.replicas"}]),
                )
            },
            |d| {
                set(
                    d,
                    "/spec/versions/0/additionalPrinterColumns",
                    json!([{"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"}]),
                )
            },
            "/spec/versions/name=v1/additionalPrinterColumns/name=Replicas",
            "type must be one of integer, number, string, boolean, date",
        ),
        case(
            "scale path outside .spec",
            |d| {
                set(
                    d,
                    "/spec/versions/0/subresources/scale",
                    json!({"specReplicasPath": ".status.replicas", "statusReplicasPath": ".status.replicas"}),
                )
            },
            |d| {
                set(
                    d,
                    "/spec/versions/0/subresources/scale",
                    json!({"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}),
                )
            },
            "/spec/versions/name=v1/subresources/scale/specReplicasPath",
            "must be a JSON path under .spec.",
        ),
        case(
            "selectable field of a non-scalar",
            |d| {
                set(
                    d,
                    "/spec/versions/0/selectableFields",
                    json!([{"jsonPath": ".spec.ports"}]),
                )
            },
            |d| {
                set(
                    d,
                    "/spec/versions/0/selectableFields",
                    json!([{"jsonPath": ".spec.mode"}]),
                )
            },
            "/spec/versions/name=v1/selectableFields/jsonPath=.spec.ports",
            "must be a string, integer or boolean field, not array",
        ),
        case(
            "deprecation warning on a current version",
            |d| {
                set(
                    d,
                    "/spec/versions/0/deprecationWarning",
                    json!("going away"),
                )
            },
            |d| {
                set(d, "/spec/versions/0/deprecated", json!(true));
                set(
                    d,
                    "/spec/versions/0/deprecationWarning",
                    json!("going away"),
                );
            },
            "/spec/versions/name=v1/deprecationWarning",
            "only allowed on a version with deprecated: true",
        ),
    ]
}

#[test]
fn the_base_crd_is_valid() {
    let changes = check_invalid("widgets.example.com", &base());
    assert!(changes.is_empty(), "{changes:#?}");
}

#[test]
fn each_check_triggers_once_and_its_near_case_does_not() {
    for c in cases() {
        let mut near = base();
        (c.near)(&mut near);
        let changes = check_invalid("widgets.example.com", &near);
        assert!(
            changes.is_empty(),
            "{}: near case should be valid, got {changes:#?}",
            c.name
        );

        let mut bad = base();
        (c.trigger)(&mut bad);
        let changes = check_invalid("widgets.example.com", &bad);
        assert_eq!(
            changes.len(),
            1,
            "{}: one problem, one finding: {changes:#?}",
            c.name
        );
        let change = &changes[0];
        assert_eq!(change.rule, RuleId::CrdInvalid, "{}", c.name);
        assert_eq!(change.severity, Severity::Breaking, "{}", c.name);
        assert_eq!(change.crd, "widgets.example.com", "{}", c.name);
        assert_eq!(change.path, c.path, "{}: {}", c.name, change.message);
        assert!(
            change.message.contains(c.message),
            "{}: message {:?} should contain {:?}",
            c.name,
            change.message,
            c.message
        );
        let expected_version = change
            .path
            .strip_prefix("/spec/versions/name=")
            .map(|rest| rest.split('/').next().unwrap_or_default().to_string());
        assert_eq!(change.version, expected_version, "{}", c.name);
    }
}

#[test]
fn findings_carry_field_paths_and_values() {
    let mut doc = base();
    set(
        &mut doc,
        &format!("{SPEC}/properties/ports/items/properties/name/type"),
        json!("object"),
    );
    let changes = check_invalid("widgets.example.com", &doc);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].field.as_deref(), Some(".spec.ports[*].name"));
    assert_eq!(changes[0].new, json!("object"));
    assert_eq!(changes[0].old, Value::Null);
}

#[test]
fn several_problems_are_each_reported_once() {
    let mut doc = base();
    set(&mut doc, "/metadata/name", json!("wrong.example.com"));
    set(&mut doc, "/spec/versions/0/storage", json!(false));
    remove(&mut doc, &format!("{SPEC}/properties/replicas/type"));
    let changes = check_invalid("wrong.example.com", &doc);
    let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/metadata/name",
            "/spec/versions",
            &format!("{P}/properties/spec/properties/replicas/type")
        ],
        "{changes:#?}"
    );
}

/// `{"type": "object", "properties": {"a": ...}}`, `levels` deep, built without recursion.
fn deep_schema(levels: usize) -> Value {
    let mut schema = json!({"type": "string"});
    for _ in 0..levels {
        let mut props = Map::new();
        props.insert("a".to_string(), schema);
        let mut node = Map::new();
        node.insert("type".to_string(), json!("object"));
        node.insert("properties".to_string(), Value::Object(props));
        schema = Value::Object(node);
    }
    schema
}

#[test]
fn deep_schemas_are_cut_off_not_overflowing() {
    // The deep document is built and dropped on a big stack (serde_json drops recursively); the
    // check itself runs on a small one.
    std::thread::scope(|outer| {
        let job = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn_scoped(outer, || {
                let mut doc = base();
                set(
                    &mut doc,
                    &format!("{SPEC}/properties/deep"),
                    deep_schema(5000),
                );
                let changes = std::thread::scope(|inner| {
                    std::thread::Builder::new()
                        .stack_size(512 << 10)
                        .spawn_scoped(inner, || check_invalid("widgets.example.com", &doc))
                        .expect("small-stack thread")
                        .join()
                        .expect("check_invalid must not overflow")
                });
                assert_eq!(changes.len(), 1, "{changes:#?}");
                assert!(
                    changes[0].message.contains("deeper than 1000 levels"),
                    "{changes:#?}"
                );
            })
            .expect("big-stack thread");
        assert!(job.join().is_ok());
    });
}
