//! Hover: what an option is (type, default, description, example, where
//! it is declared) and which hosts set it to what.

use flakelens_analysis::diagnostics as check;
use flakelens_analysis::hosts::hosts;
use flakelens_analysis::hosts::HostKey;
use flakelens_analysis::module::{Cond, DeclKind, Declaration, DefEntry, DefKind};
use flakelens_analysis::{display_path, FileRange, Segment};
use flakelens_db::Db;
use flakelens_syntax::{TextRange, TextSize};

use crate::scope::{self, file_ctx};
use crate::syntax_nav::{self, Binding, PathKind, Site};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoverResult {
    /// Markdown.
    pub markdown: String,
    /// The range hovered (the name under the cursor).
    pub range: TextRange,
}

pub(crate) fn hover(db: &dyn Db, path: &str, offset: TextSize) -> Option<HoverResult> {
    let cx = file_ctx(db, path)?;
    let site = syntax_nav::classify(&cx.root, offset, cx.is_flake)?;
    let (option, range, kind) = match site {
        Site::OptionKey { kind, path, range } => (path, range, Some(kind)),
        Site::OptionRead { path, range } => (path, range, None),
        Site::Name {
            range,
            binding,
            config_path,
            name,
        } => {
            return match (binding, config_path) {
                (Some(Binding::With { .. }) | None, Some(option)) if !option.is_empty() => {
                    option_hover(db, cx.file, offset, &option, range, None)
                }
                (
                    Some(Binding::Let {
                        value: Some(value), ..
                    }),
                    _,
                ) => {
                    let text: String = value.text().to_string().chars().take(200).collect();
                    Some(HoverResult {
                        markdown: format!("```nix\n{name} = {text};\n```"),
                        range,
                    })
                }
                _ => None,
            };
        }
        _ => return None,
    };
    option_hover(db, cx.file, offset, &option, range, kind)
}

fn option_hover(
    db: &dyn Db,
    file: flakelens_db::SourceFile,
    offset: TextSize,
    option: &[Segment],
    range: TextRange,
    kind: Option<PathKind>,
) -> Option<HoverResult> {
    let indexes = scope::indexes_at(db, file, offset);
    let decls = scope::declarations(&indexes, option);
    let Some(decl) = decls.first() else {
        // A namespace with options below it.
        let below = scope::declarations_below(&indexes, option);
        if below.is_empty() {
            return None;
        }
        let mut names: Vec<String> = below
            .iter()
            .filter_map(|d| d.path.get(option.len()).map(|s| s.to_string()))
            .collect();
        names.dedup();
        let count = below.len();
        let shown: Vec<String> = names.iter().take(12).map(|n| format!("`{n}`")).collect();
        let mut markdown = format!(
            "**{}** · namespace\n\n{count} option{} below: {}",
            flakelens_analysis::display_path(option),
            if count == 1 { "" } else { "s" },
            shown.join(", ")
        );
        if names.len() > shown.len() {
            markdown.push_str(", …");
        }
        return Some(HoverResult { markdown, range });
    };
    let mut markdown = option_markdown(db, decl);
    if kind != Some(PathKind::Declaration) {
        let set_by = host_values(db, &decl.path);
        if !set_by.is_empty() {
            markdown.push_str("\n\n**Set by hosts**\n");
            for line in set_by {
                markdown.push_str(&format!("\n- {line}"));
            }
        }
    }
    Some(HoverResult { markdown, range })
}

/// The documentation of one option (shared with completion).
pub(crate) fn option_markdown(db: &dyn Db, decl: &Declaration) -> String {
    let kind = match decl.kind {
        DeclKind::Alias => "alias",
        DeclKind::Removed => "removed option",
        _ => "option",
    };
    let mut out = format!("**{}** · {kind}\n\n", display_path(&decl.path));
    out.push_str(&format!("*Type:* `{}`", decl.ty.nix_name()));
    if let Some(default) = &decl.default {
        out.push_str(&format!("\n\n*Default:* `{}`", one_line(default)));
    }
    if let Some(example) = &decl.example {
        out.push_str(&format!("\n\n*Example:* `{}`", one_line(example)));
    }
    if let Some(description) = &decl.description {
        out.push_str(&format!("\n\n{}", description.trim()));
    }
    if let Some(site) = &decl.meta.upstream {
        out.push_str(&format!(
            "\n\n*Declared in* `{}` ({})",
            format_args!("{}:{}", site.file, site.line),
            site.tree.name()
        ));
    } else if let Some(range) = decl.key.or(decl.decl) {
        out.push_str(&format!(
            "\n\n*Declared in* `{}`",
            scope::file_line(db, range)
        ));
    }
    out
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if text.lines().nth(1).is_some() {
        format!("{line} …")
    } else {
        line.to_string()
    }
}

