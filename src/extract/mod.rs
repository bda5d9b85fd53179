//! Article text from HTML pages: the story, not the page.
//!
//! Raw bytes are decoded (see `text::charset`), then up to four
//! candidates are drawn (readers' comments taken off the page first,
//! [`comments`]): the site's own `content_selector`, Readability's
//! choice (dom_smoothie), the densest block of prose ([`density`]), and
//! the block around the story's opening paragraph ([`anchor`]).
//! Each is cut into paragraphs and cleaned of credits, link lists, widgets
//! and a repeated teaser ([`cleanup`]); [`choose`] keeps the better one by
//! a stated rule. The title is reconciled against the body ([`title`]) and
//! the publication time read from metadata or the page ([`published`]).

mod anchor;
pub mod batch;
mod blocks;
pub mod choose;
mod cleanup;
mod comments;
mod cut;
mod density;
pub mod features;
mod published;
mod repair;
mod rules;
mod sanitize;
pub mod sniff;
mod title;
mod tokens;

use dom_query::Document;

use crate::text::markup;

pub use cut::drop_paragraphs;
pub use rules::{RulesError, SiteRules};
pub use sanitize::sanitize;

/// The story a page carries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Article {
    /// The article's headline, reconciled against its text.
    pub title: String,
    /// Plain text, one paragraph per line.
    pub text: String,
    /// The article's HTML, sanitised, links absolute.
    pub html: String,
    /// Language, declared or recognised (`zh`, `ja`, `ko`).
    pub lang: Option<String>,
    /// Publication time, RFC 3339 in UTC.
    pub published: Option<String>,
    /// Byline, if any.
    pub author: Option<String>,
}

/// What the caller knows about a page besides its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints<'a> {
    /// The page's address: resolves relative links, hints the charset.
    pub url: Option<&'a str>,
    /// The HTTP `Content-Type`, for its charset.
    pub content_type: Option<&'a str>,
    /// The feed's title for this article.
    pub feed_title: Option<&'a str>,
    /// The feed's summary (plain text), which the article should contain.
    pub summary: Option<&'a str>,
    /// The source's own selectors.
    pub rules: Option<&'a SiteRules>,
    /// Use only this strategy (for evaluations).
    pub only: Option<Strategy>,
    /// Measure every candidate for [`Extraction::candidates`] (costs a
    /// little time; for `feedfold extract --format json`).
    pub report: bool,
}

/// Which way the article was found, most trusted first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strategy {
    /// The source's `content_selector`.
    Selector,
    /// Readability's choice (dom_smoothie).
    Readability,
    /// The densest block of prose.
    Density,
    /// The block around the story's opening paragraph (found by its summary
    /// or under its headline).
    Anchored,
    /// All visible text of the body.
    Body,
}

impl Strategy {
    /// A short stable name, for storage and reports.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Selector => "selector",
            Strategy::Readability => "readability",
            Strategy::Density => "density",
            Strategy::Anchored => "anchored",
            Strategy::Body => "body",
        }
    }

    /// The strategy of a name `name` gives.
    pub fn from_name(name: &str) -> Option<Strategy> {
        [
            Strategy::Selector,
            Strategy::Readability,
            Strategy::Density,
            Strategy::Anchored,
            Strategy::Body,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// An article and how it was found.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// The article.
    pub article: Article,
    /// The strategy whose candidate won.
    pub strategy: Strategy,
    /// Why it won, in a few words (for `explain` and the store).
    pub reason: &'static str,
    /// Every candidate and its measures, when [`Hints::report`] asked.
    pub candidates: Vec<choose::Measures>,
    /// The story's opening paragraph, as found before choosing (with
    /// [`Hints::report`]).
    pub opening: Option<String>,
}

/// Limit on elements Readability scores: a hostile page cannot make
/// extraction take unbounded time.
const MAX_ELEMENTS: usize = 200_000;

/// Deepest element nesting read. Real pages stay under a hundred; a page
/// nested thousands deep would make Readability's scoring quadratic (20,000
/// levels took 76 s) and recursive walks overflow the stack, so it is not
/// read at all.
const MAX_DEPTH: usize = 512;

/// Compiles one of the extractor's own patterns. They are constants, each
/// matched by the unit tests of the rule that uses it, so a typo fails those
/// tests; no input a user or a site supplies reaches this call.
pub(crate) fn built_in(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).unwrap_or_else(|e| panic!("built-in pattern {pattern:?}: {e}"))
}

/// How deep elements nest, counted without recursion.
fn nesting(document: &Document) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(document.root(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        if depth > MAX_DEPTH {
            break;
        }
        stack.extend(
            node.children_it(false)
                .filter(|c| c.is_element())
                .map(|c| (c, depth + 1)),
        );
    }
    deepest
}

