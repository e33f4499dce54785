//! `nexus datamodel rules`: the catalogue, from the same table that drives the checker.

use crate::cli::{ResultsFormat, RulesArgs};
use crate::error::Result;
use crate::rules::CATALOGUE;

pub fn run(args: &RulesArgs) -> Result<i32> {
    let out = match args.format {
        ResultsFormat::Text => text(),
        ResultsFormat::Json => json(),
    };
    crate::print::write_stdout(&out)?;
    Ok(0)
}

fn text() -> String {
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
    out
}

/// `{"rules": [{"id", "severity", "summary"}]}`, in the catalogue's order.
fn json() -> String {
    let rules: Vec<serde_json::Value> = CATALOGUE
        .iter()
        .map(|rule| {
            serde_json::json!({
                "id": rule.id.as_str(),
                "severity": rule.default_severity.as_str(),
                "summary": rule.summary,
            })
        })
        .collect();
    format!("{:#}\n", serde_json::json!({ "rules": rules }))
}
