//! What the user asked to see: a post-filter on one file's diagnostics.
//! Inline suppressions (`# flakelens: ignore[code]`), `[diagnostics]` level
//! overrides, `exclude` globs, and the problems of `flakelens.toml` itself.
//!
//! A suppression comment on a line of its own covers the next line; one at
//! the end of a line covers that line. It covers every diagnostic starting
//! on the covered line, of the listed codes (or of any code without a list).
//! A suppression that covers nothing is an `unused-suppression` warning.

use std::sync::{Arc, Mutex};

use flakelens_analysis::diagnostics::Severity;
use flakelens_db::{paths, Db, DiagnosticLevel, Settings, SourceFile};
use flakelens_syntax::{PositionEncoding, SyntaxKind, TextRange, TextSize};

use crate::Diagnostic;

pub const UNUSED_SUPPRESSION: &str = "unused-suppression";
pub const INVALID_CONFIG: &str = "invalid-config";

/// One `# flakelens: ignore…` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub range: TextRange,
    /// 0-based line whose diagnostics it covers.
    pub line: u32,
    /// Empty: every code.
    pub codes: Vec<String>,
}

/// The codes a comment's text suppresses: `Some(vec![])` for all, `None`
/// when the comment is not a suppression.
pub fn parse_suppression(comment: &str) -> Option<Vec<String>> {
    let text = comment.strip_prefix('#')?.trim_start();
    let rest = text.strip_prefix("flakelens:")?.trim_start();
    let rest = rest.strip_prefix("ignore")?;
    if let Some(list) = rest.strip_prefix('[') {
        let (list, _) = list.split_once(']')?;
        let codes: Vec<String> = list
            .split(',')
            .map(|code| code.trim().to_string())
            .filter(|code| !code.is_empty())
            .collect();
        return (!codes.is_empty()).then_some(codes);
    }
    // `ignore` alone, or followed by a reason after whitespace.
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(Vec::new)
}

/// Every suppression comment of a Nix file.
pub fn suppressions(db: &dyn Db, file: SourceFile) -> Vec<Suppression> {
    let text = file.text(db);
    if !text.contains("flakelens:") {
        return Vec::new();
    }
    let index = flakelens_db::line_index(db, file);
    let root = flakelens_db::parse(db, file).syntax();
    root.descendants_with_tokens()
        .filter_map(|element| element.into_token())
        .filter(|token| token.kind() == SyntaxKind::TOKEN_COMMENT)
        .filter_map(|token| {
            let codes = parse_suppression(token.text())?;
            let range = token.text_range();
            let line = index.line_col(range.start(), PositionEncoding::Utf8).line;
            let start = usize::from(range.start());
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let own_line = text[line_start..start].trim().is_empty();
            Some(Suppression {
                range,
                line: if own_line { line + 1 } else { line },
                codes,
            })
        })
        .collect()
}

fn level_of(settings: &Settings, code: &str) -> Option<DiagnosticLevel> {
    settings
        .diagnostic_levels
        .iter()
        .find(|(c, _)| c == code)
        .map(|(_, level)| *level)
}

/// Whether `path` matches one of the `exclude` globs (relative to `root`).
pub fn is_excluded(settings: &Settings, root: &str, path: &str) -> bool {
    if settings.exclude.is_empty() {
        return false;
    }
    exclude_set(&settings.exclude).is_match(paths::relative_to(path, root))
}

/// The compiled `exclude` globs. Compiled once per distinct list, not once
/// per file: a workspace check asks for every file.
fn exclude_set(globs: &[String]) -> Arc<globset::GlobSet> {
    static CACHE: Mutex<Option<(Vec<String>, Arc<globset::GlobSet>)>> = Mutex::new(None);
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((cached, set)) = cache.as_ref() {
        if cached == globs {
            return set.clone();
        }
    }
    let mut builder = globset::GlobSetBuilder::new();
    for glob in globs {
        // Invalid globs were reported (and dropped) when the settings were read.
        if let Ok(glob) = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
        {
            builder.add(glob);
        }
    }
    let set = Arc::new(
        builder
            .build()
            .unwrap_or_else(|_| globset::GlobSet::empty()),
    );
    *cache = Some((globs.to_vec(), set.clone()));
    set
}

