//! The API server's static cost estimate of `x-kubernetes-validations` rules, as it runs when a
//! CRD is written (apiextensions-apiserver `validation.go`, `schema/cel` compilation, cel-go
//! `checker/cost.go` and k8s.io/apiserver `pkg/cel/library/cost.go`).
//!
//! - Every value a rule can see gets a worst-case size from the schema ([`Decl`], the server's
//!   `SchemaDeclType`): `maxLength` × 4 for strings (bytes per rune), the longest `enum` value,
//!   a fixed size for formatted strings, `maxItems`/`maxProperties` for lists and maps; without
//!   a bound, as many as fit in a 3 MiB request given the smallest serialized element.
//! - A rule's cost is cel-go's worst-case estimate over the parsed expression (macros expanded
//!   as cel-go expands them), multiplied by how many times the rule can run: the product of the
//!   `maxItems`/`maxProperties` of the enclosing lists and maps, or, below an unbounded one, as
//!   many copies of the node as fit in a request.
//! - Over 10,000,000 a rule (or `messageExpression`) is refused; over 100,000,000 for all rules of
//!   one version's schema, the schema is refused and the four most expensive rules are named.
//!   On update, the per-rule limit is not applied to a version whose schema did not change.
//!
//! Only the maximum is tracked: the server compares only the maximum with the limits.

use cel::IdedExpr;
use cel::common::ast::{EntryExpr, Expr, LiteralValue};
use nexus_schema::lookup::member;
use serde_json::Value;

/// `StaticEstimatedCostLimit`: per expression.
pub const PER_EXPRESSION_LIMIT: u64 = 10_000_000;
/// `StaticEstimatedCRDCostLimit`: all expressions of one version's schema.
pub const PER_SCHEMA_LIMIT: u64 = 100_000_000;
/// `DefaultMaxRequestSizeBytes`.
const MAX_REQUEST_SIZE: i64 = 3 * 1024 * 1024;
const STRING_TRAVERSAL: f64 = 0.1;
const REGEX_LENGTH: f64 = 0.25;
const MAX_DURATION_JSON: u64 = 32;
const MAX_DATETIME_JSON: u64 = 32;
const DATE_JSON: u64 = 12;

/// One cost problem: a pointer below the version's `openAPIV3Schema` and the server's reason.
pub struct CostProblem {
    pub pointer: String,
    pub message: String,
}

/// The server's `getCostErrorMessage`.
pub fn cost_error_message(what: &str, cost: u64, limit: u64) -> String {
    let factor = cost as f64 / limit as f64;
    let factor = if factor > 100.0 {
        "more than 100x".to_string()
    } else if factor < 1.5 {
        format!("{factor:.6}x")
    } else {
        format!("{factor:.1}x")
    };
    format!(
        "{what} exceeds budget by factor of {factor} (try simplifying the rule, or adding \
         maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"
    )
}

// ---------------------------------------------------------------------------------------------
// What a rule can see: the schema as CEL declarations

#[derive(Debug)]
enum DeclKind {
    /// Fields by their CEL (escaped) names.
    Object(Vec<(String, Decl)>),
    List(Box<Decl>),
    Map(Box<Decl>),
    String,
    Bytes,
    Duration,
    Timestamp,
    Int,
    Double,
    Bool,
    /// `x-kubernetes-int-or-string`.
    Dyn,
}

/// The server's `DeclType`: a kind, the most elements (characters, items, entries) a value can
/// have and the fewest bytes it takes in JSON.
#[derive(Debug)]
struct Decl {
    kind: DeclKind,
    max_elements: u64,
    min_size: i64,
}

fn flag(schema: &Value, key: &str) -> bool {
    schema.get(key).and_then(Value::as_bool) == Some(true)
}

fn int(schema: &Value, key: &str) -> Option<i64> {
    schema.get(key).and_then(Value::as_i64)
}

fn non_negative(v: i64) -> u64 {
    v.max(0) as u64
}

fn max_string_length_per_request(schema: &Value) -> u64 {
    if flag(schema, "x-kubernetes-int-or-string") {
        return (MAX_REQUEST_SIZE - 2) as u64;
    }
    match schema.get("format").and_then(Value::as_str) {
        Some("duration") => MAX_DURATION_JSON,
        Some("date") => DATE_JSON,
        Some("date-time") => MAX_DATETIME_JSON,
        _ => (MAX_REQUEST_SIZE - 2) as u64,
    }
}

fn scalar(kind: DeclKind, max_elements: u64, min_size: i64) -> Decl {
    Decl {
        kind,
        max_elements,
        min_size,
    }
}

/// `SchemaDeclType`: `None` where the schema is not visible to rules.
fn decl(schema: &Value, resource_root: bool) -> Option<Decl> {
    if flag(schema, "x-kubernetes-int-or-string") {
        let max = match int(schema, "maxLength") {
            Some(n) => non_negative(n).saturating_mul(4),
            None => max_string_length_per_request(schema),
        };
        return Some(scalar(DeclKind::Dyn, max, 1));
    }
    match schema.get("type").and_then(Value::as_str)? {
        "array" => {
            let items = decl(schema.get("items")?, is_embedded(schema.get("items")?))?;
            let max = match int(schema, "maxItems") {
                Some(n) => non_negative(n),
                None => ((MAX_REQUEST_SIZE - 2) / (items.min_size + 1)) as u64,
            };
            Some(Decl {
                kind: DeclKind::List(Box::new(items)),
                max_elements: max,
                min_size: 2,
            })
        }
        "object" => {
            if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
                let values = decl(extra, is_embedded(extra))?;
                let max = match int(schema, "maxProperties") {
                    Some(n) => non_negative(n),
                    None => ((MAX_REQUEST_SIZE - 2) / (values.min_size + 6)) as u64,
                };
                return Some(Decl {
                    kind: DeclKind::Map(Box::new(values)),
                    max_elements: max,
                    min_size: 2,
                });
            }
            Some(object_decl(schema, resource_root))
        }
        "string" => {
            let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
            Some(match format {
                "byte" => scalar(
                    DeclKind::Bytes,
                    int(schema, "maxLength")
                        .map_or_else(|| max_string_length_per_request(schema), non_negative),
                    2,
                ),
                "duration" => scalar(DeclKind::Duration, max_string_length_per_request(schema), 3),
                "date" => scalar(
                    DeclKind::Timestamp,
                    max_string_length_per_request(schema),
                    DATE_JSON as i64,
                ),
                "date-time" => scalar(
                    DeclKind::Timestamp,
                    max_string_length_per_request(schema),
                    21,
                ),
                _ => {
                    let max = if let Some(n) = int(schema, "maxLength") {
                        non_negative(n).saturating_mul(4)
                    } else if let Some(values) = schema
                        .get("enum")
                        .and_then(Value::as_array)
                        .filter(|e| !e.is_empty())
                    {
                        values
                            .iter()
                            .filter_map(Value::as_str)
                            .map(|s| s.len() as u64)
                            .max()
                            .unwrap_or(0)
                    } else {
                        max_string_length_per_request(schema)
                    };
                    scalar(DeclKind::String, max, 2)
                }
            })
        }
        "boolean" => Some(scalar(DeclKind::Bool, 0, 4)),
        "number" => Some(scalar(DeclKind::Double, 0, 1)),
        "integer" => Some(scalar(DeclKind::Int, 0, 1)),
        _ => None,
    }
}

fn is_embedded(schema: &Value) -> bool {
    flag(schema, "x-kubernetes-embedded-resource")
}

fn plain_string() -> Decl {
    scalar(DeclKind::String, (MAX_REQUEST_SIZE - 2) as u64, 2)
}

