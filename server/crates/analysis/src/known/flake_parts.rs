//! flake-parts: `mkFlake` (the `flake` attributes of the module tree plus
//! `perSystem` packages) and `withSystem`.

use std::rc::Rc;

use super::KnownPrim;
use crate::eval::{Attrs, Evaluator, PrimApp, Thunk, Value};

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, prim: KnownPrim) -> Value {
    let a = &app.args;
    match prim {
        KnownPrim::MkFlake => flake_parts(ev, &a[0], &a[1]),
        KnownPrim::WithSystem => {
            // withSystem system ({ pkgs, config, ... }: …)
            let function = ev.force(&a[1]);
            let mut args = Attrs {
                incomplete: true,
                ..Attrs::default()
            };
            args.insert_value("pkgs", Value::Pkgs(Rc::from(Vec::new())));
            args.insert_thunk("system", a[0].clone());
            args.insert_value("inputs", ev.flake_inputs());
            args.insert_thunk("self", ev.flake_self());
            let args = ev.value_thunk(Value::Attrs(Rc::new(args)), None);
            ev.apply(&function, args, None)
        }
        #[allow(unreachable_patterns)]
        _ => unreachable!("{prim:?} is dispatched elsewhere"),
    }
}

/// `flake-parts.lib.mkFlake { inherit inputs; } module`: the `flake`
/// attributes of the module tree, plus `perSystem` packages.
pub fn flake_parts(ev: &Evaluator, _args: &Thunk, module: &Thunk) -> Value {
    let mut flake = Value::Attrs(Rc::default());
    let mut per_system = Vec::new();
    let mut stack = vec![module.clone()];
    let mut visited = 0;
    while let Some(module) = stack.pop() {
        visited += 1;
        if visited > 200 {
            break;
        }
        let mut value = ev.force(&module);
        if let Value::Path(path) = &value {
            value = ev.import(path);
        }
        if let Value::Lambda(_) = value {
            let mut args = Attrs {
                incomplete: true,
                ..Attrs::default()
            };
            args.insert_value("inputs", ev.flake_inputs());
            args.insert_thunk("self", ev.flake_self());
            args.insert_value("lib", ev.lib());
            args.insert_value(
                "withSystem",
                Value::Prim(Rc::new(PrimApp {
                    prim: KnownPrim::WithSystem.prim(),
                    args: Vec::new(),
                    call: None,
                })),
            );
            let args = ev.value_thunk(Value::Attrs(Rc::new(args)), None);
            value = ev.apply(&value, args, None);
        }
        let Value::Attrs(attrs) = value else {
            continue;
        };
        if let Some(entry) = attrs.get("flake") {
            let part = ev.force(&entry.value);
            flake = ev.call_prim(&PrimApp {
                prim: KnownPrim::RecursiveUpdate.prim(),
                args: vec![
                    ev.value_thunk(flake.clone(), None),
                    ev.value_thunk(part, None),
                ],
                call: None,
            });
        }
        if let Some(entry) = attrs.get("perSystem") {
            per_system.push(entry.value.clone());
        }
        if let Some(entry) = attrs.get("imports") {
            if let Value::List(items) = ev.force(&entry.value) {
                stack.extend(items.iter().cloned());
            }
        }
    }
    // perSystem = { pkgs, ... }: { packages.x = …; } → packages.<system>.x
    let mut packages = Attrs::default();
    for function in per_system {
        let mut value = ev.force(&function);
        if let Value::Lambda(_) = value {
            let mut args = Attrs {
                incomplete: true,
                ..Attrs::default()
            };
            args.insert_value("pkgs", Value::Pkgs(Rc::from(Vec::new())));
            args.insert_value("system", Value::str("x86_64-linux"));
            args.insert_value("lib", ev.lib());
            args.insert_value("inputs", ev.flake_inputs());
            args.insert_thunk("self", ev.flake_self());
            args.insert_value("inputs'", per_system_inputs(ev));
            let args = ev.value_thunk(Value::Attrs(Rc::new(args)), None);
            value = ev.apply(&value, args, None);
        }
        if let Value::Attrs(attrs) = value {
            if let Some(entry) = attrs.get("packages") {
                let mut parts = Vec::new();
                super::modules::definition_parts(ev, ev.force(&entry.value), &mut parts, 0);
                for part in parts {
                    if let Value::Attrs(set) = part {
                        for (name, entry) in &set.entries {
                            packages.entries.insert(name.clone(), entry.clone());
                        }
                    }
                }
            }
        }
    }
    if !packages.entries.is_empty() {
        let mut systems = Attrs::default();
        systems.insert_value("x86_64-linux", Value::Attrs(Rc::new(packages)));
        let mut wrapper = Attrs::default();
        wrapper.insert_value("packages", Value::Attrs(Rc::new(systems)));
        flake = ev.update(&Value::Attrs(Rc::new(wrapper)), &flake);
    }
    flake
}

/// perSystem's `inputs'`: each input with its `legacyPackages` as a package
/// set (`inputs'.nixpkgs.legacyPackages.callPackage …`); the rest unknown.
fn per_system_inputs(ev: &Evaluator) -> Value {
    let mut result = Attrs {
        incomplete: true,
        ..Attrs::default()
    };
    if let Value::Attrs(inputs) = ev.flake_inputs() {
        for name in inputs.entries.keys() {
            let mut input = Attrs {
                incomplete: true,
                ..Attrs::default()
            };
            input.insert_value("legacyPackages", Value::Pkgs(Rc::from(Vec::new())));
            result.insert_value(name, Value::Attrs(Rc::new(input)));
        }
    }
    Value::Attrs(Rc::new(result))
}
