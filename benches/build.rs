//! `cargo bench --bench build`: `nexus datamodel build` on a generated datamodel of 1,000 nodes in
//! 20 packages with 20 fields each (issue 4 target: under 0.5 s in release, including the check
//! against the previous CRDs). Every stage of the command runs: load the Go source, generate the
//! CRDs, load the previous CRDs, compare, and replace the output directory atomically. Only
//! printing the report is left out. A second group builds one struct of 120,000 fields (issue 9
//! target: under 1 s).

#[path = "support/datamodel.rs"]
mod datamodel_gen;

use criterion::{Criterion, criterion_group, criterion_main};
use nexus::config::Config;
use nexus::report::FailOn;
use nexus::{datamodel, discard, gate, generate, output, source};
use std::path::Path;
use std::time::Duration;

fn build_once(root: &Path, prev: Option<&Path>, out: &Path) -> usize {
    let dm = datamodel::load(root).unwrap();
    let crds = generate::generate(&dm).unwrap();
    let old = match prev {
        Some(prev) => {
            let known: source::Known<'_> =
                crds.iter().map(|c| (c.yaml.as_bytes(), &c.doc)).collect();
            source::load_path_reusing(prev, "previous", &known).unwrap()
        }
        None => nexus::crd::CrdSet::new("first build"),
    };
    let group = dm.group.clone();
    discard::drop_in_background(dm);
    // As the command does: each generated document moves into the new side, its YAML into the
    // files to write.
    let mut new = nexus::crd::CrdSet::new("generated");
    let mut files = Vec::with_capacity(crds.len());
    for c in crds {
        let origin = nexus::crd::Origin {
            file: c.file_name.clone(),
            line: Some(1),
        };
        new.crds.insert(
            c.name.clone(),
            nexus::crd::Crd {
                name: c.name,
                doc: c.doc,
                origin,
            },
        );
        files.push((c.file_name, c.yaml));
    }
    let report = gate::check(&old, &new, &Config::default(), FailOn::Breaking, false);
    discard::drop_in_background((old, new));
    let owner = output::crds::Owner {
        root,
        group: &group,
    };
    output::crds::write(out, &owner, &files).unwrap();
    report.changes.len()
}

fn benches(c: &mut Criterion) {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("dm");
    std::fs::create_dir_all(&root).unwrap();
    datamodel_gen::write_datamodel(&root);
    // The previous CRDs: this datamodel's own output, so the check walks every schema in full.
    let prev = temp.path().join("prev");
    build_once(&root, None, &prev);
    // The worst case: every previous file differs in its bytes (a comment added), so each one is
    // parsed again instead of being recognised as unchanged.
    let prev_reworded = temp.path().join("prev-reworded");
    std::fs::create_dir_all(&prev_reworded).unwrap();
    for entry in std::fs::read_dir(&prev).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap();
        std::fs::write(
            prev_reworded.join(name),
            format!("# previous build\n{text}"),
        )
        .unwrap();
    }
    let out = temp.path().join("out");

    let mut group = c.benchmark_group("build 1000 nodes x 20 fields");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("previous CRDs unchanged", |b| {
        b.iter(|| build_once(&root, Some(&prev), &out))
    });
    group.bench_function("every previous file differs", |b| {
        b.iter(|| build_once(&root, Some(&prev_reworded), &out))
    });
    group.finish();

    // Issue 9: one struct of 120,000 fields must build in under 1 s (the compiler was quadratic
    // in a struct's fields). Checked against its own previous output, so the comparison walks
    // all 120,000 properties too.
    let wide = temp.path().join("wide");
    std::fs::create_dir_all(&wide).unwrap();
    datamodel_gen::write_wide_datamodel(&wide, 120_000);
    let wide_prev = temp.path().join("wide-prev");
    build_once(&wide, None, &wide_prev);
    let wide_out = temp.path().join("wide-out");
    let mut group = c.benchmark_group("build one struct of 120000 fields");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("previous CRDs unchanged", |b| {
        b.iter(|| build_once(&wide, Some(&wide_prev), &wide_out))
    });
    group.finish();
}

criterion_group!(build, benches);
criterion_main!(build);
