//! `flakelens packages`: the repo's own packages.

use flakelens_ide::packages::{format_package_list, PackageInfo};
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
