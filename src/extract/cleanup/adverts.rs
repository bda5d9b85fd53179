//! "Advertisement" labels: the word a page prints over an ad slot inside
//! the story ("ADVERTISEMENT", "Story continues below advertisement",
//! "Sponsored content"). The slot's ad is gone with its script; its label
//! reads as a one-word paragraph of the story unless it is dropped. Only a
//! paragraph that is the label and nothing else goes.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule, drop_matching};
use crate::extract::blocks::Block;

/// Drops advertisement labels.
pub(crate) struct Adverts;

/// Longest paragraph read as a label.
const LONGEST: usize = 60;

static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?ix)^\W*(?:
            advertisement|advertising|advert|ad|anzeige|publicité|
            sponsored(?:\s+(?:content|links?|post|stories))?|paid\s+(?:post|content)|
            (?:story|article|text)\s+continues\s+(?:below|after)(?:\s+(?:this\s+|the\s+)?(?:advertisement|ad))?|
            continue\s+reading\s+(?:the\s+main\s+story|below(?:\s+the\s+ad)?)|
            广告|推广
        )\W*$",
    )
});

impl Rule for Adverts {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        drop_matching(blocks, keep, LONGEST, &LABEL);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    #[test]
    fn ad_labels_go_sentences_about_advertising_stay() {
        let story = "The firm's advertising revenue rose by a fifth in the quarter, it said.";
        let blocks = [
            block("ADVERTISEMENT", 0),
            block(story, 0),
            block("Story continues below advertisement", 0),
            block("- Advertisement -", 0),
            block("Sponsored Content", 0),
            block("Advertising", 0),
            block("Ad", 0),
            block("Advertisement feature: the best laptops of the year", 0),
        ];
        let mut keep = vec![true; blocks.len()];
        Adverts.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(
            kept(&blocks, &keep),
            [story, "Advertisement feature: the best laptops of the year"]
        );
    }
}
