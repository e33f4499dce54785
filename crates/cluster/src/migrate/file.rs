//! Step files: `migrations/<version>_<slug>.yaml`, read and checked before anything runs.
//!
//! Every problem is one sentence that starts with `file:line:column` (the key or op at fault)
//! and says what to do: a malformed file, an unknown key or op, a path that is not a JSON
//! pointer, a program that is not there, two files with one version. A file is pinned by the
//! SHA-256 of its bytes ([`super::checksum`]).

use super::patch::{OpSpec, PatchOp};
use super::{MIGRATIONS_DIR, checksum, program};
use crate::error::{Error, Result};
use crate::source::yaml;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where something was written: 1-based line and column (0 when unknown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u64,
    pub column: u64,
}

impl Pos {
    fn of<T>(spanned: &Spanned<T>) -> Pos {
        Pos {
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
        }
    }
}

/// What a step does to each object.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A JSON Patch: each op with where it was written.
    Patch(Vec<(PatchOp, Pos)>),
    /// A program run once per object.
    Program(ProgramStep),
}

/// `{command: [...]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramStep {
    /// The program and its arguments, as written.
    pub command: Vec<String>,
    /// Where `command` was written.
    pub at: Pos,
}

/// One step file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationFile {
    pub version: u64,
    pub slug: String,
    /// The file on disk.
    pub path: PathBuf,
    /// How messages name it: `migrations/<file>`, under the datamodel root as the user gave it.
    pub shown: String,
    pub title: String,
    pub description: Option<String>,
    /// `metadata.name` of the CRD whose stored objects the step rewrites.
    pub crd: String,
    pub up: Step,
    pub down: Option<Step>,
    /// `sha256:<hex>` of the file's bytes.
    pub checksum: String,
    /// What `migrate create` could not fill in, with where each entry is: a step with entries
    /// left does not run.
    pub incomplete: Vec<(String, Pos)>,
}

impl MigrationFile {
    /// `file:line:column` for a position in this file.
    pub fn at(&self, pos: Pos) -> String {
        located(&self.shown, pos)
    }

    /// Refuses a step that `migrate create` left incomplete.
    pub fn require_complete(&self) -> Result<()> {
        match self.incomplete.first() {
            None => Ok(()),
            Some((entry, pos)) => Err(Error::Parse {
                location: self.at(*pos),
                message: format!(
                    "this step is not complete: {}; complete the step, then delete the entry (and `incomplete:` once it is empty){}",
                    yaml::printable(entry),
                    match self.incomplete.len() {
                        1 => String::new(),
                        n => format!(" ({} more entries below it)", n - 1),
                    }
                ),
            }),
        }
    }
}

fn located(file: &str, pos: Pos) -> String {
    if pos.line == 0 {
        format!("{file}:1:1")
    } else {
        format!("{file}:{}:{}", pos.line, pos.column)
    }
}

/// How a path under the datamodel root is shown: relative roots stay as the user gave them.
pub fn shown_path(root: &Path, rel: &str) -> String {
    if root.as_os_str().is_empty() || root == Path::new(".") {
        rel.to_string()
    } else {
        root.join(rel).display().to_string()
    }
}

/// `<version>_<slug>.yaml` (or `.yml`) → version and slug; `None` for any other name.
pub fn parse_file_name(name: &str) -> Option<(u64, &str)> {
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))?;
    let (digits, slug) = stem.split_once('_')?;
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let version: u64 = digits.parse().ok()?;
    (version > 0 && !slug.is_empty()).then_some((version, slug))
}

