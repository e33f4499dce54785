//! `nexus datamodel diff OLD NEW`: load two sets, compare, apply the config, print the report.

use crate::cli::{ClusterArgs, DiffArgs, FailOnArg, Format, ReportArgs};
use crate::compare;
use crate::config::Config;
use crate::crd::{CrdSet, Origin};
use crate::error::Result;
use crate::report::{self, Change, FailOn, Report, SideInfo};
use crate::source::{self, SourceSpec};
use std::collections::BTreeMap;
use std::io::Write;

pub fn run(args: &DiffArgs) -> Result<i32> {
    if args.old == "-" && args.new == "-" {
        return Err(crate::error::Error::input(
            "both sides read standard input (-); give one side as a file, directory or git:REV:PATH",
        ));
    }
    let config = Config::discover(args.report.config.as_deref())?;
    let old = load(&args.old, &args.cluster)?;
    let report = match SourceSpec::parse(&args.new) {
        SourceSpec::Cluster { .. } => {
            let new = load(&args.new, &args.cluster)?;
            check(&old, &new, &config, &args.report, args.force)
        }
        spec => check_file_by_file(&old, &spec, &args.new, &config, &args.report, args.force)?,
    };
    print_report(&report, &args.report, report::text::Mode::Diff)?;
    Ok(report.exit_code())
}

/// [`check`] with the new side compared file by file as it is parsed: the old set is held whole,
/// each new file only while its CRDs are compared. Peak memory is the old set plus the files in
/// flight, not both sets, and parsing and comparing overlap. The result is the same report.
pub fn check_file_by_file(
    old: &CrdSet,
    new: &SourceSpec,
    new_label: &str,
    config: &Config,
    args: &ReportArgs,
    forced: bool,
) -> Result<Report> {
    struct FileResult {
        crds: Vec<(String, Origin)>,
        skipped: usize,
        changes: Vec<Change>,
    }
    let opts = config.compare_options();
    let files = source::visit_files(new, new_label, |set| {
        let mut changes = Vec::new();
        let crds = set
            .crds
            .into_values()
            .map(|crd| {
                let before = old.crds.get(&crd.name).map(|c| &c.doc);
                changes.extend(compare::crd::compare_crd(
                    &crd.name,
                    before,
                    Some(&crd.doc),
                    &opts,
                ));
                (crd.name, crd.origin)
            })
            .collect();
        Ok(FileResult {
            crds,
            skipped: set.skipped_documents,
            changes,
        })
    })?;

    let mut origins: BTreeMap<String, Origin> = BTreeMap::new();
    let mut changes = Vec::new();
    let mut skipped_documents = 0;
    for file in files {
        skipped_documents += file.skipped;
        changes.extend(file.changes);
        for (name, origin) in file.crds {
            if let Some(first) = origins.get(&name) {
                return Err(source::duplicate_error(&name, first, &origin));
            }
            origins.insert(name, origin);
        }
    }
    let new_side = SideInfo {
        label: new_label.to_string(),
        crds: origins.len(),
        skipped_documents,
    };
    for (name, crd) in &old.crds {
        if !origins.contains_key(name) {
            changes.extend(compare::crd::compare_crd(name, Some(&crd.doc), None, &opts));
        }
    }
    let names: Vec<String> = origins.keys().cloned().collect();
    let mut all_origins = origin_map(old);
    all_origins.extend(origins);
    Ok(finish(
        side(old),
        new_side,
        names.into_iter().chain(old.crds.keys().cloned()),
        all_origins,
        changes,
        config,
        args,
        forced,
    ))
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
    let names = old.crds.keys().chain(new.crds.keys()).cloned();
    let mut origins = origin_map(old);
    origins.extend(origin_map(new));
    finish(
        side(old),
        side(new),
        names,
        origins,
        changes,
        config,
        args,
        forced,
    )
}

/// Where each CRD of a set is defined.
fn origin_map(set: &CrdSet) -> BTreeMap<String, Origin> {
    set.crds
        .iter()
        .map(|(name, crd)| (name.clone(), crd.origin.clone()))
        .collect()
}

/// Applies the config and the flags to the findings and builds the report.
#[allow(clippy::too_many_arguments)] // each is one plain input of the report
fn finish(
    old: SideInfo,
    new: SideInfo,
    names: impl Iterator<Item = String>,
    files: BTreeMap<String, Origin>,
    changes: Vec<Change>,
    config: &Config,
    args: &ReportArgs,
    forced: bool,
) -> Report {
    let (changes, ignored) = config.apply(changes);
    let mut report = Report::new(old, new, changes, 0).with_crd_names(names);
    report.files = files;
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
        Format::Json => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let written = report::json::write(report, &mut stdout).and_then(|()| stdout.flush());
            return stdout_result(written);
        }
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
    stdout_result(
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush()),
    )
}

fn stdout_result(written: std::io::Result<()>) -> Result<()> {
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(crate::error::Error::input(
            format!("cannot write the report to standard output: {e}"),
        )),
        _ => Ok(()),
    }
}
