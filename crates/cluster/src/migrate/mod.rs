//! Migrations of stored objects across a forced breaking change (`MIGRATE.md`).
//!
//! A migration is a directory of versioned step files (`migrations/<version>_<slug>.yaml`), each
//! a JSON Patch or a per-object program. The pieces, one job each:
//!
//! - [`file`] reads and checks step files (line and column on every error), [`checksum`] pins
//!   their bytes;
//! - [`patch`] applies a step's JSON Patch with the `ifMissing`/`ifPresent` extensions,
//!   [`program`] runs a step's program on one object, [`step`] applies either and guards the
//!   object's identity;
//! - [`check`] validates a migrated object against the new CRD: the structural validator of
//!   [`nexus_schema::object`] (the schema, the CEL rules of [`cel`], ratcheting);
//! - [`plan`] applies pending steps in memory to the objects read from an [`store::ObjectStore`]
//!   and counts what would change, stay, be skipped or fail; [`results`] renders the summary;
//! - [`backup`] writes the copy of every object read before the first write;
//! - [`create`] writes the next step file, filled from the last build's report ([`last_build`]);
//! - [`objects`] reads objects from YAML files (for `plan --objects`), [`utc`] formats times.
//!
//! Nothing here talks to a cluster: the cluster is one more [`store::ObjectStore`].

pub mod apply;
pub mod backup;
pub mod cel;
pub mod check;
pub mod checksum;
pub mod create;
pub mod down;
pub mod file;
pub mod last_build;
pub mod objects;
pub mod patch;
pub mod plan;
pub mod program;
pub mod results;
pub mod state;
pub mod step;
pub mod store;
pub mod utc;

/// The directory of step files, relative to the datamodel root.
pub const MIGRATIONS_DIR: &str = "migrations";

/// The annotation that marks the last step that rewrote an object, so that a run that died
/// half-way resumes without rewriting what is done.
use serde_json::Value;

pub const MARKER_ANNOTATION: &str = "nexus.vmware.com/migration";

/// The steps that really changed an object, comma-separated versions. The marker says how far an
/// object has come (resume); this says which steps' `down` may touch it: a step whose `up` left an
/// object as it was (an `add … ifMissing` where the value existed) must not have its `down` run
/// on it, or `down` would remove the user's own value.
pub const CHANGED_ANNOTATION: &str = "nexus.vmware.com/migration-changed";

/// The versions in an object's [`CHANGED_ANNOTATION`]; `None` when it has none.
pub fn changed_steps(object: &Value) -> Option<Vec<u64>> {
    let text = object
        .pointer("/metadata/annotations")?
        .get(CHANGED_ANNOTATION)?
        .as_str()?;
    Some(
        text.split(',')
            .filter_map(|v| v.trim().parse().ok())
            .collect(),
    )
}

/// Writes [`CHANGED_ANNOTATION`] (sorted, deduplicated), or removes it when `versions` is empty.
pub fn set_changed_steps(object: &mut Value, versions: &[u64]) {
    let mut versions = versions.to_vec();
    versions.sort_unstable();
    versions.dedup();
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if versions.is_empty() {
        if let Some(a) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            a.remove(CHANGED_ANNOTATION);
        }
        return;
    }
    let annotations = metadata
        .entry("annotations")
        .or_insert_with(|| Value::Object(serde_json::Map::new()));
    if let Some(a) = annotations.as_object_mut() {
        let text: Vec<String> = versions.iter().map(u64::to_string).collect();
        a.insert(
            CHANGED_ANNOTATION.to_string(),
            Value::String(text.join(",")),
        );
    }
}
