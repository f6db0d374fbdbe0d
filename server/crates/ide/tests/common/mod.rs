//! Shared helpers for fixture tests.
#![allow(dead_code)]

use flakelens_ide::AnalysisHost;

/// Splits a multi-file fixture into (path, text) pairs: the one parser,
/// `flakelens_ide::fixture` (lines before the first `#- /path` header are a
/// description).
pub fn parse_fixture(text: &str) -> Vec<(String, String)> {
    flakelens_ide::fixture::Fixture::parse(text).files
}

/// Loads the `.nix` files of a fixture; a `/flakelens.toml` section gives
/// the settings (only `directories = [ … ]` under `[packages]` is read).
pub fn load_fixture(files: &[(String, String)]) -> AnalysisHost {
    let mut host = AnalysisHost::new();
    let mut settings = flakelens_db::Settings::default();
    for (path, text) in files {
        if path == "/flakelens.toml" {
            for line in text.lines() {
                if let Some(list) = line.trim().strip_prefix("directories") {
                    settings.package_directories = list
                        .split('"')
                        .skip(1)
                        .step_by(2)
                        .map(|dir| format!("/{}", dir.trim_start_matches("./").trim_matches('/')))
                        .collect();
                }
            }
        }
    }
    let nix_files = files
        .iter()
        .filter(|(path, _)| {
            path.ends_with(".nix")
                || (path.ends_with(".toml") || path.ends_with(".json")) && path != "/flakelens.toml"
        })
        .cloned()
        .collect();
    host.load("/".to_string(), nix_files, Vec::new(), settings);
    host
}

/// Runs `f` with the stack size analysis threads get in production.
pub fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(flakelens_syntax::ANALYSIS_STACK_SIZE)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub path: String,
    pub start: u32,
    pub end: u32,
    pub severity: String,
    pub code: String,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}[{}] at {} {}..{}",
            self.severity, self.code, self.path, self.start, self.end
        )
    }
}

/// Annotation lines: `#   ^^^^ error[code]` under the line they point at.
pub fn expected_diagnostics(files: &[(String, String)]) -> Vec<Expected> {
    let mut out = Vec::new();
    for (path, text) in files {
        let mut offset = 0usize;
        let mut previous: Option<(usize, &str)> = None;
        for line in text.split_inclusive('\n') {
            let content = line.trim_end_matches('\n');
            if let Some(annotation) = parse_annotation(content) {
                let (line_start, line_text) = previous.expect("annotation under a code line");
                let (caret_col, caret_len, severity, code) = annotation;
                let start = line_start + char_to_byte(line_text, caret_col);
                let end = line_start + char_to_byte(line_text, caret_col + caret_len);
                out.push(Expected {
                    path: path.clone(),
                    start: start as u32,
                    end: end as u32,
                    severity,
                    code,
                });
            } else {
                previous = Some((offset, content));
            }
            offset += line.len();
        }
    }
    out
}

fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map(|(index, _)| index)
        .unwrap_or(text.len())
}

/// (first caret column in chars, caret count, severity, code).
fn parse_annotation(line: &str) -> Option<(usize, usize, String, String)> {
    let trimmed = line.trim_start();
    let rest = trimmed.strip_prefix('#')?;
    let carets_at = rest.find('^')?;
    if !rest[..carets_at].chars().all(|c| c == ' ') {
        return None;
    }
    let after = &rest[carets_at..];
    let count = after.chars().take_while(|c| *c == '^').count();
    let label = after[count..].trim();
    let (severity, code) = label.split_once('[')?;
    let code = code.strip_suffix(']')?;
    if !matches!(severity, "error" | "warning") {
        return None;
    }
    let hash_col = line.chars().count() - trimmed.chars().count();
    let caret_col = hash_col + 1 + rest[..carets_at].chars().count();
    Some((caret_col, count, severity.to_string(), code.to_string()))
}

/// The `.nix` files of `tests/fixtures/poglets`, with VFS paths under `/`.
pub fn poglets_files() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|ext| ext == "nix") {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((
                    format!("/{relative}"),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/fixtures/poglets");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}
