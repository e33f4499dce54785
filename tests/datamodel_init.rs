//! `nexus datamodel init` creates a workspace that loads and generates at once, and never
//! overwrites one.

use assert_cmd::Command;
use nexus::cli::InitArgs;
use nexus::commands::init;
use nexus::{datamodel, generate};
use predicates::str::contains;

#[test]
fn init_creates_a_datamodel_that_builds() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("orgchart");
    let args = InitArgs {
        name: "orgchart".into(),
        group: "orgchart.org".into(),
        dir: dir.clone(),
    };
    assert_eq!(init::run(&args).unwrap(), 0);
    for file in ["nexus.yaml", "go.mod", "root.go"] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    let dm = datamodel::load(&dir).unwrap();
    assert_eq!(dm.group, "orgchart.org");
    assert_eq!(dm.name.as_deref(), Some("orgchart"));
    assert_eq!(dm.module, "orgchart");
    let crds = generate::generate(&dm).unwrap();
    assert_eq!(crds.len(), 1);
    assert_eq!(crds[0].name, "roots.root.orgchart.org");
    assert_eq!(crds[0].file_name, "root_root.yaml");
    assert!(dm.is_root(0));
    assert!(dm.nodes[0].singleton);
}

#[test]
fn init_refuses_to_overwrite() {
    let temp = tempfile::tempdir().unwrap();
    let args = InitArgs {
        name: "example.com/dm".into(),
        group: "dm.io".into(),
        dir: temp.path().to_path_buf(),
    };
    std::fs::write(temp.path().join("go.mod"), "module mine\n").unwrap();
    let err = init::run(&args).unwrap_err().to_string();
    assert!(err.contains("go.mod: already exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(temp.path().join("go.mod")).unwrap(),
        "module mine\n"
    );
    assert!(
        !temp.path().join("nexus.yaml").exists(),
        "nothing written when refusing"
    );
}

#[test]
fn init_checks_name_and_group() {
    let temp = tempfile::tempdir().unwrap();
    let bad_group = InitArgs {
        name: "dm".into(),
        group: "Org_Chart".into(),
        dir: temp.path().to_path_buf(),
    };
    assert!(
        init::run(&bad_group)
            .unwrap_err()
            .to_string()
            .contains("--group")
    );
    let bad_name = InitArgs {
        name: "my model".into(),
        group: "dm.io".into(),
        dir: temp.path().to_path_buf(),
    };
    assert!(
        init::run(&bad_name)
            .unwrap_err()
            .to_string()
            .contains("--name")
    );
    assert!(std::fs::read_dir(temp.path()).unwrap().next().is_none());
}

#[test]
fn init_from_the_command_line() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("dm");
    Command::cargo_bin("nexus")
        .unwrap()
        .args(["datamodel", "init", "--name", "dm", "--group=dm.io"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(contains("created datamodel dm"));
    assert!(datamodel::load(&dir).is_ok());
    Command::cargo_bin("nexus")
        .unwrap()
        .args(["datamodel", "init", "--name", "dm", "--group", "dm.io"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains("already exists"));
}
