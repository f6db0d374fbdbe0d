//! The repo's own package set: which packages the repo adds to `pkgs`
//! (through overlays) or exposes as flake outputs (`packages`,
//! `legacyPackages`), where their recipes are and what the recipes say.
//!
//! Overlays are found by evaluation: the flake's `overlays.*`, lists of
//! overlays (`overlays.nix`, `composeManyExtensions`), `import nixpkgs {
//! overlays = …; }` and `pkgs.extend f` seen while evaluating the flake
//! (recorded by the evaluator in [`crate::known::nixpkgs::OverlayUse`]s in the evaluator's observation sink), and
//! `nixpkgs.overlays` in host modules. Each overlay is applied to a
//! symbolic `final`/`prev` (`Value::Pkgs`): the attributes it returns whose
//! value is a `callPackage` of a workspace path are packages.
//!
//! Everything returned here is plain data.

mod harvest;
mod recipes;
mod set;

pub use harvest::*;
pub use recipes::*;
pub use set::*;

use std::collections::BTreeSet;
use std::sync::Arc;

use flakelens_db::{paths, Db, SourceFile};
use flakelens_syntax::TextRange;
use rowan::ast::AstNode;

use crate::hosts::{HostKey, HostKind};
use crate::FileRange;

/// What a recipe file says, when it says it literally.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RecipeInfo {
    /// The derivation call: the builder application (`buildGoModule rec {
    /// … }`), after the recipe's arguments and `let … in`.
    pub derivation: Option<TextRange>,
    /// `buildGoModule`, `stdenv.mkDerivation`, `writeShellScriptBin`, …
    pub builder: Option<String>,
    pub pname: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub homepage: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExposureKind {
    /// An overlay adds it to `pkgs`.
    Overlay,
    /// A flake output `packages.<system>.<name>`.
    FlakePackages,
    /// A flake output `legacyPackages.<system>.<name>`.
    FlakeLegacyPackages,
    /// A package-set file (`pkgs/default.nix`) no overlay was seen using.
    PackageSet,
    /// A `flakelens.toml` `[packages] directories` entry.
    Setting,
}

impl ExposureKind {
    /// Whether packages exposed this way are members of `pkgs`.
    pub fn in_pkgs(self) -> bool {
        matches!(
            self,
            ExposureKind::Overlay | ExposureKind::PackageSet | ExposureKind::Setting
        )
    }
}

/// One way a package is made available.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Exposure {
    pub kind: ExposureKind,
    /// For humans: "overlay overlays.default (mods/_pkgs.nix)",
    /// "packages.x86_64-linux", "flakelens.toml [packages] directories".
    pub label: String,
    /// The overlay (index into [`PackageSet::overlays`]).
    pub overlay: Option<usize>,
    /// Where the attribute name is written, when it is.
    pub key: Option<FileRange>,
    /// The `callPackage` (or directory walk) call that made it.
    pub call: Option<FileRange>,
    /// Flake outputs: the systems it is exposed for.
    pub systems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Package {
    /// The attribute path below `pkgs` (or below `packages.<system>`):
    /// `poglets`, `mine.fonts.iosevka-custom`.
    pub name: String,
    /// The recipe's VFS path (it may not exist).
    pub recipe: String,
    pub recipe_file: Option<SourceFile>,
    pub info: RecipeInfo,
    pub exposures: Vec<Exposure>,
}

impl Package {
    pub fn in_pkgs(&self) -> bool {
        self.exposures.iter().any(|e| e.kind.in_pkgs())
    }

    pub fn in_flake(&self, legacy: bool) -> bool {
        let kind = if legacy {
            ExposureKind::FlakeLegacyPackages
        } else {
            ExposureKind::FlakePackages
        };
        self.exposures.iter().any(|e| e.kind == kind)
    }

