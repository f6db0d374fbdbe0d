//! What a package recipe says, read from its syntax: `pname`, `version`,
//! `meta.description` and friends, when written literally.

use std::collections::BTreeMap;
use std::sync::Arc;

use flakelens_db::{Db, SourceFile};
use flakelens_syntax::ast::{self, HasEntry};
use rowan::ast::AstNode;

use super::*;

/// What a recipe file says, read from its syntax.
#[salsa::tracked(returns(ref))]
pub fn recipe_info(db: &dyn Db, file: SourceFile) -> Arc<RecipeInfo> {
    let info = RecipeInfo::default();
    let Some(mut expr) = flakelens_db::parse(db, file).root_expr() else {
        return Arc::new(info);
    };
    let mut strings: BTreeMap<String, String> = BTreeMap::new();
    for _ in 0..32 {
        expr = match expr.clone() {
            ast::Expr::Paren(paren) => match paren.expr() {
                Some(inner) => inner,
                None => break,
            },
            ast::Expr::Lambda(lambda) => match lambda.body() {
                Some(body) => body,
                None => break,
            },
            ast::Expr::LetIn(let_in) => {
                collect_literal_bindings(&let_in, &strings.clone(), &mut strings);
                match let_in.body() {
                    Some(body) => body,
                    None => break,
                }
            }
            ast::Expr::With(with) => match with.body() {
                Some(body) => body,
                None => break,
            },
            ast::Expr::Assert(assert) => match assert.body() {
                Some(body) => body,
                None => break,
            },
            _ => break,
        };
    }
    Arc::new(derivation_info(expr, &strings, info))
}

/// What a package built inline says: the builder call at `call` (an
/// overlay entry `x = prev.writeShellScriptBin "x" "…";`).
pub fn inline_recipe_info(db: &dyn Db, call: crate::FileRange) -> RecipeInfo {
    let root = flakelens_db::parse(db, call.file).syntax();
    let node = root.covering_element(call.range);
    let expr = node
        .ancestors()
        .find(|n| n.text_range() == call.range)
        .and_then(ast::Expr::cast);
    match expr {
        Some(expr) => derivation_info(expr, &BTreeMap::new(), RecipeInfo::default()),
        None => RecipeInfo::default(),
    }
}

/// The builder, name, version and meta of a derivation call.
fn derivation_info(
    expr: ast::Expr,
    strings: &BTreeMap<String, String>,
    mut info: RecipeInfo,
) -> RecipeInfo {
    let ast::Expr::Apply(apply) = &expr else {
        return info;
    };
    info.derivation = Some(apply.syntax().text_range());
    let mut arguments = Vec::new();
    let mut head = expr.clone();
    while let ast::Expr::Apply(apply) = &head {
        if let Some(argument) = apply.argument() {
            arguments.push(argument);
        }
        match apply.lambda() {
            Some(function) => head = function,
            None => break,
        }
    }
    arguments.reverse();
    let head_text = head.syntax().text().to_string();
    if matches!(head, ast::Expr::Ident(_) | ast::Expr::Select(_))
        && head_text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '\'' | '.'))
    {
        info.builder = Some(head_text);
    }
    let set = arguments.iter().find_map(|argument| {
        let mut argument = argument.clone();
        for _ in 0..4 {
            argument = match argument {
                ast::Expr::Paren(paren) => paren.expr()?,
                ast::Expr::Lambda(lambda) => lambda.body()?,
                other => return attr_set(other),
            };
        }
        None
    });
    match set {
        Some(set) => {
            let mut scope = strings.clone();
            if set.rec_token().is_some() {
                collect_literal_bindings(&set, strings, &mut scope);
            }
            read_derivation_attrs(&set, &scope, &mut info);
        }
        None => {
            // writeShellScriptBin "name" "…", runCommand "name" { } "…".
            if let Some(name) = arguments.first().and_then(|a| literal(a, strings)) {
                info.pname = Some(name);
            }
        }
    }
    info
}

pub(crate) fn attr_set(expr: ast::Expr) -> Option<ast::AttrSet> {
    match expr {
        ast::Expr::AttrSet(set) => Some(set),
        _ => None,
    }
}

