//! Go to definition.

use flakelens_analysis::Segment;
use flakelens_db::Db;
use flakelens_syntax::{TextRange, TextSize};
use rowan::ast::AstNode;

use crate::scope::{self, file_ctx, FileCtx, NavTarget};
use crate::syntax_nav::{self, Binding, PathKind, Site};

pub(crate) fn goto_definition(db: &dyn Db, path: &str, offset: TextSize) -> Vec<NavTarget> {
    let Some(cx) = file_ctx(db, path) else {
        return Vec::new();
    };
    // A host name in `nixosConfigurations` → its root files.
    if let Some((_, roots)) = scope::host_roots_at(db, cx.file, offset) {
        if !roots.is_empty() {
            return roots
                .into_iter()
                .map(|file| NavTarget::file(file.path(db).clone()))
                .collect();
        }
    }
    let Some(site) = syntax_nav::classify(&cx.root, offset, cx.is_flake) else {
        return Vec::new();
    };
    match site {
        Site::OptionKey { path: option, .. } | Site::OptionRead { path: option, .. } => {
            option_targets(db, &cx, offset, &option)
        }
        Site::Name {
            binding,
            config_path,
            ..
        } => match binding {
            Some(Binding::Let { key, .. })
            | Some(Binding::Inherit { key, .. })
            | Some(Binding::Param { key, .. }) => {
                vec![local(&cx, key)]
            }
            _ => match config_path {
                Some(option) if !option.is_empty() => option_targets(db, &cx, offset, &option),
                _ => Vec::new(),
            },
        },
        Site::BindingSite { range, .. } => vec![local(&cx, range)],
        Site::PathLiteral { text, .. } => scope::resolve_path_literal(db, &cx.path, &text)
            .map(|path| vec![NavTarget::file(path)])
            .unwrap_or_default(),
        Site::ModuleOutput { output, name, .. } => {
            module_output(db, &output, &name).into_iter().collect()
        }
    }
}

fn local(cx: &FileCtx, range: TextRange) -> NavTarget {
    NavTarget {
        path: cx.path.clone(),
        full_range: range,
        focus_range: range,
    }
}

/// The declarations of an option (or of every option below a namespace,
/// one target per file).
pub(crate) fn option_targets(
    db: &dyn Db,
    cx: &FileCtx,
    offset: TextSize,
    option: &[Segment],
) -> Vec<NavTarget> {
    let indexes = scope::indexes_at(db, cx.file, offset);
    let decls = scope::declarations(&indexes, option);
    let mut out: Vec<NavTarget> = Vec::new();
    if !decls.is_empty() {
        for decl in decls {
            if let Some(focus) = decl.key.or(decl.decl) {
                let target = NavTarget::from_range(db, focus, decl.decl);
                if !out.contains(&target) {
                    out.push(target);
                }
            }
        }
        return out;
    }
    // A namespace: in each declaring file, the line that names it
    // (`options.services.poglets = {`), else the first declaration below.
    for decl in scope::declarations_below(&indexes, option) {
        let Some(focus) = decl.key.or(decl.decl) else {
            continue;
        };
        if out.iter().any(|t| t.path == *focus.file.path(db)) {
            continue;
        }
        if let Some(range) = namespace_site(db, focus.file, option) {
            let path = focus.file.path(db).clone();
            out.push(NavTarget {
                path,
                full_range: range,
                focus_range: range,
            });
        } else {
            out.push(NavTarget::from_range(db, focus, decl.decl));
        }
        if out.len() >= 20 {
            break;
        }
    }
    out
}

