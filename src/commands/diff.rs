//! `nexus datamodel diff OLD NEW`: load two sets, run the gate, print the report.
//!
//! A whole-cluster side (`cluster:`) holds every CRD the cluster serves, most of them unrelated
//! to the other side; compared as they are, each would be reported as removed (or added). Such a
//! side is narrowed to the CRD names of the other side, and the report says so.

use crate::cli::{ClusterArgs, DiffArgs};
use crate::config::Config;
use crate::crd::CrdSet;
use crate::error::Result;
use crate::gate;
use crate::print::print_report;
use crate::report::{self, Scope};
use crate::source::{self, SourceSpec};

pub fn run(args: &DiffArgs) -> Result<i32> {
    if args.old == "-" && args.new == "-" {
        return Err(crate::error::Error::input(
            "both sides read standard input (-); give one side as a file, directory or git:REV:PATH",
        ));
    }
    let config = Config::discover(args.report.config.as_deref())?;
    let threshold = args.report.fail_on.threshold();
    let (old_spec, new_spec) = (SourceSpec::parse(&args.old), SourceSpec::parse(&args.new));
    let whole = |spec: &SourceSpec| matches!(spec, SourceSpec::Cluster { name: None });
    let report = match (whole(&old_spec), whole(&new_spec)) {
        // Both sides the same cluster, or neither a whole cluster: nothing to narrow.
        (true, true) | (false, false) => match (&old_spec, &new_spec) {
            // Two file sources: neither set is held whole.
            (SourceSpec::Path(_) | SourceSpec::Git { .. } | SourceSpec::Stdin, _)
                if !matches!(new_spec, SourceSpec::Cluster { .. }) =>
            {
                gate::check_paired(
                    &old_spec, &args.old, &new_spec, &args.new, &config, threshold, args.force,
                )?
            }
            _ => {
                let old = load(&args.old, &args.cluster)?;
                match new_spec {
                    SourceSpec::Cluster { .. } => {
                        let new = load(&args.new, &args.cluster)?;
                        gate::check(&old, &new, &config, threshold, args.force)
                    }
                    spec => gate::check_file_by_file(
                        &old, &spec, &args.new, &config, threshold, args.force,
                    )?,
                }
            }
        },
        (true, false) => {
            let new = load(&args.new, &args.cluster)?;
            let mut old = load(&args.old, &args.cluster)?;
            let scope = narrow(&mut old, &new, "old", &args.old);
            let mut report = gate::check(&old, &new, &config, threshold, args.force);
            report.scope = Some(scope);
            report
        }
        (false, true) => {
            let old = load(&args.old, &args.cluster)?;
            let mut new = load(&args.new, &args.cluster)?;
            let scope = narrow(&mut new, &old, "new", &args.new);
            let mut report = gate::check(&old, &new, &config, threshold, args.force);
            report.scope = Some(scope);
            report
        }
    };
    print_report(&report, &args.report, report::text::Mode::Diff)?;
    let code = report.exit_code();
    crate::discard::drop_in_background(report);
    Ok(code)
}

/// Narrows the whole-cluster set `cluster` to the CRD names of `other`.
fn narrow(cluster: &mut CrdSet, other: &CrdSet, side: &'static str, source: &str) -> Scope {
    let skipped = cluster.retain_names(other.crds.keys());
    Scope {
        side,
        source: source.to_string(),
        to: format!("the CRD names of {}", other.label),
        compared: cluster.crds.len(),
        skipped,
    }
}

/// Loads one source; `cluster:` sources use the `--kubeconfig` / `--context` flags.
fn load(spec: &str, cluster: &ClusterArgs) -> Result<CrdSet> {
    match SourceSpec::parse(spec) {
        SourceSpec::Cluster { name } => crate::cluster::load_cluster_from(
            name.as_deref(),
            &crate::cluster::ClusterTarget::from(cluster),
        ),
        parsed => source::load(&parsed, spec),
    }
}
