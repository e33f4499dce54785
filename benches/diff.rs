//! `cargo bench --bench diff`: the whole `diff` against its floor, the YAML event stream.
//!
//! Issue 12 target: on the largest corpus pair and on a generated set of 1,000 CRDs × 2 versions
//! × 300 properties, the whole diff (load the old set, compare the new one file by file as
//! `datamodel diff` does, apply the config, render JSON) takes at most 1.5× the time that merely
//! reading both sets and running granit-parser's event stream over them takes (no tree built),
//! on the same threads. Results: BENCHMARKS.md.
//!
//! One iteration of the generated pair parses about 270 MB of YAML, so this is a plain timing
//! harness (a few interleaved runs, the median of each) rather than criterion, whose ten-sample
//! minimum would take a quarter of an hour. `NEXUS_BENCH_RUNS` sets the number of runs (5).

#[path = "support/synthetic.rs"]
mod synthetic;

use nexus::config::Config;
use nexus::gate::check_paired;
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
    // `NEXUS_CORPUS` names the corpus wherever the checkout is (a worktree is not next to it).
    let corpus = std::env::var_os("NEXUS_CORPUS")
        .map(|c| PathBuf::from(c).join("large"))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/large"));
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

/// Every manifest file below `dir`, in sorted order.
fn manifest_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The floor: read every file of both sets and run the parser's event stream over it, in
/// parallel on as many threads as the loader uses, building nothing. Returns the event count.
fn event_stream(old: &Path, new: &Path) -> usize {
    use rayon::prelude::*;
    let files: Vec<PathBuf> = manifest_files(old)
        .into_iter()
        .chain(manifest_files(new))
        .collect();
    files
        .par_iter()
        .map(|path| {
            let bytes = std::fs::read(path).unwrap();
            let text = std::str::from_utf8(&bytes).unwrap();
            let mut options = granit_parser::Options::default();
            options.emit_comments = false;
            granit_parser::Parser::new_from_str_with_options(text, options)
                .map(|event| event.map(|_| 1).unwrap())
                .sum::<usize>()
        })
        .sum()
}

/// The whole `datamodel diff OLD NEW --format json`, as the command runs it.
fn whole_diff(old: &Path, new: &Path) -> String {
    let old = source::SourceSpec::Path(old.to_path_buf());
    let new = source::SourceSpec::Path(new.to_path_buf());
    let report = check_paired(
        &old,
        "old",
        &new,
        "new",
        &Config::default(),
        FailOn::Breaking,
        false,
    )
    .unwrap();
    nexus::report::json::render(&report)
}

/// Times `runs` interleaved runs of the floor and of the whole diff; prints the fastest of each
/// (the least disturbed by the other work on a shared machine) and their ratio.
fn bench_pair(name: &str, old: &Path, new: &Path, runs: usize) {
    let mut floor = Vec::new();
    let mut whole = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        assert!(event_stream(old, new) > 0);
        floor.push(start.elapsed());
        let start = Instant::now();
        let json = whole_diff(old, new);
        whole.push(start.elapsed());
        assert!(json.starts_with('{'));
    }
    let (floor_min, whole_min) = (min(&floor), min(&whole));
    println!(
        "{name}: event stream of both sets {floor_min:.2?} (median {:.2?}), whole diff {whole_min:.2?} (median {:.2?}), ratio {:.3} (target <= 1.5)",
        median(floor),
        median(whole),
        whole_min.as_secs_f64() / floor_min.as_secs_f64()
    );
}

fn min(times: &[Duration]) -> Duration {
    times.iter().copied().min().unwrap_or_default()
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
