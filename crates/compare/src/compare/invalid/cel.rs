//! `x-kubernetes-validations` as the API server compiles them when a CRD is written
//! (apiextensions-apiserver `validation.go` and `schema/cel`): a rule or `messageExpression` must
//! parse and type-check against the schema it sits on, `fieldPath` must name a field of that
//! schema, `optionalOldSelf` needs a rule that uses `oldSelf`, and `oldSelf` cannot be used below
//! a list that is not a `map` list (old and new items cannot be paired).
//!
//! Parsing uses the `cel` crate (the same grammar, optional syntax on), with cel-go's
//! two-variable comprehensions expanded as cel-go expands them
//! ([`nexus_schema::object::two_var`]: index and element over a list, key and value over a map).
//! The `cel` crate has no type checker, so [`Checker`] infers types from the schema and reports only what is certainly
//! wrong: a field the schema does not declare, a comprehension over a scalar or object, string
//! functions on other types, comparisons of different scalar types, a rule that is not a bool.
//! Anything it cannot type is `dyn` and accepted. Costs are estimated in [`super::cost`].

use super::cost::{SchemaStep, pointer};
use cel::IdedExpr;
use cel::common::ast::{Expr, LiteralValue};
use nexus_schema::lookup::field;
use serde_json::{Map, Value};

/// One problem with a rule: where (relative to the schema node: `x-kubernetes-validations/0/rule`)
/// and the server's reason.
pub struct RuleProblem {
    /// Pointer below the version's `openAPIV3Schema`.
    pub pointer: String,
    pub message: String,
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    nexus_schema::lookup::member(v, key).filter(|v| !v.is_null())
}

/// Checks every rule of one version's schema.
pub fn check_rules(root: &Value) -> Vec<RuleProblem> {
    let version_root = root;
    let mut out = Vec::new();
    // Where each node sits (see `cost::pointer`): spelled only for nodes with rules.
    let mut places: Vec<(usize, SchemaStep<'_>)> = vec![(0, SchemaStep::Root)];
    // (node, its place, below a list whose items cannot be correlated)
    let mut stack: Vec<(&Value, usize, bool)> = vec![(root, 0, false)];
    while let Some((node, place, uncorrelatable)) = stack.pop() {
        let Some(obj) = node.as_object() else {
            continue;
        };
        if let Some(rules) = get(node, "x-kubernetes-validations").and_then(Value::as_array) {
            let at = pointer(&places, place);
            if !rules.is_empty() && !has_decl_type(node) {
                // The server cannot declare the node in CEL and compiles none of its rules.
                out.push(RuleProblem {
                    pointer: format!("{at}/x-kubernetes-validations"),
                    message: "Internal error: failed to construct type information for \
                              x-kubernetes-validations rules: unable to convert structural \
                              schema to CEL declarations (a type that is not an OpenAPI type, \
                              kept by this update, has no CEL type; fix the type or move the \
                              rules)"
                        .to_string(),
                });
            } else {
                for (i, rule) in rules.iter().enumerate() {
                    let at = format!("{at}/x-kubernetes-validations/{i}");
                    check_rule(version_root, node, rule, &at, uncorrelatable, &mut out);
                }
            }
        }
        let mut child = |step| {
            places.push((place, step));
            places.len() - 1
        };
        if let Some(props) = field(obj, "properties").and_then(Value::as_object) {
            for (k, value) in props.iter().rev() {
                stack.push((value, child(SchemaStep::Property(k)), uncorrelatable));
            }
        }
        if let Some(items) = field(obj, "items").filter(|i| i.is_object()) {
            let map_list =
                field(obj, "x-kubernetes-list-type").and_then(Value::as_str) == Some("map");
            stack.push((items, child(SchemaStep::Items), uncorrelatable || !map_list));
        }
        if let Some(extra) = field(obj, "additionalProperties").filter(|i| i.is_object()) {
            stack.push((
                extra,
                child(SchemaStep::AdditionalProperties),
                uncorrelatable,
            ));
        }
    }
    out
}

/// Whether a rule and its `messageExpression` compile on `schema` (the server estimates the cost
/// of those that do).
pub(super) fn compiles(root: &Value, schema: &Value, rule: &Value) -> (bool, bool) {
    let optional_old_self = rule.get("optionalOldSelf").is_some_and(|v| !v.is_null());
    let text = rule.get("rule").and_then(Value::as_str).unwrap_or("");
    let rule_ok = compile(root, text, schema, optional_old_self, true).is_ok();
    let message_ok = rule
        .get("messageExpression")
        .and_then(Value::as_str)
        .is_some_and(|m| compile(root, m, schema, optional_old_self, false).is_ok());
    (rule_ok, message_ok)
}

fn check_rule(
    root: &Value,
    schema: &Value,
    rule: &Value,
    at: &str,
    uncorrelatable: bool,
    out: &mut Vec<RuleProblem>,
) {
    let Some(text) = rule
        .get("rule")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
    else {
        return;
    };
    let mut problem = |key: &str, message: String| {
        out.push(RuleProblem {
            pointer: format!("{at}/{key}"),
            message,
        });
    };
    if let Some(fp) = rule.get("fieldPath").and_then(Value::as_str)
        && !fp.trim().is_empty()
        && !fp.contains(['\n', '\r'])
        && let Err(e) = valid_field_path(fp, schema)
    {
        problem(
            "fieldPath",
            format!("Invalid value: {fp:?}: must be a valid path ({e})"),
        );
    }
    let optional_old_self = rule.get("optionalOldSelf").is_some_and(|v| !v.is_null());
    match compile(root, text, schema, optional_old_self, true) {
        Err(e) => problem("rule", format!("compilation failed: {e}")),
        Ok(uses_old_self) => {
            if uses_old_self && uncorrelatable {
                problem(
                    "rule",
                    "oldSelf cannot be used on the uncorrelatable portion of the schema (below a \
                     list that is not x-kubernetes-list-type: map)"
                        .to_string(),
                );
            } else if !uses_old_self && optional_old_self {
                problem(
                    "optionalOldSelf",
                    "may not be set if oldSelf is not used in rule".to_string(),
                );
            }
        }
    }
    if let Some(expr) = rule.get("messageExpression").and_then(Value::as_str)
        && !expr.trim().is_empty()
        && let Err(e) = compile(root, expr, schema, optional_old_self, false)
    {
        problem(
            "messageExpression",
            format!("messageExpression compilation failed: {e}"),
        );
    }
}

/// Parses and type-checks; `Ok(uses oldSelf)`.
pub(super) fn compile<'a>(
    root: &'a Value,
    text: &str,
    schema: &'a Value,
    optional_old_self: bool,
    is_rule: bool,
) -> Result<bool, String> {
    let parsed = super::parsed::parse(text);
    let parsed = parsed
        .as_ref()
        .as_ref()
        .map_err(|e| format!("ERROR: {e}"))?;
    let mut checker = Checker {
        root,
        self_type: Ty::of(schema),
        optional_old_self,
        uses_old_self: false,
        scopes: Vec::new(),
    };
    let result = checker.check(parsed)?;
    let wanted = if is_rule { Ty::Bool } else { Ty::String };
    if result.is_concrete() && result != wanted {
        return Err(if is_rule {
            format!(
                "cel expression must evaluate to a bool, not {}",
                result.name()
            )
        } else {
            format!("must evaluate to a string, not {}", result.name())
        });
    }
    Ok(checker.uses_old_self)
}

