//! Code lenses and inlay hints: which hosts set each option a file
//! declares, and the defaults of the options a `services.x = { … }` block
//! leaves unset. Only the repo's own options (upstream ones are too many
//! to be helpful).

use std::collections::{BTreeSet, HashMap, HashSet};

use flakelens_analysis::hosts::{hosts, HostKey};
use flakelens_analysis::module::{Declaration, DefEntry, DefKind};
use flakelens_analysis::options::repo_options;
use flakelens_analysis::Segment;
use flakelens_db::Db;
use flakelens_syntax::{TextRange, TextSize};

use crate::scope;

/// A lens on an option declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionLens {
    /// The declaration's key.
    pub range: TextRange,
    pub option: String,
    /// Hosts whose modules set the option, sorted.
    pub hosts: Vec<String>,
}

/// A hint after the `{` of a definition block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlayHint {
    pub offset: TextSize,
    pub label: String,
}

/// Options shown in one hint at most.
const MAX_UNSET: usize = 3;

pub(crate) fn code_lenses(db: &dyn Db, path: &str) -> Vec<OptionLens> {
    let Some(file) = flakelens_db::file_at(db, path) else {
        return Vec::new();
    };
    let declared: Vec<(Vec<Segment>, TextRange)> = repo_options(db)
        .all()
        .into_iter()
        .filter_map(|(path, decl)| {
            let key = decl.key.filter(|key| key.file == file)?;
            Some((path.clone(), key.range))
        })
        .collect();
    if declared.is_empty() {
        return Vec::new();
    }
    // One walk over each host's definitions: a plain declared path is
    // looked up without copying anything; only `<name>`/`*` paths compare.
    let mut plain: HashMap<Vec<Segment>, Vec<usize>> = HashMap::new();
    let mut wild: Vec<usize> = Vec::new();
    for (i, (path, _)) in declared.iter().enumerate() {
        if path
            .iter()
            .all(|segment| matches!(segment, Segment::Name(_)))
        {
            plain.entry(path.clone()).or_default().push(i);
        } else {
            wild.push(i);
        }
    }
    // Only subtrees on the way to a declared path are walked (a host's
    // definitions hold every attribute of every value it sets): the
    // prefixes of plain paths, and below the part of a wildcard path
    // before its first `<name>`/`*`, up to its length.
    let mut prefixes: HashSet<Vec<Segment>> = HashSet::new();
    let mut wild_roots: Vec<(Vec<Segment>, usize)> = Vec::new();
    for (path, _) in &declared {
        let mut prefix = Vec::new();
        for segment in path {
            match segment {
                Segment::Name(_) => prefix.push(segment.clone()),
                _ => {
                    wild_roots.push((prefix.clone(), path.len()));
                    break;
                }
            }
            prefixes.insert(prefix.clone());
        }
    }
    let towards = Towards {
        prefixes,
        wild_roots,
    };
    let mut setters: Vec<BTreeSet<String>> = vec![BTreeSet::new(); declared.len()];
    for host in &hosts(db).hosts {
        let key = HostKey::new(db, host.kind, host.name.clone());
        for summary in scope::host_summaries(db, key) {
            let mut visit = |names: &[Segment]| {
                for &i in plain.get(names).into_iter().flatten() {
                    setters[i].insert(host.name.clone());
                }
                for &i in &wild {
                    if scope::written_at(names, &declared[i].0) {
                        setters[i].insert(host.name.clone());
                    }
                }
            };
            towards.walk(&summary.definitions, &mut Vec::new(), &mut visit);
        }
    }
    let mut out: Vec<OptionLens> = declared
        .into_iter()
        .zip(setters)
        .map(|((path, range), hosts)| OptionLens {
            range,
            option: flakelens_analysis::display_path(&path),
            hosts: hosts.into_iter().collect(),
        })
        .collect();
    out.sort_by_key(|lens| lens.range.start());
    out
}

/// Where the lens walk descends (see `code_lenses`).
struct Towards {
    prefixes: HashSet<Vec<Segment>>,
    wild_roots: Vec<(Vec<Segment>, usize)>,
}

