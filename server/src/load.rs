//! The workspace loader: the IO edge that turns a directory on disk into the
//! list of Nix files (with VFS paths), the load problems and the settings
//! that the database layer consumes.
//!
//! Everything here is deterministic: files and problems come back sorted by
//! path, and nothing panics or hangs on odd trees (symlink loops, binary or
//! non-UTF-8 files, unreadable entries).

use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use flakelens_db::{LoadProblem, Settings};

/// Files larger than this are not loaded.
pub const MAX_FILE_SIZE: u64 = 20 * 1024 * 1024;

/// How much of a file is scanned for NUL bytes to detect binary files.
const BINARY_SNIFF_LEN: usize = 8 * 1024;

/// A loaded workspace, ready to be fed to the database.
#[derive(Debug, Clone, Default)]
pub struct LoadedWorkspace {
    /// Absolute, normalised, '/'-separated path of the root (the "VFS root").
    pub root: String,
    /// (VFS path, text with newlines normalised by
    /// `flakelens_syntax::normalize_newlines`), sorted by path.
    pub files: Vec<(String, String)>,
    /// What could not be loaded, sorted by path.
    pub problems: Vec<LoadProblem>,
    /// Settings from `flakelens.toml` (default when absent or malformed).
    pub settings: Settings,
}

/// The workspace root for a path: the nearest ancestor (or itself) holding
/// `flake.nix`; else the directory itself (or the file's parent directory
/// when given a file). The result is canonicalised.
pub fn find_root(path: &Path) -> io::Result<PathBuf> {
    let path = fs::canonicalize(path)?;
    let start = if path.is_dir() {
        path
    } else {
        match path.parent() {
            Some(parent) => parent.to_path_buf(),
            None => path,
        }
    };
    for dir in start.ancestors() {
        if dir.join("flake.nix").is_file() {
            return Ok(dir.to_path_buf());
        }
    }
    Ok(start)
}

/// Loads every `.nix` file below `root`, honouring `.gitignore` files (also
/// outside git repositories) and skipping hidden entries, `.git`, `.direnv`
/// and `result`/`result-*` symlinks (Nix build outputs).
pub fn load_workspace(root: &Path) -> io::Result<LoadedWorkspace> {
    load_workspace_with(root, None)
}

/// [`load_workspace`] with editor settings under `flakelens.toml`'s.
pub fn load_workspace_with(
    root: &Path,
    editor: Option<&crate::config::Config>,
) -> io::Result<LoadedWorkspace> {
    let root = fs::canonicalize(root)?;
    if !root.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", root.display()),
        ));
    }
    let vfs_root = vfs_path(&root);

    let mut files = Vec::new();
    let mut problems = Vec::new();

    let loaded = crate::config::load_settings(&root, &vfs_root, editor);
    let settings = loaded.settings;
    problems.extend(loaded.problem);
    files.extend(loaded.file);

    let walker = ignore::WalkBuilder::new(&root)
        .standard_filters(true)
        .hidden(true)
        .git_ignore(true)
        .require_git(false)
        .follow_links(true)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|entry| !is_excluded(entry.file_name(), entry.path_is_symlink()))
        .build();

    for result in walker {
        match result {
            Ok(entry) => {
                let is_file = entry.file_type().is_some_and(|ty| ty.is_file());
                if is_file && is_data_file(entry.path()) {
                    // Data that Nix code may read (`fromTOML (readFile …)`):
                    // loaded when small and readable, silently skipped if not.
                    let small = entry
                        .metadata()
                        .is_ok_and(|metadata| metadata.len() <= MAX_DATA_FILE_SIZE);
                    if small {
                        if let Ok(text) = read_nix_file(entry.path()) {
                            files.push((vfs_path(entry.path()), text));
                        }
                    }
                    continue;
                }
                if !is_file || !has_nix_extension(entry.path()) {
                    continue;
                }
                let path = vfs_path(entry.path());
                match read_nix_file(entry.path()) {
                    Ok(text) => files.push((path, text)),
                    Err(message) => problems.push(LoadProblem { path, message }),
                }
            }
            Err(err) => {
                if let Some(problem) = walk_error_problem(&err, &root, &vfs_root) {
                    problems.push(problem);
                }
            }
        }
    }

    files.sort_by(|a, b| a.0.cmp(&b.0));
    files.dedup_by(|a, b| a.0 == b.0);
    problems.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    problems.dedup();

    Ok(LoadedWorkspace {
        root: vfs_root,
        files,
        problems,
        settings,
    })
}

