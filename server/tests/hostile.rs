//! Hostile inputs: each case runs the real binary (`check` or `lsp`) and
//! must end with a clear diagnostic or error response — no crash, no hang,
//! no lost edit. Every wait has a generous deadline (60 s): these are hang
//! detectors, not timing tests; a correct run takes seconds in a debug
//! build. Sizes that are slow to analyse in a debug build are smaller there
//! (see `scale`).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::lsp::{range, Client, TIMEOUT};
use common::TempDir;
use serde_json::{json, Value};

mod common;

/// `full` in a release build, `debug` in a debug build.
fn scale(full: usize, debug: usize) -> usize {
    if cfg!(debug_assertions) {
        debug
    } else {
        full
    }
}

/// Runs `flakelens ARGS`, killing it (and failing) at the deadline.
fn run(args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flakelens"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("flakelens runs");
    // Read the pipes on their own threads: a full pipe must not look like
    // a hang.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).ok();
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).ok();
        text
    });
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("hang: flakelens {args:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.code().unwrap_or(-1),
        out.join().unwrap(),
        err.join().unwrap(),
    )
}

fn check(dir: &TempDir) -> (i32, String) {
    let (code, stdout, stderr) = run(&["check", "--format", "json", dir.0.to_str().unwrap()]);
    assert!(
        code == 0 || code == 1,
        "check crashed or failed ({code}): {stdout}{stderr}"
    );
    (code, stdout)
}

/// The diagnostics of a `check --format json` report.
fn diagnostics(report: &str) -> Vec<Value> {
    let report: Value = serde_json::from_str(report).expect("check prints JSON");
    report["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn has(report: &str, code: &str, file_suffix: &str) -> bool {
    diagnostics(report).iter().any(|d| {
        d["code"] == code
            && d["file"]
                .as_str()
                .or_else(|| d["path"].as_str())
                .is_some_and(|f| f.ends_with(file_suffix))
    })
}

#[test]
fn huge_files_are_skipped_or_analysed_without_hanging() {
    let dir = TempDir::new("hostile-huge");
    // Over the 20 MiB limit: skipped with a diagnostic, never read whole.
    let over = "{ a = 1; }\n".repeat(50 * 1024 * 1024 / 11 + 1);
    dir.write("over.nix", &over);
    // Under the limit: parsed and analysed.
    let under = common::lsp::big_attrset(scale(19_000_000, 4_000_000));
    dir.write("under.nix", &under);
    let (_, report) = check(&dir);
    assert!(has(&report, "unreadable-file", "over.nix"), "{report}");
    assert!(
        diagnostics(&report).iter().any(|d| d["message"]
            .as_str()
            .unwrap_or("")
            .contains("larger than 20 MiB")),
        "{report}"
    );
    assert!(!has(&report, "unreadable-file", "under.nix"), "{report}");
}

fn deep_nesting_cases(depth: usize) -> Vec<(&'static str, String)> {
    vec![
        (
            "paren.nix",
            format!("{}1{}", "(".repeat(depth), ")".repeat(depth)),
        ),
        (
            "list.nix",
            format!("{}1{}", "[".repeat(depth), "]".repeat(depth)),
        ),
        (
            "set.nix",
            format!("{}1{}", "{ a = ".repeat(depth), "; }".repeat(depth)),
        ),
        (
            "let.nix",
            format!("{}1{}", "let a = ".repeat(depth), "; in a".repeat(depth)),
        ),
        (
            "interpolation.nix",
            format!("{}x{}", "\"${".repeat(depth), "}\"".repeat(depth)),
        ),
        // Unclosed, too.
        ("open.nix", "{ a = [ ( ".repeat(depth)),
    ]
}

#[test]
fn deep_nesting_is_a_syntax_error_not_a_stack_overflow() {
    let dir = TempDir::new("hostile-deep");
    for (name, text) in deep_nesting_cases(100_000) {
        dir.write(name, text);
    }
    let (code, report) = check(&dir);
    assert_eq!(code, 1, "{report}");
    for (name, _) in deep_nesting_cases(1) {
        assert!(has(&report, "syntax-error", name), "{name}: {report}");
    }

    // The same texts opened in the server, with requests on them.
    let mut server = Client::spawn();
    server.initialize_loaded(&dir);
    for (name, text) in deep_nesting_cases(100_000) {
        let uri = dir.uri(name);
        server.open(&uri, &text);
        for (method, params) in [
            (
                "textDocument/documentSymbol",
                json!({ "textDocument": { "uri": uri } }),
            ),
            (
                "textDocument/hover",
                json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 50_000 } }),
            ),
            (
                "textDocument/completion",
                json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 50_000 } }),
            ),
            (
                "textDocument/definition",
                json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 3 } }),
            ),
        ] {
            let response = server.call(method, params);
            assert!(
                response.get("result").is_some(),
                "{name} {method}: {response}"
            );
        }
        server.diagnostics(&uri, "syntax errors", |d| {
            d.iter().any(|d| d["code"] == "syntax-error")
        });
    }
    server.shutdown_and_exit();
}

