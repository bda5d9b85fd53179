//! Author boxes: a short paragraph at the top or the bottom of a candidate
//! that introduces the writer rather than telling the story ("Josh
//! Lowensohn joined CNET in 2006 and covers everything Apple.", "Jane Doe
//! is a staff writer for …", "About the author"). A name, a verb of the
//! kind and a trade or a career mark together make it one; a story whose
//! lead names a person ("Jane Doe is a farmer who…") has no trade word.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule};
use crate::extract::blocks::Block;

/// Drops author boxes at the candidate's edges.
pub(crate) struct AuthorBox;

/// Longest paragraph read as an author box.
const LONGEST: usize = 400;

/// "About the author", or a name followed by what the writer does.
static INTRO: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"^(?:(?i:about\s+the\s+author)\b|(?:\p{Lu}[\p{L}.'’-]+\s+){1,3}(?:is|was|has\s+been|joined|writes|covers|has\s+written|has\s+covered)\b)",
    )
});

/// The trade or the career that makes the introduction an author's.
static TRADE: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?i)\b(?:(?:staff|senior|contributing|freelance)\s+writer|writer|reporter|editor|correspondent|columnist|journalist|contributor|blogger|bestsell\w*|author\s+of|joined\s+\S+(?:\s+\S+){0,3}\s+in\s+(?:19|20)\d{2}|follow\s+(?:him|her|them)\s+on)\b",
    )
});

impl Rule for AuthorBox {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        let kept: Vec<usize> = (0..blocks.len()).filter(|&i| keep[i]).collect();
        let edges = [kept.first(), kept.last()];
        for &i in edges.into_iter().flatten() {
            let text = blocks[i].text.trim();
            if text.chars().count() <= LONGEST && INTRO.is_match(text) && TRADE.is_match(text) {
                keep[i] = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    #[test]
    fn author_boxes_at_the_edges_go_leads_naming_people_stay() {
        let lead =
            "Jane Doe is a farmer in Kansas who lost her whole wheat crop to hail on Sunday night.";
        let story =
            "The storm moved east overnight, and forecasters expect more of the same by Thursday.";
        let bio = "Josh Lowensohn joined CNET in 2006 and covers everything Apple. Before that, Josh wrote about new Web startups.";
        let blocks = [block(lead, 0), block(story, 0), block(bio, 0)];
        let mut keep = vec![true; blocks.len()];
        AuthorBox.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep), [lead, story]);

        let blocks = [
            block(
                "Seth Godin has written 12 bestsellers that have been translated into 33 languages",
                0,
            ),
            block(story, 0),
            block(bio, 0),
            block(story, 0),
        ];
        let mut keep = vec![true; blocks.len()];
        AuthorBox.apply(&blocks, &mut keep, &Context::default());
        // Only the edges are looked at: a bio in the middle stays.
        assert_eq!(kept(&blocks, &keep), [story, bio, story]);
    }
}
