//! Evaluating `nexus.RestAPISpec` variables: the composite literals, `net/http` constants and
//! nexus's predefined method and response sets they are written with.

use super::model::{RestApiSpec, RestUri, SourcePos};
use super::syntax::{Element, Expr, ExprKind, TypeExpr, TypeExprKind, VarSyntax};
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// How many variables may refer to each other before evaluation stops (a guard against
/// `var A = B; var B = A`).
const MAX_INDIRECTION: usize = 16;

/// What an import alias stands for, as far as REST specs care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alias {
    /// The nexus DSL package.
    Nexus,
    /// `net/http`.
    Http,
    Other,
}

/// The variables of one package, and how each of its files names its imports.
pub(crate) trait Scope {
    /// A package-level variable and the index of the file that declares it.
    fn var(&self, name: &str) -> Option<(&VarSyntax, usize)>;
    /// What an import alias stands for in a file of the package.
    fn alias(&self, file: usize, alias: &str) -> Alias;
}

type Codes = BTreeMap<String, String>;
type Methods = BTreeMap<String, Codes>;

/// Evaluates the variable a `nexus-rest-api-gen:NAME` marker names.
pub(crate) fn evaluate(
    scope: &dyn Scope,
    name: &str,
    marker: &SourcePos,
    node: &str,
) -> Result<RestApiSpec> {
    let Some((var, file)) = scope.var(name) else {
        return Err(Error::Parse {
            location: marker.to_string(),
            message: format!(
                "nexus-rest-api-gen names `{name}`, but package has no such variable; declare `var {name} = nexus.RestAPISpec{{...}}` in the package of `{node}` or fix the name"
            ),
        });
    };
    let Some(value) = &var.value else {
        return Err(not_spec(var, name));
    };
    let aliases = |a: &str| scope.alias(file, a);
    let is_spec_type = |t: &TypeExpr| is_nexus_type(t, "RestAPISpec", &aliases);
    let literal_type_ok = match &value.kind {
        ExprKind::Composite { ty: Some(t), .. } => is_spec_type(t),
        _ => false,
    };
    if !literal_type_ok && !var.ty.as_ref().is_some_and(is_spec_type) {
        return Err(not_spec(var, name));
    }
    let ExprKind::Composite { elements, .. } = &value.kind else {
        return Err(not_spec(var, name));
    };
    let eval = Evaluator { scope, spec: name };
    let mut uris = None;
    for (field, element) in struct_fields(elements, &["Uris"], &value.pos, "nexus.RestAPISpec")? {
        if field == "Uris" {
            uris = eval.uris(&element.value, file)?;
        }
    }
    Ok(RestApiSpec { uris })
}

fn not_spec(var: &VarSyntax, name: &str) -> Error {
    Error::Parse {
        location: var.pos.to_string(),
        message: format!(
            "`{name}` is named by nexus-rest-api-gen but is not a nexus.RestAPISpec literal; write `var {name} = nexus.RestAPISpec{{Uris: []nexus.RestURIs{{...}}}}`"
        ),
    }
}

fn is_nexus_type(t: &TypeExpr, name: &str, aliases: &dyn Fn(&str) -> Alias) -> bool {
    matches!(&t.kind, TypeExprKind::Qualified { package, name: n } if n == name && aliases(package) == Alias::Nexus)
}

/// Pairs each element of a struct literal with its field name (keyed or positional).
fn struct_fields<'e>(
    elements: &'e [Element],
    fields: &[&'static str],
    pos: &SourcePos,
    type_name: &str,
) -> Result<Vec<(&'static str, &'e Element)>> {
    let mut out = Vec::new();
    for (i, element) in elements.iter().enumerate() {
        let field = match &element.key {
            Some(Expr {
                kind: ExprKind::Ident(key),
                pos,
            }) => *fields
                .iter()
                .find(|f| **f == key.as_str())
                .ok_or_else(|| Error::Parse {
                    location: pos.to_string(),
                    message: format!(
                        "{type_name} has no field `{key}`; its fields are {}",
                        fields.join(", ")
                    ),
                })?,
            Some(other) => {
                return Err(Error::Parse {
                    location: other.pos.to_string(),
                    message: format!("a {type_name} literal needs field names as keys"),
                });
            }
            None => *fields.get(i).ok_or_else(|| Error::Parse {
                location: pos.to_string(),
                message: format!("too many values in a {type_name} literal"),
            })?,
        };
        out.push((field, element));
    }
    Ok(out)
}

