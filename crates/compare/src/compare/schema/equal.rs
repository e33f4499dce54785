//! Equality as the checker needs it: numbers by value (`1 == 1.0`), object keys in any order,
//! set-like lists in any order. Every function here is iterative or depth-bounded, so a schema
//! nested thousands of levels deep cannot overflow the stack.

use super::keyword::effective;
use serde_json::{Map, Number, Value};
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// JSON equality where numbers compare by value and object key order does not matter.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    let mut pending: Vec<(&Value, &Value)> = Vec::new();
    let (mut a, mut b) = (a, b);
    loop {
        if !std::ptr::eq(a, b) {
            match (a, b) {
                (Value::Null, Value::Null) => {}
                (Value::Bool(x), Value::Bool(y)) if x == y => {}
                (Value::Number(x), Value::Number(y)) if num_eq(x, y) => {}
                (Value::String(x), Value::String(y)) if x == y => {}
                (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                    pending.extend(x.iter().zip(y));
                }
                (Value::Object(x), Value::Object(y)) if x.len() == y.len() => {
                    for (key, xv) in x {
                        match y.get(key) {
                            Some(yv) => pending.push((xv, yv)),
                            None => return false,
                        }
                    }
                }
                _ => return false,
            }
        }
        match pending.pop() {
            Some((x, y)) => (a, b) = (x, y),
            None => return true,
        }
    }
}

/// [`json_eq`], but giving up (`None`) rather than looking deeper than `max_depth` levels when
/// no difference was found above that depth. The walker uses it to skip equal subtrees: a
/// bounded check keeps the walk linear even for schemas nested thousands of levels deep (an
/// unbounded check at every level would make it quadratic).
pub(crate) fn json_eq_within(a: &Value, b: &Value, max_depth: usize) -> Option<bool> {
    let mut pending: Vec<(&Value, &Value, usize)> = Vec::new();
    let mut too_deep = false;
    let (mut a, mut b, mut depth) = (a, b, 0);
    loop {
        if !std::ptr::eq(a, b) {
            match (a, b) {
                (Value::Null, Value::Null) => {}
                (Value::Bool(x), Value::Bool(y)) if x == y => {}
                (Value::Number(x), Value::Number(y)) if num_eq(x, y) => {}
                (Value::String(x), Value::String(y)) if x == y => {}
                (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                    if depth >= max_depth {
                        too_deep |= !x.is_empty();
                    } else {
                        pending.extend(x.iter().zip(y).map(|(x, y)| (x, y, depth + 1)));
                    }
                }
                (Value::Object(x), Value::Object(y)) if x.len() == y.len() => {
                    for (key, xv) in x {
                        match y.get(key) {
                            Some(yv) if depth < max_depth => pending.push((xv, yv, depth + 1)),
                            Some(_) => too_deep = true,
                            None => return Some(false),
                        }
                    }
                }
                _ => return Some(false),
            }
        }
        match pending.pop() {
            Some((x, y, d)) => (a, b, depth) = (x, y, d),
            None => return if too_deep { None } else { Some(true) },
        }
    }
}

/// [`json_eq`] over optional values (`None` only equals `None`).
pub(crate) fn opt_json_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => json_eq(a, b),
        _ => false,
    }
}

/// Numeric equality: integers exactly, anything else as `f64`.
pub(crate) fn num_eq(a: &Number, b: &Number) -> bool {
    num_cmp(a, b) == Some(Ordering::Equal)
}

/// Numeric order: integers exactly, anything else as `f64` (`None` for NaN-like values).
pub(crate) fn num_cmp(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// The elements of `a` that have no equal element in `b`, each once.
pub(crate) fn set_minus<'a>(a: &'a [Value], b: &[Value]) -> Vec<&'a Value> {
    let mut out: Vec<&Value> = Vec::new();
    if let (Some(a_str), Some(b_str)) = (all_strings(a), all_strings(b)) {
        let b_set: BTreeSet<&str> = b_str.collect();
        let mut seen = BTreeSet::new();
        for (value, s) in a.iter().zip(a_str) {
            if !b_set.contains(s) && seen.insert(s) {
                out.push(value);
            }
        }
        return out;
    }
    for x in a {
        if !b.iter().any(|y| json_eq(x, y)) && !out.iter().any(|o| json_eq(o, x)) {
            out.push(x);
        }
    }
    out
}

/// Whether two lists hold the same values, ignoring order and repetition.
pub(crate) fn set_eq(a: &[Value], b: &[Value]) -> bool {
    set_minus(a, b).is_empty() && set_minus(b, a).is_empty()
}

/// The strings of a list, or `None` if some element is not a string.
fn all_strings(list: &[Value]) -> Option<impl Iterator<Item = &str>> {
    list.iter()
        .all(Value::is_string)
        .then(|| list.iter().filter_map(Value::as_str))
}

/// How deep [`schema_eq`] looks with set semantics before it falls back to [`json_eq`].
const SEMANTIC_DEPTH: usize = 64;

/// Whether two schemas mean the same: [`json_eq`], plus keywords set to their default equal
/// absence, and `required`, `enum`, `x-kubernetes-list-map-keys`, `x-kubernetes-validations`
/// and the branches of `oneOf`/`anyOf`/`allOf` compare as sets. Used to compare composition
/// branches, which the walker treats as wholes.
pub(crate) fn schema_eq(a: &Value, b: &Value) -> bool {
    schema_eq_at(a, b, 0)
}

fn schema_eq_at(a: &Value, b: &Value, depth: usize) -> bool {
    if depth >= SEMANTIC_DEPTH {
        return json_eq(a, b);
    }
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            object_keys_eq(a, b, |key, x, y| keyword_eq(key, x, y, depth + 1))
        }
        _ => json_eq(a, b),
    }
}

