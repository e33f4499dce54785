//! `nexus datamodel diff OLD NEW`.

use crate::cli::DiffArgs;
use crate::error::Result;

pub fn run(_args: &DiffArgs) -> Result<i32> {
    Ok(0)
}
