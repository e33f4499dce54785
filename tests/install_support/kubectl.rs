//! kubectl against a fake API server, seeing only the given kubeconfig and a scratch HOME.

use std::path::Path;
use std::process::{Command, Output};

/// Whether kubectl is installed (tests that need it skip, saying so, without it).
pub fn kubectl_available() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

pub struct Kubectl<'a> {
    pub kubeconfig: &'a Path,
    pub home: &'a Path,
}

impl Kubectl<'_> {
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.home.join("kube-cache"))
            .args(args)
            .env("HOME", self.home)
            .env_remove("KUBECONFIG")
            .output()
            .expect("kubectl runs")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs and expects failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}
