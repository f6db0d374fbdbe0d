//! den (github:vic/den), a flake-parts module: hosts are data,
//! `den.hosts.<system>.<name> = { users.<user> = { … }; }` (older:
//! `den.hosts.<name>.system`), standalone homes `den.homes.<system>.<name>`.
//! A host's class comes from `class` or the system suffix (`-darwin`:
//! nix-darwin, else NixOS); its modules are the class part of its aspect
//! (`den.aspects.<aspect or name>.nixos`), of the aspects that aspect
//! `includes`, of `den.default` and of its users' aspects. den adds modules
//! of its own (and parametric aspects are functions of the host), so every
//! module list is marked incomplete: closures are partial, never wrong.

use std::rc::Rc;

use crate::eval::builtins::{attrs, string};
use crate::eval::{Attrs, Evaluator, SystemValue, Thunk, Value};
use crate::HostKind;

/// The module attribute of an aspect for hosts of `kind`.
fn class_key(kind: HostKind) -> &'static str {
    match kind {
        HostKind::Nixos => "nixos",
        HostKind::Darwin => "darwin",
        HostKind::Home => "homeManager",
    }
}

/// Whether an aspect attribute is a module of some class (merged as
/// modules when several files define it).
pub fn is_class(name: &str) -> bool {
    matches!(name, "nixos" | "darwin" | "homeManager")
}

fn looks_like_system(name: &str) -> bool {
    name.ends_with("-linux") || name.ends_with("-darwin")
}

fn kind_of(ev: &Evaluator, host: Option<&Attrs>, system: &str, home: bool) -> HostKind {
    if home {
        return HostKind::Home;
    }
    match host
        .and_then(|h| h.get("class"))
        .and_then(|c| string(ev, &c.value))
        .as_deref()
    {
        Some("darwin") => HostKind::Darwin,
        Some(_) => HostKind::Nixos,
        None if system.ends_with("-darwin") => HostKind::Darwin,
        None => HostKind::Nixos,
    }
}

struct Collect<'a, 'db> {
    ev: &'a Evaluator<'db>,
    key: &'static str,
    modules: Vec<Thunk>,
    /// Aspects already walked (by identity), so `den.default` listed in
    /// `includes` and applied by den is taken once.
    seen: Vec<*const Attrs>,
}

impl Collect<'_, '_> {
    fn aspect(&mut self, aspect: &Thunk, depth: usize) {
        // Parametric aspects (functions of host/user) and unknown values
        // are den's to evaluate: the list is already marked incomplete.
        let Value::Attrs(set) = self.ev.force(aspect) else {
            return;
        };
        if depth > 16 || self.seen.contains(&Rc::as_ptr(&set)) {
            return;
        }
        self.seen.push(Rc::as_ptr(&set));
        if let Some(entry) = set.get(self.key) {
            self.modules.push(entry.value.clone());
        }
        if let Some(entry) = set.get("includes") {
            if let Value::List(items) | Value::PartialList(items) = self.ev.force(&entry.value) {
                for item in items.iter() {
                    self.aspect(item, depth + 1);
                }
            }
        }
    }
}

/// Every host and home den builds from `den` (the merged flake-parts
/// `config.den`), as (output name, configurations).
pub fn hosts(ev: &Evaluator, den: &Attrs) -> Vec<(&'static str, Attrs)> {
    let aspects = den.get("aspects").and_then(|e| attrs(ev, &e.value));
    let default = den.get("default").map(|e| e.value.clone());
    let aspect_named = |name: &str| -> Option<Thunk> {
        aspects
            .as_ref()
            .and_then(|a| a.get(name))
            .map(|e| e.value.clone())
    };
    let mut sets = [
        (HostKind::Nixos, Attrs::default()),
        (HostKind::Darwin, Attrs::default()),
        (HostKind::Home, Attrs::default()),
    ];
    for (top, home) in [("hosts", false), ("homes", true)] {
        let Some(all) = den.get(top).and_then(|e| attrs(ev, &e.value)) else {
            continue;
        };
        // (system, name, host attrs, where the name is written)
        let mut found = Vec::new();
        for (key, entry) in &all.entries {
            let Some(value) = attrs(ev, &entry.value) else {
                continue;
            };
            if looks_like_system(key) {
                for (name, host) in &value.entries {
                    found.push((
                        key.to_string(),
                        name.clone(),
                        attrs(ev, &host.value),
                        host.key,
                    ));
                }
            } else {
                let system = value
                    .get("system")
                    .and_then(|s| string(ev, &s.value))
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                found.push((system, key.clone(), Some(value), entry.key));
            }
        }
        for (system, name, host, key) in found {
            let kind = kind_of(ev, host.as_deref(), &system, home);
            let own = host
                .as_ref()
                .and_then(|h| h.get("aspect"))
                .and_then(|a| string(ev, &a.value));
            // A home `user@host` is the user's aspect.
            let aspect = own
                .map(|a| a.to_string())
                .unwrap_or_else(|| name.split('@').next().unwrap_or(&name).to_string());
            let mut collect = Collect {
                ev,
                key: class_key(kind),
                modules: Vec::new(),
                seen: Vec::new(),
            };
            if let Some(aspect) = aspect_named(&aspect) {
                collect.aspect(&aspect, 0);
            }
            if let Some(default) = &default {
                collect.aspect(default, 0);
            }
            let users = host
                .as_ref()
                .and_then(|h| h.get("users"))
                .and_then(|u| attrs(ev, &u.value));
            for (user, entry) in users.iter().flat_map(|u| u.entries.iter()) {
                let user_aspect = attrs(ev, &entry.value)
                    .and_then(|u| u.get("aspect").and_then(|a| string(ev, &a.value)))
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| user.to_string());
                if let Some(aspect) = aspect_named(&user_aspect) {
                    collect.aspect(&aspect, 0);
                }
            }
            let system = Value::System(Rc::new(SystemValue {
                kind,
                modules: collect.modules,
                modules_incomplete: true,
                special_args: None,
                call: None,
                overrides: None,
            }));
            let set = &mut sets
                .iter_mut()
                .find(|(k, _)| *k == kind)
                .expect("every kind")
                .1;
            set.entries.insert(
                name,
                crate::eval::AttrEntry {
                    value: Thunk::from_value(system),
                    key,
                    path_range: None,
                },
            );
        }
    }
    sets.into_iter()
        .filter(|(_, set)| !set.entries.is_empty())
        .map(|(kind, set)| (kind.output_name(), set))
        .collect()
}
