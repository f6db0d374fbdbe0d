//! Package diagnostics: `duplicate-package` (two definitions of one
//! package name) and `missing-package-file` (`callPackage ./missing.nix`).

use std::sync::Arc;

use flakelens_db::{paths, Db, SourceFile};
use flakelens_syntax::ast;
use flakelens_syntax::SyntaxKind;
use rowan::ast::AstNode;

use super::{codes, Diagnostic, Severity};
use crate::packages::*;
use crate::FileRange;
/// `missing-package-file` and `duplicate-package` diagnostics.
#[salsa::tracked(returns(ref))]
pub fn package_diagnostics(db: &dyn Db) -> Arc<Vec<Diagnostic>> {
    let mut out = Vec::new();
    // Only files something uses: a leftover overlay nobody applies may
    // name files that are gone.
    let used = super::used_files(db);
    for file in used.iter().copied() {
        out.extend(missing_package_files(db, file).iter().cloned());
    }
    let set = packages(db);
    for (name, second, first) in &set.duplicates {
        out.push(Diagnostic {
            range: *second,
            severity: Severity::Warning,
            code: codes::DUPLICATE_PACKAGE,
            message: format!(
                "package {name} is also defined by an earlier overlay, which this one overrides"
            ),
            related: first
                .iter()
                .map(|first| (*first, format!("{name} is first defined here")))
                .collect(),
            fixes: Vec::new(),
        });
    }
    Arc::new(out)
}

/// Whether an expression is `callPackage`, `x.callPackage`,
/// `callPackageWith y` or `callPackages`.
fn is_call_package(expr: &ast::Expr) -> bool {
    let last = |expr: &ast::Expr| -> Option<String> {
        match expr {
            ast::Expr::Ident(ident) => Some(ident.syntax().text().to_string()),
            ast::Expr::Select(select) => match select.attrpath()?.attrs().last()? {
                ast::Attr::Ident(ident) => Some(ident.syntax().text().to_string()),
                _ => None,
            },
            _ => None,
        }
    };
    match expr {
        ast::Expr::Paren(paren) => paren.expr().is_some_and(|e| is_call_package(&e)),
        ast::Expr::Apply(apply) => apply
            .lambda()
            .and_then(|f| last(&f))
            .is_some_and(|name| name == "callPackageWith" || name == "callPackagesWith"),
        other => last(other).is_some_and(|name| name == "callPackage" || name == "callPackages"),
    }
}

/// Whether a call only happens when a `pathExists` test passes (`if
/// builtins.pathExists ./x.nix then callPackage ./x.nix { } else …`,
/// `optionalAttrs (pathExists …) { … }`).
fn guarded_by_path_exists(node: &flakelens_syntax::SyntaxNode) -> bool {
    node.ancestors().any(|ancestor| {
        if let Some(if_else) = ast::IfElse::cast(ancestor.clone()) {
            return if_else
                .condition()
                .is_some_and(|c| c.syntax().text().to_string().contains("pathExists"));
        }
        if let Some(apply) = ast::Apply::cast(ancestor) {
            if let Some(ast::Expr::Apply(inner)) = apply.lambda() {
                return inner
                    .argument()
                    .is_some_and(|a| a.syntax().text().to_string().contains("pathExists"));
            }
        }
        false
    })
}

/// `callPackage ./path …` whose literal path does not exist.
#[salsa::tracked(returns(ref))]
pub fn missing_package_files(db: &dyn Db, file: SourceFile) -> Arc<Vec<Diagnostic>> {
    let mut out = Vec::new();
    if !file.text(db).contains("callPackage") {
        return Arc::new(out);
    }
    let root = db.workspace().root(db).clone();
    let syntax = flakelens_db::parse(db, file).syntax();
    for node in syntax.descendants() {
        if node.kind() != SyntaxKind::NODE_APPLY {
            continue;
        }
        let Some(apply) = ast::Apply::cast(node) else {
            continue;
        };
        let (Some(function), Some(argument)) = (apply.lambda(), apply.argument()) else {
            continue;
        };
        if !is_call_package(&function) || guarded_by_path_exists(apply.syntax()) {
            continue;
        }
        if !matches!(argument, ast::Expr::PathRel(_)) {
            continue;
        }
        let Some(parts) = flakelens_syntax::path_parts(&argument) else {
            continue;
        };
        let mut text = String::new();
        let mut literal_path = true;
        for part in parts {
            match part {
                ast::InterpolPart::Literal(literal) => text.push_str(literal.text()),
                ast::InterpolPart::Interpolation(_) => literal_path = false,
            }
        }
        if !literal_path {
            continue;
        }
        let Some(path) = paths::join(paths::parent(file.path(db)), &text) else {
            continue;
        };
        let inside = root == "/" || path.starts_with(&format!("{root}/"));
        if !inside {
            continue;
        }
        let shown = paths::relative_to(&path, &root).to_string();
        let message = if flakelens_db::file_at(db, &path).is_some()
            || flakelens_db::file_at(db, &format!("{path}/default.nix")).is_some()
        {
            continue;
        } else if flakelens_db::is_directory(db, &path) {
            format!("callPackage: directory {shown} has no default.nix")
        } else if path.ends_with(".nix") || !paths::file_name(&path).contains('.') {
            format!("callPackage: {shown} does not exist")
        } else {
            // Only .nix files are loaded: another kind of file may exist.
            continue;
        };
        out.push(Diagnostic {
            range: FileRange {
                file,
                range: argument.syntax().text_range(),
            },
            severity: Severity::Error,
            code: codes::MISSING_PACKAGE_FILE,
            message,
            related: Vec::new(),
            fixes: Vec::new(),
        });
    }
    Arc::new(out)
}
