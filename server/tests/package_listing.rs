//! The human listing of `flakelens packages` (rendered by the cli) for
//! every package-set pattern fixture.

#[path = "../crates/ide/tests/common/mod.rs"]
mod common;

use common::{load_fixture, on_big_stack, parse_fixture};
use flakelens::cli::packages::format_package_list;

fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `flakelens packages` for every package-set pattern fixture.
#[test]
fn package_listing_of_pattern_fixtures() {
    let dir = repo_root().join("tests/data/patterns");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("s7-") && name.ends_with(".nixfixture")
        })
        .collect();
    entries.sort();
    let mut out = String::new();
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        let files = parse_fixture(&text);
        let listing = on_big_stack(move || {
            let host = load_fixture(&files);
            let packages = host.analysis().packages().unwrap();
            format_package_list("/", &packages)
        });
        out.push_str(&format!(
            "## {}\n{listing}\n",
            path.file_name().unwrap().to_string_lossy()
        ));
    }
    expect_test::expect_file!["data/package-listing.txt"].assert_eq(&out);
}
