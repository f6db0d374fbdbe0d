//! The upstream module trees at the edge: finding them on disk (`sources`),
//! reading and indexing them (`tree`), and the persistent index cache.

pub mod cache;
pub mod sources;
pub mod tree;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flakelens_analysis::upstream::{UpstreamIndex, UpstreamKind};

use sources::{Found, Located, Probe, Tree};

pub fn kind_of(tree: Tree) -> UpstreamKind {
    match tree {
        Tree::Nixpkgs => UpstreamKind::Nixos,
        Tree::HomeManager => UpstreamKind::Home,
        Tree::NixDarwin => UpstreamKind::Darwin,
    }
}

/// One tree, located and indexed.
pub struct Indexed {
    pub found: Found,
    pub index: Arc<UpstreamIndex>,
    /// Loaded from the cache (else indexed now).
    pub from_cache: bool,
    /// Why the cache was not used, when it was not.
    pub cache_miss: Option<cache::Miss>,
    pub elapsed: Duration,
}

/// Every located tree with its index (cached where valid, else built and
/// written back).
pub struct Upstream {
    pub located: Located,
    pub trees: Vec<Indexed>,
}

impl Upstream {
    pub fn index(&self, kind: UpstreamKind) -> Option<Arc<UpstreamIndex>> {
        self.trees
            .iter()
            .find(|tree| kind_of(tree.found.tree) == kind)
            .map(|tree| tree.index.clone())
    }
}

/// Finds and indexes the trees for a workspace.
pub fn load(workspace: Option<&Path>, explicit: Vec<(Tree, PathBuf, String)>) -> Upstream {
    let probe = Probe::from_env(workspace.map(Path::to_path_buf), explicit);
    let located = sources::locate(&probe);
    let dir = cache::cache_dir();
    let trees = located
        .found
        .iter()
        .map(|found| {
            let mut indexed = index_one(found, dir.as_deref());
            if found.version_unsure(located.pinned.contains(&found.tree)) {
                Arc::make_mut(&mut indexed.index).version_unsure = true;
            }
            indexed
        })
        .collect();
    Upstream { located, trees }
}

pub fn index_one(found: &Found, cache_dir: Option<&Path>) -> Indexed {
    let start = Instant::now();
    let kind = kind_of(found.tree);
    let root = std::fs::canonicalize(&found.path).unwrap_or(found.path.clone());
    let files = tree::tree_files(&root, kind);
    let fingerprint = cache::fingerprint(&root, &files);
    let cache_path = cache_dir.map(|dir| cache::cache_file(dir, &root, kind));
    let mut miss = None;
    if let Some(path) = &cache_path {
        match cache::load(path, &root, &fingerprint) {
            Ok(index) => {
                return Indexed {
                    found: found.clone(),
                    index: Arc::new(index),
                    from_cache: true,
                    cache_miss: None,
                    elapsed: start.elapsed(),
                }
            }
            Err(why) => miss = Some(why),
        }
    }
    let index = tree::index_tree(&root, kind);
    if let Some(path) = &cache_path {
        if let Err(error) = cache::store(path, &root, &fingerprint, &index) {
            tracing::warn!(
                "cannot write the upstream cache {}: {error}",
                path.display()
            );
        }
    }
    Indexed {
        found: found.clone(),
        index: Arc::new(index),
        from_cache: false,
        cache_miss: miss,
        elapsed: start.elapsed(),
    }
}

/// The `[upstream]` settings (flakelens.toml / editor settings) as explicit paths.
pub fn explicit_from_settings(
    paths: &flakelens_db::UpstreamPaths,
    origin: &str,
) -> Vec<(Tree, PathBuf, String)> {
    let mut out = Vec::new();
    for (tree, path) in [
        (Tree::Nixpkgs, &paths.nixpkgs),
        (Tree::HomeManager, &paths.home_manager),
        (Tree::NixDarwin, &paths.nix_darwin),
    ] {
        if let Some(path) = path {
            out.push((tree, PathBuf::from(path), origin.to_string()));
        }
    }
    out
}
