//! A guard in front of tower-lsp's message decoder (and the small pieces
//! of request hygiene that go with it: malformed-message errors, cancel on
//! drop). tower-lsp stops
//! reading for good at the first message it cannot decode (a bad
//! `Content-Length`, a body that is not UTF-8 or not JSON, a batch array),
//! so one malformed message ended the session. This reader passes
//! well-formed frames through untouched, splits a batch into its messages,
//! and replaces anything else by a `$/flakelens/malformed` request with a
//! `null` id, which the server answers with the JSON-RPC error (id `null`,
//! as the specification asks when the id cannot be known).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde_json::{json, Value};
use tokio::io::{AsyncRead, ReadBuf};

/// Params of the request that stands for a malformed message.
#[derive(serde::Deserialize)]
pub struct MalformedParams {
    reason: String,
}

impl MalformedParams {
    /// The JSON-RPC error for the message: parse error, or invalid request
    /// for JSON that is not JSON-RPC.
    pub fn error(self) -> tower_lsp::jsonrpc::Error {
        use tower_lsp::jsonrpc::{Error, ErrorCode};
        let invalid = self.reason.starts_with("not a JSON-RPC") || self.reason == "empty batch";
        Error {
            code: if invalid {
                ErrorCode::InvalidRequest
            } else {
                ErrorCode::ParseError
            },
            message: self.reason.into(),
            data: None,
        }
    }
}

/// Cancels a request's snapshot when the request is dropped (tower-lsp
/// drops it on `$/cancelRequest`), unless disarmed when it completes.
pub struct CancelOnDrop(Option<flakelens_ide::CancelHandle>);

impl CancelOnDrop {
    pub fn new(handle: flakelens_ide::CancelHandle) -> CancelOnDrop {
        CancelOnDrop(Some(handle))
    }

    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.cancel();
        }
    }
}

/// The method the replacement requests call.
pub const MALFORMED_METHOD: &str = "$/flakelens/malformed";

/// Headers longer than this are not headers.
const MAX_HEADER: usize = 8 * 1024;

pub struct Framing<R> {
    inner: R,
    /// Bytes read and not yet framed.
    input: Vec<u8>,
    /// Framed bytes ready for tower-lsp.
    output: VecDeque<u8>,
    /// Body bytes still to drop (a frame too large to hold).
    skip: usize,
    /// The frame at the start of `input` whose body is still arriving:
    /// (body start, body length). Its header is not read again per chunk.
    pending: Option<(usize, usize)>,
    eof: bool,
}

impl<R> Framing<R> {
    pub fn new(inner: R) -> Framing<R> {
        Framing {
            inner,
            input: Vec::new(),
            output: VecDeque::new(),
            skip: 0,
            pending: None,
            eof: false,
        }
    }

    fn emit(&mut self, message: &Value) {
        let body = message.to_string();
        self.output
            .extend(format!("Content-Length: {}\r\n\r\n", body.len()).bytes());
        self.output.extend(body.bytes());
    }

    fn malformed(&mut self, reason: String) {
        tracing::warn!("malformed message: {reason}");
        self.emit(&json!({
            "jsonrpc": "2.0",
            "id": null,
            "method": MALFORMED_METHOD,
            "params": { "reason": reason },
        }));
    }

    /// Frames what `input` holds, as far as it goes.
    fn frame(&mut self) {
        if let Some((body_start, length)) = self.pending {
            if self.input.len() < body_start + length {
                self.pending = Some((body_start, length));
                return;
            }
        }
        self.pending = None;
        loop {
            if self.skip > 0 {
                let dropped = self.skip.min(self.input.len());
                self.input.drain(..dropped);
                self.skip -= dropped;
                if self.skip > 0 {
                    return;
                }
            }
            // Resynchronise on the next header: whatever precedes it (the
            // body of a frame whose length was unreadable) is dropped.
            match header_start(&self.input) {
                Some(0) => {}
                Some(start) => {
                    let garbage: Vec<u8> = self.input.drain(..start).collect();
                    if !garbage.iter().all(u8::is_ascii_whitespace) {
                        self.malformed(format!(
                            "{} bytes outside any message; dropped",
                            garbage.len()
                        ));
                    }
                }
                None => {
                    if self.input.len() > MAX_HEADER {
                        let keep = self.input.len() - 32;
                        self.input.drain(..keep);
                        self.malformed("bytes outside any message; dropped".into());
                    }
                    return;
                }
            }
            let Some(header_end) = find(&self.input, b"\r\n\r\n") else {
                if self.input.len() > MAX_HEADER {
                    self.input.clear();
                    self.malformed("header too long or missing".into());
                }
                return;
            };
            let header = String::from_utf8_lossy(&self.input[..header_end]).into_owned();
            let length = header.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>())
            });
            let body_start = header_end + 4;
            let length = match length {
                Some(Ok(length)) => length,
                Some(Err(_)) | None => {
                    self.input.drain(..body_start);
                    self.malformed(format!(
                        "invalid or missing Content-Length in header {:?}",
                        header.chars().take(200).collect::<String>()
                    ));
                    continue;
                }
            };
            if length > super::MAX_MESSAGE_BYTES {
                self.input.drain(..body_start);
                self.skip = length;
                self.malformed(format!(
                    "message of {length} bytes is larger than the limit; dropped"
                ));
                continue;
            }
            if self.input.len() < body_start + length {
                self.pending = Some((body_start, length));
                return;
            }
            let body: Vec<u8> = self
                .input
                .drain(..body_start + length)
                .skip(body_start)
                .collect();
            self.body(&body);
        }
    }

    fn body(&mut self, body: &[u8]) {
        let text = match std::str::from_utf8(body) {
            Ok(text) => text,
            Err(error) => return self.malformed(format!("body is not valid UTF-8: {error}")),
        };
        // The common case, one well-formed message, passes through as it
        // came: no `Value` copies of a 2.5 MB `didOpen`.
        if !text.trim_start().starts_with('[')
            && (serde_json::from_str::<tower_lsp::jsonrpc::Request>(text).is_ok()
                || serde_json::from_str::<tower_lsp::jsonrpc::Response>(text).is_ok())
        {
            self.output
                .extend(format!("Content-Length: {}\r\n\r\n", body.len()).bytes());
            self.output.extend(body.iter().copied());
            return;
        }
        let value: Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(error) => return self.malformed(format!("body is not JSON: {error}")),
        };
        match value {
            Value::Array(items) if items.is_empty() => {
                self.malformed("empty batch".into());
            }
            // LSP does not use batches; answer each message on its own.
            Value::Array(items) => {
                for item in items {
                    self.message(item);
                }
            }
            value => self.message(value),
        }
    }

    fn message(&mut self, value: Value) {
        let decodes = serde_json::from_value::<tower_lsp::jsonrpc::Request>(value.clone()).is_ok()
            || serde_json::from_value::<tower_lsp::jsonrpc::Response>(value.clone()).is_ok();
        if decodes {
            self.emit(&value);
        } else {
            let shown: String = value.to_string().chars().take(200).collect();
            self.malformed(format!("not a JSON-RPC 2.0 message: {shown}"));
        }
    }
}

