//! Building document trees straight from granit-parser's events, with the position of every node
//! ([`Spans`]). serde-saphyr drives the same parser but builds the `Value` through serde's visitor
//! machinery, which took two thirds of the loader's time.
//!
//! This builder covers what CRD files are made of: mappings, sequences and untagged scalars. On
//! anything else it gives up and the caller loads the file through serde-saphyr, whose answer
//! (value or error) stands: anchors and aliases (the alias-bomb budget lives there), merge keys,
//! tags, `%YAML` directives, duplicate or non-string or empty keys, nesting at the depth limit,
//! a scalar it cannot resolve on its own, and every syntax error. So every error message and
//! position stays serde-saphyr's, and a value built here is the value serde-saphyr builds (a
//! property test and a corpus test compare the two).

use super::yaml::{Document, MAX_DEPTH};
use crate::spans::{Position, Spans};
use granit_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The scanner limits serde-saphyr sets for the same budget (`Budget::parser_options`), so the
/// scanner accepts exactly what it accepts there.
fn parser_options() -> granit_parser::Options {
    let mut options = granit_parser::Options::default();
    options.flow_nesting_limit = MAX_DEPTH;
    options.block_nesting_limit = options.block_nesting_limit.max(MAX_DEPTH + 1);
    options.simple_key_max_lookahead = 1024;
    options.emit_comments = false;
    options
}

/// A collection being filled.
enum Frame {
    Sequence {
        items: Vec<Value>,
        span: usize,
    },
    Mapping {
        /// Collected first and turned into a map of the exact size at the end: a map grown
        /// entry by entry keeps up to half its capacity unused, for as long as the tree lives.
        entries: Vec<(String, Value)>,
        /// The key read, waiting for its value, and the key's position.
        key: Option<(String, Position)>,
        span: usize,
    },
}

/// Why the builder stopped: the file must go through serde-saphyr.
pub struct GiveUp;

/// The documents of `text`, or [`GiveUp`]. Empty documents and documents that are a plain null
/// are left out, as serde-saphyr's multi-document reader leaves them out.
pub fn documents(text: &str) -> Result<Vec<Document>, GiveUp> {
    let mut parser = Parser::new_from_str_with_options(text, parser_options());
    let mut out = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut spans = Spans::default();
    let mut root: Option<(Value, bool)> = None;
    // Emptied buffers of finished collections, reused by the next ones: a buffer grows to its
    // collection's size once per file instead of once per collection, and each finished
    // collection is copied out at its exact size.
    let mut spare_entries: Vec<Vec<(String, Value)>> = Vec::new();
    let mut spare_items: Vec<Vec<Value>> = Vec::new();
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|_| GiveUp)?;
        match event {
            Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(_, None) => {
                spans = Spans::default();
                root = None;
            }
            Event::DocumentEnd => {
                if let Some((value, nullish)) = root.take()
                    && !nullish
                {
                    let line = spans.root().map_or(1, |p| p.line);
                    let spans = std::mem::take(&mut spans);
                    out.push(Document { value, line, spans });
                }
            }
            Event::MappingStart(_, 0, None) | Event::SequenceStart(_, 0, None) => {
                if stack.len() + 1 >= MAX_DEPTH {
                    return Err(GiveUp);
                }
                let at = node_position(&stack, &span)?;
                let index = spans.open(at);
                stack.push(match event {
                    Event::MappingStart(..) => Frame::Mapping {
                        entries: spare_entries.pop().unwrap_or_default(),
                        key: None,
                        span: index,
                    },
                    _ => Frame::Sequence {
                        items: spare_items.pop().unwrap_or_default(),
                        span: index,
                    },
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let (value, index) = match stack.pop() {
                    Some(Frame::Mapping {
                        mut entries,
                        key: None,
                        span,
                    }) => {
                        let map = exact_map(&mut entries)?;
                        spare_entries.push(entries);
                        (Value::Object(map), span)
                    }
                    Some(Frame::Sequence { mut items, span }) => {
                        let mut exact = Vec::with_capacity(items.len());
                        exact.append(&mut items);
                        spare_items.push(items);
                        (Value::Array(exact), span)
                    }
                    _ => return Err(GiveUp),
                };
                spans.close(index);
                place(&mut stack, &mut root, value, false)?;
            }
            Event::Scalar(text, style, 0, None) => {
                if let Some(Frame::Mapping { key, .. }) = stack.last_mut()
                    && key.is_none()
                {
                    // A key: always the text written, never resolved. Duplicates are found
                    // when the mapping ends. serde-saphyr finds them by resolved value (`0`
                    // and `-0` are one key), so plain keys that resolve to anything but their
                    // text are left to it.
                    if text == "<<"
                        || (style == ScalarStyle::Plain
                            && !matches!(resolve_plain_text(&text), Some(Value::String(_))))
                    {
                        return Err(GiveUp);
                    }
                    *key = Some((owned(text), start(&span)));
                    continue;
                }
                let at = node_position(&stack, &span)?;
                let index = spans.open(at);
                spans.close(index);
                let nullish = style == ScalarStyle::Plain
                    && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL");
                let value = if style == ScalarStyle::Plain {
                    resolve_plain(text)?
                } else {
                    Value::String(owned(text))
                };
                place(&mut stack, &mut root, value, nullish)?;
            }
            // Anchors, aliases, tags, directives, comments: serde-saphyr's business.
            _ => return Err(GiveUp),
        }
    }
    if !stack.is_empty() {
        return Err(GiveUp);
    }
    Ok(out)
}

