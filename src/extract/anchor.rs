//! Where the story starts on the page: the paragraph that opens with the
//! story's own summary (the feed's, else the page's `description` meta),
//! else the first paragraph of prose under its headline. Extraction draws
//! one more candidate around it, so that a block elsewhere on the page (a
//! photo gallery, a login box, a comment form, a sidebar of forecasts) that
//! happens to hold more prose does not replace a short story.

use std::collections::HashSet;

use dom_query::{Document, NodeId};

use super::blocks::{self, Block};
use super::title;
use super::tokens::{self, squash};

/// The story's opening paragraph.
#[derive(Debug, Clone)]
pub(crate) struct Anchor {
    /// A text node of the paragraph.
    pub node: NodeId,
    /// The paragraph's text.
    pub text: String,
    /// How it was found.
    pub found: Found,
}

/// How the opening paragraph was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// It opens with the story's summary.
    Summary,
    /// It is the first prose under the headline.
    Headline,
}

/// Token pairs of the summary's opening that a paragraph must hold (most
/// of) to open the story: enough to be specific, few enough that a summary
/// which goes on past the first paragraph still matches it.
const SUMMARY_PAIRS: usize = 16;

/// Share of those pairs the paragraph must hold.
const SUMMARY_SHARE: f64 = 0.75;

/// Summaries shorter than this (in tokens) say too little to find a
/// paragraph by ("(AFP)", "UPDATED at 3:40 p.m.").
const MIN_SUMMARY_TOKENS: usize = 8;

/// Paragraphs read after the headline before giving up on finding prose.
const AFTER_HEADLINE: usize = 40;

/// Finds the story's opening paragraph on `document` (read before
/// Readability rewrites it): by `summary` first, then by whichever of
/// `titles` a heading of the page repeats.
pub(crate) fn find(document: &Document, titles: &[&str], summary: Option<&str>) -> Option<Anchor> {
    let body = document.body()?;
    let page = blocks::blocks(&body);
    summary
        .and_then(|s| by_summary(&page, s))
        .or_else(|| by_headline(&page, titles))
}

/// The summary as a page writes it in `<meta>`: `og:description`, else
/// `description`, else `twitter:description`.
pub(crate) fn page_summary(document: &Document) -> Option<String> {
    let wanted = ["og:description", "description", "twitter:description"];
    let metas = document.select("meta");
    wanted.iter().find_map(|key| {
        metas.iter().find_map(|node| {
            let named = ["property", "name"]
                .iter()
                .filter_map(|a| node.attr(a))
                .any(|k| k.eq_ignore_ascii_case(key));
            let content = node.attr("content")?;
            (named && !content.trim().is_empty()).then(|| content.to_string())
        })
    })
}

/// The first running-text paragraph that holds most of the summary's
/// opening.
fn by_summary(page: &[Block], summary: &str) -> Option<Anchor> {
    let tokens = tokens::tokens(summary);
    if tokens.len() < MIN_SUMMARY_TOKENS {
        return None;
    }
    let want: HashSet<(&str, &str)> = tokens
        .windows(2)
        .take(SUMMARY_PAIRS)
        .map(|w| (w[0].as_str(), w[1].as_str()))
        .collect();
    page.iter()
        .filter(|b| !b.heading && b.link_density() < 0.3)
        .find(|b| {
            let have = tokens::tokens(&b.text);
            let have: HashSet<(&str, &str)> = have
                .windows(2)
                .map(|w| (w[0].as_str(), w[1].as_str()))
                .collect();
            let held = want.iter().filter(|p| have.contains(*p)).count();
            held as f64 >= SUMMARY_SHARE * want.len() as f64
        })
        .and_then(|b| anchor(b, Found::Summary))
}

/// The first paragraph of prose after the first heading (else the first
/// paragraph of any kind) that says one of `titles`.
fn by_headline(page: &[Block], titles: &[&str]) -> Option<Anchor> {
    let titles: Vec<String> = titles
        .iter()
        .map(|t| squash(t))
        .filter(|t| t.chars().count() >= 8)
        .collect();
    let says_title = |b: &Block| titles.contains(&squash(&b.text));
    // A heading may be a link (a blog post's title links to its own
    // permalink); a paragraph that is mostly link is a teaser elsewhere.
    let at = page
        .iter()
        .position(|b| b.heading && says_title(b))
        .or_else(|| {
            page.iter()
                .position(|b| b.link_density() < 0.5 && says_title(b))
        })?;
    // The lede says something the headline says: a reprints notice or a
    // cookie banner between the two does not.
    let headline = &page[at].text;
    page.iter()
        .skip(at + 1)
        .take(AFTER_HEADLINE)
        .filter(|b| !b.heading && b.reads_as_prose() && ends_a_sentence(&b.text))
        .find(|b| title::agreement(headline, &b.text) > 0.0)
        .and_then(|b| anchor(b, Found::Headline))
}

