//! Option indexes: a trie of declarations per host, and one for the repo.

use std::collections::BTreeMap;
use std::sync::Arc;

use flakelens_db::{Db, SourceFile};

use crate::hosts::module_declarations;
use crate::hosts::{host_closure, HostKey};
use crate::module::DeclMeta;
use crate::module::{DeclKind, Declaration, ModuleSummary, NestedKind};
use crate::types::TypeData;
use crate::upstream::{
    path_from, upstream_index, KindRepr, UpstreamIndex, UpstreamKind, UpstreamSite,
};
use crate::{HostKind, OptionPath, Segment};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Trie {
    pub children: BTreeMap<Segment, Trie>,
    pub decls: Vec<Declaration>,
    /// Undeclared (unseen) options may exist at or below this node.
    pub open: bool,
}

impl Trie {
    fn node_mut(&mut self, path: &[Segment]) -> &mut Trie {
        let mut node = self;
        for segment in path {
            node = node.children.entry(segment.clone()).or_default();
        }
        node
    }

    /// The child for a concrete name: the exact name, else `<name>`.
    pub fn child(&self, name: &str) -> Option<&Trie> {
        self.children
            .get(&Segment::Name(name.to_string()))
            .or_else(|| self.children.get(&Segment::AnyName))
    }

    /// The node at a path, and whether an open node was passed on the way.
    /// A name matches itself or `<name>`; a wildcard matches only itself.
    pub fn find(&self, path: &[Segment]) -> (Option<&Trie>, bool) {
        let mut node = self;
        let mut open = self.open;
        for segment in path {
            let child = match segment {
                Segment::Name(name) => node.child(name),
                wildcard => node.children.get(wildcard),
            };
            match child {
                Some(child) => {
                    node = child;
                    open |= node.open;
                }
                None => return (None, open),
            }
        }
        (Some(node), open)
    }

    /// The first declaration at this node, if it is an option.
    pub fn declaration(&self) -> Option<&Declaration> {
        self.decls.first()
    }

