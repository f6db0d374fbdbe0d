//! The persistent upstream index cache: one file per tree under
//! `$XDG_CACHE_HOME/flakelens` (default `~/.cache/flakelens`), keyed by the
//! tree's path and a fingerprint of its files. Anything that does not check
//! out (wrong magic, other format, bad checksum, truncated, other tree) is
//! ignored and rebuilt; writes go to a temporary file that is renamed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use flakelens_analysis::upstream::{UpstreamIndex, UpstreamKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"FLKLNSUP";
/// Bumped whenever the index's meaning or layout changes.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct CacheFile {
    tool_version: String,
    root: String,
    fingerprint: Vec<u8>,
    index: UpstreamIndex,
}

/// Why the cache was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    Absent,
    /// Not a cache file of this format: corrupt, truncated or foreign.
    Invalid(&'static str),
    /// The tree changed (or another tree has the same key).
    Stale,
}

pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("flakelens"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/flakelens"))
}

/// The cache file for a tree.
pub fn cache_file(dir: &Path, root: &Path, kind: UpstreamKind) -> PathBuf {
    let key = Sha256::digest(root.to_string_lossy().as_bytes());
    let key: String = key[..8].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("upstream-{}-{key}.bin", kind.name()))
}

/// A fingerprint of the tree's module files: their paths, sizes and
/// modification times (store paths never change, local trees are re-read
/// when any file does), plus the tool version.
pub fn fingerprint(root: &Path, files: &[PathBuf]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(FORMAT.to_le_bytes());
    // A rebuilt flakelens may read modules differently: its binary is part
    // of the key.
    if let Some(metadata) = std::env::current_exe()
        .ok()
        .and_then(|exe| std::fs::metadata(exe).ok())
    {
        hasher.update(metadata.len().to_le_bytes());
        let modified = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        hasher.update(modified.to_le_bytes());
    }
    for file in files {
        let relative = file.strip_prefix(root).unwrap_or(file);
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update([0]);
        if let Ok(metadata) = std::fs::metadata(file) {
            hasher.update(metadata.len().to_le_bytes());
            let modified = metadata
                .modified()
                .ok()
                .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            hasher.update(modified.to_le_bytes());
        }
    }
    hasher.finalize().to_vec()
}

/// Reads the cached index if it is valid for this tree and fingerprint.
pub fn load(path: &Path, root: &Path, fingerprint: &[u8]) -> Result<UpstreamIndex, Miss> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(_) => return Err(Miss::Absent),
    };
    let file = decode(&bytes)?;
    if file.root != root.to_string_lossy() || file.fingerprint != fingerprint {
        return Err(Miss::Stale);
    }
    Ok(file.index)
}

fn decode(bytes: &[u8]) -> Result<CacheFile, Miss> {
    if bytes.len() < MAGIC.len() + 4 + 32 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(Miss::Invalid("not a flakelens cache file"));
    }
    let format = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
    if format != FORMAT {
        return Err(Miss::Invalid("written by another flakelens version"));
    }
    let (payload, checksum) = bytes[12..].split_at(bytes.len() - 12 - 32);
    if Sha256::digest(payload).as_slice() != checksum {
        return Err(Miss::Invalid("checksum mismatch (corrupt or truncated)"));
    }
    let file: CacheFile =
        postcard::from_bytes(payload).map_err(|_| Miss::Invalid("cannot be decoded"))?;
    if file.tool_version != env!("CARGO_PKG_VERSION") {
        return Err(Miss::Invalid("written by another flakelens version"));
    }
    Ok(file)
}

/// Writes the index atomically: a temporary file in the same directory,
/// then a rename, so readers see the old file or the new one, never half.
pub fn store(
    path: &Path,
    root: &Path,
    fingerprint: &[u8],
    index: &UpstreamIndex,
) -> std::io::Result<()> {
    let file = CacheFile {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        root: root.to_string_lossy().into_owned(),
        fingerprint: fingerprint.to_vec(),
        index: index.clone(),
    };
    let payload = postcard::to_stdvec(&file).map_err(std::io::Error::other)?;
    let mut bytes = Vec::with_capacity(payload.len() + 44);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT.to_le_bytes());
    bytes.extend_from_slice(&payload);
    bytes.extend_from_slice(&Sha256::digest(&payload));
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let temp = dir.join(format!(
        ".{}.{}.{nanos}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut out = std::fs::File::create(&temp)?;
        out.write_all(&bytes)?;
        out.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
