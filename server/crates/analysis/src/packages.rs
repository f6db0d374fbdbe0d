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

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::sync::Arc;

use flakelens_db::{paths, Db, SourceFile};
use flakelens_syntax::ast::{self, HasEntry};
use flakelens_syntax::{SyntaxKind, TextRange};
use rowan::ast::AstNode;

use crate::check::{codes, Diagnostic, Severity};
use crate::eval::{Attrs, Evaluator, Thunk, Value};
use crate::hosts::{host_closure, HostKey, HostKind};
use crate::known::nixpkgs::{OverlayUse, OverlayUseKind};
use crate::known::KnownPrim;
use crate::FileRange;

// ---------------------------------------------------------------------------
// Plain data

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

// ---------------------------------------------------------------------------
// Harvesting overlays

/// Splits a value into overlay functions: a function, a composition, or a
/// list of them.
fn overlay_functions(
    ev: &Evaluator,
    value: Value,
    out: &mut Vec<Value>,
    incomplete: &mut bool,
    depth: u32,
) {
    if depth > 16 {
        *incomplete = true;
        return;
    }
    match value {
        Value::List(items) => {
            for item in items.iter() {
                let item = ev.force(item);
                overlay_functions(ev, item, out, incomplete, depth + 1);
            }
        }
        Value::Prim(app)
            if app.prim == KnownPrim::ComposedOverlay.prim() && app.args.len() == 1 =>
        {
            let list = ev.force(&app.args[0]);
            overlay_functions(ev, list, out, incomplete, depth + 1);
        }
        Value::Lambda(_) => out.push(value),
        Value::Attrs(attrs) if attrs.marker.is_some() => {
            // mkBefore/mkAfter/mkIf/mkForce around an overlay list.
            for inner in unwrap_definitions(ev, Value::Attrs(attrs), 0) {
                overlay_functions(ev, inner, out, incomplete, depth + 1);
            }
        }
        _ => *incomplete = true,
    }
}

fn lambda_origin(value: &Value) -> Option<FileRange> {
    match value {
        Value::Lambda(closure) => Some(FileRange {
            file: closure.file,
            range: closure.lambda.syntax().text_range(),
        }),
        _ => None,
    }
}

fn symbolic_pkgs(ev: &Evaluator) -> Thunk {
    ev.value_thunk(Value::Pkgs(Rc::from(Vec::new())), None)
}

/// Applies an overlay to symbolic `final`/`prev` and collects what it adds.
fn harvest_overlay(ev: &Evaluator, function: &Value) -> Option<HarvestedOverlay> {
    let origin = lambda_origin(function)?;
    let partial = ev.apply(function, symbolic_pkgs(ev), None);
    let added = ev.apply(&partial, symbolic_pkgs(ev), None);
    let mut found = Vec::new();
    collect_packages(ev, &added, "", 0, &mut found);
    Some(HarvestedOverlay { origin, found })
}

/// Packages in an attrset of packages (nested sets are walked).
fn collect_packages(ev: &Evaluator, value: &Value, prefix: &str, depth: u32, out: &mut Vec<Found>) {
    let Value::Attrs(attrs) = value else {
        return;
    };
    if attrs.marker.is_some() || depth > 4 || out.len() > 5000 {
        return;
    }
    for (name, entry) in &attrs.entries {
        if depth == 0
            && matches!(
                name.as_ref(),
                "lib" | "callPackage" | "override" | "overrideDerivation"
            )
        {
            continue;
        }
        let full = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        match ev.force(&entry.value) {
            Value::Package(package) => out.push(Found {
                name: full,
                recipe: package.recipe.to_string(),
                key: entry.key,
                call: package.call,
            }),
            nested @ Value::Attrs(_) => collect_packages(ev, &nested, &full, depth + 1, out),
            _ => {}
        }
    }
}

/// Harvests every overlay in a value (function, composition or list).
fn harvest_list(ev: &Evaluator, value: Value) -> OverlayList {
    let mut functions = Vec::new();
    let mut list = OverlayList::default();
    overlay_functions(ev, value, &mut functions, &mut list.incomplete, 0);
    for function in functions {
        match harvest_overlay(ev, &function) {
            Some(overlay) => {
                if !list.overlays.iter().any(|o| o.origin == overlay.origin) {
                    list.overlays.push(overlay);
                }
            }
            None => list.incomplete = true,
        }
    }
    list
}

