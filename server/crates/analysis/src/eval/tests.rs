//! Unit tests of the evaluator alone (the [`Bare`] registry): the Nix
//! language works without any ecosystem knowledge, and what needs it is
//! unknown.

use std::sync::Arc;

use flakelens_db::{Db, RootDatabase, SourceFile};
use salsa::Setter;

use super::{Bare, Evaluator, Sink, Value};

fn db(text: &str) -> RootDatabase {
    let mut db = RootDatabase::default();
    let file = SourceFile::new(&db, "/main.nix".to_string(), Arc::from(text));
    let map = [("/main.nix".to_string(), file)].into_iter().collect();
    db.workspace().set_files(&mut db).to(Arc::new(map));
    db
}

fn eval_int(text: &str) -> Option<i64> {
    let db = db(text);
    let ev = Evaluator::new(&db, &Bare);
    match ev.import("/main.nix") {
        Value::Int(n) => Some(n),
        _ => None,
    }
}

#[test]
fn the_language_needs_no_registry() {
    assert_eq!(eval_int("let f = x: x * 2; in f 21"), Some(42));
    assert_eq!(
        eval_int("builtins.length (builtins.attrNames { a = 1; b = 2; })"),
        Some(2)
    );
    assert_eq!(eval_int("rec { a = b; b = 3; }.a"), Some(3));
    assert_eq!(eval_int("with { x = 5; }; x"), Some(5));
}

#[test]
fn ecosystem_names_are_unknown_without_a_registry() {
    // `lib` comes from the registry: the bare one knows none.
    let db = db("let lib = (import <nixpkgs> {}).lib; in lib.mkIf true 1");
    let ev = Evaluator::new(&db, &Bare);
    assert!(matches!(ev.import("/main.nix"), Value::Unknown));
    assert_eq!(eval_int("{ pkgs }: pkgs.hello"), None);
}

#[test]
fn the_sink_returns_observations_by_type_in_order() {
    let mut sink = Sink::default();
    sink.push(1u32);
    sink.push("a");
    sink.push(2u32);
    assert_eq!(sink.count::<u32>(), 2);
    assert_eq!(sink.get::<u32>(1), Some(2));
    assert_eq!(sink.get::<&str>(0), Some("a"));
    assert_eq!(sink.get::<u32>(2), None);
}
