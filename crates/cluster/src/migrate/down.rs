//! Undoing applied steps (`migrate down`): the `down` patch of each step, newest first, on every
//! object that step's `up` rewrote, which is every object whose
//! [`MARKER_ANNOTATION`](super::MARKER_ANNOTATION) carries that version or a later one. The
//! marker then names the newest step of the CRD that stays applied, or goes.
//!
//! The results are written through the CRDs the cluster serves now, so [`check_live`] holds each
//! against the live CRD: a result the live schema rejects would fail half-way, and a field it does
//! not define would be pruned as the object is stored (the undo silently lost). A `down` op that
//! does not fit an object fails it too, and any failure stops the run before the first write.

use super::MARKER_ANNOTATION;
use super::check::CrdChecker;
use super::file::MigrationFile;
use super::plan::{PlannedObject, marker_of};
use super::results::{self, ObjectProblem, Results, StepResults};
use super::step::{Outcome, Runner, StepError};
use super::store::{ObjectStore, Resource, StoredObject};
use crate::crd::CrdSet;
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The steps of one CRD to undo.
#[derive(Debug)]
pub struct Undo<'a> {
    pub resource: Resource,
    /// Newest first.
    pub steps: Vec<&'a MigrationFile>,
    /// The newest step of this CRD that stays applied: the marker objects get back.
    pub remaining: Option<u64>,
}

/// Why an object cannot be taken back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub version: u64,
    pub path: String,
    pub reason: String,
}

impl<'a> Undo<'a> {
    /// Groups the steps to undo by CRD. `stays` are the applied steps that stay (on disk).
    pub fn group(
        undone: &[&'a MigrationFile],
        stays: &[&MigrationFile],
        crds: &CrdSet,
    ) -> Result<Vec<Undo<'a>>> {
        let mut out: Vec<Undo<'a>> = Vec::new();
        let mut sorted: Vec<&'a MigrationFile> = undone.to_vec();
        sorted.sort_by_key(|s| std::cmp::Reverse(s.version));
        for step in sorted {
            if step.down.is_none() {
                return Err(Error::input(format!(
                    "{} has no `down`, so step {} cannot be undone; an applied step's file must stay as it was applied (its checksum is recorded), so reverse it with a new step instead: nexus datamodel migrate create <slug> --crd {}, with the reverse patch as its `up`, then migrate apply",
                    step.shown, step.version, step.crd
                )));
            }
            if let Some(existing) = out.iter_mut().find(|u| u.resource.crd == step.crd) {
                existing.steps.push(step);
                continue;
            }
            let crd = crds.crds.get(&step.crd).ok_or_else(|| {
                Error::input(format!(
                    "{}: CRD {} is not among the CRDs of {}; point --crds at the CRDs the objects are served by",
                    step.shown, step.crd, crds.label
                ))
            })?;
            let resource = Resource::of_crd(&crd.doc).ok_or_else(|| {
                Error::input(format!(
                    "{}: CRD {} has no group, names or served version to read its objects at",
                    crd.origin.file, step.crd
                ))
            })?;
            let remaining = stays
                .iter()
                .filter(|s| s.crd == step.crd)
                .map(|s| s.version)
                .max();
            out.push(Undo {
                resource,
                steps: vec![step],
                remaining,
            });
        }
        Ok(out)
    }

    /// The object with the steps it carries undone; `Ok(None)` when none of them rewrote it.
    /// `Err` when a step is broken (the run must stop).
    pub fn revert(
        &self,
        stored: &Value,
        runner: Runner<'_>,
        counts: &mut [StepResults],
    ) -> Result<std::result::Result<Option<Value>, Failure>> {
        let Some(marker) = marker_of(stored) else {
            return Ok(Ok(None));
        };
        let mut current = stored.clone();
        let mut touched = false;
        // Which steps really changed the object; objects written before this record existed fall
        // back to the marker (every step up to it).
        let mut changed = super::changed_steps(stored);
        for step in &self.steps {
            let count = counts.iter_mut().find(|c| c.version == step.version);
            let Some(count) = count else { continue };
            let Some(down) = &step.down else { continue };
            let rewrote = match &changed {
                Some(versions) => versions.contains(&step.version),
                None => marker >= step.version,
            };
            if !rewrote {
                count.skipped += 1;
                continue;
            }
            if let Some(versions) = changed.as_mut() {
                versions.retain(|v| *v != step.version);
            }
            touched = true;
            match runner.apply(step, down, &current) {
                Ok(Outcome::Changed(new)) => {
                    current = new;
                    count.changed += 1;
                }
                Ok(Outcome::Unchanged) => count.unchanged += 1,
                Ok(Outcome::Skipped { .. }) => count.skipped += 1,
                Err(StepError::Object(f)) => {
                    count.failed += 1;
                    return Ok(Err(Failure {
                        version: step.version,
                        path: f.path,
                        reason: f.reason,
                    }));
                }
                Err(StepError::Broken(e)) => return Err(e),
            }
        }
        if !touched {
            return Ok(Ok(None));
        }
        set_marker(&mut current, self.remaining);
        if let Some(versions) = &changed {
            super::set_changed_steps(&mut current, versions);
        }
        if current
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
            .is_some_and(|a| a.is_empty())
            && let Some(metadata) = current.get_mut("metadata").and_then(Value::as_object_mut)
        {
            metadata.remove("annotations");
        }
        Ok(Ok((current != *stored).then_some(current)))
    }
}

