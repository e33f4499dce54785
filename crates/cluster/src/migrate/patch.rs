//! A step's JSON Patch (RFC 6902, applied by the json-patch crate) with the two extensions of
//! MIGRATE.md: `ifMissing: true` on `add` skips the op where the path already exists, and
//! `ifPresent: true` on `remove` skips it where the path is absent. `ifPresent` is also accepted
//! on `move` and `copy`, where it looks at `from`: renaming an optional field is a `move` that
//! must leave objects without the field alone.
//!
//! A `test` that fails leaves the object unchanged (the whole step, not just the ops after it);
//! any other op that cannot apply fails the object.

use json_patch::jsonptr::PointerBuf;
use json_patch::{
    AddOperation, CopyOperation, MoveOperation, PatchErrorKind, PatchOperation, RemoveOperation,
    ReplaceOperation, TestOperation,
};
use serde_json::Value;
use std::fmt;

/// The six operations of RFC 6902.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

impl OpKind {
    /// The op named `name`, as written in a patch.
    pub fn parse(name: &str) -> Option<OpKind> {
        Some(match name {
            "add" => OpKind::Add,
            "remove" => OpKind::Remove,
            "replace" => OpKind::Replace,
            "move" => OpKind::Move,
            "copy" => OpKind::Copy,
            "test" => OpKind::Test,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Replace => "replace",
            OpKind::Move => "move",
            OpKind::Copy => "copy",
            OpKind::Test => "test",
        }
    }

    fn needs_value(self) -> bool {
        matches!(self, OpKind::Add | OpKind::Replace | OpKind::Test)
    }

    fn needs_from(self) -> bool {
        matches!(self, OpKind::Move | OpKind::Copy)
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One checked patch operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub kind: OpKind,
    pub path: String,
    pub from: Option<String>,
    pub value: Option<Value>,
    pub if_missing: bool,
    pub if_present: bool,
    operation: PatchOperation,
}

/// What is wrong with an op as written, and which of its keys to point at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpProblem {
    pub key: &'static str,
    pub message: String,
}

impl OpProblem {
    fn at(key: &'static str, message: String) -> OpProblem {
        OpProblem { key, message }
    }
}

/// The operation as written in a step file.
#[derive(Debug, Clone, Default)]
pub struct OpSpec<'a> {
    pub op: &'a str,
    pub path: &'a str,
    pub from: Option<&'a str>,
    pub value: Option<Value>,
    pub if_missing: Option<bool>,
    pub if_present: Option<bool>,
}

impl PatchOp {
    /// Checks an op: a known kind, JSON pointers, the members its kind needs and no others, and
    /// writes only below `/spec` or `/status` (a step must not touch `apiVersion`, `kind` or
    /// `metadata`; `test` and the `from` of `copy` may read anywhere).
    pub fn new(spec: OpSpec<'_>) -> Result<PatchOp, OpProblem> {
        let kind = OpKind::parse(spec.op).ok_or_else(|| {
            OpProblem::at(
                "op",
                format!(
                    "unknown op `{}`: a JSON Patch op is add, remove, replace, move, copy or test",
                    spec.op
                ),
            )
        })?;
        let path = pointer(spec.path).map_err(|m| OpProblem::at("path", m))?;
        if kind != OpKind::Test && !writable(spec.path) {
            return Err(OpProblem::at(
                "path",
                format!(
                    "`{kind}` writes `{}`: a step may change only /spec and /status (never apiVersion, kind or metadata)",
                    spec.path
                ),
            ));
        }
        let from = match (kind.needs_from(), spec.from) {
            (true, Some(from)) => {
                let parsed = pointer(from).map_err(|m| OpProblem::at("from", m))?;
                if kind == OpKind::Move && !writable(from) {
                    return Err(OpProblem::at(
                        "from",
                        format!(
                            "`move` removes `{from}`: a step may change only /spec and /status"
                        ),
                    ));
                }
                Some(parsed)
            }
            (true, None) => {
                return Err(OpProblem::at(
                    "op",
                    format!("`{kind}` needs `from`, the pointer to take the value from"),
                ));
            }
            (false, Some(_)) => {
                return Err(OpProblem::at(
                    "from",
                    format!("`{kind}` takes no `from` (only move and copy do)"),
                ));
            }
            (false, None) => None,
        };
        let value = match (kind.needs_value(), spec.value) {
            (true, Some(v)) => Some(v),
            (true, None) => {
                return Err(OpProblem::at("op", format!("`{kind}` needs `value`")));
            }
            (false, Some(_)) => {
                return Err(OpProblem::at(
                    "value",
                    format!("`{kind}` takes no `value` (only add, replace and test do)"),
                ));
            }
            (false, None) => None,
        };
        let if_missing = spec.if_missing.unwrap_or(false);
        if spec.if_missing.is_some() && kind != OpKind::Add {
            return Err(OpProblem::at(
                "ifMissing",
                format!("`ifMissing` applies to `add` only, not to `{kind}`"),
            ));
        }
        let if_present = spec.if_present.unwrap_or(false);
        if spec.if_present.is_some()
            && !matches!(kind, OpKind::Remove | OpKind::Move | OpKind::Copy)
        {
            return Err(OpProblem::at(
                "ifPresent",
                format!("`ifPresent` applies to remove, move and copy, not to `{kind}`"),
            ));
        }
        let operation = operation(kind, path, from, value.clone());
        Ok(PatchOp {
            kind,
            path: spec.path.to_string(),
            from: spec.from.map(str::to_string),
            value,
            if_missing,
            if_present,
            operation,
        })
    }

