//! Reading an upstream tree from disk and indexing it: its module
//! directories become the workspace of a database of their own, summarised
//! in parallel on snapshots, then indexed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flakelens_analysis::upstream::{UpstreamIndex, UpstreamKind};
use flakelens_db::Settings;
use flakelens_ide::AnalysisHost;

use crate::load;

/// The directories of a tree that hold its modules and what they import.
pub fn module_dirs(kind: UpstreamKind) -> &'static [&'static str] {
    match kind {
        UpstreamKind::Nixos => &["nixos", "lib"],
        UpstreamKind::Home => &["modules"],
        UpstreamKind::Darwin => &["modules"],
    }
}

/// Every `.nix` file below the tree's module directories, sorted.
pub fn tree_files(root: &Path, kind: UpstreamKind) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in module_dirs(kind) {
        walk(&root.join(dir), &mut out, 0);
    }
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: u32) {
    if depth > 32 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&path, out, depth + 1);
        } else if kind.is_file() && path.extension().is_some_and(|ext| ext == "nix") {
            out.push(path);
        }
    }
}

/// Indexes a tree: reads its files, summarises every module on as many
/// threads as there are cores, then collects the index.
pub fn index_tree(root: &Path, kind: UpstreamKind) -> UpstreamIndex {
    let start = std::time::Instant::now();
    let files = tree_files(root, kind);
    let mut loaded = Vec::with_capacity(files.len());
    for file in &files {
        if let Ok(text) = load::read_nix_file(file) {
            loaded.push((load::vfs_path(file), text));
        }
    }
    let modules_prefix = match kind {
        UpstreamKind::Nixos => "nixos/modules/",
        _ => "modules/",
    };
    let root_vfs = load::vfs_path(root);
    let module_paths: Vec<String> = loaded
        .iter()
        .map(|(path, _)| path.clone())
        .filter(|path| {
            path.strip_prefix(&root_vfs)
                .is_some_and(|rest| rest.trim_start_matches('/').starts_with(modules_prefix))
        })
        .collect();
    let read = start.elapsed();
    let mut host = AnalysisHost::new();
    host.load(root_vfs, loaded, Vec::new(), Settings::default());
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let chunks: Vec<Vec<String>> = (0..threads)
        .map(|t| {
            module_paths
                .iter()
                .skip(t)
                .step_by(threads)
                .cloned()
                .collect()
        })
        .collect();
    std::thread::scope(|scope| {
        for chunk in &chunks {
            let analysis = host.analysis();
            std::thread::Builder::new()
                .stack_size(flakelens_syntax::ANALYSIS_STACK_SIZE)
                .spawn_scoped(scope, move || {
                    let _ = analysis.warm_modules(chunk);
                })
                .expect("failed to spawn an indexing thread");
        }
    });
    let warmed = start.elapsed();
    let index = host
        .analysis()
        .index_upstream(kind)
        .unwrap_or_else(|_| UpstreamIndex {
            kind,
            root: load::vfs_path(root),
            options: Vec::new(),
            open: Vec::new(),
            files: 0,
            unknown_files: vec!["indexing was cancelled".into()],
            defined: Vec::new(),
            version_unsure: false,
        });
    // For bench/upstream-compare: where the cold time goes.
    if std::env::var_os("FLAKELENS_TIMING").is_some() {
        eprintln!(
            "indexed {}: read {read:?}, summarised {:?}, collected {:?}",
            kind.name(),
            warmed - read,
            start.elapsed() - warmed
        );
    }
    // Freeing the tree's syntax trees and summaries took ~8 % of a cold
    // index of nixpkgs: nothing waits for it.
    let _ = std::thread::Builder::new()
        .stack_size(flakelens_syntax::ANALYSIS_STACK_SIZE)
        .spawn(move || drop(host));
    index
}

/// An index shared by every database that uses it.
pub type Shared = Arc<UpstreamIndex>;
