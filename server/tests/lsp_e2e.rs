//! End-to-end tests of `flakelens lsp`: the real binary over stdio, driven
//! by the JSON-RPC client in `common/lsp.rs`.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

mod common;

use common::lsp::*;
use common::TempDir;

#[test]
fn lsp_definition_completion_hover_and_diagnostics_on_poglets() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    let init = client.initialize(&dir, None);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(
        init["capabilities"]["completionProvider"]["triggerCharacters"],
        json!(["."])
    );

    // Start-up indexing reports progress.
    client.wait_for("$/progress end", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });

    let host = "hosts/neptune/configuration.nix";
    let uri = dir.uri(host);
    let text = dir.read(host);
    client.open(&uri, &text);
    client.diagnostics(&uri, "initial diagnostics", |d| d.is_empty());

    // Definition: `enable` in the host → the mkEnableOption line.
    let (line, col) = find(&text, "enable = true", 2);
    let (result, definition_time) = timed(
        &mut client,
        "textDocument/definition",
        text_position(&uri, line, col),
        9,
    );
    let module = dir.read("hosts/modules/servers/poglets.nix");
    assert_eq!(
        result["uri"],
        dir.uri("hosts/modules/servers/poglets.nix"),
        "{result}"
    );
    let expected_line = find(&module, "mkEnableOption", 0).0;
    assert_eq!(result["range"]["start"]["line"], expected_line, "{result}");

    // Hover on `port`.
    let (line, col) = find(&text, "port = 8420", 1);
    let (hover, hover_time) = timed(
        &mut client,
        "textDocument/hover",
        text_position(&uri, line, col),
        9,
    );
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("types.port"), "{value}");
    assert!(value.contains("8000"), "{value}");
    assert!(value.contains("neptune"), "{value}");

    // Completion after `services.poglets.` typed on a new line.
    let (line, _) = find(&text, "networking.hostName", 0);
    client.change(
        &uri,
        2,
        range((line, 0), (line, 0)),
        "  services.poglets.\n",
    );
    let (completion, completion_time) = timed(
        &mut client,
        "textDocument/completion",
        text_position(&uri, line, "  services.poglets.".len() as u32),
        9,
    );
    let labels: Vec<&str> = completion["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["label"].as_str().unwrap())
        .collect();
    for expected in [
        "enable",
        "port",
        "controlPort",
        "openFirewall",
        "logLevel",
        "extraArgs",
    ] {
        assert!(
            labels.contains(&expected),
            "{expected} missing from {labels:?}"
        );
    }
    client.change(&uri, 3, range((line, 0), (line + 1, 0)), "");

    // A type error appears and disappears.
    let (line, col) = find(&text, "8420", 0);
    client.change(&uri, 4, range((line, col), (line, col + 4)), "\"x\"");
    let diagnostics = client.diagnostics(&uri, "type-mismatch", |d| has_code(d, "type-mismatch"));
    let mismatch = diagnostics
        .iter()
        .find(|d| d["code"] == "type-mismatch")
        .unwrap();
    assert_eq!(mismatch["range"]["start"], position(line, col));
    assert_eq!(
        mismatch["relatedInformation"][0]["message"], "option declared here",
        "{mismatch}"
    );
    assert_eq!(
        mismatch["relatedInformation"][0]["location"]["uri"],
        dir.uri("hosts/modules/servers/poglets.nix")
    );
    assert!(mismatch["message"]
        .as_str()
        .unwrap()
        .contains("services.poglets.port"));
    client.change(&uri, 5, range((line, col), (line, col + 3)), "8420");
    client.diagnostics(&uri, "type-mismatch cleared", |d| d.is_empty());

    // A change in the module re-publishes the host's diagnostics.
    let module_uri = dir.uri("hosts/modules/servers/poglets.nix");
    client.open(&module_uri, &module);
    let (line, col) = find(&module, "types.port;\n      default = 8000", 6);
    client.change(&module_uri, 2, range((line, col), (line, col + 4)), "str");
    client.diagnostics(&uri, "cross-file type-mismatch", |d| {
        has_code(d, "type-mismatch")
    });
    client.change(&module_uri, 3, range((line, col), (line, col + 3)), "port");
    client.diagnostics(&uri, "cross-file type-mismatch cleared", |d| d.is_empty());

    // References, symbols, code actions answer.
    let (line, col) = find(&text, "port = 8420", 1);
    let mut params = text_position(&uri, line, col);
    params["context"] = json!({ "includeDeclaration": true });
    let references = client.request("textDocument/references", params);
    assert!(references.as_array().unwrap().len() >= 3, "{references}");
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": module_uri } }),
    );
    assert!(
        symbols.to_string().contains("services.poglets.port"),
        "{symbols}"
    );
    let symbols = client.request("workspace/symbol", json!({ "query": "controlport" }));
    assert!(
        symbols.to_string().contains("services.poglets.controlPort"),
        "{symbols}"
    );

    eprintln!(
        "lsp latency on poglets (median of 9): definition {definition_time:?}, completion {completion_time:?}, hover {hover_time:?}"
    );
    client.shutdown_and_exit();
}

