//! `cargo bench --bench diff`: the whole `diff` against its floor, parsing both sets.
//!
//! Issue target: on the largest corpus pair and on a generated set of 1,000 CRDs × 2 versions ×
//! 300 properties, the whole diff (load both sets, compare, apply the config, render JSON) takes at
//! most 1.3× the time that loading (reading + parsing) both sets takes. Results: BENCHMARKS.md.

#[path = "support/synthetic.rs"]
mod synthetic;

use criterion::{Criterion, criterion_group, criterion_main};
use nexus::commands::diff::check;
use nexus::config::Config;
use nexus::source;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The generated sets, written once under target/.
fn synthetic_dirs() -> (PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-crds");
    for (side, edited) in [("old", false), ("new", true)] {
        let dir = root.join(side);
        if !dir.join("widget0999s.bench19.example.com.yaml").exists() {
            std::fs::create_dir_all(&dir).unwrap();
            for (name, yaml) in synthetic::generate(synthetic::ISSUE_SHAPE, edited) {
                std::fs::write(dir.join(name), yaml).unwrap();
            }
        }
    }
    (root.join("old"), root.join("new"))
}

/// The largest corpus pair (provider-aws v0.47.4 -> v1.0.0), unpacked once under target/.
fn large_dirs() -> Option<(PathBuf, PathBuf)> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/large");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/corpus-large");
    let mut dirs = Vec::new();
    for tag in ["v0.47.4", "v1.0.0"] {
        let dir = out.join("provider-aws").join(tag);
        if !dir.exists() {
            let archive = corpus.join(format!("provider-aws-{tag}.tar.xz"));
            if !archive.exists() {
                eprintln!("skipping the large pair: {} is missing", archive.display());
                return None;
            }
            std::fs::create_dir_all(&out).unwrap();
            let ok = std::process::Command::new("tar")
                .arg("-xJf")
                .arg(&archive)
                .arg("-C")
                .arg(&out)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                eprintln!(
                    "skipping the large pair: could not unpack {}",
                    archive.display()
                );
                return None;
            }
        }
        dirs.push(dir);
    }
    let new = dirs.pop()?;
    let old = dirs.pop()?;
    Some((old, new))
}

fn load_both(old: &Path, new: &Path) -> (nexus::crd::CrdSet, nexus::crd::CrdSet) {
    (
        source::load_path(old, "old").unwrap(),
        source::load_path(new, "new").unwrap(),
    )
}

fn whole_diff(old: &Path, new: &Path) -> String {
    let (old, new) = load_both(old, new);
    let args = nexus::cli::ReportArgs {
        format: nexus::cli::Format::Json,
        fail_on: nexus::cli::FailOnArg::Breaking,
        config: None,
        verbose: false,
    };
    let report = check(&old, &new, &Config::default(), &args, false);
    nexus::report::json::render(&report)
}

fn bench_pair(c: &mut Criterion, name: &str, old: &Path, new: &Path) {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("parse both sets (floor)", |b| {
        b.iter(|| load_both(old, new))
    });
    group.bench_function("whole diff", |b| b.iter(|| whole_diff(old, new)));
    group.finish();
}

fn benches(c: &mut Criterion) {
    let (old, new) = synthetic_dirs();
    bench_pair(c, "synthetic 1000x2x300", &old, &new);
    if let Some((old, new)) = large_dirs() {
        bench_pair(c, "provider-aws v0.47.4 -> v1.0.0", &old, &new);
    }
}

criterion_group!(diff, benches);
criterion_main!(diff);
