//! The conventions of the ecosystem, on the built binary: an Examples section in every command's
//! `--help`, shell completions, `nexus version` (text and JSON; "unknown" outside git),
//! `--color`, `-o` for `--format`, JSON from `rules`, and a KUBECONFIG list with missing files.

mod install_support;

use install_support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> assert_cmd::assert::Assert {
    nexus_in(&repo()).args(args).assert()
}

/// The subcommands a `--help` lists, without `help`.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn every_command_help_has_an_examples_section() {
    let mut pending: Vec<Vec<String>> = vec![vec![]];
    let mut seen = 0;
    let mut missing = Vec::new();
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = stdout(&run(&args).success());
        seen += 1;
        let examples = help
            .split("\nExamples:\n")
            .nth(1)
            .map(|rest| rest.lines().take_while(|l| l.starts_with("  ")).count())
            .unwrap_or(0);
        if examples == 0 {
            missing.push(format!("nexus {}", path.join(" ")));
        }
        for sub in subcommands(&help) {
            let mut child = path.clone();
            child.push(sub);
            pending.push(child);
        }
    }
    // nexus, datamodel, completion, version, 6 datamodel and 6 migrate commands.
    assert!(seen >= 16, "only {seen} commands found");
    assert!(missing.is_empty(), "no Examples section: {missing:?}");
}

#[test]
fn completion_scripts_name_the_commands() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef nexus"),
        ("fish", "complete -c nexus"),
    ] {
        let script = stdout(&run(&["completion", shell]).success());
        assert!(script.contains(marker), "{shell}: {script}");
        for word in ["datamodel", "migrate", "fail-on", "kubeconfig"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let refused = run(&["completion", "powershell"]).code(2);
    assert!(
        stderr(&refused).contains("powershell"),
        "{}",
        stderr(&refused)
    );
}

/// The commit build.rs records: `git rev-parse --short=12 HEAD` of this checkout.
fn head_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(repo())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn version_names_the_commit_in_text_and_json() {
    let commit = head_commit().unwrap_or_else(|| "unknown".to_string());
    let text = stdout(&run(&["version"]).success());
    assert_eq!(
        text,
        format!("nexus {} (commit {commit})\n", env!("CARGO_PKG_VERSION"))
    );
    for args in [["version", "--format", "json"], ["version", "-o", "json"]] {
        let json: Value = serde_json::from_str(&stdout(&run(&args).success())).unwrap();
        assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(json["commit"], commit.as_str());
    }
    let flag = stdout(&run(&["--version"]).success());
    assert!(flag.contains(&format!("(commit {commit})")), "{flag}");
}

/// build.rs outside a git checkout (a source tarball): compiled and run on its own, it records
/// "unknown" and does not fail.
#[test]
fn version_commit_is_unknown_outside_git() {
    let scratch = tempfile::tempdir().unwrap();
    let script = scratch.path().join("build-script");
    let compiled = std::process::Command::new(std::env::var("RUSTC").unwrap_or("rustc".into()))
        .args(["--edition", "2024", "-o"])
        .arg(&script)
        .arg(repo().join("build.rs"))
        .status();
    let Ok(status) = compiled else {
        eprintln!("skipping version_commit_is_unknown_outside_git: rustc is not on PATH");
        return;
    };
    assert!(status.success(), "build.rs does not compile on its own");
    let tarball = scratch.path().join("nexus-0.1.0");
    std::fs::create_dir(&tarball).unwrap();
    let out = std::process::Command::new(&script)
        .env("CARGO_MANIFEST_DIR", &tarball)
        .env("GIT_CEILING_DIRECTORIES", scratch.path())
        .env_remove("NEXUS_GIT_COMMIT")
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("cargo:rustc-env=NEXUS_GIT_COMMIT=unknown"),
        "{printed}"
    );
}

fn orgchart(side: &str) -> String {
    repo()
        .join("testdata/diff/orgchart")
        .join(side)
        .display()
        .to_string()
}

#[test]
fn color_flag_wins_over_terminal_and_no_color() {
    let (base, breaking) = (orgchart("base"), orgchart("breaking"));
    let diff = |extra: &[&str]| {
        let mut cmd = nexus_in(&repo());
        cmd.args(["datamodel", "diff", &base, &breaking])
            .args(extra);
        stdout(&cmd.assert().code(1))
    };
    // nexus_in sets NO_COLOR=1 and stdout is a pipe.
    assert!(!diff(&[]).contains('\x1b'));
    assert!(!diff(&["--color", "auto"]).contains('\x1b'));
    assert!(!diff(&["--color", "never"]).contains('\x1b'));
    assert!(diff(&["--color", "always"]).contains("\x1b[1;31m"));
    assert!(diff(&["--color=always"]).contains('\x1b'));
}

#[test]
fn dash_o_is_format() {
    let (base, breaking) = (orgchart("base"), orgchart("breaking"));
    let long = stdout(&run(&["datamodel", "diff", &base, &breaking, "--format", "json"]).code(1));
    let short = stdout(&run(&["datamodel", "diff", &base, &breaking, "-o", "json"]).code(1));
    assert_eq!(long, short);
    let _: Value = serde_json::from_str(&short).expect("JSON");
}

#[test]
fn force_help_says_f_is_force() {
    for command in ["diff", "build", "install"] {
        let help = stdout(&run(&["datamodel", command, "--help"]).success());
        assert!(help.contains("-f, --force"), "{command}: {help}");
        assert!(help.contains("-f is --force"), "{command}: {help}");
    }
}