fn start(span: &Span) -> Position {
    Position {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// Where a node starting at `span` is recorded: a mapping value at its key.
fn node_position(stack: &[Frame], span: &Span) -> Result<Position, GiveUp> {
    match stack.last() {
        Some(Frame::Mapping {
            key: Some((_, at)), ..
        }) => Ok(*at),
        // A collection used as a key: not a Kubernetes document.
        Some(Frame::Mapping { key: None, .. }) => Err(GiveUp),
        _ => Ok(start(span)),
    }
}

/// The map of a finished mapping, sized to its entries (which it takes); a duplicate key gives
/// up.
fn exact_map(entries: &mut Vec<(String, Value)>) -> Result<Map<String, Value>, GiveUp> {
    let mut map = Map::with_capacity(entries.len());
    for (key, value) in entries.drain(..) {
        if map.insert(key, value).is_some() {
            return Err(GiveUp);
        }
    }
    Ok(map)
}

/// A scalar's text as an owned string without spare capacity.
fn owned(text: Cow<'_, str>) -> String {
    let mut text = text.into_owned();
    text.shrink_to_fit();
    text
}

/// Puts a finished node into its parent, or makes it the document's root.
fn place(
    stack: &mut [Frame],
    root: &mut Option<(Value, bool)>,
    value: Value,
    nullish: bool,
) -> Result<(), GiveUp> {
    match stack.last_mut() {
        Some(Frame::Sequence { items, .. }) => items.push(value),
        Some(Frame::Mapping { entries, key, .. }) => {
            let (key, _) = key.take().ok_or(GiveUp)?;
            entries.push((key, value));
        }
        None => {
            if root.is_some() {
                return Err(GiveUp);
            }
            *root = Some((value, nullish));
        }
    }
    Ok(())
}

/// Resolves an untagged plain scalar as serde-saphyr does for `serde_json::Value` with nexus's
/// options (YAML 1.1 booleans, legacy octal, big integers as floats). The common shapes are
/// resolved here; any other number-like text is handed to serde-saphyr on its own.
fn resolve_plain(text: Cow<'_, str>) -> Result<Value, GiveUp> {
    match resolve_plain_text(&text) {
        Some(Value::String(_)) => Ok(Value::String(owned(text))),
        Some(value) => Ok(value),
        None => delegate(&text),
    }
}

/// [`resolve_plain`] without serde-saphyr: `None` for the scalars it has to resolve. A string
/// comes back empty (the caller owns the text).
fn resolve_plain_text(text: &str) -> Option<Value> {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Some(Value::Null);
    }
    // YAML 1.1 booleans, compared ignoring case as serde-saphyr does.
    for (word, value) in [
        ("true", true),
        ("yes", true),
        ("y", true),
        ("on", true),
        ("false", false),
        ("no", false),
        ("n", false),
        ("off", false),
    ] {
        if text.eq_ignore_ascii_case(word) {
            return Some(Value::Bool(value));
        }
    }
    let bytes = text.as_bytes();
    if !(bytes[0].is_ascii_digit() || matches!(bytes[0], b'-' | b'+' | b'.' | b'_')) {
        // Text that does not start like a number is a string.
        return Some(Value::String(String::new()));
    }
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let plain_decimal = !digits.is_empty()
        && digits.len() <= 18
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || digits.len() == 1);
    if plain_decimal && !(digits == b"0" && bytes.len() > 1) {
        // At most 18 digits: fits either way.
        return if bytes[0] == b'-' {
            text.parse::<i64>().ok().map(Value::from)
        } else {
            text.parse::<u64>().ok().map(Value::from)
        };
    }
    if text.contains(char::is_whitespace) {
        // `1 2`, a folded multi-line scalar: never a number.
        return Some(Value::String(String::new()));
    }
    None
}

