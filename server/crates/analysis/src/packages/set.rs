//! Building the package set: flake outputs, overlays, settings
//! directories, aliases and package-set files, merged into one index.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use flakelens_db::{paths, Db};
use flakelens_syntax::ast;
use rowan::ast::AstNode;

use crate::eval::{Attrs, Evaluator, Value};
use crate::hosts::HostKind;
use crate::known::nixpkgs::{OverlayUse, OverlayUseKind};
use crate::FileRange;

use super::*;

#[derive(Default)]
pub(crate) struct Builder {
    set: PackageSet,
    /// (name, recipe) → index in set.packages.
    index: BTreeMap<(String, String), usize>,
    /// Flake outputs that are `pkgs.<name>`: (kind, label, output name,
    /// target name, key).
    aliases: Vec<(
        ExposureKind,
        String,
        String,
        String,
        String,
        Option<FileRange>,
    )>,
}

impl Builder {
    fn overlay_index(&mut self, origin: FileRange, name: Option<&str>) -> usize {
        if let Some(index) = self.set.overlays.iter().position(|o| o.origin == origin) {
            if self.set.overlays[index].name.is_none() {
                self.set.overlays[index].name = name.map(str::to_string);
            }
            return index;
        }
        self.set.overlays.push(Overlay {
            name: name.map(str::to_string),
            origin,
        });
        self.set.overlays.len() - 1
    }

    fn add(&mut self, db: &dyn Db, found: &Found, exposure: Exposure) {
        let key = (found.name.clone(), found.recipe.clone());
        let index = match self.index.get(&key) {
            Some(index) => *index,
            None => {
                let recipe_file = flakelens_db::file_at(db, &found.recipe);
                let info = match (recipe_file, found.call) {
                    // Built inline: the recipe is the builder call.
                    (Some(file), Some(call)) if call.file == file => inline_recipe_info(db, call),
                    (Some(file), _) => (**recipe_info(db, file)).clone(),
                    _ => RecipeInfo::default(),
                };
                self.set.packages.push(Package {
                    name: found.name.clone(),
                    recipe: found.recipe.clone(),
                    recipe_file,
                    info,
                    exposures: Vec::new(),
                });
                self.index.insert(key, self.set.packages.len() - 1);
                self.set.packages.len() - 1
            }
        };
        let exposures = &mut self.set.packages[index].exposures;
        let same = |e: &Exposure| {
            e.kind == exposure.kind
                && e.overlay == exposure.overlay
                && (e.kind == ExposureKind::Overlay
                    || e.key == exposure.key && e.call == exposure.call)
        };
        match exposures.iter_mut().find(|e| same(e)) {
            Some(existing) => {
                for system in exposure.systems {
                    if !existing.systems.contains(&system) {
                        existing.systems.push(system);
                    }
                }
            }
            None => exposures.push(exposure),
        }
    }

    /// Registers the overlays of a list; returns their indices.
    fn add_list(&mut self, db: &dyn Db, list: &OverlayList, name: Option<&str>) -> Vec<usize> {
        self.set.incomplete |= list.incomplete;
        let mut indices = Vec::new();
        for overlay in &list.overlays {
            let index = self.overlay_index(
                overlay.origin,
                if list.overlays.len() == 1 { name } else { None },
            );
            indices.push(index);
            for found in &overlay.found {
                let exposure = Exposure {
                    kind: ExposureKind::Overlay,
                    label: String::new(),
                    overlay: Some(index),
                    key: found.key,
                    call: found.call,
                    systems: Vec::new(),
                };
                self.add(db, found, exposure);
            }
        }
        self.duplicates(list);
        indices
    }

    fn duplicates(&mut self, list: &OverlayList) {
        let mut seen: BTreeMap<&str, (FileRange, Option<FileRange>)> = BTreeMap::new();
        for overlay in &list.overlays {
            for found in &overlay.found {
                match seen.get(found.name.as_str()) {
                    Some((origin, first)) if *origin != overlay.origin => {
                        if let Some(key) = found.key {
                            let entry = (found.name.clone(), key, *first);
                            if !self.set.duplicates.contains(&entry) {
                                self.set.duplicates.push(entry);
                            }
                        }
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(&found.name, (overlay.origin, found.key));
                    }
                }
            }
        }
    }
}

