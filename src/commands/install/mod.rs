//! `nexus datamodel install`: apply the built CRDs to a cluster without breaking what it stores.
//!
//! The order is the safety argument, step by step:
//! 1. read the built CRDs, then list the live CRDs (nothing written);
//! 2. check the upgrade with the engine against the live CRDs of the same names; breaking changes
//!    refuse (exit 1) unless `--force`;
//! 3. whatever the flags, refuse a CRD that drops a version still in the live CRD's
//!    `status.storedVersions` (the API server would refuse it too, with a less helpful message);
//! 4. find the CRDs of the datamodel's groups that are no longer in it; with `--prune`, refuse
//!    while objects of them exist;
//! 5. send every CRD as a server-side dry run (`dryRun=All`): a CRD the server rejects stops the
//!    install before the first write, and the answers tell created / updated / unchanged apart;
//! 6. `--dry-run` stops here and prints the plan;
//! 7. server-side apply (field manager `nexus`) of the created and updated CRDs only, so a second
//!    run writes nothing; wait for each to become Established;
//! 8. prune, with uid and resourceVersion preconditions.
//!
//! With pending migration steps, [`migrations`] reads and migrates the stored
//! objects before step 1 and writes them after step 7.

mod migrations;

use crate::cli::{Format, InstallArgs};
use crate::cluster::api;
use crate::cluster::plan::{self, Action, GroupScope};
use crate::cluster::{self, ClusterTarget, Connection};
use crate::config::Config;
use crate::crd::CrdSet;
use crate::error::{Error, Result};
use crate::gate::check;
use crate::print::print_report;
use crate::report::plural as count;
use crate::report::text::Mode;
use crate::source;
use migrations::Migrations;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

/// Runs the command; exit code 0 (installed or planned) or 1 (refused: breaking changes).
pub fn run(args: &InstallArgs) -> Result<i32> {
    let config = Config::discover(args.report.config.as_deref())?;
    let new = source::load_path(&args.crds, &args.crds.display().to_string())?;
    if new.is_empty() {
        return Err(Error::input(format!(
            "{} holds no CRD, so there is nothing to install; build the datamodel first (`nexus datamodel build`) or point --crds at the CRDs",
            args.crds.display()
        )));
    }
    let scope = datamodel_scope(Path::new("nexus.yaml"), &new)?;
    let target = ClusterTarget::from(&args.cluster);
    // Pending migrations read the stored objects before any CRD changes (MIGRATE.md).
    let prepared = match migrations::prepare(args, &new)? {
        Migrations::Stop(code) => return Ok(code),
        Migrations::Ready(prepared) => Some(prepared),
        Migrations::None => {
            // Without pending steps the objects stay as stored: a dry run says which of them
            // the new CRDs would reject (with steps, their plan above already says it).
            if args.dry_run {
                migrations::report_rejections(args, &new)?;
            }
            None
        }
    };
    // What the install has done, recorded as it goes: a failure before the first write undoes nothing.
    let effects = Effects::default();
    let pending = prepared.as_ref().map(|p| p.crds()).unwrap_or_default();
    let installed = cluster::runtime()?.block_on(install(
        args, &config, &target, &new, &scope, &pending, &effects,
    ));
    let result = match (prepared, installed) {
        (None, result) => result.map(|(code, _)| code),
        // Refused or a dry run: no CRD changed, so no object may change either.
        (Some(prepared), Ok((code, false))) => {
            prepared.discard();
            Ok(code)
        }
        (Some(prepared), Ok((code, true))) => prepared.finish(&new).map(|(failed, results)| {
            effects.json.borrow_mut().migrations = results;
            if failed == 0 { code } else { failed }
        }),
        // Refused before any write (stored versions, the dry run): the cluster is as it was.
        (Some(prepared), Err(err)) if !effects.wrote.get() => {
            prepared.discard();
            Err(err)
        }
        (Some(prepared), Err(err)) => Ok(prepared
            .undo(Some(&format!("error: {err}")), Vec::new())
            .max(2)),
    };
    if args.report.format == Format::Json {
        effects.json.into_inner().print()?;
    }
    result
}

/// What the install did so far, as the caller needs it afterwards.
#[derive(Default)]
struct Effects {
    /// Set just before the first write, so a failure before it undoes nothing.
    wrote: std::cell::Cell<bool>,
    /// What `--format json` prints at the end.
    json: std::cell::RefCell<JsonResults>,
}