/// Resolves one plain scalar through serde-saphyr, as a document of its own.
fn delegate(text: &str) -> Result<Value, GiveUp> {
    // As documents of their own these are markers, not text.
    if text == "---" || text == "..." {
        return Ok(Value::String(text.to_string()));
    }
    match serde_saphyr::from_str_with_options::<Value>(text, super::yaml::options(text.len())) {
        Ok(value @ (Value::Bool(_) | Value::Number(_) | Value::String(_))) => Ok(value),
        _ => Err(GiveUp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::yaml::parse_documents_through_serde;
    use proptest::prelude::*;

    /// The tree builder's documents, or `None` where it leaves the file to serde-saphyr.
    fn built(text: &str) -> Option<Vec<(usize, Value)>> {
        documents(text)
            .ok()
            .map(|docs| docs.into_iter().map(|d| (d.line, d.value)).collect())
    }

    fn reference(text: &str) -> Result<Vec<(usize, Value)>, String> {
        parse_documents_through_serde(text, "f.yaml")
            .map(|docs| docs.into_iter().map(|d| (d.line, d.value)).collect())
            .map_err(|e| e.to_string())
    }

    /// Whatever the builder builds, serde-saphyr builds too, with the same lines.
    fn agrees(text: &str) -> Result<(), String> {
        if let Some(docs) = built(text) {
            let expected = reference(text).map_err(|e| format!("{text:?}: built, but {e}"))?;
            if docs != expected {
                return Err(format!(
                    "{text:?}: built {docs:?}, serde-saphyr {expected:?}"
                ));
            }
        }
        Ok(())
    }

    /// Plain scalars that resolve in every way YAML 1.1 and serde-saphyr know.
    const TOKENS: &[&str] = &[
        "abc",
        "a b",
        "yes",
        "No",
        "tRuE",
        "y",
        "N",
        "off",
        "On",
        "0755",
        "0x1F",
        "0X1F",
        "0o17",
        "0b101",
        "1_000",
        "_1",
        "1e3",
        "1E3",
        "1e",
        "e5",
        "-0",
        "+5",
        "-5",
        ".5",
        "1.",
        "0.",
        "+.5",
        ".inf",
        "-.Inf",
        "inf",
        "NaN",
        "nan",
        "-.nan",
        "12345678901234567890",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "999999999999999999",
        "~",
        "null",
        "NULL",
        "nULL",
        "---x",
        "-x",
        "=",
        "2001-12-14",
        "1:2",
        "00",
        "-00",
        "09",
        "0",
        "1.5e-3",
        "x-1",
        "é",
        "-",
        "<<",
    ];

    fn scalar() -> impl Strategy<Value = String> {
        (prop::sample::select(TOKENS), 0..4u8).prop_map(|(t, quote)| match quote {
            1 => format!("'{}'", t.replace('\'', "''")),
            2 => format!("\"{t}\""),
            _ => t.to_string(),
        })
    }

    #[derive(Debug, Clone)]
    enum Node {
        Scalar(String),
        Map(Vec<(String, Node)>),
        Seq(Vec<Node>),
    }

    fn node() -> impl Strategy<Value = Node> {
        scalar()
            .prop_map(Node::Scalar)
            .prop_recursive(4, 40, 5, |inner| {
                prop_oneof![
                    prop::collection::vec((scalar(), inner.clone()), 0..5).prop_map(Node::Map),
                    prop::collection::vec(inner, 0..5).prop_map(Node::Seq),
                ]
            })
    }

    fn flow(node: &Node, out: &mut String) {
        match node {
            Node::Scalar(s) => out.push_str(s),
            Node::Map(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push_str(": ");
                    flow(v, out);
                }
                out.push('}');
            }
            Node::Seq(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    flow(v, out);
                }
                out.push(']');
            }
        }
    }

    fn block(node: &Node, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match node {
            Node::Map(entries) if !entries.is_empty() => {
                for (k, v) in entries {
                    out.push_str(&format!("{pad}{k}:"));
                    value(v, indent, out);
                }
            }
            Node::Seq(items) if !items.is_empty() => {
                for v in items {
                    out.push_str(&format!("{pad}-"));
                    value(v, indent, out);
                }
            }
            other => {
                out.push_str(&pad);
                flow(other, out);
                out.push('\n');
            }
        }
    }

    fn value(v: &Node, indent: usize, out: &mut String) {
        match v {
            Node::Map(e) if !e.is_empty() => {
                out.push('\n');
                block(v, indent + 2, out);
            }
            Node::Seq(i) if !i.is_empty() => {
                out.push('\n');
                block(v, indent + 2, out);
            }
            _ => {
                out.push(' ');
                flow(v, out);
                out.push('\n');
            }
        }
    }

    #[test]
    fn crd_shaped_files_are_built_here() {
        let text = include_str!("../../../../testdata/diff/lines/old/bundle.yaml");
        let docs = documents(text).unwrap_or_else(|_| panic!("gave up"));
        assert_eq!(docs.iter().map(|d| d.line).collect::<Vec<_>>(), [2, 9, 67]);
        assert!(docs.iter().all(|d| !d.spans.is_empty()));
        let mixed =
            "a: [on, yes, 5, -3, 1.0, 0x1F, 0755, 1_000, ~, null, '', \"x\", -0]\nb: |\n  text\n";
        let built = documents(mixed).unwrap_or_else(|_| panic!("gave up"));
        assert_eq!(
            built
                .into_iter()
                .map(|d| (d.line, d.value))
                .collect::<Vec<_>>(),
            reference(mixed).unwrap()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Block and flow documents, one or several per file, built here equal serde-saphyr's.
        #[test]
        fn builds_what_serde_saphyr_builds(docs in prop::collection::vec((node(), any::<bool>()), 1..4)) {
            let mut text = String::new();
            for (doc, as_flow) in &docs {
                text.push_str("---\n");
                if *as_flow {
                    flow(doc, &mut text);
                    text.push('\n');
                } else {
                    block(doc, 0, &mut text);
                }
            }
            agrees(&text).map_err(TestCaseError::fail)?;
        }

        /// The position recorded for a mapping value is that of its key in the text.
        #[test]
        fn a_value_is_placed_at_its_key(doc in node()) {
            let mut text = String::new();
            block(&doc, 0, &mut text);
            if let Ok(docs) = documents(&text) {
                for d in docs {
                    check_keys(&d.value, &d.value, &d.spans, "", &text)?;
                }
            }
        }
    }

    /// Every mapping key below `path` is found by [`Spans::locate`] at a place where the text
    /// holds that key (quoted or not).
    fn check_keys(
        root: &Value,
        node: &Value,
        spans: &Spans,
        path: &str,
        text: &str,
    ) -> Result<(), TestCaseError> {
        let Value::Object(map) = node else {
            if let Value::Array(items) = node {
                for (i, item) in items.iter().enumerate() {
                    check_keys(root, item, spans, &format!("{path}/{i}"), text)?;
                }
            }
            return Ok(());
        };
        for (key, value) in map {
            let child = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
            let (found, at) = spans.locate(root, &child).expect("spans");
            prop_assert_eq!(found, Spans::depth(&child));
            let line = text.lines().nth(at.line - 1).unwrap_or("");
            let rest: String = line.chars().skip(at.column - 1).collect();
            prop_assert!(
                rest.starts_with(key.as_str())
                    || rest.starts_with(&format!("'{key}'"))
                    || rest.starts_with(&format!("\"{key}\"")),
                "{child} at {at:?}: {rest:?}\n{text}"
            );
            check_keys(root, value, spans, &child, text)?;
        }
        Ok(())
    }
}
