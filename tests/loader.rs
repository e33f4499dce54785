//! The loader of issue 12: reports point at the changed node's line, files identical on both
//! sides are not parsed (and the report does not change), `diff`'s paired loading gives what
//! loading both sets whole gives, and the tree builder agrees with serde-saphyr on every CRD of
//! the corpus.

use assert_cmd::Command;
use nexus::config::Config;
use nexus::gate::{check, check_file_by_file, check_paired};
use nexus::report::FailOn;
use nexus::source::{self, KnownDigests, SourceSpec, Visited};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

const LINES: &str = "testdata/diff/lines";

fn nexus() -> Command {
    let mut cmd = Command::cargo_bin("nexus").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn diff(format: &str) -> String {
    let out = nexus()
        .args([
            "datamodel",
            "diff",
            &format!("{LINES}/old"),
            &format!("{LINES}/new"),
            "--format",
            format,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Changes deep inside a multi-document file and inside a `List`: each annotation names the
/// line of the changed node in the new file, and a removed field the line it had in the old file.
#[test]
fn github_annotations_point_at_the_changed_lines() {
    insta::assert_snapshot!(diff("github"));
}

#[test]
fn junit_and_markdown_name_file_and_line() {
    let junit = diff("junit");
    assert!(
        junit.contains("at: testdata/diff/lines/old/bundle.yaml:47"),
        "{junit}"
    );
    assert!(
        junit.contains("at: testdata/diff/lines/new/bundle.yaml:52"),
        "{junit}"
    );
    let markdown = diff("markdown");
    assert!(
        markdown.contains("at `testdata/diff/lines/new/bundle.yaml:112`"),
        "{markdown}"
    );
}

/// The annotation's line holds the key of the node the change is about.
#[test]
fn annotated_lines_hold_the_changed_keys() {
    let github = diff("github");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for line in github.lines().filter(|l| l.starts_with("::")) {
        let file = line
            .split("file=")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap();
        let number: usize = line
            .split("line=")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let written = text.lines().nth(number - 1).unwrap().trim();
        // The message names the field; its last path segment is the key on that line.
        let expected = ["location:", "enum:", "required:", "type: integer"];
        assert!(
            expected.iter().any(|k| written.starts_with(k)),
            "{line}\nline {number} of {file}: {written}"
        );
        checked += 1;
    }
    assert!(checked >= 4, "{github}");
}

fn crd(name: &str, body: &str) -> String {
    let (plural, group) = name.split_once('.').unwrap();
    format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {name}\nspec:\n  group: {group}\n  names:\n    kind: K{plural}\n    plural: {plural}\n  scope: Namespaced\n  versions:\n{body}"
    )
}

fn version(name: &str, storage: bool, field_type: &str) -> String {
    format!(
        "    - name: {name}\n      served: true\n      storage: {storage}\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              properties:\n                size:\n                  type: {field_type}\n"
    )
}

/// Two sides sharing many byte-identical files, some of them CRDs the API server would refuse
/// (two storage versions), plus one changed file and one removed.
fn pair_with_identical_files() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    std::fs::create_dir_all(&old).unwrap();
    std::fs::create_dir_all(&new).unwrap();
    for i in 0..40 {
        let text = if i % 7 == 0 {
            crd(
                &format!("bad{i}s.x.io"),
                &(version("v1", true, "string") + &version("v2", true, "string")),
            )
        } else {
            crd(&format!("good{i}s.x.io"), &version("v1", true, "string"))
        };
        std::fs::write(old.join(format!("c{i}.yaml")), &text).unwrap();
        std::fs::write(new.join(format!("c{i}.yaml")), &text).unwrap();
    }
    std::fs::write(
        old.join("changed.yaml"),
        crd("changeds.x.io", &version("v1", true, "string")),
    )
    .unwrap();
    std::fs::write(
        new.join("changed.yaml"),
        crd("changeds.x.io", &version("v1", true, "integer")),
    )
    .unwrap();
    std::fs::write(
        old.join("gone.yaml"),
        crd("gones.x.io", &version("v1", true, "string")),
    )
    .unwrap();
    (dir, old, new)
}

/// Skipping identical files changes nothing in the report: the same findings (the new side's
/// `crd-invalid` included), places, origins and counts as loading and comparing both sets whole.
#[test]
fn skipping_identical_files_keeps_the_report() {
    let (_dir, old_dir, new_dir) = pair_with_identical_files();
    for (old_dir, new_dir) in [
        (old_dir.clone(), new_dir.clone()),
        (
            PathBuf::from(LINES).join("old"),
            PathBuf::from(LINES).join("new"),
        ),
    ] {
        let old = source::load_path(&old_dir, "old").unwrap();
        let new = source::load_path(&new_dir, "new").unwrap();
        let slow = check(&old, &new, &Config::default(), FailOn::Breaking, false);
        let fast = check_file_by_file(
            &old,
            &SourceSpec::Path(new_dir.clone()),
            "new",
            &Config::default(),
            FailOn::Breaking,
            false,
        )
        .unwrap();
        assert_eq!(format!("{fast:#?}"), format!("{slow:#?}"));
        assert!(slow.changes.iter().any(|c| c.place.is_some()));
    }
    let old = source::load_path(&old_dir, "old").unwrap();
    let new = source::load_path(&new_dir, "new").unwrap();
    let report = check(&old, &new, &Config::default(), FailOn::Breaking, false);
    let invalid = report
        .changes
        .iter()
        .filter(|c| c.rule.as_str() == "crd-invalid")
        .count();
    assert!(invalid >= 6, "{:#?}", report.changes);
}

/// The identical files are handed over unparsed; the changed one is parsed.
#[test]
fn identical_files_are_not_parsed() {
    let (_dir, old_dir, new_dir) = pair_with_identical_files();
    let old = source::load_path(&old_dir, "old").unwrap();
    let mut known = KnownDigests::default();
    for file in &old.files {
        known.insert(file.len, file.digest);
    }
    let mut seen = source::visit_files(&SourceSpec::Path(new_dir), "new", &known, |file| {
        Ok(match file {
            Visited::Parsed(set) => format!("parsed {:?}", set.crds.keys().collect::<Vec<_>>()),
            Visited::Unchanged { file, .. } => {
                format!("unchanged {}", file.rsplit('/').next().unwrap())
            }
        })
    })
    .unwrap();
    seen.sort();
    assert_eq!(
        seen.iter().filter(|s| s.starts_with("unchanged")).count(),
        40
    );
    assert!(
        seen.contains(&"parsed [\"changeds.x.io\"]".to_string()),
        "{seen:?}"
    );
}

/// Every file of the shared corpus (`NEXUS_CORPUS`) loads through the tree builder, to the
/// values and document lines serde-saphyr gives.
#[test]
fn the_tree_builder_agrees_with_serde_saphyr_on_the_corpus() {
    let Some(corpus) = std::env::var_os("NEXUS_CORPUS") else {
        eprintln!("skipping: NEXUS_CORPUS is not set");
        return;
    };
    let mut files = Vec::new();
    let mut dirs = vec![PathBuf::from(corpus)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "json") {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty());
    let mut built = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let name = path.display().to_string();
        let fast = source::yaml::parse_documents(&bytes, &name).unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        let slow = source::yaml::parse_documents_through_serde(text, &name).unwrap();
        let values = |docs: &[source::yaml::Document]| {
            docs.iter()
                .map(|d| (d.line, d.value.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(values(&fast), values(&slow), "{name}");
        if fast.iter().all(|d| !d.spans.is_empty()) {
            built += 1;
        }
    }
    // Only files with anchors or tags may go through serde-saphyr.
    assert!(
        built * 100 >= files.len() * 95,
        "{built} of {}",
        files.len()
    );
}

/// One document of a generated file.
#[derive(Debug, Clone)]
enum Doc {
    /// A CRD of the name pool, with the type of its one field.
    Crd(usize, bool),
    /// A `v1` `List` of CRDs.
    List(Vec<(usize, bool)>),
    ConfigMap,
    /// A CRD without `metadata.name`.
    Nameless,
    /// YAML that does not parse.
    Broken,
}

const NAMES: [&str; 5] = ["as.x.io", "bs.x.io", "cs.x.io", "ds.x.io", "es.y.io"];
const FILES: [&str; 5] = [
    "one.yaml",
    "two.yaml",
    "sub/three.yaml",
    "sub/deep/four.yml",
    "z.yaml",
];

fn doc() -> impl Strategy<Value = Doc> {
    prop_oneof![
        12 => (0..NAMES.len(), any::<bool>()).prop_map(|(n, t)| Doc::Crd(n, t)),
        2 => prop::collection::vec((0..NAMES.len(), any::<bool>()), 0..3).prop_map(Doc::List),
        2 => Just(Doc::ConfigMap),
        1 => Just(Doc::Nameless),
        1 => Just(Doc::Broken),
    ]
}

fn crd_text(name: usize, integer: bool) -> String {
    crd(
        NAMES[name],
        &version("v1", true, if integer { "integer" } else { "string" }),
    )
}

fn render(docs: &[Doc]) -> String {
    let mut out = String::new();
    for doc in docs {
        out.push_str("---\n");
        match doc {
            Doc::Crd(n, t) => out.push_str(&crd_text(*n, *t)),
            Doc::List(items) => {
                out.push_str("apiVersion: v1\nkind: List\nitems:\n");
                for (n, t) in items {
                    let text = crd_text(*n, *t);
                    for (i, line) in text.lines().enumerate() {
                        out.push_str(if i == 0 { "- " } else { "  " });
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
            Doc::ConfigMap => out.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"),
            Doc::Nameless => out.push_str(
                "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {}\n",
            ),
            Doc::Broken => out.push_str("a: [b\n"),
        }
    }
    out
}

/// A side: some of the file names, each with its documents.
fn side() -> impl Strategy<Value = Vec<(usize, Vec<Doc>)>> {
    prop::collection::btree_map(0..FILES.len(), prop::collection::vec(doc(), 1..4), 0..5)
        .prop_map(|files| files.into_iter().collect())
}

fn write_side(root: &Path, files: &[(usize, Vec<Doc>)]) {
    std::fs::create_dir_all(root).unwrap();
    for (file, docs) in files {
        let path = root.join(FILES[*file]);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, render(docs)).unwrap();
    }
}

/// The report of loading both sets whole and comparing them, or the first error.
fn whole(old: &Path, new: &Path) -> Result<String, String> {
    let old = source::load_path(old, "old").map_err(|e| e.to_string())?;
    let new = source::load_path(new, "new").map_err(|e| e.to_string())?;
    Ok(format!(
        "{:#?}",
        check(&old, &new, &Config::default(), FailOn::Breaking, false)
    ))
}

fn paired(old: &Path, new: &Path) -> Result<String, String> {
    check_paired(
        &SourceSpec::Path(old.to_path_buf()),
        "old",
        &SourceSpec::Path(new.to_path_buf()),
        "new",
        &Config::default(),
        FailOn::Breaking,
        false,
    )
    .map(|report| format!("{report:#?}"))
    .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Pairing files by place gives the report (or the error) of loading both sets whole, however
    /// CRDs move between files, files are renamed, copied unchanged, hold lists, duplicates,
    /// nameless CRDs or broken YAML.
    #[test]
    fn paired_loading_is_whole_loading(
        old_files in side(),
        new_files in side(),
        copied in prop::collection::vec(any::<bool>(), FILES.len()),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (dir.path().join("old"), dir.path().join("new"));
        write_side(&old, &old_files);
        // Some old files are also on the new side, byte for byte.
        let mut new_files = new_files;
        for (file, docs) in &old_files {
            if copied[*file] {
                new_files.retain(|(f, _)| f != file);
                new_files.push((*file, docs.clone()));
            }
        }
        write_side(&new, &new_files);
        prop_assert_eq!(paired(&old, &new), whole(&old, &new));
    }
}

/// Single files pair whatever their names; a CRD that moved to a file of another name is still
/// compared with its old self, not reported removed and added.
#[test]
fn paired_loading_follows_crds_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    write_side(&old, &[(0, vec![Doc::Crd(0, false), Doc::Crd(1, false)])]);
    write_side(
        &new,
        &[(1, vec![Doc::Crd(0, true)]), (2, vec![Doc::Crd(1, false)])],
    );
    let report = paired(&old, &new).unwrap();
    assert_eq!(report, whole(&old, &new).unwrap());
    assert!(report.contains("TypeChanged"), "{report}");
    assert!(
        !report.contains("CrdRemoved") && !report.contains("CrdAdded"),
        "{report}"
    );
    let (a, b) = (old.join(FILES[0]), new.join(FILES[1]));
    assert_eq!(paired(&a, &b), whole(&a, &b));
}
