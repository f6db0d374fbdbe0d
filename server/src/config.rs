//! Settings: `flakelens.toml` at the workspace root and the same keys from
//! the editor (LSP `initializationOptions`, `workspace/didChangeConfiguration`).
//!
//! Parsing is forgiving: an unknown key, a wrong type or a bad glob is a
//! problem with its byte range in the file, and the rest still applies.
//! The file wins over the editor, key by key (docs/configuration.md): the
//! file is what the whole team and CI use.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::ops::Range;
use std::path::Path;

use flakelens_db::{DiagnosticLevel, LoadProblem, Settings, SettingsProblem, UpstreamPaths};
use toml_edit::{Item, TableLike};

/// The name of the optional settings file at the workspace root.
pub const SETTINGS_FILE: &str = "flakelens.toml";

/// Settings as written; `None` = not set, so two sources merge per key.
/// Paths are already VFS paths (resolved against the workspace root).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub exclude: Option<Vec<String>>,
    pub diagnostics: BTreeMap<String, DiagnosticLevel>,
    pub package_directories: Option<Vec<String>>,
    pub nixpkgs: Option<String>,
    pub home_manager: Option<String>,
    pub nix_darwin: Option<String>,
    pub host_roots: Option<Vec<String>>,
    /// `[workspace] symlink-targets`: directories outside the root that
    /// symlinks may lead to (VFS paths).
    pub symlink_targets: Option<Vec<String>>,
}

/// A problem in the settings, with its byte range in the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub range: Range<usize>,
    pub message: String,
    pub is_error: bool,
}

impl Config {
    /// `self` over `under`: every key `self` sets wins.
    pub fn over(self, under: Config) -> Config {
        let mut diagnostics = under.diagnostics;
        diagnostics.extend(self.diagnostics);
        Config {
            exclude: self.exclude.or(under.exclude),
            diagnostics,
            package_directories: self.package_directories.or(under.package_directories),
            nixpkgs: self.nixpkgs.or(under.nixpkgs),
            home_manager: self.home_manager.or(under.home_manager),
            nix_darwin: self.nix_darwin.or(under.nix_darwin),
            host_roots: self.host_roots.or(under.host_roots),
            symlink_targets: self.symlink_targets.or(under.symlink_targets),
        }
    }

    pub fn to_settings(&self, problems: Vec<SettingsProblem>) -> Settings {
        let mut package_directories: Vec<String> = Vec::new();
        for directory in self.package_directories.iter().flatten() {
            if !package_directories.contains(directory) {
                package_directories.push(directory.clone());
            }
        }
        Settings {
            package_directories,
            exclude: self.exclude.clone().unwrap_or_default(),
            diagnostic_levels: self
                .diagnostics
                .iter()
                .map(|(code, level)| (code.clone(), *level))
                .collect(),
            upstream: UpstreamPaths {
                nixpkgs: self.nixpkgs.clone(),
                home_manager: self.home_manager.clone(),
                nix_darwin: self.nix_darwin.clone(),
            },
            host_roots: self.host_roots.clone().unwrap_or_default(),
            problems,
        }
    }
}

/// Parses `flakelens.toml` text; paths are resolved against `root`.
pub fn parse_toml(text: &str, root: &str) -> (Config, Vec<Problem>) {
    let mut parser = Parser {
        root,
        config: Config::default(),
        problems: Vec::new(),
    };
    match toml_edit::ImDocument::parse(text) {
        Ok(document) => parser.top_level(document.as_table()),
        Err(error) => parser.problems.push(Problem {
            range: error.span().unwrap_or(0..0),
            message: format!("invalid TOML: {}", single_line(error.message())),
            is_error: true,
        }),
    }
    parser.problems.sort_by_key(|problem| problem.range.start);
    (parser.config, parser.problems)
}

