//! Loading CRD sets from where the user points: files and directories, `git:REV:PATH` and `-`
//! (stdin). `cluster:` is parsed here but loaded by nexus-cluster (`cluster::load_cluster_from`):
//! the caller, which knows the kubeconfig flags, composes the two.
//!
//! Every source becomes a list of files ([`workers::SourceFile`]); the files are parsed in
//! parallel ([`workers`], [`yaml`]) and their documents assembled into a [`CrdSet`]
//! ([`assemble`]). Only the first step differs between kinds of source.

mod assemble;
mod fs;
mod git;
mod paired;
// Kept at this path for callers; the module sits below `crd`, which holds the spans of a set.
pub use crate::spans;
mod stdin;
mod tree;
mod workers;
pub mod yaml;

use crate::crd::CrdSet;
use crate::error::{Error, Result};
use std::path::Path;

pub use stdin::STDIN_NAME;

/// A source as written on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// A file or a directory.
    Path(std::path::PathBuf),
    /// `git:REV:PATH` in the repository around the current directory.
    Git { rev: String, path: String },
    /// `-`.
    Stdin,
    /// `cluster:` (every CRD) or `cluster:NAME`.
    Cluster { name: Option<String> },
}

impl SourceSpec {
    /// Parses a command-line source.
    pub fn parse(s: &str) -> SourceSpec {
        if s == "-" {
            SourceSpec::Stdin
        } else if let Some(rest) = s.strip_prefix("cluster:") {
            SourceSpec::Cluster {
                name: (!rest.is_empty()).then(|| rest.to_string()),
            }
        } else if let Some(rest) = s.strip_prefix("git:")
            && let Some((rev, path)) = rest.split_once(':')
        {
            SourceSpec::Git {
                rev: rev.to_string(),
                path: path.to_string(),
            }
        } else {
            SourceSpec::Path(s.into())
        }
    }
}

/// Loads a file, directory, git or stdin source. `label` is how reports name the set.
pub fn load(spec: &SourceSpec, label: &str) -> Result<CrdSet> {
    match spec {
        SourceSpec::Path(path) => {
            not_a_mistyped_git_source(path)?;
            load_path(path, label)
        }
        SourceSpec::Git { rev, path } => load_git(Path::new("."), rev, path, label),
        SourceSpec::Stdin => load_files(vec![stdin::file()?], label),
        SourceSpec::Cluster { name } => Err(cluster_not_here(name.as_deref())),
    }
}

/// `git:main` (no PATH) parses as a path; say what was probably meant.
fn not_a_mistyped_git_source(path: &Path) -> Result<()> {
    match path.to_str() {
        Some(text) if text.starts_with("git:") && !path.exists() => Err(Error::input(format!(
            "{text} is neither a file nor a git source: a git source is git:REV:PATH, \
             e.g. git:main:build/crds"
        ))),
        _ => Ok(()),
    }
}

/// The error for a `cluster:` source given to [`load`] or [`visit_files`]: this crate does not
/// talk to clusters (the CLI loads `cluster:` through nexus-cluster before it gets here).
fn cluster_not_here(name: Option<&str>) -> Error {
    Error::input(format!(
        "cluster:{} needs a cluster connection: load it with nexus-cluster's \
         `cluster::load_cluster_from`, not from a file source",
        name.unwrap_or_default()
    ))
}

/// Loads a file (whatever its name) or every `*.yaml`, `*.yml`, `*.json` file below a directory.
/// A path that does not exist is an error; a directory without CRDs is an empty set.
pub fn load_path(path: &Path, label: &str) -> Result<CrdSet> {
    load_files(fs::files(path)?, label)
}

/// Loads PATH as committed at revision `rev` of the git repository around `repo_start_dir`,
/// without touching the working tree. PATH is relative to the repository root, or to
/// `repo_start_dir` when it starts with `./` or `../` (as in `git show REV:./PATH`). Revisions are
/// anything git accepts: branches, remote branches, tags, commit ids, `HEAD~1`.
pub fn load_git(repo_start_dir: &Path, rev: &str, path: &str, label: &str) -> Result<CrdSet> {
    load_files(git::files(repo_start_dir, rev, path)?, label)
}

/// How reports name a revision of the repository around `repo_start_dir`: `main (3f2a1c9)`.
pub fn git_label(repo_start_dir: &Path, rev: &str) -> Result<String> {
    git::label(repo_start_dir, rev)
}

/// Whether PATH exists at `rev` (same PATH rules as [`load_git`]). Errors when there is no
/// repository around `repo_start_dir` or no such revision.
pub fn git_path_exists(repo_start_dir: &Path, rev: &str, path: &str) -> Result<bool> {
    git::path_exists(repo_start_dir, rev, path)
}