/// The diagnostics of `path` as the user sees them.
pub fn apply(db: &dyn Db, path: &str, mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let workspace = db.workspace();
    let settings = workspace.settings(db);
    if is_excluded(settings, workspace.root(db), path) {
        return Vec::new();
    }
    for problem in settings.problems.iter().filter(|p| p.path == path) {
        diagnostics.push(Diagnostic {
            range: TextRange::new(TextSize::from(problem.start), TextSize::from(problem.end)),
            severity: if problem.is_error {
                Severity::Error
            } else {
                Severity::Warning
            },
            code: INVALID_CONFIG,
            message: problem.message.clone(),
            related: Vec::new(),
            fixes: Vec::new(),
        });
    }
    if let Some(file) = flakelens_db::file_at(db, path).filter(|_| path.ends_with(".nix")) {
        diagnostics = suppress(db, file, diagnostics);
    }
    diagnostics.retain_mut(|diagnostic| match level_of(settings, diagnostic.code) {
        Some(DiagnosticLevel::Off) => false,
        Some(DiagnosticLevel::Warning) => {
            diagnostic.severity = Severity::Warning;
            true
        }
        Some(DiagnosticLevel::Error) => {
            diagnostic.severity = Severity::Error;
            true
        }
        None => true,
    });
    diagnostics.sort_by_key(|d| (d.range.start(), d.range.end(), d.code));
    diagnostics
}

fn suppress(db: &dyn Db, file: SourceFile, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let suppressions = suppressions(db, file);
    if suppressions.is_empty() {
        return diagnostics;
    }
    let index = flakelens_db::line_index(db, file);
    let mut used = vec![false; suppressions.len()];
    let mut kept: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|diagnostic| {
            let line = index
                .line_col(diagnostic.range.start(), PositionEncoding::Utf8)
                .line;
            let mut suppressed = false;
            for (suppression, used) in suppressions.iter().zip(used.iter_mut()) {
                let covers = suppression.line == line
                    && (suppression.codes.is_empty()
                        || suppression.codes.iter().any(|c| c == diagnostic.code));
                if covers {
                    *used = true;
                    suppressed = true;
                }
            }
            !suppressed
        })
        .collect();
    for (suppression, used) in suppressions.iter().zip(used) {
        if used {
            continue;
        }
        let what = if suppression.codes.is_empty() {
            "no diagnostic".to_string()
        } else {
            format!("no {} diagnostic", suppression.codes.join(" or "))
        };
        kept.push(Diagnostic {
            range: suppression.range,
            severity: Severity::Warning,
            code: UNUSED_SUPPRESSION,
            message: format!(
                "this suppression is unused: {what} on line {}",
                suppression.line + 1
            ),
            related: Vec::new(),
            fixes: vec![crate::TextFix {
                label: "Remove the unused suppression".to_string(),
                path: file.path(db).clone(),
                range: suppression.range,
                replacement: String::new(),
            }],
        });
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::parse_suppression;

    #[test]
    fn suppression_comments() {
        let all = Some(Vec::<String>::new());
        assert_eq!(parse_suppression("# flakelens: ignore"), all);
        assert_eq!(parse_suppression("#flakelens:ignore"), all);
        assert_eq!(
            parse_suppression("# flakelens: ignore  string on purpose"),
            all
        );
        assert_eq!(
            parse_suppression("# flakelens: ignore[type-mismatch, unknown-option] why"),
            Some(vec!["type-mismatch".into(), "unknown-option".into()])
        );
        assert_eq!(parse_suppression("# flakelens: ignored"), None);
        assert_eq!(parse_suppression("# flakelens: ignore["), None);
        assert_eq!(parse_suppression("# flakelens: ignore[]"), None);
        assert_eq!(parse_suppression("# see flakelens: ignore"), None);
        assert_eq!(parse_suppression("/* flakelens: ignore */"), None);
    }
}
