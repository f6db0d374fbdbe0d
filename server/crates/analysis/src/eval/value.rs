//! Values of the bounded evaluator. `Unknown` is a first-class value: it
//! stands for anything flakelens cannot or will not compute.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use flakelens_db::SourceFile;
use flakelens_syntax::ast;

use crate::FileRange;

pub type Name = Rc<str>;

#[derive(Clone)]
pub enum Value {
    /// Anything that cannot be known statically.
    Unknown,
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    /// A string whose content is not known (an interpolation of unknowns).
    AnyStr,
    /// A workspace path (VFS path); it may not exist.
    Path(Rc<str>),
    List(Rc<Vec<Thunk>>),
    /// A list that holds at least these items, plus unknown others
    /// (`[ ./a.nix ] ++ unknown`). Only consumers that can use "at least"
    /// (module lists, `map`, `filter`, `++`) look inside; everything else
    /// treats it as unknown.
    PartialList(Rc<Vec<Thunk>>),
    Attrs(Rc<Attrs>),
    Lambda(Rc<Closure>),
    Prim(Rc<PrimApp>),
    /// `config.a.b`: the value of an option, known only by its path.
    Config(Rc<[Name]>),
    /// `pkgs.a`: a member of the package set, known only by its path.
    Pkgs(Rc<[Name]>),
    /// A flake input (`inputs.nixpkgs`), by name.
    Input(Name),
    /// A module that comes from outside the workspace (a flake input's
    /// `nixosModules.x`, a `modulesPath` import, …), described for humans.
    ExternalModule(Rc<str>),
    /// A module option type (`types.port`, `types.listOf types.str`, …).
    Type(Rc<TypeValue>),
    /// The result of `nixosSystem`/`darwinSystem`/`homeManagerConfiguration`.
    System(Rc<SystemValue>),
    /// A package made by `callPackage path { }`.
    Package(Rc<PackageValue>),
}

impl Value {
    pub fn str(text: &str) -> Value {
        Value::Str(text.into())
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    pub fn as_attrs(&self) -> Option<&Rc<Attrs>> {
        match self {
            Value::Attrs(attrs) => Some(attrs),
            _ => None,
        }
    }

    /// The value of a `_type` marker attribute, when this is a marked attrset
    /// (`mkOption`, `mkIf`, `mkMerge`, `mkOverride`, `mkOrder` results).
    pub fn type_marker(&self) -> Option<&'static str> {
        let attrs = self.as_attrs()?;
        attrs.marker
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Str(_) | Value::AnyStr => "a string",
            Value::Path(_) => "a path",
            Value::List(_) => "a list",
            Value::Attrs(_) => "an attribute set",
            Value::Lambda(_) | Value::Prim(_) => "a function",
            _ => "an unknown value",
        }
    }
}

/// A lazily evaluated expression, shared and memoised.
#[derive(Clone)]
pub struct Thunk(pub(crate) Rc<ThunkCell>);

pub struct ThunkCell {
    pub(crate) state: RefCell<ThunkState>,
    /// Where the expression is, when it comes from source.
    pub(crate) loc: Option<FileRange>,
}

pub(crate) enum ThunkState {
    Pending {
        expr: ast::Expr,
        env: Env,
        file: SourceFile,
    },
    /// `from.name`, selected lazily (`inherit (from) name;`).
    Select {
        from: Thunk,
        name: Name,
    },
    /// `function argument`, applied lazily.
    Apply {
        function: Thunk,
        argument: Thunk,
    },
    /// The flake's `self`, evaluated only when forced (every module gets
    /// `self`, few use it, and the flake can be big).
    FlakeSelf,
    Forcing,
    Done(Value),
    /// Emptied when the evaluator is dropped, to break reference cycles.
    Cleared,
}

impl Thunk {
    pub fn loc(&self) -> Option<FileRange> {
        self.0.loc
    }

    /// The value if already computed, without forcing.
    pub fn peek(&self) -> Option<Value> {
        match &*self.0.state.borrow() {
            ThunkState::Done(value) => Some(value.clone()),
            _ => None,
        }
    }
}

/// One attribute of an attrset.
#[derive(Clone)]
pub struct AttrEntry {
    pub value: Thunk,
    /// The name's range where it was written.
    pub key: Option<FileRange>,
    /// The whole attribute path of the binding that defined it
    /// (`services.poglets.port` in `services.poglets.port = …;`), for
    /// diagnostics that cover what was written.
    pub path_range: Option<FileRange>,
}

