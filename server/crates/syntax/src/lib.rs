//! Syntax layer: a thin wrapper over rnix that never fails, plus a line
//! index for converting byte offsets to line/column pairs in UTF-8, UTF-16
//! or UTF-32 code units.
//!
//! Everything here is pure: no IO, no salsa, no LSP types.

mod line_index;
mod reparse;
pub mod scope;

pub use line_index::{LineCol, LineIndex, PositionEncoding};
pub use reparse::{reparse_edit, reparse_with_insert};
pub use rnix::{ast, NixLanguage, SyntaxKind, SyntaxNode, SyntaxToken};
pub use rowan::{GreenNode, TextRange, TextSize};

/// Stack size for every thread that parses or analyses: rnix recurses up to
/// 512 levels and the evaluator up to its own depth limit, which needs more
/// than the default 2 MiB in debug builds.
pub const ANALYSIS_STACK_SIZE: usize = 64 * 1024 * 1024;

/// One syntax error, with a byte range into the file and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyntaxError {
    pub range: TextRange,
    pub message: String,
}

/// The result of parsing one file: the immutable green tree and the errors.
///
/// rnix's own `Parse` is not `Eq`, so this is what salsa stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parse {
    pub green: GreenNode,
    pub errors: Vec<SyntaxError>,
}

impl Parse {
    /// A fresh red tree over the green node.
    pub fn syntax(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }

    /// The root expression, if the file has one.
    pub fn root_expr(&self) -> Option<ast::Expr> {
        use rowan::ast::AstNode;
        ast::Root::cast(self.syntax())?.expr()
    }
}

/// Parses Nix source. Never fails: broken input gives a tree with error
/// nodes and a list of errors.
pub fn parse(text: &str) -> Parse {
    if let Some(range) = too_deep(text) {
        return Parse {
            green: rowan::GreenNode::new(
                rowan::SyntaxKind(SyntaxKind::NODE_ROOT as u16),
                [rowan::NodeOrToken::Node(rowan::GreenNode::new(
                    rowan::SyntaxKind(SyntaxKind::NODE_ERROR as u16),
                    [rowan::NodeOrToken::Token(rowan::GreenToken::new(
                        rowan::SyntaxKind(SyntaxKind::TOKEN_ERROR as u16),
                        text,
                    ))],
                ))],
            ),
            errors: vec![SyntaxError {
                range,
                message: format!("expression is nested more than {MAX_NESTING} levels deep"),
            }],
        };
    }
    let parsed = rnix::Root::parse(text);
    let len = TextSize::of(text);
    let errors = parsed
        .errors()
        .iter()
        .map(|error| describe_error(error, len))
        .collect();
    Parse {
        green: parsed.syntax().green().to_owned(),
        errors,
    }
}

/// Deepest bracket nesting the parser is given. rnix guards some recursion
/// but not all (`[[[[…` recurses without limit), so deeper input is refused
/// before parsing.
pub const MAX_NESTING: usize = 256;

/// The range of the first opening bracket beyond `MAX_NESTING`, if any.
fn too_deep(text: &str) -> Option<TextRange> {
    let mut depth = 0usize;
    let mut offset = TextSize::from(0);
    for (kind, token_text) in rnix::tokenize(text) {
        let len = TextSize::of(token_text);
        match kind {
            SyntaxKind::TOKEN_L_BRACK
            | SyntaxKind::TOKEN_L_BRACE
            | SyntaxKind::TOKEN_L_PAREN
            | SyntaxKind::TOKEN_INTERPOL_START => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(TextRange::at(offset, len));
                }
            }
            SyntaxKind::TOKEN_R_BRACK
            | SyntaxKind::TOKEN_R_BRACE
            | SyntaxKind::TOKEN_R_PAREN
            | SyntaxKind::TOKEN_INTERPOL_END => depth = depth.saturating_sub(1),
            _ => {}
        }
        offset += len;
    }
    None
}

