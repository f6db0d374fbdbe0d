//! Diagnostics to the client: pushed (`publish_all`, after every change
//! and load) and their conversion to LSP (`to_lsp`).

use std::collections::HashMap;

use flakelens_ide::{Analysis, Severity};
use flakelens_syntax::PositionEncoding;
use tower_lsp::lsp_types::*;

use super::convert;
use super::server::{lock, Backend};

impl Backend {
    /// Publishes diagnostics for every file that has (or had) some.
    ///
    /// A client that pulls gets the open documents' diagnostics by pull
    /// only (push clears what it pushed before they were opened), and a
    /// `workspace/diagnostic/refresh` when one of them changed.
    ///
    /// Nothing is published before the initial load ends: a file opened
    /// earlier would be analysed without its imports (and against a root
    /// of `/`). The load publishes for every open file when it is done.
    pub(super) async fn publish_all(&self) {
        if !*self.ready.borrow() {
            return;
        }
        let (generation, open, hints) = {
            let state = lock(&self.state);
            let hints =
                super::document::lsp_setting(state.editor_settings.as_ref(), "unusedHints", false);
            let open: Vec<String> = state.documents.keys().cloned().collect();
            (state.generation, open, hints)
        };
        let result = self
            .read(move |analysis, encoding| {
                let all = analysis.workspace_diagnostics()?;
                let mut out: Vec<(String, Vec<Diagnostic>)> = Vec::new();
                for (path, diagnostics) in all {
                    let Some(index) = analysis.line_index(&path)? else {
                        // Unreadable file: report at the start.
                        out.push((
                            path,
                            diagnostics
                                .iter()
                                .map(|d| to_lsp(analysis, d, None, encoding))
                                .collect(),
                        ));
                        continue;
                    };
                    let converted: Vec<Diagnostic> = diagnostics
                        .iter()
                        .map(|d| to_lsp(analysis, d, Some(&index), encoding))
                        .collect();
                    out.push((path, converted));
                }
                if hints {
                    // Open documents only: hints are for the editor.
                    for path in &open {
                        let unused = unused_hints(analysis, path, encoding)?;
                        if unused.is_empty() {
                            continue;
                        }
                        match out.iter_mut().find(|(p, _)| p == path) {
                            Some((_, diagnostics)) => diagnostics.extend(unused),
                            None => out.push((path.clone(), unused)),
                        }
                    }
                    out.sort_by(|a, b| a.0.cmp(&b.0));
                }
                Ok(out)
            })
            .await;
        let Ok(per_file) = result else {
            return;
        };
        let (stale, versions, per_file, refresh) = {
            let mut state = lock(&self.state);
            if state.generation != generation {
                // A newer change will publish.
                return;
            }
            let mut per_file = per_file;
            let mut refresh = false;
            if state.pull_diagnostics {
                // Ask for a new pull when what a pull answered is out of date.
                let current = |path: &str| {
                    per_file
                        .iter()
                        .find(|(p, _)| p == path)
                        .map_or(&[][..], |(_, d)| d.as_slice())
                };
                let open: Vec<String> = state.documents.keys().cloned().collect();
                state.pulled.retain(|path, _| open.contains(path));
                refresh = state.diagnostic_refresh
                    && state
                        .pulled
                        .iter()
                        .any(|(path, pulled)| current(path) != pulled.as_slice());
                per_file.retain(|(path, _)| !state.documents.contains_key(path));
            }
            let now: std::collections::HashSet<String> = per_file
                .iter()
                .map(|(path, _): &(String, Vec<Diagnostic>)| path.clone())
                .collect();
            // Files that lost their diagnostics, and open documents without
            // any (clients like a publication after every change).
            let mut stale: Vec<String> = state.published.difference(&now).cloned().collect();
            if !state.pull_diagnostics {
                for path in state.documents.keys() {
                    if !now.contains(path) && !stale.contains(path) {
                        stale.push(path.clone());
                    }
                }
            }
            state.published = now;
            let versions: HashMap<String, i32> = state
                .documents
                .iter()
                .map(|(path, document)| (path.clone(), document.version))
                .collect();
            (stale, versions, per_file, refresh)
        };
        if refresh {
            // In its own task: the answer must not hold up this handler,
            // and a request to the client must never be dropped.
            let client = self.client.clone();
            tokio::spawn(async move {
                let _ = client.workspace_diagnostic_refresh().await;
            });
        }
        for path in stale {
            if let Some(uri) = convert::uri_of(&path) {
                self.client
                    .publish_diagnostics(uri, Vec::new(), versions.get(&path).copied())
                    .await;
            }
        }
        for (path, diagnostics) in per_file {
            if let Some(uri) = convert::uri_of(&path) {
                self.client
                    .publish_diagnostics(uri, diagnostics, versions.get(&path).copied())
                    .await;
            }
        }
    }
}

