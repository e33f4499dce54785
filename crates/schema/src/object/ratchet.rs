//! Validation ratcheting on update (`CRDValidationRatcheting`, on by default since Kubernetes
//! 1.30): a schema or CEL error is forgiven when the value it is about is unchanged from the old
//! object. The server correlates new and old values the way its ratcheting validator does:
//! properties and map values by key, `x-kubernetes-list-type: map` items by their keys, `set`
//! items by value; items of other (atomic) lists are not correlated, so an error inside one is
//! forgiven only when some enclosing value is unchanged.

use serde_json::Value;

/// One step of a value path (`.spec.ports[0].name`, `.metadata.labels["a/b"]`).
#[derive(Debug, PartialEq)]
enum Step {
    Field(String),
    Index(usize),
}

/// Splits a value path built by [`crate::path::push_field`] and [`crate::path::push_index`];
/// `None` for anything else (then nothing is ratcheted).
fn steps(path: &str) -> Option<Vec<Step>> {
    let mut out = Vec::new();
    let mut rest = path;
    if rest == "." {
        return Some(out);
    }
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix('.') {
            let end = tail.find(['.', '[']).unwrap_or(tail.len());
            out.push(Step::Field(tail[..end].to_string()));
            rest = &tail[end..];
        } else if let Some(tail) = rest.strip_prefix("[\"") {
            // A JSON string: find its closing quote, skipping escapes.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in tail.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end?;
            let key: String = serde_json::from_str(&format!("\"{}\"", &tail[..end])).ok()?;
            out.push(Step::Field(key));
            rest = tail[end + 1..].strip_prefix(']')?;
        } else if let Some(tail) = rest.strip_prefix('[') {
            let end = tail.find(']')?;
            out.push(Step::Index(tail[..end].parse().ok()?));
            rest = &tail[end + 1..];
        } else {
            return None;
        }
    }
    Some(out)
}

/// Whether the server forgives an error at `path` of `new` on an update of `old` (both as
/// stored): some value on the way to it, or the value itself, is correlated with an old value
/// and equal to it, as the server's `CorrelatedObject` decides.
pub(crate) fn is_ratcheted(schema: &Value, new: &Value, old: &Value, path: &str) -> bool {
    let Some(steps) = steps(path) else {
        return false;
    };
    let mut at = Some(Correlated { schema, new, old });
    for step in &steps {
        let Some(here) = at else {
            return false;
        };
        if here.deep_equal(0) {
            return true;
        }
        at = match step {
            Step::Field(key) => here.key(key),
            Step::Index(i) => here.index(*i),
        };
    }
    at.is_some_and(|here| here.deep_equal(0))
}

/// A new value with its schema and the old value it correlates with (`CorrelatedObject`).
#[derive(Clone, Copy)]
struct Correlated<'a> {
    schema: &'a Value,
    new: &'a Value,
    old: &'a Value,
}

impl<'a> Correlated<'a> {
    /// The property `key`: present in both, with a schema (a property, or an
    /// `additionalProperties` schema); else not correlatable.
    fn key(self, key: &str) -> Option<Correlated<'a>> {
        let new = self.new.as_object()?.get(key)?;
        let old = self.old.as_object()?.get(key)?;
        let schema = self
            .schema
            .get("properties")
            .and_then(|p| p.get(key))
            .or_else(|| {
                self.schema
                    .get("additionalProperties")
                    .filter(|a| a.is_object())
            })?;
        Some(Correlated { schema, new, old })
    }

    /// Item `index`: only the items of a `map` list correlate, by their keys.
    fn index(self, index: usize) -> Option<Correlated<'a>> {
        let new = self.new.as_array()?.get(index)?;
        let olds = self.old.as_array()?;
        let schema = self.schema.get("items").filter(|i| i.is_object())?;
        let Some(ListKind::Map(keys)) = list_type(self.schema) else {
            return None;
        };
        let item = new.as_object()?;
        if !keys.iter().all(|k| is_map_key(item.get(*k))) {
            return None;
        }
        let old = olds
            .iter()
            .find(|o| o.is_object() && keys.iter().all(|k| o.get(*k) == item.get(*k)))?;
        Some(Correlated { schema, new, old })
    }

    /// `CachedDeepEqual`: maps are equal when every key correlates (so a field without a
    /// schema, such as preserved unknown fields or an embedded resource's `apiVersion`, makes
    /// its object unequal); lists of a `map` type item by item, other lists as a whole.
    fn deep_equal(self, depth: usize) -> bool {
        if depth > MAX_EQUAL_DEPTH {
            return false;
        }
        match (self.new, self.old) {
            (Value::Object(n), Value::Object(o)) => {
                n.len() == o.len()
                    && n.keys()
                        .all(|k| self.key(k).is_some_and(|c| c.deep_equal(depth + 1)))
            }
            (Value::Array(n), Value::Array(o)) => {
                if n.len() != o.len() {
                    return false;
                }
                if !matches!(list_type(self.schema), Some(ListKind::Map(_))) {
                    return n == o;
                }
                (0..n.len()).all(|i| self.index(i).is_some_and(|c| c.deep_equal(depth + 1)))
            }
            (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => {
                false
            }
            (n, o) => n == o,
        }
    }
}

