//! The diagnostic codes as SARIF rules: a short and a full description and
//! the default level of each, and where its documentation lives.

/// One diagnostic code, described for machine formats.
pub struct Rule {
    pub code: &'static str,
    pub short: &'static str,
    pub full: &'static str,
    /// `error` or `warning`: the level before `[diagnostics]` changes it.
    pub default_level: &'static str,
}

/// Where `docs/diagnostics.md` is published; each code has an anchor named
/// after it there. Overridable at build time (a fork, a mirror).
pub const DOCS_URL: &str = match option_env!("FLAKELENS_DOCS_URL") {
    Some(url) => url,
    None => "https://github.com/flakelens/flakelens/blob/main/docs/diagnostics.md",
};

pub fn help_uri(code: &str) -> String {
    format!("{DOCS_URL}#{code}")
}

/// Every code flakelens emits, in the order of docs/diagnostics.md.
pub const RULES: &[Rule] = &[
    Rule {
        code: "syntax-error",
        short: "The file does not parse as Nix.",
        full: "The file does not parse as Nix. In a flake, a file that no host, package or the flake itself uses gets a warning instead of an error.",
        default_level: "error",
    },
    Rule {
        code: "undefined-variable",
        short: "A variable is bound nowhere.",
        full: "A name that no function argument, let, rec set or inherit binds and that is not one of Nix's global names; Nix rejects the file before evaluating it. Names under a with are never reported.",
        default_level: "error",
    },
    Rule {
        code: "duplicate-attribute",
        short: "An attribute is defined twice in one attrset.",
        full: "An attribute defined twice in one attrset or let, which Nix rejects while parsing; attrset literals merge one level only, as in Nix's parser.",
        default_level: "error",
    },
    Rule {
        code: "unreadable-file",
        short: "A file could not be loaded.",
        full: "A .nix file (or flakelens.toml) could not be loaded: not UTF-8, binary, larger than 20 MiB, unreadable, or a broken symlink.",
        default_level: "error",
    },
    Rule {
        code: "type-mismatch",
        short: "A value does not fit the type of the option it sets.",
        full: "A literal value does not fit the type of an option the repository declares (after unwrapping mkDefault, mkForce, mkIf, mkMerge and friends).",
        default_level: "error",
    },
    Rule {
        code: "inactive-definition",
        short: "A wrong value sits under an mkIf that is off in every host.",
        full: "A value that would be a type-mismatch, under an mkIf whose condition is false in every host that uses the module (or a module no host imports): Nix never evaluates it, so it is a latent bug.",
        default_level: "warning",
    },
    Rule {
        code: "unknown-option",
        short: "A definition names no declared option.",
        full: "A definition under a namespace the repository owns completely names no declared option. Open namespaces (freeformType, unresolved imports) are never reported.",
        default_level: "error",
    },
    Rule {
        code: "option-not-imported",
        short: "An option is set by a host that does not import its declaration.",
        full: "A host sets an option the repository declares in a module that is not in the host's import closure (only when the whole closure is known).",
        default_level: "error",
    },
    Rule {
        code: "missing-import",
        short: "An imported path does not exist.",
        full: "An imports entry (or an entry of a host's modules list) is a workspace path that does not exist, or a directory without default.nix.",
        default_level: "error",
    },
    Rule {
        code: "duplicate-declaration",
        short: "An option is declared twice in one host.",
        full: "The same option is declared twice in one host's modules (non-submodule types); Nix refuses this.",
        default_level: "warning",
    },
    Rule {
        code: "missing-host-file",
        short: "A host's entry file does not exist.",
        full: "A host's entry file (the first path of its modules list, or a path naming the host in any letter case, such as ./hosts/${name}/configuration.nix) does not exist.",
        default_level: "warning",
    },
    Rule {
        code: "missing-package-file",
        short: "callPackage names a path that does not exist.",
        full: "callPackage ./path { } names a workspace path that does not exist, in a file the flake uses. Calls guarded by pathExists are skipped.",
        default_level: "error",
    },
    Rule {
        code: "duplicate-package",
        short: "Two overlays define the same package.",
        full: "Two overlays of the repository define the same package name.",
        default_level: "warning",
    },
    Rule {
        code: "invalid-config",
        short: "flakelens.toml has an unknown key, a wrong type or a bad value.",
        full: "flakelens.toml has a TOML syntax error, an unknown key, a value of the wrong type, a bad glob or an unknown diagnostic code. The rest of the file still applies. Unknown keys are warnings (a newer flakelens may know them); the rest are errors.",
        default_level: "error",
    },
    Rule {
        code: "unused-suppression",
        short: "A `# flakelens: ignore` comment suppresses nothing.",
        full: "A `# flakelens: ignore` or `# flakelens: ignore[code]` comment has no diagnostic of that code on its line or the next one.",
        default_level: "warning",
    },
    Rule {
        code: "not-loaded",
        short: "Something was not read on purpose.",
        full: "The walk did not read something on purpose: a symlink leading outside the workspace (or into /proc, /sys, /dev), a symlink loop, a directory nested too deep, or a walk that reached its limit. Imports below it are unknown, not missing.",
        default_level: "warning",
    },
];
