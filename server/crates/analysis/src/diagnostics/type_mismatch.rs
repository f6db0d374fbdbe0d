//! `type-mismatch`: a definition whose value the option's type rejects
//! (through an alias, its target's type). Inside a `mkIf` that is false in
//! every host using the module, it is an `inactive-definition` warning.

use super::host::HostContext;
use super::{codes, Diagnostic, Severity};
use crate::module::types::check_value;
use crate::module::{Declaration, DefEntry};
use crate::{display_path, Segment};

pub(crate) fn check_type(
    cx: &mut HostContext,
    entry: &DefEntry,
    path: &[Segment],
    decl: &Declaration,
) {
    if let Some(mismatch) = check_value(&entry.value, &decl.ty) {
        if let Some(range) = mismatch.range {
            let inner = mismatch
                .inner
                .map(|inner| format!(" ({inner})"))
                .unwrap_or_default();
            let related = decl
                .key
                .or(decl.decl)
                .map(|decl_range| vec![(decl_range, "option declared here".to_string())])
                .unwrap_or_default();
            let diagnostic = Diagnostic {
                range,
                severity: Severity::Error,
                code: codes::TYPE_MISMATCH,
                message: format!(
                    "{}: expected {}, found {}{inner}",
                    display_path(path),
                    mismatch.expected,
                    mismatch.found
                ),
                related,
                fixes: Vec::new(),
            };
            cx.out.push(match super::inactive::inactive_reason(cx) {
                Some(reason) => super::inactive::inactive(diagnostic, &reason),
                None => diagnostic,
            });
        }
    }
}
