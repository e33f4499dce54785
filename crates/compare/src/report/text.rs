//! The text report: the shape nexus users know (CLI.md, "The text report"). Grouped per CRD, then
//! per section, each change under its path line, with a summary line whose `[severity: rule]` tag
//! is aligned to one column and the values indented below it.

use super::{Change, Report, Section, Severity, plural};
use crate::rules::{Family, RuleId};
use serde::Serialize;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};
use std::fmt::Write as _;

/// What the report is about: a plain comparison or `datamodel build` (which adds its verdict).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// `nexus datamodel diff`.
    Diff,
    /// `nexus datamodel build`; `baseline` says where the previous CRDs came from
    /// (`build/crds at main (3f2a1c9)`).
    Build { baseline: String },
    /// `nexus datamodel install`; `cluster` names the cluster whose live CRDs are the baseline.
    Install { cluster: String },
}

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextOptions {
    /// ANSI colours (the CLI decides: `--color`, see `color::stdout`).
    pub color: bool,
    /// Also list compatible changes.
    pub verbose: bool,
    /// Diff or build: build adds the baseline line and the build verdict.
    pub mode: Mode,
}

/// The column at which the `[severity: rule]` tag of a summary line starts (CLI.md's example).
const TAG_COLUMN: usize = 55;
/// Lines shown of one value (or one diff) before the rest is elided; `--format json` has it all.
const MAX_VALUE_LINES: usize = 20;
/// Unchanged lines shown around each changed block of a line diff.
const DIFF_CONTEXT: usize = 2;
/// Indentation of the values under a summary line.
const VALUE_INDENT: &str = "    ";

/// Renders the report.
pub fn render(report: &Report, opts: &TextOptions) -> String {
    let mut w = Writer {
        out: String::new(),
        color: opts.color,
    };
    header(&mut w, report, opts);
    w.blank();

    if report.changes.is_empty() {
        let crds = plural(report.crds, "CRD", "CRDs");
        w.line(Style::Ok, &format!("no changes in {crds}"));
        return w.out;
    }

    let mut hidden = 0;
    for (crd, changes) in report.by_crd() {
        let (shown, not_shown): (Vec<&Change>, Vec<&Change>) = changes
            .into_iter()
            .partition(|c| opts.verbose || c.severity > Severity::Compatible);
        hidden += not_shown.len();
        if !shown.is_empty() {
            crd_block(&mut w, crd, &shown);
        }
    }
    if hidden > 0 {
        let what = plural(hidden, "compatible change", "compatible changes");
        w.line(
            Style::Dim,
            &format!("{what} not shown (--verbose lists them)"),
        );
        w.blank();
    }
    footer(&mut w, report, &opts.mode);
    w.out
}

