//! `nexus datamodel migrate create SLUG [--crd NAME]`: the next step file, filled from the last
//! build's breaking changes where the change says what to do:
//!
//! - `required-added` whose schema has a `default` → `add` of that default, `ifMissing: true`;
//! - `field-removed` → `remove`, `ifPresent: true`;
//! - one removed and one added field of the same type under one parent → `move` (with
//!   `ifPresent: true`, so objects without the old field are left to validation), and a `down`
//!   that moves it back when every op is a move. When two fields of the type were added and
//!   exactly one is required, the required one is the target; any other ambiguity is left to a
//!   person (each removed field is then removed).
//!
//! Anything else (a required field without a default, a type change, a field inside a list,
//! ...) is listed on stderr and written under `incomplete:`, which keeps `migrate plan` from
//! running the step until a person completes it and deletes the entries.

use super::MIGRATIONS_DIR;
use super::file::{self, shown_path};
use super::last_build::{self, ReportedChange};
use super::store::Resource;
use super::utc::UtcTime;
use crate::crd::CrdSet;
use crate::error::{Error, Result};
use crate::source;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One op of a drafted step.
#[derive(Debug, Clone, PartialEq)]
pub enum DraftOp {
    AddIfMissing { path: String, value: Value },
    RemoveIfPresent { path: String },
    Move { from: String, path: String },
}

/// A drafted step: what could be filled and what could not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    pub up: Vec<DraftOp>,
    /// Only when every op of `up` can be undone exactly.
    pub down: Option<Vec<DraftOp>>,
    /// One sentence per change a person has to handle.
    pub incomplete: Vec<String>,
}

/// A field that one side of the comparison has and the other lacks.
#[derive(Debug, Clone)]
struct Field {
    parent: String,
    key: String,
    ty: Option<Value>,
    /// For an added field: required, with its default (`None`: no default).
    required_default: Option<Option<Value>>,
    /// How the report names it (`.spec.location`).
    shown: String,
}

impl Field {
    fn pointer(&self) -> String {
        format!("{}/{}", self.parent, escape(&self.key))
    }
}

