//! End-to-end tests of the LSP features beyond definition/completion of
//! options, over stdio against the real binary: the Nix language (names in
//! scope, builtins, lib), rename, code actions, completion resolve, pull
//! diagnostics, workspace-symbol ranking. Per-document features (ranges,
//! tokens, lenses, hints) are in `lsp_document.rs`.

use serde_json::Value;

mod common;

use common::lsp::*;
use common::TempDir;

fn labels(result: &Value) -> Vec<String> {
    result["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|i| i["label"].as_str().map(str::to_string))
        .collect()
}

fn item<'a>(result: &'a Value, label: &str) -> &'a Value {
    result["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["label"] == label))
        .unwrap_or_else(|| panic!("no item {label}: {result}"))
}

#[test]
fn lsp_nix_language_completion_and_hover() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    client.initialize(&dir, None);
    client.wait_for("$/progress end", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    let path = "hosts/modules/servers/poglets.nix";
    let uri = dir.uri(path);
    let text = dir.read(path);
    client.open(&uri, &text);

    // `cfg = c|onfig…`: the let binding and the module's formals.
    let (line, col) = find(&text, "cfg = config", 7);
    let result = client.request("textDocument/completion", text_position(&uri, line, col));
    let names = labels(&result);
    assert!(names.contains(&"cfg".to_string()), "{names:?}");
    assert!(names.contains(&"config".to_string()), "{names:?}");
    assert_eq!(item(&result, "cfg")["kind"], 6, "variable: {result}");

    // `enable = mkEn|ableOption` under `with lib;`: lib functions with
    // their signatures.
    let (line, col) = find(&text, "enable = mkEnableOption", 13);
    let result = client.request("textDocument/completion", text_position(&uri, line, col));
    let mk = item(&result, "mkEnableOption");
    assert_eq!(mk["kind"], 3, "function: {mk}");
    assert_eq!(mk["detail"], "mkEnableOption :: String -> Option");

    // Hover on a lib function brought in by `with lib;`.
    let (line, col) = find(&text, "package = mkOption", 12);
    let hover = client.request("textDocument/hover", text_position(&uri, line, col));
    let value = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(value.contains("mkOption ::"), "{hover}");
    assert!(value.contains("`lib.mkOption`"), "{hover}");
    client.shutdown_and_exit();
}

#[test]
fn lsp_rename_of_an_own_option_and_a_refusal() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    let init = client.initialize(&dir, None);
    assert_eq!(
        init["capabilities"]["renameProvider"]["prepareProvider"], true,
        "{init}"
    );
    client.wait_for("$/progress end", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    let module = "hosts/modules/servers/poglets.nix";
    let uri = dir.uri(module);
    let text = dir.read(module);
    client.open(&uri, &text);

    let (line, col) = find(&text, "controlPort = mkOption", 3);
    let prepared = client.request("textDocument/prepareRename", text_position(&uri, line, col));
    assert_eq!(prepared["placeholder"], "controlPort", "{prepared}");
    assert_eq!(prepared["range"]["start"]["line"], line, "{prepared}");

    let mut params = text_position(&uri, line, col);
    params["newName"] = "ctlPort".into();
    let edit = client.request("textDocument/rename", params);
    let changes = edit["changes"].as_object().expect("changes");
    // The declaration and both reads in the module, the nested definition
    // in neptune's configuration.
    let host = dir.uri("hosts/neptune/configuration.nix");
    assert_eq!(changes[&uri].as_array().unwrap().len(), 3, "{edit}");
    assert_eq!(changes[&host].as_array().unwrap().len(), 1, "{edit}");
    let host_text = dir.read("hosts/neptune/configuration.nix");
    let at = &changes[&host][0]["range"]["start"];
    let (line, col) = find(&host_text, "controlPort = 8421", 0);
    assert_eq!(
        (at["line"].as_u64(), at["character"].as_u64()),
        (Some(line.into()), Some(col.into()))
    );
    for edits in changes.values() {
        for edit in edits.as_array().unwrap() {
            assert_eq!(edit["newText"], "ctlPort");
        }
    }

    // An upstream option is refused with the reason.
    let host_uri = host.clone();
    client.open(&host_uri, &host_text);
    let (line, col) = find(&host_text, "networking.hostName", 13);
    let id = client.start(
        "textDocument/prepareRename",
        text_position(&host_uri, line, col),
    );
    let response = client.response(id);
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("not declared in this repo"), "{response}");
    client.shutdown_and_exit();
}

