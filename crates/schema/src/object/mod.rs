//! A custom resource against one version of its CRD, as the API server judges it on create or
//! update: the structural validator (types, formats, required, enum, pattern, bounds, nullable,
//! int-or-string, list and map rules, unknown fields) and the `x-kubernetes-validations` CEL
//! rules, on the object as the API server would store it (pruned and defaulted), with the stored
//! object as `oldSelf`. Used by `migrate plan`, `install --dry-run` and the fake API server.

pub mod cel;
mod library;
#[cfg(test)]
mod library_errors;
mod lists;
mod net;
mod quantity;
mod ratchet;
mod regexp;
mod semver;
pub mod two_var;

use self::cel::CelRules;
use crate::validate::names;
use crate::validate::{ServerCause, Validator, ViolationKind};
use serde_json::Value;
use std::collections::BTreeMap;

/// One problem of one object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// Where in the object: `.spec.location`, `.` for the whole object.
    pub path: String,
    pub reason: String,
    /// The API server's own form of it, where it has a fixed one.
    pub cause: Option<ServerCause>,
}

/// A CEL rule that could not be evaluated on an object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unchecked {
    pub path: String,
    pub rule: String,
    pub reason: String,
}

/// What the API server would do with an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// Reasons the server rejects it (empty: accepted).
    pub invalid: Vec<Problem>,
    /// Data the server drops: unknown fields, nulls of non-nullable fields.
    pub pruned: Vec<Problem>,
    /// CEL rules not evaluated (never counted as passed).
    pub not_checked: Vec<Unchecked>,
    /// On update: problems of values unchanged from the old object, which the server forgives
    /// (ratcheting). [`VersionChecker::admit`] puts them here; the migration gate
    /// ([`VersionChecker::check`]) keeps them in `invalid`, saying the server would accept them.
    pub ratcheted: Vec<Problem>,
}

/// The checks for one version of one CRD, compiled once.
#[derive(Debug)]
pub struct VersionChecker {
    schema: Value,
    validator: Validator,
    cel: CelRules,
}

impl VersionChecker {
    /// Compiles a version's `openAPIV3Schema`.
    pub fn new(schema: &Value) -> VersionChecker {
        VersionChecker {
            schema: schema.clone(),
            validator: Validator::new(schema),
            cel: CelRules::new(schema),
        }
    }

    /// The object as the API server stores it: unknown fields pruned, nulls of non-nullable
    /// fields dropped, defaults filled in.
    pub fn stored(&self, object: &Value) -> Value {
        self.validator
            .stored_form(object)
            .unwrap_or_else(|| object.clone())
    }

    /// What the API server does with a create (`old` is `None`) or an update of `old` (the
    /// object as stored): the ObjectMeta rules, then [`VersionChecker::validate_write`].
    /// Returns the verdict and the object as the server would store it (`None`: as given).
    pub fn admit(&self, new: &Value, old: Option<&Value>) -> (Checked, Option<Value>) {
        let (mut checked, stored) = self.validate_write(new, old);
        let mut meta = metadata_problems(new);
        meta.append(&mut checked.invalid);
        checked.invalid = meta;
        (checked, stored)
    }

    /// The schema part of a write, as the server runs it: prune, drop nulls, default, validate
    /// the schema and the CEL rules (`oldSelf` bound on update), and on update forgive the
    /// problems of unchanged values (ratcheting). The ObjectMeta rules are left to the caller.
    pub fn validate_write(&self, new: &Value, old: Option<&Value>) -> (Checked, Option<Value>) {
        // The server reads the old object through the current schema: `oldSelf` and
        // ratcheting see it pruned and defaulted.
        let old = old.map(|o| self.stored(o));
        self.check_stored(new, old.as_ref(), true)
    }

    /// Checks `new`; `old` is the object as stored (for transition rules). The migration gate:
    /// stricter than the server on purpose, it does not forgive unchanged invalid values, but
    /// says where the server would.
    pub fn check(&self, new: &Value, old: Option<&Value>) -> Checked {
        let (mut checked, stored) = self.check_stored(new, old, false);
        if let Some(old) = old {
            let old = self.stored(old);
            let new_stored = stored.as_ref().unwrap_or(new);
            for problem in &mut checked.invalid {
                if !is_duplicate(problem)
                    && !is_embedded_check(problem)
                    && ratchet::is_ratcheted(&self.schema, new_stored, &old, &problem.path)
                {
                    problem.reason.push_str(
                        " (unchanged from the stored object: the API server itself would accept \
                         this update, it ratchets unchanged values)",
                    );
                }
            }
        }
        checked
    }

