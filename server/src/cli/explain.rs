//! `check --explain`: after the diagnostics, why the given files' (or every
//! file's) definitions that got none were not checked.

use flakelens_ide::explain::Explanation;
use flakelens_ide::Analysis;
use flakelens_syntax::{LineIndex, PositionEncoding};
use serde_json::{json, Value};

use super::relative;

/// One file's explanation, ready for either format.
pub struct Explained {
    name: String,
    context: Vec<String>,
    /// (line, column, option, reasons), 1-based.
    silences: Vec<(u32, u32, String, Vec<String>)>,
}

/// Explains `paths`, or with `None` every `.nix` file of the workspace
/// (files with nothing to say are left out then).
pub fn collect(analysis: &Analysis, paths: Option<&[String]>) -> Result<Vec<Explained>, String> {
    let all = analysis.files();
    let wanted: Vec<String> = match paths {
        Some(paths) => paths.to_vec(),
        None => all,
    };
    let explanations = analysis
        .explain(&wanted)
        .map_err(|_| "analysis was cancelled".to_string())?;
    let root = analysis.root();
    Ok(explanations
        .into_iter()
        .filter(|explanation| paths.is_some() || !explanation.silences.is_empty())
        .map(|explanation| render(analysis, &root, explanation))
        .collect())
}

fn render(analysis: &Analysis, root: &str, explanation: Explanation) -> Explained {
    let index = analysis
        .file_text(&explanation.path)
        .map(|text| LineIndex::new(text.clone()));
    let silences = explanation
        .silences
        .into_iter()
        .map(|silence| {
            let (line, col) = index
                .as_ref()
                .map(|index| {
                    let at = index.line_col(silence.range.start(), PositionEncoding::Utf32);
                    (at.line + 1, at.col + 1)
                })
                .unwrap_or((1, 1));
            (line, col, silence.option, silence.reasons)
        })
        .collect();
    Explained {
        name: relative(root, &explanation.path),
        context: explanation.context,
        silences,
    }
}

pub fn print_human(explained: &[Explained]) {
    for file in explained {
        println!("explain: {}", file.name);
        for line in &file.context {
            println!("  {line}");
        }
        if file.silences.is_empty() {
            println!("  every definition found here was checked by some host");
        }
        for (line, col, option, reasons) in &file.silences {
            println!("  {}:{line}:{col}: {option}: not checked", file.name);
            for reason in reasons {
                println!("    {reason}");
            }
        }
        println!();
    }
}

pub fn to_json(explained: &[Explained]) -> Value {
    Value::Array(
        explained
            .iter()
            .map(|file| {
                json!({
                    "file": file.name,
                    "context": file.context,
                    "silent": file.silences.iter().map(|(line, column, option, reasons)| json!({
                        "line": line,
                        "column": column,
                        "option": option,
                        "reasons": reasons,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}