/// The types the checker knows; `Dyn` is anything it cannot tell.
#[derive(Clone, Debug, PartialEq)]
enum Ty<'a> {
    Bool,
    Int,
    Double,
    String,
    /// A string of format `date` or `date-time`.
    Timestamp,
    /// A string of format `duration`.
    Duration,
    Null,
    /// An object with declared fields (the schema node).
    Object(&'a Value),
    List(Box<Ty<'a>>),
    /// Key and value.
    Map(Box<Ty<'a>>, Box<Ty<'a>>),
    Optional(Box<Ty<'a>>),
    /// The IP and CIDR libraries' `net.IP` and `net.CIDR`.
    Ip,
    Cidr,
    /// The semver library's `kubernetes.Semver`.
    Semver,
    Dyn,
}

impl<'a> Ty<'a> {
    /// The CEL type of a schema node, as the API server declares it.
    fn of(schema: &'a Value) -> Ty<'a> {
        let flag = |k: &str| schema.get(k).and_then(Value::as_bool) == Some(true);
        if flag("x-kubernetes-int-or-string")
            || flag("x-kubernetes-preserve-unknown-fields")
            || flag("x-kubernetes-embedded-resource")
        {
            return Ty::Dyn;
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("boolean") => Ty::Bool,
            Some("integer") => Ty::Int,
            Some("number") => Ty::Double,
            // Formats turn strings into other types (k8s.io/apiserver's `SchemaDeclType`); how
            // `byte` and `binary` map changed between releases: left to dyn.
            Some("string") => match schema.get("format").and_then(Value::as_str).unwrap_or("") {
                "date" | "date-time" => Ty::Timestamp,
                "duration" => Ty::Duration,
                "byte" | "binary" => Ty::Dyn,
                _ => Ty::String,
            },
            Some("array") => Ty::List(Box::new(schema.get("items").map_or(Ty::Dyn, Ty::of))),
            Some("object") => match schema.get("additionalProperties") {
                Some(extra @ Value::Object(_)) => {
                    Ty::Map(Box::new(Ty::String), Box::new(Ty::of(extra)))
                }
                Some(Value::Bool(true)) => Ty::Dyn,
                _ if schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_some_and(|p| !p.is_empty()) =>
                {
                    Ty::Object(schema)
                }
                _ => Ty::Dyn,
            },
            _ => Ty::Dyn,
        }
    }

    /// A type the checker is sure of (no `dyn` at the top).
    fn is_concrete(&self) -> bool {
        !matches!(self, Ty::Dyn)
    }

    /// Whether this is cel-go's type to the last parameter: no `dyn` inside, which here stands
    /// for `dyn` itself, an empty literal's element or a value this checker does not type.
    fn is_settled(&self) -> bool {
        match self {
            Ty::Dyn => false,
            Ty::List(e) | Ty::Optional(e) => e.is_settled(),
            Ty::Map(k, v) => k.is_settled() && v.is_settled(),
            _ => true,
        }
    }

    fn is_scalar(&self) -> bool {
        matches!(self, Ty::Bool | Ty::Int | Ty::Double | Ty::String)
    }

    /// Whether some `_+_` overload takes this type (or might: dyn).
    fn is_addable(&self) -> bool {
        matches!(
            self,
            Ty::Int | Ty::Double | Ty::String | Ty::List(_) | Ty::Dyn
        ) || self.is_time()
    }

    fn is_time(&self) -> bool {
        matches!(self, Ty::Timestamp | Ty::Duration)
    }

    fn name(&self) -> String {
        match self {
            Ty::Bool => "bool".into(),
            Ty::Int => "int".into(),
            Ty::Double => "double".into(),
            Ty::String => "string".into(),
            Ty::Timestamp => "timestamp".into(),
            Ty::Duration => "duration".into(),
            Ty::Null => "null_type".into(),
            Ty::Object(_) => "object".into(),
            Ty::List(e) => format!("list({})", e.name()),
            Ty::Map(k, v) => format!("map({}, {})", k.name(), v.name()),
            Ty::Optional(t) => format!("optional_type({})", t.name()),
            Ty::Ip => "net.IP".into(),
            Ty::Cidr => "net.CIDR".into(),
            Ty::Semver => "kubernetes.Semver".into(),
            Ty::Dyn => "dyn".into(),
        }
    }
}

/// CEL names of a property, as the API server escapes them (`a-b` is `a__dash__b`).
pub(super) fn cel_name(property: &str) -> Option<String> {
    const RESERVED: &[&str] = &[
        "true",
        "false",
        "null",
        "in",
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ];
    if RESERVED.contains(&property) {
        return Some(format!("__{property}__"));
    }
    let mut out = String::new();
    let mut rest = property;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("__") {
            out.push_str("__underscores__");
            rest = &rest[2..];
            continue;
        }
        match c {
            '.' => out.push_str("__dot__"),
            '-' => out.push_str("__dash__"),
            '/' => out.push_str("__slash__"),
            c if c.is_ascii_alphanumeric() || c == '_' => out.push(c),
            _ => return None,
        }
        rest = &rest[c.len_utf8()..];
    }
    (!out.is_empty() && !out.starts_with(|c: char| c.is_ascii_digit())).then_some(out)
}

fn field_of<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    let props: &Map<String, Value> = object.get("properties")?.as_object()?;
    props
        .iter()
        // The server's CEL also accepts a reserved word such as `namespace` unescaped.
        .find(|(k, _)| k.as_str() == name || cel_name(k).as_deref() == Some(name))
        .map(|(_, v)| v)
        .filter(|v| is_declared(v))
}

/// Whether `SchemaDeclType` gives the node a CEL type: not for a `type` that is not an OpenAPI
/// type (see [`is_declared`]), nor for a list or map whose items or values have none (a
/// property without one is only left out of its object).
fn has_decl_type(node: &Value) -> bool {
    if !is_declared(node) {
        return false;
    }
    let int_or_string = get(node, "x-kubernetes-int-or-string").and_then(Value::as_bool);
    if int_or_string == Some(true) {
        return true;
    }
    match get(node, "type").and_then(Value::as_str) {
        Some("array") => get(node, "items")
            .filter(|i| i.is_object())
            .is_none_or(has_decl_type),
        Some("object") => get(node, "additionalProperties")
            .filter(|a| a.is_object())
            .is_none_or(has_decl_type),
        _ => true,
    }
}

/// Whether the server declares a property in CEL: `SchemaDeclType` has no type for a `type`
/// that is not an OpenAPI type (accepted on an update that ratchets invalid types), and the
/// field is then left out of its object.
fn is_declared(property: &Value) -> bool {
    let flag = |k: &str| property.get(k).and_then(Value::as_bool) == Some(true);
    match property.get("type").and_then(Value::as_str) {
        None | Some("" | "array" | "boolean" | "integer" | "number" | "object" | "string") => true,
        Some(_) => flag("x-kubernetes-int-or-string") || flag("x-kubernetes-embedded-resource"),
    }
}

const STRING_METHODS: &[&str] = &[
    "startsWith",
    "endsWith",
    "matches",
    "contains",
    "lowerAscii",
    "upperAscii",
    "split",
    "trim",
    "replace",
    "charAt",
    "substring",
];
/// Kubernetes functions whose only argument is a string.
const STRING_FUNCTIONS: &[&str] = &["quantity", "isQuantity", "url", "isURL"];
/// The methods of `net.IP`, which take no argument.
const IP_METHODS: &[&str] = &[
    "family",
    "isUnspecified",
    "isLoopback",
    "isLinkLocalMulticast",
    "isLinkLocalUnicast",
    "isGlobalUnicast",
];

/// The member functions of the API server's CEL environment (cel-go's standard library and
/// string, list and optional extensions; the Kubernetes URL, regex, quantity, IP/CIDR, semver and
/// format libraries). A method call by any other name does not compile.
const METHODS: &[&str] = &[
    // standard
    "contains",
    "endsWith",
    "startsWith",
    "matches",
    "size",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getFullYear",
    "getHours",
    "getMilliseconds",
    "getMinutes",
    "getMonth",
    "getSeconds",
    // strings
    "charAt",
    "indexOf",
    "lastIndexOf",
    "lowerAscii",
    "upperAscii",
    "replace",
    "split",
    "substring",
    "trim",
    "join",
    "format",
    "reverse",
    // lists and sets
    "isSorted",
    "sum",
    "min",
    "max",
    "slice",
    "flatten",
    "distinct",
    "sort",
    "sortBy",
    "first",
    "last",
    "range",
    // optionals
    "hasValue",
    "value",
    "orValue",
    "or",
    "optMap",
    "optFlatMap",
    // regex
    "find",
    "findAll",
    // url
    "getScheme",
    "getHost",
    "getHostname",
    "getPort",
    "getEscapedPath",
    "getQuery",
    // quantity
    "isInteger",
    "asInteger",
    "asApproximateFloat",
    "sign",
    "add",
    "sub",
    "compareTo",
    "isGreaterThan",
    "isLessThan",
    // ip and cidr
    "family",
    "isUnspecified",
    "isLoopback",
    "isLinkLocalMulticast",
    "isLinkLocalUnicast",
    "isGlobalUnicast",
    "containsIP",
    "containsCIDR",
    "prefixLength",
    "masked",
    "ip",
    "string",
    // semver
    "major",
    "minor",
    "patch",
    // format
    "validate",
];

/// What CEL sees of `metadata` at a resource root: only `name` and `generateName`.
static ROOT_METADATA: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
    serde_json::json!({"type": "object", "properties": {
        "name": {"type": "string"}, "generateName": {"type": "string"}}})
});