/// The repo's package set.
#[salsa::tracked(returns(ref))]
pub fn packages(db: &dyn Db) -> Arc<PackageSet> {
    let mut builder = Builder::default();
    if crate::known::flake::flake_file(db).is_some() {
        let ev = crate::known::evaluator(db);
        flake_packages(&ev, &mut builder);
        builder.set.incomplete |= ev.exhausted();
        builder.set.touched = ev.touched_files();
        builder
            .set
            .touched
            .sort_by(|a, b| a.path(db).cmp(b.path(db)));
    }
    // Module files of every host that set nixpkgs.overlays.
    let mut files: Vec<SourceFile> = crate::options::files_in_hosts(db).iter().copied().collect();
    files.sort_by(|a, b| a.path(db).cmp(b.path(db)));
    for file in files {
        let lists = module_overlays(db, file);
        if lists.is_empty() {
            continue;
        }
        let mut indices = Vec::new();
        for list in lists.iter() {
            indices.extend(builder.add_list(db, list, None));
        }
        builder.set.file_overlays.push((file, indices));
    }
    setting_packages(db, &mut builder);
    package_set_files(db, &mut builder);
    resolve_aliases(db, &mut builder);
    // Labels of overlay exposures.
    let labels: Vec<String> = (0..builder.set.overlays.len())
        .map(|index| builder.set.overlay_label(db, index))
        .collect();
    for package in &mut builder.set.packages {
        for exposure in &mut package.exposures {
            if let Some(index) = exposure.overlay {
                exposure.label = labels[index].clone();
            }
            exposure.systems.sort();
            match exposure.systems.len() {
                0 => {}
                1 => exposure.label = format!("{}.{}", exposure.label, exposure.systems[0]),
                _ => {
                    exposure.label =
                        format!("{}.{{{}}}", exposure.label, exposure.systems.join(","))
                }
            }
        }
    }
    let mut set = builder.set;
    let order: Vec<usize> = {
        let mut order: Vec<usize> = (0..set.packages.len()).collect();
        order.sort_by(|a, b| {
            let (a, b) = (&set.packages[*a], &set.packages[*b]);
            (&a.name, &a.recipe).cmp(&(&b.name, &b.recipe))
        });
        order
    };
    set.packages = order.into_iter().map(|i| set.packages[i].clone()).collect();
    Arc::new(set)
}

