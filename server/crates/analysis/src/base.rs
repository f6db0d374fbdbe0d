//! Base data types every layer shares: file ranges, option paths and their
//! segments, and the kinds of host a system builder makes.

use flakelens_db::SourceFile;
use flakelens_syntax::TextRange;

/// A range in a particular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileRange {
    pub file: SourceFile,
    pub range: TextRange,
}

/// One segment of an option path. Submodule options have wildcard
/// segments: `users.users.<name>.uid`, `fileSystems.*.device`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Name(String),
    /// Any attribute name (`attrsOf (submodule …)`), shown as `<name>`.
    AnyName,
    /// Any list element (`listOf (submodule …)`), shown as `*`.
    AnyIndex,
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Segment::Name(name) => {
                let plain = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '\'')
                    && !name.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '\'');
                if plain {
                    f.write_str(name)
                } else {
                    write!(f, "{name:?}")
                }
            }
            Segment::AnyName => f.write_str("<name>"),
            Segment::AnyIndex => f.write_str("*"),
        }
    }
}

pub type OptionPath = Vec<Segment>;

/// `services.poglets.port`.
pub fn display_path(path: &[Segment]) -> String {
    path.iter()
        .map(|segment| segment.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

pub fn names_to_path<S: AsRef<str>>(names: &[S]) -> OptionPath {
    names
        .iter()
        .map(|name| Segment::Name(name.as_ref().to_string()))
        .collect()
}

/// What kind of system a builder makes (`nixosSystem`, `darwinSystem`,
/// `homeManagerConfiguration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostKind {
    Nixos,
    Darwin,
    Home,
}

impl HostKind {
    pub fn output_name(self) -> &'static str {
        match self {
            HostKind::Nixos => "nixosConfigurations",
            HostKind::Darwin => "darwinConfigurations",
            HostKind::Home => "homeConfigurations",
        }
    }
}

/// Which module tree an index comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum UpstreamKind {
    /// nixpkgs' `nixos/modules`.
    Nixos,
    /// home-manager's `modules`.
    Home,
    /// nix-darwin's `modules`.
    Darwin,
}

impl UpstreamKind {
    pub fn name(self) -> &'static str {
        match self {
            UpstreamKind::Nixos => "nixpkgs",
            UpstreamKind::Home => "home-manager",
            UpstreamKind::Darwin => "nix-darwin",
        }
    }

    /// The module list that roots the tree, relative to its top.
    pub fn root_file(self) -> &'static str {
        match self {
            UpstreamKind::Nixos => "nixos/modules/module-list.nix",
            UpstreamKind::Home => "modules/modules.nix",
            UpstreamKind::Darwin => "modules/module-list.nix",
        }
    }
}

/// Where an upstream option is declared.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UpstreamSite {
    pub tree: UpstreamKind,
    /// The tree's root directory (as indexed).
    pub root: std::sync::Arc<str>,
    /// Relative to `root`.
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
}
