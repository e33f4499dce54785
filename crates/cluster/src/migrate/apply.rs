//! Writing a plan back, and undoing it. Each migrated object replaces the stored one with the
//! resourceVersion it was read at as the precondition; on a 409 the object is read again, the
//! steps run again on the fresh copy, and the write is retried (`retries` times). The first
//! write that fails stops the run; [`restore`] then puts back every object already rewritten,
//! from the copies read before (the backup).
//!
//! Behind a status subresource a replace keeps the stored status, so an object whose status
//! changed takes two writes: the main resource, then `/status` with the resourceVersion the
//! first returned. A restore does the same with the backed-up copy.

use super::plan::{CrdMigration, PlannedObject};
use super::step::Runner;
use super::store::{ObjectId, ObjectStore, Resource, StoreError};
use serde_json::Value;
use std::collections::BTreeMap;

/// Attempts to restore one object when others keep changing it.
const RESTORE_ATTEMPTS: u32 = 5;

/// An object that could not be written (or restored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectError {
    pub crd: String,
    pub id: ObjectId,
    pub reason: String,
}

impl std::fmt::Display for ObjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.crd, self.id, self.reason)
    }
}

/// What [`write`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    /// Indices into the planned objects of the objects rewritten, in write order.
    pub rewritten: Vec<usize>,
    /// Writes retried after a conflict or a lost answer, per CRD.
    pub retried: BTreeMap<String, usize>,
    /// For each rewritten object (by index): the copy its last write replaced (the one to put
    /// back, which after a retry is not the copy first read) and the resourceVersion that write
    /// returned (`None` when only part of it went through), the precondition of a restore.
    pub replaced: BTreeMap<usize, (Value, Option<String>)>,
    /// Objects whose last write lost its answer and could not be read back: it may or may not
    /// have been done. By index: the copy it would have replaced, and what was sent.
    pub uncertain: BTreeMap<usize, (Value, Value)>,
    /// The write that stopped the run.
    pub failure: Option<ObjectError>,
}

impl Written {
    /// What a restore must cover: every object rewritten, with the resourceVersion nexus's own
    /// write returned when known, and every object whose write may have been done.
    pub fn to_restore<'a>(
        &'a self,
        objects: &'a [PlannedObject],
        resources: &[&'a Resource],
    ) -> Vec<(&'a Resource, &'a Value, Expect<'a>)> {
        let resource_of = |i: usize| {
            let crd = &objects.get(i)?.crd;
            resources.iter().find(|r| &r.crd == crd).copied()
        };
        let mut out = Vec::new();
        for &i in &self.rewritten {
            let (Some(resource), Some(planned)) = (resource_of(i), objects.get(i)) else {
                continue;
            };
            out.push(match self.replaced.get(&i) {
                Some((copy, Some(rv))) => (resource, copy, Expect::Version(rv)),
                Some((copy, None)) => (resource, copy, Expect::Any),
                None => (resource, &planned.before, Expect::Any),
            });
        }
        for (&i, (copy, sent)) in &self.uncertain {
            if let Some(resource) = resource_of(i) {
                out.push((resource, copy, Expect::Marked(sent)));
            }
        }
        out
    }
}

/// What to do with an object that changed since it was read: the steps again, on the fresh
/// copy. `Ok(None)`: it needs no rewrite any more.
pub type Redo<'a> = dyn Fn(&str, &Value) -> std::result::Result<Option<Value>, String> + 'a;

/// The up steps of `migrations` as a [`Redo`].
pub fn redo_up<'a>(migrations: &'a [CrdMigration<'a>], runner: Runner<'a>) -> Box<Redo<'a>> {
    Box::new(move |crd: &str, fresh: &Value| {
        let migration = migrations
            .iter()
            .find(|m| m.resource.crd == crd)
            .ok_or_else(|| format!("no step rewrites objects of {crd}"))?;
        let again = migration
            .migrate(fresh, runner)
            .map_err(|e| e.to_string())?;
        if let Some(problem) = again.failure {
            return Err(format!(
                "changed by someone else, and the new copy fails at {}: {}",
                problem.path, problem.reason
            ));
        }
        Ok(again.after)
    })
}

