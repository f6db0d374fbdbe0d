//! flake-utils: `eachDefaultSystem`, `eachSystem`.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::tables::FLAKE_UTILS_DEFAULT_SYSTEMS;
use super::KnownPrim;
use crate::eval::builtins::{list, string};
use crate::eval::{Attrs, Evaluator, PrimApp, Thunk, Value};

fn each_system(ev: &Evaluator, systems: &[Thunk], function: &Thunk) -> Value {
    // flake-utils: { packages.<system> = (f system).packages; … }
    let Some(first) = systems.first() else {
        return Value::Unknown;
    };
    let sample = ev.force(&ev.apply_thunk(function.clone(), first.clone()));
    let Value::Attrs(sample) = sample else {
        return Value::Unknown;
    };
    let mut result = Attrs {
        incomplete: sample.incomplete,
        ..Attrs::default()
    };
    for output in sample.entries.keys() {
        let mut per_system = BTreeMap::new();
        for system in systems {
            let Some(name) = string(ev, system) else {
                continue;
            };
            let applied = ev.apply_thunk(function.clone(), system.clone());
            let selected = ev.select_thunk(applied, output.clone(), None);
            per_system.insert(name, selected);
        }
        let mut attrs = Attrs::default();
        for (name, thunk) in per_system {
            attrs.insert_thunk(&name, thunk);
        }
        result.insert_value(output, Value::Attrs(Rc::new(attrs)));
    }
    Value::Attrs(Rc::new(result))
}

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, prim: KnownPrim) -> Value {
    let a = &app.args;
    match prim {
        KnownPrim::EachDefaultSystem => each_system(
            ev,
            &FLAKE_UTILS_DEFAULT_SYSTEMS.map(|s| ev.value_thunk(Value::str(s), None)),
            &a[0],
        ),
        KnownPrim::EachSystem => match list(ev, &a[0]) {
            Some(systems) => each_system(ev, &systems, &a[1]),
            None => Value::Unknown,
        },
        #[allow(unreachable_patterns)]
        _ => unreachable!("{prim:?} is dispatched elsewhere"),
    }
}
