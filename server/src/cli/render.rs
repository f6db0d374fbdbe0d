//! Human (rustc-style) and JSON rendering of diagnostics and listings.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use flakelens_ide::{Analysis, Diagnostic, ExplainInfo, HostInfo, OptionInfo, Severity};
use flakelens_syntax::{LineIndex, PositionEncoding, TextSize};
use serde_json::{json, Value};

use super::{relative, severity_name};

/// Everything `check` found, across workspaces.
#[derive(Default)]
pub struct Report {
    entries: Vec<Entry>,
    pub errors: usize,
    pub warnings: usize,
}

pub struct Entry {
    /// Display name (relative to the workspace root).
    pub name: String,
    pub path: String,
    pub text: Option<std::sync::Arc<str>>,
    pub diagnostics: Vec<Diagnostic>,
    /// Texts of files named by related locations.
    pub related_texts: Vec<(String, String, std::sync::Arc<str>)>,
}

impl Report {
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn add(&mut self, analysis: &Analysis, diagnostics: Vec<(String, Vec<Diagnostic>)>) {
        let root = analysis.root();
        for (path, diagnostics) in diagnostics {
            for diagnostic in &diagnostics {
                match diagnostic.severity {
                    Severity::Error => self.errors += 1,
                    Severity::Warning => self.warnings += 1,
                }
            }
            let mut related_texts = Vec::new();
            for diagnostic in &diagnostics {
                for (position, _) in &diagnostic.related {
                    if related_texts.iter().any(|(p, _, _)| *p == position.path) {
                        continue;
                    }
                    if let Some(text) = analysis.file_text(&position.path) {
                        related_texts.push((
                            position.path.clone(),
                            relative(&root, &position.path),
                            text,
                        ));
                    }
                }
            }
            self.entries.push(Entry {
                name: relative(&root, &path),
                text: analysis.file_text(&path),
                path,
                diagnostics,
                related_texts,
            });
        }
    }

    /// Rustc-style text; `quiet` leaves out the summary line.
    pub fn print_human(&self, colour: bool, quiet: bool) {
        let choice = if colour {
            termcolor::ColorChoice::Always
        } else {
            termcolor::ColorChoice::Never
        };
        let mut stdout = termcolor::StandardStream::stdout(choice);
        let config = term::Config::default();
        for entry in &self.entries {
            let mut files = SimpleFiles::new();
            let main = entry
                .text
                .as_ref()
                .map(|text| files.add(entry.name.clone(), text.to_string()));
            let related: Vec<(String, usize)> = entry
                .related_texts
                .iter()
                .map(|(path, name, text)| (path.clone(), files.add(name.clone(), text.to_string())))
                .collect();
            for diagnostic in &entry.diagnostics {
                let mut rendered = match diagnostic.severity {
                    Severity::Error => CsDiagnostic::error(),
                    Severity::Warning => CsDiagnostic::warning(),
                }
                .with_code(diagnostic.code)
                .with_message(&diagnostic.message);
                match main {
                    Some(file) => {
                        let mut labels = vec![Label::primary(
                            file,
                            usize::from(diagnostic.range.start())
                                ..usize::from(diagnostic.range.end()),
                        )];
                        for (position, message) in &diagnostic.related {
                            if let Some((_, id)) = related.iter().find(|(p, _)| *p == position.path)
                            {
                                labels.push(
                                    Label::secondary(
                                        *id,
                                        usize::from(position.range.start())
                                            ..usize::from(position.range.end()),
                                    )
                                    .with_message(message),
                                );
                            }
                        }
                        rendered = rendered.with_labels(labels);
                        let _ = term::emit(&mut stdout, &config, &files, &rendered);
                    }
                    None => {
                        println!(
                            "{}[{}]: {}\n  --> {}\n",
                            severity_name(diagnostic.severity),
                            diagnostic.code,
                            diagnostic.message,
                            entry.name
                        );
                    }
                }
            }
        }
        let files = self.entries.len();
        if quiet {
            return;
        }
        if self.errors == 0 && self.warnings == 0 {
            println!("no problems found");
        } else {
            println!(
                "{} error{}, {} warning{} in {} file{}",
                self.errors,
                plural(self.errors),
                self.warnings,
                plural(self.warnings),
                files,
                plural(files)
            );
        }
    }

    pub fn to_json(&self) -> Value {
        let mut diagnostics = Vec::new();
        for entry in &self.entries {
            let index = entry.text.as_ref().map(|text| LineIndex::new(text.clone()));
            for diagnostic in &entry.diagnostics {
                let related: Vec<Value> = diagnostic
                    .related
                    .iter()
                    .map(|(position, message)| {
                        let index = entry
                            .related_texts
                            .iter()
                            .find(|(p, _, _)| *p == position.path)
                            .map(|(_, _, text)| LineIndex::new(text.clone()));
                        json!({
                            "path": position.path,
                            "range": range_json(index.as_ref(), position.range.start(), position.range.end()),
                            "message": message,
                        })
                    })
                    .collect();
                let fixes: Vec<Value> = diagnostic
                    .fixes
                    .iter()
                    .map(|fix| {
                        json!({
                            "label": fix.label,
                            "path": fix.path,
                            "range": range_json(index.as_ref(), fix.range.start(), fix.range.end()),
                            "replacement": fix.replacement,
                        })
                    })
                    .collect();
                diagnostics.push(json!({
                    "file": entry.name,
                    "path": entry.path,
                    "severity": severity_name(diagnostic.severity),
                    "code": diagnostic.code,
                    "message": diagnostic.message,
                    "range": range_json(index.as_ref(), diagnostic.range.start(), diagnostic.range.end()),
                    "related": related,
                    "fixes": fixes,
                }));
            }
        }
        json!({
            "version": 1,
            "diagnostics": diagnostics,
            "summary": {
                "errors": self.errors,
                "warnings": self.warnings,
                "files": self.entries.len(),
            }
        })
    }

