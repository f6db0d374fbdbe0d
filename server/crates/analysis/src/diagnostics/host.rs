//! The walk of one host's diagnostics: its module closure's definitions
//! against the options it sees, and the evaluations nested in it. Each
//! check is its code's own file (`type_mismatch`, `unknown_option`,
//! `upstream_options`, `missing_import`, `duplicate_declaration`); this
//! file owns the context they share, the order they run in and the notes
//! of `check --explain`.

use std::sync::Arc;

use flakelens_db::{paths, Db, SourceFile};

use super::explain::{not_owned_reason, Explainer};
use super::Diagnostic;
use crate::hosts::{host, host_closure, Closure, HostKey};
use crate::module::{Cond, DefEntry, DefKind, ModuleRef, ModuleSummary, NestedKind};
use crate::options::{host_options, repo_options_for, OptionIndex, Trie};
use crate::{OptionPath, Segment};

pub(crate) struct HostContext<'a> {
    pub(crate) db: &'a dyn Db,
    pub(crate) index: &'a OptionIndex,
    pub(crate) repo: &'a OptionIndex,
    pub(crate) closure: &'a Closure,
    pub(crate) host_name: String,
    pub(crate) host_root: Option<SourceFile>,
    /// Whether top-level namespaces may be owned at all (false where no
    /// closure is checked); externals are weighed per name in `owned`.
    pub(crate) top_level_owned: bool,
    /// The host's module summaries, to decide `mkIf` conditions; `None`
    /// for modules in no host.
    pub(crate) summaries: Option<&'a [&'a ModuleSummary]>,
    /// The `mkIf` conditions of the definition being walked.
    pub(crate) when: Vec<Cond>,
    /// The upstream tree of this evaluation, when it is indexed completely
    /// and nothing unindexed is imported: its namespaces are then known.
    pub(crate) upstream: Option<&'a crate::upstream::UpstreamIndex>,
    /// The upstream tree this evaluation's options come from.
    pub(crate) tree: crate::UpstreamKind,
    /// Set by `check --explain`: records why definitions were not checked.
    pub(crate) explain: Option<Explainer>,
    pub(crate) out: Vec<Diagnostic>,
}

/// Diagnostics for one host: definitions in its closure checked against
/// the options it can see, then the same for evaluations nested in it
/// (home-manager users, containers).
#[salsa::tracked(returns(ref))]
pub fn host_diagnostics<'db>(db: &'db dyn Db, key: HostKey<'db>) -> Arc<Vec<Diagnostic>> {
    Arc::new(run_host_checks(db, key, None))
}