/// mkIf/mkMerge/mkOverride/mkOrder markers, seen through.
fn unwrap_definitions(ev: &Evaluator, value: Value, depth: u32) -> Vec<Value> {
    if depth > 16 {
        return Vec::new();
    }
    let Value::Attrs(attrs) = &value else {
        return vec![value];
    };
    match attrs.marker {
        Some("if") | Some("override") | Some("order") => match attrs.get("content") {
            Some(entry) => unwrap_definitions(ev, ev.force(&entry.value), depth + 1),
            None => Vec::new(),
        },
        Some("merge") => match attrs.get("contents").map(|e| ev.force(&e.value)) {
            Some(Value::List(items)) => items
                .iter()
                .flat_map(|item| unwrap_definitions(ev, ev.force(item), depth + 1))
                .collect(),
            _ => Vec::new(),
        },
        _ => vec![value],
    }
}

/// Every definition of `path` in a module's config value.
fn definitions_at(ev: &Evaluator, value: Value, path: &[&str], out: &mut Vec<Value>, depth: u32) {
    for value in unwrap_definitions(ev, value, depth) {
        let Some((first, rest)) = path.split_first() else {
            out.push(value);
            continue;
        };
        if let Value::Attrs(attrs) = &value {
            if let Some(entry) = attrs.get(first) {
                definitions_at(ev, ev.force(&entry.value), rest, out, depth + 1);
            }
        }
    }
}

/// The `nixpkgs.overlays` lists a module value defines.
fn module_overlay_lists(ev: &Evaluator, module: Value) -> Vec<OverlayList> {
    let mut value = module;
    if let Value::Lambda(_) = value {
        let args = crate::module::module_args(ev, &[]);
        value = ev.apply(&value, args, None);
    }
    let Value::Attrs(attrs) = &value else {
        return Vec::new();
    };
    let config = if attrs.get("config").is_some() || attrs.get("options").is_some() {
        match attrs.get("config") {
            Some(entry) => ev.force(&entry.value),
            None => return Vec::new(),
        }
    } else {
        value.clone()
    };
    let mut lists = Vec::new();
    definitions_at(ev, config, &["nixpkgs", "overlays"], &mut lists, 0);
    lists
        .into_iter()
        .map(|list| harvest_list(ev, list))
        .collect()
}

/// The overlays a module file sets through `nixpkgs.overlays`.
#[salsa::tracked(returns(ref))]
pub fn module_overlays(db: &dyn Db, file: SourceFile) -> Arc<Vec<OverlayList>> {
    if !file.text(db).contains("overlays") {
        return Arc::default();
    }
    let ev = crate::known::evaluator(db);
    let module = ev.force(&ev.import_thunk(file));
    Arc::new(module_overlay_lists(&ev, module))
}

// ---------------------------------------------------------------------------
// Recipes

