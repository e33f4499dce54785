//! A small, deterministic YAML emitter for JSON values, in the style of kubectl and the original
//! compiler: block mappings in the map's order, block sequences at the key's indentation,
//! multi-line strings as literal blocks, and quotes only where a plain scalar would be read back
//! as something else (`on`, `1.0`, `null`, `: ` inside, …).
//!
//! Written by hand rather than through a serializer so the bytes never change with a dependency
//! update; the tests parse the output back and compare it with the input.

use serde_json::{Map, Number, Value};
use std::fmt::Write;

/// Renders a value as a YAML document (no `---`), ending with a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::with_capacity(4096);
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0, None),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        Value::String(s) if literal_style(s).is_some() => {
            write_literal(&mut out, s, 0, "");
        }
        other => {
            write_inline(&mut out, other);
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A mapping whose keys sit at column `level`; `first_prefix` replaces the indentation of the
/// first line (used for `- ` when the mapping is a sequence item).
fn write_map(out: &mut String, map: &Map<String, Value>, level: usize, first_prefix: Option<&str>) {
    for (i, (key, value)) in map.iter().enumerate() {
        match (i, first_prefix) {
            (0, Some(prefix)) => out.push_str(prefix),
            _ => indent(out, level),
        }
        write_scalar(out, key);
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(out, inner, level + 2, None);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, items, level);
            }
            Value::String(s) if literal_style(s).is_some() => write_literal(out, s, level + 2, " "),
            other => {
                out.push(' ');
                write_inline(out, other);
                out.push('\n');
            }
        }
    }
}

/// A sequence whose dashes sit at column `level`.
fn write_seq(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        match item {
            Value::Object(map) if !map.is_empty() => {
                let mut prefix = " ".repeat(level);
                prefix.push_str("- ");
                write_map(out, map, level + 2, Some(&prefix));
            }
            Value::Array(inner) if !inner.is_empty() => {
                indent(out, level);
                out.push_str("-\n");
                write_seq(out, inner, level + 2);
            }
            Value::String(s) if literal_style(s).is_some() => {
                indent(out, level);
                out.push('-');
                write_literal(out, s, level + 2, " ");
            }
            other => {
                indent(out, level);
                out.push_str("- ");
                write_inline(out, other);
                out.push('\n');
            }
        }
    }
}

/// Writes `|` or `|-` and the lines of `s`, indented to `level`.
fn write_literal(out: &mut String, s: &str, level: usize, before: &str) {
    let Some(header) = literal_style(s) else {
        return;
    };
    out.push_str(before);
    out.push_str(header);
    out.push('\n');
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(out, level);
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// The literal block header a multi-line string can use, if a literal block can hold it
/// exactly: `|` when it ends with one newline, `|-` when it ends with none.
fn literal_style(s: &str) -> Option<&'static str> {
    if !s.contains('\n') || s.starts_with(['\n', ' ']) {
        return None;
    }
    // Characters a literal block keeps as they are; tabs and carriage returns stay quoted.
    if !s.chars().all(|c| c == '\n' || is_plain_char(c)) {
        return None;
    }
    // Lines of only spaces would be read as indentation.
    if s.split('\n')
        .any(|l| !l.is_empty() && l.trim_start_matches(' ').is_empty())
    {
        return None;
    }
    if s.ends_with("\n\n") {
        None
    } else if s.ends_with('\n') {
        Some("|")
    } else {
        Some("|-")
    }
}

/// Printable characters YAML keeps as they are inside plain and quoted scalars (no tabs, no
/// line breaks, no byte-order mark, none of the Unicode line separators).
fn is_plain_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7e}')
        || (c >= '\u{a0}'
            && !matches!(
                c,
                '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            ))
}

/// A scalar on one line: null, booleans, numbers, and strings (quoted when needed).
fn write_inline(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => write_scalar(out, s),
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        // Only reachable for a non-empty collection given as the whole document's scalar
        // position, which the callers above never do; JSON is valid flow YAML.
        other => out.push_str(&other.to_string()),
    }
}

/// Numbers as YAML 1.1 and 1.2 both read them: floats always with a `.` and a signed exponent.
fn number(n: &Number) -> String {
    let text = n.to_string();
    if !n.is_f64() {
        return text;
    }
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text.as_str(), None),
    };
    let mut out = mantissa.to_string();
    if !out.contains('.') {
        out.push_str(".0");
    }
    if let Some(exp) = exponent {
        out.push('e');
        if !exp.starts_with(['+', '-']) {
            out.push('+');
        }
        out.push_str(exp);
    }
    out
}

/// A string as a plain, single-quoted or double-quoted scalar.
fn write_scalar(out: &mut String, s: &str) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else if s.chars().all(is_plain_char) {
        out.push('\'');
        for c in s.chars() {
            if c == '\'' {
                out.push('\'');
            }
            out.push(c);
        }
        out.push('\'');
    } else {
        write_double_quoted(out, s);
    }
}

