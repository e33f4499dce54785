//! Golden tests of the five report formats, on reports built by hand so that each renderer is
//! tested apart from the checker. Snapshots live in `tests/snapshots/`; review every change.

use nexus::report::text::{self, Mode, TextOptions};
use nexus::report::{
    Change, FailOn, IgnoredChange, Report, SideInfo, github, json, junit, markdown,
};
use nexus::rules::RuleId;
use serde_json::{Value, json};

const LEADERS: &str = "leaders.root.orgchart.org";
const EMPLOYEES: &str = "employees.role.orgchart.org";
const UNCHANGED: &str = "mgrs.management.orgchart.org";
const SCHEMA: &str = "/spec/versions/name=v1/schema/openAPIV3Schema";

fn side(label: &str, crds: usize) -> SideInfo {
    SideInfo {
        label: label.to_string(),
        crds,
        skipped_documents: 0,
    }
}

fn change(rule: RuleId, crd: &str, version: Option<&str>, path: &str) -> Change {
    Change::new(rule, crd, version, path.to_string())
}

/// Breaking, warning and compatible changes across two CRDs and all four sections, one more CRD
/// without changes.
fn mixed() -> Report {
    let changes = vec![
        // crd changes
        change(RuleId::CrdVersionAdded, LEADERS, Some("v2"), "/spec/versions/name=v2")
            .message("version v2 added")
            .values(Value::Null, json!("v2")),
        change(RuleId::CrdNamesChanged, LEADERS, None, "/spec/names/shortNames")
            .message("short name ldr removed")
            .values(json!(["ldr", "lead"]), json!(["lead"])),
        // spec changes
        change(RuleId::RequiredAdded, LEADERS, Some("v1"), &format!("{SCHEMA}/properties/spec/required"))
            .field(".spec.additionalField")
            .message("required field additionalField added to .spec")
            .values(Value::Null, json!("additionalField")),
        change(
            RuleId::FieldAdded,
            LEADERS,
            Some("v1"),
            &format!("{SCHEMA}/properties/spec/properties/nickname"),
        )
        .field(".spec.nickname")
        .message("optional field nickname added to .spec")
        .values(Value::Null, json!({"type": "string", "maxLength": 64})),
        change(
            RuleId::DescriptionChanged,
            LEADERS,
            Some("v1"),
            &format!("{SCHEMA}/properties/spec/properties/designation/description"),
        )
        .field(".spec.designation")
        .message("description of .spec.designation changed")
        .values(
            json!("Designation of the leader.\nOne of CEO, CTO or CFO.\nSet once at creation.\nNever changes."),
            json!("Designation of the leader.\nOne of CEO, CTO, CFO or COO.\nSet once at creation.\nNever changes."),
        ),
        // status changes
        change(
            RuleId::EnumValueAdded,
            LEADERS,
            Some("v1"),
            &format!("{SCHEMA}/properties/status/properties/phase/enum"),
        )
        .field(".status.phase")
        .message("enum value Paused added to .status.phase")
        .values(Value::Null, json!("Paused")),
        change(
            RuleId::TypeChanged,
            LEADERS,
            Some("v1"),
            &format!("{SCHEMA}/properties/status/properties/reports/type"),
        )
        .field(".status.reports")
        .message("type of .status.reports changed from integer to string")
        .values(json!("integer"), json!("string")),
        // nexus annotation changes
        change(RuleId::NexusChildRemoved, LEADERS, None, "/metadata/annotations/nexus/children/mgrs.management.orgchart.org")
            .message("child EngManagers (mgrs.management.orgchart.org) removed")
            .values(json!({"fieldName": "EngManagers", "fieldNameGvk": "engManagersGvk", "isNamed": false}), Value::Null),
        change(RuleId::NexusRestApiChanged, LEADERS, None, "/metadata/annotations/nexus/nexus-rest-api-gen")
            .message("REST API spec changed")
            .values(json!({"uris": [{"uri": "/leaders"}]}), json!({"uris": [{"uri": "/leaders"}, {"uri": "/leader/{id}"}]})),
        // A second CRD: a breaking default change, a CEL rule rewritten over several lines.
        change(
            RuleId::DefaultChanged,
            EMPLOYEES,
            Some("v1"),
            &format!("{SCHEMA}/properties/spec/properties/schedule/default"),
        )
        .field(".spec.schedule")
        .message("default of .spec.schedule changed")
        .values(json!({"days": 5, "remote": false}), json!({"days": 4, "remote": true})),
        change(
            RuleId::CelRuleChanged,
            EMPLOYEES,
            Some("v1"),
            &format!("{SCHEMA}/properties/spec/x-kubernetes-validations/rule=self.age >= 18"),
        )
        .field(".spec")
        .message("validation rule of .spec changed")
        .values(
            json!({"rule": "self.age >= 18 &&\nself.age <= 70", "message": "age out of range"}),
            json!({"rule": "self.age >= 16 &&\nself.age <= 70", "message": "age out of range"}),
        ),
        change(
            RuleId::MaxRelaxed,
            EMPLOYEES,
            Some("v1"),
            &format!("{SCHEMA}/properties/spec/properties/name/maxLength"),
        )
        .field(".spec.name")
        .message("maxLength of .spec.name raised from 32 to 64")
        .values(json!(32), json!(64)),
    ];
    Report::new(
        side("git:main:build/crds", 3),
        side("build/crds", 3),
        changes,
        3,
    )
    .with_crd_names([LEADERS, EMPLOYEES, UNCHANGED])
}