    /// Moves the problems of values unchanged from `old` to `checked.ratcheted`, as the server
    /// ratchets: schema errors of unchanged values; duplicate list items only when the old
    /// object already had some (then the server skips the list check); never the checks of
    /// embedded resources.
    fn ratchet(&self, checked: &mut Checked, new: &Value, old: &Value) {
        let old_has_duplicates = || {
            self.validator
                .validate_as_written(old)
                .iter()
                .any(|v| v.message.starts_with("duplicate "))
        };
        let mut old_duplicates = None;
        let (forgiven, kept): (Vec<Problem>, Vec<Problem>) = std::mem::take(&mut checked.invalid)
            .into_iter()
            .partition(|p| {
                if is_duplicate(p) {
                    *old_duplicates.get_or_insert_with(old_has_duplicates)
                } else if is_embedded_check(p) {
                    false
                } else {
                    ratchet::is_ratcheted(&self.schema, new, old, &p.path)
                }
            });
        checked.invalid = kept;
        checked.ratcheted.extend(forgiven);
    }

    /// The schema, then the CEL rules unless a schema error blocks them (as on the server);
    /// with `ratcheting`, problems of values unchanged from `old` are forgiven.
    fn check_stored(
        &self,
        new: &Value,
        old: Option<&Value>,
        ratcheting: bool,
    ) -> (Checked, Option<Value>) {
        let (violations, stored) = self.validator.validate_stored(new);
        let new_stored = stored.as_ref().unwrap_or(new);
        let ratchet_old = old.filter(|_| ratcheting);
        let mut checked = Checked::default();
        for v in violations {
            let problem = Problem {
                path: v.path,
                reason: v.message,
                cause: v.cause,
            };
            match v.kind {
                ViolationKind::Invalid => checked.invalid.push(problem),
                ViolationKind::Pruned => checked.pruned.push(problem),
            }
        }
        if let Some(old) = ratchet_old {
            self.ratchet(&mut checked, new_stored, old);
        }
        if self.cel.is_empty() {
            return (checked, stored);
        }
        let blocked = checked
            .invalid
            .iter()
            .any(|p| p.cause.as_ref().is_some_and(ServerCause::blocks_rules));
        if blocked {
            // The server does not run the rules on an object with such errors, and says so.
            checked.invalid.push(Problem {
                path: ".".to_string(),
                reason: "some validation rules were not checked because the object was invalid; \
                         correct the existing errors to complete validation"
                    .to_string(),
                cause: Some(ServerCause::RulesNotChecked),
            });
            return (checked, stored);
        }
        // Only rules without `oldSelf` that evaluated to false are ratcheted; an evaluation
        // error or a failed transition rule always rejects.
        let mut failed = Checked::default();
        for finding in self.cel.check(new_stored, old) {
            let to = if finding.ratchetable {
                &mut failed.invalid
            } else {
                &mut checked.invalid
            };
            match finding.verdict {
                cel::Verdict::Failed { message } => to.push(Problem {
                    path: finding.path,
                    reason: format!(
                        "{message} (x-kubernetes-validations rule `{}`)",
                        finding.rule
                    ),
                    cause: None,
                }),
                cel::Verdict::NotChecked { reason } => checked.not_checked.push(Unchecked {
                    path: finding.path,
                    rule: finding.rule,
                    reason,
                }),
            }
        }
        if let Some(old) = ratchet_old {
            self.ratchet(&mut failed, new_stored, old);
        }
        checked.invalid.append(&mut failed.invalid);
        checked.ratcheted.append(&mut failed.ratcheted);
        (checked, stored)
    }
}

/// A duplicate item of a `set` or `map` list (the validator's "duplicate of item [i]",
/// "duplicate entry (k=v) of item [i]").
fn is_duplicate(problem: &Problem) -> bool {
    problem.reason.starts_with("duplicate ")
}

