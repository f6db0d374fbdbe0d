//! The tower-lsp backend.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use flakelens_ide::{Analysis, AnalysisHost, Severity};
use flakelens_syntax::PositionEncoding;
use tower_lsp::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, LanguageServer, LspService, Server};

use super::{convert, ext, features};

/// An open document: its version and text as the editor has it.
struct Document {
    version: i32,
    text: String,
}

struct State {
    host: AnalysisHost,
    documents: HashMap<String, Document>,
    encoding: PositionEncoding,
    root: Option<std::path::PathBuf>,
    /// Files that had diagnostics last time (to clear them).
    published: std::collections::HashSet<String>,
    /// Bumped on every change; diagnostics computed for an older
    /// generation are not published.
    generation: u64,
    /// The client supports `window/workDoneProgress/create`.
    work_done_progress: bool,
    /// The client supports nested document symbols.
    hierarchical_symbols: bool,
    /// The client can watch files for us (`workspace/didChangeWatchedFiles`).
    watch_files: bool,
    /// Editor settings (initializationOptions, didChangeConfiguration);
    /// `flakelens.toml` wins over them (crate::config).
    editor_settings: Option<serde_json::Value>,
    /// Bumped when a workspace load starts: a load finishing after a newer
    /// one started is stale (older settings) and is not applied.
    load_ticket: u64,
}