    /// Whether the extensions say to leave this op out for `doc`.
    fn skipped_for(&self, doc: &Value) -> bool {
        (self.if_missing && exists(doc, &self.path))
            || (self.if_present && !exists(doc, self.from.as_deref().unwrap_or(self.path.as_str())))
    }
}

fn operation(
    kind: OpKind,
    path: PointerBuf,
    from: Option<PointerBuf>,
    value: Option<Value>,
) -> PatchOperation {
    let value = value.unwrap_or(Value::Null);
    let from = from.unwrap_or_default();
    match kind {
        OpKind::Add => PatchOperation::Add(AddOperation { path, value }),
        OpKind::Remove => PatchOperation::Remove(RemoveOperation { path }),
        OpKind::Replace => PatchOperation::Replace(ReplaceOperation { path, value }),
        OpKind::Move => PatchOperation::Move(MoveOperation { from, path }),
        OpKind::Copy => PatchOperation::Copy(CopyOperation { from, path }),
        OpKind::Test => PatchOperation::Test(TestOperation { path, value }),
    }
}

/// Parses an RFC 6901 JSON pointer, with a message that says what is wrong.
fn pointer(text: &str) -> Result<PointerBuf, String> {
    if !text.is_empty() && !text.starts_with('/') {
        return Err(format!(
            "`{text}` is not a JSON pointer: it must start with `/` (for example /spec/location)"
        ));
    }
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(format!(
                "`{text}` is not a JSON pointer: `~` must be followed by 0 (for ~) or 1 (for /)"
            ));
        }
    }
    PointerBuf::parse(text).map_err(|e| format!("`{text}` is not a JSON pointer: {e}"))
}

/// Whether a pointer lies at or below `/spec` or `/status`.
fn writable(path: &str) -> bool {
    ["/spec", "/status"]
        .iter()
        .any(|root| path == *root || path.strip_prefix(root).is_some_and(|r| r.starts_with('/')))
}

fn exists(doc: &Value, path: &str) -> bool {
    doc.pointer(path).is_some()
}

/// The result of a patch on one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Patched {
    /// Every op applied or was skipped by its extension: the new object (possibly equal).
    Done(Value),
    /// A `test` op did not match: the object stays as it was.
    TestFailed { op: usize, path: String },
}

/// An op that could not apply to an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpFailure {
    /// Index of the op in the patch.
    pub op: usize,
    /// The pointer the failure is about.
    pub path: String,
    pub reason: String,
}