struct Checker<'a> {
    /// The version's root schema: its `metadata` is typed as [`ROOT_METADATA`].
    root: &'a Value,
    self_type: Ty<'a>,
    optional_old_self: bool,
    uses_old_self: bool,
    /// Comprehension variables in scope, innermost last.
    scopes: Vec<(String, Ty<'a>)>,
}

impl<'a> Checker<'a> {
    fn check(&mut self, e: &IdedExpr) -> Result<Ty<'a>, String> {
        match &e.expr {
            Expr::Literal(l) => Ok(match l {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Int(_) => Ty::Int,
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::String(_) => Ty::String,
                LiteralValue::Null => Ty::Null,
                _ => Ty::Dyn,
            }),
            Expr::Ident(name) => {
                if let Some((_, t)) = self.scopes.iter().rev().find(|(n, _)| n == name) {
                    return Ok(t.clone());
                }
                Ok(match name.as_str() {
                    "self" => self.self_type.clone(),
                    "oldSelf" => {
                        self.uses_old_self = true;
                        if self.optional_old_self {
                            Ty::Optional(Box::new(self.self_type.clone()))
                        } else {
                            self.self_type.clone()
                        }
                    }
                    _ => Ty::Dyn,
                })
            }
            Expr::Select(s) => {
                let operand = self.check(&s.operand)?;
                let field = self.select(&operand, &s.field, false)?;
                // `has(a.b)` is a test: a bool.
                Ok(if s.test { Ty::Bool } else { field })
            }
            Expr::List(l) => {
                let mut elements = Vec::with_capacity(l.elements.len());
                for el in &l.elements {
                    elements.push(self.check(el)?);
                }
                homogeneous(&elements)?;
                // A literal of one element type is a list of it (`['a', 'b']` is
                // list(string)); unsure elements make a list(dyn).
                let element = match elements.split_first() {
                    Some((first, rest))
                        if first.is_concrete()
                            && !matches!(first, Ty::Null | Ty::Optional(_))
                            && rest.iter().all(|t| t == first) =>
                    {
                        first.clone()
                    }
                    _ => Ty::Dyn,
                };
                Ok(Ty::List(Box::new(element)))
            }
            Expr::Map(m) => {
                let mut keys = Vec::with_capacity(m.entries.len());
                let mut values = Vec::with_capacity(m.entries.len());
                for entry in &m.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(me) = &entry.expr {
                        keys.push(self.check(&me.key)?);
                        values.push(self.check(&me.value)?);
                    }
                }
                homogeneous(&keys)?;
                homogeneous(&values)?;
                // One key type (a string, an int, a bool) and one value type are the map's;
                // unsure ones make it dyn.
                let one = |types: &[Ty<'a>]| match types.split_first() {
                    Some((first, rest))
                        if first.is_concrete()
                            && !matches!(first, Ty::Null | Ty::Optional(_))
                            && rest.iter().all(|t| t == first) =>
                    {
                        Some(first.clone())
                    }
                    _ => None,
                };
                Ok(match one(&keys) {
                    Some(k @ (Ty::String | Ty::Int | Ty::Bool)) => {
                        Ty::Map(Box::new(k), Box::new(one(&values).unwrap_or(Ty::Dyn)))
                    }
                    _ => Ty::Dyn,
                })
            }
            Expr::Comprehension(c) => {
                let range = self.check(&c.iter_range)?;
                // One variable: the element of a list, the key of a map. Two (cel-go's
                // two-variable comprehensions): the index and the element, or the key and the
                // value.
                let (first, second) = match &range {
                    Ty::List(e) if c.iter_var2.is_some() => (Ty::Int, (**e).clone()),
                    Ty::List(e) => ((**e).clone(), Ty::Dyn),
                    Ty::Map(k, v) => ((**k).clone(), (**v).clone()),
                    Ty::Dyn => (Ty::Dyn, Ty::Dyn),
                    other => {
                        return Err(format!(
                            "expression of type '{}' cannot be range of a comprehension (must be list, map, or dynamic)",
                            other.name()
                        ));
                    }
                };
                let init = self.check(&c.accu_init)?;
                // The quantifiers' accumulators are a bool (`all`, `exists`) or a count
                // (`exists_one`); the others are left to dyn.
                let accu = if matches!(init, Ty::Bool | Ty::Int) {
                    init
                } else {
                    Ty::Dyn
                };
                self.scopes.push((c.iter_var.clone(), first));
                if let Some(v2) = &c.iter_var2 {
                    self.scopes.push((v2.clone(), second));
                }
                self.scopes.push((c.accu_var.clone(), accu));
                let checked = self
                    .check(&c.loop_cond)
                    .and_then(|_| self.check(&c.loop_step))
                    .and_then(|_| self.built(c, &range));
                let result = checked.and_then(|built| {
                    let result = self.check(&c.result)?;
                    Ok(built.unwrap_or(result))
                });
                self.scopes.pop();
                if c.iter_var2.is_some() {
                    self.scopes.pop();
                }
                self.scopes.pop();
                result
            }
            Expr::Call(call) => self.call(call),
            _ => Ok(Ty::Dyn),
        }
    }

    /// The type of what a comprehension builds, with its variables in scope: `list(T)` for
    /// `map`, `filter` and `transformList` (`@result + [e]`, maybe under a filter), `map(K, T)`
    /// for `transformMap` (`cel.@mapInsert(@result, k, e)`, keyed by index or key), the entries'
    /// map type for `transformMapEntry`; `None` for the others.
    fn built(
        &mut self,
        c: &cel::common::ast::ComprehensionExpr,
        range: &Ty<'a>,
    ) -> Result<Option<Ty<'a>>, String> {
        let is_accu = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(n) if *n == c.accu_var);
        let mut step = &c.loop_step;
        if let Expr::Call(call) = &step.expr
            && call.func_name == "_?_:_"
            && call.args.len() == 3
            && is_accu(&call.args[2])
        {
            step = &call.args[1];
        }
        let Expr::Call(call) = &step.expr else {
            return Ok(None);
        };
        match (call.func_name.as_str(), call.args.as_slice()) {
            ("_+_", [accu, added]) if is_accu(accu) => match &added.expr {
                Expr::List(l) if l.elements.len() == 1 => {
                    let element = self.check(&l.elements[0])?;
                    Ok(Some(Ty::List(Box::new(element))))
                }
                _ => Ok(None),
            },
            (nexus_schema::object::two_var::MAP_INSERT, [accu, _, value]) if is_accu(accu) => {
                let value = self.check(value)?;
                // Keyed by the first variable: the index of a list, the key of a map.
                Ok(match range {
                    Ty::List(_) => Some(Ty::Map(Box::new(Ty::Int), Box::new(value))),
                    Ty::Map(k, _) => Some(Ty::Map(k.clone(), Box::new(value))),
                    _ => None,
                })
            }
            // `transformMapEntry`: the entries' map type.
            (nexus_schema::object::two_var::MAP_INSERT, [accu, entry]) if is_accu(accu) => {
                let entry = self.check(entry)?;
                Ok(matches!(entry, Ty::Map(..)).then_some(entry))
            }
            _ => Ok(None),
        }
    }

    fn select(&mut self, operand: &Ty<'a>, field: &str, optional: bool) -> Result<Ty<'a>, String> {
        let wrap = |t: Ty<'a>| {
            if optional {
                Ty::Optional(Box::new(t))
            } else {
                t
            }
        };
        match operand {
            Ty::Object(schema) if std::ptr::eq(*schema, self.root) && field == "metadata" => {
                Ok(wrap(Ty::Object(&ROOT_METADATA)))
            }
            Ty::Object(schema) => match field_of(schema, field) {
                Some(child) => Ok(wrap(Ty::of(child))),
                None => Err(format!("undefined field '{field}'")),
            },
            Ty::Map(_, v) => Ok(wrap((**v).clone())),
            Ty::Optional(inner) => self.select(inner, field, true),
            t if t.is_scalar() || t.is_time() || matches!(t, Ty::Ip | Ty::Cidr) => Err(format!(
                "type '{}' does not support field selection",
                t.name()
            )),
            _ => Ok(Ty::Dyn),
        }
    }

    fn call(&mut self, call: &cel::common::ast::CallExpr) -> Result<Ty<'a>, String> {
        let name = call.func_name.as_str();
        // `a.?b`: the optional field selection.
        if name == "_?._" && call.args.len() == 2 {
            let operand = self.check(&call.args[0])?;
            if let Expr::Literal(LiteralValue::String(field)) = &call.args[1].expr {
                return self.select(&operand, field, true);
            }
            return Ok(Ty::Dyn);
        }
        // `format.dns1123Label()`, `ip.isCanonical(s)`: a namespaced function, not a method.
        let namespaced = matches!(call.target.as_deref().map(|t| &t.expr),
            Some(Expr::Ident(n)) if !matches!(n.as_str(), "self" | "oldSelf")
                && !self.scopes.iter().any(|(v, _)| v == n));
        if call.target.is_some() && !namespaced && !METHODS.contains(&name) {
            return Err(format!(
                "undeclared reference to '{name}' (in container '')"
            ));
        }
        let namespace = match call.target.as_deref().map(|t| &t.expr) {
            Some(Expr::Ident(n)) if namespaced => Some(n.as_str()),
            _ => None,
        };
        let target = match &call.target {
            Some(_) if namespaced => None,
            Some(t) => Some(self.check(t)?),
            None => None,
        };
        let mut args = Vec::with_capacity(call.args.len());
        for a in &call.args {
            args.push(self.check(a)?);
        }
        let no_overload = |types: &[&Ty<'a>]| {
            let listed: Vec<String> = types.iter().map(|t| t.name()).collect();
            Err(format!(
                "found no matching overload for '{name}' applied to '({})'",
                listed.join(", ")
            ))
        };
        // A method's overload error names the receiver's type: `net.IP.(int)`.
        let no_method_overload = |t: &Ty<'a>, rest: &[Ty<'a>]| {
            let listed: Vec<String> = rest.iter().map(Ty::name).collect();
            Err(format!(
                "found no matching overload for '{name}' applied to '{}.({})'",
                t.name(),
                listed.join(", ")
            ))
        };
        match (name, &target, args.as_slice()) {
            ("_<_" | "_<=_" | "_>_" | "_>=_", None, [a, b]) => {
                let numeric = |t: &Ty<'_>| matches!(t, Ty::Int | Ty::Double);
                let sure = |t: &Ty<'_>| t.is_scalar() || t.is_time();
                let comparable = |t: &Ty<'_>| sure(t) || matches!(t, Ty::Dyn);
                if !comparable(a)
                    || !comparable(b)
                    || (sure(a) && sure(b) && a != b && !(numeric(a) && numeric(b)))
                {
                    return no_overload(&[a, b]);
                }
                Ok(Ty::Bool)
            }
            ("_+_", None, [a, b]) if a.is_scalar() && b.is_scalar() && a != b => {
                no_overload(&[a, b])
            }
            // `+` is declared for numbers, strings, lists and time only: never for objects,
            // maps, booleans or null.
            ("_+_", None, [a, b]) if !a.is_addable() || !b.is_addable() => no_overload(&[a, b]),
            // Time arithmetic: a timestamp plus a duration, or two durations.
            ("_+_", None, [a, b])
                if (a.is_time() || b.is_time()) && (a.is_concrete() && b.is_concrete()) =>
            {
                match (a, b) {
                    (Ty::Timestamp, Ty::Duration) | (Ty::Duration, Ty::Timestamp) => {
                        Ok(Ty::Timestamp)
                    }
                    (Ty::Duration, Ty::Duration) => Ok(Ty::Duration),
                    _ => no_overload(&[a, b]),
                }
            }
            // `x in list`: the element type must be x's; `x in map`: x must be a key (string).
            ("@in", None, [a, Ty::List(element)]) if different_kinds(a, element) => {
                no_overload(&[a, &Ty::List(element.clone())])
            }
            ("@in", None, [a, Ty::Map(key, value)]) if different_kinds(a, key) => {
                no_overload(&[a, &Ty::Map(key.clone(), value.clone())])
            }
            ("validate", Some(_), [t]) if t.is_concrete() && *t != Ty::String => no_overload(&[t]),
            ("_==_" | "_!=_", None, [a, b])
                if [a, b].contains(&&Ty::Null)
                    && [a, b]
                        .iter()
                        .any(|t| t.is_scalar() || matches!(t, Ty::List(_) | Ty::Map(..))) =>
            {
                // Only objects (and dyn) can be null.
                no_overload(&[a, b])
            }
            ("_==_" | "_!=_", None, [a, b]) if different_kinds(a, b) => no_overload(&[a, b]),
            // The logical operators take bools (a quantifier's predicate is the right operand
            // of its `&&` or `||`): cel-go names the type found.
            ("_&&_" | "_||_", None, [a, b])
                if let Some(t) = [a, b]
                    .into_iter()
                    .find(|t| t.is_concrete() && **t != Ty::Bool) =>
            {
                Err(format!("expected type 'bool' but found '{}'", t.name()))
            }
            ("!_", None, [t]) if t.is_concrete() && *t != Ty::Bool => no_overload(&[t]),
            ("_==_" | "_!=_" | "@in" | "!_" | "_&&_" | "_||_" | "@not_strictly_false", _, _) => {
                Ok(Ty::Bool)
            }
            ("size", Some(t), []) | ("size", None, [t]) => {
                if matches!(
                    t,
                    Ty::Object(_)
                        | Ty::Int
                        | Ty::Double
                        | Ty::Bool
                        | Ty::Timestamp
                        | Ty::Duration
                        | Ty::Ip
                        | Ty::Cidr
                ) {
                    return no_overload(&[t]);
                }
                Ok(Ty::Int)
            }
            // `reverse()` is `ext.Lists` v2's: the server's `ext.Strings` is v2, without the
            // v3 `string.reverse()`.
            ("reverse", Some(t), rest) if t.is_concrete() && !matches!(t, Ty::List(_)) => {
                no_method_overload(t, rest)
            }
            // Its one overload is on lists: of a list its type, of dyn a `list(dyn)`.
            ("reverse", Some(Ty::List(e)), []) => Ok(Ty::List(e.clone())),
            ("reverse", Some(Ty::Dyn), []) => Ok(Ty::List(Box::new(Ty::Dyn))),
            (m, Some(t), rest) if STRING_METHODS.contains(&m) => {
                if t.is_concrete() && *t != Ty::String {
                    return no_overload(&[t]);
                }
                // The tests of a string take a string.
                if matches!(m, "startsWith" | "endsWith" | "contains" | "matches")
                    && let [arg] = rest
                    && arg.is_concrete()
                    && *arg != Ty::String
                {
                    return no_method_overload(t, rest);
                }
                // The server compiles a constant regular expression with the rule.
                if m == "matches"
                    && let Some(Expr::Literal(LiteralValue::String(re))) =
                        call.args.first().map(|a| &a.expr)
                    && let Err(e) = crate::validate::pattern::compile_go(re)
                {
                    return Err(format!("error parsing regexp: {e}"));
                }
                Ok(match m {
                    "split" => Ty::List(Box::new(Ty::String)),
                    "startsWith" | "endsWith" | "matches" | "contains" => Ty::Bool,
                    _ => Ty::String,
                })
            }
            // The IP and CIDR libraries: `ip()`, `cidr()` of a string; the methods on their
            // types only.
            ("ip" | "cidr" | "isIP" | "isCIDR", None, [t]) if namespace.is_none() => {
                if t.is_concrete() && *t != Ty::String {
                    return no_overload(&[t]);
                }
                Ok(match name {
                    "ip" => Ty::Ip,
                    "cidr" => Ty::Cidr,
                    _ => Ty::Bool,
                })
            }
            ("isCanonical", None, [t]) if namespace == Some("ip") => {
                if t.is_concrete() && *t != Ty::String {
                    return Err(format!(
                        "found no matching overload for 'ip.isCanonical' applied to '({})'",
                        t.name()
                    ));
                }
                Ok(Ty::Bool)
            }
            (m, Some(t), rest) if IP_METHODS.contains(&m) => {
                if !rest.is_empty() || (t.is_concrete() && *t != Ty::Ip) {
                    return no_method_overload(t, rest);
                }
                Ok(if m == "family" { Ty::Int } else { Ty::Bool })
            }
            (m @ ("ip" | "masked" | "prefixLength"), Some(t), rest) => {
                if !rest.is_empty() || (t.is_concrete() && *t != Ty::Cidr) {
                    return no_method_overload(t, rest);
                }
                Ok(match m {
                    "ip" => Ty::Ip,
                    "masked" => Ty::Cidr,
                    _ => Ty::Int,
                })
            }
            (m @ ("containsIP" | "containsCIDR"), Some(t), rest) => {
                let other = if m == "containsIP" { Ty::Ip } else { Ty::Cidr };
                let fits = |a: &Ty<'_>| !a.is_concrete() || *a == Ty::String || *a == other;
                if rest.len() != 1 || (t.is_concrete() && *t != Ty::Cidr) || !fits(&rest[0]) {
                    return no_method_overload(t, rest);
                }
                Ok(Ty::Bool)
            }
            (f, None, [t]) if STRING_FUNCTIONS.contains(&f) => {
                if t.is_concrete() && *t != Ty::String {
                    return no_overload(&[t]);
                }
                Ok(Ty::Dyn)
            }
            ("int" | "string" | "double" | "duration" | "timestamp", None, [t]) => {
                // The conversions cel-go declares (`string()` of an IP or CIDR by their
                // libraries): `int(bool)`, `double(timestamp)`, `timestamp(bool)`, any of
                // null do not compile.
                let declared = match name {
                    "int" => matches!(
                        t,
                        Ty::Int | Ty::Double | Ty::String | Ty::Timestamp | Ty::Duration
                    ),
                    "double" => matches!(t, Ty::Int | Ty::Double | Ty::String),
                    "string" => t.is_scalar() || t.is_time() || matches!(t, Ty::Ip | Ty::Cidr),
                    "timestamp" => matches!(t, Ty::Int | Ty::String | Ty::Timestamp),
                    _ => matches!(t, Ty::String | Ty::Duration),
                };
                if t.is_concrete() && !declared {
                    return no_overload(&[t]);
                }
                Ok(match name {
                    "int" => Ty::Int,
                    "string" => Ty::String,
                    "double" => Ty::Double,
                    "timestamp" => Ty::Timestamp,
                    _ => Ty::Duration,
                })
            }
            ("orValue", Some(Ty::Optional(inner)), [alt]) => {
                let kinds_differ = (inner.is_scalar() && alt.is_scalar() && **inner != *alt)
                    || (inner.is_scalar()
                        && matches!(alt, Ty::List(_) | Ty::Map(..) | Ty::Object(_)))
                    || (alt.is_scalar()
                        && matches!(**inner, Ty::List(_) | Ty::Map(..) | Ty::Object(_)));
                if kinds_differ {
                    return no_overload(&[&Ty::Optional(inner.clone()), alt]);
                }
                Ok((**inner).clone())
            }
            // `transformMapEntry`'s entries must be maps.
            (nexus_schema::object::two_var::MAP_INSERT, None, [_, entry])
                if entry.is_concrete() && !matches!(entry, Ty::Map(..)) =>
            {
                Err(format!(
                    "found no matching overload for '{name}' applied to '(map(dyn, dyn), {})'",
                    entry.name()
                ))
            }
            // The Kubernetes lists library: `list(T)` members for comparable (`isSorted`,
            // `min`, `max`) or summable (`sum`) `T`; `indexOf`/`lastIndexOf` of a `T`.
            (m @ ("isSorted" | "sum" | "min" | "max"), Some(t), rest) => {
                let fits = |e: &Ty<'_>| match m {
                    "sum" => matches!(e, Ty::Int | Ty::Double | Ty::Duration | Ty::Dyn),
                    _ => e.is_scalar() || e.is_time() || *e == Ty::Dyn,
                };
                let result = |e: &Ty<'a>| if m == "isSorted" { Ty::Bool } else { e.clone() };
                match t {
                    Ty::List(e) if rest.is_empty() && fits(e) => Ok(result(e)),
                    Ty::Dyn if rest.is_empty() => Ok(result(&Ty::Dyn)),
                    _ => no_method_overload(t, rest),
                }
            }
            ("indexOf" | "lastIndexOf", Some(t @ Ty::List(e)), rest) => {
                if rest.len() != 1 || different_kinds(&rest[0], e) {
                    return no_method_overload(t, rest);
                }
                Ok(Ty::Int)
            }
            // The regex library: `string.find(string)`, `string.findAll(string[, int])`; a
            // constant pattern is compiled with the rule.
            (m @ ("find" | "findAll"), Some(t), rest) => {
                let wrong = |a: &Ty<'_>, want: Ty<'_>| a.is_concrete() && *a != want;
                let arity = if m == "find" { 1..=1 } else { 1..=2 };
                if wrong(t, Ty::String)
                    || !arity.contains(&rest.len())
                    || wrong(&rest[0], Ty::String)
                    || rest.get(1).is_some_and(|n| wrong(n, Ty::Int))
                {
                    return no_method_overload(t, rest);
                }
                if let Some(Expr::Literal(LiteralValue::String(re))) =
                    call.args.first().map(|a| &a.expr)
                    && let Err(e) = crate::validate::pattern::compile_go(re)
                {
                    return Err(format!(
                        "error parsing regexp: {}",
                        crate::validate::pattern::go_error_text(&e)
                    ));
                }
                Ok(if m == "find" {
                    Ty::String
                } else {
                    Ty::List(Box::new(Ty::String))
                })
            }
            // The semver library: `semver(string[, bool])`, `isSemver(string[, bool])`, and the
            // methods of `kubernetes.Semver`.
            ("semver" | "isSemver", None, rest) if namespace.is_none() => {
                let wrong = |a: &Ty<'_>, want: Ty<'_>| a.is_concrete() && *a != want;
                if !(1..=2).contains(&rest.len())
                    || wrong(&rest[0], Ty::String)
                    || rest.get(1).is_some_and(|b| wrong(b, Ty::Bool))
                {
                    let listed: Vec<&Ty<'a>> = rest.iter().collect();
                    return no_overload(&listed);
                }
                Ok(if name == "semver" {
                    Ty::Semver
                } else {
                    Ty::Bool
                })
            }
            ("major" | "minor" | "patch", Some(t), rest) => {
                if !rest.is_empty() || (t.is_concrete() && *t != Ty::Semver) {
                    return no_method_overload(t, rest);
                }
                Ok(Ty::Int)
            }
            (m @ ("compareTo" | "isGreaterThan" | "isLessThan"), Some(Ty::Semver), rest) => {
                if rest.len() != 1 || (rest[0].is_concrete() && rest[0] != Ty::Semver) {
                    return no_method_overload(&Ty::Semver, rest);
                }
                Ok(if m == "compareTo" { Ty::Int } else { Ty::Bool })
            }
            ("hasValue", Some(Ty::Optional(_)), []) => Ok(Ty::Bool),
            ("value", Some(Ty::Optional(inner)), []) => Ok((**inner).clone()),
            _ => Ok(Ty::Dyn),
        }
    }
}

