//! What kind of completion the cursor asks for: an option path being
//! written, a value of an option, or nothing.

use flakelens_analysis::Segment;
use flakelens_syntax::{ast, SyntaxKind, TextRange, TextSize};
use rowan::ast::AstNode;

use super::*;

/// Completion context: what is being typed at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompletionContext {
    /// An attribute name in a definition or declaration (`kind`), below
    /// `base`; `partial` typed so far, replacing `replace`.
    Key {
        kind: PathKind,
        base: Vec<Segment>,
        partial: String,
        replace: TextRange,
    },
    /// A segment of a config read (`cfg.`, `config.services.`).
    Read {
        base: Vec<Segment>,
        partial: String,
        replace: TextRange,
    },
    /// The value after `path =`.
    Value {
        path: Vec<Segment>,
        partial: String,
        replace: TextRange,
    },
}

const MARKER: &str = "flakelensCompletionMarker";

/// Works out the completion context. Broken input is the normal case
/// here, so a marker identifier is inserted at the cursor and the text
/// reparsed (locally, see `reparse_with_insert`): first bare (`services.poglets.|` → a path), then as a
/// binding (`{ po| }` → `{ poMARKER = null; }`).
pub fn completion_context(
    text: &str,
    offset: TextSize,
    is_flake: bool,
) -> Option<CompletionContext> {
    let parse = flakelens_syntax::parse(text);
    completion_context_in(&parse.syntax(), text, offset, is_flake)
}

/// [`completion_context`] with `root`, the tree of `text`, already parsed.
pub fn completion_context_in(
    root: &SyntaxNode,
    text: &str,
    offset: TextSize,
    is_flake: bool,
) -> Option<CompletionContext> {
    let at = usize::from(offset);
    if at > text.len() || !text.is_char_boundary(at) {
        return None;
    }
    if let Some(value) = value_context(root, text, offset, is_flake) {
        return Some(value);
    }
    if !may_be_key_or_read(root, text, offset) {
        return None;
    }
    for suffix in ["", " = null; "] {
        // The bindings around the cursor reparsed and spliced into the
        // cached tree; a full parse only where that cannot be shown equal.
        let insert = format!("{MARKER}{suffix}");
        let root = flakelens_syntax::reparse_with_insert(root, text, offset, &insert)
            .unwrap_or_else(|| {
                let patched = format!("{}{insert}{}", &text[..at], &text[at..]);
                flakelens_syntax::parse(&patched).syntax()
            });
        let marker_end = offset + TextSize::of(MARKER);
        let Some(token) = root
            .token_at_offset(marker_end)
            .find(|t| t.kind() == SyntaxKind::TOKEN_IDENT && t.text().contains(MARKER))
        else {
            continue;
        };
        let Some(ident) = token.parent() else {
            continue;
        };
        let Some(attrpath) = ident.parent().and_then(ast::Attrpath::cast) else {
            continue;
        };
        let Some(holder) = attrpath.syntax().parent() else {
            continue;
        };
        let segs = attrpath_segs(&attrpath);
        let Some(index) = segs
            .iter()
            .position(|(_, range)| *range == ident.text_range())
        else {
            continue;
        };
        let start = ident.text_range().start();
        let partial = text[usize::from(start)..at].to_string();
        let replace = TextRange::new(start, offset);
        let before: Vec<Segment> = segs[..index].iter().map(|(seg, _)| seg.clone()).collect();
        match holder.kind() {
            SyntaxKind::NODE_ATTRPATH_VALUE => {
                let set_node = holder.parent()?;
                let set = ast::AttrSet::cast(set_node.clone())?;
                let (kind, base) = match role_of(&set_node, is_flake)? {
                    Role::ModuleRoot => {
                        if is_explicit_module(&set) {
                            let first = match before.first() {
                                Some(Segment::Name(name)) => name.clone(),
                                // Top level of an explicit module: no options here.
                                _ => return None,
                            };
                            match first.as_str() {
                                "config" => (PathKind::Definition, before[1..].to_vec()),
                                "options" => (PathKind::Declaration, before[1..].to_vec()),
                                _ => return None,
                            }
                        } else {
                            if matches!(before.first(), Some(Segment::Name(n)) if MODULE_META_KEYS.contains(&n.as_str()))
                            {
                                return None;
                            }
                            (PathKind::Definition, before)
                        }
                    }
                    Role::At(kind, mut path) => {
                        path.extend(before);
                        (kind, path)
                    }
                };
                return Some(CompletionContext::Key {
                    kind,
                    base,
                    partial,
                    replace,
                });
            }
            SyntaxKind::NODE_SELECT => {
                let select = ast::Select::cast(holder)?;
                let mut base = config_path(select.expr()?.syntax())?;
                base.extend(before);
                return Some(CompletionContext::Read {
                    base,
                    partial,
                    replace,
                });
            }
            _ => continue,
        }
    }
    None
}