/// Reads one Nix file the way [`load_workspace`] does: `Ok(text)` with
/// newlines normalised, or `Err(message)` describing why it was skipped.
pub fn read_nix_file(path: &Path) -> Result<String, String> {
    let too_large = || {
        format!(
            "file is larger than {} MiB; skipped",
            MAX_FILE_SIZE / (1024 * 1024)
        )
    };
    let cannot_read = |err: io::Error| format!("cannot read file: {err}");

    // Check the kind before opening: opening a FIFO would block forever.
    let kind = fs::metadata(path).map_err(cannot_read)?;
    if kind.is_dir() {
        return Err("cannot read file: is a directory".to_string());
    }
    if !kind.is_file() {
        return Err("not a regular file; skipped".to_string());
    }
    let file = fs::File::open(path).map_err(cannot_read)?;
    let metadata = file.metadata().map_err(cannot_read)?;
    if metadata.len() > MAX_FILE_SIZE {
        return Err(too_large());
    }
    // Read at most one byte past the limit, so a file that grew after the
    // size check is still caught without reading it whole.
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    decode_nix_bytes(bytes)
}

/// Checks and decodes the bytes of a Nix file.
fn decode_nix_bytes(bytes: Vec<u8>) -> Result<String, String> {
    let sniff = &bytes[..bytes.len().min(BINARY_SNIFF_LEN)];
    if sniff.contains(&0) {
        return Err("binary file; skipped".to_string());
    }
    let text = String::from_utf8(bytes).map_err(|err| {
        format!(
            "file is not valid UTF-8 (first invalid byte at offset {}); skipped",
            err.utf8_error().valid_up_to()
        )
    })?;
    Ok(match flakelens_syntax::normalize_newlines(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(normalised) => normalised,
    })
}

/// The VFS path string for a real path: absolute (relative paths are taken
/// against the current directory), `.`/`..` resolved lexically, `/`-separated,
/// without a trailing slash. Symlinks are not resolved.
///
/// On Windows the drive prefix becomes the first component (`/C:/dir`), so
/// every VFS path starts with `/` like the database layer expects.
pub fn vfs_path(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut parts: Vec<String> = Vec::new();
    for component in absolute.components() {
        match component {
            Component::Prefix(prefix) => {
                let text = match prefix.kind() {
                    std::path::Prefix::Disk(drive) | std::path::Prefix::VerbatimDisk(drive) => {
                        format!("{}:", char::from(drive).to_ascii_uppercase())
                    }
                    _ => prefix.as_os_str().to_string_lossy().replace('\\', "/"),
                };
                parts.extend(
                    text.split('/')
                        .filter(|part| !part.is_empty())
                        .map(String::from),
                );
            }
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(name) => parts.push(name.to_string_lossy().replace('\\', "/")),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Entries the walker never descends into or reports.
fn is_excluded(name: &std::ffi::OsStr, is_symlink: bool) -> bool {
    let name = name.to_string_lossy();
    if name == ".git" || name == ".direnv" {
        return true;
    }
    is_symlink && is_result_link_name(&name)
}

/// `result` and `result-*` are the out-links `nix build` leaves behind.
fn is_result_link_name(name: &str) -> bool {
    name == "result" || name.starts_with("result-")
}

/// Largest `.toml`/`.json` file loaded for `builtins.readFile`.
pub const MAX_DATA_FILE_SIZE: u64 = 1024 * 1024;

/// `.toml` and `.json` files: Nix code reads them with `fromTOML`/`fromJSON`.
fn is_data_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "toml" || ext == "json")
        && path
            .file_name()
            .is_some_and(|name| name != "flakelens.toml")
}

fn has_nix_extension(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "nix")
}

