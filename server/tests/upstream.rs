//! Upstream trees end to end: the nixpkgs- and home-manager-shaped fixture
//! trees indexed by the real code path, set on a repo, and asserted through
//! completion, hover and diagnostics; and the cache's corrupt/rebuild rules.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flakelens::upstream::{cache, sources, tree};
use flakelens_analysis::upstream::{UpstreamIndex, UpstreamKind};
use flakelens_ide::AnalysisHost;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/upstream")
        .join(name)
}

fn nixpkgs() -> Arc<UpstreamIndex> {
    Arc::new(tree::index_tree(
        &fixture("nixpkgs-mini"),
        UpstreamKind::Nixos,
    ))
}

fn home() -> Arc<UpstreamIndex> {
    Arc::new(tree::index_tree(
        &fixture("home-manager-mini"),
        UpstreamKind::Home,
    ))
}

const FLAKE: &str = r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs";
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.neptune = nixpkgs.lib.nixosSystem {
      modules = [ ./host.nix ];
    };
  };
}
"#;

fn repo(host: &str) -> AnalysisHost {
    let mut analysis = AnalysisHost::new();
    analysis.load(
        "/repo".into(),
        vec![
            ("/repo/flake.nix".into(), FLAKE.into()),
            ("/repo/host.nix".into(), host.into()),
        ],
        Vec::new(),
        Default::default(),
    );
    analysis.set_upstream(Some(nixpkgs()), Some(home()), None);
    analysis
}

fn messages(analysis: &AnalysisHost) -> Vec<String> {
    let mut out = Vec::new();
    for (_, diagnostics) in analysis.analysis().workspace_diagnostics().unwrap() {
        for d in diagnostics {
            out.push(format!("{}: {}", d.code, d.message));
        }
    }
    out.sort();
    out
}

#[test]
fn fixture_tree_is_indexed_with_submodules_generated_and_renamed_options() {
    let index = nixpkgs();
    assert!(index.complete(), "{:?}", index.unknown_files);
    let paths: Vec<String> = index
        .options
        .iter()
        .map(|o| {
            flakelens_analysis::display_path(&flakelens_analysis::upstream::path_from(&o.path))
        })
        .collect();
    for expected in [
        "services.openssh.enable",
        "services.openssh.package",
        "services.prometheus.exporters.node.port",
        "services.prometheus.exporters.nginx.enable",
        "users.users.<name>.uid",
        "services.ssh.enable",
        "services.oldthing",
        "networking.firewall.enable",
    ] {
        assert!(
            paths.contains(&expected.to_string()),
            "{expected} missing: {paths:?}"
        );
    }
    let ports = index
        .options
        .iter()
        .find(|o| o.line == 10 && o.file == "nixos/modules/services/openssh.nix")
        .unwrap();
    assert_eq!(ports.column, 5);
    assert_eq!(ports.ty.constructor(), "listOf");
    assert!(ports
        .description
        .as_deref()
        .unwrap()
        .contains("> **Note:**"));
}

#[test]
fn typo_in_an_upstream_namespace_is_reported_with_a_suggestion() {
    let analysis = repo(
        "{ ... }: {\n  services.opensh.enable = true;\n  networking.hostName = \"neptune\";\n}\n",
    );
    assert_eq!(
        messages(&analysis),
        vec![
            "unknown-option: services.opensh.enable is not an option; did you mean services.openssh.enable?"
                .to_string()
        ]
    );
}

#[test]
fn unindexed_external_module_keeps_upstream_namespaces_quiet() {
    let flake = FLAKE.replace(
        "modules = [ ./host.nix ];",
        "modules = [ ./host.nix inputs.sops.nixosModules.default ];",
    );
    let mut analysis = AnalysisHost::new();
    analysis.load(
        "/repo".into(),
        vec![
            (
                "/repo/flake.nix".into(),
                flake.replace("{ self, nixpkgs, ... }", "inputs@{ self, nixpkgs, ... }"),
            ),
            (
                "/repo/host.nix".into(),
                "{ ... }: { services.opensh.enable = true; }\n".into(),
            ),
        ],
        Vec::new(),
        Default::default(),
    );
    analysis.set_upstream(Some(nixpkgs()), None, None);
    assert_eq!(messages(&analysis), Vec::<String>::new());
}

#[test]
fn renamed_removed_read_only_and_types() {
    let analysis = repo(
        "{ pkgs, ... }: {\n  services.ssh.enable = true;\n  services.oldthing = 1;\n  system.build.toplevel = pkgs.hello;\n  system.stateVersion = \"24.05\";\n  networking.name = \"x\";\n  services.openssh.ports = [ \"22\" ];\n  users.users.alice.uid = 1000;\n}\n",
    );
    assert_eq!(
        messages(&analysis),
        vec![
            "read-only-option: system.build.toplevel is read-only and already set by nixpkgs".to_string(),
            "removed-option: services.oldthing has been removed: Use services.newthing instead.".to_string(),
            "renamed-option: services.ssh.enable has been renamed to services.openssh.enable".to_string(),
            "type-mismatch: services.openssh.ports: expected a port (0–65535), found the string \"22\" (element 1 of the list)".to_string(),
        ]
    );
}

