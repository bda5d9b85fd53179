//! Share and comment counters and the action lines around them: "12
//! Comments", "Comments (4)", "170,094 Views", "Leave a comment", "No
//! comments yet.", "E-mail this to a friend", "Printer Friendly Version",
//! "Reprints", "Add your view", and the notice a blog engine prints under
//! each post ("You can follow any responses to this entry through the RSS
//! 2.0 feed"). They count or offer something about the page, never say
//! anything of the story. Only short paragraphs that are nothing but such
//! a line go; `discussion` cuts what follows a comments heading, this
//! rule only the line.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule, drop_matching};
use crate::extract::blocks::Block;

/// Drops counter and action lines.
pub(crate) struct Counters;

/// Longest paragraph read as a counter or an action.
const LONGEST: usize = 80;

/// Longest paragraph read as a blog engine's notice.
const NOTICE_LONGEST: usize = 300;

static LINE: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?ix)^\W*(?:
            \d[\d,.]*\s*k?\s+(?:comments?|responses?|replies|shares?|views?|likes?|reads?)
            | (?:comments?|responses?|replies|shares|views)\s*[(\[:]\s*\d[\d,.]*\s*[)\]]?
            | (?:leave|post|add|write|submit|view|show|read)\s+(?:a\s+|your\s+|all\s+|the\s+)?(?:comments?|reply|replies|responses?|views?)
            | be\s+the\s+first\s+to\s+comment | no\s+comments(?:\s+yet)? | comments?\s+(?:are\s+)?closed
            | add\s+your\s+(?:view|comment)s?
            | (?:send|e-?mail)\s+(?:this\s+)?(?:article|story|page|post)?\s*(?:to\s+a\s+friend)?(?:\s*:.*)?
            | print(?:er[\s-]friendly)?(?:\s+this)?(?:\s+(?:article|story|page|version))?
            | reprints?(?:\s+(?:&|and)\s+permissions)?
            | bookmark\s+(?:this|it)\b.*
        )\W*$",
    )
});

/// A blog engine's notice under a post.
static NOTICE: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?i)you\s+can\s+follow\s+any\s+responses\s+to\s+this\s+entry|you\s+can\s+(?:leave\s+a\s+response|skip\s+to\s+the\s+end\s+and\s+leave\s+a\s+response)|both\s+comments\s+and\s+pings\s+are\s+currently\s+closed",
    )
});

impl Rule for Counters {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        drop_matching(blocks, keep, LONGEST, &LINE);
        drop_matching(blocks, keep, NOTICE_LONGEST, &NOTICE);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    #[test]
    fn counters_and_actions_go_sentences_with_the_words_stay() {
        let story = [
            "The mayor said 12 comments from residents had changed her mind.",
            "Print editions will cost more from Monday, the publisher said.",
            "Views differ on the plan.",
        ];
        let blocks = [
            block("12 Comments", 0),
            block(story[0], 0),
            block("Comments (4)", 0),
            block("170,094 Views", 0),
            block("Leave a comment", 0),
            block(story[1], 0),
            block("No comments yet.", 0),
            block("E-mail this to a friend", 0),
            block("Printer Friendly Version", 0),
            block("Send this article: Print Email", 0),
            block("Reprints", 0),
            block("Add your view", 0),
            block(story[2], 0),
            block(
                "You can follow any responses to this entry through the RSS 2.0 feed. You can leave a response, or trackback from your own site.",
                0,
            ),
        ];
        let mut keep = vec![true; blocks.len()];
        Counters.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep), story);
    }
}
