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

/// The keys nexus.yaml may hold; anything else is refused (a misspelt `ignoreDirs` would
/// otherwise be ignored silently).
const KEYS: &str = "`version`, `groupName`, `datamodelName` and `ignoredDirs`";

/// nexus.yaml as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    version: Option<Spanned<u64>>,
    #[serde(rename = "groupName")]
    group_name: Option<Spanned<String>>,
    #[serde(rename = "datamodelName")]
    datamodel_name: Option<Spanned<String>>,
    #[serde(rename = "ignoredDirs")]
    ignored_dirs: Option<Vec<Spanned<String>>>,
}

/// `file:line:column` of a value.
fn located<T>(file: &str, value: &Spanned<T>) -> String {
    format!(
        "{file}:{}:{}",
        value.referenced.line().max(1),
        value.referenced.column().max(1)
    )
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
        RawConfig::default()
    } else {
        serde_saphyr::from_str(&text).map_err(|e| {
            let (line, column) = e
                .location()
                .map_or((1, 1), |l| (l.line().max(1), l.column().max(1)));
            let reason = e.without_snippet().to_string();
            let reason = reason.lines().next().unwrap_or("").trim().to_string();
            let message = match unknown_key(&reason) {
                Some(key) => format!(
                    "unknown key `{key}`; nexus.yaml holds only {KEYS}: fix its spelling or remove it"
                ),
                None => format!(
                    "nexus.yaml is not valid ({reason}); it holds `groupName: <group>` and optionally `version`, `datamodelName` and `ignoredDirs: [...]`"
                ),
            };
            Error::Parse {
                location: format!("{file}:{line}:{column}"),
                message,
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
    let Some(group) = raw
        .group_name
        .as_ref()
        .filter(|g| !g.value.trim().is_empty())
    else {
        let at = raw
            .group_name
            .as_ref()
            .map_or_else(|| format!("{file}:1:1"), |g| located(&file, g));
        return Err(Error::Parse {
            location: at,
            message: "groupName is missing; add `groupName: <group>` (for example `groupName: orgchart.org`): every package p becomes the API group p.<group>".to_string(),
        });
    };
    let group_text = group.value.trim();
    if let Some(problem) = group_problem(group_text) {
        return Err(Error::Parse {
            location: located(&file, group),
            message: format!(
                "groupName `{group_text}` {problem}; use a DNS name such as `orgchart.org`"
            ),
        });
    }
    let name = match &raw.datamodel_name {
        None => None,
        Some(name) if name.value.trim().is_empty() => None,
        Some(name) => {
            let text = name.value.trim();
            if let Some(problem) = name_problem(text) {
                return Err(Error::Parse {
                    location: located(&file, name),
                    message: format!(
                        "datamodelName `{}` {problem}; it is the Go module path of the datamodel, such as `orgchart` or `example.com/orgchart`",
                        crate::source::yaml::printable(text)
                    ),
                });
            }
            Some(text.to_string())
        }
    };
    let mut ignored_dirs = Vec::new();
    for dir in raw.ignored_dirs.iter().flatten() {
        match ignored_dir(&dir.value) {
            Ok(dir) => ignored_dirs.push(dir),
            Err(problem) => {
                return Err(Error::Parse {
                    location: located(&file, dir),
                    message: format!(
                        "ignoredDirs entry `{}` {problem}; list directories relative to the datamodel root, such as `legacy` or `old/v1`",
                        crate::source::yaml::printable(&dir.value)
                    ),
                });
            }
        }
    }
    Ok(ProjectConfig {
        group: group_text.to_string(),
        name,
        ignored_dirs,
    })
}

/// The key serde names in an unknown-field error (``unknown field `x`, expected …``).
fn unknown_key(reason: &str) -> Option<String> {
    let rest = reason.split("unknown field `").nth(1)?;
    let key = rest.split('`').next()?;
    Some(crate::source::yaml::printable(key))
}

/// Why a datamodel name cannot be used, if it cannot. The name is the Go module path
/// (`nexus datamodel init --name`), so it follows Go's rules for module paths: `/`-separated
/// elements of letters, digits and `.-_~`, none empty, none starting or ending with `.` (which
/// also rules out `.` and `..`), and no leading `-`.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if name.len() > 200 {
        return Some("is too long (200 characters at most)");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~' | '/'))
    {
        return Some("may hold only letters, digits and `.-_~/`");
    }
    if name.starts_with('-') {
        return Some("starts with `-`");
    }
    for element in name.split('/') {
        if element.is_empty() {
            return Some("has an empty path element (a leading, trailing or doubled `/`)");
        }
        if element.starts_with('.') || element.ends_with('.') {
            return Some("has a path element that starts or ends with `.`");
        }
    }
    None
}

/// An `ignoredDirs` entry as a `/`-separated path below the root, or why it is not one.
fn ignored_dir(dir: &str) -> std::result::Result<String, &'static str> {
    let unified = dir.trim().replace('\\', "/");
    let is_drive = unified.len() >= 2
        && unified.as_bytes()[0].is_ascii_alphabetic()
        && unified.as_bytes()[1] == b':';
    if unified.starts_with('/') || is_drive {
        return Err("is an absolute path");
    }
    let parts: Vec<&str> = unified
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    if parts.contains(&"..") {
        return Err("leaves the datamodel root (`..`)");
    }
    if parts.is_empty() {
        return Err("names the datamodel root itself, which would skip every package");
    }
    Ok(parts.join("/"))
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
            "groupName: \"orgchart.org\"\ndatamodelName: orgchart\nignoredDirs: [\"./old/\", legacy, 'a\\\\b/']\n",
        )]);
        let config = read_config(dir.path()).unwrap();
        assert_eq!(config.group, "orgchart.org");
        assert_eq!(config.name.as_deref(), Some("orgchart"));
        assert_eq!(config.ignored_dirs, vec!["old", "legacy", "a/b"]);
    }

    fn error_of(text: &str) -> String {
        let dir = dir_with(&[("nexus.yaml", text)]);
        read_config(dir.path()).unwrap_err().to_string()
    }

    #[test]
    fn unknown_keys_are_refused_where_they_stand() {
        let err = error_of("groupName: orgchart.org\nignoreDirs: [old]\n");
        assert!(
            err.contains("nexus.yaml:2:1: unknown key `ignoreDirs`; nexus.yaml holds only"),
            "{err}"
        );
    }

    #[test]
    fn datamodel_names_are_module_paths() {
        for good in ["orgchart", "example.com/org-chart/v2", "a_b~c"] {
            assert_eq!(name_problem(good), None, "{good}");
        }
        for bad in [
            "../../etc/x y",
            "a/../b",
            "./a",
            "a/",
            "/a",
            "a//b",
            "-a",
            "a b",
            "a.",
            "",
        ] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
        let err = error_of("groupName: orgchart.org\ndatamodelName: \"../../etc/x y\"\n");
        assert!(
            err.contains("nexus.yaml:2:16: datamodelName `../../etc/x y` may hold only"),
            "{err}"
        );
    }

    #[test]
    fn ignored_dirs_stay_below_the_root() {
        let err = error_of("groupName: orgchart.org\nignoredDirs:\n  - legacy\n  - \"../..\"\n");
        assert!(
            err.contains("nexus.yaml:4:5: ignoredDirs entry `../..` leaves the datamodel root"),
            "{err}"
        );
        let err = error_of("groupName: orgchart.org\nignoredDirs: [\"/\"]\n");
        assert!(
            err.contains("nexus.yaml:2:15: ignoredDirs entry `/` is an absolute path"),
            "{err}"
        );
        for bad in ["C:/x", "\\\\x", "a/../../b", ".", "./", ""] {
            assert!(ignored_dir(bad).is_err(), "{bad}");
        }
        assert_eq!(ignored_dir("./a/./b/").unwrap(), "a/b");
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
            err.contains("nexus.yaml:1:12: groupName `Org_Chart`"),
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
