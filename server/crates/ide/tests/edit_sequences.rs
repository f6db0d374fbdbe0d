//! Property: incremental analysis equals analysis from scratch. Random
//! edit sequences (insert, delete, replace, in several files, breaking and
//! repairing the syntax) are applied one by one to an `AnalysisHost`,
//! which answers after every edit; the final host must give exactly the
//! diagnostics, hosts, options and definitions of a fresh host loaded with
//! the final texts.
//!
//! CI runs a few cases; `FLAKELENS_PROPTEST_CASES=5000 cargo test -p
//! flakelens-ide --release --test edit_sequences` is the long run
//! (docs/performance.md).

mod common;

use flakelens_ide::{Analysis, AnalysisHost};
use flakelens_syntax::{TextRange, TextSize};
use proptest::prelude::*;

/// Text edits draw from Nix fragments that break syntax (`{`, `"`, `${`),
/// change meaning (a wrong type, an unknown option, an import) or repair
/// (`;`, `}`), plus whole-file restores of the original text.
const SNIPPETS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ";",
    "=",
    "\"",
    "${",
    "''",
    " in ",
    "let x = 1; in ",
    "rec ",
    "1",
    "\"8420\"",
    "true",
    "null",
    "services.poglets.port = 1; ",
    "services.nope = 1; ",
    "enable = true; ",
    "imports = [ ./x.nix ]; ",
    "./common.nix",
    "mkIf",
    "lib.mkForce ",
    "é",
    "\n",
    "#",
    "/*",
    "*/",
    "x: ",
    "...",
    "inherit (lib) mkOption; ",
];

#[derive(Debug, Clone)]
enum Edit {
    Insert {
        file: usize,
        at: f64,
        snippet: usize,
    },
    Delete {
        file: usize,
        at: f64,
        len: usize,
    },
    Replace {
        file: usize,
        at: f64,
        len: usize,
        snippet: usize,
    },
    Restore {
        file: usize,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    let file = 0..64usize;
    let at = 0.0..1.0f64;
    let snippet = 0..SNIPPETS.len();
    prop_oneof![
        4 => (file.clone(), at.clone(), snippet.clone())
            .prop_map(|(file, at, snippet)| Edit::Insert { file, at, snippet }),
        3 => (file.clone(), at.clone(), 1..40usize)
            .prop_map(|(file, at, len)| Edit::Delete { file, at, len }),
        3 => (file.clone(), at, 1..20usize, snippet)
            .prop_map(|(file, at, len, snippet)| Edit::Replace { file, at, len, snippet }),
        1 => file.prop_map(|file| Edit::Restore { file }),
    ]
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(files: &mut [(String, String)], original: &[(String, String)], edit: &Edit) -> usize {
    let n = files.len();
    let (file, text) = match edit {
        Edit::Insert { file, .. }
        | Edit::Delete { file, .. }
        | Edit::Replace { file, .. }
        | Edit::Restore { file } => (*file % n, &mut files[*file % n].1),
    };
    let at = |frac: f64, text: &str| floor_boundary(text, (frac * text.len() as f64) as usize);
    match edit {
        Edit::Insert {
            at: frac, snippet, ..
        } => {
            let start = at(*frac, text);
            text.insert_str(start, SNIPPETS[*snippet]);
        }
        Edit::Delete { at: frac, len, .. } => {
            let start = at(*frac, text);
            let end = floor_boundary(text, start + len);
            text.replace_range(start..end, "");
        }
        Edit::Replace {
            at: frac,
            len,
            snippet,
            ..
        } => {
            let start = at(*frac, text);
            let end = floor_boundary(text, start + len);
            text.replace_range(start..end, SNIPPETS[*snippet]);
        }
        Edit::Restore { .. } => *text = original[file].1.clone(),
    }
    file
}

/// Everything the property compares, as plain data.
#[derive(Debug, PartialEq)]
struct Observed {
    diagnostics: Vec<(String, Vec<flakelens_ide::Diagnostic>)>,
    hosts: Vec<flakelens_ide::HostInfo>,
    options: Option<Vec<flakelens_ide::OptionInfo>>,
    host_options: Vec<Option<Vec<flakelens_ide::OptionInfo>>>,
    /// Every option's references (declarations and definitions).
    option_references: Vec<Vec<flakelens_ide::references::Reference>>,
    /// Go-to-definition at a spread of offsets in every file.
    definitions: Vec<Vec<flakelens_ide::scope::NavTarget>>,
}

fn observe(analysis: &Analysis) -> Observed {
    let hosts = analysis.hosts().unwrap();
    let options = analysis.options(None).unwrap();
    let option_references = options
        .iter()
        .flatten()
        .filter_map(|option| option.declared_at.clone())
        .map(|(path, range)| analysis.references(&path, range.start(), true).unwrap())
        .collect();
    let mut definitions = Vec::new();
    for path in analysis.files() {
        let len = analysis.file_text(&path).unwrap().len();
        for offset in (0..len).step_by(23) {
            definitions.push(
                analysis
                    .goto_definition(&path, TextSize::from(offset as u32))
                    .unwrap(),
            );
        }
    }
    Observed {
        diagnostics: analysis.workspace_diagnostics().unwrap(),
        host_options: hosts
            .iter()
            .map(|host| analysis.options(Some(&host.name)).unwrap())
            .collect(),
        hosts,
        options,
        option_references,
        definitions,
    }
}

fn cases() -> u32 {
    std::env::var("FLAKELENS_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(16)
}

fn check_sequence(original: &[(String, String)], edits: &[Edit]) -> Result<(), TestCaseError> {
    let mut files = original.to_vec();
    let mut host: AnalysisHost = common::load_fixture(&files);
    host.analysis().workspace_diagnostics().unwrap();
    for edit in edits {
        let changed = apply(&mut files, original, edit);
        let (path, text) = &files[changed];
        host.set_file_text(path, text);
        // Answer something after each edit so that memoised results from
        // the intermediate states exist and must be invalidated right.
        let analysis = host.analysis();
        analysis.workspace_diagnostics().unwrap();
        analysis.diagnostics(path).unwrap();
        analysis.hosts().unwrap();
        analysis
            .completions(path, TextSize::from((text.len() / 2) as u32))
            .unwrap();
        analysis
            .code_actions(path, TextRange::empty(TextSize::from(0)))
            .unwrap();
    }
    let incremental = observe(&host.analysis());
    let fresh = observe(&common::load_fixture(&files).analysis());
    prop_assert_eq!(incremental, fresh);
    Ok(())
}

#[test]
fn incremental_edits_equal_a_fresh_analysis() {
    common::on_big_stack(|| {
        let original = common::poglets_files();
        let config = ProptestConfig {
            cases: cases(),
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        proptest!(config, |(edits in prop::collection::vec(edit(), 1..10))| {
            check_sequence(&original, &edits)?;
        });
    });
}
