//! The diagnostics post-filter: inline suppressions, `[diagnostics]`
//! levels, `exclude` globs and problems of `flakelens.toml`, on the poglets
//! fixture with a type error injected.

use flakelens_db::{DiagnosticLevel, Settings, SettingsProblem};
use flakelens_ide::AnalysisHost;

mod common;

const NEPTUNE: &str = "/hosts/neptune/configuration.nix";

fn host_with(edit: (&str, &str), settings: Settings) -> AnalysisHost {
    let mut files = common::poglets_files();
    let (_, text) = files.iter_mut().find(|(path, _)| path == NEPTUNE).unwrap();
    assert!(text.contains(edit.0));
    *text = text.replacen(edit.0, edit.1, 1);
    files.push(("/flakelens.toml".into(), "[diagnostics]\nx = 1\n".into()));
    let mut host = AnalysisHost::new();
    host.load("/".into(), files, Vec::new(), settings);
    host
}

/// (line, severity, code) of every diagnostic of the workspace, by file.
fn summary(host: &AnalysisHost) -> Vec<String> {
    let analysis = host.analysis();
    let mut out = Vec::new();
    for (path, diagnostics) in analysis.workspace_diagnostics().unwrap() {
        let index = analysis.line_index(&path).unwrap().unwrap();
        for d in diagnostics {
            let line = index
                .line_col(d.range.start(), flakelens_syntax::PositionEncoding::Utf8)
                .line
                + 1;
            out.push(format!(
                "{path}:{line} {:?} {}: {}",
                d.severity, d.code, d.message
            ));
        }
    }
    out
}

fn run(edit: (&str, &str), settings: Settings) -> Vec<String> {
    let edit = (edit.0.to_string(), edit.1.to_string());
    common::on_big_stack(move || summary(&host_with((&edit.0, &edit.1), settings)))
}

const PORT: &str = "port = 8420;";

#[test]
fn without_suppression_the_error_is_there() {
    assert_eq!(
        run((PORT, "port = \"8420\";"), Settings::default()),
        [format!("{NEPTUNE}:15 Error type-mismatch: services.poglets.port: expected a port (0–65535), found the string \"8420\"")]
    );
}

#[test]
fn a_comment_on_the_line_before_or_at_the_end_suppresses() {
    for edit in [
        "# flakelens: ignore[type-mismatch]\n      port = \"8420\";",
        "# flakelens: ignore\n      port = \"8420\";",
        "port = \"8420\"; # flakelens: ignore[type-mismatch] intentional",
        "port = \"8420\"; # flakelens: ignore[unknown-option, type-mismatch]",
    ] {
        assert_eq!(
            run((PORT, edit), Settings::default()),
            Vec::<String>::new(),
            "{edit}"
        );
    }
}

#[test]
fn a_suppression_covering_nothing_is_a_warning() {
    // Wrong code: the error stays and the comment is unused.
    assert_eq!(
        run(
            (PORT, "port = \"8420\"; # flakelens: ignore[unknown-option]"),
            Settings::default()
        ),
        [
            format!("{NEPTUNE}:15 Error type-mismatch: services.poglets.port: expected a port (0–65535), found the string \"8420\""),
            format!("{NEPTUNE}:15 Warning unused-suppression: this suppression is unused: no unknown-option diagnostic on line 15"),
        ]
    );
    // A trailing comment covers its own line only, not the next one.
    assert_eq!(
        run(
            ("enable = true;", "enable = true; # flakelens: ignore"),
            Settings::default()
        ),
        [format!("{NEPTUNE}:14 Warning unused-suppression: this suppression is unused: no diagnostic on line 14")]
    );
    // Inside a string it is not a comment.
    assert_eq!(
        run(
            (
                "enable = true;",
                "enable = true; x = \"# flakelens: ignore\";"
            ),
            Settings::default()
        )
        .iter()
        .filter(|line| line.contains("unused-suppression"))
        .count(),
        0
    );
}

fn levels(list: &[(&str, DiagnosticLevel)]) -> Settings {
    Settings {
        diagnostic_levels: list.iter().map(|(c, l)| (c.to_string(), *l)).collect(),
        ..Settings::default()
    }
}

#[test]
fn diagnostics_levels_change_severity_or_remove() {
    let broken = (PORT, "port = \"8420\";");
    assert_eq!(
        run(broken, levels(&[("type-mismatch", DiagnosticLevel::Warning)])),
        [format!("{NEPTUNE}:15 Warning type-mismatch: services.poglets.port: expected a port (0–65535), found the string \"8420\"")]
    );
    assert_eq!(
        run(broken, levels(&[("type-mismatch", DiagnosticLevel::Off)])),
        Vec::<String>::new()
    );
    // A suppression of a code that is off is still used (no warning), and
    // unused-suppression can itself be turned off.
    assert_eq!(
        run(
            (PORT, "port = \"8420\"; # flakelens: ignore[type-mismatch]"),
            levels(&[("type-mismatch", DiagnosticLevel::Off)])
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        run(
            ("enable = true;", "enable = true; # flakelens: ignore"),
            levels(&[("unused-suppression", DiagnosticLevel::Off)])
        ),
        Vec::<String>::new()
    );
}

#[test]
fn excluded_files_report_nothing_and_settings_problems_show() {
    let broken = (PORT, "port = \"8420\";");
    let settings = Settings {
        exclude: vec!["hosts/*/configuration.nix".into()],
        ..Settings::default()
    };
    assert_eq!(run(broken, settings), Vec::<String>::new());
    let settings = Settings {
        exclude: vec!["*.nix".into()],
        problems: vec![SettingsProblem {
            path: "/flakelens.toml".into(),
            start: 14,
            end: 15,
            message: "unknown diagnostic code `x`; ignored".into(),
            is_error: false,
        }],
        ..Settings::default()
    };
    // `*` does not cross `/`: neptune is not excluded by `*.nix`.
    assert_eq!(
        run(broken, settings),
        [
            "/flakelens.toml:2 Warning invalid-config: unknown diagnostic code `x`; ignored".to_string(),
            format!("{NEPTUNE}:15 Error type-mismatch: services.poglets.port: expected a port (0–65535), found the string \"8420\""),
        ]
    );
}
