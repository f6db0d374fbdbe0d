//! Handlers for the features of one document's text: highlights, folding
//! ranges, selection ranges, semantic tokens, code lenses, inlay hints. Same shape as `features.rs`: LSP positions →
//! offsets, the ide layer, offsets → LSP ranges in the negotiated encoding.

use flakelens_ide::highlight::HighlightKind;
use flakelens_ide::semantic::TokenKind;
use flakelens_ide::structure::FoldKind;
use flakelens_ide::{Analysis, Cancellable};
use flakelens_syntax::PositionEncoding;
use tower_lsp::lsp_types::*;

use super::{from_proto, to_proto};

pub fn document_highlight(
    analysis: &Analysis,
    path: &str,
    position: Position,
    encoding: PositionEncoding,
) -> Cancellable<Option<Vec<DocumentHighlight>>> {
    let Some((index, offset)) = from_proto::index_and_offset(analysis, path, position, encoding)?
    else {
        return Ok(None);
    };
    let highlights = analysis.highlights(path, offset)?;
    if highlights.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        highlights
            .into_iter()
            .map(|highlight| DocumentHighlight {
                range: to_proto::range(&index, highlight.range, encoding),
                kind: Some(match highlight.kind {
                    HighlightKind::Write => DocumentHighlightKind::WRITE,
                    HighlightKind::Read => DocumentHighlightKind::READ,
                }),
            })
            .collect(),
    ))
}

/// Folds as whole lines (every client accepts those; the ide's ranges end
/// on the last line to hide).
pub fn folding_ranges(
    analysis: &Analysis,
    path: &str,
    encoding: PositionEncoding,
) -> Cancellable<Option<Vec<FoldingRange>>> {
    let Some(index) = analysis.line_index(path)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for fold in analysis.folding_ranges(path)? {
        let range = to_proto::range(&index, fold.range, encoding);
        if range.end.line <= range.start.line {
            continue;
        }
        out.push(FoldingRange {
            start_line: range.start.line,
            start_character: None,
            end_line: range.end.line,
            end_character: None,
            kind: match fold.kind {
                FoldKind::Comment => Some(FoldingRangeKind::Comment),
                FoldKind::Region => None,
            },
            collapsed_text: None,
        });
    }
    Ok(Some(out))
}

pub fn selection_ranges(
    analysis: &Analysis,
    path: &str,
    positions: &[Position],
    encoding: PositionEncoding,
) -> Cancellable<Option<Vec<SelectionRange>>> {
    let Some(index) = analysis.line_index(path)? else {
        return Ok(None);
    };
    let mut offsets = Vec::new();
    for position in positions {
        // One answer per position, in order: a position outside the file
        // cannot be answered at all.
        let Some(offset) = from_proto::offset(&index, *position, encoding) else {
            return Ok(None);
        };
        offsets.push(offset);
    }
    let chains = analysis.selection_ranges(path, &offsets)?;
    let mut out = Vec::new();
    for (chain, position) in chains.into_iter().zip(positions) {
        // Built from the outermost range in.
        let mut parent: Option<Box<SelectionRange>> = None;
        for range in chain.iter().rev() {
            parent = Some(Box::new(SelectionRange {
                range: to_proto::range(&index, *range, encoding),
                parent,
            }));
        }
        out.push(match parent {
            Some(innermost) => *innermost,
            None => SelectionRange {
                range: Range::new(*position, *position),
                parent: None,
            },
        });
    }
    Ok(Some(out))
}

/// The token types and modifiers of `semantic_tokens`, in legend order.
pub fn semantic_legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: vec![
            SemanticTokenType::PROPERTY,
            SemanticTokenType::NAMESPACE,
            SemanticTokenType::CLASS,
        ],
        token_modifiers: vec![
            SemanticTokenModifier::DECLARATION,
            SemanticTokenModifier::DEFAULT_LIBRARY,
        ],
    }
}

