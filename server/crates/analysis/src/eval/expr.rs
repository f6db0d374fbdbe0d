//! Evaluating expressions: literals, operators, strings, paths, selection
//! and name lookup through lexical scopes and `with` namespaces.

use std::rc::Rc;

use flakelens_db::{paths, SourceFile};
use flakelens_syntax::ast;
use rowan::ast::AstNode;

use super::*;
use crate::FileRange;

impl<'db> Evaluator<'db> {
    /// Evaluates an expression to weak head normal form.
    pub fn eval(&self, expr: &ast::Expr, env: &Env, file: SourceFile) -> Value {
        if !self.spend(1) {
            return Value::Unknown;
        }
        let depth = self.depth.get();
        if depth >= MAX_DEPTH {
            self.exhausted.set(true);
            return Value::Unknown;
        }
        self.depth.set(depth + 1);
        let value = self.eval_inner(expr, env, file);
        self.depth.set(depth);
        value
    }

    pub(crate) fn loc(&self, file: SourceFile, node: &impl AstNode) -> Option<FileRange> {
        Some(FileRange {
            file,
            range: node.syntax().text_range(),
        })
    }

    pub(crate) fn eval_inner(&self, expr: &ast::Expr, env: &Env, file: SourceFile) -> Value {
        match expr {
            ast::Expr::Literal(literal) => match literal.kind() {
                ast::LiteralKind::Integer(int) => {
                    int.value().map(Value::Int).unwrap_or(Value::Unknown)
                }
                ast::LiteralKind::Float(float) => {
                    float.value().map(Value::Float).unwrap_or(Value::Unknown)
                }
                ast::LiteralKind::Uri(_) => Value::str(&literal.syntax().text().to_string()),
            },
            ast::Expr::Str(string) => self.eval_string(string, env, file),
            ast::Expr::PathAbs(_) | ast::Expr::PathRel(_) => self.eval_path(expr, env, file),
            ast::Expr::PathHome(_) | ast::Expr::PathSearch(_) => Value::Unknown,
            ast::Expr::Ident(ident) => {
                let Some(name) = ident_text(ident) else {
                    return Value::Unknown;
                };
                match self.lookup(env, &name) {
                    Some(thunk) => self.force(&thunk),
                    None => Value::Unknown,
                }
            }
            ast::Expr::Paren(paren) => match paren.expr() {
                Some(inner) => self.eval(&inner, env, file),
                None => Value::Unknown,
            },
            ast::Expr::Root(root) => match root.expr() {
                Some(inner) => self.eval(&inner, env, file),
                None => Value::Unknown,
            },
            ast::Expr::List(list) => {
                let items = list
                    .items()
                    .map(|item| self.thunk(item, env.clone(), file))
                    .collect();
                Value::List(Rc::new(items))
            }
            ast::Expr::AttrSet(set) => {
                let origin = self.loc(file, set);
                if set.rec_token().is_some() {
                    // The scope's thunks must see the finished scope: build
                    // the bindings into a cell the scope reads lazily.
                    let (_, attrs) = self.recursive_scope(set, env, file);
                    let mut attrs = (*attrs).clone();
                    attrs.origin = origin;
                    Value::Attrs(Rc::new(attrs))
                } else {
                    let mut attrs = self.build_attrs(set, env, env, file);
                    attrs.origin = origin;
                    Value::Attrs(Rc::new(attrs))
                }
            }
            ast::Expr::LetIn(let_in) => {
                let (scope, _) = self.recursive_scope(let_in, env, file);
                match let_in.body() {
                    Some(body) => self.eval(&body, &scope, file),
                    None => Value::Unknown,
                }
            }
            ast::Expr::With(with) => {
                let Some(namespace) = with.namespace() else {
                    return Value::Unknown;
                };
                let namespace = self.thunk(namespace, env.clone(), file);
                match with.body() {
                    Some(body) => self.eval(&body, &env.with(namespace), file),
                    None => Value::Unknown,
                }
            }
            ast::Expr::Lambda(lambda) => Value::Lambda(Rc::new(Closure {
                lambda: lambda.clone(),
                env: env.clone(),
                file,
            })),
            ast::Expr::Apply(apply) => {
                let (Some(function), Some(argument)) = (apply.lambda(), apply.argument()) else {
                    return Value::Unknown;
                };
                let function = self.eval(&function, env, file);
                let argument = self.thunk(argument, env.clone(), file);
                self.apply(&function, argument, self.loc(file, apply))
            }
            ast::Expr::Select(select) => self.eval_select(select, env, file),
            ast::Expr::HasAttr(has) => {
                let Some(base) = has.expr() else {
                    return Value::Unknown;
                };
                let mut current = self.eval(&base, env, file);
                let Some(path) = has.attrpath() else {
                    return Value::Unknown;
                };
                for attr in path.attrs() {
                    let Some(name) = self.attr_name(&attr, env, file) else {
                        return Value::Unknown;
                    };
                    match &current {
                        Value::Attrs(attrs) => match attrs.get(&name) {
                            Some(entry) => current = self.force(&entry.value.clone()),
                            None if attrs.incomplete => return Value::Unknown,
                            None => return Value::Bool(false),
                        },
                        Value::Unknown | Value::Config(_) | Value::Pkgs(_) | Value::Input(_) => {
                            return Value::Unknown
                        }
                        _ => return Value::Bool(false),
                    }
                }
                Value::Bool(true)
            }
            ast::Expr::IfElse(if_else) => {
                let condition = match if_else.condition() {
                    Some(condition) => self.eval(&condition, env, file),
                    None => return Value::Unknown,
                };
                match condition {
                    Value::Bool(true) => if_else
                        .body()
                        .map_or(Value::Unknown, |body| self.eval(&body, env, file)),
                    Value::Bool(false) => if_else
                        .else_body()
                        .map_or(Value::Unknown, |body| self.eval(&body, env, file)),
                    _ => Value::Unknown,
                }
            }
            ast::Expr::Assert(assert) => assert
                .body()
                .map_or(Value::Unknown, |body| self.eval(&body, env, file)),
            ast::Expr::UnaryOp(unary) => {
                let Some(operand) = unary.expr() else {
                    return Value::Unknown;
                };
                let operand = self.eval(&operand, env, file);
                match (unary.operator(), operand) {
                    (Some(ast::UnaryOpKind::Invert), Value::Bool(b)) => Value::Bool(!b),
                    (Some(ast::UnaryOpKind::Negate), Value::Int(i)) => {
                        i.checked_neg().map_or(Value::Unknown, Value::Int)
                    }
                    (Some(ast::UnaryOpKind::Negate), Value::Float(f)) => Value::Float(-f),
                    _ => Value::Unknown,
                }
            }
            ast::Expr::BinOp(binop) => self.eval_binop(binop, env, file),
            ast::Expr::LegacyLet(_) | ast::Expr::CurPos(_) | ast::Expr::Error(_) => Value::Unknown,
        }
    }

