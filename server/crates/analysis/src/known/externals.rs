//! Well-known external modules (by flake input and path) and the option
//! namespaces each declares, so that a closure whose only external modules
//! are known ones is complete for every other namespace.
//!
//! A module from outside the workspace is described by the evaluator as
//! `inputs.<input>.<output>.<name>` (`inputs.agenix.nixosModules.default`),
//! `inputs.<input>.<nixosModule…>` or `inputs.<input>/<subpath>`
//! (`"${inputs.home-manager}/nixos"`), or `modulesPath`.

/// Input names (as flakes usually call them) → option-path prefixes their
/// modules declare. A prefix is a dotted path (`environment.persistence`).
const KNOWN_EXTERNALS: &[(&[&str], &[&str])] = &[
    // nixosModules.home-manager / darwinModules.home-manager, "/nixos",
    // "/nix-darwin": the home-manager NixOS/darwin module.
    (
        &["home-manager", "hm", "home-manager-unstable"],
        &["home-manager"],
    ),
    (&["agenix", "ragenix"], &["age"]),
    (&["sops-nix", "sops"], &["sops"]),
    (&["disko"], &["disko"]),
    (
        &["impermanence"],
        &["environment.persistence", "home.persistence"],
    ),
    // Hardware profiles set upstream options; the few they declare are
    // below `hardware` (and the Surface kernel switch).
    (
        &["nixos-hardware", "hardware"],
        &["hardware", "microsoft-surface"],
    ),
    (&["lanzaboote"], &["boot.lanzaboote"]),
    (&["stylix"], &["stylix"]),
    (
        &["nix-index-database", "nix-index-db"],
        &["programs.nix-index-database", "programs.nix-index"],
    ),
    (&["nixos-wsl", "NixOS-WSL", "wsl"], &["wsl"]),
    // Older catppuccin/nix declares `<program>.catppuccin` under many
    // upstream namespaces.
    (
        &["catppuccin"],
        &[
            "catppuccin",
            "programs",
            "services",
            "gtk",
            "qt",
            "console",
            "boot",
        ],
    ),
    (&["nixvim"], &["programs.nixvim", "nixvim"]),
    (&["nix-homebrew"], &["nix-homebrew"]),
    (
        &["plasma-manager"],
        &[
            "programs.plasma",
            "programs.konsole",
            "programs.kate",
            "programs.okular",
        ],
    ),
    (&["spicetify-nix", "spicetify"], &["programs.spicetify"]),
    (&["nix-flatpak"], &["services.flatpak"]),
    (&["vscode-server"], &["services.vscode-server"]),
    (&["simple-nixos-mailserver", "mailserver"], &["mailserver"]),
    (&["microvm"], &["microvm"]),
    (&["srvos"], &["srvos"]),
    (&["preservation"], &["preservation"]),
];

/// The input an external-module description comes from, and the rest.
fn input_of(description: &str) -> Option<(&str, &str)> {
    let rest = description.strip_prefix("inputs.")?;
    let end = rest.find(['.', '/']).unwrap_or(rest.len());
    Some((&rest[..end], &rest[end..]))
}

/// The option-path prefixes a known external module declares; `None` when
/// the module is not known (it could declare anything).
pub fn declared_namespaces(description: &str) -> Option<&'static [&'static str]> {
    if description == "modulesPath" {
        // nixpkgs' own modules and profiles: upstream namespaces only.
        return Some(&[]);
    }
    let (input, _) = input_of(description)?;
    KNOWN_EXTERNALS
        .iter()
        .find(|(inputs, _)| inputs.contains(&input))
        .map(|(_, namespaces)| *namespaces)
}

/// Whether an external module could declare options under the top-level
/// name `first`: a known one only under its namespaces; an unknown one
/// only under a name no upstream module uses if that name is its input's
/// (`inputs.foo.nixosModules.default` may declare `foo.*`).
pub fn may_declare_top_level(description: &str, first: &str) -> bool {
    match declared_namespaces(description) {
        Some(namespaces) => namespaces
            .iter()
            .any(|ns| ns.split('.').next() == Some(first)),
        None => match input_of(description) {
            Some((input, _)) => input == first,
            // A path outside the workspace: nothing is known of it.
            None => true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_map_to_namespaces() {
        assert_eq!(
            declared_namespaces("inputs.home-manager/nixos"),
            Some(&["home-manager"][..])
        );
        assert_eq!(
            declared_namespaces("inputs.agenix.nixosModules.default"),
            Some(&["age"][..])
        );
        assert_eq!(declared_namespaces("inputs.mystery.nixosModules.x"), None);
        assert!(!may_declare_top_level(
            "inputs.sops-nix.nixosModules.sops",
            "custom"
        ));
        assert!(may_declare_top_level(
            "inputs.custom.nixosModules.default",
            "custom"
        ));
        assert!(!may_declare_top_level(
            "inputs.mystery.nixosModules.x",
            "custom"
        ));
        assert!(may_declare_top_level(
            "/nix/store/x-source/module.nix",
            "custom"
        ));
    }
}
