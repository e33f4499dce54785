//! `git:REV:PATH` sources, on a repository built for each test with git2.

use git2::{Oid, Repository, RepositoryInitOptions, Signature};
use nexus::source::{git_label, git_path_exists, in_git_repository, load_git};
use std::path::Path;

fn crd(plural: &str) -> String {
    format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {plural}.example.com\n\
         spec:\n  group: example.com\n  names:\n    kind: K\n    plural: {plural}\n  scope: Namespaced\n  versions: []\n"
    )
}

/// A repository with this history:
///
/// ```text
/// c1 (tag v1.0.0, annotated; origin/main)  crds/a.yaml: foos   crds/sub/b.json: bars   README.md
/// c2 (main, HEAD)                          crds/a.yaml: foos + quxes   top.yaml: tops
/// c3 (feature, from c1)                    crds/c.yml: bazs
/// ```
struct Fixture {
    dir: tempfile::TempDir,
    c1: Oid,
    c2: Oid,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_opts(
            dir.path(),
            RepositoryInitOptions::new().initial_head("main"),
        )
        .unwrap();
        let c1 = commit(
            dir.path(),
            &repo,
            "main",
            &[
                ("crds/a.yaml", crd("foos")),
                ("crds/sub/b.json", r#"{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "bars.example.com"}}"#.to_string()),
                ("README.md", "# not a manifest\n".to_string()),
            ],
            &[],
        );
        let sig = signature();
        let c1_object = repo.find_object(c1, None).unwrap();
        repo.tag("v1.0.0", &c1_object, &sig, "release 1.0.0", false)
            .unwrap();
        repo.reference("refs/remotes/origin/main", c1, false, "fetch")
            .unwrap();
        let c2 = commit(
            dir.path(),
            &repo,
            "main",
            &[
                (
                    "crds/a.yaml",
                    format!("{}---\n{}", crd("foos"), crd("quxes")),
                ),
                ("top.yaml", crd("tops")),
            ],
            &[c1],
        );
        repo.branch("feature", &repo.find_commit(c1).unwrap(), false)
            .unwrap();
        // The feature branch adds a file on top of c1 without moving HEAD.
        commit(
            dir.path(),
            &repo,
            "feature",
            &[("crds/c.yml", crd("bazs"))],
            &[c1],
        );
        // Leave the work tree as main has it.
        std::fs::remove_file(dir.path().join("crds/c.yml")).unwrap();
        Fixture { dir, c1, c2 }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn short(&self, id: Oid) -> String {
        let repo = Repository::open(self.path()).unwrap();
        let object = repo.find_object(id, None).unwrap();
        object.short_id().unwrap().as_str().unwrap().to_string()
    }

    fn names(&self, rev: &str, path: &str) -> Vec<String> {
        let set = load_git(self.path(), rev, path, "label")
            .unwrap_or_else(|e| panic!("{rev}:{path}: {e}"));
        set.crds.keys().cloned().collect()
    }

    fn error(&self, start: &Path, rev: &str, path: &str) -> String {
        load_git(start, rev, path, "label")
            .expect_err(rev)
            .to_string()
    }
}

/// Writes `files` into the work tree and commits the whole index on `branch`.
fn commit(
    workdir: &Path,
    repo: &Repository,
    branch: &str,
    files: &[(&str, String)],
    parents: &[Oid],
) -> Oid {
    let mut index = repo.index().unwrap();
    if let Some(&parent) = parents.first() {
        index
            .read_tree(&repo.find_commit(parent).unwrap().tree().unwrap())
            .unwrap();
    }
    for (path, content) in files {
        let full = workdir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, content).unwrap();
        index.add_path(Path::new(path)).unwrap();
    }
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let parents: Vec<_> = parents
        .iter()
        .map(|p| repo.find_commit(*p).unwrap())
        .collect();
    let parents: Vec<_> = parents.iter().collect();
    let refname = format!("refs/heads/{branch}");
    let update = if repo.find_reference(&refname).is_ok() || parents.is_empty() {
        Some(refname.as_str())
    } else {
        None
    };
    let sig = signature();
    let id = repo
        .commit(update, &sig, &sig, "commit", &tree, &parents)
        .unwrap();
    if update.is_none() {
        repo.reference(&refname, id, false, "branch").unwrap();
    }
    id
}

fn signature() -> Signature<'static> {
    Signature::new(
        "Test",
        "test@example.com",
        &git2::Time::new(1_700_000_000, 0),
    )
    .unwrap()
}

#[test]
fn revisions_of_every_kind() {
    let f = Fixture::new();
    let c1 = f.c1.to_string();
    let short_c1 = f.short(f.c1);
    let cases: [(&str, &[&str]); 9] = [
        (
            "main",
            &["bars.example.com", "foos.example.com", "quxes.example.com"],
        ),
        (
            "HEAD",
            &["bars.example.com", "foos.example.com", "quxes.example.com"],
        ),
        ("HEAD~1", &["bars.example.com", "foos.example.com"]),
        ("main^", &["bars.example.com", "foos.example.com"]),
        ("v1.0.0", &["bars.example.com", "foos.example.com"]),
        ("origin/main", &["bars.example.com", "foos.example.com"]),
        (
            "feature",
            &["bars.example.com", "bazs.example.com", "foos.example.com"],
        ),
        (&c1, &["bars.example.com", "foos.example.com"]),
        (&short_c1, &["bars.example.com", "foos.example.com"]),
    ];
    for (rev, want) in cases {
        assert_eq!(f.names(rev, "crds"), want, "{rev}");
    }
}

