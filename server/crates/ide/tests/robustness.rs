//! Bad input never panics: the poglets fixture is mutated many times in a
//! deterministic way (deletions, duplications, stray brackets, invalid
//! interpolations) and every analysis and IDE feature runs over the result
//! at many offsets. A panic anywhere fails the test.

mod common;

/// A small deterministic generator (no external crates needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

const INSERTS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ";",
    "=",
    "\"",
    "${",
    "''",
    "let ",
    " in ",
    "rec ",
    "./x.nix",
    "with lib; ",
    "import ./flake.nix",
    "@",
    ":",
    "or",
    "...",
    "inherit ",
    "//",
    "\\",
    "é",
    "\r\n",
];

fn mutate(text: &str, rng: &mut Lcg) -> String {
    let chars: Vec<char> = text.chars().collect();
    let i = rng.next(chars.len() + 1);
    let j = (i + rng.next(40)).min(chars.len());
    let (before, middle, after): (String, String, String) = (
        chars[..i].iter().collect(),
        chars[i..j].iter().collect(),
        chars[j..].iter().collect(),
    );
    match rng.next(4) {
        0 => format!("{before}{after}"),
        1 => format!("{before}{middle}{middle}{after}"),
        2 => format!(
            "{before}{}{middle}{after}",
            INSERTS[rng.next(INSERTS.len())]
        ),
        _ => format!("{before}{after}{middle}"),
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    common::on_big_stack(|| {
        let original = common::poglets_files();
        let mut rng = Lcg(0x5eed);
        let mut host = common::load_fixture(&original);
        for round in 0..120 {
            // Mutate one or two files of the current (already mutated) tree.
            for _ in 0..1 + rng.next(2) {
                let (path, _) = &original[rng.next(original.len())];
                let current = host.analysis().file_text(path).unwrap().to_string();
                host.set_file_text(path, &mutate(&current, &mut rng));
            }
            // Every few rounds, start again from the clean fixture.
            if round % 30 == 29 {
                for (path, text) in &original {
                    host.set_file_text(path, text);
                }
            }
            let analysis = host.analysis();
            analysis.workspace_diagnostics().unwrap();
            analysis.hosts().unwrap();
            analysis.options(None).unwrap();
            analysis.packages().unwrap();
            analysis.workspace_symbols("pog").unwrap();
            for (path, _) in &original {
                let text = analysis.file_text(path).unwrap();
                analysis.document_symbols(path).unwrap();
                for _ in 0..4 {
                    let offset = flakelens_syntax::TextSize::from(rng.next(text.len() + 2) as u32);
                    analysis.goto_definition(path, offset).unwrap();
                    analysis.completions(path, offset).unwrap();
                    analysis.hover(path, offset).unwrap();
                    analysis.references(path, offset, true).unwrap();
                    analysis
                        .code_actions(
                            path,
                            flakelens_syntax::TextRange::empty(
                                offset.min(flakelens_syntax::TextSize::of(&*text)),
                            ),
                        )
                        .unwrap();
                }
            }
        }
    });
}

/// Found by the `file` fuzz target: the package features asked rowan for
/// the token at an offset past the end of the file, which panics.
#[test]
fn package_features_past_the_end() {
    common::on_big_stack(|| {
        let text = "{ a = { b = [ 1 2 ; c = let in ; ${ } \"unterminated\n";
        let host = common::load_fixture(&[("/flake.nix".to_string(), text.to_string())]);
        let analysis = host.analysis();
        for offset in [text.len(), text.len() + 1, text.len() + 2, text.len() + 40] {
            let offset = flakelens_syntax::TextSize::from(offset as u32);
            assert_eq!(
                analysis.package_definition("/flake.nix", offset).unwrap(),
                None
            );
            assert_eq!(analysis.package_hover("/flake.nix", offset).unwrap(), None);
            analysis.package_completions("/flake.nix", offset).unwrap();
        }
    });
}
