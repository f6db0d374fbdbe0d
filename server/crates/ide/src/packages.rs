//! The repo's packages in the editor: references to them (`pkgs.poglets`,
//! `with pkgs; [ poglets ]`, `inherit (pkgs) poglets;`,
//! `self.packages.${system}.poglets`, `final.poglets`), go to definition,
//! hover and completion after `pkgs.`. Plain data only.

use flakelens_analysis::packages::{file_packages, packages, Package, PackageSet};
use flakelens_db::{paths, Db, SourceFile};
use flakelens_syntax::ast;
use flakelens_syntax::scope::{self, static_attr_name, Binding};
use flakelens_syntax::{SyntaxKind, SyntaxNode, SyntaxToken, TextRange, TextSize};
use rowan::ast::AstNode;

/// Names that stand for the package set in expressions.
const PKGS_NAMES: &[&str] = &["pkgs", "final", "prev", "self", "super"];

/// Which namespace a reference is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// `pkgs.x`, `final.x`, `with pkgs; x`, `inherit (pkgs) x`.
    Pkgs,
    /// `self.packages.<system>.x`.
    FlakePackages,
    /// `self.legacyPackages.<system>.x`.
    FlakeLegacyPackages,
}

/// A package reference under the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRef {
    pub namespace: Namespace,
    /// Attribute path below the namespace (`poglets`, `mine.poglets`).
    pub name: String,
    /// The name under the cursor.
    pub range: TextRange,
}

