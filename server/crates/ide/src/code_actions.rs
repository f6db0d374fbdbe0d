//! Code actions: the quick fixes diagnostics carry (did-you-mean for
//! unknown options, renamed upstream options) and those worked out on
//! demand (`fixes`: type mismatches, missing imports).

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
        let on_demand = crate::fixes::fixes_for(db, path, &diagnostic);
        for fix in diagnostic.fixes.iter().chain(&on_demand) {
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

    const MODULE: &str = r#"
#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./host.nix ]; };
  };
}
#- /modules/poglets.nix
{ lib, ... }: {
  options.services.poglets = {
    enable = lib.mkEnableOption "p";
    port = lib.mkOption { type = lib.types.port; default = 1; };
    user = lib.mkOption { type = lib.types.str; default = "p"; };
    level = lib.mkOption { type = lib.types.enum [ "info" "debug" ]; default = "info"; };
  };
}
"#;

    /// The fixes offered at the cursor, and the file's diagnostics once
    /// the first is applied.
    fn fix(host_text: &str) -> (Vec<String>, Vec<String>) {
        let text = format!("{MODULE}#- /host.nix\n{host_text}");
        let (host, path, offset) = fixture::with_cursor(&text);
        let analysis = host.analysis();
        let actions = analysis
            .code_actions(&path, TextRange::empty(offset))
            .unwrap();
        let labels: Vec<String> = actions.iter().map(|a| a.label.clone()).collect();
        // Every case has a diagnostic to fix (or not).
        let before = analysis.diagnostics(&path).unwrap();
        assert!(
            before
                .iter()
                .any(|d| d.code == "type-mismatch" || d.code == "option-not-imported"),
            "{host_text}: {before:?}"
        );
        let Some(action) = actions.first() else {
            return (labels, Vec::new());
        };
        let mut files = fixture::Fixture::parse(&text).files;
        for edit in &action.edits {
            let file = files.iter_mut().find(|(p, _)| *p == edit.path).unwrap();
            let range = usize::from(edit.range.start())..usize::from(edit.range.end());
            file.1.replace_range(range, &edit.replacement);
        }
        let fixed = fixture::Fixture {
            files,
            cursor: None,
        }
        .host();
        let after = fixed.analysis().diagnostics(&path).unwrap();
        (labels, after.iter().map(|d| d.message.clone()).collect())
    }

    #[test]
    fn type_mismatch_literal_fixes() {
        let (labels, after) =
            fix("{ imports = [ ./modules/poglets.nix ]; services.poglets.port = $0\"8420\"; }\n");
        assert_eq!(labels, ["Change to `8420`"]);
        assert_eq!(after, Vec::<String>::new());
        let (labels, after) =
            fix("{ imports = [ ./modules/poglets.nix ]; services.poglets.enable = $0\"true\"; }\n");
        assert_eq!(labels, ["Change to `true`"]);
        assert_eq!(after, Vec::<String>::new());
        let (labels, after) =
            fix("{ imports = [ ./modules/poglets.nix ]; services.poglets.user = $01000; }\n");
        assert_eq!(labels, ["Change to `\"1000\"`"]);
        assert_eq!(after, Vec::<String>::new());
    }

    #[test]
    fn no_literal_fix_unless_it_surely_fits() {
        // Out of a port's range, not a number, not a member of the enum,
        // not a literal written there.
        for text in [
            "services.poglets.port = $0\"80000\";",
            "services.poglets.port = $0\"84x\";",
            "services.poglets.port = $0\"08420\";",
            "services.poglets.level = $03;",
            "services.poglets.enable = $0\"yes\";",
        ] {
            let host = format!("{{ imports = [ ./modules/poglets.nix ]; {text} }}\n");
            let (labels, _) = fix(&host);
            assert_eq!(labels, Vec::<String>::new(), "{text}");
        }
        let (labels, _) = fix(
            "let p = $0\"8420\"; in { imports = [ ./modules/poglets.nix ]; services.poglets.port = p; }\n",
        );
        assert_eq!(labels, Vec::<String>::new());
    }

    #[test]
    fn option_not_imported_adds_the_import() {
        // Into an `imports` list written one item per line.
        let (labels, after) = fix(
            "{ ... }:\n{\n  imports = [\n    ./other.nix\n  ];\n  services.poglets.en$0able = true;\n}\n#- /other.nix\n{ }\n",
        );
        assert_eq!(labels, ["Import `./modules/poglets.nix`"]);
        assert_eq!(after, Vec::<String>::new());
        // No `imports` yet: a new binding first in the attrset.
        let (labels, after) = fix("{ ... }:\n{\n  services.poglets.en$0able = true;\n}\n");
        assert_eq!(labels, ["Import `./modules/poglets.nix`"]);
        assert_eq!(after, Vec::<String>::new());
        // Set under `config = { … }`: the import still goes at the top.
        let (labels, after) =
            fix("{ ... }: {\n  config = { services.poglets.en$0able = true; };\n}\n");
        assert_eq!(labels, ["Import `./modules/poglets.nix`"]);
        assert_eq!(after, Vec::<String>::new());
    }

    #[test]
    fn no_import_fix_into_flake_nix() {
        // An inline module of `flake.nix` has no file to add an import to.
        let text = MODULE.replace(
            "[ ./host.nix ]",
            "[ { services.poglets.en$0able = true; } ]",
        );
        let (host, path, offset) = fixture::with_cursor(&text);
        let analysis = host.analysis();
        let codes: Vec<&str> = analysis
            .diagnostics(&path)
            .unwrap()
            .iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(codes, ["option-not-imported"]);
        let actions = analysis
            .code_actions(&path, TextRange::empty(offset))
            .unwrap();
        assert_eq!(actions, Vec::new());
    }
}
