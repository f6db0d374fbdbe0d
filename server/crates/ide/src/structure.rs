//! Folding ranges and selection ranges: the shape of one file's syntax
//! tree (no analysis). Byte ranges out; the LSP edge turns folds into lines.

use flakelens_db::Db;
use flakelens_syntax::{SyntaxKind, SyntaxNode, SyntaxToken, TextRange, TextSize};
use rowan::{NodeOrToken, TokenAtOffset};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FoldKind {
    /// Brackets, `let … in`, multi-line strings.
    Region,
    /// A block comment or a run of line comments.
    Comment,
}

/// A fold from the line of `range.start()` to the line of `range.end()`
/// (the closing bracket's line stays visible: `range` ends before it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fold {
    pub range: TextRange,
    pub kind: FoldKind,
}

pub(crate) fn folding_ranges(db: &dyn Db, path: &str) -> Vec<Fold> {
    let Some(file) = flakelens_db::file_at(db, path) else {
        return Vec::new();
    };
    let text = file.text(db);
    let root = flakelens_db::parse(db, file).syntax();
    let mut out = Vec::new();
    for node in root.descendants() {
        let closer = match node.kind() {
            SyntaxKind::NODE_ATTR_SET => Some(SyntaxKind::TOKEN_R_BRACE),
            SyntaxKind::NODE_PATTERN => Some(SyntaxKind::TOKEN_R_BRACE),
            SyntaxKind::NODE_LIST => Some(SyntaxKind::TOKEN_R_BRACK),
            SyntaxKind::NODE_PAREN => Some(SyntaxKind::TOKEN_R_PAREN),
            SyntaxKind::NODE_STRING | SyntaxKind::NODE_LET_IN => None,
            _ => continue,
        };
        let range = match node.kind() {
            // `let` up to (not including) the line of `in`.
            SyntaxKind::NODE_LET_IN => match token_of(&node, SyntaxKind::TOKEN_IN) {
                Some(token) => TextRange::new(
                    node.text_range().start(),
                    before_line_of(text, token.text_range().start()),
                ),
                None => continue,
            },
            _ => match closer.and_then(|kind| token_of(&node, kind)) {
                Some(token) => TextRange::new(
                    node.text_range().start(),
                    before_line_of(text, token.text_range().start()),
                ),
                // A string, or a bracket left open: the whole node.
                None => node.text_range(),
            },
        };
        push(&mut out, text, range, FoldKind::Region);
    }
    comment_folds(&root, text, &mut out);
    out.sort_by_key(|fold| (fold.range.start(), std::cmp::Reverse(fold.range.end())));
    out.dedup_by_key(|fold| fold.range);
    out
}

/// A direct child token of `node` of this kind.
fn token_of(node: &SyntaxNode, kind: SyntaxKind) -> Option<SyntaxToken> {
    node.children_with_tokens()
        .filter_map(NodeOrToken::into_token)
        .find(|token| token.kind() == kind)
}

/// `offset`, or the end of the previous line when only whitespace
/// stands between that line's start and `offset` (a `}` on its own line).
fn before_line_of(text: &str, offset: TextSize) -> TextSize {
    let at = usize::from(offset).min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    if line_start > 0 && text[line_start..at].trim().is_empty() {
        TextSize::from((line_start - 1) as u32)
    } else {
        offset
    }
}

/// Keeps folds that span more than one line.
fn push(out: &mut Vec<Fold>, text: &str, range: TextRange, kind: FoldKind) {
    let (start, end) = (usize::from(range.start()), usize::from(range.end()));
    if start < end && end <= text.len() && text[start..end].contains('\n') {
        out.push(Fold { range, kind });
    }
}

/// Multi-line block comments, and runs of two or more `#` comments on
/// consecutive lines.
fn comment_folds(root: &SyntaxNode, text: &str, out: &mut Vec<Fold>) {
    let mut run: Option<TextRange> = None;
    for token in root
        .descendants_with_tokens()
        .filter_map(NodeOrToken::into_token)
        .filter(|token| token.kind() == SyntaxKind::TOKEN_COMMENT)
    {
        if !token.text().starts_with('#') {
            push(out, text, token.text_range(), FoldKind::Comment);
            continue;
        }
        // Continues the run when only one newline (and indentation)
        // separates it from the previous line comment.
        let follows = run.is_some_and(|range| {
            previous_is_single_newline(&token) && ends_just_before(range, &token)
        });
        run = match (run, follows) {
            (Some(range), true) => Some(range.cover(token.text_range())),
            (Some(range), false) => {
                push(out, text, range, FoldKind::Comment);
                Some(token.text_range())
            }
            (None, _) => Some(token.text_range()),
        };
    }
    if let Some(range) = run {
        push(out, text, range, FoldKind::Comment);
    }
}

fn previous_is_single_newline(token: &SyntaxToken) -> bool {
    match token.prev_token() {
        Some(ws) if ws.kind() == SyntaxKind::TOKEN_WHITESPACE => {
            ws.text().matches('\n').count() == 1
                && ws
                    .prev_token()
                    .is_some_and(|t| t.kind() == SyntaxKind::TOKEN_COMMENT)
        }
        _ => false,
    }
}

fn ends_just_before(range: TextRange, token: &SyntaxToken) -> bool {
    token
        .prev_token()
        .and_then(|ws| ws.prev_token())
        .is_some_and(|t| t.text_range().end() == range.end())
}

