//! The `migrate` commands that work on a cluster: `plan` (without `--objects`), `apply`,
//! `status` and `restore`. Applied steps are read from and recorded in the state ConfigMap
//! ([`crate::migrate::state`]); objects are read and written through the kube-backed
//! [`KubeStore`].

use crate::cli::{
    ClusterArgs, MigrateApplyArgs, MigrateDownArgs, MigratePlanArgs, MigrateRestoreArgs,
    MigrateStatusArgs, ResultsFormat,
};
use crate::cluster::ClusterTarget;
use crate::cluster::objects::KubeStore;
use crate::crd::CrdSet;
use crate::error::{Error, Result};
use crate::migrate::apply::{self, Restored};
use crate::migrate::down::{self, Undo};
use crate::migrate::file::{self, MigrationFile};
use crate::migrate::plan::{self, CrdMigration, Plan, PlannedObject};
use crate::migrate::state::{Applied, State};
use crate::migrate::step::Runner;
use crate::migrate::store::{ObjectStore, Resource};
use crate::migrate::utc::UtcTime;
use crate::migrate::{objects, program, results};
use crate::report::plural as count;
use crate::{datamodel, source};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Exit code after a failed write, restored or not (a cluster error).
const EXIT_RESTORE_FAILED: i32 = 2;

fn connect(cluster: &ClusterArgs) -> Result<KubeStore> {
    KubeStore::connect(&ClusterTarget::from(cluster))
}

fn under(root: &Path, dir: &Path) -> PathBuf {
    if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        root.join(dir)
    }
}

fn load_crds(root: &Path, dir: &Path) -> Result<CrdSet> {
    let path = under(root, dir);
    if !path.is_dir() {
        return Err(Error::input(format!(
            "{} does not exist; run `nexus datamodel build` first, or point --crds at the CRDs that will be installed",
            path.display()
        )));
    }
    source::load_path(&path, &dir.display().to_string())
}

fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The steps on disk, the cluster's state (checksums checked), and the pending steps up to
/// `to`, each complete.
struct Pending {
    state: State,
    steps: Vec<MigrationFile>,
}

fn pending(root: &Path, store: &KubeStore, namespace: &str, to: Option<u64>) -> Result<Pending> {
    datamodel::check_workspace(root)?;
    let name = datamodel::workspace_name(root)?;
    let all = file::load_dir(root)?;
    let state = State::load(store, &name, namespace)?;
    state.check_checksums(&all)?;
    if let Some(to) = to
        && !all.iter().any(|s| s.version == to)
    {
        return Err(Error::input(format!(
            "--to {to}: no step on disk has that version"
        )));
    }
    let steps: Vec<MigrationFile> = state
        .pending(&all)?
        .into_iter()
        .filter(|s| to.is_none_or(|t| s.version <= t))
        .cloned()
        .collect();
    for step in &steps {
        step.require_complete()?;
    }
    Ok(Pending { state, steps })
}

