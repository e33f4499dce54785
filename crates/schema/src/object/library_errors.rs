//! The runtime errors of the lists, regex and semver libraries as a rule's failure, against the
//! API server's own wording (each expected reason is the object oracle's, `cr-apiserver-validate`,
//! on the same CRD and objects; nexus adds the rule in parentheses).

use super::CrdChecker;
use serde_json::{Value, json};

fn crd() -> Value {
    let rule = |rule: &str, message: &str| json!({"rule": rule, "message": message});
    json!({"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {
        "type": "object",
        "properties": {"spec": {
            "type": "object",
            "x-kubernetes-validations": [
                rule("!has(self.text) || !has(self.pattern) || self.text.find(self.pattern) == ''",
                     "the pattern does not match the text"),
                rule("!has(self.version) || !has(self.minVersion) || semver(self.version, true).compareTo(semver(self.minVersion, true)) >= 0",
                     "version is at least minVersion"),
                rule("!has(self.scores) || self.scores.min() >= 0", "scores are not negative"),
                {"rule": "!has(self.nums) || self.nums.sum() > 0"},
                rule("!has(self.timeouts) || self.timeouts.sum() <= duration('1h')", "timeouts are short"),
            ],
            "properties": {
                "text": {"type": "string"},
                "pattern": {"type": "string"},
                "version": {"type": "string"},
                "minVersion": {"type": "string"},
                "scores": {"type": "array", "items": {"type": "integer"}},
                "nums": {"type": "array", "items": {"type": "integer"}},
                "timeouts": {"type": "array", "items": {"type": "string", "format": "duration"}}
            }
        }}
    }}}]}})
}

/// The reasons nexus gives for the rules failing on `spec`, without the rule it appends.
fn reasons(spec: Value, old: Option<Value>) -> Vec<String> {
    let checker = CrdChecker::new(&crd());
    let version = checker.version("v1").expect("v1");
    let new = json!({"apiVersion": "x/v1", "kind": "L", "metadata": {"name": "a"}, "spec": spec});
    let old = old.map(
        |spec| json!({"apiVersion": "x/v1", "kind": "L", "metadata": {"name": "a"}, "spec": spec}),
    );
    let checked = version.check(&new, old.as_ref());
    assert!(checked.not_checked.is_empty(), "{checked:?}");
    checked
        .invalid
        .iter()
        // The structural findings (a duration's format, ratcheted on update) are not the point.
        .filter(|p| p.reason.contains(" evaluating rule: "))
        .map(|p| {
            p.reason
                .split(" (x-kubernetes-validations rule")
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn library_errors_read_as_the_servers() {
    assert_eq!(
        reasons(
            json!({"version": "hello", "minVersion": "1.0.0", "text": "abc", "pattern": "[a-"}),
            None
        ),
        [
            "Illegal regex: error parsing regexp: missing closing ]: `[a-` evaluating rule: the pattern does not match the text",
            "Invalid character(s) found in major number \"0hello\" evaluating rule: version is at least minVersion",
        ]
    );
    assert_eq!(
        reasons(json!({"version": "1.0.0", "minVersion": "v1.2-rc"}), None),
        [
            "short version cannot contain PreRelease/Build meta data evaluating rule: version is at least minVersion"
        ]
    );
    assert_eq!(
        reasons(
            json!({"scores": [], "nums": [9223372036854775807_i64, 1]}),
            None
        ),
        [
            "min called on empty list evaluating rule: scores are not negative",
            "integer overflow evaluating rule: !has(self.nums) || self.nums.sum() > 0",
        ]
    );
}

/// A list element that does not fit the schema, kept by ratcheting on update: the server fails
/// a rule reading the list with its conversion error, also when nothing changed.
#[test]
fn unconvertible_list_elements_fail_the_rules_reading_them() {
    for (timeouts, reason) in [
        (
            json!(["1m", "Not Valid!"]),
            "Invalid duration Not Valid!: unable to parse Not Valid! as duration evaluating rule: timeouts are short",
        ),
        (
            json!(["1m", null]),
            "invalid data, got null for schema with nullable=false evaluating rule: timeouts are short",
        ),
    ] {
        let spec = json!({"timeouts": timeouts});
        assert_eq!(reasons(spec.clone(), Some(spec)), [reason]);
    }
    let spec = json!({"scores": [1, 3.0]});
    assert_eq!(
        reasons(spec.clone(), Some(spec)),
        ["invalid data, expected int, got float64 evaluating rule: scores are not negative"]
    );
}
