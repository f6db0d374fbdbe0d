//! The repo's own package set (filled in by the package-set work).

use std::rc::Rc;

use crate::eval::{Attrs, Evaluator, PackageValue, Thunk, Value};
use crate::FileRange;

/// `lib.filesystem.packagesFromDirectoryRecursive { directory = ./pkgs; }`:
/// `foo.nix` → `foo`, `foo/package.nix` → `foo`, other folders → nested sets.
pub fn packages_from_directory(ev: &Evaluator, dir: &str, call: Option<FileRange>) -> Value {
    let mut attrs = Attrs::default();
    for (name, is_dir) in flakelens_db::read_dir(ev.db, dir) {
        let path = format!("{}/{name}", dir.trim_end_matches('/'));
        if is_dir {
            let package = format!("{path}/package.nix");
            if flakelens_db::file_at(ev.db, &package).is_some() {
                attrs.insert_value(
                    &name,
                    Value::Package(Rc::new(PackageValue {
                        recipe: package.into(),
                        call,
                    })),
                );
            } else {
                attrs.insert_value(&name, packages_from_directory(ev, &path, call));
            }
        } else if let Some(stem) = name.strip_suffix(".nix") {
            attrs.insert_value(
                stem,
                Value::Package(Rc::new(PackageValue {
                    recipe: path.into(),
                    call,
                })),
            );
        }
    }
    Value::Attrs(Rc::new(attrs))
}

/// `composeManyExtensions [ a b ]`: an overlay `final: prev:` that applies
/// each in turn. Represented by applying them to unknown arguments and
/// merging what they add.
pub fn composed_overlays(ev: &Evaluator, overlays: Vec<Thunk>, call: Option<FileRange>) -> Value {
    let _ = call;
    let mut merged = Value::Attrs(Rc::default());
    for overlay in overlays {
        let function = ev.force(&overlay);
        let final_ = ev.value_thunk(Value::Pkgs(Rc::from(Vec::new())), None);
        let prev = ev.value_thunk(Value::Pkgs(Rc::from(Vec::new())), None);
        let partial = ev.apply(&function, final_, None);
        let added = ev.apply(&partial, prev, None);
        merged = ev.update(&merged, &added);
    }
    // A composed overlay is still a function of final and prev.
    let _ = merged;
    Value::Unknown
}
