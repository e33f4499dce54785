//! JSON helpers with the API server's number semantics: the decoder keeps integers that fit in
//! int64 as integers and turns every other number into a float64, and a float that is a whole
//! number within ±(2^53-1) counts as an integer.

use super::{MAX_DEPTH, needs_deep_stack, on_deep_stack};
use serde_json::{Number, Value};
use std::cmp::Ordering;
use std::fmt::Write;

/// A decoded JSON number.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    pub(crate) fn of(n: &Number) -> Num {
        match n.as_i64() {
            Some(i) => Num::Int(i),
            None => Num::Float(n.as_f64().unwrap_or(f64::NAN)),
        }
    }

    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    /// The integer this number is, if it is one for the `integer` type.
    pub(crate) fn as_integer(self) -> Option<i64> {
        match self {
            Num::Int(i) => Some(i),
            Num::Float(f) if is_json_integer(f) => Some(f.round() as i64),
            Num::Float(_) => None,
        }
    }

    /// Compares with a schema bound (bounds are float64 in the API server).
    pub(crate) fn cmp_bound(self, bound: f64) -> Ordering {
        match self {
            Num::Int(i) if bound.fract() == 0.0 && bound.abs() < 9.2e18 => i.cmp(&(bound as i64)),
            n => n.as_f64().partial_cmp(&bound).unwrap_or(Ordering::Equal),
        }
    }
}

/// go-openapi's `swag.IsFloat64AJSONInteger`: whole (with a relative tolerance of 1e-9 above a
/// whole number) and within ±(2^53-1).
pub(crate) fn is_json_integer(f: f64) -> bool {
    const MAX: f64 = 9_007_199_254_740_991.0;
    if !f.is_finite() || !(-MAX..=MAX).contains(&f) {
        return false;
    }
    let g = f.trunc();
    if f == g {
        return true;
    }
    if g == 0.0 {
        return false;
    }
    (f - g).abs() / (f.abs() + g.abs()) < 1e-9
}

/// Whether `value` is a multiple of `factor` (which is positive).
pub(crate) fn is_multiple_of(value: Num, factor: f64) -> bool {
    if let (Num::Int(i), true) = (value, factor.fract() == 0.0 && factor < 9.2e18) {
        return i % (factor as i64) == 0;
    }
    let v = value.as_f64();
    let ratio = if factor < 1.0 {
        1.0 / factor * v
    } else {
        v / factor
    };
    is_json_integer(ratio)
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    eq_at(a, b, 0)
}

fn eq_at(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    if needs_deep_stack(depth) {
        return on_deep_stack(|| eq_here(a, b, depth)).unwrap_or(false);
    }
    eq_here(a, b, depth)
}

fn eq_here(a: &Value, b: &Value, depth: usize) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (Num::of(x), Num::of(y)) {
            (Num::Int(i), Num::Int(j)) => i == j,
            (x, y) => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq_at(p, q, depth + 1))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| eq_at(v, w, depth + 1)))
        }
        (x, y) => x == y,
    }
}

/// A string that is equal for two values exactly when [`json_eq`] holds: object keys sorted,
/// whole numbers written without a fraction. Used to find duplicates in one pass.
pub(crate) fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out, 0);
    out
}

fn write_canonical(v: &Value, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        out.push('…');
        return;
    }
    if needs_deep_stack(depth) {
        if on_deep_stack(|| canonical_here(v, out, depth)).is_none() {
            out.push('…');
        }
        return;
    }
    canonical_here(v, out, depth);
}

fn canonical_here(v: &Value, out: &mut String, depth: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = match Num::of(n) {
                Num::Int(i) => write!(out, "{i}"),
                Num::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => {
                    write!(out, "{}", f as i64)
                }
                Num::Float(f) => write!(out, "{f:e}"),
            };
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out, depth + 1);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                if let Some(v) = map.get(k) {
                    write_canonical(v, out, depth + 1);
                }
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A short rendering of a value for messages: JSON, cut after 60 characters.
pub(crate) fn brief(v: &Value) -> String {
    let mut s = match v {
        Value::Array(_) | Value::Object(_) => canonical(v),
        _ => v.to_string(),
    };
    if s.chars().count() > 60 {
        s = s.chars().take(57).collect::<String>() + "...";
    }
    s
}

/// The JSON type name of a value, for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) => match Num::of(n).as_integer() {
            Some(_) => "integer",
            None => "number",
        },
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_follow_the_decoder() {
        let n = |v: Value| match v {
            Value::Number(n) => Num::of(&n),
            _ => unreachable!("test values are numbers"),
        };
        assert_eq!(n(json!(3)).as_integer(), Some(3));
        assert_eq!(n(json!(3.0)).as_integer(), Some(3));
        assert_eq!(n(json!(3.5)).as_integer(), None);
        assert_eq!(
            n(json!(u64::MAX)).as_integer(),
            None,
            "beyond int64 is a float"
        );
        assert_eq!(
            n(json!(9.1e15)).as_integer(),
            None,
            "beyond 2^53 is not an integer"
        );
    }

    #[test]
    fn multiples() {
        assert!(is_multiple_of(Num::Int(10), 5.0));
        assert!(!is_multiple_of(Num::Int(11), 5.0));
        assert!(is_multiple_of(Num::Float(0.3), 0.1));
        assert!(!is_multiple_of(Num::Float(0.35), 0.1));
        assert!(is_multiple_of(Num::Float(7.5), 2.5));
    }

    #[test]
    fn equality_and_canonical_form_agree() {
        let pairs = [
            (json!(1), json!(1.0), true),
            (
                json!({"a": 1, "b": [true]}),
                json!({"b": [true], "a": 1.0}),
                true,
            ),
            (json!("1"), json!(1), false),
            (json!([1, 2]), json!([2, 1]), false),
            (json!(null), json!({}), false),
        ];
        for (a, b, equal) in pairs {
            assert_eq!(json_eq(&a, &b), equal, "{a} vs {b}");
            assert_eq!(canonical(&a) == canonical(&b), equal, "{a} vs {b}");
        }
    }
}