/// Which sides were compared, empty sides, skipped documents, ignored changes.
fn header(w: &mut Writer, report: &Report, opts: &TextOptions) {
    let mode = &opts.mode;
    match mode {
        Mode::Build { baseline } => w.plain(&format!("baseline: {}", printable(baseline))),
        Mode::Install { cluster } => w.plain(&format!(
            "baseline: the live CRDs in {}",
            printable(cluster)
        )),
        Mode::Diff => {}
    }
    let (old, new) = (&report.old, &report.new);
    let (old_label, new_label) = (printable(&old.label), printable(&new.label));
    let (old_crds, new_crds) = (
        plural(old.crds, "CRD", "CRDs"),
        plural(new.crds, "CRD", "CRDs"),
    );
    w.plain(&format!(
        "comparing {old_label} ({old_crds}) -> {new_label} ({new_crds})"
    ));
    // Nothing left out is nothing to say (the JSON report has the scope either way).
    if let Some(scope) = report.scope.as_ref().filter(|s| s.skipped > 0) {
        w.plain(&format!(
            "{} scoped to {}: {} compared, {} of the cluster left out",
            printable(&scope.source),
            printable(&scope.to),
            plural(scope.compared, "CRD", "CRDs"),
            plural(scope.skipped, "other CRD", "other CRDs"),
        ));
    }
    match (old.crds, new.crds) {
        (0, 0) => w.plain(&format!("neither {old_label} nor {new_label} holds a CRD")),
        // A first build already says so in its baseline line.
        (0, _) if matches!(mode, Mode::Build { .. }) => {}
        (0, _) => w.plain(&format!("{old_label} holds no CRD: every CRD is added")),
        (_, 0) => w.plain(&format!("{new_label} holds no CRD: every CRD is removed")),
        _ => {}
    }
    for side in [old, new] {
        if side.skipped_documents > 0 {
            let what = plural(
                side.skipped_documents,
                "document that is",
                "documents that are",
            );
            w.plain(&format!(
                "skipped {what} not CRDs in {}",
                printable(&side.label)
            ));
        }
    }
    if !report.ignored.is_empty() {
        let what = plural(report.ignored.len(), "change", "changes");
        if !opts.verbose {
            w.plain(&format!("{what} ignored by config (--verbose lists them)"));
            return;
        }
        w.plain(&format!("{what} ignored by config:"));
        for ignored in &report.ignored {
            let change = &ignored.change;
            let place = change.location().unwrap_or("/");
            w.line(
                Style::Dim,
                &format!(
                    "  {} {} [{}: {}]",
                    printable(&change.crd),
                    printable(place),
                    change.severity,
                    change.rule
                ),
            );
            if !change.message.is_empty() {
                w.line(Style::Dim, &format!("    {}", printable(&change.message)));
            }
            w.line(
                Style::Dim,
                &format!("    reason: {}", printable(&ignored.reason)),
            );
        }
    }
}

/// One CRD: its header, then each section with its changes under their path lines.
fn crd_block(w: &mut Writer, crd: &str, changes: &[&Change]) {
    let title = format!("detected changes in model stored in {}", printable(crd));
    w.line(Style::Bold, &title);
    w.blank();
    for section in [Section::Crd, Section::Spec, Section::Status, Section::Nexus] {
        let mut in_section = changes.iter().filter(|c| c.section() == section).peekable();
        if in_section.peek().is_none() {
            continue;
        }
        w.plain(&format!("{}:", section.title()));
        let mut previous_path: Option<&str> = None;
        for change in in_section {
            if previous_path != Some(change.path.as_str()) {
                let path = if change.path.is_empty() {
                    "/"
                } else {
                    &change.path
                };
                w.plain(&printable(path));
                previous_path = Some(&change.path);
            }
            w.line(Style::of(change.severity), &summary_line(change));
            if let Some(consequence) = consequence_line(change) {
                w.plain(&format!("{VALUE_INDENT}{consequence}"));
            }
            for (style, text) in value_lines(change) {
                w.line(style, &format!("{VALUE_INDENT}{text}"));
            }
        }
        w.blank();
    }
}

/// The closing verdict: what `build` says (CLI.md), its `install` and `diff` counterparts, and what
/// to do.
fn footer(w: &mut Writer, report: &Report, mode: &Mode) {
    // Only warnings fail the run when `--fail-on warning` made them: they are not "incompatible",
    // and the way out is the threshold, not `--force`.
    if report.failing() && report.summary().breaking == 0 {
        return warnings_footer(w, report, mode);
    }
    let (style, verdict, advice) = match (report.failing(), report.forced, mode) {
        (true, false, Mode::Build { .. }) => (
            Style::Breaking,
            "datamodel upgrade failed due to incompatible datamodel changes",
            Some(format!(
                "use --force=true to build anyway{}",
                migrate_hint(report)
            )),
        ),
        (true, false, Mode::Install { .. }) => (
            Style::Breaking,
            "datamodel upgrade refused due to incompatible datamodel changes",
            Some("use --force=true to install anyway".to_string()),
        ),
        (true, false, Mode::Diff) => (
            Style::Breaking,
            "found incompatible changes",
            Some("use --force=true to report them without failing".to_string()),
        ),
        (true, true, Mode::Build { .. }) => (
            Style::Warning,
            "datamodel upgrade forced despite incompatible datamodel changes",
            Some("the CRDs were written anyway because --force=true was given".to_string()),
        ),
        (true, true, Mode::Install { .. }) => (
            Style::Warning,
            "datamodel upgrade forced despite incompatible datamodel changes",
            Some(
                "--force=true was given: the breaking changes do not stop the install".to_string(),
            ),
        ),
        (true, true, Mode::Diff) => (
            Style::Warning,
            "found incompatible changes",
            Some("exiting 0 anyway because --force=true was given".to_string()),
        ),
        (false, _, Mode::Build { .. } | Mode::Install { .. }) => {
            (Style::Ok, "datamodel upgrade is compatible", None)
        }
        (false, _, Mode::Diff) => (Style::Ok, "no incompatible changes", None),
    };
    w.line(style, &format!("{verdict}: {}", report.summary().counts()));
    if let Some(advice) = advice {
        // The advice after a forced run is part of the warning; otherwise it is plain help.
        w.line(if report.forced { style } else { Style::Plain }, &advice);
    }
}

