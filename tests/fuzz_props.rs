//! The cargo-fuzz targets of `crates/fuzz` as property tests, so `make test` runs them (libFuzzer
//! needs a nightly toolchain; these do not): the same harness and mutations, fed by proptest
//! with fixed seeds and bounded case counts. Each case must load, compare, render or generate
//! without a panic, and every refusal must be a one-line error.

#[path = "../crates/fuzz/src/harness.rs"]
mod harness;
#[path = "../crates/fuzz/src/mutate.rs"]
mod mutate;

use mutate::{Dice, SplitMix};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

const ORGCHART_ROOT: &str = include_str!("../testdata/datamodels/orgchart/root.go");
const HR_ROOT: &str = include_str!("../testdata/datamodels/hr/root.go");
const HR_ORG: &str = include_str!("../testdata/datamodels/hr/org/org.go");
const FLEET_CONFIG: &str = include_str!("../testdata/datamodels/fleet/config/config.go");

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x006e_6578_7573),
        // The regressions are below as named tests.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text made of the pieces `tokens` holds, words, newlines, indentation and stray bytes.
fn soup(tokens: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(tokens).prop_map(|t| t.as_bytes().to_vec()),
            2 => "[a-zA-Z0-9_]{1,8}".prop_map(String::into_bytes),
            2 => Just(b"\n".to_vec()),
            1 => Just(b"  ".to_vec()),
            1 => any::<u8>().prop_map(|b| vec![b]),
        ],
        0..80,
    )
    .prop_map(|parts| parts.concat())
}

/// One of the harness's seed CRD files with `rounds` textual mutations.
fn mutated_seed_text(seed: u64, rounds: usize) -> Vec<u8> {
    let mut dice = SplitMix(seed);
    let (_, text) = dice.pick(harness::SEED_CRDS);
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..rounds {
        mutate::mutate_text(&mut bytes, mutate::YAML_TOKENS, &mut dice);
    }
    bytes
}

/// The compare target's input built from a seed instead of the fuzzer's bytes.
fn compare_case(seeds: &[serde_json::Value], seed: u64) {
    let mut dice = SplitMix(seed);
    let mut old = dice.pick(seeds).clone();
    for _ in 0..dice.below(4) {
        mutate::mutate_value(&mut old, &mut dice);
    }
    let rounds = 1 + dice.below(6);
    let mut new_text = mutate::mutated_crd_json(&old, rounds, &mut dice);
    if dice.below(4) == 0 {
        mutate::mutate_text(&mut new_text, mutate::YAML_TOKENS, &mut dice);
    }
    let old_text = serde_json::to_vec(&old).unwrap();
    if let (Some(old), Some(new)) = (
        harness::load("old.json", &old_text),
        harness::load("new.json", &new_text),
    ) {
        harness::compare_and_render(&old, &new);
        harness::compare_and_render(&new, &old);
    }
}

/// A datamodel from the test data with `rounds` mutations spread over its Go files.
fn mutated_datamodel(seed: u64, rounds: usize) -> Vec<(&'static str, Vec<u8>)> {
    let mut dice = SplitMix(seed);
    let mut files: Vec<(&'static str, Vec<u8>)> = match dice.below(3) {
        0 => vec![("root.go", ORGCHART_ROOT.into())],
        1 => vec![
            ("go.mod", b"module example.org/hr\n\ngo 1.21\n".to_vec()),
            ("root.go", HR_ROOT.into()),
            ("org/org.go", HR_ORG.into()),
        ],
        _ => vec![
            ("root.go", ORGCHART_ROOT.into()),
            ("config/config.go", FLEET_CONFIG.into()),
        ],
    };
    for _ in 0..rounds {
        let i = dice.below(files.len());
        if files[i].0 == "go.mod" {
            continue;
        }
        mutate::mutate_text(&mut files[i].1, mutate::GO_TOKENS, &mut dice);
    }
    files
}

fn run_datamodel(files: &[(&str, Vec<u8>)]) -> Option<usize> {
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    harness::datamodel(&borrowed)
}

#[test]
fn the_harness_does_real_work_on_unmutated_input() {
    // Without this the properties below could pass by refusing everything.
    let seeds = harness::seed_crds();
    assert_eq!(seeds.len(), harness::SEED_CRDS.len());
    for (name, text) in harness::SEED_CRDS {
        let set = harness::load(name, text.as_bytes()).expect("a seed loads");
        assert_eq!(set.crds.len(), 1, "{name}");
        assert_eq!(harness::compare_and_render(&set, &set), 0, "{name}");
    }
    assert_eq!(
        run_datamodel(&[("root.go", ORGCHART_ROOT.into())]),
        Some(3),
        "the orgchart has three nodes"
    );
}

/// Crash inputs the cargo-fuzz `datamodel` target found (`testdata/fuzz/datamodel/`), through the
/// same harness: each must be refused with a one-line error.
#[test]
fn datamodel_fuzz_crashes_stay_fixed() {
    // A syntax error whose quoted source held a lone `\r`: the message broke in two.
    let input = include_bytes!("../testdata/fuzz/datamodel/datamodel-syntax-error-with-cr.go");
    assert_eq!(run_datamodel(&[("root.go", input.to_vec())]), None);
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn loader_survives_token_soup(bytes in soup(mutate::YAML_TOKENS)) {
        harness::load("soup.yaml", &bytes);
    }

    #[test]
    fn loader_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        harness::load("bytes.json", &bytes);
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn loader_survives_mutated_crds(seed in any::<u64>(), rounds in 1usize..6) {
        harness::load("mutated.yaml", &mutated_seed_text(seed, rounds));
    }

    #[test]
    fn comparison_survives_mutated_crds(seed in any::<u64>()) {
        static SEEDS: std::sync::OnceLock<Vec<serde_json::Value>> = std::sync::OnceLock::new();
        let seeds = SEEDS.get_or_init(harness::seed_crds);
        // The mutants nest up to thousands of levels before nexus's loader refuses them at its
        // depth limit, and the harness clones and serializes them first (recursively, as
        // serde_json does): that needs more than a test thread's 2 MiB in a debug build.
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn_scoped(scope, || compare_case(seeds, seed))
                .expect("a thread for the case")
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        });
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn datamodel_reader_survives_go_soup(root in soup(mutate::GO_TOKENS)) {
        let mut source = b"package root\n\nimport \"github.com/vmware-tanzu/graph-framework-for-microservices/nexus/nexus\"\n\n".to_vec();
        source.extend(root);
        run_datamodel(&[("root.go", source)]);
    }

    #[test]
    fn datamodel_reader_survives_mutated_datamodels(seed in any::<u64>(), rounds in 1usize..5) {
        run_datamodel(&mutated_datamodel(seed, rounds));
    }
}
