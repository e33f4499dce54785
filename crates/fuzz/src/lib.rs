//! Support for the cargo-fuzz targets in `fuzz_targets/`: the mutations ([`mutate`]) and the
//! work and laws of each target ([`harness`]). `tests/fuzz_props.rs` and `tests/fuzz_corpus.rs`
//! include these two files by path, so `make test` runs the same code on seeded inputs.

pub mod harness;
pub mod mutate;

/// Dice that read the fuzzer's bytes, so libFuzzer's mutations steer the structural ones.
pub struct BytesDice<'a>(pub arbitrary::Unstructured<'a>);

impl mutate::Dice for BytesDice<'_> {
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.0.choose_index(n).unwrap_or(0)
        }
    }
}