    pub(crate) fn eval_binop(&self, binop: &ast::BinOp, env: &Env, file: SourceFile) -> Value {
        use ast::BinOpKind as Op;
        let (Some(lhs), Some(rhs), Some(op)) = (binop.lhs(), binop.rhs(), binop.operator()) else {
            return Value::Unknown;
        };
        match op {
            Op::And | Op::Or | Op::Implication => {
                let left = self.eval(&lhs, env, file);
                match (op, &left) {
                    (Op::And, Value::Bool(false)) => return Value::Bool(false),
                    (Op::Or, Value::Bool(true)) => return Value::Bool(true),
                    (Op::Implication, Value::Bool(false)) => return Value::Bool(true),
                    _ => {}
                }
                let right = self.eval(&rhs, env, file);
                match (op, left, right) {
                    (Op::And, Value::Bool(true), Value::Bool(b)) => Value::Bool(b),
                    (Op::Or, Value::Bool(false), Value::Bool(b)) => Value::Bool(b),
                    (Op::Implication, Value::Bool(true), Value::Bool(b)) => Value::Bool(b),
                    (Op::And, _, Value::Bool(false)) => Value::Bool(false),
                    (Op::Or, _, Value::Bool(true)) => Value::Bool(true),
                    _ => Value::Unknown,
                }
            }
            Op::Update => {
                let left = self.eval(&lhs, env, file);
                let right = self.eval(&rhs, env, file);
                self.update(&left, &right)
            }
            Op::Concat => {
                let left = self.eval(&lhs, env, file);
                let right = self.eval(&rhs, env, file);
                match (left, right) {
                    (Value::List(a), Value::List(b)) => {
                        Value::List(Rc::new(a.iter().chain(b.iter()).cloned().collect()))
                    }
                    _ => Value::Unknown,
                }
            }
            Op::Add => {
                let left = self.eval(&lhs, env, file);
                let right = self.eval(&rhs, env, file);
                self.add(left, right)
            }
            Op::Sub | Op::Mul | Op::Div => {
                let left = self.eval(&lhs, env, file);
                let right = self.eval(&rhs, env, file);
                match (left, right) {
                    (Value::Int(a), Value::Int(b)) => match op {
                        Op::Sub => a.checked_sub(b),
                        Op::Mul => a.checked_mul(b),
                        _ => a.checked_div(b),
                    }
                    .map_or(Value::Unknown, Value::Int),
                    _ => Value::Unknown,
                }
            }
            Op::Equal | Op::NotEqual => {
                let left = self.eval(&lhs, env, file);
                let right = self.eval(&rhs, env, file);
                match self.equal(&left, &right) {
                    Some(equal) => Value::Bool(equal == (op == Op::Equal)),
                    None => Value::Unknown,
                }
            }
            Op::Less | Op::LessOrEq | Op::More | Op::MoreOrEq => {
                let left = self.eval(&lhs, env, file);
                let right = self.eval(&rhs, env, file);
                let ordering = match (&left, &right) {
                    (Value::Int(a), Value::Int(b)) => a.cmp(b),
                    (Value::Str(a), Value::Str(b)) => a.cmp(b),
                    _ => return Value::Unknown,
                };
                Value::Bool(match op {
                    Op::Less => ordering.is_lt(),
                    Op::LessOrEq => ordering.is_le(),
                    Op::More => ordering.is_gt(),
                    _ => ordering.is_ge(),
                })
            }
            _ => Value::Unknown,
        }
    }

