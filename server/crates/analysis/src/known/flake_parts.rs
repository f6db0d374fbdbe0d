//! flake-parts: `mkFlake` (the `flake` attributes of the module tree plus
//! `perSystem` packages) and `withSystem`.

use std::rc::Rc;

use super::KnownPrim;
use crate::eval::builtins::attrs;
use crate::eval::{Attrs, Evaluator, Name, PrimApp, Thunk, Value};

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
        KnownPrim::ImportApply => match ev.force(&a[0]) {
            Value::Path(path) => {
                let function = ev.import(&path);
                ev.apply(&function, a[1].clone(), None)
            }
            _ => Value::Unknown,
        },
        #[allow(unreachable_patterns)]
        _ => unreachable!("{prim:?} is dispatched elsewhere"),
    }
}

/// `flake-parts.lib.mkFlake { inherit inputs; } module`: the `flake`
/// attributes of the module tree, plus `perSystem` packages. Modules get a
/// `config` that is the merge of every module's definitions, bound once
/// the tree is walked (what reads it lazily, like a host's module list
/// `with config.flake.modules.nixos; [ … ]`, sees it).
pub fn flake_parts(ev: &Evaluator, _args: &Thunk, module: &Thunk) -> Value {
    let config = ev.value_thunk(Value::Unknown, None);
    let mut definitions_all = Vec::new();
    let mut autowire = false;
    let mut per_system = Vec::new();
    let mut stack = vec![module.clone()];
    let mut visited = 0;
    while let Some(module) = stack.pop() {
        visited += 1;
        if visited > 2000 {
            break;
        }
        let mut value = ev.force(&module);
        if let Value::ExternalModule(description) = &value {
            // nixos-unified's autoWire: hosts from `configurations/`.
            autowire |= description.ends_with(".flakeModules.autoWire");
        }
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
            args.insert_value("flake-parts-lib", ev.lib());
            args.insert_thunk("config", config.clone());
            // den's module argument is its option tree.
            args.insert_thunk("den", ev.select_thunk(config.clone(), "den".into(), None));
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
        if let Some(entry) = attrs.get("imports") {
            if let Value::List(items) | Value::PartialList(items) = ev.force(&entry.value) {
                stack.extend(items.iter().rev().cloned());
            }
        }
        let definitions = if attrs.get("config").is_some() || attrs.get("options").is_some() {
            match attrs.get("config").map(|entry| ev.force(&entry.value)) {
                Some(Value::Attrs(config)) => config,
                _ => continue,
            }
        } else {
            attrs
        };
        if let Some(entry) = definitions.get("perSystem") {
            per_system.push(entry.value.clone());
        }
        definitions_all.push(ev.value_thunk(Value::Attrs(definitions), None));
    }
    let merged = merge_definitions(ev, &definitions_all, 0, &[]);
    config.fill(merged.clone());
    let Value::Attrs(merged) = merged else {
        return Value::Unknown;
    };
    let mut flake = match merged.get("flake").map(|entry| ev.force(&entry.value)) {
        Some(flake @ Value::Attrs(_)) => flake,
        _ => Value::Attrs(Rc::default()),
    };
    if autowire {
        let wired = super::frameworks::layout::autowire(ev, &config);
        flake = ev.call_prim(&PrimApp {
            prim: KnownPrim::RecursiveUpdate.prim(),
            args: vec![
                ev.value_thunk(Value::Attrs(Rc::new(wired)), None),
                ev.value_thunk(flake, None),
            ],
            call: None,
        });
    }
    if let Some(clan) = merged.get("clan").and_then(|e| attrs(ev, &e.value)) {
        flake = clan_outputs(ev, &clan, &flake);
    }
    if let Some(den) = merged.get("den").and_then(|e| attrs(ev, &e.value)) {
        let sets = super::frameworks::den::hosts(ev, &den)
            .into_iter()
            .map(|(output, set)| (output, Value::Attrs(Rc::new(set))))
            .collect();
        flake = with_hosts(ev, &flake, sets);
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
/// Where a module-valued definition sits: several definitions of
/// `flake.modules.<class>.<name>` (or `flake.nixosModules.<name>`, …) are
/// one module importing each.
fn is_module_slot(path: &[Name]) -> bool {
    let names: Vec<&str> = path.iter().map(|n| &**n).collect();
    match names[..] {
        ["flake", "modules", _, _] => true,
        ["flake", outputs, _] => super::tables::MODULE_OUTPUTS.contains(&outputs),
        // den: `den.aspects.<name>.<class>`, `den.default.<class>`
        ["den", "aspects", _, class] | ["den", "default", class] => {
            super::frameworks::den::is_class(class)
        }
        _ => false,
    }
}

/// Merges module definitions in one pass: attrsets key by key (forcing
/// only keys several definitions share), module slots into an `imports`
/// list, anything else the last definition.
fn merge_definitions(ev: &Evaluator, definitions: &[Thunk], depth: usize, path: &[Name]) -> Value {
    if let [only] = definitions {
        return ev.force(only);
    }
    if !path.is_empty() && is_module_slot(path) {
        let mut module = Attrs::default();
        module.insert_value("imports", Value::List(Rc::new(definitions.to_vec())));
        return Value::Attrs(Rc::new(module));
    }
    let values: Vec<Value> = definitions.iter().map(|d| ev.force(d)).collect();
    // List options (`includes`, `imports`-like lists) concatenate.
    if values.iter().all(|v| matches!(v, Value::List(_))) {
        let items = values
            .iter()
            .filter_map(|v| match v {
                Value::List(items) => Some(items.iter().cloned()),
                _ => None,
            })
            .flatten()
            .collect();
        return Value::List(Rc::new(items));
    }
    let all_attrs = values
        .iter()
        .all(|v| matches!(v, Value::Attrs(a) if a.marker.is_none()));
    if !all_attrs || depth > 8 {
        return values.last().cloned().unwrap_or(Value::Unknown);
    }
    let mut keys: std::collections::BTreeMap<Name, Vec<crate::eval::AttrEntry>> =
        std::collections::BTreeMap::new();
    let mut result = Attrs::default();
    for value in &values {
        let Value::Attrs(attrs) = value else { continue };
        result.incomplete |= attrs.incomplete;
        for (name, entry) in &attrs.entries {
            keys.entry(name.clone()).or_default().push(entry.clone());
        }
    }
    for (name, mut entries) in keys {
        // Every key was pushed with at least one entry.
        let Some(last) = entries.pop() else { continue };
        if entries.is_empty() {
            result.entries.insert(name, last);
            continue;
        }
        entries.push(last);
        let last = &entries[entries.len() - 1];
        let mut here = path.to_vec();
        here.push(name.clone());
        let thunks: Vec<Thunk> = entries.iter().map(|e| e.value.clone()).collect();
        let value = merge_definitions(ev, &thunks, depth + 1, &here);
        let entry = crate::eval::AttrEntry {
            value: ev.value_thunk(value, last.value.loc()),
            ..last.clone()
        };
        result.entries.insert(name, entry);
    }
    Value::Attrs(Rc::new(result))
}

/// The clan-core flake-parts module: `clan = { … }` adds the machines to
/// `nixosConfigurations`/`darwinConfigurations` (and `flake.clan`).
fn clan_outputs(ev: &Evaluator, clan: &Attrs, flake: &Value) -> Value {
    let (nixos, darwin) = super::frameworks::clan::machines(ev, clan, None);
    let mut own = Attrs::default();
    own.insert_value("nixosConfigurations", nixos.clone());
    own.insert_value("darwinConfigurations", darwin.clone());
    let mut extra = Attrs::default();
    extra.insert_value("clan", Value::Attrs(Rc::new(own)));
    let flake = ev.update(flake, &Value::Attrs(Rc::new(extra)));
    with_hosts(
        ev,
        &flake,
        vec![
            ("nixosConfigurations", nixos),
            ("darwinConfigurations", darwin),
        ],
    )
}

/// `flake` with the configurations a framework built added to its host
/// outputs; a host the flake defines itself under the same name wins when
/// it is a system.
pub fn with_hosts(ev: &Evaluator, flake: &Value, sets: Vec<(&str, Value)>) -> Value {
    let mut outputs = Attrs::default();
    for (output, built) in sets {
        let Value::Attrs(mut built) = built else {
            continue;
        };
        let existing = flake
            .as_attrs()
            .and_then(|flake| flake.get(output))
            .and_then(|entry| attrs(ev, &entry.value));
        if let Some(existing) = existing {
            let set = Rc::make_mut(&mut built);
            set.incomplete |= existing.incomplete;
            for (name, entry) in &existing.entries {
                if matches!(ev.force(&entry.value), Value::System(_))
                    || !set.entries.contains_key(name)
                {
                    set.entries.insert(name.clone(), entry.clone());
                }
            }
        }
        outputs.insert_value(output, Value::Attrs(built));
    }
    ev.update(flake, &Value::Attrs(Rc::new(outputs)))
}