/// Whether a paragraph ends as a sentence does: a lede does (or ends in a
/// colon before the quote it introduces), a picture's credit ("(Credit:
/// AP/Photo montage by Salon)") or a label does not.
fn ends_a_sentence(text: &str) -> bool {
    text.trim_end().ends_with([
        '.', '!', '?', '"', '\'', '”', '’', '。', '！', '？', '」', '”', '…', ':', '：',
    ])
}

fn anchor(block: &Block, found: Found) -> Option<Anchor> {
    Some(Anchor {
        node: *block.nodes.first()?,
        text: block.text.clone(),
        found,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "Munster star Ian Dowling is set to spend a spell on the sidelines after sustaining a knee injury against Ulster.";

    fn page(body: &str) -> Document {
        Document::from(format!("<html><body>{body}</body></html>"))
    }

    #[test]
    fn the_paragraph_that_opens_with_the_summary_is_found() {
        let doc = page(&format!(
            "<div><p>Report offensive content: if you believe this comment is offensive, report it below.</p></div>\
             <div><p>{STORY}</p><p>He could be out for eight weeks.</p></div>"
        ));
        let summary =
            "Munster star Ian Dowling is set to spend a spell on the sidelines after sustaining";
        let found = find(&doc, &[], Some(summary)).unwrap();
        assert_eq!(found.found, Found::Summary);
        assert_eq!(found.text, STORY);
        // A summary of a few words finds nothing by itself.
        assert!(find(&doc, &[], Some("Munster star Ian")).is_none());
        // Nor does one the page never says.
        assert!(
            find(
                &doc,
                &[],
                Some("The port strike ends after twelve days of talks at the docks")
            )
            .is_none()
        );
    }

    #[test]
    fn the_first_prose_under_the_headline_is_found() {
        let doc = page(&format!(
            "<ul><li><a href='/x'>Dowling set for absence</a></li></ul>\
             <h1>Dowling set for absence</h1><p>Posted 14 Jan</p><p>{STORY}</p>"
        ));
        let found = find(&doc, &["Dowling set for absence!"], None).unwrap();
        assert_eq!(found.found, Found::Headline);
        assert_eq!(found.text, STORY);
        assert!(find(&doc, &["Another story entirely"], None).is_none());
        // A lede may end in the colon before the quote it introduces.
        let lede =
            "WASHINGTON (Reuters) - In his essay On Providence, Seneca says this about absence:";
        let doc = page(&format!(
            "<h1>Dowling set for absence</h1><p>(Photo: AP)</p><div>{lede}</div>"
        ));
        let found = find(&doc, &["Dowling set for absence"], None).unwrap();
        assert_eq!(found.text, lede);
        // A blog post's title links to its permalink, and its first
        // paragraph may come right after a picture.
        let doc = page(&format!(
            "<h3><a href='/dowling-set-for-absence'>Dowling set for absence</a></h3>\
             <div><p><a href='/shop'><img src='knee.png'></a></p><p>{STORY}</p></div>"
        ));
        let found = find(&doc, &["Dowling set for absence"], None).unwrap();
        assert_eq!(found.text, STORY);
        // A paragraph that is one link says a title in a list of teasers.
        let doc = page(&format!(
            "<p><a href='/dowling-set-for-absence'>Dowling set for absence</a></p><p>{STORY}</p>"
        ));
        assert!(find(&doc, &["Dowling set for absence"], None).is_none());
    }

    #[test]
    fn the_page_summary_is_read_from_meta() {
        let doc = Document::from(
            "<html><head><meta name='description' content='Site news'>\
             <meta property='og:description' content='The story'></head><body></body></html>",
        );
        assert_eq!(page_summary(&doc).as_deref(), Some("The story"));
        assert_eq!(page_summary(&page("<p>x</p>")), None);
    }
}
