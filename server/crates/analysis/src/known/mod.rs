//! The Nix ecosystem as data and primitives: nixpkgs `lib` and `lib.types`,
//! the module system, system builders, flake-utils, flake-parts, nixpkgs
//! package sets and overlays, and the flake schema. Registered into the
//! evaluator through [`Registry`]; `eval` never names this module.
//!
//! A new framework model is a file here: its primitives get a row in
//! `known_prims!`, its functions a row in a table (`nixpkgs_lib.rs`).

pub mod externals;
pub mod flake;
pub mod flake_parts;
pub mod flake_utils;
pub mod frameworks;
pub mod lib_attrs;
pub mod modules;
pub mod nixpkgs;
pub mod nixpkgs_lib;
pub mod systems;
pub mod tables;
pub mod types;
pub mod upstream;

use flakelens_db::Db;

use crate::eval::{Evaluator, KnownId, Name, Prim, PrimApp, Registry, Value, DEFAULT_FUEL};

macro_rules! known_prims {
    ($($name:ident = $arity:expr => $file:ident),* $(,)?) => {
        /// Every primitive this layer registers; the evaluator sees them as
        /// [`KnownId`]s (the discriminant).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u16)]
        pub enum KnownPrim { $($name),* }

        const ALL: &[KnownPrim] = &[$(KnownPrim::$name),*];

        impl KnownPrim {
            pub fn arity(self) -> usize {
                match self { $(KnownPrim::$name => $arity),* }
            }

            fn dispatch(self, ev: &Evaluator, app: &PrimApp) -> Value {
                match self { $(KnownPrim::$name => $file::call(ev, app, self)),* }
            }
        }
    };
}

// name = arity => the file that implements it
known_prims! {
Foldr = 3 => nixpkgs_lib,
MkOption = 1 => modules,
MkEnableOption = 1 => modules,
MkPackageOption = 3 => modules,
MkIf = 2 => modules,
MkMerge = 1 => modules,
MkOverride = 2 => modules,
MkDefault = 1 => modules,
MkForce = 1 => modules,
MkOptionDefault = 1 => modules,
MkBefore = 1 => modules,
MkAfter = 1 => modules,
MkOrder = 2 => modules,
OptionalAttrs = 2 => nixpkgs_lib,
Optionals = 2 => nixpkgs_lib,
Optional = 2 => nixpkgs_lib,
OptionalString = 2 => nixpkgs_lib,
GenAttrs = 2 => nixpkgs_lib,
MapAttrsPrime = 2 => nixpkgs_lib,
MapAttrsToList = 2 => nixpkgs_lib,
NameValuePair = 2 => nixpkgs_lib,
FilterAttrs = 2 => nixpkgs_lib,
Flatten = 1 => nixpkgs_lib,
HasSuffix = 2 => nixpkgs_lib,
HasPrefix = 2 => nixpkgs_lib,
RemoveSuffix = 2 => nixpkgs_lib,
RemovePrefix = 2 => nixpkgs_lib,
RecursiveUpdate = 2 => nixpkgs_lib,
NixosSystem = 1 => systems,
DarwinSystem = 1 => systems,
HomeManagerConfiguration = 1 => systems,
MkRenamedOptionModule = 2 => modules,
MkAliasOptionModule = 2 => modules,
MkRemovedOptionModule = 2 => modules,
MkChangedOptionModule = 3 => modules,
MkMergedOptionModule = 3 => modules,
LiteralExpression = 1 => modules,
LiteralMd = 1 => modules,
MdDoc = 1 => modules,
Id = 1 => nixpkgs_lib,
Const = 2 => nixpkgs_lib,
Flip = 3 => nixpkgs_lib,
Pipe = 2 => nixpkgs_lib,
ListFilesRecursive = 1 => nixpkgs_lib,
PackagesFromDirectoryRecursive = 1 => nixpkgs,
CallPackage = 2 => nixpkgs,
ImportNixpkgs = 1 => nixpkgs,
EachDefaultSystem = 1 => flake_utils,
EachSystem = 2 => flake_utils,
MkFlake = 2 => flake_parts,
WithSystem = 2 => flake_parts,
ImportApply = 2 => flake_parts,
Extend = 2 => nixpkgs_lib,
Fix = 1 => nixpkgs_lib,
ComposeManyExtensions = 1 => nixpkgs,
ComposeExtensions = 2 => nixpkgs,
ListOf = 1 => types,
AttrsOf = 1 => types,
NullOr = 1 => types,
Either = 2 => types,
OneOf = 1 => types,
Enum = 1 => types,
Submodule = 1 => types,
SubmoduleWith = 1 => types,
StrMatching = 1 => types,
SeparatedString = 1 => types,
IntsBetween = 2 => types,
CoercedTo = 3 => types,
FunctionTo = 1 => types,
Uniq = 1 => types,
Unique = 2 => types,
AddCheck = 2 => types,
MkOptionType = 1 => types,
ComposedOverlay = 3 => nixpkgs,
PkgsExtend = 1 => nixpkgs,
ConcatMapAttrs = 2 => nixpkgs_lib,
Range = 2 => nixpkgs_lib,
PathAppend = 2 => nixpkgs_lib,
MapAttrsRecursive = 2 => nixpkgs_lib,
MapAttrsRecursiveCond = 3 => nixpkgs_lib,
LoaOf = 1 => types,
ForEach = 2 => nixpkgs_lib,
Collect = 2 => nixpkgs_lib,
PathIsDirectory = 1 => nixpkgs_lib,
InlineBuild1 = 1 => nixpkgs,
InlineBuild2 = 2 => nixpkgs,
CallPackages = 2 => nixpkgs,
ImportTreeCall = 3 => frameworks,
ImportTreeFilter = 2 => frameworks,
ImportTreeFilterNot = 2 => frameworks,
ImportTreeLeafs = 2 => frameworks,
ImportTreeKeep = 2 => frameworks,
ClanBuild = 1 => frameworks,
SnowfallMkFlake = 1 => frameworks,
HaumeaLoad = 1 => frameworks,
HaumeaLeaf = 2 => frameworks,
FupMkFlake = 1 => frameworks,
FupExportModules = 1 => frameworks,
MergeAttrsList = 1 => lib_attrs,
MergeAttrs = 2 => lib_attrs,
MakeOverridable = 2 => lib_attrs,
OverrideWith = 3 => lib_attrs,
MakeExtensible = 1 => lib_attrs,
ExtendExtensible = 2 => lib_attrs,
Extends = 3 => lib_attrs,
Singleton = 1 => lib_attrs,
SplitString = 2 => lib_attrs,
ConcatStrings = 1 => lib_attrs,
ToLower = 1 => lib_attrs,
ToUpper = 1 => lib_attrs,
}

