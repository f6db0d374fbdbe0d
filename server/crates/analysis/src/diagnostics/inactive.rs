//! Definitions under `mkIf` conditions known to be false (`inactive-definition`):
//! Nix never evaluates them, so a wrong value there is a latent bug, a
//! warning, never an error that fails `check` on a repo that builds.

use super::host::HostContext;
use super::{codes, Diagnostic, Severity};
use crate::hosts::{host_closure, module_summary_in, Closure, HostKey};
use crate::module::types::TypeData;
use crate::module::{Cond, DeclKind, DefEntry, DefKind, ModuleSummary};
use crate::options::{host_options, OptionIndex};

/// Whether the host (or, without one, any host) never takes this branch.
pub(crate) fn known_false(cx: &HostContext, cond: &Cond) -> bool {
    match cond {
        Cond::False => true,
        // A module in no host: no host enables it.
        Cond::Option(path) => match cx.summaries {
            None => true,
            Some(summaries) => option_bool(cx.closure, cx.index, summaries, path) == Some(false),
        },
        Cond::Unknown => false,
    }
}

/// Whether `cond` holds in host `key`: `None` when it cannot be decided.
pub fn condition_in_host(db: &dyn flakelens_db::Db, key: HostKey<'_>, cond: &Cond) -> Option<bool> {
    match cond {
        Cond::False => Some(false),
        Cond::Unknown => None,
        Cond::Option(path) => {
            let closure = host_closure(db, key);
            let mut summaries: Vec<&ModuleSummary> = closure
                .files
                .iter()
                .map(|file| &**module_summary_in(db, *file, Some(key)))
                .collect();
            summaries.extend(closure.inline.iter().map(|s| &**s));
            option_bool(closure, host_options(db, key), &summaries, path)
        }
    }
}

/// The value of a bool option in the host, when every definition of it is
/// seen: its literal definitions, or else its declared default.
fn option_bool(
    closure: &Closure,
    index: &OptionIndex,
    summaries: &[&ModuleSummary],
    path: &[String],
) -> Option<bool> {
    if closure.unknown {
        return None;
    }
    let names: Vec<&str> = path.iter().map(String::as_str).collect();
    let (node, open) = index.root.find(&crate::names_to_path(path));
    let decl = node?.declaration()?;
    if open || decl.ty != TypeData::Bool {
        return None;
    }
    let default_false = match decl.default.as_deref() {
        Some("false") => true,
        None => decl.kind == DeclKind::EnableOption,
        Some(_) => false,
    };
    let mut any_true = false;
    for summary in summaries {
        if summary.unknown || summary.definitions_incomplete {
            return None;
        }
        definitions_at(&summary.definitions, &names, &mut any_true)?;
    }
    match (any_true, default_false) {
        (false, true) => Some(false),
        (true, _) => Some(true),
        (false, false) => None,
    }
}

/// Looks for definitions of `names`; `None` when one might be hidden (an
/// unknown value or computed keys on the way, a non-literal value).
fn definitions_at(entries: &[DefEntry], names: &[&str], any_true: &mut bool) -> Option<()> {
    for entry in entries.iter().filter(|entry| entry.name == names[0]) {
        match (&entry.value.kind, names.len()) {
            (DefKind::Bool(value), 1) => *any_true |= *value,
            (
                DefKind::Attrs {
                    entries,
                    incomplete,
                },
                length,
            ) if length > 1 => {
                if *incomplete {
                    return None;
                }
                definitions_at(entries, &names[1..], any_true)?;
            }
            _ => return None,
        }
    }
    Some(())
}

/// Describes the first known-false condition of the current definition.
pub(crate) fn inactive_reason(cx: &HostContext) -> Option<String> {
    cx.when
        .iter()
        .find(|cond| known_false(cx, cond))
        .map(|cond| match cond {
            Cond::Option(path) => format!("mkIf {} is false", path.join(".")),
            _ => "mkIf false".to_string(),
        })
}

/// An `inactive-definition` warning for a mismatch found under `reason`.
pub(crate) fn inactive(diagnostic: Diagnostic, reason: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        code: codes::INACTIVE_DEFINITION,
        message: format!(
            "{}; inactive in every host that uses this module ({reason}), so Nix does not check it yet",
            diagnostic.message
        ),
        ..diagnostic
    }
}

/// A definition inactive in one host but active in another is an error
/// there: keep the error only.
pub(crate) fn drop_active_elsewhere(out: &mut Vec<Diagnostic>) {
    let errors: std::collections::HashSet<_> = out
        .iter()
        .filter(|diagnostic| diagnostic.code == codes::TYPE_MISMATCH)
        .map(|diagnostic| diagnostic.range)
        .collect();
    out.retain(|diagnostic| {
        diagnostic.code != codes::INACTIVE_DEFINITION || !errors.contains(&diagnostic.range)
    });
}
