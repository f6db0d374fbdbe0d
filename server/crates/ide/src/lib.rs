//! IDE layer: a plain-data API over the analysis. Offsets in, ranges and
//! labels out. Knows nothing about LSP or JSON.
//!
//! [`AnalysisHost`] owns the database and takes writes; [`Analysis`] is a
//! snapshot for reads. Every read returns [`Cancellable`]: a write on the
//! host cancels reads running on older snapshots.

pub mod annotations;
mod listing;
pub mod packages;

pub mod fixture;
pub mod syntax_nav;

pub mod code_actions;
pub mod completion;
pub mod explain;
pub mod filters;
mod fixes;
mod goto;
pub mod highlight;
pub mod hover;
mod lang;
pub mod nix_docs;
pub mod references;
pub mod rename;
pub mod scope;
pub mod semantic;
pub mod structure;
mod symbol_rank;
pub mod symbols;
pub mod unused;
mod upstream;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use flakelens_analysis::diagnostics::{self as check, codes};
use flakelens_db::{paths, Db, LoadProblem, ProblemKind, RootDatabase, Settings, SourceFile};
use flakelens_syntax::{normalize_newlines, LineIndex, TextRange};
use salsa::Setter;

pub use flakelens_analysis::diagnostics::Severity;
pub use listing::{ExplainInfo, HostInfo, ModuleInfo, OptionInfo};

pub type Cancellable<T> = Result<T, salsa::Cancelled>;

/// A range in a file named by VFS path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FilePosition {
    pub path: String,
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TextFix {
    pub label: String,
    pub path: String,
    pub range: TextRange,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub range: TextRange,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub related: Vec<(FilePosition, String)>,
    pub fixes: Vec<TextFix>,
}

/// The writable side: owns the database.
pub struct AnalysisHost {
    db: RootDatabase,
}

impl Default for AnalysisHost {
    fn default() -> AnalysisHost {
        let db = RootDatabase::default();
        // The upstream input exists from the start: a query that looked
        // for it before it existed recorded no dependency on it, so indexes
        // set later (the LSP loads them after the first diagnostics) were
        // never seen by memos computed before.
        crate::upstream::create_empty_upstream(&db);
        AnalysisHost { db }
    }
}

impl AnalysisHost {
    pub fn new() -> AnalysisHost {
        AnalysisHost::default()
    }

    /// Replaces the whole workspace.
    pub fn load(
        &mut self,
        root: String,
        files: Vec<(String, String)>,
        problems: Vec<LoadProblem>,
        settings: Settings,
    ) {
        let workspace = self.db.workspace();
        let mut map = std::collections::BTreeMap::new();
        for (path, text) in files {
            let text: Arc<str> = normalize_newlines(&text).into();
            let existing = workspace.files(&self.db).get(&path).copied();
            let file = match existing {
                Some(existing) => {
                    if **existing.text(&self.db) != *text {
                        existing.set_text(&mut self.db).to(text);
                    }
                    existing
                }
                None => SourceFile::new(&self.db, path.clone(), text),
            };
            map.insert(path, file);
        }
        workspace.set_root(&mut self.db).to(root);
        workspace.set_files(&mut self.db).to(Arc::new(map));
        workspace.set_problems(&mut self.db).to(Arc::new(problems));
        workspace.set_settings(&mut self.db).to(Arc::new(settings));
    }

    /// Sets one file's text, adding the file if it is new. Returns whether
    /// anything changed.
    pub fn set_file_text(&mut self, path: &str, text: &str) -> bool {
        let text: Arc<str> = normalize_newlines(text).into();
        let workspace = self.db.workspace();
        if let Some(file) = workspace.files(&self.db).get(path).copied() {
            if **file.text(&self.db) == *text {
                return false;
            }
            file.set_text(&mut self.db).to(text);
            // A file that could not be loaded before now has text.
            self.clear_problem(path);
            return true;
        }
        let file = SourceFile::new(&self.db, path.to_string(), text);
        let mut files = (**workspace.files(&self.db)).clone();
        files.insert(path.to_string(), file);
        workspace.set_files(&mut self.db).to(Arc::new(files));
        self.clear_problem(path);
        true
    }

    fn clear_problem(&mut self, path: &str) {
        let workspace = self.db.workspace();
        if workspace.problems(&self.db).iter().any(|p| p.path == path) {
            let problems: Vec<LoadProblem> = workspace
                .problems(&self.db)
                .iter()
                .filter(|p| p.path != path)
                .cloned()
                .collect();
            workspace.set_problems(&mut self.db).to(Arc::new(problems));
        }
    }

