//! Tests of the workspace loader: file kinds, ignore rules, settings,
//! symlinks and walk limits.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A temporary directory removed on drop (also when a test fails).
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "flakelens-load-{name}-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        let path = std::env::temp_dir().join(unique);
        fs::create_dir_all(&path).unwrap();
        TempDir {
            path: fs::canonicalize(&path).unwrap(),
        }
    }

    fn write(&self, relative: &str, contents: impl AsRef<[u8]>) {
        let path = self.path.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    fn vfs(&self, relative: &str) -> String {
        format!("{}/{relative}", vfs_path(&self.path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

fn file_paths(loaded: &LoadedWorkspace) -> Vec<String> {
    loaded.files.iter().map(|(path, _)| path.clone()).collect()
}

fn text_of<'a>(loaded: &'a LoadedWorkspace, path: &str) -> &'a str {
    loaded
        .files
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, text)| text.as_str())
        .unwrap()
}

#[test]
fn loads_nix_files_sorted_and_skips_others() {
    let dir = TempDir::new("basic");
    dir.write("flake.nix", "{ outputs = _: { }; }\n");
    dir.write("b/default.nix", "1\n");
    dir.write("a.nix", "2\n");
    dir.write("README.md", "not nix\n");
    dir.write("script.sh", "echo\n");
    dir.write("nix/notnix.nixx", "3\n");
    dir.write(".hidden/h.nix", "4\n");
    dir.write(".h.nix", "5\n");

    let loaded = load_workspace(&dir.path).unwrap();
    assert_eq!(loaded.root, vfs_path(&dir.path));
    assert_eq!(
        file_paths(&loaded),
        vec![
            dir.vfs("a.nix"),
            dir.vfs("b/default.nix"),
            dir.vfs("flake.nix")
        ]
    );
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(loaded.settings, Settings::default());
}

#[test]
fn gitignore_means_nothing_outside_git() {
    // Nix copies a non-git flake whole (ryan4yin/nix-config ignores `lib/`).
    let dir = TempDir::new("gitignore");
    dir.write(".gitignore", "lib/\ngenerated.nix\n");
    dir.write("kept.nix", "1\n");
    dir.write("generated.nix", "2\n");
    dir.write("lib/hosts.nix", "3\n");
    dir.write(".direnv/flake-profile.nix", "6\n");

    let loaded = load_workspace(&dir.path).unwrap();
    assert_eq!(
        file_paths(&loaded),
        vec![
            dir.vfs("generated.nix"),
            dir.vfs("kept.nix"),
            dir.vfs("lib/hosts.nix")
        ]
    );
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
}

/// One index entry's fixed part (times, ids, mode 0o100644, size, object
/// id) followed by `flags`.
fn index_entry_head(flags: u16) -> Vec<u8> {
    let mut entry = vec![0u8; 60];
    entry[24..28].copy_from_slice(&0o100644u32.to_be_bytes());
    entry.extend_from_slice(&flags.to_be_bytes());
    entry
}

#[test]
fn v4_index_paths_are_prefix_decompressed() {
    let mut bytes = b"DIRC".to_vec();
    bytes.extend_from_slice(&4u32.to_be_bytes());
    bytes.extend_from_slice(&3u32.to_be_bytes());
    // "lib/a.nix", then drop 5 ("a.nix") + "b.nix", then drop 9 + "x.nix".
    for (full, strip, suffix) in [
        ("lib/a.nix", 0u8, "lib/a.nix"),
        ("lib/b.nix", 5, "b.nix"),
        ("x.nix", 9, "x.nix"),
    ] {
        bytes.extend(index_entry_head(full.len() as u16));
        bytes.push(strip);
        bytes.extend_from_slice(suffix.as_bytes());
        bytes.push(0);
    }
    let mut paths = Vec::new();
    git::parse_index(&bytes, |path| {
        paths.push(String::from_utf8(path.to_vec()).unwrap())
    })
    .unwrap();
    assert_eq!(paths, ["lib/a.nix", "lib/b.nix", "x.nix"]);
    // Every truncation is an error, never a panic.
    for len in 12..bytes.len() {
        assert!(git::parse_index(&bytes[..len], |_| {}).is_err(), "{len}");
    }
    // A prefix longer than the previous path is corrupt.
    let mut bad = bytes.clone();
    let second = 12 + 62 + 1 + 9 + 1 + 62;
    assert_eq!(bad[second], 5);
    bad[second] = 50;
    assert!(git::parse_index(&bad, |_| {}).is_err());
    // Git's offset varint: 0x80 0x00 is 128.
    assert_eq!(git::decode_varint(&[0x80, 0x00]), Some((128, 2)));
    assert_eq!(git::decode_varint(&[0x80]), None);
}

