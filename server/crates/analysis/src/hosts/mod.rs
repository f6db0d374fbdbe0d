//! Hosts (`nixosConfigurations.<name>` and friends) and their module
//! closures.

use std::sync::Arc;

use flakelens_db::{paths, Db, SourceFile};

use crate::eval::{Evaluator, Value};
use crate::module::{ModuleRef, ModuleSummary};

pub mod explain;
pub mod modules;

use crate::FileRange;
pub use modules::{
    looks_like_module_function, module_declarations, module_imports, module_summary,
    module_summary_in, summary_context,
};

pub use crate::HostKind;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Host {
    pub name: String,
    pub kind: HostKind,
    /// The host's name where it is written in the flake (or its root file).
    pub name_range: Option<FileRange>,
    /// The `nixosSystem { … }` call.
    pub call: Option<FileRange>,
    pub roots: Vec<ModuleRef>,
    /// The `modules` list could not be fully known.
    pub roots_incomplete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HostSet {
    pub hosts: Vec<Host>,
    /// Whether hosts came from `flake.nix` (else from the file layout).
    pub from_flake: bool,
    /// Some configurations could not be worked out.
    pub incomplete: bool,
    /// Files read while evaluating the flake and its hosts.
    pub touched: Vec<SourceFile>,
}

/// Every host of the workspace.
#[salsa::tracked(returns(ref))]
pub fn hosts(db: &dyn Db) -> Arc<HostSet> {
    let mut set = if crate::known::flake::flake_file(db).is_some() {
        let ev = crate::known::evaluator(db);
        let mut set = flake_hosts(&ev);
        set.incomplete |= ev.exhausted();
        set.touched = ev.touched_files();
        set.touched.sort_by(|a, b| a.path(db).cmp(b.path(db)));
        set
    } else {
        layout_hosts(db)
    };
    for host in configured_hosts(db) {
        let known = set
            .hosts
            .iter()
            .any(|h| h.kind == host.kind && h.name == host.name);
        if !known {
            set.hosts.push(host);
        }
    }
    Arc::new(set)
}

/// Hosts the user names in `flakelens.toml` `[hosts]` (for layouts the
/// analysis cannot follow): a root is a host file, or a directory whose
/// `<n>/configuration.nix` (else `<n>/default.nix`) and `<n>.nix` files
/// are hosts named `<n>`. A host the flake defines under that name wins.
fn configured_hosts(db: &dyn Db) -> Vec<Host> {
    let settings = db.workspace().settings(db);
    let mut out = Vec::new();
    for root in &settings.host_roots {
        let (kind, root) = match root.split_once(':') {
            Some(("darwin", path)) => (HostKind::Darwin, path),
            Some(("home", path)) => (HostKind::Home, path),
            _ => (HostKind::Nixos, root.as_str()),
        };
        let mut found: Vec<(String, SourceFile)> = Vec::new();
        if let Some(file) = flakelens_db::file_at(db, root) {
            let name = match paths::file_name(root) {
                "configuration.nix" | "default.nix" | "home.nix" => {
                    paths::file_name(paths::parent(root)).to_string()
                }
                other => other.trim_end_matches(".nix").to_string(),
            };
            found.push((name, file));
        }
        for (name, is_dir) in flakelens_db::read_dir(db, root) {
            let Some(path) = paths::join(root, &name) else {
                continue;
            };
            if is_dir {
                let entry = ["configuration.nix", "default.nix", "home.nix"]
                    .iter()
                    .find_map(|f| flakelens_db::file_at(db, &format!("{path}/{f}")));
                if let Some(file) = entry {
                    found.push((name, file));
                }
            } else if let Some(stem) = name.strip_suffix(".nix") {
                if stem != "default" {
                    if let Some(file) = flakelens_db::file_at(db, &path) {
                        found.push((stem.to_string(), file));
                    }
                }
            }
        }
        for (name, file) in found {
            out.push(Host {
                name,
                kind,
                name_range: Some(FileRange {
                    file,
                    range: flakelens_syntax::TextRange::empty(0.into()),
                }),
                call: None,
                roots: vec![ModuleRef::File { file, site: None }],
                roots_incomplete: false,
            });
        }
    }
    out
}

fn flake_hosts(ev: &Evaluator) -> HostSet {
    let mut set = HostSet {
        from_flake: true,
        ..HostSet::default()
    };
    let flake_self = ev.flake_self();
    let outputs = ev.force(&flake_self);
    let Value::Attrs(outputs) = outputs else {
        set.incomplete = true;
        return set;
    };
    // colmena nodes are NixOS hosts unless nixosConfigurations has them.
    let hive = crate::known::frameworks::colmena::hive_hosts(ev, &outputs);
    // `homeManagerConfigurations`: the legacy name of homeConfigurations.
    let outputs_by_name = [
        (HostKind::Nixos, "nixosConfigurations"),
        (HostKind::Darwin, "darwinConfigurations"),
        (HostKind::Home, "homeConfigurations"),
        (HostKind::Home, "homeManagerConfigurations"),
    ];
    for (kind, output) in outputs_by_name {
        let hive = if kind == HostKind::Nixos {
            hive.clone()
        } else {
            None
        };
        let own = match outputs.get(output) {
            Some(entry) => match ev.force(&entry.value) {
                Value::Attrs(configurations) => Some(configurations),
                _ => {
                    set.incomplete = true;
                    continue;
                }
            },
            None => None,
        };
        let configurations = match (kind, &hive, own) {
            (_, Some(hive), own) => {
                let mut all = hive.clone();
                if let Some(own) = own {
                    all.incomplete |= own.incomplete;
                    all.entries
                        .extend(own.entries.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                std::rc::Rc::new(all)
            }
            (_, _, Some(own)) => own,
            (_, _, None) => continue,
        };
        set.incomplete |= configurations.incomplete;
        for (name, entry) in &configurations.entries {
            if set
                .hosts
                .iter()
                .any(|h| h.kind == kind && *h.name == **name)
            {
                continue;
            }
            let Value::System(system) = ev.force(&entry.value) else {
                set.incomplete = true;
                continue;
            };
            // Inline root modules see this host's specialArgs.
            *ev.special_args.borrow_mut() = system_special_args(ev, &system);
            let roots = system
                .modules
                .iter()
                .map(|module| crate::module::module_ref(ev, module, &mut Vec::new()))
                .collect();
            set.hosts.push(Host {
                name: name.to_string(),
                kind: system.kind,
                name_range: entry.key,
                call: system.call,
                roots,
                roots_incomplete: system.modules_incomplete,
            });
        }
    }
    set
}

fn system_special_args(
    ev: &Evaluator,
    system: &crate::eval::SystemValue,
) -> Option<std::rc::Rc<crate::eval::Attrs>> {
    match ev.force(system.special_args.as_ref()?) {
        Value::Attrs(attrs) => Some(attrs),
        _ => None,
    }
}

/// The `specialArgs` a host passes to its modules, evaluated.
pub fn special_args(
    ev: &Evaluator,
    kind: HostKind,
    name: &str,
) -> Option<std::rc::Rc<crate::eval::Attrs>> {
    crate::known::flake::flake_file(ev.db)?;
    let Value::Attrs(outputs) = ev.force(&ev.flake_self()) else {
        return None;
    };
    let Value::Attrs(configurations) = ev.force(&outputs.get(kind.output_name())?.value) else {
        return None;
    };
    let Value::System(system) = ev.force(&configurations.get(name)?.value) else {
        return None;
    };
    system_special_args(ev, &system)
}

/// Names of a host's `specialArgs` whose values differ from the generic
/// module arguments (`inputs` and `self`/`outputs` of this flake are the
/// same for every host and are not listed).
#[salsa::tracked(returns(ref))]
pub fn host_specific_args<'db>(db: &'db dyn Db, key: HostKey<'db>) -> Vec<String> {
    let (kind, name) = (*key.kind(db), key.name(db));
    if let Some(names) = all_host_specific_args(db)
        .as_ref()
        .and_then(|all| all.get(&(kind, name.clone())))
    {
        return names.clone();
    }
    specific_args_with(&crate::known::evaluator(db), kind, name)
}

/// [`host_specific_args`] of every host, from one evaluation of the flake:
/// each host evaluating the flake's outputs on its own cost N² for N hosts
/// (19 s for 2,000 hosts). `None` when that evaluation ran out of fuel;
/// then each host evaluates its own.
#[salsa::tracked(returns(ref))]
fn all_host_specific_args(
    db: &dyn Db,
) -> Option<std::collections::BTreeMap<(HostKind, String), Vec<String>>> {
    let ev = crate::known::evaluator(db);
    let mut all = std::collections::BTreeMap::new();
    for host in &hosts(db).hosts {
        all.insert(
            (host.kind, host.name.clone()),
            specific_args_with(&ev, host.kind, &host.name),
        );
    }
    (!ev.exhausted()).then_some(all)
}

fn specific_args_with(ev: &Evaluator, kind: HostKind, name: &str) -> Vec<String> {
    let Some(special) = special_args(ev, kind, name) else {
        return Vec::new();
    };
    let generic_inputs: Vec<String> = match ev.flake_inputs() {
        Value::Attrs(inputs) => inputs.entries.keys().map(|k| k.to_string()).collect(),
        _ => Vec::new(),
    };
    let flake_self = ev.flake_self();
    let mut names = Vec::new();
    for (name, entry) in &special.entries {
        let value = ev.force(&entry.value);
        let generic = match (name.as_ref(), &value) {
            ("inputs", Value::Attrs(attrs)) => {
                attrs
                    .entries
                    .keys()
                    .all(|k| generic_inputs.iter().any(|g| g == k.as_ref()))
                    && attrs.entries.iter().all(|(k, e)| match e.value.peek() {
                        Some(Value::Input(input)) => input == *k,
                        _ => k.as_ref() == "self",
                    })
            }
            ("self" | "outputs", Value::Attrs(attrs)) => match ev.force(&flake_self) {
                Value::Attrs(own) => std::rc::Rc::ptr_eq(attrs, &own),
                _ => false,
            },
            _ => false,
        };
        if !generic {
            names.push(name.to_string());
        }
    }
    names
}

/// Without a flake: `configuration.nix` files are host roots, named after
/// their folder (`hosts/neptune/configuration.nix` → `neptune`).
fn layout_hosts(db: &dyn Db) -> HostSet {
    let mut set = HostSet::default();
    let root = db.workspace().root(db).clone();
    for (path, file) in db.workspace().files(db).iter() {
        if paths::file_name(path) != "configuration.nix" {
            continue;
        }
        let folder = paths::parent(path);
        let name = if folder == root {
            "default".to_string()
        } else {
            paths::file_name(folder).to_string()
        };
        let range = FileRange {
            file: *file,
            range: flakelens_syntax::TextRange::empty(0.into()),
        };
        set.hosts.push(Host {
            name,
            kind: HostKind::Nixos,
            name_range: Some(range),
            call: None,
            roots: vec![ModuleRef::File {
                file: *file,
                site: None,
            }],
            roots_incomplete: false,
        });
    }
    set
}

/// A host, by name and kind, as a salsa key.
#[salsa::interned(debug)]
pub struct HostKey<'db> {
    pub kind: HostKind,
    #[returns(ref)]
    pub name: String,
}

pub fn host<'db>(db: &'db dyn Db, key: HostKey<'db>) -> Option<&'db Host> {
    // A lookup per host over the whole list was quadratic in hosts.
    let position = *host_positions(db).get(&(*key.kind(db), key.name(db).clone()))?;
    hosts(db).hosts.get(position)
}

/// Where each host is in [`hosts`] (the first of a kind and name).
#[salsa::tracked(returns(ref))]
fn host_positions(db: &dyn Db) -> std::collections::HashMap<(HostKind, String), usize> {
    let mut positions = std::collections::HashMap::new();
    for (index, host) in hosts(db).hosts.iter().enumerate() {
        positions
            .entry((host.kind, host.name.clone()))
            .or_insert(index);
    }
    positions
}

/// Every module a host evaluates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Closure {
    /// File modules, in discovery order.
    pub files: Vec<SourceFile>,
    /// Inline modules (in the flake or in `imports` lists).
    pub inline: Vec<Arc<ModuleSummary>>,
    /// Modules from outside the workspace.
    pub external: Vec<String>,
    /// Imports (or modules) that could not be worked out.
    pub unknown: bool,
    /// Paths imported that do not exist, with where they are written.
    pub missing: Vec<(String, Option<FileRange>)>,
}

