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
//! without annotations assert that nothing is reported. Their message texts
//! are an expect-test snapshot beside the fixtures,
//! `tests/data/pattern-messages/<fixture>.txt` (reviewed like code; run with
//! `UPDATE_EXPECT=1` to rewrite it); a fixture that reports nothing has none.

mod common;

use common::{expected_diagnostics, load_fixture, Expected};
use flakelens_ide::Severity;

/// Each diagnostic as `path:line:column severity[code] message`.
fn render_messages(files: &[(String, String)], actual: &[(Expected, String)]) -> String {
    let mut lines: Vec<(String, u32, String)> = actual
        .iter()
        .map(|(got, message)| {
            let text = files
                .iter()
                .find(|(path, _)| *path == got.path)
                .map_or("", |(_, text)| text.as_str());
            let before = &text[..(got.start as usize).min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            let rendered = format!(
                "{}:{line}:{column} {}[{}] {message}",
                got.path, got.severity, got.code
            );
            (got.path.clone(), got.start, rendered)
        })
        .collect();
    lines.sort();
    lines.dedup();
    lines.into_iter().map(|(_, _, line)| line + "\n").collect()
}

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
    let host = common::on_big_stack({
        let files = files.clone();
        move || load_fixture(&files)
    });
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
    let snapshot = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/data/pattern-messages")
        .join(name.replace(".nixfixture", ".txt"));
    let messages = render_messages(&files, &actual);
    if messages.is_empty() {
        assert!(
            !snapshot.exists(),
            "{name} reports nothing: remove {}",
            snapshot.display()
        );
    } else {
        expect_test::expect_file![snapshot].assert_eq(&messages);
    }
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