impl AttrEntry {
    pub fn path_range(&self) -> Option<FileRange> {
        self.path_range.or(self.key)
    }
}

#[derive(Clone, Default)]
pub struct Attrs {
    pub entries: BTreeMap<Name, AttrEntry>,
    /// Some keys could not be known (dynamic keys, `//` with an unknown):
    /// a missing name may still be there.
    pub incomplete: bool,
    /// Where the attrset was built (its `{ … }` or the call that made it).
    pub origin: Option<FileRange>,
    /// `_type` marker of module-system values built by known `lib` functions.
    pub marker: Option<&'static str>,
}

impl Attrs {
    pub fn get(&self, name: &str) -> Option<&AttrEntry> {
        self.entries.get(name)
    }

    pub fn insert_value(&mut self, name: &str, value: Value) {
        self.entries.insert(
            name.into(),
            AttrEntry {
                value: Thunk::from_value(value),
                key: None,
                path_range: None,
            },
        );
    }

    pub fn insert_thunk(&mut self, name: &str, value: Thunk) {
        self.entries.insert(
            name.into(),
            AttrEntry {
                value,
                key: None,
                path_range: None,
            },
        );
    }
}

impl Thunk {
    pub fn from_value(value: Value) -> Thunk {
        Thunk(Rc::new(ThunkCell {
            state: RefCell::new(ThunkState::Done(value)),
            loc: None,
        }))
    }

    /// Sets the value of a thunk made earlier (a late-bound `config` that
    /// modules may capture before it is known; they see it once filled).
    pub fn fill(&self, value: Value) {
        *self.0.state.borrow_mut() = ThunkState::Done(value);
    }

    pub fn from_value_at(value: Value, loc: Option<FileRange>) -> Thunk {
        Thunk(Rc::new(ThunkCell {
            state: RefCell::new(ThunkState::Done(value)),
            loc,
        }))
    }
}

/// A lambda with its environment.
pub struct Closure {
    pub lambda: ast::Lambda,
    pub env: Env,
    pub file: SourceFile,
}

/// A lexical environment: a chain of scopes and `with` namespaces.
#[derive(Clone)]
pub struct Env(pub(crate) Rc<EnvNode>);

pub(crate) enum EnvNode {
    Root,
    Scope {
        vars: BTreeMap<Name, Thunk>,
        parent: Env,
    },
    With {
        namespace: Thunk,
        parent: Env,
    },
}

impl Env {
    pub fn root() -> Env {
        Env(Rc::new(EnvNode::Root))
    }

    pub fn scope(&self, vars: BTreeMap<Name, Thunk>) -> Env {
        Env(Rc::new(EnvNode::Scope {
            vars,
            parent: self.clone(),
        }))
    }

    pub fn with(&self, namespace: Thunk) -> Env {
        Env(Rc::new(EnvNode::With {
            namespace,
            parent: self.clone(),
        }))
    }
}

/// A built-in (or `lib`) function with the arguments applied so far.
#[derive(Clone)]
pub struct PrimApp {
    pub prim: super::Prim,
    pub args: Vec<Thunk>,
    /// Where the (last) application happened.
    pub call: Option<FileRange>,
}

/// A module option type as the evaluator sees it.
#[derive(Clone)]
pub enum TypeValue {
    /// A type with no parameters, by its `lib.types` name.
    Named(&'static str),
    Ints {
        name: &'static str,
        min: i64,
        max: i64,
    },
    StrMatching(Rc<str>),
    Enum(Vec<Value>),
    ListOf(Rc<TypeValue>),
    AttrsOf(Rc<TypeValue>),
    NullOr(Rc<TypeValue>),
    Either(Rc<TypeValue>, Rc<TypeValue>),
    OneOf(Vec<Rc<TypeValue>>),
    Submodule(Vec<Thunk>),
    FunctionTo(Rc<TypeValue>),
    /// A type flakelens cannot see into (custom `mkOptionType`, formats, …).
    Opaque,
}

/// What `nixosSystem` and friends were called with.
pub struct SystemValue {
    pub kind: crate::HostKind,
    pub modules: Vec<Thunk>,
    /// Modules could not all be known (an unknown list, `++` of unknowns).
    pub modules_incomplete: bool,
    pub special_args: Option<Thunk>,
    pub call: Option<FileRange>,
    /// `.override`, when built by `makeOverridable`.
    pub overrides: Option<Thunk>,
}

/// A `callPackage path args` result.
pub struct PackageValue {
    pub recipe: Rc<str>,
    pub call: Option<FileRange>,
}
