//! Snapshot of what the engine sees in every pattern fixture: hosts with
//! their module closures, and the options each fixture declares. The
//! snapshot file is reviewed like code: run with `UPDATE_EXPECT=1` after
//! an intended change and read the diff.

mod common;

use std::fmt::Write;

fn render(host: &flakelens_ide::AnalysisHost) -> String {
    let analysis = host.analysis();
    let mut out = String::new();
    for info in analysis.hosts().unwrap() {
        let _ = writeln!(out, "  host {} ({})", info.name, info.kind);
        for file in &info.closure {
            let _ = writeln!(out, "    module {file}");
        }
        if info.inline_modules > 0 {
            let _ = writeln!(out, "    inline modules: {}", info.inline_modules);
        }
        for external in &info.external_modules {
            let _ = writeln!(out, "    external {external}");
        }
        for missing in &info.missing {
            let _ = writeln!(out, "    missing {missing}");
        }
        if info.has_unknown_modules {
            let _ = writeln!(out, "    (unresolved imports)");
        }
    }
    for option in analysis.options(None).unwrap().unwrap_or_default() {
        let default = option
            .default
            .as_deref()
            .map(|d| format!(" = {}", d.split_whitespace().collect::<Vec<_>>().join(" ")))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  option {}: {}{default}",
            option.path, option.type_name
        );
    }
    out
}

#[test]
fn hosts_and_options_of_every_pattern_fixture() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/data/patterns");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "nixfixture"))
        .collect();
    paths.sort();
    let mut snapshot = String::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let files = common::parse_fixture(&text);
        let rendered = common::on_big_stack(move || render(&common::load_fixture(&files)));
        let _ = writeln!(snapshot, "{}", path.file_name().unwrap().to_string_lossy());
        snapshot.push_str(&rendered);
    }
    expect_test::expect_file!["../../../../tests/data/module-listing.txt"].assert_eq(&snapshot);
}

/// `hosts --explain`: an output attribute that is not a system, and a host
/// whose module list has an unknown entry, are each named with where the
/// expression is written; a fully known host gives nothing.
#[test]
fn explain_names_what_discovery_could_not_work_out() {
    let files = common::parse_fixture(
        r#"#- /flake.nix
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.mystery.url = "github:example/mystery";
  outputs = { nixpkgs, mystery, ... }: {
    nixosConfigurations = {
      plain = nixpkgs.lib.nixosSystem { modules = [ ./plain.nix ]; };
      odd = mystery.lib.makeHost { name = "odd"; };
      partial = nixpkgs.lib.nixosSystem { modules = [ ./plain.nix ] ++ mystery.extraModules; };
    };
  };
}
#- /plain.nix
{ ... }: { networking.hostName = "plain"; }
"#,
    );
    let explained = common::on_big_stack(move || {
        let host = common::load_fixture(&files);
        let analysis = host.analysis();
        analysis
            .explain_hosts()
            .unwrap()
            .into_iter()
            .map(|e| (e.subject, e.at.map(|(path, _)| path)))
            .collect::<Vec<_>>()
    });
    assert!(explained.contains(&(
        "nixosConfigurations.odd".to_string(),
        Some("/flake.nix".to_string())
    )));
    assert!(explained
        .iter()
        .any(|(subject, at)| subject == "host partial" && at.as_deref() == Some("/flake.nix")));
    assert!(!explained
        .iter()
        .any(|(subject, _)| subject.contains("plain")));
}
