//! The Kubernetes lists library (k8s.io/apiserver `pkg/cel/library/lists.go`): the list members
//! `isSorted()`, `sum()`, `min()`, `max()`, `indexOf(x)` and `lastIndexOf(x)`.
//!
//! The server declares them per element type (`list(int).sum()`, ...) and its type checker picks
//! the overload; the evaluator here is dynamic, so each takes any list and works on the elements'
//! own comparisons and additions, which is what the server's implementations do too. One
//! difference follows: `sum()` of an empty list is the int `0` here, where the server returns the
//! zero of the declared element type (`0.0` for a list of doubles, `duration('0s')` for one of
//! durations). Comparisons with it agree (`0 == 0.0`), arithmetic with a double does not.

use cel::common::types::{CelBool, CelInt, LIST_TYPE};
use cel::common::value::{CowVal, Val};
use cel::{DeclarationError, Env, ExecutionError};
use std::cmp::Ordering;

/// Registers the library on `env`.
pub(crate) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    // Registered by hand: the macros would want a `CelList` receiver, and a list value may be
    // any implementation of `list`.
    env.add_member_overload("isSorted", "list.isSorted()", LIST_TYPE, vec![], is_sorted)?;
    env.add_member_overload("sum", "list.sum()", LIST_TYPE, vec![], sum)?;
    env.add_member_overload("min", "list.min()", LIST_TYPE, vec![], min)?;
    env.add_member_overload("max", "list.max()", LIST_TYPE, vec![], max)?;
    env.add_member_overload(
        "indexOf",
        "list.indexOf(dyn)",
        LIST_TYPE,
        vec![cel::common::types::DYN_TYPE],
        index_of,
    )?;
    env.add_member_overload(
        "lastIndexOf",
        "list.lastIndexOf(dyn)",
        LIST_TYPE,
        vec![cel::common::types::DYN_TYPE],
        last_index_of,
    )?;
    Ok(())
}

/// The elements of the receiver, in order.
fn elements<'b, 'v>(list: &'b (dyn Val + 'v)) -> Result<Vec<&'b (dyn Val + 'v)>, ExecutionError> {
    let iterable = list.as_iterable().ok_or_else(|| no_such_overload(list))?;
    let mut items = iterable.iter();
    let mut out = Vec::new();
    while let Some(item) = items.next() {
        out.push(item);
    }
    Ok(out)
}

/// The elements of a list the server types as `list(T)`, all of one type. Elements of mixed
/// types come from data that does not fit the schema (`3.0` in a list of integers, a string
/// that is not a duration), which the server refuses to convert; the evaluator answers "not
/// checked" and the rule's caller finds the element (`super::cel`).
fn elements_of_one_type<'b, 'v>(
    list: &'b (dyn Val + 'v),
) -> Result<Vec<&'b (dyn Val + 'v)>, ExecutionError> {
    let items = elements(list)?;
    if let Some(first) = items.first()
        && let Some(other) = items.iter().find(|i| i.get_type() != first.get_type())
    {
        return Err(ExecutionError::UnexpectedType {
            got: format!(
                "a list of {} and {}",
                first.get_type().name(),
                other.get_type().name()
            ),
            want: "a list of one type".to_string(),
        });
    }
    Ok(items)
}

/// cel-go's `MaybeNoSuchOverloadErr`: what a function answers for a value it has no case for.
fn no_such_overload(value: &dyn Val) -> ExecutionError {
    ExecutionError::function_error(value.get_type().name(), "no such overload")
}

/// `a.Compare(b)`; `None` where cel-go's `Compare` answers an error (values of unrelated
/// types), which the library treats as "not greater", "not less".
fn compare(a: &dyn Val, b: &dyn Val) -> Result<Option<Ordering>, ExecutionError> {
    let comparer = a.as_comparer().ok_or_else(|| no_such_overload(a))?;
    Ok(comparer.compare(b).ok())
}

fn only_receiver<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [list]: [CowVal<'b, 'v>; 1] = args
        .try_into()
        .map_err(|args: Vec<_>| ExecutionError::invalid_argument_count(1, args.len()))?;
    Ok(list)
}

/// True unless an element compares greater than the one after it.
fn is_sorted<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let list = only_receiver(args)?;
    let items = elements_of_one_type(list.as_ref())?;
    for item in &items {
        item.as_comparer().ok_or_else(|| no_such_overload(*item))?;
    }
    for pair in items.windows(2) {
        if compare(pair[0], pair[1])? == Some(Ordering::Greater) {
            return Ok(CowVal::owned(CelBool::from(false)));
        }
    }
    Ok(CowVal::owned(CelBool::from(true)))
}

