//! The module system's functions: `mkOption`, `mkEnableOption`,
//! `mkPackageOption`, the `mkIf`-style wrappers and priorities, literal
//! documentation values and the option-alias modules (`mkRenamedOptionModule`, …).

use std::rc::Rc;

use super::KnownPrim;
use crate::eval::builtins::{attrs, list, string};
use crate::eval::{Attrs, Evaluator, Name, PrimApp, Thunk, TypeValue, Value};
use crate::FileRange;

fn marked(marker: &'static str, entries: Vec<(&str, Thunk)>, call: Option<FileRange>) -> Value {
    let mut attrs = Attrs {
        marker: Some(marker),
        origin: call,
        ..Attrs::default()
    };
    attrs.insert_value("_type", Value::str(marker));
    for (name, thunk) in entries {
        attrs.insert_thunk(name, thunk);
    }
    Value::Attrs(Rc::new(attrs))
}

/// `mkOverride p v` / `mkOrder p v` with a known priority.
fn prioritised(
    ev: &Evaluator,
    marker: &'static str,
    priority: i64,
    content: &Thunk,
    call: Option<FileRange>,
) -> Value {
    marked(
        marker,
        vec![
            ("priority", ev.value_thunk(Value::Int(priority), None)),
            ("content", content.clone()),
        ],
        call,
    )
}

fn option_path(ev: &Evaluator, thunk: &Thunk) -> Option<Vec<Name>> {
    let items = list(ev, thunk)?;
    items.iter().map(|item| string(ev, item)).collect()
}

fn alias_module(
    ev: &Evaluator,
    froms: &[Vec<Name>],
    to: Option<Vec<Name>>,
    call: Option<FileRange>,
) -> Value {
    let path_value = |path: &[Name]| {
        Value::List(Rc::new(
            path.iter()
                .map(|segment| ev.value_thunk(Value::Str(segment.clone()), None))
                .collect(),
        ))
    };
    let mut result = Attrs {
        marker: Some("alias-module"),
        origin: call,
        ..Attrs::default()
    };
    result.insert_value(
        "from",
        Value::List(Rc::new(
            froms
                .iter()
                .map(|from| ev.value_thunk(path_value(from), None))
                .collect(),
        )),
    );
    if let Some(to) = to {
        result.insert_value("to", path_value(&to));
    }
    Value::Attrs(Rc::new(result))
}

fn with_entry(value: Value, name: &str, entry: Thunk) -> Value {
    match value {
        Value::Attrs(attrs) => {
            let mut attrs = (*attrs).clone();
            attrs.insert_thunk(name, entry);
            Value::Attrs(Rc::new(attrs))
        }
        other => other,
    }
}

