//! Reading one file's bytes into YAML documents (`serde_json::Value` trees), with the limits that
//! keep hostile input from hurting us and errors that point at `file:line:column`.
//!
//! JSON files go through the same parser: JSON is YAML 1.2 flow syntax, so one parser gives one
//! depth limit, one duplicate-key rule and one error format for `.yaml`, `.yml`, `.json` and stdin
//! (which may hold either). serde_json would cap nesting at 128 and silently keep the last of two
//! duplicate keys.
//!
//! Scalar values resolve the way kubectl and helm read them (go-yaml v2 through sigs.k8s.io/yaml,
//! YAML 1.1): unquoted `yes`/`no`/`on`/`off`/`y`/`n` are booleans and `0755` is octal, so nexus
//! sees the values the API server receives from them. Mapping keys always stay the text written.
//! Integers stay integers; an integer too large for 64 bits becomes a float, as in go-yaml.

use super::tree;
use crate::error::Error;
use crate::spans::Spans;
use serde_json::Value;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Budget, MessageFormatter, Options, Spanned, UserMessageFormatter};

/// Deepest nesting of mappings and sequences a document may have. The deepest CRD in the shared
/// corpus (576 CRDs from 10 projects, plus provider-aws) nests 38 levels; the limit leaves room
/// for generated schemas far deeper than anything seen, while bounding recursion.
pub const MAX_DEPTH: usize = 1000;

/// How many nodes a file may expand to, per byte of input. Without aliases a YAML node takes at
/// least two bytes, so only alias expansion can come near this; a billion-laughs file is refused
/// after linear work instead of being expanded.
const NODES_PER_BYTE: usize = 4;

/// Lower bound of the node budget, so that small files may still use anchors freely.
const MIN_NODES: usize = 100_000;

/// One non-empty document of a file.
#[derive(Debug, Clone)]
pub struct Document {
    /// The document's content.
    pub value: Value,
    /// 1-based line of the document's root node.
    pub line: usize,
    /// Where each node is; empty when the document went through serde-saphyr (see [`tree`]).
    pub spans: Spans,
}

/// Parses every document of a YAML (or JSON) file. Empty documents (`---` alone, only comments,
/// an explicit `null`) are left out. `file` names the file in error messages.
pub fn parse_documents(bytes: &[u8], file: &str) -> Result<Vec<Document>, Error> {
    let text = utf8(bytes, file)?;
    match tree::documents(text) {
        Ok(docs) => Ok(docs),
        Err(tree::GiveUp) => parse_documents_through_serde(text, file),
    }
}

/// [`parse_documents`] through serde-saphyr: the reference for everything the tree builder
/// leaves to it, and for every error. Documents loaded this way carry no [`Spans`].
pub fn parse_documents_through_serde(text: &str, file: &str) -> Result<Vec<Document>, Error> {
    let docs: Vec<Spanned<Value>> = serde_saphyr::from_str_multiple_with_options::<
        Spanned<Value>,
        Vec<_>,
    >(text, options(text.len()))
    .map_err(|e| parse_error(file, &e))?;
    Ok(docs
        .into_iter()
        .map(|d| Document {
            line: usize::try_from(d.referenced.line()).unwrap_or(usize::MAX),
            value: d.value,
            spans: Spans::default(),
        })
        .collect())
}

/// Parses a file that holds one document into a typed value (`None` when the file is empty), with
/// the same limits and error format as CRD files. Used for nexus's own files, such as the config.
pub fn parse_typed<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    file: &str,
) -> Result<Option<T>, Error> {
    let text = utf8(bytes, file)?;
    serde_saphyr::from_str_with_options::<Option<T>>(text, options(text.len()))
        .map_err(|e| parse_error(file, &e))
}