/// The verdict when warnings alone fail the run (`--fail-on warning`).
fn warnings_footer(w: &mut Writer, report: &Report, mode: &Mode) {
    let (verdict, advice) = match (report.forced, mode) {
        (false, Mode::Build { .. }) => (
            "datamodel upgrade stopped by warnings",
            "--fail-on warning makes warnings fail the build; review them, or use --fail-on breaking to build anyway",
        ),
        (false, Mode::Install { .. }) => (
            "datamodel upgrade stopped by warnings",
            "--fail-on warning makes warnings fail the install; review them, or use --fail-on breaking to install anyway",
        ),
        (false, Mode::Diff) => (
            "found warnings",
            "--fail-on warning makes warnings fail the run; review them, or use --fail-on breaking to accept them",
        ),
        (true, Mode::Build { .. }) => (
            "datamodel upgrade forced despite warnings",
            "the CRDs were written anyway because --force=true was given",
        ),
        (true, Mode::Install { .. }) => (
            "datamodel upgrade forced despite warnings",
            "--force=true was given: the warnings do not stop the install",
        ),
        (true, Mode::Diff) => (
            "found warnings",
            "exiting 0 anyway because --force=true was given",
        ),
    };
    let style = if report.forced {
        Style::Warning
    } else {
        Style::Breaking
    };
    w.line(style, &format!("{verdict}: {}", report.summary().counts()));
    w.line(if report.forced { style } else { Style::Plain }, advice);
}

/// After a refused build: the step that carries stored objects across the breaking changes, for
/// the CRDs that have them. `migrate create` fills the step from the last build that wrote CRDs,
/// so it comes after `build --force=true`; `--force` alone leaves the objects as they are.
fn migrate_hint(report: &Report) -> String {
    let crds: Vec<String> = report
        .by_crd()
        .into_iter()
        .filter(|(_, changes)| changes.iter().any(|c| report.fail_on.fails(c.severity)))
        .map(|(crd, _)| printable(crd))
        .collect();
    match crds.as_slice() {
        [] => String::new(),
        [crd] => format!(
            "; objects of {crd} already stored in a cluster then need a migration step: nexus datamodel migrate create <slug> --crd {crd}"
        ),
        _ => format!(
            "; objects already stored in a cluster then need a migration step per CRD: nexus datamodel migrate create <slug> --crd <name> (for {})",
            crds.join(", ")
        ),
    }
}

/// `  + one required field added:` padded to [`TAG_COLUMN`], then `[breaking: required-added]`.
fn summary_line(change: &Change) -> String {
    let (sign, phrase) = headline(change.rule);
    let mut text = format!("  {sign} {phrase}:");
    let pad = TAG_COLUMN.saturating_sub(text.chars().count()).max(1);
    text.extend(std::iter::repeat_n(' ', pad));
    let _ = write!(text, "[{}: {}]", change.severity, change.rule);
    text
}

