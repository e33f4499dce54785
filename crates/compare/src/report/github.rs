//! The GitHub Actions report: one workflow command per breaking change (`::error`) and per warning
//! (`::warning`), which GitHub shows as annotations on the run, then one plain summary line.
//! Compatible changes get no annotation: a notice per added field would bury the ones that
//! matter; the summary line still counts them.

use super::{Report, Severity, plural};

/// The path GitHub knows a file by: `git:REV:path` sources name the file at `path`, and a leading
/// `./` is dropped.
fn workspace_path(file: &str) -> &str {
    let file = match file.strip_prefix("git:") {
        Some(rest) => rest.split_once(':').map_or(rest, |(_, path)| path),
        None => file,
    };
    file.strip_prefix("./").unwrap_or(file)
}

/// Renders the report as workflow commands, one per line.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for (crd, changes) in report.by_crd() {
        for change in changes {
            let command = match change.severity {
                Severity::Breaking => "error",
                Severity::Warning => "warning",
                Severity::Compatible => continue,
            };
            let message = change.message_or_summary();
            let data = match change.location() {
                Some(place) => format!("{crd} {place}: {message}"),
                None => format!("{crd}: {message}"),
            };
            // With the changed node's file and line, GitHub shows the annotation on that line of
            // the pull request's diff.
            let file = match report.place_of(change) {
                Some((file, line)) => {
                    let line = line.map(|l| format!(",line={l}")).unwrap_or_default();
                    format!("file={}{line},", escape_property(workspace_path(file)))
                }
                None => String::new(),
            };
            out.push_str(&format!(
                "::{command} {file}title={}::{}\n",
                escape_property(change.rule.as_str()),
                escape_data(&data)
            ));
        }
    }
    let verdict = if report.changes.is_empty() {
        format!("no changes in {}", plural(report.crds, "CRD", "CRDs"))
    } else {
        let counts = report.summary().counts();
        match (report.failing(), report.forced) {
            // Warnings that fail the run through `--fail-on warning` are not "incompatible".
            _ if report.failing_on_warnings_only() => {
                let forced = if report.forced { ", forced" } else { "" };
                format!("warnings fail the run (--fail-on warning){forced}: {counts}")
            }
            (true, false) => format!("incompatible changes: {counts}"),
            (true, true) => format!("incompatible changes, forced: {counts}"),
            (false, _) => format!("no incompatible changes: {counts}"),
        }
    };
    // Plain text, not a command; the data it holds is ours, not the CRDs'.
    out.push_str(&format!("nexus: {verdict}\n"));
    out
}

/// The message part of a command, escaped as the Actions toolkit does (`escapeData` in
/// `@actions/core` `command.ts`): `%` first, so an escape is never read twice, then CR and LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value (`title=…`), escaped as the Actions toolkit does (`escapeProperty`): as
/// [`escape_data`], plus `:` and `,` which end a property.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_the_actions_toolkit() {
        assert_eq!(escape_data("100%\r\nnext: a,b"), "100%25%0D%0Anext: a,b");
        assert_eq!(
            escape_property("100%\r\nnext: a,b"),
            "100%25%0D%0Anext%3A a%2Cb"
        );
        // An escape already in the data is not decoded by the runner.
        assert_eq!(escape_data("%0A"), "%250A");
    }
}