#[test]
fn indexes_set_after_the_first_answers_are_seen() {
    // The LSP publishes diagnostics and answers requests before the
    // upstream indexes are loaded; setting them later must reach memos
    // computed before (it did not when the input was created late).
    let text = "{ ... }: {\n  networking.hostName = \"n\";\n  services.opensh.enable = true;\n}\n";
    let mut analysis = AnalysisHost::new();
    analysis.load(
        "/repo".into(),
        vec![
            ("/repo/flake.nix".into(), FLAKE.into()),
            ("/repo/host.nix".into(), text.into()),
        ],
        Vec::new(),
        Default::default(),
    );
    let offset = (text.find("hostName").unwrap() + 2) as u32;
    assert!(messages(&analysis).is_empty());
    assert!(analysis
        .analysis()
        .hover("/repo/host.nix", offset.into())
        .unwrap()
        .is_none());
    analysis.set_upstream(Some(nixpkgs()), Some(home()), None);
    let hover = analysis
        .analysis()
        .hover("/repo/host.nix", offset.into())
        .unwrap()
        .expect("hover on an upstream option");
    assert!(hover.markdown.contains("types.str"), "{}", hover.markdown);
    assert!(
        messages(&analysis)
            .iter()
            .any(|m| m.contains("services.opensh.enable")),
        "{:?}",
        messages(&analysis)
    );
}

#[test]
fn completion_and_hover_use_the_upstream_index() {
    let text = "{ ... }: {\n  services.openssh.enable = true;\n  networking.hostName = \"n\";\n  services.\n}\n";
    let analysis = repo(text);
    let snapshot = analysis.analysis();
    let offset = text.find("services.\n").unwrap() + "services.".len();
    let items = snapshot
        .completions("/repo/host.nix", (offset as u32).into())
        .unwrap();
    let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
    assert!(labels.contains(&"openssh"), "{labels:?}");
    assert!(labels.contains(&"prometheus"), "{labels:?}");
    // Renamed and removed options are not offered.
    assert!(
        !labels.contains(&"ssh") && !labels.contains(&"oldthing"),
        "{labels:?}"
    );
    let offset = text.find("openssh.enable").unwrap() + "openssh.".len();
    let items = snapshot
        .completions("/repo/host.nix", (offset as u32).into())
        .unwrap();
    let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
    assert!(
        labels.contains(&"ports") && !labels.contains(&"internalState"),
        "{labels:?}"
    );
    let offset = text.find("hostName").unwrap() + 2;
    let hover = snapshot
        .hover("/repo/host.nix", (offset as u32).into())
        .unwrap()
        .unwrap();
    assert!(hover.markdown.contains("types.str"), "{}", hover.markdown);
    assert!(
        hover.markdown.contains("`networking.domain`"),
        "{}",
        hover.markdown
    );
    assert!(
        hover.markdown.contains("`hostname(1)`"),
        "{}",
        hover.markdown
    );
    assert!(
        hover
            .markdown
            .contains("nixos/modules/config/networking.nix:5"),
        "{}",
        hover.markdown
    );
}

#[test]
fn home_manager_users_use_the_home_manager_index_and_nixos_hosts_do_not() {
    let analysis = repo(
        "{ ... }: {\n  home-manager.users.alice = { programs.git.enable = true; programs.git.userNam = \"a\"; };\n  programs.git.enable = true;\n}\n",
    );
    let messages = messages(&analysis);
    assert!(
        messages.contains(&"unknown-option: programs.git.userNam is not an option; did you mean programs.git.userName?".to_string()),
        "{messages:?}"
    );
    // `programs.git` is not a NixOS option of the fixture tree: not claimed.
    assert!(
        messages.iter().all(|m| !m.contains("programs.git.enable")),
        "{messages:?}"
    );
}

