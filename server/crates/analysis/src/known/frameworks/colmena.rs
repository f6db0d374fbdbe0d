//! colmena: a `colmena` (or `colmenaHive = colmena.lib.makeHive …`) flake
//! output is a hive: every key but `meta` and `defaults` is a NixOS node
//! whose modules are its own value plus `defaults`; `meta.specialArgs` and
//! `meta.nodeSpecialArgs.<node>` are its arguments. colmena adds its
//! `deployment.*` module, so node module lists are marked incomplete.

use std::rc::Rc;

use crate::eval::builtins::attrs;
use crate::eval::{AttrEntry, Attrs, Evaluator, SystemValue, Value};
use crate::HostKind;

/// The nodes of the hive in `outputs`, as `nixosSystem` values by name.
pub fn hive_hosts(ev: &Evaluator, outputs: &Attrs) -> Option<Attrs> {
    let mut nodes: Option<Attrs> = None;
    for name in ["colmena", "colmenaHive"] {
        let Some(hive) = outputs.get(name).and_then(|e| attrs(ev, &e.value)) else {
            continue;
        };
        let all = nodes.get_or_insert_with(Attrs::default);
        all.incomplete |= hive.incomplete;
        for (name, entry) in hive_nodes(ev, &hive).entries {
            all.entries.entry(name).or_insert(entry);
        }
    }
    nodes
}

fn hive_nodes(ev: &Evaluator, hive: &Attrs) -> Attrs {
    let meta = hive.get("meta").and_then(|e| attrs(ev, &e.value));
    let special = meta.as_ref().and_then(|m| m.get("specialArgs"));
    let per_node = meta
        .as_ref()
        .and_then(|m| m.get("nodeSpecialArgs"))
        .and_then(|e| attrs(ev, &e.value));
    let defaults = hive.get("defaults").map(|e| e.value.clone());
    let mut nodes = Attrs::default();
    for (name, entry) in &hive.entries {
        if matches!(&**name, "meta" | "defaults") || name.starts_with("__") {
            continue;
        }
        let mut modules = vec![entry.value.clone()];
        modules.extend(defaults.clone());
        let special_args = per_node
            .as_ref()
            .and_then(|p| p.get(name))
            .or(special)
            .map(|e| e.value.clone());
        let system = Value::System(Rc::new(SystemValue {
            kind: HostKind::Nixos,
            modules,
            modules_incomplete: true,
            special_args,
            call: None,
            overrides: None,
        }));
        nodes.entries.insert(
            name.clone(),
            AttrEntry {
                value: crate::eval::Thunk::from_value(system),
                key: entry.key,
                path_range: None,
            },
        );
    }
    nodes
}
