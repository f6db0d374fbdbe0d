//! System builders: `nixosSystem`, `darwinSystem`,
//! `homeManagerConfiguration` build a [`SystemValue`] of their modules.

use std::rc::Rc;

use super::KnownPrim;
use crate::eval::builtins::{attrs, list_partial};
use crate::eval::{Evaluator, PrimApp, SystemValue, Thunk, Value};
use crate::{FileRange, HostKind};

fn system(ev: &Evaluator, kind: HostKind, args: &Thunk, call: Option<FileRange>) -> Value {
    let Some(args) = attrs(ev, args) else {
        return Value::Unknown;
    };
    let mut modules = Vec::new();
    let mut modules_incomplete = args.incomplete;
    for key in ["modules", "extraModules"] {
        if let Some(entry) = args.get(key) {
            match list_partial(ev, &entry.value) {
                Some((items, partial)) => {
                    modules.extend(items.iter().cloned());
                    modules_incomplete |= partial;
                }
                None => modules_incomplete = true,
            }
        }
    }
    // home-manager: `configuration = …` in old versions.
    if let Some(entry) = args.get("configuration") {
        modules.push(entry.value.clone());
    }
    let special_args = args
        .get("specialArgs")
        .or_else(|| args.get("extraSpecialArgs"))
        .map(|entry| entry.value.clone());
    Value::System(Rc::new(SystemValue {
        kind,
        modules,
        modules_incomplete,
        special_args,
        call,
        overrides: None,
    }))
}

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, prim: KnownPrim) -> Value {
    let a = &app.args;
    let call = app.call;
    match prim {
        KnownPrim::NixosSystem => system(ev, HostKind::Nixos, &a[0], call),
        KnownPrim::DarwinSystem => system(ev, HostKind::Darwin, &a[0], call),
        KnownPrim::HomeManagerConfiguration => system(ev, HostKind::Home, &a[0], call),
        #[allow(unreachable_patterns)]
        _ => unreachable!("{prim:?} is dispatched elsewhere"),
    }
}
