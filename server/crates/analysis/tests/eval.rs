//! The bounded evaluator on small programs: what it knows, and that what it
//! does not know (or cannot afford) becomes `Unknown` instead of an error.

use std::sync::Arc;

use flakelens_analysis::eval::{Evaluator, Value};
use flakelens_db::{Db, RootDatabase, SourceFile};
use salsa::Setter;

fn database(files: &[(&str, &str)]) -> RootDatabase {
    let mut db = RootDatabase::default();
    let map = files
        .iter()
        .map(|(path, text)| {
            (
                path.to_string(),
                SourceFile::new(&db, path.to_string(), Arc::from(*text)),
            )
        })
        .collect();
    db.workspace().set_files(&mut db).to(Arc::new(map));
    db
}

/// Evaluates `/main.nix` and renders the result deeply (up to a depth).
fn eval(files: &[(&str, &str)], fuel: u64) -> String {
    let db = database(files);
    let ev = flakelens_analysis::known::evaluator_with_fuel(&db, fuel);
    let value = ev.import("/main.nix");
    render(&ev, &value, 4)
}

fn render(ev: &Evaluator, value: &Value, depth: u32) -> String {
    if depth == 0 {
        return "…".into();
    }
    match value {
        Value::Unknown => "?".into(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => format!("{s:?}"),
        Value::AnyStr => "\"?\"".into(),
        Value::Path(p) => p.to_string(),
        Value::List(items) => format!(
            "[ {} ]",
            items
                .iter()
                .map(|item| render(ev, &ev.force(item), depth - 1))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Value::Attrs(attrs) => {
            let mut parts: Vec<String> = attrs
                .entries
                .iter()
                .map(|(name, entry)| {
                    format!(
                        "{name} = {};",
                        render(ev, &ev.force(&entry.value), depth - 1)
                    )
                })
                .collect();
            if attrs.incomplete {
                parts.push("…".into());
            }
            format!("{{ {} }}", parts.join(" "))
        }
        Value::Config(path) => format!("config.{}", path.join(".")),
        Value::Pkgs(path) => format!("pkgs.{}", path.join(".")),
        Value::Lambda(_) | Value::Prim(_) => "<function>".into(),
        _ => "<other>".into(),
    }
}

fn main_only(text: &str) -> String {
    eval(&[("/main.nix", text)], 100_000)
}

#[test]
fn structure_is_evaluated() {
    assert_eq!(
        main_only("let a = 1; b = a + 1; in { inherit a b; c.d = b * 3; }"),
        "{ a = 1; b = 2; c = { d = 6; }; }"
    );
    assert_eq!(main_only("rec { a = b; b = 2; }"), "{ a = 2; b = 2; }");
    assert_eq!(
        main_only("{ a = 1; } // { b = 2; a = 3; }"),
        "{ a = 3; b = 2; }"
    );
    assert_eq!(main_only("[ 1 ] ++ [ \"x\" ]"), "[ 1 \"x\" ]");
    assert_eq!(
        main_only("let f = { a, b ? a + 1 }: b; in f { a = 1; }"),
        "2"
    );
    assert_eq!(
        main_only("let x = \"w\"; in \"a-${x}-${toString 3}\""),
        "\"a-w-3\""
    );
    assert_eq!(
        main_only("{ a.b = 1; a.c = 2; a = { d = 3; }; }"),
        "{ a = { b = 1; c = 2; d = 3; }; }"
    );
    assert_eq!(main_only("if 1 < 2 then \"yes\" else \"no\""), "\"yes\"");
    assert_eq!(main_only("{ x = 1; }.y or 5"), "5");
    assert_eq!(main_only("builtins.genList (i: i * 2) 3"), "[ 0 2 4 ]");
}

#[test]
fn lexical_bindings_win_over_with() {
    assert_eq!(
        main_only("let a = 1; in with { a = 2; b = 3; }; [ a b ]"),
        "[ 1 3 ]"
    );
    // The innermost `with` wins; an unknown namespace makes names unknown.
    assert_eq!(main_only("with { a = 1; }; with { a = 2; }; a"), "2");
    assert_eq!(main_only("{ u }: with u; a"), "<function>");
}

#[test]
fn unknowns_propagate_without_errors() {
    assert_eq!(main_only("builtins.currentTime + 1"), "?");
    assert_eq!(
        main_only("if builtins.currentSystem == \"x\" then 1 else 2"),
        "?"
    );
    assert_eq!(main_only("\"a${builtins.currentSystem}\""), "\"?\"");
    assert_eq!(main_only("throw \"boom\""), "?");
    assert_eq!(main_only("<nixpkgs>"), "?");
    // Infinite recursion is unknown, not a hang.
    assert_eq!(main_only("let a = a + 1; in a"), "?");
    assert_eq!(main_only("let f = x: f x; in f 1"), "?");
}

#[test]
fn fuel_bounds_work() {
    let program = "let go = n: if n == 0 then 0 else go (n - 1); in go 100000";
    let db = database(&[("/main.nix", program)]);
    let ev = flakelens_analysis::known::evaluator_with_fuel(&db, 5_000);
    assert!(matches!(ev.import("/main.nix"), Value::Unknown));
    assert!(ev.exhausted());
}

#[test]
fn imports_paths_and_read_dir_come_from_the_workspace() {
    let files = [
        ("/main.nix", "{ a = import ./lib.nix 2; dir = builtins.attrNames (builtins.readDir ./pkgs); p = ./pkgs + \"/x.nix\"; missing = import ./nope.nix; }"),
        ("/lib.nix", "n: n * 10"),
        ("/pkgs/x.nix", "{ }"),
        ("/pkgs/tools/y.nix", "{ }"),
    ];
    assert_eq!(
        eval(&files, 100_000),
        "{ a = 20; dir = [ \"tools\" \"x.nix\" ]; missing = ?; p = /pkgs/x.nix; }"
    );
}

#[test]
fn lib_functions_build_structure() {
    let text = r#"{ config, lib, pkgs, ... }: with lib; {
      g = genAttrs [ "a" "b" ] (n: n + "!");
      m = mapAttrs' (n: v: nameValuePair "x-${n}" v) { a = 1; };
      f = filterAttrs (n: v: v > 1) { a = 1; b = 2; };
      l = listToAttrs (map (n: { name = n; value = 0; }) [ "p" "q" ]);
      o = optionals false [ 1 ] ++ optional true 2;
      c = config.services.x.port;
      k = pkgs.hello;
    }"#;
    let db = database(&[("/main.nix", text)]);
    let ev = flakelens_analysis::known::evaluator(&db);
    let module = ev.import("/main.nix");
    let args = flakelens_analysis::module::module_args(&ev, &[]);
    let value = ev.apply(&module, args, None);
    assert_eq!(
        render(&ev, &value, 4),
        "{ c = config.services.x.port; f = { b = 2; }; g = { a = \"a!\"; b = \"b!\"; }; k = pkgs.hello; l = { p = 0; q = 0; }; m = { x-a = 1; }; o = [ 2 ]; }"
    );
}

#[test]
fn deep_recursion_in_programs_is_cut_off() {
    // 3000 nested lets: deeper than the evaluator's depth limit.
    let text = format!("{}1{}", "let a = ".repeat(3000), " in a".repeat(3000));
    let rendered = std::thread::Builder::new()
        .stack_size(flakelens_syntax::ANALYSIS_STACK_SIZE)
        .spawn(move || main_only(&text))
        .unwrap()
        .join()
        .unwrap();
    assert!(rendered == "1" || rendered == "?", "{rendered}");
}
