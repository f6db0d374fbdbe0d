//! Where the upstream module trees (nixpkgs, home-manager, nix-darwin) are on
//! this machine, found without network, evaluation or a spawned process:
//! explicit paths, the store path of a `flake.lock` input, the Nix
//! registries, `NIX_PATH` and channels — first hit wins, per tree.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::{Digest, Sha256};

/// Which upstream tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tree {
    Nixpkgs,
    HomeManager,
    NixDarwin,
}

impl Tree {
    pub const ALL: [Tree; 3] = [Tree::Nixpkgs, Tree::HomeManager, Tree::NixDarwin];

    pub fn name(self) -> &'static str {
        match self {
            Tree::Nixpkgs => "nixpkgs",
            Tree::HomeManager => "home-manager",
            Tree::NixDarwin => "nix-darwin",
        }
    }

    /// Names the tree goes by as a flake input, registry id or channel.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Tree::Nixpkgs => &["nixpkgs"],
            Tree::HomeManager => &["home-manager"],
            Tree::NixDarwin => &["nix-darwin", "darwin"],
        }
    }

    /// The module list that roots the tree, relative to its top.
    pub fn root_file(self) -> &'static str {
        match self {
            Tree::Nixpkgs => "nixos/modules/module-list.nix",
            Tree::HomeManager => "modules/modules.nix",
            Tree::NixDarwin => "modules/module-list.nix",
        }
    }
}

/// How a tree was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    /// `--nixpkgs`, `flakelens.toml` `[upstream]`, `initializationOptions`.
    Explicit(String),
    /// The store path of a locked flake input.
    FlakeLock {
        input: String,
    },
    Registry(PathBuf),
    NixPath,
    Channel(PathBuf),
}

impl std::fmt::Display for How {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            How::Explicit(origin) => write!(f, "set by {origin}"),
            How::FlakeLock { input } => write!(f, "flake.lock input `{input}` (store path)"),
            How::Registry(file) => write!(f, "flake registry {}", file.display()),
            How::NixPath => f.write_str("NIX_PATH"),
            How::Channel(dir) => write!(f, "channel in {}", dir.display()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub tree: Tree,
    pub path: PathBuf,
    pub how: How,
}

impl Found {
    /// Whether the tree may not be the version the repository evaluates:
    /// found in a registry, `NIX_PATH` or a channel while `flake.lock` pins
    /// the input elsewhere. An option missing from (or typed differently
    /// in) another version is no proof, so such a tree informs hover and
    /// completion but no diagnostic.
    pub fn version_unsure(&self, lock_pins_tree: bool) -> bool {
        lock_pins_tree && matches!(self.how, How::Registry(_) | How::NixPath | How::Channel(_))
    }
}

/// A place that should have held a tree but did not, said in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub tree: Tree,
    pub message: String,
}

/// The result of looking for every tree.
#[derive(Debug, Clone, Default)]
pub struct Located {
    pub found: Vec<Found>,
    pub notes: Vec<Note>,
    /// Trees `flake.lock` pins (whether or not the pinned path exists).
    pub pinned: Vec<Tree>,
}

impl Located {
    pub fn get(&self, tree: Tree) -> Option<&Found> {
        self.found.iter().find(|found| found.tree == tree)
    }
}

/// What to look at. `from_env` reads the real environment; tests build
/// one by hand.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// Explicit paths, with where they were set.
    pub explicit: Vec<(Tree, PathBuf, String)>,
    /// The workspace root (for `flake.lock`).
    pub workspace: Option<PathBuf>,
    /// Registry files, user first (it overrides the system one).
    pub registries: Vec<PathBuf>,
    pub nix_path: Option<String>,
    /// Directories whose entries are channels (`…/channels/nixpkgs`).
    pub channel_dirs: Vec<PathBuf>,
}

impl Probe {
    pub fn from_env(workspace: Option<PathBuf>, explicit: Vec<(Tree, PathBuf, String)>) -> Probe {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|home| home.join(".config")));
        let mut registries = Vec::new();
        if let Some(config) = config {
            registries.push(config.join("nix/registry.json"));
        }
        registries.push(PathBuf::from("/etc/nix/registry.json"));
        let mut channel_dirs = Vec::new();
        if let Some(home) = &home {
            channel_dirs.push(home.join(".nix-defexpr/channels"));
        }
        if let Ok(users) = std::fs::read_dir("/nix/var/nix/profiles/per-user") {
            let mut users: Vec<PathBuf> = users
                .flatten()
                .map(|entry| entry.path().join("channels"))
                .collect();
            users.sort();
            channel_dirs.extend(users);
        }
        Probe {
            explicit,
            workspace,
            registries,
            nix_path: std::env::var("NIX_PATH").ok(),
            channel_dirs,
        }
    }
}

