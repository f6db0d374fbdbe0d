//! Replays the fuzz corpus on stable: every seed under `fuzz/seeds/<target>`
//! and every input a fuzzer once crashed on (`fuzz/regressions/<target>`)
//! goes through the same entry function as the fuzz target. A panic fails.

use std::path::Path;

fn replay(target: &str, entry: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut count = 0;
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).unwrap();
            eprintln!("{}", path.display());
            entry(&data);
            count += 1;
        }
    }
    assert!(count > 0, "no corpus for fuzz target {target}");
}

#[test]
fn file_corpus() {
    replay("file", flakelens::fuzz::analyse_file);
}

#[test]
fn workspace_corpus() {
    replay("workspace", flakelens::fuzz::analyse_workspace);
}

#[test]
fn lsp_corpus() {
    replay("lsp", flakelens::fuzz::lsp_session);
}
