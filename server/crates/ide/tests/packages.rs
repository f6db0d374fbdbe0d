//! The package set in the editor and in `flakelens packages`: go to
//! definition, hover and completion on package references, and the package
//! listing of every `s7-*` pattern fixture (snapshot).

mod common;

use common::on_big_stack;
use flakelens_ide::fixture::with_cursor;
use flakelens_ide::packages::PackageCompletionKind;
use flakelens_ide::AnalysisHost;
use flakelens_syntax::TextSize;

fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// The poglets fixture (tests/fixtures/poglets) loaded at root `/`.
fn poglets() -> AnalysisHost {
    let dir = repo_root().join("tests/fixtures/poglets");
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "nix") {
                let vfs = format!("/{}", path.strip_prefix(&dir).unwrap().display());
                files.push((vfs, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut host = AnalysisHost::new();
    host.load("/".to_string(), files, Vec::new(), Default::default());
    host
}

fn offset_of(host: &AnalysisHost, path: &str, needle: &str, within: usize) -> TextSize {
    let text = host.analysis().file_text(path).unwrap();
    let index = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {path}"));
    TextSize::from((index + within) as u32)
}

#[test]
fn poglets_module_default_goes_to_the_recipe_derivation_call() {
    on_big_stack(|| {
        let host = poglets();
        let module = "/hosts/modules/servers/poglets.nix";
        let offset = offset_of(
            &host,
            module,
            "default = pkgs.poglets;",
            "default = pkgs.pog".len(),
        );
        let analysis = host.analysis();
        let (path, range) = analysis
            .package_definition(module, offset)
            .unwrap()
            .unwrap();
        assert_eq!(path, "/pkgs/server/poglets.nix");
        let text = analysis.file_text(&path).unwrap();
        let target = &text[range];
        assert!(target.starts_with("buildGo124Module rec {"), "{target}");
        assert!(target.trim_end().ends_with('}'));
    });
}

#[test]
fn poglets_hover_shows_version_builder_recipe_and_overlay() {
    on_big_stack(|| {
        let host = poglets();
        let module = "/hosts/modules/servers/poglets.nix";
        let offset = offset_of(
            &host,
            module,
            "default = pkgs.poglets;",
            "default = pkgs.p".len(),
        );
        let (range, markdown) = host
            .analysis()
            .package_hover(module, offset)
            .unwrap()
            .unwrap();
        let text = host.analysis().file_text(module).unwrap();
        assert_eq!(&text[range], "poglets");
        expect_test::expect![[r#"
            **poglets** `0.3.1` — package

            A TCP tunneling system

            - builder: `buildGo124Module`
            - recipe: `pkgs/server/poglets.nix`
            - homepage: <https://github.com/jpillora/poglets>
            - exposed by: overlay overlays.default (mods/_pkgs.nix); packages.x86_64-linux"#]]
        .assert_eq(&markdown);
    });
}

#[test]
fn poglets_completion_after_pkgs_dot_lists_repo_packages() {
    on_big_stack(|| {
        let mut host = poglets();
        let module = "/hosts/modules/servers/poglets.nix";
        let text = host.analysis().file_text(module).unwrap().to_string();
        let edited = text.replace("default = pkgs.poglets;", "default = pkgs.pog;");
        host.set_file_text(module, &edited);
        let offset = offset_of(
            &host,
            module,
            "default = pkgs.pog;",
            "default = pkgs.pog".len(),
        );
        let items = host.analysis().package_completions(module, offset).unwrap();
        let summary: Vec<String> = items
            .iter()
            .map(|item| {
                format!(
                    "{} {:?} {} {}",
                    item.label,
                    item.kind,
                    item.version.as_deref().unwrap_or("-"),
                    item.description.as_deref().unwrap_or("-")
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                "hello-nix Package 1.0.0 Prints a friendly greeting".to_string(),
                "poglets Package 0.3.1 A TCP tunneling system".to_string(),
            ]
        );
        let replaced = &edited[items[0].replace];
        assert_eq!(replaced, "pog");
    });
}

const SHAPES: &str = r#"
#- /flake.nix
{
  outputs = { self, nixpkgs }: let system = "x86_64-linux"; in {
    overlays.default = final: prev: {
      poglets = final.callPackage ./pkgs/poglets.nix { };
      mine = { tool = final.callPackage ./pkgs/tool.nix { }; };
      wrapped = final.writeShellScriptBin "w" "${FINAL}/bin/poglets";
    };
    packages.${system}.poglets = nixpkgs.legacyPackages.${system}.callPackage ./pkgs/poglets.nix { };
    apps.${system}.default = { type = "app"; program = "${SELF}/bin/poglets"; };
    nixosConfigurations.host = nixpkgs.lib.nixosSystem {
      modules = [ { nixpkgs.overlays = [ self.overlays.default ]; } ./host.nix ];
    };
  };
}
#- /pkgs/poglets.nix
{ buildGoModule }:
buildGoModule { pname = "poglets"; version = "0.3.1"; src = ./.; vendorHash = null; }
#- /pkgs/tool.nix
{ stdenv }:
stdenv.mkDerivation { pname = "tool"; version = "2"; }
#- /host.nix
{ pkgs, lib, ... }:
{
  environment.systemPackages = HOST;
}
"#;

/// The definition target (path and first word there) for a fixture where
/// `FINAL`, `SELF` or `HOST` is replaced by `code` (holding `$0`).
fn definition_with(slot: &str, code: &str) -> Option<(String, String)> {
    let fixture = SHAPES
        .replace(slot, code)
        .replace("FINAL", "final.poglets")
        .replace("SELF", "self.packages.${system}.poglets")
        .replace("HOST", "[ ]");
    let fixture = fixture.to_string();
    on_big_stack(move || {
        let (host, path, offset) = with_cursor(&fixture);
        let analysis = host.analysis();
        let (target, range) = analysis.package_definition(&path, offset).unwrap()?;
        let text = analysis.file_text(&target).unwrap();
        let word = text[range]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        Some((target, word))
    })
}

#[test]
fn every_reference_shape_resolves() {
    let poglets = Some(("/pkgs/poglets.nix".to_string(), "buildGoModule".to_string()));
    let tool = Some((
        "/pkgs/tool.nix".to_string(),
        "stdenv.mkDerivation".to_string(),
    ));
    let cases = [
        ("HOST", "[ pkgs.pog$0lets ]", &poglets),
        ("HOST", "[ \"${pkgs.pog$0lets}/bin/poglets\" ]", &poglets),
        ("HOST", "with pkgs; [ pog$0lets ]", &poglets),
        (
            "HOST",
            "let inherit (pkgs) pog$0lets; in [ poglets ]",
            &poglets,
        ),
        ("HOST", "[ pkgs.mine.to$0ol ]", &tool),
        ("HOST", "with pkgs.mine; [ to$0ol ]", &tool),
        ("FINAL", "final.pog$0lets", &poglets),
        ("SELF", "self.packages.${system}.pog$0lets", &poglets),
    ];
    for (slot, code, want) in cases {
        assert_eq!(&definition_with(slot, code), want, "{code}");
    }
}

#[test]
fn non_package_references_resolve_to_nothing() {
    for code in [
        // nixpkgs' own packages are not known: nothing is claimed.
        "[ pkgs.hel$0lo ]",
        // A lexical binding shadows `with pkgs;`.
        "with pkgs; let poglets = 1; in [ pog$0lets ]",
        // Not the package set.
        "[ lib.pog$0lets ]",
        // A namespace, not a package.
        "[ pkgs.mi$0ne.tool ]",
    ] {
        assert_eq!(definition_with("HOST", code), None, "{code}");
    }
}

#[test]
fn completion_after_nested_namespace_and_flake_packages() {
    let fixture = SHAPES
        .replace("HOST", "[ pkgs.mine.$0 ]")
        .replace("FINAL", "x")
        .replace("SELF", "x");
    let labels = on_big_stack(move || {
        let (host, path, offset) = with_cursor(&fixture);
        host.analysis()
            .package_completions(&path, offset)
            .unwrap()
            .into_iter()
            .map(|item| item.label)
            .collect::<Vec<_>>()
    });
    assert_eq!(labels, vec!["tool".to_string()]);

    let fixture = SHAPES
        .replace("HOST", "[ pkgs.$0 ]")
        .replace("FINAL", "x")
        .replace("SELF", "x");
    let items = on_big_stack(move || {
        let (host, path, offset) = with_cursor(&fixture);
        host.analysis().package_completions(&path, offset).unwrap()
    });
    let labels: Vec<(&str, PackageCompletionKind)> = items
        .iter()
        .map(|item| (item.label.as_str(), item.kind))
        .collect();
    assert_eq!(
        labels,
        vec![
            ("mine", PackageCompletionKind::Namespace),
            ("poglets", PackageCompletionKind::Package),
            // Built inline by a builder: a package of the overlay too.
            ("wrapped", PackageCompletionKind::Package)
        ]
    );
}
