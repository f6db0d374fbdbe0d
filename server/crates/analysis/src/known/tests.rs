//! Unit tests of the ecosystem layer: its primitives reach the evaluator
//! through the registry, with the arities of the table.

use std::sync::Arc;

use flakelens_db::{Db, RootDatabase, SourceFile};
use salsa::Setter;

use super::{evaluator, KnownPrim, ALL};
use crate::eval::{Prim, Value};

/// Evaluates `/main.nix`, a function of `lib`, applied to the registry's lib.
fn with_lib<T>(text: &str, check: impl FnOnce(&crate::eval::Evaluator, Value) -> T) -> T {
    let mut db = RootDatabase::default();
    let file = SourceFile::new(&db, "/main.nix".to_string(), Arc::from(text));
    let map = [("/main.nix".to_string(), file)].into_iter().collect();
    db.workspace().set_files(&mut db).to(Arc::new(map));
    let ev = evaluator(&db);
    let function = ev.import("/main.nix");
    let lib = ev.value_thunk(ev.lib(), None);
    let value = ev.apply(&function, lib, None);
    check(&ev, value)
}

#[test]
fn ids_round_trip_through_the_table() {
    for (index, prim) in ALL.iter().enumerate() {
        assert_eq!(*prim as usize, index);
        let Prim::Known(id) = prim.prim() else {
            panic!("{prim:?} is not a known primitive")
        };
        assert_eq!(KnownPrim::from_id(id), *prim);
    }
}

#[test]
fn lib_functions_come_from_the_registry() {
    let names = with_lib(
        "lib: lib.genAttrs [ \"a\" \"b\" ] (n: 1)",
        |_, value| match value {
            Value::Attrs(attrs) => attrs
                .entries
                .keys()
                .map(|k| k.to_string())
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        },
    );
    assert_eq!(names, ["a", "b"]);
    let length = with_lib(
        "lib: builtins.length (lib.optionals true [ 1 2 ])",
        |_, value| match value {
            Value::Int(n) => Some(n),
            _ => None,
        },
    );
    assert_eq!(length, Some(2));
}

#[test]
fn system_builders_make_systems() {
    let kind = with_lib(
        "lib: lib.nixosSystem { modules = [ ./a.nix ]; }",
        |_, value| match value {
            Value::System(system) => Some((system.kind, system.modules.len())),
            _ => None,
        },
    );
    assert_eq!(kind, Some((crate::HostKind::Nixos, 1)));
}

#[test]
fn mk_if_is_a_marked_wrapper() {
    let marker = with_lib("lib: lib.mkIf true { }", |_, value| match value {
        Value::Attrs(attrs) => attrs.marker,
        _ => None,
    });
    assert_eq!(marker, Some("if"));
}
