//! Command-line interface: `check`, `options`, `hosts`, `lsp`.

mod explain;
mod machine;
pub mod packages;
mod render;
pub(crate) mod rules;
mod scope;
mod upstream;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use flakelens_ide::{AnalysisHost, Severity};

use crate::load;

#[derive(Parser, Debug)]
#[command(
    name = "flakelens",
    version = env!("FLAKELENS_VERSION"),
    about = "Static analysis and a language server for Nix flake repositories"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Report problems in the workspace(s) holding PATHs (default: .).
    ///
    /// A file PATH analyses its whole workspace but reports only the
    /// diagnostics in the given files and those they cause elsewhere.
    Check {
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Exit with 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        #[command(flatten)]
        upstream: upstream::UpstreamArgs,
        /// Report every diagnostic of the workspaces, even when files are given.
        #[arg(long)]
        all: bool,
        /// Human format: print only the diagnostics, no summary line.
        #[arg(long, short)]
        quiet: bool,
        /// Also say why definitions got no diagnostic (for the given files,
        /// else for every file with an unchecked definition): which hosts
        /// reach the file, what their closures lack, which upstream trees are
        /// indexed. Human and JSON formats.
        #[arg(long)]
        explain: bool,
        /// Colour in the human format (auto: when stdout is a terminal and
        /// NO_COLOR is unset or empty).
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// List the options the repository declares.
    Options {
        path: Option<PathBuf>,
        /// Only the options visible to this host.
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        json: bool,
        /// Only the upstream trees' options (nixpkgs, home-manager, nix-darwin).
        #[arg(long)]
        upstream_only: bool,
        #[command(flatten)]
        upstream: upstream::UpstreamArgs,
    },
    /// Say which upstream module trees were found, how, and what they gave.
    Doctor {
        path: Option<PathBuf>,
        #[command(flatten)]
        upstream: upstream::UpstreamArgs,
    },
    /// List the hosts of the flake and their module closures.
    Hosts {
        path: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Also say, for each host output, output attribute or host module
        /// list that could not be worked out, why and where.
        #[arg(long)]
        explain: bool,
    },
    /// List the packages the repository adds to `pkgs` or exposes as flake outputs.
    Packages {
        path: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Serve the Language Server Protocol over stdio.
    Lsp(LspArgs),
}

/// Transport flags LSP clients append to the server command
/// (vscode-languageclient adds `--stdio`, and `--clientProcessId=N` for
/// Node servers). stdio is the only transport: `--stdio` and the process
/// id are accepted and ignored (the server exits when stdin closes); the
/// other transports are refused with a message instead of clap's usage.
#[derive(clap::Args, Debug)]
pub struct LspArgs {
    /// Accepted and ignored: stdio is the only transport.
    #[arg(long, num_args = 0..=1, require_equals = true, value_name = "IGNORED")]
    stdio: Option<Option<String>>,
    #[arg(long = "clientProcessId", alias = "client-process-id", hide = true)]
    client_process_id: Option<String>,
    #[arg(long = "node-ipc", hide = true)]
    node_ipc: bool,
    #[arg(long, hide = true)]
    socket: Option<String>,
    #[arg(long, hide = true)]
    pipe: Option<String>,
}

impl LspArgs {
    /// The transport flag asked for that this server does not speak.
    fn unsupported_transport(&self) -> Option<&'static str> {
        if self.node_ipc {
            Some("--node-ipc")
        } else if self.socket.is_some() {
            Some("--socket")
        } else if self.pipe.is_some() {
            Some("--pipe")
        } else {
            None
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether the human format is coloured. An explicit `always` wins over
/// `NO_COLOR` (no-color.org: flags override the variable).
pub fn use_colour(choice: ColorChoice, is_terminal: bool, no_color: Option<&str>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && no_color.is_none_or(str::is_empty),
    }
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Lsp(args) => match args.unsupported_transport() {
            Some(flag) => {
                eprintln!(
                    "flakelens lsp: `{flag}` is not supported: the server speaks LSP over \
                     stdio only (start it as `flakelens lsp` or `flakelens lsp --stdio`)"
                );
                ExitCode::from(2)
            }
            None => crate::lsp::run_stdio(),
        },
        command => crate::on_analysis_thread(move || match run_batch(command) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("flakelens: {message}");
                ExitCode::from(2)
            }
        }),
    }
}

