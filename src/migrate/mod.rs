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
//!   [`crate::validate`] plus the CEL rules of [`cel`];
//! - [`plan`] applies pending steps in memory to the objects read from an [`store::ObjectStore`]
//!   and counts what would change, stay, be skipped or fail; [`results`] renders the summary;
//! - [`create`] writes the next step file, filled from the last build's report ([`last_build`]);
//! - [`objects`] reads objects from YAML files (for `plan --objects`), [`utc`] formats times.
//!
//! Nothing here talks to a cluster: the cluster is one more [`store::ObjectStore`].

pub mod apply;
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
pub const MARKER_ANNOTATION: &str = "nexus.vmware.com/migration";
