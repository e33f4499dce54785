//! Mutations of CRDs (as values), of YAML/JSON text and of Go source, driven by a [`Dice`].
//!
//! Shared by the cargo-fuzz targets (the dice read the fuzzer's bytes, so libFuzzer steers the
//! mutations) and by the tests in `tests/` (seeded [`SplitMix`] dice, so every run is the same).
//! Depends on serde_json and std only, so the tests can include this file by path.

use serde_json::{Value, json};

/// A source of choices.
pub trait Dice {
    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize;

    /// One of `items` (which must not be empty).
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A small deterministic generator (SplitMix64): the same seed gives the same mutations on every
/// machine.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Dice for SplitMix {
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Keywords a schema node or a CRD may carry; added ones get a value from [`palette`].
pub const KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "items",
    "additionalProperties",
    "required",
    "enum",
    "default",
    "nullable",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "multipleOf",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "description",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
    "openAPIV3Schema",
    "versions",
    "served",
    "storage",
    "conversion",
    "subresources",
    "additionalPrinterColumns",
    "deprecated",
    "scope",
    "names",
    "annotations",
    "nexus",
];

/// Values that make checkers and renderers work: every JSON type, huge and odd numbers, text that
/// formats must escape, broken regular expressions and CEL.
pub fn palette(dice: &mut impl Dice) -> Value {
    match dice.below(24) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(false),
        3 => json!(0),
        4 => json!(-1),
        5 => json!(u64::MAX),
        6 => json!(i64::MIN),
        7 => json!(1e308),
        8 => json!(-1.5e-308),
        9 => json!(0.1),
        10 => json!(""),
        11 => json!(*dice.pick(&[
            "object", "array", "string", "integer", "number", "boolean", "null", "any"
        ])),
        12 => json!(*dice.pick(&["atomic", "set", "map", "granular", "Namespaced", "Cluster"])),
        13 => json!("a|b`c<d>&e\"f'g%h:i,j\n\r\t\u{1b}[31m\u{0}\u{7f}\u{85}\u{fffe}é✓*_[]#$"),
        14 => json!("x".repeat(5000)),
        15 => json!(*dice.pick(&["(", "[a-", "\\", "(?P<x>", "a{99999}", "\\p{Foo}", "^$"])),
        16 => json!([{"rule": *dice.pick(&[
            "self.x", "self.", "has(self.a) &&", "self.size() < 10", "quantity(self.q)",
            "oldSelf == self", "[1,2].map(x, x * 9223372036854775807)", "'a' + 1",
        ]), "message": "m"}]),
        17 => json!([]),
        18 => json!({}),
        19 => json!(["a", "a", 1, null, {}]),
        20 => json!({"type": "object", "properties": {"a": {"type": "string"}}}),
        21 => {
            json!({"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]})
        }
        22 => json!([{"name": "v1", "served": true, "storage": true}]),
        _ => json!("9999999999999999999999999999999999999"),
    }
}

/// One step of a path into a value.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every node of `doc` (at most `limit`), as paths from the root, in document order.
fn node_paths(doc: &Value, limit: usize) -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    let mut stack: Vec<(Vec<Step>, &Value)> = vec![(Vec::new(), doc)];
    while let Some((path, node)) = stack.pop() {
        if out.len() >= limit {
            break;
        }
        match node {
            Value::Object(map) => {
                for (k, v) in map.iter().rev() {
                    let mut p = path.clone();
                    p.push(Step::Key(k.clone()));
                    stack.push((p, v));
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate().rev() {
                    let mut p = path.clone();
                    p.push(Step::Index(i));
                    stack.push((p, v));
                }
            }
            _ => {}
        }
        out.push(path);
    }
    out
}

fn node_mut<'a>(doc: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut node = doc;
    for step in path {
        node = match (step, node) {
            (Step::Key(k), Value::Object(map)) => map.get_mut(k)?,
            (Step::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

fn node<'a>(doc: &'a Value, path: &[Step]) -> Option<&'a Value> {
    let mut node = doc;
    for step in path {
        node = match (step, node) {
            (Step::Key(k), Value::Object(map)) => map.get(k)?,
            (Step::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Applies one structural mutation to a random node of `doc`: a type swap, a removed or added
/// keyword, a huge number, deep nesting, a copied subtree, a renamed key or a palette value.
pub fn mutate_value(doc: &mut Value, dice: &mut impl Dice) {
    let paths = node_paths(doc, 50_000);
    let path = dice.pick(&paths).clone();
    let donor = dice.pick(&paths).clone();
    let donor = node(doc, &donor).cloned().unwrap_or(Value::Null);
    let Some(target) = node_mut(doc, &path) else {
        return;
    };
    match dice.below(9) {
        // Type swap: the same node as another JSON type.
        0 => {
            *target = match std::mem::take(target) {
                Value::Object(map) => Value::Array(map.into_iter().map(|(_, v)| v).collect()),
                Value::Array(items) => Value::Object(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (i.to_string(), v))
                        .collect(),
                ),
                Value::String(s) => s
                    .parse::<f64>()
                    .ok()
                    .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                    .unwrap_or(json!([s])),
                Value::Number(n) => json!(n.to_string()),
                Value::Bool(b) => json!(if b { "true" } else { "false" }),
                Value::Null => json!({}),
            }
        }
        // A removed keyword.
        1 => match target {
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(dice.below(map.len())).cloned();
                if let Some(key) = key {
                    map.remove(&key);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                items.remove(dice.below(items.len()));
            }
            _ => *target = Value::Null,
        },
        // An added (or replaced) keyword.
        2 => {
            let value = palette(dice);
            if let Value::Object(map) = target {
                map.insert(dice.pick(KEYWORDS).to_string(), value);
            } else if let Value::Array(items) = target {
                items.push(value);
            } else {
                *target = value;
            }
        }
        // A huge or odd number.
        3 => {
            *target = dice
                .pick(&[
                    json!(u64::MAX),
                    json!(i64::MIN),
                    json!(1.7976931348623157e308),
                    json!(-0.0),
                    json!(5e-324),
                    json!(4294967296u64),
                ])
                .clone()
        }
        // Deep nesting below this node.
        4 => {
            let depth = *dice.pick(&[2, 30, 200, 480]);
            let as_items = dice.below(2) == 0;
            let mut v = std::mem::take(target);
            for _ in 0..depth {
                v = if as_items {
                    json!({"type": "array", "items": v})
                } else {
                    json!({"type": "object", "properties": {"x": v}})
                };
            }
            *target = v;
        }
        // A copy of another subtree (repeated versions, schemas in odd places).
        5 => *target = donor,
        // A key renamed to one of its siblings' or a palette key.
        6 => {
            if let Value::Object(map) = target
                && !map.is_empty()
            {
                let keys: Vec<String> = map.keys().cloned().collect();
                let from = dice.pick(&keys).clone();
                let to = if dice.below(2) == 0 {
                    dice.pick(KEYWORDS).to_string()
                } else {
                    format!("{from}~1/.[*]")
                };
                if let Some(v) = map.remove(&from) {
                    map.insert(to, v);
                }
            } else {
                *target = palette(dice);
            }
        }
        // Every element of a list made the same (duplicate version names, duplicate enum values).
        7 => {
            if let Value::Array(items) = target
                && let Some(first) = items.first().cloned()
            {
                items.push(first);
            } else {
                *target = palette(dice);
            }
        }
        _ => *target = palette(dice),
    }
}

/// Tokens that YAML (and JSON) parsers treat specially.
pub const YAML_TOKENS: &[&str] = &[
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!binary ",
    "!!int ",
    "!!str ",
    "!x ",
    "? ",
    "\t",
    "'",
    "\"",
    "|",
    "|-",
    ">",
    "\n---\n",
    "\n...\n",
    "%YAML 1.2\n",
    "<<: *a\n",
    "#",
    "~",
    "null",
    "yes",
    "0x1F",
    "0o17",
    "0755",
    ".nan",
    ".inf",
    "-.inf",
    "1e400",
    "\u{feff}",
    "\r",
    "\\",
    "\\u0000",
    "\"\\uD800\"",
    "99999999999999999999999999999",
    "-0",
    "@",
    "`",
    "%",
];

/// Tokens that matter to the Go datamodel reader.
pub const GO_TOKENS: &[&str] = &[
    "*",
    "[]",
    "[5]",
    "map[string]",
    "map[Foo]",
    "struct{",
    "}",
    "{",
    "(",
    ")",
    "interface{}",
    "any",
    "chan int",
    "func()",
    "nexus.Node\n",
    "nexus.SingletonNode\n",
    "`nexus:\"child\"`",
    "`nexus:\"children\"`",
    "`nexus:\"link\"`",
    "`nexus:\"links\"`",
    "`json:\",inline\"`",
    "`json:\"-\"`",
    "`json:\"x,omitempty,string\"`",
    "`json:\"",
    "// nexus-validation: Maximum=8\n",
    "// nexus-validation: Pattern=`(`\n",
    "// nexus-rest-api-gen:Foo\n",
    "// +kubebuilder:validation:Enum=a;b\n",
    "// nexus-version: v2\n",
    "\ntype X struct {\n\tnexus.Node\n\tY X `nexus:\"child\"`\n}\n",
    "\ntype A = B\n",
    "\ntype T[K any] struct{ V K }\n",
    "\nimport \"example.org/fuzz/sub\"\n",
    "sub.",
    "root.",
    "Leader",
    "Manager",
    "string",
    "int64",
    "float32",
    "bool",
    "uint8",
    "\"",
    "`",
    "'",
    "/*",
    "*/",
    "\n",
    "\t",
    ";",
    ",",
    ".",
    "\u{0}",
    "é",
];

/// Applies one textual mutation: a flipped byte, a truncation, a duplicated or removed line (so
/// duplicate keys), invalid UTF-8, a token from `tokens`, deep nesting, a huge number, a changed
/// indentation.
pub fn mutate_text(text: &mut Vec<u8>, tokens: &[&str], dice: &mut impl Dice) {
    let at = dice.below(text.len() + 1);
    match dice.below(10) {
        0 if !text.is_empty() => {
            let i = dice.below(text.len());
            text[i] ^= 1 << dice.below(8);
        }
        1 => text.truncate(at),
        2 | 3 => {
            let lines = line_starts(text);
            let i = dice.below(lines.len());
            let (start, end) = (lines[i], lines.get(i + 1).copied().unwrap_or(text.len()));
            let line = text[start..end].to_vec();
            if dice.below(3) == 0 {
                text.drain(start..end);
            } else {
                let mut copy = line;
                if !copy.ends_with(b"\n") {
                    copy.insert(0, b'\n');
                }
                text.splice(end..end, copy);
            }
        }
        4 => {
            const BAD: &[&[u8]] = &[
                &[0xff],
                &[0xc3],
                &[0xed, 0xa0, 0x80],
                &[0xf4, 0x90, 0x80, 0x80],
                &[0xfe, 0xff],
                &[0x00],
            ];
            let bad = *dice.pick(BAD);
            text.splice(at..at, bad.iter().copied());
        }
        5 => {
            let depth = *dice.pick(&[3, 50, 999, 1001, 5000]);
            let (open, close) = *dice.pick(&[("[", "]"), ("{a: ", "}"), ("(", ")"), ("- ", "")]);
            let mut out = open.repeat(depth).into_bytes();
            out.append(text);
            out.extend(close.repeat(depth).into_bytes());
            *text = out;
        }
        6 => {
            // A run of digits made huge.
            if let Some(start) = (at..text.len()).find(|&i| text[i].is_ascii_digit()) {
                let end = (start..text.len())
                    .find(|&i| !text[i].is_ascii_digit())
                    .unwrap_or(text.len());
                text.splice(start..end, "184467440737095516161234567890".bytes());
            }
        }
        7 => {
            let lines = line_starts(text);
            let start = *dice.pick(&lines);
            if dice.below(2) == 0 {
                text.splice(start..start, "  ".bytes());
            } else if text.get(start) == Some(&b' ') {
                text.remove(start);
            }
        }
        _ => {
            let token = dice.pick(tokens);
            text.splice(at..at, token.bytes());
        }
    }
}

fn line_starts(text: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            text.iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|&i| i <= text.len())
        .collect()
}

/// A CRD document as JSON text with `rounds` structural mutations applied.
pub fn mutated_crd_json(doc: &Value, rounds: usize, dice: &mut impl Dice) -> Vec<u8> {
    let mut doc = doc.clone();
    for _ in 0..rounds {
        mutate_value(&mut doc, dice);
    }
    serde_json::to_vec(&doc).unwrap_or_default()
}