/// Time one page may take to read. Pages take milliseconds; the pre-scan
/// bounds the parser's worst case, and this bounds what is left (a stage
/// that runs long on a pathological page): past it, the page is refused
/// and the entry keeps the feed's own text.
const BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

/// Why a page nested too deep to parse in bounded time was refused.
const TOO_DEEP: &str = "the page nests elements too deep to read";

/// Why a page over [`BUDGET`] was refused.
const OVER_BUDGET: &str = "the page took too long to read (over 2 s)";

/// An empty article, for pages that cannot be read; `reason` says why.
fn unreadable(reason: &'static str) -> Extraction {
    Extraction {
        article: Article {
            title: String::new(),
            text: String::new(),
            html: String::new(),
            lang: None,
            published: None,
            author: None,
        },
        strategy: Strategy::Body,
        reason,
        candidates: Vec::new(),
        opening: None,
    }
}

/// Extracts the article from a page's raw bytes, decoding them first (BOM,
/// valid UTF-8, HTTP charset, `<meta>` declaration, detection hinted by the
/// URL's top-level domain).
pub fn page(bytes: &[u8], content_type: Option<&str>, hints: &Hints<'_>) -> Extraction {
    if let Err(not) = sniff::check(bytes) {
        return unreadable(not.reason());
    }
    let html = crate::text::charset::decode(bytes, content_type.or(hints.content_type), hints.url);
    extract(&html, hints)
}

/// Extracts the main article of an HTML page. `url` resolves relative links.
pub fn article(html: &str, url: Option<&str>) -> Article {
    extract(
        html,
        &Hints {
            url,
            ..Hints::default()
        },
    )
    .article
}

/// Extracts the article of a decoded page.
pub fn extract(html: &str, hints: &Hints<'_>) -> Extraction {
    let url = hints.url.filter(|u| url::Url::parse(u).is_ok());
    let started = std::time::Instant::now();
    let over_budget = || started.elapsed() > BUDGET;
    let mended = repair::close_title(html);
    let html = mended.as_ref();
    // html5ever's parse is quadratic in nesting depth (100,000 nested
    // <div>s take 40 s), so absurd nesting is refused before parsing; the
    // same scan finds the comments and script code the parser need not read.
    let Some(lean) = markup::lean(html) else {
        return unreadable(TOO_DEEP);
    };
    let document = Document::from(lean.as_ref());
    if nesting(&document) > MAX_DEPTH {
        return unreadable(TOO_DEEP);
    }
    let lang_attr = document
        .select("html")
        .iter()
        .next()
        .and_then(|h| h.attr("lang"))
        .map(|l| l.to_string());
    let published = published::published(&document, zone(url, lang_attr.as_deref(), html));
    let titles = title::candidates(&document, hints.feed_title);
    if let Some(rules) = hints.rules {
        rules.remove_from(&document);
    }
    comments::remove(&document);
    let wanted = |s: Strategy| hints.only.is_none_or(|only| only == s);
    let mut drafts = Vec::new();
    if wanted(Strategy::Selector)
        && let Some(html) = hints.rules.and_then(|r| r.content_of(&document))
    {
        drafts.push(choose::Draft::new(Strategy::Selector, &html));
    }
    let anchor = opening_anchor(&document, &titles, hints);
    if let Some(scores) = density::Density::of(&document) {
        let best = scores.best();
        if wanted(Strategy::Density)
            && let Some(node) = &best
        {
            drafts.push(choose::Draft::of_node(Strategy::Density, node));
        }
        // Drawn only where it differs from the densest block.
        let around = anchor.as_ref().and_then(|a| scores.best_holding(a.node));
        if wanted(Strategy::Anchored)
            && let Some(node) = around.filter(|n| best.is_none_or(|b| b.id != n.id))
        {
            drafts.push(choose::Draft::of_node(Strategy::Anchored, &node));
        }
    }
    if over_budget() {
        return unreadable(OVER_BUDGET);
    }
    let readable = wanted(Strategy::Readability)
        .then(|| readability(document, url))
        .flatten();
    if over_budget() {
        return unreadable(OVER_BUDGET);
    }
    let mut meta = Meta::default();
    if let Some(r) = readable {
        meta = Meta {
            lang: r.lang,
            author: r.byline,
        };
        drafts.push(choose::Draft::new(Strategy::Readability, &r.content));
    }
    // The page's whole text is read only when nothing better was found.
    if wanted(Strategy::Body) && drafts.iter().all(choose::Draft::is_empty) {
        drafts.push(choose::Draft::new(Strategy::Body, &body_html(&lean)));
    }
    let mut by_trust: Vec<&choose::Draft> = drafts.iter().collect();
    by_trust.sort_by_key(|d| d.strategy);
    let openings = by_trust.iter().map(|d| d.text());
    // The page's title is plain text, even where it wrote `&lt;img…&gt;`.
    let title = markup::plain_line(&title::reconcile_any(&titles, openings));
    let context = cleanup::Context {
        title: &title,
        summary: hints.summary,
        core: None,
    };
    choose::clean_all(&mut drafts, &context);
    if over_budget() {
        return unreadable(OVER_BUDGET);
    }
    let (winner, reason) = choose::choose(&drafts, hints.summary, anchor.as_ref(), &title);
    let (text, html, strategy) = match winner {
        Some(d) => (d.text(), sanitize(&d.html(), url), d.strategy),
        None => (String::new(), String::new(), Strategy::Body),
    };
    let lang = meta.lang.or(lang_attr).or_else(|| script_lang(&text));
    let candidates = if hints.report {
        choose::measures(&drafts, hints.summary, anchor.as_ref(), &title)
    } else {
        Vec::new()
    };
    Extraction {
        article: Article {
            title,
            text,
            html,
            lang,
            published: published.map(|t| t.to_rfc3339()),
            author: meta.author.filter(|a| !a.trim().is_empty()),
        },
        strategy,
        reason,
        candidates,
        opening: anchor.filter(|_| hints.report).map(|a| a.text),
    }
}

