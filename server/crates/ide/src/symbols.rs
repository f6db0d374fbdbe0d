//! Document symbols (options declared, options set, let bindings) and
//! workspace symbols (options, hosts, modules).

use flakelens_analysis::display_path;
use flakelens_analysis::hosts::{host_closure, hosts, HostKey};
use flakelens_analysis::options::repo_options;
use flakelens_db::{paths, Db};
use flakelens_syntax::{ast, SyntaxKind, SyntaxNode, TextRange};
use rnix::ast::HasEntry;
use rowan::ast::AstNode;

use crate::scope::file_ctx;
use crate::syntax_nav::{self, PathKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SymbolKind {
    /// `port = mkOption { … }` in `options`.
    OptionDeclaration,
    /// `services.poglets.port = 8420;`
    OptionDefinition,
    /// An attribute holding other symbols (`options.services = { … }`).
    Namespace,
    /// A `let` binding.
    Variable,
    /// Any other attribute.
    Attribute,
    Host,
    Module,
    /// A package of the repo (`pkgs.poglets`).
    Package,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSymbol {
    pub name: String,
    /// The full option path, when there is one.
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub full_range: TextRange,
    pub focus_range: TextRange,
    pub children: Vec<DocumentSymbol>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceSymbol {
    pub name: String,
    pub kind: SymbolKind,
    /// Where it belongs (the file, for options: the declaring file).
    pub container: Option<String>,
    pub path: String,
    pub range: TextRange,
}

const MAX_SYMBOL_DEPTH: u32 = 32;

pub(crate) fn document_symbols(db: &dyn Db, path: &str) -> Vec<DocumentSymbol> {
    let Some(cx) = file_ctx(db, path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(expr) = cx.root.children().next() {
        let mut walk = Walk {
            db,
            seen: 0,
            is_flake: cx.is_flake,
            cache: syntax_nav::ExplicitCache::default(),
        };
        walk.collect(&expr, 0, &mut out);
    }
    out
}

/// One outline walk: linear in the file (see [`syntax_nav::ExplicitCache`]).
struct Walk<'db> {
    db: &'db dyn Db,
    /// Attributes seen, to check for cancellation now and then.
    seen: u32,
    is_flake: bool,
    cache: syntax_nav::ExplicitCache,
}

fn is_option_call(value: &SyntaxNode) -> bool {
    let mut head = value.clone();
    loop {
        match head.kind() {
            SyntaxKind::NODE_APPLY => match ast::Apply::cast(head.clone()).and_then(|a| a.lambda())
            {
                Some(lambda) => head = lambda.syntax().clone(),
                None => return false,
            },
            SyntaxKind::NODE_BIN_OP => match ast::BinOp::cast(head.clone()).and_then(|b| b.lhs()) {
                Some(lhs) => head = lhs.syntax().clone(),
                None => return false,
            },
            SyntaxKind::NODE_PAREN => match ast::Paren::cast(head.clone()).and_then(|p| p.expr()) {
                Some(inner) => head = inner.syntax().clone(),
                None => return false,
            },
            _ => break,
        }
    }
    let name = match head.kind() {
        SyntaxKind::NODE_IDENT => head.text().to_string(),
        SyntaxKind::NODE_SELECT => ast::Select::cast(head)
            .and_then(|s| s.attrpath())
            .and_then(|p| p.attrs().last())
            .map(|a| a.syntax().text().to_string())
            .unwrap_or_default(),
        _ => return false,
    };
    name.starts_with("mk") && name.ends_with("Option")
        || name.starts_with("mkOpt")
        || name.starts_with("mkBoolOpt")
}

impl Walk<'_> {
    /// Symbols of an expression: attrsets' attributes, let bindings, through
    /// function bodies, calls and lists.
    fn collect(&mut self, node: &SyntaxNode, depth: u32, out: &mut Vec<DocumentSymbol>) {
        if depth > MAX_SYMBOL_DEPTH {
            return;
        }
        match node.kind() {
            SyntaxKind::NODE_ATTR_SET => {
                let Some(set) = ast::AttrSet::cast(node.clone()) else {
                    return;
                };
                let rec = set.rec_token().is_some();
                for apv in set.attrpath_values() {
                    if let Some(symbol) = self.attr_symbol(&apv, depth, rec) {
                        out.push(symbol);
                    }
                }
            }
            SyntaxKind::NODE_LET_IN => {
                let Some(let_in) = ast::LetIn::cast(node.clone()) else {
                    return;
                };
                for apv in let_in.attrpath_values() {
                    let Some(attrpath) = apv.attrpath() else {
                        continue;
                    };
                    let mut children = Vec::new();
                    if let Some(value) = apv.value() {
                        self.collect(value.syntax(), depth + 1, &mut children);
                    }
                    out.push(DocumentSymbol {
                        name: attrpath.syntax().text().to_string(),
                        detail: None,
                        kind: SymbolKind::Variable,
                        full_range: apv.syntax().text_range(),
                        focus_range: attrpath.syntax().text_range(),
                        children,
                    });
                }
                for inherit in let_in.inherits() {
                    for attr in inherit.attrs() {
                        out.push(DocumentSymbol {
                            name: attr.syntax().text().to_string(),
                            detail: None,
                            kind: SymbolKind::Variable,
                            full_range: inherit.syntax().text_range(),
                            focus_range: attr.syntax().text_range(),
                            children: Vec::new(),
                        });
                    }
                }
                if let Some(body) = let_in.body() {
                    self.collect(body.syntax(), depth + 1, out);
                }
            }
            SyntaxKind::NODE_ATTRPATH_VALUE | SyntaxKind::NODE_SELECT | SyntaxKind::NODE_IDENT => {}
            _ => {
                for child in node.children() {
                    self.collect(&child, depth + 1, out);
                }
            }
        }
    }

    fn attr_symbol(
        &mut self,
        apv: &ast::AttrpathValue,
        depth: u32,
        rec: bool,
    ) -> Option<DocumentSymbol> {
        self.seen = self.seen.wrapping_add(1);
        if self.seen.is_multiple_of(1024) {
            // A write (or a cancelled request) stops a long outline.
            self.db.unwind_if_revision_cancelled();
        }
        let attrpath = apv.attrpath()?;
        let last = attrpath.attrs().last()?;
        let value = apv.value();
        let option = syntax_nav::key_path_cached(&last, self.is_flake, &mut self.cache);
        let option_call = value.as_ref().is_some_and(|v| is_option_call(v.syntax()));
        let kind = match &option {
            Some((PathKind::Declaration, _)) if option_call => SymbolKind::OptionDeclaration,
            Some((PathKind::Declaration, _)) => SymbolKind::Namespace,
            Some((PathKind::Definition, _)) => SymbolKind::OptionDefinition,
            None if rec => SymbolKind::Variable,
            None => SymbolKind::Attribute,
        };
        let mut children = Vec::new();
        if kind != SymbolKind::OptionDeclaration {
            if let Some(value) = &value {
                self.collect(value.syntax(), depth + 1, &mut children);
            }
        }
        let kind = match kind {
            SymbolKind::OptionDefinition | SymbolKind::Attribute if !children.is_empty() => {
                SymbolKind::Namespace
            }
            kind => kind,
        };
        Some(DocumentSymbol {
            name: attrpath.syntax().text().to_string(),
            detail: option
                .map(|(_, path)| flakelens_analysis::display_path(&path))
                .filter(|p| !p.is_empty()),
            kind,
            full_range: apv.syntax().text_range(),
            focus_range: attrpath.syntax().text_range(),
            children,
        })
    }
}

pub(crate) fn workspace_symbols(db: &dyn Db, query: &str) -> Vec<WorkspaceSymbol> {
    let root = db.workspace().root(db).clone();
    let query = query.to_lowercase();
    let matches = |name: &str| {
        let mut chars = name.chars().flat_map(char::to_lowercase);
        query.chars().all(|wanted| chars.any(|c| c == wanted))
    };
    let mut out = Vec::new();
    for host in &hosts(db).hosts {
        if !matches(&host.name) {
            continue;
        }
        let Some(range) = host.name_range else {
            continue;
        };
        out.push(WorkspaceSymbol {
            name: host.name.clone(),
            kind: SymbolKind::Host,
            container: Some(host.kind.output_name().to_string()),
            path: range.file.path(db).clone(),
            range: range.range,
        });
    }
    let mut modules: Vec<String> = Vec::new();
    for host in &hosts(db).hosts {
        let key = HostKey::new(db, host.kind, host.name.clone());
        for file in &host_closure(db, key).files {
            let path = file.path(db).clone();
            if !modules.contains(&path) {
                modules.push(path);
            }
        }
    }
    modules.sort();
    for path in modules {
        let name = paths::relative_to(&path, &root).to_string();
        if matches(&name) {
            out.push(WorkspaceSymbol {
                name,
                kind: SymbolKind::Module,
                container: None,
                path,
                range: TextRange::empty(0.into()),
            });
        }
    }
    for (path, decl) in repo_options(db).all() {
        let name = display_path(&path);
        if !matches(&name) {
            continue;
        }
        let Some(range) = decl.key.or(decl.decl) else {
            continue;
        };
        let file = range.file.path(db).clone();
        out.push(WorkspaceSymbol {
            name,
            kind: SymbolKind::OptionDeclaration,
            container: Some(paths::relative_to(&file, &root).to_string()),
            path: file,
            range: range.range,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::DocumentSymbol;
    use crate::fixture::Fixture;

    fn render(symbols: &[DocumentSymbol], indent: usize, out: &mut String) {
        for symbol in symbols {
            out.push_str(&format!(
                "{}{:?} {}{}\n",
                "  ".repeat(indent),
                symbol.kind,
                symbol.name,
                symbol
                    .detail
                    .as_ref()
                    .map(|d| format!(" [{d}]"))
                    .unwrap_or_default()
            ));
            render(&symbol.children, indent + 1, out);
        }
    }

    const FIXTURE: &str = r#"
#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.neptune = nixpkgs.lib.nixosSystem { modules = [ ./poglets.nix ]; };
  };
}
#- /poglets.nix
{ config, lib, ... }:
with lib;
let
  cfg = config.services.poglets;
in
{
  options.services.poglets = {
    enable = mkEnableOption "poglets";
    port = mkOption { type = types.port; default = 8000; };
  };
  config = mkIf cfg.enable {
    networking.firewall.allowedTCPPorts = [ cfg.port ];
    users.users.poglets = { isSystemUser = true; };
  };
}
"#;

    #[test]
    fn document_symbols_outline() {
        let fixture = Fixture::parse(FIXTURE);
        let analysis = fixture.host().analysis();
        let mut out = String::new();
        render(
            &analysis.document_symbols("/poglets.nix").unwrap(),
            0,
            &mut out,
        );
        expect![[r#"
            Variable cfg
            Namespace options.services.poglets [services.poglets]
              OptionDeclaration enable [services.poglets.enable]
              OptionDeclaration port [services.poglets.port]
            Namespace config
              OptionDefinition networking.firewall.allowedTCPPorts [networking.firewall.allowedTCPPorts]
              Namespace users.users.poglets [users.users.poglets]
                OptionDefinition isSystemUser [users.users.poglets.isSystemUser]
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn workspace_symbols_match_query() {
        let fixture = Fixture::parse(FIXTURE);
        let analysis = fixture.host().analysis();
        let symbols = analysis.workspace_symbols("").unwrap();
        let rendered: Vec<String> = symbols
            .iter()
            .map(|s| format!("{:?} {} {}", s.kind, s.name, s.path))
            .collect();
        expect![[r#"
            Host neptune /flake.nix
            Module poglets.nix /poglets.nix
            OptionDeclaration services.poglets.port /poglets.nix
            OptionDeclaration services.poglets.enable /poglets.nix"#]]
        .assert_eq(&rendered.join("\n"));
        let symbols = analysis.workspace_symbols("pogport").unwrap();
        assert_eq!(symbols.len(), 1, "{symbols:?}");
        assert_eq!(symbols[0].name, "services.poglets.port");
    }
}
