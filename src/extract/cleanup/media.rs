//! The labels a page's media player or picture leaves in the text: a
//! paragraph that is only "Photo", "Image", "Video", "HIDE CAPTION",
//! "(Click to enlarge)" or "Photo 3 of 12", and the credit line set under
//! a picture with its label glued on ("CreditKevin Frayer/Getty Images").
//! They are buttons and overlays, not the story; the caption sentence
//! itself stays (readers' copies keep captions), and so does a label with
//! a colon ("Video:"), which heads a list of the page's own media.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule};
use crate::extract::blocks::Block;

/// Drops media labels and bare credit lines.
pub(crate) struct MediaLabels;

/// Longest paragraph read as a label.
const LABEL_LONGEST: usize = 40;

/// Longest paragraph read as a credit line.
const CREDIT_LONGEST: usize = 80;

static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?ix)^\W*(?:
            photos?|images?|pictures?|video|videos|gallery|graphic|audio|slideshow|
            (?:hide|show|toggle)\s+caption|expand|enlarge|
            (?:click|tap)\s+(?:to|here\s+to)\s+(?:enlarge|expand|zoom)(?:\s+(?:image|photo|picture))?|
            enlarge\s+(?:this\s+)?(?:image|photo|picture)|
            view\s+(?:larger|full[\s-]size|gallery|slideshow)(?:\s+(?:image|photo|picture|version))?|
            (?:play|watch)\s+(?:the\s+)?video|open\s+(?:the\s+)?gallery|
            \d+\s+(?:photos|images|pictures)|(?:photo|image|picture|slide)\s+\d+\s+(?:of|/)\s+\d+
        )[^\w:]*$",
    )
});

/// A credit line: the label glued to a name ("CreditKevin Frayer") or
/// followed by a colon; "Credit Suisse said…" is a sentence.
static CREDIT: LazyLock<Regex> = LazyLock::new(|| built_in(r"^Credit(?:\s*:\s*)?\p{Lu}"));

/// Sentence punctuation a credit line does not have.
const SENTENCE: &[char] = &['.', '!', '?', ';'];

impl Rule for MediaLabels {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        for (block, keep) in blocks.iter().zip(keep.iter_mut()) {
            let text = block.text.trim();
            let length = text.chars().count();
            let label = length <= LABEL_LONGEST && LABEL.is_match(text);
            let credit = length <= CREDIT_LONGEST
                && CREDIT.is_match(text)
                && !text.trim_end_matches('.').contains(SENTENCE);
            if label || credit {
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
    fn media_labels_and_credits_go_captions_and_sentences_stay() {
        let caption = "United Nations peacekeepers at a refugee camp in Sudan on Monday.";
        let story = "Credit card spending rose again in March. Analysts expected a fall.";
        let blocks = [
            block("Photo", 0),
            block(caption, 0),
            block("CreditKevin Frayer/Getty Images", 0),
            block("Image", 0),
            block("HIDE CAPTION", 0),
            block("(Click to enlarge)", 0),
            block("Photo 3 of 12", 0),
            block("Credit: Jane Doe/Reuters", 0),
            block(story, 0),
            block("Credit Suisse said on Monday it would cut 500 jobs", 0),
            block("Video of the rescue was shared widely.", 0),
            block("Video:", 0),
        ];
        let mut keep = vec![true; blocks.len()];
        MediaLabels.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(
            kept(&blocks, &keep),
            [
                caption,
                story,
                "Credit Suisse said on Monday it would cut 500 jobs",
                "Video of the rescue was shared widely.",
                "Video:"
            ]
        );
    }
}