/// The story's opening paragraph, found by the feed's summary (else the
/// page's own) or under a heading that says one of the title candidates.
fn opening_anchor(
    document: &Document,
    titles: &[title::Candidate],
    hints: &Hints<'_>,
) -> Option<anchor::Anchor> {
    let page_summary;
    let summary = match hints.summary {
        Some(summary) => Some(summary),
        None => {
            page_summary = anchor::page_summary(document);
            page_summary.as_deref()
        }
    };
    // A heading that says the site's name (its logo) opens no story.
    let titles: Vec<&str> = titles
        .iter()
        .filter(|t| !t.is_site())
        .map(title::Candidate::text)
        .collect();
    anchor::find(document, &titles, summary)
}

#[derive(Default)]
struct Meta {
    lang: Option<String>,
    author: Option<String>,
}

/// Readability's article, if it found one.
fn readability(document: Document, url: Option<&str>) -> Option<dom_smoothie::Article> {
    let config = dom_smoothie::Config {
        max_elements_to_parse: MAX_ELEMENTS,
        ..dom_smoothie::Config::default()
    };
    dom_smoothie::Readability::with_document(document, url, Some(config))
        .and_then(|mut r| r.parse())
        .ok()
        .filter(|a| !a.text_content.trim().is_empty())
}

/// The page's `<body>`, parsed afresh (Readability rewrites the first
/// parse in place).
fn body_html(html: &str) -> String {
    Document::from(html)
        .body()
        .map(|b| b.html().to_string())
        .unwrap_or_default()
}

/// The zone (seconds east of UTC) of times the page writes without one,
/// UTC when nothing tells.
fn zone(url: Option<&str>, lang: Option<&str>, html: &str) -> i64 {
    crate::text::zone::page_zone(url, lang, html).unwrap_or(0)
}

/// The language a text's script shows, for pages that declare none.
fn script_lang(text: &str) -> Option<String> {
    let sample: Vec<char> = text
        .chars()
        .filter(|c| c.is_alphabetic())
        .take(2000)
        .collect();
    let count = |range: std::ops::RangeInclusive<u32>| {
        sample
            .iter()
            .filter(|c| range.contains(&(**c as u32)))
            .count()
    };
    let (kana, hangul, han) = (
        count(0x3040..=0x30ff),
        count(0xac00..=0xd7af),
        count(0x4e00..=0x9fff),
    );
    let third = sample.len() / 3;
    if kana > sample.len() / 20 && kana + han > third {
        Some("ja".into())
    } else if hangul > third {
        Some("ko".into())
    } else if han > third {
        Some("zh".into())
    } else {
        None
    }
}

