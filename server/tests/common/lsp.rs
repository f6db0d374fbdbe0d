//! The one JSON-RPC client of the binary's LSP tests (end-to-end, features,
//! settings, concurrency, hostile input): the real binary over stdio
//! (Content-Length framing, or raw bytes for broken input). Every wait has
//! a deadline so a hang fails the test instead of blocking it (these are
//! hang detectors, not timing tests).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::TempDir;

/// Generous: a correct answer takes milliseconds to a few seconds in a
/// debug build; only a hang gets near this.
pub const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Client {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub messages: Receiver<Value>,
    pub next_id: i64,
    /// Notifications received while waiting for something else.
    pub notifications: Vec<Value>,
    /// Requests from the server (each answered with `null`).
    pub server_requests: Vec<Value>,
}

impl Client {
    pub fn spawn() -> Client {
        Client::spawn_with(&["lsp"])
    }

    pub fn spawn_with(args: &[&str]) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flakelens"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("FLAKELENS_E2E_STDERR").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("spawn flakelens lsp");
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("Content-Length:") {
                        length = value.trim().parse::<usize>().ok();
                    }
                }
                let Some(length) = length else { return };
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let message: Value =
                    serde_json::from_slice(&body).expect("server sent invalid JSON");
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            messages: rx,
            next_id: 1,
            notifications: Vec::new(),
            server_requests: Vec::new(),
        }
    }

    /// Bytes as they are (broken framing, truncated bodies).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        // The server may have closed its input on purpose; the next wait
        // says what happened.
        let _ = stdin.write_all(bytes).and_then(|_| stdin.flush());
    }

    pub fn send(&mut self, message: Value) {
        let body = serde_json::to_vec(&message).unwrap();
        let mut bytes = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        bytes.extend(body);
        self.send_raw(&bytes);
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request without waiting; returns its id.
    pub fn start(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// The next message, answering server-to-client requests on the way.
    pub fn next(&mut self, deadline: Instant) -> Option<Value> {
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let message = match self.messages.recv_timeout(left) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => panic!("server closed its output"),
            };
            if message.get("method").is_some() && message.get("id").is_some() {
                let id = message["id"].clone();
                self.send(json!({ "jsonrpc": "2.0", "id": id, "result": null }));
                self.server_requests.push(message);
                continue;
            }
            return Some(message);
        }
    }

    /// The response to request `id` (the whole message: result or error).
    pub fn response(&mut self, id: i64) -> Value {
        // Responses may come in any order: keep the others for later.
        let answered = |m: &Value| m.get("id") == Some(&json!(id)) && m.get("method").is_none();
        if let Some(index) = self.notifications.iter().position(answered) {
            return self.notifications.remove(index);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self
                .next(deadline)
                .unwrap_or_else(|| panic!("no response to request {id} within {TIMEOUT:?}"));
            if answered(&message) {
                return message;
            }
            self.notifications.push(message);
        }
    }

    /// The whole response (result or error) to a request.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.start(method, params);
        self.response(id)
    }

    /// The result of a request, which must not fail.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.call(method, params);
        if let Some(error) = response.get("error") {
            panic!("{method} failed: {error}");
        }
        response["result"].clone()
    }

    /// Waits for a notification matching `predicate` (including ones
    /// already received).
    pub fn wait_for(&mut self, what: &str, mut predicate: impl FnMut(&Value) -> bool) -> Value {
        if let Some(index) = self.notifications.iter().position(&mut predicate) {
            return self.notifications.remove(index);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self
                .next(deadline)
                .unwrap_or_else(|| panic!("timed out waiting for {what}"));
            if predicate(&message) {
                return message;
            }
            // Responses too: a request may be answered while we wait.
            self.notifications.push(message);
        }
    }

    /// Waits for diagnostics of `uri` that satisfy `predicate`; earlier
    /// publications for the uri are dropped.
    pub fn diagnostics(
        &mut self,
        uri: &str,
        what: &str,
        mut predicate: impl FnMut(&[Value]) -> bool,
    ) -> Vec<Value> {
        self.notifications.retain(|n| {
            !(n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri)
                || predicate(n["params"]["diagnostics"].as_array().unwrap())
        });
        let message = self.wait_for(what, |message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
                && predicate(message["params"]["diagnostics"].as_array().unwrap())
        });
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }

    pub fn initialize(&mut self, root: &TempDir, encodings: Option<Vec<&str>>) -> Value {
        let mut general = json!({});
        if let Some(encodings) = encodings {
            general = json!({ "positionEncodings": encodings });
        }
        self.initialize_with(
            root,
            json!({
                "general": general,
                "window": { "workDoneProgress": true },
                "textDocument": { "documentSymbol": { "hierarchicalDocumentSymbolSupport": true } }
            }),
        )
    }

    /// `initialize` (then `initialized`) with these client capabilities.
    pub fn initialize_with(&mut self, root: &TempDir, capabilities: Value) -> Value {
        let result = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": format!("file://{}", root.0.display()),
                "capabilities": capabilities,
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    /// [`Client::initialize`] on a bare directory, then waits for the first
    /// load to finish (a request answers only after it).
    pub fn initialize_loaded(&mut self, root: &TempDir) {
        self.initialize(root, None);
        let probe = self.call("workspace/symbol", json!({ "query": "" }));
        assert!(probe.get("result").is_some(), "{probe}");
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "nix", "version": 1, "text": text } }),
        );
    }

    pub fn change(&mut self, uri: &str, version: i32, range: Value, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [ { "range": range, "text": text } ],
            }),
        );
    }

    /// Shuts down cleanly and waits for a successful exit.
    pub fn shutdown_and_exit(mut self) {
        self.request("shutdown", json!(null));
        self.notify("exit", json!(null));
        self.stdin = None;
        let status = wait_exit(&mut self.child, TIMEOUT).expect("hang: no exit after `exit`");
        assert!(status.success(), "{status}");
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn wait_exit(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

pub fn position(line: u32, character: u32) -> Value {
    json!({ "line": line, "character": character })
}

pub fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({ "start": position(start.0, start.1), "end": position(end.0, end.1) })
}

pub fn text_position(uri: &str, line: u32, character: u32) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position(line, character) })
}

