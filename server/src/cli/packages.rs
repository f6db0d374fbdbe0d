//! `flakelens packages`: the repo's own packages.

use flakelens_db::paths;
use flakelens_ide::packages::PackageInfo;
use flakelens_ide::Analysis;
use serde_json::json;

use super::relative;

pub fn print_packages(analysis: &Analysis, packages: &[PackageInfo], as_json: bool) {
    let root = analysis.root();
    if as_json {
        let items: Vec<serde_json::Value> = packages
            .iter()
            .map(|package| {
                json!({
                    "name": package.name,
                    "pname": package.pname,
                    "version": package.version,
                    "description": package.description,
                    "homepage": package.homepage,
                    "builder": package.builder,
                    "recipe": relative(&root, &package.recipe),
                    "recipeExists": package.recipe_exists,
                    "recipeLine": package.recipe_line,
                    "exposedBy": package.exposed_by,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "packages": items })).unwrap_or_default()
        );
        return;
    }
    print!("{}", format_package_list(&root, packages));
}

/// The human listing of `flakelens packages` (paths relative to `root`).
pub fn format_package_list(root: &str, packages: &[PackageInfo]) -> String {
    let mut out = String::new();
    for package in packages {
        out.push_str(&package.name);
        if let Some(version) = &package.version {
            out.push_str(&format!(" {version}"));
        }
        if let Some(description) = &package.description {
            out.push_str(&format!(" — {description}"));
        }
        out.push('\n');
        if let Some(pname) = package
            .pname
            .as_ref()
            .filter(|pname| **pname != package.name)
        {
            out.push_str(&format!("  pname: {pname}\n"));
        }
        if let Some(builder) = &package.builder {
            out.push_str(&format!("  builder: {builder}\n"));
        }
        let recipe = paths::relative_to(&package.recipe, root);
        match (package.recipe_exists, package.recipe_line) {
            (true, Some(line)) => out.push_str(&format!("  recipe: {recipe}:{line}\n")),
            (true, None) => out.push_str(&format!("  recipe: {recipe}\n")),
            (false, _) => out.push_str(&format!("  recipe: {recipe} (missing)\n")),
        }
        if let Some(homepage) = &package.homepage {
            out.push_str(&format!("  homepage: {homepage}\n"));
        }
        for exposure in &package.exposed_by {
            out.push_str(&format!("  exposed by: {exposure}\n"));
        }
    }
    let count = packages.len();
    out.push_str(&format!(
        "{count} package{}\n",
        if count == 1 { "" } else { "s" }
    ));
    out
}
