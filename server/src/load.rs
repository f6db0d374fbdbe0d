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

use flakelens_db::{LoadProblem, ProblemKind, Settings};

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

/// Bounds on the walk, so that no tree (a huge checkout, a generated
/// directory) makes loading unbounded. A cut is reported as a `not-loaded`
/// warning naming where the walk stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkLimits {
    /// Directory entries looked at (files of every kind and directories).
    pub max_entries: usize,
    /// Directory levels below the root.
    pub max_depth: usize,
    /// Bytes of text loaded, summed over every file.
    pub max_total_bytes: u64,
}

impl Default for WalkLimits {
    fn default() -> WalkLimits {
        // A whole nixpkgs checkout (about 60,000 entries, 200 MB of Nix,
        // 20 levels) fits; a walk of a whole file system does not.
        WalkLimits {
            max_entries: 500_000,
            max_depth: 64,
            max_total_bytes: 512 * 1024 * 1024,
        }
    }
}

/// Directories never entered, whatever leads there: their entries are not
/// files (and some never end).
const PSEUDO_FILE_SYSTEMS: [&str; 3] = ["/proc", "/sys", "/dev"];

/// Loads every `.nix` file below `root`, skipping hidden entries, `.git`,
/// `.direnv` and `result`/`result-*` symlinks (Nix build outputs).
///
/// `.gitignore` follows Nix: outside a git work tree it means nothing (Nix
/// copies the whole directory); inside one, files tracked in the index are
/// loaded whatever `.gitignore` says, and so are untracked files it does not
/// ignore (edits before `git add`).
///
/// Symlinks are followed only when their target lies inside the root (or
/// inside a directory `flakelens.toml` lists in `[workspace] symlink-targets`);
/// others are reported and not followed.
pub fn load_workspace(root: &Path) -> io::Result<LoadedWorkspace> {
    load_workspace_with(root, None)
}

/// [`load_workspace`] with editor settings under `flakelens.toml`'s.
pub fn load_workspace_with(
    root: &Path,
    editor: Option<&crate::config::Config>,
) -> io::Result<LoadedWorkspace> {
    load_workspace_limited(root, editor, WalkLimits::default())
}

