//! What Nix rejects while parsing, before evaluating anything: variables
//! bound nowhere (`undefined-variable`) and attributes defined twice in one
//! attrset or `let` (`duplicate-attribute`). Both follow Nix's own parser
//! (`bindVars` and `addAttr`): a name under any `with` is looked up at run
//! time, so it is never undefined here; attrset literals merge one level.

use std::collections::HashMap;
use std::sync::Arc;

use flakelens_db::{Db, SourceFile};
use flakelens_syntax::ast::{self, HasEntry};
use flakelens_syntax::TextRange;
use rowan::ast::AstNode;

use super::{codes, Diagnostic, Severity};
use crate::FileRange;

/// Names in Nix's base environment besides `builtins.__*` (checked against
/// `nix-instantiate --parse`; names of later Nix versions are included).
const GLOBALS: &[&str] = &[
    "abort",
    "baseNameOf",
    "break",
    "builtins",
    "derivation",
    "derivationStrict",
    "dirOf",
    "false",
    "fetchGit",
    "fetchMercurial",
    "fetchTarball",
    "fetchTree",
    "fetchurl",
    "fromTOML",
    "import",
    "isNull",
    "map",
    "null",
    "placeholder",
    "removeAttrs",
    "scopedImport",
    "throw",
    "toString",
    "true",
];

/// Undefined variables and duplicate attributes of one file (none when it
/// does not parse: the syntax error is what Nix reports first).
#[salsa::tracked(returns(ref))]
pub fn name_diagnostics(db: &dyn Db, file: SourceFile) -> Arc<Vec<Diagnostic>> {
    let parse = flakelens_db::parse(db, file);
    let mut checker = Checker {
        file,
        out: Vec::new(),
    };
    if parse.errors.is_empty() {
        if let Some(expr) = parse.root_expr() {
            checker.expr(&expr, &Scope::ROOT);
        }
    }
    Arc::new(checker.out)
}

/// A lexical scope: the names one construct binds, or a `with`.
struct Scope<'a> {
    names: Vec<String>,
    with: bool,
    parent: Option<&'a Scope<'a>>,
}

impl Scope<'_> {
    const ROOT: Scope<'static> = Scope {
        names: Vec::new(),
        with: false,
        parent: None,
    };

    fn child<'p>(&'p self, names: Vec<String>) -> Scope<'p> {
        Scope {
            names,
            with: false,
            parent: Some(self),
        }
    }

    fn defines(&self, name: &str) -> bool {
        let mut scope = Some(self);
        while let Some(current) = scope {
            if current.with || current.names.iter().any(|n| n == name) {
                return true;
            }
            scope = current.parent;
        }
        name.starts_with("__") || GLOBALS.contains(&name)
    }
}

struct Checker {
    file: SourceFile,
    out: Vec<Diagnostic>,
}

/// One level of an attrset being built, as Nix's `addAttr` sees it.
#[derive(Default)]
struct Level {
    names: HashMap<String, Def>,
}

struct Def {
    range: TextRange,
    /// An attrset literal (or a level made by `a.b = …`): later paths merge.
    attrs: Option<Level>,
    inherited: bool,
}

impl Checker {
    fn range(&self, range: TextRange) -> FileRange {
        FileRange {
            file: self.file,
            range,
        }
    }

    fn expr(&mut self, expr: &ast::Expr, scope: &Scope) {
        use ast::Expr;
        match expr {
            Expr::Ident(ident) => {
                let name = ident.syntax().text().to_string();
                if name != "or" && !scope.defines(&name) {
                    self.out.push(Diagnostic {
                        range: self.range(ident.syntax().text_range()),
                        severity: Severity::Error,
                        code: codes::UNDEFINED_VARIABLE,
                        message: format!("undefined variable '{name}'"),
                        related: Vec::new(),
                        fixes: Vec::new(),
                    });
                }
            }
            Expr::Lambda(lambda) => {
                let mut names = Vec::new();
                match lambda.param() {
                    Some(ast::Param::IdentParam(param)) => names.extend(param.ident().map(text)),
                    Some(ast::Param::Pattern(pattern)) => {
                        names.extend(pattern.pat_entries().filter_map(|e| e.ident()).map(text));
                        names.extend(pattern.pat_bind().and_then(|b| b.ident()).map(text));
                    }
                    None => {}
                }
                let inner = scope.child(names);
                if let Some(ast::Param::Pattern(pattern)) = lambda.param() {
                    for entry in pattern.pat_entries() {
                        if let Some(default) = entry.default() {
                            self.expr(&default, &inner);
                        }
                    }
                }
                self.opt(lambda.body(), &inner);
            }
            Expr::LetIn(let_in) => {
                let inner = scope.child(bound_names(let_in));
                self.entries(let_in, scope, &inner);
                self.opt(let_in.body(), &inner);
            }
            Expr::LegacyLet(legacy) => {
                let inner = scope.child(bound_names(legacy));
                self.entries(legacy, scope, &inner);
            }
            Expr::AttrSet(set) => {
                if set.rec_token().is_some() {
                    let inner = scope.child(bound_names(set));
                    self.entries(set, scope, &inner);
                } else {
                    self.entries(set, scope, scope);
                }
            }
            Expr::With(with) => {
                self.opt(with.namespace(), scope);
                let inner = Scope {
                    names: Vec::new(),
                    with: true,
                    parent: Some(scope),
                };
                self.opt(with.body(), &inner);
            }
            Expr::Select(select) => {
                self.opt(select.expr(), scope);
                self.attrpath(select.attrpath(), scope);
                self.opt(select.default_expr(), scope);
            }
            Expr::HasAttr(has) => {
                self.opt(has.expr(), scope);
                self.attrpath(has.attrpath(), scope);
            }
            // Everything else: its sub-expressions and interpolations, in
            // the same scope.
            _ => {
                for child in expr.syntax().children() {
                    if let Some(child) = ast::Expr::cast(child.clone()) {
                        self.expr(&child, scope);
                    } else if let Some(interpol) = ast::Interpol::cast(child) {
                        self.opt(interpol.expr(), scope);
                    }
                }
            }
        }
    }

