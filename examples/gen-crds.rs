//! Writes the synthetic benchmark sets (see benches/support/synthetic.rs) to disk:
//! `cargo run --release --example gen-crds -- DIR` gives `DIR/old/` and `DIR/new/`.

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bench-crds".to_string());
    for (side, edited) in [("old", false), ("new", true)] {
        let out = std::path::Path::new(&dir).join(side);
        std::fs::create_dir_all(&out)?;
        for (name, yaml) in synthetic::generate(synthetic::ISSUE_SHAPE, edited) {
            std::fs::write(out.join(name), yaml)?;
        }
    }
    println!("wrote {dir}/old and {dir}/new");
    Ok(())
}