/// A loaded workspace and the files the user asked about (None = all).
struct Loaded {
    host: AnalysisHost,
    only: Option<Vec<String>>,
}

fn load_workspaces(
    paths: &[PathBuf],
    upstream_args: &upstream::UpstreamArgs,
) -> Result<Vec<Loaded>, String> {
    let paths: Vec<PathBuf> = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut loaded: Vec<(PathBuf, Loaded)> = Vec::new();
    for path in paths {
        let metadata =
            std::fs::metadata(&path).map_err(|error| format!("{}: {error}", path.display()))?;
        let root =
            load::find_root(&path).map_err(|error| format!("{}: {error}", path.display()))?;
        let only_file = metadata
            .is_file()
            .then(|| load::vfs_path(&std::fs::canonicalize(&path).unwrap_or(path.clone())));
        if let Some((_, existing)) = loaded.iter_mut().find(|(r, _)| *r == root) {
            match (&mut existing.only, only_file) {
                (Some(only), Some(file)) => only.push(file),
                (only, _) => *only = None,
            }
            continue;
        }
        let workspace =
            load::load_workspace(&root).map_err(|error| format!("{}: {error}", root.display()))?;
        let mut host = AnalysisHost::new();
        host.load(
            workspace.root,
            workspace.files,
            workspace.problems,
            workspace.settings,
        );
        let trees = upstream::load(&root, upstream_args);
        host.set_upstream(
            trees.index(flakelens_analysis::upstream::UpstreamKind::Nixos),
            trees.index(flakelens_analysis::upstream::UpstreamKind::Home),
            trees.index(flakelens_analysis::upstream::UpstreamKind::Darwin),
        );
        loaded.push((
            root,
            Loaded {
                host,
                only: only_file.map(|file| vec![file]),
            },
        ));
    }
    Ok(loaded.into_iter().map(|(_, loaded)| loaded).collect())
}

fn single_workspace(path: Option<PathBuf>) -> Result<AnalysisHost, String> {
    single_workspace_with(path, &upstream::UpstreamArgs::default())
}

fn single_workspace_with(
    path: Option<PathBuf>,
    upstream_args: &upstream::UpstreamArgs,
) -> Result<AnalysisHost, String> {
    let paths: Vec<PathBuf> = path.into_iter().collect();
    let mut loaded = load_workspaces(&paths, upstream_args)?;
    Ok(loaded.remove(0).host)
}

fn cancelled<T>(result: flakelens_ide::Cancellable<T>) -> Result<T, String> {
    result.map_err(|_| "analysis was cancelled".to_string())
}