/// A string literal (or a variable bound to one), without interpolation.
pub(crate) fn literal(expr: &ast::Expr, scope: &BTreeMap<String, String>) -> Option<String> {
    match expr {
        ast::Expr::Str(string) => {
            let mut text = String::new();
            for part in flakelens_syntax::string_parts(string)? {
                match part {
                    ast::InterpolPart::Literal(literal) => text.push_str(&literal),
                    ast::InterpolPart::Interpolation(interpolation) => {
                        // `"${version}"`-style references to literals.
                        match interpolation.expr()? {
                            ast::Expr::Ident(ident) => {
                                text.push_str(scope.get(&ident.syntax().text().to_string())?)
                            }
                            _ => return None,
                        }
                    }
                }
            }
            Some(text.trim().to_string())
        }
        ast::Expr::Ident(ident) => scope.get(&ident.syntax().text().to_string()).cloned(),
        ast::Expr::Paren(paren) => literal(&paren.expr()?, scope),
        _ => None,
    }
}

pub(crate) fn static_attrpath(path: &ast::Attrpath) -> Option<Vec<String>> {
    path.attrs()
        .map(|attr| match attr {
            ast::Attr::Ident(ident) => Some(ident.syntax().text().to_string()),
            _ => None,
        })
        .collect()
}

pub(crate) fn collect_literal_bindings(
    node: &impl HasEntry,
    scope: &BTreeMap<String, String>,
    out: &mut BTreeMap<String, String>,
) {
    for entry in node.entries() {
        if let ast::Entry::AttrpathValue(binding) = entry {
            let (Some(path), Some(value)) = (binding.attrpath(), binding.value()) else {
                continue;
            };
            if let Some(path) = static_attrpath(&path) {
                if path.len() == 1 {
                    if let Some(text) = literal(&value, scope) {
                        out.insert(path[0].clone(), text);
                    }
                }
            }
        }
    }
}

pub(crate) fn read_derivation_attrs(
    set: &ast::AttrSet,
    scope: &BTreeMap<String, String>,
    info: &mut RecipeInfo,
) {
    let mut name = None;
    for entry in set.entries() {
        let binding = match entry {
            ast::Entry::AttrpathValue(binding) => binding,
            ast::Entry::Inherit(inherit) => {
                // `inherit version;` from the recipe's `let`.
                if inherit.from().is_none() {
                    for attr in inherit.attrs() {
                        let ast::Attr::Ident(ident) = attr else {
                            continue;
                        };
                        let key = ident.syntax().text().to_string();
                        let value = scope.get(&key).cloned();
                        match key.as_str() {
                            "pname" => info.pname = value,
                            "version" => info.version = value,
                            "name" => name = value,
                            _ => {}
                        }
                    }
                }
                continue;
            }
        };
        let (Some(path), Some(value)) = (binding.attrpath(), binding.value()) else {
            continue;
        };
        let Some(path) = static_attrpath(&path) else {
            continue;
        };
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        match path.as_slice() {
            ["pname"] => info.pname = literal(&value, scope),
            ["name"] => name = literal(&value, scope),
            ["version"] => info.version = literal(&value, scope),
            ["meta", "description"] => info.description = literal(&value, scope),
            ["meta", "homepage"] => info.homepage = literal(&value, scope),
            ["meta"] => {
                let mut value = value;
                for _ in 0..4 {
                    value = match value {
                        ast::Expr::With(with) => match with.body() {
                            Some(body) => body,
                            None => break,
                        },
                        ast::Expr::Paren(paren) => match paren.expr() {
                            Some(inner) => inner,
                            None => break,
                        },
                        other => other,
                    };
                    if let ast::Expr::AttrSet(meta) = &value {
                        let mut fields = BTreeMap::new();
                        collect_literal_bindings(meta, scope, &mut fields);
                        info.description = fields.remove("description").or(info.description.take());
                        info.homepage = fields.remove("homepage").or(info.homepage.take());
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    if info.pname.is_none() {
        info.pname = name;
    }
}
