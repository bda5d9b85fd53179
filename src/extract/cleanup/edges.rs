//! Furniture around the story: when the page's densest block of prose lies
//! inside a candidate and holds most of its running text, the lines the
//! candidate adds before that block begins and after it ends are page
//! furniture (bookmark rows, job listings, "Don't miss" teasers, datelines
//! of other stories, a byline box) unless they read as sentences. Lines
//! between the first and the last paragraph the two share are left alone:
//! sub-headings and list items inside the story stay. An excerpt that ends
//! in "Continue reading" or "Read more" ends there: what follows is the
//! page's, prose included.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::{Context, Rule, squash};
use crate::extract::blocks::Block;
use crate::extract::built_in;
use crate::text::script::has_cjk;

/// Drops non-prose paragraphs outside the densest block's span.
pub(crate) struct Edges;

/// The densest block's paragraphs, as the candidate is compared with it.
#[derive(Debug, Default)]
pub(crate) struct Core {
    /// Each kept paragraph, squashed (case, spaces and punctuation gone).
    texts: HashSet<String>,
    /// Their characters in all.
    chars: usize,
}

impl Core {
    /// The core read from a candidate's kept paragraphs.
    pub fn new<'a>(blocks: impl Iterator<Item = &'a Block>) -> Core {
        let mut core = Core::default();
        for block in blocks {
            let text = squash(&block.text);
            if !text.is_empty() {
                core.chars += block.chars;
                core.texts.insert(text);
            }
        }
        core
    }

    /// Whether the core holds any of `blocks`' paragraphs.
    pub fn overlaps<'a>(&self, mut blocks: impl Iterator<Item = &'a Block>) -> bool {
        blocks.any(|b| self.texts.contains(&squash(&b.text)))
    }
}

/// Share of the core that must be found in the candidate, and share of the
/// candidate's running text that must lie in the core, for the candidate's
/// edges to count as furniture around it.
const INSIDE: f64 = 0.8;
const HOLDS: f64 = 0.7;

impl Rule for Edges {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], context: &Context<'_>) {
        let Some(core) = context.core.filter(|c| c.chars > 0) else {
            return;
        };
        let shared: Vec<usize> = (0..blocks.len())
            .filter(|&i| keep[i] && core.texts.contains(&squash(&blocks[i].text)))
            .collect();
        let (Some(&first), Some(&last)) = (shared.first(), shared.last()) else {
            return;
        };
        let shared_chars: usize = shared.iter().map(|&i| blocks[i].chars).sum();
        // An excerpt that ends in "Continue reading" (the densest block's
        // last line, or the line after it): the marker and what follows
        // are the page's, prose included (an e-mail form, a disclaimer).
        if (shared_chars as f64) >= INSIDE * core.chars as f64
            && let Some(marker) =
                (last..blocks.len().min(last + 2)).find(|&i| is_read_more(&blocks[i].text))
        {
            keep[marker..].fill(false);
        }
        let prose = |i: &usize| keep[*i] && is_sentence(&blocks[*i]);
        let all_prose: usize = (0..blocks.len())
            .filter(prose)
            .map(|i| blocks[i].chars)
            .sum();
        let core_prose: usize = shared
            .iter()
            .filter(|i| prose(i))
            .map(|&i| blocks[i].chars)
            .sum();
        if (shared_chars as f64) < INSIDE * core.chars as f64
            || (core_prose as f64) < HOLDS * all_prose as f64
        {
            return;
        }
        for i in (0..first).chain(last + 1..blocks.len()) {
            if !is_sentence(&blocks[i]) {
                keep[i] = false;
            }
        }
    }
}

/// The link that ends an excerpt ("Read more", "Continue reading »",
/// "阅读全文"); NYT's "Continue reading the main story", which stands
/// between paragraphs of a whole story, is not one.
fn is_read_more(text: &str) -> bool {
    static READ_MORE: LazyLock<Regex> = LazyLock::new(|| {
        built_in(
            r"(?i)^(?:continue\s+reading|read\s+more|read\s+the\s+(?:full|whole|rest\s+of\s+the)\s+(?:story|article|post)|full\s+story|点击阅读全文|阅读全文|閱讀全文|查看全文)\s*[»›>…\.\]]*$",
        )
    });
    READ_MORE.is_match(text.trim())
}