/// `--format json`: the compatibility report and what the install did, printed together at the
/// end as one document: the report's keys, then `install` (null when nothing was installed or
/// planned: refused, or an error).
#[derive(Default)]
struct JsonResults {
    report: Option<Value>,
    install: Option<Value>,
    /// The results of the pending migration steps that ran.
    migrations: Option<crate::migrate::results::Results>,
}

impl JsonResults {
    fn print(self) -> Result<()> {
        let Some(Value::Object(mut document)) = self.report else {
            return Ok(());
        };
        let mut install = self.install.unwrap_or(Value::Null);
        if let Some(map) = install.as_object_mut() {
            let migrations = self
                .migrations
                .and_then(|r| serde_json::to_value(r).ok())
                .unwrap_or(Value::Null);
            map.insert("migrations".to_string(), migrations);
        }
        document.insert("install".to_string(), install);
        crate::print::write_stdout(&format!("{:#}\n", Value::Object(document)))
    }
}

/// The `install` object of `--format json`: the CRDs by what happened to them.
fn outcome_json(outcome: &Outcome, dry_run: bool, cluster: &str) -> Value {
    serde_json::json!({
        "cluster": cluster,
        "dryRun": dry_run,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "pruned": outcome.pruned,
        "kept": outcome.kept,
        "takenOver": outcome.taken_over,
    })
}

/// Where install's own lines go: stdout with the text report, stderr when stdout carries a
/// machine-readable report. A closed pipe is ignored (`println!` would panic on it): the install
/// goes on, and its exit code still tells how it went.
fn say(args: &InstallArgs, text: &str) {
    let _ = if args.report.format == Format::Text {
        writeln!(std::io::stdout(), "{text}")
    } else {
        writeln!(std::io::stderr(), "{text}")
    };
}

/// Why the install stops and what to do next. A breaking change to a CRD that stores objects
/// needs a migration step for them; `--force` alone installs the CRD and leaves the objects as
/// they are. Where a pending step already covers a CRD, `--force` is the one thing missing:
/// install refuses breaking changes whether or not a step exists, and runs the step itself.
fn refusal(report: &crate::report::Report, cluster: &str, pending: &BTreeSet<String>) -> String {
    let s = report.summary();
    let mut out = format!(
        "install refused: {} breaking, {} in {}; nothing was changed in {cluster}",
        s.breaking,
        count(s.warning, "warning", "warnings"),
        count(s.crds, "CRD", "CRDs"),
    );
    if s.breaking == 0 {
        // Only `--fail-on warning` made warnings refuse: nothing needs migrating.
        out.push_str("\n--fail-on warning makes warnings refuse the install; review them, or use --fail-on breaking to install anyway");
        return out;
    }
    let (covered, uncovered): (Vec<&str>, Vec<&str>) = report
        .by_crd()
        .into_iter()
        .filter(|(_, changes)| changes.iter().any(|c| report.fail_on.fails(c.severity)))
        .map(|(crd, _)| crd)
        .partition(|crd| pending.contains(*crd));
    if !covered.is_empty() {
        out.push_str(&format!(
            "\nthe pending migration steps for {} carry their stored objects across: install with --force=true to apply the new CRDs and run the steps",
            covered.join(", ")
        ));
    }
    for crd in &uncovered {
        out.push_str(&format!(
            "\nto carry the stored objects of {crd} across, write a migration step first: nexus datamodel migrate create <slug> --crd {crd}, then install with --force=true (install runs pending steps as part of the upgrade)"
        ));
    }
    if !uncovered.is_empty() {
        out.push_str(
            "\nor use --force=true to install anyway and leave the stored objects as they are (install --dry-run lists the ones the new CRDs would reject)",
        );
    }
    out
}

