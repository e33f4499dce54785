//! `nexus-fake-apiserver`: the fake API server of this crate, standalone, for demos and for the
//! tests that need a separate process (kubectl, faults from the command line). Serves on
//! 127.0.0.1, prints (and with `--kubeconfig-out` writes) a kubeconfig that reaches it, and
//! stops on Ctrl-C. The product binary `nexus` does not contain it.

use clap::Parser;
use nexus_fakeapi::{FakeConfig, Injection, User, faults, run_standalone};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Serve a fake Kubernetes API server for CRDs on 127.0.0.1 and print a kubeconfig that reaches
/// it (for demos and tests; stops on Ctrl-C).
#[derive(Debug, Parser)]
#[command(name = "nexus-fake-apiserver", version)]
struct Args {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Also write the kubeconfig to this file, before it is printed; created with mode 0600 (it
    /// may hold the token), replacing a file that was there.
    #[arg(long, value_name = "FILE")]
    kubeconfig_out: Option<PathBuf>,
    /// Require this bearer token (it goes into the kubeconfig). kube-rs clients send it over
    /// plain HTTP; kubectl does not, so leave it out for kubectl.
    #[arg(long)]
    token: Option<String>,
    /// How many reads of a new CRD still see it not Established (to exercise waiting).
    #[arg(long, value_name = "N", default_value_t = 0)]
    established_after_reads: u32,
    /// Print one line per request to stderr.
    #[arg(short, long)]
    verbose: bool,
    /// Answer TIMES matching requests from the FROMth on (TIMES `max`: every one) with CODE and a
    /// Status carrying MESSAGE, without carrying them out; 429 and 503 carry `Retry-After: 1`.
    /// ON: write, object-write (custom resources only), read (get, list, watch), dry-run, any.
    /// Repeatable; each fault counts its own matches.
    #[arg(long, value_name = "ON:FROM:TIMES:CODE[:MESSAGE]", value_parser = faults::parse_fail_times)]
    fail_times: Vec<Injection>,
    /// Carry out the Nth matching request, then close its connection without an answer (as when
    /// the network dies after the server committed a write). Repeatable.
    #[arg(long, value_name = "ON:N", value_parser = faults::parse_lose_response)]
    lose_response: Vec<Injection>,
    /// Hold the Nth matching request back MS milliseconds before handling it. Repeatable.
    #[arg(long, value_name = "ON:N:MS", value_parser = faults::parse_delay)]
    delay: Vec<Injection>,
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    let users = args
        .token
        .iter()
        .map(|token| User {
            name: "admin".to_string(),
            token: token.clone(),
            verbs: None,
        })
        .collect();
    let config = FakeConfig {
        port: args.port,
        established_after_reads: args.established_after_reads,
        users,
        verbose: args.verbose,
    };
    let faults: Vec<_> = args
        .fail_times
        .iter()
        .chain(&args.lose_response)
        .chain(&args.delay)
        .cloned()
        .collect();
    match run_standalone(config, args.kubeconfig_out.as_deref(), &faults) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: fake API server on 127.0.0.1:{}: {e}",
                args.port
            );
            ExitCode::from(2)
        }
    }
}