#[test]
fn lsp_quick_fix_for_option_typo() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    client.initialize(&dir, None);
    let host = "hosts/neptune/configuration.nix";
    let uri = dir.uri(host);
    let text = dir
        .read(host)
        .replace("controlPort = 8421", "controlProt = 8421");
    client.open(&uri, &text);
    let diagnostics = client.diagnostics(&uri, "unknown-option", |d| has_code(d, "unknown-option"));
    let diagnostic = diagnostics
        .iter()
        .find(|d| d["code"] == "unknown-option")
        .unwrap()
        .clone();
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": diagnostic["range"],
            "context": { "diagnostics": [diagnostic] },
        }),
    );
    let action = &actions[0];
    assert_eq!(action["kind"], "quickfix", "{actions}");
    let edits = &action["edit"]["changes"][&uri];
    assert_eq!(edits[0]["newText"], "controlPort", "{actions}");
    client.shutdown_and_exit();
}

#[test]
fn lsp_rapid_incremental_changes_end_consistent() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    client.initialize(&dir, None);
    let host = "hosts/neptune/configuration.nix";
    let uri = dir.uri(host);
    let text = dir.read(host);
    client.open(&uri, &text);

    // 200 changes, each inserting a comment line at the top; a hover
    // request after every tenth. The last one also breaks the port.
    let (port_line, port_col) = find(&text, "8420", 0);
    let mut pending = Vec::new();
    for n in 0..200u32 {
        client.change(
            &uri,
            2 + n as i32,
            range((0, 0), (0, 0)),
            &format!("# change {n}\n"),
        );
        if n % 10 == 9 {
            let (line, col) = find(&text, "port = 8420", 1);
            pending
                .push(client.start("textDocument/hover", text_position(&uri, line + n + 1, col)));
        }
    }
    client.change(
        &uri,
        202,
        range((port_line + 200, port_col), (port_line + 200, port_col + 4)),
        "\"x\"",
    );
    for id in pending {
        let response = client.response(id);
        if let Some(error) = response.get("error") {
            // Cancelled by a later change: ContentModified.
            assert_eq!(error["code"], -32801, "{response}");
        } else if !response["result"].is_null() {
            let value = response["result"]["contents"]["value"].as_str().unwrap();
            assert!(value.contains("services.poglets.port"), "{value}");
        }
    }
    let diagnostics =
        client.diagnostics(&uri, "final diagnostics", |d| has_code(d, "type-mismatch"));
    let mismatch = diagnostics
        .iter()
        .find(|d| d["code"] == "type-mismatch")
        .unwrap();
    assert_eq!(
        mismatch["range"]["start"],
        position(port_line + 200, port_col),
        "{mismatch}"
    );
    // The server's text is exactly the expected one: definition works at
    // the shifted position.
    let (line, col) = find(&text, "enable = true", 2);
    let result = client.request(
        "textDocument/definition",
        text_position(&uri, line + 200, col),
    );
    assert_eq!(
        result["uri"],
        dir.uri("hosts/modules/servers/poglets.nix"),
        "{result}"
    );
    client.shutdown_and_exit();
}

/// A module with non-ASCII text before the option names and CRLF lines.
fn non_ascii_crlf_text(text: &str) -> String {
    text.replace(
        "      enable = true;",
        "      /* é𝕏 */ enable = true; /* ü */ port = \"x\";",
    )
    .replace("      port = 8420;\n", "")
    .replace('\n', "\r\n")
}