/// The checks behind [`host_diagnostics`]; with an explainer (`check
/// --explain`, uncached) they also record why definitions were not checked.
pub(crate) fn run_host_checks(
    db: &dyn Db,
    key: HostKey<'_>,
    mut explain: Option<&mut Explainer>,
) -> Vec<Diagnostic> {
    let closure = host_closure(db, key);
    let index = host_options(db, key);
    // The repo-wide fallback of this host's module class only.
    let repo = repo_options_for(db, *key.kind(db));
    let host_root = host(db, key).and_then(|host| {
        host.roots.iter().find_map(|root| match root {
            ModuleRef::File { file, .. } => Some(*file),
            _ => None,
        })
    });
    let mut out = Vec::new();
    let mut summaries: Vec<&ModuleSummary> = Vec::new();
    let mut to_check: Vec<&ModuleSummary> = Vec::new();
    let check_key = CheckKey::new(
        db,
        *crate::options::host_decl_set(db, key),
        *key.kind(db),
        closure.unknown,
        closure.external.clone(),
    );
    for file in &closure.files {
        let context = crate::hosts::summary_context(db, *file, Some(key));
        let summary = crate::hosts::module_summary_in(db, *file, context);
        summaries.push(summary);
        // `--explain` wants the notes of clean modules too.
        if explain.is_some() || !module_clean(db, *file, context, check_key) {
            to_check.push(summary);
        }
    }
    summaries.extend(closure.inline.iter().map(|s| &**s));
    to_check.extend(closure.inline.iter().map(|s| &**s));
    check_closure(
        db,
        closure,
        index,
        repo,
        (&summaries, &to_check),
        key.name(db),
        host_root,
        crate::upstream::tree_for_host(*key.kind(db)),
        explain.as_deref_mut(),
        &mut out,
    );
    // Duplicates depend on the index alone: found once per shared index.
    out.extend(
        decl_set_duplicates(db, *crate::options::host_decl_set(db, key))
            .iter()
            .cloned(),
    );

    // Nested evaluations: group their roots by evaluation.
    let mut groups: std::collections::BTreeMap<NestedKind, Vec<ModuleRef>> = Default::default();
    let mut shared = Vec::new();
    for summary in &summaries {
        for nested in &summary.nested {
            match &nested.kind {
                NestedKind::HomeShared => shared.push(nested.module.clone()),
                kind => groups
                    .entry(kind.clone())
                    .or_default()
                    .push(nested.module.clone()),
            }
        }
    }
    for (kind, mut roots) in groups {
        let name = match &kind {
            NestedKind::HomeUser(user) => {
                roots.extend(shared.iter().cloned());
                format!("{}/home-manager.users.{user}", key.name(db))
            }
            NestedKind::Container(container) => {
                format!("{}/containers.{container}", key.name(db))
            }
            NestedKind::HomeShared => continue,
        };
        let nested_closure = crate::hosts::closure_of(db, &roots, None);
        let mut nested_index = OptionIndex::default();
        let nested_tree = match &kind {
            NestedKind::HomeUser(_) => crate::upstream::UpstreamKind::Home,
            _ => crate::upstream::tree_for_host(*key.kind(db)),
        };
        if let Some(upstream) = crate::options::upstream_options(db, nested_tree) {
            nested_index.merge_upstream(upstream);
        }
        let mut nested_summaries: Vec<&ModuleSummary> = Vec::new();
        for file in &nested_closure.files {
            nested_summaries.push(crate::hosts::module_summary(db, *file));
        }
        nested_summaries.extend(nested_closure.inline.iter().map(|s| &**s));
        for summary in &nested_summaries {
            nested_index.add_summary_declarations(summary);
        }
        let root = roots.iter().find_map(|root| match root {
            ModuleRef::File { file, .. } => Some(*file),
            _ => None,
        });
        let nested_repo = match &kind {
            NestedKind::Container(_) => repo_options_for(db, crate::HostKind::Nixos),
            _ => repo_options_for(db, crate::HostKind::Home),
        };
        check_closure(
            db,
            &nested_closure,
            &nested_index,
            nested_repo,
            (&nested_summaries, &nested_summaries),
            &name,
            root,
            nested_tree,
            explain.as_deref_mut(),
            &mut out,
        );
        let mut cx = host_context(db, &nested_closure, &nested_index, nested_repo, nested_tree);
        super::duplicate_declaration::duplicate_declarations(&mut cx);
        out.extend(cx.out);
    }
    out
}

/// Checks `to_check` (some of `summaries`, the whole closure's modules)
/// in one host's context.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_closure(
    db: &dyn Db,
    closure: &Closure,
    index: &OptionIndex,
    repo: &OptionIndex,
    (summaries, to_check): (&[&ModuleSummary], &[&ModuleSummary]),
    host_name: &str,
    host_root: Option<SourceFile>,
    tree: crate::upstream::UpstreamKind,
    explain: Option<&mut Explainer>,
    out: &mut Vec<Diagnostic>,
) {
    let mut cx = host_context(db, closure, index, repo, tree);
    cx.host_name = host_name.to_string();
    cx.host_root = host_root;
    cx.summaries = Some(summaries);
    cx.explain = explain.as_ref().map(|_| Explainer::default());
    for summary in to_check {
        check_definitions(&mut cx, &summary.definitions);
        super::missing_import::missing_imports(&mut cx, summary);
    }
    if let (Some(target), Some(notes)) = (explain, cx.explain.take()) {
        target.notes.extend(notes.notes);
    }
    out.extend(cx.out);
}

/// What a module's checks in a host depend on besides the module itself:
/// the host's option index, its class (the repo-wide fallback and the
/// upstream tree) and the parts of its closure that decide ownership.
#[salsa::interned(debug)]
pub struct CheckKey<'db> {
    pub set: crate::options::DeclSet<'db>,
    pub kind: crate::HostKind,
    pub unknown: bool,
    #[returns(ref)]
    pub external: Vec<String>,
}