/// Parses editor settings: the keys of `flakelens.toml` as a JSON object,
/// either directly or under a `flakelens` key. Problems come back as
/// messages (there is no file to point into).
pub fn parse_editor(value: &serde_json::Value, root: &str) -> (Config, Vec<String>) {
    let value = match value.get("flakelens") {
        Some(inner) if inner.is_object() => inner,
        _ => value,
    };
    if value.is_null() || value.as_object().is_some_and(|o| o.is_empty()) {
        return (Config::default(), Vec::new());
    }
    let Some(object) = value.as_object() else {
        return (
            Config::default(),
            vec!["editor settings: expected an object".to_string()],
        );
    };
    // Nulls mean "not set" in editor settings; TOML has no null.
    let mut cleaned = serde_json::Map::new();
    for (key, value) in object {
        // Settings of the editor extension itself (VS Code: the server
        // binary, protocol tracing) and of the editor features (`lsp`:
        // code lenses, inlay hints; read by the lsp layer), not of the
        // analysis.
        if key == "server" || key == "trace" || key == "lsp" {
            continue;
        }
        if !value.is_null() {
            cleaned.insert(key.clone(), strip_nulls(value));
        }
    }
    let text = match toml::to_string(&serde_json::Value::Object(cleaned)) {
        Ok(text) => text,
        Err(error) => return (Config::default(), vec![format!("editor settings: {error}")]),
    };
    let (config, problems) = parse_toml(&text, root);
    let messages = problems
        .into_iter()
        .map(|problem| format!("editor settings: {}", problem.message))
        .collect();
    (config, messages)
}

fn strip_nulls(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(object) => serde_json::Value::Object(
            object
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(strip_nulls).collect())
        }
        other => other.clone(),
    }
}

struct Parser<'a> {
    root: &'a str,
    config: Config,
    problems: Vec<Problem>,
}

fn span(item: &Item) -> Range<usize> {
    item.span().unwrap_or(0..0)
}

