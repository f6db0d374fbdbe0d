//! `flakelens check` for machines and for pre-commit: the SARIF and GitHub
//! formats (snapshots, and SARIF validated against the official schema),
//! reporting for given files, `--quiet` and `--color`.

use std::path::{Path, PathBuf};
use std::process::Command;

use common::TempDir;
use expect_test::expect;

mod common;

/// Runs flakelens in `cwd`; returns (exit code, stdout, stderr).
fn flakelens_in(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_flakelens"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("flakelens runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The poglets fixture with `port = "8420"` on neptune.
fn poglets_with_type_error() -> TempDir {
    let scratch = TempDir::copy_of("poglets");
    scratch.edit(
        "hosts/neptune/configuration.nix",
        "port = 8420;",
        "port = \"8420\";",
    );
    scratch
}

#[test]
fn github_format_prints_escaped_workflow_commands() {
    let scratch = poglets_with_type_error();
    // Commas and colons in property values, through a file name (escaping
    // of `%` and newlines in messages is unit-tested in cli/machine.rs).
    std::fs::create_dir_all(scratch.path("odd,dir")).unwrap();
    std::fs::write(scratch.path("odd,dir/a:b.nix"), "{ a = 1 }\n").unwrap();
    let (code, stdout, stderr) = flakelens_in(&scratch.0, &["check", "--format", "github"]);
    assert_eq!(code, 1, "{stderr}");
    expect![[r#"
        ::error file=hosts/neptune/configuration.nix,line=15,col=14,endLine=15,endColumn=20,title=type-mismatch::services.poglets.port: expected a port (0–65535), found the string "8420"
        ::warning file=odd%2Cdir/a%3Ab.nix,line=1,col=9,endLine=1,endColumn=10,title=syntax-error::unexpected `}`, expected `;` (no host or package of this flake uses this file)
        ::warning file=odd%2Cdir/a%3Ab.nix,line=2,col=1,endLine=2,endColumn=1,title=syntax-error::unexpected end of file, expected `;` (no host or package of this flake uses this file)
    "#]]
    .assert_eq(&stdout);
}

fn sarif_log(cwd: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["check", "--format", "sarif"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = flakelens_in(cwd, &all);
    let log = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (code, log)
}

#[test]
fn sarif_results_snapshot() {
    let scratch = poglets_with_type_error();
    let (code, log) = sarif_log(&scratch.0, &[]);
    assert_eq!(code, 1);
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "flakelens");
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        format!("file://{}/", scratch.0.display())
    );
    expect![[r#"
        [
          {
            "level": "error",
            "locations": [
              {
                "physicalLocation": {
                  "artifactLocation": {
                    "uri": "hosts/neptune/configuration.nix",
                    "uriBaseId": "%SRCROOT%"
                  },
                  "region": {
                    "endColumn": 20,
                    "endLine": 15,
                    "startColumn": 14,
                    "startLine": 15
                  }
                }
              }
            ],
            "message": {
              "text": "services.poglets.port: expected a port (0–65535), found the string \"8420\""
            },
            "relatedLocations": [
              {
                "id": 0,
                "message": {
                  "text": "option declared here"
                },
                "physicalLocation": {
                  "artifactLocation": {
                    "uri": "hosts/modules/servers/poglets.nix",
                    "uriBaseId": "%SRCROOT%"
                  },
                  "region": {
                    "endColumn": 9,
                    "endLine": 19,
                    "startColumn": 5,
                    "startLine": 19
                  }
                }
              }
            ],
            "ruleId": "type-mismatch",
            "ruleIndex": 4
          }
        ]"#]]
    .assert_eq(&serde_json::to_string_pretty(&run["results"]).unwrap());
}

#[test]
fn sarif_rules_cover_every_documented_code_with_its_anchor() {
    let scratch = TempDir::copy_of("poglets");
    let (code, log) = sarif_log(&scratch.0, &[]);
    assert_eq!(code, 0);
    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md"),
    )
    .unwrap();
    let documented: Vec<String> = docs
        .lines()
        .filter_map(|line| line.strip_prefix("## `"))
        .filter_map(|rest| rest.split('`').next())
        .map(String::from)
        .collect();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: Vec<String> = rules
        .iter()
        .map(|rule| rule["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids, documented,
        "rules and docs/diagnostics.md headings differ"
    );
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let uri = rule["helpUri"].as_str().unwrap();
        assert!(uri.ends_with(&format!("diagnostics.md#{id}")), "{uri}");
        assert!(
            docs.contains(&format!("<a id=\"{id}\"></a>")),
            "docs/diagnostics.md has no anchor for {id}"
        );
        let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(level == "error" || level == "warning", "{level}");
        assert!(!rule["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .is_empty());
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
    }
}

/// A Python with the `jsonschema` package, or None (skipped / failed).
fn python_with_jsonschema() -> Option<PathBuf> {
    let candidates = [
        common::test_venv().join("bin/python3"),
        PathBuf::from("python3"),
    ];
    for python in candidates {
        let ok = Command::new(&python)
            .args(["-c", "import jsonschema"])
            .output()
            .is_ok_and(|output| output.status.success());
        if ok {
            return Some(python);
        }
    }
    common::skip_or_fail("no python3 with the jsonschema package");
    None
}

fn validate(python: &Path, logs: &[PathBuf]) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/sarif/validate.py");
    let output = Command::new(python)
        .arg(script)
        .args(logs)
        .output()
        .expect("validator runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let Some(python) = python_with_jsonschema() else {
        return;
    };
    // Results of several codes, related locations, a file without text
    // (unreadable), odd file names, a file outside the current directory.
    let scratch = poglets_with_type_error();
    scratch.edit(
        "hosts/neptune/configuration.nix",
        "controlPort = 8421;",
        "controlPort = 8421;\n      prot = 1;",
    );
    std::fs::write(scratch.path("latin1.nix"), b"{ a = \"caf\xe9\"; }").unwrap();
    std::fs::write(scratch.path("with space #1.nix"), "{ a = ; }\n").unwrap();
    let outside = scratch.path("hosts");
    let mut logs = Vec::new();
    for (n, (cwd, args)) in [
        (&scratch.0, vec![]),
        (&outside, vec![scratch.0.to_str().unwrap()]),
    ]
    .into_iter()
    .enumerate()
    {
        let (code, log) = sarif_log(cwd, &args);
        assert_eq!(code, 1);
        assert!(
            log["runs"][0]["results"].as_array().unwrap().len() >= 4,
            "{log}"
        );
        let file = scratch.path(&format!("log-{n}.sarif"));
        std::fs::write(&file, serde_json::to_string(&log).unwrap()).unwrap();
        logs.push(file);
    }
    let clean = TempDir::copy_of("poglets");
    let (code, log) = sarif_log(&clean.0, &[]);
    assert_eq!(code, 0);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    let file = scratch.path("clean.sarif");
    std::fs::write(&file, serde_json::to_string(&log).unwrap()).unwrap();
    logs.push(file);
    let (valid, errors) = validate(&python, &logs);
    assert!(valid, "{errors}");

    // The validator does reject what the schema forbids.
    let mut broken = log.clone();
    broken["runs"][0]["results"] = serde_json::json!([{ "level": "fatal", "message": {} }]);
    let file = scratch.path("broken.sarif");
    std::fs::write(&file, serde_json::to_string(&broken).unwrap()).unwrap();
    let (valid, errors) = validate(&python, &[file]);
    assert!(!valid);
    assert!(errors.contains("fatal"), "{errors}");
}

const CONTROL_PORT_DECLARATION: &str = r#"    controlPort = mkOption {
      type = types.port;
      default = 8001;
      example = 8421;
      description = "TCP port for the poglets control channel.";
    };
"#;

fn codes_by_file(cwd: &Path, args: &[&str]) -> (i32, Vec<(String, String)>) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = flakelens_in(cwd, &all);
    let document: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    let found = document["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (code, found)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(file, code)| (file.to_string(), code.to_string()))
        .collect()
}

#[test]
fn given_files_report_their_own_diagnostics_only() {
    let scratch = poglets_with_type_error();
    let neptune = "hosts/neptune/configuration.nix";
    let venus = "hosts/venus/configuration.nix";
    assert_eq!(
        codes_by_file(&scratch.0, &[neptune]),
        (1, pairs(&[(neptune, "type-mismatch")]))
    );
    // Venus is fine; neptune's error is not venus's business.
    assert_eq!(codes_by_file(&scratch.0, &[venus]), (0, vec![]));
    // --all reports the whole workspace.
    assert_eq!(
        codes_by_file(&scratch.0, &["--all", venus]),
        (1, pairs(&[(neptune, "type-mismatch")]))
    );
}

#[test]
fn a_module_change_reports_the_hosts_it_breaks() {
    let scratch = TempDir::copy_of("poglets");
    let module = "hosts/modules/servers/poglets.nix";
    scratch.edit(module, CONTROL_PORT_DECLARATION, "");
    let neptune = "hosts/neptune/configuration.nix";
    // Neptune still sets the removed option: shown for the module, which
    // neptune imports, though the error is in neptune's file.
    assert_eq!(
        codes_by_file(&scratch.0, &[module]),
        (1, pairs(&[(neptune, "unknown-option")]))
    );
    // Venus does not import the module.
    assert_eq!(
        codes_by_file(&scratch.0, &["hosts/venus/configuration.nix"]),
        (0, vec![])
    );
    // A related location in the given file: venus sets an option of the
    // module without importing it.
    scratch.edit(
        "hosts/venus/configuration.nix",
        "networking.hostName = \"venus\";",
        "networking.hostName = \"venus\";\n  services.poglets.enable = true;",
    );
    let (_, found) = codes_by_file(&scratch.0, &[module]);
    assert!(
        found.contains(&(
            "hosts/venus/configuration.nix".to_string(),
            "option-not-imported".to_string()
        )),
        "{found:?}"
    );
}

#[test]
fn files_of_several_workspaces_in_one_call() {
    let first = poglets_with_type_error();
    let second = TempDir::copy_of("poglets");
    second.edit(
        "hosts/neptune/configuration.nix",
        "port = 8420;",
        "port = 70000;",
    );
    let neptune = first.path("hosts/neptune/configuration.nix");
    let venus = second.path("hosts/neptune/configuration.nix");
    let (code, stdout, _) = flakelens_in(
        Path::new("/"),
        &[
            "check",
            neptune.to_str().unwrap(),
            venus.to_str().unwrap(),
            second.path("flake.nix").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("found the string \"8420\""), "{stdout}");
    assert!(stdout.contains("found the integer 70000"), "{stdout}");
    assert!(
        stdout.ends_with("2 errors, 0 warnings in 2 files\n"),
        "{stdout}"
    );
}

#[test]
fn quiet_and_colour() {
    let scratch = poglets_with_type_error();
    let (code, stdout, _) = flakelens_in(&scratch.0, &["check", "--quiet"]);
    assert_eq!(code, 1);
    assert!(stdout.contains("error[type-mismatch]"), "{stdout}");
    assert!(!stdout.contains("1 error"), "{stdout}");
    assert!(!stdout.contains('\x1b'), "no colour into a pipe: {stdout}");
    let clean = TempDir::copy_of("poglets");
    let (code, stdout, _) = flakelens_in(&clean.0, &["check", "-q"]);
    assert_eq!((code, stdout.as_str()), (0, ""));

    let (_, always, _) = flakelens_in(&scratch.0, &["check", "--color", "always"]);
    assert!(always.contains("\x1b["), "{always}");
    let with_no_color = Command::new(env!("CARGO_BIN_EXE_flakelens"))
        .args(["check", "--color", "always"])
        .current_dir(&scratch.0)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&with_no_color.stdout).contains("\x1b["));
    let (_, never, _) = flakelens_in(&scratch.0, &["check", "--color", "never"]);
    assert!(!never.contains('\x1b'), "{never}");
}

#[test]
fn version_names_the_git_commit_when_built_from_git() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (code, stdout, _) = flakelens_in(&root, &["--version"]);
    assert_eq!(code, 0);
    let version = env!("CARGO_PKG_VERSION");
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|output| output.status.success() && root.join(".git").exists());
    match (std::env::var("FLAKELENS_GIT_COMMIT"), head) {
        (Ok(commit), _) if !commit.is_empty() => {
            assert_eq!(stdout, format!("flakelens {version} ({commit})\n"))
        }
        (_, Some(head)) => {
            let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
            assert_eq!(stdout, format!("flakelens {version} ({head})\n"));
        }
        (_, None) => assert_eq!(stdout, format!("flakelens {version}\n")),
    }
}

