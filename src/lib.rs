//! nexus: keeps Kubernetes CustomResourceDefinitions from breaking the people who depend on them.
//!
//! Data flows one way: sources are loaded into [`crd::CrdSet`]s, [`compare`] turns two sets into
//! [`report::Change`]s, [`config`] adjusts severities and drops ignored changes, and a renderer in
//! [`report`] prints the result. Only the ends touch the world.

pub mod cli;
pub mod cluster;
pub mod color;
pub mod commands;
pub mod compare;
pub mod config;
pub mod crd;
pub mod datamodel;
pub mod error;
pub mod gate;
pub mod generate;
pub mod input;
pub mod migrate;
pub mod output;
pub mod print;
pub mod progress;
pub mod report;
pub mod rules;
pub mod source;
pub mod version;
pub use nexus_schema::validate;
