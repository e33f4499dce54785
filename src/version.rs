//! The crate version and the git commit it was built from (build.rs; "unknown"
//! when built outside a git checkout, e.g. from a source tarball), for `--version` and
//! `nexus version` (`commands::version`).

/// The crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit build.rs found (`git rev-parse HEAD`), or `unknown`.
pub const COMMIT: &str = env!("NEXUS_GIT_COMMIT");
/// `nexus --version`: `0.1.0 (commit 3f2a1c9d0e4b)`.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("NEXUS_GIT_COMMIT"),
    ")"
);
