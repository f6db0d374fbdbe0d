//! flake-utils-plus (github:gytis-ivaskevicius/flake-utils-plus):
//! `mkFlake { self; inputs; hosts.<n> = { system?; modules; specialArgs?;
//! output?; }; hostDefaults = { modules; specialArgs?; }; … }`. Each host
//! is a NixOS system (a nix-darwin one when `output =
//! "darwinConfigurations"`) of `hostDefaults.modules ++ modules`; the
//! attributes fup does not consume pass through as flake outputs.
//! `lib.exportModules [ ./a.nix … ]` names each module after its file.
//! fup adds modules of its own (channels, registry options), so module
//! lists are marked incomplete: closures are partial, never wrong.

use std::rc::Rc;

use super::KnownPrim;
use crate::eval::builtins::{attrs, list_partial, string};
use crate::eval::{AttrEntry, Attrs, Evaluator, PrimApp, SystemValue, Thunk, Value};
use crate::HostKind;

/// Arguments of `mkFlake` that configure fup rather than being outputs.
const CONSUMED: &[&str] = &[
    "self",
    "inputs",
    "hosts",
    "hostDefaults",
    "channels",
    "channelsConfig",
    "sharedOverlays",
    "supportedSystems",
    "outputsBuilder",
];

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, prim: KnownPrim) -> Value {
    match prim {
        KnownPrim::FupExportModules => export_modules(ev, &app.args[0]),
        _ => mk_flake(ev, &app.args[0]),
    }
}

/// `inputs.flake-utils-plus.lib`.
pub fn lib() -> Value {
    let mut lib = Attrs {
        incomplete: true,
        ..Attrs::default()
    };
    lib.insert_value("mkFlake", KnownPrim::FupMkFlake.value());
    lib.insert_value("exportModules", KnownPrim::FupExportModules.value());
    Value::Attrs(Rc::new(lib))
}

fn export_modules(ev: &Evaluator, list: &Thunk) -> Value {
    let Some((items, partial)) = list_partial(ev, list) else {
        return Value::Unknown;
    };
    let mut out = Attrs {
        incomplete: partial,
        ..Attrs::default()
    };
    for item in items.iter() {
        match ev.force(item) {
            Value::Path(path) => {
                let file = flakelens_db::paths::file_name(&path);
                let name = file.strip_suffix(".nix").unwrap_or(file).to_string();
                out.insert_thunk(&name, item.clone());
            }
            _ => out.incomplete = true,
        }
    }
    Value::Attrs(Rc::new(out))
}

fn modules_of(ev: &Evaluator, set: Option<&Attrs>, into: &mut Vec<Thunk>) {
    let Some(entry) = set.and_then(|s| s.get("modules")) else {
        return;
    };
    if let Some((items, _)) = list_partial(ev, &entry.value) {
        into.extend(items.iter().cloned());
    }
}

fn mk_flake(ev: &Evaluator, args: &Thunk) -> Value {
    let Some(args) = attrs(ev, args) else {
        return Value::Unknown;
    };
    let defaults = args.get("hostDefaults").and_then(|e| attrs(ev, &e.value));
    let mut outputs = Attrs {
        // outputsBuilder's per-system outputs are not modelled.
        incomplete: true,
        ..Attrs::default()
    };
    for (name, entry) in &args.entries {
        if !CONSUMED.contains(&&**name) {
            outputs.entries.insert(name.clone(), entry.clone());
        }
    }
    let mut nixos = Attrs::default();
    let mut darwin = Attrs::default();
    let hosts = args.get("hosts").and_then(|e| attrs(ev, &e.value));
    if let Some(hosts) = &hosts {
        nixos.incomplete = hosts.incomplete;
        darwin.incomplete = hosts.incomplete;
    }
    for (name, entry) in hosts.iter().flat_map(|h| h.entries.iter()) {
        let host = attrs(ev, &entry.value);
        let output = host
            .as_ref()
            .and_then(|h| h.get("output"))
            .and_then(|o| string(ev, &o.value));
        let kind = match output.as_deref() {
            None | Some("nixosConfigurations") => HostKind::Nixos,
            Some("darwinConfigurations") => HostKind::Darwin,
            // Other outputs (custom builders) are not modelled.
            Some(_) => continue,
        };
        let mut modules = Vec::new();
        modules_of(ev, defaults.as_deref(), &mut modules);
        modules_of(ev, host.as_deref(), &mut modules);
        let special_args = host
            .as_ref()
            .and_then(|h| h.get("specialArgs"))
            .or_else(|| defaults.as_ref().and_then(|d| d.get("specialArgs")))
            .map(|e| e.value.clone());
        let system = Value::System(Rc::new(SystemValue {
            kind,
            modules,
            modules_incomplete: true,
            special_args,
            call: None,
            overrides: None,
        }));
        let set = match kind {
            HostKind::Darwin => &mut darwin,
            _ => &mut nixos,
        };
        set.entries.insert(
            name.clone(),
            AttrEntry {
                value: Thunk::from_value(system),
                key: entry.key,
                path_range: None,
            },
        );
    }
    for (kind, set) in [(HostKind::Nixos, nixos), (HostKind::Darwin, darwin)] {
        if !set.entries.is_empty() {
            outputs.insert_value(kind.output_name(), Value::Attrs(Rc::new(set)));
        }
    }
    Value::Attrs(Rc::new(outputs))
}
