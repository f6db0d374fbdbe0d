//! Document highlights: the other occurrences, in the same file, of the
//! option or variable under the cursor (declarations and definitions are
//! writes, uses are reads). A file-local `references`.

use flakelens_db::Db;
use flakelens_syntax::{TextRange, TextSize};

use crate::references::{self, ReferenceKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HighlightKind {
    /// Where the name is bound, declared or given a value.
    Write,
    /// Where it is read.
    Read,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Highlight {
    pub range: TextRange,
    pub kind: HighlightKind,
}

pub(crate) fn highlights(db: &dyn Db, path: &str, offset: TextSize) -> Vec<Highlight> {
    let mut out: Vec<Highlight> = references::references_scoped(db, path, offset, true, true)
        .into_iter()
        .filter(|reference| reference.path == path)
        .map(|reference| Highlight {
            range: reference.range,
            kind: match reference.kind {
                ReferenceKind::Declaration | ReferenceKind::Definition => HighlightKind::Write,
                ReferenceKind::Read => HighlightKind::Read,
            },
        })
        .collect();
    out.sort_by_key(|h| (h.range.start(), h.range.end()));
    out.dedup_by_key(|h| h.range);
    // Nothing to show when the cursor is on none of them (a keyword, a
    // literal): an editor would highlight unrelated text.
    if !out.iter().any(|h| h.range.contains_inclusive(offset)) {
        return Vec::new();
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use crate::fixture;

    fn check(text: &str, expect: Expect) {
        let (host, path, offset) = fixture::with_cursor(text);
        let analysis = host.analysis();
        let file = analysis.file_text(&path).unwrap();
        let rendered: Vec<String> = analysis
            .highlights(&path, offset)
            .unwrap()
            .iter()
            .map(|h| {
                let start = usize::from(h.range.start());
                let line = file[..start].matches('\n').count() + 1;
                format!(
                    "{:?} {line} {:?}",
                    h.kind,
                    &file[start..usize::from(h.range.end())]
                )
            })
            .collect();
        expect.assert_eq(&rendered.join("\n"));
    }

    const MODULE: &str = r#"
#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.neptune = nixpkgs.lib.nixosSystem {
      modules = [ ./poglets.nix ];
    };
  };
}
#- /poglets.nix
{ config, lib, ... }:
with lib;
let cfg = config.services.poglets; in
{
  options.services.poglets = {
    enable = mkEnableOption "poglets";
    port = mkOption { type = types.port; default = 8000; };
  };
  config = mkIf cfg.enable {
    services.poglets.port = 8420;
    a.b = cfg.port;
    a.c = with cfg; port + 1;
    a.d = config.services.poglets.port;
  };
}
"#;

    #[test]
    fn an_option_in_its_module() {
        // From the declaration: the definition is a write, reads are reads.
        check(
            &MODULE.replace("port = mkOption", "po$0rt = mkOption"),
            expect![[r#"
                Write 7 "port"
                Write 10 "port"
                Read 11 "port"
                Read 12 "port"
                Read 13 "port""#]],
        );
        // The same set from a read.
        check(
            &MODULE.replace("a.b = cfg.port", "a.b = cfg.p$0ort"),
            expect![[r#"
                Write 7 "port"
                Write 10 "port"
                Read 11 "port"
                Read 12 "port"
                Read 13 "port""#]],
        );
    }

    #[test]
    fn a_let_binding() {
        check(
            &MODULE.replace("mkIf cfg.enable", "mkIf c$0fg.enable"),
            expect![[r#"
                Write 3 "cfg"
                Read 9 "cfg"
                Read 11 "cfg"
                Read 12 "cfg""#]],
        );
    }

    #[test]
    fn nothing_off_a_name() {
        check(&MODULE.replace("8420", "84$020"), expect![[""]]);
        check(&MODULE.replace("with lib;", "wi$0th lib;"), expect![[""]]);
    }

    #[test]
    fn non_ascii_text_before_the_names() {
        // Offsets are bytes: multi-byte text before the names does not
        // shift them (CRLF is tested at the LSP edge, where it is undone).
        let text = "#- /a.nix\nlet s = \"ß€ 😀\"; x = s$0; in [ s x ]\n";
        check(
            text,
            expect![[r#"
                Write 1 "s"
                Read 1 "s"
                Read 1 "s""#]],
        );
    }
}