/// Writes every migrated object of `plan` (each CRD's objects at the resource `resources`
/// names); stops at the first object that cannot be written.
///
/// A write whose answer was lost is read back: done (the object carries the marks nexus sent),
/// not done (the resourceVersion is the one it was sent with: send it again), or changed by
/// someone else (as a conflict). When even the read fails, the object is [`Written::uncertain`].
pub fn write(
    store: &dyn ObjectStore,
    resources: &[&Resource],
    objects: &[PlannedObject],
    redo: &Redo<'_>,
    retries: u32,
) -> Written {
    let mut done = Written::default();
    let total = objects.iter().filter(|o| o.after.is_some()).count() as u64;
    let phase =
        crate::progress::Phase::start(format!("writing {total} migrated objects"), Some(total));
    let mut started = 0;
    for (index, planned) in objects.iter().enumerate() {
        let Some(after) = &planned.after else {
            continue;
        };
        phase.set(started);
        started += 1;
        let Some(resource) = resources.iter().find(|r| r.crd == planned.crd) else {
            continue;
        };
        let fail = |reason: String| ObjectError {
            crd: planned.crd.clone(),
            id: planned.id.clone(),
            reason,
        };
        let mut object = after.clone();
        // The copy `object` was migrated from: its status tells whether status changed.
        let mut base = planned.before.clone();
        let mut resource_version = planned.resource_version.clone();
        let mut stage = Stage::Whole;
        let mut touched = false;
        let mut attempt = 0;
        let mut retry = |attempt: &mut u32| {
            *attempt += 1;
            *done.retried.entry(planned.crd.clone()).or_default() += 1;
        };
        let outcome = loop {
            let sent = match stage {
                Stage::Whole => write_whole(store, resource, &object, &base, &resource_version),
                Stage::StatusOnly => store
                    .replace_status(resource, &object, &resource_version)
                    .map(|w| w.resource_version)
                    .map_err(|e| (e, Some(resource_version.clone()))),
            };
            let (error, main_written) = match sent {
                Ok(written_rv) => break Ok(Some(written_rv)),
                Err(e) => e,
            };
            // `Some(rv)`: the main resource is written (at rv) and the error is the status
            // write's, sent with rv as its precondition.
            let status_half = main_written.is_some();
            touched |= status_half;
            let precondition = main_written.unwrap_or_else(|| resource_version.clone());
            let fresh = match error {
                StoreError::Conflict { .. } => None,
                StoreError::OutcomeUnknown { reason, .. } => {
                    match store.get(resource, &planned.id) {
                        Ok(Some(fresh)) if fresh.resource_version == precondition => {
                            // Not done: send the same write again.
                            if attempt >= retries {
                                break Err(fail(format!(
                                    "{reason} (not done; the answer was lost on each of {} tries)",
                                    retries + 1
                                )));
                            }
                            retry(&mut attempt);
                            if status_half {
                                stage = Stage::StatusOnly;
                                resource_version = precondition;
                            }
                            continue;
                        }
                        Ok(Some(fresh)) if applied(&fresh.object, &object, status_half) => {
                            touched = true;
                            if !status_half
                                && status_write_needed(resource, &object, &base)
                                && fresh.object.get("status") != object.get("status")
                            {
                                // The main write was done; its status write was never sent.
                                stage = Stage::StatusOnly;
                                resource_version = fresh.resource_version;
                                continue;
                            }
                            break Ok(Some(fresh.resource_version));
                        }
                        Ok(Some(fresh)) => Some(fresh),
                        Ok(None) => break Err(fail("deleted while it was migrated".into())),
                        Err(e) => {
                            if !touched {
                                done.uncertain.insert(index, (base.clone(), object.clone()));
                            }
                            break Err(fail(format!(
                                "{reason}; reading it back to learn whether it was done failed too: {e}"
                            )));
                        }
                    }
                }
                e => break Err(fail(e.to_string())),
            };
            // Changed by someone else since it was read: the steps again on a fresh copy.
            if attempt >= retries {
                break Err(fail(format!(
                    "still changed by someone else after {retries} retries"
                )));
            }
            retry(&mut attempt);
            let fresh = match fresh {
                Some(fresh) => fresh,
                None => match store.get(resource, &planned.id) {
                    Ok(Some(fresh)) => fresh,
                    Ok(None) => break Err(fail("deleted while it was migrated".into())),
                    Err(e) => break Err(fail(e.to_string())),
                },
            };
            if status_half {
                // The main write went through and carries the marker, so the steps would skip
                // the fresh copy: they run again on the copy the spec was migrated from, with
                // the fresh status, and only the status is sent.
                let mut source = base.clone();
                set_status(&mut source, fresh.object.get("status").cloned());
                match redo(&planned.crd, &source) {
                    Ok(Some(next)) if next.get("status") != fresh.object.get("status") => {
                        object = next;
                        resource_version = fresh.resource_version;
                        stage = Stage::StatusOnly;
                    }
                    // The status already is where the steps lead.
                    Ok(_) => break Ok(Some(fresh.resource_version)),
                    Err(reason) => break Err(fail(reason)),
                }
                continue;
            }
            match redo(&planned.crd, &fresh.object) {
                Ok(Some(next)) => {
                    object = next;
                    base = fresh.object;
                    resource_version = fresh.resource_version;
                    stage = Stage::Whole;
                }
                // Someone else already brought it where the steps lead.
                Ok(None) => break Ok(None),
                Err(reason) => break Err(fail(reason)),
            }
        };
        match &outcome {
            Ok(Some(written_rv)) => {
                touched = true;
                done.replaced
                    .insert(index, (base.clone(), Some(written_rv.clone())));
            }
            Ok(None) => {}
            Err(_) => {}
        }
        // An object whose main write went through is rewritten, even if its status write
        // failed: a restore must put it back.
        if touched {
            done.rewritten.push(index);
            done.replaced
                .entry(index)
                .or_insert_with(|| (base.clone(), None));
        }
        if let Err(e) = outcome {
            done.failure = Some(e);
            break;
        }
    }
    if done.failure.is_none() {
        phase.set(started);
        phase.finish(&format!("{} rewritten", done.rewritten.len()));
    }
    done
}