impl Backend {
    /// `textDocument/diagnostic`: the document's diagnostics, computed on
    /// the loaded workspace (the request waits for the initial load).
    pub(super) async fn pull_diagnostics(
        &self,
        params: DocumentDiagnosticParams,
    ) -> tower_lsp::jsonrpc::Result<DocumentDiagnosticReportResult> {
        let empty = || {
            DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
                RelatedFullDocumentDiagnosticReport::default(),
            ))
        };
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(empty());
        };
        let pulled = path.clone();
        let hints = super::document::lsp_setting(
            lock(&self.state).editor_settings.as_ref(),
            "unusedHints",
            false,
        );
        let items = self
            .timed(
                "diagnostic",
                Some(&path.clone()),
                move |analysis, encoding| {
                    let index = analysis.line_index(&path)?;
                    let mut items: Vec<Diagnostic> = analysis
                        .diagnostics(&path)?
                        .iter()
                        .map(|d| to_lsp(analysis, d, index.as_deref(), encoding))
                        .collect();
                    if hints {
                        items.extend(unused_hints(analysis, &path, encoding)?);
                    }
                    Ok(items)
                },
            )
            .await?;
        lock(&self.state).pulled.insert(pulled, items.clone());
        Ok(DocumentDiagnosticReportResult::Report(
            DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: None,
                    items,
                },
            }),
        ))
    }
}

/// Unused `let` bindings and formals as faded-out hints (`Unnecessary`):
/// the editor's, not `flakelens check`'s.
fn unused_hints(
    analysis: &Analysis,
    path: &str,
    encoding: PositionEncoding,
) -> flakelens_ide::Cancellable<Vec<Diagnostic>> {
    let Some(index) = analysis.line_index(path)? else {
        return Ok(Vec::new());
    };
    Ok(analysis
        .unused_names(path)?
        .into_iter()
        .map(|unused| Diagnostic {
            range: convert::range(&index, unused.range, encoding),
            severity: Some(DiagnosticSeverity::HINT),
            code: Some(NumberOrString::String("unused-binding".into())),
            source: Some("flakelens".into()),
            message: unused.message(),
            tags: Some(vec![DiagnosticTag::UNNECESSARY]),
            ..Diagnostic::default()
        })
        .collect())
}

pub(super) fn to_lsp(
    analysis: &Analysis,
    diagnostic: &flakelens_ide::Diagnostic,
    index: Option<&flakelens_syntax::LineIndex>,
    encoding: PositionEncoding,
) -> Diagnostic {
    let range = index
        .map(|index| convert::range(index, diagnostic.range, encoding))
        .unwrap_or_default();
    // "option declared here" and friends, in their own files.
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .related
        .iter()
        .filter_map(|(position, message)| {
            let index = analysis.line_index(&position.path).ok()??;
            Some(DiagnosticRelatedInformation {
                location: Location::new(
                    convert::uri_of(&position.path)?,
                    convert::range(&index, position.range, encoding),
                ),
                message: message.clone(),
            })
        })
        .collect();
    Diagnostic {
        related_information: (!related.is_empty()).then_some(related),
        range,
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.to_string())),
        source: Some("flakelens".into()),
        message: diagnostic.message.clone(),
        ..Diagnostic::default()
    }
}
