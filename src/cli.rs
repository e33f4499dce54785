//! The command line (clap definitions only).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

mod examples;

#[derive(Debug, Parser)]
#[command(
    name = "nexus",
    version = crate::version::LONG,
    about = "Keeps Kubernetes CRDs from breaking the people who depend on them",
    after_help = examples::NEXUS
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Colour in text output: auto (only on a terminal, never with NO_COLOR set), always, never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// The largest file or standard input nexus reads (bytes, or with a unit: 512M, 4GiB).
    #[arg(long, global = true, value_name = "SIZE", env = "NEXUS_MAX_INPUT_SIZE", default_value = "1GiB", value_parser = crate::input::parse_size)]
    pub max_input_size: u64,
}

// Parsed once per run: the size of the largest variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build, compare and install datamodels and their CRDs.
    #[command(subcommand, after_help = examples::DATAMODEL)]
    Datamodel(Datamodel),
    /// Print the version and the git commit nexus was built from.
    #[command(after_help = examples::VERSION)]
    Version(VersionArgs),
    /// Print a shell completion script (bash, zsh or fish) to stdout.
    #[command(after_help = examples::COMPLETION)]
    Completion(CompletionArgs),
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = ResultsFormat::Text)]
    pub format: ResultsFormat,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Shells of `nexus completion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = ResultsFormat::Text)]
    pub format: ResultsFormat,
}

#[derive(Debug, Subcommand)]
pub enum Datamodel {
    /// Create a datamodel workspace: nexus.yaml, go.mod and root.go with one root node.
    #[command(after_help = examples::INIT)]
    Init(InitArgs),
    /// Compare two CRD sets and classify every change.
    #[command(after_help = examples::DIFF)]
    Diff(DiffArgs),
    /// Turn the datamodel into CRDs, check them against the previous CRDs, write them.
    #[command(after_help = examples::BUILD)]
    Build(BuildArgs),
    /// Print the rule catalogue: id, default severity, description.
    #[command(after_help = examples::RULES)]
    Rules(RulesArgs),
    /// Apply the built CRDs to the cluster, after checking the upgrade against the CRDs there.
    #[command(after_help = examples::INSTALL)]
    Install(InstallArgs),
    /// Versioned migrations of stored objects across a forced breaking change.
    #[command(subcommand, after_help = examples::MIGRATE)]
    Migrate(Migrate),
}

/// Report formats of CLI.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Github,
    Junit,
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Breaking,
    Warning,
    Never,
}

/// Flags shared by every command that prints a report.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Report format (-o is short for --format).
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOnArg::Breaking)]
    pub fail_on: FailOnArg,
    /// Severity overrides and ignores (default: .nexus-compat.yaml if present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Also list compatible changes in text output.
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old CRD set: a file, a directory, git:REV:PATH, - (stdin), `cluster:` (the cluster's
    /// CRDs whose names are on the other side) or `cluster:NAME` (one CRD, by its name).
    pub old: String,
    /// The new CRD set, in the same forms.
    pub new: String,
    /// The cluster of `cluster:` sources.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Report, but exit 0 (also --force=true|false; -f is --force, as in the original nexus).
    #[arg(short, long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = clap::builder::BoolishValueParser::new())]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Datamodel name (default: datamodelName from nexus.yaml).
    #[arg(short, long)]
    pub name: Option<String>,
    /// The datamodel's root (holds nexus.yaml and go.mod).
    #[arg(long, default_value = ".")]
    pub datamodel: PathBuf,
    /// Where generated CRDs go, one file per CRD (relative to the datamodel root).
    #[arg(long, default_value = "build/crds")]
    pub output: PathBuf,
    /// Write the new CRDs even if the change is breaking (also --force=true|false; -f is --force,
    /// as in the original nexus).
    #[arg(short, long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = clap::builder::BoolishValueParser::new())]
    pub force: bool,
    /// Directory holding the previous CRDs (default: build/crds, relative to the datamodel root).
    #[arg(long)]
    pub prev_spec_dir: Option<PathBuf>,
    /// Read --prev-spec-dir from this git revision (branch, remote branch, tag, commit), without a checkout.
    #[arg(long)]
    pub prev_spec_branch: Option<String>,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Which cluster: the kubeconfig and context, and how long the command may take with it.
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod's service
    /// account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Deadline of the command's cluster work, from its start (30s, 2m, 1m30s, 500ms): retries of
    /// busy or unreachable servers and waiting for CRDs to become Established stop there.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::cluster::parse_duration)]
    pub timeout: Duration,
}

// Here rather than in nexus-cluster: the library crates know nothing of the command line.
impl From<&ClusterArgs> for crate::cluster::ClusterTarget {
    fn from(args: &ClusterArgs) -> crate::cluster::ClusterTarget {
        crate::cluster::ClusterTarget {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            timeout: args.timeout,
        }
    }
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Directory of the built CRDs.
    #[arg(long, value_name = "DIR", default_value = "build/crds")]
    pub crds: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Install even if the change is breaking (also --force=true|false; -f is --force, as in the
    /// original nexus). Never drops a stored version.
    #[arg(short, long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = clap::builder::BoolishValueParser::new())]
    pub force: bool,
    /// Show what would change and touch nothing (also --dry-run=true|false).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = clap::builder::BoolishValueParser::new())]
    pub dry_run: bool,
    /// Delete CRDs of the datamodel's groups that are no longer in it, unless objects of them
    /// exist (also --prune=true|false).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", value_parser = clap::builder::BoolishValueParser::new())]
    pub prune: bool,
    /// Leave pending migration steps pending (they run with `migrate apply` later).
    #[arg(long)]
    pub skip_migrations: bool,
    #[command(flatten)]
    pub state: StateArgs,
    /// Where to back up the objects that pending steps rewrite (default:
    /// build/migration-backup/<UTC time>/).
    #[arg(long, value_name = "DIR")]
    pub backup: Option<PathBuf>,
    /// How often to re-read, re-migrate and retry an object that changed since it was read.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Datamodel name: the Go module path in go.mod and `datamodelName` in nexus.yaml.
    #[arg(long)]
    pub name: String,
    /// API group suffix: package p of the datamodel gets the group p.GROUP.
    #[arg(long)]
    pub group: String,
    /// Directory for the workspace (created when missing; must not hold a datamodel yet).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// `nexus datamodel migrate ...` (MIGRATE.md).
#[derive(Debug, Subcommand)]
pub enum Migrate {
    /// Write the next step file, filled from the last build's breaking changes where it can.
    #[command(after_help = examples::MIGRATE_CREATE)]
    Create(MigrateCreateArgs),
    /// Apply the pending steps in memory to stored objects and validate every result against
    /// the new CRDs; writes nothing (exit 1 if any object would fail).
    #[command(after_help = examples::MIGRATE_PLAN)]
    Plan(MigratePlanArgs),
    /// Plan against the cluster, back up the objects read, write the migrated objects and
    /// record the applied steps (restores what it wrote if a write fails).
    #[command(after_help = examples::MIGRATE_APPLY)]
    Apply(MigrateApplyArgs),
    /// Every step on disk and in the cluster: applied (when, how many objects), pending, or
    /// applied but missing on disk.
    #[command(after_help = examples::MIGRATE_STATUS)]
    Status(MigrateStatusArgs),
    /// Put back the objects of a backup directory (written by `migrate apply` or `install`).
    #[command(after_help = examples::MIGRATE_RESTORE)]
    Restore(MigrateRestoreArgs),
    /// Undo applied steps with their `down` patches, newest first (default: the last one).
    #[command(after_help = examples::MIGRATE_DOWN)]
    Down(MigrateDownArgs),
}

#[derive(Debug, Args)]
pub struct MigrateDownArgs {
    /// The datamodel's root (holds nexus.yaml and migrations/).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub datamodel: PathBuf,
    /// The CRDs serving the objects now (relative to the datamodel root).
    #[arg(long, value_name = "DIR", default_value = "build/crds")]
    pub crds: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// Undo every applied step after this version (0: all of them).
    #[arg(long, value_name = "VERSION", conflicts_with = "steps")]
    pub to: Option<u64>,
    /// Undo the last N applied steps.
    #[arg(long, value_name = "N")]
    pub steps: Option<usize>,
    /// Where to back up the objects read (default: build/migration-backup/<UTC time>/).
    #[arg(long, value_name = "DIR")]
    pub backup: Option<PathBuf>,
    /// How often to re-read and retry an object that changed since it was read.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
    /// Results format (-o is short for --format).
    #[arg(short = 'o', long, value_enum, default_value_t = ResultsFormat::Text)]
    pub format: ResultsFormat,
}

/// Where the cluster records applied steps.
#[derive(Debug, Args)]
pub struct StateArgs {
    /// Namespace of the ConfigMap nexus-migrations-<datamodelName> that records applied steps.
    #[arg(long, value_name = "NAMESPACE", default_value = "default")]
    pub state_namespace: String,
}

#[derive(Debug, Args)]
pub struct MigrateApplyArgs {
    /// The datamodel's root (holds nexus.yaml and migrations/).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub datamodel: PathBuf,
    /// The CRDs the objects must fit (relative to the datamodel root).
    #[arg(long, value_name = "DIR", default_value = "build/crds")]
    pub crds: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// Apply the steps up to this version (inclusive).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<u64>,
    /// Where to back up the objects read, one YAML file per object (default:
    /// build/migration-backup/<UTC time>/ under the datamodel root).
    #[arg(long, value_name = "DIR")]
    pub backup: Option<PathBuf>,
    /// How often to re-read, re-migrate and retry an object that changed since it was read.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
    /// Results format (-o is short for --format).
    #[arg(short = 'o', long, value_enum, default_value_t = ResultsFormat::Text)]
    pub format: ResultsFormat,
}

#[derive(Debug, Args)]
pub struct MigrateStatusArgs {
    /// The datamodel's root (holds nexus.yaml and migrations/).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub datamodel: PathBuf,
    /// Output format (-o is short for --format).
    #[arg(short = 'o', long, value_enum, default_value_t = ResultsFormat::Text)]
    pub format: ResultsFormat,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Args)]
pub struct MigrateRestoreArgs {
    /// The backup directory.
    pub dir: PathBuf,
    /// The CRDs of the backed-up objects (relative to the datamodel root), to know where each
    /// object is served.
    #[arg(long, value_name = "DIR", default_value = "build/crds")]
    pub crds: PathBuf,
    /// The datamodel's root.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub datamodel: PathBuf,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Output formats of migration results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResultsFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct MigrateCreateArgs {
    /// Names the step: the file is migrations/<UTC YYYYMMDDhhmmss>_<SLUG>.yaml.
    pub slug: String,
    /// The CRD whose stored objects the step rewrites (default: the one CRD in which the last
    /// build found breaking changes).
    #[arg(long, value_name = "NAME")]
    pub crd: Option<String>,
    /// The datamodel's root (holds nexus.yaml and migrations/).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub datamodel: PathBuf,
}

#[derive(Debug, Args)]
pub struct MigratePlanArgs {
    /// The datamodel's root (holds nexus.yaml and migrations/).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub datamodel: PathBuf,
    /// Read the stored objects from the YAML files under DIR (or one file) instead of a
    /// cluster; every step on disk counts as pending.
    #[arg(long, value_name = "DIR")]
    pub objects: Option<PathBuf>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// The CRDs that will be installed (relative to the datamodel root).
    #[arg(long, value_name = "DIR", default_value = "build/crds")]
    pub crds: PathBuf,
    /// Plan the steps up to this version (inclusive).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<u64>,
    /// Also write the migrated objects, one YAML file per object, to DIR (which must not exist
    /// or be empty); nothing is written when any object would fail.
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Results format (-o is short for --format).
    #[arg(short = 'o', long, value_enum, default_value_t = ResultsFormat::Text)]
    pub format: ResultsFormat,
}

impl FailOnArg {
    /// The flag as the report's threshold.
    pub fn threshold(self) -> crate::report::FailOn {
        use crate::report::FailOn;
        match self {
            FailOnArg::Breaking => FailOn::Breaking,
            FailOnArg::Warning => FailOn::Warning,
            FailOnArg::Never => FailOn::Never,
        }
    }
}