/// An object's fields; at a resource root `apiVersion`, `kind` and `metadata.name`/
/// `generateName` are always visible (`WithTypeAndObjectMeta`).
fn object_decl(schema: &Value, resource_root: bool) -> Decl {
    let props = schema.get("properties").and_then(Value::as_object);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let typed = |name: &str, t: &str| {
        props
            .and_then(|p| p.get(name))
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str)
            == Some(t)
    };
    let meta_typed = resource_root
        && typed("kind", "string")
        && typed("apiVersion", "string")
        && typed("metadata", "object")
        && ["name", "generateName"].iter().all(|k| {
            props
                .and_then(|p| p.get("metadata"))
                .and_then(|m| m.pointer(&format!("/properties/{k}/type")))
                .and_then(Value::as_str)
                == Some("string")
        });
    let replace_meta = resource_root && !meta_typed;
    let mut fields = Vec::new();
    let mut min_size = 2i64;
    for (name, prop) in props.into_iter().flatten() {
        if replace_meta && matches!(name.as_str(), "kind" | "apiVersion" | "metadata") {
            continue;
        }
        let Some(field) = decl(prop, is_embedded(prop)) else {
            continue;
        };
        if required.contains(&name.as_str()) && prop.get("default").is_none_or(Value::is_null) {
            min_size += name.len() as i64 + field.min_size + 4;
        }
        if let Some(escaped) = super::cel::cel_name(name) {
            fields.push((escaped, field));
        }
    }
    if replace_meta {
        fields.push(("kind".into(), plain_string()));
        fields.push(("apiVersion".into(), plain_string()));
        let meta = Decl {
            kind: DeclKind::Object(vec![
                ("name".into(), plain_string()),
                ("generateName".into(), plain_string()),
            ]),
            max_elements: 0,
            min_size: 2,
        };
        fields.push(("metadata".into(), meta));
    }
    Decl {
        kind: DeclKind::Object(fields),
        max_elements: 0,
        min_size,
    }
}

// ---------------------------------------------------------------------------------------------
// cel-go's estimator

/// A size range (characters, bytes, items, entries).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Size {
    min: u64,
    max: u64,
}

const UNKNOWN: Size = Size {
    min: 0,
    max: u64::MAX,
};

impl Size {
    fn fixed(n: u64) -> Size {
        Size { min: n, max: n }
    }
    fn add(self, o: Size) -> Size {
        Size {
            min: self.min.saturating_add(o.min),
            max: self.max.saturating_add(o.max),
        }
    }
    fn union(self, o: Size) -> Size {
        Size {
            min: self.min.min(o.min),
            max: self.max.max(o.max),
        }
    }
    /// `MultiplyByCostFactor` of the maximum, rounded up.
    fn cost(self, factor: f64) -> u64 {
        factor_cost(self.max, factor)
    }
}

fn factor_cost(x: u64, factor: f64) -> u64 {
    let x = x as f64;
    if x > 0.0 && factor > 0.0 && x > u64::MAX as f64 / factor {
        return u64::MAX;
    }
    let c = (x * factor).ceil();
    if c >= 18_446_744_073_709_551_616.0 {
        u64::MAX
    } else {
        c as u64
    }
}

const IP: &str = "net.IP";
const CIDR: &str = "net.CIDR";
const QUANTITY: &str = "kubernetes.Quantity";
const URL: &str = "kubernetes.URL";
const SEMVER: &str = "kubernetes.Semver";

/// The checker's type of an expression, as far as costs depend on it.
#[derive(Clone, Debug, PartialEq)]
enum Ty {
    Str,
    Bytes,
    Int,
    Double,
    Bool,
    Null,
    Duration,
    Timestamp,
    List(Box<Ty>),
    Map(Box<Ty>),
    /// An object of the schema.
    Struct,
    Optional(Box<Ty>),
    /// A type of the Kubernetes libraries, by name: `net.IP`, `net.CIDR`,
    /// `kubernetes.Quantity`, `kubernetes.URL`, `kubernetes.Semver` (their equality has a fixed
    /// cost).
    Library(&'static str),
    /// Other opaque values: `type` values, messages.
    Opaque,
    Dyn,
}

impl Ty {
    /// cel-go's `isScalar`: a constant size (1).
    fn is_scalar(&self) -> bool {
        match self {
            Ty::Bool | Ty::Double | Ty::Duration | Ty::Int | Ty::Timestamp => true,
            Ty::Optional(t) => t.is_scalar(),
            _ => false,
        }
    }
    fn elem(&self) -> Ty {
        match self {
            Ty::List(t) => (**t).clone(),
            Ty::Map(_) => Ty::Str,
            _ => Ty::Dyn,
        }
    }
}

fn ty_of(d: &Decl) -> Ty {
    match &d.kind {
        DeclKind::Object(_) => Ty::Struct,
        DeclKind::List(e) => Ty::List(Box::new(ty_of(e))),
        DeclKind::Map(v) => Ty::Map(Box::new(ty_of(v))),
        DeclKind::String => Ty::Str,
        DeclKind::Bytes => Ty::Bytes,
        DeclKind::Duration => Ty::Duration,
        DeclKind::Timestamp => Ty::Timestamp,
        DeclKind::Int => Ty::Int,
        DeclKind::Double => Ty::Double,
        DeclKind::Bool => Ty::Bool,
        DeclKind::Dyn => Ty::Dyn,
    }
}

/// Where a value sits in the declarations (cel-go's field path): sizes are looked up there.
#[derive(Clone, Copy, Debug)]
enum Path<'d> {
    /// No path (a call's result, a literal).
    None,
    At(&'d Decl),
    /// A path that names nothing the declarations have.
    Dead,
}

/// Map keys are declared as plain strings without a bound: their estimated size is 0.
static MAP_KEY: Decl = Decl {
    kind: DeclKind::String,
    max_elements: 0,
    min_size: 2,
};

/// The estimate of one expression.
#[derive(Clone, Debug)]
struct Est<'d> {
    cost: u64,
    ty: Ty,
    path: Path<'d>,
    /// A size known from the expression itself (a literal, a call's result).
    size: Option<Size>,
    /// The size of the elements of a list or map known from the expression.
    entry: Option<Size>,
}

struct Local<'d> {
    name: String,
    ty: Ty,
    path: Path<'d>,
    size: Option<Size>,
    entry: Option<Size>,
}

struct Estimator<'d> {
    root: &'d Decl,
    optional_old_self: bool,
    locals: Vec<Local<'d>>,
}

fn add(a: u64, b: u64) -> u64 {
    a.saturating_add(b)
}

