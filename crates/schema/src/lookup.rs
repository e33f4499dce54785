//! Reading one key of a JSON object, fast for the small objects schemas are made of.
//!
//! `serde_json::Map` (an `IndexMap` with `preserve_order`) hashes every key it is asked for with
//! SipHash. A schema node holds a handful of keywords and the checkers ask each node for dozens,
//! mostly absent: comparing the few keys present is several times cheaper than hashing the one
//! asked for. Larger objects (`properties` of a big struct) are still looked up by hash.

use serde_json::{Map, Value};

/// Up to this many entries an object is searched key by key.
const SCAN_LIMIT: usize = 8;

/// The value of `key` in `map`.
#[inline]
pub fn field<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if map.len() <= SCAN_LIMIT {
        map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

/// The value of `key` in `value` when it is an object.
#[inline]
pub fn member<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_object().and_then(|map| field(map, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the object's size, the answer is `Map::get`'s.
        #[test]
        fn agrees_with_map_get(keys in prop::collection::vec("[a-d]{0,2}", 0..20), probe in "[a-d]{0,2}") {
            let map: Map<String, Value> =
                keys.iter().enumerate().map(|(i, k)| (k.clone(), Value::from(i))).collect();
            prop_assert_eq!(field(&map, &probe), map.get(&probe));
            let object = Value::Object(map.clone());
            prop_assert_eq!(member(&object, &probe), map.get(&probe));
        }
    }

    #[test]
    fn not_an_object_has_no_members() {
        assert_eq!(member(&Value::from("x"), "x"), None);
    }
}