pub struct Backend {
    client: Client,
    state: Arc<Mutex<State>>,
    /// Set once the initial workspace load is done (or there is nothing to
    /// load). Requests wait for it, so that an early request does not
    /// answer from a half-known workspace.
    ready: tokio::sync::watch::Sender<bool>,
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
    let (service, socket) = LspService::build(|client| Backend {
        client,
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
/// `shutdown` and `exit`, which tower-lsp would otherwise refuse.
///
/// Also watches for `shutdown` and `exit`: tower-lsp only notices `exit`
/// when the next message arrives, so the server would linger.
struct NullParams<S> {
    inner: S,
    shutdown: Arc<std::sync::atomic::AtomicBool>,
    exit: Arc<tokio::sync::Notify>,
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
            _ => {}
        }
        self.inner.call(request)
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn content_modified() -> Error {
    Error {
        code: ErrorCode::ServerError(-32801),
        message: "content modified".into(),
        data: None,
    }
}

impl Backend {
    /// Answers a message the framing guard could not pass on.
    async fn malformed(&self, params: super::framing::MalformedParams) -> Result<()> {
        Err(params.error())
    }

    /// Runs a read on a snapshot, off the async runtime. Panics become an
    /// error response; cancellation becomes ContentModified.
    async fn read<T: Send + 'static>(
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

    /// Publishes diagnostics for every file that has (or had) some.
    ///
    /// Nothing is published before the initial load ends: a file opened
    /// earlier would be analysed without its imports (and against a root
    /// of `/`). The load publishes for every open file when it is done.
    async fn publish_all(&self) {
        if !*self.ready.borrow() {
            return;
        }
        let generation = lock(&self.state).generation;
        let result = self
            .read(move |analysis, encoding| {
                let all = analysis.workspace_diagnostics()?;
                let mut out = Vec::new();
                for (path, diagnostics) in all {
                    let Some(index) = analysis.line_index(&path)? else {
                        // Unreadable file: report at the start.
                        out.push((
                            path,
                            diagnostics
                                .iter()
                                .map(|d| to_lsp(analysis, d, None, encoding))
                                .collect(),
                        ));
                        continue;
                    };
                    let converted = diagnostics
                        .iter()
                        .map(|d| to_lsp(analysis, d, Some(&index), encoding))
                        .collect();
                    out.push((path, converted));
                }
                Ok(out)
            })
            .await;
        let Ok(per_file) = result else {
            return;
        };
        let (stale, versions) = {
            let mut state = lock(&self.state);
            if state.generation != generation {
                // A newer change will publish.
                return;
            }
            let now: std::collections::HashSet<String> = per_file
                .iter()
                .map(|(path, _): &(String, Vec<Diagnostic>)| path.clone())
                .collect();
            // Files that lost their diagnostics, and open documents without
            // any (clients like a publication after every change).
            let mut stale: Vec<String> = state.published.difference(&now).cloned().collect();
            for path in state.documents.keys() {
                if !now.contains(path) && !stale.contains(path) {
                    stale.push(path.clone());
                }
            }
            state.published = now;
            let versions: HashMap<String, i32> = state
                .documents
                .iter()
                .map(|(path, document)| (path.clone(), document.version))
                .collect();
            (stale, versions)
        };
        for path in stale {
            if let Some(uri) = convert::uri_of(&path) {
                self.client
                    .publish_diagnostics(uri, Vec::new(), versions.get(&path).copied())
                    .await;
            }
        }
        for (path, diagnostics) in per_file {
            if let Some(uri) = convert::uri_of(&path) {
                self.client
                    .publish_diagnostics(uri, diagnostics, versions.get(&path).copied())
                    .await;
            }
        }
    }

    /// Loads the workspace from disk, keeping open documents' texts.
    async fn load_workspace(&self) {
        let Some(root) = lock(&self.state).root.clone() else {
            self.ready.send_replace(true);
            return;
        };
        // Progress runs in its own task: a pending request to the client
        // must never be dropped (tower-lsp panics when the answer to a
        // dropped request arrives), and indexing must not wait for it.
        let supported = lock(&self.state).work_done_progress;
        let (done, progress_done) = tokio::sync::oneshot::channel::<()>();
        if supported {
            let client = self.client.clone();
            let message = root.display().to_string();
            tokio::spawn(async move {
                let token = NumberOrString::String("flakelens/index".into());
                let created = client
                    .send_request::<request::WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
                        token: token.clone(),
                    })
                    .await
                    .is_ok();
                if !created {
                    return;
                }
                client
                    .send_notification::<notification::Progress>(ProgressParams {
                        token: token.clone(),
                        value: ProgressParamsValue::WorkDone(WorkDoneProgress::Begin(
                            WorkDoneProgressBegin {
                                title: "flakelens: indexing".into(),
                                cancellable: Some(false),
                                message: Some(message),
                                percentage: None,
                            },
                        )),
                    })
                    .await;
                let _ = progress_done.await;
                client
                    .send_notification::<notification::Progress>(ProgressParams {
                        token,
                        value: ProgressParamsValue::WorkDone(WorkDoneProgress::End(
                            WorkDoneProgressEnd {
                                message: Some("done".into()),
                            },
                        )),
                    })
                    .await;
            });
        }
        let (editor, ticket) = {
            let mut state = lock(&self.state);
            state.load_ticket += 1;
            (state.editor_settings.clone(), state.load_ticket)
        };
        let loaded = tokio::task::spawn_blocking(move || {
            let root = crate::load::find_root(&root).unwrap_or(root);
            let (config, messages) = match &editor {
                Some(value) => crate::config::parse_editor(value, &crate::load::vfs_path(&root)),
                None => Default::default(),
            };
            (
                crate::load::load_workspace_with(&root, Some(&config)),
                messages,
            )
        })
        .await;
        let loaded = match loaded {
            Ok((loaded, messages)) => {
                for message in messages {
                    self.client.log_message(MessageType::WARNING, message).await;
                }
                Ok(loaded)
            }
            Err(error) => Err(error),
        };
        match loaded {
            Ok(Ok(_)) if lock(&self.state).load_ticket != ticket => {
                // A newer load (newer settings) is under way and applies.
            }
            Ok(Ok(workspace)) => {
                let mut state = lock(&self.state);
                let mut files = workspace.files;
                for (path, text) in files.iter_mut() {
                    if let Some(document) = state.documents.get(path) {
                        *text = document.text.clone();
                    }
                }
                let open: Vec<(String, String)> = state
                    .documents
                    .iter()
                    .filter(|(path, _)| !files.iter().any(|(p, _)| p == *path))
                    .map(|(path, document)| (path.clone(), document.text.clone()))
                    .collect();
                files.extend(open);
                state.generation += 1;
                state.host.load(
                    workspace.root,
                    files,
                    workspace.problems,
                    workspace.settings,
                );
            }
            Ok(Err(error)) => {
                self.client
                    .log_message(
                        MessageType::WARNING,
                        format!("flakelens: cannot load the workspace: {error}"),
                    )
                    .await;
            }
            Err(error) => tracing::error!("loading failed: {error}"),
        }
        self.ready.send_replace(true);
        let _ = done.send(());
        self.publish_all().await;
        self.load_upstream().await;
    }

    /// Finds and indexes nixpkgs/home-manager/nix-darwin (from the cache
    /// when valid), then republishes; says once why a pinned tree is absent.
    async fn load_upstream(&self) {
        let (root, explicit) = {
            let state = lock(&self.state);
            let paths = state.host.analysis().upstream_paths();
            (
                state.host.root(),
                crate::upstream::explicit_from_settings(&paths, "settings [upstream]"),
            )
        };
        let upstream = tokio::task::spawn_blocking(move || {
            crate::upstream::load(Some(std::path::Path::new(&root)), explicit)
        })
        .await;
        let Ok(upstream) = upstream else {
            return;
        };
        if !upstream.trees.is_empty() {
            use flakelens_analysis::upstream::UpstreamKind;
            let mut state = lock(&self.state);
            state.generation += 1;
            state.host.set_upstream(
                upstream.index(UpstreamKind::Nixos),
                upstream.index(UpstreamKind::Home),
                upstream.index(UpstreamKind::Darwin),
            );
        }
        for note in &upstream.located.notes {
            self.client
                .show_message(MessageType::INFO, format!("flakelens: {}", note.message))
                .await;
        }
        if !upstream.trees.is_empty() {
            self.publish_all().await;
        }
    }
}

pub(super) fn to_lsp(
    analysis: &Analysis,
    diagnostic: &flakelens_ide::Diagnostic,
    index: Option<&flakelens_syntax::LineIndex>,
    encoding: PositionEncoding,
) -> Diagnostic {
    let range = index
        .map(|index| convert::range(index, diagnostic.range, encoding))
        .unwrap_or_default();
    // "option declared here" and friends, in their own files.
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .related
        .iter()
        .filter_map(|(position, message)| {
            let index = analysis.line_index(&position.path).ok()??;
            Some(DiagnosticRelatedInformation {
                location: Location::new(
                    convert::uri_of(&position.path)?,
                    convert::range(&index, position.range, encoding),
                ),
                message: message.clone(),
            })
        })
        .collect();
    Diagnostic {
        related_information: (!related.is_empty()).then_some(related),
        range,
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.to_string())),
        source: Some("flakelens".into()),
        message: diagnostic.message.clone(),
        ..Diagnostic::default()
    }
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.clone())
            .unwrap_or_default();
        let encoding = if offered.contains(&PositionEncodingKind::UTF8) {
            PositionEncoding::Utf8
        } else {
            PositionEncoding::Utf16
        };
        #[allow(deprecated)]
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|folders| folders.first())
            .and_then(|folder| folder.uri.to_file_path().ok())
            .or_else(|| {
                params
                    .root_uri
                    .as_ref()
                    .and_then(|uri| uri.to_file_path().ok())
            })
            .or_else(|| params.root_path.as_ref().map(std::path::PathBuf::from));
        let work_done_progress = params
            .capabilities
            .window
            .as_ref()
            .and_then(|window| window.work_done_progress)
            .unwrap_or(false);
        let watch_files = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.did_change_watched_files.as_ref())
            .and_then(|watched| watched.dynamic_registration)
            .unwrap_or(false);
        let hierarchical_symbols = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|text| text.document_symbol.as_ref())
            .and_then(|symbols| symbols.hierarchical_document_symbol_support)
            .unwrap_or(false);
        {
            let mut state = lock(&self.state);
            state.encoding = encoding;
            state.root = root;
            state.work_done_progress = work_done_progress;
            state.hierarchical_symbols = hierarchical_symbols;
            state.watch_files = watch_files;
            state.editor_settings = params.initialization_options.clone();
        }
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(match encoding {
                    PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
                    _ => PositionEncodingKind::UTF16,
                }),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                definition_provider: Some(OneOf::Left(true)),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![".".into()]),
                    ..CompletionOptions::default()
                }),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                })),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                        ..CodeActionOptions::default()
                    },
                )),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "flakelens".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if lock(&self.state).watch_files {
            // Files created, changed or deleted outside the editor.
            let options = DidChangeWatchedFilesRegistrationOptions {
                watchers: ["**/*.nix", "**/flakelens.toml", "**/.gitignore"]
                    .into_iter()
                    .map(|glob| FileSystemWatcher {
                        glob_pattern: GlobPattern::String(glob.into()),
                        kind: None,
                    })
                    .collect(),
            };
            let registration = Registration {
                id: "flakelens/watched-files".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(options).ok(),
            };
            let client = self.client.clone();
            // Not awaited here: the answer must not hold up indexing.
            tokio::spawn(async move {
                if let Err(error) = client.register_capability(vec![registration]).await {
                    tracing::warn!("file watching not registered: {error}");
                }
            });
        }
        self.load_workspace().await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return;
        };
        {
            let mut state = lock(&self.state);
            state.documents.insert(
                path.clone(),
                Document {
                    version: params.text_document.version,
                    text: params.text_document.text.clone(),
                },
            );
            state.generation += 1;
            state.host.set_file_text(&path, &params.text_document.text);
        }
        self.publish_all().await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return;
        };
        {
            let mut state = lock(&self.state);
            let encoding = state.encoding;
            let Some(document) = state.documents.get_mut(&path) else {
                return;
            };
            if params.text_document.version <= document.version {
                tracing::warn!("ignoring out-of-order change to {path}");
                return;
            }
            let mut text = std::mem::take(&mut document.text);
            for change in params.content_changes {
                match change.range {
                    None => text = change.text,
                    Some(range) => {
                        // Positions refer to the text as the editor has it;
                        // apply them to that text, not the normalised one.
                        let index = flakelens_syntax::LineIndex::new(text.as_str().into());
                        let start = convert::offset(&index, range.start, encoding);
                        let end = convert::offset(&index, range.end, encoding);
                        match (start, end) {
                            (Some(start), Some(end)) if start <= end => {
                                text.replace_range(
                                    usize::from(start)..usize::from(end),
                                    &change.text,
                                );
                            }
                            _ => tracing::warn!("change with an invalid range ignored: {range:?}"),
                        }
                    }
                }
            }
            document.version = params.text_document.version;
            document.text = text.clone();
            state.generation += 1;
            state.host.set_file_text(&path, &text);
        }
        self.publish_all().await;
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {}

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return;
        };
        let on_disk = std::path::PathBuf::from(&path);
        {
            let mut state = lock(&self.state);
            state.documents.remove(&path);
        }
        // The file on disk is the truth again.
        let disk = tokio::task::spawn_blocking(move || crate::load::read_nix_file(&on_disk)).await;
        {
            let mut state = lock(&self.state);
            state.generation += 1;
            match disk {
                Ok(Ok(text)) => {
                    state.host.set_file_text(&path, &text);
                }
                _ => {
                    state.host.remove_file(&path);
                }
            }
        }
        self.publish_all().await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        // A null payload asks the server to pull settings; flakelens does
        // not pull, so it keeps what it has.
        if params.settings.is_null() {
            return;
        }
        lock(&self.state).editor_settings = Some(params.settings);
        self.load_workspace().await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let mut changed = false;
        let mut reload = false;
        for event in params.changes {
            let Some(path) = convert::path_of(&event.uri) else {
                continue;
            };
            // Settings and ignore rules change which files are read and how.
            if path.ends_with("/flakelens.toml") || path.ends_with("/.gitignore") {
                reload = true;
                continue;
            }
            if !path.ends_with(".nix") || lock(&self.state).documents.contains_key(&path) {
                continue;
            }
            let disk_path = std::path::PathBuf::from(&path);
            let read =
                tokio::task::spawn_blocking(move || crate::load::read_nix_file(&disk_path)).await;
            let mut state = lock(&self.state);
            state.generation += 1;
            changed = true;
            match (event.typ, read) {
                (FileChangeType::DELETED, _) | (_, Ok(Err(_))) | (_, Err(_)) => {
                    state.host.remove_file(&path);
                }
                (_, Ok(Ok(text))) => {
                    state.host.set_file_text(&path, &text);
                }
            }
        }
        if reload {
            self.load_workspace().await;
        } else if changed {
            self.publish_all().await;
        }
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let position = params.text_document_position_params.position;
        let Some(path) = convert::path_of(&params.text_document_position_params.text_document.uri)
        else {
            return Ok(None);
        };
        self.timed(
            "definition",
            Some(&path.clone()),
            move |analysis, encoding| features::definition(analysis, &path, position, encoding),
        )
        .await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let position = params.text_document_position.position;
        let Some(path) = convert::path_of(&params.text_document_position.text_document.uri) else {
            return Ok(None);
        };
        self.timed(
            "completion",
            Some(&path.clone()),
            move |analysis, encoding| features::completion(analysis, &path, position, encoding),
        )
        .await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params.position;
        let Some(path) = convert::path_of(&params.text_document_position_params.text_document.uri)
        else {
            return Ok(None);
        };
        self.timed("hover", Some(&path.clone()), move |analysis, encoding| {
            features::hover(analysis, &path, position, encoding)
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let position = params.text_document_position.position;
        let include_declaration = params.context.include_declaration;
        let Some(path) = convert::path_of(&params.text_document_position.text_document.uri) else {
            return Ok(None);
        };
        self.timed(
            "references",
            Some(&path.clone()),
            move |analysis, encoding| {
                features::references(analysis, &path, position, include_declaration, encoding)
            },
        )
        .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let position = params.position;
        let answer = self
            .timed(
                "prepareRename",
                Some(&path.clone()),
                move |analysis, encoding| {
                    features::prepare_rename(analysis, &path, position, encoding)
                },
            )
            .await?;
        answer.map_err(refused)
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let position = params.text_document_position.position;
        let Some(path) = convert::path_of(&params.text_document_position.text_document.uri) else {
            return Ok(None);
        };
        let new_name = params.new_name;
        let answer = self
            .timed("rename", Some(&path.clone()), move |analysis, encoding| {
                features::rename(analysis, &path, position, &new_name, encoding)
            })
            .await?;
        answer.map_err(refused)
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let hierarchical = lock(&self.state).hierarchical_symbols;
        self.timed(
            "documentSymbol",
            Some(&path.clone()),
            move |analysis, encoding| {
                features::document_symbols(analysis, &path, hierarchical, encoding)
            },
        )
        .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<Vec<SymbolInformation>>> {
        let query = params.query;
        self.timed("workspaceSymbol", None, move |analysis, encoding| {
            features::workspace_symbols(analysis, &query, encoding)
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let range = params.range;
        self.timed(
            "codeAction",
            Some(&path.clone()),
            move |analysis, encoding| features::code_actions(analysis, &path, range, encoding),
        )
        .await
    }
}

/// A request the server declines with a reason the client shows
/// (LSP `RequestFailed`).
fn refused(message: String) -> tower_lsp::jsonrpc::Error {
    tower_lsp::jsonrpc::Error {
        code: tower_lsp::jsonrpc::ErrorCode::ServerError(-32803),
        message: message.into(),
        data: None,
    }
}
