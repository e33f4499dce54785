//! `nexus datamodel diff OLD NEW`: load two sets, run the gate, print the report.

use crate::cli::{ClusterArgs, DiffArgs};
use crate::config::Config;
use crate::crd::CrdSet;
use crate::error::Result;
use crate::gate;
use crate::print::print_report;
use crate::report;
use crate::source::{self, SourceSpec};

pub fn run(args: &DiffArgs) -> Result<i32> {
    if args.old == "-" && args.new == "-" {
        return Err(crate::error::Error::input(
            "both sides read standard input (-); give one side as a file, directory or git:REV:PATH",
        ));
    }
    let config = Config::discover(args.report.config.as_deref())?;
    let old = load(&args.old, &args.cluster)?;
    let threshold = args.report.fail_on.threshold();
    let report = match SourceSpec::parse(&args.new) {
        SourceSpec::Cluster { .. } => {
            let new = load(&args.new, &args.cluster)?;
            gate::check(&old, &new, &config, threshold, args.force)
        }
        spec => gate::check_file_by_file(&old, &spec, &args.new, &config, threshold, args.force)?,
    };
    print_report(&report, &args.report, report::text::Mode::Diff)?;
    Ok(report.exit_code())
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