    pub fn print_json(&self) {
        println!(
            "{}",
            serde_json::to_string_pretty(&self.to_json()).unwrap_or_default()
        );
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// 1-based line and column; columns count Unicode scalar values.
fn position_json(index: Option<&LineIndex>, offset: TextSize) -> Value {
    match index {
        Some(index) => {
            let line_col = index.line_col(offset, PositionEncoding::Utf32);
            json!({
                "line": line_col.line + 1,
                "column": line_col.col + 1,
                "offset": u32::from(offset),
            })
        }
        None => json!({ "line": 1, "column": 1, "offset": 0 }),
    }
}

fn range_json(index: Option<&LineIndex>, start: TextSize, end: TextSize) -> Value {
    json!({ "start": position_json(index, start), "end": position_json(index, end) })
}

fn location(
    analysis: &Analysis,
    at: &Option<(String, flakelens_syntax::TextRange)>,
) -> Option<String> {
    let (path, range) = at.as_ref()?;
    let index = analysis.line_index(path).ok().flatten()?;
    let line_col = index.line_col(range.start(), PositionEncoding::Utf32);
    Some(format!(
        "{}:{}:{}",
        relative(&analysis.root(), path),
        line_col.line + 1,
        line_col.col + 1
    ))
}

pub fn print_options(analysis: &Analysis, options: &[OptionInfo], as_json: bool) {
    if as_json {
        let items: Vec<Value> = options
            .iter()
            .map(|option| {
                json!({
                    "path": option.path,
                    "kind": option.kind,
                    "type": option.type_name,
                    "default": option.default,
                    "description": option.description,
                    "example": option.example,
                    "aliasOf": option.alias_of,
                    "declaredAt": location(analysis, &option.declared_at),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "options": items })).unwrap_or_default()
        );
        return;
    }
    for option in options {
        println!("{}", option.path);
        println!("  type: {}", option.type_name);
        if let Some(alias) = &option.alias_of {
            println!("  alias of: {alias}");
        }
        if let Some(default) = &option.default {
            println!("  default: {}", one_line(default));
        }
        if let Some(description) = &option.description {
            println!("  description: {}", one_line(description));
        }
        if let Some(at) = location(analysis, &option.declared_at) {
            println!("  declared at: {at}");
        }
    }
    println!("{} option{}", options.len(), plural(options.len()));
}

fn one_line(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 100 {
        format!("{}…", line.chars().take(100).collect::<String>())
    } else {
        line
    }
}

pub fn print_hosts(
    analysis: &Analysis,
    hosts: &[HostInfo],
    explained: Option<&[ExplainInfo]>,
    as_json: bool,
) {
    let root = analysis.root();
    let rel =
        |paths: &[String]| -> Vec<String> { paths.iter().map(|p| relative(&root, p)).collect() };
    let explain_json = |items: &[ExplainInfo]| -> Vec<Value> {
        items
            .iter()
            .map(|e| {
                json!({
                    "subject": e.subject,
                    "reason": e.reason,
                    "at": location(analysis, &e.at),
                })
            })
            .collect()
    };
    if as_json {
        let items: Vec<Value> = hosts
            .iter()
            .map(|host| {
                json!({
                    "name": host.name,
                    "kind": host.kind,
                    "definedAt": location(analysis, &host.defined_at),
                    "roots": rel(&host.roots),
                    "closure": rel(&host.closure),
                    "inlineModules": host.inline_modules,
                    "externalModules": host.external_modules,
                    "missing": rel(&host.missing),
                    "hasUnknownModules": host.has_unknown_modules,
                })
            })
            .collect();
        let mut report = json!({ "hosts": items });
        if let Some(explained) = explained {
            report["explain"] = Value::Array(explain_json(explained));
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        return;
    }
    for host in hosts {
        println!("{} ({})", host.name, host.kind);
        if let Some(at) = location(analysis, &host.defined_at) {
            println!("  defined at: {at}");
        }
        for file in rel(&host.closure) {
            println!("  module: {file}");
        }
        if host.inline_modules > 0 {
            println!("  inline modules: {}", host.inline_modules);
        }
        for external in &host.external_modules {
            println!("  external: {external}");
        }
        for missing in rel(&host.missing) {
            println!("  missing: {missing}");
        }
        if host.has_unknown_modules {
            println!("  (some imports could not be resolved statically)");
        }
    }
    println!("{} host{}", hosts.len(), plural(hosts.len()));
    if let Some(explained) = explained {
        if explained.is_empty() {
            println!("everything host discovery met was worked out");
        }
        for e in explained {
            match location(analysis, &e.at) {
                Some(at) => println!("{}: {}\n  at {at}", e.subject, e.reason),
                None => println!("{}: {}", e.subject, e.reason),
            }
        }
    }
}