impl<'d> Estimator<'d> {
    /// The path one step below `path` (a field, `@items`, `@keys`, `@values`). cel-go drops the
    /// first element of a path (the variable), so a step below no path starts at the root.
    fn child(&self, path: Path<'d>, step: Step<'_>) -> Path<'d> {
        let decl = match path {
            Path::None => return Path::At(self.root),
            Path::Dead => return Path::Dead,
            Path::At(d) => d,
        };
        let next = match (step, &decl.kind) {
            (Step::Field(name), DeclKind::Object(fields)) => {
                fields.iter().find(|(n, _)| n == name).map(|(_, d)| d)
            }
            (Step::Items, DeclKind::List(e)) | (Step::Values, DeclKind::Map(e)) => Some(&**e),
            (Step::Keys, DeclKind::Map(_)) => Some(&MAP_KEY),
            _ => None,
        };
        next.map_or(Path::Dead, Path::At)
    }

    /// cel-go's `computeSize`.
    fn size_of(&self, e: &Est<'d>) -> Option<Size> {
        if let Some(s) = e.size {
            return Some(s);
        }
        if let Path::At(d) = e.path {
            return Some(Size {
                min: 0,
                max: d.max_elements,
            });
        }
        if e.ty.is_scalar() {
            return Some(Size::fixed(1));
        }
        None
    }

    fn size_or_unknown(&self, e: &Est<'d>) -> Size {
        self.size_of(e).unwrap_or(UNKNOWN)
    }

    fn est(&mut self, e: &IdedExpr) -> Est<'d> {
        let plain = |cost: u64, ty: Ty| Est {
            cost,
            ty,
            path: Path::None,
            size: None,
            entry: None,
        };
        match &e.expr {
            Expr::Literal(l) => {
                let (ty, size) = match l {
                    LiteralValue::String(s) => (Ty::Str, s.inner().chars().count() as u64),
                    LiteralValue::Bytes(b) => (Ty::Bytes, b.inner().len() as u64),
                    LiteralValue::Boolean(_) => (Ty::Bool, 1),
                    LiteralValue::Int(_) | LiteralValue::UInt(_) => (Ty::Int, 1),
                    LiteralValue::Double(_) => (Ty::Double, 1),
                    LiteralValue::Null => (Ty::Null, 1),
                };
                Est {
                    size: Some(Size::fixed(size)),
                    ..plain(0, ty)
                }
            }
            Expr::Ident(name) => {
                if let Some(l) = self.locals.iter().rev().find(|l| &l.name == name) {
                    // A local variable's own size counts only where its path and type say
                    // nothing (cel-go looks it up last).
                    let mut out = Est {
                        cost: 1,
                        ty: l.ty.clone(),
                        path: l.path,
                        size: None,
                        entry: l.entry,
                    };
                    if self.size_of(&out).is_none() {
                        out.size = l.size;
                    }
                    return out;
                }
                let ty = match name.as_str() {
                    "self" => ty_of(self.root),
                    "oldSelf" if self.optional_old_self => Ty::Optional(Box::new(ty_of(self.root))),
                    "oldSelf" => ty_of(self.root),
                    _ => Ty::Opaque,
                };
                Est {
                    path: Path::At(self.root),
                    ..plain(1, ty)
                }
            }
            Expr::Select(s) => {
                // `net.IP`, `net.CIDR`: qualified type names, which cel-go resolves to one
                // identifier.
                if let Expr::Ident(n) = &s.operand.expr
                    && n == "net"
                    && matches!(s.field.as_str(), "IP" | "CIDR")
                    && !s.test
                    && !self.locals.iter().any(|l| &l.name == n)
                {
                    return Est {
                        path: Path::At(self.root),
                        ..plain(1, Ty::Opaque)
                    };
                }
                let operand = self.est(&s.operand);
                if s.test {
                    // has(): the server turns off the cost of presence tests
                    // (`PresenceTestHasCost(false)`); the operand still counts.
                    return plain(operand.cost, Ty::Bool);
                }
                let select_cost = match operand.ty {
                    Ty::Map(_) | Ty::Struct => 1,
                    _ => 0,
                };
                let path = self.child(operand.path, Step::Field(&s.field));
                let ty = match (path, &operand.ty) {
                    (Path::At(d), _) => ty_of(d),
                    (_, Ty::Map(v)) => (**v).clone(),
                    _ => Ty::Dyn,
                };
                Est {
                    path,
                    ..plain(add(operand.cost, select_cost), ty)
                }
            }
            Expr::List(l) => {
                let mut cost = 10u64;
                let mut item: Option<Size> = None;
                let mut elem_ty = None;
                for el in &l.elements {
                    let x = self.est(el);
                    cost = add(cost, x.cost);
                    let s = self.size_or_unknown(&x);
                    item = Some(item.map_or(s, |i| i.union(s)));
                    elem_ty.get_or_insert(x.ty);
                }
                Est {
                    size: Some(Size::fixed(l.elements.len() as u64)),
                    entry: Some(item.unwrap_or(Size::fixed(0))),
                    ..plain(cost, Ty::List(Box::new(elem_ty.unwrap_or(Ty::Dyn))))
                }
            }
            Expr::Map(m) => {
                let mut cost = 30u64;
                let mut value: Option<Size> = None;
                for entry in &m.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        let k = self.est(&me.key);
                        let v = self.est(&me.value);
                        cost = add(cost, add(k.cost, v.cost));
                        let s = self.size_or_unknown(&v);
                        value = Some(value.map_or(s, |x| x.union(s)));
                    }
                }
                Est {
                    size: Some(Size::fixed(m.entries.len() as u64)),
                    entry: Some(value.unwrap_or(Size::fixed(0))),
                    ..plain(cost, Ty::Map(Box::new(Ty::Dyn)))
                }
            }
            Expr::Struct(s) => {
                let mut cost = 40u64;
                for f in &s.entries {
                    if let EntryExpr::StructField(sf) = &f.expr {
                        cost = add(cost, self.est(&sf.value).cost);
                    }
                }
                plain(cost, Ty::Opaque)
            }
            Expr::Comprehension(c) => {
                let range = self.est(&c.iter_range);
                let init = self.est(&c.accu_init);
                let mut cost = add(range.cost, init.cost);
                let init_size = self.size_of(&init);
                self.locals.push(Local {
                    name: c.accu_var.clone(),
                    ty: init.ty.clone(),
                    path: Path::None,
                    size: init_size,
                    entry: init.entry,
                });
                let is_list = matches!(range.ty, Ty::List(_));
                let (step1, step2) = if is_list {
                    (Step::Items, Step::Items)
                } else {
                    (Step::Keys, Step::Values)
                };
                let elem_ty = range.ty.elem();
                match &c.iter_var2 {
                    None => self.locals.push(Local {
                        name: c.iter_var.clone(),
                        ty: elem_ty,
                        path: self.child(range.path, step1),
                        size: range.entry,
                        entry: None,
                    }),
                    Some(v2) => {
                        // The index of a list (an int), or the key of a map, sized as the
                        // one variable of a comprehension over the map is.
                        self.locals.push(Local {
                            name: c.iter_var.clone(),
                            ty: if is_list { Ty::Int } else { elem_ty },
                            path: if is_list {
                                Path::Dead
                            } else {
                                self.child(range.path, step1)
                            },
                            size: None,
                            entry: None,
                        });
                        let value_ty = match &range.ty {
                            Ty::List(t) | Ty::Map(t) => (**t).clone(),
                            _ => Ty::Dyn,
                        };
                        self.locals.push(Local {
                            name: v2.clone(),
                            ty: value_ty,
                            path: self.child(range.path, step2),
                            size: range.entry,
                            entry: None,
                        });
                    }
                }
                let cond = self.est(&c.loop_cond);
                let step = self.est(&c.loop_step);
                self.locals.pop();
                if c.iter_var2.is_some() {
                    self.locals.pop();
                }
                let result = self.est(&c.result);
                self.locals.pop();
                cost = add(cost, result.cost);
                let count = self.size_or_unknown(&range);
                cost = add(cost, count.max.saturating_mul(add(step.cost, cond.cost)));
                let (size, entry) = match &c.accu_init.expr {
                    Expr::Literal(_) => (init_size, None),
                    Expr::List(_) | Expr::Map(_) => (Some(count), step.entry),
                    _ => (None, None),
                };
                Est {
                    cost,
                    ty: result.ty,
                    path: Path::None,
                    size,
                    entry,
                }
            }
            Expr::Call(call) => self.call(call),
            _ => plain(0, Ty::Dyn),
        }
    }

    fn call(&mut self, call: &cel::common::ast::CallExpr) -> Est<'d> {
        let name = call.func_name.as_str();
        let plain = |cost: u64, ty: Ty| Est {
            cost,
            ty,
            path: Path::None,
            size: None,
            entry: None,
        };
        if name == "dyn" && call.target.is_none() && call.args.len() == 1 {
            let arg = self.est(&call.args[0]);
            let size = self.size_of(&arg);
            return Est {
                cost: add(arg.cost, 1),
                ty: Ty::Dyn,
                path: Path::None,
                size,
                entry: arg.entry,
            };
        }
        let args: Vec<Est<'d>> = call.args.iter().map(|a| self.est(a)).collect();
        // `format.dns1123Label()`, `ip.isCanonical(s)`: a namespaced function, not a method.
        let namespace = match call.target.as_deref().map(|t| &t.expr) {
            Some(Expr::Ident(n))
                if !matches!(n.as_str(), "self" | "oldSelf")
                    && !self.locals.iter().any(|l| &l.name == n) =>
            {
                Some(n.as_str())
            }
            _ => None,
        };
        let target = match namespace {
            Some(_) => None,
            None => call.target.as_ref().map(|t| self.est(t)),
        };
        let arg_sum = args.iter().fold(0u64, |s, a| add(s, a.cost));
        let target_cost = target.as_ref().map_or(0, |t| t.cost);
        let with = |cost: u64, ty: Ty, size: Option<Size>| Est {
            cost: add(add(cost, arg_sum), target_cost),
            ty,
            path: Path::None,
            size,
            entry: None,
        };
        let sz = |e: &Est<'d>| self.size_or_unknown(e);
        match (name, &target, args.as_slice()) {
            ("_&&_" | "_||_", None, [a, b]) => plain(add(a.cost, b.cost), Ty::Bool),
            ("_?_:_", None, [c, t, f]) => {
                let size = sz(t).union(sz(f));
                let entry = match (t.entry, f.entry) {
                    (Some(a), Some(b)) => Some(a.union(b)),
                    _ => None,
                };
                let ty = if t.ty == Ty::Null {
                    f.ty.clone()
                } else {
                    t.ty.clone()
                };
                Est {
                    cost: add(c.cost, t.cost.max(f.cost)),
                    ty,
                    path: Path::None,
                    size: Some(size),
                    entry,
                }
            }
            // The Kubernetes library's estimate: IPs, CIDRs and quantities compare in O(1), URLs
            // in the size of the right-hand one.
            ("_==_", None, [a, b]) if a.ty == Ty::Library(URL) && b.ty == a.ty => with(
                Size {
                    min: 1,
                    max: sz(b).max,
                }
                .cost(STRING_TRAVERSAL),
                Ty::Bool,
                None,
            ),
            ("_==_", None, [a, b]) if matches!(a.ty, Ty::Library(_)) && a.ty == b.ty => {
                with(1, Ty::Bool, None)
            }
            ("_==_" | "_!=_", None, [a, b]) => with(
                Size::fixed(sz(a).max.min(sz(b).max)).cost(STRING_TRAVERSAL),
                Ty::Bool,
                None,
            ),
            ("_<_" | "_<=_" | "_>_" | "_>=_", None, [a, b])
                if matches!((&a.ty, &b.ty), (Ty::Str, Ty::Str) | (Ty::Bytes, Ty::Bytes)) =>
            {
                with(
                    Size::fixed(sz(a).max.min(sz(b).max)).cost(STRING_TRAVERSAL),
                    Ty::Bool,
                    None,
                )
            }
            ("_+_", None, [a, b]) => {
                let size = sz(a).add(sz(b));
                match (&a.ty, &b.ty) {
                    (Ty::Str, Ty::Str) | (Ty::Bytes, Ty::Bytes) => {
                        with(size.cost(STRING_TRAVERSAL), a.ty.clone(), Some(size))
                    }
                    // With a dyn operand every overload counts: string and bytes concatenation
                    // cost the most.
                    (Ty::Dyn, Ty::Dyn | Ty::Str | Ty::Bytes) | (Ty::Str | Ty::Bytes, Ty::Dyn) => {
                        let ty = if a.ty == Ty::Dyn {
                            b.ty.clone()
                        } else {
                            a.ty.clone()
                        };
                        with(size.cost(STRING_TRAVERSAL), ty, Some(size))
                    }
                    (Ty::List(_), Ty::List(_)) => {
                        let entry = match (a.entry, b.entry) {
                            (Some(x), Some(y)) => Some(x.union(y)),
                            _ => None,
                        };
                        let ty = if matches!(&a.ty, Ty::List(t) if **t == Ty::Dyn) {
                            b.ty.clone()
                        } else {
                            a.ty.clone()
                        };
                        Est {
                            entry,
                            ..with(1, ty, Some(size))
                        }
                    }
                    _ => with(1, a.ty.clone(), None),
                }
            }
            ("@in", None, [_, list]) if matches!(list.ty, Ty::List(_)) => {
                with(sz(list).cost(1.0), Ty::Bool, None)
            }
            ("_[_]", None, [container, _]) => {
                let step = if matches!(container.ty, Ty::List(_)) {
                    Step::Items
                } else {
                    Step::Values
                };
                let path = self.child(container.path, step);
                let ty = match (path, &container.ty) {
                    (Path::At(d), _) => ty_of(d),
                    (_, Ty::List(t) | Ty::Map(t)) => (**t).clone(),
                    _ => Ty::Dyn,
                };
                Est {
                    path,
                    ..with(1, ty, container.entry)
                }
            }
            ("startsWith" | "endsWith", Some(_), [prefix]) => {
                with(sz(prefix).cost(STRING_TRAVERSAL), Ty::Bool, None)
            }
            ("matches", Some(s), [re]) => {
                let str_cost = sz(s).add(Size::fixed(1)).cost(STRING_TRAVERSAL);
                let re_cost = sz(re).cost(REGEX_LENGTH);
                with(str_cost.saturating_mul(re_cost), Ty::Bool, None)
            }
            ("contains", Some(s), [sub]) if s.ty != Ty::Dyn || sub.ty == Ty::Str => {
                let a = sz(s).cost(STRING_TRAVERSAL);
                let b = sz(sub).cost(STRING_TRAVERSAL);
                with(a.saturating_mul(b), Ty::Bool, None)
            }
            // string(dyn) could be bytes_to_string: the union of the overloads keeps its size.
            ("string", None, [x]) if x.ty == Ty::Dyn => {
                let s = sz(x);
                let size = Size {
                    min: s.min / 4,
                    max: s.max,
                };
                with(s.cost(STRING_TRAVERSAL), Ty::Str, Some(size))
            }
            ("string" | "bytes", None, [x]) if matches!(x.ty, Ty::Bytes | Ty::Str) => {
                let s = sz(x);
                let (ty, size) = if name == "bytes" {
                    (
                        Ty::Bytes,
                        Size {
                            min: s.min,
                            max: s.max.saturating_mul(4),
                        },
                    )
                } else {
                    (
                        Ty::Str,
                        Size {
                            min: s.min / 4,
                            max: s.max,
                        },
                    )
                };
                if (name == "bytes") == (x.ty == Ty::Str) {
                    with(s.cost(STRING_TRAVERSAL), ty, Some(size))
                } else {
                    // string(string), bytes(bytes): the identity.
                    with(1, ty, None)
                }
            }
            // `ext.Lists`' `reverse()`: a traversal and a new list, of the same size (measured
            // with the server: 11 + n on lists of 5, 10 and 100 elements, `dyn` ones included).
            ("reverse", Some(t), []) if matches!(t.ty, Ty::List(_) | Ty::Dyn) => {
                let ty = match &t.ty {
                    Ty::List(_) => t.ty.clone(),
                    _ => Ty::List(Box::new(Ty::Dyn)),
                };
                let size = sz(t);
                Est {
                    entry: t.entry,
                    ..with(add(11, size.max), ty, Some(size))
                }
            }
            // The Kubernetes libraries (library/cost.go).
            ("isSorted" | "sum" | "max" | "min" | "indexOf" | "lastIndexOf", Some(t), _) => {
                let ty = match name {
                    "isSorted" => Ty::Bool,
                    "indexOf" | "lastIndexOf" => Ty::Int,
                    _ => t.ty.elem(),
                };
                if let Ty::List(elem) = &t.ty {
                    let mut per = 1u64;
                    if matches!(**elem, Ty::Str | Ty::Bytes) {
                        let e = Est {
                            path: self.child(t.path, Step::Items),
                            ..plain(0, (**elem).clone())
                        };
                        per = add(per, sz(&e).cost(STRING_TRAVERSAL));
                    }
                    with(sz(t).max.saturating_mul(per), ty, None)
                } else {
                    with(sz(t).cost(STRING_TRAVERSAL), ty, None)
                }
            }
            // The URL keeps the size of its string (as measured with the server).
            ("url", None, [s]) => with(sz(s).cost(STRING_TRAVERSAL), Ty::Library(URL), Some(sz(s))),
            // Parsing a string: one traversal.
            ("quantity" | "ip" | "cidr", None, [s])
                if !matches!(s.ty, Ty::Opaque | Ty::Library(_)) =>
            {
                let ty = match name {
                    "quantity" => QUANTITY,
                    "ip" => IP,
                    _ => CIDR,
                };
                with(sz(s).cost(STRING_TRAVERSAL), Ty::Library(ty), None)
            }
            // The semver library: parsing is one traversal; the version's getters and
            // comparisons cost 1.
            ("semver" | "isSemver", None, [s, ..]) => {
                let ty = if name == "semver" {
                    Ty::Library(SEMVER)
                } else {
                    Ty::Bool
                };
                with(sz(s).cost(STRING_TRAVERSAL), ty, None)
            }
            // (The quantity library's getters are in the same case of `cost.go`.)
            ("major" | "minor" | "patch" | "sign" | "asInteger", Some(_), []) => {
                with(1, Ty::Int, None)
            }
            ("asApproximateFloat", Some(_), []) => with(1, Ty::Double, None),
            ("compareTo", Some(_), [_]) => with(1, Ty::Int, None),
            ("isGreaterThan" | "isLessThan", Some(_), [_]) => with(1, Ty::Bool, None),
            ("isQuantity" | "isIP" | "isCIDR", None, [s]) => {
                with(sz(s).cost(STRING_TRAVERSAL), Ty::Bool, None)
            }
            ("isCanonical", None, [s]) if namespace == Some("ip") => {
                with(sz(s).cost(2.0 * STRING_TRAVERSAL), Ty::Bool, None)
            }
            // The format library checks a string against a name format: a regular expression of
            // at most `MaxNameFormatRegexSize` (128) characters.
            ("validate", Some(_), [s]) => with(
                sz(s)
                    .cost(STRING_TRAVERSAL)
                    .saturating_mul(factor_cost(128, REGEX_LENGTH)),
                Ty::Optional(Box::new(Ty::List(Box::new(Ty::Str)))),
                None,
            ),
            ("format", Some(t), [list]) if t.ty == Ty::Str => {
                let size = sz(t).add(sz(list));
                with(sz(t).cost(STRING_TRAVERSAL), Ty::Str, Some(size))
            }
            ("lowerAscii" | "upperAscii" | "substring" | "trim", Some(t), _) => {
                let s = sz(t);
                with(s.cost(STRING_TRAVERSAL), Ty::Str, Some(s))
            }
            ("replace", Some(t), [from, to, ..]) => {
                let s = sz(t);
                let (from, to) = (sz(from), sz(to));
                let (mut count, mut kept) = (Size::fixed(0), Size::fixed(0));
                if from.min == 0 {
                    count.max = if s.max < u64::MAX { s.max + 1 } else { s.max };
                    kept.max = s.max;
                } else if to.max <= from.min {
                    kept.max = s.max;
                } else {
                    count.max = (s.max as f64 / from.min as f64).ceil() as u64;
                }
                if from.max == 0 {
                    count.min = if s.min < u64::MAX { s.min + 1 } else { s.min };
                    kept.min = s.min;
                } else if from.max <= to.min {
                    kept.min = s.min;
                } else {
                    count.min = (s.min as f64 / from.max as f64).ceil() as u64;
                }
                let size = Size {
                    min: count.min.saturating_mul(to.min),
                    max: count.max.saturating_mul(to.max),
                }
                .add(kept);
                with(s.cost(2.0 * STRING_TRAVERSAL), Ty::Str, Some(size))
            }
            ("split", Some(t), rest) => {
                let s = sz(t);
                let max = match rest.get(1).map(|_| &call.args[1].expr) {
                    Some(Expr::Literal(LiteralValue::Int(n))) => (*n.inner()).max(0) as u64,
                    _ => s.max,
                };
                with(
                    s.cost(2.0 * STRING_TRAVERSAL),
                    Ty::List(Box::new(Ty::Str)),
                    Some(Size { min: 0, max }),
                )
            }
            ("join", Some(t), rest) => {
                let list = sz(t);
                let mut size = Size::fixed(0);
                if let Ty::List(elem) = &t.ty {
                    let e = Est {
                        path: self.child(t.path, Step::Items),
                        ..plain(0, (**elem).clone())
                    };
                    let es = sz(&e);
                    size = Size {
                        min: list.min.saturating_mul(es.min),
                        max: list.max.saturating_mul(es.max),
                    };
                }
                if let Some(sep) = rest.first() {
                    let sep = sz(sep);
                    size = size.add(Size {
                        min: sep.min.saturating_mul(list.min.saturating_sub(1)),
                        max: sep.max.saturating_mul(list.max.saturating_sub(1)),
                    });
                }
                with(size.cost(STRING_TRAVERSAL), Ty::Str, Some(size))
            }
            ("find" | "findAll", Some(t), [re, ..]) => {
                let s = sz(t);
                let str_cost = s.add(Size::fixed(1)).cost(STRING_TRAVERSAL);
                let re_cost = sz(re).cost(REGEX_LENGTH);
                let ty = if name == "find" {
                    Ty::Str
                } else {
                    Ty::List(Box::new(Ty::Str))
                };
                with(
                    str_cost.saturating_mul(re_cost),
                    ty,
                    Some(Size { min: 0, max: s.max }),
                )
            }
            // The CIDR's address: a field access.
            ("ip", Some(_), []) => with(1, Ty::Library(IP), None),
            ("masked", Some(_), []) => with(1, Ty::Library(CIDR), None),
            ("add" | "sub", Some(t), [_]) if t.ty == Ty::Library(QUANTITY) => {
                with(1, Ty::Library(QUANTITY), None)
            }
            ("containsIP" | "containsCIDR", Some(_), [other]) => {
                let ip = Size { min: 4, max: 16 };
                let mut cost = ip.add(ip).cost(STRING_TRAVERSAL);
                if name == "containsCIDR" {
                    cost = add(add(cost, ip.cost(STRING_TRAVERSAL)), 1);
                }
                if other.ty == Ty::Str {
                    cost = add(cost, sz(other).cost(STRING_TRAVERSAL));
                }
                with(cost, Ty::Bool, None)
            }
            ("size", _, _) | ("int", None, _) | ("indexOf" | "lastIndexOf", _, _) => {
                with(1, Ty::Int, None)
            }
            ("double", None, _) => with(1, Ty::Double, None),
            ("duration", None, _) => with(1, Ty::Duration, None),
            ("timestamp", None, _) => with(1, Ty::Timestamp, None),
            (
                "_<_"
                | "_<=_"
                | "_>_"
                | "_>=_"
                | "_==_"
                | "_!=_"
                | "@in"
                | "!_"
                | "@not_strictly_false"
                | "startsWith"
                | "endsWith"
                | "matches"
                | "contains"
                | "hasValue"
                | "isURL"
                | "isIP"
                | "isCIDR"
                | "isQuantity"
                | "isInteger",
                _,
                _,
            ) => with(1, Ty::Bool, None),
            ("string", None, _) | ("charAt", Some(_), _) => with(1, Ty::Str, None),
            ("orValue", Some(t), [alt]) => {
                let ty = match &t.ty {
                    Ty::Optional(inner) => (**inner).clone(),
                    _ => alt.ty.clone(),
                };
                with(1, ty, None)
            }
            ("value", Some(t), []) => {
                let ty = match &t.ty {
                    Ty::Optional(inner) => (**inner).clone(),
                    _ => Ty::Dyn,
                };
                with(1, ty, None)
            }
            ("_?._", None, [operand, _]) => {
                let field = match &call.args[1].expr {
                    Expr::Literal(LiteralValue::String(f)) => f.inner().to_string(),
                    _ => String::new(),
                };
                let path = self.child(operand.path, Step::Field(&field));
                let inner = match (path, &operand.ty) {
                    (Path::At(d), _) => ty_of(d),
                    (_, Ty::Map(v)) => (**v).clone(),
                    _ => Ty::Dyn,
                };
                Est {
                    path,
                    ..with(1, Ty::Optional(Box::new(inner)), None)
                }
            }
            ("-_", None, [x]) => with(1, x.ty.clone(), None),
            ("_-_" | "_*_" | "_/_" | "_%_", None, [a, _]) => with(1, a.ty.clone(), None),
            _ => with(1, Ty::Dyn, None),
        }
    }
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Field(&'a str),
    Items,
    Keys,
    Values,
}

