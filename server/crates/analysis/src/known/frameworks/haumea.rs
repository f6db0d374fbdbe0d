//! haumea (github:nix-community/haumea): `haumea.lib.load { src; inputs;
//! loader?; transformer?; }` is an attrset mirroring the tree under `src`:
//! `a/b.nix` is `a.b`, directories are nested sets, names starting with
//! `_` are private (left out). With the default loader each file is
//! imported and, when it is a function, called with `inputs` plus `self`
//! (the file's value), `super` (its directory) and `root` (the tree); a
//! custom `loader` is called as
//! `loader inputs path`, a list of matchers `{ matches; loader; }` by the
//! first that accepts the file name. Transformers `cursor: set: …` are
//! applied to every directory's set, bottom-up.

use std::rc::Rc;

use super::KnownPrim;
use crate::eval::builtins::attrs;
use crate::eval::{Attrs, Evaluator, Name, PrimApp, Thunk, Value};

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
    // Loaders are `inputs: path: …`: `verbatim` is the path itself
    // (`flip const`), `default` the default loader (`flip leaf`).
    let flipped = |prim: KnownPrim| {
        Value::Prim(Rc::new(PrimApp {
            prim: KnownPrim::Flip.prim(),
            args: vec![Thunk::from_value(prim.value())],
            call: None,
        }))
    };
    let mut loaders = Attrs {
        incomplete: true,
        ..Attrs::default()
    };
    loaders.insert_value("verbatim", flipped(KnownPrim::Const));
    loaders.insert_value("default", flipped(KnownPrim::HaumeaLeaf));
    lib.insert_value("loaders", Value::Attrs(Rc::new(loaders)));
    Value::Attrs(Rc::new(lib))
}

fn load(ev: &Evaluator, args: &Thunk) -> Value {
    let Some(args) = attrs(ev, args) else {
        return Value::Unknown;
    };
    let Some(Value::Path(src)) = args.get("src").map(|e| ev.force(&e.value)) else {
        return Value::Unknown;
    };
    let inputs = match args.get("inputs").and_then(|e| attrs(ev, &e.value)) {
        Some(inputs) => (*inputs).clone(),
        None => Attrs::default(),
    };
    let loader = args.get("loader").map(|e| e.value.clone());
    let transformers = match args.get("transformer").map(|e| ev.force(&e.value)) {
        None => Vec::new(),
        Some(Value::List(items)) => items.to_vec(),
        Some(function @ (Value::Lambda(_) | Value::Prim(_))) => {
            vec![ev.value_thunk(function, None)]
        }
        Some(_) => return Value::Unknown,
    };
    // `root` is the whole tree, bound once it is built (values are lazy).
    let root = ev.value_thunk(Value::Unknown, None);
    let load = Load {
        ev,
        inputs,
        loader,
        transformers,
        root: root.clone(),
    };
    let tree = load.tree(&src, &[]);
    root.fill(tree.clone());
    tree
}

struct Load<'a, 'db> {
    ev: &'a Evaluator<'db>,
    inputs: Attrs,
    loader: Option<Thunk>,
    /// Applied to every directory's set, bottom-up: `t cursor set`.
    transformers: Vec<Thunk>,
    root: Thunk,
}

impl Load<'_, '_> {
    /// The inputs of one file: the given ones plus `self` (the file's own
    /// value), `super` (its directory) and `root`.
    fn inputs(&self, directory: &Thunk, stem: &str) -> Thunk {
        let ev = self.ev;
        let mut inputs = self.inputs.clone();
        inputs.insert_thunk(
            "self",
            ev.select_thunk(directory.clone(), stem.into(), None),
        );
        inputs.insert_thunk("super", directory.clone());
        inputs.insert_thunk("root", self.root.clone());
        ev.value_thunk(Value::Attrs(Rc::new(inputs)), None)
    }

    /// How a file is loaded: (its attribute name, the loader) or None
    /// when no loader takes it. A list of matchers `{ matches; loader; }`
    /// takes any file the first matching one accepts.
    fn loader_for(&self, name: &str) -> Option<(String, Option<Thunk>)> {
        let ev = self.ev;
        let Some(loader) = &self.loader else {
            return name
                .strip_suffix(".nix")
                .map(|stem| (stem.to_string(), None));
        };
        let Value::List(matchers) = ev.force(loader) else {
            return name
                .strip_suffix(".nix")
                .map(|stem| (stem.to_string(), Some(loader.clone())));
        };
        let stem = name
            .rsplit_once('.')
            .map_or(name, |(stem, _)| stem)
            .to_string();
        for matcher in matchers.iter() {
            let matcher = attrs(ev, matcher)?;
            let matches = ev.force(&matcher.get("matches")?.value);
            let argument = ev.value_thunk(Value::str(name), None);
            match ev.apply(&matches, argument, None) {
                Value::Bool(true) => {
                    return Some((stem, Some(matcher.get("loader")?.value.clone())))
                }
                Value::Bool(false) => {}
                _ => return None,
            }
        }
        None
    }

    fn tree(&self, dir: &str, cursor: &[Name]) -> Value {
        let ev = self.ev;
        let mut out = Attrs::default();
        if cursor.len() > 16 {
            return Value::Unknown;
        }
        let directory = ev.value_thunk(Value::Unknown, None);
        for (name, is_dir) in flakelens_db::read_dir(ev.db, dir) {
            if name.starts_with('_') {
                continue;
            }
            let Some(path) = flakelens_db::paths::join(dir, &name) else {
                continue;
            };
            if is_dir {
                let mut here = cursor.to_vec();
                here.push(name.as_str().into());
                let sub = self.tree(&path, &here);
                out.insert_value(&name, sub);
                continue;
            }
            let Some((stem, loader)) = self.loader_for(&name) else {
                continue;
            };
            let inputs = self.inputs(&directory, &stem);
            let path = ev.value_thunk(Value::Path(path.into()), None);
            let value = match loader {
                Some(loader) => ev.apply_thunk(ev.apply_thunk(loader, inputs), path),
                None => {
                    let leaf = Value::Prim(Rc::new(PrimApp {
                        prim: KnownPrim::HaumeaLeaf.prim(),
                        args: vec![path],
                        call: None,
                    }));
                    ev.apply_thunk(ev.value_thunk(leaf, None), inputs)
                }
            };
            out.insert_thunk(&stem, value);
        }
        let mut value = Value::Attrs(Rc::new(out));
        for transformer in &self.transformers {
            let cursor = cursor
                .iter()
                .map(|c| Thunk::from_value(Value::Str(c.clone())))
                .collect();
            let cursor = ev.value_thunk(Value::List(Rc::new(cursor)), None);
            let node = ev.value_thunk(value, None);
            let step = ev.apply(&ev.force(transformer), cursor, None);
            value = ev.apply(&step, node, None);
        }
        directory.fill(value.clone());
        value
    }
}
