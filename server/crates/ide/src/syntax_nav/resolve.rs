//! The lexical name resolver of the ide: which `let`, `rec` set, lambda
//! parameter or `inherit` binds a variable, and `with` namespaces on the way.

use flakelens_analysis::Segment;
use flakelens_syntax::{ast, SyntaxKind, SyntaxNode};
use rnix::ast::HasEntry;
use rowan::ast::AstNode;

use super::*;

/// Whether a set is `rec { … }`. `rec` is the set's first token; rnix's
/// `rec_token()` scans every child, which made each lookup through a big
/// set linear in its size (references to a name used 8,000 times in a
/// module: 8 s).
pub fn is_rec(set: &ast::AttrSet) -> bool {
    set.syntax()
        .children_with_tokens()
        .find(|child| !child.kind().is_trivia())
        .is_some_and(|child| child.kind() == SyntaxKind::TOKEN_REC)
}

/// Resolves a variable use lexically.
pub fn resolve(ident: &ast::Ident) -> Option<Binding> {
    let name = ident.syntax().text().to_string();
    let mut namespaces = Vec::new();
    let mut child = ident.syntax().clone();
    // `inherit x;` names a variable of the scope around its set/let.
    let mut skip_scope: Option<SyntaxNode> = None;
    if let Some(parent) = child.parent() {
        if parent.kind() == SyntaxKind::NODE_INHERIT {
            skip_scope = parent.parent();
        }
    }
    for node in ident.syntax().ancestors().skip(1) {
        if skip_scope.as_ref() == Some(&node) {
            child = node;
            continue;
        }
        match node.kind() {
            SyntaxKind::NODE_LET_IN => {
                let let_in = ast::LetIn::cast(node.clone())?;
                if let Some(binding) = lookup_entries(&let_in, &name) {
                    return Some(binding);
                }
            }
            SyntaxKind::NODE_ATTR_SET => {
                let set = ast::AttrSet::cast(node.clone())?;
                if is_rec(&set) {
                    if let Some(binding) = lookup_entries(&set, &name) {
                        return Some(binding);
                    }
                }
            }
            SyntaxKind::NODE_LAMBDA => {
                let lambda = ast::Lambda::cast(node.clone())?;
                if let Some(binding) = lookup_param(&lambda, &name) {
                    return Some(binding);
                }
            }
            SyntaxKind::NODE_WITH => {
                let with = ast::With::cast(node.clone())?;
                if with.body().map(|b| b.syntax().clone()) == Some(child.clone()) {
                    if let Some(namespace) = with.namespace() {
                        namespaces.push(namespace.syntax().clone());
                    }
                }
            }
            _ => {}
        }
        child = node;
    }
    (!namespaces.is_empty()).then_some(Binding::With { namespaces })
}

pub(super) fn lookup_entries(scope: &impl HasEntry, name: &str) -> Option<Binding> {
    for entry in scope.entries() {
        match entry {
            ast::Entry::AttrpathValue(apv) => {
                let Some(attrpath) = apv.attrpath() else {
                    continue;
                };
                let mut attrs = attrpath.attrs();
                let Some(first) = attrs.next() else { continue };
                if matches!(&attr_seg(&first), Segment::Name(n) if n == name) {
                    let single = attrs.next().is_none();
                    return Some(Binding::Let {
                        key: first.syntax().text_range(),
                        value: if single {
                            apv.value().map(|v| v.syntax().clone())
                        } else {
                            None
                        },
                    });
                }
            }
            ast::Entry::Inherit(inherit) => {
                for attr in inherit.attrs() {
                    if matches!(&attr_seg(&attr), Segment::Name(n) if n == name) {
                        return Some(Binding::Inherit {
                            key: attr.syntax().text_range(),
                            from: inherit
                                .from()
                                .and_then(|f| f.expr())
                                .map(|e| e.syntax().clone()),
                        });
                    }
                }
            }
        }
    }
    None
}

pub(super) fn lookup_param(lambda: &ast::Lambda, name: &str) -> Option<Binding> {
    match lambda.param()? {
        ast::Param::IdentParam(param) => {
            let ident = param.ident()?;
            (ident.syntax().text() == name).then(|| Binding::Param {
                key: ident.syntax().text_range(),
                name: name.to_string(),
            })
        }
        ast::Param::Pattern(pattern) => {
            for entry in pattern.pat_entries() {
                let Some(ident) = entry.ident() else { continue };
                if ident.syntax().text() == name {
                    return Some(Binding::Param {
                        key: ident.syntax().text_range(),
                        name: name.to_string(),
                    });
                }
            }
            let bind = pattern.pat_bind()?.ident()?;
            (bind.syntax().text() == name).then(|| Binding::Param {
                key: bind.syntax().text_range(),
                name: name.to_string(),
            })
        }
    }
}