/// Where the next header starts: its first field is `Content-Length` or
/// `Content-Type` (any case).
fn header_start(input: &[u8]) -> Option<usize> {
    // Without lowering a copy of the input: this runs for every chunk read,
    // and a 2.5 MB `didOpen` arrives in 40 of them.
    let names = [&b"content-length"[..], &b"content-type"[..]];
    (0..input.len()).find(|&at| {
        names.iter().any(|name| {
            input
                .get(at..at + name.len())
                .is_some_and(|window| window.eq_ignore_ascii_case(name))
        })
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

impl<R: AsyncRead + Unpin> AsyncRead for Framing<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        loop {
            if !self.output.is_empty() {
                let n = buf.remaining().min(self.output.len());
                let bytes: Vec<u8> = self.output.drain(..n).collect();
                buf.put_slice(&bytes);
                return Poll::Ready(Ok(()));
            }
            if self.eof {
                // A frame cut short by the end of input is dropped.
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 64 * 1024];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut self.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) => {
                    if read.filled().is_empty() {
                        self.eof = true;
                        continue;
                    }
                    let filled = read.filled().to_vec();
                    self.input.extend_from_slice(&filled);
                    self.frame();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(input: &[u8]) -> Vec<Value> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut out = Vec::new();
        let mut reader = Framing::new(input);
        runtime.block_on(std::future::poll_fn(|cx| loop {
            let mut chunk = [0u8; 4096];
            let mut buf = ReadBuf::new(&mut chunk);
            match Pin::new(&mut reader).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(()),
                Poll::Ready(Ok(())) => out.extend_from_slice(buf.filled()),
                Poll::Ready(Err(error)) => panic!("{error}"),
                Poll::Pending => return Poll::Pending,
            }
        }));
        let mut messages = Vec::new();
        let mut rest = &out[..];
        while let Some(end) = find(rest, b"\r\n\r\n") {
            let header = std::str::from_utf8(&rest[..end]).unwrap();
            let length: usize = header["Content-Length: ".len()..].parse().unwrap();
            let body = &rest[end + 4..end + 4 + length];
            messages.push(serde_json::from_slice(body).unwrap());
            rest = &rest[end + 4 + length..];
        }
        assert!(rest.is_empty());
        messages
    }

    fn frame(body: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    #[test]
    fn well_formed_frames_pass_and_bad_ones_become_malformed_requests() {
        let good = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        let mut input = frame(good);
        input.extend(b"Content-Length: lots\r\n\r\n");
        input.extend(frame("not json"));
        input.extend(b"Content-Length: 4\r\n\r\n\"\xff\"\n");
        input.extend(frame(
            r#"[{"jsonrpc":"2.0","method":"initialized","params":{}},{"x":1}]"#,
        ));
        input.extend(frame(good));
        input.extend(b"Content-Length: 100\r\n\r\n{\"cut");
        let messages = framed(&input);
        let methods: Vec<&str> = messages
            .iter()
            .map(|m| m["method"].as_str().unwrap())
            .collect();
        assert_eq!(
            methods,
            vec![
                "shutdown",
                MALFORMED_METHOD,
                MALFORMED_METHOD,
                MALFORMED_METHOD,
                "initialized",
                MALFORMED_METHOD,
                "shutdown"
            ]
        );
        assert!(messages[1]["id"].is_null());
        assert!(messages[3]["params"]["reason"]
            .as_str()
            .unwrap()
            .contains("UTF-8"));
    }
}
