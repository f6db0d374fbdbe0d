//! What the cursor is on ([`Site`]): the token at an offset, classified as
//! an option key or read, a variable, a path literal or a flake module
//! output; and where `flake.nix` defines a module output.

use flakelens_analysis::known::tables::MODULE_OUTPUTS;
use flakelens_analysis::Segment;
use flakelens_syntax::{ast, SyntaxKind, SyntaxNode, SyntaxToken, TextSize};
use rowan::ast::AstNode;

use super::*;

/// The most interesting token at an offset (identifiers and strings over
/// whitespace and punctuation).
pub fn token_at(root: &SyntaxNode, offset: TextSize) -> Option<SyntaxToken> {
    if offset > root.text_range().end() {
        return None;
    }
    let tokens = root.token_at_offset(offset);
    tokens.max_by_key(|token| match token.kind() {
        SyntaxKind::TOKEN_IDENT => 4,
        SyntaxKind::TOKEN_STRING_CONTENT
        | SyntaxKind::TOKEN_PATH_REL
        | SyntaxKind::TOKEN_PATH_ABS => 3,
        SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT => 0,
        _ => 1,
    })
}

/// What the cursor is on.
pub fn site_at(root: &SyntaxNode, offset: TextSize, is_flake: bool) -> Option<Site> {
    let token = token_at(root, offset)?;
    let parent = token.parent()?;
    // Path literals.
    if matches!(
        token.kind(),
        SyntaxKind::TOKEN_PATH_REL | SyntaxKind::TOKEN_PATH_ABS
    ) {
        let path = parent;
        let only_literal = path.children().next().is_none();
        if !only_literal {
            return None;
        }
        return Some(Site::PathLiteral {
            text: path.text().to_string(),
            range: path.text_range(),
        });
    }
    // The attribute (ident or string) the token belongs to.
    let attr_node = token
        .parent_ancestors()
        .take(3)
        .find(|node| {
            node.parent()
                .is_some_and(|p| p.kind() == SyntaxKind::NODE_ATTRPATH)
        })?
        .clone();
    let holder = attr_node.parent()?;
    if let Some(attr) = ast::Attr::cast(attr_node.clone()) {
        if holder.kind() == SyntaxKind::NODE_ATTRPATH {
            return attr_site(&attr, &ast::Attrpath::cast(holder)?, is_flake);
        }
    }
    None
}

/// `site_at` also for variables (identifiers that are not keys).
pub fn classify(root: &SyntaxNode, offset: TextSize, is_flake: bool) -> Option<Site> {
    if let Some(site) = site_at(root, offset, is_flake) {
        return Some(site);
    }
    let token = token_at(root, offset)?;
    if token.kind() != SyntaxKind::TOKEN_IDENT {
        return None;
    }
    let ident_node = token.parent()?;
    let ident = ast::Ident::cast(ident_node.clone())?;
    let name = ident.syntax().text().to_string();
    let range = ident.syntax().text_range();
    let parent = ident_node.parent()?;
    match parent.kind() {
        SyntaxKind::NODE_ATTRPATH => return None,
        SyntaxKind::NODE_PAT_ENTRY | SyntaxKind::NODE_IDENT_PARAM | SyntaxKind::NODE_PAT_BIND => {
            return Some(Site::BindingSite { name, range });
        }
        SyntaxKind::NODE_INHERIT => {
            // `inherit (from) x;` reads `from.x`; a bare `inherit x;` is a
            // variable like any other.
            let inherit = ast::Inherit::cast(parent.clone())?;
            if let Some(from) = inherit.from().and_then(|f| f.expr()) {
                let mut path = config_path(from.syntax())?;
                path.push(Segment::Name(name));
                return Some(Site::OptionRead { path, range });
            }
        }
        _ => {}
    }
    let binding = resolve(&ident);
    let config_path = name_config_path(&ident, &name, binding.clone(), 0);
    Some(Site::Name {
        name,
        range,
        binding,
        config_path,
    })
}

