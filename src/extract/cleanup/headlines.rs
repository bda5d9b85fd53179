//! Other stories' teasers inside the story: a run of linked headlines,
//! each followed by its summary ("Sam pepper-sprayed and arrested" /
//! "AVATAR star allegedly screamed …"), as a page's "more news" box puts
//! them between two paragraphs of the article or after it. Three such
//! pairs in a row are a box, whatever its heading says (`related` knows
//! boxes by their heading, `links` runs of links with no summaries); a
//! short label right above the run ("TOP STORIES") goes with it.

use std::ops::{Range, RangeInclusive};

use super::{Context, Rule};
use crate::extract::blocks::Block;

/// Drops runs of headline-and-summary teasers.
pub(crate) struct Headlines;

/// Pairs in a row from which a run is a box of teasers.
const PAIRS: usize = 3;

/// Longest linked headline, in non-space characters.
const HEADLINE: usize = 120;

/// Shortest and longest summary, in non-space characters.
const SUMMARY: RangeInclusive<usize> = 20..=400;

/// Longest label above a run, in words.
const LABEL_WORDS: usize = 4;

/// A linked heading or list item: a story's own linked lines (a picture's
/// credit over each paragraph, a product's name) are neither.
fn is_headline(block: &Block) -> bool {
    block.link_density() >= 0.6 && block.chars <= HEADLINE && (block.heading || block.list_item)
}

fn is_summary(block: &Block) -> bool {
    block.link_density() < 0.3 && SUMMARY.contains(&block.chars)
}

/// A box's name: a few words, no link, not a sentence.
fn is_label(block: &Block) -> bool {
    block.link_chars == 0
        && block.text.split_whitespace().count() <= LABEL_WORDS
        && !block
            .text
            .trim_end()
            .ends_with(['.', ':', '。', '：', '?', '!'])
}

/// Whether the paragraphs outside the `runs` (of `kept`) hold a story: a
/// story's worth of running text, and at least a third as much as the
/// runs hold. A page that is mostly teasers is an index or a digest, and
/// its teasers are its content.
fn is_beside_a_story(blocks: &[Block], kept: &[usize], runs: &[Range<usize>]) -> bool {
    let mut in_run = vec![false; kept.len()];
    for run in runs {
        in_run[run.clone()].fill(true);
    }
    let (mut inside, mut prose) = (0, 0);
    for (&i, inside_a_run) in kept.iter().zip(in_run) {
        if inside_a_run {
            inside += blocks[i].chars;
        } else if blocks[i].reads_as_prose() {
            prose += blocks[i].chars;
        }
    }
    prose >= STORY && prose * 3 >= inside
}

/// Running text (non-space characters) beside the runs from which it is a
/// story's.
const STORY: usize = 300;

/// The runs of teasers among `kept`, as ranges of it, labels included.
fn runs(blocks: &[Block], kept: &[usize]) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut at = 0;
    while at + 1 < kept.len() {
        let mut end = at;
        while end + 1 < kept.len()
            && is_headline(&blocks[kept[end]])
            && is_summary(&blocks[kept[end + 1]])
        {
            end += 2;
        }
        if (end - at) / 2 < PAIRS {
            at += 1;
            continue;
        }
        let labelled = at > 0 && is_label(&blocks[kept[at - 1]]);
        runs.push(if labelled { at - 1 } else { at }..end);
        at = end;
    }
    runs
}

impl Rule for Headlines {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        // The paragraphs still kept, in order.
        let kept: Vec<usize> = (0..blocks.len()).filter(|&i| keep[i]).collect();
        let runs = runs(blocks, &kept);
        if runs.is_empty() || !is_beside_a_story(blocks, &kept, &runs) {
            return;
        }
        for run in runs {
            for &i in &kept[run] {
                keep[i] = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    const PARA: &str = "Dock workers at the container terminal voted on Sunday night to accept a revised pay offer.";

    fn teaser(n: usize) -> [Block; 2] {
        let headline = format!("Another story of the day, number {n}");
        let summary = format!("A summary of story {n}, told in a sentence or two for the reader.");
        let headline = Block {
            heading: true,
            ..block(&headline, headline.len())
        };
        [headline, block(&summary, 0)]
    }

    #[test]
    fn three_teasers_in_a_row_go_with_their_label() {
        let mut blocks = vec![block(PARA, 0), block(PARA, 0), block("TOP STORIES", 0)];
        blocks.extend((0..3).flat_map(teaser));
        blocks.extend([block(PARA, 0), block(PARA, 0)]);
        let mut keep = vec![true; blocks.len()];
        Headlines.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep), [PARA; 4]);
        // A page of teasers and little else is an index: they are its text.
        let mut blocks = vec![block(PARA, 0)];
        blocks.extend((0..3).flat_map(teaser));
        let mut keep = vec![true; blocks.len()];
        Headlines.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep).len(), 7);
    }

    #[test]
    fn two_teasers_or_a_story_citing_links_stay() {
        let mut blocks = vec![block(PARA, 0)];
        blocks.extend((0..2).flat_map(teaser));
        blocks.push(block(PARA, 0));
        let mut keep = vec![true; blocks.len()];
        Headlines.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep).len(), 6);
        // Links followed by paragraphs of the story's own length.
        let mut blocks = vec![block(PARA, 0)];
        for n in 0..4 {
            let link = format!("Report number {n}");
            blocks.push(block(&link, link.len()));
            blocks.push(block(&[PARA; 6].join(" "), 0));
        }
        let mut keep = vec![true; blocks.len()];
        Headlines.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep).len(), 9);
        // Linked lines that are no headings: a picture's credit over each
        // paragraph of the story.
        let mut blocks = vec![block(PARA, 0), block(PARA, 0)];
        for n in 0..4 {
            let credit = format!("(Artist: painter {n})");
            blocks.push(block(&credit, credit.len()));
            blocks.push(block(PARA, 0));
        }
        let mut keep = vec![true; blocks.len()];
        Headlines.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep).len(), 10);
    }
}
