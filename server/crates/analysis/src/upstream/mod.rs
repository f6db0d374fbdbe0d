//! Upstream option indexes (nixpkgs' NixOS modules, home-manager,
//! nix-darwin) as plain data: built by the same module engine over a tree
//! loaded as a workspace (`index`), cached on disk by the edge, and set in
//! a repo's database as a high-durability input that option indexes merge.

mod doc;
mod index;
mod repr;

use std::sync::Arc;

use flakelens_db::Db;
use serde::{Deserialize, Serialize};

use crate::hosts::HostKind;
use crate::module::{DeclKind, DeclMeta, Declaration};
use crate::options::OptionIndex;

pub use doc::doc_markdown;
pub use index::{index_tree, tree_roots};
pub use repr::{path_from, path_repr, SegRepr, TypeRepr};

/// Which module tree an index comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UpstreamKind {
    /// nixpkgs' `nixos/modules`.
    Nixos,
    /// home-manager's `modules`.
    Home,
    /// nix-darwin's `modules`.
    Darwin,
}

impl UpstreamKind {
    pub fn name(self) -> &'static str {
        match self {
            UpstreamKind::Nixos => "nixpkgs",
            UpstreamKind::Home => "home-manager",
            UpstreamKind::Darwin => "nix-darwin",
        }
    }

    /// The module list that roots the tree, relative to its top.
    pub fn root_file(self) -> &'static str {
        match self {
            UpstreamKind::Nixos => "nixos/modules/module-list.nix",
            UpstreamKind::Home => "modules/modules.nix",
            UpstreamKind::Darwin => "modules/module-list.nix",
        }
    }

    pub fn for_host(kind: HostKind) -> UpstreamKind {
        match kind {
            HostKind::Nixos => UpstreamKind::Nixos,
            HostKind::Darwin => UpstreamKind::Darwin,
            HostKind::Home => UpstreamKind::Home,
        }
    }
}

/// Where an upstream option is declared.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UpstreamSite {
    pub tree: UpstreamKind,
    /// The tree's root directory (as indexed).
    pub root: Arc<str>,
    /// Relative to `root`.
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
}

/// One upstream option, as cached.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UpstreamOption {
    pub path: Vec<SegRepr>,
    pub kind: KindRepr,
    pub ty: TypeRepr,
    pub default: Option<String>,
    pub example: Option<String>,
    /// Markdown (roles, admonitions and DocBook already converted).
    pub description: Option<String>,
    pub read_only: bool,
    pub internal: bool,
    pub visible: bool,
    /// Alias target (renamed, changed, merged, alias modules).
    pub alias_of: Option<Vec<SegRepr>>,
    /// Whether setting the alias warns (not for mkAliasOptionModule).
    pub warns: bool,
    /// Typed alias (its target's type applies to values set through it).
    pub typed_alias: bool,
    pub removed_message: Option<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KindRepr {
    Option,
    Enable,
    Package,
    Alias,
    Removed,
}

/// A whole tree's options.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UpstreamIndex {
    pub kind: UpstreamKind,
    /// The tree's root directory.
    pub root: String,
    pub options: Vec<UpstreamOption>,
    /// Namespaces below which options exist that could not be seen
    /// (`freeformType`, computed `options`).
    pub open: Vec<Vec<SegRepr>>,
    /// Module files read.
    pub files: u32,
    /// Module files (relative) that could not be evaluated: they may
    /// declare anything, so the index is not a complete picture.
    pub unknown_files: Vec<String>,
    /// Option paths the tree itself defines (for `readOnly` checks).
    pub defined: Vec<Vec<String>>,
}

impl UpstreamIndex {
    /// Whether every module of the tree was understood: only then may a
    /// missing option be reported in the tree's namespaces.
    pub fn complete(&self) -> bool {
        self.unknown_files.is_empty()
    }

    /// The index as declarations in an option trie.
    pub fn to_option_index(&self) -> OptionIndex {
        let root: Arc<str> = self.root.as_str().into();
        let mut declarations = Vec::with_capacity(self.options.len());
        for option in &self.options {
            let kind = match option.kind {
                KindRepr::Option => DeclKind::Option,
                KindRepr::Enable => DeclKind::EnableOption,
                KindRepr::Package => DeclKind::PackageOption,
                KindRepr::Alias => DeclKind::Alias,
                KindRepr::Removed => DeclKind::Removed,
            };
            declarations.push(Declaration {
                path: repr::path_from(&option.path),
                kind,
                ty: option.ty.to_type(),
                default: option.default.clone(),
                description: option.description.clone(),
                example: option.example.clone(),
                alias_of: option
                    .alias_of
                    .as_ref()
                    .filter(|_| option.typed_alias)
                    .map(|to| repr::path_from(to)),
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
                        tree: self.kind,
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
                        format!(
                            "Renamed to `{}`.",
                            crate::display_path(&repr::path_from(to))
                        )
                    });
                }
            }
        }
        let open: Vec<_> = self.open.iter().map(|path| repr::path_from(path)).collect();
        let mut index = OptionIndex::default();
        index.add_upstream(&declarations, &open);
        index
    }
}

/// The upstream indexes a repo's database knows, set by the edge.
#[salsa::input(singleton, debug)]
pub struct UpstreamInput {
    #[returns(ref)]
    pub nixos: Option<Arc<UpstreamIndex>>,
    #[returns(ref)]
    pub home: Option<Arc<UpstreamIndex>>,
    #[returns(ref)]
    pub darwin: Option<Arc<UpstreamIndex>>,
}

/// The index of one tree, if the edge set one.
pub fn upstream_index(db: &dyn Db, kind: UpstreamKind) -> Option<&Arc<UpstreamIndex>> {
    let input = UpstreamInput::try_get(db)?;
    match kind {
        UpstreamKind::Nixos => input.nixos(db),
        UpstreamKind::Home => input.home(db),
        UpstreamKind::Darwin => input.darwin(db),
    }
    .as_ref()
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
    upstream_index(db, kind).map(|index| Arc::new(index.to_option_index()))
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