/// Whether a module's definitions and imports give no diagnostic in any
/// host with this [`CheckKey`]. Which hosts use it only changes the words
/// of a diagnostic (the host's name, an inactive `mkIf`), never whether
/// there is one, so a fleet checks each shared module once, and a host
/// re-walks only the modules that have something to say.
#[salsa::tracked]
pub fn module_clean<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    context: Option<HostKey<'db>>,
    key: CheckKey<'db>,
) -> bool {
    let summary = crate::hosts::module_summary_in(db, file, context);
    let closure = Closure {
        unknown: *key.unknown(db),
        external: key.external(db).clone(),
        ..Closure::default()
    };
    let index = crate::options::decl_set_options(db, *key.set(db));
    let repo = repo_options_for(db, *key.kind(db));
    let tree = crate::upstream::tree_for_host(*key.kind(db));
    let mut cx = host_context(db, &closure, index, repo, tree);
    check_definitions(&mut cx, &summary.definitions);
    super::missing_import::missing_imports(&mut cx, summary);
    cx.out.is_empty()
}

/// Options declared twice in the index of a [`crate::options::DeclSet`].
#[salsa::tracked(returns(ref))]
pub fn decl_set_duplicates<'db>(
    db: &'db dyn Db,
    set: crate::options::DeclSet<'db>,
) -> Arc<Vec<Diagnostic>> {
    let closure = Closure::default();
    let index = crate::options::decl_set_options(db, set);
    let mut cx = host_context(db, &closure, index, index, *set.tree(db));
    super::duplicate_declaration::duplicate_declarations(&mut cx);
    Arc::new(cx.out)
}

/// A host-neutral context: no host name, root, summaries or explainer.
fn host_context<'a>(
    db: &'a dyn Db,
    closure: &'a Closure,
    index: &'a OptionIndex,
    repo: &'a OptionIndex,
    tree: crate::upstream::UpstreamKind,
) -> HostContext<'a> {
    let top_level_owned = closure
        .external
        .iter()
        .all(|description| description == "modulesPath");
    let upstream = crate::upstream::upstream_index(db, tree)
        .filter(|index| {
            index.complete() && index.trusted_for_checks() && top_level_owned && !closure.unknown
        })
        .map(|index| &**index);
    HostContext {
        db,
        index,
        repo,
        closure,
        host_name: String::new(),
        host_root: None,
        // Externals are weighed per name in `owned`; a module that could
        // not be resolved at all (or one a framework injects) could declare
        // under any top-level name, so none is owned then.
        top_level_owned: !closure.unknown,
        upstream,
        summaries: None,
        when: Vec::new(),
        tree,
        explain: None,
        out: Vec::new(),
    }
}

pub(crate) fn display_file(db: &dyn Db, path: &str) -> String {
    paths::relative_to(path, db.workspace().root(db)).to_string()
}

pub(crate) fn check_definitions(cx: &mut HostContext, entries: &[DefEntry]) {
    // Copy the reference out so `cx` stays free to borrow mutably.
    let index: &OptionIndex = cx.index;
    let mut path = Vec::new();
    walk(cx, Some(&index.root), index.root.open, entries, &mut path);
}

pub(crate) fn walk(
    cx: &mut HostContext,
    node: Option<&Trie>,
    open: bool,
    entries: &[DefEntry],
    path: &mut OptionPath,
) {
    for entry in entries {
        path.push(Segment::Name(entry.name.clone()));
        let conditions = entry.value.when.len();
        cx.when.extend(entry.value.when.iter().cloned());
        walk_entry(cx, node, open, entry, path);
        cx.when.truncate(cx.when.len() - conditions);
        path.pop();
    }
}

