//! `nexus datamodel build`: datamodel → CRDs, checked against the previous CRDs, written
//! atomically unless the change is breaking (or `--force`).

use crate::cli::BuildArgs;
use crate::config::Config;
use crate::crd::{Crd, CrdSet, Origin};
use crate::error::{Error, Result};
use crate::gate::check;
use crate::print::print_report;
use crate::report::text::Mode;
use crate::{datamodel, discard, generate, output, source};
use std::path::{Path, PathBuf};

pub fn run(args: &BuildArgs) -> Result<i32> {
    let root = args.datamodel.clone();
    let dm = datamodel::load(&root)?;
    let crds = generate::generate(&dm)?;
    // Refused before anything is printed or written: replacing a directory nexus did not write
    // would delete files (the datamodel itself, when --output is its root).
    let output = resolve(&root, &args.output);
    let group = dm.group.clone();
    let owner = output::crds::Owner {
        root: &root,
        group: &group,
    };
    output::crds::check_output(&output, &owner)?;

    // CLI.md: the previous CRDs are in build/crds unless --prev-spec-dir says otherwise, whatever
    // --output is.
    let prev_dir = args
        .prev_spec_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("build/crds"));
    let baseline = Baseline::find(&root, &prev_dir, args.prev_spec_branch.as_deref())?;
    let known: source::Known<'_> = crds.iter().map(|c| (c.yaml.as_bytes(), &c.doc)).collect();
    let old = baseline.load(&known)?;
    drop(known);
    let name = args
        .name
        .clone()
        .or(dm.name.clone())
        .unwrap_or_else(|| dm.group.clone());
    discard::drop_in_background(dm);
    let (new, files) = generated_set(crds, &format!("datamodel {name}"), &args.output);

    let config = discover_config(&root, args.report.config.as_deref())?;
    let report = check(
        &old,
        &new,
        &config,
        args.report.fail_on.threshold(),
        args.force,
    );
    print_report(
        &report,
        &args.report,
        Mode::Build {
            baseline: baseline.label.clone(),
        },
    )?;
    discard::drop_in_background((old, new));
    if report.failing() && !args.force {
        return Ok(1);
    }
    output::crds::write(&output, &owner, &files)?;
    record_last_build(&root, &args.output, &baseline.label, &report)?;
    if args.report.format == crate::cli::Format::Text {
        let count = files.len();
        let noun = if count == 1 { "CRD" } else { "CRDs" };
        crate::print::write_stdout(&format!("wrote {count} {noun} to {}\n", output.display()))?;
    }
    Ok(0)
}

/// Keeps the report of a build that changed the CRDs for `nexus datamodel migrate create`,
/// which fills a migration step from its breaking changes (`build/.nexus-last-build.json`).
/// Written after the CRDs: a kill in between leaves the previous record, never a record of CRDs
/// that were not written.
fn record_last_build(
    root: &Path,
    output: &Path,
    baseline: &str,
    report: &crate::report::Report,
) -> Result<()> {
    crate::migrate::last_build::record(root, output, baseline, report)
}

/// Where the previous CRDs come from (CLI.md "Where the previous CRDs come from").
struct Baseline {
    label: String,
    source: BaselineSource,
}

enum BaselineSource {
    /// The directory as committed at a revision of the repository holding the datamodel.
    Git {
        root: PathBuf,
        rev: String,
        path: String,
    },
    /// The directory on disk.
    Dir(PathBuf),
    /// A first build: nothing to compare with.
    None,
}

impl Baseline {
    fn find(root: &Path, prev_dir: &Path, branch: Option<&str>) -> Result<Baseline> {
        let shown = prev_dir.display().to_string();
        // None: the directory lies outside the repository, so only the disk can hold it.
        let git_path = git_relative(root, prev_dir);
        if let Some(rev) = branch {
            if !source::in_git_repository(root) {
                return Err(Error::Git(format!(
                    "--prev-spec-branch {rev} needs a git repository, but {} is not inside one; use --prev-spec-dir instead",
                    root.display()
                )));
            }
            let Some(git_path) = git_path else {
                return Err(Error::input(format!(
                    "{shown} is outside the git repository of {}: --prev-spec-branch reads only inside it; leave out --prev-spec-branch to read {shown} from disk",
                    root.display()
                )));
            };
            if !source::git_path_exists(root, rev, &git_path)? {
                return Err(Error::Git(format!(
                    "{shown} does not exist at git revision {}; build and commit it there first, or leave out --prev-spec-branch",
                    source::git_label(root, rev)?
                )));
            }
            return Ok(Baseline {
                label: format!("{shown} at {}", source::git_label(root, rev)?),
                source: BaselineSource::Git {
                    root: root.to_path_buf(),
                    rev: rev.to_string(),
                    path: git_path,
                },
            });
        }
        let at_head = match git_path {
            Some(path) if has_commits(root) && source::git_path_exists(root, "HEAD", &path)? => {
                Some(path)
            }
            _ => None,
        };
        if let Some(git_path) = at_head {
            return Ok(Baseline {
                label: format!("{shown} at {}", head_label(root)?),
                source: BaselineSource::Git {
                    root: root.to_path_buf(),
                    rev: "HEAD".to_string(),
                    path: git_path,
                },
            });
        }
        let on_disk = resolve(root, prev_dir);
        if on_disk.is_dir() {
            return Ok(Baseline {
                label: format!("{shown} on disk"),
                source: BaselineSource::Dir(on_disk),
            });
        }
        Ok(Baseline {
            label: "nothing (first build)".to_string(),
            source: BaselineSource::None,
        })
    }

