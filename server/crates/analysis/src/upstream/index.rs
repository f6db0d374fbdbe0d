//! Building an upstream index: the tree is the database's workspace; its
//! module list is evaluated, the closure walked, and every module summary
//! (the same engine that reads the repo's modules) turned into plain data.

use std::collections::{BTreeSet, HashSet};

use flakelens_db::{Db, SourceFile};
use flakelens_syntax::PositionEncoding;

use super::repr::{path_repr, TypeRepr};
use super::{doc_markdown, KindRepr, UpstreamIndex, UpstreamKind, UpstreamOption};
use crate::eval::Value;
use crate::hosts::modules::module_summary;
use crate::module::{
    module_args, module_ref, DeclKind, Declaration, DefEntry, DefKind, ModuleRef, ModuleSummary,
};
use crate::{FileRange, Segment};

/// The modules the tree's module list names, and whether some entries
/// could not be worked out.
pub fn tree_roots(db: &dyn Db, kind: UpstreamKind) -> (Vec<ModuleRef>, Vec<String>) {
    let root = db.workspace().root(db);
    let list_path = format!("{}/{}", root.trim_end_matches('/'), kind.root_file());
    let Some(file) = flakelens_db::file_at(db, &list_path) else {
        return (Vec::new(), vec![kind.root_file().to_string()]);
    };
    let ev = crate::known::evaluator(db);
    let mut value = ev.force(&ev.import_thunk(file));
    if let Value::Lambda(_) = value {
        // home-manager: `{ pkgs, lib, check ? true, … }: [ … ]`.
        let args = module_args(
            &ev,
            &[
                ("check", Value::Bool(true)),
                ("useNixpkgsModule", Value::Bool(true)),
                ("minimal", Value::Bool(false)),
            ],
        );
        value = ev.apply(&value, args, None);
    }
    let mut roots = Vec::new();
    let mut unknown = Vec::new();
    match value {
        Value::List(items) => {
            for item in items.iter() {
                let module = module_ref(&ev, item, &mut Vec::new());
                if matches!(
                    module,
                    ModuleRef::Unknown { .. } | ModuleRef::External { .. }
                ) {
                    unknown.push(describe_site(db, module.site()));
                }
                roots.push(module);
            }
        }
        _ => unknown.push(kind.root_file().to_string()),
    }
    (roots, unknown)
}

fn describe_site(db: &dyn Db, site: Option<FileRange>) -> String {
    match site {
        Some(site) => {
            let (file, line, _) = position(db, site);
            format!("{file}:{line}")
        }
        None => "a module-list entry".into(),
    }
}

/// `file` relative to the tree root, 1-based line and column.
fn position(db: &dyn Db, range: FileRange) -> (String, u32, u32) {
    let root = db.workspace().root(db);
    let path = range.file.path(db);
    let relative = path
        .strip_prefix(root.as_str())
        .map(|rest| rest.trim_start_matches('/'))
        .unwrap_or(path)
        .to_string();
    let at = flakelens_db::line_index(db, range.file)
        .line_col(range.range.start(), PositionEncoding::Utf32);
    (relative, at.line + 1, at.col + 1)
}

