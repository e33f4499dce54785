//! `x-kubernetes-validations`: the CEL rules of a schema, evaluated on objects the way the API
//! server does (with the `cel` crate, 0.15, the maintained cel-rust interpreter).
//!
//! - `self` is the value at the node that carries the rule, typed by the schema as Kubernetes
//!   types it: `number` is a double, `integer` an int, `date-time`/`date` strings are
//!   timestamps, `duration` strings durations. Null values are not checked (as on the server).
//! - A rule that uses `oldSelf` is a transition rule: it runs only where the old object has a
//!   value at the same place (properties and map values by key, `x-kubernetes-list-type: map`
//!   items by their keys when these are scalars), with `oldSelf` bound to it. On a migration write the old object is
//!   the stored one.
//! - Evaluation errors that come from the data (no such key, index out of range, division by
//!   zero, overflow, a library function refusing its argument) fail the rule, as on the server.
//! - Besides the standard library and the string extension, the Kubernetes URL
//!   ([`super::library`]), quantity ([`super::quantity`]), IP and CIDR ([`super::net`]), lists
//!   ([`super::lists`]), regex ([`super::regexp`]) and semver ([`super::semver`]) libraries are
//!   there, and cel-go's two-variable comprehensions and the lists extension's `reverse()`
//!   ([`super::two_var`]).
//! - A list element whose data does not fit its schema (kept by ratcheting) fails a rule that
//!   reads the list and cannot be evaluated, with the server's conversion error.
//! - A rule this evaluator cannot judge is [`Verdict::NotChecked`] with the reason, never
//!   passed: one it cannot parse, one that calls a Kubernetes library function it lacks
//!   (`format.*`, `authorizer`), any other error of the interpreter, a value it cannot type
//!   (`format: byte`) or a schema nested too deep.
//!
//! Known differences, all on the strict side or reported: list equality ignores the
//! set/map-list semantics of `x-kubernetes-list-type`; the server's cost budget is not
//! computed; ratcheting (unchanged invalid values accepted on update) is not applied.

use super::two_var::Iteration;
use cel::objects::{Key, Map as CelMap, OptionalValue};
use cel::{Context, Env, ExecutionError, Program, Value as Cel};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// How deep schemas and values are followed (real CRDs nest about 40 levels).
pub const MAX_DEPTH: usize = 128;

/// Deepest bracket nesting of a rule this evaluator parses (the crate's parser recurses).
const MAX_RULE_NESTING: usize = 64;

/// Kubernetes CEL library functions the evaluator does not provide.
const KUBERNETES_ONLY: &[&str] = &["authorizer"];

/// The verdict of one rule on one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The rule evaluated to false or failed on the data: the API server rejects the object.
    Failed { message: String },
    /// The rule could not be evaluated here; it is not known to hold.
    NotChecked { reason: String },
}

/// One rule that did not pass on one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where in the object: `.spec.ports[0]`, `.` for the root.
    pub path: String,
    /// The rule's source.
    pub rule: String,
    pub verdict: Verdict,
    /// Whether the server may forgive this failure on an update where the value is unchanged
    /// (ratcheting): only a rule without `oldSelf` that evaluated to false, never an
    /// evaluation error.
    pub ratchetable: bool,
}

/// The CEL rules of one schema, compiled once to check many objects.
pub struct CelRules {
    root: Node,
    env: Arc<Env>,
    converters: Converters,
    rules: usize,
}

impl std::fmt::Debug for CelRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CelRules")
            .field("rules", &self.rules)
            .finish()
    }
}

/// The schema type of a node, as far as CEL typing needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Kind {
    #[default]
    Any,
    Object,
    Array,
    String,
    DateTime,
    Date,
    Duration,
    Bytes,
    Integer,
    Number,
    Boolean,
    IntOrString,
}

#[derive(Default)]
struct Node {
    kind: Kind,
    /// `nullable: true`: a null value converts to CEL's `null`.
    nullable: bool,
    rules: Vec<Rule>,
    properties: BTreeMap<String, Node>,
    additional: Option<Box<Node>>,
    items: Option<Box<Node>>,
    /// `x-kubernetes-list-map-keys` of a `map` list: how items correlate with old items.
    map_keys: Option<Vec<String>>,
    /// This node or one below it carries rules (nodes without are not walked).
    rules_below: bool,
    /// The schema went on below [`MAX_DEPTH`] with rules in it: reported, not checked.
    cut: bool,
}

struct Rule {
    source: String,
    message: Option<String>,
    message_expression: Option<Program>,
    field_path: Option<String>,
    transition: bool,
    optional_old_self: bool,
    program: Result<Program, String>,
}

/// Programs that turn strings into CEL timestamps and durations, with the crate's own parsers.
struct Converters {
    timestamp: Option<Program>,
    duration: Option<Program>,
}

impl CelRules {
    /// Compiles every `x-kubernetes-validations` rule of `schema` (a version's
    /// `openAPIV3Schema`). Never fails: a rule that does not compile is kept as not checked.
    pub fn new(schema: &Value) -> CelRules {
        let mut env = Env::stdlib();
        // Kubernetes enables cel-go's string extension library; the crate's has the same
        // functions (charAt, indexOf, lowerAscii, replace, split, substring, trim, join, ...).
        // Should it not load, rules that use them fail to evaluate and are not checked.
        let _ = env.add_extension(cel::extensions::strings);
        // The Kubernetes library functions implemented here (the URL, quantity, IP and CIDR
        // libraries); a rule calling one that did not register is not checked, as any unknown
        // function.
        let _ = super::library::register(&mut env);
        let _ = super::quantity::register(&mut env);
        let _ = super::net::register(&mut env);
        // cel-go's two-variable comprehensions, expanded into what the crate's interpreter
        // runs; should they not load, rules using them do not compile and are not checked.
        let _ = super::two_var::add_macros(&mut env, super::two_var::Form::Evaluated);
        let _ = super::two_var::register(&mut env);
        let _ = super::two_var::add_list_reverse(&mut env);
        let _ = super::lists::register(&mut env);
        let _ = super::regexp::register(&mut env);
        let _ = super::semver::register(&mut env);
        let env = Arc::new(env);
        let mut rules = 0;
        let root = compile(schema, &env, 0, &mut rules);
        let converters = Converters {
            timestamp: env.compile("timestamp(s)").ok(),
            duration: env.compile("duration(s)").ok(),
        };
        CelRules {
            root,
            env,
            converters,
            rules,
        }
    }

    /// How many rules the schema has.
    pub fn len(&self) -> usize {
        self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules == 0
    }

