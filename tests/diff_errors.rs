//! Every bad input ends in one clear line on stderr and exit 2 — never a panic or a backtrace.

use assert_cmd::Command;
use std::io::Write;
use std::path::Path;

const BASE: &str = "testdata/diff/orgchart/base";

fn nexus_in(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("nexus").expect("binary");
    cmd.env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .current_dir(dir);
    cmd
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `diff OLD NEW`, asserts exit 2 and a single stderr line, and returns that line.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = nexus_in(dir)
        .args(["datamodel", "diff"])
        .args(args)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "args {args:?}: stderr {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line expected: {stderr}"
    );
    stderr
}

#[test]
fn missing_file() {
    let err = fails(root(), &[BASE, "testdata/no/such/dir"]);
    assert!(err.contains("testdata/no/such/dir"), "{err}");
}

#[test]
fn malformed_yaml_names_line_and_column() {
    let err = fails(root(), &[BASE, "testdata/errors/malformed.yaml"]);
    assert!(err.contains("testdata/errors/malformed.yaml:"), "{err}");
    let loc = err.split("malformed.yaml:").nth(1).unwrap();
    assert!(
        loc.chars().next().unwrap().is_ascii_digit(),
        "line number expected: {err}"
    );
}

#[test]
fn two_crds_with_one_name_names_both_files() {
    let err = fails(root(), &[BASE, "testdata/errors/duplicate"]);
    assert!(err.contains("a.yaml") && err.contains("b.yaml"), "{err}");
    assert!(err.contains("leaders.root.orgchart.org"), "{err}");
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = 'a';
    for c in 'b'..='k' {
        bomb.push_str(&format!(
            "{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = c;
    }
    std::fs::write(dir.path().join("bomb.yaml"), bomb).unwrap();
    let start = std::time::Instant::now();
    let err = fails(dir.path(), &["bomb.yaml", "bomb.yaml"]);
    assert!(err.contains("bomb.yaml"), "{err}");
    // Expanding it would take minutes and gigabytes; refusing it is immediate.
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn deeply_nested_schema_does_not_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let mut f = std::fs::File::create(dir.path().join("deep.yaml")).unwrap();
    write!(f, "{}", "[".repeat(depth)).unwrap();
    write!(f, "{}", "]".repeat(depth)).unwrap();
    drop(f);
    let err = fails(dir.path(), &["deep.yaml", "deep.yaml"]);
    assert!(err.contains("deep.yaml"), "{err}");
}

#[test]
fn invalid_utf8_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), b"kind: \xff\xfe\n").unwrap();
    let err = fails(dir.path(), &["bad.yaml", "bad.yaml"]);
    assert!(err.contains("bad.yaml"), "{err}");
}

#[test]
fn unknown_git_revision_and_absent_path() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    std::fs::create_dir_all(dir.path().join("crds")).unwrap();
    std::fs::copy(
        root().join(BASE).join("root_leader.yaml"),
        dir.path().join("crds/leader.yaml"),
    )
    .unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("crds/leader.yaml")).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "one", &tree, &[])
        .unwrap();

    let err = fails(dir.path(), &["git:no-such-rev:crds", "crds"]);
    assert!(err.contains("no-such-rev"), "{err}");
    let err = fails(dir.path(), &["git:HEAD:not/there", "crds"]);
    assert!(err.contains("not/there"), "{err}");
    // And the happy path: the committed set equals the one on disk.
    let out = nexus_in(dir.path())
        .args(["datamodel", "diff", "git:HEAD:crds", "crds"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn config_errors() {
    let err = fails(
        root(),
        &[
            BASE,
            BASE,
            "--config",
            "testdata/errors/unknown-rule.nexus-compat.yaml",
        ],
    );
    assert!(err.contains("no-such-rule"), "{err}");
    let err = fails(
        root(),
        &[
            BASE,
            BASE,
            "--config",
            "testdata/errors/no-reason.nexus-compat.yaml",
        ],
    );
    assert!(err.contains("reason"), "{err}");
    let err = fails(
        root(),
        &[BASE, BASE, "--config", "testdata/errors/absent.yaml"],
    );
    assert!(err.contains("absent.yaml"), "{err}");
}

#[test]
fn bad_flags_exit_2() {
    let out = nexus_in(root())
        .args(["datamodel", "diff", BASE, BASE, "--format", "xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = nexus_in(root())
        .args(["datamodel", "diff", BASE])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_empty_side_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = nexus_in(root())
        .args([
            "datamodel",
            "diff",
            dir.path().to_str().unwrap(),
            BASE,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["changes"][0]["rule"], "crd-added");
}

#[test]
fn stdin_on_both_sides_is_refused() {
    let err = fails(root(), &["-", "-"]);
    assert!(err.contains("standard input"), "{err}");
}

#[test]
fn a_report_that_cannot_be_written_is_an_error_not_a_pass() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: this system has no /dev/full");
        return;
    }
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("nexus"))
        .current_dir(root())
        .args([
            "datamodel",
            "diff",
            BASE,
            "testdata/diff/orgchart/compatible",
            "--format",
            "json",
        ])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the report"));
}