struct Evaluator<'s> {
    scope: &'s dyn Scope,
    spec: &'s str,
}

impl Evaluator<'_> {
    fn unsupported(&self, expr: &Expr, what: &str) -> Error {
        Error::Parse {
            location: expr.pos.to_string(),
            message: format!(
                "cannot evaluate this {what} in REST API spec `{}`; use a literal, a net/http constant, a nexus predefined value or a variable of this package",
                self.spec
            ),
        }
    }

    /// Follows a plain identifier to the package variable it names.
    fn follow<'a>(&'a self, expr: &Expr, depth: usize, what: &str) -> Result<(&'a Expr, usize)> {
        let ExprKind::Ident(name) = &expr.kind else {
            return Err(self.unsupported(expr, what));
        };
        if depth > MAX_INDIRECTION {
            return Err(Error::Parse {
                location: expr.pos.to_string(),
                message: format!(
                    "variables refer to each other in a loop through `{name}`; give the value directly"
                ),
            });
        }
        match self.scope.var(name) {
            Some((
                VarSyntax {
                    value: Some(value), ..
                },
                file,
            )) => Ok((value, file)),
            _ => Err(Error::Parse {
                location: expr.pos.to_string(),
                message: format!(
                    "`{name}` is not a variable of this package; REST API spec `{}` can only use variables declared next to it",
                    self.spec
                ),
            }),
        }
    }

    fn uris(&self, expr: &Expr, file: usize) -> Result<Option<Vec<RestUri>>> {
        match &expr.kind {
            ExprKind::Ident(n) if n == "nil" => Ok(None),
            ExprKind::Composite { elements, .. } => {
                let mut out = Vec::new();
                for element in elements {
                    out.push(self.uri(&element.value, file)?);
                }
                Ok(Some(out))
            }
            _ => Err(self.unsupported(expr, "Uris value")),
        }
    }

    fn uri(&self, expr: &Expr, file: usize) -> Result<RestUri> {
        let ExprKind::Composite { elements, .. } = &expr.kind else {
            return Err(self.unsupported(expr, "RestURIs entry"));
        };
        let mut uri = RestUri {
            uri: String::new(),
            query_params: Vec::new(),
            methods: None,
            pos: expr.pos.clone(),
        };
        let fields = struct_fields(
            elements,
            &["Uri", "QueryParams", "Methods"],
            &expr.pos,
            "nexus.RestURIs",
        )?;
        for (field, element) in fields {
            match field {
                "Uri" => {
                    uri.uri = self.string(&element.value, 0)?;
                    uri.pos = element.value.pos.clone();
                }
                "QueryParams" => match &element.value.kind {
                    ExprKind::Composite { elements, .. } => {
                        for p in elements {
                            uri.query_params.push(self.string(&p.value, 0)?);
                        }
                    }
                    ExprKind::Ident(n) if n == "nil" => {}
                    _ => return Err(self.unsupported(&element.value, "QueryParams value")),
                },
                _ => uri.methods = self.methods(&element.value, file, 0)?,
            }
        }
        Ok(uri)
    }

    fn string(&self, expr: &Expr, depth: usize) -> Result<String> {
        match &expr.kind {
            ExprKind::Str(s) => Ok(s.clone()),
            ExprKind::Ident(_) => {
                let (value, _) = self.follow(expr, depth + 1, "string")?;
                self.string(value, depth + 1)
            }
            _ => Err(self.unsupported(expr, "string")),
        }
    }

    fn methods(&self, expr: &Expr, file: usize, depth: usize) -> Result<Option<Methods>> {
        match &expr.kind {
            ExprKind::Selector { operand, field }
                if self.scope.alias(file, operand) == Alias::Nexus =>
            {
                match field.as_str() {
                    "DefaultHTTPMethodsResponses" => Ok(Some(default_methods())),
                    "HTTPListResponse" => Ok(Some(list_methods())),
                    _ => Err(Error::Parse {
                        location: expr.pos.to_string(),
                        message: format!(
                            "nexus.{field} is not a predefined method set; use nexus.DefaultHTTPMethodsResponses (GET, PUT, DELETE), nexus.HTTPListResponse (LIST) or a nexus.HTTPMethodsResponses literal"
                        ),
                    }),
                }
            }
            ExprKind::Ident(n) if n == "nil" => Ok(None),
            ExprKind::Ident(_) => {
                let (value, file) = self.follow(expr, depth + 1, "Methods value")?;
                self.methods(value, file, depth + 1)
            }
            ExprKind::Composite { elements, .. } => {
                let mut out = Methods::new();
                for element in elements {
                    let Some(key) = &element.key else {
                        return Err(self.unsupported(&element.value, "method entry without a key"));
                    };
                    let method = self.method_name(key, file)?;
                    let codes = self.codes(&element.value, file, depth)?;
                    out.insert(method, codes);
                }
                Ok(Some(out))
            }
            _ => Err(self.unsupported(expr, "Methods value")),
        }
    }

    fn method_name(&self, expr: &Expr, file: usize) -> Result<String> {
        match &expr.kind {
            ExprKind::Str(s) => Ok(s.clone()),
            ExprKind::Selector { operand, field } if self.scope.alias(file, operand) == Alias::Http => {
                http_method(field).map(str::to_string).ok_or_else(|| Error::Parse {
                    location: expr.pos.to_string(),
                    message: format!("http.{field} is not an HTTP method constant; use http.MethodGet, http.MethodPut, … or a string"),
                })
            }
            _ => Err(self.unsupported(expr, "HTTP method")),
        }
    }

    fn codes(&self, expr: &Expr, file: usize, depth: usize) -> Result<Codes> {
        match &expr.kind {
            ExprKind::Selector { operand, field }
                if self.scope.alias(file, operand) == Alias::Nexus =>
            {
                match field.as_str() {
                    "DefaultHTTPGETResponses" | "DefaultHTTPDELETEResponses" => Ok(get_codes()),
                    "DefaultHTTPPUTResponses" => Ok(put_codes()),
                    _ => Err(Error::Parse {
                        location: expr.pos.to_string(),
                        message: format!(
                            "nexus.{field} is not a predefined response set; use nexus.DefaultHTTPGETResponses, nexus.DefaultHTTPPUTResponses, nexus.DefaultHTTPDELETEResponses or a nexus.HTTPCodesResponse literal"
                        ),
                    }),
                }
            }
            ExprKind::Ident(_) => {
                let (value, file) = self.follow(expr, depth + 1, "responses value")?;
                self.codes(value, file, depth + 1)
            }
            ExprKind::Composite { elements, .. } => {
                let mut out = Codes::new();
                for element in elements {
                    let Some(key) = &element.key else {
                        return Err(
                            self.unsupported(&element.value, "response entry without a code")
                        );
                    };
                    let code = self.code(key, file)?;
                    let description = self.response(&element.value, file, depth)?;
                    out.insert(code.to_string(), description);
                }
                Ok(out)
            }
            _ => Err(self.unsupported(expr, "responses value")),
        }
    }

    fn code(&self, expr: &Expr, file: usize) -> Result<i64> {
        match &expr.kind {
            ExprKind::Int(v) => Ok(*v),
            ExprKind::Selector { operand, field } => match self.scope.alias(file, operand) {
                Alias::Http => http_status(field).map(|(code, _)| code).ok_or_else(|| Error::Parse {
                    location: expr.pos.to_string(),
                    message: format!("http.{field} is not an HTTP status constant; use e.g. http.StatusOK or a number"),
                }),
                Alias::Nexus if field == "DefaultHTTPErrorCode" => Ok(501),
                _ => Err(self.unsupported(expr, "response code")),
            },
            _ => Err(self.unsupported(expr, "response code")),
        }
    }

    fn response(&self, expr: &Expr, file: usize, depth: usize) -> Result<String> {
        match &expr.kind {
            ExprKind::Selector { operand, field }
                if self.scope.alias(file, operand) == Alias::Nexus
                    && field == "DefaultHTTPError" =>
            {
                Ok("Not Implemented".to_string())
            }
            ExprKind::Ident(_) => {
                let (value, file) = self.follow(expr, depth + 1, "response")?;
                self.response(value, file, depth + 1)
            }
            ExprKind::Composite { elements, .. } => {
                let mut description = String::new();
                for (_, element) in
                    struct_fields(elements, &["Description"], &expr.pos, "nexus.HTTPResponse")?
                {
                    description = self.description(&element.value, file, depth)?;
                }
                Ok(description)
            }
            _ => Err(self.unsupported(expr, "response")),
        }
    }

    fn description(&self, expr: &Expr, file: usize, depth: usize) -> Result<String> {
        match &expr.kind {
            ExprKind::Call { function, args } => match (&function.kind, args.as_slice()) {
                (ExprKind::Selector { operand, field }, [arg])
                    if self.scope.alias(file, operand) == Alias::Http && field == "StatusText" =>
                {
                    let code = self.code(arg, file)?;
                    Ok(status_text(code).to_string())
                }
                _ => Err(self.unsupported(expr, "description")),
            },
            _ => self.string(expr, depth),
        }
    }
}

