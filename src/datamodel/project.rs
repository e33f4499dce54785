//! The two files at a datamodel's root: `nexus.yaml` (API group, name, ignored directories) and
//! `go.mod` (the module path through which packages import each other).

use crate::error::{Error, Result};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::Path;

/// The format version of `nexus.yaml` this nexus writes and reads (the `version` key; a file
/// without it is version 1, from before the key existed).
pub const FORMAT_VERSION: u64 = 1;

/// What `nexus.yaml` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProjectConfig {
    pub group: String,
    pub name: Option<String>,
    /// Directories to skip, relative to the root, `/`-separated, without `./` or a trailing `/`.
    pub ignored_dirs: Vec<String>,
}

/// nexus.yaml as written. Other keys are allowed: the file is shared with other nexus tools.
#[derive(Debug, Deserialize)]
struct RawConfig {
    version: Option<Spanned<u64>>,
    #[serde(rename = "groupName")]
    group_name: Option<String>,
    #[serde(rename = "datamodelName")]
    datamodel_name: Option<String>,
    #[serde(rename = "ignoredDirs")]
    ignored_dirs: Option<Vec<String>>,
}

/// How a path is shown in messages: relative paths stay as the user gave them.
pub(crate) fn display_path(root: &Path, rel: &str) -> String {
    if root.as_os_str().is_empty() || root == Path::new(".") {
        rel.to_string()
    } else {
        root.join(rel).display().to_string()
    }
}

fn read_text(root: &Path, name: &str, what_to_do: &str) -> Result<String> {
    let path = root.join(name);
    match crate::input::read_regular_if_exists(&path)? {
        Some(bytes) => String::from_utf8(bytes).map_err(|_| {
            Error::input(format!(
                "{}: not valid UTF-8; convert it to UTF-8",
                display_path(root, name)
            ))
        }),
        None => Err(Error::input(format!(
            "{}: not found; {what_to_do}",
            display_path(root, name)
        ))),
    }
}

/// Reads and checks `nexus.yaml`.
pub(crate) fn read_config(root: &Path) -> Result<ProjectConfig> {
    let file = display_path(root, "nexus.yaml");
    let text = read_text(
        root,
        "nexus.yaml",
        "a datamodel's root holds nexus.yaml with `groupName: <group>` (run `nexus datamodel init` to create one, or pass --datamodel DIR)",
    )?;
    let raw: RawConfig = if text.trim().is_empty() {
        RawConfig {
            version: None,
            group_name: None,
            datamodel_name: None,
            ignored_dirs: None,
        }
    } else {
        serde_saphyr::from_str(&text).map_err(|e| {
            let (line, column) = e
                .location()
                .map_or((1, 1), |l| (l.line().max(1), l.column().max(1)));
            let reason = e.without_snippet().to_string();
            let reason = reason.lines().next().unwrap_or("").trim().to_string();
            Error::Parse {
                location: format!("{file}:{line}:{column}"),
                message: format!(
                    "nexus.yaml is not valid ({reason}); it holds `groupName: <group>` and optionally `version`, `datamodelName` and `ignoredDirs: [...]`"
                ),
            }
        })?
    };
    if let Some(version) = &raw.version {
        let at = format!(
            "{file}:{}:{}",
            version.referenced.line().max(1),
            version.referenced.column().max(1)
        );
        if version.value == 0 {
            return Err(Error::Parse {
                location: at,
                message: format!(
                    "`version: 0` is not a nexus.yaml format; this nexus writes version {FORMAT_VERSION}"
                ),
            });
        }
        if version.value > FORMAT_VERSION {
            return Err(Error::Parse {
                location: at,
                message: format!(
                    "this workspace's nexus.yaml is format version {}, but this nexus reads format version {FORMAT_VERSION} at most; upgrade nexus to work on it",
                    version.value
                ),
            });
        }
    }
    let line_of = |key: &str| {
        text.lines()
            .position(|l| l.trim_start().starts_with(key))
            .map_or(1, |i| i + 1)
    };
    let group = raw.group_name.unwrap_or_default();
    let group = group.trim();
    if group.is_empty() {
        return Err(Error::Parse {
            location: format!("{file}:{}:1", line_of("groupName")),
            message: "groupName is missing; add `groupName: <group>` (for example `groupName: orgchart.org`): every package p becomes the API group p.<group>".to_string(),
        });
    }
    if let Some(problem) = group_problem(group) {
        return Err(Error::Parse {
            location: format!("{file}:{}:1", line_of("groupName")),
            message: format!(
                "groupName `{group}` {problem}; use a DNS name such as `orgchart.org`"
            ),
        });
    }
    let ignored_dirs = raw
        .ignored_dirs
        .unwrap_or_default()
        .iter()
        .map(|d| normalize_dir(d))
        .filter(|d| !d.is_empty())
        .collect();
    Ok(ProjectConfig {
        group: group.to_string(),
        name: raw
            .datamodel_name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        ignored_dirs,
    })
}

