//! End-to-end: `nexus datamodel build --output DIR` replaces DIR only when nexus wrote it (issue
//! 9). Pointed at the datamodel root, a directory above it, a link to it, or a directory holding
//! anything else, it exits 2 naming the directory or the first foreign file, and writes nothing.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const ORGCHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/datamodels/orgchart");

struct Workspace {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Workspace {
    /// The orgchart datamodel in `<temp>/dm`, a git repository.
    fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("dm");
        fs::create_dir_all(&root).unwrap();
        for f in ["go.mod", "nexus.yaml", "root.go"] {
            fs::copy(Path::new(ORGCHART).join(f), root.join(f)).unwrap();
        }
        git2::Repository::init(&root).unwrap();
        Workspace { dir, root }
    }

    fn build(&self, args: &[&str]) -> std::process::Output {
        Command::cargo_bin("nexus")
            .unwrap()
            .current_dir(&self.root)
            .args(["datamodel", "build"])
            .args(args)
            .output()
            .unwrap()
    }

    /// Every file below the temporary directory with its content (directories as `/`).
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.dir.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let meta = fs::symlink_metadata(&path).unwrap();
                let rel = path.strip_prefix(self.dir.path()).unwrap().to_path_buf();
                if meta.is_dir() {
                    out.insert(rel, b"/".to_vec());
                    stack.push(path);
                } else if meta.file_type().is_symlink() {
                    out.insert(
                        rel,
                        fs::read_link(&path)
                            .unwrap()
                            .into_os_string()
                            .into_encoded_bytes(),
                    );
                } else {
                    out.insert(rel, fs::read(&path).unwrap());
                }
            }
        }
        out
    }

    /// Builds with `args`; expects exit 2, one line on stderr holding `expected`, and not one
    /// byte changed anywhere.
    fn refused(&self, args: &[&str], expected: &str) {
        let before = self.snapshot();
        let out = self.build(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected {expected}\n{stderr}"
        );
        assert!(out.stdout.is_empty(), "refused before the report");
        assert_eq!(
            self.snapshot(),
            before,
            "{args:?}: nothing written or deleted"
        );
    }
}

#[test]
fn the_datamodel_root_is_never_replaced() {
    let ws = Workspace::new();
    ws.refused(&["--output", "."], "--output . is the datamodel root");
    let root = ws.root.display().to_string();
    ws.refused(&["--output", &root], "is the datamodel root");
    ws.refused(&["--output", ".."], "holds the datamodel root");
    ws.refused(&["--output", "build/../../dm"], "is the datamodel root");
}

#[test]
fn a_link_to_the_root_is_refused() {
    let ws = Workspace::new();
    std::os::unix::fs::symlink(&ws.root, ws.dir.path().join("link")).unwrap();
    let link = ws.dir.path().join("link").display().to_string();
    ws.refused(&["--output", &link], "is a symbolic link");
}

#[test]
fn a_directory_with_foreign_files_is_refused_naming_the_first() {
    let ws = Workspace::new();
    assert_eq!(ws.build(&[]).status.code(), Some(0));
    let crds = ws.root.join("build/crds");
    // Sorted order: `a-notes.txt` comes before `z.yaml`, which is not a CRD.
    fs::write(crds.join("z.yaml"), "not: a crd\n").unwrap();
    fs::write(crds.join("a-notes.txt"), "keep me\n").unwrap();
    ws.refused(
        &[],
        "build/crds/a-notes.txt: not written by nexus (it is not a CRD of this datamodel); `datamodel build` replaces build/crds whole and would delete it",
    );
    fs::remove_file(crds.join("a-notes.txt")).unwrap();
    ws.refused(&[], "build/crds/z.yaml: not written by nexus");
    // A CRD of another API group is not this datamodel's either.
    fs::write(
        crds.join("z.yaml"),
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: certs.example.com\nspec:\n  group: example.com\n",
    )
    .unwrap();
    ws.refused(&[], "build/crds/z.yaml: not written by nexus");
    fs::create_dir(crds.join("sub")).unwrap();
    ws.refused(
        &[],
        "build/crds/sub: not written by nexus (build writes only files",
    );
}

