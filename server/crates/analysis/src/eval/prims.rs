//! Builtins and the `lib` functions the evaluator knows. Each returns
//! `Unknown` as soon as something it needs is unknown.

use std::collections::BTreeMap;
use std::rc::Rc;

use flakelens_db::paths;

use super::{Attrs, Evaluator, Name, PrimApp, SystemValue, Thunk, TypeValue, Value};
use crate::hosts::HostKind;

macro_rules! prims {
    ($($name:ident = $arity:expr),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Prim { $($name),* }
        impl Prim {
            pub fn arity(self) -> usize {
                match self { $(Prim::$name => $arity),* }
            }
        }
    };
}

prims! {
    // builtins
    Import = 1, Map = 2, Filter = 2, AttrNames = 1, AttrValues = 1, ListToAttrs = 1,
    HasAttr = 2, GetAttr = 2, Length = 1, Elem = 2, ElemAt = 2, Head = 1, Tail = 1,
    ConcatLists = 1, ConcatMap = 2, ToString = 1, ReadDir = 1, PathExists = 1,
    IsAttrs = 1, IsList = 1, IsString = 1, IsFunction = 1, IsBool = 1, IsInt = 1,
    IsPath = 1, IsNull = 1, BaseNameOf = 1, DirOf = 1, RemoveAttrs = 2, Foldl = 3,
    Foldr = 3, MapAttrs = 2, GenList = 2, Trace = 2, Seq = 2, Throw = 1, TypeOf = 1,
    CatAttrs = 2, All = 2, Any = 2, ConcatStringsSep = 2,
    // lib
    MkOption = 1, MkEnableOption = 1, MkPackageOption = 3, MkIf = 2, MkMerge = 1,
    MkOverride = 2, MkDefault = 1, MkForce = 1, MkOptionDefault = 1, MkBefore = 1,
    MkAfter = 1, MkOrder = 2, OptionalAttrs = 2, Optionals = 2, Optional = 2,
    OptionalString = 2, GenAttrs = 2, MapAttrsPrime = 2, MapAttrsToList = 2,
    NameValuePair = 2, FilterAttrs = 2, Flatten = 1, HasSuffix = 2, HasPrefix = 2,
    RemoveSuffix = 2, RemovePrefix = 2, RecursiveUpdate = 2, NixosSystem = 1,
    DarwinSystem = 1, HomeManagerConfiguration = 1, MkRenamedOptionModule = 2,
    MkAliasOptionModule = 2, MkRemovedOptionModule = 2, MkChangedOptionModule = 3,
    MkMergedOptionModule = 3, LiteralExpression = 1, LiteralMd = 1, MdDoc = 1, Id = 1,
    Const = 2, Flip = 3, Pipe = 2, ListFilesRecursive = 1,
    PackagesFromDirectoryRecursive = 1, CallPackage = 2, ImportNixpkgs = 1,
    EachDefaultSystem = 1, EachSystem = 2, MkFlake = 2, WithSystem = 2, Extend = 2,
    Fix = 1, ComposeManyExtensions = 1, ComposeExtensions = 2,
    // types
    ListOf = 1, AttrsOf = 1, NullOr = 1, Either = 2, OneOf = 1, Enum = 1, Submodule = 1,
    SubmoduleWith = 1, StrMatching = 1, SeparatedString = 1, IntsBetween = 2,
    CoercedTo = 3, FunctionTo = 1, Uniq = 1, Unique = 2, AddCheck = 2, MkOptionType = 1,
    // package engine (crate::packages)
    ComposedOverlay = 3, PkgsExtend = 1, ConcatMapAttrs = 2,
    // data files
    ReadFile = 1, FromToml = 1, FromJson = 1,
    Range = 2, PathAppend = 2, MapAttrsRecursive = 2, MapAttrsRecursiveCond = 3, LoaOf = 1,
}

fn prim(prim: Prim) -> Value {
    Value::Prim(Rc::new(PrimApp {
        prim,
        args: Vec::new(),
        call: None,
    }))
}

/// A global name (usable without `builtins.`).
pub fn global(ev: &Evaluator, name: &str) -> Option<Value> {
    Some(match name {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        "builtins" => ev.builtins(),
        "import" => prim(Prim::Import),
        "map" => prim(Prim::Map),
        "toString" => prim(Prim::ToString),
        "baseNameOf" => prim(Prim::BaseNameOf),
        "dirOf" => prim(Prim::DirOf),
        "isNull" => prim(Prim::IsNull),
        "removeAttrs" => prim(Prim::RemoveAttrs),
        "throw" | "abort" => prim(Prim::Throw),
        _ => return None,
    })
}

fn attrs_of(entries: &[(&str, Value)], incomplete: bool) -> Value {
    let mut attrs = Attrs {
        incomplete,
        ..Attrs::default()
    };
    for (name, value) in entries {
        attrs.insert_value(name, value.clone());
    }
    Value::Attrs(Rc::new(attrs))
}

