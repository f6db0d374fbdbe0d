//! Option descriptions as plain Markdown: nixpkgs' MyST roles and
//! admonitions, and 2020-era DocBook tags, turned into what editors render.

use std::sync::OnceLock;

use regex::Regex;

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid pattern"))
}

/// `{option}\`x\`` → `` `x` ``, `::: {.note}` → a quoted paragraph,
/// `<literal>x</literal>` → `` `x` ``, `<link xlink:href="u">t</link>` →
/// `[t](u)`; other tags dropped.
pub fn doc_markdown(text: &str) -> String {
    static ROLE: OnceLock<Regex> = OnceLock::new();
    static CODE_TAG: OnceLock<Regex> = OnceLock::new();
    static LINK: OnceLock<Regex> = OnceLock::new();
    static LINK_EMPTY: OnceLock<Regex> = OnceLock::new();
    static XREF: OnceLock<Regex> = OnceLock::new();
    static EMPHASIS: OnceLock<Regex> = OnceLock::new();
    static LISTING: OnceLock<Regex> = OnceLock::new();
    static ITEM: OnceLock<Regex> = OnceLock::new();
    static PARA: OnceLock<Regex> = OnceLock::new();
    static TAG: OnceLock<Regex> = OnceLock::new();
    static BLANKS: OnceLock<Regex> = OnceLock::new();

    let text = unindent(text);
    let text = re(
        &ROLE,
        r"\{(option|env|command|file|var|manpage|code)\}`([^`]*)`",
    )
    .replace_all(&text, "`$2`");
    let text = re(
        &LISTING,
        r"(?s)<(?:programlisting|screen)[^>]*>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</(?:programlisting|screen)>",
    )
    .replace_all(&text, "\n```\n$1\n```\n");
    let text = re(
        &CODE_TAG,
        r"(?s)<(literal|option|command|filename|varname|envar|package|code|replaceable|function|constant|uri|systemitem)(?:\s[^>]*)?>(.*?)</(?:literal|option|command|filename|varname|envar|package|code|replaceable|function|constant|uri|systemitem)>",
    )
    .replace_all(&text, "`$2`");
    let text = re(
        &LINK,
        r#"(?s)<(?:link|ulink)\s+(?:xlink:href|url)="([^"]*)"\s*>(.*?)</(?:link|ulink)>"#,
    )
    .replace_all(&text, "[$2]($1)");
    let text = re(
        &LINK_EMPTY,
        r#"<(?:link|ulink)\s+(?:xlink:href|url)="([^"]*)"\s*/>"#,
    )
    .replace_all(&text, "<$1>");
    let text = re(&XREF, r#"<xref\s+linkend="(?:opt-)?([^"]*)"\s*/>"#).replace_all(&text, "`$1`");
    let text = re(&EMPHASIS, r"(?s)<emphasis[^>]*>(.*?)</emphasis>").replace_all(&text, "*$1*");
    let text = re(&ITEM, r"<listitem>\s*").replace_all(&text, "\n- ");
    let text = re(&PARA, r"</?para>|</?simpara>").replace_all(&text, "\n\n");
    let text = re(&TAG, r"</?[a-zA-Z][a-zA-Z:]*(?:\s[^<>]*)?/?>").replace_all(&text, "");
    let text = admonitions(&text);
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    re(&BLANKS, r"\n{3,}")
        .replace_all(text.trim(), "\n\n")
        .into_owned()
}

/// `::: {.note}` … `:::` → `> **Note:** …`.
fn admonitions(text: &str) -> String {
    let mut out = String::new();
    let mut quoting = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix(":::") {
            let rest = rest.trim();
            if rest.is_empty() {
                quoting = false;
                continue;
            }
            let kind = rest
                .trim_start_matches('{')
                .trim_end_matches('}')
                .trim_start_matches('.');
            let mut label: String = kind.chars().take(1).flat_map(char::to_uppercase).collect();
            label.extend(kind.chars().skip(1));
            out.push_str(&format!("> **{label}:**\n"));
            quoting = true;
            continue;
        }
        if quoting {
            out.push_str("> ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Removes the indentation common to every non-blank line (multi-line
/// strings in `''…''` are already unindented by Nix; `"…"` ones are not).
fn unindent(text: &str) -> String {
    let indent = text
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(line.get(indent..).unwrap_or(line.trim_start()));
        } else {
            out.push_str(line.trim_start());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::doc_markdown;

    #[test]
    fn roles_admonitions_and_docbook() {
        assert_eq!(
            doc_markdown("Set {option}`services.x.enable` and {env}`HOME`."),
            "Set `services.x.enable` and `HOME`."
        );
        assert_eq!(
            doc_markdown("Intro.\n\n::: {.note}\nBe careful.\n:::\n\nAfter."),
            "Intro.\n\n> **Note:**\n> Be careful.\n\nAfter."
        );
        assert_eq!(
            doc_markdown(
                "Use <literal>foo</literal>, see <link xlink:href=\"https://x.org\">the site</link> and <xref linkend=\"opt-boot.loader.grub.device\"/>."
            ),
            "Use `foo`, see [the site](https://x.org) and `boot.loader.grub.device`."
        );
        assert_eq!(
            doc_markdown("<para>One.</para><para>Two &amp; <emphasis>three</emphasis>.</para>"),
            "One.\n\nTwo & *three*."
        );
    }
}
