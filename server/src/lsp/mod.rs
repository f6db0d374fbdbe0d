//! The language server: converts between LSP and the ide layer.
//!
//! Invariants: document changes are applied synchronously at the top of
//! their handlers (before any `.await`), with version checks; reads take a
//! snapshot under the lock, release the lock, and run on the blocking pool;
//! no lock or snapshot is held across `.await`.

mod capabilities;
mod convert;
mod diagnostics;
mod document;
mod ext;
mod features;
mod framing;
mod from_proto;
mod handlers;
mod server;
mod to_proto;
mod workspace;

pub(crate) use server::serve;

/// Largest message accepted from the client (a 50 MB file opened whole
/// still fits).
const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

use std::process::ExitCode;

/// Serves LSP over stdin/stdout until the client exits or stdin closes.
pub fn run_stdio() -> ExitCode {
    limit_malloc_arenas();
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLAKELENS_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .thread_stack_size(flakelens_syntax::ANALYSIS_STACK_SIZE)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("flakelens: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let (stdin, eof) = EofReader::new(tokio::io::stdin());
    let stdin = framing::Framing::new(stdin);
    let clean = runtime.block_on(async move {
        tokio::select! {
            clean = server::serve(stdin, tokio::io::stdout()) => clean,
            // stdin closed but the server is still busy (a request waiting
            // on the client, a long analysis): give it a moment, then go.
            _ = async {
                let _ = eof.await;
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            } => {
                tracing::warn!("stdin closed; exiting");
                true
            }
        }
    });
    // Analyses still running on the blocking pool are abandoned.
    runtime.shutdown_background();
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// glibc gives each thread that allocates its own arena, and memory
/// freed in one arena is not reused by another: with analyses on a pool
/// of threads, peak RSS grew with every edit (458 MiB after six edits of a
/// 2.5 MB module; 192 MiB with two arenas, 126 MiB with one) and varied
/// between identical sessions.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called
    // before the runtime starts any thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Wraps stdin and signals when it reaches end of file (or fails).
struct EofReader<R> {
    inner: R,
    eof: Option<tokio::sync::oneshot::Sender<()>>,
}

impl<R> EofReader<R> {
    fn new(inner: R) -> (EofReader<R>, tokio::sync::oneshot::Receiver<()>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (
            EofReader {
                inner,
                eof: Some(tx),
            },
            rx,
        )
    }
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for EofReader<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        let ended = match &poll {
            std::task::Poll::Ready(Ok(())) => buf.filled().len() == before,
            std::task::Poll::Ready(Err(_)) => true,
            std::task::Poll::Pending => false,
        };
        if ended {
            if let Some(eof) = self.eof.take() {
                let _ = eof.send(());
            }
        }
        poll
    }
}
