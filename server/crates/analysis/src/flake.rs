//! The flake itself: `inputs`, `self` (the outputs) and flake-parts.

use std::rc::Rc;

use flakelens_db::{paths, Db, SourceFile};

use crate::eval::{Attrs, Evaluator, Thunk, Value};

/// `flake.nix` at the workspace root, if any.
pub fn flake_file(db: &dyn Db) -> Option<SourceFile> {
    let root = db.workspace().root(db);
    let path = paths::join(root, "flake.nix")?;
    flakelens_db::file_at(db, &path)
}

fn flake_attrs(ev: &Evaluator) -> Option<Rc<Attrs>> {
    let file = flake_file(ev.db)?;
    let thunk = ev.import_thunk(file);
    match ev.force(&thunk) {
        Value::Attrs(attrs) => Some(attrs),
        _ => None,
    }
}

/// `inputs`: every declared input by name, plus `self`.
pub fn eval_flake_inputs(ev: &Evaluator) -> Value {
    let mut inputs = Attrs {
        // Inputs the flake does not declare cannot be used, but a module
        // might be shared with another flake: stay unknown for them.
        incomplete: true,
        ..Attrs::default()
    };
    if let Some(flake) = flake_attrs(ev) {
        if let Some(entry) = flake.get("inputs") {
            if let Value::Attrs(declared) = ev.force(&entry.value) {
                for name in declared.entries.keys() {
                    inputs.insert_value(name, Value::Input(name.clone()));
                }
            }
        }
    }
    for common in [
        "nixpkgs",
        "home-manager",
        "nix-darwin",
        "darwin",
        "flake-utils",
        "flake-parts",
    ] {
        if inputs.get(common).is_none() {
            inputs.insert_value(common, Value::Input(common.into()));
        }
    }
    inputs.insert_thunk("self", ev.flake_self());
    Value::Attrs(Rc::new(inputs))
}

/// The flake's outputs, as `self` sees them, with `outPath` set to the
/// workspace root so that `"${self}/modules/x.nix"` resolves.
pub fn eval_flake_self(ev: &Evaluator) -> Value {
    let root = ev.db.workspace().root(ev.db).clone();
    let mut base = Attrs::default();
    base.insert_value("outPath", Value::Path(root.as_str().into()));
    let base = Value::Attrs(Rc::new(base));
    let Some(flake) = flake_attrs(ev) else {
        return Value::Unknown;
    };
    let Some(outputs) = flake.get("outputs") else {
        return Value::Unknown;
    };
    let function = ev.force(&outputs.value);
    let inputs = ev.value_thunk(ev.flake_inputs(), None);
    let result = ev.apply(&function, inputs.clone(), None);
    match result {
        Value::Attrs(_) => {
            // Nix's `self` also has `outputs` and `inputs`
            // (`inherit (self) outputs;`).
            let mut extra = Attrs::default();
            extra.insert_value("outputs", result.clone());
            extra.insert_thunk("inputs", inputs);
            let with_extra = ev.update(&result, &Value::Attrs(Rc::new(extra)));
            ev.update(&with_extra, &base)
        }
        _ => Value::Unknown,
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
                Value::Prim(Rc::new(crate::eval::PrimApp {
                    prim: crate::eval::prims::Prim::WithSystem,
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
            flake = crate::eval::prims::call(
                ev,
                &crate::eval::PrimApp {
                    prim: crate::eval::prims::Prim::RecursiveUpdate,
                    args: vec![
                        ev.value_thunk(flake.clone(), None),
                        ev.value_thunk(part, None),
                    ],
                    call: None,
                },
            );
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
            let args = ev.value_thunk(Value::Attrs(Rc::new(args)), None);
            value = ev.apply(&value, args, None);
        }
        if let Value::Attrs(attrs) = value {
            if let Some(entry) = attrs.get("packages") {
                if let Value::Attrs(set) = ev.force(&entry.value) {
                    for (name, entry) in &set.entries {
                        packages.entries.insert(name.clone(), entry.clone());
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