/// Where `file` spells the declaration path `option` itself: the last
/// segment of `options.services.poglets = {` (or of `poglets` inside
/// `options.services = {`).
fn namespace_site(
    db: &dyn Db,
    file: flakelens_db::SourceFile,
    option: &[Segment],
) -> Option<TextRange> {
    let root = flakelens_db::parse(db, file).syntax();
    let is_flake = flakelens_analysis::flake::flake_file(db) == Some(file);
    let last = option.last()?;
    for node in root.descendants() {
        if node.kind() != flakelens_syntax::SyntaxKind::NODE_ATTRPATH {
            continue;
        }
        for attr in node.children() {
            // Classifying walks up from the attribute: only for the ones
            // that spell the namespace's last name (classifying every key
            // of a module with 8,000 options took 15 s).
            if rnix::ast::Attr::cast(attr.clone())
                .is_none_or(|attr| syntax_nav::attr_seg(&attr) != *last)
            {
                continue;
            }
            let offset = attr.text_range().start();
            if let Some(Site::OptionKey {
                kind: PathKind::Declaration,
                path,
                range,
            }) = syntax_nav::classify(&root, offset, is_flake)
            {
                if path == option {
                    return Some(range);
                }
            }
        }
    }
    None
}

/// `self.nixosModules.<name>`: the file the flake output imports, or the
/// inline module expression.
fn module_output(db: &dyn Db, output: &str, name: &str) -> Option<NavTarget> {
    let flake = flakelens_analysis::flake::flake_file(db)?;
    let flake_path = flake.path(db).clone();
    let root = flakelens_db::parse(db, flake).syntax();
    let value = syntax_nav::find_module_output(&root, output, name)?;
    if let Some(text) = syntax_nav::module_value_path(&value) {
        if let Some(path) = scope::resolve_path_literal(db, &flake_path, &text) {
            return Some(NavTarget::file(path));
        }
    }
    let range = value.text_range();
    let focus = rnix::ast::Expr::cast(value)
        .map(|expr| TextRange::empty(expr.syntax().text_range().start()))
        .unwrap_or(range);
    Some(NavTarget {
        path: flake_path,
        full_range: range,
        focus_range: focus,
    })
}

