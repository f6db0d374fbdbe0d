//! Completion of option path segments (wherever a definition can stand,
//! and in `config.x`/`cfg.x` reads) and of values (`true`/`false`, enum
//! members).

use std::collections::BTreeMap;
use std::sync::Arc;

use flakelens_analysis::module::DeclKind;
use flakelens_analysis::module::DefKind;
use flakelens_analysis::options::{OptionIndex, Trie};
use flakelens_analysis::types::TypeData;
use flakelens_analysis::Segment;
use flakelens_db::Db;
use flakelens_syntax::{TextRange, TextSize};

use crate::hover::option_markdown;
use crate::scope::{self, file_ctx};
use crate::syntax_nav::{self, CompletionContext};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CompletionKind {
    /// An option (a leaf, or a submodule option).
    Option,
    /// A namespace with options below it.
    Namespace,
    /// A value literal.
    Value,
    /// One of the repo's packages (`pkgs.poglets`).
    Package,
    /// A package scope with packages below it (`pkgs.mine.`).
    PackageNamespace,
    /// A name in scope (let binding, lambda formal, rec attribute).
    Variable,
    /// A builtin or `lib` function.
    Function,
    /// `true`, `false`, `null`, `builtins`.
    Keyword,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    /// The type (options), or "namespace".
    pub detail: Option<String>,
    /// Markdown: description, default, where declared.
    pub documentation: Option<String>,
    /// The text to insert, replacing `replace`.
    pub insert: String,
    pub replace: TextRange,
}

pub(crate) fn completions(db: &dyn Db, path: &str, offset: TextSize) -> Vec<CompletionItem> {
    let Some(cx) = file_ctx(db, path) else {
        return Vec::new();
    };
    let text = cx.file.text(db).clone();
    let Some(context) = syntax_nav::completion_context_in(&cx.root, &text, offset, cx.is_flake)
    else {
        return Vec::new();
    };
    let indexes = scope::indexes_at(db, cx.file, offset);
    match context {
        CompletionContext::Key {
            base,
            partial,
            replace,
            ..
        }
        | CompletionContext::Read {
            base,
            partial,
            replace,
            ..
        } => segment_items(db, &indexes, &base, &partial, replace),
        CompletionContext::Value {
            path,
            partial,
            replace,
        } => value_items(&indexes, &path, &partial, replace),
    }
}

fn segment_items(
    db: &dyn Db,
    indexes: &[Arc<OptionIndex>],
    base: &[Segment],
    partial: &str,
    replace: TextRange,
) -> Vec<CompletionItem> {
    let mut items: BTreeMap<String, CompletionItem> = BTreeMap::new();
    for index in indexes {
        let Some(node) = scope::find(index, base) else {
            continue;
        };
        for (segment, child) in &node.children {
            let Segment::Name(name) = segment else {
                continue;
            };
            if items.contains_key(name) || !fuzzy(partial, name) {
                continue;
            }
            let shown = match child.declaration() {
                Some(decl) => offered(decl),
                None => {
                    let mut below = Vec::new();
                    child.walk(&mut Vec::new(), &mut below);
                    below.iter().any(|(_, decl)| offered(decl))
                }
            };
            if !shown {
                continue;
            }
            items.insert(name.clone(), item(db, name, segment, child, replace));
        }
    }
    items.into_values().collect()
}

/// Internal, invisible, removed and renamed options are not offered.
fn offered(decl: &flakelens_analysis::module::Declaration) -> bool {
    !(decl.meta.internal
        || decl.meta.hidden
        || decl.meta.warns
        || (decl.meta.upstream.is_some() && decl.kind == DeclKind::Removed))
}

