//! Syntactic "where am I": for an offset in a file, what the cursor is on
//! (an option definition or declaration key, a `config.x`/`cfg.x` read, a
//! variable, a path literal) and the option path it stands for.
//!
//! Everything here is pure syntax: no database. The option path of an
//! attribute is found by walking up from it to the module's config root,
//! seeing through the module system's wrappers (`mkIf c { … }`,
//! `mkMerge [ … ]`, `mkDefault`, `optionalAttrs c { … }`, parentheses,
//! `let … in`, `with …;`, module lambdas). The lexical resolver
//! (`flakelens_syntax::scope`) follows `cfg` back to
//! `config.services.poglets`.

mod completion_context;

pub use completion_context::*;
pub use flakelens_syntax::scope::{is_rec, resolve, static_string, Binding};

use flakelens_analysis::known::tables::{
    MODULE_LIST_KEYS, MODULE_META_KEYS, MODULE_OUTPUTS, WRAPPERS,
};
// A path as written uses the analysis's one segment type: `${expr}` is
// `Segment::AnyName`, a list element `Segment::AnyIndex`.
use flakelens_analysis::Segment;
use flakelens_syntax::scope::static_attr_name;
use flakelens_syntax::{ast, SyntaxKind, SyntaxNode, SyntaxToken, TextRange, TextSize};
use rnix::ast::HasEntry;
use rowan::ast::AstNode;

/// Whether an option path is a definition (config side) or a declaration
/// (inside `options = …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    Definition,
    Declaration,
}

/// What an expression is, as far as modules go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A module's body (the attrset of a module, before `config`/`options`
    /// are looked at).
    ModuleRoot,
    /// A value at an option path.
    At(PathKind, Vec<Segment>),
}

/// What the cursor is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Site {
    /// A key of a definition or declaration attrpath.
    OptionKey {
        kind: PathKind,
        path: Vec<Segment>,
        range: TextRange,
    },
    /// A segment of `config.a.b` / `cfg.b` / `with cfg; b`.
    OptionRead {
        path: Vec<Segment>,
        range: TextRange,
    },
    /// A variable use.
    Name {
        name: String,
        range: TextRange,
        binding: Option<Binding>,
        /// When the name stands for a config value (`cfg`, `with cfg; port`).
        config_path: Option<Vec<Segment>>,
    },
    /// The name where a variable is bound (let key, lambda parameter).
    BindingSite { name: String, range: TextRange },
    /// A path literal without interpolation (`./x.nix`).
    PathLiteral { text: String, range: TextRange },
    /// `self.nixosModules.x` (also `outputs.`, `inputs.self.`).
    ModuleOutput {
        output: String,
        name: String,
        range: TextRange,
    },
}

const MAX_DEPTH: u32 = 24;

/// The segment an attribute stands for.
pub fn attr_seg(attr: &ast::Attr) -> Segment {
    static_attr_name(attr).map_or(Segment::AnyName, Segment::Name)
}

pub fn attrpath_segs(path: &ast::Attrpath) -> Vec<(Segment, TextRange)> {
    path.attrs()
        .map(|attr| (attr_seg(&attr), attr.syntax().text_range()))
        .collect()
}

pub(super) fn ident_name(node: &SyntaxNode) -> Option<String> {
    ast::Ident::cast(node.clone()).map(|ident| ident.syntax().text().to_string())
}

/// The name a function head is called by: `mkIf`, `lib.mkIf` → `mkIf`.
pub(super) fn head_name(expr: &SyntaxNode) -> Option<String> {
    match expr.kind() {
        SyntaxKind::NODE_IDENT => ident_name(expr),
        SyntaxKind::NODE_SELECT => {
            let select = ast::Select::cast(expr.clone())?;
            let last = select.attrpath()?.attrs().last()?;
            match attr_seg(&last) {
                Segment::Name(name) => Some(name),
                _ => None,
            }
        }
        SyntaxKind::NODE_PAREN => {
            head_name(&ast::Paren::cast(expr.clone())?.expr()?.syntax().clone())
        }
        _ => None,
    }
}

/// A full call `f a b`: the outermost apply, the head and the arguments.
pub(super) fn call_of(apply: &SyntaxNode) -> Option<(SyntaxNode, SyntaxNode, Vec<SyntaxNode>)> {
    let mut outer = apply.clone();
    while let Some(parent) = outer.parent() {
        match ast::Apply::cast(parent.clone()) {
            Some(up) if up.lambda().map(|l| l.syntax().clone()) == Some(outer.clone()) => {
                outer = parent
            }
            _ => break,
        }
    }
    let mut args = Vec::new();
    let mut cur = outer.clone();
    while let Some(apply) = ast::Apply::cast(cur.clone()) {
        args.push(apply.argument()?.syntax().clone());
        cur = apply.lambda()?.syntax().clone();
    }
    args.reverse();
    Some((outer, cur, args))
}

