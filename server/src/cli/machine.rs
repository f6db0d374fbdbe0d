//! Machine formats of `check`: SARIF 2.1.0 and GitHub Actions workflow
//! commands. Both name files relative to the directory flakelens runs in
//! (in CI, the checkout), which is what code scanning and annotations expect.

use flakelens_ide::Severity;
use flakelens_syntax::{LineIndex, PositionEncoding, TextSize};
use serde_json::{json, Value};

use super::render::Report;
use super::rules::{self, RULES};
use super::severity_name;

/// 1-based line and column (Unicode scalar values); the end is exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

pub struct Place {
    /// Relative to the base directory when below it, else absolute.
    pub file: String,
    pub span: Span,
}

pub struct Located {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub place: Place,
    pub related: Vec<(Place, String)>,
}

fn span(index: Option<&LineIndex>, start: TextSize, end: TextSize) -> Span {
    let Some(index) = index else {
        return Span {
            start_line: 1,
            start_column: 1,
            end_line: 1,
            end_column: 1,
        };
    };
    let start = index.line_col(start, PositionEncoding::Utf32);
    let end = index.line_col(end, PositionEncoding::Utf32);
    Span {
        start_line: start.line + 1,
        start_column: start.col + 1,
        end_line: end.line + 1,
        end_column: end.col + 1,
    }
}

/// `path` relative to `base` (both VFS paths) when it lies below it.
pub fn relative_to_base(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    match path
        .strip_prefix(base)
        .and_then(|rest| rest.strip_prefix('/'))
    {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => path.to_string(),
    }
}

/// Every diagnostic of the report with line/column positions, files named
/// relative to `base`.
pub fn locate(report: &Report, base: &str) -> Vec<Located> {
    let mut out = Vec::new();
    for entry in report.entries() {
        let index = entry.text.as_ref().map(|text| LineIndex::new(text.clone()));
        for diagnostic in &entry.diagnostics {
            let related = diagnostic
                .related
                .iter()
                .map(|(position, message)| {
                    let index = entry
                        .related_texts
                        .iter()
                        .find(|(p, _, _)| *p == position.path)
                        .map(|(_, _, text)| LineIndex::new(text.clone()));
                    (
                        Place {
                            file: relative_to_base(base, &position.path),
                            span: span(
                                index.as_ref(),
                                position.range.start(),
                                position.range.end(),
                            ),
                        },
                        message.clone(),
                    )
                })
                .collect();
            out.push(Located {
                severity: diagnostic.severity,
                code: diagnostic.code,
                message: diagnostic.message.clone(),
                place: Place {
                    file: relative_to_base(base, &entry.path),
                    span: span(
                        index.as_ref(),
                        diagnostic.range.start(),
                        diagnostic.range.end(),
                    ),
                },
                related,
            });
        }
    }
    out
}

// ---- GitHub Actions workflow commands

/// Escaping of a workflow command's message (GitHub's `escapeData`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a workflow command's property value (`escapeProperty`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error …::message` (or `::warning`) line per diagnostic.
pub fn github_commands(located: &[Located]) -> String {
    let mut out = String::new();
    for item in located {
        let span = item.place.span;
        let command = match item.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&item.place.file),
            span.start_line,
            span.start_column,
            span.end_line,
            span.end_column,
            escape_property(item.code),
            escape_data(&item.message),
        ));
    }
    out
}

// ---- SARIF 2.1.0

pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Percent-encodes a relative path for a URI reference: unreserved
/// characters and `/` stay, everything else (spaces, `#`, `%`, non-ASCII
/// bytes) is encoded.
pub fn uri_path(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn sarif_location(place: &Place, message: Option<&str>, id: Option<usize>) -> Value {
    let absolute = place.file.starts_with('/');
    let artifact = if absolute {
        json!({ "uri": format!("file://{}", uri_path(&place.file)) })
    } else {
        json!({ "uri": uri_path(&place.file), "uriBaseId": "%SRCROOT%" })
    };
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {
                "startLine": place.span.start_line,
                "startColumn": place.span.start_column,
                "endLine": place.span.end_line,
                "endColumn": place.span.end_column,
            }
        }
    });
    if let Some(id) = id {
        location["id"] = json!(id);
    }
    if let Some(message) = message {
        location["message"] = json!({ "text": message });
    }
    location
}

/// The whole SARIF log: one run, the rules of every known code (and of any
/// code a newer analysis emits that the table does not know yet).
pub fn sarif(located: &[Located], base: &str, version: &str) -> Value {
    let mut rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.code,
                "shortDescription": { "text": rule.short },
                "fullDescription": { "text": rule.full },
                "helpUri": rules::help_uri(rule.code),
                "defaultConfiguration": { "level": rule.default_level },
            })
        })
        .collect();
    let mut ids: Vec<&str> = RULES.iter().map(|rule| rule.code).collect();
    for item in located {
        if !ids.contains(&item.code) {
            ids.push(item.code);
            rules.push(json!({
                "id": item.code,
                "shortDescription": { "text": item.code },
                "helpUri": rules::help_uri(item.code),
            }));
        }
    }
    let results: Vec<Value> = located
        .iter()
        .map(|item| {
            let mut result = json!({
                "ruleId": item.code,
                "ruleIndex": ids.iter().position(|id| *id == item.code).unwrap_or(0),
                "level": severity_name(item.severity),
                "message": { "text": item.message },
                "locations": [sarif_location(&item.place, None, None)],
            });
            if !item.related.is_empty() {
                result["relatedLocations"] = Value::Array(
                    item.related
                        .iter()
                        .enumerate()
                        .map(|(id, (place, message))| {
                            sarif_location(place, Some(message), Some(id))
                        })
                        .collect(),
                );
            }
            result
        })
        .collect();
    let base_uri = format!("file://{}/", uri_path(base.trim_end_matches('/')));
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "flakelens",
                    "semanticVersion": version,
                    "informationUri": rules::DOCS_URL,
                    "rules": rules,
                }
            },
            "originalUriBaseIds": { "%SRCROOT%": { "uri": base_uri } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escaping_follows_the_actions_toolkit() {
        assert_eq!(
            escape_data("50% done\r\nnext: a, b"),
            "50%25 done%0D%0Anext: a, b"
        );
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        let located = [Located {
            severity: Severity::Warning,
            code: "x",
            message: "line one\nline two: 100%".into(),
            place: Place {
                file: "dir,1/a:b.nix".into(),
                span: Span {
                    start_line: 1,
                    start_column: 2,
                    end_line: 3,
                    end_column: 4,
                },
            },
            related: Vec::new(),
        }];
        assert_eq!(
            github_commands(&located),
            "::warning file=dir%2C1/a%3Ab.nix,line=1,col=2,endLine=3,endColumn=4,title=x::line one%0Aline two: 100%25\n"
        );
    }

    #[test]
    fn uris_are_percent_encoded_and_relative_below_the_base() {
        assert_eq!(uri_path("a b/#1/ü.nix"), "a%20b/%231/%C3%BC.nix");
        assert_eq!(
            relative_to_base("/repo", "/repo/hosts/a.nix"),
            "hosts/a.nix"
        );
        assert_eq!(relative_to_base("/repo/", "/repo/a.nix"), "a.nix");
        assert_eq!(
            relative_to_base("/repo", "/repository/a.nix"),
            "/repository/a.nix"
        );
        assert_eq!(relative_to_base("/", "/a.nix"), "a.nix");
    }
}