/// Only compatible changes and a warning: nothing fails.
fn passing() -> Report {
    let changes = vec![
        change(
            RuleId::FieldAdded,
            LEADERS,
            Some("v1"),
            &format!("{SCHEMA}/properties/spec/properties/nickname"),
        )
        .field(".spec.nickname")
        .message("optional field nickname added to .spec")
        .values(Value::Null, json!({"type": "string"})),
        change(
            RuleId::RequiredRemoved,
            LEADERS,
            Some("v1"),
            &format!("{SCHEMA}/properties/spec/required"),
        )
        .field(".spec.designation")
        .message("designation is no longer required in .spec")
        .values(json!("designation"), Value::Null),
    ];
    Report::new(
        side("build/crds at main (3f2a1c9)", 1),
        side("generated", 1),
        changes,
        1,
    )
    .with_crd_names([LEADERS])
}

fn empty() -> Report {
    Report::new(side("old", 2), side("new", 2), Vec::new(), 2).with_crd_names([LEADERS, EMPLOYEES])
}

/// A first build: the old side is empty; documents skipped; changes ignored by config.
fn first_build() -> Report {
    let changes = vec![
        change(RuleId::CrdAdded, LEADERS, None, "").message("CRD leaders.root.orgchart.org added"),
        change(RuleId::CrdAdded, EMPLOYEES, None, "")
            .message("CRD employees.role.orgchart.org added"),
    ];
    let mut report = Report::new(
        SideInfo {
            label: "build/crds".into(),
            crds: 0,
            skipped_documents: 0,
        },
        SideInfo {
            label: "generated".into(),
            crds: 2,
            skipped_documents: 3,
        },
        changes,
        2,
    );
    report.ignored = vec![IgnoredChange {
        change: change(
            RuleId::NexusRestApiChanged,
            LEADERS,
            None,
            "/metadata/annotations/nexus/nexus-rest-api-gen",
        )
        .message("REST API spec changed"),
        reason: "the REST API is generated again on every build".into(),
    }];
    report
}

