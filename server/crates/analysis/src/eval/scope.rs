//! Scopes: applying lambdas (binding patterns), `let`/`rec` recursive
//! scopes and building attrsets from bindings (`inherit`, nested paths).

use std::collections::BTreeMap;
use std::rc::Rc;

use flakelens_db::SourceFile;
use flakelens_syntax::ast::{self, HasEntry};
use flakelens_syntax::TextRange;
use rowan::ast::AstNode;

use super::*;
use crate::FileRange;

impl<'db> Evaluator<'db> {
    pub(crate) fn apply_lambda(&self, closure: &Closure, argument: Thunk) -> Value {
        let Some(body) = closure.lambda.body() else {
            return Value::Unknown;
        };
        let env = match closure.lambda.param() {
            Some(ast::Param::IdentParam(param)) => {
                let mut vars = BTreeMap::new();
                if let Some(name) = param.ident().as_ref().and_then(ident_text) {
                    vars.insert(name, argument);
                }
                closure.env.scope(vars)
            }
            Some(ast::Param::Pattern(pattern)) => {
                self.bind_pattern(&pattern, argument, &closure.env, closure.file)
            }
            None => return Value::Unknown,
        };
        self.eval(&body, &env, closure.file)
    }

    pub(crate) fn bind_pattern(
        &self,
        pattern: &ast::Pattern,
        argument: Thunk,
        env: &Env,
        file: SourceFile,
    ) -> Env {
        let argument_value = self.force(&argument);
        // Defaults may refer to other formals: they live in the new scope.
        let mut defaults = Vec::new();
        let mut vars = BTreeMap::new();
        for entry in pattern.pat_entries() {
            let Some(name) = entry.ident().as_ref().and_then(ident_text) else {
                continue;
            };
            let given = match &argument_value {
                Value::Attrs(attrs) => match attrs.get(&name) {
                    Some(entry) => Some(entry.value.clone()),
                    None if attrs.incomplete => None,
                    None => None,
                },
                _ => None,
            };
            let known_missing = matches!(&argument_value, Value::Attrs(attrs) if !attrs.incomplete);
            let thunk = match (given, entry.default()) {
                (Some(thunk), _) => thunk,
                (None, Some(default)) if known_missing => {
                    defaults.push((name.clone(), default));
                    continue;
                }
                _ => self.value_thunk(Value::Unknown, None),
            };
            vars.insert(name, thunk);
        }
        if let Some(bind) = pattern.pat_bind().and_then(|bind| bind.ident()) {
            if let Some(name) = ident_text(&bind) {
                vars.insert(name, argument);
            }
        }
        if defaults.is_empty() {
            return env.scope(vars);
        }
        // Two-step: the defaults' env is the final scope; build it with
        // placeholder thunks filled right after.
        let placeholders: Vec<(Name, Thunk)> = defaults
            .iter()
            .map(|(name, _)| (name.clone(), self.value_thunk(Value::Unknown, None)))
            .collect();
        for (name, thunk) in &placeholders {
            vars.insert(name.clone(), thunk.clone());
        }
        let scope = env.scope(vars);
        for ((_, default), (_, placeholder)) in defaults.into_iter().zip(placeholders) {
            *placeholder.0.state.borrow_mut() = ThunkState::Pending {
                expr: default,
                env: scope.clone(),
                file,
            };
        }
        scope
    }

