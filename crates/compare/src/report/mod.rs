//! Findings and the report that carries them. Rules produce [`Change`]s; renderers (one module per
//! format) turn a [`Report`] into text. Rules never format output and renderers never decide
//! severity.

pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod text;

use crate::rules::{Family, RuleId};
use rayon::slice::ParallelSliceMut;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub use crate::rules::Severity;

/// One finding: one rule fired at one place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub rule: RuleId,
    pub severity: Severity,
    /// `metadata.name` of the CRD.
    pub crd: String,
    /// The CRD version the change is about; `None` for changes to the CRD as a whole.
    pub version: Option<String>,
    /// Where in the CRD, list entries named by key: `/spec/versions/name=v1/schema/...`.
    pub path: String,
    /// Dotted field path of the object (`.spec.ports[*].name`), `None` where there is none.
    pub field: Option<String>,
    pub message: String,
    /// The old value (JSON `null` where there was none).
    pub old: Value,
    /// The new value (JSON `null` where there is none).
    pub new: Value,
    /// Where the changed node is written: in the new file, or in the old one for what was
    /// removed. `None` where the loader did not record positions; renderers then fall back to
    /// the CRD's own line ([`Report::files`]).
    #[serde(skip)]
    pub place: Option<Place>,
}

/// A file and a 1-based line and column in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

impl Change {
    /// A change with the rule's default severity.
    pub fn new(rule: RuleId, crd: &str, version: Option<&str>, path: String) -> Change {
        Change {
            rule,
            severity: rule.default_severity(),
            crd: crd.to_string(),
            version: version.map(str::to_string),
            path,
            field: None,
            message: String::new(),
            old: Value::Null,
            new: Value::Null,
            place: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Change {
        self.field = Some(field.into());
        self
    }

    pub fn message(mut self, message: impl Into<String>) -> Change {
        self.message = message.into();
        self
    }

    pub fn values(mut self, old: Value, new: Value) -> Change {
        self.old = old;
        self.new = new;
        self
    }

    /// The message, or the rule's one-line description when the change carries none.
    pub fn message_or_summary(&self) -> &str {
        if self.message.is_empty() {
            self.rule.info().summary
        } else {
            &self.message
        }
    }

    /// Where the change is, for one-line formats: the dotted field path when there is one, else
    /// the path; `None` for a change to the CRD as a whole with no path (an added CRD).
    pub fn location(&self) -> Option<&str> {
        self.field
            .as_deref()
            .or(Some(self.path.as_str()))
            .filter(|l| !l.is_empty())
    }

    /// The report section this change is shown under in the text report.
    pub fn section(&self) -> Section {
        match self.rule.info().family {
            Family::Nexus => Section::Nexus,
            Family::Crd => Section::Crd,
            Family::Property => match self.field.as_deref() {
                Some(f)
                    if f == ".status" || f.starts_with(".status.") || f.starts_with(".status[") =>
                {
                    Section::Status
                }
                Some(f) if f == ".spec" || f.starts_with(".spec.") || f.starts_with(".spec[") => {
                    Section::Spec
                }
                _ => Section::Crd,
            },
        }
    }

    /// The stable order of CLI.md: CRD name, version, path, rule.
    pub fn sort_key(&self) -> (&str, Option<&str>, &str, RuleId) {
        (&self.crd, self.version.as_deref(), &self.path, self.rule)
    }
}

/// Text report sections, in the order they are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    Crd,
    Spec,
    Status,
    Nexus,
}

impl Section {
    pub const fn title(self) -> &'static str {
        match self {
            Section::Crd => "crd changes",
            Section::Spec => "spec changes",
            Section::Status => "status changes",
            Section::Nexus => "nexus annotation changes",
        }
    }
}

/// The lowest severity that fails the run (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Breaking,
    Warning,
    Never,
}

impl FailOn {
    /// Whether a change of this severity fails the run.
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Breaking => severity >= Severity::Breaking,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Never => false,
        }
    }
}

/// A change that an `ignore` entry of the config dropped, with that entry's reason.
#[derive(Debug, Clone, PartialEq)]
pub struct IgnoredChange {
    pub change: Change,
    pub reason: String,
}

/// An `ignore` entry of the config that matched no change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusedIgnore {
    /// Where the entry is written: `file:line:column`.
    pub location: String,
    pub rule: RuleId,
    pub crd: Option<String>,
    pub path: Option<String>,
}

impl UnusedIgnore {
    /// The warning for it, one line that names the entry's place in the config and what to do.
    pub fn warning(&self) -> String {
        let mut filters = Vec::new();
        if let Some(crd) = &self.crd {
            filters.push(format!("crd {crd}"));
        }
        if let Some(path) = &self.path {
            filters.push(format!("path {path}"));
        }
        format!(
            "warning: {}: ignore entry for {} ({}) matched no change; remove it, or copy crd and \
             path from the report (--format json lists them)",
            self.location,
            self.rule,
            filters.join(", ")
        )
    }
}

/// How a whole-cluster side (`cluster:`) was narrowed to the CRDs the other side is about, so
/// that the cluster's unrelated CRDs are not reported as removed or added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// Which side was the cluster: `old` or `new`.
    pub side: &'static str,
    /// The source as the user named it (`cluster:`), or the cluster it is.
    pub source: String,
    /// What it was narrowed to: `the CRD names of build/crds`.
    pub to: String,
    /// CRDs of the cluster compared.
    pub compared: usize,
    /// CRDs of the cluster left out.
    pub skipped: usize,
}

