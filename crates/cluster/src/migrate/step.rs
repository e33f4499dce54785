//! One step applied to one object: its patch or its program, then the guard that a step never
//! changes what names the object (`apiVersion`, `kind`, `metadata.name`, `metadata.namespace`).

use super::file::{MigrationFile, Step};
use super::patch::{self, Patched};
use super::program::{self, ProgramError};
use super::store::ObjectId;
use crate::error::Error;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// What a step did to an object.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The step gave a different object.
    Changed(Value),
    /// The step gave the same object.
    Unchanged,
    /// A `test` op did not match: the object stays as it was.
    Skipped { reason: String },
}

/// An object the step could not migrate: counted as failed, listed, and nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectFailure {
    /// Where in the object (`.spec.location`), `.` for the whole object.
    pub path: String,
    pub reason: String,
}

/// Why applying a step to an object did not give an outcome.
#[derive(Debug)]
pub enum StepError {
    /// The data does not fit the step (a `replace` of a path the object lacks, a program that
    /// exits non-zero, prints no JSON object or renames the object, ...).
    Object(ObjectFailure),
    /// The step itself is broken (its program cannot be started): the run stops with exit 2.
    Broken(Error),
}

/// Where the step runs: the datamodel root (a program's directory) and a program's timeout.
#[derive(Debug, Clone, Copy)]
pub struct Runner<'a> {
    pub root: &'a Path,
    pub timeout: Duration,
}

impl Runner<'_> {
    /// Applies `step` (the `up` or `down` of `file`) to `object`.
    pub fn apply(
        &self,
        file: &MigrationFile,
        step: &Step,
        object: &Value,
    ) -> Result<Outcome, StepError> {
        let id = ObjectId::of(object).map_or_else(|| "the object".to_string(), |id| id.to_string());
        let new = match step {
            Step::Patch(ops) => match patch::apply(ops.iter().map(|(op, _)| op), object) {
                Ok(Patched::Done(new)) => new,
                Ok(Patched::TestFailed { op, path }) => {
                    return Ok(Outcome::Skipped {
                        reason: format!("`test` op {} at {path} did not match", op + 1),
                    });
                }
                Err(failure) => {
                    let at = ops.get(failure.op).map(|(_, pos)| *pos).unwrap_or_default();
                    return Err(StepError::Object(ObjectFailure {
                        path: dotted(&failure.path),
                        reason: format!("{} ({})", failure.reason, file.at(at)),
                    }));
                }
            },
            Step::Program(p) => match program::run(&p.command, self.root, object, self.timeout) {
                Ok(new) => new,
                // A program that cannot start fails every object alike: the step is broken.
                Err(e @ ProgramError::Start { .. }) => {
                    return Err(StepError::Broken(Error::Parse {
                        location: file.at(p.at),
                        message: format!(
                            "{} {id}: {e}; fix the program, nothing was written",
                            file.crd
                        ),
                    }));
                }
                // Anything else is this object's failure (MIGRATE.md): counted, listed, and the
                // other objects still run, so every failing object is reported.
                Err(e) => {
                    return Err(StepError::Object(ObjectFailure {
                        path: ".".to_string(),
                        reason: format!("{e} ({})", file.at(p.at)),
                    }));
                }
            },
        };
        if let Some(field) = identity_change(object, &new) {
            let location = match step {
                Step::Program(p) => file.at(p.at),
                Step::Patch(ops) => file.at(ops.first().map(|(_, pos)| *pos).unwrap_or_default()),
            };
            return Err(StepError::Object(ObjectFailure {
                path: ".".to_string(),
                reason: format!(
                    "the step changed {field}; a step may change spec and status only ({location})"
                ),
            }));
        }
        Ok(if new == *object {
            Outcome::Unchanged
        } else {
            Outcome::Changed(new)
        })
    }
}

/// The first identity field that differs between `old` and `new`, by name.
pub fn identity_change(old: &Value, new: &Value) -> Option<&'static str> {
    let fields: [(&str, &[&str]); 4] = [
        ("apiVersion", &["apiVersion"]),
        ("kind", &["kind"]),
        ("metadata.name", &["metadata", "name"]),
        ("metadata.namespace", &["metadata", "namespace"]),
    ];
    fields.into_iter().find_map(|(name, path)| {
        let get = |v: &Value| path.iter().try_fold(v, |v, key| v.get(key)).cloned();
        (get(old) != get(new)).then_some(name)
    })
}

