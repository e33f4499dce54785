//! The JUnit XML report: one test suite, one test case per CRD of either set. A CRD with a change
//! at or above `--fail-on` fails, with those changes in the `<failure>` body; its other changes go
//! to `<system-out>`. `--force` does not turn a failure into a pass (it only changes the exit
//! code): the suite carries a `forced` property instead.

use super::{Change, Report, Severity, plural};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The test suite name CI systems group the cases under.
pub const SUITE_NAME: &str = "nexus datamodel diff";

/// Renders the report as JUnit XML.
///
/// Test cases come from [`Report::crd_names`] plus every CRD that has a change. When the caller
/// did not record the names of unchanged CRDs, those are counted in one passing case named
/// `unchanged CRDs (N)`, so that `tests` still matches [`Report::crds`].
pub fn render(report: &Report) -> String {
    let mut cases: BTreeMap<&str, Vec<&Change>> = report
        .crd_names
        .iter()
        .map(|name| (name.as_str(), Vec::new()))
        .collect();
    for (crd, changes) in report.by_crd() {
        cases.entry(crd).or_default().extend(changes);
    }
    let unnamed = report.crds.saturating_sub(cases.len());

    let failing_cases = cases
        .values()
        .filter(|changes| changes.iter().any(|c| report.fail_on.fails(c.severity)))
        .count();
    let tests = cases.len() + usize::from(unnamed > 0);

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"nexus\" tests=\"{tests}\" failures=\"{failing_cases}\" errors=\"0\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failing_cases}\" errors=\"0\" skipped=\"0\">",
        escape(SUITE_NAME)
    );
    out.push_str("    <properties>\n");
    for (name, value) in [
        ("old", report.old.label.as_str()),
        ("new", report.new.label.as_str()),
        ("forced", if report.forced { "true" } else { "false" }),
    ] {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            escape(value)
        );
    }
    out.push_str("    </properties>\n");

    for (crd, changes) in &cases {
        test_case(&mut out, report, crd, changes);
    }
    if unnamed > 0 {
        let name = format!("unchanged CRDs ({unnamed})");
        let _ = writeln!(
            out,
            "    <testcase classname=\"nexus\" name=\"{}\"/>",
            escape(&name)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn test_case(out: &mut String, report: &Report, crd: &str, changes: &[&Change]) {
    let open = format!("    <testcase classname=\"nexus\" name=\"{}\"", escape(crd));
    if changes.is_empty() {
        let _ = writeln!(out, "{open}/>");
        return;
    }
    let _ = writeln!(out, "{open}>");
    let (failing, other): (Vec<&Change>, Vec<&Change>) = changes
        .iter()
        .copied()
        .partition(|c| report.fail_on.fails(c.severity));
    if let Some(worst) = failing.iter().map(|c| c.severity).max() {
        let _ = write!(
            out,
            "      <failure message=\"{}\" type=\"{worst}\">",
            escape(&failure_message(&failing))
        );
        for change in &failing {
            out.push_str(&escape_text(&describe(change, true)));
        }
        out.push_str("</failure>\n");
    }
    if !other.is_empty() {
        out.push_str("      <system-out>");
        for change in &other {
            out.push_str(&escape_text(&describe(change, false)));
        }
        out.push_str("</system-out>\n");
    }
    out.push_str("    </testcase>\n");
}

/// `1 breaking change, 2 warnings`.
fn failure_message(failing: &[&Change]) -> String {
    let count = |s: Severity| failing.iter().filter(|c| c.severity == s).count();
    let mut parts = Vec::new();
    let breaking = count(Severity::Breaking);
    if breaking > 0 {
        parts.push(plural(breaking, "breaking change", "breaking changes"));
    }
    let warning = count(Severity::Warning);
    if warning > 0 {
        parts.push(plural(warning, "warning", "warnings"));
    }
    let compatible = count(Severity::Compatible);
    if compatible > 0 {
        parts.push(plural(
            compatible,
            "compatible change",
            "compatible changes",
        ));
    }
    parts.join(", ")
}

/// One change as text lines: where it is (`at: file:line`, when the loader knows the node's
/// line), and with `values` its old and new values as JSON.
fn describe(change: &Change, values: bool) -> String {
    let mut text = format!("[{}: {}] ", change.severity, change.rule);
    if let Some(place) = change.location() {
        let _ = write!(text, "{place}: ");
    }
    let _ = writeln!(text, "{}", change.message_or_summary());
    if change.field.is_some() && !change.path.is_empty() {
        let _ = writeln!(text, "  path: {}", change.path);
    }
    if let Some(place) = &change.place {
        let _ = writeln!(text, "  at: {place}");
    }
    if values {
        for (name, value) in [("old", &change.old), ("new", &change.new)] {
            if !value.is_null() {
                let _ = writeln!(text, "  {name}: {value}");
            }
        }
    }
    text
}

/// Escapes an XML 1.0 attribute value: markup characters become entities, and CR, LF and TAB
/// become character references (a parser would otherwise normalise them to spaces).
pub fn escape(text: &str) -> String {
    escape_with(text, true)
}

/// Escapes XML 1.0 character data: as [`escape`], but quotes, LF and TAB stay as they are so the
/// report stays readable (CR is still a reference: parsers turn a literal CR LF into LF).
pub fn escape_text(text: &str) -> String {
    escape_with(text, false)
}

/// Characters that XML 1.0 does not allow at all (C0 controls other than TAB, LF, CR; U+FFFE,
/// U+FFFF) cannot be escaped, only replaced: they are shown as `\u{..}`.
fn escape_with(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\t' | '"' | '\'' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_whitespace_and_forbidden_characters() {
        assert_eq!(
            escape(r#"<a b="c" d='e'>&</a>"#),
            "&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(escape("a\nb\r\tc"), "a&#10;b&#13;&#9;c");
        assert_eq!(
            escape("nul\0 esc\x1b bad\u{fffe}"),
            "nul\\u{0} esc\\u{1b} bad\\u{fffe}"
        );
        assert_eq!(escape("ünï ✓ \u{7f}"), "ünï ✓ \u{7f}");
        assert_eq!(escape_text("a\nb\r\tc<'\""), "a\nb&#13;\tc&lt;'\"");
    }
}
