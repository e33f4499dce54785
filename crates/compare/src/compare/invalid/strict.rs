//! Strict decoding: a CRD sent with `kubectl` (field validation `Strict`, its default) is refused
//! when a key is not a field of `apiextensions.k8s.io/v1` — a misspelled schema keyword
//! (`minlength`), one from another JSON Schema draft (`const`), an unknown extension. The
//! server's decoder (sigs.k8s.io/json) matches keys case-sensitively. Below `items`,
//! `additionalProperties`, `additionalItems` and `dependencies` the v1 types decode with their own
//! lenient `UnmarshalJSON`, so unknown keys there are dropped, not refused.

use crate::compare::path;
use serde_json::Value;

/// One unknown key: the CRD path of the key, and the server's field path (`spec.versions[0]…`).
pub struct UnknownField {
    pub path: String,
    pub field: String,
}

const TOP: &[&str] = &["apiVersion", "kind", "metadata", "spec", "status"];
/// The fields of `ObjectMeta`, as the object validation prunes `metadata` to them.
const OBJECT_META: &[&str] = crate::validate::OBJECT_META_FIELDS;
const SPEC: &[&str] = &[
    "group",
    "names",
    "scope",
    "versions",
    "conversion",
    "preserveUnknownFields",
];
const NAMES: &[&str] = &[
    "plural",
    "singular",
    "shortNames",
    "kind",
    "listKind",
    "categories",
];
const VERSION: &[&str] = &[
    "name",
    "served",
    "storage",
    "deprecated",
    "deprecationWarning",
    "schema",
    "subresources",
    "additionalPrinterColumns",
    "selectableFields",
];
const VALIDATION: &[&str] = &["openAPIV3Schema"];
const SUBRESOURCES: &[&str] = &["status", "scale"];
const SCALE: &[&str] = &[
    "specReplicasPath",
    "statusReplicasPath",
    "labelSelectorPath",
];
const COLUMN: &[&str] = &[
    "name",
    "type",
    "format",
    "description",
    "priority",
    "jsonPath",
];
const SELECTABLE: &[&str] = &["jsonPath"];
const CONVERSION: &[&str] = &["strategy", "webhook"];
const WEBHOOK: &[&str] = &["clientConfig", "conversionReviewVersions"];
const CLIENT_CONFIG: &[&str] = &["url", "service", "caBundle"];
const SERVICE: &[&str] = &["namespace", "name", "path", "port"];
const STATUS: &[&str] = &["conditions", "acceptedNames", "storedVersions"];
const CONDITION: &[&str] = &[
    "type",
    "status",
    "lastTransitionTime",
    "reason",
    "message",
    "observedGeneration",
];
const EXTERNAL_DOCS: &[&str] = &["description", "url"];
const RULE: &[&str] = &[
    "rule",
    "message",
    "messageExpression",
    "reason",
    "fieldPath",
    "optionalOldSelf",
];
/// `JSONSchemaProps` of apiextensions v1.
pub const SCHEMA: &[&str] = &[
    "id",
    "$schema",
    "$ref",
    "description",
    "type",
    "format",
    "title",
    "default",
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
    "enum",
    "maxProperties",
    "minProperties",
    "required",
    "items",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "properties",
    "additionalProperties",
    "patternProperties",
    "dependencies",
    "additionalItems",
    "definitions",
    "externalDocs",
    "example",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-list-type",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
];

#[derive(Clone, Copy)]
enum Kind {
    Fields(&'static [&'static str]),
    Schema,
}