/// Turns a walker error into a load problem, or `None` for errors about
/// entries the walk would have skipped anyway (hidden entries, `.git`,
/// `.direnv`, `result` links) and dangling symlinks to non-Nix files.
fn walk_error_problem(err: &ignore::Error, root: &Path, vfs_root: &str) -> Option<LoadProblem> {
    let mut path: Option<&Path> = None;
    let mut current = err;
    loop {
        match current {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert(p.as_path());
                current = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                current = err;
            }
            ignore::Error::Partial(errs) if errs.len() == 1 => current = &errs[0],
            _ => break,
        }
    }

    if let ignore::Error::Loop { ancestor, child } = current {
        if is_skipped_by_name(child, root) {
            return None;
        }
        return Some(LoadProblem {
            path: vfs_path(child),
            message: format!(
                "symlink loop: {} points back to its ancestor {}; not followed",
                vfs_path(child),
                vfs_path(ancestor)
            ),
        });
    }

    let Some(path) = path else {
        return Some(LoadProblem {
            path: vfs_root.to_string(),
            message: current.to_string(),
        });
    };
    if is_skipped_by_name(path, root) {
        return None;
    }
    let dangling = fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
        && fs::metadata(path).is_err();
    if dangling {
        if !has_nix_extension(path) {
            return None;
        }
        return Some(LoadProblem {
            path: vfs_path(path),
            message: "broken symlink; skipped".to_string(),
        });
    }
    let message = match current {
        ignore::Error::Io(io_err) => format!("cannot read: {io_err}"),
        other => other.to_string(),
    };
    Some(LoadProblem {
        path: vfs_path(path),
        message,
    })
}

/// Whether some component of `path` below `root` is one the walk skips by
/// name: hidden, `.git`/`.direnv`, or a `result`/`result-*` link.
fn is_skipped_by_name(path: &Path, root: &Path) -> bool {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let mut current = root.to_path_buf();
    for component in relative.components() {
        let Component::Normal(name) = component else {
            continue;
        };
        current.push(name);
        let text = name.to_string_lossy();
        if text.starts_with('.') {
            return true;
        }
        if is_result_link_name(&text)
            && fs::symlink_metadata(&current).is_ok_and(|meta| meta.file_type().is_symlink())
        {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
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
    fn gitignore_is_honoured_without_git_repo() {
        let dir = TempDir::new("gitignore");
        dir.write(".gitignore", "ignored/\ngenerated.nix\n");
        dir.write("kept.nix", "1\n");
        dir.write("generated.nix", "2\n");
        dir.write("ignored/inner.nix", "3\n");
        dir.write("sub/generated.nix", "4\n");
        dir.write(".git/config.nix", "5\n");
        dir.write(".direnv/flake-profile.nix", "6\n");

        let loaded = load_workspace(&dir.path).unwrap();
        assert_eq!(file_paths(&loaded), vec![dir.vfs("kept.nix")]);
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
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
                message: "binary file; skipped".to_string()
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
                message: "file is larger than 20 MiB; skipped".to_string()
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
        symlink(outside.path.join("lib"), dir.path.join("lib")).unwrap();
        symlink(outside.path.join("single.nix"), dir.path.join("linked.nix")).unwrap();
        symlink(dir.path.join("missing.nix"), dir.path.join("dangling.nix")).unwrap();
        symlink(dir.path.join("missing"), dir.path.join("dangling-dir")).unwrap();

        let loaded = load_workspace(&dir.path).unwrap();
        assert_eq!(
            file_paths(&loaded),
            vec![dir.vfs("lib/util.nix"), dir.vfs("linked.nix")]
        );
        assert_eq!(
            loaded.problems,
            vec![LoadProblem {
                path: dir.vfs("dangling.nix"),
                message: "broken symlink; skipped".to_string()
            }]
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
    }
}
