//! The compatibility gate that `diff`, `build` and `install` share: two CRD sets in, the report
//! out, with the config applied (severity overrides, ignores) and the verdict's threshold set.
//! Loads nothing and prints nothing: the commands do that.

use crate::compare;
use crate::config::Config;
use crate::crd::{CrdSet, Origin};
use crate::error::Result;
use crate::report::{Change, FailOn, Report, SideInfo};
use crate::source::{self, SourceSpec};
use std::collections::BTreeMap;

/// [`check`] with the new side compared file by file as it is parsed: the old set is held whole,
/// each new file only while its CRDs are compared. Peak memory is the old set plus the files in
/// flight, not both sets, and parsing and comparing overlap. The result is the same report.
pub fn check_file_by_file(
    old: &CrdSet,
    new: &SourceSpec,
    new_label: &str,
    config: &Config,
    fail_on: FailOn,
    forced: bool,
) -> Result<Report> {
    struct FileResult {
        crds: Vec<(String, Origin)>,
        skipped: usize,
        changes: Vec<Change>,
    }
    let opts = config.compare_options();
    let files = source::visit_files(new, new_label, |set| {
        let mut changes = Vec::new();
        let crds = set
            .crds
            .into_values()
            .map(|crd| {
                let before = old.crds.get(&crd.name).map(|c| &c.doc);
                changes.extend(compare::crd::compare_crd(
                    &crd.name,
                    before,
                    Some(&crd.doc),
                    &opts,
                ));
                (crd.name, crd.origin)
            })
            .collect();
        Ok(FileResult {
            crds,
            skipped: set.skipped_documents,
            changes,
        })
    })?;

    let mut origins: BTreeMap<String, Origin> = BTreeMap::new();
    let mut changes = Vec::new();
    let mut skipped_documents = 0;
    for file in files {
        skipped_documents += file.skipped;
        changes.extend(file.changes);
        for (name, origin) in file.crds {
            if let Some(first) = origins.get(&name) {
                return Err(source::duplicate_error(&name, first, &origin));
            }
            origins.insert(name, origin);
        }
    }
    let new_side = SideInfo {
        label: new_label.to_string(),
        crds: origins.len(),
        skipped_documents,
    };
    for (name, crd) in &old.crds {
        if !origins.contains_key(name) {
            changes.extend(compare::crd::compare_crd(name, Some(&crd.doc), None, &opts));
        }
    }
    let names: Vec<String> = origins.keys().cloned().collect();
    let mut all_origins = origin_map(old);
    all_origins.extend(origins);
    Ok(finish(
        side(old),
        new_side,
        names.into_iter().chain(old.crds.keys().cloned()),
        all_origins,
        changes,
        config,
        fail_on,
        forced,
    ))
}

/// Compares two loaded sets and builds the report: the one checker that `diff`, `build` and
/// `install` share.
pub fn check(old: &CrdSet, new: &CrdSet, config: &Config, fail_on: FailOn, forced: bool) -> Report {
    let changes = compare::compare_sets(old, new, &config.compare_options());
    let names = old.crds.keys().chain(new.crds.keys()).cloned();
    let mut origins = origin_map(old);
    origins.extend(origin_map(new));
    finish(
        side(old),
        side(new),
        names,
        origins,
        changes,
        config,
        fail_on,
        forced,
    )
}

/// Where each CRD of a set is defined.
fn origin_map(set: &CrdSet) -> BTreeMap<String, Origin> {
    set.crds
        .iter()
        .map(|(name, crd)| (name.clone(), crd.origin.clone()))
        .collect()
}

/// Applies the config and the flags to the findings and builds the report.
#[allow(clippy::too_many_arguments)] // each is one plain input of the report
fn finish(
    old: SideInfo,
    new: SideInfo,
    names: impl Iterator<Item = String>,
    files: BTreeMap<String, Origin>,
    changes: Vec<Change>,
    config: &Config,
    fail_on: FailOn,
    forced: bool,
) -> Report {
    let (changes, ignored) = config.apply(changes);
    let mut report = Report::new(old, new, changes, 0).with_crd_names(names);
    report.files = files;
    report.ignored = ignored;
    report.fail_on = fail_on;
    report.forced = forced;
    report
}

fn side(set: &CrdSet) -> SideInfo {
    SideInfo {
        label: set.label.clone(),
        crds: set.crds.len(),
        skipped_documents: set.skipped_documents,
    }
}
