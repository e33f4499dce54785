//! `nexus version`: the version and commit of [`crate::version`], as text or JSON.

use crate::cli::{ResultsFormat, VersionArgs};
use crate::error::Result;
use crate::version::{COMMIT, LONG, VERSION};

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
