//! The module graph of `analysis/src` runs one way: base → eval → known →
//! model (module, hosts, options, packages) → diagnostics. This test reads
//! the sources, collects every `crate::…` path (in `use` or inline) and
//! fails on a dependency that goes against the layers or on a cycle
//! between units (a top-level file, or a directory as a whole). It also
//! holds the invariants of the crates below the edges that a text scan can
//! check: option paths have one type (no string encodings of wildcards),
//! and every file says what it owns and stays under 800 lines of code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layer rank of each unit: a unit may only use units of a lower rank, or
/// of its own rank when that does not close a cycle.
const LAYERS: &[(&str, u32)] = &[
    ("base", 0),
    ("eval", 1),
    ("known", 2),
    ("module", 3),
    ("hosts", 3),
    ("options", 3),
    ("packages", 3),
    ("upstream", 3),
    ("diagnostics", 4),
];

/// What the crate root re-exports, by name: `crate::Name` means its unit.
fn root_item_unit(name: &str) -> &'static str {
    match name {
        "flake" => "known",
        "types" => "module",
        _ => "base",
    }
}

fn unit_of(relative: &str) -> Option<String> {
    let first = relative.split('/').next()?;
    let unit = first.strip_suffix(".rs").unwrap_or(first);
    (unit != "lib").then(|| unit.to_string())
}

/// The first segments of every `crate::` path in `code`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let preceded_by_ident = rest[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            rest = &rest[at + "crate::".len()..];
            if preceded_by_ident {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                // `crate::{a::b, C}`: the top-level names of the group.
                let mut depth = 0;
                let mut name = String::new();
                let mut at_start = true;
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => at_start = true,
                        c if depth == 0 && at_start && (c.is_alphanumeric() || c == '_') => {
                            name.push(c)
                        }
                        _ if !name.is_empty() => {
                            out.insert(std::mem::take(&mut name));
                            at_start = false;
                        }
                        _ => {}
                    }
                }
                if !name.is_empty() {
                    out.insert(name);
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

/// Non-test code of a file: everything before a `#[cfg(test)]` module.
fn non_test_code(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

fn unit_graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy();
                out.push((
                    relative.replace('\\', "/"),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }
    let mut files = Vec::new();
    walk(root, root, &mut files);
    let units: BTreeSet<String> = files.iter().filter_map(|(p, _)| unit_of(p)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in &files {
        let Some(unit) = unit_of(path) else { continue };
        let deps = graph.entry(unit.clone()).or_default();
        for name in crate_paths(non_test_code(text)) {
            let target = if units.contains(&name) {
                name
            } else {
                root_item_unit(&name).to_string()
            };
            if target != unit {
                deps.insert(target);
            }
        }
    }
    graph
}

/// A cycle in `graph`, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
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
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

fn layer_violations(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let rank = |unit: &str| LAYERS.iter().find(|(u, _)| *u == unit).map(|(_, r)| *r);
    let mut out = Vec::new();
    for (unit, deps) in graph {
        let Some(from) = rank(unit) else {
            out.push(format!("{unit} is in no layer (add it to LAYERS)"));
            continue;
        };
        for dep in deps {
            match rank(dep) {
                Some(to) if to <= from => {}
                _ => out.push(format!("{unit} uses {dep}, a higher layer")),
            }
        }
    }
    out
}

#[test]
fn analysis_modules_depend_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = unit_graph(&root);
    assert!(graph.contains_key("eval") && graph.contains_key("known"));
    let violations = layer_violations(&graph);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    assert_eq!(find_cycle(&graph), None, "import cycle; graph: {graph:#?}");
    // The evaluator is the Nix language alone.
    assert_eq!(
        graph["eval"],
        BTreeSet::from(["base".to_string()]),
        "eval may only use base types"
    );
}

#[test]
fn the_checker_sees_cycles_and_grouped_imports() {
    let paths = crate_paths("use crate::{eval::{Attrs, Value}, FileRange};\nx(crate::hosts::a)");
    assert_eq!(
        paths,
        BTreeSet::from(["eval".into(), "FileRange".into(), "hosts".into()])
    );
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.insert("module".into(), BTreeSet::from(["hosts".into()]));
    graph.insert("hosts".into(), BTreeSet::from(["module".into()]));
    assert!(find_cycle(&graph).is_some());
    graph.insert("eval".into(), BTreeSet::from(["known".into()]));
    assert!(layer_violations(&graph)
        .iter()
        .any(|v| v == "eval uses known, a higher layer"));
}

/// Every `.rs` file under `dir`, with its text.
fn rust_files(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
    out
}

/// The library sources of the crates below the edges.
fn layer_sources() -> Vec<(std::path::PathBuf, String)> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files: Vec<_> = ["syntax", "db", "analysis", "ide"]
        .iter()
        .flat_map(|name| rust_files(&crates.join(name).join("src")))
        .collect();
    assert!(files.len() > 50, "the sources were not found");
    files
}

#[test]
fn option_paths_have_one_segment_type() {
    // `Segment::AnyName`/`AnyIndex` are displayed as `<name>`/`*` in one
    // place (base.rs); a path compared or looked up through those strings
    // is a second encoding of the same thing.
    let mut offenders = Vec::new();
    for (path, text) in layer_sources() {
        if path.ends_with("analysis/src/base.rs") {
            continue;
        }
        for (number, line) in non_test_code(&text).lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains("\"<name>\"") || code.contains("\"*\"") {
                offenders.push(format!(
                    "{}:{}: {}",
                    path.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "use Segment, not strings:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn files_say_what_they_own_and_stay_small() {
    let mut offenders = Vec::new();
    for (path, text) in layer_sources() {
        if !text.starts_with("//!") {
            offenders.push(format!(
                "{}: first line is not a `//!` comment",
                path.display()
            ));
        }
        let lines = non_test_code(&text).lines().count();
        if lines > 800 {
            offenders.push(format!(
                "{}: {lines} lines of code (split it)",
                path.display()
            ));
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}
