//! The mutated-corpus fuzz on the built binary: the CRDs and datamodels of `testdata/`, mutated
//! with fixed seeds (byte flips, truncation, duplicated lines and so keys, deep nesting, type
//! swaps of schema nodes, removed and added keywords, huge numbers, invalid UTF-8), go through
//! `nexus datamodel diff` in every format and `nexus datamodel build`. Every run must end within
//! its timeout with exit code 0, 1 or 2, without a panic ("internal error"), and a refusal must
//! be one line on stderr. `NEXUS_FUZZ_RUNS` multiplies the number of runs for a longer hunt.

#[path = "../crates/fuzz/src/mutate.rs"]
mod mutate;

use assert_cmd::Command;
use mutate::{Dice, SplitMix};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
/// Far above any run's time (the slowest takes well under a second), so only a hang hits it.
const TIMEOUT: Duration = Duration::from_secs(20);
const FORMATS: &[&str] = &["text", "json", "markdown", "github", "junit"];
const DIFF_RUNS: u64 = 240;
const BUILD_RUNS: u64 = 90;

/// How many times the default number of runs to do.
fn scale() -> u64 {
    std::env::var("NEXUS_FUZZ_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// The old/new CRD pairs of the test data; the larger corpus files are left out to keep the
/// runs fast (the fuzz targets mutate in memory, where size costs little).
fn crd_pairs() -> Vec<(PathBuf, PathBuf)> {
    let t = Path::new(TESTDATA);
    let mut pairs = vec![
        (
            t.join("diff/orgchart/base/root_leader.yaml"),
            t.join("diff/orgchart/breaking/root_leader.yaml"),
        ),
        (
            t.join("diff/orgchart/base/root_leader.yaml"),
            t.join("diff/orgchart/compatible/root_leader.yaml"),
        ),
        (
            t.join("install/flux/v1.7.0/source.toolkit.fluxcd.io_gitrepositories.yaml"),
            t.join("install/flux/v1.8.0/source.toolkit.fluxcd.io_gitrepositories.yaml"),
        ),
        (
            t.join("migrate/crds/role_employee.yaml"),
            t.join("migrate/crds/role_employee.yaml"),
        ),
    ];
    for project in [
        "gateway-standard-v1.4.0-v1.5.0-referencegrants",
        "tekton-v1.0.0-v1.13.0-resolutionrequest",
    ] {
        let dir = t.join("corpus").join(project);
        let file = std::fs::read_dir(dir.join("old"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .file_name();
        pairs.push((dir.join("old").join(&file), dir.join("new").join(&file)));
    }
    for file in [
        "cluster.x-k8s.io_machinehealthchecks.yaml",
        "gateway.networking.k8s.io_listenersets.yaml",
    ] {
        let path = t.join("validate").join(file);
        pairs.push((path.clone(), path));
    }
    pairs
}

/// A document's value, read with nexus's own loader (so the test's view is the tool's view).
fn crd_value(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap();
    let set = nexus::source::load_bytes(&path.display().to_string(), bytes, "seed").unwrap();
    set.crds.into_values().next().expect("one CRD").doc
}

/// A mutated copy of a CRD file: textual mutations of its YAML, or structural ones of its value
/// written as JSON, sometimes followed by a textual one.
fn mutate_crd(path: &Path, dice: &mut SplitMix) -> Vec<u8> {
    if dice.below(2) == 0 {
        let mut text = std::fs::read(path).unwrap();
        for _ in 0..1 + dice.below(4) {
            mutate::mutate_text(&mut text, mutate::YAML_TOKENS, dice);
        }
        text
    } else {
        let mut text = mutate::mutated_crd_json(&crd_value(path), 1 + dice.below(5), dice);
        if dice.below(4) == 0 {
            mutate::mutate_text(&mut text, mutate::YAML_TOKENS, dice);
        }
        text
    }
}

/// What a run did wrong, if anything.
fn judge(out: &std::io::Result<std::process::Output>, elapsed: Duration) -> Option<String> {
    let out = match out {
        Ok(out) => out,
        Err(e) => return Some(format!("could not run nexus: {e}")),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let Some(code) = out.status.code() else {
        return Some(format!(
            "no exit code ({}), after {elapsed:?}: a hang killed at the timeout, or a signal",
            out.status
        ));
    };
    if !matches!(code, 0..=2) {
        return Some(format!("exit code {code}: {stderr}"));
    }
    if stderr.contains("internal error") || stderr.contains("panicked") {
        return Some(format!("a panic: {stderr}"));
    }
    if code == 2 && (stderr.trim().is_empty() || stderr.trim().lines().count() != 1) {
        return Some(format!(
            "exit 2 must come with one line on stderr: {stderr:?}"
        ));
    }
    // A `\r` or escape sequence quoted from the input would break the line or drive the terminal.
    if stderr
        .trim_end_matches('\n')
        .contains(|c: char| c.is_control() && c != '\n')
    {
        return Some(format!("control characters on stderr: {stderr:?}"));
    }
    None
}

fn nexus() -> Command {
    let mut cmd = Command::cargo_bin("nexus").unwrap();
    cmd.env("NO_COLOR", "1").timeout(TIMEOUT);
    cmd
}

/// Runs `cases` on two threads (the machine's cores), collecting every failure with what
/// reproduces it; the inputs of a failed run are kept on disk.
fn run_all(cases: u64, one: impl Fn(u64) -> Option<String> + Sync) {
    let failures = Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= cases {
                        break;
                    }
                    if let Some(failure) = one(i) {
                        failures.lock().unwrap().push(failure);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {cases} runs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn mutated_crds_through_diff() {
    let pairs = crd_pairs();
    let codes = Mutex::new([0u32; 3]);
    run_all(DIFF_RUNS * scale(), |i| {
        let mut dice = SplitMix(0xD1FF_0000 + i);
        let (old, new) = dice.pick(&pairs).clone();
        let dir = tempfile::tempdir().unwrap();
        let old_bytes = if dice.below(4) == 0 {
            mutate_crd(&old, &mut dice)
        } else {
            std::fs::read(&old).unwrap()
        };
        let mut new_bytes = mutate_crd(&new, &mut dice);
        if dice.below(8) == 0 {
            // A second document in the same file: duplicate names, mixed kinds.
            new_bytes.extend_from_slice(b"\n---\n");
            new_bytes.extend(mutate_crd(&new, &mut dice));
        }
        let old_path = dir.path().join("old.yaml");
        let new_path = dir.path().join(if dice.below(4) == 0 {
            "new.json"
        } else {
            "new.yaml"
        });
        std::fs::write(&old_path, &old_bytes).unwrap();
        std::fs::write(&new_path, &new_bytes).unwrap();
        let format = *dice.pick(FORMATS);
        let mut cmd = nexus();
        cmd.args(["datamodel", "diff", "--format", format])
            .arg(&old_path)
            .arg(&new_path);
        let started = Instant::now();
        let out = cmd.output();
        if let Ok(out) = &out
            && let Some(code @ 0..=2) = out.status.code()
        {
            codes.lock().unwrap()[code as usize] += 1;
        }
        judge(&out, started.elapsed()).map(|why| {
            format!(
                "seed {i}: nexus datamodel diff --format {format} OLD NEW ({} kept): {why}",
                dir.keep().display()
            )
        })
    });
    // The mutations must reach the checker and not only the parser's refusals.
    let [ok, findings, refused] = *codes.lock().unwrap();
    eprintln!("diff exit codes: 0: {ok}, 1: {findings}, 2: {refused}");
    assert!(
        ok + findings >= refused / 4,
        "0: {ok}, 1: {findings}, 2: {refused}"
    );
    assert!(
        findings > 0 && refused > 0,
        "0: {ok}, 1: {findings}, 2: {refused}"
    );
}

/// Copies a datamodel of the test data, without its build output.
fn copy_datamodel(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "build" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_datamodel(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file of `dir` below it, sorted.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn mutated_datamodels_through_build() {
    let models = ["orgchart", "hr", "fleet"];
    let codes = Mutex::new([0u32; 3]);
    run_all(BUILD_RUNS * scale(), |i| {
        let mut dice = SplitMix(0xB011_D000 + i);
        let model = *dice.pick(&models);
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(model);
        std::fs::create_dir_all(&root).unwrap();
        copy_datamodel(&Path::new(TESTDATA).join("datamodels").join(model), &root);
        let files = files_below(&root);
        let go: Vec<&PathBuf> = files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "go"))
            .collect();
        for _ in 0..1 + dice.below(4) {
            // Mostly Go source; now and then nexus.yaml or go.mod.
            let path = if dice.below(8) == 0 {
                dice.pick(&files)
            } else {
                *dice.pick(&go)
            };
            let mut text = std::fs::read(path).unwrap();
            let tokens = if path.extension().is_some_and(|e| e == "go") {
                mutate::GO_TOKENS
            } else {
                mutate::YAML_TOKENS
            };
            mutate::mutate_text(&mut text, tokens, &mut dice);
            std::fs::write(path, text).unwrap();
        }
        let format = *dice.pick(FORMATS);
        let mut cmd = nexus();
        cmd.args(["datamodel", "build", "--format", format, "--datamodel"])
            .arg(&root)
            .current_dir(dir.path());
        let started = Instant::now();
        let out = cmd.output();
        if let Ok(out) = &out
            && let Some(code @ 0..=2) = out.status.code()
        {
            codes.lock().unwrap()[code as usize] += 1;
        }
        judge(&out, started.elapsed()).map(|why| {
            format!(
                "seed {i}: nexus datamodel build --format {format} ({} kept): {why}",
                dir.keep().display()
            )
        })
    });
    let [ok, findings, refused] = *codes.lock().unwrap();
    eprintln!("build exit codes: 0: {ok}, 1: {findings}, 2: {refused}");
    assert!(ok > 0 && refused > 0, "0: {ok}, 2: {refused}");
}

/// The inputs the cargo-fuzz targets found crashes with (`testdata/fuzz/TARGET/`), each through
/// the built binary: a one-line refusal (exit 2), judged as every mutated run is.
#[test]
fn fuzz_crash_inputs_are_one_line_refusals() {
    let dir = Path::new(TESTDATA).join("fuzz/datamodel");
    let inputs = files_below(&dir);
    assert!(!inputs.is_empty());
    for input in inputs {
        let work = tempfile::tempdir().unwrap();
        let root = work.path();
        std::fs::write(root.join("nexus.yaml"), "groupName: fuzz.example.org\n").unwrap();
        std::fs::write(root.join("go.mod"), "module example.org/fuzz\n\ngo 1.21\n").unwrap();
        std::fs::copy(&input, root.join("root.go")).unwrap();
        let started = Instant::now();
        let out = nexus()
            .args(["datamodel", "build", "--datamodel"])
            .arg(root)
            .output();
        if let Some(why) = judge(&out, started.elapsed()) {
            panic!("{}: {why}", input.display());
        }
        assert_eq!(out.unwrap().status.code(), Some(2), "{}", input.display());
    }
}
