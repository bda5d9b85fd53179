//! Boilerplate that survives main-content selection, cut paragraph by
//! paragraph: credit and copyright lines, related-link and "more stories"
//! lists, share widgets, promotions, picture captions, a teaser repeated
//! before the lead, an author box, readers' comments, furniture around the densest block,
//! advertisement labels, notices about the reader's browser, media labels and credits, share and comment counters, newsletter boxes, tag
//! lines, tables of contents, related links and other stories' teasers inside the story. One file per
//! rule, each behind [`Rule`]; a rule only ever marks paragraphs to drop.

mod adverts;
mod author;
mod browser;
mod captions;
mod counters;
mod credits;
mod discussion;
mod edges;
mod headlines;
mod links;
mod media;
mod newsletter;
mod promo;
mod related;
mod tags;
mod teaser;
mod toc;
mod widgets;

use super::blocks::Block;
use super::tokens::squash;

pub(crate) use edges::Core;

/// What the rules may compare paragraphs against.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Context<'a> {
    /// The article's title, once reconciled.
    pub title: &'a str,
    /// The feed's summary of the article, if it had one.
    pub summary: Option<&'a str>,
    /// The page's densest block, read as paragraphs, when the candidate
    /// being cleaned is another strategy's.
    pub core: Option<&'a Core>,
}

/// One cleanup rule.
pub(crate) trait Rule {
    /// Marks paragraphs to drop by setting `keep[i] = false`; paragraphs
    /// already dropped by an earlier rule stay dropped.
    fn apply(&self, blocks: &[Block], keep: &mut [bool], context: &Context<'_>);
}

/// The rules, in order: line patterns first, so that the list and tail
/// rules see where credits end.
const RULES: &[&dyn Rule] = &[
    &widgets::Widgets,
    &adverts::Adverts,
    &browser::BrowserNotices,
    &counters::Counters,
    &media::MediaLabels,
    &promo::Promotions,
    &newsletter::Newsletter,
    &tags::Tags,
    &toc::Contents,
    &headlines::Headlines,
    &related::Related,
    &captions::Captions,
    &credits::Credits,
    &links::LinkLists,
    &credits::Tail,
    &discussion::Discussion,
    &teaser::Teaser,
    &author::AuthorBox,
    &edges::Edges,
];

/// Drops every paragraph of at most `longest` characters that `pattern`
/// matches (trimmed): the shape of the rules that recognise a line by
/// what it says.
fn drop_matching(blocks: &[Block], keep: &mut [bool], longest: usize, pattern: &regex::Regex) {
    for (block, keep) in blocks.iter().zip(keep.iter_mut()) {
        if block.text.chars().count() <= longest && pattern.is_match(block.text.trim()) {
            *keep = false;
        }
    }
}

/// Which paragraphs to keep.
pub(crate) fn keep(blocks: &[Block], context: &Context<'_>) -> Vec<bool> {
    let mut keep = vec![true; blocks.len()];
    for rule in RULES {
        rule.apply(blocks, &mut keep, context);
    }
    keep
}

/// A paragraph of running text, not a heading, link or list of them.
fn is_prose(block: &Block) -> bool {
    let long = if block.text.is_ascii() { 120 } else { 60 };
    block.chars >= long && block.link_density() < 0.3
}

/// Characters that only separate things: a paragraph of nothing else is
/// layout, not text.
fn is_separator_only(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_whitespace() || (!c.is_alphanumeric() && c != '%'))
}

#[cfg(test)]
pub(crate) fn block(text: &str, link_chars: usize) -> Block {
    let chars = text.chars().filter(|c| !c.is_whitespace()).count();
    Block {
        text: text.to_owned(),
        chars,
        link_chars: link_chars.min(chars),
        ..Block::default()
    }
}

#[cfg(test)]
pub(crate) fn kept(blocks: &[Block], keep: &[bool]) -> Vec<String> {
    blocks
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(b, _)| b.text.clone())
        .collect()
}
