//! Rename of an option the repo declares: its last segment at the
//! declaration, every definition (flat `a.b.x =` and nested `x =` forms)
//! and every read (`cfg.x`, `config.a.b.x`, `with cfg; x`). Refused, with
//! the reason, where a rename could not be complete or would change more
//! than the option (a dynamic `cfg.${…}` read, `inherit (cfg) x`, a
//! quoted key).

use flakelens_analysis::Segment;
use flakelens_db::Db;
use flakelens_syntax::{ast, SyntaxKind, TextRange, TextSize};
use rowan::ast::AstNode;

use crate::references::{self, ReferenceKind};
use crate::scope::{self, file_ctx};
use crate::syntax_nav::{self, Site};

/// One text replacement of a rename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameEdit {
    pub path: String,
    pub range: TextRange,
    pub new_text: String,
}

/// The name under the cursor if the option there can be renamed.
pub(crate) fn prepare_rename(
    db: &dyn Db,
    path: &str,
    offset: TextSize,
) -> Result<(TextRange, String), String> {
    let plan = plan(db, path, offset)?;
    Ok((plan.cursor, plan.name))
}

pub(crate) fn rename(
    db: &dyn Db,
    path: &str,
    offset: TextSize,
    new_name: &str,
) -> Result<Vec<RenameEdit>, String> {
    if !is_plain_name(new_name) {
        return Err(format!(
            "`{new_name}` is not a plain attribute name (letters, digits, `_`, `'`, `-`, not starting with a digit)"
        ));
    }
    let plan = plan(db, path, offset)?;
    Ok(plan
        .ranges
        .into_iter()
        .map(|(path, range)| RenameEdit {
            path,
            range,
            new_text: new_name.to_string(),
        })
        .collect())
}

fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'))
        && !matches!(
            name,
            "if" | "then" | "else" | "let" | "in" | "with" | "rec" | "inherit" | "assert" | "or"
        )
}

struct Plan {
    name: String,
    cursor: TextRange,
    ranges: Vec<(String, TextRange)>,
}

fn plan(db: &dyn Db, path: &str, offset: TextSize) -> Result<Plan, String> {
    let not_option = || "only an option this repo declares can be renamed here".to_string();
    let cx = file_ctx(db, path).ok_or_else(not_option)?;
    let option = match syntax_nav::classify(&cx.root, offset, cx.is_flake).ok_or_else(not_option)? {
        Site::OptionKey { path, .. } | Site::OptionRead { path, .. } => path,
        Site::Name {
            config_path: Some(option),
            ..
        } if !option.is_empty() => option,
        _ => return Err(not_option()),
    };
    let scope = scope::OptionScope::at(db, cx.file, offset, &option);
    let target = scope.target.clone();
    let Some(Segment::Name(name)) = target.last().cloned() else {
        return Err(not_option());
    };
    let refs = references::option_references(db, &scope, true);
    if !refs.iter().any(|r| r.kind == ReferenceKind::Declaration) {
        return Err(format!(
            "`{}` is not declared in this repo (an upstream option keeps its name)",
            flakelens_analysis::display_path(&target)
        ));
    }
    let mut cursor = None;
    let mut ranges = Vec::new();
    for reference in refs {
        let Some(file) = flakelens_db::file_at(db, &reference.path) else {
            continue;
        };
        let text = file.text(db);
        let written =
            &text[usize::from(reference.range.start())..usize::from(reference.range.end())];
        let place = || {
            let line = line_of(text, reference.range.start());
            format!(
                "{}:{line}",
                crate::display_path(db.workspace().root(db), &reference.path)
            )
        };
        if written != name {
            return Err(format!(
                "cannot rename `{}`: it is written `{written}` at {} (rename that one by hand first)",
                flakelens_analysis::display_path(&target),
                place()
            ));
        }
        let root = flakelens_db::parse(db, file).syntax();
        let in_inherit = root
            .covering_element(reference.range)
            .ancestors()
            .any(|n| n.kind() == SyntaxKind::NODE_INHERIT);
        if in_inherit {
            return Err(format!(
                "cannot rename `{}`: `inherit` at {} would also rename a local name",
                flakelens_analysis::display_path(&target),
                place()
            ));
        }
        if reference.path == path && reference.range.contains_inclusive(offset) {
            cursor = Some(reference.range);
        }
        ranges.push((reference.path, reference.range));
    }
    if let Some(place) = dynamic_read(db, &target) {
        return Err(format!(
            "cannot rename `{}`: it may be read by name at {place} (`${{…}}`)",
            flakelens_analysis::display_path(&target)
        ));
    }
    let cursor = cursor.ok_or_else(not_option)?;
    Ok(Plan {
        name,
        cursor,
        ranges,
    })
}

/// The 1-based line of an offset.
fn line_of(text: &str, offset: TextSize) -> usize {
    text[..usize::from(offset)].matches('\n').count() + 1
}