#[test]
fn lsp_utf8_negotiated_and_non_ascii_crlf_positions() {
    for (offered, expected) in [(Some(vec!["utf-8", "utf-16"]), "utf-8"), (None, "utf-16")] {
        let dir = TempDir::copy_of("poglets");
        let mut client = Client::spawn();
        let init = client.initialize(&dir, offered);
        assert_eq!(init["capabilities"]["positionEncoding"], expected);
        let uri = dir.uri("hosts/neptune/configuration.nix");
        let text = non_ascii_crlf_text(&dir.read("hosts/neptune/configuration.nix"));
        client.open(&uri, &text);
        let line_text = text.lines().find(|l| l.contains("é𝕏")).unwrap();
        let line = text.lines().position(|l| l.contains("é𝕏")).unwrap() as u32;
        let column = |needle: &str| -> u32 {
            let prefix = &line_text[..line_text.find(needle).unwrap()];
            match expected {
                "utf-8" => prefix.len() as u32,
                _ => prefix.encode_utf16().count() as u32,
            }
        };
        let diagnostics =
            client.diagnostics(&uri, "type-mismatch", |d| has_code(d, "type-mismatch"));
        let mismatch = diagnostics
            .iter()
            .find(|d| d["code"] == "type-mismatch")
            .unwrap();
        assert_eq!(
            mismatch["range"]["start"],
            position(line, column("\"x\"")),
            "{expected}: {mismatch}"
        );
        assert_eq!(
            mismatch["range"]["end"],
            position(line, column("\"x\"") + 3),
            "{expected}: {mismatch}"
        );
        let result = client.request(
            "textDocument/definition",
            text_position(&uri, line, column("enable") + 1),
        );
        assert_eq!(
            result["uri"],
            dir.uri("hosts/modules/servers/poglets.nix"),
            "{expected}: {result}"
        );
        let hover = client.request(
            "textDocument/hover",
            text_position(&uri, line, column("port") + 1),
        );
        assert_eq!(
            hover["range"]["start"],
            position(line, column("port")),
            "{expected}: {hover}"
        );
        // An incremental edit after the non-ASCII text, in the negotiated units.
        client.change(
            &uri,
            2,
            range((line, column("\"x\"")), (line, column("\"x\"") + 3)),
            "8420",
        );
        client.diagnostics(&uri, "cleared", |d| d.is_empty());
        client.shutdown_and_exit();
    }
}

#[test]
fn lsp_protocol_edges_do_not_break_the_server() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    client.initialize(&dir, None);
    let uri = dir.uri("hosts/neptune/configuration.nix");
    client.open(&uri, &dir.read("hosts/neptune/configuration.nix"));

    // Invalid positions: an empty result or an error, never a crash.
    for (line, character) in [(9999, 0), (3, 9999), (u32::MAX, u32::MAX)] {
        for method in [
            "textDocument/definition",
            "textDocument/hover",
            "textDocument/completion",
        ] {
            let id = client.start(method, text_position(&uri, line, character));
            let response = client.response(id);
            assert!(
                response.get("error").is_some()
                    || response["result"].is_null()
                    || response["result"].is_object(),
                "{method}: {response}"
            );
        }
    }
    // A file the server does not know.
    let result = client.request(
        "textDocument/definition",
        text_position("file:///nonexistent/x.nix", 0, 0),
    );
    assert!(result.is_null());

    // Unknown method → MethodNotFound.
    let id = client.start("flakelens/noSuchMethod", json!({}));
    assert_eq!(client.response(id)["error"]["code"], -32601);
    // Notifications real clients send.
    client.notify("$/setTrace", json!({ "value": "verbose" }));
    client.notify("$/cancelRequest", json!({ "id": 424242 }));
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": null }),
    );
    client.notify("flakelens/unknownNotification", json!({}));
    // A module changed on disk outside the editor (not open): the port
    // becomes a string, so the open host's `port = 8420` is now wrong.
    let module = dir.read("hosts/modules/servers/poglets.nix");
    std::fs::write(
        dir.path("hosts/modules/servers/poglets.nix"),
        module.replacen("types.port;", "types.str;", 1),
    )
    .unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [ { "uri": dir.uri("hosts/modules/servers/poglets.nix"), "type": 2 } ] }),
    );
    client.diagnostics(&uri, "diagnostics after an on-disk change", |d| {
        has_code(d, "type-mismatch")
    });
    // A file deleted on disk.
    std::fs::remove_file(dir.path("hosts/modules/servers/poglets.nix")).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [ { "uri": dir.uri("hosts/modules/servers/poglets.nix"), "type": 3 } ] }),
    );
    client.diagnostics(&uri, "missing-import after deletion", |d| {
        has_code(d, "missing-import")
    });
    std::fs::write(dir.path("hosts/modules/servers/poglets.nix"), &module).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [ { "uri": dir.uri("hosts/modules/servers/poglets.nix"), "type": 1 } ] }),
    );
    client.diagnostics(&uri, "clean after re-creation", |d| d.is_empty());
    // Still alive and answering.
    let (line, col) = find(
        &dir.read("hosts/neptune/configuration.nix"),
        "enable = true",
        2,
    );
    let result = client.request("textDocument/definition", text_position(&uri, line, col));
    assert_eq!(result["uri"], dir.uri("hosts/modules/servers/poglets.nix"));
    client.shutdown_and_exit();
}

