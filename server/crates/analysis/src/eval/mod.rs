//! A small, bounded, lazy evaluator for the structural part of Nix.
//!
//! It knows literals, lists, attrsets, `let`, `rec`, `with`, `inherit`,
//! operators, `if` on known conditions, string and path interpolation,
//! `import` of workspace files and the builtins and `lib` functions that
//! build structure. Everything else evaluates to [`Value::Unknown`]. It runs
//! on a fuel budget and a depth limit, never does IO (files come from the
//! salsa database) and never runs anything.

pub mod prims;
pub mod value;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use flakelens_db::{paths, Db, SourceFile};
use flakelens_syntax::ast::{self, HasEntry};
use flakelens_syntax::TextRange;
use rowan::ast::AstNode;

pub use value::*;

use crate::FileRange;

/// Evaluation steps one evaluator may take before giving up.
pub const DEFAULT_FUEL: u64 = 2_000_000;

/// Fuel spent between two cancellation checks.
const CANCEL_CHECK_INTERVAL: u64 = 4096;
/// Nested forcing depth before giving up (guards the Rust stack).
pub const MAX_DEPTH: u32 = 400;

pub struct Evaluator<'db> {
    pub db: &'db dyn Db,
    fuel: Cell<u64>,
    depth: Cell<u32>,
    /// Set when fuel or depth ran out: results may be missing things.
    exhausted: Cell<bool>,
    imports: RefCell<HashMap<SourceFile, Thunk>>,
    /// Every thunk made, so that drop can break `Rc` cycles.
    thunks: RefCell<Vec<Thunk>>,
    lib: RefCell<Option<Value>>,
    builtins: RefCell<Option<Value>>,
    flake_self: RefCell<Option<Thunk>>,
    /// `specialArgs` of the host whose modules are being evaluated: they
    /// override the generic module arguments.
    pub special_args: RefCell<Option<Rc<Attrs>>>,
    /// Overlays seen being applied to a package set while evaluating
    /// (`import nixpkgs { overlays = …; }`, `pkgs.extend f`), for the
    /// package engine (`crate::packages`).
    pub overlay_uses: RefCell<Vec<crate::packages::OverlayUse>>,
}

impl Drop for Evaluator<'_> {
    fn drop(&mut self) {
        for thunk in self.thunks.get_mut().drain(..) {
            if let Ok(mut state) = thunk.0.state.try_borrow_mut() {
                *state = ThunkState::Cleared;
            }
        }
        *self.lib.get_mut() = None;
        *self.builtins.get_mut() = None;
        *self.flake_self.get_mut() = None;
        *self.special_args.get_mut() = None;
        self.overlay_uses.get_mut().clear();
    }
}

