//! nixpkgs `lib`: the table of functions it exposes (builtins and the
//! primitives below) and the generic `lib` functions (`genAttrs`,
//! `optionals`, `recursiveUpdate`, `fix`, `extend`, …).

use std::rc::Rc;

use super::KnownPrim;
use crate::eval::builtins::{attrs, attrs_of, list, string, Builtin};
use crate::eval::{Attrs, Evaluator, Prim, PrimApp, Thunk, Value};

const LIB_FUNCTIONS: &[(&str, Prim)] = &[
    ("mkOption", KnownPrim::MkOption.prim()),
    ("mkEnableOption", KnownPrim::MkEnableOption.prim()),
    ("mkPackageOption", KnownPrim::MkPackageOption.prim()),
    ("mkPackageOptionMD", KnownPrim::MkPackageOption.prim()),
    ("mkIf", KnownPrim::MkIf.prim()),
    ("mkMerge", KnownPrim::MkMerge.prim()),
    ("mkOverride", KnownPrim::MkOverride.prim()),
    ("mkDefault", KnownPrim::MkDefault.prim()),
    ("mkForce", KnownPrim::MkForce.prim()),
    ("mkVMOverride", KnownPrim::MkForce.prim()),
    ("mkImageMediaOverride", KnownPrim::MkForce.prim()),
    ("mkOptionDefault", KnownPrim::MkOptionDefault.prim()),
    ("mkBefore", KnownPrim::MkBefore.prim()),
    ("mkAfter", KnownPrim::MkAfter.prim()),
    ("mkOrder", KnownPrim::MkOrder.prim()),
    ("optionalAttrs", KnownPrim::OptionalAttrs.prim()),
    ("optionals", KnownPrim::Optionals.prim()),
    ("optional", KnownPrim::Optional.prim()),
    ("optionalString", KnownPrim::OptionalString.prim()),
    ("genAttrs", KnownPrim::GenAttrs.prim()),
    ("mapAttrs", Prim::Builtin(Builtin::MapAttrs)),
    ("mapAttrsRecursive", KnownPrim::MapAttrsRecursive.prim()),
    ("forEach", KnownPrim::ForEach.prim()),
    (
        "mapAttrsRecursiveCond",
        KnownPrim::MapAttrsRecursiveCond.prim(),
    ),
    ("mapAttrs'", KnownPrim::MapAttrsPrime.prim()),
    ("mapAttrsToList", KnownPrim::MapAttrsToList.prim()),
    ("nameValuePair", KnownPrim::NameValuePair.prim()),
    ("filterAttrs", KnownPrim::FilterAttrs.prim()),
    ("listToAttrs", Prim::Builtin(Builtin::ListToAttrs)),
    ("attrNames", Prim::Builtin(Builtin::AttrNames)),
    ("attrValues", Prim::Builtin(Builtin::AttrValues)),
    ("map", Prim::Builtin(Builtin::Map)),
    ("filter", Prim::Builtin(Builtin::Filter)),
    ("concatMap", Prim::Builtin(Builtin::ConcatMap)),
    ("concatLists", Prim::Builtin(Builtin::ConcatLists)),
    ("flatten", KnownPrim::Flatten.prim()),
    ("foldl'", Prim::Builtin(Builtin::Foldl)),
    ("foldl", Prim::Builtin(Builtin::Foldl)),
    ("foldr", KnownPrim::Foldr.prim()),
    ("elem", Prim::Builtin(Builtin::Elem)),
    ("elemAt", Prim::Builtin(Builtin::ElemAt)),
    ("head", Prim::Builtin(Builtin::Head)),
    ("tail", Prim::Builtin(Builtin::Tail)),
    ("length", Prim::Builtin(Builtin::Length)),
    ("hasSuffix", KnownPrim::HasSuffix.prim()),
    ("hasPrefix", KnownPrim::HasPrefix.prim()),
    ("removeSuffix", KnownPrim::RemoveSuffix.prim()),
    ("removePrefix", KnownPrim::RemovePrefix.prim()),
    ("recursiveUpdate", KnownPrim::RecursiveUpdate.prim()),
    ("nixosSystem", KnownPrim::NixosSystem.prim()),
    ("darwinSystem", KnownPrim::DarwinSystem.prim()),
    (
        "homeManagerConfiguration",
        KnownPrim::HomeManagerConfiguration.prim(),
    ),
    (
        "mkRenamedOptionModule",
        KnownPrim::MkRenamedOptionModule.prim(),
    ),
    (
        "mkRenamedOptionModuleWith",
        KnownPrim::MkRemovedOptionModule.prim(),
    ),
    ("mkAliasOptionModule", KnownPrim::MkAliasOptionModule.prim()),
    (
        "mkAliasOptionModuleMD",
        KnownPrim::MkAliasOptionModule.prim(),
    ),
    (
        "mkRemovedOptionModule",
        KnownPrim::MkRemovedOptionModule.prim(),
    ),
    (
        "mkChangedOptionModule",
        KnownPrim::MkChangedOptionModule.prim(),
    ),
    (
        "mkMergedOptionModule",
        KnownPrim::MkMergedOptionModule.prim(),
    ),
    ("literalExpression", KnownPrim::LiteralExpression.prim()),
    ("literalExample", KnownPrim::LiteralExpression.prim()),
    ("literalMD", KnownPrim::LiteralMd.prim()),
    ("mdDoc", KnownPrim::MdDoc.prim()),
    ("id", KnownPrim::Id.prim()),
    ("const", KnownPrim::Const.prim()),
    ("flip", KnownPrim::Flip.prim()),
    ("pipe", KnownPrim::Pipe.prim()),
    ("toString", Prim::Builtin(Builtin::ToString)),
    ("genList", Prim::Builtin(Builtin::GenList)),
    ("range", KnownPrim::Range.prim()),
    ("concatStringsSep", Prim::Builtin(Builtin::ConcatStringsSep)),
    ("removeAttrs", Prim::Builtin(Builtin::RemoveAttrs)),
    ("hasAttr", Prim::Builtin(Builtin::HasAttr)),
    ("getAttr", Prim::Builtin(Builtin::GetAttr)),
    ("all", Prim::Builtin(Builtin::All)),
    ("any", Prim::Builtin(Builtin::Any)),
    ("catAttrs", Prim::Builtin(Builtin::CatAttrs)),
    ("isAttrs", Prim::Builtin(Builtin::IsAttrs)),
    ("isList", Prim::Builtin(Builtin::IsList)),
    ("isString", Prim::Builtin(Builtin::IsString)),
    ("isFunction", Prim::Builtin(Builtin::IsFunction)),
    ("isBool", Prim::Builtin(Builtin::IsBool)),
    ("isInt", Prim::Builtin(Builtin::IsInt)),
    ("trace", Prim::Builtin(Builtin::Trace)),
    ("seq", Prim::Builtin(Builtin::Seq)),
    ("throw", Prim::Builtin(Builtin::Throw)),
    ("fix", KnownPrim::Fix.prim()),
    (
        "composeManyExtensions",
        KnownPrim::ComposeManyExtensions.prim(),
    ),
    ("composeExtensions", KnownPrim::ComposeExtensions.prim()),
    ("concatMapAttrs", KnownPrim::ConcatMapAttrs.prim()),
    (
        "packagesFromDirectoryRecursive",
        KnownPrim::PackagesFromDirectoryRecursive.prim(),
    ),
    ("callPackageWith", KnownPrim::Const.prim()),
    ("eachDefaultSystem", KnownPrim::EachDefaultSystem.prim()),
    ("eachSystem", KnownPrim::EachSystem.prim()),
    ("mkFlake", KnownPrim::MkFlake.prim()),
    // flake-parts-lib.importApply path args: the module file applied.
    ("importApply", KnownPrim::ImportApply.prim()),
    ("unionOfDisjoint", KnownPrim::MergeAttrs.prim()),
    ("collect", KnownPrim::Collect.prim()),
    ("pathIsDirectory", KnownPrim::PathIsDirectory.prim()),
    ("mergeAttrsList", KnownPrim::MergeAttrsList.prim()),
    ("mergeAttrs", KnownPrim::MergeAttrs.prim()),
    ("functionArgs", Prim::Builtin(Builtin::FunctionArgs)),
    ("intersectAttrs", Prim::Builtin(Builtin::IntersectAttrs)),
    ("makeOverridable", KnownPrim::MakeOverridable.prim()),
    ("makeExtensible", KnownPrim::MakeExtensible.prim()),
    ("extends", KnownPrim::Extends.prim()),
    ("singleton", KnownPrim::Singleton.prim()),
    ("splitString", KnownPrim::SplitString.prim()),
    ("concatStrings", KnownPrim::ConcatStrings.prim()),
    ("toLower", KnownPrim::ToLower.prim()),
    ("toUpper", KnownPrim::ToUpper.prim()),
];