/// Looks for every tree in the documented order.
pub fn locate(probe: &Probe) -> Located {
    let mut located = Located::default();
    let lock = probe
        .workspace
        .as_ref()
        .and_then(|root| std::fs::read_to_string(root.join("flake.lock")).ok());
    for tree in Tree::ALL {
        let mut candidates: Vec<(PathBuf, How)> = Vec::new();
        for (t, path, origin) in &probe.explicit {
            if *t == tree {
                candidates.push((path.clone(), How::Explicit(origin.clone())));
            }
        }
        if let Some(lock) = &lock {
            for alias in tree.aliases() {
                if lock_store_path(lock, alias).is_some() && !located.pinned.contains(&tree) {
                    located.pinned.push(tree);
                }
                match lock_store_path(lock, alias) {
                    Some(LockPath::Path(path)) => candidates.push((
                        path,
                        How::FlakeLock {
                            input: alias.to_string(),
                        },
                    )),
                    Some(LockPath::NotStore) | None => {}
                }
            }
        }
        for registry in &probe.registries {
            if let Ok(text) = std::fs::read_to_string(registry) {
                for alias in tree.aliases() {
                    if let Some(path) = registry_path(&text, alias) {
                        candidates.push((path, How::Registry(registry.clone())));
                    }
                }
            }
        }
        if let Some(nix_path) = &probe.nix_path {
            for path in nix_path_entries(nix_path, tree.aliases()) {
                candidates.push((path, How::NixPath));
            }
        }
        for dir in &probe.channel_dirs {
            for alias in tree.aliases() {
                candidates.push((dir.join(alias), How::Channel(dir.clone())));
            }
        }
        for (path, how) in candidates {
            if path.join(tree.root_file()).is_file() {
                located.found.push(Found { tree, path, how });
                break;
            }
            match &how {
                How::Explicit(origin) => located.notes.push(Note {
                    tree,
                    message: format!(
                        "{} (set by {origin}) has no {}: not a {} tree",
                        path.display(),
                        tree.root_file(),
                        tree.name()
                    ),
                }),
                How::FlakeLock { input } if !path.exists() => located.notes.push(Note {
                    tree,
                    message: format!(
                        "flake.lock pins `{input}` at {}, but that path is not on this machine \
                         (Nix has not copied it to the store, or it was garbage-collected). \
                         Fix: run `nix flake archive` in the repository, or set the path with \
                         `--{}` / `[upstream] {}` in flakelens.toml.",
                        path.display(),
                        tree.name(),
                        tree.name()
                    ),
                }),
                _ => {}
            }
        }
    }
    located
}

/// `/nix/store/<hash>-source` for a `narHash` (`sha256-<base64>`), computed
/// the way Nix names a fixed-output source path.
pub fn store_path_of_nar_hash(nar_hash: &str) -> Option<String> {
    let encoded = nar_hash.strip_prefix("sha256-")?;
    let digest = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    if digest.len() != 32 {
        return None;
    }
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let fingerprint = format!("source:sha256:{hex}:/nix/store:source");
    let hash = Sha256::digest(fingerprint.as_bytes());
    let mut folded = [0u8; 20];
    for (i, byte) in hash.iter().enumerate() {
        folded[i % 20] ^= byte;
    }
    Some(format!("/nix/store/{}-source", nix_base32(&folded)))
}