    /// Removes a file (deleted on disk).
    pub fn remove_file(&mut self, path: &str) -> bool {
        let workspace = self.db.workspace();
        if !workspace.files(&self.db).contains_key(path) {
            return false;
        }
        let mut files = (**workspace.files(&self.db)).clone();
        files.remove(path);
        workspace.set_files(&mut self.db).to(Arc::new(files));
        self.clear_problem(path);
        true
    }

    /// Records a file that could not be read.
    pub fn set_problem(&mut self, problem: LoadProblem) {
        self.remove_file(&problem.path);
        let workspace = self.db.workspace();
        let mut problems = (**workspace.problems(&self.db)).clone();
        problems.retain(|p| p.path != problem.path);
        problems.push(problem);
        workspace.set_problems(&mut self.db).to(Arc::new(problems));
    }

    pub fn root(&self) -> String {
        self.db.workspace().root(&self.db).clone()
    }

    /// A read-only snapshot.
    pub fn analysis(&self) -> Analysis {
        Analysis {
            db: self.db.clone(),
        }
    }

    /// The database, for tests that look at salsa's query log.
    pub fn raw_database(&self) -> &RootDatabase {
        &self.db
    }
}

/// A snapshot to read from. Do not keep it across an `.await` or a write:
/// a write waits until every snapshot is dropped.
pub struct Analysis {
    db: RootDatabase,
}

/// Cancels the reads running on one snapshot (their queries unwind and
/// answer `Err(Cancelled)`), for a request the client gave up on.
#[derive(Clone, Debug)]
pub struct CancelHandle(salsa::CancellationToken);

impl CancelHandle {
    pub fn cancel(&self) {
        self.0.cancel();
    }
}

impl Analysis {
    /// A handle that cancels what runs on this snapshot.
    pub fn cancel_handle(&self) -> CancelHandle {
        use salsa::Database;
        CancelHandle(self.db.cancellation_token())
    }

    fn with_db<T>(&self, f: impl FnOnce(&RootDatabase) -> T) -> Cancellable<T> {
        salsa::Cancelled::catch(AssertUnwindSafe(|| f(&self.db)))
    }

    fn file(&self, path: &str) -> Option<SourceFile> {
        flakelens_db::file_at(&self.db, path)
    }

    pub fn root(&self) -> String {
        self.db.workspace().root(&self.db).clone()
    }

    /// Every file's VFS path, sorted.
    pub fn files(&self) -> Vec<String> {
        self.db
            .workspace()
            .files(&self.db)
            .keys()
            .cloned()
            .collect()
    }

    /// Paths with a load problem (not in `files`).
    pub fn problem_paths(&self) -> Vec<String> {
        self.db
            .workspace()
            .problems(&self.db)
            .iter()
            .map(|p| p.path.clone())
            .collect()
    }

    pub fn file_text(&self, path: &str) -> Option<Arc<str>> {
        Some(self.file(path)?.text(&self.db).clone())
    }

    pub fn line_index(&self, path: &str) -> Cancellable<Option<Arc<LineIndex>>> {
        self.with_db(|db| {
            let file = flakelens_db::file_at(db, path)?;
            Some(flakelens_db::line_index(db, file).clone())
        })
    }

    /// Why definitions in `paths` got no diagnostic (`check --explain`).
    pub fn explain(&self, paths: &[String]) -> Cancellable<Vec<explain::Explanation>> {
        self.with_db(|db| explain::explain(db, paths))
    }

    /// Diagnostics for one file: syntax errors, load problems and what the
    /// module analysis finds there.
    pub fn diagnostics(&self, path: &str) -> Cancellable<Vec<Diagnostic>> {
        self.with_db(|db| file_diagnostics(db, path))
    }

    /// Diagnostics of every file that has some, sorted by path.
    pub fn workspace_diagnostics(&self) -> Cancellable<Vec<(String, Vec<Diagnostic>)>> {
        self.with_db(|db| {
            let mut paths: Vec<String> = db.workspace().files(db).keys().cloned().collect();
            paths.extend(db.workspace().problems(db).iter().map(|p| p.path.clone()));
            paths.sort();
            paths.dedup();
            paths
                .into_iter()
                .map(|path| {
                    let diagnostics = file_diagnostics(db, &path);
                    (path, diagnostics)
                })
                .filter(|(_, diagnostics)| !diagnostics.is_empty())
                .collect()
        })
    }

    pub fn hosts(&self) -> Cancellable<Vec<HostInfo>> {
        self.with_db(listing::hosts)
    }

    /// Why hosts were not found, or have partial closures.
    pub fn explain_hosts(&self) -> Cancellable<Vec<ExplainInfo>> {
        self.with_db(listing::explain_hosts)
    }

    /// Options the repo declares; with a host, those visible to that host.
    pub fn options(&self, host: Option<&str>) -> Cancellable<Option<Vec<OptionInfo>>> {
        self.with_db(|db| listing::options(db, host))
    }
}

