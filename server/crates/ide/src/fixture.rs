//! Multi-file fixtures for tests: `#- /path` headers start a file, `$0`
//! marks the cursor (at most once).
//!
//! ```text
//! #- /flake.nix
//! { outputs = _: { }; }
//! #- /hosts/a.nix
//! { services.x.$0 }
//! ```
//!
//! A text without headers is one file, `/module.nix`; in a text with
//! headers, the lines before the first are a description (the pattern
//! fixtures' comment block). Leading indentation common to all lines of a
//! file is not removed: write fixtures flush left. This is the one fixture
//! parser: the ide's unit tests, its integration tests (`tests/common`) and
//! the binary's package-listing test all read fixtures through it.

use flakelens_db::Settings;
use flakelens_syntax::TextSize;

use crate::AnalysisHost;

pub const CURSOR: &str = "$0";

/// A parsed fixture: files and the cursor, if any.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    pub files: Vec<(String, String)>,
    /// The file holding `$0` and the offset of the marker (removed).
    pub cursor: Option<(String, TextSize)>,
}

impl Fixture {
    pub fn parse(text: &str) -> Fixture {
        let mut fixture = Fixture::default();
        let mut current: Option<(String, String)> = None;
        let has_headers = text
            .split_inclusive('\n')
            .any(|line| line.starts_with("#- "));
        for line in text.split_inclusive('\n') {
            if let Some(path) = line.strip_prefix("#- ") {
                if let Some(file) = current.take() {
                    fixture.push(file);
                }
                current = Some((path.trim().to_string(), String::new()));
                continue;
            }
            match &mut current {
                Some((_, body)) => body.push_str(line),
                None => {
                    if has_headers || line.trim().is_empty() {
                        continue;
                    }
                    current = Some(("/module.nix".to_string(), line.to_string()));
                }
            }
        }
        if let Some(file) = current.take() {
            fixture.push(file);
        }
        fixture
    }

    fn push(&mut self, (path, mut body): (String, String)) {
        if let Some(index) = body.find(CURSOR) {
            assert!(self.cursor.is_none(), "fixture has more than one $0");
            body.replace_range(index..index + CURSOR.len(), "");
            self.cursor = Some((path.clone(), TextSize::from(index as u32)));
        }
        self.files.push((path, body));
    }

    /// An analysis host with the fixture's files loaded at root `/`.
    pub fn host(&self) -> AnalysisHost {
        let mut host = AnalysisHost::new();
        host.load(
            "/".to_string(),
            self.files.clone(),
            Vec::new(),
            Settings::default(),
        );
        host
    }
}

/// One text with a `$0` cursor: the text without it, and its offset.
pub fn cursor(text: &str) -> (String, TextSize) {
    let fixture = Fixture::parse(text);
    let (_, offset) = fixture.cursor.expect("fixture has no $0 cursor");
    let (_, body) = fixture.files.into_iter().next().expect("a file");
    (body, offset)
}

/// Parses a fixture with a cursor: the host, the cursor's file and offset.
pub fn with_cursor(text: &str) -> (AnalysisHost, String, TextSize) {
    let fixture = Fixture::parse(text);
    let (path, offset) = fixture.cursor.clone().expect("fixture has no $0 cursor");
    (fixture.host(), path, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_files_and_cursor() {
        let fixture = Fixture::parse("#- /a.nix\n{ x = 1; }\n#- /b/c.nix\n{ y = $02; }\n");
        assert_eq!(
            fixture.files,
            vec![
                ("/a.nix".to_string(), "{ x = 1; }\n".to_string()),
                ("/b/c.nix".to_string(), "{ y = 2; }\n".to_string()),
            ]
        );
        assert_eq!(
            fixture.cursor,
            Some(("/b/c.nix".to_string(), TextSize::from(6)))
        );
    }

    #[test]
    fn text_before_the_first_header_describes() {
        let fixture = Fixture::parse("# what this shows\n#- /a.nix\n{ }\n");
        assert_eq!(
            fixture.files,
            vec![("/a.nix".to_string(), "{ }\n".to_string())]
        );
    }

    #[test]
    fn text_without_header_is_one_module() {
        let fixture = Fixture::parse("{ a = $0; }");
        assert_eq!(fixture.files[0].0, "/module.nix");
        assert_eq!(fixture.cursor.unwrap().1, TextSize::from(6));
    }
}
