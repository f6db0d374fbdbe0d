//! Reparsing a file with a few characters inserted without parsing all of
//! it again: only the bindings of the innermost set (or `let`) around the
//! insertion are parsed, and their nodes are spliced into the old green
//! tree. Completion inserts a marker identifier at the cursor this way; on
//! a 2.5 MB module two full parses cost 260–290 ms.
//!
//! The result is the tree a full parse of the patched text gives, or
//! nothing: a window is only reused when the parser provably reaches the
//! same state at both of its ends (see `splice_in`).

use rowan::{GreenNode, NodeOrToken};

use crate::{Parse, SyntaxError, SyntaxKind, SyntaxNode, TextRange, TextSize};

/// The root of `parse(patched)`, where `patched` is `text` with `insert`
/// at `offset` and `root` is the tree of `text`; `None` when the local
/// reparse cannot be shown to give that tree (the caller parses in full).
pub fn reparse_with_insert(
    root: &SyntaxNode,
    text: &str,
    offset: TextSize,
    insert: &str,
) -> Option<SyntaxNode> {
    // Brackets could change the nesting the full parse refuses (`MAX_NESTING`).
    if insert.contains(['{', '}', '[', ']', '(', ')', '$']) {
        return None;
    }
    let spliced = splice(root, text, TextRange::empty(offset), insert)?;
    Some(SyntaxNode::new_root(spliced.green))
}