fn item(
    db: &dyn Db,
    name: &str,
    segment: &Segment,
    child: &Trie,
    replace: TextRange,
) -> CompletionItem {
    let insert = segment.to_string();
    match child.declaration() {
        Some(decl) => CompletionItem {
            label: name.to_string(),
            kind: CompletionKind::Option,
            detail: Some(decl.ty.nix_name()),
            documentation: Some(option_markdown(db, decl)),
            insert,
            replace,
        },
        None => {
            let mut below = Vec::new();
            child.walk(&mut Vec::new(), &mut below);
            CompletionItem {
                label: name.to_string(),
                kind: CompletionKind::Namespace,
                detail: Some(format!(
                    "namespace ({} option{})",
                    below.len(),
                    if below.len() == 1 { "" } else { "s" }
                )),
                documentation: None,
                insert,
                replace,
            }
        }
    }
}

/// Whether the characters of `partial` appear in order in `name`
/// (case-insensitively): what editors filter by.
fn fuzzy(partial: &str, name: &str) -> bool {
    let mut chars = name.chars().flat_map(char::to_lowercase);
    partial
        .chars()
        .flat_map(char::to_lowercase)
        .all(|wanted| chars.any(|c| c == wanted))
}

fn value_items(
    indexes: &[Arc<OptionIndex>],
    path: &[Segment],
    partial: &str,
    replace: TextRange,
) -> Vec<CompletionItem> {
    let decls = scope::declarations(indexes, path);
    let Some(decl) = decls.first() else {
        return Vec::new();
    };
    let mut values = Vec::new();
    literal_values(&decl.ty, &mut values);
    let mut out: Vec<CompletionItem> = Vec::new();
    for value in values {
        if out.iter().any(|item| item.label == value)
            || !fuzzy(partial.trim_start_matches('"'), &value)
        {
            continue;
        }
        let is_default = decl.default.as_deref() == Some(value.as_str());
        out.push(CompletionItem {
            label: value.clone(),
            kind: CompletionKind::Value,
            detail: Some(if is_default {
                format!("{} (default)", decl.ty.nix_name())
            } else {
                decl.ty.nix_name()
            }),
            documentation: None,
            insert: value,
            replace,
        });
    }
    out
}

fn literal_values(ty: &TypeData, out: &mut Vec<String>) {
    match ty {
        TypeData::Bool => {
            out.push("true".into());
            out.push("false".into());
        }
        TypeData::Enum(members) => out.extend(members.iter().map(DefKind::to_nix)),
        TypeData::NullOr(inner) => {
            literal_values(inner, out);
            out.push("null".into());
        }
        TypeData::OneOf(members) => {
            for member in members {
                literal_values(member, out);
            }
        }
        _ => {}
    }
}

/// Completions at `offset`: options (and values) first; where there are
/// none, the repo's packages (`pkgs.`, `self.packages.${system}.`).
pub(crate) fn completions_at(db: &dyn Db, path: &str, offset: TextSize) -> Vec<CompletionItem> {
    // A Nix expression position is recognised on the cached tree, where
    // option keys and packages cannot be; directly after `key =` the
    // option's values come first.
    let lang = file_ctx(db, path).and_then(|cx| {
        let text = cx.file.text(db).clone();
        crate::lang::context(&text, &cx.root, offset).map(|lang| (cx.root, lang))
    });
    if let Some((root, lang)) = &lang {
        if let crate::lang::LangContext::Scope {
            after_assign: true, ..
        } = lang
        {
            // Directly after `key =`: the option's values, if it has some.
            if let Some(cx) = file_ctx(db, path) {
                let text = cx.file.text(db).clone();
                if let Some(CompletionContext::Value {
                    path: option,
                    partial,
                    replace,
                }) = syntax_nav::value_context(root, &text, offset, cx.is_flake)
                {
                    let indexes = scope::indexes_at(db, cx.file, offset);
                    let items = value_items(&indexes, &option, &partial, replace);
                    if !items.is_empty() {
                        return items;
                    }
                }
            }
        }
        return crate::lang::completions(root, offset, lang);
    }
    let items = completions(db, path, offset);
    if !items.is_empty() {
        return items;
    }
    let packages = package_items(db, path, offset);
    if !packages.is_empty() {
        return packages;
    }
    match &lang {
        Some((root, lang)) => crate::lang::completions(root, offset, lang),
        None => Vec::new(),
    }
}

