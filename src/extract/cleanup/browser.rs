//! Notices about the reader's browser: "This page is best viewed in an
//! up-to-date web browser with style sheets (CSS) enabled", "Please enable
//! JavaScript", "Your browser does not support the video tag", "Get the
//! latest Flash Player", "Cookies must be enabled". A page prints them for
//! browsers that miss a feature; they read as prose (a notice can run to
//! three sentences), so without this rule one can outweigh a short story.
//! Only a paragraph that opens with such a notice goes: a story that
//! mentions a browser says so later in a sentence of its own.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule, drop_matching};
use crate::extract::blocks::Block;

/// Drops browser notices.
pub(crate) struct BrowserNotices;

/// Longest paragraph read as a notice.
const LONGEST: usize = 400;

static NOTICE: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?ix)^\W*(?:
            this\s+(?:page|site|web\s*site)\s+is\s+best\s+viewed | best\s+viewed\s+(?:in|with|at|using)\b
            | (?:please\s+)?(?:enable|turn\s+on|activate)\s+(?:your\s+)?javascript
            | javascript\s+(?:is\s+)?(?:disabled|required|must\s+be\s+(?:enabled|turned\s+on))
            | you\s+(?:need|must\s+have|must\s+enable)\s+(?:to\s+(?:enable|have)\s+)?javascript
            | your\s+(?:web\s+)?browser\s+(?:does\s+not|doesn't|do\s+not)\s+support
            | (?:please\s+)?(?:upgrade|update)\s+(?:to\s+)?(?:your|a\s+(?:newer|modern))\s+(?:web\s+)?browser
            | you\s+(?:need|must)\s+(?:to\s+)?(?:upgrade|update|install|download)\s+(?:your\s+|the\s+latest\s+)?(?:adobe\s+)?flash
            | (?:get|download)\s+(?:the\s+latest\s+(?:version\s+of\s+)?)?(?:adobe\s+)?flash\s+player
            | cookies\s+must\s+be\s+enabled
            | 您的浏览器不支持 | 请(?:启用|开启|打开)\s*javascript
        )",
    )
});

impl Rule for BrowserNotices {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        drop_matching(blocks, keep, LONGEST, &NOTICE);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    #[test]
    fn browser_notices_go_stories_about_browsers_stay() {
        let story = [
            "Mozilla said on Tuesday that its browser does not support the new format yet.",
            "Best viewed as a protest, the vote split the council down the middle.",
        ];
        let blocks = [
            block(
                "This page is best viewed in an up-to-date web browser with style sheets (CSS) \
                 enabled. While you will be able to view the content of this page in your current \
                 browser, you will not be able to get the full visual experience.",
                0,
            ),
            block(story[0], 0),
            block("Please enable JavaScript to view the comments.", 0),
            block("Your browser does not support the video tag.", 0),
            block("Get the latest Flash Player to see this video.", 0),
            block(story[1], 0),
            block("您的浏览器不支持视频播放", 0),
        ];
        let mut keep = vec![true; blocks.len()];
        BrowserNotices.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep), story);
    }
}
