//! End-to-end tests of `nexus datamodel diff`: the built binary on files in testdata/.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn nexus() -> Command {
    let mut cmd = Command::cargo_bin("nexus").expect("binary");
    cmd.env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn diff_json(old: &str, new: &str, extra: &[&str]) -> (i32, Value) {
    let out = nexus()
        .args(["datamodel", "diff", old, new, "--format", "json"])
        .args(extra)
        .output()
        .expect("run");
    let code = out.status.code().expect("exit code");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, json)
}

fn rules_of(json: &Value) -> Vec<(String, String)> {
    json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["rule"].as_str().unwrap().to_string(),
                c["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const ORG: &str = "testdata/diff/orgchart";

#[test]
fn identical_sets_have_no_changes_and_exit_0() {
    let (code, json) = diff_json(&format!("{ORG}/base"), &format!("{ORG}/base"), &[]);
    assert_eq!(code, 0);
    assert_eq!(json["verdict"], "compatible");
    assert_eq!(json["changes"].as_array().unwrap().len(), 0);
}

#[test]
fn compatible_edit_exits_0_and_lists_compatible_changes() {
    let (code, json) = diff_json(&format!("{ORG}/base"), &format!("{ORG}/compatible"), &[]);
    assert_eq!(code, 0);
    assert_eq!(json["verdict"], "compatible");
    let rules = rules_of(&json);
    assert!(
        rules
            .iter()
            .any(|(r, p)| r == "field-added" && p.ends_with("/properties/spec/properties/phone")),
        "{rules:?}"
    );
    assert!(
        rules.iter().any(|(r, _)| r == "description-changed"),
        "{rules:?}"
    );
    assert_eq!(json["summary"]["breaking"], 0);
}

#[test]
fn breaking_edit_exits_1_with_the_required_field() {
    let (code, json) = diff_json(&format!("{ORG}/base"), &format!("{ORG}/breaking"), &[]);
    assert_eq!(code, 1);
    assert_eq!(json["verdict"], "breaking");
    let required = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == "required-added")
        .expect("required-added");
    assert_eq!(required["crd"], "leaders.root.orgchart.org");
    assert_eq!(required["version"], "v1");
    assert_eq!(
        required["path"],
        "/spec/versions/name=v1/schema/openAPIV3Schema/properties/spec/required"
    );
    assert_eq!(required["field"], ".spec.additionalField");
    assert_eq!(required["new"], "additionalField");
    assert!(
        rules_of(&json)
            .iter()
            .any(|(r, _)| r == "enum-value-removed")
    );
}

#[test]
fn force_and_fail_on_decide_the_exit_code() {
    let old = format!("{ORG}/base");
    let brk = format!("{ORG}/breaking");
    let comp = format!("{ORG}/compatible");
    for (args, new, want) in [
        (vec!["--force"], &brk, 0),
        (vec!["-f"], &brk, 0),
        (vec!["--force=true"], &brk, 0),
        (vec!["--force=false"], &brk, 1),
        (vec!["--fail-on", "never"], &brk, 0),
        (vec!["--fail-on=warning"], &comp, 0),
        (vec!["--fail-on", "warning"], &brk, 1),
    ] {
        let out = nexus()
            .args(["datamodel", "diff", &old, new])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(want), "{args:?} {new}");
    }
    let (_, forced) = diff_json(&old, &brk, &["--force"]);
    assert_eq!(forced["forced"], true);
    assert_eq!(forced["verdict"], "breaking");
}

#[test]
fn text_report_of_a_breaking_edit() {
    let out = nexus()
        .args([
            "datamodel",
            "diff",
            &format!("{ORG}/base"),
            &format!("{ORG}/breaking"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn every_format_renders_the_breaking_edit() {
    for format in ["markdown", "github", "junit"] {
        let out = nexus()
            .args([
                "datamodel",
                "diff",
                &format!("{ORG}/base"),
                &format!("{ORG}/breaking"),
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        insta::assert_snapshot!(
            format!("format_{format}"),
            String::from_utf8(out.stdout).unwrap()
        );
    }
}

#[test]
fn each_corpus_sample_diffed_with_itself_is_empty() {
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus")).unwrap()
    {
        let dir = entry.unwrap().path();
        for side in ["old", "new"] {
            let p = dir.join(side);
            let p = p.to_str().unwrap();
            let (code, json) = diff_json(p, p, &[]);
            assert_eq!(code, 0, "{p}");
            assert_eq!(json["changes"], Value::Array(vec![]), "{p}");
        }
    }
}

#[test]
fn rules_command_lists_the_catalogue() {
    let out = nexus().args(["datamodel", "rules"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for rule in nexus::rules::CATALOGUE {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(rule.id.as_str()))
            .unwrap_or_else(|| panic!("{} missing", rule.id));
        assert!(line.contains(rule.default_severity.as_str()));
    }
}