#[test]
fn invalid_utf8_is_a_problem_and_others_still_load() {
    let dir = TempDir::new("utf8");
    dir.write("good.nix", "{ a = 1; }\n");
    dir.write("bad.nix", b"{ a = \"\xff\"; }\n");

    let loaded = load_workspace(&dir.path).unwrap();
    assert_eq!(file_paths(&loaded), vec![dir.vfs("good.nix")]);
    assert_eq!(
        loaded.problems,
        vec![LoadProblem {
            path: dir.vfs("bad.nix"),
            message: "file is not valid UTF-8 (first invalid byte at offset 7); skipped"
                .to_string(),
            kind: ProblemKind::Unreadable,
        }]
    );
    assert_eq!(
        read_nix_file(&dir.path.join("bad.nix")),
        Err(loaded.problems[0].message.clone())
    );
}

#[test]
fn nul_byte_is_a_binary_problem() {
    let dir = TempDir::new("nul");
    dir.write("good.nix", "1\n");
    dir.write("binary.nix", b"{ }\0\x01\x02");

    let loaded = load_workspace(&dir.path).unwrap();
    assert_eq!(file_paths(&loaded), vec![dir.vfs("good.nix")]);
    assert_eq!(
        loaded.problems,
        vec![LoadProblem {
            path: dir.vfs("binary.nix"),
            message: "binary file; skipped".to_string(),
            kind: ProblemKind::Unreadable,
        }]
    );
}

#[test]
fn too_large_file_is_a_problem() {
    let dir = TempDir::new("large");
    let path = dir.path.join("huge.nix");
    let file = fs::File::create(&path).unwrap();
    file.set_len(MAX_FILE_SIZE + 1).unwrap(); // sparse; cheap
    drop(file);
    dir.write("small.nix", "1\n");

    let loaded = load_workspace(&dir.path).unwrap();
    assert_eq!(file_paths(&loaded), vec![dir.vfs("small.nix")]);
    assert_eq!(
        loaded.problems,
        vec![LoadProblem {
            path: dir.vfs("huge.nix"),
            message: "file is larger than 20 MiB; skipped".to_string(),
            kind: ProblemKind::Unreadable,
        }]
    );
}

#[test]
fn crlf_is_normalised() {
    let dir = TempDir::new("crlf");
    dir.write("crlf.nix", "{\r\n  a = 1;\r\n}\r\n");
    dir.write("cr.nix", "{\r  a = 1;\r}\r");

    let loaded = load_workspace(&dir.path).unwrap();
    assert_eq!(text_of(&loaded, &dir.vfs("crlf.nix")), "{\n  a = 1;\n}\n");
    assert_eq!(text_of(&loaded, &dir.vfs("cr.nix")), "{\n  a = 1;\n}\n");
    assert_eq!(
        read_nix_file(&dir.path.join("crlf.nix")).unwrap(),
        "{\n  a = 1;\n}\n"
    );
}

