//! Diagnostics: the plain data every check reports and the workspace-wide
//! collection. One file per family of checks: `host` (options, types,
//! imports), `unused`, `packages`.
//!
//! Severity discipline: when the analysis is not sure, it says nothing.

use std::sync::Arc;

use flakelens_db::Db;

mod duplicate_declaration;
mod explain;
mod host;
mod inactive;
mod missing_import;
mod names;
mod packages;
mod type_mismatch;
mod unknown_option;
mod unused;
mod upstream_options;

pub use explain::{explain_files, FileExplanation, Silence};
pub use host::*;
pub use inactive::condition_in_host;
pub use names::name_diagnostics;
pub use packages::*;
pub use unknown_option::closest;
pub use unused::*;

use crate::hosts::{host_keys, hosts};
use crate::module::ModuleRef;
use crate::FileRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// Stable diagnostic codes (documented in docs/diagnostics.md).
pub mod codes {
    pub const SYNTAX_ERROR: &str = "syntax-error";
    pub const UNREADABLE_FILE: &str = "unreadable-file";
    pub const NOT_LOADED: &str = "not-loaded";
    pub const TYPE_MISMATCH: &str = "type-mismatch";
    pub const UNKNOWN_OPTION: &str = "unknown-option";
    pub const OPTION_NOT_IMPORTED: &str = "option-not-imported";
    pub const MISSING_IMPORT: &str = "missing-import";
    pub const DUPLICATE_DECLARATION: &str = "duplicate-declaration";
    pub const MISSING_HOST_FILE: &str = "missing-host-file";
    pub const MISSING_PACKAGE_FILE: &str = "missing-package-file";
    pub const DUPLICATE_PACKAGE: &str = "duplicate-package";
    pub const INACTIVE_DEFINITION: &str = "inactive-definition";
    pub const DUPLICATE_ATTRIBUTE: &str = "duplicate-attribute";
    pub const UNDEFINED_VARIABLE: &str = "undefined-variable";
    pub const RENAMED_OPTION: &str = "renamed-option";
    pub const REMOVED_OPTION: &str = "removed-option";
    pub const READ_ONLY_OPTION: &str = "read-only-option";
}

/// A replacement that fixes a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fix {
    pub label: String,
    pub range: FileRange,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub range: FileRange,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub related: Vec<(FileRange, String)>,
    pub fixes: Vec<Fix>,
}

/// Diagnostics that do not belong to one host: host files that do not
/// exist, and modules in no host checked against all repo options.
#[salsa::tracked(returns(ref))]
pub fn workspace_diagnostics(db: &dyn Db) -> Arc<Vec<Diagnostic>> {
    let mut out = Vec::new();
    let set = hosts(db);
    for host in &set.hosts {
        // The host's entry file: the first workspace path of its modules.
        let entry = host
            .roots
            .iter()
            .position(|root| matches!(root, ModuleRef::File { .. } | ModuleRef::Missing { .. }));
        let name = host.name.to_lowercase();
        for (index, root) in host.roots.iter().enumerate() {
            if let ModuleRef::Missing {
                path,
                site: Some(site),
            } = root
            {
                // The host's own file (its entry file, or a path naming
                // the host in any case: `iMac` in hosts/imac/) is a warning
                // about the host list; any other entry of the modules list
                // is a broken import.
                let own = Some(index) == entry || path.to_lowercase().contains(&name);
                if !own {
                    out.push(Diagnostic {
                        range: *site,
                        severity: Severity::Error,
                        code: codes::MISSING_IMPORT,
                        message: format!(
                            "module {} of host {} does not exist",
                            display_file(db, path),
                            host.name
                        ),
                        related: Vec::new(),
                        fixes: Vec::new(),
                    });
                    continue;
                }
                out.push(Diagnostic {
                    range: *site,
                    severity: Severity::Warning,
                    code: codes::MISSING_HOST_FILE,
                    message: format!(
                        "host {} uses {}, which does not exist",
                        host.name,
                        display_file(db, path)
                    ),
                    related: Vec::new(),
                    fixes: Vec::new(),
                });
            }
        }
    }
    for key in host_keys(db) {
        out.extend(host_diagnostics(db, key).iter().cloned());
    }
    out.extend(package_diagnostics(db).iter().cloned());
    out.extend(unused_module_diagnostics(db).iter().cloned());
    inactive::drop_active_elsewhere(&mut out);
    // Deduplicate: a module shared by several hosts reports once.
    let mut seen = std::collections::HashSet::new();
    out.retain(|diagnostic| {
        seen.insert((
            diagnostic.range,
            diagnostic.code,
            diagnostic.message.clone(),
        ))
    });
    Arc::new(out)
}
