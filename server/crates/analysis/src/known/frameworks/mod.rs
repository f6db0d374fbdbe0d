//! Flake frameworks that build hosts or module trees from the repo's files
//! by convention: import-tree, clan-core, haumea, snowfall-lib, … Each
//! file models one framework from its documented conventions; this file
//! routes inputs and primitives to them.

pub mod clan;
pub mod colmena;
pub mod den;
pub mod fup;
pub mod haumea;
pub mod import_tree;
pub mod layout;

use std::rc::Rc;

use super::flake::input_is;
use super::KnownPrim;
use crate::eval::{Attrs, Evaluator, PrimApp, Thunk, Value};

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, prim: KnownPrim) -> Value {
    match prim {
        KnownPrim::ImportTreeCall
        | KnownPrim::ImportTreeFilter
        | KnownPrim::ImportTreeFilterNot
        | KnownPrim::ImportTreeLeafs
        | KnownPrim::ImportTreeKeep => import_tree::call(ev, app, prim),
        KnownPrim::ClanBuild => clan::call(ev, app, prim),
        KnownPrim::SnowfallMkFlake => layout::snowfall(ev, app, prim),
        KnownPrim::HaumeaLoad | KnownPrim::HaumeaLeaf => haumea::call(ev, app, prim),
        KnownPrim::FupMkFlake | KnownPrim::FupExportModules => fup::call(ev, app, prim),
        #[allow(unreachable_patterns)]
        _ => unreachable!("{prim:?} is dispatched elsewhere"),
    }
}

/// `inputs.<input>.lib` of a framework flake (None: nixpkgs' `lib`).
pub fn input_lib(ev: &Evaluator, input: &str) -> Option<Value> {
    if input.starts_with("nixpkgs") {
        return None;
    }
    if input_is(ev, input, "clan-core") {
        let mut lib = Attrs {
            incomplete: true,
            ..Attrs::default()
        };
        // `buildClan` is the older name of `clan`.
        lib.insert_value("clan", KnownPrim::ClanBuild.value());
        lib.insert_value("buildClan", KnownPrim::ClanBuild.value());
        return Some(Value::Attrs(Rc::new(lib)));
    }
    if input_is(ev, input, "flake-utils-plus") {
        return Some(fup::lib());
    }
    if input_is(ev, input, "haumea") {
        return Some(haumea::lib());
    }
    if input_is(ev, input, "colmena") {
        // `makeHive hive` is read back as the hive itself.
        let mut lib = Attrs {
            incomplete: true,
            ..Attrs::default()
        };
        lib.insert_value("makeHive", KnownPrim::Id.value());
        return Some(Value::Attrs(Rc::new(lib)));
    }
    None
}

/// `inputs.<input>.<name>` that a framework defines (None: the generic
/// answer).
pub fn select_input(ev: &Evaluator, input: &str, name: &str) -> Option<Value> {
    if name == "mkFlake" && input_is(ev, input, "snowfall-lib") {
        return Some(KnownPrim::SnowfallMkFlake.value());
    }
    None
}

/// `inputs.<input> argument`.
pub fn apply_input(ev: &Evaluator, input: &str, argument: Thunk) -> Value {
    if input_is(ev, input, "blueprint") {
        return layout::blueprint(ev, &argument);
    }
    if input_is(ev, input, "import-tree") {
        let api = import_tree::api(ev, Vec::new());
        return ev.apply(&api, argument, None);
    }
    Value::Unknown
}

/// `import inputs.<input>` of a framework flake.
pub fn import_input(ev: &Evaluator, input: &str) -> Option<Value> {
    if input_is(ev, input, "import-tree") {
        return Some(import_tree::api(ev, Vec::new()));
    }
    None
}