    /// `left // right`.
    pub fn update(&self, left: &Value, right: &Value) -> Value {
        match (left, right) {
            (Value::Attrs(a), Value::Attrs(b)) => {
                let mut merged = (**a).clone();
                for (name, entry) in &b.entries {
                    merged.entries.insert(name.clone(), entry.clone());
                }
                merged.incomplete |= b.incomplete;
                Value::Attrs(Rc::new(merged))
            }
            // Keys from the known side survive only if the unknown side
            // does not override them, which cannot be known: keep them but
            // mark the result incomplete. Option declarations (`mkOption {…}
            // // unknown`) thereby stay visible as options.
            (Value::Attrs(a), Value::Unknown) | (Value::Unknown, Value::Attrs(a)) => {
                let mut merged = (**a).clone();
                merged.incomplete = true;
                if matches!(left, Value::Unknown) {
                    merged.marker = None;
                }
                Value::Attrs(Rc::new(merged))
            }
            _ => Value::Unknown,
        }
    }

    pub(crate) fn add(&self, left: Value, right: Value) -> Value {
        match (left, right) {
            (Value::Int(a), Value::Int(b)) => a.checked_add(b).map_or(Value::Unknown, Value::Int),
            (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => {
                Value::Float(a as f64 + b)
            }
            (Value::Str(a), Value::Str(b)) => Value::Str(format!("{a}{b}").into()),
            // `modulesPath + "/installer/…"` stays outside the workspace.
            (Value::ExternalModule(description), _) => Value::ExternalModule(description),
            (Value::Str(_) | Value::AnyStr, _) => Value::AnyStr,
            (Value::Path(a), Value::Str(b)) => {
                // `./modules + "/x.nix"`.
                match paths::join("/", &format!("{a}{b}")) {
                    Some(joined) => Value::Path(joined.into()),
                    None => Value::Unknown,
                }
            }
            (Value::Path(a), Value::Path(b)) => match paths::join("/", &format!("{a}{b}")) {
                Some(joined) => Value::Path(joined.into()),
                None => Value::Unknown,
            },
            _ => Value::Unknown,
        }
    }

    /// Structural equality where it can be known.
    pub fn equal(&self, left: &Value, right: &Value) -> Option<bool> {
        self.equal_at(left, right, 0)
    }

    fn equal_at(&self, left: &Value, right: &Value, depth: u32) -> Option<bool> {
        // A list or a complete attrset is as definite as a scalar.
        let definite = |value: &Value| match value {
            Value::Null
            | Value::Bool(_)
            | Value::Int(_)
            | Value::Float(_)
            | Value::Str(_)
            | Value::List(_) => true,
            Value::Attrs(attrs) => !attrs.incomplete && attrs.marker.is_none(),
            _ => false,
        };
        match (left, right) {
            (Value::List(a), Value::List(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                if depth > 16 {
                    return None;
                }
                let mut result = Some(true);
                for (x, y) in a.iter().zip(b.iter()) {
                    match self.equal_at(&self.force(x), &self.force(y), depth + 1) {
                        Some(true) => {}
                        Some(false) => return Some(false),
                        None => result = None,
                    }
                }
                return result;
            }
            (Value::List(_), Value::Null) | (Value::Null, Value::List(_)) => return Some(false),
            (Value::Attrs(a), Value::Attrs(b)) if definite(left) && definite(right) => {
                if a.entries.len() != b.entries.len()
                    || a.entries.keys().zip(b.entries.keys()).any(|(x, y)| x != y)
                {
                    return Some(false);
                }
                if depth > 16 {
                    return None;
                }
                let mut result = Some(true);
                for (x, y) in a.entries.values().zip(b.entries.values()) {
                    let (x, y) = (self.force(&x.value), self.force(&y.value));
                    match self.equal_at(&x, &y, depth + 1) {
                        Some(true) => {}
                        Some(false) => return Some(false),
                        None => result = None,
                    }
                }
                return result;
            }
            (Value::Attrs(_) | Value::List(_), _) | (_, Value::Attrs(_) | Value::List(_))
                if definite(left)
                    && definite(right)
                    && std::mem::discriminant(left) != std::mem::discriminant(right) =>
            {
                return Some(false)
            }
            _ => {}
        }
        match (left, right) {
            (Value::Null, Value::Null) => Some(true),
            (Value::Bool(a), Value::Bool(b)) => Some(a == b),
            (Value::Int(a), Value::Int(b)) => Some(a == b),
            (Value::Float(a), Value::Float(b)) => Some(a == b),
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => {
                Some(*a as f64 == *b)
            }
            (Value::Str(a), Value::Str(b)) => Some(a == b),
            (Value::Path(a), Value::Path(b)) => Some(a == b),
            (
                Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_),
                Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_),
            ) => Some(false),
            _ => None,
        }
    }

