//! The Go datamodel reader: one or two arbitrary .go files (split at a `//--sub.go--` line) in a
//! workspace with a fixed nexus.yaml and go.mod, through the loader and the CRD generator.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nexus_fuzz::harness;

/// Where the input splits into `root.go` and `sub/sub.go`.
const SPLIT: &[u8] = b"\n//--sub.go--\n";

fuzz_target!(|data: &[u8]| {
    let (root, sub) = match data.windows(SPLIT.len()).position(|w| w == SPLIT) {
        Some(at) => (&data[..at], Some(&data[at + SPLIT.len()..])),
        None => (data, None),
    };
    let mut files: Vec<(&str, &[u8])> = vec![("root.go", root)];
    if let Some(sub) = sub {
        files.push(("sub/sub.go", sub));
    }
    harness::datamodel(&files);
});
