//! import-tree (github:vic/import-tree): `inputs.import-tree ./modules` is a
//! module whose `imports` are every `.nix` file below `./modules`, except
//! paths with a component starting with `_`. The value is also an API:
//! `.filter f`, `.filterNot f` (f gets the path as a string), `.leafs dir`
//! (the file list), `.withLib lib`; other members are unknown.

use std::rc::Rc;

use super::KnownPrim;
use crate::eval::{Attrs, Evaluator, PrimApp, Thunk, Value};

/// A filter: keep the paths where `f` says `keep`.
type Filter = (bool, Thunk);

fn prim(prim: KnownPrim, state: &Thunk) -> Value {
    Value::Prim(Rc::new(PrimApp {
        prim: prim.prim(),
        args: vec![state.clone()],
        call: None,
    }))
}

/// The import-tree value with `filters` applied so far. The filters travel
/// as a list of `[keep f]` pairs in the first argument of each primitive.
pub fn api(ev: &Evaluator, filters: Vec<Filter>) -> Value {
    let pairs = filters
        .into_iter()
        .map(|(keep, f)| {
            ev.value_thunk(
                Value::List(Rc::new(vec![Thunk::from_value(Value::Bool(keep)), f])),
                None,
            )
        })
        .collect();
    let state = ev.value_thunk(Value::List(Rc::new(pairs)), None);
    let mut attrs = Attrs {
        incomplete: true,
        ..Attrs::default()
    };
    attrs.insert_value("__functor", prim(KnownPrim::ImportTreeCall, &state));
    attrs.insert_value("filter", prim(KnownPrim::ImportTreeFilter, &state));
    attrs.insert_value("filterNot", prim(KnownPrim::ImportTreeFilterNot, &state));
    attrs.insert_value("leafs", prim(KnownPrim::ImportTreeLeafs, &state));
    attrs.insert_value("withLib", prim(KnownPrim::ImportTreeKeep, &state));
    Value::Attrs(Rc::new(attrs))
}

fn filters(ev: &Evaluator, state: &Thunk) -> Vec<Filter> {
    let Value::List(pairs) = ev.force(state) else {
        return Vec::new();
    };
    pairs
        .iter()
        .filter_map(|pair| match ev.force(pair) {
            Value::List(items) if items.len() == 2 => {
                let keep = matches!(ev.force(&items[0]), Value::Bool(true));
                Some((keep, items[1].clone()))
            }
            _ => None,
        })
        .collect()
}

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, prim: KnownPrim) -> Value {
    let a = &app.args;
    match prim {
        KnownPrim::ImportTreeFilter | KnownPrim::ImportTreeFilterNot => {
            let mut all = filters(ev, &a[0]);
            all.push((prim == KnownPrim::ImportTreeFilter, a[1].clone()));
            api(ev, all)
        }
        KnownPrim::ImportTreeKeep => api(ev, filters(ev, &a[0])),
        KnownPrim::ImportTreeLeafs => {
            let (files, incomplete) = leafs(ev, &filters(ev, &a[0]), &a[1]);
            if incomplete {
                return Value::Unknown;
            }
            Value::List(Rc::new(files))
        }
        // __functor: state, self, paths
        _ => {
            let (files, incomplete) = leafs(ev, &filters(ev, &a[0]), &a[2]);
            let mut imports = files;
            if incomplete {
                imports.push(Thunk::from_value(Value::Unknown));
            }
            let mut module = Attrs::default();
            module.insert_value("imports", Value::List(Rc::new(imports)));
            Value::Attrs(Rc::new(module))
        }
    }
}

/// The files below `root` (a path, or nested lists of paths and modules)
/// that pass the filters, in path order; `true` when some could not be
/// decided.
fn leafs(ev: &Evaluator, filters: &[Filter], root: &Thunk) -> (Vec<Thunk>, bool) {
    let mut out = Vec::new();
    let mut incomplete = false;
    let mut stack = vec![root.clone()];
    while let Some(item) = stack.pop() {
        match ev.force(&item) {
            Value::Path(path) => {
                if flakelens_db::file_at(ev.db, &path).is_some() {
                    out.push(item.clone());
                    continue;
                }
                let mut files = Vec::new();
                walk(ev, &path, &mut files);
                for file in files {
                    match passes(ev, filters, &file) {
                        Some(true) => out.push(Thunk::from_value(Value::Path(file.into()))),
                        Some(false) => {}
                        None => incomplete = true,
                    }
                }
            }
            Value::List(items) => stack.extend(items.iter().rev().cloned()),
            // Modules given directly are kept as they are.
            Value::Attrs(_) | Value::Lambda(_) => out.push(item.clone()),
            _ => incomplete = true,
        }
    }
    (out, incomplete)
}

fn walk(ev: &Evaluator, dir: &str, out: &mut Vec<String>) {
    for (name, is_dir) in flakelens_db::read_dir(ev.db, dir) {
        if name.starts_with('_') {
            continue;
        }
        let Some(path) = flakelens_db::paths::join(dir, &name) else {
            continue;
        };
        if is_dir {
            walk(ev, &path, out);
        } else if name.ends_with(".nix") {
            out.push(path);
        }
    }
}

fn passes(ev: &Evaluator, filters: &[Filter], path: &str) -> Option<bool> {
    for (keep, f) in filters {
        let function = ev.force(f);
        let argument = ev.value_thunk(Value::str(path), None);
        match ev.apply(&function, argument, None) {
            Value::Bool(b) if b == *keep => {}
            Value::Bool(_) => return Some(false),
            _ => return None,
        }
    }
    Some(true)
}
