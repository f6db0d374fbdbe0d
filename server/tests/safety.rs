//! The analysis crates (syntax, db, analysis, ide) never spawn a process,
//! open a socket, touch the file system or the environment: files reach
//! them only as salsa inputs. This scans their source and their declared
//! dependencies and fails on anything that could do IO (docs/security.md).

use std::path::{Path, PathBuf};

const CRATES: &[&str] = &["syntax", "db", "analysis", "ide"];

/// Tokens of std and libc APIs that spawn, connect, read or write. Each is
/// matched at a word boundary on the left (so `SourceFile::` does not
/// match `File::`).
const FORBIDDEN: &[&str] = &[
    "std::process",
    "process::Command",
    "Command::new",
    "std::net",
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "UnixStream",
    "UnixListener",
    "UnixDatagram",
    "std::fs",
    "fs::",
    "File::",
    "OpenOptions",
    "std::io::stdout",
    "std::io::stdin",
    "std::env",
    "env::var",
    "std::os",
    "libc",
    "extern \"C\"",
    "tokio",
    "#[link",
];

/// Crates that bring IO with them; none may be a dependency of an
/// analysis crate.
const FORBIDDEN_DEPENDENCIES: &[&str] = &[
    "tokio",
    "libc",
    "nix",
    "mio",
    "socket2",
    "reqwest",
    "ureq",
    "hyper",
    "curl",
    "tempfile",
    "ignore",
    "walkdir",
    "notify",
    "tower-lsp",
    "tracing-subscriber",
    "dirs",
];

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn hits(text: &str) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for token in FORBIDDEN {
            let mut from = 0;
            while let Some(at) = code[from..].find(token) {
                let start = from + at;
                let before = code[..start].chars().next_back();
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    found.push((number + 1, *token));
                }
                from = start + token.len();
            }
        }
    }
    found
}

#[test]
fn analysis_crates_do_no_io() {
    let mut problems = Vec::new();
    let mut scanned = 0;
    for name in CRATES {
        let mut files = Vec::new();
        rust_files(&crates_dir().join(name).join("src"), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            scanned += 1;
            for (line, token) in hits(&text) {
                problems.push(format!("{}:{line}: `{token}`", file.display()));
            }
        }
    }
    assert!(scanned > 20, "only {scanned} source files found");
    assert!(
        problems.is_empty(),
        "IO in analysis crates:\n{}",
        problems.join("\n")
    );
}

#[test]
fn analysis_crates_have_no_io_dependencies() {
    let mut problems = Vec::new();
    for name in CRATES {
        let manifest = std::fs::read_to_string(crates_dir().join(name).join("Cargo.toml")).unwrap();
        let manifest: toml::Table = manifest.parse().unwrap();
        let Some(deps) = manifest.get("dependencies").and_then(|d| d.as_table()) else {
            continue;
        };
        for dep in deps.keys() {
            if FORBIDDEN_DEPENDENCIES.contains(&dep.as_str()) {
                problems.push(format!("{name} depends on {dep}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_scan_sees_what_it_looks_for() {
    let sample = "use std::process::Command;\nlet f = std::fs::File::create(p);\n\
                  let s = SourceFile::new(db);\n// std::net in a comment\n";
    let found: Vec<usize> = hits(sample).iter().map(|(line, _)| *line).collect();
    assert_eq!(found, [1, 1, 2, 2, 2]);
}