impl Closure {
    pub fn contains(&self, file: SourceFile) -> bool {
        self.files.contains(&file)
    }
}

#[salsa::tracked(returns(ref))]
pub fn host_closure<'db>(db: &'db dyn Db, key: HostKey<'db>) -> Arc<Closure> {
    let Some(host) = host(db, key) else {
        return Arc::new(Closure::default());
    };
    let mut closure = closure_of(db, &host.roots, Some(key));
    closure.unknown |= host.roots_incomplete;
    Arc::new(closure)
}

/// The modules reachable from `roots`; file modules are evaluated with the
/// given host's `specialArgs` (generic arguments for `None`).
pub fn closure_of<'db>(
    db: &'db dyn Db,
    roots: &[ModuleRef],
    host: Option<HostKey<'db>>,
) -> Closure {
    let mut closure = Closure::default();
    let mut seen = std::collections::HashSet::new();
    let mut queue: Vec<ModuleRef> = roots.iter().rev().cloned().collect();
    while let Some(module) = queue.pop() {
        match module {
            ModuleRef::File { file, .. } => {
                if !seen.insert(file) {
                    continue;
                }
                closure.files.push(file);
                let (imports, incomplete) = &**module_imports(db, file, host);
                closure.unknown |= *incomplete;
                queue.extend(imports.iter().rev().cloned());
            }
            ModuleRef::Inline { summary, .. } => {
                closure.unknown |= summary.imports_incomplete || summary.unknown;
                queue.extend(summary.imports.iter().rev().cloned());
                closure.inline.push(summary);
            }
            ModuleRef::External { description, .. } => closure.external.push(description),
            ModuleRef::Missing { path, site } => closure.missing.push((path, site)),
            ModuleRef::Unknown { .. } => closure.unknown = true,
        }
    }
    closure
}