#[test]
fn cache_round_trips_and_rejects_corrupt_truncated_and_foreign_files() {
    let dir = std::env::temp_dir().join(format!("flakelens-upstream-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let root = fixture("nixpkgs-mini").canonicalize().unwrap();
    let files = tree::tree_files(&root, UpstreamKind::Nixos);
    let fingerprint = cache::fingerprint(&root, &files);
    let path = cache::cache_file(&dir, &root, UpstreamKind::Nixos);
    assert_eq!(
        cache::load(&path, &root, &fingerprint),
        Err(cache::Miss::Absent)
    );
    let index = tree::index_tree(&root, UpstreamKind::Nixos);
    cache::store(&path, &root, &fingerprint, &index).unwrap();
    assert_eq!(cache::load(&path, &root, &fingerprint).as_ref(), Ok(&index));
    // Another tree's fingerprint.
    assert_eq!(cache::load(&path, &root, b"other"), Err(cache::Miss::Stale));
    let bytes = std::fs::read(&path).unwrap();
    // Truncated.
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(
        cache::load(&path, &root, &fingerprint),
        Err(cache::Miss::Invalid(_))
    ));
    // One byte flipped in the payload.
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x40;
    std::fs::write(&path, &flipped).unwrap();
    assert!(matches!(
        cache::load(&path, &root, &fingerprint),
        Err(cache::Miss::Invalid(_))
    ));
    // Another format version.
    let mut foreign = bytes.clone();
    foreign[8] = foreign[8].wrapping_add(1);
    std::fs::write(&path, &foreign).unwrap();
    assert!(matches!(
        cache::load(&path, &root, &fingerprint),
        Err(cache::Miss::Invalid(_))
    ));
    // index_one rebuilds over a corrupt file and writes a good one back.
    std::fs::write(&path, b"garbage").unwrap();
    let found = sources::Found {
        tree: sources::Tree::Nixpkgs,
        path: root.clone(),
        how: sources::How::Explicit("test".into()),
    };
    let rebuilt = flakelens::upstream::index_one(&found, Some(&dir));
    assert!(!rebuilt.from_cache);
    assert!(matches!(rebuilt.cache_miss, Some(cache::Miss::Invalid(_))));
    let again = flakelens::upstream::index_one(&found, Some(&dir));
    assert!(again.from_cache);
    assert_eq!(again.index, rebuilt.index);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_tree_that_may_be_another_version_informs_hover_but_no_diagnostic() {
    // The same mistakes as above, against a tree found via NIX_PATH while
    // flake.lock pins nixpkgs elsewhere: another version may well have the
    // option (or type) the repo uses, so nothing is claimed.
    let host = "{ pkgs, ... }: {\n  services.opensh.enable = true;\n  services.ssh.enable = true;\n  services.oldthing = 1;\n  system.build.toplevel = pkgs.hello;\n  services.openssh.ports = [ \"22\" ];\n}\n";
    let mut analysis = repo(host);
    let mut unsure = (*nixpkgs()).clone();
    unsure.version_unsure = true;
    analysis.set_upstream(Some(Arc::new(unsure)), Some(home()), None);
    assert_eq!(messages(&analysis), Vec::<String>::new());
    let hover = analysis
        .analysis()
        .hover(
            "/repo/host.nix",
            (host.find("ports").unwrap() as u32).into(),
        )
        .unwrap();
    assert!(hover.is_some(), "hover still uses the tree");
    // The same tree trusted reports them.
    assert_eq!(
        messages(&repo(host)).len(),
        5,
        "{:?}",
        messages(&repo(host))
    );
}

#[test]
fn renamed_upstream_option_quick_fix_and_upstream_semantic_tokens() {
    let host =
        "{ pkgs, ... }: {\n  services.ssh.enable = true;\n  services.openssh.ports = [ 22 ];\n}\n";
    let analysis = repo(host).analysis();
    let at = host.find("ssh.enable").unwrap() as u32;
    let actions = analysis
        .code_actions(
            "/repo/host.nix",
            flakelens_syntax::TextRange::empty(at.into()),
        )
        .unwrap();
    let labels: Vec<&str> = actions.iter().map(|a| a.label.as_str()).collect();
    assert_eq!(labels, ["Change to `services.openssh.enable`"]);
    let edit = &actions[0].edits[0];
    let mut fixed = host.to_string();
    fixed.replace_range(
        usize::from(edit.range.start())..usize::from(edit.range.end()),
        &edit.replacement,
    );
    assert_eq!(messages(&repo(&fixed)), Vec::<String>::new(), "{fixed}");

    // `services.openssh.ports`: upstream namespaces and an upstream option.
    use flakelens_ide::semantic::TokenKind;
    let tokens = analysis.semantic_tokens("/repo/host.nix").unwrap();
    let ports = host.find("ports").unwrap() as u32;
    let token = tokens
        .iter()
        .find(|t| u32::from(t.range.start()) == ports)
        .unwrap_or_else(|| panic!("{tokens:?}"));
    assert_eq!(token.kind, TokenKind::UpstreamOption);
    let openssh = host.find("openssh").unwrap() as u32;
    assert!(tokens
        .iter()
        .any(|t| u32::from(t.range.start()) == openssh && t.kind == TokenKind::Namespace));
}