    /// Every declaration below (and at) this node, depth first.
    pub fn walk<'a>(&'a self, path: &mut OptionPath, out: &mut Vec<(OptionPath, &'a Declaration)>) {
        for decl in &self.decls {
            out.push((path.clone(), decl));
        }
        for (segment, child) in &self.children {
            path.push(segment.clone());
            child.walk(path, out);
            path.pop();
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct OptionIndex {
    pub root: Trie,
    /// Which file declared what (for "declared in X" messages).
    pub declared_in: BTreeMap<OptionPath, Vec<SourceFile>>,
}

impl OptionIndex {
    fn add(&mut self, declarations: &[Declaration], open: &[OptionPath], unknown: bool) {
        if unknown {
            self.root.open = true;
        }
        for path in open {
            self.root.node_mut(path).open = true;
        }
        for decl in declarations {
            let node = self.root.node_mut(&decl.path);
            if !node.decls.contains(decl) {
                node.decls.push(decl.clone());
            }
            if let Some(range) = decl.decl.or(decl.key) {
                let files = self.declared_in.entry(decl.path.clone()).or_default();
                if !files.contains(&range.file) {
                    files.push(range.file);
                }
            }
        }
    }

    fn merge(&mut self, other: &OptionIndex) {
        fn merge_trie(into: &mut Trie, from: &Trie) {
            into.open |= from.open;
            for decl in &from.decls {
                if !into.decls.contains(decl) {
                    into.decls.push(decl.clone());
                }
            }
            for (segment, child) in &from.children {
                merge_trie(into.children.entry(segment.clone()).or_default(), child);
            }
        }
        merge_trie(&mut self.root, &other.root);
        for (path, files) in &other.declared_in {
            let entry = self.declared_in.entry(path.clone()).or_default();
            for file in files {
                if !entry.contains(file) {
                    entry.push(*file);
                }
            }
        }
    }

    /// Adds every declaration of another index (an upstream tree's).
    pub fn merge_upstream(&mut self, other: &OptionIndex) {
        self.merge(other);
    }

    /// Adds an upstream tree's declarations and open namespaces.
    pub fn add_upstream(&mut self, declarations: &[Declaration], open: &[OptionPath]) {
        for path in open {
            self.root.node_mut(path).open = true;
        }
        for decl in declarations {
            let node = self.root.node_mut(&decl.path);
            if !node.decls.contains(decl) {
                node.decls.push(decl.clone());
            }
        }
    }

    /// Adds one summary's own declarations (not its inline imports).
    pub fn add_summary_declarations(&mut self, summary: &ModuleSummary) {
        self.add(&summary.declarations, &summary.open, summary.unknown);
    }

    fn add_summary(&mut self, summary: &ModuleSummary) {
        self.add(&summary.declarations, &summary.open, summary.unknown);
        for import in &summary.imports {
            if let crate::module::ModuleRef::Inline { summary, .. } = import {
                self.add_summary(summary);
            }
        }
    }

    /// All declarations, sorted by path.
    pub fn all(&self) -> Vec<(OptionPath, &Declaration)> {
        let mut out = Vec::new();
        self.root.walk(&mut Vec::new(), &mut out);
        out
    }

    /// Whether `prefix.enable` is declared as a boolean by the repo: the
    /// repo then owns `prefix` (Nix refuses two declarations of one option,
    /// so nothing upstream declares options there).
    pub fn owns_by_enable(&self, prefix: &[Segment]) -> bool {
        let mut path = prefix.to_vec();
        path.push(Segment::Name("enable".to_string()));
        let (node, _) = self.root.find(&path);
        node.and_then(Trie::declaration).is_some_and(|decl| {
            matches!(decl.kind, DeclKind::EnableOption | DeclKind::Option)
                && decl.ty == TypeData::Bool
                && decl.path.iter().all(|s| matches!(s, Segment::Name(_)))
        })
    }
}

/// What a host's option index is built from: the modules of its closure
/// that declare something (in the context each is summarised in) and its
/// upstream tree. Hosts that import the same declaring modules (a fleet's
/// hosts differ only in their own, non-declaring files) share one key, so
/// one index is built and kept for all of them.
#[salsa::interned(debug)]
pub struct DeclSet<'db> {
    pub tree: crate::upstream::UpstreamKind,
    #[returns(ref)]
    pub files: Vec<(SourceFile, Option<HostKey<'db>>)>,
    #[returns(ref)]
    pub inline: Vec<Arc<ModuleSummary>>,
}

/// The [`DeclSet`] of a host.
#[salsa::tracked]
pub fn host_decl_set<'db>(db: &'db dyn Db, key: HostKey<'db>) -> DeclSet<'db> {
    let closure = host_closure(db, key);
    let mut files = Vec::new();
    for file in &closure.files {
        let context = crate::hosts::summary_context(db, *file, Some(key));
        let (declarations, open, unknown) = &**module_declarations(db, *file, context);
        // A module that declares nothing adds nothing to the index.
        if !declarations.is_empty() || !open.is_empty() || *unknown {
            files.push((*file, context));
        }
    }
    let inline: Vec<Arc<ModuleSummary>> = closure
        .inline
        .iter()
        .filter(|s| !s.declarations.is_empty() || !s.open.is_empty() || s.unknown)
        .cloned()
        .collect();
    DeclSet::new(
        db,
        crate::upstream::tree_for_host(*key.kind(db)),
        files,
        inline,
    )
}

/// Options visible to one host: those its module closure declares.
#[salsa::tracked(returns(ref))]
pub fn host_options<'db>(db: &'db dyn Db, key: HostKey<'db>) -> Arc<OptionIndex> {
    decl_set_options(db, *host_decl_set(db, key)).clone()
}

/// The option index of a [`DeclSet`], built once however many hosts share it.
#[salsa::tracked(returns(ref))]
pub fn decl_set_options<'db>(db: &'db dyn Db, set: DeclSet<'db>) -> Arc<OptionIndex> {
    let mut index = OptionIndex::default();
    for (file, context) in set.files(db) {
        let (declarations, open, unknown) = &**module_declarations(db, *file, *context);
        index.add(declarations, open, *unknown);
    }
    for summary in set.inline(db) {
        index.add(&summary.declarations, &summary.open, summary.unknown);
    }
    if let Some(upstream) = upstream_options(db, *set.tree(db)) {
        index.merge(upstream);
    }
    Arc::new(index)
}

/// The option indexes of every host, each distinct one once (merging an
/// index twice adds nothing).
fn distinct_host_indexes(db: &dyn Db, class: Option<HostKind>) -> Vec<&Arc<OptionIndex>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for key in crate::hosts::host_keys(db) {
        if class.is_some_and(|class| *key.kind(db) != class) {
            continue;
        }
        let set = *host_decl_set(db, key);
        if seen.insert(set) {
            out.push(decl_set_options(db, set));
        }
    }
    out
}

/// Every option the repo declares anywhere: every host's options (with
/// that host's `specialArgs`), and every other file evaluated as a module.
#[salsa::tracked(returns(ref))]
pub fn repo_options(db: &dyn Db) -> Arc<OptionIndex> {
    let mut index = OptionIndex::default();
    for host_index in distinct_host_indexes(db, None) {
        index.merge(host_index);
    }
    let in_hosts = files_in_hosts(db);
    for file in module_files(db) {
        if in_hosts.contains(&file) {
            continue;
        }
        let (declarations, open, unknown) = &**module_declarations(db, file, None);
        // A file that is not a module (a package, a lib) evaluates to
        // something unknown; that says nothing about options.
        if declarations.is_empty() && open.is_empty() {
            continue;
        }
        index.add(declarations, open, *unknown && !declarations.is_empty());
    }
    for host in &crate::hosts::hosts(db).hosts {
        for root in &host.roots {
            if let crate::module::ModuleRef::Inline { summary, .. } = root {
                index.add_summary(summary);
            }
        }
    }
    for summary in output_modules(db).iter() {
        index.add_summary(summary);
    }
    Arc::new(index)
}

