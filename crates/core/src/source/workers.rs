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
    /// Length and digest of the bytes read (`None` for a file not read).
    pub content: Option<(usize, FileDigest)>,
}

/// SHA-256 of a file's bytes. A cryptographic hash, because equal digests are taken to mean equal
/// bytes, and whoever writes the new side of a diff could otherwise craft a collision with an old
/// file to hide a change.
pub type FileDigest = [u8; 32];

pub fn digest(bytes: &[u8]) -> FileDigest {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

/// A file of one side whose bytes equal a file of the other side: it is not parsed.
#[derive(Debug)]
pub struct UnchangedFile {
    pub name: String,
    pub digest: FileDigest,
}

/// Files already loaded on the other side, by length and digest: a file of the same length is
/// hashed, and skipped when its digest is among them. Files of other lengths are not hashed.
#[derive(Debug, Default)]
pub struct KnownDigests {
    by_len: std::collections::HashMap<usize, Vec<FileDigest>>,
}

impl KnownDigests {
    pub fn insert(&mut self, len: usize, digest: FileDigest) {
        self.by_len.entry(len).or_default().push(digest);
    }

    fn find(&self, bytes: &[u8]) -> Option<FileDigest> {
        let candidates = self.by_len.get(&bytes.len())?;
        let digest = digest(bytes);
        candidates.contains(&digest).then_some(digest)
    }
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
/// worker, so a caller that can consume files one by one never holds all of them; a file whose
/// bytes are in `unchanged` is handed over unparsed. Results keep the order of `files`.
pub fn parse_each<T: Send>(
    files: Vec<SourceFile>,
    unchanged: &KnownDigests,
    visit: impl Fn(std::result::Result<ParsedFile, UnchangedFile>) -> Result<T> + Sync + Send,
) -> Result<Vec<T>> {
    let results: Vec<Result<T>> = pool()?.install(|| {
        files
            .into_par_iter()
            .map(|file| match read(file)? {
                Read::Bytes(name, bytes) => match unchanged.find(&bytes) {
                    Some(digest) => visit(Err(UnchangedFile { name, digest })),
                    None => visit(Ok(parse_bytes(name, bytes, &Known::new(), false)?)),
                },
                Read::Special(name) => visit(Ok(special(name))),
            })
            .collect()
    });
    results.into_iter().collect()
}

pub(super) enum Read {
    Bytes(String, Vec<u8>),
    Special(String),
}

pub(super) fn read(file: SourceFile) -> Result<Read> {
    Ok(match file.content {
        Content::Path(path) => Read::Bytes(file.name, input::read_regular(&path)?),
        Content::Named(path) => Read::Bytes(file.name, input::read_named(&path)?),
        Content::Bytes(bytes) => Read::Bytes(file.name, bytes),
        Content::Special => Read::Special(file.name),
    })
}

pub(super) fn special(name: String) -> ParsedFile {
    ParsedFile {
        name,
        documents: Vec::new(),
        skipped: 1,
        content: None,
    }
}

fn parse_one_reusing(file: SourceFile, known: &Known<'_>) -> Result<ParsedFile> {
    match read(file)? {
        Read::Bytes(name, bytes) => parse_bytes(name, bytes, known, true),
        Read::Special(name) => Ok(special(name)),
    }
}

/// Parses one file's bytes; with `with_digest`, records their digest (see [`KnownDigests`]).
pub(super) fn parse_bytes(
    name: String,
    bytes: Vec<u8>,
    known: &Known<'_>,
    with_digest: bool,
) -> Result<ParsedFile> {
    let documents = match known.get(bytes.as_slice()) {
        // A generated document starts on line 1.
        Some(value) => vec![Document {
            value: (*value).clone(),
            line: 1,
            spans: Default::default(),
        }],
        None => yaml::parse_documents(&bytes, &name)?,
    };
    Ok(ParsedFile {
        name,
        documents,
        skipped: 0,
        content: with_digest.then(|| (bytes.len(), digest(&bytes))),
    })
}

/// The loader's pool, built on first use and shared by every load of the process.
pub(super) fn pool() -> Result<&'static rayon::ThreadPool> {
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