/// Fills a step for `crd` from the recorded `changes`; `doc` is the new CRD (for the schema of
/// required fields, their defaults and the storage version).
pub fn draft(changes: &[ReportedChange], crd: &str, doc: Option<&Value>) -> Draft {
    let storage = doc.and_then(Resource::of_crd).map(|r| r.version);
    let mut draft = Draft::default();
    let mut removed: Vec<Field> = Vec::new();
    let mut added: Vec<Field> = Vec::new();
    for change in changes.iter().filter(|c| c.crd == crd) {
        let breaking = change.severity == "breaking";
        let shown = change.field.clone().unwrap_or_else(|| change.path.clone());
        let in_storage = match (&storage, &change.version) {
            (Some(s), Some(v)) => s == v,
            _ => true,
        };
        let property_rule = matches!(
            change.rule.as_str(),
            "field-removed" | "field-added" | "required-added"
        );
        if property_rule && !in_storage {
            if breaking {
                draft.incomplete.push(format!(
                    "{} {shown} in version {}: steps rewrite objects at the storage version {}; decide whether objects need a change",
                    change.rule,
                    change.version.as_deref().unwrap_or("?"),
                    storage.as_deref().unwrap_or("?")
                ));
            }
            continue;
        }
        match change.rule.as_str() {
            "field-removed" | "field-added" => {
                let schema = if change.rule == "field-removed" {
                    &change.old
                } else {
                    &change.new
                };
                match object_pointer(&change.path) {
                    Some((parent, key)) => {
                        let field = Field {
                            parent,
                            key,
                            ty: schema.get("type").cloned(),
                            required_default: None,
                            shown,
                        };
                        if change.rule == "field-removed" {
                            removed.push(field);
                        } else {
                            added.push(field);
                        }
                    }
                    None if breaking => draft.incomplete.push(format!(
                        "{} {shown}: the field is inside a list or a map, where one JSON Patch op cannot reach every entry; write a program step (or ops per index)",
                        change.rule
                    )),
                    None => {}
                }
            }
            "required-added" => {
                let name = change.new.as_str().unwrap_or_default().to_string();
                let parent_schema_path = change
                    .path
                    .strip_suffix("/required")
                    .unwrap_or(&change.path)
                    .to_string();
                let property = doc.and_then(|d| {
                    resolve(
                        d,
                        &format!("{parent_schema_path}/properties/{}", escape(&name)),
                    )
                });
                let parent = object_pointer(&parent_schema_path).map(|(p, k)| {
                    if k.is_empty() {
                        p
                    } else {
                        format!("{p}/{}", escape(&k))
                    }
                });
                match (parent, name.is_empty()) {
                    (Some(parent), false) => added.push(Field {
                        parent,
                        key: name,
                        ty: property.and_then(|p| p.get("type")).cloned(),
                        required_default: Some(property.and_then(|p| p.get("default")).cloned()),
                        shown,
                    }),
                    _ => draft.incomplete.push(format!(
                        "required-added {shown}: the field is inside a list or a map, where one JSON Patch op cannot reach every entry; write a program step that gives every entry a value"
                    )),
                }
            }
            _ if breaking => draft.incomplete.push(format!(
                "{} {shown}: {}; decide what stored objects need (a patch op or a program)",
                change.rule,
                one_line(&change.message)
            )),
            _ => {}
        }
    }

    // Pairs: exactly one removed and one added field of one type under one parent.
    let mut by_parent: BTreeMap<(String, String), (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, f) in removed.iter().enumerate() {
        if let Some(ty) = &f.ty {
            by_parent
                .entry((f.parent.clone(), ty.to_string()))
                .or_default()
                .0
                .push(i);
        }
    }
    for (i, f) in added.iter().enumerate() {
        if let Some(ty) = &f.ty {
            by_parent
                .entry((f.parent.clone(), ty.to_string()))
                .or_default()
                .1
                .push(i);
        }
    }
    let mut moved_from = vec![false; removed.len()];
    let mut moved_to = vec![false; added.len()];
    for (r, a) in by_parent.values() {
        // With one optional and one required candidate, the required one is the new home:
        // only it must be filled for every stored object.
        let required: Vec<usize> = a
            .iter()
            .copied()
            .filter(|i| added.get(*i).is_some_and(|f| f.required_default.is_some()))
            .collect();
        let target = match (a.as_slice(), required.as_slice()) {
            ([one], _) | (_, [one]) => Some(*one),
            _ => None,
        };
        if let ([r], Some(a)) = (r.as_slice(), target)
            && let (Some(from), Some(to)) = (removed.get(*r), added.get(a))
        {
            draft.up.push(DraftOp::Move {
                from: from.pointer(),
                path: to.pointer(),
            });
            if let Some(flag) = moved_from.get_mut(*r) {
                *flag = true;
            }
            if let Some(flag) = moved_to.get_mut(a) {
                *flag = true;
            }
        }
    }
    for (f, moved) in added.iter().zip(&moved_to) {
        match (&f.required_default, moved) {
            (_, true) | (None, _) => {}
            (Some(Some(default)), false) => draft.up.push(DraftOp::AddIfMissing {
                path: f.pointer(),
                value: default.clone(),
            }),
            (Some(None), false) => draft.incomplete.push(format!(
                "required-added {}{}: the schema gives no default; add an `add` op (with `ifMissing: true`) or a program that gives every stored object a value",
                f.shown,
                f.ty.as_ref().and_then(Value::as_str).map(|t| format!(" ({t})")).unwrap_or_default()
            )),
        }
    }
    for (f, moved) in removed.iter().zip(&moved_from) {
        if !moved {
            draft
                .up
                .push(DraftOp::RemoveIfPresent { path: f.pointer() });
        }
    }
    if !draft.up.is_empty() && draft.up.iter().all(|op| matches!(op, DraftOp::Move { .. })) {
        draft.down = Some(
            draft
                .up
                .iter()
                .rev()
                .filter_map(|op| match op {
                    DraftOp::Move { from, path } => Some(DraftOp::Move {
                        from: path.clone(),
                        path: from.clone(),
                    }),
                    _ => None,
                })
                .collect(),
        );
    }
    draft
}

