use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = flakelens::cli::Cli::parse();
    flakelens::cli::run(cli)
}
