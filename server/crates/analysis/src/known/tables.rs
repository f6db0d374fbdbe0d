//! Tables of ecosystem names, one per piece of knowledge, shared by the
//! evaluator's registry and the ide's syntax-level navigation.

/// Module-system functions whose result is (a wrapped) one of their
/// arguments: name, number of arguments, index of the wrapped one.
pub const WRAPPERS: &[(&str, usize, usize)] = &[
    ("mkIf", 2, 1),
    ("mkDefault", 1, 0),
    ("mkForce", 1, 0),
    ("mkOverride", 2, 1),
    ("mkBefore", 1, 0),
    ("mkAfter", 1, 0),
    ("mkOrder", 2, 1),
    ("mkMerge", 1, 0),
    ("optionalAttrs", 2, 1),
    ("mkIfElse", 3, 1),
];

/// Keys whose value is a list of modules.
pub const MODULE_LIST_KEYS: &[&str] = &["imports", "modules", "sharedModules"];

/// Flake outputs whose attributes are modules.
pub const MODULE_OUTPUTS: &[&str] = &[
    "nixosModules",
    "darwinModules",
    "homeManagerModules",
    "homeModules",
    "flakeModules",
];

/// Top-level keys of a module that are neither options nor config.
pub const MODULE_META_KEYS: &[&str] = &[
    "imports",
    "disabledModules",
    "_file",
    "key",
    "freeformType",
    "_class",
];

/// Every platform `legacyPackages.<system>` is given for (nixpkgs' own).
pub const NIXPKGS_SYSTEMS: [&str; 7] = [
    "x86_64-linux",
    "aarch64-linux",
    "x86_64-darwin",
    "aarch64-darwin",
    "i686-linux",
    "armv7l-linux",
    "riscv64-linux",
];

/// flake-utils' `defaultSystems` (what `eachDefaultSystem` iterates): a
/// different, smaller list than [`NIXPKGS_SYSTEMS`].
pub const FLAKE_UTILS_DEFAULT_SYSTEMS: [&str; 4] = [
    "x86_64-linux",
    "aarch64-linux",
    "x86_64-darwin",
    "aarch64-darwin",
];

/// nixpkgs builders that make a package from arguments written inline
/// (overlay entries such as `prev.writeShellScriptBin "x" "…"`): the path
/// below `pkgs` and how many arguments the builder takes.
pub const INLINE_BUILDERS: &[(&str, usize)] = &[
    ("writeShellScriptBin", 2),
    ("writeScriptBin", 2),
    ("writeShellApplication", 1),
    ("stdenv.mkDerivation", 1),
    ("stdenvNoCC.mkDerivation", 1),
    ("appimageTools.wrapType2", 1),
    ("buildGoModule", 1),
    ("rustPlatform.buildRustPackage", 1),
    ("buildNpmPackage", 1),
    ("symlinkJoin", 1),
    ("python3Packages.buildPythonApplication", 1),
];
