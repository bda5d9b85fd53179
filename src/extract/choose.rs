//! Candidates, cleaned, and the rule that keeps one.
//!
//! The rule: the site's own `content_selector` wins whenever it matched
//! text. Otherwise Readability's candidate stands unless it is implausible
//! next to the densest-prose candidate, in one of three ways, each checked
//! on the cleaned text:
//!
//! 1. it misses the feed's summary, which the other contains;
//! 2. it is mostly link text, and the other is not;
//! 3. it carries less than half the prose the other does, the other is not
//!    link-heavy and holds Readability's text too (Readability dropped part
//!    of the article, rather than the two finding different blocks);
//! 4. the two found different blocks, and Readability's is a list (under a
//!    fifth of it prose: a "Support local business" box, a "Buy the
//!    book from these retailers" list, a teaser list) while the other is
//!    mostly running text of comparable size (not many times longer, as a
//!    page's comments are).
//!
//! Prose is text in paragraphs that read as sentences (long enough, few
//! links), so a longer candidate that only adds menus and link lists does
//! not win by length. Body text is the last resort.

use std::collections::HashSet;

use dom_query::{Document, NodeRef};

use super::Strategy;
use super::blocks::{self, Block};
use super::cleanup::{self, Context};
use crate::script::is_cjk;

/// One candidate article, cut into paragraphs and judged by the cleanup
/// rules.
pub(crate) struct Draft {
    /// Where it came from.
    pub strategy: Strategy,
    source: Source,
    blocks: Vec<Block>,
    keep: Vec<bool>,
}

/// A candidate's HTML: parsed, or (read off the page before Readability
/// rewrote it) kept as text and parsed only if it wins.
enum Source {
    Parsed(Document),
    Html(String),
}

impl Draft {
    /// Reads a candidate's HTML into paragraphs, all kept until
    /// [`Draft::clean`].
    pub fn new(strategy: Strategy, html: &str) -> Draft {
        let document = Document::fragment(html);
        let blocks = blocks::blocks(&document.root());
        let keep = vec![true; blocks.len()];
        Draft {
            strategy,
            source: Source::Parsed(document),
            blocks,
            keep,
        }
    }

    /// Reads a candidate straight off the page's tree.
    pub fn of_node(strategy: Strategy, node: &NodeRef<'_>) -> Draft {
        let blocks = blocks::blocks(node);
        let keep = vec![true; blocks.len()];
        Draft {
            strategy,
            source: Source::Html(node.html().to_string()),
            blocks,
            keep,
        }
    }

    /// Judges the paragraphs by the cleanup rules.
    pub fn clean(&mut self, context: &Context<'_>) {
        self.keep = cleanup::keep(&self.blocks, context);
    }

    /// The kept paragraphs, for cleaning another candidate against.
    pub fn core(&self) -> cleanup::Core {
        cleanup::Core::new(self.kept())
    }

    /// Whether the candidate has no text at all.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    fn kept(&self) -> impl Iterator<Item = &Block> {
        self.blocks
            .iter()
            .zip(&self.keep)
            .filter(|(_, k)| **k)
            .map(|(b, _)| b)
    }

    /// The cleaned text, one paragraph per line.
    pub fn text(&self) -> String {
        let kept: Vec<Block> = self.kept().cloned().collect();
        blocks::render(&kept)
    }

    /// The cleaned HTML: dropped paragraphs' text removed, then the
    /// elements left empty.
    pub fn html(&self) -> String {
        let parsed;
        let (document, blocks) = match &self.source {
            Source::Parsed(document) => (document, None),
            Source::Html(html) => {
                parsed = Document::fragment(html.as_str());
                let blocks = blocks::blocks(&parsed.root());
                (&parsed, Some(blocks))
            }
        };
        let blocks = blocks.as_deref().unwrap_or(&self.blocks);
        // Read again from the same HTML, the paragraphs line up; if they
        // somehow do not, nothing is cut rather than the wrong thing.
        if blocks.len() == self.keep.len() {
            for (block, keep) in blocks.iter().zip(&self.keep) {
                if !keep {
                    for id in &block.nodes {
                        NodeRef::new(*id, &document.tree).remove_from_parent();
                    }
                }
            }
        }
        prune_empty(&document.root());
        document.root().inner_html().to_string()
    }

    fn chars(&self) -> usize {
        self.kept().map(|b| b.chars).sum()
    }

    fn link_density(&self) -> f64 {
        let links: usize = self.kept().map(|b| b.link_chars).sum();
        match self.chars() {
            0 => 0.0,
            all => links as f64 / all as f64,
        }
    }

    /// Characters in paragraphs that read as running text.
    fn prose(&self) -> usize {
        self.kept()
            .filter(|b| b.link_density() < 0.3 && b.chars >= prose_length(&b.text))
            .map(|b| b.chars)
            .sum()
    }

    /// Share of the summary's token pairs (words, or characters in CJK
    /// text) found in the text.
    fn covers(&self, summary: &str) -> f64 {
        let text: String = self
            .kept()
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let have: HashSet<(String, String)> = pairs(&text).collect();
        let want: Vec<(String, String)> = pairs(summary).collect();
        if want.is_empty() {
            return 1.0;
        }
        want.iter().filter(|p| have.contains(*p)).count() as f64 / want.len() as f64
    }
}

