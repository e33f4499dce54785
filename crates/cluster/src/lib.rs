//! nexus-cluster: the cluster end. [`cluster`] is kube-rs access (kubeconfig, context, in-cluster;
//! live CRDs as a `CrdSet` for `cluster:` sources; dry run, server-side apply, waiting for
//! Established, the install plan; every request under a deadline, with retries and a size cap;
//! redaction of secrets). [`migrate`] is migrations of stored objects (steps, patches, programs,
//! CEL rules, plan, apply, down, the state ConfigMap); its `ObjectStore` trait is the seam to the
//! cluster (`cluster::objects::KubeStore`), so `migrate` never imports `cluster`.
//!
//! May depend on: nexus-core, nexus-schema, nexus-compare (the report and rule types a migration
//! records). Never prints, never exits.

pub mod cluster;
pub mod migrate;
pub mod progress;

// The lower crates' modules this crate uses, named once here so that paths inside read
// `crate::crd::…` as they did in the single crate.
#[cfg(test)]
use nexus_compare::rules;
use nexus_compare::{compare, report};
use nexus_core::{crd, error, input, output, source};
