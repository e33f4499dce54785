//! `nexus fake-apiserver` (hidden): the fake API server of [`crate::fakeapi`], standalone.

use crate::cli::FakeApiserverArgs;
use crate::error::{Error, Result};
use crate::fakeapi::{FakeConfig, User, run_standalone};

pub fn run(args: &FakeApiserverArgs) -> Result<i32> {
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
    run_standalone(config, args.kubeconfig_out.as_deref(), &faults)
        .map_err(|e| Error::Cluster(format!("fake API server on 127.0.0.1:{}: {e}", args.port)))?;
    Ok(0)
}
