//! The workspace as the server holds it: loading it from disk (and the
//! upstream trees), and document sync (open, change, close, watched
//! files, configuration changes).

use tower_lsp::lsp_types::*;

use super::convert;
use super::server::{lock, Backend, Document};

impl Backend {
    /// Loads the workspace from disk, keeping open documents' texts.
    pub(super) async fn load_workspace(&self) {
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

    pub(super) async fn on_did_open(&self, params: DidOpenTextDocumentParams) {
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

    pub(super) async fn on_did_change(&self, params: DidChangeTextDocumentParams) {
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

    pub(super) async fn on_did_save(&self, _: DidSaveTextDocumentParams) {}

    pub(super) async fn on_did_close(&self, params: DidCloseTextDocumentParams) {
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

    pub(super) async fn on_did_change_configuration(&self, params: DidChangeConfigurationParams) {
        // A null payload asks the server to pull settings; flakelens does
        // not pull, so it keeps what it has.
        if params.settings.is_null() {
            return;
        }
        lock(&self.state).editor_settings = Some(params.settings);
        self.load_workspace().await;
    }

    pub(super) async fn on_did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
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
}
