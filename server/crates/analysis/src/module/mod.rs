//! Module summaries: what one NixOS-style module imports, declares and
//! defines, as plain data, and how a module value is summarised
//! (`summarize`: imports, option declarations, definitions; `defs`: the
//! definition trees). Pure functions of an evaluator: the salsa queries
//! that summarise files per host live in `crate::hosts::modules`.

mod defs;
mod summarize;
pub mod types;

pub use defs::*;
pub use summarize::*;

use std::sync::Arc;

use flakelens_db::SourceFile;

use crate::{FileRange, OptionPath};
use types::TypeData;

/// A literal value (or the shape of one) as written in a definition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DefKind {
    Null,
    Bool(bool),
    Int(i64),
    /// Stored as bits to stay `Eq`.
    Float(u64),
    Str(String),
    /// A string whose content is not known.
    AnyStr,
    Path(String),
    List(Vec<DefValue>),
    Attrs {
        entries: Vec<DefEntry>,
        /// Some keys are dynamic or computed.
        incomplete: bool,
    },
    Unknown,
}

impl DefKind {
    /// "the string \"8420\"", "the integer 70000".
    pub fn describe(&self) -> String {
        match self {
            DefKind::Null => "null".into(),
            DefKind::Bool(b) => format!("the boolean {b}"),
            DefKind::Int(i) => format!("the integer {i}"),
            DefKind::Float(bits) => format!("the float {}", f64::from_bits(*bits)),
            DefKind::Str(s) => format!("the string {}", quote(s)),
            DefKind::AnyStr => "a string".into(),
            DefKind::Path(p) => format!("the path {p}"),
            DefKind::List(_) => "a list".into(),
            DefKind::Attrs { .. } => "an attribute set".into(),
            DefKind::Unknown => "an unknown value".into(),
        }
    }

    /// Nix syntax for a literal (lists and attrsets abbreviated).
    pub fn to_nix(&self) -> String {
        match self {
            DefKind::Null => "null".into(),
            DefKind::Bool(b) => b.to_string(),
            DefKind::Int(i) => i.to_string(),
            DefKind::Float(bits) => f64::from_bits(*bits).to_string(),
            DefKind::Str(s) => quote(s),
            DefKind::AnyStr => "\"…\"".into(),
            DefKind::Path(p) => p.clone(),
            DefKind::List(items) if items.is_empty() => "[ ]".into(),
            DefKind::List(items) if items.len() <= 4 => format!(
                "[ {} ]",
                items
                    .iter()
                    .map(|item| item.kind.to_nix())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            DefKind::List(_) => "[ … ]".into(),
            DefKind::Attrs { entries, .. } if entries.is_empty() => "{ }".into(),
            DefKind::Attrs { .. } => "{ … }".into(),
            DefKind::Unknown => "…".into(),
        }
    }

    pub fn same_literal(&self, other: &DefKind) -> bool {
        match (self, other) {
            (DefKind::Int(a), DefKind::Float(b)) | (DefKind::Float(b), DefKind::Int(a)) => {
                *a as f64 == f64::from_bits(*b)
            }
            _ => self == other,
        }
    }
}

fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars().take(80) {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '$' => out.push('$'),
            c => out.push(c),
        }
    }
    if text.chars().count() > 80 {
        out.push('…');
    }
    out.push('"');
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DefValue {
    pub kind: DefKind,
    pub range: Option<FileRange>,
    /// The `mkIf` conditions this value is defined under, outermost first
    /// (those wrapping it or the attrset holding it, within this module).
    pub when: Vec<Cond>,
}

/// The condition of one `mkIf`, as far as the module alone tells.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cond {
    /// A literal `false`.
    False,
    /// The value of an option: `mkIf cfg.enable` with `cfg = config.x`.
    Option(Vec<String>),
    /// Anything else.
    Unknown,
}

