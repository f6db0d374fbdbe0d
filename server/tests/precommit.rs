//! The pre-commit hook end to end, with the real `pre-commit` tool: the
//! repository's `.pre-commit-hooks.yaml` installed in a temporary git repo
//! holding the poglets fixture. A commit with a type error is refused with
//! the diagnostic shown, the fixed commit passes, and a commit touching no
//! `.nix` file skips the hook.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::TempDir;

mod common;

struct Git<'a> {
    dir: &'a Path,
    home: &'a Path,
    path: &'a str,
}

impl Git<'_> {
    fn run(&self, program: &Path, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
            .current_dir(self.dir)
            .env("PATH", self.path)
            .env("HOME", self.home)
            .env("PRE_COMMIT_HOME", self.home.join("pre-commit-cache"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home.join("gitconfig"))
            .env("GIT_AUTHOR_NAME", "test")
            .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
            .env("GIT_COMMITTER_NAME", "test")
            .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
            .env_remove("NO_COLOR")
            .output()
            .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()))
    }

    fn git(&self, args: &[&str]) -> (bool, String) {
        let output = self.run(Path::new("git"), args);
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        (output.status.success(), text)
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, text) = self.git(args);
        assert!(ok, "git {args:?} failed: {text}");
        text
    }
}

#[test]
fn pre_commit_hook_refuses_a_broken_commit_and_skips_non_nix_commits() {
    let Some(pre_commit) = common::find_tool("pre-commit") else {
        common::skip_or_fail("pre-commit is not installed");
        return;
    };
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_flakelens"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let path = path.to_str().unwrap();

    let scratch = TempDir::copy_of("poglets");
    let home = scratch.path("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("gitconfig"), "").unwrap();

    // A hook repository holding this repository's hook definitions.
    let hooks = scratch.path("home/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../.pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let hook_repo = Git {
        dir: &hooks,
        home: &home,
        path,
    };
    hook_repo.ok(&["init", "-q"]);
    hook_repo.ok(&["add", "."]);
    hook_repo.ok(&["commit", "-q", "-m", "hooks"]);
    let rev = hook_repo.ok(&["rev-parse", "HEAD"]);

    // The flake under test: the fixture (outside `home`, which is ignored).
    std::fs::write(scratch.path(".gitignore"), "home/\n").unwrap();
    std::fs::write(
        scratch.path(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: flakelens-check\n",
            hooks.display(),
            rev.trim()
        ),
    )
    .unwrap();
    let repo = Git {
        dir: &scratch.0,
        home: &home,
        path,
    };
    repo.ok(&["init", "-q"]);
    repo.ok(&["add", "."]);
    repo.ok(&["commit", "-q", "-m", "initial"]);
    let installed = repo.run(&pre_commit, &["install"]);
    assert!(
        installed.status.success(),
        "{}",
        String::from_utf8_lossy(&installed.stderr)
    );

    // A type error: the commit is refused and the diagnostic shown.
    scratch.edit(
        "hosts/neptune/configuration.nix",
        "port = 8420;",
        "port = \"8420\";",
    );
    repo.ok(&["add", "hosts/neptune/configuration.nix"]);
    let (ok, output) = repo.git(&["commit", "-m", "broken port"]);
    assert!(!ok, "the commit must be refused: {output}");
    assert!(output.contains("flakelens check"), "{output}");
    assert!(output.contains("Failed"), "{output}");
    assert!(
        output.contains(
            "error[type-mismatch]: services.poglets.port: expected a port (0–65535), found the string \"8420\""
        ),
        "{output}"
    );
    assert!(
        output.contains("hosts/neptune/configuration.nix:15:14"),
        "{output}"
    );
    let (_, log) = repo.git(&["log", "--format=%s"]);
    assert_eq!(log.trim(), "initial");

    // The fixed commit passes.
    scratch.edit(
        "hosts/neptune/configuration.nix",
        "port = \"8420\";",
        "port = 8421;",
    );
    repo.ok(&["add", "hosts/neptune/configuration.nix"]);
    let output = repo.ok(&["commit", "-m", "port 8421"]);
    assert!(output.contains("flakelens check"), "{output}");
    assert!(output.contains("Passed"), "{output}");

    // A commit touching no .nix file skips the hook.
    std::fs::write(scratch.path("README.md"), "notes\n").unwrap();
    repo.ok(&["add", "README.md"]);
    let output = repo.ok(&["commit", "-m", "notes"]);
    assert!(output.contains("(no files to check)"), "{output}");
    assert!(output.contains("Skipped"), "{output}");
    let (_, log) = repo.git(&["log", "--format=%s"]);
    assert_eq!(log.trim(), "notes\nport 8421\ninitial");
}
