//! The Nix language itself: completion of names in scope in expression
//! position (let, rec, lambda formals, `with lib;`/`with builtins;`/literal
//! `with { … };`), of `builtins.*` and `lib.*`, and hover on a builtin or
//! `lib` function. Works on the cached syntax tree only (no reparse), so
//! it stays fast on large files.

use flakelens_analysis::Segment;
use std::collections::HashSet;

use flakelens_db::Db;
use flakelens_syntax::{ast, SyntaxKind, SyntaxNode, SyntaxToken, TextRange, TextSize};
use rnix::ast::HasEntry;
use rowan::ast::AstNode;

use crate::completion::{CompletionItem, CompletionKind};
use crate::hover::HoverResult;
use crate::nix_docs::{self, FnDoc, BUILTINS, GLOBALS, LIB, LIB_NAMESPACES};
use crate::syntax_nav::{attr_seg, resolve, Binding};

/// What the cursor completes in Nix terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LangContext {
    /// A name in expression position. `after_assign`: directly after
    /// `key =`, where an option's values may be offered first.
    Scope {
        partial: String,
        replace: TextRange,
        after_assign: bool,
    },
    /// `builtins.|`
    Builtins { partial: String, replace: TextRange },
    /// `lib.|`, `lib.strings.|`, `pkgs.lib.|`
    Lib { partial: String, replace: TextRange },
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'\'' || c == b'-'
}

pub(crate) fn context(text: &str, root: &SyntaxNode, offset: TextSize) -> Option<LangContext> {
    let at = usize::from(offset);
    if at > text.len() || !text.is_char_boundary(at) {
        return None;
    }
    let bytes = text.as_bytes();
    let mut start = at;
    while start > 0 && is_ident_char(bytes[start - 1]) {
        start -= 1;
    }
    let partial = text[start..at].to_string();
    if partial
        .bytes()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == b'-' || c == b'\'')
    {
        return None;
    }
    let start_size = TextSize::from(start as u32);
    let replace = TextRange::new(start_size, offset);
    // Inside a string, a comment or a path: nothing.
    if let Some(token) = root.token_at_offset(offset).left_biased() {
        if token.text_range().start() < offset
            && matches!(
                token.kind(),
                SyntaxKind::TOKEN_STRING_CONTENT
                    | SyntaxKind::TOKEN_COMMENT
                    | SyntaxKind::TOKEN_PATH_ABS
                    | SyntaxKind::TOKEN_PATH_REL
                    | SyntaxKind::TOKEN_PATH_HOME
                    | SyntaxKind::TOKEN_URI
            )
        {
            return None;
        }
    }
    let prev = prev_token(root, start_size);
    if start > 0 && bytes[start - 1] == b'.' {
        let dot = prev?;
        if dot.kind() != SyntaxKind::TOKEN_DOT || in_key(&dot) {
            return None;
        }
        let mut chain_start = start - 1;
        while chain_start > 0
            && (is_ident_char(bytes[chain_start - 1]) || bytes[chain_start - 1] == b'.')
        {
            chain_start -= 1;
        }
        let segments: Vec<&str> = text[chain_start..start - 1].split('.').collect();
        return match segments.as_slice() {
            ["builtins"] => Some(LangContext::Builtins { partial, replace }),
            [.., "lib"] => Some(LangContext::Lib { partial, replace }),
            [.., "lib", ns] if LIB_NAMESPACES.contains(ns) => {
                Some(LangContext::Lib { partial, replace })
            }
            _ => None,
        };
    }
    let scope = |after_assign| {
        Some(LangContext::Scope {
            partial: partial.clone(),
            replace,
            after_assign,
        })
    };
    let Some(prev) = prev else {
        return scope(false);
    };
    use SyntaxKind::*;
    match prev.kind() {
        TOKEN_ASSIGN => scope(true),
        TOKEN_IN | TOKEN_COLON | TOKEN_L_BRACK | TOKEN_L_PAREN | TOKEN_THEN | TOKEN_ELSE
        | TOKEN_IF | TOKEN_ASSERT | TOKEN_WITH | TOKEN_INTERPOL_START | TOKEN_ADD | TOKEN_SUB
        | TOKEN_MUL | TOKEN_DIV | TOKEN_CONCAT | TOKEN_UPDATE | TOKEN_AND_AND | TOKEN_OR_OR
        | TOKEN_EQUAL | TOKEN_NOT_EQUAL | TOKEN_LESS | TOKEN_LESS_OR_EQ | TOKEN_MORE
        | TOKEN_MORE_OR_EQ | TOKEN_INVERT | TOKEN_IMPLICATION | TOKEN_PIPE_LEFT
        | TOKEN_PIPE_RIGHT => scope(false),
        TOKEN_SEMICOLON => {
            let parent = prev.parent()?;
            matches!(parent.kind(), NODE_WITH | NODE_ASSERT)
                .then_some(())
                .and_then(|_| scope(false))
        }
        TOKEN_QUESTION => {
            (prev.parent()?.kind() == NODE_PAT_ENTRY).then_some(())?;
            scope(false)
        }
        // After a complete expression: an argument or a list element.
        TOKEN_IDENT | TOKEN_R_BRACK | TOKEN_R_PAREN | TOKEN_R_BRACE | TOKEN_INTEGER
        | TOKEN_FLOAT | TOKEN_STRING_END | TOKEN_PATH_REL | TOKEN_PATH_ABS => {
            let node = prev.parent()?;
            let node = if node.kind() == NODE_IDENT {
                node.parent()?
            } else {
                node
            };
            let holder = node
                .ancestors()
                .find(|n| matches!(n.kind(), NODE_LIST | NODE_APPLY | NODE_ATTRPATH))?;
            (holder.kind() != NODE_ATTRPATH
                && holder.text_range().end() >= start_size
                && !in_key(&prev))
            .then_some(())?;
            scope(false)
        }
        _ => None,
    }
}

