//! References: an option's declarations, every definition and every read
//! (`config.x`, `cfg.x`, `with cfg; x`, `inherit (cfg) x`), across the
//! workspace; or the uses of a local variable.

use flakelens_analysis::{FileRange, Segment};
use flakelens_db::{Db, SourceFile};
use flakelens_syntax::{ast, SyntaxKind, SyntaxNode, TextRange, TextSize};
use rowan::ast::AstNode;

use crate::scope::{self, file_ctx};
use crate::syntax_nav::{self, Binding, Site};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReferenceKind {
    Declaration,
    Definition,
    Read,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    pub path: String,
    pub range: TextRange,
    pub kind: ReferenceKind,
}

pub(crate) fn references(
    db: &dyn Db,
    path: &str,
    offset: TextSize,
    include_declaration: bool,
) -> Vec<Reference> {
    references_scoped(db, path, offset, include_declaration, false)
}

/// `references`, limited to the file at `path` when `this_file_only`
/// (document highlights: no workspace scan).
pub(crate) fn references_scoped(
    db: &dyn Db,
    path: &str,
    offset: TextSize,
    include_declaration: bool,
    this_file_only: bool,
) -> Vec<Reference> {
    let Some(cx) = file_ctx(db, path) else {
        return Vec::new();
    };
    let Some(site) = syntax_nav::classify(&cx.root, offset, cx.is_flake) else {
        return Vec::new();
    };
    let option = match site {
        Site::OptionKey { path, .. } | Site::OptionRead { path, .. } => path,
        Site::Name {
            binding: Some(Binding::With { .. }) | None,
            config_path: Some(option),
            ..
        } if !option.is_empty() => option,
        Site::Name {
            binding: Some(binding),
            ..
        } => {
            return match binding.key() {
                Some(key) => local_references(&cx.path, &cx.root, key, include_declaration),
                None => Vec::new(),
            }
        }
        Site::BindingSite { range, .. } => {
            return local_references(&cx.path, &cx.root, range, include_declaration)
        }
        _ => return Vec::new(),
    };
    let scope = scope::OptionScope::at(db, cx.file, offset, &option);
    let only = this_file_only.then_some(cx.file);
    option_references_in(db, &scope, include_declaration, only)
}

pub(crate) fn option_references(
    db: &dyn Db,
    scope: &scope::OptionScope,
    include_declaration: bool,
) -> Vec<Reference> {
    option_references_in(db, scope, include_declaration, None)
}

/// An option's references; in one file only when `only` is set.
fn option_references_in(
    db: &dyn Db,
    scope: &scope::OptionScope,
    include_declaration: bool,
    only: Option<SourceFile>,
) -> Vec<Reference> {
    let mut sites = scope::SiteScopes::default();
    let mut out: Vec<Reference> = Vec::new();
    // The first kind seen for a range wins. A set, not a scan of `out`:
    // an option of a big module can have thousands of references.
    let mut seen: std::collections::HashSet<FileRange> = Default::default();
    let mut push = |range: FileRange, kind: ReferenceKind, out: &mut Vec<Reference>| {
        if only.is_some_and(|file| file != range.file) {
            return;
        }
        if seen.insert(range) {
            out.push(Reference {
                path: range.file.path(db).clone(),
                range: range.range,
                kind,
            });
        }
    };
    if include_declaration {
        // The declarations go-to-definition lands on, no others.
        for decl in &scope.decls {
            if let Some(range) = decl.key.or(decl.decl) {
                push(range, ReferenceKind::Declaration, &mut out);
            }
        }
    }
    for summary in scope::all_summaries(db) {
        scope::walk_definitions(
            &summary.definitions,
            &mut Vec::new(),
            &mut |names, entry| {
                if let Some(key) = entry.key {
                    if scope.holds(db, &mut sites, key.file, key.range.start(), names) {
                        push(key, ReferenceKind::Definition, &mut out);
                    }
                }
            },
        );
    }
    let files: Vec<SourceFile> = match only {
        Some(file) => vec![file],
        None => db.workspace().files(db).values().copied().collect(),
    };
    for file in files {
        for range in reads_in(db, file, scope, &mut sites) {
            push(FileRange { file, range }, ReferenceKind::Read, &mut out);
        }
    }
    out.sort_by(|a, b| (&a.path, a.range.start()).cmp(&(&b.path, b.range.start())));
    out
}

