//! Diagnostics of one host: type mismatches, unknown and not-imported
//! options, missing imports and duplicate declarations, checked over the
//! host's module closure.

use std::sync::Arc;

use flakelens_db::{paths, Db, SourceFile};

use super::{codes, Diagnostic, Fix, Severity};
use crate::display_path;
use crate::hosts::{host, host_closure, Closure, HostKey};
use crate::known::externals::may_declare_top_level;
use crate::known::upstream::any_upstream_declares;
use crate::module::types::check_value;
use crate::module::{Cond, DefEntry, DefKind, ModuleRef, ModuleSummary, NestedKind};
use crate::options::{host_options, repo_options_for, OptionIndex, Trie};

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
    pub(crate) out: Vec<Diagnostic>,
}

/// Diagnostics for one host: definitions in its closure checked against
/// the options it can see, then the same for evaluations nested in it
/// (home-manager users, containers).
#[salsa::tracked(returns(ref))]
pub fn host_diagnostics<'db>(db: &'db dyn Db, key: HostKey<'db>) -> Arc<Vec<Diagnostic>> {
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
        if !module_clean(db, *file, context, check_key) {
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
        &summaries,
        &to_check,
        key.name(db),
        host_root,
        crate::upstream::tree_for_host(*key.kind(db)),
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
            &nested_summaries,
            &nested_summaries,
            &name,
            root,
            nested_tree,
            &mut out,
        );
        duplicate_declarations(&nested_index, &mut out);
    }
    Arc::new(out)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn check_closure(
    db: &dyn Db,
    closure: &Closure,
    index: &OptionIndex,
    repo: &OptionIndex,
    summaries: &[&ModuleSummary],
    to_check: &[&ModuleSummary],
    host_name: &str,
    host_root: Option<SourceFile>,
    tree: crate::upstream::UpstreamKind,
    out: &mut Vec<Diagnostic>,
) {
    let mut cx = host_context(db, closure, index, repo, tree);
    cx.host_name = host_name.to_string();
    cx.host_root = host_root;
    cx.summaries = Some(summaries);
    for summary in to_check {
        check_definitions(&mut cx, &summary.definitions);
        missing_imports(&mut cx, summary);
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
    missing_imports(&mut cx, summary);
    cx.out.is_empty()
}

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
        .filter(|index| index.complete() && top_level_owned && !closure.unknown)
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
        out: Vec::new(),
    }
}

/// Options declared twice in the index of a [`crate::options::DeclSet`].
#[salsa::tracked(returns(ref))]
pub fn decl_set_duplicates<'db>(
    db: &'db dyn Db,
    set: crate::options::DeclSet<'db>,
) -> Arc<Vec<Diagnostic>> {
    let mut out = Vec::new();
    duplicate_declarations(crate::options::decl_set_options(db, set), &mut out);
    Arc::new(out)
}