pub fn make_builtins(_ev: &Evaluator) -> Value {
    let entries = [
        ("import", Prim::Import),
        ("map", Prim::Map),
        ("filter", Prim::Filter),
        ("attrNames", Prim::AttrNames),
        ("attrValues", Prim::AttrValues),
        ("listToAttrs", Prim::ListToAttrs),
        ("hasAttr", Prim::HasAttr),
        ("getAttr", Prim::GetAttr),
        ("length", Prim::Length),
        ("elem", Prim::Elem),
        ("elemAt", Prim::ElemAt),
        ("head", Prim::Head),
        ("tail", Prim::Tail),
        ("concatLists", Prim::ConcatLists),
        ("concatMap", Prim::ConcatMap),
        ("toString", Prim::ToString),
        ("readDir", Prim::ReadDir),
        ("pathExists", Prim::PathExists),
        ("isAttrs", Prim::IsAttrs),
        ("isList", Prim::IsList),
        ("isString", Prim::IsString),
        ("isFunction", Prim::IsFunction),
        ("isBool", Prim::IsBool),
        ("isInt", Prim::IsInt),
        ("isPath", Prim::IsPath),
        ("isNull", Prim::IsNull),
        ("baseNameOf", Prim::BaseNameOf),
        ("dirOf", Prim::DirOf),
        ("removeAttrs", Prim::RemoveAttrs),
        ("foldl'", Prim::Foldl),
        ("mapAttrs", Prim::MapAttrs),
        ("genList", Prim::GenList),
        ("trace", Prim::Trace),
        ("seq", Prim::Seq),
        ("deepSeq", Prim::Seq),
        ("throw", Prim::Throw),
        ("abort", Prim::Throw),
        ("typeOf", Prim::TypeOf),
        ("catAttrs", Prim::CatAttrs),
        ("all", Prim::All),
        ("any", Prim::Any),
        ("concatStringsSep", Prim::ConcatStringsSep),
        ("readFile", Prim::ReadFile),
        ("fromTOML", Prim::FromToml),
        ("fromJSON", Prim::FromJson),
    ];
    let values: Vec<(&str, Value)> = entries.iter().map(|(name, p)| (*name, prim(*p))).collect();
    attrs_of(&values, true)
}

const LIB_FUNCTIONS: &[(&str, Prim)] = &[
    ("mkOption", Prim::MkOption),
    ("mkEnableOption", Prim::MkEnableOption),
    ("mkPackageOption", Prim::MkPackageOption),
    ("mkPackageOptionMD", Prim::MkPackageOption),
    ("mkIf", Prim::MkIf),
    ("mkMerge", Prim::MkMerge),
    ("mkOverride", Prim::MkOverride),
    ("mkDefault", Prim::MkDefault),
    ("mkForce", Prim::MkForce),
    ("mkVMOverride", Prim::MkForce),
    ("mkImageMediaOverride", Prim::MkForce),
    ("mkOptionDefault", Prim::MkOptionDefault),
    ("mkBefore", Prim::MkBefore),
    ("mkAfter", Prim::MkAfter),
    ("mkOrder", Prim::MkOrder),
    ("optionalAttrs", Prim::OptionalAttrs),
    ("optionals", Prim::Optionals),
    ("optional", Prim::Optional),
    ("optionalString", Prim::OptionalString),
    ("genAttrs", Prim::GenAttrs),
    ("mapAttrs", Prim::MapAttrs),
    ("mapAttrsRecursive", Prim::MapAttrsRecursive),
    ("mapAttrsRecursiveCond", Prim::MapAttrsRecursiveCond),
    ("mapAttrs'", Prim::MapAttrsPrime),
    ("mapAttrsToList", Prim::MapAttrsToList),
    ("nameValuePair", Prim::NameValuePair),
    ("filterAttrs", Prim::FilterAttrs),
    ("listToAttrs", Prim::ListToAttrs),
    ("attrNames", Prim::AttrNames),
    ("attrValues", Prim::AttrValues),
    ("map", Prim::Map),
    ("filter", Prim::Filter),
    ("concatMap", Prim::ConcatMap),
    ("concatLists", Prim::ConcatLists),
    ("flatten", Prim::Flatten),
    ("foldl'", Prim::Foldl),
    ("foldl", Prim::Foldl),
    ("foldr", Prim::Foldr),
    ("elem", Prim::Elem),
    ("elemAt", Prim::ElemAt),
    ("head", Prim::Head),
    ("tail", Prim::Tail),
    ("length", Prim::Length),
    ("hasSuffix", Prim::HasSuffix),
    ("hasPrefix", Prim::HasPrefix),
    ("removeSuffix", Prim::RemoveSuffix),
    ("removePrefix", Prim::RemovePrefix),
    ("recursiveUpdate", Prim::RecursiveUpdate),
    ("nixosSystem", Prim::NixosSystem),
    ("darwinSystem", Prim::DarwinSystem),
    ("homeManagerConfiguration", Prim::HomeManagerConfiguration),
    ("mkRenamedOptionModule", Prim::MkRenamedOptionModule),
    ("mkRenamedOptionModuleWith", Prim::MkRemovedOptionModule),
    ("mkAliasOptionModule", Prim::MkAliasOptionModule),
    ("mkAliasOptionModuleMD", Prim::MkAliasOptionModule),
    ("mkRemovedOptionModule", Prim::MkRemovedOptionModule),
    ("mkChangedOptionModule", Prim::MkChangedOptionModule),
    ("mkMergedOptionModule", Prim::MkMergedOptionModule),
    ("literalExpression", Prim::LiteralExpression),
    ("literalExample", Prim::LiteralExpression),
    ("literalMD", Prim::LiteralMd),
    ("mdDoc", Prim::MdDoc),
    ("id", Prim::Id),
    ("const", Prim::Const),
    ("flip", Prim::Flip),
    ("pipe", Prim::Pipe),
    ("toString", Prim::ToString),
    ("genList", Prim::GenList),
    ("range", Prim::Range),
    ("concatStringsSep", Prim::ConcatStringsSep),
    ("removeAttrs", Prim::RemoveAttrs),
    ("hasAttr", Prim::HasAttr),
    ("getAttr", Prim::GetAttr),
    ("all", Prim::All),
    ("any", Prim::Any),
    ("catAttrs", Prim::CatAttrs),
    ("isAttrs", Prim::IsAttrs),
    ("isList", Prim::IsList),
    ("isString", Prim::IsString),
    ("isFunction", Prim::IsFunction),
    ("isBool", Prim::IsBool),
    ("isInt", Prim::IsInt),
    ("trace", Prim::Trace),
    ("seq", Prim::Seq),
    ("throw", Prim::Throw),
    ("fix", Prim::Fix),
    ("composeManyExtensions", Prim::ComposeManyExtensions),
    ("composeExtensions", Prim::ComposeExtensions),
    ("concatMapAttrs", Prim::ConcatMapAttrs),
    (
        "packagesFromDirectoryRecursive",
        Prim::PackagesFromDirectoryRecursive,
    ),
    ("callPackageWith", Prim::Const),
    ("eachDefaultSystem", Prim::EachDefaultSystem),
    ("eachSystem", Prim::EachSystem),
    ("mkFlake", Prim::MkFlake),
];

