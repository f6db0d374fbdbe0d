//! Summarising a module value: its imports, option declarations (walking
//! `options` and submodule types), nested module evaluations and aliases.

use std::rc::Rc;
use std::sync::Arc;

use flakelens_db::SourceFile;
use rowan::ast::AstNode;

use super::types::{StrKind, TypeData};
use super::*;
use crate::eval::{Attrs, Evaluator, Thunk, TypeValue, Value};
use crate::{FileRange, OptionPath, Segment};

/// The arguments every module function gets, as far as they can be known.
pub fn module_args(ev: &Evaluator, extra: &[(&str, Value)]) -> Thunk {
    let mut args = Attrs {
        incomplete: true,
        ..Attrs::default()
    };
    args.insert_value("config", Value::Config(Rc::from(Vec::new())));
    args.insert_value("lib", ev.lib());
    args.insert_value("pkgs", Value::Pkgs(Rc::from(Vec::new())));
    args.insert_value("modulesPath", Value::ExternalModule("modulesPath".into()));
    // NixOS passes its `utils` library to every module; its content is not
    // modelled, but `with utils;` must not hide `lib` (an incomplete
    // namespace lets lookups continue outwards).
    args.insert_value(
        "utils",
        Value::Attrs(Rc::new(Attrs {
            incomplete: true,
            ..Attrs::default()
        })),
    );
    args.insert_thunk("self", ev.flake_self());
    args.insert_thunk("outputs", ev.flake_self());
    args.insert_value("inputs", ev.flake_inputs());
    if let Some(special) = ev.special_args.borrow().as_ref() {
        for (name, entry) in &special.entries {
            args.entries.insert(name.clone(), entry.clone());
        }
    }
    for (name, value) in extra {
        args.insert_value(name, value.clone());
    }
    ev.value_thunk(Value::Attrs(Rc::new(args)), None)
}

/// Whether a value is the root expression of a file, and which file.
pub fn root_file_of(ev: &Evaluator, value: &Value) -> Option<SourceFile> {
    let origin = match value {
        Value::Lambda(closure) => FileRange {
            file: closure.file,
            range: closure.lambda.syntax().text_range(),
        },
        Value::Attrs(attrs) => attrs.origin?,
        _ => return None,
    };
    let root = flakelens_db::parse(ev.db, origin.file).root_expr()?;
    (root.syntax().text_range() == origin.range).then_some(origin.file)
}

/// Turns an element of an `imports`/`modules` list into a module reference.
pub fn module_ref(ev: &Evaluator, thunk: &Thunk, stack: &mut Vec<SourceFile>) -> ModuleRef {
    let site = thunk.loc();
    let value = ev.force(thunk);
    match value {
        Value::Path(path) => path_ref(ev, &path, site),
        Value::Str(path) if path.starts_with('/') => match flakelens_db::paths::join("/", &path) {
            Some(normalised) => path_ref(ev, &normalised, site),
            None => ModuleRef::Unknown { site },
        },
        Value::ExternalModule(description) => ModuleRef::External {
            description: description.to_string(),
            site,
        },
        Value::Lambda(_) | Value::Attrs(_) => {
            if let Some(file) = root_file_of(ev, &value) {
                return ModuleRef::File { file, site };
            }
            let summary = summarize(ev, thunk, stack);
            ModuleRef::Inline {
                summary: Arc::new(summary),
                site,
            }
        }
        _ => ModuleRef::Unknown { site },
    }
}

fn path_ref(ev: &Evaluator, path: &str, site: Option<FileRange>) -> ModuleRef {
    if let Some(file) = flakelens_db::file_at(ev.db, path) {
        return ModuleRef::File { file, site };
    }
    if let Some(file) = flakelens_db::file_at(ev.db, &format!("{path}/default.nix")) {
        return ModuleRef::File { file, site };
    }
    let root = ev.db.workspace().root(ev.db);
    let inside = root == "/" || path.starts_with(&format!("{root}/")) || path == root;
    if !inside {
        return ModuleRef::External {
            description: path.to_string(),
            site,
        };
    }
    if flakelens_db::not_loaded(ev.db, path) {
        // Unreadable, or behind a symlink or limit the walk did not cross.
        return ModuleRef::Unknown { site };
    }
    if flakelens_db::is_directory(ev.db, path) {
        // Importing a directory reads its default.nix, which is not there.
        return ModuleRef::Missing {
            path: format!("{path}/default.nix"),
            site,
        };
    }
    if !path.ends_with(".nix") && path_has_other_file(path) {
        return ModuleRef::Unknown { site };
    }
    ModuleRef::Missing {
        path: path.to_string(),
        site,
    }
}

