//! Finding the packages of a datamodel: every directory below the root with Go files, minus the
//! directories Go and nexus leave out. The result is sorted, whatever order the file system
//! lists entries in.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// How deep directories may nest below the root.
const MAX_DIR_DEPTH: usize = 64;

/// One directory with Go files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PackageDir {
    /// Relative to the root, `/`-separated (`""` for the root itself).
    pub dir: String,
    /// Relative paths (`/`-separated) of its `.go` files, sorted.
    pub files: Vec<String>,
}

/// Whether a directory (by name) is never part of the datamodel: `build` (generated output),
/// `vendor`, `testdata`, and names starting with `.` or `_` (which the Go tool ignores too).
fn skipped_dir_name(name: &str) -> bool {
    matches!(name, "build" | "vendor" | "testdata")
        || name.starts_with('.')
        || name.starts_with('_')
}

/// Whether a file is a Go source file of its package (tests and hidden files are not).
fn is_go_source(name: &str) -> bool {
    name.ends_with(".go")
        && !name.ends_with("_test.go")
        && !name.starts_with('.')
        && !name.starts_with('_')
}

/// Lists the package directories below `root`, sorted by directory.
pub(crate) fn discover(root: &Path, ignored: &[String]) -> Result<Vec<PackageDir>> {
    let mut packages = Vec::new();
    let mut pending: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    while let Some((path, rel, depth)) = pending.pop() {
        let entries = std::fs::read_dir(&path).map_err(|e| Error::read(&path, &e))?;
        let mut names: Vec<(String, std::fs::FileType)> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::read(&path, &e))?;
            let Ok(name) = entry.file_name().into_string() else {
                // Go import paths are UTF-8; a directory that is not cannot be a package.
                continue;
            };
            let file_type = entry
                .file_type()
                .map_err(|e| Error::read(entry.path(), &e))?;
            names.push((name, file_type));
        }
        names.sort_by(|a, b| a.0.cmp(&b.0));
        let mut files = Vec::new();
        for (name, file_type) in names {
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if file_type.is_dir() {
                // Symbolic links to directories are not followed (as `go build ./...` does not).
                if skipped_dir_name(&name) || ignored.contains(&child_rel) {
                    continue;
                }
                if depth + 1 > MAX_DIR_DEPTH {
                    return Err(Error::input(format!(
                        "{}: directories nest more than {MAX_DIR_DEPTH} levels below the datamodel root; flatten the layout or list the directory in nexus.yaml ignoredDirs",
                        path.join(&name).display()
                    )));
                }
                pending.push((path.join(&name), child_rel, depth + 1));
            } else if is_go_source(&name) {
                let is_file = file_type.is_file()
                    || (file_type.is_symlink()
                        && std::fs::metadata(path.join(&name)).is_ok_and(|m| m.is_file()));
                if is_file {
                    files.push(child_rel);
                }
            }
        }
        if !files.is_empty() {
            packages.push(PackageDir { dir: rel, files });
        }
    }
    packages.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_package_directories_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in [
            "config/gns",
            "build/crds",
            "vendor/x",
            ".git",
            "_old",
            "testdata",
            "ignored/deep",
            "empty",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for f in [
            "root.go",
            "root_test.go",
            "config/config.go",
            "config/gns/b.go",
            "config/gns/a.go",
            "build/crds/x.go",
            "vendor/x/x.go",
            ".git/x.go",
            "_old/x.go",
            "testdata/x.go",
            "ignored/deep/x.go",
            "config/README.md",
        ] {
            std::fs::write(root.join(f), "package x\n").unwrap();
        }
        let found = discover(root, &["ignored".to_string()]).unwrap();
        assert_eq!(
            found,
            vec![
                PackageDir {
                    dir: String::new(),
                    files: vec!["root.go".into()]
                },
                PackageDir {
                    dir: "config".into(),
                    files: vec!["config/config.go".into()]
                },
                PackageDir {
                    dir: "config/gns".into(),
                    files: vec!["config/gns/a.go".into(), "config/gns/b.go".into()]
                },
            ]
        );
    }
}