/// Reads every step file in `<root>/migrations`, sorted by version. A missing directory holds
/// no steps. Programs are looked up relative to `root`.
pub fn load_dir(root: &Path) -> Result<Vec<MigrationFile>> {
    let dir = root.join(MIGRATIONS_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::read(&dir, &e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::read(&dir, &e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if (name.ends_with(".yaml") || name.ends_with(".yml")) && !name.starts_with('.') {
            names.push(name);
        }
    }
    names.sort();
    let mut files: Vec<MigrationFile> = Vec::with_capacity(names.len());
    for name in names {
        let rel = format!("{MIGRATIONS_DIR}/{name}");
        let shown = shown_path(root, &rel);
        let Some((version, slug)) = parse_file_name(&name) else {
            return Err(Error::input(format!(
                "{shown}: a step file is named <version>_<slug>.yaml, with a positive integer version of at most 18 digits (`nexus datamodel migrate create SLUG` picks one); rename it or move it out of {MIGRATIONS_DIR}/"
            )));
        };
        let path = dir.join(&name);
        let bytes = crate::input::read_regular(&path)?;
        let file = parse(&bytes, &shown, version, slug, root)?;
        files.push(MigrationFile { path, ..file });
    }
    files.sort_by(|a, b| {
        a.version
            .cmp(&b.version)
            .then_with(|| a.shown.cmp(&b.shown))
    });
    for pair in files.windows(2) {
        if let [a, b] = pair
            && a.version == b.version
        {
            return Err(Error::input(format!(
                "{} and {} both have version {}: versions order the steps and must be unique; give one of them a new version (rename it)",
                a.shown, b.shown, a.version
            )));
        }
    }
    Ok(files)
}

/// Parses one step file. `shown` names it in messages; programs are looked up from `root`.
pub fn parse(
    bytes: &[u8],
    shown: &str,
    version: u64,
    slug: &str,
    root: &Path,
) -> Result<MigrationFile> {
    let raw: Option<RawFile> = yaml::parse_typed(bytes, shown)?;
    let Some(raw) = raw else {
        return Err(problem(
            shown,
            Pos::default(),
            "the file is empty; a step has `title`, `crd` and `up` (see `nexus datamodel migrate create`)",
        ));
    };
    let title = required(
        shown,
        raw.title,
        "title",
        "a line printed while the step runs",
    )?;
    let crd = required(
        shown,
        raw.crd,
        "crd",
        "the name of the CRD whose stored objects the step rewrites, e.g. employees.role.orgchart.org",
    )?;
    let Some(up) = raw.up else {
        return Err(problem(
            shown,
            Pos::default(),
            "`up` is missing; give a JSON Patch (a list of ops) or `{command: [program, args...]}`",
        ));
    };
    let up = step(shown, up, root)?;
    let down = raw.down.map(|d| step(shown, d, root)).transpose()?;
    Ok(MigrationFile {
        version,
        slug: slug.to_string(),
        path: PathBuf::from(shown),
        shown: shown.to_string(),
        title,
        description: raw.description,
        crd,
        up,
        down,
        checksum: checksum::sha256(bytes),
        incomplete: raw
            .incomplete
            .into_iter()
            .map(|e| {
                let pos = Pos::of(&e);
                (e.value, pos)
            })
            .collect(),
    })
}

fn problem(file: &str, pos: Pos, message: impl Into<String>) -> Error {
    Error::Parse {
        location: located(file, pos),
        message: message.into(),
    }
}

fn required(file: &str, value: Option<Spanned<String>>, key: &str, what: &str) -> Result<String> {
    match value {
        Some(v) if !v.value.trim().is_empty() => Ok(v.value.trim().to_string()),
        Some(v) => Err(problem(
            file,
            Pos::of(&v),
            format!("`{key}` is empty; it is {what}"),
        )),
        None => Err(problem(
            file,
            Pos::default(),
            format!("`{key}` is missing; it is {what}"),
        )),
    }
}

fn step(file: &str, raw: Spanned<RawStep>, root: &Path) -> Result<Step> {
    match raw.value {
        RawStep::Patch(ops) => {
            let mut out = Vec::with_capacity(ops.len());
            for op in ops {
                let op_at = Pos::of(&op);
                out.push((patch_op(file, op_at, op.value)?, op_at));
            }
            Ok(Step::Patch(out))
        }
        RawStep::Program(program) => {
            let command_at = Pos::of(&program.command);
            let command = program.command.value;
            let Some(first) = command.first() else {
                return Err(problem(
                    file,
                    command_at,
                    "`command` is empty; name the program and its arguments, e.g. [\"./migrations/split-name.sh\"]",
                ));
            };
            if program::resolve(first, root).is_none() {
                let where_ = if first.contains('/') {
                    format!(
                        "no executable file at {} (a step's program runs in the datamodel root)",
                        root.join(first).display()
                    )
                } else {
                    "no executable of that name on PATH".to_string()
                };
                return Err(problem(
                    file,
                    command_at,
                    format!(
                        "program `{}` not found: {where_}; create it (and make it executable) or fix the path",
                        yaml::printable(first)
                    ),
                ));
            }
            Ok(Step::Program(ProgramStep {
                command,
                at: command_at,
            }))
        }
    }
}

fn patch_op(file: &str, at: Pos, raw: RawOp) -> Result<PatchOp> {
    let Some(path) = &raw.path else {
        return Err(problem(
            file,
            at,
            format!(
                "op `{}` has no `path`; every op names the JSON pointer it works on",
                yaml::printable(&raw.op.value)
            ),
        ));
    };
    let spec = OpSpec {
        op: &raw.op.value,
        path: &path.value,
        from: raw.from.as_ref().map(|f| f.value.as_str()),
        value: raw.value.clone(),
        if_missing: raw.if_missing.as_ref().map(|b| b.value),
        if_present: raw.if_present.as_ref().map(|b| b.value),
    };
    PatchOp::new(spec).map_err(|p| {
        let pos = match p.key {
            "op" => Pos::of(&raw.op),
            "path" => Pos::of(path),
            "from" => raw.from.as_ref().map_or(at, Pos::of),
            "ifMissing" => raw.if_missing.as_ref().map_or(at, Pos::of),
            "ifPresent" => raw.if_present.as_ref().map_or(at, Pos::of),
            _ => at,
        };
        problem(file, pos, yaml::printable(&p.message))
    })
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    title: Option<Spanned<String>>,
    description: Option<String>,
    crd: Option<Spanned<String>>,
    up: Option<Spanned<RawStep>>,
    down: Option<Spanned<RawStep>>,
    #[serde(default)]
    incomplete: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOp {
    op: Spanned<String>,
    path: Option<Spanned<String>>,
    from: Option<Spanned<String>>,
    /// `Some(Null)` for an explicit `value: null`, `None` when the key is absent.
    #[serde(default, deserialize_with = "present")]
    value: Option<Value>,
    #[serde(rename = "ifMissing")]
    if_missing: Option<Spanned<bool>>,
    #[serde(rename = "ifPresent")]
    if_present: Option<Spanned<bool>>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgram {
    command: Spanned<Vec<String>>,
}

/// `up`/`down`: a list of ops or a program. Read through the YAML deserializer itself (not
/// serde's buffered `untagged`), so that every op keeps its line and column.
enum RawStep {
    Patch(Vec<Spanned<RawOp>>),
    Program(RawProgram),
}

impl<'de> Deserialize<'de> for RawStep {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<RawStep, D::Error> {
        d.deserialize_any(StepVisitor)
    }
}

struct StepVisitor;

impl<'de> Visitor<'de> for StepVisitor {
    type Value = RawStep;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON Patch (a list of ops) or {command: [program, args...]}")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<RawStep, A::Error> {
        let mut ops = Vec::new();
        while let Some(op) = seq.next_element::<Spanned<RawOp>>()? {
            ops.push(op);
        }
        Ok(RawStep::Patch(ops))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<RawStep, A::Error> {
        RawProgram::deserialize(de::value::MapAccessDeserializer::new(map)).map(RawStep::Program)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::patch::OpKind;
    use serde_json::json;

    fn parse_text(text: &str) -> Result<MigrationFile> {
        parse(
            text.as_bytes(),
            "migrations/1_x.yaml",
            1,
            "x",
            Path::new("/nonexistent-root"),
        )
    }

    fn err(text: &str) -> String {
        parse_text(text).unwrap_err().to_string()
    }

    const GOOD: &str = "title: Give every employee a location
description: Location became required in 2.0.
crd: employees.role.orgchart.org
up:
  - op: add
    path: /spec/location
    value: headquarters
    ifMissing: true
  - op: add
    path: /spec/manager
    value: null
down:
  - op: remove
    path: /spec/location
";

    #[test]
    fn reads_the_example_of_the_spec() {
        let f = parse_text(GOOD).unwrap();
        assert_eq!(f.title, "Give every employee a location");
        assert_eq!(f.crd, "employees.role.orgchart.org");
        let Step::Patch(ops) = &f.up else {
            panic!("a patch")
        };
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0].0.kind, OpKind::Add);
        assert!(ops[0].0.if_missing);
        assert_eq!(ops[0].1, Pos { line: 5, column: 5 });
        assert_eq!(
            ops[1].0.value,
            Some(json!(null)),
            "explicit null is a value"
        );
        assert!(matches!(f.down, Some(Step::Patch(ref d)) if d.len() == 1));
        assert!(f.checksum.starts_with("sha256:"));
        f.require_complete().unwrap();
    }

    #[test]
    fn errors_point_at_the_line_and_column() {
        let e = err("title: t\ncrd: c\nup:\n  - op: ad\n    path: /spec/a\n");
        assert!(
            e.starts_with("migrations/1_x.yaml:4:9: unknown op `ad`"),
            "{e}"
        );
        let e = err("title: t\ncrd: c\nup:\n  - op: remove\n    path: spec/a\n");
        assert!(
            e.starts_with("migrations/1_x.yaml:5:11: `spec/a` is not a JSON pointer"),
            "{e}"
        );
        let e =
            err("title: t\ncrd: c\nup:\n  - op: remove\n    path: /spec/a\n    ifMissing: true\n");
        assert!(
            e.starts_with("migrations/1_x.yaml:6:16: `ifMissing` applies to `add` only"),
            "{e}"
        );
        let e = err("title: t\ncrd: c\nup: [\n");
        assert!(e.starts_with("migrations/1_x.yaml:"), "{e}");
        let e = err("title: t\ncrd: c\nup:\n  - op: add\n    path: /spec/a\n    vaule: 1\n");
        assert!(e.starts_with("migrations/1_x.yaml:6:"), "{e}");
        assert!(e.contains("vaule"), "{e}");
        let e = err("title: t\ncrd: c\nup:\n  - op: remove\n");
        assert!(
            e.starts_with("migrations/1_x.yaml:4:5: op `remove` has no `path`"),
            "{e}"
        );
    }

    #[test]
    fn missing_keys_and_empty_steps() {
        assert!(err("crd: c\nup: []\n").contains("`title` is missing"));
        assert!(err("title: t\nup: []\n").contains("`crd` is missing"));
        assert!(err("title: t\ncrd: c\n").contains("`up` is missing"));
        assert!(err("title: t\ncrd: c\nup:\n").contains("`up` is missing"));
        assert!(err("title: t\ncrd: c\nup: all\n").contains("expected a JSON Patch"));
        assert!(err("").contains("the file is empty"));
        assert!(err("title: t\ncrd: c\nup: []\nextra: 1\n").contains("extra"));
        let f = parse_text("title: t\ncrd: c\nup: []\n").unwrap();
        assert_eq!(f.up, Step::Patch(Vec::new()));
    }

    #[test]
    fn programs_must_exist() {
        let e = err("title: t\ncrd: c\nup:\n  command: [./migrations/split.sh]\n");
        assert!(
            e.starts_with("migrations/1_x.yaml:4:12: program `./migrations/split.sh` not found: no executable file at /nonexistent-root/./migrations/split.sh"),
            "{e}"
        );
        let e = err("title: t\ncrd: c\nup:\n  command: [no-such-program-anywhere]\n");
        assert!(e.contains("on PATH"), "{e}");
        let e = err("title: t\ncrd: c\nup:\n  command: []\n");
        assert!(e.contains("`command` is empty"), "{e}");
        let e = err("title: t\ncrd: c\nup:\n  command: [cat]\n  args: [x]\n");
        assert!(e.contains("args"), "{e}");
        let f = parse_text("title: t\ncrd: c\nup:\n  command: [sh, -c, cat]\n").unwrap();
        assert_eq!(
            f.up,
            Step::Program(ProgramStep {
                command: vec!["sh".into(), "-c".into(), "cat".into()],
                at: Pos {
                    line: 4,
                    column: 12
                }
            })
        );
    }

    #[test]
    fn incomplete_steps_do_not_run() {
        let f = parse_text("title: t\ncrd: c\nup: []\nincomplete:\n  - \"required-added .spec.age: give it a value\"\n  - second\n").unwrap();
        let e = f.require_complete().unwrap_err().to_string();
        assert!(
            e.starts_with("migrations/1_x.yaml:5:5: this step is not complete: required-added .spec.age: give it a value;"),
            "{e}"
        );
        assert!(e.contains("(1 more entries below it)"), "{e}");
    }

    #[test]
    fn file_names() {
        assert_eq!(
            parse_file_name("20260101120000_add-age.yaml"),
            Some((20260101120000, "add-age"))
        );
        assert_eq!(parse_file_name("7_x.yml"), Some((7, "x")));
        for bad in [
            "0_x.yaml",
            "_x.yaml",
            "7.yaml",
            "7_.yaml",
            "x_7.yaml",
            "7_x.json",
            "1234567890123456789_x.yaml",
        ] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_directory_sorted_by_version_and_without_twins() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(MIGRATIONS_DIR);
        std::fs::create_dir(&dir).unwrap();
        let body = "title: t\ncrd: c\nup: []\n";
        std::fs::write(dir.join("10_b.yaml"), body).unwrap();
        std::fs::write(dir.join("9_a.yaml"), body).unwrap();
        std::fs::write(dir.join("split.sh"), "#!/bin/sh\n").unwrap();
        let files = load_dir(root.path()).unwrap();
        let versions: Vec<u64> = files.iter().map(|f| f.version).collect();
        assert_eq!(versions, [9, 10]);
        std::fs::write(dir.join("009_c.yaml"), body).unwrap();
        let e = load_dir(root.path()).unwrap_err().to_string();
        assert!(e.contains("009_c.yaml and "), "{e}");
        assert!(e.contains("9_a.yaml both have version 9"), "{e}");
        std::fs::remove_file(dir.join("009_c.yaml")).unwrap();
        std::fs::write(dir.join("notes.yaml"), body).unwrap();
        let e = load_dir(root.path()).unwrap_err().to_string();
        assert!(
            e.contains("notes.yaml: a step file is named <version>_<slug>.yaml"),
            "{e}"
        );
        assert!(load_dir(&root.path().join("none")).unwrap().is_empty());
    }
}
