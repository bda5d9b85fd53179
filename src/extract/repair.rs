//! Markup damage that would hide a whole page from the parser, mended
//! before parsing.
//!
//! A `<title>` that is never closed: its text is raw text to an HTML
//! parser, so everything after it, the whole body included, becomes the
//! title and the page reads as empty. Pages captured or served truncated
//! carry this (a title cut off and glued to the middle of a script); a
//! title is one line, so it is closed at its first line break or tag.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::built_in;

/// The opening tag of the document's title.
static TITLE_OPEN: LazyLock<Regex> = LazyLock::new(|| built_in(r"(?i)<title\b[^>]*>"));

/// A closing title tag: the name must end there ("</titlevalue=…>", a
/// template's damage, closes nothing).
static TITLE_CLOSE: LazyLock<Regex> = LazyLock::new(|| built_in(r"(?i)</title[\s/>]"));

/// The page with an unclosed `<title>` closed at the end of its first line
/// (or before the first tag inside it); other pages unchanged.
pub(crate) fn close_title(html: &str) -> Cow<'_, str> {
    let Some(open) = TITLE_OPEN.find(html) else {
        return Cow::Borrowed(html);
    };
    let rest = &html[open.end()..];
    if TITLE_CLOSE.is_match(rest) {
        return Cow::Borrowed(html);
    }
    let end = rest.find(['\n', '\r', '<']).unwrap_or(rest.len());
    let at = open.end() + end;
    let mut mended = String::with_capacity(html.len() + 8);
    mended.push_str(&html[..at]);
    mended.push_str("</title>");
    mended.push_str(&html[at..]);
    Cow::Owned(mended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_title_is_closed_at_its_line_end() {
        let page = "<html><head><TITLE>Golfer wins title(The Times)ntById(\"font\");\n\
                    obj.style.fontSize = 1;\n</script></head><body><p>The story.</p></body></html>";
        let mended = close_title(page);
        assert!(
            mended.contains("<TITLE>Golfer wins title(The Times)ntById(\"font\");</title>\n"),
            "{mended}"
        );
        let document = dom_query::Document::from(mended.as_ref());
        assert_eq!(document.select("p").text().as_ref(), "The story.");

        let cut = "<title>BBC SPORT<script>x()</script><body><p>Text</p>";
        assert!(close_title(cut).starts_with("<title>BBC SPORT</title><script>"));

        let misnamed = "<title id=\"T\">Bush to Saudis - CBN News</titlevalue=\"true\" -->\n</head><body><p>Oil.</p>";
        assert!(
            close_title(misnamed)
                .starts_with("<title id=\"T\">Bush to Saudis - CBN News</title></titlevalue"),
            "{}",
            close_title(misnamed)
        );
    }

    #[test]
    fn closed_titles_and_pages_without_one_are_untouched() {
        for page in [
            "<html><head><title>Port strike ends</title></head><body><p>x</p></body></html>",
            "<html><head><title>Two\nlines</TITLE></head></html>",
            "<title>Spaced</title >",
            "<p>No title at all</p>",
            "",
        ] {
            assert!(matches!(close_title(page), Cow::Borrowed(_)), "{page}");
        }
    }
}