    /// A recursive binding group (`let` or `rec { }`): the bindings' values
    /// are evaluated in a scope that contains the bindings themselves.
    pub(crate) fn recursive_scope(
        &self,
        node: &impl HasEntry,
        env: &Env,
        file: SourceFile,
    ) -> (Env, Rc<Attrs>) {
        // Names bound at the top of the group, with placeholders.
        let mut vars = BTreeMap::new();
        let mut placeholders = Vec::new();
        for entry in node.entries() {
            match entry {
                ast::Entry::AttrpathValue(binding) => {
                    let Some(first) = binding.attrpath().and_then(|p| p.attrs().next()) else {
                        continue;
                    };
                    // Dynamic names in a recursive group are an error in Nix;
                    // static names suffice here.
                    let name = match &first {
                        ast::Attr::Ident(ident) => ident_text(ident),
                        ast::Attr::Str(string) => {
                            match self.eval_string(string, &Env::root(), file) {
                                Value::Str(s) => Some(s),
                                _ => None,
                            }
                        }
                        ast::Attr::Dynamic(_) => None,
                    };
                    if let Some(name) = name {
                        if !vars.contains_key(&name) {
                            let placeholder = self.value_thunk(Value::Unknown, None);
                            vars.insert(name.clone(), placeholder.clone());
                            placeholders.push((name, placeholder));
                        }
                    }
                }
                ast::Entry::Inherit(inherit) => {
                    for attr in inherit.attrs() {
                        if let ast::Attr::Ident(ident) = &attr {
                            if let Some(name) = ident_text(ident) {
                                let placeholder = self.value_thunk(Value::Unknown, None);
                                vars.insert(name.clone(), placeholder.clone());
                                placeholders.push((name, placeholder));
                            }
                        }
                    }
                }
            }
        }
        let scope = env.scope(vars);
        // `inherit x;` inside the group reads the enclosing scope.
        let attrs = self.build_attrs(node, &scope, env, file);
        for (name, placeholder) in placeholders {
            if let Some(entry) = attrs.entries.get(&name) {
                let value = entry.value.clone();
                // Alias the placeholder to the real thunk.
                let state = match &*value.0.state.borrow() {
                    ThunkState::Pending { expr, env, file } => ThunkState::Pending {
                        expr: expr.clone(),
                        env: env.clone(),
                        file: *file,
                    },
                    ThunkState::Select { from, name } => ThunkState::Select {
                        from: from.clone(),
                        name: name.clone(),
                    },
                    ThunkState::Apply { function, argument } => ThunkState::Apply {
                        function: function.clone(),
                        argument: argument.clone(),
                    },
                    ThunkState::Done(value) => ThunkState::Done(value.clone()),
                    _ => ThunkState::Done(Value::Unknown),
                };
                *placeholder.0.state.borrow_mut() = state;
                // Make the entry share the placeholder so the value is
                // computed once for both uses.
            }
        }
        // Point every entry at its placeholder (same computation, shared).
        let mut shared = attrs.clone();
        for (name, entry) in shared.entries.iter_mut() {
            if let Some(thunk) = self.lookup_local(&scope, name) {
                entry.value = thunk;
            }
        }
        (scope, Rc::new(shared))
    }

    pub(crate) fn lookup_local(&self, env: &Env, name: &str) -> Option<Thunk> {
        match &*env.0 {
            EnvNode::Scope { vars, .. } => vars.get(name).cloned(),
            _ => None,
        }
    }

    /// Builds the attributes of a binding group. Values are evaluated in
    /// `env`; `inherit x;` looks up in `inherit_env`.
    pub(crate) fn build_attrs(
        &self,
        node: &impl HasEntry,
        env: &Env,
        inherit_env: &Env,
        file: SourceFile,
    ) -> Attrs {
        let mut attrs = Attrs::default();
        self.add_entries(&mut attrs, node, env, inherit_env, file);
        attrs
    }

    pub(crate) fn add_entries(
        &self,
        attrs: &mut Attrs,
        node: &impl HasEntry,
        env: &Env,
        inherit_env: &Env,
        file: SourceFile,
    ) {
        for entry in node.entries() {
            if !self.spend(1) {
                attrs.incomplete = true;
                return;
            }
            match entry {
                ast::Entry::Inherit(inherit) => {
                    let from = inherit
                        .from()
                        .and_then(|from| from.expr())
                        .map(|expr| self.thunk(expr, env.clone(), file));
                    for attr in inherit.attrs() {
                        let Some(name) = self.attr_name(&attr, inherit_env, file) else {
                            attrs.incomplete = true;
                            continue;
                        };
                        let key = self.loc(file, &attr);
                        let value = match &from {
                            Some(from) => self.select_thunk(from.clone(), name.clone(), key),
                            None => self
                                .lookup(inherit_env, &name)
                                .unwrap_or_else(|| self.value_thunk(Value::Unknown, key)),
                        };
                        attrs.entries.insert(
                            name,
                            AttrEntry {
                                value,
                                key,
                                path_range: key,
                            },
                        );
                    }
                }
                ast::Entry::AttrpathValue(binding) => {
                    let (Some(path), Some(value)) = (binding.attrpath(), binding.value()) else {
                        continue;
                    };
                    let path_range = path.syntax().text_range();
                    let segments: Vec<ast::Attr> = path.attrs().collect();
                    self.insert_path(attrs, &segments, path_range, value, env, file);
                }
            }
        }
    }