/// Indexes the tree loaded as `db`'s workspace.
pub fn index_tree(db: &dyn Db, kind: UpstreamKind) -> UpstreamIndex {
    let (roots, mut unknown_files) = tree_roots(db, kind);
    let closure = crate::hosts::closure_of(db, &roots, None);
    let mut index = UpstreamIndex {
        kind,
        root: db.workspace().root(db).clone(),
        options: Vec::new(),
        open: Vec::new(),
        files: closure.files.len() as u32,
        unknown_files: Vec::new(),
        defined: Vec::new(),
        version_unsure: false,
    };
    let mut summaries: Vec<(&ModuleSummary, Option<SourceFile>)> = Vec::new();
    for file in &closure.files {
        summaries.push((module_summary(db, *file), Some(*file)));
    }
    for inline in &closure.inline {
        summaries.push((inline, None));
    }
    for (summary, file) in &summaries {
        if summary.unknown || summary.imports_incomplete {
            let name = match file {
                Some(file) => {
                    position(
                        db,
                        FileRange {
                            file: *file,
                            range: Default::default(),
                        },
                    )
                    .0
                }
                None => describe_site(db, summary.origin),
            };
            unknown_files.push(name);
        }
        for decl in &summary.declarations {
            if let Some(option) = option_of(db, decl) {
                index.options.push(option);
            }
        }
        for path in &summary.open {
            index.open.push(path_repr(path));
        }
    }
    alias_suboptions(&mut index.options);
    // Which read-only options the tree itself sets.
    let read_only: HashSet<Vec<String>> = index
        .options
        .iter()
        .filter(|option| option.read_only)
        .filter_map(|option| {
            option
                .path
                .iter()
                .map(|segment| match segment {
                    super::SegRepr::Name(name) => Some(name.clone()),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let mut defined = BTreeSet::new();
    if !read_only.is_empty() {
        for (summary, _) in &summaries {
            collect_defined(
                &summary.definitions,
                &mut Vec::new(),
                &read_only,
                &mut defined,
            );
        }
    }
    index.defined = defined.into_iter().collect();
    unknown_files.sort();
    unknown_files.dedup();
    index.unknown_files = unknown_files;
    index
        .options
        .sort_by(|a, b| (&a.path, &a.file, a.line).cmp(&(&b.path, &b.file, b.line)));
    index.options.dedup();
    index.open.sort();
    index.open.dedup();
    index
}

/// A typed alias (mkRenamedOptionModule, mkAliasOptionModule) has its
/// target's type, so the module system gives it the target's sub-options
/// too: `boot.systemd.services.<name>.after`.
fn alias_suboptions(options: &mut Vec<UpstreamOption>) {
    let aliases: Vec<(Vec<super::SegRepr>, Vec<super::SegRepr>)> = options
        .iter()
        .filter(|option| option.typed_alias && option.kind == KindRepr::Alias)
        .filter_map(|option| Some((option.path.clone(), option.alias_of.clone()?)))
        .collect();
    if aliases.is_empty() {
        return;
    }
    // Only an alias of an option: one of a namespace (`[ "services" "x" ]`)
    // is a single option of unspecified type in the module system.
    let declared: HashSet<&Vec<super::SegRepr>> = options
        .iter()
        .filter(|option| option.kind != KindRepr::Alias && option.kind != KindRepr::Removed)
        .map(|option| &option.path)
        .collect();
    let aliases: Vec<_> = aliases
        .into_iter()
        .filter(|(_, to)| declared.contains(to))
        .collect();
    let targets: std::collections::HashMap<Vec<super::SegRepr>, TypeRepr> = options
        .iter()
        .filter(|option| aliases.iter().any(|(_, to)| *to == option.path))
        .filter(|option| option.kind != KindRepr::Alias)
        .map(|option| (option.path.clone(), option.ty.clone()))
        .collect();
    for option in options.iter_mut() {
        if option.typed_alias && option.kind == KindRepr::Alias {
            if let Some(ty) = option.alias_of.as_ref().and_then(|to| targets.get(to)) {
                option.ty = ty.clone();
            }
        }
    }
    let mut added = Vec::new();
    for (from, to) in &aliases {
        for option in options.iter() {
            if option.path.len() > to.len() && option.path.starts_with(to) {
                let mut copy = option.clone();
                copy.path = from
                    .iter()
                    .chain(&option.path[to.len()..])
                    .cloned()
                    .collect();
                added.push(copy);
            }
        }
    }
    options.extend(added);
}

fn collect_defined(
    entries: &[DefEntry],
    path: &mut Vec<String>,
    wanted: &HashSet<Vec<String>>,
    out: &mut BTreeSet<Vec<String>>,
) {
    if path.len() > 12 {
        return;
    }
    for entry in entries {
        path.push(entry.name.clone());
        if wanted.contains(path) {
            out.insert(path.clone());
        }
        if let DefKind::Attrs { entries, .. } = &entry.value.kind {
            collect_defined(entries, path, wanted, out);
        }
        path.pop();
    }
}

fn option_of(db: &dyn Db, decl: &Declaration) -> Option<UpstreamOption> {
    let site = decl.key.or(decl.decl)?;
    let (file, line, column) = position(db, site);
    let kind = match decl.kind {
        DeclKind::Option => KindRepr::Option,
        DeclKind::EnableOption => KindRepr::Enable,
        DeclKind::PackageOption => KindRepr::Package,
        DeclKind::Alias => KindRepr::Alias,
        DeclKind::Removed => KindRepr::Removed,
    };
    let alias_target = decl.alias_of.clone().or_else(|| {
        // Untyped aliases keep their target only in the description.
        decl.description
            .as_deref()
            .and_then(|d| d.strip_prefix("Alias of `"))
            .and_then(|d| d.strip_suffix("`."))
            .map(|to| {
                to.split('.')
                    .map(|name| Segment::Name(name.to_string()))
                    .collect()
            })
    });
    Some(UpstreamOption {
        path: path_repr(&decl.path),
        kind,
        ty: TypeRepr::of(&decl.ty),
        default: decl.default.clone(),
        example: decl.example.clone(),
        description: match decl.kind {
            DeclKind::Alias | DeclKind::Removed => None,
            _ => decl.description.as_deref().map(doc_markdown),
        },
        read_only: decl.meta.read_only,
        internal: decl.meta.internal,
        visible: !decl.meta.hidden,
        typed_alias: decl.alias_of.is_some(),
        alias_of: alias_target.as_deref().map(path_repr),
        warns: decl.meta.warns,
        removed_message: decl.meta.removed_message.as_deref().map(doc_markdown),
        file,
        line,
        column,
    })
}
