//! Hosts built from directory conventions: snowfall-lib `mkFlake`
//! (`systems/<system>/<host>`, `homes/<system>/<user@host>`,
//! `modules/{nixos,darwin,home}`), numtide blueprint
//! (`hosts/<n>/configuration.nix`) and nixos-unified `autoWire`
//! (`configurations/{nixos,darwin,home}/<n>`). Each framework adds modules
//! and arguments of its own that are not modelled, so module lists are
//! marked incomplete: closures are partial, never wrong.

use std::rc::Rc;

use flakelens_db::paths;

use super::KnownPrim;
use crate::eval::builtins::{attrs, string};
use crate::eval::{Attrs, Evaluator, PrimApp, SystemValue, Thunk, Value};
use crate::HostKind;

fn system(kind: HostKind, modules: Vec<Thunk>, special_args: Option<Thunk>) -> Value {
    Value::System(Rc::new(SystemValue {
        kind,
        modules,
        modules_incomplete: true,
        special_args,
        call: None,
        overrides: None,
    }))
}

/// A host whose module list is exactly `modules` (the framework injects
/// none that could declare options beyond those listed).
fn exact_system(kind: HostKind, modules: Vec<Thunk>, special_args: Option<Thunk>) -> Value {
    Value::System(Rc::new(SystemValue {
        kind,
        modules,
        modules_incomplete: false,
        special_args,
        call: None,
        overrides: None,
    }))
}

fn path(p: &str) -> Thunk {
    Thunk::from_value(Value::Path(p.into()))
}

fn dirs(ev: &Evaluator, dir: &str) -> Vec<String> {
    flakelens_db::read_dir(ev.db, dir)
        .into_iter()
        .filter(|(_, is_dir)| *is_dir)
        .map(|(name, _)| name)
        .collect()
}

fn join(base: &str, relative: &str) -> String {
    paths::join(base, relative).unwrap_or_default()
}

fn exists(ev: &Evaluator, p: &str) -> bool {
    flakelens_db::file_at(ev.db, p).is_some()
}

/// Every `default.nix` below `dir` (snowfall's module discovery).
fn default_files(ev: &Evaluator, dir: &str, out: &mut Vec<Thunk>) {
    for (name, is_dir) in flakelens_db::read_dir(ev.db, dir) {
        let Some(p) = paths::join(dir, &name) else {
            continue;
        };
        if is_dir {
            default_files(ev, &p, out);
        } else if name == "default.nix" {
            out.push(path(&p));
        }
    }
}

fn outputs(sets: Vec<(HostKind, Attrs)>) -> Attrs {
    let mut out = Attrs {
        incomplete: true,
        ..Attrs::default()
    };
    for (kind, set) in sets {
        if !set.entries.is_empty() {
            out.insert_value(kind.output_name(), Value::Attrs(Rc::new(set)));
        }
    }
    out
}

fn src_dir(ev: &Evaluator, args: &Attrs, key: &str) -> String {
    match args.get(key).map(|entry| ev.force(&entry.value)) {
        Some(Value::Path(p)) => p.to_string(),
        _ => ev.db.workspace().root(ev.db).to_string(),
    }
}