/// Ranges in a file that read the option at `target`.
fn reads_in(
    db: &dyn Db,
    file: SourceFile,
    scope: &scope::OptionScope,
    sites: &mut scope::SiteScopes,
) -> Vec<TextRange> {
    let Some(Segment::Name(last)) = scope.target.last() else {
        return Vec::new();
    };
    let text = file.text(db);
    if !text.contains(last.as_str()) {
        return Vec::new();
    }
    let root = flakelens_db::parse(db, file).syntax();
    let mut out = Vec::new();
    for node in root.descendants() {
        match node.kind() {
            SyntaxKind::NODE_SELECT => {
                let Some(select) = ast::Select::cast(node.clone()) else {
                    continue;
                };
                let Some(attrpath) = select.attrpath() else {
                    continue;
                };
                let segs = syntax_nav::attrpath_segs(&attrpath);
                if !segs
                    .iter()
                    .any(|(seg, _)| matches!(seg, Segment::Name(n) if n == last))
                {
                    continue;
                }
                let Some(mut path) = select
                    .expr()
                    .and_then(|e| syntax_nav::config_path(e.syntax()))
                else {
                    continue;
                };
                for (seg, range) in segs {
                    path.push(seg);
                    if scope.holds(db, sites, file, range.start(), &path) {
                        out.push(range);
                    }
                }
            }
            SyntaxKind::NODE_IDENT => {
                if node.text() != last.as_str() {
                    continue;
                }
                let Some(parent) = node.parent() else {
                    continue;
                };
                if parent.kind() == SyntaxKind::NODE_ATTRPATH {
                    continue;
                }
                let site = ident_read(&node);
                let range = node.text_range();
                if site.is_some_and(|path| scope.holds(db, sites, file, range.start(), &path)) {
                    out.push(node.text_range());
                }
            }
            _ => {}
        }
    }
    out
}

/// The config path an identifier reads (`with cfg; port`, `inherit (cfg) port`).
fn ident_read(node: &SyntaxNode) -> Option<Vec<Segment>> {
    let ident = ast::Ident::cast(node.clone())?;
    let name = node.text().to_string();
    let parent = node.parent()?;
    if parent.kind() == SyntaxKind::NODE_INHERIT {
        let inherit = ast::Inherit::cast(parent)?;
        let from = inherit.from()?.expr()?;
        let mut path = syntax_nav::config_path(from.syntax())?;
        path.push(Segment::Name(name));
        return Some(path);
    }
    match syntax_nav::resolve(&ident)? {
        Binding::With { namespaces } => namespaces.iter().find_map(|namespace| {
            let mut path = syntax_nav::config_path(namespace)?;
            path.push(Segment::Name(name.clone()));
            Some(path)
        }),
        _ => None,
    }
}