/// A candidate with little running text: under a fifth of its characters
/// are in prose paragraphs (long, few links). Lines that merely end like
/// sentences do not count: a list's "Buy the book from these retailers:"
/// counts as a line of the list.
fn is_list(draft: &Draft) -> bool {
    draft.prose() * 5 < draft.chars()
}

/// A candidate that is mostly running text, and enough of it for a story.
fn is_running_text(draft: &Draft) -> bool {
    draft.prose() * 2 > draft.chars() && draft.prose() >= MIN_STORY
}

/// Prose characters (non-space) below which a candidate is too little to
/// replace another: a caption or a blurb, not a story.
const MIN_STORY: usize = 100;

/// The length at which a paragraph counts as running text: fewer
/// characters carry a sentence in Chinese than in English.
fn prose_length(text: &str) -> usize {
    if text.chars().any(is_cjk) { 20 } else { 60 }
}

/// Consecutive token pairs of a text: lowercased words, and single
/// characters of CJK text.
fn pairs(text: &str) -> impl Iterator<Item = (String, String)> {
    let mut tokens = Vec::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut latin = String::new();
        for c in word.chars() {
            if is_cjk(c) {
                if !latin.is_empty() {
                    tokens.push(std::mem::take(&mut latin));
                }
                tokens.push(c.to_string());
            } else {
                latin.extend(c.to_lowercase());
            }
        }
        if !latin.is_empty() {
            tokens.push(latin);
        }
    }
    let next = tokens.clone().into_iter().skip(1);
    tokens.into_iter().zip(next)
}

/// Removes elements left without text or media, deepest first.
fn prune_empty(root: &NodeRef<'_>) {
    let mut elements: Vec<NodeRef<'_>> = root.descendants_it().filter(|n| n.is_element()).collect();
    elements.reverse();
    for element in elements {
        let name = element.node_name();
        let name = name.as_deref().unwrap_or("");
        let keeps_empty = matches!(
            name,
            "img" | "br" | "hr" | "video" | "audio" | "picture" | "source" | "iframe" | "td" | "th"
        );
        let has_media = element.descendants_it().any(|d| {
            matches!(
                d.node_name().as_deref(),
                Some("img" | "video" | "picture" | "audio")
            )
        });
        if !keeps_empty && !has_media && element.text().trim().is_empty() {
            element.remove_from_parent();
        }
    }
}

/// The winning draft and why, by the rule in the module documentation.
pub(crate) fn choose<'a>(
    drafts: &'a [Draft],
    summary: Option<&str>,
) -> (Option<&'a Draft>, &'static str) {
    let find = |s: Strategy| drafts.iter().find(|d| d.strategy == s && d.chars() > 0);
    if let Some(selected) = find(Strategy::Selector) {
        return (Some(selected), "the source's content_selector matched");
    }
    let (readable, dense) = (find(Strategy::Readability), find(Strategy::Density));
    match (readable, dense) {
        (Some(r), Some(d)) => {
            let (winner, reason) = judge(r, d, summary);
            (Some(winner), reason)
        }
        (Some(r), None) => (Some(r), "readability's article; no dense block to compare"),
        (None, Some(d)) => (Some(d), "readability found no article"),
        (None, None) => (find(Strategy::Body), "no article found; the page's text"),
    }
}

