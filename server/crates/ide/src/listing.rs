//! Plain listings of hosts and options (for `flakelens hosts|options`).

use flakelens_analysis::hosts::{host_closure, hosts as all_hosts, HostKey, HostKind};
use flakelens_analysis::module::{DeclKind, ModuleRef};
use flakelens_analysis::options::{host_options, repo_options};
use flakelens_analysis::{display_path, FileRange};
use flakelens_db::{Db, RootDatabase};
use flakelens_syntax::TextRange;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInfo {
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    pub name: String,
    pub kind: &'static str,
    pub defined_at: Option<(String, TextRange)>,
    /// Root modules that are files.
    pub roots: Vec<String>,
    /// Every file module in the closure.
    pub closure: Vec<String>,
    pub inline_modules: usize,
    pub external_modules: Vec<String>,
    pub missing: Vec<String>,
    /// Some imports could not be resolved statically.
    pub has_unknown_modules: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionInfo {
    pub path: String,
    pub kind: &'static str,
    pub type_name: String,
    pub default: Option<String>,
    pub description: Option<String>,
    pub example: Option<String>,
    pub alias_of: Option<String>,
    pub declared_at: Option<(String, TextRange)>,
}

fn position(db: &dyn Db, range: Option<FileRange>) -> Option<(String, TextRange)> {
    let range = range?;
    Some((range.file.path(db).clone(), range.range))
}

fn kind_name(kind: HostKind) -> &'static str {
    match kind {
        HostKind::Nixos => "nixos",
        HostKind::Darwin => "darwin",
        HostKind::Home => "home-manager",
    }
}

/// Something host discovery could not work out (`hosts --explain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainInfo {
    pub subject: String,
    pub reason: String,
    pub at: Option<(String, TextRange)>,
}

pub fn explain_hosts(db: &RootDatabase) -> Vec<ExplainInfo> {
    flakelens_analysis::hosts::explain::explain(db)
        .into_iter()
        .map(|e| ExplainInfo {
            subject: e.subject,
            reason: e.reason,
            at: position(db, e.at),
        })
        .collect()
}

pub fn hosts(db: &RootDatabase) -> Vec<HostInfo> {
    let set = all_hosts(db);
    set.hosts
        .iter()
        .map(|host| {
            let key = HostKey::new(db, host.kind, host.name.clone());
            let closure = host_closure(db, key);
            HostInfo {
                name: host.name.clone(),
                kind: kind_name(host.kind),
                defined_at: position(db, host.name_range),
                roots: host
                    .roots
                    .iter()
                    .filter_map(|root| match root {
                        ModuleRef::File { file, .. } => Some(file.path(db).clone()),
                        _ => None,
                    })
                    .collect(),
                closure: closure.files.iter().map(|f| f.path(db).clone()).collect(),
                inline_modules: closure.inline.len(),
                external_modules: closure.external.clone(),
                missing: closure.missing.iter().map(|(p, _)| p.clone()).collect(),
                has_unknown_modules: closure.unknown,
            }
        })
        .collect()
}

pub fn options(db: &RootDatabase, host: Option<&str>) -> Option<Vec<OptionInfo>> {
    let index = match host {
        Some(name) => {
            let host = all_hosts(db).hosts.iter().find(|h| h.name == name)?.clone();
            host_options(db, HostKey::new(db, host.kind, host.name.clone()))
        }
        None => repo_options(db),
    };
    let mut out: Vec<OptionInfo> = index
        .all()
        .into_iter()
        .map(|(path, decl)| OptionInfo {
            path: display_path(&path),
            kind: match decl.kind {
                DeclKind::Option => "option",
                DeclKind::EnableOption => "enable-option",
                DeclKind::PackageOption => "package-option",
                DeclKind::Alias => "alias",
                DeclKind::Removed => "removed",
            },
            type_name: decl.ty.nix_name(),
            default: decl.default.clone(),
            description: decl.description.clone(),
            example: decl.example.clone(),
            alias_of: decl.alias_of.as_ref().map(|p| display_path(p)),
            declared_at: position(db, decl.decl.or(decl.key)),
        })
        .collect();
    out.dedup();
    Some(out)
}