/// Applies `ops` to a copy of `object`.
pub fn apply<'a>(
    ops: impl IntoIterator<Item = &'a PatchOp>,
    object: &Value,
) -> Result<Patched, OpFailure> {
    let mut doc = object.clone();
    for (index, op) in ops.into_iter().enumerate() {
        if op.skipped_for(&doc) {
            continue;
        }
        if let Err(err) = json_patch::patch(&mut doc, std::slice::from_ref(&op.operation)) {
            // A `test` whose path is absent did not match either (json-patch reports it as a
            // bad pointer): the object is skipped, not failed.
            return match err.kind {
                _ if op.kind == OpKind::Test => Ok(Patched::TestFailed {
                    op: index,
                    path: op.path.clone(),
                }),
                kind => Err(failure(index, op, &doc, &kind)),
            };
        }
    }
    Ok(Patched::Done(doc))
}

fn failure(index: usize, op: &PatchOp, doc: &Value, kind: &PatchErrorKind) -> OpFailure {
    let (path, reason) = match kind {
        PatchErrorKind::InvalidFromPointer => {
            let from = op.from.clone().unwrap_or_default();
            let reason = format!("`{}` from {from}: no value there", op.kind);
            (from, reason)
        }
        PatchErrorKind::CannotMoveInsideItself => (
            op.path.clone(),
            format!(
                "`move` cannot move {} inside itself",
                op.from.as_deref().unwrap_or("")
            ),
        ),
        _ => {
            let reason = match op.kind {
                OpKind::Add | OpKind::Move | OpKind::Copy => {
                    let parent = parent_of(&op.path);
                    match doc.pointer(parent) {
                        None => format!(
                            "`{}` {}: its parent {parent} does not exist",
                            op.kind, op.path
                        ),
                        Some(Value::Array(_)) => format!(
                            "`{}` {}: the list index is not a number within the list (or -)",
                            op.kind, op.path
                        ),
                        Some(_) => format!(
                            "`{}` {}: its parent {parent} is not an object or a list",
                            op.kind, op.path
                        ),
                    }
                }
                _ => format!("`{}` {}: no value there", op.kind, op.path),
            };
            (op.path.clone(), reason)
        }
    };
    OpFailure {
        op: index,
        path,
        reason,
    }
}

