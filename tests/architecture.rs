//! The workspace's dependency rules (ARCHITECTURE.md, "Crates"), checked rather than only written:
//! which nexus crate may depend on which, no import cycle between the top-level modules of any
//! crate, only the CLI crate prints to stdout or exits, and the fake API server (axum) is not in
//! the product's dependency graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each workspace crate, its directory, and the nexus crates it may depend on (normal
/// dependencies). The order is the layering: a crate may only name crates listed before it.
const CRATES: &[(&str, &str, &[&str])] = &[
    ("nexus-core", "crates/core", &[]),
    ("nexus-schema", "crates/schema", &[]),
    (
        "nexus-compare",
        "crates/compare",
        &["nexus-core", "nexus-schema"],
    ),
    ("nexus-datamodel", "crates/datamodel", &["nexus-core"]),
    (
        "nexus-cluster",
        "crates/cluster",
        &["nexus-core", "nexus-schema", "nexus-compare"],
    ),
    ("nexus-fakeapi", "crates/fakeapi", &["nexus-schema"]),
    (
        "nexus",
        ".",
        &[
            "nexus-core",
            "nexus-schema",
            "nexus-compare",
            "nexus-datamodel",
            "nexus-cluster",
        ],
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names in `[dependencies]` of a Cargo.toml (not dev- or build-dependencies).
fn normal_dependencies(manifest: &str) -> BTreeSet<String> {
    let mut in_deps = false;
    let mut deps = BTreeSet::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
        } else if in_deps && let Some((name, _)) = line.split_once('=') {
            let name = name.trim();
            if !name.is_empty() && !name.starts_with('#') {
                deps.insert(name.to_string());
            }
        }
    }
    deps
}

#[test]
fn every_workspace_member_is_in_the_table() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let members = manifest
        .split_once("members = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .expect("a [workspace] members list");
    let members: BTreeSet<&str> = members
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .collect();
    let known: BTreeSet<&str> = CRATES.iter().map(|(_, dir, _)| *dir).collect();
    assert_eq!(
        members, known,
        "add a new crate to CRATES with its allowed dependencies"
    );
}

#[test]
fn crates_depend_only_on_crates_below_them() {
    for (index, (name, dir, allowed)) in CRATES.iter().enumerate() {
        let below: BTreeSet<&str> = CRATES[..index].iter().map(|(n, _, _)| *n).collect();
        for dep in *allowed {
            assert!(
                below.contains(dep),
                "{name} may only depend on crates listed before it"
            );
        }
        let manifest = std::fs::read_to_string(root().join(dir).join("Cargo.toml")).unwrap();
        let deps = normal_dependencies(&manifest);
        let nexus_deps: BTreeSet<&str> = deps
            .iter()
            .map(String::as_str)
            .filter(|d| d.starts_with("nexus"))
            .collect();
        let allowed: BTreeSet<&str> = allowed.iter().copied().collect();
        let forbidden: Vec<_> = nexus_deps.difference(&allowed).collect();
        assert!(
            forbidden.is_empty(),
            "{name} depends on {forbidden:?}: not allowed (ARCHITECTURE.md)"
        );
        if *name != "nexus-fakeapi" {
            assert!(!deps.contains("axum"), "{name} must not depend on axum");
        }
    }
}

/// `cargo tree -p nexus -e normal` (the lock file's resolution for this platform) holds neither
/// axum nor the fake API server: nothing reaches them through a third-party crate either.
#[test]
fn the_product_does_not_link_the_fake_api_server() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = std::process::Command::new(cargo)
        .args(["tree", "-p", "nexus", "-e", "normal", "--prefix", "none"])
        .args(["--locked", "--offline"])
        .current_dir(root())
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    let linked: BTreeSet<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(
        linked.contains("kube") && linked.contains("nexus-cluster"),
        "the tree must list nexus's real dependencies:\n{tree}"
    );
    for absent in ["axum", "nexus-fakeapi"] {
        assert!(!linked.contains(absent), "nexus links {absent}:\n{tree}");
    }
}

/// The top-level modules a crate declares in its lib.rs (and main.rs), and the modules it takes
/// from lower crates there (`use nexus_core::{crd, error};`): those are crate edges, not modules.
struct CrateModules {
    local: BTreeSet<String>,
    imported: BTreeMap<String, String>,
}

fn crate_modules(src: &Path) -> CrateModules {
    let mut local = BTreeSet::new();
    let mut imported = BTreeMap::new();
    for root_file in ["lib.rs", "main.rs"] {
        let Ok(text) = std::fs::read_to_string(src.join(root_file)) else {
            continue;
        };
        for line in text.lines() {
            let line = line.trim();
            let decl = line.strip_prefix("pub ").unwrap_or(line);
            if let Some(name) = decl.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
                local.insert(name.to_string());
            } else if let Some(rest) = decl.strip_prefix("use nexus_") {
                let (krate, list) = rest.split_once("::").unwrap();
                let list = list
                    .trim_end_matches(';')
                    .trim_matches(|c| c == '{' || c == '}');
                for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    let name = name.rsplit(" as ").next().unwrap();
                    imported.insert(name.to_string(), format!("nexus_{krate}"));
                }
            }
        }
    }
    CrateModules { local, imported }
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, out);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The code of a file without comments and without its `#[cfg(test)] mod tests` (tests may use
/// anything their crate may), line by line.
fn code_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut cfg_test = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            cfg_test = true;
            continue;
        }
        if cfg_test && trimmed.starts_with("mod ") && line.starts_with("mod ") {
            break;
        }
        cfg_test = false;
        if !trimmed.starts_with("//") {
            lines.push(line);
        }
    }
    lines
}

