//! Conversions between LSP positions/URIs and the ide layer's offsets/paths.

use flakelens_syntax::{LineCol, LineIndex, PositionEncoding, TextRange, TextSize};
use tower_lsp::lsp_types::{Position, Range, Url};

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

/// The VFS path of a `file://` URI.
pub fn path_of(uri: &Url) -> Option<String> {
    if uri.scheme() != "file" {
        return None;
    }
    let path = uri.to_file_path().ok()?;
    Some(crate::load::vfs_path(&path))
}

pub fn uri_of(path: &str) -> Option<Url> {
    Url::from_file_path(path).ok()
}