/// Values and names with every character some format must escape.
fn hostile() -> Report {
    let crd = "weird.example.com";
    let changes = vec![
        change(
            RuleId::EnumValueRemoved,
            crd,
            Some("v1"),
            &format!("{SCHEMA}/properties/spec/properties/op|mode/enum"),
        )
        .field(".spec.op|mode")
        .message("enum value `a|b` <script> & 100% removed from .spec.op|mode")
        .values(
            json!(["a|b", "<x>", "100%", "ünïcødé ✓"]),
            json!(["<x>", "100%", "ünïcødé ✓"]),
        ),
        change(
            RuleId::PatternChanged,
            crd,
            Some("v1"),
            &format!("{SCHEMA}/properties/spec/properties/code/pattern"),
        )
        .field(".spec.code")
        .message(
            "pattern of .spec.code changed:\nold and new differ, see \"values\", it's 'quoted'",
        )
        .values(json!("^[a-z]+$"), json!("^[a-z0-9]+$\u{1b}[2J")),
        change(
            RuleId::DescriptionChanged,
            crd,
            Some("v1"),
            &format!("{SCHEMA}/properties/spec/properties/code/description"),
        )
        .field(".spec.code")
        .message("description of .spec.code changed")
        .values(
            json!("Code, e.g. `a|b`\n<b>bold</b> & 50%"),
            json!("Code, e.g. `a|b`\n<b>bolder</b> & 60%"),
        ),
    ];
    Report::new(side("old|<dir>", 1), side("new`dir`", 1), changes, 1).with_crd_names([crd])
}

fn text_opts(verbose: bool, mode: Mode) -> TextOptions {
    TextOptions {
        color: false,
        verbose,
        mode,
    }
}

fn build_mode() -> Mode {
    Mode::Build {
        baseline: "build/crds at main (3f2a1c9)".into(),
    }
}

#[test]
fn text_diff() {
    insta::assert_snapshot!(text::render(&mixed(), &text_opts(false, Mode::Diff)));
}

#[test]
fn text_diff_verbose() {
    insta::assert_snapshot!(text::render(&mixed(), &text_opts(true, Mode::Diff)));
}

#[test]
fn text_diff_forced() {
    let mut report = mixed();
    report.forced = true;
    insta::assert_snapshot!(text::render(&report, &text_opts(false, Mode::Diff)));
}

#[test]
fn text_build_failed() {
    insta::assert_snapshot!(text::render(&mixed(), &text_opts(false, build_mode())));
}

#[test]
fn text_build_forced() {
    let mut report = mixed();
    report.forced = true;
    insta::assert_snapshot!(text::render(&report, &text_opts(false, build_mode())));
}

#[test]
fn text_build_passing() {
    insta::assert_snapshot!(text::render(&passing(), &text_opts(false, build_mode())));
}

#[test]
fn text_empty() {
    insta::assert_snapshot!(text::render(&empty(), &text_opts(false, Mode::Diff)));
}

#[test]
fn text_first_build_verbose() {
    insta::assert_snapshot!(text::render(&first_build(), &text_opts(true, build_mode())));
}

#[test]
fn text_hostile() {
    insta::assert_snapshot!(text::render(&hostile(), &text_opts(true, Mode::Diff)));
}

#[test]
fn text_colour() {
    let opts = TextOptions {
        color: true,
        verbose: true,
        mode: Mode::Diff,
    };
    insta::assert_snapshot!(text::render(&mixed(), &opts));
}

#[test]
fn text_without_colour_has_no_escape_sequences() {
    for verbose in [false, true] {
        for report in [mixed(), hostile(), passing(), first_build()] {
            let out = text::render(&report, &text_opts(verbose, Mode::Diff));
            assert!(!out.contains('\x1b'), "{out}");
        }
    }
}

#[test]
fn text_fail_on_warning_fails_on_warnings() {
    let mut report = passing();
    report.fail_on = FailOn::Warning;
    let out = text::render(&report, &text_opts(false, build_mode()));
    // Warnings are not "incompatible", and the way out is the threshold, not --force.
    assert!(out.ends_with("datamodel upgrade stopped by warnings: 0 breaking, 1 warning, 1 compatible in 1 CRD\n--fail-on warning makes warnings fail the build; review them, or use --fail-on breaking to build anyway\n"), "{out}");
    let out = text::render(&report, &text_opts(false, Mode::Diff));
    assert!(out.ends_with("found warnings: 0 breaking, 1 warning, 1 compatible in 1 CRD\n--fail-on warning makes warnings fail the run; review them, or use --fail-on breaking to accept them\n"), "{out}");
    // With a breaking change too, the breaking changes are what the summary is about.
    let mut report = mixed();
    report.fail_on = FailOn::Warning;
    let out = text::render(&report, &text_opts(false, Mode::Diff));
    assert!(
        out.contains("found incompatible changes: 5 breaking"),
        "{out}"
    );
}