pub(crate) fn attr_site(
    attr: &ast::Attr,
    attrpath: &ast::Attrpath,
    is_flake: bool,
) -> Option<Site> {
    let holder = attrpath.syntax().parent()?;
    let range = attr.syntax().text_range();
    let segs = attrpath_segs(attrpath);
    let index = segs.iter().position(|(_, r)| *r == range)?;
    match holder.kind() {
        SyntaxKind::NODE_ATTRPATH_VALUE => {
            if let Some((kind, path)) = key_path(attr, is_flake) {
                return Some(Site::OptionKey { kind, path, range });
            }
            // A let binding or rec-set key.
            let scope = holder.parent()?;
            let binds = scope.kind() == SyntaxKind::NODE_LET_IN
                || ast::AttrSet::cast(scope).is_some_and(|set| is_rec(&set));
            if binds && index == 0 {
                if let Segment::Name(name) = &segs[0].0 {
                    return Some(Site::BindingSite {
                        name: name.clone(),
                        range,
                    });
                }
            }
            None
        }
        SyntaxKind::NODE_SELECT => {
            let select = ast::Select::cast(holder)?;
            let base_expr = select.expr()?;
            if let Some(mut path) = config_path(base_expr.syntax()) {
                path.extend(segs[..=index].iter().map(|(seg, _)| seg.clone()));
                return Some(Site::OptionRead { path, range });
            }
            // self.nixosModules.x
            if index == 1 && is_flake_self(base_expr.syntax()) {
                if let (Segment::Name(output), Segment::Name(name)) = (&segs[0].0, &segs[1].0) {
                    if MODULE_OUTPUTS.contains(&output.as_str()) {
                        return Some(Site::ModuleOutput {
                            output: output.clone(),
                            name: name.clone(),
                            range,
                        });
                    }
                }
            }
            None
        }
        _ => None,
    }
}

/// `self`, `outputs`, `inputs.self`.
pub(crate) fn is_flake_self(expr: &SyntaxNode) -> bool {
    match expr.kind() {
        SyntaxKind::NODE_IDENT => {
            matches!(ident_name(expr).as_deref(), Some("self") | Some("outputs"))
        }
        SyntaxKind::NODE_SELECT => {
            let Some(select) = ast::Select::cast(expr.clone()) else {
                return false;
            };
            let base = select.expr().and_then(|e| ident_name(e.syntax()));
            let segs: Vec<Segment> = select
                .attrpath()
                .map(|p| attrpath_segs(&p).into_iter().map(|(s, _)| s).collect())
                .unwrap_or_default();
            base.as_deref() == Some("inputs") && segs == [Segment::Name("self".into())]
        }
        _ => false,
    }
}

/// Where a flake output module `nixosModules.<name>` is defined in
/// `flake.nix`: the value expression.
pub fn find_module_output(root: &SyntaxNode, output: &str, name: &str) -> Option<SyntaxNode> {
    for apv in root.descendants().filter_map(ast::AttrpathValue::cast) {
        let Some(attrpath) = apv.attrpath() else {
            continue;
        };
        let segs: Vec<Segment> = attrpath_segs(&attrpath)
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        let want = [
            Segment::Name(output.to_string()),
            Segment::Name(name.to_string()),
        ];
        if segs.ends_with(&want) {
            return apv.value().map(|v| v.syntax().clone());
        }
        if segs == [Segment::Name(name.to_string())] {
            let holder = apv
                .syntax()
                .parent()
                .and_then(|s| s.parent())
                .and_then(ast::AttrpathValue::cast);
            if holder.and_then(|h| last_key_name(&h)).as_deref() == Some(output) {
                return apv.value().map(|v| v.syntax().clone());
            }
        }
    }
    None
}

/// The path literal a module value points at: `./x.nix`, `import ./x.nix`.
pub fn module_value_path(value: &SyntaxNode) -> Option<String> {
    match value.kind() {
        SyntaxKind::NODE_PATH_REL | SyntaxKind::NODE_PATH_ABS => {
            (value.children().next().is_none()).then(|| value.text().to_string())
        }
        SyntaxKind::NODE_PAREN => {
            module_value_path(ast::Paren::cast(value.clone())?.expr()?.syntax())
        }
        SyntaxKind::NODE_APPLY => {
            let apply = ast::Apply::cast(value.clone())?;
            if head_name(apply.lambda()?.syntax()).as_deref() != Some("import") {
                return None;
            }
            module_value_path(apply.argument()?.syntax())
        }
        _ => None,
    }
}
