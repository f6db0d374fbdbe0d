//! End-to-end tests of the per-document LSP features over stdio against
//! the real binary: highlights, folding and selection ranges, semantic
//! tokens, code lenses, inlay hints, unused-name hints; each range-producing
//! one also on non-ASCII text with CRLF line ends, in UTF-8 and UTF-16.

use serde_json::Value;

mod common;

use common::lsp::*;
use common::TempDir;

#[test]
fn lsp_document_highlight_folding_and_selection_ranges() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    let init = client.initialize(&dir, None);
    for capability in [
        "documentHighlightProvider",
        "foldingRangeProvider",
        "selectionRangeProvider",
    ] {
        assert_eq!(init["capabilities"][capability], true, "{init}");
    }
    client.wait_indexed();
    let path = "hosts/modules/servers/poglets.nix";
    let uri = dir.uri(path);
    let text = dir.read(path);
    client.open(&uri, &text);

    // `cfg`: its binding is a write (3), every use a read (2).
    let (line, col) = find(&text, "mkIf cfg.enable", 6);
    let result = client.request(
        "textDocument/documentHighlight",
        text_position(&uri, line, col),
    );
    let highlights = result.as_array().expect("highlights");
    assert_eq!(highlights.len(), text.matches("cfg").count(), "{result}");
    let (binding_line, binding_col) = find(&text, "cfg = config", 0);
    assert_eq!(
        highlights[0]["range"],
        range((binding_line, binding_col), (binding_line, binding_col + 3))
    );
    assert_eq!(highlights[0]["kind"], 3);
    assert!(highlights[1..].iter().all(|h| h["kind"] == 2), "{result}");

    // The option `port`: declaration and reads in this file.
    let (line, col) = find(&text, "port = mkOption", 1);
    let result = client.request(
        "textDocument/documentHighlight",
        text_position(&uri, line, col),
    );
    let kinds: Vec<u64> = result
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_u64().unwrap())
        .collect();
    // Declared once, read as `cfg.port` twice (firewall, ExecStart).
    assert_eq!(kinds, vec![3, 2, 2], "{result}");

    // Folding: the `options.services.poglets = {` block, ending on the line
    // before its `};`.
    let folds = client.request(
        "textDocument/foldingRange",
        serde_json::json!({ "textDocument": { "uri": uri } }),
    );
    let (start, _) = find(&text, "options.services.poglets = {", 0);
    let (close, _) = find(&text, "  };\n\n  config = mkIf", 0);
    let block = folds
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["startLine"] == start)
        .unwrap_or_else(|| panic!("no fold at line {start}: {folds}"));
    assert_eq!(block["endLine"], close - 1, "{block}");

    // Selection: `port` → `port = mkOption { … }` → with `;` → the set …
    let (line, col) = find(&text, "port = mkOption", 1);
    let result = client.request(
        "textDocument/selectionRange",
        serde_json::json!({ "textDocument": { "uri": uri }, "positions": [position(line, col)] }),
    );
    let first = &result[0];
    assert_eq!(
        first["range"],
        range((line, col - 1), (line, col + 3)),
        "{result}"
    );
    let binding = &first["parent"]["range"];
    assert_eq!(binding["start"], position(line, col - 1), "{result}");
    let mut depth = 0;
    let mut node = first;
    while !node["parent"].is_null() {
        node = &node["parent"];
        depth += 1;
    }
    assert!(depth >= 5, "{result}");
    assert_eq!(node["range"]["start"], position(0, 0), "{result}");
    client.shutdown_and_exit();
}