/// A file's diagnostics after suppressions, `[diagnostics]` levels and
/// `exclude` (see `filters`).
fn file_diagnostics(db: &RootDatabase, path: &str) -> Vec<Diagnostic> {
    filters::apply(db, path, raw_file_diagnostics(db, path))
}

fn raw_file_diagnostics(db: &RootDatabase, path: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for problem in db.workspace().problems(db).iter() {
        if problem.path == path {
            let (severity, code) = match problem.kind {
                ProblemKind::Unreadable => (Severity::Error, codes::UNREADABLE_FILE),
                ProblemKind::Skipped => (Severity::Warning, codes::NOT_LOADED),
            };
            out.push(Diagnostic {
                range: TextRange::empty(0.into()),
                severity,
                code,
                message: problem.message.clone(),
                related: Vec::new(),
                fixes: Vec::new(),
            });
        }
    }
    let Some(file) = flakelens_db::file_at(db, path) else {
        return out;
    };
    if !path.ends_with(".nix") {
        // Data files (`.toml`, `.json`) are loaded for `readFile` only.
        return out;
    }
    let errors = &flakelens_db::parse(db, file).errors;
    let names = check::name_diagnostics(db, file);
    // A broken file nothing uses (a template that only looks like Nix, a
    // leftover) is worth a warning, not a failed check.
    let used = (errors.is_empty() && names.is_empty()) || !check::claims_unused(db, file);
    // rnix may report several errors at one position: Nix stops at the first.
    let mut positions = std::collections::HashSet::new();
    for error in errors
        .iter()
        .filter(|error| positions.insert(error.range.start()))
    {
        out.push(Diagnostic {
            range: error.range,
            severity: if used {
                Severity::Error
            } else {
                Severity::Warning
            },
            code: codes::SYNTAX_ERROR,
            message: if used {
                error.message.clone()
            } else {
                format!(
                    "{} (no host or package of this flake uses this file)",
                    error.message
                )
            },
            related: Vec::new(),
            fixes: Vec::new(),
        });
    }
    for diagnostic in names.iter() {
        let mut diagnostic = convert(db, diagnostic);
        if !used {
            diagnostic.severity = Severity::Warning;
            diagnostic
                .message
                .push_str(" (no host or package of this flake uses this file)");
        }
        out.push(diagnostic);
    }
    for diagnostic in check::workspace_diagnostics(db).iter() {
        if diagnostic.range.file != file {
            continue;
        }
        out.push(convert(db, diagnostic));
    }
    out.sort_by_key(|d| (d.range.start(), d.range.end(), d.code));
    out
}

fn convert(db: &dyn Db, diagnostic: &check::Diagnostic) -> Diagnostic {
    Diagnostic {
        range: diagnostic.range.range,
        severity: diagnostic.severity,
        code: diagnostic.code,
        message: diagnostic.message.clone(),
        related: diagnostic
            .related
            .iter()
            .map(|(range, message)| {
                (
                    FilePosition {
                        path: range.file.path(db).clone(),
                        range: range.range,
                    },
                    message.clone(),
                )
            })
            .collect(),
        fixes: diagnostic
            .fixes
            .iter()
            .map(|fix| TextFix {
                label: fix.label.clone(),
                path: fix.range.file.path(db).clone(),
                range: fix.range.range,
                replacement: fix.replacement.clone(),
            })
            .collect(),
    }
}

/// A path relative to the workspace root, for display.
pub fn display_path(root: &str, path: &str) -> String {
    paths::relative_to(path, root).to_string()
}

// ---- Editor features (goto, completion, hover, references, symbols, code
// actions). Plain data in and out; see the feature modules.
impl Analysis {
    /// Where the thing at `offset` is defined.
    pub fn goto_definition(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
    ) -> Cancellable<Vec<scope::NavTarget>> {
        self.with_db(|db| goto::goto_definition(db, path, offset))
    }

    /// Where to go from `offset`: options and variables, else packages.
    pub fn definitions_at(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
    ) -> Cancellable<Vec<(String, TextRange)>> {
        self.with_db(|db| goto::definitions_at(db, path, offset))
    }

    /// Completions at `offset`: options and values, else packages.
    pub fn completions_at(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
    ) -> Cancellable<Vec<completion::CompletionItem>> {
        self.with_db(|db| completion::completions_at(db, path, offset))
    }

    /// Hover at `offset`: options and variables, else packages.
    pub fn hover_at(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
    ) -> Cancellable<Option<hover::HoverResult>> {
        self.with_db(|db| hover::hover_at(db, path, offset))
    }

    /// Completions at `offset` (options and values only).
    pub fn completions(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
    ) -> Cancellable<Vec<completion::CompletionItem>> {
        self.with_db(|db| completion::completions(db, path, offset))
    }

