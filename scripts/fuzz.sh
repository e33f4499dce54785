#!/usr/bin/env bash
# Runs the cargo-fuzz targets of crates/fuzz one after the other, SECONDS each (default 60):
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`); on a stable toolchain RUSTC_BOOTSTRAP=1 lets it
# use the nightly flags it needs. New inputs go to crates/fuzz/corpus/TARGET, crashes to
# crates/fuzz/artifacts/TARGET (both ignored by git); the test data seeds each run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(load_yaml compare datamodel)

seeds() {
  case "$1" in
    load_yaml) echo testdata/sources testdata/diff testdata/errors ;;
    compare) echo ;; # the structure comes from the CRDs the target embeds
    datamodel) echo testdata/datamodels testdata/fuzz/datamodel ;;
  esac
}

export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
  mkdir -p "crates/fuzz/corpus/$target"
  # shellcheck disable=SC2046 # the seed directories are words
  cargo fuzz run --fuzz-dir crates/fuzz --sanitizer none "$target" \
    "crates/fuzz/corpus/$target" $(seeds "$target") -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
done
