//! Why a definition got no diagnostic: `check --explain`. The host checks
//! run once more with an [`Explainer`] attached; each place where they stay
//! silent for lack of knowledge (rather than because the value is right)
//! records the reason, and each definition they did check is marked so.
//! Nothing here decides anything the checks do not: the reasons are read
//! off the same state the checks used.

use flakelens_db::{Db, SourceFile};

use super::host::{display_file, run_host_checks, HostContext};
use crate::hosts::{host, host_closure, host_keys, Closure, HostKey};
use crate::module::ModuleRef;
use crate::{FileRange, UpstreamKind};

/// Collects what the checks did with each definition.
#[derive(Debug, Default)]
pub struct Explainer {
    pub(crate) notes: Vec<Note>,
}

#[derive(Debug, Clone)]
pub(crate) struct Note {
    range: FileRange,
    path: String,
    host: String,
    /// `None` when the definition was checked.
    silent: Option<String>,
}

impl Explainer {
    pub(crate) fn checked(
        &mut self,
        cx_host: &str,
        range: Option<FileRange>,
        path: &[crate::Segment],
    ) {
        self.push(cx_host, range, path, None);
    }

    pub(crate) fn silent(
        &mut self,
        cx_host: &str,
        range: Option<FileRange>,
        path: &[crate::Segment],
        reason: String,
    ) {
        self.push(cx_host, range, path, Some(reason));
    }

    fn push(
        &mut self,
        host: &str,
        range: Option<FileRange>,
        path: &[crate::Segment],
        silent: Option<String>,
    ) {
        if let Some(range) = range {
            self.notes.push(Note {
                range,
                path: crate::display_path(path),
                host: host.to_string(),
                silent,
            });
        }
    }
}

/// One file's explanation: how it is reached, and each definition no host
/// checked with the reasons each host gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileExplanation {
    pub file: SourceFile,
    /// How the file is reached: which hosts' closures hold it, whether those
    /// closures are complete, whether upstream options are indexed.
    pub context: Vec<String>,
    pub silences: Vec<Silence>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    pub range: FileRange,
    /// The option path as the checks saw it.
    pub path: String,
    /// `host: reason`, one a distinct reason.
    pub reasons: Vec<String>,
}

/// Explains `files`: runs every host's checks with an explainer and keeps
/// the notes in those files. A definition checked by any host is not silent.
pub fn explain_files(db: &dyn Db, files: &[SourceFile]) -> Vec<FileExplanation> {
    let mut explainer = Explainer::default();
    let keys = host_keys(db);
    for key in &keys {
        run_host_checks(db, *key, Some(&mut explainer));
    }
    files
        .iter()
        .map(|file| FileExplanation {
            file: *file,
            context: context(db, &keys, *file),
            silences: silences(&explainer.notes, *file),
        })
        .collect()
}

fn silences(notes: &[Note], file: SourceFile) -> Vec<Silence> {
    let in_file: Vec<&Note> = notes
        .iter()
        .filter(|note| note.range.file == file)
        .collect();
    let checked: std::collections::HashSet<_> = in_file
        .iter()
        .filter(|note| note.silent.is_none())
        .map(|note| note.range)
        .collect();
    let mut out: Vec<Silence> = Vec::new();
    for note in in_file {
        let Some(reason) = &note.silent else { continue };
        if checked.contains(&note.range) {
            continue;
        }
        let line = format!("{}: {reason}", note.host);
        match out.iter_mut().find(|silence| silence.range == note.range) {
            Some(silence) => {
                if !silence.reasons.contains(&line) {
                    silence.reasons.push(line);
                }
            }
            None => out.push(Silence {
                range: note.range,
                path: note.path.clone(),
                reasons: vec![line],
            }),
        }
    }
    out.sort_by_key(|silence| silence.range.range.start());
    out
}

fn context(db: &dyn Db, keys: &[HostKey], file: SourceFile) -> Vec<String> {
    let mut out = Vec::new();
    let holding: Vec<&HostKey> = keys
        .iter()
        .filter(|key| host_closure(db, **key).contains(file))
        .collect();
    if holding.is_empty() {
        out.push(
            "no host found in this workspace has this file in its module closure: its \
             definitions are checked in nested evaluations only, or not at all \
             (`flakelens hosts` lists the hosts found)"
                .to_string(),
        );
    }
    for key in holding {
        let closure = host_closure(db, *key);
        let name = key.name(db);
        let gaps = closure_gaps(db, *key, closure);
        if gaps.is_empty() {
            out.push(format!("host {name}: closure complete"));
        } else {
            out.push(format!("host {name}: closure partial: {}", gaps.join("; ")));
        }
        let tree = crate::upstream::tree_for_host(*key.kind(db));
        out.push(format!("host {name}: {}", upstream_state(db, tree)));
    }
    out
}