fn codes(entries: &[(i64, &str)]) -> Codes {
    entries
        .iter()
        .map(|(code, text)| (code.to_string(), (*text).to_string()))
        .collect()
}

/// `nexus.DefaultHTTPGETResponses` (also DELETE's).
fn get_codes() -> Codes {
    codes(&[(200, "OK"), (404, "Not Found"), (501, "Not Implemented")])
}

/// `nexus.DefaultHTTPPUTResponses`.
fn put_codes() -> Codes {
    codes(&[(200, "OK"), (201, "Created"), (501, "Not Implemented")])
}

/// `nexus.DefaultHTTPMethodsResponses`: GET, PUT, DELETE.
fn default_methods() -> Methods {
    Methods::from([
        ("GET".to_string(), get_codes()),
        ("PUT".to_string(), put_codes()),
        ("DELETE".to_string(), get_codes()),
    ])
}

/// `nexus.HTTPListResponse`: LIST.
fn list_methods() -> Methods {
    Methods::from([("LIST".to_string(), get_codes())])
}

fn http_method(constant: &str) -> Option<&'static str> {
    Some(match constant {
        "MethodGet" => "GET",
        "MethodHead" => "HEAD",
        "MethodPost" => "POST",
        "MethodPut" => "PUT",
        "MethodPatch" => "PATCH",
        "MethodDelete" => "DELETE",
        "MethodConnect" => "CONNECT",
        "MethodOptions" => "OPTIONS",
        "MethodTrace" => "TRACE",
        _ => return None,
    })
}

