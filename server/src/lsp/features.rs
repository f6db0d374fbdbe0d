//! Request handlers' bodies: convert LSP params to offsets, call the ide
//! layer, convert the answer back. They run on a snapshot off the async
//! runtime (see `Backend::read`).

use std::collections::HashMap;

use flakelens_ide::code_actions::CodeAction as IdeCodeAction;
use flakelens_ide::completion::CompletionKind;
use flakelens_ide::symbols::{DocumentSymbol as IdeSymbol, SymbolKind as IdeSymbolKind};
use flakelens_ide::{Analysis, Cancellable};
use flakelens_syntax::{PositionEncoding, TextRange, TextSize};
use tower_lsp::lsp_types::*;

use super::convert;

/// The offset of an LSP position in a file (`None`: unknown file or a
/// position outside it).
pub fn offset(
    analysis: &Analysis,
    path: &str,
    position: Position,
    encoding: PositionEncoding,
) -> Cancellable<Option<TextSize>> {
    Ok(index_and_offset(analysis, path, position, encoding)?.map(|(_, offset)| offset))
}

/// The file's line index and the offset of an LSP position in it.
fn index_and_offset(
    analysis: &Analysis,
    path: &str,
    position: Position,
    encoding: PositionEncoding,
) -> Cancellable<
    Option<(
        std::sync::Arc<flakelens_syntax::LineIndex>,
        flakelens_syntax::TextSize,
    )>,
> {
    let Some(index) = analysis.line_index(path)? else {
        return Ok(None);
    };
    Ok(convert::offset(&index, position, encoding).map(|offset| (index, offset)))
}

pub fn location(
    analysis: &Analysis,
    path: &str,
    range: TextRange,
    encoding: PositionEncoding,
) -> Cancellable<Option<Location>> {
    let Some(uri) = convert::uri_of(path) else {
        return Ok(None);
    };
    let Some(index) = analysis.line_index(path)? else {
        return Ok(None);
    };
    Ok(Some(Location::new(
        uri,
        convert::range(&index, range, encoding),
    )))
}

pub fn definition(
    analysis: &Analysis,
    path: &str,
    position: Position,
    encoding: PositionEncoding,
) -> Cancellable<Option<GotoDefinitionResponse>> {
    let Some(offset) = offset(analysis, path, position, encoding)? else {
        return Ok(None);
    };
    let mut locations = Vec::new();
    for target in analysis.goto_definition(path, offset)? {
        if let Some(location) = location(analysis, &target.path, target.focus_range, encoding)? {
            locations.push(location);
        }
    }
    if locations.is_empty() {
        // `pkgs.poglets` → its recipe.
        if let Some((target, range)) = analysis.package_definition(path, offset)? {
            if let Some(location) = location(analysis, &target, range, encoding)? {
                locations.push(location);
            }
        }
    }
    Ok(match locations.len() {
        0 => None,
        1 => Some(GotoDefinitionResponse::Scalar(locations.remove(0))),
        _ => Some(GotoDefinitionResponse::Array(locations)),
    })
}

pub fn completion(
    analysis: &Analysis,
    path: &str,
    position: Position,
    encoding: PositionEncoding,
) -> Cancellable<Option<CompletionResponse>> {
    let Some((index, offset)) = index_and_offset(analysis, path, position, encoding)? else {
        return Ok(None);
    };
    let items = analysis.completions(path, offset)?;
    if items.is_empty() {
        return package_completion(analysis, path, offset, &index, encoding);
    }
    let items = items
        .into_iter()
        .enumerate()
        .map(|(rank, item)| {
            let kind = match item.kind {
                CompletionKind::Option => CompletionItemKind::PROPERTY,
                CompletionKind::Namespace => CompletionItemKind::MODULE,
                CompletionKind::Value => CompletionItemKind::VALUE,
            };
            let range = convert::range(&index, item.replace, encoding);
            lsp_completion_item(
                item.label,
                kind,
                item.detail,
                item.documentation,
                rank,
                range,
                item.insert,
            )
        })
        .collect();
    Ok(Some(CompletionResponse::List(CompletionList {
        is_incomplete: false,
        items,
    })))
}