/// The worst-case cost of one expression over `decl` (the node's declarations); `None` when it
/// does not parse (the compile check reports that).
fn expression_cost(text: &str, root: &Decl, optional_old_self: bool) -> Option<u64> {
    let parsed = super::parsed::parse(text);
    let parsed = parsed.as_ref().as_ref().ok()?;
    let mut estimator = Estimator {
        root,
        optional_old_self,
        locals: Vec::new(),
    };
    Some(estimator.est(parsed).cost)
}

// ---------------------------------------------------------------------------------------------
// The walk over a version's schema

/// How many times the children of `schema` can occur per occurrence of it
/// (`extractMaxElements`); `None` is unbounded.
fn max_elements(schema: &Value) -> Option<u64> {
    match member(schema, "type").and_then(Value::as_str) {
        Some("object") if member(schema, "additionalProperties").is_some_and(|a| !a.is_null()) => {
            int(schema, "maxProperties").map(non_negative)
        }
        Some("array") => int(schema, "maxItems").map(non_negative),
        _ => Some(1),
    }
}

struct RuleCost {
    pointer: String,
    cost: u64,
}

/// Checks the cost of every rule of one version's schema. `per_expression` is false on an update
/// that leaves the version's schema unchanged (the server ratchets the per-rule limit then).
/// `compiles(node, rule)` tells whether a rule compiled: the server counts 0 for those that did
/// not.
pub fn check_costs<'a>(
    root: &'a Value,
    per_expression: bool,
    compiles: &dyn Fn(&Value, &Value, &Value) -> (bool, bool),
) -> Vec<CostProblem> {
    let mut out = Vec::new();
    let mut total = 0u64;
    let mut expensive: Vec<RuleCost> = Vec::new();
    // Where each node sits, as (parent, step): the JSON pointer is spelled only for nodes with
    // rules, most nodes have none.
    let mut places: Vec<(usize, SchemaStep)> = vec![(0, SchemaStep::Root)];
    // (node, its place, cardinality, resource root)
    let mut stack: Vec<(&Value, usize, Option<u64>, bool)> = vec![(root, 0, Some(1), true)];
    while let Some((node, place, cardinality, resource_root)) = stack.pop() {
        if !node.is_object() {
            continue;
        }
        if let Some(rules) = member(node, "x-kubernetes-validations")
            .and_then(Value::as_array)
            .filter(|r| !r.is_empty())
            && let Some(d) = decl(node, resource_root || is_embedded(node))
        {
            let at = pointer(&places, place);
            // Below an unbounded list or map: as many copies as fit in one request.
            let card = cardinality.unwrap_or((MAX_REQUEST_SIZE / (d.min_size + 1)) as u64);
            for (i, rule) in rules.iter().enumerate() {
                let (rule_ok, message_ok) = compiles(root, node, rule);
                let optional = rule.get("optionalOldSelf").is_some_and(|v| !v.is_null());
                let text = rule.get("rule").and_then(Value::as_str).unwrap_or("");
                let pointer = format!("{at}/x-kubernetes-validations/{i}/rule");
                let max = if rule_ok && !text.trim().is_empty() {
                    expression_cost(text, &d, optional).unwrap_or(0)
                } else {
                    0
                };
                let cost = if max == 0 {
                    0
                } else {
                    max.saturating_mul(card)
                };
                if per_expression && cost > PER_EXPRESSION_LIMIT {
                    out.push(CostProblem {
                        pointer: pointer.clone(),
                        message: cost_error_message(
                            "estimated rule cost",
                            cost,
                            PER_EXPRESSION_LIMIT,
                        ),
                    });
                }
                observe(&mut total, &mut expensive, pointer, cost);
                let message_expression = rule
                    .get("messageExpression")
                    .and_then(Value::as_str)
                    .filter(|m| !m.trim().is_empty());
                if let Some(m) = message_expression
                    && message_ok
                {
                    let cost = expression_cost(m, &d, optional).unwrap_or(0);
                    let pointer = format!("{at}/x-kubernetes-validations/{i}/messageExpression");
                    if per_expression && cost > PER_EXPRESSION_LIMIT {
                        out.push(CostProblem {
                            pointer: pointer.clone(),
                            message: cost_error_message(
                                "estimated messageExpression cost",
                                cost,
                                PER_EXPRESSION_LIMIT,
                            ),
                        });
                    }
                    observe(&mut total, &mut expensive, pointer, cost);
                }
            }
        }
        let below = |factor: Option<u64>| match (cardinality, factor) {
            (Some(c), Some(f)) => Some(c.saturating_mul(f)),
            _ => None,
        };
        let factor = max_elements(node);
        let mut child_place = |step: SchemaStep<'a>| {
            places.push((place, step));
            places.len() - 1
        };
        if let Some(props) = member(node, "properties").and_then(Value::as_object) {
            for (k, child) in props.iter().rev() {
                let at = child_place(SchemaStep::Property(k));
                stack.push((child, at, below(factor), false));
            }
        }
        if let Some(items) = member(node, "items").filter(|i| i.is_object()) {
            let at = child_place(SchemaStep::Items);
            stack.push((items, at, below(factor), false));
        }
        if let Some(extra) = member(node, "additionalProperties").filter(|i| i.is_object()) {
            let at = child_place(SchemaStep::AdditionalProperties);
            stack.push((extra, at, below(factor), false));
        }
    }
    if total > PER_SCHEMA_LIMIT {
        for e in expensive {
            out.push(CostProblem {
                pointer: e.pointer,
                message: "contributed to estimated rule cost total exceeding cost limit for \
                          entire OpenAPIv3 schema"
                    .to_string(),
            });
        }
        out.push(CostProblem {
            pointer: String::new(),
            message: cost_error_message(
                "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema",
                total,
                PER_SCHEMA_LIMIT,
            ),
        });
    }
    out
}