#[test]
fn paths_blobs_trees_and_the_root() {
    let f = Fixture::new();
    assert_eq!(
        f.names("main", "crds/a.yaml"),
        ["foos.example.com", "quxes.example.com"]
    );
    assert_eq!(f.names("main", "crds/sub/"), ["bars.example.com"]);
    assert_eq!(f.names("main", "./crds/./sub"), ["bars.example.com"]);
    let all = [
        "bars.example.com",
        "foos.example.com",
        "quxes.example.com",
        "tops.example.com",
    ];
    assert_eq!(f.names("main", ""), all);
    assert_eq!(f.names("main", "."), all);
    let set = load_git(f.path(), "main", "crds", "old").unwrap();
    assert_eq!(set.label, "old");
    assert_eq!(
        set.crds["quxes.example.com"].origin.to_string(),
        "git:main:crds/a.yaml:13"
    );
    assert_eq!(
        set.crds["bars.example.com"].origin.to_string(),
        "git:main:crds/sub/b.json:1"
    );
}

#[test]
fn relative_paths_start_from_the_discovery_directory() {
    let f = Fixture::new();
    let sub = f.path().join("crds");
    // Root-relative, as git show REV:PATH is, from anywhere in the work tree.
    assert_eq!(
        load_git(&sub, "main", "top.yaml", "l").unwrap().crds.len(),
        1
    );
    // ./ and ../ are relative to the directory nexus started in.
    let set = load_git(&sub, "main", "./sub", "l").unwrap();
    assert_eq!(set.crds.keys().collect::<Vec<_>>(), ["bars.example.com"]);
    assert_eq!(
        set.crds["bars.example.com"].origin.file,
        "git:main:crds/sub/b.json"
    );
    assert_eq!(
        load_git(&sub, "main", "../top.yaml", "l")
            .unwrap()
            .crds
            .len(),
        1
    );
    let err = f.error(f.path(), "main", "../outside");
    assert!(
        err.starts_with("../outside leads outside the repository"),
        "{err}"
    );
}

#[test]
fn the_working_tree_is_neither_read_nor_touched() {
    let f = Fixture::new();
    let a = f.path().join("crds/a.yaml");
    std::fs::write(&a, "this: [is not valid").unwrap();
    std::fs::remove_file(f.path().join("top.yaml")).unwrap();
    assert_eq!(f.names("main", "crds/a.yaml").len(), 2);
    assert_eq!(f.names("main", "top.yaml").len(), 1);
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "this: [is not valid");
    assert!(!f.path().join("top.yaml").exists());
    assert_eq!(f.names("feature", "crds/c.yml"), ["bazs.example.com"]);
    assert!(
        !f.path().join("crds/c.yml").exists(),
        "feature was not checked out"
    );
}

#[test]
fn labels() {
    let f = Fixture::new();
    assert_eq!(
        git_label(f.path(), "main").unwrap(),
        format!("main ({})", f.short(f.c2))
    );
    assert_eq!(
        git_label(f.path(), "HEAD~1").unwrap(),
        format!("HEAD~1 ({})", f.short(f.c1))
    );
    // An annotated tag is labelled with the commit it points to, not the tag object.
    assert_eq!(
        git_label(f.path(), "v1.0.0").unwrap(),
        format!("v1.0.0 ({})", f.short(f.c1))
    );
    // A commit id is its own label.
    assert_eq!(
        git_label(f.path(), &f.c1.to_string()).unwrap(),
        f.short(f.c1)
    );
}

#[test]
fn errors() {
    let f = Fixture::new();
    let dir = f.path().display().to_string();
    let short_c2 = f.short(f.c2);
    assert_eq!(
        f.error(f.path(), "nope", "crds"),
        format!("unknown git revision 'nope' in {dir}: check git branch -a / git tag")
    );
    assert_eq!(
        f.error(f.path(), "main", "build/crds"),
        format!(
            "build/crds does not exist at git revision main ({short_c2}); see what is there with git ls-tree --name-only main"
        )
    );
    assert_eq!(
        f.error(f.path(), "feature", "top.yaml"),
        format!(
            "top.yaml does not exist at git revision feature ({}); see what is there with git ls-tree --name-only feature",
            short_of(&f, "feature")
        )
    );
    let blob = Repository::open(f.path())
        .unwrap()
        .revparse_single("main:top.yaml")
        .unwrap()
        .id()
        .to_string();
    let err = f.error(f.path(), &blob, "crds");
    assert!(err.contains("names a blob, not a commit"), "{err}");

    let outside = tempfile::tempdir().unwrap();
    assert!(!in_git_repository(outside.path()));
    assert_eq!(
        f.error(outside.path(), "main", "crds"),
        format!(
            "{} is not in a git repository; run nexus inside the repository that holds the CRDs",
            outside.path().display()
        )
    );
}

fn short_of(f: &Fixture, rev: &str) -> String {
    let repo = Repository::open(f.path()).unwrap();
    let id = repo
        .revparse_single(rev)
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id();
    f.short(id)
}

#[test]
fn an_empty_repository_has_no_head_yet() {
    let dir = tempfile::tempdir().unwrap();
    Repository::init(dir.path()).unwrap();
    assert!(in_git_repository(dir.path()));
    let err = load_git(dir.path(), "HEAD", "crds", "l")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "git revision 'HEAD' does not exist in {}: the repository has no commits yet",
            dir.path().display()
        )
    );
}

#[test]
fn path_exists_at_a_revision() {
    let f = Fixture::new();
    assert!(git_path_exists(f.path(), "main", "crds").unwrap());
    assert!(git_path_exists(f.path(), "main", "top.yaml").unwrap());
    assert!(!git_path_exists(f.path(), "HEAD~1", "top.yaml").unwrap());
    assert!(!git_path_exists(f.path(), "main", "build/crds").unwrap());
    assert!(git_path_exists(f.path(), "nope", "crds").is_err());
}
