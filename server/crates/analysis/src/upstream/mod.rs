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

pub use doc::doc_markdown;
pub use index::{index_tree, tree_roots};
pub use repr::{path_from, path_repr, SegRepr, TypeRepr};

pub use crate::base::{UpstreamKind, UpstreamSite};

/// The tree whose options a host of this class sees.
pub fn tree_for_host(kind: HostKind) -> UpstreamKind {
    match kind {
        HostKind::Nixos => UpstreamKind::Nixos,
        HostKind::Darwin => UpstreamKind::Darwin,
        HostKind::Home => UpstreamKind::Home,
    }
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
    /// Set by the edge, never cached: the tree may not be the version the
    /// repository evaluates (`flake.lock` pins another), so its options
    /// serve hover and completion but no diagnostic.
    #[serde(skip)]
    pub version_unsure: bool,
}

impl UpstreamIndex {
    /// Whether every module of the tree was understood: only then may a
    /// missing option be reported in the tree's namespaces.
    pub fn complete(&self) -> bool {
        self.unknown_files.is_empty()
    }

    /// Whether diagnostics may rest on this tree's options.
    pub fn trusted_for_checks(&self) -> bool {
        !self.version_unsure
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
