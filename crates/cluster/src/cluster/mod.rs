//! Talking to a Kubernetes cluster: connecting the way kubectl does ([`connect`]), reading live
//! CRDs ([`load_cluster`] for `cluster:` sources), and the requests and decisions of `nexus
//! datamodel install` ([`api`], [`plan`]).
//!
//! Everything that touches the network is async; the CLI builds a current-thread runtime per
//! command ([`runtime`]). Do not call the blocking helpers from inside a tokio runtime.

pub mod api;
pub mod call;
mod connect;
pub mod deadline;
pub mod duration;
pub mod errors;
mod exec;
pub mod notice;
pub mod objects;
pub mod plan;
pub mod secrets;

pub use connect::{ClusterTarget, Connection, connect};
pub use duration::{format_duration, parse_duration};

use crate::crd::{Crd, CrdSet, Origin};
use crate::error::{Error, Result};
use serde_json::Value;
use std::path::Path;

/// A runtime for one command's cluster work.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Error::Cluster(format!(
                "cannot start the runtime for cluster requests: {e}"
            ))
        })
}

/// A live CRD as the checker should see it: `managedFields` is bookkeeping, not schema.
pub fn without_bookkeeping(mut doc: Value) -> Value {
    if let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    doc
}

/// Adds live CRDs to a set, origin `cluster`.
pub fn set_of(label: &str, docs: Vec<Value>) -> CrdSet {
    let mut set = CrdSet::new(label);
    for doc in docs {
        let Some(name) = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            continue;
        };
        set.crds.insert(
            name.clone(),
            Crd {
                name,
                doc: without_bookkeeping(doc),
                origin: Origin {
                    file: "cluster".to_string(),
                    line: None,
                },
            },
        );
    }
    set
}

/// [`load_cluster_from`] the kubeconfig and context given (or the current one), with the
/// default deadline.
pub fn load_cluster(
    name: Option<&str>,
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<CrdSet> {
    let target = ClusterTarget {
        kubeconfig: kubeconfig.map(Path::to_path_buf),
        context: context.map(str::to_string),
        ..ClusterTarget::default()
    };
    load_cluster_from(name, &target)
}

/// The `cluster:` source: every CRD of the cluster (`name` `None`) or one (`cluster:NAME`, an
/// error if it does not exist).
pub fn load_cluster_from(name: Option<&str>, target: &ClusterTarget) -> Result<CrdSet> {
    let label = match name {
        Some(name) => format!("cluster:{name}"),
        None => "cluster:".to_string(),
    };
    runtime()?.block_on(async {
        let conn = connect(target).await?;
        let docs = match name {
            Some(name) => match api::get_crd(&conn, name).await? {
                Some(doc) => vec![doc],
                None => {
                    return Err(Error::Cluster(format!(
                        "CRD {name:?} does not exist in {}; list the CRDs with `kubectl get crd`",
                        conn.describe()
                    )));
                }
            },
            None => api::list_crds(&conn).await?,
        };
        Ok(set_of(&label, docs))
    })
}
