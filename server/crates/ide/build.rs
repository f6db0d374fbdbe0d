//! Generates one `#[test]` per pattern fixture (tests/data/patterns), so a
//! failure names its fixture and `cargo test <name>` runs one.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/data/patterns");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".nixfixture"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::new();
    for name in &names {
        let ident = name
            .trim_end_matches(".nixfixture")
            .replace(|c: char| !c.is_ascii_alphanumeric(), "_");
        writeln!(
            out,
            "#[test]\nfn {ident}() {{\n    check_fixture({name:?});\n}}\n"
        )
        .unwrap();
    }
    writeln!(out, "const FIXTURE_COUNT: usize = {};", names.len()).unwrap();
    let target = Path::new(&std::env::var("OUT_DIR").unwrap()).join("pattern_tests.rs");
    std::fs::write(target, out).unwrap();
}