/// What the next attempt at one object sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The main resource, then the status when it changed.
    Whole,
    /// Only the status: the main resource is written already.
    StatusOnly,
}

/// The migration marks of an object: its marker and changed-steps annotations.
fn marks(object: &Value) -> (Option<&Value>, Option<&Value>) {
    let annotations = object.pointer("/metadata/annotations");
    (
        annotations.and_then(|a| a.get(super::MARKER_ANNOTATION)),
        annotations.and_then(|a| a.get(super::CHANGED_ANNOTATION)),
    )
}

/// Whether `fresh`, read back after a write whose answer was lost (and whose resourceVersion
/// moved on), is that write done: the status sent (for a status write), or the marks sent (the
/// server may prune or default the rest, the marks it keeps as written; a step always moves
/// them, so they tell nexus's write from someone else's).
fn applied(fresh: &Value, sent: &Value, status_only: bool) -> bool {
    if status_only {
        fresh.get("status") == sent.get("status")
    } else {
        marks(fresh) == marks(sent)
    }
}

/// Whether `object` changes the status of `base` behind a status subresource, where a replace
/// of the main resource keeps the stored status.
fn status_write_needed(resource: &Resource, object: &Value, base: &Value) -> bool {
    resource.status_subresource && object.get("status") != base.get("status")
}

/// Replaces the main resource, then (when the status changed behind a status subresource) the
/// status with the resourceVersion the first write returned. The error carries that
/// resourceVersion when the main write had gone through.
fn write_whole(
    store: &dyn ObjectStore,
    resource: &Resource,
    object: &Value,
    base: &Value,
    resource_version: &str,
) -> std::result::Result<String, (StoreError, Option<String>)> {
    let written = store
        .replace(resource, object, resource_version)
        .map_err(|e| (e, None))?;
    if status_write_needed(resource, object, base) {
        let status = store
            .replace_status(resource, object, &written.resource_version)
            .map_err(|e| (e, Some(written.resource_version.clone())))?;
        return Ok(status.resource_version);
    }
    Ok(written.resource_version)
}

fn set_status(object: &mut Value, status: Option<Value>) {
    if let Some(map) = object.as_object_mut() {
        match status {
            Some(status) => map.insert("status".to_string(), status),
            None => map.remove("status"),
        };
    }
}

/// What [`restore`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restored {
    /// Objects put back as they were (or found as they were), as `crd namespace/name`.
    pub restored: Vec<String>,
    /// Objects that could not be put back.
    pub failed: Vec<ObjectError>,
}

