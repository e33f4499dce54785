//! The Kubernetes regex library (k8s.io/apiserver `pkg/cel/library/regex.go`):
//! `<string>.find(<regex>)`, `<string>.findAll(<regex>)` and `<string>.findAll(<regex>, <limit>)`.
//!
//! The pattern is Go `regexp` syntax, compiled with [`crate::validate::pattern::compile_go`] as
//! schema patterns are; a pattern that does not compile fails the rule with the server's
//! `Illegal regex: ...` (a constant one is already refused when the server compiles the rule).
//! Matches are leftmost-first in both; `findAll` skips an empty match right after the previous
//! match, as Go's `FindAllString` does (and the `regex` crate's iterator).

use cel::common::types::{CelInt, CelList, CelString};
use cel::common::value::Val;
use cel::{DeclarationError, Env, ExecutionError};

/// Registers the library on `env`.
pub(crate) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    cel::add_member_overload!(env, fn find: (CelString, CelString) -> Result<CelString>)?;
    cel::add_member_overload!(env, fn find_all: (CelString, CelString) -> Result<CelList>, name = "findAll")?;
    cel::add_member_overload!(env, fn find_all_limited: (CelString, CelString, CelInt) -> Result<CelList>, name = "findAll")?;
    Ok(())
}

fn compile(function: &str, pattern: &str) -> Result<regex::Regex, ExecutionError> {
    crate::validate::pattern::compile_go(pattern).map_err(|e| {
        ExecutionError::function_error(
            function,
            format!(
                "Illegal regex: error parsing regexp: {}",
                crate::validate::pattern::go_error_text(&e)
            ),
        )
    })
}

/// The first match, `''` if there is none.
fn find(
    text: &CelString<'_>,
    pattern: &CelString<'_>,
) -> Result<CelString<'static>, ExecutionError> {
    let re = compile("find", pattern.inner())?;
    let found = re.find(text.inner()).map_or("", |m| m.as_str());
    Ok(CelString::from(found.to_string()))
}

fn find_all(
    text: &CelString<'_>,
    pattern: &CelString<'_>,
) -> Result<CelList<'static>, ExecutionError> {
    matches(text.inner(), pattern.inner(), -1)
}

fn find_all_limited(
    text: &CelString<'_>,
    pattern: &CelString<'_>,
    limit: &CelInt,
) -> Result<CelList<'static>, ExecutionError> {
    matches(text.inner(), pattern.inner(), *limit.inner())
}

/// Go's `FindAllString(text, limit)`: every match when `limit` is negative, else at most
/// `limit`.
fn matches(text: &str, pattern: &str, limit: i64) -> Result<CelList<'static>, ExecutionError> {
    let re = compile("findAll", pattern)?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let found: Vec<Box<dyn Val>> = re
        .find_iter(text)
        .take(limit)
        .map(|m| Box::new(CelString::from(m.as_str().to_string())) as Box<dyn Val>)
        .collect();
    Ok(CelList::from(found))
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

    /// The examples of the library's doc comment (where cel-go's own answer differs from the
    /// comment, Go's: `[0-9]*` also matches the empty strings between the numbers), checked with
    /// the object oracle.
    #[test]
    fn the_library_answers_as_the_server_does() {
        for expr in [
            "'abc 123'.find('[0-9]+') == '123'",
            "'abc 123'.find('[0-9]*') == ''",
            "'abc 123'.find('xyz') == ''",
            "'123 abc 456'.findAll('[0-9]+') == ['123', '456']",
            "'123 abc 456'.findAll('[0-9]*') == ['123', '', '', '', '', '456']",
            "'123 abc 456'.findAll('[0-9]+', 1) == ['123']",
            "'123 abc 456'.findAll('[0-9]+', 0) == []",
            "'123 abc 456'.findAll('xyz') == []",
            "'a1 b2'.findAll('\\\\w\\\\d') == ['a1', 'b2']",
        ] {
            assert_eq!(eval(expr), Ok(Value::Bool(true)), "{expr}");
        }
    }

    /// Each as the object oracle words it, after `Illegal regex: error parsing regexp: `.
    #[test]
    fn pattern_errors_read_as_gos() {
        let wrong = [
            ("(x", "missing closing ): `(x`"),
            ("x)", "unexpected ): `x)`"),
            ("a**", "invalid nested repetition operator: `**`"),
            ("*a", "missing argument to repetition operator: `*`"),
            ("\\8", "invalid escape sequence: `\\8`"),
            ("[z-a]", "invalid character class range: `z-a`"),
            ("(?P<>x)", "invalid named capture: `(?P<>`"),
            ("x{1001}", "invalid repeat count: `{1001}`"),
            ("\\", "trailing backslash at end of expression: ``"),
            ("[[:foo:]]", "invalid character class range: `[:foo:]`"),
            ("[[::]]", "invalid character class range: `[::]`"),
            (
                "[[:^^alpha:]]",
                "invalid character class range: `[:^^alpha:]`",
            ),
            ("\\pX", "invalid character class range: `\\pX`"),
        ]
        .iter()
        .filter_map(|(pattern, message)| {
            let err = crate::validate::pattern::compile_go(pattern).expect_err(pattern);
            let got = crate::validate::pattern::go_error_text(&err);
            (got != *message).then(|| format!("{pattern}: {got:?}, Go: {message:?}"))
        })
        .collect::<Vec<_>>();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        for valid in ["(?<n>x)", "[[:alpha:]]", "[[:^digit:]x]", "[a[]", "[[:]"] {
            assert!(
                crate::validate::pattern::compile_go(valid).is_ok(),
                "{valid}"
            );
        }
    }

    #[test]
    fn a_bad_pattern_fails_with_the_servers_message() {
        match eval("'x'.find(string('[a-'))") {
            Err(ExecutionError::FunctionError { message, .. }) => {
                assert!(
                    message.starts_with("Illegal regex: error parsing regexp: "),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
