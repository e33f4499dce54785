//! The backup a run writes before its first write to the cluster: one YAML file per object read,
//! named by CRD (resource and group), namespace and name, so that objects of two CRDs with one
//! kind (`root.Leader`, `mgmt.Leader`) never share a file. The files hold stored data (which may
//! be secret), so they are written 0600 in 0700 directories. The directory appears complete or
//! not at all (written beside it, then renamed), and the number of files in it is checked against
//! the number of objects before anything is written to the cluster.

use super::objects::file_name;
use super::plan::PlannedObject;
use crate::error::{Error, Result};
use crate::output::yaml::to_yaml;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes one file per object of `objects` into `dir`, which must be new or empty; returns how
/// many files it holds (always `objects.len()`: anything else is an error).
pub fn write(dir: &Path, objects: &[PlannedObject]) -> Result<usize> {
    if let Ok(mut entries) = fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(Error::input(format!(
            "--backup {} is not empty; name a new or empty directory (a backup never overwrites files)",
            dir.display()
        )));
    }
    if dir.exists() && !dir.is_dir() {
        return Err(Error::input(format!(
            "--backup {} is not a directory; name a new or empty directory",
            dir.display()
        )));
    }
    let mut files: BTreeMap<String, &PlannedObject> = BTreeMap::new();
    for object in objects {
        let name = file_name(&object.crd, &object.before);
        if let Some(first) = files.insert(name.clone(), object) {
            return Err(Error::input(format!(
                "the backup would hold {} {} and {} {} in one file {name}; nothing was written, report this as a bug",
                first.crd, first.id, object.crd, object.id
            )));
        }
    }

    let (parent, base) = split(dir)?;
    create_private_dirs(&parent)?;
    let staging = parent.join(format!(".{base}.nexus-new"));
    if staging.exists() {
        // Left by a run that was killed while writing its backup.
        fs::remove_dir_all(&staging).map_err(|e| write_error(&staging, &e))?;
    }
    create_private_dir(&staging)?;
    for (name, object) in &files {
        let path = staging.join(name);
        let mut file = private_file(&path)?;
        file.write_all(to_yaml(&object.before).as_bytes())
            .map_err(|e| write_error(&path, &e))?;
    }
    if dir.exists() {
        // Empty (checked above): make room for the rename.
        fs::remove_dir(dir).map_err(|e| write_error(dir, &e))?;
    }
    fs::rename(&staging, dir).map_err(|e| write_error(dir, &e))?;

    let written = count_files(dir)?;
    if written != objects.len() {
        return Err(Error::input(format!(
            "the backup {} holds {} for {}; nothing was written to the cluster; name a new --backup directory and run again",
            dir.display(),
            crate::report::plural(written, "file", "files"),
            crate::report::plural(objects.len(), "object", "objects"),
        )));
    }
    Ok(written)
}

/// Puts back, in objects just read, what the API server prunes on read: a run killed after it
/// changed a CRD and before it rewrote every object leaves objects that the new schema serves
/// pruned (their stored data is intact). A backup copy at the same resourceVersion is the same
/// stored object as read before the CRD changed, so it replaces the pruned one (keeping the
/// apiVersion it was read at). Looks at the newest `max_dirs` backups under `base`; returns how
/// many objects were taken from them.
pub fn unpruned_from(
    base: &Path,
    max_dirs: usize,
    read: &mut BTreeMap<String, Vec<super::store::StoredObject>>,
) -> Result<usize> {
    let Ok(entries) = fs::read_dir(base) else {
        return Ok(0);
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    dirs.sort();
    let mut taken = 0;
    for dir in dirs.iter().rev().take(max_dirs) {
        let mut copies = BTreeMap::new();
        for entry in fs::read_dir(dir).map_err(|e| Error::read(dir, &e))? {
            let path = entry.map_err(|e| Error::read(dir, &e))?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let Some((crd, _)) = name.split_once('_') else {
                continue;
            };
            let bytes = fs::read(&path).map_err(|e| Error::read(&path, &e))?;
            let shown = path.display().to_string();
            for doc in crate::source::yaml::parse_documents(&bytes, &shown)? {
                let rv = doc
                    .value
                    .pointer("/metadata/resourceVersion")
                    .and_then(serde_json::Value::as_str);
                if let (Some(id), Some(rv)) = (super::store::ObjectId::of(&doc.value), rv) {
                    copies.insert((crd.to_string(), id, rv.to_string()), doc.value.clone());
                }
            }
        }
        for (crd, objects) in read.iter_mut() {
            for stored in objects.iter_mut() {
                let key = (crd.clone(), stored.id(), stored.resource_version.clone());
                let Some(copy) = copies.get(&key) else {
                    continue;
                };
                if copy.get("spec") == stored.object.get("spec")
                    && copy.get("status") == stored.object.get("status")
                {
                    continue;
                }
                let mut copy = copy.clone();
                copy["apiVersion"] = stored.object["apiVersion"].clone();
                stored.object = copy;
                taken += 1;
            }
        }
    }
    Ok(taken)
}

/// The parent directory and the last component of `dir`.
fn split(dir: &Path) -> Result<(PathBuf, String)> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = dir
        .file_name()
        .ok_or_else(|| {
            Error::input(format!(
                "--backup {} is not a directory name to write to",
                dir.display()
            ))
        })?
        .to_string_lossy()
        .to_string();
    Ok((parent, base))
}

