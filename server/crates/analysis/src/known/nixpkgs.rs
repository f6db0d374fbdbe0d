//! nixpkgs as a package set: `import nixpkgs { … }`, `pkgs.callPackage`,
//! `pkgs.extend`, `packagesFromDirectoryRecursive` and overlay composition.
//! Overlay applications are reported to the evaluator's observation sink
//! as [`OverlayUse`]s, which the package model reads.

use std::rc::Rc;

use super::KnownPrim;
use crate::eval::builtins::{attrs, list};
use crate::eval::{Attrs, Evaluator, Name, PrimApp, Thunk, Value};
use crate::FileRange;

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, prim: KnownPrim) -> Value {
    let a = &app.args;
    let call = app.call;
    match prim {
        KnownPrim::ImportNixpkgs => {
            record_nixpkgs_import(ev, &a[0], call);
            Value::Pkgs(Rc::from(Vec::new()))
        }
        KnownPrim::PackagesFromDirectoryRecursive => match attrs(ev, &a[0]) {
            Some(args) => match args.get("directory").map(|entry| ev.force(&entry.value)) {
                Some(Value::Path(dir)) => packages_from_directory(ev, &dir, call),
                _ => Value::Unknown,
            },
            None => Value::Unknown,
        },
        KnownPrim::CallPackage => match ev.force(&a[0]) {
            Value::Path(path) => {
                let recipe = if flakelens_db::file_at(ev.db, &path).is_none()
                    && flakelens_db::is_directory(ev.db, &path)
                {
                    format!("{path}/default.nix")
                } else {
                    path.to_string()
                };
                Value::Package(Rc::new(crate::eval::PackageValue {
                    recipe: recipe.into(),
                    call,
                }))
            }
            // `callPackage (import ./x.nix) { }`: the recipe is the file
            // whose whole body is that function.
            Value::Lambda(closure) => {
                let root = flakelens_db::parse(ev.db, closure.file).root_expr();
                let whole = root.is_some_and(|root| {
                    rowan::ast::AstNode::syntax(&root).text_range()
                        == rowan::ast::AstNode::syntax(&closure.lambda).text_range()
                });
                if whole {
                    Value::Package(Rc::new(crate::eval::PackageValue {
                        recipe: closure.file.path(ev.db).as_str().into(),
                        call,
                    }))
                } else {
                    Value::Unknown
                }
            }
            // A package already made (packagesFromDirectoryRecursive's).
            Value::Package(package) => Value::Package(Rc::new(crate::eval::PackageValue {
                recipe: package.recipe.clone(),
                call: call.or(package.call),
            })),
            _ => Value::Unknown,
        },
        KnownPrim::ComposeManyExtensions => match list(ev, &a[0]) {
            Some(overlays) => composed_overlays(ev, overlays.to_vec(), call),
            None => Value::Unknown,
        },
        KnownPrim::ComposeExtensions => {
            composed_overlays(ev, vec![a[0].clone(), a[1].clone()], call)
        }
        KnownPrim::ComposedOverlay => apply_composed(ev, &a[0], &a[1], &a[2]),
        // `pkgs.writeShellScriptBin "x" "…"`: a package whose recipe is
        // the call itself.
        KnownPrim::InlineBuild1 | KnownPrim::InlineBuild2 => match call {
            Some(call) => Value::Package(Rc::new(crate::eval::PackageValue {
                recipe: call.file.path(ev.db).as_str().into(),
                call: Some(call),
            })),
            None => Value::Unknown,
        },
        // `pkgs.callPackages ./dir { … }`: every attribute of what the
        // file returns is a package made by that file.
        KnownPrim::CallPackages => match ev.force(&a[0]) {
            Value::Path(path) => {
                let recipe = if flakelens_db::file_at(ev.db, &path).is_none() {
                    format!("{}/default.nix", path.trim_end_matches('/'))
                } else {
                    path.to_string()
                };
                if flakelens_db::file_at(ev.db, &recipe).is_none() {
                    return Value::Unknown;
                }
                let function = ev.import(&recipe);
                let made = match function {
                    Value::Lambda(_) => ev.apply(&function, a[1].clone(), None),
                    other => other,
                };
                let Value::Attrs(made) = made else {
                    return Value::Unknown;
                };
                let mut result = Attrs {
                    incomplete: made.incomplete,
                    ..Attrs::default()
                };
                for (name, entry) in &made.entries {
                    let package = Value::Package(Rc::new(crate::eval::PackageValue {
                        recipe: recipe.as_str().into(),
                        call,
                    }));
                    result.entries.insert(
                        name.clone(),
                        crate::eval::AttrEntry {
                            value: ev.value_thunk(package, entry.value.loc()),
                            ..entry.clone()
                        },
                    );
                }
                Value::Attrs(Rc::new(result))
            }
            _ => Value::Unknown,
        },
        KnownPrim::PkgsExtend => {
            record_extend(ev, &a[0], call);
            Value::Pkgs(Rc::from(Vec::new()))
        }
        #[allow(unreachable_patterns)]
        _ => unreachable!("{prim:?} is dispatched elsewhere"),
    }
}