#[test]
fn find_root_picks_ancestor_with_flake() {
    let dir = TempDir::new("findroot");
    dir.write("repo/flake.nix", "{ }\n");
    dir.write("repo/modules/deep/x.nix", "1\n");
    dir.write("plain/sub/y.nix", "2\n");

    let repo = dir.path.join("repo");
    assert_eq!(find_root(&repo.join("modules/deep")).unwrap(), repo);
    assert_eq!(find_root(&repo.join("modules/deep/x.nix")).unwrap(), repo);
    assert_eq!(find_root(&repo).unwrap(), repo);
    assert_eq!(find_root(&repo.join("flake.nix")).unwrap(), repo);
    // No flake.nix anywhere above (assuming the temp dir has none).
    let plain = dir.path.join("plain/sub");
    if !dir.path.ancestors().any(|a| a.join("flake.nix").is_file()) {
        assert_eq!(find_root(&plain).unwrap(), plain);
        assert_eq!(find_root(&plain.join("y.nix")).unwrap(), plain);
    }
    assert!(find_root(&dir.path.join("missing")).is_err());
}

#[test]
fn vfs_path_normalises() {
    assert_eq!(vfs_path(Path::new("/a/./b/../c/")), "/a/c");
    assert_eq!(vfs_path(Path::new("/")), "/");
    assert_eq!(vfs_path(Path::new("/..")), "/");
    let relative = vfs_path(Path::new("some/file.nix"));
    assert!(
        relative.starts_with('/') && relative.ends_with("/some/file.nix"),
        "{relative}"
    );
}

#[test]
fn load_workspace_rejects_missing_root_and_files() {
    let dir = TempDir::new("missing");
    dir.write("a.nix", "1\n");
    assert!(load_workspace(&dir.path.join("nope")).is_err());
    assert!(load_workspace(&dir.path.join("a.nix")).is_err());
}

#[cfg(unix)]
#[test]
fn symlink_loop_terminates_and_good_files_load() {
    use std::os::unix::fs::symlink;

    let dir = TempDir::new("loop");
    dir.write("top.nix", "1\n");
    dir.write("sub/inner.nix", "2\n");
    symlink("..", dir.path.join("sub/loop")).unwrap();
    symlink(".", dir.path.join("self")).unwrap();

    let loaded = load_workspace(&dir.path).unwrap();
    assert_eq!(
        file_paths(&loaded),
        vec![dir.vfs("sub/inner.nix"), dir.vfs("top.nix")]
    );
    for problem in &loaded.problems {
        assert!(problem.message.starts_with("symlink loop"), "{problem:?}");
    }
    // walkdir (under `ignore`) detects both loops; check we report them.
    let paths: Vec<&str> = loaded.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, vec![dir.vfs("self"), dir.vfs("sub/loop")]);
}

#[cfg(unix)]
#[test]
fn symlinked_files_and_dirs_keep_in_tree_paths() {
    use std::os::unix::fs::symlink;

    let outside = TempDir::new("outside");
    outside.write("lib/util.nix", "{ util = 1; }\n");
    outside.write("single.nix", "{ single = 1; }\n");

    let dir = TempDir::new("links");
    dir.write("real/inner.nix", "{ }\n");
    symlink(outside.path.join("lib"), dir.path.join("lib")).unwrap();
    symlink(outside.path.join("single.nix"), dir.path.join("linked.nix")).unwrap();
    symlink(dir.path.join("real"), dir.path.join("alias")).unwrap();
    symlink(dir.path.join("missing.nix"), dir.path.join("dangling.nix")).unwrap();
    symlink(dir.path.join("missing"), dir.path.join("dangling-dir")).unwrap();

    // Outside the root: not followed, reported as skipped.
    let loaded = load_workspace(&dir.path).unwrap();
    assert_eq!(
        file_paths(&loaded),
        vec![dir.vfs("alias/inner.nix"), dir.vfs("real/inner.nix")]
    );
    let problems: Vec<(&str, ProblemKind)> = loaded
        .problems
        .iter()
        .map(|p| (p.path.as_str(), p.kind))
        .collect();
    let (lib, linked, dangling) = (
        dir.vfs("lib"),
        dir.vfs("linked.nix"),
        dir.vfs("dangling.nix"),
    );
    assert_eq!(
        problems,
        vec![
            (dangling.as_str(), ProblemKind::Unreadable),
            (lib.as_str(), ProblemKind::Skipped),
            (linked.as_str(), ProblemKind::Skipped),
        ]
    );
    assert!(
        loaded.problems[1]
            .message
            .contains("outside the workspace; not followed"),
        "{:?}",
        loaded.problems
    );

    // Listed in `[workspace] symlink-targets`: followed, in-tree paths.
    dir.write(
        "flakelens.toml",
        format!(
            "[workspace]\nsymlink-targets = [\"{}\"]\n",
            outside.path.display()
        ),
    );
    let loaded = load_workspace(&dir.path).unwrap();
    assert_eq!(
        file_paths(&loaded),
        vec![
            dir.vfs("alias/inner.nix"),
            // Loaded so that its problems show in context.
            dir.vfs("flakelens.toml"),
            dir.vfs("lib/util.nix"),
            dir.vfs("linked.nix"),
            dir.vfs("real/inner.nix")
        ]
    );
    assert_eq!(
        loaded.problems,
        vec![LoadProblem {
            path: dir.vfs("dangling.nix"),
            message: "broken symlink; skipped".to_string(),
            kind: ProblemKind::Unreadable,
        }]
    );
}