/// Compares two schema objects keyword by keyword, defaults normalized away.
fn object_keys_eq(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
    mut eq: impl FnMut(&str, &Value, &Value) -> bool,
) -> bool {
    fn side<'m>(m: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
        m.get(key).and_then(|v| effective(key, v))
    }
    let same = |key: &str, eq: &mut dyn FnMut(&str, &Value, &Value) -> bool| match (
        side(a, key),
        side(b, key),
    ) {
        (None, None) => true,
        (Some(x), Some(y)) => eq(key, x, y),
        _ => false,
    };
    a.keys().all(|k| same(k, &mut eq))
        && b.keys()
            .filter(|k| !a.contains_key(*k))
            .all(|k| same(k, &mut eq))
}

fn keyword_eq(key: &str, a: &Value, b: &Value, depth: usize) -> bool {
    match (key, a, b) {
        (
            "required" | "enum" | "x-kubernetes-list-map-keys" | "x-kubernetes-validations",
            Value::Array(x),
            Value::Array(y),
        ) => set_eq(x, y),
        ("oneOf" | "anyOf" | "allOf", Value::Array(x), Value::Array(y)) => {
            let covered = |from: &[Value], to: &[Value]| {
                from.iter()
                    .all(|f| to.iter().any(|t| schema_eq_at(f, t, depth)))
            };
            covered(x, y) && covered(y, x)
        }
        (
            "properties" | "definitions" | "patternProperties",
            Value::Object(x),
            Value::Object(y),
        ) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| schema_eq_at(v, w, depth)))
        }
        ("items" | "additionalProperties" | "not", _, _) => schema_eq_at(a, b, depth),
        _ => json_eq(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!([1, {"a": 2.0}]), &json!([1.0, {"a": 2}])));
        assert!(!json_eq(&json!(1), &json!(1.5)));
        assert!(!json_eq(&json!(-1), &json!(u64::MAX)));
        assert_eq!(
            num_cmp(&3.into(), &Number::from_f64(2.5).unwrap()),
            Some(Ordering::Greater)
        );
    }

    #[test]
    fn objects_ignore_key_order_lists_do_not() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":[1,2]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"b":[1,2],"a":1}"#).unwrap();
        assert!(json_eq(&a, &b));
        assert!(!json_eq(&json!([1, 2]), &json!([2, 1])));
        assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_eq(&json!({"a": 1}), &json!({"b": 1})));
        assert!(!json_eq(&json!(null), &json!(false)));
    }

    #[test]
    fn bounded_equality_gives_up_below_its_depth() {
        let a = json!({"a": {"b": {"c": 1}}});
        let b = json!({"a": {"b": {"c": 2}}});
        let c = json!({"a": {"b": {"c": 1}}, "x": 1});
        assert_eq!(json_eq_within(&a, &a.clone(), 3), Some(true));
        assert_eq!(json_eq_within(&a, &a.clone(), 2), None);
        assert_eq!(json_eq_within(&a, &b, 3), Some(false));
        assert_eq!(json_eq_within(&a, &b, 2), None);
        assert_eq!(json_eq_within(&a, &c, 0), Some(false));
        assert_eq!(json_eq_within(&json!([]), &json!([]), 0), Some(true));
    }

    #[test]
    fn sets() {
        let a = [json!("x"), json!("y"), json!("y")];
        let b = [json!("y"), json!("z")];
        assert_eq!(set_minus(&a, &b), vec![&json!("x")]);
        assert!(set_eq(&[json!(1), json!("a")], &[json!("a"), json!(1.0)]));
        assert!(!set_eq(&[json!(1)], &[json!(2)]));
        assert_eq!(
            set_minus(&[json!(1), json!(1.0), json!(2)], &[json!(2)]),
            vec![&json!(1)]
        );
    }

    #[test]
    fn schema_equality_is_semantic() {
        let a = json!({"oneOf": [{"required": ["a", "b"]}, {"type": "string", "nullable": false}]});
        let b = json!({"oneOf": [{"type": "string"}, {"required": ["b", "a"]}], "enum": []});
        assert!(schema_eq(&a, &b));
        let c = json!({"oneOf": [{"type": "string"}, {"required": ["b"]}]});
        assert!(!schema_eq(&a, &c));
        assert!(!schema_eq(&json!({"not": {}}), &json!({})));
        assert!(schema_eq(
            &json!({"properties": {"a": {"x-kubernetes-list-type": "atomic"}}}),
            &json!({"properties": {"a": {}}})
        ));
    }

    /// Wraps `inner` `depth` times in `{"items": ...}` without recursion.
    fn nest(mut inner: Value, depth: usize) -> Value {
        for _ in 0..depth {
            let mut m = Map::new();
            m.insert("items".into(), inner);
            inner = Value::Object(m);
        }
        inner
    }

    #[test]
    fn deep_values_do_not_overflow() {
        let small_stack = std::thread::Builder::new().stack_size(512 << 10);
        let equal = small_stack
            .spawn(|| {
                let (a, b, c) = (
                    nest(json!(1), 100_000),
                    nest(json!(1.0), 100_000),
                    nest(json!(2), 100_000),
                );
                let r = (
                    json_eq(&a, &b),
                    schema_eq(&a, &b),
                    json_eq(&a, &c),
                    schema_eq(&a, &c),
                );
                // Dropping a deep Value recurses: the test leaks it on purpose.
                std::mem::forget((a, b, c));
                r
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(equal, (true, true, false, false));
    }
}
