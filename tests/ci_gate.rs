//! The CI gate in one line (docs/ci.md): scripts/ci-gate.sh, the GitHub Action's step that runs
//! it (action.yml), the pre-commit hook's entry (.pre-commit-hooks.yaml), each run on a fixture
//! git repository made here; and the Dockerfile, built where a container engine answers.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn nexus_bin() -> PathBuf {
    std::env::var_os("NEXUS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| assert_cmd::cargo::cargo_bin("nexus"))
}

fn orgchart(side: &str) -> Vec<u8> {
    fs::read(
        repo()
            .join("testdata/diff/orgchart")
            .join(side)
            .join("root_leader.yaml"),
    )
    .unwrap()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository whose first commit holds the base CRD under config/crd; returns it and that
/// commit.
fn fixture() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    fs::create_dir_all(root.join("config/crd")).unwrap();
    fs::write(root.join("config/crd/root_leader.yaml"), orgchart("base")).unwrap();
    fs::write(root.join("README"), "fixture\n").unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "base"]);
    let base = git(root, &["rev-parse", "HEAD"]);
    (dir, base)
}

fn edit(root: &Path, side: &str) {
    fs::write(root.join("config/crd/root_leader.yaml"), orgchart(side)).unwrap();
}

fn commit(root: &Path, message: &str) {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", message]);
}

/// Runs `program args` in `dir` with NEXUS pointing at the built binary, plus `env`.
fn run_in(dir: &Path, program: &Path, args: &[String], env: &BTreeMap<String, String>) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("NEXUS", nexus_bin())
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env_remove("GITHUB_WORKSPACE")
        .envs(env)
        .output()
        .expect("runs")
}