/// One entry of `flakelens packages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageInfo {
    pub name: String,
    pub pname: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub builder: Option<String>,
    /// Recipe VFS path.
    pub recipe: String,
    pub recipe_exists: bool,
    /// 1-based line of the derivation call in the recipe.
    pub recipe_line: Option<u32>,
    pub exposed_by: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageCompletionKind {
    Package,
    /// A nested set (`mine` in `pkgs.mine.poglets`).
    Namespace,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageCompletion {
    pub label: String,
    pub kind: PackageCompletionKind,
    pub version: Option<String>,
    pub description: Option<String>,
    /// Markdown documentation (the hover text).
    pub documentation: Option<String>,
    /// The partial name typed so far, which the label replaces.
    pub replace: TextRange,
}

fn ident_name(node: &SyntaxNode) -> Option<String> {
    let ident = ast::Ident::cast(node.clone())?;
    Some(ident.ident_token()?.text().to_string())
}

/// Segments of `a.b.${x}."c"`: static names, `None` for dynamic ones.
fn expr_segments(expr: &ast::Expr) -> Option<Vec<Option<String>>> {
    match expr {
        ast::Expr::Ident(ident) => Some(vec![Some(ident.ident_token()?.text().to_string())]),
        ast::Expr::Select(select) => {
            if select.default_expr().is_some() {
                return None;
            }
            let mut segments = expr_segments(&select.expr()?)?;
            segments.extend(
                select
                    .attrpath()?
                    .attrs()
                    .map(|attr| static_attr_name(&attr)),
            );
            Some(segments)
        }
        ast::Expr::Paren(paren) => expr_segments(&paren.expr()?),
        _ => None,
    }
}

/// Interprets `base.a.b…` segments as a package reference.
fn classify(segments: &[Option<String>]) -> Option<(Namespace, String)> {
    let names: Vec<Option<&str>> = segments.iter().map(|s| s.as_deref()).collect();
    let mut rest: &[Option<&str>] = &names;
    // `inputs.self.packages…` is `self.packages…`.
    if rest.len() > 2 && rest[0] == Some("inputs") && rest[1] == Some("self") {
        rest = &rest[1..];
    }
    let join = |names: &[Option<&str>]| -> Option<String> {
        let names: Option<Vec<&str>> = names.iter().copied().collect();
        let names = names?;
        (!names.is_empty()).then(|| names.join("."))
    };
    match rest {
        [Some("self"), Some(output @ ("packages" | "legacyPackages")), _system, name @ ..] => {
            let namespace = if *output == "packages" {
                Namespace::FlakePackages
            } else {
                Namespace::FlakeLegacyPackages
            };
            Some((namespace, join(name)?))
        }
        [Some(base), name @ ..] if PKGS_NAMES.contains(base) => {
            Some((Namespace::Pkgs, join(name)?))
        }
        _ => None,
    }
}

fn ident_token_at(root: &SyntaxNode, offset: TextSize) -> Option<SyntaxToken> {
    // rowan panics on an offset outside the tree.
    if offset > root.text_range().end() {
        return None;
    }
    let tokens = root.token_at_offset(offset);
    let mut best = None;
    for token in tokens {
        if token.kind() == SyntaxKind::TOKEN_IDENT {
            best = Some(token);
            break;
        }
    }
    best
}

/// The package reference at `offset` in a parsed file.
pub fn reference_at(root: &SyntaxNode, offset: TextSize) -> Option<PackageRef> {
    let token = ident_token_at(root, offset)?;
    let range = token.text_range();
    let ident = token.parent()?;
    let parent = ident.parent()?;
    match parent.kind() {
        SyntaxKind::NODE_ATTRPATH => {
            let select = ast::Select::cast(parent.parent()?)?;
            let attrpath = select.attrpath()?;
            let mut segments = expr_segments(&select.expr()?)?;
            for attr in attrpath.attrs() {
                let done = attr.syntax() == &ident;
                segments.push(static_attr_name(&attr));
                if done {
                    break;
                }
            }
            let (namespace, name) = classify(&segments)?;
            Some(PackageRef {
                namespace,
                name,
                range,
            })
        }
        SyntaxKind::NODE_INHERIT => {
            let inherit = ast::Inherit::cast(parent)?;
            let mut segments = expr_segments(&inherit.from()?.expr()?)?;
            segments.push(ident_name(&ident));
            let (namespace, name) = classify(&segments)?;
            Some(PackageRef {
                namespace,
                name,
                range,
            })
        }
        _ => {
            // A variable, maybe from `with pkgs;`: only when no `let`, `rec`
            // set or parameter binds it (the one lexical resolver says).
            let ident = ast::Ident::cast(ident)?;
            let Binding::With { namespaces } = scope::resolve(&ident)? else {
                return None;
            };
            let name = ident.syntax().text().to_string();
            for namespace in namespaces {
                let Some(mut segments) =
                    ast::Expr::cast(namespace).as_ref().and_then(expr_segments)
                else {
                    continue;
                };
                segments.push(Some(name.clone()));
                if let Some((namespace, name)) = classify(&segments) {
                    return Some(PackageRef {
                        namespace,
                        name,
                        range,
                    });
                }
            }
            None
        }
    }
}

fn package_matches(package: &Package, reference: &PackageRef) -> bool {
    package.name == reference.name
        && match reference.namespace {
            Namespace::Pkgs => package.in_pkgs(),
            Namespace::FlakePackages => package.in_flake(false),
            Namespace::FlakeLegacyPackages => package.in_flake(true),
        }
}

/// The packages a reference may mean, those visible to the file first.
fn resolve<'a>(
    db: &dyn Db,
    set: &'a PackageSet,
    file: SourceFile,
    reference: &PackageRef,
) -> Vec<&'a Package> {
    let visible = match reference.namespace {
        Namespace::Pkgs => file_packages(db, file),
        _ => (0..set.packages.len()).collect(),
    };
    let mut out: Vec<&Package> = visible
        .iter()
        .map(|index| &set.packages[*index])
        .filter(|package| package_matches(package, reference))
        .collect();
    if out.is_empty() {
        out = set
            .packages
            .iter()
            .filter(|package| package_matches(package, reference))
            .collect();
    }
    out
}

/// The package reference at an offset, with what it resolves to.
pub fn package_at(db: &dyn Db, path: &str, offset: TextSize) -> Option<(PackageRef, Package)> {
    let file = flakelens_db::file_at(db, path)?;
    let root = flakelens_db::parse(db, file).syntax();
    let reference = reference_at(&root, offset)?;
    let set = packages(db);
    let package = resolve(db, set, file, &reference)
        .first()
        .map(|p| (*p).clone())?;
    Some((reference, package))
}

