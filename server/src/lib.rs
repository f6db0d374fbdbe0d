//! The flakelens binary's library: the edges of the system. `load` reads
//! the file system, `cli` prints, `lsp` speaks the Language Server
//! Protocol. Everything else lives in the layered crates under `crates/`.

pub mod cli;
pub mod config;
pub mod fuzz;
pub mod load;
pub mod lsp;
pub mod upstream;

/// Runs `f` on a thread with a stack large enough for parsing and the
/// evaluator's depth limit, and returns its result.
pub fn on_analysis_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name("flakelens-analysis".into())
        .stack_size(flakelens_syntax::ANALYSIS_STACK_SIZE)
        .spawn(f)
        .expect("failed to spawn the analysis thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
