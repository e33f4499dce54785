//! `build`'s output directory, and when it may be replaced: only when nexus wrote it.
//!
//! Replacing deletes everything in the directory, so `build` writes a marker file, [`MARKER`],
//! listing the CRD files it wrote, and replaces a directory only when every entry is one nexus
//! wrote: the marker, a file the marker lists, the last-build record, or (for directories written
//! before the marker existed) a YAML file holding a CRD of this datamodel's groups. The datamodel
//! root, a directory above it, and any directory holding `.git`, `go.mod`, `nexus.yaml` or a Go
//! source are never replaced, whatever a marker says. The first foreign entry, in sorted order,
//! is named in the error.

use super::existing_dir_entries;
use crate::error::{Error, Result};
use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::path::Path;

/// The marker file `build` writes with the CRDs.
pub const MARKER: &str = ".nexus-crds";

/// The last-build record's file name (`migrate::last_build::FILE`), which sits in the output
/// directory when `--output build` is given.
const LAST_BUILD: &str = ".nexus-last-build.json";

/// Files larger than this are not read to decide whether they are CRDs: no generated CRD comes
/// near it, and reading an arbitrary large file only to refuse it would cost memory.
const MAX_READ: u64 = 64 << 20;

/// What `build` knows about the directory it writes to.
pub struct Owner<'a> {
    /// The datamodel root.
    pub root: &'a Path,
    /// `groupName` G of nexus.yaml: this datamodel's CRDs are in G or `<package>.G`.
    pub group: &'a str,
}

/// Replaces `dir` with the generated `files` (name, YAML) and the marker, atomically, after
/// checking that nexus wrote what is there; a last-build record in it is kept.
pub fn write(dir: &Path, owner: &Owner<'_>, files: &[(String, String)]) -> Result<()> {
    let mut all = Vec::with_capacity(files.len() + 2);
    all.push((MARKER.to_string(), marker_text(files)));
    all.extend(files.iter().cloned());
    // Through the input reader: a FIFO in its place must not hang the build.
    if let Ok(Some(record)) = crate::input::read_regular_if_exists(&dir.join(LAST_BUILD)) {
        if let Ok(record) = String::from_utf8(record) {
            all.push((LAST_BUILD.to_string(), record));
        }
    }
    super::replace_dir_checked(dir, &all, &|d| check(d, owner))
}

fn marker_text(files: &[(String, String)]) -> String {
    let mut text = String::from(
        "# Written by `nexus datamodel build` with the CRDs below; the next build replaces this\n\
         # directory whole. Keep other files elsewhere: build refuses to delete files it did not write.\n",
    );
    for (name, _) in files {
        text.push_str(name);
        text.push('\n');
    }
    text
}

/// Whether [`write`] may replace `dir`, checked without writing anything: `dir` and any
/// staging or backup directory a killed run left beside it.
pub fn check_output(dir: &Path, owner: &Owner<'_>) -> Result<()> {
    super::check_replace(dir, &|d| check(d, owner)).map(|_| ())
}

/// Whether `build` may replace (delete) `dir`: it is missing, or nexus wrote everything in it.
pub fn check(dir: &Path, owner: &Owner<'_>) -> Result<()> {
    let Some(entries) = existing_dir_entries(dir)? else {
        return Ok(());
    };
    refuse_root_or_above(dir, owner.root)?;
    let listed = marker_names(dir);
    for name in &entries {
        if let Some(why) = foreign(dir, name, &listed, owner.group) {
            return Err(Error::input(format!(
                "{}: {why}; `datamodel build` replaces {} whole and would delete it, so it writes nothing: move the file away, or give --output a directory of its own",
                dir.join(name).display(),
                dir.display()
            )));
        }
    }
    Ok(())
}

fn refuse_root_or_above(dir: &Path, root: &Path) -> Result<()> {
    let (Ok(dir_c), Ok(root_c)) = (dir.canonicalize(), root.canonicalize()) else {
        return Ok(());
    };
    if !root_c.starts_with(&dir_c) {
        return Ok(());
    }
    let what = if dir_c == root_c {
        "is the datamodel root".to_string()
    } else {
        format!("holds the datamodel root {}", root.display())
    };
    Err(Error::input(format!(
        "--output {} {what}; `datamodel build` replaces its output directory whole, so it writes nothing: give a directory of its own, such as build/crds",
        dir.display()
    )))
}