/// The last non-trivia token ending at or before `offset`.
fn prev_token(root: &SyntaxNode, offset: TextSize) -> Option<SyntaxToken> {
    let mut token = root.token_at_offset(offset).left_biased()?;
    if token.text_range().start() >= offset {
        token = token.prev_token()?;
    }
    while matches!(
        token.kind(),
        SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT
    ) || token.text_range().end() > offset
    {
        token = token.prev_token()?;
    }
    Some(token)
}

/// Whether a token is part of an attribute key (`{ a.b = …; }`,
/// `inherit a;`) rather than of a selection.
fn in_key(token: &SyntaxToken) -> bool {
    token
        .parent_ancestors()
        .find(|n| n.kind() == SyntaxKind::NODE_ATTRPATH || n.kind() == SyntaxKind::NODE_INHERIT)
        .and_then(|n| {
            if n.kind() == SyntaxKind::NODE_INHERIT {
                return Some(true);
            }
            n.parent()
                .map(|p| p.kind() == SyntaxKind::NODE_ATTRPATH_VALUE)
        })
        .unwrap_or(false)
}

fn matches(partial: &str, name: &str) -> bool {
    let mut chars = name.chars().flat_map(char::to_lowercase);
    partial
        .chars()
        .flat_map(char::to_lowercase)
        .all(|wanted| chars.any(|c| c == wanted))
}

fn doc_item(doc: &FnDoc, qualifier: &str, replace: TextRange) -> CompletionItem {
    CompletionItem {
        label: doc.name.to_string(),
        kind: CompletionKind::Function,
        detail: Some(doc.signature.to_string()),
        documentation: Some(doc_markdown(doc, qualifier)),
        insert: doc.name.to_string(),
        replace,
    }
}