fn gate(dir: &Path, args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    run_in(
        dir,
        &repo().join("scripts/ci-gate.sh"),
        &args,
        &BTreeMap::new(),
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn gate_annotates_a_breaking_pull_request_and_passes_a_compatible_one() {
    let (dir, base) = fixture();
    let root = dir.path();
    edit(root, "breaking");
    commit(root, "breaking");
    let out = gate(root, &["--base", &base, "--format", "github", "config/crd"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("::error file=config/crd/root_leader.yaml"),
        "{stdout}"
    );
    // The same change read from revisions only (--head), from a subdirectory.
    let head = git(root, &["rev-parse", "HEAD"]);
    let out = gate(
        &root.join("config"),
        &["--base", &base, "--head", &head, "crd"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("required-added"));

    edit(root, "compatible");
    let out = gate(root, &["--base", &base, "config/crd"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn gate_counts_crds_new_in_the_pull_request_as_added() {
    let (dir, base) = fixture();
    let root = dir.path();
    fs::create_dir_all(root.join("deploy/crds")).unwrap();
    fs::write(root.join("deploy/crds/leader.yaml"), orgchart("base")).unwrap();
    let out = gate(root, &["--base", &base, "-o", "json", "deploy/crds"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("does not exist at"),
        "{}",
        text(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["changes"][0]["rule"], "crd-added");
}

#[test]
fn gate_refuses_what_it_cannot_run_with_exit_2() {
    let (dir, _) = fixture();
    let root = dir.path();
    let out = gate(root, &["--base", "no-such-branch", "config/crd"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no-such-branch is not in this clone"));
    let out = gate(root, &["--base", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("name the directory"));
    let out = gate(root, &["../elsewhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("outside the repository"));
    let outside = tempfile::tempdir().unwrap();
    let out = gate(outside.path(), &["config/crd"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not inside a git repository"));
}

fn yaml(rel: &str) -> Value {
    serde_saphyr::from_str(&fs::read_to_string(repo().join(rel)).unwrap()).unwrap()
}

/// The value of a GitHub expression of action.yml: `inputs.X`, `github.action_path`, a quoted
/// literal, and `a || b`.
fn expression(expr: &str, inputs: &BTreeMap<String, String>) -> String {
    for operand in expr.split("||").map(str::trim) {
        let value = if let Some(name) = operand.strip_prefix("inputs.") {
            inputs.get(name).cloned().unwrap_or_default()
        } else if operand == "github.action_path" {
            repo().display().to_string()
        } else if let Some(literal) = operand
            .strip_prefix('\'')
            .and_then(|o| o.strip_suffix('\''))
        {
            literal.to_string()
        } else {
            panic!("action.yml uses an expression this test does not know: {operand}");
        };
        if !value.is_empty() {
            return value;
        }
    }
    String::new()
}

fn substitute(template: &str, inputs: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed expression") + start;
        out.push_str(&expression(rest[start + 3..end].trim(), inputs));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Runs action.yml's gate step as the runner would: its `env` with the inputs substituted, its
/// `run` in bash.
fn run_action(root: &Path, given: &[(&str, &str)]) -> Output {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let mut inputs: BTreeMap<String, String> = BTreeMap::new();
    for (name, spec) in action["inputs"].as_object().expect("inputs") {
        let default = spec["default"].as_str().unwrap_or_default();
        // Outside a pull request event the expression is empty.
        let default = if default.contains("github.event") {
            ""
        } else {
            default
        };
        inputs.insert(name.clone(), default.to_string());
    }
    for (name, value) in given {
        assert!(inputs.contains_key(*name), "action.yml has no input {name}");
        inputs.insert(name.to_string(), value.to_string());
    }
    let steps = action["runs"]["steps"].as_array().expect("steps");
    let step = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("scripts/ci-gate.sh"))
        })
        .expect("a step runs scripts/ci-gate.sh");
    assert_eq!(step["shell"], "bash");
    let env: BTreeMap<String, String> = step["env"]
        .as_object()
        .expect("env")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                substitute(v.as_str().unwrap_or_default(), &inputs),
            )
        })
        .collect();
    let script = substitute(step["run"].as_str().unwrap(), &inputs);
    let args = vec!["-c".to_string(), script];
    run_in(root, Path::new("bash"), &args, &env)
}

#[test]
fn action_step_annotates_the_pull_request() {
    let (dir, base) = fixture();
    let root = dir.path();
    edit(root, "breaking");
    commit(root, "breaking");
    let nexus = nexus_bin().display().to_string();
    let given = [
        ("path", "config/crd"),
        ("base", base.as_str()),
        ("nexus", &nexus),
    ];
    let out = run_action(root, &given);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("::error file=config/crd/root_leader.yaml"),
        "{stdout}"
    );
    assert!(stdout.contains("title=required-added"), "{stdout}");

    // fail-on never: the annotations stay, the check passes.
    let out = run_action(root, &[given[0], given[1], given[2], ("fail-on", "never")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("::error"));

    // The install step builds this checkout only when no binary is given.
    let action = yaml("action.yml");
    let install = &action["runs"]["steps"][0];
    assert!(
        install["if"]
            .as_str()
            .unwrap()
            .contains("inputs.nexus == ''")
    );
    assert!(
        install["run"]
            .as_str()
            .unwrap()
            .contains("cargo install --locked")
    );
}

#[test]
fn pre_commit_hook_refuses_a_breaking_edit_of_the_committed_crds() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hook = &hooks.as_array().expect("a list of hooks")[0];
    assert_eq!(hook["language"], "script");
    assert_eq!(hook["pass_filenames"], false);
    let entry: Vec<String> = hook["entry"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    // pre-commit runs a script entry from the hook repository, with the user's args appended.
    let program = repo().join(&entry[0]);
    let mut args = entry[1..].to_vec();
    args.push("config/crd".to_string());

    let (dir, _) = fixture();
    let root = dir.path();
    edit(root, "compatible");
    let out = run_in(root, &program, &args, &BTreeMap::new());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    commit(root, "compatible");
    edit(root, "breaking");
    let out = run_in(root, &program, &args, &BTreeMap::new());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("required-added"));
}

#[test]
fn dockerfile_builds_where_a_container_engine_answers() {
    let engine = ["docker", "podman"].into_iter().find(|engine| {
        Command::new(engine)
            .arg("info")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(engine) = engine else {
        eprintln!(
            "skipping dockerfile_builds_where_a_container_engine_answers: no container engine answers `docker info` or `podman info`"
        );
        return;
    };
    // An engine without registry access (a closed CI network) cannot build any image: that is
    // the machine's limit, not the Dockerfile's, so the test says so and skips.
    for base in ["rust:1-slim-bookworm", "debian:bookworm-slim"] {
        let pulled = Command::new(engine)
            .args(["pull", "-q", base])
            .output()
            .is_ok_and(|o| o.status.success());
        if !pulled {
            eprintln!(
                "skipping dockerfile_builds_where_a_container_engine_answers: {engine} cannot pull the base image {base}"
            );
            return;
        }
    }
    let tag = "nexus-ci-gate-test:latest";
    let built = Command::new(engine)
        .args(["build", "-q", "-t", tag, "."])
        .current_dir(repo())
        .status()
        .expect("the engine runs");
    assert!(built.success(), "{engine} build failed");
    let out = Command::new(engine)
        .args(["run", "--rm", tag, "version"])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).starts_with("nexus "),
        "{}",
        text(&out.stdout)
    );
    let user = Command::new(engine)
        .args(["image", "inspect", "-f", "{{.Config.User}}", tag])
        .output()
        .unwrap();
    let user = text(&user.stdout);
    assert!(!user.trim().is_empty() && user.trim() != "root" && user.trim() != "0");
}