/// Phrases that read better than the words of the rule id (see [`headline`]).
#[rustfmt::skip] // one row per line reads as the table it is
const HEADLINE_OVERRIDES: &[(RuleId, char, &str)] = &[
    (RuleId::RequiredAdded, '+', "one required field added"),
    (RuleId::RequiredRemoved, '-', "required field made optional"),
    (RuleId::CrdPluralChanged, '~', "plural name changed"),
    (RuleId::CrdVersionUnserved, '-', "version no longer served"),
    (RuleId::CrdVersionServed, '+', "version now served"),
    (RuleId::CrdServedVersionsIncompatible, '~', "served versions incompatible"),
    (RuleId::CrdInvalid, '!', "CRD would be rejected by the API server"),
    (RuleId::AnnotationChanged, '~', "title, example or externalDocs changed"),
    (RuleId::NotChanged, '~', "not schema changed"),
    (RuleId::NotRemoved, '-', "not schema removed"),
    (RuleId::UnhandledChange, '~', "change that no rule recognises"),
];

/// Words and word groups of rule ids, spelled as the Kubernetes API spells them.
const SPELLINGS: &[(&str, &str)] = &[
    ("crd", "CRD"),
    ("cel", "CEL"),
    ("max", "maximum"),
    ("min", "minimum"),
    ("rest api", "REST API"),
    ("one of", "oneOf"),
    ("any of", "anyOf"),
    ("all of", "allOf"),
    ("multiple of", "multipleOf"),
    ("int or string", "int-or-string"),
    ("additional properties", "additionalProperties"),
    ("unique items", "uniqueItems"),
    ("preserve unknown fields", "preserve-unknown-fields"),
];

/// The sign and phrase of a summary line. Derived from the rule id (`enum-value-added` →
/// `+ enum value added`) so a new rule reads sensibly without touching this file; the few ids that
/// do not read as English on their own are in [`HEADLINE_OVERRIDES`].
fn headline(rule: RuleId) -> (char, String) {
    if let Some((_, sign, phrase)) = HEADLINE_OVERRIDES.iter().find(|(id, _, _)| *id == rule) {
        return (*sign, (*phrase).to_string());
    }
    let mut words: Vec<&str> = rule.as_str().split('-').collect();
    // The section already says whether a change is about the CRD or the nexus annotation.
    let family_word = match rule.info().family {
        Family::Crd => Some("crd"),
        Family::Nexus => Some("nexus"),
        Family::Property => None,
    };
    if words.len() > 2 && words.first().copied() == family_word {
        words.remove(0);
    }
    let sign = match words.last().copied() {
        Some("added" | "enabled" | "served") => '+',
        Some("removed" | "unserved" | "disabled") => '-',
        _ => '~',
    };
    let mut phrase = format!(" {} ", words.join(" "));
    for (from, to) in SPELLINGS {
        phrase = phrase.replace(&format!(" {from} "), &format!(" {to} "));
    }
    (sign, phrase.trim().to_string())
}

/// What the change means for the object, as the JSON report says it: the field path, then the
/// message (`.spec.legacy: field legacy removed from .spec`), the field left out when the message
/// already names it; `None` when the change has neither.
fn consequence_line(change: &Change) -> Option<String> {
    let message = Some(change.message.as_str()).filter(|m| !m.is_empty());
    let field = change
        .field
        .as_deref()
        .filter(|f| !f.is_empty() && !message.is_some_and(|m| names_field(m, f)));
    match (field, message) {
        (Some(field), Some(message)) => {
            Some(format!("{}: {}", printable(field), printable(message)))
        }
        (Some(field), None) => Some(printable(field)),
        (None, Some(message)) => Some(printable(message)),
        (None, None) => None,
    }
}

/// Whether `message` names `field` as a whole path (`.spec.a` in "type of .spec.a changed", not
/// in "type of .spec.ab changed").
fn names_field(message: &str, field: &str) -> bool {
    message.match_indices(field).any(|(at, _)| {
        message[at + field.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '[')))
    })
}

