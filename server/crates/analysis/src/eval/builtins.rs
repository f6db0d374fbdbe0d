//! `builtins.*` and the global names of the Nix language: the primitives
//! the evaluator itself owns. Each returns `Unknown` as soon as something it
//! needs is unknown. Ecosystem functions (`lib`, module system, …) live in
//! `crate::known` and reach the evaluator through its registry.

use std::rc::Rc;

use flakelens_db::paths;

use super::{Attrs, Evaluator, Prim, PrimApp, Thunk, Value};

macro_rules! builtins {
    ($($name:ident = $arity:expr),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Builtin { $($name),* }
        impl Builtin {
            pub fn arity(self) -> usize {
                match self { $(Builtin::$name => $arity),* }
            }
        }
    };
}

builtins! {
    Import = 1,
    Map = 2,
    Filter = 2,
    AttrNames = 1,
    AttrValues = 1,
    ListToAttrs = 1,
    HasAttr = 2,
    GetAttr = 2,
    Length = 1,
    Elem = 2,
    ElemAt = 2,
    Head = 1,
    Tail = 1,
    ConcatLists = 1,
    ConcatMap = 2,
    ToString = 1,
    ReadDir = 1,
    PathExists = 1,
    IsAttrs = 1,
    IsList = 1,
    IsString = 1,
    IsFunction = 1,
    IsBool = 1,
    IsInt = 1,
    IsPath = 1,
    IsNull = 1,
    BaseNameOf = 1,
    DirOf = 1,
    RemoveAttrs = 2,
    Foldl = 3,
    MapAttrs = 2,
    GenList = 2,
    Trace = 2,
    Seq = 2,
    Throw = 1,
    TypeOf = 1,
    CatAttrs = 2,
    All = 2,
    Any = 2,
    ConcatStringsSep = 2,
    ReadFile = 1,
    FromToml = 1,
    FromJson = 1,
    Match = 2,
    IntersectAttrs = 2,
}

/// A builtin as a function value.
pub fn builtin(builtin: Builtin) -> Value {
    Value::Prim(Rc::new(PrimApp {
        prim: Prim::Builtin(builtin),
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
        "import" => builtin(Builtin::Import),
        "map" => builtin(Builtin::Map),
        "toString" => builtin(Builtin::ToString),
        "baseNameOf" => builtin(Builtin::BaseNameOf),
        "dirOf" => builtin(Builtin::DirOf),
        "isNull" => builtin(Builtin::IsNull),
        "removeAttrs" => builtin(Builtin::RemoveAttrs),
        "throw" | "abort" => builtin(Builtin::Throw),
        _ => return None,
    })
}

/// An attrset value from known entries.
pub fn attrs_of(entries: &[(&str, Value)], incomplete: bool) -> Value {
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
        ("import", Builtin::Import),
        ("map", Builtin::Map),
        ("filter", Builtin::Filter),
        ("attrNames", Builtin::AttrNames),
        ("attrValues", Builtin::AttrValues),
        ("listToAttrs", Builtin::ListToAttrs),
        ("hasAttr", Builtin::HasAttr),
        ("getAttr", Builtin::GetAttr),
        ("length", Builtin::Length),
        ("elem", Builtin::Elem),
        ("elemAt", Builtin::ElemAt),
        ("head", Builtin::Head),
        ("tail", Builtin::Tail),
        ("concatLists", Builtin::ConcatLists),
        ("concatMap", Builtin::ConcatMap),
        ("toString", Builtin::ToString),
        ("readDir", Builtin::ReadDir),
        ("pathExists", Builtin::PathExists),
        ("isAttrs", Builtin::IsAttrs),
        ("isList", Builtin::IsList),
        ("isString", Builtin::IsString),
        ("isFunction", Builtin::IsFunction),
        ("isBool", Builtin::IsBool),
        ("isInt", Builtin::IsInt),
        ("isPath", Builtin::IsPath),
        ("isNull", Builtin::IsNull),
        ("baseNameOf", Builtin::BaseNameOf),
        ("dirOf", Builtin::DirOf),
        ("removeAttrs", Builtin::RemoveAttrs),
        ("foldl'", Builtin::Foldl),
        ("mapAttrs", Builtin::MapAttrs),
        ("genList", Builtin::GenList),
        ("trace", Builtin::Trace),
        ("seq", Builtin::Seq),
        ("deepSeq", Builtin::Seq),
        ("throw", Builtin::Throw),
        ("abort", Builtin::Throw),
        ("typeOf", Builtin::TypeOf),
        ("catAttrs", Builtin::CatAttrs),
        ("all", Builtin::All),
        ("any", Builtin::Any),
        ("concatStringsSep", Builtin::ConcatStringsSep),
        ("readFile", Builtin::ReadFile),
        ("fromTOML", Builtin::FromToml),
        ("fromJSON", Builtin::FromJson),
        ("match", Builtin::Match),
        ("intersectAttrs", Builtin::IntersectAttrs),
    ];
    let values: Vec<(&str, Value)> = entries
        .iter()
        .map(|(name, p)| (*name, builtin(*p)))
        .collect();
    attrs_of(&values, true)
}