/// Where a package is made: the derivation call in its recipe (or the
/// recipe's start when the call cannot be found).
pub fn package_target(package: &Package) -> Option<TextRange> {
    package.recipe_file?;
    Some(
        package
            .info
            .derivation
            .unwrap_or_else(|| TextRange::empty(0.into())),
    )
}

/// Go to definition: the recipe file, on the derivation call.
pub fn package_definition(
    db: &dyn Db,
    path: &str,
    offset: TextSize,
) -> Option<(String, TextRange)> {
    let (_, package) = package_at(db, path, offset)?;
    let range = package_target(&package)?;
    Some((package.recipe.clone(), range))
}

fn relative(db: &dyn Db, path: &str) -> String {
    paths::relative_to(path, db.workspace().root(db)).to_string()
}

/// Hover markdown for a package.
pub fn package_markdown(db: &dyn Db, package: &Package) -> String {
    let mut out = format!("**{}**", package.name);
    if let Some(version) = &package.info.version {
        out.push_str(&format!(" `{version}`"));
    }
    out.push_str(" — package");
    if let Some(description) = &package.info.description {
        out.push_str(&format!("\n\n{description}"));
    }
    out.push_str("\n\n");
    if let Some(pname) = &package.info.pname {
        if *pname != package.name {
            out.push_str(&format!("- pname: `{pname}`\n"));
        }
    }
    if let Some(builder) = &package.info.builder {
        out.push_str(&format!("- builder: `{builder}`\n"));
    }
    let recipe = relative(db, &package.recipe);
    if package.recipe_file.is_some() {
        out.push_str(&format!("- recipe: `{recipe}`\n"));
    } else {
        out.push_str(&format!("- recipe: `{recipe}` (missing)\n"));
    }
    if let Some(homepage) = &package.info.homepage {
        out.push_str(&format!("- homepage: <{homepage}>\n"));
    }
    let exposed = exposed_by(package);
    if !exposed.is_empty() {
        out.push_str(&format!("- exposed by: {}\n", exposed.join("; ")));
    }
    out.trim_end().to_string()
}

fn exposed_by(package: &Package) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for exposure in &package.exposures {
        if !out.contains(&exposure.label) {
            out.push(exposure.label.clone());
        }
    }
    out
}

pub fn package_hover(db: &dyn Db, path: &str, offset: TextSize) -> Option<(TextRange, String)> {
    let (reference, package) = package_at(db, path, offset)?;
    Some((reference.range, package_markdown(db, &package)))
}

