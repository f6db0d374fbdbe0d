//! `check --explain` as plain data: for each file, how hosts reach it and
//! each definition no host checked, with why (see
//! `flakelens_analysis::diagnostics::explain_files`).

use flakelens_analysis::diagnostics::explain_files;
use flakelens_db::RootDatabase;
use flakelens_syntax::TextRange;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub path: String,
    pub context: Vec<String>,
    pub silences: Vec<SilentDefinition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilentDefinition {
    /// The definition's path as written.
    pub range: TextRange,
    pub option: String,
    /// `host: reason`, one a distinct reason.
    pub reasons: Vec<String>,
}

pub(crate) fn explain(db: &RootDatabase, paths: &[String]) -> Vec<Explanation> {
    let files: Vec<_> = paths
        .iter()
        .filter(|path| path.ends_with(".nix"))
        .filter_map(|path| flakelens_db::file_at(db, path))
        .collect();
    explain_files(db, &files)
        .into_iter()
        .map(|explanation| Explanation {
            path: explanation.file.path(db).clone(),
            context: explanation.context,
            silences: explanation
                .silences
                .into_iter()
                .map(|silence| SilentDefinition {
                    range: silence.range.range,
                    option: silence.path,
                    reasons: silence.reasons,
                })
                .collect(),
        })
        .collect()
}
