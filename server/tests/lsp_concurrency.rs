//! Over stdio: a slow request does not hold up other requests or edits,
//! and a cancelled request answers RequestCancelled.

use common::lsp::{range, Client};
use common::TempDir;
use serde_json::json;

mod common;

/// Large enough that an outline takes far longer than a hover on a small
/// file (seconds vs milliseconds in a debug build).
const BIG: usize = 600_000;

#[test]
fn slow_document_symbol_does_not_delay_hover_or_lose_an_edit() {
    let dir = TempDir::new("concurrency");
    let big = big_attrset_file(&dir);
    dir.write("small.nix", "{ x = 1; }\n");
    let mut server = Client::spawn();
    server.initialize_loaded(&dir);
    let (big_uri, small_uri) = (dir.uri("big.nix"), dir.uri("small.nix"));
    server.open(&big_uri, &big);
    server.open(&small_uri, "{ x = 1; }\n");

    // Slow requests (more than tower-lsp's default of 4 in flight), then
    // an edit of another file and a hover.
    let symbols: Vec<i64> = (0..6)
        .map(|_| {
            server.start(
                "textDocument/documentSymbol",
                json!({ "textDocument": { "uri": big_uri } }),
            )
        })
        .collect();
    server.change(&small_uri, 2, range((0, 2), (0, 3)), "renamed");
    let hover = server.start(
        "textDocument/hover",
        json!({ "textDocument": { "uri": small_uri }, "position": { "line": 0, "character": 3 } }),
    );
    // Responses in arrival order.
    let first = server.wait_for("a response", |m| m.get("id").is_some());
    assert_eq!(
        first["id"], hover,
        "the hover waited for an outline (request {})",
        first["id"]
    );
    assert!(first.get("error").is_none(), "{first}");
    for id in symbols {
        let outline = server.response(id);
        assert!(
            outline["result"]
                .as_array()
                .is_some_and(|s| s.len() > 5_000),
            "{}",
            &outline.to_string()[..200.min(outline.to_string().len())]
        );
    }

    // The edit was applied: the small file's outline has the new name.
    let small = server.call(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": small_uri } }),
    );
    assert_eq!(small["result"][0]["name"], "renamed", "{small}");
    server.shutdown_and_exit();
}

#[test]
fn cancelled_request_answers_request_cancelled_and_frees_the_server() {
    let dir = TempDir::new("cancel");
    let big = big_attrset_file(&dir);
    let mut server = Client::spawn();
    server.initialize_loaded(&dir);
    let uri = dir.uri("big.nix");
    server.open(&uri, &big);
    let symbols = server.start(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    server.notify("$/cancelRequest", json!({ "id": symbols }));
    let response = server.response(symbols);
    // Cancelled before it finished: RequestCancelled (-32800). A machine
    // fast enough to finish first answers a result; both are correct.
    if let Some(error) = response.get("error") {
        assert_eq!(error["code"], -32800, "{response}");
    }
    // Edits and requests still go through.
    server.change(&uri, 2, range((3, 2), (3, 6)), "first");
    let outline = server.call(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(
        outline["result"][0]["name"], "first",
        "{}",
        outline["result"][0]
    );
    server.shutdown_and_exit();
}

fn big_attrset_file(dir: &TempDir) -> String {
    let text = common::lsp::big_attrset(BIG);
    dir.write("big.nix", &text);
    text
}
