//! The user docs are tested: every example of docs/diagnostics.md (a
//! fixture block followed by a `$ flakelens …` block) is run and its output
//! compared with the documented one, every code has one; and docs/cli.md
//! names every subcommand, flag and value that `--help` lists, and no flag
//! that does not exist.

use std::path::{Path, PathBuf};
use std::process::Command;

fn docs(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs")
            .join(name),
    )
    .unwrap()
}

/// Fenced code blocks: (info string, body with the fence's indentation
/// removed, line of the opening fence).
fn blocks(markdown: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut open: Option<(String, usize, String, usize)> = None;
    for (number, line) in markdown.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    open = Some((info.trim().to_string(), indent, String::new(), number + 1));
                }
            }
            Some((info, fence_indent, body, start)) => {
                if trimmed == "```" {
                    out.push((info.clone(), std::mem::take(body), *start));
                    open = None;
                } else {
                    let cut = indent.min(*fence_indent);
                    body.push_str(&line[cut..]);
                    body.push('\n');
                }
            }
        }
    }
    out
}

struct Example {
    line: usize,
    files: Vec<(String, Option<String>)>,
    args: Vec<String>,
    expected: String,
}

fn examples(markdown: &str) -> Vec<Example> {
    let blocks = blocks(markdown);
    let mut out = Vec::new();
    for pair in blocks.windows(2) {
        let (fixture, console) = (&pair[0], &pair[1]);
        if !fixture.1.starts_with("#- ") || console.0 != "console" {
            continue;
        }
        let mut files: Vec<(String, Option<String>)> = Vec::new();
        for line in fixture.1.split_inclusive('\n') {
            if let Some(header) = line.strip_prefix("#- ") {
                let header = header.trim();
                let is_link = header.contains(" -> ");
                files.push((header.to_string(), (!is_link).then(String::new)));
            } else if let Some((_, Some(text))) = files.last_mut() {
                text.push_str(line);
            }
        }
        let (command, expected) = console.1.split_once('\n').unwrap();
        let args: Vec<String> = command
            .strip_prefix("$ flakelens ")
            .unwrap_or_else(|| panic!("line {}: not a flakelens command", console.2))
            .split_whitespace()
            .map(String::from)
            .collect();
        out.push(Example {
            line: fixture.2,
            files,
            args,
            expected: expected.to_string(),
        });
    }
    out
}

fn scratch_dir(tag: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flakelens-docs-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

fn trim_lines(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

fn run_example(example: &Example) -> String {
    let dir = scratch_dir(example.line);
    for (name, text) in &example.files {
        match text {
            Some(text) => {
                let path = dir.join(name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            None => {
                let (link, target) = name.split_once(" -> ").unwrap();
                #[cfg(unix)]
                std::os::unix::fs::symlink(target, dir.join(link)).unwrap();
                #[cfg(not(unix))]
                let _ = (link, target);
            }
        }
    }
    let output = Command::new(env!("CARGO_BIN_EXE_flakelens"))
        .args(&example.args)
        .current_dir(&dir)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn every_diagnostics_example_prints_what_the_docs_say() {
    let markdown = docs("diagnostics.md");
    let mut failures = Vec::new();
    for example in &examples(&markdown) {
        let actual = run_example(example);
        if trim_lines(&actual) != trim_lines(&example.expected) {
            failures.push(format!(
                "docs/diagnostics.md:{}: expected\n{}\n--- but flakelens printed\n{actual}",
                example.line, example.expected
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    // Every code's section has an example whose output shows that code.
    let sections: Vec<(&str, &str)> = markdown
        .split("<a id=\"")
        .skip(1)
        .filter_map(|section| {
            let (id, rest) = section.split_once("\"></a>")?;
            rest.trim_start().starts_with("## `").then_some((id, rest))
        })
        .collect();
    assert!(sections.len() >= 12, "{}", sections.len());
    for (code, section) in sections {
        let shown = examples(section)
            .iter()
            .any(|example| example.expected.contains(&format!("[{code}]")));
        assert!(shown, "docs/diagnostics.md: no example shows {code}");
    }
}

fn help(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_flakelens"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `--long-flag` tokens of a text.
fn flags(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (index, _) in text.match_indices("--") {
        let rest = &text[index + 2..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '-')
            .collect();
        let before = text[..index].chars().last();
        if name.len() > 1 && !before.is_some_and(|c| c.is_alphanumeric() || c == '-') {
            out.push(format!("--{name}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn cli_reference_matches_help() {
    let reference = docs("cli.md");
    let top = help(&[]);
    let commands: Vec<String> = top
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(String::from)
        .collect();
    assert!(commands.contains(&"check".to_string()), "{top}");
    let mut known = vec!["--help".to_string(), "--version".to_string()];
    for command in &commands {
        assert!(
            reference.contains(&format!("flakelens {command}")),
            "docs/cli.md does not describe `flakelens {command}`"
        );
        let text = help(&[command]);
        for flag in flags(&text) {
            assert!(
                reference.contains(&flag) || flag == "--help",
                "docs/cli.md does not describe {command} {flag}"
            );
            known.push(flag);
        }
        for values in text.split("[possible values: ").skip(1) {
            for value in values.split(']').next().unwrap().split(", ") {
                assert!(
                    reference.contains(value),
                    "docs/cli.md does not describe the value `{value}` of {command}"
                );
            }
        }
    }
    // Other tools' flags (`cargo install --path`) are not ours.
    let ours: String = reference
        .lines()
        .filter(|line| !line.contains("cargo "))
        .collect::<Vec<_>>()
        .join("\n");
    for flag in flags(&ours) {
        assert!(
            known.contains(&flag),
            "docs/cli.md describes {flag}, which no subcommand has"
        );
    }
}
