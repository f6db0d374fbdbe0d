//! Database layer: salsa inputs (files and the workspace) and the base
//! queries every other layer builds on (parse, line index, path lookup).
//!
//! Paths are "VFS paths": absolute, `/`-separated strings, normalised (no
//! `.`/`..`, no trailing slash). The loader at the edge turns real paths into
//! these; fixture tests use a virtual root `/`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use flakelens_syntax::{LineIndex, Parse};

pub mod paths;
mod settings;

pub use settings::{DiagnosticLevel, SettingsProblem, UpstreamPaths};

/// One source file: its VFS path and its text (newlines already normalised).
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub text: Arc<str>,
}

/// A problem found while loading a file, reported as a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoadProblem {
    pub path: String,
    pub message: String,
    pub kind: ProblemKind,
}

/// Why something at a path was not loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProblemKind {
    /// A file that should have been read could not be (an error).
    #[default]
    Unreadable,
    /// The walk did not go there on purpose: a symlink leaving the
    /// workspace, a walk limit (a warning; what lies there is unknown).
    Skipped,
}

/// Whether `path` is, or lies below, a path that was not loaded: what is
/// there is unknown, so nothing may be said about its absence.
pub fn not_loaded(db: &dyn Db, path: &str) -> bool {
    db.workspace().problems(db).iter().any(|problem| {
        path == problem.path
            || problem.path == "/"
            || path
                .strip_prefix(problem.path.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// User settings read from `flakelens.toml` (plain data; the edge parses it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Settings {
    /// Directories (VFS paths) whose `.nix` files are packages named after
    /// the file or folder, as a directory-walking overlay would expose them.
    pub package_directories: Vec<String>,
    /// Globs (relative to the root, `/`-separated) of files whose
    /// diagnostics are never reported.
    pub exclude: Vec<String>,
    /// Per-code level overrides from `[diagnostics]`.
    pub diagnostic_levels: Vec<(String, DiagnosticLevel)>,
    /// `[upstream]` source trees.
    pub upstream: UpstreamPaths,
    /// `[hosts] roots`: extra directories (VFS paths) holding hosts.
    pub host_roots: Vec<String>,
    /// What was wrong in `flakelens.toml` (the rest still applies).
    pub problems: Vec<SettingsProblem>,
}

/// The whole workspace: its root, every file, and what could not be loaded.
#[salsa::input(debug)]
pub struct Workspace {
    #[returns(ref)]
    pub root: String,
    #[returns(ref)]
    pub files: Arc<BTreeMap<String, SourceFile>>,
    #[returns(ref)]
    pub problems: Arc<Vec<LoadProblem>>,
    #[returns(ref)]
    pub settings: Arc<Settings>,
}

#[salsa::db]
pub trait Db: salsa::Database {
    /// The one workspace of this database.
    fn workspace(&self) -> Workspace;

    /// The last tree of every file, for reparsing its next text locally.
    fn last_parses(&self) -> Option<&LastParses> {
        None
    }
}

/// The last parse of each file and the text it is of. When a file's text
/// changes in one place (an edit), `parse` reparses only the bindings
/// around it (`flakelens_syntax::reparse_edit`, which gives exactly the
/// full parse's tree and errors or nothing), and the new tree shares every
/// other node with the old one: an edit of a 2.5 MB module neither parses
/// it again nor holds two copies of its tree.
#[derive(Default)]
pub struct LastParses(Mutex<HashMap<SourceFile, (Arc<str>, Parse)>>);

impl LastParses {
    fn get(&self, file: SourceFile) -> Option<(Arc<str>, Parse)> {
        self.0.lock().ok()?.get(&file).cloned()
    }

    fn set(&self, file: SourceFile, text: Arc<str>, parse: Parse) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(file, (text, parse));
        }
    }
}

/// Parses a file. Parsing never fails; errors are part of the result.
#[salsa::tracked(returns(ref))]
pub fn parse(db: &dyn Db, file: SourceFile) -> Parse {
    let text = file.text(db);
    let Some(last) = db.last_parses() else {
        return flakelens_syntax::parse(text);
    };
    // The result is a function of the text alone: the last tree is only a
    // shortcut to the same value.
    let parse = last
        .get(file)
        .and_then(|(old_text, old)| {
            if Arc::ptr_eq(&old_text, text) || *old_text == **text {
                Some(old)
            } else {
                flakelens_syntax::reparse_edit(&old, &old_text, text)
            }
        })
        .unwrap_or_else(|| flakelens_syntax::parse(text));
    last.set(file, text.clone(), parse.clone());
    parse
}

#[salsa::tracked(returns(ref))]
pub fn line_index(db: &dyn Db, file: SourceFile) -> Arc<LineIndex> {
    Arc::new(LineIndex::new(file.text(db).clone()))
}

/// The file at a VFS path, if the workspace has it.
pub fn file_at(db: &dyn Db, path: &str) -> Option<SourceFile> {
    db.workspace().files(db).get(path).copied()
}

/// Whether `path` is a directory of the workspace: some file lies below it.
pub fn is_directory(db: &dyn Db, path: &str) -> bool {
    let files = db.workspace().files(db);
    let prefix = if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    };
    files
        .range(prefix.clone()..)
        .next()
        .is_some_and(|(file, _)| file.starts_with(&prefix))
}