/// [`load_workspace_with`] with explicit walk limits.
pub fn load_workspace_limited(
    root: &Path,
    editor: Option<&crate::config::Config>,
    limits: WalkLimits,
) -> io::Result<LoadedWorkspace> {
    let root = fs::canonicalize(root)?;
    if !root.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", root.display()),
        ));
    }
    if is_pseudo_file_system(&root) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a source tree; not loaded", root.display()),
        ));
    }
    let vfs_root = vfs_path(&root);

    let mut files = Vec::new();
    let mut problems = Vec::new();

    let loaded = crate::config::load_settings(&root, &vfs_root, editor);
    let settings = loaded.settings;
    problems.extend(loaded.problem);
    files.extend(loaded.file);
    // `[workspace] symlink-targets`, canonical (those that exist).
    let symlink_targets: Vec<PathBuf> = loaded
        .symlink_targets
        .iter()
        .filter_map(|target| fs::canonicalize(target).ok())
        .filter(|target| !is_pseudo_file_system(target))
        .collect();

    // Problems found while deciding which entries to enter; `filter_entry`
    // must be `Fn + Send + Sync`, hence the mutex.
    let skipped = std::sync::Arc::new(std::sync::Mutex::new(Vec::<LoadProblem>::new()));
    let filter = {
        let skipped = skipped.clone();
        let root = root.clone();
        let symlink_targets = symlink_targets.clone();
        move |entry: &ignore::DirEntry| {
            if is_excluded(entry.file_name(), entry.path_is_symlink()) {
                return false;
            }
            let verdict = entry_verdict(
                entry.path(),
                entry.file_type().is_some_and(|ty| ty.is_dir()),
                entry.depth(),
                entry.path_is_symlink(),
                &root,
                &symlink_targets,
                limits,
            );
            match verdict {
                None => true,
                Some(problem) => {
                    if let Ok(mut skipped) = skipped.lock() {
                        skipped.push(problem);
                    }
                    false
                }
            }
        }
    };
    let work_tree = git::find_work_tree(&root);
    let in_git = work_tree.is_some();
    let walker = ignore::WalkBuilder::new(&root)
        .standard_filters(true)
        .hidden(true)
        .git_ignore(in_git)
        .git_exclude(in_git)
        .git_global(in_git)
        .require_git(false)
        .follow_links(true)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(filter)
        .build();

    let mut sink = Sink {
        files,
        problems,
        total_bytes: 0,
        vfs_root: vfs_root.clone(),
        limits,
    };
    let mut entries = 0usize;
    // Wanted files the walk reached (the tracked pass skips them).
    let mut seen = std::collections::HashSet::new();
    let mut stopped = false;
    for result in walker {
        entries += 1;
        if entries > limits.max_entries {
            let at = result
                .as_ref()
                .map_or_else(|_| vfs_root.clone(), |entry| vfs_path(entry.path()));
            sink.entry_limit(&at);
            stopped = true;
            break;
        }
        match result {
            Ok(entry) => {
                // Only wanted files are sized: a stat per entry is not free.
                let mut size = 0;
                if is_wanted_name(entry.path()) {
                    size = entry.metadata().map_or(0, |metadata| metadata.len());
                    seen.insert(entry.path().to_path_buf());
                }
                if !sink.take(entry.path(), entry.file_type(), size) {
                    stopped = true;
                    break;
                }
            }
            Err(err) => {
                if let Some(problem) = walk_error_problem(&err, &root, &vfs_root) {
                    sink.problems.push(problem);
                }
            }
        }
    }
    if let (false, Some(tree)) = (stopped, &work_tree) {
        let pass = TrackedPass {
            root: &root,
            symlink_targets: &symlink_targets,
            limits,
            seen: &seen,
        };
        pass.run(tree, &mut sink, entries);
    }
    let Sink {
        mut files,
        mut problems,
        ..
    } = sink;
    if let Ok(mut skipped) = skipped.lock() {
        problems.append(&mut skipped);
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

/// What the walk and the tracked-file pass have loaded so far; both load a
/// file through [`Sink::take`], so the same per-file rules apply.
struct Sink {
    files: Vec<(String, String)>,
    problems: Vec<LoadProblem>,
    total_bytes: u64,
    vfs_root: String,
    limits: WalkLimits,
}

impl Sink {
    fn entry_limit(&mut self, at: &str) {
        self.problems.push(LoadProblem {
            path: self.vfs_root.clone(),
            message: format!(
                "the walk stopped after {} entries (the limit); files after {at} were not loaded",
                self.limits.max_entries,
            ),
            kind: ProblemKind::Skipped,
        });
    }

    /// Loads the entry at `path` when it is a Nix or data file; `false` when
    /// the byte limit stops the walk.
    fn take(&mut self, path: &Path, file_type: Option<fs::FileType>, size: u64) -> bool {
        let is_file = file_type.is_some_and(|ty| ty.is_file());
        let is_dir = file_type.is_some_and(|ty| ty.is_dir());
        if !is_file && !is_dir && has_nix_extension(path) {
            // A FIFO, socket or device named `.nix`: never opened (opening
            // a FIFO blocks).
            self.problems.push(LoadProblem {
                path: vfs_path(path),
                message: "not a regular file; skipped".to_string(),
                kind: ProblemKind::Unreadable,
            });
            return true;
        }
        if !is_file || !is_wanted_name(path) {
            return true;
        }
        if self.total_bytes.saturating_add(size.min(MAX_FILE_SIZE)) > self.limits.max_total_bytes {
            self.problems.push(LoadProblem {
                path: self.vfs_root.clone(),
                message: format!(
                    "the walk stopped at {} MiB of files (the limit); {} and the files after it were not loaded",
                    self.limits.max_total_bytes / (1024 * 1024),
                    vfs_path(path)
                ),
                kind: ProblemKind::Skipped,
            });
            return false;
        }
        if is_data_file(path) {
            // Data that Nix code may read (`fromTOML (readFile …)`): loaded
            // when small and readable, silently skipped if not.
            if size <= MAX_DATA_FILE_SIZE {
                if let Ok(text) = read_nix_file(path) {
                    self.total_bytes += text.len() as u64;
                    self.files.push((vfs_path(path), text));
                }
            }
            return true;
        }
        let vfs = vfs_path(path);
        match read_nix_file(path) {
            Ok(text) => {
                self.total_bytes += text.len() as u64;
                self.files.push((vfs, text));
            }
            Err(message) => self.problems.push(LoadProblem {
                path: vfs,
                message,
                kind: ProblemKind::Unreadable,
            }),
        }
        true
    }
}

/// The files tracked in git that the walk did not reach (`.gitignore`
/// matched them): Nix sees them, so they are loaded, under the walk's rules.
struct TrackedPass<'a> {
    root: &'a Path,
    symlink_targets: &'a [PathBuf],
    limits: WalkLimits,
    seen: &'a std::collections::HashSet<PathBuf>,
}

