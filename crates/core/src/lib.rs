//! nexus-core: CRD sets and where they come from. [`crd::CrdSet`] (CRDs as `serde_json::Value`
//! trees with their file and line), [`error`] (the typed errors every crate returns), [`input`]
//! (bounded reads, the process-wide input limit), [`source`] (files, directories, `git:REV:PATH`,
//! stdin: parsed in parallel under the YAML budget), [`spans`] (the line and column of every
//! node, below both `crd` and `source`), [`output`] (the deterministic YAML emitter
//! and atomic replacement of an output directory) and [`discard`] (freeing large values off the
//! thread the user waits on).
//!
//! May depend on: no other nexus crate. Never prints, never exits; `cluster:` sources are loaded by
//! nexus-cluster, which the caller composes (see [`source::load`]).

pub mod crd;
pub mod discard;
pub mod error;
pub mod input;
pub mod output;
pub mod source;
pub mod spans;
