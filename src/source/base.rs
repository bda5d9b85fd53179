//! `xml:base`: relative references inside an entry's HTML resolved against
//! the base URI in scope where the feed put that HTML.
//!
//! Only a base the document sets itself is applied here. Without one, the
//! HTML is left as it came and the publisher resolves its relative links
//! against the item's own link, as readers do for feeds that copy an
//! article's markup (`<img src="photo.jpg">` next to the article).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use url::Url;

use crate::extract::built_in;

/// A start tag. Constant patterns the tests below exercise, so no input
/// reaches `built_in`'s panic.
static START_TAG: LazyLock<Regex> = LazyLock::new(|| built_in(r"<[a-zA-Z][^<>]*>"));

/// An `href` or `src` attribute inside a start tag, its value double-,
/// single- or un-quoted.
static REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| built_in(r#"(?i)(\s(?:href|src)\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"#));

/// The base to apply to an entry's HTML: the one in scope at the element,
/// if it is an http(s) URL other than the document's own address.
pub fn declared_base(in_scope: Option<&str>, document: &str) -> Option<Url> {
    let in_scope = in_scope?;
    // The usual case, spared two URL parses per entry: no base of its own.
    if in_scope == document {
        return None;
    }
    let base = Url::parse(in_scope).ok()?;
    let document = Url::parse(document).ok();
    (matches!(base.scheme(), "http" | "https") && Some(&base) != document.as_ref()).then_some(base)
}

/// `html` with every relative `href`/`src` value resolved against `base`;
/// absolute values, fragments (`#note`) and values that do not resolve are
/// left as they are.
pub fn resolve_relative<'a>(html: &'a str, base: &Url) -> Cow<'a, str> {
    // Attributes are looked for in start tags only: text that reads
    // ` href="x"` is text.
    START_TAG.replace_all(html, |tag: &regex::Captures<'_>| {
        resolve_in_tag(tag.get(0).map_or("", |m| m.as_str()), base).into_owned()
    })
}

fn resolve_in_tag<'a>(tag: &'a str, base: &Url) -> Cow<'a, str> {
    REFERENCE.replace_all(tag, |caps: &regex::Captures<'_>| {
        let whole = caps.get(0).map_or("", |m| m.as_str());
        let value = caps.get(2).or(caps.get(3)).or(caps.get(4));
        match value.and_then(|v| resolve(v.as_str(), base)) {
            Some(url) => format!("{}\"{}\"", &caps[1], url.replace('"', "%22")),
            None => whole.to_owned(),
        }
    })
}

/// The absolute form of a relative reference, or `None` to leave it alone.
fn resolve(value: &str, base: &Url) -> Option<String> {
    let value = value.trim();
    if value.is_empty() || value.starts_with('#') || Url::parse(value).is_ok() {
        return None;
    }
    base.join(value).ok().map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(url: &str) -> Url {
        Url::parse(url).unwrap()
    }

    #[test]
    fn relative_references_resolve_and_the_rest_stays() {
        let html = r##"<a href="test.html">t</a> <img SRC='/img/a.png' alt="x"> <a href=up/b.html>b</a> <a href="https://other.example/x">o</a> <a href="#n">n</a> <a href="mailto:a@b.c">m</a> src="not an attribute" <img src=a.png href=b>"##;
        let out = resolve_relative(html, &base("http://example.com/test/"));
        assert_eq!(
            out,
            r##"<a href="http://example.com/test/test.html">t</a> <img SRC="http://example.com/img/a.png" alt="x"> <a href="http://example.com/test/up/b.html">b</a> <a href="https://other.example/x">o</a> <a href="#n">n</a> <a href="mailto:a@b.c">m</a> src="not an attribute" <img src="http://example.com/test/a.png" href="http://example.com/test/b">"##
        );
    }

    #[test]
    fn non_ascii_references_are_percent_encoded() {
        let out = resolve_relative("<a href=\"\u{c0}\">uri</a>", &base("http://any.test/"));
        assert_eq!(out, "<a href=\"http://any.test/%C3%80\">uri</a>");
    }

    #[test]
    fn only_a_web_base_other_than_the_document_applies() {
        let doc = "https://example.org/feed.xml";
        assert_eq!(declared_base(Some(doc), doc), None);
        assert_eq!(declared_base(None, doc), None);
        assert_eq!(declared_base(Some("javascript:alert(1)"), doc), None);
        assert_eq!(
            declared_base(Some("http://example.com/test/"), doc),
            Some(base("http://example.com/test/"))
        );
    }
}