/// Non-`.nix` files are not loaded, so a path without the extension might
/// still exist as such a file. It would not be a module, so this is rare;
/// only extension-less names count as maybe-existing.
fn path_has_other_file(path: &str) -> bool {
    let name = flakelens_db::paths::file_name(path);
    name.contains('.')
}

/// Summarises a module value. `stack` guards against import cycles of
/// inline modules.
pub fn summarize(ev: &Evaluator, thunk: &Thunk, stack: &mut Vec<SourceFile>) -> ModuleSummary {
    let mut summary = ModuleSummary {
        origin: thunk.loc(),
        ..ModuleSummary::default()
    };
    if stack.len() > 64 {
        summary.unknown = true;
        return summary;
    }
    let mut value = ev.force(thunk);
    if let Value::Lambda(_) = value {
        let args = module_args(ev, &[]);
        value = ev.apply(&value, args, None);
        // `_: { config, lib, ... }: { … }`: a module behind a repo helper's
        // own argument (what the helper passes is not known).
        if let Value::Lambda(inner) = &value {
            if is_module_pattern(&inner.lambda) {
                let args = module_args(ev, &[]);
                value = ev.apply(&value, args, None);
            }
        }
    }
    let Value::Attrs(attrs) = value else {
        summary.unknown = true;
        return summary;
    };
    if attrs.marker == Some("alias-module") {
        summarize_alias(ev, &attrs, &mut summary);
        return summary;
    }
    if attrs.incomplete {
        // `{ … } // unknown`: keys may be missing, including `options`.
        summary.unknown = true;
    }
    let explicit = attrs.get("options").is_some() || attrs.get("config").is_some();
    if let Some(imports) = attrs.get("imports") {
        match ev.force(&imports.value) {
            Value::List(items) => {
                for item in items.iter() {
                    summary.imports.push(module_ref(ev, item, stack));
                }
            }
            _ => summary.imports_incomplete = true,
        }
    }
    if let Some(options) = attrs.get("options") {
        walk_options(
            ev,
            &options.value,
            (options.key, options.path_range()),
            &mut Vec::new(),
            &mut summary,
            0,
        );
    }
    if attrs.get("freeformType").is_some() {
        summary.open.push(Vec::new());
    }
    if explicit {
        if let Some(config) = attrs.get("config") {
            let (entries, incomplete) = definition_entries(ev, &config.value, 0);
            summary.definitions = entries;
            summary.definitions_incomplete = incomplete;
            summary.nested = nested_modules(ev, &config.value, stack);
        }
    } else {
        const SPECIAL: &[&str] = &[
            "imports",
            "_file",
            "key",
            "disabledModules",
            "meta",
            "_class",
            "freeformType",
        ];
        let mut config = (*attrs).clone();
        config
            .entries
            .retain(|name, _| !SPECIAL.contains(&name.as_ref()));
        config.marker = None;
        let config = ev.value_thunk(Value::Attrs(Rc::new(config)), thunk.loc());
        let (entries, incomplete) = definition_entries(ev, &config, 0);
        summary.definitions = entries;
        summary.definitions_incomplete = incomplete;
        summary.nested = nested_modules(ev, &config, stack);
    }
    summary
}