/// The object pointer of a property named by a CRD path
/// (`/spec/versions/name=v1/schema/openAPIV3Schema/properties/spec/properties/location`), split
/// into the parent pointer and the key (`/spec`, `location`); for the schema root itself, `("",
/// "")`. `None` when the path goes through `items`, `additionalProperties` or anything but
/// `properties`.
fn object_pointer(crd_path: &str) -> Option<(String, String)> {
    let (_, rest) = crd_path.split_once("/schema/openAPIV3Schema")?;
    let tokens: Vec<String> = rest.split('/').skip(1).map(unescape).collect();
    if tokens.is_empty() {
        return Some((String::new(), String::new()));
    }
    let mut keys = Vec::new();
    for pair in tokens.chunks(2) {
        match pair {
            [kw, key] if kw == "properties" => keys.push(key.clone()),
            _ => return None,
        }
    }
    let key = keys.pop()?;
    let parent: String = keys.iter().map(|k| format!("/{}", escape(k))).collect();
    Some((parent, key))
}

/// The value at a CRD path whose list entries are named by key (`versions/name=v1`).
fn resolve<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = doc;
    for token in path.split('/').skip(1).map(unescape) {
        current = match current {
            Value::Object(map) => map.get(&token)?,
            Value::Array(items) => {
                let (key, value) = token.split_once('=')?;
                items
                    .iter()
                    .find(|item| item.get(key).and_then(Value::as_str) == Some(value))?
            }
            _ => return None,
        };
    }
    Some(current)
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of a step file.
pub fn render(title: &str, crd: &str, draft: &Draft, header: &str) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string());
    let mut out = String::new();
    for line in header.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&format!("title: {}\ncrd: {}\n", q(title), q(crd)));
    let ops = |out: &mut String, key: &str, ops: &[DraftOp]| {
        if ops.is_empty() {
            out.push_str(&format!("{key}: []\n"));
            return;
        }
        out.push_str(&format!("{key}:\n"));
        for op in ops {
            match op {
                DraftOp::AddIfMissing { path, value } => out.push_str(&format!(
                    "  - op: add\n    path: {}\n    value: {}\n    ifMissing: true\n",
                    q(path),
                    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
                )),
                DraftOp::RemoveIfPresent { path } => out.push_str(&format!(
                    "  - op: remove\n    path: {}\n    ifPresent: true\n",
                    q(path)
                )),
                DraftOp::Move { from, path } => out.push_str(&format!(
                    "  - op: move\n    from: {}\n    path: {}\n    ifPresent: true\n",
                    q(from),
                    q(path)
                )),
            }
        }
    };
    ops(&mut out, "up", &draft.up);
    match &draft.down {
        Some(down) => ops(&mut out, "down", down),
        None => out.push_str(
            "# No `down`: these ops cannot be undone exactly; add one if `migrate down` should undo this step.\n",
        ),
    }
    if !draft.incomplete.is_empty() {
        out.push_str("# Complete the step, then delete each entry below (and `incomplete:` itself).\nincomplete:\n");
        for entry in &draft.incomplete {
            out.push_str(&format!("  - {}\n", q(entry)));
        }
    }
    out
}

/// What `create` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// The new file, as messages name it.
    pub shown: String,
    pub path: PathBuf,
    pub version: u64,
    pub crd: String,
    /// Ops filled in.
    pub filled: usize,
    /// What a person has to complete.
    pub incomplete: Vec<String>,
    /// Which build it was filled from, when one was recorded.
    pub baseline: Option<String>,
}