/// An LSP completion item that replaces `range` by `new_text`.
#[allow(clippy::too_many_arguments)]
fn lsp_completion_item(
    label: String,
    kind: CompletionItemKind,
    detail: Option<String>,
    documentation: Option<String>,
    rank: usize,
    range: Range,
    new_text: String,
) -> CompletionItem {
    CompletionItem {
        filter_text: Some(label.clone()),
        label,
        kind: Some(kind),
        detail,
        documentation: documentation.map(|value| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            })
        }),
        sort_text: Some(format!("{rank:05}")),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit { range, new_text })),
        ..CompletionItem::default()
    }
}

fn package_completion(
    analysis: &Analysis,
    path: &str,
    offset: TextSize,
    index: &flakelens_syntax::LineIndex,
    encoding: PositionEncoding,
) -> Cancellable<Option<CompletionResponse>> {
    use flakelens_ide::packages::PackageCompletionKind;
    let items = analysis.package_completions(path, offset)?;
    if items.is_empty() {
        return Ok(None);
    }
    let items = items
        .into_iter()
        .enumerate()
        .map(|(rank, item)| {
            let kind = match item.kind {
                PackageCompletionKind::Package => CompletionItemKind::CLASS,
                PackageCompletionKind::Namespace => CompletionItemKind::MODULE,
            };
            let detail = item.version.clone().or(item.description.clone());
            let range = convert::range(index, item.replace, encoding);
            let new_text = item.label.clone();
            lsp_completion_item(
                item.label,
                kind,
                detail,
                item.documentation,
                rank,
                range,
                new_text,
            )
        })
        .collect();
    Ok(Some(CompletionResponse::List(CompletionList {
        is_incomplete: false,
        items,
    })))
}

pub fn hover(
    analysis: &Analysis,
    path: &str,
    position: Position,
    encoding: PositionEncoding,
) -> Cancellable<Option<Hover>> {
    let Some((index, offset)) = index_and_offset(analysis, path, position, encoding)? else {
        return Ok(None);
    };
    let (range, markdown) = match analysis.hover(path, offset)? {
        Some(hover) => (hover.range, hover.markdown),
        None => match analysis.package_hover(path, offset)? {
            Some(found) => found,
            None => return Ok(None),
        },
    };
    Ok(Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(convert::range(&index, range, encoding)),
    }))
}

pub fn references(
    analysis: &Analysis,
    path: &str,
    position: Position,
    include_declaration: bool,
    encoding: PositionEncoding,
) -> Cancellable<Option<Vec<Location>>> {
    let Some(offset) = offset(analysis, path, position, encoding)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for reference in analysis.references(path, offset, include_declaration)? {
        if let Some(location) = location(analysis, &reference.path, reference.range, encoding)? {
            out.push(location);
        }
    }
    Ok(Some(out))
}

fn symbol_kind(kind: IdeSymbolKind) -> SymbolKind {
    match kind {
        IdeSymbolKind::OptionDeclaration => SymbolKind::PROPERTY,
        IdeSymbolKind::OptionDefinition => SymbolKind::FIELD,
        IdeSymbolKind::Namespace => SymbolKind::NAMESPACE,
        IdeSymbolKind::Variable => SymbolKind::VARIABLE,
        IdeSymbolKind::Attribute => SymbolKind::KEY,
        IdeSymbolKind::Host => SymbolKind::CLASS,
        IdeSymbolKind::Module => SymbolKind::MODULE,
    }
}

pub fn document_symbols(
    analysis: &Analysis,
    path: &str,
    hierarchical: bool,
    encoding: PositionEncoding,
) -> Cancellable<Option<DocumentSymbolResponse>> {
    let Some(index) = analysis.line_index(path)? else {
        return Ok(None);
    };
    let symbols = analysis.document_symbols(path)?;
    #[allow(deprecated)]
    fn nested(
        symbol: &IdeSymbol,
        index: &flakelens_syntax::LineIndex,
        encoding: PositionEncoding,
    ) -> DocumentSymbol {
        DocumentSymbol {
            name: symbol.name.clone(),
            detail: symbol.detail.clone(),
            kind: symbol_kind(symbol.kind),
            tags: None,
            deprecated: None,
            range: convert::range(index, symbol.full_range, encoding),
            selection_range: convert::range(index, symbol.focus_range, encoding),
            children: Some(
                symbol
                    .children
                    .iter()
                    .map(|child| nested(child, index, encoding))
                    .collect(),
            ),
        }
    }
    if hierarchical {
        return Ok(Some(DocumentSymbolResponse::Nested(
            symbols
                .iter()
                .map(|s| nested(s, &index, encoding))
                .collect(),
        )));
    }
    let Some(uri) = convert::uri_of(path) else {
        return Ok(None);
    };
    let mut flat = Vec::new();
    #[allow(deprecated)]
    fn flatten(
        symbols: &[IdeSymbol],
        container: Option<&str>,
        uri: &Url,
        index: &flakelens_syntax::LineIndex,
        encoding: PositionEncoding,
        out: &mut Vec<SymbolInformation>,
    ) {
        for symbol in symbols {
            out.push(SymbolInformation {
                name: symbol.detail.clone().unwrap_or_else(|| symbol.name.clone()),
                kind: symbol_kind(symbol.kind),
                tags: None,
                deprecated: None,
                location: Location::new(
                    uri.clone(),
                    convert::range(index, symbol.full_range, encoding),
                ),
                container_name: container.map(str::to_string),
            });
            flatten(
                &symbol.children,
                Some(&symbol.name),
                uri,
                index,
                encoding,
                out,
            );
        }
    }
    flatten(&symbols, None, &uri, &index, encoding, &mut flat);
    Ok(Some(DocumentSymbolResponse::Flat(flat)))
}

