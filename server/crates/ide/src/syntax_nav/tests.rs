//! Tests of the syntactic "where am I": key and read paths, sites, completion
//! contexts.

use super::*;

fn site(text: &str) -> Option<Site> {
    let (text, offset) = crate::fixture::cursor(text);
    let parse = flakelens_syntax::parse(&text);
    classify(&parse.syntax(), offset, false)
}

fn path_of(text: &str) -> String {
    match site(text) {
        Some(Site::OptionKey { kind, path, .. }) => {
            format!("{kind:?} {}", flakelens_analysis::display_path(&path))
        }
        Some(Site::OptionRead { path, .. }) => {
            format!("Read {}", flakelens_analysis::display_path(&path))
        }
        Some(Site::Name {
            config_path: Some(path),
            ..
        }) => format!("Name {}", flakelens_analysis::display_path(&path)),
        other => format!("{other:?}"),
    }
}

#[test]
fn implicit_module_paths() {
    assert_eq!(
        path_of("{ services.po$0glets.enable = true; }"),
        "Definition services.poglets"
    );
    assert_eq!(
        path_of("{ config, ... }: { services = { poglets = { po$0rt = 1; }; }; }"),
        "Definition services.poglets.port"
    );
    assert_eq!(
        path_of("{ lib, ... }: with lib; let x = 1; in { users.users.${x}.u$0id = 1; }"),
        "Definition users.users.<name>.uid"
    );
}

#[test]
fn explicit_module_paths() {
    let text = "{ config, lib, ... }: let cfg = config.services.p; in {\n  options.services.p.en$0able = lib.mkEnableOption \"p\";\n  config = lib.mkIf cfg.enable (lib.mkMerge [ { a.b = 1; } ]);\n}";
    assert_eq!(path_of(text), "Declaration services.p.enable");
    let text = "{ config, lib, ... }: { options.x = 1; config = lib.mkIf true (lib.mkMerge [ { a.b$0 = 1; } (mkIf c { d = 2; }) ]); }";
    assert_eq!(path_of(text), "Definition a.b");
    let text = "{ config, lib, ... }: { options.x = 1; config.a = mkDefault { b = lib.optionalAttrs c { d$0 = 1; }; }; }";
    assert_eq!(path_of(text), "Definition a.b.d");
    // `imports` and let bindings are not options.
    let text = "{ config, ... }: { imports = [ ./a.nix ]; config.x = let y = { z$0 = 1; }; in y; }";
    assert_eq!(path_of(text), "None");
}

#[test]
fn reads_through_cfg() {
    let text = "{ config, ... }: let cfg = config.services.p; in { x = cfg.po$0rt; }";
    assert_eq!(path_of(text), "Read services.p.port");
    let text = "{ config, ... }: { x = config.services.p.po$0rt; }";
    assert_eq!(path_of(text), "Read services.p.port");
    let text = "{ config, ... }: let inherit (config.services) p; in { x = p.po$0rt; }";
    assert_eq!(path_of(text), "Read services.p.port");
    let text = "{ config, ... }: let cfg = config.services.p; in { x = with cfg; po$0rt; }";
    assert_eq!(path_of(text), "Name services.p.port");
    // Not config.
    let text = "{ pkgs, ... }: { x = pkgs.po$0rt; }";
    assert_eq!(path_of(text), "None");
}

#[test]
fn inline_modules_in_flakes() {
    let text = "{ outputs = { self, nixpkgs }: { nixosModules.default = { config, ... }: { services.x.en$0able = true; }; }; }";
    let (text, offset) = crate::fixture::cursor(text);
    let parse = flakelens_syntax::parse(&text);
    let site = classify(&parse.syntax(), offset, true);
    assert!(
        matches!(&site, Some(Site::OptionKey { path, .. }) if flakelens_analysis::display_path(path) == "services.x.enable"),
        "{site:?}"
    );
    let text = "{ outputs = _: { nixosConfigurations.a = nixosSystem { modules = [ ./a.nix { networking.host$0Name = \"a\"; } ]; }; }; }";
    let (text, offset) = crate::fixture::cursor(text);
    let parse = flakelens_syntax::parse(&text);
    let site = classify(&parse.syntax(), offset, true);
    assert!(
        matches!(&site, Some(Site::OptionKey { path, .. }) if flakelens_analysis::display_path(path) == "networking.hostName"),
        "{site:?}"
    );
}

fn completion(text: &str) -> String {
    let (text, offset) = crate::fixture::cursor(text);
    match completion_context(&text, offset, false) {
        Some(CompletionContext::Key {
            kind,
            base,
            partial,
            ..
        }) => {
            format!(
                "{kind:?} [{}] {partial:?}",
                flakelens_analysis::display_path(&base)
            )
        }
        Some(CompletionContext::Read { base, partial, .. }) => {
            format!(
                "Read [{}] {partial:?}",
                flakelens_analysis::display_path(&base)
            )
        }
        Some(CompletionContext::Value { path, partial, .. }) => {
            format!(
                "Value [{}] {partial:?}",
                flakelens_analysis::display_path(&path)
            )
        }
        None => "None".into(),
    }
}

#[test]
fn completion_contexts() {
    assert_eq!(
        completion("{\n  services.poglets.$0\n}\n"),
        "Definition [services.poglets] \"\""
    );
    assert_eq!(
        completion("{\n  services.poglets.$0\n  x = 1;\n}\n"),
        "Definition [services.poglets] \"\""
    );
    assert_eq!(
        completion("{\n  services = {\n    po$0\n  };\n}\n"),
        "Definition [services] \"po\""
    );
    assert_eq!(completion("{ config, ... }: {\n  options.a = 1;\n  config = mkIf x {\n    services.p$0\n  };\n}\n"), "Definition [services] \"p\"");
    assert_eq!(completion("{ x = { $0 }; }"), "Definition [x] \"\"");
    assert_eq!(
        completion("{ config, ... }: { x = config.services.$0; }"),
        "Read [services] \"\""
    );
    assert_eq!(completion("{ a.b = $0\n}"), "Value [a.b] \"\"");
    assert_eq!(completion("{ a.b = tr$0; }"), "Value [a.b] \"tr\"");
    assert_eq!(completion("{ a.b = 1 + $0; }"), "None");
    assert_eq!(completion("let x = { $0 }; in x"), "None");
    // Key positions after `;`, `let`, a comment; reads after `.`.
    assert_eq!(
        completion("{ a = 1; # note\n  serv$0\n}"),
        "Definition [] \"serv\""
    );
    assert_eq!(
        completion("{ config, ... }: { x = f config.services.po$0; }"),
        "Read [services] \"po\""
    );
    // Expression positions: no reparse, nothing to complete.
    assert_eq!(completion("{ a.b = f $0; }"), "None");
    assert_eq!(completion("{ a.b = [ x$0 ]; }"), "None");
    assert_eq!(completion("{ a.b = (x$0); }"), "None");
    assert_eq!(completion("let y = 1; in y + z$0"), "None");
}