/// A JSON pointer as the dotted path the validator prints: `/spec/a~1b/0` → `.spec["a/b"][0]`.
pub fn dotted(pointer: &str) -> String {
    if pointer.is_empty() {
        return ".".to_string();
    }
    let mut out = String::new();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(&token);
            out.push(']');
        } else {
            crate::compare::path::push_field(&mut out, &token);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::file;
    use serde_json::json;

    fn step_file(up: &str) -> MigrationFile {
        let text = format!("title: t\ncrd: employees.role.orgchart.org\nup:\n{up}");
        file::parse(
            text.as_bytes(),
            "migrations/1_x.yaml",
            1,
            "x",
            Path::new("."),
        )
        .unwrap()
    }

    fn employee() -> Value {
        json!({
            "apiVersion": "role.orgchart.org/v1",
            "kind": "Employee",
            "metadata": {"name": "alice", "namespace": "ns-a"},
            "spec": {"location": "hq"}
        })
    }

    fn runner() -> Runner<'static> {
        Runner {
            root: Path::new("."),
            timeout: program::TIMEOUT,
        }
    }

    fn run(up: &str, object: &Value) -> Result<Outcome, StepError> {
        let f = step_file(up);
        runner().apply(&f, &f.up, object)
    }

    #[test]
    fn outcomes() {
        let mv = "  - op: move\n    from: /spec/location\n    path: /spec/office\n";
        let Ok(Outcome::Changed(new)) = run(mv, &employee()) else {
            panic!("changes")
        };
        assert_eq!(new["spec"], json!({"office": "hq"}));
        let same = "  - op: add\n    path: /spec/location\n    value: x\n    ifMissing: true\n";
        assert!(matches!(run(same, &employee()), Ok(Outcome::Unchanged)));
        let test = "  - op: test\n    path: /spec/location\n    value: branch\n";
        let Ok(Outcome::Skipped { reason }) = run(test, &employee()) else {
            panic!("skips")
        };
        assert!(reason.contains("`test` op 1 at /spec/location"), "{reason}");
    }

    #[test]
    fn an_op_that_does_not_fit_fails_the_object() {
        let up = "  - op: replace\n    path: /spec/office\n    value: x\n";
        let Err(StepError::Object(failure)) = run(up, &employee()) else {
            panic!("fails")
        };
        assert_eq!(failure.path, ".spec.office");
        assert!(
            failure.reason.ends_with("(migrations/1_x.yaml:4:5)"),
            "{}",
            failure.reason
        );
    }

    #[test]
    fn a_program_that_fails_or_renames_the_object_fails_that_object() {
        let up = "  command: [sed, 's/\"alice\"/\"bob\"/']\n";
        let Err(StepError::Object(failure)) = run(up, &employee()) else {
            panic!("fails the object")
        };
        assert_eq!(failure.path, ".");
        assert_eq!(
            failure.reason,
            "the step changed metadata.name; a step may change spec and status only (migrations/1_x.yaml:4:12)"
        );
        let up = "  command: [sh, -c, 'echo oops >&2; exit 4']\n";
        let Err(StepError::Object(failure)) = run(up, &employee()) else {
            panic!("fails the object")
        };
        assert_eq!(
            failure.reason,
            "`sh` exited with status 4 (stderr: oops) (migrations/1_x.yaml:4:12)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_program_that_cannot_start_breaks_the_step() {
        use std::os::unix::fs::PermissionsExt;
        // Executable, but neither a binary nor a script: exec refuses it for every object.
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("migrate-it");
        std::fs::write(&program, [0u8, 1, 2, 3]).unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let up = format!("  command: [{}]\n", program.display());
        let Err(StepError::Broken(err)) = run(&up, &employee()) else {
            panic!("refused")
        };
        let err = err.to_string();
        assert!(
            err.starts_with("migrations/1_x.yaml:4:12: employees.role.orgchart.org ns-a/alice: could not start `"),
            "{err}"
        );
    }

    #[test]
    fn identity_fields() {
        let a = employee();
        let mut b = a.clone();
        assert_eq!(identity_change(&a, &b), None);
        b["metadata"]["labels"] = json!({"x": "y"});
        assert_eq!(identity_change(&a, &b), None);
        b["metadata"]["namespace"] = json!("other");
        assert_eq!(identity_change(&a, &b), Some("metadata.namespace"));
        b["kind"] = json!("Manager");
        assert_eq!(identity_change(&a, &b), Some("kind"));
    }

    #[test]
    fn pointers_print_as_field_paths() {
        assert_eq!(dotted(""), ".");
        assert_eq!(dotted("/spec/location"), ".spec.location");
        assert_eq!(dotted("/spec/ports/0/name"), ".spec.ports[0].name");
        assert_eq!(
            dotted("/metadata/labels/app.kubernetes.io~1name"),
            ".metadata.labels[\"app.kubernetes.io/name\"]"
        );
    }
}