/// vscode-languageclient starts stdio servers as `<command> --stdio` (and
/// Node servers with `--clientProcessId=N`); the server must start.
#[test]
fn lsp_accepts_transport_flags_clients_append() {
    let dir = TempDir::copy_of("poglets");
    for args in [
        &["lsp", "--stdio"][..],
        &["lsp", "--stdio=ignored"],
        &["lsp", "--stdio", "--clientProcessId=4242"],
    ] {
        let mut client = Client::spawn_with(args);
        let result = client.initialize(&dir, None);
        assert!(
            result["capabilities"]["definitionProvider"].as_bool() == Some(true),
            "{args:?}: no capabilities in {result}"
        );
        client.shutdown_and_exit();
    }
}

#[test]
fn lsp_refuses_other_transports_with_a_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_flakelens"))
        .args(["lsp", "--node-ipc"])
        .stdin(Stdio::null())
        .output()
        .expect("run flakelens lsp --node-ipc");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`--node-ipc` is not supported") && stderr.contains("stdio"),
        "{stderr}"
    );
}

/// `workspace/didChangeConfiguration` with `diagnostics.disabled` hides
/// those codes (and brings them back); `flakelens/hostsForFile` lists the
/// hosts whose closure holds a module, and the hosts a flake defines.
#[test]
fn lsp_disabled_diagnostics_setting_and_hosts_for_file() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    client.initialize(&dir, None);
    let host = "hosts/neptune/configuration.nix";
    let uri = dir.uri(host);
    let text = dir.read(host).replace("port = 8420;", "port = \"8420\";");
    client.open(&uri, &text);
    client.diagnostics(&uri, "type-mismatch", |d| has_code(d, "type-mismatch"));

    let settings = |disabled: Value| json!({ "settings": { "flakelens": { "diagnostics": { "disabled": disabled } } } });
    client.notifications.clear();
    client.notify(
        "workspace/didChangeConfiguration",
        settings(json!(["type-mismatch"])),
    );
    client.diagnostics(&uri, "type-mismatch hidden", |d| {
        !has_code(d, "type-mismatch")
    });
    // `settings: null` (Eglot, kak-lsp) keeps the settings.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": null }),
    );
    client.notifications.clear();
    client.notify("workspace/didChangeConfiguration", settings(json!([])));
    client.diagnostics(&uri, "type-mismatch back", |d| has_code(d, "type-mismatch"));

    let module = dir.uri("hosts/modules/servers/poglets.nix");
    let result = client.request(
        "flakelens/hostsForFile",
        json!({ "textDocument": { "uri": module } }),
    );
    let hosts = result["hosts"].as_array().unwrap();
    let names: Vec<&str> = hosts.iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["neptune"], "{result}");
    assert_eq!(hosts[0]["inClosure"], true);
    assert!(
        hosts[0]["closure"]
            .as_array()
            .unwrap()
            .contains(&json!(module))
            && hosts[0]["closure"]
                .as_array()
                .unwrap()
                .contains(&json!(uri)),
        "{result}"
    );
    assert_eq!(hosts[0]["definedAt"]["uri"], dir.uri("flake.nix"));

    let flake = client.request(
        "flakelens/hostsForFile",
        json!({ "textDocument": { "uri": dir.uri("flake.nix") } }),
    );
    let mut names: Vec<&str> = flake["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["neptune", "venus"], "{flake}");
    client.shutdown_and_exit();
}

#[test]
fn lsp_exits_on_stdin_eof() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    client.initialize(&dir, None);
    // No shutdown, no exit: the client just goes away.
    client.stdin = None;
    let status = wait_exit(&mut client.child, Duration::from_secs(10));
    assert!(
        status.is_some(),
        "server still running 10 s after stdin closed"
    );
}

