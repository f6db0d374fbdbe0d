//! haumea (github:nix-community/haumea): `haumea.lib.load { src; inputs;
//! loader?; transformer?; }` is an attrset mirroring the tree under `src`:
//! `a/b.nix` is `a.b`, directories are nested sets, names starting with
//! `_` are private (left out). With the default loader each file is
//! imported and, when it is a function, called with `inputs` (plus haumea's
//! `self`/`super`/`root`, unknown here); a custom `loader` is called as
//! `loader inputs path`. Transformers are not modelled: with one the result
//! is unknown.

use std::rc::Rc;

use super::KnownPrim;
use crate::eval::builtins::attrs;
use crate::eval::{Attrs, Evaluator, PrimApp, Thunk, Value};

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, prim: KnownPrim) -> Value {
    match prim {
        KnownPrim::HaumeaLoad => load(ev, &app.args[0]),
        // HaumeaLeaf: the default loader, `path`, `inputs`.
        _ => match ev.force(&app.args[0]) {
            Value::Path(path) => match ev.import(&path) {
                function @ (Value::Lambda(_) | Value::Prim(_)) => {
                    ev.apply(&function, app.args[1].clone(), None)
                }
                value => value,
            },
            _ => Value::Unknown,
        },
    }
}

/// `inputs.haumea.lib`.
pub fn lib() -> Value {
    let mut lib = Attrs {
        incomplete: true,
        ..Attrs::default()
    };
    lib.insert_value("load", KnownPrim::HaumeaLoad.value());
    Value::Attrs(Rc::new(lib))
}

fn load(ev: &Evaluator, args: &Thunk) -> Value {
    let Some(args) = attrs(ev, args) else {
        return Value::Unknown;
    };
    if args.get("transformer").is_some() {
        return Value::Unknown;
    }
    let Some(Value::Path(src)) = args.get("src").map(|e| ev.force(&e.value)) else {
        return Value::Unknown;
    };
    let mut inputs = match args.get("inputs").and_then(|e| attrs(ev, &e.value)) {
        Some(inputs) => (*inputs).clone(),
        None => Attrs::default(),
    };
    // self, super, root: haumea's own views of the tree (not modelled).
    for name in ["self", "super", "root"] {
        if inputs.get(name).is_none() {
            inputs.insert_value(name, Value::Unknown);
        }
    }
    let inputs = ev.value_thunk(Value::Attrs(Rc::new(inputs)), None);
    let loader = args.get("loader").map(|e| e.value.clone());
    Value::Attrs(Rc::new(tree(ev, &src, &inputs, loader.as_ref(), 0)))
}

fn tree(ev: &Evaluator, dir: &str, inputs: &Thunk, loader: Option<&Thunk>, depth: usize) -> Attrs {
    let mut out = Attrs::default();
    if depth > 16 {
        out.incomplete = true;
        return out;
    }
    for (name, is_dir) in flakelens_db::read_dir(ev.db, dir) {
        if name.starts_with('_') {
            continue;
        }
        let Some(path) = flakelens_db::paths::join(dir, &name) else {
            continue;
        };
        if is_dir {
            let sub = tree(ev, &path, inputs, loader, depth + 1);
            out.insert_value(&name, Value::Attrs(Rc::new(sub)));
            continue;
        }
        let Some(stem) = name.strip_suffix(".nix") else {
            // Other files need a matcher loader: not modelled.
            continue;
        };
        let path = ev.value_thunk(Value::Path(path.into()), None);
        let value = match loader {
            Some(loader) => ev.apply_thunk(ev.apply_thunk(loader.clone(), inputs.clone()), path),
            None => {
                let leaf = Value::Prim(Rc::new(PrimApp {
                    prim: KnownPrim::HaumeaLeaf.prim(),
                    args: vec![path],
                    call: None,
                }));
                ev.apply_thunk(ev.value_thunk(leaf, None), inputs.clone())
            }
        };
        out.insert_thunk(stem, value);
    }
    out
}