/// Whether a map-list item's key value lets the server correlate the item
/// (`CompositeKeyFor`): present and a scalar (a string, number or boolean). An item keyed by
/// null, an object or a list correlates with nothing.
pub(crate) fn is_map_key(value: Option<&Value>) -> bool {
    matches!(
        value,
        Some(Value::String(_) | Value::Number(_) | Value::Bool(_))
    )
}

/// How deep `deep_equal` follows a value (real objects are far shallower).
const MAX_EQUAL_DEPTH: usize = 256;

enum ListKind<'a> {
    Map(Vec<&'a str>),
    Set,
}

fn list_type(schema: &Value) -> Option<ListKind<'_>> {
    match schema.get("x-kubernetes-list-type")?.as_str()? {
        "map" => Some(ListKind::Map(
            schema
                .get("x-kubernetes-list-map-keys")?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .collect(),
        )),
        "set" => Some(ListKind::Set),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn value_paths_split() {
        assert_eq!(
            steps(r#".spec.ports[1]["a.b"].x"#),
            Some(vec![
                Step::Field("spec".into()),
                Step::Field("ports".into()),
                Step::Index(1),
                Step::Field("a.b".into()),
                Step::Field("x".into()),
            ])
        );
        assert_eq!(steps("."), Some(vec![]));
        assert_eq!(steps("spec"), None);
    }

    #[test]
    fn unchanged_values_are_forgiven_changed_ones_not() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "size": {"type": "string"},
            "ports": {"type": "array", "x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": ["name"],
                      "items": {"type": "object", "properties": {
                          "name": {"type": "string"}, "n": {"type": "integer"}}}},
            "args": {"type": "array", "items": {"type": "string"}}
        }}}});
        let old = json!({"spec": {"size": "huge", "ports": [{"name": "a", "n": 1}, {"name": "b", "n": 0}], "args": ["x", "y"]}});
        let new = json!({"spec": {"size": "huge", "ports": [{"name": "b", "n": 0}, {"name": "a", "n": 2}], "args": ["x", "z"]}});
        assert!(is_ratcheted(&schema, &new, &old, ".spec.size"));
        // Correlated by key: item 0 is old item 1, unchanged.
        assert!(is_ratcheted(&schema, &new, &old, ".spec.ports[0].n"));
        assert!(!is_ratcheted(&schema, &new, &old, ".spec.ports[1].n"));
        // Atomic list items are not correlated: the list changed, so item 0 is not forgiven.
        assert!(!is_ratcheted(&schema, &new, &old, ".spec.args[0]"));
        assert!(!is_ratcheted(&schema, &new, &old, ".spec"));
        // Fields without a schema never compare equal: an unknown field in an item.
        let odd = json!({"spec": {"ports": [{"name": "a", "x": 1}]}});
        assert!(!is_ratcheted(&schema, &odd, &odd, ".spec.ports[0]"));
        assert!(is_ratcheted(&schema, &odd, &odd, ".spec.ports[0].name"));
        assert!(is_ratcheted(&schema, &new, &new, ".spec.ports[0].name"));
    }

    #[test]
    fn items_keyed_by_no_scalar_correlate_with_nothing() {
        // Seen with the API server: a map-list item whose key is an object (invalid, stored
        // under an older schema) is not forgiven although nothing about it changed.
        let schema = json!({"type": "object", "properties": {"steps": {"type": "array",
            "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["step"],
            "items": {"type": "object", "properties": {"step": {"type": "string"}}}}}});
        for key in [json!({"unknownField": 1}), json!(["a"]), json!(null)] {
            let object = json!({"steps": [{"step": key}]});
            assert!(
                !is_ratcheted(&schema, &object, &object, ".steps[0].step"),
                "{key}"
            );
        }
        let keyed = json!({"steps": [{"step": 1}, {"step": true}]});
        assert!(is_ratcheted(&schema, &keyed, &keyed, ".steps[1].step"));
    }
}
