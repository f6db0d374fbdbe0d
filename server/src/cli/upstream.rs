//! CLI side of the upstream trees: the `--nixpkgs`/`--home-manager`/
//! `--nix-darwin` flags, `flakelens doctor`, and dumping upstream options.

use std::path::{Path, PathBuf};

use flakelens_analysis::upstream::{SegRepr, UpstreamIndex};
use serde_json::{json, Value};

use crate::upstream::sources::Tree;
use crate::upstream::{self, Upstream};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct UpstreamArgs {
    /// A nixpkgs tree to read NixOS options from (else found via flake.lock,
    /// the registries, NIX_PATH or channels).
    #[arg(long, value_name = "DIR")]
    pub nixpkgs: Option<PathBuf>,
    /// A home-manager tree.
    #[arg(long = "home-manager", value_name = "DIR")]
    pub home_manager: Option<PathBuf>,
    /// A nix-darwin tree.
    #[arg(long = "nix-darwin", value_name = "DIR")]
    pub nix_darwin: Option<PathBuf>,
}

impl UpstreamArgs {
    pub fn explicit(&self) -> Vec<(Tree, PathBuf, String)> {
        let mut out = Vec::new();
        for (tree, path, flag) in [
            (Tree::Nixpkgs, &self.nixpkgs, "--nixpkgs"),
            (Tree::HomeManager, &self.home_manager, "--home-manager"),
            (Tree::NixDarwin, &self.nix_darwin, "--nix-darwin"),
        ] {
            if let Some(path) = path {
                out.push((tree, path.clone(), flag.to_string()));
            }
        }
        out
    }
}

/// Finds and indexes the trees: CLI flags first, then `flakelens.toml`
/// `[upstream]`, then what `sources` finds on the machine.
pub fn load(root: &Path, args: &UpstreamArgs) -> Upstream {
    let mut explicit = args.explicit();
    let settings = crate::config::load_settings(root, &crate::load::vfs_path(root), None).settings;
    explicit.extend(upstream::explicit_from_settings(
        &settings.upstream,
        "flakelens.toml [upstream]",
    ));
    upstream::load(Some(root), explicit)
}

fn display_path(path: &[SegRepr]) -> String {
    flakelens_analysis::display_path(&flakelens_analysis::upstream::path_from(path))
}

/// JSON entries of an upstream index, in the `options --json` shape.
pub fn option_entries(index: &UpstreamIndex) -> Vec<Value> {
    index
        .options
        .iter()
        .map(|option| {
            json!({
                "path": display_path(&option.path),
                "loc": option.path.iter().map(|segment| match segment {
                    SegRepr::Name(name) => name.as_str(),
                    SegRepr::AnyName => "<name>",
                    SegRepr::AnyIndex => "*",
                }).collect::<Vec<_>>(),
                "source": index.kind.name(),
                "kind": match option.kind {
                    flakelens_analysis::upstream::KindRepr::Option => "option",
                    flakelens_analysis::upstream::KindRepr::Enable => "enable-option",
                    flakelens_analysis::upstream::KindRepr::Package => "package-option",
                    flakelens_analysis::upstream::KindRepr::Alias => "alias",
                    flakelens_analysis::upstream::KindRepr::Removed => "removed",
                },
                "type": option.ty.to_type().nix_name(),
                "typeConstructor": option.ty.constructor(),
                "default": option.default,
                "example": option.example,
                "description": option.description,
                "declaredAt": format!("{}:{}:{}", option.file, option.line, option.column),
                "readOnly": option.read_only,
                "internal": option.internal,
                "visible": option.visible,
                "renamedTo": option.alias_of.as_ref().map(|to| display_path(to)),
                "removed": option.removed_message,
            })
        })
        .collect()
}

/// `flakelens doctor`: which trees were found, how, and what they gave.
pub fn print_doctor(root: &Path, upstream: &Upstream) {
    println!("workspace: {}", root.display());
    for tree in Tree::ALL {
        match upstream.trees.iter().find(|t| t.found.tree == tree) {
            Some(indexed) => {
                let index = &indexed.index;
                let options = index
                    .options
                    .iter()
                    .filter(|o| {
                        !matches!(
                            o.kind,
                            flakelens_analysis::upstream::KindRepr::Alias
                                | flakelens_analysis::upstream::KindRepr::Removed
                        )
                    })
                    .count();
                println!(
                    "{}: {} ({})",
                    tree.name(),
                    indexed.found.path.display(),
                    indexed.found.how
                );
                if index.version_unsure {
                    println!(
                        "  flake.lock pins {} elsewhere: this tree may be another version, so \
                         it serves hover and completion but no diagnostic",
                        tree.name()
                    );
                }
                println!(
                    "  {options} options, {} renamed/removed, from {} module files; {} in {:.0} ms",
                    index.options.len() - options,
                    index.files,
                    if indexed.from_cache {
                        "loaded from cache".to_string()
                    } else {
                        match &indexed.cache_miss {
                            Some(upstream::cache::Miss::Invalid(why)) => {
                                format!("indexed (cache ignored: {why})")
                            }
                            Some(upstream::cache::Miss::Stale) => {
                                "indexed (tree changed since cached)".to_string()
                            }
                            _ => "indexed".to_string(),
                        }
                    },
                    indexed.elapsed.as_secs_f64() * 1000.0
                );
                if !index.unknown_files.is_empty() {
                    println!(
                        "  {} module(s) could not be read statically, so unknown options in its \
                         namespaces are not reported: {}",
                        index.unknown_files.len(),
                        index
                            .unknown_files
                            .iter()
                            .take(5)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
            None => println!("{}: not found", tree.name()),
        }
        for note in upstream.located.notes.iter().filter(|n| n.tree == tree) {
            println!("  note: {}", note.message);
        }
    }
}