/// The attrsets a config value merges, seeing through mkIf/mkMerge. A part
/// that is not a known attrset is recorded as `None`.
fn config_parts(ev: &Evaluator, thunk: &Thunk, out: &mut Vec<Option<Rc<Attrs>>>, depth: u32) {
    if depth > 16 {
        out.push(None);
        return;
    }
    let Value::Attrs(attrs) = ev.force(thunk) else {
        out.push(None);
        return;
    };
    match attrs.marker {
        Some("if") | Some("override") | Some("order") => {
            if let Some(content) = attrs.get("content") {
                config_parts(ev, &content.value, out, depth + 1);
            }
        }
        Some("merge") => {
            if let Some(Value::List(items)) = attrs.get("contents").map(|c| ev.force(&c.value)) {
                for item in items.iter() {
                    config_parts(ev, item, out, depth + 1);
                }
            }
        }
        Some(_) => out.push(None),
        None => {
            if attrs.incomplete {
                out.push(None);
            }
            out.push(Some(attrs));
        }
    }
}

/// The attrsets at `names` below a config value; `None` entries stand for
/// parts that could not be known (dynamic keys, computed values).
fn config_path(ev: &Evaluator, thunk: &Thunk, names: &[&str]) -> Vec<Option<Rc<Attrs>>> {
    let mut current = Vec::new();
    config_parts(ev, thunk, &mut current, 0);
    for name in names {
        let mut next = Vec::new();
        for attrs in &current {
            match attrs {
                Some(attrs) => {
                    if let Some(entry) = attrs.get(name) {
                        config_parts(ev, &entry.value, &mut next, 0);
                    }
                }
                None => next.push(None),
            }
        }
        current = next;
    }
    current
}

/// `home-manager.users.<name>`, `home-manager.sharedModules` and
/// `containers.<name>.config`: module evaluations of their own.
fn nested_modules(
    ev: &Evaluator,
    config: &Thunk,
    stack: &mut Vec<SourceFile>,
) -> Vec<NestedModule> {
    let mut out = Vec::new();
    // Users or containers built by computation (`listToAttrs` over a
    // config value) may import anything: every such evaluation gets an
    // unknown module, which keeps its checks quiet where unsure.
    let unknown = |kind: NestedKind| NestedModule {
        kind,
        module: ModuleRef::Unknown { site: None },
    };
    let users_parts = config_path(ev, config, &["home-manager", "users"]);
    if users_parts.iter().any(Option::is_none) {
        out.push(unknown(NestedKind::HomeShared));
    }
    for users in users_parts.into_iter().flatten() {
        for (name, entry) in &users.entries {
            out.push(NestedModule {
                kind: NestedKind::HomeUser(name.to_string()),
                module: module_ref(ev, &entry.value, stack),
            });
        }
    }
    for parent in config_path(ev, config, &["home-manager"])
        .into_iter()
        .flatten()
    {
        if let Some(shared) = parent.get("sharedModules") {
            match ev.force(&shared.value) {
                Value::List(items) => {
                    for item in items.iter() {
                        out.push(NestedModule {
                            kind: NestedKind::HomeShared,
                            module: module_ref(ev, item, stack),
                        });
                    }
                }
                _ => out.push(unknown(NestedKind::HomeShared)),
            }
        }
    }
    for containers in config_path(ev, config, &["containers"]) {
        // Computed container sets are skipped entirely.
        let Some(containers) = containers else {
            continue;
        };
        for (name, entry) in &containers.entries {
            for container in config_path(ev, &entry.value, &[]).into_iter().flatten() {
                if let Some(module) = container.get("config") {
                    out.push(NestedModule {
                        kind: NestedKind::Container(name.to_string()),
                        module: module_ref(ev, &module.value, stack),
                    });
                }
            }
        }
    }
    out
}

