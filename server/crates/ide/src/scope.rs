//! Shared helpers of the ide features: which option indexes a position
//! sees, looking up declarations, and walking definitions.

use std::sync::Arc;

use flakelens_analysis::hosts::{
    host_closure, hosts, module_summary, module_summary_in, HostKey, HostKind,
};
use flakelens_analysis::module::{Declaration, DefEntry, DefKind, ModuleRef, ModuleSummary};
use flakelens_analysis::options::{host_options, module_files, repo_options, OptionIndex, Trie};
use flakelens_analysis::{FileRange, OptionPath, Segment};
use flakelens_db::{paths, Db, SourceFile};
use flakelens_syntax::{SyntaxNode, TextRange, TextSize};

/// A place to navigate to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NavTarget {
    pub path: String,
    /// The whole construct (the option declaration, the file start…).
    pub full_range: TextRange,
    /// The name to put the cursor on.
    pub focus_range: TextRange,
}

impl NavTarget {
    pub fn file(path: String) -> NavTarget {
        NavTarget {
            path,
            full_range: TextRange::empty(0.into()),
            focus_range: TextRange::empty(0.into()),
        }
    }

    pub(crate) fn from_range(db: &dyn Db, focus: FileRange, full: Option<FileRange>) -> NavTarget {
        let full_range = match full {
            Some(full) if full.file == focus.file && full.range.contains_range(focus.range) => {
                full.range
            }
            _ => focus.range,
        };
        NavTarget {
            path: focus.file.path(db).clone(),
            full_range,
            focus_range: focus.range,
        }
    }
}

/// A file and its syntax tree.
pub(crate) struct FileCtx {
    pub file: SourceFile,
    pub path: String,
    pub is_flake: bool,
    pub root: SyntaxNode,
}

pub(crate) fn file_ctx(db: &dyn Db, path: &str) -> Option<FileCtx> {
    let file = flakelens_db::file_at(db, path)?;
    Some(FileCtx {
        file,
        path: path.to_string(),
        is_flake: flakelens_analysis::flake::flake_file(db) == Some(file),
        root: flakelens_db::parse(db, file).syntax(),
    })
}

/// Hosts whose module closure holds the position: the file is one of its
/// modules, or (in `flake.nix`) the offset is inside one of its inline
/// modules.
pub(crate) fn hosts_at<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    offset: TextSize,
) -> Vec<HostKey<'db>> {
    let mut out = Vec::new();
    for host in &hosts(db).hosts {
        let key = HostKey::new(db, host.kind, host.name.clone());
        let closure = host_closure(db, key);
        let inline = closure.inline.iter().any(|summary| {
            summary.origin.is_some_and(|origin| {
                origin.file == file && origin.range.contains_inclusive(offset)
            })
        });
        if closure.contains(file) || inline {
            out.push(key);
        }
    }
    out
}

/// The option indexes visible at a position: those of its hosts, or the
/// whole repo's when it is in no host.
pub(crate) fn indexes_at(db: &dyn Db, file: SourceFile, offset: TextSize) -> Vec<Arc<OptionIndex>> {
    let keys = hosts_at(db, file, offset);
    if keys.is_empty() {
        // A file only home-manager evaluations nested in hosts use sees
        // home-manager-class options only; a file in nothing sees the repo.
        if let Some(classes) = flakelens_analysis::options::file_classes(db).get(&file) {
            return classes
                .iter()
                .map(|class| flakelens_analysis::options::repo_options_for(db, *class).clone())
                .collect();
        }
        return vec![repo_options(db).clone()];
    }
    keys.into_iter()
        .map(|key| host_options(db, key).clone())
        .collect()
}

pub(crate) fn find<'a>(index: &'a OptionIndex, path: &[Segment]) -> Option<&'a Trie> {
    index.root.find(path).0
}

/// Declarations at a path (deduplicated), across indexes.
pub(crate) fn declarations(indexes: &[Arc<OptionIndex>], path: &[Segment]) -> Vec<Declaration> {
    let mut out: Vec<Declaration> = Vec::new();
    for index in indexes {
        if let Some(node) = find(index, path) {
            for decl in &node.decls {
                if !out.contains(decl) {
                    out.push(decl.clone());
                }
            }
        }
    }
    out
}