#[test]
fn lsp_code_actions_fix_a_type_mismatch_and_a_missing_import() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    client.initialize(&dir, None);
    client.wait_indexed();

    // `port = "8420"` → `8420`; applying the edit clears the error.
    let host = "hosts/neptune/configuration.nix";
    let uri = dir.uri(host);
    let text = dir.read(host).replace("port = 8420", "port = \"8420\"");
    client.open(&uri, &text);
    let actions = client.actions_for(&uri, "type-mismatch");
    let action = &actions[0];
    assert_eq!(action["title"], "Change to `8420`", "{actions}");
    assert_eq!(action["kind"], "quickfix", "{actions}");
    let edit = &action["edit"]["changes"][&uri][0];
    let (line, col) = find(&text, "\"8420\"", 0);
    assert_eq!(edit["range"], range((line, col), (line, col + 6)), "{edit}");
    assert_eq!(edit["newText"], "8420");
    client.change(&uri, 2, edit["range"].clone(), "8420");
    client.diagnostics(&uri, "cleared", |d| !has_code(d, "type-mismatch"));

    // venus does not import the poglets module: import it.
    let venus = "hosts/venus/configuration.nix";
    let venus_uri = dir.uri(venus);
    let venus_text = dir.read(venus).replace(
        "  site.adminEmail",
        "  services.poglets.enable = true;\n  site.adminEmail",
    );
    client.open(&venus_uri, &venus_text);
    let actions = client.actions_for(&venus_uri, "option-not-imported");
    let action = &actions[0];
    assert_eq!(
        action["title"], "Import `../modules/servers/poglets.nix`",
        "{actions}"
    );
    let edit = &action["edit"]["changes"][&venus_uri][0];
    // After the last item of the `imports` list, on a line of its own.
    let (line, col) = find(&venus_text, "../modules/common.nix", 21);
    assert_eq!(edit["range"], range((line, col), (line, col)), "{edit}");
    assert_eq!(edit["newText"], "\n    ../modules/servers/poglets.nix");
    client.change(
        &venus_uri,
        2,
        edit["range"].clone(),
        "\n    ../modules/servers/poglets.nix",
    );
    client.diagnostics(&venus_uri, "cleared", |d| {
        !has_code(d, "option-not-imported")
    });
    client.shutdown_and_exit();
}