    /// Evaluates every rule on `new`; transition rules see `old` (the stored object) as
    /// `oldSelf`. Returns the rules that failed or could not be checked; the rest passed or did
    /// not apply.
    pub fn check(&self, new: &Value, old: Option<&Value>) -> Vec<Finding> {
        let mut out = Vec::new();
        if self.root.rules_below {
            let mut path = String::new();
            self.walk(&self.root, new, old, &mut path, &mut out);
        }
        out
    }

    /// Recursion follows schema nodes, which [`compile`] cuts at [`MAX_DEPTH`].
    fn walk(
        &self,
        node: &Node,
        new: &Value,
        old: Option<&Value>,
        path: &mut String,
        out: &mut Vec<Finding>,
    ) {
        if !node.rules_below || new.is_null() {
            return;
        }
        if node.cut {
            out.push(Finding {
                path: shown(path),
                rule: String::new(),
                ratchetable: false,
                verdict: Verdict::NotChecked {
                    reason: format!(
                        "the schema nests deeper than {MAX_DEPTH} levels here; rules below are not evaluated"
                    ),
                },
            });
            return;
        }
        // `self` and `oldSelf` are converted once for all the rules of this node.
        let mut converted = Converted::default();
        for rule in &node.rules {
            if let Some((verdict, false_result)) =
                self.evaluate(rule, node, new, old, &mut converted)
            {
                let mut at = shown(path);
                if let Some(field) = &rule.field_path {
                    at = if at == "." {
                        field.clone()
                    } else {
                        format!("{at}{field}")
                    };
                }
                out.push(Finding {
                    path: at,
                    rule: rule.source.clone(),
                    verdict,
                    ratchetable: false_result && !rule.transition,
                });
            }
        }
        match new {
            Value::Object(map) => {
                for (key, value) in map {
                    let child = match node.properties.get(key) {
                        Some(child) => child,
                        None => match &node.additional {
                            Some(child) => child,
                            None => continue,
                        },
                    };
                    if !child.rules_below {
                        continue;
                    }
                    let len = path.len();
                    crate::path::push_field(path, key);
                    let old_child = old.and_then(|o| o.get(key));
                    self.walk(child, value, old_child, path, out);
                    path.truncate(len);
                }
            }
            Value::Array(items) => {
                let Some(child) = node.items.as_deref().filter(|c| c.rules_below) else {
                    return;
                };
                for (index, item) in items.iter().enumerate() {
                    let len = path.len();
                    crate::path::push_index(path, index);
                    let old_item = match (&node.map_keys, old) {
                        (Some(keys), Some(Value::Array(old_items))) => {
                            old_items.iter().find(|o| same_keys(keys, o, item))
                        }
                        _ => None,
                    };
                    self.walk(child, item, old_item, path, out);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }

    /// `None` when the rule passed or does not apply; else the verdict, and whether the rule
    /// evaluated to false (rather than failing to evaluate).
    fn evaluate(
        &self,
        rule: &Rule,
        node: &Node,
        new: &Value,
        old: Option<&Value>,
        converted: &mut Converted,
    ) -> Option<(Verdict, bool)> {
        let not_checked = |reason: String| Some((Verdict::NotChecked { reason }, false));
        let program = match &rule.program {
            Ok(program) => program,
            Err(reason) => return not_checked(reason.clone()),
        };
        if rule.transition && old.is_none() && !rule.optional_old_self {
            // No old value here: a transition rule does not apply (as on create).
            return None;
        }
        let invalid_data = |reason: String| {
            Some((
                Verdict::Failed {
                    message: format!("{reason} evaluating rule: {}", rule_error_string(rule)),
                },
                false,
            ))
        };
        let value = match converted
            .new
            .get_or_insert_with(|| self.to_cel(Some(node), new, 0))
            .clone()
        {
            Ok(v) => v,
            Err(reason) if reason.starts_with(INVALID_DATA) => return invalid_data(reason),
            Err(reason) => return not_checked(reason),
        };
        let iteration = super::two_var::iteration(&rule.source);
        if let Some(reason) = touched_mismatch(node, new, &rule.source, iteration, true, 0) {
            return invalid_data(reason);
        }
        let mut ctx = Context::with_env(Arc::clone(&self.env));
        ctx.add_variable_from_value("self", value);
        if rule.transition {
            let old_value = match converted
                .old
                .get_or_insert_with(|| old.map(|o| self.to_cel(Some(node), o, 0)).transpose())
                .clone()
            {
                Ok(v) => v,
                Err(reason) if reason.starts_with(INVALID_DATA) => return invalid_data(reason),
                Err(reason) => return not_checked(reason),
            };
            let bound = if rule.optional_old_self {
                Cel::Opaque(Arc::new(match old_value {
                    Some(v) => OptionalValue::of(v),
                    None => OptionalValue::none(),
                }))
            } else {
                old_value.unwrap_or(Cel::Null)
            };
            ctx.add_variable_from_value("oldSelf", bound);
        }
        match program.execute(&ctx) {
            Ok(Cel::Bool(true)) => None,
            Ok(Cel::Bool(false)) => Some((
                Verdict::Failed {
                    message: self.message(rule, &ctx),
                },
                true,
            )),
            Ok(other) => not_checked(format!(
                "the rule evaluated to a {}, not a bool",
                other.type_of()
            )),
            Err(err) if data_error(&err) => Some((
                Verdict::Failed {
                    message: evaluation_error(&err, rule),
                },
                false,
            )),
            Err(err) => match self.unconverted_element(node, new, &rule.source, 0) {
                // The server converts list elements as the rule reads them, and fails it on
                // one that does not fit the schema (left there by ratcheting).
                Some(reason) => invalid_data(reason),
                None => not_checked(format!("the CEL evaluator could not evaluate it: {err}")),
            },
        }
    }

    /// A list element, in `value` or in a field of it the rule reads, that the server cannot
    /// convert to its schema's type: how the server words the failure.
    fn unconverted_element(
        &self,
        node: &Node,
        value: &Value,
        source: &str,
        depth: usize,
    ) -> Option<String> {
        if depth >= MAX_DEPTH {
            return None;
        }
        match value {
            Value::Array(items) => {
                let item_node = node.items.as_deref()?;
                items.iter().find_map(|item| {
                    self.unconvertible(item_node, item)
                        .or_else(|| self.unconverted_element(item_node, item, source, depth + 1))
                })
            }
            Value::Object(map) => map.iter().find_map(|(key, v)| {
                let child = node.properties.get(key).or(node.additional.as_deref())?;
                if !reads_field(source, key) {
                    return None;
                }
                self.unconverted_element(child, v, source, depth + 1)
            }),
            _ => None,
        }
    }

    /// The server's conversion error for `value` at a node of `node`'s type (data of another
    /// JSON type, a duration that does not parse), `None` if it converts.
    fn unconvertible(&self, node: &Node, value: &Value) -> Option<String> {
        if value.is_null() && !node.nullable {
            return Some(format!(
                "{INVALID_DATA}, got null for schema with nullable=false"
            ));
        }
        if let Some(expected) = mismatch(node.kind, value) {
            return Some(format!(
                "{INVALID_DATA}, expected {expected}, got {}",
                json_type(value)
            ));
        }
        match (node.kind, value) {
            (Kind::Duration, Value::String(s))
                if matches!(
                    self.convert(&self.converters.duration, s),
                    Ok(Cel::String(_))
                ) =>
            {
                Some(format!(
                    "Invalid duration {s}: unable to parse {s} as duration"
                ))
            }
            _ => None,
        }
    }

    fn message(&self, rule: &Rule, ctx: &Context<'_, '_>) -> String {
        if let Some(expr) = &rule.message_expression
            && let Ok(Cel::String(s)) = expr.execute(ctx)
            && !s.trim().is_empty()
        {
            return s.to_string();
        }
        match &rule.message {
            Some(m) if !m.trim().is_empty() => m.clone(),
            _ => format!("failed rule: {}", rule.source),
        }
    }

    /// The value as CEL sees it at a node of type `node` (`None`: no schema, plain JSON typing).
    fn to_cel(&self, node: Option<&Node>, value: &Value, depth: usize) -> Result<Cel, String> {
        if depth > MAX_DEPTH {
            return Err(format!("the value nests deeper than {MAX_DEPTH} levels"));
        }
        let kind = node.map_or(Kind::Any, |n| n.kind);
        if depth == 0
            && let Some(expected) = mismatch(kind, value)
        {
            // The server's conversion refuses data of the wrong type (an unchanged invalid
            // value that ratcheting let through): the rule fails with this error. It converts
            // lazily, so only `self` itself is held to this here (a wrongly typed field the
            // rule never reads fails nothing).
            return Err(format!(
                "{INVALID_DATA}, expected {expected}, got {}",
                json_type(value)
            ));
        }
        Ok(match value {
            Value::Null => Cel::Null,
            Value::Bool(b) => Cel::Bool(*b),
            Value::Number(n) => match kind {
                Kind::Number => Cel::Float(n.as_f64().unwrap_or(f64::NAN)),
                _ => match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => Cel::Int(i),
                    (None, Some(u)) => Cel::UInt(u),
                    _ => Cel::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
            },
            Value::String(s) => match kind {
                Kind::DateTime => self.convert(&self.converters.timestamp, s)?,
                Kind::Date => {
                    self.convert(&self.converters.timestamp, &format!("{s}T00:00:00Z"))?
                }
                Kind::Duration => self.convert(&self.converters.duration, s)?,
                // Kubernetes binds `format: byte` as the decoded bytes; a value that is not
                // base64 stays a string (the structural validator reports its format).
                Kind::Bytes => match base64_decode(s) {
                    Some(bytes) => Cel::Bytes(Arc::new(bytes)),
                    None => Cel::String(Arc::new(s.clone())),
                },
                _ => Cel::String(Arc::new(s.clone())),
            },
            Value::Array(items) => {
                let item_node = node.and_then(|n| n.items.as_deref());
                let list = items
                    .iter()
                    .map(|item| self.to_cel(item_node, item, depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                Cel::List(Arc::new(list))
            }
            Value::Object(map) => {
                let mut out: HashMap<Key, Cel> = HashMap::with_capacity(map.len());
                for (key, v) in map {
                    let child =
                        node.and_then(|n| n.properties.get(key).or(n.additional.as_deref()));
                    out.insert(
                        Key::String(Arc::new(key.clone())),
                        self.to_cel(child, v, depth + 1)?,
                    );
                }
                Cel::Map(CelMap::from(out))
            }
        })
    }

    fn convert(&self, program: &Option<Program>, text: &str) -> Result<Cel, String> {
        let Some(program) = program else {
            return Err("the CEL evaluator has no timestamp/duration support".to_string());
        };
        let mut ctx = Context::with_env(Arc::clone(&self.env));
        ctx.add_variable_from_value("s", text.to_string());
        // A value that does not parse stays a string: the structural validator reports its
        // format, and a rule comparing it as a timestamp is then not checked.
        Ok(program
            .execute(&ctx)
            .unwrap_or_else(|_| Cel::String(Arc::new(text.to_string()))))
    }
}

/// The CEL values of `self` and `oldSelf` at one node, converted on first use.
#[derive(Default)]
struct Converted {
    new: Option<Result<Cel, String>>,
    old: Option<Result<Option<Cel>, String>>,
}

/// How a value of the wrong type for its schema fails to convert, as the server words it.
const INVALID_DATA: &str = "invalid data";

/// The type a node of `kind` needs when `value` does not have it (`None`: it fits).
fn mismatch(kind: Kind, value: &Value) -> Option<&'static str> {
    let fits = match kind {
        Kind::Any | Kind::IntOrString => return None,
        _ if value.is_null() => return None,
        Kind::Object => value.is_object(),
        Kind::Array => value.is_array(),
        Kind::String | Kind::DateTime | Kind::Date | Kind::Duration | Kind::Bytes => {
            value.is_string()
        }
        // The server decodes `3.0` as a float64, which an integer field does not convert.
        Kind::Integer => value.as_i64().is_some() || value.as_u64().is_some(),
        Kind::Number => value.is_number(),
        Kind::Boolean => value.is_boolean(),
    };
    if fits {
        return None;
    }
    Some(match kind {
        Kind::Object => "map",
        Kind::Array => "list",
        Kind::Integer => "int",
        Kind::Number => "double",
        Kind::Boolean => "bool",
        _ => "string",
    })
}

/// A field below `value` whose JSON type does not fit its schema and that the rule reads (its
/// name appears as `.name` in the rule): the server converts lazily, so reading such a field
/// fails the rule, and a field never read fails nothing. The elements of a list the rule reads
/// (`read`) are read when it iterates lists, the values of a map when it iterates pairs (a
/// comprehension binds each). The server's conversion error is a value, absorbed where the
/// rule does not use it (a short-circuit, `exists` after a match): this estimate counts it.
fn touched_mismatch(
    node: &Node,
    value: &Value,
    source: &str,
    iteration: Iteration,
    read: bool,
    depth: usize,
) -> Option<String> {
    if depth >= MAX_DEPTH {
        return None;
    }
    let invalid = |expected: &str, v: &Value| {
        format!("{INVALID_DATA}, expected {expected}, got {}", json_type(v))
    };
    let map = match value {
        Value::Object(map) => map,
        Value::Array(items) if read && iteration.elements => {
            let item = node.items.as_deref()?;
            return items.iter().find_map(|v| match mismatch(item.kind, v) {
                Some(expected) => Some(invalid(expected, v)),
                None => touched_mismatch(item, v, source, iteration, true, depth + 1),
            });
        }
        _ => return None,
    };
    for (key, v) in map {
        let declared = node.properties.get(key);
        let Some(child) = declared.or(node.additional.as_deref()) else {
            continue;
        };
        let child_read =
            reads_field(source, key) || (declared.is_none() && read && iteration.pairs);
        if child_read && let Some(expected) = mismatch(child.kind, v) {
            return Some(invalid(expected, v));
        }
        if let Some(found) = touched_mismatch(child, v, source, iteration, child_read, depth + 1) {
            return Some(found);
        }
    }
    None
}

/// Whether the rule reads field `key` (`.key` not inside a `has(self.key)` presence test, which
/// does not convert the value).
fn reads_field(source: &str, key: &str) -> bool {
    let needle = format!(".{key}");
    source.match_indices(&needle).any(|(at, _)| {
        let after = source[at + needle.len()..].chars().next();
        let whole = !after.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let before = &source[..at];
        let presence = before.ends_with("has(self") || before.ends_with("has(oldSelf");
        whole && !presence
    })
}

/// The server's `ruleErrorString`: the rule's message, else its source.
fn rule_error_string(rule: &Rule) -> String {
    match &rule.message {
        Some(m) if !m.trim().is_empty() => m.trim().to_string(),
        _ => rule.source.trim().to_string(),
    }
}

/// How the server words a rule that failed to evaluate: a library function's own error (or the
/// crate's description of the others), `evaluating rule: <message or rule>`; a function that
/// refused its argument with "no such overload" (`containsIP('x')`) as a signature mismatch.
fn evaluation_error(err: &ExecutionError, rule: &Rule) -> String {
    let reason = match err {
        ExecutionError::FunctionError { message, .. } => message.clone(),
        other => other.to_string(),
    };
    if reason.starts_with("no such overload") {
        return format!(
            "'{reason}': call arguments did not match a supported operator, function or macro \
             signature for rule: {}",
            rule_error_string(rule)
        );
    }
    format!("{reason} evaluating rule: {}", rule_error_string(rule))
}

/// Go's name of the decoded JSON type, as the server's conversion error prints it.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Errors that the server would raise on the same data (and reject the object for).
fn data_error(err: &ExecutionError) -> bool {
    matches!(
        err,
        ExecutionError::NoSuchKey(_)
            | ExecutionError::IndexOutOfBounds(_)
            | ExecutionError::DivisionByZero(_)
            | ExecutionError::RemainderByZero(_)
            | ExecutionError::Overflow(..)
            // A library function refusing its argument: `duration('bad')`, `url('x')`.
            | ExecutionError::FunctionError { .. }
    )
}

/// Standard base64 with optional padding (what `format: byte` holds); `None` if it is not.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let digits = text.trim_end_matches('=');
    if text.len() - digits.len() > 2 || digits.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in digits.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

fn shown(path: &str) -> String {
    if path.is_empty() {
        ".".to_string()
    } else {
        path.to_string()
    }
}

/// Whether old item `a` correlates with new item `b` of a map list: equal keys, each a scalar
/// (the server's `MapList` keys nothing else).
fn same_keys(keys: &[String], a: &Value, b: &Value) -> bool {
    keys.iter()
        .all(|k| super::ratchet::is_map_key(b.get(k)) && a.get(k) == b.get(k))
}

fn compile(schema: &Value, env: &Env, depth: usize, count: &mut usize) -> Node {
    let Some(map) = schema.as_object() else {
        return Node::default();
    };
    if depth >= MAX_DEPTH {
        let cut = has_rules(schema);
        return Node {
            rules_below: cut,
            cut,
            ..Node::default()
        };
    }
    let mut node = Node {
        kind: kind_of(map),
        nullable: map.get("nullable") == Some(&Value::Bool(true)),
        ..Node::default()
    };
    if let Some(Value::Array(rules)) = map.get("x-kubernetes-validations") {
        for raw in rules {
            if let Some(rule) = compile_rule(raw, env) {
                *count += 1;
                node.rules.push(rule);
            }
        }
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        for (key, child) in props {
            node.properties
                .insert(key.clone(), compile(child, env, depth + 1, count));
        }
    }
    if let Some(additional @ Value::Object(_)) = map.get("additionalProperties") {
        node.additional = Some(Box::new(compile(additional, env, depth + 1, count)));
    }
    if let Some(items @ Value::Object(_)) = map.get("items") {
        node.items = Some(Box::new(compile(items, env, depth + 1, count)));
    }
    if map.get("x-kubernetes-list-type").and_then(Value::as_str) == Some("map")
        && let Some(Value::Array(keys)) = map.get("x-kubernetes-list-map-keys")
    {
        node.map_keys = Some(
            keys.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        );
    }
    node.rules_below = !node.rules.is_empty()
        || node.properties.values().any(|c| c.rules_below)
        || node.additional.as_deref().is_some_and(|c| c.rules_below)
        || node.items.as_deref().is_some_and(|c| c.rules_below);
    node
}

fn kind_of(map: &serde_json::Map<String, Value>) -> Kind {
    if map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        return Kind::IntOrString;
    }
    match map.get("type").and_then(Value::as_str) {
        Some("object") => Kind::Object,
        Some("array") => Kind::Array,
        Some("integer") => Kind::Integer,
        Some("number") => Kind::Number,
        Some("boolean") => Kind::Boolean,
        Some("string") => match map.get("format").and_then(Value::as_str) {
            Some("date-time") => Kind::DateTime,
            Some("date") => Kind::Date,
            Some("duration") => Kind::Duration,
            Some("byte") => Kind::Bytes,
            _ => Kind::String,
        },
        _ => Kind::Any,
    }
}

/// Whether any node of `schema` carries rules (iterative: used below the depth limit).
fn has_rules(schema: &Value) -> bool {
    let mut pending = vec![schema];
    while let Some(v) = pending.pop() {
        match v {
            Value::Object(map) => {
                if map.contains_key("x-kubernetes-validations") {
                    return true;
                }
                pending.extend(map.values());
            }
            Value::Array(items) => pending.extend(items.iter()),
            _ => {}
        }
    }
    false
}

fn compile_rule(raw: &Value, env: &Env) -> Option<Rule> {
    let source = raw.get("rule")?.as_str()?.to_string();
    let text = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_string);
    let program = prepare(&source, env);
    let transition = match &program {
        Ok(p) => p.references().has_variable("oldSelf"),
        // Not evaluated anyway; a plain text search only decides how it is reported.
        Err(_) => source.contains("oldSelf"),
    };
    Some(Rule {
        message: text("message"),
        message_expression: text("messageExpression").and_then(|m| prepare(&m, env).ok()),
        field_path: text("fieldPath").filter(|f| f.starts_with('.') || f.starts_with('[')),
        transition,
        optional_old_self: raw.get("optionalOldSelf") == Some(&Value::Bool(true)),
        program,
        source,
    })
}

/// Parses a rule, or says why it will not be checked.
fn prepare(source: &str, env: &Env) -> Result<Program, String> {
    if nesting(source) > MAX_RULE_NESTING {
        return Err(format!(
            "the rule nests brackets deeper than {MAX_RULE_NESTING} levels, beyond what the CEL evaluator parses"
        ));
    }
    let program = env.compile(source).map_err(|e| {
        let first = e.to_string();
        let first = first.lines().next().unwrap_or("").trim().to_string();
        format!("the CEL evaluator cannot parse it ({first})")
    })?;
    let references = program.references();
    if let Some(f) = KUBERNETES_ONLY.iter().find(|f| references.has_function(f)) {
        return Err(format!(
            "it calls {f}(), a Kubernetes CEL library function the CEL evaluator does not have"
        ));
    }
    if references.has_variable("format") {
        return Err(
            "it uses the Kubernetes `format` library, which the CEL evaluator does not have"
                .to_string(),
        );
    }
    Ok(program)
}

/// Deepest nesting of `(`, `[` and `{` outside string literals.
fn nesting(source: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in source.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules_at_spec(rules: Value, spec_props: Value) -> CelRules {
        CelRules::new(&json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "x-kubernetes-validations": rules,
                    "properties": spec_props
                }
            }
        }))
    }

    fn verdicts(rules: &CelRules, spec: Value, old: Option<Value>) -> Vec<Finding> {
        let old = old.map(|o| json!({"spec": o}));
        rules.check(&json!({"spec": spec}), old.as_ref())
    }

    fn props() -> Value {
        json!({
            "replicas": {"type": "integer"},
            "ratio": {"type": "number"},
            "name": {"type": "string"},
            "start": {"type": "string", "format": "date-time"},
            "timeout": {"type": "string", "format": "duration"},
            "data": {"type": "string", "format": "byte"},
            "tags": {"type": "array", "items": {"type": "string"}}
        })
    }

    #[test]
    fn true_passes_false_fails_with_the_message() {
        let r = rules_at_spec(
            json!([
                {"rule": "self.replicas <= 5", "message": "at most 5 replicas"},
                {"rule": "self.name.startsWith('emp-')"}
            ]),
            props(),
        );
        assert_eq!(r.len(), 2);
        assert!(verdicts(&r, json!({"replicas": 3, "name": "emp-1"}), None).is_empty());
        let found = verdicts(&r, json!({"replicas": 7, "name": "x"}), None);
        assert_eq!(
            found,
            vec![
                Finding {
                    path: ".spec".into(),
                    rule: "self.replicas <= 5".into(),
                    verdict: Verdict::Failed {
                        message: "at most 5 replicas".into()
                    },
                    ratchetable: true,
                },
                Finding {
                    path: ".spec".into(),
                    rule: "self.name.startsWith('emp-')".into(),
                    verdict: Verdict::Failed {
                        message: "failed rule: self.name.startsWith('emp-')".into()
                    },
                    ratchetable: true,
                }
            ]
        );
    }

    #[test]
    fn a_missing_key_fails_like_on_the_server() {
        let r = rules_at_spec(json!([{"rule": "self.replicas > 0"}]), props());
        let found = verdicts(&r, json!({}), None);
        assert!(
            matches!(&found[..], [Finding { verdict: Verdict::Failed { message }, .. }] if message.contains("No such key")),
            "{found:?}"
        );
        let r = rules_at_spec(
            json!([{"rule": "!has(self.replicas) || self.replicas > 0"}]),
            props(),
        );
        assert!(verdicts(&r, json!({}), None).is_empty());
    }

    #[test]
    fn numbers_and_times_are_typed_by_the_schema() {
        let r = rules_at_spec(
            json!([
                {"rule": "self.ratio > 0.5"},
                {"rule": "self.start < timestamp('2030-01-01T00:00:00Z')"},
                {"rule": "self.timeout <= duration('1h')"}
            ]),
            props(),
        );
        // `ratio: 1` is a number field: a double, so `> 0.5` compares doubles.
        let ok = json!({"ratio": 1, "start": "2026-05-01T10:00:00Z", "timeout": "30m"});
        assert!(
            verdicts(&r, ok, None).is_empty(),
            "{:?}",
            verdicts(&r, json!({}), None)
        );
        let late = json!({"ratio": 1, "start": "2031-05-01T10:00:00Z", "timeout": "2h"});
        assert_eq!(verdicts(&r, late, None).len(), 2);
    }

    #[test]
    fn what_cannot_be_evaluated_is_not_checked_never_passed() {
        for (rule, why) in [
            (
                "authorizer.group('apps').check('get').allowed()",
                "authorizer",
            ),
            (
                "format.dns1123Label().validate(self.name).hasValue() == false",
                "`format` library",
            ),
            ("self.name +", "cannot parse"),
            ("self.name", "not a bool"),
        ] {
            let r = rules_at_spec(json!([{"rule": rule}]), props());
            let found = verdicts(
                &r,
                json!({"name": "a", "tags": ["b"], "data": "aGk="}),
                None,
            );
            match &found[..] {
                [
                    Finding {
                        verdict: Verdict::NotChecked { reason },
                        ..
                    },
                ] => {
                    assert!(reason.contains(why), "{rule}: {reason}")
                }
                other => panic!("{rule}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_list_and_regex_libraries_of_kubernetes_are_there() {
        for (rule, holds) in [
            ("self.tags.isSorted()", true),
            ("self.tags.max() == 'z'", false),
            ("self.name.find('[a-z]+') == 'a'", true),
            ("self.name.findAll('x').size() == 1", false),
        ] {
            let r = rules_at_spec(json!([{"rule": rule}]), props());
            let found = verdicts(&r, json!({"name": "a", "tags": ["b", "c"]}), None);
            match &found[..] {
                [] => assert!(holds, "{rule} passed"),
                [
                    Finding {
                        verdict: Verdict::Failed { .. },
                        ..
                    },
                ] => assert!(!holds, "{rule} failed"),
                other => panic!("{rule}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_quantity_library_of_kubernetes_is_there() {
        for (rule, name, holds) in [
            (
                "quantity(self.name).isLessThan(quantity('1Gi'))",
                "512Mi",
                true,
            ),
            (
                "quantity(self.name).isLessThan(quantity('1Gi'))",
                "2G",
                false,
            ),
            ("quantity(self.name) == quantity('1024Ki')", "1Mi", true),
            (
                "quantity(self.name).add(1).compareTo(quantity('1k')) == 0",
                "999",
                true,
            ),
            (
                "quantity(self.name).sub(quantity('500m')).asApproximateFloat() == 0.5",
                "1",
                true,
            ),
            (
                "quantity(self.name).isInteger() && quantity(self.name).asInteger() == 1500",
                "1.5k",
                true,
            ),
            ("quantity(self.name).sign() == -1", "-1m", true),
            ("isQuantity(self.name)", "10x", false),
        ] {
            let r = rules_at_spec(json!([{"rule": rule}]), props());
            let found = verdicts(&r, json!({"name": name, "tags": []}), None);
            assert_eq!(found.is_empty(), holds, "{rule} on {name}: {found:?}");
        }
        // A string that is no quantity fails the rule with the server's error.
        let r = rules_at_spec(
            json!([{"rule": "quantity(self.name).sign() == 1"}]),
            props(),
        );
        let found = verdicts(&r, json!({"name": "hq", "tags": []}), None);
        assert!(
            matches!(&found[..], [Finding { verdict: Verdict::Failed { message }, .. }]
                if message.contains("quantities must match the regular expression")),
            "{found:?}"
        );
    }

    #[test]
    fn the_url_library_of_kubernetes_is_there() {
        let r = rules_at_spec(
            json!([{"rule": "isURL(self.name) && url(self.name).getScheme() == 'https' && url(self.name).getPort() == '8443'"}]),
            props(),
        );
        assert!(verdicts(&r, json!({"name": "https://a.example:8443/x"}), None).is_empty());
        assert_eq!(
            verdicts(&r, json!({"name": "http://a.example/x"}), None).len(),
            1
        );
        assert_eq!(verdicts(&r, json!({"name": "not a url"}), None).len(), 1);
    }

    #[test]
    fn the_ip_and_cidr_libraries_of_kubernetes_are_there() {
        let r = rules_at_spec(
            json!([
                {"rule": "ip(self.name).family() == 4", "message": "IPv4 only"},
                {"rule": "self.tags.all(t, isCIDR(t) && cidr(t).containsIP(self.name))"}
            ]),
            props(),
        );
        let ok = json!({"name": "10.1.2.3", "tags": ["10.0.0.0/8", "0.0.0.0/0"]});
        assert!(verdicts(&r, ok, None).is_empty());
        let v6 = verdicts(&r, json!({"name": "::1", "tags": []}), None);
        assert!(
            matches!(&v6[..], [Finding { verdict: Verdict::Failed { message }, .. }]
                if message == "IPv4 only"),
            "{v6:?}"
        );
        // A string that is no IP fails the rule with the server's parse error, as on the server.
        let bad = verdicts(&r, json!({"name": "Same", "tags": []}), None);
        assert!(
            matches!(&bad[..], [Finding { verdict: Verdict::Failed { message }, ratchetable: false, .. }]
                if message == "IP Address \"Same\" parse error during conversion from string: \
                    ParseAddr(\"Same\"): unable to parse IP evaluating rule: IPv4 only"),
            "{bad:?}"
        );
        // `containsIP` of a string that is no IP: the server's signature-mismatch wording.
        let bad = verdicts(&r, json!({"name": "Same", "tags": ["10.0.0.0/8"]}), None);
        assert!(
            bad.iter()
                .any(|f| matches!(&f.verdict, Verdict::Failed { message }
                if message == "'no such overload': call arguments did not match a supported \
                    operator, function or macro signature for rule: \
                    self.tags.all(t, isCIDR(t) && cidr(t).containsIP(self.name))")),
            "{bad:?}"
        );
    }

    #[test]
    fn runtime_errors_of_library_functions_fail_the_rule() {
        // The server rejects the object with "... evaluating rule: ...".
        for rule in [
            "duration(self.name) > duration('1s')",
            "url(self.name).getHost() == 'x'",
            "self.name.matches('[a-z')",
        ] {
            let r = rules_at_spec(json!([{"rule": rule}]), props());
            let found = verdicts(&r, json!({"name": "bad"}), None);
            assert!(
                matches!(
                    &found[..],
                    [Finding {
                        verdict: Verdict::Failed { .. },
                        ..
                    }]
                ),
                "{rule}: {found:?}"
            );
        }
    }

    #[test]
    fn the_string_library_of_kubernetes_is_there() {
        let r = rules_at_spec(
            json!([{"rule": "self.name.lowerAscii() == self.name && self.name.split('-').size() == 2"}]),
            props(),
        );
        assert!(verdicts(&r, json!({"name": "emp-1"}), None).is_empty());
        assert_eq!(verdicts(&r, json!({"name": "Emp-1"}), None).len(), 1);
    }

    #[test]
    fn bytes_are_decoded() {
        let r = rules_at_spec(json!([{"rule": "size(self.data) == 2"}]), props());
        assert!(verdicts(&r, json!({"data": "aGk="}), None).is_empty());
        assert_eq!(verdicts(&r, json!({"data": "aGVsbG8="}), None).len(), 1);
        assert_eq!(base64_decode("aGVsbG8"), Some(b"hello".to_vec()));
        assert_eq!(base64_decode("a"), None);
        assert_eq!(base64_decode("a*=="), None);
    }

    #[test]
    fn deep_rules_are_not_checked_and_do_not_crash() {
        let deep = format!("{}true{}", "(".repeat(5000), ")".repeat(5000));
        let r = rules_at_spec(json!([{"rule": deep}]), props());
        let found = verdicts(&r, json!({}), None);
        assert!(
            matches!(
                &found[..],
                [Finding {
                    verdict: Verdict::NotChecked { .. },
                    ..
                }]
            ),
            "{found:?}"
        );
        let fine = format!("{}true{}", "(".repeat(40), ")".repeat(40));
        let r = rules_at_spec(json!([{"rule": fine}]), props());
        assert!(verdicts(&r, json!({}), None).is_empty());
        // A schema deeper than the limit with a rule at the bottom.
        let mut schema = json!({"type": "object", "x-kubernetes-validations": [{"rule": "false"}]});
        let mut value = json!({});
        for _ in 0..(MAX_DEPTH + 5) {
            schema = json!({"type": "object", "properties": {"a": schema}});
            value = json!({"a": value});
        }
        let r = CelRules::new(&schema);
        let found = r.check(&value, None);
        assert!(
            matches!(
                &found[..],
                [Finding {
                    verdict: Verdict::NotChecked { .. },
                    ..
                }]
            ),
            "{found:?}"
        );
    }

    #[test]
    fn transition_rules_need_an_old_value() {
        let r = rules_at_spec(
            json!([{"rule": "self.replicas >= oldSelf.replicas", "message": "no scaling down"}]),
            props(),
        );
        assert!(
            verdicts(&r, json!({"replicas": 1}), None).is_empty(),
            "no old: not applied"
        );
        assert!(verdicts(&r, json!({"replicas": 3}), Some(json!({"replicas": 2}))).is_empty());
        let found = verdicts(&r, json!({"replicas": 1}), Some(json!({"replicas": 2})));
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].verdict,
            Verdict::Failed {
                message: "no scaling down".into()
            }
        );
    }

    #[test]
    fn optional_old_self_binds_an_optional() {
        let r = rules_at_spec(
            json!([{"rule": "!oldSelf.hasValue() || self.replicas >= oldSelf.value().replicas", "optionalOldSelf": true}]),
            props(),
        );
        assert!(verdicts(&r, json!({"replicas": 1}), None).is_empty());
        assert_eq!(
            verdicts(&r, json!({"replicas": 1}), Some(json!({"replicas": 2}))).len(),
            1
        );
    }

    #[test]
    fn map_list_items_keyed_by_no_scalar_have_no_old_value() {
        let schema = json!({"type": "object", "properties": {"ports": {"type": "array",
            "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
            "items": {"type": "object",
                "x-kubernetes-validations": [{"rule": "self.port == oldSelf.port"}],
                "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}}}});
        let r = CelRules::new(&schema);
        // Keyed by a string: the item correlates, the transition rule runs and fails.
        let old = json!({"ports": [{"name": "a", "port": 1}]});
        let new = json!({"ports": [{"name": "a", "port": 2}]});
        assert_eq!(r.check(&new, Some(&old)).len(), 1);
        // Keyed by an object, or missing the key: no old item, the rule does not apply.
        for key in [json!({"x": 1}), Value::Null] {
            let old = json!({"ports": [{"name": key, "port": 1}]});
            let new = json!({"ports": [{"name": key, "port": 2}]});
            assert!(r.check(&new, Some(&old)).is_empty(), "{key}");
        }
        let old = json!({"ports": [{"port": 1}]});
        let new = json!({"ports": [{"port": 2}]});
        assert!(r.check(&new, Some(&old)).is_empty());
    }

    #[test]
    fn rules_in_lists_and_maps_name_the_item() {
        let schema = json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {
                "ports": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {
                        "type": "object",
                        "x-kubernetes-validations": [
                            {"rule": "self.port > 0", "fieldPath": ".port"},
                            {"rule": "self.port == oldSelf.port", "message": "port is immutable"}
                        ],
                        "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}
                    }
                },
                "limits": {
                    "type": "object",
                    "additionalProperties": {"type": "integer", "x-kubernetes-validations": [{"rule": "self < 10"}]}
                }
            }}}
        });
        let r = CelRules::new(&schema);
        let new = json!({"spec": {
            "ports": [{"name": "a", "port": 0}, {"name": "b", "port": 2}],
            "limits": {"cpu": 3, "mem": 12}
        }});
        let old = json!({"spec": {"ports": [{"name": "b", "port": 1}]}});
        let found = r.check(&new, Some(&old));
        let mut shown: Vec<(String, String)> = found
            .iter()
            .map(|f| match &f.verdict {
                Verdict::Failed { message } => (f.path.clone(), message.clone()),
                Verdict::NotChecked { reason } => (f.path.clone(), reason.clone()),
            })
            .collect();
        // Findings come in schema order; the set is what matters here.
        shown.sort();
        assert_eq!(
            shown,
            vec![
                (
                    ".spec.limits.mem".to_string(),
                    "failed rule: self < 10".to_string()
                ),
                (
                    ".spec.ports[0].port".to_string(),
                    "failed rule: self.port > 0".to_string()
                ),
                (
                    ".spec.ports[1]".to_string(),
                    "port is immutable".to_string()
                ),
            ]
        );
    }

    #[test]
    fn nulls_and_schemas_without_rules() {
        let r = rules_at_spec(json!([{"rule": "false"}]), props());
        assert!(r.check(&json!({"spec": null}), None).is_empty());
        let none = CelRules::new(&json!({"type": "object"}));
        assert!(none.is_empty());
        assert!(none.check(&json!({"spec": 1}), None).is_empty());
    }

    #[test]
    fn message_expressions() {
        let r = rules_at_spec(
            json!([{"rule": "self.replicas < 3", "messageExpression": "'too many: ' + string(self.replicas)"}]),
            props(),
        );
        let found = verdicts(&r, json!({"replicas": 4}), None);
        assert_eq!(
            found[0].verdict,
            Verdict::Failed {
                message: "too many: 4".into()
            }
        );
    }

    #[test]
    fn shareable_between_threads() {
        fn check<T: Send + Sync>() {}
        check::<CelRules>();
    }
}

#[cfg(test)]
mod two_var_tests {
    use super::*;
    use serde_json::json;

    /// Verdicts measured with cr-apiserver-validate (Kubernetes 1.36) on the same rules and
    /// objects: the failed rules by index, and the evaluation errors' messages.
    #[test]
    fn two_variable_comprehensions_evaluate_as_on_the_server() {
        let rules = [
            "self.items.all(i, v, i < 3 && v.size() > 0)",
            "self.labels.exists(k, v, k == 'a' && v == 'b')",
            "self.items.existsOne(i, v, v == 'x')",
            "self.items.exists_one(i, v, v == 'x' && i == 1)",
            "self.items.transformList(i, v, v + 'x') == self.items.map(v, v + 'x')",
            "self.items.transformList(i, v, i > 0, v) == ['x', 'y']",
            "self.labels.transformMap(k, v, v + 'x') == {'a': 'bx', 'c': 'dx'}",
            "self.items.transformMapEntry(i, v, {v: i}).size() == 3",
            "self.labels.transformMapEntry(k, v, k != 'z', {v: k}) == {'b': 'a', 'd': 'c'}",
            "self.items.transformMap(i, v, i > 0, v) == {1: 'x', 2: 'y'}",
            "self.nums.all(i, v, v / (i - 1) >= 0 || i == 1)",
        ];
        let compiled = CelRules::new(&json!({
            "type": "object",
            "properties": {"spec": {
                "type": "object",
                "x-kubernetes-validations":
                    rules.iter().map(|r| json!({"rule": r})).collect::<Vec<_>>(),
                "properties": {
                    "items": {"type": "array", "items": {"type": "string"}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "nums": {"type": "array", "items": {"type": "integer"}}
                }
            }}
        }));
        let duplicate = "insert failed: key x already exists evaluating rule: \
                         self.items.transformMapEntry(i, v, {v: i}).size() == 3";
        // The server's "no such key" is capitalized by the crate, as for every rule.
        let no_labels = |rule: &str| format!("No such key: labels evaluating rule: {rule}");
        let cases = [
            (
                json!({"items": ["w", "x", "y"], "labels": {"a": "b", "c": "d"}, "nums": [1, 2, 3]}),
                vec![(10, None)],
            ),
            (
                json!({"items": ["w", "x", "x", "y"], "labels": {"a": "c", "c": "d", "x": "b"},
                       "nums": [1, -2]}),
                vec![
                    (0, None),
                    (1, None),
                    (2, None),
                    (5, None),
                    (6, None),
                    (7, Some(duplicate.to_string())),
                    (8, None),
                    (9, None),
                    (10, None),
                ],
            ),
            (
                json!({"items": ["x", "x"], "nums": [0]}),
                vec![
                    (1, Some(no_labels(rules[1]))),
                    (2, None),
                    (5, None),
                    (6, Some(no_labels(rules[6]))),
                    (7, Some(duplicate.to_string())),
                    (8, Some(no_labels(rules[8]))),
                    (9, None),
                ],
            ),
        ];
        for (spec, expected) in cases {
            let found = compiled.check(&json!({"spec": spec}), None);
            let got: Vec<(usize, Option<String>)> = found
                .iter()
                .map(|f| {
                    let index = rules.iter().position(|r| *r == f.rule).expect("a rule");
                    match &f.verdict {
                        Verdict::Failed { message } if message.starts_with("failed rule") => {
                            (index, None)
                        }
                        Verdict::Failed { message } => (index, Some(message.clone())),
                        Verdict::NotChecked { reason } => {
                            (index, Some(format!("not checked: {reason}")))
                        }
                    }
                })
                .collect();
            assert_eq!(got, expected, "{spec}");
        }
    }

    /// Data of the wrong type (kept by ratcheting) in the elements of a list or the values of a
    /// map the rule iterates fails the rule; the server's messages (cr-apiserver-validate, on
    /// updates of stored objects holding such data).
    #[test]
    fn iterated_data_of_the_wrong_type_fails_the_rule() {
        let compiled = CelRules::new(&json!({
            "type": "object",
            "properties": {"spec": {
                "type": "object",
                "x-kubernetes-validations": [
                    {"rule": "!has(self.cidrs) || self.cidrs.all(c, c != '')",
                     "message": "cidrs are set"},
                    {"rule": "!has(self.weights) || self.weights.transformMap(k, w, w * 2).all(k, d, d < 50)",
                     "message": "weights are below 25"},
                    {"rule": "!has(self.owners) || self.owners.transformMapEntry(k, v, {v: k}).size() >= 1",
                     "message": "owners are distinct"},
                    {"rule": "!has(self.owners) || self.owners.exists(k, k == 'x') || true",
                     "message": "keys only"}
                ],
                "properties": {
                    "cidrs": {"type": "array", "items": {"type": "string"}},
                    "weights": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "owners": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            }}
        }));
        let messages = |spec: Value| -> Vec<String> {
            compiled
                .check(&json!({"spec": spec}), None)
                .into_iter()
                .map(|f| match f.verdict {
                    Verdict::Failed { message } => message,
                    Verdict::NotChecked { reason } => format!("not checked: {reason}"),
                })
                .collect()
        };
        assert_eq!(
            messages(json!({"cidrs": ["10.0.0.0/8", {"unknownField": 1}]})),
            vec![
                "invalid data, expected string, got map[string]interface {} evaluating rule: \
                 cidrs are set"
            ]
        );
        assert_eq!(
            messages(json!({"weights": {"k0": 3.0, "k1": -5}})),
            vec!["invalid data, expected int, got float64 evaluating rule: weights are below 25"]
        );
        // A one-variable comprehension over a map binds its keys only.
        assert_eq!(
            messages(json!({"owners": {"k0": "alice", "k1": -1}})),
            vec!["invalid data, expected string, got int64 evaluating rule: owners are distinct"]
        );
    }

    /// Run-time type errors of two-variable comprehensions reached through `dyn`, in the
    /// server's words (cr-apiserver-validate).
    #[test]
    fn two_variable_type_errors_through_dyn() {
        let rules = [
            "self.items.transformMapEntry(i, v, dyn(v)).size() >= 0",
            "dyn(self.s).all(i, v, true)",
        ];
        let compiled = CelRules::new(&json!({
            "type": "object",
            "properties": {"spec": {
                "type": "object",
                "x-kubernetes-validations":
                    rules.iter().map(|r| json!({"rule": r})).collect::<Vec<_>>(),
                "properties": {
                    "items": {"type": "array", "items": {"type": "string"}},
                    "s": {"type": "string"}
                }
            }}
        }));
        let found: Vec<String> = compiled
            .check(&json!({"spec": {"items": ["w"], "s": "a"}}), None)
            .into_iter()
            .map(|f| match f.verdict {
                Verdict::Failed { message } => message,
                Verdict::NotChecked { reason } => format!("not checked: {reason}"),
            })
            .collect();
        assert_eq!(
            found,
            vec![
                format!(
                    "'no such overload: cel.@mapInsert(map, string)': call arguments did not \
                     match a supported operator, function or macro signature for rule: {}",
                    rules[0]
                ),
                format!(
                    "unsupported comprehension range type: types.String evaluating rule: {}",
                    rules[1]
                ),
            ]
        );
    }

    /// `reverse()` is the lists extension's: of a list the reversed list, of a string (reached
    /// through `dyn`) an error, as cr-apiserver-validate answers.
    #[test]
    fn reverse_is_for_lists_only() {
        let rules = [
            "dyn(self.items).reverse()[0] == 'y'",
            "!has(self.s) || dyn(self.s).reverse().size() == 1",
            "self.items.reverse() == ['y', 'x', 'w']",
        ];
        let compiled = CelRules::new(&json!({
            "type": "object",
            "properties": {"spec": {
                "type": "object",
                "x-kubernetes-validations":
                    rules.iter().map(|r| json!({"rule": r})).collect::<Vec<_>>(),
                "properties": {
                    "items": {"type": "array", "items": {"type": "string"}},
                    "s": {"type": "string"}
                }
            }}
        }));
        let verdicts = |spec: Value| -> Vec<String> {
            compiled
                .check(&json!({"spec": spec}), None)
                .into_iter()
                .map(|f| match f.verdict {
                    Verdict::Failed { message } => message,
                    Verdict::NotChecked { reason } => format!("not checked: {reason}"),
                })
                .collect()
        };
        assert_eq!(
            verdicts(json!({"items": ["w", "x", "y"], "s": "a"})),
            vec![
                "'no such overload: reverse(string)': call arguments did not match a supported \
                 operator, function or macro signature for rule: !has(self.s) || \
                 dyn(self.s).reverse().size() == 1"
            ]
        );
        assert_eq!(
            verdicts(json!({"items": ["y", "x"]})),
            vec![
                format!("failed rule: {}", rules[0]),
                format!("failed rule: {}", rules[2])
            ]
        );
    }
}