/// The lines under a summary line: a value added or removed as a YAML list (`- additionalField`),
/// a changed value as `old:` / `new:` lines, or a line diff when either side spans lines; nothing
/// when the change carries no value (its message, above, says it all).
fn value_lines(change: &Change) -> Vec<(Style, String)> {
    if change.rule == RuleId::CrdServedVersionsIncompatible {
        return served_pair_lines(change);
    }
    match (&change.old, &change.new) {
        (Value::Null, Value::Null) => Vec::new(),
        (Value::Null, only) | (only, Value::Null) => {
            let listed = match only {
                Value::Array(items) if !items.is_empty() => yaml_lines(only),
                _ => yaml_lines(&std::slice::from_ref(only)),
            };
            capped(listed.into_iter().map(|l| (Style::Plain, l)).collect())
        }
        (old, new) => changed_lines(old, new),
    }
}

/// A pair of served versions: which two, then each difference in a line of its own (the JSON
/// report has each as an object with its path).
fn served_pair_lines(change: &Change) -> Vec<(Style, String)> {
    let (Some(older), Some(newer)) = (change.old.as_str(), change.version.as_deref()) else {
        return Vec::new();
    };
    let mut lines = vec![(
        Style::Plain,
        format!(
            "objects written as {} can be rejected or lose data as {}:",
            printable(older),
            printable(newer)
        ),
    )];
    for finding in change.new.as_array().into_iter().flatten() {
        let message = finding["message"].as_str().unwrap_or_default();
        let rule = finding["rule"].as_str().unwrap_or_default();
        lines.push((
            Style::Plain,
            format!("- {} [{}]", printable(message), printable(rule)),
        ));
    }
    capped(lines)
}

/// `old:` / `new:` for one-line values, else a line diff. Two strings are diffed on their own
/// lines (descriptions, CEL rules); anything else on its YAML form.
fn changed_lines(old: &Value, new: &Value) -> Vec<(Style, String)> {
    let (old_lines, new_lines) = match (old, new) {
        (Value::String(a), Value::String(b)) if a.contains('\n') || b.contains('\n') => (
            a.lines().map(printable).collect(),
            b.lines().map(printable).collect(),
        ),
        _ => (yaml_lines(old), yaml_lines(new)),
    };
    if let ([o], [n]) = (old_lines.as_slice(), new_lines.as_slice()) {
        return vec![
            (Style::Removed, format!("old: {o}")),
            (Style::Added, format!("new: {n}")),
        ];
    }
    let old_refs: Vec<&str> = old_lines.iter().map(String::as_str).collect();
    let new_refs: Vec<&str> = new_lines.iter().map(String::as_str).collect();
    let diff = TextDiff::from_slices(&old_refs, &new_refs);
    let groups = diff.grouped_ops(DIFF_CONTEXT);
    let mut lines = Vec::new();
    let mut shown_to = 0; // the old lines up to here are shown or elided with `...`
    for group in &groups {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        if first.old_range().start > shown_to {
            lines.push((Style::Dim, "...".to_string()));
        }
        shown_to = last.old_range().end;
        for op in group {
            for c in diff.iter_changes(op) {
                let (style, sign) = match c.tag() {
                    ChangeTag::Delete => (Style::Removed, '-'),
                    ChangeTag::Insert => (Style::Added, '+'),
                    ChangeTag::Equal => (Style::Dim, ' '),
                };
                lines.push((style, format!("{sign} {}", c.value())));
            }
        }
    }
    if !lines.is_empty() && shown_to < old_lines.len() {
        lines.push((Style::Dim, "...".to_string()));
    }
    if lines.is_empty() {
        // The values differ only where lines do not show it (a trailing newline, `\r\n`).
        let json = |v: &Value| printable(&serde_json::to_string(v).unwrap_or_default());
        return vec![
            (Style::Removed, format!("old: {}", json(old))),
            (Style::Added, format!("new: {}", json(new))),
        ];
    }
    capped(lines)
}