/// The attribute chain typed before the cursor: `pkgs.mine.po|` →
/// (["pkgs", "mine"], "po"). Dynamic segments (`${system}`) are `None`.
fn chain_before(text: &str, offset: usize) -> Option<(Vec<Option<String>>, usize)> {
    let bytes = text.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'\'');
    let mut end = offset.min(bytes.len());
    let mut start = end;
    while start > 0 && is_ident(bytes[start - 1]) {
        start -= 1;
    }
    let partial_start = start;
    if start == 0 || bytes[start - 1] != b'.' {
        return None;
    }
    let mut segments = Vec::new();
    let mut pos = start - 1; // at '.'
    loop {
        end = pos;
        if end > 0 && bytes[end - 1] == b'}' {
            // `${…}`: find the matching `${`.
            let mut depth = 0;
            let mut i = end;
            loop {
                if i == 0 {
                    return None;
                }
                i -= 1;
                match bytes[i] {
                    b'}' => depth += 1,
                    b'{' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if i == 0 || bytes[i - 1] != b'$' {
                return None;
            }
            segments.push(None);
            start = i - 1;
        } else {
            start = end;
            while start > 0 && is_ident(bytes[start - 1]) {
                start -= 1;
            }
            if start == end {
                return None;
            }
            segments.push(Some(text[start..end].to_string()));
        }
        if start > 0 && bytes[start - 1] == b'.' {
            pos = start - 1;
            continue;
        }
        break;
    }
    segments.reverse();
    Some((segments, partial_start))
}

/// Completions after `pkgs.` (and `final.`, `prev.`,
/// `self.packages.${system}.`): the repo's own packages. Nothing is said
/// about nixpkgs' names, which are not known.
pub fn package_completions(db: &dyn Db, path: &str, offset: TextSize) -> Vec<PackageCompletion> {
    let Some(file) = flakelens_db::file_at(db, path) else {
        return Vec::new();
    };
    let text = file.text(db);
    let offset = usize::from(offset);
    if offset > text.len() || !text.is_char_boundary(offset) {
        return Vec::new();
    }
    // Not in comments or plain string text.
    let root = flakelens_db::parse(db, file).syntax();
    if offset > 0 {
        let token = root
            .token_at_offset(TextSize::from((offset - 1) as u32))
            .left_biased();
        if let Some(token) = token {
            if matches!(
                token.kind(),
                SyntaxKind::TOKEN_COMMENT | SyntaxKind::TOKEN_STRING_CONTENT
            ) {
                return Vec::new();
            }
        }
    }
    let Some((mut segments, partial_start)) = chain_before(text, offset) else {
        return Vec::new();
    };
    // Classify with a placeholder name, then drop it.
    segments.push(Some("_".to_string()));
    let Some((namespace, name)) = classify(&segments) else {
        return Vec::new();
    };
    let prefix = name.strip_suffix('_').unwrap_or("").to_string();
    let replace = TextRange::new(
        TextSize::from(partial_start as u32),
        TextSize::from(offset as u32),
    );
    let set = packages(db);
    let candidates: Vec<&Package> = match namespace {
        Namespace::Pkgs => file_packages(db, file)
            .iter()
            .map(|index| &set.packages[*index])
            .collect(),
        Namespace::FlakePackages => set.packages.iter().filter(|p| p.in_flake(false)).collect(),
        Namespace::FlakeLegacyPackages => {
            set.packages.iter().filter(|p| p.in_flake(true)).collect()
        }
    };
    let mut out: Vec<PackageCompletion> = Vec::new();
    for package in candidates {
        let Some(rest) = package.name.strip_prefix(&prefix) else {
            continue;
        };
        let (label, kind) = match rest.split_once('.') {
            Some((first, _)) => (first, PackageCompletionKind::Namespace),
            None => (rest, PackageCompletionKind::Package),
        };
        if label.is_empty() || out.iter().any(|c| c.label == label && c.kind == kind) {
            continue;
        }
        out.push(match kind {
            PackageCompletionKind::Package => PackageCompletion {
                label: label.to_string(),
                kind,
                version: package.info.version.clone(),
                description: package.info.description.clone(),
                documentation: Some(package_markdown(db, package)),
                replace,
            },
            PackageCompletionKind::Namespace => PackageCompletion {
                label: label.to_string(),
                kind,
                version: None,
                description: None,
                documentation: None,
                replace,
            },
        });
    }
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

/// Every package, for `flakelens packages`.
pub fn package_list(db: &dyn Db) -> Vec<PackageInfo> {
    packages(db)
        .packages
        .iter()
        .map(|package| {
            let recipe_line = package.recipe_file.map(|file| {
                let offset = package.info.derivation.map_or(0.into(), |r| r.start());
                flakelens_db::line_index(db, file)
                    .line_col(offset, flakelens_syntax::PositionEncoding::Utf8)
                    .line
                    + 1
            });
            PackageInfo {
                name: package.name.clone(),
                pname: package.info.pname.clone(),
                version: package.info.version.clone(),
                description: package.info.description.clone(),
                homepage: package.info.homepage.clone(),
                builder: package.info.builder.clone(),
                recipe: package.recipe.clone(),
                recipe_exists: package.recipe_file.is_some(),
                recipe_line,
                exposed_by: exposed_by(package),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_before_reads_dotted_and_dynamic_segments() {
        let text = "x = pkgs.mine.po";
        let (segments, start) = chain_before(text, text.len()).unwrap();
        assert_eq!(
            segments,
            vec![Some("pkgs".to_string()), Some("mine".to_string())]
        );
        assert_eq!(&text[start..], "po");
        let text = "self.packages.${system}.";
        let (segments, _) = chain_before(text, text.len()).unwrap();
        assert_eq!(
            segments,
            vec![Some("self".to_string()), Some("packages".to_string()), None]
        );
        assert!(chain_before("foo", 3).is_none());
    }
}
