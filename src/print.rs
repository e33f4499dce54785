//! Writing to standard output for the commands: the report in the chosen format, and plain text
//! where a closed pipe is not an error.

use crate::cli::{Format, ReportArgs};
use crate::error::Result;
use crate::report::{self, Report};
use std::io::Write;

/// Renders the report in the chosen format to stdout; warnings about the config (an `ignore`
/// entry that matched nothing) go to stderr, whatever the format.
pub fn print_report(report: &Report, args: &ReportArgs, mode: report::text::Mode) -> Result<()> {
    if !report.unused_ignores.is_empty() {
        let mut stderr = std::io::stderr().lock();
        for unused in &report.unused_ignores {
            let _ = writeln!(stderr, "{}", unused.warning());
        }
    }
    let out = match args.format {
        Format::Text => report::text::render(
            report,
            &report::text::TextOptions {
                color: crate::color::stdout(),
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