/// Whether `dir` lies inside a git repository.
pub fn in_git_repository(dir: &Path) -> bool {
    git::in_repository(dir)
}

/// Loads a file, directory, git or stdin source file by file: each file's CRDs, as a set of
/// their own, go to `visit` on the loader's threads as soon as they are parsed and are dropped
/// after it. `diff` compares this way, so it never holds the whole new set in memory. A file
/// whose bytes are in `unchanged` (files of the other side) is not parsed: `visit` gets
/// [`Visited::Unchanged`]. The caller checks names across files (see [`duplicate_error`]).
pub fn visit_files<T: Send>(
    spec: &SourceSpec,
    label: &str,
    unchanged: &KnownDigests,
    visit: impl Fn(Visited) -> Result<T> + Sync + Send,
) -> Result<Vec<T>> {
    workers::parse_each(files_of(spec)?, unchanged, |file| match file {
        Ok(parsed) => visit(Visited::Parsed(assemble::assemble(label, vec![parsed])?)),
        Err(same) => visit(Visited::Unchanged {
            file: same.name,
            digest: same.digest,
        }),
    })
}

/// The files of a file, directory, git or stdin source (git blobs and stdin already read).
fn files_of(spec: &SourceSpec) -> Result<Vec<workers::SourceFile>> {
    Ok(match spec {
        SourceSpec::Path(path) => {
            not_a_mistyped_git_source(path)?;
            fs::files(path)?
        }
        SourceSpec::Git { rev, path } => git::files(Path::new("."), rev, path)?,
        SourceSpec::Stdin => vec![stdin::file()?],
        SourceSpec::Cluster { name } => return Err(cluster_not_here(name.as_deref())),
    })
}

/// Loads two file, directory, git or stdin sources and hands `compare` every CRD name with its
/// old and new side, parsing each new file next to the old file at the same place so that
/// neither set is ever held whole (see [`paired`]). `diff` compares this way. The old side's
/// files are listed first: a missing old directory is the error even where the new one is
/// missing too.
pub fn load_paired<T: Send>(
    old: &SourceSpec,
    old_label: &str,
    new: &SourceSpec,
    new_label: &str,
    compare: impl Fn(&str, Option<SideRef<'_>>, Option<SideRef<'_>>) -> T + Sync + Send,
) -> Result<Paired<T>> {
    let old_files = files_of(old)?;
    let new_files = files_of(new)?;
    paired::load_paired(old_files, old_label, new_files, new_label, compare)
}

pub use paired::{Paired, SetSummary, SideRef};

/// One file of a source, as [`visit_files`] hands it over.
#[derive(Debug)]
pub enum Visited {
    /// Parsed: the file's CRDs, as a set of their own.
    Parsed(CrdSet),
    /// Not parsed: its bytes equal those of the other side's file with this SHA-256 digest.
    Unchanged { file: String, digest: [u8; 32] },
}

pub use workers::KnownDigests;

/// The error for two CRDs with one name in one set (the same words whether the set was loaded
/// whole or file by file).
pub fn duplicate_error(
    name: &str,
    first: &crate::crd::Origin,
    second: &crate::crd::Origin,
) -> Error {
    assemble::duplicate_error(name, first, second)
}

/// Loads one file's bytes already in memory, as every source loads each of its files (same
/// parser, limits and worker stacks). `name` names the file in messages. The fuzz targets and
/// property tests feed the loader through it.
pub fn load_bytes(name: &str, bytes: Vec<u8>, label: &str) -> Result<CrdSet> {
    load_files(
        vec![workers::SourceFile {
            name: name.to_string(),
            content: workers::Content::Bytes(bytes),
        }],
        label,
    )
}

fn load_files(files: Vec<workers::SourceFile>, label: &str) -> Result<CrdSet> {
    assemble::assemble(label, workers::parse_all(files)?)
}

pub use workers::Known;

/// [`load_path`], taking the value of any file whose bytes are in `known` instead of parsing it
/// (`build` knows what it just generated; most of its previous output is byte-identical).
pub fn load_path_reusing(path: &Path, label: &str, known: &Known<'_>) -> Result<CrdSet> {
    assemble::assemble(label, workers::parse_all_reusing(fs::files(path)?, known)?)
}

/// [`load_git`], reusing known files as [`load_path_reusing`] does.
pub fn load_git_reusing(
    repo_start_dir: &Path,
    rev: &str,
    path: &str,
    label: &str,
    known: &Known<'_>,
) -> Result<CrdSet> {
    let files = git::files(repo_start_dir, rev, path)?;
    assemble::assemble(label, workers::parse_all_reusing(files, known)?)
}
