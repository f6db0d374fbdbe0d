//! Pure operations on VFS paths (absolute, `/`-separated strings).

/// Joins `relative` onto the directory `base` and normalises `.` and `..`.
/// Returns `None` when `..` would climb above `/`.
pub fn join(base: &str, relative: &str) -> Option<String> {
    let start = if relative.starts_with('/') { "" } else { base };
    let mut parts: Vec<&str> = Vec::new();
    for part in start.split('/').chain(relative.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// The directory holding `path` (`/` for top-level entries).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(index) => &path[..index],
    }
}

/// The last component of a path.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `path` relative to `root`, for display; the path itself when outside.
pub fn relative_to<'a>(path: &'a str, root: &str) -> &'a str {
    if root == "/" {
        return path.strip_prefix('/').unwrap_or(path);
    }
    match path.strip_prefix(root) {
        Some(rest) if rest.starts_with('/') => &rest[1..],
        _ => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_normalises() {
        assert_eq!(join("/a/b", "./c.nix").as_deref(), Some("/a/b/c.nix"));
        assert_eq!(join("/a/b", "../c").as_deref(), Some("/a/c"));
        assert_eq!(join("/a", "../../c"), None);
        assert_eq!(join("/a", "/x/./y").as_deref(), Some("/x/y"));
        assert_eq!(join("/", "").as_deref(), Some("/"));
    }

    #[test]
    fn parent_and_names() {
        assert_eq!(parent("/a/b.nix"), "/a");
        assert_eq!(parent("/b.nix"), "/");
        assert_eq!(file_name("/a/b.nix"), "b.nix");
        assert_eq!(relative_to("/r/a/b.nix", "/r"), "a/b.nix");
        assert_eq!(relative_to("/a/b.nix", "/"), "a/b.nix");
        assert_eq!(relative_to("/rx/a", "/r"), "/rx/a");
    }
}