    pub(crate) fn eval_string(&self, string: &ast::Str, env: &Env, file: SourceFile) -> Value {
        let mut text = String::new();
        let mut known = true;
        let Some(parts) = flakelens_syntax::string_parts(string) else {
            return Value::AnyStr;
        };
        for part in parts {
            match part {
                ast::InterpolPart::Literal(literal) => text.push_str(&literal),
                ast::InterpolPart::Interpolation(interpolation) => {
                    let value = match interpolation.expr() {
                        Some(expr) => self.eval(&expr, env, file),
                        None => Value::Unknown,
                    };
                    if let Value::ExternalModule(description) = value {
                        // "${modulesPath}/profiles/…", "${inputs.x}/module.nix"
                        return Value::ExternalModule(description);
                    }
                    match self.coerce_to_string(&value) {
                        Some(part) => text.push_str(&part),
                        None => known = false,
                    }
                }
            }
        }
        if known {
            Value::Str(text.into())
        } else {
            Value::AnyStr
        }
    }

    /// String interpolation of a value, when known. Paths become their VFS
    /// path (where Nix would copy them to the store).
    pub fn coerce_to_string(&self, value: &Value) -> Option<String> {
        match value {
            Value::Str(s) => Some(s.to_string()),
            Value::Path(p) => Some(p.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Attrs(attrs) => {
                let out_path = attrs.get("outPath")?.value.clone();
                let out_path = self.force(&out_path);
                self.coerce_to_string(&out_path)
            }
            _ => None,
        }
    }

    pub(crate) fn eval_path(&self, expr: &ast::Expr, env: &Env, file: SourceFile) -> Value {
        let parts = match expr {
            ast::Expr::PathAbs(_) | ast::Expr::PathRel(_) => {
                match flakelens_syntax::path_parts(expr) {
                    Some(parts) => parts,
                    None => return Value::Unknown,
                }
            }
            _ => return Value::Unknown,
        };
        let mut text = String::new();
        for part in parts {
            match part {
                ast::InterpolPart::Literal(literal) => text.push_str(literal.text()),
                ast::InterpolPart::Interpolation(interpolation) => {
                    let value = match interpolation.expr() {
                        Some(expr) => self.eval(&expr, env, file),
                        None => Value::Unknown,
                    };
                    match value {
                        Value::Str(s) => text.push_str(&s),
                        Value::Int(i) => text.push_str(&i.to_string()),
                        _ => return Value::Unknown,
                    }
                }
            }
        }
        let base = paths::parent(file.path(self.db));
        match paths::join(base, &text) {
            Some(path) => Value::Path(path.into()),
            None => Value::Unknown,
        }
    }

    /// The text of an attribute name, evaluating `${…}` and `"…"` names.
    pub fn attr_name(&self, attr: &ast::Attr, env: &Env, file: SourceFile) -> Option<Name> {
        match attr {
            ast::Attr::Ident(ident) => ident_text(ident),
            ast::Attr::Str(string) => match self.eval_string(string, env, file) {
                Value::Str(s) => Some(s),
                _ => None,
            },
            ast::Attr::Dynamic(dynamic) => {
                let value = self.eval(&dynamic.expr()?, env, file);
                match value {
                    Value::Str(s) => Some(s),
                    _ => None,
                }
            }
        }
    }

    pub(crate) fn eval_select(&self, select: &ast::Select, env: &Env, file: SourceFile) -> Value {
        let Some(base) = select.expr() else {
            return Value::Unknown;
        };
        let Some(path) = select.attrpath() else {
            return Value::Unknown;
        };
        let mut current = self.eval(&base, env, file);
        for attr in path.attrs() {
            let Some(name) = self.attr_name(&attr, env, file) else {
                return Value::Unknown;
            };
            match self.select(&current, &name) {
                Some(next) => current = next,
                None => {
                    return match select.default_expr() {
                        Some(default) => self.eval(&default, env, file),
                        None => Value::Unknown,
                    };
                }
            }
        }
        current
    }

    /// `value.name`. `None` when the attribute is certainly missing (so an
    /// `or` default applies); `Some(Unknown)` when it cannot be known.
    pub fn select(&self, value: &Value, name: &str) -> Option<Value> {
        match value {
            Value::Attrs(attrs) if attrs.marker == Some("external-modules") => {
                // `inputs.foo.nixosModules.bar`: a module from outside.
                let input = match attrs.get("_input").and_then(|e| e.value.peek()) {
                    Some(Value::Str(input)) => input,
                    _ => "?".into(),
                };
                Some(Value::ExternalModule(format!("{input}.{name}").into()))
            }
            Value::Attrs(attrs) => match attrs.get(name) {
                Some(entry) => Some(self.force(&entry.value.clone())),
                None if attrs.incomplete => Some(Value::Unknown),
                None => None,
            },
            Value::Config(path) => {
                let mut path = path.to_vec();
                path.push(name.into());
                Some(Value::Config(path.into()))
            }
            Value::Pkgs(path) => {
                if let Some(value) = self.registry.select_pkgs(self, path, name) {
                    return Some(value);
                }
                let mut path = path.to_vec();
                path.push(name.into());
                Some(Value::Pkgs(path.into()))
            }
            Value::Input(input) => Some(self.registry.select_input(self, input, name)),
            // Types are opaque records apart from their name.
            Value::Type(ty) => Some(match (&**ty, name) {
                (TypeValue::Named(type_name), "name") => Value::str(type_name),
                _ => Value::Unknown,
            }),
            Value::Package(_) => Some(Value::Unknown),
            _ => Some(Value::Unknown),
        }
    }

    /// Looks a name up: lexical scopes first, then `with` namespaces from
    /// the innermost out, then the global builtins.
    pub fn lookup(&self, env: &Env, name: &str) -> Option<Thunk> {
        let mut withs = Vec::new();
        let mut current = env.clone();
        loop {
            let next = match &*current.0 {
                EnvNode::Root => break,
                EnvNode::Scope { vars, parent } => {
                    if let Some(thunk) = vars.get(name) {
                        return Some(thunk.clone());
                    }
                    parent.clone()
                }
                EnvNode::With { namespace, parent } => {
                    withs.push(namespace.clone());
                    parent.clone()
                }
            };
            current = next;
        }
        for namespace in withs {
            match self.force(&namespace) {
                Value::Attrs(attrs) => {
                    if let Some(entry) = attrs.get(name) {
                        return Some(entry.value.clone());
                    }
                    // An incomplete namespace (`with lib.types;`) might hold
                    // the name, but an outer one that certainly holds it is
                    // the far likelier meaning: keep looking.
                }
                Value::Config(_) | Value::Pkgs(_) => {
                    let value = self.select(&self.force(&namespace), name)?;
                    return Some(self.value_thunk(value, None));
                }
                _ => return None,
            }
        }
        builtins::global(self, name).map(|value| self.value_thunk(value, None))
    }
}
