//! `nexus datamodel migrate`: `create`, and `plan --objects DIR` (stored objects read from
//! files); the commands that work on a cluster are in `migrate_cluster`.

use crate::cli::{MigrateCreateArgs, MigratePlanArgs, ResultsFormat};
use crate::error::{Error, Result};
use crate::migrate::file::{self, MigrationFile};
use crate::migrate::plan::{self, CrdMigration};
use crate::migrate::step::Runner;
use crate::migrate::utc::UtcTime;
use crate::migrate::{create, objects, program, results};
use crate::report::plural as count;
use crate::{datamodel, source};
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn run_create(args: &MigrateCreateArgs) -> Result<i32> {
    datamodel::check_workspace(&args.datamodel)?;
    let created = create::create(
        &args.datamodel,
        &args.slug,
        args.crd.as_deref(),
        UtcTime::now(),
    )?;
    let from = match &created.baseline {
        Some(baseline) => format!("the last build (baseline: {baseline})"),
        None => "no recorded build".to_string(),
    };
    let _ = writeln!(
        std::io::stdout(),
        "created {} for {}: {} filled from {from}",
        created.shown,
        created.crd,
        match created.filled {
            1 => "1 op".to_string(),
            n => format!("{n} ops"),
        }
    );
    let mut err = std::io::stderr().lock();
    for entry in &created.incomplete {
        let _ = writeln!(err, "not filled: {entry}");
    }
    if !created.incomplete.is_empty() {
        let _ = writeln!(
            err,
            "complete {} and delete its `incomplete` entries: `migrate plan` refuses the step until then",
            created.shown
        );
    }
    Ok(0)
}

pub fn run_plan(args: &MigratePlanArgs, objects_dir: &Path) -> Result<i32> {
    let root = args.datamodel.as_path();
    datamodel::check_workspace(root)?;
    let steps = pending(root, args.to)?;
    let crds_dir = under(root, &args.crds);
    if !crds_dir.is_dir() {
        return Err(Error::input(format!(
            "{} does not exist; run `nexus datamodel build` first, or point --crds at the CRDs that will be installed",
            crds_dir.display()
        )));
    }
    let crds = source::load_path(&crds_dir, &args.crds.display().to_string())?;
    let migrations = CrdMigration::group(&steps, &crds)?;
    let loaded = objects::load(objects_dir)?;
    let read = plan::read(&loaded.store, &migrations)?;
    let affected: usize = read.values().map(Vec::len).sum();
    let runner = Runner {
        root,
        timeout: program::TIMEOUT,
    };
    let plan = plan::plan(&migrations, &read, runner, None)?;

    let mut out = String::new();
    match args.format {
        ResultsFormat::Json => out.push_str(&results::render_json(&plan.results)),
        ResultsFormat::Text => {
            out.push_str(&format!(
                "read {} from {}, {affected} of them of the CRDs the steps rewrite (no cluster state: every step on disk counts as pending)\n",
                count(loaded.objects, "object", "objects"),
                objects_dir.display()
            ));
            out.push_str(&results::render_text(&plan.results));
        }
    }
    let failing = plan.fails();
    let written = match (&args.output, failing) {
        (Some(dir), false) => Some(objects::write_migrated(dir, &plan)?),
        _ => None,
    };
    if args.format == ResultsFormat::Text {
        if failing {
            out.push_str(&format!(
                "nothing would be written: {} would fail; fix the steps or the objects and plan again\n",
                count(plan.results.failed, "object", "objects")
            ));
        } else if let (Some(dir), Some(n)) = (&args.output, written) {
            out.push_str(&format!(
                "wrote {} to {}\n",
                count(n, "migrated object", "migrated objects"),
                dir.display()
            ));
        }
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    Ok(if failing { 1 } else { 0 })
}

/// The steps on disk up to `to`, each complete.
fn pending(root: &Path, to: Option<u64>) -> Result<Vec<MigrationFile>> {
    let all = file::load_dir(root)?;
    if let Some(to) = to
        && !all.iter().any(|s| s.version == to)
    {
        let versions: Vec<String> = all.iter().map(|s| s.version.to_string()).collect();
        return Err(Error::input(format!(
            "--to {to}: no step has that version (the steps are {})",
            if versions.is_empty() {
                "none".to_string()
            } else {
                versions.join(", ")
            }
        )));
    }
    let steps: Vec<MigrationFile> = all
        .into_iter()
        .filter(|s| to.is_none_or(|t| s.version <= t))
        .collect();
    for step in &steps {
        step.require_complete()?;
    }
    Ok(steps)
}

fn under(root: &Path, dir: &Path) -> PathBuf {
    if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        root.join(dir)
    }
}
