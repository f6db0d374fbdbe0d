//! Which diagnostics `check FILE…` reports: those in the given files, and
//! those elsewhere that the given files can cause.
//!
//! The rule (docs/cli.md, "Checking some files"): a diagnostic in another
//! file is kept when
//! 1. one of its related locations is in a given file (an option declared
//!    there is set wrongly, or set by a host that does not import it), or
//! 2. it is about options (`unknown-option`, `type-mismatch`,
//!    `option-not-imported`, `duplicate-declaration`) and lies in the module
//!    closure of a host that uses a given file — as a module, or as the file
//!    defining the host. Removing or changing a declaration breaks the hosts
//!    importing it; without the old version of the file flakelens cannot tell
//!    which of their errors are new, so it shows all of that kind.
//!
//! The caller adds `flakelens.toml` to the given files: its problems change
//! how every file is checked.

use std::collections::BTreeSet;

use flakelens_ide::{Diagnostic, HostInfo};

/// Codes whose cause may be a declaration in another file.
const OPTION_CODES: &[&str] = &[
    "unknown-option",
    "type-mismatch",
    "option-not-imported",
    "duplicate-declaration",
];

/// Files whose option diagnostics a change to `given` can cause.
pub fn affected_files(hosts: &[HostInfo], given: &[String]) -> BTreeSet<String> {
    let mut affected = BTreeSet::new();
    for host in hosts {
        let defined_in = host.defined_at.as_ref().map(|(path, _)| path);
        let uses_given = host.closure.iter().any(|file| given.contains(file))
            || defined_in.is_some_and(|path| given.contains(path));
        if uses_given {
            affected.extend(host.closure.iter().cloned());
            affected.extend(defined_in.cloned());
        }
    }
    affected
}

/// Keeps the diagnostics that `check FILE…` reports for `given`.
pub fn retain_for_files(
    diagnostics: &mut Vec<(String, Vec<Diagnostic>)>,
    given: &[String],
    affected: &BTreeSet<String>,
) {
    for (path, list) in diagnostics.iter_mut() {
        if given.contains(path) {
            continue;
        }
        let in_affected = affected.contains(path);
        list.retain(|diagnostic| {
            diagnostic
                .related
                .iter()
                .any(|(position, _)| given.contains(&position.path))
                || (in_affected && OPTION_CODES.contains(&diagnostic.code))
        });
    }
    diagnostics.retain(|(_, list)| !list.is_empty());
}

#[cfg(test)]
mod tests {
    use super::*;
    use flakelens_ide::{FilePosition, Severity};
    use flakelens_syntax::TextRange;

    fn diagnostic(code: &'static str, related: &[&str]) -> Diagnostic {
        Diagnostic {
            range: TextRange::empty(0.into()),
            severity: Severity::Error,
            code,
            message: String::new(),
            related: related
                .iter()
                .map(|path| {
                    (
                        FilePosition {
                            path: path.to_string(),
                            range: TextRange::empty(0.into()),
                        },
                        String::new(),
                    )
                })
                .collect(),
            fixes: Vec::new(),
        }
    }

    fn host(name: &str, defined_in: &str, closure: &[&str]) -> HostInfo {
        HostInfo {
            name: name.into(),
            kind: "nixos",
            defined_at: Some((defined_in.into(), TextRange::empty(0.into()))),
            roots: Vec::new(),
            closure: closure.iter().map(|s| s.to_string()).collect(),
            inline_modules: 0,
            external_modules: Vec::new(),
            missing: Vec::new(),
            has_unknown_modules: false,
        }
    }

    #[test]
    fn keeps_given_files_related_and_option_errors_of_affected_hosts() {
        let hosts = [
            host("a", "/r/flake.nix", &["/r/a.nix", "/r/mod.nix"]),
            host("b", "/r/flake.nix", &["/r/b.nix"]),
        ];
        let given = vec!["/r/mod.nix".to_string()];
        let affected = affected_files(&hosts, &given);
        assert_eq!(
            affected.iter().map(String::as_str).collect::<Vec<_>>(),
            ["/r/a.nix", "/r/flake.nix", "/r/mod.nix"]
        );
        let mut diagnostics = vec![
            (
                "/r/mod.nix".to_string(),
                vec![diagnostic("syntax-error", &[])],
            ),
            (
                "/r/a.nix".to_string(),
                vec![
                    diagnostic("unknown-option", &[]),
                    diagnostic("missing-import", &[]),
                ],
            ),
            (
                "/r/b.nix".to_string(),
                vec![
                    diagnostic("option-not-imported", &["/r/mod.nix"]),
                    diagnostic("unknown-option", &[]),
                ],
            ),
            (
                "/r/c.nix".to_string(),
                vec![diagnostic("syntax-error", &[])],
            ),
        ];
        retain_for_files(&mut diagnostics, &given, &affected);
        let kept: Vec<(&str, Vec<&str>)> = diagnostics
            .iter()
            .map(|(path, list)| (path.as_str(), list.iter().map(|d| d.code).collect()))
            .collect();
        assert_eq!(
            kept,
            [
                ("/r/mod.nix", vec!["syntax-error"]),
                ("/r/a.nix", vec!["unknown-option"]),
                ("/r/b.nix", vec!["option-not-imported"]),
            ]
        );
    }

    #[test]
    fn the_flake_file_affects_every_host_it_defines() {
        let hosts = [host("a", "/r/flake.nix", &["/r/a.nix"])];
        let affected = affected_files(&hosts, &["/r/flake.nix".to_string()]);
        assert!(affected.contains("/r/a.nix"));
    }
}
