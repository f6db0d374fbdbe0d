//! Option namespaces the upstream module systems (NixOS, nix-darwin,
//! home-manager) and common third-party modules declare themselves, one
//! table per module class.

use crate::HostKind;

/// Top-level namespaces NixOS declares (plus image/cloud builders).
pub const NIXOS_TOP_LEVEL: &[&str] = &[
    "_module",
    "accounts",
    "amazonImage",
    "appstream",
    "assertions",
    "boot",
    "cloud",
    "console",
    "containers",
    "darwin",
    "dconf",
    "dockerImage",
    "documentation",
    "dysnomia",
    "ec2",
    "editorconfig",
    "environment",
    "fileSystem",
    "fileSystems",
    "fonts",
    "formatConfigs",
    "gnome",
    "gtk",
    "hardware",
    "home",
    "i18n",
    "ids",
    "image",
    "installer",
    "isoImage",
    "jobs",
    "krb5",
    "kubernetes",
    "launchd",
    "lib",
    "location",
    "lxc",
    "manual",
    "meta",
    "mobile",
    "nesting",
    "netboot",
    "networking",
    "news",
    "nix",
    "nixpkgs",
    "oci",
    "openstack",
    "power",
    "powerManagement",
    "programs",
    "proxmox",
    "qt",
    "sdImage",
    "security",
    "services",
    "snapraid",
    "sound",
    "specialisation",
    "submoduleSupport",
    "swapDevices",
    "system",
    "systemd",
    "targets",
    "testing",
    "time",
    "uninstall",
    "users",
    "virtualisation",
    "vmVariant",
    "vmVariantWithBootLoader",
    "warnings",
    "wayland",
    "wsl",
    "xdg",
    "xfconf",
    "xresources",
    "xsession",
    "zramSwap",
];

/// Top-level namespaces nix-darwin declares.
pub const DARWIN_TOP_LEVEL: &[&str] = &[
    "_module",
    "assertions",
    "documentation",
    "environment",
    "fonts",
    "homebrew",
    "launchd",
    "lib",
    "meta",
    "networking",
    "nix",
    "nixpkgs",
    "power",
    "programs",
    "security",
    "services",
    "system",
    "time",
    "users",
    "warnings",
];

/// Top-level namespaces home-manager declares (checked against its
/// `modules/` tree: every `options.<name>` and `options = { <name>… }`).
pub const HOME_MANAGER_TOP_LEVEL: &[&str] = &[
    "_module",
    "accounts",
    "assertions",
    "dbus",
    "dconf",
    "editorconfig",
    "fonts",
    "gtk",
    "home",
    "i18n",
    "launchd",
    "lib",
    "manual",
    "meta",
    "news",
    "nix",
    "nixpkgs",
    "pam",
    "programs",
    "qt",
    "services",
    "specialisation",
    "submoduleSupport",
    "systemd",
    "targets",
    "uninstall",
    "warnings",
    "wayland",
    "xdg",
    "xfconf",
    "xresources",
    "xsession",
];

/// Namespaces of widespread external modules, usable in any class.
pub const THIRD_PARTY_TOP_LEVEL: &[&str] = &[
    "age",
    "catppuccin",
    "colorScheme",
    "disko",
    "flake",
    "home-manager",
    "nixvim",
    "perSystem",
    "sops",
    "stylix",
    "wrappers",
];

/// Whether upstream modules of class `kind` (or a common external
/// module) declare options under the top-level name `name`.
pub fn upstream_declares(kind: HostKind, name: &str) -> bool {
    let class = match kind {
        HostKind::Nixos => NIXOS_TOP_LEVEL,
        HostKind::Darwin => DARWIN_TOP_LEVEL,
        HostKind::Home => HOME_MANAGER_TOP_LEVEL,
    };
    class.contains(&name) || THIRD_PARTY_TOP_LEVEL.contains(&name)
}

/// Whether any upstream module system declares `name` at top level: the
/// conservative answer when a closure may mix classes.
pub fn any_upstream_declares(name: &str) -> bool {
    [HostKind::Nixos, HostKind::Darwin, HostKind::Home]
        .into_iter()
        .any(|kind| upstream_declares(kind, name))
}
