//! The summary every migration run ends with, per step and in total (after DynaMongoDB's
//! results object): `initialVersion`, `targetVersion`, `plannedSteps`, `appliedSteps`, and the
//! objects `changed`, `unchanged`, `skipped`, `failed`, `retried`. Text for people,
//! `--format json` as one document whose keys are public interface.

use crate::report::plural as count;
use serde::Serialize;
use std::fmt::Write;

/// How many failures, pruned objects and unchecked rules are listed per step.
pub const LISTED: usize = 10;

/// The whole run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Results {
    /// The last version applied before the run (`null`: none, or not known offline).
    pub initial_version: Option<u64>,
    /// The version the run brings the objects to (`null`: no step).
    pub target_version: Option<u64>,
    pub planned_steps: usize,
    pub applied_steps: usize,
    /// True when nothing was written (`migrate plan`).
    pub dry_run: bool,
    pub changed: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub failed: usize,
    pub retried: usize,
    pub steps: Vec<StepResults>,
}

/// One step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepResults {
    pub version: u64,
    pub slug: String,
    pub title: String,
    pub crd: String,
    /// The step file, as messages name it.
    pub file: String,
    pub changed: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub failed: usize,
    pub retried: usize,
    /// The first [`LISTED`] failures, by namespace and name.
    pub failures: Vec<ObjectProblem>,
    /// Objects that would keep data the new schema does not know (the server drops it).
    pub pruned: usize,
    /// The first [`LISTED`] of them.
    pub pruned_fields: Vec<ObjectProblem>,
    /// CEL rules that could not be evaluated: not known to hold.
    pub not_checked: Vec<NotChecked>,
}

/// A problem of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectProblem {
    /// `namespace/name`, or `name` for a cluster-scoped object.
    pub object: String,
    /// Where in the object: `.spec.location`, `.` for the whole object.
    pub path: String,
    pub reason: String,
}

/// A CEL rule that could not be evaluated, with how many objects it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotChecked {
    pub rule: String,
    /// Where it sits, on the first object it concerns.
    pub path: String,
    pub reason: String,
    pub objects: usize,
}

impl Results {
    /// Adds up the per-step counts into the totals.
    pub fn total(&mut self) {
        self.changed = self.steps.iter().map(|s| s.changed).sum();
        self.unchanged = self.steps.iter().map(|s| s.unchanged).sum();
        self.skipped = self.steps.iter().map(|s| s.skipped).sum();
        self.failed = self.steps.iter().map(|s| s.failed).sum();
        self.retried = self.steps.iter().map(|s| s.retried).sum();
    }
}

/// The results as one JSON document with a trailing newline.
pub fn render_json(results: &Results) -> String {
    // A struct of strings and integers always serializes.
    let mut out = serde_json::to_string_pretty(results).unwrap_or_default();
    out.push('\n');
    out
}

/// The results for people: one block per step, then the totals.
pub fn render_text(results: &Results) -> String {
    let would = |word: &str| {
        if results.dry_run {
            format!("would {word}")
        } else {
            // What was done.
            match word {
                "change" => "changed".to_string(),
                "fail" => "failed".to_string(),
                other => other.to_string(),
            }
        }
    };
    let mut out = String::new();
    let version = |v: Option<u64>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
    let _ = writeln!(
        out,
        "{} {} (version {} -> {})",
        if results.dry_run {
            "planned"
        } else {
            "applied"
        },
        count(
            if results.dry_run {
                results.planned_steps
            } else {
                results.applied_steps
            },
            "step",
            "steps"
        ),
        version(results.initial_version),
        version(results.target_version),
    );
    for step in &results.steps {
        let _ = writeln!(
            out,
            "\nstep {} {} ({}): {}",
            step.version, step.slug, step.crd, step.title
        );
        let _ = writeln!(
            out,
            "  {} {}, unchanged {}, skipped {}, {} {}{}",
            would("change"),
            step.changed,
            step.unchanged,
            step.skipped,
            would("fail"),
            step.failed,
            if step.retried > 0 {
                format!(", retried {}", step.retried)
            } else {
                String::new()
            }
        );
        if !step.failures.is_empty() {
            let _ = writeln!(
                out,
                "  {}:",
                listed("failures", step.failures.len(), step.failed)
            );
            for f in &step.failures {
                let _ = writeln!(out, "    {} {}: {}", f.object, f.path, f.reason);
            }
        }
        if step.pruned > 0 {
            let _ = writeln!(
                out,
                "  {} data the new schema does not know (the API server drops it):",
                if step.pruned == 1 {
                    "1 object keeps".to_string()
                } else {
                    format!("{} objects keep", step.pruned)
                }
            );
            for f in &step.pruned_fields {
                let _ = writeln!(out, "    {} {}: {}", f.object, f.path, f.reason);
            }
        }
        if !step.not_checked.is_empty() {
            let _ = writeln!(
                out,
                "  not checked (CEL rules not evaluated here, not known to hold):"
            );
            for n in &step.not_checked {
                let _ = writeln!(
                    out,
                    "    {} rule `{}`: {} ({})",
                    n.path,
                    n.rule,
                    n.reason,
                    count(n.objects, "object", "objects")
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\ntotal: changed {}, unchanged {}, skipped {}, failed {}, retried {}",
        results.changed, results.unchanged, results.skipped, results.failed, results.retried
    );
    out
}

fn listed(what: &str, shown: usize, all: usize) -> String {
    if shown < all {
        format!("{what} (first {shown} of {all})")
    } else {
        what.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Results {
        let mut r = Results {
            initial_version: None,
            target_version: Some(20260101000000),
            planned_steps: 1,
            applied_steps: 0,
            dry_run: true,
            steps: vec![StepResults {
                version: 20260101000000,
                slug: "rename-location".into(),
                title: "Rename location to office".into(),
                crd: "employees.role.orgchart.org".into(),
                file: "migrations/20260101000000_rename-location.yaml".into(),
                changed: 198,
                unchanged: 0,
                skipped: 1,
                failed: 12,
                retried: 0,
                failures: (0..LISTED)
                    .map(|i| ObjectProblem {
                        object: format!("ns-a/emp-{i:03}"),
                        path: ".spec.office".into(),
                        reason: "Required value".into(),
                    })
                    .collect(),
                pruned: 1,
                pruned_fields: vec![ObjectProblem {
                    object: "ns-b/emp-100".into(),
                    path: ".spec.legacy".into(),
                    reason: "unknown field".into(),
                }],
                not_checked: vec![NotChecked {
                    rule: "quantity(self.size) > quantity('0')".into(),
                    path: ".spec".into(),
                    reason: "it calls quantity()".into(),
                    objects: 211,
                }],
            }],
            ..Results::default()
        };
        r.total();
        r
    }

    #[test]
    fn text() {
        insta::assert_snapshot!(render_text(&sample()));
    }

    #[test]
    fn json_keys_are_the_public_ones() {
        let value: serde_json::Value = serde_json::from_str(&render_json(&sample())).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for key in [
            "initialVersion",
            "targetVersion",
            "plannedSteps",
            "appliedSteps",
            "changed",
            "unchanged",
            "skipped",
            "failed",
            "retried",
            "steps",
        ] {
            assert!(keys.contains(&key), "{key} in {keys:?}");
        }
        assert_eq!(value["failed"], 12);
        assert_eq!(value["initialVersion"], serde_json::Value::Null);
        assert_eq!(value["steps"][0]["notChecked"][0]["objects"], 211);
    }
}
