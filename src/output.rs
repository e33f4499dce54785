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

use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Replaces `dir` with a directory holding exactly `files` (name, content).
pub fn replace_dir(dir: &Path, files: &[(String, String)]) -> Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = dir
        .file_name()
        .ok_or_else(|| {
            Error::input(format!(
                "{} is not a directory name to write to",
                dir.display()
            ))
        })?
        .to_string_lossy()
        .to_string();
    fs::create_dir_all(&parent).map_err(|e| Error::read(&parent, &e))?;
    let staging = parent.join(format!(".{base}.nexus-new"));
    let backup = parent.join(format!(".{base}.nexus-old"));
    recover(dir, &staging, &backup)?;

    fs::create_dir(&staging).map_err(|e| write_error(&staging, &e))?;
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

/// Cleans up after a run that was killed: a staging directory is unfinished work (drop it); a
/// backup without an output directory is the old set between the two fallback renames (restore it).
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
