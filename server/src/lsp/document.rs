//! Handlers for the features of one document's text: highlights, folding
//! ranges, selection ranges. Same shape as `features.rs`: LSP positions →
//! offsets, the ide layer, offsets → LSP ranges in the negotiated encoding.

use flakelens_ide::highlight::HighlightKind;
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