/// `neptune: 8420 (hosts/neptune/configuration.nix:15)` for each host
/// that defines the option. A definition under an `mkIf` known false in
/// that host is left out; one whose condition cannot be decided says
/// "if …"; past four per host, "and N more".
fn host_values(db: &dyn Db, option: &[Segment]) -> Vec<String> {
    const SHOWN: usize = 4;
    let mut out = Vec::new();
    for host in &hosts(db).hosts {
        let key = HostKey::new(db, host.kind, host.name.clone());
        let mut found: Vec<(String, Option<FileRange>, Vec<String>)> = Vec::new();
        for summary in scope::host_summaries(db, key) {
            conditional_definitions(
                &summary.definitions,
                &mut Vec::new(),
                &mut Vec::new(),
                &mut |names, entry, when| {
                    if !scope::written_at(names, option) {
                        return;
                    }
                    let mut unknown = Vec::new();
                    for cond in when {
                        match check::condition_in_host(db, key, cond) {
                            Some(false) => return,
                            Some(true) => {}
                            None => unknown.push(describe(cond)),
                        }
                    }
                    found.push((entry.value.kind.to_nix(), entry.key, unknown));
                },
            );
        }
        found.dedup();
        let more = found.len().saturating_sub(SHOWN);
        for (value, at, unknown) in found.into_iter().take(SHOWN) {
            let at = at
                .map(|r| format!(" ({})", scope::file_line(db, r)))
                .unwrap_or_default();
            let condition = if unknown.is_empty() {
                String::new()
            } else {
                format!(" if {}", unknown.join(" and "))
            };
            out.push(format!(
                "**{}**: `{}`{condition}{at}",
                host.name,
                one_line(&value)
            ));
        }
        if more > 0 {
            out.push(format!("**{}**: and {more} more", host.name));
        }
    }
    out
}

fn describe(cond: &Cond) -> String {
    match cond {
        Cond::Option(path) => format!("`{}`", path.join(".")),
        Cond::False => "`false`".into(),
        Cond::Unknown => "a condition".into(),
    }
}

/// Like `scope::walk_definitions`, with the `mkIf` conditions each
/// definition sits under (its own and its ancestors').
fn conditional_definitions(
    entries: &[DefEntry],
    path: &mut Vec<Segment>,
    when: &mut Vec<Cond>,
    f: &mut impl FnMut(&[Segment], &DefEntry, &[Cond]),
) {
    for entry in entries {
        path.push(Segment::Name(entry.name.clone()));
        let before = when.len();
        when.extend(entry.value.when.iter().cloned());
        f(path, entry, when);
        if let DefKind::Attrs { entries, .. } = &entry.value.kind {
            conditional_definitions(entries, path, when, f);
        }
        when.truncate(before);
        path.pop();
    }
}

