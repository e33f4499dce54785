#[path = "../benches/support/datamodel.rs"]
mod datamodel_gen;
use std::time::Instant;
fn main() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("dm");
    std::fs::create_dir_all(&root).unwrap();
    datamodel_gen::write_datamodel(&root);
    for _ in 0..3 {
        let t = Instant::now();
        let dm = nexus::datamodel::load(&root).unwrap();
        let t1 = t.elapsed();
        let crds = nexus::generate::generate(&dm).unwrap();
        let t2 = t.elapsed();
        let files: Vec<(String, String)> = crds
            .iter()
            .map(|c| (c.file_name.clone(), c.yaml.clone()))
            .collect();
        let out = temp.path().join("out");
        nexus::output::replace_dir(&out, &files).unwrap();
        let t3 = t.elapsed();
        let old = nexus::source::load_path(&out, "prev").unwrap();
        let t4 = t.elapsed();
        let changes = nexus::compare::compare_sets(&old, &old, &Default::default());
        let t5 = t.elapsed();
        println!(
            "load {t1:?} gen {t2:?} write {t3:?} parse-prev {t4:?} compare {t5:?} ({})",
            changes.len()
        );
    }
}
