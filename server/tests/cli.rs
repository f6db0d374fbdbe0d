//! End-to-end tests of the `flakelens` command line on copies of the
//! poglets fixture.

use std::path::Path;
use std::process::Command;

use common::TempDir;
use expect_test::expect;

mod common;

fn poglets(_name: &str) -> TempDir {
    TempDir::copy_of("poglets")
}

fn edit(scratch: &TempDir, file: &str, from: &str, to: &str) {
    scratch.edit(file, from, to);
}

fn flakelens(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_flakelens"))
        .args(args)
        .output()
        .expect("flakelens runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn clean_fixture_exits_zero() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/poglets");
    let (code, stdout, stderr) = flakelens(&["check", fixture.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout.trim(), "no problems found");
}

#[test]
fn the_three_case_study_mistakes_render_rustc_style() {
    let scratch = poglets("mistakes");
    let neptune = "hosts/neptune/configuration.nix";
    edit(&scratch, neptune, "port = 8420;", "port = \"8420\";");
    edit(
        &scratch,
        neptune,
        "controlPort = 8421;",
        "controlPort = 8421;\n      prot = 1;",
    );
    edit(
        &scratch,
        "hosts/venus/configuration.nix",
        "networking.hostName = \"venus\";",
        "networking.hostName = \"venus\";\n  services.poglets.enable = true;",
    );
    let (code, stdout, _) = flakelens(&["check", scratch.0.to_str().unwrap()]);
    assert_eq!(code, 1);
    expect![[r#"
        error[type-mismatch]: services.poglets.port: expected a port (0–65535), found the string "8420"
           ┌─ hosts/neptune/configuration.nix:15:14
           │
        15 │       port = "8420";
           │              ^^^^^^
           │
           ┌─ hosts/modules/servers/poglets.nix:19:5
           │
        19 │     port = mkOption {
           │     ---- option declared here

        error[unknown-option]: services.poglets.prot is not an option; did you mean services.poglets.port?
           ┌─ hosts/neptune/configuration.nix:17:7
           │
        17 │       prot = 1;
           │       ^^^^

        error[option-not-imported]: services.poglets.enable is declared in hosts/modules/servers/poglets.nix, which hosts/venus/configuration.nix does not import
           ┌─ hosts/venus/configuration.nix:10:3
           │
        10 │   services.poglets.enable = true;
           │   ^^^^^^^^^^^^^^^^^^^^^^^
           │
           ┌─ hosts/modules/servers/poglets.nix:10:14
           │
        10 │     enable = mkEnableOption "poglets TCP tunnel server";
           │              ------------------------------------------ declared here

        3 errors, 0 warnings in 2 files
    "#]]
    .assert_eq(&stdout);
}

#[test]
fn json_output_is_one_stable_document() {
    let scratch = poglets("json");
    edit(
        &scratch,
        "hosts/neptune/configuration.nix",
        "port = 8420;",
        "port = 70000;",
    );
    let (code, stdout, _) = flakelens(&["check", "--format", "json", scratch.0.to_str().unwrap()]);
    assert_eq!(code, 1);
    let document: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    assert_eq!(document["version"], 1);
    assert_eq!(document["summary"]["errors"], 1);
    assert_eq!(document["summary"]["warnings"], 0);
    let diagnostic = &document["diagnostics"][0];
    assert_eq!(diagnostic["file"], "hosts/neptune/configuration.nix");
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(diagnostic["code"], "type-mismatch");
    assert_eq!(
        diagnostic["message"],
        "services.poglets.port: expected a port (0–65535), found the integer 70000"
    );
    assert_eq!(diagnostic["range"]["start"]["line"], 15);
    assert_eq!(diagnostic["range"]["start"]["column"], 14);
    assert_eq!(diagnostic["range"]["end"]["column"], 19);
    assert_eq!(diagnostic["related"][0]["message"], "option declared here");
}

#[test]
fn syntax_error_is_reported_at_its_line_and_exits_one() {
    let scratch = poglets("syntax");
    edit(
        &scratch,
        "hosts/venus/configuration.nix",
        "networking.hostName = \"venus\";",
        "networking.hostName = \"venus\"",
    );
    let (code, stdout, _) = flakelens(&["check", scratch.0.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("error[syntax-error]"), "{stdout}");
    assert!(
        stdout.contains("hosts/venus/configuration.nix:"),
        "{stdout}"
    );
}

#[test]
fn warnings_fail_only_with_deny_warnings() {
    let scratch = poglets("warnings");
    // A second declaration of the same option: a warning.
    edit(
        &scratch,
        "hosts/modules/common.nix",
        "options.site = {",
        "options.services.poglets.user = lib.mkOption { type = lib.types.str; };\n  options.site = {",
    );
    let (code, stdout, _) = flakelens(&["check", scratch.0.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("warning[duplicate-declaration]"),
        "{stdout}"
    );
    let (code, _, _) = flakelens(&["check", "--deny-warnings", scratch.0.to_str().unwrap()]);
    assert_eq!(code, 1);
}

#[test]
fn bad_input_gives_clear_problems_not_crashes() {
    let scratch = poglets("bad-input");
    std::fs::write(scratch.0.join("latin1.nix"), b"{ a = \"caf\xe9\"; }").unwrap();
    std::fs::write(scratch.0.join("binary.nix"), b"\x00\x01\x02").unwrap();
    std::fs::write(scratch.0.join("deep.nix"), "[".repeat(50_000)).unwrap();
    let deep_let = format!("{}1{}", "let a = ".repeat(3000), " in a".repeat(3000));
    std::fs::write(scratch.0.join("deep-let.nix"), deep_let).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&scratch.0, scratch.0.join("loop")).unwrap();
    let (code, stdout, stderr) = flakelens(&["check", scratch.0.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("not valid UTF-8"), "{stdout}");
    assert!(stdout.contains("binary file"), "{stdout}");
    assert!(stdout.contains("nested more than"), "{stdout}");
    assert!(stderr.is_empty(), "no panic output: {stderr}");
}

#[test]
fn usage_and_io_errors_exit_two() {
    let (code, _, stderr) = flakelens(&["check", "/definitely/not/here"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/definitely/not/here"), "{stderr}");
    let (code, _, _) = flakelens(&["check", "--format", "yaml"]);
    assert_eq!(code, 2);
}

#[test]
fn options_and_hosts_listings() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/poglets");
    let (code, stdout, _) = flakelens(&["hosts", fixture.to_str().unwrap()]);
    assert_eq!(code, 0);
    expect![[r#"
        neptune (nixos)
          defined at: flake.nix:28:27
          module: hosts/neptune/configuration.nix
          module: hosts/neptune/hardware-configuration.nix
          module: hosts/modules/servers/poglets.nix
          module: hosts/modules/common.nix
          inline modules: 1
          external: modulesPath
        venus (nixos)
          defined at: flake.nix:37:27
          module: hosts/venus/configuration.nix
          module: hosts/venus/hardware-configuration.nix
          module: hosts/modules/common.nix
          inline modules: 1
          external: modulesPath
        2 hosts
    "#]]
    .assert_eq(&stdout);
    let (code, stdout, _) = flakelens(&[
        "options",
        "--json",
        "--host",
        "venus",
        fixture.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let paths: Vec<&str> = document["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["site.adminEmail", "site.motd"]);
    let (code, _, stderr) = flakelens(&["options", "--host", "nope", fixture.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
}

/// Runs flakelens, failing the test if it has not finished in 60 s (a hang
/// detector, not a timing test: a correct run takes well under a second).
fn flakelens_bounded(args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flakelens"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("flakelens runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("flakelens {args:?} did not finish in 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_repo_are_not_walked_and_imports_through_them_stay_silent() {
    use std::os::unix::fs::symlink;

    let scratch = poglets("escape");
    symlink("/", scratch.path("slash")).unwrap();
    symlink("..", scratch.path("up")).unwrap();
    symlink(".", scratch.path("hosts/loop")).unwrap();
    // An import through a link that is not followed is unknown, not missing.
    edit(
        &scratch,
        "hosts/venus/configuration.nix",
        "../modules/common.nix",
        "../modules/common.nix\n    ../../slash/etc/nixos/extra.nix",
    );
    let (code, stdout, stderr) = flakelens_bounded(&["check", scratch.0.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stdout.contains("missing-import"), "{stdout}");
    for link in ["slash", "up"] {
        assert!(
            stdout.contains("warning[not-loaded]: symlink to ")
                && stdout.contains(&format!("--> {link}")),
            "{link}: {stdout}"
        );
    }
    assert!(
        stdout.contains("outside the workspace; not followed"),
        "{stdout}"
    );
    assert!(stdout.contains("symlink loop"), "{stdout}");
    let (code, _, _) =
        flakelens_bounded(&["check", "--deny-warnings", scratch.0.to_str().unwrap()]);
    assert_eq!(code, 1);
}

#[test]
fn explain_says_why_definitions_got_no_diagnostic() {
    let scratch = poglets("explain");
    // An import no static analysis can resolve makes the closure partial.
    edit(
        &scratch,
        "hosts/venus/configuration.nix",
        "../modules/common.nix",
        "../modules/common.nix\n    (builtins.fetchGit { url = \"https://example.org/x\"; })",
    );
    // A value read from the environment is not known statically.
    edit(
        &scratch,
        "hosts/venus/configuration.nix",
        "site.adminEmail = \"ops@venus.example.org\";",
        "site.adminEmail = builtins.getEnv \"ADMIN\";",
    );
    let file = scratch.path("hosts/venus/configuration.nix");
    let (code, stdout, stderr) = flakelens(&["check", "--explain", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("explain: hosts/venus/configuration.nix"),
        "{stdout}"
    );
    assert!(
        stdout.contains("host venus: closure partial: module at hosts/venus/configuration.nix:7 could not be worked out"),
        "{stdout}"
    );
    assert!(
        stdout.contains("hosts/venus/configuration.nix:10:3: networking.hostName: not checked\n    venus: `networking` is an upstream namespace and "),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("site.adminEmail: not checked\n    venus: its value is not known statically"),
        "{stdout}"
    );
    // The same in JSON, beside the diagnostics.
    let (code, stdout, _) = flakelens(&[
        "check",
        "--explain",
        "--format",
        "json",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let silent = json["explain"][0]["silent"].as_array().unwrap();
    let host_name = silent
        .iter()
        .find(|entry| entry["option"] == "networking.hostName")
        .expect("networking.hostName is explained");
    assert_eq!(host_name["line"], 10);
    // A checked definition is not listed: with the value restored the
    // own option is checked against its declared type.
    edit(
        &scratch,
        "hosts/venus/configuration.nix",
        "site.adminEmail = builtins.getEnv \"ADMIN\";",
        "site.adminEmail = \"ops@venus.example.org\";",
    );
    let (_, stdout, _) = flakelens(&["check", "--explain", file.to_str().unwrap()]);
    assert!(!stdout.contains("site.adminEmail"), "{stdout}");
}

#[test]
fn option_not_imported_names_the_host_when_its_first_module_is_shared() {
    // Real repos list a shared module first (`modules = [ ./common.nix
    // ./hosts/x ]`); the message must not call that module the host.
    let scratch = poglets("shared-first");
    edit(
        &scratch,
        "flake.nix",
        "          ./hosts/venus/configuration.nix\n",
        "          ./hosts/modules/common.nix\n          ./hosts/venus/configuration.nix\n",
    );
    edit(
        &scratch,
        "hosts/venus/configuration.nix",
        "networking.hostName = \"venus\";",
        "networking.hostName = \"venus\";\n  services.poglets.enable = true;",
    );
    let (code, stdout, _) = flakelens(&["check", "--quiet", scratch.0.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("services.poglets.enable is declared in hosts/modules/servers/poglets.nix, which host venus does not import"),
        "{stdout}"
    );
}
