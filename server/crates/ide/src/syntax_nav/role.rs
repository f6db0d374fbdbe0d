//! Module structure: the role of an expression (a module body, a value at
//! an option path) and the option path an attribute key or a
//! `config.x`/`cfg.x` read stands for, seen through the module system's
//! wrappers, `let`, `with` and module lambdas.

use flakelens_analysis::known::tables::{MODULE_LIST_KEYS, MODULE_META_KEYS, MODULE_OUTPUTS};
use flakelens_analysis::Segment;
use flakelens_syntax::{ast, SyntaxKind, SyntaxNode, TextRange};
use rnix::ast::HasEntry;
use rowan::ast::AstNode;

use super::*;

/// Whether an attrset has a top-level `options` or `config` key (explicit
/// form module).
pub fn is_explicit_module(set: &ast::AttrSet) -> bool {
    set.attrpath_values().any(|apv| {
        apv.attrpath()
            .and_then(|p| p.attrs().next())
            .map(|attr| matches!(attr_seg(&attr), Segment::Name(n) if n == "options" || n == "config"))
            .unwrap_or(false)
    })
}

/// The role of an expression node. `is_flake`: the file is `flake.nix`
/// (whose root is not a module).
pub fn role_of(node: &SyntaxNode, is_flake: bool) -> Option<Role> {
    role_inner(node, is_flake, 0, &mut ExplicitCache::default())
}

/// Remembers [`is_explicit_module`] per set of one tree. That answer scans
/// the whole set, and the role of every key of a module (and of every set
/// nested in it) needs it: without the cache, an outline of a module with
/// N keys costs N².
#[derive(Default)]
pub struct ExplicitCache(std::collections::HashMap<TextRange, bool>);

impl ExplicitCache {
    fn is_explicit(&mut self, set: &ast::AttrSet) -> bool {
        *self
            .0
            .entry(set.syntax().text_range())
            .or_insert_with(|| is_explicit_module(set))
    }
}

