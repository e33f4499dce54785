//! Reports a person can act on, end to end on the built binary: each change shows its field and
//! what it means, invalid CRDs say why, ignored changes are listed with their reasons, a stale
//! ignore is a warning that names its line, and warnings that fail a run under `--fail-on warning`
//! are called warnings, with `--fail-on` as the way out.

use assert_cmd::Command;
use serde_json::Value;

const DIR: &str = "testdata/diff/actionable";
const IGNORES: &str = "testdata/diff/actionable/ignore-legacy.yaml";

fn nexus() -> Command {
    let mut cmd = Command::cargo_bin("nexus").expect("binary");
    cmd.env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// `diff old.yaml <new>.yaml <extra>`: exit code, stdout, stderr.
fn diff(new: &str, extra: &[&str]) -> (i32, String, String) {
    let out = nexus()
        .args(["datamodel", "diff"])
        .arg(format!("{DIR}/old.yaml"))
        .arg(format!("{DIR}/{new}.yaml"))
        .args(extra)
        .output()
        .expect("run");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

#[test]
fn the_text_report_shows_the_field_and_what_the_change_means() {
    let (code, out, _) = diff("breaking", &[]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
    assert!(
        out.contains("    field .spec.legacy (string) removed: stored values are pruned and clients that set or read it break\n"),
        "{out}"
    );
}

#[test]
fn an_invalid_crd_finding_says_why() {
    let (code, out, _) = diff("invalid", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("    spec.scope must be Namespaced or Cluster, not \"Everywhere\"\n"),
        "{out}"
    );
}

#[test]
fn ignored_changes_are_counted_listed_with_verbose_and_in_json_with_their_reason() {
    let (code, out, _) = diff("breaking", &["--config", IGNORES]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("1 change ignored by config (--verbose lists them)\n"),
        "{out}"
    );

    let (_, out, _) = diff("breaking", &["--config", IGNORES, "-v"]);
    assert!(
        out.contains(
            "1 change ignored by config:\n  widgets.example.com .spec.legacy [breaking: field-removed]\n    field .spec.legacy (string) removed: stored values are pruned and clients that set or read it break\n    reason: nothing ever wrote legacy\n"
        ),
        "{out}"
    );

    let (_, out, _) = diff("breaking", &["--config", IGNORES, "--format", "json"]);
    let json: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(json["changes"], Value::Array(Vec::new()), "{out}");
    let ignored = json["ignored"].as_array().expect("ignored");
    assert_eq!(ignored.len(), 1, "{out}");
    assert_eq!(ignored[0]["rule"], "field-removed");
    assert_eq!(ignored[0]["field"], ".spec.legacy");
    assert_eq!(ignored[0]["reason"], "nothing ever wrote legacy");

    // Nothing ignored: the key is still there, empty.
    let (_, out, _) = diff("breaking", &["--format", "json"]);
    let json: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(json["ignored"], Value::Array(Vec::new()), "{out}");
}

#[test]
fn an_ignore_that_matched_nothing_is_a_warning_naming_its_line() {
    for format in ["text", "json"] {
        let (_, _, err) = diff("breaking", &["--config", IGNORES, "--format", format]);
        assert_eq!(
            err,
            format!(
                "warning: {IGNORES}:7:5: ignore entry for type-changed (crd widgets.example.com) matched no change; remove it, or copy crd and path from the report (--format json lists them)\n"
            ),
            "{format}"
        );
    }
}

#[test]
fn warnings_that_fail_the_run_are_called_warnings_and_point_to_fail_on() {
    let (code, out, _) = diff("warning", &["--fail-on", "warning"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.ends_with(
            "found warnings: 0 breaking, 1 warning, 0 compatible in 1 CRD\n--fail-on warning makes warnings fail the run; review them, or use --fail-on breaking to accept them\n"
        ),
        "{out}"
    );
    assert!(!out.contains("incompatible"), "{out}");
    assert!(!out.contains("--force"), "{out}");
    // Without --fail-on warning the same change passes.
    let (code, out, _) = diff("warning", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no incompatible changes"), "{out}");
}

#[test]
fn github_and_markdown_call_failing_warnings_warnings() {
    let (code, out, _) = diff("warning", &["--fail-on", "warning", "--format", "github"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.ends_with(
            "nexus: warnings fail the run (--fail-on warning): 0 breaking, 1 warning, 0 compatible in 1 CRD\n"
        ),
        "{out}"
    );
    let (code, out, _) = diff("warning", &["--fail-on", "warning", "--format", "markdown"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("## ❌ nexus: CRD warnings (--fail-on warning)\n"),
        "{out}"
    );
    for format in ["github", "markdown"] {
        let (_, out, _) = diff("warning", &["--fail-on", "warning", "--format", format]);
        assert!(!out.contains("incompatible"), "{format}: {out}");
        // A breaking change is still called incompatible.
        let (_, out, _) = diff("breaking", &["--fail-on", "warning", "--format", format]);
        assert!(out.contains("incompatible"), "{format}: {out}");
    }
}
