//! One module per subcommand: each turns parsed flags into an exit code. No command module calls
//! another: what two commands share lives in a library module (e.g. [`crate::gate`]).

pub mod build;
pub mod completion;
pub mod diff;
pub mod init;
pub mod install;
pub mod migrate;
pub mod migrate_cluster;
pub mod rules;
pub mod version;

use crate::cli::{Command, Datamodel, Migrate};
use crate::error::Result;

/// Runs a parsed command line; returns the exit code for success (0) or findings (1).
pub fn run(command: Command) -> Result<i32> {
    match command {
        Command::Version(args) => version::run(&args),
        Command::Completion(args) => completion::run(args.shell),
        Command::Datamodel(Datamodel::Diff(args)) => diff::run(&args),
        Command::Datamodel(Datamodel::Build(args)) => build::run(&args),
        Command::Datamodel(Datamodel::Init(args)) => init::run(&args),
        Command::Datamodel(Datamodel::Rules(args)) => rules::run(&args),
        Command::Datamodel(Datamodel::Install(args)) => install::run(&args),
        Command::Datamodel(Datamodel::Migrate(command)) => match command {
            Migrate::Create(args) => migrate::run_create(&args),
            Migrate::Plan(args) => match &args.objects {
                Some(objects) => migrate::run_plan(&args, objects),
                None => migrate_cluster::run_plan(&args),
            },
            Migrate::Apply(args) => migrate_cluster::run_apply(&args),
            Migrate::Status(args) => migrate_cluster::run_status(&args),
            Migrate::Restore(args) => migrate_cluster::run_restore(&args),
            Migrate::Down(args) => migrate_cluster::run_down(&args),
        },
    }
}
