//! Pending steps applied in memory to the stored objects, each result checked against the CRD
//! that will be installed. Nothing here writes: the plan says what would change, stay, be
//! skipped or fail, and carries the migrated objects for whoever writes them.
//!
//! Per object the steps of its CRD run in version order; a step the object's
//! [`MARKER_ANNOTATION`] already covers is skipped (a run that died half-way resumes there). The
//! object after its last step is what is validated (steps in between need not fit the new
//! schema); a validation failure is counted at that last step.

use super::MARKER_ANNOTATION;
use super::check::{CrdChecker, Problem, Unchecked};
use super::file::MigrationFile;
use super::results::{self, NotChecked, ObjectProblem, Results, StepResults};
use super::step::{Outcome, Runner, StepError};
use super::store::{ObjectId, ObjectStore, Resource, StoredObject};
use crate::crd::CrdSet;
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The steps of one CRD with the checks of its new schema.
#[derive(Debug)]
pub struct CrdMigration<'a> {
    pub resource: Resource,
    pub steps: Vec<&'a MigrationFile>,
    checker: CrdChecker,
}

/// What happened to one object at one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    Changed,
    Unchanged,
    Skipped,
    Failed,
    /// An earlier step failed the object.
    NotRun,
}

/// One object through all steps of its CRD.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectResult {
    /// One mark per step of the CRD.
    pub marks: Vec<Mark>,
    /// The object to write (with the marker annotation), `None` when nothing changed or it
    /// failed.
    pub after: Option<Value>,
    /// Why it fails, when it does.
    pub failure: Option<Problem>,
    pub pruned: Vec<Problem>,
    pub not_checked: Vec<Unchecked>,
}

