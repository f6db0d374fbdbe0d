//! Entry points for the fuzz targets (`fuzz/`) and their corpus replay
//! (`server/tests/fuzz_corpus.rs`): arbitrary bytes in, every analysis and
//! IDE feature (or the LSP decoder and dispatcher) run over them. Each
//! returns normally or panics; a panic or a hang is a bug.

use flakelens_db::Settings;
use flakelens_ide::{Analysis, AnalysisHost};
use flakelens_syntax::{TextRange, TextSize};

/// Offsets probed per file: enough to reach every kind of node in small
/// inputs, bounded so big inputs stay fast.
const PROBES: usize = 48;
/// Files a workspace input may hold.
const MAX_FILES: usize = 12;

/// Target `file`: the bytes as the flake's only file, then every feature.
pub fn analyse_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    // The first byte picks the role of the file: a flake, a host's
    // configuration, or a module someone imports.
    let path = match data.first().map(|b| b % 3) {
        Some(0) | None => "/flake.nix",
        Some(1) => "/configuration.nix",
        _ => "/modules/default.nix",
    };
    let files = vec![(path.to_string(), text)];
    crate::on_analysis_thread(move || {
        let host = workspace(files);
        exercise(&host.analysis());
    });
}

/// Target `workspace`: the bytes split into files at lines `#- /path`
/// (the fixture format), loaded together, every feature run; then each
/// file is edited (its second half dropped) and everything runs again, so
/// the incremental path is covered too.
pub fn analyse_workspace(data: &[u8]) {
    let files = split_files(&String::from_utf8_lossy(data));
    crate::on_analysis_thread(move || {
        let mut host = workspace(files.clone());
        exercise(&host.analysis());
        for (path, text) in &files {
            let mut cut = text.len() / 2;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            host.set_file_text(path, &text[..cut]);
        }
        exercise(&host.analysis());
        if let Some((path, _)) = files.first() {
            host.remove_file(path);
            exercise(&host.analysis());
        }
    });
}

fn workspace(files: Vec<(String, String)>) -> AnalysisHost {
    let mut host = AnalysisHost::new();
    host.load("/".to_string(), files, Vec::new(), Settings::default());
    host
}

/// Splits fixture-format text into files with tame paths: the loader only
/// ever produces absolute, normalised paths, so other shapes are not input
/// the analysis can receive.
fn split_files(text: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("#- ") {
            if files.len() == MAX_FILES {
                break;
            }
            let path = tame_path(path.trim(), files.len());
            if files.iter().any(|(p, _)| *p == path) {
                continue;
            }
            files.push((path, String::new()));
            continue;
        }
        match files.last_mut() {
            Some((_, body)) => body.push_str(line),
            None => files.push(("/flake.nix".to_string(), line.to_string())),
        }
    }
    files
}

fn tame_path(raw: &str, index: usize) -> String {
    let parts: Vec<String> = raw
        .split('/')
        .map(|part| {
            part.chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
                .collect::<String>()
        })
        .filter(|part| !part.is_empty() && part != "." && part != "..")
        .collect();
    if parts.is_empty() {
        return format!("/file{index}.nix");
    }
    format!("/{}", parts.join("/"))
}

/// Runs every read the ide layer offers, over every file and a spread of
/// offsets (including past the end).
fn exercise(analysis: &Analysis) {
    analysis.workspace_diagnostics().unwrap();
    let hosts = analysis.hosts().unwrap();
    analysis.options(None).unwrap();
    for host in hosts.iter().take(4) {
        analysis.options(Some(&host.name)).unwrap();
    }
    analysis.packages().unwrap();
    analysis.workspace_symbols("").unwrap();
    analysis.workspace_symbols("a").unwrap();
    for path in analysis.files() {
        let text = analysis.file_text(&path).unwrap();
        analysis.diagnostics(&path).unwrap();
        analysis.document_symbols(&path).unwrap();
        analysis.line_index(&path).unwrap();
        let len = text.len();
        let step = (len / PROBES).max(1);
        let offsets = (0..=len + 1).step_by(step).chain([len, len + 1]);
        for offset in offsets {
            let offset = TextSize::from(offset as u32);
            analysis.goto_definition(&path, offset).unwrap();
            analysis.completions(&path, offset).unwrap();
            analysis.hover(&path, offset).unwrap();
            analysis.references(&path, offset, true).unwrap();
            analysis.package_definition(&path, offset).unwrap();
            analysis.package_hover(&path, offset).unwrap();
            analysis.package_completions(&path, offset).unwrap();
            let clamped = offset.min(TextSize::of(&*text));
            analysis
                .code_actions(&path, TextRange::empty(clamped))
                .unwrap();
        }
    }
}

/// Target `lsp`: a real server session in process. A fixed `initialize`
/// (no workspace root, so nothing is read from disk) and `initialized`,
/// then the input: with an even first byte, the rest is raw bytes for the
/// Content-Length decoder; with an odd one, the rest is JSON bodies
/// separated by NUL bytes, each framed correctly, so the dispatcher and
/// every handler see them. Messages that read the disk (`didClose`,
/// `didChangeWatchedFiles`) are dropped. The session ends with
/// `shutdown` and `exit`; the server must answer and stop.
pub fn lsp_session(data: &[u8]) {
    let mut stream = Vec::new();
    frame(
        &mut stream,
        br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{"textDocument":{"documentSymbol":{"hierarchicalDocumentSymbolSupport":true}}}}}"#,
    );
    frame(
        &mut stream,
        br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
    );
    match data.split_first() {
        Some((mode, rest)) if mode % 2 == 0 => stream.extend_from_slice(rest),
        Some((_, rest)) => {
            for body in rest.split(|b| *b == 0) {
                let reads_disk = body.windows(8).any(|w| w == b"didClose")
                    || body.windows(21).any(|w| w == b"didChangeWatchedFiles");
                if !body.is_empty() && !reads_disk {
                    frame(&mut stream, body);
                }
            }
        }
        None => {}
    }
    // After raw bytes the decoder may be mid-message; the closing messages
    // then land inside it, which is fine: the input ends either way.
    frame(
        &mut stream,
        br#"{"jsonrpc":"2.0","id":999999,"method":"shutdown"}"#,
    );
    frame(&mut stream, br#"{"jsonrpc":"2.0","method":"exit"}"#);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(2)
        .thread_stack_size(flakelens_syntax::ANALYSIS_STACK_SIZE)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(crate::lsp::serve(std::io::Cursor::new(stream), Sink));
    runtime.shutdown_background();
}

/// Discards the server's output (tokio's `sink` needs a feature we do not
/// otherwise use).
struct Sink;

impl tokio::io::AsyncWrite for Sink {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

fn frame(stream: &mut Vec<u8>, body: &[u8]) {
    stream.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    stream.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_files_with_tame_paths() {
        let files = split_files("{ }\n#- /a/../b.nix\nx\n#- \n#- /a/../b.nix\ny\n");
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["/flake.nix", "/a/b.nix", "/file2.nix"]);
        assert_eq!(files[1].1, "x\n");
        assert_eq!(files[2].1, "y\n");
    }
}