/// Inline modules that are flake outputs (`nixosModules.x = { … }: { … }`,
/// flake-parts `flake.modules.<class>.<name> = { … }`), with the modules
/// they import inline. Module files are summarised on their own.
#[salsa::tracked(returns(ref))]
pub fn output_modules(db: &dyn Db) -> Arc<Vec<ModuleSummary>> {
    use crate::eval::Value;
    if crate::known::flake::flake_file(db).is_none() {
        return Arc::default();
    }
    let ev = crate::known::evaluator(db);
    let Value::Attrs(outputs) = ev.force(&ev.flake_self()) else {
        return Arc::default();
    };
    let mut candidates = Vec::new();
    let mut sets = Vec::new();
    for name in crate::known::tables::MODULE_OUTPUTS {
        if let Some(entry) = outputs.get(name) {
            sets.push(ev.force(&entry.value));
        }
    }
    if let Some(entry) = outputs.get("modules") {
        if let Value::Attrs(classes) = ev.force(&entry.value) {
            for class in classes.entries.values() {
                sets.push(ev.force(&class.value));
            }
        }
    }
    for set in sets {
        if let Value::Attrs(set) = set {
            candidates.extend(set.entries.values().map(|entry| entry.value.clone()));
        }
    }
    let mut out = Vec::new();
    for thunk in candidates.into_iter().take(500) {
        let value = ev.force(&thunk);
        if !matches!(value, Value::Lambda(_) | Value::Attrs(_))
            || crate::module::root_file_of(&ev, &value).is_some()
        {
            continue;
        }
        let summary = crate::module::summarize(&ev, &thunk, &mut Vec::new());
        if !summary.declarations.is_empty() {
            out.push(summary);
        }
    }
    Arc::new(out)
}

/// Files in some host's closure.
#[salsa::tracked(returns(ref))]
pub fn files_in_hosts(db: &dyn Db) -> std::collections::HashSet<SourceFile> {
    let mut in_hosts = std::collections::HashSet::new();
    for key in crate::hosts::host_keys(db) {
        in_hosts.extend(host_closure(db, key).files.iter().copied());
    }
    in_hosts
}

/// Files that may be modules: every `.nix` file except `flake.nix`.
pub fn module_files(db: &dyn Db) -> Vec<SourceFile> {
    let flake = crate::known::flake::flake_file(db);
    db.workspace()
        .files(db)
        .values()
        .copied()
        .filter(|file| Some(*file) != flake && file.path(db).ends_with(".nix"))
        .collect()
}

/// The module classes (host kinds) each file is evaluated in: the kinds of
/// the hosts whose closures hold it, and home-manager for the files of
/// home-manager evaluations nested in a host (`home-manager.users.<u>`).
/// Files in no closure are absent: their class is not known.
#[salsa::tracked(returns(ref))]
pub fn file_classes(db: &dyn Db) -> Arc<std::collections::HashMap<SourceFile, Vec<HostKind>>> {
    let mut classes: std::collections::HashMap<SourceFile, Vec<HostKind>> = Default::default();
    let mut add = |file: SourceFile, kind: HostKind| {
        let entry = classes.entry(file).or_default();
        if !entry.contains(&kind) {
            entry.push(kind);
        }
    };
    for key in crate::hosts::host_keys(db) {
        let kind = *key.kind(db);
        let closure = host_closure(db, key);
        let mut nested_roots = Vec::new();
        let mut summaries: Vec<&ModuleSummary> = Vec::new();
        for file in &closure.files {
            add(*file, kind);
            summaries.push(crate::hosts::module_summary_in(db, *file, Some(key)));
        }
        summaries.extend(closure.inline.iter().map(|s| &**s));
        for summary in summaries {
            for nested in &summary.nested {
                if matches!(
                    nested.kind,
                    NestedKind::HomeUser(_) | NestedKind::HomeShared
                ) {
                    nested_roots.push(nested.module.clone());
                }
            }
        }
        if !nested_roots.is_empty() {
            for file in crate::hosts::closure_of(db, &nested_roots, None).files {
                add(file, HostKind::Home);
            }
        }
    }
    Arc::new(classes)
}

