//! Replacing an output directory atomically: a crash or a kill at any moment leaves either the
//! complete old set or the complete new set at the output path.
//!
//! The new files are written (unchanged files hard-linked) in a staging directory beside the output, then the two
//! directories are swapped in one `renameat2(RENAME_EXCHANGE)` call (Linux). Where the file system
//! cannot exchange, the fallback is two renames with the old set kept beside the output; a stale
//! staging or backup directory left by a kill is cleaned up (or restored) by the next run.
//!
//! The files are not fsynced one by one: a killed process loses nothing the kernel already has, and
//! syncing a thousand files costs seconds on every build, which developers run many times a day.
//! Against a power loss the output is regenerable (and committed): the next build rewrites it.

pub mod crds;
pub mod yaml;

use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Marks a staging directory while it is being filled: a stale one holding it is unfinished work
/// of a killed run, safe to delete. Removed before the swap, so it never reaches the output.
const STAGING_MARKER: &str = ".nexus-staging";

/// Creates `dir` holding exactly `files` (name, content); `dir` must be missing or empty.
pub fn replace_dir(dir: &Path, files: &[(String, String)]) -> Result<()> {
    replace_dir_checked(dir, files, &empty_only)
}

/// Replaces `dir` with a directory holding exactly `files` (name, content). `replaceable` says
/// whether a directory may be deleted (it is called with `dir`, and with a staging or backup
/// directory a killed run left behind); it is an error, and nothing is written, if not.
pub fn replace_dir_checked(
    dir: &Path,
    files: &[(String, String)],
    replaceable: &dyn Fn(&Path) -> Result<()>,
) -> Result<()> {
    let Places {
        dir,
        parent,
        staging,
        backup,
    } = check_replace(dir, replaceable)?;
    let dir = dir.as_path();
    fs::create_dir_all(&parent).map_err(|e| Error::read(&parent, &e))?;
    recover(dir, &staging, &backup)?;

    fs::create_dir(&staging).map_err(|e| write_error(&staging, &e))?;
    let marker = staging.join(STAGING_MARKER);
    fs::write(&marker, b"").map_err(|e| write_error(&marker, &e))?;
    for (name, content) in files {
        let path = staging.join(name);
        // An unchanged file is hard-linked from the current set instead of written: creating a
        // file costs about a millisecond on some file systems, a link a hundredth of that, and a
        // typical build changes few of its CRDs.
        let current = dir.join(name);
        if crate::input::read_regular(&current).is_ok_and(|bytes| bytes == content.as_bytes())
            && fs::hard_link(&current, &path).is_ok()
        {
            continue;
        }
        let mut f = fs::File::create(&path).map_err(|e| write_error(&path, &e))?;
        f.write_all(content.as_bytes())
            .map_err(|e| write_error(&path, &e))?;
    }
    fs::remove_file(&marker).map_err(|e| write_error(&marker, &e))?;
    failpoint("after-staging");

    if !dir.exists() {
        fs::rename(&staging, dir).map_err(|e| write_error(dir, &e))?;
    } else if exchange(&staging, dir).is_ok() {
        failpoint("after-exchange");
        // `staging` now holds the old set.
        fs::remove_dir_all(&staging).map_err(|e| write_error(&staging, &e))?;
    } else {
        fs::rename(dir, &backup).map_err(|e| write_error(dir, &e))?;
        fs::rename(&staging, dir).map_err(|e| write_error(dir, &e))?;
        fs::remove_dir_all(&backup).map_err(|e| write_error(&backup, &e))?;
    }
    Ok(())
}

/// The output directory and the directories beside it that replacing it uses.
pub(crate) struct Places {
    dir: PathBuf,
    parent: PathBuf,
    staging: PathBuf,
    backup: PathBuf,
}

/// Checks, without writing anything, that [`replace_dir_checked`] may delete what it would:
/// `dir` and any staging or backup directory left beside it. `dir` is taken with `.` and `..`
/// resolved by its text, so that what is checked is what is written, whichever directories
/// exist yet (`build/../..` must not become the root once `build` is created).
pub(crate) fn check_replace(
    dir: &Path,
    replaceable: &dyn Fn(&Path) -> Result<()>,
) -> Result<Places> {
    let dir = normalize(dir);
    replaceable(&dir)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = dir
        .file_name()
        .ok_or_else(|| {
            Error::input(format!(
                "{} is not a directory name to write to; name the directory itself",
                dir.display()
            ))
        })?
        .to_string_lossy()
        .to_string();
    let staging = parent.join(format!(".{base}.nexus-new"));
    let backup = parent.join(format!(".{base}.nexus-old"));
    if !is_unfinished_staging(&staging) {
        replaceable(&staging)?;
    }
    replaceable(&backup)?;
    Ok(Places {
        dir,
        parent,
        staging,
        backup,
    })
}