impl KnownPrim {
    pub const fn prim(self) -> Prim {
        Prim::Known(KnownId(self as u16))
    }

    /// The primitive as a function value with no arguments yet.
    pub fn value(self) -> Value {
        self.prim().value()
    }

    fn from_id(id: KnownId) -> KnownPrim {
        ALL[usize::from(id.0)]
    }
}

/// The registry of everything in this layer.
pub struct Known;

pub static KNOWN: Known = Known;

/// An evaluator that knows the ecosystem (the one every model query uses).
pub fn evaluator(db: &dyn Db) -> Evaluator<'_> {
    Evaluator::with_fuel(db, DEFAULT_FUEL, &KNOWN)
}

/// [`evaluator`] with a custom budget.
pub fn evaluator_with_fuel(db: &dyn Db, fuel: u64) -> Evaluator<'_> {
    Evaluator::with_fuel(db, fuel, &KNOWN)
}

impl Registry for Known {
    fn arity(&self, id: KnownId) -> usize {
        KnownPrim::from_id(id).arity()
    }

    fn call(&self, ev: &Evaluator, id: KnownId, app: &PrimApp) -> Value {
        KnownPrim::from_id(id).dispatch(ev, app)
    }

    fn lib(&self, ev: &Evaluator) -> Value {
        nixpkgs_lib::make_lib(ev)
    }

    fn import_input(&self, ev: &Evaluator, input: &str) -> Value {
        // `import inputs.nixpkgs { … }`: any other input imported is taken
        // as a nixpkgs (the arguments are what matters).
        frameworks::import_input(ev, input).unwrap_or_else(|| KnownPrim::ImportNixpkgs.value())
    }

    fn apply_input(&self, ev: &Evaluator, input: &str, argument: crate::eval::Thunk) -> Value {
        frameworks::apply_input(ev, input, argument)
    }

    fn select_pkgs(&self, ev: &Evaluator, path: &[Name], name: &str) -> Option<Value> {
        nixpkgs::select_pkgs(ev, path, name)
    }

    fn select_input(&self, ev: &Evaluator, input: &str, name: &str) -> Value {
        flake::select_input(ev, input, name)
    }

    fn flake_self(&self, ev: &Evaluator) -> Value {
        flake::eval_flake_self(ev)
    }

    fn flake_inputs(&self, ev: &Evaluator) -> Value {
        flake::eval_flake_inputs(ev)
    }
}

#[cfg(test)]
mod tests;