/// `snowfall-lib.mkFlake { inherit inputs; src = ./.; … }`.
pub(crate) fn snowfall(ev: &Evaluator, app: &PrimApp, _prim: KnownPrim) -> Value {
    let Some(args) = attrs(ev, &app.args[0]) else {
        return Value::Unknown;
    };
    let src = src_dir(ev, &args, "src");
    let namespace = args
        .get("snowfall")
        .and_then(|s| attrs(ev, &s.value))
        .and_then(|s| s.get("namespace").and_then(|n| string(ev, &n.value)))
        .unwrap_or_else(|| "internal".into());
    // systems.modules.nixos / .darwin, homes.modules: added to every host
    let extra = |outer: &str, class: &str| -> Vec<Thunk> {
        let set = args.get(outer).and_then(|s| attrs(ev, &s.value));
        let modules = set.and_then(|s| s.get("modules").and_then(|m| attrs(ev, &m.value)));
        let list = modules.and_then(|m| m.get(class).map(|l| ev.force(&l.value)));
        match list {
            Some(Value::List(items)) => items.to_vec(),
            _ => Vec::new(),
        }
    };
    let class_modules = |class: &str| {
        let mut out = Vec::new();
        if let Some(dir) = paths::join(&src, &format!("modules/{class}")) {
            default_files(ev, &dir, &mut out);
        }
        out
    };
    let special = |system: &str, host: &str| {
        let mut special = Attrs {
            incomplete: true,
            ..Attrs::default()
        };
        special.insert_value("namespace", Value::Str(namespace.clone()));
        special.insert_value("system", Value::str(system));
        special.insert_value("host", Value::str(host));
        special.insert_value("inputs", ev.flake_inputs());
        Some(ev.value_thunk(Value::Attrs(Rc::new(special)), None))
    };
    let (mut nixos, mut darwin, mut home) = (Attrs::default(), Attrs::default(), Attrs::default());
    for (top, is_home) in [("systems", false), ("homes", true)] {
        let Some(top_dir) = paths::join(&src, top) else {
            continue;
        };
        for arch in dirs(ev, &top_dir) {
            let kind = match (is_home, arch.ends_with("-darwin"), arch.ends_with("-linux")) {
                (true, _, _) => HostKind::Home,
                (false, true, _) => HostKind::Darwin,
                (false, false, true) => HostKind::Nixos,
                // install-iso, vm, … formats are packages, not hosts.
                _ => continue,
            };
            let arch_dir = format!("{top_dir}/{arch}");
            for name in dirs(ev, &arch_dir) {
                let root = format!("{arch_dir}/{name}/default.nix");
                if !exists(ev, &root) {
                    continue;
                }
                let (class, outer) = match kind {
                    HostKind::Nixos => ("nixos", "systems"),
                    HostKind::Darwin => ("darwin", "systems"),
                    HostKind::Home => ("home", "homes"),
                };
                let mut modules = vec![path(&root)];
                modules.extend(class_modules(class));
                modules.extend(extra(outer, class));
                let host = name.split('@').nth(1).unwrap_or(&name).to_string();
                let value = system(kind, modules, special(&arch, &host));
                let set = match kind {
                    HostKind::Nixos => &mut nixos,
                    HostKind::Darwin => &mut darwin,
                    HostKind::Home => &mut home,
                };
                set.insert_value(&name, value);
            }
        }
    }
    let mut out = outputs(vec![
        (HostKind::Nixos, nixos),
        (HostKind::Darwin, darwin),
        (HostKind::Home, home),
    ]);
    // `outputs-builder`, `overlays`, … pass through unknown.
    out.incomplete = true;
    Value::Attrs(Rc::new(out))
}

/// numtide blueprint: `inputs.blueprint { inherit inputs; prefix?; }`.
/// `hosts/<n>/configuration.nix` is a NixOS host, `darwin-configuration.nix`
/// a nix-darwin one; modules get `flake`, `inputs`, `hostName`. Files under
/// `packages/` are the flake's packages.
pub fn blueprint(ev: &Evaluator, argument: &Thunk) -> Value {
    let Some(args) = attrs(ev, argument) else {
        return Value::Unknown;
    };
    let root = ev.db.workspace().root(ev.db).to_string();
    let base = match args.get("prefix").and_then(|p| string(ev, &p.value)) {
        Some(prefix) => paths::join(&root, prefix.trim_end_matches('/')).unwrap_or(root),
        None => root,
    };
    let (mut nixos, mut darwin) = (Attrs::default(), Attrs::default());
    let hosts_dir = join(&base, "hosts");
    for name in dirs(ev, &hosts_dir) {
        let mut special = Attrs {
            incomplete: true,
            ..Attrs::default()
        };
        special.insert_thunk("flake", ev.lazy_flake_self());
        special.insert_value("inputs", ev.flake_inputs());
        special.insert_value("hostName", Value::str(&name));
        let special = Some(ev.value_thunk(Value::Attrs(Rc::new(special)), None));
        for (file, kind, set) in [
            ("configuration.nix", HostKind::Nixos, &mut nixos),
            ("darwin-configuration.nix", HostKind::Darwin, &mut darwin),
        ] {
            let root = format!("{hosts_dir}/{name}/{file}");
            if exists(ev, &root) {
                // blueprint adds modules that declare nothing (nixpkgs.pkgs,
                // the perSystem argument) and, when the host has users/,
                // home-manager's own NixOS/darwin module (blueprint's
                // lib/default.nix, mkHomeUsersModule).
                let mut modules = vec![path(&root)];
                let users = format!("{hosts_dir}/{name}/users");
                if !flakelens_db::read_dir(ev.db, &users).is_empty() {
                    let output = match kind {
                        HostKind::Darwin => "darwinModules",
                        _ => "nixosModules",
                    };
                    let description = format!("inputs.home-manager.{output}.default");
                    modules.push(Thunk::from_value(Value::ExternalModule(description.into())));
                }
                set.insert_value(&name, exact_system(kind, modules, special.clone()));
            }
        }
    }
    let mut out = outputs(vec![(HostKind::Nixos, nixos), (HostKind::Darwin, darwin)]);
    module_outputs(ev, &base, &mut out);
    // packages/<n>.nix, packages/<n>/package.nix (callPackage'd) or
    // packages/<n>/default.nix → packages.<system>.<n>
    let packages_dir = join(&base, "packages");
    let mut packages = Attrs::default();
    for (name, is_dir) in flakelens_db::read_dir(ev.db, &packages_dir) {
        let (package, recipe) = if is_dir {
            let file = ["package.nix", "default.nix"]
                .iter()
                .map(|f| format!("{packages_dir}/{name}/{f}"))
                .find(|f| exists(ev, f));
            match file {
                Some(file) => (name.clone(), file),
                None => continue,
            }
        } else if let Some(stem) = name.strip_suffix(".nix") {
            (stem.to_string(), format!("{packages_dir}/{name}"))
        } else {
            continue;
        };
        let value = Value::Package(Rc::new(crate::eval::PackageValue {
            recipe: recipe.into(),
            call: None,
        }));
        packages.insert_value(&package, value);
    }
    if !packages.entries.is_empty() {
        let mut systems = Attrs::default();
        systems.insert_value("x86_64-linux", Value::Attrs(Rc::new(packages)));
        out.insert_value("packages", Value::Attrs(Rc::new(systems)));
    }
    Value::Attrs(Rc::new(out))
}

