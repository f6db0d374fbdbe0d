//! Editor settings in the language server: `initializationOptions` and
//! `workspace/didChangeConfiguration` take the keys of `flakelens.toml`,
//! and the file wins over them key by key.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;

use common::TempDir;

const TIMEOUT: Duration = Duration::from_secs(30);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
}

impl Client {
    fn spawn() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flakelens"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn flakelens lsp");
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("Content-Length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let Ok(message) = serde_json::from_slice::<Value>(&body) else {
                    return;
                };
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            messages: rx,
        }
    }

    fn send(&mut self, message: Value) {
        let body = serde_json::to_vec(&message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Waits for a message matching `predicate`, answering server requests
    /// (progress creation, registrations) with null on the way.
    fn wait_for(&mut self, what: &str, predicate: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_else(|| panic!("timed out waiting for {what}"));
            let message = self
                .messages
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
            if message.get("method").is_some() && message.get("id").is_some() {
                let id = message["id"].clone();
                self.send(json!({ "jsonrpc": "2.0", "id": id, "result": null }));
                continue;
            }
            if predicate(&message) {
                return message;
            }
        }
    }

    /// Waits until `uri` has a type-mismatch diagnostic of `severity`.
    fn type_mismatch_severity(&mut self, uri: &str, severity: u64, what: &str) {
        self.wait_for(what, |message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
                && message["params"]["diagnostics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["code"] == "type-mismatch" && d["severity"] == severity)
        });
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ERROR: u64 = 1;
const WARNING: u64 = 2;

fn settings(level: &str) -> Value {
    json!({ "flakelens": { "diagnostics": { "type-mismatch": level } } })
}

#[test]
fn editor_settings_apply_and_flakelens_toml_wins() {
    let dir = TempDir::copy_of("poglets");
    let host = "hosts/neptune/configuration.nix";
    dir.edit(host, "port = 8420;", "port = \"8420\";");
    let uri = dir.uri(host);
    let mut client = Client::spawn();
    client.send(json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "processId": null,
            "rootUri": format!("file://{}", dir.0.display()),
            "capabilities": {
                "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } }
            },
            "initializationOptions": settings("warning"),
        },
    }));
    client.wait_for("initialize response", |m| m["id"] == 1);
    client.notify("initialized", json!({}));
    // initializationOptions: the error becomes a warning.
    client.type_mismatch_severity(&uri, WARNING, "warning from initializationOptions");

    // didChangeConfiguration: back to an error.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": settings("error") }),
    );
    client.type_mismatch_severity(&uri, ERROR, "error from didChangeConfiguration");

    // flakelens.toml says warning: it wins over the editor's error.
    std::fs::write(
        dir.path("flakelens.toml"),
        "[diagnostics]\ntype-mismatch = \"warning\"\n",
    )
    .unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [ { "uri": dir.uri("flakelens.toml"), "type": 1 } ] }),
    );
    client.type_mismatch_severity(&uri, WARNING, "warning from flakelens.toml");

    // The editor changing the same key changes nothing now.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": settings("error") }),
    );
    // A key the file leaves unset still comes from the editor.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "flakelens": {
            "diagnostics": { "type-mismatch": "error" },
            "exclude": ["hosts/neptune/*"],
        } } }),
    );
    let saw_error = std::cell::Cell::new(false);
    client.wait_for("neptune excluded by editor settings", |message| {
        let published = message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["uri"] == uri;
        if published
            && message["params"]["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["code"] == "type-mismatch" && d["severity"] == ERROR)
        {
            saw_error.set(true);
        }
        published && message["params"]["diagnostics"] == json!([])
    });
    assert!(
        !saw_error.get(),
        "the editor's type-mismatch = error overrode flakelens.toml"
    );
}

#[test]
fn problems_in_editor_settings_are_logged() {
    let dir = TempDir::copy_of("poglets");
    let mut client = Client::spawn();
    client.send(json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "processId": null,
            "rootUri": format!("file://{}", dir.0.display()),
            "capabilities": {},
            "initializationOptions": { "colour": 1, "exclude": "x" },
        },
    }));
    client.wait_for("initialize response", |m| m["id"] == 1);
    client.notify("initialized", json!({}));
    let logged = client.wait_for("a log message about the settings", |m| {
        m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|text| text.starts_with("editor settings:"))
    });
    assert_eq!(
        logged["params"]["message"],
        "editor settings: unknown key `colour`; ignored"
    );
    let logged = client.wait_for("the second message", |m| m["method"] == "window/logMessage");
    assert_eq!(
        logged["params"]["message"],
        "editor settings: exclude must be an array of strings, found string `\"x\"`"
    );
}
