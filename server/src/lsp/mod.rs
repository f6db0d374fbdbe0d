//! The language server: converts between LSP and the ide layer.
//!
//! Invariants: document changes are applied synchronously at the top of
//! their handlers (before any `.await`), with version checks; reads take a
//! snapshot under the lock, release the lock, and run on the blocking pool;
//! no lock or snapshot is held across `.await`.

mod convert;
mod server;

use std::process::ExitCode;

/// Serves LSP over stdin/stdout until the client exits or stdin closes.
pub fn run_stdio() -> ExitCode {
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
    runtime.block_on(server::serve(tokio::io::stdin(), tokio::io::stdout()));
    ExitCode::SUCCESS
}
