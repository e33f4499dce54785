//! cel-go's two-variable comprehensions (`ext.TwoVarComprehensions`, in the API server's CEL
//! environment): `all`, `exists`, `existsOne` / `exists_one` with two variables, and
//! `transformList`, `transformMap`, `transformMapEntry`, each with an optional filter. Over a
//! list the variables are the index and the element, over a map the key and the value.
//!
//! The `cel` crate parses `x.all(i, v, p)` as a plain member call with three arguments: these
//! are the macros that expand it, in two forms.
//! - [`Form::Checked`] is cel-go's own expansion (a comprehension with `iter_var2`, the map
//!   inserts as calls of `cel.@mapInsert`): what `crd-invalid` type-checks and costs.
//! - [`Form::Evaluated`] is what the crate's interpreter can run, since it binds one iteration
//!   variable only: the comprehension runs over `@twoVarEntries(x)` (the `[index, element]` or
//!   `[key, value]` pairs, see [`register`]), and each expression written with the two
//!   variables is wrapped in two `cel.bind`-style comprehensions that bind them from the pair.
//!   The accumulator and the loop steps keep the shapes of cel-go's, so errors are absorbed
//!   (`all`, `exists`) as cel-go absorbs them.
//!
//! Both refuse what cel-go's macros refuse, with its messages: a variable that is not a simple
//! name, the same name twice, the accumulator's name.
//!
//! Also here: `reverse()` as the server has it (lists only, [`add_list_reverse`]), and
//! [`iteration`], what a rule's comprehensions bind, for the evaluator's estimate of the values
//! a rule reads.

use cel::common::ast::{CallExpr, ComprehensionExpr, Expr, ListExpr, LiteralValue, MapExpr};
use cel::common::types::{CelInt, CelList, CelMap, CelMapKey, DYN_TYPE, Kind};
use cel::common::value::{CowVal, Val};
use cel::parser::{Macro, MacroExprHelper};
use cel::{DeclarationError, Env, ExecutionError, IdedExpr, ParseError};
use std::collections::HashMap;

/// Which expansion the macros produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// cel-go's comprehension, with two iteration variables: for the type checker and the cost
    /// estimate.
    Checked,
    /// A comprehension the `cel` crate's interpreter evaluates.
    Evaluated,
}

/// cel-go's map insertion function, which `transformMap` and `transformMapEntry` call.
pub const MAP_INSERT: &str = "cel.@mapInsert";
/// The pairs a two-variable comprehension of the evaluated form runs over.
const ENTRIES: &str = "@twoVarEntries";
const ACCU: &str = "@result";
/// cel-go's former accumulator name, which its macros still refuse as a variable.
const LEGACY_ACCU: &str = "__result__";
/// The variable holding the current `[first, second]` pair in the evaluated form.
const PAIR: &str = "@pair";

/// The macros, by what they build.
#[derive(Clone, Copy)]
enum TwoVarMacro {
    All,
    Exists,
    ExistsOne,
    TransformList,
    TransformMap,
    TransformMapEntry,
}

/// Adds the macros, in `form`, to `env`.
pub fn add_macros(env: &mut Env, form: Form) -> Result<(), DeclarationError> {
    let quantifiers = [
        ("all", TwoVarMacro::All),
        ("exists", TwoVarMacro::Exists),
        ("existsOne", TwoVarMacro::ExistsOne),
        ("exists_one", TwoVarMacro::ExistsOne),
    ];
    let transforms = [
        ("transformList", TwoVarMacro::TransformList),
        ("transformMap", TwoVarMacro::TransformMap),
        ("transformMapEntry", TwoVarMacro::TransformMapEntry),
    ];
    let arities = quantifiers
        .iter()
        .map(|&(name, kind)| (name, kind, 3))
        .chain(
            transforms
                .iter()
                .flat_map(|&(name, kind)| [(name, kind, 3), (name, kind, 4)]),
        );
    for (name, kind, arity) in arities {
        env.add_macro(Macro::receiver(name, arity, move |helper, target, args| {
            expand(helper, target, args, kind, form).map(Some)
        }))?;
    }
    Ok(())
}

