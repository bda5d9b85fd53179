//! The second strategy: text-density scoring over the whole page. Every
//! paragraph of prose (a block element without block children, or text
//! written straight into a container) scores by its non-link characters,
//! weighted down by link density and up by punctuation, and gives its score
//! to its container, half to the next one up and a third to the one above
//! that; the best container, discounted by its own link density, wins.
//!
//! It differs from Readability in what it ignores: class and id names, and
//! the cleaning passes that sometimes throw out a Chinese article's only
//! container.

use std::collections::HashMap;

use dom_query::{Document, NodeId, NodeRef};

use super::blocks::{is_concealed, is_hidden};
use crate::text::markup::is_block;

/// Paragraphs with fewer non-link characters than this are not prose.
const MIN_PARAGRAPH: usize = 10;

/// Elements that never hold the article.
fn is_chrome(name: &str) -> bool {
    matches!(name, "nav" | "header" | "footer" | "aside" | "menu")
}

/// The page's containers scored by the prose they hold.
pub(crate) struct Density<'a> {
    document: &'a Document,
    walk: Walk,
}

impl<'a> Density<'a> {
    /// Scores every container of the page's body.
    pub fn of(document: &'a Document) -> Option<Density<'a>> {
        let body = document.body()?;
        let mut walk = Walk::default();
        walk.visit(&body, false);
        Some(Density { document, walk })
    }

    /// A container's score, discounted by its own link density.
    fn plain_score(&self, id: NodeId, score: f64) -> f64 {
        let density = self.walk.totals.get(&id).map_or(0.0, Stats::link_density);
        score * (1.0 - density)
    }

    /// The densest container, if any paragraph of prose was found: of the
    /// five best by score, the one with least link text for its score.
    pub fn best(&self) -> Option<NodeRef<'a>> {
        let mut ranked: Vec<(NodeId, f64)> =
            self.walk.scores.iter().map(|(id, s)| (*id, *s)).collect();
        // Ties fall to document order, so the choice does not depend on
        // the map's iteration order.
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .take(5)
            .map(|(id, score)| (id, self.plain_score(id, score)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(id, _)| NodeRef::new(id, &self.document.tree))
    }

    /// The article around a paragraph known to belong to it: of the few
    /// containers that hold `node`, the nearest that scores nearly as well
    /// as the best of them (going further up mostly adds the page's
    /// furniture: link lists, other stories' teasers).
    pub fn best_holding(&self, node: NodeId) -> Option<NodeRef<'a>> {
        let node = NodeRef::new(node, &self.document.tree);
        let scored: Vec<(NodeRef<'a>, f64)> = node
            .ancestors_it(None)
            .take_while(NodeRef::is_element)
            .filter(|a| !is_row_group(a))
            .take(HOLDING_LEVELS)
            .filter_map(|a| {
                let score = self.walk.scores.get(&a.id)?;
                Some((a, self.plain_score(a.id, *score)))
            })
            .filter(|(_, score)| *score > 0.0)
            .collect();
        let best = scored.iter().map(|(_, s)| *s).fold(0.0, f64::max);
        scored
            .into_iter()
            .find(|(_, score)| *score >= NEARLY * best)
            .map(|(a, _)| a)
    }
}

/// How far up from a paragraph its article's container is looked for.
const HOLDING_LEVELS: usize = 6;

/// Share of the best score a nearer container needs to be taken instead.
const NEARLY: f64 = 0.6;

/// The page's densest container, if any paragraph of prose was found.
#[cfg(test)]
fn best_container(document: &Document) -> Option<NodeRef<'_>> {
    Density::of(document)?.best()
}

/// One pass over the page, bottom up.
#[derive(Default)]
struct Walk {
    /// Container scores.
    scores: HashMap<NodeId, f64>,
    /// Character counts of each element's whole subtree.
    totals: HashMap<NodeId, Stats>,
}