/// A read `cfg.${…}` of the option's parent, which could name the option.
fn dynamic_read(db: &dyn Db, target: &[Segment]) -> Option<String> {
    let parent = &target[..target.len() - 1];
    for file in db.workspace().files(db).values() {
        let root = flakelens_db::parse(db, *file).syntax();
        for node in root.descendants() {
            if node.kind() != SyntaxKind::NODE_SELECT {
                continue;
            }
            let Some(select) = ast::Select::cast(node.clone()) else {
                continue;
            };
            let Some(attrpath) = select.attrpath() else {
                continue;
            };
            let Some(mut path) = select
                .expr()
                .and_then(|e| syntax_nav::config_path(e.syntax()))
            else {
                continue;
            };
            for (seg, range) in syntax_nav::attrpath_segs(&attrpath) {
                if seg == Segment::AnyName && scope::written_at(&path, parent) {
                    let line = line_of(file.text(db), range.start());
                    return Some(format!(
                        "{}:{line}",
                        crate::display_path(db.workspace().root(db), file.path(db))
                    ));
                }
                path.push(seg);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use crate::fixture;

    const REPO: &str = "#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./mod.nix ./a.nix ]; };
    nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./mod.nix ./b.nix ]; };
  };
}
#- /mod.nix
{ config, lib, ... }:
let cfg = config.services.poglets; in {
  options.services.poglets.port = lib.mkOption { type = lib.types.port; default = 1; };
  config.networking.firewall.allowedTCPPorts = [ cfg.port config.services.poglets.port ];
}
";

    fn check(files: &str, new_name: &str, expect: Expect) {
        let (host, path, offset) = fixture::with_cursor(&format!("{REPO}{files}"));
        let analysis = host.analysis();
        let rendered = match analysis.rename(&path, offset, new_name).unwrap() {
            Ok(edits) => edits
                .iter()
                .map(|edit| {
                    let text = analysis.file_text(&edit.path).unwrap();
                    let line_start = text[..usize::from(edit.range.start())]
                        .rfind('\n')
                        .map_or(0, |i| i + 1);
                    let line_end = text[usize::from(edit.range.end())..]
                        .find('\n')
                        .map_or(text.len(), |i| i + usize::from(edit.range.end()));
                    format!(
                        "{}: {}",
                        edit.path,
                        format_args!(
                            "{}{}{}",
                            &text[line_start..usize::from(edit.range.start())],
                            edit.new_text,
                            &text[usize::from(edit.range.end())..line_end]
                        )
                        .to_string()
                        .trim()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Err(message) => format!("refused: {message}"),
        };
        expect.assert_eq(&rendered);
    }

    #[test]
    fn renames_declaration_flat_and_nested_definitions_and_reads() {
        check(
            "#- /a.nix\n{ services.poglets.po$0rt = 8420; }\n#- /b.nix\n{ config, ... }: { services = { poglets = { port = 9; }; }; x = with config.services.poglets; port; }\n",
            "listenPort",
            expect![[r#"
                /a.nix: { services.poglets.listenPort = 8420; }
                /b.nix: { config, ... }: { services = { poglets = { listenPort = 9; }; }; x = with config.services.poglets; port; }
                /b.nix: { config, ... }: { services = { poglets = { port = 9; }; }; x = with config.services.poglets; listenPort; }
                /mod.nix: options.services.poglets.listenPort = lib.mkOption { type = lib.types.port; default = 1; };
                /mod.nix: config.networking.firewall.allowedTCPPorts = [ cfg.listenPort config.services.poglets.port ];
                /mod.nix: config.networking.firewall.allowedTCPPorts = [ cfg.port config.services.poglets.listenPort ];"#]],
        );
    }

    #[test]
    fn refusals_say_why() {
        check(
            "#- /a.nix\n{ config, ... }: { services.poglets.port = 1; x = config.services.poglets.${\"po\" + \"rt\"}; y = config.services.poglets.po$0rt; }\n#- /b.nix\n{ }\n",
            "listenPort",
            expect!["refused: cannot rename `services.poglets.port`: it may be read by name at a.nix:1 (`${…}`)"],
        );
        check(
            "#- /a.nix\n{ config, ... }: let inherit (config.services.poglets) port; in { services.poglets.po$0rt = 1; x = port; }\n#- /b.nix\n{ }\n",
            "listenPort",
            expect!["refused: cannot rename `services.poglets.port`: `inherit` at a.nix:1 would also rename a local name"],
        );
        check(
            "#- /a.nix\n{ services.poglets.\"port\" = 1; }\n#- /b.nix\n{ services.poglets.po$0rt = 2; }\n",
            "listenPort",
            expect!["refused: cannot rename `services.poglets.port`: it is written `\"port\"` at a.nix:1 (rename that one by hand first)"],
        );
        check(
            "#- /a.nix\n{ networking.host$0Name = \"x\"; }\n#- /b.nix\n{ }\n",
            "h",
            expect!["refused: `networking.hostName` is not declared in this repo (an upstream option keeps its name)"],
        );
        check("#- /a.nix\n{ services.poglets.po$0rt = 1; }\n#- /b.nix\n{ }\n", "1x", expect!["refused: `1x` is not a plain attribute name (letters, digits, `_`, `'`, `-`, not starting with a digit)"]);
    }
}
