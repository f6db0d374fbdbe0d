//! flakelens extensions to LSP: the `flakelens/hostsForFile` request (which
//! hosts' module closures hold a file), used by the VS Code extension's
//! "Show Hosts" command. Editor settings are read by `crate::config`.

use serde::{Deserialize, Serialize};
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::{Location, TextDocumentIdentifier, Url};

use super::convert;
use super::server::Backend;

pub const HOSTS_FOR_FILE: &str = "flakelens/hostsForFile";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostsForFileParams {
    pub text_document: TextDocumentIdentifier,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HostsForFileResult {
    pub hosts: Vec<HostForFile>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HostForFile {
    pub name: String,
    /// `nixos`, `darwin`, `home-manager`, …
    pub kind: &'static str,
    /// Where the host is defined (`nixosConfigurations.<name> = …`).
    pub defined_at: Option<Location>,
    /// The file is in the host's module closure (false: the file only
    /// defines the host, like `flake.nix`).
    pub in_closure: bool,
    /// Every file module of the host, as URIs.
    pub closure: Vec<Url>,
    pub inline_modules: usize,
    pub external_modules: Vec<String>,
    /// Some imports could not be resolved statically: the closure may be
    /// incomplete.
    pub has_unknown_modules: bool,
}

impl Backend {
    /// `flakelens/hostsForFile`: the hosts whose module closure holds the
    /// file, or that are defined in it.
    pub async fn hosts_for_file(&self, params: HostsForFileParams) -> Result<HostsForFileResult> {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(HostsForFileResult { hosts: Vec::new() });
        };
        self.timed("hostsForFile", None, move |analysis, encoding| {
            let mut hosts = Vec::new();
            for host in analysis.hosts()? {
                let in_closure = host.closure.contains(&path);
                let defined_here = host.defined_at.as_ref().is_some_and(|(p, _)| *p == path);
                if !in_closure && !defined_here {
                    continue;
                }
                let defined_at = match &host.defined_at {
                    Some((file, range)) => analysis.line_index(file)?.and_then(|index| {
                        Some(Location::new(
                            convert::uri_of(file)?,
                            convert::range(&index, *range, encoding),
                        ))
                    }),
                    None => None,
                };
                hosts.push(HostForFile {
                    name: host.name,
                    kind: host.kind,
                    defined_at,
                    in_closure,
                    closure: host
                        .closure
                        .iter()
                        .filter_map(|file| convert::uri_of(file))
                        .collect(),
                    inline_modules: host.inline_modules,
                    external_modules: host.external_modules,
                    has_unknown_modules: host.has_unknown_modules,
                });
            }
            Ok(HostsForFileResult { hosts })
        })
        .await
    }
}