/// One step from a schema node to a child, for [`pointer`] (the cost and rule walks spell a
/// node's pointer only where it has rules).
#[derive(Clone, Copy)]
pub(super) enum SchemaStep<'a> {
    Root,
    Property(&'a str),
    Items,
    AdditionalProperties,
}

/// The JSON pointer of the node at `place` (see `places` in [`check_costs`]).
pub(super) fn pointer(places: &[(usize, SchemaStep<'_>)], mut place: usize) -> String {
    let mut steps = Vec::new();
    while place != 0 {
        let (parent, step) = places[place];
        steps.push(step);
        place = parent;
    }
    let mut out = String::new();
    for step in steps.into_iter().rev() {
        match step {
            SchemaStep::Root => {}
            SchemaStep::Property(key) => {
                out.push_str("/properties/");
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            SchemaStep::Items => out.push_str("/items"),
            SchemaStep::AdditionalProperties => out.push_str("/additionalProperties"),
        }
    }
    out
}

/// `TotalCost.ObserveExpressionCost`: the total, and the four most expensive expressions of at
/// least 1% of the limit.
fn observe(total: &mut u64, expensive: &mut Vec<RuleCost>, pointer: String, cost: u64) {
    *total = total.saturating_add(cost);
    if cost < PER_SCHEMA_LIMIT / 100 {
        return;
    }
    expensive.push(RuleCost { pointer, cost });
    expensive.sort_by_key(|e| std::cmp::Reverse(e.cost));
    expensive.truncate(4);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cost_of(schema: &Value, rule: &str) -> u64 {
        let d = decl(schema, false).expect("decl");
        expression_cost(rule, &d, false).expect("parses")
    }

    #[test]
    fn string_sizes_follow_max_length_enum_and_format() {
        let s = json!({"type": "string", "maxLength": 10});
        assert_eq!(decl(&s, false).unwrap().max_elements, 40);
        let s = json!({"type": "string", "enum": ["a", "abcd"]});
        assert_eq!(decl(&s, false).unwrap().max_elements, 4);
        let s = json!({"type": "string"});
        assert_eq!(decl(&s, false).unwrap().max_elements, 3_145_726);
        let s = json!({"type": "string", "format": "date-time"});
        assert_eq!(decl(&s, false).unwrap().max_elements, 32);
    }

    #[test]
    fn unbounded_lists_hold_what_fits_in_a_request() {
        let s = json!({"type": "array", "items": {"type": "string"}});
        // (3 MiB - 2) / (2 + 1)
        assert_eq!(decl(&s, false).unwrap().max_elements, 1_048_575);
        let s = json!({"type": "array", "maxItems": 7, "items": {"type": "integer"}});
        assert_eq!(decl(&s, false).unwrap().max_elements, 7);
    }

    #[test]
    fn comprehension_costs_follow_cel_go() {
        let s = json!({"type": "array", "maxItems": 10,
            "items": {"type": "string", "maxLength": 5}});
        // all(): range 1 + init 0 + result 1 + 10 × (cond 2 + step (1 + size 1 + call 1)).
        // The call: size(x) of a list element = 1 (+ x 1).
        assert_eq!(
            cost_of(&s, "self.all(x, size(x) > 0)"),
            1 + 1 + 10 * (2 + 1 + 3)
        );
        // matches: (20 + 1) × 0.1 → 3, regex of 4 characters × 0.25 → 1; plus x.
        assert_eq!(
            cost_of(&s, "self.all(x, x.matches('^a+$'))"),
            1 + 1 + 10 * (2 + 1 + 1 + 3)
        );
    }

    /// Costs measured with the API server's own estimator (crd-apiserver-validate: a rule on the
    /// items of a list with maxItems N is refused once cost × N exceeds 10,000,000, and the
    /// message's factor gives the cost).
    #[test]
    fn costs_agree_with_the_api_server() {
        let item = json!({"type": "object", "properties": {
            "a": {"type": "string", "maxLength": 10},
            "q": {"type": "string", "maxLength": 10},
            "n": {"type": "integer"},
            "d": {"type": "string", "format": "duration"},
            "t": {"type": "array", "maxItems": 5, "items": {"type": "string", "maxLength": 10}},
            "m": {"type": "object", "maxProperties": 5,
                  "additionalProperties": {"type": "string", "maxLength": 10}},
            "o": {"type": "object", "properties": {"x": {"type": "string", "maxLength": 10}}}}});
        let measured: &[(&str, u64)] = &[
            // Two-variable comprehensions (cel-go's `ext.TwoVarComprehensions`).
            ("self.t.all(i, x, true)", 18),
            ("self.t.all(i, x, x == 'a')", 28),
            ("self.m.exists(k, v, v == 'a')", 33),
            ("self.t.existsOne(i, x, x == 'a')", 24),
            ("self.t.transformList(i, x, x + 'a').size() > 0", 105),
            ("self.t.transformList(i, x, i > 0, x).size() > 0", 90),
            ("self.m.transformMap(k, v, v + 'a').size() > 0", 80),
            ("self.t.transformMapEntry(i, x, {x: i}).size() > 0", 205),
            (
                "self.m.transformMapEntry(k, v, k != 'z', {v: k}).size() > 0",
                210,
            ),
            ("self.t.all(i, x, self.m.all(k, v, v != x))", 258),
            ("dyn(self.t).reverse().size() > 0", 21),
            ("self.m.transformMapEntry(k, v, {v: k}).size() > 0", 205),
            (
                "self.t.transformMapEntry(i, x, i > 0, {x: i}).size() > 0",
                215,
            ),
            ("self.m.all(k, v, k != 'z')", 23),
            ("self.m.all(k, k != 'z')", 23),
            ("self.m.all(k, v, v != 'z')", 28),
            ("self.t.all(i, x, i != 1)", 28),
            ("self.t.reverse().size() > 0", 20),
            ("self.a in ['a', 'b']", 14),
            ("self.t.map(x, x + 'a').size() > 0", 105),
            ("self.t.exists_one(x, x == 'a')", 24),
            ("self.t.exists(x, x == 'a')", 33),
            ("self.t.filter(x, x.startsWith('a')).size() == 1", 90),
            ("self.?a.orValue('') != ''", 3),
            ("url(self.a).getHost() != ''", 7),
            ("isURL(self.a)", 3),
            ("quantity(self.q).isInteger()", 7),
            ("self.a.split(',').size() < 3", 12),
            ("int(self.a) > 0", 4),
            ("duration(self.d) > duration('1s')", 5),
            ("self.a.lowerAscii() == 'a'", 7),
            ("self.a.contains('abc')", 6),
            ("self.a.size() >= 0", 4),
            ("size(self.t) > 0", 4),
            ("self == oldSelf", 2),
            ("self.t == oldSelf.t", 5),
            ("self.o.x == 'a'", 4),
            ("type(self.a) == string", 4),
            ("ip(self.a).family() == 4", 8),
            ("cidr(self.a).prefixLength() > 0", 8),
            ("self.n > 0 ? self.a.size() > 0 : true", 7),
            ("self.t.join(',') == 'a'", 24),
            ("self.a.replace('a', 'bb') == 'x'", 11),
            ("self.t[0] == 'a'", 4),
            ("!has(self.a) || self.a != ''", 4),
            ("self.a.matches('^[a-z]+$') && self.a.endsWith('x')", 15),
            ("format.dns1123Label().validate(self.a).hasValue()", 132),
            ("self.t.isSorted()", 27),
            ("[1, 2].all(x, x > 0)", 21),
            ("self.a.substring(1) == 'b'", 7),
            ("self.a.indexOf('b') > 0", 7),
            ("self.t.all(x, true)", 18),
            ("self.t.all(x, self.t.all(y, true))", 108),
            ("self.t.all(x, x == 'a')", 28),
            ("self.t.all(x, [1].all(y, true))", 88),
            ("[1,2,3].all(z, self.t.all(y, y == 'a'))", 104),
            ("[1,2,3].all(z, [1,2].all(y, y == 1))", 77),
            ("[1,2,3].all(z, z == 1)", 23),
            ("isQuantity(self.q)", 6),
            ("isIP(self.a)", 6),
            ("isCIDR(self.a)", 6),
            ("self.a.trim() == 'a'", 7),
            ("self.a.charAt(0) == 'a'", 4),
            ("self.t.indexOf('a') > 0", 28),
            ("self.a.find('[a-z]') == 'a'", 13),
            ("self.a.findAll('x').size() > 0", 9),
            ("self.t.min() == 'a'", 28),
            ("self.a < 'b'", 3),
            ("self.a + self.a == 'x'", 13),
            ("'%s'.format([self.a]) == 'x'", 14),
            ("self.a.startsWith(self.a)", 8),
            ("self.?a.hasValue()", 3),
            ("self.n in [1, 2]", 14),
            ("self.o.x.upperAscii() == 'A'", 8),
            ("quantity(self.q).isGreaterThan(quantity('1'))", 8),
            ("cidr(self.a).containsIP(self.q)", 16),
            ("ip(self.a) == ip(self.q)", 13),
            ("cidr(self.a) == cidr(self.q)", 13),
            ("cidr(self.a).masked() == cidr(self.a)", 14),
            ("cidr(self.a).ip() == ip(self.q)", 14),
            ("string(ip(self.a)) == self.a", 13),
            ("cidr(self.a).containsIP(ip(self.q))", 16),
            ("ip(self.a).isLoopback()", 7),
            ("ip(self.a) in [ip(self.q)]", 23),
            ("quantity(self.a) == quantity(self.q)", 13),
            (
                "quantity(self.a).add(quantity(self.q)) == quantity(self.q)",
                20,
            ),
            ("url(self.a) == url(self.q)", 16),
            ("url(self.a) == url('https://x')", 8),
            ("url('https://x') == url(self.a)", 11),
            ("url(self.a + self.a + self.a) == url(self.a)", 48),
            ("cidr(self.a).containsCIDR('10.0.0.0/8')", 14),
            ("isIP(self.a) && ip.isCanonical(self.a)", 16),
            ("self.a.split(',', 2).size() < 3", 12),
            ("self.a.lastIndexOf('b') > 0", 7),
            ("self.a.matches(self.q)", 54),
        ];
        let wrong: Vec<String> = measured
            .iter()
            .filter_map(|(rule, cost)| {
                let got = cost_of(&item, rule);
                (got != *cost).then(|| format!("{rule}: {got}, the server {cost}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// `!=` has no estimate in the Kubernetes library: of IPs (sizes unknown) it is refused at any
    /// bound, as by the server; `==` costs 1.
    #[test]
    fn inequality_of_library_values_costs_the_unknown_size() {
        let item = json!({"type": "object", "properties": {
            "a": {"type": "string", "maxLength": 10}}});
        assert!(cost_of(&item, "ip(self.a) != ip(self.a)") > PER_EXPRESSION_LIMIT);
        assert!(cost_of(&item, "cidr(self.a) != cidr(self.a)") > PER_EXPRESSION_LIMIT);
        assert_eq!(cost_of(&item, "ip(self.a) == ip(self.a)"), 13);
    }

    /// The server's `cost.go` costs the semver library in the same cases as the quantity
    /// library: parsing is one traversal of the string, the getters and comparisons cost 1, `==`
    /// costs 1 and `!=` the unknown size (the CRD oracle refuses `semver(a) != semver(b)`).
    #[test]
    fn semver_costs_as_quantity_does() {
        let item = json!({"type": "object", "properties": {
            "a": {"type": "string", "maxLength": 10},
            "q": {"type": "string", "maxLength": 10}}});
        for (semver, quantity) in [
            (
                "semver(self.a) == semver(self.q)",
                "quantity(self.a) == quantity(self.q)",
            ),
            (
                "semver(self.a, true).compareTo(semver(self.q)) == 0",
                "quantity(self.a).compareTo(quantity(self.q)) == 0",
            ),
            (
                "semver(self.a).isLessThan(semver(self.q))",
                "quantity(self.a).isLessThan(quantity(self.q))",
            ),
            ("isSemver(self.a)", "isQuantity(self.a)"),
        ] {
            assert_eq!(cost_of(&item, semver), cost_of(&item, quantity), "{semver}");
        }
        assert_eq!(cost_of(&item, "semver(self.a) == semver(self.q)"), 13);
        assert_eq!(
            cost_of(&item, "semver(self.a).major() + semver(self.a).patch() > 0"),
            cost_of(
                &item,
                "quantity(self.a).sign() + quantity(self.a).sign() > 0"
            )
        );
        assert!(cost_of(&item, "semver(self.a) != semver(self.q)") > PER_EXPRESSION_LIMIT);
    }

    /// The boundary measured with the API server: 178,571 strings of at most 63 characters pass,
    /// one more is refused by a factor of 1.000003.
    #[test]
    fn the_per_rule_limit_falls_where_the_servers_does() {
        let compiles = |_: &Value, _: &Value, _: &Value| (true, true);
        let schema = |max_items: u64| {
            json!({"type": "object", "properties": {"names": {"type": "array",
                "maxItems": max_items, "items": {"type": "string", "maxLength": 63},
                "x-kubernetes-validations": [{"rule": "self.all(x, x.matches('^[a-z]+$'))"}]}}})
        };
        assert!(check_costs(&schema(178_571), true, &compiles).is_empty());
        let refused: Vec<String> = check_costs(&schema(178_572), true, &compiles)
            .into_iter()
            .map(|p| format!("{}: {}", p.pointer, p.message))
            .collect();
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(
            refused[0].starts_with(
                "/properties/names/x-kubernetes-validations/0/rule: estimated rule cost exceeds \
                 budget by factor of 1.000003x"
            ),
            "{refused:?}"
        );
    }

    proptest::proptest! {
        /// Larger bounds never make a rule cheaper: the estimate is monotonic in maxItems and
        /// maxLength, for every rule shape the mutants use.
        #[test]
        fn larger_bounds_never_cost_less(
            items in 0u64..2_000_000,
            more_items in 0u64..2_000_000,
            length in 0u64..100_000,
            more_length in 0u64..100_000,
            rule in proptest::sample::select(vec![
                "self.all(x, x.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'))",
                "self.map(x, x.lowerAscii()).exists(x, x == 'a')",
                "self.all(x, self.exists_one(y, x == y))",
                "self.filter(x, x.startsWith('a')).size() < 5",
                "self.exists(x, x.contains('gpu'))",
                "self == oldSelf",
                "self.all(x, x.split('/').size() <= 2)",
                "self.join(',').size() < 100",
            ]),
        ) {
            let list = |n: u64, l: u64| json!({"type": "array", "maxItems": n,
                "items": {"type": "string", "maxLength": l}});
            let small = cost_of(&list(items, length), rule);
            let large = cost_of(&list(items + more_items, length + more_length), rule);
            proptest::prop_assert!(small <= large, "{rule}: {small} > {large}");
        }
    }

    #[test]
    fn messages_are_the_servers() {
        assert!(
            cost_error_message("estimated rule cost", 25_000_000, 10_000_000)
                .starts_with("estimated rule cost exceeds budget by factor of 2.5x")
        );
        assert!(
            cost_error_message("estimated rule cost", 12_000_000, 10_000_000)
                .contains("factor of 1.200000x")
        );
        assert!(
            cost_error_message("estimated rule cost", u64::MAX, 10_000_000)
                .contains("more than 100x")
        );
    }

    #[test]
    fn rules_over_the_budget_are_refused_with_the_enclosing_cardinality() {
        let compiles = |_: &Value, _: &Value, _: &Value| (true, true);
        let schema = |max_items: Option<u64>| {
            let mut list = json!({"type": "array",
                "items": {"type": "string", "maxLength": 64,
                    "x-kubernetes-validations": [{"rule": "self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')"}]}});
            if let Some(n) = max_items {
                list["maxItems"] = json!(n);
            }
            json!({"type": "object", "properties": {"spec": {"type": "object",
                "properties": {"names": list}}}})
        };
        assert!(check_costs(&schema(Some(10)), true, &compiles).is_empty());
        let refused = check_costs(&schema(None), true, &compiles);
        assert!(
            refused
                .iter()
                .any(|p| p.message.starts_with("estimated rule cost exceeds budget")),
            "{:?}",
            refused.iter().map(|p| &p.message).collect::<Vec<_>>()
        );
        // Not on an update that leaves the schema as it was; the total still counts.
        assert!(
            check_costs(&schema(None), false, &compiles)
                .iter()
                .all(|p| !p.message.starts_with("estimated rule cost exceeds"))
        );
    }
}
