//! The JSON report (`--format json`), version 1 of CLI.md. The key set and key order are public
//! interface: they come from the field order of the structs below, never from a map (serde_json's
//! default map sorts its keys).

use super::{Change, Report, Scope, Severity, Summary};
use serde::Serialize;
use serde_json::Value;

/// The schema version written in the `version` key.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    verdict: &'static str,
    forced: bool,
    summary: Summary,
    changes: Vec<JsonChange<'a>>,
    /// Changes dropped by an `ignore` entry of the config, each with the entry's reason
    /// (an addition to version 1: readers that do not know it skip it).
    ignored: Vec<JsonIgnored<'a>>,
    /// How a whole-cluster side was narrowed, `null` when no side was (an addition to version 1).
    scope: Option<&'a Scope>,
}

/// One entry of `ignored`: the change as in `changes`, then `reason`.
#[derive(Serialize)]
struct JsonIgnored<'a> {
    #[serde(flatten)]
    change: JsonChange<'a>,
    reason: &'a str,
}

/// One entry of `changes`. A struct of its own (not `Change` itself) so that a field added to
/// `Change` for internal use can never leak into the public schema.
#[derive(Serialize)]
struct JsonChange<'a> {
    rule: &'static str,
    severity: Severity,
    crd: &'a str,
    version: Option<&'a str>,
    path: &'a str,
    field: Option<&'a str>,
    message: &'a str,
    old: &'a Value,
    new: &'a Value,
}

impl<'a> From<&'a Change> for JsonChange<'a> {
    fn from(c: &'a Change) -> Self {
        JsonChange {
            rule: c.rule.as_str(),
            severity: c.severity,
            crd: &c.crd,
            version: c.version.as_deref(),
            path: &c.path,
            field: c.field.as_deref(),
            message: &c.message,
            old: &c.old,
            new: &c.new,
        }
    }
}

/// `breaking` when any change at or above `--fail-on` remains, else `compatible`.
pub fn verdict(report: &Report) -> &'static str {
    if report.failing() {
        "breaking"
    } else {
        "compatible"
    }
}

