//! Harvesting overlays: applying each overlay to a symbolic `final`/`prev`
//! and collecting the packages it adds; overlays set in modules
//! (`nixpkgs.overlays`).

use std::rc::Rc;
use std::sync::Arc;

use flakelens_db::{Db, SourceFile};
use rowan::ast::AstNode;

use crate::eval::{Evaluator, Thunk, Value};
use crate::known::KnownPrim;
use crate::FileRange;

use super::*;

/// Splits a value into overlay functions: a function, a composition, or a
/// list of them.
pub(crate) fn overlay_functions(
    ev: &Evaluator,
    value: Value,
    out: &mut Vec<Value>,
    incomplete: &mut bool,
    depth: u32,
) {
    if depth > 16 {
        *incomplete = true;
        return;
    }
    match value {
        Value::List(items) => {
            for item in items.iter() {
                let item = ev.force(item);
                overlay_functions(ev, item, out, incomplete, depth + 1);
            }
        }
        Value::Prim(app)
            if app.prim == KnownPrim::ComposedOverlay.prim() && app.args.len() == 1 =>
        {
            let list = ev.force(&app.args[0]);
            overlay_functions(ev, list, out, incomplete, depth + 1);
        }
        Value::Lambda(_) => out.push(value),
        Value::Attrs(attrs) if attrs.marker.is_some() => {
            // mkBefore/mkAfter/mkIf/mkForce around an overlay list.
            for inner in unwrap_definitions(ev, Value::Attrs(attrs), 0) {
                overlay_functions(ev, inner, out, incomplete, depth + 1);
            }
        }
        _ => *incomplete = true,
    }
}

pub(crate) fn lambda_origin(value: &Value) -> Option<FileRange> {
    match value {
        Value::Lambda(closure) => Some(FileRange {
            file: closure.file,
            range: closure.lambda.syntax().text_range(),
        }),
        _ => None,
    }
}

pub(crate) fn symbolic_pkgs(ev: &Evaluator) -> Thunk {
    ev.value_thunk(Value::Pkgs(Rc::from(Vec::new())), None)
}

/// Applies an overlay to symbolic `final`/`prev` and collects what it adds.
pub(crate) fn harvest_overlay(ev: &Evaluator, function: &Value) -> Option<HarvestedOverlay> {
    let origin = lambda_origin(function)?;
    let partial = ev.apply(function, symbolic_pkgs(ev), None);
    let added = ev.apply(&partial, symbolic_pkgs(ev), None);
    let mut found = Vec::new();
    collect_packages(ev, &added, "", 0, &mut found);
    // `{ inherit custom; } // custom`: a nested set that repeats packages
    // the overlay also adds at the top is a second name, not more packages.
    let top: std::collections::BTreeSet<String> = found
        .iter()
        .filter(|f| !f.name.contains('.'))
        .map(|f| f.recipe.clone())
        .collect();
    found.retain(|f| !f.name.contains('.') || !top.contains(&f.recipe));
    Some(HarvestedOverlay { origin, found })
}

/// Packages in an attrset of packages (nested sets are walked).
pub(crate) fn collect_packages(
    ev: &Evaluator,
    value: &Value,
    prefix: &str,
    depth: u32,
    out: &mut Vec<Found>,
) {
    let Value::Attrs(attrs) = value else {
        return;
    };
    if attrs.marker.is_some() || depth > 4 || out.len() > 5000 {
        return;
    }
    for (name, entry) in &attrs.entries {
        if depth == 0
            && matches!(
                name.as_ref(),
                "lib" | "callPackage" | "override" | "overrideDerivation"
            )
        {
            continue;
        }
        let full = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        match ev.force(&entry.value) {
            Value::Package(package) => out.push(Found {
                name: full,
                recipe: package.recipe.to_string(),
                key: entry.key,
                call: package.call,
            }),
            nested @ Value::Attrs(_) => collect_packages(ev, &nested, &full, depth + 1, out),
            _ => {}
        }
    }
}

/// Harvests every overlay in a value (function, composition or list).
pub(crate) fn harvest_list(ev: &Evaluator, value: Value) -> OverlayList {
    let mut functions = Vec::new();
    let mut list = OverlayList::default();
    overlay_functions(ev, value, &mut functions, &mut list.incomplete, 0);
    for function in functions {
        match harvest_overlay(ev, &function) {
            Some(overlay) => {
                if !list.overlays.iter().any(|o| o.origin == overlay.origin) {
                    list.overlays.push(overlay);
                }
            }
            None => list.incomplete = true,
        }
    }
    list
}

/// mkIf/mkMerge/mkOverride/mkOrder markers, seen through.
pub(crate) fn unwrap_definitions(ev: &Evaluator, value: Value, depth: u32) -> Vec<Value> {
    if depth > 16 {
        return Vec::new();
    }
    let Value::Attrs(attrs) = &value else {
        return vec![value];
    };
    match attrs.marker {
        Some("if") | Some("override") | Some("order") => match attrs.get("content") {
            Some(entry) => unwrap_definitions(ev, ev.force(&entry.value), depth + 1),
            None => Vec::new(),
        },
        Some("merge") => match attrs.get("contents").map(|e| ev.force(&e.value)) {
            Some(Value::List(items)) => items
                .iter()
                .flat_map(|item| unwrap_definitions(ev, ev.force(item), depth + 1))
                .collect(),
            _ => Vec::new(),
        },
        _ => vec![value],
    }
}

/// Every definition of `path` in a module's config value.
pub(crate) fn definitions_at(
    ev: &Evaluator,
    value: Value,
    path: &[&str],
    out: &mut Vec<Value>,
    depth: u32,
) {
    for value in unwrap_definitions(ev, value, depth) {
        let Some((first, rest)) = path.split_first() else {
            out.push(value);
            continue;
        };
        if let Value::Attrs(attrs) = &value {
            if let Some(entry) = attrs.get(first) {
                definitions_at(ev, ev.force(&entry.value), rest, out, depth + 1);
            }
        }
    }
}

/// The `nixpkgs.overlays` lists a module value defines.
pub(crate) fn module_overlay_lists(ev: &Evaluator, module: Value) -> Vec<OverlayList> {
    let mut value = module;
    if let Value::Lambda(_) = value {
        let args = crate::module::module_args(ev, &[]);
        value = ev.apply(&value, args, None);
    }
    let Value::Attrs(attrs) = &value else {
        return Vec::new();
    };
    let config = if attrs.get("config").is_some() || attrs.get("options").is_some() {
        match attrs.get("config") {
            Some(entry) => ev.force(&entry.value),
            None => return Vec::new(),
        }
    } else {
        value.clone()
    };
    let mut lists = Vec::new();
    definitions_at(ev, config, &["nixpkgs", "overlays"], &mut lists, 0);
    lists
        .into_iter()
        .map(|list| harvest_list(ev, list))
        .collect()
}

/// The overlays a module file sets through `nixpkgs.overlays`.
#[salsa::tracked(returns(ref))]
pub fn module_overlays(db: &dyn Db, file: SourceFile) -> Arc<Vec<OverlayList>> {
    if !file.text(db).contains("overlays") {
        return Arc::default();
    }
    let ev = crate::known::evaluator(db);
    let module = ev.force(&ev.import_thunk(file));
    Arc::new(module_overlay_lists(&ev, module))
}
