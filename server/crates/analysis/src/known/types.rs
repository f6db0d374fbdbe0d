//! nixpkgs `lib.types`: the named types, the type constructors and the
//! fixed-range integer types.

use std::rc::Rc;

use super::KnownPrim;
use crate::eval::builtins::{attrs, attrs_of, list, string};
use crate::eval::{Attrs, Evaluator, Prim, PrimApp, Thunk, TypeValue, Value};

const TYPE_FUNCTIONS: &[(&str, Prim)] = &[
    ("listOf", KnownPrim::ListOf.prim()),
    ("nonEmptyListOf", KnownPrim::ListOf.prim()),
    ("attrsOf", KnownPrim::AttrsOf.prim()),
    ("lazyAttrsOf", KnownPrim::AttrsOf.prim()),
    ("loaOf", KnownPrim::LoaOf.prim()),
    ("nullOr", KnownPrim::NullOr.prim()),
    ("either", KnownPrim::Either.prim()),
    ("oneOf", KnownPrim::OneOf.prim()),
    ("enum", KnownPrim::Enum.prim()),
    ("submodule", KnownPrim::Submodule.prim()),
    ("submoduleWith", KnownPrim::SubmoduleWith.prim()),
    ("strMatching", KnownPrim::StrMatching.prim()),
    ("separatedString", KnownPrim::SeparatedString.prim()),
    ("coercedTo", KnownPrim::CoercedTo.prim()),
    ("functionTo", KnownPrim::FunctionTo.prim()),
    ("uniq", KnownPrim::Uniq.prim()),
    ("unique", KnownPrim::Unique.prim()),
    ("addCheck", KnownPrim::AddCheck.prim()),
    ("mkOptionType", KnownPrim::MkOptionType.prim()),
];

/// Parameterless types by their `lib.types` name.
const NAMED_TYPES: &[&str] = &[
    "bool",
    "int",
    "float",
    "number",
    "str",
    "string",
    "nonEmptyStr",
    "singleLineStr",
    "lines",
    "commas",
    "envVar",
    "path",
    "pathInStore",
    "externalPath",
    "package",
    "anything",
    "unspecified",
    "raw",
    "attrs",
    "deferredModule",
    "shellPackage",
    "pkgs",
    "optionType",
    "luaInline",
];

fn int_type(name: &'static str, min: i64, max: i64) -> Value {
    Value::Type(Rc::new(TypeValue::Ints { name, min, max }))
}

pub(crate) fn make_types() -> Value {
    let mut attrs = Attrs {
        incomplete: true,
        ..Attrs::default()
    };
    for name in NAMED_TYPES {
        attrs.insert_value(name, Value::Type(Rc::new(TypeValue::Named(name))));
    }
    attrs.insert_value("port", int_type("port", 0, 65535));
    for (name, p) in TYPE_FUNCTIONS {
        attrs.insert_value(name, p.value());
    }
    let ints = [
        ("unsigned", 0, i64::MAX),
        ("positive", 1, i64::MAX),
        ("u8", 0, 255),
        ("u16", 0, 65535),
        ("u32", 0, 4294967295),
        ("s8", -128, 127),
        ("s16", -32768, 32767),
        ("s32", -2147483648, 2147483647),
    ];
    let mut ints_attrs: Vec<(&str, Value)> = ints
        .iter()
        .map(|(name, min, max)| (*name, int_type(name, *min, *max)))
        .collect();
    ints_attrs.push(("between", KnownPrim::IntsBetween.value()));
    attrs.insert_value("ints", attrs_of(&ints_attrs, true));
    attrs.insert_value(
        "numbers",
        attrs_of(
            &[
                ("between", Value::Type(Rc::new(TypeValue::Opaque))),
                (
                    "nonnegative",
                    Value::Type(Rc::new(TypeValue::Named("number"))),
                ),
                ("positive", Value::Type(Rc::new(TypeValue::Named("number")))),
            ],
            true,
        ),
    );
    Value::Attrs(Rc::new(attrs))
}

