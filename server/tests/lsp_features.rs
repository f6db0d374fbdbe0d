//! End-to-end tests of the LSP features beyond definition/completion of
//! options: the Nix language (names in scope, builtins, lib), over stdio
//! against the real binary.

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
