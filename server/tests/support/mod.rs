//! A raw stdio client for `flakelens lsp`, for tests that need to send
//! broken bytes as well as well-formed messages. Every wait has a deadline:
//! a hang fails the test (these are hang detectors, not timing tests).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Generous: a correct answer takes milliseconds to a few seconds in a
/// debug build; only a hang gets near this.
pub const DEADLINE: Duration = Duration::from_secs(60);

pub struct Server {
    pub child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    next_id: i64,
    pending: Vec<Value>,
}

impl Server {
    pub fn spawn() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flakelens"))
            .arg("lsp")
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
        Server {
            stdin: child.stdin.take(),
            child,
            messages: rx,
            next_id: 1,
            pending: Vec::new(),
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        // The server may have closed its input on purpose; the next wait
        // says what happened.
        let _ = stdin.write_all(bytes).and_then(|_| stdin.flush());
    }

    pub fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).unwrap();
        let mut bytes = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        bytes.extend(body);
        self.send_raw(&bytes);
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request; returns its id.
    pub fn start(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// The next message from the server (server-to-client requests are
    /// answered with `null` on the way), or `None` at the deadline.
    pub fn next(&mut self, deadline: Instant) -> Option<Value> {
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let message = match self.messages.recv_timeout(left) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "server closed its output (status {:?})",
                        self.child.try_wait()
                    )
                }
            };
            if message.get("method").is_some() && message.get("id").is_some() {
                let id = message["id"].clone();
                self.send(&json!({ "jsonrpc": "2.0", "id": id, "result": null }));
                continue;
            }
            return Some(message);
        }
    }

    /// Waits for a message matching `predicate` (also among those kept).
    pub fn wait_for(&mut self, what: &str, mut predicate: impl FnMut(&Value) -> bool) -> Value {
        if let Some(index) = self.pending.iter().position(&mut predicate) {
            return self.pending.remove(index);
        }
        let deadline = Instant::now() + DEADLINE;
        loop {
            let message = self
                .next(deadline)
                .unwrap_or_else(|| panic!("hang: no {what} within {DEADLINE:?}"));
            if predicate(&message) {
                return message;
            }
            self.pending.push(message);
        }
    }

    /// The response (result or error) to request `id`.
    pub fn response(&mut self, id: i64) -> Value {
        self.wait_for(&format!("response to request {id}"), |m| {
            m.get("id") == Some(&json!(id)) && m.get("method").is_none()
        })
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.start(method, params);
        self.response(id)
    }

    /// `initialize` + `initialized` on `root`, waiting for the first load
    /// to finish (a request answers only after it).
    pub fn initialize(&mut self, root: &std::path::Path) {
        let response = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": format!("file://{}", root.display()),
                "capabilities": {
                    "textDocument": { "documentSymbol": { "hierarchicalDocumentSymbolSupport": true } }
                },
            }),
        );
        assert!(response.get("result").is_some(), "{response}");
        self.notify("initialized", json!({}));
        let probe = self.request("workspace/symbol", json!({ "query": "" }));
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

    /// Diagnostics published for `uri` satisfying `predicate`.
    pub fn diagnostics(
        &mut self,
        uri: &str,
        mut predicate: impl FnMut(&[Value]) -> bool,
    ) -> Vec<Value> {
        let message = self.wait_for(&format!("diagnostics for {uri}"), |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && predicate(m["params"]["diagnostics"].as_array().unwrap())
        });
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }

    /// Shuts down cleanly and waits for the process to exit.
    pub fn shutdown(mut self) {
        let response = self.request("shutdown", Value::Null);
        assert!(response.get("error").is_none(), "{response}");
        self.notify("exit", Value::Null);
        self.stdin = None;
        let status = wait_exit(&mut self.child, DEADLINE).expect("hang: no exit after `exit`");
        assert!(status.success(), "{status}");
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }
}

impl Drop for Server {
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

/// A scratch directory removed on drop.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("flakelens-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir.canonicalize().unwrap())
    }

    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> std::path::PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    pub fn uri(&self, relative: &str) -> String {
        format!("file://{}", self.0.join(relative).display())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
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
