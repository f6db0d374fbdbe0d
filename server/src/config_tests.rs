//! Tests of `flakelens.toml` and editor settings parsing.

use super::*;

/// "line:column: message" (1-based, columns in characters) per problem.
fn located(text: &str, problems: &[Problem]) -> Vec<String> {
    problems
        .iter()
        .map(|problem| {
            let before = &text[..problem.range.start];
            let line = before.matches('\n').count() + 1;
            let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
                .chars()
                .count()
                + 1;
            let kind = if problem.is_error { "error" } else { "warning" };
            format!("{line}:{column}: {kind}: {}", problem.message)
        })
        .collect()
}

#[test]
fn every_key_is_parsed() {
    let text = r#"
exclude = ["templates/**", "**/*.snippet.nix"]

[diagnostics]
duplicate-package = "off"
missing-host-file = "error"

[packages]
directories = ["pkgs", "other/pkgs/", "./pkgs"]

[upstream]
nixpkgs = "/src/nixpkgs"
home-manager = "../home-manager"
nix-darwin = "vendor/nix-darwin"

[hosts]
roots = ["machines"]
darwin = ["systems/macos"]
home = ["homes/bob.nix"]
"#;
    let (config, problems) = parse_toml(text, "/repo");
    assert_eq!(problems, vec![]);
    let settings = config.to_settings(Vec::new());
    assert_eq!(settings.exclude, ["templates/**", "**/*.snippet.nix"]);
    assert_eq!(
        settings.diagnostic_levels,
        [
            ("duplicate-package".to_string(), DiagnosticLevel::Off),
            ("missing-host-file".to_string(), DiagnosticLevel::Error)
        ]
    );
    assert_eq!(
        settings.package_directories,
        ["/repo/pkgs", "/repo/other/pkgs"]
    );
    assert_eq!(
        settings.upstream,
        UpstreamPaths {
            nixpkgs: Some("/src/nixpkgs".into()),
            home_manager: Some("/home-manager".into()),
            nix_darwin: Some("/repo/vendor/nix-darwin".into()),
        }
    );
    assert_eq!(
        settings.host_roots,
        [
            "/repo/machines",
            "darwin:/repo/systems/macos",
            "home:/repo/homes/bob.nix"
        ]
    );
}

#[test]
fn empty_file_is_the_default() {
    let (config, problems) = parse_toml("", "/repo");
    assert_eq!((config, problems), (Config::default(), vec![]));
    assert_eq!(Config::default().to_settings(vec![]), Settings::default());
}

#[test]
fn problems_have_positions_and_the_rest_applies() {
    let text = r#"unknown = true
exclude = ["ok/**", "bad/[z-a].nix", 3]

[packages]
directories = "pkgs"
extra = 1

[diagnostics]
type-mismatch = "warning"
unknown-option = "loud"
no-such-code = "off"

[upstream]
nixpkgs = 1
home-manager = "hm"

[hosts]
roots = ["machines"]
"#;
    let (config, problems) = parse_toml(text, "/repo");
    assert_eq!(
        located(text, &problems),
        [
            "1:1: warning: unknown key `unknown`; ignored",
            "2:21: error: bad glob `bad/[z-a].nix`: invalid range; 'z' > 'a'; ignored",
            "2:38: error: exclude must hold strings, found integer; ignored",
            "5:15: error: packages.directories must be an array of strings, found string `\"pkgs\"`",
            "6:1: warning: unknown key `extra` in [packages]; ignored",
            "10:18: error: diagnostics.unknown-option must be \"off\", \"warning\" or \"error\", found string `\"loud\"`",
            "11:1: warning: unknown diagnostic code `no-such-code`; ignored",
            "14:11: error: upstream.nixpkgs must be a string (a path), found integer `1`",
        ]
    );
    // Everything valid still applies.
    assert_eq!(config.exclude, Some(vec!["ok/**".to_string()]));
    assert_eq!(config.package_directories, None);
    assert_eq!(
        config.diagnostics,
        BTreeMap::from([("type-mismatch".to_string(), DiagnosticLevel::Warning)])
    );
    assert_eq!(config.home_manager, Some("/repo/hm".to_string()));
    assert_eq!(config.nixpkgs, None);
    assert_eq!(config.host_roots, Some(vec!["/repo/machines".to_string()]));
}

