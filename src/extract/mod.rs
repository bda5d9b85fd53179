//! Article text from HTML: main-content extraction of whole pages (the
//! dom_smoothie Readability port, with a plain-text fallback) and readable
//! text of fragments, for titles and summaries.

pub mod batch;
mod sanitize;

use scraper::Html;

pub use sanitize::sanitize;

/// What the caller knows about a page besides its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints<'a> {
    /// The page's address: resolves relative links, hints the charset.
    pub url: Option<&'a str>,
    /// The HTTP `Content-Type`, for its charset.
    pub content_type: Option<&'a str>,
}

/// Which way the article was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Readability's choice (dom_smoothie).
    Readability,
    /// All visible text of the body.
    Body,
}

impl Strategy {
    /// A short stable name, for storage and reports.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Readability => "readability",
            Strategy::Body => "body",
        }
    }
}

/// An article and how it was found.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// The article.
    pub article: Article,
    /// The strategy whose candidate won.
    pub strategy: Strategy,
}

/// Extracts the article from a page's raw bytes, decoding them first (BOM,
/// valid UTF-8, HTTP charset, `<meta>` declaration, detection hinted by the
/// URL's top-level domain).
pub fn page(bytes: &[u8], content_type: Option<&str>, hints: &Hints<'_>) -> Extraction {
    let html = crate::fetch::charset::decode(bytes, content_type.or(hints.content_type), hints.url);
    let article = article(&html, hints.url);
    let strategy = Strategy::Readability;
    Extraction { article, strategy }
}

/// The story a page carries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Article {
    /// The article's title (from the page's metadata or headline).
    pub title: String,
    /// Plain text, one paragraph per line.
    pub text: String,
    /// The article's HTML, sanitised, links absolute.
    pub html: String,
    /// Declared language, if any.
    pub lang: Option<String>,
    /// Declared publication time, as the page wrote it.
    pub published: Option<String>,
    /// Byline, if any.
    pub author: Option<String>,
}

/// Limit on elements Readability scores: a hostile page cannot make
/// extraction take unbounded time.
const MAX_ELEMENTS: usize = 200_000;

/// Extracts the main article of an HTML page. `url` resolves relative links.
/// Pages Readability cannot read fall back to all visible body text.
pub fn article(html: &str, url: Option<&str>) -> Article {
    let url = url.filter(|u| url::Url::parse(u).is_ok());
    let config = dom_smoothie::Config {
        text_mode: dom_smoothie::TextMode::Formatted,
        max_elements_to_parse: MAX_ELEMENTS,
        ..dom_smoothie::Config::default()
    };
    let parsed =
        dom_smoothie::Readability::new(html, url, Some(config)).and_then(|mut r| r.parse());
    match parsed {
        Ok(a) if !a.text_content.trim().is_empty() => Article {
            title: a.title.trim().to_owned(),
            text: tidy_lines(&a.text_content),
            html: sanitize(&a.content, url),
            lang: a.lang,
            published: a.published_time,
            author: a.byline,
        },
        _ => fallback(html, url),
    }
}

/// All visible text of the page, for pages Readability rejects.
fn fallback(html: &str, url: Option<&str>) -> Article {
    let document = Html::parse_document(html);
    let title = scraper::Selector::parse("title")
        .ok()
        .and_then(|s| {
            document
                .select(&s)
                .next()
                .map(|t| t.text().collect::<String>())
        })
        .unwrap_or_default();
    let body = scraper::Selector::parse("body")
        .ok()
        .and_then(|s| document.select(&s).next().map(|b| b.html()))
        .unwrap_or_else(|| html.to_owned());
    Article {
        title: title.split_whitespace().collect::<Vec<_>>().join(" "),
        text: html_to_text(&body),
        html: sanitize(&body, url),
        lang: None,
        published: None,
        author: None,
    }
}

fn tidy_lines(text: &str) -> String {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Plain text of an HTML fragment: tags dropped, entities decoded, block
/// elements separated by newlines, runs of spaces collapsed.
pub fn html_to_text(html: &str) -> String {
    let fragment = Html::parse_fragment(html);
    let mut out = String::new();
    for node in fragment.root_element().descendants() {
        if let Some(text) = node.value().as_text() {
            let hidden = node
                .parent()
                .and_then(|p| p.value().as_element().map(|e| e.name()))
                .is_some_and(|name| matches!(name, "script" | "style" | "noscript" | "template"));
            if !hidden {
                out.push_str(text);
            }
        } else if let Some(element) = node.value().as_element()
            && is_block(element.name())
        {
            out.push('\n');
        }
    }
    out.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "table"
            | "tr"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "figure"
            | "figcaption"
            | "hr"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_come_out_of_page_chrome() {
        let page = format!(
            "<html><head><title>Port strike ends - Harbour Wire</title></head><body>\
             <nav><a href='/'>Home</a> <a href='/world'>World</a></nav>\
             <article><h1>Port strike ends</h1>{}</article>\
             <footer>Copyright Harbour Wire. <a href='/about'>About</a></footer></body></html>",
            "<p>Dock workers at the container terminal voted on Sunday night to accept a revised pay offer, ending a twelve-day strike that left more than forty ships anchored offshore and disrupted freight across the region.</p>".repeat(4)
        );
        let a = article(&page, Some("https://example.org/news/port"));
        assert!(a.text.starts_with("Dock workers"), "{}", a.text);
        assert!(
            !a.text.contains("Copyright") && !a.text.contains("Home"),
            "{}",
            a.text
        );
        assert_eq!(a.text.lines().count(), 4);
        assert!(a.title.contains("Port strike ends"));
    }

    #[test]
    fn unreadable_pages_fall_back_to_body_text() {
        let a = article(
            "<html><head><title>T</title></head><body><p>Just one line.</p></body></html>",
            None,
        );
        assert_eq!(a.title, "T");
        assert_eq!(a.text, "Just one line.");
        let empty = article("", Some("not a url"));
        assert_eq!(empty.text, "");
    }

    #[test]
    fn text_keeps_paragraphs_and_decodes_entities() {
        assert_eq!(
            html_to_text("<p>One &amp; <b>two</b></p><p>Three</p>"),
            "One & two\nThree"
        );
        assert_eq!(html_to_text("plain   text"), "plain text");
        assert_eq!(
            html_to_text("<p>a</p><script>x()</script><style>p{}</style>"),
            "a"
        );
        assert_eq!(html_to_text(""), "");
    }
}
