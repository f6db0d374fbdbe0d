//! LSP → ide: positions to byte offsets (in the negotiated encoding) and
//! `file://` URIs to VFS paths.

use flakelens_ide::{Analysis, Cancellable};
use flakelens_syntax::{LineCol, LineIndex, PositionEncoding, TextSize};
use tower_lsp::lsp_types::{Position, Url};

pub fn offset(
    index: &LineIndex,
    position: Position,
    encoding: PositionEncoding,
) -> Option<TextSize> {
    index.offset(
        LineCol {
            line: position.line,
            col: position.character,
        },
        encoding,
    )
}

/// The VFS path of a `file://` URI.
pub fn path_of(uri: &Url) -> Option<String> {
    if uri.scheme() != "file" {
        return None;
    }
    let path = uri.to_file_path().ok()?;
    Some(crate::load::vfs_path(&path))
}

/// The offset of an LSP position in a file (`None`: unknown file or a
/// position outside it).
pub fn offset_in(
    analysis: &Analysis,
    path: &str,
    position: Position,
    encoding: PositionEncoding,
) -> Cancellable<Option<TextSize>> {
    Ok(index_and_offset(analysis, path, position, encoding)?.map(|(_, offset)| offset))
}

/// The file's line index and the offset of an LSP position in it.
pub fn index_and_offset(
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
    Ok(offset(&index, position, encoding).map(|offset| (index, offset)))
}