/// Renders the report as pretty-printed JSON with a trailing newline. Every change is listed,
/// compatible ones included, in the stable order of CLI.md.
pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail, and a document of plain structs and `serde_json::Value`s
    // always serializes (a `Value` map has string keys and never holds a non-finite number).
    write(report, &mut out).expect("writing JSON to memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Writes the report as [`render`] does, straight to `out`: a report of tens of thousands of
/// changes is never held as one string.
///
/// The changes, most of the document, are rendered in parallel a batch at a time and spliced
/// into the rest of the document rendered without them: the bytes are those of serde_json's
/// pretty printer for the whole document (a test compares them), in a third of the time on two
/// cores for the 34 MB report of a large upgrade.
pub fn write(report: &Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let changes: Vec<JsonChange<'_>> = report
        .by_crd()
        .into_iter()
        .flat_map(|(_, changes)| changes)
        .map(JsonChange::from)
        .collect();
    let mut skeleton = Vec::new();
    serde_json::to_writer_pretty(&mut skeleton, &document(report, Vec::new()))?;
    // The only `"changes": []` at the document's first level: every key before it is a number,
    // a boolean or a fixed word.
    const EMPTY: &[u8] = b"\n  \"changes\": []";
    let at = skeleton
        .windows(EMPTY.len())
        .position(|w| w == EMPTY)
        .ok_or_else(|| std::io::Error::other("the JSON document has no changes key"))?;
    let (head, tail) = skeleton.split_at(at + EMPTY.len() - 1);
    out.write_all(head)?;
    if !changes.is_empty() {
        out.write_all(b"\n")?;
        write_changes(&changes, out)?;
        out.write_all(b"\n  ")?;
    }
    out.write_all(tail)?;
    out.write_all(b"\n")
}

/// The document of `report` with `changes` as its changes.
fn document<'a>(report: &'a Report, changes: Vec<JsonChange<'a>>) -> Document<'a> {
    Document {
        version: VERSION,
        verdict: verdict(report),
        forced: report.forced,
        summary: report.summary(),
        changes,
        ignored: report
            .ignored
            .iter()
            .map(|i| JsonIgnored {
                change: JsonChange::from(&i.change),
                reason: &i.reason,
            })
            .collect(),
        scope: report.scope.as_ref(),
    }
}

/// Changes rendered per parallel task, and per batch written (what is held at once).
const CHANGES_PER_TASK: usize = 256;
const CHANGES_PER_BATCH: usize = 16 * CHANGES_PER_TASK;

/// The items of the `changes` array as the pretty printer writes them at the document's second
/// level: each indented by four spaces, separated by `,` and a newline.
fn write_changes(changes: &[JsonChange<'_>], out: &mut impl std::io::Write) -> std::io::Result<()> {
    use rayon::prelude::*;
    for (b, batch) in changes.chunks(CHANGES_PER_BATCH).enumerate() {
        let parts: Vec<std::io::Result<Vec<u8>>> = batch
            .par_chunks(CHANGES_PER_TASK)
            .map(|task| {
                let mut part = Vec::new();
                let mut item = Vec::new();
                for (i, change) in task.iter().enumerate() {
                    if i > 0 {
                        part.extend_from_slice(b",\n");
                    }
                    item.clear();
                    serde_json::to_writer_pretty(&mut item, change)?;
                    indent_into(&item, &mut part);
                }
                Ok(part)
            })
            .collect();
        for (t, part) in parts.into_iter().enumerate() {
            if b > 0 || t > 0 {
                out.write_all(b",\n")?;
            }
            out.write_all(&part?)?;
        }
    }
    Ok(())
}

/// Appends `item` with every line indented by four spaces. A newline in pretty-printed JSON is
/// always the printer's own: strings carry theirs escaped.
fn indent_into(item: &[u8], out: &mut Vec<u8>) {
    const INDENT: &[u8] = b"    ";
    out.reserve(item.len() + INDENT.len() * 8);
    out.extend_from_slice(INDENT);
    for line_end in item.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(line_end);
        if line_end.last() == Some(&b'\n') {
            out.extend_from_slice(INDENT);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{IgnoredChange, SideInfo};
    use crate::rules::CATALOGUE;
    use serde_json::json;

    /// What [`write`] must produce: serde_json's pretty printer over the whole document.
    fn reference(report: &Report) -> String {
        let changes = report
            .by_crd()
            .into_iter()
            .flat_map(|(_, changes)| changes)
            .map(JsonChange::from)
            .collect();
        let mut out = serde_json::to_string_pretty(&document(report, changes)).unwrap();
        out.push('\n');
        out
    }

    fn change(i: usize) -> Change {
        let values = [
            (json!(null), json!("a\nb \"quoted\" \u{7f} é")),
            (json!({}), json!([])),
            (
                json!({"type": "object", "properties": {"a": {"type": "string"}}}),
                json!([1, [2, {}], {"k": [null]}]),
            ),
            (json!(1.5), json!(-3)),
        ];
        let (old, new) = values[i % values.len()].clone();
        Change::new(
            CATALOGUE[i % CATALOGUE.len()].id,
            &format!("crd{}", i % 7),
            Some("v1"),
            format!("/spec/f{i}"),
        )
        .field(format!("spec.f{i}"))
        .message(format!("change {i}\twith a tab"))
        .values(old, new)
    }

    fn report(changes: usize, ignored: usize) -> Report {
        let mut report = Report::new(
            SideInfo {
                label: "old".into(),
                crds: 7,
                skipped_documents: 0,
            },
            SideInfo {
                label: "new".into(),
                crds: 7,
                skipped_documents: 1,
            },
            (0..changes).map(change).collect(),
            7,
        );
        report.ignored = (0..ignored)
            .map(|i| IgnoredChange {
                change: change(i),
                reason: format!("reason {i}"),
            })
            .collect();
        report
    }

    #[test]
    fn parallel_rendering_writes_the_pretty_printers_bytes() {
        // Empty, one change, one task, a task boundary, a batch boundary and a partial batch.
        for n in [
            0,
            1,
            2,
            CHANGES_PER_TASK,
            CHANGES_PER_TASK + 1,
            CHANGES_PER_BATCH,
            2 * CHANGES_PER_BATCH + 3,
        ] {
            for ignored in [0, 2] {
                let report = report(n, ignored);
                assert_eq!(
                    render(&report),
                    reference(&report),
                    "{n} changes, {ignored} ignored"
                );
            }
        }
    }
}
