//! Feedback on long work when stderr is not a terminal: plain `nexus: ...` lines on stderr once a
//! phase has run for a second, repeated while it runs, one closing line; nothing for quick work.
//! The fake API server holds requests back (`--delay`'s fault, in-process) to make phases slow.

mod install_support;

use install_support::*;
use nexus_fakeapi::{Effect, FakeConfig, FaultOn, Injection};
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};

const ADD_OFFICE: &str = "title: Give every employee an office
crd: employees.role.orgchart.org
up:
  - op: add
    path: /spec/office
    value: headquarters
    ifMissing: true
";

/// The progress lines of a run.
fn progress_lines(assert: &assert_cmd::assert::Assert) -> Vec<String> {
    stderr(assert)
        .lines()
        .filter(|l| l.starts_with("nexus: "))
        .map(str::to_string)
        .collect()
}

/// A cluster serving employees (office optional, so a backup can be put back) with 200 stored
/// without an office, and a workspace with the step that adds it.
fn office(cluster: &Cluster) -> PathBuf {
    let crd = employees_crd(&[("name", "string"), ("office", "string")], &["name"]);
    cluster.server.seed_crd(&crd).unwrap();
    for i in 0..200 {
        cluster
            .server
            .seed_object(&json!({
                "apiVersion": "role.orgchart.org/v1",
                "kind": "Employee",
                "metadata": {"name": format!("emp-{i:03}"), "namespace": "default"},
                "spec": {"name": format!("Employee {i}")}
            }))
            .unwrap();
    }
    let root = cluster.dir.path().join("dm");
    fs::create_dir_all(root.join("migrations")).unwrap();
    fs::write(
        root.join("nexus.yaml"),
        "version: 1\ngroupName: orgchart.org\ndatamodelName: orgchart\n",
    )
    .unwrap();
    fs::write(
        root.join("migrations/20260101000000_add-office.yaml"),
        ADD_OFFICE,
    )
    .unwrap();
    write_crds(&root.join("build/crds"), &[crd]);
    root
}

fn migrate(cluster: &Cluster, root: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    nexus_in(root)
        .args(["datamodel", "migrate"])
        .args(args)
        .arg("--kubeconfig")
        .arg(&cluster.kubeconfig)
        .assert()
}

#[test]
fn slow_writes_and_restores_say_how_far_they_are() {
    let cluster = Cluster::start();
    let root = office(&cluster);
    // The first object write is held for 2.5 s: the write phase runs past one second.
    cluster.server.delay(FaultOn::ObjectWrite, 1, 2500);
    let out = migrate(&cluster, &root, &["apply", "-o", "json"]).success();
    let results: Value = serde_json::from_str(&stdout(&out)).expect("stdout is the JSON only");
    assert_eq!(results["changed"], 200);
    let lines = progress_lines(&out);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("nexus: writing 200 migrated objects: 0/200 (1.")),
        "{lines:#?}"
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("nexus: writing 200 migrated objects: 200 rewritten (")),
        "{lines:#?}"
    );

    // Putting the backup back, with the first restore write held as long.
    let backups = root.join("build/migration-backup");
    let backup = fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    cluster.server.delay(FaultOn::ObjectWrite, 1, 2500);
    let out = migrate(&cluster, &root, &["restore", backup.to_str().unwrap()]).success();
    let lines = progress_lines(&out);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("nexus: restoring objects: 0/200 (1.")),
        "{lines:#?}"
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("nexus: restoring objects: 200 restored, 0 failed (")),
        "{lines:#?}"
    );
}

#[test]
fn a_slow_read_says_what_it_reads() {
    let cluster = Cluster::start();
    let root = office(&cluster);
    // Every read is held 1.2 s, the list of the employees among them.
    cluster.server.inject(Injection {
        on: FaultOn::Read,
        from_nth: 1,
        times: u64::MAX,
        effect: Effect::Delay { ms: 1200 },
    });
    let out = migrate(&cluster, &root, &["plan", "-o", "json"]).success();
    let lines = progress_lines(&out);
    let reading = "nexus: reading the stored objects of employees.role.orgchart.org";
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{reading} (1."))),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{reading}: 200 read ("))),
        "{lines:#?}"
    );
}

#[test]
fn waiting_for_established_is_said_and_quick_work_is_quiet() {
    // Six reads of a new CRD see it not Established: the backoff (25 ms doubling) waits ~1.6 s.
    let config = FakeConfig {
        established_after_reads: 6,
        ..FakeConfig::default()
    };
    let cluster = Cluster::with(config, None);
    let crds = cluster.crds("crds", &[employees_crd(&[("name", "string")], &["name"])]);
    let out = cluster.install(&crds, &[]).success();
    let lines = progress_lines(&out);
    assert!(
        lines.iter().any(|l| l.starts_with(
            "nexus: waiting for CRD \"employees.role.orgchart.org\" to become Established (1."
        )),
        "{lines:#?}"
    );
    assert!(
        lines.last().is_some_and(|l| l.starts_with(
            "nexus: waiting for CRD \"employees.role.orgchart.org\" to become Established: Established ("
        )),
        "{lines:#?}"
    );

    // Installing again changes nothing and takes no time: no progress line at all.
    let out = cluster.install(&crds, &[]).success();
    assert_eq!(progress_lines(&out), Vec::<String>::new());
}

/// On a terminal (a pseudo-terminal made by `script`), the wait is a spinner redrawn in place and
/// cleared at the end, not plain lines.
#[test]
fn on_a_terminal_the_wait_is_a_spinner_that_is_cleared() {
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!(
            "skipping on_a_terminal_the_wait_is_a_spinner_that_is_cleared: `script` (util-linux) is not installed"
        );
        return;
    }
    let config = FakeConfig {
        established_after_reads: 6,
        ..FakeConfig::default()
    };
    let cluster = Cluster::with(config, None);
    let crds = cluster.crds("crds", &[employees_crd(&[("name", "string")], &["name"])]);
    let command = format!(
        "{} datamodel install --crds {} --kubeconfig {}",
        assert_cmd::cargo::cargo_bin("nexus").display(),
        crds.display(),
        cluster.kubeconfig.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(cluster.dir.path())
        .env("HOME", cluster.dir.path())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let terminal = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{terminal}");
    let waiting = "waiting for CRD \"employees.role.orgchart.org\" to become Established";
    assert!(terminal.matches(waiting).count() > 1, "redrawn: {terminal}");
    assert!(terminal.contains("\x1b[2K"), "cleared: {terminal}");
    assert!(
        !terminal.contains(&format!("nexus: {waiting}")),
        "{terminal}"
    );
    assert!(terminal.contains("1 created"), "{terminal}");
}