    /// Inserts `a.b.c = value` into `attrs`, merging nested attrsets the way
    /// Nix does (`a.b = 1; a.c = 2;` and `a = { b = 1; }; a.c = 2;`).
    pub(crate) fn insert_path(
        &self,
        attrs: &mut Attrs,
        segments: &[ast::Attr],
        path_range: TextRange,
        value: ast::Expr,
        env: &Env,
        file: SourceFile,
    ) {
        let Some((first, rest)) = segments.split_first() else {
            return;
        };
        let Some(name) = self.attr_name(first, env, file) else {
            attrs.incomplete = true;
            return;
        };
        let key = self.loc(file, first);
        if rest.is_empty() {
            // A literal non-rec attrset merges with other definitions of the
            // same name; anything else is a plain (lazy) value.
            if let ast::Expr::AttrSet(set) = &value {
                if set.rec_token().is_none() {
                    let mut nested = self.take_merge_target(attrs.entries.get(&name));
                    nested.origin = nested.origin.or(self.loc(file, set));
                    self.add_entries(&mut nested, set, env, env, file);
                    let existing_key = attrs.entries.get(&name).and_then(|e| e.key);
                    attrs.entries.insert(
                        name,
                        AttrEntry {
                            value: self.merge_target(nested, self.loc(file, set)),
                            key: existing_key.or(key),
                            path_range: Some(FileRange {
                                file,
                                range: path_range,
                            }),
                        },
                    );
                    return;
                }
            }
            let thunk = self.thunk(value, env.clone(), file);
            attrs.entries.insert(
                name,
                AttrEntry {
                    value: thunk,
                    key,
                    path_range: Some(FileRange {
                        file,
                        range: path_range,
                    }),
                },
            );
            return;
        }
        let mut nested = self.take_merge_target(attrs.entries.get(&name));
        self.insert_path(&mut nested, rest, path_range, value, env, file);
        let existing = attrs.entries.get(&name).cloned();
        attrs.entries.insert(
            name,
            AttrEntry {
                value: self.merge_target(nested, key),
                key: existing.as_ref().and_then(|e| e.key).or(key),
                path_range: existing.and_then(|e| e.path_range).or(Some(FileRange {
                    file,
                    range: path_range,
                })),
            },
        );
    }
}

impl Evaluator<'_> {
    /// The attrset under an entry, to merge more paths into: taken from
    /// its thunk when `insert_path` made it and nobody else holds it (the
    /// entry is about to be replaced), copied otherwise.
    fn take_merge_target(&self, entry: Option<&AttrEntry>) -> Attrs {
        let Some(entry) = entry else {
            return Attrs::default();
        };
        let cell = &entry.value.0;
        // Two holders: the entry and `thunks`.
        if Rc::strong_count(cell) == 2 && self.merge_targets.borrow_mut().remove(&Rc::as_ptr(cell))
        {
            let mut state = cell.state.borrow_mut();
            if matches!(&*state, ThunkState::Done(Value::Attrs(_))) {
                let taken = std::mem::replace(&mut *state, ThunkState::Done(Value::Unknown));
                if let ThunkState::Done(Value::Attrs(attrs)) = taken {
                    return Rc::try_unwrap(attrs).unwrap_or_else(|shared| (*shared).clone());
                }
            }
        }
        match entry.value.peek() {
            Some(Value::Attrs(existing)) => (*existing).clone(),
            _ => Attrs::default(),
        }
    }

    fn merge_target(&self, attrs: Attrs, loc: Option<FileRange>) -> Thunk {
        let thunk = self.value_thunk(Value::Attrs(Rc::new(attrs)), loc);
        self.merge_targets.borrow_mut().insert(Rc::as_ptr(&thunk.0));
        thunk
    }
}
