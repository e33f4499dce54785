//! `git:REV:PATH` sources: PATH as committed at revision REV, read from the object database with
//! git2 (no checkout, no working-tree changes, no network).
//!
//! PATH is relative to the repository root, as in `git show REV:PATH`; like git, a path starting
//! with `./` or `../` is relative to the directory the repository was discovered from instead.

use super::fs::is_manifest_name;
use super::workers::{Content, SourceFile};
use crate::error::{Error, Result};
use git2::{ErrorCode, ObjectType, Oid, Repository, Tree};
use std::path::{Path, PathBuf};

/// Git's file mode of a symbolic link.
const MODE_SYMLINK: i32 = 0o120000;

/// Whether `dir` lies inside a git repository (its work tree or a bare repository).
pub fn in_repository(dir: &Path) -> bool {
    Repository::discover(dir).is_ok()
}

/// How reports name a revision: `main (3f2a1c9)`, or just `3f2a1c9` when REV is a commit id.
pub fn label(repo_start_dir: &Path, rev: &str) -> Result<String> {
    let repo = open(repo_start_dir)?;
    let (_, label) = resolve(&repo, rev)?;
    Ok(label)
}

/// Whether PATH exists at REV. Errors when there is no repository or no such revision.
pub fn path_exists(repo_start_dir: &Path, rev: &str, path: &str) -> Result<bool> {
    let repo = open(repo_start_dir)?;
    let (tree, _) = resolve(&repo, rev)?;
    let path = repo_path(&repo, repo_start_dir, path)?;
    Ok(path.is_empty() || tree.get_path(Path::new(&path)).is_ok())
}

/// The files of PATH at REV: the blob itself, or every `*.yaml`, `*.yml`, `*.json` blob below the
/// tree, sorted by path. Each is named `git:REV:path/in/repo.yaml`.
pub fn files(repo_start_dir: &Path, rev: &str, path: &str) -> Result<Vec<SourceFile>> {
    let repo = open(repo_start_dir)?;
    let (tree, label) = resolve(&repo, rev)?;
    let path = repo_path(&repo, repo_start_dir, path)?;
    let shown = if path.is_empty() { "." } else { path.as_str() };
    let name = |p: &str| format!("git:{rev}:{p}");

    if path.is_empty() {
        return read_blobs(&repo, manifests_below(&repo, &tree, "")?, name);
    }
    let entry = tree.get_path(Path::new(&path)).map_err(|e| match e.code() {
        ErrorCode::NotFound => Error::Git(format!(
            "{shown} does not exist at git revision {label}; see what is there with git ls-tree --name-only {rev}"
        )),
        _ => git_error(&format!("cannot read {shown} at git revision {label}"), &e),
    })?;
    match entry.kind() {
        Some(ObjectType::Tree) => {
            let subtree = repo.find_tree(entry.id()).map_err(|e| {
                git_error(&format!("cannot read {shown} at git revision {label}"), &e)
            })?;
            read_blobs(&repo, manifests_below(&repo, &subtree, &path)?, name)
        }
        Some(ObjectType::Blob) if entry.filemode() == MODE_SYMLINK => Err(Error::Git(format!(
            "{shown} is a symbolic link at git revision {label}; name the file it points to"
        ))),
        Some(ObjectType::Blob) => read_blobs(&repo, vec![(path.clone(), entry.id())], name),
        _ => Err(Error::Git(format!(
            "{shown} is a submodule at git revision {label}; nexus cannot read into submodules: \
             run it in the submodule's repository"
        ))),
    }
}

/// Opens the repository around `start` (the directory itself or one of its parents).
fn open(start: &Path) -> Result<Repository> {
    Repository::discover(start).map_err(|e| open_error(start, &e))
}

fn open_error(start: &Path, err: &git2::Error) -> Error {
    // `.` says little in a message; name the directory.
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    let start = start.display();
    match err.code() {
        ErrorCode::NotFound => Error::Git(format!(
            "{start} is not in a git repository; run nexus inside the repository that holds the CRDs"
        )),
        ErrorCode::Owner => Error::Git(format!(
            "git refuses the repository around {start}: it is owned by another user; if you trust \
             it, run git config --global --add safe.directory <repository>"
        )),
        _ => git_error(
            &format!("cannot open the git repository around {start}"),
            err,
        ),
    }
}

/// Where messages say the repository is: its work tree, or its git directory when bare.
fn repo_dir(repo: &Repository) -> String {
    let dir = repo.workdir().unwrap_or_else(|| repo.path());
    let shown = dir.display().to_string();
    match shown.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed.to_string(),
        _ => shown,
    }
}

/// The tree a revision names, and its label for reports.
fn resolve<'r>(repo: &'r Repository, rev: &str) -> Result<(Tree<'r>, String)> {
    let object = repo
        .revparse_single(rev)
        .map_err(|e| revision_error(repo, rev, &e))?;
    let tree = object.peel_to_tree().map_err(|_| {
        Error::Git(format!(
            "git revision '{rev}' in {} names a {}, not a commit: name a branch, tag or commit",
            repo_dir(repo),
            object.kind().map_or("object", |k| k.str())
        ))
    })?;
    // Label with the commit where there is one (a tree id has none).
    let id_object = object
        .peel(ObjectType::Commit)
        .unwrap_or_else(|_| tree.as_object().clone());
    let short = id_object
        .short_id()
        .ok()
        .and_then(|buf| buf.as_str().ok().map(str::to_string))
        .unwrap_or_else(|| id_object.id().to_string().chars().take(7).collect());
    let full = id_object.id().to_string();
    let is_id_prefix = rev.len() >= 4
        && rev.chars().all(|c| c.is_ascii_hexdigit())
        && full.starts_with(&rev.to_ascii_lowercase());
    let label = if is_id_prefix {
        short
    } else {
        format!("{rev} ({short})")
    };
    Ok((tree, label))
}

