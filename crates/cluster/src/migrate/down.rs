//! Undoing applied steps (`migrate down`): the `down` patch of each step, newest first, on every
//! object that step's `up` rewrote, which is every object whose
//! [`MARKER_ANNOTATION`](super::MARKER_ANNOTATION) carries that version or a later one. The
//! marker then names the newest step of the CRD that stays applied, or goes.
//!
//! The objects are not validated against a schema: after `down` the older CRDs are installed,
//! which nexus does not have; a `down` op that does not fit an object fails it, and any failure
//! stops the run before the first write.

use super::MARKER_ANNOTATION;
use super::file::MigrationFile;
use super::plan::{PlannedObject, marker_of};
use super::results::{self, ObjectProblem, Results, StepResults};
use super::step::{Outcome, Runner, StepError};
use super::store::{ObjectStore, Resource, StoredObject};
use crate::crd::CrdSet;
use crate::error::{Error, Result};
use serde_json::{Map, Value};

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
                    "{} has no `down`, so step {} cannot be undone; add a `down` patch to it (or a new step that reverses it)",
                    step.shown, step.version
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