pub(crate) fn role_inner(
    node: &SyntaxNode,
    is_flake: bool,
    depth: u32,
    cache: &mut ExplicitCache,
) -> Option<Role> {
    if depth > 64 {
        return None;
    }
    let mut cur = node.clone();
    let mut crossed_lambda = false;
    loop {
        let parent = cur.parent()?;
        match parent.kind() {
            SyntaxKind::NODE_PAREN => cur = parent,
            SyntaxKind::NODE_LAMBDA => {
                let body = ast::Lambda::cast(parent.clone())?.body()?;
                if body.syntax() != &cur {
                    return None;
                }
                crossed_lambda = true;
                cur = parent;
            }
            SyntaxKind::NODE_LET_IN => {
                let body = ast::LetIn::cast(parent.clone())?.body()?;
                if body.syntax() != &cur {
                    return None;
                }
                cur = parent;
            }
            SyntaxKind::NODE_WITH => {
                let body = ast::With::cast(parent.clone())?.body()?;
                if body.syntax() != &cur {
                    return None;
                }
                cur = parent;
            }
            SyntaxKind::NODE_IF_ELSE => {
                let if_else = ast::IfElse::cast(parent.clone())?;
                if if_else.condition().map(|c| c.syntax().clone()) == Some(cur.clone()) {
                    return None;
                }
                cur = parent;
            }
            SyntaxKind::NODE_BIN_OP => {
                let op = ast::BinOp::cast(parent.clone())?.operator()?;
                if op != ast::BinOpKind::Update {
                    return None;
                }
                cur = parent;
            }
            SyntaxKind::NODE_APPLY => {
                let apply = ast::Apply::cast(parent.clone())?;
                if apply.argument()?.syntax() != &cur {
                    return None;
                }
                cur = through_wrapper(&parent, &cur)?;
            }
            SyntaxKind::NODE_LIST => {
                // `mkMerge [ … ]`: the list is the wrapped argument.
                let list = parent.clone();
                if let Some(apply) = list.parent().filter(|p| p.kind() == SyntaxKind::NODE_APPLY) {
                    if let Some(call) = through_wrapper(&apply, &list) {
                        let (_, head, _) = call_of(&apply)?;
                        if head_name(&head).as_deref() == Some("mkMerge") {
                            cur = call;
                            continue;
                        }
                    }
                }
                // `imports = [ … ]`, `modules = [ … ]` (maybe `[ … ] ++ x`).
                let mut holder = list.clone();
                while let Some(up) = holder.parent() {
                    match up.kind() {
                        SyntaxKind::NODE_PAREN => holder = up,
                        SyntaxKind::NODE_BIN_OP
                            if ast::BinOp::cast(up.clone()).and_then(|b| b.operator())
                                == Some(ast::BinOpKind::Concat) =>
                        {
                            holder = up
                        }
                        _ => break,
                    }
                }
                if let Some(apv) = holder.parent().and_then(ast::AttrpathValue::cast) {
                    if let Some(key) = last_key_name(&apv) {
                        if MODULE_LIST_KEYS.contains(&key.as_str()) {
                            return Some(Role::ModuleRoot);
                        }
                    }
                }
                if crossed_lambda {
                    return None;
                }
                return match role_inner(&list, is_flake, depth + 1, cache)? {
                    Role::At(kind, mut path) => {
                        path.push(Segment::AnyIndex);
                        Some(Role::At(kind, path))
                    }
                    Role::ModuleRoot => None,
                };
            }
            SyntaxKind::NODE_ATTRPATH_VALUE => {
                let apv = ast::AttrpathValue::cast(parent.clone())?;
                if apv.value()?.syntax() != &cur {
                    return None;
                }
                let segs: Vec<Segment> = attrpath_segs(&apv.attrpath()?)
                    .into_iter()
                    .map(|(seg, _)| seg)
                    .collect();
                let set_node = parent.parent()?;
                let set = ast::AttrSet::cast(set_node.clone())?;
                // `nixosModules.x = …` / `nixosModules = { x = …; }`.
                let output_key = |segs: &[Segment]| {
                    segs.len() >= 2
                        && matches!(&segs[segs.len() - 2], Segment::Name(n) if MODULE_OUTPUTS.contains(&n.as_str()))
                };
                if output_key(&segs) {
                    return Some(Role::ModuleRoot);
                }
                if segs.len() == 1 {
                    if let Some(holder) = set_node.parent().and_then(ast::AttrpathValue::cast) {
                        if last_key_name(&holder)
                            .is_some_and(|k| MODULE_OUTPUTS.contains(&k.as_str()))
                        {
                            return Some(Role::ModuleRoot);
                        }
                    }
                }
                if crossed_lambda {
                    return None;
                }
                let role = role_inner(&set_node, is_flake, depth + 1, cache)?;
                return match role {
                    Role::ModuleRoot => {
                        let (kind, path) = module_root_path(cache.is_explicit(&set), segs)?;
                        Some(Role::At(kind, path))
                    }
                    Role::At(kind, mut path) => {
                        path.extend(segs);
                        Some(Role::At(kind, path))
                    }
                };
            }
            SyntaxKind::NODE_ROOT => {
                return (!is_flake).then_some(Role::ModuleRoot);
            }
            _ => return None,
        }
    }
}

/// Where attribute path `segs`, written at the top of a module, points:
/// through `config.`/`options.` in explicit-form modules, directly in
/// implicit-form ones; `None` for meta keys (`imports`, `_file`, …).
pub(crate) fn module_root_path(
    explicit: bool,
    segs: Vec<Segment>,
) -> Option<(PathKind, Vec<Segment>)> {
    let Segment::Name(first) = segs.first()? else {
        return None;
    };
    if MODULE_META_KEYS.contains(&first.as_str()) {
        return None;
    }
    if !explicit {
        return Some((PathKind::Definition, segs));
    }
    let kind = match first.as_str() {
        "config" => PathKind::Definition,
        "options" => PathKind::Declaration,
        _ => return None,
    };
    Some((kind, segs[1..].to_vec()))
}

