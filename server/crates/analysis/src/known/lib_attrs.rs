//! nixpkgs `lib` functions on attrsets and functions that repo libraries
//! are built from: `mergeAttrsList`, `mergeAttrs`,
//! `makeOverridable` (+ `.override`), `makeExtensible`
//! (+ `.extend`), `singleton`, and the string helpers host names are
//! split with (`splitString`, `concatStrings`, `toLower`, `toUpper`).

use std::rc::Rc;

use super::KnownPrim;
use crate::eval::builtins::{list_partial, string};
use crate::eval::{Attrs, Evaluator, PrimApp, SystemValue, Thunk, Value};

fn prim_app(prim: KnownPrim, args: Vec<Thunk>) -> Value {
    Value::Prim(Rc::new(PrimApp {
        prim: prim.prim(),
        args,
        call: None,
    }))
}

/// `lib.mergeAttrsList [ a b … ]` = `a // b // …`; unknown items keep the
/// known keys and make the result incomplete.
fn merge_attrs_list(ev: &Evaluator, list: &Thunk) -> Value {
    let Some((items, partial)) = list_partial(ev, list) else {
        return Value::Unknown;
    };
    let mut result = Value::Attrs(Rc::new(Attrs {
        incomplete: partial,
        ..Attrs::default()
    }));
    for item in items.iter() {
        result = ev.update(&result, &ev.force(item));
    }
    result
}

/// `makeOverridable f args`: `f args`, with `.override new` calling
/// `makeOverridable f (args // new)` (a function of the old args too).
fn make_overridable(ev: &Evaluator, function: &Thunk, args: &Thunk) -> Value {
    let f = ev.force(function);
    let result = ev.apply(&f, args.clone(), None);
    let overrides = ev.value_thunk(
        prim_app(
            KnownPrim::OverrideWith,
            vec![function.clone(), args.clone()],
        ),
        None,
    );
    match result {
        Value::System(system) => Value::System(Rc::new(SystemValue {
            kind: system.kind,
            modules: system.modules.clone(),
            modules_incomplete: system.modules_incomplete,
            special_args: system.special_args.clone(),
            call: system.call,
            overrides: Some(overrides),
        })),
        Value::Attrs(attrs) => {
            let mut attrs = (*attrs).clone();
            attrs.insert_thunk("override", overrides);
            Value::Attrs(Rc::new(attrs))
        }
        other => other,
    }
}

fn override_with(ev: &Evaluator, function: &Thunk, args: &Thunk, new: &Thunk) -> Value {
    let old = ev.force(args);
    let new = match ev.force(new) {
        // `.override (old: { … })`
        Value::Lambda(_) | Value::Prim(_) => {
            let f = ev.force(new);
            ev.apply(&f, args.clone(), None)
        }
        other => other,
    };
    let merged = ev.value_thunk(ev.update(&old, &new), None);
    make_overridable(ev, function, &merged)
}

/// `makeExtensible rattrs`: `fix rattrs` with `.extend g` =
/// `makeExtensible (extends g rattrs)`.
fn make_extensible(ev: &Evaluator, rattrs: &Thunk) -> Value {
    let function = ev.force(rattrs);
    let placeholder = ev.value_thunk(Value::Unknown, None);
    let result = ev.apply(&function, placeholder.clone(), None);
    let result = match result {
        Value::Attrs(attrs) => {
            let mut attrs = (*attrs).clone();
            attrs.insert_value(
                "extend",
                prim_app(KnownPrim::ExtendExtensible, vec![rattrs.clone()]),
            );
            Value::Attrs(Rc::new(attrs))
        }
        other => other,
    };
    *placeholder.0.state.borrow_mut() = crate::eval::ThunkState::Done(result.clone());
    result
}

/// `extends g rattrs final` = `let prev = rattrs final; in prev // g final prev`.
fn extends(ev: &Evaluator, extension: &Thunk, rattrs: &Thunk, this: &Thunk) -> Value {
    let base = ev.force(rattrs);
    let prev = ev.apply(&base, this.clone(), None);
    let prev_thunk = ev.value_thunk(prev.clone(), None);
    let g = ev.force(extension);
    let partial = ev.apply(&g, this.clone(), None);
    let extension = ev.apply(&partial, prev_thunk, None);
    ev.update(&prev, &extension)
}

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, prim: KnownPrim) -> Value {
    let a = &app.args;
    match prim {
        KnownPrim::MergeAttrsList => merge_attrs_list(ev, &a[0]),
        KnownPrim::MergeAttrs => ev.update(&ev.force(&a[0]), &ev.force(&a[1])),
        KnownPrim::MakeOverridable => make_overridable(ev, &a[0], &a[1]),
        KnownPrim::OverrideWith => override_with(ev, &a[0], &a[1], &a[2]),
        KnownPrim::MakeExtensible => make_extensible(ev, &a[0]),
        KnownPrim::ExtendExtensible => {
            // `.extend g` of `makeExtensible rattrs`.
            let composed = ev.value_thunk(
                prim_app(KnownPrim::Extends, vec![a[1].clone(), a[0].clone()]),
                None,
            );
            make_extensible(ev, &composed)
        }
        KnownPrim::Extends => extends(ev, &a[0], &a[1], &a[2]),
        KnownPrim::Singleton => Value::List(Rc::new(vec![a[0].clone()])),
        KnownPrim::SplitString => match (string(ev, &a[0]), string(ev, &a[1])) {
            (Some(separator), Some(text)) if !separator.is_empty() => Value::List(Rc::new(
                text.split(&*separator)
                    .map(|part| ev.value_thunk(Value::str(part), None))
                    .collect(),
            )),
            _ => Value::Unknown,
        },
        KnownPrim::ConcatStrings => {
            let Some((items, false)) = list_partial(ev, &a[0]) else {
                return Value::AnyStr;
            };
            let mut out = String::new();
            for item in items.iter() {
                match string(ev, item) {
                    Some(part) => out.push_str(&part),
                    None => return Value::AnyStr,
                }
            }
            Value::str(&out)
        }
        KnownPrim::ToLower | KnownPrim::ToUpper => match string(ev, &a[0]) {
            Some(text) if prim == KnownPrim::ToLower => Value::str(&text.to_lowercase()),
            Some(text) => Value::str(&text.to_uppercase()),
            None => Value::AnyStr,
        },
        #[allow(unreachable_patterns)]
        _ => unreachable!("{prim:?} is dispatched elsewhere"),
    }
}