#[test]
fn lsp_document_ranges_with_non_ascii_text_and_crlf() {
    for (offered, expected) in [(Some(vec!["utf-8", "utf-16"]), "utf-8"), (None, "utf-16")] {
        let dir = TempDir::copy_of("poglets");
        let mut client = Client::spawn();
        let init = client.initialize(&dir, offered);
        assert_eq!(init["capabilities"]["positionEncoding"], expected);
        client.wait_indexed();
        let uri = dir.uri("scratch.nix");
        let text = "let\r\n  s = \"é𝕏\"; v = s;\r\n  w = [\r\n    \"😀\" v\r\n  ];\r\nin w\r\n";
        client.open(&uri, text);
        let column = |line: &str, needle: &str| -> u32 {
            let prefix = &line[..line.find(needle).unwrap()];
            match expected {
                "utf-8" => prefix.len() as u32,
                _ => prefix.encode_utf16().count() as u32,
            }
        };
        let line1 = "  s = \"é𝕏\"; v = s;";
        let line3 = "    \"😀\" v";
        let v_use = column(line1, "s;");
        let result = client.request(
            "textDocument/documentHighlight",
            text_position(&uri, 1, v_use),
        );
        let ranges: Vec<&serde_json::Value> = result
            .as_array()
            .unwrap()
            .iter()
            .map(|h| &h["range"])
            .collect();
        assert_eq!(
            ranges,
            vec![&range((1, 2), (1, 3)), &range((1, v_use), (1, v_use + 1))],
            "{expected}: {result}"
        );
        // `v` in the list, after the emoji.
        let v_col = column(line3, "v");
        let result = client.request(
            "textDocument/documentHighlight",
            text_position(&uri, 3, v_col),
        );
        let v_decl = column(line1, "v =");
        let ranges: Vec<&serde_json::Value> = result
            .as_array()
            .unwrap()
            .iter()
            .map(|h| &h["range"])
            .collect();
        assert_eq!(
            ranges,
            vec![
                &range((1, v_decl), (1, v_decl + 1)),
                &range((3, v_col), (3, v_col + 1))
            ],
            "{expected}: {result}"
        );
        // Folds count lines the same with CRLF: `let` (0) to the line
        // before `in` (4), the list (2) to the line before `];` (3).
        let folds = client.request(
            "textDocument/foldingRange",
            serde_json::json!({ "textDocument": { "uri": uri } }),
        );
        let lines: Vec<(u64, u64)> = folds
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["startLine"].as_u64().unwrap(),
                    f["endLine"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(lines, vec![(0, 4), (2, 3)], "{expected}: {folds}");
        let result = client.request(
            "textDocument/selectionRange",
            serde_json::json!({ "textDocument": { "uri": uri }, "positions": [position(3, v_col)] }),
        );
        assert_eq!(
            result[0]["range"],
            range((3, v_col), (3, v_col + 1)),
            "{expected}: {result}"
        );
        // The list, from `[` on line 2 to `]` on line 4.
        assert_eq!(
            result[0]["parent"]["range"],
            range((2, 6), (4, 3)),
            "{expected}: {result}"
        );
        client.shutdown_and_exit();
    }
}

/// Decodes semantic tokens into (line, start, length, type, modifiers).
fn decode_tokens(result: &Value) -> Vec<(u64, u64, u64, u64, u64)> {
    let data: Vec<u64> = result["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let (mut line, mut start) = (0, 0);
    data.chunks(5)
        .map(|t| {
            if t[0] > 0 {
                start = 0;
            }
            line += t[0];
            start += t[1];
            (line, start, t[2], t[3], t[4])
        })
        .collect()
}

#[test]
fn lsp_semantic_tokens_for_options_and_packages() {
    for (offered, expected) in [(Some(vec!["utf-8", "utf-16"]), "utf-8"), (None, "utf-16")] {
        let dir = TempDir::copy_of("poglets");
        let mut client = Client::spawn();
        let init = client.initialize(&dir, offered);
        let legend = &init["capabilities"]["semanticTokensProvider"]["legend"];
        assert_eq!(
            legend["tokenTypes"],
            serde_json::json!(["property", "namespace", "class"]),
            "{init}"
        );
        client.wait_indexed();
        let host = "hosts/neptune/configuration.nix";
        let uri = dir.uri(host);
        // Non-ASCII text before an option on its line, CRLF line ends.
        let text = dir
            .read(host)
            .replace("      port = 8420;", "      /* é𝕏 */ port = 8420;")
            .replace("    poglets\n", "    pkgs.poglets\n")
            .replace('\n', "\r\n");
        client.open(&uri, &text);
        let result = client.request(
            "textDocument/semanticTokens/full",
            serde_json::json!({ "textDocument": { "uri": uri } }),
        );
        let tokens = decode_tokens(&result);
        let lines: Vec<&str> = text.split("\r\n").collect();
        let at = |needle: &str, delta: usize| -> (u64, u64) {
            let line = lines.iter().position(|l| l.contains(needle)).unwrap();
            let prefix = &lines[line][..lines[line].find(needle).unwrap() + delta];
            let col = match expected {
                "utf-8" => prefix.len(),
                _ => prefix.encode_utf16().count(),
            };
            (line as u64, col as u64)
        };
        let token_at = |(line, col): (u64, u64)| {
            tokens
                .iter()
                .find(|t| t.0 == line && t.1 == col)
                .copied()
                .unwrap_or_else(|| panic!("{expected}: no token at {line}:{col} in {tokens:?}"))
        };
        // `port` after the comment: an option (property), 4 units long.
        assert_eq!(
            token_at(at("port = 8420", 0)),
            (at("port = 8420", 0).0, at("port = 8420", 0).1, 4, 0, 0)
        );
        // `services` and `poglets` of `services = { poglets = {`: namespaces.
        assert_eq!(token_at(at("services = {", 0)).3, 1);
        assert_eq!(token_at(at("poglets = {", 0)).3, 1);
        // `pkgs.poglets`: the repo's package (class).
        assert_eq!(token_at(at("pkgs.poglets", 5)).3, 2);
        // Nothing for names the analysis does not know (`git`).
        let (git_line, _) = at("    git", 0);
        assert!(tokens.iter().all(|t| t.0 != git_line), "{tokens:?}");
        client.shutdown_and_exit();
    }
}

#[test]
fn lsp_code_lenses_and_inlay_hints() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    let init = client.initialize(&dir, None);
    assert!(
        init["capabilities"]["codeLensProvider"].is_object(),
        "{init}"
    );
    assert_eq!(init["capabilities"]["inlayHintProvider"], true, "{init}");
    client.wait_indexed();
    let module = "hosts/modules/servers/poglets.nix";
    let uri = dir.uri(module);
    let text = dir.read(module);
    client.open(&uri, &text);
    let lenses = client.request(
        "textDocument/codeLens",
        serde_json::json!({ "textDocument": { "uri": uri } }),
    );
    let (line, col) = find(&text, "controlPort = mkOption", 0);
    let lens = lenses
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["range"]["start"] == position(line, col))
        .unwrap_or_else(|| panic!("no lens on controlPort: {lenses}"));
    assert_eq!(lens["command"]["title"], "set by 1 host: neptune", "{lens}");
    assert_eq!(lens["command"]["command"], "flakelens.showReferences");
    assert_eq!(lens["command"]["arguments"][0], uri.as_str());
    let (line, col) = find(&text, "user = mkOption", 0);
    let user = lenses
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["range"]["start"] == position(line, col))
        .unwrap();
    assert_eq!(user["command"]["title"], "set by no host", "{user}");

    // Inlay hints are off unless the editor turns them on.
    let host = "hosts/neptune/configuration.nix";
    let host_uri = dir.uri(host);
    let host_text = dir.read(host);
    client.open(&host_uri, &host_text);
    let whole = serde_json::json!({
        "textDocument": { "uri": host_uri },
        "range": range((0, 0), (host_text.lines().count() as u32, 0)),
    });
    let hints = client.request("textDocument/inlayHint", whole.clone());
    assert!(hints.is_null(), "{hints}");
    client.notify(
        "workspace/didChangeConfiguration",
        serde_json::json!({ "settings": { "flakelens": { "lsp": { "inlayHints": true, "codeLens": false } } } }),
    );
    let hints = client.request("textDocument/inlayHint", whole);
    let (line, col) = find(&host_text, "poglets = {", 11);
    assert_eq!(hints[0]["position"], position(line, col), "{hints}");
    let label = hints[0]["label"].as_str().unwrap();
    assert_eq!(
        label,
        "unset: extraArgs = [ ], group = \"poglets\", logLevel = \"info\", +3 more"
    );
    let lenses = client.request(
        "textDocument/codeLens",
        serde_json::json!({ "textDocument": { "uri": uri } }),
    );
    assert!(lenses.is_null(), "{lenses}");
    client.shutdown_and_exit();
}

