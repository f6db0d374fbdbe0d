//! Code actions: the quick fixes diagnostics carry (did-you-mean for
//! unknown options).

use flakelens_db::RootDatabase;
use flakelens_syntax::TextRange;

use crate::{Diagnostic, TextFix};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeAction {
    pub label: String,
    /// The diagnostic it fixes.
    pub diagnostic: Diagnostic,
    pub edits: Vec<TextFix>,
}

pub(crate) fn code_actions(db: &RootDatabase, path: &str, range: TextRange) -> Vec<CodeAction> {
    let mut out = Vec::new();
    for diagnostic in crate::file_diagnostics(db, path) {
        let overlaps = diagnostic.range.intersect(range).is_some();
        if !overlaps {
            continue;
        }
        for fix in &diagnostic.fixes {
            out.push(CodeAction {
                label: fix.label.clone(),
                diagnostic: diagnostic.clone(),
                edits: vec![fix.clone()],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::fixture;

    #[test]
    fn did_you_mean_quick_fix() {
        let text = r#"
#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./host.nix ]; };
  };
}
#- /mod.nix
{ lib, ... }: {
  options.services.poglets.enable = lib.mkEnableOption "p";
  options.services.poglets.port = lib.mkOption { type = lib.types.port; default = 1; };
}
#- /host.nix
{ imports = [ ./mod.nix ]; services.poglets.prot$0 = 1; }
"#;
        let (host, path, offset) = fixture::with_cursor(text);
        let analysis = host.analysis();
        let actions = analysis
            .code_actions(&path, TextRange::empty(offset))
            .unwrap();
        assert_eq!(actions.len(), 1, "{actions:?}");
        assert_eq!(actions[0].label, "Change to `port`");
        assert_eq!(actions[0].edits[0].replacement, "port");
        assert_eq!(actions[0].diagnostic.code, "unknown-option");
    }

    use flakelens_syntax::TextRange;
}
