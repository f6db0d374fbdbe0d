//! Quick fixes worked out when the editor asks for code actions (not
//! carried by the diagnostic, so `check` does not pay for them):
//!
//! - `type-mismatch` on a literal: the literal of the other kind when it
//!   surely fits every declaration of the option (`"8420"` → `8420`,
//!   `"true"` → `true`, `8420` → `"8420"` for a string option);
//! - `option-not-imported`: import the declaring module in the module
//!   that sets the option (an `imports = [ … ]` list written out, or a new
//!   one at the top of the module's attrset).
//!
//! Each is offered only when the edit is sure to be the one meant.

use flakelens_analysis::diagnostics::codes;
use flakelens_analysis::hosts::module_summary;
use flakelens_analysis::module::types::value_fits;
use flakelens_analysis::module::{DefKind, DefValue};
use flakelens_db::{paths, Db, SourceFile};
use flakelens_syntax::{ast, SyntaxKind, SyntaxNode, TextRange, TextSize};
use rowan::ast::AstNode;

use crate::{scope, Diagnostic, TextFix};
use flakelens_analysis::Segment;

pub(crate) fn fixes_for(db: &dyn Db, path: &str, diagnostic: &Diagnostic) -> Vec<TextFix> {
    let Some(file) = flakelens_db::file_at(db, path) else {
        return Vec::new();
    };
    let fix = match diagnostic.code {
        codes::TYPE_MISMATCH => literal_fix(db, file, diagnostic.range),
        codes::OPTION_NOT_IMPORTED => import_fix(db, file, diagnostic),
        _ => None,
    };
    fix.into_iter().collect()
}

/// The literal written at `range`, and the value it would be rewritten to.
fn literal_fix(db: &dyn Db, file: SourceFile, range: TextRange) -> Option<TextFix> {
    let root = flakelens_db::parse(db, file).syntax();
    // A literal's token has the same range as its node.
    let node = match root.covering_element(range) {
        rowan::NodeOrToken::Node(node) => node,
        rowan::NodeOrToken::Token(token) => token.parent()?,
    };
    if node.text_range() != range {
        return None;
    }
    let (found, candidates) = literal_candidates(&node)?;
    let (names, value) = definition_at(db, file, range)?;
    if value.kind != found {
        // The diagnostic is about something else than this literal.
        return None;
    }
    // Only the value written right at the option's key (`port = "8420";`):
    // a literal bound elsewhere (`let p = "8420";`) may have other uses.
    let binding = ast::AttrpathValue::cast(node.parent()?)?;
    let key = binding.attrpath()?.attrs().last()?;
    if crate::syntax_nav::attr_seg(&key) != *names.last()? {
        return None;
    }
    let segs = names.clone();
    let indexes = scope::indexes_at(db, file, range.start());
    let declarations = scope::declarations(&indexes, &segs);
    if declarations.is_empty() || declarations.iter().any(|d| d.alias_of.is_some()) {
        return None;
    }
    let (kind, text) = candidates.into_iter().find(|(kind, _)| {
        let candidate = DefValue {
            kind: kind.clone(),
            range: value.range,
            when: Vec::new(),
        };
        declarations.iter().all(|d| value_fits(&candidate, &d.ty))
    })?;
    let _ = kind;
    Some(TextFix {
        label: format!("Change to `{text}`"),
        path: file.path(db).clone(),
        range,
        replacement: text,
    })
}

