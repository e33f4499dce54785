//! `cargo bench --bench diff`: the whole `diff` against its floor, parsing both sets.
//!
//! Issue target: on the largest corpus pair and on a generated set of 1,000 CRDs × 2 versions ×
//! 300 properties, the whole diff (load both sets, compare, apply the config, render JSON) takes at
//! most 1.3× the time that loading (reading + parsing) both sets takes. Results: BENCHMARKS.md.
//!
//! One iteration of the generated pair parses about 270 MB of YAML, so this is a plain timing
//! harness (a few interleaved runs, the median of each) rather than criterion, whose ten-sample
//! minimum would take a quarter of an hour. `NEXUS_BENCH_RUNS` sets the number of runs (5).

#[path = "support/synthetic.rs"]
mod synthetic;

use nexus::config::Config;
use nexus::gate::check;
use nexus::report::FailOn;
use nexus::source;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
    let report = check(&old, &new, &Config::default(), FailOn::Breaking, false);
    nexus::report::json::render(&report)
}

/// Times `runs` interleaved runs of the floor and of the whole diff; prints medians and ratio.
fn bench_pair(name: &str, old: &Path, new: &Path, runs: usize) {
    let mut floor = Vec::new();
    let mut whole = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        drop(load_both(old, new));
        floor.push(start.elapsed());
        let start = Instant::now();
        let json = whole_diff(old, new);
        whole.push(start.elapsed());
        assert!(json.starts_with('{'));
    }
    let (floor, whole) = (median(floor), median(whole));
    println!(
        "{name}: parse both sets {floor:.2?}, whole diff {whole:.2?}, ratio {:.3} (target <= 1.3)",
        whole.as_secs_f64() / floor.as_secs_f64()
    );
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (`cargo test --benches`) gets one run, which
    // proves the harness works without the full measurement.
    let runs = if !std::env::args().any(|a| a == "--bench") {
        1
    } else {
        std::env::var("NEXUS_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5)
    };
    let (old, new) = synthetic_dirs();
    bench_pair(
        "synthetic 1000 CRDs x 2 versions x 300 properties",
        &old,
        &new,
        runs,
    );
    if let Some((old, new)) = large_dirs() {
        bench_pair("provider-aws v0.47.4 -> v1.0.0", &old, &new, runs);
    }
}
