//! A small, bounded, lazy evaluator for the structural part of Nix.
//!
//! It knows literals, lists, attrsets, `let`, `rec`, `with`, `inherit`,
//! operators, `if` on known conditions, string and path interpolation,
//! `import` of workspace files and the builtins and `lib` functions that
//! build structure. Everything else evaluates to [`Value::Unknown`]. It runs
//! on a fuel budget and a depth limit, never does IO (files come from the
//! salsa database) and never runs anything.

pub mod builtins;
mod expr;
pub mod registry;
mod scope;
pub mod value;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use flakelens_db::{Db, SourceFile};
use flakelens_syntax::ast;
use flakelens_syntax::TextRange;
use rowan::ast::AstNode;

pub use registry::{Bare, KnownId, Prim, Registry, Sink};
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
    /// Thunks `insert_path` made for the attrsets it merges paths into
    /// (`a.b = 1; a.c = 2;`). While only the entry and `thunks` hold one,
    /// the next path into it takes its attrset instead of copying it (a
    /// copy per path made big modules quadratic in time and memory).
    pub(crate) merge_targets: RefCell<std::collections::HashSet<*const ThunkCell>>,
    lib: RefCell<Option<Value>>,
    builtins: RefCell<Option<Value>>,
    flake_self: RefCell<Option<Thunk>>,
    /// `specialArgs` of the host whose modules are being evaluated: they
    /// override the generic module arguments.
    pub special_args: RefCell<Option<Rc<Attrs>>>,
    /// What registry primitives observed while evaluating (read back by
    /// type, e.g. overlay uses for the package model).
    observations: RefCell<Sink>,
    registry: &'static dyn Registry,
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
        self.observations.get_mut().clear();
    }
}

impl<'db> Evaluator<'db> {
    /// An evaluator whose non-builtin primitives come from `registry`.
    pub fn new(db: &'db dyn Db, registry: &'static dyn Registry) -> Evaluator<'db> {
        Evaluator::with_fuel(db, DEFAULT_FUEL, registry)
    }

    pub fn with_fuel(
        db: &'db dyn Db,
        fuel: u64,
        registry: &'static dyn Registry,
    ) -> Evaluator<'db> {
        Evaluator {
            db,
            fuel: Cell::new(fuel),
            depth: Cell::new(0),
            exhausted: Cell::new(false),
            imports: RefCell::default(),
            thunks: RefCell::default(),
            merge_targets: RefCell::default(),
            lib: RefCell::default(),
            builtins: RefCell::default(),
            flake_self: RefCell::default(),
            special_args: RefCell::default(),
            observations: RefCell::default(),
            registry,
        }
    }

    /// Records an observation for the layers above.
    pub fn observe<T: std::any::Any>(&self, item: T) {
        self.observations.borrow_mut().push(item);
    }

    /// The `index`-th observation of type `T`, if made yet.
    pub fn observed<T: std::any::Any + Clone>(&self, index: usize) -> Option<T> {
        self.observations.borrow().get(index)
    }

    pub fn observed_count<T: std::any::Any>(&self) -> usize {
        self.observations.borrow().count::<T>()
    }

    /// `import inputs.x`, as the registry sees it.
    pub fn import_input(&self, input: &str) -> Value {
        self.registry.import_input(self, input)
    }

    /// Calls a saturated primitive application.
    pub fn call_prim(&self, app: &PrimApp) -> Value {
        match app.prim {
            Prim::Builtin(builtin) => builtins::call(self, app, builtin),
            Prim::Known(id) => self.registry.call(self, id, app),
        }
    }

    pub(crate) fn arity(&self, prim: Prim) -> usize {
        match prim {
            Prim::Builtin(builtin) => builtin.arity(),
            Prim::Known(id) => self.registry.arity(id),
        }
    }

    /// Whether the budget ran out at some point (results are partial).
    pub fn exhausted(&self) -> bool {
        self.exhausted.get()
    }

    pub(crate) fn spend(&self, amount: u64) -> bool {
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

    pub fn lib(&self) -> Value {
        if let Some(lib) = &*self.lib.borrow() {
            return lib.clone();
        }
        let lib = self.registry.lib(self);
        *self.lib.borrow_mut() = Some(lib.clone());
        lib
    }

    pub fn builtins(&self) -> Value {
        if let Some(builtins) = &*self.builtins.borrow() {
            return builtins.clone();
        }
        let builtins = builtins::make_builtins(self);
        *self.builtins.borrow_mut() = Some(builtins.clone());
        builtins
    }

    /// `import path`: the value of a workspace file, evaluated once.
    pub fn import(&self, path: &str) -> Value {
        let file = flakelens_db::file_at(self.db, path).or_else(|| {
            // A directory means its default.nix.
            // (`./.` at the root is `/`: no doubled slash.)
            let dir = path.trim_end_matches('/');
            flakelens_db::file_at(self.db, &format!("{dir}/default.nix"))
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
                if app.args.len() >= self.arity(app.prim) {
                    self.call_prim(&app)
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

    /// The flake's `self`: its outputs, plus `outPath` = the workspace root.
    pub fn flake_self(&self) -> Thunk {
        if let Some(thunk) = &*self.flake_self.borrow() {
            return thunk.clone();
        }
        // Placeholder first: evaluating outputs refers back to self.
        let placeholder = self.value_thunk(Value::Unknown, None);
        *self.flake_self.borrow_mut() = Some(placeholder.clone());
        let value = self.registry.flake_self(self);
        *placeholder.0.state.borrow_mut() = ThunkState::Done(value);
        placeholder
    }

    /// `inputs` of the flake: `self` and every declared input.
    pub fn flake_inputs(&self) -> Value {
        self.registry.flake_inputs(self)
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

#[cfg(test)]
mod tests;