async fn install(
    args: &InstallArgs,
    config: &Config,
    target: &ClusterTarget,
    new: &CrdSet,
    scope: &GroupScope,
    pending: &BTreeSet<String>,
    effects: &Effects,
) -> Result<(i32, bool)> {
    let conn = cluster::connect(target).await?;
    let live_all = api::list_crds(&conn).await?;
    let live: BTreeMap<String, &Value> = live_all
        .iter()
        .filter_map(|c| {
            let name = c.pointer("/metadata/name").and_then(Value::as_str)?;
            Some((name.to_string(), c))
        })
        .collect();

    // 2. The engine's verdict on the CRDs that already exist.
    let old = cluster::set_of(
        &format!("cluster (context {})", conn.context),
        new.crds
            .keys()
            .filter_map(|name| live.get(name).map(|doc| (*doc).clone()))
            .collect(),
    );
    let mut report = check(
        &old,
        new,
        config,
        args.report.fail_on.threshold(),
        args.force,
    );
    // The cluster's other CRDs are not the datamodel's: compared by name, and the report says so.
    report.scope = Some(crate::report::Scope {
        side: "old",
        source: old.label.clone(),
        to: format!("the CRD names of {}", new.label),
        compared: old.crds.len(),
        skipped: live.len().saturating_sub(old.crds.len()),
    });
    if args.report.format == Format::Json {
        let rendered = crate::report::json::render(&report);
        effects.json.borrow_mut().report = serde_json::from_str(&rendered).ok();
    } else {
        print_report(
            &report,
            &args.report,
            Mode::Install {
                cluster: format!("context {}", conn.context),
            },
        )?;
    }

    // 3. Stored versions are never dropped.
    for (name, crd) in &new.crds {
        if let Some(live_crd) = live.get(name) {
            let dropped = plan::dropped_stored_versions(live_crd, &crd.doc);
            if !dropped.is_empty() {
                return Err(Error::Cluster(plan::stored_version_message(
                    name, &dropped, &crd.doc,
                )));
            }
        }
    }
    if report.failing() && !args.force {
        say(args, &refusal(&report, &conn.describe(), pending));
        return Ok((1, false));
    }

    // 4. CRDs of the datamodel that it no longer has.
    let orphans = plan::orphans(&live_all, new, scope);
    if args.prune {
        check_prunable(&conn, &orphans).await?;
    }

    // 5. Every CRD as a server-side dry run, before anything is written.
    let mut planned: Vec<Planned<'_>> = Vec::new();
    for (name, crd) in &new.crds {
        let live_crd = live.get(name).copied();
        let body = plan::apply_body(&crd.doc, live_crd);
        let answer = api::apply_crd(&conn, &body, true).await.map_err(|e| {
            Error::Cluster(format!(
                "{e}; nothing was changed (the server-side dry run stops the install before the first write)"
            ))
        })?;
        let action = plan::classify(live_crd, &answer);
        // Installers that co-own the spec would keep whatever nexus drops: take their fields
        // over first (only when the CRD changes at all).
        let adoption = match (action, live_crd) {
            (Action::Update, Some(l)) => plan::adoption_patch(l, api::FIELD_MANAGER),
            _ => None,
        };
        planned.push(Planned {
            name,
            body,
            action,
            adoption,
        });
    }

    let mut outcome = Outcome::default();
    for p in &planned {
        outcome.record(p);
    }
    let orphan_names: Vec<String> = orphans
        .iter()
        .filter_map(|c| c.pointer("/metadata/name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    if args.prune {
        outcome.pruned = orphan_names.clone();
    } else {
        outcome.kept = orphan_names;
    }

    // 6. The plan only.
    if args.dry_run {
        say(args, &render_outcome(&outcome, true, &conn.describe()));
        effects.json.borrow_mut().install = Some(outcome_json(&outcome, true, &conn.describe()));
        return Ok((report.exit_code(), false));
    }

    // 7. Write what changes, then wait for it to be served.
    let mut done = Outcome::default();
    for p in &mut planned {
        if p.action != Action::Unchanged {
            effects.wrote.set(true);
            if let Some((patch, _)) = &p.adoption {
                let answer = api::merge_patch_crd(&conn, p.name, patch)
                    .await
                    .map_err(|e| after_partial(e, &done))?;
                // The hand-over is a write: the apply's precondition moves with it.
                if let (Some(rv), Some(meta)) = (
                    answer.pointer("/metadata/resourceVersion").cloned(),
                    p.body.get_mut("metadata").and_then(Value::as_object_mut),
                ) {
                    meta.insert("resourceVersion".to_string(), rv);
                }
            }
            api::apply_crd(&conn, &p.body, false)
                .await
                .map_err(|e| after_partial(e, &done))?;
        }
        done.record(p);
    }
    for name in done.created.iter().chain(&done.updated) {
        api::wait_established(&conn, name)
            .await
            .map_err(|e| after_partial(e, &done))?;
    }

    // 8. Prune, provided nothing changed since the check.
    if args.prune {
        check_prunable(&conn, &orphans)
            .await
            .map_err(|e| after_partial(e, &done))?;
        for crd in &orphans {
            effects.wrote.set(true);
            let field = |p: &str| crd.pointer(p).and_then(Value::as_str).unwrap_or_default();
            let name = field("/metadata/name");
            api::delete_crd(
                &conn,
                name,
                field("/metadata/uid"),
                field("/metadata/resourceVersion"),
            )
            .await
            .map_err(|e| after_partial(e, &done))?;
            done.pruned.push(name.to_string());
        }
    } else {
        done.kept = outcome.kept.clone();
    }
    say(args, &render_outcome(&done, false, &conn.describe()));
    effects.json.borrow_mut().install = Some(outcome_json(&done, false, &conn.describe()));
    Ok((report.exit_code(), true))
}

/// `--prune` never deletes a CRD while objects of it exist (deleting a CRD deletes them all).
async fn check_prunable(conn: &Connection, orphans: &[&Value]) -> Result<()> {
    let mut blocked = Vec::new();
    for crd in orphans {
        let name = crd
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match api::sample_objects(conn, crd, 4).await? {
            Some(objects) if objects.is_empty() => {}
            Some(objects) => {
                let mut shown: Vec<&str> = objects.iter().take(3).map(String::as_str).collect();
                if objects.len() > 3 {
                    shown.push("...");
                }
                blocked.push(format!("{name} (objects: {})", shown.join(", ")));
            }
            None => blocked.push(format!(
                "{name} (it serves no version, so nexus cannot tell whether objects of it exist)"
            )),
        }
    }
    if blocked.is_empty() {
        return Ok(());
    }
    Err(Error::Cluster(format!(
        "cannot prune {}: deleting a CRD deletes every object of it; delete or move the objects first, or run install without --prune; nothing was changed by the prune",
        blocked.join(" and ")
    )))
}

/// An error after some CRDs were already written: say which.
fn after_partial(err: Error, done: &Outcome) -> Error {
    let mut parts = Vec::new();
    for (verb, names) in [
        ("created", &done.created),
        ("updated", &done.updated),
        ("pruned", &done.pruned),
    ] {
        if !names.is_empty() {
            parts.push(format!("{verb} {}", names.join(", ")));
        }
    }
    if parts.is_empty() {
        err
    } else {
        Error::Cluster(format!(
            "{err} (already done before this failure: {})",
            parts.join("; ")
        ))
    }
}

/// One CRD of the plan.
struct Planned<'a> {
    name: &'a str,
    /// The apply configuration.
    body: Value,
    action: Action,
    /// The ownership hand-over to send first, and from whom.
    adoption: Option<(Value, Vec<String>)>,
}

