//! Parsing many files at once. Parsing dominates a run, so files are read and parsed in parallel,
//! each read once into memory and dropped as soon as its documents are built.
//!
//! The parser and serde_json's `Value` recurse once per nesting level; unoptimised builds use
//! tens of KiB of stack per level, far more than the 2 MiB a default thread has. The loader
//! therefore runs on its own pool whose threads have a stack sized for [`yaml::MAX_DEPTH`] levels.
//! The memory is reserved, not committed: only the pages a document actually reaches are used.

use super::yaml::{self, Document};
use crate::error::{Error, Result};
use crate::input;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Stack of a loader thread: 64 KiB for each of the [`yaml::MAX_DEPTH`] levels.
pub const STACK_SIZE: usize = yaml::MAX_DEPTH * 64 * 1024;

/// Where a file's bytes come from.
#[derive(Debug)]
pub enum Content {
    /// A file found in a directory, read on a worker thread: it must be a regular file.
    Path(PathBuf),
    /// A file named on the command line, read on a worker thread: a FIFO or device is read too.
    Named(PathBuf),
    /// Already in memory (a git blob, stdin).
    Bytes(Vec<u8>),
    /// A FIFO, socket or device found in a directory: not read, counted as skipped.
    Special,
}

/// One file of a source.
#[derive(Debug)]
pub struct SourceFile {
    /// The file as messages name it (`crds/a.yaml`, `git:main:crds/a.yaml`, `<stdin>`).
    pub name: String,
    pub content: Content,
}

/// A file's documents, in file order.
#[derive(Debug)]
pub struct ParsedFile {
    pub name: String,
    pub documents: Vec<Document>,
    /// Documents skipped before parsing: 1 for a file that is not a regular file.
    pub skipped: usize,
}

/// Reads and parses every file in parallel. Results keep the order of `files`, so the first error
/// reported is always the same one.
pub fn parse_all(files: Vec<SourceFile>) -> Result<Vec<ParsedFile>> {
    parse_all_reusing(files, &Known::new())
}

/// Files whose bytes are known to parse to one document: `build` knows the YAML it just generated
/// and its value, and most files of its previous output are byte-identical to it.
pub type Known<'a> = std::collections::HashMap<&'a [u8], &'a serde_json::Value>;

/// [`parse_all`], taking the value of a file whose bytes are in `known` instead of parsing it.
pub fn parse_all_reusing(files: Vec<SourceFile>, known: &Known<'_>) -> Result<Vec<ParsedFile>> {
    let results: Vec<Result<ParsedFile>> = pool()?.install(|| {
        files
            .into_par_iter()
            .map(|file| parse_one_reusing(file, known))
            .collect()
    });
    results.into_iter().collect()
}

/// Reads and parses every file in parallel and hands each parsed file to `visit` on the same
/// worker, so a caller that can consume files one by one never holds all of them. Results keep
/// the order of `files`.
pub fn parse_each<T: Send>(
    files: Vec<SourceFile>,
    visit: impl Fn(ParsedFile) -> Result<T> + Sync + Send,
) -> Result<Vec<T>> {
    let results: Vec<Result<T>> = pool()?.install(|| {
        files
            .into_par_iter()
            .map(|file| parse_one(file).and_then(&visit))
            .collect()
    });
    results.into_iter().collect()
}

fn parse_one(file: SourceFile) -> Result<ParsedFile> {
    parse_one_reusing(file, &Known::new())
}

fn parse_one_reusing(file: SourceFile, known: &Known<'_>) -> Result<ParsedFile> {
    let bytes = match file.content {
        Content::Path(path) => input::read_regular(&path)?,
        Content::Named(path) => input::read_named(&path)?,
        Content::Bytes(bytes) => bytes,
        Content::Special => {
            return Ok(ParsedFile {
                name: file.name,
                documents: Vec::new(),
                skipped: 1,
            });
        }
    };
    let documents = match known.get(bytes.as_slice()) {
        // A generated document starts on line 1.
        Some(value) => vec![Document {
            value: (*value).clone(),
            line: 1,
        }],
        None => yaml::parse_documents(&bytes, &file.name)?,
    };
    Ok(ParsedFile {
        name: file.name,
        documents,
        skipped: 0,
    })
}

/// The loader's pool, built on first use and shared by every load of the process.
fn pool() -> Result<&'static rayon::ThreadPool> {
    static POOL: OnceLock<std::result::Result<rayon::ThreadPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(STACK_SIZE)
            .thread_name(|i| format!("nexus-load-{i}"))
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| Error::input(format!("cannot start the threads that read CRD files: {e}")))
}
