//! CEL expressions parsed once per loader thread. `crd-invalid` reads each rule three times (the
//! compile check, the compile check the cost estimate asks for, the cost estimate), and the
//! cel crate's ANTLR parser costs about 100 µs an expression: a tenth of a `diff` of the largest
//! corpus pair went to parsing the same texts again. The parser expands the standard macros and
//! cel-go's two-variable comprehensions, in the form the checker and the cost estimate read.

use cel::{Env, IdedExpr};
use nexus_schema::object::two_var::{Form, add_macros};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Texts kept per thread before the cache starts over: enough for the rules of the largest CRD
/// (a few hundred), bounded whatever the input.
const KEPT: usize = 4096;

/// A parsed expression, or the first line of the parser's error.
pub type Parsed = Rc<Result<IdedExpr, String>>;

thread_local! {
    static PARSED: RefCell<HashMap<String, Parsed>> = RefCell::new(HashMap::new());
}

/// The standard macros and cel-go's two-variable comprehensions in their checked form (a
/// comprehension with two iteration variables), as the server's environment expands them.
static MACROS: std::sync::LazyLock<Env> = std::sync::LazyLock::new(|| {
    let mut env = Env::stdlib();
    add_macros(&mut env, Form::Checked)
        .expect("the two-variable macros are new to the environment");
    env
});

/// `text` parsed as the API server parses rules (optional syntax on).
pub fn parse(text: &str) -> Parsed {
    PARSED.with(|cache| {
        if let Some(found) = cache.borrow().get(text) {
            return Rc::clone(found);
        }
        let parsed = Rc::new(
            MACROS
                .parser()
                .enable_optional_syntax(true)
                .parse(text)
                .map_err(|e| {
                    e.to_string()
                        .lines()
                        .next()
                        .unwrap_or("syntax error")
                        .to_string()
                }),
        );
        let mut cache = cache.borrow_mut();
        if cache.len() >= KEPT {
            cache.clear();
        }
        cache.insert(text.to_string(), Rc::clone(&parsed));
        parsed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_parsed_once_and_errors_keep_their_first_line() {
        let first = parse("self.a > 1");
        assert!(Rc::ptr_eq(&first, &parse("self.a > 1")));
        assert!(first.is_ok());
        let broken = parse("self.a >");
        let message = broken.as_ref().as_ref().unwrap_err();
        assert!(!message.contains('\n') && !message.is_empty(), "{message}");
    }
}
