//! nexus-compare: the checker. [`compare`] turns two CRD sets into [`report::Change`]s, [`rules`]
//! is the rule table (id, default severity, family, one line), [`config`] reads
//! `.nexus-compat.yaml` and adjusts severities and ignores, [`report`] holds the report and one
//! renderer per format (rendering to strings and writers, never to stdout), and [`gate`] is the
//! compatibility gate that `diff`, `build` and `install` share.
//!
//! May depend on: nexus-core, nexus-schema. Never prints, never exits.

pub mod compare;
pub mod config;
pub mod gate;
pub mod report;
pub mod rules;

// The lower crates' modules this crate uses, named once here so that paths inside read
// `crate::crd::…` as they did in the single crate.
use nexus_core::{crd, error, input, source};
use nexus_schema::validate;
