//! The migration half of `nexus datamodel install` (MIGRATE.md "Order and atomicity"). The API
//! server prunes fields its current schema does not know, also on read, so with pending steps
//! install:
//! 1. reads every stored object of the affected CRDs, and the live CRDs, before anything
//!    changes ([`prepare`]);
//! 2. migrates and validates them in memory against the new CRDs: any failure stops the install
//!    before its first write;
//! 3. backs the objects up;
//! 4. lets install apply the CRDs;
//! 5. writes the migrated objects with their resourceVersions as preconditions ([`finish`]);
//! 6. records the steps in the state ConfigMap.
//!
//! If 4 or 5 fails, [`Prepared::undo`] restores the previous CRDs, then every object already
//! rewritten.

use crate::cli::{Format, InstallArgs};
use crate::cluster::ClusterTarget;
use crate::cluster::objects::KubeStore;
use crate::crd::CrdSet;
use crate::datamodel;
use crate::error::{Error, Result};
use crate::migrate::apply::{self, Expect, Restored};
use crate::migrate::file::{self, MigrationFile};
use crate::migrate::plan::{self, CrdMigration, Plan};
use crate::migrate::state::{Applied, State};
use crate::migrate::step::Runner;
use crate::migrate::store::{ObjectId, ObjectStore, Resource};
use crate::migrate::utc::UtcTime;
use crate::migrate::{MIGRATIONS_DIR, backup, program, results};
use crate::report::plural as count;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The datamodel root install runs in.
const ROOT: &str = ".";

/// Where backups go without `--backup` (relative to the datamodel root).
const BACKUPS: &str = "build/migration-backup";

/// How many of the newest backups a resumed install looks in for unpruned objects.
const RESUME_BACKUPS: usize = 3;

/// Exit code when the cluster may be left half-migrated (restoring failed).
const EXIT_RESTORE_FAILED: i32 = 2;

/// The CRD resource, to put previous CRDs back through the same store.
fn crd_resource() -> Resource {
    Resource {
        crd: "customresourcedefinitions.apiextensions.k8s.io".to_string(),
        group: "apiextensions.k8s.io".to_string(),
        version: "v1".to_string(),
        plural: "customresourcedefinitions".to_string(),
        kind: "CustomResourceDefinition".to_string(),
        namespaced: false,
        status_subresource: false,
    }
}

/// Pending steps planned against the cluster, everything read before the CRDs change.
pub struct Prepared {
    store: KubeStore,
    state: State,
    steps: Vec<MigrationFile>,
    plan: Plan,
    /// The live CRDs the install may change, as read before it.
    previous_crds: Vec<Value>,
    backup: PathBuf,
    /// Whether `backup` is a directory this run created under build/ (not `--backup`).
    own_backup: bool,
    retries: u32,
    format: Format,
}

/// What install does about migrations.
pub enum Migrations {
    /// Nothing pending (or no migrations directory).
    None,
    /// Steps pending and planned; install goes on.
    Ready(Box<Prepared>),
    /// Stop the install with this exit code, nothing changed (the reason printed).
    Stop(i32),
}