/// The elements added up, left to right, with `+`'s own errors (overflow, mixed types).
fn sum<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let list = only_receiver(args)?;
    let items = elements_of_one_type(list.as_ref())?;
    let Some((first, rest)) = items.split_first() else {
        return Ok(CowVal::owned(CelInt::from(0)));
    };
    first.as_adder().ok_or_else(|| no_such_overload(*first))?;
    let mut total: Box<dyn Val + 'v> = first.clone_as_boxed();
    for item in rest {
        let adder = total
            .as_adder()
            .ok_or_else(|| no_such_overload(total.as_ref()))?;
        let added = adder.add(*item).map_err(|err| match err {
            // cel-go's wording of an overflowing addition.
            ExecutionError::Overflow(..) if first.get_type().name() == "uint" => {
                ExecutionError::function_error("sum", "unsigned integer overflow")
            }
            ExecutionError::Overflow(..) => {
                ExecutionError::function_error("sum", "integer overflow")
            }
            other => other,
        })?;
        let next = match added {
            CowVal::Owned(value) => value,
            CowVal::Borrowed(value) => value.clone_as_boxed(),
        };
        total = next;
    }
    Ok(CowVal::Owned(total))
}

fn min<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    extreme(args, "min", Ordering::Greater)
}

fn max<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    extreme(args, "max", Ordering::Less)
}

/// The library's `cmp`: the first element, replaced by each later one it compares `replace_when`
/// to; an empty list is an error.
fn extreme<'b, 'v>(
    args: Vec<CowVal<'b, 'v>>,
    name: &str,
    replace_when: Ordering,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let list = only_receiver(args)?;
    let items = elements_of_one_type(list.as_ref())?;
    let mut best: Option<&(dyn Val + 'v)> = None;
    for item in items {
        item.as_comparer().ok_or_else(|| no_such_overload(item))?;
        best = match best {
            None => Some(item),
            Some(current) if compare(current, item)? == Some(replace_when) => Some(item),
            kept => kept,
        };
    }
    match best {
        Some(found) => Ok(CowVal::Owned(found.clone_as_boxed())),
        None => Err(ExecutionError::function_error(
            name,
            format!("{name} called on empty list"),
        )),
    }
}

fn index_of<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    position(args, false)
}

fn last_index_of<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    position(args, true)
}

/// The index of the first (or last) element equal to the argument, -1 if none is.
fn position<'b, 'v>(
    args: Vec<CowVal<'b, 'v>>,
    last: bool,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [list, wanted]: [CowVal<'b, 'v>; 2] = args
        .try_into()
        .map_err(|args: Vec<_>| ExecutionError::invalid_argument_count(2, args.len()))?;
    let items = elements(list.as_ref())?;
    let is_wanted = |item: &&(dyn Val + 'v)| item.equals(wanted.as_ref());
    let found = if last {
        items.iter().rposition(is_wanted)
    } else {
        items.iter().position(is_wanted)
    };
    let index = found.map_or(-1, |i| i64::try_from(i).unwrap_or(i64::MAX));
    Ok(CowVal::owned(CelInt::from(index)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cel::{Context, Value};
    use std::sync::Arc;

    fn eval(expr: &str) -> Result<Value, ExecutionError> {
        let mut env = Env::stdlib();
        register(&mut env).expect("register");
        let program = env.compile(expr).expect("compiles");
        program.execute(&Context::with_env(Arc::new(env)))
    }

    /// The examples of the library's doc comment, and a few more; each holds on the API server.
    #[test]
    fn the_library_answers_as_the_server_does() {
        for expr in [
            "[1, 2, 3].isSorted()",
            "['a', 'b', 'b', 'c'].isSorted()",
            "![2.0, 1.0].isSorted()",
            "[1].isSorted()",
            "[].isSorted()",
            "[duration('1s'), duration('1m')].isSorted()",
            "[1, 3].sum() == 4",
            "[1.0, 3.0].sum() == 4.0",
            "[duration('1m'), duration('1s')].sum() == duration('1m1s')",
            "[1u, 2u].sum() == 3u",
            "[].sum() == 0",
            "[1, 3].min() == 1",
            "[1, 3].max() == 3",
            "[1].min() == 1",
            "['b', 'a', 'c'].min() == 'a' && ['b', 'a', 'c'].max() == 'c'",
            "[1, 2, 2, 3].indexOf(2) == 1",
            "['a', 'b', 'b', 'c'].lastIndexOf('b') == 2",
            "[1.0].indexOf(1.1) == -1",
            "[].indexOf('string') == -1",
            "[[1], [2]].indexOf([2]) == 1",
        ] {
            assert_eq!(eval(expr), Ok(Value::Bool(true)), "{expr}");
        }
    }

    #[test]
    fn errors_carry_the_servers_messages() {
        for (expr, message) in [
            ("[].min()", "min called on empty list"),
            ("[].max()", "max called on empty list"),
        ] {
            match eval(expr) {
                Err(ExecutionError::FunctionError { message: got, .. }) => {
                    assert_eq!(got, message, "{expr}")
                }
                other => panic!("{expr}: {other:?}"),
            }
        }
        match eval("[9223372036854775807, 1].sum()") {
            Err(ExecutionError::FunctionError { message, .. }) => {
                assert_eq!(message, "integer overflow")
            }
            other => panic!("{other:?}"),
        }
        // Mixed element types come from data that does not fit the schema: not judged here.
        for expr in [
            "[1, 3.0].isSorted()",
            "[1, 3.0].max()",
            "[duration('1s'), 'x'].sum()",
        ] {
            assert!(
                matches!(eval(expr), Err(ExecutionError::UnexpectedType { .. })),
                "{expr}"
            );
        }
    }
}
