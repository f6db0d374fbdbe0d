//! ide → LSP: byte ranges to LSP ranges, paths to URIs and locations, and
//! the ide layer's completion items, symbol kinds and code actions to
//! their LSP types.

use std::collections::HashMap;

use flakelens_ide::code_actions::CodeAction as IdeCodeAction;
use flakelens_ide::symbols::SymbolKind as IdeSymbolKind;
use flakelens_ide::{Analysis, Cancellable};
use flakelens_syntax::{LineIndex, PositionEncoding, TextRange, TextSize};
use tower_lsp::lsp_types::*;

pub fn position(index: &LineIndex, offset: TextSize, encoding: PositionEncoding) -> Position {
    let line_col = index.line_col(offset, encoding);
    Position::new(line_col.line, line_col.col)
}

pub fn range(index: &LineIndex, range: TextRange, encoding: PositionEncoding) -> Range {
    Range::new(
        position(index, range.start(), encoding),
        position(index, range.end(), encoding),
    )
}

pub fn uri_of(path: &str) -> Option<Url> {
    Url::from_file_path(path).ok()
}

pub fn location(
    analysis: &Analysis,
    path: &str,
    range: TextRange,
    encoding: PositionEncoding,
) -> Cancellable<Option<Location>> {
    let Some(uri) = uri_of(path) else {
        return Ok(None);
    };
    let Some(index) = analysis.line_index(path)? else {
        return Ok(None);
    };
    Ok(Some(Location::new(
        uri,
        self::range(&index, range, encoding),
    )))
}

/// An LSP completion item that replaces `range` by `new_text`.
#[allow(clippy::too_many_arguments)]
pub fn completion_item(
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

pub fn symbol_kind(kind: IdeSymbolKind) -> SymbolKind {
    match kind {
        IdeSymbolKind::OptionDeclaration => SymbolKind::PROPERTY,
        IdeSymbolKind::OptionDefinition => SymbolKind::FIELD,
        IdeSymbolKind::Namespace => SymbolKind::NAMESPACE,
        IdeSymbolKind::Variable => SymbolKind::VARIABLE,
        IdeSymbolKind::Attribute => SymbolKind::KEY,
        IdeSymbolKind::Host => SymbolKind::CLASS,
        IdeSymbolKind::Module => SymbolKind::MODULE,
        IdeSymbolKind::Package => SymbolKind::PACKAGE,
    }
}

pub fn code_action(
    analysis: &Analysis,
    action: &IdeCodeAction,
    index: &flakelens_syntax::LineIndex,
    encoding: PositionEncoding,
) -> Cancellable<Option<CodeAction>> {
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    for edit in &action.edits {
        let Some(uri) = uri_of(&edit.path) else {
            return Ok(None);
        };
        let Some(edit_index) = analysis.line_index(&edit.path)? else {
            return Ok(None);
        };
        changes.entry(uri).or_default().push(TextEdit {
            range: range(&edit_index, edit.range, encoding),
            new_text: edit.replacement.clone(),
        });
    }
    Ok(Some(CodeAction {
        title: action.label.clone(),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![super::diagnostics::to_lsp(
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