#[test]
fn sources_and_git_are_refused_even_if_a_marker_lists_them() {
    let ws = Workspace::new();
    let other = ws.dir.path().join("other");
    fs::create_dir_all(other.join(".git")).unwrap();
    fs::write(other.join(".nexus-crds"), "main.go\n").unwrap();
    fs::write(other.join("main.go"), "package main\n").unwrap();
    let other_arg = other.display().to_string();
    ws.refused(&["--output", &other_arg], "other/.git: a git repository");
    fs::remove_dir(other.join(".git")).unwrap();
    ws.refused(
        &["--output", &other_arg],
        "other/main.go: a datamodel source file",
    );
}

#[test]
fn an_output_written_by_an_earlier_nexus_is_replaced() {
    let ws = Workspace::new();
    assert_eq!(ws.build(&[]).status.code(), Some(0));
    let crds = ws.root.join("build/crds");
    // Earlier versions wrote no marker: CRDs of this datamodel are recognised by their group.
    fs::remove_file(crds.join(".nexus-crds")).unwrap();
    let leader = fs::read_to_string(crds.join("root_leader.yaml")).unwrap();
    fs::write(
        crds.join("root_gone.yaml"),
        leader.replace("leaders.root", "gones.root"),
    )
    .unwrap();
    let out = ws.build(&["--prev-spec-dir", "build/crds", "--force"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = fs::read_dir(&crds)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".nexus-crds",
            "root_engineer.yaml",
            "root_leader.yaml",
            "root_manager.yaml"
        ]
    );
    let marker = fs::read_to_string(crds.join(".nexus-crds")).unwrap();
    assert!(marker.ends_with("root_engineer.yaml\nroot_leader.yaml\nroot_manager.yaml\n"));
    // An empty directory is fine too.
    let empty = ws.dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let out = ws.build(&["--output", &empty.display().to_string()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(fs::read_dir(&empty).unwrap().count(), 4);
}

#[test]
fn output_build_keeps_the_last_build_record_and_refuses_the_crds_directory() {
    let ws = Workspace::new();
    assert_eq!(ws.build(&[]).status.code(), Some(0));
    // build/ holds crds/ (a directory nexus writes nothing into directly) and the record.
    fs::write(ws.root.join("build/.nexus-last-build.json"), "{}\n").unwrap();
    ws.refused(&["--output", "build"], "build/crds: not written by nexus");
    let alone = ws.dir.path().join("alone");
    fs::create_dir(&alone).unwrap();
    fs::write(alone.join(".nexus-last-build.json"), "{\"kept\": true}\n").unwrap();
    let out = ws.build(&["--output", &alone.display().to_string()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        fs::read_to_string(alone.join(".nexus-last-build.json")).unwrap(),
        "{\"kept\": true}\n",
        "a rebuild that changes nothing keeps the record"
    );
}

#[test]
fn stale_staging_and_backup_directories_holding_foreign_files_are_left_alone() {
    let ws = Workspace::new();
    let build = ws.root.join("build");
    fs::create_dir_all(build.join(".crds.nexus-new")).unwrap();
    fs::write(build.join(".crds.nexus-new/diary.txt"), "mine\n").unwrap();
    ws.refused(&[], "build/.crds.nexus-new/diary.txt: not written by nexus");
    fs::remove_dir_all(build.join(".crds.nexus-new")).unwrap();

    assert_eq!(ws.build(&[]).status.code(), Some(0));
    fs::create_dir_all(build.join(".crds.nexus-old/keep")).unwrap();
    ws.refused(&[], "build/.crds.nexus-old/keep: not written by nexus");
    fs::remove_dir_all(build.join(".crds.nexus-old")).unwrap();

    // A link in the staging place would let a cleanup reach elsewhere.
    std::os::unix::fs::symlink(&ws.root, build.join(".crds.nexus-new")).unwrap();
    ws.refused(&[], "build/.crds.nexus-new is a symbolic link");
}