/// An overlay application the evaluator saw.
#[derive(Clone)]
pub struct OverlayUse {
    pub kind: OverlayUseKind,
    /// `NixpkgsImport`: the argument attrset of `import nixpkgs { … }`;
    /// `Extend`: the overlay function.
    pub value: Thunk,
    pub site: Option<FileRange>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverlayUseKind {
    NixpkgsImport,
    Extend,
}

const MAX_RECORDED_USES: usize = 256;

fn record(ev: &Evaluator, kind: OverlayUseKind, value: &Thunk, site: Option<FileRange>) {
    if ev.observed_count::<OverlayUse>() < MAX_RECORDED_USES {
        ev.observe(OverlayUse {
            kind,
            value: value.clone(),
            site,
        });
    }
}

/// `import nixpkgs args`: remember `args` (its `overlays` are read later).
pub fn record_nixpkgs_import(ev: &Evaluator, args: &Thunk, site: Option<FileRange>) {
    record(ev, OverlayUseKind::NixpkgsImport, args, site);
}

/// `pkgs.extend overlay`.
pub fn record_extend(ev: &Evaluator, overlay: &Thunk, site: Option<FileRange>) {
    record(ev, OverlayUseKind::Extend, overlay, site);
}

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
                    Value::Package(Rc::new(crate::eval::PackageValue {
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
                Value::Package(Rc::new(crate::eval::PackageValue {
                    recipe: path.into(),
                    call,
                })),
            );
        }
    }
    Value::Attrs(Rc::new(attrs))
}

/// `composeManyExtensions [ a b ]`, `composeExtensions a b`: still an
/// overlay (a function of `final` and `prev`), that remembers its parts.
pub fn composed_overlays(ev: &Evaluator, overlays: Vec<Thunk>, call: Option<FileRange>) -> Value {
    let list = ev.value_thunk(Value::List(Rc::new(overlays)), call);
    Value::Prim(Rc::new(PrimApp {
        prim: KnownPrim::ComposedOverlay.prim(),
        args: vec![list],
        call,
    }))
}

/// A composed overlay applied to `final` and `prev`: the parts' results,
/// merged left to right.
pub fn apply_composed(ev: &Evaluator, overlays: &Thunk, final_: &Thunk, prev: &Thunk) -> Value {
    let Value::List(items) = ev.force(overlays) else {
        return Value::Unknown;
    };
    let mut merged = Value::Attrs(Rc::default());
    for overlay in items.iter() {
        let function = ev.force(overlay);
        let partial = ev.apply(&function, final_.clone(), None);
        let added = ev.apply(&partial, prev.clone(), None);
        merged = ev.update(&merged, &added);
    }
    merged
}

/// `pkgs.callPackage` (also of package scopes such as
/// `pkgs.python3Packages`), `pkgs.lib` and `pkgs.extend`.
pub fn select_pkgs(ev: &Evaluator, path: &[Name], name: &str) -> Option<Value> {
    if name == "callPackage" {
        return Some(KnownPrim::CallPackage.value());
    }
    if name == "callPackages" {
        return Some(KnownPrim::CallPackages.value());
    }
    if path.len() < 2 {
        let full = match path.first() {
            Some(first) => format!("{first}.{name}"),
            None => name.to_string(),
        };
        if let Some((_, arity)) = super::tables::INLINE_BUILDERS
            .iter()
            .find(|(builder, _)| *builder == full)
        {
            return Some(if *arity == 1 {
                KnownPrim::InlineBuild1.value()
            } else {
                KnownPrim::InlineBuild2.value()
            });
        }
    }
    if path.is_empty() && name == "lib" {
        return Some(ev.lib());
    }
    if path.is_empty() && name == "extend" {
        // `pkgs.extend overlay` (recorded as an overlay use).
        return Some(KnownPrim::PkgsExtend.value());
    }
    None
}