    fn opt(&mut self, expr: Option<ast::Expr>, scope: &Scope) {
        if let Some(expr) = expr {
            self.expr(&expr, scope);
        }
    }

    /// Dynamic parts of an attribute path are expressions.
    fn attrpath(&mut self, path: Option<ast::Attrpath>, scope: &Scope) {
        for attr in path.into_iter().flat_map(|path| path.attrs()) {
            match attr {
                ast::Attr::Dynamic(dynamic) => self.opt(dynamic.expr(), scope),
                ast::Attr::Str(string) => self.expr(&ast::Expr::Str(string), scope),
                ast::Attr::Ident(_) => {}
            }
        }
    }

    /// The bindings of an attrset or `let`: plain `inherit x` reads the
    /// enclosing scope, everything else the construct's own (`inner`, which
    /// is `outer` for a non-recursive attrset).
    fn entries(&mut self, node: &impl HasEntry, outer: &Scope, inner: &Scope) {
        let mut level = Level::default();
        // Nix merges `a = rec { b = 1; }; a.c = b;` into one `rec` set, so
        // values under a name that holds a `rec` literal may see its names:
        // those are silent.
        let merged_rec = Scope {
            names: Vec::new(),
            with: true,
            parent: Some(inner),
        };
        let rec_names = rec_literal_names(node);
        for entry in node.entries() {
            match entry {
                ast::Entry::AttrpathValue(binding) => {
                    let first = binding
                        .attrpath()
                        .and_then(|path| path.attrs().next())
                        .and_then(|attr| static_name(&attr));
                    let scope = match first {
                        Some(first) if rec_names.contains(&first) => &merged_rec,
                        _ => inner,
                    };
                    self.attrpath(binding.attrpath(), scope);
                    self.opt(binding.value(), scope);
                    self.add(&mut level, &binding, true);
                }
                ast::Entry::Inherit(inherit) => {
                    match inherit.from() {
                        Some(from) => self.opt(from.expr(), inner),
                        None => {
                            for attr in inherit.attrs() {
                                if let ast::Attr::Ident(ident) = attr {
                                    self.expr(&ast::Expr::Ident(ident), outer);
                                }
                            }
                        }
                    }
                    let inherited = inherit.from().is_none();
                    for attr in inherit.attrs() {
                        let Some(name) = static_name(&attr) else {
                            continue;
                        };
                        let def = Def {
                            range: attr.syntax().text_range(),
                            attrs: None,
                            inherited,
                        };
                        self.insert(&mut level, name, def, true);
                    }
                }
            }
        }
    }

    /// Nix's `addAttr`: walks the path through existing attrset levels; a
    /// name already bound to anything else is a duplicate.
    fn add(&mut self, level: &mut Level, binding: &ast::AttrpathValue, report: bool) {
        let Some(path) = binding.attrpath() else {
            return;
        };
        let attrs: Vec<ast::Attr> = path.attrs().collect();
        let Some((last, init)) = attrs.split_last() else {
            return;
        };
        let path_range = path.syntax().text_range();
        let mut current = level;
        for attr in init {
            let Some(name) = static_name(attr) else {
                return;
            };
            let range = path_range;
            let def = current.names.entry(name).or_insert_with(|| Def {
                range,
                attrs: Some(Level::default()),
                inherited: false,
            });
            if def.inherited || def.attrs.is_none() {
                if report {
                    let first = def.range;
                    self.duplicate(range, first, &path_text(&attrs));
                }
                return;
            }
            current = def.attrs.as_mut().expect("checked above");
        }
        let Some(name) = static_name(last) else {
            return;
        };
        let value = binding.value().and_then(attrset_literal);
        let def = Def {
            range: path_range,
            attrs: value.as_ref().map(|set| self.level_of(set)),
            inherited: false,
        };
        self.insert(current, name, def, report);
    }