fn walk_entry(
    cx: &mut HostContext,
    node: Option<&Trie>,
    open: bool,
    entry: &DefEntry,
    path: &mut OptionPath,
) {
    {
        let child = node.and_then(|node| node.child(&entry.name));
        match child {
            Some(child) => {
                let open = open || child.open;
                // An alias checks against its target's declaration.
                let target = child.declaration().and_then(|decl| {
                    let alias = decl.alias_of.as_ref()?;
                    cx.index.root.find(alias).0?.declaration().cloned()
                });
                if let Some(decl) = child.declaration() {
                    if !unsure_tree(cx, decl) {
                        super::upstream_options::upstream_use(cx, entry, path, decl);
                    }
                }
                let declaration = target
                    .or_else(|| child.declaration().cloned())
                    .filter(|decl| !from_unsure_tree(cx, decl, entry, path));
                if let (Some(decl), true) = (declaration.as_ref(), cx.explain.is_some()) {
                    note_value(cx, entry, path, decl);
                }
                if let Some(decl) = declaration.as_ref() {
                    super::type_mismatch::check_type(cx, entry, path, decl);
                }
                if let DefKind::Attrs { entries, .. } = &entry.value.kind {
                    // Into namespaces and submodules; not into plain
                    // attrsOf/anything values (no children there).
                    if !child.children.is_empty() || child.decls.is_empty() {
                        walk(cx, Some(child), open, entries, path);
                    }
                } else if let DefKind::List(items) = &entry.value.kind {
                    if let Some(element) = child.children.get(&Segment::AnyIndex) {
                        for item in items {
                            if let DefKind::Attrs { entries, .. } = &item.kind {
                                path.push(Segment::AnyIndex);
                                walk(cx, Some(element), open || element.open, entries, path);
                                path.pop();
                            }
                        }
                    }
                }
            }
            None => {
                let under_option = node.is_some_and(|node| !node.decls.is_empty());
                if open || under_option {
                    // Unseen declarations, or values of an option.
                    if open && !under_option {
                        let reason = "it lies in a namespace that accepts any attribute \
                                      (a freeform type or computed options)"
                            .to_string();
                        silent(cx, entry, path, reason);
                    }
                } else if !super::unknown_option::missing_option(cx, entry, path) {
                    if !matches!(entry.value.kind, DefKind::Attrs { .. }) && cx.explain.is_some() {
                        let reason = not_owned_reason(cx, path);
                        silent(cx, entry, path, reason);
                    }
                    // Not owned by the repo here; deeper paths may be.
                    if let DefKind::Attrs { entries, .. } = &entry.value.kind {
                        walk(cx, None, false, entries, path);
                    }
                }
            }
        }
    }
}

/// `check --explain`: whether the value of a definition was checked
/// against its declared type, or why not.
fn note_value(
    cx: &mut HostContext,
    entry: &DefEntry,
    path: &[Segment],
    decl: &crate::module::Declaration,
) {
    let range = entry.path_range.or(entry.key);
    let host = cx.host_name.clone();
    let Some(explain) = cx.explain.as_mut() else {
        return;
    };
    match crate::module::types::unchecked_reason(&entry.value, &decl.ty) {
        None => explain.checked(&host, range, path),
        // A submodule's fields are noted one by one.
        Some(_) if matches!(entry.value.kind, DefKind::Attrs { .. }) => {}
        Some(reason) => explain.silent(&host, range, path, reason),
    }
}

/// Whether `decl` comes from an upstream tree that may not be the version
/// the repository evaluates (see `UpstreamIndex::version_unsure`).
fn unsure_tree(cx: &HostContext, decl: &crate::module::Declaration) -> bool {
    decl.meta.upstream.as_ref().is_some_and(|site| {
        crate::upstream::upstream_index(cx.db, site.tree)
            .is_some_and(|index| !index.trusted_for_checks())
    })
}

/// [`unsure_tree`], noting the silence for `check --explain`.
fn from_unsure_tree(
    cx: &mut HostContext,
    decl: &crate::module::Declaration,
    entry: &DefEntry,
    path: &[Segment],
) -> bool {
    let unsure = unsure_tree(cx, decl);
    if unsure && cx.explain.is_some() {
        let reason = "its declaration comes from an upstream tree that may not be the \
                      version flake.lock pins (found via a registry, NIX_PATH or a channel)"
            .to_string();
        silent(cx, entry, path, reason);
    }
    unsure
}

pub(crate) fn silent(cx: &mut HostContext, entry: &DefEntry, path: &[Segment], reason: String) {
    let range = entry.path_range.or(entry.key);
    let host = cx.host_name.clone();
    if let Some(explain) = cx.explain.as_mut() {
        explain.silent(&host, range, path, reason);
    }
}