/// The parser options for an input of `len` bytes: YAML 1.1 scalars as kubectl reads them,
/// duplicate keys refused, and a budget that admits any real CRD bundle but no alias bomb and no
/// nesting beyond [`MAX_DEPTH`].
pub fn options(len: usize) -> Options {
    let nodes = len.saturating_mul(NODES_PER_BYTE).max(MIN_NODES);
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    // The scanner counts flow collections (`[[[[…`, deep JSON) itself, ahead of the budget.
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = nodes;
    budget.max_events = nodes.saturating_mul(2);
    budget.max_total_scalar_bytes = len.saturating_mul(NODES_PER_BYTE).max(1 << 20);
    // Documents and comments cost input bytes; a bundle may hold thousands of documents.
    budget.max_documents = usize::MAX;
    budget.max_total_comment_bytes = usize::MAX;

    let mut options = Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = nodes;
    options.emit_comments = false;
    options.with_snippet = false;
    options.legacy_octal_numbers = true;
    // JSON keys are strings: `null:` and `~:` as mapping keys are the strings "null" and "~".
    options.null_as_string = true;
    options
}

/// Checks that the file is UTF-8; the error names the byte offset and its line and column.
fn utf8<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, Error> {
    std::str::from_utf8(bytes).map_err(|e| {
        let (good, _) = bytes.split_at(e.valid_up_to());
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let last_line = good.rsplit(|&b| b == b'\n').next().unwrap_or(good);
        let column = String::from_utf8_lossy(last_line).chars().count() + 1;
        let encoding = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
            "the file is UTF-16"
        } else {
            "invalid UTF-8"
        };
        Error::Parse {
            location: format!("{file}:{line}:{column}"),
            message: format!(
                "{encoding} (byte offset {}); nexus reads YAML and JSON as UTF-8: convert the file to UTF-8",
                e.valid_up_to()
            ),
        }
    })
}

/// Turns a serde-saphyr error into one sentence: `file:line:column: what is wrong; what to do`.
pub fn parse_error(file: &str, err: &serde_saphyr::Error) -> Error {
    let inner = innermost(err);
    let location = match err.location() {
        Some(l) if l.line() > 0 => format!("{file}:{}:{}", l.line(), l.column()),
        _ => file.to_string(),
    };
    Error::Parse {
        location,
        message: describe(inner),
    }
}

/// `text` with control characters escaped (`\n`, `\u{1b}`), so that a message quoting the input
/// stays on one line and cannot drive the terminal.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Unwraps the snippet and alias wrappers around the error that says what went wrong.
fn innermost(err: &serde_saphyr::Error) -> &serde_saphyr::Error {
    let mut err = err;
    loop {
        err = match err {
            serde_saphyr::Error::WithSnippet { error, .. } => error,
            serde_saphyr::Error::AliasError { error, .. } => error,
            _ => return err,
        };
    }
}

const ALIAS_BOMB: &str = "aliases (*name) expand this file far beyond its size, as an alias bomb does; \
     nexus refuses to expand it: write the repeated parts out or use fewer aliases";

fn too_deep() -> String {
    format!(
        "nested deeper than {MAX_DEPTH} levels of mappings and sequences; nexus refuses documents \
         this deep (real CRDs nest fewer than 64 levels): check how the file was generated"
    )
}