fn doc_markdown(doc: &FnDoc, qualifier: &str) -> String {
    format!(
        "```nix\n{}\n```\n{}\n\n`{qualifier}.{}`",
        doc.signature, doc.summary, doc.name
    )
}

fn table_items(
    table: &[FnDoc],
    qualifier: &str,
    partial: &str,
    replace: TextRange,
) -> Vec<CompletionItem> {
    table
        .iter()
        .filter(|doc| matches(partial, doc.name))
        .map(|doc| doc_item(doc, qualifier, replace))
        .collect()
}

/// Completion items for a Nix-language context.
pub(crate) fn completions(
    root: &SyntaxNode,
    offset: TextSize,
    cx: &LangContext,
) -> Vec<CompletionItem> {
    match cx {
        LangContext::Builtins { partial, replace } => {
            table_items(BUILTINS, "builtins", partial, *replace)
        }
        LangContext::Lib { partial, replace } => table_items(LIB, "lib", partial, *replace),
        LangContext::Scope {
            partial, replace, ..
        } => scope_items(root, offset, partial, *replace),
    }
}

fn scope_items(
    root: &SyntaxNode,
    offset: TextSize,
    partial: &str,
    replace: TextRange,
) -> Vec<CompletionItem> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    let mut push =
        |out: &mut Vec<CompletionItem>, name: String, kind, detail: String, doc: Option<String>| {
            if seen.insert(name.clone()) && matches(partial, &name) {
                out.push(CompletionItem {
                    label: name.clone(),
                    kind,
                    detail: Some(detail),
                    documentation: doc,
                    insert: name,
                    replace,
                });
            }
        };
    let Some(token) = root.token_at_offset(offset).left_biased() else {
        return out;
    };
    let mut child: Option<SyntaxNode> = None;
    for node in token.parent_ancestors() {
        match node.kind() {
            SyntaxKind::NODE_LET_IN => {
                if let Some(let_in) = ast::LetIn::cast(node.clone()) {
                    for name in entry_names(&let_in) {
                        push(
                            &mut out,
                            name,
                            CompletionKind::Variable,
                            "let binding".into(),
                            None,
                        );
                    }
                }
            }
            SyntaxKind::NODE_ATTR_SET => {
                if let Some(set) = ast::AttrSet::cast(node.clone()) {
                    if crate::syntax_nav::is_rec(&set) {
                        for name in entry_names(&set) {
                            push(
                                &mut out,
                                name,
                                CompletionKind::Variable,
                                "rec attribute".into(),
                                None,
                            );
                        }
                    }
                }
            }
            SyntaxKind::NODE_LAMBDA => {
                if let Some(lambda) = ast::Lambda::cast(node.clone()) {
                    for name in param_names(&lambda) {
                        push(
                            &mut out,
                            name,
                            CompletionKind::Variable,
                            "lambda formal".into(),
                            None,
                        );
                    }
                }
            }
            SyntaxKind::NODE_WITH => {
                let with = ast::With::cast(node.clone());
                let in_body = with
                    .as_ref()
                    .and_then(|w| w.body())
                    .is_some_and(|b| Some(b.syntax()) == child.as_ref());
                if let (true, Some(namespace)) = (in_body, with.and_then(|w| w.namespace())) {
                    match with_table(namespace.syntax()) {
                        Some((table, qualifier)) => {
                            for doc in table {
                                push(
                                    &mut out,
                                    doc.name.to_string(),
                                    CompletionKind::Function,
                                    doc.signature.to_string(),
                                    Some(doc_markdown(doc, qualifier)),
                                );
                            }
                        }
                        None => {
                            if let Some(set) = ast::AttrSet::cast(namespace.syntax().clone()) {
                                for name in entry_names(&set) {
                                    push(
                                        &mut out,
                                        name,
                                        CompletionKind::Variable,
                                        "with attribute".into(),
                                        None,
                                    );
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        child = Some(node);
    }
    for name in GLOBALS {
        match nix_docs::builtin(name) {
            Some(doc) => push(
                &mut out,
                name.to_string(),
                CompletionKind::Function,
                doc.signature.to_string(),
                Some(doc_markdown(doc, "builtins")),
            ),
            None => push(
                &mut out,
                name.to_string(),
                CompletionKind::Keyword,
                "builtin".into(),
                None,
            ),
        }
    }
    out
}

/// The doc table a `with` namespace stands for: `lib` (or `x.lib`,
/// `lib.strings`), `builtins`.
fn with_table(namespace: &SyntaxNode) -> Option<(&'static [FnDoc], &'static str)> {
    let text = namespace.text().to_string();
    let segments: Vec<&str> = text.trim().split('.').collect();
    match segments.as_slice() {
        ["builtins"] => Some((BUILTINS, "builtins")),
        [.., "lib"] => Some((LIB, "lib")),
        [.., "lib", ns] if LIB_NAMESPACES.contains(ns) => Some((LIB, "lib")),
        _ => None,
    }
}

fn entry_names(scope: &impl HasEntry) -> Vec<String> {
    let mut out = Vec::new();
    for entry in scope.entries() {
        match entry {
            ast::Entry::AttrpathValue(apv) => {
                if let Some(Segment::Name(name)) = apv
                    .attrpath()
                    .and_then(|p| p.attrs().next())
                    .map(|a| attr_seg(&a))
                {
                    out.push(name);
                }
            }
            ast::Entry::Inherit(inherit) => {
                for attr in inherit.attrs() {
                    if let Segment::Name(name) = attr_seg(&attr) {
                        out.push(name);
                    }
                }
            }
        }
    }
    out
}

fn param_names(lambda: &ast::Lambda) -> Vec<String> {
    let mut out = Vec::new();
    match lambda.param() {
        Some(ast::Param::IdentParam(param)) => {
            if let Some(ident) = param.ident() {
                out.push(ident.syntax().text().to_string());
            }
        }
        Some(ast::Param::Pattern(pattern)) => {
            for entry in pattern.pat_entries() {
                if let Some(ident) = entry.ident() {
                    out.push(ident.syntax().text().to_string());
                }
            }
            if let Some(bind) = pattern.pat_bind().and_then(|b| b.ident()) {
                out.push(bind.syntax().text().to_string());
            }
        }
        None => {}
    }
    out
}

/// Hover on a builtin or `lib` function: `builtins.map`, `lib.mkIf`,
/// `lib.strings.hasPrefix`, a global (`toString`), or a name a
/// `with lib;` / `with builtins;` brings into scope.
pub(crate) fn hover(db: &dyn Db, path: &str, offset: TextSize) -> Option<HoverResult> {
    let file = flakelens_db::file_at(db, path)?;
    let root = flakelens_db::parse(db, file).syntax();
    let token = root
        .token_at_offset(offset)
        .find(|t| t.kind() == SyntaxKind::TOKEN_IDENT)?;
    let ident_node = token.parent()?;
    let ident = ast::Ident::cast(ident_node.clone())?;
    let name = token.text().to_string();
    let range = token.text_range();
    let found = match ident_node.parent() {
        Some(attrpath) if attrpath.kind() == SyntaxKind::NODE_ATTRPATH => {
            let select = ast::Select::cast(attrpath.parent()?)?;
            let attrs: Vec<ast::Attr> = ast::Attrpath::cast(attrpath)?.attrs().collect();
            let index = attrs.iter().position(|a| a.syntax() == &ident_node)?;
            let mut chain = vec![select.expr()?.syntax().text().to_string()];
            chain.extend(attrs[..index].iter().map(|a| a.syntax().text().to_string()));
            let chain: Vec<&str> = chain.iter().flat_map(|s| s.split('.')).collect();
            match chain.as_slice() {
                ["builtins"] => nix_docs::builtin(&name).map(|d| (d, "builtins")),
                [.., "lib"] => nix_docs::lib(&name).map(|d| (d, "lib")),
                [.., "lib", ns] if LIB_NAMESPACES.contains(ns) => {
                    nix_docs::lib(&name).map(|d| (d, "lib"))
                }
                _ => None,
            }
        }
        _ => match resolve(&ident) {
            None => GLOBALS
                .contains(&name.as_str())
                .then(|| nix_docs::builtin(&name).map(|d| (d, "builtins")))
                .flatten(),
            Some(Binding::With { namespaces }) => namespaces.iter().find_map(|ns| {
                let (table, qualifier) = with_table(ns)?;
                let index = table.binary_search_by(|d| d.name.cmp(&name)).ok()?;
                Some((&table[index], qualifier))
            }),
            Some(_) => None,
        },
    };
    let (doc, qualifier) = found?;
    Some(HoverResult {
        markdown: doc_markdown(doc, qualifier),
        range,
    })
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use crate::fixture;

    /// Completion labels at `$0` (all of them: `ALL`, or only those
    /// that are not the global names).
    fn labels(text: &str) -> String {
        let (host, path, offset) = fixture::with_cursor(text);
        let items = host.analysis().completions_at(&path, offset).unwrap();
        items
            .iter()
            .filter(|item| !super::GLOBALS.contains(&item.label.as_str()))
            .map(|item| {
                format!(
                    "{} — {}",
                    item.label,
                    item.detail.clone().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn check(text: &str, expect: Expect) {
        expect.assert_eq(&labels(text));
    }

    fn hover(text: &str) -> String {
        let (host, path, offset) = fixture::with_cursor(text);
        let analysis = host.analysis();
        match analysis.hover_at(&path, offset).unwrap() {
            Some(hover) => {
                let text = analysis.file_text(&path).unwrap();
                format!(
                    "{:?}\n{}",
                    &text[usize::from(hover.range.start())..usize::from(hover.range.end())],
                    hover.markdown
                )
            }
            None => "none".into(),
        }
    }

    #[test]
    fn names_in_scope_let_lambda_rec() {
        check(
            "{ pkgs, lib ? null, ... }@args:\nlet\n  port = 8420;\n  inherit (pkgs) hello;\nin rec {\n  a = 1;\n  b = [ $0 ];\n}\n",
            expect![[r#"
                a — rec attribute
                b — rec attribute
                port — let binding
                hello — let binding
                pkgs — lambda formal
                lib — lambda formal
                args — lambda formal"#]],
        );
        // A typed prefix filters; inner scopes shadow outer ones.
        check(
            "x: let portal = 1; in y: por$0",
            expect!["portal — let binding"],
        );
        // The lambda body sees its formals; a key position is not an
        // expression.
        check("let a = 1; in { a$0 }", expect![""]);
        check("let a = 1; in { b = a; $0 }", expect![""]);
    }

    #[test]
    fn globals_with_signatures() {
        let (host, path, offset) = fixture::with_cursor("{ x = to$0; }");
        let items = host.analysis().completions_at(&path, offset).unwrap();
        let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
        // Subsequence matching, as editors filter.
        assert_eq!(labels, ["derivation", "fromTOML", "throw", "toString"]);
        assert_eq!(items[3].detail.as_deref(), Some("toString :: a -> String"));
    }

    #[test]
    fn with_lib_and_builtins_and_literal_sets() {
        let text = "{ lib, ... }:\nwith lib;\n{\n  x = mkIf$0;\n}\n";
        check(
            text,
            expect![[r#"
            mkIf — mkIf :: Bool -> a -> a
            mkOptionDefault — mkOptionDefault :: a -> a"#]],
        );
        check(
            "with builtins; with { alpha = 1; }; [ alp$0 ]",
            expect!["alpha — with attribute"],
        );
        check(
            "with builtins; attrNa$0",
            expect!["attrNames — attrNames :: AttrSet -> [String]"],
        );
        // Only the body of `with` sees its names.
        check("(with { alpha = 1; }; 1) + alp$0", expect![""]);
    }

    #[test]
    fn builtins_and_lib_members() {
        check(
            "{ x = builtins.toJ$0; }",
            expect!["toJSON — toJSON :: a -> String"],
        );
        check(
            "{ lib, ... }: { x = lib.mkDef$0; }",
            expect![[r#"
                mkDefault — mkDefault :: a -> a
                mkOptionDefault — mkOptionDefault :: a -> a"#]],
        );
        check(
            "{ pkgs, ... }: { x = pkgs.lib.strings.hasPre$0; }",
            expect!["hasPrefix — hasPrefix :: String -> String -> Bool"],
        );
        let (host, path, offset) = fixture::with_cursor("{ x = builtins.$0 }");
        let all = host.analysis().completions_at(&path, offset).unwrap();
        assert_eq!(all.len(), super::BUILTINS.len());
        // Not in strings or keys.
        check("{ x = \"lib.mk$0\"; }", expect![""]);
        check("{ lib.mk$0 = 1; }", expect![""]);
    }

    #[test]
    fn hover_on_builtins_and_lib() {
        expect![[r#"
            "mapAttrs"
            ```nix
            mapAttrs :: (String -> a -> b) -> AttrSet -> AttrSet
            ```
            Applies a function of name and value to each attribute.

            `builtins.mapAttrs`"#]]
        .assert_eq(&hover("builtins.mapA$0ttrs (n: v: v) { }"));
        expect![[r#"
            "mkIf"
            ```nix
            mkIf :: Bool -> a -> a
            ```
            A definition that applies only when the condition holds.

            `lib.mkIf`"#]]
        .assert_eq(&hover(
            "{ lib, config, ... }: { config = lib.mk$0If true { }; }",
        ));
        expect![[r#"
            "optionals"
            ```nix
            optionals :: Bool -> [a] -> [a]
            ```
            The list if the condition holds, else `[]`.

            `lib.optionals`"#]]
        .assert_eq(&hover(
            "{ lib, ... }: with lib; { x = optio$0nals true [ ]; }",
        ));
        expect![[r#"
            "toString"
            ```nix
            toString :: a -> String
            ```
            Converts a value to a string.

            `builtins.toString`"#]]
        .assert_eq(&hover("toStr$0ing 1"));
        // A local binding shadows the builtin.
        assert_eq!(
            hover("let map = 1; in ma$0p"),
            hover("let map = 1; in map$0")
        );
        assert!(!hover("let map = 1; in ma$0p").contains("builtins.map"));
    }
}

#[cfg(test)]
mod option_first_tests {
    use crate::fixture;

    const HOST: &str = "#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.neptune = nixpkgs.lib.nixosSystem { modules = [ ./neptune.nix ]; };
  };
}
#- /poglets.nix
{ lib, ... }: {
  options.services.poglets.enable = lib.mkEnableOption \"poglets\";
  options.services.poglets.port = lib.mkOption { type = lib.types.port; };
}
#- /neptune.nix
{ config, lib, ... }: let base = 8000; in {
  imports = [ ./poglets.nix ];
";

    fn labels(body: &str) -> Vec<String> {
        let (host, path, offset) = fixture::with_cursor(&format!("{HOST}{body}\n}}\n"));
        let items = host.analysis().completions_at(&path, offset).unwrap();
        items.into_iter().map(|i| i.label).collect()
    }

    #[test]
    fn option_values_and_keys_keep_priority() {
        // A bool option's values come before names in scope.
        assert_eq!(labels("  services.poglets.enable = $0;"), ["true", "false"]);
        // An option without literal values: names in scope.
        let port = labels("  services.poglets.port = ba$0;");
        assert_eq!(port.first().map(String::as_str), Some("base"));
        // Keys are still option paths.
        assert_eq!(labels("  services.poglets.$0"), ["enable", "port"]);
    }
}
