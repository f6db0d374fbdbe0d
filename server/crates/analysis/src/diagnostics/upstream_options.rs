//! `renamed-option`, `removed-option`, `read-only-option`: setting an
//! upstream option its tree renamed, removed or made read-only.

use super::host::HostContext;
use super::unknown_option::written_path;
use super::{codes, Diagnostic, Fix, Severity};
use crate::module::DefEntry;
use crate::{display_path, Segment};

/// Setting an upstream option that is renamed, removed or read-only.
pub(crate) fn upstream_use(
    cx: &mut HostContext,
    entry: &DefEntry,
    path: &[Segment],
    decl: &crate::module::Declaration,
) {
    if decl.meta.upstream.is_none() {
        return;
    }
    let Some(range) = entry.path_range.or(entry.key) else {
        return;
    };
    let written = display_path(&written_path(entry, path));
    match decl.kind {
        crate::module::DeclKind::Alias if decl.meta.warns => {
            let Some(to) = decl
                .alias_of
                .as_ref()
                .map(|to| display_path(to))
                .or_else(|| {
                    let text = decl.description.as_deref()?;
                    let to = text.strip_prefix("Renamed to `")?.strip_suffix("`.")?;
                    Some(to.to_string())
                })
            else {
                return;
            };
            // Rewrite the path only where it is written out in full.
            let text = range.file.text(cx.db);
            let source = text.get(usize::from(range.range.start())..usize::from(range.range.end()));
            let old = display_path(path);
            let fixes = if source == Some(old.as_str()) {
                vec![Fix {
                    label: format!("Change to `{to}`"),
                    range,
                    replacement: to.clone(),
                }]
            } else {
                Vec::new()
            };
            cx.out.push(Diagnostic {
                range,
                severity: Severity::Warning,
                code: codes::RENAMED_OPTION,
                message: format!("{old} has been renamed to {to}"),
                related: Vec::new(),
                fixes,
            });
        }
        crate::module::DeclKind::Removed => {
            let mut message = format!("{} has been removed", display_path(path));
            if let Some(why) = &decl.meta.removed_message {
                let why = why.split_whitespace().collect::<Vec<_>>().join(" ");
                if !why.is_empty() {
                    message.push_str(&format!(": {why}"));
                }
            }
            cx.out.push(Diagnostic {
                range,
                severity: Severity::Error,
                code: codes::REMOVED_OPTION,
                message,
                related: Vec::new(),
                fixes: Vec::new(),
            });
        }
        _ if decl.meta.read_only => {
            let tree = decl.meta.upstream.as_ref().map(|site| site.tree);
            let defined_upstream = tree
                .and_then(|tree| crate::upstream::upstream_index(cx.db, tree))
                .is_some_and(|index| {
                    index
                        .defined
                        .iter()
                        .any(|p| crate::names_to_path(p) == path)
                });
            // Nix allows one definition of a read-only option: only when
            // the tree itself sets it is another one sure to fail.
            if defined_upstream {
                cx.out.push(Diagnostic {
                    range,
                    severity: Severity::Error,
                    code: codes::READ_ONLY_OPTION,
                    message: format!(
                        "{written} is read-only and already set by {}",
                        tree.map(|t| t.name()).unwrap_or("upstream")
                    ),
                    related: Vec::new(),
                    fixes: Vec::new(),
                });
            }
        }
        _ => {}
    }
}
