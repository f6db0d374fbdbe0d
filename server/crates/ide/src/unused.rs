//! Unused names, for the editor to fade out: `let` bindings nothing
//! reads, and formals of a `{ a, b, ... }:` pattern the function never
//! reads. Only where removing the name is sure to change nothing:
//!
//! - a pattern without `...` is not reported: its formals are what callers
//!   may pass (`f { a = 1; b = 2; }` fails once `b` is gone);
//! - a pattern with `@` (`args@{ pkgs, ... }:`) is not reported: a formal
//!   listed there makes the module system and `callPackage` pass it in
//!   `args`;
//! - a plain `x:` argument is not reported (`final: prev:` is how overlays
//!   are written);
//! - names starting with `_`, and any name also read somewhere the lexical
//!   resolver cannot place (under `with`, beyond its depth), are left alone.

use std::collections::HashSet;

use flakelens_db::Db;
use flakelens_syntax::{ast, SyntaxKind, TextRange};
use rowan::ast::AstNode;

use crate::syntax_nav;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnusedKind {
    LetBinding,
    Formal,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unused {
    pub range: TextRange,
    pub name: String,
    pub kind: UnusedKind,
}

impl Unused {
    pub fn message(&self) -> String {
        match self.kind {
            UnusedKind::LetBinding => format!("`{}` is bound but never used", self.name),
            UnusedKind::Formal => format!("argument `{}` is never used", self.name),
        }
    }
}

pub(crate) fn unused_names(db: &dyn Db, path: &str) -> Vec<Unused> {
    let Some(file) = flakelens_db::file_at(db, path) else {
        return Vec::new();
    };
    let parse = flakelens_db::parse(db, file);
    if !parse.errors.is_empty() || !path.ends_with(".nix") {
        // A broken tree could hide the uses.
        return Vec::new();
    }
    let root = parse.syntax();
    let mut sites: Vec<Unused> = Vec::new();
    for node in root.descendants() {
        match node.kind() {
            SyntaxKind::NODE_LET_IN => {
                let Some(let_in) = ast::LetIn::cast(node) else {
                    continue;
                };
                let_sites(&let_in, &mut sites);
            }
            SyntaxKind::NODE_LAMBDA => {
                let Some(ast::Param::Pattern(pattern)) =
                    ast::Lambda::cast(node).and_then(|lambda| lambda.param())
                else {
                    continue;
                };
                if pattern.ellipsis_token().is_none() || pattern.pat_bind().is_some() {
                    continue;
                }
                for entry in pattern.pat_entries() {
                    if let Some(ident) = entry.ident() {
                        sites.push(Unused {
                            range: ident.syntax().text_range(),
                            name: ident.syntax().text().to_string(),
                            kind: UnusedKind::Formal,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    sites.retain(|site| !site.name.starts_with('_'));
    if sites.is_empty() {
        return sites;
    }
    let site_ranges: HashSet<TextRange> = sites.iter().map(|s| s.range).collect();
    let mut used: HashSet<TextRange> = HashSet::new();
    let mut unplaced: HashSet<String> = HashSet::new();
    for node in root
        .descendants()
        .filter(|node| node.kind() == SyntaxKind::NODE_IDENT)
    {
        if site_ranges.contains(&node.text_range()) {
            continue;
        }
        let parent = node.parent().map(|p| p.kind());
        // Attribute names (keys, `a.b` selections), not variables.
        if parent == Some(SyntaxKind::NODE_ATTRPATH) {
            continue;
        }
        let Some(ident) = ast::Ident::cast(node.clone()) else {
            continue;
        };
        // `inherit (from) x;` binds x; it reads nothing called x.
        if parent == Some(SyntaxKind::NODE_INHERIT)
            && node
                .parent()
                .and_then(ast::Inherit::cast)
                .is_some_and(|inherit| inherit.from().is_some())
        {
            continue;
        }
        match syntax_nav::resolve(&ident).and_then(|binding| binding.key()) {
            Some(key) => {
                used.insert(key);
            }
            None => {
                unplaced.insert(node.text().to_string());
            }
        }
    }
    sites.retain(|site| !used.contains(&site.range) && !unplaced.contains(&site.name));
    sites
}

/// The names a `let` binds: the first segment of each path, each
/// `inherit`ed name.
fn let_sites(let_in: &ast::LetIn, out: &mut Vec<Unused>) {
    use ast::HasEntry;
    for entry in let_in.entries() {
        match entry {
            ast::Entry::AttrpathValue(binding) => {
                let Some(ast::Attr::Ident(ident)) =
                    binding.attrpath().and_then(|path| path.attrs().next())
                else {
                    continue;
                };
                out.push(Unused {
                    range: ident.syntax().text_range(),
                    name: ident.syntax().text().to_string(),
                    kind: UnusedKind::LetBinding,
                });
            }
            ast::Entry::Inherit(inherit) => {
                for attr in inherit.attrs() {
                    if let ast::Attr::Ident(ident) = attr {
                        out.push(Unused {
                            range: ident.syntax().text_range(),
                            name: ident.syntax().text().to_string(),
                            kind: UnusedKind::LetBinding,
                        });
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::Fixture;

    fn unused(text: &str) -> Vec<String> {
        let host = Fixture::parse(text).host();
        let analysis = host.analysis();
        analysis
            .unused_names("/module.nix")
            .unwrap()
            .iter()
            .map(|u| format!("{:?} {}", u.kind, u.name))
            .collect()
    }

    #[test]
    fn unused_let_bindings() {
        assert_eq!(
            unused("let a = 1; b = 2; c.d = 3; in a\n"),
            ["LetBinding b", "LetBinding c"]
        );
        // Used in another binding, in a string, through `inherit`, under
        // `with` (lexical names win over `with`), by itself.
        assert_eq!(
            unused("let a = 1; b = \"${toString a}\"; in b\n"),
            Vec::<String>::new()
        );
        assert_eq!(
            unused("let a = 1; in { inherit a; }\n"),
            Vec::<String>::new()
        );
        assert_eq!(
            unused("let a = 1; in with { a = 2; }; a\n"),
            Vec::<String>::new()
        );
        assert_eq!(unused("let f = n: f n; in 1\n"), Vec::<String>::new());
        // `inherit (x) y;` in a let binds y.
        assert_eq!(
            unused("let s = { y = 1; }; inherit (s) y; in 2\n"),
            ["LetBinding y"]
        );
        // A shadowed binding: the inner one is used, the outer one is not.
        assert_eq!(unused("let a = 1; in let a = 2; in a\n"), ["LetBinding a"]);
        assert_eq!(unused("let _a = 1; in 2\n"), Vec::<String>::new());
    }

    #[test]
    fn unused_formals_only_where_removing_them_is_safe() {
        assert_eq!(
            unused("{ config, lib, pkgs, ... }: { x = lib.id pkgs; }\n"),
            ["Formal config"]
        );
        // No `...`: callers may pass it. `@`: it is passed in `args`.
        assert_eq!(unused("{ a, b }: a\n"), Vec::<String>::new());
        assert_eq!(
            unused("args@{ pkgs, ... }: args.pkgs\n"),
            Vec::<String>::new()
        );
        assert_eq!(unused("{ pkgs, ... }@args: args\n"), Vec::<String>::new());
        // A plain argument, an `_` name, a formal used by another's default.
        assert_eq!(unused("final: prev: { }\n"), Vec::<String>::new());
        assert_eq!(unused("{ _x, ... }: 1\n"), Vec::<String>::new());
        assert_eq!(unused("{ a, b ? a, ... }: b\n"), Vec::<String>::new());
    }

    #[test]
    fn nothing_for_a_broken_file() {
        assert_eq!(unused("let a = 1; in (\n"), Vec::<String>::new());
    }
}
