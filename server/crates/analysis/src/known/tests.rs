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

fn attr_names(value: &Value) -> Vec<String> {
    match value {
        Value::Attrs(attrs) => attrs.entries.keys().map(|k| k.to_string()).collect(),
        _ => vec!["<not attrs>".into()],
    }
}

#[test]
fn unknown_parts_keep_the_known_parts() {
    // `[ known ] ++ unknown` keeps the known items, but the list is only
    // partial: `length` stays unknown.
    let (items, length) = with_lib(
        "lib: let l = [ 1 2 ] ++ lib.nope; in { inherit l; n = builtins.length l; m = map (x: x) l; }",
        |ev, value| {
            let attrs = value.as_attrs().unwrap().clone();
            let items = match ev.force(&attrs.get("m").unwrap().value) {
                Value::PartialList(items) => items.len(),
                _ => 0,
            };
            (items, ev.force(&attrs.get("n").unwrap().value).is_unknown())
        },
    );
    assert_eq!((items, length), (2, true));
    let merged = with_lib(
        "lib: lib.attrsets.mergeAttrsList [ { a = 1; } lib.nope { b = 2; } ]",
        |_, value| attr_names(&value),
    );
    assert_eq!(merged, ["a", "b"]);
}

#[test]
fn repo_lib_building_blocks() {
    let args = with_lib(
        "lib: builtins.intersectAttrs (builtins.functionArgs ({ a, b ? 1, ... }: a)) { a = 1; c = 2; }",
        |_, value| attr_names(&value),
    );
    assert_eq!(args, ["a"]);
    let extended = with_lib(
        "lib: (lib.makeExtensible (self: { a = 1; b = self.a; })).extend (final: prev: { c = prev.b; })",
        |ev, value| {
            let attrs = value.as_attrs().unwrap().clone();
            let c = ev.force(&attrs.get("c").unwrap().value);
            (attr_names(&value), matches!(c, Value::Int(1)))
        },
    );
    assert_eq!(extended.0, ["a", "b", "c", "extend"]);
    assert!(extended.1);
    let piped = with_lib(
        "lib: [ 1 ] |> map (x: { a = x; }) |> builtins.head",
        |_, v| attr_names(&v),
    );
    assert_eq!(piped, ["a"]);
    let overridden = with_lib(
        "lib: (lib.makeOverridable lib.nixosSystem { modules = [ ./a.nix ]; }).override (old: { modules = old.modules ++ [ ./b.nix ]; })",
        |_, value| match value {
            Value::System(system) => system.modules.len(),
            _ => 0,
        },
    );
    assert_eq!(overridden, 2);
}