pub fn make_lib(ev: &Evaluator) -> Value {
    let mut attrs = Attrs {
        incomplete: true,
        ..Attrs::default()
    };
    for (name, p) in LIB_FUNCTIONS {
        attrs.insert_value(name, p.value());
    }
    let types = super::types::make_types();
    attrs.insert_value("types", types);
    attrs.insert_value(
        "filesystem",
        attrs_of(
            &[
                ("listFilesRecursive", KnownPrim::ListFilesRecursive.value()),
                (
                    "packagesFromDirectoryRecursive",
                    KnownPrim::PackagesFromDirectoryRecursive.value(),
                ),
            ],
            true,
        ),
    );
    attrs.insert_value(
        "path",
        attrs_of(&[("append", KnownPrim::PathAppend.value())], true),
    );
    // Sub-namespaces expose the same functions (`lib.attrsets.mapAttrs`).
    let flat = Value::Attrs(Rc::new(attrs.clone()));
    for namespace in [
        "attrsets",
        "lists",
        "strings",
        "options",
        "modules",
        "trivial",
        "fixedPoints",
    ] {
        attrs.insert_value(namespace, flat.clone());
    }
    // `lib.extend f` extends this very lib.
    let base = ev.value_thunk(Value::Attrs(Rc::new(attrs.clone())), None);
    attrs.insert_value(
        "extend",
        Value::Prim(Rc::new(PrimApp {
            prim: KnownPrim::Extend.prim(),
            args: vec![base],
            call: None,
        })),
    );
    Value::Attrs(Rc::new(attrs))
}