fn judge<'a>(r: &'a Draft, d: &'a Draft, summary: Option<&str>) -> (&'a Draft, &'static str) {
    if let Some(summary) = summary.filter(|s| s.chars().count() >= 20)
        && r.covers(summary) < 0.5
        && d.covers(summary) >= 0.8
    {
        return (d, "only the dense block contains the feed's summary");
    }
    if r.link_density() > 0.5 && d.link_density() < 0.3 {
        return (d, "readability's text is mostly links");
    }
    if r.prose() * 2 < d.prose() && d.link_density() < 0.25 && d.covers(&r.text()) >= 0.8 {
        return (d, "readability kept under half the page's prose");
    }
    if is_list(r) && is_running_text(d) && d.chars() <= 3 * r.chars() && d.covers(&r.text()) < 0.2 {
        return (d, "readability found a list; the dense block is the prose");
    }
    (r, "readability's article")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(strategy: Strategy, html: &str) -> Draft {
        let mut draft = Draft::new(strategy, html);
        draft.clean(&Context::default());
        draft
    }

    #[test]
    fn dropped_paragraphs_leave_the_html_too() {
        let d = draft(
            Strategy::Readability,
            "<div><p>Dock workers voted on Sunday night to accept a revised pay offer.</p>\
             <p>编辑：陈迪</p><ul><li><a href='/a'>One more story here</a></li><li><a href='/b'>Another story here</a></li></ul></div>",
        );
        assert_eq!(
            d.text(),
            "Dock workers voted on Sunday night to accept a revised pay offer."
        );
        let html = d.html();
        assert!(
            !html.contains("陈迪") && !html.contains("<li") && !html.contains("<ul"),
            "{html}"
        );
        assert!(html.contains("<p>Dock workers"), "{html}");
    }

    #[test]
    fn readability_stands_unless_implausible() {
        const SENTENCES: [&str; 5] = [
            "Dock workers at the container terminal voted on Sunday night to accept a revised pay offer.",
            "The twelve-day strike had left more than forty ships anchored offshore and freight delayed.",
            "Union leaders said the deal raises wages by six percent over two years and limits overtime.",
            "Shipping lines expect the backlog of containers to clear by the end of next week at the latest.",
            "The port authority thanked residents for their patience during the long and costly stoppage.",
        ];
        let para = |n: usize| format!("<p>{}</p>", SENTENCES[n]);
        let paras = |n: usize| (0..n).map(para).collect::<String>();
        let prose = para(0);
        let short = draft(Strategy::Readability, &prose);
        let long = draft(Strategy::Density, &paras(4));
        let drafts = [short, long];
        let (winner, reason) = choose(&drafts, None);
        assert_eq!(
            winner.map(|d| d.strategy),
            Some(Strategy::Density),
            "{reason}"
        );

        let r = draft(Strategy::Readability, &paras(3));
        let d = draft(Strategy::Density, &paras(4));
        assert_eq!(
            choose(&[r, d], None).0.map(|d| d.strategy),
            Some(Strategy::Readability)
        );

        let r = draft(Strategy::Readability, &paras(3));
        let d = draft(
            Strategy::Density,
            &format!(
                "{}<p>The union said members were relieved to be back at work on Monday.</p>",
                paras(3)
            ),
        );
        let summary = Some("The union said members were relieved to be back at work on Monday.");
        let drafts = [r, d];
        let (winner, reason) = choose(&drafts, summary);
        assert_eq!(
            winner.map(|d| d.strategy),
            Some(Strategy::Density),
            "{reason}"
        );
    }

    #[test]
    fn a_list_loses_to_the_prose_of_another_block() {
        let list: String = [
            "Support Local Business",
            "AJ Power Supply",
            "\"Get your mojo going!\"",
            "4120 Industrial Ave",
            "412-4525",
            "Burt's Kitchen",
            "\"Let's do lunch!\"",
            "7070 Airport Road",
            "412-3900",
        ]
        .iter()
        .map(|l| format!("<p>{l}</p>"))
        .collect();
        let story = "<p>Sprint Nextel said Friday it plans to lay off 4,000 employees and close 125 stores.</p>\
             <p>The company has lost more than a million contract customers in the past year.</p>";
        let drafts = [
            draft(Strategy::Readability, &list),
            draft(Strategy::Density, story),
        ];
        let (winner, reason) = choose(&drafts, None);
        assert_eq!(
            winner.map(|d| d.strategy),
            Some(Strategy::Density),
            "{reason}"
        );
        // A story told in short lines is not displaced by a much longer
        // block (comments, say).
        let comments = "<p>I have read this author for years and this is the best thing written so far, thanks.</p>".repeat(12);
        let drafts = [
            draft(Strategy::Readability, &list),
            draft(Strategy::Density, &comments),
        ];
        assert_eq!(
            choose(&drafts, None).0.map(|d| d.strategy),
            Some(Strategy::Readability)
        );
    }
}