/// Sets the marker annotation, or removes it (and an emptied `annotations`).
fn set_marker(object: &mut Value, version: Option<u64>) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    match version {
        Some(v) => {
            let annotations = metadata
                .entry("annotations")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(a) = annotations.as_object_mut() {
                a.insert(MARKER_ANNOTATION.to_string(), Value::String(v.to_string()));
            }
        }
        None => {
            let emptied = match metadata
                .get_mut("annotations")
                .and_then(Value::as_object_mut)
            {
                Some(a) => {
                    a.remove(MARKER_ANNOTATION);
                    a.is_empty()
                }
                None => false,
            };
            if emptied {
                metadata.remove("annotations");
            }
        }
    }
}

/// The objects read and what `down` makes of them, with the summary.
pub struct DownPlan {
    pub results: Results,
    pub objects: Vec<PlannedObject>,
}

/// Reads the objects of every CRD in `undo` and reverts each in memory.
pub fn plan(
    store: &dyn ObjectStore,
    undo: &[Undo<'_>],
    runner: Runner<'_>,
    initial_version: Option<u64>,
    target_version: Option<u64>,
) -> Result<DownPlan> {
    let mut steps: Vec<StepResults> = undo
        .iter()
        .flat_map(|u| u.steps.iter())
        .map(|s| StepResults {
            version: s.version,
            slug: s.slug.clone(),
            title: s.title.clone(),
            crd: s.crd.clone(),
            file: s.shown.clone(),
            ..StepResults::default()
        })
        .collect();
    let mut objects = Vec::new();
    for u in undo {
        let read: Vec<StoredObject> = store.list(&u.resource).map_err(|e| {
            Error::Cluster(format!(
                "cannot read the objects of {}: {e}",
                u.resource.crd
            ))
        })?;
        for stored in read {
            let id = stored.id();
            let after = match u.revert(&stored.object, runner, &mut steps)? {
                Ok(after) => after,
                Err(f) => {
                    if let Some(step) = steps.iter_mut().find(|s| s.version == f.version)
                        && step.failures.len() < results::LISTED
                    {
                        step.failures.push(ObjectProblem {
                            object: id.to_string(),
                            path: f.path,
                            reason: f.reason,
                        });
                    }
                    None
                }
            };
            objects.push(PlannedObject {
                crd: u.resource.crd.clone(),
                id,
                resource_version: stored.resource_version,
                before: stored.object,
                after,
            });
        }
    }
    steps.sort_by_key(|s| std::cmp::Reverse(s.version));
    let mut results = Results {
        initial_version,
        target_version,
        planned_steps: steps.len(),
        applied_steps: 0,
        dry_run: true,
        steps,
        ..Results::default()
    };
    results.total();
    Ok(DownPlan { results, objects })
}

/// Holds every result of `plan` against the live CRD of its kind (`live`, by CRD name): a result
/// the live schema rejects, or one that would lose a field the stored object did not already
/// lose, fails its object (counted at the last step undone on it), so nothing is written.
pub fn check_live(plan: &mut DownPlan, live: &BTreeMap<String, CrdChecker>) {
    for object in &mut plan.objects {
        let (Some(after), Some(checker)) = (&object.after, live.get(&object.crd)) else {
            continue;
        };
        let Some(problem) = live_problem(checker, &object.crd, &object.before, after) else {
            continue;
        };
        // The oldest undone step of the CRD ran last on the object.
        let step = plan
            .results
            .steps
            .iter_mut()
            .filter(|s| s.crd == object.crd)
            .min_by_key(|s| s.version);
        if let Some(step) = step {
            step.changed = step.changed.saturating_sub(1);
            step.failed += 1;
            if step.failures.len() < results::LISTED {
                step.failures.push(ObjectProblem {
                    object: object.id.to_string(),
                    path: problem.path,
                    reason: problem.reason,
                });
            }
        }
        object.after = None;
    }
    plan.results.total();
}

/// Why the live CRD would not store `after` as it is, if it would not.
fn live_problem(
    checker: &CrdChecker,
    crd: &str,
    before: &Value,
    after: &Value,
) -> Option<super::check::Problem> {
    use super::check::Problem;
    let version = super::store::object_version(after);
    let Some(version_checker) = checker.version(version) else {
        return Some(Problem {
            path: ".apiVersion".to_string(),
            reason: format!("the live CRD {crd} has no version `{version}` to write it at"),
            cause: None,
        });
    };
    let checked = version_checker.check(after, Some(before));
    // What the stored copy already breaks is not the down patch's doing, and the API server
    // ratchets it (unchanged invalid values are accepted on update).
    let as_stored = version_checker.check(before, Some(before));
    if let Some(mut first) = checked
        .invalid
        .into_iter()
        .find(|p| !as_stored.invalid.contains(p))
    {
        first.reason = format!(
            "the live CRD {crd} would reject the result: {}; fix the down patch, or install CRDs that accept it first",
            first.reason
        );
        return Some(first);
    }
    let already: Vec<String> = as_stored.pruned.into_iter().map(|p| p.path).collect();
    let lost = checked
        .pruned
        .into_iter()
        .find(|p| !already.contains(&p.path))?;
    Some(Problem {
        reason: format!(
            "the live CRD {crd} does not define {}, which the down patch writes: the API server would drop it; install CRDs that define it first (nexus datamodel install --force=true), then run migrate down",
            lost.path
        ),
        path: lost.path,
        cause: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_live_problem_is_one_the_down_patch_makes() {
        let crd = json!({"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {
            "type": "object",
            "properties": {"spec": {
                "type": "object",
                "required": ["office"],
                "properties": {
                    "office": {"type": "string"},
                    "name": {"type": "string", "maxLength": 3}
                }
            }}
        }}}]}});
        let checker = CrdChecker::new(&crd);
        let object = |spec: Value| json!({"apiVersion": "x.io/v1", "kind": "E", "metadata": {"name": "e"}, "spec": spec});
        let problem = |before: Value, after: Value| {
            live_problem(&checker, "es.x.io", &object(before), &object(after)).map(|p| p.path)
        };
        let stored = json!({"office": "hq", "name": "Ann"});
        assert_eq!(
            problem(stored.clone(), json!({"name": "Ann"})).as_deref(),
            Some(".spec.office")
        );
        assert_eq!(
            problem(
                stored.clone(),
                json!({"office": "hq", "name": "Ann", "legacy": 1})
            )
            .as_deref(),
            Some(".spec.legacy")
        );
        assert_eq!(
            problem(stored, json!({"office": "branch", "name": "Ann"})),
            None
        );
        // Too long already as stored: ratcheted, not the patch's doing.
        let long = json!({"office": "hq", "name": "Annabel"});
        assert_eq!(
            problem(long, json!({"office": "branch", "name": "Annabel"})),
            None
        );
        let wrong_version = live_problem(
            &checker,
            "es.x.io",
            &object(json!({"office": "hq"})),
            &json!({"apiVersion": "x.io/v9", "spec": {"office": "hq"}}),
        );
        assert_eq!(
            wrong_version.map(|p| p.path).as_deref(),
            Some(".apiVersion")
        );
    }

    #[test]
    fn the_marker_goes_back_or_goes_away() {
        let mut o = json!({"metadata": {"name": "a", "annotations": {MARKER_ANNOTATION: "3"}}});
        set_marker(&mut o, Some(1));
        assert_eq!(o["metadata"]["annotations"][MARKER_ANNOTATION], "1");
        set_marker(&mut o, None);
        assert_eq!(o["metadata"].get("annotations"), None);
        let mut kept = json!({"metadata": {"annotations": {MARKER_ANNOTATION: "3", "team": "x"}}});
        set_marker(&mut kept, None);
        assert_eq!(kept["metadata"]["annotations"], json!({"team": "x"}));
        let mut bare = json!({"metadata": {}});
        set_marker(&mut bare, None);
        assert_eq!(bare, json!({"metadata": {}}));
    }
}
