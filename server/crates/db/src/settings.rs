//! The parts of the user settings (`flakelens.toml`, editor settings) beyond
//! package directories: plain data the edge fills in and the ide layer,
//! the upstream readers and the host finder consume.

/// What `[diagnostics]` does to one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiagnosticLevel {
    Off,
    Warning,
    Error,
}

/// Source trees of upstream module sets (`[upstream]`), as VFS paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct UpstreamPaths {
    pub nixpkgs: Option<String>,
    pub home_manager: Option<String>,
    pub nix_darwin: Option<String>,
}

/// A problem in the settings themselves, shown on the settings file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SettingsProblem {
    /// VFS path of `flakelens.toml`.
    pub path: String,
    /// Byte range in that file.
    pub start: u32,
    pub end: u32,
    pub message: String,
    pub is_error: bool,
}
