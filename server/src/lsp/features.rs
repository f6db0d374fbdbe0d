//! Request handlers' bodies: convert LSP params to offsets (`from_proto`),
//! call the ide layer, convert the answer back (`to_proto`). No policy here:
//! which answer a request gets is the ide layer's business. They run on a snapshot off the async
//! runtime (see `Backend::read`).

use flakelens_ide::completion::CompletionKind;
use flakelens_ide::symbols::DocumentSymbol as IdeSymbol;
use flakelens_ide::{Analysis, Cancellable};
use flakelens_syntax::{PositionEncoding, TextRange};
use tower_lsp::lsp_types::*;

use super::{from_proto, to_proto};

pub fn definition(
    analysis: &Analysis,
    path: &str,
    position: Position,
    encoding: PositionEncoding,
) -> Cancellable<Option<GotoDefinitionResponse>> {
    let Some(offset) = from_proto::offset_in(analysis, path, position, encoding)? else {
        return Ok(None);
    };
    let mut locations = Vec::new();
    for (target, range) in analysis.definitions_at(path, offset)? {
        if let Some(location) = to_proto::location(analysis, &target, range, encoding)? {
            locations.push(location);
        }
    }
    Ok(match locations.len() {
        0 => None,
        1 => Some(GotoDefinitionResponse::Scalar(locations.remove(0))),
        _ => Some(GotoDefinitionResponse::Array(locations)),
    })
}

/// What a deferred completion item carries to `completionItem/resolve`.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct ResolveData {
    pub path: String,
    pub offset: u32,
    /// The document's version when the list was made (`None`: not open).
    pub version: Option<i32>,
}

/// `defer`: the document's version when the client resolves
/// documentation itself (items then carry `data` instead of it).
pub fn completion(
    analysis: &Analysis,
    path: &str,
    position: Position,
    encoding: PositionEncoding,
    defer: Option<Option<i32>>,
) -> Cancellable<Option<CompletionResponse>> {
    let Some((index, offset)) = from_proto::index_and_offset(analysis, path, position, encoding)?
    else {
        return Ok(None);
    };
    let items = analysis.completions_at(path, offset)?;
    if items.is_empty() {
        return Ok(None);
    }
    let data = defer.and_then(|version| {
        serde_json::to_value(ResolveData {
            path: path.to_string(),
            offset: offset.into(),
            version,
        })
        .ok()
    });
    let items = items
        .into_iter()
        .enumerate()
        .map(|(rank, item)| {
            let kind = match item.kind {
                CompletionKind::Option => CompletionItemKind::PROPERTY,
                CompletionKind::Namespace => CompletionItemKind::MODULE,
                CompletionKind::Value => CompletionItemKind::VALUE,
                CompletionKind::Package => CompletionItemKind::CLASS,
                CompletionKind::PackageNamespace => CompletionItemKind::MODULE,
                CompletionKind::Variable => CompletionItemKind::VARIABLE,
                CompletionKind::Function => CompletionItemKind::FUNCTION,
                CompletionKind::Keyword => CompletionItemKind::KEYWORD,
            };
            let range = to_proto::range(&index, item.replace, encoding);
            // Only an item with documentation is worth a resolve.
            let deferred = data.is_some() && item.documentation.is_some();
            let documentation = if deferred { None } else { item.documentation };
            let mut out = to_proto::completion_item(
                item.label,
                kind,
                item.detail,
                documentation,
                rank,
                range,
                item.insert,
            );
            if deferred {
                out.data = data.clone();
            }
            out
        })
        .collect();
    Ok(Some(CompletionResponse::List(CompletionList {
        is_incomplete: false,
        items,
    })))
}

/// `completionItem/resolve`: the documentation of one item, from the same
/// list computed again (the item is returned as it came when the list no
/// longer holds it).
pub fn resolve_completion(
    analysis: &Analysis,
    data: &ResolveData,
    mut item: CompletionItem,
) -> Cancellable<CompletionItem> {
    let items = analysis.completions_at(&data.path, data.offset.into())?;
    let documentation = items
        .into_iter()
        .find(|candidate| candidate.label == item.label)
        .and_then(|candidate| candidate.documentation);
    if let Some(value) = documentation {
        item.documentation = Some(Documentation::MarkupContent(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }));
    }
    Ok(item)
}

