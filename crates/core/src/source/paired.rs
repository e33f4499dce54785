//! `diff`'s loader for two file sources: each new file is parsed next to the old file at the same
//! place below its side's root, the CRDs of the two are compared at once and both trees dropped.
//! Neither set is held whole: peak memory is the files in flight, the findings, and the CRDs
//! that changed files. Old files that no new file pairs with are loaded first, as an index by
//! name that every new file can match against; a CRD that moved between two paired files waits
//! for the end.
//!
//! The outcome is the one of loading both sets whole and comparing them: the same pairs are
//! compared, and a set with a problem fails on the same problem ([`assemble::merge`] orders them),
//! the old side's before the new side's (tests/loader.rs checks both on generated pairs).

use super::assemble::{self, FileCrds, FileNames, Located};
use super::workers::{self, Known, Read, SourceFile};
use crate::crd::{Crd, Origin};
use crate::error::{Error, Result};
use crate::spans::Spans;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One side of a compared CRD: its tree, the positions of its nodes, and the file it is read
/// from (for a byte-identical pair the new side is the old tree, named with the new file).
#[derive(Debug, Clone, Copy)]
pub struct SideRef<'a> {
    pub crd: &'a Crd,
    pub spans: Option<&'a Spans>,
    pub file: &'a str,
}