impl Walk {
    /// Scores the paragraphs under `root` (inside a link if `link`);
    /// returns whether `root` holds any block element (so is not itself a
    /// paragraph), and the counts of its whole subtree. The walk keeps its
    /// own stack, so a deeply nested page cannot overflow the thread's.
    fn visit(&mut self, root: &NodeRef<'_>, link: bool) -> (bool, Stats) {
        let mut stack = vec![Frame::new(*root, link)];
        loop {
            let Some(frame) = stack.last_mut() else {
                return (false, Stats::default());
            };
            if let Some(child) = frame.children.pop() {
                if let Some(inner) = frame.enter(child) {
                    stack.push(inner);
                }
                continue;
            }
            let Some(done) = stack.pop() else {
                return (false, Stats::default());
            };
            if done.has_block {
                credit_self(&done.node, done.loose.score(), &mut self.scores);
            }
            self.totals.insert(done.node.id, done.all);
            let result = (done.has_block, done.all);
            match stack.last_mut() {
                Some(parent) => parent.leave(&done.node, result, &mut self.scores),
                None => return result,
            }
        }
    }
}

/// An element being walked, with what its children added up to so far.
struct Frame<'a> {
    node: NodeRef<'a>,
    link: bool,
    /// Children not yet walked, the next one last.
    children: Vec<NodeRef<'a>>,
    has_block: bool,
    /// Text written straight into the element or its inline children.
    loose: Stats,
    all: Stats,
}

impl<'a> Frame<'a> {
    fn new(node: NodeRef<'a>, link: bool) -> Self {
        Frame {
            children: node.children_it(true).collect(),
            node,
            link,
            has_block: false,
            loose: Stats::default(),
            all: Stats::default(),
        }
    }

    /// Reads a child: counts text at once, returns an element to walk.
    fn enter(&mut self, child: NodeRef<'a>) -> Option<Frame<'a>> {
        if child.is_text() {
            let text = child.text();
            self.loose.add_text(&text, self.link);
            self.all.add_text(&text, self.link);
            return None;
        }
        let name = child.node_name()?;
        if is_hidden(&name) || is_chrome(&name) || is_concealed(&child) {
            self.has_block |= is_chrome(&name);
            return None;
        }
        let link = self.link || name.as_ref() == "a";
        Some(Frame::new(child, link))
    }

    /// Takes in a walked child element: whether it held blocks, its counts.
    fn leave(
        &mut self,
        child: &NodeRef<'_>,
        (inner, counts): (bool, Stats),
        scores: &mut HashMap<NodeId, f64>,
    ) {
        let name = child.node_name().unwrap_or_default();
        self.all.add(&counts);
        if is_block(&name) {
            self.has_block = true;
            if !inner && name.as_ref() != "br" {
                credit(child, counts.score(), scores);
            }
        } else if inner {
            self.has_block = true;
        } else {
            // Inline: its text runs on with the container's own.
            self.loose.add(&counts);
        }
    }
}

/// Gives a paragraph's score to its container and the two above it. A
/// table's rows and row groups are not containers of their own: an article
/// laid out one paragraph per `<tr><td>` scores for its `<table>` as one laid
/// out in `<p>`s scores for its `<div>`.
fn credit(paragraph: &NodeRef<'_>, score: f64, scores: &mut HashMap<NodeId, f64>) {
    if score <= 0.0 {
        return;
    }
    let containers = paragraph
        .ancestors_it(None)
        .take_while(NodeRef::is_element)
        .filter(|a| !is_row_group(a));
    for (depth, ancestor) in containers.take(3).enumerate() {
        *scores.entry(ancestor.id).or_default() += score / (depth as f64 + 1.0);
    }
}

/// A table row or row group: structure inside one table.
fn is_row_group(node: &NodeRef<'_>) -> bool {
    matches!(
        node.node_name().as_deref(),
        Some("tr" | "tbody" | "thead" | "tfoot")
    )
}

/// Text written straight into a container scores for the container itself.
fn credit_self(container: &NodeRef<'_>, score: f64, scores: &mut HashMap<NodeId, f64>) {
    if score <= 0.0 {
        return;
    }
    *scores.entry(container.id).or_default() += score;
    let containers = container
        .ancestors_it(None)
        .take_while(NodeRef::is_element)
        .filter(|a| !is_row_group(a));
    for (depth, ancestor) in containers.take(2).enumerate() {
        *scores.entry(ancestor.id).or_default() += score / (depth as f64 + 2.0);
    }
}

/// Character counts of a piece of the page.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    /// Non-space characters outside links.
    text: usize,
    /// Non-space characters inside links.
    links: usize,
    /// Punctuation outside links.
    punctuation: usize,
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.text += other.text;
        self.links += other.links;
        self.punctuation += other.punctuation;
    }

    fn link_density(&self) -> f64 {
        match self.text + self.links {
            0 => 0.0,
            all => self.links as f64 / all as f64,
        }
    }

    fn add_text(&mut self, text: &str, link: bool) {
        let (chars, punctuation) = if text.is_ascii() {
            ascii_counts(text)
        } else {
            counts(text)
        };
        if link {
            self.links += chars;
        } else {
            self.text += chars;
            self.punctuation += punctuation;
        }
    }

    /// Prose weight: non-link text, less for link-heavy text, more for
    /// punctuated sentences.
    fn score(&self) -> f64 {
        if self.text < MIN_PARAGRAPH {
            return 0.0;
        }
        let all = (self.text + self.links) as f64;
        let plain = self.text as f64 / all;
        self.text as f64 * plain * plain * (1.0 + self.punctuation.min(10) as f64 / 10.0)
    }
}