impl<'db> Evaluator<'db> {
    pub fn new(db: &'db dyn Db) -> Evaluator<'db> {
        Evaluator::with_fuel(db, DEFAULT_FUEL)
    }

    pub fn with_fuel(db: &'db dyn Db, fuel: u64) -> Evaluator<'db> {
        Evaluator {
            db,
            fuel: Cell::new(fuel),
            depth: Cell::new(0),
            exhausted: Cell::new(false),
            imports: RefCell::default(),
            thunks: RefCell::default(),
            lib: RefCell::default(),
            builtins: RefCell::default(),
            flake_self: RefCell::default(),
            special_args: RefCell::default(),
            overlay_uses: RefCell::default(),
        }
    }

    /// Whether the budget ran out at some point (results are partial).
    pub fn exhausted(&self) -> bool {
        self.exhausted.get()
    }

    fn spend(&self, amount: u64) -> bool {
        let fuel = self.fuel.get();
        if fuel < amount {
            self.exhausted.set(true);
            self.fuel.set(0);
            return false;
        }
        self.fuel.set(fuel - amount);
        // A long evaluation notices a pending write or a cancelled request
        // every so often, not only at its next query.
        if fuel / CANCEL_CHECK_INTERVAL != (fuel - amount) / CANCEL_CHECK_INTERVAL {
            self.db.unwind_if_revision_cancelled();
        }
        true
    }

    pub fn thunk(&self, expr: ast::Expr, env: Env, file: SourceFile) -> Thunk {
        // Ranges point inside parentheses: `(-3)` is reported at `-3`.
        let mut located = expr.clone();
        while let ast::Expr::Paren(paren) = &located {
            match paren.expr() {
                Some(inner) => located = inner,
                None => break,
            }
        }
        let loc = Some(FileRange {
            file,
            range: located.syntax().text_range(),
        });
        let thunk = Thunk(Rc::new(ThunkCell {
            state: RefCell::new(ThunkState::Pending { expr, env, file }),
            loc,
        }));
        self.thunks.borrow_mut().push(thunk.clone());
        thunk
    }

    /// A thunk for `from.name`, selected when forced.
    pub fn select_thunk(&self, from: Thunk, name: Name, loc: Option<FileRange>) -> Thunk {
        let thunk = Thunk(Rc::new(ThunkCell {
            state: RefCell::new(ThunkState::Select { from, name }),
            loc,
        }));
        self.thunks.borrow_mut().push(thunk.clone());
        thunk
    }

    /// A thunk for `function argument`, applied when forced.
    pub fn apply_thunk(&self, function: Thunk, argument: Thunk) -> Thunk {
        let thunk = Thunk(Rc::new(ThunkCell {
            state: RefCell::new(ThunkState::Apply { function, argument }),
            loc: None,
        }));
        self.thunks.borrow_mut().push(thunk.clone());
        thunk
    }

    /// A thunk for an already known value, registered for cleanup.
    pub fn value_thunk(&self, value: Value, loc: Option<FileRange>) -> Thunk {
        let thunk = Thunk::from_value_at(value, loc);
        self.thunks.borrow_mut().push(thunk.clone());
        thunk
    }

    /// Forces a thunk to a value (weak head normal form).
    pub fn force(&self, thunk: &Thunk) -> Value {
        let pending = {
            let mut state = thunk.0.state.borrow_mut();
            match &*state {
                ThunkState::Done(value) => return value.clone(),
                // Infinite recursion in the program, or a cycle we do not
                // model: unknown, never an error.
                ThunkState::Forcing | ThunkState::Cleared => return Value::Unknown,
                ThunkState::Pending { .. }
                | ThunkState::Select { .. }
                | ThunkState::Apply { .. } => std::mem::replace(&mut *state, ThunkState::Forcing),
            }
        };
        let value = match pending {
            ThunkState::Pending { expr, env, file } => self.eval(&expr, &env, file),
            ThunkState::Select { from, name } => {
                let from = self.force(&from);
                self.select(&from, &name).unwrap_or(Value::Unknown)
            }
            ThunkState::Apply { function, argument } => {
                let function = self.force(&function);
                self.apply(&function, argument, None)
            }
            _ => Value::Unknown,
        };
        *thunk.0.state.borrow_mut() = ThunkState::Done(value.clone());
        value
    }

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

    fn loc(&self, file: SourceFile, node: &impl AstNode) -> Option<FileRange> {
        Some(FileRange {
            file,
            range: node.syntax().text_range(),
        })
    }

    fn eval_inner(&self, expr: &ast::Expr, env: &Env, file: SourceFile) -> Value {
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

    fn eval_binop(&self, binop: &ast::BinOp, env: &Env, file: SourceFile) -> Value {
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

    fn add(&self, left: Value, right: Value) -> Value {
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

    fn eval_string(&self, string: &ast::Str, env: &Env, file: SourceFile) -> Value {
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

    fn eval_path(&self, expr: &ast::Expr, env: &Env, file: SourceFile) -> Value {
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

    fn eval_select(&self, select: &ast::Select, env: &Env, file: SourceFile) -> Value {
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
                // `pkgs.callPackage`, also of package scopes
                // (`pkgs.python3Packages.callPackage`).
                if name == "callPackage" {
                    return Some(Value::Prim(Rc::new(PrimApp {
                        prim: prims::Prim::CallPackage,
                        args: Vec::new(),
                        call: None,
                    })));
                }
                if path.is_empty() && name == "lib" {
                    return Some(self.lib());
                }
                if path.is_empty() && name == "extend" {
                    // `pkgs.extend overlay` (recorded by the package engine).
                    return Some(Value::Prim(Rc::new(PrimApp {
                        prim: prims::Prim::PkgsExtend,
                        args: Vec::new(),
                        call: None,
                    })));
                }
                let mut path = path.to_vec();
                path.push(name.into());
                Some(Value::Pkgs(path.into()))
            }
            Value::Input(input) => Some(self.select_input(input, name)),
            Value::Type(ty) => Some(prims::select_type(self, ty, name)),
            Value::Package(_) => Some(Value::Unknown),
            _ => Some(Value::Unknown),
        }
    }

    fn select_input(&self, input: &str, name: &str) -> Value {
        match name {
            "lib" => self.lib(),
            "outPath" => Value::Unknown,
            "nixosModule" | "darwinModule" | "homeManagerModule" | "flakeModule" => {
                Value::ExternalModule(format!("inputs.{input}.{name}").into())
            }
            "nixosModules" | "darwinModules" | "homeManagerModules" | "homeModules" | "modules"
            | "flakeModules" => {
                let mut attrs = Attrs {
                    incomplete: true,
                    ..Attrs::default()
                };
                // Any member is an external module.
                attrs.marker = Some("external-modules");
                attrs.insert_value(
                    "_input",
                    Value::Str(format!("inputs.{input}.{name}").into()),
                );
                Value::Attrs(Rc::new(attrs))
            }
            // `nixpkgs.legacyPackages.${system}`: the package set.
            "legacyPackages" if input == "nixpkgs" || input.starts_with("nixpkgs") => {
                let mut systems = Attrs {
                    incomplete: true,
                    ..Attrs::default()
                };
                for system in [
                    "x86_64-linux",
                    "aarch64-linux",
                    "x86_64-darwin",
                    "aarch64-darwin",
                    "i686-linux",
                    "armv7l-linux",
                    "riscv64-linux",
                ] {
                    systems.insert_value(system, Value::Pkgs(Rc::from(Vec::new())));
                }
                Value::Attrs(Rc::new(systems))
            }
            "legacyPackages" => Value::Unknown,
            _ => Value::Unknown,
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
        prims::global(self, name).map(|value| self.value_thunk(value, None))
    }

    pub fn lib(&self) -> Value {
        if let Some(lib) = &*self.lib.borrow() {
            return lib.clone();
        }
        let lib = prims::make_lib(self);
        *self.lib.borrow_mut() = Some(lib.clone());
        lib
    }

    pub fn builtins(&self) -> Value {
        if let Some(builtins) = &*self.builtins.borrow() {
            return builtins.clone();
        }
        let builtins = prims::make_builtins(self);
        *self.builtins.borrow_mut() = Some(builtins.clone());
        builtins
    }

    /// `import path`: the value of a workspace file, evaluated once.
    pub fn import(&self, path: &str) -> Value {
        let file = flakelens_db::file_at(self.db, path).or_else(|| {
            // A directory means its default.nix.
            flakelens_db::file_at(self.db, &format!("{path}/default.nix"))
        });
        match file {
            Some(file) => {
                let thunk = self.import_thunk(file);
                self.force(&thunk)
            }
            None => Value::Unknown,
        }
    }

    /// Every file this evaluator imported (read as Nix).
    pub fn touched_files(&self) -> Vec<SourceFile> {
        self.imports.borrow().keys().copied().collect()
    }

    pub fn import_thunk(&self, file: SourceFile) -> Thunk {
        if let Some(thunk) = self.imports.borrow().get(&file) {
            return thunk.clone();
        }
        let parse = flakelens_db::parse(self.db, file);
        let thunk = match parse.root_expr() {
            Some(expr) => self.thunk(expr, Env::root(), file),
            None => self.value_thunk(Value::Unknown, None),
        };
        self.imports.borrow_mut().insert(file, thunk.clone());
        thunk
    }

    /// Applies a function value to an argument.
    pub fn apply(&self, function: &Value, argument: Thunk, call: Option<FileRange>) -> Value {
        if !self.spend(1) {
            return Value::Unknown;
        }
        match function {
            Value::Lambda(closure) => self.apply_lambda(closure, argument),
            Value::Prim(app) => {
                let mut app = (**app).clone();
                app.args.push(argument);
                app.call = call.or(app.call);
                if app.args.len() >= app.prim.arity() {
                    prims::call(self, &app)
                } else {
                    Value::Prim(Rc::new(app))
                }
            }
            Value::Attrs(attrs) => match attrs.get("__functor") {
                Some(functor) => {
                    let functor = self.force(&functor.value.clone());
                    let this = self.value_thunk(function.clone(), None);
                    let partial = self.apply(&functor, this, call);
                    self.apply(&partial, argument, call)
                }
                None => Value::Unknown,
            },
            _ => Value::Unknown,
        }
    }

    fn apply_lambda(&self, closure: &Closure, argument: Thunk) -> Value {
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

    fn bind_pattern(
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
    fn recursive_scope(
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

    fn lookup_local(&self, env: &Env, name: &str) -> Option<Thunk> {
        match &*env.0 {
            EnvNode::Scope { vars, .. } => vars.get(name).cloned(),
            _ => None,
        }
    }

    /// Builds the attributes of a binding group. Values are evaluated in
    /// `env`; `inherit x;` looks up in `inherit_env`.
    fn build_attrs(
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

    fn add_entries(
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
    fn insert_path(
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
                    let mut nested = match attrs.entries.get(&name).and_then(|e| e.value.peek()) {
                        Some(Value::Attrs(existing)) => (*existing).clone(),
                        _ => Attrs::default(),
                    };
                    nested.origin = nested.origin.or(self.loc(file, set));
                    self.add_entries(&mut nested, set, env, env, file);
                    let existing_key = attrs.entries.get(&name).and_then(|e| e.key);
                    attrs.entries.insert(
                        name,
                        AttrEntry {
                            value: self
                                .value_thunk(Value::Attrs(Rc::new(nested)), self.loc(file, set)),
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
        let mut nested = match attrs.entries.get(&name).and_then(|e| e.value.peek()) {
            Some(Value::Attrs(existing)) => (*existing).clone(),
            _ => Attrs::default(),
        };
        self.insert_path(&mut nested, rest, path_range, value, env, file);
        let existing = attrs.entries.get(&name).cloned();
        attrs.entries.insert(
            name,
            AttrEntry {
                value: self.value_thunk(Value::Attrs(Rc::new(nested)), key),
                key: existing.as_ref().and_then(|e| e.key).or(key),
                path_range: existing.and_then(|e| e.path_range).or(Some(FileRange {
                    file,
                    range: path_range,
                })),
            },
        );
    }

    /// The flake's `self`: its outputs, plus `outPath` = the workspace root.
    pub fn flake_self(&self) -> Thunk {
        if let Some(thunk) = &*self.flake_self.borrow() {
            return thunk.clone();
        }
        // Placeholder first: evaluating outputs refers back to self.
        let placeholder = self.value_thunk(Value::Unknown, None);
        *self.flake_self.borrow_mut() = Some(placeholder.clone());
        let value = crate::flake::eval_flake_self(self);
        *placeholder.0.state.borrow_mut() = ThunkState::Done(value);
        placeholder
    }

    /// `inputs` of the flake: `self` and every declared input.
    pub fn flake_inputs(&self) -> Value {
        crate::flake::eval_flake_inputs(self)
    }
}

/// The text of an identifier node.
pub fn ident_text(ident: &ast::Ident) -> Option<Name> {
    Some(ident.ident_token()?.text().into())
}

/// The range of an expression in its file.
pub fn expr_range(expr: &ast::Expr) -> TextRange {
    expr.syntax().text_range()
}