fn force_type(ev: &Evaluator, thunk: &Thunk) -> Rc<TypeValue> {
    match ev.force(thunk) {
        Value::Type(ty) => ty,
        _ => Rc::new(TypeValue::Opaque),
    }
}

pub(crate) fn ty(value: TypeValue) -> Value {
    Value::Type(Rc::new(value))
}

pub(crate) fn call(ev: &Evaluator, app: &PrimApp, prim: KnownPrim) -> Value {
    let a = &app.args;
    match prim {
        KnownPrim::ListOf => ty(TypeValue::ListOf(force_type(ev, &a[0]))),
        KnownPrim::AttrsOf => ty(TypeValue::AttrsOf(force_type(ev, &a[0]))),
        // Pre-2021 `loaOf`: an attrset, or a list of the same elements.
        KnownPrim::LoaOf => {
            let inner = force_type(ev, &a[0]);
            ty(TypeValue::Either(
                Rc::new(TypeValue::AttrsOf(inner.clone())),
                Rc::new(TypeValue::ListOf(inner)),
            ))
        }
        KnownPrim::NullOr => ty(TypeValue::NullOr(force_type(ev, &a[0]))),
        KnownPrim::Uniq => ty((*force_type(ev, &a[0])).clone()),
        KnownPrim::Unique | KnownPrim::AddCheck => {
            let index = if prim == KnownPrim::Unique { 1 } else { 0 };
            ty((*force_type(ev, &a[index])).clone())
        }
        KnownPrim::FunctionTo => ty(TypeValue::FunctionTo(force_type(ev, &a[0]))),
        KnownPrim::Either => ty(TypeValue::Either(
            force_type(ev, &a[0]),
            force_type(ev, &a[1]),
        )),
        KnownPrim::CoercedTo => ty(TypeValue::Either(
            force_type(ev, &a[0]),
            force_type(ev, &a[2]),
        )),
        KnownPrim::OneOf => match list(ev, &a[0]) {
            Some(items) => ty(TypeValue::OneOf(
                items.iter().map(|item| force_type(ev, item)).collect(),
            )),
            None => ty(TypeValue::Opaque),
        },
        KnownPrim::Enum => match list(ev, &a[0]) {
            Some(items) => {
                let values: Vec<Value> = items.iter().map(|item| ev.force(item)).collect();
                if values.iter().all(|v| {
                    matches!(
                        v,
                        Value::Str(_)
                            | Value::Int(_)
                            | Value::Bool(_)
                            | Value::Float(_)
                            | Value::Null
                    )
                }) {
                    ty(TypeValue::Enum(values))
                } else {
                    ty(TypeValue::Opaque)
                }
            }
            None => ty(TypeValue::Opaque),
        },
        KnownPrim::Submodule => ty(TypeValue::Submodule(match ev.force(&a[0]) {
            Value::List(modules) => modules.to_vec(),
            _ => vec![a[0].clone()],
        })),
        KnownPrim::SubmoduleWith => {
            match attrs(ev, &a[0]).and_then(|args| args.get("modules").cloned()) {
                Some(entry) => match list(ev, &entry.value) {
                    Some(modules) => ty(TypeValue::Submodule(modules.to_vec())),
                    None => ty(TypeValue::Opaque),
                },
                None => ty(TypeValue::Opaque),
            }
        }
        KnownPrim::StrMatching => match string(ev, &a[0]) {
            Some(pattern) => ty(TypeValue::StrMatching(pattern)),
            None => ty(TypeValue::Named("str")),
        },
        KnownPrim::SeparatedString => ty(TypeValue::Named("str")),
        KnownPrim::IntsBetween => match (ev.force(&a[0]), ev.force(&a[1])) {
            (Value::Int(min), Value::Int(max)) => ty(TypeValue::Ints {
                name: "between",
                min,
                max,
            }),
            _ => ty(TypeValue::Named("int")),
        },
        KnownPrim::MkOptionType => ty(TypeValue::Opaque),
        #[allow(unreachable_patterns)]
        _ => unreachable!("{prim:?} is dispatched elsewhere"),
    }
}