/// Reads the objects of the pending steps' CRDs and plans them.
fn plan_against(
    root: &Path,
    store: &KubeStore,
    migrations: &[CrdMigration<'_>],
    state: &State,
) -> Result<(Plan, usize)> {
    let read = plan::read(store, migrations)?;
    let objects: usize = read.values().map(Vec::len).sum();
    let runner = Runner {
        root,
        timeout: program::TIMEOUT,
    };
    let plan = plan::plan(migrations, &read, runner, state.last_applied())?;
    Ok((plan, objects))
}

/// `migrate plan` without `--objects`: the pending steps of the cluster, on its objects.
pub fn run_plan(args: &MigratePlanArgs) -> Result<i32> {
    let root = args.datamodel.as_path();
    datamodel::check_workspace(root)?;
    let crds = load_crds(root, &args.crds)?;
    let store = connect(&args.cluster)?;
    let Pending { state, steps } = pending(root, &store, &args.state.state_namespace, args.to)?;
    let migrations = CrdMigration::group(&steps, &crds)?;
    let (plan, read) = plan_against(root, &store, &migrations, &state)?;
    let mut out = String::new();
    match args.format {
        ResultsFormat::Json => out.push_str(&results::render_json(&plan.results)),
        ResultsFormat::Text => {
            let _ = writeln!(
                out,
                "read {} from {}; {} applied, {} pending",
                count(read, "object", "objects"),
                store.describe(),
                count(state.applied.len(), "step", "steps"),
                steps.len()
            );
            out.push_str(&results::render_text(&plan.results));
            if plan.fails() {
                let _ = writeln!(
                    out,
                    "nothing would be written: {} would fail; fix the steps or the objects and plan again",
                    count(plan.results.failed, "object", "objects")
                );
            }
        }
    }
    if let (Some(dir), false) = (&args.output, plan.fails()) {
        let n = objects::write_migrated(dir, &plan)?;
        if args.format == ResultsFormat::Text {
            let _ = writeln!(
                out,
                "wrote {} to {}",
                count(n, "migrated object", "migrated objects"),
                dir.display()
            );
        }
    }
    print(&out);
    Ok(if plan.fails() { 1 } else { 0 })
}

/// `migrate apply` writes objects in their new shape through the CRDs the cluster serves now. If
/// the live schema does not know a field that a step writes, the API server prunes it as it stores
/// the object and the value is lost without an error. Refuse before the first write when any
/// migrated object would lose a field that the object as read did not already lose.
fn require_live_schema_keeps(plan: &Plan, cluster: &crate::cli::ClusterArgs) -> Result<()> {
    use crate::validate::{Validator, ViolationKind};
    use serde_json::Value;
    let mut live_crds = std::collections::BTreeMap::new();
    for object in &plan.objects {
        let Some(after) = &object.after else { continue };
        if !live_crds.contains_key(&object.crd) {
            let live = crate::cluster::load_cluster_from(
                Some(&object.crd),
                &crate::cluster::ClusterTarget::from(cluster),
            )?;
            live_crds.insert(object.crd.clone(), live);
        }
        let Some(live) = live_crds
            .get(&object.crd)
            .and_then(|set| set.crds.get(&object.crd))
        else {
            continue;
        };
        let version = crate::migrate::store::object_version(after);
        let schema = live.doc["spec"]["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["name"] == version)
            .and_then(|v| v.pointer("/schema/openAPIV3Schema"));
        let Some(schema) = schema else { continue };
        let validator = Validator::new(schema);
        let pruned = |value: &Value| -> Vec<String> {
            validator
                .validate(value)
                .into_iter()
                .filter(|v| v.kind == ViolationKind::Pruned)
                .map(|v| v.path)
                .collect()
        };
        let already = pruned(&object.before);
        if let Some(lost) = pruned(after).into_iter().find(|p| !already.contains(p)) {
            return Err(Error::input(format!(
                "the live CRD {} does not know {lost}, which the steps write into {}: the API server would drop it; run `nexus datamodel install --force=true` instead: install refuses the breaking change even once its step exists, and with --force=true applies the new CRDs and runs the pending steps in the right order",
                object.crd, object.id
            )));
        }
    }
    Ok(())
}

/// `migrate apply`.
pub fn run_apply(args: &MigrateApplyArgs) -> Result<i32> {
    let root = args.datamodel.as_path();
    datamodel::check_workspace(root)?;
    let crds = load_crds(root, &args.crds)?;
    let store = connect(&args.cluster)?;
    let Pending { mut state, steps } = pending(root, &store, &args.state.state_namespace, args.to)?;
    let text = args.format == ResultsFormat::Text;
    if steps.is_empty() {
        if text {
            print(&format!(
                "nothing to apply: {} applied in {}, none pending\n",
                count(state.applied.len(), "step", "steps"),
                store.describe()
            ));
        } else {
            let empty = results::Results {
                initial_version: state.last_applied(),
                target_version: state.last_applied(),
                ..results::Results::default()
            };
            print(&results::render_json(&empty));
        }
        return Ok(0);
    }
    let migrations = CrdMigration::group(&steps, &crds)?;
    let (mut plan, read) = plan_against(root, &store, &migrations, &state)?;
    if !plan.fails() {
        require_live_schema_keeps(&plan, &args.cluster)?;
    }
    let mut out = String::new();
    if text {
        let _ = writeln!(
            out,
            "read {} from {}",
            count(read, "object", "objects"),
            store.describe()
        );
    }
    if plan.fails() {
        if text {
            out.push_str(&results::render_text(&plan.results));
            let _ = writeln!(
                out,
                "nothing written: {} would fail; fix the steps or the objects and run again",
                count(plan.results.failed, "object", "objects")
            );
        } else {
            out.push_str(&results::render_json(&plan.results));
        }
        print(&out);
        return Ok(1);
    }

    let now = UtcTime::now();
    let runner = Runner {
        root,
        timeout: program::TIMEOUT,
    };
    let resources: Vec<&Resource> = migrations.iter().map(|m| &m.resource).collect();
    let redo = apply::redo_up(&migrations, runner);
    let backup = backup_dir(root, args.backup.as_deref(), &now);
    let job = WriteJob {
        store: &store,
        resources: &resources,
        objects: &plan.objects,
        redo: &*redo,
        retries: args.retries,
        backup: &backup,
        text,
    };
    let written = match write_or_restore(&job, &mut out)? {
        Ok(written) => written,
        Err(code) => return Ok(code),
    };

    // Conflicts count at the last step of each CRD: the step whose version the object's
    // marker carries.
    for m in &migrations {
        let retried = written.retried.get(&m.resource.crd).copied().unwrap_or(0);
        if let (Some(last), true) = (m.steps.last(), retried > 0)
            && let Some(step) = plan
                .results
                .steps
                .iter_mut()
                .find(|s| s.version == last.version)
        {
            step.retried += retried;
        }
    }
    plan.results.dry_run = false;
    plan.results.applied_steps = plan.results.planned_steps;
    plan.results.total();
    let applied_at = now.rfc3339();
    for step in &steps {
        if let Some(counts) = plan
            .results
            .steps
            .iter()
            .find(|s| s.version == step.version)
        {
            state
                .applied
                .insert(step.version, Applied::of(step, counts, &applied_at));
        }
    }
    if let Err(err) = state.save(&store) {
        print(&out);
        return Err(Error::Cluster(format!(
            "{err}; the objects were rewritten (backup in {}) but the step was not recorded: run `nexus datamodel migrate apply` again to record it (objects already migrated are skipped)",
            backup.display()
        )));
    }
    if text {
        out.push_str(&results::render_text(&plan.results));
        let _ = writeln!(
            out,
            "recorded {} in ConfigMap {}/{}",
            count(steps.len(), "step", "steps"),
            state.namespace,
            state.name
        );
    } else {
        out.push_str(&results::render_json(&plan.results));
    }
    print(&out);
    Ok(0)
}

fn backup_dir(root: &Path, given: Option<&Path>, now: &UtcTime) -> PathBuf {
    match given {
        Some(dir) => dir.to_path_buf(),
        None => {
            // Two runs within one second get their own directories.
            let base = root.join("build/migration-backup");
            let stamp = now.version_stamp();
            let mut dir = base.join(&stamp);
            let mut n = 1;
            while dir.exists() {
                n += 1;
                dir = base.join(format!("{stamp}-{n}"));
            }
            dir
        }
    }
}

/// Objects to write, and how.
struct WriteJob<'a> {
    store: &'a KubeStore,
    resources: &'a [&'a Resource],
    objects: &'a [PlannedObject],
    redo: &'a apply::Redo<'a>,
    retries: u32,
    backup: &'a Path,
    text: bool,
}