/// What keeps a closure from being complete, with where it is written.
fn closure_gaps(db: &dyn Db, key: HostKey, closure: &Closure) -> Vec<String> {
    let mut unknown_sites = Vec::new();
    if let Some(host) = host(db, key) {
        if host.roots_incomplete {
            unknown_sites.push("the host's modules list could not be fully worked out".into());
        }
        unknown_refs(db, &host.roots, &mut unknown_sites);
    }
    for file in &closure.files {
        let summary = crate::hosts::module_summary_in(db, *file, Some(key));
        unknown_refs(db, &summary.imports, &mut unknown_sites);
    }
    for summary in &closure.inline {
        unknown_refs(db, &summary.imports, &mut unknown_sites);
    }
    if closure.unknown && unknown_sites.is_empty() {
        unknown_sites.push("a module could not be worked out".into());
    }
    let mut gaps: Vec<String> = unknown_sites.into_iter().take(4).collect();
    let externals: Vec<&str> = closure
        .external
        .iter()
        .map(String::as_str)
        .filter(|description| *description != "modulesPath")
        .collect();
    if !externals.is_empty() {
        gaps.push(format!(
            "external modules (not read): {}",
            externals.join(", ")
        ));
    }
    gaps
}

fn unknown_refs(db: &dyn Db, refs: &[ModuleRef], out: &mut Vec<String>) {
    for module in refs {
        match module {
            ModuleRef::Unknown { site } => out.push(match site {
                Some(site) => format!(
                    "module at {} could not be worked out",
                    display_site(db, *site)
                ),
                None => "a module could not be worked out".into(),
            }),
            ModuleRef::Inline { summary, .. } => unknown_refs(db, &summary.imports, out),
            _ => {}
        }
    }
}

pub(crate) fn display_site(db: &dyn Db, site: FileRange) -> String {
    let text = site.file.text(db);
    let offset = usize::from(site.range.start()).min(text.len());
    let line = text.as_bytes()[..offset]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1;
    format!("{}:{line}", display_file(db, site.file.path(db)))
}

fn upstream_state(db: &dyn Db, tree: UpstreamKind) -> String {
    match crate::upstream::upstream_index(db, tree) {
        None => format!(
            "{} options not indexed (no tree found; `flakelens doctor` says where it looked)",
            tree.name()
        ),
        Some(index) if !index.trusted_for_checks() => format!(
            "{} options indexed from a tree that may not be the version flake.lock pins: \
             used for hover and completion, not for diagnostics",
            tree.name()
        ),
        Some(index) if !index.complete() => format!(
            "{} options indexed, but {} of its module files could not be read statically",
            tree.name(),
            index.unknown_files.len()
        ),
        Some(index) => format!(
            "{} options indexed ({} options)",
            tree.name(),
            index.options.len()
        ),
    }
}

/// Why a definition the repo does not own was not reported as unknown.
pub(crate) fn not_owned_reason(cx: &HostContext, names: &[crate::Segment]) -> String {
    let Some(crate::Segment::Name(first)) = names.first() else {
        return "a list element or computed name is not a namespace".to_string();
    };
    let first = first.as_str();
    if names.len() == 1 {
        return format!("`{first}` is a top-level name; only paths below a namespace are checked");
    }
    if crate::known::upstream::THIRD_PARTY_TOP_LEVEL.contains(&first) {
        return format!(
            "`{first}` is a namespace external modules declare (for example a flake \
             input's module), and those are not read"
        );
    }
    if crate::known::upstream::any_upstream_declares(first) {
        let tree = cx.tree;
        if cx.upstream.is_some() {
            return format!("`{first}.*` is checked against the {} index", tree.name());
        }
        let why = match crate::upstream::upstream_index(cx.db, tree) {
            None => format!("the {} options are not indexed", tree.name()),
            Some(index) if !index.trusted_for_checks() => format!(
                "the {} tree found may not be the version flake.lock pins",
                tree.name()
            ),
            Some(index) if !index.complete() => format!(
                "the {} index is incomplete ({} files not read)",
                tree.name(),
                index.unknown_files.len()
            ),
            Some(_) if cx.closure.unknown => {
                "the host's closure has a module that could not be worked out".to_string()
            }
            Some(_) => format!(
                "the closure imports external modules ({}) that may declare it",
                cx.closure.external.join(", ")
            ),
        };
        return format!("`{first}` is an upstream namespace and {why}");
    }
    if !cx.top_level_owned {
        return if cx.summaries.is_none() {
            "no host's closure has this file, so which options it may set is not known".into()
        } else {
            format!(
                "`{first}` could be declared by a module of the closure that could not be worked out"
            )
        };
    }
    if let Some(external) = cx
        .closure
        .external
        .iter()
        .find(|description| crate::known::externals::may_declare_top_level(description, first))
    {
        return format!("`{first}` may be declared by the external module {external}");
    }
    if cx.repo.root.child(first).is_none() {
        return format!(
            "no module of this repository declares anything under `{first}`: it may come \
             from a flake input's module"
        );
    }
    format!("`{first}` is not a namespace the repository owns")
}