/// Whose copy a restore may write over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect<'a> {
    /// Any (`migrate restore DIR`, an explicit request; or a write only half known).
    Any,
    /// Only the copy at this resourceVersion, the one nexus's own write returned: an object
    /// changed by someone else since is left alone and reported.
    Version(&'a str),
    /// A write whose outcome is unknown: only a copy carrying the marks of this object (what
    /// nexus sent) is nexus's; an object at its old resourceVersion needs nothing.
    Marked(&'a Value),
}

/// Puts objects back as they were (`before`, with its `resourceVersion` and server-owned
/// metadata dropped), within what each [`Expect`] allows. An object found as it was counts as
/// restored without a write. A restore write whose answer was lost is read back like any other.
pub fn restore<'a>(
    store: &dyn ObjectStore,
    objects: impl IntoIterator<Item = (&'a Resource, &'a Value, Expect<'a>)>,
) -> Restored {
    let mut out = Restored::default();
    // Collected first, so the progress line can say how many there are (`3/200`).
    let objects: Vec<_> = objects
        .into_iter()
        .filter_map(|(resource, before, expect)| {
            ObjectId::of(before).map(|id| (resource, before, id, expect))
        })
        .collect();
    let phase = crate::progress::Phase::start("restoring objects", Some(objects.len() as u64));
    for (resource, before, id, expect) in objects {
        phase.set((out.restored.len() + out.failed.len()) as u64);
        match restore_one(store, resource, before, &id, expect) {
            Ok(()) => out.restored.push(format!("{} {id}", resource.crd)),
            Err(reason) => out.failed.push(ObjectError {
                crd: resource.crd.clone(),
                id,
                reason,
            }),
        }
    }
    phase.finish(&format!(
        "{} restored, {} failed",
        out.restored.len(),
        out.failed.len()
    ));
    out
}

/// Whether the main resource of `current` is as in `body`: marks and spec, and status unless
/// it sits behind a status subresource.
fn main_as(resource: &Resource, current: &Value, body: &Value) -> bool {
    marks(current) == marks(body)
        && current.get("spec") == body.get("spec")
        && (resource.status_subresource || current.get("status") == body.get("status"))
}

fn restore_one(
    store: &dyn ObjectStore,
    resource: &Resource,
    before: &Value,
    id: &ObjectId,
    expect: Expect<'_>,
) -> std::result::Result<(), String> {
    let mut body = before.clone();
    if let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in ["resourceVersion", "managedFields", "generation"] {
            meta.remove(key);
        }
    }
    let changed_by_someone_else = || {
        "changed by someone else after nexus wrote it, so it was left as it is (its copy from before the run is in the backup)"
            .to_string()
    };
    let mut last_error = None;
    // Whether this restore sent the main resource (its answer may have been lost).
    let mut sent_main = false;
    for _ in 0..RESTORE_ATTEMPTS {
        let current = match store.get(resource, id) {
            Ok(Some(current)) => current,
            Ok(None) => return Err("it no longer exists".into()),
            Err(e) => return Err(e.to_string()),
        };
        let main_back = main_as(resource, &current.object, &body);
        if main_back && current.object.get("status") == body.get("status") {
            return Ok(());
        }
        // Every write of a step moves the marks: an object whose main resource nexus did not
        // put back and that has the marks and spec of before holds no write of nexus (a write
        // that was never done); a status someone else changed since is theirs.
        if main_back && !sent_main && expect != Expect::Any {
            return Ok(());
        }
        if !main_back {
            match expect {
                Expect::Any => {}
                Expect::Version(rv) if current.resource_version == rv => {}
                Expect::Marked(sent) if marks(&current.object) == marks(sent) => {}
                _ => return Err(changed_by_someone_else()),
            }
        }
        let written = if main_back {
            current
        } else {
            sent_main = true;
            match store.replace(resource, &body, &current.resource_version) {
                Ok(written) => written,
                Err(e @ (StoreError::Conflict { .. } | StoreError::OutcomeUnknown { .. })) => {
                    last_error = Some(e.to_string());
                    continue;
                }
                Err(e) => return Err(e.to_string()),
            }
        };
        // Behind a status subresource the replace kept the migrated status: put back the
        // backed-up one too.
        if status_write_needed(resource, &body, &written.object) {
            match store.replace_status(resource, &body, &written.resource_version) {
                Ok(_) => {}
                Err(e @ (StoreError::Conflict { .. } | StoreError::OutcomeUnknown { .. })) => {
                    last_error = Some(e.to_string());
                    continue;
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        return Ok(());
    }
    Err(match last_error {
        Some(e) => format!("not restored after {RESTORE_ATTEMPTS} attempts, the last: {e}"),
        None => format!("changed by someone else on each of {RESTORE_ATTEMPTS} attempts"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{Crd, CrdSet, Origin};
    use crate::migrate::file::MigrationFile;
    use crate::migrate::store::{MemoryStore, StoredObject};
    use crate::migrate::{plan, program};
    use serde_json::json;
    use std::path::Path;

    fn crds() -> CrdSet {
        crds_with(false)
    }

    /// The Employee CRD, with the status subresource when `status` is set.
    fn crds_with(status: bool) -> CrdSet {
        let mut doc = json!({
            "metadata": {"name": "employees.role.orgchart.org"},
            "spec": {
                "group": "role.orgchart.org",
                "scope": "Namespaced",
                "names": {"plural": "employees", "kind": "Employee"},
                "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {"spec": {"type": "object", "properties": {
                        "name": {"type": "string"}, "office": {"type": "string"}
                    }}}
                }}}]
            }
        });
        if status {
            doc["spec"]["versions"][0]["subresources"] = json!({"status": {}});
            doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"] = json!({
                "type": "object",
                "properties": {"old": {"type": "string"}, "new": {"type": "string"}}
            });
        }
        let mut set = CrdSet::new("build/crds");
        set.crds.insert(
            "employees.role.orgchart.org".into(),
            Crd {
                name: "employees.role.orgchart.org".into(),
                doc,
                origin: Origin {
                    file: "crd.yaml".into(),
                    line: None,
                },
            },
        );
        set
    }

    fn steps(dir: &Path) -> Vec<MigrationFile> {
        std::fs::create_dir_all(dir.join("migrations")).unwrap();
        std::fs::write(
            dir.join("migrations/1_office.yaml"),
            "title: Office\ncrd: employees.role.orgchart.org\nup:\n  - op: add\n    path: /spec/office\n    value: hq\n    ifMissing: true\n",
        )
        .unwrap();
        crate::migrate::file::load_dir(dir).unwrap()
    }

    fn seeded(n: usize) -> MemoryStore {
        let store = MemoryStore::new();
        for i in 0..n {
            store
                .insert(json!({
                    "apiVersion": "role.orgchart.org/v1", "kind": "Employee",
                    "metadata": {"name": format!("e{i}"), "namespace": "ns"},
                    "spec": {"name": format!("E{i}")}
                }))
                .unwrap();
        }
        store
    }

    #[test]
    fn a_restore_leaves_alone_an_object_changed_after_nexus_wrote_it() {
        let dir = tempfile::tempdir().unwrap();
        let files = steps(dir.path());
        let set = crds();
        let migrations = CrdMigration::group(&files, &set).unwrap();
        let store = seeded(2);
        let read = plan::read(&store, &migrations).unwrap();
        let runner = Runner {
            root: dir.path(),
            timeout: program::TIMEOUT,
        };
        let planned = plan::plan(&migrations, &read, runner, None).unwrap();
        let resource = &migrations[0].resource;
        let written = write(
            &store,
            &[resource],
            &planned.objects,
            &*redo_up(&migrations, runner),
            3,
        );
        assert_eq!(written.rewritten, [0, 1]);
        // Someone else edits e1 after nexus wrote it.
        let e1 = store.list(resource).unwrap().remove(1);
        let mut edited = e1.object.clone();
        edited["spec"]["office"] = json!("edited by someone else");
        store
            .replace(resource, &edited, &e1.resource_version)
            .unwrap();

        let restored = restore(&store, written.to_restore(&planned.objects, &[resource]));
        assert_eq!(restored.restored, ["employees.role.orgchart.org ns/e0"]);
        assert_eq!(restored.failed.len(), 1);
        assert!(
            restored.failed[0]
                .reason
                .contains("changed by someone else")
        );
        let now = store.list(resource).unwrap();
        assert!(now[0].object["spec"].get("office").is_none());
        assert_eq!(now[1].object["spec"]["office"], "edited by someone else");
    }

    #[test]
    fn writes_then_restores_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let files = steps(dir.path());
        let set = crds();
        let migrations = CrdMigration::group(&files, &set).unwrap();
        let store = seeded(3);
        let read = plan::read(&store, &migrations).unwrap();
        let runner = Runner {
            root: dir.path(),
            timeout: program::TIMEOUT,
        };
        let planned = plan::plan(&migrations, &read, runner, None).unwrap();
        let resources = [&migrations[0].resource];
        let written = write(
            &store,
            &resources,
            &planned.objects,
            &*redo_up(&migrations, runner),
            3,
        );
        assert_eq!(written.rewritten, [0, 1, 2]);
        assert_eq!(written.failure, None);
        let resource = &migrations[0].resource;
        let now = store.list(resource).unwrap();
        assert!(now.iter().all(|o| o.object["spec"]["office"] == "hq"));

        let restored = restore(
            &store,
            planned
                .objects
                .iter()
                .map(|o| (resource, &o.before, Expect::Any)),
        );
        assert_eq!(restored.restored.len(), 3);
        assert!(restored.failed.is_empty());
        let back = store.list(resource).unwrap();
        assert!(
            back.iter()
                .all(|o| o.object["spec"].get("office").is_none())
        );
        assert!(back.iter().all(|o| plan::marker_of(&o.object).is_none()));
    }

    #[test]
    fn a_conflict_is_retried_on_a_fresh_copy() {
        let dir = tempfile::tempdir().unwrap();
        let files = steps(dir.path());
        let set = crds();
        let migrations = CrdMigration::group(&files, &set).unwrap();
        let store = seeded(1);
        let read = plan::read(&store, &migrations).unwrap();
        let runner = Runner {
            root: dir.path(),
            timeout: program::TIMEOUT,
        };
        let planned = plan::plan(&migrations, &read, runner, None).unwrap();
        // Someone renames the employee between the read and the write.
        let resource = &migrations[0].resource;
        let current = store.list(resource).unwrap().remove(0);
        let mut theirs = current.object.clone();
        theirs["spec"]["name"] = json!("Renamed");
        store
            .replace(resource, &theirs, &current.resource_version)
            .unwrap();
        let resources = [&migrations[0].resource];
        let written = write(
            &store,
            &resources,
            &planned.objects,
            &*redo_up(&migrations, runner),
            3,
        );
        assert_eq!(written.failure, None);
        assert_eq!(written.retried.values().sum::<usize>(), 1);
        let now = store.list(resource).unwrap().remove(0);
        assert_eq!(
            now.object["spec"],
            json!({"name": "Renamed", "office": "hq"})
        );
        // With no retries left the conflict stops the run.
        let stale = plan::plan(&migrations, &read, runner, None).unwrap();
        let mut theirs = now.object.clone();
        theirs["spec"]["name"] = json!("Again");
        store
            .replace(resource, &theirs, &now.resource_version)
            .unwrap();
        let written = write(
            &store,
            &resources,
            &stale.objects,
            &*redo_up(&migrations, runner),
            0,
        );
        assert!(written.failure.is_some());
        assert!(written.rewritten.is_empty());
    }

    /// A store where someone else rewrites the status of every object just before the first
    /// status write reaches it, so that write fails its precondition once.
    struct RacingStatus {
        inner: MemoryStore,
        raced: std::sync::Mutex<bool>,
    }

    impl ObjectStore for RacingStatus {
        fn list(&self, r: &Resource) -> std::result::Result<Vec<StoredObject>, StoreError> {
            self.inner.list(r)
        }
        fn get(
            &self,
            r: &Resource,
            id: &ObjectId,
        ) -> std::result::Result<Option<StoredObject>, StoreError> {
            self.inner.get(r, id)
        }
        fn create(&self, r: &Resource, o: &Value) -> std::result::Result<StoredObject, StoreError> {
            self.inner.create(r, o)
        }
        fn replace(
            &self,
            r: &Resource,
            o: &Value,
            rv: &str,
        ) -> std::result::Result<StoredObject, StoreError> {
            self.inner.replace(r, o, rv)
        }
        fn replace_status(
            &self,
            r: &Resource,
            o: &Value,
            rv: &str,
        ) -> std::result::Result<StoredObject, StoreError> {
            let mut raced = self.raced.lock().unwrap();
            if !*raced {
                *raced = true;
                let id = ObjectId::of(o).unwrap();
                let current = self.inner.get(r, &id).unwrap().unwrap();
                let mut theirs = current.object.clone();
                theirs["status"] = json!({"old": "set by the controller"});
                self.inner
                    .replace_status(r, &theirs, &current.resource_version)
                    .unwrap();
            }
            self.inner.replace_status(r, o, rv)
        }
    }

    #[test]
    fn status_behind_a_subresource_takes_a_second_write_and_a_conflict_there_is_retried() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
        std::fs::write(
            dir.path().join("migrations/1_status.yaml"),
            "title: Status\ncrd: employees.role.orgchart.org\nup:\n  - op: move\n    from: /status/old\n    path: /status/new\n",
        )
        .unwrap();
        let files = crate::migrate::file::load_dir(dir.path()).unwrap();
        let set = crds_with(true);
        let migrations = CrdMigration::group(&files, &set).unwrap();
        let resource = &migrations[0].resource;
        assert!(resource.status_subresource);
        let store = RacingStatus {
            inner: MemoryStore::new(),
            raced: std::sync::Mutex::new(false),
        };
        for i in 0..2 {
            store
                .inner
                .insert(json!({
                    "apiVersion": "role.orgchart.org/v1", "kind": "Employee",
                    "metadata": {"name": format!("e{i}"), "namespace": "ns"},
                    "spec": {"name": format!("E{i}")},
                    "status": {"old": format!("s{i}")}
                }))
                .unwrap();
        }
        let read = plan::read(&store, &migrations).unwrap();
        let runner = Runner {
            root: dir.path(),
            timeout: program::TIMEOUT,
        };
        let planned = plan::plan(&migrations, &read, runner, None).unwrap();
        assert!(!planned.fails());
        let written = write(
            &store,
            &[resource],
            &planned.objects,
            &*redo_up(&migrations, runner),
            3,
        );
        assert_eq!(written.failure, None);
        assert_eq!(written.rewritten, [0, 1]);
        assert_eq!(written.retried.values().sum::<usize>(), 1);
        let now = store.list(resource).unwrap();
        // The controller's status of e0, migrated on the retry; e1's own status.
        assert_eq!(
            now[0].object["status"],
            json!({"new": "set by the controller"})
        );
        assert_eq!(now[1].object["status"], json!({"new": "s1"}));
        assert!(now.iter().all(|o| plan::marker_of(&o.object) == Some(1)));

        let restored = restore(
            &store,
            planned
                .objects
                .iter()
                .map(|o| (resource, &o.before, Expect::Any)),
        );
        assert!(restored.failed.is_empty(), "{:?}", restored.failed);
        let back = store.list(resource).unwrap();
        assert_eq!(back[0].object["status"], json!({"old": "s0"}));
        assert_eq!(back[1].object["status"], json!({"old": "s1"}));
        assert!(back.iter().all(|o| plan::marker_of(&o.object).is_none()));
    }

    /// What a [`Lossy`] store does to one write.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Loss {
        /// Done, then the answer is lost.
        DoneThenLost,
        /// Lost before it reached the server: not done.
        LostUndone,
    }

    /// A store whose nth write (counting main and status writes, 1-based) loses its answer, and
    /// whose reads fail after a loss when `blind` is set.
    struct Lossy {
        inner: MemoryStore,
        losses: BTreeMap<usize, Loss>,
        writes: std::sync::atomic::AtomicUsize,
        blind: bool,
        lost: std::sync::atomic::AtomicBool,
    }

    impl Lossy {
        fn new(inner: MemoryStore, losses: &[(usize, Loss)], blind: bool) -> Lossy {
            Lossy {
                inner,
                losses: losses.iter().copied().collect(),
                writes: Default::default(),
                blind,
                lost: Default::default(),
            }
        }

        fn write(
            &self,
            o: &Value,
            done: impl FnOnce() -> std::result::Result<StoredObject, StoreError>,
        ) -> std::result::Result<StoredObject, StoreError> {
            use std::sync::atomic::Ordering::SeqCst;
            let n = self.writes.fetch_add(1, SeqCst) + 1;
            let lost = || {
                self.lost.store(true, SeqCst);
                StoreError::OutcomeUnknown {
                    id: ObjectId::of(o).unwrap(),
                    reason: format!("lost the answer to write {n}"),
                }
            };
            match self.losses.get(&n) {
                Some(Loss::DoneThenLost) => {
                    done()?;
                    Err(lost())
                }
                Some(Loss::LostUndone) => Err(lost()),
                None => done(),
            }
        }
    }

    impl ObjectStore for Lossy {
        fn list(&self, r: &Resource) -> std::result::Result<Vec<StoredObject>, StoreError> {
            self.inner.list(r)
        }
        fn get(
            &self,
            r: &Resource,
            id: &ObjectId,
        ) -> std::result::Result<Option<StoredObject>, StoreError> {
            if self.blind && self.lost.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(StoreError::Other("cannot reach the cluster".into()));
            }
            self.inner.get(r, id)
        }
        fn create(&self, r: &Resource, o: &Value) -> std::result::Result<StoredObject, StoreError> {
            self.inner.create(r, o)
        }
        fn replace(
            &self,
            r: &Resource,
            o: &Value,
            rv: &str,
        ) -> std::result::Result<StoredObject, StoreError> {
            self.write(o, || self.inner.replace(r, o, rv))
        }
        fn replace_status(
            &self,
            r: &Resource,
            o: &Value,
            rv: &str,
        ) -> std::result::Result<StoredObject, StoreError> {
            self.write(o, || self.inner.replace_status(r, o, rv))
        }
    }

    /// Plans the office step on `n` employees of `store` and writes them.
    fn plan_and_write(
        dir: &Path,
        store: &dyn ObjectStore,
        set: &CrdSet,
    ) -> (Vec<PlannedObject>, Written, Resource) {
        let files = steps(dir);
        let migrations = CrdMigration::group(&files, set).unwrap();
        let read = plan::read(store, &migrations).unwrap();
        let runner = Runner {
            root: dir,
            timeout: program::TIMEOUT,
        };
        let planned = plan::plan(&migrations, &read, runner, None).unwrap();
        let resource = migrations[0].resource.clone();
        let written = write(
            store,
            &[&resource],
            &planned.objects,
            &*redo_up(&migrations, runner),
            3,
        );
        (planned.objects, written, resource)
    }

    #[test]
    fn a_write_done_whose_answer_was_lost_counts_as_rewritten_and_is_restored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Lossy::new(seeded(3), &[(2, Loss::DoneThenLost)], false);
        let (objects, written, resource) = plan_and_write(dir.path(), &store, &crds());
        assert_eq!(written.failure, None);
        assert_eq!(written.rewritten, [0, 1, 2]);
        assert_eq!(written.retried.values().sum::<usize>(), 0);
        // Its replaced copy carries the resourceVersion read back, so a restore may write.
        let restored = restore(&store, written.to_restore(&objects, &[&resource]));
        assert_eq!(restored.restored.len(), 3, "{:?}", restored.failed);
        let back = store.inner.list(&resource).unwrap();
        assert!(
            back.iter()
                .all(|o| o.object["spec"].get("office").is_none())
        );
    }

    #[test]
    fn a_write_not_done_whose_answer_was_lost_is_sent_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Lossy::new(seeded(3), &[(2, Loss::LostUndone)], false);
        let (_, written, resource) = plan_and_write(dir.path(), &store, &crds());
        assert_eq!(written.failure, None);
        assert_eq!(written.rewritten, [0, 1, 2]);
        assert_eq!(written.retried.values().sum::<usize>(), 1);
        let now = store.inner.list(&resource).unwrap();
        assert!(now.iter().all(|o| o.object["spec"]["office"] == "hq"));
    }

    #[test]
    fn a_lost_answer_that_cannot_be_read_back_is_restored_if_it_was_done() {
        for loss in [Loss::DoneThenLost, Loss::LostUndone] {
            let dir = tempfile::tempdir().unwrap();
            let store = Lossy::new(seeded(3), &[(2, loss)], true);
            let (objects, written, resource) = plan_and_write(dir.path(), &store, &crds());
            let failure = written.failure.clone().expect("the run stops");
            assert!(
                failure
                    .reason
                    .contains("reading it back to learn whether it was done failed too"),
                "{failure}"
            );
            assert_eq!(written.rewritten, [0], "{loss:?}");
            assert!(written.uncertain.contains_key(&1), "{loss:?}");
            // The cluster answers again: the restore covers the uncertain write either way.
            let store = Lossy::new(store.inner, &[], false);
            let restored = restore(&store, written.to_restore(&objects, &[&resource]));
            assert!(
                restored.failed.is_empty(),
                "{loss:?}: {:?}",
                restored.failed
            );
            assert_eq!(restored.restored.len(), 2, "{loss:?}");
            let back = store.inner.list(&resource).unwrap();
            assert!(
                back.iter().all(|o| o.object["spec"].get("office").is_none()
                    && plan::marker_of(&o.object).is_none()),
                "{loss:?}"
            );
        }
    }

    #[test]
    fn a_restore_write_whose_answer_was_lost_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        // Writes 1-3 migrate; write 4, the first of the restore, is done and its answer lost.
        let store = Lossy::new(seeded(3), &[(4, Loss::DoneThenLost)], false);
        let (objects, written, resource) = plan_and_write(dir.path(), &store, &crds());
        assert_eq!(written.rewritten, [0, 1, 2]);
        let restored = restore(&store, written.to_restore(&objects, &[&resource]));
        assert!(restored.failed.is_empty(), "{:?}", restored.failed);
        assert_eq!(restored.restored.len(), 3);
        let back = store.inner.list(&resource).unwrap();
        assert!(back.iter().all(|o| plan::marker_of(&o.object).is_none()));
        // One write per object: the lost one was read back, not sent again.
        assert_eq!(store.writes.load(std::sync::atomic::Ordering::SeqCst), 6);
    }
}
