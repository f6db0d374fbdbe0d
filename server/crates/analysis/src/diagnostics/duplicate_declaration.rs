//! `duplicate-declaration`: one option declared by two modules of a host
//! (Nix refuses it unless both are submodule-typed).

use super::host::HostContext;
use super::{codes, Diagnostic, Severity};
use crate::display_path;

pub(crate) fn duplicate_declarations(cx: &mut HostContext) {
    for (path, decl) in cx.index.all() {
        let Some(node) = cx.index.root.find(&path).0 else {
            continue;
        };
        let plain: Vec<_> = node
            .decls
            .iter()
            .filter(|d| {
                !d.ty.has_suboptions()
                    && matches!(
                        d.kind,
                        crate::module::DeclKind::Option
                            | crate::module::DeclKind::EnableOption
                            | crate::module::DeclKind::PackageOption
                    )
            })
            .collect();
        if plain.len() < 2 || !std::ptr::eq(*plain.last().unwrap_or(&decl), decl) {
            continue;
        }
        let first = plain[0];
        let Some(range) = decl.path_range.or(decl.key).or(decl.decl) else {
            continue;
        };
        cx.out.push(Diagnostic {
            range,
            severity: Severity::Warning,
            code: codes::DUPLICATE_DECLARATION,
            message: format!("option {} is declared more than once", display_path(&path)),
            related: first
                .key
                .or(first.decl)
                .map(|range| vec![(range, "first declared here".to_string())])
                .unwrap_or_default(),
            fixes: Vec::new(),
        });
    }
}