impl Towards {
    fn on_the_way(&self, path: &[Segment]) -> bool {
        self.prefixes.contains(path)
            || self.wild_roots.iter().any(|(root, len)| {
                path.len() > root.len() && path.len() <= *len && path.starts_with(root)
            })
    }

    /// Calls `f` with each definition path on the way to a declared path,
    /// descending only there.
    fn walk(&self, entries: &[DefEntry], path: &mut Vec<Segment>, f: &mut impl FnMut(&[Segment])) {
        for entry in entries {
            path.push(Segment::Name(entry.name.clone()));
            if self.on_the_way(path) {
                f(path);
                match &entry.value.kind {
                    DefKind::Attrs { entries, .. } => self.walk(entries, path, f),
                    DefKind::List(items) => {
                        path.push(Segment::AnyIndex);
                        if self.on_the_way(path) {
                            for item in items {
                                if let DefKind::Attrs { entries, .. } = &item.kind {
                                    self.walk(entries, path, f);
                                }
                            }
                        }
                        path.pop();
                    }
                    _ => {}
                }
            }
            path.pop();
        }
    }
}

pub(crate) fn inlay_hints(db: &dyn Db, path: &str, range: TextRange) -> Vec<InlayHint> {
    let Some(file) = flakelens_db::file_at(db, path) else {
        return Vec::new();
    };
    let summary = flakelens_analysis::hosts::module_summary(db, file).clone();
    let indexes = scope::indexes_at(db, file, 0.into());
    let mut out = Vec::new();
    scope::walk_definitions(
        &summary.definitions,
        &mut Vec::new(),
        &mut |names, entry| {
            let DefKind::Attrs {
                entries,
                incomplete: false,
            } = &entry.value.kind
            else {
                return;
            };
            let Some(value) = entry.value.range.filter(|value| value.file == file) else {
                return;
            };
            if !range.contains_range(value.range) && range.intersect(value.range).is_none() {
                return;
            }
            // Only a block written out here (`x = { … }`), not `x.y = …` paths.
            let text = file.text(db);
            if text.as_bytes().get(usize::from(value.range.start())) != Some(&b'{') {
                return;
            }
            let segs: Vec<Segment> = names.to_vec();
            let set: HashSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
            let unset = unset_options(&indexes, &segs, &set);
            if unset.is_empty() {
                return;
            }
            let mut shown: Vec<String> = unset
                .iter()
                .take(MAX_UNSET)
                .map(|(name, default)| format!("{name} = {default}"))
                .collect();
            if unset.len() > MAX_UNSET {
                shown.push(format!("+{} more", unset.len() - MAX_UNSET));
            }
            out.push(InlayHint {
                offset: value.range.start() + TextSize::from(1),
                label: format!("unset: {}", shown.join(", ")),
            });
        },
    );
    out.sort_by_key(|hint| hint.offset);
    out
}

/// The own options directly below `path` that `set` leaves unset, with
/// their defaults (options without a default are left out), in the same
/// way in every index.
fn unset_options(
    indexes: &[std::sync::Arc<flakelens_analysis::options::OptionIndex>],
    path: &[Segment],
    set: &HashSet<&str>,
) -> Vec<(String, String)> {
    let mut per_index = indexes.iter().map(|index| {
        let Some(node) = scope::find(index, path) else {
            return Vec::new();
        };
        let mut out: Vec<(String, String)> = Vec::new();
        for (segment, child) in &node.children {
            let Segment::Name(name) = segment else {
                continue;
            };
            let Some(decl) = child.declaration() else {
                continue;
            };
            if set.contains(name.as_str()) || !own(decl) {
                continue;
            }
            if let Some(default) = decl.default.as_ref().filter(|d| d.len() <= 40) {
                out.push((name.clone(), default.clone()));
            }
        }
        out.sort();
        out
    });
    let first = per_index.next().unwrap_or_default();
    if per_index.all(|other| other == first) {
        first
    } else {
        Vec::new()
    }
}

fn own(decl: &Declaration) -> bool {
    decl.meta.upstream.is_none() && decl.alias_of.is_none()
}

