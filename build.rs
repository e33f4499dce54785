//! Records the git commit nexus is built from, for `nexus version`. Outside a git checkout (a
//! source tarball, a crate package) or without git, the commit is "unknown": the build never
//! fails for it. `NEXUS_GIT_COMMIT` set in the environment wins (packagers know the commit).

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=NEXUS_GIT_COMMIT");
    let commit = std::env::var("NEXUS_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=NEXUS_GIT_COMMIT={commit}");
}

fn git_commit() -> Option<String> {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let dir = Path::new(&manifest);
    // Rebuild when HEAD moves: HEAD itself, and the branch file it points at.
    let git_dir = run_git(dir, &["rev-parse", "--absolute-git-dir"])?;
    let mut watched = vec![Path::new(&git_dir).join("HEAD")];
    if let Some(reference) = run_git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        let common = run_git(dir, &["rev-parse", "--git-common-dir"])
            .map(|c| dir.join(c))
            .unwrap_or_else(|| Path::new(&git_dir).to_path_buf());
        watched.push(common.join(reference));
        watched.push(common.join("packed-refs"));
    }
    // A path that does not exist would make cargo rerun this script on every build.
    for path in watched.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    run_git(dir, &["rev-parse", "--short=12", "HEAD"])
}

fn run_git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}
