//! The `LanguageServer` implementation: every request and notification
//! the server answers, each a thin call into `features` (or the workspace
//! and diagnostics code) on a snapshot.

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;
use tower_lsp::LanguageServer;

use super::server::{lock, refused, Backend};
use super::{convert, document, features};

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        self.on_initialize(params).await
    }

    async fn initialized(&self, _: InitializedParams) {
        self.on_initialized().await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        self.on_did_open(params).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        self.on_did_change(params).await;
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        self.on_did_save(params).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.on_did_close(params).await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.on_did_change_configuration(params).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        self.on_did_change_watched_files(params).await;
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
        let defer = {
            let state = lock(&self.state);
            state
                .resolve_documentation
                .then(|| state.documents.get(&path).map(|d| d.version))
        };
        self.timed(
            "completion",
            Some(&path.clone()),
            move |analysis, encoding| {
                features::completion(analysis, &path, position, encoding, defer)
            },
        )
        .await
    }

    async fn completion_resolve(&self, item: CompletionItem) -> Result<CompletionItem> {
        let data = item
            .data
            .clone()
            .and_then(|data| serde_json::from_value::<features::ResolveData>(data).ok());
        let Some(data) = data else {
            return Ok(item);
        };
        // The list was made for another version of the document.
        let version = lock(&self.state)
            .documents
            .get(&data.path)
            .map(|d| d.version);
        if version != data.version {
            return Ok(item);
        }
        let path = data.path.clone();
        self.timed("completionResolve", Some(&path), move |analysis, _| {
            features::resolve_completion(analysis, &data, item.clone())
        })
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

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        self.pull_diagnostics(params).await
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        let position = params.text_document_position_params.position;
        let Some(path) = convert::path_of(&params.text_document_position_params.text_document.uri)
        else {
            return Ok(None);
        };
        self.timed(
            "documentHighlight",
            Some(&path.clone()),
            move |analysis, encoding| {
                document::document_highlight(analysis, &path, position, encoding)
            },
        )
        .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        self.timed(
            "semanticTokens",
            Some(&path.clone()),
            move |analysis, encoding| document::semantic_tokens(analysis, &path, encoding),
        )
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let settings = lock(&self.state).editor_settings.clone();
        if !document::lsp_setting(settings.as_ref(), "codeLens", true) {
            return Ok(None);
        }
        self.timed(
            "codeLens",
            Some(&path.clone()),
            move |analysis, encoding| document::code_lenses(analysis, &path, encoding),
        )
        .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let settings = lock(&self.state).editor_settings.clone();
        if !document::lsp_setting(settings.as_ref(), "inlayHints", false) {
            return Ok(None);
        }
        let range = params.range;
        self.timed(
            "inlayHint",
            Some(&path.clone()),
            move |analysis, encoding| document::inlay_hints(analysis, &path, range, encoding),
        )
        .await
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        self.timed(
            "foldingRange",
            Some(&path.clone()),
            move |analysis, encoding| document::folding_ranges(analysis, &path, encoding),
        )
        .await
    }

    async fn selection_range(
        &self,
        params: SelectionRangeParams,
    ) -> Result<Option<Vec<SelectionRange>>> {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let positions = params.positions;
        self.timed(
            "selectionRange",
            Some(&path.clone()),
            move |analysis, encoding| {
                document::selection_ranges(analysis, &path, &positions, encoding)
            },
        )
        .await
    }
}