/// `parse(new_text)` from `old`, the parse of `old_text`, when the two
/// texts differ in one place inside a set or `let` (an edit in an editor):
/// only the bindings around the change are parsed again, and every other
/// node (and error) is the old one. `None` when that cannot be shown to
/// equal a full parse.
pub fn reparse_edit(old: &Parse, old_text: &str, new_text: &str) -> Option<Parse> {
    if old.errors.iter().any(|error| error.range.is_empty()) {
        // Errors at the end of the file (or of nothing) cannot be placed.
        return None;
    }
    let prefix = old_text
        .bytes()
        .zip(new_text.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let max_suffix = old_text.len().min(new_text.len()) - prefix;
    let mut suffix = old_text
        .bytes()
        .rev()
        .zip(new_text.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let mut prefix = prefix;
    while !old_text.is_char_boundary(prefix) || !new_text.is_char_boundary(prefix) {
        prefix -= 1;
    }
    while !old_text.is_char_boundary(old_text.len() - suffix)
        || !new_text.is_char_boundary(new_text.len() - suffix)
    {
        suffix -= 1;
    }
    let deleted = TextRange::new(
        TextSize::from(prefix as u32),
        TextSize::from((old_text.len() - suffix) as u32),
    );
    let inserted = &new_text[prefix..new_text.len() - suffix];
    let root = old.syntax();
    let spliced = splice(&root, old_text, deleted, inserted)?;
    // The nesting limit counts brackets lexically over the whole file.
    let bracket = |s: &str| s.contains(['{', '}', '[', ']', '(', ')', '$', '"', '\'']);
    if (bracket(inserted) || bracket(&old_text[deleted])) && crate::too_deep(new_text).is_some() {
        return None;
    }
    // Errors: the old ones before and after the window, the window's own.
    let (start, old_end) = (spliced.window.start(), spliced.window.end());
    let delta = i64::from(u32::from(TextSize::of(inserted))) - i64::from(u32::from(deleted.len()));
    let shift = |range: TextRange, by: i64| -> TextRange {
        let at = |size: TextSize| TextSize::from((i64::from(u32::from(size)) + by) as u32);
        TextRange::new(at(range.start()), at(range.end()))
    };
    let mut errors = Vec::new();
    for error in &old.errors {
        if error.range.end() <= start {
            errors.push(error.clone());
        }
    }
    for error in spliced.errors {
        if error.range.is_empty() {
            return None;
        }
        errors.push(error);
    }
    for error in &old.errors {
        if error.range.start() >= old_end {
            errors.push(SyntaxError {
                range: shift(error.range, delta),
                message: error.message.clone(),
            });
        } else if error.range.end() > start {
            if error.range.start() < start {
                return None; // straddles the window's start
            }
            if error.range.end() > old_end {
                return None;
            }
        }
    }
    Some(Parse {
        green: spliced.green,
        errors,
    })
}

struct Spliced {
    green: GreenNode,
    /// The reparsed window, in the old text.
    window: TextRange,
    /// The window's errors, at their place in the new text.
    errors: Vec<SyntaxError>,
}

/// Replaces `deleted` (a range of `text`, the text of `root`) by `insert`
/// in the innermost set or `let` around it whose window reparses
/// cleanly; see `splice_in`.
fn splice(root: &SyntaxNode, text: &str, deleted: TextRange, insert: &str) -> Option<Spliced> {
    if usize::from(deleted.end()) > text.len()
        || !text.is_char_boundary(usize::from(deleted.start()))
        || !text.is_char_boundary(usize::from(deleted.end()))
        || root.text_range().end() != TextSize::of(text)
    {
        return None;
    }
    let token = root
        .token_at_offset(deleted.start())
        .left_biased()
        .or_else(|| root.first_token())?;
    // Inside a string or an interpolation the tokenizer's state at a window
    // edge is not the plain one a standalone parse starts in.
    let ancestors: Vec<SyntaxNode> = token.parent_ancestors().collect();
    if ancestors.iter().any(|node| {
        matches!(
            node.kind(),
            SyntaxKind::NODE_INTERPOL | SyntaxKind::NODE_DYNAMIC | SyntaxKind::NODE_STRING
        )
    }) {
        return None;
    }
    for node in &ancestors {
        if !node.text_range().contains_range(deleted) {
            continue;
        }
        if matches!(
            node.kind(),
            SyntaxKind::NODE_ATTR_SET | SyntaxKind::NODE_LET_IN
        ) {
            if let Some(spliced) = splice_in(node, text, deleted, insert) {
                return Some(spliced);
            }
            // An outer window holds this whole set: past some size a full
            // parse is as cheap.
            if usize::from(node.text_range().len()) > text.len() / 4 {
                return None;
            }
        }
    }
    None
}

/// Reparses the bindings of `block` around `deleted` (replaced by
/// `insert`) and returns the new root green tree.
///
/// The window starts where a binding of `block` ends (or at its `{`/`let`)
/// and ends where a later binding ends (or at its `}`/`in`). rnix parses
/// bindings in one loop (`parse_set`) and every binding node ends with the
/// loop back at its head, so the parser is in the same state at both edges
/// in the file and in the standalone text `{ window }`. If that text parses
/// as one set whose own closing `}` closes it, every reparsed binding ended
/// inside the window, and the full parse of the patched file has exactly
/// these bindings there and the old nodes everywhere else.
fn splice_in(block: &SyntaxNode, text: &str, deleted: TextRange, insert: &str) -> Option<Spliced> {
    let children: Vec<_> = block.children_with_tokens().collect();
    let (open_kind, close_kind) = match block.kind() {
        SyntaxKind::NODE_ATTR_SET => (SyntaxKind::TOKEN_L_BRACE, SyntaxKind::TOKEN_R_BRACE),
        _ => (SyntaxKind::TOKEN_LET, SyntaxKind::TOKEN_IN),
    };
    let open = children
        .iter()
        .position(|child| child.as_token().is_some_and(|t| t.kind() == open_kind))?;
    let close = open
        + 1
        + children[open + 1..]
            .iter()
            .position(|child| child.as_token().is_some_and(|t| t.kind() == close_kind))?;
    if block.kind() == SyntaxKind::NODE_ATTR_SET && close + 1 != children.len() {
        return None;
    }
    let open_end = children[open].text_range().end();
    let close_start = children[close].text_range().start();
    if deleted.start() < open_end || deleted.end() > close_start {
        return None;
    }
    // `let|` and `|in`: the insertion would glue to the keyword.
    if block.kind() == SyntaxKind::NODE_LET_IN
        && (deleted.start() == open_end || deleted.end() == close_start)
    {
        return None;
    }
    let inner = open + 1..close;
    // Every node between the brackets is a binding (or `inherit`).
    if children[inner.clone()].iter().any(|child| {
        child.as_node().is_some_and(|node| {
            !matches!(
                node.kind(),
                SyntaxKind::NODE_ATTRPATH_VALUE | SyntaxKind::NODE_INHERIT
            )
        }) || child
            .as_token()
            .is_some_and(|token| !token.kind().is_trivia())
    }) {
        return None;
    }
    let before = inner.clone().rfind(|&i| {
        children[i].as_node().is_some() && children[i].text_range().end() <= deleted.start()
    });
    let first = before.map_or(open + 1, |i| i + 1);
    let after = inner.clone().find(|&i| {
        children[i].as_node().is_some() && children[i].text_range().end() > deleted.end()
    });
    let last = after.map_or(close, |i| i + 1); // exclusive
    let start = before.map_or(open_end, |i| children[i].text_range().end());
    let end = after.map_or(close_start, |i| children[i].text_range().end());
    let (start_at, end_at) = (usize::from(start), usize::from(end));
    let (del_start, del_end) = (usize::from(deleted.start()), usize::from(deleted.end()));
    let snippet = format!(
        "{{{}{insert}{}}}",
        &text[start_at..del_start],
        &text[del_end..end_at]
    );
    if block.kind() == SyntaxKind::NODE_LET_IN {
        // The parser decides what `let` is (`let {`: the legacy form) by
        // looking into the window; and the bindings of a `let` end at any
        // `in`, those of the standalone set do not.
        if before.is_none()
            || rnix::tokenize(&snippet).any(|(kind, _)| kind == SyntaxKind::TOKEN_IN)
        {
            return None;
        }
    } else if before.is_none() {
        // `{` is a set or a lambda's pattern depending on the two tokens
        // after it: the standalone text must show the parser the same two.
        let tokens = rnix::tokenize(&snippet[1..])
            .filter(|(kind, _)| !kind.is_trivia())
            .take(3)
            .count();
        if tokens < 3 {
            return None;
        }
    }
    let parsed = rnix::Root::parse(&snippet);
    let errors = parsed.errors().to_vec();
    let parsed = parsed.syntax();
    let mut top = parsed.children_with_tokens();
    let set = top.next()?.into_node()?;
    if top.next().is_some()
        || set.kind() != SyntaxKind::NODE_ATTR_SET
        || set.text_range().len() != TextSize::of(&snippet)
    {
        return None;
    }
    let reparsed: Vec<_> = set.children_with_tokens().collect();
    let (Some(first_token), Some(last_token)) = (reparsed.first(), reparsed.last()) else {
        return None;
    };
    if reparsed.len() < 2
        || first_token.kind() != SyntaxKind::TOKEN_L_BRACE
        || last_token.kind() != SyntaxKind::TOKEN_R_BRACE
        || last_token.as_token().is_none()
        || reparsed[1..reparsed.len() - 1].iter().any(|child| {
            child
                .as_token()
                .is_some_and(|token| !token.kind().is_trivia())
        })
    {
        return None;
    }
    // The window's errors, moved from the snippet (after its `{`) to the file.
    let snippet_len = TextSize::of(&snippet);
    let mut moved = Vec::with_capacity(errors.len());
    for error in &errors {
        let error = crate::describe_error(error, snippet_len);
        if error.range.start() < TextSize::from(1)
            || error.range.end() > snippet_len - TextSize::from(1)
        {
            return None;
        }
        moved.push(SyntaxError {
            range: error.range - TextSize::from(1) + start,
            message: error.message,
        });
    }
    let replacement = reparsed[1..reparsed.len() - 1]
        .iter()
        .map(|child| match child {
            NodeOrToken::Node(node) => NodeOrToken::Node(node.green().to_owned()),
            NodeOrToken::Token(token) => NodeOrToken::Token(token.green().to_owned()),
        });
    let green = block.green().splice_children(first..last, replacement);
    Some(Spliced {
        green: block.replace_with(green),
        window: TextRange::new(start, end),
        errors: moved,
    })
}

/// What `parse` gives for the whole text (the reference in tests).
#[cfg(test)]
fn full(text: &str) -> GreenNode {
    crate::parse(text).green
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXTS: &[&str] = &[
        "{ config, lib, ... }:\n{\n  services.poglets.enable = true;\n  networking = {\n    hostName = \"x\";\n    \n  };\n  imports = [ ./a.nix ];\n}\n",
        "{\n  a = 1;\n  b.c = { d = 2; e = rec { f = 3; }; };\n  inherit (x) y z;\n  g = let h = 1; i = 2; in h;\n}\n",
        "let\n  cfg = config.services.x;\n  inherit (lib) mkIf;\nin {\n  options.x = mkOption { type = types.int; };\n  config = mkIf cfg.enable { y.z = 1; };\n}\n",
        "{ a = 1; b = ; c.d. ; e = { f = 1 }; g = \"s ${t} u\"; }",
        "{ x = { a = 1 ; b = 2 }\n  y = 3; }",
        "{ pkgs, ... }: with pkgs; { a = callPackage ./a { }; b = [ c d ]; inherit e; }",
        "{\n  a = 1;\n  # comment\n  b = 2; /* block */ c = 3;\n}\n",
        "{ a.b.c = 1; a.\n  d = 2; }",
        "{ inherit a b }",
        "let a = 1; b = 2; in { c = a; }",
        "{ a = { b = { c = { }; }; }; }",
        "rec { a = 1; b = a; }",
    ];

    #[test]
    fn local_reparse_equals_full_reparse_or_declines() {
        let mut reused = 0;
        let mut total = 0;
        // The texts, and broken variants: each with one character cut.
        let mut texts: Vec<String> = TEXTS.iter().map(|t| t.to_string()).collect();
        for text in TEXTS {
            for cut in (0..text.len()).step_by(9) {
                let mut broken = text.to_string();
                broken.remove(cut);
                texts.push(broken);
            }
        }
        for text in &texts {
            let text = text.as_str();
            let root = crate::parse(text).syntax();
            for at in 0..=text.len() {
                if !text.is_char_boundary(at) {
                    continue;
                }
                for insert in [
                    "flakelensCompletionMarker",
                    "flakelensCompletionMarker = null; ",
                ] {
                    total += 1;
                    let patched = format!("{}{insert}{}", &text[..at], &text[at..]);
                    let Some(local) =
                        reparse_with_insert(&root, text, TextSize::from(at as u32), insert)
                    else {
                        continue;
                    };
                    reused += 1;
                    assert_eq!(
                        local.green().to_owned(),
                        full(&patched),
                        "text {text:?}, insert {insert:?} at {at}"
                    );
                }
            }
        }
        // The point is to avoid full parses: most positions are reused.
        assert!(reused * 3 > total, "{reused} of {total}");
    }

    #[test]
    fn edits_equal_full_parse_or_decline() {
        // Replacements an editor makes: typing, deleting, wrapping a value.
        const FRAGMENTS: &[&str] = &[
            "",
            "x",
            " ",
            ";",
            "=",
            "}",
            "{",
            "\"",
            "a = 1;",
            "(let u = 1; in 1)",
            ".",
            "${",
            "rec ",
            "inherit b;",
            "[ 1 2 ]",
            "''s''",
            "# c\n",
        ];
        let mut reused = 0;
        let mut total = 0;
        for text in TEXTS {
            let old = crate::parse(text);
            for at in (0..=text.len()).step_by(2) {
                for len in [0, 1, 3, 8] {
                    let end = (at + len).min(text.len());
                    if !text.is_char_boundary(at) || !text.is_char_boundary(end) {
                        continue;
                    }
                    for fragment in FRAGMENTS {
                        let new_text = format!("{}{fragment}{}", &text[..at], &text[end..]);
                        total += 1;
                        let Some(local) = reparse_edit(&old, text, &new_text) else {
                            continue;
                        };
                        reused += 1;
                        let full = crate::parse(&new_text);
                        assert_eq!(local.green, full.green, "{text:?} -> {new_text:?}");
                        assert_eq!(local.errors, full.errors, "{text:?} -> {new_text:?}");
                    }
                }
            }
        }
        assert!(reused * 4 > total, "{reused} of {total}");
    }

    #[test]
    fn declines_inside_strings_and_with_brackets() {
        let text = "{ a = \"x y\"; b = 1; }";
        let root = crate::parse(text).syntax();
        assert!(reparse_with_insert(&root, text, TextSize::from(8), "m").is_none());
        assert!(reparse_with_insert(&root, text, TextSize::from(13), "{").is_none());
        assert!(reparse_with_insert(&root, text, TextSize::from(13), "m").is_some());
    }

    #[test]
    fn big_set_reuses_untouched_bindings() {
        let mut text = String::from("{\n");
        for i in 0..2000 {
            text.push_str(&format!("  package{i} = callPackage ./p{i} {{ }};\n"));
        }
        text.push_str("}\n");
        let parsed = crate::parse(&text);
        let root = parsed.syntax();
        let at = text.find("package1000").unwrap() + 3;
        let local = reparse_with_insert(&root, &text, TextSize::from(at as u32), "X").unwrap();
        let patched = format!("{}X{}", &text[..at], &text[at..]);
        assert_eq!(local.green().to_owned(), full(&patched));
    }
}
