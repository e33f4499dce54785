//! `nexus datamodel rules`: the catalogue, from the same table that drives the checker.

use crate::error::Result;
use crate::rules::CATALOGUE;

pub fn run() -> Result<i32> {
    let width = CATALOGUE
        .iter()
        .map(|r| r.id.as_str().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for rule in CATALOGUE {
        out.push_str(&format!(
            "{:<width$}  {:<10}  {}\n",
            rule.id.as_str(),
            rule.default_severity.as_str(),
            rule.summary
        ));
    }
    crate::print::write_stdout(&out)?;
    Ok(0)
}
