//! Why hosts were not found or have partial closures (`flakelens hosts
//! --explain`): each host output, output attribute or host module list
//! that could not be worked out, with where its expression is written.

use flakelens_db::Db;

use super::{host_keys, hosts, HostKind};
use crate::eval::Value;
use crate::module::ModuleRef;
use crate::FileRange;

/// One thing discovery could not work out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// What it is about: `nixosConfigurations.web`, `host web`, …
    pub subject: String,
    pub reason: String,
    /// Where the expression is written, when known.
    pub at: Option<FileRange>,
}

/// Host outputs flakelens reads (kind, output name).
const HOST_OUTPUTS: &[(HostKind, &str)] = &[
    (HostKind::Nixos, "nixosConfigurations"),
    (HostKind::Darwin, "darwinConfigurations"),
    (HostKind::Home, "homeConfigurations"),
    (HostKind::Home, "homeManagerConfigurations"),
];

/// Outputs that hold hosts flakelens does not model yet.
const UNMODELLED_OUTPUTS: &[&str] = &["nixOnDroidConfigurations", "systemConfigs"];

pub fn explain(db: &dyn Db) -> Vec<Explanation> {
    let mut out = Vec::new();
    let say = |out: &mut Vec<Explanation>, subject: &str, reason: &str, at: Option<FileRange>| {
        out.push(Explanation {
            subject: subject.to_string(),
            reason: reason.to_string(),
            at,
        });
    };
    if let Some(flake) = crate::known::flake::flake_file(db) {
        let ev = crate::known::evaluator(db);
        let flake_at = Some(FileRange {
            file: flake,
            range: flakelens_syntax::TextRange::empty(0.into()),
        });
        match ev.force(&ev.flake_self()) {
            Value::Attrs(outputs) => {
                if !HOST_OUTPUTS.iter().any(|(_, o)| outputs.get(o).is_some()) {
                    let reason = if outputs.incomplete {
                        "only partly known, and no host output among the known ones: hosts built under an unknown attribute are not found"
                    } else {
                        "no host output (nixosConfigurations, darwinConfigurations, homeConfigurations) among them"
                    };
                    say(&mut out, "flake outputs", reason, flake_at);
                }
                for name in UNMODELLED_OUTPUTS {
                    if let Some(entry) = outputs.get(name) {
                        say(
                            &mut out,
                            name,
                            "hosts of this output are not modelled",
                            entry.key.or(entry.value.loc()),
                        );
                    }
                }
                for (_, output) in HOST_OUTPUTS {
                    let Some(entry) = outputs.get(output) else {
                        continue;
                    };
                    let at = entry.value.loc().or(entry.key);
                    let Value::Attrs(set) = ev.force(&entry.value) else {
                        say(
                            &mut out,
                            output,
                            "its value could not be evaluated statically",
                            at,
                        );
                        continue;
                    };
                    if set.entries.is_empty() && !set.incomplete {
                        say(&mut out, output, "evaluated to an empty set", at);
                    }
                    if set.incomplete {
                        say(
                            &mut out,
                            output,
                            "only partly known: some hosts may be missing",
                            at,
                        );
                    }
                    for (name, host) in &set.entries {
                        if !matches!(ev.force(&host.value), Value::System(_)) {
                            say(
                                &mut out,
                                &format!("{output}.{name}"),
                                "not recognised as a system (nixosSystem, darwinSystem, homeManagerConfiguration or a modelled framework)",
                                host.value.loc().or(host.key),
                            );
                        }
                    }
                }
            }
            _ => say(
                &mut out,
                "flake outputs",
                "`outputs` could not be evaluated statically; name hosts in flakelens.toml [hosts]",
                flake_at,
            ),
        }
        if ev.exhausted() {
            say(
                &mut out,
                "flake outputs",
                "the evaluation budget ran out: later hosts may be missing",
                flake_at,
            );
        }
    } else if hosts(db).hosts.is_empty() {
        say(
            &mut out,
            "workspace",
            "no flake.nix was loaded (none, or ignored by .gitignore) and no configuration.nix: name hosts in flakelens.toml [hosts]",
            None,
        );
    }
    // Hosts found whose closure is partial: which module list or file.
    let set = hosts(db);
    for key in host_keys(db) {
        let Some(host) = set
            .hosts
            .iter()
            .find(|h| h.kind == *key.kind(db) && h.name == *key.name(db))
        else {
            continue;
        };
        let subject = format!("host {}", host.name);
        if host.roots_incomplete {
            say(
                &mut out,
                &subject,
                "its module list is only partly known (an unknown value in it, or a framework that adds modules of its own)",
                host.call.or(host.name_range),
            );
        }
        let mut seen = std::collections::HashSet::new();
        let mut queue: Vec<ModuleRef> = host.roots.clone();
        while let Some(module) = queue.pop() {
            match module {
                ModuleRef::File { file, .. } => {
                    if !seen.insert(file) {
                        continue;
                    }
                    let (imports, incomplete) = &**super::module_imports(db, file, Some(key));
                    if *incomplete {
                        say(
                            &mut out,
                            &subject,
                            &format!("the imports of {} are only partly known", file.path(db)),
                            Some(FileRange {
                                file,
                                range: flakelens_syntax::TextRange::empty(0.into()),
                            }),
                        );
                    }
                    queue.extend(imports.iter().cloned());
                }
                ModuleRef::Inline { summary, site } => {
                    if summary.imports_incomplete || summary.unknown {
                        say(
                            &mut out,
                            &subject,
                            "an inline module is only partly known",
                            site,
                        );
                    }
                    queue.extend(summary.imports.iter().cloned());
                }
                ModuleRef::Unknown { site } => {
                    say(
                        &mut out,
                        &subject,
                        "a module could not be worked out statically",
                        site,
                    );
                }
                ModuleRef::External { .. } | ModuleRef::Missing { .. } => {}
            }
        }
    }
    out
}
