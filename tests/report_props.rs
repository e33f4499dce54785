//! Laws every report format keeps whatever the CRDs hold: text output cannot drive the terminal,
//! one GitHub command per finding, Markdown rows keep their columns, XML escaping round-trips,
//! JSON round-trips the values.

use nexus::config::{Config, Ignore};
use nexus::report::text::{self, Mode, TextOptions};
use nexus::report::{
    Change, IgnoredChange, Report, Scope, SideInfo, github, json, junit, markdown,
};
use nexus::rules::{CATALOGUE, RuleId};
use proptest::prelude::*;
use serde_json::Value;

/// Any Unicode text, with the characters that formats care about made likely.
fn nasty() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => any::<char>(),
            2 => prop::sample::select(vec![
                '|', '`', '<', '>', '&', '"', '\'', '%', ':', ',', '\n', '\r', '\t', '\\', '\u{1b}',
                '\u{0}', '\u{7f}', '\u{85}', '\u{fffe}', 'é', '✓', '*', '_', '[', ']', '#', '$',
            ]),
            3 => prop::char::range('a', 'z'),
        ],
        0..40,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        nasty().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(nasty(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn rule() -> impl Strategy<Value = RuleId> {
    prop::sample::select(CATALOGUE.iter().map(|r| r.id).collect::<Vec<_>>())
}

fn a_change() -> impl Strategy<Value = Change> {
    (
        rule(),
        nasty(),
        prop::option::of(nasty()),
        nasty(),
        prop::option::of(nasty()),
        nasty(),
        json_value(),
        json_value(),
    )
        .prop_map(|(rule, crd, version, path, field, message, old, new)| {
            let mut c = Change::new(rule, &crd, version.as_deref(), path)
                .message(message)
                .values(old, new);
            c.field = field;
            c
        })
}

fn a_report() -> impl Strategy<Value = Report> {
    (
        nasty(),
        nasty(),
        prop::collection::vec(a_change(), 0..6),
        any::<bool>(),
        prop::collection::vec((a_change(), nasty()), 0..3),
        prop::option::of((nasty(), nasty())),
    )
        .prop_map(|(old, new, changes, forced, ignored, scope)| {
            let side = |label: String| SideInfo {
                label,
                crds: 1,
                skipped_documents: 1,
            };
            let names: Vec<String> = changes.iter().map(|c| c.crd.clone()).collect();
            let mut report = Report::new(side(old), side(new), changes, 0).with_crd_names(names);
            report.forced = forced;
            report.ignored = ignored
                .into_iter()
                .map(|(change, reason)| IgnoredChange { change, reason })
                .collect();
            report.scope = scope.map(|(source, to)| Scope {
                side: "old",
                source,
                to,
                compared: 1,
                skipped: 2,
            });
            report
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn text_without_colour_holds_no_control_characters(report in a_report(), verbose: bool) {
        let out = text::render(&report, &TextOptions { color: false, verbose, mode: Mode::Diff });
        let bad: Vec<char> = out.chars().filter(|c| c.is_control() && *c != '\n' && *c != '\t').collect();
        prop_assert!(bad.is_empty(), "{:?} in {}", bad, out);
    }

    #[test]
    fn github_writes_one_line_per_breaking_change_or_warning(report in a_report()) {
        let out = github::render(&report);
        let commands = report.changes.iter().filter(|c| c.severity > nexus::report::Severity::Compatible).count();
        let lines: Vec<&str> = out.lines().collect();
        prop_assert_eq!(lines.len(), commands + 1);
        for line in &lines[..commands] {
            prop_assert!(line.starts_with("::error title=") || line.starts_with("::warning title="), "{}", line);
        }
        prop_assert!(!out.contains('\r'));
        prop_assert!(lines.last().is_some_and(|l| l.starts_with("nexus: ")));
    }

    #[test]
    fn markdown_table_rows_keep_four_columns(report in a_report()) {
        let out = markdown::render(&report);
        for line in out.lines().filter(|l| l.starts_with('|')) {
            prop_assert_eq!(cell_borders(line), 5, "{}", line);
        }
    }

    #[test]
    fn xml_escaping_round_trips_and_keeps_markup_out(s in nasty()) {
        for escaped in [junit::escape(&s), junit::escape_text(&s)] {
            prop_assert!(!escaped.contains('<') && !escaped.contains('>'));
            let forbidden = escaped.chars().any(xml_forbidden);
            prop_assert!(!forbidden, "{:?}", escaped);
            let expected: String = s
                .chars()
                .map(|c| if xml_forbidden(c) { format!("\\u{{{:x}}}", c as u32) } else { c.to_string() })
                .collect();
            prop_assert_eq!(xml_unescape(&escaped), expected);
        }
        prop_assert!(!junit::escape(&s).contains(['"', '\n', '\r', '\t']));
    }

    #[test]
    fn json_round_trips_every_change(report in a_report()) {
        let parsed: Value = serde_json::from_str(&json::render(&report)).expect("the JSON report parses");
        let entries = parsed["changes"].as_array().expect("changes is an array");
        prop_assert_eq!(entries.len(), report.changes.len());
        for (entry, change) in entries.iter().zip(report.by_crd().into_iter().flat_map(|(_, c)| c)) {
            prop_assert_eq!(&entry["crd"], &Value::from(change.crd.as_str()));
            prop_assert_eq!(&entry["message"], &Value::from(change.message.as_str()));
            prop_assert_eq!(&entry["old"], &change.old);
            prop_assert_eq!(&entry["new"], &change.new);
        }
    }

    #[test]
    fn json_lists_every_ignored_change_with_its_reason(report in a_report()) {
        let parsed: Value = serde_json::from_str(&json::render(&report)).expect("the JSON report parses");
        let entries = parsed["ignored"].as_array().expect("ignored is an array");
        prop_assert_eq!(entries.len(), report.ignored.len());
        for (entry, ignored) in entries.iter().zip(&report.ignored) {
            prop_assert_eq!(&entry["rule"], &Value::from(ignored.change.rule.as_str()));
            prop_assert_eq!(&entry["reason"], &Value::from(ignored.reason.as_str()));
            prop_assert_eq!(&entry["new"], &ignored.change.new);
        }
        prop_assert_eq!(parsed["scope"].is_null(), report.scope.is_none());
    }

    #[test]
    fn config_sets_aside_what_an_ignore_matches_and_names_every_ignore_that_matched_nothing(
        changes in prop::collection::vec(small_change(), 0..8),
        ignores in prop::collection::vec(small_ignore(), 0..4),
    ) {
        let config = Config { ignore: ignores.clone(), ..Config::default() };
        let applied = config.apply(changes.clone());
        prop_assert_eq!(applied.kept.len() + applied.ignored.len(), changes.len());
        for kept in &applied.kept {
            prop_assert!(!ignores.iter().any(|i| i.matches(kept)));
        }
        for ignored in &applied.ignored {
            let first = ignores.iter().find(|i| i.matches(&ignored.change));
            prop_assert_eq!(first.map(|i| i.reason.as_str()), Some(ignored.reason.as_str()));
        }
        let unused: Vec<&str> = applied.unused.iter().map(|u| u.location.as_str()).collect();
        let expected: Vec<&str> = ignores
            .iter()
            .filter(|i| !changes.iter().any(|c| i.matches(c)))
            .map(|i| i.location.as_str())
            .collect();
        prop_assert_eq!(unused, expected);
    }

    #[test]
    fn junit_lists_every_crd_once(report in a_report()) {
        let out = junit::render(&report);
        prop_assert_eq!(out.matches("<testcase ").count(), report.crds);
        prop_assert!(out.ends_with("</testsuites>\n"));
    }
}

/// Changes over few rules, CRDs and paths, so that ignores match some of them.
fn small_change() -> impl Strategy<Value = Change> {
    (
        prop::sample::select(vec![RuleId::FieldRemoved, RuleId::TypeChanged]),
        prop::sample::select(vec!["a.x.io", "b.x.io"]),
        prop::sample::select(vec!["/spec/x", "/spec/x/y", "/spec/xy", "/status"]),
    )
        .prop_map(|(rule, crd, path)| Change::new(rule, crd, Some("v1"), path.to_string()))
}

/// Ignores over the same few rules, CRDs and paths; each with its own location and reason.
fn small_ignore() -> impl Strategy<Value = Ignore> {
    (
        prop::sample::select(vec![RuleId::FieldRemoved, RuleId::TypeChanged]),
        prop::option::of(prop::sample::select(vec!["a.x.io", "b.x.io", "c.x.io"])),
        prop::option::of(prop::sample::select(vec!["/spec/x", "/spec", "/spec/z"])),
        0u32..1000,
    )
        .prop_map(|(rule, crd, path, n)| Ignore {
            rule,
            crd: crd
                .map(str::to_string)
                .or_else(|| path.is_none().then(|| "a.x.io".to_string())),
            path: path.map(str::to_string),
            reason: format!("reason {n}"),
            location: format!("c.yaml:{n}:3"),
        })
}

/// `|` characters that GFM reads as cell borders: those not escaped by a backslash (a backslash
/// escapes the next character, so `\\|` is an escaped backslash and then a border).
fn cell_borders(row: &str) -> usize {
    let mut borders = 0;
    let mut chars = row.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '|' => borders += 1,
            _ => {}
        }
    }
    borders
}

/// Characters XML 1.0 does not allow in a document at all.
fn xml_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Decodes the five entities and numeric references the JUnit writer emits.
fn xml_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').expect("an entity ends with ;");
        let entity = &tail[1..end];
        out.push(match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            n => char::from_u32(
                n.strip_prefix('#')
                    .expect("numeric reference")
                    .parse()
                    .expect("decimal"),
            )
            .expect("a char"),
        });
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}