/// Nix's base32: its own alphabet, and the last bytes give the first
/// characters.
fn nix_base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";
    let len = (bytes.len() * 8).div_ceil(5);
    let mut out = String::with_capacity(len);
    for n in (0..len).rev() {
        let bit = n * 5;
        let i = bit / 8;
        let j = bit % 8;
        let low = bytes[i] as u32 >> j;
        let high = if i + 1 < bytes.len() {
            (bytes[i + 1] as u32) << (8 - j)
        } else {
            0
        };
        out.push(ALPHABET[((low | high) & 0x1f) as usize] as char);
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
enum LockPath {
    Path(PathBuf),
    /// Locked, but not something with a source store path (`type = "file"`).
    NotStore,
}

/// The store path of root input `name` in a `flake.lock`, following
/// `follows` chains (cycles give `None`).
fn lock_store_path(lock: &str, name: &str) -> Option<LockPath> {
    let lock: serde_json::Value = serde_json::from_str(lock).ok()?;
    let nodes = lock.get("nodes")?.as_object()?;
    let root = lock.get("root")?.as_str()?;
    let node_key = resolve_input(nodes, root, &[name.to_string()], &mut HashSet::new())?;
    let locked = nodes.get(&node_key)?.get("locked")?;
    if locked.get("type").and_then(|t| t.as_str()) == Some("file") {
        return Some(LockPath::NotStore);
    }
    let store = store_path_of_nar_hash(locked.get("narHash")?.as_str()?)?;
    let mut path = PathBuf::from(store);
    if let Some(dir) = locked.get("dir").and_then(|d| d.as_str()) {
        if !dir.is_empty() && !dir.split('/').any(|part| part == "..") {
            path.push(dir);
        }
    }
    Some(LockPath::Path(path))
}

/// The node key reached from `from` through the input path `path`.
/// An input is a node key, or a `follows` path (a list) from the root.
fn resolve_input(
    nodes: &serde_json::Map<String, serde_json::Value>,
    from: &str,
    path: &[String],
    seen: &mut HashSet<(String, Vec<String>)>,
) -> Option<String> {
    if !seen.insert((from.to_string(), path.to_vec())) || seen.len() > 256 {
        return None;
    }
    let mut current = from.to_string();
    for name in path {
        let input = nodes.get(&current)?.get("inputs")?.get(name)?;
        current = match input {
            serde_json::Value::String(key) => key.clone(),
            serde_json::Value::Array(follows) => {
                let follows: Vec<String> = follows
                    .iter()
                    .map(|part| part.as_str().map(str::to_string))
                    .collect::<Option<_>>()?;
                let root = nodes_root(nodes)?;
                resolve_input(nodes, &root, &follows, seen)?
            }
            _ => return None,
        };
    }
    Some(current)
}

fn nodes_root(nodes: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    // flake.lock names its root node in "root"; it is "root" in practice.
    nodes.contains_key("root").then(|| "root".to_string())
}

/// A registry entry `from.id = name` pointing at a local path.
fn registry_path(text: &str, name: &str) -> Option<PathBuf> {
    let registry: serde_json::Value = serde_json::from_str(text).ok()?;
    for entry in registry.get("flakes")?.as_array()? {
        let from = entry.get("from")?;
        if from.get("id").and_then(|id| id.as_str()) != Some(name) {
            continue;
        }
        let to = entry.get("to")?;
        if to.get("type").and_then(|t| t.as_str()) == Some("path") {
            let mut path = PathBuf::from(to.get("path")?.as_str()?);
            if let Some(dir) = to.get("dir").and_then(|d| d.as_str()) {
                path.push(dir);
            }
            return Some(path);
        }
    }
    None
}

/// `nixpkgs=/path` entries of `NIX_PATH`, then bare directories holding a
/// `nixpkgs` entry.
fn nix_path_entries(nix_path: &str, names: &[&str]) -> Vec<PathBuf> {
    let mut named = Vec::new();
    let mut bare = Vec::new();
    // `:` separates entries, except inside URLs (`x=https://…`).
    let mut entries: Vec<String> = Vec::new();
    for part in nix_path.split(':') {
        match entries.last_mut() {
            Some(last) if part.starts_with("//") => {
                last.push(':');
                last.push_str(part);
            }
            _ => entries.push(part.to_string()),
        }
    }
    for entry in entries.iter().filter(|entry| !entry.is_empty()) {
        match entry.split_once('=') {
            Some((key, value)) if names.contains(&key) && value.starts_with('/') => {
                named.push(PathBuf::from(value))
            }
            Some(_) => {}
            None if entry.starts_with('/') => {
                for name in names {
                    bare.push(Path::new(entry).join(name));
                }
            }
            None => {}
        }
    }
    named.extend(bare);
    named
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_paths_match_real_nix() {
        assert_eq!(
            store_path_of_nar_hash("sha256-xU6Rv9sgnwaWK7tgCPadV6HhI2Y/fl4lKxJoG2+m9qs=")
                .as_deref(),
            Some("/nix/store/hap5a6iw5rccl21adfxh5b3lk2c8qnmj-source")
        );
        assert_eq!(
            store_path_of_nar_hash("sha256-jUc2ccTR8f6MGY2pUKgujm+lxSPNGm/ZAP+toX+nMNc=")
                .as_deref(),
            Some("/nix/store/5598lqiaw5qjgn661w74q2a6kivgiksa-source")
        );
        assert_eq!(store_path_of_nar_hash("sha512-AAAA"), None);
        assert_eq!(store_path_of_nar_hash("sha256-AAAA"), None);
    }

    const LOCK: &str = r#"{
      "nodes": {
        "home-manager": {
          "inputs": { "nixpkgs": ["nixpkgs"] },
          "locked": { "type": "github", "narHash": "sha256-jUc2ccTR8f6MGY2pUKgujm+lxSPNGm/ZAP+toX+nMNc=" }
        },
        "nixpkgs_2": {
          "locked": { "type": "github", "dir": "sub", "narHash": "sha256-xU6Rv9sgnwaWK7tgCPadV6HhI2Y/fl4lKxJoG2+m9qs=" }
        },
        "blob": { "locked": { "type": "file", "narHash": "sha256-xU6Rv9sgnwaWK7tgCPadV6HhI2Y/fl4lKxJoG2+m9qs=" } },
        "root": {
          "inputs": {
            "nixpkgs": "nixpkgs_2",
            "home-manager": "home-manager",
            "hm-pkgs": ["home-manager", "nixpkgs"],
            "loop-a": ["loop-b"],
            "loop-b": ["loop-a"],
            "blob": "blob"
          }
        }
      },
      "root": "root",
      "version": 7
    }"#;

    #[test]
    fn flake_lock_inputs_follow_chains_and_guard_cycles() {
        let sub = PathBuf::from("/nix/store/hap5a6iw5rccl21adfxh5b3lk2c8qnmj-source/sub");
        assert_eq!(
            lock_store_path(LOCK, "nixpkgs"),
            Some(LockPath::Path(sub.clone()))
        );
        assert_eq!(
            lock_store_path(LOCK, "home-manager"),
            Some(LockPath::Path(PathBuf::from(
                "/nix/store/5598lqiaw5qjgn661w74q2a6kivgiksa-source"
            )))
        );
        // home-manager's nixpkgs follows the root's nixpkgs.
        assert_eq!(lock_store_path(LOCK, "hm-pkgs"), Some(LockPath::Path(sub)));
        assert_eq!(lock_store_path(LOCK, "loop-a"), None);
        assert_eq!(lock_store_path(LOCK, "blob"), Some(LockPath::NotStore));
        assert_eq!(lock_store_path(LOCK, "absent"), None);
    }

    #[test]
    fn registry_and_nix_path() {
        let registry = r#"{"flakes":[
            {"from":{"id":"other","type":"indirect"},"to":{"type":"path","path":"/x"}},
            {"from":{"id":"nixpkgs","type":"indirect"},"to":{"type":"path","path":"/nix/store/abc-source"}}
        ],"version":2}"#;
        assert_eq!(
            registry_path(registry, "nixpkgs"),
            Some(PathBuf::from("/nix/store/abc-source"))
        );
        assert_eq!(registry_path(registry, "home-manager"), None);
        assert_eq!(
            nix_path_entries(
                "/chan:nixpkgs=/p/nixpkgs:nixos-config=/etc/c.nix:x=https://y",
                &["nixpkgs"]
            ),
            vec![PathBuf::from("/p/nixpkgs"), PathBuf::from("/chan/nixpkgs")]
        );
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("flakelens-sources-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn locate_takes_the_first_tree_that_exists_and_explains_absent_store_paths() {
        let dir = temp_dir("locate");
        let tree = dir.join("nixpkgs");
        std::fs::create_dir_all(tree.join("nixos/modules")).unwrap();
        std::fs::write(tree.join("nixos/modules/module-list.nix"), "[ ]").unwrap();
        let workspace = dir.join("repo");
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::write(workspace.join("flake.lock"), LOCK).unwrap();
        let probe = Probe {
            workspace: Some(workspace),
            nix_path: Some(format!("nixpkgs={}", tree.display())),
            ..Probe::default()
        };
        let located = locate(&probe);
        let found = located.get(Tree::Nixpkgs).unwrap();
        assert_eq!(found.path, tree);
        assert_eq!(found.how, How::NixPath);
        // flake.lock pins nixpkgs elsewhere: the NIX_PATH tree may be
        // another version, so it must not back diagnostics.
        assert_eq!(located.pinned, vec![Tree::Nixpkgs, Tree::HomeManager]);
        assert!(found.version_unsure(true));
        assert!(!Found {
            how: How::Explicit("--nixpkgs".into()),
            ..found.clone()
        }
        .version_unsure(true));
        assert!(!found.version_unsure(false));
        assert!(located.get(Tree::HomeManager).is_none());
        let note = &located
            .notes
            .iter()
            .find(|note| note.tree == Tree::Nixpkgs)
            .unwrap()
            .message;
        assert!(
            note.contains("hap5a6iw5rccl21adfxh5b3lk2c8qnmj-source/sub"),
            "{note}"
        );
        assert!(note.contains("nix flake archive"), "{note}");

        // Explicit beats everything; a wrong explicit path is explained.
        let probe = Probe {
            explicit: vec![
                (Tree::Nixpkgs, dir.join("nope"), "--nixpkgs".into()),
                (Tree::Nixpkgs, tree.clone(), "flakelens.toml".into()),
            ],
            nix_path: Some("nixpkgs=/nonexistent".into()),
            ..Probe::default()
        };
        let located = locate(&probe);
        assert_eq!(
            located.get(Tree::Nixpkgs).unwrap().how,
            How::Explicit("flakelens.toml".into())
        );
        assert!(located.notes[0].message.contains("not a nixpkgs tree"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