/// `path` with `.` dropped and `name/..` pairs removed, by its text alone. Leading `..` stay.
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(part),
            },
            _ => out.push(part),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// A real directory (not a link) holding [`STAGING_MARKER`].
fn is_unfinished_staging(staging: &Path) -> bool {
    fs::symlink_metadata(staging).is_ok_and(|m| m.is_dir())
        && fs::symlink_metadata(staging.join(STAGING_MARKER)).is_ok_and(|m| m.is_file())
}

/// The check of [`replace_dir`]: a missing or empty directory.
pub fn empty_only(dir: &Path) -> Result<()> {
    let Some(entries) = existing_dir_entries(dir)? else {
        return Ok(());
    };
    match entries.first() {
        None => Ok(()),
        Some(name) => Err(Error::input(format!(
            "{}: nexus did not write this, and writing {} would delete it; move it away or choose a new directory",
            dir.join(name).display(),
            dir.display()
        ))),
    }
}

/// The entry names of `dir`, sorted; `None` when it does not exist. A symbolic link or a file in
/// its place is an error: replacing would swap the link or file away, not the directory the user
/// meant.
pub(crate) fn existing_dir_entries(dir: &Path) -> Result<Option<Vec<std::ffi::OsString>>> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::read(dir, &e)),
    };
    if meta.file_type().is_symlink() {
        return Err(Error::input(format!(
            "{} is a symbolic link; nexus replaces this directory whole, so name the directory itself (not a link to it)",
            dir.display()
        )));
    }
    if !meta.is_dir() {
        return Err(Error::input(format!(
            "{} is a file, not a directory; nexus writes a directory there: move the file away or choose another directory",
            dir.display()
        )));
    }
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::read(dir, &e))? {
        names.push(entry.map_err(|e| Error::read(dir, &e))?.file_name());
    }
    names.sort();
    Ok(Some(names))
}

/// Cleans up after a run that was killed: a staging directory is unfinished work (drop it); a
/// backup without an output directory is the old set between the two fallback renames (restore it).
/// The caller has checked that both may be deleted.
fn recover(dir: &Path, staging: &Path, backup: &Path) -> Result<()> {
    if staging.exists() {
        fs::remove_dir_all(staging).map_err(|e| write_error(staging, &e))?;
    }
    if backup.exists() {
        if dir.exists() {
            fs::remove_dir_all(backup).map_err(|e| write_error(backup, &e))?;
        } else {
            fs::rename(backup, dir).map_err(|e| write_error(dir, &e))?;
        }
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

fn write_error(path: &Path, err: &std::io::Error) -> Error {
    Error::input(format!(
        "cannot write {}: {err}; check that the directory is writable",
        path.display()
    ))
}

/// Test hook: `NEXUS_FAILPOINT=<name>` aborts the process at that point, as a kill would, so the
/// end-to-end tests can check what a crash leaves behind.
fn failpoint(name: &str) {
    if std::env::var("NEXUS_FAILPOINT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots_by_text() {
        let n = |p: &str| normalize(Path::new(p)).display().to_string();
        assert_eq!(n("build/../../dm"), "../dm");
        assert_eq!(n("./build/./crds/"), "build/crds");
        assert_eq!(n("a/.."), ".");
        assert_eq!(n("/a/../../b"), "/b");
        assert_eq!(n("../../x"), "../../x");
    }

    #[test]
    fn replace_dir_takes_only_an_empty_directory_and_cleans_its_own_staging() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("out");
        let files = vec![("a.yaml".to_string(), "a: 1\n".to_string())];
        // A staging directory a killed run left while filling it.
        let staging = temp.path().join(".out.nexus-new");
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join(STAGING_MARKER), "").unwrap();
        fs::write(staging.join("half.yaml"), "a:").unwrap();
        replace_dir(&dir, &files).unwrap();
        assert!(!staging.exists());
        assert_eq!(fs::read_to_string(dir.join("a.yaml")).unwrap(), "a: 1\n");
        assert!(!dir.join(STAGING_MARKER).exists());
        let err = replace_dir(&dir, &files).unwrap_err().to_string();
        assert!(
            err.contains("out/a.yaml: nexus did not write this"),
            "{err}"
        );
    }
}