/// net/http's status constants with the texts `http.StatusText` gave when nexus datamodels were
/// first compiled (so descriptions match what users already have).
const HTTP_STATUSES: &[(&str, i64, &str)] = &[
    ("StatusContinue", 100, "Continue"),
    ("StatusSwitchingProtocols", 101, "Switching Protocols"),
    ("StatusProcessing", 102, "Processing"),
    ("StatusEarlyHints", 103, "Early Hints"),
    ("StatusOK", 200, "OK"),
    ("StatusCreated", 201, "Created"),
    ("StatusAccepted", 202, "Accepted"),
    (
        "StatusNonAuthoritativeInfo",
        203,
        "Non-Authoritative Information",
    ),
    ("StatusNoContent", 204, "No Content"),
    ("StatusResetContent", 205, "Reset Content"),
    ("StatusPartialContent", 206, "Partial Content"),
    ("StatusMultiStatus", 207, "Multi-Status"),
    ("StatusAlreadyReported", 208, "Already Reported"),
    ("StatusIMUsed", 226, "IM Used"),
    ("StatusMultipleChoices", 300, "Multiple Choices"),
    ("StatusMovedPermanently", 301, "Moved Permanently"),
    ("StatusFound", 302, "Found"),
    ("StatusSeeOther", 303, "See Other"),
    ("StatusNotModified", 304, "Not Modified"),
    ("StatusUseProxy", 305, "Use Proxy"),
    ("StatusTemporaryRedirect", 307, "Temporary Redirect"),
    ("StatusPermanentRedirect", 308, "Permanent Redirect"),
    ("StatusBadRequest", 400, "Bad Request"),
    ("StatusUnauthorized", 401, "Unauthorized"),
    ("StatusPaymentRequired", 402, "Payment Required"),
    ("StatusForbidden", 403, "Forbidden"),
    ("StatusNotFound", 404, "Not Found"),
    ("StatusMethodNotAllowed", 405, "Method Not Allowed"),
    ("StatusNotAcceptable", 406, "Not Acceptable"),
    (
        "StatusProxyAuthRequired",
        407,
        "Proxy Authentication Required",
    ),
    ("StatusRequestTimeout", 408, "Request Timeout"),
    ("StatusConflict", 409, "Conflict"),
    ("StatusGone", 410, "Gone"),
    ("StatusLengthRequired", 411, "Length Required"),
    ("StatusPreconditionFailed", 412, "Precondition Failed"),
    (
        "StatusRequestEntityTooLarge",
        413,
        "Request Entity Too Large",
    ),
    ("StatusRequestURITooLong", 414, "Request URI Too Long"),
    ("StatusUnsupportedMediaType", 415, "Unsupported Media Type"),
    (
        "StatusRequestedRangeNotSatisfiable",
        416,
        "Requested Range Not Satisfiable",
    ),
    ("StatusExpectationFailed", 417, "Expectation Failed"),
    ("StatusTeapot", 418, "I'm a teapot"),
    ("StatusMisdirectedRequest", 421, "Misdirected Request"),
    ("StatusUnprocessableEntity", 422, "Unprocessable Entity"),
    ("StatusLocked", 423, "Locked"),
    ("StatusFailedDependency", 424, "Failed Dependency"),
    ("StatusTooEarly", 425, "Too Early"),
    ("StatusUpgradeRequired", 426, "Upgrade Required"),
    ("StatusPreconditionRequired", 428, "Precondition Required"),
    ("StatusTooManyRequests", 429, "Too Many Requests"),
    (
        "StatusRequestHeaderFieldsTooLarge",
        431,
        "Request Header Fields Too Large",
    ),
    (
        "StatusUnavailableForLegalReasons",
        451,
        "Unavailable For Legal Reasons",
    ),
    ("StatusInternalServerError", 500, "Internal Server Error"),
    ("StatusNotImplemented", 501, "Not Implemented"),
    ("StatusBadGateway", 502, "Bad Gateway"),
    ("StatusServiceUnavailable", 503, "Service Unavailable"),
    ("StatusGatewayTimeout", 504, "Gateway Timeout"),
    (
        "StatusHTTPVersionNotSupported",
        505,
        "HTTP Version Not Supported",
    ),
    (
        "StatusVariantAlsoNegotiates",
        506,
        "Variant Also Negotiates",
    ),
    ("StatusInsufficientStorage", 507, "Insufficient Storage"),
    ("StatusLoopDetected", 508, "Loop Detected"),
    ("StatusNotExtended", 510, "Not Extended"),
    (
        "StatusNetworkAuthenticationRequired",
        511,
        "Network Authentication Required",
    ),
];

