//! Reading CRD values the way the API server does: absent and `null` are the same, keywords set to
//! their default equal the keyword absent, and lists that Kubernetes treats as sets ignore order.

use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::sync::LazyLock;

static EMPTY_OBJECT: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);

/// The value unless it is absent or `null`.
pub(in crate::compare) fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// The value unless it is absent, `null`, an empty list, an empty object or an empty string.
pub(in crate::compare) fn non_empty(v: Option<&Value>) -> Option<&Value> {
    present(v).filter(|v| match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::String(s) => !s.is_empty(),
        _ => true,
    })
}

/// An object; absent and `null` read as the empty object. `None` when the value has another
/// shape, which callers report as an opaque difference.
pub(in crate::compare) fn object_of(v: Option<&Value>) -> Option<&Map<String, Value>> {
    match present(v) {
        None => Some(&EMPTY_OBJECT),
        Some(Value::Object(o)) => Some(o),
        Some(_) => None,
    }
}

/// A boolean whose default is `false`: absent and `null` read as `false`. `None` for other shapes.
pub(in crate::compare) fn flag(v: Option<&Value>) -> Option<bool> {
    match present(v) {
        None => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => None,
    }
}

/// A list; absent and `null` read as empty. `None` for other shapes.
pub(in crate::compare) fn list_of(v: Option<&Value>) -> Option<Vec<&Value>> {
    match present(v) {
        None => Some(Vec::new()),
        Some(Value::Array(a)) => Some(a.iter().collect()),
        Some(_) => None,
    }
}

/// A list of strings read as a set; absent, `null` and `[]` read as empty. `None` when the value
/// is not a list of strings.
pub(in crate::compare) fn string_set(v: Option<&Value>) -> Option<BTreeSet<&str>> {
    list_of(v)?.into_iter().map(Value::as_str).collect()
}

/// The value as it goes into a change's `old`/`new`: a clone, or `null` when absent.
pub(in crate::compare) fn to_value(v: Option<&Value>) -> Value {
    v.cloned().unwrap_or(Value::Null)
}

/// A short human form for messages: strings bare, everything else as JSON, absent as `(none)`.
pub(in crate::compare) fn show(v: Option<&Value>) -> String {
    match present(v) {
        None => "(none)".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Whether two lists hold the same entries, in any order (duplicates counted).
pub(in crate::compare) fn same_multiset(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Lists here are short (printer columns, unmatched entries): quadratic matching is fine and
    // does not depend on a canonical serialisation of `Value`.
    let mut used = vec![false; b.len()];
    a.iter().all(|x| {
        let found = b
            .iter()
            .zip(used.iter_mut())
            .find(|(y, taken)| !**taken && *y == x);
        match found {
            Some((_, taken)) => {
                *taken = true;
                true
            }
            None => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_read_as_absent() {
        assert_eq!(present(Some(&Value::Null)), None);
        assert_eq!(non_empty(Some(&json!([]))), None);
        assert_eq!(non_empty(Some(&json!({}))), None);
        assert_eq!(non_empty(Some(&json!(0))), Some(&json!(0)));
        assert_eq!(flag(None), Some(false));
        assert_eq!(flag(Some(&json!(true))), Some(true));
        assert_eq!(flag(Some(&json!("yes"))), None);
        assert_eq!(object_of(Some(&json!(3))), None);
        assert!(object_of(None).is_some_and(Map::is_empty));
    }

    #[test]
    fn string_sets_ignore_order_and_reject_other_shapes() {
        assert_eq!(
            string_set(Some(&json!(["b", "a"]))),
            string_set(Some(&json!(["a", "b"])))
        );
        assert_eq!(string_set(Some(&json!(["a", 1]))), None);
        assert_eq!(string_set(None), Some(BTreeSet::new()));
    }

    #[test]
    fn multisets_count_duplicates() {
        assert!(same_multiset(&[json!(1), json!(2)], &[json!(2), json!(1)]));
        assert!(!same_multiset(&[json!(1), json!(1)], &[json!(1), json!(2)]));
        assert!(!same_multiset(&[json!(1)], &[]));
    }
}
