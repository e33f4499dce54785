//! Reading a datamodel without a Go toolchain: Go source → the model graph.
//!
//! [`load`] reads `nexus.yaml` and `go.mod`, finds the packages (one per directory), parses every
//! file with tree-sitter-go in parallel, resolves types across packages through go.mod's module
//! path, and checks the result. Every problem is an [`Error`](crate::error::Error) that names
//! `file:line:column`, what is wrong and what to do.

mod check;
mod discover;
mod markers;
pub mod model;
mod project;
mod resolve;
mod rest;
mod syntax;
mod tags;

pub use model::*;
pub use project::{FORMAT_VERSION, group_problem, name_problem};
pub use resolve::lower_first;

use crate::error::{Error, Result};
use rayon::prelude::*;
use resolve::{ParsedPackage, Resolver};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Checks that `root` is a datamodel workspace this nexus can read (its `nexus.yaml` is valid
/// and not of a newer format), without reading the Go source.
pub fn check_workspace(root: &Path) -> Result<()> {
    project::read_config(root).map(|_| ())
}

/// The datamodel's name: `datamodelName` of `nexus.yaml`, else its `groupName`.
pub fn workspace_name(root: &Path) -> Result<String> {
    let config = project::read_config(root)?;
    Ok(config.name.unwrap_or(config.group))
}

/// Loads and checks the datamodel whose root (the directory with `nexus.yaml` and `go.mod`) is
/// `root`.
pub fn load(root: &Path) -> Result<Datamodel> {
    let config = project::read_config(root)?;
    let module = project::read_module(root)?;
    let dirs = discover::discover(root, &config.ignored_dirs)?;

    let jobs: Vec<(usize, &str)> = dirs
        .iter()
        .enumerate()
        .flat_map(|(di, d)| d.files.iter().map(move |f| (di, f.as_str())))
        .collect();
    let parsed: Vec<Result<syntax::FileSyntax>> = jobs
        .par_iter()
        .map_init(syntax::new_parser, |parser, (_, rel)| {
            let parser = parser.as_mut().map_err(|e| Error::input(e.to_string()))?;
            let path = root.join(rel);
            let bytes = crate::input::read_regular(&path)?;
            let file: Arc<str> = Arc::from(project::display_path(root, rel));
            let source = String::from_utf8(bytes).map_err(|_| {
                Error::input(format!(
                    "{file}: not valid UTF-8; Go source files must be UTF-8"
                ))
            })?;
            syntax::parse_file(parser, file, &source)
        })
        .collect();

    // Group files by directory, reporting the first error in path order whatever thread hit it.
    let mut by_dir: Vec<Vec<syntax::FileSyntax>> = dirs.iter().map(|_| Vec::new()).collect();
    for ((di, _), result) in jobs.iter().zip(parsed) {
        by_dir[*di].push(result?);
    }
    let packages = packages(&module, &dirs, by_dir)?;
    if packages.is_empty() {
        return Err(Error::input(format!(
            "{}: no Go package found below the datamodel root; put a .go file with a node (a struct that embeds nexus.Node) in it",
            root_display(root)
        )));
    }

    let resolved = Resolver::new(&module, &packages)?.resolve()?;
    let mut nodes = resolved.nodes;
    if nodes.is_empty() {
        return Err(Error::input(format!(
            "{}: the datamodel has no node; a node is a struct that embeds nexus.Node or nexus.SingletonNode",
            root_display(root)
        )));
    }
    check::link_parents(&mut nodes)?;
    check::check_rest_uris(&nodes)?;
    check::check_recursion(&resolved.types)?;
    let datamodel = Datamodel {
        root: root.to_path_buf(),
        group: config.group,
        name: config.name,
        module,
        packages: packages
            .iter()
            .map(|p| Package {
                name: p.name.clone(),
                dir: p.dir.clone(),
                import_path: p.import_paths[0].clone(),
            })
            .collect(),
        nodes,
        types: resolved.types,
    };
    check::check_fields(&datamodel)?;
    Ok(datamodel)
}

fn root_display(root: &Path) -> String {
    if root.as_os_str().is_empty() {
        ".".to_string()
    } else {
        root.display().to_string()
    }
}

/// Turns directories of parsed files into packages: one package name per directory, names that
/// can be API groups, directories sharing a name merged into one package (never the root's), and
/// the vendored `nexus` DSL left out.
fn packages(
    module: &str,
    dirs: &[discover::PackageDir],
    files: Vec<Vec<syntax::FileSyntax>>,
) -> Result<Vec<ParsedPackage>> {
    let mut out: Vec<ParsedPackage> = Vec::new();
    // Package name → its index in `out`.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (dir, files) in dirs.iter().zip(files) {
        let Some(first) = files.first() else {
            continue;
        };
        let name = first.package.clone();
        for file in &files {
            if file.package != name {
                return Err(Error::Parse {
                    location: file.package_pos.to_string(),
                    message: format!(
                        "package `{}` differs from package `{name}` of {}; every file of a directory belongs to one package",
                        file.package, first.package_pos.file
                    ),
                });
            }
        }
        // A vendored copy of the nexus DSL is not part of the model.
        if name == "nexus" {
            continue;
        }
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(Error::Parse {
                location: first.package_pos.to_string(),
                message: format!(
                    "package name `{name}` may hold only lower-case letters and digits (it becomes the API group `{name}.<group>`); rename the package"
                ),
            });
        }
        let import_path = if dir.dir.is_empty() {
            module.to_string()
        } else {
            format!("{module}/{}", dir.dir)
        };
        if let Some(&index) = seen.get(&name) {
            let merged: &mut ParsedPackage = &mut out[index];
            // The root package is the datamodel's entry: sharing its name is refused, as the
            // original compiler refuses it.
            if merged.dir.is_empty() {
                return Err(Error::Parse {
                    location: first.package_pos.to_string(),
                    message: format!(
                        "package name `{name}` is also used by the root directory; a package below the root cannot share the root package's name, rename it"
                    ),
                });
            }
            // Same name in other directories: one package, as the original's preparser merges.
            merged.import_paths.push(import_path);
            merged.files.extend(files);
            continue;
        }
        seen.insert(name.clone(), out.len());
        out.push(ParsedPackage {
            name,
            dir: dir.dir.clone(),
            import_paths: vec![import_path],
            files,
        });
    }
    Ok(out)
}
