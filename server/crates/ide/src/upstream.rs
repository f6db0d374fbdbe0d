//! Upstream indexes through the ide API: building one over a tree loaded as
//! this host's workspace, and setting indexes on a repo's host.

use std::sync::Arc;

use flakelens_analysis::upstream::{self, UpstreamIndex, UpstreamInput, UpstreamKind};
use salsa::{Durability, Setter};

use crate::{Analysis, AnalysisHost, Cancellable};

/// The upstream input with no index yet (see `AnalysisHost::default`).
pub(crate) fn create_empty_upstream(db: &flakelens_db::RootDatabase) {
    let _input = UpstreamInput::builder(None, None, None)
        .durability(Durability::HIGH)
        .new(db);
}

impl AnalysisHost {
    /// Sets the upstream indexes the repo's hosts see. They change rarely,
    /// so they are high-durability: edits to repo files never re-validate
    /// what depends only on them.
    pub fn set_upstream(
        &mut self,
        nixos: Option<Arc<UpstreamIndex>>,
        home: Option<Arc<UpstreamIndex>>,
        darwin: Option<Arc<UpstreamIndex>>,
    ) {
        match UpstreamInput::try_get(&self.db) {
            Some(input) => {
                if input.nixos(&self.db) != &nixos {
                    input
                        .set_nixos(&mut self.db)
                        .with_durability(Durability::HIGH)
                        .to(nixos);
                }
                if input.home(&self.db) != &home {
                    input
                        .set_home(&mut self.db)
                        .with_durability(Durability::HIGH)
                        .to(home);
                }
                if input.darwin(&self.db) != &darwin {
                    input
                        .set_darwin(&mut self.db)
                        .with_durability(Durability::HIGH)
                        .to(darwin);
                }
            }
            None => {
                let _input = UpstreamInput::builder(nixos, home, darwin)
                    .durability(Durability::HIGH)
                    .new(&self.db);
            }
        }
    }
}

impl Analysis {
    /// The `[upstream]` paths of the workspace settings (`flakelens.toml`,
    /// then editor settings).
    pub fn upstream_paths(&self) -> flakelens_db::UpstreamPaths {
        use flakelens_db::Db;
        self.db.workspace().settings(&self.db).upstream.clone()
    }

    /// Module summaries of these files (VFS paths), computed and kept:
    /// run on several snapshots at once to index a tree in parallel.
    pub fn warm_modules(&self, paths: &[String]) -> Cancellable<()> {
        self.with_db(|db| {
            for path in paths {
                if let Some(file) = flakelens_db::file_at(db, path) {
                    flakelens_analysis::hosts::modules::module_summary(db, file);
                }
            }
        })
    }

    /// The index of the tree loaded as this workspace.
    pub fn index_upstream(&self, kind: UpstreamKind) -> Cancellable<UpstreamIndex> {
        self.with_db(|db| upstream::index_tree(db, kind))
    }
}