/// Plain text of an HTML fragment: tags dropped, entities decoded, block
/// elements separated by newlines, runs of spaces collapsed. Markup nested
/// too deep to parse safely is read by a linear scan instead, so its words
/// are kept.
pub fn html_to_text(html: &str) -> String {
    if markup::too_complex(html) {
        return markup::text(html);
    }
    let fragment = Document::fragment(html);
    if nesting(&fragment) > MAX_DEPTH {
        return markup::text(html);
    }
    blocks::render(&blocks::blocks(&fragment.root()))
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
            [
                "Dock workers at the container terminal voted on Sunday night to accept a revised pay offer, ending a twelve-day strike.",
                "The stoppage had left more than forty ships anchored offshore and disrupted freight across the whole region for weeks.",
                "Union leaders said the deal raises wages by six percent over two years, limits overtime and adds two rest days a month.",
                "Shipping lines expect the backlog of containers to clear by the end of next week, the port authority said on Monday.",
            ]
            .iter()
            .map(|p| format!("<p>{p}</p>"))
            .collect::<String>()
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
    fn an_article_laid_out_in_table_rows_is_one_block() {
        let rows: String = (0..6)
            .map(|i| format!("<tr><td class='text'>Tottenham and Reading served up another thriller at White Hart Lane, the report said, part {i}.</td></tr>"))
            .collect();
        let side: String = (0..4)
            .map(|i| format!("<div><p>Radio coverage of the state funeral will start at six in the morning on the network, item {i}.</p></div>"))
            .collect();
        let page = format!(
            "<html><body><div id='side'>{side}</div><div id='main'><table>{rows}</table></div></body></html>"
        );
        let e = extract(
            &page,
            &Hints {
                only: Some(Strategy::Density),
                ..Hints::default()
            },
        );
        assert!(
            e.article.text.starts_with("Tottenham"),
            "{}",
            e.article.text
        );
        assert_eq!(e.article.text.lines().count(), 6, "{}", e.article.text);
    }

    #[test]
    fn pages_nested_absurdly_deep_are_refused_quickly() {
        let deep = format!(
            "<html><body>{}<p>Deep text, with punctuation.</p>{}</body></html>",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        );
        let started = std::time::Instant::now();
        let e = extract(&deep, &Hints::default());
        assert_eq!(e.article.text, "");
        assert!(e.reason.contains("too deep"), "{}", e.reason);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        let fine = format!(
            "<html><body>{}<p>Deep text, with punctuation.</p>{}</body></html>",
            "<div>".repeat(100),
            "</div>".repeat(100)
        );
        assert_eq!(article(&fine, None).text, "Deep text, with punctuation.");
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

    #[test]
    fn fragments_nested_too_deep_keep_their_text() {
        for tag in [
            "div",
            "address",
            "dl",
            "menu",
            "figcaption",
            "summary",
            "pre",
            "span",
        ] {
            let deep = format!(
                "{}<p>Still &amp; here</p>{}",
                format!("<{tag}>").repeat(10_000),
                format!("</{tag}>").repeat(10_000)
            );
            let started = std::time::Instant::now();
            assert_eq!(html_to_text(&deep), "Still & here", "{tag}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{tag}"
            );
        }
    }

    /// The depth pre-scan against the parser on real pages: none refused,
    /// and how far the model's count strays from the tree actually built.
    /// `cargo test --lib -- --ignored prescan_agrees` (reads ../shared).
    #[test]
    #[ignore]
    fn prescan_agrees_with_the_parser_on_real_pages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora");
        let mut pages = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if [".html", ".htm", ".html.gz"]
                    .iter()
                    .any(|e| path.to_string_lossy().ends_with(e))
                {
                    pages.push(path);
                }
            }
        }
        let (mut refused, mut worst_over, mut worst_under) = (0, 0i64, 0i64);
        let mut work = Vec::new();
        let (mut scan, mut parse) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
        for path in &pages {
            let mut bytes = std::fs::read(path).unwrap();
            if path.extension().is_some_and(|e| e == "gz") {
                let mut out = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
                    .unwrap();
                bytes = out;
            }
            let html = crate::text::charset::decode(&bytes, None, None);
            let started = std::time::Instant::now();
            let shape = markup::shape(&html, usize::MAX);
            scan += started.elapsed();
            work.push((shape.work, shape.elements));
            let model = shape.depth as i64;
            let started = std::time::Instant::now();
            let document = Document::from(html.as_ref());
            parse += started.elapsed();
            let real = nesting(&document) as i64;
            if markup::too_complex(&html) {
                refused += 1;
                eprintln!("refused {}: model {model}, real {real}", path.display());
            }
            if model - real > worst_over {
                worst_over = model - real;
                eprintln!(
                    "over by {worst_over}: {} ({model} vs {real})",
                    path.display()
                );
            }
            if real - model > worst_under {
                worst_under = real - model;
                eprintln!(
                    "under by {worst_under}: {} ({model} vs {real})",
                    path.display()
                );
            }
        }
        eprintln!("pre-scan {scan:?} in all, parse {parse:?} in all");
        work.sort();
        eprintln!(
            "{} pages, {refused} refused; most work {:?}",
            pages.len(),
            &work[work.len().saturating_sub(5)..]
        );
        assert!(pages.len() > 100);
        assert_eq!(refused, 0);
    }
}
