//! Fixture-driven tests: every `tests/data/patterns/*.nixfixture` is a small
//! multi-file repo (`#- /path` headers) whose expected diagnostics are
//! written inline as annotation comments under the offending line:
//!
//! ```nix
//!     port = "8420";
//! #          ^^^^^^ error[type-mismatch]
//! ```
//!
//! The test asserts that the diagnostics flakelens reports are exactly the
//! annotated ones (same file, range, severity and code) — so fixtures
//! without annotations assert that nothing is reported.

mod common;

use common::{expected_diagnostics, load_fixture, Expected};
use flakelens_ide::Severity;

fn actual_diagnostics(host: &flakelens_ide::AnalysisHost) -> Vec<(Expected, String)> {
    let analysis = host.analysis();
    let mut out = Vec::new();
    for (path, diagnostics) in analysis.workspace_diagnostics().expect("not cancelled") {
        for diagnostic in diagnostics {
            out.push((
                Expected {
                    path: path.clone(),
                    start: u32::from(diagnostic.range.start()),
                    end: u32::from(diagnostic.range.end()),
                    severity: match diagnostic.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    }
                    .to_string(),
                    code: diagnostic.code.to_string(),
                },
                diagnostic.message,
            ));
        }
    }
    out
}

// One generated `#[test]` per fixture file (see build.rs).
include!(concat!(env!("OUT_DIR"), "/pattern_tests.rs"));

/// Asserts that `name` reports exactly its annotated diagnostics; the
/// failure lists what is missing and what is unexpected (with messages).
fn check_fixture(name: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/data/patterns")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("readable fixture");
    let files = common::parse_fixture(&text);
    let expected = expected_diagnostics(&files);
    let host = common::on_big_stack(move || load_fixture(&files));
    let actual = common::on_big_stack({
        let host = std::sync::Arc::new(std::sync::Mutex::new(host));
        move || actual_diagnostics(&host.lock().unwrap())
    });
    let mut failures = Vec::new();
    for want in &expected {
        if !actual.iter().any(|(got, _)| got == want) {
            failures.push(format!("missing {want}"));
        }
    }
    for (got, message) in &actual {
        if !expected.contains(got) {
            failures.push(format!("unexpected {got}: {message}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{name}: {} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The generated tests cover every fixture in the directory (build.rs
/// reruns when it changes), and the catalogue is there.
#[test]
fn every_pattern_fixture_has_a_test() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/data/patterns");
    let on_disk = std::fs::read_dir(&dir)
        .expect("tests/data/patterns exists")
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .path()
                .extension()
                .is_some_and(|ext| ext == "nixfixture")
        })
        .count();
    assert!(
        on_disk >= 30,
        "expected the pattern catalogue, found {on_disk}"
    );
    assert_eq!(on_disk, FIXTURE_COUNT);
}