/// The files of a host's closure as a set, for membership tests.
#[salsa::tracked(returns(ref))]
pub fn closure_file_set<'db>(
    db: &'db dyn Db,
    key: HostKey<'db>,
) -> std::collections::HashSet<SourceFile> {
    host_closure(db, key).files.iter().copied().collect()
}

/// The hosts whose closure holds `file`, in host order.
pub fn hosts_of_file<'db>(db: &'db dyn Db, file: SourceFile) -> &'db [HostKey<'db>] {
    file_hosts(db).get(&file).map_or(&[], Vec::as_slice)
}

/// [`hosts_of_file`] of every file: one pass over every closure instead
/// of one per question.
#[salsa::tracked(returns(ref))]
fn file_hosts<'db>(db: &'db dyn Db) -> std::collections::HashMap<SourceFile, Vec<HostKey<'db>>> {
    let mut map: std::collections::HashMap<SourceFile, Vec<HostKey<'db>>> = Default::default();
    for key in host_keys(db) {
        for file in &host_closure(db, key).files {
            let hosts = map.entry(*file).or_default();
            if hosts.last() != Some(&key) {
                hosts.push(key);
            }
        }
    }
    map
}

/// Keys of every host.
pub fn host_keys(db: &dyn Db) -> Vec<HostKey<'_>> {
    hosts(db)
        .hosts
        .iter()
        .map(|host| HostKey::new(db, host.kind, host.name.clone()))
        .collect()
}
