//! Writing to standard output for the commands: the report in the chosen format, and plain text
//! where a closed pipe is not an error.

use crate::cli::{Format, ReportArgs};
use crate::error::Result;
use crate::report::{self, Report};
use std::io::{IsTerminal, Write};

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
                color: color_enabled(),
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

/// Whether stdout should get colour: only on a terminal, and never when `NO_COLOR` is set to a
/// non-empty value (<https://no-color.org>).
pub fn color_enabled() -> bool {
    color_wanted(
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// The decision of [`color_enabled`], apart from the process state it reads.
fn color_wanted(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        use std::ffi::OsStr;
        assert!(color_wanted(true, None));
        assert!(
            color_wanted(true, Some(OsStr::new(""))),
            "an empty NO_COLOR does not count"
        );
        assert!(!color_wanted(true, Some(OsStr::new("1"))));
        assert!(!color_wanted(false, None));
        assert!(!color_wanted(false, Some(OsStr::new("1"))));
    }
}