/// The direct entries of a directory: (name, is_directory), sorted by name.
pub fn read_dir(db: &dyn Db, path: &str) -> Vec<(String, bool)> {
    let files = db.workspace().files(db);
    let prefix = if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    };
    let mut entries: BTreeMap<String, bool> = BTreeMap::new();
    for (file, _) in files.range(prefix.clone()..) {
        let Some(rest) = file.strip_prefix(&prefix) else {
            break;
        };
        match rest.split_once('/') {
            Some((dir, _)) => {
                entries.insert(dir.to_string(), true);
            }
            None => {
                entries.entry(rest.to_string()).or_insert(false);
            }
        }
    }
    entries.into_iter().collect()
}

/// The concrete database. Cloning it gives a snapshot that shares storage;
/// a write on the original cancels running queries on every clone.
#[salsa::db]
#[derive(Clone)]
pub struct RootDatabase {
    storage: salsa::Storage<Self>,
    workspace: Option<Workspace>,
    query_log: Arc<Mutex<Option<Vec<String>>>>,
    last_parses: Arc<LastParses>,
}

impl Default for RootDatabase {
    fn default() -> Self {
        let query_log: Arc<Mutex<Option<Vec<String>>>> = Arc::default();
        let storage = salsa::Storage::new(Some(Box::new({
            let query_log = query_log.clone();
            move |event: salsa::Event| {
                if let salsa::EventKind::WillExecute { database_key } = event.kind {
                    if let Ok(mut log) = query_log.lock() {
                        if let Some(log) = log.as_mut() {
                            log.push(format!("{database_key:?}"));
                        }
                    }
                }
            }
        })));
        let mut db = RootDatabase {
            storage,
            workspace: None,
            query_log,
            last_parses: Arc::default(),
        };
        let workspace = Workspace::new(
            &db,
            "/".to_string(),
            Arc::default(),
            Arc::default(),
            Arc::default(),
        );
        db.workspace = Some(workspace);
        db
    }
}

impl RootDatabase {
    /// Starts recording which queries execute (for incrementality tests).
    pub fn start_query_log(&self) {
        if let Ok(mut log) = self.query_log.lock() {
            *log = Some(Vec::new());
        }
    }

    /// The queries executed since `start_query_log`, as `name(Id(..))` strings.
    pub fn take_query_log(&self) -> Vec<String> {
        match self.query_log.lock() {
            Ok(mut log) => log.as_mut().map(std::mem::take).unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }
}

#[salsa::db]
impl salsa::Database for RootDatabase {}

#[salsa::db]
impl Db for RootDatabase {
    fn workspace(&self) -> Workspace {
        self.workspace.expect("RootDatabase always has a workspace")
    }

    fn last_parses(&self) -> Option<&LastParses> {
        Some(&self.last_parses)
    }
}