#[test]
fn lsp_unused_names_as_hints_when_asked_for() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    client.initialize(&dir, None);
    client.wait_indexed();
    let host = "hosts/neptune/configuration.nix";
    let uri = dir.uri(host);
    let text = dir
        .read(host)
        .replace("{\n  imports", "let\n  unusedThing = 1;\nin\n{\n  imports");
    client.open(&uri, &text);
    // Off by default.
    client.diagnostics(&uri, "clean", |d| d.is_empty());
    client.notify(
        "workspace/didChangeConfiguration",
        serde_json::json!({ "settings": { "lsp": { "unusedHints": true } } }),
    );
    let diagnostics = client.diagnostics(&uri, "hints", |d| has_code(d, "unused-binding"));
    let mut hints: Vec<(String, u64, Value)> = diagnostics
        .iter()
        .filter(|d| d["code"] == "unused-binding")
        .map(|d| {
            assert_eq!(d["severity"], 4, "hint: {d}");
            assert_eq!(d["tags"], serde_json::json!([1]), "unnecessary: {d}");
            (
                d["message"].as_str().unwrap().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"].clone(),
            )
        })
        .collect();
    hints.sort_by_key(|h| h.1);
    let messages: Vec<&str> = hints.iter().map(|h| h.0.as_str()).collect();
    // `{ config, pkgs, inputs, ... }:` reads `pkgs` only (`with pkgs;`).
    assert_eq!(
        messages,
        [
            "argument `config` is never used",
            "argument `inputs` is never used",
            "`unusedThing` is bound but never used",
        ]
    );
    let (line, col) = find(&text, "unusedThing", 0);
    assert_eq!(hints[2].2, range((line, col), (line, col + 11)));
    client.shutdown_and_exit();
}