/// The list a thunk forces to, if it is one.
pub fn list(ev: &Evaluator, thunk: &Thunk) -> Option<Rc<Vec<Thunk>>> {
    match ev.force(thunk) {
        Value::List(items) => Some(items),
        _ => None,
    }
}

/// The string (or path) a thunk forces to, if it is one.
pub fn string(ev: &Evaluator, thunk: &Thunk) -> Option<Rc<str>> {
    match ev.force(thunk) {
        Value::Str(s) => Some(s),
        Value::Path(p) => Some(p),
        _ => None,
    }
}

/// The attrset a thunk forces to, if it is one.
pub fn attrs(ev: &Evaluator, thunk: &Thunk) -> Option<Rc<Attrs>> {
    match ev.force(thunk) {
        Value::Attrs(attrs) => Some(attrs),
        _ => None,
    }
}

pub fn call(ev: &Evaluator, app: &PrimApp, prim: Builtin) -> Value {
    let a = &app.args;
    match prim {
        Builtin::Import => match ev.force(&a[0]) {
            Value::Path(path) => ev.import(&path),
            Value::Str(path) if path.starts_with('/') => ev.import(&path),
            Value::Input(input) => ev.import_input(&input),
            _ => Value::Unknown,
        },
        Builtin::Map => match list(ev, &a[1]) {
            Some(items) => Value::List(Rc::new(
                items
                    .iter()
                    .map(|item| ev.apply_thunk(a[0].clone(), item.clone()))
                    .collect(),
            )),
            None => Value::Unknown,
        },
        Builtin::Filter => {
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
        Builtin::AttrNames => match attrs(ev, &a[0]) {
            Some(set) if !set.incomplete => Value::List(Rc::new(
                set.entries
                    .keys()
                    .map(|name| ev.value_thunk(Value::Str(name.clone()), None))
                    .collect(),
            )),
            _ => Value::Unknown,
        },
        Builtin::AttrValues => match attrs(ev, &a[0]) {
            Some(set) if !set.incomplete => Value::List(Rc::new(
                set.entries
                    .values()
                    .map(|entry| entry.value.clone())
                    .collect(),
            )),
            _ => Value::Unknown,
        },
        Builtin::ListToAttrs => {
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
                            crate::eval::AttrEntry {
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
        Builtin::HasAttr => match (string(ev, &a[0]), attrs(ev, &a[1])) {
            (Some(name), Some(set)) => match set.get(&name) {
                Some(_) => Value::Bool(true),
                None if set.incomplete => Value::Unknown,
                None => Value::Bool(false),
            },
            _ => Value::Unknown,
        },
        Builtin::GetAttr => match string(ev, &a[0]) {
            Some(name) => ev.select(&ev.force(&a[1]), &name).unwrap_or(Value::Unknown),
            None => Value::Unknown,
        },
        Builtin::Length => match list(ev, &a[0]) {
            Some(items) => Value::Int(items.len() as i64),
            None => Value::Unknown,
        },
        Builtin::Elem => {
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
        Builtin::ElemAt => match (list(ev, &a[0]), ev.force(&a[1])) {
            (Some(items), Value::Int(index)) => usize::try_from(index)
                .ok()
                .and_then(|index| items.get(index))
                .map_or(Value::Unknown, |item| ev.force(item)),
            _ => Value::Unknown,
        },
        Builtin::Head => match list(ev, &a[0]) {
            Some(items) => items.first().map_or(Value::Unknown, |item| ev.force(item)),
            None => Value::Unknown,
        },
        Builtin::Tail => match list(ev, &a[0]) {
            Some(items) if !items.is_empty() => Value::List(Rc::new(items[1..].to_vec())),
            _ => Value::Unknown,
        },
        Builtin::ConcatLists => match list(ev, &a[0]) {
            Some(lists) => concat(ev, lists.iter().cloned()),
            None => Value::Unknown,
        },
        Builtin::ConcatMap => match list(ev, &a[1]) {
            Some(items) => concat(
                ev,
                items
                    .iter()
                    .map(|item| ev.apply_thunk(a[0].clone(), item.clone()))
                    .collect::<Vec<_>>(),
            ),
            None => Value::Unknown,
        },
        Builtin::ToString => match ev.force(&a[0]) {
            Value::Bool(true) => Value::str("1"),
            Value::Bool(false) | Value::Null => Value::str(""),
            value => match ev.coerce_to_string(&value) {
                Some(text) => Value::Str(text.into()),
                None => Value::AnyStr,
            },
        },
        Builtin::ReadDir => match ev.force(&a[0]) {
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
        Builtin::PathExists => match ev.force(&a[0]) {
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
        Builtin::IsAttrs
        | Builtin::IsList
        | Builtin::IsString
        | Builtin::IsFunction
        | Builtin::IsBool
        | Builtin::IsInt
        | Builtin::IsPath
        | Builtin::IsNull => {
            let value = ev.force(&a[0]);
            let known = !matches!(
                value,
                Value::Unknown | Value::Config(_) | Value::Pkgs(_) | Value::Input(_)
            );
            if !known {
                return Value::Unknown;
            }
            Value::Bool(match prim {
                Builtin::IsAttrs => matches!(value, Value::Attrs(_) | Value::Package(_)),
                Builtin::IsList => matches!(value, Value::List(_)),
                Builtin::IsString => matches!(value, Value::Str(_) | Value::AnyStr),
                Builtin::IsFunction => matches!(value, Value::Lambda(_) | Value::Prim(_)),
                Builtin::IsBool => matches!(value, Value::Bool(_)),
                Builtin::IsInt => matches!(value, Value::Int(_)),
                Builtin::IsPath => matches!(value, Value::Path(_)),
                _ => matches!(value, Value::Null),
            })
        }
        Builtin::TypeOf => Value::str(match ev.force(&a[0]) {
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
        Builtin::BaseNameOf => match ev.force(&a[0]) {
            Value::Path(path) | Value::Str(path) => Value::str(paths::file_name(&path)),
            _ => Value::AnyStr,
        },
        Builtin::DirOf => match ev.force(&a[0]) {
            Value::Path(path) => Value::Path(paths::parent(&path).into()),
            _ => Value::Unknown,
        },
        Builtin::RemoveAttrs => match (attrs(ev, &a[0]), list(ev, &a[1])) {
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
        Builtin::Foldl => {
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
        Builtin::MapAttrs => match attrs(ev, &a[1]) {
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
        Builtin::GenList => match ev.force(&a[1]) {
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
        Builtin::Trace | Builtin::Seq => ev.force(&a[1]),
        Builtin::Throw => Value::Unknown,
        Builtin::CatAttrs => match (string(ev, &a[0]), list(ev, &a[1])) {
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
        Builtin::All | Builtin::Any => {
            let Some(items) = list(ev, &a[1]) else {
                return Value::Unknown;
            };
            let function = ev.force(&a[0]);
            let want_all = prim == Builtin::All;
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
        Builtin::ConcatStringsSep => match (string(ev, &a[0]), list(ev, &a[1])) {
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
        Builtin::ReadFile => match ev.force(&a[0]) {
            Value::Path(path) => match flakelens_db::file_at(ev.db, &path) {
                Some(file) => Value::Str(file.text(ev.db).as_ref().into()),
                None => Value::Unknown,
            },
            _ => Value::Unknown,
        },
        Builtin::FromToml => match string(ev, &a[0]) {
            Some(text) => match text.parse::<toml::Table>() {
                Ok(table) => from_toml(ev, &toml::Value::Table(table)),
                Err(_) => Value::Unknown,
            },
            None => Value::Unknown,
        },
        Builtin::FromJson => match string(ev, &a[0]) {
            Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(json) => from_json(ev, &json),
                Err(_) => Value::Unknown,
            },
            None => Value::Unknown,
        },
        // POSIX extended regex, matched against the whole string; the
        // `regex` crate reads the common subset the same way.
        Builtin::Match => match (string(ev, &a[0]), string(ev, &a[1])) {
            (Some(pattern), Some(text)) => match regex::Regex::new(&format!("^(?:{pattern})$")) {
                Ok(re) => match re.captures(&text) {
                    Some(caps) => Value::List(Rc::new(
                        caps.iter()
                            .skip(1)
                            .map(|group| {
                                let value = match group {
                                    Some(m) => Value::str(m.as_str()),
                                    None => Value::Null,
                                };
                                ev.value_thunk(value, None)
                            })
                            .collect(),
                    )),
                    None => Value::Null,
                },
                Err(_) => Value::Unknown,
            },
            _ => Value::Unknown,
        },
        Builtin::IntersectAttrs => match (attrs(ev, &a[0]), attrs(ev, &a[1])) {
            (Some(names), Some(set)) => {
                let mut result = (*set).clone();
                result.marker = None;
                result.incomplete = set.incomplete || names.incomplete;
                result
                    .entries
                    .retain(|name, _| names.entries.contains_key(name));
                Value::Attrs(Rc::new(result))
            }
            _ => Value::Unknown,
        },
        #[allow(unreachable_patterns)]
        _ => unreachable!("{prim:?} is dispatched elsewhere"),
    }
}

pub fn concat(ev: &Evaluator, lists: impl IntoIterator<Item = Thunk>) -> Value {
    let mut result = Vec::new();
    for item in lists {
        match ev.force(&item) {
            Value::List(items) => result.extend(items.iter().cloned()),
            _ => return Value::Unknown,
        }
    }
    Value::List(Rc::new(result))
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
