//! Incrementality, proven with salsa's execution log: editing one file
//! re-parses only that file, and editing a value in one host re-runs only
//! that host's checks — not the option indexes.

mod common;

fn count(log: &[String], query: &str) -> usize {
    log.iter()
        .filter(|entry| entry.starts_with(&format!("{query}(")))
        .count()
}

#[test]
fn editing_a_host_value_reruns_only_that_hosts_checks() {
    let log = common::on_big_stack(|| {
        let files = common::poglets_files();
        let neptune = "/hosts/neptune/configuration.nix";
        let mut host = common::load_fixture(&files);
        let before = host.analysis().workspace_diagnostics().unwrap();
        assert!(before.is_empty(), "fixture is clean: {before:?}");

        let text = files.iter().find(|(p, _)| p == neptune).unwrap().1.clone();
        let edited = text.replace("port = 8420;", "port = \"8420\";");
        assert_ne!(text, edited);
        host.raw_database().start_query_log();
        host.set_file_text(neptune, &edited);
        let after = host.analysis().workspace_diagnostics().unwrap();
        let log = host.raw_database().take_query_log();
        assert_eq!(after.len(), 1, "{after:?}");
        assert_eq!(after[0].0, neptune);
        assert_eq!(after[0].1[0].code, "type-mismatch");
        log
    });
    let text = log.join("\n");
    assert_eq!(
        count(&log, "parse"),
        1,
        "only the edited file is re-parsed:\n{text}"
    );
    assert_eq!(
        count(&log, "host_options"),
        0,
        "option indexes are reused:\n{text}"
    );
    assert_eq!(
        count(&log, "repo_options"),
        0,
        "option indexes are reused:\n{text}"
    );
    assert_eq!(count(&log, "hosts"), 0, "the host list is reused:\n{text}");
    assert_eq!(
        count(&log, "host_closure"),
        0,
        "closures are reused:\n{text}"
    );
    assert_eq!(
        count(&log, "host_diagnostics"),
        1,
        "only neptune is re-checked:\n{text}"
    );
}

#[test]
fn editing_a_declaration_updates_other_files_diagnostics() {
    let result = common::on_big_stack(|| {
        let files = common::poglets_files();
        let module = "/hosts/modules/servers/poglets.nix";
        let mut host = common::load_fixture(&files);
        assert!(host.analysis().workspace_diagnostics().unwrap().is_empty());
        let text = files.iter().find(|(p, _)| p == module).unwrap().1.clone();
        // controlPort becomes a string option: neptune's 8421 is now wrong.
        let edited = text.replacen(
            "type = types.port;\n      default = 8001;",
            "type = types.str;\n      default = \"8001\";",
            1,
        );
        assert_ne!(text, edited, "fixture shape changed");
        host.set_file_text(module, &edited);
        host.analysis().workspace_diagnostics().unwrap()
    });
    assert_eq!(result.len(), 1, "{result:?}");
    assert_eq!(result[0].0, "/hosts/neptune/configuration.nix");
    assert!(
        result[0].1[0]
            .message
            .contains("controlPort: expected a string, found the integer 8421"),
        "{:?}",
        result[0].1
    );
}

/// Three hosts importing one option-declaring module, each with its own
/// host file (which declares nothing).
fn small_fleet() -> Vec<(String, String)> {
    common::parse_fixture(
        r#"
#- /flake.nix
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { nixpkgs, ... }: {
    nixosConfigurations = nixpkgs.lib.genAttrs [ "h0" "h1" "h2" ] (name:
      nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/${name}.nix ];
      });
  };
}
#- /modules/svc.nix
{ config, lib, ... }:
{
  options.my.svc.port = lib.mkOption { type = lib.types.port; default = 80; };
}
#- /hosts/h0.nix
{ imports = [ ../modules/svc.nix ]; my.svc.port = 8000; }
#- /hosts/h1.nix
{ imports = [ ../modules/svc.nix ]; my.svc.port = 8001; }
#- /hosts/h2.nix
{ imports = [ ../modules/svc.nix ]; my.svc.port = 8002; }
"#,
    )
}

#[test]
fn hosts_with_the_same_declaring_modules_share_one_option_index() {
    let (cold, edited, after) = common::on_big_stack(|| {
        let files = small_fleet();
        let mut host = common::load_fixture(&files);
        host.raw_database().start_query_log();
        let before = host.analysis().workspace_diagnostics().unwrap();
        assert!(before.is_empty(), "fixture is clean: {before:?}");
        let cold = host.raw_database().take_query_log();

        let module = "/modules/svc.nix";
        let text = files.iter().find(|(p, _)| p == module).unwrap().1.clone();
        let changed = text.replace("lib.types.port", "lib.types.str");
        assert_ne!(text, changed);
        host.raw_database().start_query_log();
        host.set_file_text(module, &changed);
        let after = host.analysis().workspace_diagnostics().unwrap();
        let edited = host.raw_database().take_query_log();
        (cold, edited, after)
    });
    let text = cold.join("\n");
    assert_eq!(count(&cold, "host_diagnostics"), 3, "{text}");
    assert_eq!(
        count(&cold, "decl_set_options"),
        1,
        "one index for three hosts:\n{text}"
    );
    assert_eq!(
        count(&cold, "module_clean"),
        4,
        "the shared module is checked once, each host file once:\n{text}"
    );
    // Every host now sets a string option to an integer.
    let files: Vec<&str> = after.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(files, ["/hosts/h0.nix", "/hosts/h1.nix", "/hosts/h2.nix"]);
    let text = edited.join("\n");
    assert_eq!(
        count(&edited, "decl_set_options"),
        1,
        "the shared index is rebuilt once, not per host:\n{text}"
    );
}