/// `x.reverse()` is `ext.Lists`' only: the server's `ext.Strings` (v2) has no string
/// `reverse`, which the crate's string extension (v3) has. The evaluated form calls
/// `@reverseList(x)` instead, which fails on a string as the server does (`dyn(s).reverse()`).
pub fn add_list_reverse(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_macro(Macro::receiver("reverse", 0, |helper, target, _args| {
        let target = target.take().expect("a receiver macro has a target");
        Ok(Some(helper.next_expr(Expr::Call(CallExpr {
            func_name: REVERSE.to_string(),
            target: None,
            args: vec![target],
        }))))
    }))?;
    let list = <CelList<'_> as Val>::cel_type().to_owned();
    let string = <cel::common::types::CelString<'_> as Val>::cel_type().to_owned();
    env.add_overload(REVERSE, "reverse_list", vec![list], reverse_list)?;
    env.add_overload(REVERSE, "reverse_string", vec![string], reverse_string)
}

const REVERSE: &str = "@reverseList";

fn reverse_list<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let mut items: Vec<Box<dyn Val + 'v>> = Vec::new();
    if let Some(iterable) = args[0].as_iterable() {
        let mut it = iterable.iter();
        while let Some(item) = it.next() {
            items.push(item.clone_as_boxed());
        }
    }
    items.reverse();
    Ok(CowVal::owned(CelList::from(items)))
}

/// The server's error for `reverse` of a string.
fn reverse_string<'b, 'v>(_: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    Err(ExecutionError::function_error(
        "reverse",
        "no such overload: reverse(string)",
    ))
}

/// Registers what the evaluated form calls: `@twoVarEntries` and `cel.@mapInsert`.
pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    // Declared for any value: a range or an entry of another type fails in the functions, with
    // cel-go's run-time errors.
    let map = <CelMap<'_> as Val>::cel_type().to_owned();
    env.add_overload(ENTRIES, "two_var_entries", vec![DYN_TYPE], entries)?;
    env.add_overload(
        MAP_INSERT,
        "map_insert_map",
        vec![map, DYN_TYPE],
        map_insert,
    )
}

fn expand(
    helper: &mut MacroExprHelper<'_>,
    target: &mut Option<IdedExpr>,
    args: &mut Vec<IdedExpr>,
    kind: TwoVarMacro,
    form: Form,
) -> Result<IdedExpr, ParseError> {
    let first = simple_name(helper, &args[0])?;
    let second = simple_name(helper, &args[1])?;
    if first == second {
        return Err(helper.new_error(args[1].id, format!("duplicate variable name: {first}")));
    }
    for (name, arg) in [(&first, &args[0]), (&second, &args[1])] {
        if name == LEGACY_ACCU || name == ACCU {
            return Err(
                helper.new_error(arg.id, "iteration variable overwrites accumulator variable")
            );
        }
    }
    let range = target.take().expect("a receiver macro has a target");
    let mut body = args.split_off(2);
    let transform = body.pop().expect("three or four arguments");
    let filter = body.pop();
    let mut b = Builder {
        helper,
        form,
        first,
        second,
    };
    let (init, cond, step, result) = match kind {
        TwoVarMacro::All => {
            let p = b.bound(transform);
            let accu = b.accu();
            let cond = b.call("@not_strictly_false", vec![accu]);
            let accu = b.accu();
            (
                b.literal(LiteralValue::Boolean(true.into())),
                cond,
                b.call("_&&_", vec![accu, p]),
                b.accu(),
            )
        }
        TwoVarMacro::Exists => {
            let p = b.bound(transform);
            let accu = b.accu();
            let not = b.call("!_", vec![accu]);
            let cond = b.call("@not_strictly_false", vec![not]);
            let accu = b.accu();
            (
                b.literal(LiteralValue::Boolean(false.into())),
                cond,
                b.call("_||_", vec![accu, p]),
                b.accu(),
            )
        }
        TwoVarMacro::ExistsOne => {
            let p = b.bound(transform);
            let accu = b.accu();
            let one = b.literal(LiteralValue::Int(1.into()));
            let plus = b.call("_+_", vec![accu, one]);
            let accu = b.accu();
            let step = b.call("_?_:_", vec![p, plus, accu]);
            let accu = b.accu();
            let one = b.literal(LiteralValue::Int(1.into()));
            (
                b.literal(LiteralValue::Int(0.into())),
                b.literal(LiteralValue::Boolean(true.into())),
                step,
                b.call("_==_", vec![accu, one]),
            )
        }
        TwoVarMacro::TransformList | TwoVarMacro::TransformMap | TwoVarMacro::TransformMapEntry => {
            let t = b.bound(transform);
            let accu = b.accu();
            let (init, step) = match kind {
                TwoVarMacro::TransformList => {
                    let item = b.node(Expr::List(ListExpr::new(vec![t])));
                    (
                        b.node(Expr::List(ListExpr::new(Vec::new()))),
                        b.call("_+_", vec![accu, item]),
                    )
                }
                // cel-go inserts the key and the value; evaluated, the pair is inserted as a
                // one-entry map, through the one overload `transformMapEntry` needs too.
                TwoVarMacro::TransformMap if form == Form::Checked => {
                    let key = b.node(Expr::Ident(b.first.clone()));
                    (b.empty_map(), b.call(MAP_INSERT, vec![accu, key, t]))
                }
                TwoVarMacro::TransformMap => {
                    let key = b.first_value();
                    let entry = b.entry(key, t);
                    (b.empty_map(), b.call(MAP_INSERT, vec![accu, entry]))
                }
                _ => (b.empty_map(), b.call(MAP_INSERT, vec![accu, t])),
            };
            let step = match filter {
                Some(f) => {
                    let f = b.bound(f);
                    let accu = b.accu();
                    b.call("_?_:_", vec![f, step, accu])
                }
                None => step,
            };
            (
                init,
                b.literal(LiteralValue::Boolean(true.into())),
                step,
                b.accu(),
            )
        }
    };
    let (range, iter_var, iter_var2) = match form {
        Form::Checked => (range, b.first.clone(), Some(b.second.clone())),
        Form::Evaluated => (b.call(ENTRIES, vec![range]), PAIR.to_string(), None),
    };
    Ok(b.node(Expr::Comprehension(Box::new(ComprehensionExpr {
        iter_range: range,
        iter_var,
        iter_var2,
        accu_var: ACCU.to_string(),
        accu_init: init,
        loop_cond: cond,
        loop_step: step,
        result,
    }))))
}