/// Non-space characters of `text` and how many of them are sentence
/// punctuation.
fn counts(text: &str) -> (usize, usize) {
    let (mut chars, mut punctuation) = (0, 0);
    for c in text.chars() {
        match c {
            '，' | '。' | '！' | '？' | '；' | '、' | ',' | '.' | '!' | '?' | ';' | ':' | '：'
            | '"' | '“' | '”' => {
                chars += 1;
                punctuation += 1;
            }
            c if c.is_whitespace() => {}
            _ => chars += 1,
        }
    }
    (chars, punctuation)
}

/// [`counts`] of ASCII text, a byte at a time.
fn ascii_counts(text: &str) -> (usize, usize) {
    let (mut chars, mut punctuation) = (0, 0);
    for b in text.bytes() {
        match b {
            b',' | b'.' | b'!' | b'?' | b';' | b':' | b'"' => {
                chars += 1;
                punctuation += 1;
            }
            b' ' | b'\t'..=b'\r' => {}
            _ => chars += 1,
        }
    }
    (chars, punctuation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_text_is_counted_as_any_other() {
        let text = "Hello, world! \"Quoted\"; a:b.\t\x0b\x0c\r\n  end?";
        assert_eq!(ascii_counts(text), counts(text));
    }

    #[test]
    fn the_container_of_the_prose_wins_over_link_lists() {
        let para =
            "<p>连日来，市四套班子领导分赴各地，开展疫情防控督导检查，确保实现攻坚目标。</p>";
        let html = format!(
            "<html><body><div id='nav'>{}</div><div id='main'><div id='story'>{}</div>\
             <ul id='related'>{}</ul></div></body></html>",
            "<a href='/a'>首页</a> <a href='/b'>新闻</a>".repeat(10),
            para.repeat(5),
            "<li><a href='/x'>贵州大方:众志成城抗疫情，众志成城抗疫情</a></li>".repeat(10),
        );
        let document = Document::from(html);
        let best = best_container(&document).unwrap().html();
        assert!(best.starts_with("<div id=\"story\">"), "{best}");
    }

    #[test]
    fn text_written_into_a_container_with_breaks_counts() {
        let html = format!(
            "<html><body><div id='side'><p>Short.</p></div><div id='text'>{}</div></body></html>",
            "Dock workers voted on Sunday night to accept a revised pay offer, ending the strike.<br>".repeat(4)
        );
        let document = Document::from(html);
        assert!(
            best_container(&document)
                .unwrap()
                .html()
                .starts_with("<div id=\"text\">")
        );
        assert!(best_container(&Document::from("<html><body></body></html>")).is_none());
    }
}
