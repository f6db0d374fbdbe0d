//! Packaging for Nix users: the repository's flake.nix parses, and its
//! outputs have the documented shape (evaluated with `nix-instantiate`
//! against a stub nixpkgs, since nixpkgs cannot be fetched here); and
//! `flakelens check` on this repository itself is clean.

use std::path::Path;
use std::process::Command;

mod common;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn flake_nix_parses_and_has_every_output_for_four_systems() {
    let Some(nix_instantiate) = common::find_tool("nix-instantiate") else {
        common::skip_or_fail("nix-instantiate (Debian nix-bin) is not installed");
        return;
    };
    let parsed = Command::new(&nix_instantiate)
        .args(["--parse", "flake.nix"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );

    let evaluated = Command::new(&nix_instantiate)
        .args(["--eval", "--strict", "--json", "tests/nix/eval-flake.nix"])
        .current_dir(repo())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&evaluated.stdout);
    assert!(
        evaluated.status.success(),
        "{}",
        String::from_utf8_lossy(&evaluated.stderr)
    );
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let systems = serde_json::json!([
        "aarch64-darwin",
        "aarch64-linux",
        "x86_64-darwin",
        "x86_64-linux"
    ]);
    // packages, apps and devShells each for the four systems.
    assert_eq!(
        value["systems"],
        serde_json::json!([systems, systems, systems])
    );
    assert_eq!(value["pname"], "flakelens");
    assert_eq!(value["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(value["FLAKELENS_GIT_COMMIT"], "0123456789ab");
    assert_eq!(
        value["lock"],
        repo()
            .canonicalize()
            .unwrap()
            .join("Cargo.lock")
            .to_str()
            .unwrap()
    );
    assert_eq!(value["mainProgram"], "flakelens");
    assert_eq!(
        value["app"],
        serde_json::json!({
            "type": "app",
            "program": "/nix/store/stub-flakelens-aarch64-darwin/bin/flakelens"
        })
    );
    assert_eq!(value["overlay"], "flakelens");
    assert_eq!(value["shellFrom"], serde_json::json!(["flakelens"]));
}

#[test]
fn this_repository_checks_clean() {
    let output = Command::new(env!("CARGO_BIN_EXE_flakelens"))
        .args(["check", "--deny-warnings"])
        .arg(repo())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout, "no problems found\n");
}