    /// The first `callPackage` call known.
    pub fn call(&self) -> Option<FileRange> {
        self.exposures.iter().find_map(|e| e.call)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Overlay {
    /// The flake output that names it (`overlays.default`), if any.
    pub name: Option<String>,
    /// The overlay function.
    pub origin: FileRange,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PackageSet {
    /// Sorted by name, then recipe.
    pub packages: Vec<Package>,
    pub overlays: Vec<Overlay>,
    /// Overlays applied to the flake's own package sets (`import nixpkgs {
    /// overlays }`, `pkgs.extend`): visible to every host.
    pub flake_overlays: Vec<usize>,
    /// Overlays set by `nixpkgs.overlays` in inline modules of a host.
    pub host_overlays: Vec<(HostKind, String, Vec<usize>)>,
    /// Overlays set by `nixpkgs.overlays` in module files.
    pub file_overlays: Vec<(SourceFile, Vec<usize>)>,
    /// `(name, the later definition's name, the earlier one)`: two overlays
    /// applied together define the same package.
    pub duplicates: Vec<(String, FileRange, Option<FileRange>)>,
    /// Evaluation ran out of budget or met something unknown.
    pub incomplete: bool,
    /// Files read while evaluating the flake's package sets.
    pub touched: Vec<SourceFile>,
}

impl PackageSet {
    pub fn overlay_label(&self, db: &dyn Db, index: usize) -> String {
        let overlay = &self.overlays[index];
        let root = db.workspace().root(db);
        let file = paths::relative_to(overlay.origin.file.path(db), root).to_string();
        let line = flakelens_db::line_index(db, overlay.origin.file)
            .line_col(
                overlay.origin.range.start(),
                flakelens_syntax::PositionEncoding::Utf8,
            )
            .line
            + 1;
        let whole_file = flakelens_db::parse(db, overlay.origin.file)
            .root_expr()
            .is_some_and(|root| root.syntax().text_range() == overlay.origin.range);
        match (&overlay.name, whole_file) {
            (Some(name), true) => format!("overlay {name} ({file})"),
            (Some(name), false) => format!("overlay {name} ({file}:{line})"),
            (None, true) => format!("overlay {file}"),
            (None, false) => format!("overlay at {file}:{line}"),
        }
    }
}

/// A package found in one overlay (or set), before merging.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Found {
    pub name: String,
    pub recipe: String,
    pub key: Option<FileRange>,
    pub call: Option<FileRange>,
}

/// An overlay function and what it adds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HarvestedOverlay {
    pub origin: FileRange,
    pub found: Vec<Found>,
}

/// Overlays applied together, in order (one `overlays = [ … ]` list).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct OverlayList {
    pub overlays: Vec<HarvestedOverlay>,
    pub incomplete: bool,
}

/// Indices (into `packages(db).packages`) of the `pkgs` members a host sees:
/// packages of overlays applied by `nixpkgs.overlays` in its closure or by
/// the flake's `import nixpkgs { overlays }`, plus those named by settings
/// or found in package-set files no overlay was seen using.
#[salsa::tracked(returns(ref))]
pub fn visible_packages<'db>(db: &'db dyn Db, key: HostKey<'db>) -> Arc<Vec<usize>> {
    let set = packages(db);
    let mut overlays: BTreeSet<usize> = set.flake_overlays.iter().copied().collect();
    for (kind, name, indices) in &set.host_overlays {
        if kind == key.kind(db) && name == key.name(db) {
            overlays.extend(indices.iter().copied());
        }
    }
    let closure = crate::hosts::closure_file_set(db, key);
    for (file, indices) in &set.file_overlays {
        if closure.contains(file) {
            overlays.extend(indices.iter().copied());
        }
    }
    let visible = set
        .packages
        .iter()
        .enumerate()
        .filter(|(_, package)| {
            package.exposures.iter().any(|e| match e.kind {
                ExposureKind::Overlay => e.overlay.is_some_and(|o| overlays.contains(&o)),
                ExposureKind::PackageSet | ExposureKind::Setting => true,
                _ => false,
            })
        })
        .map(|(index, _)| index)
        .collect();
    Arc::new(visible)
}

/// The `pkgs` members a file sees: those of the hosts whose closure holds
/// it; every `pkgs` member of the repo when it is in no host (or its hosts
/// see none).
pub fn file_packages(db: &dyn Db, file: SourceFile) -> Vec<usize> {
    let mut visible = BTreeSet::new();
    for key in crate::hosts::hosts_of_file(db, file) {
        visible.extend(visible_packages(db, *key).iter().copied());
    }
    if visible.is_empty() {
        return packages(db)
            .packages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.in_pkgs())
            .map(|(i, _)| i)
            .collect();
    }
    visible.into_iter().collect()
}