#[test]
fn binary_and_non_utf8_files_are_reported() {
    let dir = TempDir::new("hostile-bytes");
    dir.write("flake.nix", "{ outputs = _: { }; }\n");
    dir.write(
        "binary.nix",
        b"\x7fELF\x02\x01\x01\0\0\0\0\0garbage\0\xff\xfe",
    );
    dir.write("latin1.nix", b"{ name = \"caf\xe9\"; }\n");
    dir.write("bom.nix", b"\xef\xbb\xbf{ a = 1; }\n");
    let (_, report) = check(&dir);
    assert!(has(&report, "unreadable-file", "binary.nix"), "{report}");
    assert!(has(&report, "unreadable-file", "latin1.nix"), "{report}");
}

#[cfg(unix)]
#[test]
fn unreadable_entries_and_symlinks_neither_crash_nor_hang() {
    use std::os::unix::fs::{symlink, PermissionsExt};

    let dir = TempDir::new("hostile-unreadable");
    dir.write("flake.nix", "{ outputs = _: { }; }\n");
    dir.write("secret.nix", "{ }\n");
    dir.write("locked/inner.nix", "{ }\n");
    symlink("/", dir.0.join("slash")).unwrap();
    symlink("..", dir.0.join("parent")).unwrap();
    symlink(".", dir.0.join("loop")).unwrap();
    symlink("missing.nix", dir.0.join("dangling.nix")).unwrap();
    // A FIFO is unreadable for everyone, root included: opening one for
    // reading would block forever if the loader tried.
    let fifo = dir.0.join("pipe.nix");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    std::fs::set_permissions(
        dir.0.join("secret.nix"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    std::fs::set_permissions(dir.0.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    // Tests run as root in CI, and mode 000 does not stop root: then the
    // file and directory are simply read, and only "no crash, no hang" is
    // checked for them; the FIFO is the unreadable file in every case.
    let root = unsafe { libc::geteuid() } == 0;

    let (_, report) = check(&dir);
    assert!(has(&report, "unreadable-file", "pipe.nix"), "{report}");
    assert!(has(&report, "unreadable-file", "dangling.nix"), "{report}");
    for link in ["slash", "parent", "loop"] {
        assert!(has(&report, "not-loaded", link), "{link}: {report}");
    }
    if !root {
        assert!(has(&report, "unreadable-file", "secret.nix"), "{report}");
        assert!(has(&report, "unreadable-file", "locked"), "{report}");
    }

    let mut server = Client::spawn();
    server.initialize_loaded(&dir);
    server.diagnostics(&dir.uri("pipe.nix"), "diagnostics of pipe.nix", |d| {
        d.iter().any(|d| d["code"] == "unreadable-file")
    });
    std::fs::set_permissions(dir.0.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    server.shutdown_and_exit();
}

#[test]
fn imports_outside_at_root_at_a_big_directory_and_at_itself() {
    let dir = TempDir::new("hostile-imports");
    // Creating the files dominates this case (minutes for 100,000 on a
    // loaded CI disk); the walk's own bound is tested with small limits in
    // load/tests.rs.
    let many = 20_000;
    for i in 0..many {
        dir.write(&format!("many/f{i}.nix"), "{ }\n");
    }
    dir.write(
        "configuration.nix",
        "{ ... }: {\n  imports = [\n    ../outside.nix\n    /.\n    /etc\n    \"/\"\n    ./many\n    ./configuration.nix\n    ./self.nix\n  ];\n}\n",
    );
    dir.write("self.nix", "{ imports = [ ./self.nix ]; }\n");
    let (_, report) = check(&dir);
    // Outside the workspace: unknown, never "missing".
    for outside in ["outside.nix", "/etc", "/"] {
        assert!(
            !diagnostics(&report)
                .iter()
                .any(|d| d["code"] == "missing-import"
                    && d["message"]
                        .as_str()
                        .unwrap_or("")
                        .contains(&format!(" {outside} "))),
            "{outside}: {report}"
        );
    }
    // A directory without default.nix is a true missing import.
    assert!(
        diagnostics(&report)
            .iter()
            .any(|d| d["code"] == "missing-import"
                && d["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("many/default.nix")),
        "{report}"
    );
}

#[test]
fn ten_thousand_hosts() {
    let dir = TempDir::new("hostile-hosts");
    let hosts = scale(10_000, 1_000);
    let mut flake = String::from(
        "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs\";\n  outputs = { nixpkgs, ... }: {\n    nixosConfigurations = {\n",
    );
    for i in 0..hosts {
        flake.push_str(&format!(
            "      h{i} = nixpkgs.lib.nixosSystem {{ modules = [ ./common.nix {{ networking.hostName = \"h{i}\"; services.demo.port = {}; }} ]; }};\n",
            1000 + i % 60000
        ));
    }
    flake.push_str("    };\n  };\n}\n");
    dir.write("flake.nix", flake);
    dir.write(
        "common.nix",
        "{ lib, ... }: { options.services.demo.port = lib.mkOption { type = lib.types.port; }; }\n",
    );
    let (code, report) = check(&dir);
    assert_eq!(code, 0, "{report}");
    let (code, stdout, _) = run(&["hosts", "--json", dir.0.to_str().unwrap()]);
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&stdout).unwrap();
    let count = listed["hosts"]
        .as_array()
        .or_else(|| listed.as_array())
        .map_or(0, Vec::len);
    assert_eq!(count, hosts, "{}", &stdout[..stdout.len().min(300)]);
}

#[test]
fn positions_past_the_end_and_inside_surrogate_pairs() {
    let dir = TempDir::new("hostile-positions");
    let text = "{ a = \"😀😀\"; b = 1; }\n";
    dir.write("file.nix", text);
    let mut server = Client::spawn();
    server.initialize_loaded(&dir);
    let uri = dir.uri("file.nix");
    server.open(&uri, text);
    // Line past the end, column past the end of a line, inside a pair.
    for (line, character) in [(0, 9), (0, 10_000), (1, 0), (99, 0), (u32::MAX, u32::MAX)] {
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
            "textDocument/references",
        ] {
            let mut params = json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } });
            if method == "textDocument/references" {
                params["context"] = json!({ "includeDeclaration": true });
            }
            let response = server.call(method, params);
            assert!(
                response.get("result").is_some(),
                "{method} {line}:{character}: {response}"
            );
        }
    }
    // An edit with a range past the end is refused, the next one applies.
    server.change(&uri, 2, range((50, 0), (60, 0)), "broken");
    server.change(&uri, 3, range((0, 2), (0, 3)), "renamed");
    let outline = server.call(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(outline["result"][0]["name"], "renamed", "{outline}");
    server.shutdown_and_exit();
}

#[test]
fn malformed_json_rpc_gets_errors_and_the_server_keeps_serving() {
    let dir = TempDir::new("hostile-jsonrpc");
    dir.write("a.nix", "{ a = 1; }\n");
    let mut server = Client::spawn();
    server.initialize_loaded(&dir);
    // Each malformed message gets a JSON-RPC error with a null id, and
    // the next request is still answered.
    let alive = |server: &mut Client, what: &str| {
        let response = server.call("workspace/symbol", json!({ "query": "" }));
        assert!(response.get("result").is_some(), "after {what}: {response}");
    };
    let refused = |server: &mut Client, what: &str, code: i64| {
        let error = server.wait_for(&format!("the error for {what}"), |m| {
            m.get("id") == Some(&Value::Null) && m.get("error").is_some()
        });
        // Parse error or invalid request (two at once share the null id,
        // and tower-lsp refuses the second as invalid).
        let got = error["error"]["code"].as_i64();
        assert!(got == Some(code) || got == Some(-32600), "{what}: {error}");
    };
    // Not a number.
    server.send_raw(b"Content-Length: lots\r\n\r\n");
    refused(&mut server, "a bad Content-Length", -32700);
    alive(&mut server, "a bad Content-Length");
    // Invalid UTF-8 in the body.
    server.send_raw(b"Content-Length: 11\r\n\r\n{\"a\":\"\xff\xfe\"}\n");
    refused(&mut server, "invalid UTF-8", -32700);
    alive(&mut server, "invalid UTF-8");
    // Not JSON.
    server.send_raw(b"Content-Length: 9\r\n\r\nnot json!");
    refused(&mut server, "a body that is not JSON", -32700);
    alive(&mut server, "a body that is not JSON");
    // JSON, but not JSON-RPC.
    server.send(json!({ "hello": "world" }));
    refused(&mut server, "a message that is not JSON-RPC", -32600);
    // A batch (JSON-RPC 2.0 allows it; LSP does not use it).
    let batch = br#"[{"jsonrpc":"2.0","id":900,"method":"workspace/symbol","params":{"query":""}},{"jsonrpc":"2.0","method":"initialized","params":{}}]"#;
    server.send_raw(format!("Content-Length: {}\r\n\r\n", batch.len()).as_bytes());
    server.send_raw(batch);
    // Each message of the batch is answered on its own.
    let answer = server.response(900);
    assert!(answer.get("result").is_some(), "{answer}");
    alive(&mut server, "a batch array");
    // Unknown method, missing params, wrong types.
    for message in [
        json!({ "jsonrpc": "2.0", "id": 901, "method": "flakelens/unknown" }),
        json!({ "jsonrpc": "2.0", "id": 902, "method": "textDocument/hover" }),
        json!({ "jsonrpc": "2.0", "id": 903, "method": "textDocument/hover", "params": { "textDocument": 5 } }),
    ] {
        server.send(message.clone());
        let id = message["id"].as_i64().unwrap();
        let response = server.response(id);
        assert!(response.get("error").is_some(), "{response}");
    }
    // didChange for a document never opened: ignored.
    server.change(&dir.uri("never.nix"), 2, range((0, 0), (0, 0)), "x");
    alive(&mut server, "a change to a document never opened");
    // Truncated body at the end of input: the server exits, it does not hang.
    server.send_raw(b"Content-Length: 100\r\n\r\n{\"jsonrpc\":");
    server.close_stdin();
    common::lsp::wait_exit(&mut server.child, TIMEOUT).expect("hang after a truncated body");
}

#[test]
fn requests_after_shutdown_are_refused() {
    let dir = TempDir::new("hostile-shutdown");
    dir.write("a.nix", "{ a = 1; }\n");
    let mut server = Client::spawn();
    server.initialize_loaded(&dir);
    let response = server.call("shutdown", Value::Null);
    assert!(response.get("error").is_none(), "{response}");
    let response = server.call("workspace/symbol", json!({ "query": "" }));
    assert_eq!(response["error"]["code"], -32600, "{response}");
    server.notify("exit", Value::Null);
    server.close_stdin();
    let status = common::lsp::wait_exit(&mut server.child, TIMEOUT).expect("hang after exit");
    assert!(status.success(), "{status}");
}

#[test]
fn a_burst_of_a_thousand_changes_loses_no_edit() {
    let dir = TempDir::new("hostile-burst");
    let text = "{ a = 1; }\n";
    dir.write("a.nix", text);
    let mut server = Client::spawn();
    server.initialize_loaded(&dir);
    let uri = dir.uri("a.nix");
    server.open(&uri, text);
    let mut ids = Vec::new();
    for i in 0..1000u32 {
        // Each change types one more character of the key.
        server.change(&uri, i as i32 + 2, range((0, 3 + i), (0, 3 + i)), "x");
        if i % 50 == 0 {
            ids.push(server.start(
                "textDocument/hover",
                json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 2 } }),
            ));
            ids.push(server.start(
                "textDocument/documentSymbol",
                json!({ "textDocument": { "uri": uri } }),
            ));
        }
    }
    for id in ids {
        let response = server.response(id);
        // A request overtaken by an edit may answer ContentModified.
        let ok = response.get("result").is_some() || response["error"]["code"] == -32801;
        assert!(ok, "{response}");
    }
    let outline = server.call(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(
        outline["result"][0]["name"],
        format!("a{}", "x".repeat(1000)),
        "{outline}"
    );
    server.shutdown_and_exit();
}
