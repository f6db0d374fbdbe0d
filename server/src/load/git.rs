//! Git work trees for the loader: finding the work tree around a workspace
//! root and reading the paths tracked in its index (`.git/index`) without
//! spawning git. Nix takes a git flake's source from the index, whatever
//! `.gitignore` says, so the loader loads tracked files even when ignored.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Largest index read; a bigger one is reported and not used.
const MAX_INDEX_SIZE: u64 = 256 * 1024 * 1024;

/// Most entries accepted in one index.
const MAX_INDEX_ENTRIES: u32 = 4_000_000;

/// Longest path accepted in an index entry (git's own limit is `PATH_MAX`).
const MAX_PATH_LEN: usize = 4096;

/// Most bytes of tracked paths kept (the paths themselves, a bound on
/// memory whatever a corrupt index claims).
const MAX_TRACKED_BYTES: usize = 64 * 1024 * 1024;

/// Largest `.git` file (`gitdir: <path>`) read.
const MAX_DOT_GIT_FILE: u64 = 64 * 1024;

/// Bytes of an entry before its flags: ctime, mtime, dev, ino, mode, uid,
/// gid, size (4 bytes each, times 8 bytes) and the 20-byte object id.
const ENTRY_FIXED_LEN: usize = 60;

/// The git work tree holding a workspace root.
#[derive(Debug)]
pub(super) struct WorkTree {
    /// The work tree's top directory (the root or an ancestor of it).
    pub top: PathBuf,
    /// The git directory (`.git`, or where a `.git` file points), or why it
    /// could not be found.
    pub git_dir: Result<PathBuf, String>,
}

/// The work tree whose top is `root` or its nearest ancestor holding a
/// `.git` directory or file; `None` outside git.
pub(super) fn find_work_tree(root: &Path) -> Option<WorkTree> {
    root.ancestors().find_map(|dir| {
        let dot_git = dir.join(".git");
        let metadata = fs::metadata(&dot_git).ok()?;
        let git_dir = if metadata.is_dir() {
            Ok(dot_git)
        } else {
            read_dot_git_file(&dot_git).map(|target| dir.join(target))
        };
        Some(WorkTree {
            top: dir.to_path_buf(),
            git_dir,
        })
    })
}

/// The target of a `.git` file (`gitdir: <path>`, written by worktrees and
/// submodules); relative targets are relative to the file's directory.
fn read_dot_git_file(path: &Path) -> Result<PathBuf, String> {
    let mut text = String::new();
    fs::File::open(path)
        .and_then(|file| file.take(MAX_DOT_GIT_FILE).read_to_string(&mut text))
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    text.lines()
        .find_map(|line| line.strip_prefix("gitdir:"))
        .map(|target| PathBuf::from(target.trim()))
        .filter(|target| !target.as_os_str().is_empty())
        .ok_or_else(|| format!("{} has no `gitdir:` line", path.display()))
}

/// The files tracked in `tree`'s index that lie below `root`, relative to
/// `root`, sorted and without duplicates; `keep` filters them by their
/// relative path (bytes, `/`-separated) before they are stored. A missing
/// index tracks nothing.
pub(super) fn tracked_below(
    tree: &WorkTree,
    root: &Path,
    keep: impl Fn(&[u8]) -> bool,
) -> Result<Vec<PathBuf>, String> {
    let git_dir = tree.git_dir.as_ref().map_err(Clone::clone)?;
    let index = git_dir.join("index");
    let bytes = match read_bounded(&index) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(format!("cannot read {}: {err}", index.display())),
    };
    let prefix = root
        .strip_prefix(&tree.top)
        .map_err(|_| format!("{} is not below {}", root.display(), tree.top.display()))?;
    let mut prefix = path_bytes(prefix)?;
    if !prefix.is_empty() {
        prefix.push(b'/');
    }
    let mut tracked = Vec::new();
    let mut kept_bytes = 0usize;
    parse_index(&bytes, |path| {
        if let Some(relative) = path.strip_prefix(prefix.as_slice()) {
            if keep(relative) && kept_bytes <= MAX_TRACKED_BYTES {
                kept_bytes += relative.len();
                if let Some(relative) = bytes_path(relative) {
                    tracked.push(relative);
                }
            }
        }
    })
    .map_err(|err| format!("{}: {err}", index.display()))?;
    if kept_bytes > MAX_TRACKED_BYTES {
        return Err(format!(
            "{}: more tracked paths than the loader keeps; .gitignore is honoured",
            index.display()
        ));
    }
    // Conflicted files appear once per stage.
    tracked.dedup();
    Ok(tracked)
}

