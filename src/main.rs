//! Thin entry point: parse the command line, run, map the outcome to an exit code.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `--timeout` counts from here.
    nexus::cluster::deadline::start_clock();
    let cli = match nexus::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    nexus::input::set_limit(cli.max_input_size);
    nexus::color::set(cli.color);
    nexus::progress::install();
    // Cluster waits say so on stderr; `writeln!`, not `eprintln!`: a closed stderr must not panic
    // a cluster call.
    nexus::cluster::notice::set_sink(|text| {
        let _ = writeln!(std::io::stderr(), "{text}");
    });
    // A panic is a bug; still, the user gets one line and exit 2, not a backtrace. Written with
    // `writeln!`, not `eprintln!`: a closed stderr must not panic inside the hook (an abort).
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr(),
            "error: internal error{place}: {what}; please report this with the command that caused it"
        );
    }));
    match std::panic::catch_unwind(|| nexus::commands::run(cli.command)) {
        Ok(Ok(code)) => ExitCode::from(code as u8),
        Ok(Err(err)) => {
            let _ = writeln!(std::io::stderr(), "error: {err}");
            ExitCode::from(2)
        }
        Err(_) => ExitCode::from(2),
    }
}
