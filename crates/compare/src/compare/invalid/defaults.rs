//! Defaults that fail their own CEL rules. The API server validates every `default` of a schema
//! (apiextensions-apiserver `schema/defaulting/validation.go`): after the schema checks, it runs
//! the `x-kubernetes-validations` of the node that carries the default, and of the nodes below
//! it, on the default value — once as an update from the default to itself (transition rules
//! see `oldSelf` = the default) and, if that passes, once as a create (`optionalOldSelf` rules
//! see no old value).
//!
//! The rules are evaluated by [`nexus_schema::object::cel`], the evaluator object validation uses
//! (with the Kubernetes URL, quantity, IP, CIDR, lists, regex and semver libraries). A rule it
//! cannot evaluate (a Kubernetes library function it lacks, such as `format.*`) is not reported:
//! nexus cannot tell, and a default is more often right than wrong.

use nexus_schema::object::cel::{CelRules, Verdict};
use serde_json::Value;

/// One default that fails a rule: where (the pointer of the `default` below the version's
/// `openAPIV3Schema`) and the server's reason.
pub struct DefaultProblem {
    pub pointer: String,
    pub message: String,
    pub value: Value,
}

/// Checks every default of one version's schema (properties and items; the server forbids
/// defaults below `additionalProperties`).
pub fn check_defaults(root: &Value) -> Vec<DefaultProblem> {
    let mut out = Vec::new();
    let mut stack: Vec<(&Value, String)> = vec![(root, String::new())];
    while let Some((node, at)) = stack.pop() {
        if !node.is_object() {
            continue;
        }
        if let Some(default) = node.get("default").filter(|d| !d.is_null())
            && has_rules(node)
        {
            let rules = CelRules::new(node);
            let mut failed = failures(&rules, default, Some(default));
            if failed.is_empty() {
                failed = failures(&rules, default, None);
            }
            for (path, message) in failed {
                out.push(DefaultProblem {
                    pointer: format!("{at}/default"),
                    message: if path == "." {
                        message
                    } else {
                        format!("{path}: {message}")
                    },
                    value: default.clone(),
                });
            }
        }
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            for (k, child) in props.iter().rev() {
                let token = k.replace('~', "~0").replace('/', "~1");
                stack.push((child, format!("{at}/properties/{token}")));
            }
        }
        if let Some(items) = node.get("items").filter(|i| i.is_object()) {
            stack.push((items, format!("{at}/items")));
        }
    }
    out
}

/// The rules that failed (not those that could not be evaluated), as (path, message).
fn failures(rules: &CelRules, new: &Value, old: Option<&Value>) -> Vec<(String, String)> {
    rules
        .check(new, old)
        .into_iter()
        .filter_map(|f| match f.verdict {
            Verdict::Failed { message } => Some((f.path, message)),
            Verdict::NotChecked { .. } => None,
        })
        .collect()
}

/// Whether the node or one below it carries rules (most defaults have none to run).
fn has_rules(node: &Value) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        let Some(obj) = n.as_object() else {
            continue;
        };
        if obj
            .get("x-kubernetes-validations")
            .and_then(Value::as_array)
            .is_some_and(|r| !r.is_empty())
        {
            return true;
        }
        stack.extend(
            obj.get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|p| p.values()),
        );
        stack.extend(obj.get("items"));
        stack.extend(obj.get("additionalProperties"));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_default_that_fails_its_rule_is_found() {
        let schema = json!({"type": "object", "properties": {
            "replicas": {"type": "integer", "default": 0,
                "x-kubernetes-validations": [{"rule": "self > 0", "message": "must be positive"}]},
            "ok": {"type": "integer", "default": 3,
                "x-kubernetes-validations": [{"rule": "self > 0"}]},
            "nested": {"type": "object", "default": {"a": "x"},
                "properties": {"a": {"type": "string",
                    "x-kubernetes-validations": [{"rule": "self.size() > 3"}]}}}
        }});
        let found: Vec<(String, String)> = check_defaults(&schema)
            .into_iter()
            .map(|p| (p.pointer, p.message))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            found[0],
            (
                "/properties/replicas/default".to_string(),
                "must be positive".to_string()
            )
        );
        assert_eq!(found[1].0, "/properties/nested/default");
        assert!(found[1].1.starts_with(".a: "), "{found:?}");
    }

    #[test]
    fn a_default_that_is_no_ip_fails_an_ip_rule() {
        // The mutant that showed the gap: the server reports the default failing its rule.
        let schema = json!({"type": "object", "properties": {
            "from": {"type": "string", "default": "Same",
                "x-kubernetes-validations": [{"rule": "ip(self).family() == 4"}]},
            "to": {"type": "string", "default": "10.0.0.1",
                "x-kubernetes-validations": [{"rule": "ip(self).family() == 4"}]},
            "net": {"type": "string", "default": "10.0.0.0/8",
                "x-kubernetes-validations": [{"rule": "cidr(self).containsIP('10.1.1.1')"}]}
        }});
        let found: Vec<(String, String)> = check_defaults(&schema)
            .into_iter()
            .map(|p| (p.pointer, p.message))
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "/properties/from/default");
        assert!(found[0].1.contains("unable to parse IP"), "{found:?}");
    }

    #[test]
    fn transition_rules_see_the_default_as_old_value() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "string", "default": "x",
                "x-kubernetes-validations": [{"rule": "self == oldSelf"}]},
            "b": {"type": "string", "default": "x",
                "x-kubernetes-validations": [{"rule": "!oldSelf.hasValue() && self == 'y'",
                    "optionalOldSelf": true}]}
        }});
        let found: Vec<String> = check_defaults(&schema)
            .into_iter()
            .map(|p| p.pointer)
            .collect();
        assert_eq!(found, ["/properties/b/default"]);
    }
}
