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

#[test]
fn pattern_fixtures_report_exactly_the_annotated_diagnostics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/data/patterns");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/data/patterns exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "nixfixture"))
        .collect();
    entries.sort();
    assert!(
        entries.len() >= 30,
        "expected the pattern catalogue, found {}",
        entries.len()
    );
    let mut failures = Vec::new();
    for path in &entries {
        let text = std::fs::read_to_string(path).expect("readable fixture");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let files = common::parse_fixture(&text);
        let expected = expected_diagnostics(&files);
        let host = common::on_big_stack(move || load_fixture(&files));
        let actual = common::on_big_stack({
            let host = std::sync::Arc::new(std::sync::Mutex::new(host));
            move || actual_diagnostics(&host.lock().unwrap())
        });
        for want in &expected {
            if !actual.iter().any(|(got, _)| got == want) {
                failures.push(format!("{name}: missing {want}"));
            }
        }
        for (got, message) in &actual {
            if !expected.contains(got) {
                failures.push(format!("{name}: unexpected {got}: {message}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
