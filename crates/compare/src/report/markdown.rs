//! The Markdown report, for pull-request comments: a heading with the verdict, a summary table,
//! then per CRD a table of its breaking changes and warnings, with the compatible changes folded
//! into a `<details>` block. Every piece of CRD data is escaped, so a description cannot break a
//! table, inject HTML or turn into a link.

use super::{Change, Report, Severity, plural};
use std::fmt::Write as _;

/// Table rows written before the rest is left to the JSON report: a GitHub comment holds at most
/// 65,536 characters and a comment that does not fit is not posted at all.
const MAX_ROWS: usize = 300;

const TABLE_HEAD: &str = "| severity | rule | field or path | message |\n|---|---|---|---|\n";

/// Renders the report as GitHub-flavoured Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let summary = report.summary();
    let heading = match (report.failing(), report.forced) {
        // Warnings that fail the run through `--fail-on warning` are not "incompatible".
        (true, false) if report.failing_on_warnings_only() => {
            "❌ nexus: CRD warnings (--fail-on warning)"
        }
        (true, true) if report.failing_on_warnings_only() => {
            "⚠️ nexus: CRD warnings (--fail-on warning, forced)"
        }
        (true, false) => "❌ nexus: incompatible CRD changes",
        (true, true) => "⚠️ nexus: incompatible CRD changes (forced)",
        (false, _) => "✅ nexus: no incompatible CRD changes",
    };
    let _ = writeln!(out, "## {heading}\n");
    let _ = writeln!(out, "{}\n", sources(report));

    if report.changes.is_empty() {
        let _ = writeln!(out, "No changes in {}.", plural(report.crds, "CRD", "CRDs"));
        return out;
    }

    out.push_str("| breaking | warnings | compatible | CRDs |\n|---:|---:|---:|---:|\n");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} |\n",
        summary.breaking, summary.warning, summary.compatible, summary.crds
    );

    let mut budget = MAX_ROWS;
    let mut left_out = 0;
    for (crd, changes) in report.by_crd() {
        let (notable, compatible): (Vec<&Change>, Vec<&Change>) = changes
            .into_iter()
            .partition(|c| c.severity > Severity::Compatible);
        if budget == 0 {
            left_out += notable.len() + compatible.len();
            continue;
        }
        let _ = writeln!(out, "### {}\n", code(crd));
        if !notable.is_empty() {
            out.push_str(TABLE_HEAD);
            left_out += rows(&mut out, &notable, &mut budget);
            out.push('\n');
        }
        if !compatible.is_empty() && budget > 0 {
            let what = plural(compatible.len(), "compatible change", "compatible changes");
            let _ = writeln!(out, "<details>\n<summary>{what}</summary>\n");
            out.push_str(TABLE_HEAD);
            left_out += rows(&mut out, &compatible, &mut budget);
            out.push_str("\n</details>\n\n");
        } else {
            left_out += compatible.len();
        }
    }
    if left_out > 0 {
        let what = plural(left_out, "more change is", "more changes are");
        let _ = writeln!(
            out,
            "{what} not shown here; `--format json` lists every change.\n"
        );
    }
    out
}

/// Which sides were compared, empty sides, skipped documents and ignored changes, as one paragraph.
fn sources(report: &Report) -> String {
    let (old, new) = (&report.old, &report.new);
    let mut text = format!(
        "Compared {} ({}) with {} ({}).",
        code(&old.label),
        plural(old.crds, "CRD", "CRDs"),
        code(&new.label),
        plural(new.crds, "CRD", "CRDs"),
    );
    if old.crds == 0 && new.crds > 0 {
        let _ = write!(
            text,
            " {} holds no CRD: every CRD is added.",
            code(&old.label)
        );
    }
    if new.crds == 0 && old.crds > 0 {
        let _ = write!(
            text,
            " {} holds no CRD: every CRD is removed.",
            code(&new.label)
        );
    }
    for side in [old, new] {
        if side.skipped_documents > 0 {
            let what = plural(
                side.skipped_documents,
                "document that is",
                "documents that are",
            );
            let _ = write!(text, " Skipped {what} not CRDs in {}.", code(&side.label));
        }
    }
    if !report.ignored.is_empty() {
        let what = plural(report.ignored.len(), "change was", "changes were");
        let _ = write!(text, " {what} ignored by config.");
    }
    text
}

/// Writes one row per change while the budget lasts; returns how many rows did not fit.
fn rows(out: &mut String, changes: &[&Change], budget: &mut usize) -> usize {
    let fitting = changes.len().min(*budget);
    for change in changes.iter().take(fitting) {
        let mut place = change.location().map(cell_code).unwrap_or_default();
        if let Some(at) = &change.place {
            // Where the changed node is written, when the loader knows its line.
            let at = cell_code(&at.to_string());
            place = if place.is_empty() {
                at
            } else {
                format!("{place} at {at}")
            };
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            change.severity,
            cell_code(change.rule.as_str()),
            place,
            text(change.message_or_summary()),
        );
    }
    *budget -= fitting;
    changes.len() - fitting
}

/// Inline code in a table cell: as [`code`], with `|` escaped for the table (GFM removes that
/// escape before it reads the code span, so the cell shows a plain `|`). GFM's row splitter reads
/// `\\|` as an escaped backslash and a cell border, and a code span cannot escape the backslash,
/// so text with a backslash is shown as escaped plain text instead.
fn cell_code(text: &str) -> String {
    if text.contains('\\') {
        return self::text(text);
    }
    code(&text.replace('|', "\\|"))
}

/// Inline code that shows `text` verbatim: the backtick fence is longer than any backtick run in
/// the text, and line breaks become spaces (inline code cannot hold them).
fn code(text: &str) -> String {
    let mut longest_run = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest_run = longest_run.max(run);
    }
    let fence = "`".repeat(longest_run + 1);
    let mut body = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_control() => body.push(' '),
            c => body.push(c),
        }
    }
    if body.is_empty() {
        // An empty code span does not exist in Markdown; show the emptiness instead.
        return "(empty)".to_string();
    }
    // CommonMark strips one space from each side when both are present: pad when the body
    // starts or ends with a character that would otherwise merge with the fence or be stripped.
    let pad = body.starts_with(['`', ' ']) || body.ends_with(['`', ' ']);
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// Plain text in a table cell: Markdown punctuation is backslash-escaped so it stays literal,
/// newlines become `<br>`, other control characters are shown as `\u{..}`.
fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("<br>"),
            '\r' => {}
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '$' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\\\u{{{:x}}}", c as u32);
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
    fn code_spans_survive_backticks_pipes_and_newlines() {
        assert_eq!(code(".spec.a"), "`.spec.a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x``"), "``` `x`` ```");
        assert_eq!(code("a|b\nc"), "`a|b c`");
        assert_eq!(cell_code("a|b"), "`a\\|b`");
        assert_eq!(cell_code("a\\|b"), "a\\\\\\|b");
        assert_eq!(code(""), "(empty)");
    }

    #[test]
    fn text_cells_keep_markdown_and_html_literal() {
        assert_eq!(
            text("a|b <img> *x* [l](u)"),
            "a\\|b \\<img\\> \\*x\\* \\[l\\](u)"
        );
        assert_eq!(text("one\r\ntwo"), "one<br>two");
        assert_eq!(text("ünï ✓ 100% $x$"), "ünï ✓ 100% \\$x\\$");
        assert_eq!(text("bell\x07"), "bell\\\\u{7}");
    }
}