/// The checks of an embedded resource's apiVersion, kind and metadata (the server's
/// `objectmeta.Validate`, run apart from the schema validator and never ratcheted).
fn is_embedded_check(problem: &Problem) -> bool {
    problem.reason.contains("embedded resource")
}

/// The ObjectMeta rules the server checks apart from the schema: the name is a DNS subdomain,
/// label and annotation keys are qualified names, label values valid.
fn metadata_problems(object: &Value) -> Vec<Problem> {
    let meta = object.get("metadata").unwrap_or(&Value::Null);
    let mut out = Vec::new();
    match meta.get("name").and_then(Value::as_str) {
        Some(name) => out.extend(names::name_is_dns_subdomain(name, false).into_iter().map(
            |msg| Problem {
                path: ".metadata.name".to_string(),
                reason: format!("Invalid value: {}: {msg}", Value::from(name)),
                cause: None,
            },
        )),
        None if meta.get("generateName").is_none() => out.push(Problem {
            path: ".metadata.name".to_string(),
            reason: "Required value: name or generateName is required".to_string(),
            cause: None,
        }),
        None => {}
    }
    out.extend(
        names::labels_and_annotations(meta)
            .into_iter()
            .map(|problem| Problem {
                path: ".metadata".to_string(),
                reason: problem.to_string(),
                cause: None,
            }),
    );
    out
}

/// The checks of every version of a CRD, by version name.
#[derive(Debug)]
pub struct CrdChecker {
    versions: BTreeMap<String, VersionChecker>,
}

impl CrdChecker {
    /// Compiles each version's schema; a version without one accepts anything.
    pub fn new(crd: &Value) -> CrdChecker {
        let empty = Value::Object(serde_json::Map::new());
        let versions = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .map(|versions| {
                versions
                    .iter()
                    .filter_map(|v| {
                        let name = v.get("name")?.as_str()?.to_string();
                        let schema = v.pointer("/schema/openAPIV3Schema").unwrap_or(&empty);
                        Some((name, VersionChecker::new(schema)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        CrdChecker { versions }
    }

    /// The checker of `version`, `None` when the CRD has no such version.
    pub fn version(&self, version: &str) -> Option<&VersionChecker> {
        self.versions.get(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crd() -> Value {
        json!({"spec": {"versions": [{"name": "v2", "schema": {"openAPIV3Schema": {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "required": ["office"],
                    "x-kubernetes-validations": [
                        {"rule": "self.level >= oldSelf.level", "message": "no demotions"},
                        {"rule": "authorizer.group('apps').check('get').allowed()"}
                    ],
                    "properties": {
                        "office": {"type": "string", "minLength": 1},
                        "level": {"type": "integer", "default": 1}
                    }
                }
            }
        }}}]}})
    }

    #[test]
    fn structural_cel_and_pruned_findings_are_kept_apart() {
        let checker = CrdChecker::new(&crd());
        let v2 = checker.version("v2").unwrap();
        assert!(checker.version("v1").is_none());
        let new = json!({"apiVersion": "x/v2", "kind": "E", "metadata": {"name": "a"},
            "spec": {"office": "", "location": "hq", "level": 1}});
        let old = json!({"spec": {"location": "hq", "level": 2}});
        let checked = v2.check(&new, Some(&old));
        assert_eq!(checked.pruned.len(), 1, "{checked:?}");
        assert_eq!(checked.pruned[0].path, ".spec.location");
        let reasons: Vec<&str> = checked.invalid.iter().map(|p| p.reason.as_str()).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("no demotions (x-kubernetes-validations rule")),
            "{reasons:?}"
        );
        assert_eq!(checked.not_checked.len(), 1);
        assert!(checked.not_checked[0].reason.contains("authorizer"));
    }

    #[test]
    fn cel_sees_the_defaulted_object() {
        // `level` is missing but defaulted to 1 by the server before the rules run.
        let checker = CrdChecker::new(&crd());
        let new = json!({"spec": {"office": "hq"}});
        let old = json!({"spec": {"office": "hq", "level": 1}});
        let checked = checker.version("v2").unwrap().check(&new, Some(&old));
        assert!(checked.invalid.is_empty(), "{checked:?}");
    }
}