#[test]
fn text_ignored_changes_are_counted_and_listed_with_verbose() {
    let out = text::render(&first_build(), &text_opts(false, build_mode()));
    assert!(
        out.contains("\n1 change ignored by config (--verbose lists them)\n"),
        "{out}"
    );
    assert!(!out.contains("reason:"), "{out}");
    let out = text::render(&first_build(), &text_opts(true, build_mode()));
    assert!(
        out.contains(
            "1 change ignored by config:\n  leaders.root.orgchart.org /metadata/annotations/nexus/nexus-rest-api-gen [compatible: nexus-rest-api-changed]\n    REST API spec changed\n    reason: the REST API is generated again on every build\n"
        ),
        "{out}"
    );
}

#[test]
fn json_mixed() {
    insta::assert_snapshot!(json::render(&mixed()));
}

#[test]
fn json_empty() {
    insta::assert_snapshot!(json::render(&empty()));
}

#[test]
fn json_hostile() {
    insta::assert_snapshot!(json::render(&hostile()));
}

/// The keys of CLI.md, in its order, and nothing else.
#[test]
fn json_has_exactly_the_cli_md_keys_and_round_trips() {
    let report = mixed();
    let out = json::render(&report);
    assert!(out.ends_with("}\n"));
    let top_keys: Vec<String> = key_order(&out, 2);
    assert_eq!(
        top_keys,
        [
            "version", "verdict", "forced", "summary", "changes", "ignored", "scope"
        ]
    );

    let parsed: Value = serde_json::from_str(&out).expect("the JSON report parses");
    assert_eq!(parsed["version"], json!(1));
    assert_eq!(parsed["verdict"], json!("breaking"));
    assert_eq!(parsed["forced"], json!(false));
    assert_eq!(
        parsed["summary"],
        json!({"breaking": 5, "warning": 2, "compatible": 5, "crds": 3})
    );
    let changes = parsed["changes"].as_array().expect("changes is an array");
    assert_eq!(changes.len(), report.changes.len());
    let change_keys = [
        "rule", "severity", "crd", "version", "path", "field", "message", "old", "new",
    ];
    for (entry, change) in changes.iter().zip(&report.changes) {
        let keys: Vec<&str> = entry
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        // serde_json keeps the order of the keys as written (feature preserve_order).
        assert_eq!(keys, change_keys);
        assert_eq!(entry["rule"], json!(change.rule.as_str()));
        assert_eq!(entry["old"], change.old);
        assert_eq!(entry["new"], change.new);
        assert_eq!(entry["version"], json!(change.version));
        assert_eq!(entry["field"], json!(change.field));
    }
    // The order of the keys inside a change, as written.
    assert_eq!(key_order(&out, 6), change_keys.repeat(changes.len()));
    // The summary keys, as written.
    assert_eq!(
        key_order(&out, 4),
        ["breaking", "warning", "compatible", "crds"]
    );
}

/// Keys written at one indentation depth of the pretty output, in order.
fn key_order(pretty: &str, indent: usize) -> Vec<String> {
    pretty
        .lines()
        .filter(|l| {
            l.len() > indent
                && l[..indent].bytes().all(|b| b == b' ')
                && l.as_bytes()[indent] == b'"'
        })
        .filter_map(|l| {
            l.trim_start()
                .strip_prefix('"')?
                .split_once("\":")
                .map(|(k, _)| k.to_string())
        })
        .collect()
}