impl<'a> SideRef<'a> {
    fn of(located: &'a Located) -> SideRef<'a> {
        SideRef {
            crd: &located.crd,
            spans: located.spans.as_ref(),
            file: &located.crd.origin.file,
        }
    }
}

/// What is known of a set once its files are compared.
#[derive(Debug)]
pub struct SetSummary {
    pub label: String,
    /// Where each CRD is defined.
    pub origins: BTreeMap<String, Origin>,
    /// Documents that are not CRDs.
    pub skipped_documents: usize,
}

/// Both sides' summaries and what `compare` returned for every CRD name of either side.
#[derive(Debug)]
pub struct Paired<T> {
    pub old: SetSummary,
    pub new: SetSummary,
    pub results: Vec<T>,
}

/// How one side of a pair was loaded: its CRDs, or why the file could not be read or parsed.
type Loaded = std::result::Result<FileCrds, Error>;

/// What a side contributes to the checks of [`settle`]: its names, or its read or parse error.
type Settled = std::result::Result<FileNames, Error>;

/// A new file with the old file it pairs with.
struct Job {
    new_index: usize,
    new: SourceFile,
    old: Option<(usize, SourceFile)>,
}

/// What comparing one job left over.
struct Outcome<T> {
    new_index: usize,
    new: Settled,
    old: Option<(usize, Settled)>,
    results: Vec<T>,
    /// Names of index CRDs this file's CRDs were compared with.
    matched_in_index: Vec<String>,
    /// CRDs of the old file that the new file does not hold.
    leftover_old: Vec<Located>,
    /// CRDs of the new file found in neither the old file nor the index.
    leftover_new: Vec<Located>,
}

/// Loads and compares two sides given as files (see the module's documentation). `compare` gets
/// each CRD name once, with its old and its new side (`None` where the side lacks it).
pub fn load_paired<T: Send>(
    old_files: Vec<SourceFile>,
    old_label: &str,
    new_files: Vec<SourceFile>,
    new_label: &str,
    compare: impl Fn(&str, Option<SideRef<'_>>, Option<SideRef<'_>>) -> T + Sync + Send,
) -> Result<Paired<T>> {
    let partners = pair_by_place(&old_files, &new_files);
    let mut old_slots: Vec<Option<SourceFile>> = old_files.into_iter().map(Some).collect();
    let jobs: Vec<Job> = new_files
        .into_iter()
        .enumerate()
        .map(|(new_index, new)| Job {
            new_index,
            new,
            old: partners[new_index].and_then(|i| Some((i, old_slots[i].take()?))),
        })
        .collect();
    let unpaired_old: Vec<(usize, SourceFile)> = old_slots
        .into_iter()
        .enumerate()
        .filter_map(|(i, f)| Some((i, f?)))
        .collect();
    let old_count = unpaired_old.len() + jobs.iter().filter(|j| j.old.is_some()).count();
    let new_count = jobs.len();

    let pool = workers::pool()?;
    // The index: old files without a partner, loaded whole.
    let indexed: Vec<(usize, Loaded)> = pool.install(|| {
        unpaired_old
            .into_par_iter()
            .map(|(i, file)| (i, workers::read(file).and_then(loaded)))
            .collect()
    });
    // What the checks of `settle` need of the sides, filled in as the files are compared.
    let mut old_settled: Vec<Option<Settled>> = (0..old_count).map(|_| None).collect();
    let mut new_settled: Vec<Option<Settled>> = (0..new_count).map(|_| None).collect();
    let mut indexed_files = Vec::new();
    for (i, loaded) in indexed {
        old_settled[i] = Some(loaded.map(|mut file| {
            let names = file.names();
            indexed_files.push(file);
            names
        }));
    }
    let mut index: HashMap<&str, &Located> = HashMap::new();
    for located in indexed_files.iter().flat_map(|f| &f.crds) {
        index.entry(located.crd.name.as_str()).or_insert(located);
    }
    let outcomes: Vec<Outcome<T>> = pool.install(|| {
        jobs.into_par_iter()
            .map(|job| compare_job(job, &index, &compare))
            .collect()
    });

    let mut results = Vec::new();
    let mut matched: HashSet<String> = HashSet::new();
    let mut leftover_old: HashMap<String, Located> = HashMap::new();
    let mut leftover_new: Vec<(usize, Located)> = Vec::new();
    for outcome in outcomes {
        new_settled[outcome.new_index] = Some(outcome.new);
        if let Some((i, settled)) = outcome.old {
            old_settled[i] = Some(settled);
        }
        results.extend(outcome.results);
        matched.extend(outcome.matched_in_index);
        for located in outcome.leftover_old {
            leftover_old
                .entry(located.crd.name.clone())
                .or_insert(located);
        }
        leftover_new.extend(
            outcome
                .leftover_new
                .into_iter()
                .map(|l| (outcome.new_index, l)),
        );
    }
    // The sides' problems come before any result.
    let old = settle(old_label, old_settled)?;
    let new = settle(new_label, new_settled)?;

    // CRDs that changed files, new ones and removed ones.
    leftover_new.sort_by_key(|(i, _)| *i);
    for (_, located) in &leftover_new {
        let name = located.crd.name.as_str();
        let new_side = Some(SideRef::of(located));
        if let Some(before) = leftover_old.remove(name) {
            results.push(compare(name, Some(SideRef::of(&before)), new_side));
        } else if let Some(before) = index.get(name).filter(|_| matched.insert(name.to_string())) {
            results.push(compare(name, Some(SideRef::of(before)), new_side));
        } else {
            results.push(compare(name, None, new_side));
        }
    }
    for located in indexed_files.iter().flat_map(|f| &f.crds) {
        if !matched.contains(&located.crd.name) {
            results.push(compare(&located.crd.name, Some(SideRef::of(located)), None));
        }
    }
    for located in leftover_old.values() {
        results.push(compare(&located.crd.name, Some(SideRef::of(located)), None));
    }
    Ok(Paired { old, new, results })
}

/// Parses and assembles one file read.
fn loaded(read: Read) -> Loaded {
    match read {
        Read::Bytes(name, bytes) => parse(name, bytes),
        Read::Special(name) => Ok(assemble::assemble_file(workers::special(name))),
    }
}

fn parse(name: String, bytes: Vec<u8>) -> Loaded {
    let parsed = workers::parse_bytes(name, bytes, &Known::new(), false)?;
    Ok(assemble::assemble_file(parsed))
}

/// Compares one new file with its partner and the index.
fn compare_job<T>(
    job: Job,
    index: &HashMap<&str, &Located>,
    compare: &(impl Fn(&str, Option<SideRef<'_>>, Option<SideRef<'_>>) -> T + Sync),
) -> Outcome<T> {
    let new_read = workers::read(job.new);
    let old_read = job.old.map(|(i, file)| (i, workers::read(file)));
    let (new, old) = match (new_read, old_read) {
        (Ok(Read::Bytes(new_name, new_bytes)), Some((i, Ok(Read::Bytes(old_name, old_bytes))))) => {
            if new_bytes == old_bytes {
                match parse(old_name, old_bytes) {
                    Ok(file) => return identical(job.new_index, &new_name, i, file, compare),
                    // The old side's error is the one reported; parse the new side for its own.
                    Err(e) => (parse(new_name, new_bytes), Some((i, Err(e)))),
                }
            } else {
                (
                    parse(new_name, new_bytes),
                    Some((i, parse(old_name, old_bytes))),
                )
            }
        }
        (new_read, old_read) => (
            new_read.and_then(loaded),
            old_read.map(|(i, read)| (i, read.and_then(loaded))),
        ),
    };
    let mut results = Vec::new();
    let mut matched_in_index = Vec::new();
    let mut leftover_new = Vec::new();
    let mut old_crds: HashMap<String, Located> = HashMap::new();
    let old = old.map(|(i, loaded)| {
        let names = loaded.map(|mut file| {
            let names = file.names();
            old_crds.extend(file.crds.into_iter().map(|l| (l.crd.name.clone(), l)));
            names
        });
        (i, names)
    });
    let new = new.map(|mut file| {
        let names = file.names();
        for located in file.crds {
            let name = located.crd.name.as_str();
            let new_side = Some(SideRef::of(&located));
            if let Some(before) = old_crds.remove(name) {
                results.push(compare(name, Some(SideRef::of(&before)), new_side));
            } else if let Some(before) = index.get(name) {
                results.push(compare(name, Some(SideRef::of(before)), new_side));
                matched_in_index.push(name.to_string());
            } else {
                leftover_new.push(located);
            }
        }
        names
    });
    Outcome {
        new_index: job.new_index,
        new,
        old,
        results,
        matched_in_index,
        leftover_old: old_crds.into_values().collect(),
        leftover_new,
    }
}

/// A pair of byte-identical files: parsed once, each CRD compared with itself (equal bytes
/// parse to equal trees, so the findings are those of parsing both), the new side named with the
/// new file.
fn identical<T>(
    new_index: usize,
    new_name: &str,
    old_index: usize,
    mut file: FileCrds,
    compare: &impl Fn(&str, Option<SideRef<'_>>, Option<SideRef<'_>>) -> T,
) -> Outcome<T> {
    let old_names = file.names();
    let results = file
        .crds
        .iter()
        .map(|located| {
            let new_side = SideRef {
                file: new_name,
                ..SideRef::of(located)
            };
            compare(
                &located.crd.name,
                Some(SideRef::of(located)),
                Some(new_side),
            )
        })
        .collect();
    let new_names = FileNames {
        crds: old_names
            .crds
            .iter()
            .map(|(name, origin)| {
                let origin = Origin {
                    file: new_name.to_string(),
                    line: origin.line,
                };
                (name.clone(), origin)
            })
            .collect(),
        skipped: old_names.skipped,
        // An error of the old file is reported first; the new file, equal, has it too.
        error: None,
    };
    Outcome {
        new_index,
        new: Ok(new_names),
        old: Some((old_index, Ok(old_names))),
        results,
        matched_in_index: Vec::new(),
        leftover_old: Vec::new(),
        leftover_new: Vec::new(),
    }
}

/// One side's problems in the order a whole-set load meets them: the first file that could not
/// be read or parsed, then [`assemble::merge`]'s.
fn settle(label: &str, files: Vec<Option<Settled>>) -> Result<SetSummary> {
    let mut names = Vec::with_capacity(files.len());
    for file in files.into_iter().flatten() {
        names.push(file?);
    }
    let (origins, skipped_documents) = assemble::merge(names)?;
    Ok(SetSummary {
        label: label.to_string(),
        origins,
        skipped_documents,
    })
}

/// For each new file, the old file at the same place below its side's root (the part of the
/// names after the longest directory prefix all files of a side share); two single files pair
/// whatever their names.
fn pair_by_place(old: &[SourceFile], new: &[SourceFile]) -> Vec<Option<usize>> {
    if old.len() == 1 && new.len() == 1 {
        return vec![Some(0)];
    }
    let old_places: HashMap<&str, usize> = places(old)
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p, i))
        .collect();
    places(new)
        .into_iter()
        .map(|p| old_places.get(p).copied())
        .collect()
}

