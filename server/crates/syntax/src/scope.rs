//! The one lexical name resolver: which `let`, `rec` set, lambda parameter
//! or `inherit` binds a variable, else the `with` namespaces it may come
//! from. Pure syntax, shared by every layer above (the ide's navigation,
//! references, package references under `with pkgs;`).

use rnix::ast::{HasEntry, InterpolPart};
use rowan::ast::AstNode;

use crate::{ast, SyntaxKind, SyntaxNode, TextRange};

/// Where a variable is bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// `let x = v;` or `rec { x = v; }` (`value` is `None` for `x.y = v`).
    Let {
        key: TextRange,
        value: Option<SyntaxNode>,
    },
    /// `inherit (from) x;` or `inherit x;` in a let/rec.
    Inherit {
        key: TextRange,
        from: Option<SyntaxNode>,
    },
    /// A lambda parameter (`x:` or `{ x, ... }:` or `@x`).
    Param { key: TextRange, name: String },
    /// Not bound lexically; maybe by one of these `with` namespaces
    /// (innermost first).
    With { namespaces: Vec<SyntaxNode> },
}

impl Binding {
    pub fn key(&self) -> Option<TextRange> {
        match self {
            Binding::Let { key, .. }
            | Binding::Inherit { key, .. }
            | Binding::Param { key, .. } => Some(*key),
            Binding::With { .. } => None,
        }
    }

    /// Whether a `let`, `rec` set, lambda or `inherit` binds the name (so
    /// no `with` around it applies).
    pub fn is_lexical(&self) -> bool {
        self.key().is_some()
    }
}

/// The content of a string without interpolation.
pub fn static_string(string: &ast::Str) -> Option<String> {
    let mut out = String::new();
    for part in crate::string_parts(string)? {
        match part {
            InterpolPart::Literal(text) => out.push_str(&text),
            InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(out)
}

/// The name an attribute stands for when it is known without evaluating:
/// `a`, `"a"`, `${"a"}`; `None` for `${expr}`.
pub fn static_attr_name(attr: &ast::Attr) -> Option<String> {
    match attr {
        ast::Attr::Ident(ident) => Some(ident.syntax().text().to_string()),
        ast::Attr::Str(string) => static_string(string),
        ast::Attr::Dynamic(dynamic) => match dynamic.expr() {
            Some(ast::Expr::Str(string)) => static_string(&string),
            _ => None,
        },
    }
}

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

fn lookup_entries(scope: &impl HasEntry, name: &str) -> Option<Binding> {
    for entry in scope.entries() {
        match entry {
            ast::Entry::AttrpathValue(apv) => {
                let Some(attrpath) = apv.attrpath() else {
                    continue;
                };
                let mut attrs = attrpath.attrs();
                let Some(first) = attrs.next() else { continue };
                if static_attr_name(&first).as_deref() == Some(name) {
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
                    if static_attr_name(&attr).as_deref() == Some(name) {
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

fn lookup_param(lambda: &ast::Lambda, name: &str) -> Option<Binding> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The binding of the variable where `at` first starts in `text` (the
    /// last occurrence with a leading `>`), as its key's text and offset.
    fn bound_at(text: &str, at: &str) -> String {
        let parse = crate::parse(text);
        let root = parse.syntax();
        let offset = match at.strip_prefix('>') {
            Some(at) => text.rfind(at),
            None => text.find(at),
        }
        .expect("marker in text");
        let ident = root
            .descendants()
            .filter_map(ast::Ident::cast)
            .find(|ident| usize::from(ident.syntax().text_range().start()) == offset)
            .expect("an identifier at the marker");
        match resolve(&ident) {
            Some(Binding::With { namespaces }) => format!("with {}", namespaces.len()),
            Some(binding) => {
                let key = binding.key().unwrap();
                format!("{}@{}", &text[key], usize::from(key.start()))
            }
            None => "free".to_string(),
        }
    }

    #[test]
    fn innermost_lexical_binding_wins_over_with() {
        let text = "let x = 1; in with pkgs; { a = x; }";
        assert_eq!(bound_at(text, "x; }"), "x@4");
        let text = "with pkgs; let y = 1; in [ y z ]";
        assert_eq!(bound_at(text, "y z"), "y@15");
        assert_eq!(bound_at(text, "z ]"), "with 1");
    }

    #[test]
    fn inherit_looks_past_its_own_scope() {
        // `let inherit x; in` takes `x` from outside; `rec { inherit a; }` too.
        let text = "x: let inherit x; in x";
        assert_eq!(bound_at(text, "x; in"), "x@0");
        assert_eq!(bound_at(text, ">x"), "x@15");
    }

    #[test]
    fn plain_sets_bind_nothing_rec_sets_do() {
        let text = "{ a = 1; b = a; }";
        assert_eq!(bound_at(text, "a; }"), "free");
        let text = "rec { a = 1; b = a; }";
        assert_eq!(bound_at(text, "a; }"), "a@6");
    }

    #[test]
    fn with_namespace_itself_is_not_under_the_with() {
        let text = "with pkgs; with lib; x";
        assert_eq!(bound_at(text, "lib;"), "with 1");
        assert_eq!(bound_at(text, "x"), "with 2");
    }
}