    /// Binds `name` in `level`; two attrset literals merge one level deep.
    fn insert(&mut self, level: &mut Level, name: String, def: Def, report: bool) {
        match level.names.get_mut(&name) {
            None => {
                level.names.insert(name, def);
            }
            Some(existing) => match (existing.attrs.as_mut(), def.attrs, existing.inherited) {
                (Some(into), Some(from), false) if !def.inherited => {
                    for (inner_name, inner) in from.names {
                        if let Some(first) = into.names.get(&inner_name) {
                            if report {
                                let first = first.range;
                                self.duplicate(inner.range, first, &inner_name);
                            }
                        } else {
                            into.names.insert(inner_name, inner);
                        }
                    }
                }
                _ => {
                    if report {
                        let first = existing.range;
                        self.duplicate(def.range, first, &name);
                    }
                }
            },
        }
    }

    /// The level an attrset literal builds, without reporting (its own
    /// duplicates are reported when the literal itself is walked).
    fn level_of(&mut self, set: &ast::AttrSet) -> Level {
        let mut level = Level::default();
        for entry in set.entries() {
            match entry {
                ast::Entry::AttrpathValue(binding) => self.add(&mut level, &binding, false),
                ast::Entry::Inherit(inherit) => {
                    let inherited = inherit.from().is_none();
                    for attr in inherit.attrs() {
                        if let Some(name) = static_name(&attr) {
                            let def = Def {
                                range: attr.syntax().text_range(),
                                attrs: None,
                                inherited,
                            };
                            self.insert(&mut level, name, def, false);
                        }
                    }
                }
            }
        }
        level
    }

    fn duplicate(&mut self, range: TextRange, first: TextRange, name: &str) {
        self.out.push(Diagnostic {
            range: self.range(range),
            severity: Severity::Error,
            code: codes::DUPLICATE_ATTRIBUTE,
            message: format!("attribute '{name}' is already defined"),
            related: vec![(self.range(first), "first defined here".to_string())],
            fixes: Vec::new(),
        });
    }
}

fn text(ident: ast::Ident) -> String {
    ident.syntax().text().to_string()
}

/// First segments bound more than once where one value holds a `rec`
/// attrset literal (directly or inside attrset literals).
fn rec_literal_names(node: &impl HasEntry) -> Vec<String> {
    fn holds_rec(expr: &ast::Expr) -> bool {
        match attrset_literal(expr.clone()) {
            Some(set) => {
                set.rec_token().is_some()
                    || set
                        .attrpath_values()
                        .filter_map(|binding| binding.value())
                        .any(|value| holds_rec(&value))
            }
            None => false,
        }
    }
    let mut count: HashMap<String, (usize, bool)> = HashMap::new();
    for binding in node.attrpath_values() {
        let Some(first) = binding
            .attrpath()
            .and_then(|path| path.attrs().next())
            .and_then(|attr| static_name(&attr))
        else {
            continue;
        };
        let slot = count.entry(first).or_default();
        slot.0 += 1;
        slot.1 |= binding.value().is_some_and(|value| holds_rec(&value));
    }
    count
        .into_iter()
        .filter(|(_, (n, rec))| *n > 1 && *rec)
        .map(|(name, _)| name)
        .collect()
}

/// The names a `let` or `rec` set binds: first segments and inherits.
fn bound_names(node: &impl HasEntry) -> Vec<String> {
    let mut names = Vec::new();
    for entry in node.entries() {
        match entry {
            ast::Entry::AttrpathValue(binding) => {
                if let Some(first) = binding.attrpath().and_then(|path| path.attrs().next()) {
                    names.extend(static_name(&first));
                }
            }
            ast::Entry::Inherit(inherit) => {
                names.extend(inherit.attrs().filter_map(|attr| static_name(&attr)));
            }
        }
    }
    names
}

/// A key Nix knows while parsing: a name, a string without interpolation,
/// or `${"…"}` of such a string.
fn static_name(attr: &ast::Attr) -> Option<String> {
    match attr {
        ast::Attr::Ident(ident) => Some(ident.syntax().text().to_string()),
        ast::Attr::Str(string) => literal(string),
        ast::Attr::Dynamic(dynamic) => match dynamic.expr()? {
            ast::Expr::Str(string) => literal(&string),
            _ => None,
        },
    }
}

fn literal(string: &ast::Str) -> Option<String> {
    let mut out = String::new();
    for part in string.normalized_parts() {
        match part {
            ast::InterpolPart::Literal(text) => out.push_str(&text),
            ast::InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(out)
}

/// An attrset literal, through parentheses (Nix's AST has none).
fn attrset_literal(expr: ast::Expr) -> Option<ast::AttrSet> {
    match expr {
        ast::Expr::AttrSet(set) => Some(set),
        ast::Expr::Paren(paren) => attrset_literal(paren.expr()?),
        _ => None,
    }
}

fn path_text(attrs: &[ast::Attr]) -> String {
    attrs
        .iter()
        .map(|attr| static_name(attr).unwrap_or_else(|| "${…}".into()))
        .collect::<Vec<_>>()
        .join(".")
}
