//! `nexus datamodel init --name NAME --group GROUP [DIR]`: a new datamodel workspace with
//! `nexus.yaml`, `go.mod` and a `root.go` holding one root node, ready for `build`.

use crate::cli::InitArgs;
use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// The Go import path of the nexus DSL that datamodels embed.
pub const NEXUS_DSL_IMPORT: &str =
    "github.com/vmware-tanzu/graph-framework-for-microservices/nexus/nexus";

const ROOT_GO: &str = r#"package root

import "github.com/vmware-tanzu/graph-framework-for-microservices/nexus/nexus"

// Root is the top of the datamodel: add spec fields here, and child nodes as fields tagged
// `nexus:"child"` (one) or `nexus:"children"` (many).
type Root struct {
	nexus.SingletonNode
}
"#;

/// The three files of a fresh workspace, by name.
fn files(name: &str, group: &str) -> [(&'static str, String); 3] {
    [
        (
            "nexus.yaml",
            format!(
                "version: {}\ngroupName: \"{group}\"\ndatamodelName: \"{name}\"\n",
                crate::datamodel::FORMAT_VERSION
            ),
        ),
        (
            "go.mod",
            format!(
                "module {name}\n\ngo 1.21\n\n// nexus reads this module without a Go toolchain. To compile it with Go as well, run\n// `go get {NEXUS_DSL_IMPORT}`.\n"
            ),
        ),
        ("root.go", ROOT_GO.to_string()),
    ]
}

/// Creates the workspace; refuses to touch a directory that already holds any of its files.
pub fn run(args: &InitArgs) -> Result<i32> {
    let name = args.name.trim();
    let group = args.group.trim();
    if let Some(problem) = crate::datamodel::name_problem(name) {
        return Err(Error::input(format!(
            "--name `{name}` {problem}; it becomes the Go module path, e.g. `--name orgchart` or `--name example.com/orgchart`"
        )));
    }
    if let Some(problem) = crate::datamodel::group_problem(group) {
        return Err(Error::input(format!(
            "--group `{group}` {problem}; use a DNS name such as `--group orgchart.org`"
        )));
    }
    let dir = args.dir.as_path();
    let files = files(name, group);
    for (file, _) in &files {
        let path = dir.join(file);
        if path.exists() {
            return Err(Error::input(format!(
                "{}: already exists; `init` does not overwrite a datamodel, choose an empty directory",
                path.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::read(dir, &e))?;
    for (file, text) in &files {
        write_new(&dir.join(file), text)?;
    }
    let shown = if dir == Path::new(".") {
        "the current directory".to_string()
    } else {
        dir.display().to_string()
    };
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "created datamodel {name} (group {group}) in {shown}: nexus.yaml, go.mod, root.go\nnext: add nodes to root.go, then run `nexus datamodel build`"
    );
    Ok(0)
}

/// Writes a file that must not exist yet (so a race with another writer cannot clobber it).
fn write_new(path: &Path, text: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::input(format!(
                    "{}: already exists; `init` does not overwrite a datamodel, choose an empty directory",
                    path.display()
                ))
            } else {
                Error::read(path, &e)
            }
        })?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::read(path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths() {
        assert_eq!(crate::datamodel::name_problem("orgchart"), None);
        assert_eq!(
            crate::datamodel::name_problem("example.com/org-chart/v2"),
            None
        );
        assert!(crate::datamodel::name_problem("").is_some());
        assert!(crate::datamodel::name_problem("has space").is_some());
        assert!(crate::datamodel::name_problem("/abs").is_some());
    }

    #[test]
    fn nexus_yaml_records_its_format_version() {
        let [(name, text), ..] = files("orgchart", "orgchart.org");
        assert_eq!(name, "nexus.yaml");
        assert!(
            text.starts_with(&format!("version: {}\n", crate::datamodel::FORMAT_VERSION)),
            "{text}"
        );
    }
}