#[test]
fn toml_syntax_errors_and_paths_above_the_root() {
    let text = "[packages\n";
    let (config, problems) = parse_toml(text, "/repo");
    assert_eq!(config, Config::default());
    let found = located(text, &problems);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("1:10: error: invalid TOML: "),
        "{found:?}"
    );
    assert!(!found[0].contains('\n'));

    let text = "[packages]\ndirectories = [\"pkgs\", \"../../x\"]\n";
    let (config, problems) = parse_toml(text, "/repo");
    assert_eq!(config.package_directories, Some(vec!["/repo/pkgs".into()]));
    assert_eq!(
        located(text, &problems),
        ["2:24: error: `../../x` is not a valid path; ignored"]
    );
}

#[test]
fn the_file_wins_over_the_editor_key_by_key() {
    let (file, _) = parse_toml(
        "[diagnostics]\ntype-mismatch = \"warning\"\n[packages]\ndirectories = [\"pkgs\"]\n",
        "/repo",
    );
    let (editor, messages) = parse_editor(
        &serde_json::json!({
            "flakelens": {
                "exclude": ["scratch/**"],
                "diagnostics": { "type-mismatch": "off", "unknown-option": "warning" },
                "packages": { "directories": ["elsewhere"] },
                "upstream": { "nixpkgs": "/src/nixpkgs", "nix-darwin": null },
            }
        }),
        "/repo",
    );
    assert_eq!(messages, Vec::<String>::new());
    let merged = file.over(editor).to_settings(Vec::new());
    assert_eq!(merged.exclude, ["scratch/**"]);
    assert_eq!(merged.package_directories, ["/repo/pkgs"]);
    assert_eq!(
        merged.diagnostic_levels,
        [
            ("type-mismatch".to_string(), DiagnosticLevel::Warning),
            ("unknown-option".to_string(), DiagnosticLevel::Warning)
        ]
    );
    assert_eq!(merged.upstream.nixpkgs.as_deref(), Some("/src/nixpkgs"));
}

#[test]
fn editor_settings_problems_are_messages() {
    let (config, messages) = parse_editor(
        &serde_json::json!({ "exclude": "x", "hosts": { "roots": ["m"] }, "colour": 1 }),
        "/repo",
    );
    assert_eq!(config.host_roots, Some(vec!["/repo/m".to_string()]));
    assert_eq!(
        messages,
        [
            "editor settings: unknown key `colour`; ignored",
            "editor settings: exclude must be an array of strings, found string `\"x\"`",
        ]
    );
    let (_, messages) = parse_editor(&serde_json::json!(["x"]), "/repo");
    assert_eq!(messages, ["editor settings: expected an object"]);
    assert_eq!(
        parse_editor(&serde_json::Value::Null, "/repo"),
        (Config::default(), vec![])
    );
}

#[test]
fn what_the_vs_code_extension_sends() {
    let (config, messages) = parse_editor(
        &serde_json::json!({ "flakelens": {
            "upstream": { "nixpkgs": "/src/nixpkgs", "homeManager": null, "nixDarwin": "" },
            "diagnostics": { "disabled": ["unknown-option", "nope"] },
            "server": { "path": "/bin/flakelens" },
            "trace": { "server": "off" },
        } }),
        "/repo",
    );
    assert_eq!(
        messages,
        ["editor settings: unknown diagnostic code `nope`; ignored"]
    );
    assert_eq!(config.nixpkgs.as_deref(), Some("/src/nixpkgs"));
    assert_eq!((config.home_manager, config.nix_darwin), (None, None));
    assert_eq!(
        config.diagnostics,
        BTreeMap::from([("unknown-option".to_string(), DiagnosticLevel::Off)])
    );
    // The same spelling works in flakelens.toml.
    let (config, problems) = parse_toml("[diagnostics]\ndisabled = [\"type-mismatch\"]\n", "/r");
    assert_eq!(problems, vec![]);
    assert_eq!(
        config.diagnostics,
        BTreeMap::from([("type-mismatch".to_string(), DiagnosticLevel::Off)])
    );
}
