//! nexus-datamodel: Go datamodel sources to a model graph ([`datamodel`]: discovery, tree-sitter
//! parsing, type resolution across packages, markers, checks) and the model graph to CRD values
//! and their YAML ([`generate`]).
//!
//! May depend on: nexus-core. Never prints, never exits.

pub mod datamodel;
pub mod generate;

// The lower crate's modules this crate uses, named once here so that paths inside read
// `crate::error::…` as they did in the single crate.
use nexus_core::{error, input, output, source};