/// Each file's name without the directory prefix that all of them share.
fn places(files: &[SourceFile]) -> Vec<&str> {
    let Some(first) = files.first() else {
        return Vec::new();
    };
    let mut prefix = first.name.rfind('/').map_or(0, |i| i + 1);
    for file in &files[1..] {
        let shared = first.name.as_bytes()[..prefix]
            .iter()
            .zip(file.name.as_bytes())
            .take_while(|(a, b)| a == b)
            .count();
        // Just after a `/` that every name has at this byte: a character boundary in each.
        prefix = first.name.as_bytes()[..shared]
            .iter()
            .rposition(|&b| b == b'/')
            .map_or(0, |i| i + 1);
    }
    files.iter().map(|f| &f.name[prefix..]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::workers::Content;

    fn files(names: &[&str]) -> Vec<SourceFile> {
        names
            .iter()
            .map(|n| SourceFile {
                name: n.to_string(),
                content: Content::Bytes(Vec::new()),
            })
            .collect()
    }

    #[test]
    fn files_pair_by_their_place_below_each_root() {
        let old = files(&["old/a.yaml", "old/sub/b.yaml", "old/gone.yaml"]);
        let new = files(&["crds/a.yaml", "crds/c.yaml", "crds/sub/b.yaml"]);
        assert_eq!(pair_by_place(&old, &new), [Some(0), None, Some(1)]);
        let git = files(&[
            "git:main:deploy/crds/a.yaml",
            "git:main:deploy/crds/x/b.yaml",
        ]);
        let dir = files(&["deploy/crds/x/b.yaml", "deploy/crds/a.yaml"]);
        assert_eq!(pair_by_place(&git, &dir), [Some(1), Some(0)]);
    }

    #[test]
    fn single_files_pair_whatever_their_names() {
        assert_eq!(
            pair_by_place(&files(&["<stdin>"]), &files(&["new.yaml"])),
            [Some(0)]
        );
        assert_eq!(pair_by_place(&files(&[]), &files(&["a.yaml"])), [None]);
    }

    #[test]
    fn shared_prefixes_end_at_a_slash_even_inside_a_character() {
        // "é" and "è" share their first byte.
        assert_eq!(
            places(&files(&["dé/a.yaml", "dè/a.yaml"])),
            ["dé/a.yaml", "dè/a.yaml"]
        );
        assert_eq!(
            places(&files(&["x/a.yaml", "x/b.yaml"])),
            ["a.yaml", "b.yaml"]
        );
    }
}