fn summarize_alias(ev: &Evaluator, attrs: &Attrs, summary: &mut ModuleSummary) {
    let to = attrs
        .get("to")
        .and_then(|entry| string_list(ev, &entry.value))
        .map(|names| crate::names_to_path(&names));
    let untyped = attrs.get("untyped").is_some();
    let warns = attrs.get("warn").is_some();
    let removed_message = attrs
        .get("message")
        .and_then(|entry| match ev.force(&entry.value) {
            Value::Str(text) => Some(text.to_string()),
            _ => None,
        });
    let Some(froms) = attrs.get("from").map(|entry| ev.force(&entry.value)) else {
        return;
    };
    let Value::List(froms) = froms else {
        return;
    };
    for from in froms.iter() {
        let Some(names) = string_list(ev, from) else {
            continue;
        };
        summary.declarations.push(Declaration {
            path: crate::names_to_path(&names),
            kind: if to.is_some() {
                DeclKind::Alias
            } else {
                DeclKind::Removed
            },
            ty: TypeData::Any("alias".into()),
            default: None,
            description: to
                .as_ref()
                .map(|to| format!("Alias of `{}`.", crate::display_path(to))),
            example: None,
            alias_of: if untyped { None } else { to.clone() },
            decl: attrs.origin,
            key: attrs.origin,
            path_range: attrs.origin,
            meta: DeclMeta {
                warns,
                removed_message: removed_message.clone(),
                ..DeclMeta::default()
            },
        });
    }
}