#[cfg(unix)]
#[test]
fn symlinks_to_root_parent_and_pseudo_file_systems_are_not_followed() {
    use std::os::unix::fs::symlink;

    let dir = TempDir::new("escape");
    dir.write("repo/flake.nix", "{ }\n");
    dir.write("sibling/secret.nix", "{ }\n");
    let repo = dir.path.join("repo");
    symlink("/", repo.join("slash")).unwrap();
    symlink("..", repo.join("up")).unwrap();
    symlink(&dir.path, repo.join("parent-absolute")).unwrap();
    symlink("/proc/self", repo.join("proc")).unwrap();
    symlink("flake.nix", repo.join("again.nix")).unwrap();

    let loaded = load_workspace(&repo).unwrap();
    let vfs = |name: &str| format!("{}/{name}", vfs_path(&repo));
    assert_eq!(
        file_paths(&loaded),
        vec![vfs("again.nix"), vfs("flake.nix")]
    );
    let problems: Vec<&str> = loaded.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        problems,
        vec![vfs("parent-absolute"), vfs("proc"), vfs("slash"), vfs("up")]
    );
    for problem in &loaded.problems {
        assert_eq!(problem.kind, ProblemKind::Skipped, "{problem:?}");
        assert!(problem.message.contains("not followed"), "{problem:?}");
    }
    // Even listed as a target, a pseudo file system is never entered.
    dir.write(
        "repo/flakelens.toml",
        "[workspace]\nsymlink-targets = [\"/proc\", \"..\"]\n",
    );
    let loaded = load_workspace(&repo).unwrap();
    assert!(
        loaded.problems.iter().any(|p| p.path == vfs("proc")),
        "{:?}",
        loaded.problems
    );
    assert!(file_paths(&loaded).contains(&vfs("up/sibling/secret.nix")));
    assert!(load_workspace(Path::new("/proc/self")).is_err());
}

#[test]
fn walk_limits_cut_with_a_warning() {
    let dir = TempDir::new("limits");
    for i in 0..20 {
        dir.write(&format!("m{i:02}.nix"), "{ }\n");
    }
    dir.write("a/b/c/d/deep.nix", "{ }\n");
    let entries = load_workspace_limited(
        &dir.path,
        None,
        WalkLimits {
            max_entries: 10,
            ..WalkLimits::default()
        },
    )
    .unwrap();
    assert!(entries.files.len() < 10, "{}", entries.files.len());
    assert_eq!(entries.problems.len(), 1, "{:?}", entries.problems);
    assert_eq!(entries.problems[0].path, vfs_path(&dir.path));
    assert_eq!(entries.problems[0].kind, ProblemKind::Skipped);
    assert!(
        entries.problems[0]
            .message
            .starts_with("the walk stopped after 10 entries"),
        "{:?}",
        entries.problems
    );

    let depth = load_workspace_limited(
        &dir.path,
        None,
        WalkLimits {
            max_depth: 2,
            ..WalkLimits::default()
        },
    )
    .unwrap();
    assert_eq!(depth.files.len(), 20);
    assert_eq!(
        depth.problems,
        vec![LoadProblem {
            path: dir.vfs("a/b/c"),
            message: "directory nested deeper than 2 levels; not loaded".to_string(),
            kind: ProblemKind::Skipped,
        }]
    );

    let bytes = load_workspace_limited(
        &dir.path,
        None,
        WalkLimits {
            max_total_bytes: 16,
            ..WalkLimits::default()
        },
    )
    .unwrap();
    assert_eq!(bytes.files.len(), 4);
    assert_eq!(bytes.problems.len(), 1, "{:?}", bytes.problems);
    assert!(
        bytes.problems[0]
            .message
            .starts_with("the walk stopped at 0 MiB"),
        "{:?}",
        bytes.problems
    );
}