/// Every declaration below a namespace node (for a namespace's targets).
pub(crate) fn declarations_below(
    indexes: &[Arc<OptionIndex>],
    path: &[Segment],
) -> Vec<Declaration> {
    let mut out: Vec<Declaration> = Vec::new();
    for index in indexes {
        if let Some(node) = find(index, path) {
            let mut found = Vec::new();
            node.walk(&mut Vec::new(), &mut found);
            for (_, decl) in found {
                if !out.contains(decl) {
                    out.push(decl.clone());
                }
            }
        }
    }
    out
}

/// The one scope rule of the option features: a path written at a position
/// means the declarations visible there ([`indexes_at`]). Go-to-definition
/// lands on them; references and rename count a site as the same option
/// only when its own path means one of those declarations too, so the two
/// features never disagree (an undeclared site of a partial closure is no
/// reference, as it has no definition), and a home-manager or nix-darwin
/// module's option of the same name is never a NixOS option's. A path
/// nothing declares (a namespace, an upstream option without data) is the
/// same at two positions whose module classes may meet.
pub(crate) struct OptionScope {
    /// The declared path (with its wildcards), else the path as written.
    pub target: OptionPath,
    /// The declarations the path means where it was asked about.
    pub decls: Vec<Declaration>,
    classes: Option<Vec<HostKind>>,
}

impl OptionScope {
    pub(crate) fn at(db: &dyn Db, file: SourceFile, offset: TextSize, written: &[Segment]) -> Self {
        let indexes = indexes_at(db, file, offset);
        let decls = declarations(&indexes, written);
        let target = decls
            .first()
            .map_or_else(|| written.to_vec(), |decl| decl.path.clone());
        OptionScope {
            target,
            decls,
            classes: classes_at(db, file, offset),
        }
    }

    /// Whether `written` at a position means this option: the path is at
    /// the target and, under the rule above, in the same scope.
    pub(crate) fn holds(
        &self,
        db: &dyn Db,
        sites: &mut SiteScopes,
        file: SourceFile,
        offset: TextSize,
        written: &[Segment],
    ) -> bool {
        if !written_at(written, &self.target) {
            return false;
        }
        let (indexes, classes) = sites.at(db, file, offset);
        let decls = declarations(indexes, written);
        if self.decls.is_empty() {
            return decls.is_empty()
                && match (&self.classes, classes) {
                    (Some(ours), Some(theirs)) => ours.iter().any(|c| theirs.contains(c)),
                    _ => true,
                };
        }
        decls
            .iter()
            .any(|decl| self.decls.iter().any(|ours| same_declaration(ours, decl)))
    }
}

/// One declaration seen through two indexes (hosts evaluate a module with
/// their own arguments, so types and defaults may differ; the place and,
/// upstream, the tree do not).
fn same_declaration(a: &Declaration, b: &Declaration) -> bool {
    a.path == b.path && a.key == b.key && a.decl == b.decl && a.meta.upstream == b.meta.upstream
}

/// The module classes of a position: its hosts' kinds, else the classes of
/// the nested evaluations that use the file; `None` when unknown.
fn classes_at(db: &dyn Db, file: SourceFile, offset: TextSize) -> Option<Vec<HostKind>> {
    let keys = hosts_at(db, file, offset);
    if keys.is_empty() {
        return flakelens_analysis::options::file_classes(db)
            .get(&file)
            .cloned();
    }
    let mut kinds: Vec<HostKind> = keys.iter().map(|key| *key.kind(db)).collect();
    kinds.sort();
    kinds.dedup();
    Some(kinds)
}

/// [`indexes_at`] and [`classes_at`] of many sites, once a file (per
/// position only in `flake.nix`, whose inline modules belong to hosts).
#[derive(Default)]
pub(crate) struct SiteScopes {
    by_file: std::collections::HashMap<SourceFile, SiteScope>,
    last: Option<SiteScope>,
}

type SiteScope = (Vec<Arc<OptionIndex>>, Option<Vec<HostKind>>);

impl SiteScopes {
    fn at(
        &mut self,
        db: &dyn Db,
        file: SourceFile,
        offset: TextSize,
    ) -> (&[Arc<OptionIndex>], &Option<Vec<HostKind>>) {
        let compute = || (indexes_at(db, file, offset), classes_at(db, file, offset));
        let scope = if flakelens_analysis::flake::flake_file(db) == Some(file) {
            self.last.insert(compute())
        } else {
            self.by_file.entry(file).or_insert_with(compute)
        };
        (&scope.0, &scope.1)
    }
}