/// Where to go from `offset`, as (file, focus range): the option or
/// variable's definitions, else the recipe of the package referenced.
pub(crate) fn definitions_at(
    db: &dyn Db,
    path: &str,
    offset: TextSize,
) -> Vec<(String, TextRange)> {
    let targets: Vec<_> = goto_definition(db, path, offset)
        .into_iter()
        .map(|target| (target.path, target.focus_range))
        .collect();
    if !targets.is_empty() {
        return targets;
    }
    crate::packages::package_definition(db, path, offset)
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use crate::fixture;

    fn check(text: &str, expect: Expect) {
        let (host, path, offset) = fixture::with_cursor(text);
        let analysis = host.analysis();
        let targets = analysis.goto_definition(&path, offset).unwrap();
        let rendered: Vec<String> = targets
            .iter()
            .map(|target| {
                let text = analysis.file_text(&target.path).unwrap();
                let start = usize::from(target.focus_range.start());
                let end = usize::from(target.focus_range.end());
                let line = text[..start].matches('\n').count() + 1;
                format!("{}:{line} {:?}", target.path, &text[start..end])
            })
            .collect();
        expect.assert_eq(&rendered.join("\n"));
    }

    const MODULE: &str = r#"
#- /modules/poglets.nix
{ config, lib, ... }:
with lib;
let
  cfg = config.services.poglets;
in
{
  options.services.poglets = {
    enable = mkEnableOption "poglets";
    port = mkOption {
      type = types.port;
      default = 8000;
      description = "Port.";
    };
  };
  config = mkIf cfg.enable {
    networking.firewall.allowedTCPPorts = [ cfg.port ];
  };
}
"#;

    fn with_module(text: &str) -> String {
        format!("{MODULE}{text}")
    }

    #[test]
    fn flat_definition_to_declaration() {
        check(
            &with_module("#- /host.nix\n{ imports = [ ./modules/poglets.nix ]; services.poglets.en$0able = true; }\n"),
            expect![[r#"/modules/poglets.nix:8 "enable""#]],
        );
    }

    #[test]
    fn nested_definition_any_segment() {
        check(
            &with_module("#- /host.nix\n{ imports = [ ./modules/poglets.nix ];\n  services = {\n    poglets = { po$0rt = 1; };\n  };\n}\n"),
            expect![[r#"/modules/poglets.nix:9 "port""#]],
        );
        // A namespace segment: the line that declares the namespace
        // (issue 10 item 1), not its alphabetically first option.
        check(
            &with_module("#- /host.nix\n{ imports = [ ./modules/poglets.nix ];\n  services = {\n    pog$0lets = { port = 1; };\n  };\n}\n"),
            expect![[r#"/modules/poglets.nix:7 "poglets""#]],
        );
    }

    #[test]
    fn config_reads_and_cfg() {
        check(
            &with_module("#- /other.nix\n{ config, ... }: { imports = [ ./modules/poglets.nix ]; x.y = config.services.poglets.po$0rt; }\n"),
            expect![[r#"/modules/poglets.nix:9 "port""#]],
        );
        let text = MODULE.replace("[ cfg.port ]", "[ cfg.po$0rt ]");
        check(&text, expect![[r#"/modules/poglets.nix:9 "port""#]]);
        let text = MODULE.replace("mkIf cfg.enable", "mkIf cfg.ena$0ble");
        check(&text, expect![[r#"/modules/poglets.nix:8 "enable""#]]);
    }

    #[test]
    fn let_and_lambda_bound_names() {
        let text = MODULE.replace("mkIf cfg.enable", "mkIf c$0fg.enable");
        check(&text, expect![[r#"/modules/poglets.nix:4 "cfg""#]]);
        check(
            "{ config, ... }: { x = conf$0ig.y; }",
            expect![[r#"/module.nix:1 "config""#]],
        );
        check(
            "let a = 1; in rec { b = a; c = b$0; }",
            expect![[r#"/module.nix:1 "b""#]],
        );
        check(
            "{ pkgs, ... }: with pkgs; { x = let inherit (pkgs) hello; in hel$0lo; }",
            expect![[r#"/module.nix:1 "hello""#]],
        );
    }

    #[test]
    fn import_paths() {
        check(
            "#- /a/default.nix\n{ }\n#- /b.nix\n{ imports = [ ./a$0 ]; }\n",
            expect![[r#"/a/default.nix:1 """#]],
        );
        check(
            "#- /a/x.nix\n{ imports = [ ../b$0.nix ]; }\n#- /b.nix\n{ }\n",
            expect![[r#"/b.nix:1 """#]],
        );
    }

    const FLAKE: &str = r#"
#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosModules.poglets = import ./modules/poglets.nix;
    nixosModules.inline = { config, ... }: { services.poglets.enable = true; };
    nixosConfigurations.neptune = nixpkgs.lib.nixosSystem {
      modules = [ ./host.nix self.nixosModules.poglets { services.poglets.port = 1; } ];
    };
  };
}
#- /host.nix
{ self, ... }: { imports = [ ]; }
"#;

    #[test]
    fn flake_outputs_hosts_and_inline_modules() {
        let flake = format!("{MODULE}{FLAKE}");
        check(
            &flake.replace(
                "self.nixosModules.poglets {",
                "self.nixosModules.pog$0lets {",
            ),
            expect![[r#"/modules/poglets.nix:1 """#]],
        );
        check(
            &flake.replace(
                "nixosConfigurations.neptune",
                "nixosConfigurations.nep$0tune",
            ),
            expect![[r#"
                /host.nix:1 ""
                /modules/poglets.nix:1 """#]],
        );
        check(
            &flake.replace(
                "{ services.poglets.port = 1; }",
                "{ services.poglets.po$0rt = 1; }",
            ),
            expect![[r#"/modules/poglets.nix:9 "port""#]],
        );
        check(
            &flake.replace(
                "{ imports = [ ]; }",
                "{ imports = [ self.nixosModules.in$0line ]; }",
            ),
            expect![[r#"/flake.nix:4 """#]],
        );
    }
}