/// Whether a key or a `x.y.` read can stand at `offset`: the token before
/// the word being typed is `{`, `;`, `let` or `.` (or there is none, or the
/// input is broken there). After anything else (`=`, an operator, `(`, `[`,
/// `in`, a value) the cursor is in an expression where neither can stand,
/// and the marker reparses below would cost two parses of the whole file
/// to find nothing (96–356 ms on large files).
fn may_be_key_or_read(root: &SyntaxNode, text: &str, offset: TextSize) -> bool {
    let before = &text[..usize::from(offset)];
    let word_start = before
        .trim_end_matches(|c: char| c.is_alphanumeric() || c == '_' || c == '\'' || c == '-')
        .len();
    if word_start == 0 {
        return true;
    }
    let Some(mut token) = root
        .token_at_offset(TextSize::from(word_start as u32))
        .left_biased()
    else {
        return true;
    };
    while matches!(
        token.kind(),
        SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT
    ) || token.text_range().start() >= TextSize::from(word_start as u32)
    {
        match token.prev_token() {
            Some(previous) => token = previous,
            None => return true,
        }
    }
    // A lambda's formals (`{ config, l| }:`) hold names, not keys: and no
    // set or `let` lies around them to reparse locally. Only a pattern
    // directly followed by its `:`: `{ p| }` alone parses as a pattern too,
    // and is a set being typed.
    if token.parent().is_some_and(|parent| {
        parent.kind() == SyntaxKind::NODE_PATTERN
            && parent
                .parent()
                .is_some_and(|lambda| lambda.kind() == SyntaxKind::NODE_LAMBDA)
            && std::iter::successors(parent.next_sibling_or_token(), |next| {
                next.next_sibling_or_token()
            })
            .find(|next| !next.kind().is_trivia())
            .is_some_and(|next| next.kind() == SyntaxKind::TOKEN_COLON)
    }) {
        return false;
    }
    let broken = token.kind() == SyntaxKind::TOKEN_ERROR
        || token
            .parent_ancestors()
            .any(|node| node.kind() == SyntaxKind::NODE_ERROR);
    broken
        || matches!(
            token.kind(),
            SyntaxKind::TOKEN_L_BRACE
                | SyntaxKind::TOKEN_SEMICOLON
                | SyntaxKind::TOKEN_LET
                | SyntaxKind::TOKEN_DOT
        )
}

/// `path = |` or `path = tr|`: completing a value.
pub(crate) fn value_context(
    root: &SyntaxNode,
    text: &str,
    offset: TextSize,
    is_flake: bool,
) -> Option<CompletionContext> {
    // The token just before the cursor (skipping the word being typed).
    let token = root.token_at_offset(offset).left_biased()?;
    let partial_start = match token.kind() {
        SyntaxKind::TOKEN_IDENT if token.text_range().start() < offset => {
            token.text_range().start()
        }
        _ => offset,
    };
    let apv = token
        .parent_ancestors()
        .find_map(ast::AttrpathValue::cast)?;
    let assign = apv.assign_token()?;
    if assign.text_range().end() > partial_start {
        return None;
    }
    // Only directly after `=` (nothing but the typed word in between).
    let between = &text[usize::from(assign.text_range().end())..usize::from(partial_start)];
    if !between.trim().is_empty() {
        return None;
    }
    let attrpath = apv.attrpath()?;
    let last = attrpath.attrs().last()?;
    let (kind, path) = key_path(&last, is_flake)?;
    if kind != PathKind::Definition {
        return None;
    }
    Some(CompletionContext::Value {
        path,
        partial: text[usize::from(partial_start)..usize::from(offset)].to_string(),
        replace: TextRange::new(partial_start, offset),
    })
}
