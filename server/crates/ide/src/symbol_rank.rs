//! Workspace-symbol ranking: every symbol kind (options, hosts, modules,
//! packages) matched against the query and ordered exact name first, then
//! a whole segment, then a prefix, then a substring, then a fuzzy
//! (subsequence) match; shorter names first within a rank.

use flakelens_db::Db;
use flakelens_syntax::{LineCol, PositionEncoding, TextRange};

use crate::symbols::{self, SymbolKind, WorkspaceSymbol};

/// Answers at most this many symbols (the best ones).
const MAX_SYMBOLS: usize = 1000;

/// How well `name` matches a lowercase `query` (lower is better), `None`
/// when it does not match at all.
pub(crate) fn score(query: &str, name: &str) -> Option<u8> {
    let name = name.to_lowercase();
    if query.is_empty() {
        return Some(5);
    }
    // Segments of an option path, a file path or `pkgs.x`.
    let mut segments = name.split(['.', '/']);
    if name == query || name.rsplit(['.', '/']).next() == Some(query) {
        return Some(0);
    }
    if segments.any(|segment| segment == query) {
        return Some(1);
    }
    if name.starts_with(query) || name.split(['.', '/']).any(|s| s.starts_with(query)) {
        return Some(2);
    }
    if name.contains(query) {
        return Some(3);
    }
    let mut chars = name.chars();
    query
        .chars()
        .all(|wanted| chars.any(|c| c == wanted))
        .then_some(4)
}

pub(crate) fn workspace_symbols(db: &dyn Db, query: &str) -> Vec<WorkspaceSymbol> {
    let query = query.to_lowercase();
    let mut all = symbols::workspace_symbols(db, &query);
    all.extend(package_symbols(db));
    let mut scored: Vec<(u8, WorkspaceSymbol)> = all
        .into_iter()
        .filter_map(|symbol| Some((score(&query, &symbol.name)?, symbol)))
        .collect();
    scored.sort_by(|(a, x), (b, y)| {
        (a, x.name.len(), &x.name, &x.path).cmp(&(b, y.name.len(), &y.name, &y.path))
    });
    scored.truncate(MAX_SYMBOLS);
    scored.into_iter().map(|(_, symbol)| symbol).collect()
}

/// The repo's packages whose recipe is in the workspace, at the line of
/// their derivation call.
fn package_symbols(db: &dyn Db) -> Vec<WorkspaceSymbol> {
    let mut out = Vec::new();
    for package in crate::packages::package_list(db) {
        if !package.recipe_exists {
            continue;
        }
        let Some(file) = flakelens_db::file_at(db, &package.recipe) else {
            continue;
        };
        let line = package.recipe_line.unwrap_or(1).saturating_sub(1);
        let offset = flakelens_db::line_index(db, file)
            .offset(LineCol { line, col: 0 }, PositionEncoding::Utf8)
            .unwrap_or_default();
        out.push(WorkspaceSymbol {
            name: format!("pkgs.{}", package.name),
            kind: SymbolKind::Package,
            container: package.version.clone(),
            path: package.recipe.clone(),
            range: TextRange::empty(offset),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::score;
    use crate::fixture::Fixture;

    #[test]
    fn scores_exact_segment_prefix_substring_fuzzy() {
        assert_eq!(score("poglets", "pkgs.poglets"), Some(0));
        assert_eq!(score("poglets", "services.poglets.port"), Some(1));
        assert_eq!(score("pog", "services.poglets.port"), Some(2));
        assert_eq!(score("glets", "services.poglets.port"), Some(3));
        assert_eq!(score("pogport", "services.poglets.port"), Some(4));
        assert_eq!(score("xyz", "services.poglets.port"), None);
    }

    #[test]
    fn exact_and_prefix_matches_rank_first() {
        // `poglets` is a subsequence of `services.palworld.openGlobalLetsEncrypt`
        // too; it must come after every `services.poglets.*`.
        let fixture = Fixture::parse(
            r#"
#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.neptune = nixpkgs.lib.nixosSystem {
      modules = [ ./palworld.nix ./poglets.nix ];
    };
  };
}
#- /palworld.nix
{ lib, ... }: {
  options.services.palworld.openGlobalLetsEncrypt = lib.mkEnableOption "x";
  options.services.palworld.port = lib.mkOption { type = lib.types.port; };
}
#- /poglets.nix
{ lib, ... }: {
  options.services.poglets.port = lib.mkOption { type = lib.types.port; };
  options.services.poglets.enable = lib.mkEnableOption "p";
}
"#,
        );
        let analysis = fixture.host().analysis();
        let names: Vec<String> = analysis
            .workspace_symbols("poglets")
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            [
                "poglets.nix",
                "services.poglets.port",
                "services.poglets.enable",
                "services.palworld.openGlobalLetsEncrypt",
            ]
        );
        let names: Vec<String> = analysis
            .workspace_symbols("port")
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names[..2],
            ["services.poglets.port", "services.palworld.port"]
        );
    }
}
