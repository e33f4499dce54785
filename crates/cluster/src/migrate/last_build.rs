//! The last build's report, kept for `migrate create`: `build/.nexus-last-build.json` under the
//! datamodel root. `build` writes it whenever it writes CRDs that differ from the previous ones
//! (a rebuild that changes nothing keeps the record of the change before it); the report inside
//! is the public JSON report (`--format json`, version 1) of that build.

use crate::error::{Error, Result};
use crate::report::Report;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the record lives, relative to the datamodel root.
pub const FILE: &str = "build/.nexus-last-build.json";

/// The version of the record's own format.
pub const FORMAT: u32 = 1;

/// The record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastBuild {
    pub format: u32,
    /// Which previous CRDs the build compared with (`build/crds at main (3f2a1c9)`).
    pub baseline: String,
    /// Where the build wrote the CRDs (`--output`, relative to the datamodel root unless
    /// absolute).
    pub crds: String,
    /// The JSON report of the build.
    pub report: Value,
}

/// One change of the recorded report (the keys of the JSON report).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReportedChange {
    pub rule: String,
    pub severity: String,
    pub crd: String,
    pub version: Option<String>,
    pub path: String,
    pub field: Option<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub old: Value,
    #[serde(default)]
    pub new: Value,
}

impl LastBuild {
    /// The directory the build wrote the CRDs to.
    pub fn crds_dir(&self, root: &Path) -> PathBuf {
        let dir = Path::new(&self.crds);
        if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            root.join(dir)
        }
    }

    /// The changes of the report.
    pub fn changes(&self, shown: &str) -> Result<Vec<ReportedChange>> {
        let changes = self.report.get("changes").cloned().unwrap_or(Value::Null);
        serde_json::from_value(changes).map_err(|e| {
            Error::input(format!(
                "{shown}: the report's `changes` are not those of a nexus JSON report ({e}); run `nexus datamodel build` again"
            ))
        })
    }
}

/// Records `report` after a build wrote CRDs to `crds` (as given on the command line). A report
/// without any change leaves the previous record in place.
pub fn record(root: &Path, crds: &Path, baseline: &str, report: &Report) -> Result<()> {
    if report.changes.is_empty() {
        return Ok(());
    }
    let report: Value = serde_json::from_str(&crate::report::json::render(report))
        .map_err(|e| Error::input(format!("the build report is not JSON: {e}")))?;
    let record = LastBuild {
        format: FORMAT,
        baseline: baseline.to_string(),
        crds: crds.display().to_string(),
        report,
    };
    let path = root.join(FILE);
    let mut text = serde_json::to_string_pretty(&record).unwrap_or_default();
    text.push('\n');
    write_atomically(&path, &text)
}

/// Reads the record; `None` when no build has written one.
pub fn read(root: &Path) -> Result<Option<LastBuild>> {
    let path = root.join(FILE);
    let shown = super::file::shown_path(root, FILE);
    let Some(bytes) = crate::input::read_regular_if_exists(&path)? else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&bytes);
    let record: LastBuild = serde_json::from_str(&text).map_err(|e| Error::Parse {
        location: format!("{shown}:{}:{}", e.line().max(1), e.column().max(1)),
        message: format!(
            "the last build's record is not valid ({e}); run `nexus datamodel build` again"
        ),
    })?;
    if record.format > FORMAT {
        return Err(Error::input(format!(
            "{shown} is in record format {}, but this nexus reads format {FORMAT} at most; upgrade nexus or run `nexus datamodel build` again",
            record.format
        )));
    }
    Ok(Some(record))
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`: a reader sees
/// the old record or the new one, never half of one.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::read(dir, &e))?;
    let tmp = dir.join(".nexus-last-build.json.tmp");
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    written.map_err(|e| Error::read(&tmp, &e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::read(path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Change, SideInfo};
    use crate::rules::RuleId;

    fn report(changes: Vec<Change>) -> Report {
        Report::new(SideInfo::default(), SideInfo::default(), changes, 1)
    }

    #[test]
    fn round_trip_and_empty_reports_keep_the_record() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(read(root.path()).unwrap(), None);
        let change = Change::new(
            RuleId::RequiredAdded,
            "leaders.root.orgchart.org",
            Some("v1"),
            "/spec/versions/name=v1/schema/openAPIV3Schema/properties/spec/required".into(),
        )
        .field(".spec.age")
        .values(Value::Null, Value::String("age".into()));
        record(
            root.path(),
            Path::new("build/crds"),
            "build/crds on disk",
            &report(vec![change]),
        )
        .unwrap();
        let first = read(root.path()).unwrap().unwrap();
        assert_eq!(first.baseline, "build/crds on disk");
        assert_eq!(first.crds_dir(root.path()), root.path().join("build/crds"));
        let changes = first.changes("x").unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].rule, "required-added");
        assert_eq!(changes[0].new, "age");
        record(
            root.path(),
            Path::new("build/crds"),
            "later",
            &report(Vec::new()),
        )
        .unwrap();
        assert_eq!(read(root.path()).unwrap().unwrap(), first);
        let leftovers: Vec<_> = std::fs::read_dir(root.path().join("build"))
            .unwrap()
            .collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left");
    }

    #[test]
    fn a_damaged_record_is_an_error_with_a_location() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("build")).unwrap();
        std::fs::write(root.path().join(FILE), "{\n  \"format\": 1,\n  oops\n}").unwrap();
        let err = read(root.path()).unwrap_err().to_string();
        assert!(err.contains(".nexus-last-build.json:3:"), "{err}");
        std::fs::write(
            root.path().join(FILE),
            "{\"format\": 9, \"baseline\": \"\", \"crds\": \"\", \"report\": {}}",
        )
        .unwrap();
        let err = read(root.path()).unwrap_err().to_string();
        assert!(err.contains("record format 9"), "{err}");
    }
}