    /// Loads the baseline; files byte-identical to a generated one are not parsed again.
    fn load(&self, known: &source::Known<'_>) -> Result<CrdSet> {
        match &self.source {
            BaselineSource::Git { root, rev, path } => {
                source::load_git_reusing(root, rev, path, &self.label, known)
            }
            BaselineSource::Dir(dir) => source::load_path_reusing(dir, &self.label, known),
            BaselineSource::None => Ok(CrdSet::new(&self.label)),
        }
    }
}

/// `main (3f2a1c9)` for HEAD on branch main; the commit alone when HEAD is detached.
fn head_label(root: &Path) -> Result<String> {
    let label = source::git_label(root, "HEAD")?;
    let branch = git2::Repository::discover(root).ok().and_then(|repo| {
        repo.head()
            .ok()
            .filter(|h| h.is_branch())
            .and_then(|h| h.shorthand().ok().map(str::to_string))
    });
    Ok(match branch {
        Some(branch) => label.replacen("HEAD", &branch, 1),
        None => label,
    })
}

/// A fresh repository (no commit yet) has no HEAD to read a baseline from.
fn has_commits(root: &Path) -> bool {
    git2::Repository::discover(root)
        .ok()
        .is_some_and(|repo| repo.head().is_ok())
}

/// The git path of `dir` in the work tree holding the datamodel: a relative path is relative to
/// the datamodel root (`./` tells the git source so). None when there is no work tree or `dir`
/// lies outside it (CLI.md: such a directory is read from disk).
fn git_relative(root: &Path, dir: &Path) -> Option<String> {
    let workdir = git2::Repository::discover(root)
        .ok()
        .and_then(|repo| repo.workdir().map(Path::to_path_buf))?;
    let workdir = workdir.canonicalize().ok()?;
    let root = root.canonicalize().ok()?;
    let inside = normalize(&root.join(dir));
    let rel = inside.strip_prefix(&workdir).ok()?;
    if dir.is_absolute() {
        Some(rel.display().to_string())
    } else {
        Some(format!("./{}", dir.display()))
    }
}

/// `dir` without `.`/`..` (by text), then with symbolic links resolved as far as it exists: a
/// baseline directory need not exist.
fn normalize(dir: &Path) -> PathBuf {
    let mut clean = PathBuf::new();
    for c in dir.components() {
        match c {
            std::path::Component::ParentDir => {
                clean.pop();
            }
            std::path::Component::CurDir => {}
            other => clean.push(other),
        }
    }
    let mut existing = clean.as_path();
    let mut rest = Vec::new();
    while existing.canonicalize().is_err() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                existing = parent;
            }
            _ => return clean,
        }
    }
    let mut out = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_path_buf());
    out.extend(rest.iter().rev());
    out
}

/// `--config`, else `.nexus-compat.yaml` in the datamodel root, else in the current directory.
fn discover_config(root: &Path, explicit: Option<&Path>) -> Result<Config> {
    let in_root = root.join(crate::config::DEFAULT_FILE);
    match explicit {
        None if in_root.is_file() => Config::load(&in_root),
        _ => Config::discover(explicit),
    }
}

/// Relative output and baseline paths are relative to the datamodel root.
fn resolve(root: &Path, dir: &Path) -> PathBuf {
    if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        root.join(dir)
    }
}

/// The generated CRDs as the new side of the check (each document moved, not copied), and the
/// files to write (name, YAML).
fn generated_set(
    crds: Vec<generate::GeneratedCrd>,
    label: &str,
    output: &Path,
) -> (CrdSet, Vec<(String, String)>) {
    let mut set = CrdSet::new(label);
    let mut files = Vec::with_capacity(crds.len());
    for c in crds {
        let origin = Origin {
            file: output.join(&c.file_name).display().to_string(),
            line: Some(1),
        };
        set.crds.insert(
            c.name.clone(),
            Crd {
                name: c.name,
                doc: c.doc,
                origin,
            },
        );
        files.push((c.file_name, c.yaml));
    }
    (set, files)
}