/// [`repo_options`] for one module class: a NixOS host never sees (or is
/// checked against) options only home-manager or nix-darwin modules of the
/// repo declare, and vice versa. Files of unknown class count for every
/// class.
pub fn repo_options_for(db: &dyn Db, class: HostKind) -> &Arc<OptionIndex> {
    let all = repo_options_by_class(db);
    match class {
        HostKind::Nixos => &all[0],
        HostKind::Darwin => &all[1],
        HostKind::Home => &all[2],
    }
}

/// [`repo_options_for`] of NixOS, nix-darwin and home-manager, in that order.
#[salsa::tracked(returns(ref))]
pub fn repo_options_by_class(db: &dyn Db) -> Arc<Vec<Arc<OptionIndex>>> {
    Arc::new(
        [HostKind::Nixos, HostKind::Darwin, HostKind::Home]
            .into_iter()
            .map(|class| Arc::new(class_options(db, class)))
            .collect(),
    )
}

fn class_options(db: &dyn Db, class: HostKind) -> OptionIndex {
    let classes = file_classes(db);
    let mut index = OptionIndex::default();
    for host_index in distinct_host_indexes(db, Some(class)) {
        index.merge(host_index);
    }
    let in_hosts = files_in_hosts(db);
    for file in module_files(db) {
        if in_hosts.contains(&file) {
            continue;
        }
        if classes
            .get(&file)
            .is_some_and(|kinds| !kinds.contains(&class))
        {
            continue;
        }
        let (declarations, open, unknown) = &**module_declarations(db, file, None);
        if declarations.is_empty() && open.is_empty() {
            continue;
        }
        index.add(declarations, open, *unknown && !declarations.is_empty());
    }
    for host in &crate::hosts::hosts(db).hosts {
        if host.kind != class {
            continue;
        }
        for root in &host.roots {
            if let crate::module::ModuleRef::Inline { summary, .. } = root {
                index.add_summary(summary);
            }
        }
    }
    index
}

/// An upstream index as declarations in an option trie.
pub fn upstream_trie(index: &UpstreamIndex) -> OptionIndex {
    let this = index;
    let root: Arc<str> = this.root.as_str().into();
    let mut declarations = Vec::with_capacity(this.options.len());
    for option in &this.options {
        let kind = match option.kind {
            KindRepr::Option => DeclKind::Option,
            KindRepr::Enable => DeclKind::EnableOption,
            KindRepr::Package => DeclKind::PackageOption,
            KindRepr::Alias => DeclKind::Alias,
            KindRepr::Removed => DeclKind::Removed,
        };
        declarations.push(Declaration {
            path: path_from(&option.path),
            kind,
            ty: option.ty.to_type(),
            default: option.default.clone(),
            description: option.description.clone(),
            example: option.example.clone(),
            alias_of: option
                .alias_of
                .as_ref()
                .filter(|_| option.typed_alias)
                .map(|to| path_from(to)),
            decl: None,
            key: None,
            path_range: None,
            meta: DeclMeta {
                read_only: option.read_only,
                internal: option.internal,
                hidden: !option.visible,
                warns: option.warns,
                removed_message: option.removed_message.clone(),
                upstream: Some(Arc::new(UpstreamSite {
                    tree: this.kind,
                    root: root.clone(),
                    file: option.file.clone(),
                    line: option.line,
                    column: option.column,
                })),
            },
        });
        if let (Some(to), false) = (&option.alias_of, option.typed_alias) {
            // Untyped aliases still name their target for messages.
            if let Some(last) = declarations.last_mut() {
                last.description.get_or_insert_with(|| {
                    format!("Renamed to `{}`.", crate::display_path(&path_from(to)))
                });
            }
        }
    }
    let open: Vec<_> = this.open.iter().map(|path| path_from(path)).collect();
    let mut index = OptionIndex::default();
    index.add_upstream(&declarations, &open);
    index
}

/// One tree's options as a trie, built once per index.
pub fn upstream_options(db: &dyn Db, kind: UpstreamKind) -> Option<&Arc<OptionIndex>> {
    match kind {
        UpstreamKind::Nixos => nixos_options(db),
        UpstreamKind::Home => home_options(db),
        UpstreamKind::Darwin => darwin_options(db),
    }
    .as_ref()
}

fn trie_of(db: &dyn Db, kind: UpstreamKind) -> Option<Arc<OptionIndex>> {
    upstream_index(db, kind).map(|index| Arc::new(upstream_trie(index)))
}

#[salsa::tracked(returns(ref))]
fn nixos_options(db: &dyn Db) -> Option<Arc<OptionIndex>> {
    trie_of(db, UpstreamKind::Nixos)
}

#[salsa::tracked(returns(ref))]
fn home_options(db: &dyn Db) -> Option<Arc<OptionIndex>> {
    trie_of(db, UpstreamKind::Home)
}

#[salsa::tracked(returns(ref))]
fn darwin_options(db: &dyn Db) -> Option<Arc<OptionIndex>> {
    trie_of(db, UpstreamKind::Darwin)
}
