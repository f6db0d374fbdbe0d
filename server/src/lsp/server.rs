//! The tower-lsp backend: session state, the service stack (`serve`), and
//! how a request reads a snapshot (`read`, `timed`). The handlers are in
//! `handlers.rs`; loading and document sync in `workspace.rs`;
//! diagnostics in `diagnostics.rs`; `initialize` in `capabilities.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use flakelens_ide::{Analysis, AnalysisHost};
use flakelens_syntax::PositionEncoding;
use tower_lsp::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp::{Client, LspService, Server};

use super::ext;

/// An open document: its version and text as the editor has it.
pub(super) struct Document {
    pub(super) version: i32,
    pub(super) text: String,
}

pub(super) struct State {
    pub(super) host: AnalysisHost,
    pub(super) documents: HashMap<String, Document>,
    pub(super) encoding: PositionEncoding,
    pub(super) root: Option<std::path::PathBuf>,
    /// Files that had diagnostics last time (to clear them).
    pub(super) published: std::collections::HashSet<String>,
    /// Bumped on every change; diagnostics computed for an older
    /// generation are not published.
    pub(super) generation: u64,
    /// The client supports `window/workDoneProgress/create`.
    pub(super) work_done_progress: bool,
    /// The client supports nested document symbols.
    pub(super) hierarchical_symbols: bool,
    /// The client resolves completion items' documentation on demand
    /// (`completionItem/resolve`): the list is sent without it.
    pub(super) resolve_documentation: bool,
    /// The client pulls diagnostics (`textDocument/diagnostic`): open
    /// documents get theirs by pull, the other files by push.
    pub(super) pull_diagnostics: bool,
    /// The client re-pulls on `workspace/diagnostic/refresh`.
    pub(super) diagnostic_refresh: bool,
    /// What the last pull of each open document answered (a change that
    /// makes one out of date asks the client to pull again).
    pub(super) pulled: HashMap<String, Vec<tower_lsp::lsp_types::Diagnostic>>,
    /// The client can watch files for us (`workspace/didChangeWatchedFiles`).
    pub(super) watch_files: bool,
    /// Editor settings (initializationOptions, didChangeConfiguration);
    /// `flakelens.toml` wins over them (crate::config).
    pub(super) editor_settings: Option<serde_json::Value>,
    /// Bumped when a workspace load starts: a load finishing after a newer
    /// one started is stale (older settings) and is not applied.
    pub(super) load_ticket: u64,
}

pub struct Backend {
    pub(super) client: Client,
    pub(super) state: Arc<Mutex<State>>,
    /// Set once the initial workspace load is done (or there is nothing to
    /// load). Requests wait for it, so that an early request does not
    /// answer from a half-known workspace.
    pub(super) ready: tokio::sync::watch::Sender<bool>,
    /// `capabilities.workspace.diagnostics.refreshSupport` as the client
    /// sent it: lsp-types 0.94 reads the key as `diagnostic`, so it is
    /// taken from the raw `initialize` params (see `NullParams`).
    pub(super) raw_diagnostic_refresh: Arc<std::sync::atomic::AtomicBool>,
}

/// Messages handled at once (requests waiting for analysis included).
const MAX_IN_FLIGHT: usize = 256;

/// Serves one session. Returns `false` when the client sent `exit`
/// without `shutdown` first (the process then exits with status 1).
pub async fn serve<I, O>(stdin: I, stdout: O) -> bool
where
    I: tokio::io::AsyncRead + Unpin,
    O: tokio::io::AsyncWrite,
{
    let raw_refresh = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (service, socket) = LspService::build(|client| Backend {
        client,
        raw_diagnostic_refresh: raw_refresh.clone(),
        ready: tokio::sync::watch::channel(false).0,
        state: Arc::new(Mutex::new(State {
            host: AnalysisHost::new(),
            documents: HashMap::new(),
            encoding: PositionEncoding::Utf16,
            root: None,
            published: Default::default(),
            generation: 0,
            work_done_progress: false,
            hierarchical_symbols: false,
            resolve_documentation: false,
            pull_diagnostics: false,
            diagnostic_refresh: false,
            pulled: HashMap::new(),
            watch_files: false,
            editor_settings: None,
            load_ticket: 0,
        })),
    })
    .custom_method(super::framing::MALFORMED_METHOD, Backend::malformed)
    .custom_method(ext::HOSTS_FOR_FILE, Backend::hosts_for_file)
    .finish();
    let shutdown = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let exit = Arc::new(tokio::sync::Notify::new());
    let service = NullParams {
        inner: service,
        shutdown: shutdown.clone(),
        exit: exit.clone(),
        raw_refresh,
    };
    // tower-lsp handles at most `concurrency_level` messages at once and
    // stops reading beyond that: with its default of 4, four slow requests
    // held up every `didChange` and `$/cancelRequest` behind them. Requests
    // wait on the blocking pool, so many in flight cost little.
    let server = Server::new(stdin, stdout, socket).concurrency_level(MAX_IN_FLIGHT);
    tokio::select! {
        _ = server.serve(service) => true,
        _ = exit.notified() => shutdown.load(std::sync::atomic::Ordering::SeqCst),
    }
}