#[test]
fn lsp_lens_hint_and_fix_positions_with_non_ascii_text_and_crlf() {
    for (offered, expected) in [(Some(vec!["utf-8", "utf-16"]), "utf-8"), (None, "utf-16")] {
        let dir = TempDir::copy_of("poglets");
        let mut client = Client::spawn();
        client.initialize_with(
            &dir,
            serde_json::json!({
                "general": { "positionEncodings": offered.clone().unwrap_or_default() },
                "window": { "workDoneProgress": true },
            }),
        );
        client.notify(
            "workspace/didChangeConfiguration",
            serde_json::json!({ "settings": { "lsp": { "inlayHints": true } } }),
        );
        client.wait_indexed();
        let units = |text: &str| -> u32 {
            match expected {
                "utf-8" => text.len() as u32,
                _ => text.encode_utf16().count() as u32,
            }
        };
        // The module: a lens on `controlPort` after non-ASCII text.
        let module = "hosts/modules/servers/poglets.nix";
        let module_uri = dir.uri(module);
        let module_text = dir
            .read(module)
            .replace(
                "    controlPort = mkOption",
                "    /* é𝕏 */ controlPort = mkOption",
            )
            .replace('\n', "\r\n");
        client.open(&module_uri, &module_text);
        let lenses = client.request(
            "textDocument/codeLens",
            serde_json::json!({ "textDocument": { "uri": module_uri } }),
        );
        let line = module_text
            .split("\r\n")
            .position(|l| l.contains("controlPort = mkOption"))
            .unwrap() as u32;
        let col = units("    /* é𝕏 */ ");
        assert!(
            lenses
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["range"] == range((line, col), (line, col + 11))),
            "{expected}: {lenses}"
        );
        // The host: a hint after `poglets = {`, a fix on `"8420"`, both
        // after non-ASCII text on their lines.
        let host = "hosts/neptune/configuration.nix";
        let host_uri = dir.uri(host);
        let host_text = dir
            .read(host)
            .replace("    poglets = {", "    /* ß */ poglets = {")
            .replace("      port = 8420;", "      /* 😀 */ port = \"8420\";")
            .replace('\n', "\r\n");
        client.open(&host_uri, &host_text);
        let lines: Vec<&str> = host_text.split("\r\n").collect();
        let hints = client.request(
            "textDocument/inlayHint",
            serde_json::json!({
                "textDocument": { "uri": host_uri },
                "range": range((0, 0), (lines.len() as u32, 0)),
            }),
        );
        let hint_line = lines
            .iter()
            .position(|l| l.contains("poglets = {"))
            .unwrap() as u32;
        assert_eq!(
            hints[0]["position"],
            position(hint_line, units("    /* ß */ poglets = {")),
            "{expected}: {hints}"
        );
        let actions = client.actions_for(&host_uri, "type-mismatch");
        let fix_line = lines
            .iter()
            .position(|l| l.contains("port = \"8420\""))
            .unwrap() as u32;
        let start = units("      /* 😀 */ port = ");
        assert_eq!(
            actions[0]["edit"]["changes"][&host_uri][0]["range"],
            range((fix_line, start), (fix_line, start + 6)),
            "{expected}: {actions}"
        );
        client.shutdown_and_exit();
    }
}
