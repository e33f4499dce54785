//! nexus: keeps Kubernetes CustomResourceDefinitions from breaking the people who depend on them.
//!
//! Data flows one way: sources are loaded into [`crd::CrdSet`]s, [`compare`] turns two sets into
//! [`report::Change`]s, [`config`] adjusts severities and drops ignored changes, and a renderer in
//! [`report`] prints the result. Only the ends touch the world.
//!
//! This is the CLI crate: [`cli`] (clap), [`commands`] (one module per subcommand: parse, call,
//! print) and [`print`] (the one way to stdout); it is the only crate that prints or exits. The
//! pipeline lives in the library crates under `crates/` (ARCHITECTURE.md has the graph); their
//! modules are re-exported here so `nexus::source`, `nexus::compare`, … name them as before.

pub mod cli;
pub mod color;
pub mod commands;
pub mod print;
pub mod progress;
pub mod version;

pub use nexus_cluster::{cluster, migrate};
pub use nexus_compare::{compare, config, gate, report, rules};
pub use nexus_core::{crd, discard, error, input, output, source};
pub use nexus_datamodel::{datamodel, generate};
pub use nexus_schema::validate;