fn package_items(db: &dyn Db, path: &str, offset: TextSize) -> Vec<CompletionItem> {
    crate::packages::package_completions(db, path, offset)
        .into_iter()
        .map(|item| CompletionItem {
            kind: match item.kind {
                crate::packages::PackageCompletionKind::Package => CompletionKind::Package,
                crate::packages::PackageCompletionKind::Namespace => {
                    CompletionKind::PackageNamespace
                }
            },
            detail: item.version.clone().or(item.description.clone()),
            documentation: item.documentation,
            insert: item.label.clone(),
            label: item.label,
            replace: item.replace,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use super::CompletionKind;
    use crate::fixture;

    fn check(text: &str, expect: Expect) {
        expect.assert_eq(&render(text));
    }

    fn render(text: &str) -> String {
        let (host, path, offset) = fixture::with_cursor(text);
        let analysis = host.analysis();
        let items = analysis.completions(&path, offset).unwrap();
        let rendered: Vec<String> = items
            .iter()
            .map(|item| {
                let kind = match item.kind {
                    CompletionKind::Option => "opt",
                    CompletionKind::Namespace => "ns ",
                    CompletionKind::Value => "val",
                    CompletionKind::Package => "pkg",
                    CompletionKind::PackageNamespace => "pns",
                    CompletionKind::Variable => "var",
                    CompletionKind::Function => "fn ",
                    CompletionKind::Keyword => "kw ",
                };
                format!(
                    "{kind} {} — {}",
                    item.label,
                    item.detail.clone().unwrap_or_default()
                )
            })
            .collect();
        rendered.join("\n")
    }

    const BASE: &str = r#"
#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.neptune = nixpkgs.lib.nixosSystem {
      modules = [ ./neptune.nix { services.poglets.$0 } ];
    };
  };
}
#- /poglets.nix
{ config, lib, ... }:
with lib;
{
  options.services.poglets = {
    enable = mkEnableOption "poglets";
    port = mkOption { type = types.port; default = 8000; description = "Port."; };
    logLevel = mkOption { type = types.enum [ "debug" "info" ]; default = "info"; };
    tls.cert = mkOption { type = types.nullOr types.path; default = null; };
  };
  options.users.users = mkOption {
    type = types.attrsOf (types.submodule ({ name, ... }: {
      options.uid = mkOption { type = types.int; };
      options.isSystemUser = mkOption { type = types.bool; default = false; };
    }));
  };
}
#- /other.nix
{ lib, ... }: { options.site.motd = lib.mkOption { type = lib.types.lines; }; }
#- /neptune.nix
"#;

    fn host_file(body: &str) -> String {
        format!(
            "{}{{ config, lib, ... }}:\n{body}\n",
            BASE.replace("$0", "")
        )
    }

    #[test]
    fn after_dot_lists_options_of_the_host() {
        check(
            &host_file("{\n  imports = [ ./poglets.nix ];\n  services.poglets.$0\n}"),
            expect![[r#"
                opt enable — types.bool
                opt logLevel — types.enum [ "debug" "info" ]
                opt port — types.port
                ns  tls — namespace (1 option)"#]],
        );
        // Nested sets, partial names.
        assert_eq!(
            render(&host_file("{\n  imports = [ ./poglets.nix ];\n  services = {\n    poglets = {\n      $0\n    };\n  };\n}")),
            render(&host_file("{\n  imports = [ ./poglets.nix ];\n  services.poglets.$0\n}")),
        );
        check(
            &host_file(
                "{\n  imports = [ ./poglets.nix ];\n  services = { poglets = { p$0 }; };\n}",
            ),
            expect!["opt port — types.port"],
        );
        // Only the file's hosts' options: `site` is declared in a module
        // neptune does not import.
        check(
            &host_file("{\n  imports = [ ./poglets.nix ];\n  $0\n}"),
            expect![[r#"
                ns  services — namespace (4 options)
                ns  users — namespace (3 options)"#]],
        );
    }

    #[test]
    fn inside_mkif_and_mkmerge() {
        check(
            &host_file("{\n  imports = [ ./poglets.nix ];\n  options.x = lib.mkOption { };\n  config = lib.mkIf true (lib.mkMerge [\n    { services.poglets.l$0 }\n  ]);\n}"),
            expect![[r#"
                opt enable — types.bool
                opt logLevel — types.enum [ "debug" "info" ]
                ns  tls — namespace (1 option)"#]],
        );
    }

    #[test]
    fn inline_modules_and_submodules() {
        check(
            &format!("{BASE}{{ imports = [ ./poglets.nix ]; }}\n"),
            expect![[r#"
            opt enable — types.bool
            opt logLevel — types.enum [ "debug" "info" ]
            opt port — types.port
            ns  tls — namespace (1 option)"#]],
        );
        check(
            &host_file("{\n  imports = [ ./poglets.nix ];\n  users.users.alice.$0\n}"),
            expect![[r#"
                opt isSystemUser — types.bool
                opt uid — types.int"#]],
        );
        check(
            &host_file(
                "{\n  imports = [ ./poglets.nix ];\n  users.users.alice = {\n    $0\n  };\n}",
            ),
            expect![[r#"
                opt isSystemUser — types.bool
                opt uid — types.int"#]],
        );
    }

    #[test]
    fn reads_complete_too() {
        check(
            &host_file("let cfg = config.services.poglets; in {\n  imports = [ ./poglets.nix ];\n  x = cfg.$0;\n}"),
            expect![[r#"
                opt enable — types.bool
                opt logLevel — types.enum [ "debug" "info" ]
                opt port — types.port
                ns  tls — namespace (1 option)"#]],
        );
    }

    #[test]
    fn values_for_bools_and_enums() {
        check(
            &host_file("{\n  imports = [ ./poglets.nix ];\n  services.poglets.enable = $0\n}"),
            expect![[r#"
                val true — types.bool
                val false — types.bool (default)"#]],
        );
        check(
            &host_file("{\n  imports = [ ./poglets.nix ];\n  services.poglets.logLevel = $0;\n}"),
            expect![[r#"
                val "debug" — types.enum [ "debug" "info" ]
                val "info" — types.enum [ "debug" "info" ] (default)"#]],
        );
    }

    #[test]
    fn file_in_no_host_sees_all_repo_options() {
        check(
            &format!("{}#- /loose.nix\n{{ $0 }}\n", BASE.replace("$0", "")),
            expect![[r#"
                ns  services — namespace (4 options)
                ns  site — namespace (1 option)
                ns  users — namespace (3 options)"#]],
        );
    }

    /// A NixOS host with an import nothing can resolve (a partial closure)
    /// and a home configuration whose module declares `programs.tool.enable`.
    const CLASSES: &str = r#"
#- /flake.nix
{
  outputs = { nixpkgs, home-manager, other, ... }: {
    nixosConfigurations.tower = nixpkgs.lib.nixosSystem {
      modules = [ other.nixosModules.default ./tower.nix ];
    };
    homeConfigurations.alice = home-manager.lib.homeManagerConfiguration {
      modules = [ ./alice.nix ./tool.nix ];
    };
  };
}
#- /tower.nix
{ ... }: { programs.tool.TOWER }
#- /alice.nix
{ ... }: { programs.tool.ALICE }
#- /tool.nix
{ lib, ... }: { options.programs.tool.enable = lib.mkEnableOption "the tool"; }
"#;

    #[test]
    fn module_classes_stay_apart_in_completion() {
        let at = |marker: &str| CLASSES.replace(marker, "$0");
        // The NixOS host, partial as it is, is not offered the
        // home-manager module's option; the home configuration is.
        check(&at("TOWER").replace("ALICE", ""), expect![""]);
        check(
            &at("ALICE").replace("TOWER", ""),
            expect!["opt enable — types.bool"],
        );
    }
}