/// nixos-unified `flakeModules.autoWire`: `configurations/nixos/<n>.nix` or
/// `configurations/nixos/<n>/default.nix` (and `darwin`, `home`) are hosts;
/// the file is the host's module, with `flake = { self, inputs, config }`.
pub fn autowire(ev: &Evaluator, config: &Thunk) -> Attrs {
    let root = ev.db.workspace().root(ev.db).to_string();
    let mut sets = Vec::new();
    for (class, kind) in [
        ("nixos", HostKind::Nixos),
        ("darwin", HostKind::Darwin),
        ("home", HostKind::Home),
    ] {
        let mut set = Attrs::default();
        let dir = join(&root, &format!("configurations/{class}"));
        for (name, is_dir) in flakelens_db::read_dir(ev.db, &dir) {
            let (host, file) = if is_dir {
                (name.clone(), format!("{dir}/{name}/default.nix"))
            } else if let Some(stem) = name.strip_suffix(".nix") {
                (stem.to_string(), format!("{dir}/{name}"))
            } else {
                continue;
            };
            if !exists(ev, &file) {
                continue;
            }
            let mut flake = Attrs {
                incomplete: true,
                ..Attrs::default()
            };
            flake.insert_thunk("self", ev.lazy_flake_self());
            flake.insert_value("inputs", ev.flake_inputs());
            flake.insert_thunk("config", config.clone());
            let mut special = Attrs {
                incomplete: true,
                ..Attrs::default()
            };
            special.insert_value("flake", Value::Attrs(Rc::new(flake)));
            let special = Some(ev.value_thunk(Value::Attrs(Rc::new(special)), None));
            set.insert_value(&host, system(kind, vec![path(&file)], special));
        }
        sets.push((kind, set));
    }
    let mut out = outputs(sets);
    module_outputs(ev, &root, &mut out);
    out
}

/// `modules/{nixos,darwin,home}/<n>.nix` (or `<n>/default.nix`) exported as
/// `nixosModules.<n>`, `darwinModules.<n>`, `homeModules.<n>` (blueprint and
/// nixos-unified both do this).
fn module_outputs(ev: &Evaluator, base: &str, out: &mut Attrs) {
    for (class, output) in [
        ("nixos", "nixosModules"),
        ("darwin", "darwinModules"),
        ("home", "homeModules"),
    ] {
        let dir = join(base, &format!("modules/{class}"));
        let mut set = Attrs::default();
        for (name, is_dir) in flakelens_db::read_dir(ev.db, &dir) {
            let (module, file) = if is_dir {
                (name.clone(), format!("{dir}/{name}/default.nix"))
            } else if let Some(stem) = name.strip_suffix(".nix") {
                (stem.to_string(), format!("{dir}/{name}"))
            } else {
                continue;
            };
            if exists(ev, &file) {
                set.insert_value(&module, Value::Path(file.into()));
            }
        }
        if !set.entries.is_empty() {
            out.insert_value(output, Value::Attrs(Rc::new(set)));
        }
    }
}
