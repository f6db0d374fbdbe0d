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
mod role;
mod site;

pub use completion_context::*;
pub use flakelens_syntax::scope::{is_rec, resolve, static_string, Binding};
pub use role::*;
pub use site::*;

use flakelens_analysis::known::tables::{MODULE_META_KEYS, WRAPPERS};
// A path as written uses the analysis's one segment type: `${expr}` is
// `Segment::AnyName`, a list element `Segment::AnyIndex`.
use flakelens_analysis::Segment;
use flakelens_syntax::scope::static_attr_name;
use flakelens_syntax::{ast, SyntaxKind, SyntaxNode, TextRange};
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

pub(crate) fn ident_name(node: &SyntaxNode) -> Option<String> {
    ast::Ident::cast(node.clone()).map(|ident| ident.syntax().text().to_string())
}

/// The name a function head is called by: `mkIf`, `lib.mkIf` → `mkIf`.
pub(crate) fn head_name(expr: &SyntaxNode) -> Option<String> {
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
pub(crate) fn call_of(apply: &SyntaxNode) -> Option<(SyntaxNode, SyntaxNode, Vec<SyntaxNode>)> {
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
pub(crate) fn through_wrapper(apply: &SyntaxNode, child: &SyntaxNode) -> Option<SyntaxNode> {
    let (outer, head, args) = call_of(apply)?;
    let name = head_name(&head)?;
    let (_, count, index) = WRAPPERS.iter().find(|(n, _, _)| *n == name)?;
    (args.len() == *count && args.get(*index) == Some(child)).then_some(outer)
}

pub(crate) fn last_key_name(apv: &ast::AttrpathValue) -> Option<String> {
    match attr_seg(&apv.attrpath()?.attrs().last()?) {
        Segment::Name(name) => Some(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
