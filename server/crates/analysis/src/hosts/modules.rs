//! Module summaries of workspace files as salsa queries, generic or in a
//! host's context (its `specialArgs`), split into declarations and imports
//! so that edits to definitions do not invalidate option indexes.

use std::sync::Arc;

use flakelens_db::{Db, SourceFile};

use crate::module::{summarize, Declaration, ModuleRef, ModuleSummary};
use crate::OptionPath;

/// The summary of a file evaluated as a module with generic arguments.
pub fn module_summary(db: &dyn Db, file: SourceFile) -> &Arc<ModuleSummary> {
    module_summary_in(db, file, None)
}

/// The summary of a file evaluated as a module of a host: the host's
/// `specialArgs` are passed to it (`None`: generic arguments only).
pub fn module_summary_in<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    host: Option<super::HostKey<'db>>,
) -> &'db Arc<ModuleSummary> {
    module_summary_at(db, file, summary_context(db, file, host))
}

/// The context a file is summarised in for `host`: the host itself only
/// when the module asks for one of the host's own `specialArgs` by name;
/// most modules never see what makes a host's arguments special, and share
/// the generic summary (`None`). Every per-file query of a host goes
/// through this, so a fleet of hosts importing the same modules keeps one
/// summary, one declaration list and one import list per file.
pub fn summary_context<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    host: Option<super::HostKey<'db>>,
) -> Option<super::HostKey<'db>> {
    let key = host?;
    let special = super::host_specific_args(db, key);
    if special.is_empty() {
        return None;
    }
    let shared = match module_formals(db, file) {
        Formals::None => true,
        Formals::Named(names) => !names.iter().any(|name| special.contains(name)),
        Formals::All => false,
    };
    (!shared).then_some(key)
}

/// The summary of a file in a context chosen by [`summary_context`].
#[salsa::tracked(returns(ref))]
fn module_summary_at<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    host: Option<super::HostKey<'db>>,
) -> Arc<ModuleSummary> {
    let ev = crate::known::evaluator(db);
    if let Some(host) = host {
        *ev.special_args.borrow_mut() = super::special_args(&ev, *host.kind(db), host.name(db));
    }
    let thunk = ev.import_thunk(file);
    let mut summary = summarize(&ev, &thunk, &mut Vec::new());
    if !flakelens_db::parse(db, file).errors.is_empty() {
        // Parts of a broken file are missing: it may declare anything.
        summary.unknown = true;
    }
    if ev.exhausted() {
        summary.unknown = true;
    }
    Arc::new(summary)
}

/// Which arguments a file module's function takes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Formals {
    /// Not a function: no arguments at all.
    None,
    /// `{ a, b, ... }:` without `@`.
    Named(Vec<String>),
    /// `args:` or `{ … }@args:`: any argument may be used.
    All,
}

/// `{ config, lib, pkgs, ... }:`-style: a function whose pattern names one
/// of the module system's own arguments and accepts more (`...`).
pub fn looks_like_module_function(db: &dyn Db, file: SourceFile) -> bool {
    use flakelens_syntax::ast;
    let Some(ast::Expr::Lambda(lambda)) = flakelens_db::parse(db, file).root_expr() else {
        return false;
    };
    let Some(ast::Param::Pattern(pattern)) = lambda.param() else {
        return false;
    };
    pattern.ellipsis_token().is_some()
        && pattern
            .pat_entries()
            .filter_map(|entry| entry.ident())
            .filter_map(|ident| crate::eval::ident_text(&ident))
            .any(|name| matches!(name.as_ref(), "config" | "lib" | "pkgs" | "options"))
}

#[salsa::tracked(returns(ref))]
fn module_formals(db: &dyn Db, file: SourceFile) -> Formals {
    use flakelens_syntax::ast;
    let Some(ast::Expr::Lambda(lambda)) = flakelens_db::parse(db, file).root_expr() else {
        return Formals::None;
    };
    match lambda.param() {
        Some(ast::Param::Pattern(pattern)) if pattern.pat_bind().is_none() => Formals::Named(
            pattern
                .pat_entries()
                .filter_map(|entry| entry.ident())
                .filter_map(|ident| crate::eval::ident_text(&ident))
                .map(|name| name.to_string())
                .collect(),
        ),
        _ => Formals::All,
    }
}

/// What a file module declares: its declarations, open namespaces and
/// whether it may declare anything.
pub type ModuleDeclarations = (Vec<Declaration>, Vec<OptionPath>, bool);

/// Declarations and open namespaces of a file module, split out so that
/// edits to definitions do not invalidate option indexes.
pub fn module_declarations<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    host: Option<super::HostKey<'db>>,
) -> &'db Arc<ModuleDeclarations> {
    module_declarations_at(db, file, summary_context(db, file, host))
}

#[salsa::tracked(returns(ref))]
pub(super) fn module_declarations_at<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    host: Option<super::HostKey<'db>>,
) -> Arc<ModuleDeclarations> {
    let summary = module_summary_at(db, file, host);
    Arc::new((
        summary.declarations.clone(),
        summary.open.clone(),
        summary.unknown,
    ))
}

/// Imports of a file module (for closures), split out for the same reason.
pub fn module_imports<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    host: Option<super::HostKey<'db>>,
) -> &'db Arc<(Vec<ModuleRef>, bool)> {
    module_imports_at(db, file, summary_context(db, file, host))
}

#[salsa::tracked(returns(ref))]
fn module_imports_at<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    host: Option<super::HostKey<'db>>,
) -> Arc<(Vec<ModuleRef>, bool)> {
    let summary = module_summary_at(db, file, host);
    Arc::new((
        summary.imports.clone(),
        summary.imports_incomplete || summary.unknown,
    ))
}