pub fn workspace_symbols(
    analysis: &Analysis,
    query: &str,
    encoding: PositionEncoding,
) -> Cancellable<Option<Vec<SymbolInformation>>> {
    let mut out = Vec::new();
    for symbol in analysis.workspace_symbols(query)? {
        let Some(location) = location(analysis, &symbol.path, symbol.range, encoding)? else {
            continue;
        };
        #[allow(deprecated)]
        out.push(SymbolInformation {
            name: symbol.name,
            kind: symbol_kind(symbol.kind),
            tags: None,
            deprecated: None,
            location,
            container_name: symbol.container,
        });
    }
    // The repo's packages.
    let query_lower = query.to_lowercase();
    for package in analysis.packages()? {
        let name = format!("pkgs.{}", package.name);
        let mut chars = name.chars().flat_map(char::to_lowercase);
        if !query_lower.chars().all(|wanted| chars.any(|c| c == wanted)) || !package.recipe_exists {
            continue;
        }
        let line = package.recipe_line.unwrap_or(1).saturating_sub(1);
        let Some(uri) = convert::uri_of(&package.recipe) else {
            continue;
        };
        #[allow(deprecated)]
        out.push(SymbolInformation {
            name,
            kind: SymbolKind::PACKAGE,
            tags: None,
            deprecated: None,
            location: Location::new(
                uri,
                Range::new(Position::new(line, 0), Position::new(line, 0)),
            ),
            container_name: package.version,
        });
    }
    Ok(Some(out))
}

pub fn code_actions(
    analysis: &Analysis,
    path: &str,
    range: Range,
    encoding: PositionEncoding,
) -> Cancellable<Option<CodeActionResponse>> {
    let Some(index) = analysis.line_index(path)? else {
        return Ok(None);
    };
    let (Some(start), Some(end)) = (
        convert::offset(&index, range.start, encoding),
        convert::offset(&index, range.end, encoding),
    ) else {
        return Ok(None);
    };
    if start > end {
        return Ok(None);
    }
    let actions = analysis.code_actions(path, TextRange::new(start, end))?;
    let mut out = Vec::new();
    for action in actions {
        if let Some(action) = code_action(analysis, &action, &index, encoding)? {
            out.push(CodeActionOrCommand::CodeAction(action));
        }
    }
    Ok(Some(out))
}

fn code_action(
    analysis: &Analysis,
    action: &IdeCodeAction,
    index: &flakelens_syntax::LineIndex,
    encoding: PositionEncoding,
) -> Cancellable<Option<CodeAction>> {
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    for edit in &action.edits {
        let Some(uri) = convert::uri_of(&edit.path) else {
            return Ok(None);
        };
        let Some(edit_index) = analysis.line_index(&edit.path)? else {
            return Ok(None);
        };
        changes.entry(uri).or_default().push(TextEdit {
            range: convert::range(&edit_index, edit.range, encoding),
            new_text: edit.replacement.clone(),
        });
    }
    Ok(Some(CodeAction {
        title: action.label.clone(),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![super::server::to_lsp(
            analysis,
            &action.diagnostic,
            Some(index),
            encoding,
        )]),
        edit: Some(WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        }),
        is_preferred: Some(true),
        ..CodeAction::default()
    }))
}
