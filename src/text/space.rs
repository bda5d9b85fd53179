//! White space between words.

/// `text`'s words (split at white space, as `str::split_whitespace` has
/// it) joined by single spaces: runs of spaces, tabs and line breaks become
/// one space, and none is left at either end. Written into one buffer,
/// since extraction does it for every block of every page.
pub fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_white_space_become_one_space() {
        for text in [
            "  a \t b\n\nc  ",
            "",
            "   ",
            "one",
            "港口\u{3000}城市 x\u{a0}y",
        ] {
            let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(collapse(text), joined, "{text:?}");
        }
        assert_eq!(collapse(" a \t b\n"), "a b");
    }
}
