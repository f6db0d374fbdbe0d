//! `unknown-option` (a definition under a namespace the repo owns that no
//! module declares, with the closest name as a fix) and
//! `option-not-imported` (declared in the repo, not in this host's closure).
//! One check decides both: which one depends on the repo-wide index.

use flakelens_db::{Db, SourceFile};

use super::host::{display_file, silent, HostContext};
use super::{codes, Diagnostic, Fix, Severity};
use crate::hosts::host_closure;
use crate::known::externals::may_declare_top_level;
use crate::known::upstream::any_upstream_declares;
use crate::module::{DefEntry, DefKind};
use crate::{display_path, OptionPath, Segment};

/// The path as written in one binding: `my.bakcup.enable` when the entry
/// `bakcup` came from `my.bakcup.enable = true;`.
pub(crate) fn written_path(entry: &DefEntry, path: &[Segment]) -> OptionPath {
    let mut full = path.to_vec();
    let mut current = entry;
    loop {
        match &current.value.kind {
            DefKind::Attrs { entries, .. }
                if entries.len() == 1 && entries[0].path_range == current.path_range =>
            {
                current = &entries[0];
                full.push(Segment::Name(current.name.clone()));
            }
            _ => return full,
        }
    }
}

/// A definition whose path the host's index does not have. Returns whether
/// the path lies in a namespace the repo owns (reported or not).
pub(crate) fn missing_option(cx: &mut HostContext, entry: &DefEntry, path: &[Segment]) -> bool {
    if !owned(cx, path) {
        return false;
    }
    let Some(range) = entry.path_range.or(entry.key) else {
        return true;
    };
    // The repo-wide view must also be sure nothing unseen is there.
    let (repo_node, repo_open) = cx.repo.root.find(path);
    if repo_open {
        let reason = "the repository declares a namespace here that accepts any attribute".into();
        silent(cx, entry, path, reason);
        return true;
    }
    let written = written_path(entry, path);
    if let Some(repo_node) = repo_node {
        // Declared somewhere in the repo, but not in this host's closure.
        if cx.closure.unknown {
            let reason = "declared elsewhere in the repository, not in this host's closure; \
                          the closure has a module that could not be worked out and may import it"
                .into();
            silent(cx, entry, path, reason);
            return true;
        }
        // Declared below this path (a namespace) or at it.
        let mut below = Vec::new();
        repo_node.walk(&mut Vec::new(), &mut below);
        let Some((_, decl)) = below.first() else {
            return true;
        };
        let declared_in = decl
            .decl
            .map(|range| display_file(cx.db, range.file.path(cx.db)))
            .unwrap_or_else(|| "this repository".into());
        // The host's first module names it, unless another host imports
        // that module too (a shared module listed first would misname it).
        let host = cx
            .host_root
            .filter(|file| !shared_by_hosts(cx.db, *file))
            .map(|file| display_file(cx.db, file.path(cx.db)))
            .unwrap_or_else(|| format!("host {}", cx.host_name));
        cx.out.push(Diagnostic {
            range,
            severity: Severity::Error,
            code: codes::OPTION_NOT_IMPORTED,
            message: format!(
                "{} is declared in {declared_in}, which {host} does not import",
                display_path(&written)
            ),
            related: decl
                .decl
                .map(|range| vec![(range, "declared here".to_string())])
                .unwrap_or_default(),
            fixes: Vec::new(),
        });
        return true;
    }
    // Suggest the closest sibling option name.
    let parent_path = &path[..path.len() - 1];
    let parent = cx
        .index
        .root
        .find(parent_path)
        .0
        .filter(|node| !node.children.is_empty())
        .or_else(|| cx.repo.root.find(parent_path).0);
    let suggestion = parent.zip(path.last()).and_then(|(parent, last)| {
        let Segment::Name(last) = last else {
            return None;
        };
        closest(
            last,
            parent.children.keys().filter_map(|segment| match segment {
                Segment::Name(name) => Some(name.as_str()),
                _ => None,
            }),
        )
    });
    let mut message = format!("{} is not an option", display_path(&written));
    let mut fixes = Vec::new();
    if let Some(suggestion) = &suggestion {
        let mut suggested = written.clone();
        suggested[path.len() - 1] = Segment::Name(suggestion.clone());
        message.push_str(&format!("; did you mean {}?", display_path(&suggested)));
        if let Some(key) = entry.key {
            fixes.push(Fix {
                label: format!("Change to `{suggestion}`"),
                range: key,
                replacement: suggestion.clone(),
            });
        }
    }
    cx.out.push(Diagnostic {
        range,
        severity: Severity::Error,
        code: codes::UNKNOWN_OPTION,
        message,
        related: Vec::new(),
        fixes,
    });
    true
}

/// Whether more than one host's closure holds `file`.
fn shared_by_hosts(db: &dyn Db, file: SourceFile) -> bool {
    crate::hosts::host_keys(db)
        .into_iter()
        .filter(|key| host_closure(db, *key).contains(file))
        .nth(1)
        .is_some()
}

/// Whether the repo owns the namespace of `names` completely: some prefix
/// has an `enable` option declared by the repo, or the first segment is a
/// top-level namespace no upstream module declares. A repo's `wayland.enable`
/// is no proof about `wayland.*`: home-manager declares `wayland.windowManager`
/// too. Any class's table counts, since a partial closure may mix classes.
pub(crate) fn owned(cx: &HostContext, names: &[Segment]) -> bool {
    // Wildcards own nothing: only a name can be a namespace's.
    let Some(Segment::Name(first)) = names.first() else {
        return false;
    };
    let first = first.as_str();
    let upstream_name = any_upstream_declares(first);
    for length in 1..names.len() {
        if length == 1 && upstream_name {
            continue;
        }
        if cx.repo.owns_by_enable(&names[..length]) {
            return true;
        }
    }
    if let Some(upstream) = cx.upstream {
        let first_segment = crate::upstream::SegRepr::Name(first.to_string());
        if names.len() > 1
            && upstream
                .options
                .iter()
                .any(|option| option.path.first() == Some(&first_segment))
        {
            return true;
        }
    }
    // Known external modules declare only their own namespaces; an unknown
    // one is not taken to declare under a name no upstream module uses
    // unless the name is its input's (see `known::externals`).
    let externals_may_declare = cx
        .closure
        .external
        .iter()
        .any(|description| may_declare_top_level(description, first));
    cx.top_level_owned
        && !externals_may_declare
        && names.len() > 1
        && !upstream_name
        && cx.repo.root.child(first).is_some()
}

/// The candidate closest to `name` by edit distance, if close enough.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate.to_string())
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    // Optimal string alignment distance: insertions, deletions,
    // substitutions and adjacent transpositions (`prot` → `port`) cost 1.
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_name_within_a_third_of_its_length() {
        let names = ["port", "enable", "openFirewall"];
        assert_eq!(closest("prot", names.into_iter()), Some("port".to_string()));
        assert_eq!(
            closest("enabel", names.into_iter()),
            Some("enable".to_string())
        );
        assert_eq!(closest("user", names.into_iter()), None);
        assert_eq!(edit_distance("openFirewal", "openFirewall"), 1);
    }
}
