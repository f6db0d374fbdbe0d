//! Build script: records the git commit flakelens is built from, for
//! `flakelens --version`. Reads the `.git` files directly (no `git`
//! process); a tarball build without `.git` gets the bare version. A
//! packager may set FLAKELENS_GIT_COMMIT instead (the flake does).

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=FLAKELENS_GIT_COMMIT");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let from_env = std::env::var("FLAKELENS_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty());
    let commit = from_env.or_else(|| {
        let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
        git_commit(manifest.parent()?)
    });
    let full = match commit {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo:rustc-env=FLAKELENS_VERSION={full}");
}

/// The commit HEAD names, shortened to 12 digits.
fn git_commit(root: &Path) -> Option<String> {
    let dot_git = root.join(".git");
    println!("cargo:rerun-if-changed={}", dot_git.display());
    // A worktree or submodule has a `.git` file: `gitdir: <path>`.
    let git_dir = if dot_git.is_file() {
        let text = fs::read_to_string(&dot_git).ok()?;
        root.join(text.strip_prefix("gitdir:")?.trim())
    } else {
        dot_git
    };
    // Linked worktrees keep shared refs in the common directory.
    let common_dir = fs::read_to_string(git_dir.join("commondir"))
        .ok()
        .map(|dir| git_dir.join(dir.trim()))
        .unwrap_or_else(|| git_dir.clone());
    let head_file = git_dir.join("HEAD");
    println!("cargo:rerun-if-changed={}", head_file.display());
    let head = fs::read_to_string(head_file).ok()?;
    let head = head.trim();
    let commit = match head.strip_prefix("ref:") {
        None => head.to_string(),
        Some(reference) => {
            let reference = reference.trim();
            let loose = [git_dir.join(reference), common_dir.join(reference)]
                .into_iter()
                .find(|path| path.is_file());
            match loose {
                Some(path) => {
                    println!("cargo:rerun-if-changed={}", path.display());
                    fs::read_to_string(path).ok()?.trim().to_string()
                }
                None => {
                    let packed = common_dir.join("packed-refs");
                    println!("cargo:rerun-if-changed={}", packed.display());
                    let text = fs::read_to_string(packed).ok()?;
                    text.lines()
                        .filter(|line| !line.starts_with('#') && !line.starts_with('^'))
                        .find_map(|line| {
                            let (hash, name) = line.split_once(' ')?;
                            (name.trim() == reference).then(|| hash.to_string())
                        })?
                }
            }
        }
    };
    let is_hash = commit.len() >= 12 && commit.chars().all(|c| c.is_ascii_hexdigit());
    is_hash.then(|| commit[..12].to_string())
}