fn string_list(ev: &Evaluator, thunk: &Thunk) -> Option<Vec<String>> {
    match ev.force(thunk) {
        Value::List(items) => items
            .iter()
            .map(|item| match ev.force(item) {
                Value::Str(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

const MAX_OPTION_DEPTH: usize = 32;

fn walk_options(
    ev: &Evaluator,
    thunk: &Thunk,
    key: (Option<FileRange>, Option<FileRange>),
    path: &mut OptionPath,
    summary: &mut ModuleSummary,
    submodule_depth: u32,
) {
    if path.len() > MAX_OPTION_DEPTH {
        summary.open.push(path.clone());
        return;
    }
    let value = ev.force(thunk);
    match &value {
        Value::Attrs(attrs) if attrs.marker == Some("option") => {
            declare(ev, attrs, key, path, summary, submodule_depth);
        }
        Value::Attrs(attrs) if attrs.marker.is_none() => {
            if attrs.incomplete {
                summary.open.push(path.clone());
            }
            for (name, entry) in &attrs.entries {
                path.push(Segment::Name(name.to_string()));
                walk_options(
                    ev,
                    &entry.value,
                    (entry.key, entry.path_range()),
                    path,
                    summary,
                    submodule_depth,
                );
                path.pop();
            }
        }
        _ => summary.open.push(path.clone()),
    }
}

fn declare(
    ev: &Evaluator,
    attrs: &Attrs,
    (key, path_range): (Option<FileRange>, Option<FileRange>),
    path: &mut OptionPath,
    summary: &mut ModuleSummary,
    submodule_depth: u32,
) {
    let type_value = attrs.get("type").map(|entry| ev.force(&entry.value));
    let type_value = match type_value {
        Some(Value::Type(ty)) => Some(ty),
        Some(_) => Some(Rc::new(TypeValue::Opaque)),
        None => None,
    };
    let ty = match &type_value {
        Some(ty) => type_data(ty),
        None => TypeData::Any("unspecified".into()),
    };
    let kind = match attrs.get("description").map(|e| ev.force(&e.value)) {
        Some(Value::Str(d)) if d.starts_with("Whether to enable ") => DeclKind::EnableOption,
        _ if matches!(ty, TypeData::Package)
            && attrs
                .get("default")
                .is_some_and(|d| matches!(d.value.peek(), Some(Value::Pkgs(_)))) =>
        {
            DeclKind::PackageOption
        }
        _ => DeclKind::Option,
    };
    let flag = |name: &str| {
        attrs
            .get(name)
            .is_some_and(|entry| matches!(ev.force(&entry.value), Value::Bool(true)))
    };
    let text_of = |name: &str| -> Option<String> {
        let entry = attrs.get(name)?;
        Some(render(ev, &entry.value))
    };
    let default = attrs
        .get("defaultText")
        .map(|entry| render(ev, &entry.value))
        .or_else(|| text_of("default"));
    let description = attrs
        .get("description")
        .and_then(|entry| match ev.force(&entry.value) {
            Value::Str(text) => Some(text.to_string()),
            Value::Attrs(doc) => doc
                .get("text")
                .and_then(|text| match ev.force(&text.value) {
                    Value::Str(text) => Some(text.to_string()),
                    _ => None,
                }),
            _ => None,
        });
    summary.declarations.push(Declaration {
        path: path.clone(),
        kind,
        ty,
        default,
        description,
        example: text_of("example"),
        alias_of: None,
        decl: attrs.origin,
        key,
        path_range,
        meta: DeclMeta {
            read_only: flag("readOnly"),
            internal: flag("internal"),
            hidden: attrs
                .get("visible")
                .is_some_and(|entry| !matches!(ev.force(&entry.value), Value::Bool(true))),
            ..DeclMeta::default()
        },
    });
    // Sub-options of submodule types.
    if let Some(ty) = type_value {
        if submodule_depth < 8 {
            walk_submodule_type(ev, &ty, path, summary, submodule_depth + 1);
        }
    }
}

fn walk_submodule_type(
    ev: &Evaluator,
    ty: &TypeValue,
    path: &mut OptionPath,
    summary: &mut ModuleSummary,
    depth: u32,
) {
    match ty {
        TypeValue::Submodule(modules) => {
            for module in modules {
                submodule_options(ev, module, path, summary, depth, &mut Vec::new());
            }
        }
        TypeValue::AttrsOf(inner) => {
            path.push(Segment::AnyName);
            walk_submodule_type(ev, inner, path, summary, depth);
            path.pop();
        }
        TypeValue::ListOf(inner) => {
            path.push(Segment::AnyIndex);
            walk_submodule_type(ev, inner, path, summary, depth);
            path.pop();
        }
        TypeValue::NullOr(inner) => walk_submodule_type(ev, inner, path, summary, depth),
        TypeValue::Either(a, b) => {
            walk_submodule_type(ev, a, path, summary, depth);
            walk_submodule_type(ev, b, path, summary, depth);
        }
        TypeValue::OneOf(members) => {
            for member in members {
                walk_submodule_type(ev, member, path, summary, depth);
            }
        }
        _ => {}
    }
}

fn submodule_options(
    ev: &Evaluator,
    module: &Thunk,
    path: &mut OptionPath,
    summary: &mut ModuleSummary,
    depth: u32,
    seen: &mut Vec<String>,
) {
    let mut value = ev.force(module);
    if let Value::Path(file) = &value {
        if seen.contains(&file.to_string()) || seen.len() > 16 {
            return;
        }
        seen.push(file.to_string());
        value = ev.import(file);
    }
    if let Value::Lambda(_) = value {
        let args = module_args(ev, &[("name", Value::AnyStr)]);
        value = ev.apply(&value, args, None);
    }
    let Value::Attrs(attrs) = value else {
        summary.open.push(path.clone());
        return;
    };
    if attrs.incomplete {
        summary.open.push(path.clone());
    }
    if attrs.get("freeformType").is_some() {
        summary.open.push(path.clone());
    }
    if let Some(options) = attrs.get("options") {
        walk_options(
            ev,
            &options.value,
            (options.key, options.path_range()),
            path,
            summary,
            depth,
        );
    }
    if let Some(imports) = attrs.get("imports") {
        match ev.force(&imports.value) {
            Value::List(items) => {
                for item in items.iter() {
                    submodule_options(ev, item, path, summary, depth, seen);
                }
            }
            _ => summary.open.push(path.clone()),
        }
    }
}

pub fn type_data(ty: &TypeValue) -> TypeData {
    match ty {
        TypeValue::Named(name) => match *name {
            "bool" => TypeData::Bool,
            "int" => TypeData::Int {
                name: "int".into(),
                min: i64::MIN,
                max: i64::MAX,
            },
            "float" => TypeData::Float,
            "number" => TypeData::Number,
            "str" | "string" => TypeData::Str(StrKind::Str),
            "nonEmptyStr" => TypeData::Str(StrKind::NonEmpty),
            "singleLineStr" => TypeData::Str(StrKind::SingleLine),
            "lines" => TypeData::Str(StrKind::Lines),
            "commas" => TypeData::Str(StrKind::Commas),
            "envVar" => TypeData::Str(StrKind::EnvVar),
            "path" | "externalPath" => TypeData::Path,
            "pathInStore" => TypeData::PathInStore,
            "package" | "shellPackage" => TypeData::Package,
            "attrs" => TypeData::Attrs,
            other => TypeData::Any(format!("types.{other}")),
        },
        TypeValue::Ints { name, min, max } => TypeData::Int {
            name: name.to_string(),
            min: *min,
            max: *max,
        },
        TypeValue::StrMatching(pattern) => TypeData::StrMatching(pattern.to_string()),
        TypeValue::Enum(members) => TypeData::Enum(
            members
                .iter()
                .map(|member| match member {
                    Value::Str(s) => DefKind::Str(s.to_string()),
                    Value::Int(i) => DefKind::Int(*i),
                    Value::Bool(b) => DefKind::Bool(*b),
                    Value::Float(f) => DefKind::Float(f.to_bits()),
                    _ => DefKind::Null,
                })
                .collect(),
        ),
        TypeValue::ListOf(inner) => TypeData::ListOf(Box::new(type_data(inner))),
        TypeValue::AttrsOf(inner) => TypeData::AttrsOf(Box::new(type_data(inner))),
        TypeValue::NullOr(inner) => TypeData::NullOr(Box::new(type_data(inner))),
        TypeValue::Either(a, b) => {
            let mut members = Vec::new();
            for side in [a, b] {
                match type_data(side) {
                    TypeData::OneOf(inner) => members.extend(inner),
                    other => members.push(other),
                }
            }
            TypeData::OneOf(members)
        }
        TypeValue::OneOf(members) => {
            TypeData::OneOf(members.iter().map(|m| type_data(m)).collect())
        }
        TypeValue::Submodule(_) => TypeData::Submodule,
        TypeValue::FunctionTo(inner) => TypeData::FunctionTo(Box::new(type_data(inner))),
        TypeValue::Opaque => TypeData::Any("a custom type".into()),
    }
}

/// Renders a value for display: literal values as Nix, everything else as
/// the source text of its expression.
pub fn render(ev: &Evaluator, thunk: &Thunk) -> String {
    let value = ev.force(thunk);
    if let Value::Pkgs(path) = &value {
        if thunk.loc().is_none() {
            let names: Vec<&str> = path.iter().map(|name| name.as_ref()).collect();
            return format!("pkgs.{}", names.join("."));
        }
    }
    if let Value::Attrs(attrs) = &value {
        if matches!(attrs.marker, Some("literalExpression") | Some("literalMD")) {
            if let Some(Value::Str(text)) = attrs.get("text").map(|t| ev.force(&t.value)) {
                return text.to_string();
            }
        }
    }
    let def = def_value(ev, thunk, 0, &mut 0);
    match def.kind {
        DefKind::Unknown | DefKind::AnyStr | DefKind::Attrs { .. } | DefKind::List(_) => {
            source_text(ev, thunk).unwrap_or_else(|| def.kind.to_nix())
        }
        DefKind::Path(_) => source_text(ev, thunk).unwrap_or_else(|| def.kind.to_nix()),
        kind => kind.to_nix(),
    }
}

fn source_text(ev: &Evaluator, thunk: &Thunk) -> Option<String> {
    let loc = thunk.loc()?;
    let text = loc.file.text(ev.db);
    let slice = text.get(usize::from(loc.range.start())..usize::from(loc.range.end()))?;
    let mut rendered: String = slice.chars().take(200).collect();
    if slice.chars().count() > 200 {
        rendered.push('…');
    }
    Some(rendered)
}

/// `{ config, lib, pkgs, ... }:`: a pattern with `...` that names one of the
/// module system's own arguments.
fn is_module_pattern(lambda: &flakelens_syntax::ast::Lambda) -> bool {
    use flakelens_syntax::ast;
    let Some(ast::Param::Pattern(pattern)) = lambda.param() else {
        return false;
    };
    pattern.ellipsis_token().is_some()
        && pattern
            .pat_entries()
            .filter_map(|entry| entry.ident())
            .filter_map(|ident| crate::eval::ident_text(&ident))
            .any(|name| matches!(name.as_ref(), "config" | "lib" | "pkgs" | "options"))
}
