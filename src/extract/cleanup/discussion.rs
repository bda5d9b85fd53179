//! The discussion under a story: once a line opens the readers' comments
//! ("Comments are now closed for this story", "12 Comments", "Leave a
//! comment", "Have your say", "网友评论", "0条评论 3人参与网友评论"),
//! everything after it is theirs, prose included, so it all goes. Only a short line that is nothing but
//! such a heading counts, and only after the story has begun (some prose
//! before it), so a sentence about comments inside the story stays; a
//! heading seen more than twice is a list of posts' comment links, and
//! nothing is cut.
//! Comment sections the markup names are taken off the page earlier
//! (`extract::comments`); this rule catches those it does not name.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule, is_prose};
use crate::extract::blocks::Block;

/// Drops the comments and what follows them.
pub(crate) struct Discussion;

/// Longest line read as a comments heading.
const LONGEST: usize = 50;

static HEADING: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?ix)^(?:
            (?:\d+\s+comments?|(?:(?:reader|user|visitor)s?['’]?\s+)?comments(?:\s*\(\d+\))?)\s*[:»]?
            | comments?\s+are\s+(?:now\s+)?closed(?:\s+for\s+this\s+(?:story|article|post|entry))?\.?
            | (?:leave|post|add|write|submit)\s+(?:a|your)\s+(?:comment|reply|response)\S?
            | (?:\d+\s+)?(?:responses|replies|thoughts)\s+(?:to|on)\s+.{1,40}
            | have\s+your\s+say\S?
            | join\s+the\s+(?:discussion|conversation)\S?
            | discuss\s+this\s+(?:article|story|post)\S?
            | (?:网友|網友|发表|發表|我要|热门|熱門|最新|最热|最熱|全部)[评評][论論]|[评評][论論][区區]
            | \d+\s*[条條][评評][论論](?:\s*\d+\s*人[参參]与(?:网友|網友)?[评評][论論])?
        )$",
    )
});

/// A comments heading: short, not a link (a "Comments" link under each
/// post of a blog's front page is a widget, not the start of a thread).
fn is_heading(block: &Block) -> bool {
    let text = block.text.trim();
    block.link_density() < 0.5 && text.chars().count() <= LONGEST && HEADING.is_match(text)
}

impl Rule for Discussion {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        // A heading repeated down the page belongs to a list of posts, each
        // with its own thread, not to one story's.
        if blocks.iter().filter(|b| is_heading(b)).count() > 2 {
            return;
        }
        let mut story_begun = false;
        for i in 0..blocks.len() {
            if story_begun && is_heading(&blocks[i]) {
                keep[i..].fill(false);
                return;
            }
            story_begun |= keep[i] && is_prose(&blocks[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    #[test]
    fn comments_after_the_story_go_with_their_prose() {
        let story = "Hey everyone! Just wanted to show another interview that we did recently with a travel site, about our year on the road, the places we saw and the people we met along the way.";
        let talk = "The government should not be spending taxpayers' money on industry, that is the responsibility of the private sector.";
        let blocks = [
            block("Updated Fri. Jan. 11 2008 10:56 PM ET", 0),
            block(story, 0),
            block("Comments are now closed for this story", 0),
            block("Stephen B", 0),
            block(talk, 0),
            block("12 Comments", 0),
        ];
        let mut keep = vec![true; blocks.len()];
        Discussion.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(
            kept(&blocks, &keep),
            ["Updated Fri. Jan. 11 2008 10:56 PM ET", story]
        );
    }

    #[test]
    fn chinese_comment_counters_open_the_discussion_in_either_script() {
        let story = "新京报快讯（记者 裴剑飞）今日有网友爆料，有60万个12306账号和410万条联系人数据在暗网低价出售，铁路总公司当晚辟谣。";
        for counter in ["0条评论 3人参与网友评论", "12 條評論", "最熱評論", "评论区"]
        {
            let blocks = [
                block(story, 0),
                block(counter, 0),
                block("比尔伊恩 退出", 0),
                block("最新评论 徐小明：趋势为王 结构修边", 0),
            ];
            let mut keep = vec![true; blocks.len()];
            Discussion.apply(&blocks, &mut keep, &Context::default());
            assert_eq!(kept(&blocks, &keep), [story], "{counter}");
        }
        // A line that only mentions comments is no heading.
        let blocks = [block(story, 0), block("评论：这次辟谣来得及时", 0)];
        let mut keep = vec![true; blocks.len()];
        Discussion.apply(&blocks, &mut keep, &Context::default());
        assert!(keep.iter().all(|k| *k));
    }

    #[test]
    fn a_heading_before_the_story_or_a_sentence_about_comments_stays() {
        let story = "Readers left comments on the council's page for a week, and most of them asked for the bus route to be restored.";
        let blocks = [
            block("Comments", 0),
            block(story, 0),
            block("Comment", 0),
            block(story, 0),
            block(
                "Comments on the plan close on Friday, the council said in a statement.",
                0,
            ),
        ];
        let mut keep = vec![true; blocks.len()];
        Discussion.apply(&blocks, &mut keep, &Context::default());
        assert!(keep.iter().all(|k| *k));
        // A blog's front page: each post with its own comment link.
        let blocks = [
            block(story, 0),
            block("Comments (3)", 0),
            block(story, 0),
            block("Comments (5)", 0),
            block(story, 0),
            block("Comments (0)", 0),
        ];
        let mut keep = vec![true; blocks.len()];
        Discussion.apply(&blocks, &mut keep, &Context::default());
        assert!(keep.iter().all(|k| *k));
    }
}