/// What an install did (or would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub pruned: Vec<String>,
    /// CRDs of the datamodel's groups that it no longer has, left in place (no `--prune`).
    pub kept: Vec<String>,
    /// Updated CRDs whose spec nexus took over, and from which field managers.
    pub taken_over: BTreeMap<String, Vec<String>>,
}

impl Outcome {
    fn record(&mut self, p: &Planned<'_>) {
        let name = p.name.to_string();
        match p.action {
            Action::Create => self.created.push(name),
            Action::Update => {
                if let Some((_, from)) = &p.adoption {
                    self.taken_over.insert(name.clone(), from.clone());
                }
                self.updated.push(name);
            }
            Action::Unchanged => self.unchanged.push(name),
        }
    }
}

/// The summary install prints: one line per CRD, then a total.
pub fn render_outcome(outcome: &Outcome, dry_run: bool, cluster: &str) -> String {
    let (create, update, prune) = if dry_run {
        ("would create", "would update", "would prune")
    } else {
        ("created", "updated", "pruned")
    };
    let taken_over = |name: &String| match outcome.taken_over.get(name) {
        Some(from) => format!(" (taking over its spec from {})", from.join(", ")),
        None => String::new(),
    };
    let kept_note = " (no longer in the datamodel; --prune deletes it)";
    let rows: Vec<(&str, &String, String)> = outcome
        .created
        .iter()
        .map(|n| (create, n, String::new()))
        .chain(outcome.updated.iter().map(|n| (update, n, taken_over(n))))
        .chain(
            outcome
                .unchanged
                .iter()
                .map(|n| ("unchanged", n, String::new())),
        )
        .chain(outcome.pruned.iter().map(|n| (prune, n, String::new())))
        .chain(
            outcome
                .kept
                .iter()
                .map(|n| ("kept", n, kept_note.to_string())),
        )
        .collect();
    let width = rows
        .iter()
        .map(|(label, _, _)| label.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (label, name, note) in rows {
        out.push_str(&format!("{label:<width$}  {name}{note}\n"));
    }
    let counts = if dry_run {
        format!(
            "{} to create, {} to update, {} unchanged, {} to prune",
            outcome.created.len(),
            outcome.updated.len(),
            outcome.unchanged.len(),
            outcome.pruned.len()
        )
    } else {
        format!(
            "{} created, {} updated, {} unchanged, {} pruned",
            outcome.created.len(),
            outcome.updated.len(),
            outcome.unchanged.len(),
            outcome.pruned.len()
        )
    };
    if dry_run {
        out.push_str(&format!(
            "dry run, nothing was changed in {cluster}: {counts}"
        ));
    } else {
        out.push_str(&format!("installed into {cluster}: {counts}"));
    }
    out
}

/// The datamodel's groups: `groupName` of `nexus.yaml` (and its package groups) when there is
/// one in the current directory, the datamodel root; else the groups of the built CRDs.
fn datamodel_scope(nexus_yaml: &Path, new: &CrdSet) -> Result<GroupScope> {
    let Some(bytes) = crate::input::read_regular_if_exists(nexus_yaml)? else {
        return Ok(GroupScope::of_set(new));
    };
    let text = String::from_utf8_lossy(&bytes);
    let doc: Value = serde_saphyr::from_str(&text).map_err(|e| Error::Parse {
        location: nexus_yaml.display().to_string(),
        message: e.to_string(),
    })?;
    match doc
        .get("groupName")
        .and_then(Value::as_str)
        .filter(|g| !g.is_empty())
    {
        Some(group) => Ok(GroupScope::Datamodel(group.to_string())),
        None => Ok(GroupScope::of_set(new)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_lists_every_crd_and_totals() {
        let outcome = Outcome {
            created: vec!["a.g.io".into()],
            updated: vec!["b.g.io".into()],
            unchanged: vec!["c.g.io".into()],
            pruned: vec![],
            kept: vec!["d.g.io".into()],
            taken_over: BTreeMap::from([("b.g.io".to_string(), vec!["kubectl".to_string()])]),
        };
        insta::assert_snapshot!(render_outcome(&outcome, false, "the cluster at http://127.0.0.1:1 (context \"dev\")"), @r#"
        created    a.g.io
        updated    b.g.io (taking over its spec from kubectl)
        unchanged  c.g.io
        kept       d.g.io (no longer in the datamodel; --prune deletes it)
        installed into the cluster at http://127.0.0.1:1 (context "dev"): 1 created, 1 updated, 1 unchanged, 0 pruned
        "#);
        let plan = Outcome {
            pruned: vec!["d.g.io".into()],
            kept: vec![],
            ..outcome
        };
        insta::assert_snapshot!(render_outcome(&plan, true, "the cluster at http://127.0.0.1:1 (context \"dev\")"), @r#"
        would create  a.g.io
        would update  b.g.io (taking over its spec from kubectl)
        unchanged     c.g.io
        would prune   d.g.io
        dry run, nothing was changed in the cluster at http://127.0.0.1:1 (context "dev"): 1 to create, 1 to update, 1 unchanged, 1 to prune
        "#);
    }

    #[test]
    fn nexus_yaml_sets_the_datamodel_group() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nexus.yaml");
        let empty = CrdSet::new("x");
        assert_eq!(
            datamodel_scope(&path, &empty).unwrap(),
            GroupScope::Groups(std::collections::BTreeSet::new())
        );
        std::fs::write(&path, "groupName: orgchart.org\ndatamodelName: org\n").unwrap();
        assert_eq!(
            datamodel_scope(&path, &empty).unwrap(),
            GroupScope::Datamodel("orgchart.org".into())
        );
    }
}