/// Equality needs operands of one type (`_==_` is `(A, A) -> bool`): an int and a double, a
/// string and an object, a list and a string do not compare. Only kinds the checker is sure of
/// count; `null` is judged separately.
fn different_kinds(a: &Ty<'_>, b: &Ty<'_>) -> bool {
    let sure = |t: &Ty<'_>| t.is_concrete() && !matches!(t, Ty::Null | Ty::Optional(_));
    sure(a) && sure(b) && std::mem::discriminant(a) != std::mem::discriminant(b)
}

/// `cel.ValidFieldPath`: `.a.b`, `['a']`, `['key']` of maps; no list indexes.
fn valid_field_path(path: &str, root: &Value) -> Result<(), String> {
    let mut schema = root;
    let mut tokens = tokens(path).into_iter().peekable();
    let step = |schema: &mut &Value, name: &str| -> Result<(), String> {
        let props = schema
            .get("properties")
            .and_then(Value::as_object)
            .filter(|p| !p.is_empty());
        if let Some(props) = props {
            *schema = props.get(name).ok_or("does not refer to a valid field")?;
        } else if let Some(extra) = schema.get("additionalProperties").filter(|v| !v.is_null()) {
            *schema = extra;
        } else {
            return Err("does not refer to a valid field".into());
        }
        Ok(())
    };
    while let Some(tok) = tokens.next() {
        match tok.as_str() {
            "[" => {
                let quoted = tokens.next().ok_or("unexpected end of JSON path")?;
                if quoted.len() < 2 || !quoted.starts_with('\'') || !quoted.ends_with('\'') {
                    return Err(format!("expected single quoted string but got {quoted}"));
                }
                step(
                    &mut schema,
                    &quoted[1..quoted.len() - 1].replace("\\'", "'"),
                )?;
                if tokens.next().as_deref() != Some("]") {
                    return Err("expected ]".into());
                }
            }
            "." => {
                let name = tokens.next().ok_or("unexpected end of JSON path")?;
                step(&mut schema, &name)?;
            }
            other => return Err(format!("expected [ or . but got: {other}")),
        }
    }
    Ok(())
}