#[cfg(test)]
mod tests {
    use flakelens_syntax::TextRange;

    use crate::fixture::Fixture;

    const FIXTURE: &str = r#"
#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.neptune = nixpkgs.lib.nixosSystem { modules = [ ./neptune.nix ]; };
    nixosConfigurations.venus = nixpkgs.lib.nixosSystem { modules = [ ./venus.nix ]; };
    nixosConfigurations.mars = nixpkgs.lib.nixosSystem { modules = [ ./poglets.nix ]; };
  };
}
#- /poglets.nix
{ lib, ... }: {
  options.services.poglets = {
    enable = lib.mkEnableOption "poglets";
    port = lib.mkOption { type = lib.types.port; default = 8000; };
    user = lib.mkOption { type = lib.types.str; default = "poglets"; };
    group = lib.mkOption { type = lib.types.str; default = "poglets"; };
    level = lib.mkOption { type = lib.types.str; default = "info"; };
    extra = lib.mkOption { type = lib.types.str; };
  };
}
#- /neptune.nix
{ imports = [ ./poglets.nix ]; services.poglets = { enable = true; port = 8420; }; }
#- /venus.nix
{ imports = [ ./poglets.nix ]; services.poglets.enable = true; }
"#;

    #[test]
    fn lenses_count_the_hosts_that_set_each_option() {
        let analysis = Fixture::parse(FIXTURE).host().analysis();
        let lenses: Vec<String> = analysis
            .code_lenses("/poglets.nix")
            .unwrap()
            .iter()
            .map(|lens| format!("{} {:?}", lens.option, lens.hosts))
            .collect();
        assert_eq!(
            lenses,
            [
                "services.poglets.enable [\"neptune\", \"venus\"]",
                "services.poglets.port [\"neptune\"]",
                "services.poglets.user []",
                "services.poglets.group []",
                "services.poglets.level []",
                "services.poglets.extra []",
            ]
        );
        assert_eq!(analysis.code_lenses("/neptune.nix").unwrap(), Vec::new());
    }

    #[test]
    fn lenses_of_submodule_options_below_a_name() {
        let text = r#"
#- /flake.nix
{
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.neptune = nixpkgs.lib.nixosSystem { modules = [ ./neptune.nix ]; };
  };
}
#- /tunnels.nix
{ lib, ... }: {
  options.tunnels = lib.mkOption {
    type = lib.types.attrsOf (lib.types.submodule {
      options.port = lib.mkOption { type = lib.types.port; };
    });
  };
}
#- /neptune.nix
{ imports = [ ./tunnels.nix ]; tunnels.web.port = 80; networking.hostName = "n"; }
"#;
        let analysis = Fixture::parse(text).host().analysis();
        let lenses: Vec<String> = analysis
            .code_lenses("/tunnels.nix")
            .unwrap()
            .iter()
            .map(|lens| format!("{} {:?}", lens.option, lens.hosts))
            .collect();
        assert_eq!(
            lenses,
            ["tunnels [\"neptune\"]", "tunnels.<name>.port [\"neptune\"]"]
        );
    }

    #[test]
    fn hints_show_unset_defaults_of_a_block() {
        let analysis = Fixture::parse(FIXTURE).host().analysis();
        let text = analysis.file_text("/neptune.nix").unwrap();
        let all = TextRange::up_to((text.len() as u32).into());
        let hints: Vec<String> = analysis
            .inlay_hints("/neptune.nix", all)
            .unwrap()
            .iter()
            .map(|hint| format!("{} {}", &text[..usize::from(hint.offset)], hint.label))
            .collect();
        assert_eq!(
            hints,
            ["{ imports = [ ./poglets.nix ]; services.poglets = { unset: group = \"poglets\", level = \"info\", user = \"poglets\""]
        );
        // A flat definition has no block to annotate.
        let text = analysis.file_text("/venus.nix").unwrap();
        let all = TextRange::up_to((text.len() as u32).into());
        assert_eq!(analysis.inlay_hints("/venus.nix", all).unwrap(), Vec::new());
    }
}