/// Why a group name cannot be a Kubernetes API group (a DNS subdomain), if it cannot.
pub fn group_problem(group: &str) -> Option<&'static str> {
    if group.len() > 200 {
        return Some("is too long");
    }
    for label in group.split('.') {
        if label.is_empty() {
            return Some("has an empty label");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Some("may hold only lower-case letters, digits, `-` and `.`");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("has a label that starts or ends with `-`");
        }
    }
    None
}

fn normalize_dir(dir: &str) -> String {
    let unified = dir.trim().replace('\\', "/");
    unified
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads the module path from `go.mod`.
pub(crate) fn read_module(root: &Path) -> Result<String> {
    let file = display_path(root, "go.mod");
    let text = read_text(
        root,
        "go.mod",
        "a datamodel's root holds go.mod with `module <path>` (run `nexus datamodel init` to create one)",
    )?;
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("").trim();
        let Some(rest) = code.strip_prefix("module") else {
            continue;
        };
        if !rest.is_empty() && !rest.starts_with([' ', '\t', '(']) {
            continue;
        }
        let path = rest
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .trim();
        let path = path.trim_matches('"').trim_matches('`');
        if path.is_empty() || path.contains(char::is_whitespace) {
            return Err(Error::Parse {
                location: format!("{file}:{}:1", i + 1),
                message: "the module directive names no module path; write `module <path>`"
                    .to_string(),
            });
        }
        return Ok(path.to_string());
    }
    Err(Error::Parse {
        location: format!("{file}:1:1"),
        message: "go.mod has no `module` directive; add `module <path>` as its first line"
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn reads_nexus_yaml() {
        let dir = dir_with(&[(
            "nexus.yaml",
            "groupName: \"orgchart.org\"\ndatamodelName: orgchart\nignoredDirs: [\"./old/\", legacy]\nother: 1\n",
        )]);
        let config = read_config(dir.path()).unwrap();
        assert_eq!(config.group, "orgchart.org");
        assert_eq!(config.name.as_deref(), Some("orgchart"));
        assert_eq!(config.ignored_dirs, vec!["old", "legacy"]);
    }

    #[test]
    fn missing_group_points_at_the_file() {
        let dir = dir_with(&[("nexus.yaml", "datamodelName: x\n")]);
        let err = read_config(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("nexus.yaml:1:1: groupName is missing"),
            "{err}"
        );
        let dir = dir_with(&[("nexus.yaml", "groupName: Org_Chart\n")]);
        let err = read_config(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("nexus.yaml:1:1: groupName `Org_Chart`"),
            "{err}"
        );
    }

    #[test]
    fn format_versions() {
        let dir = dir_with(&[("nexus.yaml", "version: 1\ngroupName: orgchart.org\n")]);
        assert_eq!(read_config(dir.path()).unwrap().group, "orgchart.org");
        let dir = dir_with(&[("nexus.yaml", "groupName: orgchart.org\n")]);
        assert!(read_config(dir.path()).is_ok(), "no version: format 1");
        let dir = dir_with(&[("nexus.yaml", "groupName: orgchart.org\nversion: 2\n")]);
        let err = read_config(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("nexus.yaml:2:10: this workspace's nexus.yaml is format version 2, but this nexus reads format version 1 at most"),
            "{err}"
        );
        let dir = dir_with(&[("nexus.yaml", "version: 0\ngroupName: orgchart.org\n")]);
        assert!(
            read_config(dir.path())
                .unwrap_err()
                .to_string()
                .contains("nexus.yaml:1:10:")
        );
        let dir = dir_with(&[("nexus.yaml", "version: two\ngroupName: orgchart.org\n")]);
        assert!(
            read_config(dir.path())
                .unwrap_err()
                .to_string()
                .contains("nexus.yaml:1:")
        );
    }

    #[test]
    fn malformed_yaml_has_a_location() {
        let dir = dir_with(&[("nexus.yaml", "groupName: [unclosed\n")]);
        let err = read_config(dir.path()).unwrap_err().to_string();
        assert!(err.contains("nexus.yaml:"), "{err}");
        assert!(err.contains("is not valid"), "{err}");
    }

    #[test]
    fn reads_module_path() {
        let dir = dir_with(&[(
            "go.mod",
            "// comment\nmodule example.com/dm // trailing\n\ngo 1.21\n",
        )]);
        assert_eq!(read_module(dir.path()).unwrap(), "example.com/dm");
        let dir = dir_with(&[("go.mod", "go 1.21\n")]);
        let err = read_module(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("go.mod:1:1: go.mod has no `module` directive"),
            "{err}"
        );
    }

    #[test]
    fn groups_must_be_dns_names() {
        assert_eq!(group_problem("orgchart.org"), None);
        assert_eq!(group_problem("tsm.tanzu.vmware.com"), None);
        assert!(group_problem("a..b").is_some());
        assert!(group_problem("-a.b").is_some());
    }
}