/// Writes the next step file of the datamodel at `root`.
pub fn create(root: &Path, slug: &str, crd: Option<&str>, now: UtcTime) -> Result<Created> {
    if let Some(problem) = slug_problem(slug) {
        return Err(Error::input(format!(
            "slug `{slug}` {problem}; use lower-case letters, digits, `-` and `_`, e.g. `add-location`"
        )));
    }
    let record = last_build::read(root)?;
    let record_shown = shown_path(root, last_build::FILE);
    let changes = match &record {
        Some(r) => r.changes(&record_shown)?,
        None => Vec::new(),
    };
    let crds_dir = record
        .as_ref()
        .map_or_else(|| root.join("build/crds"), |r| r.crds_dir(root));
    let crd = match crd {
        Some(name) => name.to_string(),
        None => pick_crd(&changes, record.is_some(), &record_shown)?,
    };
    let crds = load_crds(&crds_dir)?;
    let Some(doc) = crds.crds.get(&crd).map(|c| &c.doc) else {
        let known: Vec<&str> = crds.crds.keys().map(String::as_str).collect();
        return Err(Error::input(format!(
            "CRD {crd} is not among the built CRDs in {} ({}); name one of them with --crd",
            crds_dir.display(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    };
    let mut draft = draft(&changes, &crd, Some(doc));
    if draft.up.is_empty() && draft.incomplete.is_empty() {
        draft.incomplete.push(match &record {
            Some(_) => format!(
                "the last build found no change in {crd} that a step can fill in; write the `up` patch (or `up: {{command: [...]}}`)"
            ),
            None => "no build was recorded to fill this step from; write the `up` patch (or `up: {command: [...]}`)".to_string(),
        });
    }
    let dir = root.join(MIGRATIONS_DIR);
    let version = next_version(&dir, &now)?;
    let name = format!("{version}_{slug}.yaml");
    let shown = shown_path(root, &format!("{MIGRATIONS_DIR}/{name}"));
    let header = match &record {
        Some(r) => format!(
            "Written by `nexus datamodel migrate create` from the last build's report\n(baseline: {}). Review it before it runs: steps run in version order.",
            r.baseline
        ),
        None => {
            "Written by `nexus datamodel migrate create`. Steps run in version order.".to_string()
        }
    };
    let text = render(&title(slug), &crd, &draft, &header);
    // What is written must read back as a step (with its `incomplete` entries).
    let (parsed_version, parsed_slug) = file::parse_file_name(&name).unwrap_or((version, slug));
    file::parse(text.as_bytes(), &shown, parsed_version, parsed_slug, root)?;
    std::fs::create_dir_all(&dir).map_err(|e| Error::read(&dir, &e))?;
    let path = dir.join(&name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| Error::read(&path, &e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| Error::read(&path, &e))?;
    Ok(Created {
        shown,
        path,
        version,
        crd,
        filled: draft.up.len(),
        incomplete: draft.incomplete,
        baseline: record.map(|r| r.baseline),
    })
}

fn pick_crd(changes: &[ReportedChange], recorded: bool, record_shown: &str) -> Result<String> {
    if !recorded {
        return Err(Error::input(format!(
            "no build is recorded ({record_shown} is missing): run `nexus datamodel build`, or name the CRD the step rewrites with --crd NAME"
        )));
    }
    let mut names: Vec<&str> = changes
        .iter()
        .filter(|c| c.severity == "breaking")
        .map(|c| c.crd.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    match names.as_slice() {
        [one] => Ok((*one).to_string()),
        [] => Err(Error::input(
            "the last build found no breaking change; name the CRD the step rewrites with --crd NAME",
        )),
        many => Err(Error::input(format!(
            "the last build found breaking changes in {} CRDs ({}); a step rewrites one CRD: run create once per CRD with --crd NAME",
            many.len(),
            many.join(", ")
        ))),
    }
}

fn load_crds(dir: &Path) -> Result<CrdSet> {
    if !dir.is_dir() {
        return Err(Error::input(format!(
            "{} does not exist; run `nexus datamodel build` first (a step names a built CRD)",
            dir.display()
        )));
    }
    source::load_path(dir, &dir.display().to_string())
}

/// The version of the next step: the current UTC time, or one more than the highest version
/// on disk when that is not earlier (two creates in one second, or hand-picked versions).
fn next_version(dir: &Path, now: &UtcTime) -> Result<u64> {
    let stamp: u64 = now.version_stamp().parse().unwrap_or(1);
    let highest = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                file::parse_file_name(&name).map(|(v, _)| v)
            })
            .max(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::read(dir, &e)),
    };
    Ok(match highest {
        Some(h) if h >= stamp => h.saturating_add(1),
        _ => stamp,
    })
}

/// Why a slug cannot name a step file, if it cannot.
fn slug_problem(slug: &str) -> Option<&'static str> {
    if slug.is_empty() {
        Some("is empty")
    } else if slug.len() > 100 {
        Some("is longer than 100 characters")
    } else if !slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        Some("may hold only lower-case letters, digits, `-` and `_`")
    } else {
        None
    }
}

/// `add-location` → `Add location`.
fn title(slug: &str) -> String {
    let words = slug.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => slug.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ROOT: &str = "/spec/versions/name=v1/schema/openAPIV3Schema";

    fn change(
        rule: &str,
        severity: &str,
        path: &str,
        field: &str,
        old: Value,
        new: Value,
    ) -> ReportedChange {
        ReportedChange {
            rule: rule.into(),
            severity: severity.into(),
            crd: "employees.role.orgchart.org".into(),
            version: Some("v1".into()),
            path: format!("{ROOT}{path}"),
            field: Some(field.into()),
            message: format!("{rule} at {field}"),
            old,
            new,
        }
    }

    fn crd() -> Value {
        json!({
            "metadata": {"name": "employees.role.orgchart.org"},
            "spec": {
                "group": "role.orgchart.org",
                "names": {"plural": "employees", "kind": "Employee"},
                "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {"spec": {
                        "type": "object",
                        "required": ["level", "age", "office"],
                        "properties": {
                            "office": {"type": "string"},
                            "level": {"type": "integer", "default": 1},
                            "age": {"type": "integer"}
                        }
                    }}
                }}}]
            }
        })
    }

    #[test]
    fn fills_what_the_changes_say() {
        let changes = vec![
            change(
                "field-removed",
                "breaking",
                "/properties/spec/properties/location",
                ".spec.location",
                json!({"type": "string"}),
                Value::Null,
            ),
            change(
                "required-added",
                "breaking",
                "/properties/spec/required",
                ".spec.office",
                Value::Null,
                json!("office"),
            ),
            change(
                "required-added",
                "breaking",
                "/properties/spec/required",
                ".spec.level",
                Value::Null,
                json!("level"),
            ),
            change(
                "required-added",
                "breaking",
                "/properties/spec/required",
                ".spec.age",
                Value::Null,
                json!("age"),
            ),
            change(
                "field-removed",
                "breaking",
                "/properties/spec/properties/legacy",
                ".spec.legacy",
                json!({"type": "boolean"}),
                Value::Null,
            ),
            change(
                "type-changed",
                "breaking",
                "/properties/spec/properties/grade/type",
                ".spec.grade",
                json!("string"),
                json!("integer"),
            ),
            change(
                "description-changed",
                "compatible",
                "/properties/spec/description",
                ".spec",
                json!("a"),
                json!("b"),
            ),
        ];
        let d = draft(&changes, "employees.role.orgchart.org", Some(&crd()));
        assert_eq!(
            d.up,
            vec![
                DraftOp::Move {
                    from: "/spec/location".into(),
                    path: "/spec/office".into()
                },
                DraftOp::AddIfMissing {
                    path: "/spec/level".into(),
                    value: json!(1)
                },
                DraftOp::RemoveIfPresent {
                    path: "/spec/legacy".into()
                },
            ]
        );
        assert_eq!(d.down, None, "a remove cannot be undone");
        assert_eq!(d.incomplete.len(), 2, "{:?}", d.incomplete);
        assert!(
            d.incomplete[0].starts_with("type-changed .spec.grade:"),
            "{:?}",
            d.incomplete
        );
        assert!(
            d.incomplete[1]
                .starts_with("required-added .spec.age (integer): the schema gives no default"),
            "{:?}",
            d.incomplete
        );
    }

    #[test]
    fn a_rename_alone_gets_a_down() {
        let changes = vec![
            change(
                "field-removed",
                "breaking",
                "/properties/spec/properties/location",
                ".spec.location",
                json!({"type": "string"}),
                Value::Null,
            ),
            change(
                "field-added",
                "compatible",
                "/properties/spec/properties/site",
                ".spec.site",
                Value::Null,
                json!({"type": "string"}),
            ),
        ];
        let d = draft(&changes, "employees.role.orgchart.org", Some(&crd()));
        assert_eq!(
            d.up,
            vec![DraftOp::Move {
                from: "/spec/location".into(),
                path: "/spec/site".into()
            }]
        );
        assert_eq!(
            d.down,
            Some(vec![DraftOp::Move {
                from: "/spec/site".into(),
                path: "/spec/location".into()
            }])
        );
        assert!(d.incomplete.is_empty());
    }

    #[test]
    fn a_required_target_wins_over_an_optional_one() {
        let changes = vec![
            change(
                "field-removed",
                "breaking",
                "/properties/spec/properties/location",
                ".spec.location",
                json!({"type": "string"}),
                Value::Null,
            ),
            change(
                "field-added",
                "compatible",
                "/properties/spec/properties/note",
                ".spec.note",
                Value::Null,
                json!({"type": "string"}),
            ),
            change(
                "required-added",
                "breaking",
                "/properties/spec/required",
                ".spec.office",
                Value::Null,
                json!("office"),
            ),
        ];
        let d = draft(&changes, "employees.role.orgchart.org", Some(&crd()));
        assert_eq!(
            d.up,
            vec![DraftOp::Move {
                from: "/spec/location".into(),
                path: "/spec/office".into()
            }]
        );
    }

    #[test]
    fn ambiguous_pairs_are_not_guessed() {
        let changes = vec![
            change(
                "field-removed",
                "breaking",
                "/properties/spec/properties/a",
                ".spec.a",
                json!({"type": "string"}),
                Value::Null,
            ),
            change(
                "field-removed",
                "breaking",
                "/properties/spec/properties/b",
                ".spec.b",
                json!({"type": "string"}),
                Value::Null,
            ),
            change(
                "field-added",
                "compatible",
                "/properties/spec/properties/c",
                ".spec.c",
                Value::Null,
                json!({"type": "string"}),
            ),
        ];
        let d = draft(&changes, "employees.role.orgchart.org", Some(&crd()));
        assert_eq!(
            d.up,
            vec![
                DraftOp::RemoveIfPresent {
                    path: "/spec/a".into()
                },
                DraftOp::RemoveIfPresent {
                    path: "/spec/b".into()
                },
            ]
        );
    }

    #[test]
    fn fields_in_lists_and_other_crds() {
        let mut other = change(
            "field-removed",
            "breaking",
            "/properties/spec/properties/x",
            ".spec.x",
            json!({}),
            Value::Null,
        );
        other.crd = "managers.role.orgchart.org".into();
        let changes = vec![
            change(
                "field-removed",
                "breaking",
                "/properties/spec/properties/ports/items/properties/name",
                ".spec.ports[*].name",
                json!({"type": "string"}),
                Value::Null,
            ),
            other,
        ];
        let d = draft(&changes, "employees.role.orgchart.org", Some(&crd()));
        assert!(d.up.is_empty());
        assert_eq!(d.incomplete.len(), 1);
        assert!(
            d.incomplete[0].contains("inside a list or a map"),
            "{:?}",
            d.incomplete
        );
    }

    #[test]
    fn paths() {
        assert_eq!(
            object_pointer(&format!("{ROOT}/properties/spec/properties/a~1b")),
            Some(("/spec".into(), "a/b".into()))
        );
        assert_eq!(
            object_pointer(&format!("{ROOT}/properties/spec/items/properties/a")),
            None
        );
        assert_eq!(object_pointer(ROOT), Some((String::new(), String::new())));
        let doc = crd();
        assert_eq!(
            resolve(
                &doc,
                &format!("{ROOT}/properties/spec/properties/level/default")
            ),
            Some(&json!(1))
        );
        assert_eq!(resolve(&doc, "/spec/versions/name=v9"), None);
    }

    #[test]
    fn rendered_files_read_back() {
        let d = Draft {
            up: vec![
                DraftOp::Move {
                    from: "/spec/a".into(),
                    path: "/spec/b: c".into(),
                },
                DraftOp::AddIfMissing {
                    path: "/spec/level".into(),
                    value: json!({"x": [1, "two"]}),
                },
            ],
            down: None,
            incomplete: vec!["required-added .spec.age: \"quoted\" # not a comment".into()],
        };
        let text = render(
            "Add: it",
            "employees.role.orgchart.org",
            &d,
            "line one\nline two",
        );
        let f = file::parse(text.as_bytes(), "m/1_x.yaml", 1, "x", Path::new(".")).unwrap();
        assert_eq!(f.title, "Add: it");
        let file::Step::Patch(ops) = &f.up else {
            panic!("a patch")
        };
        assert_eq!(ops[0].0.path, "/spec/b: c");
        assert_eq!(ops[1].0.value, Some(json!({"x": [1, "two"]})));
        assert_eq!(
            f.incomplete[0].0,
            "required-added .spec.age: \"quoted\" # not a comment"
        );
        assert!(f.down.is_none());
    }

    #[test]
    fn slugs_and_titles() {
        assert_eq!(slug_problem("add-location_2"), None);
        assert!(slug_problem("Add").is_some());
        assert!(slug_problem("a b").is_some());
        assert!(slug_problem("").is_some());
        assert_eq!(title("add-location"), "Add location");
    }
}
