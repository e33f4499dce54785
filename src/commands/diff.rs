//! `nexus datamodel diff OLD NEW`: load two sets, compare, apply the config, print the report.

use crate::cli::{ClusterArgs, DiffArgs, FailOnArg, Format, ReportArgs};
use crate::compare;
use crate::config::Config;
use crate::crd::CrdSet;
use crate::error::Result;
use crate::report::{self, FailOn, Report, SideInfo};
use crate::source::{self, SourceSpec};
use std::io::Write;

pub fn run(args: &DiffArgs) -> Result<i32> {
    if args.old == "-" && args.new == "-" {
        return Err(crate::error::Error::input(
            "both sides read standard input (-); give one side as a file, directory or git:REV:PATH",
        ));
    }
    let config = Config::discover(args.report.config.as_deref())?;
    let old = load(&args.old, &args.cluster)?;
    let new = load(&args.new, &args.cluster)?;
    let report = check(&old, &new, &config, &args.report, args.force);
    print_report(&report, &args.report, report::text::Mode::Diff)?;
    Ok(report.exit_code())
}

/// Loads one source; `cluster:` sources use the `--kubeconfig` / `--context` flags.
fn load(spec: &str, cluster: &ClusterArgs) -> Result<CrdSet> {
    match SourceSpec::parse(spec) {
        SourceSpec::Cluster { name } => crate::cluster::load_cluster(
            name.as_deref(),
            cluster.kubeconfig.as_deref(),
            cluster.context.as_deref(),
        ),
        parsed => source::load(&parsed, spec),
    }
}

/// Compares two loaded sets and builds the report: the one checker that `diff`, `build` and
/// `install` share.
pub fn check(
    old: &CrdSet,
    new: &CrdSet,
    config: &Config,
    args: &ReportArgs,
    forced: bool,
) -> Report {
    let changes = compare::compare_sets(old, new, &config.compare_options());
    let (changes, ignored) = config.apply(changes);
    let names = old.crds.keys().chain(new.crds.keys()).cloned();
    let mut report = Report::new(side(old), side(new), changes, 0).with_crd_names(names);
    report.files = old
        .crds
        .iter()
        .chain(new.crds.iter())
        .map(|(name, crd)| (name.clone(), crd.origin.clone()))
        .collect();
    report.ignored = ignored;
    report.fail_on = fail_on(args.fail_on);
    report.forced = forced;
    report
}

fn side(set: &CrdSet) -> SideInfo {
    SideInfo {
        label: set.label.clone(),
        crds: set.crds.len(),
        skipped_documents: set.skipped_documents,
    }
}

fn fail_on(arg: FailOnArg) -> FailOn {
    match arg {
        FailOnArg::Breaking => FailOn::Breaking,
        FailOnArg::Warning => FailOn::Warning,
        FailOnArg::Never => FailOn::Never,
    }
}

/// Renders the report in the chosen format to stdout.
pub fn print_report(report: &Report, args: &ReportArgs, mode: report::text::Mode) -> Result<()> {
    let out = match args.format {
        Format::Text => report::text::render(
            report,
            &report::text::TextOptions {
                color: report::text::color_enabled(),
                verbose: args.verbose,
                mode,
            },
        ),
        Format::Json => report::json::render(report),
        Format::Markdown => report::markdown::render(report),
        Format::Github => report::github::render(report),
        Format::Junit => report::junit::render(report),
    };
    write_stdout(&out)
}

/// Writes to stdout. A closed pipe (`| head`) is not worth an error (the exit code still tells the
/// verdict), but any other failure is: CI must not read a report that was never written as a pass.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(crate::error::Error::input(
            format!("cannot write the report to standard output: {e}"),
        )),
        _ => Ok(()),
    }
}