/// The whole document's tokens, delta-encoded in the negotiated units.
pub fn semantic_tokens(
    analysis: &Analysis,
    path: &str,
    encoding: PositionEncoding,
) -> Cancellable<Option<SemanticTokensResult>> {
    let Some(index) = analysis.line_index(path)? else {
        return Ok(None);
    };
    let mut data = Vec::new();
    let (mut line, mut start) = (0, 0);
    for token in analysis.semantic_tokens(path)? {
        let range = to_proto::range(&index, token.range, encoding);
        // Names never span lines; skip anything that would.
        if range.start.line != range.end.line {
            continue;
        }
        let (token_type, mut modifiers) = match token.kind {
            TokenKind::Option => (0, 0),
            TokenKind::UpstreamOption => (0, 0b10),
            TokenKind::Namespace => (1, 0),
            TokenKind::Package => (2, 0),
        };
        if token.declaration {
            modifiers |= 0b01;
        }
        let delta_line = range.start.line - line;
        let delta_start = if delta_line == 0 {
            range.start.character - start
        } else {
            range.start.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: range.end.character - range.start.character,
            token_type,
            token_modifiers_bitset: modifiers,
        });
        line = range.start.line;
        start = range.start.character;
    }
    Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
        result_id: None,
        data,
    })))
}

/// The command a lens carries: clients that know it show the option's
/// references (the VS Code extension does); others show the title only.
pub const SHOW_REFERENCES: &str = "flakelens.showReferences";

pub fn code_lenses(
    analysis: &Analysis,
    path: &str,
    encoding: PositionEncoding,
) -> Cancellable<Option<Vec<CodeLens>>> {
    let (Some(index), Some(uri)) = (analysis.line_index(path)?, to_proto::uri_of(path)) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for lens in analysis.code_lenses(path)? {
        let range = to_proto::range(&index, lens.range, encoding);
        let title = match lens.hosts.len() {
            0 => "set by no host".to_string(),
            1 => format!("set by 1 host: {}", lens.hosts[0]),
            n => format!("set by {n} hosts: {}", lens.hosts.join(", ")),
        };
        out.push(CodeLens {
            range,
            command: Some(Command {
                title,
                command: SHOW_REFERENCES.into(),
                arguments: Some(vec![serde_json::json!(uri), serde_json::json!(range.start)]),
            }),
            data: None,
        });
    }
    Ok(Some(out))
}

pub fn inlay_hints(
    analysis: &Analysis,
    path: &str,
    range: Range,
    encoding: PositionEncoding,
) -> Cancellable<Option<Vec<InlayHint>>> {
    let Some(index) = analysis.line_index(path)? else {
        return Ok(None);
    };
    // A range reaching past the end (a visible range, a whole-file guess)
    // stops at the end.
    let len = analysis
        .file_text(path)
        .map_or(0.into(), |text| flakelens_syntax::TextSize::of(&*text));
    let Some(start) = from_proto::offset(&index, range.start, encoding) else {
        return Ok(None);
    };
    let end = from_proto::offset(&index, range.end, encoding).unwrap_or(len);
    if start > end {
        return Ok(None);
    }
    let hints = analysis.inlay_hints(path, flakelens_syntax::TextRange::new(start, end))?;
    Ok(Some(
        hints
            .into_iter()
            .map(|hint| InlayHint {
                position: to_proto::position(&index, hint.offset, encoding),
                label: InlayHintLabel::String(hint.label),
                kind: None,
                text_edits: None,
                tooltip: None,
                padding_left: Some(true),
                padding_right: Some(true),
                data: None,
            })
            .collect(),
    ))
}

/// Whether an editor setting `lsp.<key>` (a boolean) is on: the settings
/// object itself or wrapped in `{"flakelens": …}`.
pub fn lsp_setting(settings: Option<&serde_json::Value>, key: &str, default: bool) -> bool {
    let Some(settings) = settings else {
        return default;
    };
    let settings = settings.get("flakelens").unwrap_or(settings);
    settings
        .get("lsp")
        .and_then(|lsp| lsp.get(key))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(default)
}