#[test]
fn lsp_package_definition_completion_and_hover() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    client.initialize(&dir, None);
    client.wait_for("$/progress end", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    let module_path = "hosts/modules/servers/poglets.nix";
    let uri = dir.uri(module_path);
    let text = dir.read(module_path);
    client.open(&uri, &text);

    // `default = pkgs.poglets;` → the derivation call in the recipe.
    let (line, col) = find(&text, "default = pkgs.poglets", 15);
    let result = client.request("textDocument/definition", text_position(&uri, line, col));
    assert_eq!(
        result["uri"],
        dir.uri("pkgs/server/poglets.nix"),
        "{result}"
    );
    let recipe = dir.read("pkgs/server/poglets.nix");
    let builder_line = find(&recipe, "buildGo124Module rec", 0).0;
    assert_eq!(result["range"]["start"]["line"], builder_line, "{result}");

    // Hover names the version and how the package is exposed.
    let hover = client.request("textDocument/hover", text_position(&uri, line, col));
    let value = hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(value.contains("poglets"), "{value}");
    assert!(value.contains("0.3.1"), "{value}");
    assert!(value.contains("buildGo124Module"), "{value}");

    // Completion after `pkgs.` lists the repo's own packages.
    let (line, col) = find(&text, "pkgs.poglets;", 5);
    let completion = client.request("textDocument/completion", text_position(&uri, line, col));
    let items = completion["items"].as_array().cloned().unwrap_or_default();
    let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    assert!(labels.contains(&"poglets"), "{labels:?}");
    assert!(labels.contains(&"hello-nix"), "{labels:?}");
    client.shutdown_and_exit();
}

/// The first diagnostics published for `uri` (earlier ones for other files
/// are kept for later calls).
fn first_publication(client: &mut Client, uri: &str) -> Vec<Value> {
    client.diagnostics(uri, "a first publication", |_| true)
}

#[test]
fn lsp_open_right_after_initialized_publishes_only_loaded_results() {
    let dir = TempDir::copy_of("poglets");
    let neptune = "hosts/neptune/configuration.nix";
    let venus = "hosts/venus/configuration.nix";
    // A true error in one host; the other is clean but imports files that
    // a half-loaded workspace does not have yet.
    dir.edit(neptune, "port = 8420;", "port = \"8420\";");
    // Enough files that the load takes longer than the first publication.
    for i in 0..3000 {
        let path = dir.path(&format!("generated/m{i}.nix"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            format!("{{ lib, ... }}: {{ options.g{i} = lib.mkOption {{ }}; }}\n"),
        )
        .unwrap();
    }
    let mut client = Client::spawn();
    client.initialize(&dir, None);
    // No wait: open both at once, as editors do.
    client.open(&dir.uri(venus), &dir.read(venus));
    client.open(&dir.uri(neptune), &dir.read(neptune));

    let first = first_publication(&mut client, &dir.uri(venus));
    assert!(
        first.is_empty(),
        "false diagnostics before the load: {first:?}"
    );
    let first = first_publication(&mut client, &dir.uri(neptune));
    assert_eq!(
        first
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["type-mismatch"],
        "{first:?}"
    );
    client.shutdown_and_exit();
}

/// Completion with an empty prefix at the start of a key (`|port = 8420;`,
/// and a new indented line) as kak-lsp 15 consumes it: it takes an item's
/// `textEdit` only when the range ends at the cursor on the cursor's line,
/// starts the completion at the range start, and inserts `filterText` when it
/// differs from the edit's text (then expanding it as a snippet).
#[test]
fn lsp_completion_at_empty_prefix_has_the_shape_kak_lsp_accepts() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    // kak-lsp 15 offers both encodings.
    client.initialize(&dir, Some(vec!["utf-8", "utf-16"]));
    let path = "hosts/neptune/configuration.nix";
    let uri = dir.uri(path);
    let text = dir
        .read(path)
        .replacen("poglets = {\n", "poglets = {\n      \n", 1);
    client.open(&uri, &text);
    let key_start = find(&text, "port = 8420;", 0);
    let new_line = (find(&text, "poglets = {", 0).0 + 1, 6);
    for (line, col) in [key_start, new_line] {
        let result = client.request("textDocument/completion", text_position(&uri, line, col));
        let items = result["items"].as_array().cloned().unwrap_or_default();
        let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
        for option in ["controlPort", "enable", "openFirewall", "logLevel"] {
            assert!(labels.contains(&option), "{line}:{col}: {labels:?}");
        }
        for item in &items {
            let edit = &item["textEdit"];
            assert_eq!(edit["range"], range((line, col), (line, col)), "{item}");
            assert_eq!(edit["newText"], item["label"], "{item}");
            assert!(
                item["filterText"].is_null() || item["filterText"] == edit["newText"],
                "{item}"
            );
            assert!(
                item["insertTextFormat"].is_null() || item["insertTextFormat"] == 1,
                "{item}"
            );
        }
    }
    client.shutdown_and_exit();
}