fn flatten(ev: &Evaluator, thunk: &Thunk) -> Value {
    fn go(ev: &Evaluator, thunk: &Thunk, out: &mut Vec<Thunk>, partial: &mut bool, depth: u32) {
        if depth > 32 {
            return;
        }
        match ev.force(thunk) {
            Value::List(items) => {
                for item in items.iter() {
                    go(ev, item, out, partial, depth + 1);
                }
            }
            Value::PartialList(items) => {
                *partial = true;
                for item in items.iter() {
                    go(ev, item, out, partial, depth + 1);
                }
            }
            _ => out.push(thunk.clone()),
        }
    }
    match ev.force(thunk) {
        Value::List(_) | Value::PartialList(_) => {
            let mut out = Vec::new();
            let mut partial = false;
            go(ev, thunk, &mut out, &mut partial, 0);
            crate::eval::builtins::make_list(out, partial)
        }
        _ => Value::Unknown,
    }
}

fn recursive_update(ev: &Evaluator, left: &Value, right: &Value) -> Value {
    match (left, right) {
        (Value::Attrs(a), Value::Attrs(b)) => {
            let mut result = (**a).clone();
            result.incomplete |= b.incomplete;
            for (name, entry) in &b.entries {
                let merged = match result.entries.get(name) {
                    Some(existing) => {
                        let (l, r) = (ev.force(&existing.value), ev.force(&entry.value));
                        match (&l, &r) {
                            (Value::Attrs(_), Value::Attrs(_)) => {
                                let value = recursive_update(ev, &l, &r);
                                crate::eval::AttrEntry {
                                    value: ev.value_thunk(value, entry.value.loc()),
                                    ..entry.clone()
                                }
                            }
                            _ => entry.clone(),
                        }
                    }
                    None => entry.clone(),
                };
                result.entries.insert(name.clone(), merged);
            }
            Value::Attrs(Rc::new(result))
        }
        _ => ev.update(left, right),
    }
}

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, prim: KnownPrim) -> Value {
    let a = &app.args;
    match prim {
        KnownPrim::Id => ev.force(&a[0]),
        KnownPrim::Flatten => flatten(ev, &a[0]),
        KnownPrim::Foldr => {
            let Some(items) = list(ev, &a[2]) else {
                return Value::Unknown;
            };
            let function = ev.force(&a[0]);
            let mut accumulator = a[1].clone();
            for item in items.iter().rev() {
                let partial = ev.apply(&function, item.clone(), None);
                let next = ev.apply(&partial, accumulator, None);
                accumulator = ev.value_thunk(next, None);
            }
            ev.force(&accumulator)
        }
        KnownPrim::MapAttrsPrime => match attrs(ev, &a[1]) {
            Some(set) => {
                let function = ev.force(&a[0]);
                let mut result = Attrs {
                    incomplete: set.incomplete,
                    ..Attrs::default()
                };
                for (name, entry) in set.entries.iter() {
                    let name_thunk = ev.value_thunk(Value::Str(name.clone()), None);
                    let partial = ev.apply(&function, name_thunk, None);
                    let pair = ev.apply(&partial, entry.value.clone(), None);
                    let Value::Attrs(pair) = pair else {
                        result.incomplete = true;
                        continue;
                    };
                    match (pair.get("name"), pair.get("value")) {
                        (Some(new_name), Some(value)) => match string(ev, &new_name.value) {
                            Some(new_name) => {
                                result.entries.insert(
                                    new_name,
                                    crate::eval::AttrEntry {
                                        value: value.value.clone(),
                                        key: entry.key,
                                        path_range: None,
                                    },
                                );
                            }
                            None => result.incomplete = true,
                        },
                        _ => result.incomplete = true,
                    }
                }
                Value::Attrs(Rc::new(result))
            }
            None => Value::Unknown,
        },
        KnownPrim::MapAttrsToList => match attrs(ev, &a[1]) {
            Some(set) if !set.incomplete => Value::List(Rc::new(
                set.entries
                    .iter()
                    .map(|(name, entry)| {
                        let name_thunk = ev.value_thunk(Value::Str(name.clone()), None);
                        let partial = ev.apply_thunk(a[0].clone(), name_thunk);
                        ev.apply_thunk(partial, entry.value.clone())
                    })
                    .collect(),
            )),
            _ => Value::Unknown,
        },
        KnownPrim::NameValuePair => {
            let mut result = Attrs::default();
            result.insert_thunk("name", a[0].clone());
            result.insert_thunk("value", a[1].clone());
            Value::Attrs(Rc::new(result))
        }
        KnownPrim::FilterAttrs => match attrs(ev, &a[1]) {
            Some(set) => {
                let function = ev.force(&a[0]);
                let mut result = (*set).clone();
                result.marker = None;
                result.entries.retain(|name, entry| {
                    let name_thunk = ev.value_thunk(Value::Str(name.clone()), None);
                    let partial = ev.apply(&function, name_thunk, None);
                    !matches!(
                        ev.apply(&partial, entry.value.clone(), None),
                        Value::Bool(false)
                    )
                });
                Value::Attrs(Rc::new(result))
            }
            None => Value::Unknown,
        },
        KnownPrim::GenAttrs => match list(ev, &a[0]) {
            Some(names) => {
                let mut result = Attrs::default();
                for name in names.iter() {
                    match string(ev, name) {
                        Some(text) => {
                            let value = ev.apply_thunk(a[1].clone(), name.clone());
                            result.entries.insert(
                                text,
                                crate::eval::AttrEntry {
                                    value,
                                    key: name.loc(),
                                    path_range: None,
                                },
                            );
                        }
                        None => result.incomplete = true,
                    }
                }
                Value::Attrs(Rc::new(result))
            }
            None => Value::Unknown,
        },
        KnownPrim::HasSuffix | KnownPrim::HasPrefix => match (string(ev, &a[0]), string(ev, &a[1]))
        {
            (Some(affix), Some(text)) => Value::Bool(if prim == KnownPrim::HasSuffix {
                text.ends_with(&*affix)
            } else {
                text.starts_with(&*affix)
            }),
            _ => Value::Unknown,
        },
        KnownPrim::RemoveSuffix | KnownPrim::RemovePrefix => {
            match (string(ev, &a[0]), string(ev, &a[1])) {
                (Some(affix), Some(text)) => Value::str(if prim == KnownPrim::RemoveSuffix {
                    text.strip_suffix(&*affix).unwrap_or(&text)
                } else {
                    text.strip_prefix(&*affix).unwrap_or(&text)
                }),
                _ => Value::AnyStr,
            }
        }
        KnownPrim::RecursiveUpdate => recursive_update(ev, &ev.force(&a[0]), &ev.force(&a[1])),
        KnownPrim::OptionalAttrs => match ev.force(&a[0]) {
            Value::Bool(false) => Value::Attrs(Rc::default()),
            // Unknown conditions count as true: a definition that may apply
            // is still checked, and imports that may happen are followed.
            _ => ev.force(&a[1]),
        },
        KnownPrim::Optionals => match ev.force(&a[0]) {
            Value::Bool(false) => Value::List(Rc::default()),
            _ => ev.force(&a[1]),
        },
        KnownPrim::Optional => match ev.force(&a[0]) {
            Value::Bool(false) => Value::List(Rc::default()),
            _ => Value::List(Rc::new(vec![a[1].clone()])),
        },
        KnownPrim::OptionalString => match ev.force(&a[0]) {
            Value::Bool(false) => Value::str(""),
            Value::Bool(true) => ev.force(&a[1]),
            _ => Value::AnyStr,
        },
        KnownPrim::Const => ev.force(&a[0]),
        KnownPrim::Flip => {
            let function = ev.force(&a[0]);
            let partial = ev.apply(&function, a[2].clone(), None);
            ev.apply(&partial, a[1].clone(), None)
        }
        KnownPrim::Pipe => {
            let Some(functions) = list(ev, &a[1]) else {
                return Value::Unknown;
            };
            let mut current = a[0].clone();
            for function in functions.iter() {
                let function = ev.force(function);
                let next = ev.apply(&function, current, None);
                current = ev.value_thunk(next, None);
            }
            ev.force(&current)
        }
        KnownPrim::ListFilesRecursive => match ev.force(&a[0]) {
            Value::Path(dir) => {
                let prefix = format!("{}/", dir.trim_end_matches('/'));
                let files = ev.db.workspace().files(ev.db);
                let items = files
                    .range(prefix.clone()..)
                    .take_while(|(path, _)| path.starts_with(&prefix))
                    .map(|(path, _)| ev.value_thunk(Value::Path(path.as_str().into()), None))
                    .collect();
                Value::List(Rc::new(items))
            }
            _ => Value::Unknown,
        },
        KnownPrim::Extend => {
            // lib.extend (final: prev: { … }) = prev // f final prev.
            let base = ev.force(&a[0]);
            let function = ev.force(&a[1]);
            let placeholder = ev.value_thunk(Value::Unknown, None);
            let base_thunk = ev.value_thunk(base.clone(), None);
            let partial = ev.apply(&function, placeholder.clone(), None);
            let extension = ev.apply(&partial, base_thunk, None);
            let result = ev.update(&base, &extension);
            *placeholder.0.state.borrow_mut() = crate::eval::ThunkState::Done(result.clone());
            result
        }
        KnownPrim::Fix => {
            let function = ev.force(&a[0]);
            let placeholder = ev.value_thunk(Value::Unknown, None);
            let result = ev.apply(&function, placeholder.clone(), None);
            *placeholder.0.state.borrow_mut() = crate::eval::ThunkState::Done(result.clone());
            result
        }
        KnownPrim::Range => match (ev.force(&a[0]), ev.force(&a[1])) {
            (Value::Int(first), Value::Int(last)) if last - first <= 10_000 => {
                Value::List(Rc::new(
                    (first..=last)
                        .map(|i| ev.value_thunk(Value::Int(i), None))
                        .collect(),
                ))
            }
            _ => Value::Unknown,
        },
        KnownPrim::ConcatMapAttrs => concat_map_attrs(ev, &a[0], &a[1]),
        KnownPrim::Collect => {
            let mut out = Vec::new();
            let function = ev.force(&a[0]);
            match collect(ev, &function, &a[1], &mut out, 0) {
                true => Value::List(Rc::new(out)),
                false => Value::Unknown,
            }
        }
        KnownPrim::PathIsDirectory => match ev.force(&a[0]) {
            Value::Path(path) => {
                if flakelens_db::is_directory(ev.db, &path) {
                    Value::Bool(true)
                } else if flakelens_db::file_at(ev.db, &path).is_some() || path.ends_with(".nix") {
                    Value::Bool(false)
                } else {
                    // Only .nix files are loaded: an empty-looking folder may exist.
                    Value::Unknown
                }
            }
            _ => Value::Unknown,
        },
        // lib.forEach list f = map f list
        KnownPrim::ForEach => match list(ev, &a[0]) {
            Some(items) => Value::List(Rc::new(
                items
                    .iter()
                    .map(|item| ev.apply_thunk(a[1].clone(), item.clone()))
                    .collect(),
            )),
            None => Value::Unknown,
        },
        KnownPrim::MapAttrsRecursive => map_attrs_recursive(ev, None, &a[0], &a[1], &[], 0),
        KnownPrim::MapAttrsRecursiveCond => {
            map_attrs_recursive(ev, Some(&a[0]), &a[1], &a[2], &[], 0)
        }
        // lib.path.append ./dir "name"
        KnownPrim::PathAppend => match (ev.force(&a[0]), ev.force(&a[1])) {
            (Value::Path(base), Value::Str(name)) if !name.starts_with('/') => {
                match flakelens_db::paths::join(&base, &name) {
                    Some(joined) => Value::Path(joined.into()),
                    None => Value::Unknown,
                }
            }
            _ => Value::Unknown,
        },
        #[allow(unreachable_patterns)]
        _ => unreachable!("{prim:?} is dispatched elsewhere"),
    }
}