impl TrackedPass<'_> {
    fn run(&self, tree: &git::WorkTree, sink: &mut Sink, mut entries: usize) {
        let quick_wanted = |relative: &[u8]| {
            [&b".nix"[..], b".toml", b".json"]
                .iter()
                .any(|ext| relative.ends_with(ext))
        };
        let tracked = match git::tracked_below(tree, self.root, quick_wanted) {
            Ok(tracked) => tracked,
            Err(message) => {
                // Tracked files may be missing: nothing is said about what
                // the workspace lacks.
                sink.problems.push(LoadProblem {
                    path: sink.vfs_root.clone(),
                    message,
                    kind: ProblemKind::Skipped,
                });
                return;
            }
        };
        for relative in tracked {
            let path = self.root.join(&relative);
            if self.seen.contains(&path)
                || !is_wanted_name(&path)
                || !self.walkable(&relative, sink)
            {
                continue;
            }
            entries += 1;
            if entries > self.limits.max_entries {
                sink.entry_limit(&vfs_path(&path));
                return;
            }
            let metadata = fs::metadata(&path).ok();
            let size = metadata.as_ref().map_or(0, fs::Metadata::len);
            if !sink.take(&path, metadata.map(|m| m.file_type()), size) {
                return;
            }
        }
    }

    /// Whether the walk's rules let it reach `relative` (hidden entries,
    /// `.git`, `.direnv`, `result*` links, symlinks, depth); problems are
    /// reported as the walk would. A tracked file deleted from the work tree
    /// is passed over.
    fn walkable(&self, relative: &Path, sink: &mut Sink) -> bool {
        let mut current = self.root.to_path_buf();
        for (depth, name) in relative.iter().enumerate() {
            current.push(name);
            if name.to_string_lossy().starts_with('.') {
                return false;
            }
            let Ok(link) = fs::symlink_metadata(&current) else {
                return false;
            };
            let is_symlink = link.file_type().is_symlink();
            if is_excluded(name, is_symlink) {
                return false;
            }
            let is_dir = fs::metadata(&current).is_ok_and(|meta| meta.is_dir());
            let verdict = entry_verdict(
                &current,
                is_dir,
                depth + 1,
                is_symlink,
                self.root,
                self.symlink_targets,
                self.limits,
            );
            if let Some(problem) = verdict {
                sink.problems.push(problem);
                return false;
            }
        }
        true
    }
}

/// Whether the walk may enter or read the entry at `path`; `Some(problem)`
/// when not.
fn entry_verdict(
    path: &Path,
    is_dir: bool,
    depth: usize,
    is_symlink: bool,
    root: &Path,
    symlink_targets: &[PathBuf],
    limits: WalkLimits,
) -> Option<LoadProblem> {
    let skipped = |message: String| {
        Some(LoadProblem {
            path: vfs_path(path),
            message,
            kind: ProblemKind::Skipped,
        })
    };
    if is_dir && depth > limits.max_depth {
        return skipped(format!(
            "directory nested deeper than {} levels; not loaded",
            limits.max_depth
        ));
    }
    if is_symlink {
        // A dangling link has no target: the walker reports it.
        let target = fs::canonicalize(path).ok()?;
        if is_pseudo_file_system(&target) {
            return skipped(format!(
                "symlink to {}, which is not a source tree; not followed",
                target.display()
            ));
        }
        let allowed = target.starts_with(root)
            || symlink_targets
                .iter()
                .any(|allowed| target.starts_with(allowed));
        if !allowed {
            return skipped(format!(
                "symlink to {}, outside the workspace; not followed (list the target in \
                 flakelens.toml `[workspace] symlink-targets` to read it)",
                target.display()
            ));
        }
        return None;
    }
    if is_dir && is_pseudo_file_system(path) {
        return skipped("not a source tree; not entered".to_string());
    }
    None
}

fn is_pseudo_file_system(path: &Path) -> bool {
    PSEUDO_FILE_SYSTEMS
        .iter()
        .any(|pseudo| path.starts_with(pseudo))
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

/// Files the loader reads: `.nix` and data files.
fn is_wanted_name(path: &Path) -> bool {
    has_nix_extension(path) || is_data_file(path)
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
            kind: ProblemKind::Skipped,
        });
    }

    let Some(path) = path else {
        return Some(LoadProblem {
            path: vfs_root.to_string(),
            message: current.to_string(),
            kind: ProblemKind::Unreadable,
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
            kind: ProblemKind::Unreadable,
        });
    }
    let message = match current {
        ignore::Error::Io(io_err) => format!("cannot read: {io_err}"),
        other => other.to_string(),
    };
    Some(LoadProblem {
        path: vfs_path(path),
        message,
        kind: ProblemKind::Unreadable,
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

pub(crate) mod git;

#[cfg(test)]
mod tests;