/// Words YAML 1.1 or 1.2 resolves to something other than a string.
fn is_reserved_word(s: &str) -> bool {
    const WORDS: [&str; 13] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "=", "<<", "",
    ];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// Whether a string can be written without quotes and read back as the same string.
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let Some(last) = s.chars().last() else {
        return false;
    };
    if is_reserved_word(s) {
        return false;
    }
    // Indicators, quotes, and anything a number, date or special float could start with.
    if "-?:,[]{}#&*!|>'\"%@`.+<=~ ".contains(first) || first.is_ascii_digit() {
        return false;
    }
    if last == ' ' || last == ':' {
        return false;
    }
    s.chars().all(is_plain_char) && !s.contains(": ") && !s.contains(" #")
}

fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if is_plain_char(c) => out.push(c),
            c if (c as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn parse(yaml: &str) -> Value {
        let options = serde_saphyr::options! {
            budget: serde_saphyr::budget! { max_depth: 1000 },
        };
        serde_saphyr::from_str_with_options(yaml, options)
            .unwrap_or_else(|e| panic!("{e}\n---\n{yaml}"))
    }

    #[test]
    fn writes_the_kubectl_style() {
        let value = json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "metadata": {"annotations": {"nexus": "{\"a\":1}\n"}, "name": "leaders.root.orgchart.org"},
            "spec": {
                "empty": [],
                "required": ["name", "designation"],
                "versions": [{"name": "v1", "served": true, "subresources": {"status": {}}}],
            },
        });
        let yaml = to_yaml(&value);
        assert_eq!(
            yaml,
            "apiVersion: apiextensions.k8s.io/v1\n\
             metadata:\n  annotations:\n    nexus: |\n      {\"a\":1}\n  name: leaders.root.orgchart.org\n\
             spec:\n  empty: []\n  required:\n  - name\n  - designation\n\
             \x20 versions:\n  - name: v1\n    served: true\n    subresources:\n      status: {}\n"
        );
        assert_eq!(parse(&yaml), value);
    }

    #[test]
    fn quotes_what_would_not_read_back_as_a_string() {
        for s in [
            "on",
            "Off",
            "yes",
            "NO",
            "y",
            "true",
            "null",
            "~",
            "1.0",
            "1",
            "0x1F",
            "1e3",
            ".inf",
            "-1",
            "+1",
            "2001-12-14",
            "12:30",
            "",
            " lead",
            "trail ",
            "a: b",
            "a #b",
            "end:",
            "#x",
            "*x",
            "&x",
            "!x",
            "|x",
            ">x",
            "'x",
            "\"x",
            "%x",
            "@x",
            "`x",
            "- x",
            "-x",
            "?x",
            "[x",
            "{x",
            "=",
            "<<",
            "a\tb",
            "\u{2028}",
            "\u{feff}x",
            "x\u{85}",
        ] {
            let yaml = to_yaml(&json!({ "k": s }));
            assert_eq!(parse(&yaml), json!({ "k": s }), "{s:?} → {yaml}");
            assert_ne!(yaml, format!("k: {s}\n"), "{s:?} must be quoted");
        }
        assert_eq!(to_yaml(&json!({"k": "v1"})), "k: v1\n");
        assert_eq!(
            to_yaml(&json!({"k": "More info: https://x"})),
            "k: 'More info: https://x'\n"
        );
        assert_eq!(to_yaml(&json!({"k": "it's"})), "k: it's\n");
        assert_eq!(to_yaml(&json!({"k": "a: it's"})), "k: 'a: it''s'\n");
    }

    #[test]
    fn floats_keep_a_dot_and_a_signed_exponent() {
        assert_eq!(to_yaml(&json!({"k": 1.5})), "k: 1.5\n");
        assert_eq!(to_yaml(&json!({"k": 1e20})), "k: 1.0e+20\n");
        assert_eq!(to_yaml(&json!({"k": 8})), "k: 8\n");
        assert_eq!(parse(&to_yaml(&json!({"k": 1e-7}))), json!({"k": 1e-7}));
    }

    #[test]
    fn nested_sequences_and_literals_in_sequences() {
        let value = json!([[1, [2]], "a\nb\n", "c\nd", {"x": ["y"]}, [], {}]);
        let yaml = to_yaml(&value);
        assert_eq!(parse(&yaml), value, "{yaml}");
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "\\PC*".prop_map(Value::String),
            prop::sample::select(vec![
                "on",
                "1.0",
                "a: b",
                "x\n",
                "x\ny\n",
                "\n",
                " ",
                "a\n\n",
                "é\u{2028}",
                "- ",
                "'",
            ])
            .prop_map(|s| Value::String(s.to_string())),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..5)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn round_trips_through_a_yaml_parser(value in arb_value()) {
            let yaml = to_yaml(&value);
            prop_assert_eq!(parse(&yaml), value, "{}", yaml);
        }
    }
}