/// `lib.collect pred value`: `[ value ]` when `pred value`, else the
/// collected values of its attributes (in name order). Values the predicate
/// cannot decide on are skipped unless they are attrsets, which are walked;
/// returns false when the walk meets a value it cannot see.
fn collect(ev: &Evaluator, pred: &Value, value: &Thunk, out: &mut Vec<Thunk>, depth: u32) -> bool {
    if depth > 32 || out.len() > 20_000 {
        return false;
    }
    match ev.apply(pred, value.clone(), None) {
        Value::Bool(true) => {
            out.push(value.clone());
            return true;
        }
        Value::Bool(false) => {}
        _ => {}
    }
    match ev.force(value) {
        Value::Attrs(set) => {
            let mut known = !set.incomplete;
            for entry in set.entries.values() {
                known &= collect(ev, pred, &entry.value, out, depth + 1);
            }
            known
        }
        Value::Unknown | Value::Config(_) | Value::Pkgs(_) | Value::Input(_) => false,
        _ => true,
    }
}

/// `mapAttrsRecursiveCond cond f set`: `f path value` at every leaf, where
/// a leaf is a non-attrset or an attrset `cond` refuses to descend into.
fn map_attrs_recursive(
    ev: &Evaluator,
    cond: Option<&Thunk>,
    function: &Thunk,
    set: &Thunk,
    path: &[crate::eval::Name],
    depth: u32,
) -> Value {
    let Some(set) = attrs(ev, set) else {
        return Value::Unknown;
    };
    if depth > 32 {
        return Value::Unknown;
    }
    let mut result = (*set).clone();
    result.marker = None;
    for (name, entry) in result.entries.iter_mut() {
        let mut child_path = path.to_vec();
        child_path.push(name.clone());
        let value = ev.force(&entry.value);
        let descend = match &value {
            Value::Attrs(_) => match cond {
                None => Some(true),
                Some(cond) => match ev.force(&ev.apply_thunk(cond.clone(), entry.value.clone())) {
                    Value::Bool(b) => Some(b),
                    _ => None,
                },
            },
            _ => Some(false),
        };
        entry.value = match descend {
            Some(true) => ev.value_thunk(
                map_attrs_recursive(ev, cond, function, &entry.value, &child_path, depth + 1),
                entry.value.loc(),
            ),
            Some(false) => {
                let path_value = Value::List(Rc::new(
                    child_path
                        .iter()
                        .map(|segment| ev.value_thunk(Value::Str(segment.clone()), None))
                        .collect(),
                ));
                let partial = ev.apply_thunk(function.clone(), ev.value_thunk(path_value, None));
                ev.apply_thunk(partial, entry.value.clone())
            }
            None => ev.value_thunk(Value::Unknown, entry.value.loc()),
        };
    }
    Value::Attrs(Rc::new(result))
}

/// `lib.concatMapAttrs f attrs`: the union of `f name value` for every
/// attribute.
pub fn concat_map_attrs(ev: &Evaluator, function: &Thunk, set: &Thunk) -> Value {
    let Value::Attrs(set) = ev.force(set) else {
        return Value::Unknown;
    };
    let function = ev.force(function);
    let mut result = Attrs {
        incomplete: set.incomplete,
        ..Attrs::default()
    };
    for (name, entry) in &set.entries {
        let name_thunk = ev.value_thunk(Value::Str(name.clone()), None);
        let partial = ev.apply(&function, name_thunk, None);
        match ev.apply(&partial, entry.value.clone(), None) {
            Value::Attrs(part) => {
                result.incomplete |= part.incomplete;
                for (key, value) in &part.entries {
                    result.entries.insert(key.clone(), value.clone());
                }
            }
            _ => result.incomplete = true,
        }
    }
    Value::Attrs(Rc::new(result))
}