pub fn hover(
    analysis: &Analysis,
    path: &str,
    position: Position,
    encoding: PositionEncoding,
) -> Cancellable<Option<Hover>> {
    let Some((index, offset)) = from_proto::index_and_offset(analysis, path, position, encoding)?
    else {
        return Ok(None);
    };
    let Some(hover) = analysis.hover_at(path, offset)? else {
        return Ok(None);
    };
    let (range, markdown) = (hover.range, hover.markdown);
    Ok(Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(to_proto::range(&index, range, encoding)),
    }))
}

pub fn references(
    analysis: &Analysis,
    path: &str,
    position: Position,
    include_declaration: bool,
    encoding: PositionEncoding,
) -> Cancellable<Option<Vec<Location>>> {
    let Some(offset) = from_proto::offset_in(analysis, path, position, encoding)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for reference in analysis.references(path, offset, include_declaration)? {
        if let Some(location) =
            to_proto::location(analysis, &reference.path, reference.range, encoding)?
        {
            out.push(location);
        }
    }
    Ok(Some(out))
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
            kind: to_proto::symbol_kind(symbol.kind),
            tags: None,
            deprecated: None,
            range: to_proto::range(index, symbol.full_range, encoding),
            selection_range: to_proto::range(index, symbol.focus_range, encoding),
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
    let Some(uri) = to_proto::uri_of(path) else {
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
                kind: to_proto::symbol_kind(symbol.kind),
                tags: None,
                deprecated: None,
                location: Location::new(
                    uri.clone(),
                    to_proto::range(index, symbol.full_range, encoding),
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
        let Some(location) = to_proto::location(analysis, &symbol.path, symbol.range, encoding)?
        else {
            continue;
        };
        #[allow(deprecated)]
        out.push(SymbolInformation {
            name: symbol.name,
            kind: to_proto::symbol_kind(symbol.kind),
            tags: None,
            deprecated: None,
            location,
            container_name: symbol.container,
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
        from_proto::offset(&index, range.start, encoding),
        from_proto::offset(&index, range.end, encoding),
    ) else {
        return Ok(None);
    };
    if start > end {
        return Ok(None);
    }
    let actions = analysis.code_actions(path, TextRange::new(start, end))?;
    let mut out = Vec::new();
    for action in actions {
        if let Some(action) = to_proto::code_action(analysis, &action, &index, encoding)? {
            out.push(CodeActionOrCommand::CodeAction(action));
        }
    }
    Ok(Some(out))
}

/// `textDocument/prepareRename`: the name's range, or the reason a rename
/// is refused (sent to the client as the error message).
pub fn prepare_rename(
    analysis: &Analysis,
    path: &str,
    position: Position,
    encoding: PositionEncoding,
) -> Cancellable<Result<Option<PrepareRenameResponse>, String>> {
    let Some((index, offset)) = from_proto::index_and_offset(analysis, path, position, encoding)?
    else {
        return Ok(Ok(None));
    };
    Ok(analysis.prepare_rename(path, offset)?.map(|(range, name)| {
        Some(PrepareRenameResponse::RangeWithPlaceholder {
            range: to_proto::range(&index, range, encoding),
            placeholder: name,
        })
    }))
}

/// `textDocument/rename`: one workspace edit, or the reason it is refused.
pub fn rename(
    analysis: &Analysis,
    path: &str,
    position: Position,
    new_name: &str,
    encoding: PositionEncoding,
) -> Cancellable<Result<Option<WorkspaceEdit>, String>> {
    let Some(offset) = from_proto::offset_in(analysis, path, position, encoding)? else {
        return Ok(Ok(None));
    };
    let edits = match analysis.rename(path, offset, new_name)? {
        Ok(edits) => edits,
        Err(message) => return Ok(Err(message)),
    };
    let mut changes: std::collections::HashMap<Url, Vec<TextEdit>> = Default::default();
    for edit in edits {
        let (Some(uri), Some(index)) = (
            to_proto::uri_of(&edit.path),
            analysis.line_index(&edit.path)?,
        ) else {
            continue;
        };
        changes.entry(uri).or_default().push(TextEdit {
            range: to_proto::range(&index, edit.range, encoding),
            new_text: edit.new_text,
        });
    }
    Ok(Ok(Some(WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    })))
}