fn simple_name(helper: &MacroExprHelper<'_>, arg: &IdedExpr) -> Result<String, ParseError> {
    match &arg.expr {
        Expr::Ident(name) => Ok(name.clone()),
        _ => Err(helper.new_error(arg.id, "argument must be a simple name")),
    }
}

struct Builder<'h, 'a> {
    helper: &'h mut MacroExprHelper<'a>,
    form: Form,
    first: String,
    second: String,
}

impl Builder<'_, '_> {
    fn node(&mut self, expr: Expr) -> IdedExpr {
        self.helper.next_expr(expr)
    }

    fn literal(&mut self, value: LiteralValue) -> IdedExpr {
        self.node(Expr::Literal(value))
    }

    fn accu(&mut self) -> IdedExpr {
        self.node(Expr::Ident(ACCU.to_string()))
    }

    fn call(&mut self, name: &str, args: Vec<IdedExpr>) -> IdedExpr {
        self.node(Expr::Call(CallExpr {
            func_name: name.to_string(),
            target: None,
            args,
        }))
    }

    fn empty_map(&mut self) -> IdedExpr {
        self.node(Expr::Map(MapExpr::default()))
    }

    /// `{key: value}`.
    fn entry(&mut self, key: IdedExpr, value: IdedExpr) -> IdedExpr {
        let id = self.node(Expr::Unspecified).id;
        self.node(Expr::Map(MapExpr {
            entries: vec![cel::common::ast::IdedEntryExpr {
                id,
                expr: cel::common::ast::EntryExpr::MapEntry(cel::common::ast::MapEntryExpr {
                    key,
                    value,
                    optional: false,
                }),
            }],
        }))
    }

    /// The first variable's value where the step needs it (the key of `transformMap`).
    fn first_value(&mut self) -> IdedExpr {
        let first = self.node(Expr::Ident(self.first.clone()));
        self.bound(first)
    }

    /// `e` where the two variables are bound: as written in the checked form; inside two
    /// bindings from the current pair in the evaluated form.
    fn bound(&mut self, e: IdedExpr) -> IdedExpr {
        match self.form {
            Form::Checked => e,
            Form::Evaluated => {
                let inner = self.bind(self.second.clone(), 1, e);
                self.bind(self.first.clone(), 0, inner)
            }
        }
    }