const TYPE_FUNCTIONS: &[(&str, Prim)] = &[
    ("listOf", Prim::ListOf),
    ("nonEmptyListOf", Prim::ListOf),
    ("attrsOf", Prim::AttrsOf),
    ("lazyAttrsOf", Prim::AttrsOf),
    ("loaOf", Prim::LoaOf),
    ("nullOr", Prim::NullOr),
    ("either", Prim::Either),
    ("oneOf", Prim::OneOf),
    ("enum", Prim::Enum),
    ("submodule", Prim::Submodule),
    ("submoduleWith", Prim::SubmoduleWith),
    ("strMatching", Prim::StrMatching),
    ("separatedString", Prim::SeparatedString),
    ("coercedTo", Prim::CoercedTo),
    ("functionTo", Prim::FunctionTo),
    ("uniq", Prim::Uniq),
    ("unique", Prim::Unique),
    ("addCheck", Prim::AddCheck),
    ("mkOptionType", Prim::MkOptionType),
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

fn make_types() -> Value {
    let mut attrs = Attrs {
        incomplete: true,
        ..Attrs::default()
    };
    for name in NAMED_TYPES {
        attrs.insert_value(name, Value::Type(Rc::new(TypeValue::Named(name))));
    }
    attrs.insert_value("port", int_type("port", 0, 65535));
    for (name, p) in TYPE_FUNCTIONS {
        attrs.insert_value(name, prim(*p));
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
    ints_attrs.push(("between", prim(Prim::IntsBetween)));
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

pub fn make_lib(ev: &Evaluator) -> Value {
    let mut attrs = Attrs {
        incomplete: true,
        ..Attrs::default()
    };
    for (name, p) in LIB_FUNCTIONS {
        attrs.insert_value(name, prim(*p));
    }
    let types = make_types();
    attrs.insert_value("types", types);
    attrs.insert_value(
        "filesystem",
        attrs_of(
            &[
                ("listFilesRecursive", prim(Prim::ListFilesRecursive)),
                (
                    "packagesFromDirectoryRecursive",
                    prim(Prim::PackagesFromDirectoryRecursive),
                ),
            ],
            true,
        ),
    );
    attrs.insert_value(
        "path",
        attrs_of(&[("append", prim(Prim::PathAppend))], true),
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
            prim: Prim::Extend,
            args: vec![base],
            call: None,
        })),
    );
    Value::Attrs(Rc::new(attrs))
}

/// `someType.attr`: types are opaque records apart from a few names.
pub fn select_type(_ev: &Evaluator, ty: &TypeValue, name: &str) -> Value {
    match (ty, name) {
        (TypeValue::Named(type_name), "name") => Value::str(type_name),
        _ => Value::Unknown,
    }
}

fn list(ev: &Evaluator, thunk: &Thunk) -> Option<Rc<Vec<Thunk>>> {
    match ev.force(thunk) {
        Value::List(items) => Some(items),
        _ => None,
    }
}

fn string(ev: &Evaluator, thunk: &Thunk) -> Option<Rc<str>> {
    match ev.force(thunk) {
        Value::Str(s) => Some(s),
        Value::Path(p) => Some(p),
        _ => None,
    }
}

fn attrs(ev: &Evaluator, thunk: &Thunk) -> Option<Rc<Attrs>> {
    match ev.force(thunk) {
        Value::Attrs(attrs) => Some(attrs),
        _ => None,
    }
}