/// Migration lines go where install's own lines go: stdout with the text report, stderr when
/// stdout carries a machine-readable report.
fn print(args_format: Format, text: &str) {
    use std::io::Write as _;
    if args_format == Format::Text {
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    } else {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

/// A warning on stderr, whatever the format; a closed stderr is not worth failing for.
fn eprintln_quiet(text: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// `wanted` if the live CRD serves it, else the live CRD's storage version.
fn served_version(live: &Value, wanted: &str) -> Option<String> {
    let versions = live.pointer("/spec/versions")?.as_array()?;
    let served = |v: &&Value| v.get("served").and_then(Value::as_bool) == Some(true);
    let name = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_string);
    if versions
        .iter()
        .filter(served)
        .any(|v| v.get("name").and_then(Value::as_str) == Some(wanted))
    {
        return Some(wanted.to_string());
    }
    versions
        .iter()
        .filter(served)
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .and_then(name)
}

/// Steps 1–3: reads, plans and (unless `--dry-run`) backs up. Prints the plan.
pub fn prepare(args: &InstallArgs, new: &CrdSet) -> Result<Migrations> {
    let root = Path::new(ROOT);
    if !root.join("nexus.yaml").is_file() || !root.join(MIGRATIONS_DIR).is_dir() {
        return Ok(Migrations::None);
    }
    let all = file::load_dir(root)?;
    if all.is_empty() {
        return Ok(Migrations::None);
    }
    let name = datamodel::workspace_name(root)?;
    let store = KubeStore::connect(&ClusterTarget::from(&args.cluster))?;
    let state = State::load(&store, &name, &args.state.state_namespace)?;
    state.check_checksums(&all)?;
    let steps: Vec<MigrationFile> = state.pending(&all)?.into_iter().cloned().collect();
    if steps.is_empty() {
        return Ok(Migrations::None);
    }
    if args.skip_migrations {
        print(
            args.report.format,
            &format!(
                "--skip-migrations: {} left pending ({}); run `nexus datamodel migrate apply` once the objects can be migrated\n",
                count(steps.len(), "step", "steps"),
                steps
                    .iter()
                    .map(|s| s.version.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        // MIGRATE.md "Order": the server prunes unknown fields on every read, so once the new
        // CRDs are in, the values a step would move or keep are gone before it can read them.
        let crds: std::collections::BTreeSet<&str> = steps.iter().map(|s| s.crd.as_str()).collect();
        eprintln_quiet(&format!(
            "warning: --skip-migrations: once the new CRDs are installed, the API server prunes the fields they no longer define from every stored object of {} as it reads or writes it, so a later `migrate apply` cannot read those values; install without --skip-migrations to migrate them in the right order",
            crds.into_iter().collect::<Vec<_>>().join(", ")
        ));
        return Ok(Migrations::None);
    }
    for step in &steps {
        step.require_complete()?;
    }
    let migrations = CrdMigration::group(&steps, new)?;
    // Objects are read through the live CRDs: a CRD not installed yet stores no object, and a
    // new storage version is not served until the CRD changes, so objects are read at a
    // version the live CRD serves (conversion `None`: the same objects).
    let mut previous_crds = Vec::new();
    let mut read = BTreeMap::new();
    for m in &migrations {
        let id = ObjectId {
            namespace: None,
            name: m.resource.crd.clone(),
        };
        let live = store
            .get(&crd_resource(), &id)
            .map_err(|e| Error::Cluster(format!("cannot read CRD {}: {e}", m.resource.crd)))?;
        let Some(live) = live else {
            read.insert(m.resource.crd.clone(), Vec::new());
            continue;
        };
        let mut resource = m.resource.clone();
        resource.version = served_version(&live.object, &m.resource.version)
            .unwrap_or_else(|| m.resource.version.clone());
        let objects = store.list(&resource).map_err(|e| {
            Error::Cluster(format!(
                "cannot read the objects of {}: {e}",
                m.resource.crd
            ))
        })?;
        read.insert(m.resource.crd.clone(), objects);
        previous_crds.push(live.object);
    }
    // A run killed between the CRD change and the last object write left objects the new
    // schema serves pruned; its backup holds them whole.
    let unpruned = backup::unpruned_from(&root.join(BACKUPS), RESUME_BACKUPS, &mut read)?;
    let runner = Runner {
        root,
        timeout: program::TIMEOUT,
    };
    let plan = plan::plan(&migrations, &read, runner, state.last_applied())?;
    let mut out = format!(
        "migrations: read {} before changing any CRD\n",
        count(plan.objects.len(), "object", "objects")
    );
    if unpruned > 0 {
        let _ = writeln!(
            out,
            "migrations: {} taken from the backup of an unfinished run (the cluster serves them pruned by the new CRD)",
            count(unpruned, "object", "objects")
        );
    }
    out.push_str(&results::render_text(&plan.results));
    if plan.fails() {
        let _ = writeln!(
            out,
            "install stopped before any change: {} would fail; fix the steps or the objects, or install with --skip-migrations",
            count(plan.results.failed, "object", "objects")
        );
        print(args.report.format, &out);
        return Ok(Migrations::Stop(1));
    }
    let backup = match &args.backup {
        Some(dir) => dir.clone(),
        None => {
            let base = root.join(BACKUPS);
            let stamp = UtcTime::now().version_stamp();
            let mut dir = base.join(&stamp);
            let mut n = 1;
            while dir.exists() {
                n += 1;
                dir = base.join(format!("{stamp}-{n}"));
            }
            dir
        }
    };
    if !args.dry_run {
        let saved = backup::write(&backup, &plan.objects)?;
        let _ = writeln!(
            out,
            "backed up {} to {}",
            count(saved, "object", "objects"),
            backup.display()
        );
    }
    print(args.report.format, &out);
    Ok(Migrations::Ready(Box::new(Prepared {
        store,
        state,
        steps,
        plan,
        previous_crds,
        backup,
        own_backup: args.backup.is_none() && !args.dry_run,
        retries: args.retries,
        format: args.report.format,
    })))
}

impl Prepared {
    /// The CRDs whose stored objects the pending steps rewrite.
    pub fn crds(&self) -> std::collections::BTreeSet<String> {
        self.steps.iter().map(|s| s.crd.clone()).collect()
    }

    /// The install changed nothing (refused, or a dry run): the backup of this run is noise.
    pub fn discard(self) {
        if self.own_backup {
            let _ = std::fs::remove_dir_all(&self.backup);
        }
    }

    /// Steps 5–6, after install applied the CRDs: writes the objects and records the steps.
    /// On a failed write, restores the CRDs and the objects already rewritten. Returns the exit
    /// code and, when the steps ran, their results.
    pub fn finish(mut self, new: &CrdSet) -> Result<(i32, Option<results::Results>)> {
        let migrations = CrdMigration::group(&self.steps, new)?;
        let runner = Runner {
            root: Path::new(ROOT),
            timeout: program::TIMEOUT,
        };
        let resources: Vec<&Resource> = migrations.iter().map(|m| &m.resource).collect();
        let redo = apply::redo_up(&migrations, runner);
        let written = apply::write(
            &self.store,
            &resources,
            &self.plan.objects,
            &*redo,
            self.retries,
        );
        if let Some(failure) = &written.failure {
            print(
                self.format,
                &format!("migrations: writing stopped at {failure}\n"),
            );
            let code = self.undo(None, written.to_restore(&self.plan.objects, &resources));
            return Ok((code, None));
        }
        for m in &migrations {
            let retried = written.retried.get(&m.resource.crd).copied().unwrap_or(0);
            if let (Some(last), true) = (m.steps.last(), retried > 0)
                && let Some(step) = self
                    .plan
                    .results
                    .steps
                    .iter_mut()
                    .find(|s| s.version == last.version)
            {
                step.retried += retried;
            }
        }
        let results = &mut self.plan.results;
        results.dry_run = false;
        results.applied_steps = results.planned_steps;
        results.total();
        let at = UtcTime::now().rfc3339();
        for step in &self.steps {
            if let Some(counts) = results.steps.iter().find(|s| s.version == step.version) {
                self.state
                    .applied
                    .insert(step.version, Applied::of(step, counts, &at));
            }
        }
        self.state.save(&self.store).map_err(|err| {
            Error::Cluster(format!(
                "{err}; the CRDs are installed and {} rewritten (backup in {}), but the steps were not recorded: run `nexus datamodel migrate apply` to record them (objects already migrated are skipped)",
                count(written.rewritten.len(), "object", "objects"),
                self.backup.display()
            ))
        })?;
        print(
            self.format,
            &format!(
                "migrations: rewrote {}, recorded {} in ConfigMap {}/{}\n",
                count(written.rewritten.len(), "object", "objects"),
                count(self.steps.len(), "step", "steps"),
                self.state.namespace,
                self.state.name
            ),
        );
        Ok((0, Some(self.plan.results)))
    }

    /// Puts back the previous CRDs, then `rewritten`; prints exactly what was restored (after
    /// `cause`, the line saying why, unless the restore is incomplete: that comes first) and
    /// returns the exit code (2: a write failed).
    pub fn undo(
        &self,
        cause: Option<&str>,
        rewritten: Vec<(&Resource, &Value, Expect<'_>)>,
    ) -> i32 {
        let crds = crd_resource();
        let crd_restore = apply::restore(
            &self.store,
            self.previous_crds.iter().map(|c| (&crds, c, Expect::Any)),
        );
        let objects = apply::restore(&self.store, rewritten);
        let mut err = String::new();
        let failed = !crd_restore.failed.is_empty() || !objects.failed.is_empty();
        if failed {
            // The first line says the restore is incomplete, and how to finish it.
            let mut missing = Vec::new();
            if !objects.failed.is_empty() {
                missing.push(count(objects.failed.len(), "object", "objects"));
            }
            if !crd_restore.failed.is_empty() {
                missing.push(count(crd_restore.failed.len(), "CRD", "CRDs"));
            }
            let _ = writeln!(
                err,
                "restore incomplete: {} not restored; the backup of the objects is in {}; finish the restore with `nexus datamodel migrate restore {}`{}",
                missing.join(" and "),
                self.backup.display(),
                self.backup.display(),
                if crd_restore.failed.is_empty() {
                    ""
                } else {
                    " after installing the previous CRDs again"
                }
            );
        }
        if let Some(cause) = cause {
            let _ = writeln!(err, "{cause}");
        }
        for (what, r) in [("CRDs", &crd_restore), ("objects", &objects)] {
            describe(&mut err, what, r);
        }
        if !failed {
            let _ = writeln!(
                err,
                "no step was recorded; fix the cause and run install again"
            );
        }
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), err.as_bytes());
        // A write the cluster refused is a cluster error (CLI.md: 2) even when all was restored.
        if failed { EXIT_RESTORE_FAILED } else { 2 }
    }
}

fn describe(out: &mut String, what: &str, r: &Restored) {
    if r.restored.is_empty() && r.failed.is_empty() {
        return;
    }
    let _ = writeln!(out, "restored {} {what}:", r.restored.len());
    for name in &r.restored {
        let _ = writeln!(out, "  {name}");
    }
    for f in &r.failed {
        let _ = writeln!(out, "  not restored: {f}");
    }
}

/// `install --dry-run`: how many stored objects the new CRDs would reject, and which. The same
/// checker as `migrate plan` (schema, formats, enums, bounds, list and map rules, CEL), on the
/// objects as they are stored, so a release engineer sees what a forced upgrade would break
/// before anything changes.
pub fn report_rejections(args: &InstallArgs, new: &CrdSet) -> Result<()> {
    const SHOWN: usize = 10;
    let store = KubeStore::connect(&ClusterTarget::from(&args.cluster))?;
    let live = crate::cluster::load_cluster_from(
        None,
        &crate::cluster::ClusterTarget::from(&args.cluster),
    )?;
    let mut out = String::new();
    for (name, crd) in &new.crds {
        let Some(live_crd) = live.crds.get(name) else {
            continue; // a new CRD holds no objects yet
        };
        let Some(resource) = crate::migrate::store::Resource::of_crd(&live_crd.doc) else {
            continue;
        };
        let objects = store
            .list(&resource)
            .map_err(|e| Error::Cluster(format!("cannot read the objects of {name}: {e}")))?;
        if objects.is_empty() {
            continue;
        }
        let checker = crate::migrate::check::CrdChecker::new(&crd.doc);
        let mut rejected = Vec::new();
        for stored in &objects {
            let version = crate::migrate::store::object_version(&stored.object);
            let problem = match checker.version(version) {
                None => Some(format!(
                    ".apiVersion: version {version} is not in the new CRD"
                )),
                Some(v) => v
                    .check(&stored.object, Some(&stored.object))
                    .invalid
                    .into_iter()
                    .next()
                    .map(|p| format!("{}: {}", p.path, p.reason)),
            };
            if let Some(problem) = problem {
                rejected.push(format!("{} {problem}", stored.id()));
            }
        }
        let _ = writeln!(
            out,
            "stored objects of {name}: {} of {} would be rejected by the new CRD",
            rejected.len(),
            objects.len()
        );
        for line in rejected.iter().take(SHOWN) {
            let _ = writeln!(out, "  {line}");
        }
        if rejected.len() > SHOWN {
            let _ = writeln!(out, "  ... and {} more", rejected.len() - SHOWN);
        }
        if !rejected.is_empty() {
            let _ = writeln!(
                out,
                "  to carry them across, write a migration step: nexus datamodel migrate create <slug> --crd {name}; then install with --force=true, which migrates them as part of the upgrade"
            );
        }
    }
    print(args.report.format, &out);
    Ok(())
}
