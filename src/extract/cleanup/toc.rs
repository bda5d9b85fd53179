//! Tables of contents inside an article: a "Contents" (or "In this
//! article", "Jump to", "目录") label followed by a run of short list
//! items, or, without a label, a run of list items that name the article's
//! own sub-headings further down. They repeat the headings, so the story
//! keeps its headings and loses the list.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule, squash};
use crate::extract::blocks::Block;

/// Drops tables of contents.
pub(crate) struct Contents;

/// A table of contents' label.
static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?i)^\W*(?:table\s+of\s+contents|contents|in\s+this\s+(?:article|story|post|guide|page)|on\s+this\s+page|jump\s+to(?:\s+section)?|skip\s+to\s+section|inhalt(?:sverzeichnis)?|目录|本文目录)\W*(?:hide|show|\[hide\]|\[show\])?\W*$",
    )
});

/// Longest entry of a table of contents.
const ENTRY: usize = 100;

/// Fewest entries that make a list of sub-headings a table of contents.
const FEWEST: usize = 3;

impl Rule for Contents {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        let headings: Vec<(usize, String)> = blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| b.heading)
            .map(|(i, b)| (i, squash(&b.text)))
            .collect();
        let mut i = 0;
        while i < blocks.len() {
            let labelled = LABEL.is_match(&blocks[i].text);
            let start = if labelled { i + 1 } else { i };
            let end = (start..blocks.len())
                .find(|&j| !is_entry(&blocks[j]))
                .unwrap_or(blocks.len());
            let entries = end - start;
            let contents = (labelled && entries >= 2)
                || (entries >= FEWEST && names_headings(&blocks[start..end], &headings, end));
            if contents {
                keep[i..end].fill(false);
            }
            // A run that is no table of contents is not read again from
            // each of its items.
            i = end.max(i + 1);
        }
    }
}

/// Whether most entries name a heading that comes after them (`after`
/// is the index past the entries).
fn names_headings(entries: &[Block], headings: &[(usize, String)], after: usize) -> bool {
    let later: HashSet<&str> = headings
        .iter()
        .filter(|(h, _)| *h >= after)
        .map(|(_, t)| t.as_str())
        .collect();
    let named = entries
        .iter()
        .filter(|b| later.contains(squash(&b.text).as_str()))
        .count();
    named * 2 > entries.len()
}

/// A list item short enough to be a heading's name.
fn is_entry(block: &Block) -> bool {
    block.list_item && !block.heading && block.text.chars().count() <= ENTRY
}

#[cfg(test)]
mod tests {
    use super::super::kept;
    use super::*;
    use crate::extract::cleanup::block;

    fn item(text: &str) -> Block {
        let mut b = block(text, text.chars().filter(|c| !c.is_whitespace()).count());
        b.list_item = true;
        b
    }

    fn heading(text: &str) -> Block {
        let mut b = block(text, 0);
        b.heading = true;
        b
    }

    #[test]
    fn contents_lists_go_the_headings_and_other_lists_stay() {
        let para = "Sourdough needs three things: flour, water and a great deal of patience from the baker.";
        let blocks = [
            block(para, 0),
            block("Contents", 0),
            item("Feeding the starter"),
            item("Shaping"),
            item("Baking"),
            heading("Feeding the starter"),
            block(para, 0),
            heading("Shaping"),
            block(para, 0),
            heading("Baking"),
            block(para, 0),
        ];
        let mut keep = vec![true; blocks.len()];
        Contents.apply(&blocks, &mut keep, &Context::default());
        let want = [
            para,
            "Feeding the starter",
            para,
            "Shaping",
            para,
            "Baking",
            para,
        ];
        assert_eq!(kept(&blocks, &keep), want);

        // No label: the entries name the headings below.
        let unlabelled: Vec<Block> = blocks
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 1)
            .map(|(_, b)| b.clone())
            .collect();
        let mut keep = vec![true; unlabelled.len()];
        Contents.apply(&unlabelled, &mut keep, &Context::default());
        assert_eq!(kept(&unlabelled, &keep), want);

        // A list of ingredients is not a table of contents.
        let recipe = [
            block(para, 0),
            item("500 g flour"),
            item("350 ml water"),
            item("10 g salt"),
            heading("Method"),
            block(para, 0),
        ];
        let mut keep = vec![true; recipe.len()];
        Contents.apply(&recipe, &mut keep, &Context::default());
        assert!(keep.iter().all(|k| *k));
    }
}