/// What a recipe file says, read from its syntax.
#[salsa::tracked(returns(ref))]
pub fn recipe_info(db: &dyn Db, file: SourceFile) -> Arc<RecipeInfo> {
    let mut info = RecipeInfo::default();
    let Some(mut expr) = flakelens_db::parse(db, file).root_expr() else {
        return Arc::new(info);
    };
    let mut strings: BTreeMap<String, String> = BTreeMap::new();
    for _ in 0..32 {
        expr = match expr.clone() {
            ast::Expr::Paren(paren) => match paren.expr() {
                Some(inner) => inner,
                None => break,
            },
            ast::Expr::Lambda(lambda) => match lambda.body() {
                Some(body) => body,
                None => break,
            },
            ast::Expr::LetIn(let_in) => {
                collect_literal_bindings(&let_in, &strings.clone(), &mut strings);
                match let_in.body() {
                    Some(body) => body,
                    None => break,
                }
            }
            ast::Expr::With(with) => match with.body() {
                Some(body) => body,
                None => break,
            },
            ast::Expr::Assert(assert) => match assert.body() {
                Some(body) => body,
                None => break,
            },
            _ => break,
        };
    }
    let ast::Expr::Apply(apply) = &expr else {
        return Arc::new(info);
    };
    info.derivation = Some(apply.syntax().text_range());
    let mut arguments = Vec::new();
    let mut head = expr.clone();
    while let ast::Expr::Apply(apply) = &head {
        if let Some(argument) = apply.argument() {
            arguments.push(argument);
        }
        match apply.lambda() {
            Some(function) => head = function,
            None => break,
        }
    }
    arguments.reverse();
    let head_text = head.syntax().text().to_string();
    if matches!(head, ast::Expr::Ident(_) | ast::Expr::Select(_))
        && head_text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '\'' | '.'))
    {
        info.builder = Some(head_text);
    }
    let set = arguments.iter().find_map(|argument| {
        let mut argument = argument.clone();
        for _ in 0..4 {
            argument = match argument {
                ast::Expr::Paren(paren) => paren.expr()?,
                ast::Expr::Lambda(lambda) => lambda.body()?,
                other => return attr_set(other),
            };
        }
        None
    });
    match set {
        Some(set) => {
            let mut scope = strings.clone();
            if set.rec_token().is_some() {
                collect_literal_bindings(&set, &strings, &mut scope);
            }
            read_derivation_attrs(&set, &scope, &mut info);
        }
        None => {
            // writeShellScriptBin "name" "…", runCommand "name" { } "…".
            if let Some(name) = arguments.first().and_then(|a| literal(a, &strings)) {
                info.pname = Some(name);
            }
        }
    }
    Arc::new(info)
}

fn attr_set(expr: ast::Expr) -> Option<ast::AttrSet> {
    match expr {
        ast::Expr::AttrSet(set) => Some(set),
        _ => None,
    }
}

/// A string literal (or a variable bound to one), without interpolation.
fn literal(expr: &ast::Expr, scope: &BTreeMap<String, String>) -> Option<String> {
    match expr {
        ast::Expr::Str(string) => {
            let mut text = String::new();
            for part in flakelens_syntax::string_parts(string)? {
                match part {
                    ast::InterpolPart::Literal(literal) => text.push_str(&literal),
                    ast::InterpolPart::Interpolation(interpolation) => {
                        // `"${version}"`-style references to literals.
                        match interpolation.expr()? {
                            ast::Expr::Ident(ident) => {
                                text.push_str(scope.get(&ident.syntax().text().to_string())?)
                            }
                            _ => return None,
                        }
                    }
                }
            }
            Some(text.trim().to_string())
        }
        ast::Expr::Ident(ident) => scope.get(&ident.syntax().text().to_string()).cloned(),
        ast::Expr::Paren(paren) => literal(&paren.expr()?, scope),
        _ => None,
    }
}

fn static_attrpath(path: &ast::Attrpath) -> Option<Vec<String>> {
    path.attrs()
        .map(|attr| match attr {
            ast::Attr::Ident(ident) => Some(ident.syntax().text().to_string()),
            _ => None,
        })
        .collect()
}

fn collect_literal_bindings(
    node: &impl HasEntry,
    scope: &BTreeMap<String, String>,
    out: &mut BTreeMap<String, String>,
) {
    for entry in node.entries() {
        if let ast::Entry::AttrpathValue(binding) = entry {
            let (Some(path), Some(value)) = (binding.attrpath(), binding.value()) else {
                continue;
            };
            if let Some(path) = static_attrpath(&path) {
                if path.len() == 1 {
                    if let Some(text) = literal(&value, scope) {
                        out.insert(path[0].clone(), text);
                    }
                }
            }
        }
    }
}