impl Parser<'_> {
    fn error(&mut self, range: Range<usize>, message: String) {
        self.problems.push(Problem {
            range,
            message,
            is_error: true,
        });
    }

    fn key_range(table: &dyn TableLike, key: &str, item: &Item) -> Range<usize> {
        table
            .get_key_value(key)
            .and_then(|(key, _)| key.span())
            .unwrap_or_else(|| span(item))
    }

    fn unknown_key(&mut self, table: &dyn TableLike, section: &str, key: &str, item: &Item) {
        let name = if section.is_empty() {
            format!("`{key}`")
        } else {
            format!("`{key}` in [{section}]")
        };
        self.problems.push(Problem {
            range: Self::key_range(table, key, item),
            message: format!("unknown key {name}; ignored"),
            is_error: false,
        });
    }

    fn table<'t>(&mut self, name: &str, item: &'t Item) -> Option<&'t dyn TableLike> {
        let table = item.as_table_like();
        if table.is_none() {
            self.error(
                span(item),
                format!("[{name}] must be a table, found {}", item.type_name()),
            );
        }
        table
    }

    fn top_level(&mut self, table: &dyn TableLike) {
        for (key, item) in table.iter() {
            match key {
                "exclude" => {
                    if let Some(globs) = self.strings("exclude", item) {
                        self.config.exclude = Some(self.globs(globs));
                    }
                }
                "diagnostics" => {
                    if let Some(section) = self.table("diagnostics", item) {
                        self.diagnostics(section);
                    }
                }
                "packages" => {
                    let Some(section) = self.table("packages", item) else {
                        continue;
                    };
                    for (key, item) in section.iter() {
                        match key {
                            "directories" => {
                                self.config.package_directories =
                                    self.paths("packages.directories", item);
                            }
                            _ => self.unknown_key(section, "packages", key, item),
                        }
                    }
                }
                "upstream" => {
                    let Some(section) = self.table("upstream", item) else {
                        continue;
                    };
                    for (key, item) in section.iter() {
                        // camelCase: how editor settings (VS Code) spell them.
                        let slot = match key {
                            "nixpkgs" => 0,
                            "home-manager" | "homeManager" => 1,
                            "nix-darwin" | "nixDarwin" => 2,
                            _ => {
                                self.unknown_key(section, "upstream", key, item);
                                continue;
                            }
                        };
                        // An empty path means unset (the editor's default).
                        if item.as_str().is_some_and(|path| path.trim().is_empty()) {
                            continue;
                        }
                        let value = self.path(&format!("upstream.{key}"), item);
                        match slot {
                            0 => self.config.nixpkgs = value,
                            1 => self.config.home_manager = value,
                            _ => self.config.nix_darwin = value,
                        }
                    }
                }
                "workspace" => {
                    let Some(section) = self.table("workspace", item) else {
                        continue;
                    };
                    for (key, item) in section.iter() {
                        match key {
                            "symlink-targets" => {
                                self.config.symlink_targets =
                                    self.paths("workspace.symlink-targets", item)
                            }
                            _ => self.unknown_key(section, "workspace", key, item),
                        }
                    }
                }
                "hosts" => {
                    let Some(section) = self.table("hosts", item) else {
                        continue;
                    };
                    for (key, item) in section.iter() {
                        match key {
                            "roots" | "darwin" | "home" => {
                                let Some(paths) = self.paths(&format!("hosts.{key}"), item) else {
                                    continue;
                                };
                                // The kind travels as a prefix (see db `Settings`).
                                let prefix = match key {
                                    "roots" => "",
                                    "darwin" => "darwin:",
                                    _ => "home:",
                                };
                                self.config
                                    .host_roots
                                    .get_or_insert_with(Vec::new)
                                    .extend(paths.into_iter().map(|p| format!("{prefix}{p}")));
                            }
                            _ => self.unknown_key(section, "hosts", key, item),
                        }
                    }
                }
                _ => self.unknown_key(table, "", key, item),
            }
        }
    }

    fn diagnostics(&mut self, section: &dyn TableLike) {
        let known: Vec<&str> = crate::cli::rules::RULES.iter().map(|r| r.code).collect();
        for (code, item) in section.iter() {
            if code == "disabled" {
                // `disabled = [codes]`: the editors' spelling of `code = "off"`.
                for (code, range) in self
                    .strings("diagnostics.disabled", item)
                    .unwrap_or_default()
                {
                    if known.contains(&code) {
                        self.config
                            .diagnostics
                            .insert(code.to_string(), DiagnosticLevel::Off);
                    } else {
                        self.problems.push(Problem {
                            range,
                            message: format!("unknown diagnostic code `{code}`; ignored"),
                            is_error: false,
                        });
                    }
                }
                continue;
            }
            if !known.contains(&code) {
                self.problems.push(Problem {
                    range: Self::key_range(section, code, item),
                    message: format!("unknown diagnostic code `{code}`; ignored"),
                    is_error: false,
                });
                continue;
            }
            let level = match item.as_str() {
                Some("off") => DiagnosticLevel::Off,
                Some("warning") => DiagnosticLevel::Warning,
                Some("error") => DiagnosticLevel::Error,
                _ => {
                    self.error(
                        span(item),
                        format!(
                            "diagnostics.{code} must be \"off\", \"warning\" or \"error\", found {}",
                            describe(item)
                        ),
                    );
                    continue;
                }
            };
            self.config.diagnostics.insert(code.to_string(), level);
        }
    }

    /// An array of strings; elements of other types are problems and left out.
    fn strings<'t>(&mut self, name: &str, item: &'t Item) -> Option<Vec<(&'t str, Range<usize>)>> {
        let Some(array) = item.as_array() else {
            self.error(
                span(item),
                format!(
                    "{name} must be an array of strings, found {}",
                    describe(item)
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for value in array.iter() {
            let range = value.span().unwrap_or(0..0);
            match value.as_str() {
                Some(text) => out.push((text, range)),
                None => self.error(
                    range,
                    format!(
                        "{name} must hold strings, found {}; ignored",
                        value.type_name()
                    ),
                ),
            }
        }
        Some(out)
    }

    fn globs(&mut self, globs: Vec<(&str, Range<usize>)>) -> Vec<String> {
        let mut out = Vec::new();
        for (glob, range) in globs {
            match globset::GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
            {
                Ok(_) => out.push(glob.to_string()),
                Err(error) => self.error(
                    range,
                    format!("bad glob `{glob}`: {}; ignored", error.kind()),
                ),
            }
        }
        out
    }

    fn resolve(&mut self, path: &str, range: Range<usize>) -> Option<String> {
        // `None` only when `..` climbs above `/`.
        let resolved = flakelens_db::paths::join(self.root, path);
        if resolved.is_none() {
            self.error(range, format!("`{path}` is not a valid path; ignored"));
        }
        resolved
    }

    fn paths(&mut self, name: &str, item: &Item) -> Option<Vec<String>> {
        let strings = self.strings(name, item)?;
        Some(
            strings
                .into_iter()
                .filter_map(|(path, range)| self.resolve(path, range))
                .collect(),
        )
    }

    fn path(&mut self, name: &str, item: &Item) -> Option<String> {
        match item.as_str() {
            Some(path) => self.resolve(path, span(item)),
            None => {
                self.error(
                    span(item),
                    format!("{name} must be a string (a path), found {}", describe(item)),
                );
                None
            }
        }
    }
}

fn describe(item: &Item) -> String {
    match item.as_value() {
        Some(value) => format!("{} `{}`", value.type_name(), value.to_string().trim()),
        None => item.type_name().to_string(),
    }
}

/// Joins the lines of a multi-line message with "; ".
fn single_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    lines.join("; ")
}

/// What loading the settings gives the loader.
pub struct LoadedSettings {
    pub settings: Settings,
    /// The file could not be read at all.
    pub problem: Option<LoadProblem>,
    /// (VFS path, text) of `flakelens.toml`, so its problems show in context.
    pub file: Option<(String, String)>,
    /// `[workspace] symlink-targets` (VFS paths).
    pub symlink_targets: Vec<String>,
}

/// Reads `flakelens.toml` at `root` and lays it over the editor settings.
/// Absent → the editor settings (or defaults).
pub fn load_settings(root: &Path, vfs_root: &str, editor: Option<&Config>) -> LoadedSettings {
    let file = root.join(SETTINGS_FILE);
    let path = flakelens_db::paths::join(vfs_root, SETTINGS_FILE)
        .unwrap_or_else(|| crate::load::vfs_path(&file));
    let editor = editor.cloned().unwrap_or_default();
    let text = match fs::read_to_string(&file) {
        Ok(text) => text,
        Err(error) => {
            let problem = (error.kind() != io::ErrorKind::NotFound).then(|| LoadProblem {
                path: path.clone(),
                message: format!("cannot read {SETTINGS_FILE}: {error}"),
                kind: flakelens_db::ProblemKind::Unreadable,
            });
            return LoadedSettings {
                symlink_targets: editor.symlink_targets.clone().unwrap_or_default(),
                settings: editor.to_settings(Vec::new()),
                problem,
                file: None,
            };
        }
    };
    let text = flakelens_syntax::normalize_newlines(&text).into_owned();
    let (config, problems) = parse_toml(&text, vfs_root);
    let problems = problems
        .into_iter()
        .map(|problem| SettingsProblem {
            path: path.clone(),
            start: problem.range.start as u32,
            end: problem.range.end as u32,
            message: problem.message,
            is_error: problem.is_error,
        })
        .collect();
    let config = config.over(editor);
    LoadedSettings {
        symlink_targets: config.symlink_targets.clone().unwrap_or_default(),
        settings: config.to_settings(problems),
        problem: None,
        file: Some((path, text)),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
