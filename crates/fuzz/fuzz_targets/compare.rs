//! The comparison, structure-aware: a real CRD mutated into an old and a new document (type swaps,
//! removed and added keywords, huge numbers, deep nesting, copied subtrees), then, sometimes, a
//! textual mutation; both sides through the loader, the checker and every report renderer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nexus_fuzz::mutate::{self, Dice};
use nexus_fuzz::{BytesDice, harness};
use serde_json::Value;
use std::sync::OnceLock;

fn seeds() -> &'static [Value] {
    static SEEDS: OnceLock<Vec<Value>> = OnceLock::new();
    SEEDS.get_or_init(harness::seed_crds)
}

fuzz_target!(|data: &[u8]| {
    let mut dice = BytesDice(arbitrary::Unstructured::new(data));
    let base = dice.pick(seeds()).clone();
    let old_rounds = dice.below(4);
    let new_rounds = 1 + dice.below(6);
    let mut old: Value = base;
    for _ in 0..old_rounds {
        mutate::mutate_value(&mut old, &mut dice);
    }
    let mut new_text = mutate::mutated_crd_json(&old, new_rounds, &mut dice);
    if dice.below(4) == 0 {
        mutate::mutate_text(&mut new_text, mutate::YAML_TOKENS, &mut dice);
    }
    let old_text = serde_json::to_vec(&old).unwrap_or_default();
    let (Some(old), Some(new)) = (
        harness::load("old.json", &old_text),
        harness::load("new.json", &new_text),
    ) else {
        return;
    };
    harness::compare_and_render(&old, &new);
    harness::compare_and_render(&new, &old);
});