impl<'a> CrdMigration<'a> {
    /// Groups `steps` (sorted by version) by CRD, in order of each CRD's first step. A step
    /// whose CRD is not in `crds` (the CRDs that will be installed) is an error.
    pub fn group(steps: &'a [MigrationFile], crds: &CrdSet) -> Result<Vec<CrdMigration<'a>>> {
        let mut out: Vec<CrdMigration<'a>> = Vec::new();
        for step in steps {
            if let Some(existing) = out.iter_mut().find(|m| m.resource.crd == step.crd) {
                existing.steps.push(step);
                continue;
            }
            let Some(crd) = crds.crds.get(&step.crd) else {
                let known: Vec<&str> = crds.crds.keys().map(String::as_str).collect();
                return Err(Error::Parse {
                    location: format!("{}:1:1", step.shown),
                    message: format!(
                        "the step rewrites objects of CRD {}, which is not among the new CRDs of {} ({}); fix `crd:` or build the CRDs first",
                        step.crd,
                        crds.label,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                });
            };
            let resource = Resource::of_crd(&crd.doc).ok_or_else(|| {
                Error::input(format!(
                    "{}: CRD {} has no group, names or served version to read its objects at",
                    crd.origin.file, step.crd
                ))
            })?;
            out.push(CrdMigration {
                resource,
                steps: vec![step],
                checker: CrdChecker::new(&crd.doc),
            });
        }
        Ok(out)
    }

    /// Runs the steps on one stored object and checks the result. `Err` when a step is broken
    /// (the run must stop); a failure of the object is in [`ObjectResult::failure`].
    pub fn migrate(&self, stored: &Value, runner: Runner<'_>) -> Result<ObjectResult> {
        let marker = marker_of(stored);
        let mut current = stored.clone();
        let mut marks = Vec::with_capacity(self.steps.len());
        let mut failure = None;
        for step in &self.steps {
            if failure.is_some() {
                marks.push(Mark::NotRun);
                continue;
            }
            if marker.is_some_and(|m| m >= step.version) {
                marks.push(Mark::Skipped);
                continue;
            }
            match runner.apply(step, &step.up, &current) {
                Ok(Outcome::Changed(new)) => {
                    current = new;
                    marks.push(Mark::Changed);
                }
                Ok(Outcome::Unchanged) => marks.push(Mark::Unchanged),
                Ok(Outcome::Skipped { .. }) => marks.push(Mark::Skipped),
                Err(StepError::Object(f)) => {
                    marks.push(Mark::Failed);
                    failure = Some(Problem {
                        path: f.path,
                        reason: f.reason,
                        cause: None,
                    });
                }
                Err(StepError::Broken(err)) => return Err(err),
            }
        }
        let mut result = ObjectResult {
            marks,
            after: None,
            failure,
            pruned: Vec::new(),
            not_checked: Vec::new(),
        };
        if result.failure.is_some() {
            return Ok(result);
        }
        // Migrated by an earlier run (which validated it) and not written again: a resumed
        // install may read it through the previous CRD, which prunes the fields the steps
        // wrote, so checking that copy against the new CRD would fail what is stored intact.
        if let (Some(m), Some(last)) = (marker, self.steps.last())
            && m >= last.version
        {
            return Ok(result);
        }
        let version = crate::migrate::store::object_version(&current);
        let Some(checker) = self.checker.version(version) else {
            result.failure = Some(Problem {
                path: ".apiVersion".to_string(),
                reason: format!(
                    "version `{version}` is not in the new CRD {}",
                    self.resource.crd
                ),
                cause: None,
            });
            fail_last(&mut result.marks);
            return Ok(result);
        };
        let checked = checker.check(&current, Some(stored));
        result.not_checked = checked.not_checked;
        let more = checked.invalid.len().saturating_sub(1);
        if let Some(mut first) = checked.invalid.into_iter().next() {
            if more > 0 {
                first.reason.push_str(&format!(
                    " (and {more} more problem{} in this object)",
                    if more == 1 { "" } else { "s" }
                ));
            }
            result.failure = Some(first);
            fail_last(&mut result.marks);
            return Ok(result);
        }
        result.pruned = checked.pruned;
        if result.marks.contains(&Mark::Changed) {
            let last = self.steps.last().map_or(0, |s| s.version);
            set_marker(&mut current, last);
            let mut changed = super::changed_steps(stored).unwrap_or_default();
            changed.extend(
                self.steps
                    .iter()
                    .zip(&result.marks)
                    .filter(|(_, mark)| **mark == Mark::Changed)
                    .map(|(step, _)| step.version),
            );
            super::set_changed_steps(&mut current, &changed);
            result.after = Some(current);
        }
        Ok(result)
    }
}

fn fail_last(marks: &mut [Mark]) {
    if let Some(last) = marks.last_mut() {
        *last = Mark::Failed;
    }
}

/// The version in the object's [`MARKER_ANNOTATION`], if any.
pub fn marker_of(object: &Value) -> Option<u64> {
    object
        .pointer("/metadata/annotations")?
        .get(MARKER_ANNOTATION)?
        .as_str()?
        .trim()
        .parse()
        .ok()
}

fn set_marker(object: &mut Value, version: u64) {
    let Some(map) = object.as_object_mut() else {
        return;
    };
    let metadata = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    let annotations = metadata
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if !annotations.is_object() {
        *annotations = Value::Object(Map::new());
    }
    if let Some(annotations) = annotations.as_object_mut() {
        annotations.insert(
            MARKER_ANNOTATION.to_string(),
            Value::String(version.to_string()),
        );
    }
}

/// Reads every stored object of the affected CRDs, per CRD name.
pub fn read(
    store: &dyn ObjectStore,
    migrations: &[CrdMigration<'_>],
) -> Result<BTreeMap<String, Vec<StoredObject>>> {
    let mut out = BTreeMap::new();
    for m in migrations {
        let objects = store.list(&m.resource).map_err(|e| {
            Error::Cluster(format!(
                "cannot read the objects of {}: {e}",
                m.resource.crd
            ))
        })?;
        out.insert(m.resource.crd.clone(), objects);
    }
    Ok(out)
}

/// One object of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedObject {
    pub crd: String,
    pub id: ObjectId,
    /// The `resourceVersion` it was read at: the precondition of its replace.
    pub resource_version: String,
    /// The object as read (what a backup holds).
    pub before: Value,
    /// What would be written, `None` when it stays as it is.
    pub after: Option<Value>,
}

/// The plan: the summary and every object read.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub results: Results,
    pub objects: Vec<PlannedObject>,
}

impl Plan {
    /// Whether any object would fail (then nothing may be written).
    pub fn fails(&self) -> bool {
        self.results.failed > 0
    }
}

/// Applies the pending `steps` (sorted by version) of `migrations` in memory to `objects` and
/// checks every result. `initial_version` is the last version applied before, when known.
pub fn plan(
    migrations: &[CrdMigration<'_>],
    objects: &BTreeMap<String, Vec<StoredObject>>,
    runner: Runner<'_>,
    initial_version: Option<u64>,
) -> Result<Plan> {
    let work: Vec<(usize, &StoredObject)> = migrations
        .iter()
        .enumerate()
        .flat_map(|(i, m)| {
            objects
                .get(&m.resource.crd)
                .into_iter()
                .flatten()
                .map(move |o| (i, o))
        })
        .collect();
    // A broken step stops the run at the first object (in order) it breaks on: objects after
    // the earliest break seen so far are spared, those before it still run, so the error
    // reported is the same whichever worker got there first.
    let first_broken = AtomicUsize::new(usize::MAX);
    let outcomes: Vec<Option<Result<ObjectResult>>> = work
        .par_iter()
        .enumerate()
        .map(|(n, (i, stored))| {
            if n > first_broken.load(Ordering::Relaxed) {
                return None;
            }
            let m = migrations.get(*i)?;
            let r = m.migrate(&stored.object, runner);
            if r.is_err() {
                first_broken.fetch_min(n, Ordering::Relaxed);
            }
            Some(r)
        })
        .collect();
    let mut done = Vec::with_capacity(outcomes.len());
    for outcome in outcomes.into_iter().flatten() {
        done.push(outcome?);
    }

    let mut steps: Vec<StepResults> = Vec::new();
    let mut index: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (mi, m) in migrations.iter().enumerate() {
        for (si, step) in m.steps.iter().enumerate() {
            index.insert((mi, si), steps.len());
            steps.push(StepResults {
                version: step.version,
                slug: step.slug.clone(),
                title: step.title.clone(),
                crd: step.crd.clone(),
                file: step.shown.clone(),
                ..StepResults::default()
            });
        }
    }
    let mut unchecked: BTreeMap<(usize, String, String), (String, usize)> = BTreeMap::new();
    let mut planned = Vec::with_capacity(done.len());
    for ((mi, stored), result) in work.iter().zip(done) {
        let id = stored.id();
        let last = result.marks.len().saturating_sub(1);
        for (si, mark) in result.marks.iter().enumerate() {
            let Some(step) = index.get(&(*mi, si)).and_then(|&s| steps.get_mut(s)) else {
                continue;
            };
            match mark {
                Mark::Changed => step.changed += 1,
                Mark::Unchanged => step.unchanged += 1,
                Mark::Skipped => step.skipped += 1,
                Mark::NotRun => {}
                Mark::Failed => {
                    step.failed += 1;
                    if let Some(f) = &result.failure
                        && step.failures.len() < results::LISTED
                    {
                        step.failures.push(ObjectProblem {
                            object: id.to_string(),
                            path: f.path.clone(),
                            reason: f.reason.clone(),
                        });
                    }
                }
            }
            if si == last {
                if !result.pruned.is_empty() {
                    step.pruned += 1;
                    if let Some(p) = result.pruned.first()
                        && step.pruned_fields.len() < results::LISTED
                    {
                        step.pruned_fields.push(ObjectProblem {
                            object: id.to_string(),
                            path: p.path.clone(),
                            reason: p.reason.clone(),
                        });
                    }
                }
                if let Some(&s) = index.get(&(*mi, si)) {
                    let mut seen = std::collections::BTreeSet::new();
                    for u in &result.not_checked {
                        if seen.insert((u.rule.clone(), u.reason.clone())) {
                            unchecked
                                .entry((s, u.rule.clone(), u.reason.clone()))
                                .or_insert_with(|| (u.path.clone(), 0))
                                .1 += 1;
                        }
                    }
                }
            }
        }
        planned.push(PlannedObject {
            crd: stored_crd(migrations, *mi),
            id,
            resource_version: stored.resource_version.clone(),
            before: stored.object.clone(),
            after: result.after,
        });
    }
    for ((s, rule, reason), (path, objects)) in unchecked {
        if let Some(step) = steps.get_mut(s) {
            step.not_checked.push(NotChecked {
                rule,
                path,
                reason,
                objects,
            });
        }
    }
    let mut all_versions: Vec<u64> = migrations
        .iter()
        .flat_map(|m| m.steps.iter().map(|s| s.version))
        .collect();
    all_versions.sort_unstable();
    // Steps are listed in version order, whatever CRD they belong to.
    steps.sort_by_key(|s| s.version);
    let mut results = Results {
        initial_version,
        target_version: all_versions.last().copied(),
        planned_steps: all_versions.len(),
        applied_steps: 0,
        dry_run: true,
        steps,
        ..Results::default()
    };
    results.total();
    Ok(Plan {
        results,
        objects: planned,
    })
}

fn stored_crd(migrations: &[CrdMigration<'_>], index: usize) -> String {
    migrations
        .get(index)
        .map(|m| m.resource.crd.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{Crd, Origin};
    use crate::migrate::file;
    use crate::migrate::program;
    use crate::migrate::store::MemoryStore;
    use serde_json::json;
    use std::path::Path;

    fn crds() -> CrdSet {
        let doc = json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "employees.role.orgchart.org"},
            "spec": {
                "group": "role.orgchart.org",
                "scope": "Namespaced",
                "names": {"plural": "employees", "kind": "Employee"},
                "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {"spec": {
                        "type": "object",
                        "required": ["office"],
                        "properties": {"office": {"type": "string"}, "level": {"type": "integer"}}
                    }}
                }}}]
            }
        });
        let mut set = CrdSet::new("build/crds");
        set.crds.insert(
            "employees.role.orgchart.org".into(),
            Crd {
                name: "employees.role.orgchart.org".into(),
                doc,
                origin: Origin {
                    file: "build/crds/role_employee.yaml".into(),
                    line: Some(1),
                },
            },
        );
        set
    }

    fn step(version: u64, up: &str) -> MigrationFile {
        let text = format!("title: step {version}\ncrd: employees.role.orgchart.org\nup:\n{up}");
        let shown = format!("migrations/{version}_s.yaml");
        file::parse(text.as_bytes(), &shown, version, "s", Path::new(".")).unwrap()
    }

    fn employee(ns: &str, name: &str, spec: Value) -> Value {
        json!({"apiVersion": "role.orgchart.org/v1", "kind": "Employee",
               "metadata": {"name": name, "namespace": ns}, "spec": spec})
    }

    fn runner() -> Runner<'static> {
        Runner {
            root: Path::new("."),
            timeout: program::TIMEOUT,
        }
    }

    const RENAME: &str =
        "  - op: move\n    from: /spec/location\n    path: /spec/office\n    ifPresent: true\n";

    fn run(steps: &[MigrationFile], objects: Vec<Value>) -> Plan {
        let store = MemoryStore::new();
        for o in objects {
            store.insert(o).unwrap();
        }
        let crds = crds();
        let migrations = CrdMigration::group(steps, &crds).unwrap();
        let read = read(&store, &migrations).unwrap();
        plan(&migrations, &read, runner(), None).unwrap()
    }

    #[test]
    fn a_rename_keeps_every_value_and_marks_the_object() {
        let objects: Vec<Value> = (0..30)
            .map(|i| {
                employee(
                    &format!("ns-{}", i % 3),
                    &format!("e{i:02}"),
                    json!({"location": format!("office {i}"), "level": i}),
                )
            })
            .collect();
        let p = run(&[step(5, RENAME)], objects.clone());
        assert!(!p.fails());
        assert_eq!(p.results.changed, 30);
        assert_eq!(p.objects.len(), 30);
        for planned in &p.objects {
            let before = &planned.before;
            let after = planned.after.as_ref().unwrap();
            assert_eq!(after["spec"]["office"], before["spec"]["location"]);
            assert_eq!(after["spec"]["level"], before["spec"]["level"]);
            assert_eq!(after["metadata"]["annotations"][MARKER_ANNOTATION], "5");
            assert_eq!(
                planned.resource_version,
                before["metadata"]["resourceVersion"]
            );
        }
    }

    #[test]
    fn a_failing_object_is_named_and_counted_at_the_last_step() {
        let objects = vec![
            employee("a", "ok", json!({"location": "hq"})),
            employee("b", "no-location", json!({})),
        ];
        let level = "  - op: add\n    path: /spec/level\n    value: 1\n    ifMissing: true\n";
        let p = run(&[step(5, RENAME), step(6, level)], objects);
        assert!(p.fails());
        let s5 = &p.results.steps[0];
        let s6 = &p.results.steps[1];
        assert_eq!((s5.changed, s5.unchanged), (1, 1));
        assert_eq!((s6.changed, s6.failed), (1, 1));
        assert_eq!(s6.failures[0].object, "b/no-location");
        assert_eq!(s6.failures[0].path, ".spec.office");
        assert_eq!(p.results.failed, 1);
        let failed = p
            .objects
            .iter()
            .find(|o| o.id.name == "no-location")
            .unwrap();
        assert_eq!(failed.after, None);
    }

    #[test]
    fn an_op_failure_stops_later_steps_for_that_object() {
        let replace = "  - op: replace\n    path: /spec/missing\n    value: 1\n";
        let p = run(
            &[step(5, replace), step(6, RENAME)],
            vec![employee("a", "x", json!({"location": "hq"}))],
        );
        assert_eq!(p.results.steps[0].failed, 1);
        assert_eq!(p.results.steps[1].changed + p.results.steps[1].failed, 0);
        assert!(
            p.results.steps[0].failures[0]
                .reason
                .contains("/spec/missing")
        );
    }

    #[test]
    fn markers_resume_and_tests_skip() {
        let mut done = employee("a", "done", json!({"office": "hq"}));
        done["metadata"]["annotations"] = json!({MARKER_ANNOTATION: "5"});
        let tested = "  - op: test\n    path: /spec/location\n    value: branch\n  - op: move\n    from: /spec/location\n    path: /spec/office\n";
        let p = run(
            &[step(5, tested)],
            vec![
                done,
                employee("a", "hq", json!({"location": "hq", "office": "x"})),
            ],
        );
        assert_eq!(p.results.skipped, 2);
        assert_eq!(p.results.changed, 0);
        assert!(!p.fails());
    }

    #[test]
    fn already_invalid_objects_fail_even_if_no_step_touches_them() {
        let p = run(
            &[step(5, RENAME)],
            vec![employee("a", "x", json!({"office": 7}))],
        );
        assert_eq!(p.results.failed, 1);
        assert!(
            p.results.steps[0].failures[0].reason.contains("string"),
            "{:?}",
            p.results.steps[0].failures
        );
    }

    #[test]
    fn a_program_failing_for_some_objects_fails_each_of_them_in_order() {
        let fails_bad = "  command: [sh, -c, 'o=$(cat); case \"$o\" in *bad*) echo no >&2; exit 3;; esac; printf %s \"$o\"']\n";
        let objects = (0..40)
            .map(|i| {
                let name = if i % 7 == 3 {
                    format!("bad-{i:02}")
                } else {
                    format!("ok-{i:02}")
                };
                employee("a", &name, json!({"office": "hq"}))
            })
            .collect();
        let p = run(&[step(5, fails_bad)], objects);
        assert!(p.fails());
        let s = &p.results.steps[0];
        assert_eq!(s.failed, 6);
        assert_eq!(s.unchanged, 34);
        let names: Vec<&str> = s.failures.iter().map(|f| f.object.as_str()).collect();
        assert_eq!(
            names,
            [
                "a/bad-03", "a/bad-10", "a/bad-17", "a/bad-24", "a/bad-31", "a/bad-38"
            ]
        );
        assert_eq!(
            s.failures[0].reason,
            "`sh` exited with status 3 (stderr: no) (migrations/5_s.yaml:4:12)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_program_that_cannot_start_stops_the_plan_at_the_first_object() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("migrate-it");
        std::fs::write(&program, [0u8, 1, 2, 3]).unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let crds = crds();
        let steps = [step(5, &format!("  command: [{}]\n", program.display()))];
        let migrations = CrdMigration::group(&steps, &crds).unwrap();
        let store = MemoryStore::new();
        for i in 0..64 {
            store
                .insert(employee("a", &format!("e{i:02}"), json!({"office": "hq"})))
                .unwrap();
        }
        let read = read(&store, &migrations).unwrap();
        let err = plan(&migrations, &read, runner(), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "migrations/5_s.yaml:4:12: employees.role.orgchart.org a/e00: could not start"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_step_for_an_unknown_crd_is_refused() {
        let text = "title: t\ncrd: nothing.example.com\nup: []\n";
        let f = file::parse(
            text.as_bytes(),
            "migrations/1_s.yaml",
            1,
            "s",
            Path::new("."),
        )
        .unwrap();
        let steps = [f];
        let err = CrdMigration::group(&steps, &crds())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("migrations/1_s.yaml:1:1: the step rewrites objects of CRD nothing.example.com, which is not among the new CRDs of build/crds (employees.role.orgchart.org)"), "{err}");
    }
}