fn parent_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(spec: OpSpec<'_>) -> PatchOp {
        PatchOp::new(spec).unwrap()
    }

    fn add(path: &str, value: Value, if_missing: Option<bool>) -> PatchOp {
        op(OpSpec {
            op: "add",
            path,
            value: Some(value),
            if_missing,
            ..OpSpec::default()
        })
    }

    fn object() -> Value {
        json!({"metadata": {"name": "a"}, "spec": {"location": "hq", "tags": ["x"]}})
    }

    #[test]
    fn add_if_missing_keeps_existing_values() {
        let ops = [add("/spec/location", json!("default"), Some(true))];
        assert_eq!(apply(&ops, &object()), Ok(Patched::Done(object())));
        let ops = [add("/spec/office", json!("default"), Some(true))];
        let Ok(Patched::Done(out)) = apply(&ops, &object()) else {
            panic!("applies")
        };
        assert_eq!(out["spec"]["office"], "default");
        // Without the extension, add replaces (RFC 6902).
        let ops = [add("/spec/location", json!("default"), None)];
        let Ok(Patched::Done(out)) = apply(&ops, &object()) else {
            panic!("applies")
        };
        assert_eq!(out["spec"]["location"], "default");
    }

    #[test]
    fn remove_if_present_skips_absent_paths() {
        let remove = |if_present| {
            op(OpSpec {
                op: "remove",
                path: "/spec/legacy",
                if_present,
                ..OpSpec::default()
            })
        };
        assert_eq!(
            apply(&[remove(Some(true))], &object()),
            Ok(Patched::Done(object()))
        );
        let err = apply(&[remove(None)], &object()).unwrap_err();
        assert_eq!(err.path, "/spec/legacy");
        assert!(err.reason.contains("no value there"), "{}", err.reason);
    }

    #[test]
    fn move_renames_and_if_present_looks_at_from() {
        let mv = |if_present| {
            op(OpSpec {
                op: "move",
                from: Some("/spec/location"),
                path: "/spec/office",
                if_present,
                ..OpSpec::default()
            })
        };
        let Ok(Patched::Done(out)) = apply(&[mv(None)], &object()) else {
            panic!("applies")
        };
        assert_eq!(out["spec"], json!({"office": "hq", "tags": ["x"]}));
        let without = json!({"spec": {}});
        assert_eq!(
            apply(&[mv(Some(true))], &without),
            Ok(Patched::Done(without.clone()))
        );
        let err = apply(&[mv(None)], &without).unwrap_err();
        assert_eq!(err.path, "/spec/location");
    }

    #[test]
    fn a_failed_test_leaves_the_object_as_it_was() {
        let ops = [
            add("/spec/office", json!("x"), None),
            op(OpSpec {
                op: "test",
                path: "/spec/location",
                value: Some(json!("branch")),
                ..OpSpec::default()
            }),
            add("/spec/other", json!("y"), None),
        ];
        assert_eq!(
            apply(&ops, &object()),
            Ok(Patched::TestFailed {
                op: 1,
                path: "/spec/location".into()
            })
        );
        let absent = [op(OpSpec {
            op: "test",
            path: "/metadata/labels/tier",
            value: Some(json!("gold")),
            ..OpSpec::default()
        })];
        assert_eq!(
            apply(&absent, &object()),
            Ok(Patched::TestFailed {
                op: 0,
                path: "/metadata/labels/tier".into()
            })
        );
    }

    #[test]
    fn failures_name_the_missing_parent() {
        let ops = [add("/spec/a/b", json!(1), None)];
        let err = apply(&ops, &object()).unwrap_err();
        assert!(
            err.reason.contains("parent /spec/a does not exist"),
            "{}",
            err.reason
        );
        let ops = [add("/spec/tags/7", json!(1), None)];
        let err = apply(&ops, &object()).unwrap_err();
        assert!(err.reason.contains("list index"), "{}", err.reason);
    }

    #[test]
    fn ops_are_checked_when_read() {
        let problem = |spec: OpSpec<'_>| PatchOp::new(spec).unwrap_err();
        let p = problem(OpSpec {
            op: "ad",
            path: "/spec/a",
            ..OpSpec::default()
        });
        assert_eq!(p.key, "op");
        assert!(p.message.contains("unknown op `ad`"), "{}", p.message);
        for bad in ["spec/a", "/spec/a~2", "/spec/~"] {
            let p = problem(OpSpec {
                op: "remove",
                path: bad,
                ..OpSpec::default()
            });
            assert_eq!(p.key, "path", "{bad}");
            assert!(p.message.contains("is not a JSON pointer"), "{}", p.message);
        }
        for identity in ["/metadata/name", "/kind", "", "/specs/x"] {
            let p = problem(OpSpec {
                op: "remove",
                path: identity,
                ..OpSpec::default()
            });
            assert!(
                p.message.contains("only /spec and /status"),
                "{}",
                p.message
            );
        }
        let p = problem(OpSpec {
            op: "add",
            path: "/spec/a",
            ..OpSpec::default()
        });
        assert!(p.message.contains("needs `value`"), "{}", p.message);
        let p = problem(OpSpec {
            op: "remove",
            path: "/spec/a",
            if_missing: Some(true),
            ..OpSpec::default()
        });
        assert_eq!(p.key, "ifMissing");
        let p = problem(OpSpec {
            op: "move",
            path: "/spec/a",
            from: Some("/metadata/labels"),
            ..OpSpec::default()
        });
        assert_eq!(p.key, "from");
        // Reading elsewhere is fine.
        op(OpSpec {
            op: "test",
            path: "/metadata/labels/tier",
            value: Some(json!("gold")),
            ..OpSpec::default()
        });
        op(OpSpec {
            op: "copy",
            path: "/spec/owner",
            from: Some("/metadata/name"),
            ..OpSpec::default()
        });
    }

    #[test]
    fn escaped_tokens_reach_keys_with_slashes() {
        let doc = json!({"spec": {"a/b": 1, "c~d": 2}});
        let ops = [
            op(OpSpec {
                op: "remove",
                path: "/spec/a~1b",
                ..OpSpec::default()
            }),
            op(OpSpec {
                op: "remove",
                path: "/spec/c~0d",
                ..OpSpec::default()
            }),
        ];
        assert_eq!(apply(&ops, &doc), Ok(Patched::Done(json!({"spec": {}}))));
    }
}