/// If `child` is the wrapped argument of a module-system wrapper call
/// (`apply` being the innermost apply holding it), the whole call.
pub(super) fn through_wrapper(apply: &SyntaxNode, child: &SyntaxNode) -> Option<SyntaxNode> {
    let (outer, head, args) = call_of(apply)?;
    let name = head_name(&head)?;
    let (_, count, index) = WRAPPERS.iter().find(|(n, _, _)| *n == name)?;
    (args.len() == *count && args.get(*index) == Some(child)).then_some(outer)
}

pub(super) fn last_key_name(apv: &ast::AttrpathValue) -> Option<String> {
    match attr_seg(&apv.attrpath()?.attrs().last()?) {
        Segment::Name(name) => Some(name),
        _ => None,
    }
}

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

pub(super) fn role_inner(
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
pub(super) fn module_root_path(
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

pub(super) fn config_path_inner(expr: &SyntaxNode, depth: u32) -> Option<Vec<Segment>> {
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

pub(super) fn name_config_path(
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
        SyntaxKind::NODE_ATTRPATH => None,
        SyntaxKind::NODE_PAT_ENTRY | SyntaxKind::NODE_IDENT_PARAM | SyntaxKind::NODE_PAT_BIND => {
            Some(Site::BindingSite { name, range })
        }
        SyntaxKind::NODE_INHERIT => {
            let inherit = ast::Inherit::cast(parent.clone())?;
            if let Some(from) = inherit.from().and_then(|f| f.expr()) {
                let mut path = config_path(from.syntax())?;
                path.push(Segment::Name(name));
                return Some(Site::OptionRead { path, range });
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
        _ => {
            let binding = resolve(&ident);
            let config_path = name_config_path(&ident, &name, binding.clone(), 0);
            Some(Site::Name {
                name,
                range,
                binding,
                config_path,
            })
        }
    }
}

pub(super) fn attr_site(
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
pub(super) fn is_flake_self(expr: &SyntaxNode) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn site(text: &str) -> Option<Site> {
        let offset = text.find("$0").unwrap();
        let text = text.replace("$0", "");
        let parse = flakelens_syntax::parse(&text);
        classify(&parse.syntax(), TextSize::from(offset as u32), false)
    }

    fn path_of(text: &str) -> String {
        match site(text) {
            Some(Site::OptionKey { kind, path, .. }) => {
                format!("{kind:?} {}", flakelens_analysis::display_path(&path))
            }
            Some(Site::OptionRead { path, .. }) => {
                format!("Read {}", flakelens_analysis::display_path(&path))
            }
            Some(Site::Name {
                config_path: Some(path),
                ..
            }) => format!("Name {}", flakelens_analysis::display_path(&path)),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn implicit_module_paths() {
        assert_eq!(
            path_of("{ services.po$0glets.enable = true; }"),
            "Definition services.poglets"
        );
        assert_eq!(
            path_of("{ config, ... }: { services = { poglets = { po$0rt = 1; }; }; }"),
            "Definition services.poglets.port"
        );
        assert_eq!(
            path_of("{ lib, ... }: with lib; let x = 1; in { users.users.${x}.u$0id = 1; }"),
            "Definition users.users.<name>.uid"
        );
    }

    #[test]
    fn explicit_module_paths() {
        let text = "{ config, lib, ... }: let cfg = config.services.p; in {\n  options.services.p.en$0able = lib.mkEnableOption \"p\";\n  config = lib.mkIf cfg.enable (lib.mkMerge [ { a.b = 1; } ]);\n}";
        assert_eq!(path_of(text), "Declaration services.p.enable");
        let text = "{ config, lib, ... }: { options.x = 1; config = lib.mkIf true (lib.mkMerge [ { a.b$0 = 1; } (mkIf c { d = 2; }) ]); }";
        assert_eq!(path_of(text), "Definition a.b");
        let text = "{ config, lib, ... }: { options.x = 1; config.a = mkDefault { b = lib.optionalAttrs c { d$0 = 1; }; }; }";
        assert_eq!(path_of(text), "Definition a.b.d");
        // `imports` and let bindings are not options.
        let text =
            "{ config, ... }: { imports = [ ./a.nix ]; config.x = let y = { z$0 = 1; }; in y; }";
        assert_eq!(path_of(text), "None");
    }

    #[test]
    fn reads_through_cfg() {
        let text = "{ config, ... }: let cfg = config.services.p; in { x = cfg.po$0rt; }";
        assert_eq!(path_of(text), "Read services.p.port");
        let text = "{ config, ... }: { x = config.services.p.po$0rt; }";
        assert_eq!(path_of(text), "Read services.p.port");
        let text = "{ config, ... }: let inherit (config.services) p; in { x = p.po$0rt; }";
        assert_eq!(path_of(text), "Read services.p.port");
        let text = "{ config, ... }: let cfg = config.services.p; in { x = with cfg; po$0rt; }";
        assert_eq!(path_of(text), "Name services.p.port");
        // Not config.
        let text = "{ pkgs, ... }: { x = pkgs.po$0rt; }";
        assert_eq!(path_of(text), "None");
    }

    #[test]
    fn inline_modules_in_flakes() {
        let text = "{ outputs = { self, nixpkgs }: { nixosModules.default = { config, ... }: { services.x.en$0able = true; }; }; }";
        let offset = text.find("$0").unwrap();
        let text = text.replace("$0", "");
        let parse = flakelens_syntax::parse(&text);
        let site = classify(&parse.syntax(), TextSize::from(offset as u32), true);
        assert!(
            matches!(&site, Some(Site::OptionKey { path, .. }) if flakelens_analysis::display_path(path) == "services.x.enable"),
            "{site:?}"
        );
        let text = "{ outputs = _: { nixosConfigurations.a = nixosSystem { modules = [ ./a.nix { networking.host$0Name = \"a\"; } ]; }; }; }";
        let offset = text.find("$0").unwrap();
        let text = text.replace("$0", "");
        let parse = flakelens_syntax::parse(&text);
        let site = classify(&parse.syntax(), TextSize::from(offset as u32), true);
        assert!(
            matches!(&site, Some(Site::OptionKey { path, .. }) if flakelens_analysis::display_path(path) == "networking.hostName"),
            "{site:?}"
        );
    }

    fn completion(text: &str) -> String {
        let offset = text.find("$0").unwrap();
        let text = text.replace("$0", "");
        match completion_context(&text, TextSize::from(offset as u32), false) {
            Some(CompletionContext::Key {
                kind,
                base,
                partial,
                ..
            }) => {
                format!(
                    "{kind:?} [{}] {partial:?}",
                    flakelens_analysis::display_path(&base)
                )
            }
            Some(CompletionContext::Read { base, partial, .. }) => {
                format!(
                    "Read [{}] {partial:?}",
                    flakelens_analysis::display_path(&base)
                )
            }
            Some(CompletionContext::Value { path, partial, .. }) => {
                format!(
                    "Value [{}] {partial:?}",
                    flakelens_analysis::display_path(&path)
                )
            }
            None => "None".into(),
        }
    }

    #[test]
    fn completion_contexts() {
        assert_eq!(
            completion("{\n  services.poglets.$0\n}\n"),
            "Definition [services.poglets] \"\""
        );
        assert_eq!(
            completion("{\n  services.poglets.$0\n  x = 1;\n}\n"),
            "Definition [services.poglets] \"\""
        );
        assert_eq!(
            completion("{\n  services = {\n    po$0\n  };\n}\n"),
            "Definition [services] \"po\""
        );
        assert_eq!(completion("{ config, ... }: {\n  options.a = 1;\n  config = mkIf x {\n    services.p$0\n  };\n}\n"), "Definition [services] \"p\"");
        assert_eq!(completion("{ x = { $0 }; }"), "Definition [x] \"\"");
        assert_eq!(
            completion("{ config, ... }: { x = config.services.$0; }"),
            "Read [services] \"\""
        );
        assert_eq!(completion("{ a.b = $0\n}"), "Value [a.b] \"\"");
        assert_eq!(completion("{ a.b = tr$0; }"), "Value [a.b] \"tr\"");
        assert_eq!(completion("{ a.b = 1 + $0; }"), "None");
        assert_eq!(completion("let x = { $0 }; in x"), "None");
        // Key positions after `;`, `let`, a comment; reads after `.`.
        assert_eq!(
            completion("{ a = 1; # note\n  serv$0\n}"),
            "Definition [] \"serv\""
        );
        assert_eq!(
            completion("{ config, ... }: { x = f config.services.po$0; }"),
            "Read [services] \"po\""
        );
        // Expression positions: no reparse, nothing to complete.
        assert_eq!(completion("{ a.b = f $0; }"), "None");
        assert_eq!(completion("{ a.b = [ x$0 ]; }"), "None");
        assert_eq!(completion("{ a.b = (x$0); }"), "None");
        assert_eq!(completion("let y = 1; in y + z$0"), "None");
    }
}