/// Hover at `offset`: a builtin or lib function, an option or variable,
/// else one of the repo's packages.
pub(crate) fn hover_at(db: &dyn Db, path: &str, offset: TextSize) -> Option<HoverResult> {
    // Nothing known is no hover, never an empty one.
    let known = |hover: &HoverResult| !hover.markdown.trim().is_empty();
    // Builtins and lib functions first: cheap, and never an option.
    crate::lang::hover(db, path, offset)
        .or_else(|| hover(db, path, offset).filter(known))
        .or_else(|| {
            crate::packages::package_hover(db, path, offset)
                .map(|(range, markdown)| HoverResult { markdown, range })
                .filter(known)
        })
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use crate::fixture;

    fn check(text: &str, expect: Expect) {
        let (host, path, offset) = fixture::with_cursor(text);
        let analysis = host.analysis();
        let hover = analysis.hover(&path, offset).unwrap();
        let rendered = match hover {
            Some(hover) => {
                let text = analysis.file_text(&path).unwrap();
                format!(
                    "{:?}\n{}",
                    &text[usize::from(hover.range.start())..usize::from(hover.range.end())],
                    hover.markdown
                )
            }
            None => "no hover".into(),
        };
        expect.assert_eq(&rendered);
    }

    const FIXTURE: &str = r#"
#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.neptune = nixpkgs.lib.nixosSystem { modules = [ ./neptune.nix ]; };
    nixosConfigurations.venus = nixpkgs.lib.nixosSystem { modules = [ ./venus.nix ]; };
  };
}
#- /poglets.nix
{ config, lib, ... }:
with lib;
let cfg = config.services.poglets; in
{
  options.services.poglets = {
    enable = mkEnableOption "poglets TCP tunnel server";
    port = mkOption {
      type = types.port;
      default = 8000;
      example = 8420;
      description = "TCP port on which poglets accepts tunnelled traffic.";
    };
    logLevel = mkOption {
      type = types.enum [ "debug" "info" ];
      default = "info";
      description = "Log level.";
    };
  };
  config = mkIf cfg.enable { x.port = cfg.port; };
}
#- /neptune.nix
{ imports = [ ./poglets.nix ]; services.poglets = { enable = true; port = 8420; }; }
#- /venus.nix
{ imports = [ ./poglets.nix ]; services.poglets.port = 9000; }
"#;

    #[test]
    fn hover_on_definition_shows_hosts() {
        check(
            &FIXTURE.replace("enable = true; port = 8420", "enable = true; po$0rt = 8420"),
            expect![[r#"
                "port"
                **services.poglets.port** · option

                *Type:* `types.port`

                *Default:* `8000`

                *Example:* `8420`

                TCP port on which poglets accepts tunnelled traffic.

                *Declared in* `poglets.nix:7`

                **Set by hosts**

                - **neptune**: `8420` (neptune.nix:1)
                - **venus**: `9000` (venus.nix:1)"#]],
        );
    }

    /// Issue 10 item 2: a secret under `mkIf config.within.aerial.enable`
    /// is set only where that is true; undecidable conditions say "if";
    /// a cut list says how many are left.
    #[test]
    fn hover_set_by_hosts_respects_mkif_and_counts_the_rest() {
        let text = r#"
#- /flake.nix
{
  outputs = { nixpkgs, ... }: {
    nixosConfigurations.luna = nixpkgs.lib.nixosSystem { modules = [ ./luna.nix ./secrets.nix ./aerial.nix ]; };
    nixosConfigurations.mars = nixpkgs.lib.nixosSystem { modules = [ ./mars.nix ./secrets.nix ./aerial.nix ]; };
    nixosConfigurations.titan = nixpkgs.lib.nixosSystem { modules = [ ./aerial.nix ./titan.nix ./secrets.nix ]; };
  };
}
#- /secrets.nix
{ lib, ... }:
{ options.within.secrets = lib.mkOption { type = lib.types.attrsOf lib.types.str; default = { }; }; }
#- /aerial.nix
{ config, lib, ... }:
{
  options.within.aerial.enable = lib.mkEnableOption "aerial";
  config = lib.mkIf config.within.aerial.enable { within.$0secrets.aerial = "aerial.age"; };
}
#- /luna.nix
{ within.aerial.enable = true; }
#- /mars.nix
{ within.secrets = { a = "1"; b = "2"; }; }
#- /titan.nix
{ config, ... }: { imports = [ ./t1.nix ./t2.nix ./t3.nix ./t4.nix ]; within.aerial.enable = config.networking.hostName == "titan"; }
#- /t1.nix
{ within.secrets.one = "1"; }
#- /t2.nix
{ within.secrets.two = "2"; }
#- /t3.nix
{ within.secrets.three = "3"; }
#- /t4.nix
{ within.secrets.four = "4"; }
"#;
        let (host, path, offset) = fixture::with_cursor(text);
        let hover = host.analysis().hover(&path, offset).unwrap().unwrap();
        let set_by = hover
            .markdown
            .split("**Set by hosts**")
            .nth(1)
            .unwrap_or("");
        expect![[r#"


            - **luna**: `{ … }` (aerial.nix:4)
            - **mars**: `{ … }` (mars.nix:1)
            - **titan**: `{ … }` if `within.aerial.enable` (aerial.nix:4)
            - **titan**: `{ … }` (t1.nix:1)
            - **titan**: `{ … }` (t2.nix:1)
            - **titan**: `{ … }` (t3.nix:1)
            - **titan**: and 1 more"#]]
        .assert_eq(set_by);
    }

    #[test]
    fn hover_on_declaration_and_reads() {
        check(
            &FIXTURE.replace("    logLevel = mkOption", "    logLe$0vel = mkOption"),
            expect![[r#"
                "logLevel"
                **services.poglets.logLevel** · option

                *Type:* `types.enum [ "debug" "info" ]`

                *Default:* `"info"`

                Log level.

                *Declared in* `poglets.nix:13`"#]],
        );
        check(
            &FIXTURE.replace("mkIf cfg.enable", "mkIf cfg.ena$0ble"),
            expect![[r#"
                "enable"
                **services.poglets.enable** · option

                *Type:* `types.bool`

                *Default:* `false`

                *Example:* `true`

                Whether to enable poglets TCP tunnel server.

                *Declared in* `poglets.nix:6`

                **Set by hosts**

                - **neptune**: `true` (neptune.nix:1)"#]],
        );
    }

    #[test]
    fn hover_on_namespace_and_variables() {
        check(
            &FIXTURE.replace(
                "services.poglets = { enable",
                "services.pog$0lets = { enable",
            ),
            expect![[r#"
                "poglets"
                **services.poglets** · namespace

                3 options below: `enable`, `logLevel`, `port`"#]],
        );
        check(
            &FIXTURE.replace("mkIf cfg.enable", "mkIf c$0fg.enable"),
            expect![[r#"
                "cfg"
                ```nix
                cfg = config.services.poglets;
                ```"#]],
        );
    }
}