/// Backs up every object read, writes the rewritten ones, and on a failed write restores those
/// already written: `Err(exit code)` then, with everything printed.
fn write_or_restore(
    job: &WriteJob<'_>,
    out: &mut String,
) -> Result<std::result::Result<apply::Written, i32>> {
    let saved = crate::migrate::backup::write(job.backup, job.objects)?;
    if job.text {
        let _ = writeln!(
            out,
            "backed up {} to {}",
            count(saved, "object", "objects"),
            job.backup.display()
        );
    }
    let written = apply::write(job.store, job.resources, job.objects, job.redo, job.retries);
    let Some(failure) = &written.failure else {
        return Ok(Ok(written));
    };
    let restored = apply::restore(job.store, written.to_restore(job.objects, job.resources));
    let _ = writeln!(out, "writing stopped at {failure}");
    print(out);
    Ok(Err(report_restore(&restored, job.backup)))
}

/// Prints what a restore after a failed write did; the exit code (2: a write the cluster
/// refused is a cluster error, CLI.md, even when everything was restored). When the restore
/// could not finish, the first line says so, with the backup and the command that finishes it.
fn report_restore(restored: &Restored, backup: &Path) -> i32 {
    let mut err = String::new();
    if !restored.failed.is_empty() {
        let _ = writeln!(
            err,
            "restore incomplete: {} not restored; the backup is in {}; finish the restore with `nexus datamodel migrate restore {}`",
            count(restored.failed.len(), "object", "objects"),
            backup.display(),
            backup.display()
        );
    }
    if !restored.restored.is_empty() {
        let _ = writeln!(
            err,
            "restored {} from {}:",
            count(restored.restored.len(), "object", "objects"),
            backup.display()
        );
        for object in &restored.restored {
            let _ = writeln!(err, "  {object}");
        }
    } else if restored.failed.is_empty() {
        let _ = writeln!(err, "no object had been rewritten; nothing to restore");
    }
    if restored.failed.is_empty() {
        let _ = writeln!(
            err,
            "no step was recorded; fix the cause and run again (objects already migrated are skipped)"
        );
    } else {
        let _ = writeln!(
            err,
            "could not restore {}:",
            count(restored.failed.len(), "object", "objects")
        );
        for f in &restored.failed {
            let _ = writeln!(err, "  {f}");
        }
    }
    let _ = std::io::stderr().lock().write_all(err.as_bytes());
    EXIT_RESTORE_FAILED
}

