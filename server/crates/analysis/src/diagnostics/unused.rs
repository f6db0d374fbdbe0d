//! Files that no host, flake output or package uses (`unused-module`), and
//! the set of used files other diagnostics consult.

use std::sync::Arc;

use flakelens_db::{Db, SourceFile};

use super::host::{check_definitions, HostContext};
use super::{codes, Diagnostic};
use crate::hosts::{host_closure, host_keys, hosts, Closure};
use crate::module::ModuleRef;
use crate::options::repo_options;

/// Modules no host uses are still checked against every option the repo
/// declares, for type mismatches only: which options they may set is not
/// known without a host.
#[salsa::tracked(returns(ref))]
pub fn unused_module_diagnostics(db: &dyn Db) -> Arc<Vec<Diagnostic>> {
    let used: std::collections::HashSet<SourceFile> = used_files(db).iter().copied().collect();
    let repo = repo_options(db);
    let empty = Closure::default();
    let mut out = Vec::new();
    for file in crate::options::module_files(db) {
        // Files used by a host are checked there; files the flake reads
        // as something else (packages, helpers) are not modules.
        if used.contains(&file) {
            continue;
        }
        // Only files written as module functions (`{ config, lib, ... }:`);
        // a bare attrset is as likely to be data as a module.
        if !crate::hosts::looks_like_module_function(db, file) {
            continue;
        }
        let summary = crate::hosts::module_summary(db, file);
        if summary.definitions.is_empty() {
            continue;
        }
        let mut cx = HostContext {
            db,
            index: repo,
            repo,
            closure: &empty,
            host_name: String::new(),
            host_root: None,
            top_level_owned: false,
            summaries: None,
            when: Vec::new(),
            upstream: None,
            tree: crate::UpstreamKind::Nixos,
            explain: None,
            out: Vec::new(),
        };
        check_definitions(&mut cx, &summary.definitions);
        out.extend(cx.out.into_iter().filter(|diagnostic| {
            matches!(
                diagnostic.code,
                codes::TYPE_MISMATCH | codes::INACTIVE_DEFINITION
            )
        }));
    }
    Arc::new(out)
}

/// Whether `file` may be called unused: the flake uses it nowhere and every
/// host's closure is complete (with an unresolved module, any file may be
/// the one it stands for).
pub fn claims_unused(db: &dyn Db, file: SourceFile) -> bool {
    !used_files(db).contains(&file) && !any_closure_unknown(db)
}

/// Whether some host's closure could not be fully worked out.
#[salsa::tracked]
fn any_closure_unknown(db: &dyn Db) -> bool {
    host_keys(db)
        .into_iter()
        .any(|key| host_closure(db, key).unknown)
}

/// Files the repo's outputs use: read while evaluating the flake, its
/// hosts and package sets, or in a host's module closure (nested ones
/// included). Without a flake, every file counts as used.
#[salsa::tracked(returns(ref))]
pub fn used_files(db: &dyn Db) -> Arc<Vec<SourceFile>> {
    // A set first: a fleet's hosts share most files, and cloning each
    // path per host was most of this query's time.
    let mut used: std::collections::HashSet<SourceFile> = Default::default();
    let mut add = |file: SourceFile| {
        used.insert(file);
    };
    let sorted = |used: std::collections::HashSet<SourceFile>| {
        let mut files: Vec<SourceFile> = used.into_iter().collect();
        files.sort_by(|a, b| a.path(db).cmp(b.path(db)));
        Arc::new(files)
    };
    if crate::known::flake::flake_file(db).is_none() {
        for file in db.workspace().files(db).values() {
            add(*file);
        }
        return sorted(used);
    }
    let set = hosts(db);
    set.touched.iter().copied().for_each(&mut add);
    for key in host_keys(db) {
        let closure = host_closure(db, key);
        closure.files.iter().copied().for_each(&mut add);
        for file in &closure.files {
            for nested in &crate::hosts::module_summary_in(db, *file, Some(key)).nested {
                if let ModuleRef::File { file, .. } = nested.module {
                    let roots = std::slice::from_ref(&nested.module);
                    for inner in crate::hosts::closure_of(db, roots, None).files {
                        add(inner);
                    }
                    add(file);
                }
            }
        }
    }
    let packages = crate::packages::packages(db);
    packages.touched.iter().copied().for_each(&mut add);
    for package in &packages.packages {
        if let Some(recipe) = package.recipe_file {
            add(recipe);
        }
    }
    sorted(used)
}
