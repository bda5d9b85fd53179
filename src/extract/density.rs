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

use super::blocks::{is_block, is_concealed, is_hidden};

/// Paragraphs with fewer non-link characters than this are not prose.
const MIN_PARAGRAPH: usize = 10;

/// Elements that never hold the article.
fn is_chrome(name: &str) -> bool {
    matches!(name, "nav" | "header" | "footer" | "aside" | "menu")
}

/// The outer HTML of the page's densest container, if any paragraph of
/// prose was found.
pub(crate) fn best_container(document: &Document) -> Option<String> {
    let body = document.body()?;
    let mut scores: HashMap<NodeId, f64> = HashMap::new();
    visit(&body, &mut scores);
    let mut ranked: Vec<(NodeId, f64)> = scores.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
        .into_iter()
        .take(5)
        .map(|(id, score)| {
            let node = NodeRef::new(id, &document.tree);
            let discounted = score * (1.0 - link_density(&node));
            (node, discounted)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(node, _)| node.html().to_string())
}

/// Scores the paragraphs under `node`; returns whether `node` holds any
/// block element (so is not itself a paragraph).
fn visit(node: &NodeRef<'_>, scores: &mut HashMap<NodeId, f64>) -> bool {
    let mut has_block = false;
    let mut loose = Stats::default();
    for child in node.children_it(false) {
        if child.is_text() {
            loose.add_text(&child.text(), false);
            continue;
        }
        let Some(name) = child.node_name() else {
            continue;
        };
        if is_hidden(&name) || is_chrome(&name) || is_concealed(&child) {
            has_block |= is_chrome(&name);
            continue;
        }
        if is_block(&name) {
            has_block = true;
            if !visit(&child, scores) && name.as_ref() != "br" {
                credit(&child, Stats::of(&child).score(), scores);
            }
        } else {
            // Inline: its text runs on with the container's own, unless
            // it wraps blocks of its own.
            let inner = visit(&child, scores);
            has_block |= inner;
            if !inner {
                loose.add_node(&child);
            }
        }
    }
    if has_block {
        credit_self(node, loose.score(), scores);
    }
    has_block
}

/// Gives a paragraph's score to its container and the two above it.
fn credit(paragraph: &NodeRef<'_>, score: f64, scores: &mut HashMap<NodeId, f64>) {
    if score <= 0.0 {
        return;
    }
    for (depth, ancestor) in paragraph.ancestors_it(Some(3)).enumerate() {
        if !ancestor.is_element() {
            break;
        }
        *scores.entry(ancestor.id).or_default() += score / (depth as f64 + 1.0);
    }
}

/// Text written straight into a container scores for the container itself.
fn credit_self(container: &NodeRef<'_>, score: f64, scores: &mut HashMap<NodeId, f64>) {
    if score <= 0.0 {
        return;
    }
    *scores.entry(container.id).or_default() += score;
    for (depth, ancestor) in container.ancestors_it(Some(2)).enumerate() {
        if !ancestor.is_element() {
            break;
        }
        *scores.entry(ancestor.id).or_default() += score / (depth as f64 + 2.0);
    }
}

fn link_density(node: &NodeRef<'_>) -> f64 {
    let stats = Stats::of(node);
    let all = stats.text + stats.links;
    if all == 0 {
        0.0
    } else {
        stats.links as f64 / all as f64
    }
}

/// Character counts of a piece of the page.
#[derive(Default)]
struct Stats {
    /// Non-space characters outside links.
    text: usize,
    /// Non-space characters inside links.
    links: usize,
    /// Punctuation outside links.
    punctuation: usize,
}

impl Stats {
    fn of(node: &NodeRef<'_>) -> Stats {
        let mut stats = Stats::default();
        stats.add_node(node);
        stats
    }

    fn add_node(&mut self, node: &NodeRef<'_>) {
        self.add_under(node, false);
    }

    fn add_under(&mut self, node: &NodeRef<'_>, link: bool) {
        if node.is_text() {
            self.add_text(&node.text(), link);
            return;
        }
        let name = node.node_name();
        let name = name.as_deref().unwrap_or("");
        if is_hidden(name) {
            return;
        }
        let link = link || name == "a";
        for child in node.children_it(false) {
            self.add_under(&child, link);
        }
    }

    fn add_text(&mut self, text: &str, link: bool) {
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            if link {
                self.links += 1;
            } else {
                self.text += 1;
                self.punctuation += usize::from("，。！？；、,.!?;:：\"“”".contains(c));
            }
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let best = best_container(&document).unwrap();
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
                .starts_with("<div id=\"text\">")
        );
        assert!(best_container(&Document::from("<html><body></body></html>")).is_none());
    }
}