/// `migrate down`.
pub fn run_down(args: &MigrateDownArgs) -> Result<i32> {
    let root = args.datamodel.as_path();
    datamodel::check_workspace(root)?;
    let name = datamodel::workspace_name(root)?;
    let crds = load_crds(root, &args.crds)?;
    let all = file::load_dir(root)?;
    let store = connect(&args.cluster)?;
    let mut state = State::load(&store, &name, &args.state.state_namespace)?;
    state.check_checksums(&all)?;
    let applied: Vec<u64> = state.applied.keys().copied().collect();
    if let Some(to) = args.to
        && to != 0
        && !state.applied.contains_key(&to)
    {
        return Err(Error::input(format!(
            "--to {to}: that version is not applied in {} (applied: {})",
            store.describe(),
            if applied.is_empty() {
                "none".to_string()
            } else {
                applied
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )));
    }
    let undone: Vec<u64> = match (args.to, args.steps) {
        (Some(to), _) => applied.iter().copied().filter(|v| *v > to).collect(),
        (None, n) => {
            let n = n.unwrap_or(1);
            applied.iter().rev().take(n).copied().collect()
        }
    };
    let text = args.format == ResultsFormat::Text;
    if undone.is_empty() {
        print(&format!(
            "nothing to undo: {} applied in {}\n",
            count(applied.len(), "step", "steps"),
            store.describe()
        ));
        return Ok(0);
    }
    let mut files = Vec::new();
    for version in &undone {
        let step = all.iter().find(|s| s.version == *version).ok_or_else(|| {
            Error::input(format!(
                "step {version} is applied but its file is not in {}/{}; restore the file to undo it",
                root.display(),
                crate::migrate::MIGRATIONS_DIR
            ))
        })?;
        files.push(step);
    }
    let stays: Vec<&MigrationFile> = all
        .iter()
        .filter(|s| state.applied.contains_key(&s.version) && !undone.contains(&s.version))
        .collect();
    let undo = Undo::group(&files, &stays, &crds)?;
    let runner = Runner {
        root,
        timeout: program::TIMEOUT,
    };
    let target = applied
        .iter()
        .copied()
        .filter(|v| !undone.contains(v))
        .max();
    let mut plan = down::plan(&store, &undo, runner, state.last_applied(), target)?;
    down::check_live(&mut plan, &live_checkers(&undo, &args.cluster)?);
    let mut out = String::new();
    if plan.results.failed > 0 {
        if text {
            out.push_str(&results::render_text(&plan.results));
            let _ = writeln!(
                out,
                "nothing written: {} cannot be taken back (the reasons above say why); fix the down patches or the live CRDs and run again",
                count(plan.results.failed, "object", "objects")
            );
        } else {
            out.push_str(&results::render_json(&plan.results));
        }
        print(&out);
        return Ok(1);
    }
    let resources: Vec<&Resource> = undo.iter().map(|u| &u.resource).collect();
    let undo_ref = &undo;
    let redo = move |crd: &str, fresh: &serde_json::Value| {
        let u = undo_ref
            .iter()
            .find(|u| u.resource.crd == crd)
            .ok_or_else(|| format!("no step rewrites objects of {crd}"))?;
        let mut scratch = plan_counts(u);
        match u.revert(fresh, runner, &mut scratch) {
            Ok(Ok(after)) => Ok(after),
            Ok(Err(f)) => Err(format!(
                "changed by someone else, and the new copy fails at {}: {}",
                f.path, f.reason
            )),
            Err(e) => Err(e.to_string()),
        }
    };
    let now = UtcTime::now();
    let backup = backup_dir(root, args.backup.as_deref(), &now);
    let job = WriteJob {
        store: &store,
        resources: &resources,
        objects: &plan.objects,
        redo: &redo,
        retries: args.retries,
        backup: &backup,
        text,
    };
    let written = match write_or_restore(&job, &mut out)? {
        Ok(written) => written,
        Err(code) => return Ok(code),
    };
    plan.results.retried = written.retried.values().sum();
    plan.results.dry_run = false;
    plan.results.applied_steps = plan.results.planned_steps;
    for version in &undone {
        state.applied.remove(version);
    }
    if let Err(err) = state.save(&store) {
        print(&out);
        return Err(Error::Cluster(format!(
            "{err}; the objects were reverted but the state still lists the undone steps: run `nexus datamodel migrate down` again with the same flags to record it"
        )));
    }
    if text {
        // The summary's header names the direction.
        out.push_str(&results::render_text(&plan.results).replacen("applied ", "undid ", 1));
        let _ = writeln!(
            out,
            "undid {}; ConfigMap {}/{} records {} applied",
            count(undone.len(), "step", "steps"),
            state.namespace,
            state.name,
            count(state.applied.len(), "step", "steps")
        );
    } else {
        out.push_str(&results::render_json(&plan.results));
    }
    print(&out);
    Ok(0)
}

/// The checks of the live CRD of each kind `down` writes: its results are stored through them.
fn live_checkers(
    undo: &[Undo<'_>],
    cluster: &crate::cli::ClusterArgs,
) -> Result<std::collections::BTreeMap<String, crate::migrate::check::CrdChecker>> {
    let mut out = std::collections::BTreeMap::new();
    for u in undo {
        let crd = &u.resource.crd;
        let live = crate::cluster::load_cluster_from(
            Some(crd),
            &crate::cluster::ClusterTarget::from(cluster),
        )?;
        if let Some(doc) = live.crds.get(crd) {
            out.insert(
                crd.clone(),
                crate::migrate::check::CrdChecker::new(&doc.doc),
            );
        }
    }
    Ok(out)
}

/// Empty per-step counts for re-running `down` on a fresh copy (the summary counts the first
/// pass only).
fn plan_counts(undo: &Undo<'_>) -> Vec<results::StepResults> {
    undo.steps
        .iter()
        .map(|s| results::StepResults {
            version: s.version,
            ..results::StepResults::default()
        })
        .collect()
}

/// `migrate status`.
pub fn run_status(args: &MigrateStatusArgs) -> Result<i32> {
    let root = args.datamodel.as_path();
    datamodel::check_workspace(root)?;
    let name = datamodel::workspace_name(root)?;
    let all = file::load_dir(root)?;
    let store = connect(&args.cluster)?;
    let state = State::load(&store, &name, &args.state.state_namespace)?;
    let mut versions: Vec<u64> = all.iter().map(|s| s.version).collect();
    versions.extend(state.applied.keys());
    versions.sort_unstable();
    versions.dedup();
    let steps: Vec<StepStatus<'_>> = versions
        .into_iter()
        .filter_map(|version| {
            let on_disk = all.iter().find(|s| s.version == version);
            let applied = state.applied.get(&version);
            (on_disk.is_some() || applied.is_some()).then_some(StepStatus {
                version,
                on_disk,
                applied,
            })
        })
        .collect();
    let out = match args.format {
        ResultsFormat::Text => status_text(&name, &store.describe(), &state, &steps),
        ResultsFormat::Json => status_json(&name, &store.describe(), &state, &steps),
    };
    print(&out);
    Ok(0)
}

/// One row of `migrate status`: a step on disk, in the cluster's state, or both.
struct StepStatus<'a> {
    version: u64,
    on_disk: Option<&'a MigrationFile>,
    applied: Option<&'a Applied>,
}

impl StepStatus<'_> {
    /// The file changed after it was applied (apply refuses until it is restored).
    fn changed_since_applied(&self) -> bool {
        matches!((self.on_disk, self.applied), (Some(step), Some(applied)) if applied.checksum != step.checksum)
    }
}

