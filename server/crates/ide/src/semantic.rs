//! Semantic tokens: what the analysis knows about names that a grammar
//! cannot tell — which attribute-path segments are options (declared in
//! the repo, or upstream) or namespaces of options, and which `pkgs.x`
//! are the repo's own packages. Names it is unsure of get no token.

use std::collections::BTreeMap;

use flakelens_analysis::hosts::module_summary;
use flakelens_analysis::options::{repo_options, OptionIndex};
use flakelens_db::Db;
use flakelens_syntax::{ast, SyntaxKind, TextRange};
use rowan::ast::AstNode;

use crate::scope;
use flakelens_analysis::Segment;

use crate::syntax_nav;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenKind {
    /// An option the repo declares.
    Option,
    /// An option an upstream tree (nixpkgs, home-manager…) declares.
    UpstreamOption,
    /// A segment with options below it (`services` in `services.x.enable`).
    Namespace,
    /// One of the repo's packages (`poglets` in `pkgs.poglets`).
    Package,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SemanticToken {
    pub range: TextRange,
    pub kind: TokenKind,
    /// Where the option is declared (`port` in `port = mkOption …`).
    pub declaration: bool,
}

pub(crate) fn semantic_tokens(db: &dyn Db, path: &str) -> Vec<SemanticToken> {
    let Some(file) = flakelens_db::file_at(db, path) else {
        return Vec::new();
    };
    // By start offset: the first classification of a range wins.
    let mut out: BTreeMap<u32, SemanticToken> = BTreeMap::new();
    let mut push = |range: TextRange, kind: TokenKind, declaration: bool| {
        out.entry(range.start().into()).or_insert(SemanticToken {
            range,
            kind,
            declaration,
        });
    };

    // Declarations: the key, and the namespaces above it written in this file.
    for (_, decl) in repo_options(db).all() {
        let Some(key) = decl.key.filter(|key| key.file == file) else {
            continue;
        };
        push(key.range, TokenKind::Option, true);
    }

    // Definitions of this file's module, and of inline modules in it.
    let mut summaries = vec![module_summary(db, file).clone()];
    summaries.extend(
        scope::all_summaries(db)
            .into_iter()
            .filter(|summary| summary.origin.is_some_and(|origin| origin.file == file)),
    );
    for summary in summaries {
        let at = summary
            .origin
            .map_or(0.into(), |origin| origin.range.start());
        let indexes = scope::indexes_at(db, file, at);
        scope::walk_definitions(
            &summary.definitions,
            &mut Vec::new(),
            &mut |names, entry| {
                let Some(key) = entry.key.filter(|key| key.file == file) else {
                    return;
                };
                if let Some(kind) = classify(&indexes, names) {
                    push(key.range, kind, false);
                }
            },
        );
    }

    // Reads (`config.a.b`, `cfg.b`) and the repo's packages (`pkgs.x`).
    let root = flakelens_db::parse(db, file).syntax();
    let indexes = scope::indexes_at(db, file, 0.into());
    let packages: Vec<String> = crate::packages::package_list(db)
        .into_iter()
        .map(|package| package.name)
        .collect();
    for node in root
        .descendants()
        .filter(|node| node.kind() == SyntaxKind::NODE_SELECT)
    {
        let Some(select) = ast::Select::cast(node) else {
            continue;
        };
        let (Some(expr), Some(attrpath)) = (select.expr(), select.attrpath()) else {
            continue;
        };
        let segs = syntax_nav::attrpath_segs(&attrpath);
        if is_pkgs(expr.syntax()) {
            if let Some((Segment::Name(name), range)) = segs.first() {
                if packages.iter().any(|package| package == name) {
                    push(*range, TokenKind::Package, false);
                }
            }
            continue;
        }
        let Some(mut path) = syntax_nav::config_path(expr.syntax()) else {
            continue;
        };
        for (seg, range) in segs {
            path.push(seg);
            match classify(&indexes, &path) {
                Some(kind) => push(range, kind, false),
                None => break,
            }
        }
    }
    out.into_values().collect()
}

/// `pkgs` itself (a name), not `pkgs.lib` or a select ending in `pkgs`.
fn is_pkgs(expr: &flakelens_syntax::SyntaxNode) -> bool {
    expr.kind() == SyntaxKind::NODE_IDENT && expr.text() == "pkgs"
}

/// Option, upstream option or namespace, as every index agrees; `None`
/// when the path is not known (or the indexes disagree).
fn classify(indexes: &[std::sync::Arc<OptionIndex>], path: &[Segment]) -> Option<TokenKind> {
    let mut kinds = indexes.iter().map(|index| {
        let node = scope::find(index, path)?;
        match node.declaration() {
            Some(decl) if decl.meta.upstream.is_some() => Some(TokenKind::UpstreamOption),
            Some(_) => Some(TokenKind::Option),
            None if !node.children.is_empty() => Some(TokenKind::Namespace),
            None => None,
        }
    });
    let first = kinds.next()??;
    kinds.all(|kind| kind == Some(first)).then_some(first)
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use crate::fixture::Fixture;

    fn check(text: &str, path: &str, expect: Expect) {
        let host = Fixture::parse(text).host();
        let analysis = host.analysis();
        let file = analysis.file_text(path).unwrap();
        let rendered: Vec<String> = analysis
            .semantic_tokens(path)
            .unwrap()
            .iter()
            .map(|token| {
                let start = usize::from(token.range.start());
                let line = file[..start].matches('\n').count() + 1;
                format!(
                    "{line} {:?}{} {:?}",
                    token.kind,
                    if token.declaration {
                        " (declaration)"
                    } else {
                        ""
                    },
                    &file[start..usize::from(token.range.end())]
                )
            })
            .collect();
        expect.assert_eq(&rendered.join("\n"));
    }

    const FIXTURE: &str = r#"
#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.neptune = nixpkgs.lib.nixosSystem {
      modules = [ ./poglets.nix ./host.nix ];
    };
  };
}
#- /poglets.nix
{ config, lib, pkgs, ... }:
let cfg = config.services.poglets; in
{
  options.services.poglets = {
    enable = lib.mkEnableOption "poglets";
    port = lib.mkOption { type = lib.types.port; default = 8000; };
  };
  config = lib.mkIf cfg.enable {
    environment.etc.x.text = toString config.services.poglets.port;
  };
}
#- /host.nix
{ pkgs, ... }: {
  services.poglets = { enable = true; port = 8420; };
  unknown.thing = pkgs.hello;
}
"#;

    #[test]
    fn options_namespaces_and_declarations() {
        check(
            FIXTURE,
            "/host.nix",
            expect![[r#"
                2 Namespace "services"
                2 Namespace "poglets"
                2 Option "enable"
                2 Option "port""#]],
        );
        check(
            FIXTURE,
            "/poglets.nix",
            expect![[r#"
                2 Namespace "services"
                2 Namespace "poglets"
                5 Option (declaration) "enable"
                6 Option (declaration) "port"
                8 Option "enable"
                9 Namespace "services"
                9 Namespace "poglets"
                9 Option "port""#]],
        );
    }
}
