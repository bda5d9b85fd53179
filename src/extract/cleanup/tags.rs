//! Tag and category lines: "Tagged as: hurricanes, Natural Disasters",
//! "Filed under: Web Development", "Categories: Blogging Sense", "Labels:
//! …", "Posted in: Fantasy, News |", "Category : Sports". They index the
//! post on its site; the story does not say them. (Chinese "标签：" and a
//! bare "Tags:" are credits, see `credits`.) Only a line that starts with
//! the label and goes on with the terms goes: a label alone may be a
//! heading the page's text uses.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule};
use crate::extract::blocks::Block;

/// Drops tag and category lines.
pub(crate) struct Tags;

/// Longest paragraph read as a tag line.
const LONGEST: usize = 300;

static LINE: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?i)^(?:tags|tagged(?:\s+(?:with|as|in))?|filed\s+(?:under|in)|posted\s+in|categories|category|topics|labels|keywords|more\s+about)\s*[:|]\s*\S",
    )
});

impl Rule for Tags {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        for (block, keep) in blocks.iter().zip(keep.iter_mut()) {
            let text = block.text.trim();
            // A sentence that runs on past the list is prose that happens
            // to open with the word.
            let sentence = text.contains(". ");
            if text.chars().count() <= LONGEST && !sentence && LINE.is_match(text) {
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
    fn tag_lines_go_a_bare_label_and_prose_stay() {
        let story = "Categories of spending rose across the board, the ministry said.";
        let blocks = [
            block(story, 0),
            block("Tagged as: hurricanes, Natural Disasters", 0),
            block("Filed under: Web Development", 0),
            block("Category : Sports", 0),
            block("Labels: GOProud, homocons", 0),
            block("Posted in: Fantasy, News |", 0),
            block("Categories:", 0),
            block(
                "Topics: the vote was close. Turnout was high in the north.",
                0,
            ),
        ];
        let mut keep = vec![true; blocks.len()];
        Tags.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(
            kept(&blocks, &keep),
            [
                story,
                "Categories:",
                "Topics: the vote was close. Turnout was high in the north."
            ]
        );
    }
}
