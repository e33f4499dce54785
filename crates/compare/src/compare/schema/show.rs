//! Turning schema values into the short text of messages and the `old`/`new` values of findings.

use serde_json::Value;

/// Values copied into a finding are at most this deep; deeper ones are replaced by a note
/// (cloning and dropping a `Value` recurses, and a finding must not need a big stack).
const MAX_VALUE_DEPTH: usize = 128;

/// Longest value text inside a message, in characters.
const MAX_SHOWN: usize = 80;

/// The `old`/`new` value of a finding: a copy of `value`, JSON `null` when absent.
pub(crate) fn finding_value(value: Option<&Value>) -> Value {
    match value {
        None => Value::Null,
        Some(v) if deeper_than(v, MAX_VALUE_DEPTH) => Value::String(format!(
            "<value nested deeper than {MAX_VALUE_DEPTH} levels, not copied>"
        )),
        Some(v) => v.clone(),
    }
}

/// The `old`/`new` value of a finding that lists some values.
pub(crate) fn finding_list(values: &[&Value]) -> Value {
    Value::Array(values.iter().map(|v| finding_value(Some(v))).collect())
}

/// Whether `value` nests more than `max` levels (iterative).
fn deeper_than(value: &Value, max: usize) -> bool {
    let mut pending = vec![(value, 0usize)];
    while let Some((v, depth)) = pending.pop() {
        match v {
            Value::Array(a) if !a.is_empty() => {
                if depth >= max {
                    return true;
                }
                pending.extend(a.iter().map(|c| (c, depth + 1)));
            }
            Value::Object(o) if !o.is_empty() => {
                if depth >= max {
                    return true;
                }
                pending.extend(o.values().map(|c| (c, depth + 1)));
            }
            _ => {}
        }
    }
    false
}

/// A value as it reads in a message: a string bare (`int32`), anything else as compact JSON,
/// `(none)` when absent; cut to one short line.
pub(crate) fn word(value: Option<&Value>) -> String {
    match value {
        None => "(none)".to_string(),
        Some(Value::String(s)) => snippet(s),
        Some(v) => json(v),
    }
}

/// A value as compact JSON (strings quoted), cut to one short line.
pub(crate) fn json(value: &Value) -> String {
    if deeper_than(value, MAX_VALUE_DEPTH) {
        return "<deeply nested value>".to_string();
    }
    snippet(&value.to_string())
}

/// Several values as compact JSON, comma separated.
pub(crate) fn json_list(values: &[&Value]) -> String {
    let all: Vec<String> = values.iter().map(|v| json(v)).collect();
    snippet(&all.join(", "))
}

/// A text on one line, cut at [`MAX_SHOWN`] characters with an ellipsis.
pub(crate) fn snippet(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(MAX_SHOWN) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn words_and_snippets() {
        assert_eq!(word(None), "(none)");
        assert_eq!(word(Some(&json!("int32"))), "int32");
        assert_eq!(word(Some(&json!(3))), "3");
        assert_eq!(json(&json!("a")), "\"a\"");
        assert_eq!(json_list(&[&json!("a"), &json!(1)]), "\"a\", 1");
        assert_eq!(snippet("self.a\n  && self.b"), "self.a && self.b");
        let long = "x".repeat(200);
        assert_eq!(snippet(&long).chars().count(), MAX_SHOWN + 1);
        assert_eq!(crate::report::plural(1, "branch", "branches"), "1 branch");
        assert_eq!(crate::report::plural(2, "branch", "branches"), "2 branches");
    }

    #[test]
    fn finding_values_are_bounded() {
        assert_eq!(finding_value(None), Value::Null);
        assert_eq!(finding_value(Some(&json!({"a": [1]}))), json!({"a": [1]}));
        let mut deep = json!(1);
        for _ in 0..(MAX_VALUE_DEPTH + 1) {
            deep = json!([deep]);
        }
        assert!(
            finding_value(Some(&deep))
                .as_str()
                .is_some_and(|s| s.contains("deeper"))
        );
        assert_eq!(finding_list(&[&json!(1), &json!("b")]), json!([1, "b"]));
    }
}
