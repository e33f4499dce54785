//! A migrated object against the CRD that will be installed: the structural validator (types,
//! formats, required, enum, pattern, bounds, nullable, int-or-string, list and map rules,
//! unknown fields) and the `x-kubernetes-validations` CEL rules, on the object as the API server
//! would store it (pruned and defaulted), with the stored object as `oldSelf`.

use super::cel::{self, CelRules};
use crate::validate::{Validator, ViolationKind};
use serde_json::Value;
use std::collections::BTreeMap;

/// One problem of one object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// Where in the object: `.spec.location`, `.` for the whole object.
    pub path: String,
    pub reason: String,
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
}

/// The checks for one version of one CRD, compiled once.
#[derive(Debug)]
pub struct VersionChecker {
    validator: Validator,
    cel: CelRules,
}

impl VersionChecker {
    /// Compiles a version's `openAPIV3Schema`.
    pub fn new(schema: &Value) -> VersionChecker {
        VersionChecker {
            validator: Validator::new(schema),
            cel: CelRules::new(schema),
        }
    }

    /// Checks `new`; `old` is the object as stored (for transition rules).
    pub fn check(&self, new: &Value, old: Option<&Value>) -> Checked {
        let (violations, stored) = self.validator.validate_stored(new);
        let mut checked = Checked::default();
        for v in violations {
            let problem = Problem {
                path: v.path,
                reason: v.message,
            };
            match v.kind {
                ViolationKind::Invalid => checked.invalid.push(problem),
                ViolationKind::Pruned => checked.pruned.push(problem),
            }
        }
        if !self.cel.is_empty() {
            let stored = stored.as_ref().unwrap_or(new);
            for finding in self.cel.check(stored, old) {
                match finding.verdict {
                    cel::Verdict::Failed { message } => checked.invalid.push(Problem {
                        path: finding.path,
                        reason: format!(
                            "{message} (x-kubernetes-validations rule `{}`)",
                            finding.rule
                        ),
                    }),
                    cel::Verdict::NotChecked { reason } => checked.not_checked.push(Unchecked {
                        path: finding.path,
                        rule: finding.rule,
                        reason,
                    }),
                }
            }
        }
        checked
    }
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
                        {"rule": "quantity(self.office) != quantity('0')"}
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
        assert!(checked.not_checked[0].reason.contains("quantity()"));
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