fn read_bounded(path: &Path) -> io::Result<Vec<u8>> {
    let file = fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_INDEX_SIZE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INDEX_SIZE {
        return Err(io::Error::other(format!(
            "larger than {} MiB",
            MAX_INDEX_SIZE / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// Calls `found` with the path of every regular file and symlink entry of a
/// git index (versions 2, 3 and 4), in index order. Submodule (gitlink) and
/// sparse-directory entries are passed over. Every read is bounds-checked:
/// a truncated or corrupt index is an `Err`, never a panic.
pub(super) fn parse_index(bytes: &[u8], mut found: impl FnMut(&[u8])) -> Result<(), String> {
    let corrupt = |what: &str| {
        Err(format!(
            "corrupt git index ({what}); .gitignore is honoured"
        ))
    };
    if bytes.len() < 12 || &bytes[..4] != b"DIRC" {
        return corrupt("no DIRC header");
    }
    let version = be_u32(bytes, 4).unwrap_or(0);
    if !(2..=4).contains(&version) {
        return Err(format!(
            "git index version {version} is not supported; .gitignore is honoured"
        ));
    }
    let count = be_u32(bytes, 8).unwrap_or(0);
    if count > MAX_INDEX_ENTRIES {
        return corrupt("too many entries");
    }
    let mut pos = 12usize;
    let mut path: Vec<u8> = Vec::new();
    for _ in 0..count {
        let (Some(mode), Some(flags)) = (be_u32(bytes, pos + 24), be_u16(bytes, pos + 60)) else {
            return corrupt("truncated entry");
        };
        let mut name_start = pos + ENTRY_FIXED_LEN + 2;
        if flags & 0x4000 != 0 {
            if version < 3 {
                return corrupt("extended flags in a version 2 index");
            }
            name_start += 2;
        }
        let name_len = usize::from(flags & 0x0fff);
        let Some(rest) = bytes.get(name_start..) else {
            return corrupt("truncated entry");
        };
        if version == 4 {
            let Some((strip, varint_len)) = decode_varint(rest) else {
                return corrupt("bad path prefix");
            };
            let Some(kept) = usize::try_from(strip)
                .ok()
                .and_then(|strip| path.len().checked_sub(strip))
            else {
                return corrupt("path prefix longer than the previous path");
            };
            let suffix = &rest[varint_len..];
            let Some(nul) = suffix.iter().position(|&b| b == 0) else {
                return corrupt("unterminated path");
            };
            path.truncate(kept);
            path.extend_from_slice(&suffix[..nul]);
            pos = name_start + varint_len + nul + 1;
        } else {
            let Some(nul) = rest.iter().position(|&b| b == 0) else {
                return corrupt("unterminated path");
            };
            path.clear();
            path.extend_from_slice(&rest[..nul]);
            // The entry is padded with 1 to 8 NULs to a multiple of 8 bytes.
            let end = (name_start - pos + nul + 8) & !7;
            if bytes.len() < pos + end || bytes[name_start + nul..pos + end].iter().any(|&b| b != 0)
            {
                return corrupt("bad entry padding");
            }
            pos += end;
        }
        // 0xfff means "this long or longer".
        if (name_len < 0x0fff && path.len() != name_len) || path.len() < name_len {
            return corrupt("path length does not match its flags");
        }
        if path.len() > MAX_PATH_LEN || !is_clean_path(&path) {
            return corrupt("bad path");
        }
        // Regular files (0o100644/0o100755) and symlinks (0o120000) only.
        if matches!(mode & 0o170000, 0o100000 | 0o120000) {
            found(&path);
        }
    }
    if pos + 8 <= bytes.len() && has_split_index_link(&bytes[pos..]) {
        return Err(
            "split git index (core.splitIndex) is not supported; .gitignore is honoured"
                .to_string(),
        );
    }
    Ok(())
}

/// Whether the extensions after the entries hold `link` (a split index:
/// most entries live in another file).
fn has_split_index_link(mut extensions: &[u8]) -> bool {
    while extensions.len() >= 8 {
        if &extensions[..4] == b"link" {
            return true;
        }
        let Some(size) = be_u32(extensions, 4).and_then(|size| usize::try_from(size).ok()) else {
            return false;
        };
        let Some(next) = extensions.get(8usize.saturating_add(size)..) else {
            return false;
        };
        extensions = next;
    }
    false
}

/// Git's offset varint (`decode_varint` in varint.c): the value and how many
/// bytes it took; `None` when truncated or overflowing.
pub(super) fn decode_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut iter = bytes.iter();
    let mut byte = *iter.next()?;
    let mut value = u64::from(byte & 0x7f);
    let mut len = 1;
    while byte & 0x80 != 0 {
        byte = *iter.next()?;
        value = value.checked_add(1)?;
        if value >> 57 != 0 {
            return None;
        }
        value = (value << 7) | u64::from(byte & 0x7f);
        len += 1;
    }
    Some((value, len))
}

/// A relative, `/`-separated path without empty, `.` or `..` components
/// (git never writes others; anything else must not reach outside the root).
fn is_clean_path(path: &[u8]) -> bool {
    !path.is_empty()
        && path
            .split(|&b| b == b'/')
            .all(|part| !part.is_empty() && part != b"." && part != b"..")
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let slice = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(slice.try_into().ok()?))
}

fn be_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let slice = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(slice.try_into().ok()?))
}

/// A relative path as index bytes (`/`-separated).
fn path_bytes(path: &Path) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for (i, part) in path.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        #[cfg(unix)]
        out.extend_from_slice(std::os::unix::ffi::OsStrExt::as_bytes(part));
        #[cfg(not(unix))]
        out.extend_from_slice(
            part.to_str()
                .ok_or_else(|| format!("{} is not UTF-8", path.display()))?
                .as_bytes(),
        );
    }
    Ok(out)
}

/// Index bytes as a relative path; `None` when not representable.
fn bytes_path(bytes: &[u8]) -> Option<PathBuf> {
    #[cfg(unix)]
    {
        Some(PathBuf::from(
            <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes),
        ))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(bytes).ok().map(PathBuf::from)
    }
}