fn describe_error(error: &rnix::ParseError, len: TextSize) -> SyntaxError {
    use rnix::ParseError as E;
    let at_end = TextRange::empty(len);
    let (range, message) = match error {
        E::Unexpected(range) => (*range, "unexpected input".to_string()),
        E::UnexpectedExtra(range) => (
            *range,
            "unexpected input after the end of the expression".to_string(),
        ),
        E::UnexpectedWanted(got, range, wanted) => (
            *range,
            format!(
                "unexpected {}, expected {}",
                kind_name(*got),
                wanted
                    .iter()
                    .map(|kind| kind_name(*kind))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ),
        E::UnexpectedDoubleBind(range) => (*range, "pattern is bound twice".to_string()),
        E::UnexpectedEOF => (at_end, "unexpected end of file".to_string()),
        E::UnexpectedEOFWanted(wanted) => (
            at_end,
            format!(
                "unexpected end of file, expected {}",
                wanted
                    .iter()
                    .map(|kind| kind_name(*kind))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ),
        E::DuplicatedArgs(range, name) => (*range, format!("argument `{name}` is duplicated")),
        E::RecursionLimitExceeded => (
            at_end,
            "expression is nested too deeply to parse".to_string(),
        ),
        other => (at_end, other.to_string()),
    };
    SyntaxError { range, message }
}

/// A readable name for a token kind in error messages.
fn kind_name(kind: SyntaxKind) -> String {
    use SyntaxKind::*;
    let text = match kind {
        TOKEN_SEMICOLON => "`;`",
        TOKEN_COLON => "`:`",
        TOKEN_COMMA => "`,`",
        TOKEN_DOT => "`.`",
        TOKEN_ASSIGN => "`=`",
        TOKEN_L_BRACE => "`{`",
        TOKEN_R_BRACE => "`}`",
        TOKEN_L_BRACK => "`[`",
        TOKEN_R_BRACK => "`]`",
        TOKEN_L_PAREN => "`(`",
        TOKEN_R_PAREN => "`)`",
        TOKEN_IN => "`in`",
        TOKEN_THEN => "`then`",
        TOKEN_ELSE => "`else`",
        TOKEN_IDENT => "an identifier",
        TOKEN_OR => "`or`",
        TOKEN_CUR_POS => "`__curPos`",
        TOKEN_STRING_CONTENT => "a string",
        TOKEN_INTEGER => "an integer",
        TOKEN_FLOAT => "a float",
        TOKEN_STRING_START | TOKEN_STRING_END => "`\"`",
        TOKEN_INTERPOL_START => "`${`",
        TOKEN_INTERPOL_END => "`}`",
        _ => {
            return format!("{kind:?}")
                .trim_start_matches("TOKEN_")
                .to_lowercase()
        }
    };
    text.to_string()
}

/// Replaces CRLF (and lone CR) line endings by LF. Offsets inside flakelens
/// always refer to the normalised text.
pub fn normalize_newlines(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\r') {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reports_errors_with_ranges() {
        let parsed = parse("{ a = 1 }");
        assert!(!parsed.errors.is_empty());
        assert!(
            parsed.errors[0].message.contains("expected `;`"),
            "{:?}",
            parsed.errors
        );
        let parsed = parse("{ a = 1; }");
        assert!(parsed.errors.is_empty());
        assert!(parsed.root_expr().is_some());
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        // rnix stops at 512 levels; analysis threads get `ANALYSIS_STACK_SIZE`.
        let parsed = std::thread::Builder::new()
            .stack_size(ANALYSIS_STACK_SIZE)
            .spawn(|| parse(&"[".repeat(100_000)))
            .unwrap()
            .join()
            .unwrap();
        assert!(parsed
            .errors
            .iter()
            .any(|error| error.message.contains("nested more than")));
    }

    #[test]
    fn newlines_are_normalised() {
        assert_eq!(normalize_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
    }
}

/// The parts of a string literal, with indentation of `''…''` strings
/// stripped. `None` when the string has error nodes inside: rnix's own
/// `normalized_parts` asserts on those and would panic.
pub fn string_parts(string: &ast::Str) -> Option<Vec<ast::InterpolPart<String>>> {
    use rowan::ast::AstNode;
    let well_formed = string
        .syntax()
        .children_with_tokens()
        .all(|child| match child {
            rowan::NodeOrToken::Token(token) => matches!(
                token.kind(),
                SyntaxKind::TOKEN_STRING_CONTENT
                    | SyntaxKind::TOKEN_STRING_START
                    | SyntaxKind::TOKEN_STRING_END
            ),
            rowan::NodeOrToken::Node(node) => node.kind() == SyntaxKind::NODE_INTERPOL,
        });
    well_formed.then(|| string.normalized_parts())
}

/// The parts of a path literal (`./hosts/${name}.nix`); `None` when the
/// path has unexpected children (rnix would panic on them).
pub fn path_parts(path: &ast::Expr) -> Option<Vec<ast::InterpolPart<ast::PathContent>>> {
    use rowan::ast::AstNode;
    let well_formed = path
        .syntax()
        .children_with_tokens()
        .all(|child| match child {
            rowan::NodeOrToken::Token(token) => matches!(
                token.kind(),
                SyntaxKind::TOKEN_PATH_ABS
                    | SyntaxKind::TOKEN_PATH_REL
                    | SyntaxKind::TOKEN_PATH_HOME
            ),
            rowan::NodeOrToken::Node(node) => node.kind() == SyntaxKind::NODE_INTERPOL,
        });
    if !well_formed {
        return None;
    }
    match path {
        ast::Expr::PathAbs(path) => Some(path.parts()),
        ast::Expr::PathRel(path) => Some(path.parts()),
        ast::Expr::PathHome(path) => Some(path.parts()),
        _ => None,
    }
}

#[cfg(test)]
mod broken_literal_tests {
    use super::*;

    #[test]
    fn strings_with_error_nodes_have_no_parts_instead_of_panicking() {
        // Mutations like this made rnix's `normalized_parts` assert.
        for text in [
            "\"a ${ } b\"",
            "''x ${ ; }''",
            "\"${\"",
            "./a/${}/b",
            "\"${(}\"",
        ] {
            let parsed = parse(text);
            for node in parsed.syntax().descendants() {
                if let Some(string) = <ast::Str as rowan::ast::AstNode>::cast(node.clone()) {
                    let _ = string_parts(&string);
                }
                if let Some(expr) = <ast::Expr as rowan::ast::AstNode>::cast(node) {
                    let _ = path_parts(&expr);
                }
            }
        }
    }
}