#[test]
fn rules_as_json_match_the_text_catalogue() {
    let text = stdout(&run(&["datamodel", "rules"]).success());
    let json: Value = serde_json::from_str(&stdout(
        &run(&["datamodel", "rules", "-o", "json"]).success(),
    ))
    .unwrap();
    let rules = json["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), text.lines().count());
    for (rule, line) in rules.iter().zip(text.lines()) {
        let id = rule["id"].as_str().unwrap();
        let severity = rule["severity"].as_str().unwrap();
        let summary = rule["summary"].as_str().unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!((words[0], words[1]), (id, severity), "{line}");
        assert!(line.ends_with(summary), "{line}");
    }
    assert!(rules.iter().any(|r| r["id"] == "required-added"));
}

/// `nexus datamodel diff cluster: FILE -o json` with KUBECONFIG set to `list`, run in `dir`.
fn diff_cluster(dir: &Path, kubeconfig: &str) -> assert_cmd::assert::Assert {
    nexus_in(dir)
        .env("KUBECONFIG", kubeconfig)
        .args(["datamodel", "diff", "cluster:", &orgchart("base")])
        .args(["--timeout", "10s", "-o", "json"])
        .assert()
}

#[test]
fn kubeconfig_list_skips_missing_files_as_kubectl_does() {
    let cluster = Cluster::start();
    let dir = cluster.dir.path();
    let missing = dir.join("missing-kubeconfig");
    let real = cluster.kubeconfig.display().to_string();
    let list = format!("{}:{real}", missing.display());
    // The cluster holds nothing, so the file's CRD is reported as added: the cluster was read.
    let out = diff_cluster(dir, &list).success();
    assert!(stdout(&out).contains("crd-added"), "{}", stdout(&out));

    let none = format!(
        "{}:{}",
        missing.display(),
        dir.join("also-missing").display()
    );
    let refused = diff_cluster(dir, &none).code(2);
    let message = stderr(&refused);
    assert!(
        message.contains("KUBECONFIG names no file that exists")
            && message.contains("also-missing"),
        "{message}"
    );
}

#[test]
fn kubeconfig_list_merges_contexts_first_file_wins() {
    let cluster = Cluster::start();
    let dir = cluster.dir.path();
    // A second file whose current context names a cluster that does not listen: the first
    // file's current-context wins, as in kubectl.
    let other = dir.join("other-kubeconfig");
    std::fs::write(
        &other,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: other\nclusters:\n- name: other\n  cluster:\n    server: http://127.0.0.1:{}\ncontexts:\n- name: other\n  context:\n    cluster: other\n    user: other\nusers:\n- name: other\n  user: {{}}\n",
            closed_port()
        ),
    )
    .unwrap();
    let list = format!("{}:{}", cluster.kubeconfig.display(), other.display());
    let out = diff_cluster(dir, &list).success();
    assert!(stdout(&out).contains("crd-added"), "{}", stdout(&out));
}

#[test]
fn install_json_holds_the_report_and_what_was_installed() {
    let cluster = Cluster::start();
    let first = employees_crd(&[("name", "string")], &["name"]);
    let crds = cluster.crds("crds", std::slice::from_ref(&first));
    let json = |assert: &assert_cmd::assert::Assert| -> Value {
        serde_json::from_str(&stdout(assert)).unwrap_or_else(|e| panic!("{e}: {}", stdout(assert)))
    };
    const NAME: &str = "employees.role.orgchart.org";

    let plan = json(
        &cluster
            .install(&crds, &["--dry-run", "-o", "json"])
            .success(),
    );
    assert_eq!(plan["version"], 1, "the report's keys come first: {plan}");
    assert_eq!(plan["install"]["dryRun"], true);
    assert_eq!(plan["install"]["created"], serde_json::json!([NAME]));

    let done = json(&cluster.install(&crds, &["-o", "json"]).success());
    assert_eq!(done["verdict"], "compatible");
    assert_eq!(done["install"]["dryRun"], false);
    assert_eq!(done["install"]["created"], serde_json::json!([NAME]));
    assert_eq!(done["install"]["migrations"], Value::Null);
    assert!(
        done["install"]["cluster"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1")
    );

    let again = json(&cluster.install(&crds, &["-o", "json"]).success());
    assert_eq!(again["install"]["unchanged"], serde_json::json!([NAME]));
    assert_eq!(again["install"]["created"], serde_json::json!([]));

    // A breaking change is refused: the report says why, and nothing was installed.
    let breaking = employees_crd(
        &[("name", "string"), ("office", "string")],
        &["name", "office"],
    );
    let crds = cluster.crds("breaking", &[breaking]);
    let refused = json(&cluster.install(&crds, &["-o", "json"]).code(1));
    assert_eq!(refused["verdict"], "breaking");
    assert_eq!(refused["install"], Value::Null);
}

#[test]
fn a_missing_kubeconfig_flag_file_is_named_as_the_kubeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("kc");
    let refused = nexus_in(dir.path())
        .args(["datamodel", "diff", "cluster:", &orgchart("base")])
        .arg("--kubeconfig")
        .arg(&missing)
        .assert()
        .code(2);
    assert_eq!(
        stderr(&refused),
        format!(
            "error: cannot read kubeconfig {}: no such file or directory; name an existing file with --kubeconfig FILE\n",
            missing.display()
        )
    );
}