#[test]
fn lsp_completion_documentation_resolved_on_demand() {
    let dir = TempDir::copy_of("poglets");
    let host = "hosts/neptune/configuration.nix";
    let text = dir.read(host);
    let (line, col) = find(&text, "controlPort = 8421", 0);

    // A client that resolves documentation: the list carries none.
    let mut client = Client::spawn();
    let init = client.initialize_with(
        &dir,
        serde_json::json!({
            "window": { "workDoneProgress": true },
            "textDocument": { "completion": { "completionItem": {
                "resolveSupport": { "properties": ["documentation", "detail"] }
            } } }
        }),
    );
    assert_eq!(
        init["capabilities"]["completionProvider"]["resolveProvider"], true,
        "{init}"
    );
    client.wait_indexed();
    let uri = dir.uri(host);
    client.open(&uri, &text);
    let result = client.request("textDocument/completion", text_position(&uri, line, col));
    let port = item(&result, "controlPort").clone();
    assert!(port["documentation"].is_null(), "{port}");
    assert_eq!(port["detail"], "types.port", "{port}");
    let resolved = client.request("completionItem/resolve", port.clone());
    let docs = resolved["documentation"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(docs.contains("poglets control channel"), "{resolved}");
    assert_eq!(resolved["label"], "controlPort");
    assert_eq!(resolved["textEdit"], port["textEdit"]);
    // After an edit the item is stale: it comes back as it was.
    client.change(&uri, 2, range((0, 0), (0, 0)), "# edited\n");
    let stale = client.request("completionItem/resolve", port.clone());
    assert!(stale["documentation"].is_null(), "{stale}");
    client.shutdown_and_exit();

    // A client that does not: documentation inline, no resolve advertised.
    let mut client = Client::spawn();
    let init = client.initialize(&dir, None);
    assert!(
        init["capabilities"]["completionProvider"]["resolveProvider"].is_null(),
        "{init}"
    );
    client.wait_indexed();
    client.open(&uri, &text);
    let result = client.request("textDocument/completion", text_position(&uri, line, col));
    let port = item(&result, "controlPort");
    let docs = port["documentation"]["value"].as_str().unwrap_or_default();
    assert!(docs.contains("poglets control channel"), "{port}");
    client.shutdown_and_exit();
}

#[test]
fn lsp_pull_diagnostics_for_clients_that_pull() {
    let dir = TempDir::copy_of("poglets");
    let host = "hosts/neptune/configuration.nix";
    let module = "hosts/modules/servers/poglets.nix";
    let mut client = Client::spawn();
    let init = client.initialize_with(
        &dir,
        serde_json::json!({
            "window": { "workDoneProgress": true },
            "textDocument": { "diagnostic": { "dynamicRegistration": false } },
            "workspace": { "diagnostics": { "refreshSupport": true } }
        }),
    );
    let provider = &init["capabilities"]["diagnosticProvider"];
    assert_eq!(provider["interFileDependencies"], true, "{init}");
    assert_eq!(provider["workspaceDiagnostics"], false, "{init}");
    client.wait_indexed();
    let uri = dir.uri(host);
    let text = dir.read(host).replace("port = 8420", "port = \"8420\"");
    client.open(&uri, &text);
    let pull = |client: &mut Client, uri: &str| {
        let report = client.request(
            "textDocument/diagnostic",
            serde_json::json!({ "textDocument": { "uri": uri } }),
        );
        assert_eq!(report["kind"], "full", "{report}");
        report["items"].as_array().unwrap().clone()
    };
    let items = pull(&mut client, &uri);
    assert!(has_code(&items, "type-mismatch"), "{items:?}");
    let (line, col) = find(&text, "\"8420\"", 0);
    let mismatch = items.iter().find(|d| d["code"] == "type-mismatch").unwrap();
    assert_eq!(mismatch["range"], range((line, col), (line, col + 6)));

    // Making the option a string (in the open module) fixes the host: the
    // server asks the client to pull again, and the pull is clean.
    let module_uri = dir.uri(module);
    let module_text = dir.read(module);
    client.open(&module_uri, &module_text);
    client.server_requests.clear();
    let (line, col) = find(&module_text, "types.port;\n      default = 8000", 6);
    client.change(&module_uri, 2, range((line, col), (line, col + 4)), "str");
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !client
        .server_requests
        .iter()
        .any(|r| r["method"] == "workspace/diagnostic/refresh")
    {
        assert!(std::time::Instant::now() < deadline, "no refresh request");
        let _ = client.next(std::time::Instant::now() + std::time::Duration::from_millis(100));
    }
    let items = pull(&mut client, &uri);
    assert!(!has_code(&items, "type-mismatch"), "{items:?}");
    // Open documents are never pushed errors (the pull has them).
    assert!(
        !client.notifications.iter().any(|n| {
            n["method"] == "textDocument/publishDiagnostics"
                && n["params"]["uri"] == uri
                && !n["params"]["diagnostics"].as_array().unwrap().is_empty()
        }),
        "{:?}",
        client.notifications
    );
    client.shutdown_and_exit();
}

#[test]
fn lsp_workspace_symbols_rank_exact_and_prefix_first() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    client.initialize(&dir, None);
    client.wait_indexed();
    let result = client.request(
        "workspace/symbol",
        serde_json::json!({ "query": "poglets" }),
    );
    let names: Vec<&str> = result
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    // The package by its exact name, then what has a `poglets` segment.
    assert_eq!(names[0], "pkgs.poglets", "{names:?}");
    assert_eq!(result[0]["kind"], 4, "package: {result}");
    let first_other = names
        .iter()
        .position(|name| !name.split(['.', '/']).any(|s| s == "poglets"))
        .unwrap_or(names.len());
    assert!(
        names[..first_other].contains(&"services.poglets.port"),
        "{names:?}"
    );
    assert!(
        names[first_other..]
            .iter()
            .all(|name| !name.split(['.', '/']).any(|s| s == "poglets")),
        "{names:?}"
    );
    client.shutdown_and_exit();
}
