//! How the evaluator meets the ecosystem without naming it: a [`Prim`] is
//! either one of its own [`Builtin`]s or an opaque [`KnownId`] that a
//! [`Registry`] (filled by `crate::known`) interprets, and an observation
//! sink where primitives leave what they saw for later layers to read.

use std::any::Any;
use std::rc::Rc;

use super::builtins::Builtin;
use super::{Evaluator, Name, PrimApp, Thunk, Value};

/// A primitive function: the evaluator's own, or one a registry provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prim {
    Builtin(Builtin),
    Known(KnownId),
}

/// A registry's primitive, by index; only the registry knows what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownId(pub u16);

impl Prim {
    /// The primitive as a function value with no arguments yet.
    pub fn value(self) -> Value {
        Value::Prim(Rc::new(PrimApp {
            prim: self,
            args: Vec::new(),
            call: None,
        }))
    }
}

/// What the evaluator asks of the world outside the Nix language. Every
/// answer may be `Value::Unknown`: [`Bare`] answers nothing.
pub trait Registry: Sync {
    /// How many arguments `id` takes before it is called.
    fn arity(&self, id: KnownId) -> usize;
    /// Calls `id` with its arguments (`app.args.len() >= arity`).
    fn call(&self, ev: &Evaluator, id: KnownId, app: &PrimApp) -> Value;
    /// The `lib` attrset (`pkgs.lib`, `inputs.nixpkgs.lib`, module `lib`).
    fn lib(&self, ev: &Evaluator) -> Value;
    /// `import inputs.x`: the value of importing a flake input.
    fn import_input(&self, ev: &Evaluator, input: &str) -> Value;
    /// `pkgs.<…path>.name` for names with a meaning beyond "a package";
    /// `None` means the selection stays symbolic.
    fn select_pkgs(&self, ev: &Evaluator, path: &[Name], name: &str) -> Option<Value>;
    /// `inputs.<input>.<name>`.
    fn select_input(&self, ev: &Evaluator, input: &str, name: &str) -> Value;
    /// `inputs.<input> argument`: some flakes are functions
    /// (`inputs.import-tree ./modules`).
    fn apply_input(&self, _ev: &Evaluator, _input: &str, _argument: Thunk) -> Value {
        Value::Unknown
    }
    /// The flake's outputs (`self`).
    fn flake_self(&self, ev: &Evaluator) -> Value;
    /// The flake's `inputs`.
    fn flake_inputs(&self, ev: &Evaluator) -> Value;
}

/// The Nix language alone: no `lib`, no flake, every registry answer unknown.
pub struct Bare;

impl Registry for Bare {
    fn arity(&self, _id: KnownId) -> usize {
        1
    }
    fn call(&self, _ev: &Evaluator, _id: KnownId, _app: &PrimApp) -> Value {
        Value::Unknown
    }
    fn lib(&self, _ev: &Evaluator) -> Value {
        Value::Unknown
    }
    fn import_input(&self, _ev: &Evaluator, _input: &str) -> Value {
        Value::Unknown
    }
    fn select_pkgs(&self, _ev: &Evaluator, _path: &[Name], _name: &str) -> Option<Value> {
        None
    }
    fn select_input(&self, _ev: &Evaluator, _input: &str, _name: &str) -> Value {
        Value::Unknown
    }
    fn flake_self(&self, _ev: &Evaluator) -> Value {
        Value::Unknown
    }
    fn flake_inputs(&self, _ev: &Evaluator) -> Value {
        Value::Unknown
    }
}

/// Observations primitives record while evaluating (e.g. overlay uses), in
/// order, for the layers above to read back by type.
#[derive(Default)]
pub struct Sink {
    items: Vec<Rc<dyn Any>>,
}

impl Sink {
    pub fn push<T: Any>(&mut self, item: T) {
        self.items.push(Rc::new(item));
    }

    /// The `index`-th observation of type `T`.
    pub fn get<T: Any + Clone>(&self, index: usize) -> Option<T> {
        self.items
            .iter()
            .filter_map(|item| item.downcast_ref::<T>())
            .nth(index)
            .cloned()
    }

    pub fn count<T: Any>(&self) -> usize {
        self.items.iter().filter(|item| item.is::<T>()).count()
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }
}