fn describe(err: &serde_saphyr::Error) -> String {
    use serde_saphyr::Error as E;
    use serde_saphyr::granit_parser::ErrorKind;
    match err {
        E::ExternalMessage { source, .. }
            if matches!(
                &**source,
                serde_saphyr::ExternalMessageSource::Parser(scan)
                    if matches!(scan.kind(), ErrorKind::RecursionLimitExceeded)
            ) =>
        {
            too_deep()
        }
        E::DuplicateMappingKey { key: Some(key), .. } => format!(
            "duplicate key '{}' in one mapping; keep only one of them",
            printable(key)
        ),
        E::DuplicateMappingKey { key: None, .. } => {
            "duplicate key in one mapping; keep only one of them".to_string()
        }
        E::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => too_deep(),
            BudgetBreach::Nodes { .. }
            | BudgetBreach::Events { .. }
            | BudgetBreach::ScalarBytes { .. }
            | BudgetBreach::Aliases { .. }
            | BudgetBreach::AliasAnchorRatio { .. } => ALIAS_BOMB.to_string(),
            BudgetBreach::Anchors { anchors } => format!(
                "more than {anchors} anchors (&name); nexus refuses files with this many: write the values out"
            ),
            BudgetBreach::MergeKeys { merge_keys } => format!(
                "more than {merge_keys} merge keys (<<); nexus refuses files with this many: write the values out"
            ),
            other => format!("the file exceeds a parser limit ({other:?}); split it into smaller files"),
        },
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => ALIAS_BOMB.to_string(),
        E::SerdeUnknownField {
            field, expected, ..
        } => format!(
            "unknown key '{}'; the keys here are {}",
            printable(field),
            expected.join(", ")
        ),
        E::SerdeMissingField { field, .. } => format!("missing key '{field}'; add it"),
        E::Unexpected { expected, .. } => {
            let wanted = match *expected {
                "mapping start" => "a mapping (key: value)",
                "sequence start" => "a list (- item)",
                other => other,
            };
            format!("expected {wanted} here; fix the value")
        }
        E::MultipleDocuments { .. } => {
            "more than one YAML document; this file holds exactly one: remove the extra ---"
                .to_string()
        }
        E::UnknownAnchor { .. } => {
            "alias (*name) refers to an anchor that is not defined before it; define &name first"
                .to_string()
        }
        E::RecursiveReferencesRequireWeakTypes { .. } => {
            "alias (*name) refers to the node that contains it; a Kubernetes object cannot be recursive"
                .to_string()
        }
        E::NonFiniteFloat { value, .. } => format!(
            "{} is not a number JSON can hold (NaN or infinity); quote it if it is meant as a string",
            printable(value)
        ),
        other => {
            let text = UserMessageFormatter.format_message(other);
            // The parser's text may quote the input; keep the message on one line.
            format!("{}; fix the YAML there", printable(&text))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Result<Vec<Value>, String> {
        parse_documents(text.as_bytes(), "f.yaml")
            .map(|docs| docs.into_iter().map(|d| d.value).collect())
            .map_err(|e| e.to_string())
    }

    fn one(text: &str) -> Value {
        let mut docs = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(docs.len(), 1, "{text:?}");
        docs.remove(0)
    }

    #[test]
    fn multi_document_lines_and_empty_documents() {
        let docs = parse_documents(
            b"---\n# only a comment\n---\n\n---\na: 1\n---\nnull\n---\n- x\n",
            "f.yaml",
        )
        .unwrap();
        let got: Vec<(usize, Value)> = docs.into_iter().map(|d| (d.line, d.value)).collect();
        assert_eq!(got, vec![(6, json!({"a": 1})), (10, json!(["x"]))]);
        assert!(parse("").unwrap().is_empty());
        // A byte-order mark and Windows line ends are fine; lines still count from 1.
        let docs = parse_documents(b"\xef\xbb\xbfa: 1\r\n---\r\nb: 2\r\n", "f.yaml").unwrap();
        let got: Vec<(usize, Value)> = docs.into_iter().map(|d| (d.line, d.value)).collect();
        assert_eq!(got, vec![(1, json!({"a": 1})), (3, json!({"b": 2}))]);
        assert!(parse("# nothing\n").unwrap().is_empty());
    }

    #[test]
    fn scalars_resolve_as_kubectl_reads_them() {
        let v = one(
            "a: [on, yes, y, off, No, 'on', \"yes\", =, '=', 5, -3, 1.0, 0x1F, 0755, 1_000, ~, null, '']\n",
        );
        assert_eq!(
            v,
            json!({"a": [true, true, true, false, false, "on", "yes", "=", "=", 5, -3, 1.0, 31, 493, 1000, null, null, ""]})
        );
        // Integers stay integers, not 5.0.
        assert!(v["a"][9].is_u64());
        assert!(v["a"][10].is_i64());
        assert!(v["a"][11].is_f64());
    }

    #[test]
    fn integers_keep_full_precision_up_to_64_bits() {
        let v = one("a: 18446744073709551615\nb: -9223372036854775808\nc: 18446744073709551616\n");
        assert_eq!(v["a"].as_u64(), Some(u64::MAX));
        assert_eq!(v["b"].as_i64(), Some(i64::MIN));
        // Beyond 64 bits a float, as go-yaml does.
        assert_eq!(v["c"].as_f64(), Some(18446744073709551616.0));
    }

    #[test]
    fn keys_stay_strings() {
        assert_eq!(
            one("{1: a, true: b, on: c, null: d, ~: e}"),
            json!({"1": "a", "true": "b", "on": "c", "null": "d", "~": "e"})
        );
    }

    #[test]
    fn json_reads_as_json() {
        let v = one(
            r#"{"a": "\u00e9\/\ud83d\ude00", "b": 1e300, "c": -0.5, "d": [true, null], "e": {}}"#,
        );
        assert_eq!(
            v,
            json!({"a": "é/😀", "b": 1e300, "c": -0.5, "d": [true, null], "e": {}})
        );
    }

    #[test]
    fn anchors_and_merge_keys_expand() {
        assert_eq!(
            one("a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n  e: 2\n"),
            json!({"a": {"b": 1}, "c": {"b": 1}, "d": {"b": 1, "e": 2}})
        );
    }

    #[test]
    fn duplicate_key_names_line_and_column() {
        assert_eq!(
            parse("a: 1\nb:\n  c: 1\n  c: 2\n").unwrap_err(),
            "f.yaml:4:3: duplicate key 'c' in one mapping; keep only one of them"
        );
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let e = parse("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(e.starts_with("f.yaml:2:4: "), "{e}");
        assert!(e.ends_with("; fix the YAML there"), "{e}");
        let e = parse("a: b: c\n").unwrap_err();
        assert_eq!(
            e,
            "f.yaml:1:5: mapping values are not allowed in this context; fix the YAML there"
        );
        let e = parse("a:\n\tb: 1\n").unwrap_err();
        assert!(e.starts_with("f.yaml:2:"), "{e}");
        let e = parse("a: *nope\n").unwrap_err();
        assert!(
            e.starts_with("f.yaml:1:4: alias (*name) refers to an anchor"),
            "{e}"
        );
        let e = parse("a: &x [1, *x]\n").unwrap_err();
        assert!(e.starts_with("f.yaml:1:"), "{e}");
        assert!(e.contains("alias (*name) refers to"), "{e}");
        let e = parse("a: .nan\n").unwrap_err();
        assert!(
            e.starts_with("f.yaml:1:4: .nan is not a number JSON can hold"),
            "{e}"
        );
    }

    #[test]
    fn invalid_utf8_names_offset_line_and_column() {
        let e = parse_documents(b"a: 1\nbb: \xff\n", "f.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.yaml:2:5: invalid UTF-8 (byte offset 9); nexus reads YAML and JSON as UTF-8: convert the file to UTF-8"
        );
        let e = parse_documents(b"\xff\xfea\x00:\x00", "f.yaml").unwrap_err();
        assert!(e.to_string().contains("the file is UTF-16"), "{e}");
    }

    #[test]
    fn printable_escapes_only_control_characters() {
        assert_eq!(printable("a'b\"c é"), "a'b\"c é");
        assert_eq!(printable("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
        assert_eq!(
            parse("a: 1\n\"a\\nb\": 1\n\"a\\nb\": 2\n").unwrap_err(),
            "f.yaml:3:1: duplicate key 'a\\nb' in one mapping; keep only one of them"
        );
    }

    #[test]
    fn alias_bomb_is_refused_quickly() {
        let mut bomb = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let p = w[0];
            bomb.push_str(&format!(
                "{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
                n = w[1]
            ));
        }
        let started = std::time::Instant::now();
        let e = parse(&bomb).unwrap_err();
        assert!(e.contains("alias bomb"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn moderate_alias_use_is_fine() {
        // 30 references to a 20-entry anchor: 600 nodes from a small file.
        let mut text = String::from("base: &b {");
        text.push_str(
            &(0..20)
                .map(|i| format!("k{i}: {i}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        text.push_str("}\n");
        for i in 0..30 {
            text.push_str(&format!("u{i}: *b\n"));
        }
        assert_eq!(one(&text)["u29"]["k19"], json!(19));
    }

    /// Runs `f` on a thread with the stack the loader's workers have.
    fn on_worker_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(super::super::workers::STACK_SIZE)
            .spawn(f)
            .expect("spawn test thread")
            .join()
            .expect("test thread panicked")
    }

    #[test]
    fn nesting_up_to_the_limit_loads() {
        on_worker_stack(|| {
            let flow = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
            assert_eq!(parse(&flow).map(|d| d.len()), Ok(1));
            let mut block = String::new();
            for i in 0..MAX_DEPTH {
                block.push_str(&" ".repeat(i));
                block.push_str("a:\n");
            }
            assert_eq!(parse(&block).map(|d| d.len()), Ok(1));
        });
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused() {
        on_worker_stack(|| {
            let n = 100_000;
            let cases = [
                ("[".repeat(n) + &"]".repeat(n), 1, MAX_DEPTH + 1),
                ("{a: ".repeat(n) + &"}".repeat(n), 1, 4 * MAX_DEPTH + 1),
                ("- ".repeat(n) + "x\n", 1, 2 * MAX_DEPTH + 1),
                // Explicit keys nest block mappings on one line: `? ? ? x`.
                ("? ".repeat(n) + "x\n", 1, 2 * MAX_DEPTH + 1),
            ];
            for (text, line, column) in cases {
                let e = parse(&text).unwrap_err();
                assert!(
                    e.starts_with(&format!(
                        "f.yaml:{line}:{column}: nested deeper than 1000 levels"
                    )),
                    "{}: {e}",
                    &text[..8]
                );
            }
            // An indented block mapping one level too deep.
            let mut block = String::new();
            for i in 0..=MAX_DEPTH {
                block.push_str(&" ".repeat(i));
                block.push_str("a:\n");
            }
            let e = parse(&block).unwrap_err();
            assert!(
                e.starts_with("f.yaml:1001:1001: nested deeper than 1000 levels"),
                "{e}"
            );
        });
    }

    mod laws {
        use super::*;
        use proptest::prelude::*;

        /// Characters YAML allows in a stream. JSON also allows raw U+007F–U+009F (but U+0085)
        /// and U+FFFE/U+FFFF inside strings; YAML does not, and nexus reports them as errors.
        fn yaml_printable(c: char) -> bool {
            !matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
        }

        fn text() -> impl Strategy<Value = String> {
            prop::collection::vec(any::<char>(), 0..12)
                .prop_map(|s| s.into_iter().filter(|&c| yaml_printable(c)).collect())
        }

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<f64>()
                    .prop_filter("JSON numbers are finite", |f| f.is_finite())
                    .prop_map(Value::from),
                text().prop_map(Value::from),
            ];
            leaf.prop_recursive(6, 64, 8, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
                    prop::collection::btree_map(text(), inner, 0..8)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            /// Any JSON document, compact or pretty, loads as the value serde_json wrote.
            #[test]
            fn json_round_trips(value in json_value(), pretty in any::<bool>()) {
                let text = if pretty {
                    serde_json::to_string_pretty(&value)
                } else {
                    serde_json::to_string(&value)
                }
                .unwrap();
                let docs = parse_documents(text.as_bytes(), "f.json")
                    .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                // A JSON null document is an empty document.
                let loaded = docs.into_iter().next().map_or(Value::Null, |d| d.value);
                prop_assert_eq!(loaded, value);
            }
        }
    }
}