/// The names `crate::NAME` in a file's code.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in code_lines(text) {
        for (at, _) in line.match_indices("crate::") {
            let before = line[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `nexus_crate::` or similar
            }
            let name: String = line[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
        // `use crate::{a, b::c};`
        if let Some(rest) = line.trim().strip_prefix("use crate::{") {
            for part in rest.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        }
    }
    names
}

/// A cycle in `edges`, as the list of its modules, if there is one.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, edges, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

/// Module → modules of the same crate it names, for one crate's `src/`.
fn module_edges(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules = crate_modules(src);
    let mut edges = BTreeMap::new();
    for module in &modules.local {
        let mut files = Vec::new();
        rust_files(&src.join(module), &mut files);
        rust_files(&src.join(format!("{module}.rs")), &mut files);
        assert!(
            !files.is_empty(),
            "no file for module {module} in {}",
            src.display()
        );
        let mut uses = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for name in crate_paths(&text) {
                if name == *module {
                    continue;
                }
                // Anything else is a lower crate's module named in lib.rs (a crate edge, which
                // the manifests bound) or an item of lib.rs itself.
                if modules.local.contains(&name) {
                    uses.insert(name);
                }
            }
        }
        edges.insert(module.clone(), uses);
    }
    edges
}

#[test]
fn no_module_cycle_inside_any_crate() {
    for (name, dir, allowed) in CRATES {
        let src = root().join(dir).join("src");
        for (module, krate) in crate_modules(&src).imported {
            let krate = krate.replace('_', "-");
            assert!(
                krate == *name || allowed.contains(&krate.as_str()),
                "{name} imports {module} from {krate}, which it may not depend on"
            );
        }
        let edges = module_edges(&src);
        if let Some(cycle) = find_cycle(&edges) {
            panic!("{name}: module cycle {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let edges = |pairs: &[(&str, &str)]| {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            map.entry(a.to_string()).or_default().insert(b.to_string());
            map.entry(b.to_string()).or_default();
        }
        map
    };
    assert_eq!(
        find_cycle(&edges(&[("a", "b"), ("b", "c"), ("a", "c")])),
        None
    );
    assert_eq!(
        find_cycle(&edges(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        crate_paths(
            "use crate::{report::Change, rules};\nlet x = crate::source::load();\n// crate::cli\n"
        ),
        BTreeSet::from(["report".into(), "rules".into(), "source".into()])
    );
}

/// Only the CLI crate writes to stdout or stderr or ends the process: the library crates return
/// values and errors (the cluster's wait notices go through `cluster::notice`).
#[test]
fn only_the_cli_crate_prints_or_exits() {
    const FORBIDDEN: &[&str] = &[
        "println!",
        "print!(",
        "eprintln!",
        "eprint!(",
        "stdout()",
        "stderr()",
        "process::exit",
        "dbg!(",
    ];
    for (name, dir, _) in CRATES {
        if matches!(*name, "nexus" | "nexus-fakeapi") {
            continue; // the CLI, and the fake API server's own binary
        }
        let mut files = Vec::new();
        rust_files(&root().join(dir).join("src"), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for line in code_lines(&text) {
                for word in FORBIDDEN {
                    assert!(
                        !line.contains(word),
                        "{}: `{word}` in a library crate: {line}",
                        file.display()
                    );
                }
            }
        }
    }
}

/// No command module calls another: shared steps live in a library crate (the gate in
/// nexus-compare). A command may have children (`install/migrations.rs`), which may use their
/// parent, but nothing under `src/commands/` names `crate::commands` or a sibling via `super::`.
#[test]
fn no_command_module_calls_another() {
    let commands = root().join("src/commands");
    let mut files = Vec::new();
    rust_files(&commands, &mut files);
    assert!(
        files.len() > 3,
        "the command modules are under src/commands"
    );
    for file in files {
        let rel = file.strip_prefix(&commands).unwrap();
        if rel == Path::new("mod.rs") {
            continue; // the dispatch
        }
        let depth = rel.components().count();
        let is_command_root = depth == 1 || (rel.ends_with("mod.rs") && depth == 2);
        let text = std::fs::read_to_string(&file).unwrap();
        for line in code_lines(&text) {
            assert!(
                !line.contains("crate::commands"),
                "{}: a command module names another: {line}",
                file.display()
            );
            let sibling = if is_command_root {
                "super::"
            } else {
                "super::super::"
            };
            assert!(
                !line.contains(sibling),
                "{}: a command module reaches a sibling through `{sibling}`: {line}",
                file.display()
            );
        }
    }
}