/// A paragraph that reads as running text, not a label: long enough for a
/// sentence and punctuated like one, or a shorter line that ends like a
/// sentence; either way not mostly link text.
fn is_sentence(block: &Block) -> bool {
    if block.chars < 10 || block.link_density() >= 0.3 {
        return false;
    }
    let cjk = has_cjk(&block.text);
    let (long, short) = if cjk { (20, 10) } else { (60, 25) };
    let ends = block
        .text
        .trim_end_matches(['"', '\'', '”', '’', ')', '）'])
        .ends_with(['.', '!', '?', ':', '。', '！', '？', '：']);
    let punctuated = block
        .text
        .contains(['.', '!', '?', ',', '。', '！', '？', '，']);
    (block.chars >= long && punctuated) || (block.chars >= short && ends)
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    const STORY: [&str; 3] = [
        "Sprint Nextel said Friday it plans to lay off 4,000 employees and close 125 retail stores.",
        "The company has lost more than a million contract customers in the past year, it said.",
        "Shares of the carrier fell 2 percent in early trading on the New York Stock Exchange.",
    ];

    fn run(blocks: &[Block], core: &[Block]) -> Vec<String> {
        let core = Core::new(core.iter());
        let mut keep = vec![true; blocks.len()];
        let context = Context {
            core: Some(&core),
            ..Context::default()
        };
        Edges.apply(blocks, &mut keep, &context);
        kept(blocks, &keep)
    }

    #[test]
    fn what_follows_an_excerpts_read_more_goes_prose_included() {
        let story: Vec<Block> = STORY.iter().take(2).map(|s| block(s, 0)).collect();
        let form = "Your Name Your e-mail address (for return address purposes) E-mail address of recipients (separate multiple addresses with commas). Name and both e-mail fields are required.";
        for marker in ["Continue reading", "Read more »", "阅读全文"] {
            let mut page = story.clone();
            page.push(block(marker, marker.len()));
            page.push(block(form, 0));
            assert_eq!(run(&page, &story), &STORY[..2], "{marker}");
            // The marker inside the densest block goes too.
            let mut core = story.clone();
            core.push(block(marker, marker.len()));
            assert_eq!(run(&page, &core), &STORY[..2], "{marker}");
        }
        // NYT's marker between paragraphs of a whole story is no excerpt's end.
        let page = vec![
            story[0].clone(),
            story[1].clone(),
            block("Continue reading the main story", 0),
            block(STORY[2], 0),
        ];
        assert_eq!(run(&page, &story).len(), 4);
    }

    #[test]
    fn furniture_around_the_dense_block_goes() {
        let story: Vec<Block> = STORY.iter().map(|s| block(s, 0)).collect();
        let mut page = vec![
            block("Last Update: 1/16 3:36 pm", 0),
            block("Powerball", 0),
            block("20, 23, 25, 27, 28, Powerball: 02", 0),
            story[0].clone(),
            block("Layoffs at a glance", 0),
            story[1].clone(),
            story[2].clone(),
            block("Social Bookmark This Story", 0),
            block("Digg it", 5),
        ];
        page.push(block(
            "The carrier said the cuts would save about $1.2 billion a year, according to a filing.",
            0,
        ));
        assert_eq!(
            run(&page, &story),
            [
                STORY[0],
                "Layoffs at a glance",
                STORY[1],
                STORY[2],
                "The carrier said the cuts would save about $1.2 billion a year, according to a filing."
            ]
        );
    }

    #[test]
    fn nothing_goes_when_the_dense_block_is_a_small_part() {
        let story: Vec<Block> = STORY.iter().map(|s| block(s, 0)).collect();
        let other =
            "A second section of the report, much longer, reviews the carrier's network spending.";
        let page = vec![
            block("Background", 0),
            block(other, 0),
            block(other, 0),
            block(other, 0),
            story[0].clone(),
            block("Source: company filings", 0),
        ];
        assert_eq!(run(&page, &story[..1]).len(), page.len());
        // Without a core (the densest block itself, or no such block).
        let mut keep = vec![true; page.len()];
        Edges.apply(&page, &mut keep, &Context::default());
        assert!(keep.iter().all(|k| *k));
    }
}