    /// `cel.bind(name, @pair[index], body)`: a comprehension over an empty list whose
    /// accumulator is the variable.
    fn bind(&mut self, name: String, index: i64, body: IdedExpr) -> IdedExpr {
        let pair = self.node(Expr::Ident(PAIR.to_string()));
        let at = self.literal(LiteralValue::Int(index.into()));
        let value = self.call("_[_]", vec![pair, at]);
        let empty = self.node(Expr::List(ListExpr::new(Vec::new())));
        let never = self.literal(LiteralValue::Boolean(false.into()));
        let step = self.node(Expr::Ident(name.clone()));
        self.node(Expr::Comprehension(Box::new(ComprehensionExpr {
            iter_range: empty,
            iter_var: "#unused".to_string(),
            iter_var2: None,
            accu_var: name,
            accu_init: value,
            loop_cond: never,
            loop_step: step,
            result: body,
        })))
    }
}

/// `@twoVarEntries(x)`: `[[0, x[0]], [1, x[1]], ...]` of a list, `[[k, x[k]], ...]` of a map.
fn entries<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let range = &args[0];
    let pair = |a: Box<dyn Val + 'v>, b: Box<dyn Val + 'v>| -> Box<dyn Val + 'v> {
        Box::new(CelList::from(vec![a, b]))
    };
    let mut out: Vec<Box<dyn Val + 'v>> = Vec::new();
    // cel-go's error for a range that is neither (reached through `dyn`), naming its Go type.
    let not_iterable = || {
        let go_type = match range.get_type().kind() {
            Kind::String => "types.String",
            Kind::Int => "types.Int",
            Kind::UInt => "types.Uint",
            Kind::Double => "types.Double",
            Kind::Boolean => "types.Bool",
            Kind::Bytes => "types.Bytes",
            Kind::NullType => "types.Null",
            Kind::Duration => "types.Duration",
            Kind::Timestamp => "types.Timestamp",
            _ => range.get_type().name(),
        };
        ExecutionError::function_error(
            ENTRIES,
            format!("unsupported comprehension range type: {go_type}"),
        )
    };
    let mut items = range.as_iterable().ok_or_else(not_iterable)?.iter();
    match range.get_type().kind() {
        Kind::List => {
            let mut index = 0i64;
            while let Some(item) = items.next() {
                out.push(pair(Box::new(CelInt::from(index)), item.clone_as_boxed()));
                index += 1;
            }
        }
        Kind::Map => {
            let indexer = range.as_indexer().ok_or_else(not_iterable)?;
            while let Some(key) = items.next() {
                let value = indexer.get(key)?;
                out.push(pair(key.clone_as_boxed(), value.clone_as_boxed()));
            }
        }
        _ => return Err(not_iterable()),
    }
    Ok(CowVal::owned(CelList::from(out)))
}

/// `cel.@mapInsert(m, entries)`: `m` with the entries added; a key `m` has already fails as in
/// cel-go (`insert failed: key K already exists`).
fn map_insert<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let (Some(accu), Some(update)) = (
        args[0].downcast_ref::<CelMap<'v>>(),
        args[1].downcast_ref::<CelMap<'v>>(),
    ) else {
        // An entry that is not a map (reached through `dyn`): cel-go's words.
        let types: Vec<&str> = args.iter().map(|a| a.get_type().name()).collect();
        return Err(ExecutionError::function_error(
            MAP_INSERT,
            format!("no such overload: {MAP_INSERT}({})", types.join(", ")),
        ));
    };
    let mut merged: HashMap<CelMapKey<'v>, Box<dyn Val + 'v>> = accu.inner().clone();
    for (key, value) in update.inner() {
        if merged.contains_key(key) {
            return Err(ExecutionError::function_error(
                MAP_INSERT,
                format!("insert failed: key {} already exists", key_text(key)),
            ));
        }
        merged.insert(key.clone(), value.clone());
    }
    Ok(CowVal::owned(CelMap::from(merged)))
}