fn mark_untyped(value: Value) -> Value {
    match value {
        Value::Attrs(attrs) => {
            let mut attrs = (*attrs).clone();
            attrs.insert_value("untyped", Value::Bool(true));
            Value::Attrs(Rc::new(attrs))
        }
        other => other,
    }
}

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, prim: KnownPrim) -> Value {
    let a = &app.args;
    let call = app.call;
    match prim {
        KnownPrim::MkOption => match ev.force(&a[0]) {
            Value::Attrs(set) => {
                let mut result = (*set).clone();
                result.marker = Some("option");
                result.origin = call;
                Value::Attrs(Rc::new(result))
            }
            _ => Value::Unknown,
        },
        KnownPrim::MkEnableOption => {
            let description = match ev.force(&a[0]) {
                Value::Str(name) => Value::Str(format!("Whether to enable {name}.").into()),
                _ => Value::AnyStr,
            };
            let mut result = Attrs {
                marker: Some("option"),
                origin: call,
                ..Attrs::default()
            };
            result.insert_value("type", super::types::ty(TypeValue::Named("bool")));
            result.insert_value("default", Value::Bool(false));
            result.insert_value("example", Value::Bool(true));
            result.insert_value("description", description);
            Value::Attrs(Rc::new(result))
        }
        KnownPrim::MkPackageOption => {
            // mkPackageOption pkgs "name" { default = [ "a" "b" ]; … }
            let name = match ev.force(&a[1]) {
                Value::Str(name) => Some(name),
                Value::List(parts) => {
                    let parts: Option<Vec<Rc<str>>> = parts.iter().map(|p| string(ev, p)).collect();
                    parts.map(|parts| parts.join(".").into())
                }
                _ => None,
            };
            let extra = attrs(ev, &a[2]);
            let default_path: Option<Vec<Name>> =
                match extra.as_ref().and_then(|e| e.get("default")) {
                    Some(entry) => match ev.force(&entry.value) {
                        Value::Str(s) => Some(s.split('.').map(Name::from).collect()),
                        Value::List(parts) => parts.iter().map(|p| string(ev, p)).collect(),
                        Value::Null => None,
                        _ => None,
                    },
                    None => name
                        .as_ref()
                        .map(|name| name.split('.').map(Name::from).collect()),
                };
            let mut result = Attrs {
                marker: Some("option"),
                origin: call,
                ..Attrs::default()
            };
            let nullable = extra
                .as_ref()
                .and_then(|e| e.get("nullable"))
                .map(|entry| matches!(ev.force(&entry.value), Value::Bool(true)))
                .unwrap_or(false);
            let package = super::types::ty(TypeValue::Named("package"));
            result.insert_value(
                "type",
                if nullable {
                    super::types::ty(TypeValue::NullOr(Rc::new(TypeValue::Named("package"))))
                } else {
                    package
                },
            );
            if let Some(default_path) = default_path {
                result.insert_value("default", Value::Pkgs(default_path.into()));
            }
            result.insert_value(
                "description",
                match &name {
                    Some(name) => Value::Str(format!("The {name} package to use.").into()),
                    None => Value::AnyStr,
                },
            );
            Value::Attrs(Rc::new(result))
        }
        KnownPrim::MkIf => marked(
            "if",
            vec![("condition", a[0].clone()), ("content", a[1].clone())],
            call,
        ),
        KnownPrim::MkMerge => marked("merge", vec![("contents", a[0].clone())], call),
        KnownPrim::MkOverride => match ev.force(&a[0]) {
            Value::Int(priority) => prioritised(ev, "override", priority, &a[1], call),
            _ => marked(
                "override",
                vec![("priority", a[0].clone()), ("content", a[1].clone())],
                call,
            ),
        },
        KnownPrim::MkDefault => prioritised(ev, "override", 1000, &a[0], call),
        KnownPrim::MkForce => prioritised(ev, "override", 50, &a[0], call),
        KnownPrim::MkOptionDefault => prioritised(ev, "override", 1500, &a[0], call),
        KnownPrim::MkBefore => prioritised(ev, "order", 500, &a[0], call),
        KnownPrim::MkAfter => prioritised(ev, "order", 1500, &a[0], call),
        KnownPrim::MkOrder => marked(
            "order",
            vec![("priority", a[0].clone()), ("content", a[1].clone())],
            call,
        ),
        KnownPrim::LiteralExpression => {
            marked("literalExpression", vec![("text", a[0].clone())], call)
        }
        KnownPrim::LiteralMd => marked("literalMD", vec![("text", a[0].clone())], call),
        KnownPrim::MdDoc => ev.force(&a[0]),
        KnownPrim::MkRenamedOptionModule
        | KnownPrim::MkAliasOptionModule
        | KnownPrim::MkChangedOptionModule => {
            match (option_path(ev, &a[0]), option_path(ev, &a[1])) {
                (Some(from), Some(to)) => {
                    let mut value = alias_module(ev, &[from], Some(to), call);
                    // mkAliasOptionModule is silent; the others warn.
                    if prim != KnownPrim::MkAliasOptionModule {
                        value = with_entry(value, "warn", ev.value_thunk(Value::Bool(true), None));
                    }
                    // A changed option transforms its value: the target's
                    // type says nothing about the old one.
                    if prim == KnownPrim::MkChangedOptionModule {
                        mark_untyped(value)
                    } else {
                        value
                    }
                }
                _ => Value::Unknown,
            }
        }
        KnownPrim::MkMergedOptionModule => {
            let froms: Option<Vec<Vec<Name>>> = list(ev, &a[0])
                .and_then(|items| items.iter().map(|item| option_path(ev, item)).collect());
            match (froms, option_path(ev, &a[1])) {
                (Some(froms), Some(to)) => mark_untyped(with_entry(
                    alias_module(ev, &froms, Some(to), call),
                    "warn",
                    ev.value_thunk(Value::Bool(true), None),
                )),
                _ => Value::Unknown,
            }
        }
        KnownPrim::MkRemovedOptionModule => match option_path(ev, &a[0]) {
            // The second argument is the upstream's instructions.
            Some(from) => with_entry(
                alias_module(ev, &[from], None, call),
                "message",
                a[1].clone(),
            ),
            None => Value::Unknown,
        },
        #[allow(unreachable_patterns)]
        _ => unreachable!("{prim:?} is dispatched elsewhere"),
    }
}

/// The plain attrsets a definition is made of: mkMerge parts, mkIf /
/// mkOverride / mkOrder contents (conditions not decided), seen through.
pub fn definition_parts(ev: &Evaluator, value: Value, out: &mut Vec<Value>, depth: u32) {
    if depth > 16 {
        return;
    }
    let Value::Attrs(attrs) = &value else {
        out.push(value);
        return;
    };
    match attrs.marker {
        Some("if") | Some("override") | Some("order") => {
            if let Some(entry) = attrs.get("content") {
                definition_parts(ev, ev.force(&entry.value), out, depth + 1);
            }
        }
        Some("merge") => {
            if let Some(Value::List(items)) = attrs.get("contents").map(|e| ev.force(&e.value)) {
                for item in items.iter() {
                    definition_parts(ev, ev.force(item), out, depth + 1);
                }
            }
        }
        _ => out.push(value),
    }
}
