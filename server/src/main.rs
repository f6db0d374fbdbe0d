use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = flakelens::cli::Cli::parse();
    if !matches!(cli.command, flakelens::cli::Command::Lsp(_)) {
        restore_sigpipe();
    }
    flakelens::cli::run(cli)
}

/// `flakelens options | head` should end quietly when `head` exits, like
/// other Unix tools, instead of panicking on a closed stdout. (The language
/// server keeps Rust's default and sees the error instead.)
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: resetting a signal disposition to its default before any
    // other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