fn http_status(constant: &str) -> Option<(i64, &'static str)> {
    HTTP_STATUSES
        .iter()
        .find(|(name, _, _)| *name == constant)
        .map(|(_, code, text)| (*code, *text))
}

/// `http.StatusText`: the empty string for unknown codes, as in Go.
fn status_text(code: i64) -> &'static str {
    HTTP_STATUSES
        .iter()
        .find(|(_, c, _)| *c == code)
        .map_or("", |(_, _, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datamodel::syntax::{new_parser, parse_file};
    use std::collections::HashMap;
    use std::sync::Arc;

    struct TestScope {
        vars: HashMap<String, VarSyntax>,
    }

    impl Scope for TestScope {
        fn var(&self, name: &str) -> Option<(&VarSyntax, usize)> {
            self.vars.get(name).map(|v| (v, 0))
        }
        fn alias(&self, _file: usize, alias: &str) -> Alias {
            match alias {
                "nexus" => Alias::Nexus,
                "http" => Alias::Http,
                _ => Alias::Other,
            }
        }
    }

    fn scope(src: &str) -> TestScope {
        let mut parser = new_parser().unwrap();
        let file = parse_file(&mut parser, Arc::from("r.go"), src).unwrap();
        TestScope {
            vars: file.vars.into_iter().map(|v| (v.name.clone(), v)).collect(),
        }
    }

    fn pos() -> SourcePos {
        SourcePos {
            file: Arc::from("r.go"),
            line: 1,
            column: 1,
        }
    }

    #[test]
    fn evaluates_predefined_and_custom_method_sets() {
        let s = scope(
            r#"package gns
var FooCustom = nexus.HTTPMethodsResponses{
	http.MethodDelete: nexus.HTTPCodesResponse{
		http.StatusOK:              nexus.HTTPResponse{Description: "ok"},
		http.StatusNotFound:        nexus.HTTPResponse{Description: http.StatusText(http.StatusNotFound)},
		nexus.DefaultHTTPErrorCode: nexus.DefaultHTTPError,
	},
}
var Codes = nexus.HTTPCodesResponse{http.StatusBadRequest: {Description: "Bad Request"}}
var Spec = nexus.RestAPISpec{
	Uris: []nexus.RestURIs{
		{Uri: "/leader/{root.Leader}", QueryParams: []string{"config.Config"}, Methods: nexus.DefaultHTTPMethodsResponses},
		{Uri: "/leaders", Methods: nexus.HTTPListResponse},
		{Uri: "/foo", Methods: FooCustom},
		{Uri: "/bar", Methods: nexus.HTTPMethodsResponses{http.MethodPatch: Codes}},
	},
}
"#,
        );
        let spec = evaluate(&s, "Spec", &pos(), "Leader").unwrap();
        let uris = spec.uris.unwrap();
        assert_eq!(uris.len(), 4);
        assert_eq!(uris[0].query_params, vec!["config.Config"]);
        let m0 = uris[0].methods.as_ref().unwrap();
        assert_eq!(m0.keys().collect::<Vec<_>>(), ["DELETE", "GET", "PUT"]);
        assert_eq!(m0["PUT"]["201"], "Created");
        assert_eq!(
            uris[1].methods.as_ref().unwrap()["LIST"]["404"],
            "Not Found"
        );
        let foo = &uris[2].methods.as_ref().unwrap()["DELETE"];
        assert_eq!(foo["200"], "ok");
        assert_eq!(foo["404"], "Not Found");
        assert_eq!(foo["501"], "Not Implemented");
        assert_eq!(
            uris[3].methods.as_ref().unwrap()["PATCH"]["400"],
            "Bad Request"
        );
    }

    #[test]
    fn unknown_variable_is_an_error_at_the_marker() {
        let s = scope("package a\n");
        let err = evaluate(&s, "Missing", &pos(), "Leader")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("r.go:1:1:"), "{err}");
        assert!(err.contains("`Missing`"), "{err}");
    }

    #[test]
    fn a_variable_of_another_type_is_refused() {
        let s = scope("package a\nvar NotSpec = 3\nvar Other = nexus.GraphQLSpec{}\n");
        for name in ["NotSpec", "Other"] {
            let err = evaluate(&s, name, &pos(), "Leader")
                .unwrap_err()
                .to_string();
            assert!(err.contains("is not a nexus.RestAPISpec"), "{err}");
        }
    }

    #[test]
    fn a_spec_without_uris_is_null() {
        let s = scope("package a\nvar S = nexus.RestAPISpec{}\n");
        assert_eq!(evaluate(&s, "S", &pos(), "L").unwrap().uris, None);
    }

    #[test]
    fn variable_loops_stop() {
        let s = scope(
            "package a\nvar A = B\nvar B = A\nvar S = nexus.RestAPISpec{Uris: []nexus.RestURIs{{Uri: \"/x\", Methods: A}}}\n",
        );
        let err = evaluate(&s, "S", &pos(), "L").unwrap_err().to_string();
        assert!(err.contains("loop"), "{err}");
    }
}