/// A key as Go's `%v` prints it.
fn key_text(key: &CelMapKey<'_>) -> String {
    match key {
        CelMapKey::Bool(b) => b.inner().to_string(),
        CelMapKey::Int(i) => i.inner().to_string(),
        CelMapKey::UInt(u) => u.inner().to_string(),
        CelMapKey::String(s) => s.inner().to_string(),
    }
}

/// What a rule's comprehensions bind, read from its text (for the evaluator's estimate of
/// which values a rule reads).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Iteration {
    /// A comprehension with one or two variables: the elements of the lists it runs over.
    pub elements: bool,
    /// A comprehension with two variables: also the values of the maps it runs over.
    pub pairs: bool,
}

/// The comprehensions `source` calls (`.all(x, ...`, `.all(k, v, ...`).
pub fn iteration(source: &str) -> Iteration {
    const ONE: &[&str] = &["map", "filter"];
    const TWO: &[&str] = &[
        "all",
        "exists",
        "existsOne",
        "exists_one",
        "transformList",
        "transformMap",
        "transformMapEntry",
    ];
    // The length of a simple name (after blanks) at the start of `s`, or of a comma.
    fn ident(s: &str) -> Option<usize> {
        let t = s.trim_start();
        if !t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return None;
        }
        let len = t
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(t.len());
        Some(s.len() - t.len() + len)
    }
    fn comma(s: &str) -> Option<usize> {
        let t = s.trim_start();
        t.starts_with(',').then_some(s.len() - t.len() + 1)
    }
    // How many `name,` arguments the call at `rest` starts with (0, 1 or 2).
    fn names(mut rest: &str) -> usize {
        let mut n = 0;
        while n < 2 {
            let Some(a) = ident(rest) else { break };
            let Some(b) = comma(&rest[a..]) else { break };
            rest = &rest[a + b..];
            n += 1;
        }
        n
    }
    let mut out = Iteration::default();
    for (list, two) in [(ONE, false), (TWO, true)] {
        for name in list {
            let needle = format!(".{name}(");
            for (at, _) in source.match_indices(&needle) {
                let n = names(&source[at + needle.len()..]);
                out.elements |= n >= 1;
                out.pairs |= two && n == 2;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_form_is_cel_gos_comprehension_with_two_variables() {
        let mut env = Env::stdlib();
        add_macros(&mut env, Form::Checked).expect("the macros are new");
        let parsed = env.parser().parse("[1].all(i, v, v > i)").expect("parses");
        let Expr::Comprehension(c) = &parsed.expr else {
            panic!("{parsed:?}");
        };
        assert_eq!(
            (c.iter_var.as_str(), c.iter_var2.as_deref()),
            ("i", Some("v"))
        );
        // The one-variable macros are still the standard ones.
        let parsed = env.parser().parse("[1].all(v, v > 0)").expect("parses");
        assert!(matches!(&parsed.expr, Expr::Comprehension(c) if c.iter_var2.is_none()));
    }

    #[test]
    fn both_forms_and_reverse_register_on_one_environment() {
        let mut env = Env::stdlib();
        add_macros(&mut env, Form::Evaluated).expect("the macros are new");
        register(&mut env).expect("the functions are new");
        add_list_reverse(&mut env).expect("reverse is new");
        let program = env.compile("[3, 4].transformList(i, v, i + v).reverse() == [5, 3]");
        let ctx = cel::Context::with_env(std::sync::Arc::new(env));
        assert_eq!(
            program.expect("compiles").execute(&ctx),
            Ok(cel::Value::Bool(true))
        );
    }

    #[test]
    fn iteration_is_read_from_the_rule() {
        let none = Iteration::default();
        let elements = Iteration {
            elements: true,
            pairs: false,
        };
        let both = Iteration {
            elements: true,
            pairs: true,
        };
        for (rule, expected) in [
            ("self.a.size() > 0", none),
            ("self.a.all(x, x > 0)", elements),
            ("self.a.map(x, x > 0, x)", elements),
            ("self.a.map(x, cond, x)", elements),
            ("self.m.all(k, v, v > 0)", both),
            ("self.m.exists(k,v,true)", both),
            ("self.m.transformMapEntry( k , v , {v: k}).size() > 0", both),
            ("self.all(1, v, true)", none),
        ] {
            assert_eq!(iteration(rule), expected, "{rule}");
        }
    }
}
