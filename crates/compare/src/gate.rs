//! The compatibility gate that `diff`, `build` and `install` share: two CRD sets in, the report
//! out, with the config applied (severity overrides, ignores) and the verdict's threshold set.
//! Loads nothing and prints nothing: the commands do that.

use crate::compare;
use crate::config::Config;
use crate::crd::{Crd, CrdSet, Origin};
use crate::error::Result;
use crate::report::{Change, FailOn, Place, Report, SideInfo};
use crate::source::spans::{self, Side, Spans};
use crate::source::{self, KnownDigests, SideRef, SourceSpec, Visited};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// [`check`] for two file, directory, git or stdin sources, neither held whole: each new file is
/// parsed and compared next to the old file at the same place (`source::load_paired`), so peak
/// memory is the files in flight and the findings. The result is the same report.
#[allow(clippy::too_many_arguments)] // each is one plain input of the report
pub fn check_paired(
    old: &SourceSpec,
    old_label: &str,
    new: &SourceSpec,
    new_label: &str,
    config: &Config,
    fail_on: FailOn,
    forced: bool,
) -> Result<Report> {
    let opts = config.compare_options();
    let paired = source::load_paired(old, old_label, new, new_label, |name, before, after| {
        let mut found = compare::crd::compare_crd(
            name,
            before.map(|s| &s.crd.doc),
            after.map(|s| &s.crd.doc),
            &opts,
        );
        place_changes(
            &mut found,
            before.and_then(located),
            after.and_then(located),
        );
        found
    })?;
    let summary = |set: &source::SetSummary| SideInfo {
        label: set.label.clone(),
        crds: set.origins.len(),
        skipped_documents: set.skipped_documents,
    };
    let (old_side, new_side) = (summary(&paired.old), summary(&paired.new));
    let names: Vec<String> = paired
        .new
        .origins
        .keys()
        .chain(paired.old.origins.keys())
        .cloned()
        .collect();
    let mut origins = paired.old.origins;
    origins.extend(paired.new.origins);
    Ok(finish(
        old_side,
        new_side,
        names.into_iter(),
        origins,
        paired.results.into_iter().flatten().collect(),
        config,
        fail_on,
        forced,
    ))
}

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
    // A new file byte-identical to an old one is not parsed: its CRDs are the old file's.
    let mut unchanged = KnownDigests::default();
    let mut old_files = HashMap::new();
    for file in &old.files {
        unchanged.insert(file.len, file.digest);
        old_files.insert(file.digest, file);
    }
    let files = source::visit_files(new, new_label, &unchanged, |file| {
        let mut changes = Vec::new();
        let set = match file {
            Visited::Parsed(set) => set,
            Visited::Unchanged { file, digest } => {
                let record = old_files[&digest];
                let mut crds = Vec::new();
                for name in &record.crds {
                    let crd = &old.crds[name];
                    // Equal bytes parse to equal trees, and the rules are functions of the two
                    // trees: comparing the old tree with itself gives the findings (`crd-invalid`
                    // of the new side included) that parsing the new file would give.
                    let mut found =
                        compare::crd::compare_crd(name, Some(&crd.doc), Some(&crd.doc), &opts);
                    let spans = old.spans.get(name);
                    place_changes(
                        &mut found,
                        spans.map(|s| (&crd.doc, s, crd.origin.file.as_str())),
                        spans.map(|s| (&crd.doc, s, file.as_str())),
                    );
                    changes.extend(found);
                    let origin = Origin {
                        file: file.clone(),
                        line: crd.origin.line,
                    };
                    crds.push((name.clone(), origin));
                }
                return Ok(FileResult {
                    crds,
                    skipped: record.skipped,
                    changes,
                });
            }
        };
        let mut spans = set.spans;
        let crds = set
            .crds
            .into_values()
            .map(|crd| {
                let before = old.crds.get(&crd.name);
                let mut found = compare::crd::compare_crd(
                    &crd.name,
                    before.map(|c| &c.doc),
                    Some(&crd.doc),
                    &opts,
                );
                let new_spans = spans.remove(&crd.name);
                place_changes(
                    &mut found,
                    before.and_then(|c| side_of(c, old.spans.get(&crd.name))),
                    side_of(&crd, new_spans.as_ref()),
                );
                changes.extend(found);
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
            let mut found = compare::crd::compare_crd(name, Some(&crd.doc), None, &opts);
            place_changes(&mut found, side_of(crd, old.spans.get(name)), None);
            changes.extend(found);
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
pub fn check<'a>(
    old: &'a CrdSet,
    new: &'a CrdSet,
    config: &Config,
    fail_on: FailOn,
    forced: bool,
) -> Report {
    let mut changes = compare::compare_sets(old, new, &config.compare_options());
    for change in &mut changes {
        let name = change.crd.clone();
        let side = |set: &'a CrdSet| {
            set.crds
                .get(&name)
                .and_then(|crd| side_of(crd, set.spans.get(&name)))
        };
        let (before, after) = (side(old), side(new));
        place_changes(std::slice::from_mut(change), before, after);
    }
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

/// A loaded side as [`place_changes`] takes it.
fn located(side: SideRef<'_>) -> Option<Located<'_>> {
    side.spans.map(|spans| (&side.crd.doc, spans, side.file))
}

/// One side of a CRD for [`place_changes`]: its tree, the positions of its nodes, its file.
type Located<'a> = (&'a Value, &'a Spans, &'a str);

fn side_of<'a>(crd: &'a Crd, spans: Option<&'a Spans>) -> Option<Located<'a>> {
    spans.map(|spans| (&crd.doc, spans, crd.origin.file.as_str()))
}

/// Records where each change's node is written, from the two sides of the CRD it compared
/// (`None` where the CRD is absent from that side or its positions are unknown); see
/// [`spans::best_place`].
fn place_changes(changes: &mut [Change], old: Option<Located<'_>>, new: Option<Located<'_>>) {
    if old.is_none() && new.is_none() {
        return;
    }
    for change in changes {
        let found = spans::best_place(
            &change.path,
            old.map(|(doc, spans, _)| (doc, spans)),
            new.map(|(doc, spans, _)| (doc, spans)),
        );
        change.place = found.and_then(|(side, at)| {
            let file = match side {
                Side::Old => old?.2,
                Side::New => new?.2,
            };
            Some(Place {
                file: file.to_string(),
                line: at.line,
                column: at.column,
            })
        });
    }
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
    let applied = config.apply(changes);
    let mut report = Report::new(old, new, applied.kept, 0).with_crd_names(names);
    let mut ignored = applied.ignored;
    ignored.sort_by(|a, b| a.change.sort_key().cmp(&b.change.sort_key()));
    report.files = files;
    report.ignored = ignored;
    report.unused_ignores = applied.unused;
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
