//! The YAML/JSON loader: any bytes, as one file of a source, through the parser and into a CRD
//! set. It may refuse them (one-line error), never panic, hang or blow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nexus_fuzz::harness;

fuzz_target!(|data: &[u8]| {
    harness::load("fuzz.yaml", data);
});