/// Drops `"params": null` before tower-lsp sees it: Eglot sends it with
/// `shutdown` and `exit`, which tower-lsp would otherwise refuse. Reads the
/// one client capability lsp-types misnames (`raw_refresh`).
///
/// Also watches for `shutdown` and `exit`: tower-lsp only notices `exit`
/// when the next message arrives, so the server would linger.
struct NullParams<S> {
    pub(super) inner: S,
    pub(super) shutdown: Arc<std::sync::atomic::AtomicBool>,
    pub(super) exit: Arc<tokio::sync::Notify>,
    pub(super) raw_refresh: Arc<std::sync::atomic::AtomicBool>,
}

impl<S> tower_service::Service<tower_lsp::jsonrpc::Request> for NullParams<S>
where
    S: tower_service::Service<tower_lsp::jsonrpc::Request>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::result::Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: tower_lsp::jsonrpc::Request) -> Self::Future {
        let request = if request.params() == Some(&serde_json::Value::Null) {
            let (method, id, _) = request.into_parts();
            let builder = tower_lsp::jsonrpc::Request::build(method);
            match id {
                Some(id) => builder.id(id).finish(),
                None => builder.finish(),
            }
        } else {
            request
        };
        match request.method() {
            "shutdown" => self
                .shutdown
                .store(true, std::sync::atomic::Ordering::SeqCst),
            "exit" => self.exit.notify_one(),
            "initialize" => {
                let refresh = request
                    .params()
                    .and_then(|p| p.pointer("/capabilities/workspace/diagnostics/refreshSupport"))
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false);
                self.raw_refresh
                    .store(refresh, std::sync::atomic::Ordering::SeqCst);
            }
            _ => {}
        }
        self.inner.call(request)
    }
}

pub(super) fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(super) fn content_modified() -> Error {
    Error {
        code: ErrorCode::ServerError(-32801),
        message: "content modified".into(),
        data: None,
    }
}

impl Backend {
    /// Answers a message the framing guard could not pass on.
    pub(super) async fn malformed(&self, params: super::framing::MalformedParams) -> Result<()> {
        Err(params.error())
    }

    /// Runs a read on a snapshot, off the async runtime. Panics become an
    /// error response; cancellation becomes ContentModified.
    pub(super) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Analysis, PositionEncoding) -> flakelens_ide::Cancellable<T> + Send + 'static,
    ) -> Result<T> {
        let (analysis, encoding) = {
            let state = lock(&self.state);
            (state.host.analysis(), state.encoding)
        };
        // Dropped when the request is cancelled (`$/cancelRequest` drops
        // this future): the analysis unwinds at its next check, freeing
        // its thread and its snapshot (a write waits for every snapshot).
        let cancel = super::framing::CancelOnDrop::new(analysis.cancel_handle());
        let result = tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&analysis, encoding)))
        })
        .await;
        cancel.disarm();
        match result {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(_cancelled))) => Err(content_modified()),
            Ok(Err(panic)) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                tracing::error!("request panicked: {message}");
                Err(Error::internal_error())
            }
            Err(error) => {
                tracing::error!("request task failed: {error}");
                Err(Error::internal_error())
            }
        }
    }

    /// `read` for a request about `document`, logging how long it took (at
    /// debug level). A read cancelled by a change elsewhere (another
    /// file, the workspace load) is retried on a fresh snapshot; only a
    /// change of the document itself answers ContentModified.
    pub(super) async fn timed<T: Send + 'static>(
        &self,
        name: &'static str,
        document: Option<&str>,
        f: impl Fn(&Analysis, PositionEncoding) -> flakelens_ide::Cancellable<T>
            + Clone
            + Send
            + 'static,
    ) -> Result<T> {
        let start = std::time::Instant::now();
        let mut ready = self.ready.subscribe();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            ready.wait_for(|ready| *ready),
        )
        .await;
        let version = |backend: &Backend| {
            document.map(|path| lock(&backend.state).documents.get(path).map(|d| d.version))
        };
        let before = version(self);
        let mut attempts = 0;
        let result = loop {
            let result = self.read(f.clone()).await;
            match &result {
                Err(error) if error.code == ErrorCode::ServerError(-32801) && attempts < 5 => {
                    if version(self) != before {
                        break result;
                    }
                    attempts += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                _ => break result,
            }
        };
        tracing::debug!("{name} took {:?}", start.elapsed());
        result
    }
}

/// A request the server declines with a reason the client shows
/// (LSP `RequestFailed`).
pub(super) fn refused(message: String) -> tower_lsp::jsonrpc::Error {
    tower_lsp::jsonrpc::Error {
        code: tower_lsp::jsonrpc::ErrorCode::ServerError(-32803),
        message: message.into(),
        data: None,
    }
}