pub(crate) fn flake_packages(ev: &Evaluator, builder: &mut Builder) {
    let db = ev.db;
    let Value::Attrs(outputs) = ev.force(&ev.flake_self()) else {
        builder.set.incomplete = true;
        return;
    };
    // overlays.<name> (and the legacy singular `overlay`).
    if let Some(entry) = outputs.get("overlays") {
        match ev.force(&entry.value) {
            Value::Attrs(overlays) => {
                for (name, entry) in &overlays.entries {
                    let list = harvest_list(ev, ev.force(&entry.value));
                    builder.add_list(db, &list, Some(&format!("overlays.{name}")));
                }
            }
            _ => builder.set.incomplete = true,
        }
    }
    if let Some(entry) = outputs.get("overlay") {
        let list = harvest_list(ev, ev.force(&entry.value));
        builder.add_list(db, &list, Some("overlay"));
    }
    // packages.<system>.<name>, legacyPackages.<system>.<name…>.
    for (output, kind) in [
        ("packages", ExposureKind::FlakePackages),
        ("legacyPackages", ExposureKind::FlakeLegacyPackages),
    ] {
        let Some(entry) = outputs.get(output) else {
            continue;
        };
        let Value::Attrs(systems) = ev.force(&entry.value) else {
            builder.set.incomplete = true;
            continue;
        };
        for (system, entry) in &systems.entries {
            let value = ev.force(&entry.value);
            flake_output_packages(ev, builder, kind, output, system, &value, "", 0);
        }
    }
    // Package sets built for hosts (`specialArgs = { inherit pkgs; }`) and
    // the overlays of inline host modules.
    for kind in [HostKind::Nixos, HostKind::Darwin, HostKind::Home] {
        let Some(entry) = outputs.get(kind.output_name()) else {
            continue;
        };
        let Value::Attrs(configurations) = ev.force(&entry.value) else {
            continue;
        };
        for (name, entry) in &configurations.entries {
            let Value::System(system) = ev.force(&entry.value) else {
                continue;
            };
            if let Some(special) = &system.special_args {
                if let Value::Attrs(special) = ev.force(special) {
                    for entry in special.entries.values() {
                        ev.force(&entry.value);
                    }
                }
            }
            let mut indices = Vec::new();
            for module in &system.modules {
                let value = ev.force(module);
                if crate::module::root_file_of(ev, &value).is_some()
                    || matches!(value, Value::Path(_))
                {
                    continue;
                }
                for list in module_overlay_lists(ev, value) {
                    indices.extend(builder.add_list(db, &list, None));
                }
            }
            if !indices.is_empty() {
                builder
                    .set
                    .host_overlays
                    .push((kind, name.to_string(), indices));
            }
        }
    }
    // `import nixpkgs { overlays = …; }` and `pkgs.extend f` seen so far
    // (handling one may evaluate more).
    let mut done = 0;
    while let Some(used) = ev.observed::<OverlayUse>(done) {
        done += 1;
        let value = match used.kind {
            OverlayUseKind::Extend => ev.force(&used.value),
            OverlayUseKind::NixpkgsImport => match ev.force(&used.value) {
                Value::Attrs(args) => match args.get("overlays") {
                    Some(entry) => ev.force(&entry.value),
                    None => continue,
                },
                _ => continue,
            },
        };
        let list = harvest_list(ev, value);
        let indices = builder.add_list(db, &list, None);
        for index in indices {
            if !builder.set.flake_overlays.contains(&index) {
                builder.set.flake_overlays.push(index);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn flake_output_packages(
    ev: &Evaluator,
    builder: &mut Builder,
    kind: ExposureKind,
    label: &str,
    system: &str,
    value: &Value,
    prefix: &str,
    depth: u32,
) {
    let Value::Attrs(attrs) = value else {
        return;
    };
    if depth > 4 {
        return;
    }
    if attrs.marker.is_some() {
        // `packages = lib.mkMerge [ { … } (lib.mkIf … { … }) ]`: every part
        // (conditional ones included) holds packages of the repo.
        for part in unwrap_definitions(ev, value.clone(), 0) {
            if matches!(&part, Value::Attrs(a) if a.marker.is_none()) {
                flake_output_packages(ev, builder, kind, label, system, &part, prefix, depth + 1);
            }
        }
        return;
    }
    for (name, entry) in &attrs.entries {
        let full = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        match ev.force(&entry.value) {
            Value::Package(package) => {
                let found = Found {
                    name: full,
                    recipe: package.recipe.to_string(),
                    key: entry.key,
                    call: package.call,
                };
                let exposure = Exposure {
                    kind,
                    label: label.to_string(),
                    overlay: None,
                    key: entry.key,
                    call: package.call,
                    systems: vec![system.to_string()],
                };
                builder.add(ev.db, &found, exposure);
            }
            Value::Pkgs(path) if !path.is_empty() => {
                let target = path
                    .iter()
                    .map(|s| s.as_ref())
                    .collect::<Vec<_>>()
                    .join(".");
                builder.aliases.push((
                    kind,
                    label.to_string(),
                    system.to_string(),
                    full,
                    target,
                    entry.key,
                ));
            }
            nested @ Value::Attrs(_) if kind == ExposureKind::FlakeLegacyPackages => {
                flake_output_packages(ev, builder, kind, label, system, &nested, &full, depth + 1)
            }
            _ => {}
        }
    }
}

/// Flake outputs written as `pkgs.<name>`: the overlay package of that name.
pub(crate) fn resolve_aliases(db: &dyn Db, builder: &mut Builder) {
    for (kind, label, system, name, target, key) in std::mem::take(&mut builder.aliases) {
        let Some(package) = builder
            .set
            .packages
            .iter()
            .rev()
            .find(|p| p.name == target && p.in_pkgs())
            .cloned()
        else {
            continue;
        };
        let found = Found {
            name,
            recipe: package.recipe.clone(),
            key,
            call: package.call(),
        };
        let exposure = Exposure {
            kind,
            label,
            overlay: None,
            key,
            call: package.call(),
            systems: vec![system],
        };
        builder.add(db, &found, exposure);
    }
}

/// `flakelens.toml`: `[packages] directories = ["pkgs"]`.
pub(crate) fn setting_packages(db: &dyn Db, builder: &mut Builder) {
    let directories = db.workspace().settings(db).package_directories.clone();
    for dir in directories {
        let mut found = Vec::new();
        walk_directory(db, &dir, &mut found, 0);
        for found in found {
            let exposure = Exposure {
                kind: ExposureKind::Setting,
                label: "flakelens.toml [packages] directories".to_string(),
                overlay: None,
                key: None,
                call: None,
                systems: Vec::new(),
            };
            builder.add(db, &found, exposure);
        }
    }
}

/// A flattening walk: `x.nix` → `x`, `x/default.nix` (or `x/package.nix`)
/// → `x`, other directories are walked.
pub(crate) fn walk_directory(db: &dyn Db, dir: &str, out: &mut Vec<Found>, depth: u32) {
    if depth > 8 {
        return;
    }
    for (name, is_dir) in flakelens_db::read_dir(db, dir) {
        let path = format!("{}/{name}", dir.trim_end_matches('/'));
        if is_dir {
            let recipe = ["default.nix", "package.nix"]
                .iter()
                .map(|file| format!("{path}/{file}"))
                .find(|recipe| flakelens_db::file_at(db, recipe).is_some());
            match recipe {
                Some(recipe) => out.push(Found {
                    name,
                    recipe,
                    key: None,
                    call: None,
                }),
                None => walk_directory(db, &path, out, depth + 1),
            }
        } else if let Some(stem) = name.strip_suffix(".nix") {
            if stem != "default" {
                out.push(Found {
                    name: stem.to_string(),
                    recipe: path,
                    key: None,
                    call: None,
                });
            }
        }
    }
}

/// `pkgs/default.nix` returning `{ a = callPackage ./a { }; }`, when no
/// overlay or flake output was seen using it.
pub(crate) fn package_set_files(db: &dyn Db, builder: &mut Builder) {
    let root = db.workspace().root(db).clone();
    for candidate in [
        "pkgs/default.nix",
        "packages/default.nix",
        "nix/pkgs/default.nix",
        "nix/packages/default.nix",
    ] {
        let Some(path) = paths::join(&root, candidate) else {
            continue;
        };
        let Some(file) = flakelens_db::file_at(db, &path) else {
            continue;
        };
        let used = builder.set.packages.iter().any(|p| {
            p.exposures
                .iter()
                .any(|e| e.call.is_some_and(|c| c.file == file))
        });
        if used {
            continue;
        }
        let ev = crate::known::evaluator(db);
        let mut value = ev.force(&ev.import_thunk(file));
        if let Value::Lambda(closure) = &value {
            let argument = match closure.lambda.param() {
                Some(ast::Param::Pattern(pattern)) => {
                    let mut args = Attrs::default();
                    let pkgs = Value::Pkgs(Rc::from(Vec::new()));
                    for entry in pattern.pat_entries() {
                        let Some(name) = entry.ident().map(|i| i.syntax().text().to_string())
                        else {
                            continue;
                        };
                        let value = match name.as_str() {
                            "pkgs" | "final" | "prev" | "self" | "super" => pkgs.clone(),
                            "lib" => ev.lib(),
                            "inputs" => ev.flake_inputs(),
                            _ => ev.select(&pkgs, &name).unwrap_or(Value::Unknown),
                        };
                        args.insert_value(&name, value);
                    }
                    Value::Attrs(Rc::new(args))
                }
                _ => Value::Pkgs(Rc::from(Vec::new())),
            };
            let argument = ev.value_thunk(argument, None);
            value = ev.apply(&value, argument, None);
        }
        let mut found = Vec::new();
        collect_packages(&ev, &value, "", 0, &mut found);
        let label = paths::relative_to(&path, &root).to_string();
        for found in found {
            let exposure = Exposure {
                kind: ExposureKind::PackageSet,
                label: format!("package set {label}"),
                overlay: None,
                key: found.key,
                call: found.call,
                systems: Vec::new(),
            };
            builder.add(db, &found, exposure);
        }
    }
}