pub(crate) fn missing_imports(cx: &mut HostContext, summary: &ModuleSummary) {
    for import in &summary.imports {
        match import {
            ModuleRef::Missing {
                path,
                site: Some(site),
            } => cx.out.push(Diagnostic {
                range: *site,
                severity: Severity::Error,
                code: codes::MISSING_IMPORT,
                message: format!("imported path {} does not exist", display_file(cx.db, path)),
                related: Vec::new(),
                fixes: Vec::new(),
            }),
            ModuleRef::Inline { summary, .. } => missing_imports(cx, summary),
            _ => {}
        }
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
    path: &mut Vec<String>,
) {
    for entry in entries {
        path.push(entry.name.clone());
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
    path: &mut Vec<String>,
) {
    {
        let child = node.and_then(|node| node.child(&entry.name));
        match child {
            Some(child) => {
                let open = open || child.open;
                // An alias checks against its target's declaration.
                let target = child.declaration().and_then(|decl| {
                    let alias = decl.alias_of.as_ref()?;
                    let names: Vec<&str> = alias
                        .iter()
                        .map(|segment| match segment {
                            crate::Segment::Name(name) => name.as_str(),
                            crate::Segment::AnyName => "<name>",
                            crate::Segment::AnyIndex => "*",
                        })
                        .collect();
                    cx.index.root.find(&names).0?.declaration().cloned()
                });
                if let Some(decl) = child.declaration() {
                    upstream_use(cx, entry, path, decl);
                }
                let declaration = target.or_else(|| child.declaration().cloned());
                if let Some(decl) = declaration.as_ref() {
                    if let Some(mismatch) = check_value(&entry.value, &decl.ty) {
                        if let Some(range) = mismatch.range {
                            let inner = mismatch
                                .inner
                                .map(|inner| format!(" ({inner})"))
                                .unwrap_or_default();
                            let related = decl
                                .key
                                .or(decl.decl)
                                .map(|decl_range| {
                                    vec![(decl_range, "option declared here".to_string())]
                                })
                                .unwrap_or_default();
                            let diagnostic = Diagnostic {
                                range,
                                severity: Severity::Error,
                                code: codes::TYPE_MISMATCH,
                                message: format!(
                                    "{}: expected {}, found {}{inner}",
                                    path.join("."),
                                    mismatch.expected,
                                    mismatch.found
                                ),
                                related,
                                fixes: Vec::new(),
                            };
                            cx.out.push(match super::inactive::inactive_reason(cx) {
                                Some(reason) => super::inactive::inactive(diagnostic, &reason),
                                None => diagnostic,
                            });
                        }
                    }
                }
                if let DefKind::Attrs { entries, .. } = &entry.value.kind {
                    // Into namespaces and submodules; not into plain
                    // attrsOf/anything values (no children there).
                    if !child.children.is_empty() || child.decls.is_empty() {
                        walk(cx, Some(child), open, entries, path);
                    }
                } else if let DefKind::List(items) = &entry.value.kind {
                    if let Some(element) = child.children.get(&crate::Segment::AnyIndex) {
                        for item in items {
                            if let DefKind::Attrs { entries, .. } = &item.kind {
                                path.push("*".into());
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
                } else if !missing_option(cx, entry, path) {
                    // Not owned by the repo here; deeper paths may be.
                    if let DefKind::Attrs { entries, .. } = &entry.value.kind {
                        walk(cx, None, false, entries, path);
                    }
                }
            }
        }
    }
}

/// Setting an upstream option that is renamed, removed or read-only.
fn upstream_use(
    cx: &mut HostContext,
    entry: &DefEntry,
    path: &[String],
    decl: &crate::module::Declaration,
) {
    if decl.meta.upstream.is_none() {
        return;
    }
    let Some(range) = entry.path_range.or(entry.key) else {
        return;
    };
    let written = written_path(entry, path).join(".");
    match decl.kind {
        crate::module::DeclKind::Alias if decl.meta.warns => {
            let Some(to) = decl
                .alias_of
                .as_ref()
                .map(|to| display_path(to))
                .or_else(|| {
                    let text = decl.description.as_deref()?;
                    let to = text.strip_prefix("Renamed to `")?.strip_suffix("`.")?;
                    Some(to.to_string())
                })
            else {
                return;
            };
            // Rewrite the path only where it is written out in full.
            let text = range.file.text(cx.db);
            let source = text.get(usize::from(range.range.start())..usize::from(range.range.end()));
            let old = path.join(".");
            let fixes = if source == Some(old.as_str()) {
                vec![Fix {
                    label: format!("Change to `{to}`"),
                    range,
                    replacement: to.clone(),
                }]
            } else {
                Vec::new()
            };
            cx.out.push(Diagnostic {
                range,
                severity: Severity::Warning,
                code: codes::RENAMED_OPTION,
                message: format!("{old} has been renamed to {to}"),
                related: Vec::new(),
                fixes,
            });
        }
        crate::module::DeclKind::Removed => {
            let mut message = format!("{} has been removed", path.join("."));
            if let Some(why) = &decl.meta.removed_message {
                let why = why.split_whitespace().collect::<Vec<_>>().join(" ");
                if !why.is_empty() {
                    message.push_str(&format!(": {why}"));
                }
            }
            cx.out.push(Diagnostic {
                range,
                severity: Severity::Error,
                code: codes::REMOVED_OPTION,
                message,
                related: Vec::new(),
                fixes: Vec::new(),
            });
        }
        _ if decl.meta.read_only => {
            let tree = decl.meta.upstream.as_ref().map(|site| site.tree);
            let defined_upstream = tree
                .and_then(|tree| crate::upstream::upstream_index(cx.db, tree))
                .is_some_and(|index| index.defined.iter().any(|p| p.as_slice() == path));
            // Nix allows one definition of a read-only option: only when
            // the tree itself sets it is another one sure to fail.
            if defined_upstream {
                cx.out.push(Diagnostic {
                    range,
                    severity: Severity::Error,
                    code: codes::READ_ONLY_OPTION,
                    message: format!(
                        "{written} is read-only and already set by {}",
                        tree.map(|t| t.name()).unwrap_or("upstream")
                    ),
                    related: Vec::new(),
                    fixes: Vec::new(),
                });
            }
        }
        _ => {}
    }
}

/// The path as written in one binding: `my.bakcup.enable` when the entry
/// `bakcup` came from `my.bakcup.enable = true;`.
pub(crate) fn written_path(entry: &DefEntry, path: &[String]) -> Vec<String> {
    let mut full = path.to_vec();
    let mut current = entry;
    loop {
        match &current.value.kind {
            DefKind::Attrs { entries, .. }
                if entries.len() == 1 && entries[0].path_range == current.path_range =>
            {
                current = &entries[0];
                full.push(current.name.clone());
            }
            _ => return full,
        }
    }
}

/// A definition whose path the host's index does not have. Returns whether
/// the path lies in a namespace the repo owns (reported or not).
pub(crate) fn missing_option(cx: &mut HostContext, entry: &DefEntry, path: &[String]) -> bool {
    let names: Vec<&str> = path.iter().map(String::as_str).collect();
    if !owned(cx, &names) {
        return false;
    }
    let Some(range) = entry.path_range.or(entry.key) else {
        return true;
    };
    // The repo-wide view must also be sure nothing unseen is there.
    let (repo_node, repo_open) = cx.repo.root.find(&names);
    if repo_open {
        return true;
    }
    let written = written_path(entry, path);
    if let Some(repo_node) = repo_node {
        // Declared somewhere in the repo, but not in this host's closure.
        if cx.closure.unknown {
            return true;
        }
        // Declared below this path (a namespace) or at it.
        let mut below = Vec::new();
        repo_node.walk(&mut Vec::new(), &mut below);
        let Some((_, decl)) = below.first() else {
            return true;
        };
        let declared_in = decl
            .decl
            .map(|range| display_file(cx.db, range.file.path(cx.db)))
            .unwrap_or_else(|| "this repository".into());
        let host = cx
            .host_root
            .map(|file| display_file(cx.db, file.path(cx.db)))
            .unwrap_or_else(|| format!("host {}", cx.host_name));
        cx.out.push(Diagnostic {
            range,
            severity: Severity::Error,
            code: codes::OPTION_NOT_IMPORTED,
            message: format!(
                "{} is declared in {declared_in}, which {host} does not import",
                written.join(".")
            ),
            related: decl
                .decl
                .map(|range| vec![(range, "declared here".to_string())])
                .unwrap_or_default(),
            fixes: Vec::new(),
        });
        return true;
    }
    // Suggest the closest sibling option name.
    let parent_names = &names[..names.len() - 1];
    let parent = cx
        .index
        .root
        .find(parent_names)
        .0
        .filter(|node| !node.children.is_empty())
        .or_else(|| cx.repo.root.find(parent_names).0);
    let last = names[names.len() - 1];
    let suggestion = parent.and_then(|parent| {
        closest(
            last,
            parent.children.keys().filter_map(|segment| match segment {
                crate::Segment::Name(name) => Some(name.as_str()),
                _ => None,
            }),
        )
    });
    let mut message = format!("{} is not an option", written.join("."));
    let mut fixes = Vec::new();
    if let Some(suggestion) = &suggestion {
        let mut suggested: Vec<String> = written.clone();
        suggested[names.len() - 1] = suggestion.clone();
        message.push_str(&format!("; did you mean {}?", suggested.join(".")));
        if let Some(key) = entry.key {
            fixes.push(Fix {
                label: format!("Change to `{suggestion}`"),
                range: key,
                replacement: suggestion.clone(),
            });
        }
    }
    cx.out.push(Diagnostic {
        range,
        severity: Severity::Error,
        code: codes::UNKNOWN_OPTION,
        message,
        related: Vec::new(),
        fixes,
    });
    true
}

/// Whether the repo owns the namespace of `names` completely: some prefix
/// has an `enable` option declared by the repo, or the first segment is a
/// top-level namespace no upstream module declares. A repo's `wayland.enable`
/// is no proof about `wayland.*`: home-manager declares `wayland.windowManager`
/// too. Any class's table counts, since a partial closure may mix classes.
pub(crate) fn owned(cx: &HostContext, names: &[&str]) -> bool {
    let first = names[0];
    let upstream_name = any_upstream_declares(first);
    for length in 1..names.len() {
        if length == 1 && upstream_name {
            continue;
        }
        if cx.repo.owns_by_enable(&names[..length]) {
            return true;
        }
    }
    if let Some(upstream) = cx.upstream {
        let first_segment = crate::upstream::SegRepr::Name(first.to_string());
        if names.len() > 1
            && upstream
                .options
                .iter()
                .any(|option| option.path.first() == Some(&first_segment))
        {
            return true;
        }
    }
    // Known external modules declare only their own namespaces; an unknown
    // one is not taken to declare under a name no upstream module uses
    // unless the name is its input's (see `known::externals`).
    let externals_may_declare = cx
        .closure
        .external
        .iter()
        .any(|description| may_declare_top_level(description, first));
    cx.top_level_owned
        && !externals_may_declare
        && names.len() > 1
        && !upstream_name
        && cx.repo.root.child(first).is_some()
}

/// The candidate closest to `name` by edit distance, if close enough.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate.to_string())
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    // Optimal string alignment distance: insertions, deletions,
    // substitutions and adjacent transpositions (`prot` → `port`) cost 1.
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

pub(crate) fn duplicate_declarations(index: &OptionIndex, out: &mut Vec<Diagnostic>) {
    for (path, decl) in index.all() {
        let Some(node) = index
            .root
            .find(
                &path
                    .iter()
                    .map(|s| match s {
                        crate::Segment::Name(n) => n.as_str(),
                        crate::Segment::AnyName => "<name>",
                        crate::Segment::AnyIndex => "*",
                    })
                    .collect::<Vec<_>>(),
            )
            .0
        else {
            continue;
        };
        let plain: Vec<_> = node
            .decls
            .iter()
            .filter(|d| {
                !d.ty.has_suboptions()
                    && matches!(
                        d.kind,
                        crate::module::DeclKind::Option
                            | crate::module::DeclKind::EnableOption
                            | crate::module::DeclKind::PackageOption
                    )
            })
            .collect();
        if plain.len() < 2 || !std::ptr::eq(*plain.last().unwrap_or(&decl), decl) {
            continue;
        }
        let first = plain[0];
        let Some(range) = decl.path_range.or(decl.key).or(decl.decl) else {
            continue;
        };
        out.push(Diagnostic {
            range,
            severity: Severity::Warning,
            code: codes::DUPLICATE_DECLARATION,
            message: format!("option {} is declared more than once", display_path(&path)),
            related: first
                .key
                .or(first.decl)
                .map(|range| vec![(range, "first declared here".to_string())])
                .unwrap_or_default(),
            fixes: Vec::new(),
        });
    }
}