fn run_batch(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Check {
            paths,
            format,
            deny_warnings,
            upstream,
            all,
            quiet,
            color,
            explain,
        } => {
            if explain && matches!(format, Format::Sarif | Format::Github) {
                return Err("--explain prints human or JSON output (--format human|json)".into());
            }
            let workspaces = load_workspaces(&paths, &upstream)?;
            let mut report = render::Report::default();
            let mut explained = Vec::new();
            for workspace in &workspaces {
                let analysis = workspace.host.analysis();
                let mut diagnostics = cancelled(analysis.workspace_diagnostics())?;
                if let (Some(only), false) = (&workspace.only, all) {
                    let hosts = cancelled(analysis.hosts())?;
                    let affected = scope::affected_files(&hosts, only);
                    // flakelens.toml changes how every file is checked.
                    let mut given = only.clone();
                    given.extend(flakelens_db::paths::join(
                        &analysis.root(),
                        crate::config::SETTINGS_FILE,
                    ));
                    scope::retain_for_files(&mut diagnostics, &given, &affected);
                }
                report.add(&analysis, diagnostics);
                if explain {
                    explained.extend(explain::collect(&analysis, workspace.only.as_deref())?);
                }
            }
            // The process ends after printing: freeing every query result
            // of a big workspace one by one cost ~7 % of a fleet's check.
            std::mem::forget(workspaces);
            match format {
                Format::Human => {
                    let no_color = std::env::var("NO_COLOR").ok();
                    let colour =
                        use_colour(color, std::io::stdout().is_terminal(), no_color.as_deref());
                    report.print_human(colour, quiet);
                    explain::print_human(&explained);
                }
                Format::Json if explain => {
                    let mut out = report.to_json();
                    out["explain"] = explain::to_json(&explained);
                    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
                }
                Format::Json => report.print_json(),
                Format::Sarif | Format::Github => {
                    let base = base_directory();
                    let located = machine::locate(&report, &base);
                    if format == Format::Github {
                        print!("{}", machine::github_commands(&located));
                    } else {
                        let log = machine::sarif(&located, &base, env!("CARGO_PKG_VERSION"));
                        println!("{}", serde_json::to_string_pretty(&log).unwrap_or_default());
                    }
                }
            }
            let failed = report.errors > 0 || (deny_warnings && report.warnings > 0);
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Options {
            path,
            host,
            json,
            upstream_only,
            upstream,
        } => {
            if upstream_only {
                let root = load::find_root(&path.clone().unwrap_or_else(|| PathBuf::from(".")))
                    .map_err(|error| error.to_string())?;
                let trees = upstream::load(&root, &upstream);
                let entries: Vec<serde_json::Value> = trees
                    .trees
                    .iter()
                    .flat_map(|tree| upstream::option_entries(&tree.index))
                    .collect();
                if json {
                    let out = serde_json::json!({ "options": entries });
                    println!("{}", serde_json::to_string(&out).unwrap_or_default());
                } else {
                    for entry in &entries {
                        println!(
                            "{}\n  type: {}\n  declared at: {}",
                            entry["path"].as_str().unwrap_or_default(),
                            entry["type"].as_str().unwrap_or_default(),
                            entry["declaredAt"].as_str().unwrap_or_default()
                        );
                    }
                    println!("{} options", entries.len());
                }
                return Ok(ExitCode::SUCCESS);
            }
            let workspace = single_workspace_with(path, &upstream)?;
            let analysis = workspace.analysis();
            let Some(options) = cancelled(analysis.options(host.as_deref()))? else {
                return Err(format!("no host named {}", host.unwrap_or_default()));
            };
            render::print_options(&analysis, &options, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { path, upstream } => {
            let root = load::find_root(&path.unwrap_or_else(|| PathBuf::from(".")))
                .map_err(|error| error.to_string())?;
            let trees = upstream::load(&root, &upstream);
            upstream::print_doctor(&root, &trees);
            Ok(ExitCode::SUCCESS)
        }
        Command::Hosts {
            path,
            json,
            explain,
        } => {
            let workspace = single_workspace(path)?;
            let analysis = workspace.analysis();
            let hosts = cancelled(analysis.hosts())?;
            let explained = match explain {
                true => Some(cancelled(analysis.explain_hosts())?),
                false => None,
            };
            render::print_hosts(&analysis, &hosts, explained.as_deref(), json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Packages { path, json } => {
            let workspace = single_workspace(path)?;
            let analysis = workspace.analysis();
            let packages = cancelled(analysis.packages())?;
            packages::print_packages(&analysis, &packages, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Lsp(_) => unreachable!("handled before"),
    }
}

/// The directory machine formats name files relative to: the current
/// directory (in CI, the checkout).
fn base_directory() -> String {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    load::vfs_path(&std::fs::canonicalize(&cwd).unwrap_or(cwd))
}

pub(crate) fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

pub(crate) fn relative(root: &str, path: &str) -> String {
    let shown = flakelens_ide::display_path(root, path);
    if Path::new(&shown).is_absolute() {
        path.to_string()
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_choice_honours_no_color_only_in_auto() {
        assert!(use_colour(ColorChoice::Auto, true, None));
        assert!(use_colour(ColorChoice::Auto, true, Some("")));
        assert!(!use_colour(ColorChoice::Auto, true, Some("1")));
        assert!(!use_colour(ColorChoice::Auto, false, None));
        assert!(use_colour(ColorChoice::Always, false, Some("1")));
        assert!(!use_colour(ColorChoice::Never, true, None));
    }
}