/// The option path of an attribute key: `(kind, path up to and including
/// the attribute)`.
pub fn key_path(attr: &ast::Attr, is_flake: bool) -> Option<(PathKind, Vec<Segment>)> {
    key_path_cached(attr, is_flake, &mut ExplicitCache::default())
}

/// [`key_path`] sharing a cache across calls on the same tree.
pub fn key_path_cached(
    attr: &ast::Attr,
    is_flake: bool,
    cache: &mut ExplicitCache,
) -> Option<(PathKind, Vec<Segment>)> {
    let attrpath = ast::Attrpath::cast(attr.syntax().parent()?)?;
    let apv = ast::AttrpathValue::cast(attrpath.syntax().parent()?)?;
    let set_node = apv.syntax().parent()?;
    let set = ast::AttrSet::cast(set_node.clone())?;
    let segs = attrpath_segs(&attrpath);
    let index = segs
        .iter()
        .position(|(_, range)| *range == attr.syntax().text_range())?;
    let upto: Vec<Segment> = segs[..=index].iter().map(|(seg, _)| seg.clone()).collect();
    match role_inner(&set_node, is_flake, 0, cache)? {
        // The bare `config`/`options` key of an explicit module names no option.
        Role::ModuleRoot => {
            module_root_path(cache.is_explicit(&set), upto).filter(|(_, path)| !path.is_empty())
        }
        Role::At(kind, mut path) => {
            path.extend(upto);
            Some((kind, path))
        }
    }
}

/// The config path an expression reads: `config.a.b` → `a.b`; `cfg` where
/// `cfg = config.a` → `a`.
pub fn config_path(expr: &SyntaxNode) -> Option<Vec<Segment>> {
    config_path_inner(expr, 0)
}

pub(crate) fn config_path_inner(expr: &SyntaxNode, depth: u32) -> Option<Vec<Segment>> {
    if depth > MAX_DEPTH {
        return None;
    }
    match expr.kind() {
        SyntaxKind::NODE_PAREN => {
            config_path_inner(ast::Paren::cast(expr.clone())?.expr()?.syntax(), depth + 1)
        }
        SyntaxKind::NODE_SELECT => {
            let select = ast::Select::cast(expr.clone())?;
            if select.default_expr().is_some() {
                return None;
            }
            let mut base = config_path_inner(select.expr()?.syntax(), depth + 1)?;
            base.extend(
                attrpath_segs(&select.attrpath()?)
                    .into_iter()
                    .map(|(seg, _)| seg),
            );
            Some(base)
        }
        SyntaxKind::NODE_IDENT => {
            let ident = ast::Ident::cast(expr.clone())?;
            let name = ident.syntax().text().to_string();
            name_config_path(&ident, &name, resolve(&ident), depth)
        }
        _ => None,
    }
}

pub(crate) fn name_config_path(
    _ident: &ast::Ident,
    name: &str,
    binding: Option<Binding>,
    depth: u32,
) -> Option<Vec<Segment>> {
    match binding {
        None => (name == "config").then(Vec::new),
        Some(Binding::Param { name: param, .. }) => (param == "config").then(Vec::new),
        Some(Binding::Let {
            value: Some(value), ..
        }) => config_path_inner(&value, depth + 1),
        Some(Binding::Let { value: None, .. }) => None,
        Some(Binding::Inherit {
            from: Some(from), ..
        }) => {
            let mut base = config_path_inner(&from, depth + 1)?;
            base.push(Segment::Name(name.to_string()));
            Some(base)
        }
        // `inherit cfg;` in a let: the outer `cfg`.
        Some(Binding::Inherit { from: None, .. }) => None,
        Some(Binding::With { namespaces }) => {
            if name == "config" {
                // `with lib; config.x`: `config` is still the parameter.
                return Some(Vec::new());
            }
            namespaces.iter().find_map(|namespace| {
                let mut base = config_path_inner(namespace, depth + 1)?;
                base.push(Segment::Name(name.to_string()));
                Some(base)
            })
        }
    }
}
