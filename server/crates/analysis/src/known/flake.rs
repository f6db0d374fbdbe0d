//! The flake schema: where `flake.nix` is, its `inputs` and `self` (the
//! outputs), and what selecting from an input gives (`lib`, module outputs,
//! `legacyPackages`).

use std::rc::Rc;

use flakelens_db::{paths, Db, SourceFile};

use super::tables::{MODULE_OUTPUTS, NIXPKGS_SYSTEMS};
use crate::eval::{Attrs, Evaluator, Value};

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

/// Whether flake input `input` is the framework `repo` (by its name, or by
/// its `url`, for inputs renamed in `flake.nix`).
pub fn input_is(ev: &Evaluator, input: &str, repo: &str) -> bool {
    if input == repo {
        return true;
    }
    let Some(flake) = flake_attrs(ev) else {
        return false;
    };
    let url = |entry: &crate::eval::AttrEntry| match ev.force(&entry.value) {
        Value::Attrs(attrs) => attrs
            .get("url")
            .and_then(|url| crate::eval::builtins::string(ev, &url.value)),
        Value::Str(url) => Some(url),
        _ => None,
    };
    let Some(Value::Attrs(inputs)) = flake.get("inputs").map(|e| ev.force(&e.value)) else {
        return false;
    };
    inputs
        .get(input)
        .and_then(url)
        .is_some_and(|url| url.contains(&format!("/{repo}")))
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
    inputs.insert_thunk("self", ev.lazy_flake_self());
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

/// `inputs.<input>.<name>`: `lib`, module outputs, `legacyPackages`.
pub fn select_input(ev: &Evaluator, input: &str, name: &str) -> Value {
    if let Some(value) = super::frameworks::select_input(ev, input, name) {
        return value;
    }
    match name {
        "lib" => super::frameworks::input_lib(ev, input).unwrap_or_else(|| ev.lib()),
        "outPath" => Value::Unknown,
        "nixosModule" | "darwinModule" | "homeManagerModule" | "flakeModule" => {
            Value::ExternalModule(format!("inputs.{input}.{name}").into())
        }
        // `modules` too: generic module outputs of some flakes.
        _ if MODULE_OUTPUTS.contains(&name) || name == "modules" => {
            let mut attrs = Attrs {
                incomplete: true,
                ..Attrs::default()
            };
            // Any member is an external module.
            attrs.marker = Some("external-modules");
            attrs.insert_value(
                "_input",
                Value::Str(format!("inputs.{input}.{name}").into()),
            );
            Value::Attrs(Rc::new(attrs))
        }
        // `nixpkgs.legacyPackages.${system}`: the package set.
        "legacyPackages" if input == "nixpkgs" || input.starts_with("nixpkgs") => {
            let mut systems = Attrs {
                incomplete: true,
                ..Attrs::default()
            };
            for system in NIXPKGS_SYSTEMS {
                systems.insert_value(system, Value::Pkgs(Rc::from(Vec::new())));
            }
            Value::Attrs(Rc::new(systems))
        }
        "legacyPackages" => Value::Unknown,
        _ => Value::Unknown,
    }
}