/// (line, UTF-16 column) of the first occurrence of `needle` (+ `delta` characters).
pub fn find(text: &str, needle: &str, delta: usize) -> (u32, u32) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].encode_utf16().count() + delta;
    (line, column as u32)
}

pub fn has_code(diagnostics: &[Value], code: &str) -> bool {
    diagnostics.iter().any(|d| d["code"] == code)
}

/// Median of a few timings of the same request.
pub fn timed(client: &mut Client, method: &str, params: Value, runs: usize) -> (Value, Duration) {
    let mut times = Vec::new();
    let mut result = Value::Null;
    for _ in 0..runs {
        let start = Instant::now();
        result = client.request(method, params.clone());
        times.push(start.elapsed());
    }
    times.sort();
    (result, times[times.len() / 2])
}

impl Client {
    /// Waits for the end of the initial indexing (`$/progress` end).
    pub fn wait_indexed(&mut self) {
        self.wait_for("$/progress end", |m| {
            m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
        });
    }

    /// The code actions at the first diagnostic with `code` in `uri`.
    pub fn actions_for(&mut self, uri: &str, code: &str) -> Value {
        let diagnostics = self.diagnostics(uri, code, |d| has_code(d, code));
        let diagnostic = diagnostics
            .iter()
            .find(|d| d["code"] == code)
            .unwrap()
            .clone();
        self.request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri },
                "range": diagnostic["range"],
                "context": { "diagnostics": [diagnostic] },
            }),
        )
    }
}

/// An all-packages-style attrset of about `bytes` bytes (one entry a line).
pub fn big_attrset(bytes: usize) -> String {
    let mut text = String::from("{ pkgs, ... }:\nwith pkgs;\n{\n");
    let mut i = 0;
    while text.len() < bytes {
        text.push_str(&format!(
            "  pkg{i} = callPackage ../pkgs/pkg{i} {{ inherit (darwin) Security; }};\n"
        ));
        i += 1;
    }
    text.push_str("}\n");
    text
}