fn status_text(name: &str, cluster: &str, state: &State, steps: &[StepStatus<'_>]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "migrations of {name} in {cluster} (ConfigMap {}/{})",
        state.namespace, state.name
    );
    for row in steps {
        let version = row.version;
        match (row.on_disk, row.applied) {
            (Some(step), Some(applied)) => {
                let _ = writeln!(
                    out,
                    "applied  {version} {}  {} ({} changed, {} unchanged, {} skipped)",
                    step.slug,
                    applied.applied_at,
                    applied.changed,
                    applied.unchanged,
                    applied.skipped
                );
            }
            (Some(step), None) => {
                let _ = writeln!(out, "pending  {version} {}  {}", step.slug, step.title);
            }
            (None, Some(applied)) => {
                let _ = writeln!(
                    out,
                    "missing  {version} (applied {}, not on disk)  {}",
                    applied.applied_at, applied.title
                );
            }
            (None, None) => {}
        }
    }
    for row in steps.iter().filter(|r| r.changed_since_applied()) {
        if let Some(step) = row.on_disk {
            let _ = writeln!(
                out,
                "changed since applied: {} (apply refuses until it is restored)",
                step.shown
            );
        }
    }
    out
}

/// `--format json`: `{datamodel, cluster, stateConfigMap, steps: [...]}`, each step with its
/// `status` (`applied`, `pending`, `missing`: applied but not on disk) and what is known of it.
fn status_json(name: &str, cluster: &str, state: &State, steps: &[StepStatus<'_>]) -> String {
    use serde_json::{Value, json};
    let steps: Vec<Value> = steps
        .iter()
        .map(|row| {
            let status = match (row.on_disk, row.applied) {
                (Some(_), Some(_)) => "applied",
                (Some(_), None) => "pending",
                _ => "missing",
            };
            let mut entry = json!({
                "version": row.version,
                "status": status,
                "slug": row.on_disk.map(|s| s.slug.as_str()),
                "file": row.on_disk.map(|s| s.shown.as_str()),
                "title": row.on_disk.map(|s| s.title.as_str()).or(row.applied.map(|a| a.title.as_str())),
                "crd": row.on_disk.map(|s| s.crd.as_str()),
                "changedSinceApplied": row.changed_since_applied(),
            });
            if let (Some(applied), Some(map)) = (row.applied, entry.as_object_mut()) {
                map.insert("appliedAt".into(), json!(applied.applied_at));
                for (key, n) in [
                    ("changed", applied.changed),
                    ("unchanged", applied.unchanged),
                    ("skipped", applied.skipped),
                    ("failed", applied.failed),
                    ("retried", applied.retried),
                ] {
                    map.insert(key.into(), json!(n));
                }
            }
            entry
        })
        .collect();
    let doc = json!({
        "datamodel": name,
        "cluster": cluster,
        "stateConfigMap": { "namespace": state.namespace, "name": state.name },
        "steps": steps,
    });
    format!("{doc:#}\n")
}

/// `migrate restore DIR`.
pub fn run_restore(args: &MigrateRestoreArgs) -> Result<i32> {
    let root = args.datamodel.as_path();
    let crds = load_crds(root, &args.crds)?;
    if !args.dir.is_dir() {
        return Err(Error::input(format!(
            "{} is not a directory; name the backup directory that `migrate apply` printed",
            args.dir.display()
        )));
    }
    let loaded = objects::load(&args.dir)?;
    let resources: Vec<Resource> = crds
        .crds
        .values()
        .filter_map(|c| Resource::of_crd(&c.doc))
        .collect();
    let mut backed_up = Vec::new();
    for resource in &resources {
        let objects = loaded.store.list(resource).map_err(|e| {
            Error::input(format!(
                "cannot read the backup {}: {e}",
                args.dir.display()
            ))
        })?;
        backed_up.extend(objects.into_iter().map(|o| (resource, o.object)));
    }
    if backed_up.len() != loaded.objects {
        return Err(Error::input(format!(
            "{} holds {} but only {} are of the CRDs in {}; point --crds at the CRDs of the backup",
            args.dir.display(),
            count(loaded.objects, "object", "objects"),
            backed_up.len(),
            args.crds.display()
        )));
    }
    let store = connect(&args.cluster)?;
    let restored = apply::restore(
        &store,
        backed_up.iter().map(|(r, o)| (*r, o, apply::Expect::Any)),
    );
    let mut out = format!(
        "restored {} of {} in {}\n",
        count(restored.restored.len(), "object", "objects"),
        backed_up.len(),
        store.describe()
    );
    for f in &restored.failed {
        let _ = writeln!(out, "not restored: {f}");
    }
    print(&out);
    Ok(if restored.failed.is_empty() { 0 } else { 2 })
}