/// The file names the marker lists; none when there is no marker (or it cannot be a marker).
fn marker_names(dir: &Path) -> Vec<String> {
    let path = dir.join(MARKER);
    let Some(bytes) = read_small_file(&path) else {
        return Vec::new();
    };
    let mut names: Vec<String> = String::from_utf8_lossy(&bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

/// Why the entry `name` of `dir` is not one nexus wrote, if it is not.
fn foreign(dir: &Path, name: &OsStr, listed: &[String], group: &str) -> Option<&'static str> {
    let Some(text) = name.to_str() else {
        return Some("not written by nexus (its name is not UTF-8)");
    };
    // Never nexus's, whatever a marker lists.
    if text == ".git" {
        return Some("a git repository, not written by nexus");
    }
    if text == "go.mod" || text == "nexus.yaml" || text.ends_with(".go") {
        return Some("a datamodel source file, not written by nexus");
    }
    let path = dir.join(name);
    let is_file = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
    if !is_file {
        return Some("not written by nexus (build writes only files, no directories or links)");
    }
    if text == MARKER || text == LAST_BUILD {
        return None;
    }
    if text.ends_with(".yaml") && listed.binary_search_by(|l| l.as_str().cmp(text)).is_ok() {
        return None;
    }
    if text.ends_with(".yaml") && is_crd_of(&path, group) {
        return None;
    }
    Some("not written by nexus (it is not a CRD of this datamodel)")
}

/// A YAML file holding one CRD whose group is `group` or `<package>.group`: what a build of this
/// datamodel writes, recognised in directories written before the marker existed.
fn is_crd_of(path: &Path, group: &str) -> bool {
    let Some(bytes) = read_small_file(path) else {
        return false;
    };
    let Ok(docs) = crate::source::yaml::parse_documents(&bytes, &path.display().to_string()) else {
        return false;
    };
    let [doc] = docs.as_slice() else {
        return false;
    };
    let value = &doc.value;
    let api_version = value["apiVersion"].as_str().unwrap_or("");
    let crd_group = value["spec"]["group"].as_str().unwrap_or("");
    value["kind"] == "CustomResourceDefinition"
        && api_version.starts_with("apiextensions.k8s.io/")
        && (crd_group == group
            || crd_group
                .strip_suffix(group)
                .is_some_and(|p| p.len() > 1 && p.ends_with('.')))
}

/// A regular file's bytes, unless it is larger than [`MAX_READ`] or cannot be read.
fn read_small_file(path: &Path) -> Option<Vec<u8>> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_file() || meta.len() > MAX_READ {
        return None;
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    fs::File::open(path)
        .ok()?
        .take(MAX_READ + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    (bytes.len() as u64 <= MAX_READ).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(root: &Path) -> Owner<'_> {
        Owner {
            root,
            group: "orgchart.org",
        }
    }

    const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: leaders.root.orgchart.org\nspec:\n  group: root.orgchart.org\n";

    #[test]
    fn recognises_crds_of_the_datamodel() {
        let dir = tempfile::tempdir().unwrap();
        let ok = |text: &str| {
            let path = dir.path().join("x.yaml");
            fs::write(&path, text).unwrap();
            is_crd_of(&path, "orgchart.org")
        };
        assert!(ok(CRD));
        assert!(ok(&CRD.replace("root.orgchart.org", "orgchart.org")));
        assert!(!ok(&CRD.replace("root.orgchart.org", "rootorgchart.org")));
        assert!(!ok(&CRD.replace("root.orgchart.org", "example.com")));
        assert!(!ok(&CRD.replace("CustomResourceDefinition", "ConfigMap")));
        assert!(!ok(&format!("{CRD}---\n{CRD}")));
        assert!(!ok("key: [unclosed\n"));
    }

    #[test]
    fn names_the_first_foreign_entry_in_sorted_order() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("dm");
        let out = root.join("build/crds");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("root_leader.yaml"), CRD).unwrap();
        assert!(check(&out, &owner(&root)).is_ok(), "a CRD of the datamodel");
        fs::write(out.join("zz.txt"), "notes").unwrap();
        fs::write(out.join("b.txt"), "notes").unwrap();
        let err = check(&out, &owner(&root)).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}:", out.join("b.txt").display())),
            "{err}"
        );
    }

    #[test]
    fn a_marker_cannot_claim_sources() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join(MARKER), "main.go\nnotes.yaml\n").unwrap();
        fs::write(out.join("notes.yaml"), "a: 1\n").unwrap();
        assert!(
            check(&out, &owner(temp.path())).is_ok(),
            "listed in the marker"
        );
        fs::write(out.join("main.go"), "package main\n").unwrap();
        let err = check(&out, &owner(temp.path())).unwrap_err().to_string();
        assert!(err.contains("main.go: a datamodel source file"), "{err}");
    }

    #[test]
    fn the_root_and_its_ancestors_are_refused() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("dm");
        fs::create_dir_all(&root).unwrap();
        let err = check(&root, &owner(&root)).unwrap_err().to_string();
        assert!(err.contains("is the datamodel root"), "{err}");
        let err = check(temp.path(), &owner(&root)).unwrap_err().to_string();
        assert!(err.contains("holds the datamodel root"), "{err}");
    }
}