/// What a literal node is, and what it could be rewritten to.
fn literal_candidates(node: &SyntaxNode) -> Option<(DefKind, Vec<(DefKind, String)>)> {
    match node.kind() {
        SyntaxKind::NODE_STRING => {
            let text = node.text().to_string();
            // A plain one-line "…" string: no escapes, no interpolation.
            let inner = text.strip_prefix('"')?.strip_suffix('"')?;
            if inner.contains(['\\', '$', '"', '\n']) {
                return None;
            }
            let mut out = Vec::new();
            if let Ok(int) = inner.parse::<i64>() {
                // Written as Nix writes it (no `+`, no leading zeros).
                if int.to_string() == inner {
                    out.push((DefKind::Int(int), inner.to_string()));
                }
            }
            if inner == "true" || inner == "false" {
                out.push((DefKind::Bool(inner == "true"), inner.to_string()));
            }
            Some((DefKind::Str(inner.to_string()), out))
        }
        SyntaxKind::NODE_LITERAL => {
            let text = node.text().to_string();
            let int = text.parse::<i64>().ok()?;
            Some((
                DefKind::Int(int),
                vec![(DefKind::Str(text.clone()), format!("\"{text}\""))],
            ))
        }
        _ => None,
    }
}

/// The definition whose value is at `range`: its path of names and value.
fn definition_at(
    db: &dyn Db,
    file: SourceFile,
    range: TextRange,
) -> Option<(Vec<Segment>, DefValue)> {
    let mut found = None;
    for summary in scope::all_summaries(db) {
        scope::walk_definitions(
            &summary.definitions,
            &mut Vec::new(),
            &mut |names, entry| {
                if found.is_none()
                    && entry
                        .value
                        .range
                        .is_some_and(|at| at.file == file && at.range == range)
                {
                    found = Some((names.to_vec(), entry.value.clone()));
                }
            },
        );
        if found.is_some() {
            break;
        }
    }
    found
}

/// Imports the module that declares the option in the file that sets it.
fn import_fix(db: &dyn Db, file: SourceFile, diagnostic: &Diagnostic) -> Option<TextFix> {
    let [(declared, _)] = diagnostic.related.as_slice() else {
        return None;
    };
    let target = flakelens_db::file_at(db, &declared.path)?;
    let summary = module_summary(db, target);
    if summary.unknown
        || target == file
        || flakelens_analysis::flake::flake_file(db) == Some(file)
        || !set_by_this_module(db, file, diagnostic.range)
    {
        return None;
    }
    // The declaring file must be a module as a whole (not a file whose
    // module is built by a function call somewhere else).
    let root = flakelens_db::parse(db, target).syntax();
    if summary.origin.map(|o| o.range)
        != ast::Root::cast(root)?
            .expr()
            .map(|e| e.syntax().text_range())
    {
        return None;
    }
    let from = file.path(db);
    let relative = relative_path(paths::parent(from), &declared.path)?;
    let text = file.text(db);
    let root = flakelens_db::parse(db, file).syntax();
    let body = module_body(&root)?;
    // The definition must be in this module's attrset (not an inline
    // module of `flake.nix`, not a nested evaluation).
    if !body.syntax().text_range().contains_range(diagnostic.range) {
        return None;
    }
    let (at, insert) = match imports_list(&body) {
        Some(list) => insert_into_list(text, &list, &relative)?,
        None => insert_binding(text, &body, &relative)?,
    };
    Some(TextFix {
        label: format!("Import `{relative}`"),
        path: from.clone(),
        range: TextRange::empty(at),
        replacement: insert,
    })
}

/// Whether the definition at `range` belongs to the file's own module (not
/// to a nested evaluation such as `home-manager.users.<name>`), at a path
/// the repo declares.
fn set_by_this_module(db: &dyn Db, file: SourceFile, range: TextRange) -> bool {
    let summary = module_summary(db, file);
    let mut path = None;
    scope::walk_definitions(
        &summary.definitions,
        &mut Vec::new(),
        &mut |names, entry| {
            let at = entry.path_range.or(entry.key);
            if path.is_none() && at.is_some_and(|at| at.file == file && at.range == range) {
                path = Some(names.to_vec());
            }
        },
    );
    let Some(path) = path else {
        return false;
    };
    flakelens_analysis::options::repo_options(db)
        .root
        .find(&path)
        .0
        .is_some()
}

