//! clan-core: `clan-core.lib.clan { inventory.machines; machines; … }`
//! (older: `buildClan`) and its flake-parts module (`clan = { … }`). The
//! machines are the keys of `inventory.machines` and `machines` plus every
//! directory under `<directory>/machines/`; each imports
//! `machines/<n>/configuration.nix` (NixOS also `hardware-configuration.nix`
//! and `disko.nix`) when present, and `machines.<n>`. `machineClass =
//! "darwin"` makes a nix-darwin host. clan-core adds modules of its own
//! (services from the inventory, `clan.core.*`), so every machine's module
//! list is marked incomplete: the closure is partial, never wrong.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::KnownPrim;
use crate::eval::builtins::{attrs, string};
use crate::eval::{AttrEntry, Attrs, Evaluator, Name, PrimApp, SystemValue, Thunk, Value};
use crate::{FileRange, HostKind};

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, _prim: KnownPrim) -> Value {
    let Some(args) = attrs(ev, &app.args[0]) else {
        return Value::Unknown;
    };
    let (nixos, darwin) = machines(ev, &args, app.call);
    let mut outputs = Attrs {
        incomplete: true,
        ..Attrs::default()
    };
    outputs.insert_value("nixosConfigurations", nixos.clone());
    outputs.insert_value("darwinConfigurations", darwin.clone());
    // `lib.clan` returns a module evaluation: `.config.nixosConfigurations`.
    let mut config = outputs.clone();
    config.insert_value("nixosConfigurations", nixos);
    config.insert_value("darwinConfigurations", darwin);
    outputs.insert_value("config", Value::Attrs(Rc::new(config)));
    Value::Attrs(Rc::new(outputs))
}

/// The `nixosConfigurations` and `darwinConfigurations` a clan of `args`
/// builds (also used for the flake-parts `clan` option).
pub fn machines(ev: &Evaluator, args: &Attrs, call: Option<FileRange>) -> (Value, Value) {
    let sub = |attrs: &Attrs, name: &str| -> Option<Rc<Attrs>> {
        attrs
            .get(name)
            .and_then(|entry| self::attrs(ev, &entry.value))
    };
    let inventory = sub(args, "inventory").and_then(|inventory| sub(&inventory, "machines"));
    let extra = sub(args, "machines");
    let directory = match args.get("directory").map(|entry| ev.force(&entry.value)) {
        Some(Value::Path(path)) => path.to_string(),
        _ => ev.db.workspace().root(ev.db).to_string(),
    };
    let machines_dir = flakelens_db::paths::join(&directory, "machines").unwrap_or_default();
    // name → where it is written
    let mut names: BTreeMap<Name, Option<FileRange>> = BTreeMap::new();
    for set in [&inventory, &extra].into_iter().flatten() {
        for (name, entry) in &set.entries {
            names.entry(name.clone()).or_insert(entry.key);
        }
    }
    for (name, is_dir) in flakelens_db::read_dir(ev.db, &machines_dir) {
        if is_dir {
            names.entry(name.as_str().into()).or_insert(None);
        }
    }
    let special_args = args.get("specialArgs").map(|entry| entry.value.clone());
    let incomplete = inventory.as_ref().is_some_and(|i| i.incomplete)
        || extra.as_ref().is_some_and(|e| e.incomplete);
    let mut nixos = Attrs {
        incomplete,
        ..Attrs::default()
    };
    let mut darwin = nixos.clone();
    for (name, key) in names {
        let class = inventory
            .as_ref()
            .and_then(|inventory| sub(inventory, &name))
            .and_then(|machine| {
                machine
                    .get("machineClass")
                    .and_then(|c| string(ev, &c.value))
            });
        let kind = match class.as_deref() {
            Some("darwin") => HostKind::Darwin,
            _ => HostKind::Nixos,
        };
        let mut modules = Vec::new();
        let mut conventional = vec!["configuration.nix"];
        if kind == HostKind::Nixos {
            conventional.extend(["hardware-configuration.nix", "disko.nix"]);
        }
        for file in conventional {
            let path = format!("{machines_dir}/{name}/{file}");
            if flakelens_db::file_at(ev.db, &path).is_some() {
                modules.push(Thunk::from_value(Value::Path(path.into())));
            }
        }
        if let Some(entry) = extra.as_ref().and_then(|extra| extra.get(&name)) {
            modules.push(entry.value.clone());
        }
        let system = Value::System(Rc::new(SystemValue {
            kind,
            modules,
            modules_incomplete: true,
            special_args: special_args.clone(),
            call,
            overrides: None,
        }));
        let entry = AttrEntry {
            value: Thunk::from_value(system),
            key,
            path_range: None,
        };
        match kind {
            HostKind::Darwin => darwin.entries.insert(name, entry),
            _ => nixos.entries.insert(name, entry),
        };
    }
    (Value::Attrs(Rc::new(nixos)), Value::Attrs(Rc::new(darwin)))
}