/// A value as YAML lines (strings unquoted where YAML allows, multi-line strings as `|` blocks),
/// falling back to pretty JSON if the YAML writer refuses the value.
fn yaml_lines<T: Serialize>(value: &T) -> Vec<String> {
    let mut options = serde_saphyr::SerializerOptions::default();
    // Never fold long lines: a diff must compare the lines the value really has.
    options.folded_wrap_chars = usize::MAX;
    let text = serde_saphyr::to_string_with_options(value, options)
        .or_else(|_| serde_json::to_string_pretty(value))
        .unwrap_or_default();
    text.lines().map(printable).collect()
}

/// Keeps the first [`MAX_VALUE_LINES`] lines and says how many were left out.
fn capped(mut lines: Vec<(Style, String)>) -> Vec<(Style, String)> {
    if lines.len() > MAX_VALUE_LINES {
        let rest = lines.len() - MAX_VALUE_LINES;
        lines.truncate(MAX_VALUE_LINES);
        let what = plural(rest, "more line", "more lines");
        lines.push((
            Style::Dim,
            format!("... {what} (--format json has the whole value)"),
        ));
    }
    lines
}

/// Text from CRDs with control characters made visible, so a value cannot move the cursor, clear
/// the screen or fake report lines on the user's terminal.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// What a piece of the report looks like in colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Bold,
    Dim,
    Breaking,
    Warning,
    Compatible,
    Ok,
    Removed,
    Added,
}

impl Style {
    fn of(severity: Severity) -> Style {
        match severity {
            Severity::Breaking => Style::Breaking,
            Severity::Warning => Style::Warning,
            Severity::Compatible => Style::Compatible,
        }
    }

    /// The ANSI SGR sequence; `None` for plain text.
    fn sgr(self) -> Option<&'static str> {
        match self {
            Style::Plain => None,
            Style::Bold => Some("\x1b[1m"),
            Style::Dim => Some("\x1b[2m"),
            Style::Breaking => Some("\x1b[1;31m"),
            Style::Warning => Some("\x1b[33m"),
            Style::Compatible | Style::Ok | Style::Added => Some("\x1b[32m"),
            Style::Removed => Some("\x1b[31m"),
        }
    }
}

/// The report being written, with colour applied when it is on.
struct Writer {
    out: String,
    color: bool,
}

impl Writer {
    fn line(&mut self, style: Style, text: &str) {
        match style.sgr() {
            Some(sgr) if self.color && !text.is_empty() => {
                let _ = writeln!(self.out, "{sgr}{text}\x1b[0m");
            }
            _ => {
                self.out.push_str(text);
                self.out.push('\n');
            }
        }
    }

