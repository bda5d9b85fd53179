//! Related-story boxes inside the story: a heading that only names the
//! box ("Related stories", "You may also like:", "Related Posts:", "TOP
//! STORIES", "Michigan Environment News") with
//! the run of links under it, wherever it stands (`links` drops link runs
//! at the candidate's edges, `credits` what follows a "related" line in
//! the story's second half; this one also takes a box the page set between
//! two paragraphs of the story, or one followed by more of the page). A
//! labelled link inside a paragraph ("Related: …", "SEE ALSO: …") stays:
//! human readers copy those with the story.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule};
use crate::extract::blocks::Block;

/// Drops related-story boxes.
pub(crate) struct Related;

/// A heading that is the box's name and nothing else.
static HEADING: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?ix)^\W*(?:
            related(?:\s+(?:stories|story|articles?|posts?|content|coverage|links|reading|news|videos?))?
            | you\s+(?:may|might)\s+also\s+(?:like|enjoy|be\s+interested\s+in)
            | more\s+(?:stories|news|articles|posts)(?:\s+(?:like\s+this|from\s+\S+(?:\s+\S+)?))?
            | recommended\s+(?:for\s+you|stories|articles|reading)
            | most\s+(?:read|popular|viewed|shared|emailed)(?:\s+(?:stories|articles|now|today))?
            | (?:don['’]t\s+miss|trending\s+now|also\s+on\s+\S+(?:\s+\S+)?)
            | (?:top|latest|featured|popular|other)(?:\s+[\w&'’-]+){0,2}\s+(?:stories|news|headlines|videos?|photos?)
            | [\w&'’-]+(?:\s+[\w&'’-]+){0,2}\s+(?:news|headlines)
            | 相关阅读|相关新闻|相关文章|相关推荐|推荐阅读|延伸阅读|猜你喜欢
        )\W*$",
    )
});

/// Share of a paragraph in links from which it is a link.
const LINKED: f64 = 0.5;

impl Rule for Related {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        let linked = |b: &Block| b.link_density() >= LINKED;
        let mut i = 0;
        while i < blocks.len() {
            let block = &blocks[i];
            if !linked(block) && block.text.chars().count() <= 40 && HEADING.is_match(&block.text) {
                let end = (i + 1..blocks.len())
                    .find(|&j| !linked(&blocks[j]))
                    .unwrap_or(blocks.len());
                if end > i + 1 {
                    keep[i..end].fill(false);
                    i = end;
                    continue;
                }
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    #[test]
    fn related_boxes_inside_the_story_go_labelled_links_stay() {
        let para = "Dock workers at the container terminal voted on Sunday night to accept a revised pay offer.";
        let labelled = "Related: Strike talks resume at the port";
        let blocks = [
            block(para, 0),
            block(labelled, 30),
            block(para, 0),
            block("Related stories", 0),
            block("Port reopens after strike", 22),
            block("Shipping lines count the cost", 25),
            block(para, 0),
            block("You may also like:", 0),
            block("Union leader steps down", 20),
            block(para, 0),
            block("TOP STORIES", 0),
            block("Ferry fares to rise in spring", 25),
            block(para, 0),
            block("Michigan Environment News", 0),
            block("Wind farm approved off the coast", 28),
            block("Recommended recordings", 0),
            block("Glass: Einstein On The Beach", 0),
        ];
        let mut keep = vec![true; blocks.len()];
        Related.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(
            kept(&blocks, &keep),
            [
                para,
                labelled,
                para,
                para,
                para,
                para,
                "Recommended recordings",
                "Glass: Einstein On The Beach"
            ]
        );
    }
}