/// For each offset, the ranges to grow the selection through, innermost
/// first: the token, then each enclosing node (each range strictly
/// larger than the one before).
pub(crate) fn selection_ranges(
    db: &dyn Db,
    path: &str,
    offsets: &[TextSize],
) -> Vec<Vec<TextRange>> {
    let Some(file) = flakelens_db::file_at(db, path) else {
        return offsets.iter().map(|_| Vec::new()).collect();
    };
    let root = flakelens_db::parse(db, file).syntax();
    offsets
        .iter()
        .map(|&offset| selection_chain(&root, offset))
        .collect()
}

fn selection_chain(root: &SyntaxNode, offset: TextSize) -> Vec<TextRange> {
    if offset > root.text_range().end() {
        return Vec::new();
    }
    let token = match root.token_at_offset(offset) {
        TokenAtOffset::None => return vec![TextRange::empty(offset)],
        TokenAtOffset::Single(token) => token,
        // Prefer a name or literal over whitespace and punctuation.
        TokenAtOffset::Between(left, right) => {
            if is_word(&right) || !is_word(&left) {
                right
            } else {
                left
            }
        }
    };
    let mut chain = Vec::new();
    let mut push = |range: TextRange| {
        if chain.last().is_none_or(|last: &TextRange| range != *last) {
            chain.push(range);
        }
    };
    if token.kind() == SyntaxKind::TOKEN_WHITESPACE {
        push(TextRange::empty(offset));
    } else {
        push(token.text_range());
    }
    let mut node = token.parent();
    while let Some(current) = node {
        // An attribute's binding without its `;` first, then with it.
        if current.kind() == SyntaxKind::NODE_ATTRPATH_VALUE {
            let last = current.last_token();
            if let Some(semicolon) = last.filter(|t| t.kind() == SyntaxKind::TOKEN_SEMICOLON) {
                let without = current
                    .children()
                    .last()
                    .map(|value| value.text_range().end());
                if let Some(end) = without {
                    push(TextRange::new(current.text_range().start(), end));
                }
                let _ = semicolon;
            }
        }
        push(current.text_range());
        node = current.parent();
    }
    chain
}

fn is_word(token: &SyntaxToken) -> bool {
    matches!(
        token.kind(),
        SyntaxKind::TOKEN_IDENT
            | SyntaxKind::TOKEN_INTEGER
            | SyntaxKind::TOKEN_FLOAT
            | SyntaxKind::TOKEN_STRING_CONTENT
            | SyntaxKind::TOKEN_PATH_REL
            | SyntaxKind::TOKEN_PATH_ABS
            | SyntaxKind::TOKEN_PATH_HOME
            | SyntaxKind::TOKEN_URI
    )
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use crate::fixture::Fixture;

    fn folds(text: &str, expect: Expect) {
        let host = Fixture::parse(text).host();
        let analysis = host.analysis();
        let path = "/module.nix";
        let file = analysis.file_text(path).unwrap();
        let line = |offset: usize| file[..offset].matches('\n').count() + 1;
        let rendered: Vec<String> = analysis
            .folding_ranges(path)
            .unwrap()
            .iter()
            .map(|fold| {
                let (start, end) = (
                    usize::from(fold.range.start()),
                    usize::from(fold.range.end()),
                );
                format!("{:?} {}-{}", fold.kind, line(start), line(end))
            })
            .collect();
        expect.assert_eq(&rendered.join("\n"));
    }

    #[test]
    fn folds_brackets_let_strings_and_comments() {
        folds(
            r#"# A module.
# Two line comments fold together.
{ config, lib,
  ... }:
let
  cfg = config.services.x;
in
{
  /* a block
     comment */
  options.services.x = {
    enable = lib.mkEnableOption "x";
  };
  config.list = [
    1
    2 ];
  config.script = ''
    echo hi
  '';
  one.line = { a = 1; };
}
"#,
            expect![[r#"
                Comment 1-2
                Region 3-4
                Region 5-6
                Region 8-20
                Comment 9-10
                Region 11-12
                Region 14-16
                Region 17-19"#]],
        );
    }

    #[test]
    fn an_unclosed_bracket_folds_to_the_end() {
        folds(
            "{\n  a = [\n    1\n",
            expect![[r#"
            Region 1-3
            Region 2-3"#]],
        );
    }

    fn selections(text: &str, expect: Expect) {
        let fixture = Fixture::parse(text);
        let (path, offset) = fixture.cursor.clone().unwrap();
        let host = fixture.host();
        let analysis = host.analysis();
        let file = analysis.file_text(&path).unwrap();
        let chains = analysis.selection_ranges(&path, &[offset]).unwrap();
        let rendered: Vec<String> = chains[0]
            .iter()
            .map(|range| {
                format!(
                    "{:?}",
                    &file[usize::from(range.start())..usize::from(range.end())]
                )
            })
            .collect();
        expect.assert_eq(&rendered.join("\n"));
    }

    #[test]
    fn selection_grows_through_the_tree() {
        selections(
            "{ services.x = { po$0rt = 8420; enable = true; }; }\n",
            expect![[r#"
                "port"
                "port = 8420"
                "port = 8420;"
                "{ port = 8420; enable = true; }"
                "services.x = { port = 8420; enable = true; }"
                "services.x = { port = 8420; enable = true; };"
                "{ services.x = { port = 8420; enable = true; }; }"
                "{ services.x = { port = 8420; enable = true; }; }\n""#]],
        );
    }

    #[test]
    fn selection_with_non_ascii_text() {
        selections(
            "{ a = \"ß€\"; b = [ \"😀\" x$0 ]; }\n",
            expect![[r#"
                "x"
                "[ \"😀\" x ]"
                "b = [ \"😀\" x ]"
                "b = [ \"😀\" x ];"
                "{ a = \"ß€\"; b = [ \"😀\" x ]; }"
                "{ a = \"ß€\"; b = [ \"😀\" x ]; }\n""#]],
        );
    }
}