#[test]
fn json_verdict_follows_fail_on_and_force() {
    let verdict = |r: &Report| {
        serde_json::from_str::<Value>(&json::render(r)).expect("parses")["verdict"].clone()
    };
    let mut report = passing();
    assert_eq!(verdict(&report), json!("compatible"));
    report.fail_on = FailOn::Warning;
    assert_eq!(verdict(&report), json!("breaking"));
    report.forced = true;
    let parsed: Value = serde_json::from_str(&json::render(&report)).expect("parses");
    assert_eq!(
        (parsed["verdict"].clone(), parsed["forced"].clone()),
        (json!("breaking"), json!(true))
    );
    let mut report = mixed();
    report.fail_on = FailOn::Never;
    assert_eq!(verdict(&report), json!("compatible"));
}

#[test]
fn markdown_mixed() {
    insta::assert_snapshot!(markdown::render(&mixed()));
}

#[test]
fn markdown_forced() {
    let mut report = mixed();
    report.forced = true;
    let out = markdown::render(&report);
    assert!(
        out.starts_with("## ⚠️ nexus: incompatible CRD changes (forced)\n"),
        "{out}"
    );
}

#[test]
fn markdown_empty() {
    insta::assert_snapshot!(markdown::render(&empty()));
}

#[test]
fn markdown_first_build() {
    insta::assert_snapshot!(markdown::render(&first_build()));
}

#[test]
fn markdown_hostile() {
    insta::assert_snapshot!(markdown::render(&hostile()));
}

#[test]
fn github_mixed() {
    insta::assert_snapshot!(github::render(&mixed()));
}

#[test]
fn github_empty_and_passing() {
    insta::assert_snapshot!(format!(
        "{}---\n{}",
        github::render(&empty()),
        github::render(&passing())
    ));
}

#[test]
fn github_hostile() {
    insta::assert_snapshot!(github::render(&hostile()));
}

#[test]
fn junit_mixed() {
    insta::assert_snapshot!(junit::render(&mixed()));
}

#[test]
fn junit_empty() {
    insta::assert_snapshot!(junit::render(&empty()));
}

#[test]
fn junit_without_crd_names_counts_unchanged_crds() {
    // The caller did not record names: three CRDs, two with changes.
    let mut report = mixed();
    report.crd_names.clear();
    insta::assert_snapshot!(junit::render(&report));
}

#[test]
fn junit_hostile() {
    let mut report = hostile();
    report.forced = true;
    insta::assert_snapshot!(junit::render(&report));
}

/// One change of every rule in the catalogue: shows every headline and its sign for review.
#[test]
fn text_every_rule() {
    let changes = nexus::rules::CATALOGUE
        .iter()
        .map(|rule| {
            let c = change(
                rule.id,
                "all.example.com",
                Some("v1"),
                &format!("/{}", rule.id),
            );
            match rule.family {
                nexus::rules::Family::Property => c.field(".spec.x"),
                _ => c,
            }
        })
        .collect();
    let report = Report::new(side("old", 1), side("new", 1), changes, 1);
    insta::assert_snapshot!(text::render(&report, &text_opts(true, Mode::Diff)));
}

#[test]
fn markdown_stops_before_a_comment_gets_too_long() {
    let changes: Vec<Change> = (0..310)
        .map(|i| {
            change(
                RuleId::FieldRemoved,
                LEADERS,
                Some("v1"),
                &format!("{SCHEMA}/properties/spec/properties/f{i:03}"),
            )
            .field(format!(".spec.f{i:03}"))
            .message(format!("field f{i:03} removed from .spec"))
        })
        .collect();
    let report = Report::new(side("old", 1), side("new", 1), changes, 1);
    let out = markdown::render(&report);
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("| breaking | `field-removed`"))
            .count(),
        300
    );
    assert!(
        out.contains("`.spec.f299`") && !out.contains("`.spec.f300`"),
        "{out}"
    );
    assert!(
        out.ends_with(
            "10 more changes are not shown here; `--format json` lists every change.\n\n"
        ),
        "{out}"
    );
}
