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
pub fn write(report: &Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let document = Document {
        version: VERSION,
        verdict: verdict(report),
        forced: report.forced,
        summary: report.summary(),
        changes: report
            .by_crd()
            .into_iter()
            .flat_map(|(_, changes)| changes)
            .map(JsonChange::from)
            .collect(),
        ignored: report
            .ignored
            .iter()
            .map(|i| JsonIgnored {
                change: JsonChange::from(&i.change),
                reason: &i.reason,
            })
            .collect(),
        scope: report.scope.as_ref(),
    };
    serde_json::to_writer_pretty(&mut *out, &document).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}