    /// Hover documentation at `offset`.
    pub fn hover(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
    ) -> Cancellable<Option<hover::HoverResult>> {
        self.with_db(|db| hover::hover(db, path, offset))
    }

    /// Every reference to the option or variable at `offset`.
    pub fn references(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
        include_declaration: bool,
    ) -> Cancellable<Vec<references::Reference>> {
        self.with_db(|db| references::references(db, path, offset, include_declaration))
    }

    /// The range and name to rename at `offset`, or why it cannot be.
    pub fn prepare_rename(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
    ) -> Cancellable<Result<(TextRange, String), String>> {
        self.with_db(|db| rename::prepare_rename(db, path, offset))
    }

    /// The edits renaming the option at `offset`, or why it cannot be.
    pub fn rename(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
        new_name: &str,
    ) -> Cancellable<Result<Vec<rename::RenameEdit>, String>> {
        self.with_db(|db| rename::rename(db, path, offset, new_name))
    }

    /// The outline of one file.
    pub fn document_symbols(&self, path: &str) -> Cancellable<Vec<symbols::DocumentSymbol>> {
        self.with_db(|db| symbols::document_symbols(db, path))
    }

    /// Options, hosts, modules and packages matching `query`, best first.
    pub fn workspace_symbols(&self, query: &str) -> Cancellable<Vec<symbols::WorkspaceSymbol>> {
        self.with_db(|db| symbol_rank::workspace_symbols(db, query))
    }

    /// Quick fixes for diagnostics overlapping `range`.
    pub fn code_actions(
        &self,
        path: &str,
        range: TextRange,
    ) -> Cancellable<Vec<code_actions::CodeAction>> {
        self.with_db(|db| code_actions::code_actions(db, path, range))
    }
}

// ---- The repo's package set (see `packages`).
impl Analysis {
    /// Every package the repo adds to `pkgs` or exposes as a flake output.
    pub fn packages(&self) -> Cancellable<Vec<packages::PackageInfo>> {
        self.with_db(|db| packages::package_list(db))
    }

    /// The recipe (on its derivation call) of the package referenced at
    /// `offset` (`pkgs.poglets`, `with pkgs; [ poglets ]`, …).
    pub fn package_definition(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
    ) -> Cancellable<Option<(String, TextRange)>> {
        self.with_db(|db| packages::package_definition(db, path, offset))
    }

    /// Hover markdown (and the name's range) for a package reference.
    pub fn package_hover(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
    ) -> Cancellable<Option<(TextRange, String)>> {
        self.with_db(|db| packages::package_hover(db, path, offset))
    }

    /// The repo's packages after `pkgs.` (and `self.packages.${system}.`).
    pub fn package_completions(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
    ) -> Cancellable<Vec<packages::PackageCompletion>> {
        self.with_db(|db| packages::package_completions(db, path, offset))
    }
}

// ---- Per-file structure and highlights (see `highlight`, `structure`).
impl Analysis {
    /// The other occurrences in this file of what is at `offset`.
    pub fn highlights(
        &self,
        path: &str,
        offset: flakelens_syntax::TextSize,
    ) -> Cancellable<Vec<highlight::Highlight>> {
        self.with_db(|db| highlight::highlights(db, path, offset))
    }

    /// What the analysis knows about the file's names (options, packages).
    pub fn semantic_tokens(&self, path: &str) -> Cancellable<Vec<semantic::SemanticToken>> {
        self.with_db(|db| semantic::semantic_tokens(db, path))
    }

    /// A lens on each option the file declares: the hosts that set it.
    pub fn code_lenses(&self, path: &str) -> Cancellable<Vec<annotations::OptionLens>> {
        self.with_db(|db| annotations::code_lenses(db, path))
    }

    /// Hints for the definition blocks overlapping `range`.
    pub fn inlay_hints(
        &self,
        path: &str,
        range: TextRange,
    ) -> Cancellable<Vec<annotations::InlayHint>> {
        self.with_db(|db| annotations::inlay_hints(db, path, range))
    }

    /// `let` bindings and pattern formals nothing reads (editor hints).
    pub fn unused_names(&self, path: &str) -> Cancellable<Vec<unused::Unused>> {
        self.with_db(|db| unused::unused_names(db, path))
    }

    /// Where the file folds.
    pub fn folding_ranges(&self, path: &str) -> Cancellable<Vec<structure::Fold>> {
        self.with_db(|db| structure::folding_ranges(db, path))
    }

    /// For each offset, the ranges a selection grows through.
    pub fn selection_ranges(
        &self,
        path: &str,
        offsets: &[flakelens_syntax::TextSize],
    ) -> Cancellable<Vec<Vec<TextRange>>> {
        self.with_db(|db| structure::selection_ranges(db, path, offsets))
    }
}
