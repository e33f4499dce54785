//! File and directory sources: a file named on the command line is read whatever its name (it may
//! be `/dev/stdin` or a `<(kubectl …)` pipe, read up to the input limit); a directory contributes
//! every `*.yaml`, `*.yml` and `*.json` regular file below it, in sorted order so that results
//! never depend on the file system. A FIFO, socket or device with such a name is skipped and
//! counted (reading a FIFO nobody writes to would wait forever).

use super::workers::{Content, SourceFile};
use crate::error::{Error, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Whether a file name is one a directory source reads (`.yaml`, `.yml`, `.json`, any case).
pub fn is_manifest_name(name: &str) -> bool {
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    ["yaml", "yml", "json"]
        .iter()
        .any(|wanted| ext.eq_ignore_ascii_case(wanted))
}

/// The files of a path source. A path that does not exist is an error; an empty directory is
/// not (it is an empty set).
pub fn files(path: &Path) -> Result<Vec<SourceFile>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::read(path, &e))?;
    if !meta.is_dir() {
        return Ok(vec![SourceFile {
            name: path.display().to_string(),
            content: Content::Named(path.to_path_buf()),
        }]);
    }
    Ok(walk(path)?
        .into_iter()
        .map(|(file, special)| SourceFile {
            name: file.display().to_string(),
            content: if special {
                Content::Special
            } else {
                Content::Path(file)
            },
        })
        .collect())
}

/// Every manifest below `root`, sorted. Symbolic links are followed (a link to a directory is
/// walked once: loops are cut); `.git` directories are git's database, never sources, and are
/// skipped. The walk keeps its own stack: directory depth never becomes recursion depth. Each
/// manifest comes with whether it is a special file (FIFO, socket, device), to be skipped.
fn walk(root: &Path) -> Result<Vec<(PathBuf, bool)>> {
    let mut found = Vec::new();
    let mut seen_dirs = HashSet::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let real = std::fs::canonicalize(&dir).map_err(|e| Error::read(&dir, &e))?;
        if !seen_dirs.insert(real) {
            continue;
        }
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::read(&dir, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::read(&dir, &e))?;
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // `metadata` follows links; a broken link with a manifest name is kept so that the
            // read reports it rather than the file silently missing from the set.
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() && name != ".git" => pending.push(path),
                Ok(meta) if meta.is_dir() => {}
                Ok(meta) if is_manifest_name(&name) => found.push((path, !meta.is_file())),
                _ if is_manifest_name(&name) => found.push((path, false)),
                _ => {}
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_names() {
        for yes in ["a.yaml", "a.yml", "a.json", "A.YAML", "x.y.Json", ".yaml"] {
            assert!(is_manifest_name(yes), "{yes}");
        }
        for no in ["a", "a.txt", "yaml", "a.yaml.bak", "a.jsonl", "a.yaml~"] {
            assert!(!is_manifest_name(no), "{no}");
        }
    }

    fn names(files: &[SourceFile], root: &Path) -> Vec<String> {
        files
            .iter()
            .map(|f| {
                Path::new(&f.name)
                    .strip_prefix(root)
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn walks_recursively_in_sorted_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in [
            "b.yaml",
            "a.json",
            "sub/z.yml",
            "sub/deeper/c.yaml",
            ".hidden/h.yaml",
            "notes.txt",
            "sub/README.md",
            ".git/config.yaml",
        ] {
            let path = root.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let files = files(root).unwrap();
        assert_eq!(
            names(&files, root),
            [
                ".hidden/h.yaml",
                "a.json",
                "b.yaml",
                "sub/deeper/c.yaml",
                "sub/z.yml"
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn follows_links_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("d")).unwrap();
        std::fs::write(root.join("d/a.yaml"), "").unwrap();
        std::os::unix::fs::symlink(root, root.join("d/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("missing.yaml"), root.join("broken.yaml")).unwrap();
        let files = files(root).unwrap();
        assert_eq!(names(&files, root), ["broken.yaml", "d/a.yaml"]);
    }

    #[cfg(unix)]
    #[test]
    fn special_files_in_a_directory_are_listed_as_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.yaml"), "").unwrap();
        let fifo =
            std::ffi::CString::new(root.join("pipe.yaml").into_os_string().into_encoded_bytes())
                .unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let files = files(root).unwrap();
        assert_eq!(names(&files, root), ["a.yaml", "pipe.yaml"]);
        assert!(matches!(files[0].content, Content::Path(_)));
        assert!(matches!(files[1].content, Content::Special));
    }

    #[test]
    fn a_named_file_is_read_whatever_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crds.txt");
        std::fs::write(&path, "").unwrap();
        let files = files(&path).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, path.display().to_string());
    }

    #[test]
    fn missing_path_is_an_error() {
        let err = files(Path::new("/no/such/dir")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot read /no/such/dir: no such file or directory"
        );
    }
}