/// The server's scanner: `.`, `[`, `]` alone, quoted strings whole, other runs of text.
fn tokens(path: &str) -> Vec<String> {
    let b = path.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\'' {
            let mut j = i + 1;
            while j < b.len() && !(b[j] == b'\'' && b[j - 1] != b'\\') {
                j += 1;
            }
            let end = (j + 1).min(b.len());
            out.push(path[i..end].to_string());
            i = end;
        } else if matches!(b[i], b'.' | b'[' | b']') {
            out.push(path[i..=i].to_string());
            i += 1;
        } else {
            let start = i;
            while i < b.len() && !matches!(b[i], b'.' | b'[' | b']') {
                i += 1;
            }
            out.push(path[start..i].to_string());
        }
    }
    out
}

/// The elements of a list literal, or the keys or the values of a map literal, as cel-go's
/// checker with Kubernetes's `HomogeneousAggregateLiterals` takes them: each must have the first
/// one's type (`[1, 'a']`, `[1, null]` and `{'a': 1, 'b': 'x'}` do not compile; `[[], [1]]`
/// does, the empty list's element being a type parameter). Judged where both types are settled,
/// and for `null`, which is no other type, against anything but `dyn`: a `dyn` here also
/// stands for what this checker does not type, so `[dyn(1), 2]`, which cel-go refuses, passes.
fn homogeneous(types: &[Ty<'_>]) -> Result<(), String> {
    let Some((first, rest)) = types.split_first() else {
        return Ok(());
    };
    let name = |t: &Ty<'_>| match t {
        Ty::Null => "null".to_string(),
        t => t.name(),
    };
    for t in rest {
        let differ = match (first, t) {
            (Ty::Null, Ty::Null) => false,
            (Ty::Null, other) | (other, Ty::Null) => !matches!(other, Ty::Dyn),
            (a, b) => a.is_settled() && b.is_settled() && a != b,
        };
        if differ {
            return Err(format!(
                "expected type '{}' but found '{}'",
                name(first),
                name(t)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "name": {"type": "string"},
            "count": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "max-size": {"type": "integer"},
            "namespace": {"type": "string"},
            "metadata": {"type": "object"},
            "since": {"type": "string", "format": "date-time"},
            "timeout": {"type": "string", "format": "duration"}
        }})
    }

    fn compiles(rule: &str) -> Result<bool, String> {
        let s = schema();
        compile(&s, rule, &s, false, true)
    }

    /// Each accepted by the API server (crd-apiserver-validate, Kubernetes 1.36).
    #[test]
    fn two_variable_comprehensions_type_check() {
        for rule in [
            "self.tags.all(i, t, i < 3 && t.size() > 0)",
            "self.labels.exists(k, v, k == 'a' && v == 'b')",
            "self.tags.existsOne(i, t, t == 'x')",
            "self.tags.exists_one(i, t, t == 'x' && i == 1)",
            "self.tags.transformList(i, t, t + 'x') == self.tags.map(t, t + 'x')",
            "self.tags.transformList(i, t, i > 0, t) == ['x']",
            "self.labels.transformMap(k, v, v + 'x') == {'a': 'bx'}",
            "self.tags.transformMapEntry(i, t, {t: i}).size() == 3",
            "self.labels.transformMapEntry(k, v, k != 'z', {v: k}) == {'b': 'a'}",
            "self.tags.transformMap(i, t, i > 0, t) == {1: 'x'}",
            "dyn(self.tags).all(i, t, i == t)",
            "self.tags.all(i, t, self.labels.exists(k, v, k == t && i >= 0))",
            "self.tags.transformList(i, t, t).all(j, u, u.size() > j)",
            "self.labels.transformMap(k, v, v.size()).all(k2, n, n > 0)",
            "self.tags.all(t, t != '') == true",
            "self.tags.map(t, t.size()).all(n, n > 0)",
            "dyn(self.tags).reverse().size() >= 0",
            "dyn(self.tags).reverse() == ['a']",
            // Maps with keys other than strings.
            "1 in {1: 'a'}",
            "self.tags.transformMapEntry(i, t, {i: t}).all(k, v, k > 0)",
            "0 in self.tags.transformMap(i, t, t)",
            "self.tags.transformMap(i, t, t)[0] == 'a'",
            "{1: 'a'}[1] == 'a'",
            "self.tags.transformMapEntry(i, t, {t: i}).all(k, v, v >= 0 && k != '')",
        ] {
            assert_eq!(compiles(rule), Ok(false), "{rule}");
        }
    }

    /// The API server's reasons (crd-apiserver-validate, Kubernetes 1.36), without the position.
    #[test]
    fn two_variable_comprehensions_the_server_refuses() {
        for (rule, reason) in [
            ("self.tags.all(i, i, true)", "duplicate variable name: i"),
            (
                "self.tags.all(1, t, true)",
                "argument must be a simple name",
            ),
            (
                "self.tags.all(i, t.x, true)",
                "argument must be a simple name",
            ),
            (
                "self.tags.all(__result__, t, true)",
                "iteration variable overwrites accumulator variable",
            ),
            (
                "self.name.all(i, t, true)",
                "expression of type 'string' cannot be range of a comprehension (must be list, \
                 map, or dynamic)",
            ),
            (
                "self.tags.all(i, t, i == 'a')",
                "found no matching overload for '_==_' applied to '(int, string)'",
            ),
            (
                "self.labels.all(k, v, k == 1)",
                "found no matching overload for '_==_' applied to '(string, int)'",
            ),
            (
                "self.tags.all(i, t, t == 1)",
                "found no matching overload for '_==_' applied to '(string, int)'",
            ),
            (
                "self.tags.all(i, t, i)",
                "expected type 'bool' but found 'int'",
            ),
            ("self.count && true", "expected type 'bool' but found 'int'"),
            (
                "true || self.name",
                "expected type 'bool' but found 'string'",
            ),
            (
                "!self.count",
                "found no matching overload for '!_' applied to '(int)'",
            ),
            (
                "self.tags.transformMapEntry(i, t, t).size() > 0",
                "found no matching overload for 'cel.@mapInsert' applied to '(map(dyn, dyn), \
                 string)'",
            ),
            (
                "self.tags.transformList(i, t, t) == 1",
                "found no matching overload for '_==_' applied to '(list(string), int)'",
            ),
            (
                "self.tags.all(i, t, true) == 1",
                "found no matching overload for '_==_' applied to '(bool, int)'",
            ),
            (
                "self.tags.transformMap(i, t, t) == 1",
                "found no matching overload for '_==_' applied to '(map(int, string), int)'",
            ),
            (
                "self.tags.transformMapEntry(i, t, {t: i}) == 1",
                "found no matching overload for '_==_' applied to '(map(string, int), int)'",
            ),
            (
                "'a' in self.tags.transformMap(i, t, t)",
                "found no matching overload for '@in' applied to '(string, map(int, string))'",
            ),
            (
                "{'a': 1}.a == 'x'",
                "found no matching overload for '_==_' applied to '(int, string)'",
            ),
            (
                "{'a': 1, 'b': 'x'}.a == 'x'",
                "expected type 'int' but found 'string'",
            ),
            (
                "{1: 'a', 'b': 2}.size() > 0",
                "expected type 'int' but found 'string'",
            ),
            (
                "dyn(self.name).reverse() == 'a'",
                "found no matching overload for '_==_' applied to '(list(dyn), string)'",
            ),
            // Aggregate literals of one type (`HomogeneousAggregateLiterals`).
            (
                "self.count in [1, 'a']",
                "expected type 'int' but found 'string'",
            ),
            (
                "[1, null].size() == 2",
                "expected type 'int' but found 'null'",
            ),
            (
                "[null, self.tags].size() == 2",
                "expected type 'null' but found 'list(string)'",
            ),
            (
                "[{'a': 1}, {'b': 'x'}].size() == 2",
                "expected type 'map(string, int)' but found 'map(string, string)'",
            ),
            (
                "[self.labels, {'a': 1}].size() == 2",
                "expected type 'map(string, string)' but found 'map(string, int)'",
            ),
            (
                "{'a': 1, 'b': null}.size() == 2",
                "expected type 'int' but found 'null'",
            ),
            (
                "[self.since, self.timeout].size() == 2",
                "expected type 'timestamp' but found 'duration'",
            ),
            (
                "[self.name, self.count].size() == 2",
                "expected type 'string' but found 'int'",
            ),
        ] {
            let got = compiles(rule).expect_err(rule);
            assert!(got.ends_with(reason), "{rule}: {got}");
        }
    }

    #[test]
    fn rules_that_type_check() {
        for rule in [
            "has(self.name)",
            "self.name.startsWith('a')",
            "self.namespace.size() >= 0 && self.__namespace__ != ''",
            "self.count > 0 && self.max__dash__size < 10",
            "self.tags.all(t, t.size() < 5)",
            "self.labels.all(k, self.labels[k] != '')",
            "self.?name.orValue('') != ''",
            "self == oldSelf",
            "size(self.tags) > 0 || self.count >= 1.5",
            "self.since < self.since + self.timeout",
            "self.timeout + self.timeout > self.timeout",
            "(self.tags + self.tags).size() > 0 && self.name + 'x' != ''",
            "self.count + 1 > 0",
            "self.since > timestamp('2020-01-01T00:00:00Z')",
            "self.name in ['a', 'b'] && self.count in [1, 2] && 'a' in self.labels",
            // The IP and CIDR libraries (each accepted by the API server).
            "ip(self.name).family() == 4 && ip(self.name) == ip('::1')",
            "ip.isCanonical(self.name) && isIP(self.name) && isCIDR(self.name)",
            "cidr(self.name).containsIP(ip('1.2.3.4')) && cidr(self.name).containsIP(self.name)",
            "cidr(self.name).containsCIDR(self.name) && cidr(self.name).masked().prefixLength() > 0",
            "string(ip(self.name)) == self.name && cidr(self.name).ip().isLoopback()",
            "self.tags.all(x, isIP(x) && ip(x).isGlobalUnicast())",
            "ip(self.name) == null",
            "type(ip(self.name)) == net.IP",
            "int(self.since) > 0 && int(self.timeout) > 0 && int('1') == 1 && int(1.5) == 1",
            "string(true) == 'true' && string(self.since) != '' && string(self.timeout) != ''",
            "timestamp(1) < self.since && duration(self.timeout) > duration('1s')",
            "double(self.count) > 0.0 && double('1.5') > 1.0",
            "self.tags.reverse().size() >= 0",
            // Aggregate literals: an empty list or map takes the other elements' type.
            "[[], [1]].size() == 2 && [[1], []].size() == 2",
            "[self.tags, []].size() == 2 && [self.labels, {}].size() == 2",
            "{'a': [], 'b': [1]}.size() == 2 && [null, null].size() == 2",
            "[self.since, timestamp('2020-01-01T00:00:00Z')].size() == 2",
        ] {
            assert!(compiles(rule).is_ok(), "{rule}: {:?}", compiles(rule));
        }
        assert_eq!(compiles("self == oldSelf"), Ok(true));
    }

    #[test]
    fn rules_the_server_refuses() {
        for (rule, reason) in [
            ("self.nosuch == 1", "undefined field 'nosuch'"),
            ("self.name ==", "ERROR"),
            (
                "self.name.all(x, x != '')",
                "cannot be range of a comprehension",
            ),
            (
                "self.count.startsWith('a')",
                "no matching overload for 'startsWith'",
            ),
            ("self.name > 1", "no matching overload for '_>_'"),
            // `ext.Strings` v2 has no `reverse`; lists have it (`ext.Lists` v2).
            (
                "self.name.reverse() == 'a'",
                "found no matching overload for 'reverse' applied to 'string.()'",
            ),
            (
                "self.labels.reverse() == self.labels",
                "found no matching overload for 'reverse' applied to 'map(string, string).()'",
            ),
            ("size(self) > 0", "no matching overload for 'size'"),
            (
                "self.?count.orValue('') != ''",
                "no matching overload for 'orValue'",
            ),
            ("self.name", "must evaluate to a bool"),
            (
                "quantity(self.count).isInteger()",
                "no matching overload for 'quantity'",
            ),
            ("self.tags != null", "no matching overload for '_!=_'"),
            ("self.name.matches('[')", "error parsing regexp"),
            (
                "self.?tags.orValue('') != ''",
                "no matching overload for 'orValue'",
            ),
            ("self.count == 1.0", "no matching overload for '_==_'"),
            ("self.name != 1", "no matching overload for '_!=_'"),
            ("self.tags == 'a'", "no matching overload for '_==_'"),
            (
                "self.metadata.all(x, true)",
                "cannot be range of a comprehension",
            ),
            // Formatted strings are timestamps and durations, as the server declares them.
            ("self.since == 'x'", "no matching overload for '_==_'"),
            (
                "self.since.startsWith('2')",
                "no matching overload for 'startsWith'",
            ),
            (
                "self.since < self.timeout",
                "no matching overload for '_<_'",
            ),
            ("self.since + self.since", "no matching overload for '_+_'"),
            // Objects, maps and booleans have no `+` (seen: `x + y` over list items).
            ("self + self == self", "no matching overload for '_+_'"),
            (
                "self.labels + self.labels == self.labels",
                "no matching overload for '_+_'",
            ),
            ("true + true", "no matching overload for '_+_'"),
            ("self.since.x == 1", "does not support field selection"),
            // Conversions cel-go does not declare (seen: `int(self.flag)` of a boolean).
            (
                "int(true) > 0",
                "no matching overload for 'int' applied to '(bool)'",
            ),
            ("double(true) > 0.0", "no matching overload for 'double'"),
            (
                "double(self.since) > 0.0",
                "no matching overload for 'double'",
            ),
            (
                "double(timestamp('2020-01-01T00:00:00Z')) > 0.0",
                "no matching overload for 'double' applied to '(timestamp)'",
            ),
            (
                "timestamp(true) > self.since",
                "no matching overload for 'timestamp'",
            ),
            (
                "duration(1) > self.timeout",
                "no matching overload for 'duration'",
            ),
            ("int(null) == 1", "no matching overload for 'int'"),
            (
                "self.name.startsWith(duration('1s'))",
                "no matching overload for 'startsWith' applied to 'string.(duration)'",
            ),
            (
                "duration('1s') == 'x'",
                "no matching overload for '_==_' applied to '(duration, string)'",
            ),
            ("string(null) == 'x'", "no matching overload for 'string'"),
            // The IP and CIDR libraries, with the server's reasons.
            (
                "self.name.family() == 4",
                "no matching overload for 'family' applied to 'string.()'",
            ),
            (
                "ip(self.name) == self.name",
                "no matching overload for '_==_' applied to '(net.IP, string)'",
            ),
            (
                "ip(self.count) == ip('1.2.3.4')",
                "no matching overload for 'ip' applied to '(int)'",
            ),
            (
                "ip.isCanonical(1)",
                "no matching overload for 'ip.isCanonical' applied to '(int)'",
            ),
            (
                "cidr(self.name).containsIP(1)",
                "no matching overload for 'containsIP' applied to 'net.CIDR.(int)'",
            ),
            (
                "cidr(self.name).containsIP(cidr('1.0.0.0/8'))",
                "no matching overload for 'containsIP' applied to 'net.CIDR.(net.CIDR)'",
            ),
            (
                "cidr(self.name).containsCIDR(ip('1.2.3.4'))",
                "no matching overload for 'containsCIDR' applied to 'net.CIDR.(net.IP)'",
            ),
            (
                "ip(self.name).prefixLength() == 1",
                "no matching overload for 'prefixLength' applied to 'net.IP.()'",
            ),
            (
                "cidr(self.name).family() == 4",
                "no matching overload for 'family' applied to 'net.CIDR.()'",
            ),
            (
                "self.name.ip() == ip('1.2.3.4')",
                "no matching overload for 'ip' applied to 'string.()'",
            ),
            (
                "int(ip(self.name)) == 1",
                "no matching overload for 'int' applied to '(net.IP)'",
            ),
            (
                "size(ip(self.name)) == 1",
                "no matching overload for 'size' applied to '(net.IP)'",
            ),
            (
                "ip(self.name) < ip('1.2.3.4')",
                "no matching overload for '_<_' applied to '(net.IP, net.IP)'",
            ),
            (
                "ip(self.name).foo == 1",
                "type 'net.IP' does not support field selection",
            ),
            ("ip(self.name)", "must evaluate to a bool"),
            (
                "isIP(self.tags)",
                "no matching overload for 'isIP' applied to '(list(string))'",
            ),
            (
                "ip(self.name).isLoopback(1)",
                "no matching overload for 'isLoopback' applied to 'net.IP.(int)'",
            ),
            // `in` against a list literal needs its element type.
            ("self.count in ['a', 'b']", "no matching overload for '@in'"),
            (
                "self.count in self.labels",
                "no matching overload for '@in'",
            ),
        ] {
            let got = compiles(rule);
            assert!(
                got.as_ref().is_err_and(|e| e.contains(reason)),
                "{rule}: {got:?}"
            );
        }
    }

    /// The lists, regex and semver libraries, typed as the server types them (each verdict and
    /// reason checked with the CRD oracle on the same rules).
    #[test]
    fn the_list_regex_and_semver_libraries_type_as_on_the_server() {
        for rule in [
            "self.tags.isSorted() && self.tags.min() != '' && self.tags.max() != ''",
            "[1, 2].sum() > 0 && [1.0].sum() > 0.0 && [self.timeout].sum() > duration('1s')",
            "self.tags.indexOf('a') >= 0 && self.tags.lastIndexOf('a') >= 0",
            "self.name.indexOf('a') >= 0",
            "self.name.find('[0-9]+') != '' && self.name.findAll('x', 2).size() > 0",
            "self.name.find(self.name) == ''",
            "isSemver(self.name) && isSemver(self.name, true)",
            "semver(self.name).major() + semver(self.name).minor() + semver(self.name).patch() > 0",
            "semver(self.name, true).isLessThan(semver('2.0.0'))",
            "semver(self.name).compareTo(semver('1.0.0')) == 0",
            "semver(self.name) == semver('1.0.0')",
        ] {
            assert!(compiles(rule).is_ok(), "{rule}: {:?}", compiles(rule));
        }
        for (rule, reason) in [
            (
                "self.tags.sum() != ''",
                "found no matching overload for 'sum' applied to 'list(string).()'",
            ),
            (
                "[true].sum()",
                "found no matching overload for 'sum' applied to 'list(bool).()'",
            ),
            (
                "self.tags.isSorted(1)",
                "found no matching overload for 'isSorted' applied to 'list(string).(int)'",
            ),
            (
                "self.name.isSorted()",
                "found no matching overload for 'isSorted' applied to 'string.()'",
            ),
            (
                "self.tags.indexOf(1) >= 0",
                "found no matching overload for 'indexOf' applied to 'list(string).(int)'",
            ),
            (
                "self.name.find(1) == ''",
                "found no matching overload for 'find' applied to 'string.(int)'",
            ),
            (
                "self.name.findAll('x', 'y').size() > 0",
                "found no matching overload for 'findAll' applied to 'string.(string, string)'",
            ),
            (
                "self.name.find('[a-') == ''",
                "error parsing regexp: missing closing ]: `[a-`",
            ),
            (
                "isSemver(1)",
                "found no matching overload for 'isSemver' applied to '(int)'",
            ),
            (
                "isSemver(self.name, 'true')",
                "found no matching overload for 'isSemver' applied to '(string, string)'",
            ),
            (
                "semver(self.name) < semver('1.0.0')",
                "found no matching overload for '_<_' applied to '(kubernetes.Semver, kubernetes.Semver)'",
            ),
            (
                "semver(self.name).compareTo('1.0.0') == 0",
                "found no matching overload for 'compareTo' applied to 'kubernetes.Semver.(string)'",
            ),
            (
                "self.count.major() == 1",
                "found no matching overload for 'major' applied to 'int.()'",
            ),
        ] {
            let got = compiles(rule);
            assert!(
                got.as_ref().is_err_and(|e| e.contains(reason)),
                "{rule}: {got:?}"
            );
        }
    }

    #[test]
    fn field_paths() {
        let s = schema();
        assert!(valid_field_path(".name", &s).is_ok());
        assert!(valid_field_path(".labels['a.b']", &s).is_ok());
        assert!(valid_field_path("['name']", &s).is_ok());
        assert!(valid_field_path(".nosuch", &s).is_err());
        assert!(valid_field_path("name", &s).is_err());
        assert!(valid_field_path(".tags[0]", &s).is_err());
    }

    #[test]
    fn old_self_below_atomic_lists_and_optional_old_self_without_it() {
        let s = json!({"type": "object", "properties": {
            "list": {"type": "array", "items": {"type": "object",
                "properties": {"a": {"type": "string"}},
                "x-kubernetes-validations": [{"rule": "self == oldSelf"}]}},
            "b": {"type": "string", "x-kubernetes-validations": [{"rule": "self != ''", "optionalOldSelf": true}]}
        }});
        let found: Vec<String> = check_rules(&s).into_iter().map(|p| p.pointer).collect();
        assert_eq!(
            found,
            [
                "/properties/list/items/x-kubernetes-validations/0/rule",
                "/properties/b/x-kubernetes-validations/0/optionalOldSelf",
            ]
        );
    }
}
