//! Whether two OpenAPI v3 schemas accept and shape objects the same way, ignoring the keywords
//! that only document (`description`, `title`, `example`, `externalDocs`).
//!
//! Used by the conversion rule: without a webhook the API server converts between versions by
//! rewriting `apiVersion` only, which is safe exactly when the served versions' schemas agree.

use super::value::present;
use serde_json::{Map, Value};

/// Keywords that document a schema without constraining it.
const DOCUMENTATION: &[&str] = &["description", "title", "example", "externalDocs"];

/// Schemas nested deeper than this are compared as plain values (documentation included), which
/// can only make them look different, never the same: a safe answer that bounds recursion.
const MAX_DEPTH: usize = 512;

/// Whether two schemas are the same apart from documentation.
pub(super) fn same_schema(a: &Value, b: &Value) -> bool {
    same_node(a, b, 0)
}

fn same_node(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return a == b;
    }
    let (Value::Object(a), Value::Object(b)) = (a, b) else {
        return a == b;
    };
    // Each key once: keys of `a`, then keys only `b` has (visiting shared keys twice would make
    // the walk exponential in depth).
    let keys = a
        .keys()
        .chain(b.keys().filter(|k| !a.contains_key(*k)))
        .filter(|k| !DOCUMENTATION.contains(&k.as_str()));
    for key in keys {
        let same = match (present(a.get(key)), present(b.get(key))) {
            (None, None) => true,
            (Some(x), Some(y)) => same_keyword(key, x, y, depth),
            _ => false,
        };
        if !same {
            return false;
        }
    }
    true
}

/// Compares one keyword's values, recursing where the value holds schemas.
fn same_keyword(key: &str, x: &Value, y: &Value, depth: usize) -> bool {
    match key {
        // Maps of name → schema: the names are data, not keywords.
        "properties" | "patternProperties" | "definitions" => match (x, y) {
            (Value::Object(x), Value::Object(y)) => same_schema_map(x, y, depth),
            _ => x == y,
        },
        // A schema, or a list of schemas for tuple-style `items`.
        "items" | "additionalProperties" | "additionalItems" | "not" => match (x, y) {
            (Value::Array(x), Value::Array(y)) => same_schema_list(x, y, depth),
            _ => same_node(x, y, depth + 1),
        },
        "allOf" | "anyOf" | "oneOf" => match (x, y) {
            (Value::Array(x), Value::Array(y)) => same_schema_list(x, y, depth),
            _ => x == y,
        },
        _ => x == y,
    }
}

fn same_schema_map(x: &Map<String, Value>, y: &Map<String, Value>, depth: usize) -> bool {
    x.len() == y.len()
        && x.iter()
            .all(|(k, v)| y.get(k).is_some_and(|w| same_node(v, w, depth + 1)))
}

fn same_schema_list(x: &[Value], y: &[Value], depth: usize) -> bool {
    x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_node(v, w, depth + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documentation_is_ignored() {
        let a = json!({"type": "object", "description": "a", "properties": {
            "x": {"type": "string", "description": "old", "title": "X"}}});
        let b = json!({"type": "object", "properties": {
            "x": {"type": "string", "description": "new", "example": "e"}}});
        assert!(same_schema(&a, &b));
    }

    #[test]
    fn a_property_named_description_is_data() {
        let a = json!({"properties": {"description": {"type": "string"}}});
        let b = json!({"properties": {}});
        assert!(!same_schema(&a, &b));
    }

    #[test]
    fn constraints_count() {
        let table = [
            (json!({"type": "string"}), json!({"type": "integer"})),
            (
                json!({"items": {"type": "string"}}),
                json!({"items": {"type": "string", "maxLength": 3}}),
            ),
            (
                json!({"anyOf": [{"type": "string"}]}),
                json!({"anyOf": [{"type": "integer"}]}),
            ),
            (json!({"required": ["a"]}), json!({})),
            (
                json!({"additionalProperties": {"type": "string"}}),
                json!({"additionalProperties": false}),
            ),
        ];
        for (a, b) in table {
            assert!(!same_schema(&a, &b), "{a} vs {b}");
            assert!(same_schema(&a, &a.clone()));
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let mut deep = json!({"type": "string"});
        for _ in 0..(MAX_DEPTH + 100) {
            deep = json!({"items": deep});
        }
        assert!(same_schema(&deep, &deep.clone()));
    }
}
