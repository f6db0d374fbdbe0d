//! Offset ↔ line/column conversion.

use rowan::TextSize;

/// Which code unit a column counts. LSP's default is UTF-16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PositionEncoding {
    Utf8,
    #[default]
    Utf16,
    Utf32,
}

/// A zero-based line and column (column in the chosen encoding's units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Start offsets of every line of a text, plus the text itself for
/// measuring non-ASCII columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    text: std::sync::Arc<str>,
    line_starts: Vec<TextSize>,
    /// Per line: it is all ASCII, so a column is a byte count (no need to
    /// measure the line, which is quadratic on long lines).
    ascii_lines: Vec<bool>,
}

impl LineIndex {
    pub fn new(text: std::sync::Arc<str>) -> LineIndex {
        let mut line_starts = vec![TextSize::from(0)];
        let mut ascii_lines = Vec::new();
        let mut ascii = true;
        for (offset, byte) in text.bytes().enumerate() {
            if byte == b'\n' {
                line_starts.push(TextSize::from(offset as u32 + 1));
                ascii_lines.push(ascii);
                ascii = true;
            } else if !byte.is_ascii() {
                ascii = false;
            }
        }
        ascii_lines.push(ascii);
        LineIndex {
            text,
            line_starts,
            ascii_lines,
        }
    }

    pub fn len(&self) -> TextSize {
        TextSize::of(&*self.text)
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn line_count(&self) -> u32 {
        self.line_starts.len() as u32
    }

    /// The line and column of `offset`. Offsets past the end clamp to the end;
    /// offsets inside a multi-byte character count as its start.
    pub fn line_col(&self, offset: TextSize, encoding: PositionEncoding) -> LineCol {
        let offset = offset.min(self.len());
        let line = self.line_starts.partition_point(|start| *start <= offset) - 1;
        let line_start = usize::from(self.line_starts[line]);
        if self.ascii_lines[line] {
            return LineCol {
                line: line as u32,
                col: (usize::from(offset) - line_start) as u32,
            };
        }
        let mut end = usize::from(offset);
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let prefix = &self.text[line_start..end];
        LineCol {
            line: line as u32,
            col: measure(prefix, encoding),
        }
    }

    /// The offset of a line/column pair, or `None` when the line does not
    /// exist. Columns past the end of the line clamp to the line's end (as the
    /// LSP specification asks); a column inside a character clamps to its start.
    pub fn offset(&self, line_col: LineCol, encoding: PositionEncoding) -> Option<TextSize> {
        let line = line_col.line as usize;
        let start = usize::from(*self.line_starts.get(line)?);
        let end = match self.line_starts.get(line + 1) {
            Some(next) => usize::from(*next) - 1,
            None => self.text.len(),
        };
        if self.ascii_lines[line] {
            let col = usize::try_from(line_col.col).unwrap_or(usize::MAX);
            return Some(TextSize::from(start.saturating_add(col).min(end) as u32));
        }
        let line_text = &self.text[start..end];
        let mut units = 0u32;
        for (byte_offset, ch) in line_text.char_indices() {
            let width = match encoding {
                PositionEncoding::Utf8 => ch.len_utf8() as u32,
                PositionEncoding::Utf16 => ch.len_utf16() as u32,
                PositionEncoding::Utf32 => 1,
            };
            if units + width > line_col.col {
                return Some(TextSize::from((start + byte_offset) as u32));
            }
            units += width;
        }
        Some(TextSize::from(end as u32))
    }

    /// The text of one line, without its newline.
    pub fn line_text(&self, line: u32) -> Option<&str> {
        let start = usize::from(*self.line_starts.get(line as usize)?);
        let end = match self.line_starts.get(line as usize + 1) {
            Some(next) => usize::from(*next) - 1,
            None => self.text.len(),
        };
        Some(&self.text[start..end])
    }
}

fn measure(text: &str, encoding: PositionEncoding) -> u32 {
    match encoding {
        PositionEncoding::Utf8 => text.len() as u32,
        PositionEncoding::Utf16 => text.encode_utf16().count() as u32,
        PositionEncoding::Utf32 => text.chars().count() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(text: &str) -> LineIndex {
        LineIndex::new(text.into())
    }

    #[test]
    fn ascii_round_trip() {
        let index = index("ab\ncd\n");
        let lc = index.line_col(TextSize::from(4), PositionEncoding::Utf16);
        assert_eq!(lc, LineCol { line: 1, col: 1 });
        assert_eq!(
            index.offset(lc, PositionEncoding::Utf16),
            Some(TextSize::from(4))
        );
        assert_eq!(index.line_count(), 3);
    }

    #[test]
    fn non_ascii_columns_differ_by_encoding() {
        // "é" is 2 bytes / 1 UTF-16 unit; "𝕏" is 4 bytes / 2 UTF-16 units.
        let index = index("é𝕏x");
        let x = TextSize::from(6);
        assert_eq!(index.line_col(x, PositionEncoding::Utf8).col, 6);
        assert_eq!(index.line_col(x, PositionEncoding::Utf16).col, 3);
        assert_eq!(index.line_col(x, PositionEncoding::Utf32).col, 2);
        assert_eq!(
            index.offset(LineCol { line: 0, col: 3 }, PositionEncoding::Utf16),
            Some(x)
        );
        // Inside the surrogate pair: clamps to the character start.
        assert_eq!(
            index.offset(LineCol { line: 0, col: 2 }, PositionEncoding::Utf16),
            Some(TextSize::from(2))
        );
    }

    #[test]
    fn out_of_range_positions() {
        let index = index("ab\ncd");
        assert_eq!(
            index.offset(LineCol { line: 7, col: 0 }, PositionEncoding::Utf16),
            None
        );
        assert_eq!(
            index.offset(LineCol { line: 0, col: 99 }, PositionEncoding::Utf16),
            Some(TextSize::from(2))
        );
        assert_eq!(
            index.line_col(TextSize::from(99), PositionEncoding::Utf16),
            LineCol { line: 1, col: 2 }
        );
    }

    #[test]
    fn ascii_fast_path_agrees_with_measuring() {
        // Lines alternate ASCII and not; every offset and column must give
        // what measuring the line gives.
        let text = "abc\nλx = 1;\n\nplain line\n😀😀 z\nend";
        let index = index(text);
        for encoding in [
            PositionEncoding::Utf8,
            PositionEncoding::Utf16,
            PositionEncoding::Utf32,
        ] {
            for offset in 0..=text.len() {
                let got = index.line_col(TextSize::from(offset as u32), encoding);
                let mut boundary = offset;
                while !text.is_char_boundary(boundary) {
                    boundary -= 1;
                }
                let line_start = text[..boundary].rfind('\n').map_or(0, |i| i + 1);
                let want = LineCol {
                    line: text[..boundary].matches('\n').count() as u32,
                    col: measure(&text[line_start..boundary], encoding),
                };
                assert_eq!(got, want, "offset {offset} {encoding:?}");
                if offset == boundary {
                    assert_eq!(
                        index.offset(got, encoding),
                        Some(TextSize::from(offset as u32))
                    );
                }
            }
            // Past the end of an ASCII line: its end.
            assert_eq!(
                index.offset(LineCol { line: 0, col: 99 }, encoding),
                Some(TextSize::from(3))
            );
        }
    }
}