/// Whether a path as written (a definition's, a read's) is at an option
/// path: a name or `${…}` is at `<name>`, a list element at `*`.
pub(crate) fn written_at(written: &[Segment], target: &[Segment]) -> bool {
    written.len() == target.len()
        && written
            .iter()
            .zip(target)
            .all(|(seg, segment)| match (seg, segment) {
                (Segment::Name(name), Segment::Name(want)) => name == want,
                (Segment::Name(_) | Segment::AnyName, Segment::AnyName) => true,
                (Segment::AnyIndex, Segment::AnyIndex) => true,
                _ => false,
            })
}

/// Calls `f` with every definition entry (and its path of names) of a
/// summary, nested ones included.
pub(crate) fn walk_definitions(
    entries: &[DefEntry],
    path: &mut OptionPath,
    f: &mut impl FnMut(&[Segment], &DefEntry),
) {
    for entry in entries {
        path.push(Segment::Name(entry.name.clone()));
        f(path, entry);
        walk_value(&entry.value.kind, path, f);
        path.pop();
    }
}

fn walk_value(kind: &DefKind, path: &mut OptionPath, f: &mut impl FnMut(&[Segment], &DefEntry)) {
    match kind {
        DefKind::Attrs { entries, .. } => walk_definitions(entries, path, f),
        DefKind::List(items) => {
            path.push(Segment::AnyIndex);
            for item in items {
                walk_value(&item.kind, path, f);
            }
            path.pop();
        }
        _ => {}
    }
}

/// Every module summary of the workspace: file modules and the inline
/// modules of hosts (with their nested inline imports).
pub(crate) fn all_summaries(db: &dyn Db) -> Vec<Arc<ModuleSummary>> {
    let mut out: Vec<Arc<ModuleSummary>> = Vec::new();
    for file in module_files(db) {
        out.push(module_summary(db, file).clone());
    }
    for host in &hosts(db).hosts {
        let key = HostKey::new(db, host.kind, host.name.clone());
        for summary in &host_closure(db, key).inline {
            if !out
                .iter()
                .any(|s| Arc::ptr_eq(s, summary) || **s == **summary)
            {
                out.push(summary.clone());
            }
        }
    }
    out
}

/// The summaries of one host's modules.
pub(crate) fn host_summaries(db: &dyn Db, key: HostKey<'_>) -> Vec<Arc<ModuleSummary>> {
    let closure = host_closure(db, key);
    let mut out: Vec<Arc<ModuleSummary>> = closure
        .files
        .iter()
        .map(|file| module_summary_in(db, *file, Some(key)).clone())
        .collect();
    out.extend(closure.inline.iter().cloned());
    out
}

/// The root files of the host named at a position (`nixosConfigurations.x`).
pub(crate) fn host_roots_at(
    db: &dyn Db,
    file: SourceFile,
    offset: TextSize,
) -> Option<(String, Vec<SourceFile>)> {
    for host in &hosts(db).hosts {
        let Some(name_range) = host.name_range else {
            continue;
        };
        if name_range.file != file
            || !name_range.range.contains_inclusive(offset)
            || name_range.range.is_empty()
        {
            continue;
        }
        let roots = host
            .roots
            .iter()
            .filter_map(|root| match root {
                ModuleRef::File { file, .. } => Some(*file),
                _ => None,
            })
            .collect();
        return Some((host.name.clone(), roots));
    }
    None
}

/// A workspace path a path literal points at (a directory means its
/// `default.nix`).
pub(crate) fn resolve_path_literal(db: &dyn Db, from: &str, text: &str) -> Option<String> {
    let base = paths::parent(from);
    let joined = if text.starts_with('/') {
        text.to_string()
    } else if text.starts_with("./") || text.starts_with("../") {
        paths::join(base, text)?
    } else {
        return None;
    };
    if flakelens_db::file_at(db, &joined).is_some() {
        return Some(joined);
    }
    let default = paths::join(&joined, "default.nix")?;
    flakelens_db::file_at(db, &default).map(|_| default)
}

/// `hosts/x.nix:12` for display.
pub(crate) fn file_line(db: &dyn Db, range: FileRange) -> String {
    let index = flakelens_db::line_index(db, range.file);
    let line = index
        .line_col(
            range.range.start(),
            flakelens_syntax::PositionEncoding::Utf8,
        )
        .line
        + 1;
    format!(
        "{}:{line}",
        paths::relative_to(range.file.path(db), db.workspace().root(db))
    )
}