/// Uses of a local variable bound at `key`.
fn local_references(
    path: &str,
    root: &SyntaxNode,
    key: TextRange,
    include_declaration: bool,
) -> Vec<Reference> {
    let mut out = Vec::new();
    if include_declaration {
        out.push(Reference {
            path: path.to_string(),
            range: key,
            kind: ReferenceKind::Declaration,
        });
    }
    let name = root.covering_element(key).to_string();
    for node in root
        .descendants()
        .filter(|n| n.kind() == SyntaxKind::NODE_IDENT)
    {
        if node.text() != name.as_str() || node.text_range() == key {
            continue;
        }
        if node
            .parent()
            .is_some_and(|p| p.kind() == SyntaxKind::NODE_ATTRPATH)
        {
            continue;
        }
        let Some(ident) = ast::Ident::cast(node.clone()) else {
            continue;
        };
        if syntax_nav::resolve(&ident).and_then(|b| b.key()) == Some(key) {
            out.push(Reference {
                path: path.to_string(),
                range: node.text_range(),
                kind: ReferenceKind::Read,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};
    use flakelens_syntax::TextRange;

    use super::ReferenceKind;

    use crate::fixture;

    fn check(text: &str, include_declaration: bool, expect: Expect) {
        expect.assert_eq(&render(text, include_declaration));
    }

    fn render(text: &str, include_declaration: bool) -> String {
        let (host, path, offset) = fixture::with_cursor(text);
        let analysis = host.analysis();
        let refs = analysis
            .references(&path, offset, include_declaration)
            .unwrap();
        let rendered: Vec<String> = refs
            .iter()
            .map(|r| {
                let text = analysis.file_text(&r.path).unwrap();
                let start = usize::from(r.range.start());
                let line = text[..start].matches('\n').count() + 1;
                format!(
                    "{:?} {}:{line} {:?}",
                    r.kind,
                    r.path,
                    &text[start..usize::from(r.range.end())]
                )
            })
            .collect();
        rendered.join("\n")
    }

    const FIXTURE: &str = r#"
#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.neptune = nixpkgs.lib.nixosSystem {
      modules = [ ./neptune.nix { services.poglets.port = 1; } ];
    };
  };
}
#- /poglets.nix
{ config, lib, ... }:
with lib;
let cfg = config.services.poglets; in
{
  options.services.poglets = {
    enable = mkEnableOption "poglets";
    port = mkOption { type = types.port; default = 8000; };
  };
  config = mkIf cfg.enable {
    a.b = cfg.port;
    a.c = with cfg; port + 1;
    a.d = config.services.poglets.port;
  };
}
#- /neptune.nix
{ config, ... }: {
  imports = [ ./poglets.nix ];
  services = { poglets = { port = 8420; }; };
  x.y = let inherit (config.services.poglets) port; in port;
}
"#;

    #[test]
    fn option_references_everywhere() {
        check(
            &FIXTURE.replace("{ port = 8420; }", "{ po$0rt = 8420; }"),
            true,
            expect![[r#"
                Definition /flake.nix:4 "port"
                Definition /neptune.nix:3 "port"
                Read /neptune.nix:4 "port"
                Declaration /poglets.nix:7 "port"
                Read /poglets.nix:10 "port"
                Read /poglets.nix:11 "port"
                Read /poglets.nix:12 "port""#]],
        );
        assert_eq!(
            render(&FIXTURE.replace("a.b = cfg.port", "a.b = cfg.po$0rt"), true),
            render(
                &FIXTURE.replace("{ port = 8420; }", "{ po$0rt = 8420; }"),
                true
            ),
        );
        check(
            &FIXTURE.replace("{ port = 8420; }", "{ po$0rt = 8420; }"),
            false,
            expect![[r#"
                Definition /flake.nix:4 "port"
                Definition /neptune.nix:3 "port"
                Read /neptune.nix:4 "port"
                Read /poglets.nix:10 "port"
                Read /poglets.nix:11 "port"
                Read /poglets.nix:12 "port""#]],
        );
    }

    #[test]
    fn option_references_agree_with_definition() {
        assert_agrees_with_definition(&FIXTURE.replace("{ port = 8420; }", "{ po$0rt = 8420; }"));
        assert_agrees_with_definition(&FIXTURE.replace("a.b = cfg.port", "a.b = cfg.po$0rt"));
    }

    #[test]
    fn local_variable_references() {
        check(
            &FIXTURE.replace("mkIf cfg.enable", "mkIf c$0fg.enable"),
            true,
            expect![[r#"
                Declaration /poglets.nix:3 "cfg"
                Read /poglets.nix:9 "cfg"
                Read /poglets.nix:10 "cfg"
                Read /poglets.nix:11 "cfg""#]],
        );
    }

    #[test]
    fn rec_set_bindings_and_plain_sets() {
        // `rec` (even after a comment) binds its keys; a plain set does not.
        check(
            "#- /a.nix\nlet a = 1; in {\n  x = rec /* c */ { a = 2; b = a$0; };\n  y = { a = 3; b = a; };\n}\n",
            true,
            expect![[r#"
                Declaration /a.nix:2 "a"
                Read /a.nix:2 "a""#]],
        );
    }

    #[test]
    fn quoted_option_name_keeps_its_declaration() {
        // A name that needs quotes: the declaration was once looked up by
        // its displayed (quoted) form and never found.
        check(
            "#- /a.nix\n{ lib, ... }: {\n  options.\"a.b\".port = lib.mkOption { };\n  config.\"a.b\".po$0rt = 1;\n}\n",
            true,
            expect![[r#"
                Declaration /a.nix:2 "port"
                Definition /a.nix:3 "port""#]],
        );
    }

    /// Every definition or read `references` lists goes to (one of) the
    /// declarations it lists: one scope rule for both features.
    fn assert_agrees_with_definition(text: &str) {
        let (host, path, offset) = fixture::with_cursor(text);
        let analysis = host.analysis();
        let refs = analysis.references(&path, offset, true).unwrap();
        let declared: Vec<(String, TextRange)> = refs
            .iter()
            .filter(|r| r.kind == ReferenceKind::Declaration)
            .map(|r| (r.path.clone(), r.range))
            .collect();
        for r in refs.iter().filter(|r| r.kind != ReferenceKind::Declaration) {
            let targets = analysis.goto_definition(&r.path, r.range.start()).unwrap();
            let lands: Vec<(String, TextRange)> = targets
                .into_iter()
                .map(|t| (t.path, t.focus_range))
                .collect();
            assert!(
                lands.iter().any(|t| declared.contains(t))
                    || (declared.is_empty() && lands.is_empty()),
                "{r:?} goes to {lands:?}, references declare {declared:?}"
            );
        }
    }

    #[test]
    fn shadowed_name_references_and_definition_agree() {
        let text =
            "#- /a.nix\nlet x = 1; in {\n  a = x;\n  b = let x = 2; in x$0 + x;\n  c = x;\n}\n";
        check(
            text,
            true,
            expect![[r#"
                Declaration /a.nix:3 "x"
                Read /a.nix:3 "x"
                Read /a.nix:3 "x""#]],
        );
        assert_agrees_with_definition(text);
        let outer = text
            .replace("x$0 + x", "x + x")
            .replace("c = x;", "c = x$0;");
        check(
            &outer,
            true,
            expect![[r#"
                Declaration /a.nix:1 "x"
                Read /a.nix:2 "x"
                Read /a.nix:4 "x""#]],
        );
        assert_agrees_with_definition(&outer);
    }

    /// A NixOS host and a home configuration; the home-manager module
    /// declares `programs.tool.enable`, which NixOS also has upstream.
    const CLASSES: &str = r#"
#- /flake.nix
{
  outputs = { nixpkgs, home-manager, ... }: {
    nixosConfigurations.tower = nixpkgs.lib.nixosSystem {
      modules = [ ./tower.nix ];
    };
    homeConfigurations.alice = home-manager.lib.homeManagerConfiguration {
      modules = [ ./alice.nix ./tool.nix ];
    };
  };
}
#- /tower.nix
{ ... }: { programs.tool.enable = true; }
#- /alice.nix
{ ... }: { programs.tool.enable = true; }
#- /tool.nix
{ lib, ... }: { options.programs.tool.enable = lib.mkEnableOption "the tool"; }
"#;

    #[test]
    fn module_classes_stay_apart_in_references() {
        // From the home-manager declaration: the home definition only.
        let home = CLASSES.replace(
            "options.programs.tool.enable",
            "options.programs.tool.ena$0ble",
        );
        check(
            &home,
            true,
            expect![[r#"
                Definition /alice.nix:1 "enable"
                Declaration /tool.nix:1 "enable""#]],
        );
        assert_agrees_with_definition(&home);
        // From the NixOS host's own (upstream, undeclared here) option: the
        // NixOS side only, never the home-manager module's.
        let nixos = CLASSES.replace(
            "#- /tower.nix\n{ ... }: { programs.tool.enable",
            "#- /tower.nix\n{ ... }: { programs.tool.ena$0ble",
        );
        check(
            &nixos,
            true,
            expect![[r#"Definition /tower.nix:1 "enable""#]],
        );
        assert_agrees_with_definition(&nixos);
    }
}
