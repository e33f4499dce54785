//! `nexus version`: the crate version and the git commit it was built from (build.rs; "unknown"
//! when built outside a git checkout, e.g. from a source tarball).

use crate::cli::{ResultsFormat, VersionArgs};
use crate::error::Result;

/// The crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit build.rs found (`git rev-parse HEAD`), or `unknown`.
pub const COMMIT: &str = env!("NEXUS_GIT_COMMIT");
/// `nexus --version`: `0.1.0 (commit 3f2a1c9d0e4b)`.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("NEXUS_GIT_COMMIT"),
    ")"
);

pub fn run(args: &VersionArgs) -> Result<i32> {
    let out = match args.format {
        ResultsFormat::Text => format!("nexus {LONG}\n"),
        ResultsFormat::Json => format!(
            "{}\n",
            serde_json::json!({ "version": VERSION, "commit": COMMIT })
        ),
    };
    crate::print::write_stdout(&out)?;
    Ok(0)
}
