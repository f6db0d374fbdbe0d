//! `missing-import`: an `imports` entry whose path does not exist.

use super::host::{display_file, HostContext};
use super::{codes, Diagnostic, Severity};
use crate::module::{ModuleRef, ModuleSummary};

pub(crate) fn missing_imports(cx: &mut HostContext, summary: &ModuleSummary) {
    for import in &summary.imports {
        match import {
            ModuleRef::Missing {
                path,
                site: Some(site),
            } => cx.out.push(Diagnostic {
                range: *site,
                severity: Severity::Error,
                code: codes::MISSING_IMPORT,
                message: format!("imported path {} does not exist", display_file(cx.db, path)),
                related: Vec::new(),
                fixes: Vec::new(),
            }),
            ModuleRef::Inline { summary, .. } => missing_imports(cx, summary),
            _ => {}
        }
    }
}
