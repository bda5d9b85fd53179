//! Newsletter and sign-up boxes inside or after the story: "Sign up for
//! free email updates and be entered to win…", "To receive these entries
//! once a month by e-mail, sign up for the Crypto-Gram Newsletter.",
//! "Get the latest local business news delivered to your inbox.", and the
//! form's own labels ("Enter your email address:"). A paragraph goes when
//! it names what is sent (a newsletter, updates, an inbox) *and* asks the
//! reader to act (sign up, subscribe, enter an address); a story about a
//! newsletter names it without asking anything.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule};
use crate::extract::blocks::Block;

/// Drops sign-up boxes.
pub(crate) struct Newsletter;

/// Longest paragraph read as a sign-up box.
const LONGEST: usize = 220;

/// What the box offers.
static OFFER: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?i)\b(?:newsletters?|e-?mail\s+(?:updates|alerts|digest)|free\s+updates|(?:to|in)\s+your\s+inbox)\b",
    )
});

/// What the box asks of the reader.
static ASK: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?i)\b(?:sign[\s-]?up|subscribe|join\s+(?:over|our|the|\d)|enter\s+your\s+e-?mail|get\s+(?:the\s+latest|our|free|email|e-mail)|delivered\s+(?:straight\s+|right\s+)?to\s+your\s+inbox)\b",
    )
});

/// A sign-up form's own label, alone on its line.
static FORM: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?i)^\W*(?:(?:enter\s+)?your\s+e-?mail(?:\s+address)?|e-?mail\s+address|newsletter\s+sign[\s-]?up|sign\s+up\s+for\s+(?:our\s+)?newsletters?|get\s+e-?mail\s+updates)\b[^.!?]{0,20}$",
    )
});

impl Rule for Newsletter {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        for (block, keep) in blocks.iter().zip(keep.iter_mut()) {
            let text = block.text.trim();
            if text.chars().count() > LONGEST {
                continue;
            }
            if FORM.is_match(text) || (OFFER.is_match(text) && ASK.is_match(text)) {
                *keep = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    #[test]
    fn sign_up_boxes_go_stories_naming_a_newsletter_stay() {
        let story = [
            "The council's newsletter reported the closure a week before residents were told.",
            "Keep up on the day's tech news headlines with the Wrap Up newsletter.",
            "For all the latest updates on the road test, subscribe to our YouTube channel.",
        ];
        let blocks = [
            block(story[0], 0),
            block(
                "Sign up for free email updates and be entered to win our monthly giveaway!",
                0,
            ),
            block(
                "To receive these entries once a month by e-mail, sign up for the Crypto-Gram Newsletter.",
                0,
            ),
            block(
                "Get the latest local business news delivered to your inbox. Sign up Today!",
                0,
            ),
            block("NEWSLETTER SIGN UP", 0),
            block("Enter your email address:", 0),
            block(
                "Join over 104,000 monthly readers! Subscribe to the free email newsletter.",
                0,
            ),
            block(story[1], 0),
            block(story[2], 0),
        ];
        let mut keep = vec![true; blocks.len()];
        Newsletter.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep), story);
    }
}