/// One attribute of a definition tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DefEntry {
    pub name: String,
    /// The name where it was written.
    pub key: Option<FileRange>,
    /// The attribute path from its first segment to this name.
    pub path_range: Option<FileRange>,
    pub value: DefValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclKind {
    Option,
    EnableOption,
    PackageOption,
    /// `mkRenamedOptionModule` and friends: an old path kept working.
    Alias,
    /// `mkRemovedOptionModule`: setting it is reported by Nix itself.
    Removed,
}

/// What the module system does with an option beyond its type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct DeclMeta {
    pub read_only: bool,
    pub internal: bool,
    /// `visible = false` (or `"shallow"`): not shown in documentation.
    pub hidden: bool,
    /// An alias whose use Nix warns about (mkRenamedOptionModule & co;
    /// mkAliasOptionModule is silent).
    pub warns: bool,
    /// mkRemovedOptionModule's instructions.
    pub removed_message: Option<String>,
    /// Set when the option comes from an upstream tree (nixpkgs, …).
    pub upstream: Option<std::sync::Arc<crate::base::UpstreamSite>>,
}

/// One option declaration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Declaration {
    pub path: OptionPath,
    pub kind: DeclKind,
    pub ty: TypeData,
    /// The default, as Nix text (a literal, or the source of an expression).
    pub default: Option<String>,
    pub description: Option<String>,
    pub example: Option<String>,
    /// Alias target (`mkRenamedOptionModule`).
    pub alias_of: Option<OptionPath>,
    /// The `mkOption …` call (or the alias call).
    pub decl: Option<FileRange>,
    /// The option's name where it was written.
    pub key: Option<FileRange>,
    /// The whole attribute path of the binding that declared it.
    pub path_range: Option<FileRange>,
    pub meta: DeclMeta,
}

/// Where a module in an `imports` (or `modules`) list points.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ModuleRef {
    File {
        file: SourceFile,
        site: Option<FileRange>,
    },
    Inline {
        summary: Arc<ModuleSummary>,
        site: Option<FileRange>,
    },
    /// From outside the workspace (flake input, `modulesPath`, …).
    External {
        description: String,
        site: Option<FileRange>,
    },
    /// A path in the workspace that does not exist.
    Missing {
        path: String,
        site: Option<FileRange>,
    },
    /// Could not be worked out statically.
    Unknown { site: Option<FileRange> },
}

impl ModuleRef {
    pub fn site(&self) -> Option<FileRange> {
        match self {
            ModuleRef::File { site, .. }
            | ModuleRef::Inline { site, .. }
            | ModuleRef::External { site, .. }
            | ModuleRef::Missing { site, .. }
            | ModuleRef::Unknown { site } => *site,
        }
    }
}

/// Everything a module says, independent of the host that uses it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ModuleSummary {
    /// Where the module expression is.
    pub origin: Option<FileRange>,
    pub imports: Vec<ModuleRef>,
    /// `imports` itself could not be fully known.
    pub imports_incomplete: bool,
    pub declarations: Vec<Declaration>,
    /// Option paths under which declarations exist that flakelens could not
    /// see (an unknown `options` value, `freeformType`, …).
    pub open: Vec<OptionPath>,
    /// The top-level config definitions.
    pub definitions: Vec<DefEntry>,
    /// Config definitions could not all be seen.
    pub definitions_incomplete: bool,
    /// The module's value could not be worked out at all, or evaluation ran
    /// out of budget: it may declare or define anything.
    pub unknown: bool,
    /// Module evaluations nested in this one's definitions
    /// (`home-manager.users.<name>`, `containers.<name>.config`).
    pub nested: Vec<NestedModule>,
}

/// Which nested evaluation a module belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NestedKind {
    /// `home-manager.users.<name>`.
    HomeUser(String),
    /// `home-manager.sharedModules`: part of every user's evaluation.
    HomeShared,
    /// `containers.<name>.config`.
    Container(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NestedModule {
    pub kind: NestedKind,
    pub module: ModuleRef,
}