fn marked(
    marker: &'static str,
    entries: Vec<(&str, Thunk)>,
    call: Option<crate::FileRange>,
) -> Value {
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
    call: Option<crate::FileRange>,
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

fn force_type(ev: &Evaluator, thunk: &Thunk) -> Rc<TypeValue> {
    match ev.force(thunk) {
        Value::Type(ty) => ty,
        _ => Rc::new(TypeValue::Opaque),
    }
}

fn ty(value: TypeValue) -> Value {
    Value::Type(Rc::new(value))
}

fn option_path(ev: &Evaluator, thunk: &Thunk) -> Option<Vec<Name>> {
    let items = list(ev, thunk)?;
    items.iter().map(|item| string(ev, item)).collect()
}

pub fn call(ev: &Evaluator, app: &PrimApp) -> Value {
    let a = &app.args;
    let call = app.call;
    match app.prim {
        Prim::Import => match ev.force(&a[0]) {
            Value::Path(path) => ev.import(&path),
            Value::Str(path) if path.starts_with('/') => ev.import(&path),
            Value::Input(_) => prim(Prim::ImportNixpkgs),
            _ => Value::Unknown,
        },
        Prim::ImportNixpkgs => {
            crate::packages::record_nixpkgs_import(ev, &a[0], call);
            Value::Pkgs(Rc::from(Vec::new()))
        }
        Prim::Map => match list(ev, &a[1]) {
            Some(items) => Value::List(Rc::new(
                items
                    .iter()
                    .map(|item| ev.apply_thunk(a[0].clone(), item.clone()))
                    .collect(),
            )),
            None => Value::Unknown,
        },
        Prim::Filter => {
            let Some(items) = list(ev, &a[1]) else {
                return Value::Unknown;
            };
            let function = ev.force(&a[0]);
            let mut kept = Vec::new();
            for item in items.iter() {
                match ev.apply(&function, item.clone(), None) {
                    Value::Bool(false) => {}
                    // Unknown predicates keep the item: more modules in a
                    // closure means fewer diagnostics, never false ones.
                    _ => kept.push(item.clone()),
                }
            }
            Value::List(Rc::new(kept))
        }
        Prim::AttrNames => match attrs(ev, &a[0]) {
            Some(set) if !set.incomplete => Value::List(Rc::new(
                set.entries
                    .keys()
                    .map(|name| ev.value_thunk(Value::Str(name.clone()), None))
                    .collect(),
            )),
            _ => Value::Unknown,
        },
        Prim::AttrValues => match attrs(ev, &a[0]) {
            Some(set) if !set.incomplete => Value::List(Rc::new(
                set.entries
                    .values()
                    .map(|entry| entry.value.clone())
                    .collect(),
            )),
            _ => Value::Unknown,
        },
        Prim::ListToAttrs => {
            let Some(items) = list(ev, &a[0]) else {
                return Value::Unknown;
            };
            let mut result = Attrs::default();
            for item in items.iter() {
                let Some(pair) = attrs(ev, item) else {
                    result.incomplete = true;
                    continue;
                };
                let (Some(name), Some(value)) = (pair.get("name"), pair.get("value")) else {
                    result.incomplete = true;
                    continue;
                };
                match string(ev, &name.value) {
                    Some(name_text) => {
                        result.entries.insert(
                            name_text,
                            super::AttrEntry {
                                value: value.value.clone(),
                                key: name.key.or(name.value.loc()),
                                path_range: None,
                            },
                        );
                    }
                    None => result.incomplete = true,
                }
            }
            Value::Attrs(Rc::new(result))
        }
        Prim::HasAttr => match (string(ev, &a[0]), attrs(ev, &a[1])) {
            (Some(name), Some(set)) => match set.get(&name) {
                Some(_) => Value::Bool(true),
                None if set.incomplete => Value::Unknown,
                None => Value::Bool(false),
            },
            _ => Value::Unknown,
        },
        Prim::GetAttr => match string(ev, &a[0]) {
            Some(name) => ev.select(&ev.force(&a[1]), &name).unwrap_or(Value::Unknown),
            None => Value::Unknown,
        },
        Prim::Length => match list(ev, &a[0]) {
            Some(items) => Value::Int(items.len() as i64),
            None => Value::Unknown,
        },
        Prim::Elem => {
            let Some(items) = list(ev, &a[1]) else {
                return Value::Unknown;
            };
            let needle = ev.force(&a[0]);
            for item in items.iter() {
                match ev.equal(&needle, &ev.force(item)) {
                    Some(true) => return Value::Bool(true),
                    Some(false) => {}
                    None => return Value::Unknown,
                }
            }
            Value::Bool(false)
        }
        Prim::ElemAt => match (list(ev, &a[0]), ev.force(&a[1])) {
            (Some(items), Value::Int(index)) => usize::try_from(index)
                .ok()
                .and_then(|index| items.get(index))
                .map_or(Value::Unknown, |item| ev.force(item)),
            _ => Value::Unknown,
        },
        Prim::Head => match list(ev, &a[0]) {
            Some(items) => items.first().map_or(Value::Unknown, |item| ev.force(item)),
            None => Value::Unknown,
        },
        Prim::Tail => match list(ev, &a[0]) {
            Some(items) if !items.is_empty() => Value::List(Rc::new(items[1..].to_vec())),
            _ => Value::Unknown,
        },
        Prim::ConcatLists => match list(ev, &a[0]) {
            Some(lists) => concat(ev, lists.iter().cloned()),
            None => Value::Unknown,
        },
        Prim::ConcatMap => match list(ev, &a[1]) {
            Some(items) => concat(
                ev,
                items
                    .iter()
                    .map(|item| ev.apply_thunk(a[0].clone(), item.clone()))
                    .collect::<Vec<_>>(),
            ),
            None => Value::Unknown,
        },
        Prim::Flatten => flatten(ev, &a[0]),
        Prim::ToString => match ev.force(&a[0]) {
            Value::Bool(true) => Value::str("1"),
            Value::Bool(false) | Value::Null => Value::str(""),
            value => match ev.coerce_to_string(&value) {
                Some(text) => Value::Str(text.into()),
                None => Value::AnyStr,
            },
        },
        Prim::ReadDir => match ev.force(&a[0]) {
            Value::Path(path) => {
                let mut result = Attrs::default();
                for (name, is_dir) in flakelens_db::read_dir(ev.db, &path) {
                    result.insert_value(
                        &name,
                        Value::str(if is_dir { "directory" } else { "regular" }),
                    );
                }
                Value::Attrs(Rc::new(result))
            }
            _ => Value::Unknown,
        },
        Prim::PathExists => match ev.force(&a[0]) {
            Value::Path(path) => {
                if flakelens_db::file_at(ev.db, &path).is_some()
                    || flakelens_db::is_directory(ev.db, &path)
                {
                    Value::Bool(true)
                } else if path.ends_with(".nix") {
                    Value::Bool(false)
                } else {
                    // Only .nix files are loaded: other files may exist.
                    Value::Unknown
                }
            }
            _ => Value::Unknown,
        },
        Prim::IsAttrs
        | Prim::IsList
        | Prim::IsString
        | Prim::IsFunction
        | Prim::IsBool
        | Prim::IsInt
        | Prim::IsPath
        | Prim::IsNull => {
            let value = ev.force(&a[0]);
            let known = !matches!(
                value,
                Value::Unknown | Value::Config(_) | Value::Pkgs(_) | Value::Input(_)
            );
            if !known {
                return Value::Unknown;
            }
            Value::Bool(match app.prim {
                Prim::IsAttrs => matches!(value, Value::Attrs(_) | Value::Package(_)),
                Prim::IsList => matches!(value, Value::List(_)),
                Prim::IsString => matches!(value, Value::Str(_) | Value::AnyStr),
                Prim::IsFunction => matches!(value, Value::Lambda(_) | Value::Prim(_)),
                Prim::IsBool => matches!(value, Value::Bool(_)),
                Prim::IsInt => matches!(value, Value::Int(_)),
                Prim::IsPath => matches!(value, Value::Path(_)),
                _ => matches!(value, Value::Null),
            })
        }
        Prim::TypeOf => Value::str(match ev.force(&a[0]) {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) | Value::AnyStr => "string",
            Value::Path(_) => "path",
            Value::List(_) => "list",
            Value::Attrs(_) => "set",
            Value::Lambda(_) | Value::Prim(_) => "lambda",
            _ => return Value::Unknown,
        }),
        Prim::BaseNameOf => match ev.force(&a[0]) {
            Value::Path(path) | Value::Str(path) => Value::str(paths::file_name(&path)),
            _ => Value::AnyStr,
        },
        Prim::DirOf => match ev.force(&a[0]) {
            Value::Path(path) => Value::Path(paths::parent(&path).into()),
            _ => Value::Unknown,
        },
        Prim::RemoveAttrs => match (attrs(ev, &a[0]), list(ev, &a[1])) {
            (Some(set), Some(names)) => {
                let mut result = (*set).clone();
                for name in names.iter() {
                    match string(ev, name) {
                        Some(name) => {
                            result.entries.remove(&name);
                        }
                        None => result.incomplete = true,
                    }
                }
                result.marker = None;
                Value::Attrs(Rc::new(result))
            }
            _ => Value::Unknown,
        },
        Prim::Foldl => {
            let Some(items) = list(ev, &a[2]) else {
                return Value::Unknown;
            };
            let function = ev.force(&a[0]);
            let mut accumulator = a[1].clone();
            for item in items.iter() {
                let partial = ev.apply(&function, accumulator, None);
                let next = ev.apply(&partial, item.clone(), None);
                accumulator = ev.value_thunk(next, None);
            }
            ev.force(&accumulator)
        }
        Prim::Foldr => {
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
        Prim::MapAttrsRecursive => map_attrs_recursive(ev, None, &a[0], &a[1], &[], 0),
        Prim::MapAttrsRecursiveCond => map_attrs_recursive(ev, Some(&a[0]), &a[1], &a[2], &[], 0),
        Prim::MapAttrs => match attrs(ev, &a[1]) {
            Some(set) => {
                let mut result = (*set).clone();
                result.marker = None;
                for (name, entry) in result.entries.iter_mut() {
                    let name_thunk = ev.value_thunk(Value::Str(name.clone()), None);
                    let partial = ev.apply_thunk(a[0].clone(), name_thunk);
                    entry.value = ev.apply_thunk(partial, entry.value.clone());
                }
                Value::Attrs(Rc::new(result))
            }
            None => Value::Unknown,
        },
        Prim::MapAttrsPrime => match attrs(ev, &a[1]) {
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
                                    super::AttrEntry {
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
        Prim::MapAttrsToList => match attrs(ev, &a[1]) {
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
        Prim::NameValuePair => {
            let mut result = Attrs::default();
            result.insert_thunk("name", a[0].clone());
            result.insert_thunk("value", a[1].clone());
            Value::Attrs(Rc::new(result))
        }
        Prim::FilterAttrs => match attrs(ev, &a[1]) {
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
        Prim::GenAttrs => match list(ev, &a[0]) {
            Some(names) => {
                let mut result = Attrs::default();
                for name in names.iter() {
                    match string(ev, name) {
                        Some(text) => {
                            let value = ev.apply_thunk(a[1].clone(), name.clone());
                            result.entries.insert(
                                text,
                                super::AttrEntry {
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
        Prim::GenList => match ev.force(&a[1]) {
            Value::Int(count) if (0..=10_000).contains(&count) => Value::List(Rc::new(
                (0..count)
                    .map(|index| {
                        let index = ev.value_thunk(Value::Int(index), None);
                        ev.apply_thunk(a[0].clone(), index)
                    })
                    .collect(),
            )),
            _ => Value::Unknown,
        },
        Prim::Trace | Prim::Seq => ev.force(&a[1]),
        Prim::Throw => Value::Unknown,
        Prim::CatAttrs => match (string(ev, &a[0]), list(ev, &a[1])) {
            (Some(name), Some(items)) => {
                let mut result = Vec::new();
                for item in items.iter() {
                    match attrs(ev, item) {
                        Some(set) => {
                            if let Some(entry) = set.get(&name) {
                                result.push(entry.value.clone());
                            } else if set.incomplete {
                                return Value::Unknown;
                            }
                        }
                        None => return Value::Unknown,
                    }
                }
                Value::List(Rc::new(result))
            }
            _ => Value::Unknown,
        },
        Prim::All | Prim::Any => {
            let Some(items) = list(ev, &a[1]) else {
                return Value::Unknown;
            };
            let function = ev.force(&a[0]);
            let want_all = app.prim == Prim::All;
            let mut unknown = false;
            for item in items.iter() {
                match ev.apply(&function, item.clone(), None) {
                    Value::Bool(b) if b != want_all => return Value::Bool(b),
                    Value::Bool(_) => {}
                    _ => unknown = true,
                }
            }
            if unknown {
                Value::Unknown
            } else {
                Value::Bool(want_all)
            }
        }
        Prim::ConcatStringsSep => match (string(ev, &a[0]), list(ev, &a[1])) {
            (Some(separator), Some(items)) => {
                let parts: Option<Vec<Rc<str>>> = items.iter().map(|i| string(ev, i)).collect();
                match parts {
                    Some(parts) => Value::Str(
                        parts
                            .iter()
                            .map(|p| p.as_ref())
                            .collect::<Vec<_>>()
                            .join(&separator)
                            .into(),
                    ),
                    None => Value::AnyStr,
                }
            }
            _ => Value::AnyStr,
        },
        Prim::HasSuffix | Prim::HasPrefix => match (string(ev, &a[0]), string(ev, &a[1])) {
            (Some(affix), Some(text)) => Value::Bool(if app.prim == Prim::HasSuffix {
                text.ends_with(&*affix)
            } else {
                text.starts_with(&*affix)
            }),
            _ => Value::Unknown,
        },
        Prim::RemoveSuffix | Prim::RemovePrefix => match (string(ev, &a[0]), string(ev, &a[1])) {
            (Some(affix), Some(text)) => Value::str(if app.prim == Prim::RemoveSuffix {
                text.strip_suffix(&*affix).unwrap_or(&text)
            } else {
                text.strip_prefix(&*affix).unwrap_or(&text)
            }),
            _ => Value::AnyStr,
        },
        Prim::RecursiveUpdate => recursive_update(ev, &ev.force(&a[0]), &ev.force(&a[1])),
        Prim::OptionalAttrs => match ev.force(&a[0]) {
            Value::Bool(false) => Value::Attrs(Rc::default()),
            // Unknown conditions count as true: a definition that may apply
            // is still checked, and imports that may happen are followed.
            _ => ev.force(&a[1]),
        },
        Prim::Optionals => match ev.force(&a[0]) {
            Value::Bool(false) => Value::List(Rc::default()),
            _ => ev.force(&a[1]),
        },
        Prim::Optional => match ev.force(&a[0]) {
            Value::Bool(false) => Value::List(Rc::default()),
            _ => Value::List(Rc::new(vec![a[1].clone()])),
        },
        Prim::OptionalString => match ev.force(&a[0]) {
            Value::Bool(false) => Value::str(""),
            Value::Bool(true) => ev.force(&a[1]),
            _ => Value::AnyStr,
        },
        Prim::MkOption => match ev.force(&a[0]) {
            Value::Attrs(set) => {
                let mut result = (*set).clone();
                result.marker = Some("option");
                result.origin = call;
                Value::Attrs(Rc::new(result))
            }
            _ => Value::Unknown,
        },
        Prim::MkEnableOption => {
            let description = match ev.force(&a[0]) {
                Value::Str(name) => Value::Str(format!("Whether to enable {name}.").into()),
                _ => Value::AnyStr,
            };
            let mut result = Attrs {
                marker: Some("option"),
                origin: call,
                ..Attrs::default()
            };
            result.insert_value("type", ty(TypeValue::Named("bool")));
            result.insert_value("default", Value::Bool(false));
            result.insert_value("example", Value::Bool(true));
            result.insert_value("description", description);
            Value::Attrs(Rc::new(result))
        }
        Prim::MkPackageOption => {
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
            let package = ty(TypeValue::Named("package"));
            result.insert_value(
                "type",
                if nullable {
                    ty(TypeValue::NullOr(Rc::new(TypeValue::Named("package"))))
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
        Prim::MkIf => marked(
            "if",
            vec![("condition", a[0].clone()), ("content", a[1].clone())],
            call,
        ),
        Prim::MkMerge => marked("merge", vec![("contents", a[0].clone())], call),
        Prim::MkOverride => match ev.force(&a[0]) {
            Value::Int(priority) => prioritised(ev, "override", priority, &a[1], call),
            _ => marked(
                "override",
                vec![("priority", a[0].clone()), ("content", a[1].clone())],
                call,
            ),
        },
        Prim::MkDefault => prioritised(ev, "override", 1000, &a[0], call),
        Prim::MkForce => prioritised(ev, "override", 50, &a[0], call),
        Prim::MkOptionDefault => prioritised(ev, "override", 1500, &a[0], call),
        Prim::MkBefore => prioritised(ev, "order", 500, &a[0], call),
        Prim::MkAfter => prioritised(ev, "order", 1500, &a[0], call),
        Prim::MkOrder => marked(
            "order",
            vec![("priority", a[0].clone()), ("content", a[1].clone())],
            call,
        ),
        Prim::LiteralExpression => marked("literalExpression", vec![("text", a[0].clone())], call),
        Prim::LiteralMd => marked("literalMD", vec![("text", a[0].clone())], call),
        Prim::MdDoc | Prim::Id => ev.force(&a[0]),
        Prim::Const => ev.force(&a[0]),
        Prim::Flip => {
            let function = ev.force(&a[0]);
            let partial = ev.apply(&function, a[2].clone(), None);
            ev.apply(&partial, a[1].clone(), None)
        }
        Prim::Pipe => {
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
        Prim::ListFilesRecursive => match ev.force(&a[0]) {
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
        Prim::PackagesFromDirectoryRecursive => match attrs(ev, &a[0]) {
            Some(args) => match args.get("directory").map(|entry| ev.force(&entry.value)) {
                Some(Value::Path(dir)) => crate::packages::packages_from_directory(ev, &dir, call),
                _ => Value::Unknown,
            },
            None => Value::Unknown,
        },
        Prim::CallPackage => match ev.force(&a[0]) {
            Value::Path(path) => {
                let recipe = if flakelens_db::file_at(ev.db, &path).is_none()
                    && flakelens_db::is_directory(ev.db, &path)
                {
                    format!("{path}/default.nix")
                } else {
                    path.to_string()
                };
                Value::Package(Rc::new(super::PackageValue {
                    recipe: recipe.into(),
                    call,
                }))
            }
            _ => Value::Unknown,
        },
        Prim::NixosSystem => system(ev, HostKind::Nixos, &a[0], call),
        Prim::DarwinSystem => system(ev, HostKind::Darwin, &a[0], call),
        Prim::HomeManagerConfiguration => system(ev, HostKind::Home, &a[0], call),
        Prim::MkRenamedOptionModule | Prim::MkAliasOptionModule | Prim::MkChangedOptionModule => {
            match (option_path(ev, &a[0]), option_path(ev, &a[1])) {
                (Some(from), Some(to)) => {
                    let mut value = alias_module(ev, &[from], Some(to), call);
                    // mkAliasOptionModule is silent; the others warn.
                    if app.prim != Prim::MkAliasOptionModule {
                        value = with_entry(value, "warn", ev.value_thunk(Value::Bool(true), None));
                    }
                    // A changed option transforms its value: the target's
                    // type says nothing about the old one.
                    if app.prim == Prim::MkChangedOptionModule {
                        mark_untyped(value)
                    } else {
                        value
                    }
                }
                _ => Value::Unknown,
            }
        }
        Prim::MkMergedOptionModule => {
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
        Prim::MkRemovedOptionModule => match option_path(ev, &a[0]) {
            // The second argument is the upstream's instructions.
            Some(from) => with_entry(
                alias_module(ev, &[from], None, call),
                "message",
                a[1].clone(),
            ),
            None => Value::Unknown,
        },
        Prim::EachDefaultSystem => each_system(
            ev,
            &[
                "x86_64-linux",
                "aarch64-linux",
                "x86_64-darwin",
                "aarch64-darwin",
            ]
            .map(|s| ev.value_thunk(Value::str(s), None)),
            &a[0],
        ),
        Prim::EachSystem => match list(ev, &a[0]) {
            Some(systems) => each_system(ev, &systems, &a[1]),
            None => Value::Unknown,
        },
        Prim::MkFlake => crate::flake::flake_parts(ev, &a[0], &a[1]),
        Prim::WithSystem => {
            // withSystem system ({ pkgs, config, ... }: …)
            let function = ev.force(&a[1]);
            let mut args = Attrs {
                incomplete: true,
                ..Attrs::default()
            };
            args.insert_value("pkgs", Value::Pkgs(Rc::from(Vec::new())));
            args.insert_thunk("system", a[0].clone());
            args.insert_value("inputs", ev.flake_inputs());
            args.insert_thunk("self", ev.flake_self());
            let args = ev.value_thunk(Value::Attrs(Rc::new(args)), None);
            ev.apply(&function, args, None)
        }
        Prim::Extend => {
            // lib.extend (final: prev: { … }) = prev // f final prev.
            let base = ev.force(&a[0]);
            let function = ev.force(&a[1]);
            let placeholder = ev.value_thunk(Value::Unknown, None);
            let base_thunk = ev.value_thunk(base.clone(), None);
            let partial = ev.apply(&function, placeholder.clone(), None);
            let extension = ev.apply(&partial, base_thunk, None);
            let result = ev.update(&base, &extension);
            *placeholder.0.state.borrow_mut() = super::ThunkState::Done(result.clone());
            result
        }
        Prim::Fix => {
            let function = ev.force(&a[0]);
            let placeholder = ev.value_thunk(Value::Unknown, None);
            let result = ev.apply(&function, placeholder.clone(), None);
            *placeholder.0.state.borrow_mut() = super::ThunkState::Done(result.clone());
            result
        }
        Prim::ComposeManyExtensions => match list(ev, &a[0]) {
            Some(overlays) => crate::packages::composed_overlays(ev, overlays.to_vec(), call),
            None => Value::Unknown,
        },
        Prim::ComposeExtensions => {
            crate::packages::composed_overlays(ev, vec![a[0].clone(), a[1].clone()], call)
        }
        // types
        Prim::ListOf => ty(TypeValue::ListOf(force_type(ev, &a[0]))),
        Prim::AttrsOf => ty(TypeValue::AttrsOf(force_type(ev, &a[0]))),
        // Pre-2021 `loaOf`: an attrset, or a list of the same elements.
        Prim::LoaOf => {
            let inner = force_type(ev, &a[0]);
            ty(TypeValue::Either(
                Rc::new(TypeValue::AttrsOf(inner.clone())),
                Rc::new(TypeValue::ListOf(inner)),
            ))
        }
        Prim::NullOr => ty(TypeValue::NullOr(force_type(ev, &a[0]))),
        Prim::Uniq => ty((*force_type(ev, &a[0])).clone()),
        Prim::Unique | Prim::AddCheck => {
            let index = if app.prim == Prim::Unique { 1 } else { 0 };
            ty((*force_type(ev, &a[index])).clone())
        }
        Prim::FunctionTo => ty(TypeValue::FunctionTo(force_type(ev, &a[0]))),
        Prim::Either => ty(TypeValue::Either(
            force_type(ev, &a[0]),
            force_type(ev, &a[1]),
        )),
        Prim::CoercedTo => ty(TypeValue::Either(
            force_type(ev, &a[0]),
            force_type(ev, &a[2]),
        )),
        Prim::OneOf => match list(ev, &a[0]) {
            Some(items) => ty(TypeValue::OneOf(
                items.iter().map(|item| force_type(ev, item)).collect(),
            )),
            None => ty(TypeValue::Opaque),
        },
        Prim::Enum => match list(ev, &a[0]) {
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
        Prim::Submodule => ty(TypeValue::Submodule(match ev.force(&a[0]) {
            Value::List(modules) => modules.to_vec(),
            _ => vec![a[0].clone()],
        })),
        Prim::SubmoduleWith => match attrs(ev, &a[0]).and_then(|args| args.get("modules").cloned())
        {
            Some(entry) => match list(ev, &entry.value) {
                Some(modules) => ty(TypeValue::Submodule(modules.to_vec())),
                None => ty(TypeValue::Opaque),
            },
            None => ty(TypeValue::Opaque),
        },
        Prim::StrMatching => match string(ev, &a[0]) {
            Some(pattern) => ty(TypeValue::StrMatching(pattern)),
            None => ty(TypeValue::Named("str")),
        },
        Prim::SeparatedString => ty(TypeValue::Named("str")),
        Prim::IntsBetween => match (ev.force(&a[0]), ev.force(&a[1])) {
            (Value::Int(min), Value::Int(max)) => ty(TypeValue::Ints {
                name: "between",
                min,
                max,
            }),
            _ => ty(TypeValue::Named("int")),
        },
        Prim::MkOptionType => ty(TypeValue::Opaque),
        // lib.path.append ./dir "name"
        Prim::PathAppend => match (ev.force(&a[0]), ev.force(&a[1])) {
            (Value::Path(base), Value::Str(name)) if !name.starts_with('/') => {
                match flakelens_db::paths::join(&base, &name) {
                    Some(joined) => Value::Path(joined.into()),
                    None => Value::Unknown,
                }
            }
            _ => Value::Unknown,
        },
        Prim::Range => match (ev.force(&a[0]), ev.force(&a[1])) {
            (Value::Int(first), Value::Int(last)) if last - first <= 10_000 => {
                Value::List(Rc::new(
                    (first..=last)
                        .map(|i| ev.value_thunk(Value::Int(i), None))
                        .collect(),
                ))
            }
            _ => Value::Unknown,
        },
        Prim::ReadFile => match ev.force(&a[0]) {
            Value::Path(path) => match flakelens_db::file_at(ev.db, &path) {
                Some(file) => Value::Str(file.text(ev.db).as_ref().into()),
                None => Value::Unknown,
            },
            _ => Value::Unknown,
        },
        Prim::FromToml => match string(ev, &a[0]) {
            Some(text) => match text.parse::<toml::Table>() {
                Ok(table) => from_toml(ev, &toml::Value::Table(table)),
                Err(_) => Value::Unknown,
            },
            None => Value::Unknown,
        },
        Prim::FromJson => match string(ev, &a[0]) {
            Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(json) => from_json(ev, &json),
                Err(_) => Value::Unknown,
            },
            None => Value::Unknown,
        },
        // package engine
        Prim::ComposedOverlay => crate::packages::apply_composed(ev, &a[0], &a[1], &a[2]),
        Prim::PkgsExtend => {
            crate::packages::record_extend(ev, &a[0], call);
            Value::Pkgs(Rc::from(Vec::new()))
        }
        Prim::ConcatMapAttrs => crate::packages::concat_map_attrs(ev, &a[0], &a[1]),
    }
}

fn concat(ev: &Evaluator, lists: impl IntoIterator<Item = Thunk>) -> Value {
    let mut result = Vec::new();
    for item in lists {
        match ev.force(&item) {
            Value::List(items) => result.extend(items.iter().cloned()),
            _ => return Value::Unknown,
        }
    }
    Value::List(Rc::new(result))
}

fn flatten(ev: &Evaluator, thunk: &Thunk) -> Value {
    fn go(ev: &Evaluator, thunk: &Thunk, out: &mut Vec<Thunk>, depth: u32) {
        if depth > 32 {
            return;
        }
        match ev.force(thunk) {
            Value::List(items) => {
                for item in items.iter() {
                    go(ev, item, out, depth + 1);
                }
            }
            _ => out.push(thunk.clone()),
        }
    }
    match ev.force(thunk) {
        Value::List(_) => {
            let mut out = Vec::new();
            go(ev, thunk, &mut out, 0);
            Value::List(Rc::new(out))
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
                                super::AttrEntry {
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

fn system(ev: &Evaluator, kind: HostKind, args: &Thunk, call: Option<crate::FileRange>) -> Value {
    let Some(args) = attrs(ev, args) else {
        return Value::Unknown;
    };
    let mut modules = Vec::new();
    let mut modules_incomplete = args.incomplete;
    for key in ["modules", "extraModules"] {
        if let Some(entry) = args.get(key) {
            match list(ev, &entry.value) {
                Some(items) => modules.extend(items.iter().cloned()),
                None => modules_incomplete = true,
            }
        }
    }
    // home-manager: `configuration = …` in old versions.
    if let Some(entry) = args.get("configuration") {
        modules.push(entry.value.clone());
    }
    let special_args = args
        .get("specialArgs")
        .or_else(|| args.get("extraSpecialArgs"))
        .map(|entry| entry.value.clone());
    Value::System(Rc::new(SystemValue {
        kind,
        modules,
        modules_incomplete,
        special_args,
        call,
    }))
}

fn alias_module(
    ev: &Evaluator,
    froms: &[Vec<Name>],
    to: Option<Vec<Name>>,
    call: Option<crate::FileRange>,
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

/// `mapAttrsRecursiveCond cond f set`: `f path value` at every leaf, where
/// a leaf is a non-attrset or an attrset `cond` refuses to descend into.
fn map_attrs_recursive(
    ev: &Evaluator,
    cond: Option<&Thunk>,
    function: &Thunk,
    set: &Thunk,
    path: &[Name],
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

fn from_toml(ev: &Evaluator, value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::str(s),
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::Str(d.to_string().into()),
        toml::Value::Array(items) => Value::List(Rc::new(
            items
                .iter()
                .map(|item| ev.value_thunk(from_toml(ev, item), None))
                .collect(),
        )),
        toml::Value::Table(table) => {
            let mut attrs = Attrs::default();
            for (key, item) in table {
                attrs.insert_thunk(key, ev.value_thunk(from_toml(ev, item), None));
            }
            Value::Attrs(Rc::new(attrs))
        }
    }
}

fn from_json(ev: &Evaluator, value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => n.as_f64().map_or(Value::Unknown, Value::Float),
        },
        serde_json::Value::String(s) => Value::str(s),
        serde_json::Value::Array(items) => Value::List(Rc::new(
            items
                .iter()
                .map(|item| ev.value_thunk(from_json(ev, item), None))
                .collect(),
        )),
        serde_json::Value::Object(map) => {
            let mut attrs = Attrs::default();
            for (key, item) in map {
                attrs.insert_thunk(key, ev.value_thunk(from_json(ev, item), None));
            }
            Value::Attrs(Rc::new(attrs))
        }
    }
}
