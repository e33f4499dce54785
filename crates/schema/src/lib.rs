//! nexus-schema: what the API server does with a CRD's structural schema and the objects it
//! governs (the CRD's own validity, pruning, defaulting, formats, patterns, metadata names), and
//! the field paths every report and every message uses.
//!
//! May depend on: serde_json, regex, cel (the CEL interpreter of `object::cel`). No I/O, no printing, no other nexus crate: both the CLI
//! (`nexus`) and the fake API server (`nexus-fakeapi`) build on it, so the two validate alike.

pub mod lookup;
pub mod object;
pub mod path;
pub mod validate;