/// What one side of the comparison was.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SideInfo {
    /// How the user named it (`build/crds`, `git:main:config/crd`, `-`), or the baseline label.
    pub label: String,
    /// CRDs in the set.
    pub crds: usize,
    /// Documents that were read but are not CRDs.
    pub skipped_documents: usize,
}

/// Everything a renderer needs.
#[derive(Debug, Clone)]
pub struct Report {
    pub old: SideInfo,
    pub new: SideInfo,
    /// Sorted by [`Change::sort_key`].
    pub changes: Vec<Change>,
    /// Changes dropped by an `ignore` entry of the config, in [`Change::sort_key`] order.
    pub ignored: Vec<IgnoredChange>,
    /// `ignore` entries of the config that matched no change (stale entries hide nothing).
    pub unused_ignores: Vec<UnusedIgnore>,
    /// Set when a whole-cluster side was narrowed to the CRDs of the other side.
    pub scope: Option<Scope>,
    pub fail_on: FailOn,
    pub forced: bool,
    /// Number of distinct CRD names across both sets.
    pub crds: usize,
    /// The distinct CRD names across both sets, sorted; empty when the caller did not supply them
    /// (see [`Report::with_crd_names`]). The JUnit report needs them to list unchanged CRDs.
    pub crd_names: Vec<String>,
    /// Where each CRD is defined (the new side's file, else the old side's), for annotations that
    /// point at a file; empty when the caller did not supply them.
    pub files: BTreeMap<String, crate::crd::Origin>,
}

/// `1 thing` / `2 things`.
pub fn plural(n: usize, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("{n} {singular}")
    } else {
        format!("{n} {plural}")
    }
}

/// Counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub breaking: usize,
    pub warning: usize,
    pub compatible: usize,
    pub crds: usize,
}

impl Summary {
    /// `1 breaking, 0 warnings, 2 compatible in 3 CRDs`: the counts as every format words them.
    pub fn counts(&self) -> String {
        format!(
            "{} breaking, {}, {} compatible in {}",
            self.breaking,
            plural(self.warning, "warning", "warnings"),
            self.compatible,
            plural(self.crds, "CRD", "CRDs")
        )
    }
}

impl Report {
    /// Builds a report; sorts the changes into the stable order.
    pub fn new(old: SideInfo, new: SideInfo, mut changes: Vec<Change>, crds: usize) -> Report {
        // A large upgrade has tens of thousands of changes: sorted on both cores (stable, as
        // `sort_by`).
        changes.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        Report {
            old,
            new,
            changes,
            ignored: Vec::new(),
            unused_ignores: Vec::new(),
            scope: None,
            fail_on: FailOn::Breaking,
            forced: false,
            crds,
            crd_names: Vec::new(),
            files: BTreeMap::new(),
        }
    }

    /// Records the names of every CRD in either set (sorted, duplicates dropped) and sets
    /// [`Report::crds`] to their number.
    pub fn with_crd_names<I, S>(mut self, names: I) -> Report
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let names: std::collections::BTreeSet<String> = names.into_iter().map(Into::into).collect();
        self.crd_names = names.into_iter().collect();
        self.crds = self.crd_names.len();
        self
    }

    /// The changes grouped per CRD, CRDs by name and changes in [`Change::sort_key`] order
    /// within each group (the order does not depend on how `changes` was filled).
    pub fn by_crd(&self) -> Vec<(&str, Vec<&Change>)> {
        let mut sorted: Vec<&Change> = self.changes.iter().collect();
        sorted.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let mut groups: Vec<(&str, Vec<&Change>)> = Vec::new();
        for change in sorted {
            match groups.last_mut() {
                Some((crd, list)) if *crd == change.crd => list.push(change),
                _ => groups.push((&change.crd, vec![change])),
            }
        }
        groups
    }

    /// The file and line a change points at: where its node is written when the loader knows
    /// it, else the first line of its CRD's document (the new side's, else the old side's).
    pub fn place_of<'a>(&'a self, change: &'a Change) -> Option<(&'a str, Option<usize>)> {
        match &change.place {
            Some(place) => Some((place.file.as_str(), Some(place.line))),
            None => self
                .files
                .get(&change.crd)
                .map(|origin| (origin.file.as_str(), origin.line)),
        }
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            crds: self.crds,
            ..Summary::default()
        };
        for c in &self.changes {
            match c.severity {
                Severity::Breaking => s.breaking += 1,
                Severity::Warning => s.warning += 1,
                Severity::Compatible => s.compatible += 1,
            }
        }
        s
    }

    /// Whether any change is at or above `--fail-on` (the JSON `verdict`).
    pub fn failing(&self) -> bool {
        self.changes.iter().any(|c| self.fail_on.fails(c.severity))
    }

    /// Whether only warnings fail the run (`--fail-on warning`, no breaking change): every format
    /// then calls them warnings, not incompatible changes.
    pub fn failing_on_warnings_only(&self) -> bool {
        self.failing() && self.summary().breaking == 0
    }

    /// The exit code of CLI.md: 1 when a change is at or above `--fail-on` and not forced.
    pub fn exit_code(&self) -> i32 {
        if self.failing() && !self.forced { 1 } else { 0 }
    }
}