/// `./x.nix` or `../dir/x.nix` from directory `from` to `to`, when it is
/// a path literal Nix reads as written.
fn relative_path(from: &str, to: &str) -> Option<String> {
    let from: Vec<&str> = from.split('/').filter(|s| !s.is_empty()).collect();
    let to: Vec<&str> = to.split('/').filter(|s| !s.is_empty()).collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = if common == from.len() {
        ".".to_string()
    } else {
        vec![".."; from.len() - common].join("/")
    };
    for part in &to[common..] {
        out.push('/');
        out.push_str(part);
    }
    let plain = out
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-+/".contains(c));
    plain.then_some(out)
}

/// The attrset a module file evaluates to: under its lambda, `let … in`,
/// `with …;` and parentheses.
fn module_body(root: &SyntaxNode) -> Option<ast::AttrSet> {
    let mut expr = ast::Root::cast(root.clone())?.expr()?;
    for _ in 0..8 {
        expr = match expr {
            ast::Expr::Lambda(lambda) => lambda.body()?,
            ast::Expr::LetIn(let_in) => let_in.body()?,
            ast::Expr::With(with) => with.body()?,
            ast::Expr::Paren(paren) => paren.expr()?,
            ast::Expr::AttrSet(set) if set.rec_token().is_none() => return Some(set),
            _ => return None,
        };
    }
    None
}

/// The `imports = [ … ];` list written directly in the module's attrset.
fn imports_list(body: &ast::AttrSet) -> Option<ast::List> {
    use ast::HasEntry;
    body.attrpath_values().find_map(|binding| {
        let attrs: Vec<ast::Attr> = binding.attrpath()?.attrs().collect();
        match attrs.as_slice() {
            [ast::Attr::Ident(ident)] if ident.syntax().text() == "imports" => {
                match binding.value()? {
                    ast::Expr::List(list) => Some(list),
                    _ => None,
                }
            }
            _ => None,
        }
    })
}

/// Appends `relative` to a list: on its own line when the list's items
/// are one per line, else before the `]`.
fn insert_into_list(text: &str, list: &ast::List, relative: &str) -> Option<(TextSize, String)> {
    let close = list
        .syntax()
        .children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == SyntaxKind::TOKEN_R_BRACK)?;
    let last = list.items().last();
    let multi_line = list.syntax().text().to_string().contains('\n');
    match last {
        Some(last) if multi_line => {
            let end = last.syntax().text_range().end();
            let indent = indentation_at(text, last.syntax().text_range().start());
            Some((end, format!("\n{indent}{relative}")))
        }
        Some(last) => Some((last.syntax().text_range().end(), format!(" {relative}"))),
        None => Some((close.text_range().start(), format!("{relative} "))),
    }
}

/// Adds `imports = [ relative ];` as the attrset's first binding.
fn insert_binding(text: &str, body: &ast::AttrSet, relative: &str) -> Option<(TextSize, String)> {
    use ast::HasEntry;
    let open = body.l_curly_token()?;
    let first = body.entries().next();
    let binding = format!("imports = [ {relative} ];");
    match first {
        Some(first) => {
            let start = first.syntax().text_range().start();
            let between = &text[usize::from(open.text_range().end())..usize::from(start)];
            if between.contains('\n') {
                let indent = indentation_at(text, start);
                Some((start, format!("{binding}\n{indent}")))
            } else {
                Some((start, format!("{binding} ")))
            }
        }
        None => Some((open.text_range().end(), format!(" {binding} "))),
    }
}

/// The whitespace that starts the line holding `offset`.
fn indentation_at(text: &str, offset: TextSize) -> String {
    let at = usize::from(offset).min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..at]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::relative_path;

    #[test]
    fn relative_paths_between_directories() {
        assert_eq!(
            relative_path("/hosts/neptune", "/hosts/modules/x.nix").as_deref(),
            Some("../modules/x.nix")
        );
        assert_eq!(relative_path("/", "/mod.nix").as_deref(), Some("./mod.nix"));
        assert_eq!(
            relative_path("/a", "/a/b/c.nix").as_deref(),
            Some("./b/c.nix")
        );
        assert_eq!(relative_path("/a", "/a/b c.nix"), None);
    }
}