#[test]
fn flakelens_toml_problems_point_into_the_file_and_the_rest_applies() {
    let scratch = poglets_with_type_error();
    std::fs::write(
        scratch.path("flakelens.toml"),
        "colour = true\n\n[diagnostics]\ntype-mismatch = \"warning\"\nunknown-option = 3\n",
    )
    .unwrap();
    let (code, stdout, _) = flakelens_in(&scratch.0, &["check"]);
    assert_eq!(code, 1, "{stdout}");
    expect![[r#"
        warning[invalid-config]: unknown key `colour`; ignored
          ┌─ flakelens.toml:1:1
          │
        1 │ colour = true
          │ ^^^^^^

        error[invalid-config]: diagnostics.unknown-option must be "off", "warning" or "error", found integer `3`
          ┌─ flakelens.toml:5:18
          │
        5 │ unknown-option = 3
          │                  ^

        warning[type-mismatch]: services.poglets.port: expected a port (0–65535), found the string "8420"
           ┌─ hosts/neptune/configuration.nix:15:14
           │
        15 │       port = "8420";
           │              ^^^^^^
           │
           ┌─ hosts/modules/servers/poglets.nix:19:5
           │
        19 │     port = mkOption {
           │     ---- option declared here

        1 error, 2 warnings in 2 files
    "#]]
    .assert_eq(&stdout);
}

#[test]
fn given_files_also_show_flakelens_toml_problems() {
    let scratch = TempDir::copy_of("poglets");
    std::fs::write(scratch.path("flakelens.toml"), "exclude = 1\n").unwrap();
    assert_eq!(
        codes_by_file(&scratch.0, &["hosts/venus/configuration.nix"]),
        (1, pairs(&[("flakelens.toml", "invalid-config")]))
    );
}
