//! Finding a site's feeds (`feedfold add`): what a page links to as its
//! feeds, the paths sites commonly serve them at, and whether a document
//! is a feed at all. Bytes in, values out; fetching is the caller's.

use scraper::{Html, Selector};
use url::Url;

use super::feed;
use crate::text::charset;

/// `<link rel="alternate" type=…>` types that announce a feed.
const FEED_TYPES: [&str; 7] = [
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
    "application/x-rss+xml",
    "text/xml",
];

/// Where sites commonly serve their feed (WordPress, Jekyll, Hugo,
/// Ghost, Blogger…), tried in this order when a page links to none.
pub const COMMON_PATHS: [&str; 7] = [
    "/feed",
    "/rss",
    "/atom.xml",
    "/feed.xml",
    "/index.xml",
    "/rss.xml",
    "/feeds/posts/default",
];

/// A document that reads as a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedInfo {
    /// Its own title, if it has one.
    pub title: Option<String>,
    /// "Atom", "RSS" or "JSON Feed".
    pub kind: &'static str,
    /// How many entries it holds now.
    pub items: usize,
}

/// The feed `bytes` are, or `None` when they are not one (an HTML page,
/// anything feed parsing rejects even after repair).
pub fn as_feed(bytes: &[u8], content_type: Option<&str>, url: &Url) -> Option<FeedInfo> {
    let kind = feed_kind(bytes)?;
    let parsed = feed::parse_reporting(bytes, content_type, url.as_str()).ok()?;
    Some(FeedInfo {
        title: parsed.title,
        kind,
        items: parsed.entries.len(),
    })
}

/// "Atom", "RSS" or "JSON Feed" from the document's first element (or
/// opening brace), so an HTML page that a lenient parser might read is
/// never taken for a feed.
fn feed_kind(bytes: &[u8]) -> Option<&'static str> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('{') {
        return head.contains("jsonfeed.org/version").then_some("JSON Feed");
    }
    // The first element that is not a declaration, comment or doctype.
    let mut rest = head;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        if rest.starts_with(['?', '!']) {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, ':' | '-' | '_'))
            .collect();
        return match name.rsplit(':').next().unwrap_or("") {
            "feed" => Some("Atom"),
            "rss" | "rdf" => Some("RSS"),
            _ => None,
        };
    }
    None
}

/// The feeds an HTML page announces with `<link rel="alternate">`, their
/// relative hrefs resolved against the page's `<base href>` (itself
/// resolved against `page_url`) or the page's URL; each once, in page order.
pub fn feed_links(html: &[u8], content_type: Option<&str>, page_url: &Url) -> Vec<Url> {
    let text = charset::decode(html, content_type, Some(page_url.as_str()));
    let document = Html::parse_document(&text);
    let base = first_href(&document, "base[href]")
        .and_then(|href| page_url.join(href.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let Ok(links) = Selector::parse("link[href]") else {
        return Vec::new();
    };
    let mut found: Vec<Url> = Vec::new();
    for link in document.select(&links) {
        let element = link.value();
        let alternate = element.attr("rel").is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case("alternate"))
        });
        let feed_type = element.attr("type").is_some_and(|t| {
            let t = t
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            FEED_TYPES.contains(&t.as_str())
        });
        if !(alternate && feed_type) {
            continue;
        }
        let Some(url) = element.attr("href").and_then(|h| base.join(h.trim()).ok()) else {
            continue;
        };
        if matches!(url.scheme(), "http" | "https") && !found.contains(&url) {
            found.push(url);
        }
    }
    found
}

fn first_href<'a>(document: &'a Html, css: &str) -> Option<&'a str> {
    let selector = Selector::parse(css).ok()?;
    document.select(&selector).next()?.value().attr("href")
}

/// [`COMMON_PATHS`] on `page_url`'s site.
pub fn common_feed_urls(page_url: &Url) -> Vec<Url> {
    COMMON_PATHS
        .iter()
        .filter_map(|path| page_url.join(path).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn alternate_links_resolve_against_base_and_page() {
        let page = br#"<html><head><base href="/blog/">
            <link rel="alternate" type="application/rss+xml" title="RSS" href="feed.xml">
            <link rel="Alternate home" type="application/atom+xml" href="//cdn.example.org/atom.xml">
            <link rel="alternate" type="application/feed+json; charset=utf-8" href="https://example.org/feed.json">
            <link rel="alternate" type="text/html" hreflang="de" href="/de/">
            <link rel="stylesheet" type="text/css" href="/s.css">
            <link rel="alternate" type="application/rss+xml" href="feed.xml">
            </head><body></body></html>"#;
        let found = feed_links(page, None, &url("https://example.org/about/index.html"));
        let found: Vec<&str> = found.iter().map(Url::as_str).collect();
        assert_eq!(
            found,
            [
                "https://example.org/blog/feed.xml",
                "https://cdn.example.org/atom.xml",
                "https://example.org/feed.json"
            ]
        );
        let bare = br#"<link rel="alternate" type="application/rss+xml" href="rss">"#;
        let found = feed_links(bare, None, &url("https://example.org/news/"));
        assert_eq!(found, [url("https://example.org/news/rss")]);
    }

    #[test]
    fn feeds_are_told_from_pages() {
        let at = url("https://example.org/feed");
        let rss = b"<?xml version=\"1.0\"?>\n<!-- hi --><rss version=\"2.0\"><channel><title>T</title>\
                    <item><title>a</title><link>https://example.org/a</link></item></channel></rss>";
        assert_eq!(
            as_feed(rss, None, &at),
            Some(FeedInfo {
                title: Some("T".into()),
                kind: "RSS",
                items: 1
            })
        );
        let atom = b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title></feed>";
        assert_eq!(as_feed(atom, None, &at).map(|f| f.kind), Some("Atom"));
        let json = br#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[]}"#;
        assert_eq!(as_feed(json, None, &at).map(|f| f.kind), Some("JSON Feed"));
        let html =
            b"<!DOCTYPE html><html><head><title>x</title></head><body><p>no</p></body></html>";
        assert_eq!(as_feed(html, None, &at), None);
        assert_eq!(as_feed(b"{\"a\":1}", None, &at), None);
    }

    #[test]
    fn common_paths_are_on_the_site_root() {
        let urls = common_feed_urls(&url("https://example.org/some/page.html"));
        assert_eq!(urls[0].as_str(), "https://example.org/feed");
        assert_eq!(urls.len(), COMMON_PATHS.len());
    }
}
