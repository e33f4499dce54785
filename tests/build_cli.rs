//! End-to-end tests of `nexus datamodel build`: the built binary in temporary git repositories
//! holding a copy of the orgchart datamodel (testdata/datamodels/orgchart). Covers the six cases
//! the nexus documentation promises (RULES.md), --force, the baselines and atomic output.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

const ORGCHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/datamodels/orgchart");

struct Workspace {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Workspace {
    /// A copy of the orgchart in a fresh directory; `git` makes it a repository.
    fn new(git: bool) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("orgchart");
        fs::create_dir_all(&root).unwrap();
        for f in ["go.mod", "nexus.yaml", "root.go"] {
            fs::copy(Path::new(ORGCHART).join(f), root.join(f)).unwrap();
        }
        if git {
            git2::Repository::init(&root).unwrap();
        }
        Workspace { _dir: dir, root }
    }

    fn build(&self, args: &[&str]) -> std::process::Output {
        Command::cargo_bin("nexus")
            .unwrap()
            .env("NO_COLOR", "1")
            .current_dir(&self.root)
            .args(["datamodel", "build"])
            .args(args)
            .output()
            .unwrap()
    }

    fn build_json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let out = self.build(&all);
        let code = out.status.code().unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{e}: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, json)
    }

    fn edit(&self, from: &str, to: &str) {
        let path = self.root.join("root.go");
        let src = fs::read_to_string(&path).unwrap();
        assert!(src.contains(from), "{from} not in root.go");
        fs::write(&path, src.replacen(from, to, 1)).unwrap();
    }

    /// Commits everything (datamodel and build/crds) on the current branch.
    fn commit(&self, message: &str) -> git2::Oid {
        let repo = git2::Repository::open(&self.root).unwrap();
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("test", "test@example.com").unwrap();
        let parents: Vec<git2::Commit> = repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    }

    fn leader_crd(&self) -> String {
        fs::read_to_string(self.root.join("build/crds/root_leader.yaml")).unwrap()
    }

    /// A first build, committed: the baseline for the next build.
    fn first_build_committed(git: bool) -> Workspace {
        let ws = Workspace::new(git);
        let out = ws.build(&[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if git {
            ws.commit("first build");
        }
        ws
    }
}

fn rules(json: &Value) -> Vec<String> {
    json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn first_build_has_no_baseline_and_writes_every_crd() {
    let ws = Workspace::new(true);
    let out = ws.build(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("first build"), "{text}");
    let mut files: Vec<String> = fs::read_dir(ws.root.join("build/crds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            ".nexus-crds",
            "root_engineer.yaml",
            "root_leader.yaml",
            "root_manager.yaml"
        ]
    );
}

#[test]
fn seed_case_optional_field_added_is_compatible() {
    let ws = Workspace::first_build_committed(true);
    ws.edit("Location      string  `json:\"location,omitempty\"`", "Location      string  `json:\"location,omitempty\"`\n\tPhone string `json:\"phone,omitempty\"`");
    let (code, json) = ws.build_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(rules(&json), ["field-added"]);
    assert!(ws.leader_crd().contains("phone:"));
}

#[test]
fn seed_case_rest_api_uris_changed_is_compatible() {
    let ws = Workspace::first_build_committed(true);
    ws.edit("{Uri: \"/leaders\", Methods: nexus.HTTPListResponse},", "");
    let (code, json) = ws.build_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(rules(&json), ["nexus-rest-api-changed"]);
}

#[test]
fn seed_case_rest_api_spec_variable_renamed_is_compatible() {
    let ws = Workspace::first_build_committed(true);
    ws.edit("var LeaderRestAPISpec", "var LeaderAPI");
    ws.edit(
        "nexus-rest-api-gen:LeaderRestAPISpec",
        "nexus-rest-api-gen:LeaderAPI",
    );
    let (code, json) = ws.build_json(&[]);
    assert_eq!(code, 0, "{json}");
    assert!(
        rules(&json).iter().all(|r| r == "nexus-rest-api-changed"),
        "{json}"
    );
}

#[test]
fn seed_case_required_field_added_fails_and_writes_nothing() {
    let ws = Workspace::first_build_committed(true);
    let before = ws.leader_crd();
    ws.edit("\tDesignation   string\n\tDirectReports Manager", "\tDesignation   string\n\tAdditionalField string `json:\"additionalField\"`\n\tDirectReports Manager");
    let out = ws.build(&[]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("detected changes in model stored in leaders.root.orgchart.org"),
        "{text}"
    );
    assert!(text.contains("spec changes:"), "{text}");
    assert!(
        text.contains("/spec/versions/name=v1/schema/openAPIV3Schema/properties/spec/required"),
        "{text}"
    );
    assert!(text.contains("+ one required field added:"), "{text}");
    assert!(text.contains("additionalField"), "{text}");
    // The refusal names the next step for stored objects, not only --force.
    assert!(
        text.ends_with("use --force=true to build anyway; objects of leaders.root.orgchart.org already stored in a cluster then need a migration step: nexus datamodel migrate create <slug> --crd leaders.root.orgchart.org\n"),
        "{text}"
    );
    assert!(
        text.contains("    .spec.additionalField: required field additionalField added to .spec\n"),
        "{text}"
    );
    assert_eq!(ws.leader_crd(), before, "nothing may be written");

    for force in ["--force=true", "--force", "-f"] {
        let out = ws.build(&[force]);
        assert_eq!(out.status.code(), Some(0), "{force}");
    }
    assert!(ws.leader_crd().contains("additionalField"));
    let out = ws.build(&["--force=false"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn seed_case_required_field_removed_is_breaking() {
    let ws = Workspace::first_build_committed(true);
    ws.edit(
        "\tName          string\n\tDesignation   string\n\tDirectReports Manager",
        "\tName          string\n\tDirectReports Manager",
    );
    let (code, json) = ws.build_json(&[]);
    assert_eq!(code, 1);
    let r = rules(&json);
    assert!(
        r.contains(&"field-removed".to_string()) && r.contains(&"required-removed".to_string()),
        "{r:?}"
    );
}

#[test]
fn seed_case_optional_field_removed_is_breaking() {
    let ws = Workspace::first_build_committed(true);
    ws.edit(
        "\tLocation      string  `json:\"location,omitempty\"`\n",
        "",
    );
    let (code, json) = ws.build_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(rules(&json), ["field-removed"]);
}

#[test]
fn baseline_is_head_not_the_working_tree() {
    // The committed build/crds is the baseline even when the directory on disk was rebuilt.
    let ws = Workspace::first_build_committed(true);
    ws.edit(
        "\tLocation      string  `json:\"location,omitempty\"`\n",
        "",
    );
    assert_eq!(ws.build(&["--force"]).status.code(), Some(0));
    let out = ws.build(&[]);
    assert_eq!(out.status.code(), Some(1), "HEAD still has the field");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("build/crds at "), "{text}");
}

#[test]
fn prev_spec_branch_reads_another_revision() {
    let ws = Workspace::first_build_committed(true);
    let repo = git2::Repository::open(&ws.root).unwrap();
    let first = repo.head().unwrap().peel_to_commit().unwrap();
    repo.branch("release", &first, false).unwrap();
    // On the current branch, drop the optional field on purpose and commit it.
    ws.edit(
        "\tLocation      string  `json:\"location,omitempty\"`\n",
        "",
    );
    assert_eq!(ws.build(&["--force"]).status.code(), Some(0));
    ws.commit("drop location");
    // Against HEAD nothing changed; against the release branch the field is gone.
    let (code, json) = ws.build_json(&[]);
    assert_eq!((code, rules(&json).len()), (0, 0), "{json}");
    let (code, json) = ws.build_json(&["--prev-spec-branch", "release"]);
    assert_eq!(code, 1);
    assert_eq!(rules(&json), ["field-removed"]);
    let out = ws.build(&["--prev-spec-branch", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-branch"));
}

#[test]
fn prev_spec_dir_outside_git() {
    let ws = Workspace::first_build_committed(false);
    ws.edit(
        "\tLocation      string  `json:\"location,omitempty\"`\n",
        "",
    );
    let out = ws.build(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("build/crds on disk")
    );
    // Another directory as the baseline: a copy of the old output.
    fs::rename(ws.root.join("build/crds"), ws.root.join("previous")).unwrap();
    let (code, json) = ws.build_json(&["--prev-spec-dir", "previous"]);
    assert_eq!(code, 1);
    assert_eq!(rules(&json), ["field-removed"]);
}

#[test]
fn prev_spec_dir_outside_the_git_repository_is_read_from_disk() {
    // CLI.md: the directory is read at HEAD only when HEAD holds it; a directory outside the
    // repository cannot be there, so it is read from disk, in both flag forms.
    let ws = Workspace::first_build_committed(true);
    let elsewhere = tempfile::tempdir().unwrap();
    let prev = elsewhere.path().join("crds");
    fs::create_dir(&prev).unwrap();
    for entry in fs::read_dir(ws.root.join("build/crds")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), prev.join(entry.file_name())).unwrap();
    }
    ws.edit(
        "\tLocation      string  `json:\"location,omitempty\"`\n",
        "",
    );
    ws.commit("drop location");
    let prev_text = prev.to_str().unwrap();
    let joined = format!("--prev-spec-dir={prev_text}");
    for args in [vec![joined.as_str()], vec!["--prev-spec-dir", prev_text]] {
        let out = ws.build(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains(&format!("baseline: {prev_text} on disk")),
            "{args:?}: {text}"
        );
        let mut json_args = args.clone();
        json_args.push("--force");
        let (code, json) = ws.build_json(&json_args);
        assert_eq!((code, rules(&json)), (0, vec!["field-removed".to_string()]));
    }
    // A relative path that leads out of the repository is the same directory.
    let relative = pathdiff(&prev, &ws.root);
    let (code, json) = ws.build_json(&["--prev-spec-dir", &relative]);
    assert_eq!((code, rules(&json)), (1, vec!["field-removed".to_string()]));
    // --prev-spec-branch reads git only: outside the repository it is refused, saying what to do.
    let out = ws.build(&["--prev-spec-branch", "HEAD", "--prev-spec-dir", prev_text]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("outside the git repository") && err.contains("leave out --prev-spec-branch"),
        "{err}"
    );
}

/// `target` relative to `base` (both absolute, `base` below a temporary directory).
fn pathdiff(target: &Path, base: &Path) -> String {
    let ups = base.components().count();
    let mut out = PathBuf::new();
    for _ in 0..ups {
        out.push("..");
    }
    out.push(target.strip_prefix("/").unwrap());
    out.display().to_string()
}

#[test]
fn a_kill_at_any_point_leaves_a_complete_old_or_new_set() {
    let ws = Workspace::first_build_committed(false);
    let old = ws.leader_crd();
    ws.edit("Location      string  `json:\"location,omitempty\"`", "Location      string  `json:\"location,omitempty\"`\n\tPhone string `json:\"phone,omitempty\"`");
    for (point, expect_new) in [("after-staging", false), ("after-exchange", true)] {
        let out = Command::cargo_bin("nexus")
            .unwrap()
            .env("NEXUS_FAILPOINT", point)
            .current_dir(&ws.root)
            .args(["datamodel", "build"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{point}: the failpoint aborts");
        let now = ws.leader_crd();
        assert_eq!(now.contains("phone:"), expect_new, "{point}");
        let count = fs::read_dir(ws.root.join("build/crds")).unwrap().count();
        assert_eq!(count, 4, "{point}: a complete set (3 CRDs and the marker)");
        if !expect_new {
            assert_eq!(now, old);
        }
        // The next run cleans up whatever the kill left beside the output.
        assert_eq!(ws.build(&[]).status.code(), Some(0));
        let leftovers: Vec<_> = fs::read_dir(ws.root.join("build"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "crds" && n != ".nexus-last-build.json")
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        fs::write(ws.root.join("build/crds/root_leader.yaml"), &old).unwrap();
    }
}

#[test]
fn datamodel_errors_exit_2_with_file_and_line() {
    let ws = Workspace::new(false);
    ws.edit("type Engineer struct {", "type Engineer struct {{");
    let out = ws.build(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("root.go:"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn absolute_paths_name_the_same_baseline_as_relative_ones() {
    let ws = Workspace::first_build_committed(true);
    ws.edit(
        "\tLocation      string  `json:\"location,omitempty\"`\n",
        "",
    );
    let abs = ws.root.join("build/crds");
    let abs = abs.to_str().unwrap();
    let (code, json) = ws.build_json(&["--output", abs]);
    assert_eq!((code, rules(&json)), (1, vec!["field-removed".to_string()]));
    let out = ws.build(&["--output", abs, "--prev-spec-dir", abs]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("baseline: ") && text.contains(" at "),
        "read from git, not disk: {text}"
    );
    let (code, _) = ws.build_json(&["--prev-spec-branch", "HEAD", "--prev-spec-dir", abs]);
    assert_eq!(code, 1);
}

#[test]
fn the_baseline_is_build_crds_whatever_the_output() {
    // CLI.md: --prev-spec-dir defaults to build/crds, not to --output.
    let ws = Workspace::first_build_committed(true);
    ws.edit(
        "\tLocation      string  `json:\"location,omitempty\"`\n",
        "",
    );
    let (code, json) = ws.build_json(&["--output", "elsewhere"]);
    assert_eq!((code, rules(&json)), (1, vec!["field-removed".to_string()]));
    assert!(
        !ws.root.join("elsewhere").exists(),
        "nothing written on a breaking change"
    );
}