fn revision_error(repo: &Repository, rev: &str, err: &git2::Error) -> Error {
    let dir = repo_dir(repo);
    match err.code() {
        ErrorCode::NotFound | ErrorCode::InvalidSpec => {
            let unborn = repo
                .head()
                .is_err_and(|e| e.code() == ErrorCode::UnbornBranch);
            if rev.starts_with("HEAD") && unborn {
                Error::Git(format!(
                    "git revision '{rev}' does not exist in {dir}: the repository has no commits yet"
                ))
            } else {
                Error::Git(format!(
                    "unknown git revision '{rev}' in {dir}: check git branch -a / git tag"
                ))
            }
        }
        ErrorCode::Ambiguous => Error::Git(format!(
            "git revision '{rev}' in {dir} is ambiguous: give more digits of the commit id or the \
             full ref name"
        )),
        _ => git_error(
            &format!("cannot resolve git revision '{rev}' in {dir}"),
            err,
        ),
    }
}

/// PATH relative to the repository root, normalised (`a/./b/` → `a/b`; empty for the root).
fn repo_path(repo: &Repository, start: &Path, path: &str) -> Result<String> {
    let relative_to_start =
        path == "." || path == ".." || path.starts_with("./") || path.starts_with("../");
    let mut parts: Vec<String> = Vec::new();
    if relative_to_start {
        let Some(workdir) = repo.workdir() else {
            return Err(Error::Git(format!(
                "{path} is relative to the current directory, but {} is a bare repository: \
                 give the path from the repository root",
                repo_dir(repo)
            )));
        };
        let canonical = |p: &Path| std::fs::canonicalize(p).map_err(|e| Error::read(p, &e));
        let (start, workdir): (PathBuf, PathBuf) = (canonical(start)?, canonical(workdir)?);
        let inside = start.strip_prefix(&workdir).map_err(|_| {
            Error::Git(format!(
                "{} is outside the work tree of {}: give the path from the repository root",
                start.display(),
                repo_dir(repo)
            ))
        })?;
        parts.extend(inside.iter().map(|c| c.to_string_lossy().into_owned()));
    }
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(Error::Git(format!(
                        "{path} leads outside the repository {}: give a path inside it",
                        repo_dir(repo)
                    )));
                }
            }
            other => parts.push(other.to_string()),
        }
    }
    Ok(parts.join("/"))
}

/// Every manifest blob below `tree` (whose path in the repository is `prefix`), sorted by path.
/// Submodules and symbolic links are not followed. The walk keeps its own stack.
fn manifests_below(repo: &Repository, tree: &Tree<'_>, prefix: &str) -> Result<Vec<(String, Oid)>> {
    let mut found = Vec::new();
    let mut pending: Vec<(String, Oid)> = vec![(prefix.to_string(), tree.id())];
    while let Some((dir, id)) = pending.pop() {
        let tree = repo
            .find_tree(id)
            .map_err(|e| git_error(&format!("cannot read {dir} from git"), &e))?;
        for entry in tree.iter() {
            let name = String::from_utf8_lossy(entry.name_bytes());
            let path = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            match entry.kind() {
                Some(ObjectType::Tree) => pending.push((path, entry.id())),
                Some(ObjectType::Blob)
                    if entry.filemode() != MODE_SYMLINK && is_manifest_name(&name) =>
                {
                    found.push((path, entry.id()))
                }
                _ => {}
            }
        }
    }
    // Component-wise, as directory sources sort, so both kinds of source list files alike.
    found.sort_by(|(a, _), (b, _)| a.split('/').cmp(b.split('/')));
    Ok(found)
}

fn read_blobs(
    repo: &Repository,
    blobs: Vec<(String, Oid)>,
    name: impl Fn(&str) -> String,
) -> Result<Vec<SourceFile>> {
    let odb = repo
        .odb()
        .map_err(|e| git_error("cannot open the git object database", &e))?;
    blobs
        .into_iter()
        .map(|(path, id)| {
            let name = name(&path);
            // The header gives the size without inflating the blob: one over the input limit is
            // refused before it is loaded.
            let (size, _) = odb
                .read_header(id)
                .map_err(|e| git_error(&format!("cannot read {name}"), &e))?;
            crate::input::check_size(&name, size as u64)?;
            let blob = repo
                .find_blob(id)
                .map_err(|e| git_error(&format!("cannot read {name}"), &e))?;
            Ok(SourceFile {
                content: Content::Bytes(blob.content().to_vec()),
                name,
            })
        })
        .collect()
}

fn git_error(context: &str, err: &git2::Error) -> Error {
    Error::Git(format!(
        "{context}: {}",
        err.message().trim_end_matches('.')
    ))
}