/// Regular files directly in `dir`.
fn count_files(dir: &Path) -> Result<usize> {
    let mut n = 0;
    for entry in fs::read_dir(dir).map_err(|e| Error::read(dir, &e))? {
        let entry = entry.map_err(|e| Error::read(dir, &e))?;
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            n += 1;
        }
    }
    Ok(n)
}

/// Creates `dir` and its missing parents, those it creates 0700.
fn create_private_dirs(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| write_error(dir, &e))
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| write_error(dir, &e))
}

/// A new file only its owner can read.
fn private_file(path: &Path) -> Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| write_error(path, &e))
}

fn write_error(path: &Path, err: &std::io::Error) -> Error {
    Error::input(format!(
        "cannot write the backup {}: {err}; check that the directory is writable, nothing was written to the cluster",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::store::ObjectId;
    use serde_json::{Value, json};

    fn planned(crd: &str, kind: &str, ns: Option<&str>, name: &str) -> PlannedObject {
        let group = crd.split_once('.').map_or("", |(_, g)| g);
        let mut before = json!({
            "apiVersion": format!("{group}/v1"),
            "kind": kind,
            "metadata": {"name": name},
            "spec": {"secret": "s3cr3t"}
        });
        if let Some(ns) = ns {
            before["metadata"]["namespace"] = Value::String(ns.into());
        }
        PlannedObject {
            crd: crd.into(),
            id: ObjectId {
                namespace: ns.map(str::to_string),
                name: name.into(),
            },
            resource_version: "1".into(),
            before,
            after: None,
        }
    }

    #[test]
    fn two_crds_of_one_kind_get_a_file_each() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("build/migration-backup/1");
        let objects = [
            planned("leaders.root.orgchart.org", "Leader", None, "default"),
            planned("leaders.mgmt.orgchart.org", "Leader", None, "default"),
            planned("leaders.mgmt.orgchart.org", "Leader", Some("ns"), "default"),
        ];
        assert_eq!(write(&backup, &objects).unwrap(), 3);
        let mut names: Vec<String> = fs::read_dir(&backup)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "leaders.mgmt.orgchart.org_default.yaml",
                "leaders.mgmt.orgchart.org_ns_default.yaml",
                "leaders.root.orgchart.org_default.yaml",
            ]
        );
        assert!(
            !dir.path()
                .join("build/migration-backup/.1.nexus-new")
                .exists()
        );
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private_to_the_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("build/migration-backup");
        let backup = base.join("1");
        write(
            &backup,
            &[planned(
                "employees.role.orgchart.org",
                "Employee",
                Some("a"),
                "x",
            )],
        )
        .unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&backup), 0o700);
        assert_eq!(mode(&base), 0o700);
        assert_eq!(
            mode(&backup.join("employees.role.orgchart.org_a_x.yaml")),
            0o600
        );
    }

    #[test]
    fn one_object_twice_is_refused_before_any_file() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("b");
        let one = planned("employees.role.orgchart.org", "Employee", Some("a"), "x");
        let err = write(&backup, &[one.clone(), one]).unwrap_err().to_string();
        assert!(
            err.contains("in one file employees.role.orgchart.org_a_x.yaml"),
            "{err}"
        );
        assert!(!backup.exists());
    }

    #[test]
    fn a_directory_with_files_is_refused_and_an_empty_one_is_used() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("keep.yaml"), "x").unwrap();
        let objects = [planned(
            "employees.role.orgchart.org",
            "Employee",
            Some("a"),
            "x",
        )];
        let err = write(dir.path(), &objects).unwrap_err().to_string();
        assert!(err.contains("is not empty"), "{err}");
        let empty = dir.path().join("empty");
        fs::create_dir(&empty).unwrap();
        assert_eq!(write(&empty, &objects).unwrap(), 1);
    }
}
