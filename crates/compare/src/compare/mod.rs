//! The checker: compares two CRD sets and returns every change, each claimed by exactly one rule.
//!
//! Invariants (each has its own tests):
//! - nothing is silently ignored: a difference that no rule judged is `unhandled-change`;
//! - one edit, one finding: a removed subtree is one `field-removed`, not a cascade below it;
//! - order does not matter where Kubernetes treats a list as a set (`required`, `enum`, versions,
//!   properties, short names): reordering gives no finding.

pub mod crd;
pub mod invalid;
pub mod nexus;
pub use nexus_schema::path;
pub mod schema;

use crate::crd::CrdSet;
use crate::report::Change;
use rayon::prelude::*;
use std::collections::BTreeSet;

/// Knobs of the checker that the config file can set.
#[derive(Debug, Clone)]
pub struct Options {
    /// Skip `crd-served-versions-incompatible` when the new CRD converts by webhook (the webhook
    /// is then responsible for translating between versions).
    pub served_versions_skip_webhook: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            served_versions_skip_webhook: true,
        }
    }
}

/// Compares two sets, CRDs matched by `metadata.name`, in parallel across CRDs.
pub fn compare_sets(old: &CrdSet, new: &CrdSet, opts: &Options) -> Vec<Change> {
    let names: BTreeSet<&String> = old.crds.keys().chain(new.crds.keys()).collect();
    let names: Vec<&String> = names.into_iter().collect();
    names
        .par_iter()
        .flat_map_iter(|name| {
            crd::compare_crd(
                name,
                old.crds.get(*name).map(|c| &c.doc),
                new.crds.get(*name).map(|c| &c.doc),
                opts,
            )
        })
        .collect()
}