#[cfg(unix)]
#[test]
fn result_symlinks_are_skipped() {
    use std::os::unix::fs::symlink;

    let store = TempDir::new("store");
    store.write("out/share/thing.nix", "1\n");

    let dir = TempDir::new("result");
    dir.write("flake.nix", "{ }\n");
    // A real directory called `result` is ordinary source.
    dir.write("src/result/keep.nix", "2\n");
    symlink(store.path.join("out"), dir.path.join("result")).unwrap();
    symlink(store.path.join("out"), dir.path.join("result-dev")).unwrap();
    symlink(store.path.join("gone"), dir.path.join("result-man")).unwrap();

    let loaded = load_workspace(&dir.path).unwrap();
    assert_eq!(
        file_paths(&loaded),
        vec![dir.vfs("flake.nix"), dir.vfs("src/result/keep.nix")]
    );
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_a_problem() {
    // Permissions do not stop root (CI runs as root); a FIFO is
    // unreadable for everyone, and opening one must not block.
    let dir = TempDir::new("unreadable");
    dir.write("open.nix", "2\n");
    let fifo = dir.path.join("pipe.nix");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    assert_eq!(
        read_nix_file(&fifo),
        Err("not a regular file; skipped".to_string())
    );
    assert_eq!(
        read_nix_file(&dir.path.join("missing.nix"))
            .map_err(|e| e.starts_with("cannot read file: ")),
        Err(true)
    );
    let loaded = load_workspace(&dir.path).unwrap();
    assert_eq!(file_paths(&loaded), vec![dir.vfs("open.nix")]);
    assert_eq!(
        loaded.problems,
        vec![LoadProblem {
            path: dir.vfs("pipe.nix"),
            message: "not a regular file; skipped".to_string(),
            kind: ProblemKind::Unreadable,
        }]
    );
}

#[test]
fn tracked_files_load_even_when_gitignored() {
    // vic/vix tracks a gitignored `flake.nix`: Nix reads the index.
    let dir = TempDir::new("tracked");
    dir.write(".gitignore", "lib/\n");
    dir.write("flake/lib/hosts.nix", "1\n");
    dir.write("flake/lib/untracked.nix", "2\n");
    dir.write("flake/kept.nix", "3\n");
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(&dir.path)
            .output()
            .expect("the git binary runs");
        assert!(status.status.success(), "git {args:?}: {status:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-f", ".gitignore", "flake/lib/hosts.nix"]);
    // A flake in a subdirectory of the work tree.
    let loaded = load_workspace(&dir.path.join("flake")).unwrap();
    assert_eq!(
        file_paths(&loaded),
        vec![dir.vfs("flake/kept.nix"), dir.vfs("flake/lib/hosts.nix")]
    );
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    // A corrupt index: warned, and `.gitignore` is honoured as before.
    dir.write(".git/index", b"DIRC\0\0\0\x02\0\0\0\x09garbage");
    let loaded = load_workspace(&dir.path.join("flake")).unwrap();
    assert_eq!(file_paths(&loaded), vec![dir.vfs("flake/kept.nix")]);
    assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
    assert!(loaded.problems[0].message.contains("corrupt git index"));
}