    fn plain(&mut self, text: &str) {
        self.line(Style::Plain, text);
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::CATALOGUE;

    #[test]
    fn cli_md_example_line_is_reproduced_exactly() {
        let change = Change::new(
            RuleId::RequiredAdded,
            "leaders.root.orgchart.org",
            Some("v1"),
            String::new(),
        );
        assert_eq!(
            summary_line(&change),
            "  + one required field added:                          [breaking: required-added]"
        );
    }

    #[test]
    fn every_headline_fits_before_the_tag_column() {
        for rule in CATALOGUE {
            let (sign, phrase) = headline(rule.id);
            let width = format!("  {sign} {phrase}:").chars().count();
            assert!(width < TAG_COLUMN, "{} is {width} wide", rule.id);
            assert!(
                !phrase.contains("crd ") && !phrase.starts_with("nexus"),
                "{}: {phrase}",
                rule.id
            );
        }
    }

    #[test]
    fn headlines_are_derived_from_the_id_unless_overridden() {
        assert_eq!(
            headline(RuleId::EnumValueAdded),
            ('+', "enum value added".to_string())
        );
        assert_eq!(
            headline(RuleId::FieldRemoved),
            ('-', "field removed".to_string())
        );
        assert_eq!(
            headline(RuleId::TypeChanged),
            ('~', "type changed".to_string())
        );
        assert_eq!(headline(RuleId::CrdAdded), ('+', "CRD added".to_string()));
        assert_eq!(
            headline(RuleId::CrdScopeChanged),
            ('~', "scope changed".to_string())
        );
        assert_eq!(
            headline(RuleId::MaxAdded),
            ('+', "maximum added".to_string())
        );
        assert_eq!(
            headline(RuleId::OneOfChanged),
            ('~', "oneOf changed".to_string())
        );
        assert_eq!(
            headline(RuleId::NexusRestApiChanged),
            ('~', "REST API changed".to_string())
        );
        assert_eq!(
            headline(RuleId::CelRuleRemoved),
            ('-', "CEL rule removed".to_string())
        );
        assert_eq!(
            headline(RuleId::RequiredAdded),
            ('+', "one required field added".to_string())
        );
    }

    #[test]
    fn the_field_is_shown_unless_the_message_names_it() {
        let change = |field: &str, message: &str| {
            Change::new(RuleId::TypeChanged, "a.b", Some("v1"), String::new())
                .field(field)
                .message(message)
        };
        let line = |c: &Change| consequence_line(c).unwrap();
        assert_eq!(
            line(&change(".spec.a", "type of .spec.a changed")),
            "type of .spec.a changed"
        );
        assert_eq!(
            line(&change(".spec.a", "type of .spec.ab changed")),
            ".spec.a: type of .spec.ab changed"
        );
        assert_eq!(
            line(&change(".spec.a", "type of .spec.a.b changed")),
            ".spec.a: type of .spec.a.b changed"
        );
        assert_eq!(
            line(&change(".spec.legacy", "field legacy removed from .spec")),
            ".spec.legacy: field legacy removed from .spec"
        );
        assert_eq!(line(&change(".spec.a", "")), ".spec.a");
        let bare = Change::new(RuleId::CrdAdded, "a.b", None, String::new());
        assert_eq!(consequence_line(&bare), None);
    }

    #[test]
    fn printable_escapes_control_characters_but_keeps_unicode_and_tabs() {
        assert_eq!(printable("a\x1b[2Jb\tc é ✓"), "a\\u{1b}[2Jb\tc é ✓");
        assert_eq!(printable("x\ry\u{85}"), "x\\u{d}y\\u{85}");
    }

    #[test]
    fn long_values_are_capped() {
        let old = Value::String((0..50).map(|i| format!("line {i}\n")).collect());
        let change = Change::new(RuleId::DescriptionChanged, "a.b", Some("v1"), String::new())
            .values(old, Value::Null);
        let lines = value_lines(&change);
        assert_eq!(lines.len(), MAX_VALUE_LINES + 1);
        assert!(lines.last().is_some_and(|(_, l)| l.contains("more lines")));
    }

    #[test]
    fn line_diffs_show_context_and_mark_what_they_leave_out() {
        let old: String = (1..=12).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 3\n", "line three\n")
            .replace("line 11\n", "");
        let lines: Vec<String> = changed_lines(&Value::String(old), &Value::String(new))
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        let expected = [
            "  line 1",
            "  line 2",
            "- line 3",
            "+ line three",
            "  line 4",
            "  line 5",
            "...",
            "  line 9",
            "  line 10",
            "- line 11",
            "  line 12",
        ];
        assert_eq!(lines, expected);

        let old: String = (1..=9).map(|i| format!("line {i}\n")).collect();
        let new = old.replace("line 5\n", "line five\n");
        let lines: Vec<String> = changed_lines(&Value::String(old), &Value::String(new))
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        let expected = [
            "...",
            "  line 3",
            "  line 4",
            "- line 5",
            "+ line five",
            "  line 6",
            "  line 7",
            "...",
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn identical_looking_values_still_show_how_they_differ() {
        let lines = changed_lines(
            &Value::String("a\nb\n".into()),
            &Value::String("a\nb".into()),
        );
        assert_eq!(
            lines,
            vec![
                (Style::Removed, r#"old: "a\nb\n""#.to_string()),
                (Style::Added, r#"new: "a\nb""#.to_string())
            ]
        );
    }
}