/// Every key of `crd` that the server's strict decoder does not know, in document order.
pub fn unknown_fields(crd: &Value) -> Vec<UnknownField> {
    let mut out = Vec::new();
    // Where each visited object sits, as (parent, step): the paths are spelled only for unknown
    // keys, which almost no CRD has (spelling them for every key was most of this walk).
    let mut places: Vec<(usize, Step<'_>)> = vec![(0, Step::Root)];
    // (place, value, kind); children are pushed in reverse to keep the order.
    let mut stack: Vec<(usize, &Value, Kind)> = vec![(0, crd, Kind::Fields(TOP))];
    while let Some((place, value, kind)) = stack.pop() {
        let Some(map) = value.as_object() else {
            continue;
        };
        let known = match kind {
            Kind::Fields(known) => known,
            Kind::Schema => SCHEMA,
        };
        let mut children = Vec::new();
        for (key, child) in map {
            places.push((place, Step::Key(key)));
            let child_place = places.len() - 1;
            if !known.contains(&key.as_str()) {
                let (path, field) = spell(&places, child_place);
                out.push(UnknownField { path, field });
                continue;
            }
            nested(kind, key, child_place, child, &mut places, &mut children);
        }
        stack.extend(children.into_iter().rev());
    }
    out
}

/// One step from an object to a value below it.
#[derive(Clone, Copy)]
enum Step<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

/// The CRD path and the field path of the value at `place`.
fn spell(places: &[(usize, Step<'_>)], mut place: usize) -> (String, String) {
    let mut steps = Vec::new();
    while place != 0 {
        let (parent, step) = places[place];
        steps.push(step);
        place = parent;
    }
    let (mut at, mut field) = (String::new(), String::new());
    for step in steps.into_iter().rev() {
        match step {
            Step::Root => {}
            Step::Key(key) => {
                at = path::child(&at, key);
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(key);
            }
            Step::Index(i) => {
                at = format!("{at}/{i}");
                field = format!("{field}[{i}]");
            }
        }
    }
    (at, field)
}

/// Queues the values below `key` (at `place`) that have a known shape.
fn nested<'a>(
    parent: Kind,
    key: &str,
    place: usize,
    value: &'a Value,
    places: &mut Vec<(usize, Step<'a>)>,
    out: &mut Vec<(usize, &'a Value, Kind)>,
) {
    let mut one = |kind: Kind| out.push((place, value, kind));
    let each = |kind: Kind, places: &mut Vec<(usize, Step<'a>)>, out: &mut Vec<_>| {
        for (i, v) in value.as_array().into_iter().flatten().enumerate() {
            places.push((place, Step::Index(i)));
            out.push((places.len() - 1, v, kind));
        }
    };
    let values = |kind: Kind, places: &mut Vec<(usize, Step<'a>)>, out: &mut Vec<_>| {
        for (k, v) in value.as_object().into_iter().flatten() {
            places.push((place, Step::Key(k)));
            out.push((places.len() - 1, v, kind));
        }
    };
    match parent {
        Kind::Schema => match key {
            "properties" | "patternProperties" | "definitions" => values(Kind::Schema, places, out),
            // `items`, `additionalProperties`, `additionalItems` and `dependencies` have their
            // own UnmarshalJSON, which decodes leniently: the server drops unknown keys there.
            "not" => one(Kind::Schema),
            "allOf" | "oneOf" | "anyOf" => each(Kind::Schema, places, out),
            "externalDocs" => one(Kind::Fields(EXTERNAL_DOCS)),
            "x-kubernetes-validations" => each(Kind::Fields(RULE), places, out),
            _ => {}
        },
        Kind::Fields(known) => {
            let shape: Option<(Kind, bool)> = if std::ptr::eq(known, TOP) {
                match key {
                    "metadata" => Some((Kind::Fields(OBJECT_META), false)),
                    "spec" => Some((Kind::Fields(SPEC), false)),
                    "status" => Some((Kind::Fields(STATUS), false)),
                    _ => None,
                }
            } else if std::ptr::eq(known, SPEC) {
                match key {
                    "names" => Some((Kind::Fields(NAMES), false)),
                    "versions" => Some((Kind::Fields(VERSION), true)),
                    "conversion" => Some((Kind::Fields(CONVERSION), false)),
                    _ => None,
                }
            } else if std::ptr::eq(known, VERSION) {
                match key {
                    "schema" => Some((Kind::Fields(VALIDATION), false)),
                    "subresources" => Some((Kind::Fields(SUBRESOURCES), false)),
                    "additionalPrinterColumns" => Some((Kind::Fields(COLUMN), true)),
                    "selectableFields" => Some((Kind::Fields(SELECTABLE), true)),
                    _ => None,
                }
            } else if std::ptr::eq(known, VALIDATION) {
                Some((Kind::Schema, false))
            } else if std::ptr::eq(known, SUBRESOURCES) {
                match key {
                    "scale" => Some((Kind::Fields(SCALE), false)),
                    "status" => Some((Kind::Fields(&[]), false)),
                    _ => None,
                }
            } else if std::ptr::eq(known, CONVERSION) {
                (key == "webhook").then_some((Kind::Fields(WEBHOOK), false))
            } else if std::ptr::eq(known, WEBHOOK) {
                (key == "clientConfig").then_some((Kind::Fields(CLIENT_CONFIG), false))
            } else if std::ptr::eq(known, CLIENT_CONFIG) {
                (key == "service").then_some((Kind::Fields(SERVICE), false))
            } else if std::ptr::eq(known, STATUS) {
                match key {
                    "acceptedNames" => Some((Kind::Fields(NAMES), false)),
                    "conditions" => Some((Kind::Fields(CONDITION), true)),
                    _ => None,
                }
            } else {
                None
            };
            match shape {
                Some((kind, true)) => each(kind, places, out),
                Some((kind, false)) => one(kind),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_keys_anywhere_are_found_case_sensitively() {
        let crd = json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "a.b.c"},
            "spec": {"group": "b.c", "bogus": 1, "versions": [{"name": "v1", "schema": {
                "openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "const": 1, "Type": "object",
                             "x-kubernetes-validations": [{"rule": "true", "severity": "x"}],
                             "properties": {"a": {"type": "string", "minlength": 1},
                                            "l": {"type": "array", "items": {"type": "string", "x": 1}}}}}}}}]}
        });
        let found: Vec<String> = unknown_fields(&crd).into_iter().map(|u| u.field).collect();
        assert_eq!(
            found,
            [
                "spec.bogus",
                "spec.versions[0].schema.openAPIV3Schema.properties.spec.const",
                "spec.versions[0].schema.openAPIV3Schema.properties.spec.Type",
                "spec.versions[0].schema.openAPIV3Schema.properties.spec.x-kubernetes-validations[0].severity",
                "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.a.minlength",
            ]
        );
        let paths: Vec<String> = unknown_fields(&crd).into_iter().map(|u| u.path).collect();
        assert_eq!(
            paths[3],
            "/spec/versions/0/schema/openAPIV3Schema/properties/spec/x-kubernetes-validations/0/severity"
        );
        let odd = json!({"spec": {"versions": [{"schema": {"openAPIV3Schema": {
            "properties": {"a/b~c": {"x": 1}}}}}]}});
        let found = unknown_fields(&odd);
        assert_eq!(
            found[0].path,
            "/spec/versions/0/schema/openAPIV3Schema/properties/a~1b~0c/x"
        );
        assert_eq!(
            found[0].field,
            "spec.versions[0].schema.openAPIV3Schema.properties.a/b~c.x"
        );
    }
}