fn read_derivation_attrs(
    set: &ast::AttrSet,
    scope: &BTreeMap<String, String>,
    info: &mut RecipeInfo,
) {
    let mut name = None;
    for entry in set.entries() {
        let binding = match entry {
            ast::Entry::AttrpathValue(binding) => binding,
            ast::Entry::Inherit(inherit) => {
                // `inherit version;` from the recipe's `let`.
                if inherit.from().is_none() {
                    for attr in inherit.attrs() {
                        let ast::Attr::Ident(ident) = attr else {
                            continue;
                        };
                        let key = ident.syntax().text().to_string();
                        let value = scope.get(&key).cloned();
                        match key.as_str() {
                            "pname" => info.pname = value,
                            "version" => info.version = value,
                            "name" => name = value,
                            _ => {}
                        }
                    }
                }
                continue;
            }
        };
        let (Some(path), Some(value)) = (binding.attrpath(), binding.value()) else {
            continue;
        };
        let Some(path) = static_attrpath(&path) else {
            continue;
        };
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        match path.as_slice() {
            ["pname"] => info.pname = literal(&value, scope),
            ["name"] => name = literal(&value, scope),
            ["version"] => info.version = literal(&value, scope),
            ["meta", "description"] => info.description = literal(&value, scope),
            ["meta", "homepage"] => info.homepage = literal(&value, scope),
            ["meta"] => {
                let mut value = value;
                for _ in 0..4 {
                    value = match value {
                        ast::Expr::With(with) => match with.body() {
                            Some(body) => body,
                            None => break,
                        },
                        ast::Expr::Paren(paren) => match paren.expr() {
                            Some(inner) => inner,
                            None => break,
                        },
                        other => other,
                    };
                    if let ast::Expr::AttrSet(meta) = &value {
                        let mut fields = BTreeMap::new();
                        collect_literal_bindings(meta, scope, &mut fields);
                        info.description = fields.remove("description").or(info.description.take());
                        info.homepage = fields.remove("homepage").or(info.homepage.take());
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    if info.pname.is_none() {
        info.pname = name;
    }
}

// ---------------------------------------------------------------------------
// The package set

#[derive(Default)]
struct Builder {
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
                let info = recipe_file
                    .map(|file| (**recipe_info(db, file)).clone())
                    .unwrap_or_default();
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
    let mut files = BTreeMap::new();
    for key in crate::hosts::host_keys(db) {
        for file in &host_closure(db, key).files {
            files.insert(file.path(db).clone(), *file);
        }
    }
    for file in files.into_values() {
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

fn flake_packages(ev: &Evaluator, builder: &mut Builder) {
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
fn flake_output_packages(
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
    if attrs.marker.is_some() || depth > 4 {
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
fn resolve_aliases(db: &dyn Db, builder: &mut Builder) {
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
fn setting_packages(db: &dyn Db, builder: &mut Builder) {
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
fn walk_directory(db: &dyn Db, dir: &str, out: &mut Vec<Found>, depth: u32) {
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
fn package_set_files(db: &dyn Db, builder: &mut Builder) {
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

// ---------------------------------------------------------------------------
// Visibility

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
    let closure = host_closure(db, key);
    for (file, indices) in &set.file_overlays {
        if closure.contains(*file) {
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
    for key in crate::hosts::host_keys(db) {
        if host_closure(db, key).contains(file) {
            visible.extend(visible_packages(db, key).iter().copied());
        }
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

// ---------------------------------------------------------------------------
// Diagnostics

/// `missing-package-file` and `duplicate-package` diagnostics.
#[salsa::tracked(returns(ref))]
pub fn package_diagnostics(db: &dyn Db) -> Arc<Vec<Diagnostic>> {
    let mut out = Vec::new();
    // Only files something uses: a leftover overlay nobody applies may
    // name files that are gone.
    let used = crate::check::used_files(db);
    for file in used.iter().copied() {
        out.extend(missing_package_files(db, file).iter().cloned());
    }
    let set = packages(db);
    for (name, second, first) in &set.duplicates {
        out.push(Diagnostic {
            range: *second,
            severity: Severity::Warning,
            code: codes::DUPLICATE_PACKAGE,
            message: format!(
                "package {name} is also defined by an earlier overlay, which this one overrides"
            ),
            related: first
                .iter()
                .map(|first| (*first, format!("{name} is first defined here")))
                .collect(),
            fixes: Vec::new(),
        });
    }
    Arc::new(out)
}

/// Whether an expression is `callPackage`, `x.callPackage`,
/// `callPackageWith y` or `callPackages`.
fn is_call_package(expr: &ast::Expr) -> bool {
    let last = |expr: &ast::Expr| -> Option<String> {
        match expr {
            ast::Expr::Ident(ident) => Some(ident.syntax().text().to_string()),
            ast::Expr::Select(select) => match select.attrpath()?.attrs().last()? {
                ast::Attr::Ident(ident) => Some(ident.syntax().text().to_string()),
                _ => None,
            },
            _ => None,
        }
    };
    match expr {
        ast::Expr::Paren(paren) => paren.expr().is_some_and(|e| is_call_package(&e)),
        ast::Expr::Apply(apply) => apply
            .lambda()
            .and_then(|f| last(&f))
            .is_some_and(|name| name == "callPackageWith" || name == "callPackagesWith"),
        other => last(other).is_some_and(|name| name == "callPackage" || name == "callPackages"),
    }
}

/// Whether a call only happens when a `pathExists` test passes (`if
/// builtins.pathExists ./x.nix then callPackage ./x.nix { } else …`,
/// `optionalAttrs (pathExists …) { … }`).
fn guarded_by_path_exists(node: &flakelens_syntax::SyntaxNode) -> bool {
    node.ancestors().any(|ancestor| {
        if let Some(if_else) = ast::IfElse::cast(ancestor.clone()) {
            return if_else
                .condition()
                .is_some_and(|c| c.syntax().text().to_string().contains("pathExists"));
        }
        if let Some(apply) = ast::Apply::cast(ancestor) {
            if let Some(ast::Expr::Apply(inner)) = apply.lambda() {
                return inner
                    .argument()
                    .is_some_and(|a| a.syntax().text().to_string().contains("pathExists"));
            }
        }
        false
    })
}

/// `callPackage ./path …` whose literal path does not exist.
#[salsa::tracked(returns(ref))]
pub fn missing_package_files(db: &dyn Db, file: SourceFile) -> Arc<Vec<Diagnostic>> {
    let mut out = Vec::new();
    if !file.text(db).contains("callPackage") {
        return Arc::new(out);
    }
    let root = db.workspace().root(db).clone();
    let syntax = flakelens_db::parse(db, file).syntax();
    for node in syntax.descendants() {
        if node.kind() != SyntaxKind::NODE_APPLY {
            continue;
        }
        let Some(apply) = ast::Apply::cast(node) else {
            continue;
        };
        let (Some(function), Some(argument)) = (apply.lambda(), apply.argument()) else {
            continue;
        };
        if !is_call_package(&function) || guarded_by_path_exists(apply.syntax()) {
            continue;
        }
        if !matches!(argument, ast::Expr::PathRel(_)) {
            continue;
        }
        let Some(parts) = flakelens_syntax::path_parts(&argument) else {
            continue;
        };
        let mut text = String::new();
        let mut literal_path = true;
        for part in parts {
            match part {
                ast::InterpolPart::Literal(literal) => text.push_str(literal.text()),
                ast::InterpolPart::Interpolation(_) => literal_path = false,
            }
        }
        if !literal_path {
            continue;
        }
        let Some(path) = paths::join(paths::parent(file.path(db)), &text) else {
            continue;
        };
        let inside = root == "/" || path.starts_with(&format!("{root}/"));
        if !inside {
            continue;
        }
        let shown = paths::relative_to(&path, &root).to_string();
        let message = if flakelens_db::file_at(db, &path).is_some()
            || flakelens_db::file_at(db, &format!("{path}/default.nix")).is_some()
        {
            continue;
        } else if flakelens_db::is_directory(db, &path) {
            format!("callPackage: directory {shown} has no default.nix")
        } else if path.ends_with(".nix") || !paths::file_name(&path).contains('.') {
            format!("callPackage: {shown} does not exist")
        } else {
            // Only .nix files are loaded: another kind of file may exist.
            continue;
        };
        out.push(Diagnostic {
            range: FileRange {
                file,
                range: argument.syntax().text_range(),
            },
            severity: Severity::Error,
            code: codes::MISSING_PACKAGE_FILE,
            message,
            related: Vec::new(),
            fixes: Vec::new(),
        });
    }
    Arc::new(out)
}
